"""``nugen generate``: an event sample with full kinematics, as a ROOT TTree or a HepMC3 file.

The sample follows exactly the density that ``nugen spectrum`` integrates (see :mod:`nugen.generator`);
the suffix of ``-o`` picks the format: ``.root`` (:mod:`nugen.io`) or ``.hepmc3``/``.hepmc``
(:mod:`nugen.hepmc`, needs pyhepmc); the layouts are described in CLI.md ("Event files", "HepMC3 output").
``--compression`` is a ROOT setting: given with a HepMC3 output it is an error rather than silently
ignored.

A detector with its own event stages (``--detector charm2``: N flight and decay in the fiducial volume,
the photon of N -> nu gamma, the selection; any detector with a ``generate`` method) writes its
unweighted selected events of every channel, and with ``--weighted`` its *weighted* sample, both from
the same sampler (:mod:`nugen.cli._weighted`, :mod:`nugen.engine`).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys

from nugen.cli._event_output import (
    DEFAULT_EVENTS,
    check_output,
    detector_from_args,
    output_bytes,
    write_output,
)
from nugen.cli.common import (
    DEFAULT_SOURCE,
    ENERGY_UNITS_MEV,
    add_model_options,
    add_settings_option,
    model_from_args,
    note,
    reject_settings,
    worker_count,
)

COMMAND = "generate"
ORDER = 10

#: Default output file.
DEFAULT_OUTPUT = "nugen_events.root"
#: Most events of one run: ~1e6 events/s per worker makes it a day of CPU, and the per-chunk seed table
#: of 1.5e6 chunks already takes ~0.6 GB and seconds to build; larger samples are several runs with
#: different --seed.
MAX_EVENTS = 10**11
#: Appended to help texts that state their default in words: formats the default (None) as nothing and
#: stops ArgumentDefaultsHelpFormatter from adding "(default: None)".
_NO_DEFAULT = "%(default).0s"


def _positive_int(text: str) -> int:
    """Parse a positive integer; integral values in exponent notation (``1e6``) are accepted."""
    try:
        value = int(text)
    except ValueError:
        try:
            f = float(text)
        except ValueError:
            f = math.nan
        if not (math.isfinite(f) and f == int(f)):
            msg = f"must be a positive integer, got {text!r}"
            raise argparse.ArgumentTypeError(msg) from None
        value = int(f)
    if value < 1:
        msg = f"must be a positive integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _event_count(text: str) -> int:
    """``--events N``: a positive integer (:func:`_positive_int`) of at most :data:`MAX_EVENTS`."""
    value = _positive_int(text)
    if value > MAX_EVENTS:
        msg = (
            f"at most {MAX_EVENTS:.0e} events per run (a day of CPU at ~1e6 events/s and up to ~25 TB of "
            f"ROOT output; run several jobs with different --seed for more), got {text!r}"
        )
        raise argparse.ArgumentTypeError(msg)
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        msg = f"must be a positive number, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        msg = f"must be a non-negative integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def register(sub, parents):
    """Add the ``generate`` subcommand."""
    p = sub.add_parser(
        COMMAND,
        parents=parents,
        help="an event sample with full kinematics as a ROOT TTree or HepMC3 file",
        description="Generate unweighted events of dipole up-scattering nu X -> N X (with N -> nu gamma "
        "decays in flight) and/or Standard-Model nu X scattering, from the same density 'nugen spectrum' "
        "integrates, and write them as the TTree 'events' of a ROOT file with the run metadata as the JSON "
        "string 'meta' (-o FILE.root), or as HepMC3 ASCII events in MeV and mm for detector simulations "
        "(-o FILE.hepmc3 or FILE.hepmc; needs pip install 'nugen[hepmc]'). Summed weights give the expected "
        "events of the sample's exposure (one tonne-year with --target unless --exposure is given; the "
        "detector's exposure with --detector). With --detector charm2: CHARM-II's unweighted selected "
        "events of every channel, or with --weighted its weighted sample (see the end of this help).",
        epilog="examples:\n"
        "  nugen generate --target xenon --source solar -o nugen_events.root\n"
        "  nugen generate --target xenon --source solar --mass 0.1 --mu 3e-11 --events 1e6 --seed 7 "
        "--workers 2 -o xe.root\n"
        "  nugen generate --target xenon --recoil nuclear --process all --exposure 10 -o xe_nr.root\n"
        "  nugen generate --detector xenon1t --mass 0.1 -o xenon1t_events.root\n"
        "  nugen generate --target xenon --mass 0.1 --mu 3e-11 --events 1e4 --seed 7 -o xe.hepmc3\n"
        "  nugen generate --detector charm2 --set charm2.photon_efficiency=1 --mass 100 --mu 1e-8 "
        "--flavour mu --process all --events 1e5 --seed 1 -o charm2.root\n"
        "  nugen generate --detector charm2 --weighted --set charm2.photon_efficiency=1 --mass 100 --mu 1e-8 "
        "--flavour mu --process all --events 1e5 --seed 1 -o charm2_weighted.root\n"
        "\n"
        "--detector charm2 (no --weighted): N unweighted events, each a selected event (electron recoils,\n"
        "single photons of N -> nu gamma decaying in the fiducial region, SM nu e with --process all) in\n"
        "proportion to its expected count; the same weight for every event (sum = expected selected\n"
        "events); --workers K or --scheduler give the same events as one process (no --exposure).\n"
        "--weighted (CHARM-II): weighted events of both dipole channels (electron recoils nu e -> N e;\n"
        "single photons from coherent nu A -> N A, N -> nu gamma in the fiducial region) and the SM nu e\n"
        "background, N events per process and beam component; summed 'weight' = expected selected events\n"
        "for the calibrated exposure, summed 'weight_production' = events produced; ROOT or HepMC3.\n"
        "Python: get_detector('charm2', photon_efficiency=1).generate(model, N, seed=S[, weighted=False])\n"
        "(docs/cli.md).",
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--target",
        metavar="NAME",
        help="target material: xenon, argon, pseudocumene, glass, mineral_oil" + _NO_DEFAULT,
    )
    where.add_argument(
        "--detector", metavar="NAME", help="detector (xenon1t, borexino, charm2, or a card: xenonnt, "
        "darwin, ...): its target, source, recoil type, exposure and energy response "
        "(adds Eobs_keV and efficiency)" + _NO_DEFAULT,
    )  # fmt: skip
    p.add_argument(
        "--source",
        metavar="NAME",
        default=None,
        help="neutrino source (default: solar; charm2 for glass, miniboone for mineral_oil)" + _NO_DEFAULT,
    )
    p.add_argument(
        "--process",
        choices=("dipole", "sm", "all"),
        default="dipole",
        help="dipole up-scattering, Standard-Model scattering, or both (with --weighted: the detector's "
        "dipole channels, e.g. CHARM-II's electron and photon channels, its SM process, or all)",
    )
    p.add_argument(
        "--weighted",
        action="store_true",
        help="with --detector charm2 (a detector with its own weighted generator): write its weighted "
        "sample, --events N per process and beam component, every column of the detector's generate "
        "method plus weight (selected events) and weight_production (produced events); not with "
        "--exposure, --site, --period, --source, --range (--workers and --scheduler work)" + _NO_DEFAULT,
    )
    p.add_argument(
        "--recoil",
        choices=("electron", "nuclear", "both"),
        default="electron",
        help="with --target: electron recoils, coherent nuclear recoils, or both",
    )
    p.add_argument(
        "--range",
        metavar="LO:HI",
        default=None,
        help="with --target: window of true recoil energy in the target's unit (keV for xenon); "
        "default 1:30 keV for electrons and 0.1:10 keV for nuclei in xenon" + _NO_DEFAULT,
    )
    n = p.add_mutually_exclusive_group()
    n.add_argument(
        "--events",
        type=_event_count,
        default=None,
        metavar="N",
        help=f"number of events (default {DEFAULT_EVENTS}); weights sum to the expected events of one "
        "tonne-year (the detector's exposure with --detector); with --weighted: events per process and "
        "beam component" + _NO_DEFAULT,
    )
    n.add_argument(
        "--exposure",
        type=_positive_float,
        default=None,
        metavar="T_YR",
        help="exposure [tonne-years]: the number of events is drawn from a Poisson distribution with the "
        "expected count, and weights sum to the expected count" + _NO_DEFAULT,
    )
    p.add_argument(
        "--seed", type=_seed, default=None, metavar="S",
        help="random seed (default: fresh entropy, recorded in the file)" + _NO_DEFAULT,
    )  # fmt: skip
    ex = p.add_mutually_exclusive_group()
    ex.add_argument(
        "--workers", type=worker_count, default=1, metavar="K",
        help="worker processes, at most the CPUs (the events do not depend on K)",
    )  # fmt: skip
    ex.add_argument(
        "--scheduler", metavar="ADDRESS", default=None,
        help="run the chunks on the running dask.distributed scheduler at ADDRESS (tcp://HOST:PORT; needs "
        "the [dask] extra and nugen on every worker); this process writes the file, chunks in order, and "
        "the events equal --workers 1 for the same --seed (docs/cluster.md)" + _NO_DEFAULT,
    )  # fmt: skip
    p.add_argument(
        "--compression", default=None, metavar="NAME:LEVEL", help="ROOT compression: zstd:1 (default), "
        "lz4:1, zlib:1, lzma:1, none; ROOT output only" + _NO_DEFAULT,
    )  # fmt: skip
    p.add_argument(
        "--site",
        metavar="NAME|LAT:LON",
        default=None,
        help="neutrinos arrive from the Sun as seen from this site (lngs, snolab, kamioka, or "
        "latitude:longitude in degrees, east positive); momenta in the local East-North-Up frame; adds "
        "time_unix_s and nu_dir_* (default: none, neutrinos along +z)" + _NO_DEFAULT,
    )
    p.add_argument(
        "--period",
        metavar="START,END",
        default=None,
        help="with --site: UTC dates of the event times, ISO format (default 2020-01-01,2021-01-01)"
        + _NO_DEFAULT,
    )
    add_settings_option(
        p, help="detector setting (repeatable) with --detector; see 'nugen info DETECTOR'" + _NO_DEFAULT
    )
    add_model_options(p, mass_default=0.0, mu_default=2e-11)
    g = p.add_argument_group("output")
    g.add_argument(
        "-o", "--output", metavar="FILE", default=DEFAULT_OUTPUT,
        help="output file; the suffix picks the format: .root (ROOT TTree) or .hepmc3/.hepmc (HepMC3 ASCII)",
    )  # fmt: skip
    g.add_argument("--overwrite", action="store_true", help="replace FILE if it exists" + _NO_DEFAULT)
    return p


def _parse_range(text: str, unit: str) -> tuple[float, float]:
    from nugen.errors import InvalidParameterError

    parts = str(text).split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        msg = f"--range must look like LO:HI in {unit} (e.g. 1:30), got {text!r}"
        raise InvalidParameterError(msg) from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 or hi <= lo:
        msg = f"--range needs 0 < LO < HI, got {text!r}"
        raise InvalidParameterError(msg)
    return lo * ENERGY_UNITS_MEV[unit], hi * ENERGY_UNITS_MEV[unit]


def _parse_site(text: str | None):
    from nugen.errors import InvalidParameterError

    if text is None or ":" not in text:
        return text
    try:
        lat, lon = (float(v) for v in text.split(":"))
    except ValueError:
        msg = f"--site must be a name or LAT:LON in degrees (e.g. 42.42:13.52), got {text!r}"
        raise InvalidParameterError(msg) from None
    return lat, lon


def _parse_period(text: str | None):
    import datetime as dt

    from nugen.errors import InvalidParameterError
    from nugen.sun import SUN_PERIOD_START_UNIX

    if text is None:
        return (SUN_PERIOD_START_UNIX, SUN_PERIOD_START_UNIX + 366 * 86400.0)
    try:
        start, end = (dt.datetime.fromisoformat(v.strip()) for v in text.split(","))
    except ValueError:
        msg = f"--period must be START,END in ISO format (e.g. 2020-01-01,2021-01-01), got {text!r}"
        raise InvalidParameterError(msg) from None
    stamps = [(d if d.tzinfo else d.replace(tzinfo=dt.UTC)).timestamp() for d in (start, end)]
    if not stamps[1] > stamps[0]:
        msg = f"--period END must come after START, got {text!r}"
        raise InvalidParameterError(msg)
    return tuple(stamps)


def run(args: argparse.Namespace) -> int:
    """Generate the sample and write it.

    A ROOT output's writer process is forked first (:func:`nugen.writer_process.prestart`; the command
    line does it before its imports): it loads uproot while this process builds the sampler, which then
    never imports awkward or uproot itself. Any other output ends it.
    """
    from nugen import writer_process

    if str(args.output).lower().endswith(".root"):
        writer_process.prestart()
    else:
        writer_process.discard_prestarted()
    try:
        return _run(args)
    finally:
        writer_process.discard_prestarted()


def _run(args: argparse.Namespace) -> int:
    import numpy as np

    from nugen import __version__
    from nugen.errors import InvalidParameterError, KinematicsError
    from nugen.generator import CHUNK_SIZE, ChunkDiagnostics, Generator
    from nugen.outputs import check_free_space
    from nugen.rates import RateCalculator
    from nugen.sources import get_source
    from nugen.targets import get_target

    model = model_from_args(args)
    if args.weighted:
        from nugen.cli._weighted import run_weighted

        return run_weighted(args, model)
    det = detector_from_args(args) if args.detector is not None else None
    if callable(getattr(det, "generate", None)):  # the detector's own event stages (CHARM-II)
        from nugen.cli._weighted import run_weighted

        return run_weighted(args, model, weighted=False, det=det)
    out = check_output(args)
    if args.period is not None and args.site is None:
        msg = f"--period needs --site (event times only matter for the Sun's direction), got {args.period!r}"
        raise InvalidParameterError(msg)
    if det is not None:
        for flag, given in (("--source", args.source), ("--range", args.range)):
            if given is not None:
                msg = f"{flag} cannot be combined with --detector (the detector defines it), got {given!r}"
                raise InvalidParameterError(msg)
        target_name, source_name, scatterer = det.target, det.source, det.scatterer
        window = det.true_energy_range()
        exposure = float(args.exposure) if args.exposure is not None else float(det.exposure_t_yr)
    else:
        reject_settings(args.settings, f"--target {args.target!r}")
        target_name = args.target
        source_name = args.source if args.source is not None else DEFAULT_SOURCE.get(args.target, "solar")
        scatterer = {"electron": "electron", "nuclear": "nucleus", "both": "both"}[args.recoil]
        window = None
        if args.range is not None:
            window = _parse_range(args.range, get_target(target_name).energy_unit)
        exposure = float(args.exposure) if args.exposure is not None else 1.0
    target = get_target(target_name)
    source = get_source(source_name)
    # an absurd --mass overflows the kinematics to inf before the generator says the rate is zero:
    # no RuntimeWarning lines before that one-line error
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        gen = Generator(
            source,
            target,
            model,
            process=args.process,
            scatterer=scatterer,
            recoil_range_MeV=window,
            rate_calculator=RateCalculator(source, target),
            site=_parse_site(args.site),
            period_unix_s=_parse_period(args.period),
        )
    empty = [name for name, r in gen.rates.items() if not r > 0]
    if empty and not args.quiet:
        print(
            f"nugen: note: no {', '.join(empty)} events are possible for M_N = {model.mass_MeV:g} MeV in "
            "this recoil window; the sample holds the other processes only",
            file=sys.stderr,
        )
    root = np.random.SeedSequence(args.seed)
    expected = gen.total_rate * exposure
    if args.exposure is not None:
        if not expected <= MAX_EVENTS:
            msg = (
                f"--exposure {args.exposure:g} t yr means {expected:.3g} expected events, more than one run "
                f"generates (at most {MAX_EVENTS:.0e}: a day of CPU at ~1e6 events/s); give a smaller "
                "--exposure and run several jobs with different --seed"
            )
            raise InvalidParameterError(msg)
        n_events = int(np.random.default_rng(root).poisson(expected))
        if n_events == 0:
            msg = (
                f"no events: the draw from a Poisson distribution with mean {expected:.4g} (the expected "
                f"events in --exposure {args.exposure:g} t yr) gave 0; increase --exposure"
            )
            raise KinematicsError(msg)
    else:
        n_events = args.events if args.events is not None else DEFAULT_EVENTS
    n_branches = len(gen.branch_docs()) + (2 if det is not None else 0)
    check_free_space(out, output_bytes(args.output, n_events, n_branches), f"{n_events} events")
    sizes = Generator.chunk_sizes(n_events)
    diag = ChunkDiagnostics()
    unit = target.energy_unit
    meta = {
        "command": "generate",
        "nugen_version": __version__,
        **gen.describe(),
        "detector": det.name if det is not None else None,
        "seed": int(root.entropy),
        "seeding": "chunk i uses numpy.random.default_rng(SeedSequence(seed).spawn(n_chunks)[i]); the "
        "Poisson count of --exposure uses default_rng(SeedSequence(seed)); detector smearing of chunk i "
        "uses default_rng(SeedSequence(seed, spawn_key=(i, 0)))",
        "chunk_size": CHUNK_SIZE,
        "n_chunks": len(sizes),
        "workers": args.workers,
        "poisson_events": args.exposure is not None,
        "normalisation": {
            "events_per_exposure": gen.total_rate,
            "exposure_unit": gen.rc.exposure_label,
            "exposure": exposure,
            "expected_events": expected,
            "weight_per_event": expected / n_events,
            "statement": f"summed weights = expected events in {exposure:g} {gen.rc.exposure_label}",
        },
        "branches": gen.branch_docs(),
        "energy_unit": unit,
    }
    if det is not None:  # known before the first event: a HepMC3 header holds it
        meta["branches"]["Eobs_keV"] = "observed energy after the detector's resolution [keV]"
        meta["branches"]["efficiency"] = "detection efficiency at Eobs (multiply the weight by it)"
        meta["detector_settings"] = {k: str(v) for k, v in det.settings.items()}

    def chunks():
        stream = gen.iter_chunks(n_events, root, workers=args.workers, exposure=exposure, executor=executor)
        for i, (cols, d) in enumerate(stream):
            diag.__iadd__(d)
            if det is not None:
                rng = np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=(i, 0)))
                e_obs, eff = det.smear(cols["Er_keV"] * 1e-3, rng)
                cols["Eobs_keV"] = np.asarray(e_obs, dtype=float) * 1e3
                cols["efficiency"] = np.asarray(eff, dtype=float)
            yield cols
        meta["diagnostics"] = {
            "candidates_proposed": diag.proposed,
            "candidates_accepted": diag.accepted,
            "envelope_violations": diag.violations,
            "max_density_to_envelope": diag.max_ratio,
            "mc_rate_estimate_per_exposure": gen.envelope_integral * diag.accepted / max(diag.proposed, 1),
        }

    with contextlib.ExitStack() as stack:
        executor = None
        if args.scheduler is not None:
            from nugen import parallel

            executor = stack.enter_context(
                parallel.dask_executor(args.scheduler, parallel.SCHEDULER_TIMEOUT_S, on_note=note)
            )
            meta["scheduler"] = args.scheduler
        written = write_output(args, out, chunks(), meta, n_events, "nugen generate")
    if not args.quiet:
        lo_hi = ", ".join(
            f"{s} {lo / ENERGY_UNITS_MEV[unit]:g}-{hi / ENERGY_UNITS_MEV[unit]:g} {unit}"
            for s, (lo, hi) in gen.windows.items()
        )
        where = f"detector {det.name}" if det is not None else f"{target_name} ({source_name} neutrinos)"
        print(
            f"nugen: wrote {written['n_events']} events ({args.process}; {lo_hi}) in {where} to {out}; "
            f"summed weights = {written['sum_weights']:.6g} expected events in {exposure:g} "
            f"{gen.rc.exposure_label}; M_N = {model.mass_MeV:g} MeV, mu = {model.mu_max:g} mu_B "
            f"({model.flavour})",
            file=sys.stderr,
        )
        if args.verbose:
            d = written.get("diagnostics", {})
            print(
                f"nugen: accept/reject acceptance {d.get('candidates_accepted', 0)}/"
                f"{d.get('candidates_proposed', 0)}; Monte Carlo rate estimate "
                f"{d.get('mc_rate_estimate_per_exposure', float('nan')):.6g} vs numerical "
                f"{gen.total_rate:.6g} per {gen.rc.exposure_label}; envelope violations: "
                f"{d.get('envelope_violations', 0)}",
                file=sys.stderr,
            )
    return 0
