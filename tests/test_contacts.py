"""Contact plans against skyfield's rise/set search and against brute-force sampling."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ISS_LINE1, ISS_LINE2, iss_scenario
from orbitcloud.constants import SPEED_OF_LIGHT_KM_S, WGS84_A_KM
from orbitcloud.links import KINDS, build_contact_plan
from orbitcloud.links.visibility import isl_margin, los_clearance_km
from orbitcloud.orbits import build_satellites, propagate
from orbitcloud.scenario import load_scenario
from orbitcloud.timegrid import TimeGrid

STATIONS = [
    {
        "name": "Fucino",
        "lat_deg": 41.978,
        "lon_deg": 13.604,
        "alt_m": 680,
        "min_elevation_deg": 10,
        "jurisdiction": "IT",
        "rate_bps": 1e9,
    },
    {
        "name": "Svalbard",
        "lat_deg": 78.23,
        "lon_deg": 15.41,
        "alt_m": 500,
        "min_elevation_deg": 5,
        "jurisdiction": "NO",
        "rate_bps": 2e9,
        "uplink_rate_bps": 1e8,
    },
    {
        "name": "Houston",
        "lat_deg": 29.56,
        "lon_deg": -95.09,
        "min_elevation_deg": 20,
        "jurisdiction": "US",
        "rate_bps": 5e8,
    },
    {
        "name": "Malindi",
        "lat_deg": -2.996,
        "lon_deg": 40.195,
        "min_elevation_deg": 0,
        "jurisdiction": "KE",
        "rate_bps": 1e9,
    },
]


def _plan(step_s: float, stations=STATIONS, **kw):
    sc = load_scenario(iss_scenario(step_s=step_s, ground_stations=stations, **kw))
    eph = propagate(build_satellites(sc), TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s))
    return sc, eph, build_contact_plan(sc, eph)


@pytest.mark.parametrize("step_s", [30.0, 300.0])
def test_passes_match_skyfield_find_events(skyfield_ts_eph, step_s):
    """Every rise/set skyfield finds is in the plan within 1 s, and nothing else is, even
    with a 5-minute grid step (edges are refined between samples)."""
    from skyfield.api import EarthSatellite, wgs84

    ts, _ = skyfield_ts_eph
    sc, _, plan = _plan(step_s)
    sat = EarthSatellite(ISS_LINE1, ISS_LINE2, "ISS", ts)
    t0, t1 = ts.utc(2014, 1, 21), ts.utc(2014, 1, 22)
    down = plan.of_kind("downlink")
    total = 0
    for g, gs in enumerate(sc.ground_stations):
        site = wgs84.latlon(gs.lat_deg, gs.lon_deg, elevation_m=gs.alt_m)
        t, ev = sat.find_events(site, t0, t1, altitude_degrees=gs.min_elevation_deg)
        sec = (t.tt - t0.tt) * 86400.0
        rises, sets = sec[ev == 0], sec[ev == 2]
        # a pass in progress at the start/end has no rise/set event: the plan cuts it there
        if sets.size and (not rises.size or sets[0] < rises[0]):
            rises = np.r_[0.0, rises]
        if rises.size and (not sets.size or rises[-1] > sets[-1]):
            sets = np.r_[sets, 86400.0]
        mine = down.select(down.dst == plan.nodes.n_sat + g)
        assert mine.start_s.size == rises.size, gs.name
        assert np.abs(mine.start_s - rises).max(initial=0) < 1.0
        assert np.abs(mine.end_s - sets).max(initial=0) < 1.0
        total += rises.size
    assert total >= 10  # the stations do see the ISS


def test_refined_edges_are_within_10_ms_of_a_brute_force_scan():
    """At each refined pass edge the elevation margin changes sign within ±10 ms, checked
    by sampling the exact SGP4 geometry at 1 ms around the edge."""
    from orbitcloud.links.visibility import GroundSites, elevation_margin

    sc, eph, plan = _plan(120.0)
    down = plan.of_kind("downlink")
    sites = GroundSites.from_stations(list(sc.ground_stations))
    inner = (down.start_s > 0) & (down.end_s < 86400)
    offsets = np.arange(-0.010, 0.0101, 0.001)
    for col, sign in (("start_s", 1.0), ("end_s", -1.0)):
        edges = getattr(down, col)[inner]
        g = down.dst[inner] - plan.nodes.n_sat
        t = (edges[:, None] + offsets[None, :]).ravel()
        gi = np.repeat(g, offsets.size)
        r = eph.propagator.ecef_at(np.zeros(t.size, dtype=np.intp), t)
        m = elevation_margin(r, sites.r_ecef_km[gi], sites.up[gi], sites.sin_mask[gi]).reshape(
            -1, offsets.size
        )
        # before a start (after an end) the margin is negative; after it (before) positive
        assert np.all(sign * m[:, 0] < 0)
        assert np.all(sign * m[:, -1] > 0)


def test_plan_rows_carry_rates_directions_and_light_time():
    """Each pass appears as a downlink and an uplink with the station's rates; owlt is the
    longest range over c, and that range is at least the range at every sample inside."""
    _, eph, plan = _plan(60.0)
    assert len(plan.of_kind("downlink")) == len(plan.of_kind("uplink")) > 0
    sval = plan.nodes.names.index("Svalbard")
    down = plan.of_kind("downlink")
    up = plan.of_kind("uplink")
    assert np.all(down.rate_bps[down.dst == sval] == 2e9)
    assert np.all(up.rate_bps[up.src == sval] == 1e8)
    assert np.allclose(plan.owlt_s, plan.range_km / SPEED_OF_LIGHT_KM_S)
    from orbitcloud.orbits.frames import geodetic_to_ecef

    g = STATIONS[1]
    r_gs = geodetic_to_ecef(
        np.array(g["lat_deg"]), np.array(g["lon_deg"]), np.array(g["alt_m"] / 1000)
    )
    for s, e, rng in zip(
        down.start_s[down.dst == sval],
        down.end_s[down.dst == sval],
        down.range_km[down.dst == sval],
        strict=True,
    ):
        k = (eph.grid.t_s >= s) & (eph.grid.t_s <= e)
        d = np.linalg.norm(eph.r_ecef_km[0, k] - r_gs, axis=1)
        assert np.all(d <= rng + 1e-6)
        # a 5° mask at 410 km altitude limits the slant range to ~1,900 km (geometry)
        assert 1000 < rng < 2000
    assert np.all(np.diff(plan.start_s) >= 0)
    assert set(np.unique(plan.kind).tolist()) <= set(range(len(KINDS)))


def test_line_of_sight_by_hand():
    """Two satellites 90° apart at 7,000 km radius: the chord passes 4,950 km from the centre
    (blocked); 30° apart it passes 7000 cos 15° = 6,761 km from it (clear of 6,458 km)."""
    r1 = np.array([7000.0, 0.0, 0.0])
    r90 = np.array([0.0, 7000.0, 0.0])
    r30 = 7000.0 * np.array([np.cos(np.radians(30)), np.sin(np.radians(30)), 0.0])
    assert los_clearance_km(r1, r90) == pytest.approx(7000 / np.sqrt(2))
    assert los_clearance_km(r1, r30) == pytest.approx(7000 * np.cos(np.radians(15)))
    assert isl_margin(r1, r90, 20000.0, 80.0) < 0
    clear = isl_margin(r1, r30, 20000.0, 80.0)
    assert clear == pytest.approx(7000 * np.cos(np.radians(15)) - (WGS84_A_KM + 80.0))
    # range limit binds when it is the tighter constraint
    assert isl_margin(r1, r30, 3000.0, 80.0) == pytest.approx(
        3000.0 - 7000.0 * 2 * np.sin(np.radians(15))
    )


def _walker_isl_scenario(topology):
    return load_scenario(
        {
            "name": "isl",
            "epoch": "2026-03-20T00:00:00Z",
            "duration_s": 4 * 3600,
            "step_s": 120,
            "constellations": [
                {
                    "kind": "walker",
                    "name": "a",
                    "planes": 4,
                    "sats_per_plane": 8,
                    "phasing": 1,
                    "altitude_km": 600,
                    "inclination_deg": 70,
                },
            ],
            "isls": [
                {
                    "topology": topology,
                    "max_range_km": 4500,
                    "rate": {"kind": "fixed", "rate_bps": 1e10},
                }
            ],
        }
    )


def test_isl_windows_match_a_brute_force_scan():
    """Range-topology ISL windows equal the windows of the exact margin sampled every second."""
    sc = _walker_isl_scenario({"kind": "range"})
    eph = propagate(build_satellites(sc), TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s))
    plan = build_contact_plan(sc, eph).of_kind("isl")
    fine = np.arange(0.0, sc.duration_s + 0.5, 1.0)
    rng = np.random.default_rng(0)
    pairs = {(int(a), int(b)) for a, b in zip(plan.src, plan.dst, strict=True) if a < b}
    assert len(pairs) > 10
    for a, b in rng.choice(sorted(pairs), 6, replace=False).tolist():
        n = fine.size
        r = eph.propagator.ecef_at(np.r_[np.full(n, a), np.full(n, b)], np.r_[fine, fine])
        vis = isl_margin(r[:n], r[n:], 4500.0, 80.0) >= 0
        edges = np.flatnonzero(np.diff(vis.astype(int)))
        sel = (plan.src == a) & (plan.dst == b)
        got = np.sort(np.r_[plan.start_s[sel], plan.end_s[sel]])
        got = got[(got > 0) & (got < sc.duration_s)]
        assert got.size == edges.size
        assert np.all(np.abs(got - fine[edges] - 0.5) <= 0.5 + 1e-3)


def test_terminal_limit_caps_links_per_satellite():
    """With max_terminals = 2, no satellite has more than two ISLs open at any grid time."""
    sc = _walker_isl_scenario({"kind": "range", "max_terminals": 2})
    eph = propagate(build_satellites(sc), TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s))
    plan = build_contact_plan(sc, eph).of_kind("isl")
    assert len(plan) > 0
    for t in eph.grid.t_s[::7]:
        open_ = plan.active_at(t)
        degree = np.bincount(plan.src[open_], minlength=eph.n_sat)
        assert degree.max() <= 2


def _walker_ground_scenario(antennas):
    """4 x 8 satellites at 600 km, 70 deg; two stations at 60 deg N with a 5 deg mask, where
    several satellites are often in view at once."""
    sc = _walker_isl_scenario({"kind": "range"})
    stations = [
        {
            "name": n,
            "lat_deg": 60.0,
            "lon_deg": lon,
            "min_elevation_deg": 5,
            "jurisdiction": "NO",
            "rate_bps": 1e9,
            "antennas": antennas,
        }
        for n, lon in (("North", 10.0), ("East", 40.0))
    ]
    return load_scenario(
        sc.model_dump(mode="json", exclude_none=True) | {"isls": [], "ground_stations": stations}
    )


def _open_per_station(plan, kind, t, n_sat, n_gs):
    """Passes of ``kind`` open at each time ``t`` [n_t], per station: int[n_t, n_gs]."""
    sel = plan.kind == KINDS.index(kind)
    g = (plan.dst if kind == "downlink" else plan.src)[sel] - n_sat
    on = (plan.start_s[sel][None, :] <= t[:, None]) & (t[:, None] < plan.end_s[sel][None, :])
    return np.stack([on[:, g == k].sum(axis=1) for k in range(n_gs)], axis=1)


def test_one_antenna_serves_one_satellite_at_a_time():
    """With ``antennas: 1`` no station has two passes open at once (several satellites are
    in view at once without the limit), the downlink and uplink of each pass keep the same
    window, and the time a station is in contact is unchanged (hand-over, nothing lost)."""
    many = _walker_ground_scenario(64)
    one = _walker_ground_scenario(1)
    eph = propagate(build_satellites(one), TimeGrid.regular(one.epoch, one.duration_s, one.step_s))
    p_many, p_one = build_contact_plan(many, eph), build_contact_plan(one, eph)
    t = np.arange(0.0, one.duration_s, 0.25)
    n_sat = eph.n_sat
    assert _open_per_station(p_many, "downlink", t, n_sat, 2).max() >= 3
    for kind in ("downlink", "uplink"):
        assert _open_per_station(p_one, kind, t, n_sat, 2).max() == 1
    down, up = p_one.of_kind("downlink"), p_one.of_kind("uplink")
    assert sorted(zip(down.src, down.dst, down.start_s, down.end_s, strict=True)) == sorted(
        zip(up.dst, up.src, up.start_s, up.end_s, strict=True)
    )
    in_contact_many = _open_per_station(p_many, "downlink", t, n_sat, 2) > 0
    in_contact_one = _open_per_station(p_one, "downlink", t, n_sat, 2) > 0
    assert np.array_equal(in_contact_many, in_contact_one)
    assert len(p_one) < len(p_many)
