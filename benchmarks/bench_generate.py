"""Benchmark (issue 4): event generation speed, ROOT write, memory; DarkNews side by side if available.

Measures, in one run on one machine:

1. generation without writing (``Generator.iter_chunks``, full kinematics and decays, one process) for
   the xenon dipole sample (solar neutrinos, electron recoils 1-30 keV) at M_N = 0, 0.1, 0.3 MeV;
   target >= 1e6 events/s per core;
2. end-to-end generation + ROOT write (``nugen.io.write_events``, default compression) against the
   "write floor": uproot alone writing the same branches, same compression, from chunks already in
   memory; target end-to-end >= 0.5 x floor (both as events/s);
2b. (issue 18) the whole ``nugen generate`` process (wall time of the subprocess, start-up included)
   against uproot alone writing the same arrays (read back from nugen's file, same 65 536-event
   chunks, branches and compression), interleaved in one run, best of ``--repeat``; target >= 0.8;
3. the same through the command line (``nugen generate``, one and two workers, includes start-up);
4. peak resident memory (``ru_maxrss`` of a fresh process running ``nugen generate``) for 1e6 and 1e7
   events: streaming keeps it flat; target <= 600 MB;
5. optionally (issue 18) DarkNews 0.4.8 side by side (a separate virtual environment, ``--darknews
   PYTHON``; nugen never imports it) on the closest job: nu_mu coherent up-scattering on Si/O (the
   CHARM-II glass; DarkNews: Si28 + O16 by SiO2 mass fractions) through a transition magnetic moment
   at M_N = 100 MeV, mu = 3e-9 mu_B, Dirac N, N -> nu gamma, the same CHARM-II flux table. Both are
   timed as whole processes (wall time of the subprocess, interpreter start-up included):
   DarkNews' ``GenLauncher(...).run()`` (vegas warm-up, integration, weighted events; no output
   file), and ``nugen generate --target glass --recoil nuclear`` with the same number of events
   (unweighted, N decays, ROOT file written). The two alternate (DarkNews, nugen, DarkNews, ...)
   ``--darknews-repeat`` times in one run; best and median are printed, and DarkNews' own time of
   ``run()`` alone as well. Target >= 100x.
5b. always: the nugen side of that job, split into its fixed cost (a 1-event whole process) and its
   marginal rates in one process: generation alone, generation + ROOT write, and uproot alone writing
   the same arrays (the floor), for min(--events, 2e6) events.

Run: ``python benchmarks/bench_generate.py [--events N] [--memory-events N] [--darknews PYTHON]``
(e.g. ``--darknews /tmp/dnvenv/bin/python`` after ``pip install DarkNews==0.4.8`` into /tmp/dnvenv).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
import uproot
from machine import machine_note, settle_disk

from nugen.generator import CHUNK_SIZE, Generator
from nugen.io import DEFAULT_COMPRESSION, parse_compression, write_events
from nugen.model import DipolePortal
from nugen.rates import RateCalculator
from nugen.sources import get_source
from nugen.targets import get_target

MU = 2e-11


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def generation_rate(gen: Generator, n: int, repeat: int = 3) -> float:
    """Best events/s over ``repeat`` runs of generating n events (no write)."""
    best = np.inf
    for r in range(repeat):
        t0 = time.perf_counter()
        for _ in gen.iter_chunks(n, seed=r):
            pass
        best = min(best, time.perf_counter() - t0)
    return n / best


def end_to_end_and_floor(gen: Generator, n: int, folder: Path) -> tuple[float, float, float]:
    """(end-to-end events/s, write-floor events/s, bytes per event) with the default compression."""
    path = folder / "e2e.root"
    settle_disk(path)
    t0 = time.perf_counter()
    write_events(path, (c for c, _ in gen.iter_chunks(n, seed=1)), {"bench": True}, overwrite=True)
    t_e2e = time.perf_counter() - t0
    size = path.stat().st_size
    pieces = [c for c, _ in gen.iter_chunks(n, seed=1)]  # the same branches, in memory
    columns = {k: np.concatenate([c[k] for c in pieces]) for k in pieces[0]}
    chunks = chunk_views(columns, CHUNK_SIZE)  # the chunks iter_chunks made
    del pieces
    comp = parse_compression(DEFAULT_COMPRESSION)
    t_floor = write_floor(folder / "floor.root", chunks, comp)
    del chunks, columns
    return n / t_e2e, n / t_floor, size / n


def chunk_views(columns: dict, size: int) -> list[dict]:
    """Chunks of ``size`` events as views of one array per branch: the floor's input, held in memory.

    Thousands of separately allocated chunk arrays (1.2 GB for 5e6 xenon events) made uproot's own
    temporary allocations fault in fresh pages: its writing was up to 2x slower (0.88 s instead of
    0.44 s for the same 1.3e6 events, docs/benchmarks.md), a cost of the benchmark, not of uproot.
    """
    n = len(next(iter(columns.values())))
    return [{k: v[i : i + size] for k, v in columns.items()} for i in range(0, n, size)]


def write_floor(path: Path, chunks: list, compression) -> float:
    """Seconds uproot alone takes to write ``chunks`` (dicts of arrays) as the TTree ``events``: the floor."""
    settle_disk(path)
    t0 = time.perf_counter()
    with uproot.recreate(path, compression=compression) as fh:
        tree = fh.mktree("events", {k: v.dtype for k, v in chunks[0].items()})
        for c in chunks:
            tree.extend(c)
    return time.perf_counter() - t0


def whole_process_vs_floor(n: int, workers: int, folder: Path, repeat: int) -> tuple[np.ndarray, np.ndarray]:
    """Wall times [s] of ``repeat`` whole ``nugen generate`` processes, and of uproot alone writing the
    same arrays after each (the floor); one untimed warm-up of each side first."""
    out = folder / "whole.root"
    argv = [sys.executable, "-m", "nugen", "generate", "--target", "xenon", "--source", "solar", "--mass",
            "0.1", "--mu", str(MU), "--events", str(n), "--seed", "1", "--workers", str(workers), "-q",
            "--overwrite", "-o", str(out)]  # fmt: skip
    t_cli, t_floor = [], []
    comp = parse_compression(DEFAULT_COMPRESSION)
    # one untimed warm-up of each side: every timed write then finds its own previous output to delete
    subprocess.run(argv, check=True)
    with uproot.open(out, handler=uproot.MemmapSource) as fh:  # no fsspec threads: see nugen.io._open
        columns = fh["events"].arrays(library="np")
    chunks = chunk_views(columns, CHUNK_SIZE)
    write_floor(folder / "floor2.root", chunks, comp)
    for _ in range(repeat):
        settle_disk(out)  # each side deletes its own previous output (see settle_disk): the same start
        t0 = time.perf_counter()
        subprocess.run(argv, check=True)
        t_cli.append(time.perf_counter() - t0)
        t_floor.append(write_floor(folder / "floor2.root", chunks, comp))
    return np.array(t_cli), np.array(t_floor)


def cli_run(n: int, workers: int, folder: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of ``nugen generate`` in a fresh process."""
    code = textwrap.dedent(
        f"""
        import resource, sys, time
        t0 = time.perf_counter()
        from nugen.cli import main
        rc = main(["generate", "--target", "xenon", "--source", "solar", "--mass", "0.1", "--mu", "{MU}",
                   "--events", "{n}", "--seed", "1", "--workers", "{workers}", "-q", "--overwrite",
                   "-o", "{folder / "cli.root"}"])
        dt = time.perf_counter() - t0
        # VmHWM: this process's own peak (ru_maxrss would carry the benchmark's peak across fork+exec)
        hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")]
        peak = float(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rss = peak / 1024.0
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
        print(rc, dt, rss, kids)
        """
    )
    settle_disk(folder / "cli.root")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rc, dt, rss, kids = out.stdout.split()
    if int(rc) != 0:
        raise RuntimeError(out.stderr)
    return float(dt), max(float(rss), float(kids))


DARKNEWS_JOB = textwrap.dedent(
    """\
    import json, logging, sys, time
    logging.disable(logging.CRITICAL)
    import DarkNews
    from DarkNews.GenLauncher import GenLauncher
    exp, out = sys.argv[1], sys.argv[6]
    neval, nint, mu, m4 = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    gen = GenLauncher(mu_tr_mu4=mu, m4=m4, HNLtype="dirac", decay_product="photon", experiment=exp,
                      nopelastic=True, neval=neval, nint=nint, neval_warmup=max(neval // 10, 1000),
                      nint_warmup=5, seed=1, loglevel="ERROR", path=out, pandas=False)
    t0 = time.perf_counter()
    df = gen.run(loglevel="ERROR")
    dt = time.perf_counter() - t0
    w = df["w_event_rate"]
    ess = float(w.sum()) ** 2 / float((w * w).sum())  # Kish's effective number of weighted events
    print(json.dumps({"version": DarkNews.__version__, "events": int(len(df)), "run_seconds": dt,
                      "effective_events": ess}))
    """
)


def darknews_once(python: str, experiment: Path, neval: int, folder: Path) -> dict:
    """One DarkNews process on the Si/O job: events, its wall time [s] and the time of ``run()`` [s]."""
    from bench_charm2 import M_N_MEV, MU_B_PER_GEV, MU_MUB

    argv = [python, "-c", DARKNEWS_JOB, str(experiment), str(neval), "10", str(MU_MUB * MU_B_PER_GEV),
            str(M_N_MEV / 1000.0), str(folder / "dn_out")]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=3600, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"DarkNews exit {proc.returncode}: {tail}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    return out


def nugen_glass_once(n: int, folder: Path) -> float:
    """Wall time [s] of a whole ``nugen generate`` process on the Si/O job, ROOT file written."""
    from bench_charm2 import M_N_MEV, MU_MUB

    argv = [sys.executable, "-m", "nugen", "generate", "--target", "glass", "--source", "charm2",
            "--recoil", "nuclear", "--mass", f"{M_N_MEV:g}", "--mu", f"{MU_MUB:g}", "--flavour", "mu",
            "--events", str(n), "--seed", "1", "-q", "--overwrite",
            "-o", str(folder / "glass.root")]  # fmt: skip
    settle_disk(folder / "glass.root")
    t0 = time.perf_counter()
    subprocess.run(argv, check=True)
    return time.perf_counter() - t0


def darknews_side_by_side(python: str, neval: int, repeat: int, folder: Path) -> dict | None:
    """Interleaved DarkNews / nugen whole processes on the Si/O job, the same number of events."""
    from bench_charm2 import DN_EXPERIMENT

    experiment = folder / "charm2_glass.txt"
    # the normalisation (mass, POT) does not change the number or the cost of the events
    experiment.write_text(DN_EXPERIMENT.format(mass=690.0, pot=8.26e18), encoding="utf-8")
    dn, ours = [], []
    try:
        for _ in range(repeat):
            dn.append(darknews_once(python, experiment, neval, folder))
            ours.append(nugen_glass_once(dn[0]["events"], folder))
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        print(f"DarkNews side by side failed: {exc}", file=sys.stderr)
        return None
    return {
        "version": dn[0]["version"],
        "events": dn[0]["events"],
        "effective_events": dn[0]["effective_events"],
        "same_events": all(d["events"] == dn[0]["events"] for d in dn),
        "dn_wall": np.array([d["wall"] for d in dn]),
        "dn_run": np.array([d["run_seconds"] for d in dn]),
        "nugen_wall": np.array(ours),
    }


def glass_generator() -> Generator:
    """The nugen side of section 5's job: nu_mu coherent up-scattering on the CHARM-II glass."""
    from bench_charm2 import M_N_MEV, MU_MUB

    beam, glass = get_source("charm2"), get_target("glass")
    model = DipolePortal(M_N_MEV, MU_MUB, flavour="mu")
    return Generator(beam, glass, model, scatterer="nucleus", rate_calculator=RateCalculator(beam, glass))


def glass_breakdown(n: int, folder: Path, dn_rate: float | None) -> None:
    """Section 5b: fixed cost and marginal rates of the nugen side of section 5 (the Si/O job).

    ``dn_rate``: DarkNews' events/s of section 5 (median whole process), if it ran.
    """
    fixed = min(nugen_glass_once(1, folder) for _ in range(3))
    gen = glass_generator()
    rate = generation_rate(gen, n, repeat=2)
    e2e, floor, bpe = end_to_end_and_floor(gen, n, folder)
    print(f"\n5b. the nugen side of section 5 ({n} events in one process; {bpe:.0f} bytes/event on disk)")
    print(f"   1-event whole process (fixed cost, best of 3): {fixed:.2f} s")
    heads = ("generation only [ev/s]", "generation + write [ev/s]", "write floor [ev/s]")
    print(f"{'':>3}{heads[0]:>23} {heads[1]:>26} {heads[2]:>19}")
    print(f"{'':>3}{rate:>23.3g} {e2e:>26.3g} {floor:>19.3g}")
    if dn_rate is not None:
        print(f"   100x DarkNews ({dn_rate:.3g} ev/s) needs > {100 * dn_rate:.3g} ev/s generated and written")


def generation_sections(args) -> None:
    """Sections 1-4: generation, write floor, whole processes, peak memory."""
    sun, xenon = get_source("solar"), get_target("xenon")
    rc = RateCalculator(sun, xenon)
    print("\n1. generation only (one process, full kinematics + N decays), xenon dipole, e- recoils 1-30 keV")
    print(f"{'M_N [MeV]':>10} {'events/s':>12} {'acceptance':>11}")
    gens = {}
    for mass in (0.0, 0.1, 0.3):
        gen = Generator(sun, xenon, DipolePortal(mass, MU), rate_calculator=rc)
        gens[mass] = gen
        rate = generation_rate(gen, args.events)
        print(f"{mass:>10.2f} {rate:>12.3g} {gen.acceptance:>11.3f}")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        n = min(args.events, 1_000_000)
        e2e, floor, bpe = end_to_end_and_floor(gens[0.1], n, folder)
        print(f"\n2. generation + ROOT write, M_N = 0.1 MeV, {n} events ({bpe:.0f} bytes/event on disk)")
        print(f"{'end-to-end [ev/s]':>18} {'write floor [ev/s]':>19} {'ratio':>6}")
        print(f"{e2e:>18.3g} {floor:>19.3g} {e2e / floor:>6.2f}")

        print(f"\n2b. whole nugen generate process vs uproot alone, same arrays, {args.events} events")
        heads = ("nugen best/median [s]", "floor best/median [s]", "floor/nugen")
        print(f"{'workers':>8} {heads[0]:>22} {heads[1]:>22} {heads[2]:>12}")
        for w in (1, 2):
            t_cli, t_floor = whole_process_vs_floor(args.events, w, folder, args.repeat)
            nugen = f"{t_cli.min():.2f} / {np.median(t_cli):.2f}"
            floor = f"{t_floor.min():.2f} / {np.median(t_floor):.2f}"
            print(f"{w:>8} {nugen:>22} {floor:>22} {t_floor.min() / t_cli.min():>12.2f}")
        print("   (floor/nugen of the best times; every timed write starts alike: machine.settle_disk)")

        print(f"\n3. nugen generate (fresh process, start-up included), M_N = 0.1 MeV, {args.events} events")
        print(f"{'workers':>8} {'wall [s]':>9} {'events/s':>10} {'peak RSS [MB]':>14}")
        for w in (1, 2):
            dt, rss = cli_run(args.events, w, folder)
            print(f"{w:>8} {dt:>9.2f} {args.events / dt:>10.3g} {rss:>14.0f}")

        print("\n4. peak memory of nugen generate (one worker, streamed to disk)")
        print(f"{'events':>10} {'wall [s]':>9} {'peak RSS [MB]':>14}")
        for n_mem in sorted({1_000_000, args.memory_events}):
            dt, rss = cli_run(n_mem, 1, folder)
            print(f"{n_mem:>10} {dt:>9.2f} {rss:>14.0f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=2_000_000, help="events for speed measurements")
    ap.add_argument("--memory-events", type=int, default=10_000_000, help="events for the memory run")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved repeats of section 2b (best taken)")
    ap.add_argument("--darknews", default=None, metavar="PYTHON", help="python of a venv with DarkNews")
    ap.add_argument(
        "--darknews-neval",
        type=int,
        default=125_000,
        help="DarkNews' vegas evaluations per iteration (sets its number of events)",
    )
    ap.add_argument(
        "--darknews-repeat",
        type=int,
        default=3,
        help="interleaved DarkNews / nugen pairs of section 5 (best and median printed)",
    )
    ap.add_argument("--darknews-only", action="store_true", help="sections 5 and 5b only (needs --darknews)")
    args = ap.parse_args(argv)

    print(machine_note())
    print(f"nproc: {os.cpu_count()}; compression: {DEFAULT_COMPRESSION}; mu = {MU} mu_B, universal, Dirac")
    print(f"load average at start: {load_average()} (other jobs on the machine slow every number down)")
    if not args.darknews_only:
        generation_sections(args)
    dn_rate = None
    if args.darknews:
        print("\n5. DarkNews side by side (separate venv), whole processes, interleaved: nu_mu coherent")
        print("   up-scattering on Si/O (CHARM-II glass and flux), M_N = 100 MeV, mu = 3e-9 mu_B, Dirac,")
        print("   N -> nu gamma. DarkNews: GenLauncher.run(), weighted events, no file; nugen generate")
        print("   --target glass --recoil nuclear: the same number of unweighted events, ROOT file written")
        with tempfile.TemporaryDirectory() as tmp:
            res = darknews_side_by_side(args.darknews, args.darknews_neval, args.darknews_repeat, Path(tmp))
        if res:
            n_ev = res["events"]
            same = "" if res["same_events"] else " (differs between runs!)"
            print(f"   DarkNews {res['version']}, neval = {args.darknews_neval}: {n_ev} events{same}; "
                  f"{args.darknews_repeat} pairs")  # fmt: skip
            print(f"{'':>3}{'process':<34} {'best [s]':>9} {'median [s]':>11} {'events/s (median)':>18}")
            rows = (("DarkNews whole process", res["dn_wall"]), ("DarkNews run() alone", res["dn_run"]),
                    ("nugen generate whole process", res["nugen_wall"]))  # fmt: skip
            for label, t in rows:
                med = float(np.median(t))
                print(f"{'':>3}{label:<34} {t.min():>9.2f} {med:>11.2f} {n_ev / med:>18.3g}")
            ratio = np.median(res["dn_wall"]) / np.median(res["nugen_wall"])
            dn_rate = n_ev / float(np.median(res["dn_wall"]))
            ratio_best = res["dn_wall"].min() / res["nugen_wall"].min()
            ratio_run = np.median(res["dn_run"]) / np.median(res["nugen_wall"])
            verdict = "PASS" if ratio >= 100 else "FAIL"
            print(f"   ratio DarkNews / nugen, whole processes: median {ratio:.0f}x, best {ratio_best:.0f}x "
                  f"(target >= 100x: {verdict})")  # fmt: skip
            print(f"   DarkNews run() alone / nugen whole process (medians): {ratio_run:.0f}x")
            n_eff = res["effective_events"]
            print(f"   not the target, for the record: DarkNews' {n_ev} weighted events are worth "
                  f"{n_eff:.4g} unweighted ones (Kish (sum w)^2 / sum w^2, {n_eff / n_ev:.2f}); "
                  f"per such event DarkNews / nugen = {ratio * n_ev / n_eff:.0f}x")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        glass_breakdown(min(args.events, 2_000_000), Path(tmp), dn_rate)
    print(f"\nload average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
