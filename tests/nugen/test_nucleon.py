"""The proton's form factors and the nucleon dipole channel nu p -> N p (issue 15).

Oracles: F1(0) = 1 (the proton's charge); the Dirac radius r_1^2 = 12/Lambda^2 - 6 kappa_p/(4 m_p^2) of the
dipole parametrisation (Lambda^2 = 0.71 GeV^2), worked out by hand below and compared with a numerical
derivative of the code's F1^2; F1 at Q^2 = 1 and 10 GeV^2 evaluated by hand (numbers in the comments).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nugen.beam_events import sample_scatterings
from nugen.constants import ALPHA, CM2_PER_MEV2, HBARC_MEV_FM, M_NEUTRON, M_PROTON, MU_B_PER_MEV, MU_PROTON
from nugen.errors import UnknownNameError
from nugen.generator import Generator
from nugen.kinematics import recoil_range
from nugen.model import DipolePortal
from nugen.rates import PROCESSES, RateCalculator
from nugen.sources import get_source
from nugen.targets import Material, get_target
from nugen.xsec import dipole_dsigma_dT, dipole_nucleus_dsigma_dT
from nugen.xsec.form_factors import nuclear_form_factor_sq, proton_dirac_form_factor_sq
from nugen.xsec.nucleon import (
    dipole_incoherent_dsigma_dT,
    dipole_nucleon_dsigma_dT,
    dipole_nucleon_envelope,
    nucleon_form_factors,
    pauli_blocking_factor,
)

#: Dipole mass squared [GeV^2] of the standard dipole form factor (Perdrisat, Punjabi, Vanderhaeghen 2007).
LAMBDA2_GEV2 = 0.71


def _T_of_Q2(Q2_GeV2, m=M_PROTON):
    """Proton kinetic energy [MeV] for Q^2 = 2 m T."""
    return Q2_GeV2 * 1e6 / (2.0 * m)


def test_constants_are_codata_proton_values():
    # CODATA 2018: m_p = 938.27208816 MeV, mu_p = 2.79284734463 mu_N (CODATA 2022: 938.27208943 MeV)
    assert M_PROTON == pytest.approx(938.2720, abs=2e-3)
    assert MU_PROTON == pytest.approx(2.79284734, rel=1e-8)


@pytest.mark.parametrize("model", ["helm", "fourier_bessel"])
def test_proton_form_factor_is_one_at_zero_recoil_for_every_model(model):
    assert float(proton_dirac_form_factor_sq(0.0)) == 1.0
    # through the nuclear entry point, whatever the model, and with nugen's H1 mass (A x u) or m_p
    for m in (M_PROTON, 931.494):
        assert float(nuclear_form_factor_sq(0.0, 1, 1, m, model)) == 1.0
        assert float(nuclear_form_factor_sq(1e-3, 1, 1, m, model)) == pytest.approx(
            float(proton_dirac_form_factor_sq(1e-3, m)), rel=1e-15
        )


def test_dirac_radius_from_the_slope():
    # r1^2 = 12/0.71 GeV^-2 - 6 (mu_p - 1)/(4 m_p^2): 16.9014 - 6 x 1.792847/(4 x 0.880354) = 16.9014 - 3.0547
    # = 13.8467 GeV^-2 = 13.8467 x 0.0389379 fm^2 = 0.53915 fm^2, r1 = 0.7343 fm
    r1_sq_fm2 = 0.53915
    assert math.sqrt(r1_sq_fm2) == pytest.approx(0.734, abs=5e-4)
    # numerical derivative of F1^2 = 1 - Q^2 r1^2 / 3 + O(Q^4): central difference in Q^2 around 0 by
    # symmetric points +-h is not available (Q^2 >= 0), so Richardson on one side: 2 D(h) - D(2h)
    h_mev2 = 1.0e2  # Q^2 = 1e-4 GeV^2

    def slope(q2):
        return (float(proton_dirac_form_factor_sq(q2 / (2 * M_PROTON))) - 1.0) / q2

    d = 2 * slope(h_mev2) - slope(2 * h_mev2)  # MeV^-2, error O(h^2)
    r1_sq_code = -3.0 * d * HBARC_MEV_FM**2
    assert r1_sq_code == pytest.approx(r1_sq_fm2, rel=2e-4)


def test_f1_at_large_momentum_transfer_against_hand_numbers():
    # Q^2 = 1 GeV^2: tau = 1/(4 x 0.938272^2) = 0.283977, G_D = (1 + 1/0.71)^-2 = 0.172397,
    # F1 = G_D (1 + tau mu_p)/(1 + tau) = 0.172397 x 1.793103/1.283977 = 0.240754
    assert math.sqrt(float(proton_dirac_form_factor_sq(_T_of_Q2(1.0)))) == pytest.approx(0.240754, rel=1e-5)
    # Q^2 = 10 GeV^2: tau = 2.839765, G_D = (1 + 14.084507)^-2 = 1/227.5423 = 0.0043948,
    # F1 = G_D x 8.93107/3.839765 = 0.010222; close to the tau >> 1 limit mu_p G_D = 0.012274 times
    # (1 + 1/(tau mu_p))/(1 + 1/tau)
    f1 = math.sqrt(float(proton_dirac_form_factor_sq(_T_of_Q2(10.0))))
    assert f1 == pytest.approx(0.010222, rel=1e-4)
    tau = 10.0 / (4 * (M_PROTON / 1e3) ** 2)
    g_d = (1 + 10.0 / LAMBDA2_GEV2) ** -2
    assert f1 / (MU_PROTON * g_d) == pytest.approx((1 + 1 / (tau * MU_PROTON)) / (1 + 1 / tau), rel=1e-12)


def test_f1_falls_monotonically_and_stays_below_one():
    T = np.geomspace(1e-6, 2e4, 400)
    f = proton_dirac_form_factor_sq(T)
    assert np.all(np.diff(f) < 0)
    assert np.all((f > 0) & (f < 1))


# ---------------------------------------------------------------------------------------------------
# Nucleon form factors F1, F2 and the nucleon dipole cross section (nugen.xsec.nucleon)
# ---------------------------------------------------------------------------------------------------
def test_nucleon_form_factors_at_zero_are_charge_and_anomalous_moment():
    f1p, f2p = nucleon_form_factors(0.0, "proton")
    f1n, f2n = nucleon_form_factors(0.0, "neutron")
    # CODATA: mu_p = 2.792847, mu_n = -1.913043; kappa_p = 1.792847
    assert (float(f1p), float(f2p)) == (1.0, pytest.approx(1.792847, abs=1e-6))
    assert (float(f1n), float(f2n)) == (0.0, pytest.approx(-1.913043, abs=1e-6))


def test_nucleon_sachs_form_factors_are_recovered():
    # G_E = F1 - tau F2, G_M = F1 + F2 (Perdrisat et al. 2007, Eq. 5); at Q^2 = 0.5 GeV^2 by hand:
    # G_D = (1 + 0.5/0.71)^-2 = 1/2.904383 = 0.344308; tau_p = 0.5/3.521416 = 0.141988
    q2 = 0.5e6
    f1, f2 = (float(x) for x in nucleon_form_factors(q2, "proton"))
    tau = q2 / (4 * M_PROTON**2)
    assert tau == pytest.approx(0.141988, rel=1e-5)
    assert f1 - tau * f2 == pytest.approx(0.344308, rel=1e-5)
    assert f1 + f2 == pytest.approx(2.792847 * 0.344308, rel=1e-5)
    # neutron, Galster: G_E^n = -mu_n tau G_D/(1 + 5.6 tau), tau_n = 0.5/(4 x 0.939565^2) = 0.141597
    # -> 1.913043 x 0.141598 x 0.344308/1.792949 = 0.052019
    f1, f2 = (float(x) for x in nucleon_form_factors(q2, "neutron"))
    tau_n = q2 / (4 * M_NEUTRON**2)
    assert f1 - tau_n * f2 == pytest.approx(0.052019, rel=1e-4)
    assert f1 + f2 == pytest.approx(-1.913043 * 0.344308, rel=1e-5)
    f1z, f2z = (float(x) for x in nucleon_form_factors(q2, "neutron", "zero"))
    assert f1z - tau_n * f2z == pytest.approx(0.0, abs=1e-15)


def test_unknown_nucleon_or_neutron_model_is_named():
    with pytest.raises(UnknownNameError, match="nucleon"):
        nucleon_form_factors(0.0, "quark")
    with pytest.raises(UnknownNameError, match="galster"):
        nucleon_form_factors(0.0, "neutron", "kelly")


def test_without_pauli_term_the_proton_is_the_point_charge_formula_times_f1_squared():
    # the existing coherent formula with Z = 1 and the F1 form factor: nugen.xsec.dipole_dsigma_dT x F1^2
    rng = np.random.default_rng(15)
    for _ in range(40):
        E = rng.uniform(300.0, 30000.0)
        M = rng.uniform(0.0, 1500.0)
        if E <= M + M * M / (2 * M_PROTON) + 1.0:
            continue
        t_lo, t_hi = (float(x) for x in recoil_range(E, M, M_PROTON))
        T = math.exp(rng.uniform(math.log(t_lo), math.log(t_hi)))
        ours = float(dipole_nucleon_dsigma_dT(E, T, M, "proton", 1e-9, pauli=False))
        ref = float(dipole_dsigma_dT(E, T, M, M_PROTON, 1e-9) * proton_dirac_form_factor_sq(T))
        # identical algebra rearranged (X_K - X_g = the point bracket): round-off only
        assert ours == pytest.approx(ref, rel=1e-9, abs=1e-12 * ref), (E, M, T)


def test_pauli_term_vanishes_at_small_momentum_transfer():
    # M = 0, T = 1 MeV at E = 800 MeV: tau = T/(2 m_p) = 5.3e-4; the Pauli terms change dsigma/dT by
    # tau F2^2/F1^2 ~ tau kappa_p^2 = 1.7e-3 plus (G_M^2 - F1^2) X_g / (X_K - X_g) ~ (mu_p^2 - 1) T^2/(4 E^2)
    # = 1.3e-6: together < 2.5e-3
    E, T = 800.0, 1.0
    full = float(dipole_nucleon_dsigma_dT(E, T, 0.0))
    dirac = float(dipole_nucleon_dsigma_dT(E, T, 0.0, pauli=False))
    assert 0 < full / dirac - 1 < 2.5e-3


def test_outside_the_kinematic_range_the_cross_section_is_zero():
    E, M = 800.0, 100.0
    _, t_hi = (float(x) for x in recoil_range(E, M, M_PROTON))
    assert float(dipole_nucleon_dsigma_dT(E, t_hi * 1.01, M)) == 0.0
    assert float(dipole_nucleon_dsigma_dT(100.0, 1.0, M)) == 0.0  # below threshold
    assert float(dipole_nucleon_dsigma_dT(E, 0.0, M)) == 0.0


# ---------------------------------------------------------------------------------------------------
# One code path: H1 in the rates, the beam events and the generator
# ---------------------------------------------------------------------------------------------------
def _h1_only(target="mineral_oil"):
    nuc = next(n for n in get_target(target).nuclei if n.name == "H1")
    return Material("h1", "the H1 of mineral oil", 0.0, (nuc,), energy_unit="GeV"), nuc


@pytest.mark.parametrize("model", ["helm", "fourier_bessel", True])
def test_nuclear_entry_point_gives_the_nucleon_cross_section_for_the_proton(model):
    E, M = 1500.0, 200.0
    T = np.geomspace(1.0, 900.0, 50)
    ours = dipole_nucleus_dsigma_dT(E, T, M, 1, 1, M_PROTON, 1e-9, model)
    np.testing.assert_array_equal(ours, dipole_nucleon_dsigma_dT(E, T, M, "proton", 1e-9))
    # form_factor=False is still the point charge; other nuclei keep Z^2 F^2 (C12 checked)
    np.testing.assert_array_equal(
        dipole_nucleus_dsigma_dT(E, T, M, 1, 1, M_PROTON, 1e-9, False),
        dipole_dsigma_dT(E, T, M, M_PROTON, 1e-9),
    )
    m_c = 12 * 931.494
    np.testing.assert_allclose(
        dipole_nucleus_dsigma_dT(E, T, M, 6, 12, m_c, 1e-9),
        36 * dipole_dsigma_dT(E, T, M, m_c, 1e-9) * nuclear_form_factor_sq(T, 6, 12, m_c, "helm"),
        rtol=1e-15,
    )


def test_h1_of_the_targets_is_the_proton():
    _, h1 = _h1_only()
    assert h1.mass_MeV == M_PROTON
    rc = RateCalculator(get_source("miniboone"), get_target("mineral_oil"))
    E, T = np.array([900.0]), np.array([50.0])
    comp = rc.components[0]
    sig = rc.cross_sections(PROCESSES["dipole_A"], comp, E, T, 100.0, h1.mass_MeV, 1, 1)
    np.testing.assert_array_equal(sig[1], dipole_nucleon_dsigma_dT(E, T, 100.0))


def test_nucleon_envelope_bounds_the_cross_section():
    rng = np.random.default_rng(7)
    for _ in range(300):
        E = math.exp(rng.uniform(math.log(50.0), math.log(1e5)))
        M = rng.uniform(0.0, 3000.0) * rng.integers(0, 2)
        if E <= M + M * M / (2 * M_PROTON) + 1e-6:
            continue
        t_lo, t_hi = (float(x) for x in recoil_range(E, M, M_PROTON))
        T = np.geomspace(max(t_lo, 1e-9), t_hi, 400)
        a0, a1 = dipole_nucleon_envelope(E, M)
        bound = ALPHA * MU_B_PER_MEV**2 * CM2_PER_MEV2 * (a0 + a1 / T)
        assert np.all(dipole_nucleon_dsigma_dT(E, T, M) <= bound * (1 + 1e-12)), (E, M)


def test_beam_event_weights_reproduce_the_h1_rate():
    # importance-sampled weighted events (nugen.beam_events) vs the rates' quadrature on H1 alone, over
    # the whole recoil range: the same cross section and the proton's own ceiling (Q^2 = 39 GeV^2)
    mat, _ = _h1_only()
    src = get_source("miniboone")
    rc = RateCalculator(src, mat)
    rng = np.random.default_rng(3)
    for M in (30.0, 600.0):
        ref = rc.dipole_binned_templates([1e-12, 2e4], M, "nucleus")[:, 1, 0]
        for i, comp in enumerate(src.components):
            if comp.flavour != "mu":  # ref is the nu_mu-arrival row (no oscillation: numu and numubar)
                continue
            ev = sample_scatterings(src, comp, mat, "dipole_A", M, 200_000, rng)
            mc, err = ev.weight.sum(), math.sqrt(np.sum(ev.weight**2))
            assert mc == pytest.approx(ref[i], abs=5 * err), (M, comp.name)
            assert err / mc < 0.01
            assert ev.T.max() > 611.0  # beyond Helm's A = 1 ceiling, which cut 0.015-0.3 % of the rate


def test_generator_on_mineral_oil_nuclei_respects_its_envelope():
    src = get_source("miniboone")
    for M in (30.0, 300.0):
        gen = Generator(src, get_target("mineral_oil"), DipolePortal(M, 1e-6, flavour="mu"), process="dipole",
                        scatterer="nucleus", recoil_range_MeV=(1e-4, 2000.0))  # fmt: skip
        diag = None
        for _, d in gen.iter_chunks(60_000, seed=5):
            diag = d if diag is None else diag.__iadd__(d)
        assert diag.violations == 0 and diag.max_ratio <= 1.0
        p = diag.accepted / diag.proposed
        err = gen.envelope_integral * np.sqrt(p * (1 - p) / diag.proposed)
        assert abs(gen.envelope_integral * p - gen.total_rate) < 5 * err


# ---------------------------------------------------------------------------------------------------
# Incoherent scattering on bound nucleons (opt-in: scatterer="nucleon", process dipole_N)
# ---------------------------------------------------------------------------------------------------
def test_incoherent_cross_section_counts_the_nucleons():
    E, M = 2000.0, 300.0
    T = np.geomspace(1.0, 1500.0, 30)
    p = dipole_nucleon_dsigma_dT(E, T, M, "proton")
    n = dipole_nucleon_dsigma_dT(E, T, M, "neutron")
    np.testing.assert_allclose(
        dipole_incoherent_dsigma_dT(E, T, M, 6, 12, nucleons="protons"), 6 * p, rtol=1e-15
    )
    np.testing.assert_allclose(dipole_incoherent_dsigma_dT(E, T, M, 8, 17), 8 * p + 9 * n, rtol=1e-15)
    assert np.all(dipole_incoherent_dsigma_dT(E, T, M, 1, 1) == 0)  # the free proton is the coherent entry
    assert np.all(n > 0) and np.all(n < p)  # the neutron: magnetic (mu_n^2 = 3.66 < mu_p^2) and tiny G_E^n


def test_fermi_gas_pauli_blocking_factor_by_hand():
    m = M_PROTON
    kf = 221.0

    def T_of_q(q):  # kinetic energy with |q| = sqrt(T^2 + 2 m T)
        return math.sqrt(m * m + q * q) - m

    # x = |q|/(2 k_F): S = 3x/2 - x^3/2; x = 0.5 -> 0.6875, x = 0.25 -> 0.3671875, x >= 1 -> 1
    for q, ref in [(0.5 * 2 * kf, 0.6875), (0.25 * 2 * kf, 0.3671875), (2 * kf, 1.0), (3 * kf, 1.0)]:
        assert float(pauli_blocking_factor(T_of_q(q), m, "fermi_gas")) == pytest.approx(ref, rel=1e-12)
    assert float(pauli_blocking_factor(5.0, m, "none")) == 1.0
    with pytest.raises(UnknownNameError, match="Pauli"):
        pauli_blocking_factor(5.0, m, "pauli")
    with pytest.raises(UnknownNameError, match="incoherent nucleons"):
        dipole_incoherent_dsigma_dT(1000.0, 5.0, 0.0, 6, 12, nucleons="quarks")


def test_incoherent_protons_of_carbon_are_six_free_protons_in_the_rates():
    # same cross section and mass (m_p) for H1 and a bound proton: per C12 nucleus, 6 x the H1 rate per H1
    oil = get_target("mineral_oil")
    h1 = next(n for n in oil.nuclei if n.name == "H1")
    c12 = next(n for n in oil.nuclei if n.name == "C12")
    src = get_source("miniboone")
    for M in (100.0, 600.0):
        model = DipolePortal(M, 1e-6, flavour="mu")
        r_h = RateCalculator(src, Material("h", "", 0.0, (h1,))).dipole_counts([1e-12, 2e4], model, "nucleus")
        rc_c = RateCalculator(src, Material("c", "", 0.0, (c12,)), incoherent_nucleons="protons")
        r_c = rc_c.dipole_counts([1e-12, 2e4], model, "nucleon")
        np.testing.assert_allclose(r_c / c12.per_tonne, 6 * r_h / h1.per_tonne, rtol=1e-12)
        # neutrons add, Pauli blocking removes
        c = Material("c", "", 0.0, (c12,))
        r_cn = RateCalculator(src, c).dipole_counts([1e-12, 2e4], model, "nucleon")
        rc_fg = RateCalculator(src, c, pauli_blocking="fermi_gas")
        r_fg = rc_fg.dipole_counts([1e-12, 2e4], model, "nucleon")
        assert r_cn.sum() > r_c.sum() > 0 and r_fg.sum() < r_cn.sum()
    with pytest.raises(UnknownNameError, match="scatterer"):
        rc_c.dipole_counts([1.0, 2.0], model, "nucleons")


def test_beam_event_weights_reproduce_the_incoherent_rate():
    c12 = Material("c", "", 0.0, (next(n for n in get_target("mineral_oil").nuclei if n.name == "C12"),))
    src = get_source("charm2")
    rng = np.random.default_rng(11)
    for pb in ("none", "fermi_gas"):
        rc = RateCalculator(src, c12, pauli_blocking=pb)
        ref = rc.dipole_binned_templates([1e-12, 3e4], 1000.0, "nucleon")[:, 1, 0]
        for i, comp in enumerate(src.components):
            if comp.flavour != "mu":
                continue
            ev = sample_scatterings(src, comp, c12, "dipole_N", 1000.0, 200_000, rng, pauli_blocking=pb)
            assert set(ev.scatterer_names) == {"p:C12", "n:C12"}
            mc, err = ev.weight.sum(), math.sqrt(np.sum(ev.weight**2))
            assert mc == pytest.approx(ref[i], abs=5 * err), (pb, comp.name)
            assert err / mc < 0.01
