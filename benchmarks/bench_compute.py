"""Benchmark: a day of `milsca` with its Earth-observation workload (orbit and ground modes).

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/bench_compute.py

Runs the pipeline (orbits, contact plan, power), then the workload: captures over the areas,
tiles as jobs, the requests (inputs at a station or in orbital storage), placement, transfers
over the contact plan, compute within the power/thermal envelope, upsets, product downlinks;
each mode on its own simpy engine. Reports jobs, engine events, events/s (events processed /
engine wall time, placement and routing included) and the workload's wall time.
``--captures-only`` drops the requests (the tiles alone, as measured before they existed).
"""

from __future__ import annotations

import argparse
import time

from _record import record

from orbitcloud.run.pipeline import run_pipeline
from orbitcloud.scenario import load_scenario


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="milsca")
    ap.add_argument("--policy", default=None, help="override the workload's policy")
    ap.add_argument(
        "--captures-only", action="store_true", help="drop the workload's requests (tiles only)"
    )
    args = ap.parse_args()
    sc = load_scenario(args.scenario)
    if sc.workload is None:
        raise SystemExit(f"{args.scenario} has no workload")
    if args.policy:
        sc = sc.model_copy(
            update={"workload": sc.workload.model_copy(update={"policy": args.policy})}
        )
    if args.captures_only:
        sc = sc.model_copy(update={"workload": sc.workload.model_copy(update={"requests": []})})
    t0 = time.perf_counter()
    result = run_pipeline(sc, stages=("compute",))
    w = result.workload
    assert w is not None
    s = w.summary()
    record(
        "compute",
        {
            "scenario": sc.name,
            "policy": sc.workload.policy,
            "captures": s["captures"],
            "jobs": s["jobs"],
            "jobs_by_input": s["jobs_by_input"],
            "engine_events": s["engine_events"],
            "events_per_s": s["engine_events_per_s"],
            "workload_wall_s": s["wall_s"],
            "total_wall_s": round(time.perf_counter() - t0, 2),
            "orbit": s.get("orbit"),
            "ground": s.get("ground"),
            "comparison": s.get("comparison"),
        },
    )


if __name__ == "__main__":
    main()
