"""Benchmark (issue 3): binned dipole + SM xenon spectrum, 30 bins, all solar components, one M_N.

Target: <= 20 ms after warm-up on one core. Run: ``python benchmarks/bench_rates.py``.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from machine import best_and_median, machine_note

from nugen.model import DipolePortal
from nugen.rates import RateCalculator
from nugen.sources import get_source
from nugen.targets import get_target


def main():
    edges = np.linspace(1.0, 31.0, 31) * 1e-3  # 30 bins, MeV
    rc = RateCalculator(get_source("solar"), get_target("xenon"))
    print(machine_note())
    print(f"{'M_N [MeV]':>10} {'best [ms]':>10} {'median [ms]':>12}  (dipole templates + SM, 30 bins)")
    for mass in (0.0, 0.1, 0.3):
        model = DipolePortal(mass, 2e-11)

        def job(model=model):
            rc.dipole_counts(edges, model)
            rc.sm_counts(edges)

        job()  # warm-up: caches, lazy tables
        best, med = best_and_median(job, 20)
        print(f"{mass:>10.2f} {best * 1e3:>10.2f} {med * 1e3:>12.2f}")
    # Nothing cached: SM recomputed too (what the first call for a new binning costs).
    cold_model = DipolePortal(0.1, 2e-11)

    def cold(model=cold_model):
        rc._sm_cache.clear()
        rc.dipole_counts(edges, model)
        rc.sm_counts(edges)

    best, med = best_and_median(cold, 20)
    print(f"{'0.10 cold':>10} {best * 1e3:>10.2f} {med * 1e3:>12.2f}  (SM cache cleared each call)")
    # A new mass each call (as in a scan): the SM part is mass independent and typically cached by callers.
    masses = np.linspace(0.01, 0.5, 20)
    t0 = time.perf_counter()
    for m in masses:
        rc.dipole_binned_templates(edges, float(m))
    dt = (time.perf_counter() - t0) / masses.size
    print(f"dipole templates only, fresh mass each call: {dt * 1e3:.2f} ms per mass")


if __name__ == "__main__":
    main()
