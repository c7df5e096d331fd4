"""``--card FILE.toml`` on every detector command (issue 13), and bad cards as one-line exit-2 errors."""

from __future__ import annotations

import csv
import io
import json

import matplotlib

matplotlib.use("Agg")

import pytest

from detectors.card import shipped_card_path

CARD = """
name = "mycard"
title = "a user's card"
channel = "electron"
target = "xenon"

[exposure]
mass_t = 10
live_years = 2

[window]
min_keV = 1
max_keV = 20
bin_width_keV = 1

[resolution]
a = 0.31
b = 0.0037

[efficiency]
threshold_keV = 1
plateau = 0.9

[[background]]
name = "flat"
rate_per_t_yr_keV = 15.0
rel_uncertainty = 0.1

[solar_neutrinos]
in_background = false
rel_uncertainty = 0.1
"""


@pytest.fixture
def card(tmp_path):
    p = tmp_path / "mycard.toml"
    p.write_text(CARD)
    return p


def test_card_and_shipped_name_give_the_same_limit(cli):
    path = str(shipped_card_path("xenonnt"))
    a = json.loads(cli("limit", "--card", path, "--json")[1])
    b = json.loads(cli("limit", "--detector", "xenonnt", "--json")[1])
    assert a["detector"] == b["detector"] == "xenonnt"
    assert a["mu_upper_muB"] == b["mu_upper_muB"]


def test_card_settings_use_the_card_name(cli, card):
    code, out, err = cli("limit", "--card", str(card), "--set", "mycard.exposure_t_yr=40", "--json")
    assert code == 0, err
    doc40 = json.loads(out)
    doc20 = json.loads(cli("limit", "--card", str(card), "--json")[1])
    assert doc40["expected"] and doc20["expected"]  # no [data]: Asimov
    # background-dominated: the limit on mu scales as T^(-1/4); x2 exposure -> x0.84 (0.80-0.90 allowed)
    assert 0.80 < doc40["mu_upper_muB"] / doc20["mu_upper_muB"] < 0.90


def test_card_on_spectrum_info_scan_sensitivity_and_plots(cli, card, tmp_path):
    code, out, err = cli("spectrum", "--card", str(card), "--mu", "1e-11", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["detector"] == "mycard" and len(doc["bin_edges"]) == 20 and doc["exposure_t_yr"] == 20
    # flat 15 /(t yr keV) x 20 t yr x 0.9 efficiency per 1-keV bin, away from the threshold edge
    assert doc["background_components"]["flat"][5] == pytest.approx(15 * 20 * 0.9, rel=1e-9)

    code, out, err = cli("info", "--card", str(card), "--json")
    assert code == 0, err
    assert json.loads(out)["card"] == str(card.resolve())

    code, out, err = cli("scan", "--detector", "xenon1t", "--card", str(card), "--masses", "0:0.1:2", "--csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["detector"] for r in rows} == {"xenon1t", "mycard"}

    code, out, err = cli("sensitivity", "--card", str(card), "--masses", "0:0.1:2", "--json")
    assert code == 0, err
    assert json.loads(out)["detector"] == "mycard"

    for kind in (
        ("spectra",),
        ("limits", "--masses", "0.01:0.1:2", "--log"),
        ("sensitivity", "--masses", "0:0.1:2"),
    ):
        png = tmp_path / f"{kind[0]}.png"
        code, _, err = cli("plot", kind[0], "--card", str(card), *kind[1:], "-o", str(png))
        assert code == 0 and png.stat().st_size > 1000, err


@pytest.mark.parametrize(
    ("edit", "needles"),
    [
        (("plateau = 0.9", "plato = 0.9"), ("key 'efficiency.plato'", "did you mean 'plateau'")),
        (("live_years = 2", "live_years = -2"), ("key 'exposure.live_years'", "> 0")),
        (
            ("rate_per_t_yr_keV = 15.0", 'rate_per_t_yr_keV = "15"'),
            ("background[0].rate_per_t_yr_keV", "number"),
        ),
        (('target = "xenon"', 'target = "xenom"'), ("key 'target'", "xenon")),
        (("[window]", "[window"), ("not valid TOML",)),
    ],
)
def test_bad_card_is_one_line_naming_file_and_key(cli, tmp_path, edit, needles, one_line_error):
    p = tmp_path / "bad.toml"
    p.write_text(CARD.replace(*edit))
    out_file = tmp_path / "out.json"
    for command in (("limit",), ("spectrum",), ("info",), ("sensitivity", "--masses", "0:0.1:2")):
        code, _out, err = (
            cli(*command, "--card", str(p), "-o", str(out_file))
            if command[0] == "limit"
            else cli(*command, "--card", str(p))
        )
        one_line_error(code, err, str(p), *needles)
        assert not out_file.exists()


def test_missing_card_and_wrong_suffix(cli, tmp_path, one_line_error):
    one_line_error(*cli("limit", "--card", str(tmp_path / "none.toml"))[::2], "none.toml", "does not exist")
    one_line_error(*cli("limit", "--card", "card.yaml")[::2], "--card expects one FILE.toml")
    one_line_error(*cli("info", "xenon1t", "--card", str(shipped_card_path("xenonnt")))[::2], "not both")
    one_line_error(*cli("scan", "--masses", "0:1:2")[::2], "--detector NAME")


def test_unknown_detector_lists_shipped_cards(cli, one_line_error):
    one_line_error(*cli("limit", "--detector", "xenonn")[::2], "xenonnt")
