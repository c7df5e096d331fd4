"""Scattering targets: the electrons and nuclei of a detector material, per tonne.

A :class:`Material` knows how many electrons and nuclei (per isotope) a tonne contains and which
fraction of the electrons can take a recoil T:

* **free electrons** (pseudocumene, glass, mineral oil): every electron scatters as if free and at rest;
* **stepping approximation** (xenon, argon): an electron bound with energy B_i contributes only when
  T > B_i, i.e. ``dsigma_atom/dT = Z_eff(T) dsigma_free/dT`` with ``Z_eff(T) = sum_i n_i Theta(T - B_i)``
  (Chen et al., PLB 774 (2017) 656, arXiv:1610.04177; physics.md Sec. 6.1).

Nuclei carry Z, A, their mass (A x atomic mass unit, which neglects the mass excess, < 0.1 %; H1 is
the proton and has the CODATA proton mass, 0.7 % above 1 u) and number per tonne from the natural
isotopic composition (``nugen/data/isotopes.csv``, IUPAC 2013).
Helm form factors are in :mod:`nugen.xsec.form_factors`.

``mineral_oil`` (CH2, MiniBooNE) carries H1 and H2 nuclei like every hydrogenous material here. The
dipole process on H1 is elastic scattering on a free proton with its Dirac and Pauli form factors
(:mod:`nugen.xsec.nucleon`, through :func:`nugen.xsec.dipole_nucleus_dsigma_dT`; compared with DarkNews in
docs/miniboone_darknews.md); H2 (0.01 % of the hydrogen) stays a Helm nucleus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from nugen import data
from nugen.constants import AMU_MEV, M_PROTON, N_A
from nugen.errors import UnknownNameError

__all__ = ["ELECTRON_PDG", "TARGETS", "Material", "Nucleus", "get_target", "nucleus_pdg"]

GRAMS_PER_TONNE = 1.0e6


#: PDG code of the electron.
ELECTRON_PDG = 11


def nucleus_pdg(Z, A):
    """PDG code ``10LZZZAAAI`` of a nucleus in its ground state (L = I = 0): ``1e9 + 1e4 Z + 10 A``.

    Monte Carlo particle numbering scheme, Particle Data Group, R.L. Workman et al., PTEP 2022 083C01,
    Sec. 45, rule 16 (e.g. ^12C: 1000060120, ^131Xe: 1000541310).

    Parameters
    ----------
    Z, A : int or array_like of int
        Atomic and mass number.

    Returns
    -------
    int or numpy.ndarray of int64
    """
    if np.ndim(Z) == 0 and np.ndim(A) == 0:
        return 1_000_000_000 + 10_000 * int(Z) + 10 * int(A)
    return 1_000_000_000 + 10_000 * np.asarray(Z, dtype=np.int64) + 10 * np.asarray(A, dtype=np.int64)


@dataclass(frozen=True)
class Nucleus:
    """One isotope of a target material.

    Attributes
    ----------
    name : str
        E.g. ``"Xe131"``.
    Z, A : int
        Atomic and mass number.
    mass_MeV : float
        Nuclear mass [MeV] (A x u; the proton mass for H1).
    per_tonne : float
        Number of such nuclei per tonne of the material.
    """

    name: str
    Z: int
    A: int
    mass_MeV: float
    per_tonne: float

    @property
    def N(self) -> int:
        """Neutron number."""
        return self.A - self.Z

    @property
    def pdg(self) -> int:
        """PDG code of the nucleus (:func:`nucleus_pdg`)."""
        return nucleus_pdg(self.Z, self.A)


@dataclass(frozen=True)
class Material:
    """A detector material: electron count, electron binding model and nuclei.

    Attributes
    ----------
    name : str
        Registry name (``"xenon"``, ``"argon"``, ``"pseudocumene"``, ``"glass"``, ``"mineral_oil"``).
    description : str
        Human-readable description with the chemical formula.
    electrons_per_tonne : float
        Total electrons per tonne.
    nuclei : tuple of Nucleus
        Isotopes with their abundance-weighted counts.
    shell_binding_MeV, shell_occupancy : numpy.ndarray or None
        Subshell binding energies [MeV] and occupancies for the stepping approximation; ``None``
        means free electrons.
    energy_unit : str
        Unit the command line uses for recoil energies in this material (CLI.md).
    """

    name: str
    description: str
    electrons_per_tonne: float
    nuclei: tuple[Nucleus, ...]
    shell_binding_MeV: np.ndarray | None = None
    shell_occupancy: np.ndarray | None = None
    energy_unit: str = "keV"

    @property
    def electrons_per_atom(self) -> float:
        """Electrons per formula unit's worth of shells (Z for an element with shells)."""
        return float(np.sum(self.shell_occupancy)) if self.shell_occupancy is not None else np.nan

    def electron_fraction(self, T_MeV: ArrayLike) -> np.ndarray:
        """Fraction of the electrons that can absorb a recoil ``T`` [MeV].

        ``Z_eff(T) / Z`` in the stepping approximation, 1 for free electrons.
        """
        T = np.asarray(T_MeV, dtype=float)
        if self.shell_binding_MeV is None:
            return np.ones_like(T)
        z_eff = np.sum(self.shell_occupancy * (T[..., None] > self.shell_binding_MeV), axis=-1)
        return z_eff / self.electrons_per_atom

    def z_eff(self, T_MeV: ArrayLike) -> np.ndarray:
        """Number of accessible electrons per atom at recoil ``T`` [MeV] (stepping materials only)."""
        return self.electron_fraction(T_MeV) * self.electrons_per_atom

    @property
    def breakpoints_MeV(self) -> np.ndarray:
        """Recoil energies [MeV] where the electron response is discontinuous (shell edges)."""
        return np.array([]) if self.shell_binding_MeV is None else np.sort(self.shell_binding_MeV)


def _composition(formula: dict[str, int]) -> tuple[float, tuple[Nucleus, ...]]:
    """Electrons and isotopes per tonne for a chemical formula {element: atoms per formula unit}."""
    iso = data.read("isotopes.csv", required=("element", "Z", "A", "abundance", "atomic_weight_g_mol"))
    molar = 0.0
    electrons = 0.0
    rows = []
    for element, count in formula.items():
        sel = iso["element"] == element
        if not np.any(sel):
            raise UnknownNameError("element", element, set(iso["element"]))
        weight = float(iso["atomic_weight_g_mol"][sel][0])
        z = int(iso["Z"][sel][0])
        molar += count * weight
        electrons += count * z
        rows += [
            (element, count, z, int(a), float(f))
            for a, f in zip(iso["A"][sel], iso["abundance"][sel], strict=True)
        ]
    units_per_tonne = GRAMS_PER_TONNE / molar * N_A
    nuclei = tuple(
        Nucleus(f"{el}{a}", z, a, M_PROTON if (z, a) == (1, 1) else a * AMU_MEV, count * f * units_per_tonne)
        for el, count, z, a, f in rows
    )
    return electrons * units_per_tonne, nuclei


def _stepping(name: str, element: str, shells: str, description: str) -> Material:
    """A one-element material whose bound electrons follow the stepping approximation (``shells`` table)."""
    t = data.read(shells, required=("binding_keV", "occupancy"))
    ne, nuclei = _composition({element: 1})
    return Material(name, description, ne, nuclei, t["binding_keV"] * 1e-3, t["occupancy"])


def _xenon() -> Material:
    return _stepping(
        "xenon",
        "Xe",
        "xenon_shells.csv",
        "liquid xenon, natural isotopes; bound electrons in the stepping approximation",
    )


def _argon() -> Material:
    return _stepping(
        "argon",
        "Ar",
        "argon_shells.csv",
        "liquid argon, atmospheric isotopes; bound electrons in the stepping approximation",
    )


def _pseudocumene() -> Material:
    ne, nuclei = _composition({"C": 9, "H": 12})
    return Material("pseudocumene", "pseudocumene C9H12 (Borexino scintillator); free electrons", ne, nuclei)


def _glass() -> Material:
    ne, nuclei = _composition({"Si": 1, "O": 2})
    return Material(
        "glass", "glass taken as SiO2 (CHARM-II target plates); free electrons", ne, nuclei, energy_unit="GeV"
    )


def _mineral_oil() -> Material:
    ne, nuclei = _composition({"C": 1, "H": 2})
    return Material(
        "mineral_oil",
        "mineral oil taken as CH2 (MiniBooNE's (CH2)n Cherenkov medium); free electrons",
        ne,
        nuclei,
        energy_unit="GeV",
    )


_FACTORIES = {
    "xenon": _xenon,
    "argon": _argon,
    "pseudocumene": _pseudocumene,
    "glass": _glass,
    "mineral_oil": _mineral_oil,
}
#: Names of the registered target materials.
TARGETS = tuple(_FACTORIES)
_CACHE: dict[str, Material] = {}


def get_target(name: str) -> Material:
    """Return the registered :class:`Material` called ``name``.

    Raises
    ------
    UnknownNameError
        Listing the known targets, closest first.
    """
    if name not in _FACTORIES:
        raise UnknownNameError("target", name, TARGETS)
    if name not in _CACHE:
        _CACHE[name] = _FACTORIES[name]()
    return _CACHE[name]
