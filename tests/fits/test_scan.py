"""fits.scan: executors give identical, mass-ordered results; failures stay in their rows; bad input."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from fits.limits import detector_limit
from fits.scan import ScanResult, mass_grid, scan
from nugen.errors import InvalidParameterError, UnknownNameError
from nugen.parallel import process_pool, start_method

MASSES = [0.25, 0.0, 0.1, 0.31, 0.05, 0.2, 0.15]  # unsorted on purpose; 0.31 MeV is beyond the toy's reach


def as_dicts(results):
    return [r.to_dict() for r in results]


def test_serial_scan_matches_single_limits_in_mass_order(toy):
    (res,) = scan("toy", MASSES, "mu", settings={"toy": {"data": "background"}})
    assert isinstance(res, ScanResult)
    assert res.detector == "toy" and res.flavour == "mu" and res.cl == 0.9 and not res.expected
    assert list(res.masses) == sorted(MASSES)
    det = toy.ToyDetector(data="background")
    for p in res.points:
        assert p == detector_limit(det, p.mass_MeV, "mu")
    beyond = res.points[-1]
    assert beyond.mass_MeV == 0.31 and beyond.mu_upper_muB is None and "no sensitivity" in beyond.reason
    assert np.isnan(res.column("mu_upper_muB")[-1]) and np.all(np.isfinite(res.column("mu_upper_muB")[:-1]))


def test_two_workers_give_the_serial_results(toy):
    if start_method() != "fork":  # decided now: a thread started by an earlier test forbids forking
        pytest.skip("the toy detector reaches workers by fork only")
    kwargs = {"settings": {"toy": {"data": "signal"}}, "chunk_size": 2}
    serial = scan(["toy", "toy2"], MASSES, "universal", **kwargs)
    parallel = scan(["toy", "toy2"], MASSES, "universal", workers=2, **kwargs)
    assert as_dicts(parallel) == as_dicts(serial)
    assert [r.detector for r in serial] == ["toy", "toy2"]
    # chunking does not matter either
    assert as_dicts(
        scan(["toy", "toy2"], MASSES, "universal", settings=kwargs["settings"], chunk_size=5)
    ) == as_dicts(serial)


def test_one_shared_process_pool_serves_several_scans(toy):
    if start_method() != "fork":
        pytest.skip("the toy detector reaches workers by fork only")
    serial = [scan("toy", MASSES, f) for f in ("e", "mu")]
    with process_pool(2) as pool:
        shared = [scan("toy", MASSES, f, executor=pool, chunk_size=2) for f in ("e", "mu")]
    assert [as_dicts(r) for r in shared] == [as_dicts(r) for r in serial]


def test_any_executor_gives_the_serial_results(toy):
    serial = scan("toy", MASSES, "e")
    with ThreadPoolExecutor(max_workers=3) as ex:
        threaded = scan("toy", MASSES, "e", executor=ex, chunk_size=1)
    assert as_dicts(threaded) == as_dicts(serial)


@pytest.mark.leaves_threads
@pytest.mark.filterwarnings("ignore")  # dask's own deprecation and resource warnings
def test_dask_scheduler_gives_the_serial_results(toy):
    distributed = pytest.importorskip("distributed")
    serial = scan("toy", MASSES[:4], "mu")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        remote = scan("toy", MASSES[:4], "mu", scheduler=cluster.scheduler_address)
    assert as_dicts(remote) == as_dicts(serial)


@pytest.mark.leaves_threads
def test_unreachable_scheduler_fails_fast_and_clearly(toy):
    pytest.importorskip("distributed")
    t0 = time.perf_counter()
    with pytest.raises(
        InvalidParameterError, match=r"cannot reach the dask scheduler at 'tcp://127.0.0.1:9'"
    ):
        scan("toy", [0.0], scheduler="tcp://127.0.0.1:9", scheduler_timeout=1.0)
    assert time.perf_counter() - t0 < 5.0


def test_a_failing_point_is_reported_not_raised(toy):
    (res,) = scan("toy", MASSES, settings={"toy": {"fail_above": 0.12}}, chunk_size=3)
    bad = [p for p in res.points if p.error]
    assert [p.mass_MeV for p in bad] == [0.15, 0.2, 0.25, 0.31]
    assert all("RuntimeError: toy failure" in p.error and p.mu_upper_muB is None for p in bad)
    assert all(p.mu_upper_muB is not None for p in res.points if not p.error)
    assert res.n_failed == 4
    assert res.to_dict()["points"][-1]["error"].startswith("RuntimeError")


def test_projected_detector_scan_is_expected(toy):
    (res,) = scan("toy", [0.0, 0.1], settings={"toy": {"data": "none"}})
    assert res.expected and all(p.expected and p.mu_best_muB == 0.0 for p in res.points)


def test_mass_grid():
    assert mass_grid(0, 1, 5) == pytest.approx([0, 0.25, 0.5, 0.75, 1])
    assert mass_grid(0.01, 1, 3, log=True) == pytest.approx([0.01, 0.1, 1])
    assert mass_grid(0.5, 0.5, 1) == pytest.approx([0.5])


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((1, 0.5, 3), {}, "empty or reversed"),
        ((1, 1, 3), {}, "empty or reversed"),
        ((math.nan, 1, 3), {}, "finite"),
        ((0, math.inf, 3), {}, "finite"),
        ((-1, 1, 3), {}, ">= 0"),
        ((0, 1, 0), {}, "N >= 1"),
        ((0, 1, 3), {"log": True}, "LO > 0"),
    ],
)
def test_mass_grid_bad_input(args, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        mass_grid(*args, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"detectors": "nope"}, UnknownNameError, "unknown detector 'nope'"),
        ({"detectors": []}, InvalidParameterError, "at least one detector"),
        ({"detectors": ["toy", "toy"]}, InvalidParameterError, "once"),
        ({"masses": []}, InvalidParameterError, "at least one mass"),
        ({"masses": [0.1, math.nan]}, InvalidParameterError, "finite and >= 0"),
        ({"cl": 1.2}, InvalidParameterError, "confidence level"),
        ({"workers": 0}, InvalidParameterError, "workers"),
        ({"workers": 2, "scheduler": "tcp://x:1"}, InvalidParameterError, "at most one"),
        ({"settings": {"darwin": {"a": 1}}}, InvalidParameterError, "not in the scan"),
        ({"settings": {"toy": {"bogus": 1}}}, UnknownNameError, "setting of detector 'toy'"),
        ({"flavour": "muon"}, UnknownNameError, "flavour"),
        ({"chunk_size": 0}, InvalidParameterError, "chunk_size"),
    ],
)
def test_bad_input(toy, kwargs, error, match):
    args = {"detectors": "toy", "masses": [0.0], **kwargs}
    with pytest.raises(error, match=match):
        scan(args.pop("detectors"), args.pop("masses"), **args)


def test_progress_bar_only_when_asked_or_on_a_terminal(toy, capsys):
    scan("toy", [0.0, 0.1], progress=True)
    assert "nugen scan" in capsys.readouterr().err
    scan("toy", [0.0, 0.1])  # progress=None: pytest's stderr is not a terminal
    assert capsys.readouterr().err == ""


def test_a_scan_without_progress_bar_never_imports_tqdm():
    # tqdm.auto (with asyncio) is ~20 ms of every quiet or piped scan's start-up; a fresh interpreter
    # shows whether it was imported
    code = (
        "import sys; from fits.scan import _progress; bar = _progress(3, None); bar.update(1); bar.close(); "
        "sys.exit('tqdm' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
