"""Detectors whose signal is not ∝ mu^2 reach their own limit code through fits.limits.detector_limit."""

from __future__ import annotations

import pytest

from fits.charm2_limit import charm2_limit
from fits.limits import LIMIT_METHODS, detector_limit


def test_charm2_limit_is_dispatched_to_the_full_mu_dependence():
    assert "charm2" in LIMIT_METHODS
    generic_path = detector_limit("charm2", 30.0, "mu")
    direct = charm2_limit(30.0, "mu")
    # same code path, same inputs: identical up to the root finder's tolerance
    assert generic_path.mu_upper_muB == pytest.approx(direct.mu_upper_muB, rel=1e-6)
    assert "CHARM-II" in generic_path.method
