"""Crash safety of the object store: a child process putting and deleting objects is killed
with SIGKILL at random moments, and after every reopen each acknowledged object reads back byte
for byte (or, for the one operation in flight, the old or the new state), no temp or orphan
file remains, file listing == catalog, and capacity accounting == the files on disk. Plus: the
restore of every kind of state on reopen, the crash protocol at its two windows (before and
after the commit), orphan sweeping, node-list mismatch, and the one-process lock.

The kill test forks the test process (no new interpreter per trial). Its oracle is the child's
own log, written to a pipe: ``intent`` before each operation and ``ack`` only after it returned,
each naming the key and the test's SHA-256 of the bytes (never the store's)."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from orbitcloud.storage import (
    Erasure,
    NodeMismatchError,
    NoSuchKeyError,
    ObjectStore,
    Replication,
    StorageNode,
    StoreLockedError,
    scrub,
)
from orbitcloud.storage.catalog import Catalog
from test_storage_service import _nodes

MASTER = bytes(range(32))  # the tests' master key (a real one comes from the environment)
N_KEYS = 24  # keys drawn with repetition: overwrites and deletes of existing objects
MAX_OBJECT_BYTES = 150_000


def _open(root: Path, nodes: list[StorageNode] | None = None, **kw: object) -> ObjectStore:
    return ObjectStore(root, nodes or _nodes(), master_key=MASTER, **kw)  # type: ignore[arg-type]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the kill -9 harness (also driven by benchmarks/bench_crash.py) -------------------------


def _child(root: Path, wfd: int, seed: int) -> None:
    """Run in the forked child: put (90 %) and delete (10 %) seeded random objects until
    killed, logging each operation to ``wfd`` before and after it. Never returns."""
    code = 0
    try:
        rng = np.random.default_rng(seed)
        with _open(root, fsync=True) as store:
            if "t" not in store.tenant_names():
                store.add_tenant("t", policy=Erasure(4, 2))
            store.create_bucket("t", "b")
            os.write(wfd, b"ready\n")
            while True:
                key = f"k{int(rng.integers(N_KEYS)):02d}"
                if rng.random() < 0.1:
                    os.write(wfd, f"intent del {key} -\n".encode())
                    try:
                        store.delete("t", "b", key)
                    except NoSuchKeyError:
                        os.write(wfd, f"ack nokey {key} - 0\n".encode())
                        continue
                    os.write(wfd, f"ack del {key} - 0\n".encode())
                    continue
                data = rng.bytes(int(rng.integers(0, MAX_OBJECT_BYTES)))
                h = _sha(data)
                os.write(wfd, f"intent put {key} {h}\n".encode())
                res = store.put("t", "b", key, data)
                os.write(wfd, f"ack put {key} {h} {res.info.version}\n".encode())
    except BaseException as err:  # report, never fall back into pytest
        os.write(wfd, f"error {type(err).__name__}: {err}\n".encode()[:4000])
        code = 1
    finally:
        os._exit(code)


@dataclass
class Model:
    """What the child acknowledged: the last acked hash per key (None: deleted), the operation
    in flight at the kill, and every acked version per key."""

    acked: dict[str, str | None] = field(default_factory=dict)
    versions: dict[str, list[int]] = field(default_factory=dict)
    acks: int = 0
    kills_before_ready: int = 0

    def apply(self, lines: list[str]) -> tuple[str, str, str | None] | None:
        pending: tuple[str, str, str | None] | None = None
        for line in lines:
            parts = line.split()
            if parts[0] == "error":
                raise AssertionError(f"child failed: {line}")
            if parts[0] == "intent":
                pending = (parts[1], parts[2], None if parts[3] == "-" else parts[3])
            elif parts[0] == "ack":
                op, key = parts[1], parts[2]
                if op == "put":
                    self.acked[key] = parts[3]
                    self.versions.setdefault(key, []).append(int(parts[4]))
                elif op == "del":
                    self.acked[key] = None
                self.acks += 1
                pending = None
        return pending


def _disk_files(root: Path) -> dict[tuple[str, str], int]:
    out = {}
    for p in (root / "shards").glob("*/*"):
        out[(p.parent.name, p.name)] = p.stat().st_size
    return out


def check_store(store: ObjectStore) -> None:
    """No temp files; file listing == the catalog's shard rows; used bytes per node == the
    sizes of its files on disk == the catalog's sum; every row's file has its recorded size."""
    root = store.root
    files = _disk_files(root)
    temps = list(root.rglob(".tmp-*"))
    assert temps == [], temps
    rows = {
        (store.nodes[s.node].name, o.shard_name(i)): s.file_bytes
        for o in store._all_objects()
        for i, s in o.shards.items()
        if s.ok
    }
    assert files == rows
    on_disk = np.zeros(len(store.nodes))
    for (node, _), size in files.items():
        on_disk[store.index[node]] += size
    assert np.array_equal(store.used_bytes, on_disk)
    cat = store.catalog.used_bytes()
    assert all(cat.get(i, 0) == on_disk[i] for i in range(len(store.nodes)))


def verify_against(store: ObjectStore, model: Model, pending: tuple[str, str, str | None] | None):
    """Every key reads as acknowledged, or as the operation in flight left it; nothing else."""
    keys = set(model.acked) | ({pending[1]} if pending else set())
    stored = {o.key for o in store.objects()}
    assert stored <= keys, f"objects nobody put: {stored - keys}"
    for key in sorted(keys):
        allowed = {model.acked.get(key)}
        if pending is not None and pending[1] == key:
            allowed.add(pending[2])  # put: its hash; delete: None
        try:
            got: str | None = _sha(store.get("t", "b", key).data)
        except NoSuchKeyError:
            got = None
        assert got in allowed, f"{key}: read {got}, acknowledged {allowed}"
        model.acked[key] = got  # the in-flight operation resolved, one way or the other
        if got is not None:
            version = store.head("t", "b", key).version
            assert version >= max(model.versions.get(key, [0]))
            if version not in model.versions.get(key, []):
                model.versions.setdefault(key, []).append(version)  # committed, ack lost


def crash_trials(root: Path, trials: int, seed: int, max_delay_s: float = 0.25) -> Model:
    """``trials`` fork-put-SIGKILL-reopen-check rounds on one store root (it accumulates)."""
    rng = np.random.default_rng(seed)
    model = Model()
    for trial in range(trials):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            _child(root, w, seed * 1000 + trial)
        os.close(w)
        reader = os.fdopen(r, "rb")
        if trial % 5 == 4:  # now and then kill while the child opens (recovery, sweep)
            time.sleep(float(rng.uniform(0.0, 0.03)))
            model.kills_before_ready += 1
        else:
            first = reader.readline()
            assert first == b"ready\n", first
            time.sleep(float(rng.uniform(0.0, max_delay_s)))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        lines = reader.read().decode().splitlines()
        reader.close()
        lines = [ln for ln in lines if ln and ln != "ready"]
        pending = model.apply(lines)
        with _open(root, fsync=True) as store:
            check_store(store)
            if "t" in store.tenant_names() and "b" in store._tenants["t"].buckets:
                verify_against(store, model, pending)
    for key, vs in model.versions.items():  # never a version twice, always growing
        assert vs == sorted(set(vs)), (key, vs)
    return model


def test_kill_9_at_random_moments_loses_nothing_acknowledged(tmp_path: Path):
    """24 seeded trials of SIGKILL during puts/deletes (every fifth during open): see the
    module docstring for the invariants checked after each reopen."""
    model = crash_trials(tmp_path / "store", trials=24, seed=14)
    assert model.acks >= 40, f"only {model.acks} operations acknowledged: the test tested little"
    assert sum(v is not None for v in model.acked.values()) >= 5


# --- reopen restores everything ---------------------------------------------------------------


def test_reopen_restores_objects_versions_tenants_buckets_failures_and_capacity(tmp_path: Path):
    """A store closed and reopened (same root, nodes, master key) answers exactly as before:
    objects and their bytes, head records, versions (also of a deleted key, which continues
    from its last number), tenants' policies and jurisdictions, buckets, lost nodes and shard
    marks, used bytes; a put to a reopened key overwrites nothing of the old version."""
    nodes = _nodes()
    with _open(tmp_path, nodes, fsync=False) as s1:
        s1.add_tenant("difesa", ["IT", "FR"], policy=Replication(2, ground_copy=True))
        s1.add_tenant("civile", policy=Erasure(3, 2))
        s1.create_bucket("difesa", "docs")
        s1.create_bucket("civile", "img")
        s1.create_bucket("civile", "empty")
        s1.put("difesa", "docs", "a", b"A1", station="G-IT")
        s1.put("difesa", "docs", "a", b"A2", station="G-IT")
        for i in range(5):
            s1.put("civile", "img", f"i{i}", bytes([i]) * 5000)
        s1.put("civile", "img", "gone", b"x")
        s1.put("civile", "img", "gone", b"y")
        s1.delete("civile", "img", "gone")
        victim = s1.put("civile", "img", "i0", bytes([0]) * 5000).nodes[0]
        s1.fail_node(victim, 5.0)
        scrub(s1, 6.0)
        before = (s1.objects(), s1.used_bytes.copy(), s1.alive.copy(), s1.tenant_names())
        policies = {n: (t.policy, t.sovereignty, set(t.buckets)) for n, t in s1._tenants.items()}
    with _open(tmp_path, nodes, fsync=False) as s2:
        assert s2.objects() == before[0]
        assert np.array_equal(s2.used_bytes, before[1])
        assert np.array_equal(s2.alive, before[2]) and not s2.alive[s2.index[victim]]
        assert s2.tenant_names() == before[3]
        assert {n: (t.policy, t.sovereignty, set(t.buckets)) for n, t in s2._tenants.items()} == (
            policies
        )
        assert s2.get("difesa", "docs", "a", station="G-IT").data == b"A2"
        assert s2.head("difesa", "docs", "a").version == 2
        for i in range(5):
            assert s2.get("civile", "img", f"i{i}").data == bytes([i]) * 5000
        assert s2.head("civile", "img", "i0").healthy_shards == 4  # the scrub's mark persisted
        assert s2.put("civile", "img", "gone", b"z").info.version == 3  # not 1: never reused
        assert s2.put("difesa", "docs", "a", b"A3", station="G-IT").info.version == 3
        assert s2.get("difesa", "docs", "a", station="G-IT").data == b"A3"
        assert s2.list("civile", "empty") == []
        check_store(s2)


def test_a_crash_before_the_commit_keeps_the_old_version(tmp_path: Path, monkeypatch):
    """The put dies after its new shards are written but before the catalog commit: the old
    version is still the one read (in this process and after reopening), and the new files are
    gone (removed by the failing put; a SIGKILL would leave them to the sweep on open)."""
    with _open(tmp_path, fsync=False) as store:
        store.add_tenant("t")
        store.create_bucket("t", "b")
        store.put("t", "b", "k", b"old" * 1000)

        def power_cut(self: Catalog, *a: object) -> None:
            raise KeyboardInterrupt("power cut")

        monkeypatch.setattr(Catalog, "put_object", power_cut)
        with pytest.raises(KeyboardInterrupt):
            store.put("t", "b", "k", b"new" * 1000)
        monkeypatch.undo()
        assert store.get("t", "b", "k").data == b"old" * 1000
        check_store(store)
    with _open(tmp_path, fsync=False) as store:
        assert store.get("t", "b", "k").data == b"old" * 1000
        assert store.put("t", "b", "k", b"newer").info.version == 3  # 2 was reserved, not reused
        check_store(store)


def test_a_crash_after_the_commit_keeps_the_new_version_and_sweeps_the_old(tmp_path, monkeypatch):
    """The put commits and dies before unlinking the old version's files: the new version is
    read; on reopen the old files (named by no row) are swept, the new ones kept."""
    with _open(tmp_path, fsync=False) as store:
        store.add_tenant("t")
        store.create_bucket("t", "b")
        old = store.put("t", "b", "k", b"old" * 1000)

        def power_cut(self: ObjectStore, o: object) -> None:
            raise KeyboardInterrupt("power cut")

        monkeypatch.setattr(ObjectStore, "_unlink", power_cut)
        with pytest.raises(KeyboardInterrupt):
            store.put("t", "b", "k", b"new" * 1000)
        monkeypatch.undo()
        old_files = {(n, f"{old.info.object_id}.v1.s{i}") for i, n in enumerate(old.nodes)}
        assert old_files <= set(_disk_files(tmp_path))  # still there
    with _open(tmp_path, fsync=False) as store:
        assert store.get("t", "b", "k").data == b"new" * 1000
        assert not old_files & set(_disk_files(tmp_path))
        assert store.log.count("store_recovered") == 1
        check_store(store)


def test_orphans_and_temp_files_are_swept_on_open_and_committed_files_kept(tmp_path: Path):
    with _open(tmp_path, fsync=False) as store:
        store.add_tenant("t")
        store.create_bucket("t", "b")
        res = store.put("t", "b", "k", b"data" * 100)
    node = tmp_path / "shards" / res.nodes[0]
    (node / "0123456789abcdef0123456789abcdef.v1.s0").write_bytes(b"orphan")
    (node / ".tmp-x.v1.s0.999.abcd").write_bytes(b"torn")
    with _open(tmp_path, fsync=False) as store:
        assert sorted(p.name for p in node.iterdir()) == [f"{res.info.object_id}.v1.s0"]
        assert store.get("t", "b", "k").data == b"data" * 100
        check_store(store)


def test_another_node_list_is_refused_with_the_difference(tmp_path: Path):
    """Node names and order are fixed at creation: fewer nodes, other names or another order
    are refused with a message naming the difference; capacities may change."""
    nodes = _nodes()
    with _open(tmp_path, nodes, fsync=False) as store:
        store.add_tenant("t")
    with pytest.raises(NodeMismatchError, match=r"only in the store \['G-KE'\]"):
        _open(tmp_path, nodes[:-1])
    with pytest.raises(NodeMismatchError, match="another order"):
        _open(tmp_path, nodes[::-1])
    bigger = [StorageNode(n.name, n.kind, n.constellation, n.plane, n.jurisdiction, 2e9)
              for n in nodes]  # fmt: skip
    with _open(tmp_path, bigger, fsync=False) as store:
        assert store.tenant_names() == ["t"] and store.capacity_bytes[0] == 2e9


# --- one process at a time --------------------------------------------------------------------


def test_a_second_process_is_refused_and_the_first_keeps_working(tmp_path: Path):
    """While this process holds the store, a forked process opening it gets StoreLockedError
    naming the root and this pid, and touches nothing (an in-flight temp file survives); this
    process then still puts and gets. A second store object in the same process is refused too;
    after close() the root opens again."""
    store = _open(tmp_path, fsync=False)
    store.add_tenant("t")
    store.create_bucket("t", "b")
    store.put("t", "b", "before", b"1")
    inflight = tmp_path / "shards" / "c0-0-0" / ".tmp-inflight.v1.s0.1.aaaa"
    inflight.parent.mkdir(parents=True, exist_ok=True)
    inflight.write_bytes(b"being written")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        msg, code = b"opened: not refused", 1
        try:
            _open(tmp_path, fsync=False)
        except StoreLockedError as err:
            msg, code = str(err).encode(), 0
        except BaseException as err:
            msg = repr(err).encode()
        finally:
            os.write(w, msg[:4000])
            os._exit(code)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(r, "rb") as f:
        msg = f.read().decode()
    assert os.waitstatus_to_exitcode(status) == 0, msg
    assert str(tmp_path) in msg and f"process {os.getpid()}" in msg
    assert inflight.exists()
    store.put("t", "b", "after", b"2")
    assert store.get("t", "b", "before").data == b"1"
    assert store.get("t", "b", "after").data == b"2"
    with pytest.raises(StoreLockedError, match=str(os.getpid())):
        _open(tmp_path, fsync=False)
    inflight.unlink()
    store.close()
    with _open(tmp_path, fsync=False) as again:
        assert again.get("t", "b", "after").data == b"2"
