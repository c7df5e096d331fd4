"""All-or-nothing output files.

Every file nugen writes goes first to a hidden temporary name in the destination folder and is
renamed (:func:`os.replace`, atomic on POSIX) only when complete; on any exception, including
:class:`KeyboardInterrupt`, the temporary file is removed. No partial output is ever left behind.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from nugen.errors import InvalidParameterError

__all__ = ["atomic_output", "check_output_path", "column_chunks", "write_csv"]


def check_output_path(path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Validate an output path before any work starts.

    Raises
    ------
    InvalidParameterError
        If the folder does not exist or is not writable, the path is a folder, or the file exists
        and ``overwrite`` is false.
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        msg = f"output folder {str(folder)!r} does not exist"
        raise InvalidParameterError(msg)
    if not os.access(folder, os.W_OK):
        msg = f"output folder {str(folder)!r} is not writable"
        raise InvalidParameterError(msg)
    if p.is_dir():
        msg = f"output path {str(p)!r} is a folder, expected a file name"
        raise InvalidParameterError(msg)
    if p.exists() and not overwrite:
        msg = f"output file {str(p)!r} exists; pass --overwrite to replace it"
        raise InvalidParameterError(msg)
    return p


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` when the block succeeds.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_output(d / "x.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (d / "x.txt").read_text()
    'done'
    """
    final = check_output_path(path, overwrite=overwrite)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent or ".")
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_csv(path: str | os.PathLike, header, rows, comment: str = "", overwrite: bool = True) -> Path:
    """Write a CSV file atomically: optional ``# comment`` lines, a header row, then ``rows``."""
    final = check_output_path(path, overwrite=overwrite)
    with atomic_output(final, overwrite=overwrite) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        for line in comment.splitlines():
            fh.write(f"# {line}\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return final


def column_chunks(chunks: Iterable) -> Iterator[dict[str, np.ndarray]]:
    """Event chunks (mappings of arrays, or flat awkward records) as dicts of numpy columns, lazily.

    Shared by the event writers (:func:`nugen.io.write_events`, :func:`nugen.hepmc.write_hepmc`).

    Raises
    ------
    InvalidParameterError
        When a chunk's columns (names or order) differ from the first chunk's.
    """
    names: list[str] | None = None
    for chunk in chunks:
        fields = getattr(chunk, "fields", None)  # awkward.Array of records
        if fields is not None:
            cols = {f: np.asarray(chunk[f]) for f in fields}
        else:
            cols = {k: np.asarray(v) for k, v in chunk.items()}
        if names is None:
            names = list(cols)
        elif list(cols) != names:
            msg = f"event chunks differ in their columns: {sorted(cols)} vs {sorted(names)}"
            raise InvalidParameterError(msg)
        yield cols
