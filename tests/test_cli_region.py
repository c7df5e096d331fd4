"""``nugen region``: JSON/CSV shapes of CLI.md, agreement with ``nugen limit`` and the fits API, bad input.

The physics of the region (edges vs a direct q scan, coverage) is tested in tests/fits/test_region.py; here
the command line is checked against independent calls of the library and of ``nugen limit``.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from fits.region import detector_region, region_threshold


def test_json_has_the_cli_shape(cli, toy):
    code, out, err = cli(
        "region", "--detector", "toy", "--masses", "0:0.35:8", "--cl", "0.68,0.9", "--flavour", "mu", "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert {"command", "detector", "flavour", "dof", "cls", "best", "points"} <= set(doc)
    assert doc["command"] == "region" and doc["detector"] == "toy" and doc["flavour"] == "mu"
    assert doc["dof"] == 2 and doc["cls"] == [0.68, 0.9]
    assert {"mass_MeV", "mu_muB", "twice_nll"} <= set(doc["best"])
    assert len(doc["points"]) == 8
    for p in doc["points"]:
        assert set(p["regions"]) == {"0.68", "0.9"}
        for ivs in p["regions"].values():
            for lo, hi in ivs:
                assert lo >= 0 and (hi is None or hi > lo)
    # the toy has no signal above M_MAX = 0.3 MeV: that mass is inside or outside as a whole, with a reason
    last = doc["points"][-1]
    assert last["mass_MeV"] == 0.35
    assert last["regions"]["0.9"] in ([], [[0.0, None]])
    # the 68 % region lies inside the 90 % one at every mass
    for p in doc["points"]:
        for (lo68, hi68), (lo90, hi90) in zip(p["regions"]["0.68"], p["regions"]["0.9"], strict=False):
            assert lo90 <= lo68 and (hi90 is None or hi68 <= hi90)


def test_region_matches_the_library_call(cli, toy):
    """The command is a thin layer: its edges equal those of fits.region.detector_region (same inputs)."""
    code, out, err = cli("region", "--detector", "toy", "--masses", "0.01:0.2:5", "--log", "--json")
    assert code == 0, err
    doc = json.loads(out)
    import numpy as np

    res = detector_region("toy", np.geomspace(0.01, 0.2, 5), "universal", cls=0.9, dof=2, asimov=False)
    assert doc["best"]["twice_nll"] == pytest.approx(res.best["twice_nll"], rel=1e-12)
    for p, q in zip(doc["points"], res.points, strict=True):
        assert p["regions"]["0.9"] == [list(iv) for iv in q.regions["0.9"]]


def test_dof1_at_one_mass_is_the_two_sided_interval_of_nugen_limit(cli, toy):
    """One mass: the global minimum is that mass's; chi2.ppf(0.9, 1) is limit's two-sided threshold."""
    code, out, err = cli("limit", "--detector", "toy", "--mass", "0.05", "--json")
    assert code == 0, err
    lim = json.loads(out)
    assert lim["mu_lower_muB"] is not None  # the toy's default data contain a signal
    code, out, err = cli("region", "--detector", "toy", "--masses", "0.05:0.05:1", "--dof", "1", "--json")
    assert code == 0, err
    ((lo, hi),) = json.loads(out)["points"][0]["regions"]["0.9"]
    # both edges are toms748 roots of the same q at xtol ~1e-12 relative in s; 1e-6 leaves room for MIGRAD
    assert lo == pytest.approx(lim["mu_lower_muB"], rel=1e-6)
    assert hi == pytest.approx(lim["mu_upper_muB"], rel=1e-6)


def test_csv_has_one_row_per_mass_with_edges_per_cl(cli, toy):
    code, out, err = cli("region", "--detector", "toy", "--masses", "0:0.35:4", "--cl", "0.9,0.95", "--csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4
    assert {"mass_MeV", "mu_best_muB", "twice_nll", "lo_0.9_muB", "hi_0.9_muB", "lo_0.95_muB"} <= set(rows[0])
    inside = [r for r in rows if r["lo_0.9_muB"] != ""]
    assert inside, "the region reaches at least the best-fit mass"
    for r in inside:
        assert r["hi_0.9_muB"] == "open" or float(r["hi_0.9_muB"]) > float(r["lo_0.9_muB"])


def test_text_output_names_the_best_fit_and_threshold_meaning(cli, toy):
    code, out, err = cli("region", "--detector", "toy", "--masses", "0:0.2:3")
    assert code == 0, err
    assert out.startswith("# 0.9 CL region in (M_N, mu)") and "global best fit M_N" in out


def test_output_file_is_written_atomically(cli, toy, tmp_path):
    path = tmp_path / "region.json"
    code, _, err = cli("region", "--detector", "toy", "--masses", "0:0.2:3", "--json", "-o", path)
    assert code == 0, err
    assert json.loads(path.read_text())["command"] == "region"
    assert [p.name for p in tmp_path.iterdir()] == ["region.json"]


def test_asimov_region_of_a_detector_without_data(cli, toy):
    """--asimov: background-only data, so the best fit is mu = 0 and the region reaches down to 0."""
    code, out, err = cli(
        "region", "--detector", "toy", "--set", "toy.data=none", "--masses", "0:0.2:3", "--asimov", "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["expected"] is True and doc["best"]["mu_muB"] == pytest.approx(0.0, abs=1e-15)
    for p in doc["points"]:
        assert p["regions"]["0.9"][0][0] == 0.0


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--dof", "3"], "--dof must be 1 or 2, got 3"),
        (["--dof", "0"], "--dof must be 1 or 2"),
        (["--cl", "1.5"], "--cl"),
        (["--cl", "0"], "--cl"),
        (["--cl", "0.9,0.9"], "each confidence level may appear once"),
        (["--cl", "0.9,"], "comma-separated"),
        (["--cl", "ninety"], "'ninety'"),
    ],
)
def test_bad_dof_and_cl_are_one_line_errors(cli, toy, one_line_error, argv, needle):
    one_line_error(*cli("region", "--detector", "toy", "--masses", "0:0.2:3", *argv)[::2], needle)


@pytest.mark.parametrize(
    ("masses", "needle"),
    [
        ("0.2:0.1:5", "empty or reversed"),
        ("0.1:0.1:3", "empty or reversed"),
        ("", "--masses"),
        ("0:0.2:0", "N >= 1"),
    ],
)
def test_empty_or_reversed_mass_ranges_are_one_line_errors(cli, toy, one_line_error, masses, needle):
    one_line_error(*cli("region", "--detector", "toy", "--masses", masses)[::2], needle)


def test_a_detector_without_data_needs_asimov(cli, one_line_error):
    code, _, err = cli("region", "--detector", "darwin", "--masses", "0.01:1:3", "--log")
    one_line_error(code, err, "'darwin' has no data", "--asimov")


def test_a_detector_with_its_own_limit_method_is_refused(cli, one_line_error):
    one_line_error(*cli("region", "--detector", "charm2", "--masses", "1:10:3")[::2], "charm2")


def test_bad_input_leaves_no_output_file(cli, toy, tmp_path):
    path = tmp_path / "r.json"
    code, _, _ = cli("region", "--detector", "toy", "--masses", "0:0.2:3", "--dof", "5", "-o", path)
    assert code == 2 and not path.exists()


def test_workers_give_the_same_region(cli, tmp_path):
    """Process workers split the masses into chunks; the region cannot depend on that (xenon1t: real data)."""
    args = ["region", "--detector", "xenon1t", "--masses", "0.01:0.3:6", "--log", "--flavour", "mu", "--json"]
    code1, out1, err1 = cli(*args)
    code2, out2, err2 = cli(*args, "--workers", "2")
    assert code1 == code2 == 0, err1 + err2
    assert json.loads(out1)["points"] == json.loads(out2)["points"]


def test_xenon1t_region_edges_sit_at_the_chi2_threshold(cli):
    """An independent check of the edges on the real detector: at each edge -2 ln L exceeds the global
    minimum by chi2.ppf(0.9, 2) = 4.605, recomputed from the likelihood by fitting at fixed mu."""
    from detectors import get_detector
    from fits.likelihood import BinnedLikelihood

    code, out, err = cli("region", "--detector", "xenon1t", "--masses", "0.01:0.1:3", "--log", "--json")
    assert code == 0, err
    doc = json.loads(out)
    det = get_detector("xenon1t")
    c = region_threshold(0.9, 2)
    assert c == pytest.approx(4.605170, rel=1e-6)  # chi2 with 2 dof: -2 ln(0.1)
    for p in doc["points"]:
        ivs = p["regions"]["0.9"]
        if not ivs:
            continue
        lik = BinnedLikelihood.from_detector(det, p["mass_MeV"], "universal")
        for edge in ivs[0]:
            if edge is None or edge == 0.0:
                continue
            twice_nll = lik.profile(lik.s_from_mu(edge)).twice_nll
            # root tolerance in s is ~1e-10 relative; MIGRAD's edm leaves ~1e-4 in -2 ln L
            assert twice_nll - doc["best"]["twice_nll"] == pytest.approx(c, abs=2e-3)
