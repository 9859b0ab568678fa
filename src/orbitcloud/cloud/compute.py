"""The compute service: jobs placed by a policy, moved over the network, run within each
node's power and thermal envelope, hit by single-event upsets, their products sent down.

One simpy process per job (on the shared :class:`~orbitcloud.cloud.engine.Engine`):

``orbit`` mode
    input ready (on the capturing satellite, at a ground station, or as shards in orbital
    storage) → the policy picks a satellite (:mod:`orbitcloud.cloud.scheduler`) → the input
    gathered there: a capture over ISLs if the node is another one, a station's input uplinked
    (and relayed over ISLs), a stored object's ``k`` parts from the ``k`` holders whose parts
    arrive first, in parallel →
    the node's queue (one job at a time, by priority then arrival; simpy ``PriorityResource``)
    → attempts: the run time is exact for the node's compute envelope
    (:class:`~orbitcloud.cloud.capacity.ComputeCapacity`); an upset (Poisson, rate from
    :class:`~orbitcloud.cloud.faults.FaultModel`) kills the attempt at an exponential time and
    it restarts from the beginning, up to ``max_attempts`` → product sent to the first ground
    station the tenant may use (store-and-forward over the contact plan).

``ground`` mode (the baseline)
    raw input sent to the first allowed ground station (a stored object: its ``k`` first
    parts, each to the first allowed station it reaches; ground sites are taken to be linked
    by terrestrial networks) → processed in the ground data centre at
    ``tflops_per_job × efficiency`` (no queueing: a data centre has many such nodes) → done.
    An input already at a ground station is processed there.

Storage: a node holds a job's input from arrival to completion; a candidate without room for
it is not offered to the policy; a capture that does not fit on its satellite is dropped. (The
shards of stored inputs are not charged to the compute nodes' storage: they are the storage
service's.)

Energy per job [J]: compute (J/FLOP × FLOP, wasted attempts included; ground: × PUE) plus
transmission (bits × J/bit per ISL hop and per downlink hop, from the contacts used; an
uplink costs the satellites nothing here: the station transmits).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from orbitcloud.cloud.capacity import ComputeCapacity
from orbitcloud.cloud.engine import Engine, Sent
from orbitcloud.cloud.faults import FaultModel
from orbitcloud.cloud.scheduler import Candidates, JobView, Policy
from orbitcloud.cloud.workload import INPUT_KINDS, Jobs
from orbitcloud.scenario.workload import Mode, WorkloadSpec

__all__ = ["JOB_STATUS", "ComputeService", "JobRecord"]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]

#: done: product on the ground by the deadline; late: after it; failed: upsets exhausted the
#: attempts or no route exists; unfinished: not done by the end of the run; dropped: no
#: storage for the capture.
JOB_STATUS = ("done", "late", "failed", "unfinished", "dropped")


@dataclass
class JobRecord:
    """What happened to the jobs of one mode; arrays [n_job] (NaN / -1 where not reached)."""

    mode: Mode
    node: NDArray[np.int64]
    submitted_s: F64
    started_s: F64
    finished_s: F64
    delivered_s: F64
    energy_j: F64
    retries: NDArray[np.int64]
    downlink_bytes: F64
    isl_bytes: F64
    uplink_bytes: F64
    status: list[str] = field(default_factory=list)

    @classmethod
    def empty(cls, mode: Mode, n: int) -> JobRecord:
        nan = np.full(n, np.nan)
        return cls(
            mode, np.full(n, -1, np.int64), nan.copy(), nan.copy(), nan.copy(), nan.copy(),
            np.zeros(n), np.zeros(n, np.int64), np.zeros(n), np.zeros(n), np.zeros(n),
            ["unfinished"] * n,
        )  # fmt: skip


class ComputeService:
    """Runs a workload's jobs in one mode on an engine (see the module docstring).

    Args:
        engine: the run's engine (its contact plan gives the network).
        jobs: the jobs (sorted by ``ready_s``).
        spec: the workload settings.
        capacity: per-satellite compute envelope.
        sunlit: bool[n_sat, n_time] on ``capacity.t_s``.
        storage_bytes: float64[n_sat], storage capacity per satellite.
        station_jurisdiction: ISO code per ground station (node ``n_sat + i``).
        policy: the placement policy (orbit mode).
        battery_efficiency: float64[n_sat], one-way charge/discharge efficiency.
    """

    def __init__(
        self,
        engine: Engine,
        jobs: Jobs,
        spec: WorkloadSpec,
        capacity: ComputeCapacity,
        sunlit: NDArray[np.bool_],
        storage_bytes: F64,
        station_jurisdiction: list[str],
        policy: Policy,
        battery_efficiency: F64,
    ) -> None:
        self.engine, self.jobs, self.spec, self.cap = engine, jobs, spec, capacity
        self.sunlit, self.policy = sunlit, policy
        nodes = engine.plan.nodes
        self.n_sat = nodes.n_sat
        self.storage_bytes = np.asarray(storage_bytes, dtype=np.float64)
        self.used_bytes = np.zeros(self.n_sat)
        self.queue_free_s = np.full(self.n_sat, -np.inf)
        self.battery_penalty = 1.0 / np.maximum(battery_efficiency, 1e-9) ** 2
        self.sat_only = np.zeros(nodes.n_node, dtype=bool)
        self.sat_only[: self.n_sat] = True
        self.has_compute = np.isfinite(capacity.j_per_flop)
        self.faults = FaultModel(spec.seu_per_bit_day, spec.sensitive_bits)
        self.rng = engine.rng("compute.seu")
        self.grounds = [
            self._allowed_stations(t.allowed_jurisdictions, station_jurisdiction)
            for t in spec.tenants
        ]
        self._downlinks = _DownlinkIndex(engine, self.n_sat)
        self.busy: list[tuple[int, float, float]] = []  # (node, start, end) of compute

    def _allowed_stations(self, allowed: list[str] | None, juris: list[str]) -> list[int]:
        return [self.n_sat + i for i, j in enumerate(juris) if allowed is None or j in set(allowed)]

    def run(self, mode: Mode) -> JobRecord:
        """Schedule every job (arrival process + one process per job) and run the engine."""
        rec = JobRecord.empty(mode, len(self.jobs))
        env = self.engine.env
        self.resources = [simpy.PriorityResource(env, capacity=1) for _ in range(self.n_sat)]
        job = self._orbit_job if mode == "orbit" else self._ground_job

        def arrivals() -> Generator[Any, Any, None]:
            for i in range(len(self.jobs)):
                wait = self.jobs.ready_s[i] - env.now
                if wait > 0:
                    yield env.timeout(wait)
                env.process(job(i, rec))

        env.process(arrivals())
        self.engine.run(until_s=float(self.cap.t_s[-1]))
        return rec

    # --- helpers ---------------------------------------------------------------------------

    def _view(self, i: int) -> JobView:
        j = self.jobs
        return JobView(
            i, j.tenant_names[j.tenant[i]], int(j.priority[i]), int(j.source[i]),
            float(j.ready_s[i]), float(j.deadline_s[i]), float(j.input_bytes[i]),
            float(j.flops[i]), float(j.output_bytes[i]), INPUT_KINDS[int(j.input_kind[i])],
            j.holders_of(i), int(j.needed[i]),
        )  # fmt: skip

    def _part_arrivals(self, job: JobView, horizon_s: float = np.inf) -> F64:
        """Earliest arrival of each holder's part of ``job``'s input at every node from now,
        float64[n_holder, n_node] (a satellite holder's own part: now; nothing booked)."""
        now, part = self.engine.env.now, max(job.input_bytes / job.needed, 1.0)
        arr = np.empty((len(job.holders), self.engine.plan.nodes.n_node))
        for r, h in enumerate(job.holders):
            arr[r] = self.engine.router.arrivals(h, now, part, self.sat_only, horizon_s)
        return arr

    def candidates(self, job: JobView) -> Candidates:
        """Estimates for every satellite that can take ``job`` now (module docstring of
        :mod:`orbitcloud.cloud.scheduler`)."""
        return self._estimate(job)[0]

    def _estimate(self, job: JobView) -> tuple[Candidates, NDArray[np.intp]]:
        """The candidates, and per satellite the ``needed`` holders whose parts would reach
        it first, int[needed, n_sat] (who sends when the job goes there)."""
        now, src = self.engine.env.now, job.source
        horizon = np.inf  # a lone satellite holder bounds the search by finishing at home
        if job.needed == 1 and src < self.n_sat and self.has_compute[src]:
            local_start = np.array([max(now, self.queue_free_s[src])])
            horizon = self.cap.finish_s(np.array([src]), local_start, np.array([job.flops]))[0]
        arr = self._part_arrivals(job, horizon)[:, : self.n_sat]
        first = np.argsort(arr, axis=0, kind="stable")[: job.needed]  # [needed, n_sat]
        arrival = np.take_along_axis(arr, first, axis=0)[-1]  # when the k-th part is there
        senders = np.asarray(job.holders, np.intp)[first]
        room = self.used_bytes + job.input_bytes <= self.storage_bytes
        if job.input_kind == "capture":
            room[src] = True  # the input is already there
        node = np.flatnonzero(np.isfinite(arrival) & self.has_compute & room)
        start = np.maximum(arrival[node], self.queue_free_s[node])
        finish = self.cap.finish_s(node, start, np.full(node.size, job.flops))
        grounds = self.grounds[self.jobs.tenant[job.job_id]]
        deliver = self._downlinks.next_contact_s(node, finish, grounds)
        sunlit = self.sunlit[node, self.cap.step_of(start)]
        to_node = senders[:, node]
        moved = ((to_node < self.n_sat) & (to_node != node)).sum(axis=0)  # parts to move by ISL
        energy = (
            job.flops
            * self.cap.j_per_flop[node]
            * np.where(sunlit, 1.0, self.battery_penalty[node])
            + moved * (job.input_bytes / job.needed) * 8.0 * self.spec.isl_j_per_bit
        )
        return Candidates(node, arrival[node], start, finish, deliver, energy, sunlit), senders

    def _move(
        self, i: int, rec: JobRecord, svc: str, src: int, dst: int | list[int], size: float
    ) -> Generator[Any, Any, Sent]:
        """simpy process: send job ``i``'s ``size`` bytes (satellites forward, stations only
        receive), add the transmission energy and the downlink/ISL bytes of the contacts used
        to its record, and mark it failed when no contacts can carry them."""
        sent: Sent = yield self.engine.env.process(
            self.engine.send(svc, str(i), src, dst, size, self.sat_only)
        )
        if sent.delivery is None:
            rec.status[i] = "failed"
            return sent
        p, n_sat = self.engine.plan, self.n_sat
        c = np.asarray(sent.delivery.contacts, dtype=np.intp)
        isl = int(((p.src[c] < n_sat) & (p.dst[c] < n_sat)).sum())
        down = int((p.dst[c] >= n_sat).sum())
        bits = size * 8.0
        rec.energy_j[i] += bits * (
            isl * self.spec.isl_j_per_bit + down * self.spec.downlink_j_per_bit
        )
        rec.downlink_bytes[i] += size * down
        rec.isl_bytes[i] += size * isl
        rec.uplink_bytes[i] += size * int((p.src[c] >= n_sat).sum())
        return sent

    def _gather(
        self, i: int, rec: JobRecord, svc: str, senders: list[int], dst: int | list[int]
    ) -> Generator[Any, Any, Sent | None]:
        """simpy process: each of ``senders`` sends its part of job ``i``'s input to ``dst``,
        in parallel; the :class:`Sent` of the last part to land, None if a part cannot."""
        part = float(self.jobs.input_bytes[i]) / int(self.jobs.needed[i])
        env = self.engine.env
        sents: list[Sent] = []
        if len(senders) == 1:  # one part: moved in this process
            sents.append((yield from self._move(i, rec, svc, senders[0], dst, part)))
        else:
            moves = [env.process(self._move(i, rec, svc, h, dst, part)) for h in senders]
            for m in moves:
                sents.append((yield m))
        if any(s.delivery is None for s in sents):
            return None
        return max(sents, key=lambda s: s.arrival_s)

    def _finish(self, i: int, rec: JobRecord, mode: Mode) -> None:
        t = rec.delivered_s[i]
        rec.status[i] = "done" if t <= self.jobs.deadline_s[i] else "late"
        self.engine.log.add(
            t, f"compute-{mode}", "job_done", "", str(i), float(rec.energy_j[i]), rec.status[i]
        )

    # --- the two modes ---------------------------------------------------------------------

    def _orbit_job(self, i: int, rec: JobRecord) -> Generator[Any, Any, None]:
        env, log, jobs, svc = self.engine.env, self.engine.log, self.jobs, "compute-orbit"
        src, size = int(jobs.source[i]), float(jobs.input_bytes[i])
        job = self._view(i)
        on_board = job.input_kind == "capture"  # the input takes room on its satellite
        rec.submitted_s[i] = env.now
        log.add(env.now, svc, "job_submitted", self.engine.names[src], str(i), size)
        if on_board and self.used_bytes[src] + size > self.storage_bytes[src]:
            rec.status[i] = "dropped"
            log.add(env.now, svc, "job_dropped", self.engine.names[src], str(i), size, "storage")
            return
        if on_board:
            self.used_bytes[src] += size
        cand, senders = self._estimate(job)
        if len(cand) == 0:
            rec.status[i] = "failed"
            if on_board:
                self.used_bytes[src] -= size
            log.add(env.now, svc, "job_failed", self.engine.names[src], str(i), 0.0, "no node")
            return
        pick = int(self.policy(job, cand))
        if not 0 <= pick < len(cand):
            raise ValueError(f"policy returned row {pick}; candidates have {len(cand)} rows")
        node = int(cand.node[pick])
        rec.node[i] = node
        self.queue_free_s[node] = max(float(cand.finish_s[pick]), self.queue_free_s[node])
        log.add(env.now, svc, "job_placed", self.engine.names[node], str(i), 0.0)
        if not (on_board and node == src):
            self.used_bytes[node] += size  # a part already at the node is sent to itself: 0 s
            got = yield from self._gather(i, rec, svc, senders[:, node].tolist(), node)
            if on_board:
                self.used_bytes[src] -= size
            if got is None:
                self.used_bytes[node] -= size
                return
        with self.resources[node].request(priority=job.priority) as req:
            yield req
            ok = yield from self._attempts(i, node, rec)
        self.used_bytes[node] -= size
        if not ok:
            return
        out = max(float(jobs.output_bytes[i]), 1.0)
        sent = yield from self._move(i, rec, svc, node, self.grounds[jobs.tenant[i]], out)
        if sent.delivery is None:
            return
        rec.delivered_s[i] = env.now
        self._finish(i, rec, "orbit")

    def _attempts(self, i: int, node: int, rec: JobRecord) -> Generator[Any, Any, bool]:
        """Run job ``i`` on ``node`` until an attempt survives (True) or attempts run out."""
        env, log, svc = self.engine.env, self.engine.log, "compute-orbit"
        flops = float(self.jobs.flops[i])
        j_per_flop = float(self.cap.j_per_flop[node])
        nodes = np.array([node])
        rec.started_s[i] = env.now
        log.add(env.now, svc, "job_started", self.engine.names[node], str(i), flops)
        for attempt in range(self.spec.max_attempts):
            start = env.now
            end = float(self.cap.finish_s(nodes, np.array([start]), np.array([flops]))[0])
            if not np.isfinite(end):
                rec.status[i] = "unfinished"
                return False
            t_fail = self.faults.time_to_upset_s(self.rng)
            if start + t_fail < end:
                yield env.timeout(t_fail)
                self.busy.append((node, start, env.now))
                spent = float(self.cap.done_by(nodes, np.array([env.now]))[0]) - float(
                    self.cap.done_by(nodes, np.array([start]))[0]
                )
                rec.energy_j[i] += spent * j_per_flop
                rec.retries[i] = attempt + 1
                log.add(env.now, svc, "job_upset", self.engine.names[node], str(i), spent)
                continue
            yield env.timeout(end - start)
            self.busy.append((node, start, end))
            rec.energy_j[i] += flops * j_per_flop
            rec.finished_s[i] = env.now
            log.add(env.now, svc, "job_computed", self.engine.names[node], str(i), flops)
            return True
        rec.status[i] = "failed"
        log.add(env.now, svc, "job_failed", self.engine.names[node], str(i), 0.0, "upsets")
        return False

    def _ground_job(self, i: int, rec: JobRecord) -> Generator[Any, Any, None]:
        env, jobs, g, svc = self.engine.env, self.jobs, self.spec.ground, "compute-ground"
        src, size = int(jobs.source[i]), float(jobs.input_bytes[i])
        rec.submitted_s[i] = env.now
        self.engine.log.add(env.now, svc, "job_submitted", self.engine.names[src], str(i), size)
        job = self._view(i)
        grounds = self.grounds[jobs.tenant[i]]
        if job.input_kind == "station":
            rec.node[i] = src  # processed where it is
        else:
            senders = list(job.holders)
            if len(senders) > job.needed:  # the parts that reach an allowed station first
                first = self._part_arrivals(job)[:, grounds].min(axis=1)
                senders = [senders[r] for r in np.argsort(first, kind="stable")[: job.needed]]
            got = yield from self._gather(i, rec, svc, senders, grounds)
            if got is None:
                return
            rec.node[i] = got.dst
        rec.started_s[i] = env.now
        peak = g.tflops_per_job * 1e12 * self.spec.compute_efficiency
        yield env.timeout(float(jobs.flops[i]) / peak)
        rec.finished_s[i] = rec.delivered_s[i] = env.now
        joules_per_flop = 1.0 / (g.tflops_per_w * 1e12 * self.spec.compute_efficiency)
        rec.energy_j[i] += float(jobs.flops[i]) * joules_per_flop * g.pue
        self._finish(i, rec, "ground")


class _DownlinkIndex:
    """Next downlink contact of a satellite to one of a set of stations, vectorised: contacts
    keyed by ``sat × span + end_s`` so one ``searchsorted`` finds, per query, the first
    contact of that satellite still open at the query time."""

    def __init__(self, engine: Engine, n_sat: int) -> None:
        p = engine.plan
        down = np.flatnonzero((p.src < n_sat) & (p.dst >= n_sat))
        self.span = float(max(p.end_s.max(initial=0.0), 1.0)) * 2.0 + 1.0
        self.src, self.dst = p.src[down].astype(np.int64), p.dst[down].astype(np.int64)
        self.start_s, self.end_s = p.start_s[down], p.end_s[down]
        self._cache: dict[tuple[int, ...], tuple[F64, F64, NDArray[np.int64]]] = {}

    def _keys(self, grounds: list[int]) -> tuple[F64, F64, NDArray[np.int64]]:
        key = tuple(grounds)
        if key not in self._cache:
            m = np.isin(self.dst, grounds)
            k = self.src[m] * self.span + self.end_s[m]
            order = np.argsort(k)
            self._cache[key] = (k[order], self.start_s[m][order], self.src[m][order])
        return self._cache[key]

    def next_contact_s(self, sat: IDX, t_s: F64, grounds: list[int]) -> F64:
        """Earliest time >= t_s at which satellite ``sat[i]`` has a downlink open (inf if
        none; NaN/inf times give inf)."""
        keys, starts, srcs = self._keys(grounds)
        out = np.full(sat.shape, np.inf)
        ok = np.isfinite(t_s)
        q = sat[ok] * self.span + t_s[ok]
        idx = np.searchsorted(keys, q, side="right")
        valid = idx < keys.size
        hit = np.zeros(q.shape, dtype=bool)
        hit[valid] = srcs[idx[valid]] == sat[ok][valid]
        res = np.full(q.shape, np.inf)
        res[hit] = np.maximum(starts[idx[hit]], t_s[ok][hit])
        out[ok] = res
        return out
