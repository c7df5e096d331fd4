"""Target materials: electron and nucleus counts, stepping Z_eff (physics.md Sec. 6.1, 6.2, item 28)."""

from __future__ import annotations

import numpy as np
import pytest

from nugen import NugenError
from nugen.constants import N_A
from nugen.errors import UnknownNameError
from nugen.targets import TARGETS, get_target, nucleus_pdg

KEV = 1e-3
GRAMS_PER_TONNE = 1e6


# ---------------------------------------------------------------------------------------------------
# Xenon
# ---------------------------------------------------------------------------------------------------
def test_xenon_electrons_and_atoms_per_tonne():
    xe = get_target("xenon")
    assert xe.electrons_per_tonne == pytest.approx(2.4769e29, abs=0.00005e29)  # 5 digits (Sec. 6.1)
    atoms = sum(n.per_tonne for n in xe.nuclei)
    assert atoms == pytest.approx(4.5868e27, abs=0.00005e27)
    # independently: 54 N_A / 131.293 g/mol per gram; abundances sum to 1 to the table's 6 digits
    assert xe.electrons_per_tonne == pytest.approx(54 * N_A * GRAMS_PER_TONNE / 131.293, rel=1e-6)
    assert xe.electrons_per_atom == 54


@pytest.mark.parametrize(
    ("T_keV", "z_eff"),
    [
        (0.9, 36),  # below the M3 edge (0.9406)
        (1.0, 40),  # 40 for 0.9406 <= T < 1.0021
        (1.1, 42),  # 42 up to 1.1487
        (1.2, 44),
        (2.0, 44),  # 44 for 1.149 - 4.786
        (4.7, 44),
        (5.0, 48),  # 48 up to 5.107
        (5.2, 50),  # 50 up to 5.453
        (5.5, 52),
        (10.0, 52),  # 52 for 5.453 - 34.56
        (34.0, 52),
        (35.0, 54),  # above the K edge (34.561)
        (200.0, 54),
    ],
)
def test_xenon_z_eff_steps_sec_6_1(T_keV, z_eff):
    assert float(get_target("xenon").z_eff(T_keV * KEV)) == pytest.approx(z_eff, abs=1e-12)  # integers


def test_xenon_z_eff_switches_at_the_quoted_edges():
    xe = get_target("xenon")
    edges_keV = [0.9406, 1.0021, 1.1487, 4.786, 5.107, 5.453, 34.561]
    for b in edges_keV:
        below, above = xe.z_eff(np.array([b * (1 - 1e-6), b * (1 + 1e-6)]) * KEV)
        assert above > below, b
    np.testing.assert_allclose(np.sort(xe.breakpoints_MeV)[-7:], np.array(edges_keV) * KEV, rtol=1e-12)
    # electron_fraction = Z_eff / 54 and broadcasts over (n, 1) x shells
    T = np.array([[0.5], [2.0], [40.0]]) * KEV
    np.testing.assert_allclose(xe.electron_fraction(T), np.array([[26], [44], [54]]) / 54, rtol=1e-15)


# ---------------------------------------------------------------------------------------------------
# Argon
# ---------------------------------------------------------------------------------------------------
def test_argon_electrons_atoms_and_z_eff_steps():
    ar = get_target("argon")
    # 18 N_A / 39.948 g/mol per gram (IUPAC conventional weight); abundances 36/38/40 sum to 1
    assert ar.electrons_per_tonne == pytest.approx(18 * N_A * GRAMS_PER_TONNE / 39.948, rel=1e-6)
    assert {n.A for n in ar.nuclei} == {36, 38, 40} and ar.electrons_per_atom == 18
    # Bearden & Burr levels: M2,3 12.4 eV, M1 25.3 eV, L3 245.2, L2 247.3, L1 320 eV, K 3202.9 eV
    for T_eV, z in ((10, 0), (20, 6), (100, 8), (246, 12), (300, 14), (1000, 16), (3000, 16), (3300, 18)):
        assert float(ar.z_eff(T_eV * 1e-6)) == z, T_eV


# ---------------------------------------------------------------------------------------------------
# Pseudocumene and glass (free electrons)
# ---------------------------------------------------------------------------------------------------
def test_pseudocumene_electrons_item28():
    pc = get_target("pseudocumene")
    assert pc.electrons_per_tonne * 100 == pytest.approx(3.307e31, abs=0.0005e31)  # per 100 t, 4 digits
    # C9H12: 66 electrons per 120.195 g/mol (IUPAC conventional weights C 12.011, H 1.008)
    assert pc.electrons_per_tonne == pytest.approx(66 * N_A * GRAMS_PER_TONNE / 120.195, rel=1e-12)
    np.testing.assert_array_equal(pc.electron_fraction(np.array([1e-6, 1.0])), [1.0, 1.0])
    assert pc.breakpoints_MeV.size == 0


def test_glass_is_sio2():
    g = get_target("glass")
    units = N_A * GRAMS_PER_TONNE / (28.085 + 2 * 15.999)
    assert g.electrons_per_tonne == pytest.approx(30 * units, rel=1e-12)
    si = sum(n.per_tonne for n in g.nuclei if n.Z == 14)
    o = sum(n.per_tonne for n in g.nuclei if n.Z == 8)
    # per-element abundances sum to 1 to the table's 5 digits
    assert si == pytest.approx(units, rel=1e-5)
    assert o == pytest.approx(2 * units, rel=1e-5)


# ---------------------------------------------------------------------------------------------------
# All materials: abundances, charge neutrality, nuclei
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", TARGETS)
def test_abundance_sums_and_charge_neutrality(name):
    mat = get_target(name)
    # every element's isotopic abundances sum to 1 (table to 5-6 digits): electrons = sum Z n_nuclei
    assert sum(n.Z * n.per_tonne for n in mat.nuclei) == pytest.approx(mat.electrons_per_tonne, rel=1e-5)
    for el_Z in {n.Z for n in mat.nuclei}:
        iso = [n for n in mat.nuclei if n.Z == el_Z]
        assert all(n.per_tonne > 0 for n in iso)
        assert all(n.A >= n.Z and n.N == n.A - n.Z for n in iso)
    for n in mat.nuclei:
        if (n.Z, n.A) == (1, 1):  # H1 is the proton: CODATA m_p = 938.272 MeV, not 1 u
            assert n.mass_MeV == pytest.approx(938.272, rel=1e-6)
        else:  # A x u, mass excess neglected (< 0.1 %)
            assert n.mass_MeV == pytest.approx(n.A * 931.494, rel=1e-5)


def test_xenon_abundances_sum_to_one():
    xe = get_target("xenon")
    atoms = sum(n.per_tonne for n in xe.nuclei)
    assert atoms == pytest.approx(N_A * GRAMS_PER_TONNE / 131.293, rel=1e-6)  # IUPAC fractions: 6 digits
    assert {n.A for n in xe.nuclei} == {124, 126, 128, 129, 130, 131, 132, 134, 136}


# ---------------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------------
def test_registry_and_caching():
    assert set(TARGETS) == {"xenon", "argon", "pseudocumene", "glass", "mineral_oil"}
    assert get_target("xenon") is get_target("xenon")


@pytest.mark.parametrize(
    ("name", "closest"), [("xenn", "xenon"), ("glas", "glass"), ("pseudocumol", "pseudocumene")]
)
def test_unknown_target_lists_known_closest_first(name, closest):
    with pytest.raises(UnknownNameError, match=rf"unknown target '{name}'; known: {closest}, ") as info:
        get_target(name)
    assert isinstance(info.value, NugenError) and isinstance(info.value, ValueError)
    assert info.value.known[0] == closest
    assert sorted(info.value.known) == sorted(TARGETS)


def test_nucleus_pdg_codes_follow_the_pdg_numbering_scheme():
    # PDG RPP Sec. 45 "Monte Carlo particle numbering scheme": 10LZZZAAAI, e.g. 12C, 131Xe, 208Pb
    assert nucleus_pdg(6, 12) == 1000060120
    assert nucleus_pdg(54, 131) == 1000541310
    assert nucleus_pdg(82, 208) == 1000822080
    assert nucleus_pdg([6, 54], [12, 131]).tolist() == [1000060120, 1000541310]
    xe131 = next(x for x in get_target("xenon").nuclei if x.A == 131)
    assert xe131.pdg == 1000541310
