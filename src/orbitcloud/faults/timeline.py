"""One fault timeline that every stage feels: :class:`EventTimeline`.

The scenario's ``faults:`` (and ``faults_file:``) events and the events drawn from its
``fault_processes:`` (:mod:`orbitcloud.faults.processes`, seeded from the scenario), merged
in time order and resolved against the contact plan's
node table (satellites ``0 .. n_sat-1``, then stations) into

- ``outages``: per-node down intervals with a scope
  (:class:`~orbitcloud.links.contactplan.NodeOutages`): a ``satellite_loss`` (and each
  satellite of a ``cluster_loss``) is ``[t, inf)`` on all its links; an ``isl_failure``
  ``[t, t + duration)`` (or to the end) on its ISLs; a ``station_outage``
  ``[t, t + duration)`` on the station's links;
- ``loss_s``: float64[n_sat], when each satellite is lost (``inf``: never);
- ``events``: the events themselves, in time order (the storage service applies them to its
  shards; ``bit_flip`` events only matter there);
- the scenario's ``threats:`` (:mod:`orbitcloud.scenario.threats`): ``untrusted_from_s`` and
  ``detected_s``, float64[n_node], when each node is compromised and when that is detected
  (``inf``: never). A compromised node is not lost: it stays in ``loss_s`` as alive, but from
  its detection it is an ``all``-scope outage ``[detected, inf)`` in ``outages``, so the cut
  plan (CGR, storage transfers) and the snapshot network (routes) avoid it exactly as they
  avoid a node that is down; compute starts no job on it after detection; storage distrusts
  its shards, rotates the keys of their tenants and rebuilds them elsewhere. ``rogue`` holds
  the rogue ground stations (not nodes of the plan: they never get a contact);
- ``floods``: the ``link_flooding`` threats as :class:`~orbitcloud.links.contactplan.RateCuts`
  (one row per target: a station's links, or an ISL both ways), which :meth:`EventTimeline.cut`
  applies after the outages (``ContactPlan.reduce``) and the snapshot network subtracts from
  its capacities while they last. (``jamming`` acts earlier, on the ACM budgets of the contact
  plan: :mod:`orbitcloud.links.jamming`.)

What each stage does with it: the pipeline cuts the contact plan (:meth:`EventTimeline.cut`),
so power's comms load, CGR, compute and storage transfers see no contact of a node while it is
down; the snapshot network (routes, transfers) drops the links of nodes down at each step
(:meth:`NodeOutages.down_at`); power zeroes a lost satellite from its loss step on; compute
starts no job on a satellite after its ``loss_s``; storage loses its shards and repairs them at
the next scrub. Nothing here is random beyond the seeded draws: the same scenario and seed give
the same timeline (bit flips draw from a generator the storage service seeds from the scenario).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from orbitcloud.faults.events import FaultEvent, read_fault_csv
from orbitcloud.links.contactplan import (
    OUTAGE_SCOPES,
    ContactPlan,
    NodeOutages,
    NodeTable,
    RateCuts,
)
from orbitcloud.scenario.models import Scenario
from orbitcloud.scenario.threats import (
    CompromisedSatellite,
    Jamming,
    LinkFlooding,
    RogueGroundStation,
    split_isl,
)

__all__ = ["EventTimeline", "events_of", "plane_groups"]

F64 = NDArray[np.float64]


def events_of(scenario: Scenario) -> list[FaultEvent]:
    """The scenario's ``faults:`` as :class:`FaultEvent` rows (the loader has already merged
    ``faults_file:`` into them), in the order given."""
    return [FaultEvent(f.t_s, f.kind, f.target, f.duration_s, f.bits) for f in scenario.faults]


def plane_groups(scenario: Scenario) -> dict[str, list[str]]:
    """Satellites of each plane, keyed ``<constellation>:<plane>`` as ``cluster_loss`` targets
    name them (``plane:<constellation>:<plane>``); a satellite outside a Walker constellation
    is its own plane, keyed by its name."""
    out: dict[str, list[str]] = {}
    for c, names in zip(scenario.constellations, scenario.satellite_names(), strict=True):
        per_plane = getattr(c, "sats_per_plane", 0) or 0
        for j, n in enumerate(names):
            out.setdefault(f"{c.name}:{j // per_plane if per_plane else n}", []).append(n)
    return out


@dataclass(frozen=True)
class EventTimeline:
    """The fault events of a run resolved against its nodes (see the module docstring).

    Attributes:
        events: the events, sorted by time (stable).
        nodes: the node table they were resolved against.
        outages: per-node down intervals (``[n_outage]`` arrays).
        loss_s: float64[n_sat], when each satellite is lost; ``inf``: never.
        untrusted_from_s: float64[n_node], when each node is compromised; ``inf``: never.
        detected_s: float64[n_node], when its compromise is detected; ``inf``: never.
        compromised: the ``compromised_satellite`` threats, in the scenario's order.
        rogue: the ``rogue_ground_station`` threats, in the scenario's order.
        floods: the ``link_flooding`` threats' capacity cuts; ``flood_of``: int[n_cut],
            which ``link_flooding`` threat (in the scenario's order) each cut comes from.
    """

    events: tuple[FaultEvent, ...]
    nodes: NodeTable
    outages: NodeOutages = field(repr=False)
    loss_s: F64 = field(repr=False)
    untrusted_from_s: F64 = field(repr=False)
    detected_s: F64 = field(repr=False)
    compromised: tuple[CompromisedSatellite, ...] = ()
    rogue: tuple[RogueGroundStation, ...] = ()
    floods: RateCuts = field(default_factory=RateCuts.empty, repr=False)
    flood_of: NDArray[np.intp] = field(
        default_factory=lambda: np.zeros(0, dtype=np.intp), repr=False
    )

    @classmethod
    def build(
        cls,
        events: Iterable[FaultEvent],
        nodes: NodeTable,
        planes: Mapping[str, Sequence[str]] | None = None,
        threats: Iterable[CompromisedSatellite | RogueGroundStation | Jamming | LinkFlooding] = (),
    ) -> EventTimeline:
        """Resolve ``events`` against ``nodes``; ``planes`` maps ``<constellation>:<plane>``
        to its satellites for ``cluster_loss`` plane targets (:func:`plane_groups`);
        ``threats``: the scenario's ``threats:`` (module docstring).

        Raises:
            ValueError: a target is not a node of the kind its fault needs (the scenario
                validates this first, with file:line; this guards direct calls).
        """
        evs = tuple(sorted(events, key=lambda e: e.t_s))
        index = nodes.index()
        loss = np.full(nodes.n_sat, np.inf)
        node: list[int] = []
        start: list[float] = []
        end: list[float] = []
        scope: list[int] = []
        for e in evs:
            if e.kind == "bit_flip":
                continue
            for i in _targets(e, index, nodes.n_sat, planes or {}):
                if e.kind in ("satellite_loss", "cluster_loss"):
                    loss[i] = min(loss[i], e.t_s)
                    continue
                node.append(i)
                start.append(e.t_s)
                end.append(e.end_s)
                scope.append(OUTAGE_SCOPES.index("isl" if e.kind == "isl_failure" else "ground"))
        untrusted = np.full(nodes.n_node, np.inf)
        detected = np.full(nodes.n_node, np.inf)
        threat_list = tuple(threats)
        compromised = tuple(x for x in threat_list if isinstance(x, CompromisedSatellite))
        rogue = tuple(x for x in threat_list if isinstance(x, RogueGroundStation))
        for c in compromised:
            at = index.get(c.target)
            if at is None or at >= nodes.n_sat:
                raise ValueError(f"threat compromised_satellite: {c.target!r} is not a satellite")
            untrusted[at] = min(untrusted[at], c.t_s)
            detected[at] = min(detected[at], c.detected_s)
            # from detection: down on all its links for routing, CGR and storage (not lost)
            node.append(at)
            start.append(c.detected_s)
            end.append(np.inf)
            scope.append(OUTAGE_SCOPES.index("all"))
        lost = np.flatnonzero(np.isfinite(loss))
        outages = NodeOutages(
            np.concatenate([lost, np.asarray(node, dtype=np.intp)]).astype(np.int32),
            np.concatenate([loss[lost], np.asarray(start, dtype=np.float64)]),
            np.concatenate([np.full(lost.size, np.inf), np.asarray(end, dtype=np.float64)]),
            np.concatenate(
                [np.full(lost.size, OUTAGE_SCOPES.index("all")), np.asarray(scope)]
            ).astype(np.uint8),
        )
        floods, flood_of = _flood_cuts(
            [x for x in threat_list if isinstance(x, LinkFlooding)], index, nodes
        )
        return cls(evs, nodes, outages, loss, untrusted, detected, compromised, rogue, floods,
                   flood_of)  # fmt: skip

    @classmethod
    def from_scenario(cls, scenario: Scenario, nodes: NodeTable) -> EventTimeline:
        """The timeline of the scenario's ``faults:`` events and the events drawn from its
        ``fault_processes:`` (seeded from ``scenario.seed``, over ``duration_s``), over
        ``nodes``, sorted by time (explicit events first among equal times)."""
        events = events_of(scenario)
        if scenario.fault_processes:
            from orbitcloud.faults.processes import drawn_events  # cloud.faults imports us

            events += drawn_events(scenario)
        return cls.build(events, nodes, plane_groups(scenario), scenario.threats)

    @classmethod
    def from_csv(
        cls, path: str, nodes: NodeTable, planes: Mapping[str, Sequence[str]] | None = None
    ) -> EventTimeline:
        """The timeline of a fault CSV (``t_s,kind,target[,duration_s][,bits]``)."""
        return cls.build(read_fault_csv(path), nodes, planes)

    def __len__(self) -> int:
        return len(self.events)

    @property
    def n_lost(self) -> int:
        """Satellites lost during the run."""
        return int(np.isfinite(self.loss_s).sum())

    def no_start_s(self) -> F64:
        """float64[n_sat]: from when no new work may start on each satellite, the first of its
        loss and the detection of its compromise (``inf``: never)."""
        return np.minimum(self.loss_s, self.detected_s[: self.nodes.n_sat])

    def cut(self, plan: ContactPlan) -> ContactPlan:
        """``plan`` without the contacts (or parts of them) when a node is down, and with
        the capacity the ``link_flooding`` threats take (:meth:`cut_and_flood`)."""
        return self.cut_and_flood(plan)[0]

    def cut_and_flood(self, plan: ContactPlan) -> tuple[ContactPlan, NDArray[np.float64]]:
        """:meth:`cut`, and the bytes each ``link_flooding`` threat took (float64[n_flood],
        in the scenario's order of those threats), summed over its targets."""
        if plan.nodes.names != self.nodes.names:
            raise ValueError("the timeline was resolved against another node table than the plan's")
        plan = plan.cut(self.outages) if len(self.outages) else plan
        n_flood = int(self.flood_of.max()) + 1 if self.flood_of.size else 0
        if not len(self.floods):
            return plan, np.zeros(n_flood)
        plan, taken = plan.reduce(self.floods)
        return plan, np.bincount(self.flood_of, weights=taken, minlength=n_flood).astype(np.float64)

    def down_at(self, t_s: float) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """``(all_down, isl_down)``, bool[n_node], at ``t_s`` (see :meth:`NodeOutages.down_at`)."""
        return self.outages.down_at(t_s, self.nodes.n_node)


def _targets(
    e: FaultEvent, index: Mapping[str, int], n_sat: int, planes: Mapping[str, Sequence[str]]
) -> list[int]:
    if e.kind == "cluster_loss":
        if e.target.startswith("plane:"):
            key = e.target.removeprefix("plane:")
            if key not in planes:
                raise ValueError(f"fault cluster_loss at t={e.t_s} s: no plane {e.target!r}")
            names: list[str] = list(planes[key])
        else:
            names = [n.strip() for n in e.target.split(",") if n.strip()]
    else:
        names = [e.target]
    want_sat = e.kind != "station_outage"
    out = []
    for n in names:
        i = index.get(n)
        if i is None or (i < n_sat) != want_sat:
            what = "satellite" if want_sat else "ground station"
            raise ValueError(
                f"fault {e.kind} at t={e.t_s} s: target {n!r} is not a {what} of this scenario"
            )
        out.append(i)
    return out


def _flood_cuts(
    floods: Sequence[LinkFlooding], index: Mapping[str, int], nodes: NodeTable
) -> tuple[RateCuts, NDArray[np.intp]]:
    """The :class:`RateCuts` of ``floods`` (one row per target) and which flood each is."""
    sats = set(nodes.names[: nodes.n_sat])
    a: list[int] = []
    b: list[int] = []
    which: list[int] = []
    for j, f in enumerate(floods):
        for t in f.targets:
            pair = split_isl(t, sats) if t not in index else None
            if pair is not None:
                a.append(index[pair[0]])
                b.append(index[pair[1]])
            elif t in index and index[t] >= nodes.n_sat:
                a.append(index[t])
                b.append(-1)
            else:
                raise ValueError(f"threat link_flooding: {t!r} is not a station or an ISL")
            which.append(j)
    rep = np.array(which, dtype=np.intp)
    f_list = list(floods)
    return RateCuts(
        np.array(a, dtype=np.int32), np.array(b, dtype=np.int32),
        np.array([f_list[j].t_s for j in which], dtype=np.float64),
        np.array([f_list[j].end_s for j in which], dtype=np.float64),
        np.array([f_list[j].attack_bps for j in which], dtype=np.float64),
    ), rep  # fmt: skip
