"""The compute service: jobs placed by a policy, moved over the network, run within each
node's power and thermal envelope, hit by single-event upsets, their products sent down.

One simpy process per job (on the shared :class:`~orbitcloud.sim.engine.Engine`):

``orbit`` mode
    input ready (on the capturing satellite, at a ground station, or as shards in orbital
    storage) → the policy picks a satellite (:mod:`orbitcloud.compute.scheduler`) → the input
    gathered there: a capture over ISLs if the node is another one, a station's input uplinked
    (and relayed over ISLs), a stored object's ``k`` parts from the ``k`` holders whose parts
    arrive first, in parallel →
    the node's queue (one job at a time, by priority then arrival; simpy ``PriorityResource``)
    → attempts: the run time is exact for the node's compute envelope
    (:class:`~orbitcloud.nodes.capacity.ComputeCapacity`); an upset (Poisson, rate from
    :class:`~orbitcloud.faults.schedule.FaultModel`) kills the attempt at an exponential time and
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

Satellite losses (``loss_s[i]``: satellite ``i`` is gone from then on; inf: never). A lost
satellite is no longer offered to the policy (it is not in :class:`Candidates`) and nothing
starts on it. A job on it at the loss (its input on the way there, queued, or computing) is
re-placed by the policy from the input's surviving holders (``job_replaced``), the input
gathered again; unless the input was there too (a capture computed where it was taken, or
already moved to the lost node: the raw tiles are gone) or fewer than ``k`` holders of a
stored object survive: then it fails with reason ``input lost``. A bundle that cannot leave
a satellite before that satellite's loss (no route from it, or a route that would keep it
there past the loss: the contact plan, cut at the loss by the fault timeline, gives none)
waits in the satellite's store and is lost with it at the loss time: a part of an input in
transit makes the job gather again from the survivors; a product not yet off its satellite
fails the job (``product lost``). In the ground mode, a raw capture still on its satellite at
the loss is lost (``input lost``). Every failure has a reason (:data:`FAIL_REASONS`, the
``reason`` column); the losses are in the event log (``node_lost``, ``bundle_lost``,
``job_replaced``, ``job_failed``).

Energy per job [J]: compute (J/FLOP × FLOP, wasted attempts included; ground: × PUE) plus
transmission (bits × J/bit per ISL hop and per downlink hop, from the contacts used; an
uplink costs the satellites nothing here: the station transmits).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from orbitcloud.compute.scheduler import Candidates, JobView, Policy
from orbitcloud.compute.workload import INPUT_KINDS, Jobs
from orbitcloud.faults.schedule import FaultModel
from orbitcloud.nodes.capacity import ComputeCapacity
from orbitcloud.scenario.workload import Mode, WorkloadSpec
from orbitcloud.sim.engine import Engine, Sent

__all__ = ["FAIL_REASONS", "JOB_STATUS", "ComputeService", "JobRecord"]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]

#: done: product on the ground by the deadline; late: after it; failed: upsets exhausted the
#: attempts or no route exists; unfinished: not done by the end of the run; dropped: no
#: storage for the capture.
JOB_STATUS = ("done", "late", "failed", "unfinished", "dropped")

#: Why a job failed (``JobRecord.reason``): upsets exhausted the attempts; no satellite could
#: take it; no contacts could carry its input or product; its input was lost with a satellite
#: (the raw capture, or too few surviving holders of a stored object); its product was lost
#: with the satellite it was on.
FAIL_REASONS = ("upsets", "no node", "no route", "input lost", "product lost")


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
    replaced: NDArray[np.int64]
    status: list[str] = field(default_factory=list)
    reason: list[str] = field(default_factory=list)  # why it failed ("" unless failed)

    @classmethod
    def empty(cls, mode: Mode, n: int) -> JobRecord:
        nan = np.full(n, np.nan)
        return cls(
            mode, np.full(n, -1, np.int64), nan.copy(), nan.copy(), nan.copy(), nan.copy(),
            np.zeros(n), np.zeros(n, np.int64), np.zeros(n), np.zeros(n), np.zeros(n),
            np.zeros(n, np.int64), ["unfinished"] * n, [""] * n,
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
        loss_s: float64[n_sat], when each satellite is lost (inf: never; None: no losses).
        untrusted_s: float64[n_sat], from when a satellite is known to be compromised (the
            fault timeline's ``detected_s``): no job is placed or started on it from then on
            (one placed before and not yet started is placed again, as after a loss); it is
            not lost (None: every satellite is trusted).
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
        loss_s: F64 | None = None,
        untrusted_s: F64 | None = None,
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
        self.loss_s = np.full(self.n_sat, np.inf)
        if loss_s is not None:
            loss = np.asarray(loss_s, dtype=np.float64)
            if loss.shape != (self.n_sat,) or np.isnan(loss).any():
                raise ValueError(
                    f"loss_s must be float64[{self.n_sat}] (one time per satellite, inf: never "
                    f"lost), got shape {loss.shape}"
                    + (" with NaN" if loss.shape == (self.n_sat,) else "")
                )
            self.loss_s = loss
        self.untrusted_s = np.full(self.n_sat, np.inf)
        if untrusted_s is not None:
            self.untrusted_s = np.asarray(untrusted_s, dtype=np.float64).reshape(self.n_sat)
        self._losses = bool(np.isfinite(self.loss_s).any())
        # per node (stations never lost), for the engine's bundle guard; None: no losses
        self._loss_node: F64 | None = (
            np.concatenate([self.loss_s, np.full(nodes.n_node - self.n_sat, np.inf)])
            if self._losses
            else None
        )
        self._on_node: dict[int, dict[int, simpy.Process]] = {}  # lost-node interrupts

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
        if self._losses:
            env.process(self._lose_nodes("compute-orbit" if mode == "orbit" else "compute-ground"))
        self.engine.run(until_s=float(self.cap.t_s[-1]))
        return rec

    # --- helpers ---------------------------------------------------------------------------

    def _lose_nodes(self, svc: str) -> Generator[Any, Any, None]:
        """simpy process: at each satellite's loss (in time order, the lost ones only), log
        ``node_lost`` (value: jobs on it) and interrupt the jobs on it (by job id)."""
        env, order = self.engine.env, np.argsort(self.loss_s, kind="stable")
        for s in order[np.isfinite(self.loss_s[order])].tolist():
            t = float(self.loss_s[s])
            if t > self.cap.t_s[-1]:
                break
            if t > env.now:
                yield env.timeout(t - env.now)
            on = self._on_node.pop(s, {})
            self.engine.log.add(env.now, svc, "node_lost", self.engine.names[s], "", len(on))
            for i in sorted(on):
                on[i].interrupt(s)

    def _transit(self) -> NDArray[np.bool_]:
        """Nodes that may relay now: the satellites not lost."""
        if self._loss_node is None:
            return self.sat_only
        return self.sat_only & (self._loss_node > self.engine.env.now)

    def _surviving(self, job: JobView) -> JobView | None:
        """``job`` with the holders of its input not lost by now (None when fewer than
        ``needed`` survive); ``job`` itself when all do."""
        if not self._losses:
            return job
        now = self.engine.env.now
        alive = [h for h in job.holders if h >= self.n_sat or self.loss_s[h] > now]
        if len(alive) < job.needed:
            return None
        if len(alive) == len(job.holders):
            return job
        return replace(job, holders=tuple(alive), source=alive[0])

    def _fail(self, i: int, rec: JobRecord, svc: str, node: int, reason: str) -> None:
        rec.status[i], rec.reason[i] = "failed", reason
        name = self.engine.names[node] if node >= 0 else ""
        self.engine.log.add(self.engine.env.now, svc, "job_failed", name, str(i), 0.0, reason)

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
            arr[r] = self.engine.router.arrivals(h, now, part, self._transit(), horizon_s)
        return arr

    def candidates(self, job: JobView) -> Candidates:
        """Estimates for every satellite that can take ``job`` now (module docstring of
        :mod:`orbitcloud.compute.scheduler`)."""
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
        ok = np.isfinite(arrival) & self.has_compute & room
        if self._losses:  # a lost satellite is never a candidate
            ok &= self.loss_s > now
        ok &= self.untrusted_s > now  # nor one known to be compromised
        node = np.flatnonzero(ok)
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
        to its record. ``delivery`` None: no contacts can carry them, or they were lost with
        a satellite (``lost_node``; a satellite source without a route keeps them until its
        loss, module docstring)."""
        env = self.engine.env
        sent: Sent = yield env.process(
            self.engine.send(svc, str(i), src, dst, size, self._transit(), self._loss_node)
        )
        if sent.delivery is None:
            if sent.lost_node < 0 and src < self.n_sat and np.isfinite(self.loss_s[src]):
                yield env.timeout(max(0.0, float(self.loss_s[src]) - env.now))
                self.engine.log.add(
                    env.now, svc, "bundle_lost", self.engine.names[src], str(i), size
                )
                return Sent(None, -1, src)
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
    ) -> Generator[Any, Any, Sent]:
        """simpy process: each of ``senders`` sends its part of job ``i``'s input to ``dst``,
        in parallel; the :class:`Sent` of the last part to land, or of a part that could not
        (a lost one first)."""
        part = float(self.jobs.input_bytes[i]) / int(self.jobs.needed[i])
        env = self.engine.env
        sents: list[Sent] = []
        if len(senders) == 1:  # one part: moved in this process
            sents.append((yield from self._move(i, rec, svc, senders[0], dst, part)))
        else:
            moves = [env.process(self._move(i, rec, svc, h, dst, part)) for h in senders]
            for m in moves:
                sents.append((yield m))
        failed = [s for s in sents if s.delivery is None]
        if failed:
            return next((s for s in failed if s.lost_node >= 0), failed[0])
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
        at_src = on_board  # a capture still on its satellite (not yet moved to its node)
        lost = -1  # the node lost under the job (its input was on its way there, or there)
        while True:
            view = self._surviving(job) if at_src or not on_board else None
            if view is None:
                if at_src:
                    self.used_bytes[src] -= size
                self._fail(i, rec, svc, lost if lost >= 0 else src, "input lost")
                return
            if lost >= 0:  # the row keeps the start on the lost node only if it fails there
                rec.replaced[i] += 1
                rec.started_s[i] = np.nan
                log.add(env.now, svc, "job_replaced", self.engine.names[lost], str(i), 0.0)
            cand, senders = self._estimate(view)
            if len(cand) == 0:
                if at_src:
                    self.used_bytes[src] -= size
                self._fail(i, rec, svc, src, "no node")
                return
            pick = int(self.policy(view, cand))
            if not 0 <= pick < len(cand):
                raise ValueError(f"policy returned row {pick}; candidates have {len(cand)} rows")
            node = int(cand.node[pick])
            rec.node[i] = node
            self.queue_free_s[node] = max(float(cand.finish_s[pick]), self.queue_free_s[node])
            log.add(env.now, svc, "job_placed", self.engine.names[node], str(i), 0.0)
            if self._losses:  # the loss of the node interrupts the job (module docstring)
                me = env.active_process
                assert me is not None
                self._on_node.setdefault(node, {})[i] = me
            try:
                if not (on_board and node == src):
                    # a part already at the node is sent to itself: 0 s
                    self.used_bytes[node] += size
                    got = yield from self._gather(i, rec, svc, senders[:, node].tolist(), node)
                    if got.delivery is None:
                        self.used_bytes[node] -= size
                        if got.lost_node >= 0:  # a part lost on the way: gather again
                            lost = got.lost_node
                            continue
                        if at_src:
                            self.used_bytes[src] -= size
                        self._fail(i, rec, svc, src, "no route")
                        return
                    if on_board:
                        self.used_bytes[src] -= size
                        at_src = False
                with self.resources[node].request(priority=job.priority) as req:
                    yield req
                    ok = yield from self._attempts(i, node, rec)
            except simpy.Interrupt:  # the node is lost with the job on it
                self.used_bytes[node] -= size
                if on_board and node == src:  # computed where it was taken: the tiles are gone
                    at_src = False
                lost = node
                continue
            finally:
                if self._losses:
                    self._on_node.get(node, {}).pop(i, None)
            break
        self.used_bytes[node] -= size
        if not ok:
            return
        out = max(float(jobs.output_bytes[i]), 1.0)
        sent = yield from self._move(i, rec, svc, node, self.grounds[jobs.tenant[i]], out)
        if sent.delivery is None:
            self._fail(i, rec, svc, node, "product lost" if sent.lost_node >= 0 else "no route")
            return
        rec.delivered_s[i] = env.now
        self._finish(i, rec, "orbit")

    def _attempts(self, i: int, node: int, rec: JobRecord) -> Generator[Any, Any, bool]:
        """Run job ``i`` on ``node`` until an attempt survives (True) or attempts run out.
        Raises simpy.Interrupt when the node is lost (the work done until then is spent)."""
        env, log, svc = self.engine.env, self.engine.log, "compute-orbit"
        if self.loss_s[node] <= env.now:  # lost at this instant, before its loss was logged
            raise simpy.Interrupt(node)
        if self.untrusted_s[node] <= env.now:  # detected compromised: start nothing there
            raise simpy.Interrupt(node)
        flops = float(self.jobs.flops[i])
        j_per_flop = float(self.cap.j_per_flop[node])
        nodes = np.array([node])
        rec.started_s[i] = env.now
        log.add(env.now, svc, "job_started", self.engine.names[node], str(i), flops)

        def spent(start: float) -> float:
            """Record the busy time from ``start`` to now and its energy; FLOPs done."""
            self.busy.append((node, start, env.now))
            done = float(self.cap.done_by(nodes, np.array([env.now]))[0]) - float(
                self.cap.done_by(nodes, np.array([start]))[0]
            )
            rec.energy_j[i] += done * j_per_flop
            return done

        for attempt in range(self.spec.max_attempts):
            start = env.now
            end = float(self.cap.finish_s(nodes, np.array([start]), np.array([flops]))[0])
            if not np.isfinite(end):
                rec.status[i] = "unfinished"
                return False
            t_fail = self.faults.time_to_upset_s(self.rng)
            upset = start + t_fail < end
            try:
                yield env.timeout(t_fail if upset else end - start)
            except simpy.Interrupt:
                spent(start)
                raise
            if upset:
                done = spent(start)
                rec.retries[i] = attempt + 1
                log.add(env.now, svc, "job_upset", self.engine.names[node], str(i), done)
                continue
            self.busy.append((node, start, end))
            rec.energy_j[i] += flops * j_per_flop
            rec.finished_s[i] = env.now
            log.add(env.now, svc, "job_computed", self.engine.names[node], str(i), flops)
            return True
        self._fail(i, rec, svc, node, "upsets")
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
            lost = -1
            while True:
                view = self._surviving(job)
                if view is None:
                    self._fail(i, rec, svc, lost if lost >= 0 else src, "input lost")
                    return
                if lost >= 0:  # a part lost on the way down: gather again from the survivors
                    rec.replaced[i] += 1
                    self.engine.log.add(
                        env.now, svc, "job_replaced", self.engine.names[lost], str(i), 0.0
                    )
                senders = list(view.holders)
                if len(senders) > view.needed:  # the parts that reach an allowed station first
                    first = self._part_arrivals(view)[:, grounds].min(axis=1)
                    senders = [senders[r] for r in np.argsort(first, kind="stable")[: view.needed]]
                got = yield from self._gather(i, rec, svc, senders, grounds)
                if got.delivery is not None:
                    break
                if got.lost_node < 0:
                    self._fail(i, rec, svc, src, "no route")
                    return
                lost = got.lost_node
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
