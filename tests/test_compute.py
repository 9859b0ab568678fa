"""Compute service on hand-built worlds: timelines, energy and choices computed by hand;
the compute envelope and busy time against brute-force integration; upsets vs the geometric law."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.compute.runner import busy_fraction
from orbitcloud.compute.scheduler import Candidates, JobView, load_policy
from orbitcloud.compute.service import ComputeService
from orbitcloud.compute.workload import Jobs
from orbitcloud.links.contactplan import ContactPlan, NodeTable
from orbitcloud.nodes.capacity import ComputeCapacity
from orbitcloud.scenario.workload import WorkloadSpec
from orbitcloud.sim.engine import Engine

NODES = NodeTable(["s0", "s1", "G"], 2, ["c", "c", "ground"], ["", "", "IT"])
T_S = np.arange(0.0, 1001.0, 10.0)
SPEC = WorkloadSpec(
    areas=[{"name": "a", "lat_deg": 0.0, "lon_deg": 0.0}],
    compute_efficiency=1.0,
    seu_per_bit_day=0.0,
    isl_j_per_bit=1e-8,
    downlink_j_per_bit=5e-8,
    ground={"tflops_per_job": 1.0, "tflops_per_w": 0.1, "pue": 1.58},
)


def _plan(rows):
    """(src, dst, start, end, rate_bps, owlt) rows on the three-node world."""
    a = np.array(rows, dtype=float)
    return ContactPlan.from_light_times(
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 1000.0, NODES,
        a[:, 0].astype(np.int32), a[:, 1].astype(np.int32), a[:, 2], a[:, 3], a[:, 4], a[:, 5],
    )  # fmt: skip


# s0 -> s1 laser (1 GB/s), s1 -> G pass at 100-200 s, s0 -> G pass at 500-600 s (100 MB/s)
WORLD = [(0, 1, 0, 1000, 8e9, 0.01), (1, 2, 100, 200, 8e8, 0.002), (0, 2, 500, 600, 8e8, 0.002)]


def _jobs(ready, flops=5e12, size=1e9, prio=None, source=None, deadline=1000.0):
    n = len(ready)
    return Jobs.on_satellites(
        ["eo"], np.zeros(n, np.int32), np.asarray(prio or [0] * n, np.int32),
        np.asarray(source or [0] * n, np.int32), np.arange(n, dtype=np.int32),
        np.zeros(n, np.int32), np.asarray(ready, float), np.full(n, deadline),
        np.full(n, size), np.full(n, flops), np.full(n, size * 0.01),
    )  # fmt: skip


def _service(plan, jobs, spec=SPEC, sunlit=None, storage=(1e15, 1e15), policy="earliest_finish"):
    cap = ComputeCapacity.from_power(
        T_S, np.full((2, T_S.size - 1), 1000.0), np.full(2, 1000.0), np.full(2, 1.0),
        spec.compute_efficiency,
    )  # fmt: skip
    sun = np.ones((2, T_S.size), bool) if sunlit is None else sunlit
    return ComputeService(
        Engine(plan, 7), jobs, spec, cap, sun, np.asarray(storage, float), ["IT"],
        load_policy(policy), np.full(2, 0.95),
    )  # fmt: skip


def test_orbit_job_moves_to_the_satellite_with_the_earlier_pass():
    """By hand: local product could only go down at 500 s; s1 has a pass at 100 s. Input over
    the laser (1 s + 10 ms), 5 s of compute, product down at the pass start (0.1 s + 2 ms)."""
    svc = _service(_plan(WORLD), _jobs([10.0]))
    rec = svc.run("orbit")
    assert rec.node[0] == 1 and rec.status == ["done"]
    assert rec.started_s[0] == pytest.approx(11.01)
    assert rec.finished_s[0] == pytest.approx(16.01)
    assert rec.delivered_s[0] == pytest.approx(100.102)
    # compute 5e12 FLOP x 1e-9 J/FLOP + ISL 8e9 bit x 1e-8 + downlink 8e7 bit x 5e-8
    assert rec.energy_j[0] == pytest.approx(5000 + 80 + 4)
    assert rec.downlink_bytes[0] == pytest.approx(1e7) and rec.isl_bytes[0] == pytest.approx(1e9)


def test_ground_job_downlinks_raw_then_processes_on_the_ground():
    """Raw 1 GB: laser to s1 (11.01 s), down at 100 s for 10 s (+2 ms), 5 s at 1 TFLOPS."""
    svc = _service(_plan(WORLD), _jobs([10.0]))
    rec = svc.run("ground")
    assert rec.delivered_s[0] == pytest.approx(115.002)
    # ISL 80 J + downlink 8e9 bit x 5e-8 = 400 J + 5e12 FLOP / 1e11 FLOP/J x PUE 1.58
    assert rec.energy_j[0] == pytest.approx(80 + 400 + 50 * 1.58)
    assert rec.downlink_bytes[0] == pytest.approx(1e9)


def test_no_room_on_the_other_satellite_keeps_the_job_local():
    svc = _service(_plan(WORLD), _jobs([10.0]), storage=(1e15, 5e8))
    rec = svc.run("orbit")
    assert rec.node[0] == 0
    # computed on s0 (10-15 s); the 10 MB product is relayed to s1 and goes down at 100 s
    assert rec.finished_s[0] == pytest.approx(15.0)
    assert rec.delivered_s[0] == pytest.approx(100.102)
    assert rec.isl_bytes[0] == pytest.approx(1e7)


def local_only(job: JobView, cand: Candidates) -> int:
    """A user policy (loaded by name in the tests): always the satellite holding the input."""
    return int(np.flatnonzero(cand.node == job.source)[0])


def test_user_policy_and_queue_order_by_priority_then_arrival():
    """Three 5 s jobs on one node: A (ready 10) runs first; C (priority 0, ready 12) overtakes
    B (priority 1, ready 11) in the queue."""
    jobs = _jobs([10.0, 11.0, 12.0], prio=[1, 1, 0])
    svc = _service(_plan(WORLD), jobs, policy=f"{__name__}:local_only")
    rec = svc.run("orbit")
    assert list(rec.node) == [0, 0, 0]
    assert rec.started_s.tolist() == pytest.approx([10.0, 20.0, 15.0])
    assert rec.finished_s.tolist() == pytest.approx([15.0, 25.0, 20.0])


def test_energy_aware_avoids_the_battery_when_earliest_finish_would_not():
    """s0 is in eclipse: computing there costs 1/0.95^2 more (battery round trip), but its
    pass at 50 s makes it the earliest finish; energy-aware moves the job to sunlit s1."""
    world = [(0, 1, 0, 1000, 8e9, 0.01), (1, 2, 100, 200, 8e8, 0.002), (0, 2, 50, 60, 8e8, 0.0)]
    sun = np.ones((2, T_S.size), bool)
    sun[0] = False
    ef = _service(_plan(world), _jobs([10.0]), sunlit=sun).run("orbit")
    ea = _service(_plan(world), _jobs([10.0]), sunlit=sun, policy="energy_aware").run("orbit")
    assert ef.node[0] == 0 and ea.node[0] == 1
    assert ef.energy_j[0] == pytest.approx(5000 + 4)  # the battery loss is not in energy_j
    assert ea.energy_j[0] == pytest.approx(5000 + 80 + 4)


def test_bad_policy_names_teach():
    with pytest.raises(ValueError, match="earliest_finish, energy_aware"):
        load_policy("fastest")
    with pytest.raises(ValueError, match="cannot be loaded"):
        load_policy("no_such_module_xyz:f")


def test_upset_retries_follow_the_geometric_law():
    """λ d = 0.5 per attempt: attempts are geometric with p = e^-0.5 (capped); mean retries
    within 5 sigma; wasted work adds energy but never removes any."""
    rate_per_s = 0.1  # 1/s, so a 5 s job fails with probability 1 - e^-0.5
    spec = SPEC.model_copy(update={"seu_per_bit_day": rate_per_s * 86400 / 1e6,
                                   "sensitive_bits": 1e6, "max_attempts": 1000})  # fmt: skip
    n = 400
    jobs = _jobs(list(np.arange(n) * 0.001 + 1.0), source=[0, 1] * (n // 2))
    plan = _plan([(0, 2, 0, 1000, 8e12, 0.0), (1, 2, 0, 1000, 8e12, 0.0)])
    svc = _service(plan, jobs, spec=spec, policy=f"{__name__}:local_only")
    svc.cap = ComputeCapacity.from_power(
        np.array([0.0, 1e6]), np.full((2, 1), 1000.0), np.full(2, 1000.0), np.full(2, 1.0), 1.0
    )
    rec = svc.run("orbit")
    done = np.isfinite(rec.finished_s)
    assert done.all()
    p_ok = np.exp(-0.5)
    mean, sd = (1 - p_ok) / p_ok, np.sqrt(1 - p_ok) / p_ok
    assert abs(rec.retries.mean() - mean) < 5 * sd / np.sqrt(n)
    assert (rec.energy_j >= 5000 - 1e-6).all()
    assert (rec.energy_j[rec.retries > 0] > 5000).all()


@settings(max_examples=60, deadline=None)
@given(
    rates=st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0]), min_size=2, max_size=8),
    start=st.floats(0.0, 70.0),
    flops=st.floats(0.0, 200.0),
)
def test_envelope_finish_time_equals_fine_integration(rates, start, flops):
    """C^-1(C(t0) + f) against a 1 ms cumulative sum of the piecewise-constant rate."""
    t = np.arange(len(rates) + 1) * 10.0
    cap = ComputeCapacity.from_power(
        t, np.asarray(rates)[None, :] * 100.0, np.array([100.0]), np.array([1e-12]), 1.0
    )
    got = cap.finish_s(np.array([0]), np.array([start]), np.array([flops]))[0]
    # 1 ms samples, each at the rate of its midpoint; a sample straddling a step boundary can
    # misattribute up to max_rate x 1 ms of work, i.e. max_rate / rate_at_finish ms of time
    r = np.asarray(rates)
    mid = start + (np.arange(int((t[-1] - start) / 1e-3)) + 0.5) * 1e-3
    done = np.cumsum(r[np.minimum((mid // 10).astype(int), len(r) - 1)]) * 1e-3
    reached = np.flatnonzero(done >= flops - 1e-9)
    tol_s = 1e-3 * (1.0 + r.max() / r[r > 0].min()) if (r > 0).any() else 1e-3
    if flops == 0:
        assert got == pytest.approx(start)
    elif reached.size == 0 or mid[reached[0]] > t[-1] - tol_s:
        assert got == np.inf or got > t[-1] - tol_s
    else:
        assert got == pytest.approx(mid[reached[0]] + 0.5e-3, abs=tol_s)


def test_busy_fraction_equals_sampling():
    rng = np.random.default_rng(3)
    t = np.arange(0.0, 101.0, 10.0)
    busy = [(int(rng.integers(0, 3)), a, a + rng.uniform(0, 25)) for a in rng.uniform(0, 90, 40)]
    got = busy_fraction(busy, 3, t)
    fine = np.arange(0.0, 100.0, 0.01) + 0.005
    want = np.zeros((3, 10))
    for node, a, b in busy:
        inside = (fine >= a) & (fine < b)
        want[node] += np.bincount((fine[inside] // 10).astype(int), minlength=10) * 0.01 / 10
    assert np.allclose(got, np.clip(want, 0, 1), atol=2e-3)


def test_engine_streams_repeat_and_differ():
    e1, e2 = Engine(_plan(WORLD), 42), Engine(_plan(WORLD), 42)
    assert e1.rng("a").random() == e2.rng("a").random()
    assert e1.rng("a").random() != e1.rng("b").random()
    assert Engine(_plan(WORLD), 43).rng("a").random() != e2.rng("a").random()
