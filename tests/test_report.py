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
    COMPROMISED_RGBA,
    DETECTED_RGBA,
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
    "users.parquet",
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
    """Undirected pairs of contacts.parquet and the union of their windows, in plain Python
    (user links included: a user is a leaf, like a station, so its pair is (sat, user))."""
    rows = pq.read_table(run_dir / "contacts.parquet").to_pylist()
    by_pair: dict[tuple[str, str], list[tuple[float, float]]] = {}
    sats = {r["src"] for r in rows if r["kind"] != "uplink"}
    manifest = json.loads((run_dir / "manifest.json").read_text())
    users = {u["name"] for u in manifest["scenario"].get("users", [])}
    sats -= users  # a user's downlink contacts have the satellite as src, never the user
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
    rogues = {
        t["name"] for t in manifest["scenario"]["threats"] if t["kind"] == "rogue_ground_station"
    }
    jammers = {t["name"] for t in manifest["scenario"]["threats"] if t["kind"] == "jamming"}
    ids = [p["id"] for p in scene[1:]]
    assert scene[0]["id"] == "document"
    assert len(ids) == len(set(ids))
    assert {i for i in ids if i.startswith("sat/")} == {f"sat/{s}" for s in sats}
    assert {i for i in ids if i.startswith("gs/")} == {f"gs/{g}" for g in stations}
    assert {i for i in ids if i.startswith("rogue/")} == {f"rogue/{r}" for r in rogues}
    users = {u["name"] for u in manifest["scenario"].get("users", [])}
    assert users and {i for i in ids if i.startswith("user/")} == {f"user/{u}" for u in users}
    assert {i for i in ids if i.startswith("link/")} == {f"link/{a}/{b}" for a, b in pairs}
    assert {i for i in ids if i.startswith("jammer/")} == {f"jammer/{j}" for j in jammers}
    n_ids = len(sats) + len(stations) + len(rogues) + len(jammers) + len(users) + len(pairs)
    assert len(ids) == n_ids
    assert any(a in sats and b in sats for a, b in pairs), "the run has ISLs"
    assert any(b in users for _, b in pairs), "the run has user links"


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


def test_czml_user_tracks_equal_skyfield_wgs84_positions(
    run_dir: Path, scene: list[dict[str, Any]]
) -> None:
    """Each user's sampled CZML position equals its track at that time, within 1 m: the
    geodetic point (from orbitcloud.orbits.tracks) as skyfield's WGS84 Earth-fixed position;
    samples at the satellites' sample times."""
    from skyfield.api import wgs84

    from orbitcloud.orbits.tracks import user_geodetic
    from orbitcloud.scenario.users import User

    manifest = json.loads((run_dir / "manifest.json").read_text())
    sat_t = {tuple(np.asarray(p["position"]["cartesian"]).reshape(-1, 4)[:, 0])
             for p in scene if p["id"].startswith("sat/")}  # fmt: skip
    (times,) = sat_t
    n = 0
    for d in manifest["scenario"]["users"]:
        (p,) = [p for p in scene if p["id"] == f"user/{d['name']}"]
        s = np.asarray(p["position"]["cartesian"], dtype=float).reshape(-1, 4)
        assert tuple(s[:, 0]) == times and p["position"]["referenceFrame"] == "FIXED"
        lat, lon, alt = (x[0] for x in user_geodetic([User.model_validate(d)], s[:, 0]))
        want = np.stack([wgs84.latlon(a, b, elevation_m=h).itrs_xyz.m
                         for a, b, h in zip(lat, lon, alt, strict=True)])  # fmt: skip
        assert np.max(np.abs(s[:, 1:] - want)) <= ONE_METRE_M
        n += 1
    assert n == 4


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
        colour = p["point"]["color"]
        times = np.asarray(p["position"]["cartesian"], dtype=float).reshape(-1, 4)[:, 0]
        if isinstance(colour, list):  # a compromised satellite: eclipse colours until t_s
            epoch = _parse_time(colour[0]["interval"].split("/")[0])
            t_s = (_parse_time(colour[0]["interval"].split("/")[1]) - epoch).total_seconds()
            colour = colour[0]
            times = times[times < t_s]
        c = np.asarray(colour["rgba"], dtype=float).reshape(-1, 5)
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


# --- security and resilience (threats) -----------------------------------------------------


@pytest.fixture(scope="module")
def security_report(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report.html of the milsca run as written (its threats: milsca-1-2 compromised at
    900 s, detected at 1,140 s; Rogue-Tunis from 600 s for 600 s)."""
    return write_report(_copy(run_dir, tmp_path_factory.mktemp("security")))


def _section(html_text: str, sid: str) -> str:
    start = html_text.index(f'<section id="{sid}">')
    return html_text[start : html_text.index("</section>", start)]


def _text(fragment: str) -> str:
    """The visible text of an HTML fragment (tags dropped, entities unescaped)."""
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", " ", re.sub(r'src="[^"]*"', "", fragment)))


def _rows(fragment: str, heading: str) -> list[list[str]]:
    """The body rows (cell texts) of the first table after ``heading`` in ``fragment``."""
    import html as html_lib

    start = fragment.index(heading)
    table = fragment[fragment.index("<table>", start) : fragment.index("</table>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", table)[1:]
    return [[html_lib.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows]


def _threats(run_dir: Path) -> dict[str, dict[str, Any]]:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return {t.get("target") or t["name"]: t for t in metrics["security"]["threats"]}


def test_security_section_appears_only_with_threats(
    security_report: Path, plain_report: Path, full_report: Path
) -> None:
    """The milsca run (one compromised satellite, one rogue station) gets a security section
    and its threat timeline figure; the same run without its metrics.json `security` block
    gets none, and the page says nothing of security or threats."""
    text = security_report.read_text()
    assert "security" in _sections(text)
    assert "figures/threat_timeline.png" in _section(text, "security")
    assert "Security" not in _section(text, "storage")  # moved out of the storage section
    for page in (plain_report, full_report):
        other = page.read_text()
        assert "security" not in _sections(other)
        assert not (page.parent / "figures" / "threat_timeline.png").exists()
        assert "threat" not in _text(other).lower()


def test_security_section_numbers_equal_the_tables(run_dir: Path, security_report: Path) -> None:
    """Per phase of the compromise (before it, compromised undetected, after detection) the
    jobs, on-time share and late jobs counted from jobs.parquet in plain Python; puts and
    durable objects from storage.parquet; the exposure equal to metrics.json's ciphertext
    bytes with 0 bytes of plaintext said in words; the rogue station's rejected attempts
    counted from events.parquet."""
    threats = _threats(run_dir)
    comp, rogue = threats["milsca-1-2"], threats["Rogue-Tunis"]
    t_s, det, end = comp["t_s"], comp["detected_s"], 2 * 3600.0
    assert (t_s, det) == (900.0, 1140.0)
    sec = _section(security_report.read_text(), "security")
    words = " ".join(_text(sec).split())
    assert f"{comp['exposed_ciphertext_bytes']:,} bytes of ciphertext" in words
    assert comp["exposed_ciphertext_bytes"] > 0
    assert "0 bytes of plaintext" in words
    assert "compromised at t = 900 s" in words and "detected at t = 1,140 s" in words

    jobs = pq.read_table(run_dir / "jobs.parquet").to_pylist()
    bounds = [(0.0, t_s), (t_s, det), (det, end)]
    want = []
    for i, (a, b) in enumerate(bounds):
        n = on_time = late = 0
        for r in jobs:
            t = r["submitted_s"] if r["submitted_s"] is not None else r["ready_s"]
            if not (a <= t < b or (i == 2 and t == b)):
                continue
            n += 1
            dl = r["deadline_s"] if r["deadline_s"] is not None else math.inf
            if r["delivered_s"] is not None:
                on_time += r["delivered_s"] <= dl
                late += r["delivered_s"] > dl
            else:
                late += dl <= end
        want.append((n, on_time, late))
    got = _rows(sec, "Jobs by phase")[:3]
    assert [r[0] for r in got] == [
        "before compromise",
        "compromised, undetected",
        "after detection",
    ]
    for row, (n, on_time, late) in zip(got, want, strict=True):
        assert int(row[3].replace(",", "")) == n
        assert float(row[4]) == pytest.approx(100 * on_time / (on_time + late), abs=0.05)
        assert int(row[5].replace(",", "")) == late
    assert want[2][0] > 100, "jobs keep being submitted after detection"

    objs = pq.read_table(run_dir / "storage.parquet").to_pylist()
    got_s = _rows(sec, "Storage by phase")[:3]
    for i, (row, (a, b)) in enumerate(zip(got_s, bounds, strict=True)):
        mine = [r for r in objs if a <= r["put_s"] < b or (i == 2 and r["put_s"] == b)]
        accepted = [r for r in mine if r["refusal"] is None]
        durable = [r for r in accepted if r["durable_s"] is not None]
        assert int(row[3]) == len(mine)
        assert int(row[4]) == len(mine) - len(accepted)
        assert float(row[5]) == pytest.approx(100 * len(durable) / len(accepted), abs=0.05)
    events = pq.read_table(run_dir / "events.parquet").to_pylist()
    rejected = [
        r["t_s"] for r in events if r["kind"] == "uplink_rejected" and r["node"] == "Rogue-Tunis"
    ]
    assert len(rejected) == rogue["uplinks_rejected"] == 5
    assert f"{len(rejected)} rejected" in words


def test_compromised_satellite_turns_amber_then_red(
    run_dir: Path, scene: list[dict[str, Any]]
) -> None:
    """The compromised satellite's point colour has intervals that switch at t_s (amber) and
    at detection (red), times computed here from the scene's epoch; its description says
    so. Other satellites keep one sampled colour."""
    threats = _threats(run_dir)
    epoch = _parse_time(scene[0]["clock"]["currentTime"])
    iso = [epoch + dt.timedelta(seconds=threats["milsca-1-2"][k]) for k in ("t_s", "detected_s")]
    (sat,) = [p for p in scene if p["id"] == "sat/milsca-1-2"]
    colour = sat["point"]["color"]
    assert isinstance(colour, list) and len(colour) == 3
    spans = [tuple(_parse_time(x) for x in c["interval"].split("/")) for c in colour]
    assert spans[0][0] == epoch
    assert spans[0][1] == spans[1][0] == iso[0]
    assert spans[1][1] == spans[2][0] == iso[1]
    assert spans[2][1] == epoch + dt.timedelta(hours=2)
    assert tuple(colour[1]["rgba"]) == COMPROMISED_RGBA
    assert tuple(colour[2]["rgba"]) == DETECTED_RGBA
    assert len(colour[0]["rgba"]) % 5 == 0  # eclipse colours sampled before the compromise
    assert "compromised at t = 900 s" in sat["description"]
    assert "detected at t = 1,140 s" in sat["description"]
    others = [p for p in scene if p["id"].startswith("sat/") and p["id"] != "sat/milsca-1-2"]
    assert all(isinstance(p["point"]["color"], dict) for p in others)


def test_rogue_station_has_an_entity_of_its_own(scene: list[dict[str, Any]]) -> None:
    """Rogue-Tunis is a `rogue/` entity at its coordinates with its name, a style unlike the
    stations' and a description of its window and rejected attempts."""
    (rogue,) = [p for p in scene if p["id"] == "rogue/Rogue-Tunis"]
    (station,) = [p for p in scene if p["id"].startswith("gs/")][:1]
    assert rogue["name"].startswith("Rogue-Tunis")
    assert rogue["position"]["cartographicDegrees"][:2] == pytest.approx([10.2, 36.8])
    assert rogue["point"]["color"] != station["point"]["color"]
    assert rogue["point"]["pixelSize"] > station["point"]["pixelSize"]
    assert "Rogue-Tunis" in rogue["label"]["text"]
    assert "600 s to 1,200 s" in rogue["description"]
    assert "5 rejected" in rogue["description"]
