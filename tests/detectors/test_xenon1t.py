"""XENON1T SR1 (issue 5): released data and B0, response, and the published numbers (physics.md Sec. 6.1, 7).

References are computed here from the numbers in physics.md (items 11, 13, 17) and the published
parametrisations, never from the detector code.
"""

from __future__ import annotations

import numpy as np
import pytest

from detectors import get_detector
from detectors.xenon1t import load_efficiency
from nugen.errors import InvalidParameterError, UnknownNameError
from nugen.model import DipolePortal
from nugen.tables import read_table

KEV = 1e-3


@pytest.fixture(scope="module")
def x1t():
    return get_detector("xenon1t")


def _efficiency_table():
    t = read_table("detectors.data", "xenon1t_sr1_efficiency.csv")
    return t["E_keV"], t["efficiency"]


def _integrated_efficiency(a_keV, b_keV):
    """∫ eps dE over [a, b] keV from the released table (fine trapezoid), independent of the code."""
    E, eff = _efficiency_table()
    x = np.linspace(a_keV, b_keV, 4001)
    y = np.interp(x, E, eff)
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


def test_binning_window_exposure_and_flags(x1t):
    edges = x1t.analysis_edges_MeV() / KEV
    np.testing.assert_allclose(edges, np.arange(1.0, 31.0))
    assert x1t.exposure_t_yr == 0.65  # arXiv:2006.09721 abstract
    assert x1t.target == "xenon" and x1t.scatterer == "electron"
    assert x1t.sm_in_background is True  # B0 contains the solar-neutrino ERs


def test_b0_and_data_in_1_to_7_keV(x1t):
    b0 = x1t.backgrounds()
    assert [b.name for b in b0] == ["B0"]
    assert b0[0].counts[:6].sum() == pytest.approx(232, abs=3)  # paper: 232 +- 15 expected
    assert x1t.observed()[:6].sum() == 285  # paper: 285 observed
    assert x1t.observed().sum() == 1261
    # B0 normalisation uncertainty: 2/76 from the abstract's 76 +- 2 events/(t yr keV)
    assert b0[0].rel_uncertainty == pytest.approx(2 / 76)


def test_b0_mean_efficiency_corrected_rate_matches_the_abstract(x1t):
    # 76 +- 2 events/(t yr keV) in 1-30 keV (abstract): B0 / (exposure x ∫eff dE)
    b0 = x1t.backgrounds()[0].counts.sum()
    rate = b0 / (0.6473 * _integrated_efficiency(1, 30))
    assert rate == pytest.approx(76, abs=2.5)


def test_tritium_setting():
    free = get_detector("xenon1t", tritium="free")
    names = [b.name for b in free.backgrounds()]
    assert names == ["B0", "tritium"]
    h3 = free.backgrounds()[1]
    assert h3.rel_uncertainty is None  # unconstrained normalisation
    assert h3.counts[:6].sum() == pytest.approx(46.0, abs=0.1)  # template for 6.2e-25 mol/mol
    with pytest.raises(UnknownNameError, match="free"):
        get_detector("xenon1t", tritium="maybe")


def test_exposure_setting_makes_a_projection():
    x = get_detector("xenon1t", exposure_t_yr="1.3")
    assert x.observed() is None
    ref = get_detector("xenon1t")
    np.testing.assert_allclose(x.backgrounds()[0].counts, 2.0 * ref.backgrounds()[0].counts)
    m = DipolePortal(0.0, 2e-11)
    np.testing.assert_allclose(x.expected_counts(m)["dipole"], 2.0 * ref.expected_counts(m)["dipole"])
    with pytest.raises(InvalidParameterError, match="exposure_t_yr"):
        get_detector("xenon1t", exposure_t_yr=-1)


@pytest.mark.parametrize("E_keV", [1.0, 5.0, 10.0])
def test_resolution_is_the_published_parametrisation(x1t, E_keV):
    expected = 0.310 * np.sqrt(E_keV) + 0.0037 * E_keV  # arXiv:2006.09721 Eq. 1 [keV]
    assert float(x1t.resolution_MeV(E_keV * KEV)) / KEV == pytest.approx(expected, rel=1e-12)


def test_efficiency_round_trips_the_released_table(x1t):
    E, eff = _efficiency_table()
    inside = (E >= 1.0) & (E <= 30.0)
    np.testing.assert_allclose(x1t.efficiency(E[inside] * KEV), eff[inside], rtol=0, atol=1e-12)
    E2, eff2 = load_efficiency()
    np.testing.assert_array_equal(E2, E)
    np.testing.assert_array_equal(eff2, eff)
    # outside the analysis window the efficiency is zero
    assert np.all(x1t.efficiency(np.array([0.5, 0.99, 30.01, 100.0]) * KEV) == 0)
    # PROVENANCE.md check values (linear interpolation)
    got = x1t.efficiency(np.array([1, 2, 5, 10, 30]) * KEV)
    np.testing.assert_allclose(got, [0.127, 0.725, 0.882, 0.887, 0.889], atol=6e-4)


@pytest.mark.parametrize(("lo", "hi", "rate"), [(2.0, 3.0, 2.69), (9.5, 10.5, 3.09)])
def test_sm_solar_neutrino_counts_vs_physics_md(x1t, lo, hi, rate):
    # physics.md item 11: SM nu-e rate 2.69 (2 keV) and 3.09 (10 keV) events/(t yr keV), s_W^2 = 0.23121.
    # The rate is flat to <1 % over these bins and smearing conserves a flat spectrum, so the observed
    # counts are rate x exposure x ∫ eps dE.
    ref = rate * 0.65 * _integrated_efficiency(lo, hi)
    ours = float(x1t.sm_counts(np.array([lo, hi]) * KEV)[0])
    assert ours == pytest.approx(ref, rel=0.015)
    # and in the analysis bins the SM counts are a small part of B0 (they are inside it)
    sm = x1t.expected_counts(DipolePortal(0.0, 0.0))["sm_nu"]
    assert 0.02 < sm.sum() / x1t.backgrounds()[0].counts.sum() < 0.06


def test_universal_mu_2e11_adds_about_37_events_in_1_to_7_keV(x1t):
    counts = x1t.expected_counts(DipolePortal(0.0, 2e-11, flavour="universal"))["dipole"]
    # physics.md item 13: 81.9 true events/(t yr) in 1-7 keV x 0.65 t yr x released efficiency ~ 37
    assert counts[:6].sum() == pytest.approx(37.0, abs=1.5)
    # independent rough check: item 13's true count times the mean efficiency over 1-7 keV
    mean_eff = _integrated_efficiency(1, 7) / 6.0
    assert counts[:6].sum() == pytest.approx(81.9 * 0.65 * mean_eff, rel=0.15)


def test_mu_of_the_size_of_the_excess_is_about_2p4e11(x1t):
    per_mu2 = x1t.signal_templates(0.0).sum(axis=0)[:6].sum()  # universal: sum over flavours, mu = 1 mu_B
    excess = x1t.observed()[:6].sum() - x1t.backgrounds()[0].counts[:6].sum()
    mu = np.sqrt(excess / per_mu2)
    assert mu == pytest.approx(2.4e-11, abs=0.1e-11)  # physics.md item 13
    assert 1.4e-11 < mu < 2.9e-11  # inside XENON1T's 90 % CL interval (item 17)


def test_signal_scales_as_mu_squared_and_vanishes_beyond_reach(x1t):
    a = x1t.expected_counts(DipolePortal(0.05, 1e-11))["dipole"]
    b = x1t.expected_counts(DipolePortal(0.05, 3e-11))["dipole"]
    np.testing.assert_allclose(b, 9 * a, rtol=1e-12)
    # above the 8B/hep endpoints no N can be produced: zero signal is a valid answer
    assert np.all(x1t.expected_counts(DipolePortal(25.0, 1e-10))["dipole"] == 0)
