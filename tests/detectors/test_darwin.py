"""DARWIN projection (issue 5): documented defaults, settings, the flat background and Asimov data."""

from __future__ import annotations

import numpy as np
import pytest

from detectors import get_detector
from nugen.errors import InvalidParameterError, UnknownNameError
from nugen.model import DipolePortal
from nugen.tables import read_table

KEV = 1e-3


@pytest.fixture(scope="module")
def darwin():
    return get_detector("darwin")


def test_defaults_follow_physics_md_and_the_defaults_table(darwin):
    # physics.md Sec. 6.3: 200 t yr, 1-30 keV, XENON1T resolution/efficiency, flat 0.1 x B0
    assert darwin.exposure_t_yr == 200.0
    np.testing.assert_allclose(darwin.analysis_edges_MeV() / KEV, np.arange(1.0, 31.0))
    assert float(darwin.resolution_MeV(5 * KEV)) / KEV == pytest.approx(0.310 * np.sqrt(5) + 0.0037 * 5)
    x1t = get_detector("xenon1t")
    E = np.linspace(1.0, 30.0, 117) * KEV
    np.testing.assert_array_equal(darwin.efficiency(E), x1t.efficiency(E))
    t = read_table("detectors.data", "darwin_defaults.csv")
    table = dict(zip(t["parameter"], t["value"], strict=True))
    defaults = {s.key: s.default for s in darwin.SETTINGS}
    for key in ("exposure_t_yr", "e_min_keV", "e_max_keV", "background_fraction"):
        assert float(defaults[key]) == table[key]
    assert darwin.observed() is None
    assert darwin.sm_in_background is False


def test_flat_background_is_a_fraction_of_b0():
    d = get_detector("darwin", efficiency="flat", background_fraction=0.5, exposure_t_yr=100)
    (flat,) = d.backgrounds()
    # 0.5 x 76 events/(t yr keV) x 100 t yr x 1 keV per bin (efficiency 1)
    np.testing.assert_allclose(flat.counts, 0.5 * 76 * 100, rtol=1e-12)
    assert flat.rel_uncertainty is None
    c = get_detector("darwin", background_uncertainty="0.05")
    assert c.backgrounds()[0].rel_uncertainty == 0.05


def test_asimov_is_the_background_only_expectation(darwin):
    exp = darwin.expected_counts(DipolePortal(0.0, 1e-11))
    np.testing.assert_allclose(darwin.asimov(), exp["background"] + exp["sm_nu"], rtol=1e-12)


def test_settings_change_the_projection():
    base = get_detector("darwin")
    big = get_detector("darwin", exposure_t_yr="300")
    m = DipolePortal(0.0, 9.5e-12, flavour="mu")
    np.testing.assert_allclose(big.expected_counts(m)["dipole"], 1.5 * base.expected_counts(m)["dipole"])
    np.testing.assert_allclose(big.sm_counts(), 1.5 * base.sm_counts())
    thr = get_detector("darwin", e_min_keV=2, e_max_keV=20, bin_width_keV=0.5)
    assert thr.analysis_edges_MeV().size == 37
    res = get_detector("darwin", resolution="darwin2020")
    assert float(res.resolution_MeV(10 * KEV)) / KEV == pytest.approx(0.313 * np.sqrt(10) + 0.002 * 10)
    with pytest.raises(InvalidParameterError, match="bin_width_keV"):
        get_detector("darwin", e_min_keV=1, e_max_keV=30, bin_width_keV=0.7)
    with pytest.raises(UnknownNameError, match="xenon1t"):
        get_detector("darwin", resolution="perfect")
    with pytest.raises(InvalidParameterError, match="background_fraction"):
        get_detector("darwin", background_fraction=-0.1)


def test_numu_signal_at_the_published_sensitivity_is_visible(darwin):
    # the nu_mu-only dipole at 9.5e-12 mu_B (digitised Brdar et al. projection) in 200 t yr:
    # hundreds of events over ~1.4e4 SM + ~4e4 background events; documented calibration in validation.md
    exp = darwin.expected_counts(DipolePortal(0.0, 9.5e-12, flavour="mu"))
    assert 500 < exp["dipole"].sum() < 2000
    assert exp["dipole"][:3].sum() > exp["dipole"][10:].sum() / 3  # 1/T: concentrated at low energy
