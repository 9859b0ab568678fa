"""Threads sharing one store: puts of one key are serialised (distinct versions, one of the
payloads wins whole, no stray files), and mixed puts, gets and deletes on many keys from many
threads keep the catalog, the files and the accounting equal."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import numpy as np

from orbitcloud.storage import Erasure, NoSuchKeyError, ObjectStore
from test_storage_crash import MASTER, check_store
from test_storage_service import _nodes

N_THREADS = 8


def _run_threads(fn, n: int) -> list[object]:
    """Start ``n`` threads at one barrier; return each result (or the exception raised)."""
    barrier = threading.Barrier(n)
    out: list[object] = [None] * n

    def body(i: int) -> None:
        barrier.wait()
        try:
            out[i] = fn(i)
        except BaseException as err:
            out[i] = err

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_eight_threads_putting_one_key_all_succeed_with_distinct_versions(tmp_path: Path):
    """8 threads put different payloads to one key at once: every put returns, the versions are
    8 distinct numbers (1..8), the final get is exactly the payload of the highest version, the
    shard files are exactly that version's (no stray or temp files), and accounting matches."""
    payloads = [bytes([i]) * (20_000 + 997 * i) for i in range(N_THREADS)]
    with ObjectStore(tmp_path, _nodes(), master_key=MASTER) as store:  # fsync on: slow writes
        store.add_tenant("t", policy=Erasure(4, 2))
        store.create_bucket("t", "b")
        results = _run_threads(lambda i: store.put("t", "b", "one", payloads[i]), N_THREADS)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == []
        versions = [r.info.version for r in results]  # type: ignore[union-attr]
        assert sorted(versions) == list(range(1, N_THREADS + 1))
        last = int(np.argmax(versions))
        assert store.get("t", "b", "one").data == payloads[last]
        assert store.head("t", "b", "one").version == N_THREADS
        files = sorted(p.name for p in (tmp_path / "shards").rglob("*") if p.is_file())
        oid = results[last].info.object_id  # type: ignore[union-attr]
        assert files == sorted(f"{oid}.v{N_THREADS}.s{i}" for i in range(6))
        check_store(store)


def test_mixed_threads_on_many_keys_keep_catalog_files_and_accounting_equal(tmp_path: Path):
    """8 threads each do 30 seeded puts, gets and deletes over 6 shared keys; every get returns
    one of the payloads ever put to that key, never other bytes; at the end the state reopens
    equal and files == catalog."""
    put_bytes: dict[str, set[bytes]] = {f"k{j}": set() for j in range(6)}
    lock = threading.Lock()
    with ObjectStore(tmp_path, _nodes(), master_key=MASTER, fsync=False) as store:
        store.add_tenant("t", policy=Erasure(2, 1))
        store.create_bucket("t", "b")

        def work(i: int) -> int:
            rng = np.random.default_rng([14, i])
            gets = 0
            for _ in range(30):
                key = f"k{int(rng.integers(6))}"
                op = rng.random()
                if op < 0.5:
                    data = rng.bytes(int(rng.integers(0, 5000)))
                    with lock:
                        put_bytes[key].add(data)
                    store.put("t", "b", key, data)
                elif op < 0.9:
                    try:
                        got = store.get("t", "b", key).data
                    except NoSuchKeyError:
                        continue
                    with lock:
                        assert got in put_bytes[key]
                    gets += 1
                else:
                    with contextlib.suppress(NoSuchKeyError):
                        store.delete("t", "b", key)
            return gets

        results = _run_threads(work, N_THREADS)
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert sum(results) > 0  # type: ignore[arg-type]
        check_store(store)
        before = store.objects()
    with ObjectStore(tmp_path, _nodes(), master_key=MASTER, fsync=False) as store:
        assert store.objects() == before
        for info in before:
            assert store.get("t", "b", info.key).data in put_bytes[info.key]
        check_store(store)
