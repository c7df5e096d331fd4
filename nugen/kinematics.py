"""Two-body kinematics of up-scattering nu X -> N X with a massive N.

All energies in MeV. The target X (electron or nucleus, mass ``m_target``) is at rest in the lab;
``E_nu`` is the incoming neutrino energy, ``T`` the kinetic recoil energy of X and ``M_N`` the mass
of the outgoing heavy neutrino. Closed forms from physics.md Sec. 2.2 (derived from the invariant
s = m^2 + 2 m E and checked against an explicit momentum construction in the tests).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "min_neutrino_energy",
    "recoil_cos_theta",
    "recoil_range",
    "threshold_energy",
]


def threshold_energy(M_N: ArrayLike, m_target: float) -> np.ndarray:
    """Lowest neutrino energy [MeV] that can produce N: ``E_thr = M + M^2 / (2 m)``.

    Follows from s = m^2 + 2 m E >= (m + M)^2 (physics.md Sec. 2.2).
    """
    M = np.asarray(M_N, dtype=float)
    return M + M * M / (2.0 * m_target)


def recoil_range(E_nu: ArrayLike, M_N: ArrayLike, m_target: float) -> tuple[np.ndarray, np.ndarray]:
    """Kinematic range [T_min, T_max] of the target recoil kinetic energy [MeV].

    ``T_min,max = [2 m E^2 - M^2 (E + m) -/+ E sqrt(lambda)] / [2 m (2E + m)]`` with
    ``lambda = (2 m E - M^2)^2 - 4 m^2 M^2`` (physics.md Sec. 2.2). Below threshold both are NaN.
    For ``M_N = 0`` this is [0, 2E^2/(2E + m)].

    Parameters
    ----------
    E_nu : array_like
        Neutrino energy [MeV].
    M_N : array_like
        Mass of N [MeV].
    m_target : float
        Target mass [MeV].
    """
    E = np.asarray(E_nu, dtype=float)
    M = np.asarray(M_N, dtype=float)
    m = float(m_target)
    M2 = M * M
    # lambda factorised as 4 m^2 (E - E_thr) (E + M - M^2/(2m)): exactly 0 at E = threshold_energy(M, m),
    # where the expanded form cancels to round-off of either sign (NaN range at the threshold)
    lam = 4.0 * m * m * (E - threshold_energy(M, m)) * (E + M - M2 / (2.0 * m))
    ok = (lam >= 0.0) & (2.0 * m * E >= M2)
    root = E * np.sqrt(np.where(ok, lam, 0.0))
    a = 2.0 * m * E * E - M2 * (E + m)
    den = 2.0 * m * (2.0 * E + m)
    t_hi = (a + root) / den
    # T_min = (a - root)/den suffers cancellation for small M; use the product of the roots of the
    # quadratic in T instead, T_min * T_max = (a^2 - root^2)/den^2 = M^4 / (4 m (2E + m)), written in
    # closed form because a^2 - root^2 cancels just as badly.
    prod = M2 * M2 / (4.0 * m * (2.0 * E + m))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_lo = np.where(t_hi > 0, prod / t_hi, 0.0)
    t_lo = np.where(ok, np.maximum(t_lo, 0.0), np.nan)
    t_hi = np.where(ok, t_hi, np.nan)
    return t_lo, t_hi


def min_neutrino_energy(T: ArrayLike, M_N: ArrayLike, m_target: float) -> np.ndarray:
    """Smallest neutrino energy [MeV] that gives recoil ``T`` [MeV] while producing N of mass ``M_N``.

    ``E_min(T) = (2 m T + M^2) / (2 [sqrt(T^2 + 2 m T) - T])`` (physics.md Sec. 2.2); its minimum
    over T is the threshold energy. For T <= 0 the result is +inf.
    """
    T = np.asarray(T, dtype=float)
    M = np.asarray(M_N, dtype=float)
    m = float(m_target)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.sqrt(T * T + 2.0 * m * T)
        # sqrt(T^2 + 2mT) - T = 2 m T / (p + T): no cancellation.
        out = (2.0 * m * T + M * M) * (p + T) / (4.0 * m * T)
    return np.where(T > 0, out, np.inf)


def recoil_cos_theta(E_nu: ArrayLike, T: ArrayLike, M_N: ArrayLike, m_target: float) -> np.ndarray:
    """Cosine of the lab angle of the recoiling target with respect to the neutrino direction.

    ``cos theta_T = [T (E + m) + M^2/2] / [E sqrt(T (T + 2 m))]`` (physics.md Sec. 2.2).
    """
    E = np.asarray(E_nu, dtype=float)
    T = np.asarray(T, dtype=float)
    M = np.asarray(M_N, dtype=float)
    m = float(m_target)
    return (T * (E + m) + 0.5 * M * M) / (E * np.sqrt(T * (T + 2.0 * m)))
