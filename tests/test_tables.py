"""Notebook views of the result objects: ``to_pandas`` is pyarrow's ``to_pandas`` of the same
``to_arrow`` table on every table object, and ``_repr_html_`` is well-formed (parsed as XML),
escapes names and shows counts that match the objects."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import importlib.util
import math
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from conftest import hand_plan, request_job
from orbitcloud import api
from orbitcloud.assess.report import Assessment, assess_scenario
from orbitcloud.faults.schedule import Draw, FaultSchedule
from orbitcloud.links.contactplan import ContactPlan, NodeTable
from orbitcloud.network.bundles import BundleTable
from orbitcloud.network.routes import RouteTable
from orbitcloud.network.transfers import TransferTable
from orbitcloud.sim.events import EventLog
from orbitcloud.storage.run import StorageReport, _Row
from orbitcloud.tables import HEAD_ROWS, ArrowTable, fmt_bytes, html_table
from test_assess import RUN, _small

ODD = "sat<&>'\"1"  # a name that needs escaping (the scenario loader never allows it)


def _plan(n_rows: int = 14) -> ContactPlan:
    rows = [
        (i % 2, 2 + i % 2, 10.0 * i, 10.0 * i + 5.0, 1e6 * (i + 1), 0.01) for i in range(n_rows)
    ]
    return hand_plan([ODD, "b", "Gs&1", "g2"], 2, rows)


def _routes(n_step: int = 6) -> RouteTable:
    t = np.arange(n_step, dtype=float) * 10.0
    rtt = np.tile(np.array([12.0, np.nan, 30.5]), (n_step, 1))
    hops = np.tile(np.array([2, -1, 3], np.int32), (n_step, 1))
    hashes = np.tile(np.array([7, 0, 9], np.uint64), (n_step, 1))
    hashes[n_step // 2 :, 0] = 8  # one path change for the first pair
    return RouteTable(t, ["A<1>", "A<1>", "B"], ["B", "C", "C"], rtt, hops, hashes, ["x", "y"])


def _transfers() -> TransferTable:
    nan = math.nan
    return TransferTable(
        ["t0", "t1"], ["a", "b"], ["b", "a"], np.array([1e6, 2e6]), np.array([0.0, 5.0]),
        np.array([10.0, nan]), np.array([10.1, nan]), np.array([1e6, 5e5]),
        np.array([8e5, nan]), np.array([True, False]),
    )  # fmt: skip


def _bundles() -> BundleTable:
    return BundleTable(
        np.array([0.0, 1.0]), np.array([5.0, math.nan]), np.array([2, 0], np.int32),
        ["g", ""], np.array([0.1, 0.0]), np.array([1e3, 1e3]), ["s", "s"],
        [["s", "r", "g"], []], ["b0", "b1"],
    )  # fmt: skip


def _events() -> EventLog:
    log = EventLog()
    log.add(5.0, "compute", "job_finished", "sat1", "3", 1.5, "ok")
    log.add(1.0, "storage", "shard_lost", "sat2")
    return log


def _faults() -> FaultSchedule:
    return FaultSchedule.from_events(
        [Draw(3.0, "satellite_loss", "s1", math.inf), Draw(1.0, "station_outage", "g", 60.0)]
    )


def _storage() -> StorageReport:
    rows = [
        _Row("t", "b", "k1", 100, "erasure", "g", 1.0, "x", durable_s=2.0, readable=True),
        _Row("t", "b", "k2", 200, "replication", "g", 3.0, "y", refusal="full"),
    ]
    return StorageReport(rows=rows)


#: (object, to_arrow arguments) for every table object
TABLES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "contacts": (_plan(), ()),
    "routes": (_routes(), ()),
    "transfers": (_transfers(), ()),
    "bundles": (_bundles(), ()),
    "jobs": (request_job("station", [2], 1, 1e6), ()),
    "jobs_named": (request_job("station", [2], 1, 1e6), ([ODD, "b", "g"],)),
    "events": (_events(), ()),
    "faults": (_faults(), ()),
    "storage": (_storage(), ()),
}


@pytest.mark.parametrize("name", TABLES)
def test_to_pandas_is_pyarrows_to_pandas_of_to_arrow(name: str):
    """Same frame (values, column order, dtypes) as pyarrow's conversion of ``to_arrow``, one
    row per row of the object; every table object gets it from the one mixin."""
    obj, args = TABLES[name]
    assert isinstance(obj, ArrowTable)
    assert type(obj).to_pandas is ArrowTable.to_pandas
    table = obj.to_arrow(*args)
    df = obj.to_pandas(*args)
    assert isinstance(df, pd.DataFrame)
    pd.testing.assert_frame_equal(df, table.to_pandas())
    assert list(df.columns) == table.column_names
    assert len(df) == table.num_rows
    if isinstance(obj, RouteTable):
        n_rows = obj.rtt_ms.size  # long form: one row per (step, pair)
    elif isinstance(obj, StorageReport):
        n_rows = len(obj.rows)
    else:
        n_rows = len(obj)
    assert len(df) == n_rows


def test_to_pandas_dtypes_of_the_contact_plan():
    """Float columns stay float64, dictionary-encoded strings become categoricals whose
    values are the node names."""
    plan = _plan()
    df = plan.to_pandas()
    for col in ("start_s", "end_s", "rate_bps", "owlt_s", "range_km"):
        assert df[col].dtype == np.float64
        np.testing.assert_array_equal(df[col].to_numpy(), getattr(plan, col))
    assert isinstance(df["kind"].dtype, pd.CategoricalDtype)
    names = np.asarray(plan.nodes.names, dtype=object)
    src_col = plan.to_arrow().column_names[0]  # the source column, whatever its name
    assert df[src_col].astype(str).tolist() == names[plan.src].tolist()


def test_to_pandas_names_pandas_when_it_is_missing(monkeypatch: pytest.MonkeyPatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "pandas" else real(n, *a)
    )
    with pytest.raises(ImportError, match=r"pip install pandas"):
        _events().to_pandas()


# --- _repr_html_ ------------------------------------------------------------------------------


def _parse(fragment: str) -> ET.Element:
    """The fragment as XML (so it is well-formed: one root, closed tags, only XML entities)."""
    return ET.fromstring(fragment)


def _items(root: ET.Element) -> dict[str, str]:
    """The summary's ``name: value`` rows (th/td pairs)."""
    out = {}
    for tr in root.iter("tr"):
        th, td = tr.find("th"), tr.find("td")
        if th is not None and td is not None:
            out[th.text or ""] = td.text or ""
    return out


def _body_rows(table: ET.Element) -> list[list[str]]:
    body = table.find("tbody")
    assert body is not None
    return [[td.text or "" for td in tr.findall("td")] for tr in body.findall("tr")]


def test_html_table_escapes_every_cell_and_header():
    frag = html_table(["a<b", "c"], [["<script>", 1.5], [None, [1, "x&y"]]], caption="1 & 2")
    assert "<script>" not in frag and "&lt;script&gt;" in frag
    root = _parse(frag)
    assert [th.text for th in root.iter("th")] == ["a<b", "c"]
    assert _body_rows(root) == [["<script>", "1.5"], ["", "[1, x&y]"]]
    assert root.find("caption") is not None


def test_contact_plan_html_counts_span_capacity_and_first_rows():
    plan = _plan(14)
    frag = plan._repr_html_()
    assert ODD not in frag and html.escape(ODD) in frag
    root = _parse(frag)
    items = _items(root)
    assert items["contacts"].startswith(f"{len(plan):,} (")
    kinds = pc.value_counts(plan.to_arrow().column("kind").combine_chunks().dictionary_decode())
    for entry in kinds.to_pylist():
        assert f"{entry['counts']:,} {entry['values']}" in items["contacts"]
    assert items["nodes"].startswith("4 (2 satellites, 2 ground)")
    assert "2026-01-01 00:00:00 UTC to 2026-01-01 00:16:40 UTC" in items["span"]
    t = plan.to_arrow()
    volume = pc.sum(pc.multiply(t["rate_bps"], pc.subtract(t["end_s"], t["start_s"]))).as_py()
    assert items["total capacity"].startswith(fmt_bytes(volume / 8.0))
    head = root.findall("table")[-1]
    rows = _body_rows(head)
    assert len(rows) == HEAD_ROWS < len(plan)
    assert rows[0][0] == ODD  # escaped in the markup, the name itself once parsed
    cap = head.find("caption")
    assert cap is not None and cap.text == f"first {HEAD_ROWS} of {len(plan)} rows"
    assert [th.text for th in head.iter("th")] == t.column_names
    assert "14 contacts" in repr(plan) and "\n" not in repr(plan)


def test_route_table_html_counts_pairs_steps_and_reachability():
    rt = _routes(6)
    root = _parse(rt._repr_html_())
    items = _items(root)
    assert items["pairs"] == "3" and items["steps"] == "6"
    assert items["reachable"] == f"{(rt.hops >= 0).mean():.1%} of pair-steps"
    assert items["median rtt_ms"] == f"{np.nanmedian(rt.rtt_ms):.3f} ms"
    assert items["path changes"] == "1"
    rows = _body_rows(root.findall("table")[-1])
    assert len(rows) == HEAD_ROWS
    assert rows[0][1] == "A<1>"
    assert repr(rt) == "RouteTable(3 pairs × 6 steps, t 0–50 s)"


@pytest.fixture(scope="module")
def iss_run() -> Any:
    """iss-node for 6 h under a name that needs escaping."""
    sc = api.load_scenario("iss-node").model_copy(update={"duration_s": 6 * 3600.0})
    return api.run(sc.model_copy(update={"name": "iss<&>"}))


def test_run_result_html_lists_stages_and_table_rows(iss_run: Any):
    frag = iss_run._repr_html_()
    assert "iss<&>" not in frag
    root = _parse(frag)
    items = _items(root)
    assert items["scenario"] == "iss<&>"
    for stage in iss_run.timings_s:
        assert stage in items["stages run"]
    rows = dict(_body_rows(root.findall("table")[-1]))
    assert rows["contacts"] == f"{len(iss_run.contacts):,}"
    assert rows["events"] == str(len(iss_run.events))
    assert {k: f"{v:,}" for k, v in iss_run.table_rows().items()} == rows
    assert repr(iss_run).startswith("RunResult('iss<&>', ") and "\n" not in repr(iss_run)


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    """test_assess's hand case (one 10 kW module, everything stated), 100 trials."""
    sc = _small(uncertainty_trials=100)
    # the loader allows no such name; the record may still hold one
    return dataclasses.replace(assess_scenario(sc, RUN), scenario="small<1>")


def test_assessment_html_is_the_comparison_table(assessment: Assessment):
    frag = assessment._repr_html_()
    assert "small<1>" not in frag
    root = _parse(frag)
    items = _items(root)
    assert items["scenario"] == "small<1>"
    be = assessment.break_even
    assert items["orbit can win on CO2e"] == str(be["orbit_can_win_co2e"])
    assert items["break-even launcher"] == f"{be['launcher_kgco2e_per_kg']:.4g} kgCO2e/kg"
    table = root.findall("table")[-1]
    assert _body_rows(table) == [list(r) for r in assessment.rows()]
    r = repr(assessment)
    assert r.startswith("Assessment('small<1>': ") and "\n" not in r


def test_plan_html_of_an_empty_plan():
    nodes = NodeTable(["a", "g"], 1, ["c", "ground"], ["", "IT"])
    z = np.zeros(0)
    plan = ContactPlan(
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 60.0, nodes, z.astype(np.int32),
        z.astype(np.int32), z, z, z, z, z, z.astype(np.uint8),
    )  # fmt: skip
    root = _parse(plan._repr_html_())
    assert _items(root)["contacts"].startswith("0 (")
    assert _body_rows(root.findall("table")[-1]) == []
    assert plan.to_pandas().shape == (0, pa.table(plan.to_arrow()).num_columns)
