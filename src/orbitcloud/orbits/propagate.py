"""Vectorised SGP4 propagation to the Earth-fixed frame, and the ``Ephemeris`` it produces."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from orbitcloud.orbits.frames import ecef_to_geodetic, gmst82_rad, teme_to_ecef
from orbitcloud.orbits.satellites import SatelliteSet
from orbitcloud.orbits.sun import dut1_s, sun_ecef_km, sunlit_mask
from orbitcloud.progress import NullProgress, Progress
from orbitcloud.timegrid import TimeGrid, split_jd

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

    def gmst_rad(self, t_s: F64) -> F64:
        """Earth rotation angle (GMST 1982 of UT1) at ``t_s``, float64[n]."""
        jd, fr = split_jd(self.epoch, np.asarray(t_s, dtype=np.float64) + self.dut1_s)
        return gmst82_rad(jd, fr)

    def ecef_grid(
        self, t_s: F64, progress: Progress | None = None, chunk: int = 64
    ) -> tuple[F64, NDArray[np.uint8]]:
        """Positions of all satellites at all ``t_s``: (float64[n_sat, n_time, 3] km,
        uint8[n_sat, n_time] SGP4 error code, 0 = ok). Failed samples are NaN.

        Runs ``SatrecArray.sgp4`` on time chunks so peak memory stays near the output size.
        """
        t_s = np.asarray(t_s, dtype=np.float64)
        sats = self.satellites.array()
        n_sat, n_time = self.satellites.n_sat, t_s.shape[0]
        out = np.empty((n_sat, n_time, 3))
        err = np.empty((n_sat, n_time), dtype=np.uint8)
        gmst = self.gmst_rad(t_s)
        jd, fr = split_jd(self.epoch, t_s)
        with (progress or NullProgress()).task("propagating orbits", n_time) as task:
            for a in range(0, n_time, chunk):
                b = min(a + chunk, n_time)
                e, r, _ = sats.sgp4(jd[a:b], fr[a:b])
                out[:, a:b] = teme_to_ecef(r, gmst[a:b])
                err[:, a:b] = e
                task.advance(b - a)
        return out, err

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
        sunlit: bool[n_sat, n_time], see :mod:`orbitcloud.orbits.sun` for the shadow model.
        propagator: exact evaluation between grid samples (used to refine contact times).
    """

    grid: TimeGrid
    satellites: SatelliteSet
    r_ecef_km: F64 = field(repr=False)
    error: NDArray[np.uint8] = field(repr=False)
    sun_ecef_km: F64 = field(repr=False)
    sunlit: NDArray[np.bool_] = field(repr=False)
    propagator: Propagator = field(repr=False)

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
    r, err = prop.ecef_grid(grid.t_s, progress)
    sun = sun_ecef_km(grid.epoch, grid.t_s)
    sunlit = sunlit_mask(r, sun) & (err == 0)
    return Ephemeris(grid, satellites, r, err, sun, sunlit, prop)
