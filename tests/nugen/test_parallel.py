"""nugen.parallel: workers are forked only when that is safe; the CLI's progress bars start no thread."""

from __future__ import annotations

import sys
import threading

import pytest

from nugen.parallel import process_pool, quiet_threads, start_method


def _pid_and_module_loaded(_):
    import os

    return os.getpid(), "nugen.parallel" in sys.modules


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


@pytest.mark.skipif(start_method() != "fork", reason="needs a single-threaded Linux process")
def test_forked_workers_inherit_the_imported_modules():
    with process_pool(2) as pool:
        results = list(pool.map(_pid_and_module_loaded, range(4)))
    assert all(loaded for _, loaded in results)
    assert len({pid for pid, _ in results}) <= 2


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
