"""orbits/bodies.py against independent oracles: skyfield (DE421 positions, light time, ITRS),
DE421's lunar principal-axes kernel through skyfield's PlanetaryConstants, published values."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from orbitcloud.constants import SPEED_OF_LIGHT_KM_S
from orbitcloud.orbits.bodies import (
    BODIES,
    BODY_NAMES,
    BodyEphemeris,
    light_time_back_s,
    light_time_s,
)
from orbitcloud.orbits.sun import _skyfield

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
FOUR_YEARS_S = 4 * 365.25 * 86400.0
KEYS = {"sun": "sun", "earth": "earth", "moon": "moon", "mars": 499}


@pytest.fixture(scope="module")
def bodies() -> BodyEphemeris:
    return BodyEphemeris(EPOCH)


@pytest.fixture(scope="module")
def random_t_s() -> np.ndarray:
    return np.sort(np.random.default_rng(7).uniform(0.0, FOUR_YEARS_S, 50))


def rotation_angle_rad(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle of the rotation a bᵀ [n] (from its antisymmetric part: exact near zero)."""
    d = np.einsum("nij,nkj->nik", a, b)
    v = np.stack([d[:, 2, 1] - d[:, 1, 2], d[:, 0, 2] - d[:, 2, 0], d[:, 1, 0] - d[:, 0, 1]], -1)
    return np.asarray(np.arcsin(np.clip(np.linalg.norm(v, axis=-1) / 2, 0, 1)))


def test_body_table() -> None:
    assert tuple(BODIES) == BODY_NAMES
    assert BODIES["mars"].naif_id == 499 and BODIES["moon"].radius_km == 1737.4
    assert BODIES["sun"].j2 == 0.0


@pytest.mark.parametrize("body", BODY_NAMES)
def test_positions_match_skyfield(bodies: BodyEphemeris, random_t_s: np.ndarray, body: str) -> None:
    _, eph = _skyfield()
    t = bodies.times(random_t_s)
    ref = eph[KEYS[body]].at(t)
    err_m = np.linalg.norm(bodies.position_km(body, random_t_s) - ref.position.km.T, axis=1) * 1e3
    assert err_m.max() < 1.0  # achieved ~3e-5 m (float64 rounding of ~1e8 km)
    dv_mm_s = np.linalg.norm(
        bodies.velocity_km_s(body, random_t_s) - ref.velocity.km_per_s.T, axis=1
    )
    assert dv_mm_s.max() * 1e6 < 1e-3


@pytest.mark.parametrize("target", ["mars", "moon"])
def test_light_time_back_matches_skyfield_observe(
    bodies: BodyEphemeris, random_t_s: np.ndarray, target: str
) -> None:
    _, eph = _skyfield()
    t = bodies.times(random_t_s)
    ref_s = eph["earth"].at(t).observe(eph[KEYS[target]]).light_time * 86400.0
    tau = light_time_back_s(
        lambda x: bodies.position_km(target, x),
        lambda x: bodies.position_km("earth", x),
        random_t_s,
    )
    err_s = np.abs(tau - ref_s)
    assert err_s.max() < 1e-9  # achieved 1.3e-11 s (Mars), 1.6e-12 s (Moon)


def test_light_time_forward_backward_consistent(bodies: BodyEphemeris, random_t_s: np.ndarray):
    def mars(x: np.ndarray) -> np.ndarray:
        return bodies.position_km("mars", x)

    def earth(x: np.ndarray) -> np.ndarray:
        return bodies.position_km("earth", x)

    fwd = light_time_s(earth, mars, random_t_s)
    back = light_time_back_s(earth, mars, random_t_s + fwd)
    assert np.abs(fwd - back).max() < 1e-8
    # and the defining equation holds
    r = np.linalg.norm(mars(random_t_s + fwd) - earth(random_t_s), axis=1)
    assert np.abs(r / SPEED_OF_LIGHT_KM_S - fwd).max() < 1e-8
    assert fwd.min() > 180 and fwd.max() < 1400  # Mars: 3-22 light minutes


@pytest.mark.parametrize(
    "t_s",
    [
        np.sort(np.random.default_rng(3).uniform(0.0, FOUR_YEARS_S, 400)),  # 6 h grid
        np.arange(0.0, 3 * 3600.0, 10.0),  # short span: a two-point grid
    ],
    ids=["four-years", "three-hours"],
)
def test_earth_to_fixed_matches_skyfield_itrs(bodies: BodyEphemeris, t_s: np.ndarray) -> None:
    from skyfield.framelib import itrs

    ref = np.moveaxis(itrs.rotation_at(bodies.times(t_s)), -1, 0)
    m = bodies.to_fixed("earth", t_s)
    err_rad = rotation_angle_rad(m, ref)
    assert err_rad.max() < 5e-9  # achieved 1.3e-9 rad (4 years), 3.2e-10 rad (3 h)
    assert np.abs(np.einsum("nij,nkj->nik", m, m) - np.eye(3)).max() < 1e-14


def test_moon_iau_frame_close_to_de421_mean_earth(
    bodies: BodyEphemeris, random_t_s: np.ndarray, moon_me
) -> None:
    t = bodies.times(random_t_s)
    ref = np.moveaxis(moon_me.rotation_at(t), -1, 0)
    err_deg = np.degrees(rotation_angle_rad(bodies.to_fixed("moon", random_t_s), ref))
    assert err_deg.max() < 0.006  # achieved 0.0039 deg (IAU series vs DE421 libration)

    # Elevation of the Earth's centre from Blue Ghost's site in Mare Crisium.
    lat, lon = math.radians(18.56), math.radians(61.81)
    up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
    site = 1737.4 * up
    rel = bodies.position_km("earth", random_t_s) - bodies.position_km("moon", random_t_s)

    def elevation_deg(m: np.ndarray) -> np.ndarray:
        d = np.einsum("nij,nj->ni", m, rel) - site
        return np.degrees(np.arcsin(d @ up / np.linalg.norm(d, axis=1)))

    el = elevation_deg(bodies.to_fixed("moon", random_t_s))
    el_ref = elevation_deg(ref)
    assert el.min() > 10 and el.max() < 45  # ~27 deg from libration-free geometry, ±8

    assert np.abs(el - el_ref).max() < 0.005  # achieved 0.0025 deg


def _prime_meridian_angle_rad(m: np.ndarray) -> np.ndarray:
    """Unwrapped angle of the body's x axis about its pole (ICRF components, rows of m)."""
    x, z = m[:, 0], m[:, 2]
    ref = np.cross([0.0, 0.0, 1.0], z[0])
    ref /= np.linalg.norm(ref)
    y_ref = np.cross(z[0], ref)
    return np.unwrap(np.arctan2(x @ y_ref, x @ ref))


def test_mars_sidereal_day(bodies: BodyEphemeris) -> None:
    t_s = np.arange(0.0, 10 * 86400.0, 600.0)
    w = _prime_meridian_angle_rad(bodies.to_fixed("mars", t_s))
    rate_rad_s = np.polyfit(t_s, w, 1)[0]
    day_h = 2 * np.pi / rate_rad_s / 3600.0
    assert abs(day_h - 24.6229) * 3600.0 < 1.0  # Archinal et al. 2018: 24.6229 h


def test_moon_rotates_once_per_sidereal_month(bodies: BodyEphemeris) -> None:
    t_s = np.arange(0.0, 60 * 86400.0, 3600.0)
    w = _prime_meridian_angle_rad(bodies.to_fixed("moon", t_s))
    period_d = 2 * np.pi / np.polyfit(t_s, w, 1)[0] / 86400.0
    assert abs(period_d - 27.321661) < 0.05  # sidereal month (librations wobble the fit)


def test_mars_and_moon_poles_at_j2000() -> None:
    """At J2000 (T = 0) the IAU 2015 pole is the constant plus the periodic terms at their
    phases (Archinal et al. 2018, Tables 1 and 2), evaluated here by hand."""
    j2000 = dt.datetime(2000, 1, 1, 11, 58, 55, 816000, tzinfo=dt.UTC)  # 12:00 TT
    b = BodyEphemeris(j2000)
    ra, dec = b.pole_radec_rad("mars", np.zeros(1))
    s = math.sin
    ra0 = 317.269202 + sum(
        a * s(math.radians(p))
        for a, p in [(0.000068, 198.991226), (0.000238, 226.292679), (0.000052, 249.663391),
                     (0.000009, 266.183510), (0.419057, 79.398797)]
    )  # fmt: skip
    dec0 = 54.432516 + sum(
        a * math.cos(math.radians(p))
        for a, p in [(0.000051, 122.433576), (0.000141, 43.058401), (0.000031, 57.663379),
                     (0.000005, 79.476401), (1.591274, 166.325722)]
    )  # fmt: skip
    assert abs(math.degrees(ra[0]) - ra0) < 1e-7 and abs(math.degrees(dec[0]) - dec0) < 1e-7
    ra, dec = b.pole_radec_rad("moon", np.zeros(1))
    e1, e2 = math.radians(125.045), math.radians(250.089)
    assert abs(math.degrees(dec[0]) - 66.5392) < 1.6  # dominated by 1.5419 cos E1
    ra0 = 269.9949 - 3.8787 * s(e1) - 0.1204 * s(e2) + 0.0700 * s(math.radians(260.008))
    assert abs(math.degrees(ra[0]) - ra0) < 0.03  # remaining small terms


def test_to_fixed_shapes_and_sun(bodies: BodyEphemeris) -> None:
    t_s = np.array([0.0, 60.0, 120.0])
    for body in BODY_NAMES:
        m = bodies.to_fixed(body, t_s)
        assert m.shape == (3, 3, 3)
        assert np.abs(np.einsum("nij,nkj->nik", m, m) - np.eye(3)).max() < 1e-14
    assert np.array_equal(bodies.to_fixed("sun", t_s)[0], np.eye(3))
    with pytest.raises(ValueError, match="unknown body"):
        bodies.position_km("venus", t_s)
