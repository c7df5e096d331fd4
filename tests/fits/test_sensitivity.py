"""fits.sensitivity: median = Asimov limit, closed-form counting cases, toys vs asymptotics, exposures."""

from __future__ import annotations

import itertools
import json
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from detectors import get_detector
from detectors.base import Background, Detector, Setting, parse_positive
from fits.likelihood import BinnedLikelihood, Component
from fits.limits import detector_limit, thresholds
from fits.sensitivity import (
    BAND_KEYS,
    SensitivityResult,
    band_thresholds,
    detector_sensitivity,
    discovery_s,
    likelihood_sensitivity,
    sensitivity_scan,
    with_exposure,
)
from nugen.errors import InvalidParameterError, UnknownNameError

Z = norm.ppf(0.9)  # 1.2816
Z2 = norm.ppf(0.95)  # 1.6449


def one_bin(b, signal_per_mu2=1.0):
    """One bin, background known to 1e-7 (profiling it changes nothing), data = background (Asimov)."""
    return BinnedLikelihood([b], [signal_per_mu2], [Component("b", [b], 1e-7)])


def asimov_q(s, b):
    """Background-only Asimov q_A(s) of one bin with known b: 2 [s - b ln(1 + s/b)]."""
    return 2.0 * (s - b * math.log1p(s / b))


def asimov_z(s, b):
    """Cowan et al. Eq. (97): median significance of s over a known b, sqrt(2((s+b) ln(1+s/b) - s))."""
    return math.sqrt(2.0 * ((s + b) * math.log1p(s / b) - s))


class CountingDetector(Detector):
    """One bin; signal and background both proportional to the exposure (a setting)."""

    name = "counting"
    title = "one-bin counting experiment"
    SETTINGS = (Setting("exposure_t_yr", 1.0, "t yr", "exposure", parse_positive("exposure_t_yr")),)
    B_PER_T_YR = 1e6  # background events per t yr (s/b ~ 1e-3: the asymptotic regime)
    S_PER_T_YR = 1e24  # signal events per t yr per mu_B^2

    @property
    def exposure_t_yr(self):
        return float(self.settings["exposure_t_yr"])

    def resolution_MeV(self, E_MeV):
        return np.full_like(np.asarray(E_MeV, dtype=float), 1e-4)

    def efficiency(self, E_obs_MeV):
        return np.ones_like(np.asarray(E_obs_MeV, dtype=float))

    def analysis_edges_MeV(self):
        return np.array([1e-3, 2e-3])

    def signal_templates(self, M_N, edges_MeV=None):
        return np.array([[self.S_PER_T_YR * self.exposure_t_yr], [0.0], [0.0]])

    def sm_counts(self, edges_MeV=None):
        return np.zeros(1)

    def backgrounds(self):
        return [Background("b", np.array([self.B_PER_T_YR * self.exposure_t_yr]), 1e-7)]


# -- thresholds and closed forms ------------------------------------------------------------------
def test_band_thresholds_follow_the_limit_procedure():
    c = band_thresholds(0.9)
    assert c[0] == pytest.approx(thresholds(0.9)[0], rel=1e-12) == pytest.approx(Z**2, rel=1e-10)
    assert c[1] == pytest.approx((1 + Z) ** 2, rel=1e-10)  # 0 <= N < z2: one-sided
    assert c[2] == pytest.approx((2 + Z2) ** 2, rel=1e-10)  # N >= z2: the interval's upper edge
    for n in (-1, -2):  # deficit: s_up = sigma (N + sqrt(N^2 + z^2))
        assert c[n] == pytest.approx((n + math.sqrt(n * n + Z * Z)) ** 2, rel=1e-10)
    assert [round(c[n], 3) for n in (-2, -1, 0, 1, 2)] == [0.141, 0.391, 1.642, 5.205, 13.285]
    # at 68 % CL, z2 = 0.994 < 1: both upper edges are interval edges
    c68 = band_thresholds(0.68)
    assert c68[1] == pytest.approx((1 + norm.ppf(0.84)) ** 2, rel=1e-8)


def test_one_bin_counting_median_is_1_2816_sqrt_b():
    # s << b: sigma = sqrt(b), median s_up = z sqrt(b); b = 1e6 makes s/b ~ 1e-3 (correction ~ s/3b)
    b = 1e6
    p = likelihood_sensitivity(one_bin(b), 0.9)
    assert p.median_events == pytest.approx(Z * math.sqrt(b), rel=1e-3)
    assert p.median_muB == pytest.approx(math.sqrt(p.median_events), rel=1e-12)  # signal 1 per mu_B^2
    for key, n in BAND_KEYS.items():
        assert p.band_events[key] == pytest.approx(math.sqrt(band_thresholds(0.9)[n] * b), rel=2e-3)


@pytest.mark.parametrize("b", [30.0, 1e3])
def test_one_bin_band_edges_are_roots_of_the_asimov_q(b):
    # exact for any b: each edge solves 2 [s - b ln(1 + s/b)] = c_N (independent brentq)
    p = likelihood_sensitivity(one_bin(b), 0.9)
    c = band_thresholds(0.9)
    for key, n in {**BAND_KEYS, "0": 0}.items():
        s_ref = brentq(lambda s, n=n: asimov_q(s, b) - c[n], 1e-9, 100 * b, xtol=1e-12)
        got = p.median_events if n == 0 else p.band_events[key]
        assert got == pytest.approx(s_ref, rel=2e-4), key


@pytest.mark.parametrize("b", [10.0, 400.0])
def test_discovery_reach_has_the_closed_form_asimov_significance(b):
    p = likelihood_sensitivity(one_bin(b, signal_per_mu2=1e22), 0.9, discovery=True)
    for z in ("3", "5"):
        s = p.discovery_muB[z] ** 2 * 1e22
        assert asimov_z(s, b) == pytest.approx(float(z), abs=2e-4)
    assert discovery_s(one_bin(b), 3.0) < discovery_s(one_bin(b), 5.0)


# -- detectors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "mass", "flavour"),
    [("darwin", 0.0, "mu"), ("darwin", 0.15, "universal"), ("xenon1t", 0.0, "universal")],
)
def test_median_equals_the_asimov_limit(name, mass, flavour):
    p = detector_sensitivity(name, mass, flavour)
    assert p.median_muB == detector_limit(name, mass, flavour, asimov=True).mu_upper_muB
    assert p.method == "asimov" and p.reason is None and p.fit_valid


def test_bands_are_ordered_and_close_to_the_gaussian_ratios():
    det = get_detector("darwin")
    c = band_thresholds(0.9)
    for mass in (0.0, 0.1, 0.3):
        p = detector_sensitivity(det, mass, "mu")
        mus = [p.band_muB["-2"], p.band_muB["-1"], p.median_muB, p.band_muB["+1"], p.band_muB["+2"]]
        assert all(a < b for a, b in itertools.pairwise(mus)), mus
        # s_N / s_0 = sqrt(c_N / c_0) for a constant sigma; DARWIN's sigma grows slowly with s
        for key, n in BAND_KEYS.items():
            ratio = p.band_events[key] / p.median_events
            assert ratio == pytest.approx(math.sqrt(c[n] / c[0]), rel=0.05), (mass, key)


def test_asimov_and_toy_bands_agree_within_the_quantile_errors():
    # The p-quantile of n toys has a binomial standard error sqrt(p (1 - p) / n) in probability, i.e.
    # sqrt(p (1 - p) / n) / phi(N) in N = Phi^-1(p); the limit moves with N as
    # ds/dN = sigma (1 + N / sqrt(N^2 + z^2)) below the median and sigma above, so the error of mu
    # = sqrt(s / S) is (ds/dN) dN / (2 s). Compare within 3.5 of those errors (plus 1 % for the
    # asymptotic approximation itself; DARWIN has ~1e5 events per bin).
    n_toys = 400
    det = get_detector("darwin")
    asym = detector_sensitivity(det, 0.0, "mu")
    toys = detector_sensitivity(det, 0.0, "mu", toys=n_toys, seed=2024)
    assert toys.method == "toys" and toys.n_toys == n_toys and toys.n_toys_without_limit == 0
    sigma = asym.median_events / Z
    for key, n in {**BAND_KEYS, "0": 0}.items():
        p = norm.cdf(n)
        dn = math.sqrt(p * (1 - p) / n_toys) / norm.pdf(n)
        slope = sigma * (1 + n / math.sqrt(n * n + Z * Z)) if n < 0 else sigma
        s = asym.median_events if n == 0 else asym.band_events[key]
        rel_err = slope * dn / (2 * s)
        a = asym.median_muB if n == 0 else asym.band_muB[key]
        t = toys.median_muB if n == 0 else toys.band_muB[key]
        assert t == pytest.approx(a, rel=3.5 * rel_err + 0.01), (key, t / a - 1, rel_err)


def test_toys_are_reproducible_and_independent_of_the_execution():
    kw = {"toys": 8, "seed": 11, "masses": [0.0, 0.05, 0.1]}
    a = sensitivity_scan("darwin", kw.pop("masses"), "mu", **kw)
    b = sensitivity_scan("darwin", [0.1, 0.0, 0.05], "mu", chunk_size=1, **kw)
    assert a.to_dict() == b.to_dict()
    assert a.seed == 11 and a.method == "toys"
    c = sensitivity_scan("darwin", [0.0, 0.05, 0.1], "mu", toys=8, seed=12)
    assert c.points[0].median_muB != a.points[0].median_muB
    fresh = sensitivity_scan("darwin", [0.0], "mu", toys=3)
    again = sensitivity_scan("darwin", [0.0], "mu", toys=3, seed=fresh.seed)  # the recorded entropy
    assert again.points[0].band_muB == fresh.points[0].band_muB


def test_exposure_scaling_of_a_background_dominated_counting_experiment():
    # s ∝ T mu^2 and b ∝ T; s_up ≈ z sqrt(b) ∝ sqrt(T), so mu_up^2 ∝ T^-1/2, mu_up ∝ T^-1/4
    det = CountingDetector()
    res = sensitivity_scan(det, [0.0], exposures=[1.0, 16.0, 256.0], discovery=True)
    assert [p.exposure_t_yr for p in res.points] == [1.0, 16.0, 256.0]
    s = np.array([p.median_events for p in res.points])
    mu = np.array([p.median_muB for p in res.points])
    for T, got in zip((1.0, 16.0, 256.0), s, strict=True):  # exact: the Asimov root at b = T x 1e6
        b = det.B_PER_T_YR * T
        assert got == pytest.approx(brentq(lambda x, b=b: asimov_q(x, b) - Z**2, 1.0, b), rel=2e-4)
    np.testing.assert_allclose(s / s[0], np.sqrt([1.0, 16.0, 256.0]), rtol=2e-3)
    np.testing.assert_allclose(mu / mu[0], [1.0, 0.5, 0.25], rtol=2e-3)  # 16^-1/4 = 0.5
    d5 = np.array([p.discovery_muB["5"] for p in res.points])
    np.testing.assert_allclose(d5 / d5[0], [1.0, 0.5, 0.25], rtol=5e-3)


FREE_FLAT_CARD = """
name = "freeflat"
title = "xenon, free flat background"
channel = "electron"
target = "xenon"
[exposure]
tonne_years = 10
[window]
min_keV = 1
max_keV = 30
bin_width_keV = 1
[resolution]
a = 0.31
b = 0.0037
[efficiency]
threshold_keV = 1
plateau = 1
[[background]]
name = "flat"
rate_per_t_yr_keV = 7.6
free = true
[solar_neutrinos]
in_background = false
rel_uncertainty = 0.1
"""


def test_free_background_limit_falls_like_t_to_the_minus_quarter(tmp_path):
    # a free flat background (7.6 /(t yr keV)), 10 %-constrained SM neutrinos, ~100 events per bin at
    # 10 t yr: statistics dominate from 10 to 100 t yr, so the exponent is close to -1/4 (s ~ sqrt(B))
    card = tmp_path / "freeflat.toml"
    card.write_text(FREE_FLAT_CARD)
    res = sensitivity_scan(str(card), [0.0], "mu", exposures=[10.0, 100.0])
    lo, hi = (p.median_muB for p in res.points)
    assert math.log(hi / lo) / math.log(10.0) == pytest.approx(-0.25, abs=0.01)
    for key in BAND_KEYS:
        a, b = (p.band_muB[key] for p in res.points)
        assert math.log(b / a) / math.log(10.0) == pytest.approx(-0.25, abs=0.015)


def test_exposure_rebuild_and_its_errors(toy):
    x = with_exposure(get_detector("xenon1t", tritium="free"), 2.0)
    assert x.exposure_t_yr == 2.0 and x.settings["tritium"] == "free" and x.observed() is None
    with pytest.raises(InvalidParameterError, match="'toy' has no setting exposure_t_yr"):
        with_exposure(get_detector("toy"), 2.0)
    with pytest.raises(InvalidParameterError, match="'toy' has no setting exposure_t_yr"):
        sensitivity_scan("toy", [0.0], exposures=[1.0])
    with pytest.raises(InvalidParameterError, match="exposure_t_yr"):
        sensitivity_scan("darwin", [0.0], exposures=[1.0, -2.0])
    # without exposures the toy works (and its data are ignored: Asimov)
    p = sensitivity_scan("toy", [0.0]).points[0]
    assert p.median_muB == detector_limit("toy", 0.0, asimov=True).mu_upper_muB


def test_zero_signal_gives_null_values_with_a_reason():
    p = detector_sensitivity("darwin", 1000.0, discovery=True)
    assert p.median_muB is None and all(v is None for v in p.band_muB.values())
    assert all(v is None for v in p.discovery_muB.values())
    assert "no sensitivity" in p.reason and p.error is None


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"toys": 0}, InvalidParameterError, "toys"),
        ({"toys": 2.5}, InvalidParameterError, "toys"),
        ({"cl": 1.2}, InvalidParameterError, "confidence level"),
        ({"masses": []}, InvalidParameterError, "at least one mass"),
        ({"masses": [-1.0]}, InvalidParameterError, ">= 0"),
        ({"exposures": []}, InvalidParameterError, "at least one exposure"),
        ({"exposures": [1.0, 1.0]}, InvalidParameterError, "once"),
        ({"workers": 2, "scheduler": "tcp://x:1"}, InvalidParameterError, "at most one"),
        ({"detector": "charm2"}, InvalidParameterError, "proportional to mu"),
        ({"detector": "nope"}, UnknownNameError, "unknown detector"),
        ({"settings": {"bogus": 1}}, UnknownNameError, "setting of detector 'darwin'"),
    ],
)
def test_bad_input(kwargs, error, match):
    args = {"detector": "darwin", "masses": [0.0], **kwargs}
    with pytest.raises(error, match=match):
        sensitivity_scan(args.pop("detector"), args.pop("masses"), **args)


# -- scans and results ----------------------------------------------------------------------------
def test_scan_shape_json_round_trip_and_workers():
    masses = [0.0, 0.1, 0.2, 1000.0]
    serial = sensitivity_scan("darwin", masses, "mu", exposures=[20.0, 200.0], discovery=True)
    assert [(p.exposure_t_yr, p.mass_MeV) for p in serial.points] == [
        (t, m) for t in (20.0, 200.0) for m in masses
    ]
    doc = json.loads(json.dumps(serial.to_dict(), allow_nan=False))
    assert doc["command"] == "sensitivity" and doc["method"] == "asimov" and doc["cl"] == 0.9
    assert {"mass_MeV", "exposure_t_yr", "median_muB", "band_muB", "discovery_muB"} <= set(doc["points"][0])
    assert set(doc["points"][0]["band_muB"]) == {"-2", "-1", "+1", "+2"}
    assert set(doc["points"][0]["discovery_muB"]) == {"3", "5"}
    assert SensitivityResult.from_dict(doc).to_dict() == doc
    # the default detector exposure, points at one exposure, arrays with NaN gaps
    one = sensitivity_scan("darwin", masses[:2], "mu")
    assert one.exposures == [
        300.0
    ]  # the darwin card: 30 t x 10 yr and "discovery_muB" not in one.to_dict()["points"][0]
    arr = serial.arrays(serial.select(exposure_t_yr=200.0))
    assert np.isnan(arr["median"][-1]) and np.all(arr["-1"][:-1] < arr["median"][:-1])
    parallel = sensitivity_scan("darwin", masses, "mu", exposures=[20.0, 200.0], discovery=True, workers=2)
    assert parallel.to_dict() == serial.to_dict()


def test_from_dict_refuses_other_documents():
    with pytest.raises(InvalidParameterError, match="nugen sensitivity"):
        SensitivityResult.from_dict({"command": "scan", "points": []})
    with pytest.raises(InvalidParameterError, match="malformed"):
        SensitivityResult.from_dict({"command": "sensitivity", "points": [{"mass_MeV": 0.0}]})


# -- plots ----------------------------------------------------------------------------------------
def test_brazil_and_exposure_plots_return_their_artists():
    from matplotlib.figure import Figure

    from fits.plots import BRAZIL_COLOURS, plot_brazil_bands, plot_sensitivity_vs_exposure

    res = sensitivity_scan("darwin", [0.01, 0.1, 0.3], "mu", exposures=[10.0, 100.0], discovery=True)
    arr = res.arrays(res.select(exposure_t_yr=100.0))
    ax = Figure().add_subplot()
    art = plot_brazil_bands(
        ax, arr["mass_MeV"], arr["median"], {k: arr[k] for k in BAND_KEYS}, discovery={"3": arr["Z3"]}
    )
    (line,) = art.median.values()
    assert line.get_linestyle() == "--"
    np.testing.assert_allclose(line.get_ydata(), arr["median"])
    (one,) = art.one_sigma.values()
    (two,) = art.two_sigma.values()
    assert matplotlib.colors.to_hex(one.get_facecolor()[0]) == BRAZIL_COLOURS["1"]
    assert matplotlib.colors.to_hex(two.get_facecolor()[0]) == BRAZIL_COLOURS["2"]
    assert ax.get_xscale() == ax.get_yscale() == "log" and set(art.discovery) == {"3"}
    labels = [t.get_text() for t in art.legend.get_texts()]
    assert labels[0].startswith("median expected") and "1" in labels[1] and "2" in labels[2]

    pts = res.select(mass_MeV=0.1)
    a2 = res.arrays(pts)
    ax2 = Figure().add_subplot()
    art2 = plot_sensitivity_vs_exposure(
        ax2, a2["exposure_t_yr"], {"": (a2["median"], {k: a2[k] for k in BAND_KEYS})}
    )
    x, y = art2.reference.get_data()
    assert np.log(y[-1] / y[0]) / np.log(x[-1] / x[0]) == pytest.approx(-0.25)
    with pytest.raises(InvalidParameterError, match="band keys"):
        plot_brazil_bands(Figure().add_subplot(), [1, 2], [1, 2], {"+3": [1, 2]})
