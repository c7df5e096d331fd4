"""CHARM-II detector: calibration, both dipole signatures, events, limits, DarkNews cross-check, bad input.

References (each test says which): the measured samples 2677 / 2752 (PLB 335 (1994) 246 via the reference
copy), physics.md Secs. 2.1-2.6 (cross sections and kinematics, re-implemented here independently),
4.2 (decay probability), DarkNews 0.4.8 coherent transition-magnetic-moment cross sections (recorded
below; recomputed live when DarkNews is importable), and fits.limits for the mu^2-scaling limit.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate

from detectors import get_detector
from detectors.charm2 import CHARM2, PROCESS_CODES
from fits.charm2_limit import charm2_detector_limit, charm2_limit
from fits.likelihood import BinnedLikelihood
from fits.limits import likelihood_limit
from nugen import DipolePortal
from nugen.constants import ALPHA, CM2_PER_MEV2, G_F, M_E, MU_B_PER_MEV, SIN2_THETA_W
from nugen.decays import decay_probability
from nugen.errors import InvalidParameterError, KinematicsError, UnknownNameError
from nugen.sources import get_source
from nugen.targets import get_target
from nugen.xsec import dipole_dsigma_dT, helm_form_factor_sq


@pytest.fixture(scope="module")
def det():
    return get_detector("charm2")


@pytest.fixture(scope="module")
def det_bar():
    return get_detector("charm2", beam="numubar")


@pytest.fixture(scope="module")
def det_gamma():
    return get_detector("charm2", photon_efficiency=1.0)


# -- calibration and data ------------------------------------------------------------------------------------
def test_registry_settings_and_data(det, det_bar):
    assert isinstance(det, CHARM2)
    assert det.energy_unit == "GeV" and det.exposure_unit == "t POT" and det.target == "glass"
    np.testing.assert_array_equal(det.observed(), [2677.0])
    np.testing.assert_array_equal(det_bar.observed(), [2752.0])
    np.testing.assert_allclose(det.analysis_edges_MeV(), [3000.0, 24000.0])
    keys = {row[0] for row in det.info()}
    assert {"beam", "e_min_GeV", "e_max_GeV", "photon_efficiency", "fiducial_end_m"} <= keys


@pytest.mark.parametrize(("beam", "measured", "err"), [("numu", 2677.0, 82.0), ("numubar", 2752.0, 88.0)])
def test_sm_prediction_reproduces_the_calibration(beam, measured, err):
    d = get_detector("charm2", beam=beam)
    np.testing.assert_allclose(d.sm_counts(), [measured], rtol=1e-12)
    cal = d.calibration()
    assert cal["measured"] == measured
    assert cal["exposure_t_POT"] == pytest.approx(measured / cal["sm_events_per_t_per_POT"], rel=1e-12)
    assert cal["fiducial_mass_t"] == pytest.approx(690.0 * 31.0 / 35.0)
    assert cal["POT_x_efficiency"] == pytest.approx(cal["exposure_t_POT"] / cal["fiducial_mass_t"])
    # systematic part of the total error: sqrt(err^2 - N) / N
    assert d.sm_rel_uncertainty == pytest.approx(math.sqrt(err**2 - measured) / measured, rel=1e-12)


def _recoil_range(E, M, m=M_E):
    """[T_min, T_max] of physics.md Sec. 2.2, written out independently (NaN below threshold)."""
    lam = (2 * m * E - M**2) ** 2 - 4 * m**2 * M**2
    if lam < 0:
        return math.nan, math.nan
    a, root, den = 2 * m * E**2 - M**2 * (E + m), E * math.sqrt(lam), 2 * m * (2 * E + m)
    return max((a - root) / den, 0.0), (a + root) / den


def _sm_mu_e_integral(E, T1, T2, anti, s2w=SIN2_THETA_W):
    """∫ dsigma/dT dT [cm^2] of nu_mu e (nubar_mu e) scattering, physics.md Sec. 3.1, closed form."""
    gl, gr = -0.5 + s2w, s2w
    if anti:
        gl, gr = gr, gl
    val = gl**2 * (T2 - T1) + gr**2 * E / 3 * ((1 - T1 / E) ** 3 - (1 - T2 / E) ** 3)
    val -= gl * gr * M_E * (T2**2 - T1**2) / (2 * E**2)
    return 2 * G_F**2 * M_E / math.pi * val * CM2_PER_MEV2


def _dipole_e_integral(E, T1, T2, M):
    """∫ dsigma/dT dT [cm^2] of nu e -> N e for mu = 1 mu_B: physics.md Sec. 2.4 closed form."""
    m = M_E
    val = (1 - M**2 * (2 * E + m) / (4 * E**2 * m) + M**4 / (8 * E**2 * m**2)) * math.log(T2 / T1)
    val += -(T2 - T1) / E + M**2 * (T2 - T1) / (4 * E**2 * m) + M**4 / (8 * E**2 * m) * (1 / T2 - 1 / T1)
    return ALPHA * MU_B_PER_MEV**2 * CM2_PER_MEV2 * val


def _per_t_pot(kind, M=0.0, window=(3000.0, 24000.0), mode="numu"):
    """∫ dE Phi(E) n_e ∫_window dT dsigma/dT by scipy quad over each linear piece of the flux."""
    beam = get_source("charm2", mode=mode)
    n_e = get_target("glass").electrons_per_tonne

    def inner(E, anti):
        t_lo, t_hi = _recoil_range(E, M)
        if math.isnan(t_lo):  # below threshold E_thr = M + M^2/(2 m_e)
            return 0.0
        T1, T2 = max(window[0], t_lo), min(window[1], t_hi)
        if not T2 > T1:
            return 0.0
        return _sm_mu_e_integral(E, T1, T2, anti) if kind == "sm" else _dipole_e_integral(E, T1, T2, M)

    total = 0.0
    for c in beam.components:
        grid = np.concatenate([[c.E_min_MeV], c.breakpoints_MeV, [c.E_max_MeV]])
        for a, b in itertools.pairwise(grid):
            f = lambda E, c=c: float(c.pdf(E)) * inner(E, c.antineutrino)  # noqa: E731
            total += c.flux * n_e * integrate.quad(f, a, b, epsrel=1e-10, epsabs=0, limit=200)[0]
    return total


def test_rates_in_the_window_vs_independent_integration(det):
    # true-energy window, no response: nugen.rates (used by the detector) vs a quadrature of the flux times
    # the independently written closed-form T integrals (physics.md Secs. 2.4, 3.1)
    rc = det.rates
    assert rc.sm_counts([3000.0, 24000.0]).sum() == pytest.approx(_per_t_pot("sm"), rel=1e-6)
    for M in (0.0, 100.0):
        tmpl = rc.dipole_binned_templates([3000.0, 24000.0], M).sum(axis=0)[:, 0]
        assert tmpl[1] == pytest.approx(_per_t_pot("dipole", M), rel=1e-6)
        assert tmpl[0] == 0.0 and tmpl[2] == 0.0  # nu_mu beam: only mu_mu couples


def _smeared_per_t_pot(kind, M=0.0, a_res=0.23, window=(3000.0, 24000.0), mode="numu"):
    """As _per_t_pot, with the window on the observed energy: acceptance Phi((hi-T)/s) - Phi((lo-T)/s),
    s = a sqrt(T/GeV) GeV; T integral by 16-point Gauss-Legendre on pieces, E integral by scipy quad."""
    from scipy.special import ndtr

    beam = get_source("charm2", mode=mode)
    n_e = get_target("glass").electrons_per_tonne
    x, w = np.polynomial.legendre.leggauss(16)
    cuts = np.array(
        [100.0, 1000.0, 2000.0, 3000.0, 4000.0, 6000.0, 10000.0, 16000.0, 24000.0, 30000.0, 45000.0]
    )

    def inner(E, anti):
        t_lo, t_hi = _recoil_range(E, M)
        if math.isnan(t_lo):
            return 0.0
        pts = np.unique(np.clip(cuts, max(t_lo, 100.0), min(t_hi, 45000.0)))
        if pts.size < 2:
            return 0.0
        a, b = pts[:-1, None], pts[1:, None]
        T = (0.5 * (a + b) + 0.5 * (b - a) * x).ravel()
        wt = (0.5 * (b - a) * w).ravel()
        s = a_res * np.sqrt(1000.0 * T)
        acc = ndtr((window[1] - T) / s) - ndtr((window[0] - T) / s)
        xs = _sm_mu_e(E, T, anti) if kind == "sm" else _dipole_e(E, T, M)
        return float(np.sum(xs * acc * wt))

    total = 0.0
    for c in beam.components:
        grid = np.concatenate([[c.E_min_MeV], c.breakpoints_MeV, [c.E_max_MeV]])
        for lo, hi in itertools.pairwise(grid):
            f = lambda E, c=c: float(c.pdf(E)) * inner(E, c.antineutrino)  # noqa: E731
            total += c.flux * n_e * integrate.quad(f, lo, hi, epsrel=1e-9, epsabs=0, limit=200)[0]
    return total


def _sm_mu_e(E, T, anti, s2w=SIN2_THETA_W):
    """nu_mu e (nubar_mu e) dsigma/dT [cm^2/MeV], physics.md Sec. 3.1 (T inside the kinematic range)."""
    gl, gr = -0.5 + s2w, s2w
    if anti:
        gl, gr = gr, gl
    val = gl**2 + gr**2 * (1 - T / E) ** 2 - gl * gr * M_E * T / E**2
    return 2 * G_F**2 * M_E / math.pi * val * CM2_PER_MEV2


def _dipole_e(E, T, M):
    """nu e -> N e dsigma/dT [cm^2/MeV] for mu = 1 mu_B, physics.md Sec. 2.1 (T inside the range)."""
    m = M_E
    val = (
        1 / T
        - 1 / E
        + M**2 * (T - 2 * E - m) / (4 * E**2 * T * m)
        + M**4 * (T - m) / (8 * E**2 * T**2 * m**2)
    )
    return ALPHA * MU_B_PER_MEV**2 * CM2_PER_MEV2 * val


def test_calibration_and_signal_with_the_response_vs_independent_integration(det):
    # the detector's smeared window (sigma = 0.23 sqrt(E/GeV) GeV) vs the same folding done independently
    ref_sm = _smeared_per_t_pot("sm")
    assert det.calibration()["sm_events_per_t_per_POT"] == pytest.approx(ref_sm, rel=1e-4)
    assert det.exposure_t_yr == pytest.approx(2677.0 / ref_sm, rel=1e-4)
    for M in (0.0, 100.0):
        ref = _smeared_per_t_pot("dipole", M) / ref_sm * 2677.0  # events per mu_B^2
        assert det.signal_templates(M)[1, 0] == pytest.approx(ref, rel=1e-4)


# -- signature (a): electron recoils -------------------------------------------------------------------------
def test_electron_signal_is_flat_at_small_mass_and_closes_at_the_kinematic_limit(det):
    s = {M: det.signal_templates(M)[1, 0] for M in (0.0, 1.0, 10.0, 100.0, 300.0, 451.0, 452.0, 1000.0)}
    assert s[1.0] / s[0.0] == pytest.approx(1.0, abs=1e-4)
    assert s[10.0] / s[0.0] == pytest.approx(1.0, abs=0.01)
    assert s[0.0] > s[100.0] > s[300.0] > s[451.0] >= 0
    # electron-target threshold E_thr = M + M^2/(2 m_e) must stay below the table's 200 GeV: M < 451.6 MeV
    assert det.reach()["electron_MeV"] == pytest.approx(M_E * (math.sqrt(1 + 2 * 2e5 / M_E) - 1))
    assert s[452.0] == 0.0 and s[1000.0] == 0.0


@pytest.mark.parametrize("M", [0.0, 50.0, 150.0, 300.0])
def test_angular_cut_is_automatic_for_the_recoil_electron(det, M):
    # E_e theta_e^2 < 2 m_e holds for every 2 -> 2 recoil (p_e cos theta = T (E + m)/E + M^2/(2E))
    assert det.electron_angular_acceptance(M) == 1.0


def test_electron_signal_scales_as_mu_squared(det):
    m1, m2 = DipolePortal(20.0, 1e-9, flavour="mu"), DipolePortal(20.0, 3e-9, flavour="mu")
    assert det.signal_templates(20.0)[1, 0] > 0
    # signal_counts ∝ mu^2 up to the N-decay veto (escape probability 1 - 2e-5 at 3e-9 mu_B, 20 MeV)
    assert det.signal_counts(m2)[0] / det.signal_counts(m1)[0] == pytest.approx(9.0, rel=1e-4)
    no_veto = get_detector("charm2", n_decay_veto="off")
    assert no_veto.signal_counts(m2)[0] / no_veto.signal_counts(m1)[0] == pytest.approx(9.0, rel=1e-12)
    # only mu_mu matters: nu_e / nu_tau couplings give nothing (no nu_e, nu_tau in the beam)
    assert det.signal_counts(DipolePortal(20.0, (1e-9, 0.0, 1e-9)))[0] == 0.0


def test_escape_probability_vs_mc(det, rng):
    # vertex uniform in [0, 31 m], N escapes if it does not decay before 35 m
    for lam in (300.0, 3000.0, 3e5):
        n = 400_000
        z = rng.random(n) * 3100.0
        d = rng.exponential(lam, n)
        mc = np.mean(z + d > 3500.0)
        assert float(det.escape_probability(lam)) == pytest.approx(mc, abs=5 * math.sqrt(mc * (1 - mc) / n))
    assert float(det.escape_probability(np.inf)) == 1.0 and float(det.escape_probability(0.0)) == 0.0


def test_n_decay_veto_only_matters_for_short_lifetimes(det):
    M = 200.0
    assert det.electron_survival(DipolePortal(M, 1e-10, flavour="mu"))[0] == pytest.approx(1.0, abs=1e-4)
    assert det.electron_survival(DipolePortal(M, 1e-6, flavour="mu"))[0] < 1e-6
    s = [det.electron_survival(DipolePortal(M, mu, flavour="mu"))[0] for mu in (1e-9, 3e-9, 1e-8, 3e-8)]
    assert all(a > b for a, b in itertools.pairwise(s))
    off = get_detector("charm2", n_decay_veto="off")
    assert off.electron_survival(DipolePortal(M, 1e-6, flavour="mu"))[0] == 1.0
    # electron_counts = mu^2 templates x survival
    m = DipolePortal(M, 1e-8, flavour="mu")
    ref = det.signal_templates(M)[1, 0] * 1e-16 * det.electron_survival(m)[0]
    assert det.electron_counts(m)[0] == pytest.approx(ref, rel=1e-12)


# -- signature (b): single photons ---------------------------------------------------------------------------
def test_photon_channel_mu_dependence(det_gamma, det):
    M = 150.0
    long1, long2 = (det_gamma.photon_counts(DipolePortal(M, mu, flavour="mu"))[0] for mu in (1e-10, 2e-10))
    assert long2 / long1 == pytest.approx(16.0, rel=1e-3)  # lambda >> L: production mu^2 x decay mu^2
    short1, short2 = (det_gamma.photon_counts(DipolePortal(M, mu, flavour="mu"))[0] for mu in (1e-4, 2e-4))
    assert short2 / short1 == pytest.approx(4.0, rel=1e-3)  # lambda << L: every N decays, production mu^2
    # off by default, zero without mass or coupling
    assert det.photon_counts(DipolePortal(M, 1e-8, flavour="mu"))[0] == 0.0
    assert det_gamma.photon_counts(DipolePortal(0.0, 1e-8, flavour="mu"))[0] == 0.0
    assert det_gamma.photon_counts(DipolePortal(M, 0.0, flavour="mu"))[0] == 0.0


def test_photon_channel_matches_its_analytic_long_lifetime_limit(det_gamma):
    # for lambda >> L the path-averaged probability is (z2^2 - z1^2)/(2 lambda L) with lambda = (p/M) c tau:
    # photon counts x c tau must be mu-independent; check against the product formula at two couplings
    M = 100.0
    vals = []
    for mu in (1e-11, 3e-11):
        m = DipolePortal(M, mu, flavour="mu")
        vals.append(det_gamma.photon_counts(m)[0] / m.mu_flavour[1] ** 2 * m.ctau_cm)
    assert vals[1] == pytest.approx(vals[0], rel=1e-6)


def test_expected_counts_split(det_gamma):
    m = DipolePortal(120.0, 3e-9, flavour="mu")
    out = det_gamma.expected_counts(m)
    assert out["dipole"][0] == pytest.approx(out["dipole_electron"][0] + out["dipole_photon"][0])
    assert out["dipole_photon"][0] > 0 and out["sm_nu"][0] == pytest.approx(2677.0)
    spec = det_gamma.spectrum(m)
    assert spec["beam"] == "numu" and spec["data"] == [2677.0]
    assert spec["calibration"]["measured"] == 2677.0
    assert set(spec["counts"]) >= {"dipole", "dipole_electron", "dipole_photon", "sm_nu"}


# -- events --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def events(det_gamma):
    return det_gamma.generate(DipolePortal(150.0, 4e-9, flavour="mu"), 200_000, seed=7)


def test_generated_events_reproduce_expected_counts(det_gamma, events):
    exp = det_gamma.expected_counts(DipolePortal(150.0, 4e-9, flavour="mu"))
    for proc, key in (("dipole_e", "dipole_electron"), ("dipole_A", "dipole_photon"), ("sm_e", "sm_nu")):
        w = events["weight"][events["process"] == PROCESS_CODES[proc]]
        err = math.hypot(math.sqrt(np.sum(w**2)), 0.02 * exp[key][0] if proc == "dipole_A" else 0.0)
        assert w.sum() == pytest.approx(exp[key][0], abs=5 * err), key


def test_generated_decays_in_fiducial_vs_analytic_probability(events):
    sel = events["process"] == PROCESS_CODES["dipole_A"]
    P = events["P_decay_fiducial"][sel]
    inside = events["decays_in_fiducial"][sel]
    assert inside.mean() == pytest.approx(P.mean(), abs=5 * math.sqrt(P.mean() / sel.sum()))
    z = events["decay_z_cm"][sel]
    possible = P > 0
    assert np.all((z[possible] >= -1e-6) & (z[possible] <= 3100.0 + 1e-6))  # forced vertices in [0, 31 m]
    assert np.all(np.isnan(z[~possible])) and np.all(events["prod_z_cm"][sel][~possible] >= 3100.0)
    # photons: massless; shower columns are the photon's for this channel
    k = np.column_stack([events[f"gamma_{c}_MeV"][sel] for c in ("E", "px", "py", "pz")])
    np.testing.assert_allclose(k[:, 0] ** 2 - np.sum(k[:, 1:] ** 2, 1), 0.0, atol=1e-6 * k[:, 0].max() ** 2)
    np.testing.assert_array_equal(events["shower_E_MeV"][sel], k[:, 0])


def test_reweighting_in_mu_reproduces_the_rate(det_gamma, events):
    # production ∝ mu^2, decay probability analytic in mu through lambda ∝ 1/mu^2
    mu1, mu2 = 4e-9, 9e-9
    sel = events["process"] == PROCESS_CODES["dipole_A"]
    lam2 = events["N_lambda_cm"][sel] * (mu1 / mu2) ** 2
    z, pz = events["prod_z_cm"][sel], events["N_pz_MeV"][sel]
    p = np.sqrt(events["N_px_MeV"][sel] ** 2 + events["N_py_MeV"][sel] ** 2 + pz**2)
    L1, L2 = np.maximum(0.0 - z, 0) * p / pz, np.maximum(3100.0 - z, 0) * p / pz
    w2 = (events["weight_production"][sel] * (mu2 / mu1) ** 2 * decay_probability(L1, L2, lam2)
          * events["pass_selection"][sel] * events["selection_efficiency"][sel])  # fmt: skip
    ref = det_gamma.photon_counts(DipolePortal(150.0, mu2, flavour="mu"))[0]
    assert w2.sum() == pytest.approx(ref, rel=0.03)


def test_stable_n_escapes_with_finite_weights_and_the_vetoed_rate(det):
    # M_N = 0: N never decays, so the N-decay veto (on by default) keeps every electron recoil (was NaN)
    model = DipolePortal(0.0, 1e-8, flavour="mu")
    ev = det.generate(model, 20_000, seed=3, processes=("dipole_e",))
    assert np.all(ev["P_N_escape"] == 1.0) and np.all(np.isfinite(ev["weight"]))
    exp = det.expected_counts(model)["dipole_electron"][0]
    assert ev["weight"].sum() == pytest.approx(exp, abs=5 * math.sqrt(np.sum(ev["weight"] ** 2)))


def test_generate_bad_input(det):
    with pytest.raises(KinematicsError, match=r"no CHARM-II events.*M_N = 1e\+06 MeV"):
        det.generate(DipolePortal(1e6, 1e-9, flavour="mu"), 100, seed=1, processes=("dipole_e", "dipole_A"))
    with pytest.raises(InvalidParameterError, match="cevns"):
        det.generate(DipolePortal(1.0, 1e-9, flavour="mu"), 100, processes=("cevns",))


# -- limits --------------------------------------------------------------------------------------------------
def test_adapter_equals_the_mu2_limit_when_the_signal_scales_as_mu2(det):
    # photon channel off and veto off (or lambda >> detector at M = 0): the signal is exactly ∝ mu^2
    no_veto = get_detector("charm2", n_decay_veto="off")
    for d, M in ((det, 0.0), (no_veto, 150.0), (no_veto, 300.0)):
        ours = charm2_detector_limit(d, M, "mu", samples="numu").mu_upper_muB
        # the generic mu^2 profile likelihood on the same detector (detector_limit dispatches charm2
        # to the adapter, so build the generic one explicitly)
        generic = likelihood_limit(BinnedLikelihood.from_detector(d, M, "mu")).mu_upper_muB
        assert ours == pytest.approx(generic, rel=1e-4)


def test_limit_shape(det):
    lim = {M: charm2_detector_limit(det, M, "mu").mu_upper_muB for M in (0.0, 10.0, 100.0, 200.0)}
    assert 1e-9 < lim[0.0] < 3e-9  # "a few 1e-9 mu_B" (physics.md Sec. 6.4)
    assert lim[10.0] / lim[0.0] == pytest.approx(1.0, abs=0.01)  # flat: lifetime-independent
    assert lim[0.0] < lim[100.0] < lim[200.0]
    # the N-decay veto closes the channel before the kinematic limit: no limit at 300 MeV ...
    closed = charm2_detector_limit(det, 300.0, "mu")
    assert closed.mu_upper_muB is None and "veto" in closed.reason
    # ... while the lifetime-independent approximation still has one (kinematics alone)
    assert (
        charm2_detector_limit(get_detector("charm2", n_decay_veto="off"), 300.0, "mu").mu_upper_muB
        > lim[200.0]
    )
    far = charm2_detector_limit(det, 600.0, "mu")
    assert far.mu_upper_muB is None and "zero" in far.reason and "451.6 MeV" in far.reason


def test_photons_strengthen_the_limit_only_where_n_decays_fast_enough(det_gamma, det):
    small = charm2_limit(1.0, "mu", photon_efficiency=1.0).mu_upper_muB
    assert small == pytest.approx(charm2_detector_limit(det, 1.0, "mu").mu_upper_muB, rel=1e-4)
    big = charm2_detector_limit(det_gamma, 200.0, "mu").mu_upper_muB
    assert big < 0.5 * charm2_detector_limit(det, 200.0, "mu").mu_upper_muB
    assert charm2_detector_limit(det_gamma, 300.0, "mu").mu_upper_muB < 3e-9  # electron channel closed
    beyond = charm2_detector_limit(det_gamma, 600.0, "mu")
    assert beyond.mu_upper_muB is not None  # photons from coherent production reach past the electron limit


def test_combined_samples_beat_either_one(det):
    both = charm2_detector_limit(det, 0.0, "mu").mu_upper_muB
    nu = charm2_detector_limit(det, 0.0, "mu", samples="numu").mu_upper_muB
    nubar = charm2_detector_limit(det, 0.0, "mu", samples="numubar").mu_upper_muB
    assert both < min(nu, nubar)


# -- bad input -----------------------------------------------------------------------------------------------
def test_bad_settings_are_named():
    with pytest.raises(UnknownNameError, match=r"'nue'.*numu"):
        get_detector("charm2", beam="nue")
    with pytest.raises(InvalidParameterError, match="e_min_GeV = 30"):
        get_detector("charm2", e_min_GeV=30)
    with pytest.raises(InvalidParameterError, match="fiducial"):
        get_detector("charm2", fiducial_end_m=40)
    with pytest.raises(InvalidParameterError, match="photon_efficiency"):
        get_detector("charm2", photon_efficiency=2)
    with pytest.raises(UnknownNameError, match="mode"):
        get_detector("charm2", mode="numu")
    with pytest.raises(InvalidParameterError, match="samples"):
        charm2_limit(1.0, "mu", samples="nue")


def test_masses_beyond_reach_give_zero_signal(det_gamma):
    m = DipolePortal(5e5, 1e-8, flavour="mu")  # above the 200 GeV beam energy for any target
    np.testing.assert_array_equal(det_gamma.signal_counts(m), [0.0])
    res = charm2_detector_limit(det_gamma, 5e5, "mu")
    assert res.mu_upper_muB is None and "no sensitivity" in res.reason


# -- coherent dipole cross section vs DarkNews ---------------------------------------------------------------
#: DarkNews 0.4.8 (pip, run in a separate venv): UpscatteringProcess(numu -> N4, coherent, GenericHNLModel
#: with mu_tr_mu4 = mu x 296.304 GeV^-1, HNLtype "dirac"), diff_xsec_Q2 summed over helicity "conserving" +
#: "flipping", times 2 m_A -> dsigma/dT [cm^2/MeV] at mu = 1e-9 mu_B; and its nuclear form factor F1_EM(Q^2)
#: (Fourier-Bessel, de Vries tables) at the same point. Convention (physics.md Sec. 1.2): DarkNews'
#: mu_tr equals our mu (its internal dipole t = mu_tr/2 = d of Magill et al.); its N -> nu gamma width for
#: Dirac N is |t|^2 M^3/(8 pi) = mu^2 M^3/(32 pi), half of ours (not used here). Nuclear masses [GeV]:
DN_MASS_GEV = {"Si28": 26.053196008096958, "O16": 14.895082724296866}
DN_POINTS = [  # (target, E_nu GeV, M_N GeV, T MeV, dsigma/dT cm^2/MeV, F1_EM)
    ("Si28", 5.0, 0.0, 0.01, 4.686098e-39, 0.978974),
    ("Si28", 5.0, 0.0, 0.1, 3.178401e-40, 0.806258),
    ("Si28", 20.0, 0.0, 1.0, 1.996660e-43, 0.063904),
    ("O16", 5.0, 0.0, 0.01, 1.566381e-39, 0.990495),
    ("O16", 20.0, 0.0, 0.1, 1.318733e-40, 0.908830),
    ("O16", 20.0, 0.0, 1.0, 2.241537e-42, 0.374703),
    ("Si28", 5.0, 0.1, 0.01, 4.674841e-39, 0.978974),
    ("Si28", 20.0, 0.1, 0.1, 3.178086e-40, 0.806258),
    ("O16", 5.0, 0.1, 0.1, 1.317254e-40, 0.908830),
    ("O16", 20.0, 0.1, 1.0, 2.241142e-42, 0.374703),
    ("Si28", 5.0, 0.3, 0.01, 3.948270e-39, 0.978974),
    ("Si28", 5.0, 0.3, 1.0, 1.989163e-43, 0.063904),
    ("Si28", 20.0, 0.3, 0.1, 3.174268e-40, 0.806258),
    ("O16", 5.0, 0.3, 0.01, 1.136353e-39, 0.990495),
    ("O16", 20.0, 0.3, 0.01, 1.538915e-39, 0.990495),
    ("O16", 20.0, 0.3, 1.0, 2.239902e-42, 0.374703),
]
Z = {"Si28": 14, "O16": 8}
A = {"Si28": 28, "O16": 16}


@pytest.mark.parametrize(("target", "E", "M", "T", "dn", "ff"), DN_POINTS)
def test_coherent_dipole_vs_recorded_darknews(target, E, M, T, dn, ff):
    # same point-nucleus amplitude: ours x DarkNews' F^2 equals DarkNews to < 0.2 %; the residual grows like
    # M_N / (E_nu m_A) (0.16 % at M = 0.3 GeV, E = 5 GeV on O16; < 1e-5 at M = 0), origin not traced
    mA = DN_MASS_GEV[target] * 1e3
    ours = Z[target] ** 2 * dipole_dsigma_dT(E * 1e3, T, M * 1e3, mA, 1e-9) * ff**2
    assert ours == pytest.approx(dn, rel=2e-3)
    if M == 0:
        assert ours == pytest.approx(dn, rel=1e-5)


@pytest.mark.parametrize("target", ["Si28", "O16"])
def test_helm_vs_darknews_form_factor_at_small_recoil(target):
    # at T = 10 keV (|q| ~ 23 MeV for Si) Helm and DarkNews' Fourier-Bessel F^2 agree to 0.1 %; at T = 1 MeV,
    # deep in the tail, they differ by tens of per cent (Si: 0.0024 vs 0.0041), where the rate is negligible
    ff = {p[0]: p[5] for p in DN_POINTS if p[3] == 0.01}[target]
    helm = float(helm_form_factor_sq(0.01, A[target], DN_MASS_GEV[target] * 1e3))
    assert helm == pytest.approx(ff**2, rel=1e-3)


@pytest.mark.crosscheck
def test_coherent_dipole_vs_live_darknews():
    pytest.importorskip("DarkNews")
    import logging

    from DarkNews import const, model, nuclear_tools, pdg, processes

    logging.disable(logging.CRITICAL)
    try:
        mu_gev = 1e-9 * math.sqrt(4 * math.pi * const.alphaQED) / (2 * const.m_e)
        for target, E, M, T, _, _ in DN_POINTS[::3]:
            mdl = model.GenericHNLModel(m4=max(M, 1e-9), mu_tr_mu4=mu_gev, HNLtype="dirac")
            tgt = nuclear_tools.NuclearTarget(target)
            Q2 = 2 * tgt.mass * T * 1e-3
            dn = sum(
                float(np.atleast_1d(processes.UpscatteringProcess(
                    nu_projectile=pdg.numu, nu_upscattered=pdg.neutrino4, nuclear_target=tgt,
                    scattering_regime="coherent", TheoryModel=mdl, helicity=h,
                ).diff_xsec_Q2(E, np.array([Q2])))[0])
                for h in ("conserving", "flipping")
            ) * 2 * tgt.mass * 1e-3  # fmt: skip
            ff = float(np.atleast_1d(tgt.F1_EM(np.array([Q2])))[0])
            ours = Z[target] ** 2 * dipole_dsigma_dT(E * 1e3, T, M * 1e3, tgt.mass * 1e3, 1e-9) * ff**2
            assert ours == pytest.approx(dn, rel=2e-3)
    finally:
        logging.disable(logging.NOTSET)


# -- command line ------------------------------------------------------------------------------------------
def test_cli_spectrum_info_and_bad_beam(capsys):
    import json

    from nugen.cli import main

    code = main(
        ["spectrum", "--detector", "charm2", "--mass", "100", "--mu", "3e-9", "--flavour", "mu", "--json"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["energy_unit"] == "GeV" and doc["bin_edges"] == [3.0, 24.0] and doc["data"] == [2677.0]
    assert doc["counts"]["sm_nu"][0] == pytest.approx(2677.0)
    assert doc["counts"]["dipole"][0] == pytest.approx(doc["counts"]["dipole_electron"][0])
    assert doc["calibration"]["POT_x_efficiency"] > 0
    code = main(["spectrum", "--detector", "charm2", "--set", "charm2.beam=nue", "--mu", "1e-9"])
    out, err = capsys.readouterr()
    assert code == 2 and "'nue'" in err and "numubar" in err and len(err.strip().splitlines()) == 1
    code = main(
        [
            "spectrum",
            "--detector",
            "charm2",
            "--mass",
            "600",
            "--mu",
            "1e-9",
            "--flavour",
            "mu",
            "-v",
            "--csv",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0 and "dipole signal is zero" in err
    assert main(["info", "charm2"]) == 0
    assert "photon_efficiency" in capsys.readouterr().out


# -- the published curve (Coloma et al. 2017) vs nugen's default (issue 15, item 1) -----------------------


def _published_charm2():
    from fits.data import read

    t = read("coloma2017_charm2.csv")
    return np.asarray(t["M_N_MeV"], dtype=float), np.asarray(t["mu_muB"], dtype=float)


def test_published_curve_closes_at_the_19_GeV_threshold_and_follows_its_shape():
    # The published curve closes at 139.2 MeV: exactly where M + M^2/(2 m_e) = 19.1 GeV, the mean
    # nubar_mu energy of the beam (0.05 % covers the digitisation). With every recoil above 10 MeV
    # counted at that single energy, the rise follows the published one to 6 % up to 136 MeV.
    from fits.charm2_limit import published_recast_closure_MeV, published_recast_relative_limit

    M, mu = _published_charm2()
    closure = M[mu > 1e-7].min()
    assert published_recast_closure_MeV() == pytest.approx(closure, rel=5e-4)
    rising = M <= 136.2
    rel = mu[rising] / np.median(mu[M < 5])
    shape = published_recast_relative_limit(M[rising])
    assert np.max(np.abs(shape / rel - 1)) < 0.06
    assert np.isinf(published_recast_relative_limit(140.0))
    with pytest.raises(InvalidParameterError, match="E_nu_MeV"):
        published_recast_closure_MeV(-1.0)


def test_default_limit_is_stronger_than_published_by_a_constant_factor_below_50_MeV(det):
    # Ours (flux-folded, 3-24 GeV window, both samples): 0.54 x the published level where both are flat
    # (1-50 MeV); the ratio is a documented, unexplained difference (docs/validation.md), pinned here
    # to 3 % so that any change of it is seen.
    M, mu = _published_charm2()
    for m in (1.0, 10.0, 50.0):
        pub = np.interp(m, M[M < 137], mu[M < 137])
        ours = charm2_detector_limit(det, m, "mu").mu_upper_muB
        assert ours / pub == pytest.approx(0.54, rel=0.03), m


# -- one sampler, two modes (issue 16): weighted and unweighted samples against the spectrum ---------------
SHAPE_EDGES = np.geomspace(3000.0, 24000.0, 9)  # MeV: eight bins of the analysis window
SPLIT = (("dipole_e", "dipole_electron"), ("dipole_A", "dipole_photon"), ("sm_e", "sm_nu"))


def _chi2_p(observed, variance, expected) -> tuple[float, int]:
    from scipy import stats

    m = expected > 0
    chi2 = float(np.sum((observed[m] - expected[m]) ** 2 / variance[m]))
    return float(stats.chi2.sf(chi2, int(m.sum()))), int(m.sum())


@pytest.fixture(scope="module")
def shape_model():
    # M_N = 60 MeV, mu = 2e-8: the three channels of comparable size (photons decay fast enough)
    return DipolePortal(60.0, 2e-8, flavour="mu")


@pytest.fixture(scope="module")
def spectrum_counts(det_gamma, shape_model):
    return det_gamma.expected_counts(shape_model, SHAPE_EDGES)


def test_unweighted_sample_follows_the_spectrum_per_bin_and_channel(det_gamma, shape_model, spectrum_counts):
    # chi^2 of the unweighted counts per bin against the spectrum's expected counts scaled to the
    # sample; variance = Poisson of the counts + the spectrum's own MC (2 % for photons, n_mc events)
    cols = det_gamma.generate(shape_model, 60_000, seed=11, processes=tuple(PROCESS_CODES), weighted=False)
    u = det_gamma.last_unweighting
    assert cols["weight"].size == 60_000 and np.all(cols["weight"] == cols["weight"][0])
    # the pilot bound (x 1.2) is exceeded by a few photon candidates in the weight tail: the share of the
    # rate they leave out is stated by the engine and must stay far below the MC error (1e-3)
    assert np.all(cols["pass_selection"]) and u.diagnostics.missed_fraction < 1e-3
    total = sum(float(spectrum_counts[k].sum()) for _, k in SPLIT)
    err = math.hypot(u.rate_error, 0.02 * float(spectrum_counts["dipole_photon"].sum()))
    assert u.rate == pytest.approx(total, abs=5 * err)
    per_event = cols["weight"][0]
    for proc, key in SPLIT:
        sel = cols["process"] == PROCESS_CODES[proc]
        h, _ = np.histogram(cols["Eobs_keV"][sel] / 1e3, SHAPE_EDGES)
        e = spectrum_counts[key] / per_event
        var = e + ((0.02 if proc == "dipole_A" else 0.0) * e) ** 2
        p, n = _chi2_p(h, var, e)
        assert n >= 6 and p > 1e-4, (key, h, e)
    # photon events decay inside the fiducial region (forced vertex), at the analytic probability's events
    ph = cols["process"] == PROCESS_CODES["dipole_A"]
    assert np.all((cols["decay_z_cm"][ph] >= -1e-6) & (cols["decay_z_cm"][ph] <= 3100.0 + 1e-6))


def test_weighted_sample_follows_the_spectrum_per_bin_and_channel(det_gamma, shape_model, spectrum_counts):
    cols = det_gamma.generate(shape_model, 40_000, seed=12, processes=tuple(PROCESS_CODES))
    for proc, key in SPLIT:
        sel = cols["process"] == PROCESS_CODES[proc]
        w = cols["weight"][sel]
        h, _ = np.histogram(cols["Eobs_keV"][sel] / 1e3, SHAPE_EDGES, weights=w)
        h2, _ = np.histogram(cols["Eobs_keV"][sel] / 1e3, SHAPE_EDGES, weights=w**2)
        e = spectrum_counts[key]
        p, n = _chi2_p(h, h2 + ((0.02 if proc == "dipole_A" else 0.0) * e) ** 2, e)
        assert n >= 6 and p > 1e-4, (key, h, e)


def test_unweighted_sample_is_reproducible_and_independent_of_the_weighted_one(det_gamma, shape_model):
    a = det_gamma.generate(shape_model, 3000, seed=5, weighted=False)
    b = det_gamma.generate(shape_model, 3000, seed=5, weighted=False)
    c = det_gamma.generate(shape_model, 3000, seed=6, weighted=False)
    np.testing.assert_array_equal(a["Eobs_keV"], b["Eobs_keV"])
    assert not np.array_equal(a["Eobs_keV"], c["Eobs_keV"]) and "weight_production" not in a


def test_samples_on_two_processes_equal_those_of_one(det_gamma, shape_model):
    # pieces and chunks draw from their own spawned streams; the channels pickle to the workers
    for weighted, n in ((False, 20_000), (True, 6_000)):  # two pieces of 16384; one chunk per channel
        one = det_gamma.generate(shape_model, n, seed=8, weighted=weighted)
        two = det_gamma.generate(shape_model, n, seed=8, weighted=weighted, workers=2)
        assert one.keys() == two.keys()
        for k in one:
            np.testing.assert_array_equal(one[k], two[k], err_msg=k)


def test_unweighted_sample_without_selected_events_says_so(det, shape_model):
    # default photon_efficiency = 0: no photon passes; a photon-only sample is empty
    with pytest.raises(InvalidParameterError, match="no selected CHARM-II events"):
        det.generate(shape_model, 100, seed=1, processes=("dipole_A",), weighted=False)
    with pytest.raises(KinematicsError, match="beyond the beam's reach"):
        det.generate(DipolePortal(5000.0, 1e-8, flavour="mu"), 100, seed=1, processes=("dipole_e",),
                     weighted=False)  # fmt: skip
