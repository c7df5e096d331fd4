"""The Sun as seen from an underground laboratory: direction and distance at a given time.

Used by :class:`nugen.generator.Generator` with a ``site``: event times are drawn with the 1/r^2 variation
of the flux over the year (:func:`sun_distance_au`) and the incoming neutrinos point away from the Sun in
the local East-North-Up frame (:func:`sun_direction_enu`). Low-precision solar coordinates (The
Astronomical Almanac, Sec. C; ~0.01 deg and ~1e-4 AU for 1950-2050) are ample for neutrino directions.
"""

from __future__ import annotations

import math

import numpy as np

from nugen.errors import InvalidParameterError, UnknownNameError

__all__ = ["R_MIN_AU", "SITES", "SUN_PERIOD_START_UNIX", "check_site", "sun_direction_enu", "sun_distance_au"]

#: Underground laboratories: (geodetic latitude, longitude) in degrees, east positive (approximate).
SITES: dict[str, tuple[float, float]] = {
    "lngs": (42.42, 13.52),  # Laboratori Nazionali del Gran Sasso (XENON1T, Borexino)
    "snolab": (46.47, -81.19),
    "kamioka": (36.42, 137.31),
}
#: Default start of the event-time window with a site: 2020-01-01T00:00:00Z.
SUN_PERIOD_START_UNIX = 1_577_836_800.0
#: A lower bound of the Earth-Sun distance [AU] (perihelion 0.98329 AU): event times are accepted with
#: probability (R_MIN_AU / r)^2, the 1/r^2 flux variation.
R_MIN_AU = 0.983
_J2000_UNIX = 946_728_000.0  # 2000-01-01T12:00:00 UTC (JD 2451545.0, UTC ~ TT to 69 s: negligible here)


def _sun_elements(t_unix: np.ndarray):
    """Days since J2000, mean anomaly g and ecliptic longitude lambda [rad], obliquity [rad]."""
    n = (np.asarray(t_unix, dtype=float) - _J2000_UNIX) / 86400.0
    L = np.radians((280.460 + 0.9856474 * n) % 360.0)
    g = np.radians((357.528 + 0.9856003 * n) % 360.0)
    lam = L + np.radians(1.915) * np.sin(g) + np.radians(0.020) * np.sin(2.0 * g)
    eps = np.radians(23.439 - 4.0e-7 * n)
    return n, g, lam, eps


def sun_distance_au(t_unix) -> np.ndarray:
    """Earth-Sun distance [AU] at Unix time ``t_unix`` (Astronomical Almanac low-precision formula).

    ``r = 1.00014 - 0.01671 cos g - 0.00014 cos 2g`` (The Astronomical Almanac, Sec. C, "Low-precision
    formulas for the Sun"; accurate to ~1e-4 AU for 1950-2050).
    """
    _, g, _, _ = _sun_elements(t_unix)
    return 1.00014 - 0.01671 * np.cos(g) - 0.00014 * np.cos(2.0 * g)


def sun_direction_enu(t_unix, lat_deg: float, lon_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vector towards the Sun in the local East-North-Up frame at (``lat_deg``, ``lon_deg``).

    Right ascension and declination from the Astronomical Almanac's low-precision solar coordinates
    (accuracy ~0.01 deg for 1950-2050), local hour angle from the Greenwich mean sidereal time
    ``GMST = 280.46061837 + 360.98564736629 d`` deg (d = days since J2000; Meeus, *Astronomical
    Algorithms*, Eq. 12.4), then ``(E, N, U) = (-cos dec sin H, cos phi sin dec - sin phi cos dec cos H,
    sin phi sin dec + cos phi cos dec cos H)``. Refraction and parallax are neglected.

    Parameters
    ----------
    t_unix : array_like
        Unix time [s, UTC].
    lat_deg, lon_deg : float
        Geodetic latitude and longitude (east positive) [deg].
    """
    n, _, lam, eps = _sun_elements(t_unix)
    ra = np.arctan2(np.cos(eps) * np.sin(lam), np.cos(lam))
    dec = np.arcsin(np.sin(eps) * np.sin(lam))
    gmst = np.radians((280.46061837 + 360.98564736629 * n) % 360.0)
    H = gmst + math.radians(lon_deg) - ra
    phi = math.radians(lat_deg)
    cd = np.cos(dec)
    east = -cd * np.sin(H)
    north = math.cos(phi) * np.sin(dec) - math.sin(phi) * cd * np.cos(H)
    up = math.sin(phi) * np.sin(dec) + math.cos(phi) * cd * np.cos(H)
    return east, north, up


def check_site(site) -> tuple[float, float] | None:
    """(latitude, longitude) [deg] of ``site``: a name in :data:`SITES`, a pair of numbers, or ``None``.

    Raises
    ------
    UnknownNameError
        For an unknown site name (the known ones are listed).
    InvalidParameterError
        For a pair outside latitude [-90, 90] and longitude [-360, 360] degrees, or anything else.
    """
    if site is None:
        return None
    if isinstance(site, str):
        if site.lower() not in SITES:
            raise UnknownNameError("site", site, SITES)
        return SITES[site.lower()]
    try:
        lat, lon = (float(v) for v in site)
    except (TypeError, ValueError):
        msg = f"site must be a name ({', '.join(SITES)}) or (latitude, longitude) in degrees, got {site!r}"
        raise InvalidParameterError(msg) from None
    if not (-90.0 <= lat <= 90.0 and -360.0 <= lon <= 360.0):
        msg = f"site latitude must be in [-90, 90] and longitude in [-360, 360] degrees, got {site!r}"
        raise InvalidParameterError(msg)
    return lat, lon
