"""The example notebook runs, in a fresh kernel of this environment, without error, and its
outputs agree with the same quantities computed here directly (not read from the notebook).

The kernel is registered for the test in a temporary Jupyter data folder (``JUPYTER_PATH``):
this interpreter (``sys.executable``), the checkout's ``src`` on ``PYTHONPATH``, so it works on
a fresh machine whatever kernels the user has installed."""

from __future__ import annotations

import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import nbformat
import pyarrow.compute as pc
import pytest
from nbclient import NotebookClient

from orbitcloud import api

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
NOTEBOOK = ROOT / "examples" / "notebooks" / "quickstart.ipynb"
KERNEL = "orbitcloud-test"
#: Seconds per cell (the whole notebook takes a few seconds; the kernel's start a few more).
CELL_TIMEOUT_S = 120


def _cells_by_tag(nb: Any) -> dict[str, Any]:
    return {t: c for c in nb.cells for t in c.get("metadata", {}).get("tags", [])}


def _text(cell: Any) -> str:
    """Everything a cell printed (its stdout stream)."""
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def _data(cell: Any, mime: str) -> list[str]:
    return [
        o["data"][mime]
        for o in cell.outputs
        if o.output_type in ("execute_result", "display_data") and mime in o.get("data", {})
    ]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The notebook after running every cell in a kernel of this interpreter."""
    jupyter = tmp_path_factory.mktemp("jupyter")
    spec = jupyter / "kernels" / KERNEL
    spec.mkdir(parents=True)
    env = {
        "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p),
        "IPYTHONDIR": str(jupyter / "ipython"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    kernel = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "orbitcloud test kernel",
        "language": "python",
        "env": env,
    }
    (spec / "kernel.json").write_text(json.dumps(kernel))
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(jupyter))
    mp.setenv("JUPYTER_PLATFORM_DIRS", "1")  # no deprecation warning from jupyter_core
    mp.setenv("JUPYTER_RUNTIME_DIR", str(jupyter / "runtime"))
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = NotebookClient(
            nb,
            kernel_name=KERNEL,
            timeout=CELL_TIMEOUT_S,
            startup_timeout=60,
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        )
        client.execute()
    finally:
        mp.undo()
    return nb


@pytest.fixture(scope="module")
def plan() -> Any:
    """The notebook's contact plan, computed here: the same scenario, only the stage needed."""
    sc = api.load_scenario("iss-node").model_copy(update={"duration_s": 6 * 3600.0})
    return api.run(sc, stages=("contacts",)).contacts


def test_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for c in code:
        assert c.outputs == [] and c.execution_count is None, c.source[:60]
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.slow
def test_notebook_runs_without_error(executed: Any):
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []


@pytest.mark.slow
def test_notebook_contact_count_matches_the_plan(executed: Any, plan: Any):
    cells = _cells_by_tag(executed)
    m = re.search(r"^contacts: (\d+)$", _text(cells["contacts-table"]), re.M)
    assert m is not None and int(m.group(1)) == len(plan) > 0
    # the plan's notebook view, shown by the notebook: well-formed, the same count
    (frag,) = _data(cells["contact-plan"], "text/html")
    root = ET.fromstring(frag)
    counts = {
        tr.findtext("th"): tr.findtext("td") for tr in root.iter("tr") if tr.find("th") is not None
    }
    assert str(counts["contacts"]).startswith(f"{len(plan):,} (")
    # the DataFrame's own HTML, with as many rows as df.head() shows
    (df_html,) = _data(cells["contacts-table"], "text/html")
    body = df_html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr") == min(5, len(plan))


@pytest.mark.slow
def test_notebook_aggregation_matches_pyarrow(executed: Any, plan: Any):
    """The downlink volume the notebook sums with pandas equals pyarrow's sum of
    ``rate_bps × (end_s − start_s) / 8e9`` over the plan's downlinks."""
    text = _text(_cells_by_tag(executed)["aggregation"])
    m = re.search(r"^downlink volume GB: ([0-9.]+)$", text, re.M)
    assert m is not None
    t = plan.to_arrow()
    down = t.filter(pc.equal(t["kind"].combine_chunks().dictionary_decode(), "downlink"))
    gb = pc.divide(pc.multiply(down["rate_bps"], pc.subtract(down["end_s"], down["start_s"])), 8e9)
    expected = pc.sum(gb).as_py()
    assert expected > 0
    assert abs(float(m.group(1)) - expected) < 1e-6 + 1e-9 * expected


@pytest.mark.slow
def test_notebook_shows_the_run_summary_and_a_figure(executed: Any, plan: Any):
    cells = _cells_by_tag(executed)
    (frag,) = _data(cells["run-result"], "text/html")
    root = ET.fromstring(frag)
    rows = {tr.findtext("td[1]"): tr.findtext("td[2]") for tr in root.iter("tr")}
    assert rows["contacts"] == f"{len(plan):,}"
    assert "iss-node" in frag
    pngs = _data(cells["figure"], "image/png")
    assert len(pngs) == 1 and len(pngs[0]) > 1000  # base64 of a real picture
