"""Kinematics of nu X -> N X vs physics.md Sec. 2.2 / Sec. 7 items 5-7 and an explicit 2 -> 2 build."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from nugen.constants import M_E
from nugen.kinematics import min_neutrino_energy, recoil_cos_theta, recoil_range, threshold_energy

KEV = 1e-3  # MeV
M_SI28 = 28 * 931.494  # nucleus-like target, m_A = A x 931.494 MeV as in physics.md


# ---------------------------------------------------------------------------------------------------
# Reference numbers (physics.md Sec. 7)
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("E", "t_max_keV"),
    [(0.8613, 664.25), (0.42341, 264.06), (0.3843, 230.83), (1.442, 1224.96)],
    ids=["7Be-861", "pp-endpoint", "7Be-384", "pep"],
)
def test_t_max_massless_item5(E, t_max_keV):
    t_lo, t_hi = recoil_range(E, 0.0, M_E)
    assert t_lo == 0.0
    assert t_hi / KEV == pytest.approx(t_max_keV, abs=0.005)  # quoted to 0.01 keV
    assert t_hi == pytest.approx(2 * E * E / (2 * E + M_E), rel=1e-14)  # M = 0 closed form (Sec. 2.2)


@pytest.mark.parametrize(("M", "e_thr"), [(0.1, 0.10978), (0.3, 0.38806), (0.5, 0.74462), (1.0, 1.97848)])
def test_threshold_energy_item6(M, e_thr):
    assert float(threshold_energy(M, M_E)) == pytest.approx(e_thr, abs=5e-6)  # quoted to 1e-5 MeV


@pytest.mark.parametrize(
    ("M", "lo_keV", "lo_abs", "hi_keV"),
    [(0.1, 0.0336, 5e-5, 652.20), (0.3, 3.209, 5e-4, 552.83), (0.5, 42.64, 5e-3, 321.03)],
)
def test_recoil_range_at_7be_line_item7(M, lo_keV, lo_abs, hi_keV):
    t_lo, t_hi = recoil_range(0.8613, M, M_E)
    assert t_lo / KEV == pytest.approx(lo_keV, abs=lo_abs)  # half a unit of the last quoted digit
    assert t_hi / KEV == pytest.approx(hi_keV, abs=0.005)


# ---------------------------------------------------------------------------------------------------
# Threshold, E_min(T) and the T range are mutually consistent
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("m", [M_E, M_SI28], ids=["electron", "Si28"])
@pytest.mark.parametrize("M", [0.1, 0.5, 1.0])
def test_min_over_T_of_min_neutrino_energy_is_threshold(M, m):
    t_star = M * M / (2 * (m + M))  # single allowed recoil at threshold (Sec. 2.2)
    res = minimize_scalar(
        lambda lt: float(min_neutrino_energy(math.exp(lt), M, m)),
        bounds=(math.log(t_star) - 5, math.log(t_star) + 5),
        method="bounded",
        options={"xatol": 1e-10},
    )
    e_thr = float(threshold_energy(M, m))
    # the minimum of a smooth function: its value is found to ~ (xatol)^2, far below 1e-12
    assert res.fun == pytest.approx(e_thr, rel=1e-12)
    assert math.exp(res.x) == pytest.approx(t_star, rel=1e-6)  # location only to ~sqrt(eps)
    assert float(min_neutrino_energy(t_star, M, m)) == pytest.approx(e_thr, rel=1e-14)  # exact identity
    assert e_thr == pytest.approx(M + M * M / (2 * m), rel=1e-15)


@pytest.mark.parametrize("m", [M_E, M_SI28], ids=["electron", "Si28"])
def test_range_collapses_to_t_star_at_threshold_and_is_nan_below(m):
    for M in (0.05, 0.3, 2.0):
        e_thr = float(threshold_energy(M, m))
        t_lo, t_hi = recoil_range(e_thr, M, m)
        t_star = M * M / (2 * (m + M))
        # lambda = 0 exactly at the float threshold; T_min, T_max, T* are float expressions of one number
        # (regression: lambda expanded as (2mE - M^2)^2 - 4 m^2 M^2 came out < 0 here, giving NaN on Si-28)
        assert t_lo == pytest.approx(t_star, rel=1e-12)
        assert t_hi == pytest.approx(t_star, rel=1e-12)
        below = recoil_range(e_thr * (1 - 1e-6), M, m)
        assert np.isnan(below[0]) and np.isnan(below[1])


def test_min_neutrino_energy_massless_and_nonpositive_T():
    T = np.array([1e-6, 1e-3, 0.1, 2.0])
    expected = (T + np.sqrt(T * T + 2 * M_E * T)) / 2  # Sec. 2.2, M = 0
    np.testing.assert_allclose(min_neutrino_energy(T, 0.0, M_E), expected, rtol=1e-14)
    assert np.all(np.isinf(min_neutrino_energy([0.0, -1.0], 0.3, M_E)))


@settings(max_examples=200, deadline=None)
@given(
    T=st.floats(1e-6, 50.0),
    M=st.floats(0.0, 5.0),
    target=st.sampled_from([M_E, M_SI28]),
)
def test_min_neutrino_energy_puts_T_on_an_edge_of_the_range(T, M, target):
    # at E = E_min(T) the recoil T must be exactly T_min or T_max of that E
    E = float(min_neutrino_energy(T, M, target))
    t_lo, t_hi = recoil_range(E, M, target)
    # the edge is a simple root unless E is at threshold (double root, where sqrt(lambda) amplifies
    # round-off to ~1e-8): 1e-6 relative covers both
    assert min(abs(t_lo / T - 1), abs(t_hi / T - 1)) < 1e-6


# ---------------------------------------------------------------------------------------------------
# Explicit 2 -> 2 construction from recoil_cos_theta
# ---------------------------------------------------------------------------------------------------
def build_momenta(E, T, M, m):
    """Lab four-momenta (E, px, py, pz) for nu(k) X(p) -> N(k') X(p'), recoil angle from nugen."""
    cos_t = float(recoil_cos_theta(E, T, M, m))
    sin_t = math.sqrt(max(0.0, 1.0 - cos_t * cos_t))
    pp = math.sqrt(T * (T + 2 * m))
    k = np.array([E, 0.0, 0.0, E])
    p = np.array([m, 0.0, 0.0, 0.0])
    recoil = np.array([T, pp * sin_t, 0.0, pp * cos_t])  # p' - p, built directly: no m + T - m round-off
    return k, p, k - recoil, p + recoil, cos_t


def minkowski_sq(v):
    return v[0] ** 2 - v[1] ** 2 - v[2] ** 2 - v[3] ** 2


@settings(max_examples=300, deadline=None)
@given(
    target=st.sampled_from([M_E, M_SI28]),
    M=st.floats(0.05, 3.0),
    over=st.floats(1.001, 30.0),
    u=st.floats(0.0, 1.0),
)
def test_explicit_construction_puts_N_on_shell(target, M, over, u):
    E = over * float(threshold_energy(M, target))
    t_lo, t_hi = recoil_range(E, M, target)
    T = float(t_lo + u * (t_hi - t_lo))
    _, p, k2, p2, cos_t = build_momenta(E, T, M, target)
    assert cos_t <= 1 + 1e-9  # physical angle everywhere inside the range (edges: round-off)
    # k'^2 is E'^2 - |k'|^2, a difference of O(E^2) numbers: with E/M <= ~2e3 here, 1e-9 relative to M^2
    # leaves > 10x margin over round-off
    assert minkowski_sq(k2) == pytest.approx(M * M, rel=1e-9)
    # momentum transfer: q^2 = -2 m T (Sec. 2.2)
    q = p2 - p
    assert minkowski_sq(q) == pytest.approx(-2 * target * T, rel=1e-9)


@pytest.mark.parametrize("target", [M_E, M_SI28], ids=["electron", "Si28"])
def test_range_edges_are_where_the_recoil_goes_forward(target):
    rng = np.random.default_rng(7)
    for _ in range(50):
        M = rng.uniform(0.0, 2.0)
        E = rng.uniform(1.01, 40.0) * float(threshold_energy(M, target)) + 1e-3
        t_lo, t_hi = recoil_range(E, M, target)
        # cos(theta_T) = 1 at both edges (the numerator of cos is positive, so |cos| = 1 means cos = +1);
        # simple roots away from threshold: 1e-9 covers round-off in T_lo, T_hi and in cos itself
        assert float(recoil_cos_theta(E, t_hi, M, target)) == pytest.approx(1.0, abs=1e-9)
        if M > 0:
            assert float(recoil_cos_theta(E, t_lo, M, target)) == pytest.approx(1.0, abs=1e-9)
        # just outside the range cos > 1 (unphysical), just inside cos < 1
        assert recoil_cos_theta(E, t_hi * (1 + 1e-6), M, target) > 1
        assert recoil_cos_theta(E, t_hi * (1 - 1e-6), M, target) < 1
        if M > 0:
            assert recoil_cos_theta(E, t_lo * (1 - 1e-6), M, target) > 1
            assert recoil_cos_theta(E, t_lo * (1 + 1e-6), M, target) < 1


# ---------------------------------------------------------------------------------------------------
# Small-M behaviour (and the cancellation it exposes)
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("m", [M_E, M_SI28], ids=["electron", "Si28"])
@pytest.mark.parametrize("M", [1e-6, 1e-4, 1e-3, 1e-2])
@pytest.mark.parametrize("E", [0.3, 1.0, 10.0, 1e4])
def test_t_min_small_mass_limit(E, M, m):
    t_lo, _ = recoil_range(E, M, m)
    leading = M**4 / (8 * m * E * E)
    # T_min = M^4/(8 m E^2) [1 + M^2 (E + m)/(2 m E^2) + O((M^2/(m E))^2)] (expanding Sec. 2.2); we allow
    # twice the first correction. Regression: T_min used to come from a^2 - root^2, which cancels
    # catastrophically for M^2 << m E (T_min = 0 at M = 1e-4, E = 1 MeV; 30 % off at M = 1e-3, E = 10 MeV)
    first = M * M * (E + m) / (2 * m * E * E)
    assert float(t_lo) / leading - 1 == pytest.approx(first, abs=max(first, 1e-12))
