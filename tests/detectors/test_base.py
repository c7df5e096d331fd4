"""The shared detector base (issue 5): registry errors, settings, analytic vs event-by-event response,
and missing or corrupted data tables.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
from scipy import stats

import detectors.borexino
import detectors.data
import detectors.xenon1t
import nugen.tables
from detectors import DETECTORS, get_detector
from nugen.errors import DataFileError, InvalidParameterError, UnknownNameError
from nugen.model import DipolePortal


def test_registry_lists_the_detectors():
    assert {"xenon1t", "borexino", "darwin"} <= set(DETECTORS)


@pytest.mark.parametrize(
    ("typo", "first"), [("xenon", "xenon1t"), ("borexin", "borexino"), ("darwn", "darwin")]
)
def test_unknown_detector_lists_known_ones_closest_first(typo, first):
    with pytest.raises(UnknownNameError) as err:
        get_detector(typo)
    assert err.value.known[0] == first
    assert repr(typo) in str(err.value)
    assert set(err.value.known) == set(DETECTORS)


def test_unknown_setting_and_bad_values_name_the_value():
    with pytest.raises(UnknownNameError, match=r"'tritum'.*known: tritium"):
        get_detector("xenon1t", tritum="free")
    with pytest.raises(InvalidParameterError, match="'abc'"):
        get_detector("darwin", exposure_t_yr="abc")
    with pytest.raises(InvalidParameterError, match="energy_scale"):
        get_detector("borexino", energy_scale="-1")


@pytest.mark.parametrize("name", ["xenon1t", "borexino", "darwin"])
def test_expected_counts_components_and_user_bins(name):
    det = get_detector(name)
    model = DipolePortal(0.0, 3e-11)
    out = det.expected_counts(model)
    nb = det.analysis_edges_MeV().size - 1
    assert {"dipole", "sm_nu", "background"} <= set(out)
    assert all(v.shape == (nb,) for v in out.values())
    bkg = [k for k in out if k.startswith("bkg:")]
    np.testing.assert_allclose(sum(out[k] for k in bkg), out["background"])
    by = det.sm_counts_by_component()
    np.testing.assert_allclose(sum(by.values()), out["sm_nu"], rtol=1e-12)
    # universal template rows add up to the universal signal
    np.testing.assert_allclose(det.signal_templates(0.0).sum(axis=0) * 9e-22, out["dipole"], rtol=1e-12)
    # user bins: signal and SM only; a merged binning conserves the counts
    edges = det.analysis_edges_MeV()
    merged = det.expected_counts(model, edges[::1] if nb % 2 else edges[::2])
    assert set(merged) == {"dipole", "sm_nu"}
    assert merged["dipole"].sum() == pytest.approx(out["dipole"].sum(), rel=1e-6)


def _sample_true_energies(det, model, n, rng):
    """Inverse-CDF sampling of dR/dT (dipole + SM) on a fine grid over the detector's integration range."""
    t_lo, t_hi = det._true_range(det.analysis_edges_MeV())
    T = np.geomspace(t_lo, t_hi, 12001)
    rate = det.rates.dipole_rate(T, model).sum(axis=0) + det.rates.sm_rate(T, det.scatterer).sum(axis=0)
    cells = 0.5 * (rate[1:] + rate[:-1]) * np.diff(T)
    cdf = np.concatenate([[0.0], np.cumsum(cells)])
    total = cdf[-1] * det.exposure_t_yr  # true events in [t_lo, t_hi] for the exposure
    return np.interp(rng.random(n), cdf / cdf[-1], T), total


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("xenon1t", DipolePortal(0.0, 3e-11)),
        ("xenon1t", DipolePortal(0.15, 5e-11)),
        ("borexino", DipolePortal(0.0, 5e-11)),
        ("darwin", DipolePortal(0.05, 1e-11, flavour="mu")),
    ],
)
def test_expected_counts_agree_with_a_smeared_sample(name, model, rng):
    det = get_detector(name)
    T, total = _sample_true_energies(det, model, 400_000, rng)
    e_obs, eff = det.smear(T, rng)
    edges = det.analysis_edges_MeV()
    scale = total / T.size
    hist = np.histogram(e_obs, edges, weights=eff)[0] * scale
    var = np.histogram(e_obs, edges, weights=eff**2)[0] * scale**2
    exp = det.expected_counts(model)
    expected = exp["dipole"] + exp["sm_nu"]
    ok = var > 0
    chi2 = float(np.sum((hist[ok] - expected[ok]) ** 2 / var[ok]))
    p = stats.chi2.sf(chi2, ok.sum())
    assert p > 1e-3, (chi2, ok.sum())
    assert hist.sum() == pytest.approx(expected.sum(), rel=0.01)


def test_smear_is_seeded_and_masks_outside_the_window():
    det = get_detector("xenon1t")
    T = np.array([0.2, 3.0, 10.0, 40.0, 80.0]) * 1e-3
    a = det.smear(T, 7)
    b = det.smear(T, 7)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1][-1] == 0.0  # 80 keV is observed outside 1-30 keV


# -- data tables ----------------------------------------------------------------------------------
_CACHES = (
    nugen.tables.read_table,
    detectors.xenon1t.load_release,
    detectors.xenon1t.load_efficiency,
    detectors.borexino._spectrum,
    detectors.data.parameters,
)


@pytest.fixture
def fresh_tables():
    for c in _CACHES:
        c.cache_clear()
    yield
    for c in _CACHES:
        c.cache_clear()


def _patch_table(monkeypatch, filename, text):
    """Make ``detectors.data/<filename>`` read as ``text`` (None: missing)."""
    real_files = resources.files

    class Fake:
        def __init__(self, path):
            self.path = path

        def read_text(self, encoding="utf-8"):
            if text is None:
                raise FileNotFoundError(filename)
            return text

    class Dir:
        def __init__(self, package):
            self.real = real_files(package)

        def joinpath(self, name):
            return Fake(name) if name == filename else self.real.joinpath(name)

    def files(package):
        return Dir(package) if package == "detectors.data" else real_files(package)

    monkeypatch.setattr(nugen.tables.resources, "files", files)


@pytest.mark.parametrize(
    ("detector", "filename"),
    [
        ("xenon1t", "xenon1t_sr1_data.csv"),
        ("xenon1t", "xenon1t_sr1_efficiency.csv"),
        ("borexino", "borexino_phase2_spectrum.csv"),
        ("borexino", "borexino_phase2_model.csv"),
    ],
)
def test_missing_table_is_an_error_naming_the_file(monkeypatch, fresh_tables, detector, filename):
    _patch_table(monkeypatch, filename, None)
    with pytest.raises(DataFileError, match=filename):
        get_detector(detector).backgrounds()


@pytest.mark.parametrize(
    ("filename", "text"),
    [
        ("xenon1t_sr1_data.csv", "# cites arXiv:2006.09721\nE_lo_keV,E_hi_keV,N_obs\n1,2,26\n2,3\n"),
        (
            "xenon1t_sr1_background.csv",
            "# arXiv:2006.09721\nE_lo_keV,E_hi_keV,B0_counts,H3_counts\n1,2,nan,1\n",
        ),
        ("xenon1t_sr1_efficiency.csv", "# arXiv:2006.09721\nE_keV,efficiency\n0,0\n1,1.7\n"),
        ("xenon1t_sr1_params.csv", "# arXiv:2006.09721\nparameter,value,unit,source\nexposure,0.65,t yr,x\n"),
    ],
)
def test_corrupted_table_is_an_error_naming_the_file(monkeypatch, fresh_tables, filename, text):
    _patch_table(monkeypatch, filename, text)
    with pytest.raises(DataFileError, match=filename):
        get_detector("xenon1t").backgrounds()


def test_corrupted_borexino_spectrum(monkeypatch, fresh_tables):
    text = "# Nature 562, 505\nN_h,E_keV,width_keV,counts\n92,212.2,2.35,11475\n94,216.9,2.35,6836\n"
    _patch_table(monkeypatch, "borexino_phase2_spectrum.csv", text)
    with pytest.raises(DataFileError, match=r"borexino_phase2_spectrum\.csv"):
        get_detector("borexino")


def test_integer_settings_accept_whole_numbers_in_range_and_name_the_bad_value():
    from detectors.base import parse_int_range

    parse = parse_int_range("n_mc", 1000, 10_000)
    assert parse("2000") == 2000 and parse(1000) == 1000 and parse(10_000) == 10_000
    with pytest.raises(InvalidParameterError, match=r"n_mc must be a whole number, got '2\.5'"):
        parse("2.5")
    with pytest.raises(InvalidParameterError, match="n_mc must be between 1000 and 10000, got '999'"):
        parse("999")
    hits = parse_int_range("hits_per_bin", 1, 100, "of N_h hits")
    with pytest.raises(InvalidParameterError, match="whole number of N_h hits, got 'x'"):
        hits("x")
    with pytest.raises(InvalidParameterError, match="hits_per_bin must be between 1 and 100"):
        get_detector("borexino", hits_per_bin="0")
