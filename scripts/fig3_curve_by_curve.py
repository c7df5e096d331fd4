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

One input at a time is then changed (:data:`VARIANTS`) and its shift in dex reported. Run
``python scripts/fig3_curve_by_curve.py`` (~1 min); ``--write`` puts the tables between the
``fig3-curves`` markers of docs/validation.md and the figure into docs/figures/.
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
}
BS05["17F"] = 3.25e6


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


def computed(curve: str, masses: np.ndarray, settings: dict, statistic: str) -> np.ndarray:
    """Our curve [mu_B]: per-mass 90 % limits, or the upper edge of the 2-dof 90 % region."""
    if statistic == "bs05":  # the seed's statistic with BS05 fluxes
        from fits.likelihood import BinnedLikelihood
        from fits.limits import detector_limit
        from fits.region import _interval, region_threshold

        det = bs05_detector(curve, settings)
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


def figure(res: dict, path: Path, dpi: int = 120) -> None:
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
    args = ap.parse_args(argv)
    res = build()
    text = markdown(res)
    print(text)
    outdir = ROOT / "docs" / "figures" if args.write else Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    figure(res, outdir / "fig3_curve_by_curve.png")
    if args.write:
        replace_generated_block("fig3-curves", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
