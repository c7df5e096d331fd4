"""nugen.pchip against scipy's PchipInterpolator (the reference implementation of the same algorithm),
against closed forms it must reproduce exactly, and on the 8B table it interpolates in production."""

import re

import numpy as np
import pytest
from scipy import integrate, interpolate

from nugen import data
from nugen.errors import InvalidParameterError
from nugen.pchip import Pchip

# scipy evaluates the same cubic in its power form, nugen in the Hermite form: the two differ by a few
# ulps of the values' scale, so 1e-12 relative to the table's largest value is rounding, not algorithm.
RTOL = 1e-12


def _tables():
    rng = np.random.default_rng(11)
    x = np.cumsum(rng.uniform(0.05, 1.0, 40))
    yield "random values", x, rng.normal(size=40)
    yield "monotone increasing", x, np.cumsum(rng.uniform(0.0, 1.0, 40))
    yield "flat stretches and plateaus", x, np.round(rng.uniform(0, 3, 40))
    yield "steep end (end-slope limiter)", x[:6], np.array([0.0, 10.0, 10.5, 10.6, 3.0, -5.0])
    yield "two nodes", x[:2], np.array([1.0, 3.0])
    yield "three nodes", x[:3], np.array([1.0, 3.0, 2.0])
    table = data.read("solar_spectrum_8B_winter2006.csv", required=("E_MeV", "dNdE_per_MeV"))
    yield "Winter 2006 8B spectrum", table["E_MeV"], table["dNdE_per_MeV"]


@pytest.mark.parametrize(("name", "x", "y"), list(_tables()), ids=[t[0] for t in _tables()])
def test_values_slopes_and_integral_equal_scipys_pchip(name, x, y):
    ref = interpolate.PchipInterpolator(x, y, extrapolate=False)
    ours = Pchip(x, y)
    t = np.concatenate([x, np.linspace(x[0], x[-1], 5001)])
    scale = np.max(np.abs(y))
    np.testing.assert_allclose(ours(t), ref(t), rtol=0, atol=RTOL * scale)
    np.testing.assert_allclose(
        ours.slopes, ref.derivative()(x), rtol=0, atol=RTOL * scale / np.min(np.diff(x))
    )
    np.testing.assert_allclose(ours.integral(), ref.integrate(x[0], x[-1]), rtol=RTOL)


def test_interpolates_the_nodes_exactly_and_is_nan_outside():
    x, y = np.array([0.0, 1.0, 3.0]), np.array([2.0, -1.0, 4.0])
    p = Pchip(x, y)
    np.testing.assert_array_equal(p(x), y)
    assert np.all(np.isnan(p([-1e-9, 3.0 + 1e-9])))


def test_a_straight_line_is_reproduced_with_its_trapezoid_integral():
    # every secant equal: the weighted harmonic mean and the end conditions give that slope, the cubic
    # terms vanish, and the integral is the trapezoid's
    x = np.array([0.0, 0.5, 2.0, 2.1, 7.0])
    p = Pchip(x, 3.0 * x - 1.0)
    t = np.linspace(0.0, 7.0, 101)
    np.testing.assert_allclose(p(t), 3.0 * t - 1.0, rtol=0, atol=1e-13)
    assert p.integral() == pytest.approx(3.0 * 49.0 / 2.0 - 7.0, rel=1e-14)


def test_monotone_data_give_a_monotone_curve_without_overshoot():
    # the defining property (Fritsch & Carlson 1980): no new extrema between monotone nodes
    x = np.array([0.0, 1.0, 1.1, 4.0, 4.2, 9.0])
    y = np.array([0.0, 0.1, 5.0, 5.1, 9.0, 9.0])
    v = Pchip(x, y)(np.linspace(0.0, 9.0, 20001))
    assert np.all(np.diff(v) >= -1e-12)
    assert v.min() >= 0.0 and v.max() <= 9.0 + 1e-12


def test_integral_matches_adaptive_quadrature_of_the_curve():
    x = np.cumsum(np.random.default_rng(3).uniform(0.1, 1.0, 12))
    p = Pchip(x, np.sin(x))
    ref, err = integrate.quad(lambda t: float(p(t)), x[0], x[-1], points=x[1:-1], limit=200)
    assert p.integral() == pytest.approx(ref, abs=10 * err + 1e-13)


@pytest.mark.parametrize(
    ("x", "y", "words"),
    [
        ([0.0], [1.0], "length >= 2"),
        ([0.0, 1.0], [1.0], "equal length"),
        ([0.0, 1.0, 1.0], [1.0, 2.0, 3.0], "x[1] = 1.0 >= x[2] = 1.0"),
        ([0.0, np.nan], [1.0, 2.0], "finite"),
    ],
)
def test_bad_tables_raise_naming_the_problem(x, y, words):
    with pytest.raises(InvalidParameterError, match=re.escape(words)):
        Pchip(x, y)
