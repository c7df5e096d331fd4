"""Machine description printed by every benchmark (CPU model, cores, Python and numpy versions)."""

from __future__ import annotations

import os
import platform

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
