"""Pin the public surface: a change to it must be deliberate (and change this file)."""

from __future__ import annotations

import nugen
import nugen.xsec

NUGEN_ALL = ["DipolePortal", "NugenError", "__version__"]
XSEC_ALL = [
    "FLAVOURS",
    "cevns_dsigma_dT",
    "dipole_dsigma_dT",
    "dipole_electron_dsigma_dT",
    "dipole_nucleon_dsigma_dT",
    "dipole_nucleus_dsigma_dT",
    "dipole_sigma_total",
    "electron_couplings",
    "helm_form_factor_sq",
    "helm_radius_fm",
    "nucleon_form_factors",
    "sm_electron_dsigma_dT",
]


def test_nugen_all():
    assert sorted(nugen.__all__) == sorted(NUGEN_ALL)
    assert sorted(dir(nugen)) == sorted(NUGEN_ALL)
    for name in NUGEN_ALL:
        assert getattr(nugen, name) is not None


def test_xsec_all():
    assert sorted(nugen.xsec.__all__) == sorted(XSEC_ALL)
    assert sorted(dir(nugen.xsec)) == sorted(XSEC_ALL)
    for name in XSEC_ALL:
        obj = getattr(nugen.xsec, name)
        assert name == "FLAVOURS" or callable(obj)
    assert nugen.xsec.FLAVOURS == ("e", "mu", "tau")


def test_version_is_a_string():
    assert isinstance(nugen.__version__, str) and nugen.__version__
