"""Stopped-pion (decay-at-rest) neutrino source: pi+ -> mu+ nu_mu, then mu+ -> e+ nu_e nubar_mu, at rest.

Registry name ``lsnd_dar`` (the beam stop of LANSCE / LAMPF seen by LSND). The spectra are analytic, so
nothing is tabulated; only the normalisation depends on the experiment:

* **Exposure unit: one pi+ decaying at rest** (``exposure_unit = "pi+ DAR"``). Each stopped pi+ yields
  exactly one nu_mu, and its mu+ (which also stops: its range is ~1 mm) one nu_e and one nubar_mu, all
  isotropic, so the flux of each component at a distance L from the stop is ``1 / (4 pi L^2)`` per pi+
  decay [cm^-2]. The number of stopped pi+ of an experiment (protons on target times pi+ DAR per proton)
  is the detector's business (``detectors/data/lsnd_params.csv``). pi- are captured by nuclei and mu-
  are mostly captured, so their (small) nubar_e / nu_e flux is not included.
* **nu_mu line** (``numu``): two-body decay of the pi+ at rest,
  ``E = (m_pi^2 - m_mu^2) / (2 m_pi) = 29.79 MeV`` (massless neutrino; PDG masses below).
* **nu_e and nubar_mu** (``nue``, ``numubar``): the Michel spectra of mu+ decay at rest without
  radiative corrections, electron mass neglected in the shape, in ``x = E / E_max`` with
  ``E_max = (m_mu^2 - m_e^2) / (2 m_mu) = 52.83 MeV``:

  - nu_e: ``dN/dx = 12 x^2 (1 - x)`` (mean ``<x> = 3/5``);
  - nubar_mu: ``dN/dx = 2 x^2 (3 - 2 x)`` (mean ``<x> = 7/10``),

  the V-A (Michel parameter rho = 3/4) spectra of the neutrinos in mu decay: L. Michel, Proc. Phys. Soc.
  A 63 (1950) 514; C. Bouchiat and L. Michel, Phys. Rev. 106 (1957) 170; e.g. C. Giunti and C. W. Kim,
  "Fundamentals of Neutrino Physics and Astrophysics" (OUP 2007), Sec. on pion and muon decay; used with
  these formulas for stopped-pion sources in the LSND analyses (C. Athanassopoulos et al., NIM A 388
  (1997) 149) and by COHERENT. Both integrate to 1 on [0, 1].
* **Flavour evolution**: none (L ~ 30 m, E ~ 30 MeV: Delta m^2_31 L / 4E ~ 1e-3); the arrival
  probabilities are the identity.

Masses: m_mu and m_e from :mod:`scipy.constants` (CODATA); m_pi+ = 139.57039 MeV (PDG, R. L. Workman et
al., PTEP 2022 (2022) 083C01; not in CODATA).

Examples
--------
>>> from nugen.sources import get_source
>>> src = get_source("lsnd_dar")
>>> round(src.component("numu").line_energy_MeV, 2)
29.79
>>> round(src.component("nue").pdf.mean(), 2)  # 0.6 E_max
31.7
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.constants as _sc
from numpy.typing import ArrayLike

from nugen.constants import M_E
from nugen.errors import InvalidParameterError
from nugen.sources.base import ShortBaselineSource, SourceComponent

__all__ = [
    "E_MICHEL_MAX_MEV",
    "E_NUMU_LINE_MEV",
    "M_MU_MEV",
    "M_PI_MEV",
    "DecayAtRestSource",
    "MichelPdf",
]

#: Muon mass [MeV] (CODATA, via scipy.constants).
M_MU_MEV: float = _sc.physical_constants["muon mass energy equivalent in MeV"][0]
#: Charged-pion mass [MeV] (PDG 2022, R. L. Workman et al., PTEP 2022 083C01).
M_PI_MEV: float = 139.57039
#: nu_mu energy of pi+ -> mu+ nu_mu at rest [MeV]: (m_pi^2 - m_mu^2) / (2 m_pi).
E_NUMU_LINE_MEV: float = (M_PI_MEV**2 - M_MU_MEV**2) / (2.0 * M_PI_MEV)
#: Largest neutrino energy of mu+ decay at rest [MeV]: (m_mu^2 - m_e^2) / (2 m_mu).
E_MICHEL_MAX_MEV: float = (M_MU_MEV**2 - M_E**2) / (2.0 * M_MU_MEV)

# polynomial coefficients (in x = E / E_max, ascending powers) of the normalised spectra and their CDFs
_SHAPES = {
    "nue": ((0.0, 0.0, 12.0, -12.0), (0.0, 0.0, 0.0, 4.0, -3.0)),  # 12 x^2 (1 - x); 4 x^3 - 3 x^4
    "numubar": ((0.0, 0.0, 6.0, -4.0), (0.0, 0.0, 0.0, 2.0, -1.0)),  # 2 x^2 (3 - 2 x); 2 x^3 - x^4
}


@dataclass(frozen=True)
class MichelPdf:
    """Normalised Michel neutrino spectrum of mu+ decay at rest [MeV^-1] (picklable, vectorised).

    Parameters
    ----------
    kind : {"nue", "numubar"}
        ``12 x^2 (1 - x)`` (nu_e) or ``2 x^2 (3 - 2 x)`` (nubar_mu), ``x = E / E_max``.
    E_max_MeV : float
        Endpoint [MeV] (default :data:`E_MICHEL_MAX_MEV`).

    Notes
    -----
    The CDF is the exact polynomial; :meth:`ppf` inverts it by Newton steps from a bisection start
    (the CDF is strictly increasing on (0, 1)), to ~1e-12 in x.
    """

    kind: str
    E_max_MeV: float = E_MICHEL_MAX_MEV
    E_MeV: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in _SHAPES:
            msg = f"Michel spectrum kind must be one of {', '.join(_SHAPES)}, got {self.kind!r}"
            raise InvalidParameterError(msg)
        if not self.E_max_MeV > 0:
            msg = f"E_max_MeV must be > 0, got {self.E_max_MeV!r}"
            raise InvalidParameterError(msg)
        # the support's ends, for quadrature helpers that look for grid points
        object.__setattr__(self, "E_MeV", np.array([0.0, float(self.E_max_MeV)]))

    def _x(self, E_MeV: ArrayLike) -> np.ndarray:
        return np.asarray(E_MeV, dtype=float) / self.E_max_MeV

    def __call__(self, E_MeV: ArrayLike) -> np.ndarray:
        """Probability density [MeV^-1] at ``E_MeV`` (zero outside [0, E_max])."""
        x = self._x(E_MeV)
        val = np.polynomial.polynomial.polyval(x, _SHAPES[self.kind][0]) / self.E_max_MeV
        return np.where((x >= 0.0) & (x <= 1.0), val, 0.0)

    def cdf(self, E_MeV: ArrayLike) -> np.ndarray:
        """Cumulative distribution at ``E_MeV`` (exact polynomial)."""
        x = np.clip(self._x(E_MeV), 0.0, 1.0)
        return np.clip(np.polynomial.polynomial.polyval(x, _SHAPES[self.kind][1]), 0.0, 1.0)

    def mean(self) -> float:
        """Mean energy [MeV]: 3/5 E_max (nu_e) or 7/10 E_max (nubar_mu), from the polynomial."""
        c = _SHAPES[self.kind][0]
        return float(sum(ck / (k + 2) for k, ck in enumerate(c)) * self.E_max_MeV)

    def ppf(self, u: ArrayLike) -> np.ndarray:
        """Inverse CDF [MeV] of ``u`` in [0, 1] (vectorised: 40 bisection + 4 Newton steps)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        cdf_c = _SHAPES[self.kind][1]
        pdf_c = _SHAPES[self.kind][0]
        lo, hi = np.zeros_like(u), np.ones_like(u)
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            below = np.polynomial.polynomial.polyval(mid, cdf_c) < u
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        x = 0.5 * (lo + hi)
        for _ in range(4):
            d = np.polynomial.polynomial.polyval(x, pdf_c)
            resid = np.polynomial.polynomial.polyval(x, cdf_c) - u
            step = np.where(d > 1e-12, resid / np.maximum(d, 1e-12), 0.0)
            x = np.clip(x - step, lo, hi)
        return x * self.E_max_MeV

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` energies [MeV] drawn by inverse CDF with ``rng``."""
        return self.ppf(rng.random(n))


class DecayAtRestSource(ShortBaselineSource):
    """Neutrinos of pi+ and mu+ decay at rest at a distance ``distance_m``; flux per stopped pi+.

    Parameters
    ----------
    distance_m : float
        Distance from the beam stop to the detector [m] (default 29.8 m: LSND's centre, UNVERIFIED in
        ``detectors/data/lsnd_params.csv``). Only the normalisation ``1 / (4 pi L^2)`` depends on it.

    Attributes
    ----------
    components : tuple of SourceComponent
        ``numu`` (line at :data:`E_NUMU_LINE_MEV`), ``nue`` (Michel), ``numubar`` (Michel), each with
        flux ``1 / (4 pi L^2)`` [cm^-2 per pi+ DAR].

    Examples
    --------
    >>> src = DecayAtRestSource(distance_m=29.8)
    >>> f"{src.component('nue').flux:.4e}"  # cm^-2 per stopped pi+
    '8.9610e-09'
    """

    name = "lsnd_dar"
    exposure_unit = "pi+ DAR"

    def __init__(self, distance_m: float = 29.8):
        try:
            L = float(distance_m)
        except (TypeError, ValueError):
            L = math.nan
        if not (math.isfinite(L) and L > 0):
            msg = f"distance_m must be a positive number of metres, got {distance_m!r}"
            raise InvalidParameterError(msg)
        self.distance_m = L
        flux = 1.0 / (4.0 * math.pi * (L * 100.0) ** 2)
        e_max = E_MICHEL_MAX_MEV
        self.components = (
            SourceComponent("numu", flux, E_NUMU_LINE_MEV, E_NUMU_LINE_MEV, None, E_NUMU_LINE_MEV, "mu"),
            SourceComponent("nue", flux, 0.0, e_max, MichelPdf("nue"), None, "e", False),
            SourceComponent("numubar", flux, 0.0, e_max, MichelPdf("numubar"), None, "mu", True),
        )

    def describe(self) -> dict:
        """Name, components and ``distance_m`` (``get_source("lsnd_dar", distance_m=...)`` rebuilds it)."""
        return {**super().describe(), "distance_m": self.distance_m}

    def mean_energy_MeV(self, component: SourceComponent | str) -> float:
        """Mean energy [MeV] of ``component`` (the line energy for ``numu``)."""
        c = self.component(component) if isinstance(component, str) else component
        return float(c.line_energy_MeV) if c.is_line else c.pdf.mean()

    def __repr__(self) -> str:
        return f"<DecayAtRestSource L={self.distance_m:g} m: numu, nue, numubar>"
