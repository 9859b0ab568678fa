"""Satellite losses in the compute service: timelines computed by hand on small worlds, each run
on the contact plan as given and on the plan cut at the loss (what the fault timeline hands
on; the cut here is an independent few lines); captures against arithmetic; and an end-to-end
Walker 3x9 run checked row by row against the loss and against a run without it."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pyarrow as pa
import pytest

from conftest import hand_plan, request_job, walker_3x9_world
from orbitcloud.compute.runner import WorkloadInputs, run_workload
from orbitcloud.compute.scheduler import Candidates, JobView, Policy, load_policy
from orbitcloud.compute.service import FAIL_REASONS, ComputeService, JobRecord
from orbitcloud.compute.workload import INPUT_KINDS, Captures, Jobs, before_loss, eo_jobs
from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.nodes.capacity import ComputeCapacity
from orbitcloud.run.pipeline import run_pipeline
from orbitcloud.scenario import Scenario
from orbitcloud.scenario.workload import WorkloadSpec
from orbitcloud.sim.engine import Engine, seeded_rng

T_S = np.arange(0.0, 1001.0, 10.0)
INF = math.inf
SPEC = WorkloadSpec(
    areas=[{"name": "a", "lat_deg": 0.0, "lon_deg": 0.0}],
    compute_efficiency=1.0,
    seu_per_bit_day=0.0,
    isl_j_per_bit=1e-8,
    downlink_j_per_bit=5e-8,
    ground={"tflops_per_job": 1.0, "tflops_per_w": 0.1, "pue": 1.58},
)
CUT = [False, True]  # the plan as given / cut at the losses


def _inputs(sc, run):
    """The compute stage's inputs for scenario ``sc`` and its computed ``run``."""
    return WorkloadInputs.of(sc, run.ephemeris.satellites, run.contacts.nodes)


def _service(plan, jobs, policy: Policy, loss):
    """Every satellite: 1 TFLOPS at 1000 W (1e-9 J/FLOP), sunlit, ample storage."""
    n = plan.nodes.n_sat
    cap = ComputeCapacity.from_power(
        T_S, np.full((n, T_S.size - 1), 1000.0), np.full(n, 1000.0), np.full(n, 1.0), 1.0
    )
    return ComputeService(
        Engine(plan, 7), jobs, SPEC, cap, np.ones((n, T_S.size), bool), np.full(n, 1e15),
        ["IT"] * (plan.nodes.n_node - n), policy, np.full(n, 0.95), loss_s=loss,
    )  # fmt: skip


def _run(names, n_sat, rows, jobs, loss, cut, mode="orbit", policy="earliest_finish"):
    """Run ``jobs`` with satellites lost at ``loss``; the policy sees only satellites not lost
    (checked at every call); returns the record and the event log rows."""
    loss = np.asarray(loss, float)
    plan = hand_plan(names, n_sat, rows, loss if cut else None)
    inner = load_policy(policy) if isinstance(policy, str) else policy
    holder: list[ComputeService] = []

    def watched(job: JobView, cand: Candidates) -> int:
        now = holder[0].engine.env.now
        assert (loss[cand.node] > now).all(), f"lost satellite offered at {now} s"
        return inner(job, cand)

    svc = _service(plan, jobs, watched, loss)
    holder.append(svc)
    rec = svc.run(mode)
    return rec, svc.engine.log.to_arrow().to_pylist(), svc


def _events(log, kind):
    return [(r["t_s"], r["node"], r["subject"], r["detail"]) for r in log if r["kind"] == kind]


def _captures(ready, flops=5e12, size=1e9, prio=None, source=None):
    n = len(ready)
    return Jobs.on_satellites(
        ["eo"], np.zeros(n, np.int32), np.asarray(prio or [0] * n, np.int32),
        np.asarray(source or [0] * n, np.int32), np.arange(n, dtype=np.int32),
        np.zeros(n, np.int32), np.asarray(ready, float), np.full(n, 1000.0),
        np.full(n, size), np.full(n, flops), np.full(n, size * 0.01),
    )  # fmt: skip


def local_only(job: JobView, cand: Candidates) -> int:
    """Always the satellite holding the input."""
    return int(np.flatnonzero(cand.node == job.source)[0])


def earliest_compute(job: JobView, cand: Candidates) -> int:
    """The candidate that finishes computing first (blind to when the product can go down)."""
    return int(np.lexsort((np.arange(len(cand)), cand.finish_s))[0])


def highest_node(job: JobView, cand: Candidates) -> int:
    """The candidate with the highest node index (whatever the estimates say)."""
    return int(np.argmax(cand.node))


# s0, s1, G: G -> s0 and G -> s1 uplinks 20-100 s, s0 <-> s1 laser, s1 -> G at 100-200 s,
# s0 -> G at 500-600 s (100 MB/s links, 1 GB/s laser)
STATION_WORLD = [
    (0, 1, 0, 1000, 8e9, 0.01), (2, 1, 20, 100, 8e8, 0.002), (2, 0, 20, 100, 8e8, 0.002),
    (1, 2, 100, 200, 8e8, 0.002), (0, 2, 500, 600, 8e8, 0.002),
]  # fmt: skip
THREE = ["s0", "s1", "G"]


@pytest.mark.parametrize("cut", CUT)
def test_a_job_computing_on_a_lost_satellite_is_replaced_and_its_input_uplinked_again(cut):
    """By hand: the 1 GB station input is uplinked to s1 (20-30.002 s) and computes from
    30.002 s; s1 is lost at 32 s: the job is re-placed on s0, the input uplinked again from the
    station (32-42.002 s), 5 s of compute, the 10 MB product down at s0's pass (500.102 s).
    Energy: 1.998 s wasted on s1 (1998 J) + 5000 J + downlink 8e7 bit x 5e-8 J/bit."""
    loss = [INF, 32.0]
    rec, log, _ = _run(
        THREE, 2, STATION_WORLD, request_job("station", [2], 1, 1e9), loss, cut,
        policy=highest_node,
    )  # fmt: skip
    assert rec.status == ["done"] and rec.reason == [""]
    assert rec.node[0] == 0 and rec.replaced[0] == 1
    assert rec.started_s[0] == pytest.approx(42.002)
    assert rec.finished_s[0] == pytest.approx(47.002)
    assert rec.delivered_s[0] == pytest.approx(500.102)
    assert rec.uplink_bytes[0] == pytest.approx(2e9)
    assert rec.energy_j[0] == pytest.approx(1998 + 5000 + 4)
    assert _events(log, "node_lost") == [(32.0, "s1", "", "")]
    assert _events(log, "job_replaced") == [(32.0, "s1", "0", "")]
    placed = _events(log, "job_placed")
    assert [(t, n) for t, n, _, _ in placed] == [(10.0, "s1"), (32.0, "s0")]
    started = _events(log, "job_started")
    assert [(t, n) for t, n, _, _ in started] == [pytest.approx((30.002, "s1")), (42.002, "s0")]


@pytest.mark.parametrize("cut", CUT)
def test_captures_running_and_queued_on_their_lost_satellite_fail_with_input_lost(cut):
    """Three 5 s captures on s0 (ready 10, 11, 12 s; the first computing 10-15 s, the others
    queued) and one on s1 (ready 14 s); s0 is lost at 13 s: the raw tiles are gone with it, all
    three fail at 13 s for "input lost" (3 s of compute spent, 3000 J); s1's job is untouched."""
    jobs = _captures([10.0, 11.0, 12.0, 14.0], source=[0, 0, 0, 1])
    rec, log, svc = _run(THREE, 2, STATION_WORLD, jobs, [13.0, INF], cut, policy=local_only)
    assert rec.status == ["failed", "failed", "failed", "done"]
    assert rec.reason == ["input lost"] * 3 + [""]
    assert rec.started_s[0] == 10.0 and np.isnan(rec.started_s[1:3]).all()
    assert rec.started_s[3] == 14.0 and rec.node[3] == 1
    assert rec.energy_j[0] == pytest.approx(3000.0)
    assert (rec.energy_j[1:3] == 0).all()
    assert _events(log, "node_lost") == [(13.0, "s0", "", "")]
    assert [r["value"] for r in log if r["kind"] == "node_lost"] == [3.0]
    assert _events(log, "job_failed") == [(13.0, "s0", str(i), "input lost") for i in range(3)]
    assert (0, 10.0, 13.0) in svc.busy
    # nothing starts on s0 after its loss
    assert not [r for r in log if r["kind"] == "job_started" and r["node"] == "s0" and
                r["t_s"] >= 13.0]  # fmt: skip


def test_a_capture_moved_to_a_satellite_then_lost_there_fails_with_input_lost():
    """The capture (ready 10 s on s0) moves to s1 (laser, 11.01 s) and computes there; s1 is
    lost at 13 s: the input now exists only on s1, so the job fails for "input lost"."""
    rows = [(0, 1, 0, 1000, 8e9, 0.01), (1, 2, 100, 200, 8e8, 0.002), (0, 2, 500, 600, 8e8, 0)]
    rec, log, _ = _run(THREE, 2, rows, _captures([10.0]), [INF, 13.0], cut=False)
    assert rec.status == ["failed"] and rec.reason == ["input lost"] and rec.node[0] == 1
    assert rec.started_s[0] == pytest.approx(11.01)
    assert _events(log, "job_failed") == [(13.0, "s1", "0", "input lost")]


def test_a_capture_still_on_its_way_when_the_node_is_lost_is_replaced_from_its_satellite():
    """Plan as given (not cut): the capture is on its way s0 -> s1 (10-11.01 s) when s1 is lost
    at 10.5 s; s0 still holds it: re-placed on s0 at 10.5 s, computed 10.5-15.5 s, the product
    down at s0's pass (500.102 s; the laser to lost s1 is no relay)."""
    rows = [(0, 1, 0, 1000, 8e9, 0.01), (1, 2, 100, 200, 8e8, 0.002), (0, 2, 500, 600, 8e8, 0)]
    rec, log, _ = _run(THREE, 2, rows, _captures([10.0]), [INF, 10.5], cut=False)
    assert rec.status == ["done"] and rec.node[0] == 0 and rec.replaced[0] == 1
    assert rec.started_s[0] == pytest.approx(10.5)
    assert rec.delivered_s[0] == pytest.approx(500.1)
    assert _events(log, "job_replaced") == [(10.5, "s1", "0", "")]


@pytest.mark.parametrize("cut", CUT)
def test_a_product_waiting_on_its_lost_satellite_fails_at_the_loss(cut):
    """Computed on s0 10-15 s; s0's only way down is its pass at 500 s, but s0 is lost at
    300 s: the product waits on board and is lost with it at 300 s ("product lost")."""
    rows = [(0, 2, 500, 600, 8e8, 0.002), (1, 2, 100, 200, 8e8, 0.002)]
    rec, log, _ = _run(THREE, 2, rows, _captures([10.0]), [300.0, INF], cut, policy=local_only)
    assert rec.status == ["failed"] and rec.reason == ["product lost"]
    assert rec.finished_s[0] == 15.0 and np.isnan(rec.delivered_s[0])
    assert _events(log, "job_failed") == [(300.0, "s0", "0", "product lost")]
    assert [(r["t_s"], r["node"]) for r in log if r["kind"] == "bundle_lost"] == [(300.0, "s0")]


@pytest.mark.parametrize("cut", CUT)
def test_ground_mode_loses_a_raw_capture_still_on_its_satellite(cut):
    """Ground mode: the raw 1 GB waits on s0 for its pass at 500 s; s0 is lost at 300 s."""
    rows = [(0, 2, 500, 600, 8e8, 0.002), (1, 2, 100, 200, 8e8, 0.002)]
    rec, log, _ = _run(THREE, 2, rows, _captures([10.0]), [300.0, INF], cut, mode="ground")
    assert rec.status == ["failed"] and rec.reason == ["input lost"]
    assert np.isnan(rec.started_s[0]) and rec.downlink_bytes[0] == 0.0
    assert _events(log, "job_failed") == [(300.0, "s0", "0", "input lost")]


# storage: a 2 GB object, parts of 1 GB on s0, s1, s2 (any 2 rebuild it); s0, s1 -> s3 and
# s0 -> s1 lasers (1 GB/s); s3 -> G at 100-200 s, s1 -> G at 300-400 s; s2 has no links
FIVE = ["s0", "s1", "s2", "s3", "G"]
STORAGE_WORLD = [
    (0, 3, 0, 1000, 8e9, 0.01), (1, 3, 0, 1000, 8e9, 0.01), (0, 1, 0, 1000, 8e9, 0.01),
    (3, 4, 100, 200, 8e8, 0.002), (1, 4, 300, 400, 8e8, 0.002),
]  # fmt: skip


@pytest.mark.parametrize("cut", CUT)
def test_a_stored_input_is_gathered_again_from_the_surviving_holders(cut):
    """Parts from s0 and s1 reach s3 at 11.01 s; s3 computes from 11.01 s and is lost at 13 s;
    re-placed on s1 (its own part now, s0's over the laser at 14.01 s), 5 s of compute, the
    20 MB product down at s1's pass, 300.202 s. Energy: 1.99 s wasted (1990 J) + ISL 3 parts x
    8e9 bit x 1e-8 J/bit + 5000 J + downlink 1.6e8 bit x 5e-8 J/bit."""
    job = request_job("storage", [0, 1, 2], 2, 2e9)
    rec, log, _ = _run(FIVE, 4, STORAGE_WORLD, job, [INF, INF, INF, 13.0], cut, policy=highest_node)
    assert rec.status == ["done"] and rec.node[0] == 1 and rec.replaced[0] == 1
    assert rec.started_s[0] == pytest.approx(14.01)
    assert rec.delivered_s[0] == pytest.approx(300.202)
    assert rec.isl_bytes[0] == pytest.approx(3e9)
    assert rec.energy_j[0] == pytest.approx(1990 + 240 + 5000 + 8)
    assert _events(log, "job_replaced") == [(13.0, "s3", "0", "")]


@pytest.mark.parametrize("mode", ["orbit", "ground"])
@pytest.mark.parametrize("cut", CUT)
def test_a_stored_input_with_fewer_than_k_surviving_holders_fails(cut, mode):
    """s0 and s1 are lost at 5 s; only s2's part survives, k = 2: "input lost" at 10 s."""
    job = request_job("storage", [0, 1, 2], 2, 2e9)
    rec, log, _ = _run(FIVE, 4, STORAGE_WORLD, job, [5.0, 5.0, INF, INF], cut, mode=mode)
    assert rec.status == ["failed"] and rec.reason == ["input lost"]
    assert np.isnan(rec.started_s[0]) and rec.isl_bytes[0] == 0.0
    assert [(t, s, d) for t, _, s, d in _events(log, "job_failed")] == [(10.0, "0", "input lost")]
    assert sorted(n for _, n, _, _ in _events(log, "node_lost")) == ["s0", "s1"]


@pytest.mark.parametrize("mode", ["orbit", "ground"])
def test_no_losses_and_losses_never_give_the_same_records(mode):
    """loss_s all inf is loss_s None: every array of the record, and the event log."""
    jobs = _captures([10.0, 11.0, 12.0, 14.0], source=[0, 0, 1, 1])
    plan = hand_plan(THREE, 2, STATION_WORLD)
    a = _service(plan, jobs, load_policy("earliest_finish"), None)
    b = _service(plan, jobs, load_policy("earliest_finish"), np.full(2, INF))
    ra, rb = a.run(mode), b.run(mode)
    for f in dataclasses.fields(JobRecord):
        x, y = getattr(ra, f.name), getattr(rb, f.name)
        assert np.array_equal(x, y, equal_nan=True) if isinstance(x, np.ndarray) else x == y
    assert a.engine.log.to_arrow().equals(b.engine.log.to_arrow())


def test_bad_loss_arrays_teach():
    plan = hand_plan(THREE, 2, STATION_WORLD)
    with pytest.raises(ValueError, match=r"float64\[2\].*shape \(3,\)"):
        _service(plan, _captures([10.0]), local_only, np.full(3, INF))
    with pytest.raises(ValueError, match="NaN"):
        _service(plan, _captures([10.0]), local_only, np.array([np.nan, INF]))


def test_a_lost_satellite_captures_nothing_after_its_loss():
    """1 MB/s sensor, 10 MB tiles (one every 10 s of a pass). Passes: s0 0-100 s and 200-300 s,
    s1 50-150 s and s0 400-450 s; s0 lost at 250 s: its pass at 200 s ends at 250 s and keeps
    the 4 tiles completed before (ready 210-240 s); its pass at 400 s does not exist; s1's is
    whole; the tenants drawn are those of the run without the loss."""
    spec = SPEC.model_copy(update={"sensor_rate_bps": 8e6, "tile_bytes": 1e7})
    caps = Captures(
        np.array([0, 1, 0, 0], np.int32), np.zeros(4, np.int32),
        np.array([0.0, 50.0, 200.0, 400.0]), np.array([100.0, 150.0, 300.0, 450.0]),
    )  # fmt: skip
    jobs = eo_jobs(spec, caps, seeded_rng(1, "t"))
    kept, got = before_loss(caps, jobs, np.array([250.0, INF]))
    assert kept.sat.tolist() == [0, 1, 0]
    assert kept.start_s.tolist() == [0.0, 50.0, 200.0]
    assert kept.end_s.tolist() == [100.0, 150.0, 250.0]
    assert len(got) == 10 + 10 + 4
    last = got.capture == 2
    assert got.ready_s[last].tolist() == [210.0, 220.0, 230.0, 240.0]
    want = (jobs.source != 0) | (jobs.ready_s < 250.0)
    for f in ("tenant", "ready_s", "source", "deadline_s", "input_bytes"):
        assert np.array_equal(getattr(got, f), getattr(jobs, f)[want])
    # the same passes, renumbered: each job's capture starts before its tile is ready
    assert (kept.start_s[got.capture] < got.ready_s).all()
    assert (kept.sat[got.capture] == got.source).all()


# --- end to end on a Walker 3x9 ---------------------------------------------------------------

HARDWARE = {"compute_tflops": 250, "compute_power_w": 3000, "storage_tb": 100}
AREAS = [
    {"name": "Rome", "lat_deg": 41.9, "lon_deg": 12.5, "radius_km": 400},
    {"name": "Sahel", "lat_deg": 13.5, "lon_deg": 2.1, "radius_km": 400},
    {"name": "Quito", "lat_deg": -0.2, "lon_deg": -78.5, "radius_km": 400},
]


@pytest.fixture(scope="module")
def world():
    """Three hours of a Walker 3x9 with captures, station and storage requests, long jobs
    (2e7 FLOP/byte: they queue), placed by finish time alone (blind to the downlinks, so the
    cut contact plan does not steer them away from a satellite about to be lost)."""
    workload = {
        "areas": AREAS,
        "tenants": [{"name": "difesa", "allowed_jurisdictions": ["IT"]}],
        "flops_per_byte": 2e7,
        "policy": f"{__name__}:earliest_compute",
        "requests": [
            {"name": "tasking", "input": "station", "station": "Fucino", "count": 8,
             "submit_s": 600, "interval_s": 1200, "input_bytes": 2e9},
            {"name": "archive", "input": "storage", "count": 8, "submit_s": 300,
             "interval_s": 1200, "input_bytes": 2e9,
             "placement": {"kind": "replication", "copies": 2}},
        ],
    }  # fmt: skip
    sc = Scenario.model_validate(
        walker_3x9_world(3 * 3600, 5, hardware=HARDWARE, workload=workload)
    )
    run = run_pipeline(sc, stages=("power",))
    base = run_workload(_inputs(sc, run), run.ephemeris, run.contacts, run.power)
    assert base is not None
    return sc, run, base


def _cut_plan(plan: ContactPlan, loss_s: np.ndarray) -> ContactPlan:
    """The plan with every contact of a lost satellite ended at its loss (the fault timeline's
    job; an independent few lines here)."""
    node_loss = np.concatenate([loss_s, np.full(plan.nodes.n_node - loss_s.size, INF)])
    end = np.minimum(plan.end_s, np.minimum(node_loss[plan.src], node_loss[plan.dst]))
    keep = end > plan.start_s
    return dataclasses.replace(plan.select(keep), end_s=end[keep])


def _assert_same_table(a: pa.Table, b: pa.Table) -> None:
    """Same columns, types and values (NaN equal to NaN)."""
    assert a.schema == b.schema and a.num_rows == b.num_rows
    for name in a.column_names:
        x, y = a.column(name).to_pylist(), b.column(name).to_pylist()
        same = [u == v or (isinstance(u, float) and math.isnan(u) and math.isnan(v))
                for u, v in zip(x, y, strict=True)]  # fmt: skip
        assert all(same), name


def test_all_inf_losses_give_the_table_of_a_run_without_them(world):
    """Every column of every row, and the summary."""
    sc, run, base = world
    names = run.contacts.nodes.names
    never = run_workload(
        _inputs(sc, run), run.ephemeris, run.contacts, run.power, loss_s=np.full(27, INF)
    )
    assert never is not None
    _assert_same_table(never.jobs_table(names), base.jobs_table(names))
    drop = ("wall_s", "engine_events_per_s")
    assert {k: v for k, v in never.summary().items() if k not in drop} == {
        k: v for k, v in base.summary().items() if k not in drop
    }


def _losses(base) -> np.ndarray:
    """Two losses where the run without them had work: (a) the satellite computing the first
    request job, 1 s into it; (b) another satellite at the moment it held the most jobs."""
    o = base.records["orbit"]
    loss = np.full(27, INF)
    req = np.flatnonzero((base.jobs.input_kind > 0) & np.isfinite(o.started_s))[0]
    loss[o.node[req]] = o.started_s[req] + 1.0
    finished = np.nan_to_num(o.finished_s, nan=INF)
    best = (0, -1, 0.0)
    for node in set(o.node[o.node >= 0].tolist()) - {int(o.node[req])}:
        mine = o.node == node
        for t in o.started_s[mine & np.isfinite(o.started_s)] + 1.0:
            held = int((mine & (o.submitted_s < t) & (finished > t)).sum())
            best = max(best, (held, node, float(t)))
    assert best[0] >= 2
    loss[best[1]] = best[2]
    return loss


def test_end_to_end_two_satellites_lost_mid_run(world):
    """Two busy satellites lost (:func:`_losses`), the contact plan cut: in both modes no job
    starts on a lost satellite from its loss on (every row), none of its captures or tiles
    start after; the jobs on it at the loss are re-placed or failed with a reason (both happen
    in orbit); the other satellites' captures are unchanged; the summary counts match the
    table and the log."""
    sc, run, base = world
    loss = _losses(base)
    lost = np.flatnonzero(np.isfinite(loss))
    w = run_workload(
        _inputs(sc, run), run.ephemeris, _cut_plan(run.contacts, loss), run.power, loss_s=loss
    )
    assert w is not None
    names = run.contacts.nodes.names
    rows = w.jobs_table(names).to_pylist()
    assert any(r["node"] in {names[s] for s in lost} for r in rows)
    for s in lost:
        on = [r for r in rows if r["node"] == names[s]]
        assert all(not r["started_s"] >= loss[s] for r in on)
        assert not (w.captures.start_s[w.captures.sat == s] >= loss[s]).any()
        assert (w.captures.end_s[w.captures.sat == s] <= loss[s]).all()
        tiles = (w.jobs.input_kind == INPUT_KINDS.index("capture")) & (w.jobs.source == s)
        assert not (w.jobs.ready_s[tiles] >= loss[s]).any()
    kept = ~np.isin(base.captures.sat, lost)
    assert np.array_equal(w.captures.start_s[~np.isin(w.captures.sat, lost)],
                          base.captures.start_s[kept])  # fmt: skip
    log = w.log.to_arrow().to_pylist()
    hit = [(r["service"], r["t_s"], r["node"]) for r in log if r["kind"] == "node_lost"]
    assert sorted(hit) == sorted(
        (f"compute-{m}", loss[s], names[s]) for m in ("orbit", "ground") for s in lost
    )
    loss_of = {names[s]: loss[s] for s in lost}
    late = [r for r in log if r["kind"] in ("job_placed", "job_started") and
            r["t_s"] >= loss_of.get(r["node"], INF)]  # fmt: skip
    assert late == []  # never placed on, nor started on, a lost satellite
    summary = w.summary()
    assert summary["lost_satellites"] == 2
    for mode, rec in w.records.items():
        mine = [r for r in rows if r["mode"] == mode]
        status = np.array([r["status"] for r in mine])
        reason = np.array([r["reason"] for r in mine])
        assert set(reason[status == "failed"]) <= set(FAIL_REASONS)
        assert (reason[status != "failed"] == "").all()
        s = summary[mode]
        assert sum(s["failed_by_reason"].values()) == s["failed"] == (status == "failed").sum()
        for k, n in s["failed_by_reason"].items():
            assert n == ((status == "failed") & (reason == k)).sum()
        svc = f"compute-{mode}"
        failed = [r for r in log if r["kind"] == "job_failed" and r["service"] == svc]
        assert (
            sorted(int(r["subject"]) for r in failed) == np.flatnonzero(status == "failed").tolist()
        )
        assert all(r["detail"] == reason[int(r["subject"])] for r in failed)
        replaced = [r for r in log if r["kind"] == "job_replaced" and r["service"] == svc]
        assert len(replaced) == int(rec.replaced.sum())
        assert s["replaced"] == int((rec.replaced > 0).sum())
        # a job taken off a lost satellite ends elsewhere, or failed for a reason
        for r in replaced:
            row = mine[int(r["subject"])]
            assert row["node"] != r["node"] or row["status"] == "failed"
    o = summary["orbit"]
    assert o["replaced"] >= 1 and o["failed_by_reason"]["input lost"] >= 1
    on_at_loss = sum(
        r["value"] for r in log if r["kind"] == "node_lost" and "orbit" in r["service"]
    )
    assert on_at_loss >= 2
