"""Borexino Phase-II: solar-neutrino electron recoils in pseudocumene, with the open-data spectrum.

Detector facts (physics.md Sec. 6.2; ``detectors/data/borexino_phase2_params.csv``):

* Phase-II data, Dec 2011 – May 2016: **1291.51 live days x 71.3 t** fiducial mass (M. Agostini et al.
  (Borexino), Phys. Rev. D 96 (2017) 091103(R), arXiv:1707.09355; PRD 100 (2019) 082004, arXiv:1707.09279),
  i.e. 920.85 day x 100 t = 252.1 t yr; **3.307e31 electrons per 100 t** (pseudocumene C9H12; nugen's
  ``pseudocumene`` target has 3.3068e31).
* Observed data: the TFC-subtracted Phase-II spectrum released with Nature 562 (2018) 505, Fig. 2a,
  1-hit bins of the N_h estimator (N_h = 92 ... 950, 212–2629 keV), rebinned here to
  :attr:`hits_per_bin` hits per analysis bin. The released rates are normalised to the exposure kept
  by the three-fold-coincidence (TFC) 11C veto, 582.326 day x 100 t = 63.24 % of the full exposure;
  nugen keeps the full exposure and puts this fraction in :meth:`Borexino.efficiency` (constant).
* Energy estimator: the release's own N_h -> electron-equivalent energy mapping, which is exactly
  quadratic, ``E = c2 N_h^2 + c1 N_h + c0`` keV (fit to the 859 released bin centres, max deviation
  0.006 keV). Resolution ``sigma(N_h) = 1.4125 sqrt(N_h) - 0.0178 N_h`` hits (the parametrisation of the
  Kopp-group code used for Brdar et al., physics.md Sec. 6.2), turned into energy with dE/dN_h:
  27.3, 41.6, 57.1, 77.7, 91.0 keV at T = 0.2, 0.5, 1, 2, 2.9 MeV.
* Light yield and resolution scale (settings ``energy_scale``, ``resolution_scale``; default: the values
  fitted to the open data, as Borexino's own fits float them): an electron of kinetic energy T is
  observed at ``g T`` on the release's axis with g = 1.063 +- 0.005, and sigma is 1.11 +- 0.07 times the
  parametrisation above. Taken literally (g = 1) the release's axis puts the 7Be Compton shoulder
  (T_max = 664 keV) 24 keV below where the data have it.
* Standard-Model solar neutrinos (pp, pep, 7Be, CNO, 8B, hep; B16 fluxes, MSW-LMA) come from
  :mod:`nugen.rates`; :meth:`Borexino.sm_counts_by_component` gives them one by one.
* Backgrounds (all with **free** normalisations: the open data carry no constraint on them):
  14C (allowed beta-, Q = 156.5 keV, with the 14C shape correction of decay0), the 14C+14C pile-up
  (self-convolution), 85Kr (first-forbidden unique beta-, Q = 687 keV), 210Bi (first-forbidden beta-,
  Q = 1162 keV, empirical shape factor of H. Daniel, Nucl. Phys. 31 (1962) 293), 210Po (alpha line,
  quenched to an electron-equivalent energy: a Gaussian with an exponential high-side tail), residual 11C
  after the TFC veto (beta+, Q = 960 keV, plus the annihilation energy). Beta shapes:
  :mod:`detectors.beta_spectra`. The shape parameters that analytic modelling cannot predict (light
  yield, resolution scale, 210Po energy, width and tail, 11C annihilation offset) and the nominal
  rates were fitted once to the open data (``scripts/borexino_open_data_fit.py``) and are stored in
  ``detectors/data/borexino_phase2_model.csv``. External gamma rays (208Tl, 214Bi, 40K from outside the
  fiducial volume), which dominate above ~1.8 MeV, are **not** modelled: the default window stops below.

Default fit window 280–1650 keV (:data:`DEFAULT_WINDOW_KEV`): below, the 14C resolution tail and pile-up
need data-driven shapes that are not public; above, external gammas dominate. In it the model describes
the open data with chi^2/ndf = 56.9/53 (docs/validation.md, ``docs/figures/borexino_spectrum.png``).
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import log_ndtr, ndtr

from detectors import data
from detectors.base import Background, Detector, Setting, parse_choice, parse_int_range, parse_positive
from detectors.beta_spectra import BetaShape, pileup_spectrum
from nugen.errors import DataFileError, InvalidParameterError
from nugen.rates import RateCalculator, rate_calculator
from nugen.sources.solar import MODELS

__all__ = [
    "BACKGROUND_SHAPES",
    "DEFAULT_WINDOW_KEV",
    "Borexino",
    "exponnorm_cdf",
    "nh_to_energy_keV",
]

#: Default analysis window [keV] of observed (electron-equivalent) energy.
DEFAULT_WINDOW_KEV = (280.0, 1650.0)
#: Default number of 1-hit N_h bins per analysis bin.
DEFAULT_HITS_PER_BIN = 8

#: Beta-decay shapes of the radioactive backgrounds (endpoints: ENSDF; shape factors: see module docstring).
BACKGROUND_SHAPES: dict[str, BetaShape] = {
    "14C": BetaShape("14C", 0.156476, 7, 14, kind="empirical", coeffs=(0.0, 0.19418, 0.0)),
    "85Kr": BetaShape("85Kr", 0.687, 37, 85, kind="unique1"),
    "210Bi": BetaShape("210Bi", 1.1621, 84, 210, kind="empirical", coeffs=(28.466, 0.578, -0.658)),
    "11C": BetaShape("11C", 0.9604, 5, 11, positron=True),
}


def _parse_fit_or_positive(name: str):
    """Parser for a setting whose default ``"fit"`` means the value fitted to the open data."""
    positive = parse_positive(name)

    def parse(value: object) -> object:
        return "fit" if str(value) == "fit" else positive(value)

    return parse


@functools.cache
def _spectrum() -> dict[str, np.ndarray]:
    t = data.read("borexino_phase2_spectrum.csv", required=("N_h", "E_keV", "width_keV", "counts"))
    out = {k: np.asarray(t[k], dtype=float) for k in ("N_h", "E_keV", "width_keV", "counts")}
    if np.any(np.diff(out["N_h"]) != 1) or np.any(out["counts"] < 0):
        msg = f"data table {t.name!r}: N_h must run in steps of 1 and counts must be >= 0"
        raise DataFileError(msg)
    return out


def _param(filename: str, key: str) -> float:
    return data.parameter(filename, key)


def nh_to_energy_keV(n_hits: ArrayLike) -> np.ndarray:
    """Electron-equivalent energy [keV] for an N_h value: the release's quadratic mapping."""
    c = [_param("borexino_phase2_params.csv", k) for k in ("nh_map_c2", "nh_map_c1", "nh_map_c0")]
    return np.polyval(c, np.asarray(n_hits, dtype=float))


def _energy_to_nh(E_keV: np.ndarray) -> np.ndarray:
    c2, c1, c0 = (_param("borexino_phase2_params.csv", k) for k in ("nh_map_c2", "nh_map_c1", "nh_map_c0"))
    return (-c1 + np.sqrt(c1 * c1 + 4.0 * c2 * (np.asarray(E_keV, dtype=float) - c0))) / (2.0 * c2)


def exponnorm_cdf(x: np.ndarray, K: float, loc: float = 0.0, scale: float = 1.0) -> np.ndarray:
    """CDF of the exponentially modified Gaussian, parametrised as :data:`scipy.stats.exponnorm`.

    ``F(z) = Phi(z) - exp(1/(2K^2) - z/K) Phi(z - 1/K)`` with ``z = (x - loc)/scale`` (a Gaussian of
    width ``scale`` convolved with an exponential of mean ``K scale``); the second term is evaluated
    as ``exp(1/(2K^2) - z/K + log Phi(z - 1/K))`` to stay finite for large z. Written with
    :mod:`scipy.special` so that loading Borexino does not import :mod:`scipy.stats` (0.3 s).
    """
    z = (np.asarray(x, dtype=float) - loc) / scale
    return ndtr(z) - np.exp(0.5 / (K * K) - z / K + log_ndtr(z - 1.0 / K))


class Borexino(Detector):
    """Borexino Phase-II with the open-data TFC-subtracted spectrum (see the module docstring).

    Parameters
    ----------
    **settings
        ``e_min_keV``, ``e_max_keV`` (window, snapped inwards to N_h bin edges), ``hits_per_bin``
        (rebinning of the 1-hit data) and ``solar_model`` (``"B16-GS98"`` or ``"B16-AGSS09met"``).
    """

    name = "borexino"
    title = "Borexino Phase-II (open-data spectrum)"
    citation = (
        "M. Agostini et al. (Borexino), PRD 96 (2017) 091103(R), arXiv:1707.09355 (magnetic moment); "
        "PRD 100 (2019) 082004, arXiv:1707.09279 (Phase-II spectral fit); Nature 562 (2018) 505, Fig. 2a "
        "(open-data spectrum)"
    )
    target = "pseudocumene"
    source = "solar"
    scatterer = "electron"
    energy_unit = "keV"
    #: The efficiency is constant inside every analysis bin, so one sub-bin is exact.
    n_sub = 1
    #: SM solar-neutrino normalisation uncertainty used by fits: the B16 7Be flux uncertainty (6 %),
    #: 7Be being the dominant SM component in the window.
    sm_rel_uncertainty = 0.06
    sm_in_background = False
    SETTINGS = (
        Setting(
            "e_min_keV",
            DEFAULT_WINDOW_KEV[0],
            "keV",
            "lower edge of the fit window (snapped up to an N_h bin edge); below ~300 keV the 14C tail and "
            "pile-up dominate",
            parse_positive("e_min_keV"),
        ),
        Setting(
            "e_max_keV",
            DEFAULT_WINDOW_KEV[1],
            "keV",
            "upper edge of the fit window (snapped down); above ~1.7 MeV unmodelled external gammas dominate",
            parse_positive("e_max_keV"),
        ),
        Setting(
            "hits_per_bin",
            DEFAULT_HITS_PER_BIN,
            "N_h",
            "1-hit N_h bins of the open data merged into one analysis bin",
            parse_int_range("hits_per_bin", 1, 100, "of N_h hits"),
        ),
        Setting(
            "energy_scale",
            "fit",
            "",
            "light-yield scale g: an electron of energy T is observed at g T on the release's N_h energy "
            "axis ('fit' = the value fitted to the open data, borexino_phase2_model.csv)",
            _parse_fit_or_positive("energy_scale"),
        ),
        Setting(
            "resolution_scale",
            "fit",
            "",
            "factor on the sigma(N_h) resolution ('fit' = fitted to the open data, "
            "borexino_phase2_model.csv)",
            _parse_fit_or_positive("resolution_scale"),
        ),
        Setting(
            "solar_model",
            "B16-GS98",
            "",
            "solar model of the SM fluxes (Vinyoles et al., ApJ 835 (2017) 202)",
            parse_choice("solar_model", tuple(MODELS)),
        ),
    )

    def __init__(self, **settings: object):
        super().__init__(**settings)
        lo, hi = float(self.settings["e_min_keV"]), float(self.settings["e_max_keV"])
        if hi <= lo:
            msg = f"borexino window is empty: e_min_keV = {lo:g} >= e_max_keV = {hi:g}"
            raise InvalidParameterError(msg)
        spec = _spectrum()
        lower = spec["E_keV"] - 0.5 * spec["width_keV"]
        upper = spec["E_keV"] + 0.5 * spec["width_keV"]
        first = int(np.searchsorted(lower, lo - 1e-6))
        last = int(np.searchsorted(upper, hi + 1e-6, side="right"))  # exclusive
        n = int(self.settings["hits_per_bin"])
        nbins = (last - first) // n
        if nbins < 1:
            msg = (
                f"borexino window {lo:g}-{hi:g} keV holds no complete bin of {n} N_h hits inside the open "
                f"data ({lower[0]:.1f}-{upper[-1]:.1f} keV)"
            )
            raise InvalidParameterError(msg)
        idx = first + n * np.arange(nbins + 1)
        self._first, self._n, self._nbins = first, n, nbins
        self._edges_keV = np.append(lower[idx[:-1]], upper[idx[-1] - 1])
        self._bin_edges = self._edges_keV * 1e-3
        self._data_range = (lower[0] * 1e-3, upper[-1] * 1e-3)
        self._obs = spec["counts"][first : first + n * nbins].reshape(nbins, n).sum(axis=1)
        p = functools.partial(_param, "borexino_phase2_params.csv")
        self._exposure_100t_d = p("live_days") * p("fiducial_mass_t") / 100.0
        self._tfc_fraction = p("tfc_exposure_100t_d") / self._exposure_100t_d
        self._res = (p("res_a"), p("res_b"))
        g, r = self.settings["energy_scale"], self.settings["resolution_scale"]
        self._scale = self._model("energy_scale") if g == "fit" else float(g)
        self._res_scale = self._model("resolution_scale") if r == "fit" else float(r)
        self._backgrounds: list[Background] | None = None

    # -- detector interface ------------------------------------------------------------------------
    @property
    def exposure_t_yr(self) -> float:
        """Phase-II exposure 1291.51 d x 71.3 t [t yr] (365.25-day years)."""
        return self._exposure_100t_d * 100.0 / 365.25

    @property
    def rates(self) -> RateCalculator:
        """Solar x pseudocumene rates for the chosen solar model (cached)."""
        return rate_calculator(self.source, self.target, model=str(self.settings["solar_model"]))

    def response_kernel(self, edges_MeV: ArrayLike, T_MeV: ArrayLike) -> np.ndarray:
        """Base kernel evaluated at the mean observed energy ``g T`` (light-yield scale g, setting)."""
        return super().response_kernel(edges_MeV, self._scale * np.asarray(T_MeV, dtype=float))

    def _true_range(self, edges: np.ndarray) -> tuple[float, float]:
        lo, hi = super()._true_range(edges)
        return lo / self._scale, hi / self._scale

    def smear(self, true_energy_MeV: ArrayLike, rng: np.random.Generator | int | None = None):
        """Event-by-event response: ``E' = g T + sigma(g T) z`` (see :meth:`Detector.smear`)."""
        return super().smear(self._scale * np.asarray(true_energy_MeV, dtype=float), rng)

    def resolution_MeV(self, E_MeV: ArrayLike) -> np.ndarray:
        """Resolution sigma [MeV] = sigma(N_h) x dE/dN_h at the N_h of mean observed energy ``E_MeV``."""
        E_keV = np.maximum(np.asarray(E_MeV, dtype=float) * 1e3, 1.0)
        nh = np.maximum(_energy_to_nh(E_keV), 0.5)
        a, b = self._res
        sigma_nh = self._res_scale * np.maximum(a * np.sqrt(nh) + b * nh, 0.0)
        c2 = _param("borexino_phase2_params.csv", "nh_map_c2")
        c1 = _param("borexino_phase2_params.csv", "nh_map_c1")
        return sigma_nh * (2.0 * c2 * nh + c1) * 1e-3

    def efficiency(self, E_obs_MeV: ArrayLike) -> np.ndarray:
        """TFC-kept exposure fraction (582.326 / 920.85 = 0.6324) over the open data's range, 0 outside.

        Constant, so the analysis bins are unaffected by where exactly it is cut; user bins beyond the
        fit window (``nugen spectrum --bins``) still get the detector's rate up to 2.63 MeV.
        """
        E = np.asarray(E_obs_MeV, dtype=float)
        inside = (E >= self._data_range[0]) & (E <= self._data_range[1])
        return np.where(inside, self._tfc_fraction, 0.0)

    def analysis_edges_MeV(self) -> np.ndarray:
        """Analysis-bin edges [MeV]: groups of ``hits_per_bin`` N_h bins inside the window."""
        return self._bin_edges.copy()

    def observed(self) -> np.ndarray:
        """Open-data counts per analysis bin (TFC-subtracted spectrum, Nature 2018 Fig. 2a)."""
        return self._obs.copy()

    # -- backgrounds -------------------------------------------------------------------------------
    def _model(self, key: str) -> float:
        return _param("borexino_phase2_model.csv", key)

    def _fold(self, T: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Counts per analysis bin per unit rate [cpd/100 t] of a true-energy spectrum (nodes, weights)."""
        K = self.response_kernel(self._bin_edges, T)
        return self._exposure_100t_d * (K @ w)

    def background_shapes(
        self,
        *,
        po210_energy_MeV: float | None = None,
        po210_width_factor: float | None = None,
        c11_annihilation_MeV: float | None = None,
        po210_tail_MeV: float | None = None,
    ) -> dict[str, np.ndarray]:
        """Counts per analysis bin for a rate of 1 count/(day x 100 t) of each background.

        Parameters
        ----------
        po210_energy_MeV, po210_width_factor, c11_annihilation_MeV : float, optional
            Override the stored shape parameters (quenched 210Po energy [MeV], 210Po width in units of
            the electron resolution at that energy, visible energy of the 11C annihilation [MeV]); used
            by the script that fits them to the open data.
        """
        out: dict[str, np.ndarray] = {}
        for name in ("14C", "85Kr", "210Bi"):
            T, w = BACKGROUND_SHAPES[name].nodes()
            out[name] = self._fold(T, w)
        grid, pdf = pileup_spectrum(BACKGROUND_SHAPES["14C"], 1024)
        out["14C-pileup"] = self._fold(grid, pdf * (grid[1] - grid[0]))
        T, w = BACKGROUND_SHAPES["11C"].nodes()
        offset = self._model("c11_annihilation_MeV") if c11_annihilation_MeV is None else c11_annihilation_MeV
        out["11C"] = self._fold(T + offset, w)
        mean = self._model("po210_energy_MeV") if po210_energy_MeV is None else po210_energy_MeV
        factor = self._model("po210_width_factor") if po210_width_factor is None else po210_width_factor
        tail = self._model("po210_tail_MeV") if po210_tail_MeV is None else po210_tail_MeV
        sigma = factor * float(self.resolution_MeV(mean))
        if tail > 0:
            cdf = exponnorm_cdf(self._bin_edges, tail / sigma, loc=mean - tail, scale=sigma)
        else:
            cdf = ndtr((self._bin_edges - mean) / sigma)
        out["210Po"] = self._exposure_100t_d * self._tfc_fraction * np.diff(cdf)
        return out

    def backgrounds(self) -> list[Background]:
        """Backgrounds at their nominal rates (free normalisations); components < 0.5 events dropped."""
        if self._backgrounds is None:
            shapes = self.background_shapes()
            docs = {
                "14C": "14C beta- (Q = 156.5 keV), resolution tail",
                "14C-pileup": "random 14C + 14C coincidences (self-convolution of the 14C spectrum)",
                "85Kr": "85Kr beta- (first-forbidden unique, Q = 687 keV)",
                "210Bi": "210Bi beta- (Q = 1162 keV, Daniel 1962 shape factor)",
                "210Po": "210Po alpha, quenched: Gaussian with an exponential high-side tail (shape fitted "
                "to the open data)",
                "11C": "residual cosmogenic 11C after the TFC veto (beta+ + annihilation, offset fitted)",
            }
            bkgs = []
            for name, shape in shapes.items():
                counts = self._model(f"rate_{name}_cpd_100t") * shape
                if counts.sum() >= 0.5:
                    bkgs.append(Background(name, counts, None, docs[name] + "; nominal rate: nugen fit"))
            self._backgrounds = bkgs
        return list(self._backgrounds)
