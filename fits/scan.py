"""Limits over a list of M_N for one or several detectors, serially or through an executor.

The work is split into units of (detector, chunk of masses); a unit builds its detector once per
process (:func:`_detector`, cached) and computes :func:`fits.limits.detector_limit` for each mass.
Units run

* serially in this process (default),
* in local processes (``workers=K``: :func:`nugen.parallel.process_pool`, forked where that is
  safe), or
* on a running dask.distributed cluster (``scheduler="tcp://host:8786"``:
  :func:`nugen.parallel.dask_executor` with its pre-flight checks, the ``[dask]`` extra), or
* on any :class:`concurrent.futures.Executor` passed as ``executor``.

Limits are deterministic (no random numbers), so results do not depend on the executor, the number
of workers or the chunking; they come back in mass order. A point that fails is reported in its row
(``error``), not raised. A progress bar (tqdm) is shown when standard error is a terminal.

The machinery is reusable: :func:`run_units` runs any picklable function over units of work on the
executor chosen by ``workers``/``scheduler``/``executor`` (validated by :func:`check_execution`) with
a :func:`progress_bar`, and :func:`cached_detector` builds a detector once per process;
:mod:`fits.sensitivity` uses all three.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from fits.limits import LimitResult, check_cl, detector_limit, method_text
from nugen.errors import InvalidParameterError
from nugen.model import check_nature
from nugen.parallel import dask_executor, process_pool

__all__ = [
    "ScanResult",
    "cached_detector",
    "check_execution",
    "mass_grid",
    "progress_bar",
    "run_units",
    "scan",
]

#: Masses per unit of work: small enough to balance two or more workers, large enough that the
#: per-unit overhead (pickling, scheduling) is negligible next to ~10 ms per limit.
DEFAULT_CHUNK = 5
#: Seconds to wait for a dask scheduler before giving up.
SCHEDULER_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class ScanResult:
    """Limits of one detector over M_N.

    Attributes
    ----------
    detector : str
        Detector name.
    flavour : str or dict
        Flavour pattern.
    cl : float
        Confidence level.
    settings : dict
        Detector settings that differ from the defaults, as given.
    expected : bool
        True if the limits are Asimov (median expected) ones.
    points : tuple of LimitResult
        One per mass, in increasing mass.
    """

    detector: str
    flavour: str | dict
    cl: float
    settings: dict
    expected: bool
    points: tuple[LimitResult, ...]

    @property
    def masses(self) -> np.ndarray:
        """M_N of the points [MeV]."""
        return np.array([p.mass_MeV for p in self.points])

    def column(self, key: str) -> np.ndarray:
        """One quantity over the scan as a float array (``None`` becomes NaN), e.g. ``"mu_upper_muB"``."""
        return np.array([np.nan if getattr(p, key) is None else getattr(p, key) for p in self.points])

    @property
    def n_failed(self) -> int:
        """Number of points that raised an error."""
        return sum(p.error is not None for p in self.points)

    def to_dict(self) -> dict:
        """JSON-ready dict in the shape of CLI.md's ``scan`` output (without ``"command"``)."""
        return {
            "detector": self.detector,
            "flavour": self.flavour,
            "cl": self.cl,
            "method": method_text(self.cl, self.expected),
            "expected": self.expected,
            "settings": dict(self.settings),
            "points": [p.point_dict() for p in self.points],
        }


def mass_grid(lo: float, hi: float, n: int, *, log: bool = False) -> np.ndarray:
    """``n`` masses from ``lo`` to ``hi`` [MeV], both included, equally spaced (or in log).

    Raises
    ------
    InvalidParameterError
        For non-finite or negative values, ``n < 1``, an empty or reversed range, or ``lo <= 0``
        with ``log``.
    """
    try:
        lo, hi, n_int = float(lo), float(hi), int(n)
    except (TypeError, ValueError):
        msg = f"mass range needs numbers LO, HI and an integer N, got {lo!r}, {hi!r}, {n!r}"
        raise InvalidParameterError(msg) from None
    if n_int != n or n_int < 1:
        msg = f"mass range needs N >= 1 points, got N = {n!r}"
        raise InvalidParameterError(msg)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        msg = f"mass range limits must be finite, got LO = {lo!r}, HI = {hi!r}"
        raise InvalidParameterError(msg)
    if lo < 0:
        msg = f"masses must be >= 0 MeV, got LO = {lo!r}"
        raise InvalidParameterError(msg)
    if hi < lo or (hi == lo and n_int > 1):
        msg = f"mass range is empty or reversed: LO = {lo!r}, HI = {hi!r} (HI must exceed LO)"
        raise InvalidParameterError(msg)
    if log:
        if lo <= 0:
            msg = f"a logarithmic mass range needs LO > 0, got LO = {lo!r}"
            raise InvalidParameterError(msg)
        return np.geomspace(lo, hi, n_int)
    return np.linspace(lo, hi, n_int)


@functools.lru_cache(maxsize=16)
def cached_detector(name: str, settings: tuple[tuple[str, object], ...]):
    """Build (once per process) the registered detector ``name`` with ``settings``.

    Parameters
    ----------
    name : str
        Registry name.
    settings : tuple of (str, object) pairs
        Detector settings, sorted by key (hashable, so that the cache can key on them).

    Returns
    -------
    detectors.base.Detector
        The same object for the same arguments within one process: every unit of a scan (or of a
        sensitivity scan, :mod:`fits.sensitivity`) that runs in this process reuses the detector's
        response kernels and SM counts; with the ``fork`` start method the workers inherit the
        detectors the parent built while validating the arguments.
    """
    from detectors import get_detector

    return get_detector(name, **dict(settings))


@dataclass(frozen=True)
class _Unit:
    """One unit of work: a detector and a chunk of masses."""

    detector: str
    settings: tuple[tuple[str, object], ...]
    masses: tuple[float, ...]
    flavour: str | tuple[float, float, float]
    cl: float
    asimov: bool | None
    nature: str = "dirac"


def _flavour_label(flavour) -> str | dict:
    if isinstance(flavour, str):
        return flavour
    from fits.likelihood import flavour_pattern

    return dict(zip(("e", "mu", "tau"), (float(v) for v in flavour_pattern(flavour)), strict=True))


def _failed(unit: _Unit, mass: float, exc: BaseException) -> LimitResult:
    return LimitResult(
        detector=unit.detector,
        mass_MeV=float(mass),
        flavour=_flavour_label(unit.flavour),
        cl=unit.cl,
        error=f"{type(exc).__name__}: {exc}",
        fit_valid=False,
    )


def _run_unit(unit: _Unit) -> list[LimitResult]:
    """Limits at each mass of ``unit`` (runs in a worker); failures become rows with ``error``."""
    try:
        det = cached_detector(unit.detector, unit.settings)
    except Exception as exc:
        return [_failed(unit, m, exc) for m in unit.masses]
    out = []
    for m in unit.masses:
        try:
            out.append(
                detector_limit(det, m, unit.flavour, cl=unit.cl, asimov=unit.asimov, nature=unit.nature)
            )
        except Exception as exc:
            out.append(_failed(unit, m, exc))
    return out


class _NoProgress:
    """Stands in for a disabled tqdm bar (so that a quiet or piped scan never imports tqdm)."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, enabled: bool | None, desc: str = "nugen scan", unit: str = "mass"):
    """A tqdm bar on standard error if ``enabled`` (``None``: if standard error is a terminal).

    A disabled bar is a stand-in with ``update`` and ``close`` that never imports tqdm (~20 ms).
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, leave=False)


#: The former private name of :func:`progress_bar`.
_progress = progress_bar


def check_execution(
    workers: int | None = None, scheduler: str | None = None, executor: Executor | None = None
) -> None:
    """Validate the execution options of a scan: ``workers`` >= 1 and at most one way to run in parallel.

    Raises
    ------
    InvalidParameterError
        For ``workers`` not an integer >= 1, or more than one of ``workers > 1``, ``scheduler`` and
        ``executor``.
    """
    if workers is not None and (int(workers) != workers or workers < 1):
        msg = f"workers must be an integer >= 1, got {workers!r}"
        raise InvalidParameterError(msg)
    if sum([bool(workers and workers > 1), scheduler is not None, executor is not None]) > 1:
        msg = "give at most one of workers > 1, scheduler and executor"
        raise InvalidParameterError(msg)


def run_units(
    fn: Callable[[Any], list],
    units: Sequence[Any],
    failed: Callable[[Any, BaseException], list],
    *,
    size: Callable[[Any], int] = lambda unit: 1,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    scheduler_timeout: float = SCHEDULER_TIMEOUT_S,
    desc: str = "nugen scan",
) -> list[list]:
    """Run ``fn(unit)`` for every unit, serially or on an executor, and return the results in order.

    Parameters
    ----------
    fn : callable
        A picklable module-level function of one unit returning a list of rows (runs in a worker). It
        should turn its own failures into rows; ``failed`` covers a worker or cluster that fails.
    units : sequence
        Picklable units of work.
    failed : callable
        ``failed(unit, exc)`` -> the rows reported for a unit whose future raised ``exc``.
    size : callable
        Progress-bar steps per unit (e.g. its number of masses).
    workers, scheduler, executor
        As in :func:`scan` (validated with :func:`check_execution`): local processes
        (:func:`nugen.parallel.process_pool`, shut down here), a dask.distributed scheduler address, or
        any executor (not shut down here); none of them: serial, in this process.
    progress : bool or None
        Show a progress bar (:func:`progress_bar`); ``None``: if standard error is a terminal.
    scheduler_timeout : float
        Seconds to wait for the scheduler.
    desc : str
        Label of the progress bar.

    Returns
    -------
    list of list
        ``fn(unit)`` (or ``failed(unit, exc)``) per unit, in the order of ``units``.
    """
    check_execution(workers, scheduler, executor)
    total = sum(size(u) for u in units)
    own = None
    stack = contextlib.ExitStack()
    if scheduler is not None:  # the scheduler's pre-flight checks of nugen.parallel (one line each)
        executor = stack.enter_context(dask_executor(scheduler, scheduler_timeout))
    elif executor is None and workers and workers > 1:
        executor = own = process_pool(int(workers))
    out: list[list] = []
    bar = _NoProgress()
    try:
        if executor is None:
            bar = progress_bar(total, progress, desc)
            for unit in units:
                out.append(fn(unit))
                bar.update(size(unit))
        else:
            # submit first: local workers are forked then, before the progress bar starts its thread
            futures = [executor.submit(fn, unit) for unit in units]
            bar = progress_bar(total, progress, desc)
            for unit, fut in zip(units, futures, strict=True):
                try:
                    rows = fut.result()
                except Exception as exc:  # a worker died or the cluster failed: report, go on
                    rows = failed(unit, exc)
                out.append(rows)
                bar.update(size(unit))
    finally:
        bar.close()
        if own is not None:
            own.shutdown(cancel_futures=True)
        stack.close()
    return out


def scan(
    detectors: str | Sequence[str],
    masses: Iterable[float],
    flavour: str | Sequence[float] = "universal",
    *,
    cl: float = 0.9,
    asimov: bool | None = None,
    nature: str = "dirac",
    settings: Mapping[str, Mapping[str, object]] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: bool | None = None,
    scheduler_timeout: float = SCHEDULER_TIMEOUT_S,
) -> list[ScanResult]:
    """Limits in mu over ``masses`` for each detector.

    Parameters
    ----------
    detectors : str or sequence of str
        Registry names (``"xenon1t"``, ``"borexino"``, ``"darwin"``, ...).
    masses : iterable of float
        M_N [MeV], each >= 0; results are sorted by mass.
    flavour : str or sequence of 3 floats
        Flavour pattern (see :func:`fits.likelihood.flavour_pattern`).
    cl : float
        Confidence level (0.5 <= cl < 1).
    asimov : bool or None
        Asimov (median expected) limits; ``None``: only for detectors without data.
    nature : {"dirac", "majorana"}
        N nature (see :func:`fits.limits.detector_limit`; only decay-dependent detectors use it).
    settings : mapping, optional
        ``{detector: {key: value}}`` detector settings.
    workers : int, optional
        Number of local processes (1 or None: serial).
    scheduler : str, optional
        Address of a running dask.distributed scheduler (``tcp://host:port``).
    executor : concurrent.futures.Executor, optional
        Any executor (not shut down here). At most one of ``workers > 1``, ``scheduler`` and
        ``executor`` may be given.
    chunk_size : int
        Masses per unit of work (does not change the results).
    progress : bool or None
        Show a progress bar; ``None``: only if standard error is a terminal.
    scheduler_timeout : float
        Seconds to wait for the scheduler.

    Returns
    -------
    list of ScanResult
        One per detector, in the order given.

    Raises
    ------
    InvalidParameterError
        For bad detector names or settings, masses, ``cl``, ``workers``, an unreachable scheduler,
        or conflicting executor options.
    """
    cl = check_cl(cl)
    check_nature(nature)
    names = [detectors] if isinstance(detectors, str) else list(detectors)
    if not names:
        msg = "scan needs at least one detector"
        raise InvalidParameterError(msg)
    if len(set(names)) != len(names):
        msg = f"each detector may appear once in a scan, got {', '.join(names)}"
        raise InvalidParameterError(msg)
    mass = np.sort(np.asarray(list(masses), dtype=float).ravel())
    if mass.size == 0:
        msg = "scan needs at least one mass"
        raise InvalidParameterError(msg)
    if not np.all(np.isfinite(mass)) or np.any(mass < 0):
        msg = f"masses must be finite and >= 0 MeV, got {mass.tolist()}"
        raise InvalidParameterError(msg)
    check_execution(workers, scheduler, executor)
    if int(chunk_size) != chunk_size or chunk_size < 1:
        msg = f"chunk_size must be an integer >= 1, got {chunk_size!r}"
        raise InvalidParameterError(msg)
    settings = {k: dict(v) for k, v in (settings or {}).items()}
    unknown = sorted(set(settings) - set(names))
    if unknown:
        msg = f"settings given for detector(s) {', '.join(unknown)} not in the scan ({', '.join(names)})"
        raise InvalidParameterError(msg)
    from fits.likelihood import flavour_pattern

    flavour_pattern(flavour)  # validates
    fl = flavour if isinstance(flavour, str) else tuple(float(v) for v in flavour)

    # build every detector here first: bad names or settings fail now, as one clear error
    frozen = {}
    expected = {}
    label = {}  # the detector's own name (a card's ``name`` when a card path was given)
    for name in names:
        frozen[name] = tuple(sorted(settings.get(name, {}).items()))
        det = cached_detector(name, frozen[name])
        expected[name] = bool(asimov) or det.observed() is None
        label[name] = det.name or name

    units = []
    for start in range(0, mass.size, chunk_size):
        chunk = tuple(float(m) for m in mass[start : start + chunk_size])
        for name in names:  # interleave detectors so that workers share the heavy ones
            units.append(_Unit(name, frozen[name], chunk, fl, cl, asimov, nature))

    results: dict[str, list[LimitResult]] = {name: [] for name in names}
    rows = run_units(
        _run_unit,
        units,
        lambda unit, exc: [_failed(unit, m, exc) for m in unit.masses],
        size=lambda unit: len(unit.masses),
        workers=workers,
        scheduler=scheduler,
        executor=executor,
        progress=progress,
        scheduler_timeout=scheduler_timeout,
    )
    for unit, got in zip(units, rows, strict=True):
        results[unit.detector].extend(got)

    return [
        ScanResult(
            detector=label[name],
            flavour=_flavour_label(fl),
            cl=cl,
            settings=settings.get(name, {}),
            expected=expected[name],
            points=tuple(sorted(results[name], key=lambda r: r.mass_MeV)),
        )
        for name in names
    ]
