"""MiniBooNE: the electron-like (nu_e CCQE) sample of the 2018 oscillation search, recast for the dipole.

MiniBooNE's Cherenkov detector does not tell a photon shower from an electron shower, so a photon of
N -> nu gamma looks like a nu_e CCQE electron (the idea behind the dipole explanations of the excess;
G. Magill, R. Plestid, M. Pospelov, Y.-D. Tsai, PRD 98 (2018) 115015, arXiv:1803.03262, whose curve
``docs/card_notes/miniboone.md`` compares with). Magill et al.'s own MiniBooNE criterion could not be read
(only their abstract is readable here), so this module states its own, on MiniBooNE's published counts.
Every input is in ``detectors/data/miniboone_params.csv`` with its source and status (V = quoted from an
abstract or the public data release, U = UNVERIFIED, D = derived).

* **Data** (PRL 121 (2018) 221801, arXiv:1805.12028, abstract; its public "lowe" data release): one
  Poisson bin per beam mode over 200 < E_QE < 1250 MeV (setting ``mode``: ``nu``, ``nubar`` or ``both``).
  Neutrino mode, 12.84e20 POT: 1959 observed, released background 1590.6 with a systematic error of
  79.0 events after the in-situ nu_mu CCQE constraint (derived from the released covariance:
  ``miniboone_params.csv`` header). Antineutrino mode, 11.27e20 POT: 478 observed over 398.2 +- 23.0.
  Setting ``background`` picks the central value: ``release`` (default), ``constrained`` (moved by the
  nu_mu constraint: 1610.1 / 402.6) or ``abstract`` (neutrino bin only: 1959 - 381.2 = 1577.8 +- 75.4).
* **Signal**: coherent nu A -> N A up-scattering on the nuclei of the mineral oil (``mineral_oil``
  target: C12, C13 and H2 coherent with their form factor; H1 the free proton, elastic with its
  Dirac and Pauli form factors, :mod:`nugen.xsec.nucleon`) inside the fiducial volume, sampled with
  :func:`nugen.beam_events.sample_scatterings` from every flux component of the mode's Booster Neutrino
  Beam table (:class:`nugen.sources.beams.MiniBooNEBeam`, ``numu`` / ``numubar``: wrong-sign neutrinos
  included), the photon of N -> nu gamma drawn with :func:`nugen.decays.photon_four_momenta` (angular
  asymmetry :func:`nugen.decays.helicity_factor`), its reconstructed E_QE (:func:`photon_e_qe`) inside the
  window, times the probability that N decays inside the fiducial sphere (:func:`sphere_decay_probability`,
  production uniform in the sphere, N along the beam axis), times ``efficiency``:
  ``s = efficiency x POT x M_fid x sum_f mu_f^2 sum_k w_k A_k Pbar(lambda_k)``. ``s ∝ mu^2`` for prompt
  decays and ``∝ mu^4`` for long-lived N. Per release E_QE bin (200 300 375 475 550 675 800 950 1100
  1250 MeV): :meth:`MiniBooNE.binned_signal_counts`, whose sum is :meth:`MiniBooNE.signal_counts`.
  ``Pbar`` is evaluated on a grid in ln |p_N| (step 0.01) on which the accepted weight is deposited once
  per mass, so each coupling costs O(grid) instead of O(events) (<= 1e-5 relative from the per-event
  sum, ``exact=True``; limits move by <= 2e-6).
* **Geometry**: a fiducial sphere of 445 t (Jordan et al., arXiv:1810.07185) at an oil density of 0.845
  g/cm^3 (UNVERIFIED): radius 5.01 m (setting ``fiducial_radius_m``).
* **Efficiency** (UNVERIFIED): not public in what was read; setting ``efficiency``, default 1.
* **Window**: setting ``window`` = ``200-1250`` (default) or ``200-475`` (the low-energy excess: the
  release's first three bins, 1093 observed over 816.4 +- 70.2 in neutrino mode).
* **Dirt** (optional, off by default; geometry UNVERIFIED): setting ``dirt_length_m`` adds N made in a
  slab of SiO2 (``glass`` target, density ``dirt_density``) in the sphere's shadow ending ``dirt_gap_m``
  before it, decaying in the fiducial sphere (:func:`dirt_decay_probability`). In the long-lived regime it
  dominates (490 m: signal x 670 at 10 MeV, limit x 0.20; docs/card_notes/miniboone.md).

Not modelled: N produced in the outer tank (and in the dirt unless ``dirt_length_m`` is set), incoherent
up-scattering on the nucleons bound in carbon (nugen has it, process ``dipole_N``, opt-in; not used here:
docs/card_notes/nucleon_channel.md), Dalitz-like meson decays in the target,
MiniBooNE's energy resolution and the shape of the excess in the limit (one bin; the per-bin spectrum
is used by ``fits.miniboone_region``), the nu / nubar background
correlation (``both`` treats the bins as independent). The limit is ``fits.miniboone_limit`` (registered
for "miniboone" in ``fits.limits.LIMIT_METHODS``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.constants import physical_constants

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
from nugen.constants import M_E
from nugen.decays import helicity_factor, photon_four_momenta
from nugen.errors import InvalidParameterError, KinematicsError
from nugen.model import DipolePortal
from nugen.rates import check_edges
from nugen.sources import get_source
from nugen.targets import get_target
from nugen.xsec.form_factors import FORM_FACTOR_MODELS

__all__ = [
    "BACKGROUNDS",
    "LN_P_STEP",
    "MODES",
    "RELEASE_EDGES_MEV",
    "WINDOWS",
    "MiniBooNE",
    "dirt_decay_probability",
    "params",
    "photon_e_qe",
    "sphere_decay_probability",
]

#: Beam modes of the setting ``mode`` and the flux table each bin uses.
MODES = ("nu", "nubar", "both")
_BEAM_MODE = {"nu": "numu", "nubar": "numubar"}
#: Choices of the background central value (setting ``background``).
BACKGROUNDS = ("release", "constrained", "abstract")
#: Choices of the E_QE window (setting ``window``): release bins 1-9 or 1-3.
WINDOWS = ("200-1250", "200-475")
_FLAVOUR_INDEX = {"e": 0, "mu": 1, "tau": 2}
_M_N = physical_constants["neutron mass energy equivalent in MeV"][0]
_M_P = physical_constants["proton mass energy equivalent in MeV"][0]
#: Edges [MeV] of the E_QE bins of the 2018 data release (miniboone_binboundaries_nue_lowe.txt, first ten).
RELEASE_EDGES_MEV = np.array([200.0, 300.0, 375.0, 475.0, 550.0, 675.0, 800.0, 950.0, 1100.0, 1250.0])
#: Spacing of the ln |p_N| nodes on which the decay probability is evaluated (``MiniBooNE._nodes``).
LN_P_STEP = 0.01
#: Gauss-Legendre nodes of the fiducial-sphere average (relative error < 1e-8 down to lambda = R / 100).
_N_NODES = 24


def params() -> dict[str, float]:
    """The numeric rows of ``detectors/data/miniboone_params.csv`` as ``{quantity: value}``."""
    return data.parameters("miniboone_params.csv", "quantity")


def _p(key: str) -> float:
    return data.parameter("miniboone_params.csv", key, "quantity")


def photon_e_qe(E_MeV: ArrayLike, cos_theta: ArrayLike, binding_energy_MeV: float = 34.0) -> np.ndarray:
    """Reconstructed neutrino energy E_QE [MeV] of a shower taken as the electron of nu_e n -> e- p.

    ``E_QE = (2 M' E - (M'^2 + m_e^2 - M_p^2)) / (2 (M' - E + p cos theta))`` with ``M' = M_n - E_B``
    (two-body CCQE kinematics on a neutron bound by ``E_B``, the form MiniBooNE uses; formula and
    ``E_B = 34 MeV`` UNVERIFIED here), applied to a photon shower with ``p = sqrt(E^2 - m_e^2)``.

    Parameters
    ----------
    E_MeV : array_like
        Shower energy [MeV].
    cos_theta : array_like
        Cosine of its angle to the beam axis.
    binding_energy_MeV : float
        E_B [MeV].
    """
    E = np.asarray(E_MeV, dtype=float)
    c = np.asarray(cos_theta, dtype=float)
    m = _M_N - float(binding_energy_MeV)
    p = np.sqrt(np.maximum(E * E - M_E * M_E, 0.0))
    return (2.0 * m * E - (m * m + M_E * M_E - _M_P * _M_P)) / (2.0 * (m - E + p * c))


def _radius(radius: float) -> float:
    """``radius`` as a float, or :class:`InvalidParameterError` unless it is > 0."""
    R = float(radius)
    if not R > 0:
        msg = f"radius must be > 0, got {radius!r}"
        raise InvalidParameterError(msg)
    return R


def _sphere_decay_probability_quadrature(radius: float, decay_length: ArrayLike) -> np.ndarray:
    """Reference (direct quadrature) for :func:`sphere_decay_probability`.

    Probability that N, produced uniformly in a sphere and flying along a fixed axis, decays inside it.

    A production point at impact parameter b sits on a chord of length ``c = 2 sqrt(R^2 - b^2)``,
    uniformly along it, so its decay probability averaged along the chord is
    :func:`nugen.decays.path_averaged_decay_probability` ``(0, c, c, lambda)``; the chords are weighted
    by their volume ``2 pi b c db``. With ``h = c / 2`` (``b db = -h dh``):
    ``P = (3 / R^3) int_0^R h^2 Pchord(2h) dh``, done by Gauss-Legendre quadrature. Limits:
    ``P -> 1`` for ``lambda << R`` and ``P -> 3 R / (4 lambda)`` for ``lambda >> R``.

    Parameters
    ----------
    radius : float
        Sphere radius R [cm] (> 0).
    decay_length : array_like
        Lab decay length lambda [cm] per event.
    """
    R = _radius(radius)
    lam = np.asarray(decay_length, dtype=float)
    x, wq = np.polynomial.legendre.leggauss(_N_NODES)
    h = 0.5 * R * (x + 1.0)
    w = 0.5 * R * wq * h * h * 3.0 / R**3
    flat = lam.reshape(-1)
    # path_averaged_decay_probability(0, c, c, lambda) in closed form, all chords at once:
    # 1 + (lambda / c) expm1(-c / lambda), with its series c/(2 lambda) - c^2/(6 lambda^2) for lambda >> c
    c = 2.0 * h[:, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = np.where(flat > 0, flat, 1.0)[None, :]
        r = c / x
        chord = np.where(r < 1e-4, 0.5 * r - r * r / 6.0, 1.0 + np.expm1(-r) / r)
    chord = np.where(np.isfinite(flat)[None, :], chord, 0.0)
    chord = np.where(flat[None, :] > 0, chord, 1.0)
    return (w @ chord).reshape(lam.shape)


#: Log grid of u = lambda / R for the table behind :func:`sphere_decay_probability`.
_U_MIN, _U_MAX, _U_POINTS = 1e-4, 1e4, 64001
_P_TABLE: tuple[np.ndarray, np.ndarray] | None = None


def _sphere_table() -> tuple[np.ndarray, np.ndarray]:
    """``(log u, log P(u))`` on the log grid, built once with the quadrature (R = 1, lambda = u)."""
    global _P_TABLE
    if _P_TABLE is None:
        lu = np.linspace(math.log(_U_MIN), math.log(_U_MAX), _U_POINTS)
        _P_TABLE = (lu, np.log(_sphere_decay_probability_quadrature(1.0, np.exp(lu))))
    return _P_TABLE


def sphere_decay_probability(radius: float, decay_length: ArrayLike) -> np.ndarray:
    """Probability that N, produced uniformly in a sphere and flying along a fixed axis, decays inside it.

    Same quantity as :func:`_sphere_decay_probability_quadrature` (the reference, see there for the
    formula), which depends on ``u = lambda / R`` only. It is tabulated once on a log grid of u
    (``1e-4 .. 1e4``, 64001 points, ~2.9e-4 in ln u) and interpolated linearly in ``ln P`` vs ``ln u``
    (relative error <= 1e-8 against the quadrature, tested). Outside the grid the asymptotic series are
    used (derived from
    the quadrature's integrand ``P = 3 int_0^1 t^2 Pchord(2t/u) dt``, ``Pchord(r) = 1 + expm1(-r)/r``):
    ``P = 1 - 3u/4 + O(u^3)`` for ``u << 1`` and ``P = 3/(4u) - 2/(5u^2) + O(u^-3)`` for ``u >> 1``
    (relative error < 1e-8 at the grid ends). ``lambda <= 0`` gives 1, ``lambda = inf`` gives 0.

    Parameters
    ----------
    radius : float
        Sphere radius R [cm] (> 0).
    decay_length : array_like
        Lab decay length lambda [cm] per event.
    """
    R = _radius(radius)
    lam = np.asarray(decay_length, dtype=float)
    lu_grid, lp_grid = _sphere_table()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        u = lam / R
        lu = np.log(np.where(u > 0, u, 1.0))
        out = np.exp(np.interp(lu, lu_grid, lp_grid))
        out = np.where(u < _U_MIN, 1.0 - 0.75 * u, out)
        big = u > _U_MAX
        ub = np.where(big, u, 1.0)
        out = np.where(big, 0.75 / ub - 0.4 / (ub * ub), out)
    out = np.where(np.isfinite(lam), out, 0.0)
    out = np.where(lam > 0, out, 1.0)
    return np.asarray(out, dtype=float).reshape(lam.shape)


def dirt_decay_probability(radius: float, gap: float, length: float, decay_length: ArrayLike) -> np.ndarray:
    """Probability that N made in a slab of dirt upstream decays inside the fiducial sphere (shadow average).

    N is produced uniformly in ``[-gap - length, -gap]`` along the beam axis (0 = the plane touching the
    sphere's upstream point) at an impact parameter b uniform over the sphere's shadow (area pi R^2) and
    flies along the axis; the sphere's chord at b is ``[R - h, R + h]``, ``h = sqrt(R^2 - b^2)``. For one
    chord the production-averaged probability is
    ``(lambda / L) e^{-(R - h + gap)/lambda} (1 - e^{-L/lambda}) (1 - e^{-2h/lambda})``; the shadow
    average is ``(2 / R^2) int_0^R h P(h) dh`` (Gauss-Legendre). Limit ``lambda >> gap + L + 2R``:
    ``4 R / (3 lambda)`` (mean chord over lambda).

    Parameters
    ----------
    radius, gap, length : float
        Sphere radius, gap between the dirt and the sphere, dirt length [cm] (radius, length > 0).
    decay_length : array_like
        Lab decay length lambda [cm] per event.
    """
    R, g, L = float(radius), float(gap), float(length)
    if not (R > 0 and L > 0 and g >= 0):
        msg = f"need radius > 0, length > 0, gap >= 0; got {radius!r}, {length!r}, {gap!r}"
        raise InvalidParameterError(msg)
    lam = np.asarray(decay_length, dtype=float).reshape(-1)
    x, wq = np.polynomial.legendre.leggauss(_N_NODES)
    h = 0.5 * R * (x + 1.0)
    w = 0.5 * R * wq * h * 2.0 / R**2
    ok = (lam > 0) & np.isfinite(lam)
    lam_s = np.where(ok, lam, 1.0)[None, :]
    hh = h[:, None]
    with np.errstate(over="ignore", under="ignore"):
        p = (
            (lam_s / L)
            * np.exp(-(R - hh + g) / lam_s)
            * (-np.expm1(-L / lam_s))
            * (-np.expm1(-2 * hh / lam_s))
        )
    out = np.where(ok, w @ p, 0.0)
    return out.reshape(np.shape(decay_length))


class MiniBooNE(CountingSearch):
    """The MiniBooNE electron-like sample with the dipole single-photon signal (see the module docstring).

    Parameters
    ----------
    **settings
        See :attr:`SETTINGS` (``nugen info miniboone``).
    """

    name = "miniboone"
    title = "MiniBooNE electron-like sample (Booster Neutrino Beam), dipole nu A -> N A, N -> nu gamma"
    citation = (
        "A. A. Aguilar-Arevalo et al. (MiniBooNE), PRL 121 (2018) 221801 [arXiv:1805.12028] and its data "
        "release; compared with G. Magill et al., PRD 98 (2018) 115015 [arXiv:1803.03262]"
    )
    target = "mineral_oil"
    source = "miniboone"
    scatterer = "nucleus"
    energy_unit = "MeV"
    exposure_unit = "POT"
    n_sub = 1
    #: Flavour pattern of ``nugen limit --detector miniboone`` without ``--flavour`` (a nu_mu beam; the
    #: published curve of Magill et al. is for mu_mu alone).
    default_flavour = "mu"
    #: Confidence level of ``nugen limit --detector miniboone`` without ``--cl`` (the published curve's 95 %).
    default_cl = 0.95
    sm_rel_uncertainty = None
    SETTINGS = (
        Setting("mode", "nu", "",
                "beam mode(s) whose 200-1250 MeV bin enters: nu (12.84e20 POT; 1959 obs / 1590.6 bkg), "
                "nubar (11.27e20 POT; 478 / 398.2) or both", parse_choice("mode", MODES)),
        Setting("background", "release", "",
                "background central value: release (published prediction), constrained (after the nu_mu "
                "CCQE constraint) or abstract (nu bin: 1959 - 381.2)",
                parse_choice("background", BACKGROUNDS)),
        Setting("window", "200-1250", "MeV",
                "E_QE window of the bins: 200-1250 (the oscillation analysis range) or 200-475 (the "
                "low-energy excess)", parse_choice("window", WINDOWS)),
        Setting("efficiency", _p("efficiency"), "",
                "selection efficiency of a dipole photon as an electron-like event (UNVERIFIED; 1 = all "
                "photons in the E_QE window)", parse_nonnegative("efficiency")),
        Setting("fiducial_radius_m", _p("fiducial_radius"), "m",
                "radius of the fiducial sphere (445 t at 0.845 g/cm^3; density UNVERIFIED)",
                parse_positive("fiducial_radius_m")),
        Setting("binding_energy_MeV", _p("binding_energy"), "MeV",
                "binding energy in the E_QE reconstruction of the photon (UNVERIFIED)",
                parse_nonnegative("binding_energy_MeV")),
        Setting("dirt_length_m", 0.0, "m",
                "length of dirt upstream of the detector in which N is also produced (0 = off, the default; "
                "UNVERIFIED variant: the BNB decay region ends ~50 m from the target, the detector is at "
                "541 m)",
                parse_nonnegative("dirt_length_m")),
        Setting("dirt_gap_m", _p("dirt_gap"), "m",
                "distance from the dirt's end to the fiducial sphere (tank radius 6.1 m - fiducial radius; "
                "UNVERIFIED)", parse_nonnegative("dirt_gap_m")),
        Setting("dirt_density", _p("dirt_density"), "g/cm^3",
                "density of the dirt, taken as SiO2 (UNVERIFIED)", parse_positive("dirt_density")),
        Setting("bkg_rel_scale", 1.0, "", "multiplies the background systematic error of every bin (variant)",
                parse_positive("bkg_rel_scale")),
        Setting("form_factor", "helm", "",
                "nuclear form factor of the coherent cross section: helm (nugen's default) or fourier_bessel "
                "(measured C12 charge density)", parse_choice("form_factor", FORM_FACTOR_MODELS)),
        Setting("n_mc", 50_000, "events",
                "Monte Carlo events per flux component for the N momenta and photons",
                parse_int_range("n_mc", 1000, 10_000_000)),
        Setting("mc_seed", 20_180_530, "", "seed of the Monte Carlo (same for every M_N)",
                parse_int_range("mc_seed", 0, 2**63 - 1)),
    )  # fmt: skip

    def __init__(self, **settings: object):
        super().__init__(**settings)
        self._mc_cache: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._node_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._materials = {"oil": get_target("mineral_oil"), "dirt": get_target("glass")}
        self._beams = {m: get_source("miniboone", mode=_BEAM_MODE[m]) for m in self.modes}

    # -- the published bins ------------------------------------------------------------------------------
    @property
    def modes(self) -> tuple[str, ...]:
        """The beam modes whose bins enter (``("nu",)``, ``("nubar",)`` or both)."""
        m = str(self.settings["mode"])
        return ("nu", "nubar") if m == "both" else (m,)

    def pot(self, mode: str) -> float:
        """Protons on target of ``mode`` (1805.12028)."""
        return _p(f"pot_{mode}")

    @property
    def _suffix(self) -> str:
        return "" if self.settings["window"] == "200-1250" else "_low"

    def _background(self, mode: str) -> tuple[float, float]:
        choice = str(self.settings["background"])
        scale = float(self.settings["bkg_rel_scale"])
        x = self._suffix
        if choice == "abstract" and mode == "nu" and not x:
            b = _p("n_obs_nu") - _p("excess_nu_abstract")
            return b, math.sqrt(_p("excess_err_nu_abstract") ** 2 - b) * scale
        b = _p(f"bkg_constrained_{mode}{x}") if choice == "constrained" else _p(f"bkg_{mode}{x}")
        return b, _p(f"bkg_syst_{mode}{x}") * scale

    @property
    def background_events(self) -> np.ndarray:
        """Predicted background per bin [events]."""
        return np.array([self._background(m)[0] for m in self.modes])

    @property
    def background_error_events(self) -> np.ndarray:
        """Systematic error of the background per bin [events] (the Poisson part is the likelihood's)."""
        return np.array([self._background(m)[1] for m in self.modes])

    def observed(self) -> np.ndarray:
        """Observed electron-like events per bin in the E_QE window."""
        return np.array([_p(f"n_obs_{m}{self._suffix}") for m in self.modes])

    def backgrounds(self) -> list[Background]:
        """One Gaussian-constrained background per bin (independent: the nu / nubar correlation dropped)."""
        out = []
        b, e = self.background_events, self.background_error_events
        for i, m in enumerate(self.modes):
            counts = np.zeros(len(self.modes))
            counts[i] = b[i]
            w = self.settings["window"]
            doc = f"MiniBooNE predicted nu_e-like background, {m} mode, {w} MeV (1805.12028 release)"
            out.append(Background(f"bkg_{m}", counts, e[i] / b[i], doc))
        return out

    # -- detector interface (one bin per mode; the response is the E_QE window) ---------------------------
    @property
    def exposure_t_yr(self) -> float:
        """Protons on target of the (first) mode (exposure unit ``POT``)."""
        return self.pot(self.modes[0])

    @property
    def fiducial_mass_t(self) -> float:
        """Fiducial mass [t] of the sphere: ``4/3 pi R^3 rho``."""
        R = float(self.settings["fiducial_radius_m"]) * 100.0
        return 4.0 / 3.0 * math.pi * R**3 * _p("oil_density") / 1e6

    def analysis_edges_MeV(self) -> np.ndarray:
        """The E_QE window [MeV] (one bin per mode; the bins of ``mode=both`` share it)."""
        hi = _p("eqe_max") if self.settings["window"] == "200-1250" else _p("eqe_low_max")
        return np.array([_p("eqe_min"), hi])

    def resolution_MeV(self, E_MeV: ArrayLike) -> np.ndarray:
        """Not used (true photon kinematics in the E_QE window): 1 keV."""
        return np.full_like(np.asarray(E_MeV, dtype=float), 1e-3)

    def efficiency(self, E_obs_MeV: ArrayLike) -> np.ndarray:
        """The setting ``efficiency`` at every energy."""
        return np.full_like(np.asarray(E_obs_MeV, dtype=float), float(self.settings["efficiency"]))

    # -- signal ------------------------------------------------------------------------------------------
    def release_edges_MeV(self) -> np.ndarray:
        """Edges [MeV] of the release's E_QE bins inside the window (:data:`RELEASE_EDGES_MEV`)."""
        lo, hi = self.analysis_edges_MeV()
        e = RELEASE_EDGES_MEV
        return e[(e >= lo) & (e <= hi)]

    def _mc_events(
        self, M_N: float, nature: str, mode: str, comp_name: str, medium: str = "oil"
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """|p_N| [MeV], accepted weight [events / (t POT mu_B^2)] and release-bin index of one component.

        The accepted events are those whose photon E_QE lies in the window; the index counts the release
        bins of :meth:`release_edges_MeV` from 0. Cached per key (``medium`` ``"oil"`` or ``"dirt"``: SiO2,
        the ``glass`` target).
        """
        key = (float(M_N), nature, mode, comp_name, medium)  # the window is fixed per instance
        if key not in self._mc_cache:
            beam = self._beams[mode]
            comp = beam.component(comp_name)
            seq = np.random.SeedSequence([int(self.settings["mc_seed"]), MODES.index(mode),
                                          [c.name for c in beam.components].index(comp_name),
                                          ("oil", "dirt").index(medium)])  # fmt: skip
            rng = np.random.default_rng(seq)
            try:
                ev = sample_scatterings(
                    beam, comp, self._materials[medium], "dipole_A", float(M_N),
                    int(self.settings["n_mc"]), rng,
                    form_factor=str(self.settings["form_factor"]),
                )  # fmt: skip
            except KinematicsError:
                out = (np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.intp))
            else:
                h = helicity_factor(nature, -1.0 if comp.antineutrino else 1.0, comp.antineutrino)
                k = photon_four_momenta(ev.p_out, float(M_N), h, rng)
                cos = k[:, 3] / np.maximum(k[:, 0], 1e-300)
                eqe = photon_e_qe(k[:, 0], cos, float(self.settings["binding_energy_MeV"]))
                lo, hi = self.analysis_edges_MeV()
                w = ev.weight * ((eqe > lo) & (eqe < hi))
                keep = w > 0
                ibin = np.searchsorted(self.release_edges_MeV(), eqe[keep], side="right") - 1
                out = (np.linalg.norm(ev.p_out[keep, 1:], axis=1), w[keep], ibin.astype(np.intp))
            if len(self._mc_cache) > 256:
                self._mc_cache.clear()
                self._node_cache.clear()
            self._mc_cache[key] = out
        return self._mc_cache[key]

    def _mc(
        self, M_N: float, nature: str, mode: str, comp_name: str, medium: str = "oil"
    ) -> tuple[np.ndarray, np.ndarray]:
        """|p_N| [MeV] and accepted weight [events / (t POT mu_B^2)] of one flux component (cached)."""
        p, w, _ = self._mc_events(M_N, nature, mode, comp_name, medium)
        return p, w

    def _nodes(
        self, M_N: float, nature: str, mode: str, comp_name: str, medium: str = "oil"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Momentum nodes [MeV] and the accepted weight deposited on them per release bin (cached).

        The accepted events of :meth:`_mc_events` are spread over a uniform grid in ln p (spacing
        :data:`LN_P_STEP`) by linear (cloud-in-cell) weights: an event at ``x = ln p`` between nodes
        ``x_j`` and ``x_j+1`` gives ``w (1 - t)`` to node j and ``w t`` to node j+1, ``t = (x - x_j) / h``.
        Then ``sum_j W_bj f(x_j)`` is the per-event sum of the linear interpolant of f, whose error is at
        most ``h^2 / 8 max|f''|`` per event (f = the decay probability as a function of ln p, which
        depends on mu only through a shift of ln p). Returns ``(p_nodes, W)`` with ``W`` of shape
        ``(n_bins, n_nodes)``; the weight is conserved exactly (``W.sum(axis=1)`` = per-bin weight).
        """
        key = (float(M_N), nature, mode, comp_name, medium)
        if key not in self._node_cache:
            p, w, ib = self._mc_events(M_N, nature, mode, comp_name, medium)
            nb = len(self.release_edges_MeV()) - 1
            if p.size == 0:
                self._node_cache[key] = (np.zeros(0), np.zeros((nb, 0)))
            else:
                x = np.log(p)
                x0 = float(x.min())
                n = math.ceil((float(x.max()) - x0) / LN_P_STEP) + 2
                t = (x - x0) / LN_P_STEP
                j = np.minimum(np.floor(t).astype(np.intp), n - 2)
                t -= j
                W = np.bincount(ib * n + j, w * (1.0 - t), minlength=nb * n)
                W += np.bincount(ib * n + j + 1, w * t, minlength=nb * n)
                self._node_cache[key] = (np.exp(x0 + LN_P_STEP * np.arange(n)), W.reshape(nb, n))
        return self._node_cache[key]

    def decay_probability(self, model: DipolePortal, mode: str = "nu", component: str = "numu") -> float:
        """Accepted-weight average of the probability that N decays inside the fiducial sphere."""
        p, w = self._mc(model.mass_MeV, model.nature, mode, component)
        if p.size == 0:
            return 0.0
        R = float(self.settings["fiducial_radius_m"]) * 100.0
        return float(w @ sphere_decay_probability(R, model.decay_length_cm(p)) / w.sum())

    def binned_photons_per_pot(self, model: DipolePortal, mode: str, *, exact: bool = False) -> np.ndarray:
        """Accepted single photons per POT in the fiducial volume per release E_QE bin, before the efficiency.

        ``M_fid x sum_f mu_f^2 sum_k w_k A_kb Pbar(lambda_k)`` over the flux components of the mode's beam
        (``w_k`` per tonne per POT per mu_B^2, ``A_kb`` = 1 if the photon's E_QE is in release bin b;
        ``Pbar`` :func:`sphere_decay_probability` with ``lambda_k = (p_k / M) c tau(model)``). With
        ``dirt_length_m > 0`` plus the same for N made in the dirt of the sphere's shadow (mass
        ``rho pi R^2 L``, :func:`dirt_decay_probability`). The flux per area is the detector's there too:
        the neutrinos that cross the sphere's shadow are the same ones upstream.

        By default ``Pbar`` is evaluated on the ln p nodes of :meth:`_nodes` (cost per coupling O(nodes),
        not O(events)); relative difference from the per-event sum (``exact=True``) <= 1e-4 (tested at
        couplings from prompt to long-lived decays; bound ``h^2/8 max|f''/f|`` with ``h = 0.01``).

        Returns
        -------
        numpy.ndarray
            One value per bin of :meth:`release_edges_MeV` [photons / POT].
        """
        nb = len(self.release_edges_MeV()) - 1
        total = np.zeros(nb)
        if not (model.mass_MeV > 0 and model.mu_max > 0):
            return total
        s = self.settings
        R = float(s["fiducial_radius_m"]) * 100.0
        L_dirt = float(s["dirt_length_m"]) * 100.0
        dirt_mass_t = float(s["dirt_density"]) * math.pi * R * R * L_dirt / 1e6
        gap = float(s["dirt_gap_m"]) * 100.0
        media = [("oil", self.fiducial_mass_t, lambda lam: sphere_decay_probability(R, lam))]
        if L_dirt > 0:
            media.append(("dirt", dirt_mass_t, lambda lam: dirt_decay_probability(R, gap, L_dirt, lam)))
        for comp in self._beams[mode].components:
            mu = float(model.mu_flavour[_FLAVOUR_INDEX[comp.flavour]])
            if mu == 0:
                continue
            for medium, mass_t, prob in media:
                if exact:
                    p, w, ib = self._mc_events(model.mass_MeV, model.nature, mode, comp.name, medium)
                    if p.size:
                        total += (
                            mu
                            * mu
                            * mass_t
                            * np.bincount(ib, w * prob(model.decay_length_cm(p)), minlength=nb)
                        )
                else:
                    p, W = self._nodes(model.mass_MeV, model.nature, mode, comp.name, medium)
                    if p.size:
                        total += mu * mu * mass_t * (W @ prob(model.decay_length_cm(p)))
        return total

    def photons_per_pot(self, model: DipolePortal, mode: str, *, exact: bool = False) -> float:
        """Accepted single photons per POT over the window: the sum of :meth:`binned_photons_per_pot`."""
        return float(self.binned_photons_per_pot(model, mode, exact=exact).sum())

    def binned_signal_counts(self, model: DipolePortal, mode: str, *, exact: bool = False) -> np.ndarray:
        """Selected dipole photons per release E_QE bin of ``mode`` [events].

        ``efficiency x POT x`` :meth:`binned_photons_per_pot`; bins :meth:`release_edges_MeV` (nine,
        200 300 375 475 550 675 800 950 1100 1250 MeV, for the default window). Their sum is the mode's
        entry of :meth:`signal_counts`.

        Raises
        ------
        InvalidParameterError
            For a mode other than ``nu`` / ``nubar`` or one that this instance's ``mode`` excludes.
        """
        if mode not in self._beams:
            msg = f"mode must be one of {sorted(self._beams)} for this detector, got {mode!r}"
            raise InvalidParameterError(msg)
        eff = float(self.settings["efficiency"])
        return eff * self.pot(mode) * self.binned_photons_per_pot(model, mode, exact=exact)

    def signal_counts(self, model: DipolePortal, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """Selected dipole photons per bin (one per mode): ``efficiency x POT x photons_per_pot``."""
        if edges_MeV is not None:
            check_edges(edges_MeV)
        eff = float(self.settings["efficiency"])
        return np.array([eff * self.pot(m) * self.photons_per_pot(model, m) for m in self.modes])

    def sm_counts(self, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """No separate SM prediction: the published background contains it (one zero per beam mode)."""
        return np.zeros(len(self.modes))

    def spectrum(self, model: DipolePortal, edges_MeV: ArrayLike | None = None) -> dict:
        """The base class's spectrum (one E_QE bin); refused for ``mode=both``, whose bins are beam modes.

        Raises
        ------
        InvalidParameterError
            For ``mode=both`` or explicit bin edges (the window is fixed by the published bins).
        """
        if len(self.modes) > 1 or edges_MeV is not None:
            msg = (
                "miniboone spectra have one E_QE bin of one beam mode (the published bin): use mode=nu or "
                "mode=nubar and no --bins"
            )
            raise InvalidParameterError(msg)
        return super().spectrum(model)

    def expected_counts(
        self, model: DipolePortal, edges_MeV: ArrayLike | None = None
    ) -> dict[str, np.ndarray]:
        """``dipole`` (:meth:`signal_counts`), ``sm_nu`` (0), ``background`` and ``bkg:*`` per bin.

        The bins are beam modes, so the backgrounds are given for explicit edges too
        (:meth:`CountingSearch.expected_counts` omits them there).
        """
        out = {"dipole": self.signal_counts(model, edges_MeV), "sm_nu": self.sm_counts(edges_MeV)}
        for b in self.backgrounds():
            out[f"bkg:{b.name}"] = np.asarray(b.counts, dtype=float)
        out["background"] = sum(np.asarray(b.counts, dtype=float) for b in self.backgrounds())
        return out
