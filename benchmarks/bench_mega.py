"""Benchmark: mega-constellations, one day at 60 s steps: contact plan + routes from 100 stations.

    OMP_NUM_THREADS=1 /usr/bin/time -v .venv/bin/python benchmarks/bench_mega.py starlink-gen1
    OMP_NUM_THREADS=1 /usr/bin/time -v .venv/bin/python benchmarks/bench_mega.py synthetic-20k

Stages, as ``orbitcloud run`` + ``orbitcloud routes`` do them: propagate every satellite over
the day (this process), the contact plan (ground passes as executor tasks, ISL windows here),
then shortest-delay routes with hop lists for all 4,950 station pairs at each of the 1,441
steps (time chunks as executor tasks). Default executor: a process pool on every core.
Peak memory is reported per process (this one, and the largest worker) and as their sum.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from _record import record

from orbitcloud.executor import make_executor
from orbitcloud.links.contacts import build_contact_plan
from orbitcloud.orbits import build_satellites, propagate
from orbitcloud.pipeline import all_ground_pairs, run_routes
from orbitcloud.scenario import Scenario, load_scenario
from orbitcloud.timegrid import TimeGrid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("example", nargs="?", default="starlink-gen1")
    ap.add_argument("--workers", type=int, default=None, help="default: all cores")
    ap.add_argument("--duration-s", type=float, default=None, help="default: the scenario's")
    ap.add_argument("--no-paths", action="store_true", help="keep RTT and hops only")
    args = ap.parse_args()
    sc = load_scenario(args.example)
    if args.duration_s:
        sc = Scenario.model_validate({**sc.model_dump(), "duration_s": args.duration_s})
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    with make_executor(args.workers) as ex:
        sats = build_satellites(sc)
        eph = propagate(sats, TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s))
        t["orbits_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        plan = build_contact_plan(sc, eph, executor=ex)
        t["contacts_s"] = time.perf_counter() - t1
        del eph
        src, dst = all_ground_pairs(sc)
        t2 = time.perf_counter()
        table, _ = run_routes(sc, src, dst, keep_paths=not args.no_paths, executor=ex)
        t["routes_s"] = time.perf_counter() - t2
        workers = ex.workers
    total = time.perf_counter() - t0
    parent_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    child_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
    n_step = table.t_s.size
    record(
        "mega",
        {
            "example": args.example,
            "satellites": sats.n_sat,
            "ground_stations": len(sc.ground_stations),
            "steps": n_step,
            "workers": workers,
            **{k: round(v, 1) for k, v in t.items()},
            "total_s": round(total, 1),
            "routes_ms_per_step": round(1000 * t["routes_s"] / n_step, 1),
            "contacts_directed": len(plan),
            "pairs": len(src),
            "reachable": round(float(np.isfinite(table.rtt_ms).mean()), 4),
            "median_rtt_ms": round(float(np.nanmedian(table.rtt_ms)), 1),
            "max_hops": int(table.hops.max()),
            "peak_rss_parent_gb": round(parent_gb, 2),
            "peak_rss_largest_worker_gb": round(child_gb, 2),
            "peak_rss_sum_upper_bound_gb": round(parent_gb + workers * child_gb, 2),
        },
    )


if __name__ == "__main__":
    main()
