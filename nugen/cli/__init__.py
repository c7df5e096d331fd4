"""The ``nugen`` command: generate, spectrum, limit, scan, plot, info.

This is the application layer on top of ``nugen``, ``detectors`` and ``fits``; nothing imports it.
Each subcommand is a module in this package that defines ``COMMAND`` (its name), ``ORDER`` (its
position in ``--help``), ``register(subparsers, parents)`` and ``run(args) -> int``; modules are
discovered, so a new command is a new module. Heavy imports happen inside ``run`` so that
``nugen --help`` and ``nugen limit`` start fast.

Exit status (CLI.md): 0 success, 2 bad input (one line ``nugen: error: ...`` on stderr), 1 unexpected
failure (one line, or a traceback with ``--debug``), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import tomllib
from collections.abc import Sequence

__all__ = ["main"]

EPILOG = """examples:
  nugen spectrum --target xenon --mass 0.1 --mu 2e-11 --bins 1:30:29 --json
  nugen generate --target xenon --source solar --mass 0.1 --mu 2e-11 --events 100000 -o events.root
  nugen limit --detector xenon1t --mass 0 --json
  nugen scan --detector xenon1t,borexino --masses 0.01:1:20 --log --flavour mu --csv
  nugen info xenon1t

units: masses in MeV, magnetic moments in Bohr magnetons, recoil energies in keV (xenon, scintillator)
or GeV (CHARM-II). Run 'nugen COMMAND --help' for the options of a command.
"""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"nugen: error: {message} (see '{self.prog} --help')\n")


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _version() -> str:
    from nugen import __version__

    return f"nugen {__version__}"


def _command_modules():
    import nugen.cli as pkg

    mods = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_") or info.name == "common":
            continue
        mod = importlib.import_module(f"nugen.cli.{info.name}")
        if hasattr(mod, "COMMAND"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.COMMAND))


def build_parser() -> argparse.ArgumentParser:
    """Build the full ``nugen`` argument parser."""
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("general")
    g.add_argument("--version", action="version", version=_version())
    v = g.add_mutually_exclusive_group()
    v.add_argument("-q", "--quiet", action="store_true", help="print nothing but the result")
    v.add_argument("-v", "--verbose", action="store_true", help="explain what is done")
    g.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    g.add_argument(
        "--config",
        metavar="FILE.toml",
        default=None,
        help="read options from a TOML file (keys as option names; flags given here win)",
    )
    parser = _Parser(
        prog="nugen",
        description="Monte Carlo generator, detector simulator and limit fitter for the neutrino "
        "magnetic-moment (dipole) portal.",
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in _command_modules():
        p = mod.register(sub, [common])
        p.formatter_class = _Formatter
        p.set_defaults(_run=mod.run)
    return parser


def _apply_config(parser: argparse.ArgumentParser, argv: list[str], args: argparse.Namespace):
    """Re-parse with defaults taken from ``--config FILE.toml`` (explicit flags still win)."""
    from nugen.errors import InvalidParameterError

    try:
        with open(args.config, "rb") as fh:
            cfg = tomllib.load(fh)
    except OSError as exc:
        msg = f"cannot read --config file {args.config!r}: {exc.strerror}"
        raise InvalidParameterError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"--config file {args.config!r} is not valid TOML: {exc}"
        raise InvalidParameterError(msg) from None
    values = {k: v for k, v in cfg.items() if not isinstance(v, dict)}
    values.update(cfg.get(args.command, {}))
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    subparser = sub.choices[args.command]
    dests = {a.dest for a in subparser._actions}
    defaults = {}
    for key, val in values.items():
        dest = key.replace("-", "_")
        if dest not in dests:
            msg = f"--config file {args.config!r}: unknown option {key!r} for 'nugen {args.command}'"
            raise InvalidParameterError(msg)
        defaults[dest] = val
    subparser.set_defaults(**defaults)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nugen`` command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    debug = getattr(args, "debug", False)
    try:
        from nugen.errors import NugenError

        if args.config:
            args = _apply_config(parser, argv, args)
        return int(args._run(args) or 0)
    except NugenError as exc:
        if debug:
            raise
        print(f"nugen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nugen: interrupted; no output was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if debug:
            raise
        print(
            f"nugen: internal error: {exc.__class__.__name__}: {exc} (rerun with --debug for a traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
