"""Expected sensitivity: the median expected upper limit on mu, its ±1σ/±2σ bands, and discovery reach.

For a detector at one M_N and flavour pattern this module answers "what would background-only
experiments report?" with nugen's own limit procedure (:func:`fits.limits.likelihood_limit`), in two
ways, following Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554 ("Cowan et al."; docs/statistics.md
Sec. 8 has the derivation):

* **asymptotic** (default): with ``s^ = N sigma`` for a background-only experiment (``N ~ N(0, 1)``),
  the limit procedure reports (z = Phi^-1(CL), z2 = Phi^-1((1 + CL)/2); the s >= 0 boundary built in)

  - ``s_up = sigma (N + sqrt(N^2 + z^2))`` for N < 0 (a deficit: ``s^ = 0`` and
    ``q(s) = (s^2 - 2 s N sigma)/sigma^2``),
  - ``s_up = sigma (N + z)`` for 0 <= N < z2 (the one-sided limit),
  - ``s_up = sigma (N + z2)`` for N >= z2 (mu = 0 excluded: the upper edge of the two-sided interval),

  so the limit at the quantile Phi(N) of the experiments is the root of the background-only Asimov
  statistic ``q_A(s) = c_N`` with ``c_N`` the square of the bracket above: the same root finder as the
  limits (toms748 on ``sqrt(q_A)``), which also takes the dependence of sigma on s into account
  (Cowan et al., Sec. 4, "Experimental sensitivity"). N = 0 gives the median, ``c_0 = z^2``: exactly the
  Asimov limit of :func:`fits.limits.detector_limit` (``asimov=True``).
* **toys** (``toys=N``): N pseudo-experiments (:meth:`fits.likelihood.BinnedLikelihood.toy`: Poisson
  counts around the background-only expectation, Gaussian-fluctuated constraint centres) from a
  :class:`numpy.random.SeedSequence`, nugen's reported limit ``mu_upper_muB`` on each, and the quantiles
  Phi(-2), Phi(-1), 0.5, Phi(1), Phi(2) of the limits (:func:`numpy.quantile`).
* **discovery** (``discovery=True``): the mu whose median discovery significance is 3 and 5 sigma, the
  root in s of ``sqrt(q0_A(s)) = Z`` on the Asimov data set with signal s (Cowan et al., Sec. 4: the median
  of ``Z0 = sqrt(q0)`` is ``sqrt(q0,A)``; for one bin with known background this is their Eq. (97),
  ``Z_A = sqrt(2 ((s + b) ln(1 + s/b) - s))``).

Limits and bands are found in s (signal events, in which the model is linear) and reported in mu
[mu_B] as ``sqrt(s / sum S)`` (:meth:`~fits.likelihood.BinnedLikelihood.mu_from_s`). A detector with
observed data is treated with its background-only Asimov data set (a sensitivity never looks at data).
:func:`sensitivity_scan` runs masses x exposures (``exposure_t_yr``: the detector rebuilt with that
setting) serially or on an executor (:func:`fits.scan.run_units`). A mass at which the signal vanishes
gives null values with a ``reason``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from fits.likelihood import BinnedLikelihood, flavour_pattern
from fits.limits import _Q, REFERENCE, _root, _upper_root, check_cl, likelihood_limit, thresholds
from fits.scan import DEFAULT_CHUNK, SCHEDULER_TIMEOUT_S, cached_detector, check_execution, run_units
from nugen.errors import InvalidParameterError, check_number
from nugen.model import check_nature

__all__ = [
    "BAND_KEYS",
    "DISCOVERY_Z",
    "SensitivityPoint",
    "SensitivityResult",
    "asimov_bands",
    "band_thresholds",
    "detector_sensitivity",
    "discovery_s",
    "likelihood_sensitivity",
    "sensitivity_scan",
    "toy_limits",
    "with_exposure",
]

#: Band edges: key of ``band_muB`` -> N (the edge is the limit at the quantile Phi(N)).
BAND_KEYS: dict[str, int] = {"-2": -2, "-1": -1, "+1": 1, "+2": 2}
#: Median significances of the discovery reach.
DISCOVERY_Z: tuple[float, ...] = (3.0, 5.0)
#: Root-finding tolerance on sqrt(q0) in :func:`discovery_s` (as the limits': 1e-4 of a sigma).
_ZTOL = 1e-4


# -- the asymptotic bands -------------------------------------------------------------------------
def band_thresholds(cl: float) -> dict[int, float]:
    """The values ``c_N`` of the Asimov statistic ``q_A(s)`` whose roots are the band edges.

    Parameters
    ----------
    cl : float
        Confidence level (0.5 <= cl < 1).

    Returns
    -------
    dict of int to float
        ``{N: c_N}`` for N = -2, -1, 0, 1, 2, with z = Phi^-1(CL) and z2 = Phi^-1((1 + CL)/2)
        (:func:`fits.limits.thresholds`): ``(N + sqrt(N^2 + z^2))^2`` for N < 0, ``(N + z)^2`` for
        0 <= N < z2, ``(N + z2)^2`` for N >= z2 (Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554,
        Sec. 4, with nugen's boundary s >= 0 and its switch to the two-sided interval when q(0) >= z2^2;
        docs/statistics.md Sec. 8). At CL = 0.9: 0.141, 0.391, 1.642, 5.205, 13.29.
    """
    c1, c2 = thresholds(cl)
    z, z2 = math.sqrt(c1), math.sqrt(c2)
    out = {}
    for n in (-2, -1, 0, 1, 2):
        if n < 0:
            r = n + math.sqrt(n * n + z * z)
        elif n < z2:
            r = n + z
        else:
            r = n + z2
        out[n] = r * r
    return out


def _s_cap(lik: BinnedLikelihood, sigma: float) -> float:
    """How far root searches go [events] (the bound of :func:`fits.limits.likelihood_limit`)."""
    total = float(lik.data.sum() + lik.expected(0.0).sum())
    return 1e4 * (total + 1.0) + 1e3 * sigma


def asimov_bands(lik: BinnedLikelihood, cl: float = 0.9) -> tuple[dict[int, float | None], str | None, bool]:
    """Band edges in s from the background-only Asimov likelihood ``lik``.

    Parameters
    ----------
    lik : BinnedLikelihood
        A background-only Asimov likelihood (``BinnedLikelihood.from_detector(..., asimov=True)``).
    cl : float
        Confidence level.

    Returns
    -------
    edges : dict of int to float or None
        ``{N: s_N}`` [signal events] for N = -2, -1, 0, 1, 2: the root of ``q_A(s) = c_N``
        (:func:`band_thresholds`), by the root finder of :mod:`fits.limits`; ``s_0`` is the median
        expected limit of :func:`fits.limits.likelihood_limit` on ``lik``. ``None`` where there is no
        root (no signal, or a signal a free background absorbs).
    reason : str or None
        Why edges are ``None``.
    valid : bool
        Whether every fit converged.

    Notes
    -----
    Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554, Sec. 4: the band edges are
    ``sigma (N + z)`` etc. with ``sigma^2 = s^2 / q_A(s)`` evaluated at the edge itself; solving
    ``q_A(s) = c_N`` with the profile likelihood does exactly that.
    """
    median = likelihood_limit(lik, cl)
    if median.mu_upper_muB is None:
        return dict.fromkeys((-2, -1, 0, 1, 2)), median.reason, median.fit_valid
    c = band_thresholds(cl)
    q = _Q(lik)
    s0 = lik.s_from_mu(median.mu_upper_muB)
    out: dict[int, float | None] = {0: s0}
    for n in (-1, -2):  # below the median: q(0) = 0 < c_N < q(s0)
        out[n] = float(_root(q, c[n], 0.0, s0))
    sigma = lik.fisher_sigma_s()
    cap = _s_cap(lik, sigma)
    prev: float | None = s0
    for n in (1, 2):
        root = None if prev is None else _upper_root(q, c[n], sigma, cap, start=prev)
        out[n] = None if root is None else float(root)
        prev = out[n]
    reason = None
    if out[1] is None or out[2] is None:
        reason = (
            f"no upper band edge below {cap:.3g} signal events (the signal is degenerate with a free "
            "background)"
        )
    return out, reason, bool(median.fit_valid and q.valid)


# -- toys -----------------------------------------------------------------------------------------
def toy_limits(lik: BinnedLikelihood, n_toys: int, rng: np.random.Generator, cl: float = 0.9) -> np.ndarray:
    """Reported upper limits ``mu_upper_muB`` [mu_B] on ``n_toys`` background-only toys of ``lik``.

    Parameters
    ----------
    lik : BinnedLikelihood
        The model (its nominal background-only expectation is thrown: :meth:`BinnedLikelihood.toy`
        with s = 0, constraint centres fluctuated).
    n_toys : int
        Number of pseudo-experiments (>= 1).
    rng : numpy.random.Generator
        Source of the pseudo-experiments.
    cl : float
        Confidence level of each limit.

    Returns
    -------
    numpy.ndarray
        One limit per toy, ``inf`` where a toy has no upper limit (a signal absorbed by a free
        background; never seen for the registered detectors).
    """
    out = np.empty(int(n_toys))
    for i in range(out.size):
        r = likelihood_limit(lik.toy(rng, 0.0), cl)
        out[i] = math.inf if r.mu_upper_muB is None else r.mu_upper_muB
    return out


def _quantiles(values: np.ndarray) -> dict[int, float | None]:
    """Quantiles Phi(N) of ``values`` for N = -2..2 (``None`` where they fall among infinite values)."""
    from scipy.special import ndtr

    ns = (-2, -1, 0, 1, 2)
    with np.errstate(invalid="ignore"):
        qs = np.quantile(values, [float(ndtr(n)) for n in ns])
    return {n: (float(v) if math.isfinite(v) else None) for n, v in zip(ns, qs, strict=True)}


# -- discovery ------------------------------------------------------------------------------------
class _ZFound(Exception):
    def __init__(self, s: float):
        self.s = s


def discovery_s(lik: BinnedLikelihood, z: float) -> float | None:
    """Signal strength s [events] whose median discovery significance is ``z`` sigma.

    The root of ``sqrt(q0_A(s)) = z``, where ``q0_A(s) = -2 ln [L(0, theta^^(0)) / L(s, theta = 1)]``
    on the Asimov data set with signal s (:meth:`BinnedLikelihood.asimov`): the median of the asymptotic
    significance ``Z0 = sqrt(q0)`` of experiments with that signal (Cowan, Cranmer, Gross, Vitells, EPJC 71
    (2011) 1554, Sec. 4; one bin with a known background: their Eq. (97)). ``sqrt(q0_A)`` grows
    monotonically and nearly linearly with s, so the bracket is grown from the Fisher width of s by
    extrapolation and the root found by :func:`scipy.optimize.toms748` to ``|sqrt(q0_A) - z| < 1e-4``.

    Parameters
    ----------
    lik : BinnedLikelihood
        Any likelihood of the model (only its templates and components are used).
    z : float
        Significance [sigma], > 0.

    Returns
    -------
    float or None
        s, or ``None`` without signal or if ``z`` is out of reach (a signal absorbed by a free background).
    """
    from scipy.optimize import toms748

    z = check_number("discovery significance", z, positive=True)
    if not lik.has_signal:
        return None
    base = lik.asimov(0.0)

    def zed(s: float) -> float:
        return math.sqrt(base.asimov(s).q(0.0)) if s > 0 else 0.0

    def f(s: float) -> float:
        d = zed(s) - z
        if abs(d) < _ZTOL:
            raise _ZFound(s)
        return d

    sigma = base.fisher_sigma_s()
    cap = _s_cap(base, sigma)
    lo, hi = 0.0, 1.1 * z * sigma
    try:
        while True:
            r = f(hi) + z
            if r >= z:
                break
            lo = hi
            hi *= min(max(1.1 * z / r if r > 0 else 10.0, 1.2), 10.0)
            if hi > cap:
                return None
        return float(toms748(f, lo, hi, xtol=1e-12 * hi, rtol=1e-10))
    except _ZFound as found:
        return float(found.s)


# -- results --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SensitivityPoint:
    """Expected sensitivity at one M_N and exposure.

    Attributes
    ----------
    detector : str
        Detector name.
    mass_MeV : float
        M_N [MeV].
    exposure_t_yr : float
        Exposure of the detector used [t yr].
    flavour : str or dict
        Flavour pattern.
    cl : float
        Confidence level.
    method : {"asimov", "toys"}
        How the bands were obtained.
    median_muB : float or None
        Median expected upper limit [mu_B].
    band_muB : dict of str to float or None
        ``{"-2", "-1", "+1", "+2"}`` -> the limit at the quantiles Phi(-2), Phi(-1), Phi(1), Phi(2) [mu_B].
    discovery_muB : dict of str to float or None, or None
        ``{"3", "5"}`` -> mu with median significance 3 and 5 sigma [mu_B] (``None`` if not asked for).
    median_events : float or None
        The median limit as signal events in the analysis window (``s``).
    band_events : dict of str to float or None
        The band edges as signal events.
    signal_events_per_muB2 : float
        Signal events per mu_B^2 (``s = mu^2 x this``).
    n_toys : int
        Pseudo-experiments thrown (0 for ``"asimov"``).
    n_toys_without_limit : int
        Toys without an upper limit (counted as infinite limits in the quantiles).
    fit_valid : bool
        Whether every minimisation converged.
    reason : str or None
        Why values are ``None`` (no sensitivity at this mass, ...).
    error : str or None
        Error message of a failed scan point.
    """

    detector: str
    mass_MeV: float
    exposure_t_yr: float
    flavour: str | dict
    cl: float
    method: str = "asimov"
    median_muB: float | None = None
    band_muB: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(BAND_KEYS))
    discovery_muB: dict[str, float | None] | None = None
    median_events: float | None = None
    band_events: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(BAND_KEYS))
    signal_events_per_muB2: float = 0.0
    n_toys: int = 0
    n_toys_without_limit: int = 0
    fit_valid: bool = True
    reason: str | None = None
    error: str | None = None

    def point_dict(self) -> dict:
        """The per-point entry of CLI.md's ``sensitivity`` output (``discovery_muB`` only when computed)."""
        d = {
            "mass_MeV": self.mass_MeV,
            "exposure_t_yr": self.exposure_t_yr,
            "median_muB": self.median_muB,
            "band_muB": dict(self.band_muB),
        }
        if self.discovery_muB is not None:
            d["discovery_muB"] = dict(self.discovery_muB)
        d.update(
            {
                "median_events": self.median_events,
                "band_events": dict(self.band_events),
                "signal_events_per_muB2": self.signal_events_per_muB2,
                "fit_valid": self.fit_valid,
                "reason": self.reason,
                "error": self.error,
            }
        )
        if self.method == "toys":
            d["n_toys"] = self.n_toys
            d["n_toys_without_limit"] = self.n_toys_without_limit
        return d


def method_description(method: str, cl: float, toys: int = 0) -> str:
    """Text of the ``"description"`` key of the JSON output: what the bands are and how they were made."""
    c = band_thresholds(cl)
    common = (
        "upper limits on mu of background-only experiments from nugen's profile-likelihood limit "
        "(fits.limits: one-sided at q = chi2.ppf(2CL-1, 1), the two-sided interval's upper edge when "
        "q(0) >= chi2.ppf(CL, 1)); median and the quantiles Phi(-2), Phi(-1), Phi(1), Phi(2) ('-2'..'+2'); "
    )
    if method == "toys":
        how = (
            f"{toys} pseudo-experiments per point (Poisson counts, fluctuated constraint centres; numpy "
            "SeedSequence), quantiles by numpy.quantile; "
        )
    else:
        how = (
            "asymptotic: band edge N is the root of the background-only Asimov q_A(s) = c_N, c_N = "
            + ", ".join(f"{c[n]:.4g}" for n in (-2, -1, 0, 1, 2))
            + " for N = -2..2 (docs/statistics.md Sec. 8); "
        )
    return (
        common + how + "discovery: root of sqrt(q0) = Z on the Asimov data set with signal (median Z0); "
        f"{REFERENCE}"
    )


@dataclass(frozen=True)
class SensitivityResult:
    """Expected sensitivity of one detector over masses (and exposures).

    Attributes
    ----------
    detector : str
        Detector name.
    flavour : str or dict
        Flavour pattern.
    cl : float
        Confidence level.
    method : {"asimov", "toys"}
        How the bands were obtained.
    settings : dict
        Detector settings as given (without the scanned exposure).
    points : tuple of SensitivityPoint
        Ordered by exposure (as given), then by mass.
    toys : int
        Pseudo-experiments per point (0 for ``"asimov"``).
    seed : int or None
        Entropy of the root :class:`numpy.random.SeedSequence` of the toys (reproduces them), else ``None``.
    discovery : bool
        Whether the discovery reach was computed.
    """

    detector: str
    flavour: str | dict
    cl: float
    method: str
    settings: dict
    points: tuple[SensitivityPoint, ...]
    toys: int = 0
    seed: int | None = None
    discovery: bool = False

    @property
    def exposures(self) -> list[float]:
        """The exposures of the points [t yr], each once, in order."""
        return list(dict.fromkeys(p.exposure_t_yr for p in self.points))

    def select(
        self, exposure_t_yr: float | None = None, mass_MeV: float | None = None
    ) -> list[SensitivityPoint]:
        """The points at one exposure and/or one mass (all points if both are ``None``)."""
        return [
            p
            for p in self.points
            if (exposure_t_yr is None or p.exposure_t_yr == exposure_t_yr)
            and (mass_MeV is None or p.mass_MeV == mass_MeV)
        ]

    def arrays(self, points: Sequence[SensitivityPoint] | None = None) -> dict[str, np.ndarray]:
        """Float arrays over ``points`` (default all): mass, exposure, median, the band edges, discovery.

        Keys ``"mass_MeV"``, ``"exposure_t_yr"``, ``"median"``, ``"-2"``, ``"-1"``, ``"+1"``, ``"+2"`` and,
        with discovery, ``"Z3"``, ``"Z5"``; values in MeV, t yr, mu_B; ``None`` becomes NaN (a gap).
        """
        pts = self.points if points is None else points

        def arr(values):
            return np.array([np.nan if v is None else v for v in values], dtype=float)

        out = {
            "mass_MeV": arr(p.mass_MeV for p in pts),
            "exposure_t_yr": arr(p.exposure_t_yr for p in pts),
            "median": arr(p.median_muB for p in pts),
        }
        for k in BAND_KEYS:
            out[k] = arr(p.band_muB[k] for p in pts)
        if self.discovery:
            for z in DISCOVERY_Z:
                out[f"Z{z:g}"] = arr((p.discovery_muB or {}).get(f"{z:g}") for p in pts)
        return out

    @property
    def n_failed(self) -> int:
        """Number of points that raised an error."""
        return sum(p.error is not None for p in self.points)

    def to_dict(self) -> dict:
        """JSON-ready dict in the shape of CLI.md's ``sensitivity`` output."""
        return {
            "command": "sensitivity",
            "detector": self.detector,
            "flavour": self.flavour,
            "cl": self.cl,
            "method": self.method,
            "description": method_description(self.method, self.cl, self.toys),
            "expected": True,
            "settings": dict(self.settings),
            "exposures_t_yr": self.exposures,
            "toys": self.toys,
            "seed": self.seed,
            "points": [p.point_dict() for p in self.points],
        }

    @classmethod
    def from_dict(cls, doc: Mapping) -> SensitivityResult:
        """Rebuild a result from :meth:`to_dict` output (e.g. a ``nugen sensitivity --json`` file).

        Raises
        ------
        InvalidParameterError
            If ``doc`` is not a sensitivity document.
        """
        if not isinstance(doc, Mapping) or doc.get("command") != "sensitivity" or "points" not in doc:
            msg = "not the JSON output of 'nugen sensitivity' (needs 'command': 'sensitivity' and 'points')"
            raise InvalidParameterError(msg)
        method = str(doc.get("method", "asimov"))
        cl = float(doc.get("cl", 0.9))
        discovery = any("discovery_muB" in p for p in doc["points"])
        points = []
        try:
            for p in doc["points"]:
                band = {k: p["band_muB"].get(k) for k in BAND_KEYS}
                points.append(
                    SensitivityPoint(
                        detector=str(doc.get("detector", "")),
                        mass_MeV=float(p["mass_MeV"]),
                        exposure_t_yr=float(p["exposure_t_yr"]),
                        flavour=doc.get("flavour", "universal"),
                        cl=cl,
                        method=method,
                        median_muB=p.get("median_muB"),
                        band_muB=band,
                        discovery_muB=dict(p["discovery_muB"]) if "discovery_muB" in p else None,
                        median_events=p.get("median_events"),
                        band_events=dict(p.get("band_events") or dict.fromkeys(BAND_KEYS)),
                        signal_events_per_muB2=float(p.get("signal_events_per_muB2", 0.0)),
                        n_toys=int(p.get("n_toys", 0)),
                        n_toys_without_limit=int(p.get("n_toys_without_limit", 0)),
                        fit_valid=bool(p.get("fit_valid", True)),
                        reason=p.get("reason"),
                        error=p.get("error"),
                    )
                )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            msg = f"malformed 'nugen sensitivity' point ({type(exc).__name__}: {exc})"
            raise InvalidParameterError(msg) from None
        return cls(
            detector=str(doc.get("detector", "")),
            flavour=doc.get("flavour", "universal"),
            cl=cl,
            method=method,
            settings=dict(doc.get("settings") or {}),
            points=tuple(points),
            toys=int(doc.get("toys") or 0),
            seed=doc.get("seed"),
            discovery=discovery,
        )


# -- one point ------------------------------------------------------------------------------------
def _flavour_label(flavour) -> str | dict:
    if isinstance(flavour, str):
        return flavour
    return dict(zip(("e", "mu", "tau"), (float(v) for v in flavour_pattern(flavour)), strict=True))


def _check_toys(toys) -> int:
    if toys is None:
        return 0
    try:
        n = int(toys)
    except (TypeError, ValueError):
        msg = f"toys must be an integer >= 1, got {toys!r}"
        raise InvalidParameterError(msg) from None
    if n != toys or n < 1:
        msg = f"toys must be an integer >= 1, got {toys!r}"
        raise InvalidParameterError(msg)
    return n


def likelihood_sensitivity(
    lik: BinnedLikelihood,
    cl: float = 0.9,
    *,
    toys: int | None = None,
    rng: np.random.Generator | None = None,
    discovery: bool = False,
    detector: str = "",
    mass_MeV: float = math.nan,
    exposure_t_yr: float = math.nan,
    flavour: str | dict = "universal",
) -> SensitivityPoint:
    """Median expected limit, bands and (optionally) discovery reach for the model of ``lik``.

    Parameters
    ----------
    lik : BinnedLikelihood
        The likelihood; its data are replaced by the background-only Asimov data set
        (:meth:`BinnedLikelihood.asimov`), so an observed-data likelihood may be passed.
    cl : float
        Confidence level (0.5 <= cl < 1).
    toys : int or None
        Number of pseudo-experiments (toy bands); ``None``: asymptotic bands (:func:`asimov_bands`).
    rng : numpy.random.Generator, optional
        Source of the toys (default: a fresh unseeded generator).
    discovery : bool
        Also compute the mu of median 3 and 5 sigma significance (:func:`discovery_s`).
    detector, mass_MeV, exposure_t_yr, flavour
        Labels copied into the result.

    Returns
    -------
    SensitivityPoint
    """
    cl = check_cl(cl)
    n_toys = _check_toys(toys)
    asimov = lik.asimov(0.0)
    common = {
        "detector": detector,
        "mass_MeV": float(mass_MeV),
        "exposure_t_yr": float(exposure_t_yr),
        "flavour": flavour,
        "cl": cl,
        "method": "toys" if n_toys else "asimov",
        "signal_events_per_muB2": asimov.signal_norm,
    }
    if not asimov.has_signal:
        label = f"{detector or 'this detector'} at M_N = {mass_MeV:g} MeV"
        reason = (
            f"no sensitivity: the dipole signal is zero in every analysis bin of {label} "
            "(beyond the kinematic reach of the source)"
        )
        return SensitivityPoint(
            **common,
            discovery_muB=dict.fromkeys(f"{z:g}" for z in DISCOVERY_Z) if discovery else None,
            n_toys=n_toys,
            reason=reason,
        )
    mu = asimov.mu_from_s
    extra: dict = {}
    if n_toys:
        limits = toy_limits(asimov, n_toys, rng if rng is not None else np.random.default_rng(), cl)
        qmu = _quantiles(limits)
        edges = {n: None if v is None else asimov.s_from_mu(v) for n, v in qmu.items()}
        reason = None if all(v is not None for v in edges.values()) else "some toys have no upper limit"
        valid = True
        extra = {"n_toys": n_toys, "n_toys_without_limit": int(np.sum(~np.isfinite(limits)))}
        band_mu = {k: qmu[n] for k, n in BAND_KEYS.items()}
        median_mu = qmu[0]
    else:
        edges, reason, valid = asimov_bands(asimov, cl)
        band_mu = {k: None if edges[n] is None else mu(edges[n]) for k, n in BAND_KEYS.items()}
        # the median exactly as fits.limits reports it (likelihood_limit on the same Asimov data; its
        # fits are cached in `asimov`, so this repeats no minimisation)
        median_mu = None if edges[0] is None else likelihood_limit(asimov, cl).mu_upper_muB
    disc = None
    if discovery:
        disc = {}
        for z in DISCOVERY_Z:
            s = discovery_s(asimov, z)
            disc[f"{z:g}"] = None if s is None else mu(s)
    return SensitivityPoint(
        **common,
        median_muB=median_mu,
        band_muB=band_mu,
        discovery_muB=disc,
        median_events=edges[0],
        band_events={k: edges[n] for k, n in BAND_KEYS.items()},
        fit_valid=valid,
        reason=reason,
        **extra,
    )


def with_exposure(detector, exposure_t_yr: float):
    """The detector rebuilt with setting ``exposure_t_yr`` = the given value [t yr].

    Parameters
    ----------
    detector : detectors.base.Detector
        Any detector with an ``exposure_t_yr`` setting (every solar detector has one). A detector that
        defines ``with_settings(**settings)`` is rebuilt by it, any other as
        ``type(detector)(**{**detector.settings, "exposure_t_yr": T})``.
    exposure_t_yr : float
        Exposure [t yr], > 0.

    Raises
    ------
    InvalidParameterError
        If the exposure is not a positive number or the detector has no such setting (naming it).
    """
    T = check_number("exposure_t_yr", exposure_t_yr, positive=True)
    keys = [s.key for s in getattr(detector, "SETTINGS", ())]
    if "exposure_t_yr" not in keys:
        msg = (
            f"detector {detector.name!r} has no setting exposure_t_yr, so its exposure cannot be varied "
            f"(its settings: {', '.join(keys) or 'none'})"
        )
        raise InvalidParameterError(msg)
    rebuild = getattr(detector, "with_settings", None)
    if callable(rebuild):
        return rebuild(exposure_t_yr=T)
    return type(detector)(**{**detector.settings, "exposure_t_yr": T})


#: Detectors whose bands come from their own toy likelihoods: name -> ``"module:function"`` with the
#: signature ``f(detector, mass_MeV, flavour, cl) -> SensitivityPoint``.
SENSITIVITY_METHODS: dict[str, str] = {"xenonnt_nr": "fits.binwise_limit:binwise_detector_sensitivity"}


def _check_detector(det) -> None:
    from fits.limits import LIMIT_METHODS

    if det.name in LIMIT_METHODS and det.name not in SENSITIVITY_METHODS:
        msg = (
            f"sensitivity bands need a signal proportional to mu^2; detector {det.name!r} has its own limit "
            "method ('nugen limit' gives its limit; projections with their own toys: xenonnt_nr)"
        )
        raise InvalidParameterError(msg)


def _special_point(detector, mass_MeV, flavour, cl, exposure_t_yr, discovery, toys) -> SensitivityPoint:
    """A :data:`SENSITIVITY_METHODS` detector's point (its own toys; fixed exposure, no discovery)."""
    import importlib

    if exposure_t_yr is not None and not math.isclose(exposure_t_yr, detector.exposure_t_yr):
        msg = f"detector {detector.name!r}: its toy likelihoods exist for {detector.exposure_t_yr:g} t yr"
        raise InvalidParameterError(msg)
    if discovery or toys:
        msg = f"detector {detector.name!r}: its bands come from its own toys (no --discovery or --toys)"
        raise InvalidParameterError(msg)
    module, func = SENSITIVITY_METHODS[detector.name].split(":")
    return getattr(importlib.import_module(module), func)(detector, mass_MeV, flavour, cl)


def detector_sensitivity(
    detector,
    mass_MeV: float,
    flavour: str | Sequence[float] = "universal",
    *,
    cl: float = 0.9,
    exposure_t_yr: float | None = None,
    toys: int | None = None,
    seed: int | np.random.SeedSequence | None = None,
    discovery: bool = False,
    nature: str = "dirac",
    **settings: object,
) -> SensitivityPoint:
    """Median expected limit and ±1σ/±2σ bands on mu [mu_B] at one M_N for one detector.

    Parameters
    ----------
    detector : str or detectors.base.Detector
        A detector, or its registry name (then built with ``settings``).
    mass_MeV : float
        M_N [MeV].
    flavour : str or sequence of 3 floats
        Flavour pattern.
    cl : float
        Confidence level (0.5 <= cl < 1).
    exposure_t_yr : float, optional
        Rebuild the detector with this exposure [t yr] (:func:`with_exposure`).
    toys : int, optional
        Toy bands from this many pseudo-experiments instead of the asymptotic ones.
    seed : int or numpy.random.SeedSequence, optional
        Seed of the toys (reproducible); ``None``: fresh entropy.
    discovery : bool
        Also compute the mu of median 3 and 5 sigma discovery significance.
    nature : {"dirac", "majorana"}
        Accepted for symmetry with :func:`fits.limits.detector_limit`; recoil signals do not depend on it.
    **settings
        Detector settings when ``detector`` is a name.

    Returns
    -------
    SensitivityPoint

    Examples
    --------
    >>> p = detector_sensitivity("darwin", 0.0, "mu")  # doctest: +SKIP
    >>> p.median_muB, p.band_muB["-1"], p.band_muB["+1"]  # doctest: +SKIP
    """
    cl = check_cl(cl)
    check_nature(nature)
    _check_toys(toys)
    if isinstance(detector, str):
        from detectors import get_detector

        detector = get_detector(detector, **settings)
    elif settings:
        msg = "settings can only be given together with a detector name"
        raise InvalidParameterError(msg)
    _check_detector(detector)
    if detector.name in SENSITIVITY_METHODS:
        return _special_point(detector, float(mass_MeV), flavour, cl, exposure_t_yr, discovery, toys)
    if exposure_t_yr is not None:
        detector = with_exposure(detector, exposure_t_yr)
    lik = BinnedLikelihood.from_detector(detector, mass_MeV, flavour, asimov=True)
    rng = np.random.default_rng(seed) if toys else None
    return likelihood_sensitivity(
        lik,
        cl,
        toys=toys,
        rng=rng,
        discovery=discovery,
        detector=detector.name,
        mass_MeV=float(mass_MeV),
        exposure_t_yr=float(detector.exposure_t_yr),
        flavour=_flavour_label(flavour),
    )


# -- scans ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Unit:
    """One unit of work: one exposure and a chunk of masses (with one seed per mass for toys)."""

    detector: object  # registry name (str) or a Detector instance
    settings: tuple[tuple[str, object], ...]
    exposure: float | None
    masses: tuple[float, ...]
    seeds: tuple[np.random.SeedSequence | None, ...]
    flavour: str | tuple[float, float, float]
    cl: float
    toys: int
    discovery: bool


def _unit_detector(unit: _Unit):
    if isinstance(unit.detector, str):
        settings = dict(unit.settings)
        if unit.exposure is not None:
            settings["exposure_t_yr"] = unit.exposure
        return cached_detector(unit.detector, tuple(sorted(settings.items())))
    return unit.detector if unit.exposure is None else with_exposure(unit.detector, unit.exposure)


def _name(unit: _Unit) -> str:
    return unit.detector if isinstance(unit.detector, str) else unit.detector.name


def _failed(unit: _Unit, mass: float, exc: BaseException) -> SensitivityPoint:
    return SensitivityPoint(
        detector=_name(unit),
        mass_MeV=float(mass),
        exposure_t_yr=math.nan if unit.exposure is None else unit.exposure,
        flavour=_flavour_label(unit.flavour),
        cl=unit.cl,
        method="toys" if unit.toys else "asimov",
        discovery_muB=dict.fromkeys(f"{z:g}" for z in DISCOVERY_Z) if unit.discovery else None,
        fit_valid=False,
        error=f"{type(exc).__name__}: {exc}",
    )


def _run_unit(unit: _Unit) -> list[SensitivityPoint]:
    """Sensitivity at each mass of ``unit`` (runs in a worker); failures become rows with ``error``."""
    try:
        det = _unit_detector(unit)
    except Exception as exc:
        return [_failed(unit, m, exc) for m in unit.masses]
    out = []
    for m, ss in zip(unit.masses, unit.seeds, strict=True):
        try:
            if det.name in SENSITIVITY_METHODS:
                out.append(_special_point(det, m, unit.flavour, unit.cl, None, unit.discovery, unit.toys))
                continue
            lik = BinnedLikelihood.from_detector(det, m, unit.flavour, asimov=True)
            out.append(
                likelihood_sensitivity(
                    lik,
                    unit.cl,
                    toys=unit.toys or None,
                    rng=np.random.default_rng(ss) if ss is not None else None,
                    discovery=unit.discovery,
                    detector=det.name,
                    mass_MeV=m,
                    exposure_t_yr=float(det.exposure_t_yr),
                    flavour=_flavour_label(unit.flavour),
                )
            )
        except Exception as exc:
            out.append(_failed(unit, m, exc))
    return out


def _check_exposures(exposures) -> list[float | None]:
    if exposures is None:
        return [None]
    values = [exposures] if isinstance(exposures, int | float | str) else list(exposures)
    if not values:
        msg = "exposures must name at least one exposure [t yr]"
        raise InvalidParameterError(msg)
    out = [check_number("exposure_t_yr", v, positive=True) for v in values]
    if len(set(out)) != len(out):
        msg = f"each exposure may appear once, got {values}"
        raise InvalidParameterError(msg)
    return out


def sensitivity_scan(
    detector,
    masses: Iterable[float],
    flavour: str | Sequence[float] = "universal",
    *,
    cl: float = 0.9,
    exposures: Sequence[float] | float | None = None,
    toys: int | None = None,
    seed: int | None = None,
    discovery: bool = False,
    nature: str = "dirac",
    settings: Mapping[str, object] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: bool | None = None,
    scheduler_timeout: float = SCHEDULER_TIMEOUT_S,
) -> SensitivityResult:
    """Median expected limits and bands over ``masses`` (x ``exposures``) for one detector.

    Parameters
    ----------
    detector : str or detectors.base.Detector
        Registry name (built with ``settings``, once per process) or a detector instance (pickled to
        workers).
    masses : iterable of float
        M_N [MeV], each >= 0; sorted.
    flavour : str or sequence of 3 floats
        Flavour pattern.
    cl : float
        Confidence level (0.5 <= cl < 1).
    exposures : float or sequence of float, optional
        Exposures [t yr]: the detector is rebuilt with ``exposure_t_yr`` = each (:func:`with_exposure`);
        default: its own exposure.
    toys : int, optional
        Toy bands with this many pseudo-experiments per point; ``None``: asymptotic bands.
    seed : int, optional
        Seed of the root :class:`numpy.random.SeedSequence`; each point gets its own child (spawned in
        the order exposure, mass), so toys do not depend on the executor or the chunking. ``None``: fresh
        entropy, recorded in the result's ``seed``.
    discovery : bool
        Also compute the mu of median 3 and 5 sigma discovery significance.
    nature : {"dirac", "majorana"}
        Validated, unused (recoil signals do not depend on it).
    settings : mapping, optional
        Detector settings ``{key: value}`` (with a registry name only).
    workers, scheduler, executor, chunk_size, progress, scheduler_timeout
        Execution as in :func:`fits.scan.scan` (:func:`fits.scan.run_units`).

    Returns
    -------
    SensitivityResult
        Points ordered by exposure (as given), then mass.

    Raises
    ------
    InvalidParameterError
        For bad masses, exposures, ``toys``, ``cl``, execution options, settings with a detector
        instance, a detector without an ``exposure_t_yr`` setting when exposures are given, or a detector
        with a dedicated limit method (CHARM-II).
    UnknownNameError
        For an unknown detector, setting or flavour.
    """
    cl = check_cl(cl)
    check_nature(nature)
    n_toys = _check_toys(toys)
    check_execution(workers, scheduler, executor)
    if int(chunk_size) != chunk_size or chunk_size < 1:
        msg = f"chunk_size must be an integer >= 1, got {chunk_size!r}"
        raise InvalidParameterError(msg)
    mass = np.sort(np.asarray(list(masses), dtype=float).ravel())
    if mass.size == 0:
        msg = "a sensitivity scan needs at least one mass"
        raise InvalidParameterError(msg)
    if not np.all(np.isfinite(mass)) or np.any(mass < 0):
        msg = f"masses must be finite and >= 0 MeV, got {mass.tolist()}"
        raise InvalidParameterError(msg)
    flavour_pattern(flavour)  # validates
    fl = flavour if isinstance(flavour, str) else tuple(float(v) for v in flavour)
    exps = _check_exposures(exposures)
    given = dict(settings or {})
    if isinstance(detector, str):
        frozen = tuple(sorted(given.items()))
        base = cached_detector(detector, frozen)  # bad names or settings fail here
        spec: object = detector
    else:
        if given:
            msg = "settings can only be given together with a detector name"
            raise InvalidParameterError(msg)
        frozen, base, spec = (), detector, detector
    _check_detector(base)
    for T in exps:  # a detector without the setting, or a bad value, fails now, naming it
        if T is not None:
            det = with_exposure(base, T)
            if isinstance(spec, str):
                cached_detector(spec, tuple(sorted({**given, "exposure_t_yr": T}.items())))
            del det

    root = np.random.SeedSequence(seed) if n_toys else None
    n_points = len(exps) * mass.size
    children = root.spawn(n_points) if root is not None else [None] * n_points
    units = []
    for i, T in enumerate(exps):
        for start in range(0, mass.size, chunk_size):
            chunk = tuple(float(m) for m in mass[start : start + chunk_size])
            seeds = tuple(children[i * mass.size + start : i * mass.size + start + len(chunk)])
            units.append(_Unit(spec, frozen, T, chunk, seeds, fl, cl, n_toys, bool(discovery)))
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
        desc="nugen sensitivity",
    )
    points = []
    for unit, got in zip(units, rows, strict=True):
        T = base.exposure_t_yr if unit.exposure is None else unit.exposure
        # a failed row has no exposure of its own: label it with the unit's
        points.extend(p if p.error is None else _relabel(p, T) for p in got)
    return SensitivityResult(
        detector=base.name,
        flavour=_flavour_label(fl),
        cl=cl,
        method="toys" if n_toys else "asimov",
        settings=given,
        points=tuple(points),
        toys=n_toys,
        seed=None if root is None else int(root.entropy),
        discovery=bool(discovery),
    )


def _relabel(p: SensitivityPoint, exposure: float) -> SensitivityPoint:
    from dataclasses import replace

    return replace(p, exposure_t_yr=float(exposure))
