"""Benchmark: propagation throughput and the one-day starlink-550 contact plan.

Run (one core, as the target is stated):

    taskset -c 0 .venv/bin/python benchmarks/bench_contacts.py            # starlink-550, 1 day
    taskset -c 0 .venv/bin/python benchmarks/bench_contacts.py --example milsca

Prints JSON with: raw ``SatrecArray.sgp4`` seconds on the same grid, our propagation seconds
(SGP4 + TEME→ECEF + Sun/eclipse), their ratio in both call orders (raw first, then ours; ours
first, then raw: the first call pays for fresh memory pages), contact-plan seconds and counts.
Results are also appended to ``benchmarks/results/contacts.jsonl`` (ignored by git).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from _record import record

from orbitcloud.links import build_contact_plan
from orbitcloud.orbits import build_satellites, propagate
from orbitcloud.scenario import load_scenario
from orbitcloud.timegrid import TimeGrid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--example", default="starlink-550")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    sc = load_scenario(args.example)
    sats = build_satellites(sc)
    grid = TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s)
    jd, fr = grid.jd_fr()
    arr = sats.array()
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        arr.sgp4(jd, fr)
        t1 = time.perf_counter()
        eph = propagate(sats, grid)
        t2 = time.perf_counter()
        plan = build_contact_plan(sc, eph)
        t3 = time.perf_counter()
        del eph
        t4 = time.perf_counter()
        propagate(sats, grid)
        t5 = time.perf_counter()
        arr.sgp4(jd, fr)
        t6 = time.perf_counter()
        for k, v in (
            ("raw_sgp4_s", t1 - t0),
            ("propagate_s", t2 - t1),
            ("contacts_s", t3 - t2),
            ("propagate_first_s", t5 - t4),
            ("raw_sgp4_second_s", t6 - t5),
        ):
            best[k] = min(best.get(k, np.inf), v)
    result = {
        "example": args.example,
        "satellites": sats.n_sat,
        "ground_stations": len(sc.ground_stations),
        "time_steps": grid.n_time,
        "step_s": sc.step_s,
        **{k: round(v, 3) for k, v in best.items()},
        "propagate_over_raw": round(best["propagate_s"] / best["raw_sgp4_s"], 2),
        "propagate_first_over_raw": round(best["propagate_first_s"] / best["raw_sgp4_second_s"], 2),
        "total_s": round(best["propagate_s"] + best["contacts_s"], 3),
        "contacts_directed": len(plan),
        "ground_passes": len(plan.of_kind("downlink")),
        "isl_windows": len(plan.of_kind("isl")) // 2,
        "cpus_allowed": len(os.sched_getaffinity(0)),
        "machine": platform.processor() or platform.machine(),
    }
    record("contacts", result)


if __name__ == "__main__":
    main()
