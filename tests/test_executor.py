"""One core, a local process pool and a Dask cluster give identical results."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import dask_executor
from orbitcloud.executor import DaskExecutor, LocalExecutor, SerialExecutor, make_executor
from orbitcloud.pipeline import all_ground_pairs, run_routes
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
    from orbitcloud.pipeline import run_pipeline

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
