"""LSND: the nu_e e elastic-scattering measurement (Auerbach et al., PRD 63 (2001) 112001), dipole recast.

Signal: a neutrino of the LANSCE beam stop (pi+ and mu+ decay at rest, :mod:`nugen.sources.dar`) up-scatters
in the detector's mineral oil, ``nu A -> N A`` coherently on C12 / C13 / H (the recoiling nucleus is
invisible) or ``nu e -> N e`` on electrons, and N decays to ``nu gamma`` inside the fiducial volume: a
single forward shower that LSND's nu_e e selection cannot tell from a recoil electron. The dipole couples
nu_e through mu_e (the nu_e Michel flux) and nu_mu / nubar_mu through mu_mu (the 29.79 MeV line and the
nubar_mu Michel flux); both are included with their own coupling, so ``--flavour e`` (the default of
``nugen limit --detector lsnd``, :attr:`LSND.default_flavour`) constrains mu_e alone and ``--flavour mu``
or ``universal`` adds the muon-flavour fluxes. Every input is in ``detectors/data/lsnd_params.csv`` with its
source and status (V = quoted from an abstract, U = UNVERIFIED, D = derived); ``docs/card_notes/lsnd.md``
measures the effect of every U row on the limit.

* **Data** (hep-ex/0101039, abstract): the measured cross section ``sigma = (10.1 +- 1.1 +- 1.0) x E_nu(MeV)
  x 1e-45 cm^2`` of ``n_events`` nu_e e events (191, UNVERIFIED: from the task brief; the body text was not
  readable here) in a visible-energy window (18-50 MeV, U) with a forward cut (cos theta > 0.9, U). With the
  default Gaussian statistic ``n_events`` cancels exactly: the yield, its errors, ``Y_SM`` and the signal
  all scale with it, so the limit depends on the measured cross section and its relative errors only.
* **Normalisation through the SM nu_e e yield** (flux, fiducial mass and electron efficiency cancel):
  LSND's SM expectation is ``Y_SM = n_events x sigma_SM / sigma_meas`` (:attr:`LSND.sm_events`) with nugen's
  tree-level ``sigma_SM`` (:meth:`LSND.sm_sigma_over_E`: :func:`nugen.xsec.sm_electron_dsigma_dT` averaged
  over the Michel nu_e spectrum). A dipole photon adds
  ``s = photon_efficiency x Y_SM x R(mu)`` events, with ``R`` = (accepted single photons) / (accepted SM
  nu_e e electrons), both per tonne of oil per stopped pi+ (:meth:`LSND.signal_counts`); the accepted SM rate
  is the same Monte Carlo with the SM cross section and the electron cuts (:meth:`LSND.sm_accepted_rate`).
  ``photon_efficiency`` (default 1, U) is the efficiency of a photon shower relative to an electron one (in
  oil, X0 ~ 50 cm, both are showers of the same energy).
* **Production and decay**: :func:`nugen.beam_events.sample_scatterings` (fixed seed, as NOMAD / CHARM-II)
  per component and process; the nu_mu line is sampled through a delta-function pdf (:class:`_LinePdf`).
  Photon four-momenta from :func:`nugen.decays.photon_four_momenta` (Dirac N from nu: ``1 - cos theta*``;
  Majorana isotropic); accepted if ``e_min <= E_gamma <= e_max`` and ``cos(theta_gamma) >= cos_min``
  relative to the neutrino direction (no energy or angle smearing). N's lab decay length from
  :meth:`nugen.model.DipolePortal.decay_length_cm`; the decay probability inside the fiducial volume is
  :func:`nugen.decays.path_averaged_decay_probability` over a path of ``decay_path_m`` (3.76 m, the mean
  chord 4V/S of the assumed 7.6 m x 5.0 m fiducial cylinder; U), production uniform along it. So
  ``s ∝ mu^2`` for prompt decays and ``∝ mu^4`` for long-lived N.
* **Kinematic reach**: coherent up-scattering on carbon needs ``E_nu >= M + M^2 / (2 m_A)``; the DAR
  spectrum ends at 52.83 MeV (nu_e, nubar_mu) and 29.79 MeV (nu_mu), so the signal vanishes above
  M_N = 52.71 MeV (``mu_e``; :meth:`LSND.kinematic_reach_MeV`) and the limit is ``null`` with a reason.

Not modelled: N produced outside the fiducial volume (shielding, veto, the rest of the tank) that decays
inside it; the recoil electron of ``nu e -> N e`` unless ``recoil_electrons=on`` (then it is signal by
itself, the magnetic-moment signal; its energy is never added to the photon's); energy and angle resolution;
LSND's other cuts (timing, PID, veto); photon conversions near the wall. The limit is :mod:`fits.lsnd_limit`
(registered for "lsnd" in ``fits.limits.LIMIT_METHODS``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.typing import ArrayLike

from detectors import data
from detectors.base import (
    Background,
    CountingSearch,
    Setting,
    parse_choice,
    parse_int_range,
    parse_nonnegative,
    parse_positive,
)
from nugen.beam_events import sample_scatterings
from nugen.decays import helicity_factor, path_averaged_decay_probability, photon_four_momenta
from nugen.errors import InvalidParameterError, KinematicsError
from nugen.model import DipolePortal
from nugen.sources import get_source
from nugen.sources.base import SourceComponent
from nugen.targets import get_target
from nugen.xsec import sm_electron_dsigma_dT
from nugen.xsec.form_factors import FORM_FACTOR_MODELS

__all__ = ["LSND", "STATISTICS", "params"]

#: Statistics of :mod:`fits.lsnd_limit`: Gaussian on the measured yield, or Poisson count over the SM.
STATISTICS = ("gaussian", "poisson")
_FLAVOUR_INDEX = {"e": 0, "mu": 1, "tau": 2}


def params() -> dict[str, float]:
    """The numeric rows of ``detectors/data/lsnd_params.csv`` as ``{quantity: value}``."""
    return data.parameters("lsnd_params.csv", "quantity")


def _p(key: str) -> float:
    return data.parameter("lsnd_params.csv", key, "quantity")


@dataclasses.dataclass(frozen=True)
class _LinePdf:
    """A monochromatic line at ``E_line`` [MeV] written as a (degenerate) pdf with ``cdf`` and ``ppf``.

    Lets :func:`nugen.beam_events.sample_scatterings` draw up-scatterings of a line: every energy is
    ``E_line`` and the fraction of the flux above any threshold below ``E_line`` is 1.
    """

    E_line: float

    def __call__(self, E_MeV: ArrayLike) -> np.ndarray:
        """Zero (the line has no continuum density)."""
        return np.zeros_like(np.asarray(E_MeV, dtype=float))

    def cdf(self, E_MeV: ArrayLike) -> np.ndarray:
        """Step function at ``E_line``."""
        return np.where(np.asarray(E_MeV, dtype=float) >= self.E_line, 1.0, 0.0)

    def ppf(self, u: ArrayLike) -> np.ndarray:
        """``E_line`` for every ``u``."""
        return np.full_like(np.asarray(u, dtype=float), self.E_line)


def _samplable(comp: SourceComponent) -> SourceComponent:
    """The component itself, or for a line an equivalent one with a :class:`_LinePdf`."""
    if not comp.is_line:
        return comp
    E = float(comp.line_energy_MeV)
    return dataclasses.replace(comp, pdf=_LinePdf(E), E_min_MeV=0.0, E_max_MeV=E, line_energy_MeV=None)


def _parse_cos(value: object) -> float:
    """A cosine in [-1, 1) for setting ``cos_min``."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        v = math.nan
    if not -1.0 <= v < 1.0:
        msg = f"setting cos_min must be in [-1, 1), got {value!r}"
        raise InvalidParameterError(msg)
    return v


class LSND(CountingSearch):
    """LSND's nu_e e elastic-scattering measurement with the dipole single-photon signal (module docstring).

    Parameters
    ----------
    **settings
        See :attr:`SETTINGS` (``nugen info lsnd``).
    """

    name = "lsnd"
    title = "LSND nu_e e elastic scattering (LANSCE decay at rest), dipole nu A -> N A, N -> nu gamma"
    citation = (
        "L. B. Auerbach et al. (LSND), PRD 63 (2001) 112001 [hep-ex/0101039]; recast following "
        "G. Magill et al., PRD 98 (2018) 115015 [arXiv:1803.03262]"
    )
    target = "mineral_oil"
    source = "lsnd_dar"
    scatterer = "nucleus"
    energy_unit = "MeV"
    exposure_unit = "pi+ DAR"
    n_sub = 1
    sm_rel_uncertainty = None
    #: Flavour pattern of ``nugen limit --detector lsnd`` without ``--flavour`` (the nu_e measurement).
    default_flavour = "e"
    #: Confidence level of ``nugen limit --detector lsnd`` without ``--cl`` (the published curve's 95 %).
    default_cl = 0.95
    SETTINGS = (
        Setting("n_events", _p("n_events"), "events",
                "nu_e e events of the measurement (UNVERIFIED: task brief); cancels in the gaussian limit",
                parse_positive("n_events")),
        Setting("statistic", "gaussian", "",
                "gaussian: the measured yield with the published stat (+) syst error; poisson: n_events "
                "observed over Y_SM with the syst error as a Gaussian-constrained background",
                parse_choice("statistic", STATISTICS)),
        Setting("e_min_MeV", _p("e_min"), "MeV", "lower edge of the visible-energy window (UNVERIFIED)",
                parse_positive("e_min_MeV")),
        Setting("e_max_MeV", _p("e_max"), "MeV", "upper edge of the visible-energy window (UNVERIFIED)",
                parse_positive("e_max_MeV")),
        Setting("cos_min", _p("cos_min"), "",
                "forward cut: cos of the shower angle to the neutrino direction (UNVERIFIED; -1 = none)",
                _parse_cos),
        Setting("decay_path_m", _p("decay_path"), "m",
                "length of the production and decay region (UNVERIFIED: mean chord of a 7.6 m x 5.0 m "
                "fiducial cylinder)", parse_positive("decay_path_m")),
        Setting("photon_efficiency", 1.0, "",
                "efficiency of a photon shower relative to an electron shower of equal energy (UNVERIFIED)",
                parse_nonnegative("photon_efficiency")),
        Setting("electron_channel", "on", "", "include nu e -> N e up-scattering (on / off)",
                parse_choice("electron_channel", ("on", "off"))),
        Setting("recoil_electrons", "off", "",
                "on: the recoil electron of nu e -> N e that passes the cuts is signal too (the magnetic-"
                "moment signal, dominant at small M_N); off: single photons only, as the published recast",
                parse_choice("recoil_electrons", ("on", "off"))),
        Setting("form_factor", "helm", "",
                "nuclear form factor of the coherent cross section: helm or fourier_bessel",
                parse_choice("form_factor", FORM_FACTOR_MODELS)),
        Setting("n_mc", 40_000, "events", "Monte Carlo events per beam component and process",
                parse_int_range("n_mc", 1000, 10_000_000)),
        Setting("mc_seed", 20_010_112, "", "seed of the Monte Carlo (same for every M_N)",
                parse_int_range("mc_seed", 0, 2**63 - 1)),
    )  # fmt: skip

    def __init__(self, **settings: object):
        super().__init__(**settings)
        s = self.settings
        if not float(s["e_max_MeV"]) > float(s["e_min_MeV"]):
            msg = f"setting e_max_MeV ({s['e_max_MeV']}) must exceed e_min_MeV ({s['e_min_MeV']})"
            raise InvalidParameterError(msg)
        self._source = get_source("lsnd_dar", distance_m=_p("distance"))
        self._material = get_target("mineral_oil")
        self._mc_cache: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._e_cache: dict[float, np.ndarray] = {}
        self._sm_acc: float | None = None

    # -- the measurement -----------------------------------------------------------------------------------
    @property
    def measured_events(self) -> float:
        """The nu_e e yield of the measurement [events] (setting ``n_events``)."""
        return float(self.settings["n_events"])

    @property
    def sigma_ratio(self) -> float:
        """Measured over nugen's SM cross section: ``sigma_meas / sigma_SM``."""
        return _p("sigma_meas") * 1e-45 / self.sm_sigma_over_E()

    @property
    def sm_events(self) -> float:
        """LSND's SM nu_e e expectation ``Y_SM = n_events x sigma_SM / sigma_meas`` [events]."""
        return self.measured_events / self.sigma_ratio

    @property
    def stat_error_events(self) -> float:
        """Statistical error of the measured yield [events]: ``n_events x 1.1 / 10.1``."""
        return self.measured_events * _p("sigma_meas_stat") / _p("sigma_meas")

    @property
    def syst_error_events(self) -> float:
        """Systematic error of the measured yield [events]: ``n_events x 1.0 / 10.1``."""
        return self.measured_events * _p("sigma_meas_syst") / _p("sigma_meas")

    @property
    def total_error_events(self) -> float:
        """Statistical (+) systematic error in quadrature [events]."""
        return math.hypot(self.stat_error_events, self.syst_error_events)

    @property
    def statistic(self) -> str:
        """``"gaussian"`` or ``"poisson"`` (setting ``statistic``)."""
        return str(self.settings["statistic"])

    def observed(self) -> np.ndarray:
        """The measured nu_e e yield (one bin)."""
        return np.array([self.measured_events])

    def backgrounds(self) -> list[Background]:
        """The SM nu_e e expectation ``Y_SM`` with the systematic error of the measurement."""
        doc = "LSND SM nu_e e expectation n_events x sigma_SM / sigma_meas (hep-ex/0101039)"
        rel = self.syst_error_events / self.measured_events
        return [Background("sm_nue_e", np.array([self.sm_events]), rel, doc)]

    # -- detector interface (one bin) ----------------------------------------------------------------------
    @property
    def exposure_t_yr(self) -> float:
        """Stopped pi+ of the run (row ``n_pi_dar``; unit ``pi+ DAR``; cancels in the limit)."""
        return _p("n_pi_dar")

    def analysis_edges_MeV(self) -> np.ndarray:
        """The visible-energy window [MeV]."""
        return np.array([float(self.settings["e_min_MeV"]), float(self.settings["e_max_MeV"])])

    def resolution_MeV(self, E_MeV: ArrayLike) -> np.ndarray:
        """Not used (no smearing): 1 keV."""
        return np.full_like(np.asarray(E_MeV, dtype=float), 1e-3)

    def efficiency(self, E_obs_MeV: ArrayLike) -> np.ndarray:
        """Not used (efficiencies cancel in the normalisation to the SM yield): 1."""
        return np.ones_like(np.asarray(E_obs_MeV, dtype=float))

    # -- SM reference ------------------------------------------------------------------------------------
    def sm_sigma_over_E(self) -> float:
        """The SM nu_e e total cross section over E [cm^2/MeV], averaged over the nu_e Michel flux.

        ``<sigma_SM(E)> / <E>`` with :func:`nugen.xsec.sm_electron_dsigma_dT` (tree level, nugen's
        sin^2 theta_W) integrated over the full recoil range by 64 x 64 Gauss-Legendre nodes in (E, T):
        the convention of LSND's ``sigma = const x E_nu``. ~9.5e-45 cm^2/MeV.
        """
        comp = self._source.component("nue")
        x, wx = np.polynomial.legendre.leggauss(64)
        E_max = comp.E_max_MeV
        E = 0.5 * E_max * (x + 1.0)
        wE = 0.5 * E_max * wx
        from nugen.constants import M_E

        t_max = 2.0 * E * E / (2.0 * E + M_E)
        T = 0.5 * t_max[:, None] * (x[None, :] + 1.0)
        wT = 0.5 * t_max[:, None] * wx[None, :]
        sigma = np.sum(wT * sm_electron_dsigma_dT(E[:, None], T, "e", False), axis=1)
        f = comp.pdf(E)
        return float(np.sum(wE * f * sigma) / np.sum(wE * f * E))

    def sm_accepted_rate(self) -> float:
        """SM nu_e e electrons in the energy window and forward cut [per tonne per stopped pi+].

        :func:`nugen.beam_events.sample_scatterings` (process ``sm_e``, recoil kinetic energy restricted to
        the window) times the fraction with ``cos theta_e >= cos_min`` (cached).
        """
        if self._sm_acc is None:
            s = self.settings
            rng = np.random.default_rng(np.random.SeedSequence([int(s["mc_seed"]), 1]))
            ev = sample_scatterings(
                self._source, "nue", self._material, "sm_e", 0.0, int(s["n_mc"]), rng,
                T_floor_MeV=float(s["e_min_MeV"]), T_ceiling_MeV=float(s["e_max_MeV"]),
            )  # fmt: skip
            p = ev.p_recoil
            cos_e = p[:, 3] / np.maximum(np.linalg.norm(p[:, 1:], axis=1), 1e-300)
            self._sm_acc = float(np.sum(ev.weight * (cos_e >= float(s["cos_min"]))))
        return self._sm_acc

    @property
    def implied_efficiency(self) -> float:
        """Electron efficiency implied by the inputs: ``Y_SM / (n_pi_dar x SM rate x detector_mass)``.

        Not used by the limit (it cancels); a consistency check of the UNVERIFIED flux, mass and event count
        (0.225: the GLoBES file of the nu_e C12 analysis uses 0.232).
        """
        return self.sm_events / (self.exposure_t_yr * self.sm_accepted_rate() * _p("detector_mass"))

    # -- signal --------------------------------------------------------------------------------------------
    @property
    def material(self):
        """The mineral-oil target (:func:`nugen.targets.get_target`)."""
        return self._material

    @property
    def processes(self) -> tuple[str, ...]:
        """Up-scattering processes included: coherent on nuclei, and on electrons unless switched off."""
        return ("dipole_A", "dipole_e") if self.settings["electron_channel"] == "on" else ("dipole_A",)

    def kinematic_reach_MeV(self, flavour: str = "e") -> float:
        """Largest M_N [MeV] any ``flavour`` neutrino of the source can produce (on the heaviest nucleus).

        Solves ``E_max = M + M^2 / (2 m_A)``: ``M = m_A (sqrt(1 + 2 E_max / m_A) - 1)`` with ``E_max`` the
        largest energy of the flavour's components (52.83 MeV for e, also for mu through nubar_mu).
        """
        m_A = max(n.mass_MeV for n in self._material.nuclei)
        comps = [c for c in self._source.components if c.flavour == flavour]
        if not comps:
            return 0.0
        E = max(c.E_max_MeV for c in comps)
        return float(m_A * (math.sqrt(1.0 + 2.0 * E / m_A) - 1.0))

    def _mc(self, M_N: float, nature: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """|p_N| [MeV], accepted weight [events / (t pi+ mu_B^2)] and flavour index per MC event (cached)."""
        key = (float(M_N), nature)
        if key in self._mc_cache:
            return self._mc_cache[key]
        s = self.settings
        lo, hi, cmin = float(s["e_min_MeV"]), float(s["e_max_MeV"]), float(s["cos_min"])
        root = np.random.SeedSequence(int(s["mc_seed"]))
        jobs = [(c, p) for c in self._source.components for p in self.processes]
        p_all, w_all, f_all = [np.zeros(0)], [np.zeros(0)], [np.zeros(0, dtype=int)]
        for (comp, proc), seq in zip(jobs, root.spawn(len(jobs)), strict=True):
            if not M_N > 0:
                continue
            rng = np.random.default_rng(seq)
            try:
                ev = sample_scatterings(
                    self._source, _samplable(comp), self._material, proc, float(M_N), int(s["n_mc"]), rng,
                    form_factor=str(s["form_factor"]),
                )  # fmt: skip
            except KinematicsError:
                continue
            h = helicity_factor(nature, -1.0 if comp.antineutrino else 1.0, comp.antineutrino)
            k = photon_four_momenta(ev.p_out, float(M_N), h, rng)
            cos_g = k[:, 3] / np.maximum(k[:, 0], 1e-300)
            ok = (k[:, 0] >= lo) & (k[:, 0] <= hi) & (cos_g >= cmin)
            if proc == "dipole_e" and self.counts_recoil_electrons:
                ok &= ~self._electron_accepted(ev.p_recoil)  # counted by electron_rate
            w = ev.weight * ok
            keep = w > 0
            p_all.append(np.linalg.norm(ev.p_out[keep, 1:], axis=1))
            w_all.append(w[keep])
            f_all.append(np.full(int(keep.sum()), _FLAVOUR_INDEX[comp.flavour]))
        out = (np.concatenate(p_all), np.concatenate(w_all), np.concatenate(f_all))
        if len(self._mc_cache) > 64:
            self._mc_cache.clear()
        self._mc_cache[key] = out
        return out

    @property
    def counts_recoil_electrons(self) -> bool:
        """Whether accepted recoil electrons of ``nu e -> N e`` are signal (setting ``recoil_electrons``)."""
        return self.settings["recoil_electrons"] == "on" and "dipole_e" in self.processes

    def _electron_accepted(self, p_recoil: np.ndarray) -> np.ndarray:
        """Recoil electrons (four-momenta [MeV]) inside the energy window and the forward cut."""
        s = self.settings
        from nugen.constants import M_E

        T = p_recoil[:, 0] - M_E
        cos_e = p_recoil[:, 3] / np.maximum(np.linalg.norm(p_recoil[:, 1:], axis=1), 1e-300)
        return (T >= float(s["e_min_MeV"])) & (T <= float(s["e_max_MeV"])) & (cos_e >= float(s["cos_min"]))

    def _electron_weights(self, M_N: float) -> np.ndarray:
        """Accepted recoil electrons of ``nu e -> N e`` per flavour e, mu, tau [per t pi+ mu_B^2] (cached).

        :func:`nugen.beam_events.sample_scatterings` with the recoil kinetic energy restricted to the window
        (so ``M_N = 0`` is allowed), then the forward cut; whether N decays does not matter.
        """
        key = float(M_N)
        if key not in self._e_cache:
            s = self.settings
            out = np.zeros(3)
            comps = self._source.components
            for comp, seq in zip(comps, np.random.SeedSequence([int(s["mc_seed"]), 2]).spawn(len(comps)),
                                 strict=True):  # fmt: skip
                try:
                    ev = sample_scatterings(
                        self._source, _samplable(comp), self._material, "dipole_e", key, int(s["n_mc"]),
                        np.random.default_rng(seq), T_floor_MeV=float(s["e_min_MeV"]),
                        T_ceiling_MeV=float(s["e_max_MeV"]),
                    )  # fmt: skip
                except KinematicsError:
                    continue
                out[_FLAVOUR_INDEX[comp.flavour]] += float(
                    np.sum(ev.weight * self._electron_accepted(ev.p_recoil))
                )
            if len(self._e_cache) > 64:
                self._e_cache.clear()
            self._e_cache[key] = out
        return self._e_cache[key]

    def electron_rate(self, model: DipolePortal) -> float:
        """Accepted recoil electrons of dipole ``nu e -> N e`` [per tonne per stopped pi+] (0 unless on).

        ``sum_alpha mu_alpha^2 W_alpha`` with ``W`` from :meth:`_electron_weights`. At ``M_N -> 0`` this is
        the neutrino magnetic-moment signal ``dsigma/dT = pi alpha^2 mu^2 / m_e^2 (1/T - 1/E)`` (Vogel and
        Engel, PRD 39 (1989) 3378) that LSND's magnetic-moment limit (hep-ex/0101039) is built on.
        """
        if not (self.counts_recoil_electrons and model.mu_max > 0):
            return 0.0
        mu2 = np.asarray(model.mu_flavour, dtype=float) ** 2
        return float(mu2 @ self._electron_weights(model.mass_MeV))

    def photon_rate(self, model: DipolePortal) -> float:
        """Accepted single photons from N decays in the fiducial volume [per tonne per stopped pi+].

        ``sum_k mu_{alpha_k}^2 w_k Pbar(lambda_k)``: w_k the accepted production weights (per mu_B^2),
        alpha_k the flavour of event k's neutrino, ``Pbar``
        :func:`nugen.decays.path_averaged_decay_probability` over ``[0, decay_path]`` with
        ``lambda_k = (p_k / M) c tau(model)``.
        """
        if not (model.mass_MeV > 0 and model.mu_max > 0):
            return 0.0
        p, w, f = self._mc(model.mass_MeV, model.nature)
        if p.size == 0:
            return 0.0
        L = float(self.settings["decay_path_m"]) * 100.0
        pbar = path_averaged_decay_probability(0.0, L, L, model.decay_length_cm(p))
        mu2 = np.asarray(model.mu_flavour, dtype=float)[f] ** 2
        return float(np.sum(mu2 * w * pbar))

    def signal_counts(self, model: DipolePortal, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """Dipole events added to the measured yield [events].

        ``Y_SM (photon_efficiency photon_rate + electron_rate) / SM rate``: single photons, plus the recoil
        electrons of ``nu e -> N e`` when ``recoil_electrons=on`` (an event whose electron is accepted is
        counted once, as an electron; its photon's energy is not added).
        """
        self._edges(edges_MeV)
        eff = float(self.settings["photon_efficiency"])
        rate = (eff * self.photon_rate(model) if eff > 0 else 0.0) + self.electron_rate(model)
        return np.array([self.sm_events * rate / self.sm_accepted_rate()])
