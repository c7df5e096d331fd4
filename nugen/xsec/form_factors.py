"""Nuclear form factors: Helm, and Fourier–Bessel charge densities measured by electron scattering.

* **Helm** (R. H. Helm, Phys. Rev. 104 (1956) 1466) with the Lewin–Smith parameters (J. D. Lewin and
  P. F. Smith, Astropart. Phys. 6 (1996) 87, Sec. 4): a parametrisation in A only, available for every
  nucleus. Check values in physics.md Sec. 2.6.
* **Fourier–Bessel** (H. De Vries, C. W. De Jager, C. De Vries, At. Data Nucl. Data Tables 36 (1987)
  495, Table IV): the model-independent charge density ``rho(r) = sum_nu a_nu j0(nu pi r / R)`` fitted
  to elastic electron-scattering data, for the nuclei in ``nugen/data/fourier_bessel_charge_densities.csv``
  (C12, O16, Al27, Si28, Si29, Si30, S32, Ar40, Ca40, Fe56, Pb208). It is the *charge* form factor, the
  right one for the dipole's photon exchange; nuclei without an entry (xenon, C13, O17, O18, Ar36, Ar38)
  fall back to Helm.

* **The proton** (H1, Z = A = 1) is not a nucleus for Helm: whatever the model, its form factor is the
  Dirac form factor F1_p of the standard dipole parametrisation, ``F1 = (G_E + tau G_M)/(1 + tau)``,
  ``G_E = G_D``, ``G_M = mu_p G_D``, ``G_D = (1 + Q^2/0.71 GeV^2)^-2``, ``tau = Q^2/(4 m_p^2)``
  (:func:`proton_dirac_form_factor_sq`; C. F. Perdrisat, V. Punjabi, M. Vanderhaeghen, Prog. Part. Nucl.
  Phys. 59 (2007) 694, Sec. 2). F1 alone is the charge part: the dipole cross section on the proton also
  has the Pauli term of its anomalous magnetic moment (F2, kappa_p = 1.79), so
  :func:`nugen.xsec.dipole_nucleus_dsigma_dT` sends Z = A = 1 to the nucleon cross section of
  :mod:`nugen.xsec.nucleon` (F1 and F2) and does not use this F1^2 for it. With F1 alone, H1 rates in
  MiniBooNE's beam were 1 % (M_N = 30 MeV) to 20 % (0.6 GeV) below DarkNews 0.4.8, which has F1 and F2;
  Helm at A = 1 (rms radius 2.0 fm, the proton's is 0.84 fm) was 17–90 % low (docs/miniboone_darknews.md).
  The Helm-based recoil ceiling of :func:`nugen.beam_events.sample_scatterings` (q r_n = 10) would end
  A = 1 at T = 611 MeV, Q^2 = 1.14 GeV^2, where F1_p^2 is still 0.045 (not Q^2 ~ 8 GeV^2 with F1^2 ~
  2e-4): measured with F1 alone, 0.015 % (M_N = 30 MeV) to 0.25 % (600 MeV) of the H1 rate in MiniBooNE's
  beam and 0.10–0.29 % in CHARM-II's lie above it. Small, but not negligible against 0.1 % comparisons,
  so beam_events gives the proton its own ceiling (G_D^2 = 1e-7, Q^2 = 39 GeV^2).

Which to use (``form_factor="helm" | "fourier_bessel"``; default :data:`DEFAULT_FORM_FACTOR` = Helm):
the two agree to < 1 % where coherent rates are large (q R << 1; Si28: F^2 differs by 0.05 % at T = 10
keV) and part in the diffraction tail (Si28 at T = 1 MeV: Helm F^2 = 0.00244 is 40 % below the measured
0.00405, so dsigma/dT differs by the same 40 %). Helm stays the default because (i) every published
curve nugen is compared with (Brdar et al.; the Kopp-group code) used Helm, (ii) nugen's beam event
generator (``nugen/beam_events.py``) and the CEvNS cross section use Helm, and the rates and the
generator must integrate the same density, and (iii) for CEvNS the relevant density is the weak (mostly
neutron) one, which the charge data do not measure. Integrated over the CHARM-II flux, coherent N
production rises by 0.1 % (M_N = 10 MeV) to 0.3 % (300 MeV) when switching to Fourier–Bessel
(docs/validation.md, CHARM-II section).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from nugen.constants import HBARC_MEV_FM, M_PROTON, MU_PROTON
from nugen.errors import UnknownNameError

__all__ = [
    "DEFAULT_FORM_FACTOR",
    "FORM_FACTOR_MODELS",
    "FourierBesselDensity",
    "check_form_factor_model",
    "fourier_bessel_densities",
    "fourier_bessel_density",
    "helm_form_factor_sq",
    "helm_radius_fm",
    "momentum_transfer_fm",
    "nuclear_form_factor_sq",
    "proton_dirac_form_factor_sq",
]

#: Dipole mass squared of the nucleon's Sachs form factors [MeV^2] (0.71 GeV^2; Perdrisat et al. 2007).
_DIPOLE_MASS_SQ_MEV2 = 0.71e6

#: Helm skin thickness s [fm] (Lewin & Smith 1996).
HELM_S_FM = 0.9
#: Helm surface parameter a [fm] (Lewin & Smith 1996).
HELM_A_FM = 0.52


def helm_radius_fm(A: float) -> float:
    """Helm radius r_n [fm]: ``r_n^2 = c^2 + (7/3) pi^2 a^2 - 5 s^2``, ``c = 1.23 A^(1/3) - 0.60``."""
    c = 1.23 * A ** (1.0 / 3.0) - 0.60
    return float(np.sqrt(c * c + 7.0 / 3.0 * np.pi**2 * HELM_A_FM**2 - 5.0 * HELM_S_FM**2))


def momentum_transfer_fm(T: ArrayLike, m_A: float) -> np.ndarray:
    """Momentum transfer |q| [fm^-1] for a recoil of kinetic energy ``T`` [MeV] of mass ``m_A`` [MeV]."""
    T = np.asarray(T, dtype=float)
    return np.sqrt(2.0 * m_A * T + T * T) / HBARC_MEV_FM


def helm_form_factor_sq(T: ArrayLike, A: float, m_A: float) -> np.ndarray:
    """Squared Helm form factor F^2(q) at recoil energy ``T`` [MeV].

    ``F(q) = 3 j1(q r_n) / (q r_n) exp(-(q s)^2 / 2)`` (Lewin & Smith 1996, Eq. 4.7).

    Parameters
    ----------
    T : array_like
        Nuclear recoil kinetic energy [MeV].
    A : float
        Mass number.
    m_A : float
        Nuclear mass [MeV].
    """
    q = momentum_transfer_fm(T, m_A)
    x = q * helm_radius_fm(A)
    small = x < 1e-3
    xs = np.where(small, 1.0, x)
    j1_over_x = np.where(small, 1.0 / 3.0 - x * x / 30.0, (np.sin(xs) / xs**2 - np.cos(xs) / xs) / xs)
    f = 3.0 * j1_over_x * np.exp(-0.5 * (q * HELM_S_FM) ** 2)
    return f * f


# -- Fourier-Bessel charge densities (De Vries, De Jager, De Vries 1987) -----------------------------

#: Form-factor models accepted by :func:`nuclear_form_factor_sq` and the ``form_factor`` options.
FORM_FACTOR_MODELS = ("helm", "fourier_bessel")
#: The default model (see the module docstring for why it is Helm).
DEFAULT_FORM_FACTOR = "helm"

_FB_TABLE = "fourier_bessel_charge_densities.csv"


@dataclass(frozen=True)
class FourierBesselDensity:
    """Model-independent charge density of one nucleus as a Fourier–Bessel series.

    ``rho(r) = sum_nu a_nu j0(nu pi r / R)`` for ``r <= R``, zero beyond (De Vries, De Jager, De Vries,
    At. Data Nucl. Data Tables 36 (1987) 495, Table IV).

    Attributes
    ----------
    name : str
        Nucleus, e.g. ``"Si28"``.
    Z, A : int
        Charge and mass number.
    R_fm : float
        Cut-off radius R [fm].
    coefficients : tuple of float
        a_1 ... a_n [e fm^-3].
    rms_published_fm : float or None
        The rms charge radius quoted with the coefficients [fm], None where no copy quotes it.
    """

    name: str
    Z: int
    A: int
    R_fm: float
    coefficients: tuple[float, ...]
    rms_published_fm: float | None

    @property
    def _a(self) -> np.ndarray:
        return np.asarray(self.coefficients, dtype=float)

    @property
    def _q_nu(self) -> np.ndarray:
        """Wave numbers q_nu = nu pi / R [fm^-1] of the series."""
        return np.arange(1, len(self.coefficients) + 1) * np.pi / self.R_fm

    def density(self, r_fm: ArrayLike) -> np.ndarray:
        """Charge density rho(r) [e fm^-3] at radius ``r_fm`` [fm] (zero for r > R)."""
        r = np.asarray(r_fm, dtype=float)
        x = np.multiply.outer(r, self._q_nu) / np.pi  # np.sinc(x) = sin(pi x)/(pi x) = j0(pi x)
        rho = np.sinc(x) @ self._a
        return np.where((r >= 0) & (r <= self.R_fm), rho, 0.0)

    @property
    def charge(self) -> float:
        """Total charge ``4 pi int_0^R rho r^2 dr`` [e] in closed form (equals Z for a correct table)."""
        nu = np.arange(1, len(self.coefficients) + 1)
        sign = (-1.0) ** (nu + 1)
        return float(4.0 * np.pi * self.R_fm**3 / np.pi**2 * np.sum(sign * self._a / nu**2))

    @property
    def mean_square_radius_fm2(self) -> float:
        """``<r^2> = int rho r^4 dr / int rho r^2 dr`` [fm^2] in closed form.

        Uses ``int_0^R r^4 j0(nu pi r/R) dr = (-1)^(nu+1) R^5 ((nu pi)^2 - 6) / (nu pi)^4``.
        """
        nu = np.arange(1, len(self.coefficients) + 1)
        sign = (-1.0) ** (nu + 1)
        x = nu * np.pi
        m4 = np.sum(sign * self._a * (x * x - 6.0) / x**4) * self.R_fm**5
        m2 = np.sum(sign * self._a / x**2) * self.R_fm**3
        return float(m4 / m2)

    @property
    def rms_radius_fm(self) -> float:
        """Root-mean-square charge radius sqrt(<r^2>) [fm] computed from the coefficients."""
        return float(np.sqrt(self.mean_square_radius_fm2))

    def form_factor(self, q_fm: ArrayLike) -> np.ndarray:
        """Charge form factor F(q) (signed, F(0) = 1) at momentum transfer ``q_fm`` [fm^-1].

        Closed-form Fourier transform of the series (plane-wave Born approximation)::

            F(q) = [sin(qR)/(qR)] sum_nu s_nu a_nu / (q_nu^2 - q^2) / sum_nu s_nu a_nu / q_nu^2

        with s_nu = (-1)^(nu+1), evaluated near the poles q = q_nu through the equivalent, regular form
        ``R sum_nu a_nu j0((q - q_nu) R) / (q (q + q_nu))`` (same normalisation).

        Beyond the largest momentum transfer of the scattering data the series is an extrapolation
        (the q range of each fit is in the table of De Vries et al., not carried here); nugen uses
        it as it is.
        """
        q = np.abs(np.asarray(q_fm, dtype=float))
        a, qn, R = self._a, self._q_nu, self.R_fm
        nu = np.arange(1, len(a) + 1)
        sign = (-1.0) ** (nu + 1)
        norm = np.sum(sign * a / qn**2)
        low = q < 0.5 * qn[0]  # below the first pole: the first form, regular down to q = 0
        ql = np.where(low, q, 0.0)
        f_low = np.sinc(ql * R / np.pi) * np.sum(sign * a / (qn * qn - ql[..., None] ** 2), axis=-1)
        qh = np.where(low, qn[0], q)  # np.sinc(x) = sin(pi x) / (pi x)
        j0 = np.sinc((qh[..., None] - qn) * R / np.pi)
        f_high = np.sum(a * j0 / (qh[..., None] * (qh[..., None] + qn)), axis=-1)
        return np.where(low, f_low, f_high) / norm


@functools.cache
def fourier_bessel_densities() -> dict[tuple[int, int], FourierBesselDensity]:
    """All tabulated densities, keyed by (Z, A) (read once from the packaged table)."""
    from nugen.data import read

    t = read(_FB_TABLE, required=("nucleus", "Z", "A", "R_fm", "rms_fm", "n"))
    out = {}
    for i in range(len(t)):
        n = int(t["n"][i])
        coef = tuple(float(t[f"a{k}_per_fm3"][i]) for k in range(1, n + 1))
        rms = str(t["rms_fm"][i]).strip()
        z, a = int(t["Z"][i]), int(t["A"][i])
        out[(z, a)] = FourierBesselDensity(
            name=str(t["nucleus"][i]),
            Z=z,
            A=a,
            R_fm=float(t["R_fm"][i]),
            coefficients=coef,
            rms_published_fm=None if rms == "none" else float(rms),
        )
    return out


def fourier_bessel_density(Z: int, A: float) -> FourierBesselDensity | None:
    """The tabulated density of the nucleus (Z, A), or None if De Vries et al. give none we ship."""
    return fourier_bessel_densities().get((int(Z), round(float(A))))


def check_form_factor_model(model: str) -> str:
    """Return ``model`` if it is one of :data:`FORM_FACTOR_MODELS`, else raise.

    Raises
    ------
    UnknownNameError
        Naming the bad value and the known models.
    """
    if model not in FORM_FACTOR_MODELS:
        raise UnknownNameError("form-factor model", model, FORM_FACTOR_MODELS)
    return model


def nuclear_form_factor_sq(
    T: ArrayLike, Z: int, A: float, m_A: float, model: str = DEFAULT_FORM_FACTOR
) -> np.ndarray:
    """Squared nuclear form factor F^2(q) at recoil energy ``T`` [MeV] for the chosen model.

    Parameters
    ----------
    T : array_like
        Nuclear recoil kinetic energy [MeV].
    Z, A : int, float
        Charge and mass number.
    m_A : float
        Nuclear mass [MeV].
    model : {"helm", "fourier_bessel"}
        ``"fourier_bessel"`` uses the De Vries et al. charge density where the table has the nucleus
        and Helm otherwise (see the module docstring).

    Raises
    ------
    UnknownNameError
        For an unknown ``model``.
    """
    check_form_factor_model(model)
    if Z == 1 and round(float(A)) == 1:  # the proton: its Dirac form factor, not a nuclear density
        return proton_dirac_form_factor_sq(T, m_A)
    if model == "fourier_bessel":
        dens = fourier_bessel_density(Z, A)
        if dens is not None:
            f = dens.form_factor(momentum_transfer_fm(T, m_A))
            return f * f
    return helm_form_factor_sq(T, A, m_A)


def proton_dirac_form_factor_sq(T: ArrayLike, m_p: float = M_PROTON) -> np.ndarray:
    """Squared Dirac form factor F1_p(Q^2)^2 of the proton recoiling with kinetic energy ``T`` [MeV].

    Standard dipole parametrisation (C. F. Perdrisat, V. Punjabi, M. Vanderhaeghen, Prog. Part. Nucl. Phys.
    59 (2007) 694, Sec. 2): ``G_E = G_D = (1 + Q^2 / 0.71 GeV^2)^-2``, ``G_M = mu_p G_D`` (mu_p from CODATA),
    ``F1 = (G_E + tau G_M) / (1 + tau)`` with ``tau = Q^2 / (4 m_p^2)``; ``Q^2 = 2 m T`` for a target of
    mass ``m_p`` at rest. F1(0) = 1; its slope gives the Dirac radius ``r_1^2 = 12 / 0.71 GeV^2 -
    6 (mu_p - 1) / (4 m_p^2)`` = (0.734 fm)^2 (tested).

    Parameters
    ----------
    T : array_like
        Proton recoil kinetic energy [MeV].
    m_p : float
        Mass of the recoiling proton [MeV] (the target's mass in the kinematics).
    """
    q2 = 2.0 * float(m_p) * np.asarray(T, dtype=float)
    g_d = 1.0 / (1.0 + q2 / _DIPOLE_MASS_SQ_MEV2) ** 2
    tau = q2 / (4.0 * M_PROTON * M_PROTON)
    f1 = g_d * (1.0 + tau * MU_PROTON) / (1.0 + tau)
    return f1 * f1
