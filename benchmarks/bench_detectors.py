"""Benchmark (issue 5): ``Detector.expected_counts`` for one M_N, for each detector, after warm-up.

Target: <= 30 ms on one core. Two cases per detector:

* **same M_N** (a fit at fixed mass; kernel, SM counts and signal templates cached after the first call);
* **new M_N every call** (what a mass scan pays: the response kernel and the dipole templates are
  recomputed; the SM counts and the backgrounds stay cached).

Run: ``python benchmarks/bench_detectors.py``.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from machine import machine_note, timings

from detectors import get_detector
from nugen.model import DipolePortal

DETECTORS = ("xenon1t", "borexino", "darwin")
#: A new mass for every timed call of the scan case [MeV].
MASSES = np.linspace(0.011, 0.4, 40)


def main():
    print(machine_note())
    print(f"{'detector':>10} {'bins':>5} {'case':>14} {'best [ms]':>10} {'median [ms]':>12}")
    for name in DETECTORS:
        det = get_detector(name)
        nb = det.analysis_edges_MeV().size - 1
        det.expected_counts(DipolePortal(0.0, 2e-11))  # warm-up: tables, rates, SM, backgrounds
        t_same = timings(lambda _i, det=det: det.expected_counts(DipolePortal(0.1, 2e-11)), 30)
        t_new = timings(lambda i, det=det: det.expected_counts(DipolePortal(float(MASSES[i]), 2e-11)), 40)
        for case, t in (("same M_N", t_same), ("new M_N", t_new)):
            print(f"{name:>10} {nb:>5} {case:>14} {t.min() * 1e3:>10.2f} {np.median(t) * 1e3:>12.2f}")


if __name__ == "__main__":
    main()
