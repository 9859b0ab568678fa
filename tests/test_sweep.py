"""Durability sweeps: the same seed gives the same table on one core, a process pool and a
real Dask cluster, whatever the task cut; grid values reach the model (binomial oracle);
sweep files get file:line errors; the CLI writes Parquet."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats
from typer.testing import CliRunner

from conftest import dask_executor
from orbitcloud.cli import app
from orbitcloud.executor import LocalExecutor, SerialExecutor
from orbitcloud.reliability.durability import wilson_interval
from orbitcloud.reliability.sweep import SweepError, list_sweeps, load_sweep, run_sweep

SMALL = {
    "name": "small",
    "seed": 42,
    "trials": 1_300,  # 3 blocks, the last one short
    "blocks_per_task": 1,
    "design": {
        "satellites": 40,
        "planes": 8,
        "annual_failure_probability": 0.1,
        "storms_per_year": 0.5,
        "station_availability": [0.69],
        "policies": [
            {"kind": "replication", "copies": 2, "spread": "satellite"},
            {"kind": "erasure", "k": 4, "m": 2},
        ],
    },
    "grid": {"scrub_interval_s": [3600.0, 604800.0], "weibull_shape": [0.7, 1.0]},
}


def _assert_same(a: pa.Table, b: pa.Table) -> None:
    assert a.column_names == b.column_names
    for name in a.column_names:
        x, y = a.column(name).to_pylist(), b.column(name).to_pylist()
        if isinstance(x[0], float):
            np.testing.assert_array_equal(np.array(x), np.array(y))  # NaN == NaN here
        else:
            assert x == y, name


@pytest.fixture(scope="module")
def serial_table() -> pa.Table:
    return run_sweep(load_sweep(SMALL), executor=SerialExecutor())


def test_grid_is_the_cartesian_product(serial_table):
    t = serial_table
    assert t.num_rows == 2 * 2 * 2  # points x policies
    assert t.column("point").to_pylist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert t.column("scrub_interval_s").to_pylist()[::2] == [3600.0, 3600.0, 604800.0, 604800.0]
    assert t.column("weibull_shape").to_pylist()[::2] == [0.7, 1.0, 0.7, 1.0]
    assert set(t.column("trials").to_pylist()) == {1_300}
    # a weekly scrub leaves lost shards unrepaired longer than an hourly one
    full = t.column("full_redundancy_fraction").to_pylist()
    assert full[5] < full[1] and full[7] < full[3]


def test_process_pool_and_task_cut_give_identical_results(serial_table):
    spec = load_sweep({**SMALL, "blocks_per_task": 2})
    with LocalExecutor(2) as ex:
        pooled = run_sweep(spec, executor=ex)
    _assert_same(serial_table, pooled)


@pytest.mark.slow
def test_dask_cluster_gives_identical_results(serial_table):
    with dask_executor() as ex:
        dasked = run_sweep(load_sweep({**SMALL, "blocks_per_task": 3}), executor=ex)
    _assert_same(serial_table, dasked)


def test_grid_values_reach_the_model():
    """No repair, no storms: each grid point's loss probability is the binomial tail of its
    own annual failure probability (inside the 99 % interval), not of the base design's."""
    spec = load_sweep(
        {
            "seed": 1,
            "trials": 6_000,
            "design": {
                "satellites": 30,
                "planes": 6,
                "repair": False,
                "mission_years": 2,
                "policies": [{"kind": "erasure", "k": 2, "m": 1}],
            },
            "grid": {"annual_failure_probability": [0.05, 0.2]},
        }
    )
    rows = run_sweep(spec).to_pylist()
    for row in rows:
        p = 1 - (1 - row["annual_failure_probability"]) ** 2  # F(2 yr) for exponential
        lo, hi = wilson_interval(row["lost"], row["trials"], 0.99)
        assert lo <= stats.binom.sf(1, 3, p) <= hi
        assert not math.isnan(row["mean_time_to_loss_years"])
    assert rows[1]["p_loss"] > 3 * rows[0]["p_loss"]


def test_sweep_file_errors_name_file_line_and_field(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\n"
        "trials: 100\n"
        "design:\n"
        "  satellites: 10\n"
        "  planes: 2\n"
        "  mission_yrs: 5\n"
        "  policies:\n"
        "    - {kind: erasure, k: 0, m: 2}\n"
        "grid:\n"
        "  satelites: [10, 20]\n"
    )
    with pytest.raises(SweepError) as info:
        load_sweep(bad)
    text = str(info.value)
    assert f"{bad}:6: design.mission_yrs: unknown field 'mission_yrs'" in text
    assert f"{bad}:8: design.policies[0].k: Input should be greater than or equal to 1" in text
    with pytest.raises(SweepError, match="grid: unknown design field 'satelites'; allowed: "):
        load_sweep({**SMALL, "grid": {"satelites": [10]}})
    with pytest.raises(ValueError, match=r"grid point 1 \(planes=2\): policy 'ec4\+2' needs 6"):
        load_sweep({**SMALL, "grid": {"planes": [8, 2]}}).point_designs()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('a: &a ["x","x","x","x","x","x","x","x","x"]\n'
         + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n"
                   for p, c in zip("abcdefg", "bcdefgh", strict=True)),
         "aliases expand this document"),
        ("name: x\x01\n", "character U+0001 is not allowed"),
        ("[" * 200 + "]" * 200 + "\n", "nested deeper than"),
    ],
)  # fmt: skip
def test_sweep_files_are_read_under_the_scenario_limits(tmp_path: Path, text, message):
    """A sweep file gets the scenario loader's limits: an alias bomb (9^8 values), a control
    character and deep nesting are refused at once with one SweepError, never a hang."""
    bad = tmp_path / "bomb.yaml"
    bad.write_text(text)
    t0 = time.perf_counter()
    with pytest.raises(SweepError, match=re.escape(message)):
        load_sweep(bad)
    assert time.perf_counter() - t0 < 1.0


def test_cli_writes_parquet_and_fails_cleanly(tmp_path: Path):
    assert "durability" in list_sweeps()
    assert load_sweep("durability").trials == 10_000
    src = tmp_path / "s.yaml"
    src.write_text(
        "name: cli\ntrials: 600\nseed: 3\n"
        "design:\n  policies:\n    - {kind: replication, copies: 3}\n"
        "grid:\n  storms_per_year: [0.0, 1.0]\n"
    )
    out = tmp_path / "r.parquet"
    runner = CliRunner()
    res = runner.invoke(app, ["sweep", str(src), "-o", str(out), "--workers", "1"])
    assert res.exit_code == 0, res.output
    table = pq.read_table(out)
    assert table.column("storms_per_year").to_pylist() == [0.0, 1.0]
    assert b"orbitcloud.reliability.sweep" in table.schema.metadata
    res = runner.invoke(app, ["sweep", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 2
    assert "no such file and no built-in sweep" in res.output
