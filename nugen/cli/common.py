"""Shared pieces of the ``nugen`` command line: model options, bins, settings, output writing.

Conventions (CLI.md): masses in MeV (``--mass``), magnetic moments in Bohr magnetons (``--mu``),
recoil energies in the detector's or target's unit (keV for xenon and scintillator, GeV for CHARM-II),
``--bins LO:HI:N`` for N equal bins, repeatable ``--set DETECTOR.KEY=VALUE``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nugen.constants import ENERGY_UNITS_MEV
from nugen.errors import InvalidParameterError
from nugen.outputs import atomic_output, check_output_path

__all__ = [
    "DEFAULT_SOURCE",
    "ENERGY_UNITS_MEV",
    "HelpFormatter",
    "add_detector_options",
    "add_execution_options",
    "add_model_options",
    "add_output_file_options",
    "add_output_options",
    "add_settings_option",
    "detector_settings",
    "emit",
    "model_from_args",
    "note",
    "parse_bins",
    "parse_range",
    "parse_settings",
    "reject_settings",
    "resolve_cards",
    "settings_for",
    "worker_count",
]

#: Most bins ``--bins`` accepts: a detector's response matrix grows as N^2 (~1.7 GB at 1000 bins).
MAX_BINS = 1000
#: Largest exposure a detector setting ``exposure_t_yr`` (or ``--exposure``) accepts [t yr]: a thousand
#: times the largest planned detector's; beyond it expected counts and fits lose meaning (and overflow).
MAX_EXPOSURE_T_YR = 1e6

#: Neutrino source of ``--target NAME`` when ``--source`` is not given (spectrum and generate alike): the
#: Sun for the solar-neutrino targets, each beam's own target otherwise.
DEFAULT_SOURCE = {"xenon": "solar", "argon": "solar", "pseudocumene": "solar", "glass": "charm2",
                  "mineral_oil": "miniboone"}  # fmt: skip


def add_model_options(
    parser: argparse.ArgumentParser,
    *,
    mass_default: float = 0.0,
    mu_default=2e-11,
    with_mu: bool = True,
    with_mass: bool = True,
) -> None:
    """Add ``--mass``, ``--mu``, ``--flavour``, ``--mu-e/--mu-mu/--mu-tau`` and ``--nature``.

    ``with_mu=False`` leaves out the couplings (limits find mu); ``with_mass=False`` leaves out
    ``--mass`` (scans take their masses from ``--masses``).
    """
    g = parser.add_argument_group("model (the dipole portal, seed paper eq. 1)")
    if with_mass:
        g.add_argument(
            "--mass",
            type=float,
            default=mass_default,
            metavar="MEV",
            help="mass M_N of the heavy neutrino [MeV]; 0 is the massless limit",
        )
    if with_mu:
        g.add_argument(
            "--mu",
            type=float,
            default=mu_default,
            metavar="MUB",
            help="magnetic moment [Bohr magnetons], spread over the flavours given by --flavour",
        )
    g.add_argument(
        "--flavour",
        "--flavor",
        default="universal",
        choices=("universal", "e", "mu", "tau"),
        help="which active flavours couple to N: universal = mu_e = mu_mu = mu_tau; "
        "'mu' = nu_mu only (the seed's Fig. 3)",
    )
    if with_mu:
        for f in ("e", "mu", "tau"):
            g.add_argument(
                f"--mu-{f}",
                type=float,
                default=None,
                metavar="MUB",
                help=f"explicit nu_{f} coupling [mu_B]; any of --mu-e/--mu-mu/--mu-tau overrides "
                "--mu/--flavour (unset ones are 0)",
            )
    g.add_argument(
        "--nature",
        default="dirac",
        choices=("dirac", "majorana"),
        help="Dirac or Majorana N (changes only N decays)",
    )


def model_from_args(args: argparse.Namespace, mu: float | None = None):
    """Build the :class:`~nugen.model.DipolePortal` described by the parsed model options."""
    from nugen.model import DipolePortal

    explicit = [getattr(args, f"mu_{f}", None) for f in ("e", "mu", "tau")]
    if any(v is not None for v in explicit):
        vec = tuple(0.0 if v is None else v for v in explicit)
        model = DipolePortal(args.mass, vec, nature=args.nature)
        return model.with_mu(mu) if mu is not None else model
    value = mu if mu is not None else getattr(args, "mu", 0.0)
    return DipolePortal(args.mass, value, flavour=args.flavour, nature=args.nature)


def _integer(text: str) -> int:
    """An integer written as ``30`` or, when integral, ``1e6`` (ValueError otherwise)."""
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if not (math.isfinite(value) and value == int(value)):
            raise ValueError(text) from None
        return int(value)


def parse_range(text: str, option: str, example: str) -> tuple[float, float, int]:
    """Split ``"LO:HI:N"`` given to ``option`` into (LO, HI, N); the error shows ``example``.

    N may be written in exponent notation when integral (``1e3``).
    """
    parts = str(text).split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        return float(parts[0]), float(parts[1]), _integer(parts[2])
    except ValueError:
        msg = f"{option} must look like LO:HI:N (e.g. {example}), got {text!r}"
        raise InvalidParameterError(msg) from None


def add_execution_options(p: argparse.ArgumentParser) -> None:
    """Add ``--workers K`` | ``--scheduler ADDRESS`` (mutually exclusive) for commands that run scans."""
    ex = p.add_argument_group("execution").add_mutually_exclusive_group()
    ex.add_argument(
        "--workers",
        type=worker_count,
        default=1,
        metavar="K",
        help="local worker processes, at most the CPUs",
    )
    ex.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="address of a running dask.distributed scheduler, e.g. tcp://127.0.0.1:8786 "
        "(needs the [dask] extra)",
    )


def worker_count(text: str) -> int:
    """``--workers K``: an integer from 1 to the number of CPUs (:func:`os.cpu_count`), for argparse."""
    limit = os.cpu_count() or 1
    try:
        value = _integer(text)
    except ValueError:
        msg = f"must be a positive integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if value < 1:
        msg = f"must be a positive integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    if value > limit:
        msg = f"at most {limit} (the CPUs of this machine, os.cpu_count()), got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def parse_bins(text: str, unit: str) -> np.ndarray:
    """Turn ``"LO:HI:N"`` (in ``unit``) into N+1 bin edges in MeV.

    Raises
    ------
    InvalidParameterError
        On malformed text, N < 1, non-finite or negative values, or HI <= LO.
    """
    lo, hi, n = parse_range(text, "--bins", "1:30:29")
    if n < 1:
        msg = f"--bins needs at least one bin, got N = {n} in {text!r}"
        raise InvalidParameterError(msg)
    if n > MAX_BINS:
        msg = (
            f"--bins allows at most {MAX_BINS} bins (a detector's response matrix grows as N^2, ~1.7 GB at "
            f"{MAX_BINS}), got N = {n:.6g} in {text!r}"
        )
        raise InvalidParameterError(msg)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0:
        msg = f"--bins limits must be finite and >= 0, got {text!r}"
        raise InvalidParameterError(msg)
    if hi <= lo:
        msg = f"--bins range is empty or reversed: {text!r} (HI must exceed LO)"
        raise InvalidParameterError(msg)
    return np.linspace(lo, hi, n + 1) * ENERGY_UNITS_MEV[unit]


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """``--help`` layout of every command and script: defaults shown, examples kept as written."""


def parse_settings(items: Sequence[str] | None) -> dict[str, dict[str, str]]:
    """Parse repeated ``DETECTOR.KEY=VALUE`` into ``{detector: {key: value}}`` (values stay strings)."""
    out: dict[str, dict[str, str]] = {}
    for item in items or ():
        head, sep, value = item.partition("=")
        det, dot, key = head.partition(".")
        if not sep or not dot or not det or not key:
            msg = f"--set expects DETECTOR.KEY=VALUE (e.g. xenon1t.tritium=free), got {item!r}"
            raise InvalidParameterError(msg)
        out.setdefault(det.strip(), {})[key.strip()] = value.strip()
    for det, own in out.items():
        if "exposure_t_yr" in own:
            check_exposure(own["exposure_t_yr"], f"--set {det}.exposure_t_yr={own['exposure_t_yr']}")
    return out


def check_exposure(text: str, given: str) -> None:
    """Refuse an exposure above :data:`MAX_EXPOSURE_T_YR` (other bad values are left to the detector).

    ``given`` is the option as the user wrote it, for the message.
    """
    try:
        value = float(text)
    except ValueError:
        return
    if math.isfinite(value) and value > MAX_EXPOSURE_T_YR:
        msg = (
            f"{given}: an exposure of {text} t yr is beyond what nugen computes (at most "
            f"{MAX_EXPOSURE_T_YR:g} t yr, a thousand times the largest planned detector's)"
        )
        raise InvalidParameterError(msg)


def reject_settings(items: Sequence[str] | None, where: str) -> None:
    """Refuse ``--set`` where no detector is used (``where`` names what is used instead)."""
    if items:
        msg = f"--set is for detectors; use it with --detector, not with {where}, got {items[0]!r}"
        raise InvalidParameterError(msg)


#: Entry-point group of the package that provides detectors to the command line (pyproject.toml:
#: ``detectors = "detectors.cli"``); the command line's core never imports a detector package itself.
DETECTOR_PROVIDER_GROUP = "nugen.detector_provider"


def detector_provider():
    """The module that provides detectors to the command line, found at run time.

    It is the one entry point of :data:`DETECTOR_PROVIDER_GROUP` (``detectors.cli``), which offers
    ``get_detector(name, **settings)``, ``load_card(path)`` and ``DETECTORS``. Keeping the lookup at run
    time keeps the layers one-way: ``nugen`` (and its command line's core) imports nothing above it.

    Raises
    ------
    InvalidParameterError
        When no detector package is installed, or it fails to import (one line naming it).
    """
    from importlib.metadata import entry_points

    for ep in entry_points(group=DETECTOR_PROVIDER_GROUP):
        try:
            return ep.load()
        except Exception as exc:
            msg = f"the detector package {ep.value!r} failed to import: {type(exc).__name__}: {exc}"
            raise InvalidParameterError(msg) from None
    msg = f"no detector package is installed (entry-point group {DETECTOR_PROVIDER_GROUP!r}); reinstall nugen"
    raise InvalidParameterError(msg)


#: Help text of ``--detector`` (kept free of imports so that ``--help`` stays fast).
DETECTOR_HELP = (
    "detector: xenon1t, borexino, charm2, xenon1t_nr, xenonnt_nr, or a shipped card (xenonnt, lz, darwin, "
    "xlzd); 'nugen info' lists them"
)
#: Help text of ``--card``.
CARD_HELP = (
    "a detector described in a TOML card file (docs/cards.md); relative paths inside are relative to it"
)


def add_detector_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    *,
    required: bool = True,
    multiple: bool = False,
    detector_help: str = DETECTOR_HELP,
) -> None:
    """Add ``--detector NAME`` and ``--card FILE.toml`` (destinations ``detector`` and ``card``).

    With ``multiple=False`` exactly one of them is given (``required``); with ``multiple=True``
    (``scan``, ``plot limits``) ``--detector`` takes comma-separated names and ``--card`` may be
    repeated, and :func:`resolve_cards` checks that at least one detector was named.
    """
    if multiple:
        parser.add_argument("--detector", metavar="NAME[,NAME...]", default=None, help=detector_help)
        parser.add_argument(
            "--card", metavar="FILE.toml", action="append", default=None, help=CARD_HELP + " (repeatable)"
        )
        parser.set_defaults(_detector_required=required)
        return
    g = parser.add_mutually_exclusive_group(required=required)
    g.add_argument("--detector", metavar="NAME", default=None, help=detector_help)
    g.add_argument("--card", metavar="FILE.toml", default=None, help=CARD_HELP)


def resolve_cards(args: argparse.Namespace) -> None:
    """Validate the ``--card`` files and fold them into ``args.detector`` (paths are detector names).

    :func:`detectors.get_detector` (reached through :func:`detector_provider`) accepts a card path
    wherever it accepts a name, so after this every command handles ``--card`` like ``--detector``.
    Called by ``nugen.cli.main`` before a command runs.

    Raises
    ------
    CardError
        For a card that is missing or malformed (one line naming the file and the key).
    InvalidParameterError
        For a ``--card`` value that is not a ``.toml`` file, or no detector at all where one is required.
    """
    cards = getattr(args, "card", None)
    if cards == "" or (isinstance(cards, list) and "" in cards):
        msg = "--card expects one FILE.toml, got ''"
        raise InvalidParameterError(msg)
    if not cards:
        if getattr(args, "_detector_required", False) and not getattr(args, "detector", None):
            msg = "give --detector NAME[,NAME...] or --card FILE.toml"
            raise InvalidParameterError(msg)
        return
    load_card = detector_provider().load_card
    paths = [cards] if isinstance(cards, str) else list(cards)
    if isinstance(cards, str) and args.detector:
        msg = f"give either the detector {args.detector!r} or --card {cards!r}, not both"
        raise InvalidParameterError(msg)
    for path in paths:
        if not path.endswith(".toml") or "," in path:
            msg = f"--card expects one FILE.toml (without commas), got {path!r}"
            raise InvalidParameterError(msg)
        load_card(path)
    named = [n for n in (args.detector or "").split(",") if n.strip()]
    args.detector = ",".join([*named, *paths])
    args.card = None


def _settings_name(detector: str) -> str:
    """The name ``--set NAME.KEY=VALUE`` uses for ``detector`` (a card's ``name`` for a card path)."""
    if detector.endswith(".toml"):
        return detector_provider().load_card(detector).name
    return detector


def detector_settings(
    items: Sequence[str] | None, detector: str, *, named: str = "--detector"
) -> dict[str, str]:
    """The ``--set`` values of the one detector a command works on.

    Parameters
    ----------
    items : sequence of str or None
        The repeated ``DETECTOR.KEY=VALUE`` texts (``args.settings``).
    detector : str
        Name of the detector the command uses.
    named : str
        How the error message refers to that detector (``"--detector"``, or ``"the detector"`` for a
        positional argument).

    Returns
    -------
    dict of str to str
        ``{key: value}`` for ``detector`` (values stay strings; the detector parses them).

    Raises
    ------
    InvalidParameterError
        On malformed text (:func:`parse_settings`) or if a setting names another detector.
    """
    settings = parse_settings(items)
    own = settings.pop(_settings_name(detector), {})
    if settings:
        msg = f"--set names detector(s) {', '.join(sorted(settings))}, but {named} is {detector!r}"
        raise InvalidParameterError(msg)
    return own


def settings_for(items: Sequence[str] | None, names: Sequence[str]) -> dict[str, dict[str, str]]:
    """The ``--set`` values of the detectors a command works on (``scan``, ``plot limits``).

    Parameters
    ----------
    items : sequence of str or None
        The repeated ``DETECTOR.KEY=VALUE`` texts (``args.settings``).
    names : sequence of str
        The detectors of ``--detector``.

    Returns
    -------
    dict of str to dict
        ``{detector: {key: value}}`` (values stay strings; the detectors parse them).

    Raises
    ------
    InvalidParameterError
        On malformed text (:func:`parse_settings`) or if a setting names a detector not in ``names``.
    """
    settings = parse_settings(items)
    key = {_settings_name(n): n for n in names}
    unknown = sorted(set(settings) - set(key))
    if unknown:
        msg = f"--set names detector(s) {', '.join(unknown)} not among --detector {','.join(key)!r}"
        raise InvalidParameterError(msg)
    return {key[k]: v for k, v in settings.items()}


def add_settings_option(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    help: str = "detector setting (repeatable); see 'nugen info DETECTOR'",
) -> None:
    """Add the repeatable ``--set DETECTOR.KEY=VALUE`` (destination ``settings``; :func:`parse_settings`)."""
    parser.add_argument("--set", dest="settings", action="append", metavar="DETECTOR.KEY=VALUE", help=help)


def add_output_file_options(
    group: argparse.ArgumentParser | argparse._ArgumentGroup, *, help: str, required: bool = False
) -> None:
    """Add ``-o/--output FILE`` (written atomically, :func:`nugen.outputs.atomic_output`) and ``--overwrite``.

    ``help`` describes FILE; with ``required=False`` FILE may be left out (``args.output`` is ``None``).
    """
    group.add_argument("-o", "--output", metavar="FILE", required=required, default=None, help=help)
    group.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")


def add_output_options(parser: argparse.ArgumentParser, *, formats: Sequence[str] = ("json", "csv")) -> None:
    """Add ``--json``/``--csv`` (mutually exclusive), ``-o/--output`` and ``--overwrite``."""
    g = parser.add_argument_group("output")
    fmt = g.add_mutually_exclusive_group()
    for f in formats:
        fmt.add_argument(
            f"--{f}",
            dest="format",
            action="store_const",
            const=f,
            help=f"write {f.upper()} instead of a readable table",
        )
    add_output_file_options(g, help="write to FILE (atomically) instead of standard output")


def _csv_text(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _text_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.6g}"
        return "-" if v is None else str(v)

    cells = [list(header)] + [[fmt(v) for v in r] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def note(message: str) -> None:
    """Print ``nugen: MESSAGE`` on stderr (a note while a command runs, e.g. from :mod:`nugen.parallel`)."""
    print(f"nugen: {message}", file=sys.stderr)


def emit(
    args: argparse.Namespace,
    payload: dict,
    header: Sequence[str],
    rows: Sequence[Sequence],
    preamble: str = "",
) -> None:
    """Write a result as JSON (``payload``), CSV or a text table (``header``/``rows``).

    Output goes to ``args.output`` atomically when given, else to standard output.
    """
    fmt = getattr(args, "format", None)
    if fmt == "json":
        text = json.dumps(payload, indent=1, allow_nan=False) + "\n"
    elif fmt == "csv":
        text = _csv_text(header, rows)
    else:
        text = (preamble + "\n" if preamble else "") + _text_table(header, rows)
    if args.output:
        path = check_output_path(args.output, overwrite=args.overwrite)
        with atomic_output(path, overwrite=args.overwrite) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
        if not getattr(args, "quiet", False):
            print(f"nugen: wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def finite_list(a) -> list:
    """Convert an array to a JSON-safe list (NaN/inf become None)."""
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=float).ravel()]
