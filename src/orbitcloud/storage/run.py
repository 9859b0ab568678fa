"""``run_storage``: the scenario's storage demo on real bytes, for ``orbitcloud run``.

Timeline (one pass in time order; at equal times faults come first, then scrubs, puts, gets):
the workloads' puts and gets, the run's fault timeline (the scenario's top-level ``faults:``,
plus any events given) and a scrub + repair every ``scrub_interval_s``. At the end of the run
every object is read from disk once more: it is *readable* if at least ``k`` shards verify.
Object bytes are seeded random, so a run repeats exactly (ciphertexts, object ids and keyed
checksums differ: nonces, ids and data keys are random by design).

Keys: the demo store takes its master key from ``ORBITCLOUD_MASTER_KEY`` or
``ORBITCLOUD_MASTER_KEY_FILE`` when set, else an ephemeral one (in memory only, so the run's
store cannot be decrypted after the run: right for a simulation); the report's
``master_key`` says which. Nothing in the scenario, its seed or the run folder derives a key.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from orbitcloud.faults.events import FaultEvent
from orbitcloud.faults.timeline import EventTimeline
from orbitcloud.links.contactplan import ContactPlan, NodeTable
from orbitcloud.network.ledger import Network
from orbitcloud.nodes.hardware import FleetHardware
from orbitcloud.orbits.satellites import SatelliteSet
from orbitcloud.scenario.storage import ErasurePlacement, ReplicationPlacement, StorageSpec
from orbitcloud.scenario.threats import (
    CompromisedSatellite,
    RogueGroundStation,
    rogue_attempt_times_s,
)
from orbitcloud.sim.events import EventLog
from orbitcloud.storage.crypto import sha256_hex
from orbitcloud.storage.faults import apply_fault, targets_of
from orbitcloud.storage.placement import (
    TB_BYTES,
    Erasure,
    PlacementError,
    PlacementPolicy,
    Replication,
    StorageNode,
)
from orbitcloud.storage.reencrypt import book_reencryption
from orbitcloud.storage.repair import RepairResult, repair, scrub
from orbitcloud.storage.service import ObjectLostError, ObjectStore, StorageError
from orbitcloud.storage.timing import NetworkTimer
from orbitcloud.tables import ArrowTable

__all__ = [
    "CompromiseRecord",
    "RogueRecord",
    "StorageInputs",
    "StorageReport",
    "policy_of",
    "run_storage",
    "storage_nodes",
]


class StorageInputs(Protocol):
    """What the storage run takes from the stages before it (a
    :class:`~orbitcloud.run.pipeline.RunResult` has these; storage does not import the run)."""

    @property
    def contacts(self) -> ContactPlan: ...
    @property
    def network(self) -> Network | None: ...
    @property
    def faults(self) -> EventTimeline: ...


def policy_of(spec: ReplicationPlacement | ErasurePlacement) -> PlacementPolicy:
    """The service's placement policy for a scenario ``placement:`` block."""
    if isinstance(spec, ErasurePlacement):
        return Erasure(spec.k, spec.m, spec.distinct_planes, spec.distinct_constellations)
    return Replication(
        spec.copies, spec.distinct_planes, spec.distinct_constellations, spec.ground_copy,
        spec.ground_site,
    )  # fmt: skip


def storage_nodes(
    fleet: FleetHardware, sats: SatelliteSet, nodes: NodeTable, ground_storage_tb: float
) -> list[StorageNode]:
    """One storage node per contact-plan node: satellites with their constellation's
    ``hardware.storage_tb`` (``fleet``: the hardware of ``sats``), ground stations with
    ``ground_storage_tb``."""
    cap = [h.storage_tb * TB_BYTES for h in fleet.profiles]
    out = []
    for i, name in enumerate(nodes.names):
        if i < nodes.n_sat:
            const = sats.constellation_names[int(sats.constellation[i])]
            p = int(sats.plane[i])
            plane = f"{const}/{p}" if p >= 0 else f"{const}/{name}"
            cap_i = cap[int(fleet.constellation[i])]
            out.append(StorageNode(name, "satellite", const, plane, "", cap_i))
        else:
            user = nodes.group[i] == "user"  # a user terminal (links/users.py) stores nothing
            out.append(StorageNode(name, "ground", "ground", name, nodes.jurisdiction[i],
                                   0.0 if user else ground_storage_tb * TB_BYTES))  # fmt: skip
    return out


@dataclass
class _Row:
    tenant: str
    bucket: str
    key: str
    size_bytes: int
    policy: str
    put_station: str
    put_s: float
    expect_sha256: str  # the demo's own hash of the bytes it put (never published)
    checksum: str = ""
    k_durable_s: float = math.nan
    durable_s: float = math.nan
    get_station: str = ""
    get_s: float = math.nan
    get_ready_s: float = math.nan
    get_ok: bool = False
    readable: bool = False
    lost: bool = False
    healthy_shards: int = 0
    n_shards: int = 0
    k: int = 0
    refusal: str = ""


_COLUMNS: dict[str, pa.DataType] = {
    "tenant": pa.string(), "bucket": pa.string(), "key": pa.string(),
    "size_bytes": pa.int64(), "policy": pa.string(), "put_station": pa.string(),
    "put_s": pa.float64(), "k_durable_s": pa.float64(), "durable_s": pa.float64(),
    "durability_latency_s": pa.float64(), "get_station": pa.string(), "get_s": pa.float64(),
    "get_ready_s": pa.float64(), "get_latency_s": pa.float64(), "get_ok": pa.bool_(),
    "readable": pa.bool_(), "lost": pa.bool_(), "healthy_shards": pa.int32(),
    "n_shards": pa.int32(), "k": pa.int32(), "checksum": pa.string(), "refusal": pa.string(),
}  # fmt: skip


def _nan_none(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 6)


def _median(xs: Sequence[float]) -> float:
    a = np.asarray([x for x in xs if math.isfinite(x)], dtype=float)
    return float(np.median(a)) if a.size else math.nan


@dataclass
class CompromiseRecord:
    """What the store saw of one ``compromised_satellite`` threat.

    Exposure: the shard files the node held at any time between ``t_s`` and detection (a
    snapshot at ``t_s`` joined with the one at detection; shards written and removed again in
    between are not seen). They are AES-256-GCM ciphertext fragments under tenant data keys
    that never leave the ground (wrapped by the master key in the catalog at the store root:
    :mod:`orbitcloud.storage.keys`, :mod:`orbitcloud.storage.crypto`), so the plaintext
    exposed is 0 bytes.

    Re-encryption: :meth:`ObjectStore.rotate_key` re-seals every object of each affected
    tenant on disk, and the traffic that takes in orbit is routed and booked on the run's
    network from the detection (:func:`orbitcloud.storage.reencrypt.book_reencryption`: a
    trusted satellite holding a shard gathers ``k`` old shards over ISLs, re-encodes, sends the
    new shards back to their holders). ``reencryption_bytes``: the shard-file bytes moved
    (once per transfer), ``reencryption_link_bytes`` the same over every hop,
    ``reencryption_done_s`` when the last new shard landed, ``reencryption_unrouted`` the
    objects whose traffic the plan could not carry; ``reencryption_booked``: False when the
    store has no network (bytes counted, no time)."""

    target: str
    t_s: float
    detected_s: float
    held: dict[str, int] = field(default_factory=dict)  # shard file name -> file bytes
    objects_affected: list[tuple[str, str, str]] = field(default_factory=list)
    tenants_rotated: list[str] = field(default_factory=list)
    objects_reencrypted: int = 0
    reencryption_bytes: int = 0
    reencryption_link_bytes: float = 0.0
    reencryption_done_s: float = math.nan
    reencryption_unrouted: int = 0
    reencryption_booked: bool = False
    old_keys_destroyed: bool = False
    shards_rebuilt: int = 0
    repair_traffic_bytes: float = 0.0
    recovered_s: float = math.nan

    @property
    def exposed_ciphertext_bytes(self) -> int:
        return sum(self.held.values())


@dataclass
class RogueRecord:
    """The uplink attempts of one ``rogue_ground_station`` and how many the store refused."""

    name: str
    attempts: int = 0
    rejected: int = 0


@dataclass
class StorageReport(ArrowTable):
    """What the storage demo did: per-object rows, refusals, faults, scrubs and repairs."""

    rows: list[_Row] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)
    repairs: list[RepairResult] = field(default_factory=list)
    bytes_on_disk: float = 0.0
    shards_lost: int = 0
    shards_corrupted_detected: int = 0
    bit_flips: int = 0
    nodes_lost: int = 0
    get_mismatches: int = 0
    root: str = ""
    master_key: str = ""
    compromises: list[CompromiseRecord] = field(default_factory=list)
    rogues: list[RogueRecord] = field(default_factory=list)

    def objects_table(self) -> pa.Table:
        """One row per object put (or refused), columns as in :data:`_COLUMNS` (``checksum``:
        the store's keyed HMAC-SHA256, see :class:`~.service.ObjectInfo`)."""
        cols: dict[str, list[Any]] = {c: [] for c in _COLUMNS}
        for r in self.rows:
            d = r.__dict__ | {
                "durability_latency_s": r.durable_s - r.put_s,
                "get_latency_s": r.get_ready_s - r.get_s,
            }
            for c in _COLUMNS:
                cols[c].append(d[c])
        return pa.table({c: pa.array(v, type=_COLUMNS[c]) for c, v in cols.items()})

    def to_arrow(self) -> pa.Table:
        """The objects table (:meth:`objects_table`, ``storage.parquet``), so that
        ``to_pandas()`` works here as on every table object."""
        return self.objects_table()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (NaN as null)."""
        stored = [r for r in self.rows if not r.refusal]
        gets = [r for r in stored if r.get_station]
        return {
            "objects_put": len(stored),
            "objects_refused": len(self.rows) - len(stored),
            "objects_durable": sum(math.isfinite(r.durable_s) for r in stored),
            "objects_readable_at_end": sum(r.readable for r in stored),
            "objects_lost": sum(r.lost for r in stored),
            "bytes_stored": sum(r.size_bytes for r in stored if not r.lost),
            "bytes_on_disk": int(self.bytes_on_disk),
            "shards": sum(r.healthy_shards for r in stored),
            "shards_lost": self.shards_lost,
            "shards_corrupted_detected": self.shards_corrupted_detected,
            "bit_flips": self.bit_flips,
            "nodes_lost": self.nodes_lost,
            "gets": len(gets),
            "gets_served": sum(r.get_ok for r in gets),
            "get_mismatches": self.get_mismatches,
            "repair_shards_rebuilt": sum(p.shards_rebuilt for p in self.repairs),
            "repair_shards_failed": sum(p.shards_failed for p in self.repairs),
            "repair_traffic_bytes": sum(p.traffic_bytes for p in self.repairs),
            "repair_link_bytes": sum(p.link_bytes for p in self.repairs),
            "repair_time_s": sum(p.duration_s for p in self.repairs),
            "repair_longest_s": max((p.duration_s for p in self.repairs), default=0.0),
            "median_durability_latency_s": _nan_none(
                _median([r.durable_s - r.put_s for r in stored])
            ),
            "median_get_latency_s": _nan_none(
                _median([r.get_ready_s - r.get_s for r in gets if r.get_ok])
            ),
            "refusals": self.refusals,
            "root": self.root,
            "master_key": self.master_key,
        }


def _check_names(spec: StorageSpec, store: ObjectStore) -> None:
    def station(name: str | None, where: str) -> None:
        if name is None:
            return
        i = store.index.get(name)
        if i is None or store.nodes[i].kind != "ground":
            ground = [n.name for n in store.nodes if n.kind == "ground"]
            raise ValueError(
                f"storage.{where}: {name!r} is not a ground station of this scenario; "
                f"stations: {', '.join(ground) or '(none)'}"
            )

    for j, w in enumerate(spec.workloads):
        station(w.put_station, f"workloads[{j}].put_station")
        station(w.get_station, f"workloads[{j}].get_station")
    for j, t in enumerate(spec.tenants):
        if t.placement is not None and isinstance(t.placement, ReplicationPlacement):
            station(t.placement.ground_site, f"tenants[{j}].placement.ground_site")
    if isinstance(spec.placement, ReplicationPlacement):
        station(spec.placement.ground_site, "placement.ground_site")


def run_storage(
    spec: StorageSpec | None,
    nodes: Sequence[StorageNode],
    seed: int,
    duration_s: float,
    result: StorageInputs,
    root: Path,
    log: EventLog,
    faults: Sequence[FaultEvent] | None = None,
    network: Network | None = None,
) -> StorageReport:
    """Run the storage workloads of ``spec`` (the scenario's ``storage:``) on real bytes
    under ``root`` (or ``storage.path``), on ``nodes`` (:func:`storage_nodes` of the
    contact plan's node table), seeded by ``seed`` (the scenario's) over a run of
    ``duration_s``, logging to ``log``, with the run's fault timeline (``result.faults``:
    a lost satellite's shards are gone, found and repaired at the next scrub; the contact plan
    ``result.contacts`` is already cut by it). ``faults``: extra events (e.g. from a seeded
    generator), applied to the store after the timeline's (they do not cut the plan; the
    contacts they take down leave the shared network).

    Shards book on the run's one network, ``network`` or else ``result.network`` (a new one
    on the plan when the result has none): in a pipeline run that is after the compute
    workload booked on it, so storage sees the contact volume compute left."""
    if spec is None:
        raise ValueError("scenario has no `storage:` section; add one to run the storage service")
    plan = result.contacts
    if len(nodes) != plan.nodes.n_node:
        raise ValueError(f"{len(nodes)} storage nodes for {plan.nodes.n_node} contact-plan nodes")
    root = Path(spec.path) if spec.path else Path(root)
    net = network if network is not None else result.network
    timer = NetworkTimer(net if net is not None else plan)
    with ObjectStore(
        root, list(nodes), timer, log, seed, spec.fsync, policy_of(spec.placement)
    ) as store:
        events = [*result.faults.events, *(faults or [])]
        threats: list[CompromisedSatellite | RogueGroundStation] = [
            *result.faults.compromised,
            *result.faults.rogue,
        ]
        return _run(store, seed, duration_s, spec, root, events, threats)


def _run(
    store: ObjectStore,
    seed: int,
    duration_s: float,
    spec: StorageSpec,
    root: Path,
    events: Sequence[FaultEvent],
    threats: Sequence[CompromisedSatellite | RogueGroundStation] = (),
) -> StorageReport:
    for t in spec.tenants:
        if t.name not in store.tenant_names():  # a reopened store keeps its tenants and keys
            store.add_tenant(
                t.name, t.allowed_jurisdictions,
                policy_of(t.placement) if t.placement is not None else None,
            )  # fmt: skip
    _check_names(spec, store)
    for ev in events:  # fail before running anything if a target is unknown
        targets_of(store, ev)

    report = StorageReport(root=str(root), master_key=store.master.source)
    actions: list[tuple[float, int, int, Callable[[], None]]] = []

    def add(t_s: float, prio: int, fn: Callable[[], None]) -> None:
        actions.append((t_s, prio, len(actions), fn))

    fault_rng = np.random.default_rng([seed, 0x5E])
    for ev in events:
        add(ev.t_s, 0, partial(apply_fault, store, ev, fault_rng))
    if spec.scrub_interval_s is not None:
        ticks = np.arange(spec.scrub_interval_s, duration_s, spec.scrub_interval_s)
        for t_scrub in ticks.tolist():
            add(t_scrub, 1, partial(_scrub_repair, store, report, t_scrub))
    for j, w in enumerate(spec.workloads):
        data_rng = np.random.default_rng([seed, 0x570, j])
        store.create_bucket(w.tenant, w.bucket)
        for i in range(w.objects):
            row = _Row(w.tenant, w.bucket, f"obj-{j:02d}-{i:05d}", w.object_bytes, "",
                       w.put_station, w.put_t_s + i * w.interval_s, "")  # fmt: skip
            data = data_rng.bytes(w.object_bytes)
            row.expect_sha256 = sha256_hex(data)
            report.rows.append(row)
            add(row.put_s, 2, partial(_put, store, report, row, data))
            if w.get_station is not None and w.get_t_s is not None:
                row.get_station = w.get_station
                row.get_s = w.get_t_s + i * w.interval_s
                add(row.get_s, 3, partial(_get, store, report, row))
    _threat_actions(store, report, spec, seed, threats, add, duration_s)
    for t_s, prio, _, fn in sorted(actions, key=lambda a: a[:3]):
        if prio == 0 and t_s > duration_s:
            continue  # a fault or threat after the end of the run does not happen in it
        fn()
    _finish(store, report, duration_s)
    return report


def _threat_actions(
    store: ObjectStore,
    report: StorageReport,
    spec: StorageSpec,
    seed: int,
    threats: Sequence[CompromisedSatellite | RogueGroundStation],
    add: Callable[[float, int, Callable[[], None]], None],
    duration_s: float = math.inf,
) -> None:
    """Schedule the threats: a compromise at ``t_s`` (snapshot of what the node holds) and at
    its detection (distrust, rotate, repair); each rogue uplink attempt (a put from a station
    the store does not know, refused)."""
    for th in threats:
        if isinstance(th, CompromisedSatellite):
            rec = CompromiseRecord(th.target, th.t_s, th.detected_s)
            report.compromises.append(rec)
            add(th.t_s, 0, partial(_compromise, store, rec))
            add(th.detected_s, 0, partial(_detect, store, report, rec))
            continue
        rogue = RogueRecord(th.name)
        report.rogues.append(rogue)
        if spec.workloads:  # the rogue claims a tenant's bucket; the station check refuses it
            tenant, bucket = spec.workloads[0].tenant, spec.workloads[0].bucket
        else:
            tenant = spec.tenants[0].name if spec.tenants else ""
            bucket = "uplink"
            if tenant:
                store.create_bucket(tenant, bucket)
        data = np.random.default_rng([seed, 0x20C]).bytes(1024)
        for j, t_s in enumerate(rogue_attempt_times_s(th, duration_s)):
            add(t_s, 2, partial(_rogue_uplink, store, rogue, tenant, bucket, j, data, t_s))


def _compromise(store: ObjectStore, rec: CompromiseRecord) -> None:
    rec.held = store.held_shards(rec.target)
    store.log.add(rec.t_s, "security", "satellite_compromised", rec.target, "", len(rec.held))


def _detect(store: ObjectStore, report: StorageReport, rec: CompromiseRecord) -> None:
    """Detection: distrust the node, rotate the key of every tenant with a shard on it (every
    object of theirs re-encrypted), then repair (the node's shards rebuilt elsewhere)."""
    t_s = rec.detected_s
    rec.held |= store.held_shards(rec.target)
    rec.objects_affected = store.distrust_node(rec.target, t_s)
    store.log.add(t_s, "security", "compromise_detected", rec.target, "",
                  rec.exposed_ciphertext_bytes)  # fmt: skip
    rec.tenants_rotated = sorted({k[0] for k in rec.objects_affected})
    pairs = []
    destroyed: list[bool] = []
    for tenant in rec.tenants_rotated:
        mine = [o for o in store._all_objects() if o.tenant == tenant]
        before = {(o.tenant, o.bucket, o.key): o for o in mine}
        res = store.rotate_key(tenant, t_s)
        rec.objects_reencrypted += res.objects_reencrypted
        keys = store._tenants[tenant].keys  # a retired key is None: unseal refuses it
        destroyed.append(bool(res.retired_key_ids) and all(
            keys.get(kid) is None for kid in res.retired_key_ids))  # fmt: skip
        for o in store._all_objects():
            old = before.get((o.tenant, o.bucket, o.key))
            if o.tenant == tenant and old is not None and old.object_id != o.object_id:
                pairs.append((old, o))
    rec.old_keys_destroyed = bool(destroyed) and all(destroyed)
    traffic = book_reencryption(store, pairs, t_s)
    rec.reencryption_bytes += traffic.payload_bytes
    rec.reencryption_link_bytes += traffic.link_bytes
    rec.reencryption_unrouted += traffic.unrouted
    rec.reencryption_booked = traffic.booked
    rec.reencryption_done_s = traffic.done_s if not traffic.unrouted else math.nan
    if pairs:
        store.log.add(traffic.done_s, "security", "reencryption_done", rec.target, "",
                      traffic.payload_bytes,
                      f"{traffic.objects} objects; {traffic.unrouted} unrouted")  # fmt: skip
    # the new shards exist where they land: rebuild the node's shards from then on
    res_repair = repair(store, traffic.done_s if math.isfinite(traffic.done_s) else t_s)
    report.repairs.append(res_repair)
    rec.shards_rebuilt += res_repair.shards_rebuilt
    rec.repair_traffic_bytes += res_repair.traffic_bytes
    _check_recovered(store, report)


def _check_recovered(store: ObjectStore, report: StorageReport) -> None:
    """Set ``recovered_s`` of each compromise whose affected objects are all re-encrypted
    under their tenant's current key and back at ``n`` healthy shards on trusted nodes."""
    pending = [r for r in report.compromises if r.objects_affected and math.isnan(r.recovered_s)]
    if not pending:
        return
    current = {(o.tenant, o.bucket, o.key): o for o in store._all_objects()}

    def landed_s(k: tuple[str, str, str]) -> float:  # NaN: not recovered yet
        o = current.get(k)
        if o is None or o.lost or o.key_id != store._tenants[o.tenant].current:
            return math.nan
        if len(o.shards) != o.policy.n or not all(
            s.ok and store.trusted[s.node] for s in o.shards.values()
        ):
            return math.nan
        return max(s.landed_s for s in o.shards.values())

    for rec in pending:
        times = [landed_s(k) for k in rec.objects_affected]
        if rec.tenants_rotated and math.isnan(rec.reencryption_done_s):
            continue  # re-encryption traffic not delivered: not recovered
        if not any(math.isnan(t) for t in times):
            done = rec.reencryption_done_s if rec.tenants_rotated else rec.detected_s
            rec.recovered_s = max([rec.detected_s, done, *times])


def _rogue_uplink(
    store: ObjectStore,
    rec: RogueRecord,
    tenant: str,
    bucket: str,
    j: int,
    data: bytes,
    t_s: float,
) -> None:
    """One rogue uplink attempt: a put claiming ``tenant``'s ``bucket`` from the rogue
    station, which the store refuses (not a ground station of the scenario: no credentials)."""
    rec.attempts += 1
    try:
        store.put(tenant, bucket, f"rogue-{rec.name}-{j:06d}", data, t_s, rec.name)
    except (StorageError, ValueError, PlacementError) as err:
        rec.rejected += 1
        store.log.add(t_s, "security", "uplink_rejected", rec.name, f"{tenant}/{bucket}", 1,
                      str(err))  # fmt: skip
        return
    raise RuntimeError(f"rogue station {rec.name!r}: an uplink was accepted")  # never


def _scrub_repair(store: ObjectStore, report: StorageReport, t_s: float) -> None:
    scrub(store, t_s)
    report.repairs.append(repair(store, t_s))
    _check_recovered(store, report)


def _refusal(report: StorageReport, row: _Row, t_s: float, action: str, err: Exception) -> None:
    reason = getattr(err, "reason", None) or str(err)
    if action == "put":
        row.refusal = reason
    report.refusals.append(
        {"t_s": t_s, "tenant": row.tenant, "key": row.key, "action": action, "reason": reason}
    )


def _put(store: ObjectStore, report: StorageReport, row: _Row, data: bytes) -> None:
    try:
        res = store.put(row.tenant, row.bucket, row.key, data, row.put_s, row.put_station)
    except (PlacementError, ValueError, StorageError) as err:
        _refusal(report, row, row.put_s, "put", err)
        return
    row.policy = res.info.policy
    row.checksum = res.info.checksum
    row.k_durable_s, row.durable_s = res.k_durable_s, res.durable_s
    row.k, row.n_shards = res.info.k, res.info.n


def _get(store: ObjectStore, report: StorageReport, row: _Row) -> None:
    if row.refusal:
        return
    try:
        res = store.get(row.tenant, row.bucket, row.key, row.get_s, row.get_station)
    except (ValueError, StorageError) as err:  # sovereignty, integrity, lost
        _refusal(report, row, row.get_s, "lost" if isinstance(err, ObjectLostError) else "get", err)
        return
    row.get_ready_s = res.ready_s
    row.get_ok = sha256_hex(res.data) == row.expect_sha256
    report.get_mismatches += not row.get_ok


def _finish(store: ObjectStore, report: StorageReport, t_end_s: float) -> None:
    """Final read of every object from disk; counts for the report."""
    by_key = {(r.tenant, r.bucket, r.key): r for r in report.rows if not r.refusal}
    for o in store._all_objects():
        row = by_key.get((o.tenant, o.bucket, o.key))
        if row is None:  # an object of an earlier run on the same storage.path
            continue
        store.verify(o, t_end_s)
        row.lost = o.lost
        row.readable = not o.lost
        row.healthy_shards = sum(s.ok for s in o.shards.values())
    log = store.log
    report.bytes_on_disk = float(store.used_bytes[store.alive].sum())
    report.shards_lost = log.count("shard_lost")
    report.shards_corrupted_detected = log.count("shard_corrupted_detected")
    report.bit_flips = log.count("bit_flip")
    report.nodes_lost = log.count("node_lost")
