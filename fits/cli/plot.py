"""``nugen plot spectra|limits|sensitivity``: the seed's Fig. 2 and Fig. 3 kinds of figure and Brazil plots.

* ``spectra``: expected counts per bin of observed energy for one detector (backgrounds, Standard-Model
  solar neutrinos, the dipole signal of the model, their total) and the detector's data with Garwood
  error bars (:func:`fits.plots.plot_recoil_spectrum`);
* ``limits``: limits in mu over a range of M_N for one or more detectors, computed by the fits API
  (:mod:`fits.scan`), drawn on the exclusion plane with the published astrophysical and cosmological
  bands (:func:`fits.plots.plot_exclusion`);
* ``sensitivity``: median expected limits with their ±1σ/±2σ bands over M_N (one panel per exposure,
  :func:`fits.plots.plot_brazil_bands`) or against the exposure
  (:func:`fits.plots.plot_sensitivity_vs_exposure`), from a ``nugen sensitivity --json`` file
  (``--input``) or computed here (:mod:`fits.sensitivity`).

Figures are drawn on a :class:`matplotlib.figure.Figure` (no pyplot, no GUI backend) and written
atomically (:func:`nugen.outputs.atomic_output`); the format follows the extension of ``-o``.
"""

from __future__ import annotations

import argparse
import sys

from fits.cli.scan import add_mass_options
from nugen.cli.common import (
    HelpFormatter,
    add_detector_options,
    add_execution_options,
    add_model_options,
    add_output_file_options,
    add_settings_option,
    model_from_args,
    parse_bins,
    settings_for,
    worker_count,
)
from nugen.errors import InvalidParameterError

COMMAND = "plot"
ORDER = 60

#: Output formats accepted by ``-o`` (by file extension).
FORMATS = ("png", "pdf")

#: Text of the flavour pattern on figures.
FLAVOUR_NOTE = {
    "universal": "flavour-universal coupling",
    "e": r"$\nu_e$ coupling only",
    "mu": r"$\nu_\mu$ coupling only",
    "tau": r"$\nu_\tau$ coupling only",
}


#: Muted colours of background components in ``plot spectra`` (dashed lines).
BACKGROUND_COLOURS = ("#7f7f7f", "#8c564b", "#17becf", "#bcbd22", "#9467bd", "#393b79", "#ad494a")


def register(sub, parents):
    """Add the ``plot`` subcommand with its ``spectra``, ``limits`` and ``sensitivity`` subcommands."""
    p = sub.add_parser(
        COMMAND,
        parents=parents,
        help="figures: recoil spectra with data (seed Fig. 2 kind) or the exclusion plane (Fig. 3 kind)",
        description="Draw a figure and write it to FILE.png or FILE.pdf. 'spectra': expected counts "
        "per observed-energy bin of one detector with its data; 'limits': limits in mu over M_N for "
        "one or more detectors on the (M_N, mu) plane with the published astrophysical and cosmological "
        "bands (Brdar et al., JCAP 01 (2021) 039, Fig. 3).",
        epilog="examples:\n"
        "  nugen plot spectra --detector xenon1t --mass 0.01 --mu 5e-11 --flavour mu -o xenon1t.png\n"
        "  nugen plot limits --detector xenon1t,borexino,darwin --masses 0.01:3:30 --log "
        "--flavour mu --workers 2 -o limits.pdf\n"
        "  nugen plot sensitivity --detector darwin --masses 0.01:1:30 --log --flavour mu -o brazil.png",
    )
    kinds = p.add_subparsers(dest="plot_kind", metavar="KIND", parser_class=type(p), required=True)
    fmt = HelpFormatter

    s = kinds.add_parser(
        "spectra",
        parents=parents,
        formatter_class=fmt,
        help="expected counts per observed-energy bin of one detector, with its data",
        description="Expected counts per bin of observed energy (after resolution and efficiency, for "
        "the detector's exposure): each background, Standard-Model solar neutrinos, the dipole signal of "
        "the model and the total, with the observed data and Garwood 68.3%% Poisson error bars.",
        epilog="example:\n  nugen plot spectra --detector xenon1t --mass 0.01 --mu 5e-11 --flavour mu "
        "-o spectrum.png",
    )
    add_detector_options(s)
    s.add_argument(
        "--bins",
        metavar="LO:HI:N",
        default=None,
        help="N equal bins in the detector's energy unit (default: the analysis bins, with data and "
        "backgrounds; other bins show only the signal and SM neutrinos)",
    )
    s.add_argument("--per-energy", action="store_true", help="events per energy unit instead of per bin")
    s.add_argument("--logy", action="store_true", help="logarithmic count axis")
    s.add_argument("--logx", action="store_true", help="logarithmic energy axis")
    s.add_argument("--no-data", action="store_true", help="do not draw the observed data")
    add_settings_option(s)
    add_model_options(s, mass_default=0.0, mu_default=2e-11)
    _add_figure_options(s)

    lim = kinds.add_parser(
        "limits",
        parents=parents,
        formatter_class=fmt,
        help="limits in mu over M_N for one or more detectors, on the exclusion plane",
        description="Scan M_N, compute for each detector the profile-likelihood limit in mu (the upper "
        "limit, or the two-sided interval when the data exclude mu = 0; the median expected limit for a "
        "detector without data), and draw them on the (M_N, mu) plane with the published "
        "astrophysical, cosmological and accelerator bands of Brdar et al. Fig. 3 (nu_mu coupling).",
        epilog="example:\n  nugen plot limits --detector xenon1t,borexino --masses 0.01:3:20 --log "
        "--flavour mu --set xenon1t.tritium=free -o fig3.png\n"
        "  nugen plot limits --detector xenon1t,borexino --masses 0.01:3:30 --log --flavour mu "
        "--region 0.68,0.9 -o plane.png",
    )
    add_detector_options(
        lim, multiple=True, detector_help="comma-separated detectors, e.g. xenon1t,xenonnt,darwin"
    )
    add_mass_options(lim)
    lim.add_argument("--cl", type=float, default=0.9, help="confidence level of the limits, 0.5 <= CL < 1")
    lim.add_argument(
        "--region",
        metavar="CL[,CL2...]",
        default=None,
        help="also fill the 2D confidence region(s) in (M_N, mu) at these CLs (dof 2, 'nugen region') "
        "for each detector with data, e.g. 0.68,0.9, where they exclude mu = 0 (XENON1T: the region "
        "its excess prefers; where a region reaches mu = 0 the limit curve already says it all)",
    )
    add_execution_options(lim)
    lim.add_argument("--no-bands", action="store_true", help="do not overlay the published bands")
    lim.add_argument(
        "--published",
        action="store_true",
        help="also draw the published XENON1T and Borexino curves of Brdar et al. Fig. 3 for comparison",
    )
    lim.add_argument(
        "--no-intervals",
        action="store_true",
        help="do not fill the two-sided intervals (preferred regions) where a detector has them",
    )
    add_settings_option(lim)
    g = lim.add_argument_group("model (the dipole portal, seed paper eq. 1)")
    g.add_argument(
        "--flavour",
        "--flavor",
        default="universal",
        choices=tuple(FLAVOUR_NOTE),
        help="which active flavours couple to N; 'mu' = nu_mu only (the seed's Fig. 3)",
    )
    g.add_argument(
        "--nature", default="dirac", choices=("dirac", "majorana"), help="Dirac or Majorana N (N decays only)"
    )
    _add_figure_options(lim)
    _register_sensitivity(kinds, parents)
    return p


def _register_sensitivity(kinds, parents) -> None:
    from fits.cli.sensitivity import add_sensitivity_options

    sen = kinds.add_parser(
        "sensitivity",
        parents=parents,
        formatter_class=HelpFormatter,
        help="expected limits with ±1σ/±2σ bands (Brazil plot) over M_N or against the exposure",
        description="The median expected upper limit in mu (dashed) with its ±1σ (green) and ±2σ (yellow) "
        "bands, from a 'nugen sensitivity --json' file (--input) or computed here with the options of "
        "'nugen sensitivity'. Against M_N: one panel per exposure; against the exposure (--vs exposure, "
        "the default when there is one mass and several exposures): one curve per mass, with the "
        "T^-1/4 slope of a background-dominated counting experiment for reference. With --discovery (or a "
        "file that has it) the median 3 and 5 sigma discovery reach is drawn as well.",
        epilog="examples:\n"
        "  nugen plot sensitivity --detector darwin --masses 0.01:1:30 --log --flavour mu -o brazil.png\n"
        "  nugen sensitivity --detector darwin --masses 0.01:1:30 --log --json -o darwin.json\n"
        "  nugen plot sensitivity --input darwin.json -o brazil.pdf\n"
        "  nugen plot sensitivity --detector darwin --masses 0.1:0.1:1 --exposure 1,3,10,30,100,300,1000 "
        "--discovery -o exposure.png",
    )
    src = sen.add_argument_group("input (one of)").add_mutually_exclusive_group(required=True)
    src.add_argument("--input", metavar="FILE.json", default=None, help="a 'nugen sensitivity --json' file")
    src.add_argument(
        "--detector", metavar="NAME", default=None, help="compute for this detector: darwin, ..."
    )
    src.add_argument(
        "--card", metavar="FILE.toml", default=None, help="compute for the detector of this card"
    )
    add_mass_options(sen, required=False, prefix="with --detector: ")
    sen.add_argument("--workers", type=worker_count, default=1, metavar="K", help="local worker processes")
    sen.add_argument(
        "--vs",
        choices=("auto", "mass", "exposure"),
        default="auto",
        help="horizontal axis; auto: exposure if there is one mass and several exposures, else mass",
    )
    add_model_options(sen, with_mu=False, with_mass=False)
    add_sensitivity_options(sen)
    _add_figure_options(sen)


def _add_figure_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("figure")
    add_output_file_options(g, help="output figure FILE.png or FILE.pdf", required=True)
    g.add_argument("--title", default=None, help="figure title")
    g.add_argument(
        "--dpi",
        type=dpi_value,
        default=150,
        help=f"resolution of PNG output [dots per inch], {MIN_DPI} to {MAX_DPI}",
    )


#: Range of ``--dpi``: below 10 a figure is a few pixels; above 1200 (print quality) a PNG of the
#: largest figure (six sensitivity panels, 9 x 22.6 in) needs gigabytes of memory.
MIN_DPI, MAX_DPI = 10, 1200


def dpi_value(text: str) -> int:
    """``--dpi``: an integer from :data:`MIN_DPI` to :data:`MAX_DPI`, for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not MIN_DPI <= value <= MAX_DPI:
        msg = f"must be an integer from {MIN_DPI} to {MAX_DPI} dots per inch, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


# -- helpers --------------------------------------------------------------------------------------
def output_format(path: str) -> str:
    """Return ``"png"`` or ``"pdf"`` from the extension of ``path``.

    Raises
    ------
    InvalidParameterError
        For any other extension (the message names the path).
    """
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    if ext not in FORMATS:
        msg = f"-o {path!r}: the figure format is taken from the extension; use .png or .pdf"
        raise InvalidParameterError(msg)
    return ext


def _new_figure(size):
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained")


def save_figure(fig, path: str, overwrite: bool = False, dpi: int = 150, quiet: bool = False):
    """Write ``fig`` to ``path`` atomically, in the format of its extension (png or pdf)."""
    from fits.plots import save_figure as save

    output_format(path)  # the CLI's own message for a bad extension
    final = save(fig, path, dpi=dpi, overwrite=overwrite)
    if not quiet:
        print(f"nugen: wrote {final}", file=sys.stderr)
    return final


def _model_text(model) -> str:
    text = rf"$M_N$ = {model.mass_MeV:g} MeV, $\mu$ = {model.mu_max:.2g} $\mu_B$"
    note = FLAVOUR_NOTE.get(model.flavour) if isinstance(model.flavour, str) else None
    return f"{text} ({note})" if note and model.flavour != "universal" else text


# -- run --------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    """Draw the requested figure and write it."""
    output_format(args.output)  # bad extension: fail before any work
    from nugen.outputs import check_output_path

    check_output_path(args.output, overwrite=args.overwrite)
    if args.plot_kind == "spectra":
        return _run_spectra(args)
    if args.plot_kind == "sensitivity":
        return _run_sensitivity(args)
    return _run_limits(args)


def spectrum_components(det, model, edges_MeV=None) -> tuple[dict, object]:
    """Components drawn by ``nugen plot spectra``: backgrounds, SM neutrinos, dipole, total; and the data.

    Returns ``(components, data)`` with ``components`` a dict label -> counts per bin (numpy arrays)
    and ``data`` the observed counts or ``None``.
    """
    import numpy as np

    counts = det.expected_counts(model, edges_MeV)
    comps: dict[str, np.ndarray] = {}
    bkg_names = [k for k in counts if k.startswith("bkg:")]
    sm_in_bkg = bool(getattr(det, "sm_in_background", False))
    for k in bkg_names:
        comps[f"background: {k[4:]}"] = counts[k]
    sm_label = "SM solar ν" + (" (contained in background)" if sm_in_bkg else "")
    comps[sm_label] = counts["sm_nu"]
    comps["dipole: " + _model_text(model)] = counts["dipole"]
    total = counts["dipole"] + (0.0 if sm_in_bkg else counts["sm_nu"])
    if "background" in counts:
        total = total + counts["background"]
    comps["total expected"] = total
    data = det.observed() if edges_MeV is None else None
    return comps, data


def _run_spectra(args) -> int:
    from detectors import get_detector
    from fits.plots import plot_recoil_spectrum
    from nugen.cli.common import ENERGY_UNITS_MEV

    model = model_from_args(args)
    settings = settings_for(args.settings, [args.detector])
    det = get_detector(args.detector, **settings.get(args.detector, {}))
    edges = parse_bins(args.bins, det.energy_unit) if args.bins is not None else None
    comps, data = spectrum_components(det, model, edges)
    e_MeV = det.analysis_edges_MeV() if edges is None else edges
    unit = det.energy_unit
    e = e_MeV / ENERGY_UNITS_MEV[unit]
    bkg = [k for k in comps if k.startswith("background")]
    styles = {
        k: {"color": BACKGROUND_COLOURS[i % len(BACKGROUND_COLOURS)], "linestyle": "--", "linewidth": 1.2}
        for i, k in enumerate(bkg)
    }
    styles.update({k: {"color": "#009E73", "linestyle": ":"} for k in comps if k.startswith("SM")})
    styles["total expected"] = {"color": "#D55E00", "linewidth": 2.0}
    fig = _new_figure((10.0, 5.0))
    ax = fig.add_subplot()
    plot_recoil_spectrum(
        ax,
        e,
        comps,
        None if args.no_data else data,
        energy_unit=unit,
        per_energy=args.per_energy,
        logy=args.logy,
        logx=args.logx,
        styles=styles,
        data_label=f"{det.title} data",
        legend={"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": 8, "frameon": False},
    )
    ax.set_title(args.title or f"{det.title}: {det.exposure_t_yr:g} {det.exposure_unit}", fontsize=10)
    save_figure(fig, args.output, args.overwrite, args.dpi, args.quiet)
    return 0


def limit_arrays(result) -> tuple:
    """``(mass, lower, upper)`` float arrays [MeV, mu_B, mu_B] of a :class:`fits.scan.ScanResult`.

    ``None`` (no sensitivity, no two-sided interval, failed point) becomes NaN, which leaves a gap.
    """
    return result.masses, result.column("mu_lower_muB"), result.column("mu_upper_muB")


def _run_limits(args) -> int:
    import numpy as np

    from detectors import get_detector
    from fits.cli.scan import parse_masses
    from fits.limits import check_cl
    from fits.plots import detector_label, plot_exclusion
    from fits.scan import scan

    cl = check_cl(args.cl)
    if args.region:
        from fits.cli.region import parse_cls

        parse_cls(args.region)  # bad CLs fail before the scan starts
    masses = parse_masses(args.masses, args.log)
    names = [n.strip() for n in args.detector.split(",")]
    if not all(names):
        msg = f"--detector needs comma-separated names, got {args.detector!r}"
        raise InvalidParameterError(msg)
    settings = settings_for(args.settings, names)
    for n in names:  # unknown names and bad settings fail before the scan starts
        get_detector(n, **settings.get(n, {}))
    results = scan(
        names,
        masses,
        args.flavour,
        cl=cl,
        settings=settings,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=False if args.quiet else None,
    )
    curves, preferred = {}, {}
    for res in results:
        m, lo, hi = limit_arrays(res)
        title = detector_label(res.detector)
        curves[title + (" (median expected)" if res.expected else "")] = (m, hi)
        if not args.no_intervals and np.isfinite(lo).any():
            preferred[f"{title}: {100 * cl:g}% CL interval"] = (m, lo, hi)
        if res.n_failed and not args.quiet:
            print(f"nugen: warning: {res.n_failed} {res.detector} point(s) failed (gaps)", file=sys.stderr)
    styles = {}
    confidence = _limit_regions(args, names, masses, settings, styles) if args.region else {}
    if confidence:
        preferred = {}  # the 2D regions replace the per-mass intervals
    fig = _new_figure((10.0, 5.6))
    ax = fig.add_subplot()
    flav = FLAVOUR_NOTE.get(args.flavour, args.flavour)
    plot_exclusion(
        ax,
        curves=curves,
        confidence_regions=confidence,
        styles=styles,
        preferred_region=preferred,
        bands=not args.no_bands,
        published=args.published,
        note=f"{flav}; computed limits at {100 * cl:g}% CL",
        xlim=mass_frame(masses),
    )
    if args.title:
        ax.set_title(args.title, fontsize=10)
    save_figure(fig, args.output, args.overwrite, args.dpi, args.quiet)
    return 0


def mass_frame(masses, frame: tuple[float, float] = (1e-2, 1e3)) -> tuple[float, float]:
    """The M_N axis range [MeV]: the seed's Fig. 3 frame, widened to every mass asked for.

    Accelerator limits (CHARM-II, NOMAD) reach GeV masses beyond the seed's 1 GeV edge.
    """
    import numpy as np

    m = np.asarray(masses, dtype=float)
    return (min(frame[0], float(m.min())), max(frame[1], float(m.max())))


def _limit_regions(args, names, masses, settings, styles) -> dict:
    """``--region``: label -> (M_N, lower, upper) of each detector's 2D region, larger CL first."""
    import numpy as np

    from detectors import get_detector
    from fits.cli.region import parse_cls
    from fits.plots import detector_label, region_band
    from fits.region import detector_region

    cls = parse_cls(args.region)
    out = {}
    colours = iter(REGION_COLOURS)
    for n in names:
        det = get_detector(n, **settings.get(n, {}))
        if det.observed() is None:
            if not args.quiet:
                print(
                    f"nugen: note: {n} has no data, so no confidence region is drawn for it", file=sys.stderr
                )
            continue
        res = detector_region(
            n,
            masses,
            args.flavour,
            cls=cls,
            dof=2,
            settings=settings.get(n, {}),
            workers=args.workers,
            scheduler=args.scheduler,
            progress=False if args.quiet else None,
        )
        colour = next(colours, "#8e44ad")
        for i, cl in enumerate(sorted(cls, reverse=True)):
            label = f"{detector_label(res.detector)}: {100 * cl:g}% CL region (2 dof)"
            band = region_band(res, cl, None, 1e-6)
            if np.isfinite(band[1]).any():
                out[label] = band
                alpha = 0.3 + 0.4 * i / max(len(cls) - 1, 1)  # the larger CL lighter, underneath
                styles[label] = {"facecolor": colour, "edgecolor": colour, "alpha": alpha}
        if not any(k.startswith(detector_label(res.detector) + ":") for k in out) and not args.quiet:
            print(
                f"nugen: note: the {n} region includes mu = 0 at every mass (nothing to fill)",
                file=sys.stderr,
            )
    return out


#: Fill colours of ``plot limits --region``, one per detector with a region (violet first, as the
#: XENON1T region of the seed's Fig. 3).
REGION_COLOURS = ("#8e44ad", "#1f78b4", "#e66101", "#33a02c")


#: Most exposures ``plot sensitivity`` draws as panels over M_N.
MAX_PANELS = 6


def load_sensitivity(path: str):
    """Read a ``nugen sensitivity --json`` file as a :class:`fits.sensitivity.SensitivityResult`.

    Raises
    ------
    InvalidParameterError
        If the file cannot be read, is not JSON, or is not a sensitivity document (naming the file).
    """
    import json

    from fits.sensitivity import SensitivityResult

    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as exc:
        msg = f"--input {path!r}: cannot read it ({exc.strerror})"
        raise InvalidParameterError(msg) from None
    except ValueError as exc:
        msg = f"--input {path!r} is not valid JSON ({exc})"
        raise InvalidParameterError(msg) from None
    try:
        return SensitivityResult.from_dict(doc)
    except InvalidParameterError as exc:
        msg = f"--input {path!r}: {exc}"
        raise InvalidParameterError(msg) from None


def _sensitivity_result(args):
    """The result to draw: read from ``--input`` or computed from the options."""
    if args.input is not None:
        ignored = [f"--{k}" for k in ("masses", "exposure", "toys", "discovery") if getattr(args, k)]
        if ignored:
            msg = f"--input {args.input!r} is drawn as it is; {', '.join(ignored)} need --detector instead"
            raise InvalidParameterError(msg)
        return load_sensitivity(args.input)
    if args.masses is None:
        msg = "plot sensitivity --detector needs --masses LO:HI:N"
        raise InvalidParameterError(msg)
    from fits.cli.scan import parse_masses
    from fits.cli.sensitivity import compute

    return compute(args, parse_masses(args.masses, args.log), progress=False if args.quiet else None)


def _run_sensitivity(args) -> int:
    import numpy as np

    from fits.plots import detector_label, plot_brazil_bands, plot_sensitivity_vs_exposure

    res = _sensitivity_result(args)
    if not res.points:
        msg = "the sensitivity result has no points to draw"
        raise InvalidParameterError(msg)
    exposures = res.exposures
    masses = sorted({p.mass_MeV for p in res.points})
    vs = args.vs
    if vs == "auto":
        vs = "exposure" if len(masses) == 1 and len(exposures) > 1 else "mass"
    if vs == "exposure" and len(exposures) < 2:
        msg = "--vs exposure needs at least two exposures (nugen sensitivity --exposure T1,T2,...)"
        raise InvalidParameterError(msg)
    if vs == "mass" and len(masses) < 2:
        msg = "a plot over M_N needs at least two masses (or use --vs exposure with several exposures)"
        raise InvalidParameterError(msg)
    if vs == "mass" and len(exposures) > MAX_PANELS:
        n = len(exposures)
        msg = f"{n} exposures would be {n} panels over M_N (at most {MAX_PANELS}); use --vs exposure"
        raise InvalidParameterError(msg)
    name = detector_label(res.detector)
    flav = res.flavour if isinstance(res.flavour, str) else "custom"
    how = f"{res.toys} toys per point" if res.method == "toys" else "asymptotic (Asimov)"
    note = f"{FLAVOUR_NOTE.get(flav, flav)}; {how}"
    legend = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "fontsize": 8, "frameon": False}
    if vs == "mass":
        fig = _new_figure((9.0, 1.0 + 3.6 * len(exposures)))
        axes = fig.subplots(len(exposures), 1, sharex=True, squeeze=False)[:, 0]
        for ax, T in zip(axes, exposures, strict=True):
            arr = res.arrays(res.select(exposure_t_yr=T))
            disc = {f"{z:g}": arr[f"Z{z:g}"] for z in (3, 5)} if res.discovery else None
            plot_brazil_bands(
                ax,
                arr["mass_MeV"],
                arr["median"],
                {k: arr[k] for k in ("-2", "-1", "+1", "+2")},
                discovery=disc,
                cl=res.cl,
                logx=bool(np.all(arr["mass_MeV"] > 0)),
                legend=legend if ax is axes[0] else False,
            )
            ax.set_title(f"{name}, exposure {T:g} t yr: expected sensitivity", fontsize=10)
            if ax is not axes[-1]:
                ax.set_xlabel("")
        axes[0].text(0.01, 0.98, note, transform=axes[0].transAxes, fontsize=8, ha="left", va="top")
    else:
        fig = _new_figure((9.0, 5.0))
        ax = fig.add_subplot()
        curves, disc = {}, {}
        for m in masses:
            pts = sorted(res.select(mass_MeV=m), key=lambda p: p.exposure_t_yr)
            arr = res.arrays(pts)
            label = f"$M_N$ = {m:g} MeV"
            curves[label] = (arr["median"], {k: arr[k] for k in ("-2", "-1", "+1", "+2")})
            if res.discovery:
                disc[label] = {f"{z:g}": arr[f"Z{z:g}"] for z in (3, 5)}
            x = arr["exposure_t_yr"]
        if len(curves) == 1:  # one mass: its value goes in the title, the legend says what is drawn
            (label,) = curves
            curves = {"": curves[label]}
            disc = {"": disc[label]} if disc else {}
            title = f"{name} at {label}: expected sensitivity vs exposure"
        else:
            title = f"{name}: expected sensitivity vs exposure"
        plot_sensitivity_vs_exposure(ax, x, curves, discovery=disc or None, cl=res.cl, legend=legend)
        ax.set_title(title, fontsize=10)
        ax.text(0.01, 0.02, note, transform=ax.transAxes, fontsize=8, ha="left", va="bottom")
    if args.title:
        fig.suptitle(args.title, fontsize=11)
    if res.n_failed and not args.quiet:
        print(f"nugen: warning: {res.n_failed} point(s) failed (gaps)", file=sys.stderr)
    save_figure(fig, args.output, args.overwrite, args.dpi, args.quiet)
    return 0
