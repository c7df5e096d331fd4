"""Limits vs pyhf (the brief's peer): the same binned model, nugen's limit against pyhf's, timed in one run.

The pyhf model is built from nugen's own inputs by :func:`fits.pyhf_export.to_pyhf_spec` (signal template
with the POI ``s``, constrained backgrounds as linear ``histosys``, free ones as ``normfactor``; the
likelihoods agree up to a constant, tests/fits/test_pyhf_crosscheck.py). For each detector and M_N:

* **nugen**: ``fits.limits.likelihood_limit`` on a fresh likelihood (templates computed, fits not cached:
  "fit only"), and ``fits.limits.detector_limit`` from the detector (signal templates + fit);
* **pyhf PL**: nugen's statistic with pyhf's machinery: one ``pyhf.infer.mle.fit``, then
  ``pyhf.infer.mle.fixed_poi_fit`` per step of ``scipy.optimize.brentq`` on
  ``sqrt(q~(s)) = sqrt(chi2.ppf(2 CL - 1, 1))`` (q~ as ``pyhf.infer.test_statistics.qmu_tilde``, which would
  refit the global fit at every step), bracket grown from sqrt(N_data), s to 1e-5 relative; with pyhf's
  default optimizer (scipy SLSQP) and with ``minuit``, numpy backend;
* **pyhf CLs+b**: root of pyhf's asymptotic CLs+b (``hypotest(..., test_stat="qtilde")``) at 1 - CL: the
  same criterion as ours in the asymptotic formulae (a value, not timed);
* **pyhf CLs**: pyhf's standard upper limit, ``pyhf.infer.intervals.upper_limits.toms748_scan`` at
  ``level = 1 - CL`` with the model's POI bounds, i.e. what ``upper_limit(data, model, level=0.1)`` is meant
  to do: pyhf 0.7.6's ``upper_limit`` drops ``level`` when ``scan=None`` (scikit-hep/pyhf#2563) and returns
  the 95 % CL limit, shown in the last column. It also computes the five expected limits.

Timings interleave the methods round by round (the shared machine's speed drifts) and report medians and
the median of the per-round ratios to nugen's fit-only time.

Run: ``python benchmarks/bench_pyhf.py [--repeat N] [--cls-repeat N]`` (needs ``pip install pyhf``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from machine import machine_note

from detectors import get_detector
from fits.likelihood import BinnedLikelihood
from fits.limits import detector_limit, likelihood_limit, thresholds
from fits.pyhf_export import to_pyhf_spec

# pyhf 0.7.6 validates workspaces with jsonschema's deprecated RefResolver
warnings.filterwarnings("ignore", "jsonschema.RefResolver is deprecated", DeprecationWarning)

CASES = (("xenon1t", 0.0), ("xenon1t", 0.1), ("xenon1t", 0.3), ("borexino", 0.0), ("darwin", 0.0))
CL = 0.9


def fresh(lik: BinnedLikelihood) -> BinnedLikelihood:
    """The same likelihood without cached fits."""
    return lik.with_data(lik.data, lik.centres)


def nugen_limit_s(lik: BinnedLikelihood) -> float:
    r = likelihood_limit(fresh(lik), CL)
    return lik.s_from_mu(r.mu_upper_one_sided_muB)


def grow_bracket(f, lo: float, step: float) -> tuple[float, float]:
    """(lo, hi) with f(lo) < 0 <= f(hi), hi = lo + step x 2^k."""
    hi = lo + step
    while f(hi) < 0:
        lo, step = hi, 2 * step
        hi = lo + step
    return lo, hi


def pyhf_pl_limit(pyhf, model, data) -> tuple[float, float, int]:
    """One-sided profile-likelihood upper limit on s with pyhf's fits: (s_up, s_hat, number of fits)."""
    from scipy.optimize import brentq

    poi = model.config.poi_index
    pars, twice_nll_hat = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
    s_hat, twice_nll_hat = float(pars[poi]), float(twice_nll_hat)
    fits = [1]
    root_c = math.sqrt(thresholds(CL)[0])

    def f(s):
        fits[0] += 1
        _, t = pyhf.infer.mle.fixed_poi_fit(s, data, model, return_fitted_val=True)
        return math.sqrt(max(float(t) - twice_nll_hat, 0.0)) - root_c

    step = math.sqrt(float(np.sum(data[: model.config.nmaindata])) + 1.0)
    lo, hi = grow_bracket(f, s_hat, step)
    return float(brentq(f, lo, hi, xtol=1e-12, rtol=1e-5)), s_hat, fits[0]


def pyhf_clsb_limit(pyhf, model, data, s_from: float) -> float:
    """Root of pyhf's asymptotic CLs+b (q~) at 1 - CL."""
    from scipy.optimize import brentq

    def f(s):
        _, (clsb, _clb) = pyhf.infer.hypotest(s, data, model, test_stat="qtilde", return_tail_probs=True)
        return (1.0 - CL) - float(clsb)

    step = math.sqrt(float(np.sum(data[: model.config.nmaindata])) + 1.0)
    lo, hi = grow_bracket(f, s_from, step)
    return float(brentq(f, lo, hi, xtol=1e-12, rtol=1e-5))


def pyhf_cls_limit(pyhf, model, data) -> float:
    """pyhf's CLs upper limit at 1 - CL (toms748_scan on the model's POI bounds, as upper_limit does)."""
    low, high = model.config.suggested_bounds()[model.config.poi_index]
    obs, _expected = pyhf.infer.intervals.upper_limits.toms748_scan(data, model, low, high, level=1.0 - CL)
    return float(obs)


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def twice_nll_excess(lik: BinnedLikelihood, model, pars) -> float:
    """nugen's -2 ln L at pyhf's best-fit parameters minus nugen's own minimum (>= 0 if nugen's is lower)."""
    theta = []
    for c in lik.components:
        if c.rel_uncertainty is None:
            theta.append(float(pars[model.config.par_slice(f"theta_{c.name}")][0]))
        else:
            alpha = float(pars[model.config.par_slice(f"alpha_{c.name}")][0])
            theta.append(1.0 + c.rel_uncertainty * alpha)
    s = float(pars[model.config.poi_index])
    return float(lik._cost()(s, *theta)) - lik.fit().twice_nll


def bench_case(pyhf, name, mass, repeat, cls_repeat, optimizers):
    det = get_detector(name)
    detector_limit(det, mass)  # warm-up: imports, detector tables, templates
    lik = BinnedLikelihood.from_detector(det, mass)
    spec = to_pyhf_spec(lik, channel=name)

    def build():
        ws = pyhf.Workspace(spec)
        model = ws.model()
        return model, np.asarray(ws.data(model))

    model, data = build()
    values = {"nugen": nugen_limit_s(lik), "s_hat nugen": lik.fit().s}
    for opt_name, opt in optimizers.items():
        pyhf.set_backend("numpy", opt)
        s_up, s_hat, nfits = pyhf_pl_limit(pyhf, model, data)
        values[f"PL {opt_name}"] = s_up
        values[f"s_hat {opt_name}"] = s_hat
        values[f"fits {opt_name}"] = nfits
        pars = pyhf.infer.mle.fit(data, model)
        values[f"excess {opt_name}"] = twice_nll_excess(lik, model, pars)
        values[f"CLs+b {opt_name}"] = pyhf_clsb_limit(pyhf, model, data, s_hat)
        values[f"CLs {opt_name}"] = pyhf_cls_limit(pyhf, model, data)
    pyhf.set_backend("numpy", optimizers["scipy"])
    try:
        obs, _ = pyhf.infer.intervals.upper_limits.upper_limit(data, model, level=1.0 - CL)
        values["upper_limit"] = float(obs)
    except ValueError as exc:  # toms748 on NaN CLs (both tails underflow far beyond the limit)
        print(f"  ({name} M_N = {mass:g}: pyhf upper_limit failed: {exc})")
        values["upper_limit"] = math.nan

    times: dict[str, list[float]] = {"nugen": [], "detector_limit": [], "build": []}
    ratios: dict[str, list[float]] = {}
    for r in range(repeat):
        t_nugen, _ = timed(lambda: likelihood_limit(fresh(lik), CL))
        times["nugen"].append(t_nugen)
        new_mass = mass + 1e-7 * (r + 1)  # templates are cached per M_N: time a new one, as a scan does
        times["detector_limit"].append(timed(lambda m=new_mass: detector_limit(det, m))[0])
        times["build"].append(timed(build)[0])
        for opt_name, opt in optimizers.items():
            pyhf.set_backend("numpy", opt)
            kinds = [("PL", lambda: pyhf_pl_limit(pyhf, model, data))]
            if r < cls_repeat:
                kinds.append(("CLs", lambda: pyhf_cls_limit(pyhf, model, data)))
            for kind, fn in kinds:
                dt, _ = timed(fn)
                key = f"{kind} {opt_name}"
                times.setdefault(key, []).append(dt)
                ratios.setdefault(key, []).append(dt / t_nugen)
    pyhf.set_backend("numpy", optimizers["scipy"])
    return lik, values, times, ratios


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--repeat", type=int, default=7, help="interleaved rounds for nugen and pyhf PL (default 7)"
    )
    ap.add_argument(
        "--cls-repeat", type=int, default=3, help="rounds that also time pyhf's CLs limit (default 3)"
    )
    opts = ap.parse_args()
    print(machine_note())
    try:
        import pyhf
    except ImportError:
        print("pyhf is not installed (pip install pyhf, or the 'test' extra): skipped")
        return
    import iminuit
    import scipy

    print(
        f"pyhf {pyhf.__version__}, iminuit {iminuit.__version__}, scipy {scipy.__version__}; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}; load {os.getloadavg()}"
    )
    optimizers = {"scipy": pyhf.optimize.scipy_optimizer(), "minuit": pyhf.optimize.minuit_optimizer()}
    rows = []
    for name, mass in CASES:
        rows.append((name, mass, *bench_case(pyhf, name, mass, opts.repeat, opts.cls_repeat, optimizers)))

    print(
        f"\n90 % CL one-sided upper limits on mu [1e-11 mu_B] (s = signal events in brackets); "
        f"pyhf PL = nugen's statistic q~ = {thresholds(CL)[0]:.4f} with pyhf's fits"
    )
    head = (
        "| detector | M_N [MeV] | nugen | pyhf PL, scipy | pyhf PL, minuit | pyhf CLs+b, scipy | "
        "pyhf CLs+b, minuit | pyhf CLs, scipy | pyhf CLs, minuit | pyhf `upper_limit(level=0.1)` (95 % CLs) |"
    )
    print(head)
    print("|" + "---|" * head.count(" | ") + "---|")
    for name, mass, lik, v, _t, _r in rows:

        def cell(s, ref=v["nugen"], lik=lik):
            rel = "" if s is ref else f", {s / ref - 1:+.1e}"
            return f"{lik.mu_from_s(s) * 1e11:.4f} ({s:.2f}{rel})"

        print(
            f"| {name} | {mass:g} | "
            + " | ".join(
                cell(v[k])
                for k in ("nugen", "PL scipy", "PL minuit", "CLs+b scipy", "CLs+b minuit", "CLs scipy")
            )
            + f" | {cell(v['CLs minuit'])} | {cell(v['upper_limit'])} |"
        )
    print("\nbest fits: s^ [events] and how far pyhf's global minimum lies above nugen's in -2 ln L")
    print(
        "| detector | M_N | s^ nugen | s^ pyhf scipy (excess) | s^ pyhf minuit (excess) | fits per PL limit |"
    )
    print("|---|---|---|---|---|---|")
    for name, mass, _lik, v, _t, _r in rows:
        print(
            f"| {name} | {mass:g} | {v['s_hat nugen']:.2f} | {v['s_hat scipy']:.2f} "
            f"({v['excess scipy']:+.1e}) | {v['s_hat minuit']:.2f} ({v['excess minuit']:+.1e}) | "
            f"{v['fits scipy']} / {v['fits minuit']} |"
        )

    print(
        f"\ntime per limit, median of {opts.repeat} interleaved rounds (CLs: {opts.cls_repeat}) [ms]; "
        "x = median of the per-round ratios to nugen's fit-only time"
    )
    keys = ("PL scipy", "PL minuit", "CLs scipy", "CLs minuit")
    head = (
        "| detector | M_N | nugen fit only | nugen detector_limit | pyhf model build | "
        + " | ".join(f"pyhf {k}" for k in keys)
        + " |"
    )
    print(head)
    print("|" + "---|" * head.count(" | ") + "---|")
    for name, mass, _lik, _v, t, r in rows:
        cells = [f"{np.median(t[k]) * 1e3:.0f} ({np.median(r[k]):.0f}x)" for k in keys]
        print(
            f"| {name} | {mass:g} | {np.median(t['nugen']) * 1e3:.1f} | "
            f"{np.median(t['detector_limit']) * 1e3:.1f} | {np.median(t['build']) * 1e3:.0f} | "
            + " | ".join(cells)
            + " |"
        )


if __name__ == "__main__":
    main()
