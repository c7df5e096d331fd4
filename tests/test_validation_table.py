"""The generated validation table (docs/validation.md) stays within tolerance of every reference."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_validation_table.py"


@pytest.mark.skipif(not SCRIPT.exists(), reason="scripts/ not present (installed-only run)")
def test_every_row_of_the_validation_table_agrees_within_half_a_percent():
    ns = runpy.run_path(str(SCRIPT))
    rows = list(ns["rows"]())
    assert len(rows) >= 40
    for item, quantity, ours, ref, _ in rows:
        # references are quoted to 3-5 significant digits; 0.5 % bounds the rounding of the coarsest
        assert float(ours) / ref == pytest.approx(1.0, abs=5e-3), (item, quantity)
