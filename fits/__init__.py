"""Likelihood fits, limits, M_N scans and figures for the dipole portal.

Depends on :mod:`detectors` and :mod:`nugen`, never the reverse. Submodules are imported on demand
(``import fits.plots``), so ``import fits`` stays cheap.
"""
