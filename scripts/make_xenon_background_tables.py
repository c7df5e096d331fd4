#!/usr/bin/env python
"""Write the shared xenon background spectra of the shipped cards (``detectors/cards/xenon_*.csv``).

The spectra are the XENON collaboration's low-energy electron-recoil background projections published in
GitHub XENONnT/darwin_proj_run (commit 9ef4d904678eb8c70ec533224edb9ac999667a9e, folder
``darwin_likelihood/data/spectra/``, JSON maps in events/(kg day keV) on ``numpy.linspace(lo, hi, n)``,
the grid the repository's own reader builds). This script only converts units (x 1000 kg/t x 365.25 d/yr),
keeps 0-41 keV and writes nugen's CSV layout with a header citing the file and its sha256. The cards
(darwin, xlzd) set each isotope's level with ``scale`` relative to the level stated in the header.

Levels of the files (none is stated in the files; checked from the decay rates, docs/card_notes/darwin.md):

* 214Pb (Mougeot shape): 222Rn at 1 uBq/kg (= 3.16e4 decays/(t yr); the file's 5.5 /(t yr keV) is 1.7e-4
  per decay per keV, what the 214Pb ground-state beta branch gives at low energy);
* 85Kr (Mougeot shape): natural krypton at 0.1 ppt (mol/mol) with 85Kr/Kr = 2e-11 (592 decays/(t yr); the
  file's ~1.1 /(t yr keV) is 1.9e-3 per decay per keV, right for the 687-keV 85Kr beta);
* 136Xe 2nu-beta-beta (Kotila-Iachello low-energy shape) and 124Xe 2nu-ECEC (smeared): natural xenon.

Run: ``python scripts/make_xenon_background_tables.py --source DIR`` with DIR holding the JSON files
(e.g. ``git --git-dir=MIRROR show HEAD:darwin_likelihood/data/spectra/Kr85Spectrum_Mougeot.json``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import textwrap
from pathlib import Path

import numpy as np

REPO = "XENONnT/darwin_proj_run@9ef4d904678eb8c70ec533224edb9ac999667a9e"
KG_DAY_TO_T_YR = 1000 * 365.25
E_MAX_KEV = 41.0
OUT = Path(__file__).resolve().parents[1] / "detectors" / "cards"

COMMON = [
    "These are the XENON collaboration's background-projection spectra (the repository's commit",
    "  1e7f395: 'spectra",
    "  stolen from LowER'; the descriptions name the XENON1T/XENONnT Monte Carlo), used by the",
    "  darwin and xlzd cards",
    "  with each card's own isotope level (card key `scale`).",
    "No detection efficiency applied (cards use includes_efficiency = false).",
]
UNSMEARED = [
    "Energy: deposited energy (the file is not labelled smeared). Gaussian smearing with sigma =",
    "  0.31 sqrt(E) keV changes",
    "  it by < 0.1 % (214Pb, 85Kr) and by at most 2.5 % (136Xe at 1.5 keV), so it is used as the",
    "  reconstructed spectrum.",
]
TABLES = {
    "xenon_pb214.csv": (
        "Pb214Spectrum_Mougeot.json",
        [
            "Level: 222Rn (214Pb) at 1 uBq/kg. The file states no level; 1 uBq/kg is the XENONnT",
            "  design level and the",
            "  decay-rate check in the script docstring supports it. (The file's description says",
            "  'Kr85 Spectrum', but",
            "  its name, its 1018-keV endpoint and its shape are 214Pb's.)",
            *UNSMEARED,
        ],
    ),
    "xenon_kr85.csv": (
        "Kr85Spectrum_Mougeot.json",
        [
            "Level: natural krypton at 0.1 ppt (mol/mol), 85Kr/natKr = 2e-11. The file states no",
            "  level; the decay-rate check",
            "  in the script docstring supports 0.1 ppt.",
            *UNSMEARED,
        ],
    ),
    "xenon_xe136.csv": (
        "Xe136Spectrum_IachelloLowE.json",
        [
            "Level: 136Xe two-neutrino double-beta decay in natural xenon (the rate per tonne is",
            "  detector independent).",
            *UNSMEARED,
        ],
    ),
    "xenon_xe124.csv": (
        "Xe124Spectrum_Smeared.json",
        [
            "Level: 124Xe two-neutrino double electron capture in natural xenon (L/M-shell peaks",
            "  near 10 keV).",
            "Energy: the file is SMEARED with the resolution of the XENONnT study; used as the",
            "  reconstructed spectrum.",
        ],
    ),
}


def write_table(source: Path, out: Path, src: str, lines: list[str]) -> float:
    """Convert one JSON map; return its mean rate in 1-30 keV [events/(t yr keV)]."""
    raw = (source / src).read_bytes()
    d = json.loads(raw)
    lo, hi, n = d["coordinate_system"][0][1]
    E = np.linspace(lo, hi, n)
    rate = np.asarray(d["map"], float) * KG_DAY_TO_T_YR
    keep = E <= E_MAX_KEV
    desc = " | ".join(x.strip() for x in d["description"].strip().splitlines())
    header = [
        f"Source: GitHub {REPO}, darwin_likelihood/data/spectra/{src} (sha256",
        f"  {hashlib.sha256(raw).hexdigest()[:16]}...).",
        f"  File description (verbatim): '{desc}'.",
        f"  Grid: E = numpy.linspace({lo}, {hi}, {n}) keV (the repository's reader); rows with E <=",
        f"  {E_MAX_KEV:g} keV kept.",
        "Conversion: rate_per_t_yr_keV = map [events/(kg day keV)] x 1000 x 365.25.",
        *lines,
        *COMMON,
        "Written by scripts/make_xenon_background_tables.py.",
    ]
    paragraphs: list[str] = []
    for h in header:  # a line starting with two spaces continues the paragraph above
        if h.startswith("  ") and paragraphs:
            paragraphs[-1] += " " + h.strip()
        else:
            paragraphs.append(h.strip())
    fill = {"width": 106, "subsequent_indent": "  ", "break_on_hyphens": False}
    wrapped = [textwrap.fill(x, **fill) for x in paragraphs]
    text = "\n".join(["# " + w for x in wrapped for w in x.splitlines()] + ["E_keV,rate_per_t_yr_keV"])
    text += "\n" + "\n".join(f"{e:.6g},{r:.6g}" for e, r in zip(E[keep], rate[keep], strict=True)) + "\n"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    sel = (E >= 1) & (E <= 30)
    return float(np.trapezoid(rate[sel], E[sel]) / (E[sel][-1] - E[sel][0]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--source", required=True, type=Path, help="folder with the JSON spectra of darwin_proj_run"
    )
    ap.add_argument("--outdir", type=Path, default=OUT, help=f"where to write (default {OUT})")
    args = ap.parse_args(argv)
    missing = [src for src, _ in TABLES.values() if not (args.source / src).is_file()]
    if missing:
        print(
            f"make_xenon_background_tables: error: {args.source} lacks {', '.join(missing)}", file=sys.stderr
        )
        return 2
    for name, (src, lines) in TABLES.items():
        mean = write_table(args.source, args.outdir / name, src, lines)
        print(f"{name}: mean rate 1-30 keV {mean:.4g} events/(t yr keV)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
