"""Vectorised random samplers built on a :class:`numpy.random.Generator`.

Everything here draws whole arrays at once (no per-event Python loop) from a generator the caller
owns, normally ``numpy.random.default_rng(seed_sequence)`` with one spawned
:class:`numpy.random.SeedSequence` per chunk of events (see :mod:`nugen.generator`).

* :func:`discrete` — indices drawn with given (unnormalised) probabilities, by inverse CDF.
* :func:`split_counts` — how many of ``n`` draws fall in each category (multinomial).
* :func:`adaptive_grid` — a grid on which a non-negative function changes by at most a given
  relative amount between neighbours (bisection of the offending cells).
* :class:`StepEnvelope` — a piecewise-constant **upper** envelope of such a tabulated function and
  its exact inverse-CDF sampler: the proposal of an accept/reject step, which makes the final
  sample follow the exact function, not its tabulation.
* :class:`TabulatedDistribution` — inverse CDF of a piecewise-linear density (exact for that
  density), for tables used as they are.
* :func:`uniform_or_reciprocal` — draws from ``A0 + A1/x`` on ``[lo, hi]`` (the shape of the
  dipole cross section, physics.md Sec. 2.1), exact.
* :func:`linear_cosine` — ``cos theta`` with density ``(1 - a cos theta)/2`` on [-1, 1], exact
  (the photon angular distribution of N -> nu gamma, physics.md Sec. 4.3).

References: L. Devroye, *Non-Uniform Random Variate Generation* (Springer, 1986), Ch. II.2 (inversion),
II.3 (rejection), III.4 (mixtures).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from nugen.errors import InvalidParameterError

__all__ = [
    "StepEnvelope",
    "TabulatedDistribution",
    "adaptive_grid",
    "discrete",
    "linear_cosine",
    "split_counts",
    "uniform_or_reciprocal",
]


def _probabilities(p: ArrayLike, name: str) -> np.ndarray:
    w = np.asarray(p, dtype=float).ravel()
    if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.sum(w) > 0:
        msg = f"{name} must be finite, >= 0 and not all zero, got {p!r}"
        raise InvalidParameterError(msg)
    return w


def discrete(rng: np.random.Generator, p: ArrayLike, size: int) -> np.ndarray:
    """Draw ``size`` indices ``i`` with probability ``p[i] / sum(p)``.

    Inverse CDF: one uniform per draw, located in the cumulative sum with :func:`numpy.searchsorted`
    (categories with ``p = 0`` are never drawn).

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream.
    p : array_like
        Non-negative weights (need not be normalised).
    size : int
        Number of draws.

    Returns
    -------
    numpy.ndarray
        ``int64`` indices, shape ``(size,)``.
    """
    w = _probabilities(p, "probabilities")
    cdf = np.cumsum(w)
    idx = np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right")
    return np.minimum(idx, w.size - 1)


def split_counts(rng: np.random.Generator, n: int, p: ArrayLike) -> np.ndarray:
    """Multinomial split of ``n`` draws into categories with weights ``p`` (need not be normalised)."""
    w = _probabilities(p, "probabilities")
    return rng.multinomial(int(n), w / w.sum())


def adaptive_grid(
    f,
    lo: float,
    hi: float,
    *,
    n_initial: int = 256,
    rtol: float = 0.01,
    area_rtol: float = 1e-6,
    max_points: int = 200_000,
    extra: ArrayLike = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Grid on ``[lo, hi]`` on which the non-negative ``f`` changes by at most ``rtol`` between nodes.

    Starts from ``n_initial`` equal cells plus the points ``extra`` (kinks of ``f``) and bisects every
    cell whose end values differ by more than ``rtol`` times the larger one, until none does or the
    grid would exceed ``max_points`` nodes. Cells holding less than ``area_rtol`` of the integral
    (``max(f_a, f_b) x width``, against the trapezoid sum) are left alone: near a zero of ``f`` (the
    ends of a spectrum) the relative change never gets small, and such cells matter neither for the
    efficiency of a step envelope nor, where ``f`` is monotone, for its validity.

    Parameters
    ----------
    f : callable
        Vectorised function, ``f(x) >= 0``.
    lo, hi : float
        Interval, ``lo < hi``.
    n_initial : int
        Cells of the starting grid.
    rtol : float
        Largest allowed relative change between neighbouring nodes.
    area_rtol : float
        Cells below this fraction of the integral are not refined.
    max_points : int
        Upper bound on the number of nodes.
    extra : array_like
        Additional nodes inside ``(lo, hi)``.

    Returns
    -------
    x, fx : numpy.ndarray
        Increasing nodes and ``f`` at the nodes.
    """
    if not hi > lo:
        msg = f"adaptive_grid needs lo < hi, got lo={lo!r}, hi={hi!r}"
        raise InvalidParameterError(msg)
    x = np.linspace(lo, hi, int(n_initial) + 1)
    ex = np.asarray(extra, dtype=float)
    x = np.unique(np.concatenate([x, ex[(ex > lo) & (ex < hi)]]))
    fx = np.asarray(f(x), dtype=float)
    while True:
        a, b = fx[:-1], fx[1:]
        big = np.maximum(a, b)
        bad = np.abs(b - a) > rtol * big
        width = np.diff(x)
        bad &= big * width > area_rtol * np.sum(0.5 * (a + b) * width)
        # stop bisecting cells that are already at round-off width
        bad &= np.diff(x) > 1e-12 * np.maximum(np.abs(x[:-1]), 1e-300)
        n_bad = int(np.count_nonzero(bad))
        if n_bad == 0 or x.size + n_bad > max_points:
            return x, fx
        mid = 0.5 * (x[:-1][bad] + x[1:][bad])
        fm = np.asarray(f(mid), dtype=float)
        order = np.argsort(np.concatenate([x, mid]), kind="stable")
        x = np.concatenate([x, mid])[order]
        fx = np.concatenate([fx, fm])[order]


class StepEnvelope:
    """Piecewise-constant upper envelope of a tabulated non-negative function, with its sampler.

    On cell ``[x_j, x_{j+1}]`` the envelope is ``h_j = max(f_j, f_{j+1}) (1 + margin)``. For a function
    that is smooth on the grid of :func:`adaptive_grid` (relative change below ``rtol`` per cell, extrema
    only where the slope vanishes, so that the excess inside a cell is second order), ``h >= f``
    everywhere and ``h`` is a valid proposal for rejection sampling of ``f``. Callers should still
    count envelope violations (``f > h`` at a drawn point) as a diagnostic; :mod:`nugen.generator`
    does.

    Parameters
    ----------
    x : array_like
        Increasing nodes (at least two).
    fx : array_like
        Function values at the nodes (``>= 0``).
    margin : float
        Relative safety margin.

    Attributes
    ----------
    integral : float
        Integral of the envelope over ``[x_0, x_-1]``.
    """

    def __init__(self, x: ArrayLike, fx: ArrayLike, margin: float = 0.01):
        self.x = np.asarray(x, dtype=float)
        f = np.asarray(fx, dtype=float)
        if self.x.ndim != 1 or self.x.size < 2 or f.shape != self.x.shape:
            msg = f"StepEnvelope needs matching 1-d x and f with at least 2 nodes, got shapes {self.x.shape}"
            raise InvalidParameterError(msg)
        if np.any(np.diff(self.x) <= 0):
            msg = "StepEnvelope nodes must be strictly increasing"
            raise InvalidParameterError(msg)
        if not np.all(np.isfinite(f)) or np.any(f < 0):
            msg = "StepEnvelope values must be finite and >= 0"
            raise InvalidParameterError(msg)
        self.height = np.maximum(f[:-1], f[1:]) * (1.0 + float(margin))
        self.width = np.diff(self.x)
        area = self.height * self.width
        self.cdf = np.concatenate([[0.0], np.cumsum(area)])
        self.integral = float(self.cdf[-1])
        if not self.integral > 0:
            msg = "StepEnvelope integrates to zero"
            raise InvalidParameterError(msg)
        self._build_alias(area)

    def sample(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``size`` points from the normalised envelope; return them and the envelope height there.

        The cell is drawn in O(1) with Walker's alias table (A. J. Walker, ACM TOMS 3 (1977) 253;
        Devroye 1986, Sec. III.4), the position inside it uniformly (exact for a step function).
        """
        u = rng.random(size) * self._n_cells
        j = u.astype(np.intp)
        np.minimum(j, self._n_cells - 1, out=j)
        v = rng.random(size)
        j = np.where(u - j < self._alias_prob[j], j, self._alias[j])
        return self.x[j] + v * self.width[j], self.height[j]

    def _build_alias(self, area: np.ndarray) -> None:
        """Walker/Vose alias table of the cell probabilities (exact to round-off).

        M. D. Vose, IEEE Trans. Softw. Eng. 17 (1991) 972. The pairing runs as a Python loop over the
        cells (~0.4 us per cell: ~10 ms of the CHARM-II glass generator's set-up, docs/benchmarks.md);
        sampling from the table is vectorised.
        """
        n = area.size
        p = area * (n / area.sum())
        prob = np.ones(n)
        alias = np.arange(n)
        small = [i for i in np.flatnonzero(p < 1.0)]
        large = [i for i in np.flatnonzero(p >= 1.0)]
        p = p.tolist()
        while small and large:
            s_, l_ = small.pop(), large[-1]
            prob[s_] = p[s_]
            alias[s_] = l_
            p[l_] = (p[l_] + p[s_]) - 1.0
            if p[l_] < 1.0:
                small.append(large.pop())
        self._alias_prob = prob
        self._alias = alias
        self._n_cells = n


class TabulatedDistribution:
    """Exact inverse-CDF sampling of a piecewise-linear density given at nodes.

    The density is the linear interpolation of ``pdf`` between the nodes ``x`` (not normalised; the
    normalisation is computed). Within a cell the CDF is quadratic and is inverted in closed form
    (Devroye 1986, Sec. II.2), in the cancellation-free form ``dx = 2 r / (f_a + sqrt(f_a^2 + 2 s r))``
    with slope ``s`` and remaining area ``r``.

    Parameters
    ----------
    x : array_like
        Increasing nodes.
    pdf : array_like
        Non-negative density values at the nodes.
    """

    def __init__(self, x: ArrayLike, pdf: ArrayLike):
        self.x = np.asarray(x, dtype=float)
        self.f = np.asarray(pdf, dtype=float)
        if self.x.ndim != 1 or self.x.size < 2 or self.f.shape != self.x.shape:
            msg = "TabulatedDistribution needs matching 1-d x and pdf with at least 2 nodes"
            raise InvalidParameterError(msg)
        if np.any(np.diff(self.x) <= 0) or np.any(self.f < 0) or not np.all(np.isfinite(self.f)):
            msg = "TabulatedDistribution needs increasing nodes and finite pdf values >= 0"
            raise InvalidParameterError(msg)
        w = np.diff(self.x)
        area = 0.5 * (self.f[:-1] + self.f[1:]) * w
        self.cdf = np.concatenate([[0.0], np.cumsum(area)])
        if not self.cdf[-1] > 0:
            msg = "TabulatedDistribution pdf integrates to zero"
            raise InvalidParameterError(msg)
        self.integral = float(self.cdf[-1])
        self.slope = np.diff(self.f) / w

    def pdf(self, x: ArrayLike) -> np.ndarray:
        """Normalised density at ``x`` (0 outside the nodes)."""
        x = np.asarray(x, dtype=float)
        inside = (x >= self.x[0]) & (x <= self.x[-1])
        return np.where(inside, np.interp(x, self.x, self.f), 0.0) / self.integral

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values."""
        u = rng.random(size) * self.integral
        j = np.clip(np.searchsorted(self.cdf, u, side="right") - 1, 0, self.slope.size - 1)
        r = u - self.cdf[j]
        fa = self.f[j]
        s = self.slope[j]
        disc = np.maximum(fa * fa + 2.0 * s * r, 0.0)
        den = fa + np.sqrt(disc)
        with np.errstate(divide="ignore", invalid="ignore"):
            dx = np.where(den > 0, 2.0 * r / den, 0.0)
        return self.x[j] + np.clip(dx, 0.0, self.x[j + 1] - self.x[j])


def uniform_or_reciprocal(
    rng: np.random.Generator, lo: ArrayLike, hi: ArrayLike, a0: ArrayLike, a1: ArrayLike
) -> np.ndarray:
    """Draw x from the density ``a0 + a1/x`` on ``[lo, hi]`` (``0 < lo <= hi``, ``a0, a1 >= 0``), elementwise.

    A two-component mixture (Devroye 1986, Sec. III.4): the uniform part has weight ``a0 (hi - lo)``,
    the reciprocal part ``a1 ln(hi/lo)`` and is drawn as ``lo (hi/lo)^u``.

    Returns
    -------
    numpy.ndarray
        One value per element of the broadcast inputs.
    """
    lo, hi, a0, a1 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lo, hi, a0, a1)))
    w0 = a0 * (hi - lo)
    w1 = a1 * np.log(hi / lo)
    u = rng.random(lo.shape)
    v = rng.random(lo.shape)
    tot = w0 + w1
    with np.errstate(invalid="ignore", divide="ignore"):
        recip = u * tot < w1
    x_rec = lo * np.exp(v * np.log(hi / lo))
    x_uni = lo + v * (hi - lo)
    return np.clip(np.where(recip, x_rec, x_uni), lo, hi)


def linear_cosine(rng: np.random.Generator, a: ArrayLike, size: int | None = None) -> np.ndarray:
    """Draw ``c = cos theta`` in [-1, 1] with density ``(1 - a c) / 2``, ``|a| <= 1``.

    Inverse CDF: ``F(c) = (c + 1)/2 - a (c^2 - 1)/4 = u`` gives, with ``k = 4u - 2 - a``,
    ``c = k / (1 + sqrt(1 - a k))`` (cancellation-free, continuous at ``a = 0`` where ``c = 2u - 1``).
    Used for the photon of N -> nu gamma in the N rest frame (physics.md Sec. 4.3: ``a = P`` for a
    Dirac N of polarisation P, ``a = 0`` for a Majorana N).

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream.
    a : array_like
        Slope parameter(s), ``-1 <= a <= 1``.
    size : int, optional
        Number of draws (default: the size of ``a``).
    """
    a = np.asarray(a, dtype=float)
    if np.any(np.abs(a) > 1):
        msg = f"linear_cosine slope must satisfy |a| <= 1, got max |a| = {float(np.max(np.abs(a)))!r}"
        raise InvalidParameterError(msg)
    n = a.size if size is None else int(size)
    u = rng.random(n)
    k = 4.0 * u - 2.0 - a
    c = k / (1.0 + np.sqrt(np.maximum(1.0 - a * k, 0.0)))
    return np.clip(c, -1.0, 1.0)
