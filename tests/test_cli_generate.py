"""``nugen generate``: the file it writes (CLI.md "Event files"), its message, exit codes, no leftovers.

Statistical tolerance: chi^2 p-value > 1e-3 (fixed seeds, reproducible). Sums of equal weights are
compared with their expected total to 1e-12 (round-off of a pairwise sum, a few ulps per level), and
binned totals with ``nugen spectrum`` to 1e-6 (the two integrate the same window with different segment
boundaries; ``rates``' quadrature is converged to ~1e-7).
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import uproot
from scipy import stats

from nugen.cli import main
from nugen.io import read_events


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_writes_a_ttree_with_metadata_and_says_so(cli, tmp_path):
    out = tmp_path / "xe.root"
    code, stdout, err = cli(
        "generate", "--target", "xenon", "--source", "solar", "--mass", "0.1", "--mu", "3e-11",
        "--events", "20000", "--seed", "7", "-o", str(out), "--quiet",
    )  # fmt: skip
    assert code == 0, err
    assert stdout == "" and err == ""  # --quiet: nothing but the file
    with uproot.open(out) as fh:
        assert fh.classnames()["events;1"] == "TTree"
        meta = json.loads(str(fh["meta"]))
        tree = fh["events"]
        assert tree.num_entries == 20000
        for name in ("E_nu_MeV", "Er_keV", "process", "weight"):
            assert name in tree
        w = tree["weight"].array(library="np")
    assert meta["command"] == "generate"
    assert meta["seed"] == 7 and meta["n_events"] == 20000
    assert meta["model"]["mass_MeV"] == 0.1 and meta["model"]["mu_muB"] == 3e-11
    assert meta["source"]["name"] == "solar" and meta["target"] == "xenon" and meta["detector"] is None
    assert meta["process"] == "dipole"
    assert meta["nugen_version"]
    norm = meta["normalisation"]
    assert norm["exposure"] == 1.0 and norm["exposure_unit"] == "t yr"
    assert w.sum() == pytest.approx(norm["events_per_exposure"], rel=1e-12)
    assert meta["sum_weights"] == pytest.approx(w.sum(), rel=1e-12)
    assert meta["diagnostics"]["envelope_violations"] == 0
    assert listing(tmp_path) == ["xe.root"]


def test_default_message_names_the_file(cli, tmp_path):
    out = tmp_path / "a.root"
    code, stdout, err = cli("generate", "--target", "xenon", "--events", "1000", "-o", str(out))
    assert code == 0
    assert stdout == ""
    assert "wrote 1000 events" in err and str(out) in err and "t yr" in err


def test_weighted_histogram_equals_spectrum(cli, tmp_path):
    out = tmp_path / "s.root"
    model = ["--mass", "0.1", "--mu", "2e-11", "--flavour", "mu"]
    code, _, err = cli("generate", "--target", "xenon", "--process", "all", "--events", "300000",
                       "--seed", "3", "-o", str(out), "-q", *model)  # fmt: skip
    assert code == 0, err
    code, js, err = cli("spectrum", "--target", "xenon", "--bins", "1:30:29", "--json", *model)
    assert code == 0, err
    spec = json.loads(js)
    expected = np.add(spec["counts"]["dipole"], spec["counts"]["sm_nu"])
    events, _ = read_events(out, ["Er_keV", "weight"])
    T, w = events["Er_keV"].to_numpy(), events["weight"].to_numpy()
    h, _ = np.histogram(T, spec["bin_edges"], weights=w)
    assert h.sum() == pytest.approx(expected.sum(), rel=1e-6)  # same window, same numerical integral
    sigma2 = expected * w[0]  # Poisson variance of a weighted count with equal weights
    chi2 = float(np.sum((h - expected) ** 2 / sigma2))
    assert stats.chi2.sf(chi2, expected.size - 1) > 1e-3


def test_exposure_draws_a_poisson_count(cli, tmp_path):
    out = tmp_path / "e.root"
    code, _, err = cli("generate", "--target", "xenon", "--exposure", "2.5", "--seed", "1",
                       "-o", str(out), "-q")  # fmt: skip
    assert code == 0, err
    events, meta = read_events(out, ["weight"])
    norm = meta["normalisation"]
    assert meta["poisson_events"] is True
    assert norm["exposure"] == 2.5
    assert norm["expected_events"] == pytest.approx(2.5 * norm["events_per_exposure"])
    assert abs(meta["n_events"] - norm["expected_events"]) < 5 * np.sqrt(norm["expected_events"])
    assert float(np.sum(events["weight"])) == pytest.approx(norm["expected_events"], rel=1e-12)


def test_nuclear_recoils_and_range(cli, tmp_path):
    out = tmp_path / "n.root"
    code, _, err = cli("generate", "--target", "xenon", "--recoil", "nuclear", "--process", "sm",
                       "--range", "0.5:5", "--events", "5000", "-o", str(out), "-q")  # fmt: skip
    assert code == 0, err
    events, meta = read_events(out, ["Er_keV", "process", "target_pdg"])
    assert meta["recoil_window_keV"] == {"nucleus": [0.5, 5.0]}
    T = events["Er_keV"].to_numpy()
    assert T.min() >= 0.5 and T.max() <= 5.0
    assert set(np.unique(events["process"].to_numpy())) == {3}


def test_workers_do_not_change_the_events(cli, tmp_path):
    files = []
    for k in ("1", "2"):
        out = tmp_path / f"w{k}.root"
        code, _, err = cli("generate", "--target", "xenon", "--mass", "0.3", "--mu", "1e-6",
                           "--events", "70000", "--seed", "5", "--workers", k, "-o", str(out),
                           "-q")  # fmt: skip
        assert code == 0, err
        files.append(read_events(out))
    (a, ma), (b, mb) = files
    for f in a.fields:
        np.testing.assert_array_equal(a[f].to_numpy(), b[f].to_numpy(), err_msg=f)
    ma.pop("workers"), mb.pop("workers")
    assert ma == mb


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--events", "0"], "--events: must be a positive integer, got '0'"),
        (["--events", "-5"], "--events: must be a positive integer, got '-5'"),
        (["--events", "1.5"], "--events: must be a positive integer, got '1.5'"),
        (["--events", "many"], "--events: must be a positive integer, got 'many'"),
        (["--workers", "0"], "--workers: must be a positive integer"),
        (["--exposure", "-1"], "--exposure: must be a positive number"),
        (["--mass", "20"], "rate is zero"),
        (["--mu", "0"], "mu = 0"),
        (["--range", "30:1"], "--range"),
        (["--compression", "gzip"], "unknown compression 'gzip'"),
        (["--source", "moon"], "unknown source 'moon'"),
        (["--site", "mars"], "unknown site 'mars'"),
        (["--site", "lngs", "--period", "2020-02-01,2020-01-01"], "END must come after START"),
    ],
)
def test_bad_input_exit_2_one_line_no_file(cli, tmp_path, args, message):
    out = tmp_path / "bad.root"
    code, stdout, err = cli("generate", "--target", "xenon", "-o", str(out), *args)
    assert code == 2
    assert stdout == ""
    assert err.count("\n") == 1 and err.startswith("nugen: error:"), err
    assert message in err
    assert listing(tmp_path) == []


def test_output_folder_must_exist(cli, tmp_path):
    code, _, err = cli("generate", "--target", "xenon", "-o", str(tmp_path / "nope" / "x.root"))
    assert code == 2 and "does not exist" in err and err.count("\n") == 1
    assert listing(tmp_path) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores folder permissions")
def test_output_folder_must_be_writable(cli, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        code, _, err = cli("generate", "--target", "xenon", "-o", str(ro / "x.root"))
        assert code == 2 and "not writable" in err
    finally:
        ro.chmod(0o700)


def test_existing_output_needs_overwrite(cli, tmp_path):
    out = tmp_path / "x.root"
    out.write_bytes(b"old")
    code, _, err = cli("generate", "--target", "xenon", "--events", "100", "-o", str(out))
    assert code == 2 and "--overwrite" in err
    assert out.read_bytes() == b"old"
    code, _, err = cli("generate", "--target", "xenon", "--events", "100", "-o", str(out),
                       "--overwrite", "-q")  # fmt: skip
    assert code == 0, err
    assert listing(tmp_path) == ["x.root"]


def test_detector_option_errors_cleanly(cli, tmp_path):
    code, _, err = cli("generate", "--detector", "nosuch", "-o", str(tmp_path / "d.root"))
    assert code == 2 and "unknown detector 'nosuch'" in err
    code, _, err = cli("generate", "--detector", "xenon1t", "--source", "solar",
                       "-o", str(tmp_path / "d.root"))  # fmt: skip
    assert code == 2 and "--source cannot be combined with --detector" in err
    assert listing(tmp_path) == []


@pytest.mark.parametrize("name", ["xenon1t", "borexino"])
def test_detector_sample_reproduces_the_detector_spectrum(cli, tmp_path, name):
    """Weighted (weight x efficiency) histogram of Eobs_keV == the detector's expected dipole counts."""
    pytest.importorskip(f"detectors.{name}")
    from detectors import get_detector
    from nugen.model import DipolePortal

    out = tmp_path / "d.root"
    code, _, err = cli("generate", "--detector", name, "--mass", "0.1", "--mu", "2e-11",
                       "--events", "200000", "--seed", "2", "-o", str(out), "-q")  # fmt: skip
    assert code == 0, err
    events, meta = read_events(out)
    det = get_detector(name)
    assert meta["detector"] == name
    assert meta["normalisation"]["exposure"] == pytest.approx(det.exposure_t_yr)
    assert float(np.sum(events["weight"])) == pytest.approx(meta["normalisation"]["expected_events"])
    edges = det.analysis_edges_MeV()
    expected = det.expected_counts(DipolePortal(0.1, 2e-11), edges)["dipole"]
    w = (events["weight"] * events["efficiency"]).to_numpy()
    e_obs = events["Eobs_keV"].to_numpy() * 1e-3
    h, _ = np.histogram(e_obs, edges, weights=w)
    var, _ = np.histogram(e_obs, edges, weights=w * w)
    ok = var > 0
    chi2 = float(np.sum((h[ok] - expected[ok]) ** 2 / var[ok]))
    assert stats.chi2.sf(chi2, ok.sum()) > 1e-3, chi2


def test_site_option(cli, tmp_path):
    out = tmp_path / "s.root"
    code, _, err = cli("generate", "--target", "xenon", "--site", "42.42:13.52", "--period",
                       "2020-06-01,2020-07-01", "--events", "2000", "-o", str(out), "-q")  # fmt: skip
    assert code == 0, err
    events, meta = read_events(out, ["time_unix_s", "nu_dir_z"])
    assert meta["site_lat_lon_deg"] == [42.42, 13.52]
    t = events["time_unix_s"].to_numpy()
    assert t.min() >= 1590969600.0 and t.max() <= 1593561600.0  # June 2020 (UTC)
    code, _, err = cli("generate", "--target", "xenon", "--period", "2020-01-01,2020-02-01",
                       "-o", str(tmp_path / "x.root"))  # fmt: skip
    assert code == 2 and "--period needs --site" in err


def test_piped_run_prints_one_line_and_no_progress_bar(tmp_path):
    out = tmp_path / "p.root"
    proc = subprocess.run(
        [sys.executable, "-m", "nugen", "generate", "--target", "xenon", "--events", "2000", "-o", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("nugen: wrote 2000 events")


def _wait_until(proc, ready, what, timeout=60.0):
    """Poll ``ready()`` every 10 ms while ``proc`` runs; fail with its stderr if it ends first."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"ended before {what}: {proc.stderr.read() if proc.stderr else ''}"
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.01)


def _writing(folder, name):
    """True once the hidden ``.NAME.XXXXXXXX.part`` of ``name`` exists and holds bytes (events written)."""
    for n in listing(folder):
        if n.startswith(f".{name}.") and n.endswith(".part"):
            try:
                return os.path.getsize(folder / n) > 0
            except OSError:  # renamed or removed between listing and stat
                return False
    return False


def _has_loaded(pid, library):
    """True once process ``pid`` has mapped a shared library whose path contains ``library`` (Linux)."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            return library in f.read()
    except OSError:
        return False


def _interrupt_generate(tmp_path, ready, what, workers=2):
    """Start a long ``nugen generate --workers N``, wait for ``ready(proc)``, press Ctrl-C (SIGINT to the
    process group, as a terminal does); return (exit status, stderr, files left in the folder)."""
    out = tmp_path / "big.root"
    argv = [sys.executable, "-m", "nugen", "generate", "--target", "xenon", "--events", "20000000",
            "--workers", str(workers), "-o", str(out)]  # fmt: skip
    # the block closes the pipes, also when an assertion fails (no ResourceWarning in a later test)
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    with subprocess.Popen(argv, **pipes, start_new_session=True) as proc:
        try:
            _wait_until(proc, lambda: ready(proc), what)
            os.killpg(proc.pid, signal.SIGINT)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return proc.returncode, err, listing(tmp_path)


@pytest.mark.parametrize("workers", [1, 2], ids=["writer process", "worker pool and writer thread"])
def test_ctrl_c_while_writing_exits_130_and_leaves_no_partial_file(tmp_path, workers):
    # event-driven: Ctrl-C once the temporary file holds events (no sleeps that a loaded machine outruns);
    # one worker writes in a forked child (nugen.writer_process), two in a thread next to the pool
    writing = lambda p: _writing(tmp_path, "big.root")  # noqa: E731
    code, err, left = _interrupt_generate(tmp_path, writing, "written events", workers)
    assert code == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert left == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="watches /proc/PID/maps")
@pytest.mark.parametrize("library", ["_multiarray_umath", "_ccallback_c"])
def test_ctrl_c_during_the_imports_is_one_line_and_exit_130(tmp_path, library):
    # Ctrl-C while numpy / scipy are still being imported (once their first extension is mapped; scipy
    # is the sampling process's last heavy import, awkward and uproot load in the writer child): the
    # command line must already be catching it (nugen/__init__ and nugen.cli import nothing heavy)
    loaded = lambda p: _has_loaded(p.pid, library)  # noqa: E731
    code, err, left = _interrupt_generate(tmp_path, loaded, f"{library} loaded")
    assert code == 130, err
    assert err.strip() == "nugen: interrupted; no output was written", err
    assert left == []


def test_sigkill_leaves_only_the_documented_part_which_the_next_run_removes(tmp_path):
    import re

    out = tmp_path / "big.root"
    argv = [sys.executable, "-m", "nugen", "generate", "--target", "xenon", "--events", "20000000", "-q",
            "-o", str(out)]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until(proc, lambda: _writing(tmp_path, "big.root"), "written events")
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = listing(tmp_path)
    assert len(left) == 1 and re.fullmatch(r"\.big\.root\.[A-Za-z0-9_]{8}\.part", left[0]), left
    code = main(["generate", "--target", "xenon", "--events", "1000", "--seed", "1", "-q", "-o", str(out)])
    assert code == 0
    assert listing(tmp_path) == ["big.root"]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("quiet", [False, True])
def test_progress_bar_only_on_a_terminal_and_not_quiet(tmp_path, monkeypatch, quiet):
    fake = _Terminal()
    monkeypatch.setattr(sys, "stderr", fake)
    argv = ["generate", "--target", "xenon", "--events", "1000", "-o", str(tmp_path / "t.root")]
    assert main(argv + (["-q"] if quiet else [])) == 0
    text = fake.getvalue()
    if quiet:
        assert text == ""
    else:
        assert "100%" in text and "evt" in text and "nugen: wrote 1000 events" in text


def test_hepmc3_output_from_the_suffix(cli, tmp_path):
    pyhepmc = pytest.importorskip("pyhepmc", minversion="2.13")
    out = tmp_path / "xe.hepmc3"
    code, stdout, err = cli("generate", "--target", "xenon", "--mass", "0.1", "--mu", "3e-11",
                            "--process", "all", "--events", "500", "--seed", "4", "-o", str(out))  # fmt: skip
    assert code == 0, err
    assert stdout == "" and "wrote 500 events" in err and str(out) in err
    assert listing(tmp_path) == ["xe.hepmc3"]
    with pyhepmc.open(out) as f:
        events = list(f)
    assert len(events) == 500
    meta = json.loads(events[0].run_info.attributes["nugen.meta"].astype(str))
    assert meta["command"] == "generate" and meta["seed"] == 4 and meta["model"]["mass_MeV"] == 0.1
    w = sum(ev.weights[0] for ev in events)
    assert w == pytest.approx(meta["normalisation"]["expected_events"], rel=1e-12)
    assert {ev.attributes["ProcID"].astype(int) for ev in events} == {0, 2}  # dipole e and SM nu e
    assert all(ev.length_unit == pyhepmc.Units.MM and ev.momentum_unit == pyhepmc.Units.MEV for ev in events)
    # the same run as ROOT holds the same events
    code, _, err = cli("generate", "--target", "xenon", "--mass", "0.1", "--mu", "3e-11",
                       "--process", "all", "--events", "500", "--seed", "4", "-o", str(tmp_path / "xe.root"),
                       "-q")  # fmt: skip
    assert code == 0, err
    root, _ = read_events(tmp_path / "xe.root", ["E_nu_MeV", "weight"])
    beams = [next(p for p in ev.particles if p.status == 4 and abs(p.pid) in (12, 14, 16)) for ev in events]
    np.testing.assert_array_equal([p.momentum.e for p in beams], root["E_nu_MeV"].to_numpy())


@pytest.mark.parametrize(
    ("name", "extra", "message"),
    [
        ("x.txt", [], "-o/--output must end in .root (ROOT TTree) or .hepmc3/.hepmc (HepMC3), got '"),
        ("events", [], "got '"),
        ("x.hepmc3", ["--compression", "lz4:1"], "--compression applies to ROOT output only, got 'lz4:1'"),
    ],
)
def test_bad_output_suffix_or_option_exit_2_one_line(cli, tmp_path, name, extra, message):
    out = tmp_path / name
    argv = ["generate", "--target", "xenon", "--events", "100", "-o", str(out), *extra]
    code, stdout, err = cli(*argv)
    assert code == 2
    assert stdout == ""
    assert err.count("\n") == 1 and err.startswith("nugen: error:"), err
    assert message in err and name in err
    assert listing(tmp_path) == []


def test_hepmc3_without_pyhepmc_says_how_to_install_it(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyhepmc", None)  # makes "import pyhepmc" raise ImportError
    code, stdout, err = cli("generate", "--target", "xenon", "--events", "100",
                            "-o", str(tmp_path / "x.hepmc3"))  # fmt: skip
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and "pip install 'nugen[hepmc]'" in err, err
    assert listing(tmp_path) == []


def test_hepmc3_detector_sample_carries_the_detector_columns(cli, tmp_path):
    pyhepmc = pytest.importorskip("pyhepmc", minversion="2.13")
    pytest.importorskip("detectors.xenon1t")
    out = tmp_path / "d.hepmc"
    code, _, err = cli("generate", "--detector", "xenon1t", "--mass", "0.1", "--events", "300",
                       "--seed", "2", "-o", str(out), "-q")  # fmt: skip
    assert code == 0, err
    with pyhepmc.open(out) as f:
        events = list(f)
    assert len(events) == 300
    meta = json.loads(events[0].run_info.attributes["nugen.meta"].astype(str))
    assert meta["detector"] == "xenon1t" and "efficiency" in meta["branches"] and meta["detector_settings"]
    eff = [ev.attributes["efficiency"].astype(float) for ev in events]
    assert all(0.0 <= e <= 1.0 for e in eff) and "Eobs_keV" in events[0].attributes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the writer child is Linux-only")
def test_generate_samples_without_importing_uproot_and_leaves_no_writer_child(tmp_path):
    # the ROOT writer is forked first and loads uproot/awkward itself (nugen.writer_process.prestart):
    # the sampling process never imports them; an error after the fork leaves no child behind
    a, b = str(tmp_path / "a.root"), str(tmp_path / "b.root")
    code = textwrap.dedent(
        f"""
        import multiprocessing, sys
        from nugen.cli import main
        ok = main(["generate", "--target", "xenon", "--events", "3000", "-q", "-o", {a!r}])
        bad = main(["generate", "--target", "xenon", "--mass", "-1", "-q", "-o", {b!r}])
        usage = main(["generate", "--no-such-flag"])  # the child was forked before the parser ran
        kids = len(multiprocessing.active_children())
        print(ok, bad, usage, "uproot" in sys.modules, "awkward" in sys.modules, kids)
        """
    )
    argv = [sys.executable, "-c", code]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "2", "2", "False", "False", "0"], proc.stderr
    events, meta = read_events(tmp_path / "a.root")
    assert len(events) == 3000 == meta["n_events"]
    assert listing(tmp_path) == ["a.root"]
