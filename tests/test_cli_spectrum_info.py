"""``nugen spectrum --detector`` and ``nugen info`` (issue 5): CLI.md shapes, settings and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from detectors import get_detector
from nugen.model import DipolePortal


def test_spectrum_detector_json_matches_cli_md(cli):
    code, out, err = cli("spectrum", "--detector", "xenon1t", "--mu", "2e-11", "--json")
    assert code == 0, err
    doc = json.loads(out)
    # CLI.md spectrum shape
    for key in (
        "command",
        "detector",
        "target",
        "model",
        "energy_unit",
        "bin_edges",
        "exposure_t_yr",
        "counts",
        "data",
    ):
        assert key in doc, key
    assert doc["command"] == "spectrum" and doc["detector"] == "xenon1t" and doc["target"] == "xenon"
    assert doc["model"] == {
        "mass_MeV": 0.0,
        "mu_muB": 2e-11,
        "flavour": {"e": 2e-11, "mu": 2e-11, "tau": 2e-11},
        "nature": "dirac",
    }
    assert doc["energy_unit"] == "keV"
    assert doc["bin_edges"] == [float(e) for e in range(1, 31)]
    assert doc["exposure_t_yr"] == 0.65
    assert {"dipole", "sm_nu", "background"} <= set(doc["counts"])
    assert all(len(v) == 29 for v in doc["counts"].values())
    assert len(doc["data"]) == 29 and sum(doc["data"][:6]) == 285
    assert doc["sm_in_background"] is True
    assert set(doc["background_components"]) == {"B0"}
    # same numbers as the Python API
    exp = get_detector("xenon1t").expected_counts(DipolePortal(0.0, 2e-11))
    np.testing.assert_allclose(doc["counts"]["dipole"], exp["dipole"], rtol=1e-12)
    assert sum(doc["counts"]["dipole"][:6]) == pytest.approx(37, abs=1.5)


def test_spectrum_set_tritium_free_and_darwin_has_no_data(cli):
    code, out, err = cli("spectrum", "--detector", "xenon1t", "--set", "xenon1t.tritium=free", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc["background_components"]) == {"B0", "tritium"}
    assert doc["settings"]["tritium"] == "free"
    code, out, err = cli("spectrum", "--detector", "darwin", "--set", "darwin.exposure_t_yr=300", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["data"] is None and doc["exposure_t_yr"] == 300.0


def test_spectrum_borexino_csv_has_data_column(cli):
    code, out, err = cli("spectrum", "--detector", "borexino", "--csv")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split(",")[:2] == ["E_lo_keV", "E_hi_keV"] and lines[0].endswith("data")
    assert len(lines) == 65


def test_spectrum_bad_detector_setting_and_name(cli):
    code, out, err = cli("spectrum", "--detector", "xenon1t", "--set", "xenon1t.tritum=free")
    assert code == 2 and out == ""
    assert "tritum" in err and "known: tritium" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli("spectrum", "--detector", "xenon2t")
    assert code == 2
    assert "known: xenon1t" in err
    code, out, err = cli("spectrum", "--detector", "xenon1t", "--set", "borexino.hits_per_bin=4")
    assert code == 2 and "borexino" in err


def test_spectrum_zero_signal_is_noted_in_verbose(cli):
    code, out, err = cli("spectrum", "--detector", "xenon1t", "--mass", "30", "--verbose", "--json")
    assert code == 0
    assert not any(json.loads(out)["counts"]["dipole"])
    assert "zero" in err


def test_info_text_and_json(cli):
    code, out, err = cli("info", "xenon1t")
    assert code == 0, err
    for word in ("tritium", "exposure_t_yr", "0.65", "t yr", "arXiv:2006.09721", "B0"):
        assert word in out
    code, out, err = cli("info", "borexino", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["detector"] == "borexino" and doc["exposure_unit"] == "t yr"
    assert doc["exposure"] == pytest.approx(1291.51 * 71.3 / 365.25)
    keys = [s["key"] for s in doc["settings"]]
    assert {"e_min_keV", "e_max_keV", "hits_per_bin", "energy_scale", "solar_model"} <= set(keys)
    for s in doc["settings"]:
        assert set(s) == {"key", "default", "value", "unit", "doc"}
    assert doc["observed_events"] > 1e5
    code, out, err = cli("info", "darwin", "--set", "darwin.exposure_t_yr=300", "--json")
    assert code == 0 and json.loads(out)["exposure"] == 300.0
    code, out, err = cli("info")
    assert code == 0 and "xenon1t" in out and "borexino" in out
    # the list says what each detector is: xenonnt is a card with data, darwin a projection
    kinds = {line.split()[0]: line.split("  ")[1:] for line in out.splitlines()[1:]}
    assert "card, data" in out.split("xenonnt", 1)[1].splitlines()[0]
    assert "card, projection" in out.split("darwin", 1)[1].splitlines()[0] and "xenon1t" in kinds
    code, out, err = cli("info", "--json")
    details = {d["name"]: d for d in json.loads(out)["details"]}
    assert details["xenon1t"]["kind"] == "module" and details["xenonnt"]["title"].startswith("XENONnT")


def test_info_unknown_detector_and_setting(cli):
    code, _, err = cli("info", "darwim")
    assert code == 2 and "known: darwin" in err
    code, _, err = cli("info", "darwin", "--set", "darwin.exposure=3")
    assert code == 2 and "exposure_t_yr" in err


def test_spectrum_text_header_names_the_detectors_exposure_unit(cli):
    # CHARM-II's exposure is tonnes x protons on target, not tonne-years
    code, out, err = cli("spectrum", "--detector", "charm2")
    assert code == 0, err
    header = out.splitlines()[0]
    assert "t POT" in header and "t yr" not in header
