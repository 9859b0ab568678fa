"""Sun position (skyfield + the DE421 ephemeris shipped by skyfield-data, offline) and eclipses.

Shadow model: a spherical Earth of radius ``EARTH_SHADOW_RADIUS_KM`` and a point Sun; a
satellite is eclipsed when the segment from it to the Sun's centre passes through the Earth,
i.e. the Sun's centre is below the Earth's limb. This is the test skyfield's
``ICRF.is_sunlit`` applies (skyfield ``positionlib.py``, ``geometry.intersect_line_and_sphere``);
its boundary lies in the middle of the penumbra, which a LEO satellite crosses in ~8 s
(Montenbruck & Gill 2000, *Satellite Orbits*, §3.4.2, discuss the conical refinement).
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["EARTH_SHADOW_RADIUS_KM", "dut1_s", "sun_ecef_km", "sunlit_mask"]

F64 = NDArray[np.float64]

#: Radius of the shadowing sphere [km]: IERS 2010 equatorial radius, as skyfield's ERAD.
EARTH_SHADOW_RADIUS_KM = 6378.1366


@functools.cache
def _skyfield() -> tuple[Any, Any]:
    """skyfield's builtin timescale and DE421 from skyfield-data (no network, loaded once)."""
    with warnings.catch_warnings():
        # skyfield-data warns that its IERS finals file is old; we use the builtin timescale
        # (bundled leap seconds and UT1) and never read that file.
        warnings.filterwarnings("ignore", message="The file finals2000A.all has expired")
        import skyfield_data
        from skyfield.api import Loader

        loader = Loader(skyfield_data.get_skyfield_data_path(), verbose=False)
        eph = loader("de421.bsp")
        atexit.register(eph.close)  # the kernel keeps its file open while cached
        return loader.timescale(builtin=True), eph


def _times(epoch: dt.datetime, t_s: F64) -> Any:
    ts, _ = _skyfield()
    e = epoch.astimezone(dt.UTC)
    return ts.utc(e.year, e.month, e.day, e.hour, e.minute, e.second + e.microsecond * 1e-6 + t_s)


def dut1_s(epoch: dt.datetime) -> float:
    """UT1 − UTC [s] at ``epoch`` from skyfield's bundled tables (|DUT1| < 0.9 s)."""
    return float(_times(epoch, np.zeros(1)).dut1[0])


def sun_ecef_km(epoch: dt.datetime, t_s: F64) -> F64:
    """Geometric Earth→Sun vector in the Earth-fixed frame [km], float64[n_time, 3].

    DE421 positions and the ITRS orientation of
    :class:`orbitcloud.orbits.bodies.BodyEphemeris` (its precession-nutation interpolated
    from a 6 h grid: 1.3e-9 rad from skyfield's ``itrs``, i.e. 0.2 km at 1 AU), so a grid of
    months costs a second rather than the full IAU 2000A series at every step."""
    from orbitcloud.orbits.bodies import BodyEphemeris

    t_s = np.asarray(t_s, dtype=np.float64)
    b = BodyEphemeris(epoch)
    rel = b.position_km("sun", t_s) - b.position_km("earth", t_s)
    return np.ascontiguousarray(np.einsum("nij,nj->ni", b.to_fixed("earth", t_s), rel))


#: Elements (satellite x time samples) per chunk of :func:`sunlit_mask`: its temporaries
#: stay cache-sized (a few MB) instead of scaling with the whole grid.
SUNLIT_CHUNK_ELEMENTS = 1 << 16


def sunlit_mask(r_ecef_km: F64, sun_ecef_km_: F64) -> NDArray[np.bool_]:
    """Sunlit (True) or eclipsed, bool[n_sat, n_time], for positions ``[n_sat, n_time, 3]`` and
    Sun vectors ``[n_time, 3]`` in the same frame (see the module docstring for the model).

    The closest approach of the segment r → S to the Earth's centre is at
    ``u* = clip(-r·d / d·d, 0, 1)`` with ``d = S - r``; eclipse when ``|r + u* d| < R``.
    Computed in time chunks of about :data:`SUNLIT_CHUNK_ELEMENTS` samples (memory-bound
    otherwise: a day of starlink-550 would build 1.3 GB temporaries).
    """
    n_sat, n_time = r_ecef_km.shape[:2]
    out = np.empty((n_sat, n_time), dtype=bool)
    step = max(1, SUNLIT_CHUNK_ELEMENTS // max(n_sat, 1))
    for a in range(0, n_time, step):
        r = r_ecef_km[:, a : a + step]
        d = sun_ecef_km_[None, a : a + step, :] - r
        rd = np.einsum("...i,...i->...", r, d)
        dd = np.einsum("...i,...i->...", d, d)
        u = np.clip(-rd / dd, 0.0, 1.0)
        # |r + u d|^2 = r·r + 2u r·d + u^2 d·d
        rr = np.einsum("...i,...i->...", r, r)
        closest2 = rr + 2.0 * u * rd + u * u * dd
        with np.errstate(invalid="ignore"):
            out[:, a : a + step] = ~(closest2 < EARTH_SHADOW_RADIUS_KM**2)
    return out
