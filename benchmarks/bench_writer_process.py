"""Benchmark (issue 18): where the ROOT writer runs — a forked process (nugen's default) or a thread.

:func:`nugen.io.write_events` overlaps sampling and writing. Where forking is safe (Linux, one Python
thread) it writes in a child process that reads each chunk from shared memory (:mod:`nugen.writer_process`:
one memcpy per chunk, no pickling, no GIL shared with the sampler); elsewhere (worker pools, dask, other
systems) in a writer thread. This script times both on the same events, interleaved, median of
``--repeat`` pairs, for the xenon solar job (writer-bound) and the CHARM-II glass job of the DarkNews
comparison (sampler-bound); the thread is forced by making :func:`nugen.writer_process.available` say no.

Run: ``python benchmarks/bench_writer_process.py [--repeat N] [--xenon-events N] [--glass-events N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
import uproot
from bench_generate import MU, glass_generator
from machine import machine_note, settle_disk

from nugen import writer_process
from nugen.generator import Generator
from nugen.io import write_events
from nugen.model import DipolePortal
from nugen.rates import RateCalculator
from nugen.sources import get_source
from nugen.targets import get_target


def write_in_child(gen: Generator, n_events: int, path: Path) -> None:
    """nugen's default here: the writer in a forked child (:mod:`nugen.writer_process`)."""
    assert writer_process.available(), "this process runs threads: the child writer is not used"
    write_events(path, (c for c, _ in gen.iter_chunks(n_events, seed=1)), {"bench": True}, overwrite=True)


def write_with_thread(gen: Generator, n_events: int, path: Path) -> None:
    """The fallback: the writer thread of :func:`nugen.io.write_events`."""
    with mock.patch.object(writer_process, "available", return_value=False):
        write_events(path, (c for c, _ in gen.iter_chunks(n_events, seed=1)), {"bench": True}, overwrite=True)


LAYOUTS = {"writer thread (fallback)": write_with_thread, "writer process (default)": write_in_child}


def compare(label: str, gen: Generator, n_events: int, repeat: int, folder: Path) -> None:
    times: dict[str, list[float]] = {key: [] for key in LAYOUTS}
    paths = {key: folder / f"layout{i}.root" for i, key in enumerate(LAYOUTS)}
    for _ in range(repeat):
        for key, fn in LAYOUTS.items():
            settle_disk(paths[key])
            t0 = time.perf_counter()
            fn(gen, n_events, paths[key])
            times[key].append(time.perf_counter() - t0)
    # memory-mapped reads: uproot's default source starts threads, after which nugen cannot fork its writer
    arrays = [
        uproot.open(p, handler=uproot.MemmapSource)["events"].arrays(library="np") for p in paths.values()
    ]
    same = all(np.array_equal(arrays[0][k], arrays[1][k], equal_nan=True) for k in arrays[0])
    print(f"\n{label}: {n_events} events, {len(arrays[0])} branches, same events: {same}")
    print(f"{'layout':<32} {'median [s]':>10} {'all [s]':>22} {'events/s':>10}")
    med = {}
    for key, ts in times.items():
        med[key] = float(np.median(ts))
        each = " ".join(f"{t:.2f}" for t in ts)
        print(f"{key:<32} {med[key]:>10.2f} {each:>22} {n_events / med[key]:>10.3g}")
    thread, child = med.values()
    print(f"process / thread (medians): {child / thread:.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="interleaved pairs (default 3)")
    ap.add_argument("--xenon-events", type=int, default=5_000_000)
    ap.add_argument("--glass-events", type=int, default=2_000_000)
    args, _ = ap.parse_known_args(argv)
    print(machine_note())
    sun, xenon = get_source("solar"), get_target("xenon")
    solar_gen = Generator(sun, xenon, DipolePortal(0.1, MU), rate_calculator=RateCalculator(sun, xenon))
    glass_gen = glass_generator()  # the job of bench_generate section 5
    jobs = (
        ("xenon solar, M_N = 0.1 MeV", solar_gen, args.xenon_events),
        ("CHARM-II glass, M_N = 100 MeV", glass_gen, args.glass_events),
    )
    with tempfile.TemporaryDirectory() as tmp:
        for label, gen, n in jobs:
            compare(label, gen, n, args.repeat, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
