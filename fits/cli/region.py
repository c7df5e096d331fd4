"""``nugen region``: a two-dimensional confidence region in (M_N, mu) for one detector."""

from __future__ import annotations

import argparse
import sys

from fits.cli.scan import add_mass_options
from nugen.cli.common import (
    add_detector_options,
    add_execution_options,
    add_model_options,
    add_output_options,
    add_settings_option,
    detector_settings,
    emit,
)

COMMAND = "region"
ORDER = 46


def register(sub, parents):
    """Add the ``region`` subcommand."""
    p = sub.add_parser(
        COMMAND,
        parents=parents,
        help="2D profile-likelihood confidence region in (M_N, mu) for one detector",
        description="Fit one detector's spectrum at each M_N of --masses (nuisances profiled, mu >= 0), "
        "take the global best fit over those masses, and give at each mass the interval(s) of mu [mu_B] "
        "where -2 ln L lies within chi2.ppf(CL, dof) of the global minimum (Wilks; dof 2 for the two "
        "parameters M_N and mu, dof 1 reproduces 'nugen limit's two-sided interval at one mass). Edges "
        "are found by root finding in mu, not on a grid. A mass the region does not reach has an empty "
        "list; an edge beyond the physical reach is null with a 'reason'. The global minimum is over "
        "the grid asked for: a coarse grid can miss it and enlarge the region (docs/statistics.md).",
        epilog="examples:\n"
        "  nugen region --detector xenon1t --masses 0.01:1:40 --log --flavour mu --cl 0.68,0.9 --json\n"
        "  nugen region --detector xenon1t --masses 0:0.1:2 --dof 1 --csv\n"
        "  nugen region --detector xenon1t --masses 0.01:1:40 --log --set xenon1t.tritium=free\n"
        "  nugen region --detector darwin --asimov --masses 0.01:1:20 --log --workers 2 --json "
        "-o darwin.json",
    )
    add_detector_options(p)
    add_mass_options(p, note="; the global best fit is taken over them")
    add_model_options(p, with_mu=False, with_mass=False)
    g = p.add_argument_group("region")
    g.add_argument(
        "--cl",
        default="0.9",
        metavar="CL[,CL2...]",
        help="confidence level(s), comma-separated, each 0.5 <= CL < 1 (default 0.9)",
    )
    g.add_argument(
        "--dof",
        type=int,
        default=2,
        metavar="{1,2}",
        help="degrees of freedom of the chi2 threshold: 2 for the (M_N, mu) plane (default), 1 for "
        "intervals in mu at fixed M_N",
    )
    g.add_argument(
        "--asimov",
        action="store_true",
        help="the region expected from the background-only Asimov data set instead of the observed "
        "data (needed for detectors without data, such as darwin)",
    )
    add_settings_option(
        g, help="detector setting (repeatable), e.g. xenon1t.tritium=free; see 'nugen info DETECTOR'"
    )
    add_execution_options(p)
    add_output_options(p)
    return p


def parse_cls(text: str) -> list[float]:
    """Turn ``--cl "0.68,0.9"`` into confidence levels, each checked by :func:`fits.limits.check_cl`."""
    from fits.limits import check_cl
    from nugen.errors import InvalidParameterError

    parts = [t.strip() for t in str(text).split(",")]
    if not all(parts):
        msg = f"--cl needs comma-separated confidence levels such as 0.68,0.9, got {text!r}"
        raise InvalidParameterError(msg)
    out = []
    for t in parts:
        try:
            value = float(t)
        except ValueError:
            msg = f"--cl needs numbers such as 0.9, got {t!r}"
            raise InvalidParameterError(msg) from None
        out.append(check_cl(value, "--cl"))
    if len(set(out)) != len(out):
        msg = f"--cl: each confidence level may appear once, got {text!r}"
        raise InvalidParameterError(msg)
    return sorted(out)


def run(args: argparse.Namespace) -> int:
    """Compute and print the region."""
    from fits.cli.scan import parse_masses
    from nugen.errors import InvalidParameterError
    from nugen.outputs import check_output_path

    if args.dof not in (1, 2):
        msg = f"--dof must be 1 or 2, got {args.dof}"
        raise InvalidParameterError(msg)
    cls = parse_cls(args.cl)
    if args.output:
        check_output_path(args.output, overwrite=args.overwrite)
    masses = parse_masses(args.masses, args.log)
    name = args.detector
    settings = detector_settings(args.settings, name)

    from fits.scan import cached_detector

    det = cached_detector(name, tuple(sorted(settings.items())))
    if not args.asimov and det.observed() is None:
        msg = (
            f"detector {det.name!r} has no data, so it has no observed region: add --asimov for the "
            "region expected from the background-only Asimov data set"
        )
        raise InvalidParameterError(msg)

    from fits.region import detector_region

    res = detector_region(
        name,
        masses,
        args.flavour,
        cls=cls,
        dof=args.dof,
        asimov=bool(args.asimov),
        settings=settings,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=False if args.quiet else None,
    )
    payload = res.to_dict()
    keys = [f"{c:g}" for c in res.cls]
    header = ["mass_MeV", "mu_best_muB", "twice_nll"]
    for k in keys:
        header += [f"lo_{k}_muB", f"hi_{k}_muB"]
    header += ["reason", "error"]
    rows = []
    for p in res.points:
        row = [p.mass_MeV, p.mu_best_muB, p.twice_nll]
        for k in keys:
            ivs = p.regions.get(k, [])
            # one interval per CL for one detector (q convex in mu); empty cells: not reached here
            lo, hi = (ivs[0][0], _edge(ivs[0][1])) if ivs else (None, None)
            row += [lo, hi]
        rows.append([*row, p.reason, p.error])
    b = res.best
    best_mu = b.get("mu_best_muB")
    pre = (
        f"# {', '.join(keys)} CL region in (M_N, mu) ({res.flavour}, dof {res.dof}"
        f"{', Asimov' if res.expected else ''}); global best fit M_N = {b['mass_MeV']:.6g} MeV, "
        f"mu = {'-' if best_mu is None else f'{best_mu:.4g}'} mu_B, -2 ln L = {b['twice_nll']:.6g}; "
        "edges in mu_B ('-': the region does not reach this mass; 'open': no edge within reach)"
    )
    emit(args, payload, header, rows, preamble=pre)
    failed = sum(1 for p in res.points if p.error)
    if failed and not args.quiet:
        print(f"nugen: warning: {failed} of {len(rows)} masses failed (see their 'error')", file=sys.stderr)
    return 1 if failed == len(rows) else 0


def _edge(value):
    """An upper edge for the tables: the number, or ``"open"`` (beyond the reach)."""
    return "open" if value is None else value
