"""LSND limits in mu at one M_N from the nu_e e elastic-scattering measurement (signal not ∝ mu^2).

The data are one number: the nu_e e yield of LSND's measurement (Auerbach et al., PRD 63 (2001) 112001,
hep-ex/0101039; :mod:`detectors.lsnd`), ``y = n_events`` with the published relative errors of the measured
cross section (stat 1.1/10.1, syst 1.0/10.1), against LSND's SM expectation ``Y_SM = y sigma_SM /
sigma_meas``. Dipole single photons ``s(mu)`` (:meth:`detectors.lsnd.LSND.signal_counts`) would add to
the yield. Two statistics (detector setting ``statistic``):

* ``gaussian`` (default): ``-2 ln L(s) = ((y - Y_SM - s) / sigma)^2`` with ``sigma`` = stat (+) syst of the
  yield (the measurement's own errors: its statistical error, 10.9 %, is larger than sqrt(y) because
  beam-unrelated and other neutrino backgrounds were subtracted). With ``d = y - Y_SM`` and ``s >= 0``:
  ``s^ = max(d, 0)``, ``q(s) = ((d - s)^2 - (d - s^)^2) / sigma^2`` for ``s >= s^``, so the one-sided upper
  limit at ``q = c = chi2.ppf(2 CL - 1, 1)`` (the threshold of :func:`fits.limits.thresholds`) is
  ``s_up = d + sqrt(c) sigma`` for ``d >= 0`` and ``d + sqrt(d^2 + c sigma^2)`` for ``d < 0``
  (:func:`gaussian_signal_limit`); ``q0 = max(d, 0)^2 / sigma^2``.
* ``poisson``: ``y`` observed events over the background ``Y_SM`` whose normalisation is
  Gaussian-constrained with the systematic error, nugen's :class:`fits.likelihood.BinnedLikelihood` and
  :func:`fits.limits.likelihood_limit` (:func:`fits.limits.signal_limit_events`). It ignores that the
  real statistical error exceeds sqrt(y), so it is the more aggressive variant.

The limit on mu is the root of ``s(mu) = s_up`` (``s`` increases monotonically with mu: more production and a
shorter decay length), by :func:`scipy.optimize.toms748` in ln mu; the best fit is the root of
``s(mu) = s^``. The default CL of the detector is 95 % (:attr:`detectors.lsnd.LSND.default_cl`, that of the
published curve); the default flavour pattern is ``"e"``.

Usage: ``lsnd_detector_limit(get_detector("lsnd"), 20.0, "e", cl=0.95)``; :func:`fits.limits.detector_limit`
dispatches to it for the detector named "lsnd" (``fits.limits.LIMIT_METHODS``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fits.likelihood import flavour_label, flavour_pattern
from fits.limits import REFERENCE, LimitResult, check_cl, solve_increasing, thresholds
from nugen.model import DipolePortal

__all__ = [
    "closure_masses_MeV",
    "compare_published",
    "gaussian_signal_limit",
    "lsnd_detector_limit",
    "lsnd_limit",
    "published_curve",
    "signal_limit",
]

#: Relative tolerance of the limit in mu.
MU_RTOL = 1e-6


def gaussian_signal_limit(
    measured: float, expected: float, error: float, cl: float = 0.95
) -> tuple[float, float, float]:
    """Best fit, one-sided upper limit on an additive signal and q0 for a Gaussian measurement.

    Parameters
    ----------
    measured : float
        Measured yield [events].
    expected : float
        Its expectation without signal [events].
    error : float
        1-sigma error of the measurement [events] (> 0).
    cl : float
        Confidence level (threshold ``chi2.ppf(2 CL - 1, 1)``).

    Returns
    -------
    s_hat, s_up, q0 : float
        Best-fit signal (>= 0), one-sided upper limit [events] and q at s = 0.
    """
    c1, _ = thresholds(cl)
    d, sig = float(measured) - float(expected), float(error)
    if not sig > 0:
        msg = f"error must be > 0, got {error!r}"
        raise ValueError(msg)
    if d >= 0:
        return d, d + math.sqrt(c1) * sig, (d / sig) ** 2
    return 0.0, d + math.sqrt(d * d + c1 * sig * sig), 0.0


def signal_limit(detector, cl: float = 0.95, asimov: bool = False) -> tuple[float, float, float]:
    """``(s_hat, s_up, q0)`` [events] of the detector's chosen statistic (module docstring)."""
    y = detector.sm_events if asimov else detector.measured_events
    if detector.statistic == "poisson":
        from fits.limits import signal_limit_events

        return signal_limit_events(y, detector.sm_events, detector.syst_error_events, cl)
    return gaussian_signal_limit(y, detector.sm_events, detector.total_error_events, cl)


def method_text(cl: float, statistic: str, eff: float, data: str) -> str:
    """The ``"method"`` string of the result."""
    c1, _ = thresholds(cl)
    stat = (
        "Gaussian likelihood of the measured nu_e e yield (stat (+) syst of the published cross section)"
        if statistic == "gaussian"
        else "Poisson count over the SM expectation with a Gaussian-constrained normalisation (syst)"
    )
    return (
        f"{stat} ({data}), SM expectation n_events x sigma_SM / sigma_meas (LSND nu_e e, hep-ex/0101039); "
        f"one-sided upper limit on added single-photon events at q = chi2.ppf(2CL-1, 1) = {c1:.4g}, then mu "
        "from s(mu) = s_up (s monotonic in mu; decay probability in the fiducial path analytic in mu); "
        f"signal = photon efficiency ({eff:g}) x Y_SM x accepted photons / accepted SM electrons (same "
        f"Monte Carlo flux and target); root by scipy toms748 in ln mu; {REFERENCE}"
    )


def lsnd_limit(mass_MeV: float, flavour: str | Sequence[float] = "e", *, cl: float = 0.95,
               nature: str = "dirac", **settings: object) -> LimitResult:  # fmt: skip
    """LSND limit in mu at M_N = ``mass_MeV`` [MeV], building the detector from ``settings``."""
    from detectors import get_detector

    return lsnd_detector_limit(get_detector("lsnd", **settings), mass_MeV, flavour, cl=cl, nature=nature)


def lsnd_detector_limit(
    detector,
    mass_MeV: float,
    flavour: str | Sequence[float] = "e",
    *,
    cl: float = 0.95,
    asimov: bool | None = None,
    nature: str = "dirac",
) -> LimitResult:
    """LSND limit for a :class:`detectors.lsnd.LSND` instance (the fits dispatch target).

    Same signature as :func:`fits.limits.detector_limit`. ``asimov=True`` replaces the measured yield by
    the SM expectation (median expected limit).

    Returns
    -------
    LimitResult
        ``mu_upper_muB`` (= one-sided), ``mu_best_muB``, ``q0``; ``None`` limits with a ``reason`` when the
        signal is zero (M_N beyond the reach of the decay-at-rest neutrinos, no coupled flavour with a
        flux, or photon efficiency 0).
    """
    from nugen.model import check_nonnegative

    check_cl(cl)
    mass = check_nonnegative("mass_MeV", mass_MeV)
    pattern = flavour_pattern(flavour)
    label = flavour_label(flavour)
    eff = float(detector.settings["photon_efficiency"])
    common = {
        "detector": detector.name,
        "mass_MeV": mass,
        "flavour": label,
        "cl": float(cl),
        "expected": bool(asimov),
        "method": method_text(
            cl, detector.statistic, eff, "Asimov data = SM expectation" if asimov else "observed"
        ),
    }

    def signal(mu: float) -> float:
        return float(detector.signal_counts(DipolePortal(mass, tuple(mu * pattern), nature=nature))[0])

    probe = 1e-8
    if not signal(probe) > 0:
        flav = [f for f, v in zip(("e", "mu", "tau"), pattern, strict=True) if v > 0]
        reach = max((detector.kinematic_reach_MeV(f) for f in flav), default=0.0)
        if mass >= reach:
            why = (
                f"beyond the kinematic reach of the decay-at-rest neutrinos coupled ({'/'.join(flav)}): "
                f"nu A -> N A on carbon needs E_nu >= M + M^2/(2 m_A), largest E_nu = 52.83 MeV "
                f"(29.79 MeV for the nu_mu line), so M_N < {reach:.4g} MeV"
            )
        else:
            why = f"no photon passes the cuts, or photon_efficiency = {eff:g}"
        reason = f"no sensitivity: the LSND dipole single-photon signal is zero at M_N = {mass:g} MeV ({why})"
        return LimitResult(**common, reason=reason)
    s_hat, s_up, q0 = signal_limit(detector, cl, bool(asimov))
    mu_up = solve_increasing(signal, s_up, probe, MU_RTOL)
    if not math.isfinite(mu_up):
        reason = f"no upper limit: the signal stays below {s_up:.4g} events up to mu = 1e3 mu_B"
        return LimitResult(**common, reason=reason)
    mu_hat = solve_increasing(signal, s_hat, mu_up, MU_RTOL) if s_hat > 0 else 0.0
    return LimitResult(
        **common,
        mu_best_muB=mu_hat,
        mu_upper_muB=mu_up,
        mu_upper_one_sided_muB=mu_up,
        q0=q0,
        signal_events_per_muB2=signal(mu_up) / mu_up**2,
        nuisances={},
    )


# -- the published curve (Magill, Plestid, Pospelov, Tsai, PRD 98 (2018) 115015) ----------------------------
def published_curve() -> tuple[np.ndarray, np.ndarray]:
    """The published LSND nu_e limit: M_N [MeV] and mu [mu_B] (``fits/data/magill2018_lsnd_nue.csv``).

    Only the part where M_N increases monotonically (up to 95.82 MeV; the digitisation turns back once
    near the closure), so that it can be interpolated.
    """
    from fits.data import read

    t = read("magill2018_lsnd_nue.csv")
    M = np.asarray(t["M_N_MeV"], dtype=float)
    mu = np.asarray(t["mu_muB"], dtype=float)
    bad = np.flatnonzero(np.diff(M) <= 0)
    n = int(bad[0]) + 1 if bad.size else M.size
    return M[:n], mu[:n]


def compare_published(detector=None, masses_MeV=None, *, cl: float = 0.95, nature: str = "dirac") -> dict:
    """The LSND limit of nugen (flavour e) at ``masses_MeV`` and its ratio to the published curve.

    Parameters
    ----------
    detector : detectors.lsnd.LSND, optional
        Default: ``get_detector("lsnd")``.
    masses_MeV : array_like, optional
        Default: the published vertices below nugen's reach (52.7 MeV); the published limit there is
        interpolated in log-log.

    Returns
    -------
    dict
        ``M_MeV``, ``published_muB``, ``ours_muB``, ``ratio`` (arrays) and ``median_abs_log10_ratio``.
    """
    from detectors import get_detector

    det = get_detector("lsnd") if detector is None else detector
    M_pub, mu_pub = published_curve()
    if masses_MeV is None:
        M = M_pub[M_pub < det.kinematic_reach_MeV("e")]
    else:
        M = np.asarray(masses_MeV, dtype=float)
    from .published import compare_with_published

    cmp = compare_with_published(
        lambda m: lsnd_detector_limit(det, m, "e", cl=cl, nature=nature).mu_upper_muB, M_pub, mu_pub, M
    )
    return cmp.as_dict()


def closure_masses_MeV(detector=None, level_muB: float = 1e-7, cl: float = 0.95) -> tuple[float, float]:
    """Masses [MeV] where nugen's limit reaches ``level_muB`` at the low- and high-mass ends.

    The published curve reaches 1e-7 mu_B at 2.10 MeV and 96.1 MeV. Roots by :func:`scipy.optimize.brentq`
    in ln M_N between 0.05 and 10 MeV, and between 30 MeV and the kinematic reach.
    """
    from scipy.optimize import brentq

    from detectors import get_detector

    det = get_detector("lsnd") if detector is None else detector
    reach = det.kinematic_reach_MeV("e")

    def f(x: float) -> float:
        mu = lsnd_detector_limit(det, math.exp(x), "e", cl=cl).mu_upper_muB
        return 50.0 if mu is None else math.log(mu / level_muB)  # None: beyond the reach

    lo = brentq(f, math.log(0.05), math.log(10.0), xtol=1e-4)
    hi = brentq(f, math.log(30.0), math.log(reach * (1 - 1e-9)), xtol=1e-5)
    return math.exp(lo), math.exp(hi)
