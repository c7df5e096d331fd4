"""Comparison of a nugen limit with a published exclusion curve (shared by the accelerator recasts).

The published curve is a list of vertices (M_N [MeV], mu [mu_B]); between vertices it is interpolated
linearly in log-log, the way such curves are digitised and drawn. The figure of merit is the median of
|log10(ours / published)| over the masses compared (masses where nugen has no limit, e.g. beyond the
beam's kinematic reach, are left out of the median).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["PublishedComparison", "compare_with_published", "interp_loglog"]


def interp_loglog(M_MeV, M_pub_MeV, mu_pub_muB) -> np.ndarray:
    """The published curve at ``M_MeV`` [MeV], linear in (ln M, ln mu) between vertices.

    Parameters
    ----------
    M_MeV : array_like
        Masses [MeV].
    M_pub_MeV, mu_pub_muB : array_like
        Published vertices: increasing masses [MeV] and limits [mu_B].

    Returns
    -------
    numpy.ndarray
        Published limit [mu_B] at ``M_MeV`` (held constant outside the vertices, as :func:`numpy.interp`).
    """
    M = np.asarray(M_MeV, dtype=float)
    return np.exp(
        np.interp(np.log(M), np.log(np.asarray(M_pub_MeV, float)), np.log(np.asarray(mu_pub_muB, float)))
    )


@dataclass(frozen=True)
class PublishedComparison:
    """nugen's limit against a published curve.

    Attributes
    ----------
    M_MeV : numpy.ndarray
        Masses compared [MeV].
    published_muB, ours_muB : numpy.ndarray
        Published (log-log interpolated) and nugen limits [mu_B]; ``ours_muB`` is NaN where nugen has none.
    ratio : numpy.ndarray
        ours / published.
    median_abs_log10_ratio : float
        Median of |log10 ratio| over the finite ratios (NaN if none).
    """

    M_MeV: np.ndarray
    published_muB: np.ndarray
    ours_muB: np.ndarray
    ratio: np.ndarray
    median_abs_log10_ratio: float

    def as_dict(self) -> dict:
        """The fields as a dict (the historical return type of the ``compare_published`` functions)."""
        return {
            "M_MeV": self.M_MeV,
            "published_muB": self.published_muB,
            "ours_muB": self.ours_muB,
            "ratio": self.ratio,
            "median_abs_log10_ratio": self.median_abs_log10_ratio,
        }


def compare_with_published(
    limit_muB: Callable[[float], float | None], M_pub_MeV, mu_pub_muB, masses_MeV=None
) -> PublishedComparison:
    """Compute ``limit_muB`` at the masses and compare it with the published curve.

    Parameters
    ----------
    limit_muB : callable
        ``limit_muB(M_MeV) -> mu [mu_B]`` or ``None`` (no limit at that mass).
    M_pub_MeV, mu_pub_muB : array_like
        Published vertices (increasing masses [MeV], limits [mu_B]).
    masses_MeV : array_like, optional
        Masses [MeV] to compare at. Default: the published vertices.

    Returns
    -------
    PublishedComparison
    """
    M_pub = np.asarray(M_pub_MeV, dtype=float)
    M = M_pub if masses_MeV is None else np.asarray(masses_MeV, dtype=float)
    pub = interp_loglog(M, M_pub, mu_pub_muB)
    ours = np.array([np.nan if (v := limit_muB(float(m))) is None else float(v) for m in M], dtype=float)
    ratio = ours / pub
    ok = np.isfinite(ratio)
    med = float(np.median(np.abs(np.log10(ratio[ok])))) if ok.any() else math.nan
    return PublishedComparison(M, pub, ours, ratio, med)
