"""Report and CZML scene of a small real run (milsca, 3 h), checked against the run's own
tables read independently (pyarrow + plain Python), not against the report code.

Oracles: brute-force pair sets and interval unions in pure Python over contacts.parquet;
positions.parquet rows at the sampled times; the sunlit column for eclipse colours; the stdlib
HTML parser for external URLs; PNG/SVG signatures; the decimation rule's own inequalities
(hypothesis).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from orbitcloud.cli import app
from orbitcloud.report import RunFolderError, open_run_folder, write_czml, write_report
from orbitcloud.report.czml import (
    ECLIPSE_RGBA,
    MAX_POSITION_SAMPLES,
    MIN_SAMPLES_PER_ORBIT,
    SUNLIT_RGBA,
    sample_stride,
)
from orbitcloud.report.html import render_report
from orbitcloud.run.folder import write_run_folder
from orbitcloud.run.pipeline import run_pipeline
from orbitcloud.scenario import load_scenario
from orbitcloud.summary import summarise

ONE_METRE_M = 1.0
BASE_SECTIONS = {"summary", "coverage", "contacts", "power", "scene", "files"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sc = load_scenario("milsca").model_copy(update={"duration_s": 2 * 3600.0})
    result = run_pipeline(sc)
    return write_run_folder(result, summarise(result), tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def scene(run_dir: Path) -> list[dict[str, Any]]:
    return json.loads(write_czml(run_dir).read_text())


@pytest.fixture(scope="module")
def plain_report(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report.html of the run without other services' files."""
    return write_report(_plain(_copy(run_dir, tmp_path_factory.mktemp("plain"))))


@pytest.fixture(scope="module")
def full_report(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report.html of the run with small synthetic files of every other service."""
    base = _plain(_copy(run_dir, tmp_path_factory.mktemp("full")))
    _add_other_services(base)
    return write_report(base)


def _copy(run_dir: Path, tmp_path: Path) -> Path:
    dst = tmp_path / run_dir.name
    shutil.copytree(run_dir, dst)
    return dst


OTHER_SERVICES = (
    "routes.parquet",
    "jobs.parquet",
    "events.parquet",
    "storage.parquet",
    "assessment.json",
)


def _plain(folder: Path) -> Path:
    """The folder without what other services add (their files and metrics.json blocks)."""
    for name in OTHER_SERVICES:
        (folder / name).unlink(missing_ok=True)
    metrics = json.loads((folder / "metrics.json").read_text())
    for key in ("compute", "storage", "restore", "security"):
        metrics.pop(key, None)
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder


def _sections(html_text: str) -> set[str]:
    return set(re.findall(r'<section id="([a-z]+)">', html_text))


def _add_other_services(folder: Path) -> None:
    """Small synthetic files of the shapes the other services write."""
    t = np.repeat([0.0, 60.0, 120.0], 2)
    pq.write_table(
        pa.table(
            {
                "t_s": t,
                "src": ["Kiruna", "Redu"] * 3,
                "dst": ["Malindi", "Matera"] * 3,
                "rtt_ms": [30.0, 20.0, 31.0, 21.0, 32.0, float("nan")],
                "hops": [3, 2, 3, 2, 4, -1],
                "path": [["a", "b"], ["c"], ["a", "b"], ["c", "d"], ["a", "x"], []],
            }
        ),
        folder / "routes.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "job_id": ["j1", "j2", "j3"],
                "tenant": ["t", "t", "u"],
                "mode": ["orbit", "ground", "orbit"],
                "node": ["milsca-0-0", "Redu", "milsca-1-1"],
                "submitted_s": [0.0, 10.0, 20.0],
                "started_s": [5.0, 900.0, 30.0],
                "finished_s": [60.0, 960.0, 90.0],
                "delivered_s": [600.0, 3000.0, float("nan")],
                "deadline_s": [3600.0] * 3,
                "energy_j": [1e5, 2e5, 1e5],
                "retries": [0, 0, 1],
                "input_bytes": [1e9] * 3,
                "output_bytes": [1e6] * 3,
                "downlink_bytes": [1e6, 1e9, 0.0],
                "status": ["done", "late", "unfinished"],
            }
        ),
        folder / "jobs.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "t_s": [10.0, 20.0, 500.0],
                "service": ["storage", "storage", "faults"],
                "kind": ["object_put", "repair_done", "satellite_loss"],
                "node": ["milsca-0-0", "milsca-0-1", "milsca-2-2"],
                "subject": ["k1", "k1", ""],
                "value": [1e6, 5e5, float("nan")],
                "detail": ["", "", ""],
            }
        ),
        folder / "events.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "tenant": ["difesa", "difesa", "civil"],
                "key": ["a", "b", "c"],
                "size_bytes": [1_000_000, 2_000_000, 3],
                "policy": ["erasure-4+2", "erasure-4+2", "replication-3"],
                "put_s": [0.0, 10.0, 20.0],
                "durable_s": [100.0, 400.0, 30.0],
                "readable": [True, False, True],
                "lost": [False, True, False],
            }
        ),
        folder / "storage.parquet",
    )
    assessment = {
        "currency": "EUR",
        "orbital": {"co2e_kg_per_kwh": 0.61, "water_l_per_kwh": 0.2, "cost_per_kwh": 1.7},
        "ground": {"co2e_kg_per_kwh": 0.25, "water_l_per_kwh": 1.9, "cost_per_kwh": 0.12},
        "break_even": {"launcher_kgco2e_per_kg": 123.0, "carbon_payback_years": 9.0},
        "sensitivity": [
            {
                "parameter": "launcher_kgco2e_per_kg",
                "unit": "kg/kg",
                "low": 100,
                "high": 1000,
                "metric": "orbital_co2e_kg_per_kwh",
                "metric_at_low": 0.3,
                "metric_at_high": 1.4,
            }
        ],
        "assumptions": ["an assumption in plain words"],
    }
    (folder / "assessment.json").write_text(json.dumps(assessment))


def test_sections_appear_for_what_the_run_contains(plain_report: Path, full_report: Path) -> None:
    """A plain run gets summary/coverage/contacts/power/scene/files and nothing else; adding
    routes, jobs, storage/events and assessment files adds exactly their sections; a
    metrics.json block alone is enough for its section; removing a file removes it."""
    assert _sections(plain_report.read_text()) == BASE_SECTIONS
    assert _sections(full_report.read_text()) == BASE_SECTIONS | {
        "routes",
        "compute",
        "storage",
        "assessment",
    }
    plain = open_run_folder(plain_report.parent)
    metrics = json.loads((plain.path / "metrics.json").read_text())
    (plain.path / "metrics.json").write_text(json.dumps({**metrics, "compute": {"jobs": 3}}))
    with_block = render_report(open_run_folder(plain.path), {})
    (plain.path / "metrics.json").write_text(json.dumps(metrics))
    assert _sections(with_block) == (BASE_SECTIONS - {"scene"}) | {"compute"}
    full = full_report.parent
    (full / "jobs.parquet").rename(full / "jobs.parquet.bak")
    try:
        without_jobs = render_report(open_run_folder(full), {})
    finally:
        (full / "jobs.parquet.bak").rename(full / "jobs.parquet")
    assert "compute" not in _sections(without_jobs)
    assert "routes" in _sections(without_jobs)


class _Resources(HTMLParser):
    """Collects every attribute value and the contents of <style>/<script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.code: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.code.extend(v or "" for _, v in attrs)
        self._in_code = tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code:
            self.code.append(data)


def test_report_has_no_external_urls(full_report: Path) -> None:
    """No attribute, style or script in report.html names an http(s) URL: it opens offline
    (URLs may only appear as text, e.g. in a scenario description)."""
    text = full_report.read_text()
    parser = _Resources()
    parser.feed(text)
    assert parser.code, "the parser saw the page's attributes"
    offending = [c[:80] for c in parser.code if re.search(r"https?://", c)]
    assert offending == []
    assert re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text) is None
    assert "<script" not in text


def test_figures_are_written_as_png_and_svg(full_report: Path) -> None:
    """Each section's figures exist in figures/ as a valid PNG and a parseable SVG."""
    base = full_report.parent
    want = {
        "ground_tracks",
        "coverage",
        "contact_timeline",
        "links_over_time",
        "route_latency",
        "path_changes",
        "eclipses",
        "power",
        "storage",
        "events",
        "compute",
        "assessment",
        "tornado",
    }
    fig_dir = base / "figures"
    assert {p.stem for p in fig_dir.glob("*.png")} == want
    assert {p.stem for p in fig_dir.glob("*.svg")} == want
    for key in want:
        assert (fig_dir / f"{key}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = (fig_dir / f"{key}.svg").read_text()
        assert "<svg" in svg
        assert svg.rstrip().endswith("</svg>")


def _pairs_by_brute_force(run_dir: Path) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """Undirected pairs of contacts.parquet and the union of their windows, in plain Python."""
    rows = pq.read_table(run_dir / "contacts.parquet").to_pylist()
    by_pair: dict[tuple[str, str], list[tuple[float, float]]] = {}
    sats = {r["src"] for r in rows if r["kind"] != "uplink"}
    for r in rows:
        a, b = r["src"], r["dst"]
        key = (a, b) if a in sats and (b not in sats or a < b) else (b, a)
        by_pair.setdefault(key, []).append((r["start_s"], r["end_s"]))
    union = {}
    for key, ws in by_pair.items():
        merged: list[list[float]] = []
        for s, e in sorted(ws):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        union[key] = [(s, e) for s, e in merged]
    return union


def test_czml_entities_are_satellites_stations_and_links(
    run_dir: Path, scene: list[dict[str, Any]]
) -> None:
    """One packet per satellite, per station and per linked pair (both directions of a link
    and of an ISL are one line), as counted from the run's tables directly."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    sats = set(pq.read_table(run_dir / "positions.parquet").column("sat").to_pylist())
    stations = {g["name"] for g in manifest["scenario"]["ground_stations"]}
    pairs = _pairs_by_brute_force(run_dir)
    ids = [p["id"] for p in scene[1:]]
    assert scene[0]["id"] == "document"
    assert len(ids) == len(set(ids))
    assert {i for i in ids if i.startswith("sat/")} == {f"sat/{s}" for s in sats}
    assert {i for i in ids if i.startswith("gs/")} == {f"gs/{g}" for g in stations}
    assert {i for i in ids if i.startswith("link/")} == {f"link/{a}/{b}" for a, b in pairs}
    assert len(ids) == len(sats) + len(stations) + len(pairs)
    assert any(a in sats and b in sats for a, b in pairs), "the run has ISLs"


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_link_lines_show_exactly_while_linked(run_dir: Path, scene: list[dict[str, Any]]) -> None:
    """A link's availability intervals are the union of its windows (both directions)."""
    epoch = _parse_time(scene[0]["clock"]["currentTime"])
    pairs = _pairs_by_brute_force(run_dir)
    for p in scene:
        if not p["id"].startswith("link/"):
            continue
        _, a, b = p["id"].split("/")
        got = []
        for iv in p["availability"]:
            s, e = iv.split("/")
            got.append(
                ((_parse_time(s) - epoch).total_seconds(), (_parse_time(e) - epoch).total_seconds())
            )
        want = pairs[(a, b)]
        assert len(got) == len(want)
        assert np.max(np.abs(np.subtract(got, want))) < 1e-5


def test_czml_positions_equal_positions_parquet(run_dir: Path, scene: list[dict[str, Any]]) -> None:
    """Every CZML sample equals the positions.parquet row of that satellite and time, to the
    metre (positions are rounded to whole metres)."""
    table = pq.read_table(run_dir / "positions.parquet").to_pylist()
    truth = {(r["sat"], r["t_s"]): (r["x_km"], r["y_km"], r["z_km"]) for r in table}
    checked = 0
    for p in scene:
        if not p["id"].startswith("sat/"):
            continue
        name = p["id"][4:]
        assert p["position"]["referenceFrame"] == "FIXED"
        s = np.asarray(p["position"]["cartesian"], dtype=float).reshape(-1, 4)
        want = np.array([truth[(name, t)] for t in s[:, 0]]) * 1e3
        assert np.max(np.abs(s[:, 1:] - want)) <= 0.5 * ONE_METRE_M + 1e-6
        checked += s.shape[0]
    assert checked == len(table), "this small run keeps every sample"


def test_eclipse_colour_follows_the_sunlit_column(
    run_dir: Path, scene: list[dict[str, Any]]
) -> None:
    """At each sample time, the point colour is gold in sunlight and blue in eclipse, as
    positions.parquet's sunlit column says."""
    table = pq.read_table(run_dir / "positions.parquet").to_pylist()
    sunlit = {(r["sat"], r["t_s"]): r["sunlit"] for r in table}
    for p in scene:
        if not p["id"].startswith("sat/"):
            continue
        name = p["id"][4:]
        c = np.asarray(p["point"]["color"]["rgba"], dtype=float).reshape(-1, 5)
        times = np.asarray(p["position"]["cartesian"], dtype=float).reshape(-1, 4)[:, 0]
        # colour in effect at t: the last colour sample at or before t (switches take 1 s)
        idx = np.searchsorted(c[:, 0], times, side="right") - 1
        for t, i in zip(times, idx, strict=True):
            want = SUNLIT_RGBA if sunlit[(name, t)] else ECLIPSE_RGBA
            assert tuple(c[i, 1:].astype(int)) == want


@settings(max_examples=300, deadline=None)
@given(
    n_sat=st.integers(1, 30_000),
    n_time=st.integers(2, 20_000),
    step_s=st.floats(1.0, 600.0),
    period_s=st.floats(5_000.0, 50_000.0),
)
def test_decimation_bounds(n_sat: int, n_time: int, step_s: float, period_s: float) -> None:
    """The kept samples fit the budget, the stride never drops below MIN_SAMPLES_PER_ORBIT per
    orbit, and when the whole run fits, no smaller stride would have."""
    stride, n_keep = sample_stride(n_sat, n_time, step_s, period_s)
    whole = len(range(0, n_time, stride))
    assert 1 <= n_keep <= whole
    if MAX_POSITION_SAMPLES // n_sat >= 2:
        assert n_sat * n_keep <= MAX_POSITION_SAMPLES
    if stride > 1:
        assert stride * step_s <= period_s / MIN_SAMPLES_PER_ORBIT + 1e-9
    if n_keep == whole and stride > 1:
        assert n_sat * math.ceil(n_time / (stride - 1)) > MAX_POSITION_SAMPLES


def test_report_cli_prints_the_path_and_rejects_other_folders(
    run_dir: Path, tmp_path: Path
) -> None:
    """`orbitcloud report RUN_DIR` prints report.html's path; a folder without manifest.json
    exits 1 with a one-line reason."""
    base = _plain(_copy(run_dir, tmp_path))
    res = CliRunner().invoke(app, ["report", str(base)])
    assert res.exit_code == 0, res.output
    assert str(base / "report.html") in res.output.replace("\n", "")
    assert (base / "scene.czml").is_file()
    bad = CliRunner().invoke(app, ["report", str(tmp_path / "nothing-here")])
    assert bad.exit_code == 1
    with pytest.raises(RunFolderError, match=r"manifest\.json"):
        open_run_folder(tmp_path)
