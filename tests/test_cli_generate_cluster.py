"""``nugen generate --scheduler``: chunks on a dask.distributed cluster give the events of ``--workers 1``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from nugen.io import read_events


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


GENERATE = (
    "generate",
    "--target",
    "xenon",
    "--mass",
    "0.1",
    "--mu",
    "3e-11",
    "--events",
    "140000",
    "--seed",
    "11",
)


def _cluster(distributed, **kwargs):
    """A LocalCluster whose workers are threads of this process (they see its monkeypatches)."""
    return distributed.LocalCluster(processes=False, dashboard_address=None, **kwargs)


@pytest.mark.leaves_threads
@pytest.mark.filterwarnings("ignore")  # dask's own deprecation and resource warnings
def test_scheduler_gives_the_events_of_one_worker(cli, tmp_path):
    distributed = pytest.importorskip("distributed")
    local, remote = tmp_path / "local.root", tmp_path / "remote.root"
    code, _, err = cli(*GENERATE, "--workers", "1", "-o", str(local), "-q")
    assert code == 0, err
    with _cluster(distributed, n_workers=1, threads_per_worker=2) as cluster:
        code, _, err = cli(*GENERATE, "--scheduler", cluster.scheduler_address, "-o", str(remote), "-q")
    assert code == 0, err
    (a, ma), (b, mb) = read_events(local), read_events(remote)
    assert a.fields == b.fields
    for f in a.fields:
        np.testing.assert_array_equal(a[f].to_numpy(), b[f].to_numpy(), err_msg=f)
    assert mb.pop("scheduler") == cluster.scheduler_address
    assert ma == mb
    assert listing(tmp_path) == ["local.root", "remote.root"]


@pytest.mark.leaves_threads
@pytest.mark.filterwarnings("ignore")
def test_chunk_failing_on_the_cluster_is_one_line_and_leaves_no_file(
    cli, tmp_path, one_line_error, monkeypatch
):
    distributed = pytest.importorskip("distributed")
    import nugen.parallel as parallel

    def lost(key, blob, task):
        raise MemoryError("worker lost")

    monkeypatch.setattr(parallel, "_remote_task", lost)  # same process: the threads see the patch
    with _cluster(distributed, n_workers=1, threads_per_worker=1) as cluster:
        code, _, err = cli(
            *GENERATE, "--scheduler", cluster.scheduler_address, "-o", str(tmp_path / "x.root")
        )
    one_line_error(code, err, "failed on the cluster", "worker lost")
    assert listing(tmp_path) == []


@pytest.mark.leaves_threads
def test_unreachable_scheduler_is_one_line_exit_2_and_no_file(cli, tmp_path, one_line_error, monkeypatch):
    pytest.importorskip("distributed")
    import nugen.parallel as parallel

    monkeypatch.setattr(parallel, "SCHEDULER_TIMEOUT_S", 1.0)
    t0 = time.perf_counter()
    code, _, err = cli(*GENERATE, "--scheduler", "tcp://127.0.0.1:9", "-o", str(tmp_path / "x.root"))
    assert time.perf_counter() - t0 < 10.0
    one_line_error(code, err, "tcp://127.0.0.1:9", "dask scheduler")
    assert listing(tmp_path) == []


def test_workers_and_scheduler_are_exclusive(cli, tmp_path):
    code, _, err = cli(
        *GENERATE, "--workers", "2", "--scheduler", "tcp://x:1", "-o", str(tmp_path / "x.root")
    )
    assert code == 2 and "not allowed with" in err
    assert listing(tmp_path) == []


# -- clusters that cannot run the chunks: one line before any work (issue 18, found by trying them) -------
def test_a_scheduler_without_workers_is_said_within_the_timeout():
    distributed = pytest.importorskip("distributed")
    from nugen.errors import InvalidParameterError
    from nugen.parallel import dask_executor

    with _cluster(distributed, n_workers=0) as cluster:
        t0 = time.perf_counter()
        with (
            pytest.raises(InvalidParameterError, match="has no worker after 1 s: start workers"),
            dask_executor(cluster.scheduler_address, timeout=1.0),
        ):
            pass
        assert time.perf_counter() - t0 < 8.0


def test_the_dashboard_port_instead_of_the_scheduler_is_said_within_the_deadline():
    distributed = pytest.importorskip("distributed")
    from nugen.errors import InvalidParameterError
    from nugen.parallel import dask_executor

    with _cluster(distributed, n_workers=1, threads_per_worker=1) as cluster:
        port = cluster.scheduler.http_server.port
        t0 = time.perf_counter()
        with (
            pytest.raises(InvalidParameterError, match="cannot reach the dask scheduler"),
            dask_executor(f"tcp://127.0.0.1:{port}", timeout=1.0),
        ):
            pass
        assert time.perf_counter() - t0 < 8.0  # the deadline is timeout + 5 s


def test_workers_with_another_nugen_are_refused(monkeypatch):
    distributed = pytest.importorskip("distributed")
    import nugen
    from nugen.errors import InvalidParameterError
    from nugen.parallel import dask_executor

    monkeypatch.setattr(nugen, "__version__", "0.0.0-not-installed")  # the client's; workers read metadata
    with (
        _cluster(distributed, n_workers=1, threads_per_worker=1) as cluster,
        pytest.raises(InvalidParameterError, match=r"1 of 1 dask workers cannot run nugen 0\.0\.0"),
        dask_executor(cluster.scheduler_address, timeout=5.0),
    ):
        pass


@pytest.mark.parametrize("address", ["myhost", "tcp://myhost", "tcp://host:port", "http://h:8787 x"])
def test_a_scheduler_address_without_a_port_is_refused_at_once(cli, tmp_path, address):
    pytest.importorskip("distributed")
    t0 = time.perf_counter()
    code, out, err = cli(*GENERATE, "--scheduler", address, "-o", str(tmp_path / "x.root"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "--scheduler must be a scheduler address tcp://HOST:PORT" in err
    assert listing(tmp_path) == [] and time.perf_counter() - t0 < 5.0


@pytest.mark.leaves_threads
@pytest.mark.filterwarnings("ignore")  # dask's own deprecation and resource warnings
@pytest.mark.parametrize("weighted", [[], ["--weighted"]], ids=["unweighted", "weighted"])
def test_charm2_on_workers_or_a_scheduler_gives_the_events_of_one_process(cli, tmp_path, weighted):
    # CHARM-II's pieces (unweighted) and chunks (weighted) have their own streams (nugen.engine)
    distributed = pytest.importorskip("distributed")
    model = ["--mass", "60", "--mu", "2e-8", "--flavour", "mu", "--set", "charm2.photon_efficiency=1"]
    argv = ["generate", "--detector", "charm2", *weighted, *model, "--process", "all", "--events", "20000",
            "--seed", "4", "-q"]  # fmt: skip
    code, _, err = cli(*argv, "-o", str(tmp_path / "one.root"))
    assert code == 0, err
    code, _, err = cli(*argv, "--workers", "2", "-o", str(tmp_path / "two.root"))
    assert code == 0, err
    with _cluster(distributed, n_workers=1, threads_per_worker=2) as cluster:
        code, _, err = cli(*argv, "--scheduler", cluster.scheduler_address, "-o", str(tmp_path / "dask.root"))
    assert code == 0, err
    (a, ma), (b, mb), (c, mc) = (read_events(tmp_path / f) for f in ("one.root", "two.root", "dask.root"))
    for other in (b, c):
        assert a.fields == other.fields
        for f in a.fields:
            np.testing.assert_array_equal(a[f].to_numpy(), other[f].to_numpy(), err_msg=f)
    assert (ma.pop("workers"), mb.pop("workers"), mc.pop("workers")) == (1, 2, 1)
    assert mc.pop("scheduler") == cluster.scheduler_address
    assert ma == mb == mc


_RELEASE = threading.Event()


def _double_when_released(task):  # module level: ordered_map pickles the job for the executor
    _RELEASE.wait(10.0)
    return task * 2


def test_a_cluster_without_workers_mid_run_is_said_once_and_the_run_goes_on(monkeypatch, capsys):
    # a cluster executor whose workers are all gone: its task completes only when one "joins" (1.5 s)
    import concurrent.futures

    import nugen.parallel as parallel

    monkeypatch.setattr(parallel, "WORKERLESS_NOTE_S", 0.5)

    from nugen.cli.common import note

    class Workerless(concurrent.futures.ThreadPoolExecutor):
        on_note = staticmethod(note)  # as the command line passes it to dask_executor

        def n_workers(self):
            return 0

    _RELEASE.clear()
    timer = threading.Timer(1.5, _RELEASE.set)
    timer.start()
    with Workerless(1) as ex:
        assert list(parallel.ordered_map(_double_when_released, [21], executor=ex)) == [42]
    timer.join()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nugen: waiting:")
    assert "no worker for 0.5 s" in err and "Ctrl-C" in err


@pytest.mark.leaves_threads
@pytest.mark.filterwarnings("ignore")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the writer child is Linux-only")
def test_a_fresh_command_line_writes_scheduler_chunks_through_its_prestarted_writer_child(cli, tmp_path):
    # a real `nugen generate` process forks its writer child before the dask client starts threads
    # (nugen.writer_process.prestart) and still uses it: same events as --workers 1
    distributed = pytest.importorskip("distributed")
    local, remote = tmp_path / "local.root", tmp_path / "remote.root"
    code, _, err = cli(*GENERATE, "--workers", "1", "-o", str(local), "-q")
    assert code == 0, err
    # a tcp address: the scheduler must be reachable from another process
    with _cluster(
        distributed, n_workers=1, threads_per_worker=2, protocol="tcp://", host="127.0.0.1"
    ) as cluster:
        argv = [*GENERATE, "--scheduler", cluster.scheduler_address, "-o", str(remote), "-q"]
        script = textwrap.dedent(
            f"""
            import nugen.writer_process as wp
            from nugen.cli import main
            used = []
            init = wp.ProcessWriter.__init__
            wp.ProcessWriter.__init__ = lambda self, *a, **k: (used.append(1), init(self, *a, **k))[1]
            print(main({argv!r}), len(used))
            """
        )
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "1"], proc.stderr  # exit 0; the writer child wrote the file
    a, b = read_events(local)[0], read_events(remote)[0]
    for f in a.fields:
        np.testing.assert_array_equal(a[f].to_numpy(), b[f].to_numpy(), err_msg=f)
