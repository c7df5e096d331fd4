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
import hashlib
import multiprocessing
import pickle
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor

from nugen import interrupts

__all__ = [
    "SCHEDULER_TIMEOUT_S",
    "dask_executor",
    "ordered_map",
    "process_pool",
    "quiet_threads",
    "start_method",
]

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


def ordered_map(
    job: Callable,
    tasks: Sequence,
    workers: int = 1,
    executor=None,
    in_flight: int | None = None,
    what: str = "piece",
) -> Iterator:
    """Yield ``job(task)`` for every task, in the order of ``tasks``, here or in other processes.

    The one way nugen spreads independent pieces of work (chunks of events, pieces of an unweighted
    sample): the work of a piece depends only on its task (its size and its own random stream), never on
    where or when it runs, so the results are the same for any ``workers`` or ``executor``.

    * ``executor is None`` and ``workers == 1`` (or one task): in this process, one after the other;
    * ``workers > 1``: a :func:`process_pool` whose processes unpickle ``job`` once (initializer);
    * ``executor`` (e.g. ``Client.get_executor()`` of dask.distributed, :func:`dask_executor`): ``job``
      travels pickled with every task and is unpickled once per worker process (cached by its SHA-1).

    At most ``in_flight`` tasks (default ``2 x workers``, or 8 on an executor) run ahead of the one being
    yielded, so memory stays bounded however many tasks there are.

    Parameters
    ----------
    job : callable
        ``job(task) -> result``; picklable (a module-level function or an instance of a module-level
        class) when ``workers > 1`` or with an executor.
    tasks : sequence
        Small picklable task descriptions.
    workers : int
        Local processes (1 with an executor).
    executor : concurrent.futures.Executor, optional
        Runs the tasks instead of local processes.
    in_flight : int, optional
        Tasks submitted ahead.
    what : str
        What a task is called in the error of a failed task ("chunk 3 of 10 failed on the cluster").

    Raises
    ------
    NugenError
        A task that failed on the executor (after its own retries), naming it; the pending ones are
        cancelled.
    """
    if executor is not None:
        results = _on_executor(job, tasks, executor, in_flight or 8, what)
    elif workers == 1 or len(tasks) <= 1:
        results = (job(t) for t in tasks)
    else:
        results = _on_pool(job, tasks, workers, in_flight or 2 * workers)
    try:
        for result in results:
            interrupts.check()  # a Ctrl-C swallowed while the piece ran stops the run here
            yield result
    finally:
        results.close()  # now, not when a traceback lets go of this frame: shuts a pool down


_WORKER_JOB: Callable | None = None


def _init_worker(blob: bytes) -> None:
    # Ctrl-C is handled by the parent, which shuts the pool down; workers ignore it (no tracebacks)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _WORKER_JOB
    _WORKER_JOB = pickle.loads(blob)


def _worker_task(task):
    return _WORKER_JOB(task)


def _on_pool(job: Callable, tasks: Sequence, workers: int, in_flight: int) -> Iterator:
    blob = pickle.dumps(job)
    pending: deque = deque()
    it = iter(tasks)
    ex = None
    try:
        with _deferred_sigint():
            ex = process_pool(workers, initializer=_init_worker, initargs=(blob,))
            for t in it:  # the first submission starts the workers
                pending.append(ex.submit(_worker_task, t))
                if len(pending) >= in_flight:
                    break
        while pending:
            result = pending.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(ex.submit(_worker_task, nxt))
            yield result
    finally:
        if ex is not None:
            ex.shutdown(wait=True, cancel_futures=True)


#: Jobs unpickled by :func:`_remote_task` on a (dask) worker, by the SHA-1 of their pickle.
_REMOTE_JOBS: dict[str, Callable] = {}


def _remote_task(key: str, blob: bytes, task):
    """One task on a remote worker; the job is unpickled once per worker process and run."""
    job = _REMOTE_JOBS.get(key)
    if job is None:
        _REMOTE_JOBS.clear()
        job = _REMOTE_JOBS[key] = pickle.loads(blob)
    return job(task)


def _on_executor(job: Callable, tasks: Sequence, executor, in_flight: int, what: str) -> Iterator:
    from nugen.errors import NugenError

    blob = pickle.dumps(job)
    key = hashlib.sha1(blob).hexdigest()
    pending: deque = deque()
    it = iter(enumerate(tasks))
    try:
        for i, t in it:
            pending.append((i, executor.submit(_remote_task, key, blob, t)))
            if len(pending) >= in_flight:
                break
        while pending:
            i, fut = pending.popleft()
            try:
                result = _result_watching_workers(fut, executor)
            except (KeyboardInterrupt, NugenError):
                raise
            except Exception as exc:
                reason = str(exc).splitlines()[0] if str(exc) else ""
                msg = (
                    f"{what} {i} of {len(tasks)} failed on the cluster ({type(exc).__name__}: {reason}); "
                    "check that every worker has nugen installed and enough memory, then run again"
                )
                raise NugenError(msg) from exc
            nxt = next(it, None)
            if nxt is not None:
                pending.append((nxt[0], executor.submit(_remote_task, key, blob, nxt[1])))
            yield result
    finally:
        for _, fut in pending:
            fut.cancel()


#: Seconds without any worker on the cluster before nugen says that it is waiting for one.
WORKERLESS_NOTE_S = 10.0


def _result_watching_workers(fut, executor):
    """``fut.result()``; meanwhile, if ``executor.n_workers()`` stays 0 for :data:`WORKERLESS_NOTE_S`, say so.

    A cluster whose workers are all gone (batch jobs ended) keeps the tasks until a worker joins, and the
    run then completes with the same events; ``executor.on_note(message)`` (the caller's, e.g. the command
    line's stderr) tells the user why nothing moves and how to stop. Without both hooks: plain ``result()``.
    """
    import concurrent.futures
    import time

    count = getattr(executor, "n_workers", None)
    note = getattr(executor, "on_note", None)
    if count is None or note is None:
        return fut.result()
    since, said = None, False
    while True:
        try:
            return fut.result(timeout=min(1.0, WORKERLESS_NOTE_S / 4))
        except concurrent.futures.TimeoutError:
            pass
        n = count()
        if n:
            since = None
            continue
        since = time.monotonic() if since is None else since
        if not said and time.monotonic() - since >= WORKERLESS_NOTE_S:
            note(
                f"waiting: the dask scheduler has had no worker for {WORKERLESS_NOTE_S:g} s; the run goes on "
                "when one joins (start workers), or stop it with Ctrl-C (no output is left)"
            )
            said = True


class _ClusterExecutor(Executor):
    """A dask ``ClientExecutor`` (``submit``, ``shutdown``) that also counts the cluster's workers."""

    def __init__(self, client, executor, on_note=None):
        self._client, self._executor = client, executor
        #: ``on_note(message)`` for a run that waits on a cluster without workers (None: silent).
        self.on_note = on_note

    def submit(self, fn, *args, **kwargs):
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, **kwargs) -> None:
        self._executor.shutdown(wait=wait)

    def n_workers(self) -> int:
        """Workers connected to the scheduler now (-1 if the scheduler does not answer within 5 s)."""
        done, n = _within(5.0, lambda: len(self._client.nthreads()))
        return n if done and isinstance(n, int) else -1


@contextlib.contextmanager
def _deferred_sigint():
    """Hold back Ctrl-C while worker processes start; raise the KeyboardInterrupt when the block ends.

    A process start interrupted half-way makes the new process print a traceback. No-op outside the
    main thread (signal handlers can only be set there).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _within(seconds: float, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` in a daemon thread; ``(True, result_or_exception)`` or ``(False, None)``.

    A daemon thread so that a call which never returns (a dask client talking to a port that is not a
    scheduler's) cannot keep the process alive at exit.
    """
    box: list = []

    def target():
        try:
            box.append(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller
            box.append(exc)

    t = threading.Thread(target=target, daemon=True, name="nugen-dask-connect")
    t.start()
    t.join(seconds)
    return (True, box[0]) if box else (False, None)


@contextlib.contextmanager
def dask_executor(address: str, timeout: float = SCHEDULER_TIMEOUT_S, on_note=None):
    """A :class:`concurrent.futures.Executor` on the dask.distributed scheduler at ``address``.

    ``Client(address).get_executor(pure=False, retries=DASK_RETRIES)``; the client is closed when the
    block ends. Before any work: the scheduler must answer within ``timeout`` (a hard deadline, also
    for a port that is not a scheduler's, e.g. the dashboard's), at least one worker must be connected
    within ``timeout``, and every worker must have nugen of this version installed (asked with
    ``Client.run(importlib.metadata.version, "nugen")``), so a cluster that cannot run the chunks is a
    one-line error rather than a wait without end.

    Parameters
    ----------
    address : str
        Scheduler address, e.g. ``tcp://10.0.0.1:8786``.
    timeout : float
        Seconds to wait for the scheduler, and again for a worker.
    on_note : callable, optional
        ``on_note(message)``: told once when a run has waited :data:`WORKERLESS_NOTE_S` on a cluster
        without workers (the command line prints it on stderr); None: wait silently.

    Raises
    ------
    InvalidParameterError
        distributed is not installed, the scheduler cannot be reached within ``timeout``, it has no
        worker, or a worker lacks nugen or has another version (one line each).
    """
    import importlib.metadata

    from nugen import __version__
    from nugen.errors import InvalidParameterError

    try:
        from distributed import Client
    except ImportError:
        msg = "--scheduler needs dask.distributed: pip install 'nugen[dask]'"
        raise InvalidParameterError(msg) from None
    import re

    # tcp/tls need HOST:PORT (IPv6 in brackets); inproc:// (a LocalCluster in this process) has no port
    host_port = r"([^\s:/\[\]]+|\[[0-9a-fA-F:.]+\]):\d+"
    if not re.fullmatch(rf"((tcp|tls|ucx)://)?{host_port}|inproc://\S+", address):
        msg = f"--scheduler must be a scheduler address tcp://HOST:PORT (default port 8786), got {address!r}"
        raise InvalidParameterError(msg)
    done, client = _within(timeout + 5.0, Client, address, timeout=timeout, set_as_default=False)
    if not done or isinstance(client, BaseException):
        reason = "no answer" if not done else (str(client).splitlines() or [type(client).__name__])[0]
        reason = reason or type(client).__name__
        msg = (
            f"cannot reach the dask scheduler at {address!r} within {timeout:g} s ({reason}); is it running "
            "and is the address right (tcp://HOST:PORT, the scheduler's port, 8786 by default)?"
        )
        raise InvalidParameterError(msg)
    try:
        done, res = _within(timeout + 5.0, client.wait_for_workers, 1, timeout=timeout)
        if not done or isinstance(res, BaseException):
            msg = (
                f"the dask scheduler at {address!r} has no worker after {timeout:g} s: start workers "
                f"(dask worker {address}) and run again"
            )
            raise InvalidParameterError(msg)
        done, versions = _within(
            timeout + 20.0, client.run, importlib.metadata.version, "nugen", on_error="return"
        )
        if not done or isinstance(versions, BaseException):
            msg = f"the workers of the dask scheduler at {address!r} do not answer; check them and run again"
            raise InvalidParameterError(msg)
        bad = {w: v for w, v in versions.items() if v != __version__}
        if bad:
            worker, v = next(iter(bad.items()))
            what = "lacks nugen" if isinstance(v, BaseException) else f"has nugen {v}"
            msg = (
                f"{len(bad)} of {len(versions)} dask workers cannot run nugen {__version__} chunks (e.g. "
                f"{worker} {what}): pip install nugen=={__version__} in the workers' environment"
            )
            raise InvalidParameterError(msg)
        yield _ClusterExecutor(client, client.get_executor(pure=False, retries=DASK_RETRIES), on_note)
    finally:
        _within(timeout, client.close)


def quiet_threads() -> None:
    """Keep progress bars from starting a thread: tqdm's monitor (it only tunes ``miniters``) is switched off.

    Called by the command line before it shows a bar, so that worker processes can still be forked.
    """
    from tqdm import tqdm

    tqdm.monitor_interval = 0
