"""fits.plots: the plotted arrays are the inputs; Garwood intervals; reference bands are closed and cited."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure
from scipy.stats import chi2

from fits import data as fdata
from fits import plots
from nugen.errors import InvalidParameterError, UnknownNameError


@pytest.fixture
def ax():
    return Figure().add_subplot()


# -- Garwood ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 10])
def test_garwood_matches_chi2_formula(n):
    lo, hi = plots.garwood_interval(np.array([n]))
    a = 1 - 0.6826894921370859
    exp_lo = 0.0 if n == 0 else chi2.ppf(a / 2, 2 * n) / 2
    exp_hi = chi2.ppf(1 - a / 2, 2 * (n + 1)) / 2
    assert lo[0] == pytest.approx(exp_lo, rel=1e-12, abs=0)
    assert hi[0] == pytest.approx(exp_hi, rel=1e-12)


def test_garwood_closed_forms():
    # independent of chi2: for n = 0 the upper end solves exp(-x) = a/2; for n = 1 the lower end solves
    # 1 - exp(-x) = a/2 and the upper end (1 + x) exp(-x) = a/2, with a/2 = (1 - 0.6827)/2
    from scipy.optimize import brentq

    half = (1 - plots.ONE_SIGMA) / 2
    lo, hi = plots.garwood_interval([0, 1])
    assert lo[0] == 0.0
    assert hi[0] == pytest.approx(-np.log(half), rel=1e-10)
    assert lo[1] == pytest.approx(-np.log1p(-half), rel=1e-10)
    assert hi[1] == pytest.approx(brentq(lambda x: (1 + x) * np.exp(-x) - half, 1, 10, xtol=1e-14), rel=1e-10)
    assert hi[0] == pytest.approx(1.8410, abs=1e-4) and hi[1] == pytest.approx(3.2995, abs=1e-4)


def test_garwood_other_cl_and_bad_input():
    lo, hi = plots.garwood_interval([5], cl=0.9)
    assert lo[0] == pytest.approx(chi2.ppf(0.05, 10) / 2)
    assert hi[0] == pytest.approx(chi2.ppf(0.95, 12) / 2)
    with pytest.raises(InvalidParameterError, match="cl must be in"):
        plots.garwood_interval([1], cl=1.5)
    with pytest.raises(InvalidParameterError, match="counts must be finite"):
        plots.garwood_interval([-1, 2])


# -- recoil spectrum -------------------------------------------------------------------------------
def test_spectrum_plotted_arrays_equal_inputs(ax):
    edges = np.arange(1.0, 31.0)
    b0 = np.linspace(40, 50, 29)
    sig = 30 / np.arange(1, 30)
    data = np.arange(29) % 7 + 35
    data[3] = 0
    art = plots.plot_recoil_spectrum(ax, edges, {"B0": b0, "B0 + dipole": b0 + sig}, data)
    assert list(art.components) == ["B0", "B0 + dipole"]
    for name, vals in (("B0", b0), ("B0 + dipole", b0 + sig)):
        st = art.components[name].get_data()
        np.testing.assert_array_equal(st.values, vals)
        np.testing.assert_array_equal(st.edges, edges)
        assert art.components[name].get_label() == name
    line = art.data.lines[0]
    np.testing.assert_array_equal(line.get_xdata(), 0.5 * (edges[:-1] + edges[1:]))
    np.testing.assert_array_equal(line.get_ydata(), data)
    lo, hi = plots.garwood_interval(data)
    np.testing.assert_allclose(art.data_interval[0], lo)
    np.testing.assert_allclose(art.data_interval[1], hi)
    # the vertical error-bar segments span exactly the Garwood interval
    segs = art.data.lines[2][0].get_segments()
    np.testing.assert_allclose([s[0][1] for s in segs], lo)
    np.testing.assert_allclose([s[1][1] for s in segs], hi)
    assert lo[3] == 0.0 and hi[3] == pytest.approx(1.8410, abs=1e-4)
    assert ax.get_xlabel() == "Observed energy [keV]"
    assert ax.get_ylabel() == "Events / bin"
    labels = [t.get_text() for t in art.legend.get_texts()]
    assert "B0" in labels and any(t.startswith("Data") for t in labels)


def test_spectrum_per_energy_and_log(ax):
    edges = np.array([1.0, 2.0, 4.0, 8.0])
    comp = np.array([10.0, 10.0, 10.0])
    data = np.array([12, 9, 11])
    art = plots.plot_recoil_spectrum(
        ax, edges, {"SM": comp}, data, per_energy=True, logy=True, logx=True, energy_unit="MeV"
    )
    np.testing.assert_allclose(art.components["SM"].get_data().values, comp / np.diff(edges))
    np.testing.assert_allclose(art.data.lines[0].get_ydata(), data / np.diff(edges))
    lo, hi = plots.garwood_interval(data)
    np.testing.assert_allclose(art.data_interval[0], lo / np.diff(edges))
    np.testing.assert_allclose(art.data_interval[1], hi / np.diff(edges))
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log"
    assert ax.get_ylabel() == "Events / MeV"
    assert ax.get_xlabel() == "Observed energy [MeV]"


def test_spectrum_without_data_and_styles(ax):
    art = plots.plot_recoil_spectrum(
        ax, [0, 1, 2], {"a": [1, 2]}, styles={"a": {"color": "red", "linestyle": ":"}}, legend=False
    )
    assert art.data is None and art.data_interval is None and art.legend is None
    assert matplotlib.colors.to_hex(art.components["a"].get_edgecolor()) == "#ff0000"


def test_spectrum_bad_input(ax):
    with pytest.raises(InvalidParameterError, match="'dipole' has shape"):
        plots.plot_recoil_spectrum(ax, [0, 1, 2], {"dipole": [1, 2, 3]})
    with pytest.raises(InvalidParameterError, match="edges must be"):
        plots.plot_recoil_spectrum(ax, [0, 2, 1], {"x": [1, 2]})
    with pytest.raises(InvalidParameterError, match="'data' has shape"):
        plots.plot_recoil_spectrum(ax, [0, 1, 2], {"x": [1, 2]}, data=[1])


# -- reference bands -------------------------------------------------------------------------------
def test_reference_bands_are_labelled_cited_and_closed():
    bands = plots.reference_bands()
    assert list(bands) == [f.removesuffix(".csv") for f in fdata.BAND_FILES]
    assert {
        "brdar2020_fig3_stellar_cooling",
        "brdar2020_fig3_sn1987a",
        "brdar2020_fig3_bbn_he4",
        "brdar2020_fig3_cmb_dneff_0p05",
        "brdar2020_fig3_cmb_dneff_0p3",
        "brdar2020_fig3_miniboone_exclusion",
        "brdar2020_fig3_miniboone_roi",
        "brdar2020_fig3_icecube_sensitivity",
    } <= set(bands)
    for key, b in bands.items():
        assert b.label and b.citation, key
        assert "arXiv" in b.source and len(b.provenance) > 50, key
        assert b.shape in ("region", "outline", "curve"), key
        if b.shape in ("region", "outline"):
            assert b.closed, f"{key} is not a closed polygon"
        for m, mu in b.pieces:
            assert np.all(m > 0) and np.all(mu > 0), key
    assert len(bands["brdar2020_fig3_cmb_dneff_0p3"].pieces) == 2
    assert "Brdar" in bands["brdar2020_fig3_bbn_he4"].citation


def test_band_values_carry_over_from_reference():
    # physics.md Sec. 8: stellar cooling starts at mu = 2.5e-12 (M = 0.01 MeV) and closes at M ~ 0.16 MeV;
    # the SN1987A edges meet near 310 MeV; the published XENON1T / Borexino curves give 5.69e-11 / 6.96e-11.
    b = plots.reference_bands()
    m, mu = b["brdar2020_fig3_stellar_cooling"].pieces[0]
    assert mu.min() == pytest.approx(2.504136e-12) and m.max() == pytest.approx(0.156348)
    m, mu = b["brdar2020_fig3_sn1987a"].pieces[0]
    assert m.max() == pytest.approx(310.873)
    pub = plots.reference_bands(published=True)
    m, mu = pub["brdar2020_fig3_xenon1t_er_published"].pieces[0]
    assert m[0] == 0.01 and mu[0] == pytest.approx(5.69e-11, rel=1e-3)
    m, mu = pub["brdar2020_fig3_borexino_published"].pieces[0]
    assert m[0] == 0.01 and mu[0] == pytest.approx(6.96e-11, rel=1e-3)


def test_band_tables_have_full_headers():
    for f in fdata.BAND_FILES + fdata.PUBLISHED_FILES:
        t = fdata.read(f)
        h = t.header
        assert h.startswith("nugen data table:"), f
        for key in ("label", "cite", "shape", "cl", "source", "provenance", "columns"):
            assert fdata.header_field(t, key), f"{f}: no '{key}:' field"
        assert "[MeV]" in fdata.header_field(t, "columns"), f


# -- exclusion plane -------------------------------------------------------------------------------
def test_exclusion_curves_preferred_and_bands(ax):
    m = np.logspace(-2, 0.5, 12)
    up = 5.7e-11 * (1 + (m / 0.3) ** 4)
    up_b = np.where(m < 2, 7e-11, np.nan)
    lo = 0.5 * up
    lo[-3:] = np.nan  # interval closes
    art = plots.plot_exclusion(
        ax,
        curves={"XENON1T (tritium free)": (m, up), "Borexino": (m, up_b)},
        preferred_region={"XENON1T preferred (B0 only)": (m, lo, 1.3 * up)},
        regions={"CHARM-II": ([1, 10, 10, 1, 1], [1e-9, 1e-9, 1e-7, 1e-7, 1e-9])},
    )
    x, y = art.curves["XENON1T (tritium free)"].get_data()
    np.testing.assert_array_equal(x, m)
    np.testing.assert_array_equal(y, up)
    assert art.curves["XENON1T (tritium free)"].get_linestyle() == "--"
    assert art.curves["Borexino"].get_linestyle() == "-"
    np.testing.assert_array_equal(art.curves["Borexino"].get_data()[1], up_b)
    verts = art.preferred["XENON1T preferred (B0 only)"].get_xy()
    n = 9  # valid masses
    np.testing.assert_allclose(verts[:n, 0], m[:n])
    np.testing.assert_allclose(verts[:n, 1], lo[:n])
    np.testing.assert_allclose(verts[n : 2 * n, 1], (1.3 * up)[:n][::-1])
    np.testing.assert_allclose(verts[0], verts[-1])  # closed
    assert "CHARM-II" in art.regions
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "M_N" in ax.get_xlabel() and "[MeV]" in ax.get_xlabel()
    assert r"\mu_B" in ax.get_ylabel()
    # every band drawn, with a numbered citation in its legend label and in the caption
    assert set(art.bands) == set(plots.reference_bands())
    labels = [t.get_text() for t in art.legend.get_texts()]
    for key, band in art.band_info.items():
        ref = art.citations[band.citation]
        assert f"{band.label} [{ref}]" in labels, key
        assert f"[{ref}] {band.citation}" in art.caption.get_text()
        first = art.bands[key][0]
        assert first.get_label() == f"{band.label} [{ref}]"
    for name in ("XENON1T (tritium free)", "Borexino", "XENON1T preferred (B0 only)", "CHARM-II"):
        assert name in labels


def test_exclusion_band_polygons_are_the_tables(ax):
    art = plots.plot_exclusion(ax, bands=["brdar2020_fig3_bbn_he4", "brdar2020_fig3_cmb_dneff_0p3"])
    assert list(art.bands) == ["brdar2020_fig3_bbn_he4", "brdar2020_fig3_cmb_dneff_0p3"]
    for key, arts in art.bands.items():
        band = art.band_info[key]
        assert len(arts) == len(band.pieces)
        for poly, (m, mu) in zip(arts, band.pieces, strict=True):
            xy = poly.get_xy()
            np.testing.assert_allclose(xy[: m.size, 0], m)
            np.testing.assert_allclose(xy[: m.size, 1], mu)
    assert list(art.citations) == ["Brdar, Greljo, Kopp, Opferkuch, JCAP 01 (2021) 039, Fig. 3"]


def test_exclusion_published_and_no_bands(ax):
    art = plots.plot_exclusion(ax, bands=False, published=True, legend=False, caption=True)
    assert set(art.bands) == {
        "brdar2020_fig3_xenon1t_er_published",
        "brdar2020_fig3_borexino_published",
        "brdar2020_fig3_xenon1t_nr_published",
    }
    x, y = art.bands["brdar2020_fig3_borexino_published"][0].get_data()
    band = art.band_info["brdar2020_fig3_borexino_published"]
    np.testing.assert_array_equal(x, band.pieces[0][0])
    np.testing.assert_array_equal(y, band.pieces[0][1])
    assert art.legend is None


def test_exclusion_bad_input(ax):
    with pytest.raises(UnknownNameError, match="reference band"):
        plots.plot_exclusion(ax, bands=["bbn"])
    with pytest.raises(InvalidParameterError, match="equal length"):
        plots.plot_exclusion(ax, curves={"x": ([1, 2], [1e-10])}, bands=False)
    with pytest.raises(InvalidParameterError, match="tuple of 3"):
        plots.plot_exclusion(ax, preferred_region={"x": ([1, 2], [1e-10, 1e-10])}, bands=False)


def test_figure_renders_to_png(tmp_path):
    fig = Figure(figsize=(9, 5), layout="constrained")
    plots.plot_exclusion(fig.add_subplot(), published=True)
    out = tmp_path / "x.png"
    fig.savefig(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_figure_writes_atomically_and_rejects_other_formats(tmp_path):
    from matplotlib.figure import Figure

    from fits.plots import save_figure
    from nugen.errors import InvalidParameterError

    fig = Figure()
    fig.add_subplot().plot([0, 1], [0, 1])
    out = save_figure(fig, tmp_path / "f.png", dpi=30)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InvalidParameterError, match=r"f\.svg"):
        save_figure(fig, tmp_path / "f.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png"]


def test_write_csv_comment_header_rows(tmp_path):
    from nugen.outputs import write_csv

    path = write_csv(tmp_path / "t.csv", ["a", "b"], [[1, 2.5], [3, None]], comment="line one\nline two")
    assert path.read_text().splitlines() == ["# line one", "# line two", "a,b", "1,2.5", "3,"]


def test_region_band_gaps_where_the_region_reaches_mu_zero_and_caps_open_edges():
    from fits.region import RegionPoint, RegionResult

    pts = (
        RegionPoint(0.01, regions={"0.9": [[2e-11, 7e-11]]}),
        RegionPoint(0.1, regions={"0.9": [[0.0, 9e-11]]}),
        RegionPoint(1.0, regions={"0.9": []}),
        RegionPoint(5.0, regions={"0.9": [[0.0, None]]}),
    )
    res = RegionResult("x", "mu", 2, (0.9,), {"mass_MeV": 0.01, "mu_best_muB": 4e-11, "twice_nll": 1.0}, pts)
    m, lo, hi = plots.region_band(res, 0.9, None, 1e-6)
    np.testing.assert_array_equal(m, [0.01, 0.1, 1.0, 5.0])
    np.testing.assert_array_equal(lo, [2e-11, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(hi, [7e-11, 9e-11, np.nan, 1e-6])
    _, lo, hi = plots.region_band(res, 0.9, 1e-13, 1e-6)
    np.testing.assert_array_equal(lo, [2e-11, 1e-13, np.nan, 1e-13])


def test_confidence_regions_draw_every_island(ax):
    m = np.array([0.01, 0.02, 0.03, 0.04, 0.05])
    lo = np.array([1e-11, 1e-11, np.nan, 2e-11, 2e-11])
    hi = 3 * lo
    art = plots.plot_exclusion(ax, confidence_regions={"r": (m, lo, hi)}, bands=False)
    polys = art.confidence["r"]
    assert len(polys) == 2  # two contiguous runs of masses, one polygon each
    np.testing.assert_allclose(polys[1].get_xy()[:, 0], [0.04, 0.05, 0.05, 0.04, 0.04])
    np.testing.assert_allclose(polys[1].get_xy()[:, 1], [2e-11, 2e-11, 6e-11, 6e-11, 2e-11])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["r"]  # one legend entry
