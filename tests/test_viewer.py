"""The offline 3D viewer and the report page in a real browser: Debian's chromium driven by
Playwright (installed by scripts/setup-browser.sh; never `playwright install`).

Oracles: the number of packets in scene.czml (counted with json), pixel statistics of the
screenshot (a blank canvas has none), the browser's own console/page errors and request log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pyarrow.parquet as pq
import pytest
from matplotlib.image import imread
from playwright.sync_api import Browser, sync_playwright

from orbitcloud.report import write_report
from orbitcloud.report.viewer import cesium_dir, start_viewer
from orbitcloud.run.folder import write_run_folder
from orbitcloud.run.pipeline import run_pipeline
from orbitcloud.scenario import load_scenario
from orbitcloud.summary import summarise

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sc = load_scenario("iss-node").model_copy(update={"duration_s": 6 * 3600.0})
    result = run_pipeline(sc)
    folder = write_run_folder(result, summarise(result), tmp_path_factory.mktemp("runs"))
    write_report(folder)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).is_file(), "run scripts/setup-browser.sh (installs Debian's chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_cesium_is_installed_by_the_project() -> None:
    """scripts/setup.sh installed the npm package with its Natural Earth II tiles."""
    root = cesium_dir()
    assert root is not None
    assert (root / "Assets" / "Textures" / "NaturalEarthII" / "tilemapresource.xml").is_file()


def test_viewer_renders_the_globe_and_every_entity(
    run_dir: Path, browser: Browser, tmp_path: Path
) -> None:
    """The page loads the scene offline, holds one entity per CZML packet (satellites,
    stations, links), renders the globe (imagery tiles loaded, a non-blank screenshot) and
    asks nothing of any host but the local server."""
    packets: list[dict[str, Any]] = json.loads((run_dir / "scene.czml").read_text())
    expected = len(packets) - 1  # minus the document packet
    linked = set(pq.read_table(run_dir / "contacts.parquet").column("dst").to_pylist()) - {
        "ISS-ZARYA"
    }
    assert expected == 1 + 4 + len(linked)  # ISS, four stations, one line per linked station
    with start_viewer(run_dir, port=0) as server:
        page = browser.new_page(viewport={"width": 800, "height": 600})
        errors: list[str] = []
        hosts: set[str] = set()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on(  # data: and blob: URLs (Cesium's workers) stay in the page
            "request",
            lambda r: (
                hosts.add(urlsplit(r.url).netloc)
                if urlsplit(r.url).scheme not in ("data", "blob")
                else None
            ),
        )
        page.goto(server.url)
        page.wait_for_function(
            "window.orbitcloudReady === true || window.orbitcloudError !== undefined",
            timeout=40_000,
        )
        assert page.evaluate("window.orbitcloudError") is None
        n = page.evaluate("window.orbitcloudSource.entities.values.length")
        assert n == expected
        # the camera tracks the ISS, so it moves every frame: stop the clock to let the
        # imagery under it finish loading
        page.evaluate("viewer.clock.shouldAnimate = false")
        page.wait_for_function("viewer.scene.globe.tilesLoaded", timeout=40_000)
        assert page.evaluate("document.querySelector('#globe canvas') !== null")
        shot = tmp_path / "viewer.png"
        page.screenshot(path=str(shot))
        page.close()
    assert errors == []
    assert hosts == {urlsplit(server.url).netloc}
    pixels = imread(shot)[..., :3]
    assert pixels.std() > 0.05  # a blank or single-colour canvas has ~0
    # the Natural Earth globe shows blue oceans: many pixels where blue clearly dominates red
    blue = (pixels[..., 2] > pixels[..., 0] + 0.1).mean()
    assert blue > 0.05


def test_report_page_loads_without_errors(run_dir: Path, browser: Browser) -> None:
    """report.html opens from disk with no console or page errors, and every figure decodes."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto((run_dir / "report.html").as_uri())
    page.wait_for_load_state("load")
    widths = page.evaluate("[...document.images].map(i => i.naturalWidth)")
    page.close()
    assert errors == []
    assert len(widths) >= 5
    assert np.min(widths) > 100


@pytest.fixture(scope="module")
def constellation_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """milsca (54 satellites) for 1 h."""
    sc = load_scenario("milsca").model_copy(update={"duration_s": 3600.0})
    result = run_pipeline(sc)
    folder = write_run_folder(result, summarise(result), tmp_path_factory.mktemp("runs"))
    write_report(folder)
    return folder


#: In the page: every satellite entity projected to window coordinates with Cesium's
#: SceneTransforms, whether the globe hides it (EllipsoidalOccluder from the camera), and the
#: canvas size.
PROJECT_SATELLITES = """() => {
  const t = viewer.clock.currentTime;
  const occluder = new Cesium.EllipsoidalOccluder(Cesium.Ellipsoid.WGS84,
                                                  viewer.camera.positionWC);
  const canvas = viewer.scene.canvas;
  const out = [];
  for (const e of window.orbitcloudSource.entities.values) {
    if (!e.id.startsWith("sat/")) { continue; }
    const p = e.position.getValue(t);
    const w = p && Cesium.SceneTransforms.worldToWindowCoordinates(viewer.scene, p);
    out.push({id: e.id, x: w ? w.x : null, y: w ? w.y : null,
              visible: p ? occluder.isPointVisible(p) : false});
  }
  return {sats: out, width: canvas.clientWidth, height: canvas.clientHeight,
          framed: window.orbitcloudFramed || null};
}"""


def _open_viewer(browser: Browser, folder: Path) -> tuple[Any, Any]:
    server = start_viewer(folder, port=0)
    page = browser.new_page(viewport={"width": 800, "height": 600})
    page.goto(server.url)
    page.wait_for_function(
        "window.orbitcloudReady === true || window.orbitcloudError !== undefined",
        timeout=40_000,
    )
    assert page.evaluate("window.orbitcloudError") is None
    page.wait_for_timeout(500)  # a few frames: the tracked camera follows on render
    return server, page


def _in_view(s: dict[str, Any], width: float, height: float) -> bool:
    return s["x"] is not None and s["visible"] and 0 <= s["x"] <= width and 0 <= s["y"] <= height


def test_initial_view_shows_the_single_satellite(run_dir: Path, browser: Browser) -> None:
    """iss-node: after load, and with the clock moved through one orbit (every 15 min of its
    92), the ISS projects inside the canvas and in front of the globe (a fixed camera sees
    it for at most half an orbit)."""
    server, page = _open_viewer(browser, run_dir)
    views = []
    try:
        views.append(page.evaluate(PROJECT_SATELLITES))
        for k in range(1, 7):
            page.evaluate(
                "(s) => { viewer.clock.currentTime = Cesium.JulianDate.addSeconds("
                "viewer.clock.startTime, s, new Cesium.JulianDate()); }",
                900 * k,
            )
            page.wait_for_timeout(400)  # frames: the tracked camera follows on each tick
            views.append(page.evaluate(PROJECT_SATELLITES))
    finally:
        page.close()
        server.close()
    for view in views:
        (sat,) = view["sats"]
        assert sat["id"] == "sat/ISS-ZARYA"
        assert _in_view(sat, view["width"], view["height"]), view
    assert views[0]["framed"] == "sat/ISS-ZARYA"


def test_initial_view_shows_the_constellation(constellation_dir: Path, browser: Browser) -> None:
    """milsca: the globe view centred under a satellite: that satellite and at least a
    quarter of all 54 are inside the canvas and in front of the globe."""
    server, page = _open_viewer(browser, constellation_dir)
    try:
        view = page.evaluate(PROJECT_SATELLITES)
    finally:
        page.close()
        server.close()
    w, h = view["width"], view["height"]
    shown = [s for s in view["sats"] if _in_view(s, w, h)]
    assert len(view["sats"]) == 54
    assert view["framed"] in {s["id"] for s in shown}
    assert len(shown) >= len(view["sats"]) / 4


def _luminance(c: dict[str, float]) -> float:
    """WCAG 2 relative luminance of a Cesium colour (components 0-1)."""

    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c["red"]) + 0.7152 * lin(c["green"]) + 0.0722 * lin(c["blue"])


def _contrast(a: float, b: float) -> float:
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def test_station_labels_are_legible_on_light_land(run_dir: Path, browser: Browser) -> None:
    """Every station label, read from its entity in the page: filled and outlined, an
    outline of at least 2 px in a dark colour, a background box; the text contrasts with
    the outline and with the box laid over white land by at least 7:1 (WCAG AAA)."""
    server, page = _open_viewer(browser, run_dir)
    try:
        labels = page.evaluate(
            """() => {
          const t = viewer.clock.currentTime;
          const col = (p) => { const c = p.getValue(t);
            return {red: c.red, green: c.green, blue: c.blue, alpha: c.alpha}; };
          return window.orbitcloudSource.entities.values
            .filter((e) => e.id.startsWith("gs/"))
            .map((e) => ({id: e.id, style: e.label.style.getValue(t),
              fillAndOutline: Cesium.LabelStyle.FILL_AND_OUTLINE,
              outlineWidth: e.label.outlineWidth.getValue(t),
              fill: col(e.label.fillColor), outline: col(e.label.outlineColor),
              showBackground: e.label.showBackground.getValue(t),
              background: col(e.label.backgroundColor)}));
        }"""
        )
    finally:
        page.close()
        server.close()
    assert len(labels) == 4
    for lab in labels:
        assert lab["style"] == lab["fillAndOutline"], lab
        assert lab["outlineWidth"] >= 2
        assert lab["showBackground"] is True
        fill, outline, bg = lab["fill"], lab["outline"], lab["background"]
        assert fill["alpha"] == 1 and outline["alpha"] == 1
        assert _contrast(_luminance(fill), _luminance(outline)) >= 7
        over_white = {k: bg["alpha"] * bg[k] + (1 - bg["alpha"]) for k in ("red", "green", "blue")}
        assert _contrast(_luminance(fill), _luminance(over_white)) >= 7


def test_report_page_sections_contain_their_figures_and_tables(
    run_dir: Path, browser: Browser, tmp_path: Path
) -> None:
    """report.html at 1280 px: every figure image and table lies inside its section's box
    (nothing overflows), each section's screenshot has content, and no table header shows a
    snake_case key."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((run_dir / "report.html").as_uri())
    page.wait_for_load_state("load")
    boxes = page.evaluate(
        """() => [...document.querySelectorAll("section")].map((s) => {
          const r = s.getBoundingClientRect();
          const inner = [...s.querySelectorAll("img, table")].map((x) => {
            const b = x.getBoundingClientRect();
            return {tag: x.tagName, left: b.left, right: b.right, top: b.top,
                    bottom: b.bottom, width: b.width};
          });
          return {id: s.id, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                  inner: inner,
                  heads: [...s.querySelectorAll("th")].map((h) => h.textContent)};
        })"""
    )
    shots = {}
    for sid in ("coverage", "contacts", "power", "assessment"):
        loc = page.locator(f"section#{sid}")
        if loc.count():
            shots[sid] = tmp_path / f"{sid}.png"
            loc.screenshot(path=str(shots[sid]))
    page.close()
    assert {"coverage", "contacts", "power"} <= set(shots)
    n_inner = 0
    for sec in boxes:
        for x in sec["inner"]:
            n_inner += 1
            assert x["width"] > 0, (sec["id"], x)
            assert sec["left"] <= x["left"] + 0.5 and x["right"] <= sec["right"] + 0.5, (
                sec["id"],
                x,
            )
            assert sec["top"] <= x["top"] + 0.5 and x["bottom"] <= sec["bottom"] + 0.5
        for h in sec["heads"]:
            assert not re.search(r"\b[a-z][a-z0-9]*(_[a-z0-9]+)+\b", h), (sec["id"], h)
    assert n_inner >= 8
    for sid, shot in shots.items():
        pixels = imread(shot)[..., :3]
        assert pixels.std() > 0.05, sid


def test_compromised_satellite_is_red_after_detection(
    constellation_dir: Path, browser: Browser
) -> None:
    """milsca: with the clock set after the detection of milsca-1-2 (metrics.json), its point
    colour in Cesium is DETECTED_RGBA, amber between compromise and detection and an eclipse
    colour before; the rogue station is an entity of its own with its name."""
    from orbitcloud.report.czml import (
        COMPROMISED_RGBA,
        DETECTED_RGBA,
        ECLIPSE_RGBA,
        SUNLIT_RGBA,
    )

    metrics = json.loads((constellation_dir / "metrics.json").read_text())
    (comp,) = [t for t in metrics["security"]["threats"] if t["kind"] == "compromised_satellite"]
    server, page = _open_viewer(browser, constellation_dir)
    try:
        colours = page.evaluate(
            """(times) => times.map((s) => {
              viewer.clock.currentTime = Cesium.JulianDate.addSeconds(
                viewer.clock.startTime, s, new Cesium.JulianDate());
              const e = window.orbitcloudSource.entities.getById("sat/milsca-1-2");
              const c = e.point.color.getValue(viewer.clock.currentTime);
              return [c.red, c.green, c.blue, c.alpha].map((v) => Math.round(255 * v));
            })""",
            [comp["t_s"] - 60, (comp["t_s"] + comp["detected_s"]) / 2, comp["detected_s"] + 60],
        )
        rogue = page.evaluate(
            """() => { const e = window.orbitcloudSource.entities.getById("rogue/Rogue-Tunis");
              return e ? {name: e.name, label: e.label.text.getValue(viewer.clock.currentTime)}
                       : null; }"""
        )
    finally:
        page.close()
        server.close()
    before, during, after = (tuple(c) for c in colours)
    assert before in {SUNLIT_RGBA, ECLIPSE_RGBA}
    assert during == COMPROMISED_RGBA
    assert after == DETECTED_RGBA
    assert rogue is not None and rogue["name"].startswith("Rogue-Tunis")
    assert "Rogue-Tunis" in rogue["label"]
