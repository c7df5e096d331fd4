"""``nugen sensitivity``: median expected upper limits on mu with ±1σ/±2σ bands over M_N (and exposures)."""

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
    check_exposure,
    detector_settings,
    emit,
)

COMMAND = "sensitivity"
ORDER = 50


def register(sub, parents):
    """Add the ``sensitivity`` subcommand."""
    p = sub.add_parser(
        COMMAND,
        parents=parents,
        help="median expected limits in mu with ±1σ/±2σ bands (and discovery reach) over M_N",
        description="Expected sensitivity of one detector: for each M_N of --masses (and each exposure "
        "of --exposure) the median upper limit in mu [mu_B] that background-only experiments would report "
        "with nugen's limit procedure ('nugen limit'), and the limits at the 2.3, 15.9, 84.1 and 97.7 %% "
        "quantiles (the ±1σ/±2σ 'Brazil' band). Default: asymptotic bands, each edge a root of the "
        "background-only Asimov profile likelihood ratio (Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) "
        "1554; docs/statistics.md Sec. 8); --toys N: quantiles of the limits of N pseudo-experiments per "
        "point. --discovery adds the mu at which the median discovery significance is 3 and 5 sigma. "
        "Detectors with data are treated with their Asimov data set. Masses without signal get null "
        "values and a 'reason'.",
        epilog="examples:\n"
        "  nugen sensitivity --detector darwin --masses 0.01:1:30 --log --flavour mu --json\n"
        "  nugen sensitivity --detector darwin --masses 0:0.3:4 --exposure 10,100,1000 --discovery --csv\n"
        "  nugen sensitivity --detector xenon1t --masses 0.01:0.3:5 --log --toys 1000 --seed 7 --workers 2\n"
        "  nugen sensitivity --detector darwin --masses 0.01:1:30 --log --json -o darwin.json && "
        "nugen plot sensitivity --input darwin.json -o brazil.png",
    )
    add_detector_options(p)
    add_mass_options(p)
    add_model_options(p, with_mu=False, with_mass=False)
    add_sensitivity_options(p)
    add_execution_options(p)
    add_output_options(p)
    return p


def add_sensitivity_options(p: argparse.ArgumentParser) -> None:
    """Add --cl, --exposure, --toys, --seed, --discovery and --set (shared with ``plot sensitivity``)."""
    g = p.add_argument_group("sensitivity")
    g.add_argument(
        "--cl",
        type=float,
        default=0.9,
        metavar="CL",
        help="confidence level of the limits, 0.5 <= CL < 1",
    )
    g.add_argument(
        "--exposure",
        default=None,
        metavar="T_YR[,T_YR...]",
        help="comma-separated exposures [t yr]: the detector is rebuilt with setting exposure_t_yr = each "
        "(default: its own exposure)",
    )
    g.add_argument(
        "--toys",
        type=int,
        default=None,
        metavar="N",
        help="bands from N pseudo-experiments per point instead of the asymptotic formulae",
    )
    g.add_argument(
        "--seed", type=int, default=None, metavar="S", help="seed of the toys (default: fresh, and reported)"
    )
    g.add_argument(
        "--discovery",
        action="store_true",
        help="also the mu of median 3 and 5 sigma discovery significance (Asimov)",
    )
    add_settings_option(
        g, help="detector setting (repeatable), e.g. darwin.exposure_t_yr=200; see 'nugen info'"
    )


def parse_exposures(text: str | None) -> list[float] | None:
    """Turn ``--exposure "T1,T2,..."`` into exposures [t yr] (each a number > 0, none twice).

    Raises
    ------
    InvalidParameterError
        Naming the offending value.
    """
    import math

    from nugen.errors import InvalidParameterError

    if text is None:
        return None
    parts = [t.strip() for t in str(text).split(",")]
    out = []
    for t in parts:
        try:
            v = float(t)
        except ValueError:
            msg = f"--exposure needs comma-separated exposures in t yr (e.g. 10,100), got {t!r} in {text!r}"
            raise InvalidParameterError(msg) from None
        if not math.isfinite(v) or v <= 0:
            msg = f"--exposure values must be finite and > 0 t yr, got {t!r} in {text!r}"
            raise InvalidParameterError(msg)
        check_exposure(t, f"--exposure {text}")
        out.append(v)
    if len(set(out)) != len(out):
        msg = f"--exposure lists an exposure twice: {text!r}"
        raise InvalidParameterError(msg)
    return out


def check_toys(toys: int | None) -> None:
    """``--toys`` must be >= 1 when given."""
    from nugen.errors import InvalidParameterError

    if toys is not None and toys < 1:
        msg = f"--toys must be >= 1, got {toys}"
        raise InvalidParameterError(msg)


def compute(args: argparse.Namespace, masses, progress: bool | None):
    """Run the sensitivity scan the parsed options describe (shared with ``nugen plot sensitivity``)."""
    from detectors import get_detector
    from fits.cli.limit import check_cl_option
    from fits.sensitivity import sensitivity_scan

    check_cl_option(args.cl)
    check_toys(args.toys)
    exposures = parse_exposures(args.exposure)
    own = detector_settings(args.settings, args.detector)
    get_detector(args.detector, **own)  # an unknown name or setting fails before any work
    return sensitivity_scan(
        args.detector,
        masses,
        args.flavour,
        cl=args.cl,
        exposures=exposures,
        toys=args.toys,
        seed=args.seed,
        discovery=args.discovery,
        nature=args.nature,
        settings=own,
        workers=getattr(args, "workers", 1),
        scheduler=getattr(args, "scheduler", None),
        progress=progress,
    )


def rows(result) -> tuple[list[str], list[list]]:
    """CSV/table header and rows of a :class:`fits.sensitivity.SensitivityResult`."""
    from fits.sensitivity import BAND_KEYS, DISCOVERY_Z

    header = ["detector", "mass_MeV", "exposure_t_yr", "median_muB", *(f"band_{k}_muB" for k in BAND_KEYS)]
    if result.discovery:
        header += [f"discovery_{z:g}sigma_muB" for z in DISCOVERY_Z]
    header += ["reason", "error"]
    out = []
    for p in result.points:
        row = [
            result.detector,
            p.mass_MeV,
            p.exposure_t_yr,
            p.median_muB,
            *(p.band_muB[k] for k in BAND_KEYS),
        ]
        if result.discovery:
            row += [(p.discovery_muB or {}).get(f"{z:g}") for z in DISCOVERY_Z]
        out.append([*row, p.reason, p.error])
    return header, out


def run(args: argparse.Namespace) -> int:
    """Compute and print the expected sensitivity."""
    from fits.cli.scan import parse_masses
    from nugen.outputs import check_output_path

    if args.output:
        check_output_path(args.output, overwrite=args.overwrite)
    masses = parse_masses(args.masses, args.log)
    result = compute(args, masses, progress=False if args.quiet else None)
    header, table = rows(result)
    how = f"{result.toys} toys per point, seed {result.seed}" if result.toys else "asymptotic (Asimov)"
    pre = (
        f"# {result.detector}: median expected {result.cl:g} CL upper limits on mu [mu_B] ({args.flavour}) "
        f"with the ±1σ/±2σ bands, {how}; docs/statistics.md Sec. 8"
    )
    emit(args, result.to_dict(), header, table, preamble=pre)
    if result.n_failed and not args.quiet:
        print(
            f"nugen: warning: {result.n_failed} of {len(table)} points failed (see their 'error')",
            file=sys.stderr,
        )
    return 1 if result.n_failed == len(table) else 0
