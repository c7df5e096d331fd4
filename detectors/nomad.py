"""NOMAD: the single-photon search (Kullenberg et al., PLB 706 (2012) 268) recast for the dipole portal.

Signal: nu_mu A -> N A coherent (Primakoff-like) up-scattering on the nuclei of NOMAD's drift-chamber target
(the recoiling nucleus is invisible) followed by N -> nu gamma inside the fiducial volume: a single photon,
which NOMAD identifies through its conversion to e+e- in the active target (0.4 T field).
Every input is in ``detectors/data/nomad_params.csv`` with its source and status (V = quoted from an abstract,
U = UNVERIFIED, D = derived); ``docs/card_notes/nomad.md`` measures the effect of every U row on the limit.

* **Data** (arXiv:1111.3713, abstract). Two selections, one Poisson bin each (setting ``selection``):
  ``all`` -- 155 observed, background 129.2 +- 8.5 (stat) +- 3.3 (syst), limit < 4.0e-4 single-photon events
  per nu_mu CC event; ``collinear`` (photon approximately collinear with the neutrino) -- 78 observed,
  76.6 +- 4.9 +- 1.9, < 1.6e-4 per CC event. The background is Gaussian-constrained with stat (+) syst in
  quadrature (:meth:`NOMAD.backgrounds`). Default ``all``: it makes no assumption about the collinearity cut,
  whose value and efficiency for dipole photons we do not know (dipole photons have
  ``theta_gamma ~ M_N / E_N``, so they would mostly pass it for M_N below ~1 GeV: the collinear variant is the
  more aggressive reading).
* **Normalisation through the CC count** (the POT and the absolute flux are not used):
  ``R(mu) = photons per nu_mu CC = sum_A n_A <sigma_A(E) Pbar(E)>_flux / (n_nucleon <sigma_CC(E)>_flux)``
  with ``sigma_CC = 0.677e-38 cm^2/GeV x E`` per nucleon (PDG, isoscalar, UNVERIFIED here) over the CC
  sample's range 2.5-300 GeV (arXiv:0910.0062), ``n_A``, ``n_nucleon`` per tonne of the target (the mass
  cancels).
  :meth:`NOMAD.photons_per_cc`.
* **Flux** (UNVERIFIED proxy): NOMAD ran in the CERN SPS West Area Neutrino Facility beam (450 GeV protons)
  like CHARM-II; nugen ships only the CHARM-II flux (:class:`nugen.sources.beams.CHARM2Beam`), whose
  neutrino-mode nu_mu component (<E> = 24.85 GeV; NOMAD quotes ~25 GeV, or 24 GeV in the drift-chamber paper)
  is used as the shape. Setting ``flux_energy_scale`` stretches its energy axis (variant).
* **Target**: the drift-chamber target taken as carbon (C12; Petti, hep-ex/0602022: cross sections "on carbon
  target"), built here from :class:`nugen.targets.Material` / :class:`nugen.targets.Nucleus`; setting
  ``oxygen_mass_fraction`` replaces part of it with O16 (composition UNVERIFIED; the coherent rate per nucleon
  goes as Z^2/A: 3.0 for C, 4.0 for O).
* **Cross section and decay**: nugen's coherent dipole cross section with the Helm form factor (setting
  ``form_factor``: or the measured Fourier-Bessel charge densities), sampled with
  :func:`nugen.beam_events.sample_scatterings` (fixed seed, as CHARM-II's photon channel); N's lab decay
  length ``beta gamma c tau`` from :meth:`nugen.model.DipolePortal.decay_length_cm`; the decay probability
  inside the fiducial length averaged over production points uniform along it,
  :func:`nugen.decays.path_averaged_decay_probability` (fiducial length 4.0 m, UNVERIFIED: 2.7 t / 0.1 g/cm^3
  over a 2.6 m x 2.6 m square). ``R ∝ mu^2`` for prompt decays and ``∝ mu^4`` for long-lived N.
* **Efficiency** (calibration): the published per-CC limits are corrected for the selection efficiency of
  coherent-pi0-like photons, which is not public. The selected signal is
  ``s = (s90 / limit_per_cc) x photon_efficiency x R(mu)``, where ``s90`` is nugen's own 90 % CL upper limit
  on signal events of the bin (row ``s90_*``, derived by :func:`fits.nomad_limit.signal_limit_events`), so
  that nugen's statistic on the published bin reproduces the published per-CC limit exactly;
  ``s90 / (limit_per_cc x N_CC)`` is the implied efficiency (0.080 all, 0.065 collinear, with N_CC = 1.44e6,
  UNVERIFIED). Setting ``photon_efficiency`` is the efficiency of dipole photons *relative to* coherent-pi0
  photons, default 1 (caveat: a photon from an N decaying near the downstream end has less target to convert
  in than one from a vertex in the target, and the dipole photon spectrum is harder).

* **Incoherent nucleon channel** (settings ``incoherent`` and ``pauli_blocking``, default off): adds
  nu_mu h -> N h on the bound nucleons of the target (:func:`nugen.xsec.nucleon.dipole_incoherent_dsigma_dT`:
  free nucleons at rest with F1 and F2; ``protons`` = DarkNews' "p-el", ``nucleons`` with the neutrons
  too; ``pauli_blocking=fermi_gas`` multiplies by the Fermi-gas suppression, k_F = 221 MeV UNVERIFIED),
  sampled by ``sample_scatterings(..., "dipole_N")`` and added to the coherent sample. Off by default:
  its effect on the limit and the DarkNews comparison are in docs/card_notes/nomad.md and
  docs/card_notes/nucleon_channel.md.

Not modelled: N produced upstream of the fiducial volume (magnet, front material) or decaying downstream of
it, the nubar_mu (2.5 %) component, the photon energy/angle cuts of the selection beyond the calibrated
efficiency, nuclear effects of the incoherent channel beyond the optional Fermi-gas suppression. The limit
is ``fits.nomad_limit`` (registered for "nomad" in ``fits.limits.LIMIT_METHODS``).
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
    parse_fraction,
    parse_int_range,
    parse_nonnegative,
    parse_positive,
)
from nugen.beam_events import sample_scatterings
from nugen.constants import AMU_MEV, N_A
from nugen.decays import path_averaged_decay_probability
from nugen.errors import InvalidParameterError, KinematicsError
from nugen.model import DipolePortal
from nugen.sources import get_source
from nugen.sources.beams import PiecewiseLinearPdf
from nugen.targets import GRAMS_PER_TONNE, Material, Nucleus
from nugen.xsec.form_factors import FORM_FACTOR_MODELS
from nugen.xsec.nucleon import INCOHERENT_NUCLEONS, PAULI_BLOCKING

__all__ = ["NOMAD", "SELECTIONS", "drift_chamber_target", "params"]

#: The two published selections of arXiv:1111.3713.
SELECTIONS = ("all", "collinear")
#: Flavour index of nu_mu in nugen's flavour vectors (e, mu, tau).
_MU = 1


def params() -> dict[str, float]:
    """The numeric rows of ``detectors/data/nomad_params.csv`` as ``{quantity: value}``."""
    return data.parameters("nomad_params.csv", "quantity")


def _p(key: str) -> float:
    return data.parameter("nomad_params.csv", key, "quantity")


def drift_chamber_target(oxygen_mass_fraction: float = 0.0) -> Material:
    """NOMAD's drift-chamber target: carbon (as C12), optionally with a mass fraction of O16.

    Built from :class:`nugen.targets.Nucleus` with A g/mol per isotope (nuclear mass A x u,
    :data:`nugen.constants.AMU_MEV`), so a tonne holds exactly ``1e6 N_A`` nucleons. The composition is
    UNVERIFIED (Petti, hep-ex/0602022, quotes cross sections "on carbon target").

    Parameters
    ----------
    oxygen_mass_fraction : float
        Mass fraction of O16 in [0, 1] (the rest C12).
    """
    f = float(oxygen_mass_fraction)
    if not 0.0 <= f <= 1.0:
        msg = f"oxygen_mass_fraction must be between 0 and 1, got {oxygen_mass_fraction!r}"
        raise InvalidParameterError(msg)
    parts = [("C12", 6, 12, 1.0 - f), ("O16", 8, 16, f)]
    nuclei = tuple(
        Nucleus(name, z, a, a * AMU_MEV, w * GRAMS_PER_TONNE / a * N_A) for name, z, a, w in parts if w > 0
    )
    electrons = sum(n.Z * n.per_tonne for n in nuclei)
    desc = f"NOMAD drift-chamber target taken as C12 with O16 mass fraction {f:g}; free electrons"
    return Material("nomad_dc", desc, electrons, nuclei, energy_unit="GeV")


def _scaled_component(comp, scale: float):
    """The beam component with its energy axis multiplied by ``scale`` (same flux, same shape in E/scale)."""
    if scale == 1.0:
        return comp
    pdf = PiecewiseLinearPdf(comp.pdf.E_MeV * scale, comp.pdf.values)
    return dataclasses.replace(
        comp,
        pdf=pdf,
        E_min_MeV=comp.E_min_MeV * scale,
        E_max_MeV=comp.E_max_MeV * scale,
        breakpoints_MeV=tuple(b * scale for b in comp.breakpoints_MeV),
    )


def _mean_energy_in(pdf: PiecewiseLinearPdf, lo_MeV: float, hi_MeV: float) -> float:
    """``∫_lo^hi E pdf(E) dE`` [MeV] of a piecewise-linear pdf (Simpson per segment: exact for the cubic)."""
    x = np.unique(np.concatenate([pdf.E_MeV, [lo_MeV, hi_MeV]]))
    x = x[(x >= lo_MeV) & (x <= hi_MeV)]
    a, b = x[:-1], x[1:]
    m = 0.5 * (a + b)

    def f(e):
        return e * pdf(e)

    return float(np.sum((b - a) / 6.0 * (f(a) + 4.0 * f(m) + f(b))))


class NOMAD(CountingSearch):
    """The NOMAD single-photon search with the dipole signal (see the module docstring).

    Parameters
    ----------
    **settings
        See :attr:`SETTINGS` (``nugen info nomad``).
    """

    name = "nomad"
    title = "NOMAD single-photon search (CERN SPS WANF beam), dipole nu A -> N A, N -> nu gamma"
    citation = "C. T. Kullenberg et al. (NOMAD), PLB 706 (2012) 268 [arXiv:1111.3713]"
    target = "nomad_dc"
    source = "charm2"
    scatterer = "nucleus"
    energy_unit = "GeV"
    exposure_unit = "nu_mu CC events"
    n_sub = 1
    sm_rel_uncertainty = None
    SETTINGS = (
        Setting("selection", "all", "",
                "published bin: all (155 obs / 129.2 bkg; < 4.0e-4 / CC) or collinear (78 / 76.6; < 1.6e-4)",
                parse_choice("selection", SELECTIONS)),
        Setting("fiducial_length_m", _p("fiducial_length"), "m",
                "length of the production and decay region along the beam (UNVERIFIED: 2.7 t / 0.1 g/cm^3 "
                "over 2.6 m x 2.6 m)", parse_positive("fiducial_length_m")),
        Setting("photon_efficiency", 1.0, "",
                "efficiency of a dipole photon relative to a coherent-pi0-like photon (the published per-CC "
                "limit is corrected for the latter; 1 = same)", parse_nonnegative("photon_efficiency")),
        Setting("sigma_cc_over_E", _p("sigma_cc_over_e"), "1e-38 cm^2/GeV",
                "nu_mu CC cross section per nucleon over E (PDG isoscalar; UNVERIFIED)",
                parse_positive("sigma_cc_over_E")),
        Setting("n_cc", _p("n_cc"), "CC events",
                "nu_mu CC events of the sample (UNVERIFIED; cancels in the limit; sets implied efficiency)",
                parse_positive("n_cc")),
        Setting("bkg_rel_scale", 1.0, "",
                "multiplies the background error stat (+) syst of the chosen bin (variant)",
                parse_positive("bkg_rel_scale")),
        Setting("flux_energy_scale", 1.0, "",
                "stretches the energy axis of the CHARM-II nu_mu proxy flux (UNVERIFIED proxy; "
                "<E> = 24.85 GeV x scale)", parse_positive("flux_energy_scale")),
        Setting("oxygen_mass_fraction", 0.0, "",
                "mass fraction of the target taken as O16 instead of C12 (composition UNVERIFIED)",
                parse_fraction("oxygen_mass_fraction")),
        Setting("form_factor", "helm", "",
                "nuclear form factor of the coherent cross section: helm (nugen's default) or fourier_bessel "
                "(measured C12 / O16 charge densities)", parse_choice("form_factor", FORM_FACTOR_MODELS)),
        Setting("incoherent", "off", "",
                "incoherent nu h -> N h on bound nucleons added to the coherent channel: off (default), "
                "protons (DarkNews' p-el) or nucleons (protons and neutrons)",
                parse_choice("incoherent", ("off", *INCOHERENT_NUCLEONS))),
        Setting("pauli_blocking", "none", "",
                "suppression of the incoherent channel: none (free nucleons, as DarkNews) or fermi_gas "
                "(k_F = 221 MeV, UNVERIFIED)", parse_choice("pauli_blocking", PAULI_BLOCKING)),
        Setting("n_mc", 100_000, "events", "Monte Carlo events for the N momentum distribution",
                parse_int_range("n_mc", 1000, 10_000_000)),
        Setting("mc_seed", 20_111_116, "", "seed of the Monte Carlo (same for every M_N)",
                parse_int_range("mc_seed", 0, 2**63 - 1)),
    )  # fmt: skip

    def __init__(self, **settings: object):
        super().__init__(**settings)
        self._mc_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._material = drift_chamber_target(float(self.settings["oxygen_mass_fraction"]))
        comp = get_source("charm2", mode="numu").component("numu")
        self._component = _scaled_component(comp, float(self.settings["flux_energy_scale"]))

    # -- the published bin -------------------------------------------------------------------------------
    @property
    def selection(self) -> str:
        """The published selection whose bin is used (``"all"`` or ``"collinear"``)."""
        return str(self.settings["selection"])

    def _bin(self, key: str) -> float:
        return _p(f"{key}_{self.selection}")

    @property
    def background_events(self) -> float:
        """Predicted background of the chosen bin [events] (arXiv:1111.3713)."""
        return self._bin("bkg")

    @property
    def background_error_events(self) -> float:
        """Background error stat (+) syst in quadrature [events], times ``bkg_rel_scale``."""
        return math.hypot(self._bin("bkg_stat"), self._bin("bkg_syst")) * float(
            self.settings["bkg_rel_scale"]
        )

    @property
    def limit_per_cc(self) -> float:
        """Published upper limit on single-photon events per nu_mu CC event of the chosen selection."""
        return self._bin("limit_per_cc")

    @property
    def s90_calibration_events(self) -> float:
        """The 90 % CL upper limit on signal events of the bin by nugen's statistic (row ``s90_*``)."""
        return self._bin("s90")

    @property
    def selected_per_photon_per_cc(self) -> float:
        """Selected events per unit photons-per-CC ratio: ``s90 / limit_per_cc`` (= efficiency x N_CC)."""
        return self.s90_calibration_events / self.limit_per_cc

    @property
    def implied_efficiency(self) -> float:
        """Efficiency for coherent-pi0-like photons implied by the calibration: ``s90 / (limit x N_CC)``."""
        return self.selected_per_photon_per_cc / float(self.settings["n_cc"])

    def observed(self) -> np.ndarray:
        """Observed candidates in the chosen bin."""
        return np.array([self._bin("n_obs")])

    def backgrounds(self) -> list[Background]:
        """The published background of the chosen bin, Gaussian-constrained with stat (+) syst."""
        b = self.background_events
        doc = f"NOMAD predicted single-photon background ({self.selection}), arXiv:1111.3713"
        return [Background("single_photon_bkg", np.array([b]), self.background_error_events / b, doc)]

    # -- detector interface (one bin; the response is folded into the calibrated efficiency) -------------
    @property
    def exposure_t_yr(self) -> float:
        """The nu_mu CC count of the sample (exposure unit ``nu_mu CC events``)."""
        return float(self.settings["n_cc"])

    def analysis_edges_MeV(self) -> np.ndarray:
        """One bin over the CC sample's energy range (photon energies are not binned) [MeV]."""
        return np.array([0.0, _p("e_cc_max") * 1000.0])

    def resolution_MeV(self, E_MeV: ArrayLike) -> np.ndarray:
        """Not used (one calibrated bin): 1 keV."""
        return np.full_like(np.asarray(E_MeV, dtype=float), 1e-3)

    def efficiency(self, E_obs_MeV: ArrayLike) -> np.ndarray:
        """Not used (the efficiency is calibrated): 1."""
        return np.ones_like(np.asarray(E_obs_MeV, dtype=float))

    # -- signal ------------------------------------------------------------------------------------------
    @property
    def material(self) -> Material:
        """The drift-chamber target (:func:`drift_chamber_target`)."""
        return self._material

    @property
    def nucleons_per_tonne(self) -> float:
        """Nucleons per tonne of the target: ``sum_A A n_A``."""
        return float(sum(n.A * n.per_tonne for n in self._material.nuclei))

    @property
    def cc_events_per_tonne_per_pot(self) -> float:
        """nu_mu CC events per tonne per POT of the proxy flux: ``n_nucleon Phi <sigma_CC>``, 2.5-300 GeV."""
        comp = self._component
        lo, hi = _p("e_cc_min") * 1000.0, _p("e_cc_max") * 1000.0
        e_int = _mean_energy_in(comp.pdf, lo, hi) / 1000.0  # GeV
        sigma = float(self.settings["sigma_cc_over_E"]) * 1e-38 * e_int  # cm^2 per nucleon, flux-averaged
        return self.nucleons_per_tonne * comp.flux * sigma

    def _mc(self, M_N: float) -> tuple[np.ndarray, np.ndarray]:
        """|p_N| [MeV] and weight [events / (t POT mu_B^2)] of the up-scattering Monte Carlo (cached)."""
        key = float(M_N)
        if key not in self._mc_cache:
            seed = np.random.SeedSequence(int(self.settings["mc_seed"]))
            rng = np.random.default_rng(seed)
            processes = [("dipole_A", {"form_factor": str(self.settings["form_factor"])})]
            if self.settings["incoherent"] != "off":  # its own stream: the coherent sample is unchanged
                opts = {"incoherent_nucleons": str(self.settings["incoherent"]),
                        "pauli_blocking": str(self.settings["pauli_blocking"])}  # fmt: skip
                processes.append(("dipole_N", opts))
            ps, ws = [], []
            for i, (process, opts) in enumerate(processes):
                rng_i = rng if i == 0 else np.random.default_rng(seed.spawn(1)[0])
                n_mc, mat = int(self.settings["n_mc"]), self._material
                try:
                    ev = sample_scatterings(None, self._component, mat, process, key, n_mc, rng_i, **opts)
                except KinematicsError:
                    continue
                keep = ev.weight > 0
                ps.append(np.linalg.norm(ev.p_out[keep, 1:], axis=1))
                ws.append(ev.weight[keep])
            out = (np.concatenate(ps), np.concatenate(ws)) if ps else (np.zeros(0), np.zeros(0))
            if len(self._mc_cache) > 64:
                self._mc_cache.clear()
            self._mc_cache[key] = out
        return self._mc_cache[key]

    def decay_probability(self, model: DipolePortal) -> float:
        """Weight-averaged probability that N decays inside the fiducial length (production uniform in it)."""
        p, w = self._mc(model.mass_MeV)
        if p.size == 0:
            return 0.0
        L = float(self.settings["fiducial_length_m"]) * 100.0
        pbar = path_averaged_decay_probability(0.0, L, L, model.decay_length_cm(p))
        return float(w @ pbar / w.sum())

    def photons_per_cc(self, model: DipolePortal) -> float:
        """Single photons (N -> nu gamma in the fiducial volume) per nu_mu CC event, before any efficiency.

        ``mu_mu^2 sum_k w_k Pbar(lambda_k) / (n_nucleon Phi <sigma_CC>)``: w_k are the up-scattering weights
        (per tonne per POT per mu_B^2), ``Pbar`` :func:`nugen.decays.path_averaged_decay_probability` over
        ``[0, L_fid]`` with ``lambda_k = (p_k / M) c tau(model)``. ∝ mu^2 for prompt decays, mu^4 for
        long-lived N.
        """
        if not (model.mass_MeV > 0 and model.mu_flavour[_MU] > 0):
            return 0.0
        p, w = self._mc(model.mass_MeV)
        if p.size == 0:
            return 0.0
        L = float(self.settings["fiducial_length_m"]) * 100.0
        pbar = path_averaged_decay_probability(0.0, L, L, model.decay_length_cm(p))
        return float(model.mu_flavour[_MU] ** 2 * (w @ pbar) / self.cc_events_per_tonne_per_pot)

    def signal_counts(self, model: DipolePortal, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """Selected dipole single-photon events in the bin: ``(s90 / limit) x photon_efficiency x R(mu)``."""
        self._edges(edges_MeV)
        eff = float(self.settings["photon_efficiency"])
        return np.array([self.selected_per_photon_per_cc * eff * self.photons_per_cc(model)])
