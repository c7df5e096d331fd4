"""The detector registry: built-in modules, shipped cards, card files and plug-ins of other packages."""

from __future__ import annotations

import importlib.metadata as md

import pytest

from detectors import registry
from nugen.errors import InvalidParameterError, UnknownNameError


def test_built_in_modules_and_shipped_cards_are_registered():
    assert {"xenon1t", "borexino", "charm2"} <= set(registry.DETECTORS)
    assert {"xenonnt", "lz", "darwin", "xlzd"} <= set(registry.DETECTORS)
    assert registry.get_detector("darwin").name == "darwin"


def test_plugins_come_from_the_entry_point_group_and_cannot_shadow_built_ins(monkeypatch):
    eps = [
        md.EntryPoint("mydet", "thirdparty.mydet:MyDetector", registry.PLUGIN_GROUP),
        md.EntryPoint("xenon1t", "thirdparty.fake:XENON1T", registry.PLUGIN_GROUP),
    ]
    monkeypatch.setattr(
        md, "entry_points", lambda **kw: eps if kw.get("group") == registry.PLUGIN_GROUP else []
    )
    assert registry._plugins() == {"mydet": "thirdparty.mydet:MyDetector"}


def test_a_plugin_that_fails_to_import_is_an_error_naming_it(monkeypatch):
    monkeypatch.setitem(registry._REGISTRY, "brokendet", "nugen_tests_no_such_package.det:Det")
    registry._detector_class.cache_clear()
    with pytest.raises(InvalidParameterError, match=r"detector 'brokendet' \(nugen_tests_no_such_package"):
        registry.get_detector("brokendet")
    assert registry.get_detector("xenon1t").name == "xenon1t"  # the others still work


def test_unknown_names_list_the_known_detectors():
    with pytest.raises(UnknownNameError) as err:
        registry.get_detector("xenon2t")
    assert "xenon1t" in str(err.value)
