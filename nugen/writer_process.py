"""The ROOT writer in a forked child process, fed through shared memory.

:func:`nugen.io.write_events` overlaps sampling with compression and writing. A writer *thread* shares
the GIL with the sampler, which holds it between its many numpy calls; on two cores the two threads
together ran at only 63–86 % of the slower one alone. Here the child process owns the ROOT file (uproot
and zstd in their own interpreter) and reads each chunk from one of :data:`SLOTS` anonymous shared
``mmap`` slots: one memcpy per chunk in the parent, no pickling, no GIL shared. Measured on two cores: a
whole ``nugen generate`` takes 0.95 of the thread's time, in one process 0.91–1.02, for the same events
and ~50 MiB more memory (``benchmarks/bench_writer_process.py``, docs/benchmarks.md).

Only where forking is safe: Linux, and this process running a single Python thread
(:func:`nugen.parallel.start_method`); elsewhere the thread is used. The child ignores Ctrl-C (the
parent handles it and kills the child), dies with its parent (``PR_SET_PDEATHSIG``: a child forked
after the temporary file was opened shares its ``flock``, so a killed run must not leave a live child
holding it, see :mod:`nugen.outputs`), and hands any exception back to the parent, which raises it.

``nugen generate`` forks the child first thing (:func:`prestart`, from :mod:`nugen.cli`), before it
has imported numpy: the child loads numpy and uproot (~0.2 s) on the second core while the parent loads
numpy and scipy and builds its sampler; the parent never imports awkward or uproot, and the small child
copies no large parent's pages. The shared slots are then reserved before the columns are known
(:data:`SLOT_BYTES` of address space each; only what a chunk fills is ever touched). Measured:
docs/benchmarks.md, "A fair floor, and a cheaper writer".
"""

from __future__ import annotations

import contextlib
import mmap
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# numpy is imported where it is used: ``nugen generate`` forks the child before the parent has loaded it

__all__ = [
    "SLOTS",
    "SLOT_BYTES",
    "SLOT_EVENTS",
    "ProcessWriter",
    "available",
    "discard_prestarted",
    "has_prestarted",
    "prestart",
]

#: Shared-memory slots: one being written by the child, one being filled by the parent, one spare.
SLOTS = 3
#: Events a slot holds (~16 MB for 31 double columns); a larger chunk goes to the child in pieces, so
#: memory does not grow with the chunks a caller hands over.
SLOT_EVENTS = 65_536
#: Bytes reserved per slot (address space: pages are touched only as far as a chunk fills them). A row
#: of more than ``SLOT_BYTES / SLOT_EVENTS`` = 1 KiB (128 double columns) gives smaller pieces.
SLOT_BYTES = 64 << 20
#: ``prctl`` option: the signal a child gets when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def available() -> bool:
    """True where the writer can run in a forked child: Linux, one Python thread in this process."""
    from nugen.parallel import start_method

    return sys.platform.startswith("linux") and start_method() == "fork"


def _die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux); exit if it already has."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # no prctl: the EOF on the pipe ends the child
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != parent_pid:
        os._exit(1)


def _views(buf: mmap.mmap, layout: list[tuple[str, np.dtype]], capacity: int) -> dict[str, np.ndarray]:
    """One column per branch in ``buf``, each stored big-endian, as ROOT files hold them.

    The parent's copy into a slot does the byte swap on the way (one pass), so the child's uproot finds
    its arrays in the file's byte order and skips its own ``astype`` copy of every basket.
    """
    import numpy as np

    out, offset = {}, 0
    for name, native in layout:
        dtype = native.newbyteorder(">") if native.itemsize > 1 else native
        out[name] = np.ndarray((capacity,), dtype=dtype, buffer=buf, offset=offset)
        offset += dtype.itemsize * capacity
    return out


def _child_main(conn, parent_pid: int, buffers: list[mmap.mmap]) -> None:
    """The child: import uproot, wait for the job, create the file and the tree, extend it from the slots.

    Writes the metadata at the end; exits quietly when the parent goes away without giving a job.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    try:
        import numpy  # noqa: F401  (a child prestarted by the command line: before the parent has it)
        import uproot  # while the parent sets up

        from nugen.compression import parse_compression

        try:
            job = conn.recv()
        except (EOFError, OSError):  # discarded before any job: the parent closed the pipe
            os._exit(0)
        _, path, compression, tree_name, title, layout, capacity, meta_key = job
        slots = [_views(b, layout, capacity) for b in buffers]
        with uproot.recreate(path, compression=parse_compression(compression)) as fh:
            tree = fh.mktree(tree_name, dict(layout), title=title)
            while True:
                msg = conn.recv()
                if msg[0] == "chunk":
                    _, slot, n = msg
                    tree.extend({name: view[:n] for name, view in slots[slot].items()})
                    conn.send(("free", slot))
                else:  # ("finish", metadata JSON)
                    fh[meta_key] = msg[1]
                    break
        conn.send(("done",))
    except BaseException as exc:  # a failed import or write: handed to the parent, which raises it
        try:
            conn.send(("error", exc))
        except Exception:  # an exception that does not pickle: its text
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        os._exit(1)


class _Child:
    """A forked writer child with its pipe and its :data:`SLOTS` shared buffers, waiting for a job."""

    def __init__(self) -> None:
        from nugen.parallel import _deferred_sigint

        self.buffers = [mmap.mmap(-1, SLOT_BYTES) for _ in range(SLOTS)]  # anonymous MAP_SHARED: kept by fork
        self.conn, child_end = multiprocessing.Pipe()
        context = multiprocessing.get_context("fork")
        args = (child_end, os.getpid(), self.buffers)
        self.proc = context.Process(target=_child_main, args=args, name="nugen-root-writer", daemon=True)
        with _deferred_sigint():  # a Ctrl-C while forking must not reach the child before it ignores it
            self.proc.start()
        child_end.close()  # the child's death then shows as EOF here

    def release(self) -> None:
        """End the child if it still runs and free the pipe and the buffers."""
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()
        for b in self.buffers:
            with contextlib.suppress(BufferError):  # a view still referenced (a traceback): freed by GC
                b.close()
        self.buffers = []


_prestarted: _Child | None = None


def prestart() -> bool:
    """Fork the writer child now, where forking is safe; the next :class:`ProcessWriter` takes it.

    Called by ``nugen generate`` before it imports the sampler, so that the child's import of uproot
    overlaps the parent's set-up. Returns whether a child is waiting. Pair with :func:`discard_prestarted`.
    """
    global _prestarted
    if _prestarted is None and available():
        _prestarted = _Child()
    return _prestarted is not None


def _pop_prestarted() -> _Child | None:
    """The prestarted child, no longer registered (None if there is none)."""
    global _prestarted
    child, _prestarted = _prestarted, None
    return child


def discard_prestarted() -> None:
    """End a prestarted child that no writer took (an error before writing, or nothing to write)."""
    child = _pop_prestarted()
    if child is not None:
        child.release()


def has_prestarted() -> bool:
    """True while a prestarted child waits for a :class:`ProcessWriter`."""
    return _prestarted is not None and _prestarted.proc.is_alive()


def _take() -> _Child:
    """The prestarted child if it is still alive, else one forked now."""
    child = _pop_prestarted()
    if child is not None and child.proc.is_alive():
        return child
    if child is not None:
        child.release()
    return _Child()


class ProcessWriter:
    """Write a ROOT file's event tree in a forked child; the caller hands it chunks with :meth:`put`.

    Parameters
    ----------
    path : path-like
        The file to create (the temporary file of :func:`nugen.outputs.atomic_output`).
    compression : str or None
        ``"NAME:LEVEL"``; the child turns it into uproot's object
        (:func:`nugen.compression.parse_compression`).
    tree_name, title : str
        Name and title of the TTree.
    first : mapping of str to numpy.ndarray
        The first chunk: its columns (names, dtypes) are the tree's branches.
    meta_key : str
        Key of the metadata string :meth:`close` writes.
    on_chunk : callable, optional
        Called (in this process) with the number of events of each chunk once it is written.
    """

    def __init__(
        self,
        path,
        compression: str | None,
        tree_name: str,
        title: str,
        first: Mapping[str, np.ndarray],
        meta_key: str,
        on_chunk: Callable[[int], None] | None = None,
    ):
        import numpy as np

        self._layout = [(name, np.asarray(col).dtype) for name, col in first.items()]
        row = max(sum(d.itemsize for _, d in self._layout), 1)
        self._capacity = min(SLOT_EVENTS, SLOT_BYTES // row)
        if self._capacity < 1:
            msg = f"an event of {row} bytes does not fit a {SLOT_BYTES}-byte slot of the writer process"
            raise ValueError(msg)
        self._child = _take()  # the prestarted child, or one forked now
        self._proc, self._conn = self._child.proc, self._child.conn
        self._slots = [_views(b, self._layout, self._capacity) for b in self._child.buffers]
        self._free = list(range(SLOTS))
        self._pending: dict[int, int] = {}
        self._on_chunk = on_chunk
        self._done = False
        job = ("job", os.fspath(path), compression, tree_name, title, self._layout, self._capacity, meta_key)
        self._send(job)

    def _lost(self) -> RuntimeError:
        self._proc.join(timeout=5)
        msg = f"the ROOT writer process ended unexpectedly (exit status {self._proc.exitcode})"
        return RuntimeError(msg)

    def _send(self, msg: tuple) -> None:
        try:
            self._conn.send(msg)
        except OSError:  # the pipe broke: the child is gone
            raise self._lost() from None

    def _receive(self) -> None:
        try:
            msg = self._conn.recv()
        except (EOFError, OSError):  # closed or reset: the child is gone
            raise self._lost() from None
        if msg[0] == "free":
            slot = msg[1]
            self._free.append(slot)
            n = self._pending.pop(slot)
            if self._on_chunk is not None:
                self._on_chunk(n)
        elif msg[0] == "error":
            raise msg[1]
        else:
            self._done = True

    def put(self, cols: Mapping[str, np.ndarray], n: int) -> None:
        """Copy a chunk of ``n`` events into a free slot and send it (waits while every slot is busy)."""
        start = 0
        while start < n:
            while not self._free:
                self._receive()
            slot = self._free.pop()
            k = min(n - start, self._capacity)
            views = self._slots[slot]
            for name, _ in self._layout:
                views[name][:k] = cols[name][start : start + k]
            self._pending[slot] = k
            self._send(("chunk", slot, k))
            start += k

    def close(self, meta_json: str) -> None:
        """Write the metadata string, close the file and wait for the child; raise its exception if any."""
        self._send(("finish", meta_json))
        while not self._done:
            self._receive()
        self._proc.join()
        if self._proc.exitcode != 0:
            msg = f"the ROOT writer process ended with exit status {self._proc.exitcode}"
            raise RuntimeError(msg)
        self._release()

    def abort(self) -> None:
        """Kill the child (after an error or Ctrl-C) and free the slots; harmless after :meth:`close`."""
        self._release()

    def _release(self) -> None:
        self._slots = []  # the views into the buffers go first
        self._child.release()
