"""Analytic beta-decay and alpha-line shapes for radioactive backgrounds in scintillator detectors.

The kinetic-energy spectrum of the electron (or positron) of an allowed or forbidden beta decay is::

    dN/dT ∝ p W (W0 - W)^2 F(±Z_d, W) C(W),     W = 1 + T/m_e,  W0 = 1 + Q/m_e,  p = sqrt(W^2 - 1)

(units of m_e for W and p), with

* ``F`` the relativistic Fermi function with a finite-size factor (E. J. Konopinski, *The Theory of
  Beta Radioactivity*, Oxford 1966; e.g. H. Behrens & W. Buehring, *Electron Radial Wave Functions and
  Nuclear Beta-decay*, Oxford 1982)::

      F(Z, W) = 2 (1 + g) (2 p R)^(2 g - 2) exp(pi eta) |Gamma(g + i eta)|^2 / Gamma(2 g + 1)^2,
      g = sqrt(1 - (alpha Z)^2),  eta = alpha Z W / p,  R = 1.2 A^(1/3) fm in units of hbar/(m_e c),

  with ``Z = +Z_d`` for electrons and ``Z = -Z_d`` for positrons;
* ``C(W)`` the shape factor: 1 (allowed), ``q^2 + p^2`` with ``q = W0 - W`` (first-forbidden unique, e.g.
  85Kr), or an empirical ``1 + c1/W + c2 W + c3 W^2`` (e.g. 210Bi, H. Daniel, Nucl. Phys. 31 (1962) 293,
  coefficients as used in the decay0 generator of V. I. Tretyak).

Energies in MeV; spectra are normalised to unit integral over [0, Q] (MeV^-1).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import loggamma

from nugen.constants import ALPHA, HBARC_MEV_FM, M_E
from nugen.errors import InvalidParameterError

__all__ = ["BetaShape", "fermi_function", "gauss_legendre_nodes", "pileup_spectrum"]


def fermi_function(Z: float, W: ArrayLike, A: float) -> np.ndarray:
    """Relativistic Fermi function with a finite nuclear size.

    Parameters
    ----------
    Z : float
        Daughter charge, positive for beta-, negative for beta+.
    W : array_like
        Total electron energy in units of m_e (> 1).
    A : float
        Mass number (nuclear radius R = 1.2 A^(1/3) fm).

    Returns
    -------
    numpy.ndarray
        F(Z, W) (dimensionless), 1 for Z = 0.
    """
    W = np.asarray(W, dtype=float)
    if Z == 0:
        return np.ones_like(W)
    p = np.sqrt(np.maximum(W * W - 1.0, 1e-300))
    g = math.sqrt(1.0 - (ALPHA * Z) ** 2)
    eta = ALPHA * Z * W / p
    R = 1.2 * A ** (1.0 / 3.0) * M_E / HBARC_MEV_FM
    log_f = (
        math.log(2.0 * (1.0 + g))
        + (2.0 * g - 2.0) * np.log(2.0 * p * R)
        + math.pi * eta
        + 2.0 * np.real(loggamma(g + 1j * eta))
        - 2.0 * float(np.real(loggamma(2.0 * g + 1.0)))
    )
    return np.exp(log_f)


@functools.cache
def gauss_legendre_nodes(
    lo: float, hi: float, n_seg: int = 16, n_gl: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on ``n_seg`` equal segments of [lo, hi] (cached)."""
    x, w = np.polynomial.legendre.leggauss(n_gl)
    a = np.linspace(lo, hi, n_seg + 1)
    half = 0.5 * np.diff(a)
    nodes = (a[:-1, None] + half[:, None] * (x[None, :] + 1.0)).ravel()
    weights = (half[:, None] * w[None, :]).ravel()
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


@dataclass(frozen=True)
class BetaShape:
    """Normalised kinetic-energy spectrum of a beta decay.

    Attributes
    ----------
    name : str
        Isotope, e.g. ``"210Bi"``.
    Q_MeV : float
        Endpoint kinetic energy [MeV].
    Z_daughter : int
        Charge of the daughter nucleus (positive number).
    A : int
        Mass number.
    positron : bool
        True for beta+ (Fermi function with -Z_d).
    kind : str
        ``"allowed"``, ``"unique1"`` (first-forbidden unique, ``C = q^2 + p^2``) or ``"empirical"``.
    coeffs : tuple of float
        ``(c1, c2, c3)`` of the empirical shape factor ``1 + c1/W + c2 W + c3 W^2``.
    """

    name: str
    Q_MeV: float
    Z_daughter: int
    A: int
    positron: bool = False
    kind: str = "allowed"
    coeffs: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if self.kind not in ("allowed", "unique1", "empirical"):
            msg = f"unknown beta-shape kind {self.kind!r} for {self.name}; known: allowed, unique1, empirical"
            raise InvalidParameterError(msg)
        if not self.Q_MeV > 0:
            msg = f"beta endpoint of {self.name} must be > 0 MeV, got {self.Q_MeV!r}"
            raise InvalidParameterError(msg)

    def unnormalised(self, T_MeV: ArrayLike) -> np.ndarray:
        """Spectrum shape (arbitrary units), zero outside 0 < T < Q."""
        T = np.asarray(T_MeV, dtype=float)
        inside = (T > 0.0) & (T < self.Q_MeV)
        Tc = np.where(inside, T, 0.5 * self.Q_MeV)
        W = 1.0 + Tc / M_E
        W0 = 1.0 + self.Q_MeV / M_E
        p = np.sqrt(W * W - 1.0)
        q = W0 - W
        z = -self.Z_daughter if self.positron else self.Z_daughter
        shape = p * W * q * q * fermi_function(z, W, self.A)
        if self.kind == "unique1":
            shape = shape * (q * q + p * p)
        elif self.kind == "empirical":
            c1, c2, c3 = self.coeffs
            shape = shape * (1.0 + c1 / W + c2 * W + c3 * W * W)
        return np.where(inside, shape, 0.0)

    @functools.cached_property
    def _norm(self) -> float:
        T, w = gauss_legendre_nodes(0.0, self.Q_MeV, 32, 12)
        return float(np.sum(w * self.unnormalised(T)))

    def pdf(self, T_MeV: ArrayLike) -> np.ndarray:
        """Normalised spectrum dN/dT [MeV^-1]."""
        return self.unnormalised(T_MeV) / self._norm

    def nodes(self, n_seg: int = 16, n_gl: int = 12) -> tuple[np.ndarray, np.ndarray]:
        """Quadrature nodes T [MeV] and weights ``w x pdf(T)`` (summing to 1) over [0, Q]."""
        T, w = gauss_legendre_nodes(0.0, self.Q_MeV, n_seg, n_gl)
        return T, w * self.pdf(T)


def pileup_spectrum(shape: BetaShape, n_grid: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Sum energy of two independent decays of ``shape`` (random coincidence), normalised.

    Returns
    -------
    T, pdf : numpy.ndarray
        A uniform grid on [0, 2Q] [MeV] and the self-convolution of the spectrum on it [MeV^-1].
    """
    dT = shape.Q_MeV / n_grid
    T = (np.arange(n_grid) + 0.5) * dT
    f = shape.pdf(T)
    f = f / (f.sum() * dT)
    conv = np.convolve(f, f) * dT  # value at T_i + T_j = (i + j + 1) dT
    grid = (np.arange(conv.size) + 1.0) * dT
    conv = conv / (conv.sum() * dT)
    return grid, conv
