"""The (M_N, mu) region favoured by the MiniBooNE electron-like excess: a binned chi^2 on the 2018 release.

MiniBooNE cannot tell a photon from an electron, so the photons of N -> nu gamma can fill the excess of
electron-like events (Magill, Plestid, Pospelov, Tsai, PRD 98 (2018) 115015, arXiv:1803.03262; the green
region of Brdar, Greljo, Kopp, Opferkuch, JCAP 01 (2021) 039, arXiv:2007.15563, Fig. 3,
``fits/data/brdar2020_fig3_miniboone_roi.csv``). This module fits the nine E_QE bins (200-1250 MeV) of
MiniBooNE's 2018 release (PRL 121 (2018) 221801, arXiv:1805.12028; shipped as
``detectors/data/miniboone_bins_{nu,nubar}.csv``, ``miniboone_fraccov_{nu,nubar}.csv``,
``miniboone_numu_{nu,nubar}.csv``, copied from the release kept in Harvard-Neutrino/MicroBooNE-analysis-2021,
MicroTools/MB_data/data_release_2018/, commit 187d90b0bf).

* **Covariance** (:func:`release_covariance`): the release's fractional covariance F (30 x 30: full
  nu_mu -> nu_e transmutation 11 bins, nu_e-like background 11 bins, nu_mu CCQE 8 bins) turned absolute as
  the release prescribes, ``C_kl = F_kl P_k P_l`` with P the background and nu_mu CCQE predictions; per the
  release's header it holds the systematic errors and the prediction's statistical error. MiniBooNE
  constrains the nu_e prediction with its nu_mu CCQE data; here that is Gaussian conditioning of the
  background block on the nu_mu data d (with the data's Poisson variance added to the nu_mu block):
  ``b' = b + C_bn (C_nn + diag d)^-1 (d - p)``, ``C' = C_bb - C_bn (C_nn + diag d)^-1 C_nb``
  (``background="constrained"``, the default; it reproduces the derived rows of
  ``detectors/data/miniboone_params.csv``: 1610.051 +- 79.002 (syst) in neutrino mode). ``"release"``
  keeps the released b and the unconstrained ``C_bb`` (variant).
* **Signal**: ``s_i(M_N, mu)`` photons per release bin from
  :meth:`detectors.miniboone.MiniBooNE.binned_signal_counts` (coherent up-scattering + N decay in the
  fiducial sphere; true photon E_QE, no energy smearing).
* **chi^2**: ``chi2 = (n - b' - s)^T (C' + diag s)^-1 (n - b' - s)`` over the nine bins; ``diag s`` is the
  signal's Poisson variance (C' carries the background's). The signal's systematic errors are not included
  (the transmutation block of F is for an oscillated nu_e sample, not for photons of N). ``mode="both"``
  adds the nu and nubar chi^2 (the release's combined matrix, which correlates the modes, is not used).
* **Region**: chi^2 on a grid of masses x couplings (the signal of all couplings at one mass costs
  O(nodes) each, see :meth:`~detectors.miniboone.MiniBooNE.binned_photons_per_pot`), the minimum refined in
  ln mu at every mass (:func:`scipy.optimize.minimize_scalar`), and ``Delta chi2 < 4.61`` (90 %) /
  ``5.99`` (95 %) for two parameters (Wilks; not exact here: at mu = 0 the mass is undefined, and mu >= 0).

Usage: ``favoured_region()`` (defaults: nu mode, 40 masses 20-1000 MeV, 321 couplings 1e-10-1e-6 mu_B);
``python scripts/miniboone_favoured_region.py`` writes the table and the figure. Results and the
comparison with Brdar et al.'s box are in docs/card_notes/miniboone.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import chdtrc

from detectors.miniboone import RELEASE_EDGES_MEV
from fits.region import region_threshold
from nugen.errors import InvalidParameterError
from nugen.model import DipolePortal

__all__ = [
    "BACKGROUNDS",
    "DCHI2_90",
    "DCHI2_95",
    "FavouredRegion",
    "brdar_box",
    "chi2_bins",
    "favoured_region",
    "release_covariance",
    "signal_table",
]

#: Delta chi^2 of the 90 % and 95 % regions for two parameters (``chi2.ppf(cl, 2)``).
DCHI2_90 = region_threshold(0.90, 2)
DCHI2_95 = region_threshold(0.95, 2)
#: Background choices of :func:`release_covariance`.
BACKGROUNDS = ("constrained", "release")
_N_BINS = len(RELEASE_EDGES_MEV) - 1  # 200-1250 MeV: nine
_BKG = slice(11, 11 + _N_BINS)  # rows of the nu_e-like background block inside F
_NUMU = slice(22, 30)


def release_covariance(mode: str = "nu", background: str = "constrained") -> tuple[np.ndarray, ...]:
    """Observed counts, background and its absolute covariance in the nine 200-1250 MeV bins of ``mode``.

    See the module docstring for the recipe (the release's fractional covariance, conditioned on the nu_mu
    CCQE data for ``background="constrained"``).

    Parameters
    ----------
    mode : {"nu", "nubar"}
        Beam mode.
    background : {"constrained", "release"}
        Conditioned on the nu_mu CCQE data (default) or the released prediction with its unconstrained
        covariance.

    Returns
    -------
    n_obs, bkg : numpy.ndarray
        Observed events and background [events] per bin, shape (9,).
    cov : numpy.ndarray
        Absolute covariance of the background [events^2], shape (9, 9), including its statistical part.
    """
    from detectors import data

    if mode not in ("nu", "nubar"):
        msg = f"mode must be 'nu' or 'nubar', got {mode!r}"
        raise InvalidParameterError(msg)
    if background not in BACKGROUNDS:
        msg = f"background must be one of {', '.join(BACKGROUNDS)}; got {background!r}"
        raise InvalidParameterError(msg)
    bins = data.read(f"miniboone_bins_{mode}.csv", required=("n_obs", "bkg"))
    numu = data.read(f"miniboone_numu_{mode}.csv", required=("pred", "n_obs"))
    t = data.read(f"miniboone_fraccov_{mode}.csv")
    F = np.array([np.asarray(t[f"f{k:02d}"], dtype=float) for k in range(30)]).T
    n = np.asarray(bins["n_obs"], dtype=float)
    b = np.asarray(bins["bkg"], dtype=float)
    p = np.asarray(numu["pred"], dtype=float)
    d = np.asarray(numu["n_obs"], dtype=float)
    Cbb = F[_BKG, _BKG] * np.outer(b, b)
    if background == "release":
        return n, b, Cbb
    Cbn = F[_BKG, _NUMU] * np.outer(b, p)
    A = F[_NUMU, _NUMU] * np.outer(p, p) + np.diag(d)
    b_c = b + Cbn @ np.linalg.solve(A, d - p)
    C_c = Cbb - Cbn @ np.linalg.solve(A, Cbn.T)
    return n, b_c, 0.5 * (C_c + C_c.T)


def chi2_bins(n_obs: np.ndarray, bkg: np.ndarray, cov: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """``(n - b - s)^T (C + diag s)^-1 (n - b - s)`` for a stack of signals (vectorised).

    Parameters
    ----------
    n_obs, bkg : numpy.ndarray
        Observed events and background per bin, shape (k,).
    cov : numpy.ndarray
        Background covariance [events^2], shape (k, k).
    signal : numpy.ndarray
        Signal events per bin, shape (..., k).

    Returns
    -------
    numpy.ndarray
        chi^2, shape ``signal.shape[:-1]``.
    """
    s = np.asarray(signal, dtype=float)
    r = n_obs - bkg - s
    k = s.shape[-1]
    C = cov + s[..., :, None] * np.eye(k)
    x = np.linalg.solve(C, r[..., None])[..., 0]
    return np.einsum("...i,...i->...", r, x)


def signal_table(
    detector, mass_MeV: float, mu_muB: Sequence[float], mode: str, pattern: np.ndarray, nature: str
) -> np.ndarray:
    """Signal events per release bin at one mass for every coupling: shape (len(mu_muB), 9)."""
    return np.array(
        [
            detector.binned_signal_counts(
                DipolePortal(float(mass_MeV), tuple(float(mu) * pattern), nature=nature), mode
            )
            for mu in mu_muB
        ]
    )


@dataclass(frozen=True)
class FavouredRegion:
    """Result of :func:`favoured_region`.

    Attributes
    ----------
    masses_MeV, mu_muB : numpy.ndarray
        The grid: masses [MeV] (nM,) and couplings [mu_B] (nmu,).
    chi2 : numpy.ndarray
        chi^2 on the grid, shape (nM, nmu).
    profile_mu_muB, profile_chi2 : numpy.ndarray
        Per mass, the coupling of minimum chi^2 (refined between grid points) and that minimum (nM,).
    chi2_background : float
        chi^2 at mu = 0.
    best_mass_MeV, best_mu_muB, chi2_best : float
        The best fit (the smallest of ``profile_chi2``).
    n_bins : int
        Bins in the fit (9 per mode).
    modes : tuple of str
        Beam modes fitted.
    background : str
        Background choice (:data:`BACKGROUNDS`).
    """

    masses_MeV: np.ndarray
    mu_muB: np.ndarray
    chi2: np.ndarray
    profile_mu_muB: np.ndarray
    profile_chi2: np.ndarray
    chi2_background: float
    best_mass_MeV: float
    best_mu_muB: float
    chi2_best: float
    n_bins: int
    modes: tuple[str, ...]
    background: str
    settings: dict = field(default_factory=dict)

    @property
    def delta_chi2(self) -> np.ndarray:
        """chi^2 - chi2_best on the grid."""
        return self.chi2 - self.chi2_best

    def mask(self, cl: float) -> np.ndarray:
        """Grid points inside the region at ``cl``: Delta chi^2 below :func:`fits.region.region_threshold`."""
        if not 0.0 < float(cl) < 1.0:
            msg = f"cl must be in (0, 1), got {cl!r}"
            raise InvalidParameterError(msg)
        return self.delta_chi2 < region_threshold(float(cl), 2)

    @property
    def mask90(self) -> np.ndarray:
        """Grid points inside the 90 % region (Delta chi^2 < 4.61)."""
        return self.mask(0.90)

    @property
    def mask95(self) -> np.ndarray:
        """Grid points inside the 95 % region (Delta chi^2 < 5.99)."""
        return self.mask(0.95)

    @property
    def ndf(self) -> int:
        """Degrees of freedom at the best fit: bins - 2."""
        return self.n_bins - 2

    @property
    def delta_chi2_background(self) -> float:
        """chi^2(background only) - chi^2(best fit)."""
        return self.chi2_background - self.chi2_best

    @property
    def p_value_background(self) -> float:
        """p-value of background only from Delta chi^2 with two dof (Wilks; not exact here)."""
        return float(chdtrc(2, self.delta_chi2_background))

    def extent(self, cl: float = 0.90) -> dict | None:
        """Mass and coupling range of the region at ``cl`` on the grid; None if empty."""
        mask = self.mask(cl)
        if not mask.any():
            return None
        im = np.flatnonzero(mask.any(axis=1))
        jm = np.flatnonzero(mask.any(axis=0))
        return {
            "M_min_MeV": float(self.masses_MeV[im[0]]),
            "M_max_MeV": float(self.masses_MeV[im[-1]]),
            "mu_min_muB": float(self.mu_muB[jm[0]]),
            "mu_max_muB": float(self.mu_muB[jm[-1]]),
        }

    def summary(self) -> dict:
        """JSON-ready summary: best fit, chi^2 values, p-value, region extents, Brdar box overlap."""
        box = brdar_box()
        out = {
            "modes": list(self.modes),
            "background": self.background,
            "settings": {
                k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in self.settings.items()
            },
            "best_fit": {"M_N_MeV": self.best_mass_MeV, "mu_muB": self.best_mu_muB, "chi2": self.chi2_best},
            "chi2_background": self.chi2_background,
            "delta_chi2_background": self.delta_chi2_background,
            "p_value_background_2dof": self.p_value_background,
            "n_bins": self.n_bins,
            "ndf": self.ndf,
            "chi2_per_ndf": self.chi2_best / self.ndf,
            "region90": self.extent(0.90),
            "region95": self.extent(0.95),
            "brdar_box": box,
        }
        inside = np.outer(
            (self.masses_MeV >= box["M_min_MeV"]) & (self.masses_MeV <= box["M_max_MeV"]),
            (self.mu_muB >= box["mu_min_muB"]) & (self.mu_muB <= box["mu_max_muB"]),
        )
        out["box_grid_points"] = int(inside.sum())
        for cl in (90, 95):
            out[f"overlap{cl}_grid_points"] = int((self.mask(cl / 100) & inside).sum())
        return out


def brdar_box() -> dict:
    """Extent (M_N [MeV], mu [mu_B]) of Brdar et al.'s green MiniBooNE region.

    From ``fits/data/brdar2020_fig3_miniboone_roi.csv`` (JCAP 01 (2021) 039, Fig. 3, 90 % CL).
    """
    from fits.data import read

    t = read("brdar2020_fig3_miniboone_roi.csv")
    M = np.asarray(t["M_N_MeV"], dtype=float)
    mu = np.asarray(t["mu_muB"], dtype=float)
    return {
        "M_min_MeV": float(M.min()),
        "M_max_MeV": float(M.max()),
        "mu_min_muB": float(mu.min()),
        "mu_max_muB": float(mu.max()),
    }


def favoured_region(
    masses_MeV: Sequence[float] | None = None,
    mu_muB: Sequence[float] | None = None,
    *,
    mode: str = "nu",
    background: str = "constrained",
    flavour: str | Sequence[float] = "mu",
    nature: str = "dirac",
    data: dict[str, np.ndarray] | None = None,
    refine: bool = True,
    detector=None,
    **settings: object,
) -> FavouredRegion:
    """chi^2 of the MiniBooNE bins on a grid of (M_N, mu) and the favoured region (module docstring).

    Parameters
    ----------
    masses_MeV : sequence of float, optional
        Masses [MeV] (default 40 log-spaced, 20-1000 MeV).
    mu_muB : sequence of float, optional
        Couplings [mu_B] (default 321 log-spaced, 1e-10-1e-6), increasing.
    mode : {"nu", "nubar", "both"}
        Beam mode(s) fitted.
    background : {"constrained", "release"}
        See :func:`release_covariance`.
    flavour : str or sequence of float
        Flavour pattern of the coupling (default nu_mu).
    nature : {"dirac", "majorana"}
        Nature of N.
    data : dict, optional
        Replaces the observed counts per mode (``{"nu": array of 9}``), e.g. Asimov data b' + s.
    refine : bool
        Refine the minimum in ln mu at every mass (between the grid neighbours of the grid minimum).
    detector : detectors.miniboone.MiniBooNE, optional
        Built from ``mode`` and ``settings`` when not given.
    **settings
        Settings of the MiniBooNE detector (e.g. ``efficiency``, ``binding_energy_MeV``, ``n_mc``).

    Returns
    -------
    FavouredRegion
    """
    from scipy.optimize import minimize_scalar

    from detectors import get_detector
    from fits.likelihood import flavour_pattern

    if mode not in ("nu", "nubar", "both"):
        msg = f"mode must be nu, nubar or both; got {mode!r}"
        raise InvalidParameterError(msg)
    modes = ("nu", "nubar") if mode == "both" else (mode,)
    masses = np.geomspace(20.0, 1000.0, 40) if masses_MeV is None else np.asarray(masses_MeV, dtype=float)
    mus = np.geomspace(1e-10, 1e-6, 321) if mu_muB is None else np.asarray(mu_muB, dtype=float)
    if masses.ndim != 1 or masses.size < 1 or not np.all(masses > 0):
        msg = "masses_MeV must be a non-empty list of positive masses"
        raise InvalidParameterError(msg)
    if mus.ndim != 1 or mus.size < 3 or not np.all(mus > 0) or not np.all(np.diff(mus) > 0):
        msg = "mu_muB must be at least three increasing positive couplings"
        raise InvalidParameterError(msg)
    det = get_detector("miniboone", mode=mode, **settings) if detector is None else detector
    for m in modes:
        if m not in det.modes:
            msg = f"the detector's mode setting {det.settings['mode']!r} lacks beam mode {m!r}"
            raise InvalidParameterError(msg)
    pattern = flavour_pattern(flavour)
    inputs = {}
    for m in modes:
        n, b, C = release_covariance(m, background)
        if data is not None and m in data:
            n = np.asarray(data[m], dtype=float)
            if n.shape != (_N_BINS,):
                msg = f"data[{m!r}] must hold {_N_BINS} counts, got shape {n.shape}"
                raise InvalidParameterError(msg)
        inputs[m] = (n, b, C)

    def chi2_at(M: float, mu_values: np.ndarray) -> np.ndarray:
        tot = np.zeros(len(mu_values))
        for m in modes:
            s = signal_table(det, M, mu_values, m, pattern, nature)
            tot += chi2_bins(*inputs[m], s)
        return tot

    chi2_bkg = float(sum(chi2_bins(*inputs[m], np.zeros(_N_BINS)) for m in modes))
    table = np.array([chi2_at(M, mus) for M in masses])
    prof_mu = np.empty(masses.size)
    prof_chi2 = np.empty(masses.size)
    for i, M in enumerate(masses):
        j = int(np.argmin(table[i]))
        prof_mu[i], prof_chi2[i] = mus[j], table[i, j]
        if refine and 0 < j < mus.size - 1:
            res = minimize_scalar(
                lambda x, M=M: float(chi2_at(M, np.array([math.exp(x)]))[0]),
                bounds=(math.log(mus[j - 1]), math.log(mus[j + 1])),
                method="bounded",
                options={"xatol": 1e-5},
            )
            if res.fun < prof_chi2[i]:
                prof_mu[i], prof_chi2[i] = math.exp(res.x), float(res.fun)
    k = int(np.argmin(prof_chi2))
    best = min(float(prof_chi2[k]), chi2_bkg)
    return FavouredRegion(
        masses_MeV=masses,
        mu_muB=mus,
        chi2=table,
        profile_mu_muB=prof_mu,
        profile_chi2=prof_chi2,
        chi2_background=chi2_bkg,
        best_mass_MeV=float(masses[k]),
        best_mu_muB=float(prof_mu[k]),
        chi2_best=best,
        n_bins=_N_BINS * len(modes),
        modes=modes,
        background=background,
        settings={**{str(k): v for k, v in det.settings.items()}, "flavour": str(flavour), "nature": nature},
    )
