"""Reuse an event sample for another model: weights for other couplings, decay vertices for other lifetimes.

A sample generated at one (mu_e, mu_mu, mu_tau) serves any other coupling pattern at the same M_N
(:func:`reweight`), and its N decay draws (``N_decay_u``) give correctly distributed decay vertices and
in-volume decay probabilities for any lifetime (:func:`decay_vertex`, :func:`decay_probability`).
"""

from __future__ import annotations

import numpy as np

from nugen import decays
from nugen.errors import InvalidParameterError
from nugen.generator import PROCESS_CODES
from nugen.model import DipolePortal

__all__ = ["decay_probability", "decay_vertex", "reweight"]


def _column(events, name: str) -> np.ndarray:
    return np.asarray(events[name], dtype=float)


def reweight(events, model_from: DipolePortal, model_to: DipolePortal) -> np.ndarray:
    """Weights of a sample generated with ``model_from`` as if it had been generated with ``model_to``.

    Production of N scales as ``sum_alpha P_alpha(E) mu_alpha^2`` at fixed M_N (physics.md Sec. 1.3,
    5.5), so each dipole event's weight is multiplied by
    ``sum_alpha P_alpha mu'_alpha^2 / sum_alpha P_alpha mu_alpha^2``; SM events keep theirs. The summed
    new weights estimate the expected events of ``model_to`` (any flavour pattern, any mu > 0 of
    the original pattern's support).

    Parameters
    ----------
    events : awkward.Array or mapping of arrays
        Needs ``weight``, ``process``, ``P_e``, ``P_mu``, ``P_tau``.
    model_from, model_to : DipolePortal
        Models of the sample and of the target; same M_N.

    Raises
    ------
    InvalidParameterError
        If the masses differ (the kinematics depend on M_N) or ``model_to`` couples to a flavour the
        sample's model does not (events of that flavour were never generated).
    """
    if model_from.mass_MeV != model_to.mass_MeV:
        msg = (
            f"reweighting needs the same M_N: the sample has {model_from.mass_MeV!r} MeV, "
            f"the target model {model_to.mass_MeV!r} MeV"
        )
        raise InvalidParameterError(msg)
    old = np.asarray(model_from.mu_flavour) ** 2
    new = np.asarray(model_to.mu_flavour) ** 2
    if np.any((new > 0) & (old == 0)):
        msg = (
            f"cannot reweight to mu = {tuple(model_to.mu_flavour)!r}: the sample was generated with "
            f"mu = {tuple(model_from.mu_flavour)!r}, which does not produce every flavour needed"
        )
        raise InvalidParameterError(msg)
    P = np.stack([_column(events, f) for f in ("P_e", "P_mu", "P_tau")])
    w = _column(events, "weight")
    proc = np.asarray(events["process"])
    dip = (proc == PROCESS_CODES["dipole_e"]) | (proc == PROCESS_CODES["dipole_A"])
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(dip, (new @ P) / (old @ P), 1.0)
    return w * factor


def decay_vertex(events, model: DipolePortal) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """N decay vertices [cm] for ``model`` (same M_N as the sample), reusing each event's decay draw.

    The distance is ``N_decay_u x N_betagamma x c tau(model)`` along the N direction (physics.md
    Sec. 4.2), so a sample made at one mu gives correctly distributed vertices at any other.
    """
    bg = _column(events, "N_betagamma")
    d = _column(events, "N_decay_u") * bg * model.ctau_cm
    p = np.sqrt(sum(_column(events, f"N_p{c}_MeV") ** 2 for c in "xyz"))
    with np.errstate(invalid="ignore", divide="ignore"):
        s = d / p
    return tuple(_column(events, f"N_p{c}_MeV") * s for c in "xyz")


def decay_probability(events, model: DipolePortal, L1_cm: float, L2_cm: float) -> np.ndarray:
    """Probability that N decays between ``L1_cm`` and ``L2_cm`` along its path, for ``model``.

    ``exp(-L1/lambda) - exp(-L2/lambda)`` with ``lambda = N_betagamma x c tau(model)`` (physics.md
    Sec. 4.2, :func:`nugen.decays.decay_probability`); 0 for events without a decaying N. Multiply
    ``weight`` (or :func:`reweight`) by it.
    """
    lam = _column(events, "N_betagamma") * model.ctau_cm
    decaying = np.isfinite(lam) & (lam > 0)
    return np.where(decaying, decays.decay_probability(L1_cm, L2_cm, np.where(decaying, lam, 1.0)), 0.0)
