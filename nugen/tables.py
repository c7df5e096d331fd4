"""Reader for nugen's packaged data tables.

Every table nugen ships (``nugen/data/*.csv``, ``detectors/data/*.csv``) has the same layout:

* leading comment lines starting with ``#`` that say what the table is, cite the publication it comes
  from, and state the unit of every column (``# source:``, ``# columns:`` ...);
* one header line of comma-separated column names, with the unit in the name (``E_MeV``);
* comma-separated numeric rows (a column may be text: it is then returned as strings).

Tables are read through :mod:`importlib.resources`, so they work from an installed wheel or a zip.
A missing or malformed table raises :class:`~nugen.errors.DataFileError` naming the file; there is no
silent fallback.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from nugen.errors import DataFileError

__all__ = ["Table", "parse_table", "read_table"]


@dataclass(frozen=True)
class Table:
    """A data table: its comment header and its columns.

    Attributes
    ----------
    name : str
        Resource name, e.g. ``"nugen.data/solar_fluxes_B16.csv"``.
    header : str
        The comment lines (without the leading ``#``), which cite the source.
    columns : dict of str to numpy.ndarray
        Column arrays, float where every entry parses as a number, else str.
    """

    name: str
    header: str
    columns: dict[str, np.ndarray] = field(repr=False)

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self.columns[key]
        except KeyError:
            msg = f"table {self.name!r} has no column {key!r}; columns: {', '.join(self.columns)}"
            raise DataFileError(msg) from None

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def meta(self, key: str, default: str | None = None) -> str | None:
        """Return the value of a ``# key: value`` header line, or ``default``."""
        prefix = key.lower() + ":"
        for line in self.header.splitlines():
            if line.strip().lower().startswith(prefix):
                return line.split(":", 1)[1].strip()
        return default


def parse_table(text: str, name: str = "<string>", required: tuple[str, ...] = ()) -> Table:
    """Parse the text of a nugen table (see the module docstring for the layout).

    Parameters
    ----------
    text : str
        File content.
    name : str
        Name used in error messages.
    required : tuple of str
        Columns that must be present.

    Raises
    ------
    DataFileError
        If there is no header line, a row has the wrong number of fields, a numeric column does not
        parse, a value is not finite, or a required column is missing.
    """
    header_lines: list[str] = []
    rows: list[list[str]] = []
    names: list[str] | None = None
    for lineno, raw in enumerate(io.StringIO(text), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if names is None:
                header_lines.append(line[1:].strip())
            continue
        fields = [f.strip() for f in line.split(",")]
        if names is None:
            names = fields
            continue
        if len(fields) != len(names):
            msg = f"data table {name!r} line {lineno}: {len(fields)} fields, expected {len(names)}"
            raise DataFileError(msg)
        rows.append(fields)
    if names is None or not rows:
        msg = f"data table {name!r} is empty or has no header line"
        raise DataFileError(msg)
    columns: dict[str, np.ndarray] = {}
    for j, col in enumerate(names):
        values = [r[j] for r in rows]
        try:
            arr = np.array([float(v) for v in values])
        except ValueError:
            arr = np.array(values, dtype=str)
            arr.setflags(write=False)
            columns[col] = arr
            continue
        if not np.all(np.isfinite(arr)):
            msg = f"data table {name!r} column {col!r} has non-finite values"
            raise DataFileError(msg)
        arr.setflags(write=False)  # tables are cached and shared: nobody may modify them in place
        columns[col] = arr
    missing = [c for c in required if c not in columns]
    if missing:
        msg = f"data table {name!r} lacks column(s) {', '.join(missing)}; has {', '.join(columns)}"
        raise DataFileError(msg)
    return Table(name=name, header="\n".join(header_lines), columns=columns)


@functools.cache
def read_table(package: str, filename: str, required: tuple[str, ...] = ()) -> Table:
    """Read a packaged table with :mod:`importlib.resources` (cached).

    Parameters
    ----------
    package : str
        Import name of the data package, e.g. ``"nugen.data"`` or ``"detectors.data"``.
    filename : str
        File name inside that package.
    required : tuple of str
        Columns that must be present.
    """
    name = f"{package}/{filename}"
    try:
        text = resources.files(package).joinpath(filename).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError) as exc:
        msg = f"packaged data table {name!r} is missing ({exc.__class__.__name__}); reinstall nugen"
        raise DataFileError(msg) from None
    return parse_table(text, name=name, required=required)
