"""Jobs whose input is at a ground station or in orbital storage: timelines and energies
computed by hand on small worlds, shard placement against the policy's constraints, scenario
errors, and an end-to-end run."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from conftest import hand_plan, request_job, walker_3x9_world
from orbitcloud.compute.inputs import WorkloadInputs
from orbitcloud.compute.requests import request_jobs
from orbitcloud.compute.scheduler import load_policy
from orbitcloud.compute.service import ComputeService
from orbitcloud.compute.workload import INPUT_KINDS
from orbitcloud.links.contactplan import NodeTable
from orbitcloud.nodes.capacity import ComputeCapacity
from orbitcloud.orbits.satellites import satellites_of
from orbitcloud.run.pipeline import run_pipeline
from orbitcloud.scenario import Scenario
from orbitcloud.scenario.workload import WorkloadSpec
from orbitcloud.sim.engine import Engine, seeded_rng

T_S = np.arange(0.0, 1001.0, 10.0)
SPEC = WorkloadSpec(
    requests=[{"name": "r", "input": "storage"}],
    compute_efficiency=1.0,
    seu_per_bit_day=0.0,
    isl_j_per_bit=1e-8,
    downlink_j_per_bit=5e-8,
    ground={"tflops_per_job": 1.0, "tflops_per_w": 0.1, "pue": 1.58},
)


def _service(plan, jobs):
    """Every satellite: 1 TFLOPS at 1000 W (1e-9 J/FLOP), sunlit, ample storage."""
    n = plan.nodes.n_sat
    cap = ComputeCapacity.from_power(
        T_S, np.full((n, T_S.size - 1), 1000.0), np.full(n, 1000.0), np.full(n, 1.0), 1.0
    )
    return ComputeService(
        Engine(plan, 7), jobs, SPEC, cap, np.ones((n, T_S.size), bool), np.full(n, 1e15),
        ["IT"] * (plan.nodes.n_node - n), load_policy("earliest_finish"), np.full(n, 0.95),
    )  # fmt: skip


# s0 -> s1 laser (1 GB/s); G -> s1 uplink 20-100 s and s1 -> G downlink 100-200 s (100 MB/s);
# s0 -> G downlink only at 500 s
STATION_WORLD = [
    (0, 1, 0, 1000, 8e9, 0.01), (2, 1, 20, 100, 8e8, 0.002),
    (1, 2, 100, 200, 8e8, 0.002), (0, 2, 500, 600, 8e8, 0.002),
]  # fmt: skip


def test_station_input_is_uplinked_to_the_satellite_that_delivers_first():
    """By hand: 1 GB uplinked to s1 from 20 s (10 s + 2 ms), 5 s of compute, the 10 MB product
    down at the pass start, 100 s (0.1 s + 2 ms). s0 could only downlink at 500 s."""
    plan = hand_plan(["s0", "s1", "G"], 2, STATION_WORLD)
    rec = _service(plan, request_job("station", [2], 1, 1e9)).run("orbit")
    assert rec.status == ["done"] and rec.node[0] == 1
    assert rec.started_s[0] == pytest.approx(30.002)
    assert rec.finished_s[0] == pytest.approx(35.002)
    assert rec.delivered_s[0] == pytest.approx(100.102)
    assert rec.uplink_bytes[0] == pytest.approx(1e9) and rec.isl_bytes[0] == 0.0
    # compute 5e12 x 1e-9 J + downlink 8e7 bit x 5e-8 J/bit; the uplink costs the satellite 0
    assert rec.energy_j[0] == pytest.approx(5000 + 4)


def test_station_input_is_processed_where_it_is_in_the_ground_mode():
    plan = hand_plan(["s0", "s1", "G"], 2, STATION_WORLD)
    rec = _service(plan, request_job("station", [2], 1, 1e9)).run("ground")
    assert rec.node[0] == 2 and rec.status == ["done"]
    assert rec.delivered_s[0] == pytest.approx(15.0)  # 5e12 FLOP at 1 TFLOPS from 10 s
    assert rec.energy_j[0] == pytest.approx(50 * 1.58)  # 5e12 / 1e11 FLOP/J x PUE
    assert rec.downlink_bytes[0] == rec.uplink_bytes[0] == 0.0


# storage: parts on s0, s1, s2 (any 2 rebuild it); s0, s1 -> s3 at 1 GB/s, s2 -> s3 at
# 100 MB/s; s3 -> G 100-200 s; s0 -> G at 500 s
STORAGE_WORLD = [
    (0, 3, 0, 1000, 8e9, 0.01), (1, 3, 0, 1000, 8e9, 0.01), (2, 3, 0, 1000, 8e8, 0.01),
    (3, 4, 100, 200, 8e8, 0.002), (0, 4, 500, 600, 8e8, 0.002),
]  # fmt: skip


def test_stored_input_gathers_the_k_parts_that_arrive_first():
    """2 GB object, k = 2 of 3: parts of 1 GB from s0 and s1 land on s3 together at 11.01 s
    (s2's slow link would take 10 s); 5 s compute; 20 MB product down at 100 s (0.2 s)."""
    plan = hand_plan(["s0", "s1", "s2", "s3", "G"], 4, STORAGE_WORLD)
    rec = _service(plan, request_job("storage", [0, 1, 2], 2, 2e9)).run("orbit")
    assert rec.status == ["done"] and rec.node[0] == 3
    assert rec.started_s[0] == pytest.approx(11.01)
    assert rec.delivered_s[0] == pytest.approx(100.202)
    assert rec.isl_bytes[0] == pytest.approx(2e9)
    # compute 5000 J + ISL 2 x 8e9 bit x 1e-8 + downlink 1.6e8 bit x 5e-8
    assert rec.energy_j[0] == pytest.approx(5000 + 160 + 8)


def test_stored_input_ground_mode_downlinks_k_parts_sharing_the_pass():
    """Both chosen parts go down through s3's pass: the first 100-110 s, the second (volume
    booked) 110-120 s (+2 ms each); then 5 s on the ground."""
    plan = hand_plan(["s0", "s1", "s2", "s3", "G"], 4, STORAGE_WORLD)
    rec = _service(plan, request_job("storage", [0, 1, 2], 2, 2e9)).run("ground")
    assert rec.status == ["done"]
    assert rec.started_s[0] == pytest.approx(120.002)
    assert rec.delivered_s[0] == pytest.approx(125.002)
    assert rec.downlink_bytes[0] == pytest.approx(2e9) and rec.isl_bytes[0] == pytest.approx(2e9)
    assert rec.energy_j[0] == pytest.approx(160 + 800 + 50 * 1.58)


def test_stored_input_fails_when_fewer_than_k_parts_can_move():
    """Only s0 and s2 hold parts and s2 has no link: k = 2 can never be met anywhere."""
    rows = [(0, 3, 0, 1000, 8e9, 0.01), (3, 4, 100, 200, 8e8, 0.002)]
    plan = hand_plan(["s0", "s1", "s2", "s3", "G"], 4, rows)
    rec = _service(plan, request_job("storage", [0, 2], 2, 2e9)).run("orbit")
    assert rec.status == ["failed"] and np.isnan(rec.started_s[0])


def _scenario(requests, **extra):
    hardware = {"compute_tflops": 250, "compute_power_w": 3000, "storage_tb": 100}
    workload = {
        "tenants": [{"name": "difesa", "allowed_jurisdictions": ["IT"]}],
        "requests": requests,
        "flops_per_byte": 1e4,
        **extra,
    }
    return Scenario.model_validate(
        walker_3x9_world(3 * 3600, 3, hardware=hardware, workload=workload)
    )


def test_storage_request_shards_follow_the_placement_policy():
    """Each job's k + m holders are distinct satellites on distinct planes (the Walker plane of
    satellite index s is s // 9 here); free space is charged as shards are placed."""
    sc = _scenario(
        [{"name": "archive", "input": "storage", "count": 20, "submit_s": 100, "interval_s": 30,
          "input_bytes": 3e9, "placement": {"kind": "erasure", "k": 2, "m": 1,
                                            "distinct_planes": True}}]
    )  # fmt: skip
    sats = satellites_of(sc)
    nodes = NodeTable([*sats.names, "Fucino", "Malindi"], 27, [""] * 29, [""] * 27 + ["IT", "KE"])
    jobs = request_jobs(WorkloadInputs.of(sc, sats, nodes), nodes, seeded_rng(3, "t"))
    assert len(jobs) == 20 and (jobs.needed == 2).all()
    assert jobs.ready_s.tolist() == pytest.approx(100 + 30 * np.arange(20))
    assert jobs.deadline_s - jobs.ready_s == pytest.approx(np.full(20, 3600.0))
    planes = jobs.holders // 9
    assert (jobs.holders < 27).all() and (jobs.holders >= 0).all()
    assert all(len(set(p)) == 3 for p in planes.tolist())
    assert jobs.flops == pytest.approx(3e9 * 1e4)
    # three planes of nine: no fourth distinct plane exists; validation refuses it (a
    # scenario that validates runs) and the error says which constraint
    with pytest.raises(ValueError, match=r"requests\[0\].*4 satellites on distinct planes"):
        _scenario(
            [
                {
                    "name": "x",
                    "input": "storage",
                    "placement": {"kind": "erasure", "k": 3, "m": 1, "distinct_planes": True},
                }
            ]
        )


def test_request_mistakes_teach():
    with pytest.raises(ValidationError, match=r"not a ground station.*Fucino, Malindi"):
        _scenario([{"name": "a", "input": "station", "station": "Matera"}])
    with pytest.raises(ValidationError, match=r"may not use Malindi \(KE\); allowed: IT"):
        _scenario([{"name": "a", "input": "station", "station": "Malindi"}])
    with pytest.raises(ValidationError, match="input: station needs `station:`"):
        _scenario([{"name": "a", "input": "station"}])
    with pytest.raises(ValidationError, match="not a workload tenant"):
        _scenario([{"name": "a", "input": "storage", "tenant": "nobody"}])
    with pytest.raises(ValidationError, match="needs `areas:` to image or `requests:`"):
        _scenario([])


def test_requests_end_to_end():
    """Station and storage jobs in both modes on a Walker 3x9 over three hours: orbit-mode
    station inputs are uplinked (at least once, the whole input), ground-mode station inputs
    move nothing and cost flops / (TFLOPS/W) x PUE; a stored input (two replicas: the grid's
    in-plane lasers cannot gather k > 1 parts from other planes) goes down whole in the ground
    mode and is computed by a satellite in orbit; every request job is accounted for."""
    sc = _scenario(
        [
            {"name": "tasking", "input": "station", "station": "Fucino", "count": 6,
             "submit_s": 600, "interval_s": 900, "input_bytes": 2e9},
            {"name": "archive", "input": "storage", "count": 6, "submit_s": 300,
             "interval_s": 900, "input_bytes": 2e9,
             "placement": {"kind": "replication", "copies": 2}},
        ]
    )  # fmt: skip
    run = run_pipeline(sc)
    w = run.workload
    jobs, orbit, ground = w.jobs, w.records["orbit"], w.records["ground"]
    station = jobs.input_kind == INPUT_KINDS.index("station")
    stored = jobs.input_kind == INPUT_KINDS.index("storage")
    assert station.sum() == 6 and stored.sum() == 6 and len(jobs) == 12
    assert (jobs.needed[stored] == 1).all() and (jobs.holders[stored] >= 0).sum() == 12
    done = np.isfinite(orbit.delivered_s)
    assert done[station].sum() >= 4 and done[stored].sum() >= 1
    # every stored input is computed in orbit (a product may then find no IT pass in 3 h)
    assert np.isfinite(orbit.finished_s[stored]).all()
    assert (orbit.uplink_bytes[station & done] >= jobs.input_bytes[station & done]).all()
    assert (orbit.node[done] < 27).all()
    g = sc.workload.ground
    want = jobs.flops / (g.tflops_per_w * 1e12 * sc.workload.compute_efficiency) * g.pue
    assert ground.energy_j[station] == pytest.approx(want[station])
    assert (ground.downlink_bytes[station] == 0).all()
    got = np.isfinite(ground.delivered_s) & stored
    assert (ground.downlink_bytes[got] >= jobs.input_bytes[got] * (1 - 1e-12)).all()
    s = w.summary()
    assert s["jobs_by_input"] == {"capture": 0, "station": 6, "storage": 6}
    assert sum(s["orbit"][k] for k in ("done", "late", "failed", "unfinished", "dropped")) == 12
    # the job table names where each input was
    table = w.jobs_table(run.contacts.nodes.names).to_pylist()
    rows = [r for r in table if r["mode"] == "orbit"]
    assert {r["input"] for r in rows} == {"station", "storage"}
    assert all(r["holders"] == ["Fucino"] for r in rows if r["input"] == "station")
    assert all(len(r["holders"]) == 2 and r["needed"] == 1 for r in rows if r["input"] == "storage")
    assert sum(r["uplink_bytes"] for r in rows) == pytest.approx(orbit.uplink_bytes.sum())
