"""All-or-nothing output files.

Every file nugen writes goes first to a hidden temporary name in the destination folder and is
renamed (:func:`os.replace`, atomic on POSIX) only when complete; on any exception, including
:class:`KeyboardInterrupt`, the temporary file is removed. No partial output is ever left behind,
except by a process killed outright (SIGKILL, out of memory, power cut): its hidden
``.NAME.XXXXXXXX.part`` stays, and the next run writing ``NAME`` removes it (:func:`remove_stale_parts`;
a run holds an exclusive ``flock`` on its temporary file, so a live run's file is never removed).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from nugen import interrupts
from nugen.errors import InvalidParameterError

__all__ = [
    "atomic_output",
    "check_free_space",
    "check_output_path",
    "column_chunks",
    "remove_stale_parts",
    "write_csv",
]

#: Characters :func:`atomic_output` adds around a file name for its temporary file (``.NAME.XXXXXXXX.part``).
_TEMP_EXTRA = 15


def _name_max(folder: Path) -> int:
    """Longest file name (bytes) the file system of ``folder`` allows (``NAME_MAX``, 255 where unknown)."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, ValueError, OSError):
        return 255


def _temp_prefix(final: Path) -> str:
    """Prefix of the temporary file of ``final``: ``.NAME.``, shortened so that the whole name fits."""
    room = _name_max(final.parent) - _TEMP_EXTRA
    name = final.name
    while len(os.fsencode(name)) > room and len(name) > 1:
        name = name[:-1]
    return f".{name}."


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} PB"  # pragma: no cover


def check_free_space(path: str | os.PathLike, need_bytes: float, what: str) -> None:
    """Refuse to start writing ``path`` when ``need_bytes`` exceed the free space of its folder.

    ``what`` says what needs the space (e.g. ``"1000000 events"``).

    Raises
    ------
    InvalidParameterError
        Saying how much is needed and how much is free (:func:`shutil.disk_usage`).
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if need_bytes > free:
        msg = (
            f"{what} need up to ~{_size(need_bytes)} in {str(folder)!r} for {p.name!r}, but only "
            f"{_size(free)} are free: ask for fewer events or write elsewhere"
        )
        raise InvalidParameterError(msg)


def check_output_path(path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Validate an output path before any work starts.

    Raises
    ------
    InvalidParameterError
        If the path is empty or too long for the file system, the folder does not exist or no file can
        be created in it (tried with a hidden probe file, so that read-only and virtual file systems
        such as /proc are caught even for root), the path is a folder, or the file exists and
        ``overwrite`` is false.
    """
    if not str(path):
        msg = "output path is empty"
        raise InvalidParameterError(msg)
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    try:
        is_dir = folder.is_dir()
    except OSError:  # e.g. a folder name longer than NAME_MAX
        is_dir = False
    if not is_dir:
        msg = f"output folder {str(folder)!r} does not exist"
        raise InvalidParameterError(msg)
    limit = _name_max(folder)
    if len(os.fsencode(p.name)) > limit:
        msg = (
            f"output file name {p.name[:40] + '...'!r} is {len(os.fsencode(p.name))} bytes long; the file "
            f"system of {str(folder)!r} allows at most {limit}"
        )
        raise InvalidParameterError(msg)
    if not os.access(folder, os.W_OK):
        msg = f"output folder {str(folder)!r} is not writable"
        raise InvalidParameterError(msg)
    try:
        fd, probe = tempfile.mkstemp(prefix=".nugen-probe.", suffix=".part", dir=folder)
    except OSError as exc:
        why = "the path is too long" if exc.errno == errno.ENAMETOOLONG else exc.strerror
        msg = f"cannot write in output folder {str(folder)!r} ({why})"
        raise InvalidParameterError(msg) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
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
    remove_stale_parts(final)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(final), suffix=".part", dir=final.parent or ".")
    _lock(fd)  # held until the block ends: marks the temporary file as in use (remove_stale_parts)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
    try:
        yield tmp_path
        interrupts.check()  # never publish a file after a Ctrl-C that some C code swallowed
        os.replace(tmp_path, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise
    finally:
        os.close(fd)


def _lock(fd: int) -> bool:
    """Take an exclusive, non-blocking :func:`fcntl.flock` on ``fd``; False if another process holds one.

    The kernel drops the lock when its holder exits, however it exits (SIGKILL included). Where
    :mod:`fcntl` does not exist (Windows) nothing is locked and False is returned.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def remove_stale_parts(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files a killed run left for ``path``; return what was removed.

    A run killed with SIGKILL (or by a power cut) cannot clean up, and leaves its hidden
    ``.NAME.XXXXXXXX.part`` next to ``NAME``. Only regular files matching exactly that pattern for this
    output name are considered, and only those that no live process holds: every run keeps an exclusive
    ``flock`` on its own temporary file while it writes, so a concurrent run's file is never touched.

    Parameters
    ----------
    path : path-like
        The final output file.

    Returns
    -------
    list of pathlib.Path
        The removed files (empty without :mod:`fcntl`, where liveness cannot be told).
    """
    import re
    import stat

    final = Path(path)
    folder = final.parent if str(final.parent) else Path(".")
    pattern = re.compile(re.escape(_temp_prefix(final)) + r"[A-Za-z0-9_]{8}\.part")
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not pattern.fullmatch(name):
            continue
        candidate = folder / name
        try:
            if not stat.S_ISREG(os.lstat(candidate).st_mode):
                continue
            fd = os.open(candidate, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if _lock(fd):  # nobody writes it: a dead run's leftover
                with contextlib.suppress(OSError):
                    candidate.unlink()
                    removed.append(candidate)
        finally:
            os.close(fd)
    return removed


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
