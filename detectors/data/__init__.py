"""Published detector tables in nugen's format (each file cites its publication; see README.md)."""

from __future__ import annotations

from nugen.tables import Table, read_table

__all__ = ["read"]


def read(filename: str, required: tuple[str, ...] = ()) -> Table:
    """Read ``filename`` from the ``detectors.data`` package."""
    return read_table("detectors.data", filename, required)
