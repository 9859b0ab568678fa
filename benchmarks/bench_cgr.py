"""Benchmark: contact graph routing on `milsca` (one day's contact plan).

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/bench_cgr.py

200 random 1 GB bundles from a satellite at a random time: to one station (Weilheim), to the
first of all stations, and the earliest arrival at every node (one search); nothing booked.
"""

from __future__ import annotations

import time

import numpy as np
from _record import record

from orbitcloud.network.cgr import ContactGraphRouter
from orbitcloud.run.pipeline import run_pipeline
from orbitcloud.scenario import load_scenario


def main() -> None:
    plan = run_pipeline(load_scenario("milsca"), stages=("contacts",)).contacts
    n = plan.nodes
    rng = np.random.default_rng(0)
    src, t0 = rng.integers(0, n.n_sat, 200), rng.uniform(0, 80_000, 200)
    router = ContactGraphRouter(plan)
    grounds = list(range(n.n_sat, n.n_node))
    out: dict[str, float | int] = {"contacts": len(plan)}
    for name, call in [
        ("one_station_ms", lambda s, t: router.route(s, n.n_sat + 3, t, 1e9)),
        ("any_station_ms", lambda s, t: router.route(s, grounds, t, 1e9)),
        ("all_nodes_ms", lambda s, t: router.arrivals(s, t, 1e9)),
    ]:
        t = time.perf_counter()
        for s, t_ in zip(src.tolist(), t0.tolist(), strict=True):
            call(s, t_)
        out[name] = round((time.perf_counter() - t) / len(src) * 1e3, 3)
    record("cgr", out)


if __name__ == "__main__":
    main()
