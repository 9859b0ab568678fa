"""Run a scenario's workload on a computed run: jobs in each mode, the job table, the summary,
and the power budget under the real load.

Each mode runs on its own :class:`~orbitcloud.sim.engine.Engine` over the same contact plan.
The run's *world* mode (``orbit`` when it is one of the modes, else the first) books on the
run's shared :class:`~orbitcloud.network.ledger.Network`, so the volume it uses is gone for the
services that run after it (storage); every other mode is a counterfactual on a fork of that
network taken before any mode ran, so ``orbit`` and ``ground`` are compared on the same
captures and the same contact volume, not competing for the same links. After the orbit
mode, the busy time of every node gives its compute utilisation per step, and the node
physics is integrated again with that load (:func:`orbitcloud.nodes.power.node_power` with
``compute_request_w``): the battery and temperature the workload really produces.

Satellite losses (``loss_s``, from the fault timeline, whose contact plan is already cut at
each loss): the lost satellites' captures end at the loss (:func:`~orbitcloud.compute.workload.
before_loss`) and both modes' compute services honour them (jobs re-placed or failed, see
:mod:`orbitcloud.compute.service`); the summary counts failures by reason and re-placements.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from orbitcloud.compute.inputs import WorkloadInputs
from orbitcloud.compute.requests import request_jobs
from orbitcloud.compute.scheduler import load_policy
from orbitcloud.compute.service import FAIL_REASONS, JOB_STATUS, ComputeService, JobRecord
from orbitcloud.compute.workload import (
    INPUT_KINDS,
    Captures,
    Jobs,
    before_loss,
    eo_captures,
    eo_jobs,
)
from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.network.ledger import Network
from orbitcloud.nodes.capacity import ComputeCapacity
from orbitcloud.nodes.power import PowerBudget, node_power, state_of_charge
from orbitcloud.orbits.propagate import Ephemeris
from orbitcloud.sim.engine import Engine, seeded_rng
from orbitcloud.sim.events import EventLog

__all__ = ["WorkloadInputs", "WorkloadResult", "busy_fraction", "run_workload"]

F64 = NDArray[np.float64]


@dataclass
class WorkloadResult:
    """Jobs and what happened to them in each mode, with engine statistics."""

    captures: Captures
    jobs: Jobs
    records: dict[str, JobRecord]
    log: EventLog
    engine_events: int
    engine_wall_s: float
    wall_s: float
    power: PowerBudget | None
    utilisation: F64
    battery_capacity_j: F64
    loss_s: F64 | None = None  # float64[n_sat], when each satellite is lost (None: no losses)

    @property
    def events_per_s(self) -> float:
        return self.engine_events / self.engine_wall_s if self.engine_wall_s > 0 else 0.0

    def jobs_table(
        self,
        node_names: list[str],
        area_names: list[str] | None = None,
        request_names: list[str] | None = None,
    ) -> pa.Table:
        """One row per job and mode (``jobs.parquet``; names as in :meth:`Jobs.to_arrow`)."""
        base = self.jobs.to_arrow(node_names, area_names, request_names)
        names = np.asarray([*node_names, ""], dtype=object)
        parts = []
        for mode, r in self.records.items():
            t = base.append_column("mode", pa.array([mode] * len(self.jobs), pa.string()))
            cols = {
                "node": pa.array(names[r.node].tolist(), pa.string()),
                "submitted_s": r.submitted_s,
                "started_s": r.started_s,
                "finished_s": r.finished_s,
                "delivered_s": r.delivered_s,
                "energy_j": r.energy_j,
                "retries": r.retries,
                "downlink_bytes": r.downlink_bytes,
                "isl_bytes": r.isl_bytes,
                "uplink_bytes": r.uplink_bytes,
                "status": pa.array(r.status, pa.string()),
                "reason": pa.array(r.reason, pa.string()),
                "replaced": r.replaced,
            }
            for k, v in cols.items():
                t = t.append_column(k, v if isinstance(v, pa.Array) else pa.array(v))
            parts.append(t)
        return pa.concat_tables(parts)

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures per mode and the orbit-vs-ground comparison. Per mode, the jobs by
        status, ``failed_by_reason`` (:data:`~orbitcloud.compute.service.FAIL_REASONS`) and
        ``replaced``: jobs taken off a lost satellite and placed again (ground mode: whose input
        was gathered again after a part was lost)."""
        out: dict[str, Any] = {
            "captures": len(self.captures),
            "jobs": len(self.jobs),
            "raw_bytes": float(self.jobs.input_bytes.sum()),
            "jobs_by_input": {
                k: int((self.jobs.input_kind == n).sum()) for n, k in enumerate(INPUT_KINDS)
            },
            "lost_satellites": int(np.isfinite(self.loss_s).sum())
            if self.loss_s is not None
            else 0,
            "engine_events": self.engine_events,
            "engine_events_per_s": round(self.events_per_s),
            "wall_s": round(self.wall_s, 3),
        }
        for mode, r in self.records.items():
            status = np.asarray(r.status)
            delivered = np.isfinite(r.delivered_s)
            latency = (r.delivered_s - self.jobs.ready_s)[delivered]
            out[mode] = {
                **{s: int((status == s).sum()) for s in JOB_STATUS},
                "failed_by_reason": {
                    k: int(((status == "failed") & (np.asarray(r.reason) == k)).sum())
                    for k in FAIL_REASONS
                },
                "replaced": int((r.replaced > 0).sum()),
                "median_time_to_product_s": float(np.median(latency)) if latency.size else None,
                "p95_time_to_product_s": float(np.percentile(latency, 95))
                if latency.size
                else None,
                "downlink_bytes": float(r.downlink_bytes.sum()),
                "isl_bytes": float(r.isl_bytes.sum()),
                "uplink_bytes": float(r.uplink_bytes.sum()),
                "energy_j": float(r.energy_j.sum()),
                "retries": int(r.retries.sum()),
                "moved_jobs": int(
                    ((r.node >= 0) & ~(self.jobs.holders == r.node[:, None]).any(axis=1)).sum()
                )
                if mode == "orbit"
                else None,
                "by_input": self._by_input(r),
            }
        if "orbit" in out:
            out["orbit"]["utilisation"] = float(self.utilisation.mean())
            if self.power is not None:
                soc = state_of_charge(self.power, self.battery_capacity_j)
                out["orbit"]["min_battery_soc_under_load"] = (
                    float(np.nanmin(soc)) if np.isfinite(soc).any() else None
                )
                out["orbit"]["unmet_kwh_under_load"] = float(
                    self.power.energy_j(self.power.unmet_w).sum() / 3.6e6
                )
        if "orbit" in out and "ground" in out:
            o, g = out["orbit"], out["ground"]
            out["comparison"] = {
                "downlink_ratio": o["downlink_bytes"] / g["downlink_bytes"]
                if g["downlink_bytes"]
                else None,
                "energy_ratio": o["energy_j"] / g["energy_j"] if g["energy_j"] else None,
                "median_time_to_product_ratio": o["median_time_to_product_s"]
                / g["median_time_to_product_s"]
                if o["median_time_to_product_s"] and g["median_time_to_product_s"]
                else None,
            }
        return out

    def _by_input(self, r: JobRecord) -> dict[str, dict[str, Any]]:
        """Per input kind present: jobs, on time, median time to product [s]."""
        out: dict[str, dict[str, Any]] = {}
        status = np.asarray(r.status)
        for n, kind in enumerate(INPUT_KINDS):
            mine = self.jobs.input_kind == n
            if not mine.any():
                continue
            got = mine & np.isfinite(r.delivered_s)
            latency = r.delivered_s[got] - self.jobs.ready_s[got]
            out[kind] = {
                "jobs": int(mine.sum()),
                "done": int((status[mine] == "done").sum()),
                "median_time_to_product_s": float(np.median(latency)) if latency.size else None,
            }
        return out


def busy_fraction(busy: list[tuple[int, float, float]], n_sat: int, t_s: F64) -> F64:
    """Fraction of each step ``[t_k, t_k+1)`` each node computed, float64[n_sat, n_time-1],
    from busy intervals ``(node, start_s, end_s)`` (overlap lengths, vectorised)."""
    if not busy:
        return np.zeros((n_sat, t_s.size - 1))
    a = np.array(busy, dtype=np.float64)
    node, start, end = a[:, 0].astype(np.intp), a[:, 1], a[:, 2]
    # busy time up to each grid time: sum over intervals of clip(t - start, 0, end - start)
    cum = np.zeros((n_sat, t_s.size))
    chunk = max(1, 4_000_000 // t_s.size)
    for i in range(0, len(busy), chunk):
        s = slice(i, i + chunk)
        part = np.clip(t_s[None, :] - start[s, None], 0.0, (end[s] - start[s])[:, None])
        np.add.at(cum, node[s], part)
    return np.clip(np.diff(cum, axis=1) / np.diff(t_s)[None, :], 0.0, 1.0)


def run_workload(
    inputs: WorkloadInputs,
    eph: Ephemeris,
    plan: ContactPlan,
    power: PowerBudget | None,
    loss_s: F64 | None = None,
    network: Network | None = None,
    untrusted_s: F64 | None = None,
) -> WorkloadResult:
    """Run the workload ``inputs.spec`` in each of its modes (``inputs``:
    :meth:`WorkloadInputs.of`, None when the scenario has no workload).

    ``network``: the run's shared network over ``plan``; the world mode books on it, the other
    modes on forks (module docstring). None: a network of the workload's own.

    ``loss_s``: float64[n_sat], when each satellite is lost [s since epoch] (inf: never; None:
    no losses); ``plan`` is expected to be cut at the losses already (module docstring).
    ``untrusted_s``: float64[n_sat], from when each satellite is known to be compromised (no
    job starts there from then on; :class:`~.service.ComputeService`); None: all trusted.

    Raises:
        ValueError: ``loss_s`` is not one time (or inf) per satellite, or ``inputs`` are not
            of this fleet and node table.
    """
    spec, fleet = inputs.spec, inputs.fleet
    if fleet.n_sat != eph.n_sat or len(inputs.storage) != plan.nodes.n_node:
        raise ValueError(
            f"inputs are for {fleet.n_sat} satellites and {len(inputs.storage)} nodes, the run "
            f"has {eph.n_sat} and {plan.nodes.n_node}: build them with WorkloadInputs.of(scenario,"
            " eph.satellites, plan.nodes)"
        )
    loss = None
    if loss_s is not None:
        loss = np.asarray(loss_s, dtype=np.float64)
        if loss.shape != (eph.n_sat,) or np.isnan(loss).any():
            raise ValueError(
                f"loss_s must be float64[{eph.n_sat}], one loss time per satellite (inf: never), "
                f"got shape {loss.shape}" + (" with NaN" if loss.shape == (eph.n_sat,) else "")
            )
    t_wall = time.perf_counter()
    policy = load_policy(spec.policy)
    grid = eph.grid
    rated_w = fleet.per_satellite("compute_power_w")
    envelope = (
        power.compute_w
        if power is not None
        else np.repeat(rated_w[:, None], grid.n_time - 1, axis=1)
    )
    capacity = ComputeCapacity.from_power(
        grid.t_s, envelope, rated_w, fleet.per_satellite("compute_tflops"),
        spec.compute_efficiency,
    )  # fmt: skip
    captures = eo_captures(spec, eph)
    tiles = eo_jobs(spec, captures, seeded_rng(inputs.seed, "workload.tenants"))
    if loss is not None and np.isfinite(loss).any():
        captures, tiles = before_loss(captures, tiles, loss)
    requested = request_jobs(inputs, plan.nodes, seeded_rng(inputs.seed, "workload.requests"))
    jobs = Jobs.merge([tiles, requested])
    juris = list(inputs.jurisdictions)
    storage = fleet.per_satellite("storage_tb", 1e12)
    efficiency = fleet.per_satellite("battery_efficiency")
    log = EventLog()
    records: dict[str, JobRecord] = {}
    events, engine_wall = 0, 0.0
    utilisation = np.zeros((eph.n_sat, grid.n_time - 1))
    world = network if network is not None else Network(plan)
    world_mode = "orbit" if "orbit" in spec.modes else spec.modes[0]
    nets = {m: world if m == world_mode else world.fork() for m in spec.modes}
    for mode in spec.modes:
        engine = Engine(plan, inputs.seed, float(grid.t_s[0]), nets[mode])
        svc = ComputeService(
            engine, jobs, spec, capacity, eph.sunlit, storage, juris, policy, efficiency, loss,
            untrusted_s,
        )  # fmt: skip
        records[mode] = svc.run(mode)
        log.extend(engine.log)
        events += engine.env.processed
        engine_wall += engine.wall_s
        if mode == "orbit":
            utilisation = busy_fraction(svc.busy, eph.n_sat, grid.t_s)
    loaded = None
    if power is not None and "orbit" in spec.modes:
        loaded = node_power(
            fleet, eph, plan, compute_request_w=utilisation * rated_w[:, None], loss_s=loss_s
        )
    return WorkloadResult(
        captures, jobs, records, log, events, engine_wall, time.perf_counter() - t_wall,
        loaded, utilisation, fleet.per_satellite("battery_wh", 3600.0), loss,
    )  # fmt: skip
