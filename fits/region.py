"""Two-dimensional confidence regions in the (M_N, mu) plane from the profile likelihood.

For the masses M_1..M_n asked for, the likelihood of one detector is fitted at each mass
(:class:`fits.likelihood.BinnedLikelihood`, nuisances profiled, mu >= 0); the **global best fit** is the
smallest -2 ln L over the masses (the data are the same at every mass, so the values compare). The region
at confidence level CL is

    { (M, mu) : -2 ln L(M, mu; theta^^) - min_{M', mu'} (-2 ln L) <= chi2.ppf(CL, dof) },

Wilks' theorem with dof = 2 for the two parameters (M_N, mu) (dof = 1 also allowed: then a single mass
reproduces the two-sided interval of :func:`fits.limits.detector_limit`). At mass M, with q_M(s) the
profile-likelihood ratio about the best fit at that mass (:meth:`BinnedLikelihood.q`), the region is
q_M(s) <= c - Δ_M, Δ_M = min_s(-2 ln L)(M) - global minimum: empty if Δ_M > c, otherwise one interval in
s (q_M is convex in s), whose edges are roots of sqrt(q_M(s)) = sqrt(c - Δ_M) found with the root finder
of the limits (:func:`fits.limits._root`, toms748; no mu grid). The lower edge is 0 when q_M(0) is inside;
an upper edge that is not reached within the signal cap (a free background degenerate with the signal) is
reported as open (``None``) with a reason; a mass beyond the kinematic reach has no signal, so it is
inside (every mu, open) or outside as a whole, depending on the background-only -2 ln L.

The global minimum is over the mass grid: a coarse grid can miss the true minimum between grid points
and make the region slightly too large (the seed's own 30-point grid, physics.md Sec. 6.5, has the same
property). References: S. S. Wilks, Ann. Math. Stat. 9 (1938) 60; G. Cowan et al., EPJC 71 (2011) 1554.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
from scipy.special import chdtri

from fits.likelihood import BinnedLikelihood
from fits.limits import _Q, _root, _upper_root, check_cl
from fits.scan import DEFAULT_CHUNK, _flavour_label, cached_detector, run_units
from nugen.errors import InvalidParameterError
from nugen.model import check_nonnegative

__all__ = ["RegionPoint", "RegionResult", "detector_region", "region_threshold"]


def region_threshold(cl: float, dof: int) -> float:
    """chi2.ppf(CL, dof): the -2 Δln L of the region boundary (4.605 for CL 0.9, dof 2)."""
    return float(chdtri(dof, 1.0 - cl))


@dataclass(frozen=True)
class RegionPoint:
    """The region at one mass.

    Attributes
    ----------
    mass_MeV : float
    mu_best_muB : float or None
        Best fit at this mass [mu_B].
    twice_nll : float or None
        Minimum of -2 ln L at this mass.
    regions : dict of str to list
        CL (as ``f"{cl:g}"``) -> list of [lo, hi] in mu_B (empty: the region does not reach this mass;
        ``hi = None``: open edge, see ``reason``).
    reason : str or None
    error : str or None
    fit_valid : bool
    """

    mass_MeV: float
    mu_best_muB: float | None = None
    twice_nll: float | None = None
    regions: dict[str, list] = field(default_factory=dict)
    reason: str | None = None
    error: str | None = None
    fit_valid: bool = True

    def point_dict(self) -> dict:
        """The per-point entry of CLI.md's ``region`` output."""
        d = {
            "mass_MeV": self.mass_MeV,
            "regions": {k: [list(iv) for iv in v] for k, v in self.regions.items()},
        }
        for key in ("mu_best_muB", "twice_nll", "reason", "error"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        d["fit_valid"] = self.fit_valid
        return d


@dataclass(frozen=True)
class RegionResult:
    """A confidence region over M_N for one detector (CLI.md: ``nugen region``)."""

    detector: str
    flavour: str | dict
    dof: int
    cls: tuple[float, ...]
    best: dict
    points: tuple[RegionPoint, ...]
    expected: bool = False

    @property
    def masses(self) -> np.ndarray:
        """M_N of the points [MeV]."""
        return np.array([p.mass_MeV for p in self.points])

    def edges(self, cl: float) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper edge [mu_B] per mass at ``cl`` (NaN where empty; +inf where open).

        With several intervals at one mass (not possible for one detector's convex q) the outermost
        edges are given.
        """
        key = f"{cl:g}"
        lo = np.full(len(self.points), np.nan)
        hi = np.full(len(self.points), np.nan)
        for i, p in enumerate(self.points):
            ivs = p.regions.get(key, [])
            if ivs:
                lo[i] = min(iv[0] for iv in ivs)
                hi[i] = math.inf if any(iv[1] is None for iv in ivs) else max(iv[1] for iv in ivs)
        return lo, hi

    def to_dict(self) -> dict:
        """JSON-ready dict in the shape of CLI.md's ``region`` output."""
        return {
            "command": "region",
            "detector": self.detector,
            "flavour": self.flavour,
            "dof": self.dof,
            "cls": list(self.cls),
            "expected": self.expected,
            "best": {"mu_muB": self.best.get("mu_best_muB"), **self.best},
            "method": (
                f"profile-likelihood confidence region: at each mass the mu where -2 ln L(M, mu; theta^^) "
                f"minus its minimum over all masses and mu >= 0 is <= chi2.ppf(CL, {self.dof}) (Wilks); "
                "nuisances profiled, edges by scipy toms748 root finding in mu, fits by iminuit MIGRAD; "
                f"{'background-only Asimov data' if self.expected else 'observed data'}"
            ),
            "points": [p.point_dict() for p in self.points],
        }


# -- work units -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Unit:
    detector: str
    settings: tuple[tuple[str, object], ...]
    masses: tuple[float, ...]
    flavour: str | tuple[float, float, float]
    asimov: bool | None
    #: Phase 2: the global minimum and the thresholds {cl: c}; None in phase 1.
    global_min: float | None = None
    thresholds: tuple[tuple[str, float], ...] = ()


def _lik(unit: _Unit, m: float) -> BinnedLikelihood:
    det = cached_detector(unit.detector, unit.settings)
    return BinnedLikelihood.from_detector(det, m, unit.flavour, asimov=unit.asimov)


def _best_fits(unit: _Unit) -> list[dict]:
    """Phase 1: the best fit at each mass (-2 ln L minimum, mu^)."""
    out = []
    for m in unit.masses:
        try:
            lik = _lik(unit, m)
            best = lik.fit()
            out.append(
                {
                    "mass_MeV": m,
                    "twice_nll": float(best.twice_nll),
                    "mu_best_muB": lik.mu_from_s(best.s) if lik.has_signal else None,
                    "has_signal": lik.has_signal,
                    "valid": bool(best.valid),
                }
            )
        except Exception as exc:
            out.append({"mass_MeV": m, "error": f"{type(exc).__name__}: {exc}"})
    return out


def _interval(lik: BinnedLikelihood, c: float) -> tuple[list, str | None, bool]:
    """[[lo, hi]] in mu_B where q(s) <= c (c >= 0), the reason of an open edge, and fit validity."""
    q = _Q(lik)
    sigma = lik.fisher_sigma_s()
    total = float(lik.data.sum() + lik.expected(0.0).sum())
    s_cap = 1e4 * (total + 1.0) + 1e3 * sigma
    s_lo = 0.0 if q(0.0) <= c else _root(q, c, 0.0, q.s_hat)
    s_hi = q.s_hat if c == 0.0 else _upper_root(q, c, sigma, s_cap)
    reason = None
    if s_hi is None:
        reason = (
            f"open: q stays inside up to {s_cap:.3g} signal events (signal degenerate with a free background)"
        )
    hi = None if s_hi is None else lik.mu_from_s(s_hi)
    return [[lik.mu_from_s(s_lo), hi]], reason, q.valid


def _intervals(unit: _Unit) -> list[RegionPoint]:
    """Phase 2: the region's intervals at each mass, given the global minimum."""
    out = []
    for m in unit.masses:
        try:
            lik = _lik(unit, m)
            best = lik.fit()
            delta = float(best.twice_nll) - unit.global_min
            regions, reasons, valid = {}, [], bool(best.valid)
            mu_best = lik.mu_from_s(best.s) if lik.has_signal else None
            for key, c in unit.thresholds:
                if delta > c:
                    regions[key] = []
                elif not lik.has_signal:
                    regions[key] = [[0.0, None]]
                    reasons.append("no sensitivity at this mass: every mu is inside (beyond the reach)")
                else:
                    regions[key], why, ok = _interval(lik, max(c - delta, 0.0))
                    valid &= ok
                    if why:
                        reasons.append(f"CL {key}: {why}")
            out.append(
                RegionPoint(
                    mass_MeV=m,
                    mu_best_muB=mu_best,
                    twice_nll=float(best.twice_nll),
                    regions=regions,
                    reason="; ".join(dict.fromkeys(reasons)) or None,
                    fit_valid=valid,
                )
            )
        except Exception as exc:
            out.append(RegionPoint(mass_MeV=m, error=f"{type(exc).__name__}: {exc}", fit_valid=False))
    return out


def _failed_fits(unit: _Unit, exc: BaseException) -> list[dict]:
    return [{"mass_MeV": m, "error": f"{type(exc).__name__}: {exc}"} for m in unit.masses]


def _failed_points(unit: _Unit, exc: BaseException) -> list[RegionPoint]:
    return [RegionPoint(m, error=f"{type(exc).__name__}: {exc}", fit_valid=False) for m in unit.masses]


def _check_cls(cls) -> tuple[float, ...]:
    values = [cls] if isinstance(cls, int | float) else list(cls)
    if not values:
        raise InvalidParameterError("give at least one confidence level")
    out = tuple(sorted({check_cl(c) for c in values}))
    if len(out) != len(values):
        raise InvalidParameterError(f"each confidence level may appear once, got {values}")
    return out


def detector_region(
    detector: str,
    masses: Iterable[float],
    flavour: str | Sequence[float] = "universal",
    *,
    cls: float | Sequence[float] = (0.9,),
    dof: int = 2,
    asimov: bool | None = None,
    settings: dict | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> RegionResult:
    """The profile-likelihood confidence region of one detector in (M_N, mu).

    Parameters
    ----------
    detector : str
        A registered detector, shipped card or card path (cards by path work on every executor).
    masses : iterable of float
        M_N [MeV] (>= 0), at least one; the global minimum is taken over them.
    flavour : str or sequence of 3 floats
        Flavour pattern (mu = the largest coupling).
    cls : float or sequence of float
        Confidence levels (0.5 <= CL < 1).
    dof : {1, 2}
        Degrees of freedom of the chi2 threshold (2 for the (M_N, mu) plane).
    asimov : bool or None
        Fit the background-only Asimov data set (``None``: only for detectors without data).
    settings : dict, optional
        Detector settings.
    workers, scheduler, executor, progress, chunk_size
        As in :func:`fits.scan.scan`; results do not depend on them.

    Returns
    -------
    RegionResult

    Raises
    ------
    InvalidParameterError
        For bad masses, CLs or dof, or a detector with its own limit method (not a mu^2 likelihood).
    """
    from fits.limits import LIMIT_METHODS

    if dof not in (1, 2):
        raise InvalidParameterError(f"dof must be 1 or 2, got {dof!r}")
    cl_values = _check_cls(cls)
    mass_list = [check_nonnegative("mass_MeV", m) for m in masses]
    if not mass_list:
        raise InvalidParameterError("give at least one mass")
    if len(set(mass_list)) != len(mass_list):
        raise InvalidParameterError("each mass may appear once")
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise InvalidParameterError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
    st = tuple(sorted((settings or {}).items()))
    det = cached_detector(detector, st)  # validates the name and the settings here
    if det.name in LIMIT_METHODS:
        msg = f"detector {det.name!r} has its own limit method; regions need its mu^2 profile likelihood"
        raise InvalidParameterError(msg)
    fl = flavour if isinstance(flavour, str) else tuple(float(v) for v in flavour)
    chunks = [tuple(mass_list[i : i + chunk_size]) for i in range(0, len(mass_list), chunk_size)]
    units = [_Unit(detector, st, c, fl, asimov) for c in chunks]
    opts = {"workers": workers, "scheduler": scheduler, "executor": executor}
    rows = [
        r
        for rs in run_units(
            _best_fits,
            units,
            _failed_fits,
            size=lambda u: len(u.masses),
            progress=progress,
            desc="nugen region (fits)",
            **opts,
        )
        for r in rs
    ]
    good = [r for r in rows if "error" not in r]
    if not good:
        raise InvalidParameterError(f"no mass could be fitted: {rows[0]['error']}")
    best = min(good, key=lambda r: r["twice_nll"])
    thresholds = tuple((f"{c:g}", region_threshold(c, dof)) for c in cl_values)
    units2 = [_Unit(detector, st, c, fl, asimov, best["twice_nll"], thresholds) for c in chunks]
    points = [
        p
        for ps in run_units(
            _intervals,
            units2,
            lambda u, e: [
                RegionPoint(m, error=f"{type(e).__name__}: {e}", fit_valid=False) for m in u.masses
            ],
            size=lambda u: len(u.masses),
            progress=progress,
            desc="nugen region (edges)",
            **opts,
        )
        for p in ps
    ]
    expected = bool(asimov) or det.observed() is None
    return RegionResult(
        detector=det.name,
        flavour=_flavour_label(fl),
        dof=int(dof),
        cls=cl_values,
        best={k: best[k] for k in ("mass_MeV", "mu_best_muB", "twice_nll")},
        points=tuple(points),
        expected=expected,
    )
