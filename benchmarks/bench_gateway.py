"""Benchmark: PUT and GET throughput of the S3 gateway, against local disk and moto, one run.

    PYTHONPATH=src:tests .venv/bin/python benchmarks/bench_gateway.py --repeat 3

Workload (one boto3 client, requests one after another, loopback only): ``--n-small`` objects
of 1 MiB and ``--n-large`` of 64 MiB, random bytes, PUT then GET each (the GET body is checked
against what was put). Three targets, measured in the same process and run:

* ``gateway``: ``orbitcloud serve`` from this checkout (tests/gateway_server.py: the Walker
  3 x 9 scenario, erasure 4+2, AES-256-GCM under the tenant's key, shard files and catalog
  fsynced before the PUT returns);
* ``disk``: the same bytes, same sizes and count, written to files on the same filesystem as
  the gateway's data dir with ``open`` + ``write`` + ``fsync`` + ``close`` (the floor of any
  durable put), and read back (page cache);
* ``moto``: moto's S3 server (``moto_server -p PORT`` from moto[server]: in memory, no fsync,
  no erasure coding) on the same client workload.

MiB/s = 2**20 bytes of object data per second, best of ``--repeat`` rounds; the ratios
``gateway / disk`` (both PUT and GET over the disk's write+fsync rate) and ``gateway / moto``
are taken in one run, and the PUT ratio is also given for each round and as the median of the
rounds (the three targets run back to back on the same bytes within a round, so a drift of the
machine hits all three; this machine's disk swings several-fold between rounds, so the ratio
of two bests taken in different rounds says less than the per-round ratio).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from _record import record
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from gateway_server import Server

MiB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _s3_rates(s3: Any, bucket: str, blobs: list[bytes]) -> tuple[float, float]:
    """(PUT, GET) MiB/s of ``blobs`` through ``s3``, one request at a time."""
    total = sum(len(b) for b in blobs) / MiB
    t0 = time.perf_counter()
    for i, b in enumerate(blobs):
        s3.put_object(Bucket=bucket, Key=f"o{i}", Body=b)
    put_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i, b in enumerate(blobs):
        got = s3.get_object(Bucket=bucket, Key=f"o{i}")["Body"].read()
        if got != b:
            raise SystemExit(f"GET o{i} returned other bytes")
    get_s = time.perf_counter() - t0
    for i in range(len(blobs)):
        s3.delete_object(Bucket=bucket, Key=f"o{i}")
    return total / put_s, total / get_s


def _disk_rates(root: Path, blobs: list[bytes]) -> tuple[float, float]:
    """(write+fsync+close, read) MiB/s of ``blobs`` as files under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    total = sum(len(b) for b in blobs) / MiB
    t0 = time.perf_counter()
    for i, b in enumerate(blobs):
        fd = os.open(root / f"o{i}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        view = memoryview(b)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
    put_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i, b in enumerate(blobs):
        if (root / f"o{i}").read_bytes() != b:
            raise SystemExit("disk read returned other bytes")
    get_s = time.perf_counter() - t0
    shutil.rmtree(root)
    return total / put_s, total / get_s


def _moto(tmp: Path) -> tuple[subprocess.Popen[bytes], Any]:
    port = _free_port()
    exe = Path(sys.executable).parent / "moto_server"
    log = (tmp / "moto.log").open("w")
    proc = subprocess.Popen(
        [str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while not _accepts(port):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit(f"moto_server did not start: {(tmp / 'moto.log').read_text()}")
        time.sleep(0.2)
    cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
    s3 = boto3.client(
        "s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id="bench", aws_secret_access_key="bench", config=cfg,
    )  # fmt: skip
    return proc, s3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-small", type=int, default=32, help="1 MiB objects per round")
    ap.add_argument("--n-large", type=int, default=4, help="64 MiB objects per round")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; best of them is reported")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    gw = Server(tmp)
    moto_proc, moto = _moto(tmp)
    try:
        s3 = gw.client("alpha", read_timeout=600)
        s3.create_bucket(Bucket="bench")
        moto.create_bucket(Bucket="bench")
        sizes = {"1MiB": (MiB, args.n_small), "64MiB": (64 * MiB, args.n_large)}
        best: dict[str, dict[str, float]] = {}
        per_round: dict[str, list[float]] = {}  # gateway PUT / disk write+fsync, each round
        for _ in range(args.repeat):
            for label, (size, n) in sizes.items():
                blobs = [os.urandom(size) for _ in range(n)]
                this: dict[str, float] = {}
                for target in ("disk", "gateway", "moto"):
                    if target == "disk":
                        put, get = _disk_rates(tmp / "disk", blobs)
                    else:
                        put, get = _s3_rates(s3 if target == "gateway" else moto, "bench", blobs)
                    row = best.setdefault(f"{label} {target}", {"put": 0.0, "get": 0.0})
                    row["put"], row["get"] = max(row["put"], put), max(row["get"], get)
                    this[target] = put
                per_round.setdefault(label, []).append(round(this["gateway"] / this["disk"], 3))
        out: dict[str, Any] = {
            "bench": "gateway",
            "machine": f"{platform.machine()} {os.cpu_count()} cpu",
            "n_small": args.n_small, "n_large": args.n_large, "repeat": args.repeat,
        }  # fmt: skip
        for label in sizes:
            g, d, m = (best[f"{label} {t}"] for t in ("gateway", "disk", "moto"))
            for op in ("put", "get"):
                out[f"{label}_{op}_gateway_MiBps"] = round(g[op], 1)
                out[f"{label}_{op}_disk_MiBps"] = round(d[op], 1)
                out[f"{label}_{op}_moto_MiBps"] = round(m[op], 1)
                out[f"{label}_{op}_gateway_over_disk_fsync_write"] = round(g[op] / d["put"], 3)
                out[f"{label}_{op}_gateway_over_moto"] = round(g[op] / m[op], 3)
            out[f"{label}_put_gateway_over_disk_each_round"] = per_round[label]
            # the three targets run back to back within a round: its ratio is the one taken
            # "in the same run"; the median of the rounds is the figure the target is read on
            out[f"{label}_put_gateway_over_disk_median_round"] = float(
                statistics.median(per_round[label])
            )
        record("gateway", out)
    finally:
        gw.stop()
        moto_proc.terminate()
        moto_proc.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
