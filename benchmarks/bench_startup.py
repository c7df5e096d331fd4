"""Benchmark (issue 18, item 5): start-up of a fresh ``nugen`` process against a bare numpy/scipy import.

Guard: a fresh ``nugen limit --detector xenon1t --json`` (whole process: start-up, parsing, the detector,
the fit) stays <= 2x a bare ``python -c "import numpy, scipy.special"`` while the command line gains
commands. Also shown: ``nugen --help`` and ``nugen limit --help`` (parser only: every command's options,
including the commands other layers contribute through entry points), and a 1-event ``nugen generate``
(the fixed cost of every sample: imports, the generator's tables, opening and closing the ROOT file).
The cases run interleaved, one after the other in each round, so that a busy machine slows them alike;
best and median of N rounds.

Run: ``python benchmarks/bench_startup.py [--repeat N]`` (other options of ``run_all.py`` are ignored).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

from machine import machine_note

TARGET_RATIO = 2.0
NUGEN = [sys.executable, "-m", "nugen"]
ONE_EVENT = ["--events", "1", "--seed", "1", "-q", "--overwrite", "-o",
             os.path.join(tempfile.gettempdir(), "nugen_bench_startup.root")]  # fmt: skip
CASES = {
    "bare: python -c 'import numpy, scipy.special'": [sys.executable, "-c", "import numpy, scipy.special"],
    "nugen --help": [*NUGEN, "--help"],
    "nugen limit --help": [*NUGEN, "limit", "--help"],
    "nugen limit --detector xenon1t --json": [*NUGEN, "limit", "--detector", "xenon1t", "--json"],
    # the fixed cost of every sample (issue 18's write floor is measured on whole generate processes)
    "nugen generate --target xenon --events 1": [*NUGEN, "generate", "--target", "xenon", *ONE_EVENT],
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7, help="rounds (default 7)")
    opts, _ = ap.parse_known_args()
    print(machine_note())
    print(f"(load {os.getloadavg()})")
    times = {k: [] for k in CASES}
    for cmd in CASES.values():  # warm the file-system cache and the .pyc files
        subprocess.run(cmd, check=True, capture_output=True)
    for _ in range(opts.repeat):
        for label, cmd in CASES.items():
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times[label].append(time.perf_counter() - t)
    print(f"\nfresh processes, wall time [s], best / median of {opts.repeat} interleaved rounds")
    print(f"{'case':<48} {'best':>6} {'median':>7}")
    for label, ts in times.items():
        print(f"{label:<48} {min(ts):>6.3f} {statistics.median(ts):>7.3f}")
    bare = statistics.median(times[next(iter(CASES))])
    limit = statistics.median(times["nugen limit --detector xenon1t --json"])
    verdict = "meets" if limit / bare <= TARGET_RATIO else "MISSES"
    print(f"\nnugen limit / bare import (medians): {limit / bare:.2f} (guard <= {TARGET_RATIO}): {verdict}")


if __name__ == "__main__":
    main()
