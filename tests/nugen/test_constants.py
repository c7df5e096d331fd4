"""Constants and unit conversions against physics.md Sec. 0 and Sec. 7 items 1-2."""

from __future__ import annotations

import math

import pytest

from nugen import constants as c


def test_bohr_magneton_item1():
    # mu_B = e/(2 m_e), e = sqrt(4 pi alpha): 0.296304 MeV^-1 = 296.30 GeV^-1
    assert c.MU_B_PER_MEV == pytest.approx(0.296304, abs=5e-7)  # quoted to 6 decimals
    assert c.MU_B_PER_MEV * 1e3 == pytest.approx(296.30, abs=0.005)  # in GeV^-1


def test_vogel_engel_prefactor_item2():
    # alpha mu_B^2 = pi alpha^2 / m_e^2 = 2.4947e-25 cm^2
    val = c.ALPHA * c.MU_B_PER_MEV**2 * c.CM2_PER_MEV2
    assert val == pytest.approx(2.4947e-25, abs=0.00005e-25)  # 5 digits
    assert val == pytest.approx(math.pi * c.ALPHA**2 / c.M_E**2 * c.CM2_PER_MEV2, rel=1e-14)  # identity


def test_transition_dipole_conversion_sec_1_2():
    # Magill et al. / Kopp-group d = mu/2: d [GeV^-1] = 1.4815e-9 x (mu / 1e-11 mu_B)
    d_gev = 1e-11 * c.MU_B_PER_MEV * 1e3 / 2
    assert d_gev == pytest.approx(1.4815e-9, abs=0.00005e-9)


@pytest.mark.parametrize(
    ("value", "reference", "rel"),
    [
        # physics.md Sec. 0 (CODATA 2018); scipy may carry CODATA 2022: tolerances cover those shifts
        (1 / c.ALPHA, 137.035999084, 1e-9),
        (c.M_E, 0.51099895, 1e-8),  # quoted to 8 decimals
        (c.G_F, 1.1663787e-11, 1e-7),  # MeV^-2 (1.1663787e-5 GeV^-2)
        (c.HBARC_MEV_FM, 197.3269804, 1e-9),
        (c.HBARC_MEV_CM, 1.973269804e-11, 1e-9),
        (c.HBAR_MEV_S, 6.582119569e-22, 1e-9),
        (c.N_A, 6.02214076e23, 1e-15),  # exact since 2019
        (c.SECONDS_PER_YEAR, 3.15576e7, 1e-15),  # Julian year, exact
        (c.CM2_PER_MEV2, 1.973269804e-11**2, 2e-9),
        (c.AMU_MEV, 931.49410242, 1e-8),
    ],
    ids=["alpha", "m_e", "G_F", "hbarc_fm", "hbarc_cm", "hbar", "N_A", "year", "cm2", "amu"],
)
def test_constants_sec_0(value, reference, rel):
    assert value == pytest.approx(reference, rel=rel)


def test_weak_mixing_angles_sec_3_1():
    assert c.SIN2_THETA_W == 0.23121  # MS-bar at M_Z, the Brdar-analysis convention (a definition)
    assert c.SIN2_THETA_W_LOW_Q == pytest.approx(0.2386, abs=5e-5)  # "approx 0.2386"


def test_speed_of_light():
    assert c.SPEED_OF_LIGHT_CM_S == 29979245800.0  # exact by definition
    # hbar c / hbar = c
    assert c.HBARC_MEV_CM / c.HBAR_MEV_S == pytest.approx(c.SPEED_OF_LIGHT_CM_S, rel=1e-12)
