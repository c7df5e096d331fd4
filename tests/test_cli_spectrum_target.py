"""``nugen spectrum --target``: output shapes (CLI.md), agreement with the API, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from nugen.model import DipolePortal
from nugen.rates import rate_calculator


def test_json_matches_the_cli_contract_and_the_python_api(cli):
    code, out, err = cli(
        "spectrum",
        "--target",
        "xenon",
        "--mass",
        "0.1",
        "--mu",
        "2e-11",
        "--bins",
        "1:30:29",
        "--json",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["command"] == "spectrum"
    assert doc["target"] == "xenon"
    assert doc["energy_unit"] == "keV"
    assert doc["exposure_t_yr"] == 1.0
    assert doc["model"] == {
        "mass_MeV": 0.1,
        "mu_muB": 2e-11,
        "flavour": {"e": 2e-11, "mu": 2e-11, "tau": 2e-11},
        "nature": "dirac",
    }
    assert len(doc["bin_edges"]) == 30
    assert set(doc["counts"]) == {"dipole", "sm_nu"}
    edges = np.linspace(1, 30, 30) * 1e-3
    rc = rate_calculator("solar", "xenon")
    np.testing.assert_allclose(
        doc["counts"]["dipole"], rc.dipole_counts(edges, DipolePortal(0.1, 2e-11)).sum(0)
    )
    np.testing.assert_allclose(doc["counts"]["sm_nu"], rc.sm_counts(edges).sum(0))


def test_csv_and_text_outputs_have_one_row_per_bin(cli):
    code, out, _ = cli("spectrum", "--target", "pseudocumene", "--bins", "200:1000:8", "--csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "E_lo_keV,E_hi_keV,dipole,sm_nu"
    assert len(lines) == 9
    code, out, _ = cli("spectrum", "--target", "xenon", "--flavour", "mu", "--bins", "1:5:4")
    assert code == 0
    assert "nu" in out and len(out.strip().splitlines()) == 4 + 3  # preamble, header, rule, 4 rows


def test_output_file_is_written_atomically_and_not_overwritten(cli, tmp_path):
    dest = tmp_path / "s.json"
    assert cli("spectrum", "--target", "xenon", "--json", "-o", str(dest))[0] == 0
    assert json.loads(dest.read_text())["command"] == "spectrum"
    code, _, err = cli("spectrum", "--target", "xenon", "--json", "-o", str(dest))
    assert code == 2 and "--overwrite" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--target", "xenn"], "xenon"),
        (["--target", "xenon", "--mass", "-1"], "-1"),
        (["--target", "xenon", "--mu", "nan"], "nan"),
        (["--target", "xenon", "--bins", "30:1:5"], "30:1:5"),
        (["--target", "xenon", "--bins", "1:30:0"], "N = 0"),
        (["--target", "xenon", "--bins", "1-30"], "LO:HI:N"),
        (["--target", "xenon", "--flavour", "muon"], "muon"),
        (["--target", "xenon", "--nature", "weyl"], "weyl"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(cli, tmp_path, argv, needle):
    dest = tmp_path / "never.json"
    code, _out, err = cli("spectrum", *argv, "--json", "-o", str(dest))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("nugen: error:")
    assert needle in err
    assert not dest.exists() and list(tmp_path.iterdir()) == []


def test_config_file_supplies_options_and_flags_win(cli, tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('target = "xenon"\nbins = "1:3:2"\n[spectrum]\nmu = 3e-11\n')
    code, out, _ = cli("spectrum", "--config", str(cfg), "--mu", "1e-11", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["bin_edges"] == [1.0, 2.0, 3.0] and doc["model"]["mu_muB"] == 1e-11
    cfg.write_text("colour = 3\n")
    code, _, err = cli("spectrum", "--target", "xenon", "--config", str(cfg))
    assert code == 2 and "colour" in err


def test_console_script_runs_as_a_fresh_process():
    proc = subprocess.run(
        [sys.executable, "-m", "nugen", "spectrum", "--target", "xenon", "--bins", "1:2:1", "--json", "-q"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["counts"]["dipole"][0] > 0
    version = subprocess.run(
        [sys.executable, "-m", "nugen", "--version"], capture_output=True, text=True, check=False
    )
    assert version.returncode == 0 and version.stdout.startswith("nugen ")


def test_output_files_get_ordinary_permissions(cli, tmp_path):
    import os

    dest = tmp_path / "perm.json"
    assert cli("spectrum", "--target", "xenon", "--json", "-o", str(dest))[0] == 0
    umask = os.umask(0)
    os.umask(umask)
    assert dest.stat().st_mode & 0o777 == 0o666 & ~umask


def test_config_top_level_keys_apply_where_they_exist_and_nested_tables_reach_subcommands(cli, tmp_path):
    cfg = tmp_path / "run.toml"
    # "bins" belongs to spectrum/plot spectra, not to limit: shared keys are skipped where unknown
    cfg.write_text('bins = "1:3:2"\n[plot.spectra]\ndetector = "xenon1t"\n')
    code, out, err = cli("spectrum", "--config", str(cfg), "--target", "xenon", "--json")
    assert code == 0, err
    assert json.loads(out)["bin_edges"] == [1.0, 2.0, 3.0]
    from nugen.cli import _config_tokens, build_parser

    argv = _config_tokens(build_parser(), ["plot", "spectra", "--config", str(cfg), "-o", "x.png"])
    assert argv[:2] == ["plot", "spectra"]
    i = argv.index("--detector")
    assert argv[i + 1] == "xenon1t" and argv.index("--bins") < argv.index("--config")
    code, _, err = cli("info", "--config", str(cfg), "xenon1t", "--json")
    assert code == 0, err


@pytest.mark.parametrize(
    ("text", "is_json"),
    [
        ('format = "json"\n', True),
        ('format = "csv"\n', False),
        ("json = true\n", True),
        ("csv = true\n", False),
    ],
)
def test_config_output_format_by_destination_or_by_flag_name(cli, tmp_path, text, is_json):
    # --json and --csv share one destination; "format" must pick the flag by its value, not the last flag
    cfg = tmp_path / "fmt.toml"
    cfg.write_text(text + 'target = "xenon"\nbins = "1:3:2"\n')
    code, out, err = cli("spectrum", "--config", str(cfg))
    assert code == 0, err
    assert out.lstrip().startswith("{") is is_json
    if not is_json:
        assert out.splitlines()[0].startswith("E_lo_keV,")


def test_config_format_outside_the_choices_is_a_one_line_error(cli, tmp_path):
    cfg = tmp_path / "fmt.toml"
    cfg.write_text('format = "xml"\n')
    code, _, err = cli("spectrum", "--target", "xenon", "--config", str(cfg))
    assert code == 2 and err.count("\n") == 1 and "'xml'" in err and "'json'" in err


def test_config_set_is_accepted_under_its_flag_name(cli, tmp_path):
    cfg = tmp_path / "set.toml"
    cfg.write_text('set = ["xenon1t.tritium=free"]\n')
    code, out, err = cli("spectrum", "--detector", "xenon1t", "--json", "--config", str(cfg))
    assert code == 0, err
    assert json.loads(out)["settings"]["tritium"] == "free"
