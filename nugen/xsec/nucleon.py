"""Dipole up-scattering on a nucleon, nu N_h -> N N_h, with the Dirac and Pauli form factors (issue 15).

Process nu(k) h(P) -> N(k') h(P') with h a proton or a neutron at rest (mass m), photon exchange
q = k - k' = P' - P, Q^2 = -q^2 = 2 m T. The neutrino side is nugen's dipole vertex
``mu ubar_N sigma^{mu nu} q_nu P_L u_nu`` (physics.md Sec. 1.1, as in :mod:`nugen.xsec.dipole`); the
nucleon side is the on-shell electromagnetic current

    e ubar(P') [F1(Q^2) gamma^mu + i F2(Q^2) sigma^{mu nu} q_nu / (2 m)] u(P)

(the current of DarkNews' "p-el"/"n-el" channels, A. Abdullahi, M. Hostert, D. Massaro, S. Pascoli,
arXiv:2207.04137; for the form of the current and its tensor e.g. C. H. Llewellyn Smith, Phys. Rep. 3
(1972) 261, Sec. 3). With K = P + P', the spin-averaged hadronic tensor is (dropping q^mu q^nu, which
vanishes against the conserved dipole current)::

    (1/2) sum H^{mu nu} = (F1^2 + tau F2^2) K^mu K^nu + G_M^2 q^2 g^{mu nu},   tau = Q^2/(4 m^2),
    G_M = F1 + F2.

Contracting it with the dipole's leptonic tensor (our derivation: L^mu_mu = (q^2 - M^2)(q^2 + 2 M^2),
checked numerically with explicit Dirac matrices, tests/nugen/test_nucleon.py) gives, with E the
neutrino energy, T the nucleon's kinetic energy and M = M_N::

    dsigma/dT = alpha mu^2 [ (F1^2 + tau F2^2) X_K - G_M^2 X_g ],
    X_K = 1/T - 1/E + T/(4 E^2) + M^2/(8 E^2 m) - M^2 (2E + m)/(4 E^2 T m) - M^4/(8 E^2 T^2 m),
    X_g = (2 m T + M^2)(m T - M^2) / (8 m^2 T E^2).

For F1 = 1, F2 = 0 (a point Dirac charge) X_K - X_g is exactly the bracket of
:func:`nugen.xsec.dipole.dipole_dsigma_dT` (physics.md Sec. 2.1; Magill, Plestid, Pospelov, Tsai, PRD 98
(2018) 115015, Eq. A.6 with d = mu/2); X_K alone is the spin-0 result (at M = 0 it is (2E - T)^2/(4 E^2 T)).
The Pauli term therefore enters only through tau F2^2 and the magnetic G_M^2 = (1 + kappa)^2 G_D^2 term:
it raises the cross section at large Q^2 (heavy N, hard beams) and, for M > 0, near T_min where
m T < M^2 makes X_g negative.

Form factors (:func:`nucleon_form_factors`): Sachs form factors in the standard dipole parametrisation
(C. F. Perdrisat, V. Punjabi, M. Vanderhaeghen, Prog. Part. Nucl. Phys. 59 (2007) 694, Sec. 2),
``G_D = (1 + Q^2/0.71 GeV^2)^-2``; proton ``G_E^p = G_D``, ``G_M^p = mu_p G_D``; neutron
``G_M^n = mu_n G_D`` and ``G_E^n`` of S. Galster et al., Nucl. Phys. B 32 (1971) 221:
``G_E^n = -mu_n tau G_D / (1 + 5.6 tau)`` (``neutron_electric="zero"`` sets it to 0);
``F1 = (G_E + tau G_M)/(1 + tau)``, ``F2 = (G_M - G_E)/(1 + tau)``, so F1_p(0) = 1, F2_p(0) = kappa_p =
mu_p - 1 = 1.793, F1_n(0) = 0, F2_n(0) = mu_n = -1.913 (mu_p, mu_n, m_p, m_n: CODATA via scipy).
DarkNews 0.4.8 uses the same dipole with M_V = 0.843 GeV (M_V^2 = 0.7106 GeV^2, 0.1 % from 0.71) and
mu_p = 2.792 for the proton; for the neutron it writes F1_n = G_D (1 + tau mu_n)/(1 + tau), i.e.
G_E^n = G_D, a neutron of unit charge (DarkNews/nuclear_tools.py, ``nucleon_F1_EM`` with tau3 = -1):
its "n-el" channel (off by default) is not comparable with this one.

**Incoherent scattering on bound nucleons** (:func:`dipole_incoherent_dsigma_dT`, opt-in): a nucleus
(Z, A > 1) as Z free protons and A - Z free neutrons at rest, each with its F1 and F2 and its own mass,
T being the struck nucleon's kinetic energy -- DarkNews' "p-el" on the protons of C12 (and "n-el"), which
likewise ignores binding, Fermi motion and Pauli blocking (``pauli_blocking="none"``, the default here
too, the DarkNews comparison). ``pauli_blocking="fermi_gas"`` multiplies by the Fermi-gas suppression of
a nucleon knocked out of a filled sphere of radius k_F by a three-momentum transfer |q| = sqrt(T^2 + 2 m T),
``S = 3|q|/(4 k_F) - |q|^3/(16 k_F^3)`` for |q| < 2 k_F and 1 above (the standard static Fermi-gas result,
e.g. C. H. Llewellyn Smith, Phys. Rep. 3 (1972) 261, Sec. 9; with k_F = 221 MeV for carbon from
E. J. Moniz et al., PRL 26 (1971) 445 -- recalled, not re-read here: UNVERIFIED), a simple documented
suppression, not a nuclear model. The coherent channel is unchanged: adding both double-counts the
quasi-elastic region at small |q| where the nucleus stays whole, which the suppression partly removes.

Units: energies in MeV, ``mu_muB`` in Bohr magnetons, dsigma/dT in cm^2/MeV. Zero outside the kinematic
range of :func:`nugen.kinematics.recoil_range` (with m the nucleon mass passed in).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from nugen.constants import ALPHA, CM2_PER_MEV2, M_NEUTRON, M_PROTON, MU_B_PER_MEV, MU_NEUTRON, MU_PROTON
from nugen.errors import UnknownNameError
from nugen.kinematics import recoil_range

__all__ = [
    "DIPOLE_MASS_SQ_MEV2",
    "FERMI_MOMENTUM_MEV",
    "INCOHERENT_NUCLEONS",
    "NUCLEONS",
    "NUCLEON_Q2_CEILING_MEV2",
    "PAULI_BLOCKING",
    "bound_nucleons",
    "check_incoherent_options",
    "dipole_incoherent_dsigma_dT",
    "dipole_nucleon_dsigma_dT",
    "dipole_nucleon_envelope",
    "nucleon_form_factors",
    "nucleon_mass",
    "pauli_blocking_factor",
]

#: Dipole mass squared of the nucleon's Sachs form factors [MeV^2] (0.71 GeV^2; Perdrisat et al. 2007).
DIPOLE_MASS_SQ_MEV2 = 0.71e6
#: Galster's parameter of G_E^n (Galster et al., Nucl. Phys. B 32 (1971) 221).
_GALSTER_B = 5.6
#: Nucleons this module knows: name -> (mass [MeV], magnetic moment [nuclear magnetons]).
NUCLEONS: dict[str, tuple[float, float]] = {
    "proton": (M_PROTON, MU_PROTON),
    "neutron": (M_NEUTRON, MU_NEUTRON),
}
_NEUTRON_ELECTRIC = ("galster", "zero")
#: Bound nucleons of the incoherent channel: the Z protons, or the Z protons and the A - Z neutrons.
INCOHERENT_NUCLEONS = ("protons", "nucleons")
#: Pauli-blocking treatments of the incoherent channel.
PAULI_BLOCKING = ("none", "fermi_gas")
#: Fermi momentum [MeV] of the ``fermi_gas`` suppression (carbon; Moniz et al., PRL 26 (1971) 445;
#: UNVERIFIED).
FERMI_MOMENTUM_MEV = 221.0
#: Q^2 [MeV^2] beyond which a nucleon's form factors are negligible: G_D^2 = 1e-7 (the 1e-7 of the Helm
#: ceiling in :mod:`nugen.beam_events`), Q^2 = 0.71 GeV^2 x (1e-7^(-1/4) - 1) = 39.2 GeV^2.
NUCLEON_Q2_CEILING_MEV2 = DIPOLE_MASS_SQ_MEV2 * (1e-7**-0.25 - 1.0)


def nucleon_mass(nucleon: str) -> float:
    """Mass [MeV] of ``"proton"`` or ``"neutron"`` (CODATA)."""
    if nucleon not in NUCLEONS:
        raise UnknownNameError("nucleon", nucleon, NUCLEONS)
    return NUCLEONS[nucleon][0]


def nucleon_form_factors(
    Q2_MeV2: ArrayLike, nucleon: str = "proton", neutron_electric: str = "galster"
) -> tuple[np.ndarray, np.ndarray]:
    """Dirac and Pauli form factors (F1, F2) of a nucleon at Q^2 = -q^2 >= 0 [MeV^2] (dipole parametrisation).

    Parameters
    ----------
    Q2_MeV2 : array_like
        Four-momentum transfer squared Q^2 [MeV^2].
    nucleon : {"proton", "neutron"}
    neutron_electric : {"galster", "zero"}
        G_E^n of Galster et al. (default) or 0; ignored for the proton.

    Returns
    -------
    F1, F2 : numpy.ndarray
        Dimensionless; F1_p(0) = 1, F2_p(0) = mu_p - 1, F1_n(0) = 0, F2_n(0) = mu_n.
    """
    nucleon_mass(nucleon)  # raises for an unknown name
    m, mu = NUCLEONS[nucleon]
    if neutron_electric not in _NEUTRON_ELECTRIC:
        raise UnknownNameError("neutron electric form factor", neutron_electric, _NEUTRON_ELECTRIC)
    q2 = np.asarray(Q2_MeV2, dtype=float)
    g_d = 1.0 / (1.0 + q2 / DIPOLE_MASS_SQ_MEV2) ** 2
    tau = q2 / (4.0 * m * m)
    g_m = mu * g_d
    if nucleon == "proton":
        g_e = g_d
    elif neutron_electric == "galster":
        g_e = -mu * tau * g_d / (1.0 + _GALSTER_B * tau)
    else:
        g_e = np.zeros_like(g_d)
    f1 = (g_e + tau * g_m) / (1.0 + tau)
    f2 = (g_m - g_e) / (1.0 + tau)
    return f1, f2


def dipole_nucleon_dsigma_dT(
    E_nu: ArrayLike,
    T: ArrayLike,
    M_N: ArrayLike,
    nucleon: str = "proton",
    mu_muB: ArrayLike = 1.0,
    m_target: float | None = None,
    neutron_electric: str = "galster",
    pauli: bool = True,
) -> np.ndarray:
    """Dipole nu h -> N h on a free nucleon at rest with its F1 and F2, dsigma/dT [cm^2/MeV].

    The closed form of the module docstring.

    Parameters
    ----------
    E_nu : array_like
        Neutrino energy [MeV].
    T : array_like
        Nucleon recoil kinetic energy [MeV].
    M_N : array_like
        Mass of N [MeV].
    nucleon : {"proton", "neutron"}
    mu_muB : array_like
        Transition magnetic moment [mu_B].
    m_target : float, optional
        Nucleon mass [MeV] of the kinematics and of Q^2 = 2 m T; default the CODATA mass of ``nucleon``
        (the form factors' tau always uses the CODATA mass).
    neutron_electric : {"galster", "zero"}
        G_E^n model (:func:`nucleon_form_factors`).
    pauli : bool
        ``False`` drops F2 (a Dirac-only current: the point-charge formula times F1^2), for comparisons.

    Returns
    -------
    numpy.ndarray
        dsigma/dT, zero outside the kinematic range and for T <= 0.
    """
    m = nucleon_mass(nucleon) if m_target is None else float(m_target)
    E, T, M = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (E_nu, T, M_N)))
    t_lo, t_hi = recoil_range(E, M, m)
    inside = (T > 0) & (T >= t_lo) & (T <= t_hi)
    Ts = np.where(inside, T, 1.0)
    Es = np.where(inside, E, 1.0)
    q2 = 2.0 * m * Ts
    f1, f2 = nucleon_form_factors(q2, nucleon, neutron_electric)
    if not pauli:
        f2 = np.zeros_like(f2)
    tau = q2 / (4.0 * NUCLEONS[nucleon][0] ** 2)
    g_m = f1 + f2
    E2 = Es * Es
    M2 = M * M
    x_k = (
        1.0 / Ts
        - 1.0 / Es
        + Ts / (4.0 * E2)
        + M2 / (8.0 * E2 * m)
        - M2 * (2.0 * Es + m) / (4.0 * E2 * Ts * m)
        - M2 * M2 / (8.0 * E2 * Ts * Ts * m)
    )
    x_g = (2.0 * m * Ts + M2) * (m * Ts - M2) / (8.0 * m * m * Ts * E2)
    val = (f1 * f1 + tau * f2 * f2) * x_k - g_m * g_m * x_g
    mu = np.asarray(mu_muB, dtype=float) * MU_B_PER_MEV
    return np.where(inside, np.maximum(val, 0.0), 0.0) * ALPHA * mu * mu * CM2_PER_MEV2


def _max_form_factor_weight(nucleon: str) -> float:
    """Max over Q^2 of F1^2 + tau F2^2 (a smooth function with one maximum), on a dense grid, +0.1 %."""
    m = NUCLEONS[nucleon][0]
    q2 = np.concatenate([[0.0], np.geomspace(1.0, 1e9, 20001)])
    f1, f2 = nucleon_form_factors(q2, nucleon)
    return float(np.max(f1 * f1 + q2 / (4 * m * m) * f2 * f2)) * 1.001


#: Upper bound of F1^2 + tau F2^2 of the proton over all Q^2: 1.001 (the largest value is 1, at Q^2 = 0).
_PROTON_C_MAX = _max_form_factor_weight("proton")


def dipole_nucleon_envelope(
    E_nu: ArrayLike, M_N: float, m_target: float = M_PROTON
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (a0, a1) >= 0 with dsigma/dT <= alpha mu^2 (a0 + a1/T) for the proton, for all T.

    For an accept/reject envelope (:mod:`nugen.generator`). With c = max(F1^2 + tau F2^2) and
    G_M^2 <= mu_p^2: X_K >= 0 (it is the spin-0 cross section) is bounded by dropping its -M^4/T^2 term and
    using T <= T_max <= 2E^2/(2E + m); -G_M^2 X_g <= mu_p^2 [M^2/(8 m E^2) + M^4/(8 m^2 E^2 T)]. So
    ``a0 = c max(-1/E + M^2/(8 E^2 m) + 1/(2(2E + m)), 0) + mu_p^2 M^2/(8 m E^2)`` and
    ``a1 = c max(1 - M^2 (2E + m)/(4 E^2 m), 0) + mu_p^2 M^4/(8 m^2 E^2)``.

    Parameters
    ----------
    E_nu : array_like
        Neutrino energy [MeV].
    M_N : float
        Mass of N [MeV].
    m_target : float
        Proton mass of the kinematics [MeV].

    Returns
    -------
    a0 [MeV^-1], a1 : numpy.ndarray
    """
    E = np.asarray(E_nu, dtype=float)
    m = float(m_target)
    M2 = float(M_N) ** 2
    E2 = E * E
    mu2 = MU_PROTON * MU_PROTON
    a0 = _PROTON_C_MAX * np.maximum(-1.0 / E + M2 / (8.0 * E2 * m) + 0.5 / (2.0 * E + m), 0.0)
    a0 = a0 + mu2 * M2 / (8.0 * m * E2)
    a1 = _PROTON_C_MAX * np.maximum(1.0 - M2 * (2.0 * E + m) / (4.0 * E2 * m), 0.0) + mu2 * M2 * M2 / (
        8.0 * m * m * E2
    )
    return a0, a1


def check_incoherent_options(nucleons: str, pauli_blocking: str) -> tuple[str, str]:
    """Validate the incoherent channel's ``nucleons`` and ``pauli_blocking`` choices (raise naming them)."""
    if nucleons not in INCOHERENT_NUCLEONS:
        raise UnknownNameError("incoherent nucleons", nucleons, INCOHERENT_NUCLEONS)
    if pauli_blocking not in PAULI_BLOCKING:
        raise UnknownNameError("Pauli blocking", pauli_blocking, PAULI_BLOCKING)
    return nucleons, pauli_blocking


def bound_nucleons(Z: int, A: int, nucleons: str = "nucleons") -> list[tuple[str, int]]:
    """The bound nucleons of nucleus (Z, A) for the incoherent channel: [(nucleon, multiplicity), ...].

    Empty for the free proton (A = 1, whose elastic scattering is the coherent channel's H1 entry).
    """
    check_incoherent_options(nucleons, "none")
    if A <= 1:
        return []
    out = [("proton", int(Z))] if Z > 0 else []
    if nucleons == "nucleons" and A - Z > 0:
        out.append(("neutron", int(A - Z)))
    return out


def pauli_blocking_factor(
    T: ArrayLike, m_target: float, pauli_blocking: str = "none", k_F_MeV: float = FERMI_MOMENTUM_MEV
) -> np.ndarray:
    """Suppression of incoherent scattering with nucleon recoil ``T`` [MeV] (module docstring).

    ``"none"``: 1. ``"fermi_gas"``: ``3x/2 - x^3/2`` with ``x = |q| / (2 k_F)`` for x < 1, else 1
    (= ``3|q|/(4 k_F) - |q|^3/(16 k_F^3)``), |q| = sqrt(T^2 + 2 m T).
    """
    T = np.asarray(T, dtype=float)
    if pauli_blocking == "none":
        return np.ones_like(T)
    check_incoherent_options("nucleons", pauli_blocking)
    x = np.sqrt(np.maximum(T, 0.0) * (T + 2.0 * m_target)) / (2.0 * k_F_MeV)
    return np.where(x < 1.0, 1.5 * x - 0.5 * x**3, 1.0)


def dipole_incoherent_dsigma_dT(
    E_nu: ArrayLike,
    T: ArrayLike,
    M_N: ArrayLike,
    Z: int,
    A: int,
    mu_muB: ArrayLike = 1.0,
    nucleons: str = "nucleons",
    pauli_blocking: str = "none",
) -> np.ndarray:
    """Incoherent dipole up-scattering on the bound nucleons of nucleus (Z, A), dsigma/dT [cm^2/MeV].

    ``sum_h n_h S(T) dsigma_h/dT`` over the Z protons (and A - Z neutrons), each free and at rest with its
    CODATA mass, T the struck nucleon's kinetic energy (module docstring); zero for A = 1.

    Parameters
    ----------
    E_nu, T, M_N : array_like
        Neutrino energy, nucleon recoil kinetic energy and N mass [MeV].
    Z, A : int
        The nucleus.
    mu_muB : array_like
        Transition magnetic moment [mu_B].
    nucleons : {"protons", "nucleons"}
        Protons only (DarkNews' default "p-el") or protons and neutrons.
    pauli_blocking : {"none", "fermi_gas"}
        Suppression factor (:func:`pauli_blocking_factor`).
    """
    check_incoherent_options(nucleons, pauli_blocking)
    E, T, M = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (E_nu, T, M_N)))
    out = np.zeros(E.shape)
    for name, n in bound_nucleons(Z, A, nucleons):
        m = nucleon_mass(name)
        out = out + n * dipole_nucleon_dsigma_dT(E, T, M, name, mu_muB) * pauli_blocking_factor(
            T, m, pauli_blocking
        )
    return out
