"""Cross sections against numbers and formulas that do not come from nugen (physics.md Secs. 2, 3, 7)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from nugen.constants import ALPHA, CM2_PER_MEV2, G_F, HBARC_MEV_FM, M_E, MU_B_PER_MEV, SIN2_THETA_W
from nugen.kinematics import recoil_range
from nugen.xsec import (
    cevns_dsigma_dT,
    dipole_dsigma_dT,
    dipole_electron_dsigma_dT,
    dipole_nucleus_dsigma_dT,
    dipole_sigma_total,
    helm_form_factor_sq,
    helm_radius_fm,
    sm_electron_dsigma_dT,
)

KEV = 1e-3  # MeV
AMU_DOC = 931.494  # physics.md uses m_A = A x 931.494 MeV for every nuclear check value
M_XE131 = 131 * AMU_DOC
M_SI28 = 28 * AMU_DOC
M_O16 = 16 * AMU_DOC


def vogel_engel(E, T, mu_muB):
    """alpha mu^2 (1/T - 1/E) in cm^2/MeV (physics.md Sec. 2.3), written out here."""
    mu = mu_muB * MU_B_PER_MEV
    return ALPHA * mu * mu * (1 / T - 1 / E) * CM2_PER_MEV2


# ---------------------------------------------------------------------------------------------------
# Dipole: massless limit, check value, zero outside the range
# ---------------------------------------------------------------------------------------------------
def test_massless_limit_is_vogel_engel(rng):
    E = rng.uniform(0.05, 20.0, 200)
    T = E * rng.uniform(1e-4, 0.9, 200) * (2 * E / (2 * E + M_E))  # inside [0, T_max(M = 0)]
    ve = vogel_engel(E, T, 2e-11)
    # M = 0 exactly is the Vogel-Engel formula: same expression, round-off only
    np.testing.assert_allclose(dipole_electron_dsigma_dT(E, T, 0.0, 2e-11), ve, rtol=1e-12)
    # M = 1e-6 MeV: corrections are O(M^2/(m_e E)) <= 4e-11 here; 1e-6 is the doc's claim with margin
    np.testing.assert_allclose(dipole_electron_dsigma_dT(E, T, 1e-6, 2e-11), ve, rtol=1e-6)


def test_vogel_engel_check_value_item3():
    # mu = 1e-11 mu_B, T = 10 keV, E = 0.42 MeV, M = 0: 2.435e-48 cm^2/keV
    val = float(dipole_electron_dsigma_dT(0.42, 10 * KEV, 0.0, 1e-11)) * KEV
    assert val == pytest.approx(2.435e-48, abs=0.0005e-48)  # quoted to 4 digits
    # and the prefactor form of Sec. 2.3: 2.4947e-25 cm^2 x 1e-22 x (1/T - 1/E), T and E in keV
    assert val == pytest.approx(2.4947e-25 * 1e-22 * (1 / 10 - 1 / 420), rel=5e-5)  # 5 quoted digits


def test_dipole_is_zero_outside_the_kinematic_range_and_for_nonpositive_T():
    E, M = 0.8613, 0.3
    t_lo, t_hi = (float(x) for x in recoil_range(E, M, M_E))
    T = np.array([-1.0, 0.0, t_lo * (1 - 1e-6), t_hi * (1 + 1e-6), 5.0])
    assert np.all(dipole_electron_dsigma_dT(E, T, M, 1e-10) == 0)
    assert np.all(dipole_electron_dsigma_dT(E, np.array([t_lo * 1.01, t_hi * 0.99]), M, 1e-10) > 0)
    # below threshold (E_thr(0.5) = 0.7446 MeV) nothing at any T
    assert np.all(dipole_electron_dsigma_dT(0.7, np.geomspace(1e-6, 1.0, 50), 0.5, 1e-10) == 0)
    # massless: T = 0 and negative T give 0, not inf/nan (pytest turns RuntimeWarnings into errors)
    assert float(dipole_electron_dsigma_dT(1.0, 0.0, 0.0)) == 0.0
    # nucleus: same kinematic range with m -> m_A
    t_lo_a, t_hi_a = (float(x) for x in recoil_range(10.0, 1.0, M_XE131))
    T_a = np.array([0.0, t_lo_a * (1 - 1e-6), t_hi_a * (1 + 1e-6)])
    assert np.all(dipole_nucleus_dsigma_dT(10.0, T_a, 1.0, 54, 131, M_XE131, 1e-10) == 0)
    assert float(dipole_nucleus_dsigma_dT(10.0, 0.5 * t_hi_a, 1.0, 54, 131, M_XE131, 1e-10)) > 0


def test_dipole_differential_is_nonnegative_inside_the_range(rng):
    # the bracket of Sec. 2.1 is a physical |M|^2 inside [T_min, T_max]: positive without the clip
    for _ in range(200):
        M = rng.uniform(0.0, 0.5)
        E = rng.uniform(1.001, 30.0) * (M + M * M / (2 * M_E)) + 0.01
        t_lo, t_hi = (float(x) for x in recoil_range(E, M, M_E))
        T = t_lo + rng.uniform(1e-6, 1 - 1e-6) * (t_hi - t_lo)
        mu = MU_B_PER_MEV
        bracket = (
            1 / T
            - 1 / E
            + M**2 * (T - 2 * E - M_E) / (4 * E**2 * T * M_E)
            + M**4 * (T - M_E) / (8 * E**2 * T**2 * M_E**2)
        )
        assert bracket > 0
        # the doc's formula, typed again: equal to round-off away from the edges
        ref = ALPHA * mu * mu * bracket * CM2_PER_MEV2
        assert float(dipole_electron_dsigma_dT(E, T, M)) == pytest.approx(ref, rel=1e-9)


# ---------------------------------------------------------------------------------------------------
# Total cross section: closed form vs adaptive quadrature
# ---------------------------------------------------------------------------------------------------
def quad_sigma(E, M, m, t1, t2):
    """Integral of dsigma/dT over [t1, t2] in ln T (the integrand spans many decades near T_min)."""

    def f(lt):
        T = math.exp(lt)
        return T * float(dipole_dsigma_dT(E, T, M, m))

    val, err = integrate.quad(f, math.log(t1), math.log(t2), epsabs=0.0, epsrel=1e-12, limit=500)
    assert err < 1e-10 * abs(val)
    return val


@pytest.mark.parametrize(
    ("E", "M", "m"),
    [
        (0.8613, 0.3, M_E),  # 7Be line on electrons
        (10.0, 0.5, M_E),  # 8B-like on electrons
        (20e3, 100.0, M_E),  # CHARM-II-like, electron target (threshold 9.8 GeV)
        (20e3, 100.0, M_SI28),  # CHARM-II-like, coherent on silicon
        (30.0, 5.0, M_XE131),  # nuclear recoil in xenon
    ],
    ids=["7Be-e", "8B-e", "CHARM2-e", "CHARM2-Si", "Xe"],
)
def test_total_cross_section_closed_form_equals_quadrature(E, M, m):
    t1, t2 = (float(x) for x in recoil_range(E, M, m))
    ref = quad_sigma(E, M, m, t1, t2)
    # physics.md Sec. 2.4: agreement to 1e-8 (cancellations in the closed form at the 1e-12 level)
    assert float(dipole_sigma_total(E, M, m)) == pytest.approx(ref, rel=1e-8)
    # with a detector window [T_lo, T_hi] strictly inside the range
    lo, hi = t1 + 0.1 * (t2 - t1), t1 + 0.7 * (t2 - t1)
    ref_w = quad_sigma(E, M, m, lo, hi)
    assert float(dipole_sigma_total(E, M, m, T_lo=lo, T_hi=hi)) == pytest.approx(ref_w, rel=1e-8)


def test_total_cross_section_zero_when_window_empty_or_below_threshold():
    assert float(dipole_sigma_total(0.5, 0.5)) == 0.0  # below E_thr = 0.7446 MeV
    t1, t2 = (float(x) for x in recoil_range(1.0, 0.3, M_E))
    assert float(dipole_sigma_total(1.0, 0.3, T_lo=t2 * 1.1)) == 0.0
    assert float(dipole_sigma_total(1.0, 0.3, T_hi=t1 * 0.9)) == 0.0
    # massless with a detector threshold: alpha mu^2 [ln(T2/T1) - (T2 - T1)/E]
    E, lo = 0.42341, 1 * KEV
    t_max = 2 * E * E / (2 * E + M_E)
    mu = 1e-11 * MU_B_PER_MEV
    expected = ALPHA * mu * mu * (math.log(t_max / lo) - (t_max - lo) / E) * CM2_PER_MEV2
    assert float(dipole_sigma_total(E, 0.0, T_lo=lo, mu_muB=1e-11)) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------------------------------
# Helm form factor and coherent cross sections
# ---------------------------------------------------------------------------------------------------
def test_helm_radius_xenon():
    assert helm_radius_fm(131) == pytest.approx(5.8365, abs=5e-5)  # quoted to 0.1 mfm


@pytest.mark.parametrize(
    ("A", "T_keV", "f2"),
    [
        (131, 1.0, 0.95322),
        (131, 10.0, 0.61159),
        (131, 50.0, 0.05573),
        (28, 10.0, 0.95782),
        (16, 10.0, 0.98107),
    ],
    ids=["Xe-1keV", "Xe-10keV", "Xe-50keV", "Si-10keV", "O-10keV"],
)
def test_helm_check_values_item24(A, T_keV, f2):
    val = float(helm_form_factor_sq(T_keV * KEV, A, A * AMU_DOC))
    assert val == pytest.approx(f2, abs=5e-6)  # quoted to 5 decimals


def test_helm_form_factor_is_one_at_zero_recoil_and_continuous_at_small_q():
    m = M_XE131
    assert float(helm_form_factor_sq(0.0, 131, m)) == pytest.approx(1.0, abs=1e-15)
    # the code switches to 1/3 - x^2/30 below x = q r_n = 1e-3. The series' neglected x^4/840 is 1e-15, but
    # the exact branch (sin x/x^2 - cos x/x)/x cancels O(1/x) terms to get x/3: it loses ~ log10(3/x^2) = 6.5
    # digits at the switch, so the two sides agree to ~3e-10 only; 1e-9 still catches a wrong series
    # coefficient (x^2/10 instead of x^2/30 would open a 2e-7 step)
    r_n = helm_radius_fm(131)
    q_switch = 1e-3 / r_n * HBARC_MEV_FM  # MeV
    T_switch = q_switch**2 / (2 * m)
    f_lo, f_hi = helm_form_factor_sq(np.array([T_switch * (1 - 1e-9), T_switch * (1 + 1e-9)]), 131, m)
    assert f_lo == pytest.approx(f_hi, rel=1e-9)


def test_cevns_check_value_item25():
    # Xe-131 (Z 54, N 77), E = 10 MeV, T = 1 keV, Helm, s_W^2 = 0.23121: 1.017e-39 cm^2/keV
    val = float(cevns_dsigma_dT(10.0, 1 * KEV, 54, 77, M_XE131)) * KEV
    assert val == pytest.approx(1.017e-39, abs=0.0005e-39)  # quoted to 4 digits
    # Q_W = 72.94 (Sec. 3.2) and the point-nucleus formula written out
    q_w = 77 - (1 - 4 * 0.23121) * 54
    assert q_w == pytest.approx(72.94, abs=0.005)
    point = G_F**2 * M_XE131 / (4 * math.pi) * q_w**2 * (1 - 1e-4 - M_XE131 * 1e-3 / 200) * CM2_PER_MEV2
    assert float(cevns_dsigma_dT(10.0, 1 * KEV, 54, 77, M_XE131, form_factor=False)) == pytest.approx(
        point, rel=1e-12
    )


def test_cevns_zero_beyond_t_max_and_for_nonpositive_T():
    t_max = 2 * 10.0**2 / (2 * 10.0 + M_XE131)
    T = np.array([-1e-3, 0.0, t_max * (1 + 1e-6)])
    assert np.all(cevns_dsigma_dT(10.0, T, 54, 77, M_XE131) == 0)


def test_coherent_dipole_check_value_item26():
    # Xe-131, mu = 1e-10 mu_B, M = 0, E = 10 MeV, T = 1 keV, Helm: 6.93e-39 cm^2/MeV
    val = float(dipole_nucleus_dsigma_dT(10.0, 1 * KEV, 0.0, 54, 131, M_XE131, 1e-10))
    assert val == pytest.approx(6.93e-39, abs=0.005e-39)  # quoted to 3 digits
    # = Z^2 F^2 x Vogel-Engel with m_e -> m_A (Sec. 2.6; the M = 0 bracket does not depend on m)
    f2 = float(helm_form_factor_sq(1 * KEV, 131, M_XE131))
    assert val == pytest.approx(54**2 * f2 * vogel_engel(10.0, 1 * KEV, 1e-10), rel=1e-12)


# ---------------------------------------------------------------------------------------------------
# Standard-Model nu e: the Vogel-Engel g_V / g_A form (algebraically different from the g_L / g_R one)
# ---------------------------------------------------------------------------------------------------
def vogel_engel_sm(E, T, g_v, g_a):
    """(G_F^2 m_e / 2 pi)[(g_V+g_A)^2 + (g_V-g_A)^2 (1-T/E)^2 - (g_V^2-g_A^2) m_e T/E^2], cm^2/MeV."""
    bracket = (g_v + g_a) ** 2 + (g_v - g_a) ** 2 * (1 - T / E) ** 2 - (g_v**2 - g_a**2) * M_E * T / E**2
    return G_F**2 * M_E / (2 * math.pi) * bracket * CM2_PER_MEV2


def test_sm_nue_e_at_a_hand_computed_point():
    # E = 1 MeV, T = 0.5 MeV, s_W^2 = 0.23121, nu_e: g_V = 1/2 + 2 s_W^2 = 0.96242, g_A = +1/2.
    # bracket = 1.46242^2 + 0.46242^2 * 0.25 - (0.96242^2 - 0.25) * 0.51099895 * 0.5
    #         = 2.1386722564 + 0.0534580641 - 0.1727820965 = 2.0193482240
    # G_F^2 m_e / (2 pi) = (1.1663787e-11 MeV^-2)^2 * 0.51099895 MeV / (2 pi) = 1.1064182e-23 MeV^-3
    # (hbar c)^2 = 3.8937937e-22 cm^2 MeV^2   ->   dsigma/dT = 8.6997e-45 cm^2/MeV
    bracket = 1.46242**2 + 0.46242**2 * 0.25 - (0.96242**2 - 0.25) * 0.51099895 * 0.5
    assert bracket == pytest.approx(2.0193482240, rel=1e-10)
    hand = 1.1663787e-11**2 * 0.51099895 / (2 * math.pi) * bracket * 1.973269804e-11**2
    assert hand == pytest.approx(8.6997e-45, rel=1e-5)
    ours = float(sm_electron_dsigma_dT(1.0, 0.5, "e", sin2_theta_w=0.23121))
    # the hand number uses the rounded constants of physics.md Sec. 0 (m_e to 8 digits, hbar c to 10);
    # scipy's full-precision values make ours larger by 1.8e-9 relative: 1e-8
    assert ours == pytest.approx(hand, rel=1e-8)


@pytest.mark.parametrize(
    ("flavour", "antineutrino", "g_v", "g_a"),
    [
        ("e", False, 0.5 + 2 * SIN2_THETA_W, 0.5),
        ("e", True, 0.5 + 2 * SIN2_THETA_W, -0.5),
        ("mu", False, -0.5 + 2 * SIN2_THETA_W, -0.5),
        ("mu", True, -0.5 + 2 * SIN2_THETA_W, 0.5),
        ("tau", False, -0.5 + 2 * SIN2_THETA_W, -0.5),
        ("tau", True, -0.5 + 2 * SIN2_THETA_W, 0.5),
    ],
)
def test_sm_electron_equals_vogel_engel_gv_ga_form(flavour, antineutrino, g_v, g_a, rng):
    # g_V = g_L + g_R, g_A = g_L - g_R; antineutrinos flip the sign of g_A (swap g_L <-> g_R)
    E = rng.uniform(0.1, 20.0, 100)
    T = rng.uniform(0.0, 1.0, 100) * 2 * E * E / (2 * E + M_E)
    ours = sm_electron_dsigma_dT(E, T, flavour, antineutrino)
    np.testing.assert_allclose(ours, vogel_engel_sm(E, T, g_v, g_a), rtol=1e-12)  # algebra, round-off


def test_sm_electron_zero_outside_range():
    E = 1.0
    t_max = 2 * E * E / (2 * E + M_E)
    assert np.all(sm_electron_dsigma_dT(E, np.array([-0.1, 0.0, t_max * (1 + 1e-9)])) == 0)
    assert float(sm_electron_dsigma_dT(E, t_max)) > 0


# ---------------------------------------------------------------------------------------------------
# Broadcasting
# ---------------------------------------------------------------------------------------------------
def test_broadcasting_n1_by_1m_matches_scalar_calls():
    E = np.array([[0.5], [1.0], [5.0], [20.0]])  # (4, 1)
    T = np.array([[1e-3, 0.05, 0.2]])  # (1, 3)
    M = np.array([[0.0, 0.1, 0.3]])  # (1, 3)
    cases = {
        "dipole_e": (lambda e, t: dipole_electron_dsigma_dT(e, t, 0.1, 1e-10)),
        "dipole_e_M": (lambda e, m_n: dipole_electron_dsigma_dT(e, 0.05, m_n, 1e-10)),
        "dipole_A": (lambda e, t: dipole_nucleus_dsigma_dT(e, t * 1e-2, 0.0, 54, 131, M_XE131, 1e-10)),
        "sm": (lambda e, t: sm_electron_dsigma_dT(e, t, "mu", True)),
        "cevns": (lambda e, t: cevns_dsigma_dT(e, t * 1e-2, 54, 77, M_XE131)),
        "sigma_tot": (lambda e, m_n: dipole_sigma_total(e, m_n, T_lo=1e-3)),
    }
    for name, f in cases.items():
        second = M if name.endswith("_M") or name == "sigma_tot" else T
        grid = f(E, second)
        assert grid.shape == (4, 3), name
        for i in range(4):
            for j in range(3):
                assert grid[i, j] == f(E[i, 0], second[0, j]), (name, i, j)  # same arithmetic, bit-equal
    # mu broadcasts too: (n, 1) moments times a (1, m) recoil grid
    mus = np.array([[1e-11], [2e-11]])
    out = dipole_electron_dsigma_dT(1.0, T, 0.0, mus)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out[1] / out[0], 4.0, rtol=1e-14)  # sigma scales as mu^2
