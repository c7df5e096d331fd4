"""Detectors whose signal is not ∝ mu^2 reach their own limit code through fits.limits.detector_limit."""

from __future__ import annotations

import pytest

from fits.charm2_limit import charm2_limit
from fits.limits import LIMIT_METHODS, detector_limit
from nugen.errors import UnknownNameError


def test_charm2_limit_is_dispatched_to_the_full_mu_dependence():
    assert "charm2" in LIMIT_METHODS
    generic_path = detector_limit("charm2", 30.0, "mu")
    direct = charm2_limit(30.0, "mu")
    # same code path, same inputs: identical up to the root finder's tolerance
    assert generic_path.mu_upper_muB == pytest.approx(direct.mu_upper_muB, rel=1e-6)
    assert "CHARM-II" in generic_path.method


def test_the_n_nature_reaches_the_charm2_limit():
    # the photon channel depends on the N nature (Majorana: twice the width, isotropic photons), so the
    # nature given to detector_limit must arrive at the CHARM-II code: same numbers as calling it directly
    for nature in ("dirac", "majorana"):
        via = detector_limit("charm2", 100.0, "mu", nature=nature, photon_efficiency=1.0)
        direct = charm2_limit(100.0, "mu", nature=nature, photon_efficiency=1.0)
        assert via.mu_upper_muB == pytest.approx(direct.mu_upper_muB, rel=1e-6)
    dirac = detector_limit("charm2", 100.0, "mu", nature="dirac", photon_efficiency=1.0)
    majorana = detector_limit("charm2", 100.0, "mu", nature="majorana", photon_efficiency=1.0)
    # the faster Majorana decay puts more decays inside the fiducial region at 100 MeV: a stronger limit
    assert majorana.mu_upper_muB < 0.95 * dirac.mu_upper_muB


def test_recoil_only_detectors_ignore_the_nature_and_bad_natures_are_named():
    a = detector_limit("xenon1t", 0.0, "universal", nature="dirac")
    b = detector_limit("xenon1t", 0.0, "universal", nature="majorana")
    assert a.mu_upper_muB == b.mu_upper_muB  # solar recoils never involve the N decay
    with pytest.raises(UnknownNameError, match="quasi"):
        detector_limit("xenon1t", 0.0, "universal", nature="quasi-dirac")


def test_a_scan_passes_the_nature_on():
    from fits.scan import scan

    (res,) = scan("charm2", [100.0], "mu", nature="majorana", settings={"charm2": {"photon_efficiency": 1.0}})
    direct = charm2_limit(100.0, "mu", nature="majorana", photon_efficiency=1.0)
    assert res.points[0].mu_upper_muB == pytest.approx(direct.mu_upper_muB, rel=1e-6)
