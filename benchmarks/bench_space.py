"""Benchmark: the runs beyond Earth orbit, and the two changes that made them fast.

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/bench_space.py

1. `mars-relay` over its full 790 days at 2-min steps and `lonestar` over its full year at
   10-min steps: the pipeline (every stage) and the run folder, wall seconds per stage and the
   process's peak RSS (VmHWM), each in a fresh process.
2. Before/after, in one process: the Earth→Sun vector in the Earth-fixed frame over the
   mars-relay grid, by skyfield's full `frame_xyz(itrs)` (before) and by `BodyEphemeris`
   (after); and 200 calls of `to_fixed("earth")` at scattered times over 790 days, each on a
   fresh `BodyEphemeris` (before: the precession-nutation samples recomputed per call) and on
   one (after: computed once).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
from _record import record

CHILD = """
import json, sys, tempfile, time
from pathlib import Path
from orbitcloud.run.folder import write_run_folder
from orbitcloud.run.pipeline import run_pipeline
from orbitcloud.scenario import load_scenario
from orbitcloud.summary import summarise
sc = load_scenario(sys.argv[1])
t0 = time.perf_counter()
r = run_pipeline(sc)
write_run_folder(r, summarise(r), Path(tempfile.mkdtemp()))
wall = time.perf_counter() - t0
hwm = [x for x in Path("/proc/self/status").read_text().splitlines() if "VmHWM" in x][0]
owlt = r.contacts.owlt_s[r.contacts.owlt_s > 60]
b = r.bundles
print(json.dumps({"case": sys.argv[1], "steps": r.ephemeris.grid.n_time,
                  "contacts": len(r.contacts), "wall_s": round(wall, 2),
                  "stages_s": r.timings_s, "peak_rss_mb": int(hwm.split()[1]) // 1024,
                  "owlt_min_range": [round(float(owlt.min()) / 60, 2),
                                     round(float(owlt.max()) / 60, 2)] if owlt.size else None,
                  "bundles_delivered": int(b.delivered.sum()), "bundles": len(b),
                  "latency_median_s": round(float(np.nanmedian(b.latency_s)), 1),
                  "latency_max_s": round(float(np.nanmax(b.latency_s)), 1)}))
"""


def main() -> None:
    for name in ("mars-relay", "lonestar"):
        res = subprocess.run(
            [sys.executable, "-c", "import numpy as np\n" + CHILD, name],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        line = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else res.stderr[-500:]
        record("space_runs", json.loads(line))

    import datetime as dt

    from skyfield.framelib import itrs

    from orbitcloud.orbits.bodies import BodyEphemeris
    from orbitcloud.orbits.sun import _skyfield, _times, sun_ecef_km

    epoch = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    t_s = np.arange(0.0, 790 * 86400.0 + 1, 120.0)
    _, eph = _skyfield()
    t = time.perf_counter()
    before = (eph["sun"] - eph["earth"]).at(_times(epoch, t_s)).frame_xyz(itrs).km.T
    sun_before_s = time.perf_counter() - t
    t = time.perf_counter()
    after = sun_ecef_km(epoch, t_s)
    sun_after_s = time.perf_counter() - t
    err_rad = float(np.max(np.linalg.norm(after - before, axis=1) / np.linalg.norm(before, axis=1)))
    rng = np.random.default_rng(1)
    queries = [np.sort(rng.uniform(0, t_s[-1], 50)) for _ in range(200)]
    t = time.perf_counter()
    for q in queries:
        BodyEphemeris(epoch).to_fixed("earth", q)
    npb_before_s = time.perf_counter() - t
    b = BodyEphemeris(epoch)
    t = time.perf_counter()
    for q in queries:
        b.to_fixed("earth", q)
    npb_after_s = time.perf_counter() - t
    record(
        "space_speedups",
        {
            "sun_vector_steps": int(t_s.size),
            "sun_before_s": round(sun_before_s, 2),
            "sun_after_s": round(sun_after_s, 3),
            "sun_ratio": round(sun_before_s / sun_after_s, 1),
            "sun_max_direction_error_rad": err_rad,
            "to_fixed_calls": len(queries),
            "to_fixed_before_s": round(npb_before_s, 2),
            "to_fixed_after_s": round(npb_after_s, 3),
            "to_fixed_ratio": round(npb_before_s / npb_after_s, 1),
        },
    )


if __name__ == "__main__":
    main()
