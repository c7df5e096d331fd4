"""``nugen scan``: limits in mu over a range of M_N for one or more detectors."""

from __future__ import annotations

import argparse
import sys

from fits.cli.limit import add_fit_options, check_cl_option
from nugen.cli.common import (
    DETECTOR_HELP,
    add_detector_options,
    add_execution_options,
    add_model_options,
    add_output_options,
    emit,
    parse_range,
    settings_for,
)

COMMAND = "scan"
ORDER = 45


def register(sub, parents):
    """Add the ``scan`` subcommand."""
    p = sub.add_parser(
        COMMAND,
        parents=parents,
        help="limits in mu over a range of M_N (one or more detectors, optionally in parallel)",
        description="For each M_N of --masses and each detector: the profile-likelihood best fit, the "
        "one-sided upper limit and, where the data exclude mu = 0, the two-sided interval, in Bohr "
        "magnetons (as 'nugen limit'). Points where a detector has no sensitivity get null limits and a "
        "'reason'; a point that fails gets an 'error' and the scan goes on. Work runs serially, in "
        "--workers local processes, or on a running dask.distributed scheduler (--scheduler); the "
        "results do not depend on which.",
        epilog="examples:\n"
        "  nugen scan --detector xenon1t,borexino --masses 0.01:1:20 --log --flavour mu --csv\n"
        "  nugen scan --detector xenon1t,borexino,darwin --masses 0.01:3:50 --log --workers 2 --json "
        "-o limits.json\n"
        "  nugen scan --detector darwin --masses 0:0.5:11 --scheduler tcp://127.0.0.1:8786\n"
        "  nugen scan --detector xenon1t,xenonnt --card my_detector.toml --masses 0.01:1:20 --log --csv",
    )
    add_detector_options(p, multiple=True, detector_help="detector(s), comma-separated: " + DETECTOR_HELP)
    add_mass_options(p)
    add_model_options(p, with_mu=False, with_mass=False)  # the masses come from --masses
    add_fit_options(p)
    add_execution_options(p)
    add_output_options(p)
    return p


def add_mass_options(p, *, required: bool = True, prefix: str = "", note: str = "") -> None:
    """Add ``--masses LO:HI:N`` and ``--log`` (scan, region, sensitivity, plot limits/sensitivity)."""
    p.add_argument(
        "--masses",
        required=required,
        metavar="LO:HI:N",
        help=f"{prefix}N masses M_N from LO to HI [MeV], both included (equally spaced; --log: "
        f"log-spaced){note}",
    )
    p.add_argument("--log", action="store_true", help="log-spaced masses (needs LO > 0)")


def parse_masses(text: str, log: bool = False):
    """Turn ``"LO:HI:N"`` [MeV] into the N masses (see :func:`fits.scan.mass_grid`)."""
    from fits.scan import mass_grid
    from nugen.errors import InvalidParameterError

    lo, hi, n = parse_range(text, "--masses", "0.01:3:30 in MeV")
    try:
        return mass_grid(lo, hi, n, log=log)
    except InvalidParameterError as exc:
        msg = f"--masses {text!r}{' --log' if log else ''}: {exc}"
        raise InvalidParameterError(msg) from None


def run(args: argparse.Namespace) -> int:
    """Scan and print the limits."""
    from nugen.errors import InvalidParameterError
    from nugen.outputs import check_output_path

    check_cl_option(args.cl)
    if args.output:
        check_output_path(args.output, overwrite=args.overwrite)
    masses = parse_masses(args.masses, args.log)
    names = [n.strip() for n in args.detector.split(",")]
    if not all(names):
        msg = f"--detector needs comma-separated names, got {args.detector!r}"
        raise InvalidParameterError(msg)
    settings = settings_for(args.settings, names)

    from fits.scan import scan

    results = scan(
        names,
        masses,
        args.flavour,
        cl=args.cl,
        asimov=True if args.asimov else None,
        nature=args.nature,
        settings=settings,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=False if args.quiet else None,
    )
    docs = [{"command": "scan", **r.to_dict()} for r in results]
    payload = docs[0] if len(docs) == 1 else docs
    keys = ("mu_best_muB", "mu_lower_muB", "mu_upper_muB", "mu_upper_one_sided_muB", "q0")
    header = ["detector", "mass_MeV", *keys, "expected", "reason", "error"]
    rows = [
        [r.detector, p.mass_MeV, *(getattr(p, k) for k in keys), p.expected, p.reason, p.error]
        for r in results
        for p in r.points
    ]
    from fits.limits import method_text

    pre = f"# {args.cl:g} CL limits on mu [mu_B] ({args.flavour}); {method_text(args.cl, None)}"
    emit(args, payload, header, rows, preamble=pre)
    failed = sum(r.n_failed for r in results)
    if failed and not args.quiet:
        print(
            f"nugen: warning: {failed} of {len(rows)} scan points failed (see their 'error')", file=sys.stderr
        )
    return 1 if failed == len(rows) else 0
