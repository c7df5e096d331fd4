"""The shared detector model: target, exposure, energy response, backgrounds and data.

A :class:`Detector` turns true recoil spectra from :mod:`nugen.rates` into expected counts in bins of
observed energy, in two ways that must agree (tested):

* analytically, :meth:`Detector.expected_counts`: for analysis bin i,
  ``N_i = exposure x ∫ dT dR/dT(T) K_i(T)``, ``K_i(T) = ∫_{bin i} dE' G(E' | T, sigma(T)) eps(E')``,
  with a Gaussian resolution ``G`` and an efficiency ``eps`` of the observed energy (as the XENON1T
  release defines it); the T integral uses the breakpoint-aware nodes of
  :meth:`nugen.rates.RateCalculator.quadrature` and ``K`` is cached per binning;
* event by event, :meth:`Detector.smear`: ``E' = T + sigma(T) z`` with ``z ~ N(0, 1)`` from a seeded
  generator, and the efficiency as a per-event weight.

Because the dipole rate at fixed M_N is quadratic in the couplings, :meth:`Detector.signal_templates`
returns the counts for mu_alpha = 1 mu_B per flavour: a fit needs one call per mass (DESIGN.md).

A detector is one module plus one entry in :data:`detectors.registry._REGISTRY`; its settings
(:class:`Setting`) are listed by ``nugen info NAME`` and changed with ``--set NAME.KEY=VALUE``.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from nugen.constants import ENERGY_UNITS_MEV
from nugen.errors import InvalidParameterError, UnknownNameError, check_number
from nugen.model import DipolePortal
from nugen.rates import RateCalculator, check_edges, rate_calculator

__all__ = [
    "Background",
    "CountingSearch",
    "Detector",
    "Setting",
    "parse_choice",
    "parse_fraction",
    "parse_int_range",
    "parse_positive",
]


# -- settings --------------------------------------------------------------------------------------
def parse_positive(name: str) -> Callable[[object], float]:
    """Return a parser accepting a finite number > 0 for setting ``name``."""
    return functools.partial(check_number, f"setting {name}", positive=True)


def parse_nonnegative(name: str) -> Callable[[object], float]:
    """Return a parser accepting a finite number >= 0 for setting ``name``."""
    return functools.partial(check_number, f"setting {name}")


def parse_fraction(name: str) -> Callable[[object], float]:
    """Return a parser accepting a finite number in [0, 1] for setting ``name`` (an efficiency)."""
    base = parse_nonnegative(name)

    def parse(value: object) -> float:
        v = base(value)
        if v > 1:
            msg = f"setting {name} must be between 0 and 1, got {value!r}"
            raise InvalidParameterError(msg)
        return v

    return parse


def parse_int_range(name: str, lo: int, hi: int, what: str = "") -> Callable[[object], int]:
    """Return a parser accepting a whole number in ``[lo, hi]`` for setting ``name``.

    ``what`` names the unit in the error for a non-integer (e.g. ``"of N_h hits"``).
    """

    def parse(value: object) -> int:
        try:
            v = int(str(value))
        except ValueError:
            msg = f"setting {name} must be a whole number{' ' + what if what else ''}, got {value!r}"
            raise InvalidParameterError(msg) from None
        if not lo <= v <= hi:
            msg = f"setting {name} must be between {lo} and {hi}, got {value!r}"
            raise InvalidParameterError(msg)
        return v

    return parse


def parse_choice(name: str, choices: tuple[str, ...]) -> Callable[[object], str]:
    """Return a parser accepting one of ``choices`` for setting ``name``."""

    def parse(value: object) -> str:
        v = str(value)
        if v not in choices:
            raise UnknownNameError(f"value for setting {name}", v, choices)
        return v

    return parse


@dataclass(frozen=True)
class Setting:
    """A user-adjustable detector setting.

    Attributes
    ----------
    key : str
        Name used with ``--set DETECTOR.KEY=VALUE``.
    default : object
        Default value.
    unit : str
        Unit of the value ("" if none).
    doc : str
        What it means, and the source of the default.
    parse : callable
        Converts and validates a value (string from the command line, or a Python value).
    """

    key: str
    default: object
    unit: str
    doc: str
    parse: Callable[[object], object]


@dataclass(frozen=True)
class Background:
    """A background component in the analysis bins.

    Attributes
    ----------
    name : str
        E.g. ``"B0"``, ``"tritium"``, ``"210Bi"``.
    counts : numpy.ndarray
        Expected events per analysis bin for the detector's exposure at nominal normalisation.
    rel_uncertainty : float or None
        Relative 1-sigma uncertainty of the normalisation (Gaussian constraint in the fit);
        ``None`` means a free, unconstrained normalisation (>= 0).
    doc : str
        Where it comes from.
    """

    name: str
    counts: np.ndarray
    rel_uncertainty: float | None
    doc: str = ""


# -- the detector ----------------------------------------------------------------------------------
class Detector(abc.ABC):
    """Base class of all detectors.

    Subclasses define the class attributes below, :meth:`resolution_MeV`, :meth:`efficiency`,
    :meth:`analysis_edges_MeV`, :meth:`backgrounds` and, when real data exist, :meth:`observed`.

    Parameters
    ----------
    **settings
        Values for the entries of :attr:`SETTINGS` (strings are parsed); unknown keys raise
        :class:`~nugen.errors.UnknownNameError` listing the known ones.
    """

    #: Registry name.
    name: str = ""
    #: Human-readable title.
    title: str = ""
    #: The publication(s) the detector model follows.
    citation: str = ""
    #: Target material (see :func:`nugen.targets.get_target`).
    target: str = "xenon"
    #: Neutrino source (see :func:`nugen.sources.get_source`).
    source: str = "solar"
    #: ``"electron"`` or ``"nucleus"`` recoils.
    scatterer: str = "electron"
    #: Energy unit for users (bins on the command line, JSON output).
    energy_unit: str = "keV"
    #: Settings users can change.
    SETTINGS: tuple[Setting, ...] = ()
    #: Lowest true recoil energy [MeV] worth integrating (below, the response is negligible).
    true_energy_floor_MeV: float = 0.0
    #: Number of Gaussian sigmas of true energy integrated beyond the analysis window.
    n_sigma: float = 6.0
    #: Sub-divisions of each observed bin used to fold the efficiency into the response kernel.
    n_sub: int = 16

    def __init__(self, **settings: object):
        known = {s.key: s for s in self.SETTINGS}
        values = {k: s.default for k, s in known.items()}
        for key, value in settings.items():
            if key not in known:
                raise UnknownNameError(f"setting of detector {self.name!r}", key, known)
            values[key] = known[key].parse(value)
        self.settings: dict[str, object] = values
        self._kernels: dict[bytes, tuple] = {}

    # -- to be provided by subclasses ------------------------------------------------------------
    @property
    @abc.abstractmethod
    def exposure_t_yr(self) -> float:
        """Exposure [tonne-year] (for beams: tonne x POT, see :attr:`exposure_unit`)."""

    #: Unit of :attr:`exposure_t_yr` (``"t yr"``; beams may use ``"t POT"``).
    exposure_unit: str = "t yr"

    @abc.abstractmethod
    def resolution_MeV(self, E_MeV: ArrayLike) -> np.ndarray:
        """Gaussian energy resolution sigma [MeV] at true energy ``E_MeV``."""

    @abc.abstractmethod
    def efficiency(self, E_obs_MeV: ArrayLike) -> np.ndarray:
        """Detection and selection efficiency at observed energy ``E_obs_MeV`` (0 outside the window)."""

    @abc.abstractmethod
    def analysis_edges_MeV(self) -> np.ndarray:
        """Edges of the analysis bins in observed energy [MeV] (the binning of data and backgrounds)."""

    def backgrounds(self) -> list[Background]:
        """Background components in the analysis bins (default: none)."""
        return []

    def observed(self) -> np.ndarray | None:
        """Observed counts in the analysis bins, or ``None`` for a projected detector."""
        return None

    #: Relative normalisation uncertainty of the SM solar-neutrino prediction used by fits.
    sm_rel_uncertainty: float | None = 0.1
    #: True when a background component already contains the SM solar-neutrino events (XENON1T's B0):
    #: ``sm_nu`` is then shown for information only and a fit must not add it again.
    sm_in_background: bool = False

    # -- rates and response ----------------------------------------------------------------------
    @property
    def rates(self) -> RateCalculator:
        """The cached :class:`~nugen.rates.RateCalculator` of this detector's source and target."""
        return rate_calculator(self.source, self.target)

    def _process(self, kind: str) -> str:
        if kind == "dipole":
            return "dipole_e" if self.scatterer == "electron" else "dipole_A"
        return "sm_e" if self.scatterer == "electron" else "cevns"

    def true_energy_range(self, edges_MeV: ArrayLike | None = None) -> tuple[float, float]:
        """True recoil energies [MeV] that can be observed in the analysis window (or ``edges_MeV``).

        The window widened by :attr:`n_sigma` resolutions, floored at :attr:`true_energy_floor_MeV`.
        """
        return self._true_range(self._edges(edges_MeV))

    def _true_range(self, edges: np.ndarray) -> tuple[float, float]:
        lo, hi = float(edges[0]), float(edges[-1])
        t_lo = max(lo - self.n_sigma * float(self.resolution_MeV(lo)), self.true_energy_floor_MeV, 1e-3 * lo)
        t_hi = hi + self.n_sigma * float(self.resolution_MeV(hi))
        return t_lo, t_hi

    def response_kernel(self, edges_MeV: ArrayLike, T_MeV: ArrayLike) -> np.ndarray:
        """Probability K[i, k] that a true recoil T_k is observed and selected in bin i.

        ``K_i(T) = ∫_{bin i} G(E' | T, sigma(T)) eps(E') dE'``, evaluated with :attr:`n_sub`
        sub-bins per bin (efficiency at the sub-bin centre, exact Gaussian CDF differences).
        """
        edges = check_edges(edges_MeV)
        T = np.asarray(T_MeV, dtype=float)
        frac = np.arange(self.n_sub) / self.n_sub
        sub = np.append((edges[:-1, None] + np.diff(edges)[:, None] * frac[None, :]).ravel(), edges[-1])
        eps = self.efficiency(0.5 * (sub[:-1] + sub[1:]))
        sig = np.maximum(self.resolution_MeV(T), 1e-12 * np.maximum(T, 1e-12))
        cdf = ndtr((sub[:, None] - T[None, :]) / sig[None, :])
        p = np.diff(cdf, axis=0) * eps[:, None]
        return p.reshape(edges.size - 1, self.n_sub, T.size).sum(axis=1)

    #: Longest true-energy quadrature segment in units of the local resolution sigma(T).
    segment_sigmas: float = 1.0
    #: Gauss–Legendre nodes per true-energy segment.
    n_gauss: int = 4

    def _resolution_grid(self, t_lo: float, t_hi: float) -> np.ndarray:
        """Points in [t_lo, t_hi] spaced by at most :attr:`segment_sigmas` x sigma(T) (vectorised)."""
        x = np.geomspace(max(t_lo, 1e-9), t_hi, 4096) if t_lo > 0 else np.linspace(t_lo, t_hi, 4096)
        sig = np.maximum(self.resolution_MeV(x), 1e-6 * np.maximum(x, 1e-9))
        u = np.concatenate([[0.0], np.cumsum(np.diff(x) * 0.5 * (1.0 / sig[1:] + 1.0 / sig[:-1]))])
        n = min(int(np.ceil(u[-1] / self.segment_sigmas)), 2000)  # bounded even for a tiny sigma
        return np.interp(np.linspace(0.0, u[-1], n + 1), u, x)

    def _nodes(self, edges: np.ndarray, process: str, M_N: float) -> tuple[np.ndarray, np.ndarray]:
        """True-energy nodes and weights [MeV] for folding dR/dT with the response kernel.

        The segment ends are the breakpoints of dR/dT from :meth:`nugen.rates.RateCalculator.quadrature`
        (recovered from its per-segment weight sums), the analysis-bin edges, and a grid no coarser than
        :attr:`segment_sigmas` x sigma(T), so that the kernel rows (smooth on the scale of sigma) are
        integrated as accurately as dR/dT itself; Gauss–Legendre nodes on each segment.
        """
        t_lo, t_hi = self._true_range(edges)
        _, w0, seg = self.rates.quadrature(t_lo, t_hi, M_N, process)
        bounds = t_lo + np.concatenate([[0.0], np.cumsum(np.bincount(seg, weights=w0))])
        inner = np.concatenate([bounds[1:-1], edges, self._resolution_grid(t_lo, t_hi)])
        inner = inner[(inner > t_lo) & (inner < t_hi)]
        pts = np.unique(np.concatenate([[t_lo, t_hi], inner]))
        pts = pts[np.concatenate([[True], np.diff(pts) > 1e-12 * t_hi])]
        pts[-1] = t_hi
        x, wx = np.polynomial.legendre.leggauss(self.n_gauss)
        a, b = pts[:-1], pts[1:]
        T = (0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * x[None, :]).ravel()
        w = (0.5 * (b - a)[:, None] * wx[None, :]).ravel()
        return T, w

    def _kernel(self, edges: np.ndarray, process: str, M_N: float):
        key = (edges.tobytes(), process, M_N if process.startswith("dipole") else 0.0)
        if key not in self._kernels:
            T, w = self._nodes(edges, process, M_N)
            K = self.response_kernel(edges, T)
            if len(self._kernels) > 64:
                self._kernels.clear()
            self._kernels[key] = (T, w, K)
        return self._kernels[key]

    def _edges(self, edges_MeV: ArrayLike | None) -> np.ndarray:
        return self.analysis_edges_MeV() if edges_MeV is None else check_edges(edges_MeV)

    def signal_templates(self, M_N: float, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """Observed dipole counts per bin for mu_alpha = 1 mu_B, shape (3, n_bins), one row per flavour.

        The signal of a model is ``sum_alpha mu_alpha^2 x row_alpha`` (rate ∝ mu^2 at fixed M_N).
        """
        edges = self._edges(edges_MeV)
        key = (edges.tobytes(), "dipole-templates", float(M_N))
        if key not in self._kernels:
            proc = self._process("dipole")
            T, w, K = self._kernel(edges, proc, float(M_N))
            tmpl = self.rates.dipole_templates(T, M_N, self.scatterer).sum(axis=0)  # (3, nT)
            out = (tmpl * w) @ K.T * self.exposure_t_yr
            out.setflags(write=False)
            self._kernels[key] = out
        return self._kernels[key].copy()

    def sm_counts(self, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """Observed Standard-Model solar-neutrino counts per bin (nu e elastic or CEvNS)."""
        return sum(self.sm_counts_by_component(edges_MeV).values())

    def sm_counts_by_component(self, edges_MeV: ArrayLike | None = None) -> dict[str, np.ndarray]:
        """Observed SM solar-neutrino counts per bin per source component (they sum to :meth:`sm_counts`).

        Model independent, so cached per binning.
        """
        edges = self._edges(edges_MeV)
        key = (edges.tobytes(), "sm-by-component")
        if key not in self._kernels:
            proc = self._process("sm")
            T, w, K = self._kernel(edges, proc, 0.0)
            per = (self.rates.sm_rate(T, self.scatterer) * w) @ K.T * self.exposure_t_yr
            per.setflags(write=False)
            self._kernels[key] = dict(zip(self.rates.component_names, per, strict=True))
        return dict(self._kernels[key])

    def expected_counts(
        self, model: DipolePortal, edges_MeV: ArrayLike | None = None
    ) -> dict[str, np.ndarray]:
        """Expected observed counts per bin: ``dipole``, ``sm_nu`` and, on the analysis bins, each background.

        Returns
        -------
        dict of str to numpy.ndarray
            ``"dipole"``, ``"sm_nu"``, and ``"background"`` (sum of backgrounds) plus one entry
            ``"bkg:<name>"`` per background when ``edges_MeV`` is None (backgrounds are defined on
            the analysis bins only).
        """
        out = {
            "dipole": np.einsum(
                "fb,f->b", self.signal_templates(model.mass_MeV, edges_MeV), model.mu_flavour**2
            ),
            "sm_nu": self.sm_counts(edges_MeV),
        }
        if edges_MeV is None:
            bkgs = self.backgrounds()
            total = np.zeros_like(out["sm_nu"])
            for b in bkgs:
                out[f"bkg:{b.name}"] = np.asarray(b.counts, dtype=float)
                total = total + b.counts
            out["background"] = total
        return out

    def smear(self, true_energy_MeV: ArrayLike, rng: np.random.Generator | int | None = None):
        """Apply the response event by event.

        Parameters
        ----------
        true_energy_MeV : array_like
            True recoil energies [MeV].
        rng : numpy.random.Generator or int or None
            Random generator or seed (reproducible).

        Returns
        -------
        E_obs_MeV, efficiency : numpy.ndarray
            Observed energies ``T + sigma(T) z`` and the efficiency at the observed energy, to be
            used as a per-event weight (0 outside the analysis window).
        """
        rng = np.random.default_rng(rng)
        T = np.asarray(true_energy_MeV, dtype=float)
        e_obs = T + self.resolution_MeV(T) * rng.standard_normal(T.shape)
        edges = self.analysis_edges_MeV()
        eff = np.where((e_obs >= edges[0]) & (e_obs <= edges[-1]), self.efficiency(e_obs), 0.0)
        return e_obs, eff

    # -- presentation ----------------------------------------------------------------------------
    def spectrum(self, model: DipolePortal, edges_MeV: ArrayLike | None = None) -> dict:
        """JSON-ready spectrum in the shape of CLI.md (``nugen spectrum --detector``)."""
        edges = self._edges(edges_MeV)
        counts = self.expected_counts(model, None if edges_MeV is None else edges)
        unit = ENERGY_UNITS_MEV[self.energy_unit]
        obs = self.observed() if edges_MeV is None else None
        result = {
            "detector": self.name,
            "target": self.target,
            "model": model.describe(),
            "energy_unit": self.energy_unit,
            "bin_edges": [float(v) for v in edges / unit],
            "exposure_t_yr": float(self.exposure_t_yr),
            "counts": {k: [float(v) for v in arr] for k, arr in counts.items() if not k.startswith("bkg:")},
            "background_components": {
                k[4:]: [float(v) for v in arr] for k, arr in counts.items() if k.startswith("bkg:")
            },
            "data": None if obs is None else [float(v) for v in obs],
            "sm_in_background": bool(self.sm_in_background),
            "settings": {k: v for k, v in self.settings.items()},
        }
        return result

    def info(self) -> list[tuple[str, str, str, str]]:
        """Rows (key, default, unit, description) of the settings, for ``nugen info``."""
        return [(s.key, str(s.default), s.unit, s.doc) for s in self.SETTINGS]

    def with_settings(self, **settings: object) -> Detector:
        """A new detector of the same kind with these settings changed (the others kept)."""
        return type(self)(**{**self.settings, **settings})

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.settings}>"


class CountingSearch(Detector):
    """A recast counting search, signal not ∝ mu^2 (N decays in a fiducial region): NOMAD, LSND, MiniBooNE.

    The published background contains any SM prediction, so ``sm_counts`` is zero; the limit comes from the
    detector's own module ``fits.<name>_limit`` through :meth:`signal_counts`, not from templates.
    """

    def signal_templates(self, M_N: float, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """Not available: the signal is not ∝ mu^2 (decay probability); use :meth:`signal_counts`."""
        msg = (
            f"the {type(self).__name__} dipole signal is not proportional to mu^2; use signal_counts "
            f"(fits.{self.name}_limit)"
        )
        raise InvalidParameterError(msg)

    def sm_counts(self, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """No separate SM prediction: the published background contains it (zeros)."""
        return np.zeros(self._edges(edges_MeV).size - 1)

    def sm_counts_by_component(self, edges_MeV: ArrayLike | None = None) -> dict[str, np.ndarray]:
        """No separate SM prediction (empty)."""
        return {}

    def expected_counts(self, model, edges_MeV: ArrayLike | None = None) -> dict[str, np.ndarray]:
        """``dipole`` (:meth:`signal_counts`), ``sm_nu`` (0); analysis bins: ``background``, ``bkg:*``."""
        out = {"dipole": self.signal_counts(model, edges_MeV), "sm_nu": self.sm_counts(edges_MeV)}
        if edges_MeV is None:
            for b in self.backgrounds():
                out[f"bkg:{b.name}"] = np.asarray(b.counts, dtype=float)
            out["background"] = sum(np.asarray(b.counts, dtype=float) for b in self.backgrounds())
        return out

    def _edges(self, edges_MeV: ArrayLike | None) -> np.ndarray:
        return self.analysis_edges_MeV() if edges_MeV is None else check_edges(edges_MeV)
