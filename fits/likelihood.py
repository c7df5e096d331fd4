"""Binned Poisson likelihood of a detector's spectrum with profiled background normalisations.

The model for the expected counts in analysis bin i is::

    lambda_i(s, theta) = s t_i + sum_k theta_k b_ki ,      t_i = S_i / sum_j S_j ,

* ``S_i`` [events / mu_B^2] is the dipole signal for a unit coupling with the chosen flavour pattern,
  ``S_i = sum_alpha p_alpha^2 x template_alpha,i`` (:meth:`detectors.base.Detector.signal_templates`;
  the rate is quadratic in the couplings at fixed M_N, DESIGN.md), so the signal strength
  ``s = mu^2 sum_j S_j`` is the number of signal events in the analysis window: the parameter in
  which the model is linear, with the physical boundary ``s >= 0``; ``mu = sqrt(s / sum_j S_j)``
  (the largest flavour coupling, :attr:`nugen.model.DipolePortal.mu_max`);
* ``b_k`` are the nominal counts of each background component (and, unless the detector's
  background model already contains it, the Standard-Model solar-neutrino prediction) and
  ``theta_k`` their normalisations relative to nominal.

The fit minimises (iminuit, MIGRAD)::

    -2 ln L(s, theta) = 2 sum_i [lambda_i - n_i + n_i ln(n_i / lambda_i)]
                        + sum_{k constrained} ((theta_k - theta0_k) / sigma_k)^2 ,

the Poisson deviance of Baker & Cousins, NIM 221 (1984) 437 (:class:`iminuit.cost.ExtendedBinnedNLL`)
plus Gaussian constraints (:class:`iminuit.cost.NormalConstraint`, centred on ``theta0_k = 1`` for
the observed data) for components with a relative uncertainty ``sigma_k``. Components whose
uncertainty is ``None`` (e.g. XENON1T's tritium when set free) are unconstrained, ``theta_k >= 0``.
Constants do not matter: only differences of ``-2 ln L`` enter the limits (:mod:`fits.limits`).

All templates are deterministic integrals of the rates over the detector response (no Monte Carlo
sample enters), so they carry no statistical uncertainty and the Barlow–Beeston(-lite) treatment
of :class:`iminuit.cost.Template` is not needed; a Monte-Carlo template would go through that class.

Speed: the model is linear in all parameters, so the gradient of the cumulative model is a constant
matrix passed to iminuit (``grad=``) and the diagonal of the Hessian has a closed form (``g2=``); one
fit takes about a millisecond, and profile fits start from the previous solution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from nugen.errors import InvalidParameterError, UnknownNameError

__all__ = [
    "BinnedLikelihood",
    "Component",
    "FitResult",
    "flavour_label",
    "flavour_pattern",
]

#: Profile fits start nuisance normalisations at no less than this value: iminuit's transform of a
#: bounded parameter has zero slope exactly at the bound, so a fit started there could stay stuck.
_THETA_START_FLOOR = 0.05
#: MIGRAD tolerance: it stops at an estimated distance to the minimum EDM < 0.002 x tol (in -2 ln L),
#: well below what the limits need (q to 1e-4); s^ is then good to ~1e-3 of its standard deviation.
_TOL = 1e-4
#: The corresponding precision of -2 ln L at a minimum (iminuit: EDM < 0.002 x tol x errordef).
_EDM = 0.002 * _TOL


def _readonly(a: ArrayLike) -> np.ndarray:
    arr = np.array(a, dtype=float)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class Component:
    """A non-signal contribution to the expected counts, with a normalisation nuisance parameter.

    Attributes
    ----------
    name : str
        Label (e.g. ``"B0"``, ``"tritium"``, ``"sm_nu"``); the nuisance parameter is ``theta_<name>``.
    counts : numpy.ndarray
        Nominal expected events per analysis bin (``theta = 1``).
    rel_uncertainty : float or None
        Relative 1-sigma uncertainty of the normalisation (a Gaussian constraint); ``None`` means a
        free normalisation ``theta >= 0``.
    """

    name: str
    counts: np.ndarray
    rel_uncertainty: float | None = None

    def __post_init__(self) -> None:
        counts = _readonly(self.counts)
        if counts.ndim != 1 or not np.all(np.isfinite(counts)) or np.any(counts < 0):
            msg = f"component {self.name!r}: counts must be a 1-d array of finite values >= 0"
            raise InvalidParameterError(msg)
        object.__setattr__(self, "counts", counts)
        if self.rel_uncertainty is not None:
            r = float(self.rel_uncertainty)
            if not math.isfinite(r) or r <= 0:
                msg = (
                    f"component {self.name!r}: rel_uncertainty must be finite and > 0 (or None for "
                    f"free), got {self.rel_uncertainty!r}"
                )
                raise InvalidParameterError(msg)
            object.__setattr__(self, "rel_uncertainty", r)


@dataclass(frozen=True)
class FitResult:
    """Outcome of one minimisation of ``-2 ln L``.

    Attributes
    ----------
    s : float
        Signal strength: signal events in the analysis window.
    mu_muB : float
        The corresponding coupling [mu_B] (``nan`` without signal sensitivity).
    twice_nll : float
        Minimum of ``-2 ln L`` (Poisson deviance + constraints).
    nuisances : dict of str to float
        Best normalisation of each component relative to nominal.
    valid : bool
        iminuit's verdict on the minimum.
    s_fixed : bool
        Whether ``s`` was fixed (a profile fit) or fitted.
    """

    s: float
    mu_muB: float
    twice_nll: float
    nuisances: dict[str, float]
    valid: bool
    s_fixed: bool = False


def flavour_label(flavour: str | Sequence[float]) -> str | dict[str, float]:
    """How a result records its flavour pattern: the name as given, or ``{"e": .., "mu": .., "tau": ..}``.

    The dict holds the relative couplings of :func:`flavour_pattern` (largest = 1).
    """
    if isinstance(flavour, str):
        return flavour
    return dict(zip(("e", "mu", "tau"), map(float, flavour_pattern(flavour)), strict=True))


def flavour_pattern(flavour: str | Sequence[float]) -> np.ndarray:
    """Relative couplings (mu_e, mu_mu, mu_tau) / max for a flavour name or a 3-vector.

    Parameters
    ----------
    flavour : str or sequence of 3 floats
        ``"universal"``, ``"e"``, ``"mu"``, ``"tau"`` (:data:`nugen.model.FLAVOUR_PATTERNS`) or the
        couplings themselves (any normalisation, not all zero).

    Returns
    -------
    numpy.ndarray
        Shape (3,), largest entry 1.
    """
    from nugen.model import FLAVOUR_PATTERNS

    if isinstance(flavour, str):
        if flavour not in FLAVOUR_PATTERNS:
            raise UnknownNameError("flavour", flavour, FLAVOUR_PATTERNS)
        return np.asarray(FLAVOUR_PATTERNS[flavour], dtype=float)
    vec = np.asarray(flavour, dtype=float)
    if vec.shape != (3,) or not np.all(np.isfinite(vec)) or np.any(vec < 0) or not np.any(vec > 0):
        msg = f"flavour couplings must be 3 finite values >= 0, not all 0, got {flavour!r}"
        raise InvalidParameterError(msg)
    return vec / vec.max()


class BinnedLikelihood:
    """Binned Poisson likelihood with signal strength ``s >= 0`` and profiled normalisations.

    Parameters
    ----------
    data : array_like
        Observed counts per bin (may be non-integer for Asimov data sets).
    signal : array_like
        Expected signal counts per bin for a unit coupling [events / mu_B^2] (may be all zero: then
        :attr:`has_signal` is False and fits of ``s`` are not possible).
    components : sequence of Component
        Backgrounds (and the SM neutrino prediction). Components with all-zero counts are dropped
        (their normalisation would be undetermined).
    centres : sequence of float, optional
        Centres ``theta0_k`` of the Gaussian constraints of the constrained components, in their
        order (default 1: the nominal prediction). Toy experiments fluctuate them
        (:meth:`toy`).

    Raises
    ------
    InvalidParameterError
        For mismatched shapes, negative or non-finite inputs, or bins whose expectation is zero
        for every value of the nuisances while data are present.
    """

    def __init__(
        self,
        data: ArrayLike,
        signal: ArrayLike,
        components: Sequence[Component],
        *,
        centres: Sequence[float] | None = None,
    ):
        n = _readonly(data)
        sig = _readonly(signal)
        if n.ndim != 1 or n.size == 0:
            msg = f"data must be a non-empty 1-d array of counts, got shape {n.shape}"
            raise InvalidParameterError(msg)
        if not np.all(np.isfinite(n)) or np.any(n < 0):
            msg = "data must be finite and >= 0"
            raise InvalidParameterError(msg)
        if sig.shape != n.shape or not np.all(np.isfinite(sig)) or np.any(sig < 0):
            msg = f"signal must be finite, >= 0 and of the data's shape {n.shape}, got shape {sig.shape}"
            raise InvalidParameterError(msg)
        comps = []
        for c in components:
            if c.counts.shape != n.shape:
                msg = f"component {c.name!r} has shape {c.counts.shape}, data have {n.shape}"
                raise InvalidParameterError(msg)
            if np.any(c.counts > 0):
                comps.append(c)
        if not comps:
            msg = "a likelihood needs at least one non-zero background or SM component"
            raise InvalidParameterError(msg)
        if len({c.name for c in comps}) != len(comps):
            msg = f"component names must be unique, got {[c.name for c in comps]}"
            raise InvalidParameterError(msg)
        bkg_any = np.any(np.array([c.counts for c in comps]) > 0, axis=0)
        if np.any((n > 0) & ~bkg_any):
            bad = np.flatnonzero((n > 0) & ~bkg_any).tolist()
            msg = f"bins {bad} have data but no background or SM expectation; the fit is undefined there"
            raise InvalidParameterError(msg)
        self.data = n
        self.signal = sig
        self.components: tuple[Component, ...] = tuple(comps)
        self.signal_norm = float(sig.sum())
        constrained = [c for c in comps if c.rel_uncertainty is not None]
        if centres is None:
            centres = np.ones(len(constrained))
        centres = np.asarray(centres, dtype=float)
        if centres.shape != (len(constrained),):
            msg = f"need {len(constrained)} constraint centres, got {centres.shape}"
            raise InvalidParameterError(msg)
        self.centres = _readonly(centres)
        self._constrained = constrained
        self._names = ("s", *(f"theta_{c.name}" for c in comps))
        shape = sig / self.signal_norm if self.signal_norm > 0 else np.zeros_like(sig)
        self._templates = np.vstack([shape, *(c.counts for c in comps)])
        self._cum = np.hstack([np.zeros((len(self._names), 1)), np.cumsum(self._templates, axis=1)])
        self._g2_constraints = np.array(
            [0.0] + [0.0 if c.rel_uncertainty is None else 2.0 / c.rel_uncertainty**2 for c in comps]
        )
        self._cost_obj = None
        self._minuit_profile = None
        self._best: FitResult | None = None
        self._profiles: dict[float, FitResult] = {}

    # -- basic properties -------------------------------------------------------------------------
    @property
    def has_signal(self) -> bool:
        """True if the signal is non-zero in at least one bin (the data can constrain mu)."""
        return self.signal_norm > 0

    @property
    def parameters(self) -> tuple[str, ...]:
        """Parameter names: ``"s"`` then ``"theta_<component>"``."""
        return self._names

    def mu_from_s(self, s: float) -> float:
        """Coupling [mu_B] for signal strength ``s`` [events]: ``sqrt(s / sum S)``."""
        if not self.has_signal:
            return math.nan
        return math.sqrt(max(float(s), 0.0) / self.signal_norm)

    def s_from_mu(self, mu_muB: float) -> float:
        """Signal strength [events in the window] for coupling ``mu_muB`` [mu_B]."""
        return float(mu_muB) ** 2 * self.signal_norm

    def expected(self, s: float = 0.0, theta: Sequence[float] | None = None) -> np.ndarray:
        """Expected counts per bin for signal strength ``s`` and normalisations ``theta`` (default 1)."""
        th = np.ones(len(self.components)) if theta is None else np.asarray(theta, dtype=float)
        return np.concatenate([[s], th]) @ self._templates

    # -- derived data sets ------------------------------------------------------------------------
    def with_data(self, data: ArrayLike, centres: Sequence[float] | None = None) -> BinnedLikelihood:
        """The same model with other data (and, optionally, other constraint centres)."""
        return BinnedLikelihood(data, self.signal, self.components, centres=centres)

    def asimov(self, s: float = 0.0) -> BinnedLikelihood:
        """The Asimov data set: data equal to the expectation at ``s`` and nominal normalisations.

        Its fit returns exactly ``s`` and the nominal nuisances, and limits computed from it are the
        median expected ones (Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554, the Asimov data set).
        """
        return self.with_data(self.expected(s), centres=np.ones(len(self._constrained)))

    def toy(self, rng: np.random.Generator, s: float = 0.0) -> BinnedLikelihood:
        """A pseudo-experiment thrown from the fit model at signal strength ``s``, nominal nuisances.

        Bin counts are Poisson around :meth:`expected`; the auxiliary measurements behind the
        Gaussian constraints fluctuate too (centres ``theta0_k ~ N(1, sigma_k)``), as the
        frequentist construction requires.
        """
        n = rng.poisson(self.expected(s))
        sig = np.array([c.rel_uncertainty for c in self._constrained], dtype=float)
        centres = 1.0 + sig * rng.standard_normal(sig.size)
        return self.with_data(n, centres=centres)

    # -- minimisation -----------------------------------------------------------------------------
    def _cost(self):
        if self._cost_obj is not None:
            return self._cost_obj
        from iminuit import cost

        cum = self._cum

        def scaled_cdf(xe, *par):
            return np.asarray(par) @ cum

        def scaled_cdf_grad(xe, *par):
            return cum

        edges = np.arange(self.data.size + 1, dtype=float)  # bin index as the "observable"
        c = cost.ExtendedBinnedNLL(self.data, edges, scaled_cdf, grad=scaled_cdf_grad, name=self._names)
        if self._constrained:
            c = c + cost.NormalConstraint(
                [f"theta_{k.name}" for k in self._constrained],
                self.centres,
                [k.rel_uncertainty for k in self._constrained],
            )
        self._cost_obj = c
        return c

    def _start(self) -> tuple[float, ...]:
        b = self.expected(0.0)
        excess = float(np.sum(self.data - b))
        s0 = max(excess, math.sqrt(max(float(b.sum()), 1.0))) if self.has_signal else 0.0
        return (s0, *([1.0] * len(self.components)))

    def _g2(self, *par: float) -> np.ndarray:
        """Diagonal of the Hessian of -2 ln L (exact for this linear model), given to MIGRAD as ``g2``.

        ``d^2/dp_j^2 = 2 sum_i n_i T_ji^2 / lambda_i^2`` (+ ``2 / sigma_j^2`` for a constrained
        normalisation); it saves MIGRAD about two thirds of its function calls.
        """
        lam = np.maximum(np.asarray(par) @ self._templates, 1e-300)
        return (self._templates**2) @ (2.0 * self.data / lam**2) + self._g2_constraints

    def _minuit(self, strategy: int):
        from iminuit import Minuit

        m = Minuit(self._cost(), *self._start(), grad=True, g2=self._g2)
        m.strategy = strategy
        m.tol = _TOL
        m.print_level = 0
        for name in self._names:
            m.limits[name] = (0.0, None)
        m.errors["s"] = max(0.1 * self._start()[0], 1e-3)
        for c in self.components:
            m.errors[f"theta_{c.name}"] = 0.1 if c.rel_uncertainty is None else max(c.rel_uncertainty, 1e-4)
        return m

    def _result(self, m, s_fixed: bool) -> FitResult:
        vals = m.values
        return FitResult(
            s=float(vals["s"]),
            mu_muB=self.mu_from_s(vals["s"]),
            twice_nll=float(m.fval),
            nuisances={c.name: float(vals[f"theta_{c.name}"]) for c in self.components},
            valid=bool(m.valid),
            s_fixed=s_fixed,
        )

    def _migrad(self, m) -> None:
        strategy = int(m.strategy.strategy)  # an int: iminuit >= 2.30 cannot assign an MnStrategy back
        m.migrad()
        if not m.valid:  # retry once, from the nominal point, with the careful strategy
            start = self._start()
            for i, name in enumerate(self._names):
                if not m.fixed[name]:
                    m.values[name] = start[i]
            m.strategy = 2
            m.migrad()
            m.strategy = strategy

    def fit(self) -> FitResult:
        """Global best fit: ``s >= 0`` and all normalisations free (cached).

        The Poisson deviance of a model linear in its parameters, plus quadratic constraints, is
        convex, so the minimum is unique. MIGRAD approaches the bound ``s = 0`` only slowly; the
        fit therefore also profiles ``s = 0`` and takes ``s^ = 0`` when ``-2 ln L`` there is as good
        within the minimiser's precision (``_EDM``) or when ``d(-2 ln L)/ds >= 0`` there (the
        Karush–Kuhn–Tucker condition of the bounded minimum).
        Without signal sensitivity (:attr:`has_signal` False) ``s`` is fixed to 0.
        """
        if self._best is None:
            m = self._minuit(strategy=0)
            if not self.has_signal:
                m.values["s"] = 0.0
                m.fixed["s"] = True
            self._migrad(m)
            self._best = best = self._result(m, s_fixed=not self.has_signal)
            if self.has_signal:
                at0 = self.profile(0.0)
                slope = float(self._cost().grad(at0.s, *at0.nuisances.values())[0])
                if at0.twice_nll <= best.twice_nll + _EDM or slope >= 0.0:
                    self._best = replace(at0, s_fixed=False, twice_nll=min(at0.twice_nll, best.twice_nll))
        return self._best

    def profile(self, s: float) -> FitResult:
        """Profile fit: ``s`` fixed [events], normalisations minimised (cached per ``s``).

        Starts from the previous profile solution (normalisations raised to at least
        ``_THETA_START_FLOOR`` so that none starts on its bound).
        """
        s = float(s)
        if not math.isfinite(s) or s < 0:
            msg = f"signal strength s must be finite and >= 0, got {s!r}"
            raise InvalidParameterError(msg)
        if s in self._profiles:
            return self._profiles[s]
        m = self._minuit_profile
        if m is None:
            best = self.fit()
            m = self._minuit(strategy=0)
            for c in self.components:
                m.values[f"theta_{c.name}"] = best.nuisances[c.name]
            m.fixed["s"] = True
            self._minuit_profile = m
        for c in self.components:
            key = f"theta_{c.name}"
            m.values[key] = max(m.values[key], _THETA_START_FLOOR)
        m.values["s"] = s
        self._migrad(m)
        self._profiles[s] = result = self._result(m, s_fixed=True)
        return result

    def q(self, s: float) -> float:
        """Profile-likelihood-ratio statistic ``-2 ln [L(s, theta^^(s)) / L(s^, theta^)]`` (>= 0)."""
        return max(self.profile(s).twice_nll - self.fit().twice_nll, 0.0)

    def fisher_sigma_s(self) -> float:
        """Approximate standard deviation of ``s^`` [events] from the Fisher information at the best fit.

        ``1 / sqrt(sum_i t_i^2 / lambda_i)`` with nuisances fixed; used only to bracket roots.
        """
        if not self.has_signal:
            return math.nan
        best = self.fit()
        lam = self.expected(best.s, [best.nuisances[c.name] for c in self.components])
        info = float(np.sum(self._templates[0] ** 2 / np.maximum(lam, 1e-300)))
        return 1.0 / math.sqrt(info) if info > 0 else math.inf

    # -- construction from a detector -------------------------------------------------------------
    @classmethod
    def from_detector(
        cls,
        detector,
        mass_MeV: float,
        flavour: str | Sequence[float] = "universal",
        *,
        asimov: bool | None = None,
    ) -> BinnedLikelihood:
        """The likelihood of a :class:`detectors.base.Detector` at one mass.

        Parameters
        ----------
        detector : detectors.base.Detector
            Provides :meth:`~detectors.base.Detector.signal_templates`,
            :meth:`~detectors.base.Detector.sm_counts` (with relative uncertainty
            :attr:`~detectors.base.Detector.sm_rel_uncertainty`),
            :meth:`~detectors.base.Detector.backgrounds` and :meth:`~detectors.base.Detector.observed`.
            If the detector sets ``sm_in_background = True`` (XENON1T: its B0 model already contains
            the solar-neutrino ER rate), the SM prediction is not added again.
        mass_MeV : float
            M_N [MeV].
        flavour : str or sequence of 3 floats
            Flavour pattern (:func:`flavour_pattern`); mu refers to the largest coupling.
        asimov : bool or None
            Use the background-only Asimov data set instead of the observed data. ``None`` (default):
            only if the detector has no data (a projection such as DARWIN).

        Returns
        -------
        BinnedLikelihood
        """
        from nugen.model import check_nonnegative

        mass = check_nonnegative("mass_MeV", mass_MeV)
        pattern = flavour_pattern(flavour)
        templates = np.asarray(detector.signal_templates(mass), dtype=float)
        signal = np.einsum("f,fb->b", pattern**2, templates)
        components = [Component(b.name, b.counts, b.rel_uncertainty) for b in detector.backgrounds()]
        if not getattr(detector, "sm_in_background", False):
            components.append(Component("sm_nu", detector.sm_counts(), detector.sm_rel_uncertainty))
        observed = None if asimov else detector.observed()
        if observed is None:
            return cls(np.zeros_like(signal), signal, components).asimov(0.0)
        return cls(observed, signal, components)

    def __repr__(self) -> str:
        comps = ", ".join(
            f"{c.name}({'free' if c.rel_uncertainty is None else f'±{c.rel_uncertainty:g}'})"
            for c in self.components
        )
        return f"<BinnedLikelihood {self.data.size} bins, {self.data.sum():g} events; {comps}>"
