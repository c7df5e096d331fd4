#!/usr/bin/env python
"""Reproduce the seed's Fig. 2: solar-neutrino electron-recoil spectra with and without a magnetic moment.

Three panels, all computed by nugen for a **nu_mu-only** coupling (the seed's choice) and a few
benchmark models (M_N, mu) — by default a light N (blue, M_N = 0.01 MeV, mu = 5e-11 mu_B, inside the
XENON1T preferred region) and a heavier N (red, M_N = 0.5 MeV, mu = 3e-10 mu_B, whose kinematic
thresholds move the kinks of the spectrum to other energies; allowed by XENON1T, not by Borexino):

(a) true recoil spectrum dR/dT in xenon [events / (t yr keV)], 1 keV – 2 MeV, log–log: the
    Standard-Model nu–e rate (dotted black) and SM + dipole for each model (stepping approximation,
    B16-GS98 fluxes, MSW-LMA, no detector response);
(b) XENON1T SR1 (0.65 t yr): observed data with Garwood 68 % error bars, the background model B0 (no
    tritium, which contains the SM solar-neutrino rate), and B0 + dipole for each model, in observed
    energy after resolution and efficiency;
(c) Borexino Phase-II open data: data, the nominal backgrounds + SM neutrinos, and that plus the dipole.

Writes ``fig2.png``, ``fig2.pdf`` and the plotted numbers ``fig2_true_recoil.csv``,
``fig2_xenon1t.csv`` and ``fig2_borexino.csv`` into ``--outdir`` (atomically).

Example::

    python scripts/fig2_recoil_spectra.py --outdir out
    python scripts/fig2_recoil_spectra.py --model 0:3e-11 --model 0.5:3e-10 --outdir out
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

if (_HERE := str(Path(__file__).resolve().parent)) not in sys.path:  # when loaded by file path
    sys.path.insert(0, _HERE)
from _figscript import add_run_options, figure_parser, run_figure_script

logger = logging.getLogger("fig2_recoil_spectra")

FLAVOUR = "mu"
#: Default benchmark models (M_N [MeV], mu [mu_B]) and their colours (the seed: blue light N, red heavier N).
DEFAULT_MODELS = ((0.01, 5e-11), (0.5, 3e-10))
COLOURS = ("#1f5fbf", "#c0392b", "#2ca02c", "#9467bd", "#ff7f0e")
#: Settings of the XENON1T panel: background B0 only (the seed compares with B0).
XENON1T_SETTINGS = {"tritium": "off"}
#: True-recoil panel range [keV].
TRUE_RANGE_KEV = (1.0, 2000.0)


def parse_model(text: str) -> tuple[float, float]:
    """``"M:MU"`` -> (M_N [MeV], mu [mu_B])."""
    try:
        m, mu = (float(v) for v in text.split(":"))
    except ValueError:
        msg = f"--model must look like M_MeV:MU_muB (e.g. 0.01:5e-11), got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not (np.isfinite(m) and np.isfinite(mu)) or m < 0 or mu <= 0:
        msg = f"--model needs M_N >= 0 MeV and mu > 0 mu_B, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return m, mu


def build_parser() -> argparse.ArgumentParser:
    p = figure_parser(
        __file__,
        __doc__,
        "Panels: (a) true recoil spectrum in xenon, (b) XENON1T data with B0 and B0 + dipole, "
        "(c) Borexino Phase-II data with backgrounds + SM and + dipole; nu_mu-only coupling.",
        ["--outdir out", "--model 0:3e-11 --model 0.5:3e-10 --quick"],
    )
    p.add_argument(
        "--model",
        type=parse_model,
        action="append",
        default=None,
        metavar="M:MU",
        help="benchmark M_N [MeV]:mu [mu_B], repeatable (default: 0.01:5e-11 and 0.5:3e-10)",
    )
    p.add_argument("--points", type=int, default=400, metavar="N", help="energies in the true-recoil panel")
    p.add_argument("--quick", action="store_true", help="fast run for tests: 60 energies, low-resolution PNG")
    add_run_options(p)
    return p


def _label(m: float, mu: float) -> str:
    return rf"$M_N$ = {m:g} MeV, $\mu_\mu$ = {mu:.2g} $\mu_B$"


# -- computation -------------------------------------------------------------------------------------
def true_recoil(models, n_points: int) -> dict:
    """dR/dT in xenon [events/(t yr keV)] on a log grid: SM and dipole per model."""
    from nugen.model import DipolePortal
    from nugen.rates import rate_calculator

    rc = rate_calculator("solar", "xenon")
    T_keV = np.geomspace(*TRUE_RANGE_KEV, n_points)
    T = T_keV * 1e-3
    sm = rc.sm_rate(T).sum(axis=0) * 1e-3
    dip = [rc.dipole_rate(T, DipolePortal(m, mu, flavour=FLAVOUR)).sum(axis=0) * 1e-3 for m, mu in models]
    return {"T_keV": T_keV, "sm": sm, "dipole": dip}


def detector_panel(name: str, models, settings: dict | None = None) -> dict:
    """Observed-energy counts of a detector: data, the SM-only expectation and the dipole per model."""
    from detectors import get_detector
    from nugen.cli.common import ENERGY_UNITS_MEV
    from nugen.model import DipolePortal

    det = get_detector(name, **(settings or {}))
    counts = [det.expected_counts(DipolePortal(m, mu, flavour=FLAVOUR)) for m, mu in models]
    c0 = counts[0]
    sm_in_bkg = bool(getattr(det, "sm_in_background", False))
    base = c0["background"] + (0.0 if sm_in_bkg else c0["sm_nu"])
    return {
        "detector": det,
        "edges": det.analysis_edges_MeV() / ENERGY_UNITS_MEV[det.energy_unit],
        "unit": det.energy_unit,
        "data": det.observed(),
        "base": base,
        "base_label": "B0" if name == "xenon1t" else "backgrounds + SM ν (nominal)",
        "dipole": [c["dipole"] for c in counts],
    }


# -- drawing -------------------------------------------------------------------------------------------
def draw(models, tr: dict, panels: dict):
    from matplotlib.figure import Figure

    from fits.plots import detector_label, plot_recoil_spectrum

    fig = Figure(figsize=(12.0, 8.6), layout="constrained")
    gs = fig.add_gridspec(2, 2, height_ratios=(1.0, 1.0))
    ax_a = fig.add_subplot(gs[0, :])
    ax_a.plot(tr["T_keV"], tr["sm"], color="black", linestyle=":", linewidth=2.0, label="SM ν–e (B16 SSM)")
    for (m, mu), d, c in zip(models, tr["dipole"], COLOURS, strict=False):
        ax_a.plot(tr["T_keV"], tr["sm"] + d, color=c, linewidth=1.8, label="SM + dipole: " + _label(m, mu))
    ax_a.set_xscale("log")
    ax_a.set_yscale("log")
    ax_a.set_xlim(*TRUE_RANGE_KEV)
    top = max(float(np.max(tr["sm"] + d)) for d in tr["dipole"])
    ax_a.set_ylim(max(1e-3 * float(np.min(tr["sm"][tr["sm"] > 0])), 1e-6 * top), 3 * top)
    ax_a.set_xlabel("True electron recoil energy $T$ [keV]")
    ax_a.set_ylabel("d$R$/d$T$ in xenon [events / (t yr keV)]")
    ax_a.set_title(
        r"(a) solar-$\nu$ electron recoils in xenon, $\nu_\mu$-only coupling", fontsize=10, loc="left"
    )
    ax_a.legend(fontsize=8, frameon=False, loc="lower center")
    for key, shade in (("xenon1t", "0.88"), ("borexino", "0.93")):
        if key in panels:  # the observed-energy windows of panels (b) and (c)
            e = panels[key]["edges"] * (1e3 if panels[key]["unit"] == "MeV" else 1.0)
            ax_a.axvspan(e[0], e[-1], color=shade, zorder=0, linewidth=0)
            ax_a.text(
                np.sqrt(e[0] * e[-1]),
                0.97,
                f"{'XENON1T' if key == 'xenon1t' else 'Borexino'} window",
                transform=ax_a.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=8,
                color="0.3",
            )
    arts = {}
    for i, (key, title, logy) in enumerate(
        (("xenon1t", "(b) XENON1T SR1, B0 only", False), ("borexino", "(c) Borexino Phase-II", True))
    ):
        if key not in panels:
            continue
        pnl = panels[key]
        if logy:  # spectrum over many decades: add the ratio to the SM-only expectation below
            sub = gs[1, i].subgridspec(2, 1, height_ratios=(2.4, 1.0), hspace=0.0)
            ax = fig.add_subplot(sub[0])
            ax_r = fig.add_subplot(sub[1], sharex=ax)
        else:
            ax, ax_r = fig.add_subplot(gs[1, i]), None
        base_short = pnl["base_label"].split(" (")[0]
        comps = {pnl["base_label"]: pnl["base"]}
        styles = {pnl["base_label"]: {"color": "black", "linestyle": "--", "linewidth": 1.6, "zorder": 4}}
        for (m, mu), d, c in zip(models, pnl["dipole"], COLOURS, strict=False):
            lab = f"{base_short} + dipole: " + _label(m, mu)
            comps[lab] = pnl["base"] + d
            styles[lab] = {"color": c, "linewidth": 1.6}
        arts[key] = plot_recoil_spectrum(
            ax,
            pnl["edges"],
            comps,
            pnl["data"],
            energy_unit=pnl["unit"],
            per_energy=True,
            logy=logy,
            styles=styles,
            data_label=f"{detector_label(key)} data",
            legend={"fontsize": 7, "frameon": False},
        )
        ax.set_title(title, fontsize=10, loc="left")
        if ax_r is not None:
            _ratio_panel(ax_r, pnl, comps, styles, base_short)
            ax.tick_params(labelbottom=False)
            ax.set_xlabel("")
    return fig, arts


def _ratio_panel(ax, pnl: dict, comps: dict, styles: dict, base_short: str) -> None:
    """Ratio of each curve and of the data (with Garwood errors) to the SM-only expectation."""
    from fits.plots import garwood_interval, plot_recoil_spectrum

    base = pnl["base"]
    ratios = {k: v / base for k, v in comps.items()}
    plot_recoil_spectrum(ax, pnl["edges"], ratios, energy_unit=pnl["unit"], styles=styles, legend=False)
    if pnl["data"] is not None:
        n = np.asarray(pnl["data"], dtype=float)
        lo, hi = garwood_interval(n)
        e = pnl["edges"]
        ax.errorbar(
            0.5 * (e[:-1] + e[1:]),
            n / base,
            yerr=np.vstack([(n - lo) / base, (hi - n) / base]),
            fmt="o",
            color="black",
            markersize=3,
            elinewidth=1.0,
        )
    ax.set_ylabel("ratio to\nSM-only", fontsize=8)
    ax.set_ylim(0.6, 1.6)
    ax.axhline(1.0, color="0.6", linewidth=0.8, zorder=0)


# -- output --------------------------------------------------------------------------------------------
def _write_csv(path: Path, comment: str, header, rows) -> None:
    from nugen.outputs import write_csv

    write_csv(path, header, rows, comment=f"nugen scripts/fig2_recoil_spectra.py: {comment}")


def write_csvs(outdir: Path, models, tr: dict, panels: dict) -> list[Path]:
    tags = [f"M{m:g}MeV_mu{mu:.3g}" for m, mu in models]
    paths = [outdir / "fig2_true_recoil.csv"]
    rows = [
        [f"{t:.6g}", f"{s:.6g}", *(f"{d[i]:.6g}" for d in tr["dipole"])]
        for i, (t, s) in enumerate(zip(tr["T_keV"], tr["sm"], strict=True))
    ]
    _write_csv(
        paths[0],
        "panel (a), dR/dT in xenon [events/(t yr keV)], nu_mu-only coupling; dipole_* are the dipole "
        "rates alone (the figure draws SM + dipole)",
        ["T_keV", "sm", *(f"dipole_{t}" for t in tags)],
        rows,
    )
    for key, pnl in panels.items():
        path = outdir / f"fig2_{key}.csv"
        e, unit = pnl["edges"], pnl["unit"]
        data = pnl["data"] if pnl["data"] is not None else np.full(e.size - 1, np.nan)
        rows = [
            [f"{e[i]:.6g}", f"{e[i + 1]:.6g}", f"{data[i]:.6g}", f"{pnl['base'][i]:.6g}"]
            + [f"{d[i]:.6g}" for d in pnl["dipole"]]
            for i in range(e.size - 1)
        ]
        _write_csv(
            path,
            f"panel {key}: events per bin of observed energy [{unit}] for the detector's exposure; "
            f"base = {pnl['base_label']}; dipole_* are the dipole counts alone (the figure draws base + "
            "dipole, divided by the bin width)",
            [f"E_lo_{unit}", f"E_hi_{unit}", "data", "base", *(f"dipole_{t}" for t in tags)],
            rows,
        )
        paths.append(path)
    return paths


def make(args: argparse.Namespace) -> list[Path]:
    """Compute, draw and write Fig. 2 and its CSV files as ``args`` ask; return the files written."""
    from fits.plots import save_figures
    from nugen.errors import NugenError

    models = tuple(args.model) if args.model else DEFAULT_MODELS
    if args.points < 10:
        msg = f"--points must be >= 10, got {args.points}"
        raise NugenError(msg)
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    tr = true_recoil(models, 60 if args.quick else args.points)
    panels = {
        "xenon1t": detector_panel("xenon1t", models, XENON1T_SETTINGS),
        "borexino": detector_panel("borexino", models),
    }
    fig, _ = draw(models, tr, panels)
    written = save_figures(fig, outdir, "fig2", dpi=80 if args.quick else args.dpi)
    return written + write_csvs(outdir, models, tr, panels)


def main(argv: list[str] | None = None) -> int:
    return run_figure_script(build_parser(), argv, logger, make)


if __name__ == "__main__":
    sys.exit(main())
