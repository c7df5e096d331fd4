"""Shared by the benchmarks: the machine description every one prints, and a repeat-and-time helper."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable

import numpy as np


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
        f"{platform.system()} {platform.release()}"
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
