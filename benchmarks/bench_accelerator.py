"""Benchmark (issue 15): accelerator limits — one CHARM-II limit at a new mass, and a 30-mass scan.

Targets: one accelerator limit at a new mass <= 1 s; a 30-mass scan <= 30 s on 2 cores. "New mass" means a
mass the detector has not seen (its per-mass kinematics and decay tables are rebuilt), after a warm-up at
another mass (imports, flux tables, the detector's own caches that do not depend on the mass). The scan is
``fits.scan.scan`` over 30 log-spaced masses from 1 to 300 MeV (CHARM-II's reach), serial and with
2 worker processes (each worker builds its own detector, so that cost is included).

Run: ``python benchmarks/bench_accelerator.py [--repeat N]`` (other options of ``run_all.py`` are ignored).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from machine import machine_note

from detectors import get_detector
from fits import scan as scan_module
from fits.limits import detector_limit

TARGET_LIMIT_S = 1.0
TARGET_SCAN_S = 30.0
MASSES = np.geomspace(1.0, 300.0, 30)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=1, help="scans per case (default 1)")
    opts, _ = ap.parse_known_args()
    print(machine_note())
    print(f"(load {os.getloadavg()})")
    det = get_detector("charm2")
    detector_limit(det, 50.0, "mu")  # warm-up at a mass not timed below
    times = []
    for m in (3.3, 17.0, 42.0, 77.0, 123.0, 171.0, 233.0):
        t = time.perf_counter()
        detector_limit(det, m, "mu")
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    print("\nCHARM-II, nu_mu, 90 % CL, one limit at a new mass [s]:")
    print("  " + "  ".join(f"{t:.2f}" for t in times) + f"   median {med:.2f} (target {TARGET_LIMIT_S})")
    for workers in (1, 2):
        best = float("inf")
        for _ in range(opts.repeat):
            scan_module.cached_detector.cache_clear()
            t = time.perf_counter()
            scan_module.scan(["charm2"], MASSES, "mu", workers=workers, progress=False)
            best = min(best, time.perf_counter() - t)
        verdict = "meets" if best <= TARGET_SCAN_S else "MISSES"
        print(
            f"30-mass scan 1-300 MeV, {workers} worker(s): {best:.1f} s (target {TARGET_SCAN_S:g}): {verdict}"
        )


if __name__ == "__main__":
    main()
