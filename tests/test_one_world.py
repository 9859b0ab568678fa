"""One world (issue 13): a satellite lost at t is felt by every stage. On a Walker
scenario the lost satellite is, among those holding shards in the fault-free run, the one
Fucino → Malindi routes use most after t in the fault-free run, and: (a) the cut plan has no
contact of it after t and every other contact is the un-cut plan's; (b) routes after t never
pass through it, against networkx shortest paths on the fault-free snapshot with the node
removed; (c) CGR deliveries booked after t never use its contacts; (d) its power is 0 after t
and unchanged before; (e) its shards are lost, counted and rebuilt at the next scrub."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest

from conftest import walker_3x9_world
from orbitcloud.links import build_contact_plan
from orbitcloud.network.cgr import ContactGraphRouter
from orbitcloud.network.snapshots import SnapshotBuilder
from orbitcloud.orbits import propagate
from orbitcloud.orbits.satellites import satellites_of
from orbitcloud.run.pipeline import run_pipeline, run_routes
from orbitcloud.scenario import load_scenario
from orbitcloud.scenario.models import Scenario
from orbitcloud.sim.events import EventLog
from orbitcloud.timegrid import TimeGrid
from test_storage_run import _storage

T_LOSS_S = 3630.0  # inside the step [3600, 3660), between scrubs (1800 s apart)
HARDWARE = {"solar_array_w": 3000, "battery_wh": 2000, "bus_power_w": 300,
            "comms_power_w": 150, "compute_power_w": 1500, "storage_tb": 1}  # fmt: skip
STORAGE = {
    "tenants": [{"name": "acme"}],
    "placement": {"kind": "erasure", "k": 2, "m": 1},
    "workloads": [
        {
            "tenant": "acme",
            "objects": 12,
            "object_bytes": 5000,
            "put_station": "Fucino",
            "put_t_s": 0,
            "interval_s": 5,
        }
    ],
    "scrub_interval_s": 1800,
}


def _scenario(faults: list[dict[str, Any]]) -> Scenario:
    """A 6 x 12 Walker shell at 1200 km (Fucino and Malindi linked at every step) with grid
    lasers, power, storage and ``faults``."""
    world = walker_3x9_world(3 * 3600, 4, hardware=HARDWARE, storage=STORAGE, faults=faults)
    world["constellations"][0] |= {"planes": 6, "sats_per_plane": 12, "altitude_km": 1200}
    return load_scenario(world)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    """(lost satellite name and index, fault-free scenario and run, faulted scenario and
    run, fault-free routes)."""
    free = _scenario([])
    routes, _ = run_routes(free, ["Fucino"], ["Malindi"])
    after = routes.t_s >= T_LOSS_S
    used = np.concatenate([p[0][p[0] >= 0] for p, a in zip(routes.paths, after, strict=True) if a])
    names = satellites_of(free).names
    uses = np.bincount(used[used < len(names)], minlength=len(names))
    log = EventLog()  # which satellites hold shards without the fault
    _storage(free, run_pipeline(free, stages=("power",)), tmp_path_factory.mktemp("s"), log)
    holders = np.array(sorted({names.index(r[3]) for r in log._rows if r[2] == "shard_landed"}))
    sat = int(holders[np.argmax(uses[holders])])  # the most used holder after t
    name = names[sat]
    lossy = _scenario([{"t_s": T_LOSS_S, "kind": "satellite_loss", "target": name}])
    return (name, sat, free, run_pipeline(free, stages=("power",)), lossy,
            run_pipeline(lossy, stages=("power",)), routes)  # fmt: skip


def _row_set(plan, mask):
    cols = (plan.src, plan.dst, plan.start_s, plan.end_s, plan.rate_bps)
    return set(zip(*(c[mask].tolist() for c in cols), strict=True))


def test_a_cut_plan_has_no_contact_of_the_lost_satellite_after_t(world):
    """Against the un-cut plan: contacts not touching it are all there, unchanged; its
    contacts ending by t are unchanged; those open at t end at t; none starts after."""
    _, sat, _, free_run, lossy, run, _ = world
    assert run.faults.loss_s[sat] == T_LOSS_S and run.faults.n_lost == 1
    uncut = build_contact_plan(lossy, run.ephemeris)  # the scenario's own, un-cut plan
    cut = run.contacts
    touch_u = (uncut.src == sat) | (uncut.dst == sat)
    touch_c = (cut.src == sat) | (cut.dst == sat)
    assert _row_set(cut, ~touch_c) == _row_set(uncut, ~touch_u)
    assert cut.end_s[touch_c].max() <= T_LOSS_S
    before = touch_u & (uncut.end_s <= T_LOSS_S)
    straddle = touch_u & (uncut.start_s < T_LOSS_S) & (uncut.end_s > T_LOSS_S)
    assert straddle.any()  # the test means something: a contact was open at t
    want = _row_set(uncut, before) | {
        (s, d, a, T_LOSS_S, r) for s, d, a, _, r in _row_set(uncut, straddle)
    }
    assert _row_set(cut, touch_c) == want
    assert len(free_run.contacts) == len(uncut)  # the fault-free run keeps every contact


def test_routes_after_t_avoid_the_lost_satellite_as_networkx_says(world):
    """At every step, the route's delay equals networkx's shortest path on the fault-free
    snapshot with the lost satellite removed from t on (kept before); after t no path passes
    through it; routes that used it after t in the fault-free run now go around (or are
    unreachable, where networkx says so)."""
    _, sat, free, _, lossy, _, free_routes = world
    routes, _ = run_routes(lossy, ["Fucino"], ["Malindi"])
    sats = satellites_of(free)
    grid = TimeGrid.regular(free.epoch, free.duration_s, free.step_s)
    r = propagate(sats, grid).r_ecef_km
    builder = SnapshotBuilder.from_scenario(free, sats, r)  # no outages: the fault-free graph
    up, down = builder.n_sat + 0, builder.n_sat + builder.n_gs + 1  # Fucino up, Malindi down
    rerouted = 0
    for k, t in enumerate(grid.t_s.tolist()):
        src, dst, delay = builder.edges(r[:, k], t)
        g = nx.DiGraph()
        g.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), delay.tolist(), strict=True))
        if t >= T_LOSS_S and sat in g:
            g.remove_node(sat)
        try:
            want_ms = 2000.0 * nx.dijkstra_path_length(g, up, down)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            want_ms = np.nan
        got = routes.rtt_ms[k, 0]
        assert (np.isnan(want_ms) and np.isnan(got)) or abs(got - want_ms) < 1e-9, t
        path = routes.paths[k][0]
        if t >= T_LOSS_S:
            assert sat not in path.tolist()
            rerouted += sat in free_routes.paths[k][0].tolist()
        else:
            assert routes.path_hash[k, 0] == free_routes.path_hash[k, 0]
    assert rerouted > 0  # some routes did use it after t and had to change


def test_cgr_deliveries_booked_after_t_never_use_its_contacts(world):
    """Deliveries Fucino → Malindi ready after t (one every 5 min) on the cut plan use no
    contact of the lost satellite, and arrive no earlier than on the un-cut plan (fewer
    contacts can only delay)."""
    _, sat, _, _, lossy, run, _ = world
    cut = run.contacts
    uncut = build_contact_plan(lossy, run.ephemeris)
    idx = cut.nodes.index()
    f, m = idx["Fucino"], idx["Malindi"]
    cgr, ref = ContactGraphRouter(cut), ContactGraphRouter(uncut)
    used_sat_before = 0
    n = 0
    for t0 in np.arange(T_LOSS_S, lossy.duration_s - 1800, 300.0).tolist():
        d = cgr.deliver(f, m, t0, 1e6)
        d_ref = ref.route(f, m, t0, 1e6)
        if d_ref is not None:
            used_sat_before += any(sat in (uncut.src[c], uncut.dst[c]) for c in d_ref.contacts)
        if d is None:
            continue
        n += 1
        for c in d.contacts:
            assert sat not in (int(cut.src[c]), int(cut.dst[c]))
        assert d_ref is not None and d.arrival_s >= d_ref.arrival_s - 1e-9
    assert n > 0 and used_sat_before > 0  # un-cut, some of these deliveries went through it


def test_power_of_the_lost_satellite_is_zero_after_t_and_unchanged_before(world):
    _, sat, _, free_run, _, run, _ = world
    t = run.ephemeris.grid.t_s
    k = int(np.searchsorted(t[1:], T_LOSS_S, side="right"))  # the first dead step
    assert t[k + 1] > T_LOSS_S >= t[k]
    a, b = free_run.power, run.power
    assert a is not None and b is not None
    for flow in ("generated_w", "consumed_w", "compute_w", "compute_available_w"):
        fa, fb = getattr(a, flow), getattr(b, flow)
        assert np.array_equal(fa[sat, :k], fb[sat, :k]), flow
        assert np.all(fb[sat, k:] == 0.0), flow
    assert a.generated_w[sat, k:].sum() > 0  # it would have generated power
    assert np.abs(b.balance_residual_j()).max() < 1e-3


def test_storage_loses_and_counts_its_shards_and_repairs_them_at_the_next_scrub(
    world, tmp_path: Path
):
    name, _, _, _, lossy, run, _ = world
    log = EventLog()
    rep = _storage(lossy, run, tmp_path, log)
    d = rep.to_dict()
    assert d["nodes_lost"] == 1
    (lost_row,) = [r for r in log._rows if r[2] == "node_lost"]
    assert lost_row[0] == T_LOSS_S and lost_row[3] == name
    held = int(lost_row[5])
    assert held >= 1  # the test means something: it held shards
    assert d["shards_lost"] == held and d["repair_shards_rebuilt"] == held
    found = [r[0] for r in log._rows if r[2] == "shard_lost"]
    assert min(found) == 5400.0  # found by the first scrub after t (scrubs every 1800 s)
    assert d["objects_readable_at_end"] == 12
