"""Vectorised cross sections of the dipole portal and of the Standard Model (cm^2/MeV, MeV inputs).

Each function is pure and broadcasts over numpy arrays. Formulas and their sources are in the
docstrings of :mod:`nugen.xsec.dipole`, :mod:`nugen.xsec.nucleon`, :mod:`nugen.xsec.sm` and
:mod:`nugen.xsec.form_factors`.
"""

from __future__ import annotations

from nugen.xsec.dipole import (
    dipole_dsigma_dT,
    dipole_electron_dsigma_dT,
    dipole_nucleus_dsigma_dT,
    dipole_sigma_total,
)
from nugen.xsec.form_factors import helm_form_factor_sq, helm_radius_fm
from nugen.xsec.nucleon import dipole_nucleon_dsigma_dT, nucleon_form_factors
from nugen.xsec.sm import FLAVOURS, cevns_dsigma_dT, electron_couplings, sm_electron_dsigma_dT

__all__ = [
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


def __dir__() -> list[str]:
    return __all__
