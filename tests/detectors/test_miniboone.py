"""MiniBooNE electron-like-sample recast (detectors/miniboone.py) against independent numbers.

The published counts against the abstract of arXiv:1805.12028; the fiducial-sphere and dirt decay
probabilities against closed forms / direct quadrature and their analytic limits; E_QE against a direct
solution of the two-body kinematics; the antineutrino-mode flux table against its bin contents (and
DarkNews' file when present); the mu^2 (prompt) and mu^4 (long-lived) scaling of the signal; the command
line; the comparison with Magill et al.'s curve pinned (docs/card_notes/miniboone.md) and, when
../shared is present, cross-checked against the project's reference copy.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, optimize
from scipy.constants import physical_constants

from detectors import get_detector
from detectors.data import read
from detectors.miniboone import (
    MiniBooNE,
    dirt_decay_probability,
    photon_e_qe,
    sphere_decay_probability,
)
from fits.miniboone_limit import compare_published, miniboone_detector_limit
from nugen import DipolePortal
from nugen.constants import M_E
from nugen.errors import InvalidParameterError, UnknownNameError
from nugen.sources import get_source

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "limits_dipole_numu_miniboone.csv"
DARKNEWS_RHC = Path("/tmp/dnvenv/lib/python3.11/site-packages/DarkNews/include/fluxes/MiniBooNE_RHC.dat")


@pytest.fixture(scope="module")
def det():
    return get_detector("miniboone")


# -- inputs ------------------------------------------------------------------------------------------------
def test_every_parameter_row_has_a_unit_and_a_status():
    t = read("miniboone_params.csv")
    assert set(map(str, t["status"])) <= {"V", "U", "D"}
    keys = set(map(str, t["quantity"]))
    assert {
        "pot_nu",
        "n_obs_nu",
        "bkg_nu",
        "bkg_syst_nu",
        "n_obs_nubar",
        "fiducial_mass",
        "efficiency",
    } <= keys


def test_released_counts_agree_with_the_abstract(det):
    # arXiv:1805.12028 abstract: excess 381.2 +- 85.2 in 200 < E_QE < 1250 MeV (neutrino mode); the released
    # bins give 1959 observed, 1590.6 background: excess 368.4 (3.4 % below), and the background error after
    # the nu_mu constraint with Poisson sqrt(b) gives a total error within 4 % of 85.2
    obs, b, syst = (
        float(det.observed()[0]),
        float(det.background_events[0]),
        float(det.background_error_events[0]),
    )
    assert obs == 1959
    assert obs - b == pytest.approx(381.2, rel=0.04)
    assert math.hypot(math.sqrt(b), syst) == pytest.approx(85.2, rel=0.04)
    # the combined nu + nubar excess 460.5 of the abstract
    both = MiniBooNE(mode="both")
    assert float(np.sum(both.observed() - both.background_events)) == pytest.approx(460.5, rel=0.05)
    # the "abstract" background choice reproduces 381.2 +- 85.2 exactly
    ab = MiniBooNE(background="abstract")
    assert obs - ab.background_events[0] == pytest.approx(381.2)
    assert math.hypot(math.sqrt(ab.background_events[0]), ab.background_error_events[0]) == pytest.approx(
        85.2
    )


def test_fiducial_sphere_holds_445_tonnes(det):
    assert det.fiducial_mass_t == pytest.approx(445.0, rel=0.002)


def test_antineutrino_mode_flux_against_its_bin_contents():
    beam = get_source("miniboone", mode="numubar")
    # bin contents x 0.05 GeV (header): nubar_mu 2.9282e-10, nu_mu 5.4228e-11; the linear interpolant between
    # the bin centres misses the half bins at the ends (0.3-2 %)
    assert beam.component("numubar").flux == pytest.approx(2.9282e-10, rel=0.01)
    assert beam.component("numu").flux == pytest.approx(5.4228e-11, rel=0.03)
    assert beam.component("numubar").flux < beam.component("numubar").flux / 0.99


@pytest.mark.skipif(not DARKNEWS_RHC.exists(), reason="DarkNews' MiniBooNE_RHC.dat is not on this machine")
def test_antineutrino_mode_flux_table_is_darknews_file():
    from nugen.tables import parse_table

    ref = np.genfromtxt(DARKNEWS_RHC)
    from importlib import resources

    text = (
        resources.files("nugen.data").joinpath("miniboone_flux_numubar_mode.csv").read_text(encoding="utf-8")
    )
    t = parse_table(text, name="miniboone_flux_numubar_mode.csv")
    for col, i in (("E_GeV", 0), ("flux_nue_per_cm2_GeV_POT", 1), ("flux_numu_per_cm2_GeV_POT", 2),
                   ("flux_nuebar_per_cm2_GeV_POT", 4), ("flux_numubar_per_cm2_GeV_POT", 5)):  # fmt: skip
        assert np.array_equal(np.asarray(t[col], dtype=float), ref[:, i]), col


# -- geometry and kinematics ---------------------------------------------------------------------------------
def _sphere_closed_form(R: float, lam: float) -> float:
    """(3 / (2 R^3)) [2R^3/3 - lam R^2/2 + lam^3/4 - lam (lam R/2 + lam^2/4) e^{-2R/lam}] (by hand)."""
    g = 2 * R**3 / 3 - lam * R**2 / 2 + lam**3 / 4 - lam * (lam * R / 2 + lam**2 / 4) * math.exp(-2 * R / lam)
    return 1.5 * g / R**3


@pytest.mark.parametrize("lam", [3.0, 50.0, 501.0, 3000.0])
def test_sphere_decay_probability_against_the_closed_form(lam):
    assert sphere_decay_probability(501.0, lam) == pytest.approx(_sphere_closed_form(501.0, lam), rel=1e-8)


def test_sphere_decay_probability_limits():
    R = 501.0
    assert sphere_decay_probability(R, 1e-3) == pytest.approx(1.0, abs=1e-5)
    lam = np.array([1e7, 1e10])
    assert np.allclose(sphere_decay_probability(R, lam), 0.75 * R / lam, rtol=1e-4)
    assert sphere_decay_probability(R, np.inf) == 0.0
    with pytest.raises(InvalidParameterError, match="radius"):
        sphere_decay_probability(-1.0, 10.0)


def test_dirt_decay_probability_against_a_direct_quadrature():
    R, g, L, lam = 500.0, 100.0, 2000.0, 800.0

    def integrand(zp, b):  # production at zp in [-g-L, -g], decay inside the chord at impact b
        h = math.sqrt(R * R - b * b)
        return 2 * math.pi * b * (math.exp(-(R - h - zp) / lam) - math.exp(-(R + h - zp) / lam))

    val, _ = integrate.dblquad(integrand, 0.0, R, -g - L, -g, epsabs=1e-12, epsrel=1e-10)
    assert dirt_decay_probability(R, g, L, lam) == pytest.approx(val / (math.pi * R * R * L), rel=1e-7)
    # long-lived: mean chord 4R/3 over lambda
    assert dirt_decay_probability(R, g, L, 1e12) == pytest.approx(4 * R / 3 / 1e12, rel=1e-6)
    assert dirt_decay_probability(R, g, L, 0.0) == 0.0


@pytest.mark.parametrize(("E", "c"), [(300.0, 1.0), (500.0, 0.8), (150.0, 0.3)])
def test_e_qe_solves_two_body_kinematics_on_a_bound_neutron(E, c):
    # nu (E_nu along z) + n at rest, mass M' = M_n - 34 MeV -> e (E, angle) + p: energy conservation solved
    m_n = physical_constants["neutron mass energy equivalent in MeV"][0] - 34.0
    m_p = physical_constants["proton mass energy equivalent in MeV"][0]
    p = math.sqrt(E * E - M_E * M_E)

    def f(enu):
        p2 = enu**2 + p**2 - 2 * enu * p * c
        return enu + m_n - E - math.sqrt(m_p**2 + p2)

    enu = optimize.brentq(f, 1.0, 1e5, xtol=1e-10)
    assert photon_e_qe(E, c, 34.0) == pytest.approx(enu, rel=1e-9)


# -- the signal ----------------------------------------------------------------------------------------------
def test_signal_scales_as_mu2_for_prompt_and_mu4_for_long_lived_decays(det):
    prompt = [det.signal_counts(DipolePortal(600.0, mu, flavour="mu"))[0] for mu in (1e-7, 2e-7)]
    assert prompt[1] / prompt[0] == pytest.approx(4.0, rel=1e-3)
    long = [det.signal_counts(DipolePortal(10.0, mu, flavour="mu"))[0] for mu in (1e-10, 2e-10)]
    assert long[1] / long[0] == pytest.approx(16.0, rel=1e-3)


def test_long_lived_signal_is_three_quarters_radius_over_decay_length(det):
    m = DipolePortal(10.0, 1e-10, flavour="mu")
    p, w = det._mc(10.0, "dirac", "nu", "numu")
    expected = float(w @ (0.75 * 501.0 / m.decay_length_cm(p)) / w.sum())
    assert det.decay_probability(m) == pytest.approx(expected, rel=1e-3)


def test_signal_is_zero_for_zero_coupling_other_flavour_and_zero_efficiency(det):
    assert det.signal_counts(DipolePortal(100.0, 0.0, flavour="mu"))[0] == 0.0
    assert MiniBooNE(efficiency=0).signal_counts(DipolePortal(100.0, 1e-8, flavour="mu"))[0] == 0.0
    # a nu_e coupling sees only the 0.5 % nu_e component of the flux
    e = det.signal_counts(DipolePortal(100.0, 1e-8, flavour="e"))[0]
    mu = det.signal_counts(DipolePortal(100.0, 1e-8, flavour="mu"))[0]
    assert 0 < e < 0.02 * mu


def test_efficiency_and_dirt_scale_the_signal(det):
    m = DipolePortal(100.0, 1e-8, flavour="mu")
    base = det.signal_counts(m)[0]
    assert MiniBooNE(efficiency=0.3).signal_counts(m)[0] == pytest.approx(0.3 * base, rel=1e-12)
    assert MiniBooNE(dirt_length_m=100).signal_counts(m)[0] > base


def test_limit_is_null_above_the_beams_reach(det):
    r = miniboone_detector_limit(det, 8000.0, "mu")
    assert r.mu_upper_muB is None and "no sensitivity" in r.reason


# -- settings and the command line ---------------------------------------------------------------------------
def test_bad_settings_give_one_line_errors():
    with pytest.raises(UnknownNameError, match="foo"):
        MiniBooNE(foo=1)
    with pytest.raises(InvalidParameterError, match="fiducial_radius_m"):
        MiniBooNE(fiducial_radius_m=-1)
    with pytest.raises(UnknownNameError, match="mode"):
        MiniBooNE(mode="dump")
    with pytest.raises(InvalidParameterError, match="not proportional"):
        MiniBooNE().signal_templates(100.0)
    with pytest.raises(InvalidParameterError, match="mode=nu or"):
        MiniBooNE(mode="both").spectrum(DipolePortal(100.0, 1e-8, flavour="mu"))
    spec = MiniBooNE(mode="nubar").spectrum(DipolePortal(100.0, 1e-8, flavour="mu"))
    assert spec["data"] == [478.0] and spec["bin_edges"] == [200.0, 1250.0]


def test_cli_limit_json_and_null_beyond_reach(capsys):
    from nugen.cli import main

    code = main(
        ["limit", "--detector", "miniboone", "--mass", "100", "--flavour", "mu", "--cl", "0.95", "--json"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["detector"] == "miniboone" and doc["mu_upper_muB"] == pytest.approx(4.67e-9, rel=0.02)
    code = main(["limit", "--detector", "miniboone", "--mass", "8000", "--flavour", "mu", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["mu_upper_muB"] is None and "no sensitivity" in doc["reason"]
    code = main(["limit", "--detector", "miniboone", "--mass", "100", "--set", "miniboone.efficiency=-1"])
    out, err = capsys.readouterr()
    assert code == 2 and "efficiency" in err and len(err.strip().splitlines()) == 1
    assert main(["info", "miniboone"]) == 0
    assert "dirt_length_m" in capsys.readouterr().out


# -- the published curve (Magill et al. 2018, 95 % CL) -------------------------------------------------------
def test_limit_against_the_published_curve_pinned(det):
    # nugen (defaults: no dirt, efficiency 1) is weaker by x3.1-3.8 in the long-lived regime (<= 150 MeV),
    # where N made in the dirt upstream (not modelled by default) would dominate; stronger by up to x6 near
    # the published closure (docs/card_notes/miniboone.md). Pinned to 3 %. Values since the free proton (H1)
    # has its F1 and F2 form factors (nugen.xsec.nucleon): H1 up-scattering grows the signal at high mass
    # (700 MeV: 0.546 with Helm at A = 1, 0.317 now).
    pinned = {10.37: 3.74, 103.925: 3.07, 348.206: 1.22, 700.088: 0.317}
    cmp = compare_published(det, list(pinned))
    for m, r in zip(pinned, cmp["ratio"], strict=True):
        assert r == pytest.approx(pinned[m], rel=0.03), m


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.exists(), reason="../shared (the project's reference data) is not present")
def test_cross_check_against_the_shared_reference_copy(det):
    rows = [ln.split(",") for ln in SHARED.read_text().splitlines() if ln and not ln.startswith(("#", "M_N"))]
    M = np.array([float(r[0]) for r in rows])
    mu = np.array([float(r[1]) for r in rows])
    keep = M < 975.0  # the collection's closure rows at 975-981 MeV
    idx = np.linspace(0, keep.sum() - 1, 12).astype(int)
    cmp = compare_published(det, M[keep][idx])
    assert np.allclose(cmp["published_muB"], mu[keep][idx], rtol=1e-6)
    # measured over the published masses: see docs/card_notes/miniboone.md; margin 0.1
    assert float(np.median(np.abs(np.log10(cmp["ratio"])))) < 0.6


def test_low_energy_window_uses_the_first_three_release_bins():
    low = MiniBooNE(window="200-475")
    assert low.observed()[0] == 497 + 283 + 313
    assert low.background_events[0] == pytest.approx(361.002334 + 216.002142 + 239.436776, rel=1e-6)
    assert list(low.analysis_edges_MeV()) == [200.0, 475.0]
    m = DipolePortal(600.0, 1e-8, flavour="mu")
    # a heavier N gives harder photons: fewer of them fall below 475 MeV
    assert 0 < low.signal_counts(m)[0] < 0.6 * MiniBooNE().signal_counts(m)[0]


def test_sphere_decay_probability_table_matches_the_quadrature():
    """The interpolated table agrees with the direct quadrature (the reference) to 1e-8 relative."""
    from detectors.miniboone import _sphere_decay_probability_quadrature

    R = 501.0
    lam = R * np.exp(np.random.default_rng(7).uniform(math.log(1e-5), math.log(1e5), 20000))
    assert np.allclose(
        sphere_decay_probability(R, lam), _sphere_decay_probability_quadrature(R, lam), rtol=1e-8, atol=0
    )
    # asymptotes by hand from P = 3 int_0^1 t^2 (1 + expm1(-2t/u) u/(2t)) dt: 1 - 3u/4 and 3/(4u) - 2/(5u^2)
    assert sphere_decay_probability(R, 1e-3 * R) == pytest.approx(1 - 0.75e-3, rel=1e-9)
    assert sphere_decay_probability(R, 1e6 * R) == pytest.approx(0.75e-6 - 0.4e-12, rel=1e-9)
    assert sphere_decay_probability(R, [0.0, -1.0, np.nan]).tolist() == [1.0, 1.0, 1.0]


# -- per-bin photon spectrum and the ln p nodes ----------------------------------------------------
@pytest.mark.parametrize("M", [17.0, 450.0])
def test_binned_signal_counts_sum_to_signal_counts(det, M):
    m = DipolePortal(M, 3e-9, flavour="mu")
    b = det.binned_signal_counts(m, "nu")
    assert b.shape == (9,) and np.all(b >= 0) and b.sum() > 0
    np.testing.assert_array_equal(
        det.release_edges_MeV(), [200, 300, 375, 475, 550, 675, 800, 950, 1100, 1250]
    )
    assert b.sum() == pytest.approx(det.signal_counts(m)[0], rel=1e-13)
    # the low-energy window holds the same events of the first three bins (per-event sums: same MC)
    low = MiniBooNE(window="200-475")
    exact = det.binned_signal_counts(m, "nu", exact=True)
    assert low.binned_signal_counts(m, "nu", exact=True) == pytest.approx(exact[:3], rel=1e-12)
    with pytest.raises(InvalidParameterError):
        det.binned_signal_counts(m, "nubar")


@pytest.mark.parametrize("M", [3.3, 120.0, 700.0])
def test_node_sum_matches_the_per_event_sum(det, M):
    # from P ~ 1 (prompt) to P << 1 (long-lived, where the error bound h^2/8 = 1.25e-5 is reached)
    for mu in (1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5):
        m = DipolePortal(M, mu, flavour="mu")
        fast = det.binned_signal_counts(m, "nu")
        exact = det.binned_signal_counts(m, "nu", exact=True)
        np.testing.assert_allclose(fast, exact, rtol=1e-4, atol=0)
    # the weight is conserved exactly by the linear deposit
    _, w, ib = det._mc_events(M, "dirac", "nu", "numu")
    _, W = det._nodes(M, "dirac", "nu", "numu")
    np.testing.assert_allclose(W.sum(axis=1), np.bincount(ib, w, minlength=9), rtol=1e-12)


def test_node_sum_matches_the_per_event_sum_with_dirt():
    d = MiniBooNE(dirt_length_m=100)
    for mu in (1e-9, 1e-7):
        m = DipolePortal(30.0, mu, flavour="mu")
        np.testing.assert_allclose(
            d.binned_signal_counts(m, "nu"), d.binned_signal_counts(m, "nu", exact=True), rtol=1e-4
        )
