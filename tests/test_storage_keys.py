"""Key management: nothing in a store's directory decrypts its objects without the master key
(the old seed-derived keys, the wrapped key bytes and a scan for raw key bytes are tried, with
the master key as the positive control); rotation re-encrypts under a new key id and refuses
the old one even when old shards and rows are put back; a wrong or ephemeral master key is
refused at reopen; key files are created 0600 and refused inside the root; checksums are keyed."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from orbitcloud.storage import (
    DataKey,
    Erasure,
    IntegrityError,
    MasterKey,
    MasterKeyError,
    ObjectStore,
    Replication,
    RetiredKeyError,
    codec_for,
    master_key,
    open_sealed,
)
from orbitcloud.storage.crypto import hkdf_sha256, key_id_of, unwrap_key
from orbitcloud.storage.keys import ENV_KEY, ENV_KEY_FILE
from orbitcloud.storage.shardstore import HEADER_BYTES
from test_storage_crash import MASTER, check_store
from test_storage_service import _nodes

SEED = 7
TENANTS = ("difesa", "civile")


def _old_seed_key(seed: int, tenant: str) -> bytes:
    """The tenant key the store used to derive (HKDF of a hash of the scenario seed)."""
    master = hashlib.sha256(f"orbitcloud/storage/master-key-seed/{seed}".encode()).digest()
    return hkdf_sha256(master, b"orbitcloud/storage/tenant/" + tenant.encode())


def _session(root: Path, **kw: object) -> dict[tuple[str, str], bytes]:
    """A run-like session: two tenants (a MILSCA-like one), puts, an overwrite, a delete."""
    out = {}
    with ObjectStore(root, _nodes(), seed=SEED, fsync=False, **kw) as store:  # type: ignore[arg-type]
        store.add_tenant("difesa", ["IT", "FR"], policy=Erasure(4, 2))
        store.add_tenant("civile", policy=Replication(2))
        for t in TENANTS:
            store.create_bucket(t, "demo")
            for i in range(5):
                data = f"{t} secret {i} ".encode() * 40
                store.put(t, "demo", f"obj-{i}", data)
                out[(t, f"obj-{i}")] = data
        store.put("difesa", "demo", "obj-0", b"overwritten " * 30)
        out[("difesa", "obj-0")] = b"overwritten " * 30
        store.delete("civile", "demo", "obj-4")
        del out[("civile", "obj-4")]
    return out


def _attacker_blobs(root: Path) -> list[tuple[str, str, int, bytes]]:
    """What anyone with the store directory can rebuild: (tenant, object id, version, sealed
    blob) of every object, from catalog.sqlite and the shard files alone."""
    db = sqlite3.connect(root / "catalog.sqlite")
    names = dict(db.execute("SELECT idx, name FROM nodes"))
    out = []
    for oid, tenant, version, policy in db.execute(
        "SELECT object_id, tenant, version, policy FROM objects"
    ):
        p = json.loads(policy)
        k, n = (p["k"], p["k"] + p["m"]) if p["kind"] == "erasure" else (1, p["copies"])
        frags = {}
        for idx, node in db.execute("SELECT idx, node FROM shards WHERE object_id=?", (oid,)):
            raw = (root / "shards" / names[node] / f"{oid}.v{version}.s{idx}").read_bytes()
            id_len = int.from_bytes(raw[HEADER_BYTES - 2 : HEADER_BYTES])
            frags[idx] = raw[HEADER_BYTES + id_len :]
        out.append((tenant, oid, version, codec_for(k, n).decode(frags)))
    db.close()
    return out


def _opens(key: bytes, oid: str, version: int, blob: bytes) -> bool:
    """Does ``key`` open ``blob``, used as the AES key directly (old AAD or new) or as a data
    key under the blob's key id?"""
    kid = key_id_of(blob)
    nonce, ct = blob[17:29], blob[29:]
    for aes, aad in [
        (key, f"orbitcloud-object/{oid}/v{version}".encode()),
        (key, b"orbitcloud-object\x02" + kid + f"/{oid}/v{version}".encode()),
    ]:
        for n, c in [(nonce, ct), (blob[:12], blob[12:])]:
            try:
                AESGCM(aes).decrypt(n, c, aad)
                return True
            except InvalidTag:
                pass
    try:
        open_sealed(DataKey(kid, key), blob, oid, version)
        return True
    except IntegrityError:
        return False


def test_nothing_in_the_store_directory_decrypts_without_the_master_key(tmp_path, monkeypatch):
    """After a session with a key file outside the root: the old seed-derived tenant keys (the
    scenario seed and seeds 0-99), the wrapped key bytes and the master-check bytes of the
    catalog, used as keys, open no object; no raw key (master, data, AES or MAC key, as bytes or
    hex) appears in any file under the root (catalog, WAL, shards, lock). With the master key
    from the key file, the same blobs open: the attack code is right, only the key is missing."""
    key_file = tmp_path / "keys" / "master.hex"
    key_file.parent.mkdir()
    monkeypatch.setenv(ENV_KEY_FILE, str(key_file))
    monkeypatch.delenv(ENV_KEY, raising=False)
    root = tmp_path / "store"
    expected = _session(root)
    blobs = _attacker_blobs(root)
    assert len(blobs) == len(expected) == 9
    db = sqlite3.connect(root / "catalog.sqlite")
    wrapped = [bytes(w) for (w,) in db.execute("SELECT wrapped FROM tenant_keys")]
    wrapped += [bytes(v) for (v,) in db.execute("SELECT value FROM meta WHERE name='master_check'")]
    db.close()
    candidates = [_old_seed_key(s, t) for s in [SEED, *range(100)] for t in TENANTS]
    candidates += [w[i : i + 32] for w in wrapped for i in range(0, len(w) - 31, 8)]
    for tenant, oid, version, blob in blobs:
        assert not any(_opens(c, oid, version, blob) for c in candidates), (tenant, oid)
    # raw key material never reaches the disk
    master = bytes.fromhex(key_file.read_text())
    with ObjectStore(root, _nodes(), fsync=False) as store:  # master key from the key file
        secrets = [master]
        for t in store._tenants.values():
            for dk in t.keys.values():
                assert dk is not None
                secrets += [dk.key, dk.mac_key, hkdf_sha256(dk.key, b"orbitcloud/storage/aes-gcm")]
        for (t, k), data in expected.items():
            assert store.get(t, "demo", k).data == data
    files = [p for p in root.rglob("*") if p.is_file()]
    assert len(files) > 9
    for p in files:
        raw = p.read_bytes()
        for s in secrets:
            assert s not in raw and s.hex().encode() not in raw, p
    # positive control: the master key unwraps the catalog's keys and opens every blob
    db = sqlite3.connect(root / "catalog.sqlite")
    keys = {
        kid: DataKey(bytes.fromhex(kid), unwrap_key(master, bytes(w)))
        for kid, w in db.execute("SELECT key_id, wrapped FROM tenant_keys")
    }
    db.close()
    plain = sorted(open_sealed(keys[key_id_of(b).hex()], b, oid, v) for _, oid, v, b in blobs)
    assert plain == sorted(expected.values())


def test_rotation_reencrypts_under_a_new_key_id_and_refuses_the_old(tmp_path: Path):
    """rotate_key: every object of the tenant is a new version under a new key id (the shard
    files' blobs name it), reads back byte for byte, its checksum changes; the old wrapped key
    is destroyed in the catalog; the other tenant is untouched. Then the old shard files and
    catalog rows are put back (a restore from an old backup): get refuses them with "key id …
    was retired", in a reopened store too."""
    root = tmp_path / "store"
    expected = _session(root, master_key=MASTER)
    before = {(t, oid): key_id_of(b) for t, oid, _, b in _attacker_blobs(root)}
    backup = tmp_path / "backup"
    shutil.copytree(root, backup, ignore=shutil.ignore_patterns("LOCK"))
    with ObjectStore(root, _nodes(), seed=SEED, master_key=MASTER, fsync=False) as store:
        old_infos = {i.key: i for i in store.list("difesa", "demo")}
        old_kid = store._tenants["difesa"].current
        civile = store.list("civile", "demo")
        rot = store.rotate_key("difesa")
        assert rot.retired_key_ids == (old_kid,) and rot.new_key_id != old_kid
        assert (rot.objects_reencrypted, rot.objects_lost_skipped) == (5, 0)
        for k, info in old_infos.items():
            new = store.head("difesa", "demo", k)
            assert new.key_id == rot.new_key_id and new.version == info.version + 1
            assert new.object_id != info.object_id and new.checksum != info.checksum
            assert store.get("difesa", "demo", k).data == expected[("difesa", k)]
        assert store.list("civile", "demo") == civile
        check_store(store)
    after = {(t, oid): key_id_of(b) for t, oid, _, b in _attacker_blobs(root)}
    assert {kid.hex() for (t, _), kid in before.items() if t == "difesa"} == {old_kid}
    assert {kid.hex() for (t, _), kid in after.items() if t == "difesa"} == {rot.new_key_id}
    db = sqlite3.connect(root / "catalog.sqlite")
    assert db.execute(
        "SELECT wrapped, retired FROM tenant_keys WHERE key_id=?", (old_kid,)
    ).fetchone() == (None, 1)
    db.close()
    # put the old difesa rows and shard files back, as a replay from a backup would
    old_db = sqlite3.connect(backup / "catalog.sqlite")
    old_objects = old_db.execute("SELECT * FROM objects WHERE tenant='difesa'").fetchall()
    old_shards = old_db.execute(
        "SELECT s.* FROM shards s JOIN objects o USING (object_id) WHERE o.tenant='difesa'"
    ).fetchall()
    old_db.close()
    db = sqlite3.connect(root / "catalog.sqlite")
    db.execute("DELETE FROM objects WHERE tenant='difesa'")
    db.executemany(
        "INSERT INTO objects VALUES (" + ",".join("?" * len(old_objects[0])) + ")", old_objects
    )
    db.executemany("INSERT INTO shards VALUES (?, ?, ?, ?, ?, ?, ?, ?)", old_shards)
    db.commit()
    db.close()
    for p in (backup / "shards").rglob("*"):
        if p.is_file():
            dst = root / p.relative_to(backup)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(p, dst)
    with ObjectStore(root, _nodes(), seed=SEED, master_key=MASTER, fsync=False) as store:
        for k in old_infos:
            with pytest.raises(RetiredKeyError, match=f"key id {old_kid} .* was retired"):
                store.get("difesa", "demo", k)
        assert store.get("civile", "demo", "obj-1").data == expected[("civile", "obj-1")]


def test_a_wrong_or_ephemeral_master_key_is_refused_at_reopen(tmp_path: Path):
    root = tmp_path / "store"
    _session(root, master_key=MASTER)
    with pytest.raises(MasterKeyError, match="is not the one"):
        ObjectStore(root, _nodes(), master_key=bytes(32))
    with pytest.raises(MasterKeyError, match="ephemeral"):
        ObjectStore(root, _nodes(), master_key=MasterKey.ephemeral())
    with ObjectStore(root, _nodes(), master_key=MASTER) as store:  # the lock was released
        assert store.tenant_names() == sorted(TENANTS)


def test_key_file_is_created_0600_reused_and_refused_inside_the_root(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_KEY, raising=False)
    monkeypatch.delenv(ENV_KEY_FILE, raising=False)
    path = tmp_path / "secret" / "master.hex"
    path.parent.mkdir()
    k1 = master_key(path, tmp_path / "store")
    assert k1.source == "file" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert bytes.fromhex(path.read_text()) == k1.key
    assert master_key(path, tmp_path / "store").key == k1.key  # read back, not replaced
    with pytest.raises(MasterKeyError, match="inside the store root"):
        master_key(tmp_path / "store" / "k.hex", tmp_path / "store")
    with pytest.raises(MasterKeyError, match="inside the store root"):
        ObjectStore(tmp_path / "store", _nodes(), key_file=tmp_path / "store" / "sub" / "k")
    assert not (tmp_path / "store" / "k.hex").exists()
    path.chmod(0o644)
    with pytest.raises(MasterKeyError, match="group or others"):
        master_key(path)
    assert master_key().source == "ephemeral"  # nothing set: in memory only
    assert master_key().key != master_key().key


def test_master_key_from_the_environment(tmp_path, monkeypatch):
    """ORBITCLOUD_MASTER_KEY (64 hex) wins; a malformed one is a clear error; a store made
    under it reopens under it."""
    monkeypatch.setenv(ENV_KEY, MASTER.hex())
    assert master_key() == MasterKey(MASTER, "env")
    _session(tmp_path / "store")
    with ObjectStore(tmp_path / "store", _nodes(), fsync=False) as store:
        assert store.master.source == "env" and len(store.objects()) == 9
    monkeypatch.setenv(ENV_KEY, "not hex")
    with pytest.raises(MasterKeyError, match="64 hex characters"):
        master_key()


def test_checksums_are_keyed_not_the_plaintext_sha256(tmp_path: Path):
    """ObjectInfo.checksum is HMAC-SHA256 under the tenant's MAC key, not SHA-256 of the
    plaintext: equal plaintexts of two tenants have different checksums."""
    with ObjectStore(tmp_path, _nodes(), master_key=MASTER, fsync=False) as store:
        for t in TENANTS:
            store.add_tenant(t)
            store.create_bucket(t, "b")
        a = store.put("difesa", "b", "k", b"same bytes").info
        b = store.put("civile", "b", "k", b"same bytes").info
        assert a.checksum != hashlib.sha256(b"same bytes").hexdigest()
        assert a.checksum != b.checksum
        mac = store._tenants["difesa"].key.mac_key
        assert a.checksum == hmac.new(mac, b"same bytes", hashlib.sha256).hexdigest()
