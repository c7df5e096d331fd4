"""Benchmarks (issue 6): one limit at one M_N, a 50-mass scan serial vs 2 workers, `nugen limit` start-up.

Targets: one limit <= 20 ms after warm-up; ``nugen scan`` over 50 masses for xenon1t + borexino + darwin
<= 20 s wall on 2 cores and, with ``--workers 2``, within 1.2x of (serial time / 2); ``nugen limit`` as a
fresh process <= 2 s. Detectors that are not available are skipped (and said so).

Run: ``python benchmarks/bench_fits.py [--repeat N] [--pairs N] [--skip-scan]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
# time the commands as an installed package runs them, from compiled bytecode: a shell that sets
# PYTHONDONTWRITEBYTECODE would make every fresh process compile nugen's modules again (~50 ms)
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from machine import best_and_median, machine_note

from detectors import get_detector
from fits.likelihood import BinnedLikelihood
from fits.limits import detector_limit, likelihood_limit

DETECTORS = ("xenon1t", "borexino", "darwin")
NUGEN = [sys.executable, "-m", "nugen"]


def available() -> list[str]:
    out = []
    for name in DETECTORS:
        try:
            get_detector(name)
        except Exception as exc:  # not written yet, or broken: say so and go on
            print(f"  ({name}: not available: {type(exc).__name__}: {exc})")
        else:
            out.append(name)
    return out


def bench_one_limit(names, repeat):
    print("\none limit at one M_N after warm-up [ms] (best / median)")
    print(f"{'detector':>10} {'bins':>5} {'nuis':>5} {'fit only':>16} {'new mass (templates + fit)':>28}")
    for name in names:
        det = get_detector(name)
        detector_limit(det, 0.0)  # warm-up: imports, data tables, SM kernels
        base = BinnedLikelihood.from_detector(det, 0.0)

        def fit_only(base=base):
            likelihood_limit(base.with_data(base.data, base.centres), 0.9)

        masses = iter(np.geomspace(0.01, 0.3, 10 * repeat))

        def new_mass(det=det, masses=masses):
            detector_limit(det, float(next(masses)))

        b1, m1 = best_and_median(fit_only, repeat)
        b2, m2 = best_and_median(new_mass, repeat)
        print(
            f"{name:>10} {base.data.size:>5} {len(base.components):>5} {b1 * 1e3:>7.1f} / {m1 * 1e3:>6.1f} "
            f"{b2 * 1e3:>17.1f} / {m2 * 1e3:>6.1f}"
        )


def run(argv, cpu: bool = False):
    """Wall time [s] of a command (and, with ``cpu``, the CPU time of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {proc.stderr.strip()}")
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (dt, used) if cpu else dt


def _spin(n: int) -> int:
    s = 0
    for i in range(n):
        s += i * i
    return s


def free_cores() -> float:
    """Speed-up of a pure-Python loop on 2 processes: ~2 if two cores are free, ~1 on a busy machine."""
    from concurrent.futures import ProcessPoolExecutor

    n = 2_000_000
    t0 = time.perf_counter()
    for _ in range(4):
        _spin(n)
    serial = time.perf_counter() - t0
    with ProcessPoolExecutor(2) as ex:
        list(ex.map(_spin, [1, 1]))
        t0 = time.perf_counter()
        list(ex.map(_spin, [n] * 4))
        parallel = time.perf_counter() - t0
    return serial / parallel


def _spread(values) -> str:
    return f"{np.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


def bench_scan(names, pairs):
    print(
        f"\nnugen scan --masses 0.01:3:50 --log --flavour mu (all available detectors): {pairs} interleaved "
        "pairs (serial, --workers 2), wall [s], median [min-max]"
    )

    def scan_args(masses):
        flags = ["--log", "--flavour", "mu", "--json", "-q"]
        return [*NUGEN, "scan", "--detector", ",".join(names), "--masses", masses, *flags]

    args = scan_args("0.01:3:50")
    serial, parallel, ratios, cpu_s, cpu_p = [], [], [], [], []
    for _ in range(pairs):  # interleaved: the shared machine's speed drifts by +-20 % within minutes
        s, cs = run(args, cpu=True)
        p, cp = run([*args, "--workers", "2"], cpu=True)
        serial.append(s)
        parallel.append(p)
        ratios.append(p / (s / 2))
        cpu_s.append(cs)
        cpu_p.append(cp)
    fixed = [run(scan_args("0.01:0.01:1")) for _ in range(pairs)]
    print(f"  serial {_spread(serial)}; --workers 2 {_spread(parallel)}")
    print(
        f"  ratio to serial/2, per pair: {' '.join(f'{r:.2f}' for r in ratios)}; "
        f"**median {np.median(ratios):.2f}**"
    )
    # on two free cores the fixed part f (start-up, imports, first use of the detectors) stays serial and
    # the rest P splits in two: at best (f + P/2) / ((f + P)/2) = (2f + P)/(f + P)
    f, total = float(np.median(fixed)), float(np.median(serial))
    work = total - f
    print(
        f"  fixed part (a one-mass scan) {_spread(fixed)} s; Amdahl bound from the medians "
        f"(2f + P)/(f + P) = {(2 * f + work) / (f + work):.2f}; CPU of all processes, parallel/serial "
        f"{np.median(cpu_p) / np.median(cpu_s):.2f}"
    )
    bench_executor(names, pairs)


def bench_executor(names, pairs):
    """The executor alone: fits.scan.scan in this process with warm detectors, serial vs 2 workers."""
    from fits.scan import mass_grid, scan, start_method

    for name in names:
        detector_limit(get_detector(name), 0.005, "mu")
    masses = mass_grid(0.01, 3, 50, log=True)
    ratios = []
    for _ in range(pairs):
        t0 = time.perf_counter()
        scan(names, masses, "mu", progress=False)
        serial = time.perf_counter() - t0
        t0 = time.perf_counter()
        scan(names, masses, "mu", progress=False, workers=2)
        ratios.append((time.perf_counter() - t0) / (serial / 2))
    print(
        f"  executor alone (in-process, warm detectors, start method {start_method() or 'default'}): "
        f"--workers 2 / (serial/2) per pair {' '.join(f'{r:.2f}' for r in ratios)}, "
        f"median {np.median(ratios):.2f}"
    )


def bench_startup(names, repeat):
    name = names[0] if names else "xenon1t"
    print(f"\nnugen limit --detector {name} --json as a fresh process, wall [s]")
    times = [run([*NUGEN, "limit", "--detector", name, "--json"]) for _ in range(repeat)]
    print(f"  best {min(times):.2f} s, median {np.median(times):.2f} s over {repeat}")


def compile_sources() -> None:
    """Write the bytecode of nugen, detectors and fits (what ``pip install`` does for a regular install)."""
    import compileall

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for package in ("nugen", "detectors", "fits"):
        compileall.compile_dir(os.path.join(root, package), quiet=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=10, help="timings per single-limit case (default 10)")
    ap.add_argument("--skip-scan", action="store_true", help="only the single-limit and start-up parts")
    ap.add_argument("--pairs", type=int, default=7, help="interleaved serial/parallel scan pairs (default 7)")
    opts = ap.parse_args()
    print(machine_note())
    # the machine's state: its speed drifts by up to 2x, so every number below belongs to this line
    print(f"(2-process speed-up of a pure-Python loop right now: {free_cores():.2f}; load {os.getloadavg()})")
    compile_sources()
    names = available()
    bench_one_limit(names, opts.repeat)
    if not opts.skip_scan:
        bench_scan(names, opts.pairs)
    bench_startup(names, 5)


if __name__ == "__main__":
    main()
