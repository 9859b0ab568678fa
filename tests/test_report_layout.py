"""What a reader of the report sees: every figure's text inside the figure and clear of the
other panels, the contact timeline's rows, and the tables' labels and number formats.

Oracles: matplotlib's own renderer (window extents of every drawn text and axes, measured on
the drawn figure, not on the code that placed them); contacts.parquet and manifest.json read in
plain Python for the timeline's rows; the stdlib HTML parser, hand-written labels and each
cell's full value (its ``title``) for the tables.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from typer.testing import CliRunner

from orbitcloud.cli import app
from orbitcloud.report import open_run_folder
from orbitcloud.report.figures import FIGURES, fig_contact_timeline

#: A text may touch the figure's edge by this much (antialiasing) [px].
EDGE_PX = 1.0
SPACE_FIGURES = {"space_light_time", "space_timeline", "bundle_latency"}
#: Drawn from routes.parquet, which `orbitcloud run` does not write (`orbitcloud routes` does).
ROUTE_FIGURES = {"route_latency", "path_changes"}
#: drawn from an assessment's roadmap (milsca has none; test_roadmap_figures_fit checks them)
ROADMAP_FIGURES = {"roadmap_buildout", "roadmap_co2e", "roadmap_cash", "roadmap_tornado"}


# --- figure geometry ----------------------------------------------------------------------------


def _drawn_texts(fig: Figure) -> list[tuple[str, Text]]:
    """(where, text) of every non-empty visible text the figure draws: figure titles and
    texts, each axes' titles, axis labels, tick labels in view, legend texts and texts."""
    out: list[tuple[str, Text]] = []
    for t in [fig._suptitle, fig._supxlabel, fig._supylabel, *fig.texts]:
        if t is not None:
            out.append(("figure", t))
    for i, ax in enumerate(fig.axes):
        where = f"axes {i} ({ax.get_title() or ax.get_title(loc='left')!r})"
        for t in (ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label):
            out.append((where, t))
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks():
                loc = tick.get_loc()
                if loc is not None and lo - 1e-9 * max(1, abs(lo)) <= loc <= hi + 1e-9 * max(
                    1, abs(hi)
                ):
                    out.append((where, tick.label1))
        legend = ax.get_legend()
        if legend is not None:
            out += [(where, t) for t in legend.get_texts()]
        out += [(where, t) for t in ax.texts]
    return [(w, t) for w, t in out if t.get_visible() and t.get_text().strip()]


def _overlap(a: Bbox, b: Bbox) -> bool:
    """True if the boxes share an area (touching edges do not count)."""
    return min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5


def layout_problems(fig: Figure) -> list[str]:
    """Every drawn text whose window extent leaves the figure, and every axis label or title
    of one panel that overlaps another panel's axes, measured after drawing the figure."""
    fig.set_dpi(150)  # as write_figures saves the PNG
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    bounds = fig.bbox
    problems = []
    for where, t in _drawn_texts(fig):
        e = t.get_window_extent(renderer)
        if (
            e.x0 < bounds.x0 - EDGE_PX
            or e.y0 < bounds.y0 - EDGE_PX
            or e.x1 > bounds.x1 + EDGE_PX
            or e.y1 > bounds.y1 + EDGE_PX
        ):
            problems.append(f"{where}: {t.get_text()!r} at {e.bounds} outside {bounds.bounds}")
    axes: list[Axes] = [ax for ax in fig.axes if ax.get_visible()]
    for i, ax in enumerate(axes):
        labels = [ax.title, ax.xaxis.label, ax.yaxis.label]
        for j, other in enumerate(axes):
            if i == j:
                continue
            box = other.get_window_extent(renderer)
            for t in labels:
                drawn = t.get_visible() and t.get_text().strip()
                if drawn and _overlap(t.get_window_extent(renderer), box):
                    problems.append(
                        f"axes {i}: {t.get_text()!r} overlaps the axes {j} ({box.bounds})"
                    )
    return problems


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`orbitcloud run milsca --duration-s 3600` (as the user ran it): every stage, the
    assessment with its sensitivity, and the report."""
    out = tmp_path_factory.mktemp("runs")
    res = CliRunner().invoke(
        app, ["run", "milsca", "--duration-s", "3600", "--workers", "1", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


@pytest.fixture(scope="module")
def report(run_dir: Path) -> Path:
    return run_dir / "report.html"


def test_layout_check_catches_a_cut_title_and_an_overlapping_label() -> None:
    """The check fails on the two faults the user saw: an axes title wider than the figure
    (tornado) and a y label taller than its axes running into the next panel (assessment)."""
    fig = Figure(figsize=(4, 3), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title("a title far too long for this narrow figure, cut at both of its edges")
    assert any("outside" in p for p in layout_problems(fig))
    fig = Figure(figsize=(8, 2), layout="constrained")
    a1, a2 = fig.subplots(1, 2)
    a2.set_ylabel("a label much longer than the axes is high, running into the other panel")
    assert layout_problems(fig)
    fig = Figure(figsize=(8, 3), layout="constrained")
    a1, a2 = fig.subplots(1, 2)
    a1.set_title("fits")
    a2.set_ylabel("fits (kg)")
    assert layout_problems(fig) == []


def test_figure_text_stays_inside_and_clear_of_other_panels(run_dir: Path) -> None:
    """Each figure of the milsca run, rendered: every title, axis label, tick label, legend
    text and annotation lies inside the figure; no panel's labels overlap another panel. Only
    the route figures are not drawn (`orbitcloud run` writes no routes.parquet; they are
    checked on a routes table of their own in test_route_figures_fit)."""
    run = open_run_folder(run_dir)
    problems, absent = {}, set()
    for spec in (s for s in FIGURES if s.key not in SPACE_FIGURES):
        fig = spec.build(run)
        if fig is None:
            absent.add(spec.key)
        else:
            problems[spec.key] = layout_problems(fig)
    assert absent <= ROUTE_FIGURES | ROADMAP_FIGURES, absent
    assert len(problems) >= 8 and all(p == [] for p in problems.values()), problems


def test_roadmap_figures_fit(run_dir: Path, tmp_path: Path) -> None:
    """The four roadmap figures, drawn from the ascend example's roadmap (its real
    assessment) put into a copy of the milsca run folder: every text inside the figure."""
    import shutil

    from orbitcloud.assess import assess_scenario
    from orbitcloud.scenario.loader import load_scenario

    folder = tmp_path / run_dir.name
    shutil.copytree(run_dir, folder)
    a = assess_scenario(load_scenario("ascend")).to_dict()
    (folder / "assessment.json").write_text(json.dumps(a))
    run = open_run_folder(folder)
    drawn = {s.key: s.build(run) for s in FIGURES if s.key in ROADMAP_FIGURES}
    assert all(f is not None for f in drawn.values()), drawn
    assert len(drawn) == 4
    assert {k: layout_problems(f) for k, f in drawn.items() if f is not None} == {
        k: [] for k in drawn
    }


def test_milsca_draws_the_figures_the_user_saw(run_dir: Path) -> None:
    """The layout test above covers the user's figures (none of them skipped)."""
    run = open_run_folder(run_dir)
    drawn = {s.key for s in FIGURES if s.build(run) is not None}
    assert {"contact_timeline", "assessment", "tornado", "ground_tracks", "power"} <= drawn
    # milsca has threats: the security section's timeline is drawn, so the layout test above
    # checks it too
    assert "threat_timeline" in drawn


# --- the contact timeline -----------------------------------------------------------------------


def test_contact_timeline_rows_are_the_stations_with_downlinks(run_dir: Path) -> None:
    """One row per ground station that is the destination of a downlink in contacts.parquet
    (read in plain Python), none for satellites (which the table's dictionary also holds)."""
    stations = {
        g["name"]
        for g in json.loads((run_dir / "manifest.json").read_text())["scenario"]["ground_stations"]
    }
    rows = pq.read_table(run_dir / "contacts.parquet", columns=["dst", "kind"]).to_pylist()
    want = {r["dst"] for r in rows if r["kind"] == "downlink" and r["dst"] in stations}
    fig = fig_contact_timeline(open_run_folder(run_dir))
    assert fig is not None
    (ax,) = fig.axes
    shown = [t.get_text() for t in ax.get_yticklabels()]
    assert len(shown) == len(set(shown))
    assert set(shown) == want
    assert len(want) < len({r["dst"] for r in rows})  # the table has other destinations too


# --- tables -------------------------------------------------------------------------------------


class _Tables(HTMLParser):
    """Every <table>: its rows, each a list of (tag, attrs, text) cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[tuple[str, dict[str, str | None], str]]]] = []
        self._cell: tuple[str, dict[str, str | None], list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = (tag, dict(attrs), [])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            t, a, text = self._cell
            self.tables[-1][-1].append((t, a, "".join(text).strip()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[2].append(data)


NUMBER = re.compile(r"^(–|−?∞|-?\d{1,3}(,\d{3})*(\.\d+)?)$")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(_[a-z0-9]+)+\b")


def _tables(report: Path) -> list[list[list[tuple[str, dict[str, str | None], str]]]]:
    p = _Tables()
    p.feed(report.read_text())
    assert p.tables
    return p.tables


def _flat(block: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for k, v in block.items():
        if isinstance(v, dict) and not prefix:
            out += _flat(v, f"{k}.")
        elif not isinstance(v, dict | list):
            out.append(f"{prefix}{k}")
    return out


def test_table_headers_are_human_labels_with_the_raw_key_kept(report: Path) -> None:
    """No header cell shows a snake_case key; the labels the user asked for read as written
    here; every key of metrics.json's power/compute/storage/restore blocks and of the
    assessment's per-unit tables is on the page as a header's title."""
    heads = [c for t in _tables(report) for r in t for c in r if c[0] == "th"]
    raw = [text for _, _, text in heads if SNAKE.search(text)]
    assert raw == []
    by_key = {a.get("title"): text for _, a, text in heads if a.get("title")}
    assert by_key["median_durability_latency_s"] == "median durability latency (s)"
    assert by_key["co2e_kg_per_kwh"] == "carbon (kg CO2e/kWh)"
    assert by_key["cost_per_kwh"] == "cost (USD/kWh)"
    assert by_key["max_temperature_c"] == "max temperature (°C)"
    assert by_key["orbit.p95_time_to_product_s"] == "orbit: p95 time to product (s)"
    assert by_key["mean_pass_s"] == "mean pass (s)"
    metrics = json.loads((report.parent / "metrics.json").read_text())
    a = json.loads((report.parent / "assessment.json").read_text())
    want = {k for b in ("power", "compute", "storage", "restore") for k in _flat(metrics[b])}
    want |= {k for k in a["orbital"] if k in a["ground"]}
    assert want - set(by_key) == set()


def _sig_digits(text: str) -> int:
    return len(text.replace("-", "").replace(",", "").replace(".", "").lstrip("0"))


def test_numbers_in_a_column_share_one_format(report: Path) -> None:
    """Every number cell reads as digits in groups of three with an optional fraction (no
    exponent, no bare 1234); a cell with a fraction has exactly 4 significant digits; each
    float cell's text is its full value (the cell's title) rounded, to half a unit of its last
    digit."""
    checked = 0
    for table in _tables(report):
        columns: dict[int, list[tuple[dict[str, str | None], str]]] = {}
        for row in table:
            for i, (tag, attrs, text) in enumerate(row):
                if tag == "td" and attrs.get("class") == "n":
                    columns.setdefault(i, []).append((attrs, text))
        for cells in columns.values():
            for attrs, text in cells:
                assert NUMBER.match(text), text
                if "." in text:
                    assert _sig_digits(text) == 4 or len(text.split(".")[0].replace(",", "")) >= 4
                full = attrs.get("title")
                if full is not None and text not in ("–",):
                    v = float(full)
                    shown = float(text.replace(",", ""))
                    decimals = len(text.split(".")[1]) if "." in text else 0
                    tol = 0.5 * 10.0**-decimals if decimals < 12 else 1e-12
                    if not (decimals == 0 and abs(v) < 1e-12):
                        assert abs(shown - v) <= tol * (1 + 1e-9) or math.isclose(
                            shown, v, rel_tol=5e-4
                        ), (text, full)
                checked += 1
    assert checked > 50


def test_route_figures_fit(run_dir: Path, tmp_path: Path) -> None:
    """The route figures (milsca has no routes.parquet): a synthetic table of long pair names."""
    import numpy as np
    import pyarrow as pa

    from orbitcloud.report.figures import fig_path_changes, fig_route_latency

    folder = tmp_path / run_dir.name
    shutil.copytree(run_dir, folder)
    n = 20
    src = [f"ground-station-number-{i % 7}" for i in range(n * 3)]
    dst = [f"another-long-station-name-{i % 5}" for i in range(n * 3)]
    pq.write_table(
        pa.table(
            {
                "t_s": np.repeat([0.0, 60.0, 120.0], n),
                "src": src,
                "dst": dst,
                "rtt_ms": np.linspace(20, 80, n * 3),
                "hops": [3] * (n * 3),
                "path": [["a", "b"] if i % 3 else ["c"] for i in range(n * 3)],
            }
        ),
        folder / "routes.parquet",
    )
    run = open_run_folder(folder)
    for build in (fig_route_latency, fig_path_changes):
        fig = build(run)
        assert fig is not None
        assert layout_problems(fig) == [], build.__name__


def test_threat_timeline_fits_with_threats_past_the_end(run_dir: Path, tmp_path: Path) -> None:
    """The threat timeline of a run whose detection falls after its end (metrics.json's
    ``detected_s`` null, ``recovered_s`` null) still draws, inside the figure, and a run
    without threats draws none."""
    from orbitcloud.report.security import fig_threat_timeline

    folder = tmp_path / run_dir.name
    shutil.copytree(run_dir, folder, ignore=shutil.ignore_patterns("figures", "storage"))
    metrics = json.loads((folder / "metrics.json").read_text())
    for t in metrics["security"]["threats"]:
        if t["kind"] == "compromised_satellite":
            t.update(detected_s=None, recovered_s=None, time_to_recover_s=None)
    (folder / "metrics.json").write_text(json.dumps(metrics))
    fig = fig_threat_timeline(open_run_folder(folder))
    assert fig is not None
    assert layout_problems(fig) == []
    metrics.pop("security")
    (folder / "metrics.json").write_text(json.dumps(metrics))
    assert fig_threat_timeline(open_run_folder(folder)) is None
