"""The (M_N, mu) region favoured by the MiniBooNE excess (fits.miniboone_region), as tables and a figure.

Runs :func:`fits.miniboone_region.favoured_region` (binned chi^2 of the nine 200-1250 MeV E_QE bins of the
2018 release, background conditioned on the nu_mu CCQE data) and writes into ``--outdir``:
``miniboone_region.json`` (best fit, chi^2 at background only, Delta chi^2 and its 2-dof p-value,
chi^2/ndf, the 90 / 95 % extents and the overlap with Brdar et al.'s box), ``miniboone_region.csv`` (the
chi^2 grid) and, unless ``--no-figure``, ``miniboone_region.png`` (contours with the box of Brdar et al.,
JCAP 01 (2021) 039, Fig. 3). Every file is written atomically (temporary name, then rename).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

if (_HERE := str(Path(__file__).resolve().parent)) not in sys.path:  # when loaded by file path
    sys.path.insert(0, _HERE)
from _figscript import add_run_options, check_at_least, figure_parser, parse_key_values, run_figure_script

logger = logging.getLogger("miniboone_favoured_region")


def build_parser() -> argparse.ArgumentParser:
    p = figure_parser(
        __file__,
        __doc__,
        "",
        ["--outdir out", "--mode both --masses 20 --mus 161 --outdir /tmp/mb", "--set efficiency=0.3"],
    )
    p.add_argument("--mode", default="nu", choices=("nu", "nubar", "both"), help="beam mode(s) fitted")
    p.add_argument("--background", default="constrained", choices=("constrained", "release"),
                   help="background conditioned on the nu_mu CCQE data, or the released one")  # fmt: skip
    p.add_argument("--masses", type=int, default=40, help="masses, log-spaced over --mass-range (>= 2)")
    p.add_argument("--mass-range", type=float, nargs=2, default=(20.0, 1000.0), metavar=("LO", "HI"),
                   help="mass range [MeV]")  # fmt: skip
    p.add_argument("--mus", type=int, default=321, help="couplings, log-spaced over --mu-range (>= 3)")
    p.add_argument("--mu-range", type=float, nargs=2, default=(1e-10, 1e-6), metavar=("LO", "HI"),
                   help="coupling range [mu_B]")  # fmt: skip
    p.add_argument("--nature", default="dirac", choices=("dirac", "majorana"), help="nature of N")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="MiniBooNE detector setting (nugen info miniboone), repeatable")  # fmt: skip
    p.add_argument("--no-figure", action="store_true", help="write the tables only")
    add_run_options(p)
    return p


def _ranges(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    from nugen.errors import InvalidParameterError

    check_at_least(masses=(args.masses, 2), mus=(args.mus, 3))
    (m0, m1), (u0, u1) = args.mass_range, args.mu_range
    if not (0 < m0 < m1):
        msg = f"--mass-range needs 0 < LO < HI, got {m0:g} {m1:g}"
        raise InvalidParameterError(msg)
    if not (0 < u0 < u1):
        msg = f"--mu-range needs 0 < LO < HI, got {u0:g} {u1:g}"
        raise InvalidParameterError(msg)
    return np.geomspace(m0, m1, args.masses), np.geomspace(u0, u1, args.mus)


def draw(region):
    """Delta chi^2 contours (90 %, 95 %), the best fit and Brdar et al.'s box; returns the figure."""
    from matplotlib.figure import Figure

    from fits.data import read
    from fits.miniboone_region import DCHI2_90, DCHI2_95

    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = fig.subplots()
    X, Y = np.meshgrid(region.masses_MeV, region.mu_muB, indexing="ij")
    cs = ax.contour(X, Y, region.delta_chi2, levels=[DCHI2_90, DCHI2_95], colors=["#1b7837", "#5aae61"],
                    linestyles=["solid", "dashed"])  # fmt: skip
    ax.clabel(cs, fmt={DCHI2_90: "90%", DCHI2_95: "95%"}, fontsize=8)
    ax.plot([region.best_mass_MeV], [region.best_mu_muB], "k*", ms=9, label="nugen best fit")
    t = read("brdar2020_fig3_miniboone_roi.csv")
    ax.plot(t["M_N_MeV"], t["mu_muB"], color="#b8860b", lw=1.4, label="Brdar et al. 2021, Fig. 3 (90 %)")
    ax.plot([], [], color="#1b7837", label="nugen 90 % / 95 % (2 dof)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("M_N [MeV]")
    ax.set_ylabel("μ_μ [μ_B]")
    s = region.summary()
    ax.set_title(
        f"MiniBooNE {'+'.join(region.modes)} excess: Δχ² = {s['delta_chi2_background']:.1f} vs background, "
        f"χ²/ndf = {region.chi2_best:.1f}/{region.ndf}",
        fontsize=9,
    )
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return fig


def make(args: argparse.Namespace) -> list[Path]:
    """Compute the region, write the tables (and the figure); return the files written."""
    from fits.miniboone_region import favoured_region
    from nugen.outputs import atomic_output, write_csv

    masses, mus = _ranges(args)
    region = favoured_region(masses, mus, mode=args.mode, background=args.background, nature=args.nature,
                             **parse_key_values(args.set))  # fmt: skip
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    summary = region.summary()
    with atomic_output(outdir / "miniboone_region.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    rows = [[f"{M:.9g}", f"{mu:.9g}", f"{c:.9g}", f"{c - region.chi2_best:.9g}"]
            for M, row in zip(region.masses_MeV, region.chi2, strict=True)
            for mu, c in zip(region.mu_muB, row, strict=True)]  # fmt: skip
    write_csv(outdir / "miniboone_region.csv", ["M_N_MeV", "mu_muB", "chi2", "delta_chi2"], rows,
              comment="nugen scripts/miniboone_favoured_region.py: chi^2 of the MiniBooNE 2018 release bins "
              f"(modes {'+'.join(region.modes)}, background {region.background})")  # fmt: skip
    written = [outdir / "miniboone_region.json", outdir / "miniboone_region.csv"]
    b = summary["best_fit"]
    logger.info("best fit M_N = %.4g MeV, mu = %.4g mu_B, chi2 = %.3f / %d; background only %.3f "
                "(Delta chi2 %.2f, p = %.2g for 2 dof)", b["M_N_MeV"], b["mu_muB"], b["chi2"], region.ndf,
                region.chi2_background, region.delta_chi2_background, region.p_value_background)  # fmt: skip
    if not args.no_figure:
        from fits.plots import save_figures

        written += save_figures(draw(region), outdir, "miniboone_region", formats=("png",), dpi=args.dpi)
    return written


def main(argv: list[str] | None = None) -> int:
    return run_figure_script(build_parser(), argv, logger, make)


if __name__ == "__main__":
    sys.exit(main())
