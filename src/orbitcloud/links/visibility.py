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

__all__ = ["GroundSites", "elevation_margin", "isl_margin", "los_clearance_km"]

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
