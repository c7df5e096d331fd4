"""Event generator: Monte Carlo against the numerical rates, kinematics, decays, seeds, reweighting.

Tolerances, once for the whole file:

* goodness of fit (chi^2 or Kolmogorov-Smirnov): p-value > 1e-3 — a correct generator fails one such
  test in a thousand runs; seeds are fixed, so results are reproducible;
* Monte Carlo estimates of a rate or a mean: 5 standard errors (computed from the sample itself);
* exact relations (four-momentum conservation, invariant masses): 1e-9 relative to the largest energy
  in the relation — double precision gives ~1e-16 per operation, and the chain of square roots and
  differences in the kinematics loses at most a few orders of magnitude;
* the same stored quantity recomputed by a different sequence of operations (a quotient instead of a
  product, a sum of equal weights, a rotation): 1e-12, i.e. a few thousand ulps, ample for the handful of
  operations (numpy's pairwise sums keep the error of a 1e6-term sum near log2(1e6) ulps);
* quantities recovered by boosting back into the N rest frame: the boost with gamma = E_N/M amplifies
  round-off by up to gamma^2 (gamma <= ~60 for M_N = 0.3 MeV and solar energies), so 1e-9 with random
  momenta below 5 MeV and 1e-6 for the generated samples;
* astronomy: the low-precision solar ephemeris is good to ~0.01 deg and 1e-4 AU (tolerances at the test).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nugen.constants import M_E
from nugen.errors import InvalidParameterError, KinematicsError, UnknownNameError
from nugen.generator import BRANCH_DOCS, CHUNK_SIZE, PROCESS_CODES, Generator
from nugen.kinematics import (
    boost,
    decay_to_massless_pair,
    invariant_mass_sq,
    orthonormal_basis,
    recoil_range,
    rotate_from_z,
    two_body_final_state,
)
from nugen.model import DipolePortal
from nugen.rates import RateCalculator
from nugen.reweighting import decay_probability, decay_vertex, reweight
from nugen.sources import get_source
from nugen.targets import get_target

P_MIN = 1e-3
N_SIGMA = 5.0
REL = 1e-9


@pytest.fixture(scope="module")
def sun():
    return get_source("solar")


@pytest.fixture(scope="module")
def xenon():
    return get_target("xenon")


@pytest.fixture(scope="module")
def rc(sun, xenon):
    return RateCalculator(sun, xenon)


def make(sun, xenon, rc, mass=0.1, mu=2e-11, **kw):
    model = kw.pop("model", None) or DipolePortal(mass, mu, flavour=kw.pop("flavour", "universal"),
                                                  nature=kw.pop("nature", "dirac"))  # fmt: skip
    return Generator(sun, xenon, model, rate_calculator=rc, **kw)


def numpy_cols(events):
    return {f: events[f].to_numpy() for f in events.fields}


# ------------------------------------------------------------------------------------------------
# MC vs numerics: 1e6 events per process and model point against RateCalculator
# ------------------------------------------------------------------------------------------------
CASES = [
    ("dipole", "electron", 0.0),
    ("dipole", "electron", 0.1),
    ("dipole", "electron", 0.3),
    ("dipole", "nucleus", 0.0),
    ("dipole", "nucleus", 0.1),
    ("dipole", "nucleus", 0.3),
    ("sm", "electron", 0.0),
    ("sm", "nucleus", 0.0),
]


@pytest.mark.parametrize(("process", "scatterer", "mass"), CASES, ids=[f"{p}-{s}-M{m}" for p, s, m in CASES])
def test_recoil_spectrum_matches_rates(sun, xenon, rc, process, scatterer, mass):
    n = 1_000_000
    gen = make(sun, xenon, rc, mass=mass, mu=2e-11, flavour="mu", process=process, scatterer=scatterer)
    chunks = list(gen.iter_chunks(n, seed=2024))
    T = np.concatenate([c["Er_keV"] for c, _ in chunks]) * 1e-3
    w = np.concatenate([c["weight"] for c, _ in chunks])
    diag = chunks[0][1]
    for _, d in chunks[1:]:
        diag += d
    lo, hi = gen.windows[scatterer]
    # equal bins in log T (the spectra fall steeply); bins expecting < 5 events are merged into the next
    edges = np.geomspace(lo, hi, 41)
    model = gen.model
    if process == "dipole":
        expected = rc.dipole_counts(edges, model, scatterer).sum(0)
    else:
        expected = rc.sm_counts(edges, scatterer).sum(0)
    # the weights add up to the numerical rate in the window, by construction
    assert w.sum() == pytest.approx(expected.sum(), rel=1e-6)  # rates' quadrature agrees to 1e-6 (tested)
    counts, _ = np.histogram(T, edges)
    exp_n = expected / expected.sum() * n
    keep = np.cumsum(exp_n) // 5  # merge runs of small bins: group index grows every 5 expected events
    obs_g = np.bincount(keep.astype(int), weights=counts)
    exp_g = np.bincount(keep.astype(int), weights=exp_n)
    ok = exp_g > 0
    chi2 = float(np.sum((obs_g[ok] - exp_g[ok]) ** 2 / exp_g[ok]))
    assert stats.chi2.sf(chi2, ok.sum() - 1) > P_MIN, (chi2, ok.sum())
    # every event inside the window and kinematically allowed
    assert np.all((T >= lo) & (T <= hi))
    assert diag.violations == 0
    # Monte Carlo rate estimate (envelope integral x acceptance, binomial error) vs the numerical rate
    p_acc = diag.accepted / diag.proposed
    mc = gen.envelope_integral * p_acc
    err = gen.envelope_integral * np.sqrt(p_acc * (1 - p_acc) / diag.proposed)
    assert abs(mc - gen.total_rate) < N_SIGMA * err


def test_components_and_flavours_follow_rates(sun, xenon, rc):
    n = 300_000
    gen = make(sun, xenon, rc, mass=0.1, mu=2e-11, model=DipolePortal(0.1, (1e-11, 3e-11, 2e-11)))
    ev = numpy_cols(gen.generate(n, seed=11))
    lo, hi = gen.windows["electron"]
    tmpl = rc.dipole_binned_templates([lo, hi], 0.1)[..., 0]  # (components, flavours) per mu_B^2
    rate = tmpl * gen.model.mu_flavour**2
    comp_counts = np.bincount(ev["component"], minlength=rate.shape[0])
    expected = rate.sum(1) / rate.sum() * n
    keep = expected > 0
    assert np.all(comp_counts[~keep] == 0)
    assert stats.chisquare(comp_counts[keep], expected[keep]).pvalue > P_MIN
    flav_counts = np.bincount(ev["flavour"], minlength=3)
    assert stats.chisquare(flav_counts, rate.sum(0) / rate.sum() * n).pvalue > P_MIN
    pdg = np.array([12, 14, 16])[ev["flavour"]]
    assert np.array_equal(ev["nu_pdg"], pdg)


def test_mixed_sample_process_fractions(sun, xenon, rc):
    n = 200_000
    gen = make(sun, xenon, rc, mass=0.0, mu=3e-11, process="all", scatterer="both")
    assert {p.name for p in gen.processes} == set(PROCESS_CODES)
    ev = numpy_cols(gen.generate(n, seed=5))
    counts = np.array([np.sum(ev["process"] == PROCESS_CODES[p]) for p in PROCESS_CODES])
    rates = np.array([gen.rates[p] for p in PROCESS_CODES])
    assert stats.chisquare(counts, rates / rates.sum() * n).pvalue > P_MIN
    # electrons recoil in the electron window, nuclei in the nuclear one, with the matching pdg codes
    el = (ev["process"] == 0) | (ev["process"] == 2)
    assert np.all(ev["target_pdg"][el] == 11)
    assert np.all(ev["target_pdg"][~el] // 10_000 % 1000 == 54)  # Z = 54 in 10LZZZAAAI
    T = ev["Er_keV"] * 1e-3
    for sel, s in ((el, "electron"), (~el, "nucleus")):
        lo, hi = gen.windows[s]
        assert np.all((T[sel] >= lo) & (T[sel] <= hi))


# ------------------------------------------------------------------------------------------------
# kinematics of every event
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def decaying_sample(sun, xenon, rc):
    """Electron and nuclear recoils, M_N = 0.3 MeV, a short lifetime (mu = 1e-6 mu_B)."""
    gen = make(sun, xenon, rc, mass=0.3, mu=1e-6, process="all", scatterer="both")
    return gen, numpy_cols(gen.generate(150_000, seed=99))


def test_four_momentum_conservation(decaying_sample):
    gen, ev = decaying_sample
    E = ev["E_nu_MeV"]
    m = np.where(ev["target_pdg"] == 11, M_E, np.nan)
    nuc = ev["target_pdg"] != 11
    A = ev["target_pdg"] // 10 % 1000
    masses = {c.A: c.m for c in gen.channels if c.process.scatterer == "nucleus"}
    m[nuc] = np.array([masses[a] for a in A[nuc]])
    scale = E + m
    initial = (E + m, 0.0, 0.0, E)
    rec = tuple(ev[f"recoil_{c}_MeV"] for c in ("E", "px", "py", "pz"))
    N = tuple(ev[f"N_{c}_MeV"] for c in ("E", "px", "py", "pz"))
    for a, b, c in zip(initial, rec, N, strict=True):
        assert np.max(np.abs(a - b - c) / scale) < REL
    # on-shell recoil and N (M = 0.3 for dipole, 0 for SM): invariant masses relative to the energies
    assert np.max(np.abs(invariant_mass_sq(rec) - m * m) / rec[0] ** 2) < REL
    dip = ev["process"] <= 1
    M2 = np.where(dip, 0.3**2, 0.0)
    assert np.max(np.abs(invariant_mass_sq(N) - M2) / N[0] ** 2) < REL
    # recoil kinetic energy consistent with the stored four-vector
    assert np.max(np.abs(rec[0] - m - ev["Er_keV"] * 1e-3) / scale) < REL
    # decays: photon and neutrino massless, momenta add up to N's
    g = tuple(ev[f"gamma_{c}_MeV"] for c in ("E", "px", "py", "pz"))
    d = np.isfinite(g[0])
    assert np.array_equal(d, dip)
    nu = tuple(a - b for a, b in zip(N, g, strict=True))
    assert np.max(np.abs(invariant_mass_sq(tuple(x[d] for x in g))) / N[0][d] ** 2) < REL
    assert np.max(np.abs(invariant_mass_sq(tuple(x[d] for x in nu))) / N[0][d] ** 2) < REL
    assert np.all(nu[0][d] > 0) and np.all(g[0][d] > 0)


def test_every_recoil_inside_its_kinematic_range(decaying_sample, sun):
    gen, ev = decaying_sample
    E, T = ev["E_nu_MeV"], ev["Er_keV"] * 1e-3
    for ch in gen.channels:
        sel = (ev["process"] == PROCESS_CODES[ch.process.name]) & (ev["component"] == ch.comp_index)
        sel &= ev["target_pdg"] == ch.pdg
        if not np.any(sel):
            continue
        M = 0.3 if ch.is_dipole else 0.0
        t_lo, t_hi = recoil_range(E[sel], M, ch.m)
        tol = 1e-12 * t_hi  # round-off of the closed form
        assert np.all((T[sel] >= t_lo - tol) & (T[sel] <= t_hi + tol)), ch.comp.name
        if ch.comp.is_line:
            assert np.all(E[sel] == ch.comp.line_energy_MeV)
        else:
            assert np.all((E[sel] >= ch.comp.E_min_MeV) & (E[sel] <= ch.comp.E_max_MeV))


def test_helicity_and_decay_bookkeeping(decaying_sample):
    gen, ev = decaying_sample
    dip = ev["process"] <= 1
    assert np.all(ev["N_helicity"][dip] == 1)  # N from nu: h = +1 (physics.md Sec. 2.5)
    assert np.all(ev["N_helicity"][~dip] == -1)  # SM: left-handed neutrino
    p = np.sqrt(ev["N_px_MeV"] ** 2 + ev["N_py_MeV"] ** 2 + ev["N_pz_MeV"] ** 2)
    np.testing.assert_allclose(ev["N_betagamma"][dip], p[dip] / 0.3, rtol=1e-12)
    np.testing.assert_allclose(ev["N_lambda_cm"][dip], gen.model.decay_length_cm(p[dip]), rtol=1e-12)
    # decay vertex along the N direction at distance u x lambda
    v = np.stack([ev[f"N_decay_{c}_cm"] for c in "xyz"])
    dist = np.sqrt((v**2).sum(0))
    np.testing.assert_allclose(dist[dip], ev["N_decay_u"][dip] * ev["N_lambda_cm"][dip], rtol=1e-12)
    cosang = (v[0] * ev["N_px_MeV"] + v[1] * ev["N_py_MeV"] + v[2] * ev["N_pz_MeV"]) / (dist * p)
    assert np.all(cosang[dip] > 1 - 1e-12)
    # decay distances in units of the mean are standard exponential
    assert stats.kstest(ev["N_decay_u"][dip], "expon").pvalue > P_MIN
    assert np.all(np.isnan(ev["N_decay_u"][~dip]))


@pytest.mark.parametrize(("nature", "slope"), [("dirac", 1.0), ("majorana", 0.0)])
def test_photon_angular_distribution(sun, xenon, rc, nature, slope):
    """Binned fit of dN/dcos(theta*) = (1 - a cos theta*)/2 (physics.md Sec. 4.3): a = 1 Dirac, 0 Majorana."""
    gen = make(sun, xenon, rc, mass=0.3, mu=1e-6, nature=nature)
    ev = numpy_cols(gen.generate(200_000, seed=7))
    c = ev["gamma_cos_theta_star"]
    # the stored angle is the photon's angle to the N direction in the N rest frame: recompute it by
    # boosting the photon back with -beta_N
    N = tuple(ev[f"N_{k}_MeV"] for k in ("E", "px", "py", "pz"))
    beta = tuple(-x / N[0] for x in N[1:])
    g_rest = boost(tuple(ev[f"gamma_{k}_MeV"] for k in ("E", "px", "py", "pz")), beta)
    pN = np.sqrt(N[1] ** 2 + N[2] ** 2 + N[3] ** 2)
    cos_rest = (g_rest[1] * N[1] + g_rest[2] * N[2] + g_rest[3] * N[3]) / (g_rest[0] * pN)
    np.testing.assert_allclose(cos_rest, c, atol=1e-6)  # boost of nearly collinear vectors: ~1e-8 here
    np.testing.assert_allclose(g_rest[0], 0.15, rtol=1e-6)  # E* = M/2
    # weighted least-squares fit of a straight line to the normalised histogram
    counts, edges = np.histogram(c, bins=20, range=(-1, 1))
    mid = 0.5 * (edges[1:] + edges[:-1])
    dens = counts / (c.size * np.diff(edges))
    sig = np.sqrt(np.maximum(counts, 1)) / (c.size * np.diff(edges))
    (b, a0), cov = np.polyfit(mid, dens, 1, w=1 / sig, cov="unscaled")
    a_fit, a_err = -2 * b, 2 * np.sqrt(cov[0, 0])
    assert abs(a_fit - slope) < N_SIGMA * a_err, (a_fit, a_err)
    assert a0 == pytest.approx(0.5, abs=N_SIGMA * np.sqrt(cov[1, 1]))


@pytest.mark.parametrize(("nature", "h_eff"), [("dirac", 1.0), ("majorana", 0.0)])
def test_lab_photon_energy_spectrum(sun, xenon, rc, nature, h_eff):
    """physics.md Sec. 4.4: E_gamma in [E_N(1-beta)/2, E_N(1+beta)/2], linear, mean (E_N/2)(1 - h beta/3)."""
    gen = make(sun, xenon, rc, mass=0.3, mu=1e-6, nature=nature)
    ev = numpy_cols(gen.generate(200_000, seed=8))
    EN = ev["N_E_MeV"]
    beta = np.sqrt(ev["N_px_MeV"] ** 2 + ev["N_py_MeV"] ** 2 + ev["N_pz_MeV"] ** 2) / EN
    Eg = ev["gamma_E_MeV"]
    tol = 1e-12 * EN
    assert np.all(Eg >= EN * (1 - beta) / 2 - tol) and np.all(Eg <= EN * (1 + beta) / 2 + tol)
    # z = position of E_gamma within its range: density 1 + h - 2 h z on [0, 1] (from dN/dE_gamma)
    z = (Eg - EN * (1 - beta) / 2) / (EN * beta)

    def cdf(v):
        return (1 + h_eff) * v - h_eff * v * v

    assert stats.kstest(z, cdf).pvalue > P_MIN
    # <E_gamma / (E_N/2)> = 1 - h beta/3 per event, so the mean of (2 E_g/E_N - 1)/beta is -h/3
    y = (2 * Eg / EN - 1) / beta
    assert abs(y.mean() + h_eff / 3) < N_SIGMA * y.std() / np.sqrt(y.size)


def test_massless_n_does_not_decay(sun, xenon, rc):
    ev = numpy_cols(make(sun, xenon, rc, mass=0.0).generate(1000, seed=1))
    assert np.all(np.isinf(ev["N_betagamma"]))
    for f in ("N_lambda_cm", "N_decay_x_cm", "gamma_E_MeV", "gamma_cos_theta_star", "N_decay_u"):
        assert np.all(np.isnan(ev[f])), f


# ------------------------------------------------------------------------------------------------
# seeds and workers
# ------------------------------------------------------------------------------------------------
def test_same_seed_same_events_for_any_workers(sun, xenon, rc):
    gen = make(sun, xenon, rc, mass=0.1, mu=1e-6)
    n = 2 * CHUNK_SIZE + 1000  # three chunks
    one = gen.generate(n, seed=42, workers=1)
    two = gen.generate(n, seed=42, workers=2)
    other = gen.generate(n, seed=43, workers=1)
    for f in one.fields:
        np.testing.assert_array_equal(one[f].to_numpy(), two[f].to_numpy(), err_msg=f)
    assert not np.array_equal(one["E_nu_MeV"].to_numpy(), other["E_nu_MeV"].to_numpy())
    # chunk i depends only on the seed and i: the first chunk of a larger sample is the same
    first = next(gen.iter_chunks(5 * CHUNK_SIZE, seed=42))[0]
    np.testing.assert_array_equal(first["Er_keV"], one["Er_keV"].to_numpy()[:CHUNK_SIZE])


def test_output_fields_and_weights(sun, xenon, rc):
    gen = make(sun, xenon, rc)
    ev = gen.generate(5000, seed=3, exposure=2.5)
    assert list(ev.fields) == list(BRANCH_DOCS)
    assert float(np.sum(ev["weight"])) == pytest.approx(2.5 * gen.total_rate, rel=1e-12)
    assert ev["process"].to_numpy().dtype == np.int8


# ------------------------------------------------------------------------------------------------
# reweighting
# ------------------------------------------------------------------------------------------------
def test_reweighting_to_another_mu_reproduces_its_rate(sun, xenon, rc):
    m1 = DipolePortal(0.1, 2e-11)  # universal
    m2 = DipolePortal(0.1, (1e-11, 4e-11, 0.5e-11))
    gen1 = make(sun, xenon, rc, model=m1, process="all")
    ev = numpy_cols(gen1.generate(400_000, seed=21))
    w2 = reweight(ev, m1, m2)
    gen2 = make(sun, xenon, rc, model=m2, process="all")
    # Monte Carlo error of the reweighted sum: sqrt(N) x std of the per-event weights
    err = np.sqrt(w2.size) * w2.std()
    assert abs(w2.sum() - gen2.total_rate) < N_SIGMA * err
    # binned: the reweighted dipole histogram against the numerical spectrum of m2
    lo, hi = gen1.windows["electron"]
    edges = np.geomspace(lo, hi, 21)
    dip = ev["process"] == 0
    h, _ = np.histogram(ev["Er_keV"][dip] * 1e-3, edges, weights=w2[dip])
    h2, _ = np.histogram(ev["Er_keV"][dip] * 1e-3, edges, weights=w2[dip] ** 2)
    expected = rc.dipole_counts(edges, m2).sum(0)
    chi2 = float(np.sum((h - expected) ** 2 / h2))
    assert stats.chi2.sf(chi2, edges.size - 1) > P_MIN
    # pure rescaling of mu: exactly mu^2
    w3 = reweight(ev, m1, m1.with_mu(4e-11))
    np.testing.assert_allclose(w3[dip], 4 * ev["weight"][dip], rtol=1e-12)
    np.testing.assert_array_equal(w3[~dip], ev["weight"][~dip])


def test_reweighting_refuses_other_mass_or_missing_flavour(sun, xenon, rc):
    ev = numpy_cols(make(sun, xenon, rc, mass=0.1, flavour="mu").generate(100, seed=1))
    with pytest.raises(InvalidParameterError, match="same M_N"):
        reweight(ev, DipolePortal(0.1, 2e-11, flavour="mu"), DipolePortal(0.2, 2e-11, flavour="mu"))
    with pytest.raises(InvalidParameterError, match="flavour"):
        reweight(ev, DipolePortal(0.1, 2e-11, flavour="mu"), DipolePortal(0.1, 2e-11))


def test_decays_reweight_analytically(sun, xenon, rc):
    m1 = DipolePortal(0.3, 1e-6)
    m2 = m1.with_mu(3e-6)  # lifetime 9x shorter
    ev = numpy_cols(make(sun, xenon, rc, model=m1).generate(100_000, seed=4))
    x, y, z = decay_vertex(ev, m2)
    d2 = np.sqrt(x * x + y * y + z * z)
    lam2 = ev["N_betagamma"] * m2.ctau_cm
    np.testing.assert_allclose(lam2, ev["N_lambda_cm"] / 9, rtol=1e-12)
    assert stats.kstest(d2 / lam2, "expon").pvalue > P_MIN
    # probability to decay within L: analytic mean vs fraction of reweighted vertices
    L = float(np.median(lam2))
    p = decay_probability(ev, m2, 0.0, L)
    frac = np.mean(d2 < L)
    assert abs(frac - p.mean()) < N_SIGMA * np.sqrt(p.mean() * (1 - p.mean()) / p.size)


# ------------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------------
def test_zero_rate_model_is_an_error(sun, xenon, rc):
    with pytest.raises(KinematicsError, match=r"rate is zero.*M_N = 20 MeV"):
        make(sun, xenon, rc, mass=20.0)
    with pytest.raises(KinematicsError, match="mu = 0"):
        make(sun, xenon, rc, mass=0.1, mu=0.0)


def test_bad_arguments(sun, xenon, rc):
    with pytest.raises(UnknownNameError, match="process"):
        make(sun, xenon, rc, process="dipol")
    with pytest.raises(UnknownNameError, match="scatterer"):
        make(sun, xenon, rc, scatterer="proton")
    with pytest.raises(InvalidParameterError, match="lo < hi"):
        make(sun, xenon, rc, recoil_range_MeV=(0.03, 0.001))
    gen = make(sun, xenon, rc)
    for bad in (0, -3, 1.5, True):
        with pytest.raises(InvalidParameterError, match="positive integer"):
            next(gen.iter_chunks(bad, seed=1))


# ------------------------------------------------------------------------------------------------
# kinematics helpers
# ------------------------------------------------------------------------------------------------
def test_two_body_final_state_matches_closed_forms(rng):
    E = rng.uniform(0.5, 10, 1000)
    M = 0.2
    t_lo, t_hi = recoil_range(E, M, M_E)
    T = t_lo + rng.random(1000) * (t_hi - t_lo)
    phi = rng.uniform(0, 2 * np.pi, 1000)
    rec, N = two_body_final_state(E, T, M, M_E, phi)
    assert np.max(np.abs(invariant_mass_sq(N) - M * M) / N[0] ** 2) < REL
    np.testing.assert_allclose(np.arctan2(rec[2], rec[1]) % (2 * np.pi), phi, atol=1e-9)


def test_decay_to_massless_pair_rest_frame_energy(rng):
    n = 1000
    M = 0.5
    p = rng.uniform(0, 5, n)
    d = rng.normal(size=(3, n))
    d /= np.linalg.norm(d, axis=0)
    N = (np.sqrt(p * p + M * M), p * d[0], p * d[1], p * d[2])
    c = rng.uniform(-1, 1, n)
    g, nu = decay_to_massless_pair(N, M, c, rng.uniform(0, 2 * np.pi, n))
    beta = tuple(-x / N[0] for x in N[1:])
    g_rest = boost(g, beta)
    nu_rest = boost(nu, beta)
    np.testing.assert_allclose(g_rest[0], M / 2, rtol=1e-9)
    np.testing.assert_allclose(nu_rest[0], M / 2, rtol=1e-9)
    cos_rest = (g_rest[1] * d[0] + g_rest[2] * d[1] + g_rest[3] * d[2]) / g_rest[0]
    np.testing.assert_allclose(cos_rest, c, atol=1e-9)


def test_orthonormal_basis_and_rotation(rng):
    n = rng.normal(size=(3, 500))
    n /= np.linalg.norm(n, axis=0)
    e1, e2 = orthonormal_basis(*n)
    e1, e2 = np.array(e1), np.array(e2)
    for a, b in ((e1, e1), (e2, e2)):
        np.testing.assert_allclose((a * b).sum(0), 1, atol=1e-12)
    for a, b in ((e1, e2), (e1, n), (e2, n)):
        np.testing.assert_allclose((a * b).sum(0), 0, atol=1e-12)
    np.testing.assert_allclose(np.cross(e1.T, e2.T).T, n, atol=1e-12)  # right-handed
    z = rotate_from_z((np.zeros(500), np.zeros(500), np.ones(500)), tuple(n))
    np.testing.assert_allclose(np.array(z), n, atol=1e-12)


def test_boost_rejects_superluminal():
    with pytest.raises(InvalidParameterError, match="beta"):
        boost((1.0, 0.0, 0.0, 0.0), (1.0, 0.0, 0.0))


# ------------------------------------------------------------------------------------------------
# neutrinos from the Sun's direction
# ------------------------------------------------------------------------------------------------
def test_sun_ephemeris_reference_values():
    import datetime as dt

    from nugen.sun import SITES, sun_direction_enu, sun_distance_au

    t0 = dt.datetime(2020, 6, 20, tzinfo=dt.UTC).timestamp()
    t = t0 + np.arange(0.0, 86400.0, 10.0)
    e, n, u = sun_direction_enu(t, *SITES["lngs"])
    np.testing.assert_allclose(e * e + n * n + u * u, 1.0, rtol=1e-12)
    i = np.argmax(u)
    # near the June solstice the noon altitude is 90 - latitude + 23.44 deg (declination at the solstice);
    # the low-precision ephemeris is good to ~0.01 deg, 0.05 deg allows for the day's declination change
    assert np.degrees(np.arcsin(u[i])) == pytest.approx(90 - 42.42 + 23.44, abs=0.05)
    assert abs(np.degrees(np.arctan2(e[i], n[i]))) == pytest.approx(180.0, abs=0.1)  # due south at noon
    # local noon at 13.52 deg E: 12:00 - 54 min - equation of time (-1.5 min) -> 11:07 UTC (+- 2 min)
    noon = dt.datetime.fromtimestamp(t[i], dt.UTC)
    assert abs((noon.hour * 60 + noon.minute) - (11 * 60 + 7)) <= 2
    days = dt.datetime(2020, 1, 1, tzinfo=dt.UTC).timestamp() + np.arange(366) * 86400.0
    r = sun_distance_au(days)
    # perihelion 2020-01-05 (0.98324 AU) and aphelion 2020-07-04 (1.01669 AU); 1e-4 AU formula accuracy.
    # The formula has no lunar term: the Earth's offset from the Earth-Moon barycentre (3e-5 AU) moves
    # the flat extrema by up to ~3 days, hence the tolerance on the dates.
    assert r.min() == pytest.approx(0.98324, abs=1e-4) and abs(int(np.argmin(r)) - 4) <= 3
    assert r.max() == pytest.approx(1.01669, abs=1e-4) and abs(int(np.argmax(r)) - 185) <= 3


def test_site_sample_points_neutrinos_from_the_sun(sun, xenon, rc):
    from nugen.generator import SITE_BRANCH_DOCS
    from nugen.sun import SUN_PERIOD_START_UNIX, sun_direction_enu, sun_distance_au

    plain = make(sun, xenon, rc, mass=0.3, mu=1e-6)
    sited = make(sun, xenon, rc, mass=0.3, mu=1e-6, site="lngs")
    a = numpy_cols(plain.generate(100_000, seed=12))
    b = numpy_cols(sited.generate(100_000, seed=12))
    assert list(b) == list(BRANCH_DOCS) + list(SITE_BRANCH_DOCS)
    # the site's draws come after all others: the same events, only rotated
    for f in ("E_nu_MeV", "Er_keV", "N_E_MeV", "gamma_E_MeV", "weight"):
        np.testing.assert_array_equal(a[f], b[f])
    d = np.stack([b[f"nu_dir_{c}"] for c in "xyz"])
    e, n, u = sun_direction_enu(b["time_unix_s"], 42.42, 13.52)
    np.testing.assert_allclose(d, -np.stack([e, n, u]), atol=1e-12)
    # four-momentum conservation in the rotated frame, with p_nu = E_nu x direction
    for i, c in enumerate("xyz"):
        lhs = b["E_nu_MeV"] * d[i]
        rhs = b[f"recoil_p{c}_MeV"] + b[f"N_p{c}_MeV"]
        assert np.max(np.abs(lhs - rhs) / b["E_nu_MeV"]) < REL
    # rotation keeps the angles: recoil and photon relative to their parents
    for prefix in ("recoil_p", "N_p", "gamma_p"):
        pa = np.stack([a[f"{prefix}{c}_MeV"] for c in "xyz"])
        pb = np.stack([b[f"{prefix}{c}_MeV"] for c in "xyz"])
        np.testing.assert_allclose(np.linalg.norm(pb, axis=0), np.linalg.norm(pa, axis=0), rtol=1e-12)
        np.testing.assert_allclose((pb * d).sum(0), pa[2], rtol=1e-9, atol=1e-12)
    # event times: inside the year 2020 with density ∝ 1/r^2 (annual modulation, ~7 % peak to peak)
    t = b["time_unix_s"]
    t0, t1 = SUN_PERIOD_START_UNIX, SUN_PERIOD_START_UNIX + 366 * 86400.0
    assert t.min() >= t0 and t.max() <= t1
    grid = np.linspace(t0, t1, 20001)
    dens = sun_distance_au(grid) ** -2.0
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]))])
    cdf /= cdf[-1]
    assert stats.kstest(t, lambda v: np.interp(v, grid, cdf)).pvalue > P_MIN
    jan = np.mean((t - t0) < 31 * 86400)
    jul = np.mean(((t - t0) >= 182 * 86400) & ((t - t0) < 213 * 86400))
    assert jan / jul == pytest.approx((1.01669 / 0.98324) ** 2, rel=0.04)  # ~1.2 % statistics, 3 sigma


def test_bad_site(sun, xenon, rc):
    with pytest.raises(UnknownNameError, match="site"):
        make(sun, xenon, rc, site="mars")
    with pytest.raises(InvalidParameterError, match="latitude"):
        make(sun, xenon, rc, site=(95.0, 0.0))


@pytest.mark.parametrize(
    ("target", "scatterer", "mass"),
    [("xenon", "both", m) for m in (0.0, 0.02, 0.2, 0.5, 1.0, 5.0)]
    + [("pseudocumene", "electron", m) for m in (0.0, 0.3, 1.0)],
)
def test_envelope_dominates_everywhere(sun, target, scatterer, mass):
    """No candidate may exceed its envelope (a violation would bias the sample), across masses and targets."""
    gen = Generator(sun, get_target(target), DipolePortal(mass, 1e-10), process="all", scatterer=scatterer)
    diag = None
    for _, d in gen.iter_chunks(60_000, seed=8):
        diag = d if diag is None else diag.__iadd__(d)
    assert diag.violations == 0 and diag.max_ratio <= 1.0
    # the acceptance also estimates the rate (binomial error)
    p = diag.accepted / diag.proposed
    err = gen.envelope_integral * np.sqrt(p * (1 - p) / diag.proposed)
    assert abs(gen.envelope_integral * p - gen.total_rate) < N_SIGMA * err


def test_default_glass_window_holds_the_whole_coherent_charm2_rate():
    # coherent up-scattering of a GeV beam on Si/O is cut off by the Helm form factor near 1 MeV of
    # recoil; the default generator window must not lose events above the solar-style 10 keV
    from nugen.generator import DEFAULT_RECOIL_RANGES_MEV
    from nugen.rates import rate_calculator

    lo, hi = DEFAULT_RECOIL_RANGES_MEV[("glass", "nucleus")]
    rc = rate_calculator("charm2", "glass")
    model = DipolePortal(100.0, 3e-9, flavour="mu")
    inside = rc.dipole_counts(np.array([lo, hi]), model, "nucleus").sum()
    beyond = rc.dipole_counts(np.array([hi, 100.0 * hi]), model, "nucleus").sum()
    assert beyond < 1e-6 * inside  # form factor: nothing left above the window
