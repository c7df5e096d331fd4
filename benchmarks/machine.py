"""Shared by the benchmarks: the machine description every one prints, and a repeat-and-time helper.

Importing this module also makes the benchmarks time nugen as it is installed: a ``pip install``
compiles every module's bytecode at install time, but a checkout run with ``PYTHONDONTWRITEBYTECODE=1``
(set on some CI machines and sandboxes, including the one of docs/benchmarks.md) recompiles nugen's
sources in every fresh process, ~0.15 s of a 0.75 s ``nugen generate`` there, while numpy, scipy and
uproot load their cached bytecode. The variable is removed for the benchmark's subprocesses and the
packages' bytecode is compiled once here (:func:`compile_bytecode`).
"""

from __future__ import annotations

import compileall
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: The project's packages, whose bytecode :func:`compile_bytecode` writes.
PACKAGES = ("nugen", "detectors", "fits")


def compile_bytecode() -> str:
    """Let Python cache bytecode and compile the project's packages; a note saying what was done."""
    was_set = os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None
    sys.dont_write_bytecode = False
    root = Path(__file__).resolve().parent.parent
    for pkg in PACKAGES:
        if (root / pkg).is_dir():
            compileall.compile_dir(root / pkg, quiet=1)
    return "bytecode cached" + (" (PYTHONDONTWRITEBYTECODE removed)" if was_set else "")


BYTECODE_NOTE = compile_bytecode()


def settle_disk(*paths: Path) -> None:
    """Remove ``paths`` (if present) and flush the kernel's dirty pages: a timed write starts clean.

    Call it before each timed write with that side's own previous output of the same size, so that
    every side of a comparison starts alike. On the machine of docs/benchmarks.md (a Firecracker VM)
    two things made a 0.9 GB write up to 2x slower at random:

    * the previous runs' write-back: five ``nugen generate`` runs in a row went from 2.5 s (0.7 s system
      time) to 4.7 s (2.7 s system time) once ~2.5 GB were dirty; after ``sync`` each took 2.65-2.80 s;
    * a page cache that has to grow: uproot alone wrote 5e6 events in 2.1 s into the pages of a file
      just deleted, 4.0-4.1 s into a new name with nothing deleted (nugen likewise: 4.5-4.7 s); fresh
      guest memory is slow to fault in on this VM.

    Neither is part of any timed interval. The first repeat of a comparison may still start cold;
    the benchmarks take the best of their repeats.
    """
    for path in paths:
        Path(path).unlink(missing_ok=True)
    os.sync()


def machine_note() -> str:
    """One line describing the machine the benchmark ran on."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}; {os.cpu_count()} cores; Python {platform.python_version()}; numpy {np.__version__}; "
        f"{platform.system()} {platform.release()}; {BYTECODE_NOTE}"
    )


def timings(fn: Callable[[int], object], repeat: int) -> np.ndarray:
    """Wall times [s] of ``fn(i)`` for ``i = 0 .. repeat-1`` (``perf_counter``)."""
    out = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t0)
    return np.array(out)


def best_and_median(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best and median wall time [s] of ``repeat`` calls of ``fn()``."""
    t = timings(lambda _: fn(), repeat)
    return float(t.min()), float(np.median(t))


def timing_table(repeat: int, width: int = 66) -> Callable[[str, Callable[[], object]], tuple[float, float]]:
    """Print the header of a best/median table and return ``row(label, fn)``, which times ``fn``
    ``repeat`` times, prints one line and returns ``(best, median)`` [s]."""
    print(f"{'case':<{width}} {'best':>7} {'median':>7}")

    def row(label: str, fn: Callable[[], object]) -> tuple[float, float]:
        best, med = best_and_median(fn, repeat)
        print(f"{label:<{width}} {best:>7.3f} {med:>7.3f}")
        return best, med

    return row
