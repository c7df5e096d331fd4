"""Detector cards: a detector described in a TOML file instead of a Python module (docs/cards.md).

A card gives the target, channel, exposure, analysis window and binning, Gaussian resolution, efficiency
(at observed energy), backgrounds, how the SM solar-neutrino events enter, and optionally observed counts.
:func:`read_card` parses and validates it (:mod:`tomllib`; every error is a
:class:`~nugen.errors.CardError` naming the file, the key and what is wrong) and :class:`CardDetector`
turns it into a :class:`detectors.base.Detector`, so that everything a built-in detector does (spectra,
limits, scans, sensitivities, event smearing) works for a card. Relative paths in a card are relative to
the card file; tables use nugen's CSV layout (``#`` header lines citing the source, a header row, numbers).

Counts of the background forms (E in keV, exposure T in t yr, efficiency eps at observed energy):

* ``rate_per_t_yr_keV = r`` (flat): ``N_i = r T ∫_bin eps dE``;
* ``spectrum = FILE`` (columns ``E_keV, rate_per_t_yr_keV``, linear interpolation, 0 outside the table):
  ``N_i = T ∫_bin r(E) eps(E) dE``;
* ``binned = FILE`` (columns ``E_lo_keV, E_hi_keV, rate_per_t_yr_keV`` on the analysis bins):
  ``N_i = r_i T ΔE_i <eps>_i``;

with ``includes_efficiency = true`` the efficiency factor is left out (the table is already the observed
spectrum, like XENON1T's released B0), and ``scale = k`` multiplies the rate (a shared isotope spectrum at
another activity: the xenon cards share one 214Pb, 85Kr, 136Xe and 124Xe spectrum each). Shipped cards
live in ``detectors/cards`` and are known by name.
"""

from __future__ import annotations

import difflib
import functools
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from detectors.base import Background, Detector, Setting, parse_positive
from nugen.errors import CardError, DataFileError, closest_first
from nugen.tables import parse_table

__all__ = ["SHIPPED_CARDS", "Card", "CardDetector", "read_card", "shipped_card_path"]

#: Seconds-free year used to turn live days into years (Julian year, 365.25 d).
DAYS_PER_YEAR = 365.25
#: Card channel -> scatterer of :class:`detectors.base.Detector`.
CHANNELS = {"electron": "electron", "nuclear": "nucleus"}


@dataclass(frozen=True)
class BackgroundSpec:
    """One ``[[background]]`` entry: its form and its values (see the module docstring)."""

    name: str
    form: str  # "flat", "spectrum" or "binned"
    rate: float | None = None
    table_E: np.ndarray | None = None
    table_rate: np.ndarray | None = None
    includes_efficiency: bool = False
    rel_uncertainty: float | None = None
    doc: str = ""
    scale: float = 1.0  # multiplies the rate (e.g. a shared isotope spectrum at another activity)


@dataclass(frozen=True)
class Card:
    """A parsed, validated detector card (energies in keV, exposure in t yr)."""

    path: str
    name: str
    title: str
    citations: tuple[str, ...]
    channel: str
    target: str
    source: str
    exposure_t_yr: float
    edges_keV: np.ndarray
    true_floor_keV: float
    resolution: tuple  # ("ab", a, b) or ("table", E_keV, sigma_keV)
    efficiency: tuple  # ("table", E_keV, eff) or ("step", threshold_keV, plateau)
    backgrounds: tuple[BackgroundSpec, ...] = ()
    sm_in_background: bool = False
    sm_rel_uncertainty: float | None = 0.1
    observed: np.ndarray | None = None
    header: str = field(default="", repr=False)


# -- validation helpers ----------------------------------------------------------------------------
class _Section:
    """Typed access to one TOML table; :meth:`done` rejects keys nobody asked for (closest suggested)."""

    def __init__(self, path: Path, table: object, where: str):
        self.path, self.where = path, where
        if not isinstance(table, dict):
            self.fail("", f"must be a table ([{where}]), got {type(table).__name__}")
        self.table: dict = table
        self.used: set[str] = set()

    def key(self, k: str) -> str:
        return f"{self.where}.{k}" if self.where else k

    def fail(self, k: str, problem: str):
        raise CardError(self.path, self.key(k) if k else self.where, problem)

    def has(self, k: str) -> bool:
        return k in self.table

    def get(self, k: str, kind: str, *, required: bool = True, default: object = None):
        self.used.add(k)
        if k not in self.table:
            if required:
                typo = [x for x in closest_first(k, self.table) if x not in self.used]
                if (
                    typo and difflib.SequenceMatcher(None, k, typo[0]).ratio() >= 0.6
                ):  # difflib.get_close_matches cutoff
                    self.fail(typo[0], f"unknown key; did you mean {k!r}?")
                self.fail(k, "is required but missing")
            return default
        v = self.table[k]
        if kind == "number":
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                self.fail(k, f"must be a number, got {v!r}")
            return float(v)
        if kind == "str":
            if not isinstance(v, str) or not v.strip():
                self.fail(k, f"must be a non-empty string, got {v!r}")
            return v
        if kind == "bool":
            if not isinstance(v, bool):
                self.fail(k, f"must be true or false, got {v!r}")
            return v
        if kind == "strings":
            if not isinstance(v, list) or not v or not all(isinstance(x, str) and x.strip() for x in v):
                self.fail(k, f"must be a non-empty list of strings, got {v!r}")
            return tuple(v)
        if kind == "numbers":
            numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in v or [None])
            if not (isinstance(v, list) and v and numeric):
                self.fail(k, f"must be a non-empty list of numbers, got {v!r}")
            return np.asarray(v, dtype=float)
        if kind == "table":
            return _Section(self.path, v, self.key(k))
        raise AssertionError(kind)

    def positive(self, k: str, *, required: bool = True, default: float | None = None, zero: bool = False):
        v = self.get(k, "number", required=required, default=default)
        if v is not None and (v < 0 or (v == 0 and not zero)):
            self.fail(k, f"must be {'>= 0' if zero else '> 0'}, got {self.table[k]!r}")
        return v

    def file(self, k: str, columns: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Read the table named by key ``k`` (relative to the card) and return its ``columns`` as floats."""
        name = self.get(k, "str")
        p = Path(name) if Path(name).is_absolute() else self.path.parent / name
        if not p.is_file():
            self.fail(k, f"file {name!r} does not exist (relative paths are relative to the card: {p})")
        try:
            table = parse_table(p.read_text(encoding="utf-8"), str(p), columns)
        except DataFileError as exc:
            self.fail(k, str(exc))
        except UnicodeDecodeError:
            self.fail(k, f"file {name!r} is not a text table")
        out = {}
        for c in columns:
            try:
                out[c] = np.asarray(table[c], dtype=float)
            except ValueError:
                self.fail(k, f"file {name!r}: column {c!r} has a value that is not a number")
        return out

    def done(self) -> None:
        for k in self.table:
            if k not in self.used:
                known = sorted(self.used)
                hint = f"; did you mean {closest_first(k, known)[0]!r}?" if known else ""
                self.fail(k, f"unknown key{hint} (known: {', '.join(known)})")


def _on_analysis_bins(sec: _Section, k: str, table: dict, edges: np.ndarray) -> None:
    """Check that a binned table's ``E_lo_keV, E_hi_keV`` columns are the card's analysis bins."""
    lo, hi = np.asarray(table["E_lo_keV"], float), np.asarray(table["E_hi_keV"], float)
    same = lo.size == edges.size - 1 and np.allclose(lo, edges[:-1]) and np.allclose(hi, edges[1:])
    if not same:
        sec.fail(k, f"its bins must be the analysis bins ({edges.size - 1} bins from [window])")


def _increasing(sec: _Section, k: str, E: np.ndarray) -> None:
    if E.size < 2 or np.any(np.diff(E) <= 0):
        sec.fail(k, "energies must be strictly increasing (at least two rows)")


# -- parsing ---------------------------------------------------------------------------------------
def _exposure(top: _Section) -> float:
    sec = top.get("exposure", "table")
    if sec.has("tonne_years"):
        t = sec.positive("tonne_years")
    else:
        mass = sec.positive("mass_t")
        if sec.has("live_years"):
            t = mass * sec.positive("live_years")
        else:
            t = mass * sec.positive("live_days") / DAYS_PER_YEAR
    sec.done()
    return t


def _window(top: _Section) -> tuple[np.ndarray, float]:
    sec = top.get("window", "table")
    if sec.has("edges_keV"):
        edges = sec.get("edges_keV", "numbers")
        _increasing(sec, "edges_keV", edges)
        if edges[0] <= 0:
            sec.fail("edges_keV", f"energies must be > 0, got {edges[0]:g}")
    else:
        lo, hi, w = sec.positive("min_keV"), sec.positive("max_keV"), sec.positive("bin_width_keV")
        n = round((hi - lo) / w)
        if hi <= lo or n < 1 or not math.isclose(n * w, hi - lo, rel_tol=1e-9, abs_tol=1e-9):
            problem = f"the window {lo:g}-{hi:g} keV must be a whole number of {w:g}-keV bins"
            sec.fail("bin_width_keV", problem)
        edges = np.linspace(lo, hi, n + 1)
    floor = sec.positive("true_energy_floor_keV", required=False, default=0.1 * edges[0])
    sec.done()
    return edges, floor


def _resolution(top: _Section) -> tuple:
    sec = top.get("resolution", "table")
    if sec.has("table"):
        t = sec.file("table", ("E_keV", "sigma_keV"))
        E, s = np.asarray(t["E_keV"], float), np.asarray(t["sigma_keV"], float)
        _increasing(sec, "table", E)
        if np.any(s <= 0):
            sec.fail("table", "sigma_keV must be > 0")
        out = ("table", E, s)
    else:
        out = ("ab", sec.positive("a", zero=True), sec.positive("b", zero=True))
        if out[1] == 0 and out[2] == 0:
            sec.fail("a", "a and b are both 0: give a resolution")
    sec.done()
    return out


def _efficiency(top: _Section) -> tuple:
    sec = top.get("efficiency", "table")
    if sec.has("table"):
        t = sec.file("table", ("E_keV", "efficiency"))
        E, eff = np.asarray(t["E_keV"], float), np.asarray(t["efficiency"], float)
        _increasing(sec, "table", E)
        if np.any((eff < 0) | (eff > 1)):
            sec.fail("table", "efficiency values must lie in [0, 1]")
        out = ("table", E, eff)
    else:
        thr = sec.positive("threshold_keV", zero=True)
        plateau = sec.positive("plateau")
        if plateau > 1:
            sec.fail("plateau", f"must be in (0, 1], got {plateau:g}")
        out = ("step", thr, plateau)
    sec.done()
    return out


def _uncertainty(sec: _Section) -> float | None:
    free = sec.get("free", "bool", required=False, default=False)
    if free:
        if sec.has("rel_uncertainty"):
            sec.fail("free", "give either free = true or rel_uncertainty, not both")
        return None
    if not sec.has("rel_uncertainty"):
        sec.fail("rel_uncertainty", "is required (or free = true for an unconstrained normalisation)")
    return sec.positive("rel_uncertainty")


def _background(sec: _Section, edges: np.ndarray) -> BackgroundSpec:
    name = sec.get("name", "str")
    forms = [k for k in ("rate_per_t_yr_keV", "spectrum", "binned") if sec.has(k)]
    if len(forms) != 1:
        sec.fail("rate_per_t_yr_keV", "give exactly one of rate_per_t_yr_keV, spectrum, binned")
    incl = sec.get("includes_efficiency", "bool", required=False, default=False)
    doc = sec.get("doc", "str", required=False, default="")
    scale = sec.positive("scale", required=False, default=1.0)
    unc = _uncertainty(sec)
    kw = {"name": name, "includes_efficiency": incl, "rel_uncertainty": unc, "doc": doc, "scale": scale}
    if forms[0] == "rate_per_t_yr_keV":
        spec = BackgroundSpec(form="flat", rate=sec.positive("rate_per_t_yr_keV", zero=True), **kw)
    elif forms[0] == "spectrum":
        t = sec.file("spectrum", ("E_keV", "rate_per_t_yr_keV"))
        E, r = np.asarray(t["E_keV"], float), np.asarray(t["rate_per_t_yr_keV"], float)
        _increasing(sec, "spectrum", E)
        if np.any(r < 0):
            sec.fail("spectrum", "rate_per_t_yr_keV must be >= 0")
        spec = BackgroundSpec(form="spectrum", table_E=E, table_rate=r, **kw)
    else:
        t = sec.file("binned", ("E_lo_keV", "E_hi_keV", "rate_per_t_yr_keV"))
        _on_analysis_bins(sec, "binned", t, edges)
        r = np.asarray(t["rate_per_t_yr_keV"], float)
        if np.any(r < 0):
            sec.fail("binned", "rate_per_t_yr_keV must be >= 0")
        spec = BackgroundSpec(form="binned", table_rate=r, **kw)
    sec.done()
    return spec


def _observed(top: _Section, edges: np.ndarray) -> np.ndarray | None:
    if not top.has("data"):
        top.used.add("data")
        return None
    sec = top.get("data", "table")
    if isinstance(sec.table.get("counts"), list):
        n = sec.get("counts", "numbers")
        if n.size != edges.size - 1:
            sec.fail("counts", f"has {n.size} values for {edges.size - 1} analysis bins")
    else:
        t = sec.file("counts", ("E_lo_keV", "E_hi_keV", "N_obs"))
        _on_analysis_bins(sec, "counts", t, edges)
        n = np.asarray(t["N_obs"], float)
    if np.any(n < 0) or np.any(n != np.round(n)):
        sec.fail("counts", "observed counts must be whole numbers >= 0")
    sec.done()
    return n


def read_card(path: str | Path, *, shipped: bool = False) -> Card:
    """Parse and validate the detector card at ``path``.

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML file.
    shipped : bool
        Require ``citations`` (every card nugen ships must cite its sources).

    Raises
    ------
    CardError
        One line naming the file, the key and the problem.
    """
    p = Path(path)
    if not p.is_file():
        raise CardError(p, "", "file does not exist")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CardError(p, "", f"is not valid TOML ({exc})") from None
    top = _Section(p, raw, "")
    name = top.get("name", "str").strip().lower()
    title = top.get("title", "str")
    citations = top.get("citations", "strings", required=shipped, default=())
    channel = top.get("channel", "str")
    if channel not in CHANNELS:
        top.fail("channel", f"must be one of {', '.join(CHANNELS)}, got {channel!r}")
    from nugen.sources import SOURCES
    from nugen.targets import TARGETS

    target = top.get("target", "str")
    if target not in TARGETS:
        top.fail("target", f"unknown material {target!r}; known: {', '.join(closest_first(target, TARGETS))}")
    source = top.get("source", "str", required=False, default="solar")
    if source not in SOURCES:
        top.fail("source", f"unknown source {source!r}; known: {', '.join(closest_first(source, SOURCES))}")
    exposure = _exposure(top)
    edges, floor = _window(top)
    resolution = _resolution(top)
    efficiency = _efficiency(top)
    top.used.add("background")
    bkg_raw = raw.get("background", [])
    if not isinstance(bkg_raw, list):
        top.fail("background", "must be an array of tables ([[background]])")
    bkgs = tuple(_background(_Section(p, b, f"background[{i}]"), edges) for i, b in enumerate(bkg_raw))
    names = [b.name for b in bkgs]
    if len(set(names)) != len(names):
        top.fail("background", f"background names must be unique, got {names}")
    solar = top.get("solar_neutrinos", "table")
    in_bkg = solar.get("in_background", "bool")
    sm_unc = None if in_bkg else _uncertainty(solar)
    if in_bkg:
        solar.get("rel_uncertainty", "number", required=False)
    solar.done()
    observed = _observed(top, edges)
    top.done()
    lines = p.read_text(encoding="utf-8").splitlines()
    header = "\n".join(line[1:].strip() for line in lines if line.startswith("#"))
    return Card(
        path=str(p.resolve()),
        name=name,
        title=title,
        citations=citations,
        channel=channel,
        target=target,
        source=source,
        exposure_t_yr=exposure,
        edges_keV=edges,
        true_floor_keV=floor,
        resolution=resolution,
        efficiency=efficiency,
        backgrounds=bkgs,
        sm_in_background=in_bkg,
        sm_rel_uncertainty=sm_unc,
        observed=observed,
        header=header,
    )


# -- shipped cards ---------------------------------------------------------------------------------
def _shipped_card_names() -> tuple[str, ...]:
    """Names of the cards shipped in ``detectors/cards`` (file names without ``.toml``)."""
    folder = resources.files("detectors") / "cards"
    return tuple(sorted(f.name[: -len(".toml")] for f in folder.iterdir() if f.name.endswith(".toml")))


#: Names of the cards shipped in ``detectors/cards`` (file name without ``.toml``).
SHIPPED_CARDS: tuple[str, ...] = _shipped_card_names()


def shipped_card_path(name: str) -> Path:
    """Path of the shipped card ``name`` (the package is installed as files)."""
    return Path(str(resources.files("detectors") / "cards" / f"{name}.toml"))


@functools.lru_cache(maxsize=64)
def _cached_card(path: str, mtime: float, shipped: bool) -> Card:
    return read_card(path, shipped=shipped)


def load_card(path: str | Path, *, shipped: bool = False) -> Card:
    """:func:`read_card`, cached per file and modification time."""
    p = Path(path)
    mtime = p.stat().st_mtime if p.is_file() else -1.0
    return _cached_card(str(p), mtime, shipped)


# -- the detector ----------------------------------------------------------------------------------
class CardDetector(Detector):
    """A :class:`~detectors.base.Detector` described by a :class:`Card`.

    Parameters
    ----------
    card : Card or str or pathlib.Path
        A parsed card, or the path of one.
    **settings
        ``exposure_t_yr`` [t yr]: another exposure makes a projection (backgrounds scale, no data).
    """

    energy_unit = "keV"

    def __init__(self, card: Card | str | Path, **settings: object):
        self.card = card if isinstance(card, Card) else load_card(card)
        c = self.card
        self.name, self.title = c.name, c.title
        self.citation = "; ".join(c.citations)
        self.target, self.source, self.scatterer = c.target, c.source, CHANNELS[c.channel]
        self.true_energy_floor_MeV = c.true_floor_keV * 1e-3
        self.sm_in_background = c.sm_in_background
        self.sm_rel_uncertainty = c.sm_rel_uncertainty
        self.SETTINGS = (
            Setting(
                "exposure_t_yr",
                c.exposure_t_yr,
                "t yr",
                "exposure (from the card); another value makes a projection: backgrounds scale, no data",
                parse_positive("exposure_t_yr"),
            ),
        )
        super().__init__(**settings)
        self._edges_MeV = c.edges_keV * 1e-3
        self._edges_MeV.setflags(write=False)
        self._bkg: list[Background] | None = None

    @property
    def exposure_t_yr(self) -> float:
        """Exposure [t yr] (setting ``exposure_t_yr``, default from the card)."""
        return float(self.settings["exposure_t_yr"])

    def resolution_MeV(self, E_MeV: ArrayLike) -> np.ndarray:
        """Resolution sigma [MeV]: ``(a sqrt(E/keV) + b E/keV) keV``, or the card's table (flat beyond)."""
        E_keV = np.maximum(np.asarray(E_MeV, dtype=float), 0.0) * 1e3
        kind, x, y = self.card.resolution
        if kind == "ab":
            return (x * np.sqrt(E_keV) + y * E_keV) * 1e-3
        return np.interp(E_keV, x, y) * 1e-3

    def efficiency(self, E_obs_MeV: ArrayLike) -> np.ndarray:
        """Efficiency at observed energy: table (linear, flat beyond its ends) or step; 0 off-window."""
        E = np.asarray(E_obs_MeV, dtype=float)
        inside = (E >= self._edges_MeV[0]) & (E <= self._edges_MeV[-1])
        kind, x, y = self.card.efficiency
        E_keV = E * 1e3
        eff = np.interp(E_keV, x, y) if kind == "table" else np.where(E_keV >= x, y, 0.0)
        return np.where(inside, eff, 0.0)

    def analysis_edges_MeV(self) -> np.ndarray:
        """The card's analysis bins [MeV]."""
        return self._edges_MeV.copy()

    def _bin_integral(self, f) -> np.ndarray:
        """∫_bin f(E_keV) dE [keV x f] per analysis bin (32 sub-bins x 4-point Gauss–Legendre)."""
        x, w = np.polynomial.legendre.leggauss(4)
        e = self.card.edges_keV
        sub = np.linspace(0.0, 1.0, 33)
        a = e[:-1, None] + np.diff(e)[:, None] * sub[None, :-1]
        h = np.diff(e)[:, None] / 32.0
        E = a[..., None] + 0.5 * h[..., None] * (1.0 + x)
        return (f(E) * w).sum(axis=(1, 2)) * 0.5 * h[:, 0]

    def _eff_keV(self, E_keV: np.ndarray) -> np.ndarray:
        return self.efficiency(E_keV * 1e-3)

    def backgrounds(self) -> list[Background]:
        """Background counts per analysis bin for the current exposure (forms in the module docstring)."""
        if self._bkg is None:
            T = self.exposure_t_yr
            widths = np.diff(self.card.edges_keV)
            out = []
            for b in self.card.backgrounds:
                eff = (lambda E: 1.0 + 0.0 * E) if b.includes_efficiency else self._eff_keV
                if b.form == "flat":
                    counts = b.rate * T * self._bin_integral(eff)
                elif b.form == "spectrum":
                    E0, r0 = b.table_E, b.table_rate

                    def integrand(E, E0=E0, r0=r0, eff=eff):
                        return np.interp(E, E0, r0, left=0.0, right=0.0) * eff(E)

                    counts = T * self._bin_integral(integrand)
                else:
                    mean_eff = self._bin_integral(eff) / widths
                    counts = b.table_rate * widths * T * mean_eff
                counts = counts * b.scale
                counts.setflags(write=False)
                doc = b.doc or f"{b.form} background from card {Path(self.card.path).name}"
                out.append(Background(b.name, counts, b.rel_uncertainty, doc))
            self._bkg = out
        return list(self._bkg)

    def observed(self) -> np.ndarray | None:
        """The card's observed counts, or ``None`` (no data, or the exposure was changed)."""
        c = self.card
        if c.observed is None or not math.isclose(self.exposure_t_yr, c.exposure_t_yr, rel_tol=1e-9):
            return None
        return c.observed.copy()

    def asimov(self) -> np.ndarray:
        """Background-only expectation per bin (backgrounds, plus SM neutrinos unless already inside)."""
        total = sum((b.counts for b in self.backgrounds()), np.zeros(self._edges_MeV.size - 1))
        return total if self.sm_in_background else total + self.sm_counts()

    def with_settings(self, **settings: object) -> CardDetector:
        """The same card with these settings changed (e.g. ``exposure_t_yr`` for a projection)."""
        return CardDetector(self.card, **{**self.settings, **settings})

    def __reduce__(self):
        return (_rebuild, (self.card.path, dict(self.settings)))


def _rebuild(path: str, settings: dict) -> CardDetector:
    return CardDetector(path, **settings)
