"""Benchmark (issue 15): accelerator limits — one limit at a new mass, and a 30-mass scan, per detector.

Targets: one accelerator limit at a new mass <= 1 s; a 30-mass scan <= 30 s on 2 cores. "New mass" means a
mass the detector has not seen (its per-mass kinematics and decay tables are rebuilt), after a warm-up at
another mass (imports, flux tables, the detector's own caches that do not depend on the mass). The scan is
``fits.scan.scan`` over 30 log-spaced masses across the detector's reach (:data:`CASES`), serial and with
2 worker processes (each worker builds its own detector, so that cost is included).

Run: ``python benchmarks/bench_accelerator.py [--repeat N] [--detectors charm2,nomad,...]`` (other options
of ``run_all.py`` are ignored).
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

#: detector -> (flavour, warm-up mass, new masses timed one by one, scan range [MeV]) — inside each reach.
CASES: dict[str, tuple[str, float, tuple[float, ...], tuple[float, float]]] = {
    "charm2": ("mu", 50.0, (3.3, 17.0, 42.0, 77.0, 123.0, 171.0, 233.0), (1.0, 300.0)),
    "nomad": ("mu", 50.0, (3.3, 17.0, 120.0, 450.0, 1300.0, 3100.0, 5200.0), (4.0, 6000.0)),
    "miniboone": ("mu", 50.0, (3.3, 17.0, 42.0, 120.0, 260.0, 450.0, 700.0), (1.0, 800.0)),
    "lsnd": ("e", 20.0, (1.3, 3.3, 8.0, 17.0, 29.0, 42.0, 50.0), (1.0, 52.0)),
}


def bench(name: str, repeat: int) -> None:
    """Print the single-limit times and the 30-mass scan times of detector ``name``."""
    flavour, warm, masses, (lo, hi) = CASES[name]
    det = get_detector(name)
    detector_limit(det, warm, flavour)  # warm-up at a mass not timed below
    times = []
    for m in masses:
        t = time.perf_counter()
        detector_limit(det, m, flavour)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    print(f"\n{name}, nu_{flavour}, default CL, one limit at a new mass [s] (M_N = {masses} MeV):")
    print("  " + "  ".join(f"{t:.2f}" for t in times) + f"   median {med:.2f} (target {TARGET_LIMIT_S})")
    grid = np.geomspace(lo, hi, 30)
    for workers in (1, 2):
        best = float("inf")
        for _ in range(repeat):
            scan_module.cached_detector.cache_clear()
            t = time.perf_counter()
            scan_module.scan([name], grid, flavour, workers=workers, progress=False)
            best = min(best, time.perf_counter() - t)
        verdict = "meets" if best <= TARGET_SCAN_S else "MISSES"
        print(
            f"30-mass scan {lo:g}-{hi:g} MeV, {workers} worker(s): {best:.1f} s "
            f"(target {TARGET_SCAN_S:g}): {verdict}"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=1, help="scans per case (default 1)")
    names = ",".join(CASES)
    ap.add_argument("--detectors", default=names, help=f"comma-separated subset of {names}")
    opts, _ = ap.parse_known_args()
    print(machine_note())
    print(f"(load {os.getloadavg()})")
    for name in opts.detectors.split(","):
        bench(name, opts.repeat)


if __name__ == "__main__":
    main()
