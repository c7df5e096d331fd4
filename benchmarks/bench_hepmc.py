"""Benchmark: writing the same events as HepMC3 text (``nugen.hepmc``) and as a ROOT TTree (``nugen.io``).

Both writers get identical in-memory chunks (xenon, solar, M_N = 0.1 MeV so that every dipole event
carries an N decay, and an SM-only sample without decays), so the ratio measures the writers alone, in
one run. HepMC3 has to build one ``GenEvent`` object per event in pyhepmc; ROOT writes columns. The
metadata are the generator's (``Generator.describe``), so the HepMC3 files are declared NuHepMC 1.0.0
(per-event ``signal_process_id`` and ``lab_pos`` included).

Run: ``python benchmarks/bench_hepmc.py [--events N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))

from machine import machine_note

from nugen.generator import Generator
from nugen.io import write_events
from nugen.model import DipolePortal
from nugen.sources import get_source
from nugen.targets import get_target


def timed_write(writer, path: Path, chunks: list[dict], meta: dict) -> tuple[float, dict]:
    """Seconds to write ``chunks`` (best of 2), and the writer's summary."""
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        summary = writer(path, iter(chunks), meta, overwrite=True)
        best = min(best, time.perf_counter() - t0)
    return best, summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000, help="events per sample")
    args, _ = ap.parse_known_args(argv)  # run_all.py passes every script the same arguments
    try:
        import pyhepmc  # noqa: F401

        from nugen.hepmc import write_hepmc
    except ImportError:
        print("pyhepmc is not installed (pip install 'nugen[hepmc]'); skipped")
        return 0
    print(machine_note())
    sun, xenon = get_source("solar"), get_target("xenon")
    samples = {
        "dipole, M_N = 0.1 MeV (every event has an N decay)": Generator(sun, xenon, DipolePortal(0.1, 2e-11)),
        "SM nu e (no decays)": Generator(sun, xenon, DipolePortal(0.0, 2e-11), process="sm"),
    }
    print(f"\n{args.events} events per sample, write only, best of 2 [events/s]")
    print(f"{'sample':>52} {'HepMC3':>10} {'ROOT':>11} {'ROOT/HepMC3':>12} {'HepMC3 bytes/event':>19}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for label, gen in samples.items():
            chunks = [c for c, _ in gen.iter_chunks(args.events, seed=1)]
            meta = {"bench": True, **gen.describe()}
            t_h, summary = timed_write(write_hepmc, folder / "x.hepmc3", chunks, meta)
            assert summary["nuhepmc"] == "1.0.0", "the benchmark should time NuHepMC files"
            t_r, _ = timed_write(write_events, folder / "x.root", chunks, meta)
            size = (folder / "x.hepmc3").stat().st_size / args.events
            print(
                f"{label:>52} {args.events / t_h:>10.3g} {args.events / t_r:>11.3g} {t_h / t_r:>12.0f} "
                f"{size:>19.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
