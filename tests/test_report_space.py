"""Report sections of runs with nodes beyond Earth orbit (mars-relay, lonestar), and their
absence from an Earth-orbit run (iss-node), checked against the run folder's own files.

Oracles: contacts.parquet and bundles.parquet read with pyarrow (min/max light time,
delivered fraction, median latency), the space nodes and stations taken from manifest.json
in plain Python, gaps in the Earth contacts by a pure-Python sweep over the windows, the stdlib
HTML parser, and matplotlib's PNG reader for the embedded figures.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import matplotlib.image as mpimg
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from orbitcloud.cli import app
from orbitcloud.report import write_report

SPACE_SECTIONS = {"space_distance", "space_contacts", "space_latency"}
SPACE_FIGURES = {"space_light_time", "space_timeline", "bundle_latency"}
DAY_S = 86400.0


class _Page(HTMLParser):
    """Section ids, the images of each section and the text of each section."""

    def __init__(self) -> None:
        super().__init__()
        self.section = ""
        self.images: dict[str, list[tuple[str, str]]] = {}
        self.text: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.section = a.get("id") or ""
            self.images[self.section] = []
            self.text[self.section] = []
        if tag == "img":
            self.images[self.section].append((a.get("alt") or "", a.get("src") or ""))

    def handle_data(self, data: str) -> None:
        if self.section:
            self.text[self.section].append(data)

    def section_text(self, sid: str) -> str:
        return re.sub(r"\s+", " ", "".join(self.text.get(sid, [])))


def _run(out: Path, name: str, duration_s: float) -> Path:
    res = CliRunner().invoke(
        app, ["run", name, "--duration-s", str(duration_s), "--workers", "1", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    assert (folder / "report.html").is_file()
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """mars-relay for 10 days, lonestar for 3 days, iss-node for 1 hour, through the CLI."""
    return {
        name: _run(tmp_path_factory.mktemp(name), name, d)
        for name, d in (("mars-relay", 10 * DAY_S), ("lonestar", 3 * DAY_S), ("iss-node", 3600.0))
    }


def _page(folder: Path) -> _Page:
    page = _Page()
    page.feed((folder / "report.html").read_text())
    return page


def _nodes(folder: Path) -> tuple[set[str], set[str]]:
    """(space nodes, Earth stations) from the manifest's scenario, read independently."""
    sc = json.loads((folder / "manifest.json").read_text())["scenario"]
    space: set[str] = set()
    for c in sc["constellations"]:
        if c["kind"] == "surface":
            space |= {s["name"] for s in c["sites"]}
        elif c["kind"] in ("orbiter", "ephemeris"):
            space |= {s["name"] for s in c["satellites"]}
    return space, {g["name"] for g in sc["ground_stations"]}


def _earth_contacts(folder: Path) -> list[dict[str, Any]]:
    space, stations = _nodes(folder)
    rows = pq.read_table(folder / "contacts.parquet").to_pylist()
    return [
        r
        for r in rows
        if (r["src"] in space and r["dst"] in stations)
        or (r["src"] in stations and r["dst"] in space)
    ]


def _number(pattern: str, text: str) -> float:
    m = re.search(pattern, text)
    assert m, (pattern, text[:400])
    return float(m.group(1))


@pytest.mark.parametrize("name", ["mars-relay", "lonestar"])
def test_space_sections_exist_with_decodable_figures(name: str, runs: dict[str, Path]) -> None:
    folder = runs[name]
    page = _page(folder)
    assert set(page.images) >= SPACE_SECTIONS
    assert "are absent" not in page.section_text("summary")
    for sid in SPACE_SECTIONS:
        assert len(page.images[sid]) == 1, sid
        assert "absent" not in page.section_text(sid)
    for key in SPACE_FIGURES:
        assert (folder / "figures" / f"{key}.png").is_file()
        assert (folder / "figures" / f"{key}.svg").is_file()
    for sid in SPACE_SECTIONS:
        for _, src in page.images[sid]:
            head, _, data = src.partition(",")
            assert head == "data:image/png;base64"
            raw = base64.b64decode(data)
            assert raw[:8] == b"\x89PNG\r\n\x1a\n"
            img = mpimg.imread(io.BytesIO(raw), format="png")
            assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 500


@pytest.mark.parametrize(
    ("name", "lo_s", "hi_s"),
    [("mars-relay", 3 * 60.0, 22.5 * 60.0), ("lonestar", 1.15, 1.40)],
)
def test_light_time_matches_contacts_file(
    name: str, lo_s: float, hi_s: float, runs: dict[str, Path]
) -> None:
    """The min/max one-way light time printed equal contacts.parquet's (rows between a node
    beyond Earth orbit and an Earth station), at the printed precision (1 ms)."""
    folder = runs[name]
    rows = _earth_contacts(folder)
    assert rows
    want_min = min(r["owlt_s"] for r in rows)
    want_max = max(r["owlt_s"] for r in rows)
    assert lo_s < want_min <= want_max < hi_s  # Mars: minutes; the Moon: about 1.3 s
    text = _page(folder).section_text("space_distance")
    got_min = _number(r"light time .*?min (\d+\.\d+) s", text)
    got_max = _number(r"light time .*?max (\d+\.\d+) s", text)
    assert abs(got_min - want_min) <= 0.0005 + 1e-9
    assert abs(got_max - want_max) <= 0.0005 + 1e-9
    assert f"({len(rows)} contact windows" in text
    # the same numbers through pyarrow's own kernels
    space, stations = (pa.array(sorted(x)) for x in _nodes(folder))
    t = pq.read_table(folder / "contacts.parquet")
    frm, to = (pc.cast(t.column(c), pa.string()) for c in ("src", "dst"))
    mask = pc.or_(
        pc.and_(pc.is_in(frm, value_set=space), pc.is_in(to, value_set=stations)),
        pc.and_(pc.is_in(frm, value_set=stations), pc.is_in(to, value_set=space)),
    )
    mm = pc.min_max(pc.filter(t.column("owlt_s"), mask)).as_py()
    assert (mm["min"], mm["max"]) == (want_min, want_max)


@pytest.mark.parametrize("name", ["mars-relay", "lonestar"])
def test_delivery_numbers_match_bundles_file(name: str, runs: dict[str, Path]) -> None:
    folder = runs[name]
    b = pq.read_table(folder / "bundles.parquet")
    delivered = pc.cast(b.column("delivered"), "bool")
    n_ok = int(pc.sum(pc.cast(delivered, "int64")).as_py() or 0)
    lat = pc.filter(b.column("latency_s"), delivered).to_numpy()
    want_median = float(np.median(lat))
    text = _page(folder).section_text("space_latency")
    m = re.search(r"(\d+) of (\d+) bundles delivered", text)
    assert m and (int(m.group(1)), int(m.group(2))) == (n_ok, b.num_rows)
    assert _number(r"delivered fraction (\d\.\d+)", text) == pytest.approx(
        n_ok / b.num_rows, abs=5e-5
    )
    assert abs(_number(r"median latency (\d+\.\d+) s", text) - want_median) <= 0.05 + 1e-9


def _union_gaps(windows: list[tuple[float, float]], end_s: float, min_s: float) -> list[float]:
    """Pure-Python sweep: starts of gaps longer than min_s in the union of the windows."""
    gaps, reach = [], 0.0
    for s, e in sorted(windows):
        if s - reach > min_s:
            gaps.append(reach)
        reach = max(reach, e)
    if end_s - reach > min_s:
        gaps.append(reach)
    return gaps


@pytest.mark.parametrize("name", ["mars-relay", "lonestar"])
@pytest.mark.parametrize("min_gap_h", [0.5, 3.0, 48.0])
def test_earth_gaps_match_a_sweep(name: str, min_gap_h: float, runs: dict[str, Path]) -> None:
    from orbitcloud.report import open_run_folder
    from orbitcloud.report.space import earth_gaps, space_contacts

    folder = runs[name]
    run = open_run_folder(folder)
    sc = space_contacts(run)
    assert sc is not None
    got = earth_gaps(sc, run.duration_s, min_gap_h * 3600.0)
    want = _union_gaps(
        [(r["start_s"], r["end_s"]) for r in _earth_contacts(folder)],
        run.duration_s,
        min_gap_h * 3600.0,
    )
    assert got[:, 0].tolist() == pytest.approx(want, abs=1e-6)
    if min_gap_h == 48.0:
        text = _page(folder).section_text("space_contacts")
        assert ("No gap longer than 2 days" in text) == (not want)


@pytest.mark.parametrize("name", ["mars-relay", "lonestar"])
def test_scene_holds_only_nodes_near_earth(name: str, runs: dict[str, Path]) -> None:
    """Nodes ever beyond 2e6 km (Mars) are left out of scene.czml and the report says so; the
    Moon stays; every link line references entities the document holds."""
    folder = runs[name]
    doc = json.loads((folder / "scene.czml").read_text())
    ids = {p["id"] for p in doc}
    space, _ = _nodes(folder)
    pos = pq.read_table(folder / "positions.parquet").to_pylist()
    far = {r["sat"] for r in pos if (r["x_km"] ** 2 + r["y_km"] ** 2 + r["z_km"] ** 2) > 4e12}
    assert (name == "mars-relay") == bool(far)
    for n in space:
        assert (f"sat/{n}" in ids) == (n not in far), n
    for p in doc:
        for ref in (p.get("polyline") or {}).get("positions", {}).get("references", []):
            assert ref.split("#")[0] in ids, ref
    text = _page(folder).section_text("scene")
    assert ("Left out of the scene" in text) == bool(far)
    for n in far:
        assert n in text


def test_earth_orbit_run_says_why_space_sections_are_absent(runs: dict[str, Path]) -> None:
    folder = runs["iss-node"]
    page = _page(folder)
    assert not SPACE_SECTIONS & set(page.images)
    text = page.section_text("summary")
    text = text[text.index("Beyond Earth orbit") :]
    assert "absent" in text and "no nodes beyond Earth orbit" in text
    for title in ("Distance and light time", "Contact timeline", "Delivery latency"):
        assert f"{title}" in text
    assert "no bundles.parquet" in text
    assert not any((folder / "figures" / f"{k}.png").exists() for k in SPACE_FIGURES)


def test_space_run_without_bundles_says_latency_absent(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    copy = tmp_path / runs["lonestar"].name
    shutil.copytree(runs["lonestar"], copy)
    (copy / "bundles.parquet").unlink()
    shutil.rmtree(copy / "figures")
    write_report(copy)
    page = _page(copy)
    assert {"space_distance", "space_contacts", "space_latency"} <= set(page.images)
    assert page.images["space_latency"] == []
    assert "absent: no bundles.parquet" in page.section_text("space_latency")
    assert not (copy / "figures" / "bundle_latency.png").exists()


@pytest.mark.parametrize("name", ["mars-relay", "lonestar"])
def test_viewer_loads_the_scene_without_errors(name: str, runs: dict[str, Path]) -> None:
    """The offline Cesium viewer (headless chromium) loads scene.czml of a run with nodes
    beyond Earth orbit: no console or page errors, one entity per CZML packet."""
    from playwright.sync_api import sync_playwright

    from orbitcloud.report.viewer import start_viewer

    chromium = Path("/usr/bin/chromium")
    assert chromium.is_file(), "run scripts/setup-browser.sh (installs Debian's chromium)"
    folder = runs[name]
    expected = len(json.loads((folder / "scene.czml").read_text())) - 1
    with sync_playwright() as p, start_viewer(folder, port=0) as server:
        browser = p.chromium.launch(
            executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 800, "height": 600})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(server.url)
            page.wait_for_function(
                "window.orbitcloudReady === true || window.orbitcloudError !== undefined",
                timeout=40_000,
            )
            assert page.evaluate("window.orbitcloudError") is None
            assert page.evaluate("window.orbitcloudSource.entities.values.length") == expected
            page.wait_for_timeout(1500)  # a few frames with the clock running
            page.close()
        finally:
            browser.close()
    assert errors == []


@pytest.mark.parametrize("name", ["mars-relay", "lonestar"])
def test_space_figures_text_stays_inside(name: str, runs: dict[str, Path]) -> None:
    """The beyond-Earth figures and the contact timeline, rendered: every text inside the
    figure, no panel's labels over another panel (test_report_layout's check); the contact
    timeline has a row only for the stations that are downlink destinations."""
    from orbitcloud.report import open_run_folder
    from orbitcloud.report.figures import fig_contact_timeline
    from orbitcloud.report.space import fig_bundle_latency, fig_light_time, fig_space_timeline
    from test_report_layout import layout_problems

    run = open_run_folder(runs[name])
    for build in (fig_light_time, fig_space_timeline, fig_bundle_latency, fig_contact_timeline):
        fig = build(run)
        if fig is not None:
            assert layout_problems(fig) == [], (name, build.__name__)
    _, stations = _nodes(runs[name])
    rows = pq.read_table(runs[name] / "contacts.parquet", columns=["dst", "kind"]).to_pylist()
    want = {r["dst"] for r in rows if r["kind"] == "downlink" and r["dst"] in stations}
    fig = fig_contact_timeline(run)
    shown = set() if fig is None else {t.get_text() for t in fig.axes[0].get_yticklabels()}
    assert shown == want
