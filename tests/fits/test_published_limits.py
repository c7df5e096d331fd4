"""Our limits from the released data vs the published ones (physics.md Sec. 7, items 17-19).

Inputs are the detectors' documented defaults; nothing is tuned to these numbers. The table with the
ratios and the explanation of each difference is docs/validation.md, "Limits". Tolerances:

* 15 % on each number (the issue's threshold for an unexplained difference) where our analysis follows the
  publication's inputs (XENON1T: the released data, B0 and efficiency; Brdar et al.'s nu_mu curves,
  which are recasts of the same released data);
* 30 % for Borexino's flavour-universal limit (ours 1.20x): the collaboration's own fit constrains more
  than the open-data model can (see docs/validation.md); the explanation is checked below: with a 30 %
  constraint on 85Kr, the one free background that mimics the dipole spectrum, the limit moves onto the
  published one;
* +-0.5 sigma on the significances sqrt(q0) (3.2 sigma for B0 only, 0.9 sigma with tritium free).
"""

from __future__ import annotations

import math

import pytest

from detectors import get_detector
from fits.likelihood import BinnedLikelihood, Component
from fits.limits import detector_limit, likelihood_limit

M_SMALL = 0.01  # MeV: "M_N -> 0" of Brdar et al.'s digitised curves (physics.md item 19)


@pytest.fixture(scope="module")
def xenon_b0():
    return get_detector("xenon1t")


@pytest.fixture(scope="module")
def xenon_tritium():
    return get_detector("xenon1t", tritium="free")


@pytest.fixture(scope="module")
def borexino():
    return get_detector("borexino")


def test_xenon1t_universal_interval_b0_only(xenon_b0):
    # physics.md item 17: (1.4, 2.9)e-11 mu_B at 90 % CL, B0 only, favoured over B0 at 3.2 sigma
    r = detector_limit(xenon_b0, 0.0, "universal")
    assert r.mu_lower_muB == pytest.approx(1.4e-11, rel=0.15)
    assert r.mu_upper_muB == pytest.approx(2.9e-11, rel=0.15)
    assert math.sqrt(r.q0) == pytest.approx(3.2, abs=0.5)
    assert r.fit_valid and not r.expected


def test_xenon1t_tritium_free_removes_the_preference(xenon_tritium):
    # arXiv:2006.09721: 0.9 sigma with an unconstrained tritium component: no interval at 90 % CL
    r = detector_limit(xenon_tritium, 0.0, "universal")
    assert r.mu_lower_muB is None
    assert math.sqrt(r.q0) == pytest.approx(0.9, abs=0.5)


def test_borexino_universal_upper_limit(borexino):
    # physics.md item 18: mu_eff < 2.8e-11 mu_B at 90 % CL
    r = detector_limit(borexino, 0.0, "universal")
    assert r.mu_lower_muB is None
    assert r.mu_upper_muB == pytest.approx(2.8e-11, rel=0.30)


def test_borexino_difference_is_the_free_85kr(borexino):
    """The explanation in docs/validation.md: a constraint on 85Kr alone closes the gap (diagnostic only)."""
    base = BinnedLikelihood.from_detector(borexino, 0.0, "universal")
    comps = [
        Component(c.name, c.counts, 0.3 if c.name == "85Kr" else c.rel_uncertainty) for c in base.components
    ]
    constrained = likelihood_limit(BinnedLikelihood(base.data, base.signal, comps), 0.9)
    free = likelihood_limit(base, 0.9)
    assert free.mu_upper_muB > 1.1 * constrained.mu_upper_muB
    assert constrained.mu_upper_muB == pytest.approx(2.8e-11, rel=0.05)


@pytest.mark.parametrize(
    ("name", "settings", "published"),
    [("xenon1t", {"tritium": "free"}, 5.69e-11), ("borexino", {}, 6.96e-11)],
)
def test_numu_only_limits_match_brdar_fig3(name, settings, published):
    # physics.md item 19: Brdar et al. Fig. 3 (nu_mu coupling only, 90 % CL) at M_N = 0.01 MeV
    r = detector_limit(get_detector(name, **settings), M_SMALL, "mu")
    assert r.mu_lower_muB is None
    assert r.mu_upper_muB == pytest.approx(published, rel=0.15)
