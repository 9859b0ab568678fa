"""The object store on real bytes: the issue's invariants as properties (readable exactly when
>= k shards survive uncorrupted, never different bytes), tenant isolation, capacity, failure
domains, sovereignty refusals, scrub and repair."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from orbitcloud.sim.events import EventLog
from orbitcloud.storage import (
    DataKey,
    Erasure,
    IntegrityError,
    NoSuchBucketError,
    NoSuchKeyError,
    ObjectLostError,
    ObjectStore,
    PlacementError,
    Replication,
    SovereigntyError,
    StorageNode,
    codec_for,
    open_sealed,
    repair,
    scrub,
)
from orbitcloud.storage.shardstore import shard_file_bytes

PLANES, PER_PLANE = 6, 3


def _nodes(capacity_bytes: float = 1e9, constellations: int = 1) -> list[StorageNode]:
    out = []
    for c in range(constellations):
        for p in range(PLANES):
            for s in range(PER_PLANE):
                out.append(StorageNode(f"c{c}-{p}-{s}", "satellite", f"c{c}", f"c{c}/{p}", "",
                                       capacity_bytes))  # fmt: skip
    out.append(StorageNode("G-IT", "ground", "ground", "G-IT", "IT", 1e12))
    out.append(StorageNode("G-KE", "ground", "ground", "G-KE", "KE", 1e12))
    return out


def _store(root: Path, **kw: object) -> ObjectStore:
    nodes = kw.pop("nodes", None) or _nodes()
    return ObjectStore(root, nodes, fsync=False, **kw)  # type: ignore[arg-type]


policies = st.one_of(
    st.builds(Erasure, k=st.integers(1, 5), m=st.integers(1, 3)),
    st.builds(Replication, copies=st.integers(1, 4)),
)


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(min_size=0, max_size=4000),
    policy=policies,
    fate=st.lists(st.sampled_from(["ok", "lost", "node_lost", "flipped"]), min_size=8, max_size=8),
    bit=st.integers(0, 10**6),
)
@example(data=b"", policy=Erasure(4, 2), fate=["lost", "flipped"] + ["ok"] * 6, bit=0)
@example(data=b"abcde", policy=Erasure(4, 2), fate=["lost"] * 3 + ["ok"] * 5, bit=0)
def test_readable_exactly_when_k_shards_survive_and_never_different(data, policy, fate, bit):
    """After any mix of deleted shards, lost nodes and flipped bits, ``get`` returns the exact
    bytes put if at least k shards survive uncorrupted, and raises ObjectLostError otherwise;
    ``head`` then agrees."""
    with tempfile.TemporaryDirectory() as d, _store(Path(d)) as store:
        store.add_tenant("t", policy=policy)
        store.create_bucket("t", "b")
        res = store.put("t", "b", "key", data)
        oid, n, k = res.info.object_id, policy.n, policy.k
        survivors = 0
        for i, node in enumerate(res.nodes):
            name = f"{oid}.v1.s{i}"
            what = fate[i % len(fate)]
            if what == "lost":
                store.shards.delete(node, name)
            elif what == "node_lost":
                store.fail_node(node, 0.0)
            elif what == "flipped":
                size = store.shards.file_bytes(node, name)
                store.shards.flip_bit(node, name, bit % (8 * size))
            else:
                survivors += 1
        assert n == res.info.n and len(res.nodes) == n
        if survivors >= k:
            assert store.get("t", "b", "key").data == data
            assert not store.head("t", "b", "key").lost
        else:
            with pytest.raises(ObjectLostError):
                store.get("t", "b", "key")
            assert store.head("t", "b", "key").lost


def test_a_megabyte_object_reads_back(tmp_path: Path):
    """4+2 of a 1 MB object whose size is not a multiple of k comes back byte for byte."""
    store = _store(tmp_path)
    store.add_tenant("t", policy=Erasure(4, 2))
    store.create_bucket("t", "b")
    data = np.random.default_rng(0).bytes(1_000_003)
    store.put("t", "b", "k", data)
    assert store.get("t", "b", "k").data == data


def test_tenant_isolation(tmp_path: Path):
    """Another tenant cannot get, head or list an object, even with a bucket of the same name;
    and the raw shards do not open under its key (neither by the store, which sees the blob names
    a key of another tenant, nor by AES-GCM when b's key bytes are relabelled with a's key id)."""
    store = _store(tmp_path)
    store.add_tenant("a")
    store.add_tenant("b")
    store.create_bucket("a", "shared-name")
    res = store.put("a", "shared-name", "secret", b"top secret")
    for call in (
        lambda: store.get("b", "shared-name", "secret"),
        lambda: store.head("b", "shared-name", "secret"),
        lambda: store.list("b", "shared-name"),
    ):
        with pytest.raises(NoSuchBucketError):
            call()
    store.create_bucket("b", "shared-name")
    assert store.list("b", "shared-name") == []
    with pytest.raises(NoSuchKeyError):
        store.get("b", "shared-name", "secret")
    assert [o.key for o in store.list("a", "shared-name")] == ["secret"]
    # b reads a's shard files directly and decodes them: authentication fails under b's key
    oid = res.info.object_id
    frags = {}
    for i, node in enumerate(res.nodes):
        r = store.shards.read(node, f"{oid}.v1.s{i}", f"{oid}/v1", i)
        frags[i] = r.payload
    blob = codec_for(res.info.k, res.info.n).decode(frags)
    with pytest.raises(IntegrityError, match="not a key of tenant 'b'"):
        store.unseal("b", blob, oid, 1)
    a_key, b_key = store._tenants["a"].key, store._tenants["b"].key
    with pytest.raises(IntegrityError, match="AES-GCM authentication"):
        open_sealed(DataKey(a_key.key_id, b_key.key), blob, oid, 1)
    assert open_sealed(a_key, blob, oid, 1) == b"top secret"
    assert store.unseal("a", blob, oid, 1) == b"top secret"


def test_tampered_shards_with_rewritten_headers_are_never_returned(tmp_path: Path):
    """An attacker rewrites k shard files with altered but self-consistent payloads: the
    catalog checksums reject them, so the object is reported lost rather than returned."""
    store = _store(tmp_path)
    store.add_tenant("t", policy=Erasure(2, 1))
    store.create_bucket("t", "b")
    res = store.put("t", "b", "k", b"x" * 1000)
    oid = res.info.object_id
    for i in range(2):
        node, name = res.nodes[i], f"{oid}.v1.s{i}"
        payload = bytearray(store.shards.read(node, name, f"{oid}/v1", i).payload or b"")
        payload[-1] ^= 0xFF
        store.shards.write(node, name, f"{oid}/v1", i, bytes(payload))
    with pytest.raises(ObjectLostError):
        store.get("t", "b", "k")
    assert store.log.count("shard_corrupted_detected") == 2


def test_capacity_is_enforced_and_freed_on_delete(tmp_path: Path):
    """Six nodes with room for exactly one shard each: a first 4+2 object fills them, a second
    is refused until the first is deleted."""
    data = b"y" * 4000
    # fragment: sealed 4045 bytes (45 bytes of format, key id, nonce and tag) / 4 = 1011.25,
    # rounded up to whole 16-bit words = 1012, plus the 80-byte pyeclib header
    probe = _store(tmp_path / "probe")
    probe.add_tenant("t")
    probe.create_bucket("t", "b")
    oid = probe.put("t", "b", "k", data).info.object_id
    file_bytes = shard_file_bytes(1012 + 80, f"{oid}/v1")
    six = [StorageNode(f"s{p}", "satellite", "c", f"c/{p}", "", file_bytes) for p in range(6)]
    store = _store(tmp_path / "six", nodes=six)
    store.add_tenant("t")
    store.create_bucket("t", "b")
    store.put("t", "b", "k", data)
    assert np.all(store.used_bytes == file_bytes)
    with pytest.raises(PlacementError, match="only 0 of 6 are alive with room"):
        store.put("t", "b", "k2", data)
    assert store.log.count("refused") == 1
    store.delete("t", "b", "k")
    assert np.all(store.used_bytes == 0)
    store.put("t", "b", "k2", data)


@pytest.mark.parametrize(
    ("policy", "attr"),
    [
        (Erasure(4, 2, distinct_planes=True), "plane"),
        (Replication(2, distinct_constellations=True), "constellation"),
    ],
)
def test_placement_respects_failure_domains(tmp_path: Path, policy, attr):
    """Over many objects, no two shards of one object share a plane (or a constellation)
    when asked, and every shard is on a distinct satellite."""
    store = _store(tmp_path, nodes=_nodes(constellations=2))
    store.add_tenant("t", policy=policy)
    store.create_bucket("t", "b")
    by_name = {n.name: n for n in store.nodes}
    seen = set()
    for i in range(40):
        res = store.put("t", "b", f"k{i}", b"z" * 100)
        domains = [getattr(by_name[n], attr) for n in res.nodes]
        assert len(set(domains)) == len(domains) == policy.n
        seen.update(res.nodes)
    assert len(seen) > 12  # spread, not always the same nodes


def test_too_few_planes_is_refused_with_the_reason(tmp_path: Path):
    """7 shards on 6 planes cannot be placed in distinct planes."""
    store = _store(tmp_path)
    store.add_tenant("t", policy=Erasure(5, 2, distinct_planes=True))
    store.create_bucket("t", "b")
    with pytest.raises(PlacementError, match="distinct planes"):
        store.put("t", "b", "k", b"data")


def test_sovereignty_refusal_names_station_and_jurisdiction(tmp_path: Path):
    """A MILSCA-like tenant (IT and allies) may not uplink or downlink at a KE station, nor
    keep its ground copy there; an unrestricted tenant may."""
    store = _store(tmp_path)
    store.add_tenant("difesa", ["IT", "FR", "DE"], policy=Replication(2, ground_copy=True))
    store.add_tenant("civile", policy=Replication(2, ground_copy=True))
    for t in ("difesa", "civile"):
        store.create_bucket(t, "b")
    with pytest.raises(SovereigntyError) as e:
        store.put("difesa", "b", "k", b"classified", station="G-KE")
    msg = str(e.value)
    assert "G-KE" in msg and "KE" in msg and "DE, FR, IT" in msg and "uplink" in msg
    assert (e.value.station, e.value.jurisdiction) == ("G-KE", "KE")
    assert store.log.count("refused") == 1
    res = store.put("difesa", "b", "k", b"classified", station="G-IT")
    assert res.nodes[0] == "G-IT"  # the ground copy stays at the (allowed) uploading station
    with pytest.raises(SovereigntyError, match="downlink at station 'G-KE'"):
        store.get("difesa", "b", "k", station="G-KE")
    assert store.get("difesa", "b", "k", station="G-IT").data == b"classified"
    assert store.put("civile", "b", "k", b"open", station="G-KE").nodes[0] == "G-KE"


def test_scrub_detects_and_repair_rebuilds_with_k_shards_of_traffic(tmp_path: Path):
    """A lost node and a flipped bit: scrub finds one missing and one corrupted shard, repair
    rebuilds both on unused planes moving k shard files each (no network: instantaneous), and
    the object then survives two more losses."""
    log = EventLog()
    store = _store(tmp_path, log=log)
    store.add_tenant("t", policy=Erasure(4, 2, distinct_planes=True))
    store.create_bucket("t", "b")
    data = b"q" * 10_000
    res = store.put("t", "b", "k", data)
    oid = res.info.object_id
    store.fail_node(res.nodes[0], 10.0)
    store.shards.flip_bit(res.nodes[1], f"{oid}.v1.s1", 8 * 500)
    s = scrub(store, 20.0)
    assert (s.shards_checked, s.shards_missing, s.shards_corrupted, s.objects_lost) == (6, 1, 1, 0)
    r = repair(store, 20.0)
    file_bytes = store.shards.file_bytes(res.nodes[2], f"{oid}.v1.s2")
    assert r.shards_rebuilt == 2 and r.shards_failed == 0
    assert r.traffic_bytes == 2 * 4 * file_bytes
    assert store.head("t", "b", "k").healthy_shards == 6
    planes = {store.nodes[s.node].plane for s in store._objects[("t", "b", "k")].shards.values()}
    assert len(planes) == 6
    for node in res.nodes[2:4]:
        store.fail_node(node, 30.0)
    assert store.get("t", "b", "k").data == data
    assert math.isnan(store.head("t", "b", "k").durable_s) is False


def test_versions_replace_old_shards_and_list_filters_by_prefix(tmp_path: Path):
    store = _store(tmp_path)
    store.add_tenant("t")
    store.create_bucket("t", "b")
    store.put("t", "b", "logs/1", b"v1")
    used_after_one = store.used_bytes.sum()
    res = store.put("t", "b", "logs/1", b"v2")
    store.put("t", "b", "img/1", b"i")
    assert res.info.version == 2
    assert store.get("t", "b", "logs/1").data == b"v2"
    assert store.used_bytes.sum() == pytest.approx(2 * used_after_one)
    assert [o.key for o in store.list("t", "b", prefix="logs/")] == ["logs/1"]
    store.delete("t", "b", "logs/1")
    with pytest.raises(NoSuchKeyError):
        store.head("t", "b", "logs/1")
