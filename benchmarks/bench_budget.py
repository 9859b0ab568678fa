"""Calibrate and check the resource budget (orbitcloud.budget) against measured peak memory.

Each case runs in a fresh process: load a built-in example, apply overrides, run the pipeline
on one core and write the run folder (storage included; no report), then print the process's
peak RSS (``VmHWM`` of /proc/self/status) next to the budget's estimate.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_budget.py [EXAMPLE ...]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

CASES: list[tuple[str, dict[str, float]]] = [
    ("iss-node", {"duration_s": 3600.0}),
    ("milsca", {"duration_s": 3600.0}),
    ("milsca", {"duration_s": 6 * 3600.0}),
    ("milsca", {"duration_s": 3600.0, "step_s": 1.0}),
    ("milsca", {"duration_s": 6 * 3600.0, "workload.tile_bytes": 1e7}),
    ("starlink-550", {"duration_s": 3 * 3600.0}),
    ("starlink-550", {"duration_s": 12 * 3600.0}),
    ("starlink-gen1", {"duration_s": 6 * 3600.0}),
    ("synthetic-20k", {"duration_s": 2 * 3600.0}),
    ("mars-relay", {}),
    ("mars-relay", {"step_s": 600.0}),
    ("lonestar", {}),
]

CHILD = """
import json, sys, time
from pathlib import Path
from orbitcloud.budget import estimate
from orbitcloud.run.pipeline import run_pipeline
from orbitcloud.run.folder import write_run_folder
from orbitcloud.scenario import load_scenario
from orbitcloud.summary import summarise
name, update, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
sc = load_scenario(name)
data = sc.model_dump()
for key, value in update.items():
    *outer, last = key.split(".")
    d = data
    for k in outer:
        d = d[k]
    d[last] = value
sc = sc.model_validate(data)
def hwm() -> int:  # peak RSS [bytes]: VmHWM, unlike ru_maxrss, is not inherited over exec
    line = [x for x in Path("/proc/self/status").read_text().splitlines() if "VmHWM" in x][0]
    return int(line.split()[1]) * 1024


base = hwm()
est = estimate(sc)
t0 = time.perf_counter()
result = run_pipeline(sc)
write_run_folder(result, summarise(result), Path(out))
wall = time.perf_counter() - t0
peak = hwm()
jobs = 0 if result.workload is None else len(result.workload.jobs)
print(json.dumps({"case": name, **update, "samples": est.samples, "jobs": jobs,
                  "tiles_est": est.tiles, "peak_rss_mb": round(peak / 2**20),
                  "import_rss_mb": round(base / 2**20),
                  "estimate_mb": round(est.memory_bytes / 2**20),
                  "ratio": round(est.memory_bytes / peak, 2), "wall_s": round(wall, 2),
                  "estimate_s": round(est.seconds, 2)}))
"""


def main() -> None:
    only = set(sys.argv[1:])  # optional: example names to run
    for name, update in CASES:
        if only and name not in only:
            continue
        with tempfile.TemporaryDirectory() as out:
            res = subprocess.run(
                [sys.executable, "-c", CHILD, name, json.dumps(update), out],
                capture_output=True,
                text=True,
                check=False,
            )
        print(res.stdout.strip() or res.stderr.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
