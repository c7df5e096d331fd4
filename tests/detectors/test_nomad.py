"""NOMAD single-photon recast (detectors/nomad.py, fits/nomad_limit.py) against independent numbers.

The Poisson-Gaussian limit on signal events against a direct scipy profile likelihood; the CC normalisation
against a quadrature of the flux table; the mu^2 (prompt) and mu^4 (long-lived) scaling of the signal from the
analytic limits of the decay probability; the limit's closure on the published per-CC limit; the ratio to the
published curve (Coloma et al. 2017) pinned where it differs (docs/card_notes/nomad.md).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, special

from detectors import get_detector
from detectors.data import read
from detectors.nomad import NOMAD, drift_chamber_target
from fits.limits import detector_limit
from fits.nomad_limit import (
    closure_masses_MeV,
    compare_published,
    nomad_detector_limit,
    published_curve,
    signal_limit_events,
)
from nugen import DipolePortal
from nugen.constants import N_A
from nugen.errors import InvalidParameterError, UnknownNameError
from nugen.sources import get_source


@pytest.fixture(scope="module")
def det():
    return get_detector("nomad")


def _direct_upper_limit(n: float, b0: float, sb: float, cl: float = 0.9) -> tuple[float, float]:
    """Profile likelihood by hand: -2 ln L(s, b) = 2 (s + b - n ln(s + b)) + ((b - b0)/sb)^2, b profiled."""

    def prof(s: float) -> float:
        res = optimize.minimize_scalar(
            lambda b: 2 * (s + b - n * math.log(s + b)) + ((b - b0) / sb) ** 2,
            bounds=(1e-6, b0 + 20 * sb),
            method="bounded",
            options={"xatol": 1e-10},
        )
        return res.fun

    s_hat = max(n - b0, 0.0)  # one bin: the best fit puts b at b0 and s at n - b0
    crit = float(special.chdtri(1, 2 - 2 * cl))
    f0 = prof(s_hat)
    s_up = optimize.brentq(lambda s: prof(s) - f0 - crit, s_hat + 1e-6, s_hat + 20 * math.sqrt(n + sb**2))
    return s_hat, s_up


# -- inputs ------------------------------------------------------------------------------------------------
def test_every_parameter_row_has_a_unit_and_a_status():
    t = read("nomad_params.csv")
    assert set(map(str, t["status"])) <= {"V", "U", "D"}
    assert all(str(u) for u in t["unit"])
    keys = set(map(str, t["quantity"]))
    assert {"n_obs_all", "bkg_all", "limit_per_cc_all", "n_obs_collinear", "s90_all", "n_cc"} <= keys


@pytest.mark.parametrize(
    ("sel", "n", "b", "st", "sy"), [("all", 155, 129.2, 8.5, 3.3), ("collinear", 78, 76.6, 4.9, 1.9)]
)
def test_signal_limit_of_the_published_bin_against_a_direct_scipy_profile_likelihood(sel, n, b, st, sy):
    sb = math.hypot(st, sy)  # 9.118 and 5.255 events
    s_hat, s_up, q0 = signal_limit_events(n, b, sb)
    d_hat, d_up = _direct_upper_limit(n, b, sb)
    assert s_hat == pytest.approx(d_hat, abs=1e-3)
    assert s_up == pytest.approx(d_up, rel=1e-4)
    # and the derived row of the parameter table is this number
    det = NOMAD(selection=sel)
    assert det.s90_calibration_events == pytest.approx(s_up, rel=2e-5)
    assert det.background_error_events == pytest.approx(sb)
    if sel == "all":
        assert s_up == pytest.approx(45.94, abs=0.01) and q0 == pytest.approx(2.93, abs=0.01)


def test_implied_efficiency_of_coherent_pi0_photons():
    # s90 / (limit per CC x N_CC): 45.94 / (4.0e-4 x 1.44e6) and 14.99 / (1.6e-4 x 1.44e6)
    assert NOMAD().implied_efficiency == pytest.approx(45.942 / 576.0, rel=1e-6)
    assert NOMAD(selection="collinear").implied_efficiency == pytest.approx(14.988 / 230.4, rel=1e-6)


def test_target_is_carbon_with_one_mole_of_nucleons_per_gram():
    c = drift_chamber_target()
    assert [n.name for n in c.nuclei] == ["C12"]
    assert c.nuclei[0].per_tonne == pytest.approx(1e6 * N_A / 12)
    assert c.electrons_per_tonne == pytest.approx(6 * 1e6 * N_A / 12)
    mix = drift_chamber_target(0.25)
    assert sum(n.A * n.per_tonne for n in mix.nuclei) == pytest.approx(1e6 * N_A)
    with pytest.raises(InvalidParameterError, match="oxygen_mass_fraction"):
        drift_chamber_target(1.5)


def test_cc_normalisation_against_a_quadrature_of_the_flux_table(det):
    comp = get_source("charm2", mode="numu").component("numu")
    knots = comp.pdf.E_MeV[(comp.pdf.E_MeV > 2500) & (comp.pdf.E_MeV < 2e5)]
    e_int = sum(
        integrate.quad(lambda e: e * comp.pdf(e), a, b)[0]
        for a, b in zip(np.r_[2500.0, knots], np.r_[knots, 300_000.0], strict=True)
    )
    expected = 1e6 * N_A * comp.flux * 0.677e-38 * e_int / 1000.0
    assert det.cc_events_per_tonne_per_pot == pytest.approx(expected, rel=1e-4)


def test_flux_energy_scale_stretches_the_proxy_mean():
    d = NOMAD(flux_energy_scale=25.0 / 24.850164)
    assert d._component.pdf.mean() == pytest.approx(25_000.0, rel=1e-6)


# -- the signal's mu dependence (analytic limits of the decay probability) ----------------------------------
def test_signal_scales_as_mu2_for_prompt_and_mu4_for_long_lived_decays(det):
    # M = 1 GeV, mu ~ 1e-7: lambda ~ mm << 4 m, every N decays inside: R ∝ mu^2 (decay probability -> 1)
    prompt = [det.photons_per_cc(DipolePortal(1000.0, mu, flavour="mu")) for mu in (1e-7, 2e-7)]
    assert prompt[1] / prompt[0] == pytest.approx(4.0, rel=1e-3)
    assert det.decay_probability(DipolePortal(1000.0, 2e-7, flavour="mu")) == pytest.approx(1.0, abs=1e-3)
    # M = 10 MeV, mu ~ 1e-10: lambda >> 4 m, P = L / (2 lambda) ∝ mu^2: R ∝ mu^4
    long = [det.photons_per_cc(DipolePortal(10.0, mu, flavour="mu")) for mu in (1e-10, 2e-10)]
    assert long[1] / long[0] == pytest.approx(16.0, rel=1e-3)


def test_long_lived_decay_probability_is_half_the_length_over_the_decay_length(det):
    m = DipolePortal(10.0, 1e-10, flavour="mu")
    p, w = det._mc(10.0)
    expected = float(w @ (400.0 / (2.0 * m.decay_length_cm(p))) / w.sum())
    assert det.decay_probability(m) == pytest.approx(expected, rel=1e-4)


def test_signal_is_zero_beyond_the_reach_and_for_zero_coupling(det):
    assert det.photons_per_cc(DipolePortal(100.0, 0.0, flavour="mu")) == 0.0
    assert det.photons_per_cc(DipolePortal(100.0, 1e-8, flavour="e")) == 0.0
    r = nomad_detector_limit(det, 30_000.0, "mu")
    assert r.mu_upper_muB is None and "no sensitivity" in r.reason


# -- the limit -----------------------------------------------------------------------------------------------
def test_limit_closes_on_the_published_per_cc_limit(det):
    # at the limit the selected signal is s90 and the single photons per CC are the published 4.0e-4
    r = detector_limit(det, 100.0, "mu")
    m = DipolePortal(100.0, r.mu_upper_muB, flavour="mu")
    assert det.signal_counts(m)[0] == pytest.approx(45.942, rel=1e-4)
    assert det.photons_per_cc(m) == pytest.approx(4.0e-4, rel=1e-4)
    assert r.mu_best_muB < r.mu_upper_muB and r.q0 == pytest.approx(2.93, abs=0.01)
    col = nomad_detector_limit(NOMAD(selection="collinear"), 100.0, "mu")
    assert NOMAD(selection="collinear").photons_per_cc(
        DipolePortal(100.0, col.mu_upper_muB, flavour="mu")
    ) == pytest.approx(1.6e-4, rel=1e-4)


def test_n_cc_cancels_and_photon_efficiency_rescales_the_signal(det):
    base = nomad_detector_limit(det, 300.0, "mu").mu_upper_muB
    assert nomad_detector_limit(NOMAD(n_cc=1e6), 300.0, "mu").mu_upper_muB == pytest.approx(base, rel=1e-6)
    # prompt regime (1 GeV): efficiency 1/4 -> mu x 2
    b1 = nomad_detector_limit(det, 1000.0, "mu").mu_upper_muB
    e1 = nomad_detector_limit(NOMAD(photon_efficiency=0.25), 1000.0, "mu").mu_upper_muB
    assert e1 / b1 == pytest.approx(2.0, rel=0.01)


def test_asimov_limit_is_the_median_expected_one(det):
    exp = nomad_detector_limit(det, 100.0, "mu", asimov=True)
    obs = nomad_detector_limit(det, 100.0, "mu")
    assert exp.expected and exp.mu_best_muB == 0.0 and exp.mu_upper_muB < obs.mu_upper_muB


def test_published_curve_is_the_lower_edge_of_the_region():
    M, mu = published_curve()
    assert np.all(np.diff(M) > 0) and M[0] == pytest.approx(4.10281) and M[-1] == pytest.approx(6128.13)
    assert mu.min() == pytest.approx(4.095276e-9)


def test_limit_against_the_published_curve_pinned(det):
    # Agreement within 20 % below 0.35 GeV (long-lived regime, limit ∝ rate^(1/4)) and above 4 GeV; nugen's
    # curve is weaker by up to x2.5 between 0.7 and 3 GeV (flat published minimum at 1.0-1.2 GeV, nugen's at
    # ~0.65 GeV). The published shape there is reproduced (+-12 %) with no nuclear form factor, but then the
    # high-mass closure is not: a named, unexplained difference (docs/card_notes/nomad.md). Pinned to 3 %.
    pinned = {4.10281: 0.896, 337.727: 0.812, 997.025: 1.678, 1958.85: 2.521, 5191.47: 0.847}
    cmp = compare_published(det, list(pinned))
    for m, r in zip(pinned, cmp["ratio"], strict=True):
        assert r == pytest.approx(pinned[m], rel=0.03), m


@pytest.mark.slow
def test_median_ratio_and_closure_masses(det):
    cmp = compare_published(det)
    assert cmp["median_abs_log10_ratio"] == pytest.approx(0.149, abs=0.01)
    lo, hi = closure_masses_MeV(det)
    assert lo == pytest.approx(3.65, rel=0.03) and hi == pytest.approx(6220.0, rel=0.03)


# -- settings and the command line ---------------------------------------------------------------------------
def test_bad_settings_give_one_line_errors():
    with pytest.raises(UnknownNameError, match="foo"):
        NOMAD(foo=1)
    with pytest.raises(InvalidParameterError, match="fiducial_length_m"):
        NOMAD(fiducial_length_m=-1)
    with pytest.raises(InvalidParameterError, match="oxygen_mass_fraction"):
        NOMAD(oxygen_mass_fraction=2)
    with pytest.raises(UnknownNameError, match="selection"):
        NOMAD(selection="some")
    with pytest.raises(InvalidParameterError, match="not proportional"):
        NOMAD().signal_templates(100.0)


def test_cli_limit_and_info(capsys):
    import json

    from nugen.cli import main

    code = main(["limit", "--detector", "nomad", "--mass", "100", "--flavour", "mu", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["detector"] == "nomad" and doc["mu_upper_muB"] == pytest.approx(1.70e-8, rel=0.01)
    code = main(["limit", "--detector", "nomad", "--mass", "100", "--set", "nomad.fiducial_length_m=-1"])
    out, err = capsys.readouterr()
    assert code == 2 and "fiducial_length_m" in err and len(err.strip().splitlines()) == 1
    assert main(["info", "nomad"]) == 0
    out = capsys.readouterr().out
    assert "155 observed events" in out and "photon_efficiency" in out


def test_fourier_bessel_form_factor_matters_only_at_high_mass(det):
    # measured C12 charge density instead of Helm: the same limit where q R << 1, 11 % stronger at 5.2 GeV
    fb = NOMAD(form_factor="fourier_bessel")
    for m, ratio in ((337.727, 0.994), (5191.47, 0.887)):
        helm = nomad_detector_limit(det, m, "mu").mu_upper_muB
        assert nomad_detector_limit(fb, m, "mu").mu_upper_muB / helm == pytest.approx(ratio, rel=0.01), m


def test_incoherent_channel_is_off_by_default_and_adds_the_bound_nucleon_rate(det):
    # prompt decays (M = 1 GeV, mu = 1e-7: every N decays inside), so photons per CC ∝ the up-scattering rate:
    # (coherent + incoherent) / coherent = 1 + (nucleon rate / nucleus rate) from nugen's rates quadrature
    from nugen.rates import RateCalculator

    assert det.settings["incoherent"] == "off" and det.settings["pauli_blocking"] == "none"
    model = DipolePortal(1000.0, 1e-7, flavour="mu")
    src = get_source("charm2", mode="numu")
    i = [c.name for c in src.components].index("numu")
    for setting, pb in (("protons", "none"), ("nucleons", "fermi_gas")):
        rc = RateCalculator(src, det.material, incoherent_nucleons=setting, pauli_blocking=pb)
        coh = rc.dipole_binned_templates([1e-12, 3e5], 1000.0, "nucleus")[i, 1, 0]
        inc = rc.dipole_binned_templates([1e-12, 3e5], 1000.0, "nucleon")[i, 1, 0]
        with_inc = NOMAD(incoherent=setting, pauli_blocking=pb).photons_per_cc(model)
        # two 1e5-event Monte Carlo samples against quadrature: their errors are <= 0.3 % each
        assert with_inc / det.photons_per_cc(model) == pytest.approx(1 + inc / coh, rel=0.01), setting
    with pytest.raises(UnknownNameError, match="incoherent"):
        NOMAD(incoherent="yes")
