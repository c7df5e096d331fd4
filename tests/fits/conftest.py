"""Fixtures of the fits tests: the toy detector (tests/fits/toy.py), registered as ``toy``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def load_toy():
    """Import tests/fits/toy.py once as the module ``nugen_tests_toy``."""
    name = "nugen_tests_toy"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("toy.py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


@pytest.fixture
def toy(monkeypatch):
    """The toy-detector module, with ``toy`` in the detector registry for the test's duration."""
    mod = load_toy()
    mod.load(monkeypatch)
    return mod
