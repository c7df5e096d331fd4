"""Benchmark (issue 13): loading a detector card.

Target: <= 50 ms to load a card (``detectors.card.read_card``: TOML, every key checked, every table file
parsed), for each shipped card. Also shown: building the detector from the card by name
(``get_detector``, uncached: read + :class:`~detectors.card.CardDetector`), the cached reload
(``load_card``, which re-reads only when the file's modification time changes), and the first
``expected_counts`` (SM kernels and signal template) of a fresh card detector. Package imports are
excluded (they are paid once per process; ``python -X importtime -c 'import detectors.card'`` shows them).

Run: ``python benchmarks/bench_cards.py [--repeat N]`` (other options of ``run_all.py`` are ignored).
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))

from machine import best_and_median, machine_note

from detectors import card as card_module
from detectors.card import SHIPPED_CARDS, CardDetector, load_card, read_card, shipped_card_path
from nugen.model import DipolePortal

TARGET_MS = 50.0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=20, help="timings per case (default 20)")
    opts, _ = ap.parse_known_args()
    print(machine_note())
    print(f"(load {os.getloadavg()})")
    r = opts.repeat
    print(f"\ncard load, one core: wall time [ms], best / median of {r}")
    print(f"{'card':<10} {'case':<48} {'best':>8} {'median':>8}")
    worst = 0.0
    for name in SHIPPED_CARDS:
        path = shipped_card_path(name)

        def row(label, fn, name=name):
            best, med = best_and_median(fn, r)
            print(f"{name:<10} {label:<48} {1e3 * best:>8.2f} {1e3 * med:>8.2f}")
            return med

        worst = max(
            worst, row("read_card (parse + validate + tables)", lambda p=path: read_card(p, shipped=True))
        )

        def build(p=path):
            card_module._cached_card.cache_clear()
            return CardDetector(load_card(p, shipped=True))

        row("CardDetector from the file (uncached)", build)
        row("load_card, cached (unchanged file)", lambda p=path: load_card(p, shipped=True))
        model = DipolePortal(0.0, 1e-11)
        row("fresh detector + first expected_counts", lambda m=model: build().expected_counts(m), name)
    print(
        f"target <= {TARGET_MS:g} ms per card load: {'met' if 1e3 * worst <= TARGET_MS else 'NOT met'} "
        f"(slowest median {1e3 * worst:.2f} ms)"
    )


if __name__ == "__main__":
    main()
