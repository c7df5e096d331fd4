"""Benchmark (issue 13): a 30-mass asymptotic sensitivity scan with bands for one card (DARWIN), one core.

Target: <= 2 s for ``fits.sensitivity.sensitivity_scan`` over 30 masses with bands (one core, after the
imports; the detector is built afresh each time, so its SM kernels and every signal template are
included). Also shown: the same masses as a plain limit scan (median only, ``fits.scan.scan``), the
scan with ``discovery=True``, 0.01-3 MeV (the range of the ``nugen scan`` examples), toy bands per
point, and ``nugen sensitivity`` as a fresh process.

Run: ``python benchmarks/bench_sensitivity.py [--repeat N]`` (other options of ``run_all.py`` are ignored).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from machine import machine_note, timing_table

from detectors import get_detector
from fits.limits import detector_limit
from fits.scan import cached_detector, scan
from fits.sensitivity import detector_sensitivity, sensitivity_scan

TARGET_S = 2.0
MASSES = np.geomspace(0.01, 0.4, 30)  # every one inside the DARWIN card's solar reach


def _fresh_scan(masses, **kw):
    det = get_detector("darwin")  # fresh: no cached kernels or templates
    return sensitivity_scan(det, masses, "mu", **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5, help="timings per case (default 5)")
    opts, _ = ap.parse_known_args()
    print(machine_note())
    print(f"(load {os.getloadavg()})")
    detector_limit(get_detector("darwin"), 0.0, "mu")  # warm-up: imports, data tables
    r = opts.repeat

    print(f"\nDARWIN, nu_mu, 90 % CL, one core: wall time [s], best / median of {r}")
    row = timing_table(r, width=62)

    _, med = row("sensitivity scan, 30 masses 0.01-0.4 MeV, asymptotic bands", lambda: _fresh_scan(MASSES))

    def limit_scan():
        cached_detector.cache_clear()  # a fresh detector, as in the sensitivity scans
        scan("darwin", MASSES, "mu")

    row("  limit scan (median only, fits.scan), same masses", limit_scan)
    row("  with discovery=True (median 3σ and 5σ reach)", lambda: _fresh_scan(MASSES, discovery=True))
    row(
        "  30 masses 0.01-3 MeV (log; the nugen scan example range)",
        lambda: _fresh_scan(np.geomspace(0.01, 3, 30)),
    )
    row("  3 exposures x 30 masses", lambda: _fresh_scan(MASSES, exposures=[20.0, 200.0, 2000.0]))
    print(f"target <= {TARGET_S:g} s: {'met' if med <= TARGET_S else 'NOT met'} (median {med:.3f} s)")

    det = get_detector("darwin")
    t0 = time.perf_counter()
    detector_sensitivity(det, 0.0, "mu", toys=200, seed=1)
    dt = time.perf_counter() - t0
    print(f"\ntoy bands at one mass: 200 toys {dt:.2f} s ({1e3 * dt / 200:.1f} ms per toy limit)")

    argv = [sys.executable, "-m", "nugen", "sensitivity", "--detector", "darwin", "--masses", "0.01:0.4:30"]
    argv += ["--log", "--flavour", "mu", "--json", "-q"]
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    best, median = min(times), float(np.median(times))
    print(f"nugen sensitivity (fresh process, 30 masses): best {best:.2f} s, median {median:.2f} s")


if __name__ == "__main__":
    main()
