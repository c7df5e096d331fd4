"""Event-file plumbing shared by ``nugen generate`` and its weighted mode (:mod:`nugen.cli._weighted`).

The output checks made before any work (suffix, ``--overwrite``, ``--compression``, free space), the
writer with its progress bar (ROOT via :mod:`nugen.io`, HepMC3 via :mod:`nugen.hepmc`) and the detector
named by ``--detector``. Both generate paths import this module; neither imports the other's helpers, so
the command-line layer has no import cycle (tests/test_layering.py).
"""

from __future__ import annotations

import argparse
import sys

from nugen.cli.common import detector_settings

__all__ = [
    "DEFAULT_EVENTS",
    "HEPMC3_BYTES_PER_EVENT",
    "ROOT_BYTES_PER_BRANCH",
    "check_output",
    "detector_from_args",
    "output_bytes",
    "output_format",
    "write_output",
]

#: Default number of events.
DEFAULT_EVENTS = 100_000
#: Upper bounds on the bytes per event of an output file, for the free-space check before any work:
#: ROOT holds each branch in at most 8 bytes (float64, measured 212-244 B per event for 31-35 branches
#: without compression, ~96 B with the default zstd:1); HepMC3 text takes 0.76-0.87 kB per event for the
#: --target/--detector samples and 1.29 kB for CHARM-II's weighted rows (measured), so 1.5 kB.
ROOT_BYTES_PER_BRANCH = 8
HEPMC3_BYTES_PER_EVENT = 1500


def output_bytes(path: str, n_events: int, n_branches: int) -> int:
    """Upper bound of the size of an ``n_events`` file of ``n_branches`` columns at ``path`` [bytes]."""
    per = HEPMC3_BYTES_PER_EVENT if output_format(path) == "hepmc3" else ROOT_BYTES_PER_BRANCH * n_branches
    return int(n_events) * per + 1_000_000  # + metadata and headers


def check_output(args: argparse.Namespace):
    """Check ``-o``, ``--overwrite`` and ``--compression`` before any work; returns the output path.

    The suffix picks the format (:func:`output_format`); ``--compression`` is a ROOT setting, and
    HepMC3 output needs pyhepmc (both said in one line, before events are generated).
    """
    from nugen.errors import InvalidParameterError
    from nugen.hepmc import require_pyhepmc
    from nugen.io import check_compression
    from nugen.outputs import check_output_path

    fmt = output_format(args.output)
    out = check_output_path(args.output, overwrite=args.overwrite)
    if fmt == "root":
        check_compression(args.compression)
    else:
        if args.compression is not None:
            msg = f"--compression applies to ROOT output only, got {args.compression!r} with {args.output!r}"
            raise InvalidParameterError(msg)
        require_pyhepmc()
    return out


def write_output(args: argparse.Namespace, out, chunks, meta: dict, total: int, desc: str) -> dict:
    """Write event ``chunks`` to ``out`` in the format of its suffix, with a progress bar of ``total`` events.

    ROOT: :func:`nugen.io.write_events`; HepMC3: :func:`nugen.hepmc.write_hepmc`. Returns the writer's
    summary (``n_events``, ``sum_weights``, ...).
    """
    from tqdm import tqdm

    from nugen.hepmc import write_hepmc
    from nugen.io import write_events
    from nugen.parallel import quiet_threads

    quiet_threads()  # no monitor thread: --workers can then fork (nugen.parallel)
    with tqdm(
        total=total, unit="evt", unit_scale=True, disable=True if args.quiet else None, file=sys.stderr,
        desc=desc,
    ) as bar:  # fmt: skip
        if output_format(args.output) == "root":
            return write_events(
                out, chunks, meta, overwrite=args.overwrite, compression=args.compression, on_chunk=bar.update
            )
        return write_hepmc(out, chunks, meta, overwrite=args.overwrite, on_chunk=bar.update)


def output_format(path: str) -> str:
    """``"root"`` or ``"hepmc3"`` from the suffix of ``-o``."""
    from pathlib import Path

    from nugen.errors import InvalidParameterError
    from nugen.hepmc import SUFFIXES as HEPMC_SUFFIXES

    suffix = Path(path).suffix.lower()
    fmt = "root" if suffix == ".root" else "hepmc3" if suffix in HEPMC_SUFFIXES else None
    if fmt is None:
        msg = f"-o/--output must end in .root (ROOT TTree) or .hepmc3/.hepmc (HepMC3), got {path!r}"
        raise InvalidParameterError(msg)
    return fmt


def detector_from_args(args):
    from nugen.cli.common import detector_provider
    from nugen.errors import InvalidParameterError

    get_detector = detector_provider().get_detector
    settings = detector_settings(args.settings, args.detector)
    try:
        return get_detector(args.detector, **settings)
    except ImportError as exc:
        msg = f"detector {args.detector!r} is registered but not available in this installation ({exc})"
        raise InvalidParameterError(msg) from None
