#!/usr/bin/env python
"""Print the "Shipped detector cards (issue 13)" table of docs/validation.md: each shipped card's limit
(and the inputs a publication quotes) against the published value, with the command that reproduces it.

Run: ``python scripts/card_validation_table.py`` (a few seconds). With ``--write`` the table replaces the
block between the ``cards`` markers in docs/validation.md. The limits are asserted in
``tests/detectors/test_card.py`` (XENONnT, 20 %) and ``tests/detectors/test_shipped_cards.py`` (LZ, 25 %).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if (_HERE := str(Path(__file__).resolve().parent)) not in sys.path:  # when loaded by file path
    sys.path.insert(0, _HERE)
from _figscript import replace_generated_block  # noqa: E402 (after the sys.path entry)

KEV = 1e-3

#: (card, what, flavour, mass [MeV], published [mu_B] or None, source of the published value)
LIMITS = (
    ("xenonnt", "observed", "universal", 0.0, 6.3e-12, "XENON, PRL 129 (2022) 161805"),
    ("xenonnt", "median expected", "universal", 0.0, None, "–"),
    (
        "lz",
        "median expected",
        "universal",
        0.0,
        1.1e-11,
        "recast of the same LZ run, Atzori Corona et al., arXiv:2207.05036 (LZ's own value: not readable)",
    ),
    ("darwin", "median expected", "universal", 0.0, None, "none published (arXiv:2006.03114 abstract)"),
    (
        "darwin",
        "median expected",
        "mu",
        0.01,
        9.5e-12,
        "Brdar et al. Fig. 3 (digitised), seed's own assumptions",
    ),
    ("xlzd", "median expected", "universal", 0.0, None, "none found (design book arXiv:2410.17137 abstract)"),
)


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3g}"


def rows() -> list[str]:
    from detectors import get_detector
    from fits.limits import detector_limit

    out = []
    for card, what, flavour, mass, published, source in LIMITS:
        det = get_detector(card)
        asimov = what != "observed"
        res = detector_limit(det, mass, flavour, asimov=asimov)
        ours = res.mu_upper_muB
        ratio = f"{ours / published:.2f}" if published else "–"
        cmd = f"nugen limit --detector {card}" + (f" --mass {mass:g}" if mass else "")
        cmd += (f" --flavour {flavour}" if flavour != "universal" else "") + (" --asimov" if asimov else "")
        quantity = f"{what} 90 % CL limit on mu, {flavour}, M_N = {mass:g} MeV [mu_B]"
        out.append(
            f"| {card} | {quantity} | {_fmt(ours)} | {_fmt(published)} | {ratio} | {source} | `{cmd}` |"
        )

    # inputs a publication quotes
    x = get_detector("xenonnt")
    e = x.analysis_edges_MeV()
    centres = 0.5 * (e[1:] + e[:-1])
    b0 = np.sum(x.backgrounds()[0].counts / x.efficiency(centres)) / (x.exposure_t_yr * 29)
    out.append(
        f"| xenonnt | B0 rate / efficiency, 1-30 keV [/(t yr keV)] | {b0:.2f} | 15.8 +- 1.3 "
        f"| {b0 / 15.8:.2f} | PRL 129 (2022) 161805 abstract | `nugen info xenonnt` |"
    )
    from nugen.rates import rate_calculator
    from nugen.tables import parse_table

    path = ROOT / "tests" / "detectors" / "data" / "xenon_solar_nu_er_reference.csv"
    t = parse_table(path.read_text(encoding="utf-8"), str(path), ("E_keV", "rate_per_t_yr_keV"))
    E, r = np.asarray(t["E_keV"], float), np.asarray(t["rate_per_t_yr_keV"], float)
    rc = rate_calculator("solar", "xenon")
    for T in (2.0, 10.0, 30.0):
        ours = float(rc.sm_counts(np.array([T - 0.25, T + 0.25]) * KEV).sum()) / 0.5
        refv = float(np.interp(T, E, r))
        out.append(
            f"| all xenon cards | SM solar-nu ER rate at {T:g} keV (true energy) [/(t yr keV)] "
            f"| {ours:.3f} | {refv:.3f} | {ours / refv:.3f} "
            "| XENON projection spectrum (darwin_proj_run; tests/detectors/data) "
            f"| `nugen spectrum --target xenon --mu 0 --bins {T - 0.25:g}:{T + 0.25:g}:1` (x 2: per keV) |"
        )
    return out


def table() -> str:
    head = [
        "| card | quantity | nugen | published | ratio | source | command |",
        "|---|---|---|---|---|---|---|",
    ]
    return "\n".join(head + rows())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="replace the table in docs/validation.md")
    args = ap.parse_args(argv)
    text = table()
    print(text)
    if args.write:
        replace_generated_block("cards", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
