"""scripts/fig_accelerator_limits.py: the --quick run writes PNG, PDF and CSV; the CSV holds nugen's limits;
the median |log10 ratio| in the panel titles is right on curves where it is known by construction."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fig_accelerator_limits.py"


@pytest.fixture(scope="module")
def fig():
    spec = importlib.util.spec_from_file_location("fig_accelerator_limits", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_median_abs_log10_is_exact_on_a_curve_twice_the_published_one(fig):
    pub_M = np.array([1.0, 10.0, 100.0, 100.0])  # the traced closure turns back at the end: ignored
    pub_mu = np.array([1e-7, 1e-8, 1e-9, 1e-5])
    masses = np.array([0.5, 2.0, 5.0, 50.0, 200.0])  # 0.5 and 200 lie outside the published range
    limits = [None, 2 * 10**-7.30103, 2 * 10**-7.69897, 2 * 10**-8.69897, 1.0]
    assert fig.median_abs_log10(masses, limits, pub_M, pub_mu) == pytest.approx(np.log10(2.0), rel=1e-6)
    assert fig.median_abs_log10([1000.0], [1e-9], pub_M, pub_mu) is None


def test_quick_run_writes_the_figure_and_nugens_own_limits(fig, tmp_path):
    assert fig.main(["--quick", "--quiet", "--outdir", str(tmp_path)]) == 0
    for stem, magic in (("accelerator_limits.png", b"\x89PNG"), ("accelerator_limits.pdf", b"%PDF")):
        assert (tmp_path / stem).read_bytes()[:4] == magic
    assert not list(tmp_path.glob(".*.part"))
    with open(tmp_path / "accelerator_limits.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    assert {r["detector"] for r in rows} == {"charm2", "nomad", "miniboone", "lsnd"}
    assert len(rows) == 4 * 4
    # the plotted LSND points are fits.limits.detector_limit's (the figure adds nothing of its own)
    from detectors import get_detector
    from fits.limits import detector_limit

    det = get_detector("lsnd")
    for r in (r for r in rows if r["detector"] == "lsnd"):
        res = detector_limit(det, float(r["M_N_MeV"]), "e", cl=0.95)
        if res.mu_upper_muB is None:
            assert r["mu_upper_muB"] == "" and r["reason"]
        else:
            assert float(r["mu_upper_muB"]) == pytest.approx(res.mu_upper_muB, rel=1e-8)


def test_bad_options_exit_2_with_one_line(fig, capsys):
    assert fig.main(["--masses", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--masses must be >= 2" in err
