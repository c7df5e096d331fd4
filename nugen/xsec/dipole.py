"""Dipole-portal up-scattering cross sections nu X -> N X with a massive N.

Lagrangian (seed paper eq. 1; Brdar et al., JCAP 01 (2021) 039, arXiv:2007.15563):
``(1/2) mu nubar_L sigma^{mu nu} N_R F_{mu nu} + h.c.``. The differential cross section on a point
spin-1/2 charge of mass m is (physics.md Sec. 2.1; Magill, Plestid, Pospelov, Tsai, PRD 98 (2018)
115015, Eq. A.6 with d = mu/2; Vogel & Engel, PRD 39 (1989) 3378 for M_N = 0)::

    dsigma/dT = alpha mu^2 [ 1/T - 1/E + M^2 (T - 2E - m)/(4 E^2 T m) + M^4 (T - m)/(8 E^2 T^2 m^2) ]

and zero outside the kinematic range of :func:`nugen.kinematics.recoil_range`. On a nucleus the
coherent cross section is the same with m -> m_A times Z^2 F^2(q) (physics.md Sec. 2.6). The proton
(Z = A = 1, the H1 "nucleus" of hydrogenous targets) is not a nucleus with a charge form factor: for it
:func:`dipole_nucleus_dsigma_dT` returns the elastic nucleon cross section with the Dirac and Pauli form
factors F1, F2 (:func:`nugen.xsec.nucleon.dipole_nucleon_dsigma_dT`), so the rates, the beam events and the
generator, which all call it, treat free protons the same way.

Inputs are in MeV, ``mu_muB`` in Bohr magnetons; outputs in cm^2/MeV (differential) or cm^2 (total).
Production does not depend on whether N is Dirac or Majorana (physics.md Sec. 1.4).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from nugen.constants import ALPHA, CM2_PER_MEV2, M_E, MU_B_PER_MEV
from nugen.kinematics import min_neutrino_energy, recoil_range
from nugen.xsec.form_factors import DEFAULT_FORM_FACTOR, check_form_factor_model, nuclear_form_factor_sq
from nugen.xsec.nucleon import dipole_nucleon_dsigma_dT

__all__ = [
    "dipole_dsigma_dT",
    "dipole_electron_dsigma_dT",
    "dipole_nucleus_dsigma_dT",
    "dipole_sigma_total",
]


def _bracket(E: np.ndarray, T: np.ndarray, M: np.ndarray, m: float) -> np.ndarray:
    E2 = E * E
    M2 = M * M
    return (
        1.0 / T
        - 1.0 / E
        + M2 * (T - 2.0 * E - m) / (4.0 * E2 * T * m)
        + M2 * M2 * (T - m) / (8.0 * E2 * T * T * m * m)
    )


def dipole_dsigma_dT(
    E_nu: ArrayLike, T: ArrayLike, M_N: ArrayLike, m_target: float, mu_muB: ArrayLike = 1.0
) -> np.ndarray:
    """Dipole up-scattering dsigma/dT [cm^2/MeV] on a point charge e of mass ``m_target``.

    Parameters
    ----------
    E_nu : array_like
        Neutrino energy [MeV].
    T : array_like
        Recoil kinetic energy [MeV].
    M_N : array_like
        Mass of N [MeV]; 0 gives the Vogel–Engel result ``alpha mu^2 (1/T - 1/E)``.
    m_target : float
        Target mass [MeV].
    mu_muB : array_like
        Magnetic moment [mu_B] (broadcast).

    Returns
    -------
    numpy.ndarray
        dsigma/dT, zero outside the kinematic range and for T <= 0.
    """
    # T_min(E) <= T <= T_max(E) is E >= E_min(T) (physics.md Sec. 2.2), which costs a third of
    # recoil_range and only the size of T where T is a grid broadcast against E (the rate integrals)
    T0, M0 = np.asarray(T, dtype=float), np.asarray(M_N, dtype=float)
    e_min = min_neutrino_energy(T0, M0, m_target)
    E, T, M = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (E_nu, T0, M0)))
    inside = (T > 0) & (E >= e_min)
    Ts = np.where(inside, T, 1.0)
    Es = np.where(inside, E, 1.0)
    val = _bracket(Es, Ts, M, m_target)
    mu = np.asarray(mu_muB, dtype=float) * MU_B_PER_MEV
    return np.where(inside, np.maximum(val, 0.0), 0.0) * ALPHA * mu * mu * CM2_PER_MEV2


def dipole_electron_dsigma_dT(
    E_nu: ArrayLike, T: ArrayLike, M_N: ArrayLike, mu_muB: ArrayLike = 1.0
) -> np.ndarray:
    """Dipole nu e -> N e on a free electron at rest, dsigma/dT [cm^2/MeV] (physics.md Sec. 2.1)."""
    return dipole_dsigma_dT(E_nu, T, M_N, M_E, mu_muB)


def dipole_nucleus_dsigma_dT(
    E_nu: ArrayLike,
    T: ArrayLike,
    M_N: ArrayLike,
    Z: int,
    A: float,
    m_A: float,
    mu_muB: ArrayLike = 1.0,
    form_factor: bool | str = True,
) -> np.ndarray:
    """Coherent dipole nu A -> N A, dsigma/dT [cm^2/MeV] (physics.md Sec. 2.6).

    ``Z^2 F^2(q)`` times the point-charge result with ``m -> m_A``; F is the Helm form factor by default
    or the Fourier–Bessel charge form factor (:func:`nugen.xsec.form_factors.nuclear_form_factor_sq`).
    For the proton (Z = A = 1) with a form factor (any model): the elastic proton cross section with
    F1 and F2 of :func:`nugen.xsec.nucleon.dipole_nucleon_dsigma_dT` (kinematics with ``m_A``).

    Parameters
    ----------
    Z, A : int, float
        Charge and mass number of the nucleus.
    m_A : float
        Nuclear mass [MeV].
    form_factor : bool or {"helm", "fourier_bessel"}
        ``True`` (default) multiplies by the default model's F^2 (Helm), a model name by that model's,
        ``False`` treats the nucleus as a point charge.
    """
    if form_factor is False:
        return Z * Z * dipole_dsigma_dT(E_nu, T, M_N, m_A, mu_muB)
    model = DEFAULT_FORM_FACTOR if form_factor is True else check_form_factor_model(form_factor)
    if Z == 1 and round(float(A)) == 1:  # the free proton: F1 and F2, not a nuclear charge density
        return dipole_nucleon_dsigma_dT(E_nu, T, M_N, "proton", mu_muB, m_target=m_A)
    return Z * Z * dipole_dsigma_dT(E_nu, T, M_N, m_A, mu_muB) * nuclear_form_factor_sq(T, Z, A, m_A, model)


def dipole_sigma_total(
    E_nu: ArrayLike,
    M_N: ArrayLike,
    m_target: float = M_E,
    T_lo: ArrayLike | None = None,
    T_hi: ArrayLike | None = None,
    mu_muB: ArrayLike = 1.0,
) -> np.ndarray:
    """Integral of :func:`dipole_dsigma_dT` over T in closed form [cm^2] (physics.md Sec. 2.4).

    ``sigma = alpha mu^2 { [1 - M^2 (2E + m)/(4 E^2 m) + M^4/(8 E^2 m^2)] ln(T2/T1) - (T2 - T1)/E
    + M^2 (T2 - T1)/(4 E^2 m) + (M^4 / (8 E^2 m)) (1/T2 - 1/T1) }`` with [T1, T2] the kinematic range
    intersected with [T_lo, T_hi]. Diverges for M_N = 0 unless ``T_lo > 0`` is given.
    Zero below threshold or where the window is empty.
    """
    E = np.asarray(E_nu, dtype=float)
    M = np.asarray(M_N, dtype=float)
    m = float(m_target)
    t1, t2 = recoil_range(E, M, m)
    if T_lo is not None:
        t1 = np.maximum(t1, np.asarray(T_lo, dtype=float))
    if T_hi is not None:
        t2 = np.minimum(t2, np.asarray(T_hi, dtype=float))
    ok = np.isfinite(t1) & np.isfinite(t2) & (t2 > t1)
    t1 = np.where(ok, t1, 1.0)
    t2 = np.where(ok, t2, 1.0)
    Es = np.where(ok, E, 1.0)
    M2 = M * M
    E2 = Es * Es
    with np.errstate(divide="ignore"):
        val = (
            (1.0 - M2 * (2.0 * Es + m) / (4.0 * E2 * m) + M2 * M2 / (8.0 * E2 * m * m)) * np.log(t2 / t1)
            - (t2 - t1) / Es
            + M2 * (t2 - t1) / (4.0 * E2 * m)
            + M2 * M2 / (8.0 * E2 * m) * (1.0 / t2 - 1.0 / t1)
        )
    mu = np.asarray(mu_muB, dtype=float) * MU_B_PER_MEV
    return np.where(ok, val, 0.0) * ALPHA * mu * mu * CM2_PER_MEV2
