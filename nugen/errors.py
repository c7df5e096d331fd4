"""The nugen exception family.

Every error that nugen raises on purpose derives from :class:`NugenError`, which is itself a
:class:`ValueError`, so callers can catch bad input either way. Messages name the offending
argument and value and, where there is a closed set of valid choices, list them (closest first).
The command line turns any :class:`NugenError` into one line on stderr and exit status 2.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable

__all__ = [
    "CardError",
    "DataFileError",
    "InvalidParameterError",
    "KinematicsError",
    "NugenError",
    "UnknownNameError",
    "check_number",
    "closest_first",
]


class NugenError(ValueError):
    """Base class of every error nugen raises deliberately."""


class InvalidParameterError(NugenError):
    """A numerical or categorical argument is out of its allowed range."""


class UnknownNameError(NugenError):
    """A registry lookup (target, source, detector, process, flavour, ...) failed."""

    def __init__(self, kind: str, name: object, known: Iterable[str]):
        self.kind = kind
        self.name = name
        self.known = closest_first(str(name), known)
        msg = f"unknown {kind} {name!r}; known: {', '.join(self.known)}"
        super().__init__(msg)


class DataFileError(NugenError):
    """A packaged data table is missing or cannot be parsed."""


class CardError(NugenError):
    """A detector card (TOML, docs/cards.md) is malformed; the message names the file and the key."""

    def __init__(self, card: object, key: str, problem: str):
        self.card = str(card)
        self.key = key
        self.problem = problem
        where = f"card {self.card}" + (f": key {key!r}" if key else "")
        super().__init__(f"{where}: {problem}")


class KinematicsError(NugenError):
    """The requested process is kinematically impossible for the given inputs."""


def check_number(name: str, value: object, *, positive: bool = False) -> float:
    """Return ``float(value)`` if it is a finite number >= 0 (> 0 with ``positive``).

    Raises
    ------
    InvalidParameterError
        Naming ``name`` and the offending value.
    """
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        msg = f"{name} must be a number, got {value!r}"
        raise InvalidParameterError(msg) from None
    if not math.isfinite(v) or v < 0 or (positive and v == 0):
        msg = f"{name} must be finite and {'> 0' if positive else '>= 0'}, got {value!r}"
        raise InvalidParameterError(msg)
    return v


def closest_first(name: str, known: Iterable[str]) -> list[str]:
    """Return ``known`` sorted so that the names closest to ``name`` come first.

    Closeness is :func:`difflib.SequenceMatcher` similarity, as used by
    :func:`difflib.get_close_matches`; ties keep alphabetical order.
    """
    known = sorted(set(known))
    score = {k: difflib.SequenceMatcher(None, name.lower(), k.lower()).ratio() for k in known}
    return sorted(known, key=lambda k: -score[k])
