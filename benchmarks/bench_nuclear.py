"""Benchmark (issue 14): one nuclear-recoil limit at a new M_N with XENON's binwise likelihood.

Target: <= 100 ms for ``detector_limit(xenon1t_nr, M, "mu")`` at a mass not seen before (the coherent dipole
template in true energy, its fold with the migration matrix, and the limit), after the warm-up (imports, the
likelihood data, the SM tables). Also: a cached mass, and the XENONnT projection's median over 1000 toys.
Needs ``pip install 'nugen[nr]'``.

Run: ``python benchmarks/bench_nuclear.py [--repeat N]`` (other options of ``run_all.py`` are ignored).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from machine import machine_note

TARGET_MS = 100.0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=10, help="masses timed (default 10)")
    opts, _ = ap.parse_known_args()
    print(machine_note())
    print(f"(load {os.getloadavg()})")
    try:
        from detectors import get_detector
        from fits.limits import detector_limit

        det = get_detector("xenon1t_nr")
        detector_limit(det, 0.0, "mu")  # warm-up
    except Exception as exc:  # xe-likelihood missing
        print(f"skipped: {exc}")
        return
    masses = np.linspace(0.3, 12.0, opts.repeat)
    new = []
    for m in masses:
        t0 = time.perf_counter()
        detector_limit(det, float(m), "mu")
        new.append(time.perf_counter() - t0)
    again = []
    for m in masses:
        t0 = time.perf_counter()
        detector_limit(det, float(m), "mu")
        again.append(time.perf_counter() - t0)
    new_ms, again_ms = 1e3 * np.array(new), 1e3 * np.array(again)
    print(f"\nxenon1t_nr, nu_mu, 90 % CL, one core, {masses.size} masses 0.3-12 MeV: wall time [ms]")
    print(f"  new mass (template + fold + limit): best {new_ms.min():.1f}, median {np.median(new_ms):.1f}")
    print(f"  same masses again (cached): best {again_ms.min():.1f}, median {np.median(again_ms):.1f}")
    med = float(np.median(new_ms))
    print(f"target <= {TARGET_MS:g} ms per new mass: {'met' if med <= TARGET_MS else 'NOT met'}")
    nt = get_detector("xenonnt_nr")
    t0 = time.perf_counter()
    detector_limit(nt, 0.0, "mu")
    print(f"\nxenonnt_nr median of 1000 toy limits at one mass: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
