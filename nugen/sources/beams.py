"""Accelerator neutrino beams: the CHARM-II wide-band beam of the CERN SPS and MiniBooNE's Booster beam.

Both are tabulated fluxes per POT read by one loader (:func:`load_flux_table`) into one class,
:class:`TabulatedBeam`; :class:`CHARM2Beam` (registry name ``charm2``) and :class:`MiniBooNEBeam`
(``miniboone``, below) differ only in their tables.

**CHARM-II.**

The flux at the CHARM-II detector is the table shipped with the DarkNews generator
(mhostert/DarkNews-generator, ``include/fluxes/CHARMII_{FHC,RHC}.dat``; A. Abdullahi et al.,
arXiv:2207.04137), whose origin is **not documented** there (most likely digitised from a CHARM-II flux
figure; detector: K. De Winter et al., NIM A 278 (1989) 670; nu_mu e analysis: P. Vilain et al., PLB 335
(1994) 246). nugen's copies are ``nugen/data/charm2_flux_numu_mode.csv`` and
``nugen/data/charm2_flux_numubar_mode.csv`` (headers cite the origin; physics.md Sec. 6.4).

* **Units.** The tables give dPhi/dE in neutrinos / m^2 / GeV / POT on a GeV grid. The column names carry
  the unit (``E_GeV``, ``flux_numu_per_m2_GeV_POT``); :func:`load_flux_table` converts to nugen's internal
  units -- energies in MeV, fluxes per cm^2 per POT, pdfs in MeV^-1 -- from the names, and refuses unknown
  units. A table's ``# check:`` header lines record the integral [m^-2 POT^-1] and mean energy [GeV] of
  each column; after conversion both must agree within 1 % or :class:`~nugen.errors.DataFileError` is
  raised, naming the column and the two values. This catches unit mismatches (m^2 vs cm^2: 1e4, GeV vs
  MeV: 1e3). Tables without check lines must pass a plausibility window for a GeV beam instead
  (:data:`PLAUSIBLE_INTEGRAL_PER_CM2_POT`, :data:`PLAUSIBLE_MEAN_ENERGY_GEV`).
* **Shape.** Linear interpolation between the tabulated points, zero outside (as DarkNews does with
  ``scipy.interpolate.interp1d``); the pdf is normalised exactly (trapezoid rule is exact for it). Every
  interior grid point is a kink and is listed in :attr:`SourceComponent.breakpoints_MeV`.
* **Components.** Both modes contain nu_mu and nubar_mu (the wrong-sign contamination); the e and tau
  columns of the original are zero and are dropped. Components are named ``numu`` and ``numubar`` with
  flavour ``"mu"``. (The loader also knows ``nue`` and ``nuebar`` columns, flavour ``"e"``: MiniBooNE.)
* **Flavour evolution.** None: L ~ 0.9 km and E ~ 25 GeV give Delta m^2 L / (4E) ~ 1e-4 (atmospheric
  splitting), so :meth:`CHARM2Beam.arrival_probabilities` is the identity.

Reference numbers (integral of dPhi/dE, mean energy; computed from the table, PROVENANCE.md of the
reference copy): nu_mu mode: nu_mu 7.402e-4 m^-2 POT^-1 = 7.402e-8 cm^-2 POT^-1, <E> = 24.85 GeV;
nubar_mu 4.829e-5 m^-2 POT^-1, <E> = 18.47 GeV. nubar_mu mode: nu_mu 6.415e-5, <E> = 25.43 GeV; nubar_mu
4.950e-4, <E> = 21.12 GeV (physics.md quotes 23.7 GeV for nu_mu from DarkCast and 19.1 GeV for nubar_mu,
UNVERIFIED).

**MiniBooNE** (Booster Neutrino Beam, 8.89 GeV/c protons on Be, detector at 541 m;
neutrino mode, and antineutrino mode from ``MiniBooNE_RHC.dat``):
the flux released with A. A. Aguilar-Arevalo et al., "The Neutrino Flux Prediction at MiniBooNE", PRD 79
(2009) 072002, arXiv:0806.1449, as shipped by DarkNews 0.4.8 (``include/fluxes/MiniBooNE_FHC.dat``, used
by its ``miniboone_fhc`` experiment). nugen's copy is ``nugen/data/miniboone_flux_numu_mode.csv`` (header:
citation, provenance, units, check lines). The file gives dPhi/dE in nu / cm^2 / GeV / POT at the centres
of 50 MeV bins (0.025-9.975 GeV), columns nue, numu, nutau, nuebar, numubar, nutaubar, as DarkNews'
``Detector`` reads it (tau columns zero, dropped). Components ``numu``, ``numubar`` (flavour ``"mu"``),
``nue``, ``nuebar`` (``"e"``), linear between the bin centres and zero outside, as in DarkNews. Bin contents
x 0.05 GeV sum to 5.194e-10 nu_mu cm^-2 POT^-1 (93.6 % nu_mu, 5.9 % nubar_mu, 0.52 % nu_e, 0.05 % nubar_e);
the interpolant integrates to nu_mu 5.182e-10 (<E> = 0.810 GeV), nubar_mu 3.132e-11 (0.480 GeV), nu_e
2.861e-12 (0.960 GeV), nubar_e 2.973e-13 (0.979 GeV) cm^-2 POT^-1. Oscillations over 541 m at ~1 GeV
(Delta m^2_31 L / 4E ~ 2e-3) are neglected: the arrival probabilities are the identity.

Examples
--------
>>> from nugen.sources import get_source
>>> beam = get_source("charm2", mode="numu")
>>> c = beam.component("numu")
>>> round(c.flux * 1e8, 3)  # cm^-2 POT^-1
7.402
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike

from nugen import data
from nugen.errors import DataFileError, InvalidParameterError, UnknownNameError
from nugen.sources.base import ShortBaselineSource, SourceComponent
from nugen.tables import Table, parse_table

__all__ = [
    "FLUX_TABLES",
    "MINIBOONE_FLUX_TABLES",
    "MODES",
    "PLAUSIBLE_INTEGRAL_PER_CM2_POT",
    "PLAUSIBLE_MEAN_ENERGY_GEV",
    "CHARM2Beam",
    "MiniBooNEBeam",
    "PiecewiseLinearPdf",
    "TabulatedBeam",
    "load_flux_table",
]

#: Beam modes of :class:`CHARM2Beam` and their packaged flux tables.
FLUX_TABLES: dict[str, str] = {
    "numu": "charm2_flux_numu_mode.csv",
    "numubar": "charm2_flux_numubar_mode.csv",
}
#: Accepted beam modes.
MODES: tuple[str, ...] = tuple(FLUX_TABLES)
#: Beam modes of :class:`MiniBooNEBeam` and their packaged flux tables (neutrino and antineutrino mode).
MINIBOONE_FLUX_TABLES: dict[str, str] = {
    "numu": "miniboone_flux_numu_mode.csv",
    "numubar": "miniboone_flux_numubar_mode.csv",
}

#: Window for the integrated flux [cm^-2 POT^-1] of the dominant component of a table without check
#: lines: a CERN-SPS / Fermilab wide-band beam at a ~1 km detector gives 1e-9 ... 1e-6.
PLAUSIBLE_INTEGRAL_PER_CM2_POT: tuple[float, float] = (1e-10, 1e-5)
#: Window for the mean energy [GeV] of every non-empty component of a table without check lines.
PLAUSIBLE_MEAN_ENERGY_GEV: tuple[float, float] = (0.5, 500.0)
#: Relative tolerance of the ``# check:`` comparison.
CHECK_RTOL = 0.01

# unit factors to nugen's internal units (MeV; cm^-2; per MeV)
_ENERGY_UNITS = {"GeV": 1000.0, "MeV": 1.0}
_AREA_UNITS = {"m2": 1e-4, "cm2": 1.0}  # multiply a per-area flux by this to get per cm^2
_FLUX_COLUMN = re.compile(
    r"^flux_(?P<flavour>nuebar|nue|numubar|numu)_per_(?P<area>m2|cm2)_(?P<energy>GeV|MeV)_POT$"
)
_ENERGY_COLUMN = re.compile(r"^E_(?P<unit>GeV|MeV)$")
_CHECK_LINE = re.compile(
    r"^check:\s*(?P<col>\S+)\s+integral_per_m2_POT=(?P<integral>\S+)\s+mean_GeV=(?P<mean>\S+)\s*$"
)
# component name -> (flavour, antineutrino)
_FLAVOURS = {"numu": ("mu", False), "numubar": ("mu", True), "nue": ("e", False), "nuebar": ("e", True)}


@dataclass(frozen=True)
class PiecewiseLinearPdf:
    """Normalised piecewise-linear energy distribution [MeV^-1], zero outside the table (picklable).

    Parameters
    ----------
    E_MeV : numpy.ndarray
        Strictly increasing grid [MeV].
    values : numpy.ndarray
        Non-negative values at the grid points (any normalisation).

    Notes
    -----
    The integral of a linear interpolant is exactly the trapezoid sum, so the normalisation, the CDF
    and its inverse (:meth:`ppf`, a quadratic per segment) are exact.
    """

    E_MeV: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    norm: float = field(init=False, repr=False)
    cdf_nodes: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        E = np.asarray(self.E_MeV, dtype=float)
        y = np.asarray(self.values, dtype=float)
        seg = 0.5 * np.diff(E) * (y[:-1] + y[1:])
        total = float(seg.sum())
        if not total > 0:
            msg = "piecewise-linear pdf has zero integral"
            raise DataFileError(msg)
        object.__setattr__(self, "E_MeV", E)
        object.__setattr__(self, "values", y / total)
        object.__setattr__(self, "norm", total)
        object.__setattr__(self, "cdf_nodes", np.concatenate([[0.0], np.cumsum(seg) / total]))

    def __call__(self, E_MeV: ArrayLike) -> np.ndarray:
        """Probability density [MeV^-1] at ``E_MeV``."""
        return np.interp(np.asarray(E_MeV, dtype=float), self.E_MeV, self.values, left=0.0, right=0.0)

    def mean(self) -> float:
        """Mean energy [MeV] (exact for the linear interpolant)."""
        x0, x1 = self.E_MeV[:-1], self.E_MeV[1:]
        y0, y1 = self.values[:-1], self.values[1:]
        return float(np.sum((x1 - x0) / 6.0 * (x0 * (2 * y0 + y1) + x1 * (y0 + 2 * y1))))

    def cdf(self, E_MeV: ArrayLike) -> np.ndarray:
        """Cumulative distribution at ``E_MeV`` (exact)."""
        E = np.asarray(E_MeV, dtype=float)
        x, y = self.E_MeV, self.values
        i = np.clip(np.searchsorted(x, E, side="right") - 1, 0, x.size - 2)
        h = np.clip(E - x[i], 0.0, x[i + 1] - x[i])
        slope = (y[i + 1] - y[i]) / (x[i + 1] - x[i])
        return np.clip(self.cdf_nodes[i] + y[i] * h + 0.5 * slope * h * h, 0.0, 1.0)

    def ppf(self, u: ArrayLike) -> np.ndarray:
        """Inverse CDF: the energy [MeV] below which a fraction ``u`` in [0, 1] lies (vectorised, exact).

        Inside segment i the CDF is ``C_i + y_i h + s h^2 / 2``; ``h`` is the root of that quadratic,
        written as ``2 r / (y_i + sqrt(y_i^2 + 2 s r))`` to avoid cancellation (s may be 0 or negative).
        """
        u = np.asarray(u, dtype=float)
        x, y, c = self.E_MeV, self.values, self.cdf_nodes
        # flat (zero-probability) segments have c[i] == c[i+1]; side="right" skips them
        i = np.clip(np.searchsorted(c, u, side="right") - 1, 0, x.size - 2)
        r = np.maximum(u - c[i], 0.0)
        slope = (y[i + 1] - y[i]) / (x[i + 1] - x[i])
        disc = np.maximum(y[i] * y[i] + 2.0 * slope * r, 0.0)
        den = y[i] + np.sqrt(disc)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.where(den > 0, 2.0 * r / den, 0.0)
        return np.minimum(x[i] + h, x[i + 1])

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` energies [MeV] drawn by inverse CDF with ``rng``."""
        return self.ppf(rng.random(n))


def _check_lines(table: Table) -> dict[str, tuple[float, float]]:
    out = {}
    for line in table.header.splitlines():
        m = _CHECK_LINE.match(line.strip())
        if m:
            try:
                out[m["col"]] = (float(m["integral"]), float(m["mean"]))
            except ValueError:
                msg = f"flux table {table.name!r}: unreadable check line {line.strip()!r}"
                raise DataFileError(msg) from None
    return out


def load_flux_table(table: Table) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Convert a beam flux table to internal units and check it.

    Parameters
    ----------
    table : Table
        A parsed table with one energy column ``E_GeV`` or ``E_MeV`` and flux columns named
        ``flux_<nue|nuebar|numu|numubar>_per_<m2|cm2>_<GeV|MeV>_POT``.

    Returns
    -------
    dict
        Component name -> ``(E_MeV, dPhi/dE [cm^-2 MeV^-1 POT^-1])`` for every column that is not
        identically zero.

    Raises
    ------
    DataFileError
        Missing or unit-less columns, negative or non-increasing values, or a failed integral /
        mean-energy check (the message names the column, the value found and the value expected).
    """
    energy_cols = [c for c in table.columns if _ENERGY_COLUMN.match(c)]
    if len(energy_cols) != 1:
        msg = (
            f"flux table {table.name!r} needs exactly one energy column named E_GeV or E_MeV; "
            f"columns: {', '.join(table.columns)}"
        )
        raise DataFileError(msg)
    e_col = energy_cols[0]
    E = np.asarray(table[e_col], dtype=float) * _ENERGY_UNITS[_ENERGY_COLUMN.match(e_col)["unit"]]
    if E.size < 2 or np.any(np.diff(E) <= 0) or E[0] < 0:
        msg = f"flux table {table.name!r}: column {e_col!r} must be >= 0 and strictly increasing"
        raise DataFileError(msg)
    checks = _check_lines(table)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for col in table.columns:
        if col == e_col:
            continue
        m = _FLUX_COLUMN.match(col)
        if m is None:
            msg = (
                f"flux table {table.name!r}: column {col!r} has no recognised unit; expected "
                "flux_<nue|nuebar|numu|numubar>_per_<m2|cm2>_<GeV|MeV>_POT"
            )
            raise DataFileError(msg)
        raw = np.asarray(table[col], dtype=float)
        if np.any(raw < 0):
            msg = f"flux table {table.name!r}: column {col!r} has negative values"
            raise DataFileError(msg)
        # per area -> per cm^2; per GeV -> per MeV
        phi = raw * _AREA_UNITS[m["area"]] / _ENERGY_UNITS[m["energy"]]
        if not np.any(phi > 0):
            continue
        integral = float(np.sum(0.5 * np.diff(E) * (phi[:-1] + phi[1:])))  # cm^-2 POT^-1
        mean_GeV = PiecewiseLinearPdf(E, phi).mean() / 1000.0
        if col in checks:
            ref_int = checks[col][0] * _AREA_UNITS["m2"]
            ref_mean = checks[col][1]
            if not math.isclose(integral, ref_int, rel_tol=CHECK_RTOL):
                msg = (
                    f"flux table {table.name!r}: column {col!r} integrates to {integral:.4g} cm^-2 POT^-1 "
                    f"after unit conversion, but its check line says {ref_int:.4g} "
                    f"(ratio {integral / ref_int:.4g}): unit mismatch?"
                )
                raise DataFileError(msg)
            if not math.isclose(mean_GeV, ref_mean, rel_tol=CHECK_RTOL):
                msg = (
                    f"flux table {table.name!r}: column {col!r} has mean energy {mean_GeV:.4g} GeV after "
                    f"unit conversion, but its check line says {ref_mean:.4g} GeV: energy-unit mismatch?"
                )
                raise DataFileError(msg)
        else:
            lo, hi = PLAUSIBLE_MEAN_ENERGY_GEV
            if not lo <= mean_GeV <= hi:
                msg = (
                    f"flux table {table.name!r}: column {col!r} has mean energy {mean_GeV:.4g} GeV, outside "
                    f"the plausible range [{lo}, {hi}] GeV of a GeV beam: energy-unit mismatch?"
                )
                raise DataFileError(msg)
        out[m["flavour"]] = (E, phi)
    if not out:
        msg = f"flux table {table.name!r} has no non-zero nue, nuebar, numu or numubar flux column"
        raise DataFileError(msg)
    if not any(c in checks for c in table.columns):
        top = max(float(np.sum(0.5 * np.diff(e) * (p[:-1] + p[1:]))) for e, p in out.values())
        lo, hi = PLAUSIBLE_INTEGRAL_PER_CM2_POT
        if not lo <= top <= hi:
            msg = (
                f"flux table {table.name!r}: the largest component integrates to {top:.4g} cm^-2 POT^-1, "
                f"outside the plausible range [{lo:g}, {hi:g}] of a wide-band beam: flux-unit mismatch?"
            )
            raise DataFileError(msg)
    return out


def _support(E: np.ndarray, phi: np.ndarray) -> tuple[int, int]:
    """Indices (first, last) of the grid points bounding the non-zero part of ``phi``."""
    nz = np.flatnonzero(phi > 0)
    return max(int(nz[0]) - 1, 0), min(int(nz[-1]) + 1, E.size - 1)


class TabulatedBeam(ShortBaselineSource):
    """A beam whose flux at the detector is a packaged table per POT (base of the registered beams).

    Subclasses set :attr:`name`, :attr:`flux_tables` (mode -> file in ``nugen/data``) and
    :attr:`mode_label` (the name of a mode in error messages).

    Parameters
    ----------
    mode : str
        One of the keys of :attr:`flux_tables`.
    flux_file : str or path-like, optional
        Use this table instead of the packaged one (same format, see :func:`load_flux_table`).

    Raises
    ------
    UnknownNameError
        For an unknown ``mode`` (the message names it and lists the known ones).
    DataFileError
        For a flux table that fails the unit / integral checks.

    Attributes
    ----------
    components : tuple of SourceComponent
        One per non-zero column (neutrinos first), flux in cm^-2 POT^-1, piecewise-linear pdf in MeV^-1.
    table_name : str
        Where the flux came from.

    Notes
    -----
    ``exposure_unit`` is ``"POT"``: :class:`nugen.rates.RateCalculator` returns rates per tonne per POT.
    Flavour evolution is the identity (short baselines, see the module docstring).
    """

    exposure_unit = "POT"
    #: Beam mode -> packaged flux table.
    flux_tables: ClassVar[dict[str, str]] = {}
    #: What a mode is called in error messages.
    mode_label = "beam mode"

    def __init__(self, mode: str = "numu", flux_file: str | Path | None = None):
        if not isinstance(mode, str) or mode not in self.flux_tables:
            raise UnknownNameError(self.mode_label, mode, tuple(self.flux_tables))
        self.mode = mode
        if flux_file is None:
            table = data.read(self.flux_tables[mode])
        else:
            path = Path(flux_file)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                msg = f"cannot read flux_file {str(flux_file)!r}: {exc.strerror or exc}"
                raise InvalidParameterError(msg) from None
            table = parse_table(text, name=str(path))
        self.table_name = table.name
        comps = []
        for name, (E, phi) in load_flux_table(table).items():
            i0, i1 = _support(E, phi)
            E_s, phi_s = E[i0 : i1 + 1], phi[i0 : i1 + 1]
            pdf = PiecewiseLinearPdf(E_s, phi_s)
            flavour, anti = _FLAVOURS[name]
            comps.append(
                SourceComponent(
                    name=name,
                    flux=pdf.norm,
                    E_min_MeV=float(E_s[0]),
                    E_max_MeV=float(E_s[-1]),
                    pdf=pdf,
                    flavour=flavour,
                    antineutrino=anti,
                    relative_uncertainty=0.0,
                    breakpoints_MeV=tuple(float(v) for v in E_s[1:-1]),
                )
            )
        self.components = tuple(sorted(comps, key=lambda c: c.antineutrino))

    def mean_energy_MeV(self, component: SourceComponent | str) -> float:
        """Flux-weighted mean energy [MeV] of ``component`` (or its name)."""
        c = self.component(component) if isinstance(component, str) else component
        return c.pdf.mean()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} mode={self.mode!r}: {', '.join(c.name for c in self.components)}>"


class CHARM2Beam(TabulatedBeam):
    """The CHARM-II wide-band nu_mu / nubar_mu beam (CERN SPS, 450 GeV protons), flux per POT.

    Parameters
    ----------
    mode : {"numu", "numubar"}
        Horn polarity: neutrino mode (nu_mu-dominated, the 2677-event nu_mu e sample) or antineutrino mode
        (nubar_mu-dominated, the 2752-event nubar_mu e sample).
    flux_file : str or path-like, optional
        Use this table instead of the packaged one (same format, see :func:`load_flux_table`).

    Raises
    ------
    UnknownNameError
        For an unknown ``mode`` (the message names it and lists ``numu``, ``numubar``).
    DataFileError
        For a flux table that fails the unit / integral checks.

    Attributes
    ----------
    components : tuple of SourceComponent
        ``numu`` and ``numubar`` (flavour ``"mu"``), flux in cm^-2 POT^-1, piecewise-linear pdf in MeV^-1.
    table_name : str
        Where the flux came from.

    Notes
    -----
    ``exposure_unit`` is ``"POT"``: :class:`nugen.rates.RateCalculator` returns rates per tonne per POT.
    """

    name = "charm2"
    flux_tables = FLUX_TABLES
    mode_label = "CHARM-II beam mode"


class MiniBooNEBeam(TabulatedBeam):
    """MiniBooNE's Booster Neutrino Beam (Fermilab, 8.89 GeV/c protons on Be), flux per POT.

    The flux at the MiniBooNE detector (541 m) published with A. A. Aguilar-Arevalo et al., PRD 79 (2009)
    072002, arXiv:0806.1449, in DarkNews 0.4.8's copy (``MiniBooNE_FHC.dat``, ``MiniBooNE_RHC.dat``; module
    docstring).

    Parameters
    ----------
    mode : {"numu", "numubar"}
        Horn polarity: neutrino mode (default) or antineutrino mode (nubar_mu 2.917e-10, wrong-sign nu_mu
        5.308e-11 cm^-2 POT^-1).
    flux_file : str or path-like, optional
        Use this table instead of the packaged one (same format, see :func:`load_flux_table`).

    Raises
    ------
    UnknownNameError
        For an unknown ``mode``.
    DataFileError
        For a flux table that fails the unit / integral checks.

    Attributes
    ----------
    components : tuple of SourceComponent
        ``numu``, ``nue`` (neutrinos) and ``numubar``, ``nuebar``; flux in cm^-2 POT^-1 (nu_mu: 5.182e-10),
        piecewise-linear pdf in MeV^-1 between the 50 MeV bin centres from 25 MeV (all zero above 7.2 GeV).

    Examples
    --------
    >>> from nugen.sources import get_source
    >>> beam = get_source("miniboone")
    >>> round(beam.component("numu").flux * 1e10, 3)  # cm^-2 POT^-1
    5.182
    """

    name = "miniboone"
    flux_tables = MINIBOONE_FLUX_TABLES
    mode_label = "MiniBooNE beam mode"
