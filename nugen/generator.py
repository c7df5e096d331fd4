"""Unweighted event samples of nu X -> N X (dipole portal) and of Standard-Model nu X scattering.

:class:`Generator` draws events from **the density that** :class:`nugen.rates.RateCalculator`
**integrates** (physics.md Sec. 5.5)::

    rho(c, alpha, s, E, T) = Phi_c f_c(E) P_c(nu_e -> nu_alpha; E) w_alpha n_s(T) dsigma_{alpha,s}/dT(E, T)

over source components c, arrival flavours alpha, scatterers s (the electrons, or each isotope of the
target), neutrino energy E and recoil kinetic energy T inside a recoil window [T_lo, T_hi]. For the
dipole ``w_alpha = mu_alpha^2`` (cross section per mu_B^2); for the SM ``w_alpha = 1`` with the
flavour-dependent cross sections. The pieces are the very objects ``rates`` uses: the component pdfs
and :meth:`~nugen.sources.base.Source.arrival_probabilities`, the cross sections of
``RateCalculator.cross_sections`` and the scatterer counts including the stepping-approximation electron
fraction :meth:`~nugen.targets.Material.electron_fraction`.

Sampling method (exact, vectorised): **accept/reject with a dominating envelope**
(L. Devroye, *Non-Uniform Random Variate Generation*, 1986, Sec. II.3). Sampling T from binned
``dR/dT`` and then E | T would need a two-dimensional table and be exact only to its interpolation; the
envelope method is exact for the continuous density and costs one evaluation of rho per candidate.
For each channel k = (process, scatterer, component):

1. **T given E** is proposed from an envelope ``e_k(T | E) >= sum_alpha P_alpha w_alpha n_s(T)
   dsigma/dT`` that can be integrated and inverted in closed form on the allowed window
   ``[max(T_lo, T_min(E)), min(T_hi, T_max(E))]`` (physics.md Sec. 2.2):

   * dipole (electron and nucleus): ``dsigma/dT = alpha mu^2 Z^2 F^2 (a0 + a1/T + a2/T^2)`` with
     ``a2 = -M^4/(8 E^2 m) <= 0`` (physics.md Secs. 2.1, 2.6), so ``max(a0, 0) + max(a1, 0)/T`` times
     ``Z^2`` (``F^2 <= 1``) bounds it: a uniform + 1/T mixture,
     :func:`nugen.sampling.uniform_or_reciprocal`; on the free proton (H1), whose cross section has
     the Pauli and magnetic terms, the ``a0 + a1/T`` bound of
     :func:`nugen.xsec.nucleon.dipole_nucleon_envelope`;
   * nu e (SM): the bracket of physics.md Sec. 3.1 is convex in T, so its larger end value bounds it;
   * CEvNS: the bracket of physics.md Sec. 3.2 decreases with T and ``F^2 <= 1``: its value at the
     lower end bounds it;
   * the electron fraction ``Z_eff(T)/Z`` is bounded by its value at ``T_hi`` (it never decreases).

2. **E** is proposed from a piecewise-constant upper envelope ``h_k(E)`` of the envelope marginal
   ``u_k(E) = Phi f(E) sum_alpha P_alpha(E) w_alpha ∫ e_k(T | E) dT``, tabulated on an adaptive grid
   (:func:`nugen.sampling.adaptive_grid`, neighbouring values within 1 %, plus a 1 % margin,
   :class:`nugen.sampling.StepEnvelope`). Lines have a single energy and need no table.
3. The channel is drawn with probability proportional to the envelope integral ``H_k``, a candidate
   (E, T) is drawn from the envelope and accepted with probability ``rho(E, T) / (h_k(E) g_k(T|E))``,
   ``g_k`` being the normalised T proposal. Accepted events follow rho exactly, across channels too;
   the fraction of accepted candidates times ``sum H_k`` is a Monte Carlo estimate of the total rate,
   recorded as a cross-check of the numerical rate. Any candidate with ratio > 1 (an envelope
   violation) is counted and reported (:attr:`ChunkDiagnostics.violations`; tested to be zero).
4. The arrival flavour is drawn from its share ``P_alpha w_alpha dsigma_alpha/dT`` at the accepted
   (E, T); the azimuth is uniform.

Every accepted event then gets full kinematics (:mod:`nugen.kinematics`): recoil and N four-momenta
with the neutrino along +z, N helicity (+1 for N from a neutrino, -1 for Nbar from an antineutrino,
physics.md Sec. 2.5), and the N -> nu gamma decay in flight: exponential decay distance with the lab
decay length ``beta gamma c tau`` (physics.md Sec. 4.2), photon polar angle in the N rest frame from
``(1 - a cos theta*)/2`` with ``a = +1`` for Dirac N (h = +1; Dirac Nbar with h = -1 gives the same)
and ``a = 0`` for Majorana N (physics.md Sec. 4.3), boosted to the lab (Sec. 4.4).

Normalisation: every event has the same ``weight``; the weights of a sample add up to the expected
number of events in its exposure (``RateCalculator`` counts in the recoil window x exposure).
Reweighting to another mu at the same M_N needs no regeneration (DESIGN.md): production scales as
``sum_alpha P_alpha(E) mu_alpha^2`` (stored per event as ``P_e, P_mu, P_tau``), see
:func:`nugen.reweighting.reweight`;
decays are analytic in mu through ``N_betagamma`` and the decay distance in units of the mean,
``N_decay_u`` (see :func:`nugen.reweighting.decay_vertex` and :func:`nugen.reweighting.decay_probability`).

Approximations (all as in ``rates`` or physics.md): bound xenon electrons enter the rate through the
stepping approximation but scatter kinematically as free electrons at rest; nuclei are at rest with mass
A x u; N is given its dominant helicity exactly (physics.md Sec. 2.5 finds >= 0.99 except near the
kinematic edges, 0.88-0.99 when E_N/M < 3), which sets the photon angular distribution of Dirac N.
Optionally (``site=``) the neutrinos come from the Sun's direction at a given laboratory and time, with
every vector rotated into the local East-North-Up frame (:func:`nugen.sun.sun_direction_enu`).

Reproducibility: a sample of n events is cut into chunks of :data:`CHUNK_SIZE` events; chunk i draws
from ``numpy.random.default_rng(SeedSequence(seed).spawn(n_chunks)[i])``. The chunking depends only on
n, so the events are identical for any number of worker processes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from nugen.constants import ALPHA, CM2_PER_MEV2, G_F, M_E, MU_B_PER_MEV, SIN2_THETA_W
from nugen.decays import decay_in_flight
from nugen.engine import Diagnostics, accept_reject
from nugen.errors import InvalidParameterError, KinematicsError, UnknownNameError
from nugen.kinematics import (
    min_neutrino_energy,
    recoil_range,
    rotate_from_z,
    threshold_energy,
    two_body_final_state,
)
from nugen.model import DipolePortal
from nugen.parallel import ordered_map
from nugen.rates import PROCESSES, Process, RateCalculator
from nugen.sampling import StepEnvelope, adaptive_grid, uniform_or_reciprocal
from nugen.sources.base import Source, SourceComponent
from nugen.sun import R_MIN_AU, SUN_PERIOD_START_UNIX, check_site, sun_direction_enu, sun_distance_au
from nugen.targets import ELECTRON_PDG, Material, nucleus_pdg
from nugen.xsec.nucleon import dipole_nucleon_envelope
from nugen.xsec.sm import FLAVOURS, electron_couplings

if TYPE_CHECKING:
    import awkward as ak  # imported by generate() only: nugen generate's sampler never loads it

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_RECOIL_RANGES_MEV",
    "FLAVOUR_PDG",
    "N_PDG",
    "PROCESS_CODES",
    "SITE_BRANCH_DOCS",
    "ChunkDiagnostics",
    "Generator",
]

#: Events per chunk: the unit of random streams, of parallel work and of ROOT baskets (2^16 events,
#: 512 kB per double branch). Changing it changes the events drawn for a given seed.
CHUNK_SIZE = 65_536
#: Integer code of each process in the ``process`` branch.
PROCESS_CODES: dict[str, int] = {"dipole_e": 0, "dipole_A": 1, "sm_e": 2, "cevns": 3}
#: PDG codes of nu_e, nu_mu, nu_tau (negative for antineutrinos), indexed by the ``flavour`` branch.
FLAVOUR_PDG = (12, 14, 16)
#: PDG code used for N (Pythia's heavy right-handed neutrino, 9900012; there is no official code).
N_PDG = 9_900_012
#: Default recoil windows [MeV] per (target, scatterer): the ``nugen spectrum`` default bins for
#: electrons; for nuclei, where the dipole and CEvNS rates grow towards T = 0, from 0.1 keV up to
#: 10 keV for solar neutrinos and up to 10 MeV for the GeV beam on glass (the Si/O Helm form factors
#: cut coherent recoils off near 1 MeV, so the window holds the whole coherent rate).
DEFAULT_RECOIL_RANGES_MEV: dict[tuple[str, str], tuple[float, float]] = {
    ("xenon", "electron"): (1e-3, 30e-3),
    ("xenon", "nucleus"): (1e-4, 10e-3),
    ("pseudocumene", "electron"): (0.2, 2.0),
    ("pseudocumene", "nucleus"): (1e-4, 10e-3),
    ("glass", "electron"): (3e3, 24e3),
    ("glass", "nucleus"): (1e-4, 10.0),
    # MiniBooNE's CH2 in the BNB: electrons above 0.1 GeV to the flux's 7.2 GeV end; nuclear recoils from
    # 0.1 keV to 50 MeV hold 99.98 % of the coherent dipole rate at M_N = 0.1 GeV (docs/miniboone_darknews.md)
    ("mineral_oil", "electron"): (100.0, 7.2e3),
    ("mineral_oil", "nucleus"): (1e-4, 50.0),
}

_K_DIPOLE = ALPHA * MU_B_PER_MEV**2 * CM2_PER_MEV2  # alpha mu_B^2 in cm^2 (physics.md Sec. 0)
_GRID_RTOL = 0.01  # neighbouring envelope-marginal values differ by at most 1 % ...
_GRID_MARGIN = 0.01  # ... and the step envelope adds 1 % on top of the larger one


#: Accept/reject bookkeeping of a chunk (the engine's :class:`nugen.engine.Diagnostics`).
ChunkDiagnostics = Diagnostics


@dataclass
class _Channel:
    """One (process, scatterer, component) channel with its envelopes."""

    process: Process
    comp_index: int
    comp: SourceComponent
    m: float  # scatterer mass [MeV]
    count: float  # scatterers per tonne x exposure factor (per t per exposure unit)
    Z: int
    A: int
    pdg: int
    lo: float  # recoil window [MeV]
    hi: float
    n_env: float  # upper bound of the electron fraction in the window (1 for nuclei)
    E_lo: float = 0.0
    E_hi: float = 0.0
    envelope: StepEnvelope | None = None
    line_height: float = 0.0
    integral: float = 0.0
    couplings: np.ndarray = field(default_factory=lambda: np.zeros((3, 2)))

    @property
    def is_dipole(self) -> bool:
        return self.process.kind == "dipole"


def _check_range(name: str, rng_: Sequence[float], positive: bool = True) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in rng_)
    except (TypeError, ValueError):
        msg = f"{name} must be two numbers (lo, hi), got {rng_!r}"
        raise InvalidParameterError(msg) from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or (positive and lo <= 0) or hi <= lo:
        msg = f"{name} must satisfy {'0 < ' if positive else ''}lo < hi, got {rng_!r}"
        raise InvalidParameterError(msg)
    return lo, hi


class Generator:
    """Event generator for one source, target, model and set of processes.

    Parameters
    ----------
    source : Source
        Neutrino source (e.g. ``nugen.sources.get_source("solar")``).
    target : Material
        Target material (e.g. ``nugen.targets.get_target("xenon")``).
    model : DipolePortal
        Dipole-portal model (M_N, mu_alpha, Dirac/Majorana). Used for the dipole process and the N decay.
    process : {"dipole", "sm", "all"}
        Dipole up-scattering, Standard-Model scattering, or both.
    scatterer : {"electron", "nucleus", "both"}
        Electron recoils (nu e -> N e, nu e -> nu e), coherent nuclear recoils (nu A -> N A, CEvNS),
        or both.
    recoil_range_MeV : (float, float) or dict, optional
        Window of true recoil kinetic energy [MeV]: one (lo, hi) for all scatterers, or a dict
        ``{"electron": (lo, hi), "nucleus": (lo, hi)}``. Default: :data:`DEFAULT_RECOIL_RANGES_MEV`.
    rate_calculator : RateCalculator, optional
        Reuse an existing calculator for ``source`` and ``target`` (default: a new one).
    sin2_theta_w : float
        Weak mixing angle of the SM cross sections when no calculator is given.
    site : str or (float, float), optional
        Point the incoming neutrinos away from the Sun as seen from this site: a name in :data:`SITES`
        or (latitude, longitude) in degrees (east positive). Event times are drawn uniformly in
        ``period_unix_s`` weighted with the 1/r^2 of the Earth-Sun distance, the Sun's position comes
        from :func:`sun_direction_enu`, and every momentum and vertex is rotated into the local
        East-North-Up frame (x = East, y = North, z = Up). Adds ``time_unix_s`` and ``nu_dir_x/y/z``.
        Default: no site, neutrinos along +z. Only for steady (solar) sources.
    period_unix_s : (float, float)
        Time window [Unix seconds] of the events with a ``site`` (default: the year 2020, 366 days).

    Raises
    ------
    UnknownNameError
        For an unknown ``process`` or ``scatterer``.
    InvalidParameterError
        For a bad recoil window.
    KinematicsError
        When the expected rate of the requested processes is zero (e.g. M_N beyond the source's
        reach, or mu = 0 for the dipole): there is nothing to generate.

    Examples
    --------
    >>> from nugen.sources import get_source
    >>> from nugen.targets import get_target
    >>> gen = Generator(get_source("solar"), get_target("xenon"), DipolePortal(0.1, 2e-11))
    >>> events = gen.generate(1000, seed=1)
    >>> float(np.sum(events["weight"])) == gen.total_rate
    True
    """

    def __init__(
        self,
        source: Source,
        target: Material,
        model: DipolePortal,
        process: str = "dipole",
        scatterer: str = "electron",
        recoil_range_MeV: Sequence[float] | dict[str, Sequence[float]] | None = None,
        *,
        rate_calculator: RateCalculator | None = None,
        sin2_theta_w: float = SIN2_THETA_W,
        site: str | Sequence[float] | None = None,
        period_unix_s: Sequence[float] = (SUN_PERIOD_START_UNIX, SUN_PERIOD_START_UNIX + 366 * 86400.0),
    ):
        kinds = {"dipole": ("dipole",), "sm": ("sm",), "all": ("dipole", "sm")}
        scats = {"electron": ("electron",), "nucleus": ("nucleus",), "both": ("electron", "nucleus")}
        if process not in kinds:
            raise UnknownNameError("process", process, kinds)
        if scatterer not in scats:
            raise UnknownNameError("scatterer", scatterer, scats)
        if not isinstance(model, DipolePortal):
            msg = f"model must be a nugen.DipolePortal, got {model!r}"
            raise InvalidParameterError(msg)
        self.source = source
        self.target = target
        self.model = model
        self.process = process
        self.scatterer = scatterer
        self.site = check_site(site)
        self.period_unix_s = _check_range("period_unix_s", period_unix_s, positive=False)
        self.rc = rate_calculator or RateCalculator(source, target, sin2_theta_w=sin2_theta_w)
        self.windows: dict[str, tuple[float, float]] = {}
        for s in scats[scatterer]:
            if recoil_range_MeV is None:
                key = (target.name, s)
                if key not in DEFAULT_RECOIL_RANGES_MEV:
                    msg = f"no default recoil window for {s} recoils in {target.name!r}; give one"
                    raise InvalidParameterError(msg)
                self.windows[s] = DEFAULT_RECOIL_RANGES_MEV[key]
            elif isinstance(recoil_range_MeV, dict):
                if s not in recoil_range_MeV:
                    msg = f"recoil_range_MeV has no window for {s!r} recoils: {recoil_range_MeV!r}"
                    raise InvalidParameterError(msg)
                self.windows[s] = _check_range(f"{s} recoil window", recoil_range_MeV[s])
            else:
                self.windows[s] = _check_range("recoil window", recoil_range_MeV)
        self.processes = tuple(
            p for p in PROCESSES.values() if p.kind in kinds[process] and p.scatterer in self.windows
        )
        self._mu2 = np.asarray(model.mu_flavour, dtype=float) ** 2
        # -- numerical rates (the normalisation) ---------------------------------------------------
        self.rates: dict[str, float] = {}
        self.component_rates: dict[str, np.ndarray] = {}
        for p in self.processes:
            lo, hi = self.windows[p.scatterer]
            b = self.rc.binned_per_flavour(p, np.array([lo, hi]), self._mass(p))[..., 0]  # (components, 3)
            per_comp = b @ self._mu2 if p.kind == "dipole" else b.sum(axis=1)
            self.component_rates[p.name] = per_comp
            self.rates[p.name] = float(per_comp.sum())
        self.total_rate = float(sum(self.rates.values()))
        if not self.total_rate > 0:
            raise KinematicsError(self._zero_rate_message())
        # -- channels and envelopes --------------------------------------------------------------
        self.channels: list[_Channel] = []
        for p in self.processes:
            if self.rates[p.name] > 0:
                self.channels += self._build_channels(p)
        self._H = np.array([c.integral for c in self.channels])
        if not self._H.sum() > 0:  # pragma: no cover - the numerical rate says otherwise
            msg = "internal error: positive rate but empty sampling envelope"
            raise RuntimeError(msg)
        self.envelope_integral = float(self._H.sum())
        self.acceptance = self.total_rate / self.envelope_integral
        self._Hp = self._H / self._H.sum()
        if self._shells is not None:
            self._bind, self._cumocc, self._natom = self._shells

    # -- set-up ------------------------------------------------------------------------------------
    def _mass(self, p: Process) -> float:
        return self.model.mass_MeV if p.kind == "dipole" else 0.0

    def _zero_rate_message(self) -> str:
        m = self.model
        wins = ", ".join(f"{s} {lo * 1e3:g}-{hi * 1e3:g} keV" for s, (lo, hi) in self.windows.items())
        if self.process == "dipole" and not m.mu_max > 0:
            return f"the dipole rate is zero for mu = {m.mu_max:g} mu_B: nothing to generate"
        e_max = max(c.E_max_MeV for c in self.source.components)
        return (
            f"the expected rate is zero for process {self.process!r} with M_N = {m.mass_MeV:g} MeV and "
            f"mu = {m.mu_max:g} mu_B in the recoil window {wins}: the {self.source.name} source "
            f"(E_nu <= {e_max:g} MeV) cannot produce such events"
        )

    @property
    def _shells(self):
        t = self.target
        if t.shell_binding_MeV is None:
            return None
        order = np.argsort(t.shell_binding_MeV)
        bind = np.asarray(t.shell_binding_MeV, dtype=float)[order]
        occ = np.asarray(t.shell_occupancy, dtype=float)[order]
        cum = np.concatenate([[0.0], np.cumsum(occ)])
        return bind, cum, float(np.sum(occ))

    def _electron_fraction(self, T: np.ndarray) -> np.ndarray:
        """``Material.electron_fraction`` via a sorted search (same step function, O(log shells))."""
        if self.target.shell_binding_MeV is None:
            return np.ones_like(T)
        # number of shells with binding < T  (Material.electron_fraction uses T > B_i)
        k = np.searchsorted(self._bind, T, side="left")
        return self._cumocc[k] / self._natom

    def _scatterer_list(self, p: Process) -> list[tuple[float, float, int, int, int]]:
        out = []
        for m, count, Z, A, _ in self.rc.scatterers(p.scatterer):
            pdg = ELECTRON_PDG if p.scatterer == "electron" else nucleus_pdg(Z, A)
            out.append((m, count * self.rc.exposure_factor, Z, A, pdg))
        return out

    def _e_support(self, ch: _Channel) -> tuple[float, float]:
        """Neutrino energies for which the window meets the kinematic range (physics.md Sec. 2.2)."""
        M = self._mass(ch.process)
        t_star = M * M / (2.0 * (ch.m + M))
        if ch.lo <= t_star <= ch.hi:
            e_lo = float(threshold_energy(M, ch.m))
        else:
            e_lo = float(np.min(min_neutrino_energy(np.array([ch.lo, ch.hi]), M, ch.m)))
        if ch.comp.is_line:
            return e_lo, e_lo
        return max(e_lo, ch.comp.E_min_MeV), ch.comp.E_max_MeV

    def _build_channels(self, p: Process) -> list[_Channel]:
        lo, hi = self.windows[p.scatterer]
        n_env = float(self.target.electron_fraction(np.array(hi))) if p.scatterer == "electron" else 1.0
        out = []
        for m, count, Z, A, pdg in self._scatterer_list(p):
            for i, comp in enumerate(self.rc.components):
                ch = _Channel(p, i, comp, m, count, Z, A, pdg, lo, hi, n_env)
                if p.name == "sm_e":
                    ch.couplings = np.array(
                        [electron_couplings(f, comp.antineutrino, self.rc.sin2_theta_w) for f in FLAVOURS]
                    )
                e_lo, e_hi = self._e_support(ch)
                if comp.is_line:
                    E = np.array([comp.line_energy_MeV])
                    if not comp.line_energy_MeV > e_lo:
                        continue
                    ch.line_height = float(self._u(ch, E)[0])
                    ch.integral = ch.line_height
                else:
                    if not e_hi > e_lo:
                        continue
                    ch.E_lo, ch.E_hi = e_lo, e_hi
                    # nodes at the kinks of u(E): tabulated-pdf nodes, declared breakpoints, and the
                    # energies where the window's ends meet the kinematic limits (physics.md Sec. 2.2)
                    kinks = min_neutrino_energy(np.array([lo, hi]), self._mass(p), m)
                    extra = [
                        *comp.breakpoints_MeV,
                        *getattr(comp.pdf, "E_MeV", ()),
                        *kinks[np.isfinite(kinks)],
                    ]
                    x, fx = adaptive_grid(
                        lambda E, ch=ch: self._u(ch, E), e_lo, e_hi, rtol=_GRID_RTOL, extra=extra
                    )
                    if not np.any(fx > 0):
                        continue
                    ch.envelope = StepEnvelope(x, fx, margin=_GRID_MARGIN)
                    ch.integral = ch.envelope.integral
                if ch.integral > 0:
                    out.append(ch)
        return out

    # -- the densities -----------------------------------------------------------------------------
    def _window(self, ch: _Channel, E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Allowed recoil interval [t1, t2] for each E (t2 <= t1 where empty)."""
        t_min, t_max = recoil_range(E, self._mass(ch.process), ch.m)
        ok = np.isfinite(t_max)
        t1 = np.where(ok, np.maximum(ch.lo, t_min), ch.hi)
        t2 = np.where(ok, np.minimum(ch.hi, t_max), ch.lo)
        return t1, t2

    def _dipole_coefficients(self, ch: _Channel, E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Envelope coefficients (max(a0, 0), max(a1, 0)) of the dipole bracket a0 + a1/T + a2/T^2.

        On the free proton (H1: F1 and F2, :mod:`nugen.xsec.nucleon`) the bound of
        :func:`nugen.xsec.nucleon.dipole_nucleon_envelope` instead.
        """
        if ch.process.scatterer == "nucleus" and ch.Z == 1 and ch.A == 1:
            return dipole_nucleon_envelope(E, self.model.mass_MeV, ch.m)
        M2 = self.model.mass_MeV**2
        m = ch.m
        E2 = E * E
        a0 = -1.0 / E + M2 / (4.0 * E2 * m)
        a1 = 1.0 - M2 * (2.0 * E + m) / (4.0 * E2 * m) + M2 * M2 / (8.0 * E2 * m * m)
        return np.maximum(a0, 0.0), np.maximum(a1, 0.0)

    def _sm_bound(self, ch: _Channel, E: np.ndarray, t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
        """Upper bound of dsigma/dT on [t1, t2] per flavour, shape (3, n) [cm^2/MeV] (SM processes)."""
        if ch.process.name == "sm_e":
            gl = ch.couplings[:, 0][:, None]
            gr = ch.couplings[:, 1][:, None]

            def bracket(T):
                y = 1.0 - T / E
                return gl * gl + gr * gr * y * y - gl * gr * M_E * T / (E * E)

            b = np.maximum(np.maximum(bracket(t1), bracket(t2)), 0.0)  # convex in T: max at an end
            return 2.0 * G_F**2 * M_E / np.pi * b * CM2_PER_MEV2
        # CEvNS: bracket decreasing in T, F^2 <= 1
        qw = (ch.A - ch.Z) - (1.0 - 4.0 * self.rc.sin2_theta_w) * ch.Z
        b = np.maximum(1.0 - t1 / E - ch.m * t1 / (2.0 * E * E), 0.0)
        c = G_F**2 * ch.m / (4.0 * np.pi) * qw * qw * b * CM2_PER_MEV2
        return np.broadcast_to(c, (3, *c.shape))

    def _pdf(self, ch: _Channel, E: np.ndarray) -> np.ndarray:
        return np.ones_like(E) if ch.comp.is_line else ch.comp.pdf(E)

    def _u(self, ch: _Channel, E: np.ndarray) -> np.ndarray:
        """Envelope marginal u(E) = Phi f(E) count n_env sum_a P_a w_a ∫ e(T|E) dT [per t exposure MeV]."""
        E = np.asarray(E, dtype=float)
        t1, t2 = self._window(ch, E)
        ok = t2 > t1
        t1s = np.where(ok, t1, 1.0)
        t2s = np.where(ok, t2, 1.0)
        P = self.source.arrival_probabilities(ch.comp, E)
        if ch.is_dipole:
            A0, A1 = self._dipole_coefficients(ch, E)
            z2 = ch.Z * ch.Z if ch.process.scatterer == "nucleus" else 1.0
            integral = _K_DIPOLE * z2 * (A0 * (t2s - t1s) + A1 * np.log(t2s / t1s))
            per_e = integral * (self._mu2 @ P)
        else:
            per_e = np.sum(P * self._sm_bound(ch, E, t1s, t2s), axis=0) * (t2s - t1s)
        u = ch.comp.flux * ch.count * ch.n_env * self._pdf(ch, E) * per_e
        return np.where(ok, np.maximum(u, 0.0), 0.0)

    def _propose(self, ch: _Channel, rng: np.random.Generator, n: int):
        """Draw n candidates (E, T) of channel ``ch`` with the envelope height h(E) g(T|E) at each."""
        if ch.comp.is_line:
            E = np.full(n, ch.comp.line_energy_MeV)
            h = np.full(n, ch.line_height)
        else:
            E, h = ch.envelope.sample(rng, n)
        t1, t2 = self._window(ch, E)
        ok = t2 > t1
        t1 = np.where(ok, t1, ch.lo)
        t2 = np.where(ok, t2, ch.lo * (1.0 + 1e-12))
        if ch.is_dipole:
            A0, A1 = self._dipole_coefficients(ch, E)
            T = uniform_or_reciprocal(rng, t1, t2, A0, A1)
            g = (A0 + A1 / T) / (A0 * (t2 - t1) + A1 * np.log(t2 / t1))
        else:
            T = t1 + rng.random(n) * (t2 - t1)
            g = 1.0 / (t2 - t1)
        return E, T, np.where(ok, h * g, 0.0)

    def _density(self, ch: _Channel, E: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-flavour density rho_alpha(E, T) [events per t exposure MeV^2] and P_alpha(E), each (3, n)."""
        P = self.source.arrival_probabilities(ch.comp, E)
        sig = self.rc.cross_sections(ch.process, ch.comp, E, T, self._mass(ch.process), ch.m, ch.Z, ch.A)
        w = (self._mu2[:, None] * P) if ch.is_dipole else P
        n_s = self._electron_fraction(T) if ch.process.scatterer == "electron" else 1.0
        scale = ch.comp.flux * ch.count * self._pdf(ch, E) * n_s
        return w * sig * scale, P

    # -- sampling ----------------------------------------------------------------------------------
    def _sample_core(self, n: int, rng: np.random.Generator) -> tuple[dict, ChunkDiagnostics]:
        """Accept/reject n events (:func:`nugen.engine.accept_reject`): channel, E, T, flavour, arrivals.

        The channels are drawn in proportion to their envelope integrals; the ratio of a candidate is
        (summed-flavour density) / envelope, exact bound, so the kept events follow the density.
        """

        def draw(k: int, m: int, rng_: np.random.Generator):
            ch = self.channels[k]
            E, T, q = self._propose(ch, rng_, m)
            rho_a, P = self._density(ch, E, T)
            # running sum over the flavours, row by row: the same sums as np.cumsum(rho_a, axis=0),
            # which on this (3, n) array is ~25x slower (~10 % of a xenon chunk; docs/benchmarks.md)
            cum = rho_a.copy()
            for i in range(1, len(cum)):
                np.add(cum[i - 1], cum[i], out=cum[i])
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(q > 0, cum[2] / q, 0.0)
            return ratio, (E, T, cum, P)

        def keep(k: int, payload, acc: np.ndarray, spare: np.ndarray) -> dict[str, np.ndarray]:
            E, T, cum, P = payload
            # flavour from its share of the density at (E, T): the spare u / ratio is uniform on [0, 1)
            # for kept candidates, so it is reused instead of drawing again
            v = spare * cum[2, acc]
            flav = (v >= cum[0, acc]).astype(np.int8) + (v >= cum[1, acc]).astype(np.int8)
            channel = np.full(acc.size, k, dtype=np.int16)
            return {"channel": channel, "E": E[acc], "T": T[acc], "flavour": flav, "P": P[:, acc]}

        return accept_reject(int(n), self._Hp, draw, keep, rng, self.acceptance)

    def generate_chunk(
        self, n: int, rng: np.random.Generator, weight: float | None = None
    ) -> tuple[dict[str, np.ndarray], ChunkDiagnostics]:
        """Generate ``n`` events with full kinematics from ``rng``.

        Parameters
        ----------
        n : int
            Number of events.
        rng : numpy.random.Generator
            Random stream (one per chunk for reproducible parallel runs).
        weight : float, optional
            Weight of every event (default: :attr:`total_rate` / n, i.e. one exposure unit).

        Returns
        -------
        columns : dict of str to numpy.ndarray
            The event branches (see :meth:`branch_docs` for names, units and meaning).
        diagnostics : ChunkDiagnostics
            Accept/reject bookkeeping.
        """
        core, diag = self._sample_core(int(n), rng)
        return self._kinematics(core, rng, self.total_rate / n if weight is None else weight), diag

    def _kinematics(self, core: dict, rng: np.random.Generator, weight: float) -> dict[str, np.ndarray]:
        k = core["channel"]
        n = k.size
        E, T, flav, P = core["E"], core["T"], core["flavour"], core["P"]
        chans = self.channels
        ch_m = np.array([c.m for c in chans])
        ch_pdg = np.array([c.pdg for c in chans], dtype=np.int32)
        ch_proc = np.array([PROCESS_CODES[c.process.name] for c in chans], dtype=np.int8)
        ch_comp = np.array([c.comp_index for c in chans], dtype=np.int8)
        ch_dip = np.array([c.is_dipole for c in chans])
        ch_anti = np.array([c.comp.antineutrino for c in chans])
        m = ch_m[k]
        dip = ch_dip[k]
        anti = ch_anti[k]
        M = self.model.mass_MeV
        M_ev = np.where(dip, M, 0.0)
        phi = rng.random(n) * (2.0 * np.pi)
        (rE, rx, ry, rz), (nE, nx, ny, nz) = two_body_final_state(E, T, M_ev, m, phi)
        # helicity of the outgoing neutral lepton: N from nu +1, Nbar from nubar -1 (physics.md 2.5);
        # SM: nu_L -1, nubar_R +1
        hel = np.where(dip, np.where(anti, -1, 1), np.where(anti, 1, -1)).astype(np.int8)
        # -- N -> nu gamma in flight (physics.md Secs. 4.2-4.4): the decay stage of every sample ---------
        slope = 0.0 if self.model.nature == "majorana" else 1.0  # Dirac: a = h (N) = -h (Nbar) = +1
        decays = dip & (M > 0) & np.isfinite(self.model.ctau_cm)
        p_N = np.sqrt(nx * nx + ny * ny + nz * nz)
        bg = p_N / M if M > 0 else np.full(n, np.nan)
        stage = decay_in_flight((nE, nx, ny, nz), M, slope, bg * self.model.ctau_cm, rng, decays=decays)
        (gE, gx, gy, gz), (vx, vy, vz) = stage.photon, stage.free_vertex
        cs, u_out = stage.cos_theta_star, stage.u_free
        if np.any(decays):
            lam, bg = (np.where(decays, a, np.nan) for a in (bg * self.model.ctau_cm, bg))
        else:
            lam = np.full(n, np.nan)
            bg = np.where(dip & (M == 0), np.inf, np.nan) if M == 0 else lam
        pdg_sign = np.where(anti, -1, 1).astype(np.int32)
        cols = {
            "E_nu_MeV": E,
            "nu_pdg": np.asarray(FLAVOUR_PDG, dtype=np.int32)[flav] * pdg_sign,
            "flavour": flav,
            "component": ch_comp[k],
            "process": ch_proc[k],
            "target_pdg": ch_pdg[k],
            "Er_keV": T * 1e3,
            "recoil_E_MeV": rE,
            "recoil_px_MeV": rx,
            "recoil_py_MeV": ry,
            "recoil_pz_MeV": rz,
            "N_E_MeV": nE,
            "N_px_MeV": nx,
            "N_py_MeV": ny,
            "N_pz_MeV": nz,
            "N_helicity": hel,
            "N_betagamma": bg,
            "N_lambda_cm": lam,
            "N_decay_u": u_out,
            "N_decay_x_cm": vx,
            "N_decay_y_cm": vy,
            "N_decay_z_cm": vz,
            "gamma_E_MeV": gE,
            "gamma_px_MeV": gx,
            "gamma_py_MeV": gy,
            "gamma_pz_MeV": gz,
            "gamma_cos_theta_star": cs,
            "P_e": P[0],
            "P_mu": P[1],
            "P_tau": P[2],
            "weight": np.full(n, float(weight)),
        }
        if self.site is not None:
            self._point_at_the_sun(cols, rng)
        return cols

    def _point_at_the_sun(self, cols: dict[str, np.ndarray], rng: np.random.Generator) -> None:
        """Draw event times, turn the neutrino direction away from the Sun and rotate every vector."""
        n = cols["E_nu_MeV"].size
        t0, t1 = self.period_unix_s
        times: list[np.ndarray] = []
        have = 0
        while have < n:  # flux ∝ 1/r^2: accept with (r_min/r)^2, r_min below the perihelion distance
            t = t0 + rng.random(n - have + 64) * (t1 - t0)
            r = sun_distance_au(t)
            t = t[rng.random(t.size) < (R_MIN_AU / r) ** 2][: n - have]
            times.append(t)
            have += t.size
        t = np.concatenate(times)
        e, nn, u = sun_direction_enu(t, *self.site)
        d = (-e, -nn, -u)  # the neutrino travels from the Sun to the detector
        for prefix in ("recoil_p", "N_p", "gamma_p"):
            keys = [f"{prefix}{c}_MeV" for c in "xyz"]
            for key, v in zip(keys, rotate_from_z(tuple(cols[k] for k in keys), d), strict=True):
                cols[key] = v
        keys = [f"N_decay_{c}_cm" for c in "xyz"]
        for key, v in zip(keys, rotate_from_z(tuple(cols[k] for k in keys), d), strict=True):
            cols[key] = v
        cols["time_unix_s"] = t
        cols["nu_dir_x"], cols["nu_dir_y"], cols["nu_dir_z"] = d

    # -- driving many chunks -------------------------------------------------------------------------
    @staticmethod
    def chunk_sizes(n_events: int, chunk_size: int = CHUNK_SIZE) -> list[int]:
        """Sizes of the chunks of an n-event sample (all :data:`CHUNK_SIZE` but the last)."""
        n_events = int(n_events)
        full, rest = divmod(n_events, int(chunk_size))
        return [int(chunk_size)] * full + ([rest] if rest else [])

    def iter_chunks(
        self,
        n_events: int,
        seed: int | Sequence[int] | np.random.SeedSequence | None = None,
        *,
        workers: int = 1,
        exposure: float = 1.0,
        chunk_size: int = CHUNK_SIZE,
        executor=None,
        in_flight: int = 8,
    ) -> Iterator[tuple[dict[str, np.ndarray], ChunkDiagnostics]]:
        """Yield the chunks of an ``n_events`` sample in order, generated by ``workers`` processes.

        Chunk i draws from ``default_rng(SeedSequence(seed).spawn(n_chunks)[i])``, so the events do not
        depend on ``workers``. Every event weighs ``total_rate x exposure / n_events``. At most
        ``2 x workers`` chunks are in flight, so memory stays bounded however many events are made.

        Parameters
        ----------
        n_events : int
            Total number of events (> 0).
        seed : int, sequence of int, SeedSequence or None
            Entropy of the run (None: fresh entropy from the OS; read it back from
            ``SeedSequence.entropy`` to reproduce the run).
        workers : int
            Worker processes (1: in this process).
        exposure : float
            Exposure the sample stands for, in the source's exposure unit per tonne (tonne-years for
            the Sun); sets the weights.
        chunk_size : int
            Events per chunk (changing it changes the events).
        executor : concurrent.futures.Executor, optional
            Run the chunks there instead (e.g. a dask.distributed cluster's,
            :func:`nugen.parallel.dask_executor`; ``workers`` must then be 1). Chunks are still
            yielded in order, so the events are the same.
        in_flight : int
            With ``executor``: chunks submitted ahead of the one being yielded (memory: ~16 MB each).
        """
        n_events = _check_count("n_events", n_events)
        workers = _check_count("workers", workers)
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        sizes = self.chunk_sizes(n_events, chunk_size)
        seqs = root.spawn(len(sizes))
        weight = self.total_rate * float(exposure) / n_events
        tasks = [(n, s, weight) for n, s in zip(sizes, seqs, strict=True)]
        if executor is not None and workers != 1:
            msg = f"give workers = 1 with an executor, got workers = {workers}"
            raise InvalidParameterError(msg)
        ahead = _check_count("in_flight", in_flight) if executor is not None else None  # local: 2 x workers
        yield from ordered_map(_ChunkJob(self), tasks, workers, executor, ahead, what="chunk")

    def generate(
        self,
        n_events: int,
        seed: int | Sequence[int] | np.random.SeedSequence | None = None,
        *,
        workers: int = 1,
        exposure: float = 1.0,
        chunk_size: int = CHUNK_SIZE,
    ) -> ak.Array:
        """All events of an ``n_events`` sample in memory as an awkward record array (:meth:`iter_chunks`)."""
        chunks = [c for c, _ in self.iter_chunks(n_events, seed, workers=workers, exposure=exposure,
                                                  chunk_size=chunk_size)]  # fmt: skip
        import awkward as ak

        cols = {key: np.concatenate([c[key] for c in chunks]) for key in chunks[0]}
        return ak.Array(cols)

    # -- description -------------------------------------------------------------------------------
    def describe(self) -> dict:
        """JSON-ready description of the generator: model, source, target, processes, windows, rates."""
        src = self.source.describe()
        return {
            "model": {**self.model.describe(), "width_MeV": self.model.width_MeV,
                      "lifetime_s": _finite_or_none(self.model.lifetime_s),
                      "ctau_cm": _finite_or_none(self.model.ctau_cm)},
            "source": src,
            "target": self.target.name,
            "process": self.process,
            "scatterer": self.scatterer,
            "processes": [p.name for p in self.processes],
            "recoil_window_keV": {s: [lo * 1e3, hi * 1e3] for s, (lo, hi) in self.windows.items()},
            "exposure_unit": self.rc.exposure_label,
            "rate_per_exposure": self.total_rate,
            "rate_per_exposure_by_process": dict(self.rates),
            "rate_per_exposure_by_component": {
                p: dict(zip(self.rc.component_names, (float(v) for v in r), strict=True))
                for p, r in self.component_rates.items()
            },
            "sin2_theta_w": self.rc.sin2_theta_w,
            "codes": {
                "process": PROCESS_CODES,
                "component": {c: i for i, c in enumerate(self.rc.component_names)},
                "flavour": {f: i for i, f in enumerate(FLAVOURS)},
                "N_pdg": N_PDG,
            },
            "acceptance": self.acceptance,
            "frame": "neutrino along +z" if self.site is None else
                     "local East-North-Up (x = East, y = North, z = Up), neutrino from the Sun",
            "site_lat_lon_deg": None if self.site is None else list(self.site),
            "period_unix_s": None if self.site is None else list(self.period_unix_s),
        }  # fmt: skip

    def branch_docs(self) -> dict[str, str]:
        """Meaning and unit of every event branch of this generator's samples."""
        return {**BRANCH_DOCS, **(SITE_BRANCH_DOCS if self.site is not None else {})}


BRANCH_DOCS: dict[str, str] = {
    "E_nu_MeV": "incoming neutrino energy [MeV]; the neutrino moves along +z",
    "nu_pdg": "PDG code of the incoming neutrino at the detector (12, 14, 16; negative: antineutrino)",
    "flavour": "arrival flavour index 0 = e, 1 = mu, 2 = tau",
    "component": "source component index (names in meta codes.component)",
    "process": "process code: 0 dipole nu e -> N e, 1 dipole nu A -> N A, 2 SM nu e, 3 CEvNS",
    "target_pdg": "struck particle: 11 (electron) or nuclear code 10LZZZAAAI",
    "Er_keV": "true recoil kinetic energy of the struck electron or nucleus [keV]",
    "recoil_E_MeV": "recoil total energy [MeV]",
    "recoil_px_MeV": "recoil momentum x [MeV]",
    "recoil_py_MeV": "recoil momentum y [MeV]",
    "recoil_pz_MeV": "recoil momentum z [MeV]",
    "N_E_MeV": "outgoing neutral lepton (N for the dipole, nu for the SM) energy [MeV]",
    "N_px_MeV": "outgoing neutral lepton momentum x [MeV]",
    "N_py_MeV": "outgoing neutral lepton momentum y [MeV]",
    "N_pz_MeV": "outgoing neutral lepton momentum z [MeV]",
    "N_helicity": "helicity of the outgoing neutral lepton (+1: N from nu, physics.md Sec. 2.5)",
    "N_betagamma": "p_N / M_N (lab decay length per unit c tau); inf for M_N = 0, NaN for SM events",
    "N_lambda_cm": "mean lab decay length beta gamma c tau of N [cm] (NaN if N does not decay)",
    "N_decay_u": "decay distance in units of N_lambda_cm (standard exponential; reuse for another mu)",
    "N_decay_x_cm": "N decay vertex x relative to the scattering point [cm]",
    "N_decay_y_cm": "N decay vertex y [cm]",
    "N_decay_z_cm": "N decay vertex z [cm]",
    "gamma_E_MeV": "photon of N -> nu gamma: lab energy [MeV]",
    "gamma_px_MeV": "photon momentum x [MeV]",
    "gamma_py_MeV": "photon momentum y [MeV]",
    "gamma_pz_MeV": "photon momentum z [MeV]",
    "gamma_cos_theta_star": "cosine of the photon angle to the N direction in the N rest frame",
    "P_e": "probability that the neutrino arrives as nu_e at E_nu (production reweighting)",
    "P_mu": "probability that the neutrino arrives as nu_mu at E_nu",
    "P_tau": "probability that the neutrino arrives as nu_tau at E_nu",
    "weight": "events per exposure: weights add up to the expected events of the sample's exposure",
}
#: Extra branches of samples generated with a ``site`` (neutrinos from the Sun's direction).
SITE_BRANCH_DOCS: dict[str, str] = {
    "time_unix_s": "event time [Unix seconds, UTC]",
    "nu_dir_x": "incoming neutrino direction, East component (local East-North-Up frame)",
    "nu_dir_y": "incoming neutrino direction, North component",
    "nu_dir_z": "incoming neutrino direction, Up component",
}


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _check_count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        msg = f"{name} must be a positive integer, got {value!r}"
        raise InvalidParameterError(msg)
    if value < 1:
        msg = f"{name} must be a positive integer, got {value!r}"
        raise InvalidParameterError(msg)
    return int(value)


# -- parallel chunks ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _ChunkJob:
    """One chunk of a generator's sample from its task ``(n, seed_sequence, weight)`` (picklable)."""

    gen: Generator

    def __call__(self, task):
        n, seq, weight = task
        return self.gen.generate_chunk(n, np.random.default_rng(seq), weight)
