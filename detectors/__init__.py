"""Detectors with their response, backgrounds and published data.

Modules for XENON1T, Borexino and CHARM-II; TOML detector cards (:mod:`detectors.card`, docs/cards.md) for
any other detector, with shipped cards for XENONnT, LZ, PandaX-4T, DARWIN and XLZD in ``detectors/cards``.
Depends on :mod:`nugen` only. See :mod:`detectors.base` for the shared model and :mod:`detectors.registry`
for the registry (other packages add detectors through the entry-point group ``nugen.detectors``).
"""

from __future__ import annotations

from detectors.base import Background, Detector, Setting
from detectors.registry import DETECTORS, get_detector

__all__ = ["DETECTORS", "Background", "Detector", "Setting", "get_detector"]


def __dir__() -> list[str]:
    return __all__
