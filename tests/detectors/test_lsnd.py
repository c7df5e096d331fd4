"""LSND nu_e e recast (detectors/lsnd.py, fits/lsnd_limit.py) against independent numbers.

* the SM normalisation against the closed-form T integral of the tree-level nu_e e cross section averaged
  over the Michel spectrum by scipy quadrature, and the accepted SM rate against a second quadrature;
* the nu_mu line sampled through its delta pdf against the closed-form dipole cross section;
* the mu^2 (prompt) and mu^4 (long-lived) scaling of the signal; the kinematic reach from
  M + M^2/(2 m_A) = E_max;
* the Gaussian and Poisson limits on signal events against hand / scipy computations; the closure of the
  limit on s_up; the CLI defaults (electron flavour, 95 % CL);
* the ratio to the published curve of Magill et al. (2018) (skipped without ../shared), pinned at what was
  measured (docs/card_notes/lsnd.md).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import constants, integrate, optimize, special, stats

from detectors import get_detector
from detectors.data import read
from detectors.lsnd import LSND, _LinePdf, _samplable
from fits.limits import detector_limit
from fits.lsnd_limit import (
    compare_published,
    gaussian_signal_limit,
    lsnd_detector_limit,
    published_curve,
    signal_limit,
)
from nugen import DipolePortal
from nugen.beam_events import sample_scatterings
from nugen.constants import SIN2_THETA_W
from nugen.errors import InvalidParameterError
from nugen.sources import get_source
from nugen.sources.dar import E_MICHEL_MAX_MEV, E_NUMU_LINE_MEV
from nugen.xsec.dipole import dipole_sigma_total

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "limits_dipole_nue_lsnd.csv"
# CODATA via scipy (independent of nugen.constants): G_F [MeV^-2], m_e [MeV], (hbar c)^2 [MeV^2 cm^2]
G_F = constants.physical_constants["Fermi coupling constant"][0] * 1e-6
M_E = constants.physical_constants["electron mass energy equivalent in MeV"][0]
HBARC2 = (constants.physical_constants["reduced Planck constant times c in MeV fm"][0] * 1e-13) ** 2


@pytest.fixture(scope="module")
def det():
    return get_detector("lsnd")


def _sm_sigma(E: float, t_lo: float = 0.0, t_hi: float = math.inf) -> float:
    """Closed-form T integral [cm^2] of (2 G_F^2 m_e/pi)[g_L^2 + g_R^2 (1 - T/E)^2 - g_L g_R m_e T/E^2]."""
    gl, gr = 0.5 + SIN2_THETA_W, SIN2_THETA_W
    t_max = 2 * E * E / (2 * E + M_E)
    a, b = max(t_lo, 0.0), min(t_hi, t_max)
    if b <= a:
        return 0.0
    val = (gl**2 * (b - a) + gr**2 * E / 3 * ((1 - a / E) ** 3 - (1 - b / E) ** 3)
           - gl * gr * M_E * (b * b - a * a) / (2 * E * E))  # fmt: skip
    return 2 * G_F**2 * M_E / math.pi * val * HBARC2


def _michel_nue(E: float) -> float:
    x = E / E_MICHEL_MAX_MEV
    return 12 * x * x * (1 - x) / E_MICHEL_MAX_MEV


# -- inputs ------------------------------------------------------------------------------------------------
def test_every_parameter_row_has_a_unit_and_a_status():
    t = read("lsnd_params.csv")
    assert set(map(str, t["status"])) <= {"V", "U", "D"}
    assert all(str(u) for u in t["unit"])
    rows = dict(zip(map(str, t["quantity"]), t["value"], strict=True))
    # derived rows: stopped pi+ = nu_e flux x 4 pi L^2; decay path = 4V/S of the fiducial cylinder
    assert rows["n_pi_dar"] == pytest.approx(
        rows["nue_flux"] * 4 * math.pi * (rows["distance"] * 100) ** 2, rel=1e-3
    )
    r, h = rows["fiducial_diameter"] / 2, rows["fiducial_length"]
    assert rows["decay_path"] == pytest.approx(
        4 * math.pi * r * r * h / (2 * math.pi * r * (r + h)), rel=1e-3
    )


def test_sm_cross_section_against_the_closed_form_michel_average(det):
    num = integrate.quad(lambda e: _michel_nue(e) * _sm_sigma(e), 0, E_MICHEL_MAX_MEV, limit=200)[0]
    den = integrate.quad(lambda e: _michel_nue(e) * e, 0, E_MICHEL_MAX_MEV)[0]
    assert det.sm_sigma_over_E() == pytest.approx(num / den, rel=1e-6)
    # high-energy limit (2 G_F^2 m_e / pi)(g_L^2 + g_R^2 / 3) E: within the O(m_e / E) ~ 2 % corrections
    gl, gr = 0.5 + SIN2_THETA_W, SIN2_THETA_W
    assert det.sm_sigma_over_E() == pytest.approx(
        2 * G_F**2 * M_E / math.pi * (gl**2 + gr**2 / 3) * HBARC2, rel=0.03
    )
    # LSND measured 10.1e-45 cm^2 x E: ratio ~1.07, SM expectation = 191 / ratio
    assert det.sigma_ratio == pytest.approx(10.1e-45 / (num / den), rel=1e-6)
    assert det.sm_events == pytest.approx(191 / det.sigma_ratio, rel=1e-12)
    assert det.total_error_events == pytest.approx(191 * math.hypot(1.1, 1.0) / 10.1, rel=1e-12)


def test_accepted_sm_rate_against_a_quadrature(det):
    # every nu_e e electron with T >= 18 MeV has cos theta >= sqrt(T / (T + 2 m_e)) > 0.97 > 0.9:
    # only the energy window cuts
    flux = 1.0 / (4 * math.pi * 2980.0**2)
    n_e = det.material.electrons_per_tonne
    rate = integrate.quad(
        lambda e: _michel_nue(e) * _sm_sigma(e, 18.0, 50.0), 18.0, E_MICHEL_MAX_MEV, limit=200
    )[0]
    assert det.sm_accepted_rate() == pytest.approx(flux * n_e * rate, rel=0.01)
    # implied efficiency of the (UNVERIFIED) flux, mass and event count: close to the 0.232 of the GLoBES file
    assert det.implied_efficiency == pytest.approx(0.232, rel=0.05)


def test_the_line_samples_through_its_delta_pdf():
    src = get_source("lsnd_dar")
    line = _samplable(src.component("numu"))
    assert isinstance(line.pdf, _LinePdf) and not line.is_line
    mat = get_detector("lsnd").material
    ev = sample_scatterings(src, line, mat, "dipole_e", 3.0, 40_000, np.random.default_rng(5))
    assert np.all(ev.E_nu == E_NUMU_LINE_MEV)
    expected = (
        src.component("numu").flux * mat.electrons_per_tonne * float(dipole_sigma_total(E_NUMU_LINE_MEV, 3.0))
    )
    assert ev.weight.sum() == pytest.approx(expected, rel=0.01)


# -- signal ------------------------------------------------------------------------------------------------
def _magnetic_sigma(E: float, t_lo: float, t_hi: float, mu_muB: float) -> float:
    """T integral [cm^2] of the magnetic-moment cross section pi alpha^2 mu^2 / m_e^2 (1/T - 1/E)
    (Vogel and Engel, PRD 39 (1989) 3378; mu in units of mu_B = e / 2 m_e), T in [t_lo, min(t_hi, T_max)]."""
    t_max = 2 * E * E / (2 * E + M_E)
    a, b = t_lo, min(t_hi, t_max)
    if b <= a:
        return 0.0
    alpha = constants.fine_structure
    return math.pi * alpha**2 * mu_muB**2 / M_E**2 * (math.log(b / a) - (b - a) / E) * HBARC2


def test_recoil_electrons_at_zero_mass_are_the_magnetic_moment_signal():
    # second method: closed-form magnetic-moment T integral over the Michel nu_e spectrum by quadrature,
    # divided by the same for the SM (both electrons are forward enough to pass cos > 0.9, see above)
    on = get_detector("lsnd", recoil_electrons="on")
    mu = 1e-9
    R = on.electron_rate(DipolePortal(0.0, mu, flavour="e")) / on.sm_accepted_rate()

    def magnetic(e):
        return _michel_nue(e) * _magnetic_sigma(e, 18.0, 50.0, mu)

    num = integrate.quad(magnetic, 18.0, E_MICHEL_MAX_MEV, limit=200)[0]
    den = integrate.quad(
        lambda e: _michel_nue(e) * _sm_sigma(e, 18.0, 50.0), 18.0, E_MICHEL_MAX_MEV, limit=200
    )[0]
    assert R == pytest.approx(num / den, rel=0.01)  # the MC's statistical error is ~0.3 %
    # off (the default) adds nothing; above the reach of nu e -> N e (M + M^2/2m_e > 52.8 MeV at M = 7 MeV)
    # the two settings give the same photon signal
    off = get_detector("lsnd")
    assert off.electron_rate(DipolePortal(0.0, mu, flavour="e")) == 0.0
    model = DipolePortal(20.0, 1e-8, flavour="e")
    assert on.signal_counts(model)[0] == pytest.approx(off.signal_counts(model)[0], rel=1e-12)


def test_recoil_electrons_reproduce_lsnd_numu_magnetic_moment_limit():
    # LSND's own result from the same sample (hep-ex/0101039, abstract): mu_numu < 6.8e-10 mu_B (90 % CL in
    # the PDG listing; the CL is not in the abstract). nugen's M_N -> 0 limit with the recoil electrons of the
    # nu_mu line and the nubar_mu Michel flux: 6.65e-10 (0.98 x). No input was adjusted to it; the energy
    # window is the one input that moves it (e_min 10 / 25 MeV: 4.7e-10 / 9.1e-10), so the agreement also
    # supports the UNVERIFIED e_min = 18 MeV. Tolerance 10 %: LSND fitted energy and angle shapes, nugen
    # counts one bin.
    on = get_detector("lsnd", recoil_electrons="on")
    res = detector_limit(on, 0.0, "mu", cl=0.9)
    assert res.mu_upper_muB == pytest.approx(6.8e-10, rel=0.10)


def _helm_sq(q_MeV: float, A: int) -> float:
    """Helm form factor squared, Lewin and Smith, Astropart. Phys. 6 (1996) 87 (s = 0.9 fm, a = 0.52 fm,
    c = 1.23 A^(1/3) - 0.60 fm)."""
    hbarc_fm = constants.physical_constants["reduced Planck constant times c in MeV fm"][0]
    s, a, c = 0.9, 0.52, 1.23 * A ** (1 / 3) - 0.60
    rn = math.sqrt(c * c + 7 / 3 * math.pi**2 * a * a - 5 * s * s)
    qr, qs = q_MeV * rn / hbarc_fm, q_MeV * s / hbarc_fm
    return (3 * (math.sin(qr) - qr * math.cos(qr)) / qr**3) ** 2 * math.exp(-qs * qs)


def _point_dipole_dsigma_dt(t: float, E: float, m: float, M: float, d: float) -> float:
    """dsigma/dt [MeV^-4] of nu f -> N f off a point fermion of unit charge and mass M, coupling d in
    L = d nubar_L sigma^{mu nu} N_R F_{mu nu} + h.c. (= mu/2 in nugen's normalisation): Jodlowski and
    Trojanowski, arXiv:2011.04751, Eq. (A.10)."""
    alpha = constants.fine_structure
    num = (2 * M * M * (4 * E * E * t + m**4 - m * m * t) + 4 * E * M * t * (t - m * m)
           + m * m * t * (m * m - t))  # fmt: skip
    return -alpha * d * d * num / (2 * M * M * E * E * t * t)


def _coherent_sigma(E: float, m: float, mu_muB: float, Z: int, A: int, M: float) -> float:
    """Z^2 x (A.10) x Helm^2 (none for A = 1) integrated over the physical t range [cm^2]."""
    mu = mu_muB * math.sqrt(4 * math.pi * constants.fine_structure) / (2 * M_E)  # MeV^-1
    s = M * M + 2 * M * E
    p1, e3 = (s - M * M) / (2 * math.sqrt(s)), (s + m * m - M * M) / (2 * math.sqrt(s))
    p3, c = math.sqrt(e3 * e3 - m * m), (m * m / (2 * math.sqrt(s))) ** 2
    lo, hi = math.log((p1 - p3) ** 2 - c), math.log((p1 + p3) ** 2 - c)

    def f(u):
        q2 = math.exp(u)
        ff = _helm_sq(math.sqrt(q2), A) if A > 1 else 1.0
        return q2 * _point_dipole_dsigma_dt(-q2, E, m, M, mu / 2) * ff

    return Z * Z * integrate.quad(f, lo, hi, limit=300)[0] * HBARC2


@pytest.mark.parametrize("M_N", [1.0, 2.0])
def test_long_lived_photon_rate_against_an_independent_quadrature(M_N):
    # The photon channel at small M_N (where the published curve is 2.7x weaker in mu, see
    # docs/card_notes/lsnd.md) recomputed without nugen code: C and H of CH2 (N_A/14.027 CH2 per gram),
    # the Michel nu_e spectrum at 1/(4 pi (29.8 m)^2) per stopped pi+, the coherent cross section of
    # _coherent_sigma, N collinear with the neutrino and E_N = E_nu (recoil < 0.1 MeV), the long-lived
    # decay probability averaged over production along the 3.76 m path, L/(2 lambda), lambda = (p/M) c tau,
    # Gamma = mu^2 M^3/(16 pi) (= d^2 M^3/(4 pi)), the photon energy fraction x from 1 - cos theta* (Dirac N
    # from nu_L): dN/dx = 2(1 - x), so the 18-50 MeV window keeps (1 - 18/E)^2. The forward cut is off: it
    # removes N scattered at large |t| (17-21 % of the rate here), which the collinear hand model cannot
    # follow. Agreement 1 % (H as a point proton vs nugen's F1, F2; Monte Carlo noise).
    mu = 5e-8
    det = get_detector("lsnd", electron_channel="off", cos_min=-1)
    nugen_rate = det.photon_rate(DipolePortal(M_N, (mu, 0.0, 0.0)))
    alpha = constants.fine_structure
    mu_nat = mu * math.sqrt(4 * math.pi * alpha) / (2 * M_E)
    ctau_cm = math.sqrt(HBARC2) / (mu_nat**2 * M_N**3 / (16 * math.pi))
    n_ch2 = 1e6 * constants.Avogadro / 14.027
    m_c = 12 * constants.physical_constants["atomic mass constant energy equivalent in MeV"][0] - 6 * M_E
    m_p = constants.physical_constants["proton mass energy equivalent in MeV"][0]

    def rate(E):
        p = math.sqrt(E * E - M_N * M_N)
        sigma = n_ch2 * (_coherent_sigma(E, M_N, mu, 6, 12, m_c) + 2 * _coherent_sigma(E, M_N, mu, 1, 1, m_p))
        return _michel_nue(E) * sigma * 376.0 / (2 * p / M_N * ctau_cm) * (1 - 18.0 / E) ** 2

    hand = integrate.quad(rate, 18.0, E_MICHEL_MAX_MEV, limit=100, epsrel=1e-4)[0] / (4 * math.pi * 2980.0**2)
    assert nugen_rate == pytest.approx(hand, rel=0.03)


def test_signal_scales_as_mu2_when_prompt_and_mu4_when_long_lived(det):
    def s(mu):
        return float(det.signal_counts(DipolePortal(30.0, mu, flavour="e"))[0])

    # prompt: c tau = 0.42 cm at 1e-6 mu_B << 3.76 m; Pbar = 1 - O(lambda / L)
    assert s(2e-6) / s(1e-6) == pytest.approx(4.0, rel=0.01)
    # long-lived: Pbar = L / (2 lambda) ∝ mu^2 on top of the mu^2 production
    assert s(2e-11) / s(1e-11) == pytest.approx(16.0, rel=1e-3)


def test_flavours_kinematic_reach_and_null_limits(det):
    m_a = max(n.mass_MeV for n in det.material.nuclei)  # C13
    reach = optimize.brentq(lambda m: m + m * m / (2 * m_a) - E_MICHEL_MAX_MEV, 40, 53)
    assert det.kinematic_reach_MeV("e") == pytest.approx(reach, rel=1e-9)
    assert det.kinematic_reach_MeV("mu") == pytest.approx(reach, rel=1e-9)  # nubar_mu has the same endpoint
    assert det.kinematic_reach_MeV("tau") == 0.0
    assert lsnd_detector_limit(det, 52.0, "e").mu_upper_muB > 0
    beyond = lsnd_detector_limit(det, 53.0, "e")
    assert beyond.mu_upper_muB is None and "kinematic reach" in beyond.reason and "52.71" in beyond.reason
    tau = lsnd_detector_limit(det, 10.0, "tau")
    assert tau.mu_upper_muB is None and "no sensitivity" in tau.reason
    # mu_mu alone: nu_mu line (below 29.79 MeV) and nubar_mu; adding it to mu_e strengthens the limit
    e, mu, uni = (lsnd_detector_limit(det, 20.0, f).mu_upper_muB for f in ("e", "mu", "universal"))
    assert mu > 0 and uni < min(e, mu)
    zero = LSND(photon_efficiency=0)
    assert lsnd_detector_limit(zero, 20.0, "e").mu_upper_muB is None


# -- statistics --------------------------------------------------------------------------------------------
def test_gaussian_limit_by_hand():
    z = stats.norm.ppf(0.95)  # chi2.ppf(2 CL - 1, 1) = z^2
    s_hat, s_up, q0 = gaussian_signal_limit(191.0, 178.0, 28.0, 0.95)
    assert (s_hat, q0) == pytest.approx((13.0, (13.0 / 28.0) ** 2))
    assert s_up == pytest.approx(13.0 + z * 28.0, rel=1e-12)
    s_hat, s_up, q0 = gaussian_signal_limit(170.0, 178.0, 28.0, 0.90)  # deficit: q from the s = 0 boundary
    assert (s_hat, q0) == (0.0, 0.0)
    assert s_up == pytest.approx(-8.0 + math.sqrt(64.0 + stats.norm.ppf(0.9) ** 2 * 28.0**2), rel=1e-12)


def test_poisson_variant_against_a_direct_scipy_profile_likelihood():
    det = LSND(statistic="poisson")
    n, b0, sb = 191.0, det.sm_events, det.syst_error_events

    def prof(s: float) -> float:
        res = optimize.minimize_scalar(
            lambda b: 2 * (s + b - n * math.log(s + b)) + ((b - b0) / sb) ** 2,
            bounds=(1e-6, b0 + 20 * sb), method="bounded", options={"xatol": 1e-10},
        )  # fmt: skip
        return res.fun

    crit = float(special.chdtri(1, 2 - 2 * 0.95))
    f0 = prof(n - b0)
    d_up = optimize.brentq(lambda s: prof(s) - f0 - crit, n - b0 + 1e-6, n)
    s_hat, s_up, _ = signal_limit(det, 0.95)
    assert s_hat == pytest.approx(n - b0, abs=0.02)  # MIGRAD's tolerance
    assert s_up == pytest.approx(d_up, rel=1e-4)


def test_limit_closes_on_s_up_and_dispatches(det):
    r = lsnd_detector_limit(det, 20.0, "e", cl=0.95)
    _, s_up, q0 = signal_limit(det, 0.95)
    assert float(det.signal_counts(DipolePortal(20.0, r.mu_upper_muB, flavour="e"))[0]) == pytest.approx(
        s_up, rel=1e-4
    )
    assert r.q0 == pytest.approx(q0)
    assert detector_limit(det, 20.0, "e", cl=0.95).mu_upper_muB == r.mu_upper_muB
    asimov = lsnd_detector_limit(det, 20.0, "e", asimov=True)
    assert asimov.q0 == 0.0 and asimov.mu_best_muB == 0.0 and asimov.mu_upper_muB < r.mu_upper_muB


def test_event_count_cancels_in_the_gaussian_limit_but_not_in_the_poisson_one(det):
    # yield, errors, Y_SM and signal all scale with n_events: the UNVERIFIED count drops out
    ref = lsnd_detector_limit(det, 20.0, "e").mu_upper_muB
    assert lsnd_detector_limit(LSND(n_events=120), 20.0, "e").mu_upper_muB == pytest.approx(ref, rel=1e-6)
    p191 = lsnd_detector_limit(LSND(statistic="poisson"), 20.0, "e").mu_upper_muB
    p120 = lsnd_detector_limit(LSND(statistic="poisson", n_events=120), 20.0, "e").mu_upper_muB
    assert p120 > p191 * 1.01


def test_settings_are_checked():
    with pytest.raises(InvalidParameterError, match="cos_min"):
        LSND(cos_min=1.5)
    with pytest.raises(InvalidParameterError, match="e_max_MeV"):
        LSND(e_min_MeV=40, e_max_MeV=30)
    with pytest.raises(InvalidParameterError, match="not proportional"):
        LSND().signal_templates(10.0)


def test_cli_limit_defaults_to_electron_flavour_and_95_percent(capsys):
    from nugen.cli import main

    code = main(["limit", "--detector", "lsnd", "--mass", "20", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["flavour"], doc["cl"]) == ("e", 0.95)
    assert doc["mu_upper_muB"] == pytest.approx(7.34e-9, rel=0.01)  # docs/card_notes/lsnd.md
    code = main(["limit", "--detector", "lsnd", "--mass", "60", "--json"])
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert code == 0 and doc["mu_upper_muB"] is None and "kinematic reach" in doc["reason"]
    code = main(["limit", "--detector", "lsnd", "--mass", "20", "--set", "lsnd.decay_path_m=-1"])
    _, err = capsys.readouterr()
    assert code == 2 and "decay_path_m" in err and len(err.strip().splitlines()) == 1
    assert main(["info", "lsnd"]) == 0
    assert "191 observed events" in capsys.readouterr().out


# -- the published curve ------------------------------------------------------------------------------------
@pytest.mark.crosscheck
def test_against_the_published_curve(det):
    if not SHARED.exists():
        pytest.skip("../shared/data/limits_dipole_nue_lsnd.csv not available")
    lines = SHARED.read_text(encoding="utf-8").splitlines()
    ref = np.array([[float(v) for v in ln.split(",")[:2]] for ln in lines if ln[:1].isdigit()])
    M_pub, mu_pub = published_curve()
    assert np.allclose(M_pub, ref[: M_pub.size, 0]) and np.allclose(mu_pub, ref[: M_pub.size, 1])
    cmp = compare_published(det)
    # measured: median |log10 ratio| 0.359 over the 41 published masses below nugen's 52.71 MeV reach;
    # nugen ~2.7x stronger in mu at 1-3 MeV (long-lived N), within 25 % at 30-43 MeV, and closing at the
    # DAR endpoint where the published curve continues to 98 MeV (docs/card_notes/lsnd.md)
    assert cmp["M_MeV"].size == 41
    assert cmp["median_abs_log10_ratio"] == pytest.approx(0.359, abs=0.03)
    r = dict(zip(np.round(cmp["M_MeV"], 1), cmp["ratio"], strict=True))
    assert r[1.0] == pytest.approx(0.36, rel=0.05)
    assert 0.8 < r[35.7] < 1.25
    assert r[52.3] > 10
