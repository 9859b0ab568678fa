"""Faults applied to the storage service on real bytes.

The event type, its kinds and its CSV format are the project's one definition
(:mod:`orbitcloud.faults`); this module applies an event to an :class:`ObjectStore`:

======================  =================================================================
kind                    effect on the store
======================  =================================================================
``satellite_loss``      the node's shard directory is deleted (shards lost, found by the
                        next scrub, repaired then); its contacts end
``cluster_loss``        several satellites at once (``a,b,c`` or ``plane:<const>:<p>``)
``isl_failure``         the satellite's ISL contacts are removed for ``duration_s``
``station_outage``      the station's contacts are removed for ``duration_s`` (weather)
``bit_flip``            ``bits`` random bits of stored shard payloads flip (single-event
                        upsets), on the ``target`` node or anywhere
======================  =================================================================

In a pipeline run the contact plan is already cut by the fault timeline, so the contact
removals here find nothing more to remove (they matter for a store run on an un-cut plan).
"""

from __future__ import annotations

import numpy as np

from orbitcloud.faults.events import FAULT_KINDS, FaultEvent, read_fault_csv
from orbitcloud.storage.service import SERVICE, ObjectStore, StorageError

__all__ = [
    "FAULT_KINDS",
    "FaultEvent",
    "apply_fault",
    "read_fault_csv",
    "resolve_cluster",
    "targets_of",
]


def resolve_cluster(store: ObjectStore, target: str, groups: dict[str, list[str]]) -> list[str]:
    """Satellite names of a ``cluster_loss`` target: ``a,b,c`` or ``plane:<const>:<p>``
    (``groups`` maps plane keys ``<const>/<p>`` to their satellites)."""
    if target.startswith("plane:"):
        _, const, p = [*target.split(":"), "", ""][:3]
        key = f"{const}/{p}"
        if key not in groups:
            raise StorageError(
                f"cluster_loss target {target!r}: no plane {p!r} in constellation {const!r}"
            )
        return groups[key]
    names = [n.strip() for n in target.split(",") if n.strip()]
    unknown = [n for n in names if n not in store.index]
    if unknown or not names:
        raise StorageError(f"cluster_loss target {target!r}: unknown satellites {unknown}")
    return names


def targets_of(store: ObjectStore, ev: FaultEvent) -> list[str]:
    """The node names a fault strikes (empty for a ``bit_flip`` anywhere); raises
    :class:`StorageError` naming the fault if a target is not a node of the right kind."""
    if ev.kind == "cluster_loss":
        groups: dict[str, list[str]] = {}
        for n in store.nodes:
            groups.setdefault(n.plane, []).append(n.name)
        names = resolve_cluster(store, ev.target, groups)
    else:
        names = [ev.target] if ev.target or ev.kind != "bit_flip" else []
    for name in names:
        _node(store, name, ev)
    return names


def apply_fault(store: ObjectStore, ev: FaultEvent, rng: np.random.Generator) -> None:
    """Apply one fault to the store (and its network timer) at ``ev.t_s``."""
    end_s = ev.t_s + ev.duration_s if ev.duration_s is not None else np.inf
    names = targets_of(store, ev)
    if ev.kind in ("satellite_loss", "cluster_loss"):
        for name in names:
            store.fail_node(name, ev.t_s)
    elif ev.kind == "bit_flip":
        store.flip_bits(rng, ev.t_s, ev.target, ev.bits)
    else:
        i = store.index[names[0]]
        removed = 0
        if store.timer is not None:
            removed = store.timer.take_down(i, ev.t_s, end_s, isl_only=ev.kind == "isl_failure")
        store.log.add(ev.t_s, SERVICE, ev.kind, ev.target, "", removed,
                      f"until t={end_s:.0f} s; {removed} contacts removed")  # fmt: skip


def _node(store: ObjectStore, name: str, ev: FaultEvent) -> int:
    i = store.index.get(name)
    want = {"station_outage": "ground", "bit_flip": None}.get(ev.kind, "satellite")
    if i is None or (want is not None and store.nodes[i].kind != want):
        what = {"ground": "ground station", "satellite": "satellite", None: "node"}[want]
        raise StorageError(
            f"fault {ev.kind} at t={ev.t_s} s: target {name!r} is not a {what} of this scenario"
        )
    return i
