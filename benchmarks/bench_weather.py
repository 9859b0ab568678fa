"""Benchmark: ACM ground links (elevation-, range- and weather-dependent rates) vs fixed rates.

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/bench_weather.py
    # starlink-550: contact plan over 1 h at 60 s; routes (what `orbitcloud routes` runs)
    # over 30 s at 100 ms steps, 4,950 station pairs, one worker

Every one of the 100 stations gets the same ILLUSTRATIVE Ka-band ACM link (satellite EIRP
36 dBW, station G/T 12 dB/K, 240 Mbaud, 99.5 % availability; uplink 45 dBW / 8 dB/K,
120 Mbaud) instead of its fixed 20 Gbit/s, with ``weather: statistical`` (``acm``) and
``weather: time_series`` (``ts``: the seeded P.1853 rain process per station). Prints the
timings (best of ``--repeat`` alternating runs) and their ratios in one run; the ITU-R
tables (itur) are timed on their own, cold (the first call loads the maps), and are cached
for the runs after it.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np
from _record import record

from orbitcloud.links import acm
from orbitcloud.links.contacts import build_contact_plan
from orbitcloud.orbits.propagate import propagate
from orbitcloud.orbits.satellites import satellites_of
from orbitcloud.run.pipeline import all_ground_pairs, run_routes
from orbitcloud.scenario import Scenario, load_scenario
from orbitcloud.timegrid import TimeGrid

LINK: dict[str, Any] = {
    "kind": "acm", "band": "Ka", "eirp_dbw": 36.0, "g_t_db_per_k": 12.0,
    "symbol_rate_baud": 240e6, "availability_pct": 99.5,
    "uplink": {"kind": "acm", "band": "Ka", "eirp_dbw": 45.0, "g_t_db_per_k": 8.0,
               "symbol_rate_baud": 120e6, "availability_pct": 99.5},
}  # fmt: skip


def with_acm(sc: Scenario, weather: str = "statistical") -> Scenario:
    data = sc.model_dump()
    for g in data["ground_stations"]:
        g.update(rate_bps=None, uplink_rate_bps=None, link={**LINK, "weather": weather})
    return Scenario.model_validate(data)


def shorten(sc: Scenario, duration_s: float, step_s: float) -> Scenario:
    return Scenario.model_validate({**sc.model_dump(), "duration_s": duration_s, "step_s": step_s})


def plan_s(sc: Scenario) -> tuple[float, int]:
    eph = propagate(satellites_of(sc), TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s))
    t0 = time.perf_counter()
    plan = build_contact_plan(sc, eph)
    return time.perf_counter() - t0, int(plan.src.shape[0])


def routes_ms(sc: Scenario) -> tuple[float, float, float]:
    src, dst = all_ground_pairs(sc)
    table, timings = run_routes(sc, src, dst)
    n = table.t_s.size
    return 1000 * timings["routing"] / n, timings["setup"], float(np.isfinite(table.rtt_ms).mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plan-duration-s", type=float, default=3600.0)
    ap.add_argument("--routes-duration-s", type=float, default=30.0)
    ap.add_argument("--routes-step-s", type=float, default=0.1)
    ap.add_argument("--repeat", type=int, default=2, help="alternating runs; best of each")
    args = ap.parse_args()
    base = load_scenario("starlink-550")
    fixed_p = shorten(base, args.plan_duration_s, 60.0)
    acm_p = with_acm(fixed_p)
    t0 = time.perf_counter()
    acm.acm_rates(tuple(acm_p.ground_stations))  # the itur tables, cold
    tables_s = time.perf_counter() - t0
    ts_p = with_acm(fixed_p, "time_series")
    t0 = time.perf_counter()  # + the P.618 rain maps and the rain processes
    acm.acm_rates(tuple(ts_p.ground_stations), (), ts_p.seed, ts_p.duration_s)
    ts_tables_s = time.perf_counter() - t0
    fixed_r = shorten(base, args.routes_duration_s, args.routes_step_s)
    acm_r = with_acm(fixed_r)
    ts_r = with_acm(fixed_r, "time_series")
    keys = ("fixed", "acm", "ts")
    plans: dict[str, list[tuple[float, int]]] = {k: [] for k in keys}
    routes: dict[str, list[tuple[float, float, float]]] = {k: [] for k in keys}
    for _ in range(args.repeat):  # alternated, so none goes first every time
        for key, p, r in (("fixed", fixed_p, fixed_r), ("acm", acm_p, acm_r), ("ts", ts_p, ts_r)):
            plans[key].append(plan_s(p))  # ACM: tables cached; the pieces and their rates
            routes[key].append(routes_ms(r))
    fixed_plan_s, fixed_rows = min(plans["fixed"])
    acm_plan_s, acm_rows = min(plans["acm"])
    ts_plan_s, ts_rows = min(plans["ts"])
    f_ms, f_setup, f_reach = min(routes["fixed"])
    a_ms, a_setup, a_reach = min(routes["acm"])
    t_ms, t_setup, t_reach = min(routes["ts"])
    record(
        "weather",
        {
            "example": "starlink-550",
            "itur_tables_cold_s": round(tables_s, 3),
            "plan_duration_s": args.plan_duration_s,
            "plan_fixed_s": round(fixed_plan_s, 3),
            "plan_acm_s": round(acm_plan_s, 3),
            "plan_ratio": round(acm_plan_s / fixed_plan_s, 2),
            "rows_fixed": fixed_rows,
            "rows_acm": acm_rows,
            "itur_tables_time_series_s": round(ts_tables_s, 3),
            "plan_time_series_s": round(ts_plan_s, 3),
            "plan_time_series_ratio": round(ts_plan_s / fixed_plan_s, 2),
            "rows_time_series": ts_rows,
            "routes_time_series_ms_per_step": round(t_ms, 2),
            "routes_time_series_ratio": round(t_ms / f_ms, 3),
            "routes_setup_time_series_s": round(t_setup, 2),
            "reachable_time_series": round(t_reach, 4),
            "repeat": args.repeat,
            "routes_steps": round(args.routes_duration_s / args.routes_step_s) + 1,
            "routes_fixed_ms_per_step": round(f_ms, 2),
            "routes_acm_ms_per_step": round(a_ms, 2),
            "routes_ratio": round(a_ms / f_ms, 3),
            "routes_setup_fixed_s": round(f_setup, 2),
            "routes_setup_acm_s": round(a_setup, 2),
            "reachable_fixed": round(f_reach, 4),
            "reachable_acm": round(a_reach, 4),
            "cpus_allowed": len(os.sched_getaffinity(0)),
        },
    )


if __name__ == "__main__":
    main()
