"""Standard-Model neutrino scattering cross sections (tree level).

* nu_alpha e -> nu_alpha e (NC, plus CC for nu_e): physics.md Sec. 3.1; Vogel & Engel, PRD 39 (1989)
  3378; Giunti & Studenikin, RMP 87 (2015) 531. No radiative corrections (tree level overshoots
  Bahcall, Kamionkowski & Sirlin, PRD 51 (1995) 6146 by about 2 %).
* Coherent elastic nu A scattering (CEvNS): D. Z. Freedman, PRD 9 (1974) 1389; physics.md Sec. 3.2.

Inputs in MeV; outputs in cm^2/MeV. Dipole and SM amplitudes do not interfere (physics.md Sec. 2.8).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from nugen.constants import CM2_PER_MEV2, G_F, M_E, SIN2_THETA_W
from nugen.errors import UnknownNameError
from nugen.xsec.form_factors import helm_form_factor_sq

__all__ = ["FLAVOURS", "cevns_dsigma_dT", "electron_couplings", "sm_electron_dsigma_dT"]

#: Neutrino flavours in the order nugen uses for flavour vectors.
FLAVOURS = ("e", "mu", "tau")


def electron_couplings(flavour: str, antineutrino: bool = False, sin2_theta_w: float = SIN2_THETA_W):
    """Effective chiral couplings (g_L, g_R) of nu_alpha e scattering.

    nu_e: g_L = 1/2 + s_W^2 (CC Fierz-rearranged plus NC); nu_mu, nu_tau: g_L = -1/2 + s_W^2;
    g_R = s_W^2; antineutrinos swap g_L and g_R (physics.md Sec. 3.1).
    """
    if flavour not in FLAVOURS:
        raise UnknownNameError("flavour", flavour, FLAVOURS)
    gl = (0.5 if flavour == "e" else -0.5) + sin2_theta_w
    gr = sin2_theta_w
    return (gr, gl) if antineutrino else (gl, gr)


def sm_electron_dsigma_dT(
    E_nu: ArrayLike,
    T: ArrayLike,
    flavour: str = "e",
    antineutrino: bool = False,
    sin2_theta_w: float = SIN2_THETA_W,
) -> np.ndarray:
    """Elastic nu_alpha e scattering dsigma/dT [cm^2/MeV] on a free electron at rest.

    ``(2 G_F^2 m_e / pi) [g_L^2 + g_R^2 (1 - T/E)^2 - g_L g_R m_e T / E^2]`` for
    ``0 < T <= 2E^2/(2E + m_e)``, else 0.
    """
    E, T = np.broadcast_arrays(np.asarray(E_nu, dtype=float), np.asarray(T, dtype=float))
    gl, gr = electron_couplings(flavour, antineutrino, sin2_theta_w)
    inside = (T > 0) & (T <= 2.0 * E * E / (2.0 * E + M_E))
    Es = np.where(inside, E, 1.0)
    y = 1.0 - T / Es
    val = gl * gl + gr * gr * y * y - gl * gr * M_E * T / (Es * Es)
    return np.where(inside, 2.0 * G_F**2 * M_E / np.pi * val, 0.0) * CM2_PER_MEV2


def cevns_dsigma_dT(
    E_nu: ArrayLike,
    T: ArrayLike,
    Z: int,
    N: int,
    m_A: float,
    sin2_theta_w: float = SIN2_THETA_W,
    form_factor: bool = True,
) -> np.ndarray:
    """Coherent elastic neutrino–nucleus scattering dsigma/dT [cm^2/MeV] (flavour-blind at tree level).

    ``(G_F^2 m_A / 4 pi) Q_W^2 [1 - T/E - m_A T/(2 E^2)] F^2(q)``, ``Q_W = N - (1 - 4 s_W^2) Z``,
    with the Helm form factor (physics.md Sec. 3.2); zero where the bracket is negative.
    """
    E, T = np.broadcast_arrays(np.asarray(E_nu, dtype=float), np.asarray(T, dtype=float))
    qw = N - (1.0 - 4.0 * sin2_theta_w) * Z
    Es = np.where(E > 0, E, 1.0)
    bracket = 1.0 - T / Es - m_A * T / (2.0 * Es * Es)
    ok = (T > 0) & (E > 0) & (bracket > 0)
    out = np.where(ok, G_F**2 * m_A / (4.0 * np.pi) * qw * qw * bracket, 0.0) * CM2_PER_MEV2
    if form_factor:
        out = out * helm_form_factor_sq(np.where(ok, T, 0.0), Z + N, m_A)
    return out
