"""Limits from XENON's binwise approximate likelihood (the nuclear-recoil detectors of detectors.xenon_nr).

The likelihood of a signal with expected counts s_r in the reconstructed bins r is the sum of the
tabulated per-bin curves, q(s) = sum_r [-2 Δln L_r](s_r) - min (E. Aprile et al. (XENON),
arXiv:2210.07231, Sec. 2; curves linearly interpolated in s, +inf beyond the tabulated range, as in
the collaboration's package). For the dipole portal s_r = mu^2 x t_r at fixed M_N, so the statistic is a
function of mu alone; the 90 % CL upper limit is the mu above the best fit where

* ``threshold = "neyman"`` (XENON1T default): q equals the collaboration's Neyman threshold at the total
  signal expectation sum_r s_r (the upper envelope of the thresholds of monoenergetic lines, tabulated for
  90 % CL only), as in its published limits;
* ``threshold = "asymptotic"``: q = chi2(1).isf(1 - CL) (2.706 at 90 %), xe-likelihood's default.

For the XENONnT projection every one of the toy likelihoods gives a limit; the reported ``mu_upper_muB`` is
their median (an expected limit) and :func:`binwise_toy_limits` returns them all (for bands).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import chdtri

from fits.likelihood import flavour_label, flavour_pattern
from fits.limits import LimitResult, check_cl
from nugen.errors import InvalidParameterError
from nugen.model import check_nonnegative

__all__ = ["binwise_detector_limit", "binwise_detector_sensitivity", "binwise_toy_limits", "spectrum_limit"]

#: Relative precision of the limit in mu.
MU_RTOL = 1e-6


class _Curves:
    """q(k) for a signal k x t_r (k = multiple of the template), vectorised over the bins."""

    def __init__(self, curves: np.ndarray, grid: np.ndarray, template: np.ndarray):
        self.template = template
        self.grid = grid
        self.step = float(grid[1] - grid[0])
        used = template > 0
        self.t = template[used]
        self.curves = curves[:, used, :]  # (runs, bins used, grid)
        #: Largest multiple with every bin inside the tabulated range.
        self.k_max = float(grid[-1] / self.t.max()) if self.t.size else math.inf

    def twice_nll(self, k: float, run: int) -> float:
        if k < 0 or k > self.k_max * (1 + 1e-12):
            return math.inf
        x = np.minimum(k * self.t / self.step, self.grid.size - 1 - 1e-12)
        i = np.floor(x).astype(int)
        f = x - i
        c = self.curves[run]
        rows = np.arange(c.shape[0])
        return float(np.sum((1 - f) * c[rows, i] + f * c[rows, i + 1]))


def _upper_limit(cur: _Curves, run: int, threshold) -> tuple[float | None, float, float]:
    """(k_up or None, k_best, q(0)) for one likelihood curve set."""
    res = minimize_scalar(lambda k: cur.twice_nll(k, run), bounds=(0.0, cur.k_max), method="bounded")
    k_best = float(res.x) if cur.twice_nll(float(res.x), run) <= cur.twice_nll(0.0, run) else 0.0
    f_min = cur.twice_nll(k_best, run)

    def g(k: float) -> float:
        return cur.twice_nll(k, run) - f_min - threshold(k)

    q0 = cur.twice_nll(0.0, run) - f_min
    top = cur.k_max
    if not g(top) > 0:
        return None, k_best, q0
    k_up = brentq(g, k_best, top, xtol=1e-12, rtol=MU_RTOL)
    return float(k_up), k_best, q0


def _threshold_fn(data, kind: str, cl: float, total_per_k: float, who: str):
    if kind == "neyman":
        if data.threshold is None:
            raise InvalidParameterError(f"{who}: no Neyman threshold is published; use threshold=asymptotic")
        if not math.isclose(cl, 0.9):
            msg = f"{who}: the Neyman threshold is tabulated for CL = 0.9 only, got {cl:g}"
            raise InvalidParameterError(msg)
        x, y = data.threshold
        return lambda k: float(np.interp(k * total_per_k, x, y))
    c = float(chdtri(1, 1.0 - cl))
    return lambda k: c


def _threshold(detector, cl: float, total_per_k: float):
    kind = str(detector.settings.get("threshold", "asymptotic"))
    return _threshold_fn(detector.data, kind, cl, total_per_k, detector.name)


def spectrum_limit(
    data, true_counts, exposure_t_yr: float, *, threshold: str = "neyman", cl: float = 0.9, run: int = 0
):
    """Upper limit on the multiple k of a true nuclear-recoil spectrum (the package's ``compute_ul``).

    Parameters
    ----------
    data : detectors.xenon_nr.BinwiseData
        The search.
    true_counts : array_like
        Events per t yr per true-energy bin of ``data`` for k = 1 (∫ dR/dE [events/(t yr keV)] dE).
    exposure_t_yr : float
        Exposure of the search [t yr] (1.0 for XENON1T, 20 for the XENONnT projection).
    threshold : {"neyman", "asymptotic"}
    cl : float
    run : int
        Which likelihood curve set (0: XENON1T's data; a toy for XENONnT).

    Returns
    -------
    float or None
        k at the upper limit, or None beyond the tabulated range.
    """
    reco = np.asarray(true_counts, dtype=float) @ data.migration * exposure_t_yr
    scale = 1.0 / reco.max()
    cur = _Curves(data.curves, data.signal_grid, reco * scale)
    k_up, _, _ = _upper_limit(cur, run, _threshold_fn(data, threshold, cl, float(cur.t.sum()), "spectrum"))
    return None if k_up is None else k_up * scale


def _setup(detector, mass_MeV: float, flavour, cl: float):
    check_cl(cl)
    mass = check_nonnegative("mass_MeV", mass_MeV)
    pattern = np.asarray(flavour_pattern(flavour), dtype=float)
    label = flavour_label(flavour)
    per_muB2 = pattern**2 @ detector.signal_templates(mass)  # events per bin for mu = 1 mu_B
    return mass, label, per_muB2


def binwise_toy_limits(detector, mass_MeV: float, flavour="universal", *, cl: float = 0.9) -> np.ndarray:
    """The upper limit on mu [mu_B] of each toy likelihood of a projection (NaN where none is reached)."""
    _mass, _label, per = _setup(detector, mass_MeV, flavour, cl)
    d = detector.data
    n = int(detector.settings.get("toys", d.curves.shape[0]))
    scale = 1.0 / max(per.max(), 1e-300)
    cur = _Curves(d.curves[:n], d.signal_grid, per * scale)
    thr = _threshold(detector, cl, float(cur.t.sum()))
    out = np.full(n, np.nan)
    if per.max() <= 0:
        return out
    for r in range(n):
        k_up, _, _ = _upper_limit(cur, r, thr)
        if k_up is not None:
            out[r] = math.sqrt(k_up * scale)
    return out


def binwise_detector_limit(
    detector,
    mass_MeV: float,
    flavour: str | Sequence[float] = "universal",
    *,
    cl: float = 0.9,
    asimov: bool | None = None,
    nature: str = "dirac",
) -> LimitResult:
    """90 % CL limit on mu from a binwise-likelihood detector (the :data:`fits.limits.LIMIT_METHODS` target).

    Same signature as :func:`fits.limits.detector_limit`. ``asimov`` and ``nature`` are accepted and
    ignored: XENON1T's curves are the observed data, XENONnT's are toys (the median limit is reported).

    Returns
    -------
    LimitResult
        ``None`` limits with a ``reason`` when the signal is zero (M_N beyond the solar reach) or when
        the limit lies beyond the tabulated signal range of the likelihood.
    """
    mass, label, per = _setup(detector, mass_MeV, flavour, cl)
    d = detector.data
    toys = d.curves.shape[0] > 1
    kind = str(detector.settings.get("threshold", "asymptotic" if toys else "neyman"))
    what = "median of the toy limits of the projection" if toys else "observed data"
    common = {
        "detector": detector.name,
        "mass_MeV": mass,
        "flavour": label,
        "cl": float(cl),
        "expected": toys,
        "method": (
            f"XENON binwise approximate likelihood (arXiv:2210.07231), {what}; q(mu) = sum of the per-bin "
            f"-2 Delta ln L curves minus its minimum; upper limit where q equals the "
            f"{'Neyman threshold of the collaboration' if kind == 'neyman' else 'chi2(1) threshold'} at "
            f"CL {cl:g}"
        ),
    }
    total = float(per.sum())
    if not total > 0:
        reason = (
            f"no sensitivity: the coherent dipole signal is zero in the search window at M_N = {mass:g} MeV "
            "(no solar neutrino can make N with a nuclear recoil above threshold)"
        )
        return LimitResult(**common, reason=reason)
    if toys:
        lim = binwise_toy_limits(detector, mass, flavour, cl=cl)
        ok = lim[np.isfinite(lim)]
        if ok.size < lim.size / 2:
            return LimitResult(**common, reason="the toy limits lie beyond the tabulated signal range")
        med = float(np.median(np.where(np.isfinite(lim), lim, np.inf)))
        return LimitResult(
            **common, mu_upper_muB=med, mu_upper_one_sided_muB=med, signal_events_per_muB2=total
        )
    scale = 1.0 / per.max()
    cur = _Curves(d.curves, d.signal_grid, per * scale)
    k_up, k_best, q0 = _upper_limit(cur, 0, _threshold(detector, cl, float(cur.t.sum())))
    mu_best = math.sqrt(k_best * scale)
    if k_up is None:
        reason = (
            f"no upper limit inside the likelihood's tabulated signal range (up to {d.signal_grid[-1]:g} "
            f"events per bin) at M_N = {mass:g} MeV"
        )
        return LimitResult(**common, mu_best_muB=mu_best, reason=reason)
    mu_up = math.sqrt(k_up * scale)
    return LimitResult(
        **common,
        mu_best_muB=mu_best,
        mu_upper_muB=mu_up,
        mu_upper_one_sided_muB=mu_up,
        q0=q0,
        signal_events_per_muB2=total,
    )


def binwise_detector_sensitivity(detector, mass_MeV: float, flavour="universal", cl: float = 0.9):
    """Median and ±1σ/±2σ bands of the toy limits of a projection (XENONnT's 20 t yr toys).

    The quantiles Phi(-2), Phi(-1), 0.5, Phi(1), Phi(2) of the per-toy 90 % CL limits
    (:func:`binwise_toy_limits`; toys without a limit count as infinite), as
    :class:`fits.sensitivity.SensitivityPoint` with ``method = "toys"``.
    """
    from fits.sensitivity import SensitivityPoint, _quantiles

    mass, label, per = _setup(detector, mass_MeV, flavour, cl)
    common = {
        "detector": detector.name,
        "mass_MeV": mass,
        "exposure_t_yr": float(detector.exposure_t_yr),
        "flavour": label,
        "cl": float(cl),
        "method": "toys",
    }
    total = float(per.sum())
    if not total > 0:
        reason = f"no sensitivity: the coherent dipole signal is zero at M_N = {mass:g} MeV"
        return SensitivityPoint(**common, reason=reason)
    lim = binwise_toy_limits(detector, mass, flavour, cl=cl)
    q = _quantiles(np.where(np.isfinite(lim), lim, np.inf))
    keys = {"-2": -2, "-1": -1, "+1": 1, "+2": 2}

    def events(mu):
        return None if mu is None else mu**2 * total

    return SensitivityPoint(
        **common,
        median_muB=q[0],
        band_muB={k: q[n] for k, n in keys.items()},
        median_events=events(q[0]),
        band_events={k: events(q[n]) for k, n in keys.items()},
        signal_events_per_muB2=total,
        n_toys=int(lim.size),
        n_toys_without_limit=int(np.sum(~np.isfinite(lim))),
    )
