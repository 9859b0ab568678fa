"""The object storage service: tenants, buckets and objects of real bytes.

:class:`ObjectStore` is a plain Python API (``put``, ``get``, ``head``, ``list``, ``delete``)
shaped so an S3-like HTTP front end can sit on it: every call names the tenant (the
authenticated principal), bucket and key, returns plain frozen records, and raises one of a few
domain errors (:class:`NoSuchBucketError`, :class:`NoSuchKeyError`, :class:`ObjectLostError`,
:class:`~orbitcloud.cloud.storage.crypto.IntegrityError`,
:class:`~orbitcloud.cloud.storage.sovereignty.SovereigntyError`,
:class:`~orbitcloud.cloud.storage.placement.PlacementError`).

Path of a ``put``: plaintext → SHA-256 → AES-256-GCM with the tenant's key, object id and
version bound as associated data → codec (``k`` of ``n`` fragments) → placement on ``n``
distinct nodes → each shard travels from the uploading station to its node over the contact
plan → written atomically in the node's directory. A ``get`` reads and verifies shards
(corrupted ones are detected, deleted and logged, never used), takes the ``k`` that reach the
requesting station first, decodes, decrypts and checks the SHA-256 before returning.

Buckets live in their tenant's namespace: a tenant cannot name, read or list another tenant's
buckets (it gets :class:`NoSuchBucketError`, the same answer as for a bucket that does not exist),
and even raw shard bytes are useless without the owner's key.

Times: every call takes the simulation time ``t_s`` [s since the scenario epoch] and returns
the times things happen, so a discrete-event engine can drive it.
"""

from __future__ import annotations

import builtins
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from orbitcloud.cloud.events import EventLog
from orbitcloud.cloud.storage.codec import Codec, codec_for
from orbitcloud.cloud.storage.crypto import (
    IntegrityError,
    derive_tenant_key,
    master_key_from_seed,
    open_sealed,
    seal,
    sha256_hex,
)
from orbitcloud.cloud.storage.placement import (
    Erasure,
    NodeDomains,
    PlacementError,
    PlacementPolicy,
    StorageNode,
    place,
)
from orbitcloud.cloud.storage.shardstore import ShardState, ShardStore, shard_file_bytes
from orbitcloud.cloud.storage.sovereignty import SovereigntyPolicy
from orbitcloud.cloud.storage.timing import NetworkTimer, Transfer

__all__ = [
    "GetResult",
    "NoSuchBucketError",
    "NoSuchKeyError",
    "ObjectInfo",
    "ObjectLostError",
    "ObjectStore",
    "PutResult",
    "StorageError",
]

SERVICE = "storage"


class StorageError(RuntimeError):
    """Base of the service's request errors."""


class NoSuchBucketError(StorageError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class NoSuchKeyError(StorageError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class ObjectLostError(StorageError):
    """Fewer than ``k`` shards of the object survive uncorrupted: its data is gone."""


@dataclass
class _Tenant:
    name: str
    key: bytes
    sovereignty: SovereigntyPolicy
    policy: PlacementPolicy
    buckets: set[str] = field(default_factory=set)


@dataclass
class _Shard:
    index: int
    node: int
    sha256: str
    payload_bytes: int
    file_bytes: int
    landed_s: float
    ok: bool = True


@dataclass
class _Object:
    tenant: str
    bucket: str
    key: str
    object_id: str
    version: int
    size_bytes: int
    sha256: str
    policy: PlacementPolicy
    put_s: float
    k_durable_s: float
    durable_s: float
    shards: dict[int, _Shard]
    lost: bool = False

    @property
    def owner(self) -> str:
        return f"{self.object_id}/v{self.version}"

    def shard_name(self, index: int) -> str:
        return f"{self.object_id}.v{self.version}.s{index}"


@dataclass(frozen=True)
class ObjectInfo:
    """What ``head``/``list`` tell about an object (no data).

    Attributes:
        healthy_shards: shards not known to be lost or corrupted (as of the last check).
    """

    tenant: str
    bucket: str
    key: str
    object_id: str
    version: int
    size_bytes: int
    sha256: str
    policy: str
    k: int
    n: int
    put_s: float
    durable_s: float
    healthy_shards: int
    lost: bool


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


class ObjectStore:
    """Tenants, buckets and objects over a set of storage nodes (see the module docstring).

    Args:
        root: directory of the shard files (one subdirectory per node).
        nodes: the storage nodes, list[n_node]; with a ``timer`` they must be the contact
            plan's nodes in its order (satellites, then ground stations).
        timer: network timing over a contact plan; None: transfers are instantaneous.
        log: event log to append to (a fresh one by default).
        seed: seeds placement and tenant keys derived without a master key.
        fsync: make every shard write durable (see :class:`ShardStore`).
        default_policy: placement of tenants that do not state one.
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
    ) -> None:
        self.nodes = list(nodes)
        self.index = {n.name: i for i, n in enumerate(self.nodes)}
        if len(self.index) != len(self.nodes):
            raise ValueError("storage node names must be unique")
        if timer is not None and timer.plan.nodes.names != [n.name for n in self.nodes]:
            raise ValueError("storage nodes must be the contact plan's nodes, in its order")
        self.timer = timer
        self.log = log if log is not None else EventLog()
        self.seed = int(seed)
        self.shards = ShardStore(root, fsync)
        self.shards.recover()
        self.default_policy: PlacementPolicy = default_policy or Erasure(4, 2)
        self.domains = NodeDomains.of(self.nodes)
        self.capacity_bytes = np.asarray([n.capacity_bytes for n in self.nodes], dtype=float)
        self.used_bytes = np.zeros(len(self.nodes))
        self.alive = np.ones(len(self.nodes), dtype=bool)
        self._tenants: dict[str, _Tenant] = {}
        self._objects: dict[tuple[str, str, str], _Object] = {}
        self._transit: dict[str, NDArray[np.bool_]] = {}

    # --- tenants and buckets ---------------------------------------------------------------

    def add_tenant(
        self,
        name: str,
        allowed_jurisdictions: Sequence[str] | None = None,
        key: bytes | None = None,
        policy: PlacementPolicy | None = None,
    ) -> None:
        """Register a tenant. ``key``: its 32-byte AES key; default HKDF of the seed's master
        key and the tenant name."""
        if name in self._tenants:
            raise ValueError(f"tenant {name!r} already exists")
        if key is None:
            key = derive_tenant_key(master_key_from_seed(self.seed), name)
        if len(key) != 32:
            raise ValueError(f"tenant {name!r}: key must be 32 bytes (AES-256), got {len(key)}")
        sov = SovereigntyPolicy.of(name, allowed_jurisdictions)
        self._tenants[name] = _Tenant(name, key, sov, policy or self.default_policy)
        if self.timer is not None:
            n_sat = self.timer.plan.nodes.n_sat
            self._transit[name] = sov.allowed_nodes([n.jurisdiction for n in self.nodes], n_sat)

    def tenant_names(self) -> builtins.list[str]:
        return sorted(self._tenants)

    def create_bucket(self, tenant: str, bucket: str) -> None:
        self._tenant(tenant).buckets.add(bucket)

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
            o.tenant, o.bucket, o.key, o.object_id, o.version, o.size_bytes, o.sha256,
            o.policy.name, o.policy.k, o.policy.n, o.put_s, o.durable_s,
            sum(s.ok for s in o.shards.values()), o.lost,
        )  # fmt: skip

    def head(self, tenant: str, bucket: str, key: str) -> ObjectInfo:
        return self._info(self._object(tenant, bucket, key))

    def list(self, tenant: str, bucket: str, prefix: str = "") -> builtins.list[ObjectInfo]:
        """The tenant's objects in ``bucket`` whose key starts with ``prefix``, sorted by key."""
        self._bucket(tenant, bucket)
        return [
            self._info(o)
            for (tn, b, k), o in sorted(self._objects.items())
            if tn == tenant and b == bucket and k.startswith(prefix)
        ]

    def objects(self) -> builtins.list[ObjectInfo]:
        """Every object of every tenant (operator view, for reports)."""
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
    ) -> PutResult:
        """Store ``data`` under ``key`` (a new version replaces the old one once written).

        ``station``: the ground station it is uplinked from at ``t_s`` (must be allowed by the
        tenant's sovereignty policy); None: no network timing (shards land at ``t_s``).
        """
        data = bytes(data)
        try:
            return self._put(tenant, bucket, key, data, t_s, station)
        except (PlacementError, ValueError) as err:
            self._refuse(t_s, tenant, f"{bucket}/{key}", station or "", err)
            raise

    def _put(
        self, tenant: str, bucket: str, key: str, data: bytes, t_s: float, station: str | None
    ) -> PutResult:
        t = self._bucket(tenant, bucket)
        src = self._station(t, station, "uplink") if station is not None else None
        old = self._objects.get((tenant, bucket, key))
        version = old.version + 1 if old is not None else 1
        object_id = hashlib.sha256(f"{tenant}\0{bucket}\0{key}".encode()).hexdigest()[:32]
        policy = t.policy
        codec = codec_for(policy.k, policy.n)
        fragments = codec.encode(seal(t.key, data, object_id, version))
        owner = f"{object_id}/v{version}"
        file_bytes = shard_file_bytes(len(fragments[0]), owner)
        targets = self._place(t, policy, object_id, version, file_bytes, src)
        transfers = self._uplink(t, src, targets, t_s, file_bytes, policy.k)
        o = _Object(
            tenant, bucket, key, object_id, version, len(data), sha256_hex(data), policy,
            t_s, math.nan, math.nan, {},
        )  # fmt: skip
        landed: builtins.list[float] = []
        for i, (node, tr) in enumerate(zip(targets, transfers, strict=True)):
            name = self.nodes[node].name
            if tr is None:
                self.log.add(t_s, SERVICE, "shard_undeliverable", name, o.shard_name(i))
                continue
            size = self.shards.write(name, o.shard_name(i), owner, i, fragments[i])
            self.used_bytes[node] += size
            o.shards[i] = _Shard(i, node, sha256_hex(fragments[i]), len(fragments[i]), size,
                                 tr.arrival_s)  # fmt: skip
            landed.append(tr.arrival_s)
            self.log.add(tr.arrival_s, SERVICE, "shard_landed", name, o.shard_name(i), size)
        landed.sort()
        o.k_durable_s = landed[policy.k - 1]
        if len(landed) == policy.n:
            o.durable_s = landed[-1]
        if old is not None:
            self._drop_shards(old)
        self._objects[(tenant, bucket, key)] = o
        subj = f"{tenant}/{bucket}/{key}"
        self.log.add(t_s, SERVICE, "object_put", station or "", subj, len(data), policy.name)
        if math.isfinite(o.durable_s):
            self.log.add(o.durable_s, SERVICE, "object_durable", "", subj, o.durable_s - t_s)
        return PutResult(
            self._info(o), t_s, o.k_durable_s, o.durable_s,
            tuple(self.nodes[n].name for n in targets),
            tuple(tr for tr in transfers if tr is not None),
        )  # fmt: skip

    def _rng(self, *salt: str | int) -> np.random.Generator:
        words = [int.from_bytes(hashlib.sha256(str(s).encode()).digest()[:8]) for s in salt]
        return np.random.default_rng([self.seed, *words])

    def _place(
        self,
        t: _Tenant,
        policy: PlacementPolicy,
        object_id: str,
        version: int,
        file_bytes: int,
        src: int | None,
    ) -> builtins.list[int]:
        free = self.capacity_bytes - self.used_bytes
        rng = self._rng(object_id, version)
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
            count=policy.n - len(ground), taken=ground, usable=self.alive,
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
        marked (and corrupted files deleted) and logged. Returns the verified payloads."""
        good: dict[int, bytes] = {}
        for i, s in sorted(o.shards.items()):
            if not s.ok:
                continue
            node = self.nodes[s.node].name
            r = self.shards.read(node, o.shard_name(i), o.owner, i, s.sha256)
            if r.state is ShardState.OK and r.payload is not None:
                good[i] = r.payload
                continue
            s.ok = False
            if r.state is ShardState.CORRUPT:
                self.shards.delete(node, o.shard_name(i))
                self.log.add(t_s, SERVICE, "shard_corrupted_detected", node, o.shard_name(i),
                             detail=r.reason)  # fmt: skip
            else:
                self.log.add(t_s, SERVICE, "shard_lost", node, o.shard_name(i), detail=r.reason)
            self.used_bytes[s.node] -= s.file_bytes
        if len(good) < o.policy.k and not o.lost:
            o.lost = True
            self.log.add(t_s, SERVICE, "object_lost", "", f"{o.tenant}/{o.bucket}/{o.key}",
                         len(good), f"{len(good)} of {o.policy.n} shards left, "
                         f"{o.policy.k} needed")  # fmt: skip
        return good

    def get(
        self, tenant: str, bucket: str, key: str, t_s: float = 0.0, station: str | None = None
    ) -> GetResult:
        """The object's bytes, exactly as put, or an error: :class:`ObjectLostError` when fewer than
        ``k`` shards survive uncorrupted, :class:`IntegrityError` if the decrypted bytes fail
        authentication. ``station``: where it is downlinked at ``t_s`` (timing and
        sovereignty); None: no network timing."""
        o = self._object(tenant, bucket, key)
        t = self._tenants[tenant]
        try:
            dst = self._station(t, station, "downlink") if station is not None else None
        except ValueError as err:
            self._refuse(t_s, tenant, f"{bucket}/{key}", station or "", err)
            raise
        good = self.verify(o, t_s)
        subj = f"{tenant}/{bucket}/{key}"
        if o.lost:
            raise ObjectLostError(
                f"object {key!r} of tenant {tenant!r} is lost: {len(good)} of {o.policy.n} "
                f"shards survive, {o.policy.k} needed"
            )
        chosen, ready_s = self._downlink(t, o, good, dst, t_s)
        blob = codec_for(o.policy.k, o.policy.n).decode({i: good[i] for i in chosen})
        data = open_sealed(t.key, blob, o.object_id, o.version)
        if sha256_hex(data) != o.sha256:  # unreachable unless keys and tags were forged
            raise IntegrityError(f"object {key!r} failed its SHA-256 check: not returned", subj)
        self.log.add(ready_s if math.isfinite(ready_s) else t_s, SERVICE, "get_served",
                     station or "", subj, ready_s - t_s)  # fmt: skip
        return GetResult(data, t_s, ready_s, tuple(chosen))

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

    def _drop_shards(self, o: _Object) -> None:
        for i, s in o.shards.items():
            if s.ok:
                self.shards.delete(self.nodes[s.node].name, o.shard_name(i))
                self.used_bytes[s.node] -= s.file_bytes

    def delete(self, tenant: str, bucket: str, key: str, t_s: float = 0.0) -> None:
        o = self._object(tenant, bucket, key)
        self._drop_shards(o)
        del self._objects[(tenant, bucket, key)]
        self.log.add(t_s, SERVICE, "object_deleted", "", f"{tenant}/{bucket}/{key}")

    # --- faults ----------------------------------------------------------------------------

    def fail_node(self, name: str, t_s: float) -> int:
        """A node is lost at ``t_s``: its shard directory is deleted, its contacts from then on
        removed. Returns the number of shards it held. Loss is detected by the next scrub."""
        i = self.index[name]
        if not self.alive[i]:
            return 0
        self.alive[i] = False
        held = len(self.shards.names(name))
        self.shards.drop_node(name)
        if self.timer is not None:
            self.timer.take_down(i, t_s)
        self.log.add(t_s, SERVICE, "node_lost", name, "", held)
        return held

    def flip_bits(self, rng: np.random.Generator, t_s: float, node: str = "", bits: int = 1) -> int:
        """Single-event upsets: flip ``bits`` random bits of stored shard payloads (on ``node``,
        or anywhere). Returns how many bits were flipped (0 if nothing is stored there)."""
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
        return [o for _, o in sorted(self._objects.items())]

    def _transit_mask(self, tenant: str) -> NDArray[np.bool_] | None:
        return self._transit.get(tenant)

    def _codec(self, o: _Object) -> Codec:
        return codec_for(o.policy.k, o.policy.n)
