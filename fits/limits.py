"""Profile-likelihood best fits, upper limits, intervals and Asimov sensitivities in mu at one M_N.

Method (docs/statistics.md has the derivation and the references)
----------------------------------------------------------------
The likelihood is :class:`fits.likelihood.BinnedLikelihood`, with signal strength
``s = mu^2 sum_i S_i >= 0`` (signal events; the rate is linear in mu^2). The test statistic is the
profile likelihood ratio with the physical boundary,

    q(s) = -2 ln [ L(s, theta^^(s)) / L(s^, theta^) ],   s^ >= 0,

(Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554: lambda(mu) and q~_mu) and the thresholds are the
asymptotic (Wilks/Chernoff) ones:

* **one-sided upper limit** at confidence level CL: the ``s > s^`` where
  ``q(s) = chi2.ppf(2 CL - 1, 1)`` (= 1.642 = 1.2816^2 at CL = 0.9): the one-sided statistic
  ``q~_mu`` (0 for ``s < s^``) is asymptotically a half-half mixture of 0 and chi^2_1, so
  ``P(q~ > c) = (1 - F_chi2_1(c)) / 2 = 1 - CL``;
* **two-sided interval**, reported when the data exclude mu = 0 at that CL, i.e.
  ``q(0) >= chi2.ppf(CL, 1)`` (= 2.706 at 90 %): both roots of ``q(s) = chi2.ppf(CL, 1)``;
  otherwise ``mu_lower`` is ``None`` and ``mu_upper`` is the one-sided limit. The one-sided limit
  is always reported as well (``mu_upper_one_sided_muB``). Choosing between the two from the data
  ("flip-flopping", Feldman & Cousins, PRD 57 (1998) 3873) under-covers in the transition region
  (asymptotically at worst about 85 % for CL = 90 %); the one-sided limit alone covers (tested).

Roots are found in ``s`` by :func:`scipy.optimize.toms748` on a bracket grown from the
Fisher-information width of ``s^`` by extrapolating ``sqrt(q)`` (no grid scans); each evaluation is
one profile fit with iminuit.
A detector without data (DARWIN), or any detector with ``asimov=True``, is fitted to the
background-only Asimov data set: the result is the median expected upper limit (Cowan et al.).
A mass at which the signal vanishes in every bin gives ``None`` limits with a ``reason``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from fits.likelihood import BinnedLikelihood, Component, flavour_label
from nugen.errors import InvalidParameterError
from nugen.model import check_nature

__all__ = [
    "LimitResult",
    "check_cl",
    "detector_limit",
    "likelihood_limit",
    "method_text",
    "signal_limit_events",
    "solve_increasing",
    "thresholds",
]

REFERENCE = "Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554"


def check_cl(cl: float, name: str = "confidence level") -> float:
    """Return ``cl`` as a float if ``0.5 <= cl < 1``, else raise :class:`~nugen.errors.InvalidParameterError`.

    Values outside (0, 1) are not confidence levels; below 0.5 a one-sided upper limit would lie
    below the best fit, which this module does not report. ``name`` is used in the message (the
    command line passes ``"--cl"``).
    """
    try:
        c = float(cl)
    except (TypeError, ValueError):
        msg = f"{name} must be a number in (0, 1), got {cl!r}"
        raise InvalidParameterError(msg) from None
    if not (0.0 < c < 1.0):
        msg = f"{name} must be in (0, 1), got {cl!r}"
        raise InvalidParameterError(msg)
    if c < 0.5:
        msg = f"{name} {cl!r} is below 0.5; one-sided upper limits need 0.5 <= CL < 1"
        raise InvalidParameterError(msg)
    return c


def solve_increasing(signal, target: float, mu0: float, rtol: float = 1e-6) -> float:
    """The coupling ``mu`` with ``signal(mu) = target`` for a ``signal`` increasing in ``mu``.

    The bracket starts at ``mu0`` and grows by factors of 4 (``inf`` above mu = 1e3, 0 below 1e-30); the root
    is found by scipy's ``toms748`` in ``ln mu`` to relative tolerance ``rtol``. Used by the counting-type
    limits (NOMAD, LSND) that turn an upper limit on signal events into one on mu.
    """
    from scipy.optimize import toms748

    lo = hi = mu0
    while signal(hi) < target:
        lo, hi = hi, hi * 4.0
        if hi > 1e3:
            return math.inf
    while signal(lo) > target:
        lo, hi = lo / 4.0, lo
        if lo < 1e-30:
            return 0.0
    if lo == hi:
        return lo
    x = toms748(lambda t: signal(math.exp(t)) - target, math.log(lo), math.log(hi), xtol=rtol, rtol=1e-12)
    return math.exp(x)


def thresholds(cl: float) -> tuple[float, float]:
    """Asymptotic critical values of q at confidence level ``cl``.

    Returns
    -------
    one_sided, two_sided : float
        ``scipy.stats.chi2.ppf(2 cl - 1, 1)`` (one-sided upper limit; 1.642 at 0.9) and
        ``chi2.ppf(cl, 1)`` (two-sided interval and the test of mu = 0; 2.706 at 0.9), evaluated with
        :func:`scipy.special.chdtri` (the same function, without importing :mod:`scipy.stats`).
    """
    # scipy.special.chdtri(k, 1 - p) is the chi^2_k quantile that scipy.stats.chi2.ppf(p, k) evaluates
    # (the same cephes routine); importing scipy.stats would add ~0.3 s to the start of `nugen limit`
    from scipy.special import chdtri

    c = check_cl(cl)
    return float(chdtri(1, 2.0 - 2.0 * c)), float(chdtri(1, 1.0 - c))


def method_text(cl: float, asimov: bool | None) -> str:
    """The ``"method"`` string of the JSON output, with the thresholds used at ``cl``.

    ``asimov``: True for the background-only Asimov data set, False for observed data, None for a
    mixture (several detectors; the ``expected`` flag of each result says which).
    """
    c1, c2 = thresholds(cl)
    data = {
        True: "background-only Asimov data set (median expected sensitivity)",
        False: "observed data",
        None: "observed data, or the background-only Asimov data set where 'expected' is true",
    }[asimov]
    return (
        "profile likelihood ratio q(mu) = -2 ln[L(mu, theta^^)/L(mu^, theta^)] with mu^ >= 0 "
        "(binned Poisson likelihood, signal strength linear in mu^2, background and SM normalisations "
        "profiled: Gaussian-constrained, or free >= 0); asymptotic thresholds: upper limit at "
        f"q = chi2.ppf(2CL-1, 1) = {c1:.4g} (one-sided), two-sided interval at q = chi2.ppf(CL, 1) = "
        f"{c2:.4g} reported when q(0) >= {c2:.4g}; roots by scipy toms748, fits by iminuit MIGRAD; "
        f"{data}; {REFERENCE}"
    )


@dataclass(frozen=True)
class LimitResult:
    """Best fit and limits in mu at one M_N for one detector.

    Attributes
    ----------
    detector : str
        Detector name ("" for a bare likelihood).
    mass_MeV : float
        M_N [MeV].
    flavour : str or dict
        Flavour pattern name, or the relative couplings ``{"e":, "mu":, "tau":}``.
    cl : float
        Confidence level.
    mu_best_muB : float or None
        Best-fit coupling [mu_B] (``None`` without sensitivity).
    mu_lower_muB : float or None
        Lower end of the two-sided interval [mu_B]; ``None`` when ``q(0) < chi2.ppf(cl, 1)``.
    mu_upper_muB : float or None
        Upper end of the two-sided interval if there is one, else the one-sided upper limit [mu_B].
    mu_upper_one_sided_muB : float or None
        One-sided upper limit [mu_B] (always computed).
    q0 : float or None
        ``q`` at mu = 0 (discovery statistic; ``sqrt(q0)`` is the asymptotic significance).
    expected : bool
        True if computed on the background-only Asimov data set (median expected limit).
    method : str
        What was done (:func:`method_text`).
    signal_events_per_muB2 : float
        Signal events in the analysis window per mu_B^2 (``mu^2 x this = s``).
    nuisances : dict of str to float
        Best-fit normalisations relative to nominal.
    fit_valid : bool
        Whether every minimisation converged (iminuit's ``valid``).
    reason : str or None
        Why limits are ``None`` (no sensitivity, degenerate signal), else ``None``.
    error : str or None
        Error message of a failed scan point, else ``None``.
    """

    detector: str
    mass_MeV: float
    flavour: str | dict
    cl: float
    mu_best_muB: float | None = None
    mu_lower_muB: float | None = None
    mu_upper_muB: float | None = None
    mu_upper_one_sided_muB: float | None = None
    q0: float | None = None
    expected: bool = False
    method: str = ""
    signal_events_per_muB2: float = 0.0
    nuisances: dict[str, float] = field(default_factory=dict)
    fit_valid: bool = True
    reason: str | None = None
    error: str | None = None

    #: Keys of a scan point (:meth:`point_dict`).
    POINT_KEYS = (
        "mass_MeV",
        "mu_best_muB",
        "mu_lower_muB",
        "mu_upper_muB",
        "mu_upper_one_sided_muB",
        "q0",
        "expected",
        "signal_events_per_muB2",
        "nuisances",
        "fit_valid",
        "reason",
        "error",
    )

    def to_dict(self) -> dict:
        """JSON-ready dict with the keys of CLI.md's ``limit`` output (plus extra keys)."""
        c1, c2 = thresholds(self.cl)
        return {
            "detector": self.detector,
            "mass_MeV": self.mass_MeV,
            "flavour": self.flavour,
            "cl": self.cl,
            "mu_best_muB": self.mu_best_muB,
            "mu_lower_muB": self.mu_lower_muB,
            "mu_upper_muB": self.mu_upper_muB,
            "method": self.method,
            "mu_upper_one_sided_muB": self.mu_upper_one_sided_muB,
            "q0": self.q0,
            "expected": self.expected,
            "thresholds": {"one_sided": c1, "two_sided": c2},
            "signal_events_per_muB2": self.signal_events_per_muB2,
            "nuisances": dict(self.nuisances),
            "fit_valid": self.fit_valid,
            "reason": self.reason,
            "error": self.error,
        }

    def point_dict(self) -> dict:
        """The per-mass entry of a scan (CLI.md ``points``)."""
        d = self.to_dict()
        return {k: d[k] for k in self.POINT_KEYS}


class _Q:
    """``q(s)`` of a likelihood, recording whether every fit converged."""

    def __init__(self, lik: BinnedLikelihood):
        self.lik = lik
        best = lik.fit()
        self.s_hat = best.s
        self.valid = best.valid

    def __call__(self, s: float) -> float:
        if s == self.s_hat:
            return 0.0
        self.valid &= self.lik.profile(s).valid
        return self.lik.q(s)


class _Found(Exception):
    """Raised inside the root finder once ``|sqrt(q) - sqrt(c)| < _RTOL``."""

    def __init__(self, s: float):
        self.s = s


#: Root-finding tolerance on sqrt(q) (~ (s - s^)/sigma): 1e-4 means s to 1e-4 sigma, mu to < 1e-4.
_RTOL = 1e-4


def _root(q: _Q, c: float, a: float, b: float) -> float:
    """Root of ``sqrt(q(s)) = sqrt(c)`` in [a, b] (nearly linear in s, so toms748 needs few steps)."""
    from scipy.optimize import toms748

    rc = math.sqrt(c)

    def f(s: float) -> float:
        d = math.sqrt(q(s)) - rc
        if abs(d) < _RTOL:
            raise _Found(s)
        return d

    try:
        return float(toms748(f, a, b, xtol=1e-12 * max(abs(a), abs(b), 1e-300), rtol=1e-10))
    except _Found as found:
        return found.s


def _upper_root(q: _Q, c: float, sigma: float, s_cap: float, start: float | None = None) -> float | None:
    """Smallest s > s^ with q(s) = c, or None if q stays below c up to ``s_cap``.

    The bracket is grown by extrapolating ``sqrt(q)``, which is close to ``(s - s^) / sigma`` in the
    asymptotic regime, aiming 10 % beyond the predicted root (by 1.2x to 10x per step).
    """
    s_hat = q.s_hat
    rc = math.sqrt(c)
    lo = s_hat if start is None else start
    if start is None:
        hi = s_hat + 1.1 * max(sigma * rc, 1e-9 * max(s_hat, 1.0))
    else:
        hi = s_hat + 1.1 * (start - s_hat) * rc / math.sqrt(max(q(start), 1e-300))
    while True:
        r = math.sqrt(q(hi))
        if r >= rc:
            break
        lo = hi
        grow = 1.1 * rc / r if r > 0 else 10.0
        hi = s_hat + (hi - s_hat) * min(max(grow, 1.2), 10.0)
        if hi > s_cap:
            return None
    return _root(q, c, lo, hi)


def likelihood_limit(
    lik: BinnedLikelihood,
    cl: float = 0.9,
    *,
    detector: str = "",
    mass_MeV: float = math.nan,
    flavour: str | dict = "universal",
    expected: bool = False,
) -> LimitResult:
    """Best fit, one-sided upper limit and (if mu = 0 is excluded) two-sided interval for ``lik``.

    Parameters
    ----------
    lik : BinnedLikelihood
        The likelihood (observed or Asimov data).
    cl : float
        Confidence level, 0.5 <= cl < 1.
    detector, mass_MeV, flavour, expected
        Labels copied into the result.

    Returns
    -------
    LimitResult
        Limits in mu [mu_B]; ``None`` limits with a ``reason`` if the signal vanishes.
    """
    c1, c2 = thresholds(cl)
    common = {
        "detector": detector,
        "mass_MeV": float(mass_MeV),
        "flavour": flavour,
        "cl": float(cl),
        "expected": expected,
        "method": method_text(cl, expected),
        "signal_events_per_muB2": lik.signal_norm,
    }
    label = f"{detector or 'this detector'} at M_N = {mass_MeV:g} MeV"
    if not lik.has_signal:
        reason = (
            f"no sensitivity: the dipole signal is zero in every analysis bin of {label} "
            "(beyond the kinematic reach of the source)"
        )
        return LimitResult(**common, reason=reason, nuisances=lik.fit().nuisances)
    q = _Q(lik)
    best = lik.fit()
    q0 = q(0.0)
    # first guess of the width of s^ (nuisances fixed, so too small when they are profiled; the
    # bracket search extrapolates from the q it finds)
    sigma = lik.fisher_sigma_s()
    total = float(lik.data.sum() + lik.expected(0.0).sum())
    s_cap = 1e4 * (total + 1.0) + 1e3 * sigma
    s_up1 = _upper_root(q, c1, sigma, s_cap)
    mu = lik.mu_from_s
    if s_up1 is None:
        reason = (
            f"no upper limit: q stays below {c1:.4g} up to {s_cap:.3g} signal events for {label} "
            "(the signal is degenerate with a free background)"
        )
        return LimitResult(
            **common, mu_best_muB=mu(best.s), reason=reason, nuisances=best.nuisances, fit_valid=q.valid
        )
    s_lo = s_up = None
    if q0 >= c2:
        s_lo = _root(q, c2, 0.0, q.s_hat)
        s_up = _upper_root(q, c2, sigma, s_cap, start=s_up1)
    return LimitResult(
        **common,
        mu_best_muB=mu(best.s),
        mu_lower_muB=None if s_lo is None else mu(s_lo),
        mu_upper_muB=mu(s_up if s_up is not None else s_up1),
        mu_upper_one_sided_muB=mu(s_up1),
        q0=float(q0),
        nuisances=best.nuisances,
        fit_valid=q.valid,
    )


#: Detectors whose signal is not proportional to mu^2 (e.g. CHARM-II's decay channel) name a dedicated
#: limit function here, ``"module:function"`` with the signature of :func:`detector_limit`; everything
#: else uses the generic profile likelihood. Kept in ``fits`` so that ``detectors`` never refers to ``fits``.
LIMIT_METHODS: dict[str, str] = {
    "charm2": "fits.charm2_limit:charm2_detector_limit",
    "xenon1t_nr": "fits.binwise_limit:binwise_detector_limit",
    "xenonnt_nr": "fits.binwise_limit:binwise_detector_limit",
    "nomad": "fits.nomad_limit:nomad_detector_limit",
    "lsnd": "fits.lsnd_limit:lsnd_detector_limit",
    "miniboone": "fits.miniboone_limit:miniboone_detector_limit",
}


def detector_limit(
    detector,
    mass_MeV: float,
    flavour: str | Sequence[float] = "universal",
    *,
    cl: float = 0.9,
    asimov: bool | None = None,
    nature: str = "dirac",
    **settings: object,
) -> LimitResult:
    """Limits in mu at M_N = ``mass_MeV`` from one detector.

    Parameters
    ----------
    detector : str or detectors.base.Detector
        A detector, or its registry name (then built with ``settings``).
    mass_MeV : float
        M_N [MeV].
    flavour : str or sequence of 3 floats
        Flavour pattern (``"universal"``, ``"e"``, ``"mu"``, ``"tau"`` or relative couplings).
    cl : float
        Confidence level (0.5 <= cl < 1).
    asimov : bool or None
        Use the background-only Asimov data (median expected limit); ``None``: only when the detector
        has no observed data.
    nature : {"dirac", "majorana"}
        N nature. It changes only N decays, so only detectors whose signal involves N decays (CHARM-II's
        photon channel and N-decay veto, via :data:`LIMIT_METHODS`) use it; recoil-only detectors accept
        and ignore it.
    **settings
        Detector settings when ``detector`` is a name.

    Returns
    -------
    LimitResult

    Examples
    --------
    >>> r = detector_limit("xenon1t", 0.0, "universal", cl=0.9)  # doctest: +SKIP
    >>> r.mu_lower_muB, r.mu_upper_muB  # doctest: +SKIP
    """
    check_cl(cl)
    check_nature(nature)
    if isinstance(detector, str):
        from detectors import get_detector

        detector = get_detector(detector, **settings)
    elif settings:
        msg = "settings can only be given together with a detector name"
        raise InvalidParameterError(msg)
    special = LIMIT_METHODS.get(detector.name)
    if special is not None:
        import importlib

        module, func = special.split(":")
        limit = getattr(importlib.import_module(module), func)
        return limit(detector, mass_MeV, flavour, cl=cl, asimov=asimov, nature=nature)
    lik = BinnedLikelihood.from_detector(detector, mass_MeV, flavour, asimov=asimov)
    expected = bool(asimov) or detector.observed() is None
    return likelihood_limit(
        lik,
        cl,
        detector=detector.name,
        mass_MeV=float(mass_MeV),
        flavour=flavour_label(flavour),
        expected=expected,
    )


def signal_limit_events(
    n_obs: float, background: float, background_error: float, cl: float = 0.9
) -> tuple[float, float, float]:
    """Best fit, one-sided upper limit on signal events and q0 for one Poisson bin (NOMAD, MiniBooNE, LSND).

    Parameters
    ----------
    n_obs : float
        Observed events.
    background : float
        Predicted background [events] (> 0).
    background_error : float
        Its 1-sigma error [events] (Gaussian constraint on the normalisation; > 0).
    cl : float
        Confidence level.

    Returns
    -------
    s_hat, s_up, q0 : float
        Best-fit signal (>= 0) and one-sided upper limit [events]; q at s = 0.
    """
    import numpy as np

    lik = BinnedLikelihood(
        np.array([float(n_obs)]),
        np.array([1.0]),
        [Component("background", np.array([float(background)]), float(background_error) / float(background))],
    )
    r = likelihood_limit(lik, cl)
    return float(r.mu_best_muB) ** 2, float(r.mu_upper_one_sided_muB) ** 2, float(r.q0)
