"""Weighted up-scattering events for accelerator beams (nu X -> N X and nu e -> nu e), vectorised.

Used by the CHARM-II chain (:mod:`detectors.charm2`) for events with full kinematics and for the
photon-channel acceptance; it samples the same density that :mod:`nugen.rates` integrates,

    d^2 N / (dE dT) = Phi_c f_c(E) x n_X x dsigma_X/dT(E, T)       [per tonne per POT per MeV^2],

by importance sampling (weighted events, no rejection, no per-event loop):

* E from the component's flux pdf by inverse CDF, restricted to ``E >= E_thr(M_N)`` (the excluded
  fraction of the flux is folded into the weight, so no event is wasted below threshold);
* the scatterer (electron, or one isotope of the material) with probability proportional to
  ``n_X Z_X^2`` (coherent) or 1 (electrons);
* T log-uniformly between ``max(T_min(E), T_floor)`` and ``min(T_max(E), T_ceiling)``, which follows
  the ``1/T`` shape of the dipole cross section; on nuclei ``T_ceiling`` is where the Helm form
  factor has fallen below 1e-7 (q r_n = 10; the neglected tail is < 1e-6 of the rate); on the free
  proton (H1, Z = A = 1), whose cross section is the nucleon one with F1 and F2
  (:mod:`nugen.xsec.nucleon`), where G_D^2 = 1e-7 (Q^2 = 39.2 GeV^2) -- Helm's q r_n = 10 at A = 1 would
  end it at Q^2 = 1.14 GeV^2, cutting 0.015-0.3 % of the H1 rate (nugen.xsec.form_factors).

The weight of an event is (target density)/(proposal density)/(number of events), so summed weights
estimate the rate per tonne per POT in the sampled region, with the unit coupling ``mu = 1 mu_B`` for
the dipole (scale by ``mu^2``). Cross sections and kinematics are those of :mod:`nugen.xsec` and
:mod:`nugen.kinematics` (physics.md Secs. 2.1, 2.2, 2.6, 3.1).

Four-momenta: the beam travels along +z; the target is at rest; the recoil has kinetic energy T at the
angle of :func:`nugen.kinematics.recoil_cos_theta` and a uniform azimuth; N (or the scattered
neutrino) takes the rest: ``p_N = k_nu + p_target - p_recoil``.

Division of labour with :class:`nugen.generator.Generator`: the Generator draws *unweighted* events by
accept/reject (``nugen generate``, ROOT output, beam sources included: ``--target glass --source
charm2``); this module draws *weighted* events from a proposal that follows the ``1/T`` dipole shape,
which CHARM-II's photon-channel acceptance needs (the decay-in-volume probability varies over orders of
magnitude across the sample, so equal-weight events would waste most of the statistics). Both sample
the density of :mod:`nugen.rates`, and the tests compare each with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nugen.constants import HBARC_MEV_FM, M_E
from nugen.errors import InvalidParameterError, KinematicsError, UnknownNameError
from nugen.kinematics import recoil_cos_theta, recoil_range, threshold_energy
from nugen.sources.base import Source, SourceComponent
from nugen.targets import Material
from nugen.xsec import dipole_dsigma_dT, dipole_nucleus_dsigma_dT, sm_electron_dsigma_dT
from nugen.xsec.form_factors import DEFAULT_FORM_FACTOR, check_form_factor_model, helm_radius_fm
from nugen.xsec.nucleon import (
    NUCLEON_Q2_CEILING_MEV2,
    bound_nucleons,
    check_incoherent_options,
    dipole_nucleon_dsigma_dT,
    nucleon_mass,
    pauli_blocking_factor,
)

__all__ = ["OPT_IN_PROCESSES", "PROCESSES", "ScatterEvents", "sample_scatterings"]

#: Processes this module samples: dipole on electrons, coherent dipole on nuclei (H1: the free proton),
#: SM nu e (the processes of CHARM-II's event files).
PROCESSES = ("dipole_e", "dipole_A", "sm_e")
#: Opt-in processes also accepted: incoherent dipole on the bound nucleons of A > 1 nuclei (issue 15).
OPT_IN_PROCESSES = ("dipole_N",)
#: q r_n at which the Helm form factor sample region ends (F^2 < 1e-7 beyond, physics.md Sec. 2.6).
_QRN_MAX = 10.0


@dataclass(frozen=True)
class ScatterEvents:
    """A batch of weighted scattering events (arrays of equal length n).

    Attributes
    ----------
    E_nu : numpy.ndarray
        Neutrino energy [MeV].
    T : numpy.ndarray
        Recoil kinetic energy [MeV].
    p_recoil : numpy.ndarray, shape (n, 4)
        Recoil (electron or nucleus) four-momentum (E, px, py, pz) [MeV].
    p_out : numpy.ndarray, shape (n, 4)
        Outgoing N (dipole) or neutrino (SM) four-momentum [MeV].
    scatterer : numpy.ndarray of int
        Index into :attr:`scatterer_names`.
    scatterer_names : tuple of str
        ``("e",)``, the isotope names (``"Si28"``, ...) or the bound nucleons (``"p:C12"``, ``"n:C12"``).
    weight : numpy.ndarray
        Events per tonne of material per POT (beam) for mu = 1 mu_B (dipole) or the SM; summed
        weights estimate the rate in the sampled (E, T) region.
    component : str
        Source component sampled.
    antineutrino : bool
        Whether the incoming neutrino is an antineutrino.
    """

    E_nu: np.ndarray
    T: np.ndarray
    p_recoil: np.ndarray
    p_out: np.ndarray
    scatterer: np.ndarray
    scatterer_names: tuple[str, ...]
    weight: np.ndarray
    component: str
    antineutrino: bool

    def __len__(self) -> int:
        return self.E_nu.size


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        msg = f"number of events must be a positive integer, got {n!r}"
        raise InvalidParameterError(msg)
    return int(n)


def sample_scatterings(
    source: Source,
    component: SourceComponent | str,
    material: Material,
    process: str,
    M_N: float,
    n: int,
    rng: np.random.Generator,
    *,
    T_floor_MeV: float = 0.0,
    T_ceiling_MeV: float = np.inf,
    sin2_theta_w: float | None = None,
    require_events: bool = True,
    form_factor: str = DEFAULT_FORM_FACTOR,
    incoherent_nucleons: str = "nucleons",
    pauli_blocking: str = "none",
) -> ScatterEvents:
    """Draw ``n`` weighted events of ``process`` for one beam component on ``material``.

    Parameters
    ----------
    source : Source
        A source with a continuum component that has a ``pdf`` with ``ppf`` and ``cdf`` methods
        (:class:`nugen.sources.beams.PiecewiseLinearPdf`).
    component : SourceComponent or str
        The component (or its name).
    material : Material
        Target material (:func:`nugen.targets.get_target`).
    process : {"dipole_e", "dipole_A", "dipole_N", "sm_e"}
        Dipole nu e -> N e, coherent dipole nu A -> N A (Helm; the free proton on H1), incoherent
        dipole nu h -> N h on the bound nucleons of the A > 1 nuclei
        (:func:`nugen.xsec.nucleon.dipole_incoherent_dsigma_dT`; the recoil is the nucleon, scatterer
        names ``"p:C12"``, ``"n:C12"``), or SM nu e -> nu e.
    M_N : float
        Mass of N [MeV] (ignored for ``sm_e``).
    n : int
        Number of events.
    rng : numpy.random.Generator
        Random numbers.
    T_floor_MeV, T_ceiling_MeV : float
        Restrict the recoil kinetic energy (e.g. to a detector window); required ``T_floor > 0`` for
        ``M_N = 0`` on electrons (the dipole rate diverges like ``ln T``).
    sin2_theta_w : float, optional
        Weak mixing angle of the SM cross section (default: :data:`nugen.constants.SIN2_THETA_W`).
    form_factor : {"helm", "fourier_bessel"}
        Nuclear form factor of ``dipole_A`` (:mod:`nugen.xsec.form_factors`, as ``form_factor`` of
        :class:`nugen.rates.RateCalculator`); the sampled recoil range ends where Helm's falls below 1e-7
        either way (q r_n = 10), except on the free proton (see the module docstring).
    incoherent_nucleons, pauli_blocking : str
        Options of ``dipole_N`` (``"nucleons"`` or ``"protons"``; ``"none"`` or ``"fermi_gas"``, as in
        :class:`nugen.rates.RateCalculator`).
    require_events : bool
        Raise :class:`KinematicsError` when every event of the batch has zero weight (default). A
        caller that draws many small batches of a possible process (the unweighting mixture of
        :mod:`nugen.engine`) passes False and gets the zero weights.

    Returns
    -------
    ScatterEvents

    Raises
    ------
    KinematicsError
        If no neutrino of the component can produce N of this mass with a recoil in the allowed range
        (the message gives the threshold and the largest beam energy), or (``require_events``) if no
        event of the batch has a recoil in the window.
    """
    n = _check_n(n)
    check_form_factor_model(form_factor)
    check_incoherent_options(incoherent_nucleons, pauli_blocking)
    if process not in PROCESSES + OPT_IN_PROCESSES:
        raise UnknownNameError("beam process", process, PROCESSES + OPT_IN_PROCESSES)
    comp = source.component(component) if isinstance(component, str) else component
    if comp.is_line or not hasattr(comp.pdf, "ppf"):
        msg = f"component {comp.name!r} has no invertible continuum pdf to sample from"
        raise InvalidParameterError(msg)
    M = 0.0 if process == "sm_e" else float(M_N)
    if process == "dipole_A":
        nuc = [x for x in material.nuclei if x.per_tonne > 0]
        names = tuple(x.name for x in nuc)
        masses = np.array([x.mass_MeV for x in nuc])
        Z = np.array([x.Z for x in nuc], dtype=float)
        A = np.array([x.A for x in nuc], dtype=float)
        counts = np.array([x.per_tonne for x in nuc])
        prop = counts * Z * Z
        prop = prop / prop.sum()
        which = rng.choice(len(nuc), size=n, p=prop)
        m = masses[which]
        ceil_q = np.array([_QRN_MAX / helm_radius_fm(a) * HBARC_MEV_FM for a in A])  # MeV
        t_ceil_nuc = np.sqrt(masses**2 + ceil_q**2) - masses
        proton = (Z == 1) & (A == 1)  # the free proton: its form factors, not Helm, set the ceiling
        t_ceil_nuc = np.where(proton, NUCLEON_Q2_CEILING_MEV2 / (2.0 * masses), t_ceil_nuc)
        t_ceil = np.minimum(t_ceil_nuc[which], T_ceiling_MeV)
        e_thr_each = threshold_energy(M, masses)
        e_thr = float(np.min(e_thr_each))
        n_per_t = counts[which]
        q_sel = prop[which]
    elif process == "dipole_N":
        bound = [(f"{h[0]}:{x.name}", h, k * x.per_tonne) for x in material.nuclei if x.per_tonne > 0
                 for h, k in bound_nucleons(x.Z, x.A, incoherent_nucleons)]  # fmt: skip
        if not bound:
            msg = f"material {material.name!r} has no bound nucleons (no nucleus with A > 1)"
            raise InvalidParameterError(msg)
        names = tuple(b[0] for b in bound)
        kinds = [b[1] for b in bound]
        masses = np.array([nucleon_mass(h) for h in kinds])
        Z = np.array([float(h == "proton") for h in kinds])
        A = np.ones(len(bound))
        counts = np.array([b[2] for b in bound])
        prop = counts / counts.sum()
        which = rng.choice(len(bound), size=n, p=prop)
        m = masses[which]
        t_ceil = np.minimum((NUCLEON_Q2_CEILING_MEV2 / (2.0 * masses))[which], T_ceiling_MeV)
        e_thr = float(np.min(threshold_energy(M, masses)))
        n_per_t = counts[which]
        q_sel = prop[which]
    else:
        names = ("e",)
        which = np.zeros(n, dtype=int)
        m = np.full(n, M_E)
        t_ceil = np.full(n, float(T_ceiling_MeV))
        e_thr = float(threshold_energy(M, M_E))
        n_per_t = np.full(n, material.electrons_per_tonne)
        q_sel = np.ones(n)
    if M == 0 and not T_floor_MeV > 0:
        msg = (
            f"T_floor_MeV must be > 0 for massless N (or SM), got {T_floor_MeV!r}: "
            "the rate diverges as T -> 0"
        )
        raise InvalidParameterError(msg)
    # energy: inverse CDF restricted to E >= threshold
    e_lo = max(e_thr, comp.E_min_MeV)
    if e_lo >= comp.E_max_MeV:
        msg = (
            f"M_N = {M:g} MeV is beyond the reach of the {comp.name!r} beam component: threshold "
            f"{e_thr:.6g} MeV >= largest beam energy {comp.E_max_MeV:.6g} MeV (zero rate)"
        )
        raise KinematicsError(msg)
    c_lo = float(comp.pdf.cdf(e_lo))
    frac = 1.0 - c_lo
    E = comp.pdf.ppf(c_lo + frac * rng.random(n))
    # kinematics and cross sections per scatterer species (the kinematics helpers take a scalar mass)
    u_T = rng.random(n)
    T = np.ones(n)
    log_span = np.zeros(n)
    xs = np.zeros(n)
    cos_t = np.ones(n)
    for k in np.unique(which):
        sel = which == k
        mk = float(m[sel][0])
        t_min, t_max = recoil_range(E[sel], M, mk)
        lo = np.maximum(np.nan_to_num(t_min, nan=np.inf), T_floor_MeV)
        hi = np.minimum(np.nan_to_num(t_max, nan=-np.inf), t_ceil[sel])
        ok = (hi > lo) & (lo > 0)
        lo_s = np.where(ok, lo, 1.0)
        span = np.where(ok, np.log(np.where(ok, hi, np.e) / lo_s), 0.0)
        Tk = lo_s * np.exp(span * u_T[sel])
        if process == "sm_e":
            s_w = {} if sin2_theta_w is None else {"sin2_theta_w": sin2_theta_w}
            xk = sm_electron_dsigma_dT(E[sel], Tk, comp.flavour, comp.antineutrino, **s_w)
        else:
            if process == "dipole_A":  # coherent; the free proton with F1 and F2 (same call as nugen.rates)
                xk = dipole_nucleus_dsigma_dT(E[sel], Tk, M, int(Z[k]), A[k], mk, 1.0, form_factor)
            elif process == "dipole_N":  # one bound proton or neutron, as RateCalculator.cross_sections
                h = "proton" if Z[k] == 1 else "neutron"
                xk = dipole_nucleon_dsigma_dT(E[sel], Tk, M, h, 1.0) * pauli_blocking_factor(
                    Tk, mk, pauli_blocking
                )
            else:
                xk = dipole_dsigma_dT(E[sel], Tk, M, mk, 1.0)
        T[sel] = Tk
        log_span[sel] = span
        xs[sel] = np.where(ok, xk, 0.0)
        cos_t[sel] = np.clip(recoil_cos_theta(E[sel], Tk, M, mk), -1.0, 1.0)
    weight = comp.flux * frac * n_per_t / q_sel * xs * T * log_span / n
    if require_events and not np.any(weight > 0):
        msg = (
            f"M_N = {M:g} MeV: no {process} event of the {comp.name!r} component has a recoil in "
            f"[{T_floor_MeV:g}, {T_ceiling_MeV:g}] MeV (zero rate)"
        )
        raise KinematicsError(msg)
    # four-momenta
    sin_t = np.sqrt(1.0 - cos_t * cos_t)
    phi = 2.0 * np.pi * rng.random(n)
    p_abs = np.sqrt(T * (T + 2.0 * m))
    p_rec = np.column_stack([T + m, p_abs * sin_t * np.cos(phi), p_abs * sin_t * np.sin(phi), p_abs * cos_t])
    p_out = np.column_stack([E - T, -p_rec[:, 1], -p_rec[:, 2], E - p_rec[:, 3]])
    return ScatterEvents(
        E_nu=E,
        T=T,
        p_recoil=p_rec,
        p_out=p_out,
        scatterer=which,
        scatterer_names=names,
        weight=weight,
        component=comp.name,
        antineutrino=comp.antineutrino,
    )
