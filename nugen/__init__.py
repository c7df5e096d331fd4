"""nugen: Monte Carlo generator, detector simulator and limit fitter for the neutrino dipole portal.

Layers (dependencies flow one way, ``fits`` -> ``detectors`` -> ``nugen``)::

    nugen.sources (fluxes, oscillations) --+
    nugen.xsec (cross sections) -----------+--> nugen.rates (dR/dT, binned counts)  --> detectors --> fits
    nugen.targets (electrons, nuclei) -----+--> nugen.generator (events) --> nugen.io (ROOT files)

Units: MeV, cm, s inside; magnetic moments in Bohr magnetons at the API edge (see :mod:`nugen.constants`).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from nugen.errors import NugenError
from nugen.model import DipolePortal

try:
    __version__ = version("nugen")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["DipolePortal", "NugenError", "__version__"]


def __dir__() -> list[str]:
    return __all__
