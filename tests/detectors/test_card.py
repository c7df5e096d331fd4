"""Detector cards (issue 13): a card reproduces a built-in detector, validates its input; shipped cards.

The equivalence test writes, in a temporary directory, a card built from the same published inputs as the
XENON1T module (released efficiency, B0, data; Eq. 1 resolution; 2/76 B0 constraint) and compares the two
detectors: two independent code paths (Python module vs card reader) from the same numbers.
"""

from __future__ import annotations

import math
import time
from importlib import resources

import numpy as np
import pytest

from detectors import DETECTORS, get_detector
from detectors.card import SHIPPED_CARDS, CardDetector, read_card, shipped_card_path
from fits.limits import detector_limit
from nugen.errors import CardError
from nugen.model import DipolePortal
from nugen.tables import read_table

KEV = 1e-3


# -- a card equivalent to the XENON1T module -------------------------------------------------------
def _x1t_card(tmp_path):
    """Write the XENON1T SR1 inputs as a card (rates per t yr keV from the released counts for 0.65 t yr)."""
    rel = read_table("detectors.data", "xenon1t_sr1_background.csv")
    data = read_table("detectors.data", "xenon1t_sr1_data.csv")
    exposure = 0.65  # arXiv:2006.09721 abstract, the module's default
    lines = [
        "# XENON1T SR1 B0 as a rate (released counts / 0.65 t yr / 1 keV)",
        "E_lo_keV,E_hi_keV,rate_per_t_yr_keV",
    ]
    lines += [
        f"{lo:g},{hi:g},{float(b / exposure / (hi - lo))!r}"
        for lo, hi, b in zip(*(rel[c] for c in ("E_lo_keV", "E_hi_keV", "B0_counts")), strict=True)
    ]
    (tmp_path / "b0.csv").write_text("\n".join(lines) + "\n")
    eff = resources.files("detectors.data").joinpath("xenon1t_sr1_efficiency.csv").read_text()
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "eff.csv").write_text(eff)
    counts = ", ".join(f"{n:g}" for n in data["N_obs"])
    card = tmp_path / "x1t.toml"
    card.write_text(
        f"""
name = "x1t_card"
title = "XENON1T SR1 as a card"
citations = ["E. Aprile et al. (XENON), PRD 102 (2020) 072004, arXiv:2006.09721"]
channel = "electron"
target = "xenon"

[exposure]
tonne_years = {exposure}

[window]
min_keV = 1
max_keV = 30
bin_width_keV = 1

[resolution]
a = 0.310
b = 0.0037

[efficiency]
table = "tables/eff.csv"

[[background]]
name = "B0"
binned = "b0.csv"
includes_efficiency = true
rel_uncertainty = {2 / 76!r}

[solar_neutrinos]
in_background = true

[data]
counts = [{counts}]
"""
    )
    return card


@pytest.fixture(scope="module")
def x1t_pair(tmp_path_factory):
    card = _x1t_card(tmp_path_factory.mktemp("x1t"))
    return get_detector("xenon1t"), get_detector(str(card))


def test_card_equal_to_xenon1t_module_gives_same_counts_to_1e3(x1t_pair):
    module, card = x1t_pair
    model = DipolePortal(0.0, 2e-11)
    a, b = module.expected_counts(model), card.expected_counts(model)
    for key in ("dipole", "sm_nu", "background"):
        np.testing.assert_allclose(b[key], a[key], rtol=1e-3, err_msg=key)
    np.testing.assert_array_equal(card.observed(), module.observed())
    np.testing.assert_allclose(card.analysis_edges_MeV(), module.analysis_edges_MeV())


def test_card_equal_to_xenon1t_module_gives_same_limit_to_1_percent(x1t_pair):
    module, card = x1t_pair
    for asimov in (False, True):
        a = detector_limit(module, 0.0, "universal", asimov=asimov).mu_upper_muB
        b = detector_limit(card, 0.0, "universal", asimov=asimov).mu_upper_muB
        assert b == pytest.approx(a, rel=0.01), asimov
    a = detector_limit(module, 0.5, "mu", asimov=True).mu_upper_muB
    assert detector_limit(card, 0.5, "mu", asimov=True).mu_upper_muB == pytest.approx(a, rel=0.01)


def test_card_exposure_setting_makes_a_projection(x1t_pair):
    _, card = x1t_pair
    proj = CardDetector(card.card, exposure_t_yr=6.5)
    assert proj.observed() is None
    np.testing.assert_allclose(proj.backgrounds()[0].counts, 10 * card.backgrounds()[0].counts, rtol=1e-12)
    np.testing.assert_allclose(proj.sm_counts(), 10 * card.sm_counts(), rtol=1e-12)


# -- the three background forms against hand integrals ---------------------------------------------
def _write(tmp_path, body, name="c.toml"):
    p = tmp_path / name
    p.write_text(body)
    return p


BASE = """
name = "toy"
title = "toy detector"
channel = "electron"
target = "{target}"

[exposure]
{exposure}

[window]
min_keV = 2
max_keV = 10
bin_width_keV = 2

[resolution]
a = 0.3
b = 0.0

[efficiency]
threshold_keV = 4
plateau = 0.5
{extra}
[solar_neutrinos]
in_background = false
rel_uncertainty = 0.05
"""


def _card(tmp_path, extra="", exposure="tonne_years = 2.0", target="xenon", name="c.toml"):
    return _write(tmp_path, BASE.format(extra=extra, exposure=exposure, target=target), name)


def test_flat_spectrum_and_binned_backgrounds_match_hand_counts(tmp_path):
    (tmp_path / "spec.csv").write_text("# toy\nE_keV,rate_per_t_yr_keV\n0,1\n20,21\n")  # r = 1 + E
    (tmp_path / "bins.csv").write_text(
        "# toy\nE_lo_keV,E_hi_keV,rate_per_t_yr_keV\n2,4,1\n4,6,2\n6,8,3\n8,10,4\n"
    )
    extra = """
[[background]]
name = "flat"
rate_per_t_yr_keV = 3.0
rel_uncertainty = 0.1

[[background]]
name = "lin"
spectrum = "spec.csv"
free = true

[[background]]
name = "bins"
binned = "bins.csv"
rel_uncertainty = 0.2
"""
    d = get_detector(str(_card(tmp_path, extra)))
    got = {b.name: b.counts for b in d.backgrounds()}
    # T = 2 t yr, efficiency 0 below 4 keV and 0.5 above: bins 2-4, 4-6, 6-8, 8-10 keV
    eff_width = np.array([0.0, 1.0, 1.0, 1.0])  # ∫ eps dE per bin [keV]
    np.testing.assert_allclose(got["flat"], 3.0 * 2.0 * eff_width, rtol=1e-12)
    lin = (
        2.0
        * 0.5
        * np.array([0.0, *(((b + 1) ** 2 - (a + 1) ** 2) / 2 for a, b in ((4, 6), (6, 8), (8, 10)))])
    )
    np.testing.assert_allclose(got["lin"], lin, rtol=1e-9)
    np.testing.assert_allclose(got["bins"], 2.0 * 2.0 * 0.5 * np.array([0, 2, 3, 4]), rtol=1e-12)
    assert [b.rel_uncertainty for b in d.backgrounds()] == [0.1, None, 0.2]
    assert d.observed() is None and d.sm_in_background is False and d.sm_rel_uncertainty == 0.05


def test_scale_multiplies_every_background_form(tmp_path):
    (tmp_path / "spec.csv").write_text("# toy\nE_keV,rate_per_t_yr_keV\n0,1\n20,21\n")
    forms = {"flat": "rate_per_t_yr_keV = 3.0", "lin": 'spectrum = "spec.csv"'}
    plain = "".join(f'\n[[background]]\nname = "{n}"\n{f}\nfree = true\n' for n, f in forms.items())
    scaled = "".join(
        f'\n[[background]]\nname = "{n}"\n{f}\nscale = 0.3\nfree = true\n' for n, f in forms.items()
    )
    a = get_detector(str(_card(tmp_path, plain, name="a.toml"))).backgrounds()
    b = get_detector(str(_card(tmp_path, scaled, name="b.toml"))).backgrounds()
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(y.counts, 0.3 * x.counts, rtol=1e-12)
    with pytest.raises(CardError, match=r"background\[0\]\.scale.*> 0"):
        read_card(_card(tmp_path, scaled.replace("scale = 0.3", "scale = -1", 1), name="c.toml"))


def test_mass_times_live_time_exposure(tmp_path):
    d = get_detector(str(_card(tmp_path, exposure="mass_t = 4.37\nlive_days = 97.1")))
    assert d.exposure_t_yr == pytest.approx(4.37 * 97.1 / 365.25, rel=1e-12)


def test_other_target_materials_are_accepted(tmp_path):
    assert get_detector(str(_card(tmp_path, target="pseudocumene"))).target == "pseudocumene"


# -- bad input: one CardError naming the file and the key ------------------------------------------
@pytest.mark.parametrize(
    ("edit", "key", "words"),
    [
        (("plateau = 0.5", "plateu = 0.5"), "efficiency.plateu", "did you mean 'plateau'"),
        (('title = "toy detector"\n', ""), "title", "required but missing"),
        (("tonne_years = 2.0", 'tonne_years = "2 t yr"'), "exposure.tonne_years", "must be a number"),
        (("tonne_years = 2.0", "tonne_years = -1.0"), "exposure.tonne_years", "> 0"),
        (("bin_width_keV = 2", "bin_width_keV = 3"), "window.bin_width_keV", "whole number"),
        (('target = "xenon"', 'target = "xenonn"'), "target", "xenon"),
        (('channel = "electron"', 'channel = "muon"'), "channel", "must be one of"),
        (("plateau = 0.5", "plateau = 1.5"), "efficiency.plateau", "(0, 1]"),
        (("in_background = false", "in_background = 1"), "solar_neutrinos.in_background", "true or false"),
    ],
)
def test_bad_card_raises_card_error_naming_file_and_key(tmp_path, edit, key, words):
    text = BASE.format(extra="", exposure="tonne_years = 2.0", target="xenon")
    assert edit[0] in text
    p = _write(tmp_path, text.replace(edit[0], edit[1], 1))
    with pytest.raises(CardError) as exc:
        read_card(p)
    msg = str(exc.value)
    assert exc.value.key == key and str(p) in msg and words in msg and "\n" not in msg


@pytest.mark.parametrize(
    ("table", "bkg", "key", "words"),
    [
        ("E_keV,rate_per_t_yr_keV\n5,1\n3,1\n", 'spectrum = "t.csv"', "background[0].spectrum", "increasing"),
        ("E_keV,rate_per_t_yr_keV\n1,1\n3,x\n", 'spectrum = "t.csv"', "background[0].spectrum", "t.csv"),
        ("E_keV,rate_per_t_yr_keV\n1,1\n3,-1\n", 'spectrum = "t.csv"', "background[0].spectrum", ">= 0"),
        ("", 'spectrum = "missing.csv"', "background[0].spectrum", "does not exist"),
        (
            "E_lo_keV,E_hi_keV,rate_per_t_yr_keV\n2,4,1\n",
            'binned = "t.csv"',
            "background[0].binned",
            "4 bins",
        ),
        ("", "rate_per_t_yr_keV = -2.0", "background[0].rate_per_t_yr_keV", ">= 0"),
        ("", 'rate_per_t_yr_keV = 1\nspectrum = "t.csv"', "background[0].rate_per_t_yr_keV", "exactly one"),
    ],
)
def test_bad_background_tables_raise_card_error(tmp_path, table, bkg, key, words):
    if table:
        (tmp_path / "t.csv").write_text("# test\n" + table)
    extra = f'\n[[background]]\nname = "b"\n{bkg}\nrel_uncertainty = 0.1\n'
    p = _card(tmp_path, extra)
    with pytest.raises(CardError) as exc:
        read_card(p)
    assert exc.value.key == key and words in str(exc.value) and str(p) in str(exc.value)


def test_missing_uncertainty_is_an_error_not_a_silent_default(tmp_path):
    p = _card(tmp_path, '\n[[background]]\nname = "b"\nrate_per_t_yr_keV = 1.0\n')
    with pytest.raises(CardError, match=r"rel_uncertainty.*required"):
        read_card(p)


def test_invalid_toml_and_missing_file(tmp_path):
    p = _write(tmp_path, "name = \n")
    with pytest.raises(CardError, match="not valid TOML"):
        read_card(p)
    with pytest.raises(CardError, match="does not exist"):
        get_detector(str(tmp_path / "nope.toml"))


def test_observed_counts_must_match_bins_and_be_whole(tmp_path):
    with pytest.raises(CardError, match="3 values for 4"):
        read_card(_card(tmp_path, "\n[data]\ncounts = [1, 2, 3]\n"))
    with pytest.raises(CardError, match="whole numbers"):
        read_card(_card(tmp_path, "\n[data]\ncounts = [1, 2, 3.5, 4]\n"))


def test_shipped_cards_need_citations(tmp_path):
    p = _card(tmp_path)
    assert read_card(p).citations == ()
    with pytest.raises(CardError, match="citations"):
        read_card(p, shipped=True)


# -- shipped cards -----------------------------------------------------------------------------------
def test_shipped_cards_are_registered_cited_and_load_in_under_50_ms():
    assert set(SHIPPED_CARDS) <= set(DETECTORS)
    for name in SHIPPED_CARDS:
        t0 = time.perf_counter()
        card = read_card(shipped_card_path(name), shipped=True)
        elapsed = time.perf_counter() - t0
        assert card.name == name and card.citations and "arXiv" in " ".join(card.citations)
        assert elapsed < 0.5, (
            f"{name}: {elapsed:.3f} s"
        )  # generous: the 50-ms target is benchmarked, not tested
        assert "UNVERIFIED" not in card.header


def test_xenonnt_card_inputs_match_the_publication():
    d = get_detector("xenonnt")
    assert d.exposure_t_yr == 1.16  # arXiv:2207.11330 abstract
    edges = d.analysis_edges_MeV() / KEV
    assert edges[0] == 1 and edges[-1] == 30 and edges.size == 30
    assert d.observed().sum() == 433  # released unbinned events in 1-30 keV
    # abstract: (15.8 +- 1.3) events/(t yr keV) in (1, 30) keV, efficiency-corrected; B0 is released with
    # the efficiency applied, so divide it out bin by bin (bin-centre efficiency, a < 1 % approximation)
    centres = 0.5 * (edges[1:] + edges[:-1]) * KEV
    rate = np.sum(d.backgrounds()[0].counts / d.efficiency(centres)) / (1.16 * 29)
    assert rate == pytest.approx(15.8, abs=1.3)


def test_xenonnt_limit_reproduces_published_value_within_20_percent():
    """XENONnT quotes mu_nu < 6.3e-12 mu_B (90 % CL), PRL 129 (2022) 161805.

    Tolerance 20 % (issue 13): the collaboration fits 1-140 keV with per-component constraints and an
    unbinned likelihood; nugen fits the released 1-30 keV data in 1-keV bins with one B0 normalisation.
    """
    r = detector_limit(get_detector("xenonnt"), 0.0, "universal")
    assert r.mu_upper_muB == pytest.approx(6.3e-12, rel=0.20)
    assert not r.expected and math.isfinite(r.mu_upper_muB)
