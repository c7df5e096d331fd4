"""nugen: Monte Carlo generator, detector simulator and limit fitter for the neutrino dipole portal.

Layers (dependencies flow one way, ``fits`` -> ``detectors`` -> ``nugen``)::

    nugen.sources (fluxes, oscillations) --+
    nugen.xsec (cross sections) -----------+--> nugen.rates (dR/dT, binned counts)  --> detectors --> fits
    nugen.targets (electrons, nuclei) -----+--> nugen.generator (events) --> nugen.io (ROOT files)

Units: MeV, cm, s inside; magnetic moments in Bohr magnetons at the API edge (see :mod:`nugen.constants`).
"""

from __future__ import annotations

from nugen.errors import NugenError

__all__ = ["DipolePortal", "NugenError", "__version__"]


def __getattr__(name: str):
    # PEP 562: ``DipolePortal`` (numpy, scipy.constants) and ``__version__`` (importlib.metadata) are
    # loaded on first use, so that ``import nugen.cli`` is cheap and the command line can catch Ctrl-C
    # during the heavy imports (see nugen.cli.main)
    if name == "DipolePortal":
        from nugen.model import DipolePortal

        return DipolePortal
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("nugen")
        except PackageNotFoundError:  # running from a checkout that was never installed
            return "0+unknown"
    msg = f"module 'nugen' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return __all__
