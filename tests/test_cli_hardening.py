"""Bad input on the command line (issue 18 item 4): exit status 2, one line ``nugen: error: ...`` naming the
value (and for config files the file and the key), no traceback, no warning and no output file left behind.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import uproot

CPUS = os.cpu_count() or 1


def one_error(code, err, *needles):
    """Exit status 2 and exactly one stderr line ``nugen: error: ...`` that contains every needle."""
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("nugen: error:"), err
    assert "Traceback" not in err and "Warning" not in err
    for needle in needles:
        assert needle in err, (needle, err)


# -- case 1: --workers beyond the CPUs -----------------------------------------------------------------
WORKER_COMMANDS = {
    "scan": ["scan", "--detector", "xenon1t", "--masses", "0.01:1:2", "--json", "-o", "{d}/out.json"],
    "sensitivity": ["sensitivity", "--detector", "darwin", "--masses", "0.01:1:2", "-o", "{d}/out.json"],
    "generate": ["generate", "--target", "xenon", "--events", "10", "-o", "{d}/out.root"],
    "plot limits": ["plot", "limits", "--detector", "xenon1t", "--masses", "0.01:1:2", "-o", "{d}/out.png"],
    "plot sensitivity": [
        "plot",
        "sensitivity",
        "--detector",
        "darwin",
        "--masses",
        "0.01:1:2",
        "-o",
        "{d}/o.png",
    ],
}


@pytest.mark.parametrize("command", list(WORKER_COMMANDS))
@pytest.mark.parametrize("workers", [str(CPUS + 1), "100000", "1e30"])
def test_workers_beyond_the_cpu_count_is_refused_with_the_maximum(cli, tmp_path, command, workers):
    argv = [a.replace("{d}", str(tmp_path)) for a in WORKER_COMMANDS[command]]
    code, out, err = cli(*argv, "--workers", workers)
    one_error(code, err, "--workers", f"at most {CPUS}", repr(workers))
    assert out == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", list(WORKER_COMMANDS))
def test_workers_up_to_the_cpu_count_are_accepted(command):
    from nugen.cli import build_parser

    argv = [a.replace("{d}", "/tmp") for a in WORKER_COMMANDS[command]]
    assert build_parser().parse_args([*argv, "--workers", str(CPUS)]).workers == CPUS


# -- case 2: config files are type-checked -------------------------------------------------------------
def test_config_string_for_a_switch_does_not_replace_an_existing_file(cli, tmp_path):
    out = tmp_path / "x.root"
    out.write_bytes(b"precious")
    cfg = tmp_path / "run.toml"
    cfg.write_text("[generate]\noverwrite = 'false'\n")
    code, _, err = cli("generate", "--target", "xenon", "--events", "10", "-o", out, "--config", cfg)
    one_error(code, err, str(cfg), "overwrite", "'false'")
    assert out.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.toml", "x.root"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[spectrun]\nmass = 0.1\n", "[spectrun]"),
        ("[spectrum]\nmas = 0.1\n", "'mas'"),
        ("colour = 3\n", "'colour'"),
        ("[spectrum]\nmass = {a = 1}\n", "mass"),
        ("[spectrum]\nmass = [0.1, 0.2]\n", "mass"),
        ("[spectrum]\nmass = true\n", "mass"),
        ("[spectrum]\nmass = 1979-05-27\n", "mass"),
        ("[spectrum]\njson = 'yes'\n", "json"),
        ("[spectrum]\njson = 1\n", "json"),
        ("[[spectrum]]\nmass = 1\n", "[[spectrum]]"),
        ("spectrum = 5\n", "spectrum = 5"),
        ("[spectrum]\nflavour = 'x'\n", "flavour"),
        ("[plot]\nspectra = 3\n", "spectra"),
        ("[plot.spectra]\ndpi = 0\n", "dpi"),
        ("[generate]\nworkers = 100000\n", "workers"),  # another command's table is checked too
        ('set = ["xenon1t.tritium=free", [1]]\n', "set"),
    ],
)
def test_config_bad_tables_keys_and_types_name_the_file_and_the_key(cli, tmp_path, text, key):
    cfg = tmp_path / "run.toml"
    cfg.write_text(text)
    dest = tmp_path / "out.json"
    code, out, err = cli("spectrum", "--target", "xenon", "--json", "-o", dest, "--config", cfg)
    one_error(code, err, str(cfg), key)
    assert out == "" and not dest.exists()


def test_config_that_is_not_utf8_names_the_file_and_the_line(cli, tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_bytes(b'[spectrum]\nmass = "\xff\xfe"\n')
    code, _, err = cli("spectrum", "--target", "xenon", "--config", cfg)
    one_error(code, err, str(cfg), "UTF-8", "line 2", "mass")


def test_config_good_values_still_work(cli, tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('bins = "1:3:2"\n[spectrum]\nmu-e = 1e-11\njson = true\n[plot]\nmasses = "0:1:3"\n')
    code, out, err = cli("spectrum", "--target", "xenon", "--config", cfg)
    assert code == 0, err
    assert out.lstrip().startswith("{")


# -- case 3: an unreachable scheduler -------------------------------------------------------------------
def test_unreachable_scheduler_is_one_line_without_a_traceback(tmp_path):
    pytest.importorskip("distributed")
    proc = subprocess.run(
        [sys.executable, "-m", "nugen", "scan", "--detector", "xenon1t", "--masses", "0.01:1:2",
         "--scheduler", "tcp://127.0.0.1:1", "-o", str(tmp_path / "out.json")],
        capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    one_error(proc.returncode, proc.stderr, "tcp://127.0.0.1:1")
    assert list(tmp_path.iterdir()) == []


# -- case 4: absurd numbers and impossible output paths -------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["generate", "--target", "xenon", "--events", "1e25", "-o", "{d}/x.root"], ["'1e25'", "at most"]),
        (["generate", "--target", "xenon", "--events", "1e300", "-o", "{d}/x.root"], ["'1e300'", "at most"]),
        (["generate", "--target", "xenon", "--events", "1e20", "-o", "{d}/x.root"], ["'1e20'", "at most"]),
        (["generate", "--target", "xenon", "--exposure", "1e30", "-o", "{d}/x.root"], ["--exposure 1e+30"]),
        (
            ["plot", "spectra", "--detector", "xenon1t", "--dpi", "0", "-o", "{d}/x.png"],
            ["'0'", "10 to 1200"],
        ),
        (["plot", "spectra", "--detector", "xenon1t", "--dpi", "-5", "-o", "{d}/x.png"], ["'-5'"]),
        (
            [
                "plot",
                "limits",
                "--detector",
                "xenon1t",
                "--masses",
                "0.1:1:2",
                "--dpi",
                "100000",
                "-o",
                "{d}/x.png",
            ],
            ["'100000'", "10 to 1200"],
        ),
        (
            ["spectrum", "--target", "xenon", "--bins", "1:30:1e23", "-o", "{d}/x.json"],
            ["1e+23", "at most 1000"],
        ),
        (["spectrum", "--target", "xenon", "-o", "{d}/" + "a" * 300 + ".json"], ["305 bytes", "at most"]),
        (
            ["generate", "--target", "xenon", "--events", "10", "-o", "{d}/" + "b" * 300 + ".root"],
            ["305 bytes"],
        ),
    ],
)
def test_absurd_numbers_and_names_are_refused(cli, tmp_path, argv, needles):
    code, out, err = cli(*[a.replace("{d}", str(tmp_path)) for a in argv])
    one_error(code, err, *needles)
    assert out == "" and list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "--target", "xenon", "--events", "10", "-o", "/proc/x.root"],
        ["spectrum", "--target", "xenon", "--json", "-o", "/proc/x.json"],
        ["plot", "spectra", "--detector", "xenon1t", "-o", "/proc/x.png"],
    ],
)
def test_output_under_an_unwritable_folder_is_refused_even_for_root(cli, argv):
    code, _, err = cli(*argv)
    one_error(code, err, "'/proc'")


def test_output_name_at_the_file_system_limit_still_works(cli, tmp_path):
    name = "c" * (os.pathconf(tmp_path, "PC_NAME_MAX") - 5) + ".json"  # the temporary name is shortened
    code, _, err = cli("spectrum", "--target", "xenon", "--json", "-q", "-o", tmp_path / name)
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == [name]


# -- case 5: accepted but meaningless --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (
            ["spectrum", "--target", "xenon", "--set", "xenon1t.tritium=free"],
            ["--set", "xenon1t.tritium=free"],
        ),
        (["info", "--set", "xenon1t.tritium=free"], ["--set", "xenon1t.tritium=free"]),
        (["spectrum", "--target", "xenon", "--bins", ""], ["--bins", "''"]),
        (["spectrum", "--detector", "xenon1t", "--bins", ""], ["--bins", "''"]),
        (["spectrum", "--target", "xenon", "--source", ""], ["--source", "''"]),
        (["generate", "--target", "xenon", "--source", "", "-o", "{d}/x.root"], ["--source", "''"]),
        (["plot", "spectra", "--detector", "xenon1t", "--bins", "", "-o", "{d}/x.png"], ["--bins", "''"]),
        (["limit", "--card", ""], ["--card", "''"]),
        (
            ["generate", "--target", "xenon", "--range", "100000:200000", "-o", "{d}/x.root"],
            ["100000-200000 keV", "cannot produce"],
        ),
    ],
)
def test_meaningless_options_are_refused(cli, tmp_path, argv, needles):
    code, out, err = cli(*[a.replace("{d}", str(tmp_path)) for a in argv])
    one_error(code, err, *needles)
    assert out == "" and list(tmp_path.iterdir()) == []


# -- case 6: output larger than the free space ------------------------------------------------------------
def test_sample_larger_than_the_free_disk_space_is_refused_before_any_work(cli, tmp_path, monkeypatch):
    import shutil

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage._replace(free=10_000_000))
    code, out, err = cli("generate", "--target", "xenon", "--events", "1e6", "-o", tmp_path / "x.root")
    one_error(code, err, "1000000 events", "~", "10 MB are free", "'x.root'")
    assert out == "" and list(tmp_path.iterdir()) == []


def test_the_size_estimate_bounds_the_real_file(cli, tmp_path):
    from nugen.cli.generate import output_bytes

    for extra in ([], ["--process", "all", "--site", "lngs"]):
        out = tmp_path / "x.root"
        opts = ["--events", "30000", "--seed", "1", "--compression", "none", "-q", "--overwrite"]
        code, _, err = cli("generate", "--target", "xenon", *opts, "-o", out, *extra)
        assert code == 0, err
        with uproot.open(out) as fh:
            branches = len(fh["events"].keys())
        assert out.stat().st_size <= output_bytes(str(out), 30000, branches)


# -- case 7: absurd exposures: no overflow warnings ---------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["spectrum", "--detector", "xenon1t", "--set", "xenon1t.exposure_t_yr=1e308"],
        ["limit", "--detector", "darwin", "--set", "darwin.exposure_t_yr=1e300"],
        ["sensitivity", "--detector", "darwin", "--masses", "0:0.1:2", "--exposure", "10,1e308"],
    ],
)
def test_absurd_exposure_is_one_line_without_warnings(cli, argv, recwarn):
    code, out, err = cli(*argv)
    one_error(code, err, "1e30", "at most 1e+06 t yr")
    assert out == ""
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# -- case 8: no command --------------------------------------------------------------------------------------
def test_bare_nugen_is_a_usage_error_on_stderr(cli):
    code, out, err = cli()
    one_error(code, err, "give a command", "generate", "nugen --help")
    assert out == ""


def test_an_absurd_mass_gives_no_runtime_warnings(cli):
    # found by the hypothesis fuzz test: --mass 1.16e77 overflowed M^2 in the kinematics and the
    # dipole cross section; the result (no dipole events) is right, the warnings were noise
    code, out, err = cli("spectrum", "--target", "xenon", "-q", "--mass", "1.157920892373162e+77")
    assert code == 0 and err == "" and "30" in out


# -- a device that fills up after the free-space check -------------------------------------------------
@pytest.mark.parametrize(
    ("errno_name", "code_expected"), [("ENOSPC", 2), ("EDQUOT", 2), ("EIO", 1)], ids=["full", "quota", "io"]
)
def test_a_device_filling_up_while_writing_is_one_line_and_exit_2(
    cli, tmp_path, monkeypatch, errno_name, code_expected
):
    # the writer (process, thread or HepMC3) raises the OSError; a full disk or quota is the user's to
    # fix (exit 2, what to do), any other I/O error stays an unexpected failure (exit 1, --debug)
    import errno

    import nugen.io

    number = getattr(errno, errno_name)

    def failing(*args, **kwargs):
        raise OSError(number, os.strerror(number))

    monkeypatch.setattr(nugen.io, "write_events", failing)
    code, _, err = cli("generate", "--target", "xenon", "--events", "1000", "-o", str(tmp_path / "x.root"))
    if code_expected == 2:
        one_error(code, err, "filled up while writing", os.strerror(number), "write elsewhere")
    else:
        assert code == 1 and err.startswith("nugen: internal error: OSError:") and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []
