"""Earth rotation and frames: GMST 1982, TEME → Earth-fixed, WGS84 geodetic conversions.

The Earth-fixed frame is TEME rotated about z by GMST 1982 ("pseudo Earth-fixed", Vallado et
al. 2006, AIAA 2006-6753 §IV.C), with UT1 = UTC + DUT1 and polar motion neglected; it agrees
with skyfield's full ITRS within ~100 m for LEO (tests/test_frames.py), far below what link
geometry needs. Arrays follow one convention: vectors are the last axis, ``[..., 3]``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from orbitcloud.constants import DAY_S, J2000_JD, WGS84_A_KM, WGS84_B_KM, WGS84_E2

__all__ = [
    "ecef_to_geodetic",
    "geodetic_to_ecef",
    "gmst82_rad",
    "teme_to_ecef",
    "up_unit_vector",
]

F64 = NDArray[np.float64]


def gmst82_rad(jd_ut1: F64, fr_ut1: F64) -> F64:
    """Greenwich mean sidereal time [rad] of split UT1 Julian dates, float64[n].

    IAU 1982 model, as SGP4's TEME frame defines it: Vallado et al. (2006), AIAA 2006-6753,
    Appendix C (``gstime``), with the polynomial of Aoki et al. (1982) in seconds of time.
    """
    jd_ut1 = np.asarray(jd_ut1, dtype=np.float64)
    fr_ut1 = np.asarray(fr_ut1, dtype=np.float64)
    t = (jd_ut1 - J2000_JD + fr_ut1) / 36525.0
    g_s = 67310.54841 + (8640184.812866 + (0.093104 + (-6.2e-6) * t) * t) * t
    # The day's rotation is added as fractions of a day to keep float64 precision.
    frac = (jd_ut1 % 1.0 + fr_ut1 + (g_s / DAY_S) % 1.0) % 1.0
    return frac * (2.0 * np.pi)


def teme_to_ecef(r_teme_km: F64, gmst_rad: F64) -> F64:
    """Rotate TEME vectors ``[n_sat, n_time, 3]`` (or ``[n, 3]`` with ``gmst_rad`` [n]) to the
    Earth-fixed frame: ``r_ecef = R3(gmst) r_teme`` (AIAA 2006-6753 eq. 1, polar motion 0)."""
    c = np.cos(gmst_rad)
    s = np.sin(gmst_rad)
    out = np.empty_like(r_teme_km)
    x = r_teme_km[..., 0]
    y = r_teme_km[..., 1]
    out[..., 0] = c * x + s * y
    out[..., 1] = c * y - s * x
    out[..., 2] = r_teme_km[..., 2]
    return out


def geodetic_to_ecef(lat_deg: F64, lon_deg: F64, alt_km: F64) -> F64:
    """WGS84 geodetic coordinates to Earth-fixed position [km], ``[..., 3]``.

    Standard closed form, e.g. Montenbruck & Gill (2000), *Satellite Orbits*, eq. 5.83.
    """
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    sin_lat = np.sin(lat)
    n_km = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    rho = (n_km + alt_km) * np.cos(lat)
    return np.stack(
        [rho * np.cos(lon), rho * np.sin(lon), (n_km * (1.0 - WGS84_E2) + alt_km) * sin_lat],
        axis=-1,
    )


def up_unit_vector(lat_deg: F64, lon_deg: F64) -> F64:
    """Unit ellipsoid normal (local 'up') at geodetic lat/lon, ``[..., 3]``."""
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    return np.stack(
        [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)],
        axis=-1,
    )


def ecef_to_geodetic(r_ecef_km: F64) -> tuple[F64, F64, F64]:
    """Earth-fixed ``[..., 3]`` km to WGS84 ``(lat_deg, lon_deg, alt_km)``, each ``[...]``.

    Heikkinen's exact closed form (Heikkinen 1982, *Z. Vermess.* 107, 207; as given by
    Zhu 1994, IEEE TAES 30(3), 957): no iteration, valid everywhere except near the centre.
    """
    x = r_ecef_km[..., 0]
    y = r_ecef_km[..., 1]
    z = r_ecef_km[..., 2]
    a, b, e2 = WGS84_A_KM, WGS84_B_KM, WGS84_E2
    ep2 = (a * a - b * b) / (b * b)
    p = np.hypot(x, y)
    F = 54.0 * b * b * z * z
    G = p * p + (1.0 - e2) * z * z - e2 * (a * a - b * b)
    c = e2 * e2 * F * p * p / (G * G * G)
    s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
    k = s + 1.0 + 1.0 / s
    P = F / (3.0 * k * k * G * G)
    Q = np.sqrt(1.0 + 2.0 * e2 * e2 * P)
    r0 = -(P * e2 * p) / (1.0 + Q) + np.sqrt(
        np.maximum(
            0.5 * a * a * (1.0 + 1.0 / Q)
            - P * (1.0 - e2) * z * z / (Q * (1.0 + Q))
            - 0.5 * P * p * p,
            0.0,
        )
    )
    U = np.hypot(p - e2 * r0, z)
    V = np.sqrt((p - e2 * r0) ** 2 + (1.0 - e2) * z * z)
    z0 = b * b * z / (a * V)
    alt_km = U * (1.0 - b * b / (a * V))
    lat_deg = np.degrees(np.arctan2(z + ep2 * z0, p))
    lon_deg = np.degrees(np.arctan2(y, x))
    return lat_deg, lon_deg, alt_km
