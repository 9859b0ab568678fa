"""Benchmark: Monte Carlo durability, 10,000 five-year trials of a 100-satellite design.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_durability.py            # all cores
    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/bench_durability.py --workers 1

The design is the base of the built-in sweep `durability` (100 satellites in 10 planes,
2 %/yr failures, 0.1 plane-removing storms per year, daily scrub, repair on) with its four
placement policies (rep2, rep3, ec4+2, ec8+2), all evaluated on the same trials. Target:
< 60 s on 2 cores. Prints trials per second (one trial = one mission of every policy).
"""

from __future__ import annotations

import argparse
import os
import time

from _record import record

from orbitcloud.executor import make_executor
from orbitcloud.reliability.durability import monte_carlo
from orbitcloud.reliability.sweep import load_sweep


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=None, help="default: all cores")
    ap.add_argument("--failure", type=float, default=None, help="annual failure probability")
    ap.add_argument("--storms", type=float, default=None, help="storms per year")
    args = ap.parse_args()
    spec = load_sweep("durability").design
    update = {
        k: v
        for k, v in (
            ("annual_failure_probability", args.failure),
            ("storms_per_year", args.storms),
        )
        if v is not None
    }
    spec = spec.model_copy(update=update)
    design, policies = spec.design(), spec.policy_list()
    t0 = time.perf_counter()
    with make_executor(args.workers) as ex:
        table = monte_carlo(design, policies, args.trials, seed=1, executor=ex, blocks_per_task=1)
        workers = ex.workers
    total = time.perf_counter() - t0
    result = {
        "trials": args.trials,
        "satellites": design.n_satellites,
        "mission_years": spec.mission_years,
        "annual_failure_probability": spec.annual_failure_probability,
        "storms_per_year": spec.storms_per_year,
        "policies": [p.name for p in policies],
        "workers": workers,
        "total_s": round(total, 3),
        "trials_per_s": round(args.trials / total, 1),
        "p_loss": {r["policy"]: r["p_loss"] for r in table.to_pylist()},
        "cpus_allowed": len(os.sched_getaffinity(0)),
    }
    record("durability", result)


if __name__ == "__main__":
    main()
