"""``nugen generate --detector charm2 [--weighted]``: a beam detector's event sample as ROOT or HepMC3.

Beam detectors whose events pass through detector stages (CHARM-II: N production in the target, flight,
decay in the fiducial volume, the photon of N -> nu gamma, the shower selection) draw their events with
their own ``generate(model, n, seed=, processes=, weighted=)`` method
(:meth:`detectors.charm2.CHARM2.generate`), one sampler with two modes of the engine
(:mod:`nugen.engine`): *weighted* events (``--weighted``; the photon channel's decay-in-volume
probability spans orders of magnitude, so weights keep the statistics) or *unweighted* selected events
of every channel (the default; accept/reject of the same weighted events). This module calls it once
and writes its columns with the writers of the unweighted samples (:func:`nugen.io.write_events`, or
:func:`nugen.hepmc.write_hepmc` with the N decay vertex made relative to the scattering,
:func:`hepmc_columns`), with metadata that say the sample is weighted and how the weights normalise.
Any detector with such a method works (its process names come from the default of ``processes``, its
process codes from :data:`nugen.generator.PROCESS_CODES`, the one table of every event file, its
column descriptions from ``weighted_branch_docs``), so a new beam detector needs no change here.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

from nugen.cli._event_output import (
    DEFAULT_EVENTS,
    check_output,
    detector_from_args,
    output_bytes,
    output_format,
    write_output,
)
from nugen.cli.common import note, parse_settings

__all__ = [
    "check_memory",
    "check_options",
    "hepmc_columns",
    "processes_for",
    "run_weighted",
    "weighted_detectors",
]

#: Rows per ``extend`` call when writing a weighted sample (as the unweighted samples' chunks).
WEIGHTED_CHUNK_ROWS = 65_536


def processes_for(det, choice: str) -> tuple[str, ...]:
    """The detector's process names selected by ``--process`` (``dipole*`` names are dipole processes).

    The names are the default of the ``processes`` parameter of ``det.generate`` (CHARM-II:
    ``("dipole_e", "dipole_A", "sm_e")``), so a new beam detector needs no change here.
    """
    import inspect

    from nugen.errors import InvalidParameterError

    param = inspect.signature(det.generate).parameters.get("processes")
    known = () if param is None or param.default is inspect.Parameter.empty else tuple(param.default)
    chosen = tuple(p for p in known if choice == "all" or (choice == "dipole") == str(p).startswith("dipole"))
    if not chosen:
        msg = f"--process {choice} selects none of detector {det.name!r}'s processes ({', '.join(known)})"
        raise InvalidParameterError(msg)
    return chosen


def weighted_detectors() -> list[str]:
    """Registered detectors that have their own weighted ``generate`` method (for error messages)."""
    from nugen.cli.common import detector_provider

    provider = detector_provider()
    get_detector = provider.get_detector
    out = []
    for name in provider.DETECTORS:
        try:
            if callable(getattr(get_detector(name), "generate", None)):
                out.append(name)
        except (ImportError, ValueError):  # pragma: no cover - an optional detector that cannot load
            continue
    return out


def check_options(args, weighted: bool = True) -> None:
    """Refuse options that have no meaning for a detector's own sample (before any work)."""
    from nugen.errors import InvalidParameterError

    mode = "--weighted" if weighted else f"--detector {args.detector}"
    if weighted and args.detector is None:
        msg = (
            f"--weighted needs --detector (a detector with its own weighted generator, e.g. charm2), got "
            f"--target {args.target!r}"
        )
        raise InvalidParameterError(msg)
    for flag, given in (
        ("--exposure", args.exposure),
        ("--source", args.source),
        ("--range", args.range),
        ("--site", args.site),
        ("--period", args.period),
    ):
        if given is not None:
            msg = f"{flag} cannot be combined with {mode} (the detector defines it), got {given!r}"
            raise InvalidParameterError(msg)


def hepmc_columns(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The weighted columns with the N decay vertex relative to the scattering, for :mod:`nugen.hepmc`.

    The HepMC3 record puts the scattering vertex at the origin and the N -> nu gamma vertex at
    ``N_decay_{x,y,z}_cm``; a beam detector's columns give both vertices in its own frame
    (``prod_*_cm``, ``decay_*_cm``), so the displacement is their difference (NaN, i.e. no decay vertex,
    where N does not decay in the fiducial region). The detector-frame columns stay as event attributes.
    """
    out = dict(cols)
    if all(f"{w}_{c}_cm" in cols for w in ("prod", "decay") for c in "xyz"):
        for c in "xyz":
            out[f"N_decay_{c}_cm"] = np.asarray(cols[f"decay_{c}_cm"]) - np.asarray(cols[f"prod_{c}_cm"])
    return out


#: Columns assumed for the free-space check of a weighted sample before it exists (CHARM-II has 38).
WEIGHTED_BRANCHES = 40
#: Memory per row of a weighted sample while it is generated and written [bytes], with a 1.5x margin:
#: the peak RSS of ``nugen generate --detector charm2 --weighted --process all`` grew by 262 B per row
#: between 6e5 and 2.4e6 rows (261 MB -> 732 MB).
BYTES_PER_ROW = 400


def available_memory_bytes() -> int | None:
    """Physical memory available now [bytes] (Linux ``sysconf``), or ``None`` where unknown."""
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(n_rows: int) -> None:
    """Refuse, before any work, a weighted sample that would not fit in the available memory.

    The weighted generators return the whole sample at once (:data:`BYTES_PER_ROW` per row); asking for
    more than ~80 % of the free memory would end in the kernel's out-of-memory killer, not an error.
    """
    from nugen.errors import InvalidParameterError

    need = n_rows * BYTES_PER_ROW
    free = available_memory_bytes()
    if free is not None and need > 0.8 * free:
        msg = (
            f"--weighted with {n_rows} rows needs ~{need / 1e9:.1f} GB of memory, {free / 1e9:.1f} GB are "
            f"available: ask for fewer --events (rows = events x processes x beam components)"
        )
        raise InvalidParameterError(msg)


def _zero_weight_message(det, model, mu_vec, what: str) -> str:
    """Why a beam detector's sample is empty for this model, and what to give instead."""
    if not model.mu_max > 0:
        return f"--mu {model.mu_max:g} gives no dipole events: give --mu > 0, or use --process sm"
    flavours = sorted({c.flavour for c in det.rates.source.components})
    beam = "/".join(f"nu_{f}" for f in flavours)
    if not any(model.mu_flavour[["e", "mu", "tau"].index(f)] > 0 for f in flavours):
        return (
            f"{what} for (mu_e, mu_mu, mu_tau) = {mu_vec} mu_B: the beam of detector {det.name!r} holds "
            f"{beam} only; give them a coupling (e.g. --flavour {flavours[0]}) or use --process sm"
        )
    hint = _photon_hint(det)
    hint = f"; {hint}" if hint else ""
    return f"{what} in the selection of detector {det.name!r} for M_N = {model.mass_MeV:g} MeV{hint}"


def _photon_hint(det) -> str:
    """How to select the photons of N -> nu gamma when the detector's photon efficiency is 0 (else "")."""
    if "photon_efficiency" in det.settings and not float(det.settings["photon_efficiency"]) > 0:
        return f"--set {det.name}.photon_efficiency=1 selects the photons of N -> nu gamma"
    return ""


def _describe_unweighted(meta, det, n_events, where, call_args, model, mu_vec, processes, seed) -> None:
    """Turn the weighted sample's metadata into that of the unweighted one (in place)."""
    u = getattr(det, "last_unweighting", None)  # a third-party detector may not have it
    norm = meta["normalisation"]
    for key in ("produced_events_by_process", "weight_production"):
        norm.pop(key, None)
    del meta["events_per_process_and_component"]
    meta.update(sample="unweighted", weighted=False, events=n_events)
    meta["seeding"] = (
        f"{where}(model, {n_events}, seed={seed}, processes={processes!r}, weighted=False): streams "
        "numpy.random.SeedSequence(seed).spawn(1 + n_pieces), the pilot from the first, accept/reject piece "
        "j (16384 events) from stream 1 + j (nugen.engine.unweight_weighted); the same for any --workers "
        "or --scheduler"
    )
    meta["python"] = (
        f"detectors.get_detector({call_args}).generate(nugen.DipolePortal({model.mass_MeV!r}, {mu_vec!r}, "
        f"nature={model.nature!r}), {n_events}, seed={seed}, processes={processes!r}, weighted=False) "
        "returns the same columns"
    )
    norm.update(
        weighted=False,
        statement=f"every event is a selected event of detector {det.name} and has the same weight; summed "
        f"weight = expected selected events for its exposure ({norm['exposure']:.6g} "
        f"{norm['exposure_unit']}) "
        "at this model (Monte Carlo estimate rate_mc_error); the processes appear in proportion to their "
        "expected selected counts",
        weight="expected selected events / number of events (the same for every event)",
        reweighting="to mu' at the same M_N: weight x (mu'/mu)^2 x (P_decay_fiducial' / P_decay_fiducial for "
        "photons, P_N_escape' / P_N_escape for electron recoils with the N-decay veto), the probabilities "
        "recomputed with N_lambda_cm x (mu/mu')^2 (nugen.decays); SM events keep their weight",
    )
    if u is not None:
        d = u.diagnostics
        norm.update(
            rate_mc_error=u.rate_error,
            unweighting={
                "method": "accept/reject of the weighted events against a pilot bound (nugen.engine)",
                "candidates_proposed": d.proposed,
                "candidates_accepted": d.accepted,
                "bound_violations": d.violations,
                "missed_rate_fraction": d.missed_fraction,
                "max_ratio": d.max_ratio,
            },
        )
    meta["branches"].pop("weight_production", None)


def _generate(args, det, gen_fn, model, n_events, seed, processes, n_rows_max, mode) -> dict:
    """``det.generate(...)`` with ``--workers`` / ``--scheduler`` and a progress bar, if it takes them.

    KinematicsError (no process possible for this M_N) passes through; with ``mode`` unweighted an
    InvalidParameterError of the generator becomes :class:`_NoSelectedEvents`.
    """
    import contextlib
    import inspect

    from tqdm import tqdm

    from nugen import parallel
    from nugen.errors import InvalidParameterError

    params = inspect.signature(gen_fn).parameters
    wants = {"workers": args.workers != 1, "executor": args.scheduler is not None}
    for name, flag in (("workers", "--workers"), ("executor", "--scheduler")):
        if wants[name] and name not in params:
            msg = f"detector {det.name!r} generates in one process: drop {flag}"
            raise InvalidParameterError(msg)
    with contextlib.ExitStack() as stack:
        extra = {"workers": args.workers} if "workers" in params else {}
        if args.scheduler is not None:
            extra["executor"] = stack.enter_context(
                parallel.dask_executor(args.scheduler, parallel.SCHEDULER_TIMEOUT_S, on_note=note)
            )
        if "progress" in params:
            parallel.quiet_threads()  # no monitor thread: the workers can then fork
            bar = stack.enter_context(
                tqdm(total=n_rows_max, unit="evt", unit_scale=True, disable=True if args.quiet else None,
                     file=sys.stderr, desc=f"nugen generate --detector {det.name}: generating", leave=False)
            )  # fmt: skip
            extra["progress"] = bar.update
        try:
            return det.generate(model, n_events, seed=seed, processes=processes, **mode, **extra)
        except InvalidParameterError:
            if not mode:  # weighted: the detector's own message
                raise
            raise _NoSelectedEvents from None  # unweighted: no selected event of these processes


class _NoSelectedEvents(Exception):
    """An unweighted sample without a selected event (turned into a one-line message by the caller)."""


def run_weighted(args: argparse.Namespace, model, weighted: bool = True, det=None) -> int:
    """``nugen generate --detector NAME [--weighted]``: the detector's own sample as a file.

    Calls ``det.generate(model, N, seed=S, processes=..., weighted=...)`` (e.g.
    :meth:`detectors.charm2.CHARM2.generate`) once, so the file holds exactly the events of that Python
    call, and writes the columns as the TTree ``events`` (:func:`nugen.io.write_events`) or as HepMC3
    events (:func:`nugen.hepmc.write_hepmc`, suffix ``.hepmc3``/``.hepmc``). Memory holds the whole
    sample (~0.26 kB per event; :func:`check_memory`).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``generate`` options.
    model : DipolePortal
        The model of the model options.
    weighted : bool
        ``--weighted``: N weighted events per process and beam component; otherwise N unweighted
        selected events of all the selected processes together.
    det : Detector, optional
        The detector of ``--detector`` if already built.

    Returns
    -------
    int
        Exit status 0.

    Raises
    ------
    InvalidParameterError
        A bad output, ``--target``, options without meaning here, a detector without its own
        generator, or a model under which every event has zero weight.
    KinematicsError
        If no selected process can occur for this M_N (from the detector's generator).
    """
    import inspect

    from nugen import __version__
    from nugen.errors import InvalidParameterError
    from nugen.generator import PROCESS_CODES

    out = check_output(args)
    check_options(args, weighted)
    det = detector_from_args(args) if det is None else det
    gen_fn = getattr(det, "generate", None)
    if not callable(gen_fn):
        have = ", ".join(weighted_detectors()) or "none"
        msg = (
            f"detector {det.name!r} has no weighted event generator (--weighted works with: {have}); drop "
            "--weighted for its unweighted events"
        )
        raise InvalidParameterError(msg)
    if not weighted and "weighted" not in inspect.signature(gen_fn).parameters:
        msg = f"detector {det.name!r} generates weighted events only: add --weighted"
        raise InvalidParameterError(msg)
    processes = processes_for(det, args.process)
    n_events = args.events if args.events is not None else DEFAULT_EVENTS
    n_rows_max = n_events * len(processes) * len(det.rates.source.components) if weighted else n_events
    check_memory(n_rows_max)
    from nugen.outputs import check_free_space

    check_free_space(out, output_bytes(args.output, n_rows_max, WEIGHTED_BRANCHES), f"{n_rows_max} rows")
    root = np.random.SeedSequence(args.seed)
    seed = int(root.entropy)
    mu_vec = tuple(float(m) for m in model.mu_flavour)
    mode = {} if weighted else {"weighted": False}
    try:
        cols = _generate(args, det, gen_fn, model, n_events, seed, processes, n_rows_max, mode)
    except _NoSelectedEvents:
        msg = _zero_weight_message(det, model, mu_vec, "no event of the selected processes")
        raise InvalidParameterError(msg) from None

    codes = {p: int(PROCESS_CODES[p]) for p in processes}  # one code table for every event file
    components = [c.name for c in det.rates.source.components]
    weight = np.asarray(cols["weight"], dtype=float)
    produced = np.asarray(cols.get("weight_production", weight), dtype=float)
    proc_col = np.asarray(cols["process"])
    if not np.any(produced != 0):
        raise InvalidParameterError(_zero_weight_message(det, model, mu_vec, "every event has zero weight"))
    not_finite = {
        p: int(np.count_nonzero(~(np.isfinite(weight) & np.isfinite(produced))[proc_col == c]))
        for p, c in codes.items()
    }
    not_finite = {p: k for p, k in not_finite.items() if k}
    if not_finite:
        counts = ", ".join(f"{k} {p} events" for p, k in not_finite.items())
        msg = (
            f"the weighted generator of detector {det.name!r} returned non-finite weights ({counts}) for "
            f"M_N = {model.mass_MeV:g} MeV (a bug: please report it)"
        )
        raise InvalidParameterError(msg)
    by_process = {p: float(weight[proc_col == c].sum()) for p, c in codes.items()}
    mc_error = {p: float(np.sqrt(np.sum(weight[proc_col == c] ** 2))) for p, c in codes.items()}
    produced_by = {p: float(produced[proc_col == c].sum()) for p, c in codes.items()}
    n_by = {p: int(np.count_nonzero(proc_col == c)) for p, c in codes.items()}

    exposure = float(det.exposure_t_yr)
    exposure_unit = str(getattr(det, "exposure_unit", "t yr"))
    docs = dict(getattr(det, "weighted_branch_docs", None) or {})
    where = f"{type(det).__module__}.{type(det).__name__}.generate"
    reweighting = "to mu' at the same M_N: weight_production x (mu'/mu)^2"
    decays = [c for c in ("P_decay_fiducial", "P_N_escape") if c in cols]
    if decays:
        reweighting += (
            f"; {' and '.join(decays)} recomputed with N_lambda_cm x (mu/mu')^2 "
            "(nugen.decays.decay_probability and undecayed_probability), then weight as described in "
            "branches.weight"
        )
    user_settings = parse_settings(args.settings).get(args.detector, {})
    call_args = ", ".join([repr(det.name), *(f"{k}={v!r}" for k, v in user_settings.items())])
    model_meta = {
        **model.describe(),
        "width_MeV": model.width_MeV,
        "lifetime_s": model.lifetime_s if math.isfinite(model.lifetime_s) else None,
        "ctau_cm": model.ctau_cm if math.isfinite(model.ctau_cm) else None,
    }
    meta = {
        "command": "generate",
        "nugen_version": __version__,
        "sample": "weighted",
        "weighted": True,
        "model": model_meta,
        "source": det.rates.source.describe(),
        "target": det.target,
        "detector": det.name,
        "detector_settings": {k: str(v) for k, v in det.settings.items()},
        "process": args.process,
        "processes": list(processes),
        "events_per_process_and_component": n_events,
        "events_by_process": n_by,
        "seed": seed,
        "seeding": f"{where}(model, {n_events}, seed={seed}, processes={processes!r}): chunks of events per "
        "process and beam component with streams spawned from numpy.random.SeedSequence(seed) (the same "
        "for any --workers or --scheduler)",
        "workers": args.workers,
        "python": f"detectors.get_detector({call_args}).generate(nugen.DipolePortal("
        f"{model.mass_MeV!r}, {mu_vec!r}, nature={model.nature!r}), {n_events}, seed={seed}, "
        f"processes={processes!r}) returns the same columns",
        "codes": {"process": codes, "component": {c: i for i, c in enumerate(components)}},
        "normalisation": {
            "weighted": True,
            "exposure": exposure,
            "exposure_unit": exposure_unit,
            "expected_events": float(weight.sum()),
            "expected_events_by_process": by_process,
            "mc_error_by_process": mc_error,
            "produced_events_by_process": produced_by,
            "statement": f"summed weight = expected selected events for the exposure of detector {det.name} "
            f"({exposure:.6g} {exposure_unit}) at this model; "
            "summed weight_production = events produced; each process and beam component has "
            f"{n_events} events whose weights share its rate (events differ in weight: histogram with "
            "weights; the MC error of a sum is sqrt(sum weight^2))",
            "weight": docs.get("weight", f"see the docstring of {where}"),
            "weight_production": docs.get("weight_production", f"see the docstring of {where}"),
            "reweighting": reweighting,
            **({"calibration": det.calibration()} if callable(getattr(det, "calibration", None)) else {}),
        },
        "branches": {k: docs.get(k, f"see the docstring of {where}") for k in cols},
        "energy_unit": det.energy_unit,
    }
    if args.scheduler is not None:
        meta["scheduler"] = args.scheduler
    if not weighted:
        _describe_unweighted(meta, det, n_events, where, call_args, model, mu_vec, processes, seed)
    u = getattr(det, "last_unweighting", None) if not weighted else None
    if u is not None and u.diagnostics.missed_fraction > 1e-3 and not args.quiet:
        print(
            f"nugen: note: {u.diagnostics.violations} candidates exceeded the unweighting's pilot bound; "
            f"the sample misses {u.diagnostics.missed_fraction:.2%} of the rate in their region "
            "(meta normalisation.unweighting)",
            file=sys.stderr,
        )
    zero = [p for p, w in by_process.items() if n_by[p] and not w > 0]
    if weighted and zero and not args.quiet:
        hint = _photon_hint(det)
        hint = f" (setting photon_efficiency = 0: {hint})" if hint else ""
        print(
            f"nugen: note: every {', '.join(zero)} event has weight 0 for this model and selection{hint}; "
            "weight_production is filled",
            file=sys.stderr,
        )
    missing = [p for p, k in n_by.items() if k == 0]
    if missing and not args.quiet and weighted:
        print(
            f"nugen: note: no {', '.join(missing)} events are possible for M_N = {model.mass_MeV:g} MeV; the "
            "sample holds the other processes only",
            file=sys.stderr,
        )
    n_rows = int(weight.size)

    if output_format(args.output) != "root":
        cols = hepmc_columns(cols)

    def chunks():
        for start in range(0, n_rows, WEIGHTED_CHUNK_ROWS):
            yield {k: np.asarray(v)[start : start + WEIGHTED_CHUNK_ROWS] for k, v in cols.items()}

    desc = "nugen generate --weighted" if weighted else f"nugen generate --detector {det.name}"
    written = write_output(args, out, chunks(), meta, n_rows, desc)
    if not args.quiet:
        made = [p for p in processes if n_by[p]]
        parts = ", ".join(f"{p} {by_process[p]:.6g}" for p in made)
        kind = f"weighted events ({', '.join(made)}; {n_events} per process and beam component)"
        if not weighted:
            kind = "unweighted selected events (" + ", ".join(f"{p} {n_by[p]}" for p in made) + ")"
        print(
            f"nugen: wrote {written['n_events']} {kind} in detector {det.name} to {out}; summed weights = "
            f"{written['sum_weights']:.6g} expected selected events in {exposure:.6g} {exposure_unit} "
            f"({parts}); M_N = {model.mass_MeV:g} MeV, mu = {model.mu_max:g} mu_B ({model.flavour})",
            file=sys.stderr,
        )
        if args.verbose:
            for p in processes:
                print(
                    f"nugen: {p}: {n_by[p]} events, summed weight {by_process[p]:.6g} +- {mc_error[p]:.3g} "
                    f"(MC)" + (f", produced {produced_by[p]:.6g}" if weighted else ""),
                    file=sys.stderr,
                )
    return 0
