"""The object catalog: a transactional SQLite database beside the shard files.

``<root>/catalog.sqlite`` in write-ahead-log mode (``PRAGMA journal_mode=WAL``) with
``synchronous=FULL``: a transaction is durable once ``COMMIT`` returns, because the WAL is
fsynced at every commit, and a crash at any moment leaves the database as of the last commit
("Write-Ahead Logging", https://sqlite.org/wal.html; "Atomic Commit In SQLite",
https://sqlite.org/atomiccommit.html; ``PRAGMA synchronous``, https://sqlite.org/pragma.html).
With the store's ``fsync=False`` (tests only) the catalog runs ``synchronous=OFF``: still atomic
against a killed process, not against power loss.

Schema (one row per thing; the shard files are named by ``objects``/``shards`` rows)::

    meta        name TEXT PK, value BLOB          format, master-key check (a wrapped random
                                                  key: it unwraps only under the right key)
    nodes       idx INT PK, name UNIQUE, kind, constellation, plane, jurisdiction,
                capacity_bytes, alive             the store's node list, in order
    tenants     name PK, allowed (JSON or NULL), policy (JSON), current_key
    tenant_keys key_id PK, tenant, wrapped BLOB (NULL once retired), retired
    buckets     (tenant, name) PK, created_utc    wall-clock ISO-8601 UTC creation time
    versions    (tenant, bucket, key) PK, last    per-key version counter: only ever grows,
                                                  kept across deletes
    objects     object_id PK (random 128 bits per version), tenant, bucket, key, version,
                size_bytes, checksum (HMAC), key_id, policy (JSON), put_s, k_durable_s,
                durable_s, lost, attrs (JSON object of str → str, the version's attributes:
                ETag, Content-Type, user metadata; NULL = none);
                UNIQUE (tenant, bucket, key): the current version
    shards      (object_id, idx) PK → objects ON DELETE CASCADE, node, sha256,
                payload_bytes, file_bytes, landed_s, ok

Format versions (``meta.format``): ``orbitcloud-store/2`` had no ``objects.attrs`` and no
``buckets.created_utc``; opening such a catalog migrates it to ``orbitcloud-store/3`` in one
transaction (``ALTER TABLE ... ADD COLUMN`` for each missing column, existing buckets get the
time of the migration, existing versions no attributes, then the new format name), so a crash
during the migration leaves the old format, which the next open migrates again. Any other
format is refused (:class:`CatalogError`); code that reads format 2 refuses format 3.

Keys sort in byte order of their UTF-8 encoding: SQLite compares TEXT with the BINARY
collation, ``memcmp`` of the stored UTF-8 (https://sqlite.org/datatype3.html#collation), which
is S3's listing order (:meth:`Catalog.keys_after`).

Used bytes per node are not stored: they are the sum of ``file_bytes`` of the node's ``ok``
shards, so accounting cannot drift from the rows. Times that are NaN (not yet durable) are
stored as NULL. Network bookings of the simulated contact plan are simulation state and are not
kept.

The connection is shared by the store's threads (``check_same_thread=False``); the store
serialises every call with its lock.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orbitcloud.storage.placement import Erasure, PlacementPolicy, Replication, StorageNode

__all__ = [
    "CATALOG_FILE",
    "FORMAT_VERSION",
    "Catalog",
    "CatalogError",
    "ObjectRecord",
    "ShardRecord",
    "attrs_from_json",
    "attrs_to_json",
    "policy_from_json",
    "policy_to_json",
    "utc_now",
]

CATALOG_FILE = "catalog.sqlite"
FORMAT_VERSION = "orbitcloud-store/3"
_MIGRATABLE = "orbitcloud-store/2"  # migrated on open (see the module docstring)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
    idx INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    constellation TEXT NOT NULL, plane TEXT NOT NULL, jurisdiction TEXT NOT NULL,
    capacity_bytes REAL NOT NULL, alive INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS tenants (
    name TEXT PRIMARY KEY, allowed TEXT, policy TEXT NOT NULL, current_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tenant_keys (
    key_id TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants(name), wrapped BLOB,
    retired INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS buckets (
    tenant TEXT NOT NULL REFERENCES tenants(name), name TEXT NOT NULL,
    created_utc TEXT, PRIMARY KEY (tenant, name));
CREATE TABLE IF NOT EXISTS versions (
    tenant TEXT NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL, last INTEGER NOT NULL,
    PRIMARY KEY (tenant, bucket, key));
CREATE TABLE IF NOT EXISTS objects (
    object_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL,
    version INTEGER NOT NULL, size_bytes INTEGER NOT NULL, checksum TEXT NOT NULL,
    key_id TEXT NOT NULL REFERENCES tenant_keys(key_id), policy TEXT NOT NULL,
    put_s REAL, k_durable_s REAL, durable_s REAL, lost INTEGER NOT NULL DEFAULT 0,
    attrs TEXT, UNIQUE (tenant, bucket, key));
CREATE TABLE IF NOT EXISTS shards (
    object_id TEXT NOT NULL REFERENCES objects(object_id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, node INTEGER NOT NULL REFERENCES nodes(idx), sha256 TEXT NOT NULL,
    payload_bytes INTEGER NOT NULL, file_bytes INTEGER NOT NULL, landed_s REAL,
    ok INTEGER NOT NULL, PRIMARY KEY (object_id, idx));
"""


class CatalogError(RuntimeError):
    """The catalog cannot be used: another format, a broken database."""


def policy_to_json(policy: PlacementPolicy) -> str:
    if isinstance(policy, Erasure):
        d: dict[str, Any] = {"kind": "erasure", "k": policy.k, "m": policy.m,
                             "distinct_planes": policy.distinct_planes,
                             "distinct_constellations": policy.distinct_constellations}  # fmt: skip
    else:
        d = {"kind": "replication", "copies": policy.copies,
             "distinct_planes": policy.distinct_planes,
             "distinct_constellations": policy.distinct_constellations,
             "ground_copy": policy.ground_copy, "ground_site": policy.ground_site}  # fmt: skip
    return json.dumps(d, sort_keys=True)


def policy_from_json(text: str) -> PlacementPolicy:
    d = json.loads(text)
    kind = d.pop("kind")
    return Erasure(**d) if kind == "erasure" else Replication(**d)


def attrs_to_json(attrs: Mapping[str, str]) -> str | None:
    """The attributes as stored (None when there are none)."""
    return json.dumps(dict(attrs), sort_keys=True, ensure_ascii=False) if attrs else None


def attrs_from_json(text: str | None) -> dict[str, str]:
    return {} if text is None else {str(k): str(v) for k, v in json.loads(text).items()}


def utc_now() -> str:
    """The wall-clock time as ISO-8601 UTC with milliseconds, ``2025-01-31T12:00:00.000Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _f(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _sql(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


@dataclass
class ShardRecord:
    """One shard of an object version: fragment ``index`` on node ``node``."""

    index: int
    node: int
    sha256: str
    payload_bytes: int
    file_bytes: int
    landed_s: float
    ok: bool = True


@dataclass
class ObjectRecord:
    """The current version of one object (``object_id`` is random per version)."""

    tenant: str
    bucket: str
    key: str
    object_id: str
    version: int
    size_bytes: int
    checksum: str
    key_id: str
    policy: PlacementPolicy
    put_s: float
    k_durable_s: float
    durable_s: float
    shards: dict[int, ShardRecord]
    lost: bool = False
    attrs: dict[str, str] = field(default_factory=dict)  # committed with the version's row

    @property
    def owner(self) -> str:
        """The owner id written in each shard file's header."""
        return f"{self.object_id}/v{self.version}"

    def shard_name(self, index: int) -> str:
        return f"{self.object_id}.v{self.version}.s{index}"


class Catalog:
    """The SQLite catalog at ``path`` (see the module docstring)."""

    def __init__(self, path: Path, fsync: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync
        try:
            self.db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            mode = self.db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise CatalogError(f"catalog {self.path}: SQLite refused WAL mode ({mode})")
            self.db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'OFF'}")
            self.db.execute("PRAGMA foreign_keys=ON")
            with self.tx():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                row = self.db.execute("SELECT value FROM meta WHERE name='format'").fetchone()
                if row is None:
                    self.set_meta("format", FORMAT_VERSION.encode())
                elif bytes(row[0]).decode() == _MIGRATABLE:
                    self._migrate()
                elif bytes(row[0]).decode() != FORMAT_VERSION:
                    raise CatalogError(
                        f"catalog {self.path} is format {bytes(row[0]).decode()!r}; this "
                        f"version of orbitcloud reads {FORMAT_VERSION!r} (and migrates "
                        f"{_MIGRATABLE!r})"
                    )
        except sqlite3.DatabaseError as err:
            raise CatalogError(f"catalog {self.path} cannot be opened: {err}") from None

    def _migrate(self) -> None:
        """Format 2 → 3 inside the opening transaction (see the module docstring)."""
        for table, column in (("objects", "attrs"), ("buckets", "created_utc")):
            have = {str(r[1]) for r in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
        self.db.execute("UPDATE buckets SET created_utc=? WHERE created_utc IS NULL", (utc_now(),))
        self.set_meta("format", FORMAT_VERSION.encode())

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed on normal exit, rolled back on an exception."""
        if self.db.in_transaction:  # nested: part of the outer transaction
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- meta and nodes --------------------------------------------------------------------

    def meta(self, name: str) -> bytes | None:
        row = self.db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return None if row is None else bytes(row[0])

    def set_meta(self, name: str, value: bytes) -> None:
        with self.tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def nodes(self) -> list[tuple[str, bool]]:
        """(name, alive) of the recorded nodes, in order."""
        rows = self.db.execute("SELECT name, alive FROM nodes ORDER BY idx").fetchall()
        return [(str(n), bool(a)) for n, a in rows]

    def set_nodes(self, nodes: Sequence[StorageNode]) -> None:
        """Record the node list (first open) or refresh the attributes of the same names."""
        with self.tx() as db:
            for i, n in enumerate(nodes):
                db.execute(
                    "INSERT INTO nodes (idx, name, kind, constellation, plane, jurisdiction, "
                    "capacity_bytes) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(idx) DO UPDATE SET "
                    "kind=excluded.kind, constellation=excluded.constellation, "
                    "plane=excluded.plane, jurisdiction=excluded.jurisdiction, "
                    "capacity_bytes=excluded.capacity_bytes",
                    (i, n.name, n.kind, n.constellation, n.plane, n.jurisdiction,
                     float(n.capacity_bytes)),
                )  # fmt: skip

    def set_alive(self, idx: int, alive: bool) -> None:
        with self.tx() as db:
            db.execute("UPDATE nodes SET alive=? WHERE idx=?", (int(alive), idx))

    # --- tenants, keys, buckets ------------------------------------------------------------

    def tenants(self) -> list[tuple[str, list[str] | None, PlacementPolicy, str]]:
        """(name, allowed jurisdictions, policy, current key id) of every tenant."""
        rows = self.db.execute(
            "SELECT name, allowed, policy, current_key FROM tenants ORDER BY name"
        ).fetchall()
        return [
            (str(n), None if a is None else list(json.loads(a)), policy_from_json(p), str(k))
            for n, a, p, k in rows
        ]

    def keys(self, tenant: str) -> list[tuple[str, bytes | None]]:
        """(key id, wrapped key or None when retired) of a tenant's keys."""
        rows = self.db.execute(
            "SELECT key_id, wrapped FROM tenant_keys WHERE tenant=? ORDER BY key_id", (tenant,)
        ).fetchall()
        return [(str(k), None if w is None else bytes(w)) for k, w in rows]

    def add_tenant(
        self,
        name: str,
        allowed: Sequence[str] | None,
        policy: PlacementPolicy,
        key_id: str,
        wrapped: bytes,
    ) -> None:
        with self.tx() as db:
            db.execute(
                "INSERT INTO tenants VALUES (?, ?, ?, ?)",
                (name, None if allowed is None else json.dumps(sorted(allowed)),
                 policy_to_json(policy), key_id),
            )  # fmt: skip
            db.execute("INSERT INTO tenant_keys VALUES (?, ?, ?, 0)", (key_id, name, wrapped))

    def add_key(self, tenant: str, key_id: str, wrapped: bytes) -> None:
        """A new data key becomes the tenant's current key (old ones stay until retired)."""
        with self.tx() as db:
            db.execute("INSERT INTO tenant_keys VALUES (?, ?, ?, 0)", (key_id, tenant, wrapped))
            db.execute("UPDATE tenants SET current_key=? WHERE name=?", (key_id, tenant))

    def retire_key(self, key_id: str) -> None:
        """Destroy a key's wrapped bytes; its id stays, so data under it is refused by name."""
        with self.tx() as db:
            db.execute("UPDATE tenant_keys SET wrapped=NULL, retired=1 WHERE key_id=?", (key_id,))

    def buckets(self) -> list[tuple[str, str, str]]:
        """(tenant, bucket, created_utc) of every bucket."""
        rows = self.db.execute("SELECT tenant, name, created_utc FROM buckets")
        return [(str(t), str(b), str(c)) for t, b, c in rows]

    def add_bucket(self, tenant: str, bucket: str, created_utc: str) -> bool:
        """Create the bucket; False (and nothing changed) if it exists."""
        with self.tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO buckets (tenant, name, created_utc) VALUES (?, ?, ?)",
                (tenant, bucket, created_utc),
            )
            return cur.rowcount == 1

    def delete_bucket(self, tenant: str, bucket: str) -> bool:
        """Delete the bucket if it holds no object (checked in the same statement); True if
        it was deleted. Its keys' version counters stay (numbers are never reused)."""
        with self.tx() as db:
            cur = db.execute(
                "DELETE FROM buckets WHERE tenant=? AND name=? AND NOT EXISTS "
                "(SELECT 1 FROM objects WHERE tenant=? AND bucket=?)",
                (tenant, bucket, tenant, bucket),
            )
            return cur.rowcount == 1

    def keys_after(
        self, tenant: str, bucket: str, prefix: str, start_after: str | None
    ) -> Iterator[str]:
        """Keys of the bucket that start with ``prefix`` and sort after ``start_after``, in
        UTF-8 byte order (BINARY collation; served by the UNIQUE (tenant, bucket, key) index).
        Lazy: stop iterating to stop reading."""
        cur = self.db.execute(
            "SELECT key FROM objects WHERE tenant=? AND bucket=? AND key>=? AND key>? ORDER BY key",
            (tenant, bucket, prefix, "" if start_after is None else start_after),
        )
        for (key,) in cur:
            if not str(key).startswith(prefix):
                return
            yield str(key)

    # --- versions and objects --------------------------------------------------------------

    def next_version(self, tenant: str, bucket: str, key: str) -> int:
        """Reserve and commit the key's next version number (never handed out twice).

        The reservation commits with ``synchronous=NORMAL``: atomic and durable against a
        killed process (the WAL is in the OS's cache), and made durable against power loss by
        the next FULL commit, which fsyncs the WAL and so every earlier transaction in it. A
        reservation lost to a power cut belongs to a put that was never acknowledged, whose
        files are orphans swept on open; its shards were bound to a random object id, so its
        number reused by a later put can never let them replay. One fsync per put saved."""
        if self.fsync:
            self.db.execute("PRAGMA synchronous=NORMAL")
        try:
            return self._next_version(tenant, bucket, key)
        finally:
            if self.fsync:
                self.db.execute("PRAGMA synchronous=FULL")

    def _next_version(self, tenant: str, bucket: str, key: str) -> int:
        with self.tx() as db:
            db.execute(
                "INSERT INTO versions VALUES (?, ?, ?, 1) ON CONFLICT(tenant, bucket, key) "
                "DO UPDATE SET last = last + 1",
                (tenant, bucket, key),
            )
            row = db.execute(
                "SELECT last FROM versions WHERE tenant=? AND bucket=? AND key=?",
                (tenant, bucket, key),
            ).fetchone()
        return int(row[0])

    def _insert_shard(self, db: sqlite3.Connection, object_id: str, s: ShardRecord) -> None:
        db.execute(
            "INSERT OR REPLACE INTO shards VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (object_id, s.index, s.node, s.sha256, s.payload_bytes, s.file_bytes,
             _sql(s.landed_s), int(s.ok)),
        )  # fmt: skip

    def put_object(self, o: ObjectRecord, replaces: str | None) -> None:
        """Commit ``o`` and its shards as the current version, dropping ``replaces`` (the old
        version's id) in the same transaction."""
        with self.tx() as db:
            if replaces is not None:
                db.execute("DELETE FROM objects WHERE object_id=?", (replaces,))
            db.execute(
                "INSERT INTO objects (object_id, tenant, bucket, key, version, size_bytes, "
                "checksum, key_id, policy, put_s, k_durable_s, durable_s, lost, attrs) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (o.object_id, o.tenant, o.bucket, o.key, o.version, o.size_bytes, o.checksum,
                 o.key_id, policy_to_json(o.policy), _sql(o.put_s), _sql(o.k_durable_s),
                 _sql(o.durable_s), int(o.lost), attrs_to_json(o.attrs)),
            )  # fmt: skip
            for s in o.shards.values():
                self._insert_shard(db, o.object_id, s)

    def delete_object(self, object_id: str) -> None:
        with self.tx() as db:
            db.execute("DELETE FROM objects WHERE object_id=?", (object_id,))

    def save_shard(self, object_id: str, s: ShardRecord) -> None:
        with self.tx() as db:
            self._insert_shard(db, object_id, s)

    def save_state(self, o: ObjectRecord) -> None:
        """Persist an object's mutable state: shard ok flags, lost, durable_s."""
        with self.tx() as db:
            db.execute(
                "UPDATE objects SET lost=?, durable_s=? WHERE object_id=?",
                (int(o.lost), _sql(o.durable_s), o.object_id),
            )
            db.executemany(
                "UPDATE shards SET ok=? WHERE object_id=? AND idx=?",
                [(int(s.ok), o.object_id, s.index) for s in o.shards.values()],
            )

    def objects(self) -> list[ObjectRecord]:
        """Every current object version with its shards."""
        shards: dict[str, dict[int, ShardRecord]] = {}
        cols = "object_id, idx, node, sha256, payload_bytes, file_bytes, landed_s, ok"
        for oid, i, node, sha, pb, fb, landed, ok in self.db.execute(f"SELECT {cols} FROM shards"):
            shards.setdefault(str(oid), {})[int(i)] = ShardRecord(
                int(i), int(node), str(sha), int(pb), int(fb), _f(landed), bool(ok)
            )
        out = []
        cols = ("object_id, tenant, bucket, key, version, size_bytes, checksum, key_id, policy, "
                "put_s, k_durable_s, durable_s, lost, attrs")  # fmt: skip
        for row in self.db.execute(f"SELECT {cols} FROM objects ORDER BY tenant, bucket, key"):
            oid, tn, b, k, ver, size, cs, kid, pol, put_s, kd, d, lost, attrs = row
            out.append(
                ObjectRecord(str(tn), str(b), str(k), str(oid), int(ver), int(size), str(cs),
                             str(kid), policy_from_json(pol), _f(put_s), _f(kd), _f(d),
                             dict(sorted(shards.get(str(oid), {}).items())), bool(lost),
                             attrs_from_json(attrs))
            )  # fmt: skip
        return out

    def used_bytes(self) -> dict[int, int]:
        """Sum of ``file_bytes`` of the ``ok`` shards per node index."""
        rows = self.db.execute(
            "SELECT node, SUM(file_bytes) FROM shards WHERE ok=1 GROUP BY node"
        ).fetchall()
        return {int(n): int(b) for n, b in rows}
