"""Faults applied to the storage service on real bytes.

A fault is a plain :class:`FaultEvent` (time, kind, target, optional duration and bit count),
so any schedule (a scenario list, a CSV file, a seeded generator) plugs in.

======================  =================================================================
kind                    effect
======================  =================================================================
``satellite_loss``      the node's shard directory is deleted; its contacts end
``cluster_loss``        several satellites at once (``a,b,c`` or ``plane:<const>:<p>``)
``isl_failure``         the satellite's ISL contacts are removed for ``duration_s``
``station_outage``      the station's contacts are removed for ``duration_s`` (weather)
``bit_flip``            ``bits`` random bits of stored shard payloads flip (single-event
                        upsets), on the ``target`` node or anywhere
======================  =================================================================
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orbitcloud.cloud.storage.service import SERVICE, ObjectStore, StorageError

__all__ = [
    "FAULT_KINDS",
    "FaultEvent",
    "apply_fault",
    "read_fault_csv",
    "resolve_cluster",
    "targets_of",
]

FAULT_KINDS = ("satellite_loss", "cluster_loss", "isl_failure", "station_outage", "bit_flip")


@dataclass(frozen=True)
class FaultEvent:
    """One fault at ``t_s`` [s since epoch]; ``duration_s`` None = until the end of the run."""

    t_s: float
    kind: str
    target: str = ""
    duration_s: float | None = None
    bits: int = 1

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {self.kind!r} is not one of {', '.join(FAULT_KINDS)}")
        if not (np.isfinite(self.t_s) and self.t_s >= 0):
            raise ValueError(f"fault t_s must be a finite time >= 0, got {self.t_s!r}")


def read_fault_csv(path: Path) -> list[FaultEvent]:
    """Faults from a CSV with header ``t_s,kind,target[,duration_s][,bits]``; errors name
    ``file:line``."""
    out: list[FaultEvent] = []
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = {"t_s", "kind"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}:1: fault CSV needs columns t_s,kind[,target,duration_s,bits]"
                             f"; missing {sorted(missing)}")  # fmt: skip
        for row in reader:
            try:
                dur = (row.get("duration_s") or "").strip()
                out.append(
                    FaultEvent(
                        float(row["t_s"]),
                        (row["kind"] or "").strip(),
                        (row.get("target") or "").strip(),
                        float(dur) if dur else None,
                        int((row.get("bits") or "1").strip() or 1),
                    )
                )
            except (ValueError, TypeError) as err:
                raise ValueError(f"{path}:{reader.line_num}: {err}") from None
    return out


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
