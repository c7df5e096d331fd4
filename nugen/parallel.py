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

import contextlib
import multiprocessing
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

__all__ = ["SCHEDULER_TIMEOUT_S", "dask_executor", "process_pool", "quiet_threads", "start_method"]

#: Seconds to wait for a dask scheduler before giving up.
SCHEDULER_TIMEOUT_S = 10.0
#: Times dask runs a chunk again after it failed (its worker lost mid-run counts as a failure only when
#: the scheduler gives up on it; a lost worker's chunks are rescheduled on the others anyway).
DASK_RETRIES = 2


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


@contextlib.contextmanager
def dask_executor(address: str, timeout: float = SCHEDULER_TIMEOUT_S):
    """A :class:`concurrent.futures.Executor` on the dask.distributed scheduler at ``address``.

    ``Client(address).get_executor(pure=False, retries=DASK_RETRIES)``; the client is closed when the
    block ends.

    Parameters
    ----------
    address : str
        Scheduler address, e.g. ``tcp://10.0.0.1:8786``.
    timeout : float
        Seconds to wait for the scheduler.

    Raises
    ------
    InvalidParameterError
        distributed is not installed, or the scheduler cannot be reached within ``timeout`` (one line).
    """
    from nugen.errors import InvalidParameterError

    try:
        from distributed import Client
    except ImportError:
        msg = "--scheduler needs dask.distributed: pip install 'nugen[dask]'"
        raise InvalidParameterError(msg) from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = (
            f"cannot reach the dask scheduler at {address!r} within {timeout:g} s ({reason}); is it running "
            "and is the address right (tcp://HOST:PORT)?"
        )
        raise InvalidParameterError(msg) from None
    try:
        yield client.get_executor(pure=False, retries=DASK_RETRIES)
    finally:
        client.close()


def quiet_threads() -> None:
    """Keep progress bars from starting a thread: tqdm's monitor (it only tunes ``miniters``) is switched off.

    Called by the command line before it shows a bar, so that worker processes can still be forked.
    """
    from tqdm import tqdm

    tqdm.monitor_interval = 0
