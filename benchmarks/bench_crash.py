"""Benchmark: kill -9 trials of the object store, more than the CI test runs.

    OMP_NUM_THREADS=1 PYTHONPATH=src:tests .venv/bin/python benchmarks/bench_crash.py --trials 200

Each trial forks a child that puts (90 %) and deletes (10 %) seeded random objects of 0-150 kB
(4+2 erasure, fsync on) and SIGKILLs it at a random moment (every fifth trial while it opens
the store), then reopens the store and checks every invariant of
``tests/test_storage_crash.py`` (acknowledged objects read back byte for byte, no temp or
orphan files, files == catalog, accounting == files on disk, versions strictly growing). One
store root accumulates over all trials. Exits non-zero on the first violation.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _record import record

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_storage_crash import crash_trials


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--max-delay-s", type=float, default=0.25)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        model = crash_trials(Path(d) / "store", args.trials, args.seed, args.max_delay_s)
        wall_s = time.perf_counter() - t0
    live = sum(v is not None for v in model.acked.values())
    print(f"{args.trials} trials, {model.acks} acknowledged operations, "
          f"{model.kills_before_ready} kills during open, {live} live objects at the end, "
          f"0 violations, {wall_s:.1f} s")  # fmt: skip
    record("crash", {"trials": args.trials, "seed": args.seed, "acks": model.acks,
                     "kills_during_open": model.kills_before_ready, "live_objects": live,
                     "violations": 0, "wall_s": round(wall_s, 1)})  # fmt: skip


if __name__ == "__main__":
    main()
