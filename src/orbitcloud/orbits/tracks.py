"""Where the users are: positions of fixed and moving user terminals over the time grid.

Methods (stated, and the ones the tests check):

- **Fixed**: the WGS84 geodetic position, the same at every time.
- **Great circle**: the user moves at constant ground speed ``v`` along the great circle from
  A to B of the *sphere* of the mean Earth radius ``R`` (IUGG mean radius R1 = 6371.0088 km,
  :data:`~orbitcloud.constants.EARTH_MEAN_RADIUS_KM`), A and B's geodetic latitude and
  longitude taken as spherical coordinates: after ``t`` s it is at central angle
  ``θ = v (t - start_s) / R`` from A, by spherical linear interpolation (Shoemake 1985,
  *Animating rotation with quaternion curves*, SIGGRAPH '85, eq. for slerp):
  ``p = sin(D - θ)/sin D · a + sin θ / sin D · b`` with ``D`` the central angle A-B. The
  distance travelled is therefore exact on that sphere (the haversine distance from A is
  ``v t``); on the WGS84 ellipsoid the true geodesic differs by up to ~0.5 % (the sphere's
  error against the ellipsoid). ``at_end: stop`` holds B; ``loop`` turns back to A and
  repeats (there and back). Before ``start_s`` the user waits at A. The resulting
  latitude/longitude is placed on WGS84 at ``altitude_m`` (:func:`geodetic_to_ecef`).
- **CSV**: latitude, longitude and altitude linear in time between the rows; the longitude is
  unwrapped first, so a track across the antimeridian goes the short way (±180°). Before the
  first row and after the last the user holds the first / last row.

Cost: one vectorised evaluation over time per user (users are few; satellites are the
large axis of the user links, :mod:`orbitcloud.links.users`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from orbitcloud.constants import EARTH_MEAN_RADIUS_KM
from orbitcloud.orbits.frames import geodetic_to_ecef
from orbitcloud.scenario.users import CsvTrack, GreatCircleTrack, User

__all__ = [
    "great_circle_latlon",
    "track_geodetic",
    "track_speed_m_s",
    "user_geodetic",
    "user_positions",
]

F64 = NDArray[np.float64]


def _unit(lat_deg: float, lon_deg: float) -> F64:
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    return np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def great_circle_latlon(track: GreatCircleTrack, t_s: F64) -> tuple[F64, F64]:
    """``(lat_deg, lon_deg)``, float64[n] each, of a great-circle track at ``t_s`` [s]
    (module docstring: sphere of radius :data:`EARTH_MEAN_RADIUS_KM`, slerp)."""
    a = _unit(track.from_lat_deg, track.from_lon_deg)
    b = _unit(track.to_lat_deg, track.to_lon_deg)
    d = float(np.arctan2(np.linalg.norm(np.cross(a, b)), float(a @ b)))  # central angle A-B
    r_m = EARTH_MEAN_RADIUS_KM * 1000.0
    theta = track.speed_m_s * np.maximum(np.asarray(t_s, dtype=np.float64) - track.start_s, 0.0)
    theta = theta / r_m
    if track.at_end == "stop":
        theta = np.minimum(theta, d)
    else:
        theta = np.mod(theta, 2.0 * d)
        theta = np.where(theta > d, 2.0 * d - theta, theta)
    sd = np.sin(d)
    p = (np.sin(d - theta) / sd)[:, None] * a + (np.sin(theta) / sd)[:, None] * b
    lat = np.degrees(np.arcsin(np.clip(p[:, 2] / np.linalg.norm(p, axis=1), -1.0, 1.0)))
    lon = np.degrees(np.arctan2(p[:, 1], p[:, 0]))
    return lat, lon


def _csv_geodetic(track: CsvTrack, t_s: F64) -> tuple[F64, F64, F64]:
    pts = np.asarray(track.points, dtype=np.float64).reshape(-1, 4)
    tt, lat, lon, alt = pts.T
    lon_u = np.degrees(np.unwrap(np.radians(lon)))
    lo = np.interp(t_s, tt, lon_u)
    lo = (lo + 180.0) % 360.0 - 180.0
    return np.interp(t_s, tt, lat), lo, np.interp(t_s, tt, alt)


def track_geodetic(track: GreatCircleTrack | CsvTrack, t_s: F64) -> tuple[F64, F64, F64]:
    """``(lat_deg, lon_deg, alt_m)`` of one track (a user's or a moving jammer's) at ``t_s``
    [s], float64[n] each (module docstring)."""
    t = np.asarray(t_s, dtype=np.float64)
    if isinstance(track, GreatCircleTrack):
        lat, lon = great_circle_latlon(track, t)
        return lat, lon, np.full(t.shape, track.altitude_m)
    return _csv_geodetic(track, t)


def track_speed_m_s(track: GreatCircleTrack | CsvTrack) -> float:
    """Highest ground speed of a track [m/s]: a great circle's ``speed_m_s``; a csv track's
    fastest row-to-row leg (haversine distance on the sphere of :data:`EARTH_MEAN_RADIUS_KM`
    over the time between the rows; 0 for one row)."""
    if isinstance(track, GreatCircleTrack):
        return float(track.speed_m_s)
    pts = np.asarray(track.points, dtype=np.float64).reshape(-1, 4)
    if pts.shape[0] < 2:
        return 0.0
    la, lo = np.radians(pts[:, 1]), np.radians(pts[:, 2])
    h = np.sin(np.diff(la) / 2) ** 2
    h += np.cos(la[:-1]) * np.cos(la[1:]) * np.sin(np.diff(lo) / 2) ** 2
    d_m = 2.0 * EARTH_MEAN_RADIUS_KM * 1000.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float((d_m / np.diff(pts[:, 0])).max())


def user_geodetic(users: Sequence[User], t_s: F64) -> tuple[F64, F64, F64]:
    """``(lat_deg, lon_deg, alt_m)`` of every user at ``t_s`` (float64[n_time] [s]), each
    float64[n_user, n_time]."""
    t = np.asarray(t_s, dtype=np.float64)
    n_u, n_t = len(users), t.shape[0]
    lat, lon, alt = (np.zeros((n_u, n_t)) for _ in range(3))
    for i, u in enumerate(users):
        if u.position is not None:
            lat[i], lon[i], alt[i] = u.position.lat_deg, u.position.lon_deg, u.position.alt_m
        elif isinstance(u.track, GreatCircleTrack):
            lat[i], lon[i] = great_circle_latlon(u.track, t)
            alt[i] = u.track.altitude_m
        elif isinstance(u.track, CsvTrack):
            lat[i], lon[i], alt[i] = _csv_geodetic(u.track, t)
    return lat, lon, alt


def user_positions(users: Sequence[User], t_s: F64) -> F64:
    """Earth-fixed positions [km] of every user at ``t_s``, float64[n_user, n_time, 3]
    (WGS84, :func:`geodetic_to_ecef`)."""
    lat, lon, alt_m = user_geodetic(users, t_s)
    return np.asarray(geodetic_to_ecef(lat, lon, alt_m / 1000.0), dtype=np.float64)
