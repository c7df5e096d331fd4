"""Fuzzed command lines (hypothesis): odd argv of cheap commands exit 0 or 2, no traceback, no leftovers."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

#: Values that have broken command lines before (issue 18 item 4) plus plain odd ones.
ODD_VALUES = ["", "0", "-1", "1e300", "1e-300", "nan", "inf", "-inf", "1e25", "0x10", "1:2", "1:30:1e23", ":",
              "1,2", "xenon", "none", "zstd:99", "zstd:x", "lz4:1", "true", "'false'", "ü", "\x00", "--", "-",
              "1:0", "0:0:0", "30:1", "2e6", "3.5", "tcp://", "a" * 300]  # fmt: skip
GENERATE_OPTIONS = ["--mass", "--mu", "--flavour", "--nature", "--events", "--seed", "--process", "--recoil",
                    "--range", "--source", "--compression", "--site", "--period", "--set", "--workers",
                    "--mu-e", "--exposure", "--bogus"]  # fmt: skip
SPECTRUM_OPTIONS = ["--mass", "--mu", "--flavour", "--nature", "--bins", "--set", "--source", "--bogus"]

values = st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=8), st.floats().map(repr))


def pairs(options):
    return st.lists(st.tuples(st.sampled_from(options), values), max_size=3)


def check(cli, argv, folder: Path):
    code, _, err = cli(*argv)
    assert code in (0, 2), (argv, err)
    assert "Traceback" not in err, (argv, err)
    if code == 2:
        lines = err.strip().splitlines()
        assert lines and lines[-1].startswith("nugen"), (argv, err)
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".part")], argv
    if code != 0:
        assert list(folder.iterdir()) == [], (argv, sorted(p.name for p in folder.iterdir()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=pairs(GENERATE_OPTIONS))
def test_odd_generate_command_lines_exit_0_or_2_and_leave_no_partial_file(cli, tmp_path, extra):
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    out = str(folder / "f.root")
    argv = ["generate", "--target", "xenon", "--events", "200", "--seed", "1", "-q", "-o", out]
    for opt, val in extra:
        if opt == "--events":  # keep the run cheap: odd but small counts
            val = val if len(val) < 3 else "3"
        argv += [opt, val]
    check(cli, argv, folder)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=pairs(SPECTRUM_OPTIONS), json=st.booleans())
def test_odd_spectrum_command_lines_exit_0_or_2_without_traceback(cli, tmp_path, extra, json):
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    argv = ["spectrum", "--target", "xenon", "-q"] + (["--json"] if json else [])
    for opt, val in extra:
        argv += [opt, val]
    check(cli, argv, folder)
