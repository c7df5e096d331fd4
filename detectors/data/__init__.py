"""Published detector tables in nugen's format (each file cites its publication; see README.md)."""

from __future__ import annotations

import functools

from nugen.errors import DataFileError
from nugen.tables import Table, read_table

__all__ = ["parameter", "parameters", "read"]


def read(filename: str, required: tuple[str, ...] = ()) -> Table:
    """Read ``filename`` from the ``detectors.data`` package."""
    return read_table("detectors.data", filename, required)


@functools.cache
def parameters(filename: str, key_column: str = "parameter") -> dict[str, float]:
    """The rows of a (name, value, unit, ...) parameter table as ``{name: value}`` (cached)."""
    t = read(filename, required=(key_column, "value", "unit"))
    return {str(k): float(v) for k, v in zip(t[key_column], t["value"], strict=True)}


def parameter(filename: str, key: str, key_column: str = "parameter") -> float:
    """One value of a parameter table; :class:`~nugen.errors.DataFileError` names the file if it is absent."""
    table = parameters(filename, key_column)
    if key not in table:
        msg = f"data table 'detectors.data/{filename}' lacks {key_column} {key!r}"
        raise DataFileError(msg)
    return table[key]
