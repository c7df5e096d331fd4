"""N -> nu gamma in flight (nugen.decays) and weighted beam up-scattering events (nugen.beam_events).

References: physics.md Sec. 4.2 (decay probability exp(-L1/lambda) - exp(-L2/lambda)), 4.3 (rest-frame
angular distribution 1 - h_eff cos theta*) and 4.4 (lab photon energy spectrum and mean); the rates of
nugen.rates for the event weights (the same density, integrated deterministically).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, stats

from nugen import DipolePortal
from nugen.beam_events import sample_scatterings
from nugen.decays import (
    decay_in_flight,
    decay_probability,
    helicity_factor,
    lab_decay_length_cm,
    path_averaged_decay_probability,
    photon_energy_pdf,
    photon_four_momenta,
    sample_cos_theta_star,
    sample_decay_distance,
    undecayed_probability,
)
from nugen.errors import InvalidParameterError, KinematicsError, UnknownNameError
from nugen.rates import RateCalculator
from nugen.sources import get_source
from nugen.targets import get_target

P_MIN = 1e-3  # chi^2 / KS p-value threshold of the statistical tests


def _n_beam(E_N: float, M: float, n: int, direction=(0.0, 0.0, 1.0)) -> np.ndarray:
    p = math.sqrt(E_N * E_N - M * M)
    d = np.asarray(direction, dtype=float)
    d = d / np.linalg.norm(d)
    return np.tile([E_N, *(p * d)], (n, 1))


def _chi2_pvalue(counts: np.ndarray, expected: np.ndarray) -> float:
    ok = expected > 0
    chi2 = float(np.sum((counts[ok] - expected[ok]) ** 2 / expected[ok]))
    return float(stats.chi2.sf(chi2, ok.sum() - 1))


# -- the decay stage shared by solar and beam samples (decay_in_flight) ---------------------------------
def test_decay_stage_vertices_follow_the_free_and_the_truncated_exponential_and_photons_the_lab_spectrum():
    # N of E = 20 GeV, M = 100 MeV along +z, lambda = 500 cm, window [100, 400] cm: free distances are
    # exponential with mean lambda; forced ones follow the truncated exponential, CDF
    # (e^{-L1/l} - e^{-L/l}) / (e^{-L1/l} - e^{-L2/l}); their probability is e^{-1/5} - e^{-4/5}
    n, E_N, M, lam = 100_000, 20000.0, 100.0, 500.0
    pN = tuple(_n_beam(E_N, M, n).T)
    st = decay_in_flight(pN, M, 1.0, lam, np.random.default_rng(3), window=(100.0, 400.0))
    free, forced = st.free_vertex[2], st.forced_vertex[2]
    assert stats.kstest(free / lam, "expon").pvalue > P_MIN
    np.testing.assert_allclose(free, st.u_free * lam, rtol=1e-12)
    cdf = lambda L: (np.exp(-100 / lam) - np.exp(-L / lam)) / (np.exp(-100 / lam) - np.exp(-400 / lam))  # noqa: E731
    assert forced.min() >= 100.0 and forced.max() <= 400.0 and stats.kstest(forced, cdf).pvalue > P_MIN
    np.testing.assert_allclose(st.window_probability, math.exp(-0.2) - math.exp(-0.8), rtol=1e-12)
    np.testing.assert_allclose(st.free_vertex[0], 0.0, atol=1e-9)  # along the N direction
    # photon energies: physics.md 4.4 spectrum with h_eff = 1, integrated over 20 bins
    edges = np.linspace(*(0.5 * E_N * (1 + s * math.sqrt(1 - (M / E_N) ** 2)) for s in (-1, 1)), 21)
    h, _ = np.histogram(st.photon[0], edges)
    expected = [
        n * integrate.quad(photon_energy_pdf, a, b, args=(E_N, M, 1.0))[0]
        for a, b in itertools.pairwise(edges)
    ]
    assert _chi2_pvalue(h, np.asarray(expected)) > P_MIN


def test_decay_stage_draws_do_not_depend_on_which_events_decay():
    # the stream is consumed for every event, so a model change (no decay) leaves later draws alone
    pN = tuple(_n_beam(5000.0, 50.0, 1000).T)
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    a = decay_in_flight(pN, 50.0, 0.0, 300.0, rng_a)
    b = decay_in_flight(pN, 50.0, 0.0, 300.0, rng_b, decays=np.arange(1000) % 2 == 0)
    assert rng_a.random() == rng_b.random()
    np.testing.assert_array_equal(a.photon[0][::2], b.photon[0][::2])
    assert np.all(np.isnan(b.photon[0][1::2])) and np.all(np.isnan(b.free_vertex[2][1::2]))
    none = decay_in_flight(pN, 0.0, 0.0, np.inf, np.random.default_rng(9))  # M_N = 0: nothing decays
    assert np.all(np.isnan(none.photon[0])) and none.forced_vertex is None


# -- photon spectrum (physics.md Sec. 4.4) -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("nature", "helicity", "anti", "h_expected"),
    [
        ("dirac", 1.0, False, 1.0),
        ("dirac", -1.0, True, 1.0),
        ("majorana", 1.0, False, 0.0),
        ("dirac", -1.0, False, -1.0),
    ],
)
def test_photon_energy_spectrum_matches_sec_4_4(nature, helicity, anti, h_expected, rng):
    E_N, M, n = 20_000.0, 150.0, 400_000
    h = float(helicity_factor(nature, helicity, anti))
    assert h == h_expected
    k = photon_four_momenta(_n_beam(E_N, M, n), M, h, rng)
    gamma = E_N / M
    beta = math.sqrt(1 - 1 / gamma**2)
    lo, hi = 0.5 * E_N * (1 - beta), 0.5 * E_N * (1 + beta)
    edges = np.linspace(lo, hi, 41)
    counts, _ = np.histogram(k[:, 0], edges)
    expected = n * np.array(
        [
            integrate.quad(lambda e: photon_energy_pdf(e, E_N, M, h), a, b)[0]
            for a, b in itertools.pairwise(edges)
        ]
    )
    assert expected.sum() == pytest.approx(n, rel=1e-9)  # the analytic pdf is normalised
    assert _chi2_pvalue(counts, expected) > P_MIN
    # <E_gamma> = (E_N / 2)(1 - h beta / 3)
    mean_ref = 0.5 * E_N * (1 - h * beta / 3)
    assert k[:, 0].mean() == pytest.approx(mean_ref, abs=5 * k[:, 0].std() / math.sqrt(n))


def test_photon_four_momenta_are_massless_and_conserve_momentum(rng):
    M = 80.0
    direction = rng.normal(size=(1000, 3))
    E_N = rng.uniform(200.0, 5e4, 1000)
    p = np.sqrt(E_N**2 - M**2)
    pN = np.column_stack([E_N, p[:, None] * direction / np.linalg.norm(direction, axis=1, keepdims=True)])
    k = photon_four_momenta(pN, M, 1.0, rng)
    nu = pN - k
    for v in (k, nu):
        np.testing.assert_allclose(
            v[:, 0] ** 2 - np.sum(v[:, 1:] ** 2, axis=1), 0.0, atol=1e-9 * E_N.max() ** 2
        )
    assert np.all(k[:, 0] > 0) and np.all(nu[:, 0] > 0)


def test_lab_angle_relation_and_cos_theta_star(rng):
    # tan theta_lab = sin theta* / (gamma (cos theta* + beta)) for a photon relative to the N direction
    E_N, M = 5000.0, 300.0
    k, c = photon_four_momenta(_n_beam(E_N, M, 5000, (0.3, -0.2, 1.0)), M, 0.0, rng, return_cos_star=True)
    n_hat = np.array([0.3, -0.2, 1.0]) / np.linalg.norm([0.3, -0.2, 1.0])
    cos_lab = (k[:, 1:] @ n_hat) / k[:, 0]
    gamma, beta = E_N / M, math.sqrt(1 - (M / E_N) ** 2)
    theta_ref = np.arctan2(np.sqrt(1 - c * c), gamma * (c + beta))
    np.testing.assert_allclose(np.arccos(np.clip(cos_lab, -1, 1)), theta_ref, atol=1e-6)


@pytest.mark.parametrize("h", [1.0, 0.0, -0.6])
def test_cos_theta_star_distribution(h, rng):
    c = sample_cos_theta_star(h, rng, size=200_000)
    cdf = lambda x: (x + 1) / 2 - h * (x * x - 1) / 4  # noqa: E731 - integral of (1 - h x)/2
    assert stats.kstest(c, cdf).pvalue > P_MIN
    assert c.mean() == pytest.approx(-h / 3, abs=5 * c.std() / math.sqrt(c.size))


def test_helicity_factor_and_bad_input(rng):
    np.testing.assert_array_equal(helicity_factor("dirac", [1, -1], [False, True]), [1.0, 1.0])
    np.testing.assert_array_equal(helicity_factor("majorana", [1, -1]), [0.0, 0.0])
    with pytest.raises(InvalidParameterError, match="'pseudo'"):
        helicity_factor("pseudo")
    with pytest.raises(InvalidParameterError, match="h_eff"):
        sample_cos_theta_star(1.5, rng, size=3)
    with pytest.raises(InvalidParameterError, match="M_N"):
        photon_four_momenta(_n_beam(10.0, 1.0, 2), 0.0, 1.0, rng)
    with pytest.raises(InvalidParameterError, match="shape"):
        photon_four_momenta(np.zeros((2, 3)), 1.0, 1.0, rng)


# -- decay probabilities and vertices (physics.md Sec. 4.2) --------------------------------------------------
@pytest.mark.parametrize("lam", [50.0, 800.0, 3.0e4, 5.0e6])
def test_decay_in_volume_probability_vs_formula(lam, rng):
    L1, L2, n = 300.0, 1700.0, 1_000_000
    d = sample_decay_distance(np.full(n, lam), rng)
    inside = np.mean((d >= L1) & (d <= L2))
    P = float(decay_probability(L1, L2, lam))
    assert P == pytest.approx(math.exp(-L1 / lam) - math.exp(-L2 / lam), rel=1e-12)
    assert inside == pytest.approx(P, abs=5 * math.sqrt(P * (1 - P) / n) + 1e-7)


def test_decay_probability_limits():
    # lambda >> L: (L2 - L1)/lambda without cancellation; lambda = inf: 0; lambda = 0: prompt decay
    assert float(decay_probability(10.0, 30.0, 1e12)) == pytest.approx(2e-11, rel=1e-9)
    assert float(decay_probability(0.0, 30.0, np.inf)) == 0.0
    assert float(decay_probability(0.0, 30.0, 0.0)) == 1.0
    assert float(decay_probability(5.0, 30.0, 0.0)) == 0.0
    assert float(decay_probability(30.0, 10.0, 100.0)) == 0.0
    # a stable N decays nowhere, not even on an infinite path (was inf x 0 = NaN)
    assert float(decay_probability(5.0, np.inf, np.inf)) == 0.0
    assert float(decay_probability(5.0, np.inf, 100.0)) == pytest.approx(math.exp(-0.05), rel=1e-15)


def test_undecayed_probability_is_the_exponential_survival_with_stable_and_prompt_limits(rng):
    lam, path, n = 250.0, 400.0, 1_000_000
    survived = np.mean(sample_decay_distance(np.full(n, lam), rng) > path)
    P = float(undecayed_probability(path, lam))
    assert P == pytest.approx(math.exp(-path / lam), rel=1e-15)
    assert survived == pytest.approx(P, abs=5 * math.sqrt(P * (1 - P) / n))
    assert float(undecayed_probability(path, np.inf)) == 1.0  # stable N escapes
    assert float(undecayed_probability(path, 0.0)) == 0.0  # prompt decay
    assert float(undecayed_probability(0.0, 0.0)) == 1.0
    assert undecayed_probability([0.0, path], lam).tolist() == [1.0, pytest.approx(P)]


@pytest.mark.parametrize("lam", [30.0, 2.0e3, 1.0e5, 1.0e9])
def test_path_averaged_probability_vs_mc_and_production_average(lam, rng):
    z1, z2, L, n = 0.0, 3100.0, 3500.0, 1_000_000
    zp = rng.random(n) * L
    zd = zp + sample_decay_distance(np.full(n, lam), rng)
    mc = np.mean((zd >= z1) & (zd <= z2))
    ana = float(path_averaged_decay_probability(z1, z2, L, lam))
    per_event = decay_probability(np.maximum(z1 - zp, 0), np.maximum(z2 - zp, 0), lam).mean()
    assert mc == pytest.approx(ana, abs=5 * math.sqrt(ana * (1 - ana) / n) + 1e-8)
    assert per_event == pytest.approx(ana, rel=5e-3 + 3 / math.sqrt(n))


def test_path_averaged_probability_is_continuous_at_the_series_switch():
    z1, z2, L = 200.0, 3100.0, 3500.0
    lam = np.array([1e4 * z2 * (1 - 1e-9), 1e4 * z2 * (1 + 1e-9)])
    p = path_averaged_decay_probability(z1, z2, L, lam)
    assert p[0] == pytest.approx(p[1], rel=1e-6)
    assert float(path_averaged_decay_probability(z1, z2, L, np.inf)) == 0.0
    assert float(path_averaged_decay_probability(z1, z2, L, 0.0)) == pytest.approx((z2 - z1) / L)
    with pytest.raises(InvalidParameterError, match="z1"):
        path_averaged_decay_probability(10.0, 5.0, 20.0, 1.0)


def test_truncated_decay_distance(rng):
    lam, L1, L2 = 700.0, 100.0, 1500.0
    d = sample_decay_distance(np.full(100_000, lam), rng, L1, L2)
    assert np.all((d >= L1) & (d <= L2))
    norm = math.exp(-L1 / lam) - math.exp(-L2 / lam)
    cdf = lambda x: (math.exp(-L1 / lam) - np.exp(-x / lam)) / norm  # noqa: E731
    assert stats.kstest(d, cdf).pvalue > P_MIN
    # huge lambda: uniform in the window
    u = sample_decay_distance(np.full(100_000, 1e15), rng, L1, L2)
    assert stats.kstest(u, stats.uniform(L1, L2 - L1).cdf).pvalue > P_MIN


def test_lab_decay_length_scales_as_inverse_mu_squared():
    m1 = DipolePortal(100.0, 1e-8, flavour="mu")
    m2 = DipolePortal(100.0, 2e-8, flavour="mu")
    p = np.array([1e4, 2e4])
    np.testing.assert_allclose(lab_decay_length_cm(m1, p) / lab_decay_length_cm(m2, p), 4.0)
    # physics.md Sec. 4.2 example: mu = 1e-8, M = 10 MeV, E_N = 20 GeV, Dirac: lambda = 2.26e6 m
    m = DipolePortal(10.0, 1e-8, flavour="mu")
    assert float(lab_decay_length_cm(m, math.sqrt(20_000.0**2 - 100.0))) / 100 == pytest.approx(
        2.26e6, rel=5e-3
    )


# -- weighted beam up-scattering events ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def charm2_beam():
    return get_source("charm2", mode="numu")


@pytest.fixture(scope="module")
def glass():
    return get_target("glass")


@pytest.mark.parametrize(
    ("process", "M", "window"),
    [
        ("sm_e", 0.0, (3000.0, 24000.0)),
        ("dipole_e", 0.0, (3000.0, 24000.0)),
        ("dipole_e", 120.0, (3000.0, 24000.0)),
        ("dipole_A", 50.0, (0.0, np.inf)),
        ("dipole_A", 500.0, (0.0, np.inf)),
    ],
)
def test_event_weights_reproduce_the_rates(process, M, window, charm2_beam, glass, rng):
    rc = RateCalculator(charm2_beam, glass)
    for comp_i, comp in enumerate(charm2_beam.components):
        ev = sample_scatterings(charm2_beam, comp, glass, process, M, 400_000, rng,
                                T_floor_MeV=window[0], T_ceiling_MeV=window[1])  # fmt: skip
        mc, err = ev.weight.sum(), math.sqrt(np.sum(ev.weight**2))
        if process == "sm_e":
            ref = rc.sm_counts(list(window))[comp_i, 0]
        elif process == "dipole_e":
            ref = rc.dipole_binned_templates(list(window), M)[comp_i, 1, 0]
        else:  # the whole nuclear-recoil range, from T_min(E_max) to where F^2 vanishes
            ref = rc.dipole_binned_templates([1e-9, 1e4], M, "nucleus")[comp_i, 1, 0]
        assert mc == pytest.approx(ref, abs=5 * err), (comp.name, mc, ref, err)
        assert err / mc < 0.01  # the importance sampling is efficient


def test_event_kinematics(charm2_beam, glass, rng):
    for process, M in (("dipole_e", 100.0), ("dipole_A", 300.0), ("sm_e", 0.0)):
        ev = sample_scatterings(charm2_beam, "numu", glass, process, M, 20_000, rng, T_floor_MeV=1.0)
        k_in = np.column_stack([ev.E_nu, np.zeros((len(ev), 2)), ev.E_nu])
        m_t = ev.p_recoil[:, 0] - ev.T
        total_in = k_in.copy()
        total_in[:, 0] += m_t
        np.testing.assert_allclose(ev.p_recoil + ev.p_out, total_in, rtol=1e-12, atol=1e-9 * ev.E_nu.max())
        mass2 = ev.p_out[:, 0] ** 2 - np.sum(ev.p_out[:, 1:] ** 2, axis=1)
        np.testing.assert_allclose(mass2, M * M, atol=1e-9 * ev.E_nu.max() ** 2)
        assert np.all(ev.weight >= 0)


def test_beam_event_bad_input(charm2_beam, glass, rng):
    with pytest.raises(KinematicsError, match=r"M_N = 600 MeV is beyond the reach.*threshold"):
        sample_scatterings(charm2_beam, "numu", glass, "dipole_e", 600.0, 10, rng, T_floor_MeV=1.0)
    with pytest.raises(InvalidParameterError, match="T_floor_MeV"):
        sample_scatterings(charm2_beam, "numu", glass, "dipole_e", 0.0, 10, rng)
    for n in (0, -5, 2.5, True):
        with pytest.raises(InvalidParameterError, match="positive integer"):
            sample_scatterings(charm2_beam, "numu", glass, "sm_e", 0.0, n, rng, T_floor_MeV=1.0)
    with pytest.raises(UnknownNameError, match="cevns"):
        sample_scatterings(charm2_beam, "numu", glass, "cevns", 0.0, 10, rng, T_floor_MeV=1.0)


def test_coherent_event_weights_follow_the_chosen_form_factor(charm2_beam, glass, rng):
    # the Fourier-Bessel sample against the rate integral with the same form factor, and far from Helm's
    # above T = 0.5 MeV (M_N = 50 MeV; larger q, where the two models differ by 8 %)
    rc = {ff: RateCalculator(charm2_beam, glass, form_factor=ff) for ff in ("helm", "fourier_bessel")}
    ev = sample_scatterings(charm2_beam, "numu", glass, "dipole_A", 50.0, 400_000, rng,
                            form_factor="fourier_bessel")  # fmt: skip
    for lo in (1e-9, 0.5):  # all recoils (small q: the models agree to 0.2 %), and T > 0.5 MeV (they do not)
        ref = {ff: r.dipole_binned_templates([lo, 1e4], 50.0, "nucleus")[0, 1, 0] for ff, r in rc.items()}
        w = ev.weight[ev.T > lo]
        mc, err = w.sum(), math.sqrt(np.sum(w**2))
        assert mc == pytest.approx(ref["fourier_bessel"], abs=5 * err), (lo, mc, ref, err)
    assert abs(ref["fourier_bessel"] - ref["helm"]) > 5 * err, ref  # 8 % apart, 8 sigma of this sample
    with pytest.raises(UnknownNameError, match="form-factor model"):
        sample_scatterings(charm2_beam, "numu", glass, "dipole_A", 50.0, 10, rng, form_factor="hlem")
