"""Shared fixtures for the nugen test suite."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest


def pytest_collection_modifyitems(session, config, items):
    """Run the tests marked ``leaves_threads`` last: a live thread makes nugen.parallel use forkserver,
    and the tests of forked workers (the toy detector only reaches forked workers) would then skip."""
    items.sort(key=lambda item: item.get_closest_marker("leaves_threads") is not None)


@pytest.fixture(scope="session", autouse=True)
def _no_progress_bar_threads():
    """Progress bars start no monitor thread (as on the command line, ``nugen.parallel.quiet_threads``),
    so that a bar shown by one test does not keep later tests' worker processes from being forked."""
    from nugen.parallel import quiet_threads

    quiet_threads()


@pytest.fixture
def rng(request):
    """A numpy Generator seeded from the test's node id: reproducible, and different for every test."""
    seed = np.frombuffer(request.node.nodeid.encode(), dtype=np.uint8).astype(np.uint64)
    return np.random.default_rng(np.random.SeedSequence(seed.tolist()))


@pytest.fixture
def cli(capsys):
    """Run the ``nugen`` command line in this process: ``cli(*argv) -> (exit status, stdout, stderr)``."""
    from nugen.cli import main

    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def one_line_error():
    """``check(code, stderr, *needles)``: exit 2 and one ``nugen: error:`` line containing each needle."""

    def check(code, err, *needles):
        assert code == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("nugen: error:"), err
        for needle in needles:
            assert needle in lines[0], lines[0]

    return check


def load_toy():
    """Import tests/fits/toy.py once as the module ``nugen_tests_toy`` (a fully controllable detector)."""
    name = "nugen_tests_toy"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / "fits" / "toy.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


@pytest.fixture
def toy(monkeypatch):
    """The toy-detector module, with ``toy`` (and ``toy2``) in the detector registry for the test."""
    mod = load_toy()
    mod.load(monkeypatch)
    return mod
