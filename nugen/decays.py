"""N -> nu gamma in flight: decay probabilities along a flight path, decay vertices and photon four-momenta.

All functions are vectorised over events (no per-event Python loop) and take a
:class:`numpy.random.Generator` where they sample.

Physics (physics.md Sec. 4; derived from the Lagrangian ``(1/2) mu nubar_L sigma N_R F + h.c.`` of Brdar et
al., JCAP 01 (2021) 039, arXiv:2007.15563):

* **Lab decay length** (Sec. 4.2): ``lambda = (p_N / M) c tau = beta gamma c tau`` with the width of
  :attr:`nugen.model.DipolePortal.width_MeV` (Dirac ``mu^2 M^3 / (16 pi)``, Majorana twice that), so
  ``lambda ∝ 1 / mu^2`` at fixed M_N and momentum.
* **Decay probability** between path lengths L1 < L2 from the production point (Sec. 4.2):
  ``P = exp(-L1/lambda) - exp(-L2/lambda)`` (:func:`decay_probability`); averaged over production points
  spread uniformly along a target, :func:`path_averaged_decay_probability` (closed form below).
* **Photon angular distribution** in the N rest frame (Sec. 4.3), theta* measured from the N flight
  direction (the helicity axis): ``dGamma/dcos theta* ∝ 1 - h_eff cos theta*`` with ``h_eff = +P`` for a
  Dirac N, ``-P`` for a Dirac Nbar and 0 for a Majorana N (isotropic). N from a nu_L beam has helicity
  +1 and Nbar from a nubar beam -1 (Sec. 2.5), so ``h_eff = +1`` for both Dirac cases: photons go
  preferentially backwards in the N frame (softer in the lab).
* **Lab photon energy** (Sec. 4.4): ``E_gamma = (gamma M / 2)(1 + beta cos theta*)``, uniform-plus-linear
  between ``E_N (1 -+ beta)/2`` (:func:`photon_energy_pdf`), mean ``(E_N / 2)(1 - h_eff beta / 3)``.

Units: energies and momenta in MeV, lengths in cm (any length unit works if used consistently).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> p_N = np.tile([20000.0, 0.0, 0.0, np.sqrt(20000.0**2 - 100.0**2)], (5, 1))
>>> k = photon_four_momenta(p_N, 100.0, h_eff=1.0, rng=rng)
>>> bool(np.allclose(k[:, 0] ** 2, np.sum(k[:, 1:] ** 2, axis=1)))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from nugen.errors import InvalidParameterError
from nugen.kinematics import decay_to_massless_pair
from nugen.model import DipolePortal
from nugen.sampling import linear_cosine

__all__ = [
    "DecayInFlight",
    "decay_in_flight",
    "decay_probability",
    "helicity_factor",
    "lab_decay_length_cm",
    "path_averaged_decay_probability",
    "photon_energy_pdf",
    "photon_four_momenta",
    "sample_cos_theta_star",
    "sample_decay_distance",
    "undecayed_probability",
]


def helicity_factor(nature: str, helicity: ArrayLike = 1.0, antiparticle: ArrayLike = False) -> np.ndarray:
    """The coefficient ``h_eff`` of the photon angular distribution ``1 - h_eff cos theta*``.

    Parameters
    ----------
    nature : {"dirac", "majorana"}
        Nature of N (physics.md Sec. 1.4).
    helicity : array_like
        Polarisation P of N along its flight direction (+1 for N from nu_L, -1 for Nbar from nubar;
        physics.md Sec. 2.5).
    antiparticle : array_like of bool
        True for a Dirac Nbar (decays to nubar gamma: the sign of the asymmetry flips).

    Returns
    -------
    numpy.ndarray
        ``+P`` (Dirac N), ``-P`` (Dirac Nbar), 0 (Majorana) (physics.md Sec. 4.3 / 4.4).
    """
    P = np.asarray(helicity, dtype=float)
    if nature == "majorana":
        return np.zeros_like(P)
    if nature != "dirac":
        msg = f"nature must be 'dirac' or 'majorana', got {nature!r}"
        raise InvalidParameterError(msg)
    return np.where(np.asarray(antiparticle, dtype=bool), -P, P)


def lab_decay_length_cm(model: DipolePortal, momentum_MeV: ArrayLike) -> np.ndarray:
    """Mean lab decay length ``beta gamma c tau`` [cm] of N with momentum ``p`` [MeV] (physics.md Sec. 4.2).

    ``inf`` for a stable N (M_N = 0 or mu = 0). Thin wrapper of
    :meth:`nugen.model.DipolePortal.decay_length_cm`.
    """
    return model.decay_length_cm(momentum_MeV)


def decay_probability(L1: ArrayLike, L2: ArrayLike, decay_length: ArrayLike) -> np.ndarray:
    """Probability that N decays between path lengths ``L1`` and ``L2`` >= L1 from its production point.

    ``P = exp(-L1/lambda) - exp(-L2/lambda)`` (physics.md Sec. 4.2), computed as
    ``exp(-L1/lambda) (-expm1(-(L2 - L1)/lambda))`` so that it stays accurate (relative 1e-15) for
    ``lambda >> L2`` where it tends to ``(L2 - L1)/lambda``. Zero for ``lambda = inf``.

    Parameters
    ----------
    L1, L2 : array_like
        Path lengths [cm] (broadcast); ``L2 < L1`` gives 0.
    decay_length : array_like
        Lab decay length lambda [cm].
    """
    L1, L2, lam = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (L1, L2, decay_length)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv = np.where(np.isfinite(lam) & (lam > 0), 1.0 / lam, 0.0)
        # inv = 0 (lambda = inf) with L2 = inf would give inf x 0: a stable N decays nowhere
        x = np.where(inv > 0, np.maximum(L2 - L1, 0.0) * inv, 0.0)
        out = np.exp(-L1 * inv) * -np.expm1(-x)
    return np.where(lam > 0, out, np.where(L1 <= 0, 1.0, 0.0) * (L2 > L1))


def undecayed_probability(path: ArrayLike, decay_length: ArrayLike) -> np.ndarray:
    """Probability that N travels a path length ``path`` from its production point without decaying.

    ``P = exp(-path/lambda)`` (physics.md Sec. 4.2): 1 for ``lambda = inf`` (a stable N), 0 for
    ``lambda = 0`` and ``path > 0``. It is ``decay_probability(path, inf, lambda)`` for finite lambda,
    whose lambda -> inf limit would instead be the probability of decaying somewhere (0).

    Parameters
    ----------
    path : array_like
        Path length [cm], >= 0.
    decay_length : array_like
        Lab decay length lambda [cm] (broadcast against ``path``).
    """
    path, lam = np.broadcast_arrays(np.asarray(path, dtype=float), np.asarray(decay_length, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.exp(-path / np.where(lam > 0, lam, 1.0))
    return np.where(lam > 0, out, np.where(path > 0, 0.0, 1.0))


def path_averaged_decay_probability(
    z1: float, z2: float, length: float, decay_length: ArrayLike
) -> np.ndarray:
    """Decay probability in ``[z1, z2]``, averaged over production points uniform in ``[0, length]``.

    N flies along +z (forward, small angles). For production at ``z_p``, ``P(z_p) = exp(-L1/lambda) -
    exp(-L2/lambda)`` with ``L_i = max(z_i - z_p, 0)`` (:func:`decay_probability`). Integrating over
    ``z_p`` in [0, length] (length >= z2 >= z1 >= 0; production beyond z2 cannot decay inside) gives
    ``G = D - lambda (1 - e^{-D/lambda}) + lambda (1 - e^{-z1/lambda})
    - lambda (e^{-D/lambda} - e^{-z2/lambda})`` with ``D = z2 - z1``; the function returns ``G / length``.
    For ``lambda -> inf``,
    ``G -> (z2^2 - z1^2) / (2 lambda)``, used below ``lambda > 1e4 z2`` (series to second order).

    Parameters
    ----------
    z1, z2 : float
        Decay region along the axis [cm], ``0 <= z1 < z2 <= length``.
    length : float
        Length of the production region [cm].
    decay_length : array_like
        Lab decay length lambda [cm].
    """
    if not (0 <= z1 < z2 <= length):
        msg = f"need 0 <= z1 < z2 <= length, got z1={z1!r}, z2={z2!r}, length={length!r}"
        raise InvalidParameterError(msg)
    lam = np.asarray(decay_length, dtype=float)
    D = z2 - z1
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = np.where(lam > 0, lam, 1.0)
        e_d = np.exp(-D / x)
        full = D + x * np.expm1(-D / x) - x * np.expm1(-z1 / x) - x * (e_d - np.exp(-z2 / x))
        # lambda >> z2: G = (z2^2 - z1^2)/(2 lambda) - (z2^3 - z1^3)/(6 lambda^2) + ... (cancellation above)
        series = (z2**2 - z1**2) / (2 * x) - (z2**3 - z1**3) / (6 * x * x)
    g = np.where(lam > 1e4 * z2, series, full)
    g = np.where(np.isfinite(lam), g, 0.0)
    g = np.where(lam > 0, g, D)  # lambda -> 0: N decays at once, inside iff produced in [z1, z2]
    return np.maximum(g, 0.0) / length


def sample_decay_distance(
    decay_length: ArrayLike, rng: np.random.Generator, L1: ArrayLike = 0.0, L2: ArrayLike = np.inf
) -> np.ndarray:
    """Path length [cm] of the decay, exponential with mean lambda, truncated to ``[L1, L2]``.

    Inverse CDF of the truncated exponential, ``L = L1 - lambda ln(1 - u (1 - e^{-(L2-L1)/lambda}))``,
    evaluated with ``log1p``/``expm1`` so that it stays exact for ``lambda >> L2 - L1`` (then nearly
    uniform). With the default ``L1 = 0, L2 = inf`` this is the free decay (vertex possibly outside).
    """
    lam, L1, L2 = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (decay_length, L1, L2)))
    u = rng.random(lam.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        span = np.maximum(L2 - L1, 0.0)
        frac = -np.expm1(-span / lam)  # P(decay inside the window | reached L1)
        out = L1 - lam * np.log1p(-u * frac)
    # lambda = inf: no decay (inf) when the window is unbounded, else uniform in the window
    out = np.where(np.isfinite(lam), out, np.where(np.isfinite(span), L1 + u * span, np.inf))
    return np.minimum(out, L2)


def sample_cos_theta_star(h_eff: ArrayLike, rng: np.random.Generator, size: int | None = None) -> np.ndarray:
    """Draw cos theta* from ``(1 - h_eff cos theta*) / 2`` on [-1, 1] (physics.md Sec. 4.3), exactly.

    The inverse CDF of :func:`nugen.sampling.linear_cosine` (one uniform per value), with ``h_eff``
    broadcast to the output shape.

    Parameters
    ----------
    h_eff : array_like
        Asymmetry in [-1, 1] (:func:`helicity_factor`), broadcast to the output shape.
    rng : numpy.random.Generator
        Random numbers.
    size : int, optional
        Number of values when ``h_eff`` is a scalar.
    """
    h = np.asarray(h_eff, dtype=float)
    if np.any(np.abs(h) > 1):
        msg = f"h_eff must lie in [-1, 1], got values up to {np.max(np.abs(h))!r}"
        raise InvalidParameterError(msg)
    if h.ndim == 0 and size is not None:  # one slope: no per-event array of it
        return linear_cosine(rng, float(h), int(size))
    shape = h.shape if size is None else np.broadcast_shapes(h.shape, (size,))
    return linear_cosine(rng, np.broadcast_to(h, shape).ravel()).reshape(shape)


@dataclass(frozen=True)
class DecayInFlight:
    """N -> nu gamma in flight for k events (:func:`decay_in_flight`); NaN where an event does not decay.

    Attributes
    ----------
    photon : tuple of numpy.ndarray
        Photon ``(E, px, py, pz)`` in the lab [MeV].
    cos_theta_star : numpy.ndarray
        Photon polar angle in the N rest frame relative to the N direction.
    u_free : numpy.ndarray
        Free decay distance in units of the lab decay length (standard exponential; the same ``u``
        gives the vertex for another mu: ``u x lambda'``).
    free_vertex : tuple of numpy.ndarray
        Free decay vertex relative to the production point, ``u_free x lambda`` along N [cm].
    forced_vertex : tuple of numpy.ndarray or None
        With a ``window``: the vertex drawn from the exponential truncated to the window [cm].
    window_probability : numpy.ndarray or None
        With a ``window``: the probability to decay inside it (:func:`decay_probability`).
    """

    photon: tuple[np.ndarray, ...]
    cos_theta_star: np.ndarray
    u_free: np.ndarray
    free_vertex: tuple[np.ndarray, ...]
    forced_vertex: tuple[np.ndarray, ...] | None = None
    window_probability: np.ndarray | None = None


def decay_in_flight(
    p_N: tuple[np.ndarray, ...],
    M_N: float,
    h_eff: ArrayLike,
    decay_length: ArrayLike,
    rng: np.random.Generator,
    decays: ArrayLike = True,
    window: tuple[ArrayLike, ArrayLike] | None = None,
) -> DecayInFlight:
    """The decay stage of every sample: where N decays and the photon of N -> nu gamma.

    One code path for solar samples (:class:`nugen.generator.Generator`, free vertex) and beam detectors
    (:meth:`detectors.charm2.CHARM2.generate`, a vertex forced into the fiducial window with its
    probability as a weight). Physics.md Sec. 4.2 (exponential decay distance with mean
    ``lambda = beta gamma c tau``), Sec. 4.3 (``cos theta*`` from ``(1 - h_eff cos theta*)/2``,
    :func:`sample_cos_theta_star`) and Sec. 4.4 (the boost, :func:`nugen.kinematics.decay_to_massless_pair`).

    Random numbers, in this order and for every event whether it decays or not (so that the stream
    does not depend on the model): ``u_free`` (standard exponential), the forced distance (with a
    ``window``, :func:`sample_decay_distance`), ``cos theta*``, the photon azimuth.

    Parameters
    ----------
    p_N : tuple of numpy.ndarray
        ``(E, px, py, pz)`` of N in the lab [MeV], k events.
    M_N : float
        N mass [MeV] (photons only where ``decays`` and ``M_N > 0``).
    h_eff : array_like
        Angular asymmetry (:func:`helicity_factor`), scalar or per event.
    decay_length : array_like
        Lab decay length lambda [cm] per event.
    rng : numpy.random.Generator
        Random numbers.
    decays : array_like of bool
        Events that decay (others get NaN).
    window : tuple of array_like, optional
        Path lengths ``(L1, L2)`` [cm] of a decay window along N's flight.

    Returns
    -------
    DecayInFlight
    """
    E, px, py, pz = (np.asarray(v, dtype=float) for v in p_N)
    n = E.size
    lam = np.broadcast_to(np.asarray(decay_length, dtype=float), (n,))
    u_free = rng.standard_exponential(n)
    forced_d = sample_decay_distance(lam, rng, *window) if window is not None else None
    cos_star = sample_cos_theta_star(h_eff, rng, size=n)
    psi = rng.random(n) * (2.0 * np.pi)
    nan = np.full(n, np.nan)
    ok = np.broadcast_to(np.asarray(decays, dtype=bool), (n,)) & (float(M_N) > 0)
    if not np.any(ok):
        return DecayInFlight((nan,) * 4, nan, nan, (nan,) * 3, (nan,) * 3 if window else None,
                             np.zeros(n) if window else None)  # fmt: skip
    photon, _ = decay_to_massless_pair((E, px, py, pz), M_N, cos_star, psi)
    p = np.sqrt(px * px + py * py + pz * pz)
    every = bool(ok.all())

    def only(a):  # NaN where an event does not decay (nothing to do when all do)
        return a if every else np.where(ok, a, np.nan)

    def along(d):  # offsets d along N's direction, d / p x p (no unit vector: p = 0 gives 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(p > 0, d / p, 0.0)
        return tuple(only(c * scale) for c in (px, py, pz))

    forced = prob = None
    if window is not None:
        prob = np.where(ok, decay_probability(*window, lam), 0.0)
        forced = along(np.where(prob > 0, forced_d, np.nan))
    return DecayInFlight(
        photon=tuple(only(c) for c in photon),
        cos_theta_star=only(cos_star),
        u_free=only(u_free),
        free_vertex=along(u_free * lam),
        forced_vertex=forced,
        window_probability=prob,
    )


def photon_four_momenta(
    p_N: ArrayLike,
    M_N: float,
    h_eff: ArrayLike,
    rng: np.random.Generator,
    *,
    return_cos_star: bool = False,
):
    """Photon four-momenta [MeV] of N -> nu gamma for N with lab four-momenta ``p_N`` (shape (k, 4)).

    cos theta* is drawn from ``1 - h_eff cos theta*`` (:func:`sample_cos_theta_star`) relative to the N
    flight direction and phi* uniformly; the photon (energy M/2 in the N rest frame, massless
    neutrino) is boosted along the N direction: ``E = gamma (M/2)(1 + beta cos theta*)``,
    ``p_par = gamma (M/2)(cos theta* + beta)``, ``p_perp = (M/2) sin theta*`` (physics.md Sec. 4.4).

    Parameters
    ----------
    p_N : array_like, shape (k, 4)
        (E, px, py, pz) of N [MeV], with ``E^2 - p^2 = M_N^2``.
    M_N : float
        Mass of N [MeV] (> 0).
    h_eff : array_like
        Angular asymmetry per event or scalar (:func:`helicity_factor`).
    rng : numpy.random.Generator
        Random numbers.
    return_cos_star : bool
        Also return the drawn cos theta*.

    Returns
    -------
    numpy.ndarray, shape (k, 4)
        Photon (E, px, py, pz) [MeV]; the neutrino is ``p_N - k``.
    """
    p = np.atleast_2d(np.asarray(p_N, dtype=float))
    if p.shape[-1] != 4:
        msg = f"p_N must have shape (k, 4), got {p.shape}"
        raise InvalidParameterError(msg)
    if not M_N > 0:
        msg = f"M_N must be > 0 for a decay, got {M_N!r}"
        raise InvalidParameterError(msg)
    k = p.shape[0]
    c = sample_cos_theta_star(np.broadcast_to(np.asarray(h_eff, dtype=float), (k,)), rng)
    phi = 2.0 * np.pi * rng.random(k)
    photon, _ = decay_to_massless_pair(tuple(p.T), M_N, c, phi)
    out = np.column_stack(photon)
    return (out, c) if return_cos_star else out


def photon_energy_pdf(E_gamma: ArrayLike, E_N: float, M_N: float, h_eff: float = 0.0) -> np.ndarray:
    """Lab photon energy distribution dN/dE_gamma [MeV^-1] of N -> nu gamma (physics.md Sec. 4.4).

    ``(1/(gamma beta M)) [1 - h_eff (2 E_gamma/(gamma M) - 1)/beta]`` on
    ``[E_N (1 - beta)/2, E_N (1 + beta)/2]``, zero outside.
    """
    Eg = np.asarray(E_gamma, dtype=float)
    gamma = E_N / M_N
    beta = np.sqrt(max(1.0 - 1.0 / (gamma * gamma), 0.0))
    lo, hi = 0.5 * E_N * (1 - beta), 0.5 * E_N * (1 + beta)
    val = (1.0 - h_eff * (2.0 * Eg / (gamma * M_N) - 1.0) / beta) / (gamma * beta * M_N)
    return np.where((Eg >= lo) & (Eg <= hi), val, 0.0)
