#!/usr/bin/env python
"""Reproduce the seed's Fig. 3: the (M_N, mu) exclusion plane of the nu_mu dipole portal.

Computed here (nugen's likelihoods, :func:`fits.scan.scan`, profile likelihood, 90 % CL, nu_mu-only
coupling, the seed's choices):

* XENON1T electron-recoil upper limit with the tritium background **free** (the seed's XENON1T line);
* XENON1T-excess region (the seed's violet region): nugen's 2D profile-likelihood region in (M_N, mu)
  (:func:`fits.region.detector_region`, background **B0 only**, 2 dof, about the global best fit of the
  plane) at 68.27 % and 95.45 % CL (1 and 2 sigma for two parameters), filled where it excludes mu = 0;
* with ``--seed-procedure``, the curves drawn the seed's way (physics.md Sec. 6.5, docs/validation.md
  "Fig. 3, curve by curve"): XENON1T = upper edge of the 2-dof 90 % CL region (tritium free), Borexino =
  per-mass limit in a 280-900 keV window;
* Borexino Phase-II upper limit;
* DARWIN median expected (Asimov) upper limit;
* XENON1T nuclear-recoil upper limit (coherent nu A -> N A of 8B and hep neutrinos, XENON's binwise
  likelihood of its 1 t yr search; needs ``pip install 'nugen[nr]'``), 0.01-20 MeV;
* CHARM-II upper limit (nu_mu e scattering and N -> nu gamma), on its own mass grid up to 1 GeV;
* with ``--today``, today's experiments (every shipped card with published data: XENONnT SR0), and
  with ``--add NAME[,NAME...]`` any detector or card (``lz``, ``xlzd``, ``mycard.toml``): observed
  limits where the detector has data, median expected limits otherwise.

Overlaid (not computed; packaged digitised tables of :mod:`fits.data`, each cited in the legend):
stellar cooling, SN1987A, BBN (4He), CMB Delta N_eff (0.05 and 0.3), the fixed-target exclusions
(MiniBooNE, NOMAD), the MiniBooNE-excess region and the IceCube sensitivity, and, for comparison, the
published XENON1T and Borexino curves of Brdar et al., JCAP 01 (2021) 039, Fig. 3.

Writes ``fig3.png``, ``fig3.pdf``, ``fig3_limits.csv`` (every computed point) and ``fig3_bands.csv``
(every overlaid vertex) into ``--outdir``; every file is written atomically.

Example::

    python scripts/fig3_exclusion.py --outdir out --masses 40 --workers 2
    python scripts/fig3_exclusion.py --quick --outdir /tmp/f3
    python scripts/fig3_exclusion.py --today --add xlzd --outdir out --workers 2
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from pathlib import Path

import numpy as np

if (_HERE := str(Path(__file__).resolve().parent)) not in sys.path:  # when loaded by file path
    sys.path.insert(0, _HERE)
from _figscript import add_run_options, check_at_least, figure_parser, run_figure_script

logger = logging.getLogger("fig3_exclusion")

#: The seed's choices (physics.md Sec. 1.3; seed Fig. 3 caption).
FLAVOUR = "mu"
CL = 0.9
#: XENON1T limit line: tritium as a free background component (CLI.md: --set xenon1t.tritium=free).
XENON1T_LIMIT_SETTINGS = {"tritium": "free"}
#: XENON1T-excess region: background B0 only.
XENON1T_PREFERRED_SETTINGS = {"tritium": "off"}
#: Confidence levels of the XENON1T-excess region: 1 and 2 sigma for 2 dof (Delta chi2 = 2.30, 6.18).
REGION_CLS = (0.6827, 0.9545)
#: ``--seed-procedure``: Borexino's window as the seed's curve evidently used (docs/validation.md).
SEED_BOREXINO_SETTINGS = {"e_max_keV": 900.0}
#: Mass range of the solar-neutrino detectors [MeV]: above ~4 MeV no solar neutrino can produce N on
#: an electron (8B/hep endpoint), so the scans stop there.
SOLAR_RANGE_MEV = (0.01, 5.0)
#: Mass range of the XENON1T nuclear-recoil line [MeV]: it closes above the hep endpoint (18.8 MeV).
NR_RANGE_MEV = (0.01, 20.0)
#: Mass range of CHARM-II [MeV].
CHARM2_RANGE_MEV = (0.01, 1000.0)


def today_cards() -> list[str]:
    """``--today``: the shipped cards with observed data (running experiments' published results)."""
    from detectors.card import SHIPPED_CARDS, load_card, shipped_card_path

    return [n for n in SHIPPED_CARDS if load_card(shipped_card_path(n), shipped=True).observed is not None]


def build_parser() -> argparse.ArgumentParser:
    p = figure_parser(
        __file__,
        __doc__,
        "Computes XENON1T (tritium free; preferred region with B0 only), Borexino, DARWIN and CHARM-II "
        "limits at 90% CL for a nu_mu-only coupling and overlays the published bands.",
        [
            "--outdir out --masses 40 --workers 2",
            "--quick --outdir /tmp/f3",
            "--today --add xlzd --outdir out --workers 2",
        ],
    )
    p.add_argument("--masses", type=int, default=40, metavar="N", help="masses per detector (log-spaced)")
    p.add_argument("--workers", type=int, default=1, metavar="K", help="local worker processes for the scans")
    p.add_argument(
        "--quick", action="store_true", help="fast run for tests: 5 masses, no CHARM-II, low-resolution PNG"
    )
    p.add_argument("--no-charm2", action="store_true", help="leave out CHARM-II")
    p.add_argument(
        "--seed-procedure",
        action="store_true",
        help="draw XENON1T as the upper edge of the 2-dof 90%% CL region (tritium free) and Borexino in a "
        "280-900 keV window, as the seed did (docs/validation.md, 'Fig. 3, curve by curve')",
    )
    p.add_argument("--no-published", action="store_true", help="do not overlay the published curves")
    p.add_argument(
        "--today",
        action="store_true",
        help="add today's experiments: every shipped card with observed data (xenonnt, ...)",
    )
    p.add_argument(
        "--add",
        metavar="NAME[,NAME...]",
        default="",
        help="add detectors: shipped cards or registered names (xlzd, darwin, ...) or card files (FILE.toml)",
    )
    add_run_options(p)
    return p


# -- computation -------------------------------------------------------------------------------------
def nuclear_available() -> bool:
    """Whether XENON's binwise likelihood (``pip install 'nugen[nr]'``) is installed for the NR line."""
    from importlib import metadata

    try:
        metadata.distribution("xe-likelihood")
    except metadata.PackageNotFoundError:
        logger.warning("XENON1T nuclear-recoil line left out: pip install 'nugen[nr]' adds it")
        return False
    return True


def added_jobs(names: list[str], masses: np.ndarray) -> list[tuple]:
    """Scan jobs for ``--today``/``--add``: observed limits with data, median expected without."""
    from detectors import get_detector
    from fits.plots import detector_label

    jobs = []
    for name in names:
        det = get_detector(name)
        what = "observed" if det.observed() is not None else "median expected"
        jobs.append((f"{detector_label(det.name)} ({what})", "limit", name, {}, masses))
    return jobs


def requested_detectors(args: argparse.Namespace) -> list[str]:
    """The ``--today`` and ``--add`` detectors, in order, without repeats; bad names raise NugenError."""
    from detectors import DETECTORS
    from nugen.errors import NugenError

    names = today_cards() if args.today else []
    for n in (x.strip() for x in args.add.split(",")):
        if not n:
            continue
        if n not in DETECTORS and not n.endswith(".toml"):
            msg = f"--add: unknown detector {n!r}; known: {', '.join(DETECTORS)}, or a card FILE.toml"
            raise NugenError(msg)
        if n not in names:
            names.append(n)
    return names


def compute(
    n_masses: int,
    workers: int,
    charm2: bool,
    quiet: bool = True,
    extra: list[str] | None = None,
    seed_procedure: bool = False,
) -> list[dict]:
    """Run the scans; return one dict per drawn element with its ScanResult and how it is drawn."""
    from fits.scan import scan
    from nugen.parallel import process_pool

    solar = np.geomspace(*SOLAR_RANGE_MEV, n_masses)
    opts = {"cl": CL, "progress": False if quiet else None}
    if seed_procedure:
        jobs = [
            (
                "XENON1T (tritium free; 2-dof 90% edge)",
                "seed_region",
                "xenon1t",
                XENON1T_LIMIT_SETTINGS,
                solar,
            ),
            ("Borexino (280-900 keV)", "limit", "borexino", SEED_BOREXINO_SETTINGS, solar),
        ]
    else:
        jobs = [
            ("XENON1T (tritium free)", "limit", "xenon1t", XENON1T_LIMIT_SETTINGS, solar),
            ("Borexino", "limit", "borexino", {}, solar),
        ]
    jobs += [
        ("XENON1T excess (B0 only)", "region", "xenon1t", XENON1T_PREFERRED_SETTINGS, solar),
        ("DARWIN (median expected)", "limit", "darwin", {}, solar),
    ]
    jobs += added_jobs(extra or [], solar)
    if nuclear_available():
        nr = np.geomspace(NR_RANGE_MEV[0], NR_RANGE_MEV[1], n_masses)
        jobs.append(("XENON1T nuclear recoils", "limit", "xenon1t_nr", {}, nr))
    if charm2:
        jobs.append(("CHARM-II", "limit", "charm2", {}, np.geomspace(*CHARM2_RANGE_MEV, n_masses)))
    out = []
    # one pool of worker processes for every scan (results do not depend on it: fits.scan)
    with contextlib.ExitStack() as stack:
        if workers > 1:
            opts["executor"] = stack.enter_context(process_pool(workers))
        for label, kind, det, settings, masses in jobs:
            t0 = time.perf_counter()
            if kind in ("region", "seed_region"):
                from fits.region import detector_region

                cls = REGION_CLS if kind == "region" else (CL,)
                res = detector_region(
                    det,
                    masses,
                    FLAVOUR,
                    cls=cls,
                    dof=2,
                    settings=settings,
                    progress=opts["progress"],
                    executor=opts.get("executor"),
                )
                logger.info("%s: %d masses in %.1f s", label, len(masses), time.perf_counter() - t0)
                out.append(
                    {"label": label, "kind": kind, "detector": det, "settings": settings, "result": res}
                )
                continue
            (res,) = scan([det], masses, FLAVOUR, settings={det: settings} if settings else None, **opts)
            logger.info("%s: %d masses in %.1f s", label, len(masses), time.perf_counter() - t0)
            if res.n_failed:
                logger.warning("%s: %d point(s) failed; drawn as gaps", label, res.n_failed)
            out.append({"label": label, "kind": kind, "detector": det, "settings": settings, "result": res})
    return out


def draw(elements: list[dict], published: bool):
    """Draw the exclusion plane; return the figure and the :class:`fits.plots.ExclusionArtists`."""
    from matplotlib.figure import Figure

    from fits.plots import plot_exclusion

    curves, preferred, islands, styles = {}, {}, [], {}
    for el in elements:
        res = el["result"]
        if el["kind"] == "region":
            # larger CL first (drawn lighter, underneath); every run of masses where mu = 0 is excluded
            for alpha, cl in zip((0.35, 0.75), sorted(res.cls, reverse=True), strict=False):
                label = f"{el['label']}, {100 * cl:.4g}% CL (2 dof)"
                runs = region_runs(res, cl)
                if runs:
                    preferred[label] = runs[0]
                    styles[label] = {"alpha": alpha}
                    islands += [(r, alpha) for r in runs[1:]]
        elif el["kind"] == "seed_region":
            curves[el["label"]] = (res.masses, res.edges(CL)[1])
        else:
            curves[el["label"]] = (res.masses, res.column("mu_upper_muB"))
    fig = Figure(figsize=(10.5, 5.8), layout="constrained")
    ax = fig.add_subplot()
    art = plot_exclusion(
        ax, curves=curves, preferred_region=preferred, bands=True, published=published, styles=styles
    )
    from matplotlib.patches import Polygon

    for (m, lo, hi), alpha in islands:
        verts = np.column_stack([np.concatenate([m, m[::-1]]), np.concatenate([lo, hi[::-1]])])
        ax.add_patch(
            Polygon(verts, closed=True, facecolor="#8e44ad", edgecolor="#5b2c6f", alpha=alpha, zorder=4)
        )
    return fig, art


def region_runs(res, cl: float) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(M_N, lower, upper) of each contiguous run of masses where the region at ``cl`` excludes mu = 0."""
    lo, hi = res.edges(cl)
    ok = np.isfinite(lo) & np.isfinite(hi) & (lo > 0)
    runs, start = [], None
    for i, good in enumerate([*ok, False]):
        if good and start is None:
            start = i
        elif not good and start is not None:
            runs.append((res.masses[start:i], lo[start:i], hi[start:i]))
            start = None
    return runs


# -- output --------------------------------------------------------------------------------------------
def _fmt(v) -> str:
    return "" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v))


def write_limits_csv(path: Path, elements: list[dict]) -> None:
    from nugen.outputs import write_csv

    keys = ("mass_MeV", "mu_best_muB", "mu_lower_muB", "mu_upper_muB", "mu_upper_one_sided_muB")
    rows = []
    for el in elements:
        sets = ";".join(f"{k}={v}" for k, v in el["settings"].items())
        if el["kind"] in ("region", "seed_region"):
            res = el["result"]
            for cl in res.cls:
                lo, hi = res.edges(cl)
                for p, a, b in zip(res.points, lo, hi, strict=True):
                    vals = [p.mass_MeV, p.mu_best_muB, None if np.isnan(a) else float(a)]
                    vals += [None if np.isnan(b) else float(b), None]
                    rows.append(
                        [
                            f"{el['label']} {100 * cl:.4g}% CL (2 dof)",
                            el["kind"],
                            el["detector"],
                            sets,
                            res.expected,
                        ]
                        + [_fmt(v) for v in vals]
                        + [_fmt(p.reason), _fmt(p.error)]
                    )
            continue
        for p in el["result"].points:
            rows.append(
                [el["label"], el["kind"], el["detector"], sets, p.expected]
                + [_fmt(getattr(p, k)) for k in keys]
                + [_fmt(p.reason), _fmt(p.error)]
            )
    write_csv(
        path,
        ["element", "kind", "detector", "settings", "expected", *keys, "reason", "error"],
        rows,
        comment="nugen scripts/fig3_exclusion.py: computed limits on mu (nu_mu-only coupling, 90% CL, "
        "profile likelihood); empty = null (no sensitivity or no two-sided interval)",
    )


def write_bands_csv(path: Path, art) -> None:
    from nugen.outputs import write_csv

    rows = [
        [key, band.label, band.citation, band.shape, i, f"{a:.9g}", f"{b:.9g}"]
        for key, band in art.band_info.items()
        for i, (m, mu) in enumerate(band.pieces)
        for a, b in zip(m, mu, strict=True)
    ]
    write_csv(
        path,
        ["band", "label", "citation", "shape", "piece", "M_N_MeV", "mu_muB"],
        rows,
        comment="nugen scripts/fig3_exclusion.py: overlaid published bands (packaged tables of fits.data)",
    )


def make(args: argparse.Namespace) -> list[Path]:
    """Run the scans, draw and write Fig. 3 and its CSV files as ``args`` ask; return the files written."""
    from fits.plots import save_figures

    check_at_least(masses=(args.masses, 2), workers=(args.workers, 1))
    extra = requested_detectors(args)
    n = 5 if args.quick else args.masses
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    charm2 = not (args.quick or args.no_charm2)
    elements = compute(
        n, args.workers, charm2=charm2, quiet=args.quiet, extra=extra, seed_procedure=args.seed_procedure
    )
    fig, art = draw(elements, published=not args.no_published)
    written = save_figures(fig, outdir, "fig3", dpi=80 if args.quick else args.dpi)
    write_limits_csv(outdir / "fig3_limits.csv", elements)
    write_bands_csv(outdir / "fig3_bands.csv", art)
    return [*written, outdir / "fig3_limits.csv", outdir / "fig3_bands.csv"]


def main(argv: list[str] | None = None) -> int:
    return run_figure_script(build_parser(), argv, logger, make)


if __name__ == "__main__":
    sys.exit(main())
