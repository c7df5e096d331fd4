"""Solar neutrinos: B16 fluxes, energy spectra and adiabatic MSW-LMA flavour conversion.

Components (names as used everywhere in nugen): ``pp``, ``pep``, ``hep``, ``7Be_384``, ``7Be_861``,
``8B``, ``13N``, ``15O``, ``17F``; all produced as electron neutrinos.

* **Fluxes** at Earth: the B16 standard solar models (B16-GS98 and B16-AGSS09met) of N. Vinyoles et
  al., ApJ 835 (2017) 202, arXiv:1611.09867, Table 6, with their relative 1-sigma model uncertainties
  (``nugen/data/solar_fluxes_B16.csv``; physics.md Sec. 5.1). The 7Be flux is split into its two lines
  with Bahcall's branching 0.897 (0.8613 MeV) / 0.103 (0.3843 MeV); pep is a line at 1.442 MeV
  (physics.md Sec. 5.2, ``nugen/data/solar_lines_endpoints.csv``).
* **Continuum shapes** pp, hep, 13N, 15O, 17F: the allowed beta+ spectrum with the non-relativistic
  Fermi function, :func:`allowed_beta_plus_shape` (physics.md Sec. 5.3), normalised numerically once
  per shape. Below 0.8 E_max it agrees with Bahcall's tabulated spectra (pp: J. N. Bahcall, PRC 56
  (1997) 3391; CNO: J. N. Bahcall & R. K. Ulrich, RMP 60 (1988) 297) to 0.5 % pointwise.
  **8B**: the measured spectrum of W. T. Winter et al., PRC 73 (2006) 025503, Table IV
  (``nugen/data/solar_spectrum_8B_winter2006.csv``), interpolated with a monotone piecewise-cubic
  (PCHIP) curve (:class:`nugen.pchip.Pchip`), which keeps the pdf non-negative and continuously
  differentiable (no break points).
* **Flavour conversion**: adiabatic MSW-LMA with three-flavour mixing (physics.md Secs. 5.4, 5.5;
  L. Wolfenstein, PRD 17 (1978) 2369; S. P. Mikheyev & A. Yu. Smirnov, Sov. J. Nucl. Phys. 42 (1985)
  913). A neutrino born at electron density n_e leaves the Sun as an incoherent mixture of mass states,
  ``P_e1 = cos^2(theta13) cos^2(theta12^m)``, ``P_e2 = cos^2(theta13) sin^2(theta12^m)``,
  ``P_e3 = sin^2(theta13)``, and arrives as flavour alpha with ``P_ealpha = sum_i |U_alphai|^2 P_ei``
  (full PMNS matrix, including theta23 and delta_CP). ``cos^2(theta12^m)`` is averaged over the
  radial production distribution of each reaction in the B16 model (Vinyoles et al. 2017,
  ``nugen/data/solar_production_B16_*.csv``). Day-night (Earth matter) regeneration is neglected
  (a few per cent for 8B at most).

Default oscillation parameters: NuFIT 5.0 (I. Esteban et al., JHEP 09 (2020) 178), normal ordering:
sin^2 theta12 = 0.304, sin^2 theta13 = 0.02221, Delta m^2_21 = 7.42e-5 eV^2, theta23 = 49.0 deg,
delta_CP = 195 deg (:data:`NUFIT50`).

Units: energies in MeV, fluxes in cm^-2 s^-1, pdfs in MeV^-1, electron densities in N_A cm^-3
(moles of electrons per cm^3), mass-squared differences in eV^2, angles in degrees.

Examples
--------
>>> from nugen.sources import get_source
>>> sun = get_source("solar", model="B16-GS98")
>>> pp = sun.component("pp")
>>> P = sun.arrival_probabilities(pp, [0.2])  # (P_ee, P_emu, P_etau) at 0.2 MeV, shape (3, 1)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from hepunits import MeV, eV
from numpy.typing import ArrayLike

from nugen import data
from nugen.constants import ALPHA, G_F, HBARC_MEV_CM, M_E, N_A
from nugen.errors import InvalidParameterError, UnknownNameError
from nugen.pchip import Pchip
from nugen.sources.base import Source, SourceComponent

__all__ = [
    "COMPONENT_NAMES",
    "MODELS",
    "NUFIT50",
    "SolarSource",
    "allowed_beta_plus_shape",
    "cos2_theta12_matter",
    "flavour_probabilities",
    "pmns_matrix",
    "survival_probability",
]

#: Solar-model names accepted by :class:`SolarSource`, mapped to the suffix used in the table names.
MODELS: Mapping[str, str] = {"B16-GS98": "GS98", "B16-AGSS09met": "AGSS09met"}

#: Component names in nugen's canonical order.
COMPONENT_NAMES: tuple[str, ...] = ("pp", "pep", "hep", "7Be_384", "7Be_861", "8B", "13N", "15O", "17F")

#: NuFIT 5.0 best fit, normal ordering (Esteban et al., JHEP 09 (2020) 178; physics.md Sec. 5.4). Angles in
#: degrees (theta12 and theta13 from sin^2 theta12 = 0.304, sin^2 theta13 = 0.02221), Delta m^2_21 in eV^2.
NUFIT50: Mapping[str, float] = {
    "theta12_deg": math.degrees(math.asin(math.sqrt(0.304))),
    "theta13_deg": math.degrees(math.asin(math.sqrt(0.02221))),
    "theta23_deg": 49.0,
    "delta_cp_deg": 195.0,
    "dm21_eV2": 7.42e-5,
}

# Reaction (row of the flux table / production column) of each component.
_REACTION = {name: name.split("_")[0] for name in COMPONENT_NAMES}

# Matter potential V_CC = sqrt(2) G_F n_e per unit n_e [MeV per N_A cm^-3]; (hbar c)^3 turns cm^-3 into MeV^3.
_VCC_MEV_PER_NA_CM3 = math.sqrt(2.0) * G_F * N_A * HBARC_MEV_CM**3
# eV^2 -> MeV^2.
_MEV2_PER_EV2 = (eV / MeV) ** 2

# Log-energy grid on which the production-averaged cos^2(theta12^m) is tabulated per reaction. Outside
# it the value is held constant: below 1e-3 MeV beta < 3e-4 (|Delta P| < 1e-4, and pp neutrinos below
# 1 keV are a 1e-8 fraction of the flux); above 30 MeV there are no solar neutrinos (hep ends at
# 18.8 MeV). 100 points per decade make linear interpolation in ln E accurate to 7e-6 (checked in the
# tests against the direct average, tolerance 1e-4); the grid is built once per reaction at start-up,
# so its size is start-up time of every command.
_GRID_E_MIN_MEV = 1.0e-3
_GRID_E_MAX_MEV = 30.0
_GRID_POINTS_PER_DECADE = 100
# Energies per chunk in the direct (non-interpolated) production average, to bound memory.
_CHUNK = 2048


# -- spectral shapes ------------------------------------------------------------------------------------
def allowed_beta_plus_shape(E_MeV: ArrayLike, E_max_MeV: float, Z_daughter: float) -> np.ndarray:
    """Unnormalised allowed beta+ neutrino spectrum with the non-relativistic Fermi function.

    ``dN/dE ∝ E^2 W p F(-Z_d, W)`` with ``W = E_max + m_e - E`` the positron total energy,
    ``p = sqrt(W^2 - m_e^2)`` its momentum and ``F(Z, W) = 2 pi eta / (1 - exp(-2 pi eta))``,
    ``eta = alpha Z W / p``, evaluated at ``Z = -Z_d`` for a positron (physics.md Sec. 5.3). For
    beta+ the Fermi function is ``y / (exp(y) - 1)`` with ``y = 2 pi alpha Z_d W / p``, computed
    without overflow as ``y exp(-y) / (1 - exp(-y))``.

    Parameters
    ----------
    E_MeV : array_like
        Neutrino energy [MeV].
    E_max_MeV : float
        Endpoint, ``Q_EC - 2 m_e`` [MeV].
    Z_daughter : float
        Charge of the daughter nucleus (pp: 1, hep: 2, 13N: 6, 15O: 7, 17F: 8).

    Returns
    -------
    numpy.ndarray
        Shape value [MeV^4], zero outside ``0 < E < E_max``; same shape as ``E_MeV``.
    """
    E = np.asarray(E_MeV, dtype=float)
    T = E_max_MeV - E  # positron kinetic energy
    inside = (E > 0.0) & (T > 0.0)
    W = np.where(inside, T, 1.0) + M_E
    p = np.sqrt((W - M_E) * (W + M_E))
    if Z_daughter > 0:
        y = 2.0 * np.pi * ALPHA * Z_daughter * W / p
        fermi = y * np.exp(-y) / -np.expm1(-y)
    else:
        fermi = 1.0
    return np.where(inside, E * E * W * p * fermi, 0.0)


@functools.cache
def _beta_plus_norm_and_mean(E_max_MeV: float, Z_daughter: float) -> tuple[float, float]:
    """Integral of :func:`allowed_beta_plus_shape` over its support [MeV^5] and mean energy [MeV]."""
    # The spectrum has a square-root edge at E_max (positron momentum -> 0); with E = E_max - u^2 the
    # integrand is smooth in u, and 8 panels x 64 Gauss-Legendre nodes reach machine precision
    # (checked against adaptive quad, which the tests use independently) without importing
    # scipy.integrate in every process that builds a solar source.
    x, w = np.polynomial.legendre.leggauss(64)
    a = np.linspace(0.0, np.sqrt(E_max_MeV), 9)
    u = (a[:-1, None] + np.diff(a)[:, None] * 0.5 * (x + 1.0)[None, :]).ravel()
    du = (np.diff(a)[:, None] * 0.5 * w[None, :]).ravel()
    e = E_max_MeV - u * u
    f = allowed_beta_plus_shape(e, E_max_MeV, Z_daughter) * (2.0 * u * du)
    norm = float(f.sum())
    return norm, float((e * f).sum()) / norm


@dataclass(eq=False, frozen=True)
class _BetaPlusPdf:
    """Normalised allowed beta+ spectrum [MeV^-1]; a picklable callable (:func:`allowed_beta_plus_shape`)."""

    E_max_MeV: float
    Z_daughter: float
    norm: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "norm", _beta_plus_norm_and_mean(self.E_max_MeV, self.Z_daughter)[0])

    def __call__(self, E_MeV: ArrayLike) -> np.ndarray:
        return allowed_beta_plus_shape(E_MeV, self.E_max_MeV, self.Z_daughter) / self.norm


@dataclass(eq=False, frozen=True)
class _TabulatedPdf:
    """Normalised tabulated spectrum [MeV^-1], PCHIP-interpolated, zero outside the table (picklable)."""

    E_MeV: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    spline: Pchip = field(init=False, repr=False)

    def __post_init__(self) -> None:
        total = Pchip(self.E_MeV, self.values).integral()
        object.__setattr__(self, "spline", Pchip(self.E_MeV, self.values / total))

    def __call__(self, E_MeV: ArrayLike) -> np.ndarray:
        E = np.asarray(E_MeV, dtype=float)
        inside = (E >= self.E_MeV[0]) & (E <= self.E_MeV[-1])
        return np.where(inside, self.spline(np.where(inside, E, self.E_MeV[0])), 0.0)


# -- oscillations ---------------------------------------------------------------------------------------
def cos2_theta12_matter(
    E_MeV: ArrayLike,
    n_e_NA: ArrayLike,
    theta12_deg: float = NUFIT50["theta12_deg"],
    theta13_deg: float = NUFIT50["theta13_deg"],
    dm21_eV2: float = NUFIT50["dm21_eV2"],
) -> np.ndarray:
    """Cosine of twice the effective (matter) mixing angle theta12^m at electron density ``n_e``.

    ``cos 2theta12^m = (cos 2theta12 - beta) / sqrt((cos 2theta12 - beta)^2 + sin^2 2theta12)`` with
    ``beta = 2 sqrt(2) G_F cos^2(theta13) n_e E / Delta m^2_21`` (physics.md Sec. 5.4; Mikheyev &
    Smirnov 1985; Wolfenstein 1978). ``sqrt(2) G_F n_e = 7.6325e-14 eV`` per N_A cm^-3.

    Parameters
    ----------
    E_MeV : array_like
        Neutrino energy [MeV].
    n_e_NA : array_like
        Electron density at production in units of N_A cm^-3 (broadcast against ``E_MeV``).
    theta12_deg, theta13_deg : float
        Mixing angles [deg].
    dm21_eV2 : float
        Delta m^2_21 [eV^2].

    Returns
    -------
    numpy.ndarray
        ``cos 2theta12^m`` (dimensionless), broadcast shape of the inputs.
    """
    t12, t13 = math.radians(theta12_deg), math.radians(theta13_deg)
    c2, s2 = math.cos(2.0 * t12), math.sin(2.0 * t12)
    beta = (
        2.0
        * _VCC_MEV_PER_NA_CM3
        * math.cos(t13) ** 2
        * np.asarray(n_e_NA, dtype=float)
        * np.asarray(E_MeV, dtype=float)
        / (dm21_eV2 * _MEV2_PER_EV2)
    )
    d = c2 - beta
    return d / np.sqrt(d * d + s2 * s2)


def survival_probability(
    E_MeV: ArrayLike,
    n_e_NA: ArrayLike,
    theta12_deg: float = NUFIT50["theta12_deg"],
    theta13_deg: float = NUFIT50["theta13_deg"],
    dm21_eV2: float = NUFIT50["dm21_eV2"],
) -> np.ndarray:
    """Adiabatic MSW-LMA electron-neutrino survival probability for production at electron density ``n_e``.

    ``P_ee = cos^4(theta13) [1/2 + (1/2) cos 2theta12^m cos 2theta12] + sin^4(theta13)`` (physics.md
    Sec. 5.4), with ``cos 2theta12^m`` from :func:`cos2_theta12_matter`. Limits: ``beta -> 0``:
    ``cos^4 theta13 (1 - sin^2 2theta12 / 2) + sin^4 theta13`` (0.5520 for NuFIT 5.0);
    ``beta >> 1``: ``cos^4 theta13 sin^2 theta12 + sin^4 theta13`` (0.2911). No production-region
    average and no day-night effect: :meth:`SolarSource.arrival_probabilities` averages this over the
    production region.

    Parameters
    ----------
    E_MeV : array_like
        Neutrino energy [MeV].
    n_e_NA : array_like
        Electron density at production [N_A cm^-3] (the solar centre has about 100).
    theta12_deg, theta13_deg : float
        Mixing angles [deg] (defaults: NuFIT 5.0).
    dm21_eV2 : float
        Delta m^2_21 [eV^2].

    Returns
    -------
    numpy.ndarray
        P_ee (dimensionless), broadcast shape of ``E_MeV`` and ``n_e_NA``.
    """
    c13sq = math.cos(math.radians(theta13_deg)) ** 2
    c2m = cos2_theta12_matter(E_MeV, n_e_NA, theta12_deg, theta13_deg, dm21_eV2)
    c2 = math.cos(2.0 * math.radians(theta12_deg))
    return c13sq**2 * (0.5 + 0.5 * c2m * c2) + (1.0 - c13sq) ** 2


def flavour_probabilities(
    E_MeV: ArrayLike,
    n_e_NA: ArrayLike,
    theta12_deg: float = NUFIT50["theta12_deg"],
    theta13_deg: float = NUFIT50["theta13_deg"],
    theta23_deg: float = NUFIT50["theta23_deg"],
    delta_cp_deg: float = NUFIT50["delta_cp_deg"],
    dm21_eV2: float = NUFIT50["dm21_eV2"],
) -> np.ndarray:
    """Probabilities (P_ee, P_emu, P_etau) at Earth for a nu_e produced at electron density ``n_e``.

    Adiabatic MSW-LMA with incoherent mass states (physics.md Sec. 5.5):
    ``P_ealpha = sum_i |U_alphai|^2 P_ei``, ``P_e1 = cos^2 theta13 cos^2 theta12^m``,
    ``P_e2 = cos^2 theta13 sin^2 theta12^m``, ``P_e3 = sin^2 theta13``, with ``theta12^m`` from
    :func:`cos2_theta12_matter` and ``U`` from :func:`pmns_matrix`. The first row equals
    :func:`survival_probability`. No production-region average (that is
    :meth:`SolarSource.arrival_probabilities`).

    Parameters
    ----------
    E_MeV : array_like
        Neutrino energy [MeV].
    n_e_NA : array_like
        Electron density at production [N_A cm^-3], broadcast against ``E_MeV``.
    theta12_deg, theta13_deg, theta23_deg : float
        Mixing angles [deg] (defaults: NuFIT 5.0).
    delta_cp_deg : float
        Dirac CP phase [deg].
    dm21_eV2 : float
        Delta m^2_21 [eV^2].

    Returns
    -------
    numpy.ndarray
        Shape ``(3,) + broadcast shape``: (P_ee, P_emu, P_etau), summing to 1 along the first axis.
    """
    cos2 = 0.5 + 0.5 * cos2_theta12_matter(E_MeV, n_e_NA, theta12_deg, theta13_deg, dm21_eV2)
    u2 = np.abs(pmns_matrix(theta12_deg, theta13_deg, theta23_deg, delta_cp_deg)) ** 2
    return _mix(u2, math.sin(math.radians(theta13_deg)) ** 2, cos2)


def _mix(u2: np.ndarray, s13sq: float, cos2: np.ndarray) -> np.ndarray:
    """(P_ee, P_emu, P_etau) from |U|^2, sin^2 theta13 and cos^2 theta12^m (any shape; linear in cos2)."""
    c13sq = 1.0 - s13sq
    # P_ea = |U_a1|^2 c13^2 cos2 + |U_a2|^2 c13^2 (1 - cos2) + |U_a3|^2 s13^2 = offset_a + slope_a cos2.
    slope = c13sq * (u2[:, 0] - u2[:, 1])
    offset = c13sq * u2[:, 1] + s13sq * u2[:, 2]
    axes = (3,) + (1,) * np.ndim(cos2)
    return offset.reshape(axes) + slope.reshape(axes) * np.asarray(cos2)[None, ...]


def pmns_matrix(
    theta12_deg: float = NUFIT50["theta12_deg"],
    theta13_deg: float = NUFIT50["theta13_deg"],
    theta23_deg: float = NUFIT50["theta23_deg"],
    delta_cp_deg: float = NUFIT50["delta_cp_deg"],
) -> np.ndarray:
    """Lepton mixing (PMNS) matrix in the standard parametrisation, Dirac phase only.

    ``U = R23 U13(delta) R12`` with ``U_e3 = sin(theta13) exp(-i delta)`` (Particle Data Group, review
    "Neutrino masses, mixing and oscillations"; the convention of NuFIT 5.0). Majorana phases do not enter
    oscillation probabilities and are omitted.

    Parameters
    ----------
    theta12_deg, theta13_deg, theta23_deg : float
        Mixing angles [deg].
    delta_cp_deg : float
        Dirac CP phase [deg].

    Returns
    -------
    numpy.ndarray
        Complex (3, 3) array; rows are flavours (e, mu, tau), columns mass states (1, 2, 3).
    """
    t12, t13, t23, d = (math.radians(x) for x in (theta12_deg, theta13_deg, theta23_deg, delta_cp_deg))
    s12, c12, s13, c13, s23, c23 = (
        math.sin(t12), math.cos(t12), math.sin(t13), math.cos(t13), math.sin(t23), math.cos(t23),
    )  # fmt: skip
    eid = complex(math.cos(d), math.sin(d))
    return np.array(
        [
            [c12 * c13, s12 * c13, s13 / eid],
            [-s12 * c23 - c12 * s23 * s13 * eid, c12 * c23 - s12 * s23 * s13 * eid, s23 * c13],
            [s12 * s23 - c12 * c23 * s13 * eid, -c12 * s23 - s12 * c23 * s13 * eid, c23 * c13],
        ]
    )


# -- tables ---------------------------------------------------------------------------------------------
@functools.cache
def _production_profile(model_key: str) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Radii [R_sun], electron densities [N_A cm^-3] and per-reaction weights (sum 1) of a B16 model."""
    reactions = sorted(set(_REACTION.values()))
    cols = ("r_Rsun", "log10_ne_NA", *(f"f_{r}" for r in reactions))
    tab = data.read(f"solar_production_B16_{model_key}.csv", required=cols)
    r = tab["r_Rsun"].copy()
    n_e = 10.0 ** tab["log10_ne_NA"]
    dr = np.diff(r)
    trap = np.zeros_like(r)
    trap[:-1] += 0.5 * dr
    trap[1:] += 0.5 * dr
    weights = {}
    for reaction in reactions:
        w = tab[f"f_{reaction}"] * trap
        weights[reaction] = w / w.sum()
    for arr in (r, n_e, *weights.values()):
        arr.setflags(write=False)  # shared by every instance: callers must not modify them
    return r, n_e, weights


# -- the source -----------------------------------------------------------------------------------------
def _checked_parameter(name: str, value: object, interval: str) -> float:
    """Return ``value`` as a float inside ``interval`` (e.g. ``"(0, 90)"``, ``"[0, 90]"``).

    Raises :class:`InvalidParameterError` naming the parameter and the value for anything else (non-numbers,
    booleans, NaN, infinities, values outside the interval).
    """
    lo_open, hi_open = interval[0] == "(", interval[-1] == ")"
    lo, hi = (float(v) for v in interval[1:-1].split(","))
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    inside = (x > lo if lo_open else x >= lo) and (x < hi if hi_open else x <= hi)
    if isinstance(value, bool) or not math.isfinite(x) or not inside:
        msg = f"{name} must be a finite number in {interval}, got {value!r}"
        raise InvalidParameterError(msg)
    return x


class SolarSource(Source):
    """The Sun as a neutrino source: B16 fluxes, spectra and adiabatic MSW-LMA arrival probabilities.

    See the module docstring for the physics and its sources (Vinyoles et al. 2017; Winter et al. 2006;
    physics.md Secs. 5.1-5.5).

    Parameters
    ----------
    model : {"B16-GS98", "B16-AGSS09met"}
        Standard solar model: fluxes (Vinyoles et al. 2017, Table 6) and production-region profiles.
    theta12_deg, theta13_deg, theta23_deg : float
        Mixing angles [deg]; defaults NuFIT 5.0 (:data:`NUFIT50`). theta12 in (0, 90), theta13 in [0, 90),
        theta23 in [0, 90].
    delta_cp_deg : float
        Dirac CP phase [deg], in [-360, 360]; default 195.
    dm21_eV2 : float
        Delta m^2_21 [eV^2], positive; default 7.42e-5.

    Raises
    ------
    UnknownNameError
        For an unknown ``model`` (the message lists the known ones).
    InvalidParameterError
        For a non-numeric, non-finite or out-of-range oscillation parameter (the message names it and
        its value).

    Attributes
    ----------
    components : tuple of SourceComponent
        ``pp``, ``pep``, ``hep``, ``7Be_384``, ``7Be_861``, ``8B``, ``13N``, ``15O``, ``17F``: flavour
        ``"e"``, neutrinos, flux in cm^-2 s^-1 at 1 AU including the 7Be line branching, relative
        1-sigma model uncertainty of the reaction's flux.

    Notes
    -----
    :meth:`arrival_probabilities` tabulates the production-averaged ``cos^2 theta12^m`` of each
    reaction once per instance, on first use, on a logarithmic energy grid (1e-3 to 30 MeV, 100 points
    per decade) and then interpolates linearly in ln E by direct indexing: about 3 ms for 1e5 energies
    (the first call per reaction adds ~10 ms); interpolation error below 2e-6.
    """

    name = "solar"
    exposure_unit = "s"

    def __init__(
        self,
        model: str = "B16-GS98",
        theta12_deg: float = NUFIT50["theta12_deg"],
        theta13_deg: float = NUFIT50["theta13_deg"],
        theta23_deg: float = NUFIT50["theta23_deg"],
        delta_cp_deg: float = NUFIT50["delta_cp_deg"],
        dm21_eV2: float = NUFIT50["dm21_eV2"],
    ):
        if not isinstance(model, str) or model not in MODELS:
            raise UnknownNameError("solar model", model, MODELS)
        self.model: str = model
        self.theta12_deg = _checked_parameter("theta12_deg", theta12_deg, "(0, 90)")
        self.theta13_deg = _checked_parameter("theta13_deg", theta13_deg, "[0, 90)")
        self.theta23_deg = _checked_parameter("theta23_deg", theta23_deg, "[0, 90]")
        self.delta_cp_deg = _checked_parameter("delta_cp_deg", delta_cp_deg, "[-360, 360]")
        self.dm21_eV2 = _checked_parameter("dm21_eV2", dm21_eV2, "(0, inf)")

        # |U_alpha i|^2, rows e, mu, tau; columns mass states.
        U = pmns_matrix(self.theta12_deg, self.theta13_deg, self.theta23_deg, self.delta_cp_deg)
        self._u2 = np.abs(U) ** 2
        self._s13sq = math.sin(math.radians(self.theta13_deg)) ** 2
        self.components = self._build_components()
        self._grid_lnE = np.linspace(
            math.log(_GRID_E_MIN_MEV),
            math.log(_GRID_E_MAX_MEV),
            round(_GRID_POINTS_PER_DECADE * math.log10(_GRID_E_MAX_MEV / _GRID_E_MIN_MEV)) + 1,
        )
        self._grid_inv_step = 1.0 / (self._grid_lnE[1] - self._grid_lnE[0])
        # reaction -> production-averaged cos^2 theta12^m on the grid and its increments (filled lazily)
        self._cos2_grid: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # cos^2 theta12^m on that grid in every production zone, shared by the reactions (lazily)
        self._cos2_zones: list[np.ndarray] | None = None

    # -- construction ------------------------------------------------------------------------------------
    def _build_components(self) -> tuple[SourceComponent, ...]:
        key = MODELS[self.model]
        fluxes = data.read(
            "solar_fluxes_B16.csv", required=("component", f"flux_{key}_cm2s", f"relunc_{key}")
        )
        flux = dict(zip(fluxes["component"], fluxes[f"flux_{key}_cm2s"], strict=True))
        unc = dict(zip(fluxes["component"], fluxes[f"relunc_{key}"], strict=True))
        spec = data.read(
            "solar_lines_endpoints.csv", required=("component", "kind", "E_MeV", "branching", "Z_daughter")
        )
        b8 = data.read("solar_spectrum_8B_winter2006.csv", required=("E_MeV", "dNdE_per_MeV"))
        rows = {c: i for i, c in enumerate(spec["component"])}
        out = []
        for name in COMPONENT_NAMES:
            reaction = _REACTION[name]
            common = {
                "name": name,
                "flavour": "e",
                "antineutrino": False,
                "relative_uncertainty": float(unc[reaction]),
            }
            if name == "8B":
                pdf = _TabulatedPdf(b8["E_MeV"].copy(), b8["dNdE_per_MeV"].copy())
                E_lo, E_hi = float(b8["E_MeV"][0]), float(b8["E_MeV"][-1])
                phi = float(flux[reaction])
                out.append(SourceComponent(flux=phi, E_min_MeV=E_lo, E_max_MeV=E_hi, pdf=pdf, **common))
                continue
            i = rows[name]
            E = float(spec["E_MeV"][i])
            phi = float(flux[reaction] * spec["branching"][i])
            if spec["kind"][i] == "line":
                out.append(SourceComponent(flux=phi, E_min_MeV=E, E_max_MeV=E, line_energy_MeV=E, **common))
            else:
                pdf = _BetaPlusPdf(E, float(spec["Z_daughter"][i]))
                out.append(SourceComponent(flux=phi, E_min_MeV=0.0, E_max_MeV=E, pdf=pdf, **common))
        return tuple(out)

    # -- flavour conversion --------------------------------------------------------------------------------
    @property
    def oscillation_parameters(self) -> dict[str, float]:
        """The oscillation parameters of this instance (angles in degrees, Delta m^2_21 in eV^2)."""
        return {
            "theta12_deg": self.theta12_deg,
            "theta13_deg": self.theta13_deg,
            "theta23_deg": self.theta23_deg,
            "delta_cp_deg": self.delta_cp_deg,
            "dm21_eV2": self.dm21_eV2,
        }

    def production_region(self, component: SourceComponent | str) -> tuple[np.ndarray, ...]:
        """Radial production distribution of ``component`` in this instance's solar model.

        Parameters
        ----------
        component : SourceComponent or str
            A component of this source or its name.

        Returns
        -------
        r_Rsun : numpy.ndarray
            Radii of the tabulated zones [R_sun] (0.0005 to 0.5).
        n_e_NA : numpy.ndarray
            Electron density at those radii [N_A cm^-3].
        weights : numpy.ndarray
            Quadrature weights of the production distribution (trapezoid rule times the tabulated density per
            unit radius), summing to 1: ``<g> = sum(weights * g(r))``.
        """
        name = self._component_name(component)
        r, n_e, weights = _production_profile(MODELS[self.model])
        return r, n_e, weights[_REACTION[name]]

    def _component_name(self, component: SourceComponent | str) -> str:
        name = component if isinstance(component, str) else getattr(component, "name", component)
        if not isinstance(name, str) or name not in _REACTION:
            raise UnknownNameError(f"{self.name} component", name, COMPONENT_NAMES)
        return name

    def _mean_cos2_direct(self, reaction: str, E_MeV: np.ndarray) -> np.ndarray:
        """Production average of cos^2 theta12^m at energies ``E_MeV`` (1-d), evaluated directly (chunked)."""
        _, n_e, weights = _production_profile(MODELS[self.model])
        w = weights[reaction]
        out = np.empty(E_MeV.shape)
        for start in range(0, E_MeV.size, _CHUNK):
            E = E_MeV[start : start + _CHUNK, None]
            c2m = cos2_theta12_matter(E, n_e[None, :], self.theta12_deg, self.theta13_deg, self.dm21_eV2)
            out[start : start + _CHUNK] = (0.5 + 0.5 * c2m) @ w
        return out

    def _cos2_zones_on_grid(self) -> list[np.ndarray]:
        """``cos^2 theta12^m`` on the ln E grid in every production zone (built on first use).

        In the chunks of :meth:`_mean_cos2_direct`. It depends on the energy and the zone's electron
        density only, not on the reaction: the reactions differ by their zone weights, so one table serves
        all of them (8 reactions: ~11 ms less at start-up). The values and the chunked products with the
        weights are the same operations as in :meth:`_mean_cos2_direct`: identical averages to the last bit.
        """
        if self._cos2_zones is None:
            _, n_e, _ = _production_profile(MODELS[self.model])
            E_MeV = np.exp(self._grid_lnE)
            self._cos2_zones = [
                0.5 + 0.5 * cos2_theta12_matter(
                    E_MeV[start : start + _CHUNK, None], n_e[None, :], self.theta12_deg, self.theta13_deg,
                    self.dm21_eV2,
                )
                for start in range(0, E_MeV.size, _CHUNK)
            ]  # fmt: skip
        return self._cos2_zones

    def __getstate__(self) -> dict:
        """Pickled without the zone table (0.9 MB; rebuilt on demand by a worker that needs it)."""
        return {**self.__dict__, "_cos2_zones": None}

    def _mean_cos2_grid(self, reaction: str) -> tuple[np.ndarray, np.ndarray]:
        """Production-averaged cos^2 theta12^m on the ln E grid and its increments (built on first use)."""
        grid = self._cos2_grid.get(reaction)
        if grid is None:
            w = _production_profile(MODELS[self.model])[2][reaction]
            values = np.concatenate([zones @ w for zones in self._cos2_zones_on_grid()])
            grid = self._cos2_grid[reaction] = (values, np.diff(values))
        return grid

    def _mean_cos2_interpolated(self, reaction: str, E: np.ndarray) -> np.ndarray:
        """Linear interpolation in ln E on the uniform grid by direct indexing (no binary search)."""
        values, steps = self._mean_cos2_grid(reaction)
        lnE = np.log(np.clip(E, _GRID_E_MIN_MEV, _GRID_E_MAX_MEV))
        u = (lnE - self._grid_lnE[0]) * self._grid_inv_step  # >= 0 (up to rounding) after the clip
        nan = np.isnan(u)
        has_nan = bool(nan.any())
        if has_nan:
            u = np.where(nan, 0.0, u)
        i = np.minimum(u.astype(np.intp), values.size - 2)
        out = values[i] + (u - i) * steps[i]
        return np.where(nan, np.nan, out) if has_nan else out

    def arrival_probabilities(
        self, component: SourceComponent | str, E_MeV: ArrayLike, *, exact: bool = False
    ) -> np.ndarray:
        """Probabilities that an electron neutrino of ``component`` arrives at Earth as nu_e, nu_mu, nu_tau.

        ``P_ealpha(E) = sum_i |U_alphai|^2 <P_ei>`` with ``<P_e1> = cos^2 theta13 <cos^2 theta12^m>``,
        ``<P_e2> = cos^2 theta13 (1 - <cos^2 theta12^m>)``, ``<P_e3> = sin^2 theta13``, where ``<...>``
        averages over the component's radial production distribution in the B16 model (physics.md
        Secs. 5.4, 5.5; adiabatic MSW-LMA, incoherent mass states, no day-night effect). P_ee equals the
        production average of :func:`survival_probability`.

        Parameters
        ----------
        component : SourceComponent or str
            A component of this source (or its name).
        E_MeV : array_like
            Neutrino energies [MeV], any shape. Energies outside 1e-3..30 MeV get the value at the
            nearer grid end (error < 1e-4 there); NaN gives NaN.
        exact : bool, optional
            If True, average directly over the production zones instead of interpolating the cached grid
            (slow; used to check the interpolation, which agrees to 2e-6).

        Returns
        -------
        numpy.ndarray
            Shape ``(3,) + np.shape(E_MeV)``: (P_ee, P_emu, P_etau), summing to 1 along the first axis.

        Raises
        ------
        UnknownNameError
            If ``component`` is not one of this source's components.
        """
        reaction = _REACTION[self._component_name(component)]
        E = np.asarray(E_MeV, dtype=float)
        if exact:
            flat = np.clip(E.ravel(), _GRID_E_MIN_MEV, _GRID_E_MAX_MEV)
            cos2 = self._mean_cos2_direct(reaction, flat).reshape(E.shape)
        else:
            cos2 = self._mean_cos2_interpolated(reaction, E)
        return _mix(self._u2, self._s13sq, cos2)
