"""fits.likelihood: the binned Poisson likelihood, its minimum and its profile."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from fits.likelihood import BinnedLikelihood, Component, flavour_pattern
from nugen.errors import InvalidParameterError, UnknownNameError


def xenon_like(n_bins=29):
    """Backgrounds like XENON1T's: a constrained flat one, a free falling one, SM neutrinos."""
    x = np.arange(n_bins) + 1.5
    comps = [
        Component("B0", 50.0 * (1 - np.exp(-x / 2)), 2 / 76),
        Component("tritium", 20.0 * np.exp(-x / 5), None),
        Component("sm_nu", np.full(n_bins, 2.0), 0.1),
    ]
    signal = 1e23 * np.exp(-x / 3)  # events per mu_B^2
    return signal, comps


def test_one_bin_minimum_is_the_analytic_mle():
    # one bin, background known to 1e-6: s^ = n - b, and -2 ln L at the minimum is 0 (saturated)
    b, n = 120.0, 157
    lik = BinnedLikelihood([n], [1.0], [Component("b", [b], 1e-6)])
    best = lik.fit()
    assert best.valid
    assert best.s == pytest.approx(n - b, rel=1e-5)
    assert best.twice_nll == pytest.approx(0.0, abs=1e-8)
    assert best.mu_muB == pytest.approx(math.sqrt(n - b), rel=1e-5)  # signal = 1 event per mu_B^2


def test_one_bin_deficit_gives_the_boundary():
    # n < b: the MLE with s >= 0 is s^ = 0 exactly (the fit's boundary check), not a small positive number
    lik = BinnedLikelihood([90], [1.0], [Component("b", [120.0], 1e-6)])
    best = lik.fit()
    assert best.s == 0.0
    assert best.mu_muB == 0.0
    assert lik.q(0.0) == 0.0


@pytest.mark.parametrize("s_true", [0.0, 25.0, 140.0])
def test_asimov_fit_returns_the_injected_signal(s_true):
    signal, comps = xenon_like()
    lik = BinnedLikelihood(np.zeros(signal.size), signal, comps).asimov(s_true)
    best = lik.fit()
    assert best.valid
    assert best.s == pytest.approx(s_true, abs=1e-3 * max(s_true, 1.0))
    assert best.mu_muB == pytest.approx(lik.mu_from_s(s_true), rel=1e-3, abs=1e-15)
    for value in best.nuisances.values():
        assert value == pytest.approx(1.0, abs=2e-4)
    assert best.twice_nll == pytest.approx(0.0, abs=1e-6)


def test_profile_matches_an_independent_minimiser(rng):
    # -2 ln L and its gradient written out by hand, minimised by scipy L-BFGS-B from several starts
    signal, comps = xenon_like()
    lik = BinnedLikelihood(np.zeros(signal.size), signal, comps).toy(rng, 40.0)
    n = lik.data
    templates = np.vstack([signal / signal.sum(), *(c.counts for c in comps)])  # rows: s, B0, tritium, sm
    centre = np.array([lik.centres[0], 0.0, lik.centres[1]])
    inv_var = np.array([(76 / 2) ** 2, 0.0, 1 / 0.1**2])  # tritium unconstrained

    def twice_nll(p):  # p = (s, theta_B0, theta_tritium, theta_sm)
        lam = p @ templates
        dev = 2 * np.sum(lam - n + np.where(n > 0, n * np.log(np.where(n > 0, n, 1) / lam), 0))
        grad = 2 * templates @ (1 - n / lam)
        grad[1:] += 2 * inv_var * (p[1:] - centre)
        return dev + np.sum(inv_var * (p[1:] - centre) ** 2), grad

    def reference(s=None):
        starts = ([30, 1, 1, 1], [1, 1, 0.01, 1], [100, 1, 3, 1])
        bounds = [(0, None) if s is None else (s, s)] + [(0, None)] * 3
        opts = {"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10000}
        x0s = [x0 if s is None else [s, *x0[1:]] for x0 in starts]
        return min(
            minimize(twice_nll, x0, jac=True, method="L-BFGS-B", bounds=bounds, options=opts).fun
            for x0 in x0s
        )

    best = lik.fit()
    assert best.twice_nll == pytest.approx(reference(), abs=2e-5)  # the global minimum, s free too
    # profiles in a scrambled order (the fits warm-start from the previous one)
    for s in (200.0, 0.0, 75.0, 10.0, 120.0, 40.0):
        ref = reference(s)
        assert lik.profile(s).twice_nll == pytest.approx(ref, abs=2e-4)
        assert lik.q(s) == pytest.approx(ref - best.twice_nll, abs=2e-4)


def test_toys_fluctuate_data_and_constraint_centres(rng):
    signal, comps = xenon_like()
    lik = BinnedLikelihood(np.zeros(signal.size), signal, comps)
    toys = [lik.toy(rng, 10.0) for _ in range(400)]
    centres = np.array([t.centres for t in toys])
    assert centres.mean(axis=0) == pytest.approx([1, 1], abs=4 * 0.1 / 20)
    assert centres.std(axis=0) == pytest.approx([2 / 76, 0.1], rel=0.15)
    data = np.array([t.data for t in toys])
    assert data.mean(axis=0) == pytest.approx(lik.expected(10.0), rel=0.1)
    assert np.all(data == np.round(data))


def test_from_detector_builds_signal_components_and_data(toy):
    det = toy.ToyDetector()
    lik = BinnedLikelihood.from_detector(det, 0.0, "mu")
    assert lik.signal == pytest.approx(toy.SIGNAL_NORM * toy.WEIGHTS[1] * toy.shape(0.0))
    assert [c.name for c in lik.components] == ["flat", "rising", "sm_nu"]
    assert [c.rel_uncertainty for c in lik.components] == [0.05, None, 0.1]
    assert np.array_equal(lik.data, det.observed())
    # universal: sum of the flavour rows
    uni = BinnedLikelihood.from_detector(det, 0.0, "universal")
    assert uni.signal_norm == pytest.approx(toy.SIGNAL_NORM)
    # no data -> background-only Asimov data
    proj = BinnedLikelihood.from_detector(toy.ToyDetector(data="none"), 0.0)
    assert proj.data == pytest.approx(proj.expected(0.0))
    forced = BinnedLikelihood.from_detector(det, 0.0, asimov=True)
    assert forced.data == pytest.approx(proj.data)


def test_sm_in_background_is_not_added_twice(toy):

    class SMInside(toy.ToyDetector):
        sm_in_background = True

    lik = BinnedLikelihood.from_detector(SMInside(), 0.0)
    assert [c.name for c in lik.components] == ["flat", "rising"]


def test_no_signal_fixes_s_to_zero(toy):
    lik = BinnedLikelihood.from_detector(toy.ToyDetector(), toy.M_MAX)
    assert not lik.has_signal
    best = lik.fit()
    assert best.s == 0.0 and best.s_fixed and math.isnan(best.mu_muB)


def test_zero_components_are_dropped():
    lik = BinnedLikelihood(
        [3, 4], [1.0, 1.0], [Component("a", [3.0, 4.0], 0.1), Component("empty", [0.0, 0.0])]
    )
    assert [c.name for c in lik.components] == ["a"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"data": [1, 2], "signal": [1.0]}, "signal must be"),
        ({"data": [-1, 2]}, "data must be finite"),
        ({"data": [np.nan, 2]}, "data must be finite"),
        ({"components": []}, "at least one non-zero"),
        ({"components": [Component("a", [1.0, 0.0], 0.1)], "data": [1, 3]}, r"bins \[1\] have data"),
        ({"components": [Component("a", [1.0, 1.0]), Component("a", [2.0, 2.0])]}, "unique"),
        ({"components": [Component("a", [1.0, 1.0, 1.0])]}, "shape"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"data": [1, 2], "signal": [1.0, 1.0], "components": [Component("a", [1.0, 1.0], 0.1)], **kwargs}
    with pytest.raises(InvalidParameterError, match=match):
        BinnedLikelihood(args["data"], args["signal"], args["components"])


def test_bad_components_and_flavours():
    with pytest.raises(InvalidParameterError, match="rel_uncertainty must be finite and > 0"):
        Component("a", [1.0], 0.0)
    with pytest.raises(InvalidParameterError, match="counts must be"):
        Component("a", [-1.0])
    with pytest.raises(UnknownNameError, match="flavour 'muon'"):
        flavour_pattern("muon")
    with pytest.raises(InvalidParameterError, match="not all 0"):
        flavour_pattern([0, 0, 0])
    assert flavour_pattern([0, 2, 1]) == pytest.approx([0, 1, 0.5])
    lik = BinnedLikelihood([1], [1.0], [Component("a", [1.0], 0.1)])
    with pytest.raises(InvalidParameterError, match="s must be finite and >= 0"):
        lik.profile(-1.0)


def test_one_fit_is_fast():
    import time

    signal, comps = xenon_like()
    base = BinnedLikelihood(np.zeros(signal.size), signal, comps)
    rng = np.random.default_rng(5)
    base.toy(rng, 30.0).fit()  # warm-up (imports)
    times = []
    for _ in range(20):
        lik = base.toy(rng, 30.0)
        t0 = time.perf_counter()
        lik.fit()
        times.append(time.perf_counter() - t0)
    # target << 10 ms (about 1-2 ms on an idle core; benchmarks/bench_fits.py); 3x margin for a busy CI
    assert np.median(times) < 30e-3


def test_an_invalid_first_migrad_is_retried_and_the_strategy_restored():
    # found by the Fig. 3 grid emulation (issue 17): the retry used to restore the strategy from an
    # MnStrategy object, which iminuit 2.33 refuses (TypeError) -- any invalid first fit then crashed
    from types import SimpleNamespace

    from iminuit import Minuit

    retried = {"yes": False}

    def cost(x, y):  # undefined until the retry asks for its start point: the first MIGRAD is invalid
        return (x - 1.0) ** 2 + (y + 2.0) ** 2 if retried["yes"] else math.nan

    def start():
        retried["yes"] = True
        return np.array([0.5, 0.5])

    m = Minuit(cost, x=0.0, y=0.0)
    m.errordef = Minuit.LEAST_SQUARES
    m.strategy = 1
    stub = SimpleNamespace(_names=["x", "y"], _start=start)
    BinnedLikelihood._migrad(stub, m)
    assert retried["yes"] and m.valid and int(m.strategy.strategy) == 1
    # MIGRAD stops at EDM < 0.002 (errors 1 here): the minimum to ~sqrt(2 EDM) ~ 0.06
    assert m.values["x"] == pytest.approx(1.0, abs=0.06) and m.values["y"] == pytest.approx(-2.0, abs=0.06)
