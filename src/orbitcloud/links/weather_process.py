"""Weather over time at ground stations: seeded ITU-R P.1853 time series of rain attenuation
and of cloud presence, vectorised over stations x time.

Rain (ITU-R P.1853-2 (08/2019), Annex 1, Earth-space rain attenuation time series, Steps
B–D; itur 0.4's ``itur.models.itu1853.rain_attenuation_synthesis`` implements P.1853-1, the
same steps): a Gaussian process ``X`` of zero mean, unit variance and autocorrelation
``exp(-β τ)``, ``β`` = :data:`RAIN_BETA_PER_S` = 2e-4 s^-1, sampled every ``Ts``
(``X_k = ρ X_{k-1} + sqrt(1 − ρ²) n_k``, ``ρ = exp(−β Ts)``, ``n_k`` white N(0, 1)).
Instead of discarding the first 200 000 samples (Step D6), the filter starts from a draw of
its stationary law (``X_0`` ~ N(0, 1)): the same process, stationary from its first sample.

The attenuation is ``X`` mapped through the P.618-13 distribution itself: ``A = A_618(p)``
at ``X = Q^-1(p / 100)`` (``Q`` the Gaussian complementary CDF), tabulated at the
exceedances ``P_i`` of :data:`RAIN_P_PCT` below ``P_rain`` (the probability of rain, ITU-R
P.837-7 ``P0``) and 0 at and above it, interpolated between them. So the synthesized
attenuation is exceeded exactly ``P_i`` % of the time at each ``A_618(P_i)``, in the long
run. P.1853's Step A instead fits a log-normal ``exp(m + σ X)`` to those points and
subtracts ``A_offset = exp(m + σ Q^-1(P_rain/100))`` (Steps A3–D5); measured over 1,000
years at four sites (Fucino, Singapore, Delft, Sydney; 12–28 GHz; 20° and 60°) that
shifts the 1 % attenuation by −16 to −29 % and the 0.1 % one by −5 to −27 % from
P.618's: the direct map keeps the P.618 figures (what the statistical mode uses) and
P.1853's dynamics.

One Gaussian state ``X`` per station drives both directions of its link (one rain, two
frequencies, each through its own fit) at every elevation: along a pass the elevation
changes, so the attenuation at time ``t`` and elevation ``el`` is ``X(t)`` mapped through
the P.618 distribution at ``el``. The map rises with ``X``: the largest ``X`` over an
interval gives its largest rain attenuation at every elevation.

Cloud presence (for optical links), P.1853-2 Annex 1, cloud liquid water content time
series: a Gaussian process ``G_c = γ1 X1 + γ2 X2`` of two such filters (``β1`` = 7.17e-4,
``β2`` = 2.01e-5 s^-1, ``γ1`` = 0.349, ``γ2`` = 0.830) driven by the SAME white noise, and
liquid water (a cloud) wherever ``G_c > α``, ``P_clw`` the probability of cloud liquid water
at the site from ITU-R P.840-8's log-normal maps (``itur.models.itu840.
lognormal_approximation_coefficient``). P.1853 takes ``α = Q^-1(P_clw)``; here ``α`` is
``s Q^-1(P_clw)`` with ``s`` the exact standard deviation of the sampled ``G_c`` (0.9997
at ``Ts`` = 10 s; P.1853's gammas make it 1 only in the limit), so the long-run cloud
fraction is exactly ``P_clw``. The filters start from their joint stationary law.

The processes live on a grid of :data:`WEATHER_STEP_S` from ``t = 0``, linear between
samples. Every station draws its own stream ``seeded_rng(seed, "weather/rain/<name>")`` /
``".../cloud/<name>"`` (:mod:`orbitcloud.seeding`): adding a station changes no other's
weather. Different stations' processes are independent: P.1853-2 Annex 2 (multi-site
synthesis) correlates them with a correlation that falls with distance (for rain the
P.618-13 §2.2.4.1 ``ρ = 0.7 exp(−d/60) + 0.3 exp(−(d/700)²)``, ``d`` km), which this
module does NOT model; independent sites are right for sites some hundreds of km apart,
and optimistic (too much diversity gain) for closer ones.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter
from scipy.special import ndtri

from orbitcloud.seeding import seeded_rng

__all__ = [
    "CLOUD_BETA_PER_S",
    "CLOUD_GAMMA",
    "RAIN_BETA_PER_S",
    "RAIN_P_PCT",
    "WEATHER_STEP_S",
    "RainMap",
    "TimeSeriesTable",
    "WeatherSeries",
    "cloud_gaussian",
    "cloud_probability_pct",
    "cloud_series",
    "gaussian_ar1",
    "rain_map",
    "rain_probability_pct",
    "rain_series",
    "time_series_table",
]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]

#: Sampling step of the weather processes [s].
WEATHER_STEP_S = 10.0
#: P.1853 rain attenuation low-pass parameter β [1/s].
RAIN_BETA_PER_S = 2e-4
#: P.1853 cloud liquid water low-pass parameters (β1, β2) [1/s] and weights (γ1, γ2).
CLOUD_BETA_PER_S = (7.17e-4, 2.01e-5)
CLOUD_GAMMA = (0.349, 0.830)
#: Exceedance probabilities [%] of the rain map (P.1853's Step A2 set and P.618's 0.001 %
#: to 0.005 %), descending.
RAIN_P_PCT = (10.0, 5.0, 3.0, 2.0, 1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.005,
              0.002, 0.001)  # fmt: skip


def _qinv(p: F64 | float) -> F64:
    """Inverse Gaussian complementary CDF ``Q^-1(p)``."""
    return np.asarray(-ndtri(np.asarray(p, dtype=np.float64)), dtype=np.float64)


_P_I = np.array(RAIN_P_PCT)
_Q_I = _qinv(_P_I / 100.0)  # ascending


def gaussian_ar1(
    rngs: list[np.random.Generator], n_time: int, beta_per_s: float, step_s: float
) -> F64:
    """Unit Gaussian processes with autocorrelation ``exp(-β τ)``, float64[n, n_time]
    (one row per generator, its own draws): P.1853 Step D's first-order recursive filter,
    started from its stationary law."""
    rho = math.exp(-beta_per_s * step_s)
    n = len(rngs)
    noise = np.empty((n, n_time))
    for i, rng in enumerate(rngs):  # draws only: the filter runs over all rows at once
        noise[i] = rng.standard_normal(n_time)
    if n == 0:
        return noise
    x = np.empty((n, n_time))
    x[:, 0] = noise[:, 0]  # X_0 ~ N(0, 1), the stationary law
    # X_k = rho X_{k-1} + sqrt(1 - rho^2) n_k, from X_0 (lfilter's state zi = rho X_0)
    x[:, 1:], _ = lfilter([math.sqrt(1.0 - rho**2)], [1.0, -rho], noise[:, 1:], axis=1,
                          zi=rho * x[:, :1])  # fmt: skip
    return x


def cloud_gaussian(rngs: list[np.random.Generator], n_time: int, step_s: float) -> F64:
    """P.1853's cloud Gaussian process ``G_c = γ1 X1 + γ2 X2`` (module docstring), scaled
    to unit variance, float64[n, n_time]; both filters share each row's white noise and start
    from their joint stationary law."""
    (b1, b2), (g1, g2) = CLOUD_BETA_PER_S, CLOUD_GAMMA
    r1, r2 = math.exp(-b1 * step_s), math.exp(-b2 * step_s)
    s1, s2 = math.sqrt(1 - r1**2), math.sqrt(1 - r2**2)
    c = s1 * s2 / (1 - r1 * r2)  # stationary cov(X1, X2) of the two filters, same noise
    sd = math.sqrt(g1**2 + g2**2 + 2 * g1 * g2 * c)
    n = len(rngs)
    noise = np.empty((n, n_time))
    z = np.empty((n, 2))
    for i, rng in enumerate(rngs):
        z[i] = rng.standard_normal(2)
        noise[i] = rng.standard_normal(n_time)
    if n == 0:
        return noise
    x1_0 = z[:, :1]
    x2_0 = c * z[:, :1] + math.sqrt(1 - c**2) * z[:, 1:]
    # state before sample 0 (x_{-1}) is not needed: start the recursion at sample 1 from x_0
    x1, _ = lfilter([s1], [1.0, -r1], noise[:, 1:], axis=1, zi=r1 * x1_0)
    x2, _ = lfilter([s2], [1.0, -r2], noise[:, 1:], axis=1, zi=r2 * x2_0)
    g = np.empty((n, n_time))
    g[:, 0] = (g1 * x1_0 + g2 * x2_0)[:, 0]
    g[:, 1:] = g1 * x1 + g2 * x2
    return np.asarray(g / sd, dtype=np.float64)


@dataclass(frozen=True)
class WeatherSeries:
    """Processes ``x`` float64[n, n_time] sampled every ``step_s`` from ``t = 0``, linear
    between samples (the last value holds after the grid)."""

    step_s: float
    x: F64

    def at(self, row: IDX, t_s: F64) -> F64:
        """``x`` of process ``row[i]`` at ``t_s[i]`` [s], float64[m]."""
        n_t = self.x.shape[1]
        u = np.clip(np.asarray(t_s, dtype=np.float64) / self.step_s, 0.0, n_t - 1.0)
        k = np.minimum(u.astype(np.intp), max(n_t - 2, 0))
        f = u - k
        x0 = self.x[row, k]
        x1 = self.x[row, np.minimum(k + 1, n_t - 1)]
        return np.asarray(x0 + f * (x1 - x0), dtype=np.float64)

    def max_over(self, row: IDX, start_s: F64, end_s: F64) -> F64:
        """Largest ``x`` of process ``row[i]`` over ``[start_s[i], end_s[i]]``,
        float64[m]: the larger end value and every grid sample inside (exact for the
        piecewise-linear process), vectorised with one ``maximum.reduceat``."""
        row = np.asarray(row, dtype=np.intp)
        ends = np.maximum(self.at(row, start_s), self.at(row, end_s))
        if row.size == 0:
            return ends
        n_t = self.x.shape[1]
        k0 = np.clip(np.ceil(np.asarray(start_s) / self.step_s - 1e-9), 0, n_t).astype(np.intp)
        k1 = np.clip(np.floor(np.asarray(end_s) / self.step_s + 1e-9) + 1, 0, n_t)
        k1 = np.maximum(k1.astype(np.intp), k0)
        flat = np.append(self.x.ravel(), -np.inf)
        idx = np.empty(2 * row.size, dtype=np.intp)
        idx[0::2] = row * n_t + k0
        idx[1::2] = row * n_t + k1
        inner = np.maximum.reduceat(flat, idx)[0::2]
        inner = np.where(k1 > k0, inner, -np.inf)
        return np.asarray(np.maximum(ends, inner), dtype=np.float64)

    def above(self, row: int, threshold: float) -> tuple[F64, F64]:
        """The intervals ``(start_s, end_s)`` where process ``row`` exceeds ``threshold``,
        edges where the linear interpolant crosses it; an interval open at an end of the
        grid starts at 0 / ends at the grid's last time."""
        x = self.x[row]
        on = x > threshold
        if not on.any():
            e = np.empty(0)
            return e, e.copy()
        d = np.diff(on.astype(np.int8))
        up = np.flatnonzero(d == 1)  # crossing between samples k and k+1
        down = np.flatnonzero(d == -1)

        def cross(k: IDX) -> F64:
            a, b = x[k], x[k + 1]
            return np.asarray((k + (threshold - a) / (b - a)) * self.step_s, dtype=np.float64)

        start = cross(up)
        end = cross(down)
        if on[0]:
            start = np.concatenate([[0.0], start])
        if on[-1]:
            end = np.concatenate([end, [(x.shape[0] - 1) * self.step_s]])
        return start, end


def _n_time(duration_s: float, step_s: float) -> int:
    return max(2, math.ceil(duration_s / step_s - 1e-9) + 1)


def rain_series(
    seed: int, names: list[str], duration_s: float, step_s: float = WEATHER_STEP_S
) -> WeatherSeries:
    """The rain Gaussian state ``X`` of stations ``names`` over ``[0, duration_s]``
    (P.1853 Steps B–D, module docstring), one seeded stream per name."""
    rngs = [seeded_rng(seed, f"weather/rain/{n}") for n in names]
    return WeatherSeries(step_s, gaussian_ar1(rngs, _n_time(duration_s, step_s),
                                              RAIN_BETA_PER_S, step_s))  # fmt: skip


def cloud_series(
    seed: int, names: list[str], duration_s: float, step_s: float = WEATHER_STEP_S
) -> WeatherSeries:
    """The unit-variance cloud Gaussian process ``G_c`` of stations ``names`` over
    ``[0, duration_s]`` (module docstring), one seeded stream per name; cloudy where
    ``G_c > Q^-1(P_clw / 100)``."""
    rngs = [seeded_rng(seed, f"weather/cloud/{n}") for n in names]
    return WeatherSeries(step_s, cloud_gaussian(rngs, _n_time(duration_s, step_s), step_s))


def cloud_probability_pct(lat_deg: F64, lon_deg: F64) -> F64:
    """``P_clw`` [%]: the probability of cloud liquid water at the sites (ITU-R P.840's
    log-normal maps, itur), float64[n]."""
    from itur.models.itu840 import lognormal_approximation_coefficient

    _, _, p = lognormal_approximation_coefficient(
        np.asarray(lat_deg, dtype=np.float64), np.asarray(lon_deg, dtype=np.float64)
    )
    return np.asarray(np.asarray(p.value, dtype=np.float64).reshape(-1), dtype=np.float64)


def rain_probability_pct(lat_deg: F64, lon_deg: F64) -> F64:
    """``P_rain`` [%]: the probability of rain at the sites (ITU-R P.837-7 ``P0``, itur)."""
    from itur.models.itu837 import rainfall_probability

    p = rainfall_probability(
        np.asarray(lat_deg, dtype=np.float64), np.asarray(lon_deg, dtype=np.float64)
    )
    return np.asarray(np.asarray(p.value, dtype=np.float64).reshape(-1), dtype=np.float64)


@dataclass(frozen=True)
class RainMap:
    """P.618 rain attenuation ``a_db`` float64[m, n_p] at points ``[m]`` (site, frequency,
    elevation), exceeded ``P_i`` = :data:`RAIN_P_PCT` (descending) % of the time, 0 where
    ``P_i >= P_rain``: the map from the Gaussian state ``X`` to attenuation (module
    docstring)."""

    a_db: F64
    q_rain: F64

    def attenuation_db(self, x: F64, a_db: F64 | None = None, q_rain: F64 | None = None) -> F64:
        """Rain attenuation [dB] at Gaussian states ``x[m]`` of the points (or of the rows
        ``a_db`` [m, n_p] given instead): linear in ``ln A`` against ``Q^-1(P_i/100)``
        between the ``P_i``, linear in ``A`` from 0 at ``Q^-1(P_rain/100)`` (``q_rain``
        [m]) to the first ``P_i`` below ``P_rain``, 0 below it, log-normal extrapolation
        above the 0.001 % point."""
        a = self.a_db if a_db is None else a_db
        qr = self.q_rain if q_rain is None else q_rain
        x = np.asarray(x, dtype=np.float64)
        j = np.clip(np.searchsorted(_Q_I, x, side="right") - 1, 0, _Q_I.shape[0] - 2)
        f = (x - _Q_I[j]) / (_Q_I[j + 1] - _Q_I[j])
        r = np.arange(x.shape[0])
        a0, a1 = a[r, j], a[r, j + 1]
        pos = (a0 > 0) & (a1 > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_lin = np.exp(np.log(np.where(pos, a0, 1.0)) * (1 - f)
                             + np.log(np.where(pos, a1, 1.0)) * f)  # fmt: skip
        # from 0 at Q^-1(P_rain/100) up to the first positive P_i, linear in A
        onset = a1 * (x - qr) / np.maximum(_Q_I[j + 1] - qr, 1e-12)
        lin = np.where(a0 > 0, a0 + np.clip(f, 0.0, None) * (a1 - a0), onset)
        out = np.where(pos, log_lin, lin)
        return np.asarray(np.where(x <= qr, 0.0, np.maximum(out, 0.0)), dtype=np.float64)


def rain_map(lat_deg: F64, lon_deg: F64, alt_m: F64, frequency_hz: float, el_deg: F64) -> RainMap:
    """The :class:`RainMap` at points ``[m]`` (one frequency): one P.618-13
    ``rain_attenuation`` call (itur) per ``P_i`` below the largest ``P_rain`` (P.837-7),
    vectorised over the points."""
    from itur.models.itu618 import rain_attenuation

    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    hs_km = np.maximum(np.asarray(alt_m, dtype=np.float64), 0.0) / 1000.0
    el = np.asarray(el_deg, dtype=np.float64)
    p_rain = rain_probability_pct(lat, lon)
    w = _P_I[None, :] < p_rain[:, None]  # [m, n_p]
    out = np.zeros(w.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # P.618 is stated to 5 %
        for j, p in enumerate(_P_I.tolist()):
            sel = np.flatnonzero(w[:, j])
            if sel.size == 0:
                continue
            a = rain_attenuation(lat[sel], lon[sel], frequency_hz / 1e9, el[sel], hs_km[sel], p)
            out[sel, j] = np.asarray(a.value, dtype=np.float64).reshape(-1)
    return RainMap(out, _qinv(np.clip(np.minimum(p_rain, RAIN_P_PCT[0]), 1e-9, 100) / 100.0))


@dataclass(frozen=True)
class TimeSeriesTable:
    """The P.618 terms of ``n`` budgets on the elevation grid of
    :mod:`orbitcloud.links.weather` (``el_deg`` [n_el]): ``gas_db``, ``cloud_db``,
    ``scint_db`` float64[n, n_el] at the budget's exceedance (as the statistical mode), and
    the rain map ``rain_db`` float64[n, n_el, n_p] (:class:`RainMap`) with ``q_rain`` [n];
    ``is_ts`` bool[n]: the budgets with time-series weather (the others' rows are 0).

    Total attenuation at rain state ``X`` (P.618-13 eq. 64 with the process's rain in place
    of ``A_rain(p)``): ``A = A_gas + sqrt((A_rain(X) + A_cloud)² + A_scint²)``. Gas, cloud
    and scintillation stay the statistical terms at ``100 − availability_pct`` %
    (conservative: not processes of their own here)."""

    is_ts: NDArray[np.bool_]
    el_deg: F64
    gas_db: F64
    cloud_db: F64
    scint_db: F64
    rain_db: F64
    q_rain: F64

    def at(self, row: IDX, el_deg: F64, x: F64) -> F64:
        """Total attenuation [dB] of budget ``row[i]`` at ``el_deg[i]`` and rain state
        ``x[i]`` (linear in elevation between grid points), float64[m]."""
        from orbitcloud.links.weather import ELEVATION_STEP_DEG

        el = np.asarray(el_deg, dtype=np.float64)
        u = (np.clip(el, self.el_deg[0], self.el_deg[-1]) - self.el_deg[0]) / ELEVATION_STEP_DEG
        k = np.minimum(u.astype(np.intp), self.el_deg.shape[0] - 2)
        f = u - k

        def lerp(t: F64) -> F64:
            a0 = t[row, k]
            return np.asarray(a0 + (f if t.ndim == 2 else f[:, None]) * (t[row, k + 1] - a0))

        rain = RainMap(lerp(self.rain_db), self.q_rain[row]).attenuation_db(x)
        ac, as_ = lerp(self.cloud_db), lerp(self.scint_db)
        return np.asarray(lerp(self.gas_db) + np.sqrt((rain + ac) ** 2 + as_**2))


def time_series_table(
    is_ts: NDArray[np.bool_],
    lat_deg: F64,
    lon_deg: F64,
    alt_m: F64,
    frequency_hz: F64,
    exceed_pct: F64,
    antenna_diameter_m: F64,
) -> TimeSeriesTable:
    """The :class:`TimeSeriesTable` of ``n`` budgets (arrays ``[n]``), computed for the
    ``is_ts`` ones: one itur call per distinct (frequency, exceedance, diameter) for the
    P.618 terms, one :func:`rain_map` per frequency, vectorised over stations x grid."""
    from orbitcloud.links.weather import _grid, attenuation_components_db

    el = _grid()
    n, n_el, n_p = is_ts.shape[0], el.shape[0], len(RAIN_P_PCT)
    gas, cloud, scint = (np.zeros((n, n_el)) for _ in range(3))
    rain = np.zeros((n, n_el, n_p))
    q_rain = np.zeros(n)
    keys = np.stack([frequency_hz, exceed_pct, antenna_diameter_m], axis=1)
    ts = np.flatnonzero(is_ts)
    if ts.size == 0:
        return TimeSeriesTable(is_ts, el, gas, cloud, scint, rain, q_rain)
    groups, which = np.unique(keys[ts], axis=0, return_inverse=True)
    which = which.reshape(-1)
    for j, (f_hz, p, d_m) in enumerate(groups.tolist()):
        rows = ts[which == j]
        lat, lon, alt = (np.repeat(np.asarray(v, dtype=np.float64)[rows], n_el)
                         for v in (lat_deg, lon_deg, alt_m))  # fmt: skip
        el_t = np.tile(el, rows.shape[0])
        g, _, c, s = attenuation_components_db(lat, lon, alt, f_hz, p, d_m, el_t)
        gas[rows], cloud[rows], scint[rows] = (v.reshape(rows.shape[0], n_el) for v in (g, c, s))
        m = rain_map(lat, lon, alt, f_hz, el_t)
        rain[rows] = m.a_db.reshape(rows.shape[0], n_el, n_p)
        q_rain[rows] = m.q_rain.reshape(rows.shape[0], n_el)[:, 0]
    return TimeSeriesTable(is_ts, el, gas, cloud, scint, rain, q_rain)
