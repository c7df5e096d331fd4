"""Detectors with their response, backgrounds and published data.

Modules for XENON1T, Borexino and CHARM-II; TOML detector cards (:mod:`detectors.card`, docs/cards.md) for
any other detector, with shipped cards for XENONnT, LZ, PandaX-4T, DARWIN and XLZD in ``detectors/cards``.
Depends on :mod:`nugen` only. See :mod:`detectors.base` for the shared model and the registry.
"""

from __future__ import annotations

from detectors.base import DETECTORS, Background, Detector, Setting, get_detector

__all__ = ["DETECTORS", "Background", "Detector", "Setting", "get_detector"]


def __dir__() -> list[str]:
    return __all__
