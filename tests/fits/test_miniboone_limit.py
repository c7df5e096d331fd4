"""fits.miniboone_limit: the counting limit against a hand-written profile likelihood, the two-bin statistic,
the dispatch through fits.limits and the published curve's table."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, special

from detectors import get_detector
from fits.limits import LIMIT_METHODS, detector_limit
from fits.miniboone_limit import (
    DEFAULT_CL,
    miniboone_detector_limit,
    published_curve,
    signal_limit_events,
)
from nugen import DipolePortal


def _prof_bin(s: float, n: float, b0: float, sb: float) -> float:
    """-2 ln L of one bin, b profiled by hand: 2 (s + b - n ln(s + b)) + ((b - b0)/sb)^2 (closed form)."""
    # d/db = 0: (s + b - n) sb^2 + (b - b0)(s + b) = 0, a quadratic in b
    A, B, C = 1.0, s - b0 + sb * sb, (s - n) * sb * sb - b0 * s
    b = (-B + math.sqrt(B * B - 4 * A * C)) / (2 * A)
    return 2 * (s + b - n * math.log(s + b)) + ((b - b0) / sb) ** 2


def _direct_upper_limit(n: float, b0: float, sb: float, cl: float) -> tuple[float, float]:
    crit = float(special.chdtri(1, 2 - 2 * cl))
    s_hat = max(n - b0, 0.0)
    f0 = _prof_bin(s_hat, n, b0, sb)
    up = optimize.brentq(
        lambda s: _prof_bin(s, n, b0, sb) - f0 - crit, s_hat + 1e-9, s_hat + 30 * math.sqrt(n + sb**2)
    )
    return s_hat, up


@pytest.mark.parametrize(
    ("n", "b", "sb"), [(1959.0, 1590.568, 79.002), (478.0, 398.198, 22.992), (10.0, 12.0, 1.0)]
)
def test_counting_limit_against_a_hand_written_profile_likelihood(n, b, sb):
    s_hat, s_up, _ = signal_limit_events(n, b, sb, 0.95)
    d_hat, d_up = _direct_upper_limit(n, b, sb, 0.95)
    assert s_hat == pytest.approx(d_hat, abs=1e-3)
    assert s_up == pytest.approx(d_up, rel=1e-4)


def test_neutrino_mode_signal_limit_is_the_excess_plus_1645_sigma():
    # Gaussian limit of the one-bin profile likelihood: s_up ~ (n - b) + sqrt(2.706) sqrt(n + sb^2) (by hand)
    _, s_up, q0 = signal_limit_events(1959.0, 1590.568, 79.002, 0.95)
    assert s_up == pytest.approx(368.43 + math.sqrt(2.7055) * math.sqrt(1959.0 + 79.002**2), rel=0.01)
    assert q0 == pytest.approx(368.43**2 / (1590.568 + 79.002**2), rel=0.05)


def test_limit_closes_on_the_signal_limit_of_the_bin():
    det = get_detector("miniboone")
    r = miniboone_detector_limit(det, 100.0, "mu")
    assert r.cl == DEFAULT_CL == 0.95
    _, d_up = _direct_upper_limit(1959.0, 1590.568, 79.002, 0.95)
    assert det.signal_counts(DipolePortal(100.0, r.mu_upper_muB, flavour="mu"))[0] == pytest.approx(
        d_up, rel=1e-4
    )
    assert 0 < r.mu_best_muB < r.mu_upper_muB


@pytest.mark.parametrize("mass", [100.0, 200.0])
def test_two_bin_limit_sits_at_the_threshold_of_a_hand_written_two_bin_statistic(mass):
    det = get_detector("miniboone", mode="both")
    r = miniboone_detector_limit(det, mass, "mu")
    n = det.observed()
    b = det.background_events
    sb = det.background_error_events

    def twice_nll(mu: float) -> float:
        s = det.signal_counts(DipolePortal(mass, mu, flavour="mu")) if mu > 0 else np.zeros(2)
        return sum(_prof_bin(float(s[i]), float(n[i]), float(b[i]), float(sb[i])) for i in range(2))

    res = optimize.minimize_scalar(lambda x: twice_nll(math.exp(x)), bounds=(math.log(1e-10), math.log(1e-8)),
                                   method="bounded", options={"xatol": 1e-8})  # fmt: skip
    best = min(res.fun, twice_nll(0.0))
    assert twice_nll(r.mu_upper_muB) - best == pytest.approx(float(special.chdtri(1, 0.1)), abs=2e-3)
    assert r.mu_best_muB == pytest.approx(math.exp(res.x), rel=1e-3)


def test_dispatch_and_asimov():
    assert LIMIT_METHODS["miniboone"] == "fits.miniboone_limit:miniboone_detector_limit"
    det = get_detector("miniboone")
    a = detector_limit(det, 100.0, "mu", cl=0.95)
    b = miniboone_detector_limit(det, 100.0, "mu")
    assert a.mu_upper_muB == pytest.approx(b.mu_upper_muB, rel=1e-9)
    exp = miniboone_detector_limit(det, 100.0, "mu", asimov=True)
    assert exp.expected and exp.mu_best_muB == 0.0 and exp.mu_upper_muB < b.mu_upper_muB


def test_published_curve_table():
    M, mu = published_curve()
    assert np.all(np.diff(M) > 0)
    assert M[0] == pytest.approx(1.00197) and M[-1] == pytest.approx(981.172)
    assert mu.min() == pytest.approx(1.311921e-9)


def test_favoured_interval_ends_sit_at_the_two_sided_threshold():
    from fits.miniboone_limit import favoured_interval

    det = get_detector("miniboone")
    lo, hi = favoured_interval(det, 500.0, cl=0.9)
    n, b, sb = 1959.0, 1590.568, 79.002
    f0 = _prof_bin(n - b, n, b, sb)
    for mu in (lo, hi):
        s = float(det.signal_counts(DipolePortal(500.0, mu, flavour="mu"))[0])
        assert _prof_bin(s, n, b, sb) - f0 == pytest.approx(float(special.chdtri(1, 0.1)), abs=1e-3)
    assert favoured_interval(get_detector("miniboone", mode="both"), 500.0) is None
