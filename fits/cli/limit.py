"""``nugen limit``: best fit, upper limit or interval in mu at one M_N for one detector."""

from __future__ import annotations

import argparse

from nugen.cli.common import (
    add_detector_options,
    add_model_options,
    add_output_options,
    add_settings_option,
    detector_settings,
    emit,
)

COMMAND = "limit"
ORDER = 40


def add_fit_options(p: argparse.ArgumentParser) -> None:
    """``--cl``, ``--asimov`` and ``--set`` (shared by ``limit`` and ``scan``)."""
    g = p.add_argument_group("fit")
    g.add_argument(
        "--cl",
        type=float,
        default=0.9,
        metavar="CL",
        help="confidence level, 0.5 <= CL < 1: one-sided upper limit at q = chi2.ppf(2CL-1, 1), two-sided "
        "interval at q = chi2.ppf(CL, 1) when the data exclude mu = 0 (docs/statistics.md)",
    )
    g.add_argument(
        "--asimov",
        action="store_true",
        help="median expected limit from the background-only Asimov data set instead of the observed "
        "data (always used for detectors without data, such as darwin)",
    )
    add_settings_option(
        g, help="detector setting (repeatable), e.g. xenon1t.tritium=free; see 'nugen info DETECTOR'"
    )


def check_cl_option(cl: float) -> float:
    """Validate ``--cl`` with a message naming the option (:func:`fits.limits.check_cl`)."""
    from fits.limits import check_cl

    return check_cl(cl, "--cl")


def register(sub, parents):
    """Add the ``limit`` subcommand."""
    p = sub.add_parser(
        COMMAND,
        parents=parents,
        help="best fit and 90%% CL limit or interval in mu at one M_N",
        description="Profile-likelihood fit of one detector's spectrum at one M_N: the best-fit "
        "magnetic moment, the one-sided upper limit and, when the data exclude mu = 0 at the given CL, "
        "the two-sided interval, in Bohr magnetons (mu = the largest flavour coupling). Background and "
        "SM-neutrino normalisations are nuisance parameters (Gaussian-constrained, or free >= 0). "
        "Detectors without data (darwin) give the median expected (Asimov) limit.",
        epilog="examples:\n  nugen limit --detector xenon1t --mass 0 --json\n"
        "  nugen limit --detector xenon1t --flavour mu --set xenon1t.tritium=free\n"
        "  nugen limit --detector borexino --mass 0.3 --cl 0.95\n"
        "  nugen limit --detector darwin --flavour mu --set darwin.exposure_t_yr=300\n"
        "  nugen limit --card my_detector.toml --mass 0.1 --json",
    )
    add_detector_options(p)
    add_model_options(p, mass_default=0.0, with_mu=False)
    add_fit_options(p)
    add_output_options(p)
    # without --flavour / --cl the detector's own defaults apply (universal and 0.9 unless the detector sets
    # default_flavour / default_cl, those of its published curve, e.g. lsnd: e and 0.95)
    own_default = {
        "flavour": "universal, or the detector's own: mu for miniboone, e for lsnd",
        "cl": "0.9, or the detector's own: 0.95 for miniboone and lsnd",
    }
    for action in p._actions:
        if action.dest in own_default:
            action.default = argparse.SUPPRESS
            action.help += f" (default: {own_default[action.dest]})"
    return p


def detector_defaults(args: argparse.Namespace, det) -> None:
    """Fill unset ``args.flavour`` / ``args.cl`` from the detector's ``default_flavour`` / ``default_cl``."""
    if getattr(args, "flavour", None) is None:
        args.flavour = getattr(det, "default_flavour", "universal")
    if getattr(args, "cl", None) is None:
        args.cl = float(getattr(det, "default_cl", 0.9))


def run(args: argparse.Namespace) -> int:
    """Fit and print the limit."""
    from nugen.outputs import check_output_path

    if getattr(args, "cl", None) is not None:
        check_cl_option(args.cl)
    if args.output:
        check_output_path(args.output, overwrite=args.overwrite)
    own = detector_settings(args.settings, args.detector)

    from detectors import get_detector
    from fits.limits import detector_limit

    det = get_detector(args.detector, **own)
    detector_defaults(args, det)
    check_cl_option(args.cl)
    model = _model(args)
    result = detector_limit(
        det,
        model.mass_MeV,
        args.flavour,
        cl=args.cl,
        asimov=True if args.asimov else None,
        nature=args.nature,
    )
    payload = {"command": "limit", **result.to_dict()}
    keys = ("mu_best_muB", "mu_lower_muB", "mu_upper_muB", "mu_upper_one_sided_muB", "q0")
    header = ["detector", "mass_MeV", "flavour", "cl", *keys, "expected", "reason"]
    rows = [
        [result.detector, result.mass_MeV, args.flavour, result.cl]
        + [getattr(result, k) for k in keys]
        + [result.expected, result.reason]
    ]
    kind = "median expected (Asimov)" if result.expected else "observed"
    pre = (
        f"# {det.title or det.name}: {kind} {result.cl:g} CL limits on mu [mu_B] ({args.flavour}); "
        f"{result.method}"
    )
    emit(args, payload, header, rows, preamble=pre)
    return 0


def _model(args):
    """The model described by the options (validates --mass); mu is irrelevant for a fit."""
    from nugen.cli.common import model_from_args

    return model_from_args(args, mu=0.0)
