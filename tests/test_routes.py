"""Routing on snapshots against networkx (an independent shortest-path oracle) and a
hand-checkable ring."""

from __future__ import annotations

import itertools
from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.constants import SPEED_OF_LIGHT_KM_S, WGS84_A_KM
from orbitcloud.links import build_contact_plan
from orbitcloud.links.contactplan import KINDS
from orbitcloud.links.visibility import GroundSites
from orbitcloud.network.routes import route_pairs, routes_at
from orbitcloud.network.snapshots import SnapshotBuilder
from orbitcloud.orbits import build_satellites, propagate
from orbitcloud.orbits.frames import ecef_to_geodetic
from orbitcloud.scenario import load_scenario
from orbitcloud.scenario.models import GroundStation, RangeTopology
from orbitcloud.timegrid import TimeGrid


def _random_builder(rng, n_sat, n_gs):
    """Satellites scattered between 500 and 1,500 km, all pairs ISL candidates."""
    v = rng.normal(size=(n_sat, 3))
    r = v / np.linalg.norm(v, axis=1)[:, None] * rng.uniform(6878, 7878, (n_sat, 1))
    a, b = (x.astype(np.intp) for x in np.triu_indices(n_sat, 1))
    stations = [
        GroundStation(name=f"g{i}", lat_deg=rng.uniform(-70, 70), lon_deg=rng.uniform(-180, 180),
                      min_elevation_deg=rng.uniform(0, 30), jurisdiction="XX", rate_bps=1e9)
        for i in range(n_gs)
    ]  # fmt: skip
    sites = GroundSites.from_stations(stations)
    max_range_km, min_radius_km = np.full(a.size, 6000.0), np.full(a.size, WGS84_A_KM + 80.0)
    builder = SnapshotBuilder(n_sat, n_gs, a, b, max_range_km, min_radius_km, sites)
    return builder, r


@settings(max_examples=40, deadline=None)
@given(n_sat=st.integers(3, 40), n_gs=st.integers(1, 6), seed=st.integers(0, 2**31 - 1))
def test_routes_equal_networkx_dijkstra(n_sat, n_gs, seed):
    """Delays equal networkx's shortest-path lengths; each returned hop list is a real path
    of that length; unreachable pairs agree."""
    rng = np.random.default_rng(seed)
    builder, r = _random_builder(rng, n_sat, n_gs)
    src_e, dst_e, delay = builder.edges(r)
    g = nx.DiGraph()
    g.add_nodes_from(range(builder.n_node))
    g.add_weighted_edges_from(zip(src_e.tolist(), dst_e.tolist(), delay.tolist(), strict=True))
    # every station to every station and every satellite
    srcs, dsts = [], []
    for i in range(n_gs):
        for j in range(n_gs):
            if i != j:
                srcs.append(builder.uplink_node(i))
                dsts.append(builder.downlink_node(j))
        for s in range(n_sat):
            srcs.append(builder.uplink_node(i))
            dsts.append(s)
    step = routes_at(builder.graph(r), np.array(srcs), np.array(dsts))
    for k, (s, d) in enumerate(zip(srcs, dsts, strict=True)):
        try:
            expected = nx.dijkstra_path_length(g, s, d)
        except nx.NetworkXNoPath:
            assert np.isnan(step.delay_s[k]) and step.hops[k] == -1
            continue
        assert step.delay_s[k] == pytest.approx(expected, rel=1e-12)
        path = step.path[k][step.path[k] >= 0].tolist()
        assert path[0] == s and path[-1] == d and len(path) == step.hops[k] + 1
        assert sum(g[u][v]["weight"] for u, v in itertools.pairwise(path)) == pytest.approx(
            expected, rel=1e-12
        )
        # no route transits a ground station
        assert all(x < n_sat for x in path[1:-1])


def test_equatorial_ring_by_hand():
    """12 satellites in one equatorial plane, stations under satellites 0 and 3: the route
    goes up to 0, along 3 ISLs, down from 3; delay = (up + 3 chords + down) / c."""
    sc = load_scenario(
        {
            "name": "ring",
            "epoch": "2026-03-20T00:00:00Z",
            "duration_s": 60,
            "step_s": 60,
            "constellations": [
                {
                    "kind": "walker",
                    "name": "r",
                    "planes": 1,
                    "sats_per_plane": 12,
                    "altitude_km": 550,
                    "inclination_deg": 0,
                }
            ],
            "isls": [{"topology": {"kind": "grid"}, "rate": {"kind": "fixed", "rate_bps": 1e10}}],
        }
    )
    eph = propagate(build_satellites(sc), TimeGrid.regular(sc.epoch, 60, 60))
    r = eph.r_ecef_km[:, 0]
    _, lon, _ = ecef_to_geodetic(r)
    stations = [
        {
            "name": n,
            "lat_deg": 0.0,
            "lon_deg": float(lon[k]),
            "min_elevation_deg": 10,
            "jurisdiction": "XX",
            "rate_bps": 1e9,
        }
        for n, k in (("A", 0), ("B", 3))
    ]
    sc = sc.model_copy(update={"ground_stations": [GroundStation(**s) for s in stations]})
    builder = SnapshotBuilder.from_scenario(sc, eph.satellites, eph.r_ecef_km)
    table = route_pairs(builder, [(0.0, r)], ["A"], ["B"], [*eph.satellites.names, "A", "B"])
    path = table.paths[0][0]
    names = [table.node_names[i] for i in path[path >= 0]]
    assert names == ["A", "r-0-00", "r-0-01", "r-0-02", "r-0-03", "B"]
    g = GroundSites.from_stations(list(sc.ground_stations)).r_ecef_km
    chord = np.linalg.norm(np.diff(r[:4], axis=0), axis=1).sum()
    expected_ms = (
        2e3
        * (np.linalg.norm(r[0] - g[0]) + chord + np.linalg.norm(r[3] - g[1]))
        / SPEED_OF_LIGHT_KM_S
    )
    assert table.rtt_ms[0, 0] == pytest.approx(expected_ms, rel=1e-9)
    assert table.hops[0, 0] == 5


def test_snapshot_edges_agree_with_the_contact_plan():
    """At a sample time, the snapshot's links are exactly the contacts open then (two code
    paths: per-step edges vs refined windows)."""
    sc = load_scenario("milsca")
    sc = sc.model_copy(update={"duration_s": 3 * 3600.0})
    eph = propagate(build_satellites(sc), TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s))
    plan = build_contact_plan(sc, eph)
    builder = SnapshotBuilder.from_scenario(sc, eph.satellites, eph.r_ecef_km)
    for k in (17, 61, 150):
        t = eph.grid.t_s[k]
        s, d, _ = builder.edges(eph.r_ecef_km[:, k], t)
        # snapshot ids back to plan ids: both station copies are the station's plan node
        n_sat, n_gs = builder.n_sat, builder.n_gs
        s = np.where(s >= n_sat, n_sat + (s - n_sat) % n_gs, s)
        d = np.where(d >= n_sat, n_sat + (d - n_sat) % n_gs, d)
        got = set(zip(s.tolist(), d.tolist(), strict=True))
        open_ = plan.active_at(t)
        # skip contacts whose edge lies within 1 ms of the sample (either answer is right)
        near = (np.abs(plan.start_s - t) < 1e-3) | (np.abs(plan.end_s - t) < 1e-3)
        want = set(
            zip(plan.src[open_ & ~near].tolist(), plan.dst[open_ & ~near].tolist(), strict=True)
        )
        assert want <= got
        assert len(got - want) <= int(near.sum())


def test_snapshot_honours_max_terminals_like_the_contact_plan():
    """With a terminal limit (``range``, ``max_terminals: 1``) the snapshot's ISLs at each grid
    step are exactly the plan's ISL contacts open then, and no satellite has two (before the
    limit was applied to snapshots, milsca had 36 ISLs in the plan at t = 0 and 362 in the
    routing graph)."""
    sc = load_scenario("milsca")
    isl = sc.isls[0].model_copy(
        update={"topology": RangeTopology(kind="range", max_terminals=1), "name": "range-1"}
    )
    sc = sc.model_copy(update={"duration_s": 3600.0, "isls": [isl]})
    eph = propagate(build_satellites(sc), TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s))
    plan = build_contact_plan(sc, eph)
    builder = SnapshotBuilder.from_scenario(sc, eph.satellites, eph.r_ecef_km)
    is_isl = plan.kind == KINDS.index("isl")
    for k in (0, 7, 31, 60):
        s, d, _ = builder.edges(eph.r_ecef_km[:, k])
        sat = (s < builder.n_sat) & (d < builder.n_sat)
        got = set(zip(s[sat].tolist(), d[sat].tolist(), strict=True))
        open_ = plan.active_at(eph.grid.t_s[k]) & is_isl
        want = set(zip(plan.src[open_].tolist(), plan.dst[open_].tolist(), strict=True))
        assert got == want
        assert len(got) > 0
        assert np.bincount(s[sat], minlength=builder.n_sat).max() <= 1


def test_one_antenna_stations_link_one_satellite_like_the_plan():
    """milsca's stations have one antenna each but Fucino (four). At every tenth grid step
    the snapshot's station links are exactly the plan's ground contacts open then (half-open
    windows, so a hand-over instant counts once), each station links to at most its antennas'
    worth of satellites per direction, and by geometry alone some one-antenna station sees
    several at once."""
    sc = load_scenario("milsca")
    sc = sc.model_copy(update={"duration_s": 6 * 3600.0})
    antennas = np.array([g.antennas for g in sc.ground_stations])
    assert sorted(set(antennas.tolist())) == [1, 4]
    eph = propagate(build_satellites(sc), TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s))
    plan = build_contact_plan(sc, eph)
    builder = SnapshotBuilder.from_scenario(sc, eph.satellites, eph.r_ecef_km)
    geometric = replace(builder, passes=None)
    n_sat, n_gs = builder.n_sat, builder.n_gs
    ground = plan.kind != KINDS.index("isl")
    most_seen = 0
    for k in range(0, eph.grid.n_time, 10):
        t = float(eph.grid.t_s[k])
        s, d, _ = builder.edges(eph.r_ecef_km[:, k], t)
        st_ = (s >= n_sat) | (d >= n_sat)
        s = np.where(s >= n_sat, n_sat + (s - n_sat) % n_gs, s)[st_]
        d = np.where(d >= n_sat, n_sat + (d - n_sat) % n_gs, d)[st_]
        got = set(zip(s.tolist(), d.tolist(), strict=True))
        end_ok = (t < plan.end_s) | (plan.end_s >= sc.duration_s)
        open_ = ground & (plan.start_s <= t) & end_ok
        want = set(zip(plan.src[open_].tolist(), plan.dst[open_].tolist(), strict=True))
        assert got == want
        assert np.all(np.bincount(d[d >= n_sat] - n_sat, minlength=n_gs) <= antennas)
        assert np.all(np.bincount(s[s >= n_sat] - n_sat, minlength=n_gs) <= antennas)
        _, gd, _ = geometric.edges(eph.r_ecef_km[:, k], t)
        seen = np.bincount(gd[gd >= n_sat + n_gs] - n_sat - n_gs, minlength=n_gs)
        most_seen = max(most_seen, int(seen[antennas == 1].max()))
    assert most_seen >= 2
