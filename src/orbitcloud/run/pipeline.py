"""The stages of a run, in order: scenario → satellites → ephemeris → contact plan (cut by the
fault timeline) and the run's one network → power → compute → storage; and routes and
transfers over the snapshot network.

The library owns the run: :func:`run_pipeline` (``orbitcloud.api.run``) runs every stage
asked for and returns one :class:`RunResult` with everything; the run-folder writer
(:func:`orbitcloud.run.folder.write_run_folder`) only writes a finished result."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import time
import weakref
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from orbitcloud.compute.runner import WorkloadInputs, WorkloadResult, run_workload
from orbitcloud.executor import Executor, SerialExecutor
from orbitcloud.faults.timeline import EventTimeline
from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.links.contacts import JamEffect, build_contact_plan, node_table
from orbitcloud.links.users import UserLinks, add_users, scenario_user_links
from orbitcloud.network.bundles import BundleTable, send_bundles
from orbitcloud.network.ledger import Network
from orbitcloud.network.routes import RouteTable, endpoints, route_pairs
from orbitcloud.network.snapshots import SnapshotBuilder, UserServing
from orbitcloud.network.transfers import Transfer, TransferTable, simulate_transfers
from orbitcloud.network.users import (
    UserSummary,
    constellation_shares,
    send_user_demand,
    user_summary,
)
from orbitcloud.nodes.hardware import FleetHardware
from orbitcloud.nodes.power import PowerBudget, node_power
from orbitcloud.orbits.propagate import Ephemeris, Propagator, propagate
from orbitcloud.orbits.satellites import satellites_of
from orbitcloud.progress import NullProgress, Progress
from orbitcloud.reliability.restore import RestoreEstimate, restore_time
from orbitcloud.scenario.models import EARTH_ORBIT_KINDS, RangeTopology, Scenario
from orbitcloud.scenario.threats import Jamming, LinkFlooding, rogue_attempt_times_s
from orbitcloud.sim.events import EventLog
from orbitcloud.storage.run import StorageReport, run_storage, storage_nodes
from orbitcloud.tables import fmt_bytes, fmt_utc, html_table, summary_html
from orbitcloud.timegrid import TimeGrid

__all__ = [
    "RouteChunk",
    "RunResult",
    "all_ground_pairs",
    "route_chunk",
    "run",
    "run_pipeline",
    "run_routes",
    "run_transfers",
]


@dataclass
class RunResult:
    """What a run computed, with wall-clock seconds per stage in ``timings_s``.

    ``contacts`` is the contact plan cut by the fault timeline ``faults`` (no contact of a node
    while it is down); every later stage uses it. ``network`` is the run's one store-and-forward
    network over that plan: the booking ledger every service moves its bytes through (compute
    first, then storage, which sees the volume compute left).

    ``bundles`` holds the probe bundles of ``scenario.bundles`` (routed and booked last).

    ``storage`` is the storage stage's report (its objects live under ``store_root``) and
    ``restore`` the analytic ground-restore estimate of ``storage.restore_tb``; both None
    when the stage did not run or the scenario has no ``storage:`` section."""

    scenario: Scenario
    ephemeris: Ephemeris
    contacts: ContactPlan
    faults: EventTimeline
    timings_s: dict[str, float] = field(default_factory=dict)
    network: Network | None = None
    power: PowerBudget | None = None
    workload: WorkloadResult | None = None
    events: EventLog = field(default_factory=EventLog)
    storage: StorageReport | None = None
    restore: RestoreEstimate | None = None
    store_root: Path | None = None
    bundles: BundleTable | None = None
    #: per ``jamming`` threat (scenario order), what it did to the ACM contact pieces
    jamming: list[JamEffect] = field(default_factory=list)
    #: per ``link_flooding`` threat (scenario order), the plan capacity it took [bytes]
    flooding_taken_bytes: list[float] = field(default_factory=list)
    #: the ``users:`` terminals' links (None: no users) and their demand's bundles (booked
    #: on ``network`` before compute; None: no users or the run stopped at the contacts)
    user_links: UserLinks | None = None
    user_traffic: BundleTable | None = None
    users: UserSummary | None = None

    def __repr__(self) -> str:
        stages = ", ".join(self.timings_s) or "none"
        name, n = self.scenario.name, len(self.contacts)
        return f"RunResult({name!r}, {n:,} contacts, stages: {stages})"

    def table_rows(self) -> dict[str, int]:
        """Rows of each table the run holds (the ones written to the run folder)."""
        rows = {"contacts": len(self.contacts), "faults": len(self.faults)}
        if self.workload is not None:
            rows["jobs"] = len(self.workload.jobs)
        if self.storage is not None:
            rows["storage objects"] = len(self.storage.rows)
        if self.bundles is not None:
            rows["bundles"] = len(self.bundles)
        if self.users is not None:
            rows["users"] = len(self.users)
        rows["events"] = len(self.events)
        return rows

    def _repr_html_(self) -> str:
        """Notebook view: the scenario, the stages run (with their wall-clock seconds), the
        rows of each table and a few key metrics of the stages that ran."""
        sc, plan = self.scenario, self.contacts
        n = plan.nodes
        volume_bytes = float((plan.rate_bps * plan.duration_each_s).sum()) / 8.0
        items: list[tuple[str, object]] = [
            ("scenario", sc.name),
            ("span", f"{fmt_utc(sc.epoch)} + {sc.duration_s:g} s at {sc.step_s:g} s steps"),
            ("stages run", ", ".join(f"{k} ({v:.2f} s)" for k, v in self.timings_s.items())),
            ("nodes", f"{n.n_sat:,} satellites, {n.n_ground:,} ground"),
            ("contact capacity", fmt_bytes(volume_bytes)),
        ]
        if self.workload is not None:
            for mode, rec in self.workload.records.items():
                done = sum(s == "done" for s in rec.status)
                items.append((f"jobs done ({mode})", f"{done:,} of {len(rec.status):,}"))
        if self.storage is not None:
            d = self.storage.to_dict()
            items.append(
                (
                    "storage objects",
                    f"{d['objects_put']:,} put, {d['objects_durable']:,} durable, "
                    f"{d['objects_readable_at_end']:,} readable at the end",
                )
            )
        if self.bundles is not None:
            b = self.bundles
            ok = b.delivered
            med = f", median latency {float(np.median(b.latency_s[ok])):.4g} s" if ok.any() else ""
            items.append(("bundles delivered", f"{int(ok.sum()):,} of {len(b):,}{med}"))
        rows = html_table(["table", "rows"], self.table_rows().items())
        return summary_html("RunResult", items, rows)


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    timings[stage] = round(time.perf_counter() - t0, 4)


STAGES: tuple[str, ...] = ("contacts", "power", "compute", "storage", "bundles")
"""The stages of a run after the orbits (which always run), in order; each needs the ones
before it."""


def _last_stage(stages: Collection[str] | None) -> int:
    """Index in :data:`STAGES` of the last stage a run needs for ``stages`` (None: all)."""
    if stages is None:
        return len(STAGES) - 1
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; stages are {', '.join(STAGES)}")
    return max((STAGES.index(s) for s in stages), default=0)


def run_pipeline(
    scenario: Scenario,
    progress: Progress | None = None,
    tol_s: float = 1e-3,
    executor: Executor | None = None,
    stages: Collection[str] | None = None,
    store_root: Path | str | None = None,
) -> RunResult:
    """Run the stages of ``scenario`` (parallel parts on ``executor``, default: in this
    process; the result does not depend on it) and return everything in one result.

    ``stages``: what is wanted, from :data:`STAGES`; the stages they need run too and later
    ones do not (``("contacts",)``: orbits and the contact plan, no power, no workload; the
    result's ``power`` and ``workload`` are then None). None: every stage.

    The ``storage`` stage (scenarios with a ``storage:`` section) runs
    :func:`~orbitcloud.storage.run.run_storage` on real bytes after the workload, on the
    same network (it sees the contact volume compute left), logging to ``result.events``.
    Its object store goes under ``store_root`` (``storage.path`` in the scenario wins), a
    folder the caller gives and owns; by default a new temporary folder that lives as long as
    the result (removed when the result is garbage-collected or the interpreter exits):
    give ``store_root`` to keep the store."""
    last = _last_stage(stages)
    timings: dict[str, float] = {}
    with _timed(timings, "satellites"):
        sats = satellites_of(scenario)  # shared with in-process tasks
        grid = TimeGrid.regular(scenario.epoch, scenario.duration_s, scenario.step_s)
    with _timed(timings, "orbits"):
        eph = propagate(sats, grid, progress)
    with _timed(timings, "contacts"):
        jam: list[JamEffect] = []
        plan = build_contact_plan(scenario, eph, tol_s, progress, executor, jam)
        ulinks = None
        if scenario.users:  # users are nodes after the stations, their links contacts;
            # their terminals do not use a satellite once it is lost or known compromised
            pre = EventTimeline.from_scenario(scenario, plan.nodes)
            off = np.minimum(pre.loss_s, pre.detected_s[: plan.nodes.n_sat])
            plan, ulinks = add_users(scenario, eph, plan, off)
        # the fault timeline cuts the plan here, so every later stage sees the cut plan
        timeline = EventTimeline.from_scenario(scenario, plan.nodes)
        plan, flooded = timeline.cut_and_flood(plan)
    result = RunResult(scenario, eph, plan, timeline, timings, Network(plan))
    result.jamming, result.flooding_taken_bytes = jam, [float(x) for x in flooded]
    _attack_events(result)
    if ulinks is not None:
        result.user_links = ulinks
        if last >= STAGES.index("power") and result.network is not None:
            with _timed(timings, "users"):  # booked first: the services see what is left
                result.user_traffic = send_user_demand(
                    result.network, scenario.users, scenario.duration_s
                )  # fmt: skip
        s_cons = np.asarray(sats.constellation_names, dtype=object)[sats.constellation]
        result.users = user_summary(
            scenario.users, ulinks.availability, ulinks.handovers, ulinks.user,
            result.user_traffic, constellation_shares(
                scenario.users, ulinks.serving, grid.t_s, s_cons.tolist(), scenario.duration_s
            ),
        )  # fmt: skip
    if last < STAGES.index("power"):
        return result
    with _timed(timings, "power"):
        fleet = FleetHardware.of(scenario, sats)
        result.power = node_power(fleet, eph, plan, loss_s=timeline.loss_s)
    inputs = (
        WorkloadInputs.of(scenario, sats, plan.nodes) if last >= STAGES.index("compute") else None
    )
    if inputs is not None:
        with _timed(timings, "compute"):
            result.workload = run_workload(
                inputs, eph, plan, result.power, loss_s=timeline.loss_s, network=result.network,
                untrusted_s=timeline.detected_s[: plan.nodes.n_sat],
            )  # fmt: skip
        result.events.extend(result.workload.log)
    if last >= STAGES.index("storage") and scenario.storage is not None:
        with _timed(timings, "storage"):
            _storage_stage(result, store_root)
    if last >= STAGES.index("bundles") and scenario.bundles is not None:
        with _timed(timings, "bundles"):
            result.bundles = _bundles_stage(scenario, result.network)
    if result.storage is None and last >= STAGES.index("compute"):
        _rogue_without_store(result)
    return result


def _attack_events(result: RunResult) -> None:
    """One ``link_jammed`` event per jammer (capacity lost, bytes) and one ``link_flooded``
    per flooding threat (capacity taken, bytes), at their start, if within the run."""
    jams = [t for t in result.scenario.threats if isinstance(t, Jamming)]
    floods = [t for t in result.scenario.threats if isinstance(t, LinkFlooding)]
    for th, eff in zip(jams, result.jamming, strict=True):
        if th.t_s <= result.scenario.duration_s:
            result.events.add(th.t_s, "security", "link_jammed", th.name, th.pointing,
                              eff.capacity_lost_bytes,
                              f"{eff.contacts_affected} contacts")  # fmt: skip
    for fl, taken in zip(floods, result.flooding_taken_bytes, strict=True):
        if fl.t_s <= result.scenario.duration_s:
            result.events.add(fl.t_s, "security", "link_flooded", "", ",".join(fl.targets),
                              taken, f"{fl.attack_bps:g} bit/s")  # fmt: skip


def _rogue_without_store(result: RunResult) -> None:
    """Rogue uplink attempts of a run without a store: refused by the twin, the station not
    being a node of the contact plan (it has no contact, no credentials), each logged."""
    names = set(result.contacts.nodes.names)
    for r in result.faults.rogue:
        assert r.name not in names  # the scenario refuses a rogue named like a node
        for t_s in rogue_attempt_times_s(r, result.scenario.duration_s):
            result.events.add(t_s, "security", "uplink_rejected", r.name, "", 1,
                              f"{r.name!r} is not a ground station of this scenario")  # fmt: skip


def _bundles_stage(scenario: Scenario, network: Network | None) -> BundleTable:
    """The probe bundles of ``scenario.bundles``, booked last on the run's network."""
    spec = scenario.bundles
    assert spec is not None and network is not None
    index = network.plan.nodes.index()
    dst = [index[n] for n in scenario.select_nodes(spec.to_nodes)]
    send = np.arange(spec.start_s, scenario.duration_s, spec.every_s)
    return send_bundles(network, index[spec.from_node], dst, send, spec.size_bytes)


def run(
    scenario: Scenario,
    stages: Collection[str] | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    store_root: Path | str | None = None,
) -> RunResult:
    """Run ``scenario``: the stages wanted (from :data:`STAGES`, with the ones they need;
    None: all) and one :class:`RunResult` with everything (``result.network``,
    ``result.workload``, ``result.storage``...). ``store_root``: where the storage stage
    keeps its objects (default: a temporary folder that lives as long as the result). The
    same as :func:`run_pipeline`, whose documentation says more."""
    return run_pipeline(scenario, progress, executor=executor, stages=stages, store_root=store_root)


def _storage_stage(result: RunResult, store_root: Path | str | None) -> None:
    """The storage stage: the object store under ``store_root`` (module docstring of
    :func:`run_pipeline`), then the ground-restore estimate when the scenario asks for one."""
    spec = result.scenario.storage
    assert spec is not None
    if store_root is None:  # a temporary folder that lives as long as the result
        store_root = tempfile.mkdtemp(prefix="orbitcloud-store-")
        weakref.finalize(result, shutil.rmtree, store_root, ignore_errors=True)
    result.store_root = Path(spec.path) if spec.path else Path(store_root)
    sc, sats = result.scenario, result.ephemeris.satellites
    nodes = storage_nodes(
        FleetHardware.of(sc, sats), sats, result.contacts.nodes, spec.ground_storage_tb
    )
    result.storage = run_storage(
        spec, nodes, sc.seed, sc.duration_s, result, Path(store_root), result.events
    )
    if spec.restore_tb:
        lost = (spec.lost_site,) if spec.lost_site else ()
        result.restore = restore_time(result.contacts, spec.restore_tb * 1e12, exclude=lost)


def _earth_orbit_only(scenario: Scenario, what: str) -> None:
    """Snapshot routing covers Earth orbit; nodes beyond it reach the network through the
    contact plan (store-and-forward), which ``orbitcloud run`` uses."""
    beyond = [c.name for c in scenario.constellations if c.kind not in EARTH_ORBIT_KINDS]
    if beyond:
        raise ValueError(
            f"{what}: snapshot routing covers Earth orbit only; {', '.join(beyond)} is beyond "
            "it (light times of seconds to minutes need store-and-forward): use `orbitcloud run` "
            "(contact graph routing over the contact plan) or `orbitcloud contacts`"
        )


def all_ground_pairs(scenario: Scenario) -> tuple[list[str], list[str]]:
    """Every unordered pair of ground stations, as (src names, dst names)."""
    names = [g.name for g in scenario.ground_stations]
    i, j = np.triu_indices(len(names), 1)
    return [names[k] for k in i], [names[k] for k in j]


@dataclass(frozen=True)
class RouteChunk:
    """One task of :func:`run_routes`: the routes of ``src_names[i] → dst_names[i]`` at the
    times ``t_s`` (float64[n]), positions computed by the worker itself."""

    scenario: Scenario
    builder: SnapshotBuilder
    t_s: NDArray[np.float64]
    src_names: list[str]
    dst_names: list[str]
    node_names: list[str]
    keep_paths: bool


def route_chunk(job: RouteChunk) -> RouteTable:
    """Run one :class:`RouteChunk` (module-level so process pools and Dask can import it)."""
    sats = satellites_of(job.scenario)
    r, _ = Propagator.for_satellites(sats, job.scenario.epoch).ecef_grid(job.t_s)
    positions = ((float(t), r[:, k]) for k, t in enumerate(job.t_s))
    return route_pairs(
        job.builder, positions, job.src_names, job.dst_names, job.node_names, job.keep_paths
    )


def run_routes(
    scenario: Scenario,
    src: list[str],
    dst: list[str],
    keep_paths: bool = True,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> tuple[RouteTable, dict[str, float]]:
    """Shortest-delay routes for the given endpoint pairs at every step of the scenario's
    grid; returns the table and stage timings [s]. Links of nodes down in the scenario's
    fault timeline are absent while they are down (a lost satellite from its loss on).

    The grid is cut into chunks of consecutive steps; each chunk propagates its own positions
    and routes them (:func:`route_chunk`), on ``executor`` (default: in this process). Steps
    are independent, so the table is identical whatever runs the chunks.
    """
    timings: dict[str, float] = {}
    ex = executor or SerialExecutor()
    _earth_orbit_only(scenario, "routes")
    with _timed(timings, "setup"):
        sats = satellites_of(scenario)  # shared with in-process tasks
        grid = TimeGrid.regular(scenario.epoch, scenario.duration_s, scenario.step_s)
        r_all = eph = None
        if scenario.users or any(isinstance(i.topology, RangeTopology) for i in scenario.isls):
            eph = propagate(sats, grid, progress)  # range topologies and users need them
            r_all = eph.r_ecef_km
        nodes = node_table(scenario, sats)
        tl = EventTimeline.from_scenario(scenario, nodes)
        builder = (SnapshotBuilder.from_scenario(scenario, sats, r_all)
                   .with_outages(tl.outages).with_floods(tl.floods))  # fmt: skip
        builder, names = _snapshot_users(scenario, eph, tl, builder, nodes.names)
        endpoints(builder, list(src) + list(dst), names)  # fail early on unknown names
    n_chunk = 1 if ex.workers == 1 else min(grid.n_time, 8 * ex.workers)
    bounds = np.linspace(0, grid.n_time, n_chunk + 1).round().astype(int)
    jobs = [
        RouteChunk(scenario, builder, grid.t_s[a:b], list(src), list(dst), names, keep_paths)
        for a, b in itertools.pairwise(bounds.tolist())
        if b > a
    ]
    with (
        _timed(timings, "routing"),
        (progress or NullProgress()).task("routing", grid.n_time) as task,
    ):
        parts = ex.map(route_chunk, jobs, lambda i: task.advance(jobs[i].t_s.size))
    return RouteTable.concat(parts), timings


def run_transfers(
    scenario: Scenario, transfers: list[Transfer], progress: Progress | None = None
) -> TransferTable:
    """Bulk transfers over the scenario's snapshot network with max-min fair sharing (see
    :mod:`orbitcloud.network.transfers` for the model); the API the cloud services call.
    Links of nodes down in the scenario's fault timeline are absent while they are down."""
    _earth_orbit_only(scenario, "transfers")
    sats = satellites_of(scenario)  # shared with in-process tasks
    grid = TimeGrid.regular(scenario.epoch, scenario.duration_s, scenario.step_s)
    eph = propagate(sats, grid, progress)
    r = eph.r_ecef_km
    nodes = node_table(scenario, sats)
    tl = EventTimeline.from_scenario(scenario, nodes)
    builder = SnapshotBuilder.from_scenario(scenario, sats, r).with_outages(tl.outages)
    builder = builder.with_floods(tl.floods)
    builder, names = _snapshot_users(scenario, eph, tl, builder, nodes.names)
    return simulate_transfers(builder, grid.t_s, r, names, transfers, progress)


def _snapshot_users(
    scenario: Scenario,
    eph: Ephemeris | None,
    tl: EventTimeline,
    builder: SnapshotBuilder,
    names: list[str],
) -> tuple[SnapshotBuilder, list[str]]:
    """``builder`` with the scenario's users linked to their serving satellites (the links
    :func:`run` adds to the plan) and the node names with the users after the stations;
    unchanged without users."""
    if not scenario.users or eph is None:
        return builder, names
    off = np.minimum(tl.loss_s, tl.detected_s[: builder.n_sat])
    ul = scenario_user_links(scenario, eph, off)
    sats = eph.satellites
    cons = np.asarray(sats.constellation_names, dtype=object)[sats.constellation]
    rate = np.zeros(ul.serving.shape)
    for i, u in enumerate(scenario.users):  # the terminal's rate on each serving satellite
        on = ul.serving[i] >= 0
        rate[i, on] = [u.terminal.rate_of(c) for c in cons[ul.serving[i, on]].tolist()]
    uw = UserServing(tuple(scenario.users), eph.grid.t_s, ul.serving, rate)
    return builder.with_users(uw), names + ul.names
