"""Detectors with their response, backgrounds and published data.

Modules for XENON1T, Borexino and CHARM-II; TOML detector cards (:mod:`detectors.card`, docs/cards.md) for
any other detector, with shipped cards for XENONnT, LZ, PandaX-4T, DARWIN and XLZD in ``detectors/cards``.
Depends on :mod:`nugen` only. See :mod:`detectors.base` for the shared model and :mod:`detectors.registry`
for the registry (other packages add detectors through the entry-point group ``nugen.detectors``).
"""

from __future__ import annotations

__all__ = ["DETECTORS", "Background", "Detector", "Setting", "get_detector"]

#: Where each public name lives; loaded on first use (PEP 562), so that ``import detectors.cli`` (which
#: the command line does for every command, to build its parser) imports neither scipy.special nor the
#: detector tables: ``nugen generate --target`` never needs them.
_HOMES = {
    "Background": "detectors.base",
    "Detector": "detectors.base",
    "Setting": "detectors.base",
    "DETECTORS": "detectors.registry",
    "get_detector": "detectors.registry",
}


def __getattr__(name: str):
    if name in _HOMES:
        import importlib

        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'detectors' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return __all__
