"""Event files: ROOT TTrees written with uproot, chunk by chunk and atomically, and their reader.

File layout (CLI.md "Event files"):

* ``events`` — a real ``TTree`` (uproot >= 5.7 writes an RNTuple on plain assignment, so the tree is
  always declared with ``mktree`` and filled with ``extend``, one call per chunk of events, which gives
  baskets of one chunk each: 512 kB per double branch for the default 65 536-event chunks). Branch names
  carry their units (``E_nu_MeV``, ``Er_keV``, ...; see :data:`nugen.generator.BRANCH_DOCS`).
* ``meta`` — a ``TObjString`` holding a JSON object: nugen version, model, source, target or detector,
  processes, seed and chunking, the number of events, the sum of weights and the normalisation (events
  per exposure unit and the exposure the sample stands for), plus the meaning of every branch.

The file is written under a hidden temporary name in the destination folder and renamed only when
complete (:func:`nugen.outputs.atomic_output`); an exception or Ctrl-C removes it.

Any ROOT reader works (``uproot.open(path)["events"]``, ROOT's ``TTree``/``RDataFrame``);
:func:`read_events` returns the events as an awkward array together with the decoded metadata.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nugen import writer_process
from nugen.compression import COMPRESSIONS, DEFAULT_COMPRESSION, check_compression, parse_compression
from nugen.errors import InvalidParameterError
from nugen.outputs import atomic_output, check_output_path, column_chunks

if TYPE_CHECKING:
    import awkward as ak

# awkward and uproot are imported where they are used: a ``nugen generate`` whose writer runs in a
# prestarted child (nugen.writer_process) never imports them in the sampling process (~0.14 s)

__all__ = [
    "COMPRESSIONS",
    "DEFAULT_COMPRESSION",
    "EVENT_TREE",
    "FORMAT",
    "META_KEY",
    "check_compression",
    "parse_compression",
    "read_events",
    "read_meta",
    "write_events",
]

#: Name of the event tree.
EVENT_TREE = "events"
#: Name of the metadata string.
META_KEY = "meta"
#: Format tag stored in the metadata.
FORMAT = "nugen-events/1"


def write_events(
    path: str | os.PathLike,
    chunks: Iterable,
    meta: Mapping,
    *,
    overwrite: bool = False,
    compression: str | None = None,
    title: str = "nugen events (units in branch names; run metadata in 'meta')",
    on_chunk: Callable[[int], None] | None = None,
    pipeline: bool = True,
) -> dict:
    """Write event chunks to a ROOT file as the TTree ``events`` plus the ``meta`` JSON string.

    Parameters
    ----------
    path : path-like
        Output file (``.root``). Its folder must exist and be writable.
    chunks : iterable of mapping or awkward.Array
        Event chunks with identical columns (flat numeric arrays, one entry per event); each chunk
        becomes one ``extend`` call. Consumed lazily, so memory holds one chunk at a time.
    meta : mapping
        Run metadata (JSON-serialisable). ``n_events`` and ``sum_weights`` (when a ``weight`` column
        exists) and ``format`` are added.
    overwrite : bool
        Replace an existing file.
    compression : str, optional
        ``"NAME:LEVEL"`` (default :data:`DEFAULT_COMPRESSION`).
    title : str
        Title of the TTree.
    on_chunk : callable, optional
        Called with the number of events of each chunk after it is written (progress bars): in this
        process, from the writer thread when the thread pipeline runs (with the writer process, when its
        child reports the chunk done).
    pipeline : bool
        Compress and write chunk i while the caller's iterator produces chunk i+1, from the second chunk
        on: in a forked child process fed through shared memory where that is safe (Linux, a single
        Python thread here: :mod:`nugen.writer_process`, no GIL shared with the sampler), else in a
        writer thread (:class:`_ChunkWriter`; zstd and numpy release the GIL). A child forked earlier
        by :func:`nugen.writer_process.prestart` is used from the first chunk, whatever threads run
        by then. The events are the same either way; a bounded number of chunks wait (3 slots, or
        :data:`PIPELINE_DEPTH` queued), so memory stays bounded.

    Returns
    -------
    dict
        The metadata as written.

    Raises
    ------
    InvalidParameterError
        Bad path or compression, no events, or chunks with differing columns. Nothing is left on disk.
    """
    spec = check_compression(compression)
    final = check_output_path(path, overwrite=overwrite)
    tally = _Tally()
    out: dict = {}
    no_events = f"no events to write to {str(final)!r}"
    with atomic_output(final, overwrite=overwrite) as tmp:
        stream = tally.count(column_chunks(chunks))
        head = list(itertools.islice(stream, 2))  # a second chunk decides whether a pipeline pays
        if not head:
            raise InvalidParameterError(no_events)
        todo = itertools.chain(head, stream)

        def metadata() -> str:  # fills ``out``, the returned metadata, once every chunk is counted
            if tally.n_events == 0:
                raise InvalidParameterError(no_events)
            out.update({"format": FORMAT, **dict(meta), "n_events": tally.n_events})
            if "weight" in tally.names:
                out["sum_weights"] = tally.sum_w
            return json.dumps(out, allow_nan=False, sort_keys=False)

        if pipeline and (writer_process.has_prestarted() or (len(head) > 1 and writer_process.available())):
            # a prestarted child has uproot loaded already: it pays from the first chunk; else one is
            # forked after the first chunks: worker processes (if any) exist by then, and with them
            # threads, in which case available() is False and the thread below is used
            child = writer_process.ProcessWriter(tmp, spec, EVENT_TREE, title, head[0][0], META_KEY, on_chunk)
            try:
                for cols, n in todo:
                    child.put(cols, n)
                child.close(metadata())
            finally:
                child.abort()
        else:
            import uproot

            with uproot.recreate(tmp, compression=parse_compression(spec)) as fh:
                first = head[0][0]
                tree = fh.mktree(EVENT_TREE, {k: v.dtype for k, v in first.items()}, title=title)
                writer = _ChunkWriter(tree.extend, on_chunk) if pipeline and len(head) > 1 else None
                try:
                    for cols, n in todo:
                        if writer is not None:
                            writer.put(cols, n)
                        else:
                            tree.extend(cols)
                            if on_chunk is not None:
                                on_chunk(n)
                    if writer is not None:
                        writer.close()
                finally:
                    if writer is not None:
                        writer.abort()
                fh[META_KEY] = metadata()
        _umask_permissions(tmp)
    return out


class _Tally:
    """Events and summed weights of the chunks passing through :meth:`count`."""

    def __init__(self) -> None:
        self.n_events = 0
        self.sum_w = 0.0
        self.names: list[str] = []

    def count(self, stream: Iterable[dict]) -> Iterator[tuple[dict, int]]:
        for cols in stream:
            if not self.names:
                self.names = list(cols)
            n = len(next(iter(cols.values()))) if cols else 0
            self.n_events += n
            if "weight" in cols:
                self.sum_w += float(np.sum(cols["weight"], dtype=np.float64))
            yield cols, n


#: Chunks that may wait for the writer thread of :func:`write_events` (each ~16 MB for 65 536 events of
#: 31 double branches): enough to keep the writer busy while the next chunk is sampled.
PIPELINE_DEPTH = 2
_DONE = object()


class _ChunkWriter:
    """A writer thread calling ``write(cols)`` for chunks handed over through a bounded queue.

    ``put`` blocks while :data:`PIPELINE_DEPTH` chunks wait, so a fast producer cannot run ahead;
    an exception raised by ``write`` is raised again by the next ``put`` or by ``close``.
    """

    def __init__(self, write: Callable[[dict], object], on_chunk: Callable[[int], None] | None):
        self._write = write
        self._on_chunk = on_chunk
        self._queue: queue.Queue = queue.Queue(maxsize=PIPELINE_DEPTH)
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nugen-root-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE or self._stop.is_set():
                return
            cols, n = item
            try:
                self._write(cols)
                if self._on_chunk is not None:
                    self._on_chunk(n)
            except BaseException as exc:  # handed to the producer thread
                self._error = exc
                self._stop.set()
                return

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, cols: dict, n: int) -> None:
        """Queue one chunk of ``n`` events (blocks while the queue is full)."""
        while True:
            self._raise()
            try:
                self._queue.put((cols, n), timeout=0.1)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    self._raise()

    def close(self) -> None:
        """Wait until every queued chunk is written; raise the writer's exception if any."""
        while self._thread.is_alive():
            try:
                self._queue.put(_DONE, timeout=0.1)
                break
            except queue.Full:
                continue
        self._thread.join()
        self._raise()

    def abort(self) -> None:
        """Stop the thread without writing what is still queued (after an error or Ctrl-C)."""
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                while True:
                    self._queue.get_nowait()
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(_DONE)
            self._thread.join(timeout=0.1)


def _umask_permissions(path: Path) -> None:
    """Give a finished file the permissions of a normally created one (temporary files are 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def _open(path: str | os.PathLike):
    """``uproot.open`` of a local file through a memory map.

    uproot's default (fsspec) source starts I/O threads that stay for the life of the process, after
    which :func:`write_events` can no longer fork its writer (:func:`nugen.writer_process.available`).
    """
    import uproot

    return uproot.open(Path(path), handler=uproot.MemmapSource)


def read_meta(path: str | os.PathLike) -> dict:
    """The decoded ``meta`` JSON of an event file."""
    with _open(path) as fh:
        return json.loads(str(fh[META_KEY]))


def read_events(
    path: str | os.PathLike,
    branches: Iterable[str] | None = None,
    *,
    entry_start: int | None = None,
    entry_stop: int | None = None,
) -> tuple[ak.Array, dict]:
    """Read an event file written by :func:`write_events`.

    Parameters
    ----------
    path : path-like
        The ROOT file.
    branches : iterable of str, optional
        Branches to read (default: all).
    entry_start, entry_stop : int, optional
        Range of events to read.

    Returns
    -------
    events : awkward.Array
        One record per event, one field per branch.
    meta : dict
        The run metadata.

    Examples
    --------
    >>> events, meta = read_events("events.root")  # doctest: +SKIP
    >>> float(ak.sum(events.weight)) == meta["sum_weights"]  # doctest: +SKIP
    True
    """
    with _open(path) as fh:
        tree = fh[EVENT_TREE]
        arrays = tree.arrays(
            None if branches is None else list(branches),
            library="ak",
            entry_start=entry_start,
            entry_stop=entry_stop,
        )
        meta = json.loads(str(fh[META_KEY]))
    return arrays, meta
