"""Interplanetary contact plans in ION and HDTN form: `a range` carries minutes of light time
(ION's distance unit, light-seconds, is meaningful at Mars), HDTN's `owlt` the same. The
commands are parsed here with plain regular expressions, not with orbitcloud's readers."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from orbitcloud.cli import app
from orbitcloud.scenario import load_scenario

DAYS = 2


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("exports")
    sc = load_scenario("mars-relay").model_copy(update={"duration_s": DAYS * 86400.0})
    (d / "short.yaml").write_text(json.dumps(sc.model_dump(mode="json")))  # JSON is YAML
    for fmt, name in (("ion", "plan.ionrc"), ("hdtn", "plan.json"), ("parquet", "plan.parquet")):
        res = CliRunner().invoke(
            app, ["contacts", str(d / "short.yaml"), "--workers", "1", "--format", fmt,
                  "-o", str(d / name)],
        )  # fmt: skip
        assert res.exit_code == 0, res.output
    return d


def test_ion_ranges_are_the_plans_light_times_in_whole_light_seconds(files):
    plan = pq.read_table(files / "plan.parquet").to_pylist()
    text = (files / "plan.ionrc").read_text()
    ranges = re.findall(r"^a range \+(\d+) \+(\d+) (\d+) (\d+) (\d+)$", text, re.M)
    contacts = re.findall(r"^a contact \+(\d+) \+(\d+) (\d+) (\d+) (\d+)$", text, re.M)
    assert len(ranges) == len(contacts) == len(plan)  # no window shorter than a second here
    far = [r for r in plan if r["owlt_s"] > 60]
    assert len(far) > 20  # Mars-Earth contacts
    got = sorted((int(a), int(b), int(d)) for _, _, a, b, d in ranges)
    # node numbers are indices + 1 in the plan's node order (from the header)
    names = re.findall(r"^#\s+(\d+) (\S+)", text, re.M)
    number = {n: int(k) for k, n in names}
    want = sorted(
        (number[r["src"]], number[r["dst"]], max(1, math.ceil(r["owlt_s"]))) for r in plan
    )
    assert got == want
    minutes = np.array([int(d) for *_, d in ranges]) / 60.0
    assert 6.5 < minutes.max() < 8.0  # Jan 2027: Mars ~0.85 AU, ~7 light-minutes


def test_hdtn_owlt_is_the_plans_light_time(files):
    plan = pq.read_table(files / "plan.parquet").to_pylist()
    contacts = json.loads((files / "plan.json").read_text())["contacts"]
    assert len(contacts) == len(plan)
    got = sorted(c["owlt"] for c in contacts)
    assert got == sorted(max(1, math.ceil(r["owlt_s"])) for r in plan)
    assert max(got) > 360
