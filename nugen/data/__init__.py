"""Packaged physics tables of nugen (solar fluxes, spectra, solar-model profiles, atomic shells).

Each file starts with a comment header citing the publication it comes from; ``README.md`` in this
folder lists them. Read them with :func:`read` (backed by :func:`nugen.tables.read_table`).
"""

from __future__ import annotations

from nugen.tables import Table, read_table

__all__ = ["read"]


def read(filename: str, required: tuple[str, ...] = ()) -> Table:
    """Read ``filename`` from the ``nugen.data`` package."""
    return read_table("nugen.data", filename, required)
