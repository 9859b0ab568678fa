"""Adaptive coding and modulation (ACM) ground links: DVB-S2X MODCOD selection from an RF
budget with ITU-R attenuation, vectorised over (contact, sample) pairs.

Budget (per direction, all dB; a standard satellite link budget, e.g. Maral & Bousquet,
*Satellite Communications Systems*, 5th ed., §5.5):

    Es/N0 = EIRP + G/T − FSPL(d, f) − A(el) − losses − 10 log10 k − 10 log10 Rs

with FSPL ``20 log10(4π d f / c)`` (Friis 1946, :func:`orbitcloud.links.budget.free_space_loss_db`),
``A`` the P.618 attenuation at the elevation (:mod:`orbitcloud.links.weather`), ``k`` the exact
SI Boltzmann constant and ``Rs`` the symbol rate (the matched-filter noise bandwidth). The link
uses the most efficient MODCOD whose required Es/N0 plus ``margin_db`` it meets; rate
``Rs × efficiency`` [bit/s]; below the lowest MODCOD, no link (rate 0).

MODCODs: ETSI EN 302 307-2 V1.1.1 (2014-10), *DVB-S2 Part 2: DVB-S2 Extensions (DVB-S2X)*,
Table 20a (normal FECFRAME, AWGN linear channel, ideal Es/N0 at quasi-error-free PER 1e-5, and
the spectral efficiency [bit/symbol] with pilots off), the DVB-S2X MODCODs without VL-SNR.

Band centres (space-to-Earth, Earth-to-space), the satellite-service allocations of the ITU
Radio Regulations Article 5: Ku 10.7–12.75 / 13.75–14.5 GHz (FSS), Ka 17.7–20.2 / 27.5–30 GHz
(FSS), X 8.025–8.4 GHz (EESS downlink) / 7.9–8.4 GHz (uplink).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from orbitcloud.links.budget import BOLTZMANN_DBW_PER_HZ_K, free_space_loss_db
from orbitcloud.links.jamming import JN_FLOOR_DB, JammerSet, combine_esn0_db
from orbitcloud.links.weather import AttenuationTable, attenuation_table
from orbitcloud.links.weather_process import (
    TimeSeriesTable,
    WeatherSeries,
    rain_series,
    time_series_table,
)
from orbitcloud.orbits.frames import geodetic_to_ecef
from orbitcloud.scenario.models import GroundStation
from orbitcloud.scenario.rates import AcmBudget, AcmLink, AcmUplink
from orbitcloud.scenario.threats import Jamming
from orbitcloud.scenario.users import User

__all__ = [
    "ACM_BAND_HZ",
    "DVBS2X_MODCODS",
    "AcmRates",
    "acm_rates",
    "esn0_db",
    "modcod_index",
    "modcod_rate_bps",
]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]

#: (downlink, uplink) centre frequency [Hz] per band (module docstring).
ACM_BAND_HZ: dict[str, tuple[float, float]] = {
    "Ku": (11.725e9, 14.125e9),
    "Ka": (18.95e9, 28.75e9),
    "X": (8.2125e9, 8.15e9),
}

#: EN 302 307-2 V1.1.1 Table 20a: (MODCOD, spectral efficiency [bit/symbol], ideal Es/N0 [dB]).
DVBS2X_MODCODS: tuple[tuple[str, float, float], ...] = (
    ("QPSK 13/45", 0.567805, -2.03),
    ("QPSK 9/20", 0.889135, 0.22),
    ("QPSK 11/20", 1.088581, 1.45),
    ("8APSK 5/9-L", 1.647211, 4.73),
    ("8APSK 26/45-L", 1.713601, 5.13),
    ("8PSK 23/36", 1.896173, 6.12),
    ("8PSK 25/36", 2.062148, 7.02),
    ("8PSK 13/18", 2.145136, 7.49),
    ("16APSK 1/2-L", 1.972253, 5.97),
    ("16APSK 8/15-L", 2.104850, 6.55),
    ("16APSK 5/9-L", 2.193247, 6.84),
    ("16APSK 26/45", 2.281645, 7.51),
    ("16APSK 3/5", 2.370043, 7.80),
    ("16APSK 3/5-L", 2.370043, 7.41),
    ("16APSK 28/45", 2.458441, 8.10),
    ("16APSK 23/36", 2.524739, 8.38),
    ("16APSK 2/3-L", 2.635236, 8.43),
    ("16APSK 25/36", 2.745734, 9.27),
    ("16APSK 13/18", 2.856231, 9.71),
    ("16APSK 7/9", 3.077225, 10.65),
    ("16APSK 77/90", 3.386618, 11.99),
    ("32APSK 2/3-L", 3.289502, 11.10),
    ("32APSK 32/45", 3.510192, 11.75),
    ("32APSK 11/15", 3.620536, 12.17),
    ("32APSK 7/9", 3.841226, 13.05),
    ("64APSK 32/45-L", 4.206428, 13.98),
    ("64APSK 11/15", 4.338659, 14.81),
    ("64APSK 7/9", 4.603122, 15.47),
    ("64APSK 4/5", 4.735354, 15.87),
    ("64APSK 5/6", 4.933701, 16.55),
    ("128APSK 3/4", 5.163248, 17.73),
    ("128APSK 7/9", 5.355556, 18.53),
    ("256APSK 29/45-L", 5.065690, 16.98),
    ("256APSK 2/3-L", 5.241514, 17.24),
    ("256APSK 31/45-L", 5.417338, 18.10),
    ("256APSK 32/45", 5.593162, 18.59),
    ("256APSK 11/15-L", 5.768987, 18.84),
    ("256APSK 3/4", 5.900855, 19.57),
)

# selection on the sorted thresholds: the best efficiency reachable at each threshold
_THR = np.array([m[2] for m in DVBS2X_MODCODS])
_ORDER = np.argsort(_THR, kind="stable")
_THR_SORTED = _THR[_ORDER]
_EFF = np.array([m[1] for m in DVBS2X_MODCODS])
_BEST_AT = np.maximum.accumulate(_EFF[_ORDER])
# the table row of that best efficiency (first row reaching the running maximum)
_BEST_ROW = _ORDER[
    np.array([int(np.argmax(_EFF[_ORDER][: k + 1])) for k in range(_ORDER.shape[0])])
]


def modcod_index(esn0_db: F64, margin_db: F64 | float = 0.0) -> IDX:
    """Row of :data:`DVBS2X_MODCODS` with the highest spectral efficiency whose Es/N0
    threshold + ``margin_db`` is at most ``esn0_db`` (any shape, broadcast); -1: none."""
    x = np.asarray(esn0_db, dtype=np.float64) - np.asarray(margin_db, dtype=np.float64)
    k = np.searchsorted(_THR_SORTED, x, side="right") - 1
    ok = (k >= 0) & np.isfinite(x)
    return np.where(ok, _BEST_ROW[np.maximum(k, 0)], -1).astype(np.intp)


def modcod_rate_bps(esn0_db: F64, symbol_rate_baud: F64 | float, margin_db: F64 | float) -> F64:
    """``Rs × efficiency`` [bit/s] of the MODCOD :func:`modcod_index` picks; 0 without one."""
    k = modcod_index(esn0_db, margin_db)
    eff = np.where(k >= 0, _EFF[np.maximum(k, 0)], 0.0)
    return np.asarray(eff * np.asarray(symbol_rate_baud, dtype=np.float64), dtype=np.float64)


def esn0_db(
    eirp_dbw: F64 | float,
    g_t_db_per_k: F64 | float,
    range_km: F64,
    frequency_hz: F64 | float,
    attenuation_db: F64 | float,
    losses_db: F64 | float,
    symbol_rate_baud: F64 | float,
) -> F64:
    """Es/N0 [dB] of the budget in the module docstring, broadcast over its arguments."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    d = np.maximum(np.asarray(range_km, dtype=np.float64), 1e-3)
    fspl = free_space_loss_db(d, 1.0) + 20.0 * np.log10(f)  # Friis, any f shape
    return np.asarray(
        eirp_dbw + g_t_db_per_k - fspl - attenuation_db - losses_db - BOLTZMANN_DBW_PER_HZ_K
        - 10.0 * np.log10(symbol_rate_baud),
        dtype=np.float64,
    )  # fmt: skip


def frequency_hz(budget: AcmBudget, uplink: bool) -> float:
    """The carrier of ``budget``: ``frequency_hz``, else its band's down- or uplink centre."""
    if budget.frequency_hz is not None:
        return budget.frequency_hz
    return ACM_BAND_HZ[budget.band][1 if uplink else 0]


@dataclass(frozen=True)
class AcmRates:
    """The ACM budgets of a scenario's stations, as arrays over budgets ``[n_budget]`` (a
    station's downlink and, if ACM, its uplink), with their attenuation tables.

    ``down_row``/``up_row``: int[n_gs], the budget of each station's downlink/uplink (-1:
    fixed rate). ``station``: int[n_budget], whose budget; ``uplink``: bool[n_budget], its
    direction; ``rx_diameter_m`` (the station dish of a downlink) and ``rx_beamwidth_deg``
    (the satellite's receive beam of an uplink), NaN where not the receiver or not given;
    ``site_ecef_km`` float64[n_gs, 3] and ``site_height_km`` [n_gs]: the stations;
    ``jammers``: the scenario's ``jamming`` threats (:mod:`orbitcloud.links.jamming`), None
    without any. ``ts``: the budgets of stations with ``weather: time_series``
    (:mod:`orbitcloud.links.weather_process`): their P.618 terms and rain map by elevation,
    None without any; ``rain``: those stations' rain Gaussian state over the run, one row
    per station (``rain_row`` int[n_gs], -1: statistical weather)."""

    down_row: IDX
    up_row: IDX
    eirp_dbw: F64
    g_t_db_per_k: F64
    frequency_hz: F64
    losses_db: F64
    margin_db: F64
    symbol_rate_baud: F64
    table: AttenuationTable
    station: IDX
    uplink: NDArray[np.bool_]
    rx_diameter_m: F64
    rx_beamwidth_deg: F64
    site_ecef_km: F64
    site_height_km: F64
    jammers: JammerSet | None = None
    ts: TimeSeriesTable | None = None
    rain: WeatherSeries | None = None
    rain_row: IDX | None = None

    @classmethod
    def from_stations(
        cls,
        stations: list[GroundStation],
        jammers: tuple[Jamming, ...] = (),
        seed: int = 0,
        duration_s: float = 0.0,
        users: tuple[User, ...] = (),
    ) -> AcmRates:
        """One attenuation table per budget, computed here (itur, vectorised); with
        ``weather: time_series`` stations, their rain processes over ``[0, duration_s]``
        seeded from ``seed``."""
        budgets: list[tuple[int, AcmBudget, bool]] = []
        down = np.full(len(stations), -1, dtype=np.intp)
        up = np.full(len(stations), -1, dtype=np.intp)
        for g, st in enumerate(stations):
            if not isinstance(st.link, AcmLink):
                continue
            down[g] = len(budgets)
            budgets.append((g, st.link, False))
            if isinstance(st.link.uplink, AcmUplink):
                up[g] = len(budgets)
                budgets.append((g, st.link.uplink, True))

        def col(fn: object) -> F64:
            return np.array([fn(b) for b in budgets], dtype=np.float64)  # type: ignore[operator]

        freq = col(lambda b: frequency_hz(b[1], b[2]))
        table = attenuation_table(
            col(lambda b: stations[b[0]].lat_deg),
            col(lambda b: stations[b[0]].lon_deg),
            col(lambda b: stations[b[0]].alt_m),
            freq,
            col(lambda b: 100.0 - b[1].availability_pct),
            col(lambda b: b[1].antenna_diameter_m),
        )
        site = geodetic_to_ecef(
            np.array([g.lat_deg for g in stations], dtype=np.float64),
            np.array([g.lon_deg for g in stations], dtype=np.float64),
            np.array([g.alt_m for g in stations], dtype=np.float64) / 1000.0,
        ).reshape(-1, 3)
        beam = col(lambda b: getattr(b[1], "satellite_beamwidth_deg", None) or np.nan)
        js = (
            JammerSet.of(jammers, [g.name for g in stations], site, ACM_BAND_HZ, users)
            if jammers else None
        )  # fmt: skip
        ts_st = [g for g, st in enumerate(stations)
                 if isinstance(st.link, AcmLink) and st.link.weather == "time_series"]  # fmt: skip
        ts = rain = rain_row = None
        if ts_st:
            is_ts = np.array([b[0] in ts_st for b in budgets], dtype=bool)
            ts = time_series_table(
                is_ts, col(lambda b: stations[b[0]].lat_deg),
                col(lambda b: stations[b[0]].lon_deg), col(lambda b: stations[b[0]].alt_m),
                freq, col(lambda b: 100.0 - b[1].availability_pct),
                col(lambda b: b[1].antenna_diameter_m),
            )  # fmt: skip
            rain_row = np.full(len(stations), -1, dtype=np.intp)
            rain_row[ts_st] = np.arange(len(ts_st))
            rain = rain_series(seed, [stations[g].name for g in ts_st], duration_s)
        return cls(
            down, up, col(lambda b: b[1].eirp_dbw), col(lambda b: b[1].g_t_db_per_k), freq,
            col(lambda b: b[1].losses_db), col(lambda b: b[1].margin_db),
            col(lambda b: b[1].symbol_rate_baud), table,
            np.array([b[0] for b in budgets], dtype=np.intp),
            np.array([b[2] for b in budgets], dtype=bool),
            np.where([b[2] for b in budgets], np.nan, col(lambda b: b[1].antenna_diameter_m)),
            np.where([b[2] for b in budgets], beam, np.nan),
            site, np.array([g.alt_m for g in stations], dtype=np.float64) / 1000.0, js,
            ts, rain, rain_row,
        )  # fmt: skip

    @property
    def any(self) -> bool:
        return bool((self.down_row >= 0).any() or (self.up_row >= 0).any())

    def rain_x_at(self, row: IDX, t_s: F64) -> F64:
        """The rain Gaussian state of budget ``row[i]``'s station at ``t_s[i]`` [s],
        float64[m] (0 for statistical weather: unused)."""
        return self._rain_x(row, np.asarray(t_s, dtype=np.float64), None)

    def rain_x_max(self, row: IDX, start_s: F64, end_s: F64) -> F64:
        """The largest rain state of budget ``row[i]``'s station over
        ``[start_s[i], end_s[i]]`` (:meth:`WeatherSeries.max_over`), float64[m]."""
        return self._rain_x(row, np.asarray(start_s, dtype=np.float64),
                            np.asarray(end_s, dtype=np.float64))  # fmt: skip

    def _rain_x(self, row: IDX, t0: F64, t1: F64 | None) -> F64:
        row = np.asarray(row, dtype=np.intp)
        out = np.zeros(row.shape[0])
        if self.rain is None or self.rain_row is None:
            return out
        r = self.rain_row[self.station[row]]
        sel = np.flatnonzero(r >= 0)
        if sel.size:
            out[sel] = (self.rain.at(r[sel], t0[sel]) if t1 is None
                        else self.rain.max_over(r[sel], t0[sel], t1[sel]))  # fmt: skip
        return out

    def attenuation_db(self, row: IDX, el_deg: F64, rain_x: F64 | None = None) -> F64:
        """Attenuation [dB] of budget ``row[i]`` at ``el_deg[i]``: the statistical table,
        or, for ``weather: time_series`` budgets with the rain state ``rain_x[i]`` given,
        P.618 eq. 64 with the process's rain (:class:`TimeSeriesTable`), float64[m]."""
        row = np.asarray(row, dtype=np.intp)
        a = self.table.at(row, el_deg)
        if rain_x is None or self.ts is None:
            return a
        sel = np.flatnonzero(self.ts.is_ts[row])
        if sel.size:
            a[sel] = self.ts.at(row[sel], np.asarray(el_deg)[sel], np.asarray(rain_x)[sel])
        return a

    def esn0_db(self, row: IDX, el_deg: F64, range_km: F64, rain_x: F64 | None = None) -> F64:
        """Es/N0 [dB] of budget ``row[i]`` at elevation ``el_deg[i]`` and range
        ``range_km[i]``, float64[m] (no jamming); ``rain_x``: the rain state
        (:meth:`attenuation_db`)."""
        row = np.asarray(row, dtype=np.intp)
        a = self.attenuation_db(row, el_deg, rain_x)
        return esn0_db(self.eirp_dbw[row], self.g_t_db_per_k[row], range_km,
                       self.frequency_hz[row], a, self.losses_db[row],
                       self.symbol_rate_baud[row])  # fmt: skip

    def js_db(
        self,
        k: int,
        row: IDX,
        el_deg: F64,
        range_km: F64,
        r_sat_km: F64,
        rain_x: F64 | None = None,
        t_s: F64 | None = None,
    ) -> tuple[F64, F64]:
        """``(J/S, Es/N0)`` [dB] of jammer ``k`` on budget ``row[i]`` with the satellite at
        ``r_sat_km[i]`` (ECEF, [m, 3]), float64[m] each; J/S ``-inf`` where it does not
        reach, or its J/N0 is below :data:`~orbitcloud.links.jamming.JN_FLOOR_DB`.
        ``rain_x``: the time-series rain state (:meth:`attenuation_db`), which attenuates the
        signal and so raises J/S (the contact pieces' reach test, in
        :func:`orbitcloud.links.contacts.ground_pieces`, uses the statistical one).
        ``t_s`` [m]: the sample times (where a moving jammer is; None: at switch-on)."""
        assert self.jammers is not None
        row = np.asarray(row, dtype=np.intp)
        es = self.esn0_db(row, el_deg, range_km, rain_x)
        a_db = self.attenuation_db(row, el_deg, rain_x)  # the signal's, rain included
        m = row.shape[0]
        out = np.full(m, -np.inf)
        for up in (False, True):
            sel = np.flatnonzero(self.uplink[row] == up)
            if sel.size == 0:
                continue
            r, g = row[sel], self.station[row[sel]]
            out[sel] = self.jammers.js_db(
                k, up, self.site_ecef_km[g], self.site_height_km[g], r_sat_km[sel],
                self.frequency_hz[r], self.symbol_rate_baud[r], self.eirp_dbw[r],
                a_db[sel], self.losses_db[r], self.rx_diameter_m[r],
                self.rx_beamwidth_deg[r], None if t_s is None else np.asarray(t_s)[sel],
            )  # fmt: skip
        out[out + es < JN_FLOOR_DB] = -np.inf
        return out, es

    def rate_bps(
        self,
        row: IDX,
        el_deg: F64,
        range_km: F64,
        r_sat_km: F64 | None = None,
        active: NDArray[np.bool_] | None = None,
        t_s: F64 | float | None = None,
        rain_x: F64 | None = None,
    ) -> F64:
        """Rate [bit/s] of budget ``row[i]`` at elevation ``el_deg[i]`` and range
        ``range_km[i]`` (0: no MODCOD closes), float64[m]. With the satellites' ECEF
        positions ``r_sat_km`` [m, 3] and ``active`` bool[m, n_jammer] (which jammers
        transmit at each sample), the budget is ``Es/(N0 + J0)`` with every active jammer's
        J/S summed (:mod:`orbitcloud.links.jamming`), a moving jammer where it is at ``t_s``.
        Time-series weather: the rain state ``rain_x[i]``, else the process at ``t_s``
        (scalar or [m]); neither: statistical."""
        row = np.asarray(row, dtype=np.intp)
        if rain_x is None and t_s is not None and self.rain is not None:
            rain_x = self.rain_x_at(row, np.broadcast_to(np.asarray(t_s, dtype=np.float64),
                                                         row.shape))  # fmt: skip
        es = self.esn0_db(row, el_deg, range_km, rain_x)
        if self.jammers is not None and r_sat_km is not None and active is not None:
            j_lin = np.zeros(row.shape[0])
            t_all = None
            if t_s is not None:
                t_all = np.broadcast_to(np.asarray(t_s, dtype=np.float64), row.shape)
            for k in np.flatnonzero(active.any(axis=0)).tolist():
                on = np.flatnonzero(active[:, k])
                x_on = None if rain_x is None else rain_x[on]
                t_on = None if t_all is None else t_all[on]
                js, _ = self.js_db(k, row[on], el_deg[on], range_km[on], r_sat_km[on], x_on,
                                   t_on)  # fmt: skip
                j_lin[on] += 10.0 ** (js / 10.0)
            hit = j_lin > 0
            es = np.where(hit, combine_esn0_db(es, 10.0 * np.log10(np.where(hit, j_lin, 1.0))), es)
        return modcod_rate_bps(es, self.symbol_rate_baud[row], self.margin_db[row])


def acm_rates(
    stations: tuple[GroundStation, ...],
    jammers: tuple[Jamming, ...] = (),
    seed: int = 0,
    duration_s: float = 0.0,
    users: tuple[User, ...] = (),
) -> AcmRates | None:
    """:func:`_acm_rates` with only the users some jammer points at, as JSON (users hold
    lists: not hashable for the cache)."""
    aimed = {j.pointing for j in jammers}
    key = tuple(u.model_dump_json() for u in users if u.name in aimed)
    try:
        hash((stations, jammers))
    except TypeError:  # a jammer on a csv track (a list of points): not cached
        return _acm_rates.__wrapped__(stations, jammers, seed, duration_s, key)
    return _acm_rates(stations, jammers, seed, duration_s, key)


@lru_cache(maxsize=8)
def _acm_rates(
    stations: tuple[GroundStation, ...],
    jammers: tuple[Jamming, ...],
    seed: int,
    duration_s: float,
    users_json: tuple[str, ...],
) -> AcmRates | None:
    """:meth:`AcmRates.from_stations` of ``stations`` (and the ``jamming`` threats
    ``jammers``, aimed at stations or at ``users``; ``seed`` and ``duration_s`` for
    time-series weather), None if none has an
    ACM link; cached (the contact plan and the snapshot network of one run share the itur
    work)."""
    if not any(isinstance(g.link, AcmLink) for g in stations):
        return None
    users = tuple(User.model_validate_json(u) for u in users_json)
    return AcmRates.from_stations(list(stations), jammers, seed, duration_s, users)
