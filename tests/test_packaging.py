"""The tests run against the installed distribution, and its packaged data is complete.

DESIGN.md: ``detectors`` and ``fits`` are generic top-level names, so CI runs the tests against the
installed wheel (``.venv/bin/pytest`` with ``--import-mode=importlib`` does not put the checkout on
``sys.path``); a data file missing from the wheel then fails here rather than in a user's hands.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("package", ["nugen", "detectors", "fits"])
def test_packages_import_from_the_installed_distribution_in_ci(package):
    mod = __import__(package)
    where = Path(mod.__file__).resolve()
    if os.environ.get("CI") == "true":
        # a fresh clone + `pip install .` must import from site-packages (the venv may live inside
        # the checkout), never from the checkout's own package folder
        assert "site-packages" in where.parts, f"{package} not imported from an installed copy: {where}"
        assert where.parent != CHECKOUT / package, f"{package} imported from the checkout: {where}"
    assert where.exists()


@pytest.mark.parametrize("package", ["nugen.data", "detectors.data"])
def test_every_packaged_table_parses_and_cites_its_source(package):
    from nugen.tables import read_table

    files = [p.name for p in resources.files(package).iterdir() if p.name.endswith(".csv")]
    assert files, f"no tables shipped in {package}"
    for name in files:
        table = read_table(package, name)
        assert len(table) > 0
        header = table.header.lower()
        # each table states where its numbers come from
        assert any(k in header for k in ("source:", "publication", "arxiv", "phys.", "et al")), name
