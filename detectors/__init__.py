"""Detectors with their response, backgrounds and published data (XENON1T, Borexino, DARWIN, CHARM-II).

Depends on :mod:`nugen` only. See :mod:`detectors.base` for the shared model and the registry.
"""

from __future__ import annotations

from detectors.base import DETECTORS, Background, Detector, Setting, get_detector

__all__ = ["DETECTORS", "Background", "Detector", "Setting", "get_detector"]


def __dir__() -> list[str]:
    return __all__
