"""scripts/fig2_recoil_spectra.py and scripts/fig3_exclusion.py: --quick runs write PNG, PDF and CSV, and the
CSV numbers are the plotted ones."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def fig2():
    return _load("fig2_recoil_spectra")


@pytest.fixture(scope="module")
def fig3():
    return _load("fig3_exclusion")


def _rows(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def _check_images(outdir: Path, stem: str):
    png = (outdir / f"{stem}.png").read_bytes()
    pdf = (outdir / f"{stem}.pdf").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000
    assert not list(outdir.glob(".*.part")), "temporary files left behind"


# -- Fig. 2 ----------------------------------------------------------------------------------------
def test_fig2_quick_writes_png_pdf_csv(fig2, tmp_path):
    assert fig2.main(["--quick", "--quiet", "--outdir", str(tmp_path)]) == 0
    _check_images(tmp_path, "fig2")
    tr = _rows(tmp_path / "fig2_true_recoil.csv")
    assert len(tr) == 60
    assert set(tr[0]) == {"T_keV", "sm", "dipole_M0.01MeV_mu5e-11", "dipole_M0.5MeV_mu3e-10"}
    xe = _rows(tmp_path / "fig2_xenon1t.csv")
    assert len(xe) == 29 and float(xe[0]["E_lo_keV"]) == 1.0 and float(xe[-1]["E_hi_keV"]) == 30.0
    assert sum(float(r["data"]) for r in xe) == 1261  # XENON1T SR1, 1-30 keV (physics.md Sec. 6.1)
    bx = _rows(tmp_path / "fig2_borexino.csv")
    assert len(bx) > 10 and all(float(r["base"]) > 0 for r in bx)


def test_fig2_plotted_arrays_are_the_csv_numbers(fig2, tmp_path):
    models = ((0.01, 5e-11), (0.5, 3e-10))
    tr = fig2.true_recoil(models, 30)
    panels = {"xenon1t": fig2.detector_panel("xenon1t", models, fig2.XENON1T_SETTINGS)}
    fig, arts = fig2.draw(models, tr, panels)
    art = arts["xenon1t"]
    pnl = panels["xenon1t"]
    width = np.diff(pnl["edges"])
    steps = list(art.components.values())
    np.testing.assert_allclose(steps[0].get_data().values, pnl["base"] / width)
    for step, d in zip(steps[1:], pnl["dipole"], strict=True):
        np.testing.assert_allclose(step.get_data().values, (pnl["base"] + d) / width)
        assert np.all(d >= 0)
    np.testing.assert_array_equal(art.data.lines[0].get_ydata(), pnl["data"] / width)
    # panel (a): SM and SM + dipole lines
    ax_a = fig.axes[0]
    lines = ax_a.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), tr["sm"])
    np.testing.assert_allclose(lines[1].get_ydata(), tr["sm"] + tr["dipole"][0])
    # the light-N dipole rises towards low recoil energy (the seed's point)
    assert tr["dipole"][0][0] > 5 * tr["dipole"][0][-10]
    paths = fig2.write_csvs(tmp_path, models, tr, panels)
    xe = _rows(paths[1])
    np.testing.assert_allclose([float(r["base"]) for r in xe], pnl["base"], rtol=1e-5)
    np.testing.assert_allclose([float(r["dipole_M0.01MeV_mu5e-11"]) for r in xe], pnl["dipole"][0], rtol=1e-5)


def test_fig2_bad_model_exits_2(fig2, capsys):
    with pytest.raises(SystemExit) as exc:
        fig2.main(["--model", "0.1:-1"])
    assert exc.value.code == 2
    assert "mu > 0" in capsys.readouterr().err


# -- Fig. 3 ----------------------------------------------------------------------------------------
def test_fig3_quick_writes_png_pdf_csv(fig3, tmp_path):
    assert fig3.main(["--quick", "--quiet", "--outdir", str(tmp_path)]) == 0
    _check_images(tmp_path, "fig3")
    rows = _rows(tmp_path / "fig3_limits.csv")
    elements = {r["element"] for r in rows}
    regions = {f"XENON1T excess (B0 only) {c}% CL (2 dof)" for c in ("68.27", "95.45")}
    expected = {"XENON1T (tritium free)", "Borexino", "DARWIN (median expected)", *regions}
    if fig3.nuclear_available():  # the NR line needs xe-likelihood (the test extra installs it)
        expected.add("XENON1T nuclear recoils")
    assert elements == expected
    assert len(rows) == len(expected) * 5
    for r in rows:
        assert r["error"] == "", r
    xe = [r for r in rows if r["element"] == "XENON1T (tritium free)"]
    assert all(r["settings"] == "tritium=free" for r in xe)
    assert {r["settings"] for r in rows if r["kind"] == "region"} == {"tritium=off"}
    assert all(r["expected"] == "True" for r in rows if r["detector"] == "darwin")
    # at the lightest mass every detector has a finite upper limit in the plotted range (electron recoils
    # below 1e-9, the nuclear-recoil line at a few 1e-9 mu_B)
    first = [r for r in rows if float(r["mass_MeV"]) == pytest.approx(0.01)]
    assert all(1e-12 < float(r["mu_upper_muB"]) < 1e-9 for r in first if r["detector"] != "xenon1t_nr")
    assert all(1e-9 < float(r["mu_upper_muB"]) < 1e-7 for r in first if r["detector"] == "xenon1t_nr")
    bands = _rows(tmp_path / "fig3_bands.csv")
    assert {r["band"] for r in bands} >= {"brdar2020_fig3_stellar_cooling", "brdar2020_fig3_bbn_he4"}
    assert all(r["citation"] for r in bands)


def test_fig3_plotted_curves_are_the_scan(fig3, tmp_path):
    elements = fig3.compute(4, 1, charm2=False)
    _fig, art = fig3.draw(elements, published=True)
    by_label = {el["label"]: el["result"] for el in elements}
    for label, line in art.curves.items():
        res = by_label[label]
        x, y = line.get_data()
        np.testing.assert_array_equal(x, res.masses)
        np.testing.assert_array_equal(y, res.column("mu_upper_muB"))
    # the violet region is nugen's 2D region (B0 only, 2 dof) at 95.45 % and 68.27 % CL
    res = by_label["XENON1T excess (B0 only)"]
    assert res.dof == 2 and res.cls == fig3.REGION_CLS
    assert list(art.preferred) == [f"XENON1T excess (B0 only), {c}% CL (2 dof)" for c in ("95.45", "68.27")]
    for cl, key in zip((0.9545, 0.6827), art.preferred, strict=True):
        lo = res.edges(cl)[0]
        n = int(np.argmax(~np.isfinite(lo))) if not np.all(np.isfinite(lo)) else lo.size
        verts = art.preferred[key].get_xy()
        np.testing.assert_allclose(verts[:n, 1], lo[:n])
    assert {"brdar2020_fig3_xenon1t_er_published", "brdar2020_fig3_borexino_published"} <= set(art.bands)
    fig3.write_limits_csv(tmp_path / "l.csv", elements)
    rows = [r for r in _rows(tmp_path / "l.csv") if r["element"] == "Borexino"]
    np.testing.assert_allclose(
        [float(r["mu_upper_muB"] or "nan") for r in rows],
        by_label["Borexino"].column("mu_upper_muB"),
        rtol=1e-5,
    )


def test_fig3_seed_procedure_xenon1t_is_the_2dof_region_edge(fig3):
    from fits.region import detector_region

    elements = fig3.compute(3, 1, charm2=False, seed_procedure=True)
    by_label = {el["label"]: el for el in elements}
    el = by_label["XENON1T (tritium free; 2-dof 90% edge)"]
    ref = detector_region("xenon1t", el["result"].masses, "mu", cls=0.9, dof=2, settings={"tritium": "free"})
    np.testing.assert_allclose(el["result"].edges(0.9)[1], ref.edges(0.9)[1], rtol=1e-9)
    assert by_label["Borexino (280-900 keV)"]["settings"] == {"e_max_keV": 900.0}


def test_curve_by_curve_table_builder_runs_on_two_masses():
    from fits.region import detector_region

    cbc = _load("fig3_curve_by_curve")
    masses = np.array([0.01, 0.1])
    res = cbc.build(masses, variants=False)
    ref = detector_region("xenon1t", masses, "mu", cls=0.9, dof=2, settings={"tritium": "free"})
    np.testing.assert_allclose(res["curves"]["xenon1t"]["seed"], ref.edges(0.9)[1], rtol=1e-9)
    pub = res["curves"]["xenon1t"]["published"]
    assert pub[0] == pytest.approx(5.690171e-11, rel=1e-6)
    assert res["curves"]["darwin"]["published"][0] == pytest.approx(9.5e-12)
    for c in ("xenon1t", "borexino", "darwin"):
        assert np.all(np.isfinite(res["curves"][c]["default"]))
    # Borexino in the seed's 280-900 keV window agrees with the published array at low mass (< 0.05 dex)
    bx = res["curves"]["borexino"]
    assert np.all(np.abs(np.log10(bx["seed"] / bx["published"])) < 0.05)
    text = cbc.markdown(res)
    assert "| 0.01 |" in text and "Borexino" in text


def test_fig3_today_adds_xenonnt_observed_limits_equal_to_nugen_scan(fig3, tmp_path):
    # --today adds the shipped cards of running experiments; its curve is the scan of that card (ν_μ only)
    from fits.scan import scan

    args = fig3.build_parser().parse_args(["--today", "--add", "xenonnt", "--outdir", str(tmp_path)])
    names = fig3.requested_detectors(args)
    assert names[0] == "xenonnt" and names.count("xenonnt") == 1  # listed once although asked twice
    (job,) = fig3.added_jobs(["xenonnt"], np.array([0.01, 0.1]))
    assert job[0] == "XENONnT (observed)"
    elements = fig3.compute(2, 1, charm2=False, extra=["xenonnt"])
    el = next(e for e in elements if e["detector"] == "xenonnt")
    (ref,) = scan(["xenonnt"], el["result"].masses, "mu", progress=False)
    np.testing.assert_allclose(el["result"].column("mu_upper_muB"), ref.column("mu_upper_muB"), rtol=1e-9)


def test_fig3_add_unknown_detector_exits_2(fig3, tmp_path, capsys):
    assert fig3.main(["--add", "xenon2t", "--outdir", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--add: unknown detector 'xenon2t'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_fig3_bad_options_exit_2(fig3, tmp_path, capsys):
    assert fig3.main(["--masses", "1", "--outdir", str(tmp_path)]) == 2
    assert "--masses must be >= 2" in capsys.readouterr().err
    assert fig3.main(["--workers", "0", "--outdir", str(tmp_path)]) == 2
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("script", ["fig2_recoil_spectra.py", "fig3_exclusion.py"])
def test_script_help_as_a_process(script):
    out = subprocess.run(
        [sys.executable, str(SCRIPTS / script), "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    assert "--outdir" in out.stdout and "--quick" in out.stdout
    if script.startswith("fig3"):
        assert "--masses" in out.stdout and "--workers" in out.stdout


# -- fig3_curve_by_curve --emulate-grid: the authors' 30 x 30 grid contour ---------------------------
@pytest.fixture(scope="module")
def cbc():
    return _load("fig3_curve_by_curve")


def test_grid_is_the_authors_and_every_published_vertex_lies_on_a_grid_line(cbc):
    assert cbc.GRID_MASSES.size == cbc.GRID_MU.size == 30
    assert cbc.GRID_MASSES[0] == pytest.approx(0.01) and cbc.GRID_MASSES[-1] == pytest.approx(3.0)
    assert cbc.GRID_MU[0] == pytest.approx(2e-11) and cbc.GRID_MU[-1] == pytest.approx(2e-6)
    assert cbc.GRID_MASSES[1] / cbc.GRID_MASSES[0] == pytest.approx(1.2174, abs=1e-4)
    assert cbc.GRID_MU[1] / cbc.GRID_MU[0] == pytest.approx(1.4874, abs=1e-4)
    from fits.data import read

    t = read(cbc.PUBLISHED_FILES["xenon1t"])
    m, mu = np.asarray(t["M_N_MeV"], float)[:-1], np.asarray(t["mu_muB"], float)[:-1]  # drop the closure
    on_m = np.isclose(m[:, None], cbc.GRID_MASSES[None, :], rtol=1e-6, atol=0).any(axis=1)
    on_mu = np.isclose(mu[:, None], cbc.GRID_MU[None, :], rtol=1e-6, atol=0).any(axis=1)
    assert np.all(on_m | on_mu)  # the published array is the vertex list of a contour on this grid


def test_grid_contour_is_linear_in_mu_and_uses_the_node_minimum(cbc):
    # chi^2 = 7 + ((mu - mu0) / sig)^2 at every mass, on the authors' log-spaced nodes; mu0 between nodes
    x, y = cbc.GRID_MASSES, cbc.GRID_MU
    mu0, sig = 5.3e-11, 1.1e-11
    col = 7.0 + ((y - mu0) / sig) ** 2
    z = np.repeat(col[:, None], x.size, axis=1)
    level = col.min() + 4.605
    assert col.min() > 7.05  # the node minimum is above the true one
    k = int(np.flatnonzero((col[:-1] <= level) & (col[1:] > level) & (y[:-1] > mu0))[0])
    linear = y[k] + (level - col[k]) / (col[k + 1] - col[k]) * (y[k + 1] - y[k])
    in_log = 10 ** (np.log10(y[k]) + (level - col[k]) / (col[k + 1] - col[k]) * np.log10(y[k + 1] / y[k]))
    exact = mu0 + sig * np.sqrt(4.605)
    at = np.array([0.01, 0.05, 0.3007, 2.99])
    edge, lev, lines = cbc.grid_upper_edge(x, y, z, 4.605, at)
    assert lev == pytest.approx(level, rel=1e-12) and lines
    np.testing.assert_allclose(edge, linear, rtol=1e-10)
    assert abs(linear / in_log - 1) > 0.01 and abs(linear / exact - 1) > 0.01  # the three differ here
    # with the true minimum as chi^2_min the level is 7 + 4.605
    edge7, lev7, _ = cbc.grid_upper_edge(x, y, z, 4.605, at, zmin=7.0)
    assert lev7 == pytest.approx(11.605) and np.all(edge7 < edge)


def test_grid_contour_of_a_quadratic_bowl_is_its_ellipse(cbc):
    # chi^2 = ((M - M0)/a)^2 + ((mu - mu0)/b)^2 on a fine linear grid: the 4.605 contour is an ellipse
    x = np.linspace(0.5, 1.5, 201)
    y = np.linspace(1.0, 3.0, 401)
    m0, a, mu0, b = 1.0, 0.2, 2.0, 0.25
    X, Y = np.meshgrid(x, y)
    z = ((X - m0) / a) ** 2 + ((Y - mu0) / b) ** 2
    at = np.array([0.7, 0.9, 1.0, 1.2, 1.4, 1.45])
    edge, _, _ = cbc.grid_upper_edge(x, y, z, 4.605, at)
    inside = ((at - m0) / a) ** 2 < 4.605
    expect = mu0 + b * np.sqrt(4.605 - ((at[inside] - m0) / a) ** 2)
    np.testing.assert_allclose(edge[inside], expect, rtol=2e-3)
    assert np.all(np.isnan(edge[~inside]))  # 1.45 is outside the ellipse (|M - M0| > a sqrt(4.605))


def test_grid_chi2_is_the_seed_procedure_likelihood(cbc):
    # at the upper edge of the continuous 2-dof region (one mass: its own minimum), chi^2 - min = 4.605
    from fits.likelihood import BinnedLikelihood
    from fits.region import detector_region
    from fits.scan import cached_detector

    settings = cbc.SEED["xenon1t"][0]
    ref = detector_region("xenon1t", [0.01], "mu", cls=0.9, dof=2, settings=settings)
    hi = float(ref.edges(0.9)[1][0])
    z, invalid, fallback = cbc.grid_chi2("xenon1t", settings, masses=np.array([0.01]), mus=np.array([hi]))
    lik = BinnedLikelihood.from_detector(cached_detector("xenon1t", tuple(settings.items())), 0.01, "mu")
    assert z[0, 0] - lik.fit().twice_nll == pytest.approx(4.605, abs=2e-3)
    assert invalid == fallback == 0
    # the scipy fallback profile agrees with MIGRAD's where both work
    s = lik.s_from_mu(1e-10)
    assert cbc._profile_scipy(lik, s) == pytest.approx(lik.profile(s).twice_nll, rel=1e-6)


# -- seed_signal_emulation: the authors' XENON1T signal code, one ingredient at a time ---------------
def test_seed_signal_emulation_reproduces_nugen_and_the_authors_formula():
    from nugen.constants import M_E
    from nugen.kinematics import min_neutrino_energy
    from nugen.xsec import dipole_dsigma_dT

    emu = _load("seed_signal_emulation")
    # their Eq. (A.6) of 1803.03262 with d = mu / 2 is nugen's cross section inside the kinematic range
    E, T, M = np.array([0.6, 1.0, 10.0]), 0.01, 0.3
    np.testing.assert_allclose(emu.xsec(E, T, M), dipole_dsigma_dT(E, T, M, M_E), rtol=1e-10)
    # their Enu_min: nugen's E_min(T) wherever that is above the threshold M + M^2 / (2 m_e)
    Ts = np.array([1e-3, 1e-2, 0.03])
    np.testing.assert_allclose(emu.e_min(Ts, 1.37), min_neutrino_energy(Ts, 1.37, M_E), rtol=1e-12)
    det = emu.detector()
    for m in (0.01, 1.37):  # the emulation's own folding against nugen's Detector.signal_templates
        r = emu.emulated_counts(m, det) / emu.nugen_counts(m, det)
        assert np.nanmax(np.abs(r[np.isfinite(r)] - 1)) < 3e-3
    # at 1.37 MeV only 8B (and 0.15 %-level hep) reach the window: BS05 scales the signal by 4.51 / 5.46
    kw = dict(emu.STEPS[2][2])
    assert kw == {"flux_scale": "bs05"}
    ratio = emu.signal_ratio(1.37, det, **kw)
    n = emu.nugen_counts(1.37, det)
    assert (ratio * n).sum() / n.sum() == pytest.approx(4.51 / 5.46, abs=3e-3)
