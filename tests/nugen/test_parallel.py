"""nugen.parallel: workers are forked only when that is safe; the CLI's progress bars start no thread."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from nugen.parallel import quiet_threads, start_method


def test_fork_only_on_linux_with_a_single_thread():
    method = start_method()
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        assert method == "fork"
    else:
        assert method in ("forkserver", "spawn")
    stop = threading.Event()
    extra = threading.Thread(target=stop.wait)
    extra.start()
    try:
        assert start_method() in ("forkserver", "spawn")  # another thread: forking could deadlock
    finally:
        stop.set()
        extra.join()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is only chosen on Linux")
def test_a_fresh_single_threaded_process_forks_workers_that_inherit_its_modules():
    # a fresh interpreter: this test process may hold threads of earlier tests (uproot's fsspec, xdist)
    code = (
        "import os, sys, nugen.parallel as p\n"
        "def probe(_):\n"
        "    return os.getpid(), 'nugen.parallel' in sys.modules\n"
        "if __name__ == '__main__':\n"
        "    assert p.start_method() == 'fork', p.start_method()\n"
        "    with p.process_pool(2) as pool:\n"
        "        out = list(pool.map(probe, range(4)))\n"
        "    assert all(loaded for _, loaded in out) and os.getpid() not in {pid for pid, _ in out}, out\n"
        "    print('ok')\n"
    )
    argv = [sys.executable, "-c", code]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_quiet_threads_keeps_progress_bars_from_starting_a_thread():
    from tqdm import tqdm

    before = threading.active_count()
    saved = tqdm.monitor_interval
    try:
        quiet_threads()
        with tqdm(total=3, disable=False, file=sys.stderr) as bar:
            bar.update(3)
            assert threading.active_count() == before
    finally:
        tqdm.monitor_interval = saved
