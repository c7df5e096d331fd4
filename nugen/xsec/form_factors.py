"""Nuclear form factors.

Helm form factor with the Lewin–Smith parameters: J. D. Lewin and P. F. Smith, Astropart. Phys. 6
(1996) 87, Sec. 4; R. H. Helm, Phys. Rev. 104 (1956) 1466. Check values in physics.md Sec. 2.6.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from nugen.constants import HBARC_MEV_FM

__all__ = ["helm_form_factor_sq", "helm_radius_fm", "momentum_transfer_fm"]

#: Helm skin thickness s [fm] (Lewin & Smith 1996).
HELM_S_FM = 0.9
#: Helm surface parameter a [fm] (Lewin & Smith 1996).
HELM_A_FM = 0.52


def helm_radius_fm(A: float) -> float:
    """Helm radius r_n [fm]: ``r_n^2 = c^2 + (7/3) pi^2 a^2 - 5 s^2``, ``c = 1.23 A^(1/3) - 0.60``."""
    c = 1.23 * A ** (1.0 / 3.0) - 0.60
    return float(np.sqrt(c * c + 7.0 / 3.0 * np.pi**2 * HELM_A_FM**2 - 5.0 * HELM_S_FM**2))


def momentum_transfer_fm(T: ArrayLike, m_A: float) -> np.ndarray:
    """Momentum transfer |q| [fm^-1] for a recoil of kinetic energy ``T`` [MeV] of mass ``m_A`` [MeV]."""
    T = np.asarray(T, dtype=float)
    return np.sqrt(2.0 * m_A * T + T * T) / HBARC_MEV_FM


def helm_form_factor_sq(T: ArrayLike, A: float, m_A: float) -> np.ndarray:
    """Squared Helm form factor F^2(q) at recoil energy ``T`` [MeV].

    ``F(q) = 3 j1(q r_n) / (q r_n) exp(-(q s)^2 / 2)`` (Lewin & Smith 1996, Eq. 4.7).

    Parameters
    ----------
    T : array_like
        Nuclear recoil kinetic energy [MeV].
    A : float
        Mass number.
    m_A : float
        Nuclear mass [MeV].
    """
    q = momentum_transfer_fm(T, m_A)
    x = q * helm_radius_fm(A)
    small = x < 1e-3
    xs = np.where(small, 1.0, x)
    j1_over_x = np.where(small, 1.0 / 3.0 - x * x / 30.0, (np.sin(xs) / xs**2 - np.cos(xs) / xs) / xs)
    f = 3.0 * j1_over_x * np.exp(-0.5 * (q * HELM_S_FM) ** 2)
    return f * f
