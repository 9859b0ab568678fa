"""What the S3 gateway needs from the store: per-version attributes committed with the version
(and surviving close/reopen, key rotation, repair and SIGKILL), an old-format catalog that
opens and migrates, bucket creation/deletion/listing with creation times, and object listing in
UTF-8 byte order paged with ``start_after``/``limit``."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from orbitcloud.storage import (
    ATTRS_MAX_BYTES,
    BucketInfo,
    BucketNotEmptyError,
    CatalogError,
    Erasure,
    InvalidAttrsError,
    NoSuchBucketError,
    ObjectStore,
    repair,
    scrub,
)
from orbitcloud.storage.catalog import FORMAT_VERSION
from test_storage_crash import MASTER, _open, _sha, check_store
from test_storage_service import _nodes


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _iso(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1] + "+00:00")


def _store(root: Path) -> ObjectStore:
    return ObjectStore(root, _nodes(), master_key=MASTER, fsync=False)


# --- attrs --------------------------------------------------------------------------------


def test_attrs_round_trip_through_close_and_reopen(tmp_path: Path):
    """Attributes come back from head and list, after a reopen too; a new put replaces them
    (a put without attrs leaves none); the record stays frozen and hashable and its view
    read-only."""
    attrs = {"ETag": '"' + _md5(b"hello") + '"', "Content-Type": "text/plain; charset=utf-8",
             "x-amz-meta-città": "Torino — 東京", "x-amz-meta-empty": ""}  # fmt: skip
    with _store(tmp_path) as s:
        s.add_tenant("t")
        s.create_bucket("t", "b")
        res = s.put("t", "b", "k", b"hello", attrs=attrs)
        s.put("t", "b", "plain", b"x")
        assert dict(res.info.attrs) == attrs
        assert dict(s.head("t", "b", "plain").attrs) == {}
    with _store(tmp_path) as s:
        info = s.head("t", "b", "k")
        assert dict(info.attrs) == attrs
        assert info == res.info and hash(info) == hash(res.info)
        assert [dict(i.attrs) for i in s.list("t", "b")] == [attrs, {}]  # "k" < "plain"
        with pytest.raises(TypeError):
            info.attrs["ETag"] = "x"  # type: ignore[index]
        s.put("t", "b", "k", b"again", attrs={"ETag": "v2"})
        assert dict(s.head("t", "b", "k").attrs) == {"ETag": "v2"}
        s.put("t", "b", "k", b"third")
        assert dict(s.head("t", "b", "k").attrs) == {}
    with _store(tmp_path) as s:
        assert dict(s.head("t", "b", "k").attrs) == {}
        assert s.get("t", "b", "k").data == b"third"


def test_rotation_and_repair_keep_the_attrs_of_the_version_they_replace(tmp_path: Path):
    with _store(tmp_path) as s:
        s.add_tenant("t", policy=Erasure(4, 2))
        s.create_bucket("t", "b")
        for i in range(5):
            s.put("t", "b", f"k{i}", bytes([i]) * 1000, attrs={"ETag": f"e{i}", "n": str(i)})
        before = {i.key: i for i in s.list("t", "b")}
        rot = s.rotate_key("t")
        assert rot.objects_reencrypted == 5
        after = {i.key: i for i in s.list("t", "b")}
        for k, info in after.items():
            assert info.version > before[k].version and info.object_id != before[k].object_id
            assert info.attrs == before[k].attrs
        node = s.nodes[s._objects[("t", "b", "k0")].shards[0].node].name
        s.fail_node(node, 10.0)
        scrub(s, 20.0)
        assert repair(s, 30.0).shards_rebuilt > 0
        for k, info in after.items():
            assert dict(s.head("t", "b", k).attrs) == dict(info.attrs)
    with _store(tmp_path) as s:
        for k in after:
            assert dict(s.head("t", "b", k).attrs) == {"ETag": f"e{k[1]}", "n": k[1]}


def test_attrs_limit_and_bad_attrs_are_refused_before_anything_is_stored(tmp_path: Path):
    with _store(tmp_path) as s:
        s.add_tenant("t")
        s.create_bucket("t", "b")
        exact = {"x-amz-meta-a": "é" * ((ATTRS_MAX_BYTES - len("x-amz-meta-a")) // 2)}
        assert sum(len(k.encode()) + len(v.encode()) for k, v in exact.items()) == ATTRS_MAX_BYTES
        s.put("t", "b", "ok", b"1", attrs=exact)
        assert dict(s.head("t", "b", "ok").attrs) == exact
        over = {"x-amz-meta-a": exact["x-amz-meta-a"] + "z"}  # one byte over
        files = sorted(p.name for p in (tmp_path / "shards").rglob("*") if p.is_file())
        with pytest.raises(InvalidAttrsError, match=f"the limit is {ATTRS_MAX_BYTES} bytes"):
            s.put("t", "b", "big", b"1", attrs=over)
        assert isinstance(InvalidAttrsError("x"), ValueError)
        for bad in ({"n": 1}, {1: "v"}, {"": "v"}, {"n": "\ud800"}, ["n", "v"]):
            with pytest.raises(InvalidAttrsError):
                s.put("t", "b", "bad", b"1", attrs=bad)  # type: ignore[arg-type]
        assert [i.key for i in s.list("t", "b")] == ["ok"]
        assert sorted(p.name for p in (tmp_path / "shards").rglob("*") if p.is_file()) == files
        assert s.catalog.db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 1
        refused = [r for r in s.log._rows if r[2] == "refused"]
        assert len(refused) == 6 and str(ATTRS_MAX_BYTES) in refused[0][6]


def test_before_commit_adds_attrs_or_undoes_the_put_leaving_the_old_version(tmp_path: Path):
    """The hook's attributes join the version's; an exception from it (the gateway's payload
    hash mismatch) leaves the previous version readable, no new shard file and no new row."""
    with _store(tmp_path) as s:
        s.add_tenant("t")
        s.create_bucket("t", "b")
        s.put("t", "b", "k", b"old", attrs={"a": "1"}, before_commit=lambda: {"etag": _md5(b"old")})
        assert dict(s.head("t", "b", "k").attrs) == {"a": "1", "etag": _md5(b"old")}
        files = sorted(p.name for p in (tmp_path / "shards").rglob("*") if p.is_file())

        def mismatch() -> dict[str, str]:
            raise ValueError("payload hash mismatch")

        with pytest.raises(ValueError, match="payload hash mismatch"):
            s.put("t", "b", "k", b"new" * 1000, before_commit=mismatch)
        assert s.get("t", "b", "k").data == b"old"
        assert dict(s.head("t", "b", "k").attrs) == {"a": "1", "etag": _md5(b"old")}
        assert sorted(p.name for p in (tmp_path / "shards").rglob("*") if p.is_file()) == files
        assert s.catalog.db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 1
        with pytest.raises(InvalidAttrsError):  # its attrs are checked like the others
            s.put("t", "b", "k", b"x", before_commit=lambda: {"": "v"})
        assert s.get("t", "b", "k").data == b"old"


# --- SIGKILL: attrs never missing or of another version ---------------------------------


def _attrs_child(root: Path, wfd: int, seed: int) -> None:
    """Forked child: put objects whose attrs name their own bytes (SHA-256, MD5 ETag, and a
    random-length padding), now and then delete or rotate, until killed. Never returns."""
    code = 0
    try:
        rng = np.random.default_rng(seed)
        with _open(root, fsync=True) as store:
            if "t" not in store.tenant_names():
                store.add_tenant("t", policy=Erasure(4, 2))
            store.create_bucket("t", "b")
            os.write(wfd, b"ready\n")
            while True:
                key = f"k{int(rng.integers(12)):02d}"
                u = rng.random()
                if u < 0.08:
                    if ("t", "b", key) in store._objects:
                        store.delete("t", "b", key)
                    continue
                if u < 0.12:
                    store.rotate_key("t")
                    os.write(wfd, b"rotated\n")
                    continue
                data = rng.bytes(int(rng.integers(0, 60_000)))
                pad = "p" * int(rng.integers(0, 6000))
                attrs = {"x-amz-meta-sha256": _sha(data), "ETag": _md5(data), "pad": pad}
                store.put("t", "b", key, data, attrs=attrs)
                os.write(wfd, f"ack {key}\n".encode())
    except BaseException as err:  # report, never fall back into pytest
        os.write(wfd, f"error {type(err).__name__}: {err}\n".encode()[:4000])
        code = 1
    finally:
        os._exit(code)


def test_a_killed_put_never_leaves_a_version_with_missing_or_foreign_attrs(tmp_path: Path):
    """10 seeded fork-put-SIGKILL-reopen rounds on one root. After each: every current
    version's attrs are present and describe exactly its own bytes (SHA-256 and MD5 of what
    ``get`` returns), in memory and in the catalog row; the store's files match its rows."""
    root = tmp_path / "store"
    rng = np.random.default_rng(16)
    acks = rotations = checked = 0
    t0 = time.monotonic()
    for trial in range(10):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            _attrs_child(root, w, 1600 + trial)
        os.close(w)
        reader = os.fdopen(r, "rb")
        assert reader.readline() == b"ready\n"
        time.sleep(float(rng.uniform(0.02, 0.3)))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        lines = reader.read().decode().splitlines()
        reader.close()
        errors = [ln for ln in lines if ln.startswith("error")]
        assert not errors, errors
        acks += sum(ln.startswith("ack") for ln in lines)
        rotations += lines.count("rotated")
        with _open(root, fsync=True) as store:
            check_store(store)
            rows = dict(
                store.catalog.db.execute(
                    "SELECT key, attrs FROM objects WHERE tenant='t' AND bucket='b'"
                ).fetchall()
            )
            for info in store.list("t", "b"):
                data = store.get("t", "b", info.key).data
                assert info.attrs["x-amz-meta-sha256"] == _sha(data), info.key
                assert info.attrs["ETag"] == _md5(data), info.key
                assert rows[info.key] is not None and _sha(data) in rows[info.key]
                checked += 1
    assert time.monotonic() - t0 < 120
    assert acks >= 20, f"only {acks} puts acknowledged: the test tested little"
    assert checked >= 10


# --- catalog format ---------------------------------------------------------------------


def _to_format_2(root: Path) -> None:
    """Make a format-3 catalog look like one written by the previous code (format 2): no
    ``objects.attrs``, no ``buckets.created_utc``, the old format name."""
    db = sqlite3.connect(root / "catalog.sqlite")
    db.execute("ALTER TABLE objects DROP COLUMN attrs")
    db.execute("ALTER TABLE buckets DROP COLUMN created_utc")
    db.execute("UPDATE meta SET value=? WHERE name='format'", (b"orbitcloud-store/2",))
    db.commit()
    db.close()


def test_an_old_format_catalog_opens_and_is_migrated(tmp_path: Path):
    with _store(tmp_path) as s:
        s.add_tenant("t")
        s.create_bucket("t", "b")
        s.create_bucket("t", "a")
        s.put("t", "b", "k", b"old data", attrs={"ETag": "lost-in-the-old-format"})
        old = s.head("t", "b", "k")
    _to_format_2(tmp_path)
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    assert "attrs" not in {r[1] for r in db.execute("PRAGMA table_info(objects)")}
    db.close()
    before = datetime.now(UTC)
    with _store(tmp_path) as s:
        after = datetime.now(UTC)
        assert s.get("t", "b", "k").data == b"old data"
        info = s.head("t", "b", "k")
        assert dict(info.attrs) == {} and info.version == old.version
        got = s.buckets("t")
        assert [b.name for b in got] == ["a", "b"]
        for b in got:  # the time of the migration
            assert before.replace(microsecond=0) <= _iso(b.created_utc) <= after
        assert s.catalog.meta("format") == FORMAT_VERSION.encode()
        s.put("t", "b", "k", b"new data", attrs={"ETag": "e2"})
    with _store(tmp_path) as s:  # opens as format 3, nothing migrated twice
        assert s.buckets("t") == got
        assert dict(s.head("t", "b", "k").attrs) == {"ETag": "e2"}
        assert s.head("t", "b", "k").version == old.version + 1


def test_an_unknown_catalog_format_is_refused_by_name(tmp_path: Path):
    with _store(tmp_path) as s:
        s.add_tenant("t")
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    db.execute("UPDATE meta SET value=? WHERE name='format'", (b"orbitcloud-store/99",))
    db.commit()
    db.close()
    with pytest.raises(CatalogError, match="orbitcloud-store/99"):
        _store(tmp_path)


# --- buckets ------------------------------------------------------------------------------


def test_create_list_and_delete_buckets(tmp_path: Path):
    before = datetime.now(UTC).replace(microsecond=0)
    with _store(tmp_path) as s:
        s.add_tenant("t")
        s.add_tenant("u")
        assert s.create_bucket("t", "zeta") is True
        assert s.create_bucket("t", "alpha") is True
        assert s.create_bucket("t", "alpha") is False  # BucketAlreadyOwnedByYou
        assert s.create_bucket("u", "alpha") is True  # another tenant's namespace
        got = s.buckets("t")
        assert [b.name for b in got] == ["alpha", "zeta"]
        assert all(isinstance(b, BucketInfo) for b in got)
        assert all(before <= _iso(b.created_utc) <= datetime.now(UTC) for b in got)
        s.put("t", "zeta", "k", b"x")
        with pytest.raises(BucketNotEmptyError, match="holds 1 objects"):
            s.delete_bucket("t", "zeta")
        with pytest.raises(NoSuchBucketError):
            s.delete_bucket("t", "nope")
        with pytest.raises(NoSuchBucketError):
            s.delete_bucket("u", "zeta")  # t's bucket: u cannot name it
        s.delete_bucket("t", "alpha")
        with pytest.raises(NoSuchBucketError):
            s.delete_bucket("t", "alpha")
        with pytest.raises(NoSuchBucketError):
            s.put("t", "alpha", "k", b"x")
        s.delete("t", "zeta", "k")
        s.delete_bucket("t", "zeta")
        assert s.buckets("t") == []
        assert [b.name for b in s.buckets("u")] == ["alpha"]
    with _store(tmp_path) as s:  # the deletes were committed
        assert s.buckets("t") == []
        assert s.create_bucket("t", "zeta") is True
        assert s.put("t", "zeta", "k", b"y").info.version == 2  # counters kept, never reused


def test_a_put_in_flight_into_a_bucket_deleted_meanwhile_fails_and_leaves_nothing(tmp_path):
    with _store(tmp_path) as s:
        s.add_tenant("t")
        s.create_bucket("t", "b")
        write = s.shards.write
        calls = []

        def write_then_delete_bucket(*args: object, **kw: object) -> int:
            if not calls:
                s.delete_bucket("t", "b")  # empty: the put has not committed yet
            calls.append(args)
            return write(*args, **kw)  # type: ignore[arg-type]

        s.shards.write = write_then_delete_bucket  # type: ignore[method-assign]
        with pytest.raises(NoSuchBucketError):
            s.put("t", "b", "k", b"data", attrs={"ETag": "e"})
        s.shards.write = write  # type: ignore[method-assign]
        assert calls and s.buckets("t") == [] and s.objects() == []
        check_store(s)


# --- listing order and paging ------------------------------------------------------------

KEYS = [
    "a", "A", "b", "B", "Z", "z", "ab", "a/b", "a/c", "a b", "e", "é", "e\u0301", "E",
    "ß", "ss", "日本", "日", "\uff5e", "\U0001f600", "\U0001f600x", "~", "0", "9", "a" * 300,
    "ä/x", "ä", "Ä",
]  # fmt: skip


def test_listing_is_in_utf8_byte_order_and_pages_cover_everything_once(tmp_path: Path):
    """Order == sorted(key.encode()). For Python strings that is also ``str`` order (UTF-8
    keeps code-point order), checked here; it is not UTF-16 order (the keys include a pair
    UTF-16 sorts the other way), nor case-insensitive, nor normalised."""
    want = sorted(KEYS, key=str.encode)
    assert want == sorted(KEYS)  # the documented equivalence, for valid (non-surrogate) str
    assert want != sorted(KEYS, key=lambda k: k.encode("utf-16-be"))
    assert want.index("\uff5e") < want.index("\U0001f600")
    with _store(tmp_path) as s:
        s.add_tenant("t")
        s.add_tenant("u")
        s.create_bucket("t", "b")
        s.create_bucket("t", "c")
        s.create_bucket("u", "b")
        for i, k in enumerate(KEYS):
            s.put("t", "b", k, k.encode(), attrs={"i": str(i)})
            s.put("u", "b", k + "-u", b"u")
        s.put("t", "c", "a", b"other bucket")
        assert [i.key for i in s.list("t", "b")] == want
        assert [i.key for i in s.list("t", "b", start_after="b0")] == [
            k for k in want if k.encode() > b"b0"
        ]
        for prefix in ("", "a", "a/", "ä", "日", "\U0001f600", "nothing"):
            assert [i.key for i in s.list("t", "b", prefix=prefix)] == [
                k for k in want if k.startswith(prefix)
            ]
        for prefix in ("", "a"):
            for limit in (1, 2, 3, 7, 100):
                seen: list[str] = []
                after: str | None = None
                while True:
                    page = s.list("t", "b", prefix=prefix, start_after=after, limit=limit)
                    assert len(page) <= limit
                    if not page:
                        break
                    seen += [i.key for i in page]
                    after = page[-1].key
                assert seen == [k for k in want if k.startswith(prefix)], (prefix, limit)
        assert s.list("t", "b", limit=0) == []
        assert s.list("t", "b", start_after=want[-1]) == []
        for bad in (-1, 1.5, True):
            with pytest.raises(ValueError, match="list limit"):
                s.list("t", "b", limit=bad)  # type: ignore[arg-type]
        with pytest.raises(NoSuchBucketError):
            s.list("u", "c")
