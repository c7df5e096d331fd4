"""``nugen limit`` and ``nugen scan``: JSON/CSV shapes (CLI.md), exit codes, bad input, lazy imports."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time

import pytest

LIMIT_KEYS = {
    "command",
    "detector",
    "mass_MeV",
    "flavour",
    "cl",
    "mu_best_muB",
    "mu_lower_muB",
    "mu_upper_muB",
    "method",
}
POINT_KEYS = {"mass_MeV", "mu_best_muB", "mu_lower_muB", "mu_upper_muB"}


# -- limit --------------------------------------------------------------------------------------
def test_limit_json_has_the_cli_shape(cli, toy):
    code, out, err = cli("limit", "--detector", "toy", "--mass", "0.05", "--flavour", "mu", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert LIMIT_KEYS <= set(doc)
    assert doc["command"] == "limit" and doc["detector"] == "toy" and doc["flavour"] == "mu"
    assert doc["cl"] == 0.9 and doc["mass_MeV"] == 0.05
    assert doc["mu_lower_muB"] is not None  # the toy's default data contain a signal
    assert doc["mu_lower_muB"] < doc["mu_best_muB"] < doc["mu_upper_muB"]
    assert "chi2.ppf(2CL-1, 1)" in doc["method"] and doc["expected"] is False


def test_limit_asimov_cl_and_settings(cli, toy):
    code, out, err = cli(
        "limit",
        "--detector",
        "toy",
        "--asimov",
        "--cl",
        "0.95",
        "--set",
        "toy.data=background",
        "--json",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["expected"] is True and doc["mu_best_muB"] == 0.0 and doc["mu_lower_muB"] is None
    assert doc["cl"] == 0.95 and "3.841" in doc["method"]


def test_limit_without_sensitivity_gives_nulls_and_a_reason(cli, toy):
    code, out, err = cli("limit", "--detector", "toy", "--mass", "1", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["mu_upper_muB"] is None and doc["mu_best_muB"] is None and "no sensitivity" in doc["reason"]


def test_limit_text_and_csv(cli, toy, tmp_path, one_line_error):
    code, out, _ = cli("limit", "--detector", "toy")
    assert code == 0 and "mu_upper_muB" in out and out.startswith("# Toy detector")
    target = tmp_path / "limit.csv"
    code, _, err = cli("limit", "--detector", "toy", "--csv", "-o", str(target))
    assert code == 0 and "wrote" in err
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert len(rows) == 1 and float(rows[0]["mu_upper_muB"]) > 0
    code, _, err = cli("limit", "--detector", "toy", "--csv", "-o", str(target))
    one_line_error(code, err, "exists")


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["--cl", "1.5"], ["--cl", "1.5"]),
        (["--cl", "0"], ["--cl", "(0, 1)"]),
        (["--cl", "nan"], ["--cl"]),
        (["--cl", "0.3"], ["--cl", "0.5"]),
        (["--mass", "-1"], ["-1"]),
        (["--set", "toy.bogus=1"], ["bogus"]),
        (["--set", "darwin.exposure_t_yr=3"], ["darwin"]),
        (["--set", "nonsense"], ["nonsense"]),
    ],
)
def test_limit_bad_input(cli, toy, argv, needles, one_line_error):
    code, _, err = cli("limit", "--detector", "toy", *argv)
    one_line_error(code, err, *needles)


def test_limit_unknown_detector(cli, one_line_error):
    code, _, err = cli("limit", "--detector", "xenon2t")
    one_line_error(code, err, "xenon2t")


def test_limit_does_not_accept_mu(cli):
    code, _, err = cli("limit", "--detector", "toy", "--mu", "1e-11")
    assert code == 2 and "--mu" in err


# -- scan ---------------------------------------------------------------------------------------
def test_scan_json_one_detector_is_an_object(cli, toy):
    code, out, err = cli("scan", "--detector", "toy", "--masses", "0:0.4:5", "--flavour", "e", "--json", "-q")
    assert code == 0, err
    doc = json.loads(out)
    assert (
        doc["command"] == "scan" and doc["detector"] == "toy" and doc["flavour"] == "e" and doc["cl"] == 0.9
    )
    pts = doc["points"]
    assert [p["mass_MeV"] for p in pts] == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])
    assert all(POINT_KEYS <= set(p) for p in pts)
    assert pts[-1]["mu_upper_muB"] is None and "no sensitivity" in pts[-1]["reason"]  # 0.4 MeV > toy reach
    assert all(p["mu_upper_muB"] > 0 for p in pts[:3])


def test_scan_json_several_detectors_is_a_list(cli, toy):
    argv = ["scan", "--detector", "toy,toy2", "--masses", "0.01:0.2:4", "--log", "--json", "-q"]
    code, out, err = cli(*argv)
    assert code == 0, err
    docs = json.loads(out)
    assert isinstance(docs, list) and [d["detector"] for d in docs] == ["toy", "toy2"]
    assert all(d["command"] == "scan" for d in docs)
    assert [p["mass_MeV"] for p in docs[0]["points"]] == pytest.approx(
        [0.01, 0.01 * 20 ** (1 / 3), 0.01 * 20 ** (2 / 3), 0.2]
    )


def test_scan_with_two_workers_gives_the_serial_json(cli):
    # a real (importable) detector: reaches forked and forkserver workers alike
    argv = ["scan", "--detector", "darwin", "--masses", "0.01:0.3:3", "--log", "--flavour", "mu", "--json"]
    code, serial, err = cli(*argv, "-q")
    assert code == 0, err
    code, parallel, err = cli(*argv, "-q", "--workers", "2")
    assert code == 0, err
    assert json.loads(parallel) == json.loads(serial)


def test_scan_csv_and_failed_points(cli, toy):
    code, out, err = cli(
        "scan", "--detector", "toy", "--masses", "0:0.2:3", "--set", "toy.fail_above=0.15", "--csv"
    )
    assert code == 0
    assert "1 of 3 scan points failed" in err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["detector"] for r in rows] == ["toy"] * 3
    assert rows[-1]["error"].startswith("RuntimeError") and rows[-1]["mu_upper_muB"] == ""
    assert float(rows[0]["mu_upper_muB"]) > 0


def test_scan_all_points_failed_is_exit_1(cli, toy):
    code, _, err = cli("scan", "--detector", "toy", "--masses", "0.1:0.2:2", "--set", "toy.fail_above=0.01")
    assert code == 1 and "2 of 2" in err


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["--masses", "5:1:3"], ["5:1:3", "reversed"]),
        (["--masses", "1:1:3"], ["1:1:3", "empty"]),
        (["--masses", "nan:1:3"], ["nan:1:3"]),
        (["--masses", "0:inf:3"], ["0:inf:3"]),
        (["--masses=-1:1:3"], ["-1:1:3"]),
        (["--masses", "0:1:0"], ["0:1:0"]),
        (["--masses", "0:1"], ["0:1", "LO:HI:N"]),
        (["--masses", "0:1:3", "--log"], ["--log", "LO > 0"]),
        (["--masses", "0:1:3", "--mass", "0.5"], ["--mass", "--masses"]),
        (["--masses", "0:1:3", "--cl", "1"], ["--cl"]),
        (["--masses", "0:1:3", "--workers", "0"], ["--workers"]),
        (["--masses", "0:1:3", "--set", "darwin.a=1"], ["darwin"]),
    ],
)
def test_scan_bad_input(cli, toy, argv, needles, one_line_error):
    code, _, err = cli("scan", "--detector", "toy", *argv)
    one_line_error(code, err, *needles)


def test_scan_bad_detector_list(cli, toy, one_line_error):
    code, _, err = cli("scan", "--detector", "toy,", "--masses", "0:1:2")
    one_line_error(code, err, "toy,")
    code, _, err = cli("scan", "--detector", "toy,nope", "--masses", "0:1:2")
    one_line_error(code, err, "nope")


@pytest.mark.leaves_threads
def test_scan_unreachable_scheduler_is_a_clear_error_within_seconds(cli, toy, one_line_error):
    pytest.importorskip("distributed")
    t0 = time.perf_counter()
    code, _, err = cli("scan", "--detector", "toy", "--masses", "0:0.1:2", "--scheduler", "tcp://127.0.0.1:9")
    assert time.perf_counter() - t0 < 10.0
    one_line_error(code, err, "tcp://127.0.0.1:9", "dask scheduler")


def test_workers_and_scheduler_are_exclusive(cli):
    code, _, err = cli("scan", "--detector", "toy", "--masses", "0:1:2", "--workers", "2", "--scheduler", "x")
    assert code == 2 and "not allowed with" in err


# -- start-up cost ------------------------------------------------------------------------------
def test_parsing_the_command_line_imports_no_fitting_code():
    code = (
        "import sys; from nugen.cli import build_parser; "
        "build_parser().parse_args(['limit', '--detector', 'x']); "
        "heavy = ('iminuit', 'scipy.stats', 'scipy.optimize', 'fits.limits', 'distributed', 'tqdm'); "
        "found = [m for m in heavy if m in sys.modules]; print(found); sys.exit(1 if found else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
