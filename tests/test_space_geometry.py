"""Geometry beyond Earth orbit: sphere clearance vs brute-force sampling, elevation of the
Moon vs skyfield's altaz, and the Sun–Earth–Mars angle vs skyfield over the 2027/28 Mars
solar conjunction (which falls in March 2028)."""

from __future__ import annotations

import numpy as np

from orbitcloud.links.visibility import elevation_sin, sphere_clearance_km, sun_probe_angle_rad
from orbitcloud.orbits.frames import up_unit_vector
from orbitcloud.orbits.sun import _skyfield

ARCSEC_RAD = np.pi / (180 * 3600)


def test_sphere_clearance_vs_brute_force_sampling() -> None:
    rng = np.random.default_rng(7)
    n = 40
    center = rng.normal(0, 2000, (n, 3))
    r1 = center + rng.normal(0, 8000, (n, 3))
    r2 = center + rng.normal(0, 8000, (n, 3))
    # include segments whose closest point is an end point, and a degenerate one
    r2[0] = r1[0] + 0.5 * (r1[0] - center[0])
    r2[1] = r1[1]
    radius = rng.uniform(1000, 3400, n)
    got = sphere_clearance_km(r1, r2, center, radius)
    assert got.shape == (n,)
    u = np.linspace(0.0, 1.0, 100_001)
    for i in range(n):
        p = r1[i] + u[:, None] * (r2[i] - r1[i])  # 1e5 points on the segment
        brute = np.linalg.norm(p - center[i], axis=1).min() - radius[i]
        step_km = np.linalg.norm(r2[i] - r1[i]) / (u.size - 1)
        # the sampled minimum is never below the exact one, and within half a step above it
        assert -1e-9 <= brute - got[i] <= 0.5 * step_km + 1e-9, i
    # broadcasting: one body for many segments, and a scalar radius
    one = sphere_clearance_km(r1, r2, np.zeros(3), 3396.19)
    np.testing.assert_allclose(one, sphere_clearance_km(r1, r2, np.zeros((n, 3)), 3396.19))
    # a segment through the body is blocked, one passing 10 km above it is clear
    a, b = np.array([-1e4, 0.0, 0.0]), np.array([1e4, 0.0, 0.0])
    assert sphere_clearance_km(a, b, np.zeros(3), 1737.4) < 0
    c = np.array([0.0, 1747.4, 0.0])
    assert abs(sphere_clearance_km(a + c, b + c, np.zeros(3), 1737.4) - 10.0) < 1e-9


def test_moon_elevation_vs_skyfield_altaz() -> None:
    from skyfield.api import wgs84
    from skyfield.framelib import itrs

    ts, eph = _skyfield()
    earth, moon = eph["earth"], eph["moon"]
    # DSN Goldstone (DSS-14) and Canberra (DSS-43), approximate coordinates
    sites = [(35.4259, -116.8895, 1.0), (-35.4023, 148.9813, 0.69)]
    t = ts.utc(2027, 12, 1, np.arange(0, 48, 0.5))  # 96 times over two days
    for lat, lon, h_km in sites:
        topos = wgs84.latlon(lat, lon, elevation_m=h_km * 1000)
        # geometric (no light time, no aberration): skyfield's own elevation of the vector
        geometric = (moon - (earth + topos)).at(t)
        alt_geo, _, _ = geometric.altaz()
        # our function on Earth-fixed inputs: station, geodetic up, station + line of sight
        r_obs = topos.itrs_xyz.km  # [3]
        d_itrs = geometric.frame_xyz(itrs).km.T  # [n, 3]
        up = up_unit_vector(np.array(lat), np.array(lon)).reshape(3)
        s = elevation_sin(r_obs, up, r_obs + d_itrs)
        err = np.abs(np.arcsin(s) - alt_geo.radians)
        assert err.max() < 1e-3 * ARCSEC_RAD  # measured ~1e-10 rad
        # apparent (light time 1.3 s, then aberration): for the Moon the 20.5" annual
        # aberration nearly cancels against the light-time shift, because the Moon shares the
        # Earth's ~30 km/s heliocentric velocity; what remains is the Moon's ~1 km/s relative
        # motion (≤ 0.7") plus diurnal aberration (≤ 0.3"). Measured: up to 0.86".
        alt_app, _, _ = (earth + topos).at(t).observe(moon).apparent().altaz()
        err_app = np.abs(np.arcsin(s) - alt_app.radians)
        assert err_app.max() < 1.5 * ARCSEC_RAD
        assert err_app.max() > 0.1 * ARCSEC_RAD  # the difference is real, not zero
        assert (s > 0).any() and (s < 0).any()  # the Moon rises and sets


def test_sun_earth_mars_angle_over_2028_conjunction() -> None:
    ts, eph = _skyfield()
    earth, sun, mars = eph["earth"], eph["sun"], eph["mars"]
    days = np.arange(0.0, 240.0, 0.25)  # 2027-10-01 to 2028-05-28
    t = ts.utc(2027, 10, 1 + days)
    re, rs, rm = (b.at(t).position.km.T for b in (earth, sun, mars))  # barycentric ICRF
    sep = sun_probe_angle_rad(re, rs, rm)
    # skyfield, astrometric (light-time corrected) directions from the Earth
    e = earth.at(t)
    sep_sky = e.observe(mars).separation_from(e.observe(sun)).radians
    conj = sep < np.radians(3.0)
    assert conj.any()
    first, last = days[conj][0], days[conj][-1]
    # measured (DE421): SEP < 3° from 2028-03-08 to 2028-04-03 (days 159 to 185.5 after
    # 2027-10-01), minimum 0.81° on 2028-03-21, Mars 2.38–2.40 AU away
    assert 158 <= first <= 160 and 185 <= last <= 186.5
    assert 0.7 < np.degrees(sep.min()) < 0.9
    # geometric vs astrometric: Mars moves ~18" during its ~20 min light time: measured
    # 0.0050° at most, < 0.01° as asked
    assert np.degrees(np.abs(sep - sep_sky)[conj]).max() < 0.01
    assert np.degrees(np.abs(sep - sep_sky)).max() < 0.01
    # and against skyfield's geometric separation, to numerical precision
    from skyfield.functions import angle_between

    geo = angle_between((rs - re).T, (rm - re).T)
    assert np.abs(sep - geo).max() < 1e-12


def test_sep_small_angles_and_broadcast() -> None:
    earth = np.zeros(3)
    sun = np.array([1.5e8, 0.0, 0.0])
    eps = np.array([1e-9, 1e-6, 1e-3, 0.5, np.pi / 2])
    probe = np.stack([np.cos(eps), np.sin(eps), np.zeros_like(eps)], -1) * 3.0e8
    np.testing.assert_allclose(sun_probe_angle_rad(earth, sun, probe), eps, rtol=1e-9)
    assert abs(sun_probe_angle_rad(earth, sun, -sun) - np.pi) < 1e-15
