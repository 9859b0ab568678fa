"""The object storage service: tenants, buckets and objects of real bytes, durable on disk.

:class:`ObjectStore` is a plain Python API (``put``, ``get``, ``head``, ``list``, ``delete``,
``create_bucket``, ``delete_bucket``, ``buckets``, ``rotate_key``) shaped so an S3-like HTTP
front end can sit on it: every call names the tenant (the authenticated principal), bucket and
key, returns plain frozen records, and raises one of a few domain errors
(:class:`NoSuchBucketError`, :class:`BucketNotEmptyError`, :class:`NoSuchKeyError`,
:class:`ObjectLostError`, :class:`InvalidNameError`, :class:`InvalidAttrsError`,
:class:`RetiredKeyError`,
:class:`~orbitcloud.storage.crypto.IntegrityError`,
:class:`~orbitcloud.storage.sovereignty.SovereigntyError`,
:class:`~orbitcloud.storage.placement.PlacementError`).

On-disk layout of a store root::

    <root>/LOCK                       flock(2)-ed for the store's life; holds the owner's pid
    <root>/catalog.sqlite (+ -wal, -shm)   the catalog (:mod:`.catalog`: schema, WAL, FULL)
    <root>/shards/<node>/<object id>.v<version>.s<index>   shard files (:mod:`.shardstore`)

Names: tenants and buckets follow the project's name rule
(:func:`orbitcloud.scenario.base.check_name`), keys are 1-1024 bytes of UTF-8 without NUL
(S3's rule). Names never build ids or paths: each object version gets a random 128-bit
``object_id``, which alone names its shard files, so no two (tenant, bucket, key) can share a
file whatever their bytes. Node names become directory names: they are checked with the same
name rule here, and :class:`~.shardstore.ShardStore` refuses any path outside its root.

Keys (:mod:`.crypto`, :mod:`.keys`): each tenant has a random data key, stored only wrapped
(RFC 3394) by the master key, which comes from ``ORBITCLOUD_MASTER_KEY``, a 0600 key file
outside the root, or is ephemeral; a wrong master key is refused at open. Every ciphertext
names its key id. :meth:`ObjectStore.rotate_key` makes a new data key, re-encrypts every
object of the tenant as a **new version** (new object id, version + 1, the same nodes and
times; done in place, no network timing), then destroys the old wrapped key: data under the
old key id is refused from then on (:class:`RetiredKeyError`). A rotation interrupted by a crash
is finished by calling ``rotate_key`` again (objects already under the newest key are kept).

Crash protocol of a ``put`` (acknowledged means durable):

1. reserve the key's next version in the catalog (committed: a version number is never handed
   out twice, not even to a put that is then killed, and never reused after a delete; only a
   power cut can undo a reservation whose put was never acknowledged, see
   :meth:`.catalog.Catalog.next_version`);
2. seal, encode, and write each shard file with write-then-rename (temp file, fsync, rename,
   directory fsync; Pillai et al. 2014, "All File Systems Are Not Created Equal", OSDI);
3. commit the new version (with its attributes, ``attrs``: ETag, Content-Type, user metadata,
   in the version's own row) and its shards, and drop the old version's rows, in one SQLite
   transaction (WAL, ``synchronous=FULL``: durable when COMMIT returns); then return;
4. unlink the old version's shard files.

A crash before 3 leaves the old version (its files untouched), after 3 the new one; files that
no committed row names (a crashed put's new shards, or an old version's not yet unlinked) and
temp files are deleted when the store is next opened. Deletes, repairs and rotations follow the
same order: new files first, then the commit, then unlinks. A second process opening the same
root is refused (:class:`StoreLockedError`, naming the root and the holder's pid), so the
cleanup on open never touches another process's files in flight. Threads may share one store:
calls on one key are serialised by a per-key lock, and the catalog and shared state by a store
lock (always taken after a key lock, never before).

Path of a ``put``: plaintext → AES-256-GCM under the tenant's current data key (key id, object
id and version bound as associated data) → codec (``k`` of ``n`` fragments) → placement on
``n`` distinct nodes → each shard travels from the uploading station to its node over the
contact plan → written as above. A ``get`` reads and verifies shards (corrupted ones are
detected, deleted and logged, never used), takes the ``k`` that reach the requesting station
first, decodes, decrypts and checks the keyed checksum (HMAC-SHA256) before returning.

Listing order: keys are listed in byte order of their UTF-8 encoding, S3's order
(ListObjectsV2, "List results are always returned in UTF-8 binary order"). For Python strings
(no lone surrogates: :func:`check_key` refuses them) this is the same as ``str`` order, because
UTF-8 preserves code-point order; it differs from UTF-16 order (Java, JavaScript, .NET): there
U+1F600 (a surrogate pair, 0xD83D...) sorts before U+FF5E, in UTF-8 after. It is
case-sensitive ("B" < "a" < "b") and does not normalise ("e\u0301" and "é" are two keys). The
order comes from the catalog's index (:meth:`.catalog.Catalog.keys_after`), so a page costs
O(log n + page) whatever the other tenants hold.

Buckets live in their tenant's namespace: a tenant cannot name, read or list another tenant's
buckets (it gets :class:`NoSuchBucketError`, the same answer as for a bucket that does not
exist), and raw shard bytes are useless without the owner's data key.

Times: every call takes the simulation time ``t_s`` [s since the scenario epoch] and returns
the times things happen, so a discrete-event engine can drive it.
"""

from __future__ import annotations

import builtins
import concurrent.futures
import fcntl
import hashlib
import math
import os
import secrets
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType

import numpy as np
from numpy.typing import NDArray

from orbitcloud.scenario.base import check_name
from orbitcloud.sim.events import EventLog
from orbitcloud.storage.catalog import CATALOG_FILE, Catalog, ObjectRecord, ShardRecord, utc_now
from orbitcloud.storage.codec import Codec, codec_for
from orbitcloud.storage.crypto import (
    DataKey,
    IntegrityError,
    UnwrapError,
    checksum,
    key_id_of,
    new_data_key,
    open_sealed,
    seal,
    sha256_hex,
    unwrap_key,
    wrap_key,
)
from orbitcloud.storage.keys import MasterKey, MasterKeyError, master_key
from orbitcloud.storage.placement import (
    Erasure,
    NodeDomains,
    PlacementError,
    PlacementPolicy,
    StorageNode,
    place,
)
from orbitcloud.storage.shardstore import ShardState, ShardStore, shard_file_bytes
from orbitcloud.storage.sovereignty import SovereigntyPolicy
from orbitcloud.storage.timing import NetworkTimer, Transfer

__all__ = [
    "ATTRS_MAX_BYTES",
    "KEY_MAX_BYTES",
    "LOCK_FILE",
    "SHARD_DIR",
    "BucketInfo",
    "BucketNotEmptyError",
    "GetResult",
    "InvalidAttrsError",
    "InvalidNameError",
    "NoSuchBucketError",
    "NoSuchKeyError",
    "NodeMismatchError",
    "ObjectInfo",
    "ObjectLostError",
    "ObjectStore",
    "PutResult",
    "RetiredKeyError",
    "RotationResult",
    "StorageError",
    "StoreLockedError",
    "check_attrs",
    "check_key",
]

SERVICE = "storage"
LOCK_FILE = "LOCK"
SHARD_DIR = "shards"
KEY_MAX_BYTES = 1024  # S3's limit on an object key's UTF-8 length
# limit on a version's attributes: sum of the UTF-8 lengths of names and values (S3's own
# user-metadata limit is 2 KB; ETag, Content-Type and Last-Modified fit in the rest)
ATTRS_MAX_BYTES = 8192
_MASTER_CHECK = "master_check"


_POOL: tuple[int, concurrent.futures.ThreadPoolExecutor] | None = None


def _shard_pool() -> concurrent.futures.ThreadPoolExecutor:
    """Threads writing the shard files of a put (one pool per process, made again in a forked
    child, whose copy has no threads; one put's shards are written in parallel, then
    committed: the crash protocol is unchanged)."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        _POOL = (os.getpid(), concurrent.futures.ThreadPoolExecutor(8, "shard"))
    return _POOL[1]


class StorageError(RuntimeError):
    """Base of the service's request errors."""


class NoSuchBucketError(StorageError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class BucketNotEmptyError(StorageError):
    """``delete_bucket`` of a bucket that still holds objects."""


class NoSuchKeyError(StorageError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class ObjectLostError(StorageError):
    """Fewer than ``k`` shards of the object survive uncorrupted: its data is gone."""


class InvalidNameError(StorageError, ValueError):
    """A tenant, bucket, key or node name breaks the naming rules (the message says which)."""


class InvalidAttrsError(StorageError, ValueError):
    """Object attributes that are not str → str, or exceed :data:`ATTRS_MAX_BYTES`."""


class StoreLockedError(StorageError):
    """Another process (or another :class:`ObjectStore` in this one) holds the store."""

    def __init__(self, root: Path, holder: str) -> None:
        self.root = root
        self.holder = holder
        super().__init__(
            f"store {str(root)!r} is in use by process {holder} (it holds {root / LOCK_FILE}); "
            "one process opens a store at a time: close it there, or use another root"
        )


class NodeMismatchError(StorageError, ValueError):
    """The store was created with another node list than the one given."""


class RetiredKeyError(StorageError, ValueError):
    """Data sealed under a data key that a rotation destroyed."""


def check_key(key: object) -> str:
    """``key`` if it is a valid object key: 1-1024 bytes of UTF-8 without NUL (S3's rule)."""
    shown = repr(key) if len(repr(key)) <= 80 else repr(key)[:77] + "..."
    if not isinstance(key, str):
        raise InvalidNameError(f"object key {shown} must be a string")
    try:
        n = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidNameError(f"object key {shown} is not valid UTF-8 (lone surrogate)") from None
    if not 1 <= n <= KEY_MAX_BYTES or "\0" in key:
        raise InvalidNameError(
            f"object key {shown} ({n} bytes) is not valid: 1-{KEY_MAX_BYTES} bytes of UTF-8 "
            "without NUL"
        )
    return key


def check_attrs(attrs: Mapping[str, str] | None) -> dict[str, str]:
    """``attrs`` as a plain dict if valid: names and values are strings of valid UTF-8 (names
    non-empty), together at most :data:`ATTRS_MAX_BYTES` bytes of UTF-8."""
    if attrs is None:
        return {}
    if not isinstance(attrs, Mapping):
        raise InvalidAttrsError(f"object attrs must be a mapping of str to str, not {attrs!r:.80}")
    out: dict[str, str] = {}
    total = 0
    for name, value in attrs.items():
        if not isinstance(name, str) or not name or not isinstance(value, str):
            raise InvalidAttrsError(
                f"object attr {name!r:.80}: {value!r:.80} is not valid: names are non-empty "
                "strings, values strings"
            )
        try:
            total += len(name.encode("utf-8")) + len(value.encode("utf-8"))
        except UnicodeEncodeError:
            raise InvalidAttrsError(
                f"object attr {name!r:.80} is not valid UTF-8 (lone surrogate)"
            ) from None
        out[name] = value
    if total > ATTRS_MAX_BYTES:
        raise InvalidAttrsError(
            f"object attrs are {total} bytes of UTF-8 (names + values); the limit is "
            f"{ATTRS_MAX_BYTES} bytes (ATTRS_MAX_BYTES)"
        )
    return out


def _name(value: object, what: str) -> str:
    try:
        return check_name(value, what)
    except ValueError as err:
        raise InvalidNameError(str(err)) from None


@dataclass
class _Tenant:
    name: str
    keys: dict[str, DataKey | None]  # key id (hex) → data key, None once retired
    current: str
    sovereignty: SovereigntyPolicy
    policy: PlacementPolicy
    buckets: set[str] = field(default_factory=set)
    bucket_created: dict[str, str] = field(default_factory=dict)  # bucket → created_utc

    @property
    def key(self) -> DataKey:
        k = self.keys[self.current]
        assert k is not None
        return k


# the records of the catalog, under the names scrub and repair use
_Object = ObjectRecord
_Shard = ShardRecord


@dataclass(frozen=True)
class ObjectInfo:
    """What ``head``/``list`` tell about an object (no data).

    Attributes:
        object_id: random 128-bit id (hex) of this version; names its shard files.
        checksum: HMAC-SHA256 (hex) of the plaintext under the tenant's MAC key (derived from
            the data key ``key_id``): comparable by the key holder only, and it changes when
            the key is rotated.
        key_id: the data key (hex id) the version is sealed under.
        healthy_shards: shards not known to be lost or corrupted (as of the last check).
        attr_items: the version's attributes (``put(..., attrs=)``) as (name, value) pairs
            sorted by name: a tuple, so the record stays frozen, hashable and picklable.
            Read them through :attr:`attrs`.
    """

    tenant: str
    bucket: str
    key: str
    object_id: str
    version: int
    size_bytes: int
    checksum: str
    key_id: str
    policy: str
    k: int
    n: int
    put_s: float
    durable_s: float
    healthy_shards: int
    lost: bool
    attr_items: tuple[tuple[str, str], ...] = ()

    @property
    def attrs(self) -> Mapping[str, str]:
        """The version's attributes, a read-only mapping (a fresh view on each access)."""
        return MappingProxyType(dict(self.attr_items))


@dataclass(frozen=True)
class BucketInfo:
    """A bucket: its name and when it was created (wall clock, ISO-8601 UTC,
    ``2025-01-31T12:00:00.000Z``; buckets of a format-2 catalog: the time of the migration)."""

    name: str
    created_utc: str


@dataclass(frozen=True)
class PutResult:
    """A stored object: ``durable_s`` when all ``n`` shards had landed (NaN if some could not
    be delivered within the contact plan), ``k_durable_s`` when ``k`` had (readable from then)."""

    info: ObjectInfo
    put_s: float
    k_durable_s: float
    durable_s: float
    nodes: tuple[str, ...]
    transfers: tuple[Transfer, ...]


@dataclass(frozen=True)
class GetResult:
    """Bytes read back, and when they reach the requesting station (``ready_s``; NaN if fewer
    than ``k`` shards can reach it within the contact plan)."""

    data: bytes
    t_s: float
    ready_s: float
    shards_used: tuple[int, ...]

    @property
    def latency_s(self) -> float:
        return self.ready_s - self.t_s


@dataclass(frozen=True)
class RotationResult:
    """One key rotation: the retired key ids, the new one, and the objects re-encrypted (and
    those skipped because they were already lost: they stay unreadable)."""

    tenant: str
    new_key_id: str
    retired_key_ids: tuple[str, ...]
    objects_reencrypted: int
    objects_lost_skipped: int


def _lock_root(root: Path) -> int:
    """Open and ``flock`` ``<root>/LOCK`` (exclusive, non-blocking); returns the fd."""
    path = root / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "(pid not yet written)"
        os.close(fd)
        raise StoreLockedError(root, holder) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


class ObjectStore:
    """Tenants, buckets and objects over a set of storage nodes (see the module docstring).

    Opening a root that holds a store restores it: every committed object, versions, tenants
    (keys, policies, jurisdictions), buckets, node failures and used bytes.

    Args:
        root: the store's directory (created if absent).
        nodes: the storage nodes, list[n_node]; with a ``timer`` they must be the contact
            plan's nodes in its order (satellites, then ground stations). Reopening needs the
            same names in the same order (:class:`NodeMismatchError` otherwise); capacities,
            planes and jurisdictions are taken from the list given.
        timer: network timing over a contact plan; None: transfers are instantaneous.
        log: event log to append to (a fresh one by default).
        seed: seeds placement (shard nodes depend on the seed, tenant, bucket, key and
            version; never on the random object ids), not keys.
        fsync: make every shard write and catalog commit durable (turn off only in tests;
            atomicity holds either way).
        default_policy: placement of tenants that do not state one.
        master_key: the master key (:class:`~.keys.MasterKey` or 32 bytes); None: from
            ``ORBITCLOUD_MASTER_KEY``, ``key_file`` or ``ORBITCLOUD_MASTER_KEY_FILE``, else
            ephemeral (:func:`~.keys.master_key`).
        key_file: master key file (outside ``root``), created 0600 if absent.

    Raises:
        StoreLockedError: another process holds the store.
        MasterKeyError: the master key is not the one the store's keys are wrapped with.
        NodeMismatchError, InvalidNameError: bad node list.
    """

    def __init__(
        self,
        root: Path,
        nodes: Sequence[StorageNode],
        timer: NetworkTimer | None = None,
        log: EventLog | None = None,
        seed: int = 0,
        fsync: bool = True,
        default_policy: PlacementPolicy | None = None,
        master_key: MasterKey | bytes | None = None,
        key_file: Path | str | None = None,
    ) -> None:
        self.nodes = list(nodes)
        for j, n in enumerate(self.nodes):
            _name(n.name, f"storage node [{j}] name")
        self.index = {n.name: i for i, n in enumerate(self.nodes)}
        if len(self.index) != len(self.nodes):
            raise ValueError("storage node names must be unique")
        if timer is not None and timer.plan.nodes.names != [n.name for n in self.nodes]:
            raise ValueError("storage nodes must be the contact plan's nodes, in its order")
        self.root = Path(root)
        self.timer = timer
        self.log = log if log is not None else EventLog()
        self.seed = int(seed)
        self.default_policy: PlacementPolicy = default_policy or Erasure(4, 2)
        self.domains = NodeDomains.of(self.nodes)
        self.capacity_bytes = np.asarray([n.capacity_bytes for n in self.nodes], dtype=float)
        self.used_bytes = np.zeros(len(self.nodes))
        self.alive = np.ones(len(self.nodes), dtype=bool)
        # False from the detection of a node's compromise (:meth:`distrust_node`; in memory)
        self.trusted = np.ones(len(self.nodes), dtype=bool)
        self._tenants: dict[str, _Tenant] = {}
        self._objects: dict[tuple[str, str, str], _Object] = {}
        self._transit: dict[str, NDArray[np.bool_]] = {}
        self._lock = threading.RLock()
        self._key_locks: dict[tuple[str, str, str], threading.Lock] = {}
        self._closed = False
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock_fd = _lock_root(self.root)
        self._finalizer = weakref.finalize(self, os.close, self._lock_fd)
        try:
            self.master = self._master(master_key, key_file)
            self.catalog = Catalog(self.root / CATALOG_FILE, fsync)
            self.shards = ShardStore(self.root / SHARD_DIR, fsync)
            self._open()
        except BaseException:
            if hasattr(self, "catalog"):
                self.catalog.close()
            self._finalizer()
            raise

    def _master(self, given: MasterKey | bytes | None, key_file: Path | str | None) -> MasterKey:
        if isinstance(given, MasterKey):
            return given
        if given is not None:
            return MasterKey.given(bytes(given))
        return master_key(key_file, self.root)

    # --- open, recover, close ----------------------------------------------------------------

    def _open(self) -> None:
        cat = self.catalog
        check = cat.meta(_MASTER_CHECK)
        if check is None:
            cat.set_meta(_MASTER_CHECK, wrap_key(self.master.key, os.urandom(32)))
        else:
            self._unwrap(check, "the store")
        recorded = cat.nodes()
        names = [n.name for n in self.nodes]
        if recorded and [n for n, _ in recorded] != names:
            old = [n for n, _ in recorded]
            raise NodeMismatchError(
                f"store {str(self.root)!r} was created with {len(old)} nodes and is opened with "
                f"{len(names)}: only in the store {sorted(set(old) - set(names))[:10]}, only "
                f"given {sorted(set(names) - set(old))[:10]}"
                + ("; same names, another order" if set(old) == set(names) else "")
                + ". A store's node names and their order are fixed when it is created; open it "
                "with the same node list, or use a new root"
            )
        cat.set_nodes(self.nodes)
        for i, (_, alive) in enumerate(recorded):
            self.alive[i] = alive
        for name, allowed, policy, current in cat.tenants():
            keys: dict[str, DataKey | None] = {}
            for kid, wrapped in cat.keys(name):
                if wrapped is not None:
                    keys[kid] = DataKey(bytes.fromhex(kid), self._unwrap(wrapped, name))
                else:
                    keys[kid] = None
            self._register(
                _Tenant(name, keys, current, SovereigntyPolicy.of(name, allowed), policy)
            )
        for tenant, bucket, created in cat.buckets():
            self._tenants[tenant].buckets.add(bucket)
            self._tenants[tenant].bucket_created[bucket] = created
        for o in cat.objects():
            self._objects[(o.tenant, o.bucket, o.key)] = o
        for i, b in cat.used_bytes().items():
            self.used_bytes[i] = b
        self._sweep()

    def _unwrap(self, wrapped: bytes, whose: str) -> bytes:
        try:
            return unwrap_key(self.master.key, wrapped)
        except UnwrapError:
            hint = (
                " (this process made an ephemeral key: a store created with an ephemeral key "
                "cannot be reopened by another process; set ORBITCLOUD_MASTER_KEY or "
                "ORBITCLOUD_MASTER_KEY_FILE)"
                if self.master.source == "ephemeral"
                else ""
            )
            raise MasterKeyError(
                f"store {str(self.root)!r}: the master key (from {self.master.source}) is not "
                f"the one {whose}'s keys are wrapped with; nothing can be decrypted with it" + hint
            ) from None

    def _sweep(self) -> None:
        """Delete temp files, orphan shard files (no committed row names them) and the
        directories of lost nodes."""
        temps = self.shards.recover()
        named: dict[str, set[str]] = {}
        for o in self._objects.values():
            for i, s in o.shards.items():
                named.setdefault(self.nodes[s.node].name, set()).add(o.shard_name(i))
        orphans = 0
        for i, node in enumerate(self.nodes):
            if not self.alive[i]:
                self.shards.drop_node(node.name)
                continue
            keep = named.get(node.name, set())
            gone = [f for f in self.shards.names(node.name) if f not in keep]
            for f in gone:
                self.shards.delete(node.name, f)
            orphans += len(gone)
        if temps or orphans:
            what = f"{orphans} orphan shard files and {temps} temp files removed"
            self.log.add(0.0, SERVICE, "store_recovered", "", str(self.root), orphans, what)

    def close(self) -> None:
        """Close the catalog and release the store's lock (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.catalog.close()
            self._finalizer()

    def __enter__(self) -> ObjectStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _key_lock(self, tenant: str, bucket: str, key: str) -> Iterator[None]:
        with self._lock:
            if self._closed:
                raise StorageError(f"store {str(self.root)!r} is closed")
            lock = self._key_locks.setdefault((tenant, bucket, key), threading.Lock())
        with lock:
            yield

    # --- tenants and buckets ---------------------------------------------------------------

    def _register(self, t: _Tenant) -> None:
        self._tenants[t.name] = t
        if self.timer is not None:
            n_sat = self.timer.plan.nodes.n_sat
            juris = [n.jurisdiction for n in self.nodes]
            self._transit[t.name] = t.sovereignty.allowed_nodes(juris, n_sat)

    def add_tenant(
        self,
        name: str,
        allowed_jurisdictions: Sequence[str] | None = None,
        policy: PlacementPolicy | None = None,
    ) -> None:
        """Register a tenant with a fresh random data key (stored wrapped by the master key)."""
        _name(name, "tenant name")
        sov = SovereigntyPolicy.of(name, allowed_jurisdictions)
        with self._lock:
            if name in self._tenants:
                raise ValueError(f"tenant {name!r} already exists")
            dk = new_data_key()
            pol = policy or self.default_policy
            allowed = sorted(sov.allowed) if sov.allowed is not None else None
            self.catalog.add_tenant(
                name, allowed, pol, dk.hex_id, wrap_key(self.master.key, dk.key)
            )
            self._register(_Tenant(name, {dk.hex_id: dk}, dk.hex_id, sov, pol))

    def tenant_names(self) -> builtins.list[str]:
        with self._lock:
            return sorted(self._tenants)

    def create_bucket(self, tenant: str, bucket: str) -> bool:
        """Create ``bucket`` (committed before returning). True if it was created, False if
        the tenant already has it (S3's BucketAlreadyOwnedByYou)."""
        _name(bucket, "bucket name")
        with self._lock:
            t = self._tenant(tenant)
            if bucket in t.buckets:
                return False
            created = utc_now()
            made = self.catalog.add_bucket(tenant, bucket, created)
            assert made, f"bucket {tenant}/{bucket} in the catalog but not in memory"
            t.buckets.add(bucket)
            t.bucket_created[bucket] = created
            return True

    def delete_bucket(self, tenant: str, bucket: str) -> None:
        """Delete an empty bucket (committed before returning). :class:`NoSuchBucketError` if
        the tenant has no such bucket, :class:`BucketNotEmptyError` if it holds objects. Its
        keys' version counters stay, so a bucket made again with the name never reuses a
        version number. A put in flight into the bucket fails with :class:`NoSuchBucketError`
        at its commit."""
        with self._lock:
            t = self._bucket(tenant, bucket)
            if not self.catalog.delete_bucket(tenant, bucket):
                n = sum(1 for _ in self.catalog.keys_after(tenant, bucket, "", None))
                raise BucketNotEmptyError(
                    f"bucket {bucket!r} of tenant {tenant!r} holds {n} objects: delete them first"
                )
            t.buckets.discard(bucket)
            t.bucket_created.pop(bucket, None)

    def buckets(self, tenant: str) -> builtins.list[BucketInfo]:
        """The tenant's buckets, sorted by name."""
        with self._lock:
            t = self._tenant(tenant)
            return [BucketInfo(b, t.bucket_created[b]) for b in sorted(t.buckets)]

    def _tenant(self, tenant: str) -> _Tenant:
        try:
            return self._tenants[tenant]
        except KeyError:
            raise StorageError(f"unknown tenant {tenant!r}") from None

    def _bucket(self, tenant: str, bucket: str) -> _Tenant:
        t = self._tenant(tenant)
        if bucket not in t.buckets:
            raise NoSuchBucketError(f"tenant {tenant!r} has no bucket {bucket!r}")
        return t

    def _object(self, tenant: str, bucket: str, key: str) -> _Object:
        with self._lock:
            self._bucket(tenant, bucket)
            try:
                return self._objects[(tenant, bucket, key)]
            except KeyError:
                raise NoSuchKeyError(f"no object {key!r} in bucket {bucket!r}") from None

    def _station(self, t: _Tenant, station: str, action: str) -> int:
        i = self.index.get(station)
        if i is None or self.nodes[i].kind != "ground":
            raise StorageError(f"{station!r} is not a ground station of this scenario")
        t.sovereignty.check_station(station, self.nodes[i].jurisdiction, action)
        return i

    # --- info ------------------------------------------------------------------------------

    def _info(self, o: _Object) -> ObjectInfo:
        return ObjectInfo(
            o.tenant, o.bucket, o.key, o.object_id, o.version, o.size_bytes, o.checksum,
            o.key_id, o.policy.name, o.policy.k, o.policy.n, o.put_s, o.durable_s,
            sum(s.ok for s in o.shards.values()), o.lost, tuple(sorted(o.attrs.items())),
        )  # fmt: skip

    def head(self, tenant: str, bucket: str, key: str) -> ObjectInfo:
        with self._lock:
            return self._info(self._object(tenant, bucket, key))

    def list(
        self,
        tenant: str,
        bucket: str,
        prefix: str = "",
        start_after: str | None = None,
        limit: int | None = None,
    ) -> builtins.list[ObjectInfo]:
        """The tenant's objects in ``bucket`` whose key starts with ``prefix`` and sorts after
        ``start_after`` (which need not be a stored key), at most ``limit`` of them (None: all),
        in byte order of the keys' UTF-8 (S3's order; see the module docstring). Page with
        ``start_after`` = the last key of the previous page."""
        if not isinstance(prefix, str):
            raise InvalidNameError(f"list prefix {prefix!r:.80} must be a string")
        if start_after is not None and not isinstance(start_after, str):
            raise InvalidNameError(f"list start_after {start_after!r:.80} must be a string")
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ValueError(f"list limit {limit!r:.80} must be an integer >= 0 or None")
        with self._lock:
            self._bucket(tenant, bucket)
            out: builtins.list[ObjectInfo] = []
            if limit == 0:
                return out
            for k in self.catalog.keys_after(tenant, bucket, prefix, start_after):
                out.append(self._info(self._objects[(tenant, bucket, k)]))
                if limit is not None and len(out) >= limit:
                    break
            return out

    def objects(self) -> builtins.list[ObjectInfo]:
        """Every object of every tenant (operator view, for reports)."""
        with self._lock:
            return [self._info(o) for _, o in sorted(self._objects.items())]

    # --- put -------------------------------------------------------------------------------

    def _refuse(self, t_s: float, tenant: str, subject: str, station: str, err: Exception) -> None:
        self.log.add(t_s, SERVICE, "refused", station, f"{tenant}/{subject}", detail=str(err))

    def put(
        self,
        tenant: str,
        bucket: str,
        key: str,
        data: bytes,
        t_s: float = 0.0,
        station: str | None = None,
        attrs: Mapping[str, str] | None = None,
        before_commit: Callable[[], Mapping[str, str]] | None = None,
    ) -> PutResult:
        """Store ``data`` under ``key`` as a new version (it replaces the old one once its
        shards are written and committed; see the crash protocol in the module docstring).
        Returns once the version is durable.

        ``station``: the ground station it is uplinked from at ``t_s`` (must be allowed by the
        tenant's sovereignty policy); None: no network timing (shards land at ``t_s``).
        ``attrs``: string attributes of this version (ETag, Content-Type, user metadata, ...),
        committed in the same transaction as the version, at most :data:`ATTRS_MAX_BYTES`
        (:class:`InvalidAttrsError` otherwise); a later put replaces them with its own.
        ``before_commit``: called once the shards are written, just before the commit; the
        attributes it returns join ``attrs``, and an exception from it undoes the put (nothing
        committed, the shards removed) and propagates. The gateway verifies the request's
        payload hashes there, so they run while the shards are encoded and written.
        """
        data = bytes(data)
        try:
            check_key(key)
            clean = check_attrs(attrs)
            with self._key_lock(tenant, bucket, key):
                return self._put(tenant, bucket, key, data, t_s, station, clean, before_commit)
        except (PlacementError, ValueError) as err:
            with self._lock:
                self._refuse(t_s, tenant, f"{bucket}/{key}", station or "", err)
            raise

    def _put(
        self,
        tenant: str,
        bucket: str,
        key: str,
        data: bytes,
        t_s: float,
        station: str | None,
        attrs: dict[str, str],
        before_commit: Callable[[], Mapping[str, str]] | None = None,
    ) -> PutResult:
        with self._lock:
            t = self._bucket(tenant, bucket)
            src = self._station(t, station, "uplink") if station is not None else None
            version = self.catalog.next_version(tenant, bucket, key)
            dk = t.key
        object_id = secrets.token_hex(16)
        policy = t.policy
        pool = _shard_pool()
        mac = pool.submit(checksum, dk, data)  # HMAC releases the GIL: beside seal and encode
        fragments = codec_for(policy.k, policy.n).encode(seal(dk, data, object_id, version))
        o = _Object(
            tenant, bucket, key, object_id, version, len(data), mac.result(), dk.hex_id,
            policy, t_s, math.nan, math.nan, {}, False, attrs,
        )  # fmt: skip
        file_bytes = shard_file_bytes(len(fragments[0]), o.owner)
        with self._lock:
            targets = self._place(t, policy, tenant, bucket, key, version, file_bytes, src)
            transfers = self._uplink(t, src, targets, t_s, file_bytes, policy.k)
            for node, tr in zip(targets, transfers, strict=True):
                if tr is not None:
                    self.used_bytes[node] += file_bytes  # reserved until committed or undone
        written: builtins.list[tuple[int, int]] = []
        old: _Object | None = None
        committed = False
        try:
            jobs = [(i, node, tr) for i, (node, tr) in enumerate(zip(targets, transfers,
                    strict=True)) if tr is not None]  # fmt: skip

            def write(i: int, node: int) -> tuple[str, int]:
                # hashing, writing and fsync release the GIL: the n shards go in parallel
                digest = hashlib.sha256(fragments[i]).digest()
                name = self.nodes[node].name
                size = self.shards.write(name, o.shard_name(i), o.owner, i, fragments[i], digest)
                return digest.hex(), size

            futures = [(i, node, tr, pool.submit(write, i, node)) for i, node, tr in jobs]
            failure: BaseException | None = None
            for i, node, tr, fut in futures:  # wait for all, so none is left in flight
                try:
                    digest_hex, size = fut.result()
                except BaseException as exc:  # re-raised below, after the rest are done
                    failure = failure or exc
                    continue
                written.append((i, node))
                o.shards[i] = _Shard(i, node, digest_hex, len(fragments[i]), size, tr.arrival_s)
            if failure is not None:
                raise failure
            if before_commit is not None:
                o.attrs = check_attrs({**attrs, **before_commit()})
            landed = sorted(s.landed_s for s in o.shards.values())
            o.k_durable_s = landed[policy.k - 1]
            if len(landed) == policy.n:
                o.durable_s = landed[-1]
            with self._lock:
                if t.keys.get(dk.hex_id) is None:  # a rotation retired the key meanwhile
                    raise RetiredKeyError(
                        f"tenant {tenant!r}'s key was rotated during this put; put again"
                    )
                self._bucket(tenant, bucket)  # deleted meanwhile: NoSuchBucketError
                old = self._objects.get((tenant, bucket, key))
                self.catalog.put_object(o, old.object_id if old is not None else None)
                committed = True
                self._objects[(tenant, bucket, key)] = o
                if old is not None:
                    self._release(old)
                self._log_put(o, targets, transfers, station)
        except BaseException:
            if not committed:
                with self._lock:
                    for node, tr in zip(targets, transfers, strict=True):
                        if tr is not None:
                            self.used_bytes[node] -= file_bytes
                            if self.timer is not None and src is not None:
                                self.timer.unbook(tr)
                for i, node in written:
                    self.shards.delete(self.nodes[node].name, o.shard_name(i))
            raise
        if old is not None:
            self._unlink(old)
        return PutResult(
            self._info(o), t_s, o.k_durable_s, o.durable_s,
            tuple(self.nodes[n].name for n in targets),
            tuple(tr for tr in transfers if tr is not None),
        )  # fmt: skip

    def _log_put(
        self,
        o: _Object,
        targets: builtins.list[int],
        transfers: builtins.list[Transfer | None],
        station: str | None,
    ) -> None:
        for i, (node, tr) in enumerate(zip(targets, transfers, strict=True)):
            name = self.nodes[node].name
            if tr is None:
                self.log.add(o.put_s, SERVICE, "shard_undeliverable", name, o.shard_name(i))
            else:
                size = o.shards[i].file_bytes
                self.log.add(tr.arrival_s, SERVICE, "shard_landed", name, o.shard_name(i), size)
        subj = f"{o.tenant}/{o.bucket}/{o.key}"
        self.log.add(o.put_s, SERVICE, "object_put", station or "", subj, o.size_bytes,
                     o.policy.name)  # fmt: skip
        if math.isfinite(o.durable_s):
            self.log.add(o.durable_s, SERVICE, "object_durable", "", subj, o.durable_s - o.put_s)

    def _rng(self, *salt: str | int) -> np.random.Generator:
        words = [int.from_bytes(hashlib.sha256(str(s).encode()).digest()[:8]) for s in salt]
        return np.random.default_rng([self.seed, *words])

    def _place(
        self,
        t: _Tenant,
        policy: PlacementPolicy,
        tenant: str,
        bucket: str,
        key: str,
        version: int,
        file_bytes: int,
        src: int | None,
    ) -> builtins.list[int]:
        free = self.capacity_bytes - self.used_bytes
        rng = self._rng("put", tenant, bucket, key, version)  # one hashed word per name
        ground: builtins.list[int] = []
        if policy.ground_copy:
            site = getattr(policy, "ground_site", None) or (
                self.nodes[src].name if src is not None else None
            )
            if site is None:
                raise PlacementError(
                    f"{policy.name} keeps a copy on the ground: name ground_site, or put from "
                    "a station"
                )
            g = self._station(t, site, "store a ground copy")
            if not (self.alive[g] and free[g] >= file_bytes):
                raise PlacementError(
                    f"ground site {site!r} cannot take a {file_bytes}-byte copy "
                    f"({'lost' if not self.alive[g] else f'{free[g]:.0f} bytes free'})"
                )
            ground = [g]
        sats = place(
            policy, self.domains, free, file_bytes, rng,
            count=policy.n - len(ground), taken=ground, usable=self.usable,
        )  # fmt: skip
        return ground + sats

    def _uplink(
        self,
        t: _Tenant,
        src: int | None,
        targets: builtins.list[int],
        t_s: float,
        size: int,
        k: int,
    ) -> builtins.list[Transfer | None]:
        if self.timer is None or src is None:
            return [Transfer(-1, n, size, t_s, t_s, ()) for n in targets]
        allowed = self._transit[t.name]
        out = [self.timer.deliver(src, n, t_s, size, allowed) for n in targets]
        if sum(tr is not None for tr in out) < k:
            for tr in out:
                if tr is not None:
                    self.timer.unbook(tr)
            raise PlacementError(
                f"only {sum(tr is not None for tr in out)} of {len(targets)} shards can reach "
                f"their satellites from {self.nodes[src].name!r} before the contact plan ends "
                f"({k} needed)"
            )
        return out

    # --- get -------------------------------------------------------------------------------

    def verify(self, o: _Object, t_s: float) -> dict[int, bytes]:
        """Read every shard of ``o`` still believed healthy; corrupted or missing ones are
        marked (in the catalog too; corrupted files deleted) and logged. Returns the verified
        payloads."""
        good: dict[int, bytes] = {}
        bad: builtins.list[tuple[int, str, ShardState, str]] = []
        for i, s in sorted(o.shards.items()):
            if not s.ok:
                continue
            node = self.nodes[s.node].name
            r = self.shards.read(node, o.shard_name(i), o.owner, i, s.sha256)
            if r.state is ShardState.OK and r.payload is not None:
                good[i] = r.payload
            else:
                bad.append((i, node, r.state, r.reason))
        if not bad and (len(good) >= o.policy.k or o.lost):
            return good
        with self._lock:
            for i, node, state, reason in bad:
                s = o.shards[i]
                s.ok = False
                self.used_bytes[s.node] -= s.file_bytes
                kind = "shard_corrupted_detected" if state is ShardState.CORRUPT else "shard_lost"
                self.log.add(t_s, SERVICE, kind, node, o.shard_name(i), detail=reason)
            if len(good) < o.policy.k and not o.lost:
                o.lost = True
                self.log.add(t_s, SERVICE, "object_lost", "", f"{o.tenant}/{o.bucket}/{o.key}",
                             len(good), f"{len(good)} of {o.policy.n} shards left, "
                             f"{o.policy.k} needed")  # fmt: skip
            if self._objects.get((o.tenant, o.bucket, o.key)) is o:
                self.catalog.save_state(o)
        for i, node, state, _ in bad:  # after the commit: the row no longer counts the file
            if state is ShardState.CORRUPT:
                self.shards.delete(node, o.shard_name(i))
        return good

    def get(
        self, tenant: str, bucket: str, key: str, t_s: float = 0.0, station: str | None = None
    ) -> GetResult:
        """The object's bytes, exactly as put, or an error: :class:`ObjectLostError` when fewer than
        ``k`` shards survive uncorrupted, :class:`IntegrityError` if the decrypted bytes fail
        authentication. ``station``: where it is downlinked at ``t_s`` (timing and
        sovereignty); None: no network timing."""
        check_key(key)
        with self._key_lock(tenant, bucket, key):
            return self._get(tenant, bucket, key, t_s, station)

    def _get(
        self, tenant: str, bucket: str, key: str, t_s: float, station: str | None
    ) -> GetResult:
        o = self._object(tenant, bucket, key)
        t = self._tenants[tenant]
        try:
            dst = self._station(t, station, "downlink") if station is not None else None
        except ValueError as err:
            with self._lock:
                self._refuse(t_s, tenant, f"{bucket}/{key}", station or "", err)
            raise
        good = self.verify(o, t_s)
        subj = f"{tenant}/{bucket}/{key}"
        if o.lost:
            raise ObjectLostError(
                f"object {key!r} of tenant {tenant!r} is lost: {len(good)} of {o.policy.n} "
                f"shards survive, {o.policy.k} needed"
            )
        with self._lock:
            chosen, ready_s = self._downlink(t, o, good, dst, t_s)
        blob = codec_for(o.policy.k, o.policy.n).decode({i: good[i] for i in chosen})
        dk = self._key_for(tenant, blob, o.object_id, o.version)
        data = open_sealed(dk, blob, o.object_id, o.version)
        if checksum(dk, data) != o.checksum:  # needs a forged tag
            raise IntegrityError(f"object {key!r} failed its HMAC-SHA256 check: not returned", subj)
        with self._lock:
            self.log.add(ready_s if math.isfinite(ready_s) else t_s, SERVICE, "get_served",
                         station or "", subj, ready_s - t_s)  # fmt: skip
        return GetResult(data, t_s, ready_s, tuple(chosen))

    def unseal(self, tenant: str, blob: bytes, object_id: str, version: int) -> bytes:
        """Open a sealed blob of ``tenant`` (as ``get`` does after decoding): the key is the
        one the blob names. :class:`RetiredKeyError` if a rotation destroyed that key,
        :class:`IntegrityError` if it is not the tenant's or the blob fails authentication."""
        return open_sealed(
            self._key_for(tenant, blob, object_id, version), blob, object_id, version
        )

    def _key_for(self, tenant: str, blob: bytes, object_id: str, version: int) -> DataKey:
        """The tenant's data key a sealed blob names (errors as :meth:`unseal`)."""
        kid = key_id_of(blob).hex()
        with self._lock:
            keys = self._tenant(tenant).keys
        if kid not in keys:
            raise IntegrityError(
                f"object {object_id} v{version} names key id {kid}, which is not a key of "
                f"tenant {tenant!r}: not returned",
                object_id,
            )
        dk = keys[kid]
        if dk is None:
            raise RetiredKeyError(
                f"object {object_id} v{version} is sealed under key id {kid} of tenant "
                f"{tenant!r}, which was retired by a key rotation: it can no longer be opened"
            )
        return dk

    def _downlink(
        self, t: _Tenant, o: _Object, good: dict[int, bytes], dst: int | None, t_s: float
    ) -> tuple[builtins.list[int], float]:
        """The ``k`` verified shards that reach ``dst`` first (booked), and when the last of
        them arrives (NaN if fewer than ``k`` can)."""
        k = o.policy.k
        if self.timer is None or dst is None:
            return sorted(good)[:k], t_s
        allowed = self._transit[t.name]
        options: builtins.list[tuple[float, int, Transfer]] = []
        for i in sorted(good):
            s = o.shards[i]
            tr = self.timer.route(s.node, dst, max(t_s, s.landed_s), s.file_bytes, allowed)
            if tr is not None:
                options.append((tr.arrival_s, i, tr))
        options.sort(key=lambda x: (x[0], x[1]))
        if len(options) < k:
            return sorted(good)[:k], math.nan
        # book one at a time: a later shard may be slowed by an earlier one on a shared link
        arrivals = []
        for _, i, _tr in options[:k]:
            s = o.shards[i]
            tr = self.timer.deliver(s.node, dst, max(t_s, s.landed_s), s.file_bytes, allowed)
            arrivals.append(tr.arrival_s if tr is not None else math.nan)
        return sorted(i for _, i, _ in options[:k]), max(arrivals)

    # --- delete ----------------------------------------------------------------------------

    def _release(self, o: _Object) -> None:
        """Give back the used bytes of a version whose rows are gone (store lock held)."""
        for s in o.shards.values():
            if s.ok:
                self.used_bytes[s.node] -= s.file_bytes

    def _unlink(self, o: _Object) -> None:
        """Remove the files of a version whose rows are gone (after the commit). No directory
        fsync: an unlink lost to a power cut leaves an orphan, which the next open sweeps."""
        for i, s in o.shards.items():
            if self.alive[s.node] and self.trusted[s.node]:  # an adversary keeps its copies
                self.shards.delete(self.nodes[s.node].name, o.shard_name(i))

    def delete(self, tenant: str, bucket: str, key: str, t_s: float = 0.0) -> None:
        """Delete the object (its version counter stays: a later put gets a higher version)."""
        check_key(key)
        with self._key_lock(tenant, bucket, key):
            o = self._object(tenant, bucket, key)
            with self._lock:
                self.catalog.delete_object(o.object_id)
                del self._objects[(tenant, bucket, key)]
                self._release(o)
                self.log.add(t_s, SERVICE, "object_deleted", "", f"{tenant}/{bucket}/{key}")
            self._unlink(o)

    # --- keys ------------------------------------------------------------------------------

    def rotate_key(self, tenant: str, t_s: float = 0.0) -> RotationResult:
        """Give ``tenant`` a new random data key, re-encrypt each of its objects under it as a
        new version (same nodes and times, new object id), then destroy every older wrapped
        key (see the module docstring). Lost objects cannot be re-encrypted and stay lost."""
        with self._lock:
            t = self._tenant(tenant)
            dk = new_data_key()
            self.catalog.add_key(tenant, dk.hex_id, wrap_key(self.master.key, dk.key))
            t.keys[dk.hex_id] = dk
            t.current = dk.hex_id
        done = skipped = 0
        while True:
            with self._lock:
                todo = [
                    k for k, o in sorted(self._objects.items())
                    if k[0] == tenant and o.key_id != t.current and not o.lost
                ]  # fmt: skip
            if not todo:
                break
            for k in todo:
                with self._key_lock(*k):
                    o = self._objects.get(k)
                    if o is None or o.key_id == t.current:
                        continue
                    good = self.verify(o, t_s)
                    if o.lost:
                        skipped += 1
                        continue
                    blob = self._codec(o).decode(good)
                    self._reseal(t, o, self.unseal(tenant, blob, o.object_id, o.version))
                    done += 1
        with self._lock:
            retired = tuple(
                kid for kid, key in t.keys.items() if key is not None and kid != t.current
            )
            for kid in retired:
                self.catalog.retire_key(kid)
                t.keys[kid] = None
            what = f"new key {t.current}; retired {', '.join(retired) or 'none'}"
            self.log.add(t_s, SERVICE, "key_rotated", "", tenant, done, what)
        return RotationResult(tenant, t.current, retired, done, skipped)

    def _reseal(self, t: _Tenant, old: _Object, data: bytes) -> None:
        """Write ``data`` as a new version of ``old`` under the tenant's current key, on the
        nodes of ``old``'s healthy shards (key lock held)."""
        with self._lock:
            version = self.catalog.next_version(old.tenant, old.bucket, old.key)
            dk = t.key
        o = _Object(
            old.tenant, old.bucket, old.key, secrets.token_hex(16), version, len(data),
            checksum(dk, data), dk.hex_id, old.policy, old.put_s, old.k_durable_s, math.nan, {},
            False, dict(old.attrs),
        )  # fmt: skip
        fragments = self._codec(o).encode(seal(dk, data, o.object_id, o.version))
        try:
            for i, s in sorted(old.shards.items()):
                if not s.ok:
                    continue
                size = self.shards.write(self.nodes[s.node].name, o.shard_name(i), o.owner, i,
                                         fragments[i])  # fmt: skip
                o.shards[i] = _Shard(i, s.node, sha256_hex(fragments[i]), len(fragments[i]), size,
                                     s.landed_s)  # fmt: skip
            if len(o.shards) == o.policy.n:
                o.durable_s = old.durable_s
            with self._lock:
                self.catalog.put_object(o, old.object_id)
                self._objects[(o.tenant, o.bucket, o.key)] = o
                self._release(old)
                for s in o.shards.values():
                    self.used_bytes[s.node] += s.file_bytes
        except BaseException:
            for i, s in o.shards.items():
                self.shards.delete(self.nodes[s.node].name, o.shard_name(i))
            raise
        self._unlink(old)

    # --- faults ----------------------------------------------------------------------------

    @property
    def usable(self) -> NDArray[np.bool_]:
        """bool[n_node]: nodes placement and repair may write to (alive and trusted)."""
        return self.alive & self.trusted

    def held_shards(self, name: str) -> dict[str, int]:
        """The healthy shards of current objects on node ``name``: shard file name → file
        bytes (what an adversary holding the node can read: ciphertext fragments)."""
        i = self.index[name]
        with self._lock:
            return {
                o.shard_name(j): s.file_bytes
                for _, o in sorted(self._objects.items())
                for j, s in sorted(o.shards.items())
                if s.ok and s.node == i
            }

    def distrust_node(self, name: str, t_s: float) -> builtins.list[tuple[str, str, str]]:
        """A node found compromised at ``t_s``: no placement or repair writes to it from now on,
        its shards no longer count (marked missing, committed; their files stay where the
        adversary has them, and the store never deletes them), so the next repair rebuilds
        them on trusted nodes. The node is not lost. Returns the (tenant, bucket, key) of the
        objects that had a shard on it. Call :meth:`rotate_key` for their tenants to
        re-encrypt what the adversary holds under a new key."""
        i = self.index[name]
        hit: builtins.list[tuple[str, str, str]] = []
        with self._lock:
            self.trusted[i] = False
            for k, o in sorted(self._objects.items()):
                on = [s for s in o.shards.values() if s.ok and s.node == i]
                for s in on:
                    s.ok = False
                    self.used_bytes[i] -= s.file_bytes
                if on:
                    hit.append(k)
                    self.catalog.save_state(o)
            self.log.add(t_s, SERVICE, "node_distrusted", name, "", len(hit))
        return hit

    def fail_node(self, name: str, t_s: float) -> int:
        """A node is lost at ``t_s``: its shard directory is deleted, its contacts from then on
        removed. Returns the number of shards it held. Loss is detected by the next scrub."""
        with self._lock:
            i = self.index[name]
            if not self.alive[i]:
                return 0
            self.alive[i] = False
            self.catalog.set_alive(i, False)
            held = len(self.shards.names(name))
            self.shards.drop_node(name)
            if self.timer is not None:
                self.timer.take_down(i, t_s)
            self.log.add(t_s, SERVICE, "node_lost", name, "", held)
            return held

    def flip_bits(self, rng: np.random.Generator, t_s: float, node: str = "", bits: int = 1) -> int:
        """Single-event upsets: flip ``bits`` random bits of stored shard payloads (on ``node``,
        or anywhere). Returns how many bits were flipped (0 if nothing is stored there)."""
        with self._lock:
            files: builtins.list[tuple[str, str, int]] = []
            for _, o in sorted(self._objects.items()):
                for i, s in sorted(o.shards.items()):
                    nm = self.nodes[s.node].name
                    if s.ok and self.alive[s.node] and node in ("", nm):
                        files.append((nm, o.shard_name(i), s.file_bytes - s.payload_bytes))
            for _ in range(bits if files else 0):
                nm, shard, head = files[int(rng.integers(len(files)))]
                size = self.shards.file_bytes(nm, shard)
                bit = int(rng.integers(head * 8, max(size, head + 1) * 8))
                self.shards.flip_bit(nm, shard, bit)
                self.log.add(t_s, SERVICE, "bit_flip", nm, shard, bit)
            return bits if files else 0

    # --- internal access for scrub and repair -------------------------------------------------

    def _all_objects(self) -> builtins.list[_Object]:
        with self._lock:
            return [o for _, o in sorted(self._objects.items())]

    def _current(self, o: _Object) -> bool:
        with self._lock:
            return self._objects.get((o.tenant, o.bucket, o.key)) is o

    def _add_shard(self, o: _Object, s: _Shard) -> None:
        """Commit a (re)built shard of ``o`` (its file already written)."""
        with self._lock:
            old = o.shards.get(s.index)
            self.catalog.save_shard(o.object_id, s)
            if old is not None and old.ok:
                self.used_bytes[old.node] -= old.file_bytes
            o.shards[s.index] = s
            self.used_bytes[s.node] += s.file_bytes

    def _save(self, o: _Object) -> None:
        with self._lock:
            self.catalog.save_state(o)

    def _transit_mask(self, tenant: str) -> NDArray[np.bool_] | None:
        return self._transit.get(tenant)

    def _codec(self, o: _Object) -> Codec:
        return codec_for(o.policy.k, o.policy.n)
