"""Local worker processes for event generation and limit scans: how they are started.

``fork`` is the fast way on Linux: a worker inherits the parent's imported modules and built objects
(numpy, scipy, iminuit, detectors, generators) and starts in milliseconds. It is unsafe when the parent
runs other threads (a lock held by one of them at the fork stays locked in the child; notebooks, dask
clients and uproot's fsspec reader start such threads), and on macOS;
there a fresh interpreter per worker (``forkserver``, else ``spawn``) costs ~0.5 s of imports per worker.
Python 3.14 makes ``forkserver`` the Linux default, so the choice is made here explicitly rather than
left to the platform (:func:`start_method`). The command line keeps itself single-threaded (tqdm's
monitor thread is switched off, :func:`quiet_threads`) so that its workers can be forked.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

__all__ = ["process_pool", "quiet_threads", "start_method"]


def start_method() -> str:
    """``"fork"`` on Linux while this process runs a single thread, else ``"forkserver"`` (or ``"spawn"``).

    Returns
    -------
    str
        A start method of :mod:`multiprocessing` available on this platform.
    """
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def process_pool(workers: int, **kwargs) -> ProcessPoolExecutor:
    """A :class:`concurrent.futures.ProcessPoolExecutor` of ``workers`` processes (:func:`start_method`).

    ``kwargs`` go to the executor (``initializer``, ``initargs``, ...). With ``fork`` the workers start at
    the first ``submit``; call it before starting any thread.
    """
    context = multiprocessing.get_context(start_method())
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, **kwargs)


def quiet_threads() -> None:
    """Keep progress bars from starting a thread: tqdm's monitor (it only tunes ``miniters``) is switched off.

    Called by the command line before it shows a bar, so that worker processes can still be forked.
    """
    from tqdm import tqdm

    tqdm.monitor_interval = 0
