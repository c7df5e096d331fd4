"""Benchmark (issue 17): a 2D confidence region over 40 masses for one detector, one core.

Target: <= 3 s for ``fits.region.detector_region`` over 40 masses (XENON1T ER, nu_mu, CL 0.68 and 0.9,
dof 2) on one core after warm-up (imports and data tables loaded; the detector is built afresh each time,
so its SM kernels and every signal template are included). Also shown: the same 40 masses as a plain
limit scan (``fits.scan.scan``, the per-mass statistic), the cached-detector case (templates already
built: the cost of the fits and root finding alone), the DARWIN card's Asimov region, and ``nugen region``
as a fresh process.

Run: ``python benchmarks/bench_region.py [--repeat N]`` (other options of ``run_all.py`` are ignored).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from machine import machine_note, timing_table

from fits import scan as scan_module
from fits.region import detector_region
from fits.scan import scan

TARGET_S = 3.0
MASSES = np.geomspace(0.01, 3.0, 40)


def _fresh(detector, **kw):
    scan_module.cached_detector.cache_clear()  # a new detector: kernels and templates rebuilt
    return detector_region(detector, MASSES, "mu", cls=(0.68, 0.9), progress=False, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5, help="timings per case (default 5)")
    opts, _ = ap.parse_known_args()
    print(machine_note())
    print(f"(load {os.getloadavg()})")
    _fresh("xenon1t")  # warm-up: imports, data tables
    r = opts.repeat

    print(f"\n40 masses 0.01-3 MeV (log), nu_mu, one core: wall time [s], best / median of {r}")
    row = timing_table(r, width=66)

    _, med = row("XENON1T region, CL 0.68 + 0.9, dof 2, fresh detector", lambda: _fresh("xenon1t"))
    row(
        "XENON1T region, cached detector (fits + roots only)",
        lambda: detector_region("xenon1t", MASSES, "mu", cls=(0.68, 0.9), progress=False),
    )

    def limit_scan():
        scan_module.cached_detector.cache_clear()
        scan(["xenon1t"], MASSES, "mu", progress=False)

    row("XENON1T per-mass limit scan (for comparison), fresh detector", limit_scan)
    row("DARWIN card Asimov region, CL 0.9, fresh detector", lambda: _fresh("darwin", asimov=True))
    cmd = [
        *(os.path.join(os.path.dirname(sys.executable), "nugen"),),
        "region",
        "--detector",
        "xenon1t",
        "--masses",
        "0.01:3:40",
        "--log",
        "--flavour",
        "mu",
        "--cl",
        "0.68,0.9",
        "--json",
        "-q",
    ]
    row(
        "nugen region (fresh process, incl. start-up)",
        lambda: subprocess.run(cmd, check=True, capture_output=True),
    )
    verdict = "meets" if med <= TARGET_S else "MISSES"
    print(f"\nregion over 40 masses: median {med:.3f} s vs target {TARGET_S} s -> {verdict} the target")


if __name__ == "__main__":
    main()
