"""``nugen sensitivity`` and ``nugen plot sensitivity``: JSON/CSV shapes (CLI.md), median, errors."""

from __future__ import annotations

import csv
import io
import json

import matplotlib

matplotlib.use("Agg")

import pytest

SENSITIVITY_KEYS = {"command", "detector", "flavour", "cl", "method", "points"}
POINT_KEYS = {"mass_MeV", "exposure_t_yr", "median_muB", "band_muB"}
BANDS = {"-2", "-1", "+1", "+2"}


def test_json_has_the_cli_shape(cli):
    code, out, err = cli(
        "sensitivity", "--detector", "darwin", "--masses", "0.01:0.3:3", "--log", "--flavour", "mu",
        "--exposure", "20,200", "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert SENSITIVITY_KEYS <= set(doc)
    assert doc["command"] == "sensitivity" and doc["detector"] == "darwin" and doc["flavour"] == "mu"
    assert doc["cl"] == 0.9 and doc["method"] == "asimov"
    assert len(doc["points"]) == 6
    assert [p["exposure_t_yr"] for p in doc["points"]] == [20.0] * 3 + [200.0] * 3
    for p in doc["points"]:
        assert POINT_KEYS <= set(p) and "discovery_muB" not in p
        assert set(p["band_muB"]) == BANDS
        b = p["band_muB"]
        assert b["-2"] < b["-1"] < p["median_muB"] < b["+1"] < b["+2"]


def test_median_equals_nugen_limit_asimov(cli):
    code, out, err = cli("sensitivity", "--detector", "xenon1t", "--masses", "0.05:0.05:1", "--json")
    assert code == 0, err
    sens = json.loads(out)["points"][0]
    code, out, err = cli("limit", "--detector", "xenon1t", "--mass", "0.05", "--asimov", "--json")
    assert code == 0, err
    assert sens["median_muB"] == json.loads(out)["mu_upper_muB"]
    assert sens["exposure_t_yr"] == 0.65


def test_discovery_toys_and_csv(cli):
    code, out, err = cli(
        "sensitivity", "--detector", "darwin", "--masses", "0:0.1:2", "--discovery", "--toys", "5",
        "--seed", "3", "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["method"] == "toys" and doc["toys"] == 5 and doc["seed"] == 3
    assert all(set(p["discovery_muB"]) == {"3", "5"} for p in doc["points"])
    assert all(p["n_toys"] == 5 for p in doc["points"])
    code, out2, _ = cli(
        "sensitivity", "--detector", "darwin", "--masses", "0:0.1:2", "--discovery", "--toys", "5",
        "--seed", "3", "--json", "--workers", "2",
    )  # fmt: skip
    assert code == 0 and json.loads(out2) == doc
    code, out, err = cli("sensitivity", "--detector", "darwin", "--masses", "0:0.1:2", "--discovery", "--csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2
    assert {
        "median_muB",
        "band_-2_muB",
        "band_+2_muB",
        "discovery_3sigma_muB",
        "discovery_5sigma_muB",
    } <= set(rows[0])


def test_no_sensitivity_is_a_null_point_not_an_error(cli):
    code, out, err = cli("sensitivity", "--detector", "darwin", "--masses", "0:1000:2", "--json")
    assert code == 0, err
    last = json.loads(out)["points"][-1]
    assert last["median_muB"] is None and "no sensitivity" in last["reason"]


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        (["--exposure", "10,abc"], ["--exposure", "'abc'"]),
        (["--exposure", "10,-1"], ["--exposure", "'-1'"]),
        (["--exposure", "0"], ["--exposure", "> 0"]),
        (["--exposure", "10,10"], ["--exposure", "twice"]),
        (["--toys", "0"], ["--toys", ">= 1"]),
        (["--toys", "x"], ["--toys"]),
        (["--masses", "1:0:3"], ["--masses", "reversed"]),
        (["--masses", "0:1"], ["--masses", "LO:HI:N"]),
        (["--masses", "0:1:5", "--log"], ["--masses", "LO > 0"]),
        (["--cl", "1.5"], ["--cl"]),
        (["--workers", "0"], ["--workers"]),
        (["--set", "xenon1t.tritium=free"], ["--set", "xenon1t"]),
        (["--set", "darwin.bogus=1"], ["bogus"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, extra, needles, one_line_error):
    argv = ["sensitivity", "--detector", "darwin", "--masses", "0:0.1:2", *extra]
    # a later --masses wins in argparse, so the bad-masses cases replace the good one
    code, out, err = cli(*argv)
    one_line_error(code, err, *needles)
    assert out == ""


def test_bad_detectors_are_one_line(cli, toy, one_line_error):
    one_line_error(*cli("sensitivity", "--detector", "nope", "--masses", "0:1:2")[::2], "unknown detector")
    one_line_error(*cli("sensitivity", "--detector", "charm2", "--masses", "1:2:2")[::2], "charm2")
    code, _, err = cli("sensitivity", "--detector", "toy", "--masses", "0:0.1:2", "--exposure", "2")
    one_line_error(code, err, "'toy' has no setting exposure_t_yr")


def test_help_has_examples(cli):
    code, out, _ = cli("sensitivity", "--help")
    assert code == 0 and "examples:" in out and "--exposure" in out and "--toys" in out
    code, out, _ = cli("plot", "sensitivity", "--help")
    assert code == 0 and "examples:" in out and "--input" in out


# -- plot sensitivity -----------------------------------------------------------------------------
def test_plot_sensitivity_from_a_file_and_computed(cli, tmp_path):
    data = tmp_path / "d.json"
    code, _, err = cli(
        "sensitivity", "--detector", "darwin", "--masses", "0.01:0.3:4", "--log", "--discovery", "--json",
        "-q", "-o", data,
    )  # fmt: skip
    assert code == 0, err
    png = tmp_path / "brazil.png"
    code, _, err = cli("plot", "sensitivity", "--input", data, "-o", png)
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "wrote" in err
    pdf = tmp_path / "exposure.pdf"
    code, _, err = cli(
        "plot", "sensitivity", "--detector", "darwin", "--masses", "0.1:0.1:1", "--exposure", "10,100,1000",
        "-q", "-o", pdf,
    )  # fmt: skip
    assert code == 0, err
    assert pdf.read_bytes()[:5] == b"%PDF-" and err == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brazil.png", "d.json", "exposure.pdf"]


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["--input", "{missing}"], ["--input", "cannot read"]),
        (["--input", "{bad}"], ["not valid JSON"]),
        (["--input", "{scan}"], ["nugen sensitivity"]),
        (["--input", "{good}", "--toys", "5"], ["--toys"]),
        (["--detector", "darwin"], ["--masses"]),
        (["--detector", "darwin", "--masses", "0.1:0.1:1"], ["two masses"]),
        (["--detector", "darwin", "--masses", "0:0.1:2", "--vs", "exposure"], ["two exposures"]),
    ],
)
def test_plot_sensitivity_bad_input(cli, tmp_path, argv, needles, one_line_error):
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "scan.json").write_text(json.dumps({"command": "scan", "points": []}))
    (tmp_path / "good.json").write_text(json.dumps({"command": "sensitivity", "points": []}))
    paths = {k: str(tmp_path / f"{k}.json") for k in ("missing", "bad", "scan", "good")}
    out = tmp_path / "f.png"
    code, _, err = cli("plot", "sensitivity", *(a.format(**paths) for a in argv), "-o", out)
    one_line_error(code, err, *needles)
    assert not out.exists()
