"""The dipole-portal model: a right-handed neutrino N coupled to active neutrinos by a magnetic moment.

Lagrangian (seed paper eq. 1; Brdar, Greljo, Kopp, Opferkuch, JCAP 01 (2021) 039, arXiv:2007.15563)::

    L  ⊃  (1/2) mu_alpha nubar^alpha_L sigma^{mu nu} N_R F_{mu nu} + h.c.

``mu_alpha`` are quoted in Bohr magnetons mu_B = e/(2 m_e). Other normalisations in the literature:
Magill et al. (arXiv:1803.03262) and the Kopp-group code use d = mu/2 (physics.md Sec. 1.2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from nugen.constants import HBAR_MEV_S, HBARC_MEV_CM, MU_B_PER_MEV
from nugen.errors import InvalidParameterError, UnknownNameError, check_number
from nugen.xsec.sm import FLAVOURS

__all__ = ["FLAVOUR_PATTERNS", "NATURES", "DipolePortal", "check_nature", "check_nonnegative"]

#: Named flavour structures: which of (mu_e, mu_mu, mu_tau) are switched on, with unit weight.
FLAVOUR_PATTERNS: dict[str, tuple[float, float, float]] = {
    "universal": (1.0, 1.0, 1.0),
    "e": (1.0, 0.0, 0.0),
    "mu": (0.0, 1.0, 0.0),
    "tau": (0.0, 0.0, 1.0),
}
#: Allowed values of :attr:`DipolePortal.nature`.
NATURES = ("dirac", "majorana")


def check_nature(nature: str) -> str:
    """Return ``nature`` if it is one of :data:`NATURES`, else raise :class:`UnknownNameError` naming it."""
    if nature not in NATURES:
        raise UnknownNameError("nature", nature, NATURES)
    return nature


def check_nonnegative(name: str, value: float) -> float:
    """Return ``float(value)`` or raise :class:`InvalidParameterError` if it is negative or not finite."""
    return check_number(name, value)


@dataclass(frozen=True)
class DipolePortal:
    """A heavy neutral lepton N of mass ``mass_MeV`` with dipole couplings to nu_e, nu_mu, nu_tau.

    Parameters
    ----------
    mass_MeV : float
        M_N [MeV]; 0 is the massless (ordinary magnetic moment) limit.
    mu_muB : float or sequence of 3 floats
        Magnetic moment [mu_B]. A scalar with ``flavour="universal"`` means mu_e = mu_mu = mu_tau;
        a 3-vector gives (mu_e, mu_mu, mu_tau) directly.
    flavour : {"universal", "e", "mu", "tau"}
        Flavour pattern a scalar ``mu_muB`` is spread over (ignored for a 3-vector).
    nature : {"dirac", "majorana"}
        Affects only the N decay (physics.md Sec. 1.4).

    Examples
    --------
    >>> m = DipolePortal(1.0, 1e-10, flavour="mu")
    >>> round(m.lifetime_s, 2)
    37.68
    >>> DipolePortal(1.0, 1e-10, flavour="mu", nature="majorana").lifetime_s / m.lifetime_s
    0.5
    """

    mass_MeV: float
    mu_muB: float | Sequence[float] = 0.0
    flavour: str = "universal"
    nature: str = "dirac"
    mu_flavour: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        mass = check_nonnegative("mass_MeV", self.mass_MeV)
        object.__setattr__(self, "mass_MeV", mass)
        check_nature(self.nature)
        if np.ndim(self.mu_muB) == 0:
            if self.flavour not in FLAVOUR_PATTERNS:
                raise UnknownNameError("flavour", self.flavour, FLAVOUR_PATTERNS)
            mu = check_nonnegative("mu_muB", self.mu_muB)
            vec = mu * np.asarray(FLAVOUR_PATTERNS[self.flavour])
        else:
            vals = list(self.mu_muB)
            if len(vals) != 3:
                msg = f"mu_muB must be a scalar or 3 values (mu_e, mu_mu, mu_tau), got {self.mu_muB!r}"
                raise InvalidParameterError(msg)
            vec = np.array([check_nonnegative(f"mu_{f}", v) for f, v in zip(FLAVOURS, vals, strict=True)])
            object.__setattr__(self, "flavour", "custom")
            object.__setattr__(self, "mu_muB", tuple(float(v) for v in vec))
        vec.setflags(write=False)
        object.__setattr__(self, "mu_flavour", vec)

    # -- couplings -------------------------------------------------------------------------------
    @property
    def mu_max(self) -> float:
        """Largest flavour coupling [mu_B]: the scalar a fit scales (``mu_flavour = mu_max * pattern``)."""
        return float(np.max(self.mu_flavour))

    @property
    def pattern(self) -> np.ndarray:
        """Flavour pattern (mu_e, mu_mu, mu_tau) / mu_max; (1, 1, 1) for universal, zeros if mu = 0."""
        mx = self.mu_max
        return self.mu_flavour / mx if mx > 0 else np.zeros(3)

    @property
    def mu_squared_sum(self) -> float:
        """Sum over flavours of mu_alpha^2 [mu_B^2] (enters the N width)."""
        return float(np.sum(self.mu_flavour**2))

    def with_mu(self, mu_muB: float) -> DipolePortal:
        """Same mass, nature and flavour pattern, rescaled so that ``mu_max == mu_muB``."""
        mu = check_nonnegative("mu_muB", mu_muB)
        if self.flavour in FLAVOUR_PATTERNS:
            return DipolePortal(self.mass_MeV, mu, self.flavour, self.nature)
        return DipolePortal(self.mass_MeV, tuple(mu * self.pattern), nature=self.nature)

    # -- decay N -> nu gamma ---------------------------------------------------------------------
    @property
    def width_MeV(self) -> float:
        """Total width of N -> nu gamma [MeV] (physics.md Sec. 4.1).

        Dirac: ``sum_a mu_a^2 M^3 / (16 pi)``; Majorana: twice that (nu gamma and nubar gamma).
        Derived from the chiral vertex; agrees with Giunti & Studenikin, RMP 87 (2015) 531, Eq. (4.1)
        with mu_eff = eps_eff = mu/2.
        """
        mu2 = self.mu_squared_sum * MU_B_PER_MEV**2
        gamma = mu2 * self.mass_MeV**3 / (16.0 * math.pi)
        return 2.0 * gamma if self.nature == "majorana" else gamma

    @property
    def lifetime_s(self) -> float:
        """Proper lifetime of N [s] (inf when stable: M_N = 0 or mu = 0)."""
        w = self.width_MeV
        return HBAR_MEV_S / w if w > 0 else math.inf

    @property
    def ctau_cm(self) -> float:
        """Proper decay length c tau [cm]."""
        w = self.width_MeV
        return HBARC_MEV_CM / w if w > 0 else math.inf

    def decay_length_cm(self, momentum_MeV: ArrayLike) -> np.ndarray:
        """Mean lab decay length ``beta gamma c tau = (p/M) c tau`` [cm] for N momentum ``p`` [MeV]."""
        p = np.asarray(momentum_MeV, dtype=float)
        if self.mass_MeV == 0 or self.width_MeV == 0:
            return np.full_like(p, np.inf)
        return p / self.mass_MeV * self.ctau_cm

    def describe(self) -> dict:
        """JSON-ready description in the CLI's ``model`` shape (CLI.md)."""
        return {
            "mass_MeV": self.mass_MeV,
            "mu_muB": self.mu_max,
            "flavour": dict(zip(FLAVOURS, (float(v) for v in self.mu_flavour), strict=True)),
            "nature": self.nature,
        }
