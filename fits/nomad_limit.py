"""NOMAD single-photon limits in mu at one M_N (signal not ∝ mu^2: the N decay probability depends on mu).

The statistic is nugen's (:mod:`fits.likelihood`, :mod:`fits.limits`) on one Poisson bin of the published
NOMAD single-photon search (Kullenberg et al., PLB 706 (2012) 268, arXiv:1111.3713; selection ``all`` or
``collinear``, :mod:`detectors.nomad`):

* **Likelihood**: :class:`fits.likelihood.BinnedLikelihood` with data = the observed count, one background
  component = the predicted background with a Gaussian-constrained normalisation of relative width
  (stat (+) syst) / background, and the signal strength ``s >= 0`` in events.
* **Limit on s**: :func:`fits.limits.likelihood_limit` on that likelihood: ``q(s) = -2 ln L(s, theta^^) +
  2 ln L(s^, theta^)``, one-sided upper limit at ``q = chi2.ppf(2 CL - 1, 1)`` (1.642 at 90 %):
  :func:`signal_limit_events`.
* **Limit on mu**: the likelihood depends on mu only through ``s(mu)`` =
  :meth:`detectors.nomad.NOMAD.signal_counts`, which increases monotonically with mu (more production and a
  shorter decay length), so the profile-likelihood upper limit on mu is the root of ``s(mu) = s_up``, found by
  :func:`scipy.optimize.toms748` in ln mu; the best fit is the root of ``s(mu) = s^``.

The one-sided limit is reported even where ``q(0)`` exceeds the two-sided threshold (the ``all`` bin's 1.7
sigma excess, q0 = 2.93 > 2.706), as for CHARM-II (:mod:`fits.charm2_limit`).

Usage: ``nomad_detector_limit(get_detector("nomad"), 100.0, "mu")``; :func:`fits.limits.detector_limit`
dispatches to it for the detector named "nomad" (``fits.limits.LIMIT_METHODS``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fits.likelihood import flavour_label, flavour_pattern
from fits.limits import REFERENCE, LimitResult, check_cl, signal_limit_events, solve_increasing, thresholds
from nugen.model import DipolePortal

__all__ = [
    "closure_masses_MeV",
    "compare_published",
    "nomad_detector_limit",
    "nomad_limit",
    "published_curve",
    "signal_limit_events",
]

#: Relative tolerance of the limit in mu.
MU_RTOL = 1e-6


def method_text(cl: float, selection: str, eff: float, data: str) -> str:
    """The ``"method"`` string of the result."""
    c1, _ = thresholds(cl)
    return (
        f"profile likelihood ratio on one Poisson bin of the NOMAD single-photon search ({selection}; "
        f"{data}), background normalisation Gaussian-constrained (stat (+) syst); one-sided upper limit on "
        f"signal events at q = chi2.ppf(2CL-1, 1) = {c1:.4g}, then mu from s(mu) = s_up (s monotonic in "
        "mu; decay probability in the fiducial volume analytic in mu); selected signal = (s90 / published "
        f"per-CC limit) x photon efficiency ({eff:g}) x single photons per nu_mu CC; root by scipy toms748 "
        f"in ln mu; iminuit MIGRAD; {REFERENCE}"
    )


def nomad_limit(mass_MeV: float, flavour: str | Sequence[float] = "mu", *, cl: float = 0.9,
                nature: str = "dirac", **settings: object) -> LimitResult:  # fmt: skip
    """NOMAD limit in mu at M_N = ``mass_MeV`` [MeV], building the detector from ``settings``."""
    from detectors import get_detector

    return nomad_detector_limit(get_detector("nomad", **settings), mass_MeV, flavour, cl=cl, nature=nature)


def nomad_detector_limit(
    detector,
    mass_MeV: float,
    flavour: str | Sequence[float] = "mu",
    *,
    cl: float = 0.9,
    asimov: bool | None = None,
    nature: str = "dirac",
) -> LimitResult:
    """NOMAD limit for a :class:`detectors.nomad.NOMAD` instance (the fits dispatch target).

    Same signature as :func:`fits.limits.detector_limit`. ``asimov=True`` replaces the observed count by the
    predicted background (median expected limit).

    Returns
    -------
    LimitResult
        ``mu_upper_muB`` (= one-sided), ``mu_best_muB``, ``q0``; ``None`` limits with a ``reason`` when the
        signal is zero (M_N beyond the beam's reach, or photon efficiency 0).
    """
    from nugen.model import check_nonnegative

    check_cl(cl)
    mass = check_nonnegative("mass_MeV", mass_MeV)
    pattern = flavour_pattern(flavour)
    label = flavour_label(flavour)
    b = detector.background_events
    n_obs = b if asimov else float(detector.observed()[0])
    eff = float(detector.settings["photon_efficiency"])
    common = {
        "detector": detector.name,
        "mass_MeV": mass,
        "flavour": label,
        "cl": float(cl),
        "expected": bool(asimov),
        "method": method_text(
            cl, detector.selection, eff, "Asimov data = background" if asimov else "observed"
        ),
    }

    def signal(mu: float) -> float:
        return float(detector.signal_counts(DipolePortal(mass, tuple(mu * pattern), nature=nature))[0])

    probe = 1e-8
    if not signal(probe) > 0:
        reason = (
            f"no sensitivity: the NOMAD dipole single-photon signal is zero at M_N = {mass:g} MeV "
            f"(beyond the beam's reach, or photon_efficiency = {eff:g})"
        )
        return LimitResult(**common, reason=reason)
    s_hat, s_up, q0 = signal_limit_events(n_obs, b, detector.background_error_events, cl)
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


# -- the published curve (Coloma, Machado, Martinez-Soler, Shoemaker, PRL 119 (2017) 201804) ---------------
def published_curve() -> tuple[np.ndarray, np.ndarray]:
    """Lower edge of the published NOMAD region: M_N [MeV] and mu [mu_B] (``fits/data/coloma2017_nomad.csv``).

    The table is a closed polygon whose vertices rise monotonically in M_N along the limit and close back
    along the top of the plot frame (mu ~ 3.75e-7 mu_B); the limit is every vertex but the repeated first.
    """
    from fits.data import read

    t = read("coloma2017_nomad.csv")
    M = np.asarray(t["M_N_MeV"], dtype=float)
    mu = np.asarray(t["mu_muB"], dtype=float)
    return M[:-1], mu[:-1]


def compare_published(detector=None, masses_MeV=None, *, nature: str = "dirac") -> dict:
    """The NOMAD limit of nugen at the published masses and its ratio to the published curve.

    Parameters
    ----------
    detector : detectors.nomad.NOMAD, optional
        Default: ``get_detector("nomad")``.
    masses_MeV : array_like, optional
        Default: the published vertices (:func:`published_curve`); the published limit there is
        interpolated in log-log.

    Returns
    -------
    dict
        ``M_MeV``, ``published_muB``, ``ours_muB``, ``ratio`` (arrays) and ``median_abs_log10_ratio``.
    """
    from detectors import get_detector

    from .published import compare_with_published

    det = get_detector("nomad") if detector is None else detector
    M_pub, mu_pub = published_curve()
    cmp = compare_with_published(
        lambda m: nomad_detector_limit(det, m, "mu", nature=nature).mu_upper_muB, M_pub, mu_pub, masses_MeV
    )
    return cmp.as_dict()


def closure_masses_MeV(detector=None, level_muB: float | None = None) -> tuple[float, float]:
    """Masses [MeV] where nugen's limit reaches ``level_muB`` at the low- and high-mass ends.

    Default level: the top of the published region (mean of its first and last vertices, ~3.76e-7 mu_B),
    which it reaches at 4.10 and 6128 MeV. Roots by :func:`scipy.optimize.brentq` in ln M_N between
    1 and 100 MeV, and between 3 and 20 GeV.
    """
    from scipy.optimize import brentq

    from detectors import get_detector

    det = get_detector("nomad") if detector is None else detector
    _, mu_pub = published_curve()
    level = 0.5 * (mu_pub[0] + mu_pub[-1]) if level_muB is None else float(level_muB)

    def f(x: float) -> float:
        mu = nomad_detector_limit(det, math.exp(x), "mu").mu_upper_muB
        return 50.0 if mu is None else math.log(mu / level)  # None: beyond the beam's reach

    lo = brentq(f, math.log(1.0), math.log(100.0), xtol=1e-4)
    hi = brentq(f, math.log(3000.0), math.log(20000.0), xtol=1e-4)
    return math.exp(lo), math.exp(hi)
