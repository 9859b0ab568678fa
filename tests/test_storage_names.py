"""Names at the store's edge: node, tenant and bucket names follow the project rule, keys S3's;
names never become ids, so no (tenant, bucket, key) shares a file with another whatever
separators they contain; and no name makes the store touch anything outside its root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.storage import (
    InvalidNameError,
    ObjectStore,
    ShardStore,
    StorageNode,
    UnsafePathError,
    check_key,
)
from test_storage_crash import MASTER, check_store
from test_storage_service import _nodes

HOSTILE = ["..", ".", "a/b", "/etc", "x\0y", "", "../outside", "a\\b", " lead", "-dash", "é"]


def _snapshot(d: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(d)): (p.stat().st_mode, p.read_bytes() if p.is_file() else b"")
        for p in sorted(d.rglob("*"))
    }


@pytest.fixture
def sibling(tmp_path: Path) -> Path:
    """A directory beside the store root with content that must never change."""
    s = tmp_path / "outside"
    (s / "deep").mkdir(parents=True)
    (s / "precious.txt").write_text("do not touch")
    (s / "deep" / "x.v1.s0").write_bytes(b"looks like a shard")
    return s


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_node_names_are_refused_at_construction(tmp_path: Path, sibling: Path, bad: str):
    """A node named ``..``, ``a/b``, ``/etc``, with NUL, empty, ... is refused before anything
    is created; the message names the node and the rule."""
    before = _snapshot(tmp_path)
    nodes = [StorageNode("ok-1", "satellite", "c", "c/0"), StorageNode(bad, "satellite", "c", "")]
    with pytest.raises(InvalidNameError, match=r"storage node \[1\] name .* is not a valid name"):
        ObjectStore(tmp_path / "root", nodes, master_key=MASTER)
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("bad", ["..", ".", "a/b", "/etc", "../outside", "x\0y", ""])
def test_shardstore_refuses_every_path_outside_its_root(tmp_path: Path, sibling: Path, bad: str):
    """Defence in depth: ShardStore itself refuses node and shard names that leave the root, for
    drop_node, write, read, delete and names; the sibling directory is unchanged."""
    root = tmp_path / "root"
    s = ShardStore(root)
    s.write("n", "x.v1.s0", "own", 0, b"abc")
    before = _snapshot(tmp_path)
    for call in (
        lambda: s.drop_node(bad),
        lambda: s.write(bad, "x.v1.s0", "own", 0, b"evil"),
        lambda: s.write("n", bad, "own", 0, b"evil"),
        lambda: s.read(bad, "x.v1.s0", "own", 0),
        lambda: s.delete("n", bad),
        lambda: s.delete(bad, "x.v1.s0"),
        lambda: s.names(bad),
    ):
        with pytest.raises(UnsafePathError):
            call()
    assert _snapshot(tmp_path) == before


def test_a_node_directory_symlinked_out_of_the_root_is_refused(tmp_path: Path, sibling: Path):
    """A planted symlink ``<root>/evil -> ../outside`` resolves outside the root: writes, reads
    and drop_node refuse it and the sibling keeps its files."""
    root = tmp_path / "root"
    s = ShardStore(root)
    os.symlink(sibling, root / "evil")
    before = _snapshot(sibling)
    with pytest.raises(UnsafePathError, match="outside the store root"):
        s.drop_node("evil")
    with pytest.raises(UnsafePathError):
        s.write("evil", "x.v1.s0", "own", 0, b"evil")
    assert _snapshot(sibling) == before


@pytest.mark.parametrize("what", ["tenant", "bucket"])
@pytest.mark.parametrize("bad", [*HOSTILE, "x" * 65])
def test_hostile_tenant_and_bucket_names_are_refused(tmp_path: Path, what: str, bad: str):
    with ObjectStore(tmp_path, _nodes(), master_key=MASTER, fsync=False) as store:
        store.add_tenant("t")
        call = store.add_tenant if what == "tenant" else lambda b: store.create_bucket("t", b)
        with pytest.raises(InvalidNameError, match=f"{what} name"):
            call(bad)
        assert store.tenant_names() == ["t"] and store._tenants["t"].buckets == set()


def test_key_rule_is_s3s_utf8_1_to_1024_bytes_without_nul(tmp_path: Path):
    assert check_key("a") == "a" and check_key("é" * 512) == "é" * 512  # 1024 bytes
    for bad in ["", "y\0z", "é" * 512 + "x", "\ud800", 7]:
        with pytest.raises(InvalidNameError):
            check_key(bad)
    with ObjectStore(tmp_path, _nodes(), master_key=MASTER, fsync=False) as store:
        store.add_tenant("t")
        store.create_bucket("t", "x")
        with pytest.raises(InvalidNameError, match="without NUL"):
            store.put("t", "x", "y\0z", b"data")
        assert store.log.count("refused") == 1 and store.objects() == []


# separator tricks that pass validation: names that would collide under a join with "/", "-",
# ".", "\n" or by concatenation
TRICKS = [
    ("a", "b-c", "d"), ("a-b", "c", "d"), ("a", "b", "c-d"),
    ("a", "b.c", "d"), ("a.b", "c", "d"), ("a", "b", "c.d"),
    ("a", "b", "c/d"), ("a", "b", "c\\d"), ("a", "b", "c\nd"), ("a", "bc", "d"),
    ("a", "b", "cd"), ("ab", "c", "d"), ("a", "b", "../../../outside/x"), ("a", "b", "/etc/passwd"),
]  # fmt: skip


def test_separator_tricks_never_share_files_or_destroy_each_other(tmp_path: Path, sibling: Path):
    """Every (tenant, bucket, key) above gets its own object id and files; all read back their
    own bytes after all were put, also after one of them is overwritten and another deleted;
    keys shaped like paths change nothing outside the root. The NUL variants of the issue
    (bucket ``x\\0y`` + key ``z`` vs bucket ``x`` + key ``y\\0z``) are refused at the API."""
    before = _snapshot(sibling)
    with ObjectStore(tmp_path / "root", _nodes(), master_key=MASTER, fsync=False) as store:
        for tenant in sorted({t for t, _, _ in TRICKS}):
            store.add_tenant(tenant)
        for t, b, _ in TRICKS:
            store.create_bucket(t, b)
        with pytest.raises(InvalidNameError):
            store.create_bucket("a", "x\0y")
        with pytest.raises(InvalidNameError):
            store.put("a", "b", "y\0z", b"nul")
        ids = {}
        for j, (t, b, k) in enumerate(TRICKS):
            ids[(t, b, k)] = store.put(t, b, k, f"object {j}".encode() * 50).info.object_id
        assert len(set(ids.values())) == len(TRICKS)
        store.put("a", "b-c", "d", b"overwritten")
        store.delete("a-b", "c", "d")
        for j, (t, b, k) in enumerate(TRICKS):
            if (t, b, k) == ("a-b", "c", "d"):
                assert store.list(t, b) == []
                continue
            want = b"overwritten" if (t, b, k) == ("a", "b-c", "d") else f"object {j}".encode() * 50
            assert store.get(t, b, k).data == want
        owners: dict[str, str] = {}
        for o in store._all_objects():
            for i in o.shards:
                assert owners.setdefault(o.shard_name(i), o.key) == o.key
        check_store(store)
    assert _snapshot(sibling) == before


names = st.builds(lambda a, b: a + b, st.sampled_from("ab"), st.text(alphabet="ab-._", max_size=3))
keys = st.text(alphabet="ab-./\\\n\t é", min_size=1, max_size=6)


@settings(max_examples=25, deadline=None)
@given(triples=st.lists(st.tuples(names, names, keys), min_size=2, max_size=8, unique=True))
def test_any_distinct_triples_stay_separate(tmp_path_factory, triples):
    """Property: any distinct accepted (tenant, bucket, key) triples keep their own bytes."""
    root = tmp_path_factory.mktemp("prop")
    with ObjectStore(root, _nodes(), master_key=MASTER, fsync=False) as store:
        for t, b, _ in triples:
            if t not in store.tenant_names():
                store.add_tenant(t)
            store.create_bucket(t, b)
        for j, (t, b, k) in enumerate(triples):
            store.put(t, b, k, repr((j, t, b, k)).encode())
        for j, (t, b, k) in enumerate(triples):
            assert store.get(t, b, k).data == repr((j, t, b, k)).encode()
        check_store(store)
