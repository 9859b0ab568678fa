"""The Sun, Earth, Moon and Mars: DE421 positions, body-fixed orientations and light time.

Positions come straight from the DE421 Chebyshev segments shipped by skyfield-data (Folkner,
Williams & Boggs 2008, JPL IOM 343R-08-003), evaluated with jplephem in one call per segment
for all times: Sun 0→10, Earth 0→3 + 3→399, Moon 0→3 + 3→301, Mars 0→4 + 4→499. Times are
one aware UTC epoch plus float64 seconds ``t_s``; they are converted to TDB with skyfield's
builtin timescale (bundled leap seconds, UT1 and the TDB−TT series).

Orientations (``to_fixed``, ``r_fixed = M @ (r_icrf - r_body_icrf)``):

* earth → ITRS as ``skyfield.framelib.itrs`` defines it, ``M = R3(GAST) · NPB`` (polar motion
  neglected; skyfield's builtin timescale has none either). The bias-precession-nutation
  matrix ``NPB`` (skyfield ``Time.M``, IAU 2000A nutation) and the equation of the equinoxes
  are sampled every :data:`EARTH_GRID_STEP_S` (6 h) or fewer for short spans, interpolated
  linearly (matrix elements, then one Newton step of the polar decomposition,
  ``M <- M (3 I - Mᵀ M) / 2``, re-orthonormalises), and GMST is evaluated at every time
  (skyfield ``earthlib.sidereal_time``: IERS 2003 ERA + precession-in-RA polynomial).
  Achieved error vs ``itrs.rotation_at(t)``: 1.3e-9 rad max on 400 random times over
  2026-2030 (6 h grid), 3.2e-10 rad over a 3 h span (tests/test_bodies.py).
* moon → the IAU WGCCRE 2015 model (Archinal et al. 2018, Celest. Mech. Dyn. Astron. 130:22,
  Table 2: alpha0, delta0, W with the E1..E13 periodic terms), which approximates the
  mean-Earth/polar-axis (ME) frame: 0.0039 deg from DE421's MOON_ME_DE421 frame over
  2026-2030 (tests/test_bodies.py).
* mars → the IAU WGCCRE 2015 model (Archinal et al. 2018, Table 1, with the periodic terms of
  Kuchynka et al. 2014), as transcribed in NAIF's pck00011.tpc.
* sun → identity (the Sun's rotation is not modelled; its IAU pole is given by
  ``pole_radec_rad``).

The IAU angles ``M = R3(W) R1(90° − δ0) R3(90° + α0)`` (Archinal et al. 2018, eq. 1 and
Fig. 1) use TDB days ``d`` and Julian centuries ``T`` from J2000.

Measured on this machine (2 cores, 600,000 times, 2026-01-01 + 60 s steps, warm kernel):
position_km 0.11-0.17 s per body for sun/earth/mars, 0.36 s for the moon (0.9 s on the very
first call, which pages in the kernel and converts the times); to_fixed('earth') 0.4-0.6 s,
to_fixed('moon') 0.3-0.7 s, to_fixed('mars') 0.25-0.6 s (spread: machine load). Light time
agrees with skyfield's ``observe`` to 1.3e-11 s (Earth→Mars).

Light time (``light_time_s``/``light_time_back_s``): the fixed point of
``tau = |dst(t + tau) - src(t)| / c`` (or ``|dst(t) - src(t - tau)| / c``), the geometric
(Newtonian, no Shapiro delay) light time as in skyfield's ``observe`` (``vectorlib``
``_correct_for_light_travel_time``); iterated until every element moved less than ``tol_s``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orbitcloud.constants import (
    EARTH_J2,
    EARTH_MU_KM3_S2,
    J2000_JD,
    MARS_EQUATORIAL_RADIUS_KM,
    MARS_J2,
    MARS_J2_RADIUS_KM,
    MARS_MU_KM3_S2,
    MARS_POLAR_RADIUS_KM,
    MOON_J2,
    MOON_J2_RADIUS_KM,
    MOON_MU_KM3_S2,
    MOON_RADIUS_KM,
    SPEED_OF_LIGHT_KM_S,
    SUN_MU_KM3_S2,
    SUN_RADIUS_KM,
    WGS84_A_KM,
    WGS84_B_KM,
)
from orbitcloud.orbits.sun import _skyfield

__all__ = [
    "BODIES",
    "BODY_NAMES",
    "EARTH_GRID_STEP_S",
    "Body",
    "BodyEphemeris",
    "light_time_back_s",
    "light_time_s",
]

F64 = NDArray[np.float64]

BODY_NAMES: tuple[str, ...] = ("sun", "earth", "moon", "mars")

#: Sampling step of the Earth's bias-precession-nutation matrix and equation of the
#: equinoxes [s]; linear interpolation over it errs by ~1e-9 rad (module docstring).
EARTH_GRID_STEP_S = 6 * 3600.0
#: Times per chunk in the orientation code: keeps temporaries near 100 MB.
_CHUNK = 100_000
#: Times per jplephem call: it gathers the coefficients per time ([n, 3, n_coef]).
_SPK_CHUNK = 20_000
_DAY_S = 86400.0
_DEG = np.pi / 180.0


@dataclass(frozen=True)
class Body:
    """A central body: NAIF id, GM [km^3/s^2], equatorial (reference-sphere) and polar radii
    [km], J2 [-] and the reference radius of that J2 [km]."""

    name: str
    naif_id: int
    mu_km3_s2: float
    radius_km: float
    polar_radius_km: float
    j2: float
    j2_radius_km: float


BODIES: dict[str, Body] = {
    "sun": Body("sun", 10, SUN_MU_KM3_S2, SUN_RADIUS_KM, SUN_RADIUS_KM, 0.0, SUN_RADIUS_KM),
    "earth": Body("earth", 399, EARTH_MU_KM3_S2, WGS84_A_KM, WGS84_B_KM, EARTH_J2, WGS84_A_KM),
    "moon": Body(
        "moon", 301, MOON_MU_KM3_S2, MOON_RADIUS_KM, MOON_RADIUS_KM, MOON_J2, MOON_J2_RADIUS_KM
    ),
    "mars": Body(
        "mars",
        499,
        MARS_MU_KM3_S2,
        MARS_EQUATORIAL_RADIUS_KM,
        MARS_POLAR_RADIUS_KM,
        MARS_J2,
        MARS_J2_RADIUS_KM,
    ),
}

#: DE421 segment chains (center, target) from the solar-system barycentre to each body.
_CHAINS: dict[str, tuple[tuple[int, int], ...]] = {
    "sun": ((0, 10),),
    "earth": ((0, 3), (3, 399)),
    "moon": ((0, 3), (3, 301)),
    "mars": ((0, 4), (4, 499)),
}

#: IAU 2015 Sun pole [deg] (Archinal et al. 2018, Table 1).
_SUN_POLE_DEG = (286.13, 63.87)


def _check_body(body: str) -> None:
    if body not in BODIES:
        raise ValueError(f"unknown body {body!r}; allowed: {', '.join(BODY_NAMES)}")


# --- IAU rotation models -------------------------------------------------------------------


def _moon_iau_deg(d: F64) -> tuple[F64, F64, F64]:
    """Moon alpha0, delta0, W [deg] at TDB days ``d`` from J2000 [n] (Archinal et al. 2018,
    Table 2)."""
    T = d / 36525.0
    e = _DEG * np.stack(
        [
            125.045 - 0.0529921 * d,
            250.089 - 0.1059842 * d,
            260.008 + 13.0120009 * d,
            176.625 + 13.3407154 * d,
            357.529 + 0.9856003 * d,
            311.589 + 26.4057084 * d,
            134.963 + 13.0649930 * d,
            276.617 + 0.3287146 * d,
            34.226 + 1.7484877 * d,
            15.134 - 0.1589763 * d,
            119.743 + 0.0036096 * d,
            239.961 + 0.1643573 * d,
            25.053 + 12.9590088 * d,
        ]
    )
    s, c = np.sin(e), np.cos(e)
    a_sin = np.array([-3.8787, -0.1204, 0.0700, -0.0172, 0, 0.0072, 0, 0, 0, -0.0052, 0, 0, 0.0043])
    d_cos = np.array(
        [1.5419, 0.0239, -0.0278, 0.0068, 0, -0.0029, 0.0009, 0, 0, 0.0008, 0, 0, -0.0009]
    )
    w_sin = np.array(
        [3.5610, 0.1208, -0.0642, 0.0158, 0.0252, -0.0066, -0.0047, -0.0046, 0.0028, 0.0052,
         0.0040, 0.0019, -0.0044]
    )  # fmt: skip
    alpha = 269.9949 + 0.0031 * T + a_sin @ s
    delta = 66.5392 + 0.0130 * T + d_cos @ c
    w = (38.3213 + np.mod(13.17635815 * d, 360.0)) - 1.4e-12 * d * d + w_sin @ s
    return alpha, delta, w


def _mars_iau_deg(d: F64) -> tuple[F64, F64, F64]:
    """Mars alpha0, delta0, W [deg] at TDB days ``d`` from J2000 [n] (Archinal et al. 2018,
    Table 1, IAU 2015, periodic terms from Kuchynka et al. 2014)."""
    T = d / 36525.0

    def series(amp: list[float], ph: list[float], rate: list[float], fn: Any) -> F64:
        arg = _DEG * (np.asarray(ph)[:, None] + np.asarray(rate)[:, None] * T[None, :])
        return np.asarray(np.asarray(amp) @ fn(arg), dtype=np.float64)

    alpha = (
        317.269202
        - 0.10927547 * T
        + series(
            [0.000068, 0.000238, 0.000052, 0.000009, 0.419057],
            [198.991226, 226.292679, 249.663391, 266.183510, 79.398797],
            [19139.4819985, 38280.8511281, 57420.7251593, 76560.6367950, 0.5042615],
            np.sin,
        )
    )
    delta = (
        54.432516
        - 0.05827105 * T
        + series(
            [0.000051, 0.000141, 0.000031, 0.000005, 1.591274],
            [122.433576, 43.058401, 57.663379, 79.476401, 166.325722],
            [19139.9407476, 38280.8753272, 57420.7517205, 76560.6495004, 0.5042615],
            np.cos,
        )
    )
    w = (
        176.049863
        + np.mod(350.891982443297 * d, 360.0)
        + series(
            [0.000145, 0.000157, 0.000040, 0.000001, 0.000001, 0.584542],
            [129.071773, 36.352167, 56.668646, 67.364003, 104.792680, 95.391654],
            [19140.0328244, 38281.0473591, 57420.9295360, 76560.2552215, 95700.4387578, 0.5042615],
            np.sin,
        )
    )
    return alpha, delta, w


def _iau_matrix(alpha_deg: F64, delta_deg: F64, w_deg: F64) -> F64:
    """ICRF → body-fixed ``R3(W) R1(90° − δ0) R3(90° + α0)`` [n, 3, 3] (Archinal et al. 2018,
    Fig. 1: the prime meridian at W east of the node Q = ẑ × pole)."""
    a = alpha_deg * _DEG
    dd = delta_deg * _DEG
    w = np.mod(w_deg, 360.0) * _DEG
    # Rows of N = R1(90-δ) R3(90+α): node x, y, pole z (in ICRF components).
    sa, ca, sd, cd = np.sin(a), np.cos(a), np.sin(dd), np.cos(dd)
    x = np.stack([-sa, ca, np.zeros_like(a)], axis=-1)
    z = np.stack([cd * ca, cd * sa, sd], axis=-1)
    y = np.cross(z, x)
    sw, cw = np.sin(w)[:, None], np.cos(w)[:, None]
    out = np.empty((a.shape[0], 3, 3))
    out[:, 0] = cw * x + sw * y
    out[:, 1] = -sw * x + cw * y
    out[:, 2] = z
    return out


# --- the ephemeris -------------------------------------------------------------------------


class BodyEphemeris:
    """DE421 positions and IAU orientations of the Sun, Earth, Moon and Mars for one epoch."""

    def __init__(self, epoch: dt.datetime) -> None:
        if epoch.tzinfo is None:
            raise ValueError(f"epoch must be timezone-aware (UTC), got {epoch!r}")
        self.epoch = epoch.astimezone(dt.UTC)
        self._ts, self._eph = _skyfield()
        self._spk = self._eph.spk
        self._last: tuple[F64, F64, F64] | None = None
        self._segment_cache: dict[tuple[int, int], F64] = {}

    def times(self, t_s: F64) -> Any:
        """skyfield ``Time`` for UTC ``epoch + t_s`` [n]."""
        e = self.epoch
        sec = e.second + e.microsecond * 1e-6 + np.asarray(t_s, dtype=np.float64)
        return self._ts.utc(e.year, e.month, e.day, e.hour, e.minute, sec)

    def _tdb(self, t_s: F64) -> tuple[F64, F64]:
        """TDB Julian date as (whole, fraction) [n]; the last conversion is kept, so that
        the calls for several bodies at the same times convert once."""
        t_s = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        last = self._last
        if last is not None and last[0].shape == t_s.shape and np.array_equal(last[0], t_s):
            return last[1], last[2]
        t = self.times(t_s)
        whole = np.broadcast_to(np.asarray(t.whole, dtype=np.float64), t.shape)
        frac = np.asarray(t.tdb_fraction, dtype=np.float64)
        self._last = (t_s.copy(), whole, frac)
        self._segment_cache = {}
        return whole, frac

    def _segment_km(self, link: tuple[int, int], t_s: F64) -> F64:
        """One DE421 segment's position [3, n] at the times of the last :meth:`_tdb`; the
        Earth-Moon barycentre segment is kept for the Earth and Moon at the same times."""
        whole, frac = self._tdb(t_s)
        cached = self._segment_cache.get(link)
        if cached is not None:
            return cached
        seg = self._spk[link]
        pos = np.empty((3, whole.shape[0]))
        for a in range(0, whole.shape[0], _SPK_CHUNK):
            sl = slice(a, a + _SPK_CHUNK)
            pos[:, sl] = seg.compute(whole[sl], frac[sl])
        if link == (0, 3):
            self._segment_cache[link] = pos
        return pos

    def _state(self, body: str, t_s: F64) -> tuple[F64, F64]:
        _check_body(body)
        whole, frac = self._tdb(t_s)
        pos = np.zeros((3, whole.shape[0]))
        vel = np.zeros((3, whole.shape[0]))
        for link in _CHAINS[body]:
            p, v = self._spk[link].compute_and_differentiate(whole, frac)
            pos += p
            vel += v
        return pos.T.copy(), vel.T / _DAY_S

    def position_km(self, body: str, t_s: F64) -> F64:
        """Barycentric ICRF position [km], float64[n, 3], at UTC epoch + ``t_s`` [n]."""
        _check_body(body)
        pos = sum(self._segment_km(link, t_s) for link in _CHAINS[body])
        return np.asarray(pos, dtype=np.float64).T.copy()

    def velocity_km_s(self, body: str, t_s: F64) -> F64:
        """Barycentric ICRF velocity [km/s], float64[n, 3]."""
        return self._state(body, t_s)[1]

    def _tdb_days(self, t_s: F64) -> F64:
        whole, frac = self._tdb(t_s)
        return (whole - J2000_JD) + frac

    def to_fixed(self, body: str, t_s: F64) -> F64:
        """ICRF → body-fixed rotation ``M`` [n, 3, 3], ``r_fixed = M @ (r_icrf - r_body)``."""
        _check_body(body)
        t_s = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        n = t_s.shape[0]
        if body == "sun":
            return np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
        if body == "earth":
            return self._earth_to_itrs(t_s)
        model = _moon_iau_deg if body == "moon" else _mars_iau_deg
        out = np.empty((n, 3, 3))
        for a in range(0, n, _CHUNK):
            d = self._tdb_days(t_s[a : a + _CHUNK])
            out[a : a + _CHUNK] = _iau_matrix(*model(d))
        return out

    def pole_radec_rad(self, body: str, t_s: F64) -> tuple[F64, F64]:
        """Right ascension and declination of the body's north pole [rad], float64[n] each: IAU
        2015 models for moon, mars and sun; the Earth's true pole of date (row 3 of NPB)."""
        _check_body(body)
        t_s = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        if body == "sun":
            ra, dec = (np.full(t_s.shape, v * _DEG) for v in _SUN_POLE_DEG)
            return ra, dec
        if body == "earth":
            z = self._earth_npb(t_s)[0][:, 2, :]
            return np.mod(np.arctan2(z[:, 1], z[:, 0]), 2 * np.pi), np.arcsin(z[:, 2])
        model = _moon_iau_deg if body == "moon" else _mars_iau_deg
        alpha, delta, _ = model(self._tdb_days(t_s))
        return np.mod(alpha, 360.0) * _DEG, delta * _DEG

    # Earth: coarse NPB + equation of the equinoxes, exact GMST.

    def _earth_npb(self, t_s: F64) -> tuple[F64, F64]:
        """Interpolated NPB [n, 3, 3] and equation of the equinoxes [rad, n], from the
        samples every :data:`EARTH_GRID_STEP_S` s since the epoch (computed once per span and
        kept: the contact search asks for thousands of scattered times)."""
        grid, m_grid, eqeq_grid = self._npb_samples(float(t_s.min()), float(t_s.max()))
        n = t_s.shape[0]
        npb = np.empty((n, 3, 3))
        flat = npb.reshape(n, 9)
        for k in range(9):
            flat[:, k] = np.interp(t_s, grid, m_grid[k])
        # One Newton step of the polar decomposition (interpolation error ~1e-9 → ~1e-18).
        for a in range(0, n, _CHUNK):
            m = npb[a : a + _CHUNK]
            mtm = np.einsum("nki,nkj->nij", m, m)
            npb[a : a + _CHUNK] = 1.5 * m - 0.5 * np.einsum("nik,nkj->nij", m, mtm)
        return npb, np.interp(t_s, grid, eqeq_grid)

    def _npb_samples(self, lo: float, hi: float) -> tuple[F64, F64, F64]:
        """``(grid [s], NPB [9, n_grid], eqeq [n_grid])`` on the fixed grid
        ``k · EARTH_GRID_STEP_S`` covering ``[lo, hi]``; the cached table grows as needed."""
        k_lo = int(np.floor(lo / EARTH_GRID_STEP_S)) - 1
        k_hi = int(np.ceil(hi / EARTH_GRID_STEP_S)) + 1
        cache = getattr(self, "_npb_cache", None)
        if cache is None or k_lo < cache[0] or k_hi > cache[1]:
            if cache is not None:
                k_lo, k_hi = min(k_lo, cache[0]), max(k_hi, cache[1])
            grid = np.arange(k_lo, k_hi + 1, dtype=np.float64) * EARTH_GRID_STEP_S
            tg = self.times(grid)
            m_grid = np.asarray(tg.M, dtype=np.float64).reshape(9, grid.shape[0])
            eqeq = (np.asarray(tg.gast) - np.asarray(tg.gmst)) * (np.pi / 12.0)
            eqeq = np.mod(eqeq + np.pi, 2 * np.pi) - np.pi
            cache = (k_lo, k_hi, grid, m_grid, eqeq)
            self._npb_cache = cache
        return cache[2], cache[3], cache[4]

    def _earth_to_itrs(self, t_s: F64) -> F64:
        from skyfield.earthlib import sidereal_time

        npb, eqeq = self._earth_npb(t_s)
        out = np.empty_like(npb)
        for a in range(0, t_s.shape[0], _CHUNK):
            sl = slice(a, a + _CHUNK)
            gmst_h = np.atleast_1d(sidereal_time(self.times(t_s[sl])))
            theta = np.mod(gmst_h * (np.pi / 12.0) + eqeq[sl], 2 * np.pi)
            c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
            m = npb[sl]
            # R3(theta) @ m: rows x' = c x + s y, y' = -s x + c y, z' = z.
            out[sl, 0] = c * m[:, 0] + s * m[:, 1]
            out[sl, 1] = -s * m[:, 0] + c * m[:, 1]
            out[sl, 2] = m[:, 2]
        return out


# --- light time ----------------------------------------------------------------------------

_MAX_ITER = 50


def light_time_s(
    src_at: Callable[[F64], F64],
    dst_at: Callable[[F64], F64],
    t_send_s: F64,
    tol_s: float = 1e-9,
) -> F64:
    """Forward light time [s], float64[n]: ``tau`` with ``|dst(t + tau) - src(t)| = c tau``
    (sent at ``t_send_s`` [n], received at ``t + tau``); ``src_at``/``dst_at`` map times [n] to
    positions [n, 3] [km] in one inertial frame. Fixed-point iteration, contraction factor
    ~v/c (1e-4), so 3-4 iterations reach ``tol_s``."""
    t = np.atleast_1d(np.asarray(t_send_s, dtype=np.float64))
    r_src = src_at(t)
    tau = np.linalg.norm(dst_at(t) - r_src, axis=-1) / SPEED_OF_LIGHT_KM_S
    for _ in range(_MAX_ITER):
        new = np.linalg.norm(dst_at(t + tau) - r_src, axis=-1) / SPEED_OF_LIGHT_KM_S
        done = np.max(np.abs(new - tau), initial=0.0) < tol_s
        tau = new
        if done:
            return tau
    raise RuntimeError(f"light time did not converge to {tol_s} s in {_MAX_ITER} iterations")


def light_time_back_s(
    src_at: Callable[[F64], F64],
    dst_at: Callable[[F64], F64],
    t_recv_s: F64,
    tol_s: float = 1e-9,
) -> F64:
    """Backward light time [s], float64[n]: ``tau`` with ``|dst(t) - src(t - tau)| = c tau``
    (received at ``t_recv_s`` [n], sent at ``t - tau``); as :func:`light_time_s`."""
    t = np.atleast_1d(np.asarray(t_recv_s, dtype=np.float64))
    r_dst = dst_at(t)
    tau = np.linalg.norm(r_dst - src_at(t), axis=-1) / SPEED_OF_LIGHT_KM_S
    for _ in range(_MAX_ITER):
        new = np.linalg.norm(r_dst - src_at(t - tau), axis=-1) / SPEED_OF_LIGHT_KM_S
        done = np.max(np.abs(new - tau), initial=0.0) < tol_s
        tau = new
        if done:
            return tau
    raise RuntimeError(f"light time did not converge to {tol_s} s in {_MAX_ITER} iterations")
