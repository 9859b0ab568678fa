"""One core, a local process pool and a Dask cluster give identical results; worker counts
are capped at the cores; a Dask address that is not a scheduler is one error, in time."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import numpy as np
import pytest

from conftest import dask_executor
from orbitcloud.executor import (
    DaskExecutor,
    LocalExecutor,
    SerialExecutor,
    available_cores,
    capped_workers,
    make_executor,
)
from orbitcloud.run.pipeline import all_ground_pairs, run_routes
from orbitcloud.scenario import load_scenario


def _tables_equal(a, b) -> None:
    np.testing.assert_array_equal(a.t_s, b.t_s)
    np.testing.assert_array_equal(a.rtt_ms, b.rtt_ms)  # NaN == NaN here
    np.testing.assert_array_equal(a.hops, b.hops)
    np.testing.assert_array_equal(a.path_hash, b.path_hash)
    assert len(a.paths) == len(b.paths)
    for pa, pb in zip(a.paths, b.paths, strict=True):
        np.testing.assert_array_equal(pa, pb)


@pytest.fixture(scope="module")
def small_routes():
    sc = load_scenario("milsca").model_copy(update={"duration_s": 1800.0, "step_s": 60.0})
    src, dst = all_ground_pairs(sc)
    serial, _ = run_routes(sc, src, dst, executor=SerialExecutor())
    return sc, src, dst, serial


def test_process_pool_routes_identical_to_one_core(small_routes):
    sc, src, dst, serial = small_routes
    with LocalExecutor(2) as ex:
        pooled, _ = run_routes(sc, src, dst, executor=ex)
    _tables_equal(serial, pooled)
    # path changes are counted across chunk boundaries too: compare with a direct count
    h = serial.path_hash
    assert np.array_equal(pooled.path_changes, (h[1:] != h[:-1]).sum(axis=0))
    assert np.isfinite(serial.rtt_ms).any()


@pytest.mark.slow
def test_dask_cluster_routes_identical_to_one_core(small_routes):
    sc, src, dst, serial = small_routes
    with dask_executor() as ex:
        assert ex.workers == 2
        done: list[int] = []
        dasked, _ = run_routes(sc, src, dst, executor=ex)
        assert ex.map(abs, [-3, 1, -2], done.append) == [3, 1, 2]
    _tables_equal(serial, dasked)
    assert sorted(done) == [0, 1, 2]


def test_process_pool_contact_plan_identical_to_one_core(monkeypatch):
    from orbitcloud.links import contacts
    from orbitcloud.run.pipeline import run_pipeline

    sc = load_scenario("milsca").model_copy(update={"duration_s": 6 * 3600.0})
    # cut the 54 satellites into 7 ground-pass tasks of 8 satellites
    monkeypatch.setattr(contacts, "TASK_ELEMENTS", 8 * len(sc.ground_stations) * 361)
    done: list[int] = []
    real_map = SerialExecutor.map

    def counting_map(self, fn, items, on_done=None):
        done.append(len(items))
        return real_map(self, fn, items, on_done)

    monkeypatch.setattr(SerialExecutor, "map", counting_map)
    serial = run_pipeline(sc, executor=SerialExecutor()).contacts
    assert done == [7]
    with LocalExecutor(2) as ex:
        pooled = run_pipeline(sc, executor=ex).contacts
    assert len(serial) == len(pooled) > 1000
    for col in ("src", "dst", "start_s", "end_s", "rate_bps", "owlt_s", "range_km", "kind"):
        np.testing.assert_array_equal(getattr(serial, col), getattr(pooled, col))


def _boom(x: int) -> int:
    if x == 2:
        raise ValueError("task 2 failed")
    return x


def test_a_failing_task_raises_its_own_error():
    for ex in (SerialExecutor(), LocalExecutor(2)):
        with ex, pytest.raises(ValueError, match="task 2 failed"):
            ex.map(_boom, [0, 1, 2, 3])


def test_bad_settings_get_clear_errors():
    with pytest.raises(ValueError, match="workers must be >= 1"):
        make_executor(workers=0)
    assert isinstance(make_executor(workers=1), SerialExecutor)
    with pytest.raises(RuntimeError, match="cannot reach the Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", timeout_s=0.5)


def test_workers_are_capped_at_the_cores() -> None:
    """--workers 1000 (the issue: 227 processes) becomes the available cores, with a note."""
    cores = available_cores()
    assert capped_workers(None) == (cores, None)
    assert capped_workers(1) == (1, None)
    n, note = capped_workers(1000)
    assert n == cores and note is not None and "--workers 1000" in note
    ex = make_executor(workers=1000)
    assert ex.workers == cores
    ex.close()


def test_cli_warns_once_when_capping_workers(tmp_path) -> None:
    from typer.testing import CliRunner

    from orbitcloud.cli import app

    res = CliRunner().invoke(
        app, ["routes", "milsca", "--workers", "1000", "--duration-s", "120", "-o",
              str(tmp_path / "r.parquet")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    warnings = [ln for ln in res.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "--workers 1000" in warnings[0]


@contextmanager
def _server(reply: Callable[[socket.socket], None]) -> Iterator[str]:
    """A loopback TCP server in a thread that answers every connection with ``reply``."""
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        conns = []
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            conns.append(conn)
            with suppress(OSError):
                reply(conn)
        for c in conns:
            c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield f"tcp://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        t.join(2.0)
        srv.close()


SERVERS: dict[str, Callable[[socket.socket], None]] = {
    "junk": lambda c: c.sendall(b"\xff" * 64),
    "http": lambda c: c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
    "silent": lambda c: None,  # e.g. an HTTP server waiting for a request
    "closes": lambda c: c.close(),
}


@pytest.mark.parametrize("kind", list(SERVERS))
def test_a_server_that_is_not_dask_is_one_error_within_the_timeout(kind: str) -> None:
    """Junk, an HTTP reply, silence or a closed connection: RuntimeError with one line within
    the 1 s timeout (plus slack), never a hang or a huge allocation."""
    with _server(SERVERS[kind]) as address:
        t0 = time.perf_counter()
        with pytest.raises(RuntimeError) as info:
            DaskExecutor(address, timeout_s=1.0)
        took = time.perf_counter() - t0
    assert took < 2.0
    msg = str(info.value)
    assert "\n" not in msg and address in msg
    assert ("not a Dask scheduler" in msg) or ("without a Dask handshake" in msg)


def test_a_malformed_dask_address_is_one_error() -> None:
    with pytest.raises(RuntimeError, match="expected tcp://HOST:PORT"):
        DaskExecutor("tcp://nowhere", timeout_s=0.5)
