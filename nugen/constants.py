"""Physical constants and unit conversions used throughout nugen.

Internal conventions (stated once, used everywhere):

* energies and masses in **MeV**, lengths in **cm**, times in **s**;
* cross sections in **cm^2** (differential ones in cm^2/MeV);
* magnetic moments in **Bohr magnetons** at the API edge, converted to MeV^-1 with :data:`MU_B_PER_MEV`;
* exposures in **tonne-years**, with the Julian year of 365.25 d.

Values come from :mod:`scipy.constants` (CODATA 2018 or newer) and :mod:`hepunits`; nothing is typed in
by hand except the electroweak mixing angle, whose value is a convention (see :data:`SIN2_THETA_W`).
"""

from __future__ import annotations

import math

import hepunits
from scipy import constants as _sc

__all__ = [
    "ALPHA",
    "AMU_MEV",
    "CM2_PER_MEV2",
    "ENERGY_UNITS_MEV",
    "G_F",
    "HBARC_MEV_CM",
    "HBARC_MEV_FM",
    "HBAR_MEV_S",
    "MU_B_PER_MEV",
    "MU_NEUTRON",
    "MU_PROTON",
    "M_E",
    "M_NEUTRON",
    "M_PROTON",
    "N_A",
    "SECONDS_PER_YEAR",
    "SIN2_THETA_W",
    "SIN2_THETA_W_LOW_Q",
    "SPEED_OF_LIGHT_CM_S",
]

#: Fine-structure constant (CODATA).
ALPHA: float = _sc.fine_structure
#: Electron mass [MeV].
M_E: float = _sc.physical_constants["electron mass energy equivalent in MeV"][0]
#: Proton mass [MeV] (CODATA).
M_PROTON: float = _sc.physical_constants["proton mass energy equivalent in MeV"][0]
#: Proton magnetic moment [nuclear magnetons] (CODATA).
MU_PROTON: float = _sc.physical_constants["proton mag. mom. to nuclear magneton ratio"][0]
#: Neutron mass [MeV] (CODATA).
M_NEUTRON: float = _sc.physical_constants["neutron mass energy equivalent in MeV"][0]
#: Neutron magnetic moment [nuclear magnetons] (CODATA; negative).
MU_NEUTRON: float = _sc.physical_constants["neutron mag. mom. to nuclear magneton ratio"][0]
#: Atomic mass unit [MeV].
AMU_MEV: float = _sc.physical_constants["atomic mass constant energy equivalent in MeV"][0]
#: Fermi constant [MeV^-2] (CODATA value of G_F/(hbar c)^3, given in GeV^-2).
G_F: float = _sc.physical_constants["Fermi coupling constant"][0] * 1e-6
#: hbar c [MeV fm].
HBARC_MEV_FM: float = _sc.physical_constants["reduced Planck constant times c in MeV fm"][0]
#: hbar c [MeV cm].
HBARC_MEV_CM: float = HBARC_MEV_FM * 1e-13
#: hbar [MeV s].
HBAR_MEV_S: float = _sc.physical_constants["reduced Planck constant in eV s"][0] * 1e-6
#: Conversion of a natural-unit cross section in MeV^-2 to cm^2: (hbar c)^2.
CM2_PER_MEV2: float = HBARC_MEV_CM**2
#: Avogadro constant [mol^-1].
N_A: float = _sc.Avogadro
#: Speed of light [cm/s].
SPEED_OF_LIGHT_CM_S: float = _sc.c * 100.0
#: Julian year [s] (365.25 d), also hepunits' ``year``.
SECONDS_PER_YEAR: float = _sc.Julian_year
assert math.isclose(SECONDS_PER_YEAR, hepunits.year / hepunits.s)
#: Bohr magneton e/(2 m_e) in natural units [MeV^-1], e = sqrt(4 pi alpha) (physics.md Sec. 0: 0.296304).
MU_B_PER_MEV: float = math.sqrt(4.0 * math.pi * ALPHA) / (2.0 * M_E)
#: Weak mixing angle used by default: MS-bar value at M_Z, as in the Brdar et al. analysis code
#: (PDG 2020: 0.23121). See physics.md Sec. 3.1.
SIN2_THETA_W: float = 0.23121
#: Energy units accepted for recoil energies and bins, in MeV (hepunits: MeV = 1).
ENERGY_UNITS_MEV: dict[str, float] = {
    u: getattr(hepunits, u) / hepunits.MeV for u in ("eV", "keV", "MeV", "GeV")
}
#: Low-energy (Q -> 0) weak mixing angle, PDG 2020 running value; selectable alternative.
SIN2_THETA_W_LOW_Q: float = 0.23857
