"""Run every benchmark in this folder: ``python benchmarks/run_all.py``.

Each ``bench_*.py`` is a stand-alone script that prints its own table; results with machine notes
are recorded in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    status = 0
    for script in sorted(here.glob("bench_*.py")):
        print(f"=== {script.name}", flush=True)
        status |= subprocess.call([sys.executable, str(script), *sys.argv[1:]])
    return status


if __name__ == "__main__":
    sys.exit(main())
