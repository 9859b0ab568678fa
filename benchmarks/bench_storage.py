"""Benchmark: erasure coding, AES-256-GCM and SHA-256 throughput of the storage service.

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/bench_storage.py --mb 64

One core. Each codec encodes and decodes a buffer of random bytes (decode from a degraded set:
the first m fragments missing, so parity is used); AES-GCM seals and opens it with an object id
bound as associated data; the end-to-end row is ``ObjectStore.put`` + ``get`` of the same
buffer through the whole path (encrypt, encode, six atomic shard files on disk with fsync,
read, verify, decode, decrypt; since issue 14 also the catalog commits in SQLite WAL with
synchronous=FULL and the unlink of the replaced version). MB = 1e6 bytes of plaintext per
second; best of ``--repeat``. The small-object rows (``--small`` objects of 4 kB, one pass)
count objects per second, where the per-put fsyncs and catalog commits dominate.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _record import record

from orbitcloud.storage import (
    ErasureCodec,
    ObjectStore,
    StorageNode,
    new_data_key,
    open_sealed,
    seal,
)


def best_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=64, help="buffer size [MB, 1e6 bytes]")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--small", type=int, default=300, help="4 kB objects put, got, re-put")
    args = ap.parse_args()
    size = args.mb * 1_000_000
    data = os.urandom(size)
    mb = size / 1e6
    rows: dict[str, float] = {}

    for k, m in ((4, 2), (8, 3), (10, 4)):
        codec = ErasureCodec.rs(k, m)
        frags = codec.encode(data)
        degraded = {i: f for i, f in enumerate(frags) if i >= m}
        assert codec.decode(degraded) == data
        rows[f"rs {k}+{m} encode"] = mb / best_s(lambda c=codec: c.encode(data), args.repeat)
        rows[f"rs {k}+{m} decode (m lost)"] = mb / best_s(
            lambda c=codec, d=degraded: c.decode(d), args.repeat
        )
    key = new_data_key()
    blob = seal(key, data, "obj", 1)
    rows["aes-256-gcm seal"] = mb / best_s(lambda: seal(key, data, "obj", 1), args.repeat)
    rows["aes-256-gcm open"] = mb / best_s(lambda: open_sealed(key, blob, "obj", 1), args.repeat)
    rows["sha-256"] = mb / best_s(lambda: hashlib.sha256(data).digest(), args.repeat)

    with tempfile.TemporaryDirectory() as d:
        nodes = [StorageNode(f"s{p}", "satellite", "c", f"c/{p}", "", 1e12) for p in range(6)]
        with ObjectStore(Path(d), nodes) as store:
            store.add_tenant("bench")
            store.create_bucket("bench", "b")
            rows["put 4+2 (end to end, fsync)"] = mb / best_s(
                lambda: store.put("bench", "b", "k", data), args.repeat
            )
            rows["get 4+2 (end to end)"] = mb / best_s(
                lambda: store.get("bench", "b", "k"), args.repeat
            )

    if args.small:  # many small objects: per-put fsyncs and catalog commits dominate
        small = [os.urandom(4000) for _ in range(args.small)]
        with tempfile.TemporaryDirectory() as d, ObjectStore(Path(d), nodes) as store:
            store.add_tenant("bench")
            store.create_bucket("bench", "b")
            for label, fn in [
                ("put 4 kB 4+2 (objects/s)", lambda i: store.put("bench", "b", f"k{i}", small[i])),
                ("get 4 kB 4+2 (objects/s)", lambda i: store.get("bench", "b", f"k{i}")),
                (
                    "re-put 4 kB 4+2 (objects/s)",
                    lambda i: store.put("bench", "b", f"k{i}", small[i]),
                ),
            ]:
                t0 = time.perf_counter()
                for i in range(args.small):
                    fn(i)
                rows[label] = args.small / (time.perf_counter() - t0)

    width = max(len(r) for r in rows)
    print(f"{'operation':<{width}}  MB/s   ({args.mb} MB, best of {args.repeat}, one process)")
    for name, v in rows.items():
        print(f"{name:<{width}}  {v:8.0f}")
    record("storage", {"mb": args.mb, "repeat": args.repeat,
                       "mb_per_s": {k: round(v, 1) for k, v in rows.items()}})  # fmt: skip


if __name__ == "__main__":
    main()
