"""``nugen spectrum``: expected event counts per bin for a target or a detector."""

from __future__ import annotations

import argparse

from nugen.cli.common import (
    CARD_HELP,
    DEFAULT_SOURCE,
    DETECTOR_HELP,
    ENERGY_UNITS_MEV,
    add_model_options,
    add_output_options,
    add_settings_option,
    detector_settings,
    emit,
    finite_list,
    model_from_args,
    parse_bins,
    reject_settings,
)

COMMAND = "spectrum"
ORDER = 20

#: Default bins [target unit] per target material (the source: :data:`nugen.cli.common.DEFAULT_SOURCE`).
TARGET_BINS = {
    "xenon": "1:30:29",
    "pseudocumene": "200:2000:36",
    "glass": "3:24:21",
    "mineral_oil": "0.1:7.1:70",  # GeV: electron recoils up to the BNB flux's 7.2 GeV end
}


def register(sub, parents):
    """Add the ``spectrum`` subcommand."""
    p = sub.add_parser(
        COMMAND,
        parents=parents,
        help="expected counts per bin (true recoil energy for a target, observed energy for a detector)",
        description="Expected event counts per recoil-energy bin: dipole signal and Standard-Model "
        "neutrino scattering. With --target: true recoil energy per tonne-year, no detector response. "
        "With --detector: observed energy after resolution and efficiency, for the detector's exposure, "
        "with its backgrounds and observed data.",
        epilog="examples:\n  nugen spectrum --target xenon --mass 0.1 --mu 2e-11 --bins 1:30:29 --json\n"
        "  nugen spectrum --detector xenon1t --mu 2e-11 --csv -o xenon1t.csv\n"
        "  nugen spectrum --card my_detector.toml --mu 1e-11 --json\n"
        "  nugen spectrum --target xenon --recoil nuclear --bins 0.1:10:20 --flavour mu",
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--target", metavar="NAME", help="target material: xenon, argon, pseudocumene, glass, mineral_oil"
    )
    where.add_argument("--detector", metavar="NAME", help=DETECTOR_HELP)
    where.add_argument("--card", metavar="FILE.toml", help=CARD_HELP)
    p.add_argument(
        "--source",
        metavar="NAME",
        default=None,
        help="neutrino source (default: solar; charm2 for glass, miniboone for mineral_oil)",
    )
    p.add_argument(
        "--recoil",
        choices=("electron", "nuclear"),
        default="electron",
        help="with --target: electron recoils (nu e) or nuclear recoils (coherent nu A)",
    )
    p.add_argument(
        "--bins",
        metavar="LO:HI:N",
        default=None,
        help="N equal bins from LO to HI in the target's or detector's energy unit",
    )
    p.add_argument(
        "--by-component", action="store_true", help="also give the counts of each source component"
    )
    add_settings_option(p)
    add_model_options(p, mass_default=0.0, mu_default=2e-11)
    add_output_options(p)
    return p


def run(args: argparse.Namespace) -> int:
    """Compute and print the spectrum."""
    model = model_from_args(args)
    if args.detector is not None:
        return _run_detector(args, model)
    return _run_target(args, model)


def _run_target(args, model) -> int:
    from nugen.rates import rate_calculator
    from nugen.targets import get_target

    reject_settings(args.settings, f"--target {args.target!r}")
    target = get_target(args.target)
    default_bins = TARGET_BINS.get(args.target, "1:30:29")
    source = args.source if args.source is not None else DEFAULT_SOURCE.get(args.target, "solar")
    unit = target.energy_unit
    edges = parse_bins(args.bins if args.bins is not None else default_bins, unit)
    rc = rate_calculator(source, args.target)
    scat = "electron" if args.recoil == "electron" else "nucleus"
    dip = rc.dipole_counts(edges, model, scat)
    sm = rc.sm_counts(edges, scat)
    scale = ENERGY_UNITS_MEV[unit]
    payload = {
        "command": "spectrum",
        "target": args.target,
        "source": source,
        "recoil": args.recoil,
        "model": model.describe(),
        "energy_unit": unit,
        "bin_edges": finite_list(edges / scale),
        "exposure_t_yr" if rc.exposure_label == "t yr" else "exposure": 1.0,
        "exposure_unit": rc.exposure_label,
        "counts": {"dipole": finite_list(dip.sum(0)), "sm_nu": finite_list(sm.sum(0))},
    }
    if args.by_component:
        payload["components"] = {
            "dipole": {n: finite_list(v) for n, v in zip(rc.component_names, dip, strict=True)},
            "sm_nu": {n: finite_list(v) for n, v in zip(rc.component_names, sm, strict=True)},
        }
    header = [f"E_lo_{unit}", f"E_hi_{unit}", "dipole", "sm_nu"]
    rows = [
        [float(a), float(b), float(d), float(s)]
        for a, b, d, s in zip(edges[:-1] / scale, edges[1:] / scale, dip.sum(0), sm.sum(0), strict=True)
    ]
    pre = (
        f"# {args.recoil} recoils in {args.target} from {source} neutrinos, events per {rc.exposure_label} "
        f"per bin; M_N = {model.mass_MeV:g} MeV, mu = {model.mu_max:g} mu_B ({model.flavour})"
    )
    emit(args, payload, header, rows, preamble=pre)
    return 0


def _run_detector(args, model) -> int:
    from nugen.cli.common import detector_provider

    det = detector_provider().get_detector(args.detector, **detector_settings(args.settings, args.detector))
    edges = parse_bins(args.bins, det.energy_unit) if args.bins is not None else None
    result = det.spectrum(model, edges_MeV=edges)
    payload = {"command": "spectrum", **result}
    unit = result["energy_unit"]
    e = result["bin_edges"]
    names = list(result["counts"])
    header = [f"E_lo_{unit}", f"E_hi_{unit}", *names] + (["data"] if result.get("data") is not None else [])
    rows = []
    for i in range(len(e) - 1):
        row = [e[i], e[i + 1]] + [result["counts"][n][i] for n in names]
        if result.get("data") is not None:
            row.append(result["data"][i])
        rows.append(row)
    pre = (
        f"# {det.title}: observed energy, events per bin for "
        f"{result['exposure_t_yr']:g} {det.exposure_unit}; "
        f"M_N = {model.mass_MeV:g} MeV, mu = {model.mu_max:g} mu_B ({model.flavour})"
    )
    if args.verbose and not any(result["counts"]["dipole"]):
        import sys

        print(
            f"nugen: note: the dipole signal is zero in {args.detector} for M_N = {model.mass_MeV:g} MeV "
            "(beyond the source's kinematic reach)",
            file=sys.stderr,
        )
    emit(args, payload, header, rows, preamble=pre)
    return 0
