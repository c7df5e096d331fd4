"""Two-body kinematics of up-scattering nu X -> N X with a massive N.

All energies in MeV. The target X (electron or nucleus, mass ``m_target``) is at rest in the lab;
``E_nu`` is the incoming neutrino energy, ``T`` the kinetic recoil energy of X and ``M_N`` the mass
of the outgoing heavy neutrino. Closed forms from physics.md Sec. 2.2 (derived from the invariant
s = m^2 + 2 m E and checked against an explicit momentum construction in the tests).

Event kinematics for the generator (vectorised, four-vectors as tuples ``(E, px, py, pz)`` in MeV):
:func:`two_body_final_state` (recoil and N in the lab), :func:`decay_to_massless_pair` (N -> nu gamma
in flight from the rest-frame photon angle, physics.md Secs. 4.3-4.4), :func:`boost`,
:func:`orthonormal_basis`, :func:`rotate_from_z` and :func:`invariant_mass_sq`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from nugen.errors import InvalidParameterError

__all__ = [
    "boost",
    "decay_to_massless_pair",
    "invariant_mass_sq",
    "min_neutrino_energy",
    "orthonormal_basis",
    "recoil_cos_theta",
    "recoil_range",
    "rotate_from_z",
    "threshold_energy",
    "two_body_final_state",
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
    # an absurd M_N (M^2 or M^4 beyond float range) overflows to inf here: no kinematic range (ok is
    # False, NaN returned), without RuntimeWarnings in front of the caller's one-line message
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
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


# -- full four-vectors -----------------------------------------------------------------------------
# Four-vectors are tuples (E, px, py, pz) of equally shaped arrays [MeV]; the incoming neutrino moves
# along +z and the target is at rest, unless rotated with :func:`rotate_from_z`.


def two_body_final_state(
    E_nu: ArrayLike, T: ArrayLike, M_N: ArrayLike, m_target: ArrayLike, phi: ArrayLike
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Lab four-momenta of the recoiling target and of N in nu X -> N X, neutrino along +z.

    The recoil has kinetic energy ``T``, momentum ``|p| = sqrt(T (T + 2 m))`` at the polar angle of
    :func:`recoil_cos_theta` (physics.md Sec. 2.2) and azimuth ``phi``; N takes the rest,
    ``p_N = k_nu + p_X - p_X'`` (so four-momentum is conserved exactly, and ``p_N^2 = M_N^2`` up to
    round-off for a kinematically allowed ``(E_nu, T)``). The cosine is clipped to [-1, 1] against
    round-off at the ends of the recoil range.

    Parameters
    ----------
    E_nu : array_like
        Neutrino energy [MeV].
    T : array_like
        Recoil kinetic energy [MeV], inside :func:`recoil_range`.
    M_N : array_like
        Mass of the outgoing neutral lepton [MeV] (0 for Standard-Model scattering).
    m_target : float or array_like
        Target mass [MeV] (per event allowed, e.g. for a mixture of isotopes).
    phi : array_like
        Azimuth of the recoil about the neutrino direction [rad].

    Returns
    -------
    recoil, N : tuple of numpy.ndarray
        ``(E, px, py, pz)`` of the target (total energy ``m + T``) and of N [MeV].
    """
    E, T, phi, M, m = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (E_nu, T, phi, M_N, m_target))
    )
    p = np.sqrt(T * (T + 2.0 * m))
    # recoil_cos_theta's closed form, written here so that m may vary per event
    c = np.clip((T * (E + m) + 0.5 * M * M) / (E * p), -1.0, 1.0)
    s = np.sqrt((1.0 - c) * (1.0 + c))
    pt = p * s
    px = pt * np.cos(phi)
    py = pt * np.sin(phi)
    pz = p * c
    recoil = (m + T, px, py, pz)
    N = (E - T, -px, -py, E - pz)
    return recoil, N


def orthonormal_basis(nx: ArrayLike, ny: ArrayLike, nz: ArrayLike) -> tuple[tuple[np.ndarray, ...], ...]:
    """Two unit vectors ``e1, e2`` with ``(e1, e2, n)`` a right-handed orthonormal basis, for unit ``n``.

    Branch-free construction of T. Duff et al., J. Comput. Graph. Tech. 6 (2017) 1 ("Building an
    orthonormal basis, revisited"), continuous except across ``n_z = 0`` where the sign flips.
    """
    nx, ny, nz = (np.asarray(v, dtype=float) for v in (nx, ny, nz))
    sign = np.where(nz >= 0.0, 1.0, -1.0)
    a = -1.0 / (sign + nz)
    b = nx * ny * a
    e1 = (1.0 + sign * nx * nx * a, sign * b, -sign * nx)
    e2 = (b, sign + ny * ny * a, -ny)
    return e1, e2


def decay_to_massless_pair(
    N: tuple[np.ndarray, ...], M_N: float, cos_theta_star: ArrayLike, psi: ArrayLike
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Lab four-momenta of the photon and the neutrino in N -> nu gamma, given the rest-frame photon angle.

    In the N rest frame the photon has energy ``M/2`` and polar angle ``theta*`` with respect to the N
    flight direction (the helicity axis of physics.md Sec. 4.3) and azimuth ``psi``. The boost along the
    flight direction (``gamma = E_N/M``, ``gamma beta = p_N/M``) gives, without dividing by M,

        E_gamma = (E_N + p_N cos theta*)/2,  p_par = (E_N cos theta* + p_N)/2,  p_perp = M sin theta*/2

    (physics.md Sec. 4.4: ``E_gamma = (gamma M/2)(1 + beta cos theta*)``). The neutrino takes
    ``p_N - p_gamma``.

    Parameters
    ----------
    N : tuple of numpy.ndarray
        ``(E, px, py, pz)`` of N in the lab [MeV].
    M_N : float
        N mass [MeV], > 0.
    cos_theta_star : array_like
        Cosine of the photon polar angle in the N rest frame relative to the N direction.
    psi : array_like
        Photon azimuth about the N direction [rad].

    Returns
    -------
    photon, neutrino : tuple of numpy.ndarray
        ``(E, px, py, pz)`` [MeV].
    """
    E, px, py, pz = (np.asarray(v, dtype=float) for v in N)
    p = np.sqrt(px * px + py * py + pz * pz)
    safe = p > 0
    ps = np.where(safe, p, 1.0)
    nx = np.where(safe, px / ps, 0.0)
    ny = np.where(safe, py / ps, 0.0)
    nz = np.where(safe, pz / ps, 1.0)
    c = np.asarray(cos_theta_star, dtype=float)
    s = np.sqrt(np.maximum((1.0 - c) * (1.0 + c), 0.0))
    e_g = 0.5 * (E + p * c)
    p_par = 0.5 * (E * c + p)
    p_perp = 0.5 * float(M_N) * s
    (e1x, e1y, e1z), (e2x, e2y, e2z) = orthonormal_basis(nx, ny, nz)
    cp = p_perp * np.cos(psi)
    sp = p_perp * np.sin(psi)
    gx = p_par * nx + cp * e1x + sp * e2x
    gy = p_par * ny + cp * e1y + sp * e2y
    gz = p_par * nz + cp * e1z + sp * e2z
    photon = (e_g, gx, gy, gz)
    nu = (E - e_g, px - gx, py - gy, pz - gz)
    return photon, nu


def boost(p4: tuple[np.ndarray, ...], beta: tuple[ArrayLike, ArrayLike, ArrayLike]) -> tuple[np.ndarray, ...]:
    """Lorentz boost of four-vectors ``(E, px, py, pz)`` by velocity ``beta`` (a frame moving with -beta).

    ``E' = gamma (E + beta.p)``, ``p' = p + [(gamma - 1)(beta.p)/beta^2 + gamma E] beta`` — the
    standard pure boost that takes a particle at rest to velocity ``beta``.
    """
    E, px, py, pz = (np.asarray(v, dtype=float) for v in p4)
    bx, by, bz = (np.asarray(v, dtype=float) for v in beta)
    b2 = bx * bx + by * by + bz * bz
    if np.any(b2 >= 1.0):
        msg = f"boost velocity must satisfy |beta| < 1, got |beta|^2 up to {float(np.max(b2))!r}"
        raise InvalidParameterError(msg)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    bp = bx * px + by * py + bz * pz
    # (gamma - 1)/beta^2 = gamma^2/(gamma + 1): no 0/0 at beta = 0
    k = gamma * gamma / (gamma + 1.0) * bp + gamma * E
    return (gamma * (E + bp), px + k * bx, py + k * by, pz + k * bz)


def rotate_from_z(
    vec: tuple[np.ndarray, np.ndarray, np.ndarray], direction: tuple[ArrayLike, ArrayLike, ArrayLike]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rotate 3-vectors given in a frame whose z axis is ``direction`` (unit) into the lab frame.

    The frame's x and y axes are the :func:`orthonormal_basis` vectors of ``direction``; the result is
    ``x e1 + y e2 + z n``. Used to point the incoming neutrino along a physical direction (e.g. from
    the Sun) after generating with the neutrino along +z.
    """
    x, y, z = (np.asarray(v, dtype=float) for v in vec)
    nx, ny, nz = (np.asarray(v, dtype=float) for v in direction)
    (e1x, e1y, e1z), (e2x, e2y, e2z) = orthonormal_basis(nx, ny, nz)
    return (x * e1x + y * e2x + z * nx, x * e1y + y * e2y + z * ny, x * e1z + y * e2z + z * nz)


def invariant_mass_sq(p4: tuple[ArrayLike, ...]) -> np.ndarray:
    """``E^2 - |p|^2`` [MeV^2] of four-vectors ``(E, px, py, pz)``."""
    E, px, py, pz = (np.asarray(v, dtype=float) for v in p4)
    return (E - pz) * (E + pz) - px * px - py * py
