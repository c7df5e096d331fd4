"""CHARM-II: nu_mu e and nubar_mu e elastic scattering in a glass calorimeter at the CERN SPS wide-band beam.

Detector facts (physics.md Sec. 6.4; ``detectors/data/charm2_params.csv``, which marks every value as quoted
from a public copy of the paper's numbers or as an UNVERIFIED default):

* **Target**: a fine-grained, low-density calorimeter of glass plates (taken as SiO2: nugen target ``glass``,
  Si and O nuclei and their free electrons) interleaved with streamer tubes; ~690 t, ~35 m long (K. De Winter
  et al., NIM A 278 (1989) 670; mass and length UNVERIFIED). Target mass is taken uniform along the beam axis.
* **Beam**: the CERN SPS 450 GeV wide-band beam, :class:`nugen.sources.beams.CHARM2Beam` (flux per POT per
  cm^2; setting ``beam`` = ``numu`` or ``numubar`` selects the horn polarity and the sample).
* **Data**: 2677 nu_mu e events (neutrino mode) and 2752 nubar_mu e events (antineutrino mode)
  (P. Vilain et al., PLB 335 (1994) 246, quoted second-hand); total errors 82 / 88 events (UNVERIFIED), split
  into Poisson statistics and a Gaussian normalisation systematic ``sqrt(err^2 - N)/N`` (2.4 % / 2.6 %) that
  the fits use as :attr:`CHARM2.sm_rel_uncertainty`.
* **Selection** (UNVERIFIED): one forward electromagnetic shower with 3 < E < 24 GeV and
  ``E theta^2 < 2 m_e``. One analysis bin (the published samples are counts, no spectrum); the energy
  window is applied to the observed shower energy with ``sigma_E = 0.23 sqrt(E/GeV)`` GeV (UNVERIFIED).

**Normalisation by calibration** (allowed by the issue; documented in docs/validation.md): the absolute POT,
fiducial mass and selection efficiency are not public in a form we could verify, and the flux table's origin
is undocumented. The exposure (tonne x POT x efficiency) is therefore fixed so that the SM nu_mu e (resp.
nubar_mu e) prediction in the window, summed over the beam's nu_mu and nubar_mu components, equals the
measured count: :meth:`CHARM2.calibration`. The dipole signal is then predicted relative to the SM with the
same flux, target and selection -- the ratio does not depend on the calibration.

**Dipole signatures**

(a) *Electron recoils* nu_mu e -> N e (physics.md Sec. 2.1): lifetime-independent, ∝ mu_mu^2 at fixed M_N;
    :meth:`CHARM2.signal_templates` (the base-class contract). The angular cut is kinematically automatic:
    for any 2 -> 2 recoil, ``p_e cos theta = T (E + m)/E + M^2/(2E)`` (physics.md Sec. 2.2) gives
    ``E_e theta_e^2 ~ 2 m_e (1 - T/E) - M^2/E - m_e^2/T < 2 m_e``, i.e. a massive N makes the electron *more*
    forward. :meth:`CHARM2.electron_angular_acceptance` checks it on sampled events (fraction 1). The
    channel closes at the electron-target threshold ``E_thr = M + M^2/(2 m_e)``: with <E> ~ 25 GeV the
    signal falls steeply above ``M ~ sqrt(2 m_e E) ~ 0.16 GeV`` and vanishes above ~0.45 GeV
    (E_max = 200 GeV). **N-decay veto** (setting ``n_decay_veto``, default on; nugen's assumption): an
    event whose N decays inside the calorimeter has a second (photon) shower and fails the single-shower
    selection, so channel (a) is multiplied by the probability that N escapes
    (:meth:`CHARM2.escape_probability`, averaged over Monte Carlo N momenta:
    :meth:`CHARM2.electron_survival`).
    This is 1 (lifetime independence) while ``beta gamma c tau`` >> 35 m, i.e. everywhere except near the
    closing, where the limit needs large mu and hence short lifetimes: there it closes the channel
    earlier than kinematics alone. :meth:`CHARM2.electron_counts` includes it; the base-class
    :meth:`CHARM2.signal_templates` (∝ mu^2, used by generic mu^2 fits) does not.
(b) *Single photons* from coherent up-scattering nu A -> N A on Si and O (Helm form factor, physics.md
    Sec. 2.6; the nuclear recoil is invisible) followed by N -> nu gamma inside the fiducial decay region
    (physics.md Secs. 4.1-4.4). Production anywhere in the target, decay in [fiducial_start, fiducial_end]:
    the decay probability, averaged over the production point, is
    :func:`nugen.decays.path_averaged_decay_probability` with the lab decay length
    ``beta gamma c tau ∝ 1/mu^2``, so this channel is **not** ∝ mu^2. For the lab photon
    ``E_gamma theta_gamma^2 ≈ (M^2 / 2 E_N)(1 - cos theta*)``, so it passes ``E theta^2 < 2 m_e`` only
    for ``M ≲ sqrt(4 m_e E_N)`` (0.2 GeV at 20 GeV; the 200 GeV flux tail and the 24 GeV window stretch
    this to ~0.6 GeV for forward photons). The kinematic acceptance (window on the smeared photon energy,
    angular cut on the true photon direction relative to the beam axis) comes from a fixed-seed weighted
    Monte Carlo per M_N (:mod:`nugen.beam_events`, :mod:`nugen.decays`); the mu dependence is analytic on
    top of it. **Selection efficiency of a photon shower relative to an electron shower**: setting
    ``photon_efficiency``, default 0 (channel off). The published CHARM-II result is an electron-recoil
    measurement whose e/gamma discrimination we cannot model from public information, so a limit that
    counts photons would rest on an unverified assumption; 1 treats photons exactly like electrons (the
    most aggressive reading). docs/validation.md shows the limit both ways.

:meth:`CHARM2.signal_counts` returns (a) + (b) for a model (full mu dependence); the fits layer
finds limits with it (``fits.charm2_limit``, registered for "charm2" in ``fits.limits``).
Not modelled: incoherent (nucleon) up-scattering
(physics.md Sec. 2.7, formula unverified), N produced upstream of the calorimeter, the neutrino-beam
divergence and the angular resolution, e/gamma separation, an N decaying inside the detector after an
electron-recoil event (it is counted in channel (a) regardless).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike

from detectors import data
from detectors.base import (
    Detector,
    Setting,
    parse_choice,
    parse_fraction,
    parse_int_range,
    parse_nonnegative,
    parse_positive,
)
from nugen.beam_events import PROCESSES as BEAM_PROCESSES
from nugen.beam_events import sample_scatterings
from nugen.constants import M_E
from nugen.decays import (
    decay_in_flight,
    helicity_factor,
    path_averaged_decay_probability,
    photon_four_momenta,
    sample_decay_distance,
    undecayed_probability,
)
from nugen.engine import WeightedChannel, unweight_weighted, weighted_sample
from nugen.errors import InvalidParameterError, KinematicsError
from nugen.generator import FLAVOUR_PDG
from nugen.generator import PROCESS_CODES as GENERATOR_PROCESS_CODES
from nugen.model import DipolePortal
from nugen.rates import RateCalculator, check_edges, rate_calculator
from nugen.targets import ELECTRON_PDG, get_target
from nugen.xsec.sm import FLAVOURS

__all__ = ["BRANCH_DOCS", "CHARM2", "CHUNK_SIZE", "PROCESS_CODES", "params"]

#: Integer codes of the ``process`` column of :meth:`CHARM2.generate` (same as :mod:`nugen.generator`).
PROCESS_CODES: dict[str, int] = {p: GENERATOR_PROCESS_CODES[p] for p in BEAM_PROCESSES}
#: Events per chunk of :meth:`CHARM2.generate` (each chunk draws from its own spawned random stream).
CHUNK_SIZE = 16_384
#: Half-width of the square glass plates [cm] (3.7 m plates, UNVERIFIED; only for event vertices).
PLATE_HALF_WIDTH_CM = 185.0
#: Flavour index of nu_mu in nugen's flavour vectors (e, mu, tau).
_MU = 1


def params() -> dict[str, float]:
    """The numeric rows of ``detectors/data/charm2_params.csv`` as ``{quantity: value}``."""
    return data.parameters("charm2_params.csv", "quantity")


def _p(key: str) -> float:
    return data.parameter("charm2_params.csv", key, "quantity")


#: Meaning and unit of each column of :meth:`CHARM2.generate` (written as branch descriptions by
#: ``nugen generate --weighted``).
BRANCH_DOCS: dict[str, str] = {
    "process": "process code (meta codes.process): 0 dipole nu e -> N e, 1 dipole nu A -> N A, 2 SM nu e",
    "component": "beam component index (meta codes.component), e.g. 0 nu_mu, 1 nubar_mu",
    "nu_pdg": "PDG code of the incoming neutrino (14 nu_mu, -14 nubar_mu)",
    "target_pdg": "struck particle: 11 (electron) or the nucleus' code 10LZZZAAAI (photon channel)",
    "E_nu_MeV": "incoming neutrino energy [MeV]; the beam moves along +z",
    "Er_keV": "true recoil kinetic energy of the struck electron or nucleus [keV]",
    "recoil_E_MeV": "recoil total energy [MeV]",
    "recoil_px_MeV": "recoil momentum x [MeV]",
    "recoil_py_MeV": "recoil momentum y [MeV]",
    "recoil_pz_MeV": "recoil momentum z [MeV]",
    "N_E_MeV": "outgoing N (dipole) or neutrino (SM) energy [MeV]",
    "N_px_MeV": "outgoing N or neutrino momentum x [MeV]",
    "N_py_MeV": "outgoing N or neutrino momentum y [MeV]",
    "N_pz_MeV": "outgoing N or neutrino momentum z [MeV]",
    "N_lambda_cm": "mean lab decay length beta gamma c tau of N [cm] (inf if N does not decay)",
    "prod_x_cm": "production vertex x [cm] (transverse, uniform over a plate)",
    "prod_y_cm": "production vertex y [cm]",
    "prod_z_cm": "production vertex z from the calorimeter front [cm] (photon channel: uniform over the "
    "target; electron recoils and SM: uniform over the fiducial region)",
    "decay_x_cm": "photon channel: N decay vertex x, forced inside the fiducial region [cm] (NaN otherwise)",
    "decay_y_cm": "photon channel: forced N decay vertex y [cm]",
    "decay_z_cm": "photon channel: forced N decay vertex z from the calorimeter front [cm]",
    "decay_free_z_cm": "z of a freely (exponentially) drawn N decay vertex [cm]; NaN for SM events",
    "decays_in_fiducial": "photon channel: whether the free decay vertex lies in the fiducial region",
    "P_decay_fiducial": "photon channel: analytic probability that N decays inside the fiducial region",
    "P_N_escape": "electron recoils: probability that N leaves the calorimeter undecayed (N-decay veto)",
    "gamma_E_MeV": "photon of N -> nu gamma: lab energy [MeV] (photon channel; NaN otherwise)",
    "gamma_px_MeV": "photon momentum x [MeV]",
    "gamma_py_MeV": "photon momentum y [MeV]",
    "gamma_pz_MeV": "photon momentum z [MeV]",
    "gamma_cos_theta_star": "cosine of the photon angle to the N direction in the N rest frame",
    "shower_E_MeV": "true energy of the shower particle (electron or photon) [MeV]",
    "shower_theta_rad": "angle of the shower particle to the beam axis [rad]",
    "shower_Etheta2_MeV": "shower E theta^2 [MeV] (the selection cuts it at 2 m_e)",
    "Eobs_keV": "observed (smeared) shower energy [keV]",
    "pass_selection": "whether the event passes the energy window and the angular cut",
    "selection_efficiency": "selection efficiency of the shower (photon showers: setting photon_efficiency)",
    "weight_production": "events produced for the detector's exposure at this model (photon channel: in the "
    "whole target), before decay, selection and efficiency",
    "weight": "expected selected events for the detector's exposure: weight_production x pass_selection x "
    "selection_efficiency (x P_decay_fiducial for photons, x P_N_escape for electron recoils with the "
    "N-decay veto)",
}


def _particle_codes(ev, component, material) -> dict[str, np.ndarray]:
    """``nu_pdg`` (+-12/14/16) and ``target_pdg`` (11 or the nucleus' code) of a batch of scatterings."""
    n = len(ev)
    nu = FLAVOUR_PDG[FLAVOURS.index(component.flavour)] * (-1 if ev.antineutrino else 1)
    by_name = {x.name: x.pdg for x in material.nuclei}
    codes = np.array([by_name.get(name, ELECTRON_PDG) for name in ev.scatterer_names], dtype=np.int32)
    return {"nu_pdg": np.full(n, nu, dtype=np.int32), "target_pdg": codes[ev.scatterer]}


class CHARM2(Detector):
    """The CHARM-II nu_mu e / nubar_mu e analysis with the two dipole signatures (see the module docstring).

    Parameters
    ----------
    **settings
        See :attr:`SETTINGS` (``nugen info charm2``): ``beam``, ``e_min_GeV``, ``e_max_GeV``,
        ``resolution_a``, ``length_m``, ``fiducial_start_m``, ``fiducial_end_m``, ``target_mass_t``,
        ``err_numu_e``, ``err_numubar_e``, ``photon_efficiency``, ``limit_samples``, ``n_mc``, ``mc_seed``.

    Raises
    ------
    InvalidParameterError
        For an empty energy window or a fiducial region outside the target.
    """

    name = "charm2"
    title = "CHARM-II nu_mu e / nubar_mu e elastic scattering (CERN SPS wide-band beam)"
    citation = "K. De Winter et al. (CHARM-II), NIM A 278 (1989) 670; P. Vilain et al., PLB 335 (1994) 246"
    target = "glass"
    source = "charm2"
    scatterer = "electron"
    energy_unit = "GeV"
    exposure_unit = "t POT"
    #: Descriptions of the columns of :meth:`generate` (branch documentation of weighted event files).
    weighted_branch_docs = BRANCH_DOCS
    #: The last unweighted sample's :class:`nugen.engine.UnweightedSample` (rate, MC error, diagnostics).
    last_unweighting = None
    #: The efficiency is constant (1) inside the window, so one sub-bin is exact.
    n_sub = 1
    sm_in_background = False
    SETTINGS = (
        Setting(
            "beam",
            "numu",
            "",
            "horn polarity and sample: numu (2677 nu_mu e events) or numubar (2752 nubar_mu e events)",
            parse_choice("beam", ("numu", "numubar")),
        ),
        Setting("e_min_GeV", _p("E_min"), "GeV", "lower edge of the shower-energy window (UNVERIFIED)",
                parse_positive("e_min_GeV")),
        Setting("e_max_GeV", _p("E_max"), "GeV", "upper edge of the shower-energy window (UNVERIFIED)",
                parse_positive("e_max_GeV")),
        Setting("resolution_a", _p("resolution_a"), "GeV^0.5",
                "EM energy resolution sigma_E = a sqrt(E) (UNVERIFIED, De Winter et al. 1989); > 0",
                parse_positive("resolution_a")),
        Setting("length_m", _p("length"), "m", "length of the glass target calorimeter (physics.md: ~35 m)",
                parse_positive("length_m")),
        Setting("fiducial_start_m", _p("fiducial_start"), "m", "start of the fiducial decay region",
                parse_nonnegative("fiducial_start_m")),
        Setting("fiducial_end_m", _p("fiducial_end"), "m",
                "end of the fiducial decay region (last 4 m kept for shower development)",
                parse_positive("fiducial_end_m")),
        Setting("target_mass_t", _p("target_mass"), "t",
                "target calorimeter mass (physics.md: ~690 t); only enters the reported POT x efficiency",
                parse_positive("target_mass_t")),
        Setting("err_numu_e", _p("err_numu_e"), "events",
                "total error of the 2677 nu_mu e events (UNVERIFIED)", parse_positive("err_numu_e")),
        Setting("err_numubar_e", _p("err_numubar_e"), "events",
                "total error of the 2752 nubar_mu e events (UNVERIFIED)", parse_positive("err_numubar_e")),
        Setting("photon_efficiency", 0.0, "",
                "selection efficiency of a single-photon shower relative to an electron shower (0: photon "
                "channel off, the conservative default; 1: photons indistinguishable from electrons)",
                parse_fraction("photon_efficiency")),
        Setting("n_decay_veto", "on", "",
                "electron channel: reject events whose N decays inside the calorimeter (a second, photon "
                "shower spoils the single-shower topology); 'off' = lifetime-independent approximation",
                parse_choice("n_decay_veto", ("on", "off"))),
        Setting("limit_samples", "both", "",
                "samples combined by the CHARM-II limit: both, numu or numubar",
                parse_choice("limit_samples", ("both", "numu", "numubar"))),
        Setting("n_mc", 100_000, "events", "Monte Carlo events per beam component for the photon acceptance",
                parse_int_range("n_mc", 1000, 10_000_000)),
        Setting("mc_seed", 20_170_820, "", "seed of the photon-acceptance Monte Carlo (same for every M_N)",
                parse_int_range("mc_seed", 0, 2**63 - 1)),
    )  # fmt: skip

    def __init__(self, **settings: object):
        super().__init__(**settings)
        s = self.settings
        if s["e_max_GeV"] <= s["e_min_GeV"]:
            msg = f"charm2 window is empty: e_min_GeV = {s['e_min_GeV']:g} >= e_max_GeV = {s['e_max_GeV']:g}"
            raise InvalidParameterError(msg)
        if not s["fiducial_start_m"] < s["fiducial_end_m"] <= s["length_m"]:
            msg = (
                "charm2 fiducial region must satisfy fiducial_start_m < fiducial_end_m <= length_m, got "
                f"{s['fiducial_start_m']:g}, {s['fiducial_end_m']:g}, {s['length_m']:g}"
            )
            raise InvalidParameterError(msg)
        self._photon_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._angle_cache: dict[float, float] = {}

    # -- measured sample and its uncertainty -----------------------------------------------------------------
    @property
    def beam(self) -> str:
        """The selected beam mode / sample (``"numu"`` or ``"numubar"``)."""
        return str(self.settings["beam"])

    @property
    def measured_events(self) -> float:
        """The measured nu_mu e (or nubar_mu e) count of the selected sample (PLB 335 (1994) 246)."""
        return _p("N_numu_e") if self.beam == "numu" else _p("N_numubar_e")

    @property
    def total_error_events(self) -> float:
        """Total (statistical + systematic) error of :attr:`measured_events` (UNVERIFIED defaults 82 / 88)."""
        return float(self.settings["err_numu_e" if self.beam == "numu" else "err_numubar_e"])

    @property
    def sm_rel_uncertainty(self) -> float:  # type: ignore[override]
        """Relative normalisation systematic of the SM prediction: ``sqrt(err^2 - N) / N``.

        The total error minus Poisson statistics (which the fit's likelihood already contains); floored
        at 1e-4 if the total error is not larger than sqrt(N).
        """
        n = self.measured_events
        return max(math.sqrt(max(self.total_error_events**2 - n, 0.0)) / n, 1e-4)

    def observed(self) -> np.ndarray:
        """The measured count in the single analysis bin."""
        return np.array([self.measured_events])

    # -- response --------------------------------------------------------------------------------------------
    @property
    def rates(self) -> RateCalculator:
        """Cached rate calculator of the selected beam mode on glass (events per tonne per POT)."""
        return rate_calculator(self.source, self.target, mode=self.beam)

    def analysis_edges_MeV(self) -> np.ndarray:
        """The shower-energy window [MeV] as one bin."""
        return np.array([self.settings["e_min_GeV"], self.settings["e_max_GeV"]]) * 1000.0

    def resolution_MeV(self, E_MeV: ArrayLike) -> np.ndarray:
        """EM shower energy resolution ``sigma = a sqrt(E/GeV)`` GeV [MeV]."""
        E = np.maximum(np.asarray(E_MeV, dtype=float), 0.0)
        return float(self.settings["resolution_a"]) * np.sqrt(E * 1000.0)

    def efficiency(self, E_obs_MeV: ArrayLike) -> np.ndarray:
        """1 inside the window, 0 outside: the constant efficiency is part of the calibrated exposure."""
        E = np.asarray(E_obs_MeV, dtype=float)
        lo, hi = self.analysis_edges_MeV()
        return ((E >= lo) & (E <= hi)).astype(float)

    # -- calibration -----------------------------------------------------------------------------------------
    @functools.cached_property
    def _sm_per_t_pot(self) -> float:
        edges = self.analysis_edges_MeV()
        T, w, K = self._kernel(edges, "sm_e", 0.0)
        return float(((self.rates.sm_rate(T, "electron").sum(axis=0) * w) @ K.T).sum())

    @property
    def exposure_t_yr(self) -> float:
        """Calibrated exposure [t x POT x efficiency]: SM prediction in the window = measured count."""
        return self.measured_events / self._sm_per_t_pot

    @property
    def fiducial_length_m(self) -> float:
        """Length of the fiducial region [m]."""
        return float(self.settings["fiducial_end_m"] - self.settings["fiducial_start_m"])

    def calibration(self) -> dict[str, float]:
        """The normalisation that reproduces the measured sample, with the quantities behind it.

        Returns
        -------
        dict
            ``measured`` (events), ``sm_events_per_t_per_POT`` (SM nu e events in the window per tonne of
            glass per POT at full efficiency, summed over the beam's nu_mu and nubar_mu), ``exposure_t_POT``
            (= measured / that), ``fiducial_mass_t`` (target mass x fiducial length / length) and
            ``POT_x_efficiency`` (= exposure / fiducial mass): e.g. 2.5e19 POT would mean an overall
            efficiency of POT_x_efficiency / 2.5e19.
        """
        s = self.settings
        m_fid = float(s["target_mass_t"]) * self.fiducial_length_m / float(s["length_m"])
        return {
            "measured": self.measured_events,
            "sm_events_per_t_per_POT": self._sm_per_t_pot,
            "exposure_t_POT": self.exposure_t_yr,
            "fiducial_mass_t": m_fid,
            "POT_x_efficiency": self.exposure_t_yr / m_fid,
        }

    # -- signal (a): electron recoils ------------------------------------------------------------------------
    def electron_angular_acceptance(self, M_N: float) -> float:
        """Fraction of dipole nu e -> N e recoils in the true-energy window with ``E_e theta_e^2 < 2 m_e``.

        Computed on 20000 weighted events (fixed seed) from the exact 2 -> 2 kinematics; equals 1 because
        the bound is automatic (module docstring). Returns 1 where the channel is closed (no events).
        """
        key = float(M_N)
        if key not in self._angle_cache:
            lo, hi = self.analysis_edges_MeV()
            rng = np.random.default_rng(12345)
            num = den = 0.0
            for comp in self.rates.source.components:
                try:
                    ev = sample_scatterings(
                        self.rates.source, comp, get_target(self.target), "dipole_e", key, 20_000, rng,
                        T_floor_MeV=lo, T_ceiling_MeV=hi,
                    )  # fmt: skip
                except KinematicsError:
                    continue
                p = ev.p_recoil
                theta = np.arctan2(np.hypot(p[:, 1], p[:, 2]), p[:, 3])
                ok = p[:, 0] * theta**2 < 2.0 * M_E
                num += float(np.sum(ev.weight * ok))
                den += float(np.sum(ev.weight))
            self._angle_cache[key] = num / den if den > 0 else 1.0
        return self._angle_cache[key]

    def signal_templates(self, M_N: float, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """Electron-recoil dipole counts per bin for mu_alpha = 1 mu_B, shape (3, n_bins) (∝ mu^2).

        Channel (a) only: the single-photon channel is not ∝ mu^2 (see :meth:`signal_counts`).
        """
        return super().signal_templates(M_N, edges_MeV) * self.electron_angular_acceptance(M_N)

    # -- signal (b): single photons --------------------------------------------------------------------------
    def _photon_mc(self, M_N: float, nature: str, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per MC event: |p_N| [MeV] and accepted production weight per bin [events / (t POT mu_B^2)]."""
        key = (float(M_N), nature, edges.tobytes(), self.beam)
        if key in self._photon_cache:
            return self._photon_cache[key]
        source = self.rates.source
        glass = get_target(self.target)
        root = np.random.SeedSequence(int(self.settings["mc_seed"]))
        p_all, w_all = [np.zeros(0)], [np.zeros((edges.size - 1, 0))]
        for comp, seq in zip(source.components, root.spawn(len(source.components)), strict=True):
            rng = np.random.default_rng(seq)
            if not M_N > 0:
                continue
            try:
                ev = sample_scatterings(source, comp, glass, "dipole_A", M_N, int(self.settings["n_mc"]), rng)
            except KinematicsError:
                continue
            h = helicity_factor(nature, -1.0 if comp.antineutrino else 1.0, comp.antineutrino)
            k = photon_four_momenta(ev.p_out, M_N, h, rng)
            theta = np.arctan2(np.hypot(k[:, 1], k[:, 2]), k[:, 3])
            ok = k[:, 0] * theta**2 < 2.0 * M_E
            K = self.response_kernel(edges, k[:, 0])  # (n_bins, n): smeared energy in each bin
            w = ev.weight * ok * K
            keep = np.any(w > 0, axis=0)
            p_all.append(np.linalg.norm(ev.p_out[keep, 1:], axis=1))
            w_all.append(w[:, keep])
        return self._cache_sample(key, p_all, w_all)

    def _cache_sample(self, key, p_all: list, w_all: list) -> tuple[np.ndarray, np.ndarray]:
        """Concatenate per-component (momenta, weights) of a weighted sample and cache it under ``key``."""
        out = (np.concatenate(p_all), np.concatenate(w_all, axis=1))
        if len(self._photon_cache) > 64:
            self._photon_cache.clear()
        self._photon_cache[key] = out
        return out

    def photon_counts(self, model: DipolePortal, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """Single-photon counts per bin from N -> nu gamma in the fiducial region (channel (b)).

        ``exposure x (L / L_fid) x mu_mu^2 x sum_k w_k Pbar(lambda_k)``: w_k are the accepted production
        weights of the Monte Carlo events (per tonne per POT per mu_B^2), ``Pbar`` the decay probability in
        [fiducial_start, fiducial_end] averaged over production points uniform in [0, L]
        (:func:`nugen.decays.path_averaged_decay_probability`) with ``lambda_k = (p_k / M) c tau(model)``.
        The factor L / L_fid turns the calibrated fiducial exposure into the whole target mass.
        """
        edges = self._edges(edges_MeV)
        eff = float(self.settings["photon_efficiency"])
        if eff == 0 or not (model.mass_MeV > 0 and model.mu_max > 0):
            return np.zeros(edges.size - 1)
        p, w = self._photon_mc(model.mass_MeV, model.nature, edges)
        if p.size == 0:
            return np.zeros(edges.size - 1)
        s = self.settings
        L = float(s["length_m"]) * 100.0
        z1, z2 = float(s["fiducial_start_m"]) * 100.0, float(s["fiducial_end_m"]) * 100.0
        pbar = path_averaged_decay_probability(z1, z2, L, model.decay_length_cm(p))
        scale = eff * self.exposure_t_yr * L / (z2 - z1) * model.mu_flavour[_MU] ** 2
        return scale * (w @ pbar)

    def _electron_mc(self, M_N: float, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per MC event of channel (a): |p_N| [MeV] and accepted weight per bin (fixed seed, cached)."""
        key = (float(M_N), "electron", edges.tobytes(), self.beam)
        if key in self._photon_cache:
            return self._photon_cache[key]
        source = self.rates.source
        glass = get_target(self.target)
        t_lo, t_hi = self.true_energy_range(edges)
        root = np.random.SeedSequence(int(self.settings["mc_seed"]) + 1)
        p_all, w_all = [np.zeros(0)], [np.zeros((edges.size - 1, 0))]
        for comp, seq in zip(source.components, root.spawn(len(source.components)), strict=True):
            rng = np.random.default_rng(seq)
            try:
                ev = sample_scatterings(source, comp, glass, "dipole_e", M_N, int(self.settings["n_mc"]), rng,
                                        T_floor_MeV=t_lo, T_ceiling_MeV=t_hi)  # fmt: skip
            except KinematicsError:
                continue
            w = ev.weight * self.response_kernel(edges, ev.T)
            keep = np.any(w > 0, axis=0)
            p_all.append(np.linalg.norm(ev.p_out[keep, 1:], axis=1))
            w_all.append(w[:, keep])
        return self._cache_sample(key, p_all, w_all)

    def escape_probability(self, decay_length_cm: ArrayLike) -> np.ndarray:
        """Probability that N from a vertex uniform in the fiducial region leaves the calorimeter undecayed.

        ``(lambda / D) e^{-(L - z2)/lambda} (1 - e^{-D/lambda})``, D = z2 - z1, L the calorimeter length
        (physics.md Sec. 4.2, averaged over the vertex; N taken along the axis); 1 for lambda = inf.
        """
        s = self.settings
        L = float(s["length_m"]) * 100.0
        z1, z2 = float(s["fiducial_start_m"]) * 100.0, float(s["fiducial_end_m"]) * 100.0
        lam = np.asarray(decay_length_cm, dtype=float)
        D = z2 - z1
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            x = np.where(lam > 0, lam, 1.0)
            val = x / D * np.exp(-(L - z2) / x) * -np.expm1(-D / x)
        return np.where(np.isfinite(lam), np.where(lam > 0, val, 0.0), 1.0)

    def electron_survival(self, model: DipolePortal, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """Fraction of channel-(a) events per bin kept by the N-decay veto (1 with ``n_decay_veto=off``).

        The accepted-weight average of :meth:`escape_probability` over Monte Carlo events (fixed seed), with
        ``lambda = (p_N / M) c tau(model)``: 1 while lambda >> the calorimeter, so the electron channel is
        lifetime-independent (∝ mu^2) except near its kinematic closing, where the limit needs large mu.
        """
        edges = self._edges(edges_MeV)
        ones = np.ones(edges.size - 1)
        if self.settings["n_decay_veto"] == "off" or not (model.mass_MeV > 0 and model.mu_max > 0):
            return ones
        p, w = self._electron_mc(model.mass_MeV, edges)
        tot = w.sum(axis=1)
        if p.size == 0 or not np.any(tot > 0):
            return ones
        kept = w @ self.escape_probability(model.decay_length_cm(p))
        return np.where(tot > 0, kept / np.where(tot > 0, tot, 1.0), 1.0)

    def electron_counts(self, model: DipolePortal, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """Channel (a) counts per bin: ``sum_alpha mu_alpha^2 x signal_templates x electron_survival``."""
        tmpl = np.einsum("fb,f->b", self.signal_templates(model.mass_MeV, edges_MeV), model.mu_flavour**2)
        if not np.any(tmpl > 0):
            return tmpl
        return tmpl * self.electron_survival(model, edges_MeV)

    # -- the full signal -------------------------------------------------------------------------------------
    def signal_counts(self, model: DipolePortal, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """Dipole counts per bin with the full mu dependence: electron recoils + single photons.

        Electron recoils (:meth:`electron_counts`: ∝ mu^2 times the N-decay veto survival) plus single
        photons (:meth:`photon_counts`: the decay probability depends on mu through the lifetime). Zero
        when M_N is beyond the beam's reach for both channels (see :meth:`reach`).
        """
        return self.electron_counts(model, edges_MeV) + self.photon_counts(model, edges_MeV)

    def reach(self) -> dict[str, float]:
        """Largest M_N [MeV] each channel can produce with the beam's highest energy (threshold = E_max).

        Electron target ``E_thr = M + M^2/(2 m_e)``; nucleus (Si-28) likewise with m_A. Above the electron
        value the electron channel is exactly zero; the photon channel dies much earlier through the
        angular cut (``M ≲ sqrt(4 m_e E_N)``) and the form factor.
        """
        e_max = max(c.E_max_MeV for c in self.rates.source.components)
        m_si = min(n.mass_MeV for n in get_target(self.target).nuclei if n.Z == 14)
        return {
            "electron_MeV": M_E * (math.sqrt(1.0 + 2.0 * e_max / M_E) - 1.0),
            "nucleus_MeV": m_si * (math.sqrt(1.0 + 2.0 * e_max / m_si) - 1.0),
            "beam_E_max_MeV": e_max,
        }

    def expected_counts(
        self, model: DipolePortal, edges_MeV: ArrayLike | None = None
    ) -> dict[str, np.ndarray]:
        """Base-class counts, dipole split into ``dipole`` (total), ``dipole_electron``, ``dipole_photon``."""
        out = super().expected_counts(model, edges_MeV)
        photon = self.photon_counts(model, edges_MeV)
        out["dipole_electron"] = self.electron_counts(model, edges_MeV)
        out["dipole_photon"] = photon
        out["dipole"] = out["dipole_electron"] + photon
        return out

    # -- events ----------------------------------------------------------------------------------------------
    def generate(
        self,
        model: DipolePortal,
        n_events: int,
        seed: int | None = None,
        processes: tuple[str, ...] = ("dipole_e", "dipole_A", "sm_e"),
        weighted: bool = True,
        workers: int = 1,
        executor=None,
        progress=None,
    ) -> dict[str, np.ndarray]:
        """CHARM-II events with full kinematics, N flight and decay, photon and selection.

        One sampler, two modes (:mod:`nugen.engine`). The stages of an event: the scattering
        (importance sampling, :func:`nugen.beam_events.sample_scatterings`), the production vertex in
        the target, N's flight and decay (photon channel: the decay vertex in the fiducial region with
        its probability ``P_decay_fiducial``; electron recoils: the probability ``P_N_escape`` that N
        leaves undecayed), the photon of N -> nu gamma, the shower's smeared energy and the selection.

        * ``weighted=True`` (default): ``n_events`` events per process and beam component, in chunks of
          :data:`CHUNK_SIZE` events with spawned random streams (the same seed gives the same events).
          Weights are events for the calibrated exposure of this detector and model, so that summed
          ``weight`` reproduces :meth:`expected_counts` (``dipole_electron``, ``dipole_photon``,
          ``sm_nu``) within Monte Carlo errors.
        * ``weighted=False``: ``n_events`` *unweighted selected* events of all the processes together,
          each process in proportion to its expected selected count: the weighted events above are
          unweighted by accept/reject against a bound from a pilot sample
          (:func:`nugen.engine.unweight_weighted`; keep probability = weight / bound), so the photon
          events decay inside the fiducial region at the forced vertex ``decay_*_cm`` and every event
          passes the selection. ``weight`` is the same for every event (expected selected events /
          ``n_events``); the other columns are as in the weighted mode (without ``weight_production``).
          :attr:`last_unweighting` holds
          the rate estimate, its MC error and the accept/reject diagnostics.

        Both modes draw their pieces from their own spawned streams
        (:func:`nugen.engine.weighted_sample`, :func:`nugen.engine.unweight_weighted`), so ``workers``
        local processes or an ``executor`` (e.g. dask's) give the same events as one process.

        Parameters
        ----------
        model : DipolePortal
            The model (M_N, mu per flavour; the nu_mu coupling produces N).
        n_events : int
            Weighted: events per process and beam component; unweighted: events in all.
        seed : int, optional
            Entropy of the run (None: fresh entropy).
        processes : tuple of str
            Processes to sample (:data:`nugen.beam_events.BEAM_PROCESSES`).
        weighted : bool
            The mode (above).
        workers : int
            Local processes for the chunks or pieces.
        executor : concurrent.futures.Executor, optional
            Runs them instead of local processes.
        progress : callable, optional
            Unweighted: ``progress(k)`` after each piece of ``k`` events.

        Returns
        -------
        dict of str to numpy.ndarray
            One entry per column (units in the names): ``process`` (:data:`PROCESS_CODES`), ``component``
            (0 nu_mu, 1 nubar_mu), ``E_nu_MeV``, ``Er_keV``, ``recoil_{E,px,py,pz}_MeV``,
            ``N_{E,px,py,pz}_MeV`` (the outgoing neutrino for SM events), ``N_lambda_cm`` (lab decay length),
            ``prod_{x,y,z}_cm`` (production vertex, z from the calorimeter front: uniform over the target
            for the photon channel, over the fiducial region for electron recoils),
            ``decay_{x,y,z}_cm`` (photon channel: decay vertex forced inside the fiducial region; NaN where
            N is produced beyond its end), ``decay_free_z_cm`` (free exponential decay vertex),
            ``decays_in_fiducial`` (photon channel: whether the free vertex is inside),
            ``P_decay_fiducial`` (photon channel: analytic probability of decaying inside), ``P_N_escape``
            (electron recoils: probability that N leaves the calorimeter undecayed, the N-decay veto),
            ``gamma_{E,px,py,pz}_MeV``, ``gamma_cos_theta_star``, ``shower_E_MeV`` / ``shower_theta_rad`` /
            ``shower_Etheta2_MeV`` (true electron or photon), ``Eobs_keV`` (smeared shower energy),
            ``pass_selection`` (window and angular cut), ``selection_efficiency`` (setting
            ``photon_efficiency`` for photons, 1 for electrons), ``weight_production`` (events produced for
            the exposure at this mu; photon channel: in the whole target) and ``weight`` (=
            weight_production x pass_selection x selection_efficiency, times P_decay_fiducial for photons
            and P_N_escape for electron recoils when ``n_decay_veto`` is on).
            Reweighting to mu' at the same M_N: production x (mu'/mu)^2; P_decay_fiducial and P_N_escape
            recomputed with N_lambda_cm x (mu/mu')^2 (:func:`nugen.decays.decay_probability`,
            :func:`nugen.decays.undecayed_probability`).

        Raises
        ------
        InvalidParameterError
            If a process is unknown, or (unweighted) every selected weight is zero for this model.
        KinematicsError
            If no requested process can occur for this M_N (the message says why).
        """
        bad = [p for p in processes if p not in BEAM_PROCESSES]
        if bad:
            msg = f"unknown CHARM-II process(es) {bad!r}; known: {', '.join(BEAM_PROCESSES)}"
            raise InvalidParameterError(msg)
        channels = self._channels(model, processes)
        if weighted:
            cols, _ = weighted_sample(channels, int(n_events), seed, CHUNK_SIZE, workers, executor)
            return cols
        try:
            sample = unweight_weighted(
                channels, int(n_events), seed, workers=workers, executor=executor, progress=progress
            )
        except InvalidParameterError as exc:
            msg = f"no selected CHARM-II events for M_N = {model.mass_MeV:g} MeV and this model: {exc}"
            raise InvalidParameterError(msg) from None
        self.last_unweighting = sample
        cols = sample.columns
        del cols["weight_production"]  # a weighted-sample quantity; every event here weighs the same
        return cols

    def _channels(self, model, processes) -> list[WeightedChannel]:
        """One engine channel per (process, beam component) that this M_N allows (all stages of an event)."""
        probe = np.random.default_rng(0)  # kinematic reach only; the sample's streams are untouched
        channels, reasons = [], []
        for proc in processes:
            for comp in self.rates.source.components:
                if proc == "dipole_A" and not model.mass_MeV > 0:
                    reasons.append("photon channel needs M_N > 0")
                    continue
                try:
                    self._draw(model, proc, comp, 1, probe, require_events=False)
                except KinematicsError as exc:
                    reasons.append(str(exc))
                    continue

                # a partial of a bound method pickles (by the detector's name and settings), so the
                # channels travel to worker processes and dask workers
                draw = functools.partial(self._draw, model, proc, comp, require_events=False)
                channels.append(WeightedChannel(f"{proc} {comp.name}", draw, ("weight", "weight_production")))
        if not channels:
            raise self._no_events(model, processes, reasons)
        return channels

    def _draw(self, model, proc, comp, size, rng, require_events=True) -> dict[str, np.ndarray]:
        """``size`` weighted events of one process and beam component (all stages); weights sum to its rate.

        With ``require_events`` an all-zero batch raises :class:`KinematicsError`
        (:func:`nugen.beam_events.sample_scatterings`).
        """
        t_lo, t_hi = self.true_energy_range()
        window = {"T_floor_MeV": t_lo, "T_ceiling_MeV": t_hi} if proc != "dipole_A" else {}
        s = self.settings
        L = float(s["length_m"]) * 100.0
        geom = (float(s["fiducial_start_m"]) * 100.0, float(s["fiducial_end_m"]) * 100.0, L)
        glass = get_target(self.target)
        source = self.rates.source
        ev = sample_scatterings(
            source, comp, glass, proc, model.mass_MeV, size, rng, require_events=require_events, **window
        )
        mu2 = float(model.mu_flavour[_MU] ** 2)
        cols = self._event_columns(ev, proc, model, rng, self.exposure_t_yr, mu2, geom, source)
        cols.update(_particle_codes(ev, comp, glass))
        return cols

    def _no_events(self, model, processes, reasons) -> KinematicsError:
        M = model.mass_MeV
        reach = self.reach()
        limits = [
            reach["electron_MeV" if p == "dipole_e" else "nucleus_MeV"] for p in processes if p != "sm_e"
        ]
        if limits and M >= max(limits):
            why = (
                f"beyond the beam's reach (largest M_N with its {reach['beam_E_max_MeV']:g} MeV "
                f"neutrinos: {reach['electron_MeV']:.4g} MeV on electrons, "
                f"{reach['nucleus_MeV']:.4g} MeV on nuclei)"
            )
        else:
            why = "; ".join(dict.fromkeys(reasons))
        msg = f"no CHARM-II events of {', '.join(processes)} can be generated for M_N = {M:g} MeV: {why}"
        return KinematicsError(msg)

    def _event_columns(self, ev, proc, model, rng, exposure, mu2, geom, source) -> dict[str, np.ndarray]:
        z1, z2, L = geom
        n = len(ev)
        M = model.mass_MeV
        nan = np.full(n, np.nan)
        comp_index = [c.name for c in source.components].index(ev.component)
        # production vertex: uniform in the glass (transverse over a plate, longitudinal over the target)
        x = (2.0 * rng.random(n) - 1.0) * PLATE_HALF_WIDTH_CM
        y = (2.0 * rng.random(n) - 1.0) * PLATE_HALF_WIDTH_CM
        # photon channel: N produced anywhere in the target; electron recoils: vertex in the fiducial region
        # (where the exposure is calibrated)
        z = rng.random(n) * L if proc == "dipole_A" else z1 + rng.random(n) * (z2 - z1)
        pN = ev.p_out
        p_abs = np.linalg.norm(pN[:, 1:], axis=1)
        cols: dict[str, np.ndarray] = {}
        if proc == "dipole_A":
            lam = model.decay_length_cm(p_abs)
            nz = pN[:, 3] / p_abs
            L1 = np.maximum(z1 - z, 0.0) / nz
            L2 = np.maximum(z2 - z, 0.0) / nz
            h = helicity_factor(model.nature, -1.0 if ev.antineutrino else 1.0, ev.antineutrino)
            # the decay stage of every sample (nugen.decays.decay_in_flight): a vertex forced into the
            # fiducial window (NaN where N is produced beyond its end) with its probability, the free one
            stage = decay_in_flight(tuple(pN.T), M, h, lam, rng, window=(L1, L2))
            P = stage.window_probability
            dec = np.column_stack([x, y, z]) + np.column_stack(stage.forced_vertex)
            z_free = z + stage.free_vertex[2]
            k, cstar = np.column_stack(stage.photon), stage.cos_theta_star
            shower = k
            w_prod = ev.weight * mu2 * exposure * L / (z2 - z1)
            cols.update(
                N_lambda_cm=lam, decay_x_cm=dec[:, 0], decay_y_cm=dec[:, 1], decay_z_cm=dec[:, 2],
                decay_free_z_cm=z_free, decays_in_fiducial=(z_free >= z1) & (z_free <= z2),
                P_decay_fiducial=P, P_N_escape=nan, gamma_E_MeV=k[:, 0], gamma_px_MeV=k[:, 1],
                gamma_py_MeV=k[:, 2], gamma_pz_MeV=k[:, 3], gamma_cos_theta_star=cstar,
            )  # fmt: skip
        else:
            lam = model.decay_length_cm(p_abs) if proc == "dipole_e" else np.full(n, np.inf)
            shower = ev.p_recoil
            w_prod = ev.weight * exposure * (mu2 if proc == "dipole_e" else 1.0)
            escape = undecayed_probability(np.maximum(L - z, 0.0) * p_abs / pN[:, 3], lam)
            escape = np.where(proc == "dipole_e", escape, 1.0)
            z_free = z + sample_decay_distance(lam, rng) * pN[:, 3] / p_abs
            cols.update(
                N_lambda_cm=lam, decay_x_cm=nan, decay_y_cm=nan, decay_z_cm=nan,
                decay_free_z_cm=np.where(proc == "dipole_e", z_free, np.nan),
                decays_in_fiducial=np.zeros(n, dtype=bool), P_decay_fiducial=nan, P_N_escape=escape,
                gamma_E_MeV=nan, gamma_px_MeV=nan, gamma_py_MeV=nan, gamma_pz_MeV=nan,
                gamma_cos_theta_star=nan,
            )  # fmt: skip
        theta = np.arctan2(np.hypot(shower[:, 1], shower[:, 2]), shower[:, 3])
        e_sh = shower[:, 0]
        e_obs, eff = self.smear(e_sh, rng)
        passed = (eff > 0) & (e_sh * theta**2 < 2.0 * M_E)
        eff = float(self.settings["photon_efficiency"]) if proc == "dipole_A" else 1.0
        if proc == "dipole_A":
            weight = w_prod * passed * eff * cols["P_decay_fiducial"]
        elif proc == "dipole_e" and self.settings["n_decay_veto"] == "on":
            weight = w_prod * passed * cols["P_N_escape"]
        else:
            weight = w_prod * passed
        cols.update(
            process=np.full(n, PROCESS_CODES[proc], dtype=np.int8),
            component=np.full(n, comp_index, dtype=np.int8),
            E_nu_MeV=ev.E_nu, Er_keV=ev.T * 1e3,
            recoil_E_MeV=ev.p_recoil[:, 0], recoil_px_MeV=ev.p_recoil[:, 1], recoil_py_MeV=ev.p_recoil[:, 2],
            recoil_pz_MeV=ev.p_recoil[:, 3], N_E_MeV=pN[:, 0], N_px_MeV=pN[:, 1], N_py_MeV=pN[:, 2],
            N_pz_MeV=pN[:, 3], prod_x_cm=x, prod_y_cm=y, prod_z_cm=z, shower_E_MeV=e_sh,
            shower_theta_rad=theta, shower_Etheta2_MeV=e_sh * theta**2, Eobs_keV=e_obs * 1e3,
            pass_selection=passed, selection_efficiency=np.full(n, eff), weight_production=w_prod,
            weight=weight,
        )  # fmt: skip
        return cols

    # -- presentation ----------------------------------------------------------------------------------------
    def spectrum(self, model: DipolePortal, edges_MeV: ArrayLike | None = None) -> dict:
        """CLI.md spectrum JSON plus ``calibration`` and the beam mode."""
        out = super().spectrum(model, edges_MeV)
        out["beam"] = self.beam
        out["calibration"] = self.calibration()
        return out

    def _edges(self, edges_MeV: ArrayLike | None) -> np.ndarray:
        return self.analysis_edges_MeV() if edges_MeV is None else check_edges(edges_MeV)
