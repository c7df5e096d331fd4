"""Explicit Dirac-matrix evaluation of |M|^2 versus nugen's closed-form cross sections and widths.

This re-implements physics.md Appendix A from scratch: Dirac matrices in the Dirac representation,
spinors u(p, s) and v(p, s), sigma^{mu nu}, four-momenta of nu(k) X(p) -> N(k') X(p') built from (E, T)
alone, amplitudes written down from the Lagrangian of physics.md Sec. 1.1, and spin sums done by brute force.
Nothing here uses nugen code except the functions under test and the physical constants; the kinematics
(T range, recoil angle) are written out again from energy-momentum conservation.

Units: natural units in MeV; cross sections converted to cm^2 with nugen.constants.CM2_PER_MEV2, magnetic
moments with nugen.constants.MU_B_PER_MEV.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nugen import DipolePortal
from nugen.constants import ALPHA, CM2_PER_MEV2, G_F, M_E, M_PROTON, MU_B_PER_MEV, SIN2_THETA_W
from nugen.xsec import (
    cevns_dsigma_dT,
    dipole_electron_dsigma_dT,
    dipole_nucleus_dsigma_dT,
    sm_electron_dsigma_dT,
)
from nugen.xsec.nucleon import dipole_nucleon_dsigma_dT, nucleon_form_factors, nucleon_mass

# ---------------------------------------------------------------------------------------------------
# Dirac algebra (Dirac representation, metric diag(+1, -1, -1, -1))
# ---------------------------------------------------------------------------------------------------
I2 = np.eye(2, dtype=complex)
Z2 = np.zeros((2, 2), dtype=complex)
PAULI = (
    np.array([[0, 1], [1, 0]], dtype=complex),
    np.array([[0, -1j], [1j, 0]], dtype=complex),
    np.array([[1, 0], [0, -1]], dtype=complex),
)
GAMMA = np.array(
    [np.block([[I2, Z2], [Z2, -I2]])] + [np.block([[Z2, s], [-s, Z2]]) for s in PAULI]
)  # gamma^mu, upper index
GAMMA5 = 1j * GAMMA[0] @ GAMMA[1] @ GAMMA[2] @ GAMMA[3]
METRIC = np.diag([1.0, -1.0, -1.0, -1.0])
ONE4 = np.eye(4, dtype=complex)
P_L = (ONE4 - GAMMA5) / 2
P_R = (ONE4 + GAMMA5) / 2
# sigma^{mu nu} = (i/2) [gamma^mu, gamma^nu]
SIGMA = np.array([[0.5j * (GAMMA[a] @ GAMMA[b] - GAMMA[b] @ GAMMA[a]) for b in range(4)] for a in range(4)])
CHI = (np.array([1, 0], dtype=complex), np.array([0, 1], dtype=complex))  # spin up / down along z


def lower(v):
    """Lower the index of a four-vector."""
    return METRIC @ v


def mdot(a, b):
    """Minkowski product a.b."""
    return float(a @ METRIC @ b)


def slash(p):
    """p-slash = gamma^mu p_mu."""
    return np.einsum("m,mij->ij", lower(p).astype(complex), GAMMA)


def bar(u):
    """Dirac adjoint ubar = u^dagger gamma^0 (as a row vector)."""
    return u.conj() @ GAMMA[0]


def u_spinor(p, m, chi):
    """u(p, s) = (sqrt(E+m) chi, (sigma.p) chi / sqrt(E+m)), normalised to ubar u = 2m."""
    E = p[0]
    sp = sum(p[i + 1] * PAULI[i] for i in range(3))
    n = math.sqrt(E + m)
    return np.concatenate([n * chi, sp @ chi / n])


def v_spinor(p, m, chi):
    """v(p, s) = i gamma^2 u(p, s)^* (charge conjugate of u: the antiparticle with the same spin label)."""
    return 1j * GAMMA[2] @ u_spinor(p, m, chi).conj()


def spinors(p, m, kind="u"):
    make = u_spinor if kind == "u" else v_spinor
    return [make(p, m, c) for c in CHI]


# ---------------------------------------------------------------------------------------------------
# 2 -> 2 kinematics nu(k) X(p) -> N(k') X(p') in the lab, written out from energy-momentum conservation
# ---------------------------------------------------------------------------------------------------
def t_range(E, M, m):
    """[T_min, T_max] from the roots of cos(theta_T) = +1 (a quadratic in T), not from nugen.

    Squaring E |p'| cos(theta_T) = T (E + m) + M^2/2 with |p'|^2 = T^2 + 2 m T at cos = 1 gives
    a T^2 + b T + c = 0 with a = (E + m)^2 - E^2, b = (E + m) M^2 - 2 m E^2, c = M^4/4.
    """
    a = (E + m) ** 2 - E**2
    b = (E + m) * M**2 - 2 * m * E**2
    c = M**4 / 4
    t_hi = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    t_lo = c / (a * t_hi)  # product of the roots: no cancellation
    return t_lo, t_hi


def lab_momenta(E, T, M, m):
    """Four-momenta k, p, k', p' for recoil kinetic energy T; p' lies in the x-z plane."""
    pp = math.sqrt(T * (T + 2 * m))
    # energy conservation + k'^2 = M^2 fix the recoil angle (physics.md Sec. 2.2)
    cos_t = (T * (E + m) + 0.5 * M * M) / (E * pp)
    sin_t = math.sqrt(max(0.0, 1.0 - cos_t * cos_t))
    k = np.array([E, 0.0, 0.0, E])
    p = np.array([m, 0.0, 0.0, 0.0])
    recoil = np.array([T, pp * sin_t, 0.0, pp * cos_t])  # p' - p, built directly: no m + T - m round-off
    return k, p, k - recoil, p + recoil


def random_points(rng, n, E_range, M_range, m):
    """n random (E, M, T) points above threshold with T log-uniform inside the kinematic range."""
    out = []
    while len(out) < n:
        E = rng.uniform(*E_range)
        M = rng.uniform(*M_range)
        if E <= M + M * M / (2 * m) + 1e-9:
            continue
        t_lo, t_hi = t_range(E, M, m)
        lo = max(t_lo, 1e-9 * t_hi)
        # stay 1 % (in log T) away from the edges, where |cos theta_T| -> 1 and sin(theta_T) loses digits
        u = rng.uniform(0.01, 0.99)
        T = math.exp(math.log(lo) + u * (math.log(t_hi) - math.log(lo)))
        out.append((E, M, T))
    return out


# ---------------------------------------------------------------------------------------------------
# Amplitudes
# ---------------------------------------------------------------------------------------------------
E_CHARGE = math.sqrt(4 * math.pi * ALPHA)


def dipole_current(ubar_out, u_in, q, chiral=True):
    """J^nu = ubar_out sigma^{mu nu} q_mu [P_L] u_in (upper index nu)."""
    ql = lower(q)
    op = np.einsum("m,mnij->nij", ql.astype(complex), SIGMA)
    if chiral:
        op = op @ P_L
    return np.einsum("i,nij,j->n", ubar_out, op, u_in)


def vector_current(ubar_out, u_in):
    """j^nu = ubar_out gamma^nu u_in."""
    return np.einsum("i,nij,j->n", ubar_out, GAMMA, u_in)


def dipole_sum_m2(E, T, M, m, target="spin-1/2", Z=1, mu=1.0, chiral=True):
    """Sum over all spins of |M|^2 for nu X -> N X via photon exchange, dipole coupling mu [MeV^-1]."""
    k, p, k2, p2 = lab_momenta(E, T, M, m)
    q = k - k2
    q2 = mdot(q, q)
    nus = spinors(k, 0.0)
    Ns = spinors(k2, M)
    total = 0.0
    J = [dipole_current(bar(uN), un, q, chiral) for uN in Ns for un in nus]
    if target == "spin-1/2":
        jx = [Z * E_CHARGE * vector_current(bar(a), b) for a in spinors(p2, m) for b in spinors(p, m)]
    else:  # spin-0 point charge: current Z e (p + p')^mu
        jx = [Z * E_CHARGE * (p + p2).astype(complex)]
    for Jn in J:
        for jn in jx:
            amp = mu * (Jn @ METRIC @ jn) / q2
            total += abs(amp) ** 2
    return total


def dsigma_dT_cm2(sum_m2, E, m, n_target_spins):
    """dsigma/dT = (sum |M|^2 / n_spin) / (32 pi m E^2) in cm^2/MeV (physics.md Appendix A item 2)."""
    return sum_m2 / n_target_spins / (32 * math.pi * m * E * E) * CM2_PER_MEV2


# ---------------------------------------------------------------------------------------------------
# The algebra itself
# ---------------------------------------------------------------------------------------------------
def test_clifford_algebra_and_gamma5():
    for a in range(4):
        for b in range(4):
            anti = GAMMA[a] @ GAMMA[b] + GAMMA[b] @ GAMMA[a]
            np.testing.assert_allclose(anti, 2 * METRIC[a, b] * ONE4, atol=1e-15)  # exact integers
        np.testing.assert_allclose(GAMMA5 @ GAMMA[a] + GAMMA[a] @ GAMMA5, 0, atol=1e-15)
    np.testing.assert_allclose(GAMMA5 @ GAMMA5, ONE4, atol=1e-15)


@pytest.mark.parametrize("m", [0.0, M_E, 3.7])
def test_spinor_completeness_u_and_v(m):
    p3 = np.array([0.3, -1.1, 2.2])
    p = np.array([math.sqrt(m * m + p3 @ p3), *p3])
    su = sum(np.outer(u, bar(u)) for u in spinors(p, m, "u"))
    sv = sum(np.outer(v, bar(v)) for v in spinors(p, m, "v"))
    # sums of a few O(1) products: round-off only (physics.md quotes 1e-15)
    np.testing.assert_allclose(su, slash(p) + m * ONE4, atol=1e-14)
    np.testing.assert_allclose(sv, slash(p) - m * ONE4, atol=1e-14)
    for u in spinors(p, m, "u"):  # Dirac equation (pslash - m) u = 0
        np.testing.assert_allclose((slash(p) - m * ONE4) @ u, 0, atol=1e-14)


def test_lab_construction_puts_N_on_shell():
    rng = np.random.default_rng(11)
    for E, M, T in random_points(rng, 20, (0.4, 10.0), (0.0, 0.5), M_E):
        _, _, k2, p2 = lab_momenta(E, T, M, M_E)
        # k'^2 = E'^2 - |k'|^2 cancels between O(E^2) terms: 1e-12 E^2 absolute is round-off
        assert abs(mdot(k2, k2) - M * M) < 1e-12 * E * E
        assert math.isclose(mdot(p2, p2), M_E**2, rel_tol=1e-13)  # on-shell by construction


# ---------------------------------------------------------------------------------------------------
# Dipole up-scattering
# ---------------------------------------------------------------------------------------------------
def test_dipole_electron_matrix_element_matches_closed_form():
    rng = np.random.default_rng(20200731)
    mu_muB = 1e-10
    mu = mu_muB * MU_B_PER_MEV
    pts = random_points(rng, 24, (0.4, 10.0), (0.0, 0.5), M_E)
    for E, M, T in pts:
        ref = dsigma_dT_cm2(dipole_sum_m2(E, T, M, M_E, mu=mu), E, M_E, 2)
        ours = float(dipole_electron_dsigma_dT(E, T, M, mu_muB))
        # two float64 evaluations of the same quantity; 1e-10 leaves room for the cancellations of the
        # closed form near T_min (1/T against M^4/(8 E^2 T^2 m)) and for the 4x4 complex algebra
        assert ours == pytest.approx(ref, rel=1e-10), (E, M, T)


def test_dipole_nonchiral_vertex_averaged_over_helicities_gives_same_cross_section():
    # Vogel-Engel normalisation (physics.md Appendix A item 2): sigma q without P_L, averaged over 2 nu spins
    rng = np.random.default_rng(5)
    for E, M, T in random_points(rng, 6, (0.4, 10.0), (0.0, 0.5), M_E):
        chiral = dipole_sum_m2(E, T, M, M_E)
        nonchiral = dipole_sum_m2(E, T, M, M_E, chiral=False) / 2
        assert nonchiral == pytest.approx(chiral, rel=1e-12)  # same quantity, round-off only


def test_dipole_spin_half_nucleus_matches_point_charge_formula_exactly():
    rng = np.random.default_rng(28)
    mu_muB = 3e-10
    mu = mu_muB * MU_B_PER_MEV
    for Z, A in [(8, 16), (14, 28), (54, 131)]:
        m_A = A * 931.494
        for E, M, T in random_points(rng, 5, (1.0, 50.0), (0.0, 5.0), m_A):
            ref = dsigma_dT_cm2(dipole_sum_m2(E, T, M, m_A, Z=Z, mu=mu), E, m_A, 2)
            ours = float(dipole_nucleus_dsigma_dT(E, T, M, Z, A, m_A, mu_muB, form_factor=False))
            # the electron formula with m -> m_A is exact for a spin-1/2 point charge: round-off only
            # (worst seen 7e-13 over 300 random points), same 1e-10 as for electrons
            assert ours == pytest.approx(ref, rel=1e-10), (Z, E, M, T)


def spin0_bound_points():
    """(m, E, M, u) grid for the spin-0 comparison, including points 1e-4 (in log T) from the edges."""
    for m in (931.494, 16 * 931.494, 131 * 931.494):
        for E in (0.5, 3.0, 30.0, 100.0):
            for M in (0.0, 0.1, 1.0, 10.0):
                if E > M + M * M / (2 * m):
                    for u in (1e-4, 0.01, 0.5, 0.99, 0.9999):
                        yield m, E, M, u


def test_dipole_spin0_nucleus_agrees_with_point_charge_formula_up_to_recoil_terms():
    # physics.md Sec. 2.6 way 1: a spin-0 charge Z e (p + p')^mu gives the formula up to O(T/m_A). The
    # spin-1/2 minus spin-0 hadronic tensors differ by g^{rho sigma} q^2 (the q^rho q^sigma piece drops
    # against the conserved dipole current), which contributes at most ~ alpha mu^2 Z^2 / (2 m_A) to
    # dsigma/dT: relative to the leading alpha mu^2 Z^2 / T term that is T/(2 m_A). We allow 1/m_A.
    Z = 54
    mu_muB = 1e-10
    mu = mu_muB * MU_B_PER_MEV
    scale = ALPHA * mu * mu * Z * Z * CM2_PER_MEV2
    for m, E, M, u in spin0_bound_points():
        t_lo, t_hi = t_range(E, M, m)
        lo = max(t_lo, 1e-12 * t_hi)
        T = math.exp(math.log(lo) + u * (math.log(t_hi) - math.log(lo)))
        ref = dsigma_dT_cm2(dipole_sum_m2(E, T, M, m, target="spin-0", Z=Z, mu=mu), E, m, 1)
        ours = float(dipole_nucleus_dsigma_dT(E, T, M, Z, 131, m, mu_muB, form_factor=False))
        # plus 1e-10 relative for round-off: 1e-4 (in log T) above T_min the closed form's 1/T and
        # -M^4/(8 E^2 T^2 m) nearly cancel and lose ~5 digits
        assert abs(ours - ref) <= scale / m + 1e-10 * ours, (m, E, M, T)


def test_dipole_spin0_minus_spin_half_is_the_recoil_term_at_zero_mass():
    # for M = 0 the difference is exactly alpha mu^2 Z^2 T / (4 E^2) (our derivation above); checked where
    # T/E = O(1) so that the difference is not lost in round-off
    mu = MU_B_PER_MEV
    rng = np.random.default_rng(2)
    for m in (M_E, 10.0, 100.0):
        for E, _, T in random_points(rng, 4, (0.5, 20.0), (0.0, 0.0), m):
            s0 = dsigma_dT_cm2(dipole_sum_m2(E, T, 0.0, m, target="spin-0", mu=mu), E, m, 1)
            s12 = dsigma_dT_cm2(dipole_sum_m2(E, T, 0.0, m, mu=mu), E, m, 2)
            expected = ALPHA * mu * mu * T / (4 * E * E) * CM2_PER_MEV2
            # difference of two O(1/T) numbers; 1e-8 of the difference covers their round-off
            assert s0 - s12 == pytest.approx(expected, rel=1e-8, abs=1e-13 * s12)


# ---------------------------------------------------------------------------------------------------
# Standard Model nu e and CEvNS
# ---------------------------------------------------------------------------------------------------
def chiral_current(ubar_out, u_in, gl=1.0, gr=0.0):
    """ubar_out gamma^nu (g_L (1 - g5) + g_R (1 + g5)) u_in."""
    op = np.einsum("nij,jk->nik", GAMMA, gl * (ONE4 - GAMMA5) + gr * (ONE4 + GAMMA5))
    return np.einsum("i,nij,j->n", ubar_out, op, u_in)


def sm_nue_sum_m2(E, T, flavour, antineutrino, s2w):
    """Sum over spins of |M|^2 for nu e -> nu e from NC (and, for nu_e, CC) four-fermion operators.

    NC: (G_F/sqrt2)[nubar gamma^mu (1-g5) nu][ebar gamma_mu (g_L (1-g5) + g_R (1+g5)) e] with the Z couplings
    of the electron, g_L = -1/2 + s_W^2, g_R = s_W^2. CC (nu_e only, after integrating out the W):
    (G_F/sqrt2)[ebar gamma^mu (1-g5) nu_e][nubar_e gamma_mu (1-g5) e], with the Fermi-statistics sign -1
    relative to NC because the two diagrams differ by exchanging two external fermions. The CC is *not*
    Fierz-rearranged here: that it adds +1 to g_L (physics.md Sec. 3.1) is what the comparison tests.
    Antineutrinos use v spinors with the same couplings: the g_L <-> g_R swap is not put in by hand.
    """
    k, p, k2, p2 = lab_momenta(E, T, 0.0, M_E)
    gl, gr = -0.5 + s2w, s2w
    pref = G_F / math.sqrt(2.0)
    total = 0.0
    for ue_in in spinors(p, M_E):
        for ue_out in spinors(p2, M_E):
            je = chiral_current(bar(ue_out), ue_in, gl, gr)
            for a in CHI:
                for b in CHI:
                    if not antineutrino:  # nu(k) -> nu(k'): ubar(k') ... u(k)
                        nu_in, nu_out = u_spinor(k, 0.0, a), u_spinor(k2, 0.0, b)
                        nc = chiral_current(bar(nu_out), nu_in) @ METRIC @ je
                        cc = chiral_current(bar(ue_out), nu_in) @ METRIC @ chiral_current(bar(nu_out), ue_in)
                    else:  # nubar(k) -> nubar(k'): vbar(k) ... v(k')
                        nu_in, nu_out = v_spinor(k, 0.0, a), v_spinor(k2, 0.0, b)
                        nc = chiral_current(bar(nu_in), nu_out) @ METRIC @ je
                        cc = chiral_current(bar(ue_out), nu_out) @ METRIC @ chiral_current(bar(nu_in), ue_in)
                    amp = pref * (nc - cc) if flavour == "e" else pref * nc
                    total += abs(amp) ** 2
    return total


@pytest.mark.parametrize("antineutrino", [False, True], ids=["nu", "nubar"])
@pytest.mark.parametrize("flavour", ["e", "mu", "tau"])
def test_sm_electron_scattering_matches_four_fermion_matrix_element(flavour, antineutrino):
    rng = np.random.default_rng(100 + len(flavour) + 10 * antineutrino)
    for s2w in (SIN2_THETA_W, 0.2386):
        for E, _, T in random_points(rng, 4, (0.1, 20.0), (0.0, 0.0), M_E):
            ref = dsigma_dT_cm2(sm_nue_sum_m2(E, T, flavour, antineutrino, s2w), E, M_E, 2)
            ours = float(sm_electron_dsigma_dT(E, T, flavour, antineutrino, sin2_theta_w=s2w))
            # physics.md quotes 1e-14; a sum of 16 positive terms, no cancellation: 1e-10 is generous
            assert ours == pytest.approx(ref, rel=1e-10), (E, T, s2w)


def cevns_sum_m2(E, T, m, q_w):
    """|M|^2 summed over spins for nu A -> nu A with a spin-0 weak current (Q_W/2)(p + p')^mu."""
    k, p, k2, p2 = lab_momenta(E, T, 0.0, m)
    jA = (q_w / 2) * (p + p2).astype(complex)
    total = 0.0
    for a in CHI:
        for b in CHI:
            jn = chiral_current(bar(u_spinor(k2, 0.0, b)), u_spinor(k, 0.0, a))
            total += abs(G_F / math.sqrt(2.0) * (jn @ METRIC @ jA)) ** 2
    return total


@pytest.mark.parametrize(("Z", "N"), [(54, 77), (14, 14), (8, 8)])
def test_cevns_is_exactly_the_spin0_weak_current_result(Z, N):
    m_A = (Z + N) * 931.494
    q_w = N - (1 - 4 * SIN2_THETA_W) * Z
    rng = np.random.default_rng(Z)
    for E, _, T in random_points(rng, 6, (1.0, 60.0), (0.0, 0.0), m_A):
        ref = dsigma_dT_cm2(cevns_sum_m2(E, T, m_A, q_w), E, m_A, 1)
        ours = float(cevns_dsigma_dT(E, T, Z, N, m_A, form_factor=False))
        # physics.md Sec. 3.2 allows O(T/m_A) differences, but 2(k'.P)(k.P) - (k.k') P^2 = 8 m^2 E^2 [1 - T/E
        # - m T/(2E^2)] exactly (P = p + p', k.k' = m T): the closed form is the exact spin-0 result, so we
        # hold it to round-off (1e-10) instead of the O(T/m_A) ~ 2 T_max/m_A <= 1e-4 the doc would permit
        assert ours == pytest.approx(ref, rel=1e-10), (E, T)


# ---------------------------------------------------------------------------------------------------
# Decay N -> nu gamma
# ---------------------------------------------------------------------------------------------------
def decay_m2(M, mu, spin, cos_t, phi, channel="nu", chiral=True):
    """Sum over photon polarisations and final nu spins of |M|^2 for N(spin along +-z, at rest) -> nu gamma.

    channel "nu":    mu ubar_nu(k) sigma^{mu nu} q_mu P_R u_N(P) eps*_nu   (from nubar_L sigma N_R F)
    channel "nubar": mu vbar_N(P) sigma^{mu nu} q_mu P_L v_nu(k) eps*_nu   (Majorana N, from the h.c. term)
    """
    sin_t = math.sqrt(1 - cos_t * cos_t)
    n = np.array([sin_t * math.cos(phi), sin_t * math.sin(phi), cos_t])
    P = np.array([M, 0.0, 0.0, 0.0])
    q = 0.5 * M * np.array([1.0, *n])
    k = 0.5 * M * np.array([1.0, *(-n)])
    e1 = np.array([cos_t * math.cos(phi), cos_t * math.sin(phi), -sin_t])  # two real transverse polarisations
    e2 = np.cross(n, e1)
    chi = CHI[0] if spin > 0 else CHI[1]
    ql = lower(q).astype(complex)
    sq = np.einsum("m,mnij->nij", ql, SIGMA)
    total = 0.0
    for e in (e1, e2):
        eps = np.array([0.0, *e])
        op = np.einsum("nij,n->ij", sq, lower(eps))
        for c in CHI:
            if channel == "nu":
                amp = bar(u_spinor(k, 0.0, c)) @ op @ (P_R if chiral else ONE4) @ u_spinor(P, M, chi)
            else:
                amp = bar(v_spinor(P, M, chi)) @ op @ (P_L if chiral else ONE4) @ v_spinor(k, 0.0, c)
            total += abs(mu * amp) ** 2
    return total


def width_from_m2(M, mu, channel="nu", chiral=True):
    """Gamma = (1/2M) (1/32 pi^2) int dOmega <|M|^2>, spin-averaged, Gauss-Legendre in cos(theta)."""
    x, w = np.polynomial.legendre.leggauss(8)  # |M|^2 is linear in cos(theta): exact
    avg = 0.0
    for spin in (+1, -1):
        m2 = [decay_m2(M, mu, spin, xi, 0.3, channel, chiral) for xi in x]
        avg += 0.5 * float(np.dot(w, m2))
    return avg * 2 * math.pi / (2 * M * 32 * math.pi**2)


@pytest.mark.parametrize("spin", [+1, -1])
def test_dirac_decay_angular_distribution_is_one_minus_spin_cos_theta(spin):
    M, mu = 3.0, 0.7
    for cos_t in np.linspace(-0.95, 0.95, 9):
        for phi in (0.0, 1.1, 4.0):
            m2 = decay_m2(M, mu, spin, cos_t, phi)
            # |M|^2 = mu^2 M^4 (1 - s cos theta), the normalisation that gives Gamma = mu^2 M^3 / (16 pi)
            assert m2 == pytest.approx(mu**2 * M**4 * (1 - spin * cos_t), rel=1e-12, abs=1e-12 * M**4)


@pytest.mark.parametrize("spin", [+1, -1])
def test_majorana_decay_is_isotropic_for_a_polarised_N(spin):
    M, mu = 2.0, 1.3
    for cos_t in np.linspace(-0.9, 0.9, 7):
        both = decay_m2(M, mu, spin, cos_t, 0.5) + decay_m2(M, mu, spin, cos_t, 0.5, "nubar")
        # nubar gamma has (1 + s cos theta): the sum is flat (physics.md Sec. 4.3); round-off only
        assert both == pytest.approx(2 * mu**2 * M**4, rel=1e-12)


@pytest.mark.parametrize(("M", "mu_muB"), [(1.0, 1e-10), (0.1, 3e-11), (10.0, 1e-8), (250.0, 2e-9)])
def test_decay_width_matches_model_dirac_and_majorana(M, mu_muB):
    mu = mu_muB * MU_B_PER_MEV
    gamma_nu = width_from_m2(M, mu)
    gamma_nubar = width_from_m2(M, mu, "nubar")
    # closed forms of physics.md Sec. 4.1 from the explicit spin sum; relative 1e-12 is round-off
    assert gamma_nu == pytest.approx(mu**2 * M**3 / (16 * math.pi), rel=1e-12)
    assert width_from_m2(M, mu, chiral=False) == pytest.approx(mu**2 * M**3 / (8 * math.pi), rel=1e-12)
    dirac = DipolePortal(M, mu_muB, flavour="mu")
    majorana = DipolePortal(M, mu_muB, flavour="mu", nature="majorana")
    assert dirac.width_MeV == pytest.approx(gamma_nu, rel=1e-12)
    assert majorana.width_MeV == pytest.approx(gamma_nu + gamma_nubar, rel=1e-12)
    assert majorana.width_MeV == pytest.approx(2 * dirac.width_MeV, rel=1e-15)


# ---------------------------------------------------------------------------------------------------
# Nucleon with Dirac and Pauli form factors (nugen.xsec.nucleon)
# ---------------------------------------------------------------------------------------------------
def nucleon_current(ubar_out, u_in, q, m, f1, f2):
    """ubar(P') [F1 gamma^nu + i F2 sigma^{nu beta} q_beta / (2m)] u(P), q = P' - P (upper index nu)."""
    sq = np.einsum("b,nbij->nij", lower(q).astype(complex), SIGMA)
    op = f1 * GAMMA + 1j * f2 * sq / (2 * m)
    return np.einsum("i,nij,j->n", ubar_out, op, u_in)


def nucleon_dipole_sum_m2(E, T, M, m, f1, f2, mu):
    """Sum over all spins of |M|^2 for nu p -> N p: dipole vertex times the F1/F2 nucleon current."""
    k, p, k2, p2 = lab_momenta(E, T, M, m)
    q = k - k2  # = p2 - p
    J = [dipole_current(bar(uN), un, q) for uN in spinors(k2, M) for un in spinors(k, 0.0)]
    jx = [
        E_CHARGE * nucleon_current(bar(a), b, p2 - p, m, f1, f2)
        for a in spinors(p2, m)
        for b in spinors(p, m)
    ]
    q2 = mdot(q, q)
    return sum(abs(mu * (Jn @ METRIC @ jn) / q2) ** 2 for Jn in J for jn in jx)


def test_gordon_identity_fixes_the_sign_convention_of_the_pauli_term():
    # ubar(P') gamma^mu u(P) = ubar(P') [(P + P')^mu + i sigma^{mu nu} q_nu] u(P) / (2m), q = P' - P: the
    # convention in which G_M = F1 + F2 is the magnetic form factor (Perdrisat et al. 2007, Sec. 2)
    m = M_PROTON
    _, p, _, p2 = lab_momenta(3000.0, 400.0, 200.0, m)
    for a in spinors(p2, m):
        for b in spinors(p, m):
            lhs = vector_current(bar(a), b)
            sq = np.einsum("b,nbij->nij", lower(p2 - p).astype(complex), SIGMA)
            rhs = ((p + p2) * (bar(a) @ b) + 1j * np.einsum("i,nij,j->n", bar(a), sq, b)) / (2 * m)
            np.testing.assert_allclose(lhs, rhs, atol=1e-9 * m)


@pytest.mark.parametrize("nucleon", ["proton", "neutron"])
def test_nucleon_dipole_matrix_element_with_f1_and_f2_matches_closed_form(nucleon):
    rng = np.random.default_rng(2207 + len(nucleon))
    mu_muB = 1e-8
    mu = mu_muB * MU_B_PER_MEV
    m = nucleon_mass(nucleon)
    for E, M, T in random_points(rng, 12, (200.0, 20000.0), (0.0, 1000.0), m):
        q2 = 2 * m * T
        f1, f2 = (float(x) for x in nucleon_form_factors(q2, nucleon))
        ref = dsigma_dT_cm2(nucleon_dipole_sum_m2(E, T, M, m, f1, f2, mu), E, m, 2)
        ours = float(dipole_nucleon_dsigma_dT(E, T, M, nucleon, mu_muB))
        # same quantity two ways: round-off of the 4x4 algebra and of the closed form's cancellations
        assert ours == pytest.approx(ref, rel=1e-9), (E, M, T)


def test_nucleon_closed_form_separates_the_pauli_terms():
    # arbitrary (F1, F2) pairs through the explicit matrix element: the closed form's structure
    # (F1^2 + tau F2^2) X_K - (F1 + F2)^2 X_g is checked term by term by scaling F1 and F2 independently
    m = M_PROTON
    mu = MU_B_PER_MEV
    E, M, T = 2500.0, 300.0, 180.0
    vals = {}
    for f1, f2 in [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]:
        vals[f1, f2] = dsigma_dT_cm2(nucleon_dipole_sum_m2(E, T, M, m, f1, f2, mu), E, m, 2)
    tau = T / (2 * m)
    E2, M2 = E * E, M * M
    x_k = (1 / T - 1 / E + T / (4 * E2) + M2 / (8 * E2 * m) - M2 * (2 * E + m) / (4 * E2 * T * m)
           - M2 * M2 / (8 * E2 * T * T * m))  # fmt: skip
    x_g = (2 * m * T + M2) * (m * T - M2) / (8 * m * m * T * E2)
    k = ALPHA * mu * mu * CM2_PER_MEV2
    assert vals[1.0, 0.0] == pytest.approx(k * (x_k - x_g), rel=1e-10)
    assert vals[0.0, 1.0] == pytest.approx(k * (tau * x_k - x_g), rel=1e-10)
    assert vals[1.0, 1.0] == pytest.approx(k * ((1 + tau) * x_k - 4 * x_g), rel=1e-10)
