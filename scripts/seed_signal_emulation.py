#!/usr/bin/env python
"""The authors' XENON1T dipole signal spectrum, emulated, against nugen's (Brdar et al. 2020, Fig. 3).

An independent re-implementation, for comparison only, of how the seed's authors computed the XENON1T
electron-recoil signal: koppj/mm-astro-nu commit 295c581, ``exclusion_plot/direct_det_neutrinos.py``
(read, not copied; nothing of it enters nugen). Their recipe, as read there:

* cross section ``xsections_and_rates.diff_sigma_mag_mom`` (electron, 1803.03262 Eq. A.6, with d and
  mu = 2d): algebraically nugen's :func:`nugen.xsec.dipole_dsigma_dT` (checked numerically below);
* ``Enu_min(T) = max((M^2 + 2 m_e T) / (2 sqrt(T (2 m_e + T)) - 2 T), M + M^2 / (2 m_e))``;
* continuous fluxes: ``np.trapz`` of P_emu(E) x dsigma/dT x dPhi/dE on
  ``np.logspace(log10 Enu_min(T), 2, 100)`` MeV (one grid for the sum of all continua, flux 0 outside a
  table) -- :func:`e_integral_trapz`;
* lines 7Be 0.8618 (0.897 x 4.34e9), 7Be 0.3843 (0.103 x 4.34e9) and pep 1.44 MeV (1.45e8 cm^-2 s^-1),
  each where ``E_line > Enu_min(T)``; BS05(AGS,OP) fluxes (:data:`AUTHORS_LINES`, :data:`BS05`);
* stepping: ``sum_i n_i Theta(T - B_i)`` over 17 xenon subshells (the same binding energies and
  multiplicities as ``nugen/data/xenon_shells.csv``);
* detector: ``sigma(E) = (a / sqrt(E) + b) / 100 x E`` [eV] with a = 1014.32, b = 0.42983 (their fit;
  0.3208 sqrt(E/keV) keV + 0.0043 E), smearing ``np.trapz(norm.pdf(E_obs; E_true, sigma(E_true)) x
  signal(E_true), E_true)`` over **the same recoil grid** (so no true recoil outside the grid is smeared
  in), then the efficiency at the observed energy (interpolated, 0 outside its table) --
  :func:`fold_on_grid`;
* P_emu from their ``data/Pem.dat`` (Kopp's adiabatic calculation; **not public**, so its
  oscillation parameters are unknown).

Their recoil grid, binning, P_emu table and chi^2 are not public. :func:`compare` therefore changes
**one ingredient at a time** on top of nugen's signal (nugen's B16-GS98 fluxes, shapes and P_emu unless
stated) and reports the ratio to nugen's signal in the 29 one-keV bins 1-30 keV (:data:`STEPS`): the
E_nu trapezoid, the authors' lines, BS05 continua, the authors' resolution, smearing without true
recoils below 1 keV, smearing on a 1-30 keV recoil grid (steps 0.1 and 1 keV, hypothetical), all the
code-known ingredients at once, and two P_emu alternatives that bracket the unknown table (NuFIT 4.1
angles with delta_CP = 0, the only parameters written in the authors' code, in its DSNB part; and the
equal mu/tau split). Bahcall's tabulated continuum shapes (the authors' ``solar-nu/*.dat``) instead
of nugen's: ``--bahcall DIR`` with the project's reference copies (``DIR`` = the shared data folder,
``solar_spectrum_{pp,hep,8B_bahcall1996,13N,15O,17F}.csv``; not shipped in the repository), printed by
:func:`bahcall_check`. ``scripts/fig3_curve_by_curve.py --emulate-signal`` turns
the ratios into one-input variants of the seed's-procedure limit.

Run ``python scripts/seed_signal_emulation.py`` (~10 s): prints the per-mass table (the same table is
part of the ``fig3-signal`` block that ``fig3_curve_by_curve.py --emulate-signal --write`` writes).
"""

from __future__ import annotations

import functools
import itertools
import math
import sys
from pathlib import Path

import numpy as np
from scipy.special import ndtr

#: BS05(AGS,OP) fluxes [cm^-2 s^-1] of the authors' code (physics.md Sec. 6.5; Bahcall, Serenelli, Basu,
#: ApJ 621 (2005) L85, astro-ph/0412440, Table 2), per reaction.
BS05 = {
    "pp": 6.06e10,
    "7Be": 4.34e9,
    "pep": 1.45e8,
    "8B": 4.51e6,
    "hep": 8.25e3,
    "13N": 2.01e8,
    "15O": 1.45e8,
    "17F": 3.25e6,
}

#: Masses [MeV] of the 0.2-1.4 MeV differences (the authors' grid vertices 0.2832, 0.4197, 0.5109,
#: 1.122 and 1.366 MeV, rounded as in the brief) plus a light reference mass.
MASSES = (0.01, 0.3, 0.42, 0.51, 1.12, 1.37)
FLAVOUR_ROW = 1  # nu_mu
#: The authors' lines: energy [MeV] and flux [cm^-2 s^-1] (BS05(AGS,OP), astro-ph/0412440 Table 2).
AUTHORS_LINES = {
    "7Be_861": (0.8618, 0.897 * 4.34e9),
    "7Be_384": (0.3843, 0.103 * 4.34e9),
    "pep": (1.44, 1.45e8),
}
#: Their resolution fit (sigma = (a / sqrt(E) + b) / 100 x E, E and sigma in eV).
RES_A, RES_B = 1014.3240405978196, 0.42982967424679536
#: Number of points of their E_nu grid and its upper end [MeV].
N_ENU, E_TOP = 100, 100.0
#: Points of the converged log trapezoid (for the P_emu bracket, where nugen's own integral cannot be used).
N_FINE = 800


def detector():
    """nugen's XENON1T detector with the seed's settings (tritium free)."""
    from detectors import get_detector

    return get_detector("xenon1t", tritium="free")


@functools.cache
def _nugen_inputs():
    from nugen.rates import rate_calculator

    rc = rate_calculator("solar", "xenon")
    return rc


def e_min(T: np.ndarray, M: float) -> np.ndarray:
    """The authors' ``Enu_min(T)`` [MeV] (their formula; nugen's :func:`min_neutrino_energy` + threshold)."""
    from nugen.constants import M_E

    T = np.asarray(T, float)
    rel = (M * M + 2 * M_E * T) / (2 * np.sqrt(T * (2 * M_E + T)) - 2 * T)
    return np.maximum(rel, M + M * M / (2 * M_E))


def xsec(E, T, M: float) -> np.ndarray:
    """Their dsigma/dT [cm^2/MeV] for mu = 1 mu_B (d = mu/2), clipped at 0 as theirs; no range cut."""
    from nugen.constants import ALPHA, CM2_PER_MEV2, M_E, MU_B_PER_MEV

    E, T = np.broadcast_arrays(np.asarray(E, float), np.asarray(T, float))
    d = 0.5 * MU_B_PER_MEV
    m = M_E
    res = (
        d
        * d
        * ALPHA
        * (8 * E * T * m * m * (E - T) + 2 * T * M * M * m * (T - 2 * E - m) + M**4 * (T - m))
        / (2 * E * E * T * T * m * m)
    )
    return np.maximum(res, 0.0) * CM2_PER_MEV2


def _continua(flux_scale: dict | None = None):
    rc = _nugen_inputs()
    out = []
    for c in rc.components:
        if c.is_line:
            continue
        s = 1.0 if flux_scale is None else flux_scale[c.name.split("_")[0]] / _b16(c.name.split("_")[0])
        out.append((c, c.flux * s))
    return out


def _b16(reaction: str) -> float:
    rc = _nugen_inputs()
    return sum(c.flux for c in rc.components if c.name.split("_")[0] == reaction)


#: The mixing angles [deg] of the authors' own code where it writes them out (NuFIT 4.1, real rotations,
#: i.e. delta_CP = 0: ``phi_dsnb_osc`` in the same direct_det_neutrinos.py); Delta m^2_21 kept at nugen's.
NUFIT41_AUTHORS = {"theta12_deg": 33.82, "theta13_deg": 8.60, "theta23_deg": 48.6, "delta_cp_deg": 0.0}


@functools.cache
def _source(p_mode: str):
    from nugen.sources.solar import SolarSource

    return SolarSource("B16-GS98", **NUFIT41_AUTHORS) if p_mode == "nufit41" else _nugen_inputs().source


def _p_mu(comp, E: np.ndarray, p_mode: str = "nugen") -> np.ndarray:
    """P(nu_e -> nu_mu) of ``comp`` at ``E``.

    ``"nugen"``: nugen's (NuFIT 5.0); ``"nufit41"``: with :data:`NUFIT41_AUTHORS`; ``"split"``: the
    equal mu/tau split (1 - P_ee) / 2 with nugen's P_ee.
    """
    P = _source(p_mode).arrival_probabilities(comp.name, E)
    return 0.5 * (1.0 - P[0]) if p_mode == "split" else P[FLAVOUR_ROW]


def _continuum_integrand(
    E: np.ndarray, T: np.ndarray, M: float, flux_scale=None, p_mode="nugen"
) -> np.ndarray:
    """sum_c Phi_c f_c(E) P_emu,c(E) dsigma/dT(E, T) [per s per MeV^2 per electron], E of shape (nT, n)."""
    tot = np.zeros_like(E)
    sig = xsec(E, T[:, None], M)
    for c, flux in _continua(flux_scale):
        tot += flux * c.pdf(E) * _p_mu(c, E, p_mode)
    return tot * sig


def e_integral_trapz(T: np.ndarray, M: float, flux_scale=None, n: int = N_ENU, p_mode="nugen") -> np.ndarray:
    """Their continuous-flux integral: ``np.trapz`` on ``logspace(log10 Enu_min(T), log10 100 MeV, n)``."""
    T = np.asarray(T, float)
    E = np.geomspace(e_min(T, M), E_TOP, n, axis=-1)
    return np.trapezoid(_continuum_integrand(E, T, M, flux_scale, p_mode), E, axis=-1)


def e_integral_exact(T: np.ndarray, M: float, flux_scale=None) -> np.ndarray:
    """The same integral, converged: nugen's own continuum rates (Gauss-Legendre on [E_min(T), E_max] of
    each component, :meth:`nugen.rates.RateCalculator.dipole_templates`), per electron per second."""
    rc = _nugen_inputs()
    T = np.asarray(T, float)
    t = rc.dipole_templates(T, M)[:, FLAVOUR_ROW]  # per tonne per year per MeV, every component
    n_e = rc.target.electrons_per_tonne * rc.target.electron_fraction(T) * rc.exposure_factor
    with np.errstate(invalid="ignore", divide="ignore"):
        per = np.where(n_e > 0, 1.0 / n_e, 0.0)
    out = np.zeros_like(T)
    for i, c in enumerate(rc.components):
        if c.is_line:
            continue
        s = 1.0 if flux_scale is None else flux_scale[c.name.split("_")[0]] / _b16(c.name.split("_")[0])
        out += t[i] * s * per
    return out


def lines_sum(T: np.ndarray, M: float, which: str = "nugen", p_mode: str = "nugen") -> np.ndarray:
    """Sum over the lines of P_emu Phi dsigma/dT where ``E_line > Enu_min(T)``.

    ``which="nugen"``: nugen's lines (B16, 0.3843 / 0.8613 / 1.442 MeV); ``"authors"``: theirs
    (:data:`AUTHORS_LINES`). P_emu is nugen's at the line energy in both.
    """
    rc = _nugen_inputs()
    T = np.asarray(T, float)
    out = np.zeros_like(T)
    for c in rc.components:
        if not c.is_line:
            continue
        E, flux = (c.line_energy_MeV, c.flux) if which == "nugen" else AUTHORS_LINES[c.name]
        P = _p_mu(c, np.array([E]), p_mode)[0]
        ok = E > e_min(T, M)
        out += np.where(ok, P * flux * xsec(E, T, M), 0.0)
    return out


def true_spectrum(
    T: np.ndarray, M: float, *, e_int: str = "exact", lines: str = "nugen", flux_scale=None, p_mode="nugen"
):
    """dR/dT [events / (t yr MeV)] for mu_mu = 1 mu_B: stepping x electrons x (continua + lines).

    ``e_int``: ``"exact"`` (nugen's converged integral), ``"trapz"`` (theirs, 100 points) or
    ``"fine"`` (their trapezoid with :data:`N_FINE` points, converged to < 1e-3; used with ``p_mode``).
    """
    rc = _nugen_inputs()
    T = np.asarray(T, float)
    if e_int == "exact" and p_mode == "nugen":
        cont = e_integral_exact(T, M, flux_scale)
    else:
        n = N_ENU if e_int == "trapz" else N_FINE
        cont = e_integral_trapz(T, M, flux_scale, n=n, p_mode=p_mode)
    n_e = rc.target.electrons_per_tonne * rc.target.electron_fraction(T) * rc.exposure_factor
    return n_e * (cont + lines_sum(T, M, lines, p_mode))


def nugen_counts(M: float, det=None) -> np.ndarray:
    """nugen's dipole counts per bin (nu_mu, mu = 1 mu_B, the detector's exposure)."""
    det = detector() if det is None else det
    return det.signal_templates(M)[FLAVOUR_ROW]


def fold(T: np.ndarray, dRdT: np.ndarray, det, *, resolution: str = "nugen", t_min: float | None = None):
    """Counts per analysis bin: dR/dT on the fine grid ``T`` folded with Gaussian smearing and efficiency.

    ``resolution="nugen"`` uses the detector's sigma(T), ``"authors"`` theirs. ``t_min`` [MeV]: true
    recoils below it are dropped (the authors' smearing integrates only over their recoil grid).
    """
    edges = det.analysis_edges_MeV()
    T = np.asarray(T, float)
    f = np.where(T >= (t_min if t_min is not None else -np.inf), dRdT, 0.0)
    if resolution == "authors":
        T_eV = T * 1e6
        sig = (RES_A / np.sqrt(T_eV) + RES_B) / 100.0 * T_eV * 1e-6
    else:
        sig = det.resolution_MeV(T)
    n_sub = 32
    frac = np.arange(n_sub) / n_sub
    sub = np.append((edges[:-1, None] + np.diff(edges)[:, None] * frac[None, :]).ravel(), edges[-1])
    eps = det.efficiency(0.5 * (sub[:-1] + sub[1:]))
    cdf = ndtr((sub[:, None] - T[None, :]) / sig[None, :])
    K = (np.diff(cdf, axis=0) * eps[:, None]).reshape(edges.size - 1, n_sub, T.size).sum(axis=1)
    w = np.gradient(T)  # a fine grid; the trapezoid weights up to the two end halves
    w[0] *= 0.5
    w[-1] *= 0.5
    return (K * (f * w)[None, :]).sum(axis=1) * det.exposure_t_yr


def fold_on_grid(grid_keV: np.ndarray, dRdT: np.ndarray, det, *, resolution: str = "nugen") -> np.ndarray:
    """The authors' smearing: counts per analysis bin from dR/dT sampled on their recoil grid.

    ``smeared(E_j) = trapz_i(N(E_j; E_i, sigma(E_i)) dR/dT(E_i), E_i) x eff(E_j)`` over the grid itself
    (``xenon1t_detector_effects.spectrum_smearing``), then the trapezoid of ``smeared`` over the grid
    points inside each 1-keV bin (a grid on the bin edges); nothing outside the grid is smeared in.
    """
    E = np.asarray(grid_keV, float)
    if resolution == "authors":
        sig = (RES_A / np.sqrt(E * 1e3) + RES_B) / 100.0 * E
    else:
        sig = det.resolution_MeV(E * 1e-3) * 1e3
    f = np.asarray(dRdT, float) * 1e-3  # per keV
    g = np.exp(-0.5 * ((E[:, None] - E[None, :]) / sig[None, :]) ** 2) / (
        math.sqrt(2 * math.pi) * sig[None, :]
    )
    smeared = np.trapezoid(g * f[None, :], E, axis=1) * det.efficiency(E * 1e-3)
    edges = det.analysis_edges_MeV() * 1e3
    out = np.empty(edges.size - 1)
    for k, (a, b) in enumerate(itertools.pairwise(edges)):
        m = (E >= a - 1e-9) & (E <= b + 1e-9)
        out[k] = np.trapezoid(smeared[m], E[m])
    return out * det.exposure_t_yr


#: Hypothetical recoil grids of the authors' smearing [keV] (their grid is not public): 0.1 keV and
#: 1 keV steps from 1 to 30 keV (the latter on the bin edges).
AUTHORS_GRIDS = {"grid0.1": np.linspace(1.0, 30.0, 291), "grid1": np.linspace(1.0, 30.0, 30)}


def fine_grid(det) -> np.ndarray:
    """True-recoil grid [MeV] for :func:`fold`: 0.1 keV (nugen's floor) to 30 keV + 6 sigma, with every
    shell edge approached from both sides."""
    lo, hi = det.true_energy_range()
    from nugen.targets import get_target

    bp = get_target("xenon").breakpoints_MeV
    g = np.geomspace(lo, hi, 1500)
    extra = np.concatenate([bp * (1 - 1e-9), bp * (1 + 1e-9)])
    return np.unique(np.concatenate([g, extra[(extra > lo) & (extra < hi)]]))


#: The ingredients changed one at a time: (key, label, keyword arguments of :func:`emulated_counts`).
#: Each is compared with nugen's inputs through the same folding (:func:`signal_ratio`).
STEPS = (
    (
        "trapz",
        "E_nu integral: the authors' 100-point log trapezoid from E_nu,min to 100 MeV",
        {"e_int": "trapz"},
    ),
    ("lines", "lines: the authors' 0.8618 / 0.3843 / 1.44 MeV with BS05 fluxes", {"lines": "authors"}),
    ("bs05", "continua: BS05(AGS,OP) fluxes", {"flux_scale": "bs05"}),
    ("resolution", "resolution: the authors' 0.3208 sqrt(E) + 0.0043 E", {"resolution": "authors"}),
    ("t_min", "smearing: no true recoils below 1 keV", {"t_min": 1e-3}),
    (
        "grid0.1",
        "smearing: the authors' trapezoid on a 1-30 keV recoil grid, step 0.1 keV",
        {"smearing": "grid0.1"},
    ),
    ("grid1", "smearing: the same on a 1-keV grid (the bin edges)", {"smearing": "grid1"}),
    (
        "all",
        "E_nu trapezoid, lines, BS05, resolution and 0.1-keV grid smearing at once (nugen's P_emu)",
        {
            "e_int": "trapz",
            "lines": "authors",
            "flux_scale": "bs05",
            "resolution": "authors",
            "smearing": "grid0.1",
        },
    ),
    (
        "nufit41",
        "P_emu: NuFIT 4.1 angles with delta_CP = 0 (as the authors' DSNB code) instead of NuFIT 5.0",
        {"p_mode": "nufit41"},
    ),
    ("split", "P_emu: equal mu/tau split (1 - P_ee) / 2", {"p_mode": "split"}),
)


def emulated_counts(
    M: float,
    det=None,
    *,
    e_int="exact",
    lines="nugen",
    flux_scale=None,
    resolution="nugen",
    t_min=None,
    p_mode="nugen",
    smearing="nugen",
) -> np.ndarray:
    """Counts per bin with the chosen ingredients (defaults: nugen's); ``flux_scale="bs05"`` for BS05."""
    det = detector() if det is None else det
    if flux_scale == "bs05":
        flux_scale = BS05
    if p_mode != "nugen" and e_int == "exact":
        e_int = "fine"
    if smearing != "nugen":
        E = AUTHORS_GRIDS[smearing]
        spec = true_spectrum(E * 1e-3, M, e_int=e_int, lines=lines, flux_scale=flux_scale, p_mode=p_mode)
        return fold_on_grid(E, spec, det, resolution=resolution)
    T = fine_grid(det)
    spec = true_spectrum(T, M, e_int=e_int, lines=lines, flux_scale=flux_scale, p_mode=p_mode)
    return fold(T, spec, det, resolution=resolution, t_min=t_min)


_REF: dict[tuple, np.ndarray] = {}


def signal_ratio(M: float, det, **kw) -> np.ndarray:
    """Per-bin ratio of the counts with ingredients ``kw`` to nugen's, through the same folding.

    The reference is :func:`emulated_counts` with nugen's inputs (converged E_nu integral; for a
    ``p_mode`` the converged trapezoid, :data:`N_FINE` points); bins without signal get 1.
    """
    ref_kw = {"e_int": "fine"} if kw.get("p_mode", "nugen") != "nugen" else {}
    key = (float(M), id(det), tuple(sorted(ref_kw.items())))
    if key not in _REF:
        _REF[key] = emulated_counts(M, det, **ref_kw)
    ref = _REF[key]
    alt = emulated_counts(M, det, **kw)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ref > 0, alt / ref, 1.0)


def compare(masses=MASSES, steps=STEPS) -> list[dict]:
    """Per mass: nugen's counts, the folding check, and per step the per-bin ratio to nugen."""
    det = detector()
    out = []
    for M in masses:
        n = nugen_counts(M, det)
        rows = [
            {
                "key": "check",
                "label": "reference: nugen's inputs through this folding / nugen's Detector.signal_templates",
                "ratio": emulated_counts(M, det) / n,
            }
        ]
        rows += [{"key": k, "label": lab, "ratio": signal_ratio(M, det, **kw)} for k, lab, kw in steps]
        out.append({"M": M, "nugen": n, "rows": rows})
    return out


RANGES = ((0, 1), (1, 4), (4, 9), (9, 29))  # 1-2, 2-5, 5-10, 10-30 keV


def markdown(res: list[dict]) -> str:
    """Table: per mass and step, the ratio of total counts in 1-30 keV and in four energy ranges
    (counts-weighted with nugen's signal), i.e. the total and the shape change."""
    lines = [
        "| M_N [MeV] | ingredient (one at a time) | total 1-30 keV | 1-2 keV | 2-5 keV | 5-10 keV "
        "| 10-30 keV |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in res:
        n = r["nugen"]
        for row in r["rows"]:
            c = row["ratio"] * n
            cells = [c.sum() / n.sum()] + [
                c[a:b].sum() / n[a:b].sum() if n[a:b].sum() > 0 else math.nan for a, b in RANGES
            ]
            lines.append(
                f"| {r['M']:.3g} | {row['label']} | "
                + " | ".join("–" if not np.isfinite(p) else f"{p:.3f}" for p in cells)
                + " |"
            )
    return "\n".join(lines)


#: Bahcall's tabulated continuum shapes as the project's reference copies name them (copies of the
#: authors' ``solar-nu/*.dat``: ppspectrum, hepspectrum, b8spectrum, n13, o15, f17).
BAHCALL_FILES = {
    "pp": "solar_spectrum_pp.csv",
    "hep": "solar_spectrum_hep.csv",
    "8B": "solar_spectrum_8B_bahcall1996.csv",
    "13N": "solar_spectrum_13N.csv",
    "15O": "solar_spectrum_15O.csv",
    "17F": "solar_spectrum_17F.csv",
}


def bahcall_check(directory: str, masses=MASSES, n: int = 2000) -> str:
    """Counts with Bahcall's tabulated shapes (linear interpolation, 0 outside, as the authors' interp1d)
    instead of nugen's, over those with nugen's shapes, both by the converged log trapezoid (``n``
    points); fluxes, lines and P_emu are nugen's. Returns a table (total and per range)."""
    import csv

    rc = _nugen_inputs()
    tabs = {}
    for name, f in BAHCALL_FILES.items():
        with open(Path(directory) / f, encoding="utf-8") as fh:
            rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
        tabs[name] = (
            np.array([float(r["E_MeV"]) for r in rows]),
            np.array([float(r["dNdE_raw"]) for r in rows]),
        )
    det = detector()
    T = fine_grid(det)
    n_e = rc.target.electrons_per_tonne * rc.target.electron_fraction(T) * rc.exposure_factor
    out = [
        "| M_N [MeV] | total 1-30 keV | 1-2 keV | 2-5 keV | 5-10 keV | 10-30 keV |",
        "|---|---|---|---|---|---|",
    ]
    for M in masses:
        E = np.geomspace(e_min(T, M), E_TOP, n, axis=-1)
        sig = xsec(E, T[:, None], M)
        cont = {"nugen": np.zeros_like(E), "bahcall": np.zeros_like(E)}
        for c in rc.components:
            if c.is_line:
                continue
            P = _p_mu(c, E)
            cont["nugen"] += c.flux * c.pdf(E) * P
            cont["bahcall"] += c.flux * np.interp(E, *tabs[c.name], left=0.0, right=0.0) * P
        lines_ = lines_sum(T, M)
        ref, alt = (fold(T, n_e * (np.trapezoid(cont[k] * sig, E, axis=-1) + lines_), det) for k in cont)
        cells = [alt.sum() / ref.sum()] + [alt[a:b].sum() / ref[a:b].sum() for a, b in RANGES]
        out.append(f"| {M:.3g} | " + " | ".join(f"{v:.3f}" for v in cells) + " |")
    return "\n".join(out)


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--bahcall", metavar="DIR", help="also compare Bahcall's tabulated continuum shapes (DIR)"
    )
    args = ap.parse_args(argv)
    print(markdown(compare()))
    if args.bahcall:
        print()
        print(bahcall_check(args.bahcall))
    return 0


if __name__ == "__main__":
    sys.exit(main())
