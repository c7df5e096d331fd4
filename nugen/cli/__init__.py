"""The ``nugen`` command: generate, spectrum, limit, scan, plot, info.

This is the application layer on top of ``nugen``, ``detectors`` and ``fits``; nothing imports it.
Each subcommand is a module in this package that defines ``COMMAND`` (its name), ``ORDER`` (its
position in ``--help``), ``register(subparsers, parents)`` and ``run(args) -> int``; modules are
discovered, so a new command is a new module. Heavy imports happen inside ``run`` so that
``nugen --help`` and ``nugen limit`` start fast.

Exit status (docs/cli.md): 0 success, 2 bad input (one line ``nugen: error: ...`` on stderr), 1 unexpected
failure (one line, or a traceback with ``--debug``), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import tomllib
from collections.abc import Sequence

from nugen.cli.common import HelpFormatter, resolve_cards

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
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in _command_modules():
        p = mod.register(sub, [common])
        p.formatter_class = HelpFormatter
        p.set_defaults(_run=mod.run)
    return parser


def _config_tokens(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """Turn ``--config FILE.toml`` into command-line tokens placed before the user's own flags.

    Top-level keys apply to every command, a ``[command]`` table to that command only (and a
    ``[plot.spectra]``-style table to a second-level command). Because the
    tokens come first, flags given on the command line win (argparse keeps the last value).
    """
    from nugen.errors import InvalidParameterError

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    known, _ = pre.parse_known_args(argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    if known.config is None or command is None:
        return argv
    try:
        with open(known.config, "rb") as fh:
            cfg = tomllib.load(fh)
    except OSError as exc:
        msg = f"cannot read --config file {known.config!r}: {exc.strerror}"
        raise InvalidParameterError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"--config file {known.config!r} is not valid TOML: {exc}"
        raise InvalidParameterError(msg) from None
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if command not in sub.choices:
        return argv
    target, at = sub.choices[command], argv.index(command) + 1
    values = {k: v for k, v in cfg.items() if not isinstance(v, dict)}
    table = cfg.get(command, {})
    values.update({k: v for k, v in table.items() if not isinstance(v, dict)})
    nested = next((a for a in target._actions if isinstance(a, argparse._SubParsersAction)), None)
    if nested is not None:  # e.g. "nugen plot spectra": options go after the second word
        kind = next((a for a in argv[at:] if not a.startswith("-")), None)
        if kind not in nested.choices:
            return argv
        target, at = nested.choices[kind], argv.index(kind, at) + 1
        values.update(table.get(kind, {}))
    by_name = _option_names(target)
    shared = {k for k, v in cfg.items() if not isinstance(v, dict)} - set(table)
    tokens: list[str] = []
    for key, val in values.items():
        group = by_name.get(key.replace("-", "_"), [])
        if not group and key in shared and key.replace("-", "_") in _all_names(sub):
            continue  # a top-level key meant for other commands
        if not group or key == "config":
            msg = f"--config file {known.config!r}: unknown option {key!r} for 'nugen {command}'"
            raise InvalidParameterError(msg)
        action = group[0]
        if len(group) > 1:  # flags sharing a destination, e.g. format = "json" for --json/--csv
            action = next((a for a in group if a.const == val), None)
            if action is None:
                choices = ", ".join(repr(a.const) for a in group)
                msg = f"--config file {known.config!r}: {key} = {val!r} is not one of {choices}"
                raise InvalidParameterError(msg)
            val = True
        flag = action.option_strings[-1]
        if action.nargs == 0:  # store_true / store_const
            if val:
                tokens.append(flag)
        elif isinstance(val, list):
            for v in val:
                tokens += [flag, str(v)]
        else:
            tokens += [flag, str(val)]
    return argv[:at] + tokens + argv[at:]


def _option_names(parser: argparse.ArgumentParser) -> dict[str, list[argparse.Action]]:
    """Config-file keys of ``parser``'s options and the options each key names.

    A long flag without dashes (``json``, ``mu_e``, ``set``) names its own option; a destination
    (``format``, ``settings``) names every option that stores to it.
    """
    out: dict[str, list[argparse.Action]] = {}
    for a in parser._actions:
        if not a.option_strings:
            continue
        out.setdefault(a.dest, []).append(a)
        for flag in a.option_strings:
            name = flag[2:].replace("-", "_") if flag.startswith("--") else None
            if name and name != a.dest:
                out[name] = [a]
    return out


def _all_names(sub: argparse._SubParsersAction) -> set[str]:
    """Config-file keys of every (sub)command, to tell a shared config key from a typo."""
    out: set[str] = set()
    for p in sub.choices.values():
        out |= set(_option_names(p))
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                out |= _all_names(a)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nugen`` command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    from nugen.errors import NugenError

    parser = build_parser()
    try:
        argv = _config_tokens(parser, argv)
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors (already printed as one line)
        return int(exc.code or 0)
    except NugenError as exc:
        print(f"nugen: error: {exc}", file=sys.stderr)
        return 2
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        resolve_cards(args)
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
