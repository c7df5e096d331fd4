"""Print nugen's accelerator limit against the published curve (table, median |log10 ratio|, closure).

Replaces the ``python -m fits.{nomad,lsnd,miniboone}_limit`` printers. Example::

    python scripts/compare_accelerator_limits.py --detector nomad --set incoherent=protons
    python scripts/compare_accelerator_limits.py --detector lsnd --masses 5 10 30 --no-closure

Bad input: a one-line error and exit 2 (:class:`nugen.errors.NugenError`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from nugen.errors import NugenError, UnknownNameError

__all__ = ["main"]

DETECTORS = ("charm2", "nomad", "lsnd", "miniboone")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="example: python scripts/compare_accelerator_limits.py --detector lsnd --masses 5 10",
    )
    p.add_argument("--detector", required=True, help="one of " + ", ".join(DETECTORS))
    p.add_argument(
        "--masses", nargs="+", type=float, metavar="M_MeV", help="masses [MeV] (default: published)"
    )
    p.add_argument("--nature", default="dirac", choices=("dirac", "majorana"))
    p.add_argument("--cl", type=float, help="confidence level (lsnd, miniboone; default: the module's)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="detector settings")
    p.add_argument("--no-closure", action="store_true", help="skip the closure-mass root finding")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; returns the exit code (0, or 2 on bad input)."""
    args = _parser().parse_args(argv)
    try:
        if args.detector not in DETECTORS:
            raise UnknownNameError("detector", args.detector, DETECTORS)
        mod = importlib.import_module(f"fits.{args.detector}_limit")
        if not hasattr(mod, "compare_published"):
            raise NugenError(f"{args.detector}: no published-curve comparison in fits.{args.detector}_limit")
        from _figscript import parse_key_values

        from detectors import get_detector

        settings = parse_key_values(args.set)
        det = get_detector(args.detector, **settings)
        kw = {} if args.cl is None else {"cl": args.cl}
        if kw and args.detector == "nomad":
            raise NugenError("--cl: the nomad comparison has a fixed confidence level")
        cmp = mod.compare_published(det, args.masses, nature=args.nature, **kw)
    except NugenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"# {args.detector} {' '.join(args.set) or '(defaults)'}: M_MeV published_muB ours_muB ratio")
    for m, p, o, r in zip(cmp["M_MeV"], cmp["published_muB"], cmp["ours_muB"], cmp["ratio"], strict=True):
        print(f"{m:9.3f} {p:.4e} {o:.4e} {r:.3f}")
    print(f"median |log10 ratio| = {cmp['median_abs_log10_ratio']:.3f} over {len(cmp['M_MeV'])} masses")
    if not args.no_closure and args.nature == "dirac" and hasattr(mod, "closure_masses_MeV"):
        lo, hi = mod.closure_masses_MeV(det)
        print(f"closure masses (module default level): {lo:.3g} MeV and {hi:.4g} MeV")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
