"""MiniBooNE electron-like-sample limits in mu at one M_N (signal not ∝ mu^2: the N decay probability).

The statistic is nugen's (:mod:`fits.likelihood`, :mod:`fits.limits`) on the published MiniBooNE bins
(:mod:`detectors.miniboone`: one Poisson bin of 200 < E_QE < 1250 MeV per beam mode; setting ``window``
for 200-475 MeV):

* **Likelihood**: :class:`fits.likelihood.BinnedLikelihood` with data = the observed counts, one background
  component per bin with a Gaussian-constrained normalisation (relative width = systematic error /
  background; the Poisson part is the likelihood's own), and the signal ``s_i(mu)`` of
  :meth:`detectors.miniboone.MiniBooNE.signal_counts`.
* **Test statistic**: ``q(mu) = -2 ln L(mu, theta^^(mu)) + 2 ln L(mu^, theta^)``, mu^ >= 0 (nuisances
  profiled at every mu); the one-sided upper limit is the smallest ``mu > mu^`` with
  ``q = chi2.ppf(2 CL - 1, 1)`` (:func:`fits.limits.thresholds`: 2.706 at the default **95 % CL**, the CL of
  Magill et al.'s curve).
* **One bin** (``mode`` ``nu`` or ``nubar``): the likelihood depends on mu only through ``s(mu)``, which
  rises monotonically with mu (more production, shorter decay length), so the limit is the root of
  ``s(mu) = s_up``, ``s_up`` being the one-sided limit on signal events of the bin
  (:func:`signal_limit_events`); **two bins** (``both``): ``q(mu)`` itself is solved (the ratio of the two
  bins' signals depends on mu through the decay probability). Roots by :func:`scipy.optimize.toms748` in
  ln mu.

The MiniBooNE bins hold an excess (neutrino mode: 1959 observed over 1590.6 +- 79.0 (syst), q0 ≈ 16):
the one-sided upper limit is reported as it is (the data favour a signal; ``mu_best_muB`` is its best
fit), as for NOMAD's bin (:mod:`fits.nomad_limit`).

Usage: ``miniboone_detector_limit(get_detector("miniboone"), 100.0, "mu")``;
:func:`fits.limits.detector_limit` dispatches to it for the detector named "miniboone"
(``fits.limits.LIMIT_METHODS``). ``python -m fits.miniboone_limit [KEY=VALUE ...]`` prints the comparison
with the published curve (Magill et al., ``fits/data/magill2018_miniboone.csv``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fits.likelihood import BinnedLikelihood, Component, flavour_label, flavour_pattern
from fits.limits import REFERENCE, LimitResult, check_cl, signal_limit_events, thresholds
from nugen.model import DipolePortal

__all__ = [
    "DEFAULT_CL",
    "closure_masses_MeV",
    "compare_published",
    "favoured_interval",
    "miniboone_detector_limit",
    "miniboone_limit",
    "published_closure_MeV",
    "published_curve",
    "signal_limit_events",
]

#: Default confidence level (that of the published curve, Magill et al. 2018).
DEFAULT_CL = 0.95
#: Relative tolerance of the limit in mu.
MU_RTOL = 1e-6


def method_text(cl: float, modes: Sequence[str], eff: float, data: str, window: str = "200-1250") -> str:
    """The ``"method"`` string of the result."""
    c1, _ = thresholds(cl)
    return (
        "profile likelihood ratio q(mu) on one Poisson bin per MiniBooNE beam mode "
        f"({', '.join(modes)}; E_QE {window} MeV; {data}), background normalisation Gaussian-constrained "
        "(systematic error after the nu_mu CCQE constraint); one-sided upper limit at "
        f"q = chi2.ppf(2CL-1, 1) = {c1:.4g}; signal = coherent up-scattering in the fiducial sphere "
        "x photon E_QE in the window x "
        f"decay probability in the sphere (analytic in mu) x efficiency ({eff:g}); root by scipy toms748 in "
        f"ln mu; iminuit MIGRAD; {REFERENCE}"
    )


def _bracket_root(f, mu0: float) -> float:
    """The coupling where an increasing ``f`` crosses 0 (bracket grown by 4 from ``mu0``); inf if none."""
    from scipy.optimize import toms748

    lo = hi = mu0
    while f(hi) < 0:
        lo, hi = hi, hi * 4.0
        if hi > 1e3:
            return math.inf
    while f(lo) > 0:
        lo, hi = lo / 4.0, lo
        if lo < 1e-30:
            return 0.0
    if lo == hi:
        return lo
    x = toms748(lambda t: f(math.exp(t)), math.log(lo), math.log(hi), xtol=MU_RTOL, rtol=1e-12)
    return math.exp(x)


def _root_above(f, mu_hat: float, probe: float) -> float:
    """The smallest coupling above ``mu_hat`` where ``f`` (< 0 at mu_hat, rising above it) crosses 0.

    ``q(mu) - c`` is not monotonic over all mu (it falls to the best fit, then rises), so the bracket starts
    at the best fit and grows upwards by 4; for ``mu_hat = 0`` it starts from ``probe`` shrunk by 4 until
    ``f < 0`` (the signal, hence q, vanishes as mu -> 0). inf if ``f`` stays below 0 up to 1e3 mu_B.
    """
    from scipy.optimize import toms748

    lo = mu_hat
    if not lo > 0:
        lo = probe
        while f(lo) >= 0:
            lo /= 4.0
            if lo < 1e-30:
                return 0.0
    hi = lo * 4.0
    while f(hi) < 0:
        lo, hi = hi, hi * 4.0
        if hi > 1e3:
            return math.inf
    x = toms748(lambda t: f(math.exp(t)), math.log(lo), math.log(hi), xtol=MU_RTOL, rtol=1e-12)
    return math.exp(x)


class _Problem:
    """Data, components and the profiled -2 ln L(mu) of the chosen bins at fixed M_N."""

    def __init__(self, detector, data: np.ndarray, signal):
        self.data = data
        self.signal = signal
        b, e = detector.background_events, detector.background_error_events
        self.components = []
        for i, m in enumerate(detector.modes):
            counts = np.zeros(len(b))
            counts[i] = b[i]
            self.components.append(Component(f"bkg_{m}", counts, float(e[i] / b[i])))
        self._cache: dict[float, float] = {}

    def twice_nll(self, mu: float) -> float:
        mu = float(mu)
        if mu not in self._cache:
            sig = self.signal(mu) if mu > 0 else np.zeros_like(self.data)
            if sig.sum() > 0:
                lik = BinnedLikelihood(self.data, sig / mu**2, self.components)
                val = lik.profile(float(sig.sum())).twice_nll
            else:
                lik = BinnedLikelihood(self.data, np.zeros_like(self.data), self.components)
                val = lik.profile(0.0).twice_nll
            self._cache[mu] = val
        return self._cache[mu]


def miniboone_limit(mass_MeV: float, flavour: str | Sequence[float] = "mu", *, cl: float = DEFAULT_CL,
                    nature: str = "dirac", **settings: object) -> LimitResult:  # fmt: skip
    """MiniBooNE limit in mu at M_N = ``mass_MeV`` [MeV], building the detector from ``settings``."""
    from detectors import get_detector

    det = get_detector("miniboone", **settings)
    return miniboone_detector_limit(det, mass_MeV, flavour, cl=cl, nature=nature)


def miniboone_detector_limit(
    detector,
    mass_MeV: float,
    flavour: str | Sequence[float] = "mu",
    *,
    cl: float = DEFAULT_CL,
    asimov: bool | None = None,
    nature: str = "dirac",
) -> LimitResult:
    """MiniBooNE limit for a :class:`detectors.miniboone.MiniBooNE` instance (the fits dispatch target).

    Same signature as :func:`fits.limits.detector_limit`, except that the default CL is 95 %
    (:data:`DEFAULT_CL`; the command line passes its own ``--cl``). ``asimov=True`` replaces the observed
    counts by the predicted backgrounds (median expected limit).

    Returns
    -------
    LimitResult
        ``mu_upper_muB`` (= one-sided), ``mu_best_muB``, ``q0``; ``None`` limits with a ``reason`` when the
        signal is zero (M_N beyond the beam's reach, or efficiency 0).
    """
    from nugen.model import check_nonnegative

    check_cl(cl)
    mass = check_nonnegative("mass_MeV", mass_MeV)
    pattern = flavour_pattern(flavour)
    label = flavour_label(flavour)
    b = detector.background_events
    data = b.copy() if asimov else detector.observed().astype(float)
    eff = float(detector.settings["efficiency"])
    common = {
        "detector": detector.name,
        "mass_MeV": mass,
        "flavour": label,
        "cl": float(cl),
        "expected": bool(asimov),
        "method": method_text(
            cl,
            detector.modes,
            eff,
            "Asimov data = background" if asimov else "observed",
            str(detector.settings["window"]),
        ),
    }

    def signal(mu: float) -> np.ndarray:
        return detector.signal_counts(DipolePortal(mass, tuple(mu * pattern), nature=nature))

    probe = 1e-8
    if not signal(probe).sum() > 0:
        reason = (
            f"no sensitivity: the MiniBooNE dipole single-photon signal is zero at M_N = {mass:g} MeV "
            "(beyond the Booster beam's reach for coherent up-scattering with a photon in "
            f"E_QE {detector.settings['window']} MeV, or efficiency = {eff:g})"
        )
        return LimitResult(**common, reason=reason)
    c1, _ = thresholds(cl)
    if len(data) == 1:
        s_hat, s_up, q0 = signal_limit_events(data[0], b[0], detector.background_error_events[0], cl)
        mu_up = _bracket_root(lambda mu: float(signal(mu)[0]) - s_up, probe)
        mu_hat = _bracket_root(lambda mu: float(signal(mu)[0]) - s_hat, mu_up) if s_hat > 0 else 0.0
    else:
        prob = _Problem(detector, data, signal)
        mu_hat, best = _best_fit(prob, probe)
        q0 = prob.twice_nll(0.0) - best
        mu_up = _root_above(lambda mu: prob.twice_nll(mu) - best - c1, mu_hat, probe)
    if not math.isfinite(mu_up):
        reason = "no upper limit: the signal stays below the excluded level up to mu = 1e3 mu_B"
        return LimitResult(**common, reason=reason)
    return LimitResult(
        **common,
        mu_best_muB=mu_hat,
        mu_upper_muB=mu_up,
        mu_upper_one_sided_muB=mu_up,
        q0=max(float(q0), 0.0),
        signal_events_per_muB2=float(signal(mu_up).sum()) / mu_up**2,
        nuisances={},
    )


def _best_fit(prob: _Problem, probe: float) -> tuple[float, float]:
    """Global minimum (mu^, -2 ln L) over mu >= 0 for the two-bin problem (bounded search in ln mu)."""
    from scipy.optimize import minimize_scalar

    f0 = prob.twice_nll(0.0)
    # the scale: where the summed signal reaches the summed excess (or 10 events)
    excess = max(float(prob.data.sum() - sum(c.counts.sum() for c in prob.components)), 10.0)
    scale = _bracket_root(lambda mu: float(prob.signal(mu).sum()) - excess, probe)
    if not math.isfinite(scale) or scale == 0:
        return 0.0, f0
    bounds = (math.log(scale / 10), math.log(scale * 3))
    res = minimize_scalar(lambda x: prob.twice_nll(math.exp(x)), bounds=bounds, method="bounded",
                          options={"xatol": 1e-6})  # fmt: skip
    if res.fun < f0:
        return math.exp(res.x), float(res.fun)
    return 0.0, f0


def favoured_interval(
    detector,
    mass_MeV: float,
    flavour: str | Sequence[float] = "mu",
    *,
    cl: float = 0.9,
    nature: str = "dirac",
) -> tuple[float, float] | None:
    """Two-sided interval [mu_lo, mu_hi] [mu_B] favoured by the excess of a one-bin MiniBooNE detector.

    The couplings with ``q(mu) < chi2.ppf(cl, 1)`` (2.706 at 90 %): the signal events of the bin lie in
    ``[s_lo, s_hi]``, the roots of the one-bin profile-likelihood ratio ``q(s)`` on either side of ``s^``
    (:meth:`fits.likelihood.BinnedLikelihood.q`), and ``s(mu)`` rises monotonically. ``None`` when
    ``q(0) < chi2.ppf(cl, 1)`` (no interval), the signal is zero, or the detector has two bins. One bin has
    no information on M_N: every mass with signal has an interval (the mass comes from spectral shapes:
    :func:`fits.miniboone_region.favoured_region` fits the nine release bins in 2D).
    """
    from scipy.optimize import brentq

    check_cl(cl)
    if len(detector.modes) != 1:
        return None
    pattern = flavour_pattern(flavour)
    n, b = float(detector.observed()[0]), float(detector.background_events[0])
    e = float(detector.background_error_events[0])
    lik = BinnedLikelihood(np.array([n]), np.array([1.0]), [Component("background", np.array([b]), e / b)])
    _, c2 = thresholds(cl)
    s_hat = lik.fit().s
    if lik.q(0.0) < c2:
        return None
    width = math.sqrt(n + e * e)
    s_lo = brentq(lambda s: lik.q(s) - c2, 0.0, s_hat, xtol=1e-6)
    s_hi = brentq(lambda s: lik.q(s) - c2, s_hat, s_hat + 20.0 * width, xtol=1e-6)

    def signal(mu: float) -> float:
        return float(
            detector.signal_counts(DipolePortal(float(mass_MeV), tuple(mu * pattern), nature=nature))[0]
        )

    if not signal(1e-8) > 0:
        return None
    lo = _bracket_root(lambda mu: signal(mu) - s_lo, 1e-8)
    hi = _bracket_root(lambda mu: signal(mu) - s_hi, max(lo, 1e-12))
    return lo, hi


# -- the published curve (Magill, Plestid, Pospelov, Tsai, PRD 98 (2018) 115015) --------------------------
def published_curve() -> tuple[np.ndarray, np.ndarray]:
    """Published MiniBooNE limit: M_N [MeV] and mu [mu_B] at 95 % CL (``fits/data/magill2018_miniboone.csv``).

    The vertices up to the largest mass (981.2 MeV); the two rows after it step back to 975.5 MeV along the
    vertical closure and are left out, so the masses increase.
    """
    from fits.data import read

    t = read("magill2018_miniboone.csv")
    M = np.asarray(t["M_N_MeV"], dtype=float)
    mu = np.asarray(t["mu_muB"], dtype=float)
    last = int(np.argmax(M)) + 1
    return M[:last], mu[:last]


def compare_published(
    detector=None, masses_MeV=None, *, nature: str = "dirac", cl: float = DEFAULT_CL
) -> dict:
    """The MiniBooNE limit at the published masses and its ratio to the published curve.

    Parameters
    ----------
    detector : detectors.miniboone.MiniBooNE, optional
        Default: ``get_detector("miniboone")``.
    masses_MeV : array_like, optional
        Default: the published vertices (:func:`published_curve`); elsewhere the published limit is
        interpolated in log-log.

    Returns
    -------
    dict
        ``M_MeV``, ``published_muB``, ``ours_muB`` (NaN where nugen has no limit), ``ratio`` (arrays) and
        ``median_abs_log10_ratio`` (over the masses with a limit).
    """
    from detectors import get_detector

    det = get_detector("miniboone") if detector is None else detector
    M_pub, mu_pub = published_curve()
    from .published import compare_with_published

    cmp = compare_with_published(
        lambda m: miniboone_detector_limit(det, m, "mu", nature=nature, cl=cl).mu_upper_muB,
        M_pub,
        mu_pub,
        masses_MeV,
    )
    return cmp.as_dict()


def published_closure_MeV(level_muB: float | None = None) -> float:
    """High-mass mass [MeV] where the published curve rises through ``level_muB`` (log-log interpolation).

    Default level: the published value at the first vertex (9.019e-8 mu_B at 1.002 MeV), reached again at
    764 MeV on the way to the closure.
    """
    M, mu = published_curve()
    level = float(mu[0]) if level_muB is None else float(level_muB)
    i = int(np.argmin(mu))
    x = np.log(M[i:])
    y = np.log(mu[i:])
    return float(np.exp(np.interp(math.log(level), y, x)))


def closure_masses_MeV(detector=None, level_muB: float | None = None) -> tuple[float, float]:
    """Masses [MeV] where nugen's limit reaches ``level_muB`` at the low- and high-mass ends.

    Default level: the published value at its first vertex (9.019e-8 mu_B), which the published curve has
    at 1.002 MeV and again at 764 MeV (:func:`published_closure_MeV`). Roots by
    :func:`scipy.optimize.brentq` in ln M_N between 0.05 and 30 MeV and between 300 and 3000 MeV.
    """
    from scipy.optimize import brentq

    from detectors import get_detector

    det = get_detector("miniboone") if detector is None else detector
    level = float(published_curve()[1][0]) if level_muB is None else float(level_muB)

    def f(x: float) -> float:
        mu = miniboone_detector_limit(det, math.exp(x), "mu").mu_upper_muB
        return 50.0 if mu is None else math.log(mu / level)  # None: beyond the beam's reach

    lo = brentq(f, math.log(0.05), math.log(30.0), xtol=1e-3)
    hi = brentq(f, math.log(300.0), math.log(3000.0), xtol=1e-3)
    return math.exp(lo), math.exp(hi)
