"""The ``nugen`` command: generate, spectrum, limit, scan, region, sensitivity, plot, info.

This is the application layer on top of ``nugen``, ``detectors`` and ``fits``; nothing imports it.
Each subcommand is a module that defines ``COMMAND`` (its name), ``ORDER`` (its position in ``--help``),
``register(subparsers, parents)`` and ``run(args) -> int``. nugen's own commands (generate, spectrum) are
modules of this package; the other layers contribute theirs as entry points of the group
``nugen.commands`` (pyproject.toml: ``detectors.cli`` gives ``info``; ``fits.cli`` gives limit, scan,
region, sensitivity and plot), discovered at run time, so a new command is a new module plus an entry
point and a third-party package can add one. Heavy imports happen inside ``run`` so that
``nugen --help`` and ``nugen limit`` start fast.

Exit status (docs/cli.md): 0 success, 2 bad input (one line ``nugen: error: ...`` on stderr), 1 unexpected
failure (one line, or a traceback with ``--debug``), 130 interrupted.
"""

from __future__ import annotations

import argparse
import errno
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
  nugen region --detector xenon1t --masses 0.01:1:40 --log --flavour mu --cl 0.68,0.9 --json
  nugen info xenon1t

units: masses in MeV, magnetic moments in Bohr magnetons, recoil energies in keV (xenon, scintillator)
or GeV (CHARM-II). Run 'nugen COMMAND --help' for the options of a command.
"""


def _one_line(text: object) -> str:
    """Escape control characters (newline, carriage return, NUL in a bad value): errors stay one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"nugen: error: {_one_line(message)} (see '{self.prog} --help')\n")


def _version() -> str:
    from nugen import __version__

    return f"nugen {__version__}"


#: Entry-point group of the commands other packages contribute (pyproject.toml).
COMMAND_GROUP = "nugen.commands"


def _plugin_modules(warn) -> list:
    """The command modules registered in the entry-point group :data:`COMMAND_GROUP`.

    A module that fails to import is reported by ``warn`` in one line, naming the entry point, and
    left out: the other commands keep working.
    """
    from importlib.metadata import entry_points

    mods = []
    for ep in sorted(entry_points(group=COMMAND_GROUP), key=lambda e: e.name):
        try:
            mod = ep.load()
        except Exception as exc:  # a broken plug-in must not break the other commands
            why = f"{type(exc).__name__}: {exc}"
            warn(f"command {ep.name!r} ({ep.value}) failed to import and is unavailable: {why}")
            continue
        if not all(hasattr(mod, a) for a in ("COMMAND", "register", "run")):
            warn(f"command {ep.name!r} ({ep.value}) is not a command module (needs COMMAND, register, run)")
            continue
        mods.append(mod)
    return mods


def _warn(message: str) -> None:
    print(f"nugen: warning: {message}", file=sys.stderr)


def _command_modules():
    """Nugen's own commands (modules of this package) and those registered by other packages."""
    import nugen.cli as pkg

    mods = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_") or info.name == "common":
            continue
        mod = importlib.import_module(f"nugen.cli.{info.name}")
        if hasattr(mod, "COMMAND"):
            mods.append(mod)
    seen = {m.COMMAND for m in mods}
    for mod in _plugin_modules(_warn):
        if mod.COMMAND in seen:
            _warn(f"command {mod.COMMAND!r} from {mod.__name__} is defined twice; the first one is used")
            continue
        seen.add(mod.COMMAND)
        mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.COMMAND))


def build_parser() -> argparse.ArgumentParser:
    """Build the full ``nugen`` argument parser."""
    from nugen.cli.common import HelpFormatter

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

    The whole file is checked first (:func:`_check_config`): tables must be commands, keys their long
    option names, and each value of the type of its option (true/false for a switch, one number or
    text for a valued option, a list or text for a repeatable one), each checked by the option's own
    parser; anything else is an error naming the file, the table and the key.
    """
    from nugen.errors import InvalidParameterError

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    known, _ = pre.parse_known_args(argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    if known.config is None or command is None:
        return argv
    file = known.config
    cfg = _read_config(file)
    sub = _subcommands(parser)
    _check_config(cfg, sub, file)
    if command not in sub.choices:
        return argv
    target, at = sub.choices[command], argv.index(command) + 1
    values = {k: v for k, v in cfg.items() if k not in sub.choices}
    table = cfg.get(command, {})
    values.update({k: v for k, v in table.items() if not isinstance(v, dict)})
    shared = set(values) - set(table)
    where = {k: f"[{command}] " if k in table else "" for k in values}
    nested = _subcommands(target)
    if nested is not None:  # e.g. "nugen plot spectra": options go after the second word
        kind = next((a for a in argv[at:] if not a.startswith("-")), None)
        if kind not in nested.choices:
            return argv
        target, at = nested.choices[kind], argv.index(kind, at) + 1
        kind_table = table.get(kind, {})
        shared |= set(values) - set(kind_table)
        values.update(kind_table)
        where.update({k: f"[{command}.{kind}] " for k in kind_table})
    by_name = _option_names(target)
    tokens: list[str] = []
    for key, val in values.items():
        group = by_name.get(key.replace("-", "_"), [])
        if not group and key in shared:
            continue  # a shared key meant for other commands (known to one: _check_config)
        if not group:
            msg = f"--config file {file!r}: unknown option {key!r} for 'nugen {command}'"
            raise InvalidParameterError(msg)
        try:
            tokens += _config_value_tokens(file, where[key], key, val, group)
        except InvalidParameterError:
            if key not in shared:
                raise
            # a shared value that suits other commands only (e.g. format = "csv" for 'nugen info'):
            # _check_config made sure that some command takes it
    return argv[:at] + tokens + argv[at:]


def _read_config(file: str) -> dict:
    """The TOML document of ``--config FILE`` (one-line errors for unreadable, non-UTF-8 or bad TOML)."""
    from nugen.errors import InvalidParameterError

    try:
        with open(file, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        msg = f"cannot read --config file {file!r}: {exc.strerror}"
        raise InvalidParameterError(msg) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        content = raw.splitlines()[line - 1].decode("utf-8", errors="replace").strip()
        msg = (
            f"--config file {file!r} is not UTF-8 text: byte 0x{raw[exc.start]:02x} on line {line} "
            f"({content[:60]!r})"
        )
        raise InvalidParameterError(msg) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"--config file {file!r} is not valid TOML: {exc}"
        raise InvalidParameterError(msg) from None


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def _is_tables(val) -> bool:
    """An array of tables (``[[name]]``)."""
    return isinstance(val, list) and bool(val) and all(isinstance(v, dict) for v in val)


def _check_config(cfg: dict, sub: argparse._SubParsersAction, file: str) -> None:
    """Check the structure of a whole config file and the keys and values of its command tables.

    Raises
    ------
    InvalidParameterError
        For a table that is no command (``[spectrun]``), an array of tables (``[[spectrum]]``), a command
        name used as a key (``spectrum = 5``), a key no command knows, or a value of the wrong type.
    """
    import difflib

    from nugen.errors import InvalidParameterError

    head = f"--config file {file!r}"
    commands = sorted(sub.choices)
    for key, val in cfg.items():
        if key in sub.choices:
            if _is_tables(val):
                msg = (
                    f"{head}: [[{key}]] is an array of tables; write the options of 'nugen {key}' in [{key}]"
                )
                raise InvalidParameterError(msg)
            if not isinstance(val, dict):
                msg = f"{head}: {key} = {val!r}: '{key}' is a command; put its options in a [{key}] table"
                raise InvalidParameterError(msg)
            _check_table(val, sub.choices[key], key, file)
        elif isinstance(val, dict) or _is_tables(val):
            close = difflib.get_close_matches(key, commands, n=1)
            hint = f" (did you mean [{close[0]}]?)" if close else ""
            msg = f"{head}: unknown table [{key}]{hint}; tables are commands: {', '.join(commands)}"
            raise InvalidParameterError(msg)
        elif key.replace("-", "_") not in _all_names(sub) or key == "config":
            msg = f"{head}: unknown option {key!r} (no nugen command has --{key})"
            raise InvalidParameterError(msg)
        else:  # a top-level key: its value must suit at least one command that has the option
            groups = [g for p in _parsers(sub) if (g := _option_names(p).get(key.replace("-", "_")))]
            first = None
            for group in groups:
                try:
                    _config_value_tokens(file, "", key, val, group)
                    break
                except InvalidParameterError as exc:
                    first = first or exc
            else:
                raise first


def _check_table(table: dict, parser: argparse.ArgumentParser, name: str, file: str) -> None:
    """Check the keys and values of the ``[name]`` table of ``parser``'s command (and its sub-tables)."""
    from nugen.errors import InvalidParameterError

    head = f"--config file {file!r}"
    nested = _subcommands(parser)
    kinds = dict(nested.choices) if nested is not None else {}
    for key, val in table.items():
        if key in kinds:
            if not isinstance(val, dict):
                what = "an array of tables" if _is_tables(val) else repr(val)
                msg = f"{head}: [{name}] {key} = {what}: '{name} {key}' is a command; write [{name}.{key}]"
                raise InvalidParameterError(msg)
            for k, v in val.items():
                _check_key(kinds[key], f"{name}.{key}", k, v, file)
            continue
        if kinds:  # a [plot] key: valid if some plot command has it
            owner = next((p for p in kinds.values() if key.replace("-", "_") in _option_names(p)), None)
            if owner is None:
                msg = f"{head}: [{name}] {key}: no 'nugen {name} ...' command has --{key}"
                raise InvalidParameterError(msg)
            _check_key(owner, name, key, val, file)
        else:
            _check_key(parser, name, key, val, file)


def _check_key(parser: argparse.ArgumentParser, name: str, key: str, val, file: str) -> None:
    from nugen.errors import InvalidParameterError

    head = f"--config file {file!r}"
    if key == "config":
        msg = f"{head}: [{name}] config: a config file cannot name another one"
        raise InvalidParameterError(msg)
    group = _option_names(parser).get(key.replace("-", "_"), [])
    if not group:
        close = _close_option(parser, key)
        msg = f"{head}: [{name}] unknown option {key!r} for 'nugen {name.replace('.', ' ')}'{close}"
        raise InvalidParameterError(msg)
    _config_value_tokens(file, f"[{name}] ", key, val, group)


def _close_option(parser: argparse.ArgumentParser, key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key.replace("-", "_"), list(_option_names(parser)), n=1)
    return f" (did you mean {close[0].replace('_', '-')!r}?)" if close else ""


def _config_value_tokens(file: str, where: str, key: str, val, group: list[argparse.Action]) -> list[str]:
    """Command-line tokens for config ``key = val`` of the option(s) ``group``, after checking the type.

    Raises
    ------
    InvalidParameterError
        Naming the file, the table (``where``), the key and the value, for a value the option cannot take.
    """
    from nugen.errors import InvalidParameterError

    head = f"--config file {file!r}: {where}{key} = {_show(val)}"

    def bad(why: str):
        return InvalidParameterError(f"{head}: {why}")

    if isinstance(val, dict):
        raise bad("a table, but it is an option; give it a value")
    by_dest = all(type(a) is argparse._StoreConstAction and key.replace("-", "_") == a.dest for a in group)
    if len(group) > 1 or by_dest:  # flags sharing a destination, e.g. format = "json" for --json/--csv
        action = next((a for a in group if isinstance(val, str) and a.const == val), None)
        if action is None:
            choices = ", ".join(repr(a.const) for a in group)
            msg = f"--config file {file!r}: {where}{key} = {_show(val)} is not one of {choices}"
            raise InvalidParameterError(msg)
        return [action.option_strings[-1]]
    action = group[0]
    flag = next((f for f in action.option_strings if f == f"--{key}"), action.option_strings[-1])
    if action.nargs == 0:  # store_true / store_const: a switch
        if not isinstance(val, bool):
            raise bad(f"{flag} is an on/off switch: write {key} = true or {key} = false (no quotes)")
        return [flag] if val else []
    repeatable = isinstance(action, argparse._AppendAction)
    items = val if isinstance(val, list) and repeatable else [val]
    if isinstance(val, list) and not repeatable:
        raise bad(f"{flag} takes one value, not a list")
    tokens: list[str] = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            kind = (
                "true/false"
                if isinstance(v, bool)
                else "a table"
                if isinstance(v, dict)
                else type(v).__name__
            )
            raise bad(f"{flag} takes a number or text, got {kind}")
        text = str(v)
        if callable(action.type):
            try:
                action.type(text)
            except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
                why = str(exc) if isinstance(exc, argparse.ArgumentTypeError) else "not a valid value"
                raise bad(f"{flag}: {why}") from None
        if action.choices is not None and text not in action.choices:
            raise bad(f"{flag} must be one of {', '.join(map(str, action.choices))}")
        tokens += [flag, text]
    return tokens


def _show(val) -> str:
    """A config value as TOML-like text for messages."""
    if isinstance(val, bool):
        return "true" if val else "false"
    if isinstance(val, dict):
        return "{...}"
    if hasattr(val, "isoformat"):  # TOML dates and times
        return val.isoformat()
    if _is_tables(val):
        return "[{...}]"
    return repr(val)


def _option_names(parser: argparse.ArgumentParser) -> dict[str, list[argparse.Action]]:
    """Config-file keys of ``parser``'s options and the options each key names.

    A long flag without dashes (``json``, ``mu_e``, ``set``) names its own option; a destination
    (``format``, ``settings``) names every option that stores to it. ``--help`` and ``--version``
    are not config keys.
    """
    out: dict[str, list[argparse.Action]] = {}
    for a in parser._actions:
        if not a.option_strings or isinstance(a, (argparse._HelpAction, argparse._VersionAction)):
            continue
        out.setdefault(a.dest, []).append(a)
        for flag in a.option_strings:
            name = flag[2:].replace("-", "_") if flag.startswith("--") else None
            if name and name != a.dest:
                out[name] = [a]
    return out


def _parsers(sub: argparse._SubParsersAction) -> list[argparse.ArgumentParser]:
    """Every (sub)command's parser (``plot`` and ``plot spectra``, ...)."""
    out = []
    for p in sub.choices.values():
        out.append(p)
        nested = _subcommands(p)
        if nested is not None:
            out += _parsers(nested)
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


def _check_empty_values(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse options given an empty text (``--bins ""``, ``--source ""``): they would mean the default."""
    from nugen.errors import InvalidParameterError

    target = parser
    for dest in ("command", "plot_kind"):
        sub = _subcommands(target)
        if sub is None or getattr(args, dest, None) not in sub.choices:
            break
        target = sub.choices[getattr(args, dest)]
    for a in target._actions:
        val = getattr(args, a.dest, None) if a.dest != argparse.SUPPRESS else None
        values = val if isinstance(val, list) else [val]
        if any(isinstance(v, str) and not v.strip() for v in values):
            name = a.option_strings[-1] if a.option_strings else (a.metavar or a.dest)
            msg = f"{name} needs a value, got {next(v for v in values if isinstance(v, str))!r}"
            raise InvalidParameterError(msg)


def _freeze_at_exit() -> None:
    """Let the interpreter skip its final garbage collections of the objects alive at exit.

    At exit CPython clears every module and runs full cyclic garbage collections over all objects still
    alive; with the ~1300 modules of numpy, scipy, awkward and uproot that takes 0.1-0.2 s (measured on
    the machine of docs/benchmarks.md, "Start-up guard"), longer than most commands' own work.
    ``gc.freeze()`` (run by :mod:`atexit` after every other exit handler) moves those objects to the
    permanent generation, which the collector skips; objects are still freed by reference counting and
    the standard streams are still flushed. Nothing is left unwritten: every output file is closed
    (context managers) before :func:`main` returns. Only for a process that runs :func:`main` as the
    program (``argv is None``): callers of ``main([...])`` in a longer-lived process (tests) are untouched.
    """
    import atexit
    import gc

    atexit.register(gc.freeze)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nugen`` command line; returns the exit status.

    Ctrl-C at any moment after the interpreter has started, including while numpy and scipy are still
    being imported, ends with one line and exit status 130 (nothing is written: outputs are atomic).
    ``argv=None`` means the process runs ``nugen`` as its program (console script, ``python -m nugen``):
    the arguments come from :data:`sys.argv`, and the exit skips the interpreter's final garbage
    collections (:func:`_freeze_at_exit`).
    """
    from nugen.interrupts import sigint_handler

    try:
        with sigint_handler():  # an interrupt that some C code swallows is raised again (nugen.interrupts)
            if argv is None:
                _freeze_at_exit()
            return _main(argv)
    except KeyboardInterrupt:
        print("nugen: interrupted; no output was written", file=sys.stderr)
        return 130


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if next((a for a in argv if not a.startswith("-")), None) == "generate":
        from nugen import writer_process

        # the ROOT writer's child is forked before anything heavy is imported: it loads numpy and
        # uproot on the second core while this process loads numpy and scipy and builds the sampler
        # (nugen.cli.generate.run takes it, or ends it when the output is not ROOT)
        writer_process.prestart()
        try:
            return _parse_and_run(argv)
        finally:
            writer_process.discard_prestarted()
    return _parse_and_run(argv)


def _parse_and_run(argv: list[str]) -> int:
    from nugen.cli.common import resolve_cards

    debug = "--debug" in argv
    from nugen.errors import NugenError

    parser = build_parser()
    try:
        argv = _config_tokens(parser, argv)
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors (already printed as one line)
        return int(exc.code or 0)
    except NugenError as exc:
        print(f"nugen: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    if not getattr(args, "command", None):
        names = ", ".join(_subcommands(parser).choices)
        print(f"nugen: error: give a command: {names} (see 'nugen --help')", file=sys.stderr)
        return 2
    try:
        _check_empty_values(parser, args)
        resolve_cards(args)
        import numpy as np  # every command computes with it: no extra start-up

        # floating-point overflow of an absurd input (--mass 1e77) is reported through its result (a
        # zero rate, an empty range) and a one-line message, not as RuntimeWarnings; --debug keeps them
        with np.errstate(all="warn" if debug else "ignore"):
            return int(args._run(args) or 0)
    except NugenError as exc:
        if debug:
            raise
        print(f"nugen: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as exc:
        if debug:
            raise
        if exc.errno in _DISK_FULL:  # the free-space check passed, then the device filled up
            print(
                f"nugen: error: the output device filled up while writing ({exc.strerror}); nothing was "
                "kept: free some space or write elsewhere (-o)",
                file=sys.stderr,
            )
            return 2
        return _internal_error(exc)
    except Exception as exc:
        if debug:
            raise
        return _internal_error(exc)


#: ``errno`` values of a full device or an exhausted quota.
_DISK_FULL = frozenset(getattr(errno, name) for name in ("ENOSPC", "EDQUOT") if hasattr(errno, name))


def _internal_error(exc: BaseException) -> int:
    """Print the one line of an unexpected failure; exit status 1."""
    print(
        f"nugen: internal error: {exc.__class__.__name__}: {_one_line(exc)} (rerun with --debug for a "
        "traceback)",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
