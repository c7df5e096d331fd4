"""CHARM-II beam source: flux units and normalisation, pdf/CDF/sampling, unit-mismatch checks, bad input.

References: the integrals and mean energies of the reference copy of DarkNews' CHARMII_FHC/RHC tables
(PROVENANCE.md of ../shared/data: nu_mu mode nu_mu 7.402e-4 m^-2 POT^-1, <E> = 24.85 GeV; nubar_mu
4.829e-5, 18.47 GeV; nubar_mu mode nu_mu 6.415e-5, 25.43 GeV; nubar_mu 4.95e-4, 21.12 GeV), recomputed
from the reference copy itself when ../shared is present.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

from nugen.errors import DataFileError, InvalidParameterError, NugenError, UnknownNameError
from nugen.sources import SOURCES, get_source
from nugen.sources.beams import CHARM2Beam, PiecewiseLinearPdf
from nugen.tables import parse_table

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
M2_PER_CM2 = 1e-4

# (mode, component): (integral per m^2 per POT, mean energy GeV) -- PROVENANCE.md of the reference copy
REFERENCE = {
    ("numu", "numu"): (7.402e-4, 24.85),
    ("numu", "numubar"): (4.829e-5, 18.47),
    ("numubar", "numu"): (6.415e-5, 25.43),
    ("numubar", "numubar"): (4.95e-4, 21.12),
}


@pytest.fixture(scope="module", params=["numu", "numubar"])
def beam(request):
    return get_source("charm2", mode=request.param)


def test_registered_and_default_mode():
    assert "charm2" in SOURCES
    b = get_source("charm2")
    assert isinstance(b, CHARM2Beam)
    assert b.mode == "numu"
    assert b.exposure_unit == "POT"
    assert [c.name for c in b.components] == ["numu", "numubar"]
    assert [c.antineutrino for c in b.components] == [False, True]
    assert all(c.flavour == "mu" for c in b.components)


@pytest.mark.parametrize(("mode", "comp"), list(REFERENCE))
def test_flux_integral_and_mean_energy_vs_reference(mode, comp):
    # flux per cm^2 per POT = table integral per m^2 x 1e-4; mean energy in MeV internally
    c = get_source("charm2", mode=mode).component(comp)
    ref_int, ref_mean = REFERENCE[(mode, comp)]
    assert c.flux == pytest.approx(ref_int * M2_PER_CM2, rel=1e-3)  # reference quoted to 4 digits
    mean = get_source("charm2", mode=mode).mean_energy_MeV(c)
    assert mean / 1000.0 == pytest.approx(ref_mean, abs=0.006)  # quoted to 0.01 GeV


@pytest.mark.crosscheck
@pytest.mark.parametrize("mode", ["numu", "numubar"])
def test_flux_matches_the_shared_reference_copy_point_by_point(mode):
    path = SHARED_DATA / f"charm2_flux_{mode}_mode.csv"
    if not path.is_file():
        pytest.skip(f"reference copy {path} not available")
    ref = parse_table(path.read_text(encoding="utf-8"), name=path.name)
    E_GeV = ref["E_GeV"]
    b = get_source("charm2", mode=mode)
    for comp in ("numu", "numubar"):
        c = b.component(comp)
        raw = ref[f"flux_{comp}"]  # nu / m^2 / GeV / POT
        ours = c.flux * c.pdf(E_GeV * 1000.0)  # nu / cm^2 / MeV / POT
        np.testing.assert_allclose(ours, raw * M2_PER_CM2 / 1000.0, rtol=1e-12, atol=0)
        # integral and mean of the independent trapezoid sum of the reference table
        assert c.flux == pytest.approx(np.trapezoid(raw, E_GeV) * M2_PER_CM2, rel=1e-12)
        mean = np.sum(
            np.diff(E_GeV)
            / 6
            * (E_GeV[:-1] * (2 * raw[:-1] + raw[1:]) + E_GeV[1:] * (raw[:-1] + 2 * raw[1:]))
        )
        assert b.mean_energy_MeV(c) == pytest.approx(1000.0 * mean / np.trapezoid(raw, E_GeV), rel=1e-12)
    # e and tau columns really are zero in the reference (why they are dropped)
    for col in ("flux_nue", "flux_nutau", "flux_nuebar", "flux_nutaubar"):
        assert not np.any(ref[col])


def test_pdf_is_normalised_and_mean_by_quadrature(beam):
    for c in beam.components:
        edges = np.concatenate([[c.E_min_MeV], c.breakpoints_MeV, [c.E_max_MeV]])
        total = sum(integrate.quad(c.pdf, a, b)[0] for a, b in itertools.pairwise(edges))
        mean = sum(integrate.quad(lambda e, c=c: e * c.pdf(e), a, b)[0] for a, b in itertools.pairwise(edges))
        assert total == pytest.approx(1.0, rel=1e-9)
        assert mean == pytest.approx(beam.mean_energy_MeV(c), rel=1e-9)
        assert c.pdf(c.E_min_MeV - 1.0) == 0.0
        assert c.pdf(c.E_max_MeV + 1.0) == 0.0
        # the support starts at the last zero before the flux and ends after the last non-zero point
        assert c.pdf(c.E_min_MeV) == 0.0
        assert np.all(np.diff(c.breakpoints_MeV) > 0)


def test_cdf_ppf_roundtrip_and_sampling(beam, rng):
    for c in beam.components:
        u = np.linspace(0.0, 1.0, 2001)
        np.testing.assert_allclose(c.pdf.cdf(c.pdf.ppf(u)), u, atol=1e-12)
        x = c.pdf.sample(200_000, rng)
        assert np.all((x >= c.E_min_MeV) & (x <= c.E_max_MeV))
        # Kolmogorov-Smirnov against the exact CDF
        assert stats.kstest(x, c.pdf.cdf).pvalue > 1e-3


def test_arrival_probabilities_identity(beam):
    E = np.array([[5e3, 2e4], [5e4, 1e5]])
    for c in beam.components:
        P = beam.arrival_probabilities(c, E)
        assert P.shape == (3, 2, 2)
        np.testing.assert_array_equal(P[1], 1.0)
        np.testing.assert_array_equal(P[0] + P[2], 0.0)
    assert beam.arrival_probabilities("numubar", 1e4).shape == (3,)


def test_piecewise_linear_pdf_exact_on_a_triangle():
    pdf = PiecewiseLinearPdf(np.array([0.0, 1.0, 2.0]), np.array([0.0, 3.0, 0.0]))
    assert pdf.norm == pytest.approx(3.0)
    assert pdf(1.0) == pytest.approx(1.0)
    assert pdf.mean() == pytest.approx(1.0)
    assert pdf.cdf(0.5) == pytest.approx(0.125)
    assert pdf.ppf(0.125) == pytest.approx(0.5)
    assert pdf.ppf(0.875) == pytest.approx(1.5)


# -- bad input -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["nue", "NUMU", "antineutrino", "", 1, None])
def test_unknown_mode_is_named(mode):
    with pytest.raises(UnknownNameError) as exc:
        get_source("charm2", mode=mode)
    assert repr(mode) in str(exc.value)
    assert "numu" in str(exc.value) and "numubar" in str(exc.value)
    assert isinstance(exc.value, NugenError)


def _table_text(mode: str = "numu") -> str:
    from importlib import resources

    return resources.files("nugen.data").joinpath(f"charm2_flux_{mode}_mode.csv").read_text(encoding="utf-8")


def _write(tmp_path, text: str) -> Path:
    p = tmp_path / "flux.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_flux_file_option_reproduces_the_packaged_table(tmp_path):
    b = CHARM2Beam("numu", flux_file=_write(tmp_path, _table_text()))
    assert b.component("numu").flux == get_source("charm2").component("numu").flux


def test_flux_in_cm2_mislabelled_as_m2_is_caught_at_load(tmp_path):
    # numbers converted to per cm^2 but the column still says per m^2: the integral check fails by 1e4
    lines = _table_text().splitlines()
    out = []
    for line in lines:
        if line and line[0].isdigit():
            e, a, b = line.split(",")
            line = f"{e},{float(a) * 1e-4:.6e},{float(b) * 1e-4:.6e}"
        out.append(line)
    with pytest.raises(DataFileError, match=r"flux_numu_per_m2_GeV_POT.*integrates to .*unit mismatch"):
        CHARM2Beam("numu", flux_file=_write(tmp_path, "\n".join(out)))


def test_energy_in_MeV_labelled_GeV_is_caught_at_load(tmp_path):
    lines = _table_text().splitlines()
    out = []
    for line in lines:
        if line and line[0].isdigit():
            e, a, b = line.split(",")
            line = f"{float(e) * 1000.0:g},{float(a) / 1000.0:.6e},{float(b) / 1000.0:.6e}"
        out.append(line)
    with pytest.raises(DataFileError, match="mean energy"):
        CHARM2Beam("numu", flux_file=_write(tmp_path, "\n".join(out)))


def test_table_without_check_lines_gets_the_plausibility_window(tmp_path):
    body = [line for line in _table_text().splitlines() if not line.startswith("# check:")]
    CHARM2Beam("numu", flux_file=_write(tmp_path, "\n".join(body)))  # plausible: loads
    # the same numbers claimed per cm^2: 1e4 too large for any wide-band beam
    bad = "\n".join(body).replace("_per_m2_GeV_POT", "_per_cm2_GeV_POT")
    with pytest.raises(DataFileError, match="plausible range"):
        CHARM2Beam("numu", flux_file=_write(tmp_path, bad))


@pytest.mark.parametrize(
    ("header", "match"),
    [
        ("E_GeV,flux_numu,flux_numubar", "no recognised unit"),
        ("E_TeV,flux_numu_per_m2_GeV_POT,flux_numubar_per_m2_GeV_POT", "energy column"),
        ("E_GeV,flux_numu_per_m2_GeV_POT,flux_nutau_per_m2_GeV_POT", "no recognised unit"),
    ],
)
def test_unit_less_or_unknown_columns_are_refused(tmp_path, header, match):
    text = "\n".join(header if line.startswith("E_GeV,") else line for line in _table_text().splitlines())
    with pytest.raises(DataFileError, match=match):
        CHARM2Beam("numu", flux_file=_write(tmp_path, text))


def test_negative_flux_and_missing_file(tmp_path):
    text = _table_text().replace("4.450292e-06", "-4.450292e-06", 1)
    with pytest.raises(DataFileError, match="negative"):
        CHARM2Beam("numu", flux_file=_write(tmp_path, text))
    with pytest.raises(InvalidParameterError, match=r"nope\.csv"):
        CHARM2Beam("numu", flux_file=tmp_path / "nope.csv")


def test_table_parses_with_plain_numpy_after_dropping_comments():
    # the packaged table is plain CSV with '#' comments (DEVELOPERS convention)
    text = "".join(line + "\n" for line in _table_text().splitlines() if not line.startswith("#"))
    arr = np.genfromtxt(io.StringIO(text), delimiter=",", names=True)
    assert arr.dtype.names == ("E_GeV", "flux_numu_per_m2_GeV_POT", "flux_numubar_per_m2_GeV_POT")
    assert arr.size == 100
