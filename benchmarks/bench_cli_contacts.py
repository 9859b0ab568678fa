"""Benchmark: `orbitcloud contacts` against the contact stage alone (issue 13: at most 1.5x).

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/bench_cli_contacts.py  # milsca

Alternates, ``--repeat`` times, in one process: (a) the contact stage alone (propagate the
grid, build the contact plan, write Parquet) and (b) the `contacts` command through typer's
CliRunner with ``--workers 1`` (loading, validation, budget, output checks, the pipeline's
stages for contacts, the atomic write). Interpreter start-up and imports are excluded from
both (the first, warm-up round is not counted). Prints the best of each and their ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _record import record
from typer.testing import CliRunner

from orbitcloud.cli import app
from orbitcloud.links import build_contact_plan
from orbitcloud.orbits import build_satellites, propagate
from orbitcloud.scenario import load_scenario
from orbitcloud.timegrid import TimeGrid


def stage_alone(example: str, out: Path) -> float:
    t0 = time.perf_counter()
    sc = load_scenario(example)
    eph = propagate(build_satellites(sc), TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s))
    build_contact_plan(sc, eph).write_parquet(out)
    return time.perf_counter() - t0


def command(example: str, out: Path) -> float:
    t0 = time.perf_counter()
    res = CliRunner().invoke(app, ["contacts", example, "-o", str(out), "--workers", "1"])
    dt = time.perf_counter() - t0
    if res.exit_code != 0:
        raise SystemExit(f"contacts failed: {res.output}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--example", default="milsca")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "c.parquet"
        stage_alone(args.example, out), command(args.example, out)  # warm-up
        alone, cli = [], []
        for _ in range(args.repeat):
            alone.append(stage_alone(args.example, out))
            cli.append(command(args.example, out))
    result = {
        "example": args.example,
        "stage_alone_s": round(min(alone), 3),
        "command_s": round(min(cli), 3),
        "command_over_stage": round(min(cli) / min(alone), 2),
        "runs": args.repeat,
    }
    record("cli_contacts", result)


if __name__ == "__main__":
    main()
