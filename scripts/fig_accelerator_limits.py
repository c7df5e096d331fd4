"""The accelerator side of the dipole portal: nugen's computed limits next to the published ones.

Four panels, one per fixed-target experiment nugen recasts (issue 15): CHARM-II (nu_mu, 90 % CL),
NOMAD (nu_mu, 90 %), MiniBooNE (nu_mu, 95 %) and LSND (nu_e, 95 %), each with the limit computed by
nugen's own likelihood (``fits.scan`` -> ``fits.limits.detector_limit`` with the detector's defaults)
and the published curve it is compared with in docs/validation.md (packaged tables of ``fits.data``:
Coloma et al., PRL 119 (2017) 201804 for CHARM-II and NOMAD; Magill et al., PRD 98 (2018) 115015 for
MiniBooNE and LSND; mu = 2d / (296.30 GeV^-1) as stored by the Heavy-Neutrino-Limits collection). Each
panel's title carries the median |log10(nugen / published)| over the published masses nugen reaches.
The differences are named, one input at a time, in the card notes (docs/card_notes/).
Writes ``accelerator_limits.{png,pdf}`` and ``accelerator_limits.csv`` (the computed points) into
``--outdir``; every file is written atomically.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if (_HERE := str(Path(__file__).resolve().parent)) not in sys.path:  # when loaded by file path
    sys.path.insert(0, _HERE)
from _figscript import add_run_options, check_at_least, figure_parser, run_figure_script

logger = logging.getLogger("fig_accelerator_limits")


@dataclass(frozen=True)
class Panel:
    """One experiment: detector, coupling, CL, mass range [MeV] and the published table."""

    detector: str
    title: str
    flavour: str
    cl: float
    masses_MeV: tuple[float, float]
    published: str
    citation: str


PANELS = (
    Panel("charm2", "CHARM-II", "mu", 0.90, (1.0, 600.0), "coloma2017_charm2.csv", "Coloma et al. 2017"),
    Panel("nomad", "NOMAD", "mu", 0.90, (4.0, 8000.0), "coloma2017_nomad.csv", "Coloma et al. 2017"),
    Panel(
        "miniboone", "MiniBooNE", "mu", 0.95, (1.0, 1500.0), "magill2018_miniboone.csv", "Magill et al. 2018"
    ),
    Panel("lsnd", "LSND", "e", 0.95, (1.0, 100.0), "magill2018_lsnd_nue.csv", "Magill et al. 2018"),
)


def published(panel: Panel) -> tuple[np.ndarray, np.ndarray]:
    """The published curve as stored (M_N [MeV], mu [mu_B]), all pieces joined in file order."""
    from fits.data import read

    t = read(panel.published)
    return np.asarray(t["M_N_MeV"], dtype=float), np.asarray(t["mu_muB"], dtype=float)


def is_region(panel: Panel) -> bool:
    """True when the published table is a closed polygon (``shape: region``): drawn filled, not as a line.

    A polygon's closing edges (e.g. NOMAD's flat top at the edge of the source figure) are not limits;
    filling the inside shows what the source means by them.
    """
    from fits.data import header_field, read

    return (header_field(read(panel.published), "shape") or "").startswith("region")


def median_abs_log10(masses, limits, pub_M, pub_mu) -> float | None:
    """Median |log10(nugen / published)| over the computed masses inside the published curve's range.

    The published curve is interpolated in log-log on its monotonically increasing first stretch (the
    lower edge; the traced closure turns back). None when no computed point falls in that range.
    """
    bad = np.flatnonzero(np.diff(pub_M) <= 0)
    n = int(bad[0]) + 1 if bad.size else pub_M.size
    M, mu = pub_M[:n], pub_mu[:n]
    m = np.asarray(masses, dtype=float)
    lim = np.asarray([np.nan if v is None else v for v in limits], dtype=float)
    ok = np.isfinite(lim) & (m >= M[0]) & (m <= M[-1])
    if not ok.any():
        return None
    from fits.published import interp_loglog

    ref = interp_loglog(m[ok], M, mu)
    return float(np.median(np.abs(np.log10(lim[ok] / ref))))


def compute(n_masses: int, workers: int, quiet: bool) -> list[tuple[Panel, object]]:
    """One scan per panel (one pool of worker processes for all); returns (panel, ScanResult) pairs."""
    from fits.scan import scan
    from nugen.parallel import process_pool

    out = []
    opts: dict = {"progress": False if quiet else None}
    with contextlib.ExitStack() as stack:
        if workers > 1:
            opts["executor"] = stack.enter_context(process_pool(workers))
        for panel in PANELS:
            t0 = time.perf_counter()
            masses = np.geomspace(*panel.masses_MeV, n_masses)
            (res,) = scan([panel.detector], masses, panel.flavour, cl=panel.cl, **opts)
            logger.info("%s: %d masses in %.1f s", panel.title, n_masses, time.perf_counter() - t0)
            out.append((panel, res))
    return out


def draw(results):
    """Four log-log panels; returns the figure."""
    from matplotlib.figure import Figure

    from fits.plots import CURVE_STYLES

    fig = Figure(figsize=(10.0, 7.6), layout="constrained")
    axes = fig.subplots(2, 2)
    for ax, (panel, res) in zip(axes.flat, results, strict=True):
        pub_M, pub_mu = published(panel)
        lim = [p.mu_upper_muB for p in res.points]
        m = res.masses
        y = np.array([np.nan if v is None else v for v in lim], dtype=float)
        style = CURVE_STYLES.get("charm" if panel.detector == "charm2" else panel.detector, {})
        ax.loglog(m, y, label=f"nugen ({panel.title}, computed)", **style)
        if is_region(panel):
            ax.fill(pub_M, pub_mu, facecolor="#b8860b", alpha=0.18, lw=0,
                    label=f"published excluded region ({panel.citation})")  # fmt: skip
            ax.loglog(pub_M, pub_mu, color="#b8860b", lw=1.0)
        else:
            ax.loglog(pub_M, pub_mu, color="#b8860b", lw=1.2, label=f"published ({panel.citation})")
        med = median_abs_log10(m, lim, pub_M, pub_mu)
        note = f"median |log10 ratio| = {med:.2f}" if med is not None else "no overlap"
        flav = {"mu": "ν_μ", "e": "ν_e"}[panel.flavour]
        ax.set_title(f"{panel.title}: {flav} coupling, {panel.cl:.0%} CL — {note}", fontsize=9.5)
        ax.set_xlabel("M_N [MeV]")
        ax.set_ylabel("μ [μ_B]")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(
        "Dipole portal at fixed-target experiments: nugen's recasts and the published curves", fontsize=11
    )
    return fig


def write_csv(path: Path, results) -> None:
    """The computed points: detector, flavour, CL, M_N [MeV], mu upper limit [mu_B] (empty = null)."""
    from nugen.outputs import write_csv as _write

    rows = [
        [panel.detector, panel.flavour, f"{panel.cl:g}", f"{p.mass_MeV:.9g}",
         "" if p.mu_upper_muB is None else f"{p.mu_upper_muB:.9g}", p.reason or ""]
        for panel, res in results
        for p in res.points
    ]  # fmt: skip
    _write(
        path,
        ["detector", "flavour", "cl", "M_N_MeV", "mu_upper_muB", "reason"],
        rows,
        comment="nugen scripts/fig_accelerator_limits.py: computed upper limits on mu (detector defaults); "
        "empty = null, with the reason",
    )


def build_parser() -> argparse.ArgumentParser:
    p = figure_parser(
        __file__,
        __doc__,
        "",
        ["--outdir out --masses 30 --workers 2", "--quick --outdir /tmp/acc"],
    )
    p.add_argument("--masses", type=int, default=30, help="masses per panel, log-spaced (>= 2)")
    p.add_argument(
        "--workers", type=int, default=1, help="worker processes for the scans (results do not depend on it)"
    )
    p.add_argument("--quick", action="store_true", help="4 masses per panel at a low resolution (tests)")
    add_run_options(p)
    return p


def make(args: argparse.Namespace) -> list[Path]:
    """Run the four scans, draw, write; return the files written."""
    from fits.plots import save_figures

    check_at_least(masses=(args.masses, 2), workers=(args.workers, 1))
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    results = compute(4 if args.quick else args.masses, args.workers, args.quiet)
    fig = draw(results)
    written = save_figures(fig, outdir, "accelerator_limits", dpi=80 if args.quick else args.dpi)
    write_csv(outdir / "accelerator_limits.csv", results)
    return [*written, outdir / "accelerator_limits.csv"]


def main(argv: list[str] | None = None) -> int:
    return run_figure_script(build_parser(), argv, logger, make)


if __name__ == "__main__":
    sys.exit(main())
