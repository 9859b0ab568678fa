"""Atmospheric attenuation of Earth-space RF links by elevation, from the ITU-R models.

The long-term slant-path attenuation exceeded ``p`` % of the time at a station (ITU-R P.618-13
§2.5, eq. 64, as ``itur.atmospheric_attenuation_slant_path`` of the ``itur`` package 0.4
implements it):

    A(p) = A_gas + sqrt((A_rain(p) + A_cloud)^2 + A_scint(p)^2)  [dB]

with rain from P.618 §2.2.1.1 (rain rate P.837, rain height P.839, specific attenuation P.838),
gas from P.676 Annex 2 (surface water vapour P.836, temperature P.1510, pressure P.835), clouds
from P.840 and tropospheric scintillation from P.618 §2.4.1 (antenna diameter and efficiency);
gas and clouds at ``max(1, p)`` % as eq. 64 prescribes. Frequencies in itur are GHz, heights km,
elevations degrees; results dB.

itur evaluates P.676 element by element (a Python-level ``np.vectorize``, ~0.2 ms each), the
rest vectorised. So a station's attenuation is computed ONCE on an elevation grid
(:data:`ELEVATION_STEP_DEG` from :data:`MIN_ELEVATION_DEG` to 90°) and interpolated linearly:
the rain, cloud and scintillation terms by one vectorised itur call over all stations x grid
points, and the gas term from its zenith value, because P.676 Annex 2 §2.2 (for 5° <= el <= 90°)
is exactly ``A_gas(el) = A_gas(90°) / sin(el)`` (one P.676 evaluation per station, not per grid
point). The combination is eq. 64 above, as in itur. Interpolation error against itur called at
the same inputs, on the 0.25° grid (tests/test_weather.py checks < 0.05 dB): <= 0.03 dB
from 5° to 89.75° on 20 random sites at 19 GHz, 0.5 %; up to 0.23 dB in the last cell
(89.75–90°), where P.618's rain path geometry turns sharply.

This is the ``weather: statistical`` mode of an ACM link: the attenuation at the given
exceedance, the same at every pass. Weather that changes over time (``weather: time_series``,
a seeded ITU-R P.1853 rain process) is :mod:`orbitcloud.links.weather_process`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ELEVATION_STEP_DEG",
    "MIN_ELEVATION_DEG",
    "AttenuationTable",
    "attenuation_components_db",
    "attenuation_db",
    "attenuation_table",
]

F64 = NDArray[np.float64]

#: Lowest elevation of the tables [deg] (P.676 Annex 2 and P.618 scintillation hold from 5°).
MIN_ELEVATION_DEG = 5.0
#: Spacing of the elevation grid [deg].
ELEVATION_STEP_DEG = 0.25
#: ITU-R P.618 scintillation default antenna efficiency (itur's default, eta = 0.5).
ANTENNA_EFFICIENCY = 0.5


@dataclass(frozen=True)
class AttenuationTable:
    """Total attenuation [dB] of ``n`` links, ``a_db`` float64[n, n_el], on the common
    elevation grid ``el_deg`` float64[n_el] (:data:`MIN_ELEVATION_DEG` to 90°)."""

    el_deg: F64
    a_db: F64

    def at(self, row: NDArray[np.intp], el_deg: F64) -> F64:
        """Attenuation [dB] of link ``row[i]`` at elevation ``el_deg[i]`` (linear
        interpolation; elevations outside the grid take its end values), float64[m]."""
        el = np.asarray(el_deg, dtype=np.float64)
        x = (np.clip(el, self.el_deg[0], self.el_deg[-1]) - self.el_deg[0]) / ELEVATION_STEP_DEG
        k = np.minimum(x.astype(np.intp), self.el_deg.shape[0] - 2)
        f = x - k
        a0 = self.a_db[row, k]
        return a0 + f * (self.a_db[row, k + 1] - a0)


def _grid() -> F64:
    n = round((90.0 - MIN_ELEVATION_DEG) / ELEVATION_STEP_DEG) + 1
    return np.linspace(MIN_ELEVATION_DEG, 90.0, n)


def attenuation_components_db(
    lat_deg: F64,
    lon_deg: F64,
    alt_m: F64,
    frequency_hz: float,
    exceed_pct: float,
    antenna_diameter_m: float,
    el_deg: F64,
) -> tuple[F64, F64, F64, F64]:
    """The P.618 eq. 64 terms ``(gas, rain, cloud, scintillation)`` [dB], float64[m] each,
    of :func:`attenuation_db` (its arguments): rain, cloud and scintillation by itur
    vectorised, gas from its zenith value / sin(el) (P.676 Annex 2 §2.2)."""
    import itur  # heavy (loads the ITU-R maps): only when a station has an ACM link

    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    hs_km = np.maximum(np.asarray(alt_m, dtype=np.float64), 0.0) / 1000.0
    el = np.asarray(el_deg, dtype=np.float64)
    f_ghz = frequency_hz / 1e9
    with warnings.catch_warnings():
        # itur warns at the ends of its models' ranges; the schema keeps inputs inside them
        warnings.simplefilter("ignore", RuntimeWarning)
        _, a_c, a_r, a_s, _ = itur.atmospheric_attenuation_slant_path(
            lat, lon, f_ghz, el, exceed_pct, antenna_diameter_m, hs=hs_km,
            eta=ANTENNA_EFFICIENCY, return_contributions=True, include_gas=False,
        )  # fmt: skip
        sites, inverse = np.unique(np.stack([lat, lon, hs_km], axis=1), axis=0,
                                   return_inverse=True)  # fmt: skip
        a_g90 = itur.atmospheric_attenuation_slant_path(
            sites[:, 0], sites[:, 1], f_ghz, np.full(sites.shape[0], 90.0), exceed_pct,
            antenna_diameter_m, hs=sites[:, 2], eta=ANTENNA_EFFICIENCY, include_rain=False,
            include_clouds=False, include_scintillation=False,
        )  # fmt: skip
    a_gas = np.asarray(a_g90.value, dtype=np.float64).reshape(-1)[inverse.reshape(-1)]
    a_gas = a_gas / np.sin(np.radians(el))
    ar, ac, as_ = (np.asarray(x.value, dtype=np.float64).reshape(el.shape) for x in (a_r, a_c, a_s))
    return np.asarray(a_gas, dtype=np.float64), ar, ac, as_


def attenuation_db(
    lat_deg: F64,
    lon_deg: F64,
    alt_m: F64,
    frequency_hz: float,
    exceed_pct: float,
    antenna_diameter_m: float,
    el_deg: F64,
) -> F64:
    """P.618 eq. 64 total attenuation [dB] at sites ``[m]`` (lat, lon, altitude) and
    elevations ``el_deg[m]`` (>= 5°), exceeded ``exceed_pct`` % of the time (0.001–5), for one
    frequency and antenna: rain, cloud and scintillation by itur vectorised, gas from its
    zenith value / sin(el) (P.676 Annex 2 §2.2). Heights below sea level are taken as 0 km
    (the ITU-R height models start there)."""
    a_gas, ar, ac, as_ = attenuation_components_db(
        lat_deg, lon_deg, alt_m, frequency_hz, exceed_pct, antenna_diameter_m, el_deg
    )
    return np.asarray(a_gas + np.sqrt((ar + ac) ** 2 + as_**2), dtype=np.float64)


def attenuation_table(
    lat_deg: F64,
    lon_deg: F64,
    alt_m: F64,
    frequency_hz: F64,
    exceed_pct: F64,
    antenna_diameter_m: F64,
) -> AttenuationTable:
    """The :class:`AttenuationTable` of ``n`` links (arrays ``[n]``: station site, frequency,
    exceedance, antenna diameter): one :func:`attenuation_db` call per distinct
    (frequency, exceedance, diameter), vectorised over its stations x the elevation grid."""
    el = _grid()
    n = np.asarray(lat_deg).shape[0]
    out = np.empty((n, el.shape[0]))
    keys = np.stack([frequency_hz, exceed_pct, antenna_diameter_m], axis=1).astype(np.float64)
    if n == 0:
        return AttenuationTable(el, out)
    groups, which = np.unique(keys, axis=0, return_inverse=True)
    which = which.reshape(-1)
    for k, (f_hz, p, d_m) in enumerate(groups.tolist()):
        rows = np.flatnonzero(which == k)
        a = attenuation_db(
            np.repeat(np.asarray(lat_deg, dtype=np.float64)[rows], el.shape[0]),
            np.repeat(np.asarray(lon_deg, dtype=np.float64)[rows], el.shape[0]),
            np.repeat(np.asarray(alt_m, dtype=np.float64)[rows], el.shape[0]),
            f_hz, p, d_m, np.tile(el, rows.shape[0]),
        )  # fmt: skip
        out[rows] = a.reshape(rows.shape[0], el.shape[0])
    return AttenuationTable(el, out)
