"""Storage timing over hand-made contact plans (arrival times worked out by hand from the CGR
volume model: a bundle of B bytes on a contact of r bytes/s starts when the contact opens or
its booked volume has been sent, arrives B/r + owlt later), sovereign routing, outages, get
latency from the k earliest shards, and timed repair over ISLs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from orbitcloud.links.contactplan import ContactPlan, NodeTable
from orbitcloud.storage import (
    Erasure,
    FaultEvent,
    NetworkTimer,
    ObjectStore,
    Replication,
    StorageNode,
    apply_fault,
    repair,
    scrub,
)

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
RATE_BPS = 8e6  # 1e6 bytes/s
R = 1e6


def _setup(
    tmp_path: Path, n_sat: int, ground: list[tuple[str, str]], rows: list[tuple], **kw: object
) -> ObjectStore:
    """Satellites S0.. (one plane each) and ground stations; rows (src, dst, start, end, owlt)
    by node name at RATE_BPS."""
    names = [f"S{i}" for i in range(n_sat)] + [g for g, _ in ground]
    nodes = NodeTable(names, n_sat, ["c"] * n_sat + ["ground"] * len(ground),
                      [""] * n_sat + [j for _, j in ground])  # fmt: skip
    ix = nodes.index()
    a = np.asarray(rows, dtype=object)
    plan = ContactPlan.from_light_times(
        EPOCH, 1e5, nodes,
        np.asarray([ix[s] for s in a[:, 0]]), np.asarray([ix[d] for d in a[:, 1]]),
        a[:, 2].astype(float), a[:, 3].astype(float), np.full(len(rows), RATE_BPS),
        a[:, 4].astype(float),
    )  # fmt: skip
    snodes = [StorageNode(f"S{i}", "satellite", "c", f"c/{i}", "", 1e9) for i in range(n_sat)]
    snodes += [StorageNode(g, "ground", "ground", g, j, 1e9) for g, j in ground]
    return ObjectStore(tmp_path, snodes, NetworkTimer(plan), fsync=False, **kw)  # type: ignore[arg-type]


def test_object_is_durable_when_its_last_shard_lands(tmp_path: Path):
    """Two copies up through one pass and an ISL: the second shard waits for the first on the
    uplink (booked volume), so landing times follow by hand."""
    store = _setup(
        tmp_path, 2, [("G-IT", "IT")],
        [("G-IT", "S0", 100, 200, 0.01), ("S0", "S1", 0, 1000, 0.02)],
    )  # fmt: skip
    store.add_tenant("t", policy=Replication(2))
    store.create_bucket("t", "b")
    res = store.put("t", "b", "k", b"a" * 20_000, t_s=50.0, station="G-IT")
    b = res.transfers[0].size_bytes
    direct = 100 + b / R + 0.01  # whichever shard is sent first to S0
    if res.nodes[0] == "S0":
        times = {"S0": direct, "S1": 100 + 2 * b / R + 0.01 + b / R + 0.02}
    else:
        times = {"S1": 100 + b / R + 0.01 + b / R + 0.02, "S0": 100 + 2 * b / R + 0.01}
    assert res.durable_s == pytest.approx(max(times.values()), abs=1e-9)
    assert res.k_durable_s == pytest.approx(min(times.values()), abs=1e-9)
    landed = [r for r in store.log._rows if r[2] == "shard_landed"]
    assert sorted(r[0] for r in landed) == pytest.approx(sorted(times.values()))
    assert store.log.count("object_durable") == 1


def test_restricted_tenant_never_transits_a_foreign_station(tmp_path: Path):
    """The fast path to S1 goes down to Kenya and up again; the IT-only tenant waits for the
    ISL at t = 500 instead, the unrestricted tenant takes the fast path."""
    rows = [
        ("G-IT", "S0", 0, 10, 0.0), ("S0", "G-KE", 10, 20, 0.0),
        ("G-KE", "S1", 20, 30, 0.0), ("S0", "S1", 500, 600, 0.0),
    ]  # fmt: skip
    store = _setup(tmp_path, 2, [("G-IT", "IT"), ("G-KE", "KE")], rows)
    store.add_tenant("difesa", ["IT"], policy=Replication(2))
    store.add_tenant("civile", policy=Replication(2))
    ke = store.index["G-KE"]
    plan = store.timer.plan  # type: ignore[union-attr]
    for tenant, lo, hi in (("difesa", 500, 600), ("civile", 20, 30)):
        store.create_bucket(tenant, "b")
        res = store.put(tenant, "b", "k", b"x" * 1000, t_s=0.0, station="G-IT")
        assert lo < res.durable_s < hi
        used = [c for tr in res.transfers for c in tr.contacts]
        touches_ke = any(plan.src[c] == ke or plan.dst[c] == ke for c in used)
        assert touches_ke == (tenant == "civile")


def test_station_outage_pushes_the_upload_to_a_later_pass(tmp_path: Path):
    """Clouds over the station during the first pass: the shard goes up on the second."""
    rows = [("G-IT", "S0", 100, 200, 0.0), ("G-IT", "S0", 1000, 1100, 0.0)]
    store = _setup(tmp_path, 1, [("G-IT", "IT")], rows)
    store.add_tenant("t", policy=Replication(1))
    store.create_bucket("t", "b")
    apply_fault(store, FaultEvent(50.0, "station_outage", "G-IT", 500.0), np.random.default_rng(0))
    res = store.put("t", "b", "k", b"x" * 1000, t_s=60.0, station="G-IT")
    assert res.durable_s == pytest.approx(1000 + res.transfers[0].size_bytes / R)
    assert store.log.count("station_outage") == 1


def test_get_waits_for_the_k_earliest_verified_shards(tmp_path: Path):
    """2+1 on S0, S1, S2 whose downlinks to G-FR open at 300, 700, 2000: a get at 200 is ready
    when the second shard arrives (700 + B/r); with S1's shard corrupted, at 2000 + B/r."""
    rows = [("G-IT", f"S{i}", 0, 100, 0.0) for i in range(3)]
    rows += [(f"S{i}", "G-FR", t0, t0 + 100, 0.005) for i, t0 in enumerate((300, 700, 2000))]
    store = _setup(tmp_path, 3, [("G-IT", "IT"), ("G-FR", "FR")], rows)
    store.add_tenant("t", policy=Erasure(2, 1))
    store.create_bucket("t", "b")
    data = b"d" * 5000
    res = store.put("t", "b", "k", data, t_s=0.0, station="G-IT")
    b = res.transfers[0].size_bytes
    g = store.get("t", "b", "k", t_s=200.0, station="G-FR")
    assert g.data == data
    assert g.ready_s == pytest.approx(700 + b / R + 0.005)
    idx = {n: i for i, n in enumerate(res.nodes)}
    oid = res.info.object_id
    store.shards.flip_bit("S1", f"{oid}.v1.s{idx['S1']}", 8 * (b - 3))
    g2 = store.get("t", "b", "k", t_s=200.0, station="G-FR")
    assert g2.data == data
    assert g2.ready_s == pytest.approx(2000 + b / R + 0.005)
    assert store.log.count("shard_corrupted_detected") == 1


def test_timed_repair_gathers_k_shards_over_isls(tmp_path: Path):
    """2+1 on three of four satellites; the holder S_h is lost; the spare rebuilds from the two
    others, whose ISLs to it open at 100 x (source index): done when the later one arrives.
    Traffic is k = 2 shard files, one hop each."""
    rows = [("G-IT", f"S{i}", 0, 50, 0.0) for i in range(4)]
    rows += [(f"S{i}", f"S{j}", 100 * i, 9000, 0.001) for i in range(4) for j in range(4) if i != j]
    store = _setup(tmp_path, 4, [("G-IT", "IT")], rows)
    store.add_tenant("t", policy=Erasure(2, 1))
    store.create_bucket("t", "b")
    data = b"r" * 3000
    res = store.put("t", "b", "k", data, t_s=0.0, station="G-IT")
    b = res.transfers[0].size_bytes
    spare = ({"S0", "S1", "S2", "S3"} - set(res.nodes)).pop()
    lost, *sources = res.nodes
    store.fail_node(lost, 60.0)
    scrub(store, 150.0)
    r = repair(store, 150.0)
    expect = max(max(150.0, 100 * int(s[1])) + b / R + 0.001 for s in sources)
    assert r.shards_rebuilt == 1
    assert r.finished_s == pytest.approx(expect)
    assert r.traffic_bytes == r.link_bytes == 2 * b
    o = store._objects[("t", "b", "k")]
    assert store.nodes[o.shards[0].node].name == spare
    store.fail_node(sources[0], 9000.0)
    assert store.get("t", "b", "k").data == data
