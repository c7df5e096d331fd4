"""scripts/compare_accelerator_limits.py: bad input exits 2 with a one-line error."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "compare_accelerator_limits.py"


def test_unknown_detector_exits_2_one_line():
    r = subprocess.run([sys.executable, str(SCRIPT), "--detector", "nomadd"], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "nomadd" in r.stderr


def test_help_has_example():
    r = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "example:" in r.stdout
