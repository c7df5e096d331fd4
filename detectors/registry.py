"""The registry of detectors: names -> classes (modules), shipped cards, card files, and plug-ins.

A detector is known by name in one of three ways:

* a module of this package, listed in :data:`_REGISTRY` as ``"module:Class"``;
* a card shipped in ``detectors/cards/NAME.toml`` (:mod:`detectors.card`);
* a detector of another installed package, declared as an entry point of the group ``nugen.detectors``
  (``name = "package.module:Class"`` in its pyproject.toml), so a third-party package adds a detector
  without touching nugen. A plug-in that fails to import is reported, naming it, only when it is used.

A path ending in ``.toml`` is read as a card file. :func:`get_detector` builds a detector from any of them.
"""

from __future__ import annotations

import functools
import importlib

from detectors.base import Detector
from detectors.card import SHIPPED_CARDS, CardDetector, load_card, shipped_card_path
from nugen.errors import InvalidParameterError, UnknownNameError

__all__ = ["DETECTORS", "PLUGIN_GROUP", "get_detector"]

#: Entry-point group through which other packages register detectors.
PLUGIN_GROUP = "nugen.detectors"

_REGISTRY: dict[str, str] = {
    "xenon1t": "detectors.xenon1t:XENON1T",
    "borexino": "detectors.borexino:Borexino",
    "charm2": "detectors.charm2:CHARM2",
    "xenon1t_nr": "detectors.xenon_nr:XENON1TNR",
    "xenonnt_nr": "detectors.xenon_nr:XENONnTNR",
    "nomad": "detectors.nomad:NOMAD",
    "lsnd": "detectors.lsnd:LSND",
    "miniboone": "detectors.miniboone:MiniBooNE",
}


def _plugins() -> dict[str, str]:
    """``name -> "module:Class"`` of the detectors other packages declare (built-in names win)."""
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=PLUGIN_GROUP) if ep.name not in _REGISTRY}


_REGISTRY.update(_plugins())

#: Names of the registered detectors: modules and plug-ins, then the cards shipped in ``detectors/cards``.
DETECTORS: tuple[str, ...] = tuple(_REGISTRY) + tuple(n for n in SHIPPED_CARDS if n not in _REGISTRY)


@functools.lru_cache(maxsize=32)
def _detector_class(name: str) -> type[Detector]:
    target = _REGISTRY[name]
    module, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        if module.startswith("detectors."):
            raise  # our own modules: a real bug (or a missing optional dependency, said by the module)
        msg = f"detector {name!r} ({target}) failed to import: {type(exc).__name__}: {exc}"
        raise InvalidParameterError(msg) from None


def get_detector(name: str, **settings: object) -> Detector:
    """Build the detector ``name`` with ``settings``.

    ``name`` is a registered module or plug-in, a shipped card (``detectors/cards/NAME.toml``), or the
    path of a card file ending in ``.toml`` (:mod:`detectors.card`, docs/cards.md).

    Raises
    ------
    UnknownNameError
        For an unknown name, listing the known detectors, closest first.
    CardError
        For a card that does not parse or validate.
    InvalidParameterError
        For a plug-in detector whose module fails to import (naming it).
    """
    if name in _REGISTRY:
        return _detector_class(name)(**settings)
    if name in SHIPPED_CARDS:
        return CardDetector(load_card(shipped_card_path(name), shipped=True), **settings)
    if str(name).endswith(".toml"):
        return CardDetector(load_card(name), **settings)
    raise UnknownNameError("detector", name, DETECTORS)
