"""The generation engine (:mod:`nugen.engine`) against densities whose shapes and integrals are analytic.

Tolerances: histograms are compared by a chi^2 whose p-value must exceed 1e-4 (a correct sampler fails
one seed in 10^4); rates within 5 standard errors of their own Monte Carlo estimate.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from nugen.engine import WeightedChannel, accept_reject, unweight_weighted
from nugen.errors import InvalidParameterError

EDGES = np.linspace(0.0, 1.0, 21)


def _chi2_p(counts: np.ndarray, expected: np.ndarray) -> float:
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    return float(stats.chi2.sf(chi2, counts.size - 1))


def _linear_and_flat(bound_0: float = 2.0):
    """Channel 0: density 2x on [0, 1] (uniform proposal, bound ``bound_0``); channel 1: uniform, bound 1."""

    def draw(k, m, rng):
        x = rng.random(m)
        return (2.0 * x / bound_0 if k == 0 else np.ones(m)), x

    def keep(k, x, acc, spare):
        return {"x": x[acc], "k": np.full(acc.size, k), "spare": spare}

    return draw, keep


def test_mixture_of_two_channels_follows_each_density_and_their_weights():
    # mixture probabilities 0.3 / 0.7 with exact bounds: channel 0 has density 2x, channel 1 flat
    draw, keep = _linear_and_flat()
    cols, diag = accept_reject(200_000, np.array([0.3, 0.7]), draw, keep, np.random.default_rng(1), 0.7)
    assert cols["x"].size == 200_000 and diag.violations == 0 and diag.max_ratio <= 1.0
    # both channels keep half/all of their candidates: kept fractions 0.3 * 0.5 : 0.7 * 1
    frac0 = np.mean(cols["k"] == 0)
    p0 = 0.15 / 0.85
    assert frac0 == pytest.approx(p0, abs=5 * np.sqrt(p0 * (1 - p0) / 2e5))
    for k, cdf in ((0, EDGES**2), (1, EDGES)):
        x = cols["x"][cols["k"] == k]
        h, _ = np.histogram(x, EDGES)
        assert _chi2_p(h, x.size * np.diff(cdf)) > 1e-4
    # the spare variate u / ratio of kept candidates is uniform on [0, 1) and independent of x
    h, _ = np.histogram(cols["spare"], EDGES)
    assert _chi2_p(h, cols["spare"].size / 20 * np.ones(20)) > 1e-4
    assert abs(stats.pearsonr(cols["spare"], cols["x"])[0]) < 5 / np.sqrt(2e5)


def test_the_same_stream_gives_the_same_events_and_the_order_is_shuffled():
    draw, keep = _linear_and_flat()
    a, _ = accept_reject(5000, np.array([0.5, 0.5]), draw, keep, np.random.default_rng(3), 0.75)
    b, _ = accept_reject(5000, np.array([0.5, 0.5]), draw, keep, np.random.default_rng(3), 0.75)
    np.testing.assert_array_equal(a["x"], b["x"])
    # kept channels are interleaved, not blocks: runs of equal k are as short as for random order
    switches = np.count_nonzero(np.diff(a["k"]))
    assert switches > 0.4 * a["k"].size


def test_a_bound_too_low_is_counted_with_the_share_of_the_rate_it_misses():
    # density 2x with bound 1.5: ratio 4x/3 > 1 above x = 3/4; the missed rate is the integral of
    # (4x/3 - 1) over [3/4, 1] = 1/24 out of the integral of 4x/3 over [0, 1] = 2/3: 1/16
    draw, keep = _linear_and_flat(bound_0=1.5)
    _, diag = accept_reject(100_000, np.array([1.0, 0.0]), draw, keep, np.random.default_rng(5), 0.6)
    assert diag.violations == pytest.approx(0.25 * diag.proposed, rel=0.05)
    assert diag.max_ratio == pytest.approx(4.0 / 3.0, rel=1e-3)
    assert diag.missed_fraction == pytest.approx(1.0 / 16.0, rel=0.03)


@dataclass(frozen=True)
class _exponential:  # a class rather than a closure so that it pickles to worker processes
    """Weighted sampler of rate_scale * slope e^{-slope x} / (1 - e^{-slope}) on [0, 1] from uniform x."""

    rate_scale: float
    slope: float

    def __call__(self, m, rng):
        x = rng.random(m)
        density = self.rate_scale * self.slope * np.exp(-self.slope * x) / (1.0 - np.exp(-self.slope))
        return {"x": x, "weight": density / m}  # weights sum to an estimate of rate_scale


def test_unweighting_weighted_samplers_gives_their_shapes_rates_and_proportions():
    channels = [
        WeightedChannel("steep", _exponential(3.0, 4.0)),
        WeightedChannel("flat", _exponential(1.0, 0.5)),
    ]
    s = unweight_weighted(channels, 100_000, 11)
    assert s.diagnostics.violations == 0  # the pilot maxima x 1.2 bound both densities (max at x = 0)
    assert s.rate == pytest.approx(4.0, abs=5 * s.rate_error) and s.rate_error < 0.01
    assert s.columns["weight"].sum() == pytest.approx(s.rate)
    frac = np.mean(s.channel == 0)
    assert frac == pytest.approx(0.75, abs=5 * np.sqrt(0.75 * 0.25 / 1e5))
    for k, slope in ((0, 4.0), (1, 0.5)):
        x = s.columns["x"][s.channel == k]
        cdf = (1.0 - np.exp(-slope * EDGES)) / (1.0 - np.exp(-slope))
        h, _ = np.histogram(x, EDGES)
        assert _chi2_p(h, x.size * np.diff(cdf)) > 1e-4


def test_unweighting_a_channel_of_zero_weight_keeps_none_of_it():
    def nothing(m, rng):
        return {"x": rng.random(m), "weight": np.zeros(m)}

    channels = [WeightedChannel("a", _exponential(1.0, 1.0)), WeightedChannel("b", nothing)]
    s = unweight_weighted(channels, 1000, 2)
    assert np.all(s.channel == 0) and s.rate_by_channel[1] == 0.0


def test_bad_input_is_named():
    draw, keep = _linear_and_flat()
    with pytest.raises(InvalidParameterError, match="acceptance = 0"):
        accept_reject(10, np.array([1.0, 0.0]), draw, keep, np.random.default_rng(), 0)
    with pytest.raises(InvalidParameterError, match="n = 0"):
        accept_reject(0, np.array([1.0, 0.0]), draw, keep, np.random.default_rng(), 0.5)
    with pytest.raises(InvalidParameterError, match="at least one channel"):
        unweight_weighted([], 10, None)

    def zero(m, rng):
        return {"weight": np.zeros(m)}

    with pytest.raises(InvalidParameterError, match=r"pilot is zero .*nothing"):
        unweight_weighted([WeightedChannel("nothing", zero)], 10, None)


def test_weighted_mode_shares_each_channels_rate_among_its_chunks_and_repeats_with_the_seed():
    from nugen.engine import weighted_sample

    channels = [WeightedChannel("a", _exponential(3.0, 4.0)), WeightedChannel("b", _exponential(1.0, 0.5))]
    cols, ch = weighted_sample(channels, 50_000, 9, chunk_size=7_000)  # 7 full chunks and one of 1000
    assert cols["x"].size == 100_000 and np.all(ch[:50_000] == 0) and np.all(ch[50_000:] == 1)
    for k, rate in ((0, 3.0), (1, 1.0)):
        w = cols["weight"][ch == k]
        assert w.sum() == pytest.approx(rate, abs=5 * np.sqrt(np.sum(w**2)))
    again, _ = weighted_sample(channels, 50_000, 9, chunk_size=7_000)
    np.testing.assert_array_equal(cols["x"], again["x"])
    with pytest.raises(InvalidParameterError, match="chunk_size = 0"):
        weighted_sample(channels, 10, 1, chunk_size=0)


def test_pieces_on_processes_or_an_executor_give_the_events_of_one_process():
    # every piece (chunk) draws from its own spawned stream, so where it runs cannot change it
    channels = [WeightedChannel("a", _exponential(3.0, 4.0)), WeightedChannel("b", _exponential(1.0, 0.5))]
    one = unweight_weighted(channels, 5_000, 4, chunk=1_000)
    two = unweight_weighted(channels, 5_000, 4, chunk=1_000, workers=2)
    with ThreadPoolExecutor(2) as ex:
        pool = unweight_weighted(channels, 5_000, 4, chunk=1_000, executor=ex)
    for other in (two, pool):
        np.testing.assert_array_equal(one.columns["x"], other.columns["x"])
        np.testing.assert_array_equal(one.channel, other.channel)
        assert other.rate == one.rate and other.diagnostics == one.diagnostics
    done = []
    unweight_weighted(channels, 2_500, 4, chunk=1_000, progress=done.append)
    assert done == [1000, 1000, 500]

    from nugen.engine import weighted_sample

    a, _ = weighted_sample(channels, 3_000, 5, chunk_size=1_000)
    b, _ = weighted_sample(channels, 3_000, 5, chunk_size=1_000, workers=2)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
