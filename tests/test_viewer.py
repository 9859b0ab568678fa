"""The offline 3D viewer and the report page in a real browser: Debian's chromium driven by
Playwright (installed by scripts/setup-browser.sh; never `playwright install`).

Oracles: the number of packets in scene.czml (counted with json), pixel statistics of the
screenshot (a blank canvas has none), the browser's own console/page errors and request log.
"""

from __future__ import annotations

import json
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
