"""Vectorised samplers of nugen.sampling against their exact distributions.

Statistical tolerances: every goodness-of-fit test asks for a p-value above 1e-3 (a correct sampler
fails one such test in a thousand runs; the seeds are fixed, so the outcome is reproducible), and
every moment test allows 5 standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nugen.errors import InvalidParameterError
from nugen.sampling import (
    StepEnvelope,
    TabulatedDistribution,
    adaptive_grid,
    discrete,
    linear_cosine,
    split_counts,
    uniform_or_reciprocal,
)

P_MIN = 1e-3  # goodness-of-fit threshold (see module docstring)
N = 200_000


def chi2_p(observed, expected) -> float:
    """Pearson chi^2 p-value of counts against expected counts (bins with expectation > 0)."""
    ok = expected > 0
    chi2 = float(np.sum((observed[ok] - expected[ok]) ** 2 / expected[ok]))
    return float(stats.chi2.sf(chi2, int(ok.sum()) - 1))


def test_discrete_frequencies(rng):
    p = np.array([0.5, 0.0, 2.0, 1.0, 0.25])
    idx = discrete(rng, p, N)
    counts = np.bincount(idx, minlength=p.size)
    assert counts[1] == 0  # zero-probability category never drawn
    assert chi2_p(counts, N * p / p.sum()) > P_MIN


def test_split_counts(rng):
    c = split_counts(rng, 1000, [1, 0, 3])
    assert c.sum() == 1000 and c[1] == 0


@pytest.mark.parametrize("bad", [[], [0, 0], [1, -1], [1, np.nan]])
def test_discrete_rejects_bad_probabilities(rng, bad):
    with pytest.raises(InvalidParameterError, match="probabilities"):
        discrete(rng, bad, 3)


def test_adaptive_grid_meets_relative_tolerance():
    x, fx = adaptive_grid(lambda t: np.exp(-5 * t) + 0.1, 0.0, 3.0, n_initial=4, rtol=0.01)
    rel = np.abs(np.diff(fx)) / np.maximum(fx[:-1], fx[1:])
    assert rel.max() <= 0.01
    assert np.allclose(fx, np.exp(-5 * x) + 0.1)


def test_adaptive_grid_does_not_chase_zeros():
    # f -> 0 at both ends: relative changes never vanish there; the area criterion stops refinement
    x, _ = adaptive_grid(lambda t: t**2 * (1 - t) ** 2, 0.0, 1.0, rtol=0.01)
    assert x.size < 5000


def test_adaptive_grid_rejects_empty_interval():
    with pytest.raises(InvalidParameterError, match="lo < hi"):
        adaptive_grid(np.exp, 1.0, 1.0)


def test_step_envelope_dominates_and_samples_its_cells(rng):
    x, fx = adaptive_grid(lambda t: np.sin(t) ** 2 + 0.05, 0.0, 3.0, rtol=0.01)
    env = StepEnvelope(x, fx, margin=0.01)
    # dominance on a dense grid (the function is smooth, so 1 % margin covers the in-cell excess)
    t = np.linspace(0.0, 3.0, 100_001)
    j = np.clip(np.searchsorted(env.x, t, side="right") - 1, 0, env.height.size - 1)
    assert np.all(env.height[j] >= np.sin(t) ** 2 + 0.05)
    s, h = env.sample(rng, N)
    assert np.all((s >= x[0]) & (s <= x[-1]))
    cell = np.clip(np.searchsorted(env.x, s, side="right") - 1, 0, env.height.size - 1)
    assert np.array_equal(h, env.height[cell])
    # alias table: cell frequencies follow the cell areas (merge cells into 20 groups for statistics)
    groups = np.array_split(np.arange(env.height.size), 20)
    area = env.height * env.width
    expected = np.array([area[g].sum() for g in groups]) / env.integral * N
    counts = np.bincount(cell, minlength=env.height.size)
    observed = np.array([counts[g].sum() for g in groups])
    assert chi2_p(observed, expected) > P_MIN
    # uniform inside cells: positions within their cell
    frac = (s - env.x[cell]) / env.width[cell]
    assert stats.kstest(frac, "uniform").pvalue > P_MIN


def test_step_envelope_rejects_bad_input():
    with pytest.raises(InvalidParameterError):
        StepEnvelope([0, 1], [1, -1])
    with pytest.raises(InvalidParameterError):
        StepEnvelope([0, 0], [1, 1])
    with pytest.raises(InvalidParameterError, match="zero"):
        StepEnvelope([0, 1], [0, 0])


def test_tabulated_distribution_is_exact(rng):
    x = np.array([0.0, 0.5, 1.0, 2.0, 2.5])
    f = np.array([0.0, 2.0, 1.0, 1.0, 0.0])
    dist = TabulatedDistribution(x, f)
    s = dist.sample(rng, N)
    # exact CDF of the piecewise-linear density
    grid = np.linspace(0.0, 2.5, 5001)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dist.pdf(grid[1:]) + dist.pdf(grid[:-1])) * np.diff(grid))])
    assert cdf[-1] == pytest.approx(1.0, abs=1e-6)  # trapezoid on 5000 cells: exact for linear pieces

    def exact_cdf(v):
        return np.interp(v, grid, cdf)

    assert stats.kstest(s, exact_cdf).pvalue > P_MIN


@pytest.mark.parametrize(("a0", "a1"), [(0.0, 1.0), (1.0, 0.0), (0.3, 2.0)])
def test_uniform_or_reciprocal(rng, a0, a1):
    lo, hi = 1e-3, 30e-3
    s = uniform_or_reciprocal(rng, np.full(N, lo), np.full(N, hi), a0, a1)
    norm = a0 * (hi - lo) + a1 * np.log(hi / lo)

    def cdf(v):
        return (a0 * (v - lo) + a1 * np.log(v / lo)) / norm

    assert np.all((s >= lo) & (s <= hi))
    assert stats.kstest(s, cdf).pvalue > P_MIN


@pytest.mark.parametrize("a", [1.0, 0.0, -0.5, 0.7])
def test_linear_cosine(rng, a):
    c = linear_cosine(rng, a, N)
    assert np.all(np.abs(c) <= 1)

    def cdf(v):
        return (v + 1) / 2 - a * (v * v - 1) / 4

    assert stats.kstest(c, cdf).pvalue > P_MIN
    # mean of (1 - a c)/2 on [-1, 1] is -a/3; standard error sqrt(var/N) with var <= 1/3
    assert abs(c.mean() + a / 3) < 5 * np.sqrt(1 / 3 / N)


def test_linear_cosine_rejects_slope_beyond_one(rng):
    with pytest.raises(InvalidParameterError, match=r"\|a\| <= 1"):
        linear_cosine(rng, 1.5, 3)


def test_samplers_are_reproducible():
    a = uniform_or_reciprocal(np.random.default_rng(5), np.ones(10), np.full(10, 2.0), 1.0, 1.0)
    b = uniform_or_reciprocal(np.random.default_rng(5), np.ones(10), np.full(10, 2.0), 1.0, 1.0)
    assert np.array_equal(a, b)
