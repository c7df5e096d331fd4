"""Monotone piecewise-cubic (PCHIP) interpolation of a table, with its exact integral.

The algorithm of :class:`scipy.interpolate.PchipInterpolator` (Fritsch & Carlson, SIAM J. Numer. Anal.
17 (1980) 238; derivatives by the weighted harmonic mean of Fritsch & Butland, SIAM J. Sci. Stat.
Comput. 5 (1984) 300; the shape-preserving three-point end conditions of Moler, *Numerical Computing
with MATLAB*, Sec. 3.6), written out in numpy. Why not scipy's: importing :mod:`scipy.interpolate`
imports :mod:`scipy.optimize` with it, 0.27 s of a fresh process on the machine of docs/benchmarks.md,
about a third of a whole ``nugen generate`` of the solar sample, which needs only this one
interpolant (issue 18, start-up). ``tests/nugen/test_pchip.py`` compares it with scipy's to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from nugen.errors import InvalidParameterError

__all__ = ["Pchip"]


def _end_slope(h0: float, h1: float, m0: float, m1: float) -> float:
    """Shape-preserving three-point slope at an end of the table (Moler Sec. 3.6; scipy's ``_edge_case``)."""
    d = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if np.sign(d) != np.sign(m0):
        return 0.0
    if np.sign(m0) != np.sign(m1) and abs(d) > 3.0 * abs(m0):
        return 3.0 * m0
    return float(d)


def _slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """PCHIP slopes dy/dx at the nodes.

    Zero at a local extremum or next to a flat segment, else the weighted harmonic mean of the
    neighbouring secants (Fritsch & Butland 1984).
    """
    h = np.diff(x)
    m = np.diff(y) / h
    if len(x) == 2:
        return np.array([m[0], m[0]])
    d = np.zeros_like(y)
    w1 = 2.0 * h[1:] + h[:-1]
    w2 = h[1:] + 2.0 * h[:-1]
    flat = (np.sign(m[1:]) != np.sign(m[:-1])) | (m[1:] == 0.0) | (m[:-1] == 0.0)
    ok = ~flat
    d[1:-1][ok] = (w1[ok] + w2[ok]) / (w1[ok] / m[:-1][ok] + w2[ok] / m[1:][ok])
    d[0] = _end_slope(h[0], h[1], m[0], m[1])
    d[-1] = _end_slope(h[-1], h[-2], m[-1], m[-2])
    return d


@dataclass(eq=False, frozen=True)
class Pchip:
    """Monotone cubic Hermite interpolant through ``(x, y)``; ``nan`` outside ``[x[0], x[-1]]``.

    Parameters
    ----------
    x : array_like
        Strictly increasing nodes (at least two), any unit.
    y : array_like
        Values at the nodes, same length as ``x``.

    Raises
    ------
    InvalidParameterError
        Fewer than two nodes, lengths that differ, non-finite entries or nodes not strictly increasing.
    """

    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    slopes: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        x = np.asarray(self.x, dtype=float)
        y = np.asarray(self.y, dtype=float)
        if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
            msg = f"PCHIP needs two 1-d arrays of equal length >= 2, got shapes {x.shape} and {y.shape}"
            raise InvalidParameterError(msg)
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            msg = "PCHIP nodes and values must be finite"
            raise InvalidParameterError(msg)
        if np.any(np.diff(x) <= 0.0):
            i = int(np.argmax(np.diff(x) <= 0.0))
            a, b = float(x[i]), float(x[i + 1])
            msg = f"PCHIP nodes must increase strictly; x[{i}] = {a!r} >= x[{i + 1}] = {b!r}"
            raise InvalidParameterError(msg)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "slopes", _slopes(x, y))

    def __repr__(self) -> str:
        return f"Pchip({len(self.x)} nodes on [{self.x[0]:g}, {self.x[-1]:g}])"

    def __call__(self, x: ArrayLike) -> np.ndarray:
        """The interpolant at ``x`` (cubic Hermite form on the segment holding each point)."""
        t = np.asarray(x, dtype=float)
        k = np.clip(np.searchsorted(self.x, t, side="right") - 1, 0, len(self.x) - 2)
        h = self.x[k + 1] - self.x[k]
        s = (t - self.x[k]) / h
        y0, y1 = self.y[k], self.y[k + 1]
        d0, d1 = self.slopes[k] * h, self.slopes[k + 1] * h
        s2 = s * s
        # Hermite basis: h00 = 2s^3 - 3s^2 + 1, h10 = s^3 - 2s^2 + s, h01 = -2s^3 + 3s^2, h11 = s^3 - s^2
        out = y0 + s * d0 + s2 * (3.0 * (y1 - y0) - 2.0 * d0 - d1) + s2 * s * (2.0 * (y0 - y1) + d0 + d1)
        inside = (t >= self.x[0]) & (t <= self.x[-1])
        return np.where(inside, out, np.nan)

    def integral(self) -> float:
        """The exact integral over the table, ``sum h (y_k + y_k+1) / 2 + h^2 (d_k - d_k+1) / 12``."""
        h = np.diff(self.x)
        d = self.slopes
        return float(np.sum(h * (self.y[:-1] + self.y[1:]) / 2.0 + h * h * (d[:-1] - d[1:]) / 12.0))
