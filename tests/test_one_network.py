"""One network per run: the compute engine and the storage service book contact volume in the
same ledger (:class:`orbitcloud.network.ledger.Network`), so together they never send more over
a contact than it carries (rate x duration). Hand-built plan: ground station G and satellite
S0, uplink contacts of known rate and duration; times worked out by hand from the CGR volume
model (a bundle of B bytes on a contact of r bytes/s starts when the contact opens or its
booked volume has been sent, and arrives B/r + owlt later)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from orbitcloud.links.contactplan import ContactPlan, NodeTable
from orbitcloud.network.ledger import Network
from orbitcloud.sim.engine import Engine, Sent
from orbitcloud.storage import NetworkTimer, ObjectStore, Replication, StorageNode
from orbitcloud.storage.placement import PlacementError

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
R = 1_000.0  # bytes/s on every contact
OWLT_S = 0.01
VOLUME = 100 * R  # the first contact: [100, 200] s
COMPUTE_BYTES = 80_000.0
OBJECT_BYTES = 40_000  # with the first contact's leftover (20 kB) it cannot fit there


def _network(windows: list[tuple[float, float]]) -> Network:
    """G (node 1) → S0 (node 0) contacts over ``windows`` at R bytes/s."""
    nodes = NodeTable(["S0", "G"], 1, ["c", "ground"], ["", "IT"])
    n = len(windows)
    w = np.asarray(windows, dtype=float)
    plan = ContactPlan.from_light_times(
        EPOCH, 1e4, nodes, np.ones(n, dtype=np.intp), np.zeros(n, dtype=np.intp),
        w[:, 0], w[:, 1], np.full(n, 8 * R), np.full(n, OWLT_S),
    )  # fmt: skip
    return Network(plan)


def _compute_send(net: Network, size: float) -> Sent:
    """The compute engine moves ``size`` bytes G → S0 from t = 0 on ``net``."""
    engine = Engine(net.plan, 1, 0.0, net)
    proc = engine.env.process(engine.send("compute-orbit", "job-0", 1, 0, size))
    engine.run()
    out: Sent = proc.value
    return out


def _store(tmp_path: Path, net: Network) -> ObjectStore:
    nodes = [StorageNode("S0", "satellite", "c", "c/0", "", 1e9),
             StorageNode("G", "ground", "ground", "G", "IT", 1e9)]  # fmt: skip
    store = ObjectStore(tmp_path, nodes, NetworkTimer(net), fsync=False)
    store.add_tenant("t", policy=Replication(1))
    store.create_bucket("t", "b")
    return store


def test_compute_then_storage_never_book_more_than_the_contact_carries(tmp_path: Path):
    """One contact: compute takes 80 kB of its 100 kB; the storage shard (40 kB) does not fit
    in what is left, so the put is refused and the contact stays within its volume."""
    net = _network([(100.0, 200.0)])
    sent = _compute_send(net, COMPUTE_BYTES)
    assert sent.delivery is not None and sent.delivery.contacts == (0,)
    assert sent.arrival_s == pytest.approx(100 + COMPUTE_BYTES / R + OWLT_S)
    with _store(tmp_path, net) as store, pytest.raises(PlacementError, match="0 of 1 shards"):
        store.put("t", "b", "k", b"x" * OBJECT_BYTES, t_s=0.0, station="G")
    assert net.booked_bytes[0] <= net.volume_bytes[0]
    assert net.booked_bytes[0] == COMPUTE_BYTES
    assert net.booked_by("storage")[0] == 0.0  # the refused put gave back nothing it kept


def test_the_second_service_is_delayed_to_a_later_contact(tmp_path: Path):
    """With a second contact [500, 600] the storage shard waits for it (compute filled the
    first), and each contact's booked bytes are the sum of what the two services sent on it."""
    net = _network([(100.0, 200.0), (500.0, 600.0)])
    sent = _compute_send(net, COMPUTE_BYTES)
    with _store(tmp_path, net) as store:
        res = store.put("t", "b", "k", b"x" * OBJECT_BYTES, t_s=0.0, station="G")
    (tr,) = res.transfers
    assert tr.contacts == (1,)
    assert res.durable_s == pytest.approx(500 + tr.size_bytes / R + OWLT_S, abs=1e-9)
    assert np.all(net.booked_bytes <= net.volume_bytes)
    compute = np.zeros(2)
    assert sent.delivery is not None
    compute[list(sent.delivery.contacts)] += COMPUTE_BYTES
    storage = np.zeros(2)
    for t in res.transfers:
        storage[list(t.contacts)] += t.size_bytes
    assert np.array_equal(net.booked_by("compute-orbit"), compute)
    assert np.array_equal(net.booked_by("storage"), storage)
    assert np.array_equal(net.booked_bytes, compute + storage)
    assert net.services == ["compute-orbit", "storage"]


def test_storage_first_delays_compute_the_same_way(tmp_path: Path):
    """The ledger does not care who books first: a shard on the first contact pushes the
    compute bundle behind it (start = 100 + shard / R) or, if it no longer fits, to the next
    contact."""
    net = _network([(100.0, 200.0), (500.0, 600.0)])
    with _store(tmp_path, net) as store:
        res = store.put("t", "b", "k", b"x" * OBJECT_BYTES, t_s=0.0, station="G")
    shard = res.transfers[0].size_bytes
    assert res.transfers[0].contacts == (0,)
    small = _compute_send(net, VOLUME - shard)  # exactly what is left
    assert small.delivery is not None and small.delivery.contacts == (0,)
    assert small.delivery.tx_start_s[0] == pytest.approx(100 + shard / R)
    late = _compute_send(net, 1.0)
    assert late.delivery is not None and late.delivery.contacts == (1,)
    assert net.booked_bytes[0] == pytest.approx(VOLUME)


def test_a_contact_taken_down_by_a_storage_fault_is_gone_for_every_service():
    """A fault applied inside the storage run takes the contacts down in the shared network:
    the bytes compute booked there stay in the ledger, and nobody can book there afterwards."""
    net = _network([(100.0, 200.0), (500.0, 600.0)])
    _compute_send(net, 10_000.0)
    timer = NetworkTimer(net)
    assert timer.take_down(0, 150.0, 550.0) == 2
    assert not net.up.any() and timer.up is net.up
    assert net.booked_bytes[0] == 10_000.0
    assert timer.route(1, 0, 0.0, 10.0) is None
    assert _compute_send(net, 10.0).delivery is None


def test_a_fork_books_apart_from_the_world():
    """A counterfactual run (the ground mode) books on a fork: the world's ledger is as before."""
    net = _network([(100.0, 200.0)])
    _compute_send(net, 10_000.0)
    what_if = net.fork()
    _compute_send(what_if, 50_000.0)
    assert net.booked_bytes[0] == 10_000.0
    assert what_if.booked_bytes[0] == 60_000.0
    assert math.isclose(what_if.booked_by("compute-orbit")[0], 60_000.0)
