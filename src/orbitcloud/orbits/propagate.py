"""Vectorised propagation to the Earth-fixed frame, and the ``Ephemeris`` it produces.

Earth-orbit satellites run on SGP4 (TEME rotated by GMST 1982, :mod:`orbitcloud.orbits.frames`).
Nodes beyond Earth orbit (:mod:`orbitcloud.orbits.space`) are placed in the barycentric ICRF
from DE421 and their body's rotation, then expressed in the same Earth-fixed frame
(ITRS, :meth:`orbitcloud.orbits.bodies.BodyEphemeris.to_fixed`) so every node has a row of
``r_ecef_km``; their ICRF positions are kept too (``Ephemeris.space_icrf_km``) for the links
beyond Earth orbit, which are computed in the inertial frame."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from orbitcloud.orbits.frames import ecef_to_geodetic, gmst82_rad, teme_to_ecef
from orbitcloud.orbits.satellites import SatelliteSet
from orbitcloud.orbits.sun import dut1_s, sun_ecef_km, sunlit_mask
from orbitcloud.progress import NullProgress, Progress
from orbitcloud.timegrid import TimeGrid, split_jd

if TYPE_CHECKING:
    from orbitcloud.orbits.bodies import BodyEphemeris

__all__ = ["Ephemeris", "Propagator", "propagate"]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Propagator:
    """Evaluates satellite positions at arbitrary times, exactly (SGP4, no interpolation).

    ``dut1_s`` (UT1 − UTC) enters only the Earth rotation angle; SGP4 itself runs on UTC
    Julian dates, as TLE epochs are UTC (AIAA 2006-6753 §III).
    """

    satellites: SatelliteSet
    epoch: dt.datetime
    dut1_s: float

    @classmethod
    def for_satellites(cls, satellites: SatelliteSet, epoch: dt.datetime) -> Propagator:
        return cls(satellites, epoch.astimezone(dt.UTC), dut1_s(epoch))

    @functools.cached_property
    def bodies(self) -> BodyEphemeris:
        """DE421 bodies and orientations for this epoch (built on first use)."""
        from orbitcloud.orbits.bodies import BodyEphemeris

        return BodyEphemeris(self.epoch)

    def space_icrf_at(self, sat_idx: NDArray[np.intp], t_s: F64) -> F64:
        """Barycentric ICRF positions [km] of any nodes ``sat_idx[i]`` at ``t_s[i]``,
        float64[m, 3]: nodes beyond Earth orbit exactly, Earth-orbit satellites from SGP4
        rotated out of the Earth-fixed frame (NaN where SGP4 fails)."""
        sat_idx = np.asarray(sat_idx, dtype=np.intp)
        t_s = np.asarray(t_s, dtype=np.float64)
        out = np.full((sat_idx.shape[0], 3), np.nan)
        n_earth = self.satellites.n_earth
        deep = sat_idx >= n_earth
        if deep.any():
            space = self.satellites.space
            assert space is not None
            out[deep] = space.icrf_km(self.bodies, sat_idx[deep] - n_earth, t_s[deep])
        if (~deep).any():
            near = ~deep
            r = self.ecef_at(sat_idx[near], t_s[near])
            out[near] = self.ecef_to_icrf(r, t_s[near])
        return out

    def ecef_to_icrf(self, r_ecef_km: F64, t_s: F64) -> F64:
        """Earth-fixed ``[m, 3]`` at ``t_s[m]`` to barycentric ICRF [km] (ITRS axes)."""
        m = self.bodies.to_fixed("earth", t_s)
        return np.einsum("nji,nj->ni", m, r_ecef_km) + self.bodies.position_km("earth", t_s)

    def icrf_to_ecef(self, r_icrf_km: F64, t_s: F64) -> F64:
        """Barycentric ICRF ``[..., m, 3]`` at ``t_s[m]`` to the Earth-fixed frame [km]."""
        m = self.bodies.to_fixed("earth", t_s)
        rel = r_icrf_km - self.bodies.position_km("earth", t_s)
        return np.einsum("nij,...nj->...ni", m, rel)

    def gmst_rad(self, t_s: F64) -> F64:
        """Earth rotation angle (GMST 1982 of UT1) at ``t_s``, float64[n]."""
        jd, fr = split_jd(self.epoch, np.asarray(t_s, dtype=np.float64) + self.dut1_s)
        return gmst82_rad(jd, fr)

    def ecef_grid(
        self,
        t_s: F64,
        progress: Progress | None = None,
        chunk: int = 64,
        space_icrf_km: F64 | None = None,
    ) -> tuple[F64, NDArray[np.uint8]]:
        """Positions of all satellites at all ``t_s``: (float64[n_sat, n_time, 3] km,
        uint8[n_sat, n_time] SGP4 error code, 0 = ok). Failed samples are NaN.

        Runs ``SatrecArray.sgp4`` on time chunks so peak memory stays near the output size.
        """
        t_s = np.asarray(t_s, dtype=np.float64)
        n_sat, n_time, n_earth = self.satellites.n_sat, t_s.shape[0], self.satellites.n_earth
        out = np.empty((n_sat, n_time, 3))
        err = np.zeros((n_sat, n_time), dtype=np.uint8)
        if n_earth < n_sat:  # beyond Earth orbit (``space_icrf_km``: already computed)
            icrf = self.space_icrf_grid(t_s) if space_icrf_km is None else space_icrf_km
            out[n_earth:] = self.icrf_to_ecef(icrf, t_s)
        if n_earth == 0:
            return out, err
        sats = self.satellites.array()
        gmst = self.gmst_rad(t_s)
        jd, fr = split_jd(self.epoch, t_s)
        with (progress or NullProgress()).task("propagating orbits", n_time) as task:
            for a in range(0, n_time, chunk):
                b = min(a + chunk, n_time)
                e, r, _ = sats.sgp4(jd[a:b], fr[a:b])
                out[:n_earth, a:b] = teme_to_ecef(r, gmst[a:b])
                err[:n_earth, a:b] = e
                task.advance(b - a)
        return out, err

    def space_icrf_grid(self, t_s: F64) -> F64:
        """Barycentric ICRF positions [km] of the nodes beyond Earth orbit at every ``t_s``,
        float64[n_space, n_time, 3] (empty first axis when there are none)."""
        space = self.satellites.space
        t_s = np.asarray(t_s, dtype=np.float64)
        if space is None:
            return np.empty((0, t_s.shape[0], 3))
        return space.icrf_grid_km(self.bodies, t_s)

    def ecef_at(self, sat_idx: NDArray[np.intp], t_s: F64) -> F64:
        """Positions of satellite ``sat_idx[i]`` at ``t_s[i]`` (pairs, not a grid), float64[m, 3].

        Requests are grouped by satellite, so the Python loop runs over distinct satellites
        (each one ``Satrec.sgp4_array`` call), not over requests.
        """
        sat_idx = np.asarray(sat_idx, dtype=np.intp)
        t_s = np.asarray(t_s, dtype=np.float64)
        out = np.full((sat_idx.shape[0], 3), np.nan)
        if sat_idx.size == 0:
            return out
        n_earth = self.satellites.n_earth
        deep = sat_idx >= n_earth
        if deep.any():  # beyond Earth orbit: exact ICRF, then Earth-fixed
            space = self.satellites.space
            assert space is not None
            r = space.icrf_km(self.bodies, sat_idx[deep] - n_earth, t_s[deep])
            out[deep] = self.icrf_to_ecef(r, t_s[deep])
            if deep.all():
                return out
            near = np.flatnonzero(~deep)
            out[near] = self.ecef_at(sat_idx[near], t_s[near])
            return out
        order = np.argsort(sat_idx, kind="stable")
        sorted_sats = sat_idx[order]
        starts = np.flatnonzero(np.r_[True, sorted_sats[1:] != sorted_sats[:-1]])
        ends = np.r_[starts[1:], sorted_sats.size]
        jd, fr = split_jd(self.epoch, t_s[order])
        r_teme = np.empty((sat_idx.shape[0], 3))
        satrecs = self.satellites.satrecs
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            e, r, _ = satrecs[sorted_sats[a]].sgp4_array(jd[a:b], fr[a:b])
            r[e != 0] = np.nan
            r_teme[a:b] = r
        out[order] = teme_to_ecef(r_teme, self.gmst_rad(t_s[order]))
        return out


@dataclass(frozen=True)
class Ephemeris:
    """Where every satellite is at every grid time.

    Attributes:
        grid: the time grid.
        satellites: the satellites (node order).
        r_ecef_km: float64[n_sat, n_time, 3], Earth-fixed positions (NaN where SGP4 failed).
        error: uint8[n_sat, n_time], SGP4 error code (0 ok; see ``sgp4.api.SGP4_ERRORS``).
        sun_ecef_km: float64[n_time, 3], geometric Earth→Sun vector.
        sunlit: bool[n_sat, n_time], see :mod:`orbitcloud.orbits.sun` for the shadow model
            (nodes beyond Earth orbit: :meth:`orbitcloud.orbits.space.SpaceNodes.sunlit`,
            shadows of the Earth, Moon and Mars).
        propagator: exact evaluation between grid samples (used to refine contact times).
        space_icrf_km: float64[n_space, n_time, 3], barycentric ICRF positions of the nodes
            beyond Earth orbit (nodes ``n_earth ..``); empty first axis when there are none.
    """

    grid: TimeGrid
    satellites: SatelliteSet
    r_ecef_km: F64 = field(repr=False)
    error: NDArray[np.uint8] = field(repr=False)
    sun_ecef_km: F64 = field(repr=False)
    sunlit: NDArray[np.bool_] = field(repr=False)
    propagator: Propagator = field(repr=False)
    space_icrf_km: F64 = field(default_factory=lambda: np.empty((0, 0, 3)), repr=False)

    @property
    def n_sat(self) -> int:
        return self.satellites.n_sat

    @property
    def valid(self) -> NDArray[np.bool_]:
        """bool[n_sat, n_time]: SGP4 succeeded."""
        return self.error == 0

    def geodetic(self) -> tuple[F64, F64, F64]:
        """WGS84 ``(lat_deg, lon_deg, alt_km)``, each float64[n_sat, n_time]."""
        return ecef_to_geodetic(self.r_ecef_km)


def propagate(
    satellites: SatelliteSet, grid: TimeGrid, progress: Progress | None = None
) -> Ephemeris:
    """Propagate every satellite over the grid; add the Sun vector and eclipse state."""
    prop = Propagator.for_satellites(satellites, grid.epoch)
    space_icrf = prop.space_icrf_grid(grid.t_s)
    r, err = prop.ecef_grid(grid.t_s, progress, space_icrf_km=space_icrf)
    sun = sun_ecef_km(grid.epoch, grid.t_s)
    sunlit = sunlit_mask(r, sun) & (err == 0)
    if satellites.space is not None:
        sunlit[satellites.n_earth :] = satellites.space.sunlit(prop.bodies, space_icrf, grid.t_s)
    return Ephemeris(grid, satellites, r, err, sun, sunlit, prop, space_icrf)
