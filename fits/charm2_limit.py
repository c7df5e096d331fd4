"""CHARM-II limits in mu at one M_N with the full mu dependence (electron recoils + N -> nu gamma photons).

The generic :func:`fits.limits.detector_limit` assumes a signal ∝ mu^2 at fixed M_N. CHARM-II's
single-photon channel is not: its decay probability depends on mu through the N lifetime
(:meth:`detectors.charm2.CHARM2.signal_counts`). This module computes the same profile-likelihood limit
with the same likelihood, test statistic and thresholds as :mod:`fits.limits`, by root-finding in mu
on :meth:`~detectors.charm2.CHARM2.signal_counts`:

* **Likelihood**: :class:`fits.likelihood.BinnedLikelihood` with one bin per CHARM-II sample
  (nu_mu e in neutrino mode, nubar_mu e in antineutrino mode; setting ``limit_samples``), data = the
  measured counts, the SM prediction of each sample as a component with its own Gaussian-constrained
  normalisation (:attr:`~detectors.charm2.CHARM2.sm_rel_uncertainty`, the total error minus Poisson
  statistics), and the signal of the model at mu. For a trial mu the signal shape over the bins is
  that of ``signal_counts(mu)``; the likelihood is built with it and evaluated at ``s = sum(signal)``.
* **Test statistic**: ``q(mu) = -2 ln L(mu, theta^^(mu)) + 2 ln L(mu^, theta^)`` with ``mu^ >= 0``
  the global best fit over mu (profile over the nuisances at every mu); the one-sided upper limit is the
  smallest ``mu > mu^`` with ``q = chi2.ppf(2 CL - 1, 1)`` (:func:`fits.limits.thresholds`), found by
  :func:`scipy.optimize.toms748` in ln mu on a bracket grown geometrically from the mu^2-scaling
  (electron-channel) estimate -- no grid scan.
* The electron-recoil channel is ∝ mu^2 while N escapes the calorimeter; with the N-decay veto
  (setting ``n_decay_veto``, default on) events whose N decays inside are lost, so at large mu the
  signal falls again and the excluded region at fixed M_N is an interval; the limit reported is its
  lower end (the first crossing above mu^), and no limit exists where the two ends meet.
* When the signal is exactly ∝ mu^2 (photon channel and veto off, or lambda >> the detector) this
  reproduces :func:`fits.limits.likelihood_limit` on the same bins (tested).

Because the SM prediction is calibrated to the measured counts (detectors/charm2.py), data equal the
nominal expectation: the observed limit equals the median expected (Asimov) one.

Usage: ``charm2_detector_limit(get_detector("charm2"), 50.0, "mu")``; :func:`fits.limits.detector_limit`
dispatches to it for the detector named "charm2" (``fits.limits.LIMIT_METHODS``).

**The published curve** (Coloma, Machado, Martinez-Soler, Shoemaker, PRL 119 (2017) 201804,
arXiv:1707.08573; ``fits/data/coloma2017_charm2.csv``) is not what this module computes. Its *shape*
is that of a single neutrino energy E = 19.1 GeV (the mean nubar_mu energy of the CHARM-II beam) with
every electron recoil counted, :func:`published_recast_relative_limit`: it closes where the threshold
``M + M^2/(2 m_e)`` reaches 19.1 GeV, :func:`published_recast_closure_MeV` = 139.2 MeV (published:
139.2 MeV), and with recoils above 10 MeV follows the published rise to < 6 % up to 136 MeV
(median 0.6 %; tests/detectors/test_charm2.py).
The CHARM-II selection (3 < E_e < 24 GeV) at that energy would close the channel at 128 MeV, and the
beam's flux reaches 200 GeV, so nugen's default (flux-folded, windowed) closes later; the published
*level* (2.88e-9 mu_B) is not reproduced by any criterion we could reconstruct without the paper's
text (docs/validation.md, CHARM-II section).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from fits.likelihood import BinnedLikelihood, Component, flavour_label, flavour_pattern
from fits.limits import REFERENCE, LimitResult, check_cl, thresholds
from nugen.constants import M_E
from nugen.errors import InvalidParameterError
from nugen.model import DipolePortal
from nugen.xsec import dipole_sigma_total

__all__ = [
    "PUBLISHED_RECAST_E_NU_MEV",
    "charm2_detector_limit",
    "charm2_limit",
    "method_text",
    "published_recast_closure_MeV",
    "published_recast_relative_limit",
]

#: Neutrino energy [MeV] whose kinematics the published CHARM-II curve follows (mean nubar_mu energy of
#: the CHARM-II beam; physics.md Sec. 6.4 quotes it as UNVERIFIED, the curve's closure supports it).
PUBLISHED_RECAST_E_NU_MEV = 19.1e3

#: Relative tolerance of the limit in mu.
MU_RTOL = 1e-5


def method_text(cl: float, samples: Sequence[str], photon_efficiency: float, veto: str = "on") -> str:
    """The ``"method"`` string of the result, with the thresholds and what entered."""
    c1, _ = thresholds(cl)
    return (
        "profile likelihood ratio q(mu) = -2 ln[L(mu, theta^^)/L(mu^, theta^)], mu^ >= 0, one Poisson bin "
        f"per CHARM-II sample ({', '.join(samples)}), SM normalisation of each sample Gaussian-constrained; "
        "signal = electron recoils (∝ mu^2, minus events whose N decays in the calorimeter if "
        f"n_decay_veto is on: {veto}) + single photons from N -> nu gamma in the fiducial region "
        f"(photon efficiency {photon_efficiency:g}; decay probability analytic in mu); one-sided upper "
        f"limit at q = chi2.ppf(2CL-1, 1) = {c1:.4g}; root by scipy toms748 in ln mu; iminuit MIGRAD; "
        f"observed data = calibrated SM nominal, so observed = median expected; {REFERENCE}"
    )


@functools.lru_cache(maxsize=8)
def _sibling(cls, beam: str, settings: tuple):
    """The detector of the other sample with the same settings (cached: it keeps its photon Monte Carlo)."""
    return cls(beam=beam, **dict(settings))


class _Problem:
    """Signal, data and components of the combined CHARM-II samples for one model family (fixed M_N)."""

    def __init__(self, detectors, mass_MeV: float, pattern: np.ndarray, nature: str):
        self.dets = detectors
        self.mass = mass_MeV
        self.pattern = pattern
        self.nature = nature
        n = len(detectors)
        self.data = np.array([float(d.observed()[0]) for d in detectors])
        comps = []
        for i, d in enumerate(detectors):
            counts = np.zeros(n)
            counts[i] = float(d.sm_counts()[0])
            comps.append(Component(f"sm_{d.beam}", counts, d.sm_rel_uncertainty))
        self.components = comps
        # lifetime-independent part of the electron recoils per unit mu_max^2 (sets the search scale)
        self.electron = np.array(
            [float(np.einsum("fb,f->b", d.signal_templates(mass_MeV), pattern**2).sum()) for d in detectors]
        )
        self._cache: dict[float, float] = {}

    def model(self, mu: float) -> DipolePortal:
        return DipolePortal(self.mass, tuple(mu * self.pattern), nature=self.nature)

    def signal(self, mu: float) -> np.ndarray:
        """Signal events per sample at coupling mu (:meth:`detectors.charm2.CHARM2.signal_counts`).

        Electron recoils (∝ mu^2 x N-decay veto survival) plus single photons (decay probability
        analytic in mu).
        """
        m = self.model(mu)
        return np.array([float(d.signal_counts(m).sum()) for d in self.dets])

    def twice_nll(self, mu: float) -> float:
        """Profiled -2 ln L at coupling mu (nuisances minimised)."""
        mu = float(mu)
        if mu not in self._cache:
            if mu == 0:
                lik = BinnedLikelihood(self.data, np.zeros_like(self.data), self.components)
                val = lik.profile(0.0).twice_nll
            else:
                sig = self.signal(mu)
                lik = BinnedLikelihood(self.data, sig / mu**2, self.components)
                val = lik.profile(float(sig.sum())).twice_nll
            self._cache[mu] = val
        return self._cache[mu]


def _best_fit(prob: _Problem, mu_scale: float) -> tuple[float, float]:
    """Global minimum (mu^, -2 ln L) over mu >= 0: mu = 0 or a bounded minimisation in ln mu."""
    from scipy.optimize import minimize_scalar

    f0 = prob.twice_nll(0.0)
    # an excess needs mu > 0: look for a lower minimum between 1e-3 and 10 x the scale
    lo, hi = math.log(mu_scale * 1e-3), math.log(mu_scale * 10.0)
    res = minimize_scalar(lambda x: prob.twice_nll(math.exp(x)), bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-4})  # fmt: skip
    if res.fun < f0 - 1e-9:
        return math.exp(res.x), float(res.fun)
    return 0.0, f0


def charm2_limit(
    mass_MeV: float,
    flavour: str | Sequence[float] = "mu",
    *,
    cl: float = 0.9,
    nature: str = "dirac",
    samples: Sequence[str] | str | None = None,
    **settings: object,
) -> LimitResult:
    """CHARM-II limit in mu at M_N = ``mass_MeV`` [MeV] (builds the detectors from ``settings``).

    Parameters
    ----------
    mass_MeV : float
        M_N [MeV].
    flavour : str or sequence of 3 floats
        Flavour pattern; CHARM-II sees only mu_mu (the limit is on the largest coupling).
    cl : float
        Confidence level (0.5 <= cl < 1).
    nature : {"dirac", "majorana"}
        N nature (photon angular distribution and width).
    samples : {"both", "numu", "numubar"} or sequence, optional
        Samples to combine (default: the ``limit_samples`` setting, "both").
    **settings
        CHARM-II detector settings (``beam`` is set per sample).
    """
    from detectors import get_detector

    settings = dict(settings)
    settings.pop("beam", None)
    det = get_detector("charm2", **settings)
    return charm2_detector_limit(det, mass_MeV, flavour, cl=cl, nature=nature, samples=samples)


def charm2_detector_limit(
    detector,
    mass_MeV: float,
    flavour: str | Sequence[float] = "mu",
    *,
    cl: float = 0.9,
    asimov: bool | None = None,
    nature: str = "dirac",
    samples: Sequence[str] | str | None = None,
) -> LimitResult:
    """CHARM-II limit for a :class:`detectors.charm2.CHARM2` instance (the fits dispatch target).

    Same signature as :func:`fits.limits.detector_limit` (``asimov`` is accepted and ignored: the calibrated
    data are the Asimov data set). The other sample(s) are built with the detector's own settings.

    Returns
    -------
    LimitResult
        ``mu_upper_muB`` (= one-sided), ``mu_best_muB``, ``q0``; ``None`` limits with a ``reason`` when the
        signal is zero in every sample (M_N beyond the beam's reach).
    """
    from nugen.model import check_nonnegative

    check_cl(cl)
    mass = check_nonnegative("mass_MeV", mass_MeV)
    pattern = flavour_pattern(flavour)
    label = flavour_label(flavour)
    chosen = samples if samples is not None else detector.settings.get("limit_samples", "both")
    names = (
        ("numu", "numubar") if chosen == "both" else ((chosen,) if isinstance(chosen, str) else tuple(chosen))
    )
    if not names or any(n not in ("numu", "numubar") for n in names):
        msg = f"CHARM-II samples must be 'both', 'numu', 'numubar' or a list of them, got {chosen!r}"
        raise InvalidParameterError(msg)
    base = tuple(sorted((k, v) for k, v in detector.settings.items() if k != "beam"))
    dets = [detector if detector.beam == b else _sibling(type(detector), b, base) for b in names]
    eff = float(detector.settings.get("photon_efficiency", 0.0))
    common = {
        "detector": detector.name,
        "mass_MeV": mass,
        "flavour": label,
        "cl": float(cl),
        "expected": False,
        "method": method_text(cl, names, eff, str(detector.settings.get("n_decay_veto", "on"))),
    }
    prob = _Problem(dets, mass, pattern, nature)
    c1, _ = thresholds(cl)
    # scale: the electron-channel (mu^2) estimate of the limit, or a probe of the full signal
    probe = 1e-8
    s_probe = prob.signal(probe).sum()
    if not s_probe > 0:
        reach = dets[0].reach()
        reason = (
            f"no sensitivity: the CHARM-II dipole signal is zero at M_N = {mass:g} MeV in every sample "
            f"(electron channel closed above {reach['electron_MeV']:.4g} MeV; photon channel "
            f"{'off' if eff == 0 else 'without accepted photons'})"
        )
        return LimitResult(**common, reason=reason)
    sigma = math.sqrt(float(prob.data.sum()))
    mu_scale = probe * math.sqrt(max(sigma, 1.0) / s_probe)
    mu_hat, f_hat = _best_fit(prob, mu_scale)

    def q(mu: float) -> float:
        return max(prob.twice_nll(mu) - f_hat, 0.0)

    from scipy.optimize import toms748

    lo = max(mu_hat, mu_scale * 1e-3)
    hi = max(lo * 1.5, mu_scale)
    for _ in range(60):
        if q(hi) >= c1:
            break
        lo, hi = hi, hi * 2.0
    else:
        reason = (
            f"no upper limit: q stays below {c1:.4g} up to mu = {hi:.3g} mu_B at M_N = {mass:g} MeV (the "
            "N-decay veto removes the electron recoils before they are numerous enough)"
        )
        return LimitResult(**common, mu_best_muB=mu_hat, reason=reason)
    x = toms748(lambda t: q(math.exp(t)) - c1, math.log(lo), math.log(hi), xtol=MU_RTOL, rtol=1e-10)
    mu_up = math.exp(x)
    s_up = prob.signal(mu_up).sum()
    return LimitResult(
        **common,
        mu_best_muB=mu_hat,
        mu_upper_muB=mu_up,
        mu_upper_one_sided_muB=mu_up,
        q0=q(0.0),
        signal_events_per_muB2=float(s_up / mu_up**2),
        nuisances={},
    )


def published_recast_closure_MeV(E_nu_MeV: float = PUBLISHED_RECAST_E_NU_MEV) -> float:
    """Largest M_N [MeV] that nu e -> N e can produce at neutrino energy ``E_nu_MeV`` [MeV].

    The threshold ``E_nu >= M + M^2 / (2 m_e)`` (physics.md Sec. 2.2) solved for M:
    ``M = m_e (sqrt(1 + 2 E_nu / m_e) - 1)``; 139.2 MeV at 19.1 GeV, where the published CHARM-II
    curve closes.
    """
    if not (E_nu_MeV > 0 and math.isfinite(E_nu_MeV)):
        raise InvalidParameterError(f"E_nu_MeV must be a positive number, got {E_nu_MeV!r}")
    return M_E * (math.sqrt(1.0 + 2.0 * E_nu_MeV / M_E) - 1.0)


def published_recast_relative_limit(
    M_MeV: float | np.ndarray, E_nu_MeV: float = PUBLISHED_RECAST_E_NU_MEV, T_min_MeV: float = 10.0
) -> np.ndarray:
    """Shape of the published CHARM-II curve: mu limit at ``M_MeV`` relative to M_N -> 0.

    ``sqrt(sigma(E, M -> 0) / sigma(E, M))`` with sigma the dipole nu e -> N e cross section
    integrated over every kinematically allowed recoil above ``T_min_MeV`` (closed form,
    :func:`nugen.xsec.dipole_sigma_total`) at the single energy ``E_nu_MeV``; infinite above
    :func:`published_recast_closure_MeV`. ``T_min_MeV`` shapes the rise before the closure: 10 MeV
    (the default, the value that matches the published curve best; largest deviation 6 %) vs 1 MeV
    (14 % at 136 MeV) or 100 MeV (21 %). It is a property of this hypothesis, not a nugen setting.

    Parameters
    ----------
    M_MeV : float or array
        Mass of N [MeV].
    E_nu_MeV : float
        Neutrino energy [MeV] (default 19.1 GeV).
    T_min_MeV : float
        Lowest electron recoil counted [MeV].
    """
    M = np.asarray(M_MeV, dtype=float)
    ref = dipole_sigma_total(E_nu_MeV, 1e-3, M_E, T_lo=T_min_MeV)
    sig = dipole_sigma_total(E_nu_MeV, M, M_E, T_lo=T_min_MeV)
    with np.errstate(divide="ignore"):
        return np.where(sig > 0, np.sqrt(ref / np.where(sig > 0, sig, 1.0)), np.inf)
