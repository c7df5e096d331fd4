"""ROOT compression settings: ``"NAME:LEVEL"`` strings checked without uproot, and uproot's objects.

The sampling process of ``nugen generate`` checks ``--compression`` (:func:`check_compression`) without
importing uproot; the writer (:mod:`nugen.io`, or its child process :mod:`nugen.writer_process`) turns
the string into uproot's compression object (:func:`parse_compression`).
"""

from __future__ import annotations

from collections.abc import Mapping

from nugen.errors import InvalidParameterError

__all__ = ["COMPRESSIONS", "DEFAULT_COMPRESSION", "check_compression", "parse_compression"]

#: Compression algorithms accepted by :func:`parse_compression` (``NAME:LEVEL``): the name of uproot's
#: compression class for each (``None``: uncompressed).
COMPRESSIONS: Mapping[str, str | None] = {
    "zstd": "ZSTD",
    "lz4": "LZ4",
    "zlib": "ZLIB",
    "lzma": "LZMA",
    "none": None,
}
#: Highest level uproot accepts for each algorithm (its lowest is 0); tests/nugen/test_compression.py checks
#: it against uproot.
_MAX_LEVEL = {"zstd": 22, "lz4": 12, "zlib": 9, "lzma": 9}
#: Default compression: ZSTD level 1 (about as small as ZLIB(1) and ~8x faster to write here; ROOT
#: reads ZSTD since 6.20).
DEFAULT_COMPRESSION = "zstd:1"


def check_compression(text: str | None) -> str:
    """Check ``"NAME[:LEVEL]"`` (zstd, lz4, zlib, lzma, none) without importing uproot; the full spec.

    Raises
    ------
    InvalidParameterError
        An unknown name or a level that is not an integer in uproot's range for it.
    """
    spec = DEFAULT_COMPRESSION if text is None else str(text)
    name, _, level = spec.partition(":")
    if name not in COMPRESSIONS:
        msg = f"unknown compression {spec!r}; known: {', '.join(COMPRESSIONS)} (e.g. zstd:1)"
        raise InvalidParameterError(msg)
    if COMPRESSIONS[name] is None:
        return name
    try:
        lev = int(level) if level else 1
    except ValueError as exc:
        msg = f"bad compression level in {spec!r}: {exc}"
        raise InvalidParameterError(msg) from None
    if not 0 <= lev <= _MAX_LEVEL[name]:
        msg = f"bad compression level in {spec!r}: {name} takes 0-{_MAX_LEVEL[name]}"
        raise InvalidParameterError(msg)
    return f"{name}:{lev}"


def parse_compression(text: str | None):
    """Turn ``"NAME[:LEVEL]"`` (zstd, lz4, zlib, lzma, none) into an uproot compression object."""
    spec = check_compression(text)
    name, _, level = spec.partition(":")
    if COMPRESSIONS[name] is None:
        return None
    import uproot

    try:
        return getattr(uproot, COMPRESSIONS[name])(int(level))
    except (TypeError, ValueError) as exc:
        msg = f"bad compression level in {spec!r}: {exc}"
        raise InvalidParameterError(msg) from None
