"""Command-line set-up shared by the figure scripts (``fig2_recoil_spectra.py``, ``fig3_exclusion.py``).

A figure script builds its parser with :func:`figure_parser` (``--outdir``), adds its own options,
ends with :func:`add_run_options` (``--dpi``, ``-q/--quiet``), and hands its work to
:func:`run_figure_script`, which sets up logging, turns a :class:`nugen.errors.NugenError` or an
:class:`OSError` into one line ``PROG: error: ...`` and exit status 2, and logs every file written.
Writing the figures themselves is :func:`fits.plots.save_figures`.

The scripts import this module from their own folder (``python scripts/NAME.py`` puts it on
``sys.path``; a script loaded by file path adds it first).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from nugen.cli.common import HelpFormatter


def figure_parser(script: str, doc: str, summary: str, examples: Sequence[str]) -> argparse.ArgumentParser:
    """Parser of a figure script with its ``--outdir`` option.

    Parameters
    ----------
    script : str
        The script's ``__file__``; its file name is the program name in usage and error lines.
    doc : str
        The script's module docstring; its first paragraph starts the description.
    summary : str
        Rest of the description (what the figure shows).
    examples : sequence of str
        Option lists of the example command lines ``python scripts/NAME.py OPTIONS`` shown after the
        options.

    Returns
    -------
    argparse.ArgumentParser
        The parser; add the script's options, then :func:`add_run_options`.
    """
    prog = Path(script).name
    p = argparse.ArgumentParser(
        prog=prog,
        description=doc.split("\n\n")[0] + " " + summary,
        epilog="examples:\n" + "\n".join(f"  python scripts/{prog} {e}" for e in examples),
        formatter_class=HelpFormatter,
    )
    p.add_argument("--outdir", default="out", help="output folder (created if missing)")
    return p


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Add ``--dpi`` (PNG resolution [dots per inch]) and ``-q/--quiet``."""
    p.add_argument("--dpi", type=int, default=150, help="PNG resolution [dots per inch]")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")


def run_figure_script(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    logger: logging.Logger,
    make: Callable[[argparse.Namespace], list[Path]],
) -> int:
    """Parse ``argv``, run ``make(args)`` and report; the body of a figure script's ``main``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The script's parser (from :func:`figure_parser`); a bad option exits with status 2 there.
    argv : sequence of str or None
        Command-line arguments (None: ``sys.argv[1:]``).
    logger : logging.Logger
        The script's logger; INFO messages are shown unless ``--quiet``.
    make : callable
        Computes, draws and writes the figure for the parsed arguments; returns the files written.

    Returns
    -------
    int
        Exit status: 0, or 2 after printing ``PROG: error: MESSAGE`` for a
        :class:`~nugen.errors.NugenError` or :class:`OSError` raised by ``make``.
    """
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(name)s: %(message)s")
    from nugen.errors import NugenError

    try:
        written = make(args)
    except (NugenError, OSError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        logger.info("wrote %s", path)
    return 0


#: The document the validation-table scripts write into.
VALIDATION_MD = Path(__file__).resolve().parents[1] / "docs" / "validation.md"


def replace_generated_block(name: str, text: str, path: Path = VALIDATION_MD) -> None:
    """Replace the text between ``<!-- BEGIN generated: NAME -->`` and ``<!-- END generated: NAME -->``.

    The file is written to a temporary name next to it and renamed, so an interrupted run leaves the
    document as it was. Raises ``ValueError`` if the markers are missing.
    """
    begin, end = f"<!-- BEGIN generated: {name} -->", f"<!-- END generated: {name} -->"
    doc = path.read_text(encoding="utf-8")
    i, j = doc.index(begin) + len(begin), doc.index(end)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(doc[:i] + "\n" + text + "\n" + doc[j:], encoding="utf-8")
    tmp.replace(path)


def check_at_least(**values: int) -> None:
    """Raise :class:`nugen.errors.NugenError` naming the first option below its minimum.

    Keyword ``name=(value, minimum)`` pairs, e.g. ``check_at_least(masses=(args.masses, 2))``; the
    message names the option as ``--name``.
    """
    from nugen.errors import NugenError

    for name, (value, minimum) in values.items():
        if value < minimum:
            msg = f"--{name} must be >= {minimum}, got {value}"
            raise NugenError(msg)


def parse_key_values(pairs: Sequence[str]) -> dict[str, str]:
    """``["KEY=VALUE", ...]`` of a script's ``--set`` as a dict of detector settings (values stay strings).

    Raises
    ------
    nugen.errors.InvalidParameterError
        For an item without ``=`` or without a key (named in the message).
    """
    from nugen.errors import InvalidParameterError

    out = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            msg = f"--set expects KEY=VALUE, got {item!r}"
            raise InvalidParameterError(msg)
        out[key.strip()] = value.strip()
    return out
