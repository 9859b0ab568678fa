"""Visibility margins: positive while a link is geometrically possible, zero at its edges.

Contact windows are the intervals where a margin is >= 0; the margins are smooth in time, so
window edges are found by root finding (:mod:`orbitcloud.links.windows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orbitcloud.constants import WGS84_A_KM
from orbitcloud.orbits.frames import geodetic_to_ecef, up_unit_vector
from orbitcloud.scenario.models import GroundStation

__all__ = [
    "GroundSites",
    "elevation_margin",
    "elevation_sin",
    "isl_margin",
    "los_clearance_km",
    "sphere_clearance_km",
    "sun_probe_angle_rad",
]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class GroundSites:
    """Ground stations as arrays. ``r_ecef_km`` and ``up`` are float64[n_gs, 3]; ``sin_mask``
    is sin(minimum elevation), float64[n_gs]."""

    r_ecef_km: F64
    up: F64
    sin_mask: F64

    @classmethod
    def from_stations(cls, stations: list[GroundStation]) -> GroundSites:
        lat = np.array([g.lat_deg for g in stations], dtype=np.float64)
        lon = np.array([g.lon_deg for g in stations], dtype=np.float64)
        alt_km = np.array([g.alt_m for g in stations], dtype=np.float64) / 1000.0
        mask = np.radians([g.min_elevation_deg for g in stations])
        # a station that serves only space links (`earth_orbit_passes: false`) gets a mask no
        # satellite can clear: sin(elevation) <= 1 < 2
        serves = np.array([g.earth_orbit_passes for g in stations], dtype=bool)
        return cls(
            geodetic_to_ecef(lat, lon, alt_km).reshape(-1, 3),
            up_unit_vector(lat, lon).reshape(-1, 3),
            np.where(serves, np.sin(np.asarray(mask, dtype=np.float64)), 2.0),
        )

    @property
    def n_gs(self) -> int:
        return int(self.sin_mask.shape[0])


def elevation_margin(r_sat_km: F64, r_gs_km: F64, up: F64, sin_mask: F64) -> F64:
    """``sin(elevation) - sin(mask)`` of satellites seen from ground stations, broadcast over
    the leading axes of ``[..., 3]`` inputs (``sin_mask`` without the last axis).

    Elevation is measured from the WGS84 ellipsoid normal (geodetic horizon), as skyfield's
    ``altaz`` does. sin is monotonic on [-90°, 90°], so the sign and the zeros are those of
    ``elevation - mask``.
    """
    d = r_sat_km - r_gs_km
    dist = np.sqrt(np.einsum("...i,...i->...", d, d))
    return np.einsum("...i,...i->...", d, up) / dist - sin_mask


def los_clearance_km(r1_km: F64, r2_km: F64) -> F64:
    """Smallest distance from the Earth's centre to the segment r1→r2 [km], ``[...]``.

    Closest point at ``u* = clip(-r1·(r2-r1) / |r2-r1|^2, 0, 1)``.
    """
    d = r2_km - r1_km
    dd = np.einsum("...i,...i->...", d, d)
    u = np.clip(-np.einsum("...i,...i->...", r1_km, d) / np.maximum(dd, 1e-300), 0.0, 1.0)
    p = r1_km + u[..., None] * d
    return np.sqrt(np.einsum("...i,...i->...", p, p))


def isl_margin(r1_km: F64, r2_km: F64, max_range_km: float, grazing_altitude_km: float) -> F64:
    """Inter-satellite link margin [km]: ``min(max_range - range, clearance - grazing radius)``.

    The line of sight must clear a sphere of radius WGS84 equatorial radius + grazing altitude
    (a conservative spherical Earth: the ellipsoid lies inside it).
    """
    d = r2_km - r1_km
    rng = np.sqrt(np.einsum("...i,...i->...", d, d))
    clearance = los_clearance_km(r1_km, r2_km) - (WGS84_A_KM + grazing_altitude_km)
    return np.minimum(max_range_km - rng, clearance)


# --- beyond Earth orbit: any body, any observer -------------------------------------------


def sphere_clearance_km(r1_km: F64, r2_km: F64, center_km: F64, radius_km: float | F64) -> F64:
    """Closest approach of the segment r1→r2 to ``center_km`` minus ``radius_km`` [km],
    ``[...]`` from ``[..., 3]`` inputs broadcast together (``radius_km`` without the last
    axis). Positive: the line of sight clears the sphere (a body blocking a link).

    Closest point of the segment at ``u* = clip(−(r1−c)·(r2−r1) / |r2−r1|², 0, 1)``
    (point-segment distance; Schneider & Eberly 2003, *Geometric Tools for Computer Graphics*,
    §6.1.2), as :func:`los_clearance_km` computes it about the origin.
    """
    c = np.asarray(center_km, dtype=np.float64)
    return los_clearance_km(
        np.asarray(r1_km, dtype=np.float64) - c, np.asarray(r2_km, dtype=np.float64) - c
    ) - np.asarray(radius_km, dtype=np.float64)


def elevation_sin(r_obs_km: F64, up: F64, r_target_km: F64) -> F64:
    """sin(elevation) of the target seen from the observer, ``[...]`` from ``[..., 3]``
    inputs broadcast together: ``(r_target − r_obs)·up / |r_target − r_obs|`` with ``up`` the
    observer's unit local vertical (geodetic normal on the Earth, the IAU body's radial or
    ellipsoid normal elsewhere). Geometric: no light time, aberration or refraction."""
    d = np.asarray(r_target_km, dtype=np.float64) - np.asarray(r_obs_km, dtype=np.float64)
    dist = np.sqrt(np.einsum("...i,...i->...", d, d))
    return np.einsum("...i,...i->...", d, np.asarray(up, dtype=np.float64)) / dist


def sun_probe_angle_rad(r_earth_km: F64, r_sun_km: F64, r_probe_km: F64) -> F64:
    """Sun–Earth–probe angle (SEP) at the Earth [rad], ``[...]`` from ``[..., 3]`` inputs in
    one frame and epoch, broadcast together. ``atan2(|a × b|, a · b)`` with ``a`` Earth→Sun and
    ``b`` Earth→probe keeps full precision at the small angles of solar conjunction (Kahan,
    "How futile are mindless assessments of roundoff", 2006, §12)."""
    e = np.asarray(r_earth_km, dtype=np.float64)
    a = np.asarray(r_sun_km, dtype=np.float64) - e
    b = np.asarray(r_probe_km, dtype=np.float64) - e
    a, b = np.broadcast_arrays(a, b)
    cross = np.cross(a, b)
    return np.arctan2(
        np.sqrt(np.einsum("...i,...i->...", cross, cross)), np.einsum("...i,...i->...", a, b)
    )
