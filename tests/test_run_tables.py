"""Query-ready run-folder tables: the schema registry (orbitcloud.run.tables) against its
generated reference, conform's NULLs, run ids and UTC timestamps against datetime arithmetic,
and DuckDB over a folder of two runs, with every SQL block of docs/duckdb.md executed and the
answers checked against pyarrow computations on the same files."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from orbitcloud.cli import app
from orbitcloud.examples import example_path
from orbitcloud.run.tables import TABLES, conform, table_schema, tables_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"
EPOCH = dt.datetime(2026, 3, 20, 12, 0, 0, tzinfo=dt.UTC)


def test_the_table_reference_is_generated_from_the_schemas() -> None:
    """docs/tables.md is what `python -m orbitcloud.run.tables` prints (it cannot drift)."""
    assert (DOCS / "tables.md").read_text() == tables_markdown()
    for t in TABLES:  # every column documented, each epoch time with its UTC twin
        names = t.arrow_schema().names
        assert names[0] == "run_id" and len(names) == len(set(names))
        for c in t.columns:
            assert c.doc and re.search(rf"\| `{c.name}` \|", tables_markdown())
            assert not c.epoch_time or c.name.removesuffix("_s") + "_utc" in names


def _bundles(arrival_s: list[float], dst: list[str | None]) -> pa.Table:
    n = len(arrival_s)
    return pa.table({
        "name": ["probe"] * n, "src": ["A"] * n, "send_s": [0.0, 10.5, 3600.25][:n],
        "arrival_s": arrival_s, "latency_s": [1.0] * n, "delivered": [True] * n,
        "hops": pa.array([1] * n, pa.int32()), "dst": pa.array(dst, pa.string()),
        "path": pa.array([["A", "B"]] * n, pa.list_(pa.string())), "owlt_s": [0.1] * n,
        "size_bytes": [1e3] * n,
    })  # fmt: skip


def test_conform_adds_run_id_utc_times_and_nulls() -> None:
    """run_id on every row; each <x>_utc equals epoch + <x>_s to the microsecond (datetime
    arithmetic as the oracle); NaN, infinity and "" become NULL in nullable columns and stay
    as they are elsewhere; the schema is exactly the registry's."""
    t = _bundles([5.0, math.nan, math.inf], ["B", "", None])
    out = conform("bundles.parquet", t, "demo-20260101T000000Z", EPOCH)
    assert out.schema.equals(table_schema("bundles.parquet").arrow_schema())
    assert out.column("run_id").to_pylist() == ["demo-20260101T000000Z"] * 3
    assert out.column("send_utc").to_pylist() == [
        EPOCH,
        EPOCH + dt.timedelta(seconds=10.5),
        EPOCH + dt.timedelta(seconds=3600.25),
    ]
    assert out.column("arrival_s").to_pylist() == [5.0, None, None]
    assert out.column("arrival_utc").to_pylist() == [EPOCH + dt.timedelta(seconds=5), None, None]
    assert out.column("dst").to_pylist() == ["B", None, None]
    assert out.column("name").to_pylist() == ["probe"] * 3  # not nullable: kept


def test_conform_refuses_a_table_that_drifted_from_its_schema() -> None:
    t = _bundles([1.0], ["B"]).rename_columns(
        [("to" if n == "dst" else n) for n in _bundles([1.0], ["B"]).column_names]
    )
    with pytest.raises(ValueError, match=r"bundles.parquet: the code writes columns"):
        conform("bundles.parquet", t, "r", EPOCH)
    wrong_type = _bundles([1.0], ["B"]).set_column(6, "hops", pa.array([1], pa.int64()))
    with pytest.raises(ValueError, match="column 'hops' is int64, its schema says int32"):
        conform("bundles.parquet", wrong_type, "r", EPOCH)


# --- DuckDB over two runs ------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tmp/runs holding milsca run for 1,200 s and for 1,800 s (storage, jobs, events), its
    objects read back at t = 1,000 s instead of midday so that some gets happen."""
    root = tmp_path_factory.mktemp("duck")
    text = Path(example_path("milsca")).read_text()
    quick = root / "milsca.yaml"
    quick.write_text(re.sub(r"get_t_s: *[0-9]+", "get_t_s: 1000", text))
    for d in ("1200", "1800"):
        res = CliRunner().invoke(
            app, ["run", str(quick), "--duration-s", d, "--workers", "1", "-o", str(root / "runs")]
        )
        assert res.exit_code == 0, res.output
    return root


def _sql_blocks() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", (DOCS / "duckdb.md").read_text(), re.S)


def _runs(root: Path) -> list[Path]:
    return sorted(p for p in (root / "runs").iterdir() if p.is_dir())


def test_every_documented_query_runs_and_returns_rows(
    two_runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(two_runs)
    blocks = _sql_blocks()
    assert len(blocks) == 5
    for sql in blocks:
        rows = duckdb.sql(sql).fetchall()
        assert rows, sql


def test_runs_side_by_side_and_utc_passes(two_runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Query 1 counts each run's contacts and capacity as pyarrow does on that run's file;
    query 2's first passes are the epoch plus the smallest downlink start_s of each station."""
    monkeypatch.chdir(two_runs)
    q1, q2 = _sql_blocks()[:2]
    got = {r[0]: r[1:] for r in duckdb.sql(q1).fetchall()}
    assert sorted(got) == [p.name for p in _runs(two_runs)]
    for folder in _runs(two_runs):
        c = pq.read_table(folder / "contacts.parquet")
        cap = np.sum((c["end_s"].to_numpy() - c["start_s"].to_numpy()) * c["rate_bps"].to_numpy())
        assert got[folder.name][0] == c.num_rows
        assert got[folder.name][1] == pytest.approx(cap / 8e9, rel=1e-12)
    for run_id, station, first, passes in duckdb.sql(q2).fetchall():
        c = pq.read_table(_runs(two_runs)[0].parent / run_id / "contacts.parquet").to_pylist()
        down = [r for r in c if r["kind"] == "downlink" and r["dst"] == station]
        epoch = dt.datetime.fromisoformat(
            pq.read_schema(two_runs / "runs" / run_id / "contacts.parquet")
            .metadata[b"orbitcloud.epoch"].decode()
        )  # fmt: skip
        want = epoch + dt.timedelta(seconds=min(r["start_s"] for r in down))
        assert abs((first - want).total_seconds()) < 1e-6 and passes == len(down)


def test_null_aggregates_and_name_joins(two_runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """avg(get_latency_s) is the mean over the objects read back (never NaN); the join on
    names finds, for each job, the first downlink of its own source after it was ready (checked
    row by row in Python); bytes per event kind equal the sum over the events of that unit."""
    monkeypatch.chdir(two_runs)
    _, _, q3, q4, q5 = _sql_blocks()
    for run_id, objects, gets, mean, _worst in duckdb.sql(q3).fetchall():
        rows = pq.read_table(Path("runs") / run_id / "storage.parquet").to_pylist()
        lat = [r["get_ready_s"] - r["get_s"] for r in rows if r["get_ready_s"] is not None]
        assert objects == len(rows) and gets == len(lat) > 0
        assert mean == pytest.approx(sum(lat) / len(lat), rel=1e-12)
    checked = 0
    for run_id, job_id, source, ready_utc, next_down in duckdb.sql(q4).fetchall():
        jobs = pq.read_table(Path("runs") / run_id / "jobs.parquet").to_pylist()
        job: dict[str, Any] = next(
            j for j in jobs if j["job_id"] == job_id and j["mode"] == "orbit"
        )
        assert job["source"] == source and job["ready_utc"] == ready_utc
        contacts = pq.read_table(Path("runs") / run_id / "contacts.parquet").to_pylist()
        starts = [c["start_utc"] for c in contacts if c["src"] == source
                  and c["kind"] == "downlink" and c["start_s"] >= job["ready_s"]]  # fmt: skip
        assert next_down == min(starts)
        checked += 1
    assert checked > 0
    for run_id, kind, total in duckdb.sql(q5).fetchall():
        ev = pq.read_table(Path("runs") / run_id / "events.parquet").to_pylist()
        want = sum(e["value"] for e in ev if e["kind"] == kind and e["unit"] == "bytes")
        assert total == pytest.approx(want, rel=1e-12)
        assert all(e["value"] is None for e in ev if e["unit"] is None)
