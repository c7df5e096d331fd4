"""Figures of the dipole portal: recoil spectra (the seed's Fig. 2) and the exclusion plane (Fig. 3).

What to use when
----------------
* :func:`plot_recoil_spectrum` — expected counts per bin as step histograms (Standard-Model
  neutrinos, backgrounds, dipole signals, or any sums the caller forms) and observed counts with
  Garwood (central 68.27 %) Poisson error bars (:func:`garwood_interval`).
* :func:`plot_exclusion` — the (M_N [MeV], mu [mu_B]) plane on log–log axes: computed limit curves
  (XENON1T, Borexino, DARWIN, CHARM-II), preferred regions (filled between a lower and an upper edge),
  extra polygons, and the published astrophysical, cosmological and accelerator bands of
  Brdar, Greljo, Kopp, Opferkuch, JCAP 01 (2021) 039 [arXiv:2007.15563], Fig. 3 (:func:`reference_bands`),
  each with a legend label and a numbered citation in a caption.
* :func:`plot_brazil_bands` — expected sensitivity over M_N (:mod:`fits.sensitivity`): the median
  expected upper limit (dashed) with its ±1σ (green) and ±2σ (yellow) bands, optionally the median
  3σ/5σ discovery reach and an observed limit, on log–log axes.
* :func:`plot_sensitivity_vs_exposure` — the same quantities against the exposure at fixed M_N, with a
  reference slope (T^-1/4: a background-dominated counting experiment).

Every plot function takes ``ax`` (a :class:`matplotlib.axes.Axes`, or ``None`` for the current axes)
and returns a small frozen dataclass holding the artists it drew, so callers and tests can inspect or
restyle them (the pattern of ``pyhf.contrib.viz.brazil``). Nothing here computes physics: the numbers
come from :mod:`detectors` and :mod:`fits`, or from the packaged tables of :mod:`fits.data`.

Units: recoil energies in the caller's unit (``energy_unit``, keV for xenon); masses in MeV; magnetic
moments in Bohr magnetons with the normalisation of the seed's eq. (1).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.container import ErrorbarContainer
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, StepPatch
from matplotlib.text import Text
from numpy.typing import ArrayLike
from scipy.stats import chi2

from fits import data as _data
from nugen.errors import InvalidParameterError, UnknownNameError

__all__ = [
    "BAND_STYLES",
    "BRAZIL_COLOURS",
    "CURVE_STYLES",
    "DETECTOR_LABELS",
    "ONE_SIGMA",
    "BrazilArtists",
    "ExclusionArtists",
    "ReferenceBand",
    "SpectrumArtists",
    "detector_label",
    "garwood_interval",
    "plot_brazil_bands",
    "plot_exclusion",
    "plot_recoil_spectrum",
    "plot_sensitivity_vs_exposure",
    "reference_bands",
    "region_band",
    "save_figure",
    "save_figures",
]


def __dir__() -> list[str]:
    return __all__


#: Probability content of a central one-sigma Gaussian interval, 2 Phi(1) - 1.
ONE_SIGMA = 0.6826894921370859

#: Colour-blind-safe palette (Okabe & Ito, "Color Universal Design", 2008) for spectrum components.
_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")


# -- Poisson intervals ----------------------------------------------------------------------------
def garwood_interval(counts: ArrayLike, cl: float = ONE_SIGMA) -> tuple[np.ndarray, np.ndarray]:
    """Central (Garwood) confidence interval on the mean of a Poisson variable.

    ``lo = chi2.ppf((1 - cl)/2, 2n) / 2`` (0 for n = 0) and ``hi = chi2.ppf((1 + cl)/2, 2(n + 1)) / 2``;
    F. Garwood, Biometrika 28 (1936) 437; the same formula as ``hist.intervals.poisson_interval``
    and the Review of Particle Physics, chapter "Statistics" (Poisson confidence intervals).

    Parameters
    ----------
    counts : array_like
        Observed counts n >= 0 (integers; non-integer values are accepted and used as such).
    cl : float
        Coverage of the central interval, in (0, 1); default one Gaussian sigma (68.27 %).

    Returns
    -------
    lo, hi : numpy.ndarray
        Lower and upper ends of the interval [events], same shape as ``counts``.

    Raises
    ------
    InvalidParameterError
        If ``cl`` is not in (0, 1) or a count is negative or not finite.

    Examples
    --------
    >>> lo, hi = garwood_interval([0, 1, 10])
    >>> [round(float(v), 2) for v in hi]
    [1.84, 3.3, 14.27]
    """
    cl = float(cl)
    if not 0.0 < cl < 1.0:
        msg = f"cl must be in (0, 1), got {cl!r}"
        raise InvalidParameterError(msg)
    n = np.asarray(counts, dtype=float)
    if not np.all(np.isfinite(n)) or np.any(n < 0):
        msg = f"counts must be finite and >= 0, got {np.asarray(counts)!r}"
        raise InvalidParameterError(msg)
    alpha = 1.0 - cl
    with np.errstate(invalid="ignore"):
        lo = np.where(n > 0, 0.5 * chi2.ppf(0.5 * alpha, 2.0 * n), 0.0)
    hi = 0.5 * chi2.ppf(1.0 - 0.5 * alpha, 2.0 * (n + 1.0))
    return lo, hi


# -- recoil spectra ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpectrumArtists:
    """Artists drawn by :func:`plot_recoil_spectrum`.

    Attributes
    ----------
    ax : matplotlib.axes.Axes
        The axes drawn on.
    components : dict of str to matplotlib.patches.StepPatch
        One step histogram per component, keyed by the component's label.
    data : matplotlib.container.ErrorbarContainer or None
        The observed counts with their error bars.
    data_interval : tuple of numpy.ndarray or None
        ``(lo, hi)`` Garwood interval of each data point, in the plotted units (per bin or per unit energy).
    legend : matplotlib.legend.Legend or None
        The legend.
    """

    ax: Axes
    components: dict[str, StepPatch]
    data: ErrorbarContainer | None = None
    data_interval: tuple[np.ndarray, np.ndarray] | None = None
    legend: Legend | None = None


def _get_ax(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def _check_edges(edges: ArrayLike) -> np.ndarray:
    e = np.asarray(edges, dtype=float)
    if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
        msg = f"edges must be a finite, increasing 1-d array of >= 2 values, got {np.asarray(edges)!r}"
        raise InvalidParameterError(msg)
    return e


def _check_values(name: str, values: ArrayLike, nbins: int) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.shape != (nbins,):
        msg = f"{name!r} has shape {v.shape}, expected ({nbins},) to match the {nbins + 1} bin edges"
        raise InvalidParameterError(msg)
    return v


def plot_recoil_spectrum(
    ax: Axes | None,
    edges: ArrayLike,
    components: Mapping[str, ArrayLike],
    data: ArrayLike | None = None,
    *,
    energy_unit: str = "keV",
    energy_label: str = "Observed energy",
    per_energy: bool = False,
    logy: bool = False,
    logx: bool = False,
    styles: Mapping[str, Mapping] | None = None,
    data_label: str = "Data",
    cl: float = ONE_SIGMA,
    xerr: bool = False,
    legend: bool | Mapping = True,
) -> SpectrumArtists:
    """Draw expected counts per bin as step histograms and observed counts with Poisson error bars.

    Components are drawn as given, one step line each (no implicit stacking): to show a total
    prediction, pass it as its own component (e.g. ``{"B0": b, "B0 + dipole": b + s}``).

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axes to draw on (``None``: the current axes of :mod:`matplotlib.pyplot`).
    edges : array_like
        Bin edges [``energy_unit``], n + 1 strictly increasing values.
    components : mapping of str to array_like
        Legend label -> expected events per bin (n values), drawn in the mapping's order.
    data : array_like or None
        Observed events per bin (n values); drawn at bin centres with central Garwood intervals of
        coverage ``cl`` as vertical error bars.
    energy_unit : str
        Unit of ``edges``, used in the axis labels.
    energy_label : str
        Name of the energy axis (e.g. ``"Observed energy"`` or ``"True recoil energy"``).
    per_energy : bool
        Divide every value (and error bar) by the bin width: events per ``energy_unit`` instead of per bin.
    logy, logx : bool
        Logarithmic count / energy axis.
    styles : mapping of str to mapping, optional
        Extra keyword arguments for :meth:`~matplotlib.axes.Axes.stairs`, per component label
        (e.g. ``{"B0": {"color": "k", "linestyle": ":"}}``).
    data_label : str
        Legend label of the data.
    cl : float
        Coverage of the data error bars (default 68.27 %).
    xerr : bool
        Also draw horizontal bars spanning each bin.
    legend : bool or mapping
        Draw a legend (a mapping is passed to :meth:`~matplotlib.axes.Axes.legend`).

    Returns
    -------
    SpectrumArtists
        The step patches (``StepPatch.get_data()`` gives the plotted values and edges), the error-bar
        container, the data intervals and the legend.

    Raises
    ------
    InvalidParameterError
        If the edges are not increasing, a component or the data has the wrong length, or data are
        negative.
    """
    ax = _get_ax(ax)
    e = _check_edges(edges)
    nb = e.size - 1
    width = np.diff(e) if per_energy else np.ones(nb)
    styles = styles or {}
    colours = itertools.cycle(_PALETTE)
    steps: dict[str, StepPatch] = {}
    for label, values in components.items():
        v = _check_values(label, values, nb) / width
        kw = {"color": next(colours), "linewidth": 1.6, "baseline": None, "fill": False}
        kw.update(styles.get(label, {}))
        steps[label] = ax.stairs(v, e, label=label, **kw)
    container = None
    interval = None
    if data is not None:
        n = _check_values("data", data, nb)
        lo, hi = garwood_interval(n, cl)
        centres = 0.5 * (e[:-1] + e[1:])
        y = n / width
        interval = (lo / width, hi / width)
        yerr = np.vstack([y - interval[0], interval[1] - y])
        container = ax.errorbar(
            centres,
            y,
            yerr=yerr,
            xerr=0.5 * np.diff(e) if xerr else None,
            fmt="o",
            color="black",
            markersize=3.5,
            elinewidth=1.0,
            capsize=0,
            label=f"{data_label} (Garwood {100 * cl:.1f}% CL)" if data_label else None,
            zorder=5,
        )
    ax.set_xlabel(f"{energy_label} [{energy_unit}]")
    ax.set_ylabel(f"Events / {energy_unit}" if per_energy else "Events / bin")
    if logy:
        ax.set_yscale("log")
        # keep components that fall steeply (a background far outside its energy range) from
        # stretching the axis over many decades: show from 1/5 of the smallest data point (or 1e-4 of
        # the largest value) up
        shown = [np.asarray(s.get_data().values) for s in steps.values()]
        if container is not None:
            shown.append(n / width)
        top = max((float(np.max(v)) for v in shown if v.size and np.max(v) > 0), default=1.0)
        floor = 1e-4 * top
        if container is not None and np.any(n > 0):
            floor = min(floor, float(np.min((n / width)[n > 0])) / 5)
        ax.set_ylim(floor, 3 * top)
    if logx:
        ax.set_xscale("log")
    ax.set_xlim(e[0], e[-1])
    leg = None
    if legend:
        leg = ax.legend(**(dict(legend) if isinstance(legend, Mapping) else {"frameon": False}))
    return SpectrumArtists(ax=ax, components=steps, data=container, data_interval=interval, legend=leg)


# -- reference bands --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReferenceBand:
    """A published curve or region on the (M_N, mu) plane, loaded from :mod:`fits.data`.

    Attributes
    ----------
    key : str
        File stem, e.g. ``"brdar2020_fig3_bbn_he4"``.
    label : str
        Legend text.
    citation : str
        Short citation (authors, journal, figure).
    source : str
        Full citation of the publication.
    provenance : str
        How and from where the numbers were digitised.
    shape : {"region", "outline", "curve"}
        ``region``: closed polygon(s), filled; ``outline``: closed polygon(s) drawn as a line;
        ``curve``: open polyline(s).
    cl : str
        Confidence level as stated by the source (``"90%"``), or ``""``.
    pieces : tuple of (numpy.ndarray, numpy.ndarray)
        ``(M_N [MeV], mu [mu_B])`` vertices of each separately drawn piece.
    """

    key: str
    label: str
    citation: str
    source: str
    provenance: str
    shape: str
    cl: str
    pieces: tuple[tuple[np.ndarray, np.ndarray], ...] = field(repr=False)

    @property
    def closed(self) -> bool:
        """True if every piece ends on its first vertex (closed polygon)."""
        return all(m.size > 2 and m[0] == m[-1] and mu[0] == mu[-1] for m, mu in self.pieces)


@functools.cache
def _load_band(filename: str) -> ReferenceBand:
    t = _data.read(filename)
    shape = (t.meta("shape") or "curve").split()[0]
    if shape not in ("region", "outline", "curve"):
        msg = f"data table {t.name!r}: unknown shape {shape!r}; expected region, outline or curve"
        raise InvalidParameterError(msg)
    piece = t["piece"]
    pieces = []
    for p in np.unique(piece):
        sel = piece == p
        m, mu = t["M_N_MeV"][sel], t["mu_muB"][sel]
        m.setflags(write=False)
        mu.setflags(write=False)
        pieces.append((m, mu))
    return ReferenceBand(
        key=filename.removesuffix(".csv"),
        label=t.meta("label") or filename,
        citation=t.meta("cite") or "",
        source=_data.header_field(t, "source") or "",
        provenance=_data.header_field(t, "provenance") or "",
        shape=shape,
        cl=t.meta("cl") or "",
        pieces=tuple(pieces),
    )


def reference_bands(published: bool = False) -> dict[str, ReferenceBand]:
    """Load the packaged reference bands of the exclusion plane (nu_mu coupling only).

    Parameters
    ----------
    published : bool
        Return the published direct-detection curves of Brdar et al. Fig. 3 (XENON1T electron recoils
        with free tritium, Borexino) instead of the astrophysical, cosmological and accelerator bands.

    Returns
    -------
    dict of str to ReferenceBand
        Keyed by file stem, in drawing order (see :data:`fits.data.BAND_FILES`).
    """
    files = _data.PUBLISHED_FILES if published else _data.BAND_FILES
    bands = (_load_band(f) for f in files)
    return {b.key: b for b in bands}


#: Drawing style per reference band (colours after Brdar et al. Fig. 3).
BAND_STYLES: dict[str, dict] = {
    "brdar2020_fig3_cmb_dneff_0p05": {"facecolor": "#cfe3f3", "edgecolor": "#3b7fc4", "linestyle": "--"},
    "brdar2020_fig3_cmb_dneff_0p3": {"facecolor": "#86b6e0", "edgecolor": "#2c6fb0", "linestyle": "-"},
    "brdar2020_fig3_bbn_he4": {"facecolor": "#f6b8a8", "edgecolor": "#c0392b", "linestyle": "-"},
    "brdar2020_fig3_stellar_cooling": {"facecolor": "#c9c3ea", "edgecolor": "#6f5fb8", "linestyle": "-"},
    "brdar2020_fig3_miniboone_exclusion": {"facecolor": "#d9d9d9", "edgecolor": "#8c8c8c", "linestyle": "-"},
    "coloma2017_nomad": {"facecolor": "#c4c4c4", "edgecolor": "#737373", "linestyle": "-"},
    "brdar2020_fig3_sn1987a": {"color": "#555555", "linestyle": "--", "linewidth": 1.4},
    "brdar2020_fig3_icecube_sensitivity": {
        "color": "#8c8c8c",
        "linestyle": (0, (4, 2, 1, 2)),
        "linewidth": 1.2,
    },
    "brdar2020_fig3_miniboone_roi": {"color": "#1a9850", "linestyle": "-", "linewidth": 1.4},
    "brdar2020_fig3_xenon1t_er_published": {"color": "#b8860b", "linestyle": "--", "linewidth": 1.0},
    "brdar2020_fig3_borexino_published": {"color": "#b8860b", "linestyle": "-", "linewidth": 1.0},
    "brdar2020_fig3_xenon1t_nr_published": {"color": "#b8860b", "linestyle": "-.", "linewidth": 1.0},
}

#: Short names of the registered detectors for legends.
DETECTOR_LABELS: dict[str, str] = {
    "xenon1t": "XENON1T",
    "borexino": "Borexino",
    "darwin": "DARWIN",
    "charm2": "CHARM-II",
    "nomad": "NOMAD (computed)",
    "lsnd": "LSND (computed, nu_e)",
    "miniboone": "MiniBooNE (computed)",
    "xenonnt": "XENONnT",
    "xenon1t_nr": "XENON1T nuclear recoils",
    "xenonnt_nr": "XENONnT nuclear recoils",
    "lz": "LZ",
    "pandax4t": "PandaX-4T",
    "xlzd": "XLZD",
}


def detector_label(name: str) -> str:
    """Short legend name of detector ``name`` (the name itself if not registered here)."""
    return DETECTOR_LABELS.get(name, name)


#: Default styles of computed curves, chosen by the detector name found in the curve's label
#: (the seed's Fig. 3: XENON1T dashed, Borexino solid, DARWIN dotted, all black).
CURVE_STYLES: dict[str, dict] = {
    "nuclear": {"color": "black", "linestyle": "-", "linewidth": 1.4},  # before "xenon1t": first match wins
    "xenon1t": {"color": "black", "linestyle": "--", "linewidth": 2.0},
    "borexino": {"color": "black", "linestyle": "-", "linewidth": 2.0},
    "darwin": {"color": "black", "linestyle": ":", "linewidth": 2.2},
    "charm": {"color": "#404040", "linestyle": "-.", "linewidth": 1.8},
    "nomad": {"color": "#404040", "linestyle": "--", "linewidth": 1.8},  # the published NOMAD band is grey
    "lsnd": {"color": "#8c510a", "linestyle": "-.", "linewidth": 1.8},
    "miniboone": {"color": "#1a9850", "linestyle": "--", "linewidth": 1.8},  # green like the excess region
    # today's and tomorrow's experiments (not in the seed): coloured, dotted when projected
    "xenonnt": {"color": "#00796b", "linestyle": "-", "linewidth": 2.2},
    "xlzd": {"color": "#542788", "linestyle": ":", "linewidth": 2.4},  # before "lz": first match wins
    "lz": {"color": "#c51b7d", "linestyle": "-", "linewidth": 2.2},
    "pandax": {"color": "#e08214", "linestyle": "-", "linewidth": 2.2},
}


# -- exclusion plane --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExclusionArtists:
    """Artists drawn by :func:`plot_exclusion`.

    Attributes
    ----------
    ax : matplotlib.axes.Axes
        The axes drawn on.
    curves : dict of str to matplotlib.lines.Line2D
        Computed limit curves, keyed by label (``Line2D.get_data()`` gives M_N [MeV] and mu [mu_B]).
    preferred : dict of str to matplotlib.patches.Polygon
        Preferred regions (filled between lower and upper edges), keyed by label; one polygon per
        label (vertices: the lower edge left to right, then the upper edge right to left).
    regions : dict of str to matplotlib.patches.Polygon
        Extra closed polygons passed in ``regions``.
    confidence : dict of str to list of matplotlib.patches.Polygon
        Confidence regions passed in ``confidence_regions``, one polygon per contiguous run of masses.
    bands : dict of str to list of matplotlib.artist.Artist
        Reference bands drawn, keyed by band key (polygons for regions/outlines, lines for curves).
    band_info : dict of str to ReferenceBand
        The bands drawn, with their labels and citations.
    citations : dict of str to int
        Short citation -> reference number used in the legend labels and the caption.
    legend : matplotlib.legend.Legend or None
        The legend.
    caption : matplotlib.text.Text or None
        The numbered list of citations.
    """

    ax: Axes
    curves: dict[str, Line2D]
    preferred: dict[str, Polygon]
    regions: dict[str, Polygon]
    bands: dict[str, list[Artist]]
    band_info: dict[str, ReferenceBand]
    citations: dict[str, int]
    legend: Legend | None = None
    caption: Text | None = None
    confidence: dict[str, list[Polygon]] = field(default_factory=dict)


def _curve_style(label: str, styles: Mapping[str, Mapping], fallback: dict) -> dict:
    if label in styles:
        return {**fallback, **styles[label]}
    low = label.lower()
    for key, st in CURVE_STYLES.items():
        if key in low:
            return dict(st)
    return fallback


def _xy(name: str, values: Sequence[ArrayLike], n: int) -> list[np.ndarray]:
    if len(values) != n:
        msg = f"{name!r} must be a tuple of {n} arrays, got {len(values)}"
        raise InvalidParameterError(msg)
    arrs = [np.asarray(v, dtype=float) for v in values]
    if any(a.ndim != 1 or a.shape != arrs[0].shape for a in arrs):
        msg = f"{name!r}: arrays must be 1-d and of equal length, got shapes {[a.shape for a in arrs]}"
        raise InvalidParameterError(msg)
    return arrs


def _band_polygons(m: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[np.ndarray]:
    """Closed polygons (lower edge out, upper edge back), one per contiguous run of valid masses."""
    ok = np.isfinite(m) & np.isfinite(lo) & np.isfinite(hi) & (lo > 0) & (hi >= lo)
    idx = np.flatnonzero(ok)
    runs = np.split(idx, np.flatnonzero(np.diff(idx) != 1) + 1) if idx.size else []
    return [
        np.column_stack(
            [np.concatenate([m[r], m[r][::-1], m[r][:1]]), np.concatenate([lo[r], hi[r][::-1], lo[r][:1]])]
        )
        for r in runs
    ]


def _preferred_polygon(m: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray | None:
    # keep the first contiguous run of valid masses (a preferred region that closes and reopens is
    # drawn only up to where it first closes)
    polys = _band_polygons(m, lo, hi)
    return polys[0] if polys else None


def region_band(result, cl: float, floor_muB: float | None, ceiling_muB: float) -> tuple[np.ndarray, ...]:
    """``(M_N, lower, upper)`` [MeV, mu_B, mu_B] of a confidence region, ready for drawing.

    Parameters
    ----------
    result : fits.region.RegionResult
        The region (anything with ``masses`` and ``edges(cl)``).
    cl : float
        One of the result's confidence levels.
    floor_muB : float or None
        A lower edge at mu = 0 is drawn at ``floor_muB`` (log axes; use the axis limit); ``None`` leaves
        such masses out (a gap): there the region only says what the upper-limit curve says, and the
        filled area shows where the data prefer mu > 0 (the seed's violet XENON1T region).
    ceiling_muB : float
        An open upper edge (no edge within the reach) is drawn here (use the axis limit).

    Returns
    -------
    tuple of numpy.ndarray
        Masses and edges; NaN where the region does not reach a mass (a gap).
    """
    lo, hi = result.edges(cl)
    reaches_zero = np.isfinite(lo) & (lo <= (0.0 if floor_muB is None else floor_muB))
    lo = np.where(reaches_zero, np.nan if floor_muB is None else floor_muB, lo)
    hi = np.where(np.isposinf(hi), ceiling_muB, hi)
    return np.asarray(result.masses, dtype=float), lo, hi


def _select_bands(bands: bool | Sequence[str]) -> dict[str, ReferenceBand]:
    if bands is False or bands is None:
        return {}
    allb = reference_bands()
    if bands is True:
        return allb
    out = {}
    for k in bands:
        if k not in allb:
            raise UnknownNameError("reference band", k, allb)
        out[k] = allb[k]
    return out


def plot_exclusion(
    ax: Axes | None = None,
    curves: Mapping[str, tuple[ArrayLike, ArrayLike]] | None = None,
    regions: Mapping[str, tuple[ArrayLike, ArrayLike]] | None = None,
    preferred_region: Mapping[str, tuple[ArrayLike, ArrayLike, ArrayLike]] | None = None,
    bands: bool | Sequence[str] = True,
    *,
    confidence_regions: Mapping[str, tuple[ArrayLike, ArrayLike, ArrayLike]] | None = None,
    published: bool = False,
    styles: Mapping[str, Mapping] | None = None,
    xlim: tuple[float, float] = (1e-2, 1e3),
    ylim: tuple[float, float] = (2e-13, 1e-7),
    note: str | None = r"$\nu_\mu$ coupling only; all limits at 90% CL",
    legend: bool | Mapping = True,
    caption: bool = True,
) -> ExclusionArtists:
    """Draw the exclusion plane (M_N [MeV], mu [mu_B]) on log–log axes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axes to draw on (``None``: the current axes).
    curves : mapping of str to (array_like, array_like), optional
        Legend label -> ``(M_N [MeV], mu [mu_B])`` of a computed upper-limit or sensitivity curve.
        Non-finite mu (no sensitivity at that mass) leaves a gap. Styles default by the detector name
        in the label (:data:`CURVE_STYLES`: XENON1T dashed, Borexino solid, DARWIN dotted, black).
    regions : mapping of str to (array_like, array_like), optional
        Legend label -> closed polygon ``(M_N, mu)`` (e.g. a computed excluded region), filled.
    preferred_region : mapping of str to (array_like, array_like, array_like), optional
        Legend label -> ``(M_N, mu_lower, mu_upper)``: a preferred (two-sided) region, filled between
        the edges where both are finite and positive (e.g. XENON1T with background B0 only).
    confidence_regions : mapping of str to (array_like, array_like, array_like), optional
        Legend label -> ``(M_N, mu_lower, mu_upper)`` of a 2D confidence region
        (:func:`region_band` of a :class:`fits.region.RegionResult`), filled between the edges; every
        contiguous run of masses is drawn (a region may have islands). Give the larger CL first: it is
        drawn lighter and underneath (default alpha 0.35, then 0.7).
    bands : bool or sequence of str
        Overlay the published bands of :func:`reference_bands` (all, none, or the given keys).
    published : bool
        Also draw the published XENON1T and Borexino curves of Brdar et al. Fig. 3 (thin lines).
    styles : mapping of str to mapping, optional
        Keyword arguments per curve/region label or band key, overriding the defaults.
    xlim, ylim : tuple of float
        Axis ranges [MeV], [mu_B] (default: the frame of Brdar et al. Fig. 3).
    note : str or None
        Text written in the lower-left corner of the axes.
    legend : bool or mapping
        Draw a legend outside the axes on the right (a mapping overrides the legend keywords).
    caption : bool
        Write the numbered citations of the bands below the legend.

    Returns
    -------
    ExclusionArtists
        Every artist drawn, keyed by label, plus the citation numbering.

    Raises
    ------
    InvalidParameterError
        If a curve or region is not a pair (or triple) of equal-length 1-d arrays.
    UnknownNameError
        If ``bands`` names an unknown band.
    """
    ax = _get_ax(ax)
    styles = styles or {}
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)

    band_info = _select_bands(bands)
    if published:
        band_info.update(reference_bands(published=True))
    citations: dict[str, int] = {}
    band_artists: dict[str, list[Artist]] = {}
    for z, (key, band) in enumerate(band_info.items()):
        ref = citations.setdefault(band.citation, len(citations) + 1)
        label = f"{band.label} [{ref}]"
        st = {**BAND_STYLES.get(key, {}), **styles.get(key, {})}
        arts: list[Artist] = []
        for i, (m, mu) in enumerate(band.pieces):
            lab = label if i == 0 else None
            if band.shape == "region":
                kw = {"alpha": 0.75, "linewidth": 1.0, "zorder": 1 + 0.01 * z}
                kw.update(st)
                poly = Polygon(np.column_stack([m, mu]), closed=True, label=lab, **kw)
                arts.append(ax.add_patch(poly))
            elif band.shape == "outline":
                kw = {"fill": False, "zorder": 3, **st}
                kw.setdefault("edgecolor", kw.pop("color", "gray"))
                poly = Polygon(np.column_stack([m, mu]), closed=True, label=lab, **kw)
                arts.append(ax.add_patch(poly))
            else:
                (line,) = ax.plot(m, mu, label=lab, **{"zorder": 3, **st})
                arts.append(line)
        band_artists[key] = arts

    region_artists: dict[str, Polygon] = {}
    for label, val in (regions or {}).items():
        m, mu = _xy(label, val, 2)
        kw = {"facecolor": "#9e9e9e", "edgecolor": "#4d4d4d", "alpha": 0.6, "zorder": 2}
        kw.update(styles.get(label, {}))
        poly = Polygon(np.column_stack([m, mu]), closed=True, label=label, **kw)
        region_artists[label] = ax.add_patch(poly)

    pref_artists: dict[str, Polygon] = {}
    for label, val in (preferred_region or {}).items():
        m, lo, hi = _xy(label, val, 3)
        verts = _preferred_polygon(m, lo, hi)
        if verts is None:
            continue
        kw = {"facecolor": "#8e44ad", "edgecolor": "#5b2c6f", "alpha": 0.7, "linewidth": 1.0, "zorder": 4}
        kw.update(styles.get(label, {}))
        pref_artists[label] = ax.add_patch(Polygon(verts, closed=True, label=label, **kw))

    conf_artists: dict[str, list[Polygon]] = {}
    for i, (label, val) in enumerate((confidence_regions or {}).items()):
        m, lo, hi = _xy(label, val, 3)
        kw = {"facecolor": "#8e44ad", "edgecolor": "#5b2c6f", "alpha": 0.35 if i == 0 else 0.7}
        kw.update({"linewidth": 0.8, "zorder": 4 + 0.01 * i, **styles.get(label, {})})
        conf_artists[label] = [
            ax.add_patch(Polygon(v, closed=True, label=label if j == 0 else None, **kw))
            for j, v in enumerate(_band_polygons(m, lo, hi))
        ]

    curve_artists: dict[str, Line2D] = {}
    fallback = itertools.cycle(_PALETTE)
    for label, val in (curves or {}).items():
        m, mu = _xy(label, val, 2)
        st = _curve_style(label, styles, {"color": next(fallback), "linewidth": 2.0})
        (line,) = ax.plot(m, mu, label=label, **{"zorder": 6, **st})
        curve_artists[label] = line

    ax.set_xlabel(r"Right-handed neutrino mass $M_N$ [MeV]")
    ax.set_ylabel(r"Magnetic moment $\mu_\nu$ [$\mu_B$]")
    ax.grid(True, which="major", linewidth=0.3, alpha=0.5)
    if note:
        ax.text(0.01, 0.01, note, transform=ax.transAxes, fontsize=8, ha="left", va="bottom", zorder=10)

    leg = None
    if legend:
        handles, labels = ax.get_legend_handles_labels()
        handles = [_legend_handle(h) for h in handles]
        kw = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "fontsize": 8, "frameon": False}
        if isinstance(legend, Mapping):
            kw.update(legend)
        leg = ax.legend(handles, labels, **kw)
    cap = None
    if caption and citations:
        text = "\n".join(f"[{n}] {c}" for c, n in citations.items())
        cap = ax.text(
            1.02, 0.0, text, transform=ax.transAxes, fontsize=6.5, ha="left", va="bottom", wrap=False
        )
    return ExclusionArtists(
        ax=ax,
        curves=curve_artists,
        preferred=pref_artists,
        regions=region_artists,
        bands=band_artists,
        band_info=dict(band_info),
        citations=citations,
        legend=leg,
        caption=cap,
        confidence=conf_artists,
    )


# -- expected sensitivity (Brazil bands) --------------------------------------------------------------
#: Fill colours of the expected-limit bands: ±1σ green, ±2σ yellow (the usual "Brazil" plot).
BRAZIL_COLOURS = {"1": "#2eb82e", "2": "#ffdf1a"}


@dataclass(frozen=True)
class BrazilArtists:
    """Artists drawn by :func:`plot_brazil_bands` and :func:`plot_sensitivity_vs_exposure`.

    Attributes
    ----------
    ax : matplotlib.axes.Axes
        The axes drawn on.
    median : dict of str to matplotlib.lines.Line2D
        Median expected limit per curve label (dashed).
    one_sigma, two_sigma : dict of str to matplotlib.collections.PolyCollection
        The ±1σ and ±2σ bands per curve label (missing where not drawn).
    discovery : dict of str to matplotlib.lines.Line2D
        Median discovery reach lines, keyed ``"3"``, ``"5"`` (or ``"<label> 3"`` for several curves).
    observed : matplotlib.lines.Line2D or None
        An observed limit, if given.
    reference : matplotlib.lines.Line2D or None
        The reference slope (:func:`plot_sensitivity_vs_exposure`).
    legend : matplotlib.legend.Legend or None
        The legend.
    """

    ax: Axes
    median: dict[str, Line2D]
    one_sigma: dict[str, Artist] = field(default_factory=dict)
    two_sigma: dict[str, Artist] = field(default_factory=dict)
    discovery: dict[str, Line2D] = field(default_factory=dict)
    observed: Line2D | None = None
    reference: Line2D | None = None
    legend: Legend | None = None


def _band_arrays(x: ArrayLike, median: ArrayLike, bands: Mapping[str, ArrayLike] | None):
    xs = np.asarray(x, dtype=float)
    med = np.asarray(median, dtype=float)
    if xs.ndim != 1 or med.shape != xs.shape:
        msg = f"x and median must be 1-d arrays of equal length, got shapes {xs.shape} and {med.shape}"
        raise InvalidParameterError(msg)
    out = {}
    for k, v in (bands or {}).items():
        if k not in ("-2", "-1", "+1", "+2"):
            msg = f"band keys are '-2', '-1', '+1', '+2', got {k!r}"
            raise InvalidParameterError(msg)
        a = np.asarray(v, dtype=float)
        if a.shape != xs.shape:
            msg = f"band {k!r} has shape {a.shape}, expected {xs.shape}"
            raise InvalidParameterError(msg)
        out[k] = a
    order = np.argsort(xs, kind="stable")
    return xs[order], med[order], {k: a[order] for k, a in out.items()}


def _draw_bands(ax, x, med, bands, *, label, colour, fill_alpha, one_label, two_label):
    """Draw ±2σ then ±1σ fills and the median; returns (median line, one-sigma fill, two-sigma fill)."""
    fills = {}
    for n, lab in (("2", two_label), ("1", one_label)):
        lo, hi = bands.get(f"-{n}"), bands.get(f"+{n}")
        if lo is None or hi is None:
            continue
        ok = np.isfinite(lo) & np.isfinite(hi) & (lo > 0)
        kw = {"linewidth": 0, "zorder": 2 if n == "2" else 3}
        if colour is None:
            kw["facecolor"] = BRAZIL_COLOURS[n]
        else:
            kw.update(facecolor=colour, alpha=fill_alpha * (0.5 if n == "2" else 1.0))
        fills[n] = ax.fill_between(x, lo, hi, where=ok, interpolate=False, label=lab, **kw)
    (line,) = ax.plot(
        x,
        med,
        linestyle="--",
        color="black" if colour is None else colour,
        linewidth=1.8,
        label=label,
        zorder=5,
    )
    return line, fills.get("1"), fills.get("2")


def plot_brazil_bands(
    ax: Axes | None,
    mass_MeV: ArrayLike,
    median: ArrayLike,
    bands: Mapping[str, ArrayLike] | None = None,
    *,
    discovery: Mapping[str, ArrayLike] | None = None,
    observed: ArrayLike | None = None,
    cl: float = 0.9,
    label: str | None = None,
    logx: bool = True,
    logy: bool = True,
    xlabel: str = r"Right-handed neutrino mass $M_N$ [MeV]",
    ylabel: str = r"Magnetic moment $\mu_\nu$ [$\mu_B$]",
    legend: bool | Mapping = True,
) -> BrazilArtists:
    """Draw the expected upper limit over M_N: median (dashed), ±1σ (green) and ±2σ (yellow) bands.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axes to draw on (``None``: the current axes).
    mass_MeV : array_like
        M_N [MeV] (sorted here).
    median : array_like
        Median expected limit [mu_B]; NaN leaves a gap (no sensitivity).
    bands : mapping of str to array_like, optional
        ``{"-2", "-1", "+1", "+2"}`` -> band edges [mu_B] (:meth:`fits.sensitivity.SensitivityResult.arrays`).
    discovery : mapping of str to array_like, optional
        Significance (``"3"``, ``"5"``) -> mu of that median discovery significance [mu_B], drawn as
        dash-dotted / dotted lines.
    observed : array_like, optional
        An observed limit [mu_B] at the same masses (solid black).
    cl : float
        Confidence level, for the labels.
    label : str, optional
        Legend label of the median (default ``"median expected (CL)"``).
    logx, logy : bool
        Logarithmic axes (default both; masses <= 0 are then not shown).
    xlabel, ylabel : str
        Axis labels.
    legend : bool or mapping
        Draw a legend (a mapping is passed to :meth:`~matplotlib.axes.Axes.legend`).

    Returns
    -------
    BrazilArtists
    """
    ax = _get_ax(ax)
    x, med, bds = _band_arrays(mass_MeV, median, bands)
    order = np.argsort(np.asarray(mass_MeV, dtype=float), kind="stable")
    lab = label or f"median expected {100 * cl:g}% CL upper limit"
    line, one, two = _draw_bands(
        ax,
        x,
        med,
        bds,
        label=lab,
        colour=None,
        fill_alpha=1.0,
        one_label=r"expected $\pm 1\sigma$",
        two_label=r"expected $\pm 2\sigma$",
    )
    disc = {}
    for (z, values), ls in zip((discovery or {}).items(), ("-.", ":", (0, (5, 1, 1, 1))), strict=False):
        d = np.asarray(values, dtype=float)
        if d.shape != x.shape:
            msg = f"discovery {z!r} has shape {d.shape}, expected {x.shape}"
            raise InvalidParameterError(msg)
        (disc[z],) = ax.plot(
            x, d[order], color="#c0392b", linestyle=ls, linewidth=1.5, label=rf"median {z}$\sigma$ discovery"
        )
    obs = None
    if observed is not None:
        o = np.asarray(observed, dtype=float)
        if o.shape != x.shape:
            msg = f"observed has shape {o.shape}, expected {x.shape}"
            raise InvalidParameterError(msg)
        (obs,) = ax.plot(
            x, o[order], color="black", linewidth=2.0, label=f"observed {100 * cl:g}% CL", zorder=6
        )
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    _limits_x(ax, x, logx)
    if logx:  # labelled minor ticks of a short log range run into each other
        from matplotlib.ticker import NullFormatter

        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", linewidth=0.3, alpha=0.5)
    leg = _brazil_legend(ax, legend, [a for a in (line, one, two) if a is not None])
    return BrazilArtists(
        ax=ax,
        median={lab: line},
        one_sigma={lab: one} if one is not None else {},
        two_sigma={lab: two} if two is not None else {},
        discovery=disc,
        observed=obs,
        legend=leg,
    )


def _brazil_legend(ax: Axes, legend: bool | Mapping, first: Sequence[Artist]) -> Legend | None:
    """A legend listing ``first`` (medians, then the bands) before every other labelled artist."""
    if not legend:
        return None
    handles, labels = ax.get_legend_handles_labels()
    rank = {id(a): i for i, a in enumerate(first)}
    pairs = sorted(zip(handles, labels, strict=True), key=lambda hl: rank.get(id(hl[0]), len(rank)))
    kw = dict(legend) if isinstance(legend, Mapping) else {"frameon": False, "fontsize": 8}
    return ax.legend([h for h, _ in pairs], [lab for _, lab in pairs], **kw)


def _limits_x(ax: Axes, x: np.ndarray, log: bool) -> None:
    shown = x[np.isfinite(x) & (x > 0)] if log else x[np.isfinite(x)]
    if shown.size > 1:
        ax.set_xlim(shown.min(), shown.max())


def plot_sensitivity_vs_exposure(
    ax: Axes | None,
    exposure_t_yr: ArrayLike,
    curves: Mapping[str, tuple[ArrayLike, Mapping[str, ArrayLike] | None]],
    *,
    discovery: Mapping[str, Mapping[str, ArrayLike]] | None = None,
    reference_slope: float | None = -0.25,
    cl: float = 0.9,
    exposure_unit: str = "t yr",
    ylabel: str = r"Magnetic moment $\mu_\nu$ [$\mu_B$]",
    legend: bool | Mapping = True,
) -> BrazilArtists:
    """Draw the expected upper limit against the exposure, one curve (with its bands) per label.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axes to draw on (``None``: the current axes).
    exposure_t_yr : array_like
        Exposures [``exposure_unit``] (sorted here), shared by every curve.
    curves : mapping of str to (array_like, mapping or None)
        Label (e.g. ``"M_N = 0.1 MeV"``) -> ``(median [mu_B], bands)`` with ``bands`` as in
        :func:`plot_brazil_bands`. With one curve the bands are green and yellow, the median black
        dashed; with several, each curve has its own colour and translucent bands.
    discovery : mapping of str to mapping, optional
        Label -> ``{"3": mu, "5": mu}`` median discovery reach [mu_B] of that curve (dash-dotted, dotted).
    reference_slope : float or None
        Draw ``mu ∝ T^slope`` through the first median point (default -1/4: the limit on the signal
        strength of a background-dominated counting experiment grows like sqrt(T), while the signal
        per mu^2 grows like T, so mu_up ∝ T^-1/4); ``None``: no reference.
    cl : float
        Confidence level, for the labels.
    exposure_unit : str
        Unit of the exposure axis.
    ylabel : str
        Label of the limit axis.
    legend : bool or mapping
        Draw a legend.

    Returns
    -------
    BrazilArtists
    """
    ax = _get_ax(ax)
    one, two, meds, disc = {}, {}, {}, {}
    palette = itertools.cycle(_PALETTE)
    single = len(curves) == 1
    first = None
    for label, (median, bands) in curves.items():
        x, med, bds = _band_arrays(exposure_t_yr, median, bands)
        colour = None if single else next(palette)
        if not single:  # several curves: only their ±1σ bands, translucent, or the figure is unreadable
            bds = {k: v for k, v in bds.items() if k in ("-1", "+1")}
        lab = f"{label}: median expected" if label else f"median expected {100 * cl:g}% CL upper limit"
        line, o, t = _draw_bands(
            ax,
            x,
            med,
            bds,
            label=lab,
            colour=colour,
            fill_alpha=0.35,
            one_label=r"expected $\pm 1\sigma$" if single else (None if one else r"shaded: $\pm 1\sigma$"),
            two_label=r"expected $\pm 2\sigma$" if single else None,
        )
        meds[label] = line
        if o is not None:
            one[label] = o
        if t is not None:
            two[label] = t
        order = np.argsort(np.asarray(exposure_t_yr, dtype=float), kind="stable")
        for (z, values), ls in zip(((discovery or {}).get(label) or {}).items(), ("-.", ":"), strict=False):
            d = np.asarray(values, dtype=float)[order]
            key = z if single else f"{label} {z}"
            (disc[key],) = ax.plot(
                x,
                d,
                color="#c0392b" if single else colour,
                linestyle=ls,
                linewidth=1.4,
                label=rf"{label + ': ' if label and not single else ''}median {z}$\sigma$ discovery",
            )
        if first is None:
            ok = np.isfinite(med) & (med > 0) & (x > 0)
            if ok.any():
                first = (x, x[ok][0], med[ok][0])
    ref = None
    if reference_slope is not None and first is not None:
        from fractions import Fraction

        x, x0, y0 = first
        slope = Fraction(reference_slope).limit_denominator(12)
        text = f"{slope.numerator}/{slope.denominator}" if slope.denominator != 1 else f"{slope.numerator}"
        # drawn at half the first median (through it, it would hide behind a curve that follows it)
        (ref,) = ax.plot(
            x,
            0.5 * y0 * (x / x0) ** reference_slope,
            color="#555555",
            linestyle=(0, (1, 2)),
            linewidth=1.6,
            label=rf"$\propto T^{{{text}}}$ (reference slope)",
            zorder=6,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    _limits_x(ax, np.sort(np.asarray(exposure_t_yr, dtype=float)), True)
    ax.set_xlabel(f"Exposure $T$ [{exposure_unit}]")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", linewidth=0.3, alpha=0.5)
    firsts = [a for lab in meds for a in (meds[lab], one.get(lab), two.get(lab)) if a is not None]
    leg = _brazil_legend(ax, legend, firsts)
    return BrazilArtists(
        ax=ax, median=meds, one_sigma=one, two_sigma=two, discovery=disc, reference=ref, legend=leg
    )


def _legend_handle(h: Artist) -> Artist:
    """A legend proxy for a polygon that mirrors its fill, edge and line style."""
    if not isinstance(h, Polygon):
        return h
    return Patch(
        facecolor=h.get_facecolor() if h.get_fill() else "none",
        edgecolor=h.get_edgecolor(),
        linestyle=h.get_linestyle(),
        linewidth=h.get_linewidth(),
    )


def save_figure(fig, path, *, dpi: int = 150, overwrite: bool = True):
    """Write ``fig`` to ``path`` atomically (:func:`nugen.outputs.atomic_output`) as PNG or PDF.

    The format follows the extension; anything else raises
    :class:`~nugen.errors.InvalidParameterError` naming it. Returns the final path.
    """
    from pathlib import Path

    from nugen.errors import InvalidParameterError
    from nugen.outputs import atomic_output, check_output_path

    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf"):
        msg = f"figure file must end in .png or .pdf, got {str(path)!r}"
        raise InvalidParameterError(msg)
    final = check_output_path(path, overwrite=overwrite)
    with atomic_output(final, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, metadata={"Creator": "nugen"} if fmt == "pdf" else None)
    return final


def save_figures(
    fig, outdir, stem: str, *, formats: Sequence[str] = ("png", "pdf"), dpi: int = 150, overwrite: bool = True
) -> list:
    """Write ``fig`` once per format as ``outdir/stem.FORMAT``, each file atomically (:func:`save_figure`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    outdir : str or os.PathLike
        Existing folder to write into.
    stem : str
        File name without its extension, e.g. ``"fig3"``.
    formats : sequence of {"png", "pdf"}
        Formats to write, in this order.
    dpi : int
        Resolution of PNG output [dots per inch].
    overwrite : bool
        Replace existing files.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``formats``.
    """
    from pathlib import Path

    return [save_figure(fig, Path(outdir) / f"{stem}.{fmt}", dpi=dpi, overwrite=overwrite) for fmt in formats]
