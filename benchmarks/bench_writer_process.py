"""Benchmark (issue 18): where the ROOT writer runs — a thread (nugen today) or a forked process.

``nugen.io.write_events`` overlaps sampling and writing with a writer *thread*; both share one GIL.
This script measures the alternative layout: the sampler in the parent, uproot in a forked child that
reads each chunk from one of three shared-memory slots (one memcpy per chunk, no pickling; the child
writes exactly the arrays the thread would). Same events, same compression (zstd:1), interleaved,
median of ``--repeat`` pairs, for the xenon solar job (writer-bound) and the CHARM-II glass job of the
DarkNews comparison (sampler-bound). A measurement of a design, not nugen's code path: a shipped
version would also need the child to die with its parent (``PR_SET_PDEATHSIG``: it inherits the
``flock`` of the temporary file, see nugen.outputs), to ignore SIGINT, to report its errors, and the
thread as the fallback where ``fork`` is not safe (threads running, dask, not Linux).

Run: ``python benchmarks/bench_writer_process.py [--repeat N] [--xenon-events N] [--glass-events N]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from multiprocessing import shared_memory
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
import uproot
from machine import machine_note

from nugen.generator import CHUNK_SIZE, Generator
from nugen.io import DEFAULT_COMPRESSION, parse_compression, write_events
from nugen.model import DipolePortal
from nugen.rates import RateCalculator
from nugen.sources import get_source
from nugen.targets import get_target

SLOTS = 3


def _views(buf, layout) -> dict[str, np.ndarray]:
    out, off = {}, 0
    for k, d in layout:
        out[k] = np.ndarray((CHUNK_SIZE,), dtype=d, buffer=buf, offset=off)
        off += d.itemsize * CHUNK_SIZE
    return out


def _child_writer(names, layout, filled, free, path) -> None:
    shms = [shared_memory.SharedMemory(name=n) for n in names]
    slots = [_views(s.buf, layout) for s in shms]
    with uproot.recreate(path, compression=parse_compression(DEFAULT_COMPRESSION)) as fh:
        tree = fh.mktree("events", dict(layout))
        while (item := filled.get()) is not None:
            i, n = item
            tree.extend({k: v[:n] for k, v in slots[i].items()})
            free.put(i)
    for s in shms:
        s.close()


def write_in_child(gen: Generator, n_events: int, path: Path) -> None:
    """Sample here, write in a forked child through shared-memory slots."""
    first = next(iter(gen.iter_chunks(10, seed=0)))[0]
    layout = [(k, v.dtype) for k, v in first.items()]
    size = sum(d.itemsize for _, d in layout) * CHUNK_SIZE
    ctx = mp.get_context("fork")
    shms = [shared_memory.SharedMemory(create=True, size=size) for _ in range(SLOTS)]
    try:
        slots = [_views(s.buf, layout) for s in shms]
        filled, free = ctx.Queue(), ctx.Queue()
        for i in range(SLOTS):
            free.put(i)
        child = ctx.Process(target=_child_writer, args=([s.name for s in shms], layout, filled, free, path))
        child.start()
        for cols, _ in gen.iter_chunks(n_events, seed=1):
            i, n = free.get(), len(cols["weight"])
            for k, v in cols.items():
                slots[i][k][:n] = v
            filled.put((i, n))
        filled.put(None)
        child.join()
    finally:
        for s in shms:
            s.close()
            s.unlink()


def write_with_thread(gen: Generator, n_events: int, path: Path) -> None:
    """nugen's layout: :func:`nugen.io.write_events` (writer thread)."""
    write_events(path, (c for c, _ in gen.iter_chunks(n_events, seed=1)), {"bench": True}, overwrite=True)


LAYOUTS = {"writer thread (nugen)": write_with_thread, "writer process (shared memory)": write_in_child}


def compare(label: str, gen: Generator, n_events: int, repeat: int, folder: Path) -> None:
    times: dict[str, list[float]] = {key: [] for key in LAYOUTS}
    paths = {key: folder / f"layout{i}.root" for i, key in enumerate(LAYOUTS)}
    for _ in range(repeat):
        for key, fn in LAYOUTS.items():
            t0 = time.perf_counter()
            fn(gen, n_events, paths[key])
            times[key].append(time.perf_counter() - t0)
    arrays = [uproot.open(p)["events"].arrays(library="np") for p in paths.values()]
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
    beam, glass = get_source("charm2"), get_target("glass")
    solar_gen = Generator(sun, xenon, DipolePortal(0.1, 2e-11), rate_calculator=RateCalculator(sun, xenon))
    glass_gen = Generator(beam, glass, DipolePortal(100.0, 3e-9, flavour="mu"), scatterer="nucleus",
                          rate_calculator=RateCalculator(beam, glass))  # fmt: skip
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
