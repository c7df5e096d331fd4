"""The neutrino-source interface shared by solar and accelerator sources, and the source registry.

A :class:`Source` is a set of :class:`SourceComponent` objects (a solar reaction, a beam flavour), each
with a total flux at the detector, an energy distribution (a normalised continuum pdf or a line),
the flavour it is produced with, and whether it is a neutrino or antineutrino. The source also
knows the probability that a neutrino of a component arrives in each flavour (oscillations),
:meth:`Source.arrival_probabilities`.

Units: energies in MeV, fluxes in cm^-2 s^-1 (solar) or cm^-2 per unit exposure (beams: the source
states its exposure unit in :attr:`Source.exposure_unit`), pdfs in MeV^-1.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from nugen.constants import SECONDS_PER_YEAR
from nugen.errors import UnknownNameError

__all__ = ["SOURCES", "ShortBaselineSource", "Source", "SourceComponent", "get_source", "register_source"]


@dataclass(frozen=True)
class SourceComponent:
    """One component of a neutrino source.

    Attributes
    ----------
    name : str
        E.g. ``"pp"``, ``"7Be_861"``, ``"numu"``.
    flux : float
        Total flux of this component at the detector (cm^-2 s^-1 for the Sun; per POT for beams),
        including any branching fraction of a line.
    E_min_MeV, E_max_MeV : float
        Support of the energy distribution [MeV] (equal to the line energy for a line).
    pdf : callable or None
        Normalised energy distribution dPhi/dE / flux [MeV^-1] of a continuum, vectorised;
        ``None`` for a line.
    line_energy_MeV : float or None
        Energy of a monochromatic line [MeV].
    flavour : str
        Flavour at production (``"e"``, ``"mu"``, ``"tau"``).
    antineutrino : bool
        True for antineutrinos.
    relative_uncertainty : float
        Relative 1-sigma normalisation uncertainty of ``flux`` (model or measurement).
    breakpoints_MeV : tuple of float
        Energies inside the support where the pdf is not smooth (tabulated kinks); helps quadrature.
    """

    name: str
    flux: float
    E_min_MeV: float
    E_max_MeV: float
    pdf: Callable[[np.ndarray], np.ndarray] | None = None
    line_energy_MeV: float | None = None
    flavour: str = "e"
    antineutrino: bool = False
    relative_uncertainty: float = 0.0
    breakpoints_MeV: tuple[float, ...] = ()

    @property
    def is_line(self) -> bool:
        """True for a monochromatic line."""
        return self.line_energy_MeV is not None


class Source(abc.ABC):
    """A neutrino source: components plus flavour evolution to the detector.

    Subclasses set :attr:`name`, :attr:`exposure_unit` and :attr:`components`, and implement
    :meth:`arrival_probabilities`.
    """

    #: Registry name.
    name: str = ""
    #: What one unit of exposure time means for :attr:`SourceComponent.flux`: ``"s"`` for a steady
    #: flux in cm^-2 s^-1 (rates then scale with tonne-years), ``"POT"`` for a beam.
    exposure_unit: str = "s"
    components: tuple[SourceComponent, ...] = ()

    @property
    def exposure_factor(self) -> float:
        """Multiplies a flux per second into a flux per exposure unit.

        Seconds per (Julian) year for a steady source (rates per tonne-year), 1 for a beam whose flux is
        per POT.
        """
        return SECONDS_PER_YEAR if self.exposure_unit == "s" else 1.0

    @property
    def exposure_label(self) -> str:
        """Unit of a detector exposure with this source: ``"t yr"`` or, for a beam, ``"t POT"``."""
        return "t yr" if self.exposure_unit == "s" else f"t {self.exposure_unit}"

    def describe(self) -> dict:
        """JSON-ready identity of the source: ``name``, ``components`` and the options it was built with.

        ``get_source(d["name"], model=..., mode=...)`` rebuilds it from ``d`` (solar ``model`` and
        ``oscillation_parameters``, a beam's ``mode``, where the source has them).
        """
        out = {"name": self.name, "components": [c.name for c in self.components]}
        for attr in ("model", "mode", "oscillation_parameters"):
            if hasattr(self, attr):
                out[attr] = getattr(self, attr)
        return out

    def component(self, name: str) -> SourceComponent:
        """Return the component called ``name`` (:class:`UnknownNameError` lists the known ones)."""
        for c in self.components:
            if c.name == name:
                return c
        raise UnknownNameError(f"{self.name} component", name, [c.name for c in self.components])

    @abc.abstractmethod
    def arrival_probabilities(self, component: SourceComponent, E_MeV: ArrayLike) -> np.ndarray:
        """Probabilities that a neutrino of ``component`` with energy ``E_MeV`` arrives as e, mu, tau.

        Returns an array of shape ``(3,) + np.shape(E_MeV)`` whose first axis sums to 1.
        """

    def __repr__(self) -> str:
        names = ", ".join(c.name for c in self.components)
        return f"<{type(self).__name__} {self.name!r}: {names}>"


class ShortBaselineSource(Source):
    """A source so close to the detector that flavours do not evolve (accelerator beams, decay at rest).

    :meth:`arrival_probabilities` is the identity: the row of the production flavour is 1, the others 0.
    Oscillations over the baselines of nugen's beams (LSND ~30 m at ~40 MeV, MiniBooNE 541 m at ~1 GeV,
    CHARM-II ~0.9 km at ~25 GeV: L/E <~ 1 km/GeV at typical energies, where the atmospheric phase
    1.27 dm^2_31 L/E is ~3e-3) are negligible.
    """

    def arrival_probabilities(self, component: SourceComponent | str, E_MeV: ArrayLike) -> np.ndarray:
        """Identity flavour evolution: shape ``(3,) + np.shape(E_MeV)``."""
        c = self.component(component) if isinstance(component, str) else component
        E = np.asarray(E_MeV, dtype=float)
        out = np.zeros((3, *E.shape))
        out[("e", "mu", "tau").index(c.flavour)] = 1.0
        return out


# -- registry --------------------------------------------------------------------------------------
# name -> "module:factory"; the factory takes keyword options and returns a Source. Modules are
# imported lazily so that registering a source does not import it.
_REGISTRY: dict[str, str] = {
    "solar": "nugen.sources.solar:SolarSource",
    "charm2": "nugen.sources.beams:CHARM2Beam",
    "miniboone": "nugen.sources.beams:MiniBooNEBeam",
    "lsnd_dar": "nugen.sources.dar:DecayAtRestSource",
}
#: Names of registered sources (a live view of the registry keys).
SOURCES = _REGISTRY.keys()


def register_source(name: str, target: str) -> None:
    """Register a source factory given as ``"module:callable"`` under ``name``."""
    _REGISTRY[name] = target


def get_source(name: str, **options) -> Source:
    """Build the registered source ``name`` with keyword ``options``.

    Example: ``get_source("solar", model="B16-AGSS09met")``.

    Raises
    ------
    UnknownNameError
        Listing the known sources, closest first.
    """
    if name not in _REGISTRY:
        raise UnknownNameError("source", name, _REGISTRY)
    module, attr = _REGISTRY[name].split(":")
    factory = getattr(importlib.import_module(module), attr)
    return factory(**options)
