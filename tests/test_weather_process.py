"""The seeded ITU-R P.1853 weather processes (orbitcloud.links.weather_process): long-run
statistics against itur's P.618 / P.840 / P.837 figures, the exp(-beta tau) autocorrelation of
the Gaussian state, seeding."""

from __future__ import annotations

import math
import warnings

import itur
import numpy as np
import pytest
from scipy.special import ndtri

from orbitcloud.links import weather_process as wp

# (lat, lon, alt_m, f_hz, el_deg): Fucino Ka down, Singapore Ka up, Delft Ku
SITES = [(41.978, 13.604, 680.0, 19e9, 30.0), (1.35, 103.82, 20.0, 28.75e9, 45.0),
         (52.0, 4.36, 0.0, 11.7e9, 20.0)]  # fmt: skip


def _itur_rain_db(lat, lon, alt_m, f_hz, el, p):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a = itur.models.itu618.rain_attenuation(lat, lon, f_hz / 1e9, el, alt_m / 1000.0, p)
    return float(np.asarray(a.value).reshape(-1)[0])


@pytest.fixture(scope="module")
def long_x():
    # 40 stations x 100,000 samples 3,600 s apart: 4e6 samples, ~450 station-years
    return wp.rain_series(11, [f"s{i}" for i in range(40)], 3600.0 * 99_999, 3600.0).x.ravel()


@pytest.mark.parametrize("site", SITES)
def test_rain_exceedance_equals_p618(site, long_x):
    lat, lon, alt, f, el = site
    m = wp.rain_map(np.array([lat]), np.array([lon]), np.array([alt]), f, np.array([el]))
    n = long_x.shape[0]
    a = m.attenuation_db(long_x, np.broadcast_to(m.a_db, (n, m.a_db.shape[1])),
                         np.broadcast_to(m.q_rain, n))  # fmt: skip
    for p in (1.0, 0.1):
        a618 = _itur_rain_db(lat, lon, alt, f, el, p)
        frac_pct = 100.0 * float((a > a618).mean())
        # sampling error of the fraction: ~1.5 % (1 %) and ~5 % (0.1 %) relative, 1 sigma
        assert abs(frac_pct / p - 1.0) < (0.05 if p == 1.0 else 0.15), (p, frac_pct)
        q = float(np.quantile(a, 1.0 - p / 100.0))
        assert abs(q / a618 - 1.0) < 0.05, (p, q, a618)  # the synthesized p % attenuation
    # it rains P_rain % of the time (P.837-7 P0, itur)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p0 = float(np.asarray(itur.models.itu837.rainfall_probability(lat, lon).value))
    assert abs(100.0 * float((a > 0).mean()) / min(p0, 10.0) - 1.0) < 0.03


def test_rain_autocorrelation_is_exp_minus_beta_tau():
    step = 100.0
    x = wp.rain_series(3, [f"g{i}" for i in range(100)], step * 49_999, step).x
    assert abs(float(x.mean())) < 0.01 and abs(float(x.var()) - 1.0) < 0.02
    for lag_s in (1_000.0, 5_000.0, 20_000.0):
        k = round(lag_s / step)
        r = float((x[:, :-k] * x[:, k:]).mean())
        assert abs(r - math.exp(-wp.RAIN_BETA_PER_S * lag_s)) < 0.02, (lag_s, r)


def test_seeding_same_seed_same_series_and_streams_per_station():
    a = wp.rain_series(5, ["Fucino", "Matera"], 86_400.0)
    b = wp.rain_series(5, ["Fucino", "Matera"], 86_400.0)
    assert np.array_equal(a.x, b.x)
    only = wp.rain_series(5, ["Matera"], 86_400.0)
    assert np.array_equal(only.x[0], a.x[1])  # adding a station does not move another's
    other = wp.rain_series(6, ["Fucino"], 86_400.0)
    assert not np.array_equal(other.x[0], a.x[0])
    # different stations' streams: uncorrelated (40 independent series of ~17 decorrelation
    # times: |r| of independent ones ~ 0.05)
    many = wp.rain_series(5, [f"s{i}" for i in range(40)], 86_400.0 * 4, 60.0).x
    r = np.corrcoef(many)[np.triu_indices(40, 1)]
    assert abs(float(r.mean())) < 0.02 and float(np.abs(r).max()) < 0.5


def test_cloud_fraction_equals_p840_and_blocked_intervals():
    lat, lon = np.array([41.978, 52.0, -33.87]), np.array([13.604, 4.36, 151.21])
    p_clw = wp.cloud_probability_pct(lat, lon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, _, want = itur.models.itu840.lognormal_approximation_coefficient(lat, lon)
    assert np.allclose(p_clw, np.asarray(want.value).reshape(-1))
    g = wp.cloud_series(9, [f"c{i}" for i in range(60)], 7_200.0 * 49_999, 7_200.0).x
    assert abs(float(g.var()) - 1.0) < 0.03
    for p in p_clw.tolist():
        frac = float((g > -ndtri(p / 100.0)).mean())
        assert abs(frac - p / 100.0) < 0.015, (p, frac)  # ~2,000 decorrelation times
    s = wp.cloud_series(9, ["c0"], 86_400.0 * 3)
    thr = -ndtri(p_clw[0] / 100.0)
    start, end = s.above(0, thr)
    t = np.arange(s.x.shape[1]) * s.step_s
    inside = ((t[:, None] > start[None]) & (t[:, None] < end[None])).any(axis=1)
    on = s.x[0] > thr
    assert np.array_equal(
        inside | np.isin(t, np.concatenate([start, end])),
        on | np.isin(t, np.concatenate([start, end])),
    )
    assert np.allclose(s.at(np.zeros(start.size, dtype=np.intp), start), thr)


def test_max_over_equals_a_dense_scan():
    s = wp.rain_series(2, ["a", "b"], 3_000.0)
    rng = np.random.default_rng(0)
    a_s = rng.uniform(-5.0, 2_900.0, 200)
    b_s = a_s + rng.uniform(0.0, 100.0, 200)
    row = rng.integers(0, 2, 200)
    got = s.max_over(row, a_s, b_s)
    dense = np.linspace(0.0, 1.0, 2001)
    t = a_s[:, None] + (b_s - a_s)[:, None] * dense[None]
    want = s.at(np.repeat(row, dense.size), t.ravel()).reshape(t.shape).max(axis=1)
    assert np.all(got >= want - 1e-12) and np.allclose(got, want, atol=2e-3)
