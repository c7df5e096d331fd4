"""nugen.cli.common: the --set and -o/--overwrite helpers shared by the subcommands."""

from __future__ import annotations

import argparse

import pytest

from nugen.cli.common import add_output_file_options, add_settings_option, detector_settings, settings_for
from nugen.errors import InvalidParameterError


def test_detector_settings_keeps_the_detectors_own_values():
    items = ["xenon1t.tritium=free", "xenon1t.exposure_t_yr = 1"]
    assert detector_settings(items, "xenon1t") == {"tritium": "free", "exposure_t_yr": "1"}
    assert detector_settings(None, "xenon1t") == {}


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        ("--detector", "--set names detector(s) borexino, darwin, but --detector is 'xenon1t'"),
        ("the detector", "--set names detector(s) borexino, darwin, but the detector is 'xenon1t'"),
    ],
)
def test_detector_settings_rejects_other_detectors(named, expected):
    items = ["darwin.a=1", "xenon1t.tritium=free", "borexino.b=2"]
    with pytest.raises(InvalidParameterError) as exc:
        detector_settings(items, "xenon1t", named=named)
    assert str(exc.value) == expected


def test_detector_settings_rejects_malformed_text():
    with pytest.raises(InvalidParameterError, match=r"DETECTOR\.KEY=VALUE"):
        detector_settings(["nonsense"], "xenon1t")


def test_settings_and_output_file_options_parse():
    p = argparse.ArgumentParser()
    add_settings_option(p)
    add_output_file_options(p.add_argument_group("output"), help="FILE", required=True)
    args = p.parse_args(["--set", "a.b=1", "--set", "a.c=2", "-o", "f.png"])
    assert args.settings == ["a.b=1", "a.c=2"]
    assert (args.output, args.overwrite) == ("f.png", False)
    with pytest.raises(SystemExit):
        p.parse_args(["--set", "a.b=1"])  # -o is required here
    q = argparse.ArgumentParser()
    add_output_file_options(q, help="FILE")
    assert q.parse_args([]).output is None


def test_settings_for_keeps_the_listed_detectors_and_names_the_others():
    items = ["xenon1t.tritium=free", "borexino.hits_per_bin=3"]
    assert settings_for(items, ["xenon1t", "borexino"]) == {
        "xenon1t": {"tritium": "free"},
        "borexino": {"hits_per_bin": "3"},
    }
    assert settings_for(None, ["xenon1t"]) == {}
    with pytest.raises(
        InvalidParameterError, match="detector\\(s\\) borexino not among --detector 'xenon1t,darwin'"
    ):
        settings_for(items[1:], ["xenon1t", "darwin"])
