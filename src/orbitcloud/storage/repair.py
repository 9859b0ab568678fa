"""Scrubbing and repair.

- **Scrub** reads every shard believed healthy and checks its header and SHA-256 against the
  catalog; corrupted files are deleted, missing ones (lost node) noted, objects with fewer
  than ``k`` good shards declared lost (:meth:`ObjectStore.verify`; the marks are committed
  to the catalog).
- **Repair** re-creates each missing shard on a healthy node chosen by the object's placement
  policy (failure domains and capacity respected, nodes already holding a shard excluded). The
  new node gathers ``k`` verified shards from the holders that reach it first over the contact
  plan (ISLs in practice; volume booked, so repair competes with other traffic within link
  capacity), rebuilds the fragment (Reed-Solomon reconstruction, or a copy for replication) and
  writes it. Traffic: ``k`` shard files per rebuilt shard (the classic RS repair cost, Dimakis
  et al. 2010, "Network coding for distributed storage systems", IEEE Trans. Inf. Theory 56(9));
  link bytes count every hop. Repair time of a shard: from the repair start to the arrival of
  its ``k``-th source shard. A rebuilt shard is written (write-then-rename) before its catalog
  row is committed; a crash in between leaves an orphan file that the next open removes.

Both hold the object's key lock while they work on it, so they may run beside ``put``/``get``
threads; an object replaced meanwhile is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orbitcloud.storage.crypto import sha256_hex
from orbitcloud.storage.placement import PlacementError, place
from orbitcloud.storage.service import SERVICE, ObjectStore, _Object, _Shard
from orbitcloud.storage.shardstore import shard_file_bytes
from orbitcloud.storage.timing import Transfer

__all__ = ["RepairResult", "ScrubResult", "repair", "scrub"]


@dataclass(frozen=True)
class ScrubResult:
    """One scrub pass at ``t_s``."""

    t_s: float
    shards_checked: int
    shards_corrupted: int
    shards_missing: int
    objects_lost: int


@dataclass(frozen=True)
class RepairResult:
    """One repair pass started at ``t_s``.

    Attributes:
        shards_rebuilt: shards re-created and written.
        shards_failed: missing shards that could not be rebuilt now (no node, no route).
        traffic_bytes: shard bytes moved to the rebuilding nodes (``k`` per rebuilt shard).
        link_bytes: the same summed over every hop.
        finished_s: when the last rebuilt shard was written (``t_s`` if none).
    """

    t_s: float
    shards_rebuilt: int
    shards_failed: int
    traffic_bytes: float
    link_bytes: float
    finished_s: float
    failures: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        return self.finished_s - self.t_s


def scrub(store: ObjectStore, t_s: float) -> ScrubResult:
    """Verify every shard of every object not yet lost (see the module docstring)."""
    checked = corrupt = missing = lost = 0
    n_corrupt0 = store.log.count("shard_corrupted_detected")
    n_missing0 = store.log.count("shard_lost")
    for o in store._all_objects():
        with store._key_lock(o.tenant, o.bucket, o.key):
            if o.lost or not store._current(o):
                continue
            checked += sum(s.ok for s in o.shards.values())
            store.verify(o, t_s)
            lost += o.lost
    corrupt = store.log.count("shard_corrupted_detected") - n_corrupt0
    missing = store.log.count("shard_lost") - n_missing0
    store.log.add(t_s, SERVICE, "scrub_done", "", "", checked, f"{corrupt} corrupted, "
                  f"{missing} missing, {lost} objects lost")  # fmt: skip
    return ScrubResult(t_s, checked, corrupt, missing, lost)


def repair(store: ObjectStore, t_s: float) -> RepairResult:
    """Re-create the missing shards of every object that still has ``k`` good ones."""
    rebuilt = failed = 0
    traffic = link = 0.0
    finished = t_s
    failures: list[str] = []
    for o in store._all_objects():
        if o.lost or (all(s.ok for s in o.shards.values()) and len(o.shards) == o.policy.n):
            continue
        try:
            with store._key_lock(o.tenant, o.bucket, o.key):
                if not store._current(o):
                    continue
                good = store.verify(o, t_s)
                if o.lost:
                    continue
                missing = [i for i in range(o.policy.n) if i not in good]
                done = _repair_object(store, o, good, missing, t_s)
        except PlacementError as err:
            failed += len(missing)
            failures.append(f"{o.tenant}/{o.bucket}/{o.key}: {err.reason}")
            store.log.add(t_s, SERVICE, "repair_failed", "", f"{o.tenant}/{o.bucket}/{o.key}",
                          len(missing), err.reason)  # fmt: skip
            continue
        rebuilt += len(done)
        for arrival, sources in done:
            traffic += sum(tr.size_bytes for tr in sources)
            link += sum(tr.link_bytes for tr in sources)
            finished = max(finished, arrival)
    if rebuilt or failed:
        store.log.add(finished, SERVICE, "repair_done", "", "", rebuilt,
                      f"{failed} failed; {traffic:.0f} bytes moved")  # fmt: skip
    return RepairResult(t_s, rebuilt, failed, traffic, link, finished, tuple(failures))


def _repair_object(
    store: ObjectStore, o: _Object, good: dict[int, bytes], missing: list[int], t_s: float
) -> list[tuple[float, list[Transfer]]]:
    codec = store._codec(o)
    holders = [o.shards[i].node for i in sorted(good)]
    owner = o.owner
    size = shard_file_bytes(len(next(iter(good.values()))), owner)
    # seeded by names, never by the random object id, so a run repeats
    rng = store._rng("repair", o.tenant, o.bucket, o.key, o.version, repr(t_s))
    allowed = store._transit_mask(o.tenant)
    with store._lock:
        free = store.capacity_bytes - store.used_bytes
        score = None
        if store.timer is not None:  # prefer the nodes where k source shards arrive soonest
            arrive = np.stack(
                [
                    store.timer.arrivals(o.shards[i].node, max(t_s, o.shards[i].landed_s), size,
                                         allowed)
                    for i in sorted(good)
                ]
            )  # fmt: skip
            score = np.partition(arrive, o.policy.k - 1, axis=0)[o.policy.k - 1]
        targets = place(
            o.policy, store.domains, free, size, rng,
            count=len(missing), taken=holders, usable=store.usable, score=score,
        )  # fmt: skip
    rebuilt = codec.reconstruct(good, missing)
    out: list[tuple[float, list[Transfer]]] = []
    for i, node in zip(missing, targets, strict=True):
        with store._lock:
            sources = _gather(store, o, sorted(good), node, t_s, size, allowed)
        name = store.nodes[node].name
        if sources is None:
            store.log.add(t_s, SERVICE, "repair_failed", name, o.shard_name(i),
                          detail=f"fewer than {o.policy.k} shards can reach {name}")  # fmt: skip
            continue
        arrival = max((tr.arrival_s for tr in sources), default=t_s)
        written = store.shards.write(name, o.shard_name(i), owner, i, rebuilt[i])
        store._add_shard(
            o, _Shard(i, node, sha256_hex(rebuilt[i]), len(rebuilt[i]), written, arrival)
        )
        with store._lock:
            store.log.add(arrival, SERVICE, "shard_rebuilt", name, o.shard_name(i), written)
        out.append((arrival, sources))
    if len(o.shards) == o.policy.n and all(s.ok for s in o.shards.values()):
        o.durable_s = max(s.landed_s for s in o.shards.values())
        store._save(o)
    return out


def _gather(
    store: ObjectStore,
    o: _Object,
    have: list[int],
    node: int,
    t_s: float,
    size: int,
    allowed: NDArray[np.bool_] | None,
) -> list[Transfer] | None:
    """Book the ``k`` source shards that reach ``node`` first; None if fewer than ``k`` can."""
    k = o.policy.k
    if store.timer is None:
        return [Transfer(o.shards[i].node, node, size, t_s, t_s, ()) for i in have[:k]]
    options = []
    for i in have:
        s = o.shards[i]
        tr = store.timer.route(s.node, node, max(t_s, s.landed_s), size, allowed)
        if tr is not None:
            options.append((tr.arrival_s, i, tr))
    if len(options) < k:
        return None
    options.sort(key=lambda x: (x[0], x[1]))
    booked: list[Transfer] = []
    for _, i, _tr in options[:k]:
        s = o.shards[i]
        tr = store.timer.deliver(s.node, node, max(t_s, s.landed_s), size, allowed)
        if tr is None:  # a shared link filled up: give back what was booked
            for b in booked:
                store.timer.unbook(b)
            return None
        booked.append(tr)
    return booked
