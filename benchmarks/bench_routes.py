"""Benchmark: geometry + shortest routes for all ground-station pairs at every step.

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/bench_routes.py --workers 1
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_routes.py              # all cores
    # starlink-550, 200 s at 100 ms steps (2,001 steps), 4,950 station pairs

Prints ms per step (orbits + snapshot graph + Dijkstra + hop lists), and the split.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from _record import record

from orbitcloud.executor import make_executor
from orbitcloud.run.pipeline import all_ground_pairs, run_routes
from orbitcloud.scenario import Scenario, load_scenario


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--example", default="starlink-550")
    ap.add_argument("--duration-s", type=float, default=200.0)
    ap.add_argument("--step-s", type=float, default=0.1)
    ap.add_argument("--no-paths", action="store_true")
    ap.add_argument("--workers", type=int, default=None, help="default: all cores")
    args = ap.parse_args()
    sc = load_scenario(args.example)
    sc = Scenario.model_validate(
        {**sc.model_dump(), "duration_s": args.duration_s, "step_s": args.step_s}
    )
    src, dst = all_ground_pairs(sc)
    t0 = time.perf_counter()
    with make_executor(args.workers) as ex:
        table, timings = run_routes(sc, src, dst, keep_paths=not args.no_paths, executor=ex)
    total = time.perf_counter() - t0
    n = table.t_s.size
    result = {
        "example": args.example,
        "steps": n,
        "pairs": len(src),
        "ms_per_step": round(1000 * total / n, 2),
        "setup_s": timings["setup"],
        "workers": ex.workers,
        "total_s": round(total, 2),
        "reachable": round(float(np.isfinite(table.rtt_ms).mean()), 4),
        "median_rtt_ms": round(float(np.nanmedian(table.rtt_ms)), 2),
        "cpus_allowed": len(os.sched_getaffinity(0)),
    }
    record("routes", result)


if __name__ == "__main__":
    main()
