#!/usr/bin/env python
"""The seed's Fig. 3, curve by curve: ours (default statistic), ours (the seed's procedure), published.

For XENON1T ER, Borexino and DARWIN (nu_mu coupling only, 90 % CL) at 16 masses from 0.01 to 3 MeV:

* **default**: nugen's per-mass one-sided 90 % CL upper limit (:func:`fits.limits.detector_limit`) with
  each detector's default inputs (XENON1T with tritium free, as the figure's label says);
* **seed**: the seed's procedure where it is known (physics.md Sec. 6.5): XENON1T = upper edge of the
  2-dof 90 % CL region about the global best fit of the plane (:func:`fits.region.detector_region`,
  tritium free); Borexino = the per-mass limit in a 280-900 keV window (the edge the published array
  evidently used, docs/validation.md); DARWIN = unknown, so the card as is;
* **published**: the arrays of Brdar et al. Fig. 3 shipped in :mod:`fits.data`, interpolated in log-log
  (DARWIN: the single digitised point 9.5e-12 mu_B at small M_N, physics.md Sec. 6.3).

One input at a time is then changed (:data:`VARIANTS`) and its shift in dex reported.

``--emulate-grid`` also redoes the seed's XENON1T curve the way the authors drew it (physics.md Sec. 6.5;
koppj/mm-astro-nu commit 295c581, ``exclusion_plot/exclusion_plot.py``): our chi^2 (the likelihood of the
seed's-procedure curve) at the nodes of their 30 x 30 grid (:data:`GRID_MASSES`, :data:`GRID_MU`),
chi^2_min = the minimum over the nodes, the contour chi^2_min + 4.605 by matplotlib ``contour``
(linear interpolation in M_N and mu, not log mu), its upper edge drawn straight in log-log between
vertices; compared in dex with our continuous curve and the published array (:func:`emulate_grid`).

``--emulate-signal`` redoes the seed's XENON1T curve at the 30 grid masses with nugen's signal
multiplied bin by bin by the ratio that one ingredient of the authors' signal code gives
(``scripts/seed_signal_emulation.py``: their E_nu trapezoid, lines, BS05 fluxes, resolution, smearing
grid, and two P_emu choices; :func:`emulate_signal`).

Run ``python scripts/fig3_curve_by_curve.py [--emulate-grid] [--emulate-signal]`` (~40 s, the signal
variants of the main table included; ~1.5 min with both); ``--write`` puts the tables between the
``fig3-curves`` (and ``fig3-grid``, ``fig3-signal``) markers of docs/validation.md and the figure into
docs/figures/.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if (_HERE := str(Path(__file__).resolve().parent)) not in sys.path:  # when loaded by file path
    sys.path.insert(0, _HERE)
from _figscript import replace_generated_block  # noqa: E402 (after the sys.path entry)
from seed_signal_emulation import BS05  # noqa: E402 (the authors' BS05 fluxes per reaction)

MASSES = np.geomspace(0.01, 3.0, 16)
FLAVOUR = "mu"
CL = 0.9
#: Default inputs of each curve (XENON1T: tritium free, the figure's label).
DEFAULT_SETTINGS = {"xenon1t": {"tritium": "free"}, "borexino": {}, "darwin": {}}
#: The seed's procedure: settings and statistic ("region": 2-dof 90 % edge; "limit": per-mass limit).
SEED = {
    "xenon1t": ({"tritium": "free"}, "region"),
    "borexino": ({"e_max_keV": 900.0}, "limit"),
    "darwin": ({}, "limit"),
}
PUBLISHED_FILES = {
    "xenon1t": "brdar2020_fig3_xenon1t_er_published.csv",
    "borexino": "brdar2020_fig3_borexino_published.csv",
}
#: physics.md Sec. 6.3: the seed's DARWIN curve, digitised at small M_N only.
DARWIN_PUBLISHED = (0.01, 9.5e-12)
#: One input at a time, on top of the seed's procedure: (curve, label, settings change, statistic or None).
VARIANTS = (
    ("xenon1t", "statistic: per-mass one-sided limit instead of the 2-dof region edge", {}, "limit"),
    ("xenon1t", "backgrounds: tritium off (B0 only)", {"tritium": "off"}, None),
    ("borexino", "window: default 280-1650 keV instead of 280-900 keV", {"e_max_keV": 1650.0}, None),
    ("borexino", "window: upper edge 800 keV", {"e_max_keV": 800.0}, None),
    ("borexino", "window: upper edge 1000 keV", {"e_max_keV": 1000.0}, None),
    ("borexino", "window: upper edge 1200 keV", {"e_max_keV": 1200.0}, None),
    ("borexino", "window: lower edge 250 keV", {"e_min_keV": 250.0}, None),
    ("borexino", "window: lower edge 320 keV", {"e_min_keV": 320.0}, None),
    ("borexino", "flux set: B16-AGSS09met instead of B16-GS98", {"solar_model": "B16-AGSS09met"}, None),
    ("borexino", "statistic: 2-dof 90 % region edge", {}, "region"),
    ("borexino", "flux set: BS05(AGS,OP) (the authors' code) instead of B16-GS98", {}, "bs05"),
    ("xenon1t", "flux set: BS05(AGS,OP) (the authors' code) instead of B16-GS98", {}, "bs05"),
    ("darwin", "flux set: BS05(AGS,OP) (the authors' code) instead of B16-GS98", {}, "bs05"),
    ("darwin", "exposure: 200 t yr instead of 300", {"exposure_t_yr": 200.0}, None),
    ("darwin", "statistic: 2-dof 90 % region edge (Asimov)", {}, "region"),
    (
        "xenon1t",
        "signal: the authors' E_nu integral (100-point log trapezoid from E_nu,min)",
        {},
        "signal:trapz",
    ),
    ("xenon1t", "signal: the authors' lines (0.8618 / 0.3843 / 1.44 MeV, BS05)", {}, "signal:lines"),
    (
        "xenon1t",
        "signal: the authors' E_nu trapezoid, lines, BS05, resolution and grid smearing at once",
        {},
        "signal:all",
    ),
    (
        "xenon1t",
        "signal: P_emu with NuFIT 4.1 angles and delta_CP = 0 instead of NuFIT 5.0",
        {},
        "signal:nufit41",
    ),
    ("xenon1t", "signal: P_emu = (1 - P_ee) / 2 (equal mu/tau split)", {}, "signal:split"),
)


def published(curve: str, masses: np.ndarray) -> np.ndarray:
    """Published mu [mu_B] at ``masses`` (log-log interpolation; NaN outside the array)."""
    out = np.full(masses.size, np.nan)
    if curve == "darwin":
        out[np.isclose(masses, DARWIN_PUBLISHED[0])] = DARWIN_PUBLISHED[1]
        return out
    from fits.data import read

    t = read(PUBLISHED_FILES[curve])
    m, mu = np.asarray(t["M_N_MeV"], float)[:-1], np.asarray(t["mu_muB"], float)[:-1]  # drop the closure
    inside = (masses >= m[0]) & (masses <= m[-1])
    out[inside] = 10 ** np.interp(np.log10(masses[inside]), np.log10(m), np.log10(mu))
    return out


def bs05_detector(curve: str, settings: dict):
    """The detector with every solar flux rescaled per reaction from B16-GS98 to BS05 (signal and SM)."""
    import dataclasses

    from detectors import get_detector
    from nugen.rates import RateCalculator
    from nugen.sources.solar import SolarSource
    from nugen.targets import get_target

    det = get_detector(curve, **settings)
    src = SolarSource("B16-GS98")
    per = {}
    for c in src.components:
        per[c.name.split("_")[0]] = per.get(c.name.split("_")[0], 0.0) + c.flux
    src.components = tuple(
        dataclasses.replace(c, flux=c.flux * BS05[c.name.split("_")[0]] / per[c.name.split("_")[0]])
        for c in src.components
    )
    rc = RateCalculator(src, get_target(det.target))
    cls = type(type(det).__name__ + "BS05", (type(det),), {"rates": property(lambda self: rc)})
    det.__class__ = cls
    det._kernels = {}
    return det


def emulated_signal_detector(curve: str, settings: dict, step: str):
    """The detector whose dipole signal is nugen's times the per-bin ratio of one ingredient of the authors'
    signal code (``scripts/seed_signal_emulation.py``, :data:`seed_signal_emulation.STEPS` key ``step``)."""
    import seed_signal_emulation as emu

    from detectors import get_detector

    kw = {k: v for k, _, v in emu.STEPS}[step]
    det = get_detector(curve, **settings)
    base = type(det)
    ratios: dict[float, np.ndarray] = {}

    def signal_templates(self, M_N, edges_MeV=None):
        t = base.signal_templates(self, M_N, edges_MeV)
        if edges_MeV is not None:
            raise ValueError("emulated signal only on the analysis bins")
        if float(M_N) not in ratios:
            ratios[float(M_N)] = emu.signal_ratio(float(M_N), self, **kw)
        return t * ratios[float(M_N)][None, :]

    det.__class__ = type(base.__name__ + "EmulatedSignal", (base,), {"signal_templates": signal_templates})
    return det


def computed(curve: str, masses: np.ndarray, settings: dict, statistic: str) -> np.ndarray:
    """Our curve [mu_B]: per-mass 90 % limits, or the upper edge of the 2-dof 90 % region.

    ``statistic`` "bs05" or "signal:<step>": the seed's statistic with BS05 fluxes, or with one
    ingredient of the authors' signal code (:func:`emulated_signal_detector`).
    """
    if statistic == "bs05" or statistic.startswith("signal:"):  # the seed's statistic, another signal
        from fits.likelihood import BinnedLikelihood
        from fits.limits import detector_limit
        from fits.region import _interval, region_threshold

        if statistic == "bs05":
            det = bs05_detector(curve, settings)
        else:
            det = emulated_signal_detector(curve, settings, statistic.split(":", 1)[1])
        if SEED[curve][1] == "limit":
            return np.array([detector_limit(det, m, FLAVOUR, cl=CL).mu_upper_muB or np.nan for m in masses])
        liks = [BinnedLikelihood.from_detector(det, m, FLAVOUR) for m in masses]
        fits_ = [lik.fit().twice_nll for lik in liks]
        c = region_threshold(CL, 2)
        out = []
        for lik, t in zip(liks, fits_, strict=True):
            d = t - min(fits_)
            hi = _interval(lik, c - d)[0][0][1] if d <= c and lik.has_signal else None
            out.append(np.nan if hi is None else hi)
        return np.array(out, dtype=float)
    if statistic == "region":
        from fits.region import detector_region

        res = detector_region(curve, masses, FLAVOUR, cls=(CL,), dof=2, settings=settings or None)
        return res.edges(CL)[1]
    from fits.scan import scan

    (res,) = scan([curve], masses, FLAVOUR, settings={curve: settings} if settings else None, progress=False)
    return np.array([np.nan if v is None else v for v in res.column("mu_upper_muB")], dtype=float)


def dex(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log10(a / b) where both are finite and positive (NaN elsewhere)."""
    ok = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0)
    out = np.full(a.shape, np.nan)
    out[ok] = np.log10(a[ok] / b[ok])
    return out


def summary(d: np.ndarray) -> tuple[float, float, int]:
    """(median |dex|, max |dex|, number of masses) over the finite entries."""
    d = np.abs(d[np.isfinite(d)])
    return (float(np.median(d)), float(np.max(d)), int(d.size)) if d.size else (math.nan, math.nan, 0)


# -- the authors' 30 x 30 grid contour, emulated on our chi^2 (--emulate-grid) ------------------------
#: The authors' (M_N, d) grid of the XENON1T ER contour (koppj/mm-astro-nu commit 295c581,
#: ``exclusion_plot/exclusion_plot.py``: ``mN_vals = np.logspace(-2, np.log10(3), 30)`` [MeV],
#: ``d_vals = np.logspace(-11, -6, 30)``, contoured at mu = 2 d): x1.217 in M_N, x1.487 in mu,
#: mu from 2e-11 to 2e-6 mu_B. Every vertex of the published array lies on one of these grid lines.
GRID_MASSES = np.logspace(-2.0, math.log10(3.0), 30)
GRID_MU = 2.0 * np.logspace(-11.0, -6.0, 30)


def grid_chi2(
    curve: str, settings: dict, masses: np.ndarray = GRID_MASSES, mus: np.ndarray = GRID_MU
) -> tuple[np.ndarray, int, int]:
    """Our -2 ln L (nuisances profiled) at every grid node, the number of fits MIGRAD flagged invalid and
    the number of nodes profiled by :func:`_profile_scipy` instead.

    The likelihood is the one of the seed's-procedure curve (:func:`computed`, statistic "region":
    ``BinnedLikelihood.from_detector`` of the detector with ``settings``, flavour :data:`FLAVOUR`);
    the array has shape ``(len(mus), len(masses))``, the layout of ``np.meshgrid(masses, mus)``.
    A mass without signal has the background-only value at every mu.
    """
    from fits.likelihood import BinnedLikelihood
    from fits.scan import cached_detector

    det = cached_detector(curve, tuple(sorted(settings.items())))
    z = np.empty((len(mus), len(masses)))
    invalid = fallback = 0
    for j, m in enumerate(masses):
        lik = BinnedLikelihood.from_detector(det, float(m), FLAVOUR)
        if not lik.has_signal:
            best = lik.fit()
            z[:, j] = best.twice_nll
            invalid += (not best.valid) * len(mus)
            continue
        for i, mu in enumerate(mus):
            sig = lik.s_from_mu(float(mu))
            try:
                r = lik.profile(sig)
                z[i, j] = r.twice_nll
                invalid += not r.valid
            except TypeError:  # MIGRAD's retry path in fits.likelihood fails under iminuit 2.33 (see below)
                z[i, j] = _profile_scipy(lik, sig)
                fallback += 1
                lik = BinnedLikelihood.from_detector(det, float(m), FLAVOUR)  # its Minuit state is spoilt
    return z, invalid, fallback


def _profile_scipy(lik, s: float) -> float:
    """-2 ln L at fixed ``s``, normalisations minimised (>= 0) by scipy L-BFGS-B on the same cost function.

    Only for the few nodes where MIGRAD's first attempt is invalid: ``BinnedLikelihood._migrad`` then
    retries and restores ``m.strategy`` from the ``MnStrategy`` object that iminuit 2.33 returns, which
    raises TypeError. These nodes are at >= 1e10 signal events (Delta chi^2 ~ 1e11), far from any contour.
    """
    from scipy.optimize import minimize

    cost = lik._cost()
    start = np.array(list(lik.fit().nuisances.values()), float)
    res = minimize(
        lambda th: float(cost(s, *th)),
        start,
        jac=lambda th: np.asarray(cost.grad(s, *th), float)[1:],
        bounds=[(0.0, None)] * start.size,
        method="L-BFGS-B",
    )
    return float(res.fun)


def grid_contour(x: np.ndarray, y: np.ndarray, z: np.ndarray, level: float) -> list[np.ndarray]:
    """The contour lines ``z = level`` exactly as the authors drew them, as (n, 2) arrays of (x, y) vertices.

    ``Axes.contour(X, Y, Z, levels=[level])`` with ``X, Y = np.meshgrid(x, y)`` on log-log axes (matplotlib's
    default contour algorithm, contourpy ``mpl2014``). matplotlib interpolates z **linearly in the
    coordinates it is given** (here M_N and mu, not their logarithms) along each grid edge; the log
    scale of the axes only transforms the vertices afterwards (checked in tests/test_scripts.py).
    """
    import warnings

    from matplotlib.figure import Figure

    ax = Figure().subplots()
    ax.set_xscale("log")
    ax.set_yscale("log")
    X, Y = np.meshgrid(np.asarray(x, float), np.asarray(y, float))
    with warnings.catch_warnings():  # "No contour levels were found": then there is no line
        warnings.simplefilter("ignore", UserWarning)
        cs = ax.contour(X, Y, np.asarray(z, float), levels=[level])
    return [np.asarray(s, float) for s in cs.allsegs[0] if len(s) >= 2]


def upper_edge(lines: list[np.ndarray], at: np.ndarray) -> np.ndarray:
    """Largest y of the contour ``lines`` at each x in ``at``, lines drawn straight in log-log (as plotted).

    A segment at constant x (a vertex pair on one grid mass) gives its larger y. NaN where no line
    crosses (the region is empty there or covers the whole grid column).
    """
    at = np.asarray(at, float)
    out = np.full(at.size, np.nan)
    for seg in lines:
        lx, ly = np.log10(seg[:, 0]), np.log10(seg[:, 1])
        for x1, x2, y1, y2 in zip(lx[:-1], lx[1:], ly[:-1], ly[1:], strict=True):
            lo, hi = min(x1, x2), max(x1, x2)
            for k, xm in enumerate(np.log10(at)):
                if not lo - 1e-12 <= xm <= hi + 1e-12:
                    continue
                y = max(y1, y2) if hi - lo < 1e-12 else y1 + (xm - x1) / (x2 - x1) * (y2 - y1)
                out[k] = y if not np.isfinite(out[k]) else max(out[k], y)
    return 10**out


def grid_upper_edge(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, delta: float, at: np.ndarray, zmin: float | None = None
) -> tuple[np.ndarray, float, list[np.ndarray]]:
    """The authors' recipe on a chi^2 grid: upper edge at ``at`` of the contour ``zmin + delta``.

    ``zmin`` defaults to the minimum over the grid nodes (the authors' chi^2_min). Returns the edge, the
    level and the contour lines.
    """
    level = float(np.min(z) if zmin is None else zmin) + float(delta)
    lines = grid_contour(x, y, z, level)
    return upper_edge(lines, at), level, lines


def emulate_grid(masses: np.ndarray = MASSES, seed: np.ndarray | None = None) -> dict:
    """XENON1T ER: the seed's procedure on the authors' 30 x 30 grid vs our continuous curve and published.

    ``seed``: our continuous seed's-procedure curve at ``masses`` (computed if None). Also evaluated at
    the 30 grid masses, where the published array has a vertex at every mass (no interpolation between
    vertices), and with our continuous chi^2_min instead of the node minimum (the level's share).
    """
    from fits.region import region_threshold

    curve = "xenon1t"
    settings, _ = SEED[curve]
    z, invalid, fallback = grid_chi2(curve, settings)
    delta = region_threshold(CL, 2)
    if seed is None:
        seed = computed(curve, masses, settings, "region")
    cont_grid = computed(curve, GRID_MASSES, settings, "region")
    from fits.likelihood import BinnedLikelihood
    from fits.scan import cached_detector

    det = cached_detector(curve, tuple(sorted(settings.items())))
    cont_min = min(
        BinnedLikelihood.from_detector(det, float(m), FLAVOUR).fit().twice_nll for m in GRID_MASSES
    )
    edge, level, lines = grid_upper_edge(GRID_MASSES, GRID_MU, z, delta, masses)
    # the same contour with our continuous chi^2_min: separates the level's share from the interpolation's
    _, _, lines_cmin = grid_upper_edge(GRID_MASSES, GRID_MU, z, delta, masses, zmin=cont_min)

    def open_top(e: np.ndarray, at: np.ndarray) -> np.ndarray:
        """+inf where no line crosses but the grid's top row (linear in M_N) is inside: open upward."""
        top = np.interp(at, GRID_MASSES, z[-1])
        return np.where(np.isnan(e) & (top <= level), np.inf, e)

    i, j = np.unravel_index(int(np.argmin(z)), z.shape)
    return {
        "masses": masses,
        "published": published(curve, masses),
        "continuous": np.asarray(seed, float),
        "emulated": open_top(edge, masses),
        "emulated_continuous_min": upper_edge(lines_cmin, masses),
        "grid": {
            "masses": GRID_MASSES,
            "published": published(curve, GRID_MASSES),
            "continuous": cont_grid,
            "emulated": open_top(upper_edge(lines, GRID_MASSES), GRID_MASSES),
            "emulated_continuous_min": upper_edge(lines_cmin, GRID_MASSES),
        },
        "lines": lines,
        "level": level,
        "node_min": float(z.min()),
        "node_min_at": (float(GRID_MASSES[j]), float(GRID_MU[i])),
        "continuous_min": float(cont_min),
        "invalid_fits": int(invalid),
        "fallback_fits": int(fallback),
        "nodes": int(z.size),
    }


def _signed(d: np.ndarray) -> str:
    """Median and largest-|.| value (both signed) over the finite entries, and their number."""
    d = d[np.isfinite(d)]
    if not d.size:
        return "–"
    return f"{np.median(d):+.3f} / {d[np.argmax(np.abs(d))]:+.3f} ({d.size})"


def grid_markdown(g: dict) -> str:
    """The --emulate-grid tables: the 16 masses, the 30 grid masses, and the summary (dex = log10(a / b))."""

    def d(a, b):
        v = dex(np.atleast_1d(a), np.atleast_1d(b))[0]
        return "–" if not np.isfinite(v) else f"{v:+.3f}"

    head = (
        "| M_N [MeV] | published | ours, continuous | ours, emulated grid | continuous vs published [dex] "
        "| emulated vs published [dex] | grid effect: emulated vs continuous [dex] |"
    )

    def table(src, fmt):
        rows = [head, "|---|---|---|---|---|---|---|"]
        for k, m in enumerate(src["masses"]):
            p, c, e = src["published"][k], src["continuous"][k], src["emulated"][k]
            cells = [_e(p), _e(c), f"open (> {GRID_MU[-1]:.3g}, the grid's top)" if e == np.inf else _e(e)]
            rows.append(f"| {fmt(m)} | " + " | ".join(cells) + f" | {d(c, p)} | {d(e, p)} | {d(e, c)} |")
        return rows

    lines = [
        f"Grid: M_N = logspace(-2, log10 3, 30) MeV, μ = 2 × logspace(-11, -6, 30) μ_B ({g['nodes']} nodes; "
        f"{g['invalid_fits']} MIGRAD fits flagged invalid; {g['fallback_fits']} nodes at ≥ 1e10 signal "
        f"events profiled with scipy instead). χ²_min over the nodes {g['node_min']:.3f} at M_N = "
        f"{g['node_min_at'][0]:.3g} MeV, μ = {g['node_min_at'][1]:.3g} μ_B (continuous minimum "
        f"{g['continuous_min']:.3f}); contour χ² = χ²_min + 4.605 by matplotlib `contour`, linear in M_N "
        "and μ; its upper edge drawn straight in log-log between vertices (as plotted).",
        "",
        "At the 16 masses of the table above (published and emulated: log-log between their vertices):",
        "",
        *table(g, lambda m: f"{m:.3g}"),
        "",
        "At the authors' 30 grid masses (published and emulated: the contour vertex on that mass line):",
        "",
        *table(g["grid"], lambda m: f"{m:.4g}"),
        "",
        "| comparison: median / largest [dex] (masses) | 16 masses | 30 grid masses |",
        "|---|---|---|",
    ]
    for name, a, b in (
        ("grid effect: emulated vs continuous", "emulated", "continuous"),
        (
            "  of it the node χ²_min: emulated vs emulated with continuous χ²_min",
            "emulated",
            "emulated_continuous_min",
        ),
        ("emulated vs published (what the grid leaves)", "emulated", "published"),
        ("continuous vs published", "continuous", "published"),
    ):
        cells = [_signed(dex(src[a], src[b])) for src in (g, g["grid"])]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- the authors' signal code, one ingredient at a time (--emulate-signal) ----------------------------
#: Grid masses [MeV] shown in the --emulate-signal limit table: a light one and the 0.19-1.66 MeV range
#: of the differences that the grid emulation leaves.
SIGNAL_TABLE_MASSES = (0.01, *[float(m) for m in GRID_MASSES if 0.19 < m < 1.7])


def emulate_signal(grid: dict | None = None) -> dict:
    """XENON1T: the seed's-procedure curve at the 30 grid masses with each step of
    :data:`seed_signal_emulation.STEPS` (nugen's signal x that ingredient's per-bin ratio), and the
    signal ratios themselves at :data:`seed_signal_emulation.MASSES`.

    ``grid``: the :func:`emulate_grid` result, for the "emulated vs published" column.
    """
    import seed_signal_emulation as emu

    curve = "xenon1t"
    settings, _ = SEED[curve]
    base = computed(curve, GRID_MASSES, settings, "region")
    shifts = {}
    for key, _, _ in emu.STEPS:
        shifts[key] = dex(computed(curve, GRID_MASSES, settings, f"signal:{key}"), base)
    return {
        "masses": GRID_MASSES,
        "published": published(curve, GRID_MASSES),
        "continuous": base,
        "emulated": None if grid is None else grid["grid"]["emulated"],
        "shifts": shifts,
        "signal": emu.compare(),
        "steps": emu.STEPS,
    }


def signal_markdown(r: dict) -> str:
    """The --emulate-signal tables: signal ratios per mass and step; limit shifts at the grid masses."""
    import seed_signal_emulation as emu

    keys = [k for k, _, _ in r["steps"]]
    names = "; ".join(f"**{k}** = {lab}" for k, lab, _ in r["steps"])
    lines = [
        "Signal: nugen's XENON1T ν_μ signal (μ = 1 μ_B, 0.65 t yr) against the same with one ingredient "
        "of the authors' signal code changed (`scripts/seed_signal_emulation.py`; ratios of counts, "
        "in the 29 bins and per energy range; the first row checks the emulation's own folding against "
        "nugen's "
        "`Detector.signal_templates`):",
        "",
        emu.markdown(r["signal"]),
        "",
        "Limit: the seed's-procedure curve (continuous, 2-dof edge) with nugen's signal multiplied bin "
        "by bin by each ratio, at the authors' grid masses; shift = log10(changed / ours) [dex]. Steps: "
        + names
        + ".",
        "",
        "| M_N [MeV] | published | ours | ours vs published | emulated grid vs published | "
        + " | ".join(keys)
        + " |",
        "|---|---|---|---|---|" + "---|" * len(keys),
    ]
    m = r["masses"]
    for k, M in enumerate(m):
        if not np.any(np.isclose(M, SIGNAL_TABLE_MASSES, rtol=1e-9)):
            continue
        d = dex(np.atleast_1d(r["continuous"][k]), np.atleast_1d(r["published"][k]))[0]
        e = (
            math.nan
            if r["emulated"] is None
            else dex(np.atleast_1d(r["emulated"][k]), np.atleast_1d(r["published"][k]))[0]
        )
        cells = [f"{M:.4g}", _e(r["published"][k]), _e(r["continuous"][k])]
        cells += ["–" if not np.isfinite(v) else f"{v:+.3f}" for v in (d, e)]
        cells += ["–" if not np.isfinite(r["shifts"][q][k]) else f"{r['shifts'][q][k]:+.3f}" for q in keys]
        lines.append("| " + " | ".join(cells) + " |")
    sel = (m > 0.19) & (m < 1.45)
    cells = []
    for q in keys:
        v = r["shifts"][q][sel]
        v = v[np.isfinite(v)]
        cells.append(f"{v.min():+.3f} … {v.max():+.3f}" if v.size else "–")
    lines.append("| range 0.19-1.45 MeV | | | | | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def build(masses: np.ndarray = MASSES, variants: bool = True) -> dict:
    """Every number of the section: per-curve columns and the one-input variants."""
    out = {"masses": masses, "curves": {}, "variants": []}
    for curve in ("xenon1t", "borexino", "darwin"):
        seed_settings, seed_stat = SEED[curve]
        out["curves"][curve] = {
            "default": computed(curve, masses, DEFAULT_SETTINGS[curve], "limit"),
            "seed": computed(curve, masses, seed_settings, seed_stat),
            "published": published(curve, masses),
        }
    if variants:
        for curve, label, change, stat in VARIANTS:
            seed_settings, seed_stat = SEED[curve]
            v = computed(curve, masses, {**seed_settings, **change}, stat or seed_stat)
            base = out["curves"][curve]
            out["variants"].append(
                {
                    "curve": curve,
                    "label": label,
                    "values": v,
                    "shift": dex(v, base["seed"]),
                    "vs_published": dex(v, base["published"]),
                }
            )
    return out


def _e(v: float) -> str:
    return "–" if not np.isfinite(v) else f"{v:.3g}"


def _s(t: tuple[float, float, int]) -> str:
    return "–" if not t[2] else f"{t[0]:.2f} / {t[1]:.2f} ({t[2]})"


def markdown(res: dict) -> str:
    names = {"xenon1t": "XENON1T ER", "borexino": "Borexino", "darwin": "DARWIN"}
    head = "| M_N [MeV] | " + " | ".join(
        f"{names[c]} default | {names[c]} seed's | {names[c]} published" for c in names
    )
    lines = [head + " |", "|" + "---|" * 10]
    for i, m in enumerate(res["masses"]):
        cells = [f"{m:.3g}"]
        for c in names:
            col = res["curves"][c]
            cells += [_e(col["default"][i]), _e(col["seed"][i]), _e(col["published"][i])]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "| curve | default vs published: median / max [dex] (masses) | seed's vs published |",
        "|---|---|---|",
    ]
    for c in names:
        col = res["curves"][c]
        lines.append(
            f"| {names[c]} | {_s(summary(dex(col['default'], col['published'])))} | "
            f"{_s(summary(dex(col['seed'], col['published'])))} |"
        )
    if res["variants"]:
        lines += [
            "",
            "One input changed at a time, starting from the seed's procedure "
            "(shift = log10(changed / seed's)):",
            "",
            "| curve | change | shift: median / max over masses [dex] "
            "| changed vs published: median / max [dex] |",
            "|---|---|---|---|",
        ]
        for v in res["variants"]:
            d = v["shift"][np.isfinite(v["shift"])]
            shift = "–" if not d.size else f"{np.median(d):+.3f} / {d[np.argmax(np.abs(d))]:+.3f}"
            lines.append(
                f"| {names[v['curve']]} | {v['label']} | {shift} | {_s(summary(v['vs_published']))} |"
            )
    return "\n".join(lines)


def figure(res: dict, path: Path, dpi: int = 120, grid: dict | None = None) -> None:
    from matplotlib.figure import Figure

    from fits.plots import save_figure

    fig = Figure(figsize=(13, 4.2), layout="constrained")
    for ax, (c, title) in zip(
        fig.subplots(1, 3),
        (("xenon1t", "XENON1T ER"), ("borexino", "Borexino"), ("darwin", "DARWIN")),
        strict=True,
    ):
        col, m = res["curves"][c], res["masses"]
        ax.plot(m, col["default"], "-", color="C0", label="ours, default (per-mass limit)")
        ax.plot(m, col["seed"], "--", color="C3", label="ours, seed's procedure")
        ax.plot(m, col["published"], "o", color="k", ms=4, label="published (Brdar et al. Fig. 3)")
        if grid is not None and c == "xenon1t":
            e = grid["grid"]
            ax.plot(e["masses"], e["emulated"], ":", color="C2", label="ours, seed's on their 30 x 30 grid")
        ax.set(
            xscale="log",
            yscale="log",
            title=title,
            xlabel=r"$M_N$ [MeV]",
            ylabel=r"$\mu_\nu$ [$\mu_B$] (90 % CL)",
        )
        ax.grid(True, linewidth=0.3)
    fig.axes[0].legend(fontsize=8)
    save_figure(fig, path, dpi=dpi)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--write", action="store_true", help="write the tables into docs/validation.md and the figure"
    )
    ap.add_argument("--outdir", default="out", help="folder of the figure without --write")
    ap.add_argument(
        "--emulate-grid",
        action="store_true",
        help="also redo the XENON1T seed's curve on the authors' 30 x 30 grid (chi^2_min over nodes, "
        "matplotlib contour) and compare it with ours and the published one (the fig3-grid block)",
    )
    ap.add_argument(
        "--emulate-signal",
        action="store_true",
        help="also redo the XENON1T seed's curve with each ingredient of the authors' signal code "
        "(scripts/seed_signal_emulation.py) and write the fig3-signal block (~1.5 min)",
    )
    args = ap.parse_args(argv)
    res = build()
    text = markdown(res)
    print(text)
    grid = None
    if args.emulate_grid:
        grid = emulate_grid(res["masses"], res["curves"]["xenon1t"]["seed"])
        grid_text = grid_markdown(grid)
        print()
        print(grid_text)
    outdir = ROOT / "docs" / "figures" if args.write else Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    figure(res, outdir / "fig3_curve_by_curve.png", grid=grid)
    signal_text = None
    if args.emulate_signal:
        signal_text = signal_markdown(emulate_signal(grid))
        print()
        print(signal_text)
    if args.write:
        replace_generated_block("fig3-curves", text)
        if grid is not None:
            replace_generated_block("fig3-grid", grid_text)
        if signal_text is not None:
            replace_generated_block("fig3-signal", signal_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
