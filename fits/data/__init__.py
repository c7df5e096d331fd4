"""Reference limit curves and regions for the exclusion plane (the seed's Fig. 3), in nugen's table format.

Each ``*.csv`` here is a digitised published curve or region on the (M_N, mu) plane with columns
``piece, M_N_MeV, mu_muB`` and a header that gives a short legend ``label``, a short citation ``cite``,
the ``shape`` (``region``: closed polygon to fill; ``outline``: closed polygon drawn as a line; ``curve``:
open line), the confidence level ``cl``, the full ``source`` and the ``provenance`` (how and from where it was
digitised). See ``README.md`` in this folder; :func:`fits.plots.reference_bands` makes them drawable.
"""

from __future__ import annotations

import re

from nugen.tables import Table, read_table

__all__ = ["BAND_FILES", "PUBLISHED_FILES", "header_field", "read"]

#: Astrophysical, cosmological and accelerator bands of Brdar et al. Fig. 3, in drawing order (back to front).
BAND_FILES: tuple[str, ...] = (
    "brdar2020_fig3_cmb_dneff_0p05.csv",
    "brdar2020_fig3_cmb_dneff_0p3.csv",
    "brdar2020_fig3_bbn_he4.csv",
    "brdar2020_fig3_stellar_cooling.csv",
    "brdar2020_fig3_miniboone_exclusion.csv",
    "coloma2017_nomad.csv",
    "brdar2020_fig3_sn1987a.csv",
    "brdar2020_fig3_icecube_sensitivity.csv",
    "brdar2020_fig3_miniboone_roi.csv",
)

#: Published direct-detection limit curves of Brdar et al. Fig. 3, for comparison with computed ones.
PUBLISHED_FILES: tuple[str, ...] = (
    "brdar2020_fig3_xenon1t_er_published.csv",
    "brdar2020_fig3_borexino_published.csv",
    "brdar2020_fig3_xenon1t_nr_published.csv",
)

_COLUMNS = ("piece", "M_N_MeV", "mu_muB")


def read(filename: str, required: tuple[str, ...] = _COLUMNS) -> Table:
    """Read ``filename`` from the ``fits.data`` package.

    Parameters
    ----------
    filename : str
        File name inside this package, e.g. ``"brdar2020_fig3_bbn_he4.csv"``.
    required : tuple of str
        Columns that must be present (default: ``piece``, ``M_N_MeV``, ``mu_muB``).

    Raises
    ------
    nugen.errors.DataFileError
        If the file is missing or malformed (message names the file).
    """
    return read_table("fits.data", filename, required)


def header_field(table: Table, key: str) -> str | None:
    """Return the full value of header field ``key`` (``# key: value``), joining its continuation lines.

    :meth:`nugen.tables.Table.meta` returns the first line of a field only; long fields such as
    ``source`` and ``provenance`` continue on the following ``#`` lines, up to the next ``key:`` line.
    """
    prefix = key.lower() + ":"
    out: list[str] | None = None
    for line in table.header.splitlines():
        if out is None:
            if line.lower().startswith(prefix):
                out = [line.split(":", 1)[1].strip()]
        elif _FIELD.match(line):
            break
        else:
            out.append(line.strip())
    return None if out is None else " ".join(out)


_FIELD = re.compile(r"^(nugen data table|[a-z][a-z0-9_]*):(\s|$)")
