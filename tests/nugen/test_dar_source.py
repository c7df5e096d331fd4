"""The decay-at-rest source (nugen/sources/dar.py) against independent numbers.

Michel spectra: normalisation and means by scipy quadrature of the textbook formulas (12 x^2 (1 - x) for nu_e,
2 x^2 (3 - 2 x) for nubar_mu: means 3/5 and 7/10 of E_max); the endpoint and the pi+ -> mu+ nu_mu line from
PDG masses typed here; the flux 1 / (4 pi L^2) per stopped pi+; the CLI spectrum / generate with the source.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from nugen.errors import InvalidParameterError
from nugen.sources import SOURCES, get_source
from nugen.sources.dar import E_MICHEL_MAX_MEV, E_NUMU_LINE_MEV, MichelPdf

# PDG 2022 (R. L. Workman et al., PTEP 2022 083C01): m_mu, m_e, m_pi+ [MeV]
M_MU, M_E, M_PI = 105.6583755, 0.51099895, 139.57039


def test_line_and_endpoint_from_pdg_masses():
    assert E_NUMU_LINE_MEV == pytest.approx((M_PI**2 - M_MU**2) / (2 * M_PI), rel=1e-8)
    assert E_NUMU_LINE_MEV == pytest.approx(29.79, abs=0.005)  # the 29.79 MeV nu_mu of LSND
    assert E_MICHEL_MAX_MEV == pytest.approx((M_MU**2 - M_E**2) / (2 * M_MU), rel=1e-8)
    assert E_MICHEL_MAX_MEV == pytest.approx(52.83, abs=0.005)


@pytest.mark.parametrize(("kind", "shape", "mean_x"), [
    ("nue", lambda x: 12 * x**2 * (1 - x), 0.6),
    ("numubar", lambda x: 2 * x**2 * (3 - 2 * x), 0.7),
])  # fmt: skip
def test_michel_spectra_normalisation_mean_and_inverse(kind, shape, mean_x):
    pdf = MichelPdf(kind)
    E0 = E_MICHEL_MAX_MEV
    assert integrate.quad(pdf, 0, E0)[0] == pytest.approx(1.0, abs=1e-12)
    assert integrate.quad(lambda e: e * pdf(e), 0, E0)[0] / E0 == pytest.approx(mean_x, rel=1e-10)
    assert pdf.mean() == pytest.approx(mean_x * E0, rel=1e-12)
    x = np.linspace(0.05, 0.95, 7)
    assert np.allclose(pdf(x * E0), shape(x) / E0, rtol=1e-12)
    assert pdf(np.array([-1.0, E0 + 1.0])).tolist() == [0.0, 0.0]
    assert pdf.cdf(0.4 * E0) == pytest.approx(integrate.quad(lambda t: shape(t), 0, 0.4)[0], rel=1e-12)
    u = np.random.default_rng(3).random(1000)
    assert np.allclose(pdf.cdf(pdf.ppf(u)), u, atol=1e-12)
    sample = pdf.sample(200_000, np.random.default_rng(4))
    assert sample.mean() / E0 == pytest.approx(mean_x, abs=3e-3)  # ~0.2 / sqrt(2e5) ~ 5e-4 statistical


def test_source_components_and_flux_per_stopped_pion():
    assert "lsnd_dar" in SOURCES
    src = get_source("lsnd_dar", distance_m=30.0)
    assert [c.name for c in src.components] == ["numu", "nue", "numubar"]
    flux = 1.0 / (4 * math.pi * 3000.0**2)  # cm^-2 per pi+ decay at 30 m
    for c in src.components:
        assert c.flux == pytest.approx(flux, rel=1e-12)
    numu, nue, numubar = src.components
    assert numu.is_line and numu.flavour == "mu" and not numu.antineutrino
    assert nue.flavour == "e" and not nue.antineutrino and numubar.flavour == "mu" and numubar.antineutrino
    assert src.mean_energy_MeV("numu") == pytest.approx(E_NUMU_LINE_MEV)
    assert np.array_equal(src.arrival_probabilities("nue", np.ones(2)), [[1, 1], [0, 0], [0, 0]])
    assert src.exposure_label == "t pi+ DAR"
    assert get_source("lsnd_dar").component("nue").flux == pytest.approx(flux * (30.0 / 29.8) ** 2)
    with pytest.raises(InvalidParameterError, match="distance_m"):
        get_source("lsnd_dar", distance_m=-1)
    with pytest.raises(InvalidParameterError, match="kind"):
        MichelPdf("numu")


def test_cli_spectrum_and_generate_with_the_source(capsys, tmp_path):
    from nugen.cli import main

    model = ["--mass", "10", "--mu", "1e-7", "--flavour", "e"]
    where = ["--target", "mineral_oil", "--source", "lsnd_dar", "--recoil", "nuclear"]
    code = main(["spectrum", *where, *model, "--bins", "0.00001:0.01:4", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "lsnd_dar" in out
    path = tmp_path / "ev.hepmc3"
    code = main(["generate", *where, *model, "--events", "50", "-o", str(path)])
    assert code == 0, capsys.readouterr().err
    assert path.stat().st_size > 0
