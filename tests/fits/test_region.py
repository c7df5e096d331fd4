"""Two-dimensional (M_N, mu) confidence regions (issue 17): the edges against a direct q scan and the limit's
two-sided interval, the global minimum over masses, bad input, executors, and coverage on toys."""

from __future__ import annotations

import numpy as np
import pytest

from detectors import get_detector
from fits.likelihood import BinnedLikelihood
from fits.limits import detector_limit
from fits.region import detector_region, region_threshold
from nugen.errors import InvalidParameterError

MASSES = (0.01, 0.05, 0.1, 0.2)


@pytest.fixture(scope="module")
def region():
    # XENON1T, B0 only (its excess), nu_mu: the seed's violet region
    return detector_region("xenon1t", MASSES, "mu", cls=(0.68, 0.9), progress=False)


def test_thresholds_are_the_chi2_quantiles():
    # chi2 with 2 dof: -2 ln(1 - CL) exactly; 1 dof: 2.706 at 90 %
    assert region_threshold(0.9, 2) == pytest.approx(-2 * np.log(0.1), rel=1e-12)
    assert region_threshold(0.68, 2) == pytest.approx(-2 * np.log(0.32), rel=1e-12)
    assert region_threshold(0.9, 1) == pytest.approx(2.705543, rel=1e-6)


def test_one_mass_with_one_dof_is_the_two_sided_interval_of_nugen_limit():
    r = detector_region("xenon1t", [0.0], "universal", dof=1, progress=False)
    lim = detector_limit("xenon1t", 0.0, "universal")
    ((lo, hi),) = r.points[0].regions["0.9"]
    assert lo == pytest.approx(lim.mu_lower_muB, rel=1e-6) and hi == pytest.approx(lim.mu_upper_muB, rel=1e-6)


def test_global_best_fit_is_the_smallest_minimum_over_the_masses(region):
    det = get_detector("xenon1t")
    fits = {m: BinnedLikelihood.from_detector(det, m, "mu").fit().twice_nll for m in MASSES}
    m_best = min(fits, key=fits.get)
    assert region.best["mass_MeV"] == m_best
    assert region.best["twice_nll"] == pytest.approx(fits[m_best], abs=1e-6)


def test_edges_match_a_direct_scan_of_q(region):
    # at every mass, the edges are where q_M(s) + Delta_M crosses chi2.ppf(0.9, 2): check on a dense s grid
    det = get_detector("xenon1t")
    c = region_threshold(0.9, 2)
    gmin = region.best["twice_nll"]
    for p in region.points:
        lik = BinnedLikelihood.from_detector(det, p.mass_MeV, "mu")
        delta = lik.fit().twice_nll - gmin
        ivs = p.regions["0.9"]
        if delta > c:
            assert ivs == []
            continue
        ((lo, hi),) = ivs
        s = np.linspace(0.0, 3.0 * lik.s_from_mu(hi), 1201)
        inside = np.array([lik.q(x) + delta <= c for x in s])
        mu_in = np.sqrt(s[inside] / lik.signal_norm)
        step = np.sqrt(s[1] / lik.signal_norm)
        # grid resolution in mu near the edges: ds / (2 mu sum S); 2 grid steps of tolerance
        tol = 2 * (s[1] - s[0]) / (2 * lo * lik.signal_norm) if lo > 0 else step
        assert mu_in.min() == pytest.approx(lo, abs=tol)
        assert mu_in.max() == pytest.approx(hi, abs=2 * (s[1] - s[0]) / (2 * hi * lik.signal_norm))


def test_larger_cl_gives_a_larger_region(region):
    for p in region.points:
        small, big = p.regions["0.68"], p.regions["0.9"]
        if small:
            assert big and big[0][0] <= small[0][0] and big[0][1] >= small[0][1]


def test_results_do_not_depend_on_the_executor(region):
    par = detector_region("xenon1t", MASSES, "mu", cls=(0.68, 0.9), workers=2, chunk_size=1, progress=False)
    assert [p.regions for p in par.points] == [p.regions for p in region.points]
    doc = region.to_dict()
    assert doc["command"] == "region" and doc["dof"] == 2 and doc["cls"] == [0.68, 0.9]
    assert set(doc["points"][0]["regions"]) == {"0.68", "0.9"}


def test_beyond_the_reach_the_region_is_open_or_empty():
    # at 5 MeV no solar neutrino makes N on an electron: the signal vanishes, mu is not constrained there;
    # XENON1T's data prefer a signal, so the no-signal mass is outside the 68 % region
    r = detector_region("xenon1t", [0.01, 5.0], "mu", cls=(0.68,), progress=False)
    assert r.points[1].regions["0.68"] == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dof": 3}, "dof must be 1 or 2"),
        ({"cls": (0.9, 0.9)}, "once"),
        ({"cls": (1.2,)}, "confidence level"),
        ({"masses": []}, "at least one mass"),
        ({"masses": [0.1, -1.0]}, "mass_MeV"),
        ({"detector": "charm2"}, "own limit method"),
    ],
)
def test_bad_input_names_the_problem(kwargs, match):
    args = {"detector": "xenon1t", "masses": [0.01, 0.1], **kwargs}
    with pytest.raises(InvalidParameterError, match=match):
        detector_region(args.pop("detector"), args.pop("masses"), progress=False, **args)


def _coverage(masses, m0, mu0, n, seed):
    det = get_detector("xenon1t")
    liks = {m: BinnedLikelihood.from_detector(det, m, "mu") for m in masses}
    truth = liks[m0]
    s0 = truth.s_from_mu(mu0)
    c = region_threshold(0.9, 2)
    rng = np.random.default_rng(seed)
    covered = 0
    for _ in range(n):
        toy = truth.toy(rng, s0)
        gmin = min(liks[m].with_data(toy.data, toy.centres).fit().twice_nll for m in masses)
        covered += toy.profile(s0).twice_nll - gmin <= c
    return covered / n


@pytest.mark.slow
def test_two_dof_region_covers_the_true_point_90_percent_of_the_time():
    # 500 pseudo-experiments thrown at (M0, mu0) = (0.25 MeV, 2e-10 mu_B) from XENON1T's B0-only model,
    # where the recoil spectrum's shape changes quickly with M_N (both parameters are measured); the region
    # is built over a 6-mass grid containing M0 and covers the truth if -2 ln L(M0, mu0) - global min <=
    # chi2.ppf(0.9, 2). Binomial error of 500 toys: 1.3 %; the issue asks for 90 +- 3 %
    grid = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35)
    assert _coverage(grid, 0.25, 2e-10, 500, 20261207) == pytest.approx(0.90, abs=0.03)


@pytest.mark.slow
def test_where_the_mass_is_barely_measured_the_region_over_covers():
    # at M_N << 0.1 MeV the spectrum hardly depends on M_N: -2 Delta ln L behaves like a chi2 with between
    # one and two degrees of freedom, so the 2-dof region covers more than 90 % (at most chi2_1's 96.8 %);
    # measured 93.8 % with this seed (docs/statistics.md)
    cov = _coverage((0.01, 0.03, 0.06, 0.1, 0.15, 0.2), 0.06, 5e-11, 500, 20261207)
    assert 0.90 - 0.03 <= cov <= 0.968 + 0.02
