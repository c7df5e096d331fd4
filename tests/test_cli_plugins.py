"""The command line discovers the commands of other packages as entry points (group ``nugen.commands``)."""

from __future__ import annotations

import importlib.metadata as md

import pytest

import nugen.cli


def test_every_layer_contributes_its_commands_through_entry_points():
    eps = {ep.name: ep.value for ep in md.entry_points(group=nugen.cli.COMMAND_GROUP)}
    assert eps == {
        "info": "detectors.cli",
        "limit": "fits.cli.limit",
        "scan": "fits.cli.scan",
        "region": "fits.cli.region",
        "sensitivity": "fits.cli.sensitivity",
        "plot": "fits.cli.plot",
    }


def _with_extra(monkeypatch, *extra):
    real = md.entry_points

    def fake(**kw):
        found = list(real(**kw))
        if kw.get("group") == nugen.cli.COMMAND_GROUP:
            found += [md.EntryPoint(name, value, nugen.cli.COMMAND_GROUP) for name, value in extra]
        return found

    monkeypatch.setattr(md, "entry_points", fake)


def test_a_plugin_that_fails_to_import_is_one_line_and_breaks_nothing_else(cli, monkeypatch):
    _with_extra(monkeypatch, ("broken", "nugen_tests_no_such_module.cli"))
    code, out, err = cli("limit", "--detector", "xenon1t", "--mass", "0", "--json")
    assert code == 0 and '"command": "limit"' in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(
        "nugen: warning: command 'broken' (nugen_tests_no_such_module.cli) failed to import"
    )
    assert "ModuleNotFoundError" in lines[0]


def test_a_module_that_is_not_a_command_is_skipped_with_a_warning(cli, monkeypatch):
    _with_extra(monkeypatch, ("notacommand", "json"))
    code, out, err = cli("--help")
    assert code == 0 and "region" in out
    assert "command 'notacommand' (json) is not a command module" in err


@pytest.mark.parametrize("name", ["limit", "scan", "region", "sensitivity", "plot", "info"])
def test_contributed_commands_appear_in_the_help(cli, name):
    code, out, _ = cli("--help")
    assert code == 0 and f"    {name}" in out


@pytest.mark.parametrize("value", ["\r", "a\nb", "\x00"])
def test_control_characters_in_a_bad_value_keep_the_error_on_one_line(cli, one_line_error, value):
    # found by tests/test_cli_fuzz.py: "--bogus \r" split the usage error over two lines
    one_line_error(*cli("spectrum", "--target", "xenon", "--bogus", value)[::2], "--bogus")
    one_line_error(*cli("spectrum", "--target", "xenon", "--mass", value)[::2], "--mass")
