"""Benchmark: mega-constellations, one day at 60 s steps: contact plan + routes from 100 stations.

    OMP_NUM_THREADS=1 /usr/bin/time -v .venv/bin/python benchmarks/bench_mega.py starlink-gen1
    OMP_NUM_THREADS=1 /usr/bin/time -v .venv/bin/python benchmarks/bench_mega.py synthetic-20k

Stages, as ``orbitcloud run`` + ``orbitcloud routes`` do them: propagate every satellite over
the day (this process), the contact plan (ground passes as executor tasks, ISL windows here),
then shortest-delay routes with hop lists for all 4,950 station pairs at each of the 1,441
steps (time chunks as executor tasks). Default executor: a process pool on every core.
Peak memory: the largest sum of resident set sizes over this process and all its
descendants (workers, the fork server), sampled every 0.2 s with psutil.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time

import numpy as np
import psutil
from _record import record

from orbitcloud.executor import make_executor
from orbitcloud.links.contacts import build_contact_plan
from orbitcloud.orbits import build_satellites, propagate
from orbitcloud.run.pipeline import all_ground_pairs, run_routes
from orbitcloud.scenario import Scenario, load_scenario
from orbitcloud.timegrid import TimeGrid


class TreeRss:
    """Samples the summed RSS of this process tree in a background thread; ``peak_gb``."""

    def __init__(self, every_s: float = 0.2) -> None:
        self.peak_gb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every_s,), daemon=True)
        self._thread.start()

    def _run(self, every_s: float) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a worker may just have exited
                    total += p.memory_info().rss
            self.peak_gb = max(self.peak_gb, total / 1e9)
            self._stop.wait(every_s)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_gb


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
    rss = TreeRss()
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
    peak_gb = rss.stop()
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
            "peak_rss_process_tree_gb": round(peak_gb, 2),
        },
    )


if __name__ == "__main__":
    main()
