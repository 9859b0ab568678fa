"""Walker and explicit-element constellations built with sgp4init, checked against the
orbital-mechanics formulas they must satisfy."""

from __future__ import annotations

import numpy as np
import pytest

from orbitcloud.constants import EARTH_J2, WGS72_MU_KM3_S2, WGS72_RADIUS_KM
from orbitcloud.links.isl import grid_pairs
from orbitcloud.orbits import build_satellites, propagate
from orbitcloud.scenario import load_scenario
from orbitcloud.scenario.models import WalkerConstellation
from orbitcloud.timegrid import TimeGrid


def _walker(**kw):
    c = {
        "kind": "walker",
        "name": "w",
        "planes": 6,
        "sats_per_plane": 4,
        "phasing": 2,
        "altitude_km": 550.0,
        "inclination_deg": 53.0,
    }
    c.update(kw)
    return load_scenario(
        {
            "name": "w",
            "epoch": "2026-03-20T00:00:00Z",
            "duration_s": 6000,
            "step_s": 60,
            "constellations": [c],
        }
    )


def test_walker_elements_follow_the_pattern():
    """Plane p has RAAN p*360/P; slot s of plane p has mean anomaly s*360/S + p*F*360/T."""
    sc = _walker()
    sats = build_satellites(sc)
    P, S, F = 6, 4, 2
    raan = np.degrees([s.nodeo for s in sats.satrecs]).reshape(P, S)
    ma = np.degrees([s.mo for s in sats.satrecs]).reshape(P, S)
    assert np.allclose(raan, (np.arange(P) * 360.0 / P)[:, None])
    expected_ma = (
        np.arange(S)[None, :] * 360.0 / S + np.arange(P)[:, None] * F * 360.0 / (P * S)
    ) % 360
    assert np.allclose(ma, expected_ma)
    assert sats.names[0] == "w-0-0" and sats.names[-1] == "w-5-3"


def test_star_pattern_spreads_planes_over_180_degrees():
    """A Walker star spreads its planes over 180° of RAAN."""
    sats = build_satellites(_walker(pattern="star", phasing=0))
    raan = np.degrees([s.nodeo for s in sats.satrecs]).reshape(6, 4)[:, 0]
    assert np.allclose(raan, np.arange(6) * 30.0)


def test_walker_radius_and_period_match_kepler():
    """Mean geocentric radius over an orbit is R + h within SGP4's J2 mean/osculating offset
    (< 15 km) and the nodal period matches 2π sqrt(a³/μ) within 1 %."""
    sc = _walker(planes=1, sats_per_plane=1, phasing=0)
    grid = TimeGrid.regular(sc.epoch, sc.duration_s, 10.0)
    eph = propagate(build_satellites(sc), grid)
    radius = np.linalg.norm(eph.r_ecef_km[0], axis=1)
    a_km = WGS72_RADIUS_KM + 550.0
    assert abs(radius.mean() - a_km) < 15.0
    z = eph.r_ecef_km[0, :, 2]
    up = np.flatnonzero((z[:-1] < 0) & (z[1:] >= 0))  # ascending node crossings
    period_s = np.diff(grid.t_s[up]).mean()
    assert period_s == pytest.approx(2 * np.pi * np.sqrt(a_km**3 / WGS72_MU_KM3_S2), rel=0.01)


def test_j2_nodal_regression_matches_the_secular_formula():
    """SGP4's RAAN drift equals -1.5 n J2 (R/a)² cos i (Vallado 2013, eq. 9-41) within 2 %."""
    sats = build_satellites(_walker(planes=1, sats_per_plane=1, phasing=0))
    s = sats.satrecs[0]
    a_km = WGS72_RADIUS_KM + 550.0
    n = np.sqrt(WGS72_MU_KM3_S2 / a_km**3)  # rad/s
    expected = -1.5 * n * EARTH_J2 * (WGS72_RADIUS_KM / a_km) ** 2 * np.cos(np.radians(53.0))
    assert s.nodedot / 60.0 == pytest.approx(expected, rel=0.02)


def test_grid_pairs_give_four_neighbours_and_shift_the_seam():
    """+Grid: every satellite has exactly 4 links; across the delta seam slot s meets slot
    s+F of plane 0."""
    c = WalkerConstellation(
        kind="walker",
        name="w",
        planes=5,
        sats_per_plane=7,
        phasing=3,
        altitude_km=550,
        inclination_deg=53,
    )
    pairs = grid_pairs(c, 0, None)
    degree = np.bincount(pairs.ravel(), minlength=35)
    assert np.all(degree == 4)
    assert len(pairs) == 2 * 35
    seam = {tuple(p) for p in pairs.tolist() if {p[0] // 7, p[1] // 7} == {0, 4}}
    assert (0 * 7 + (2 + 3) % 7, 4 * 7 + 2) in seam


def test_grid_pairs_star_has_no_seam():
    """A star pattern leaves the seam open: edge planes have 3 links."""
    c = WalkerConstellation(
        kind="walker",
        name="w",
        pattern="star",
        planes=4,
        sats_per_plane=6,
        altitude_km=780,
        inclination_deg=86.4,
    )
    degree = np.bincount(grid_pairs(c, 0, None).ravel(), minlength=24).reshape(4, 6)
    assert np.all(degree[[0, 3]] == 3) and np.all(degree[[1, 2]] == 4)


def test_elements_constellation_uses_given_elements():
    """Explicit elements reach sgp4init unchanged (angles in radians, mean motion rad/min)."""
    sc = load_scenario(
        {
            "name": "e",
            "epoch": "2026-03-20T00:00:00Z",
            "duration_s": 600,
            "step_s": 60,
            "constellations": [
                {
                    "kind": "elements",
                    "name": "m",
                    "satellites": [
                        {
                            "name": "m1",
                            "semi_major_axis_km": 7778.0,
                            "eccentricity": 0.001,
                            "inclination_deg": 101.4,
                            "raan_deg": 270,
                            "arg_perigee_deg": 10,
                            "mean_anomaly_deg": 45,
                        },
                    ],
                }
            ],
        }
    )
    s = build_satellites(sc).satrecs[0]
    assert s.inclo == pytest.approx(np.radians(101.4))
    assert s.nodeo == pytest.approx(np.radians(270))
    assert s.ecco == pytest.approx(0.001)
    assert s.no_kozai == pytest.approx(np.sqrt(WGS72_MU_KM3_S2 / 7778.0**3) * 60)
