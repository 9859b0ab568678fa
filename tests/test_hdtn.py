"""NASA HDTN contact-plan export/import (orbitcloud.links.hdtn)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

from orbitcloud.links.contactplan import KINDS, ContactPlan
from orbitcloud.links.hdtn import read_hdtn, to_hdtn, write_hdtn
from strategies import EPOCH, NODES, check_round_trip, make_plan, plans


@settings(max_examples=60, deadline=None)
@given(plans())
def test_round_trip_is_conservative(plan: ContactPlan) -> None:
    """to_hdtn → JSON → read_hdtn shrinks windows < 1 s, floors rates, ceils light times."""
    back = read_hdtn(json.dumps(to_hdtn(plan)))
    check_round_trip(plan, back, rate_quantum_bps=1.0)


def test_exact_contacts_of_two_rows() -> None:
    """A downlink/uplink pair gives the expected integer entries, numbered from 1."""
    plan = make_plan(
        [
            (0, 3, "downlink", 9.2, 70.9, 1e7 + 0.5, 0.004),
            (3, 0, "uplink", 9.5, 70.0, 2e6, 1.2),
            (1, 2, "isl", 5.2, 5.9, 1e9, 0.01),  # empty after rounding: [6, 5]
        ]
    )
    data = to_hdtn(plan)
    assert data["contacts"] == [
        {
            "contact": 1,
            "source": 1,
            "dest": 4,
            "startTime": 10,
            "endTime": 70,
            "rateBitsPerSec": 10_000_000,
            "owlt": 1,
        },
        {
            "contact": 2,
            "source": 4,
            "dest": 1,
            "startTime": 10,
            "endTime": 70,
            "rateBitsPerSec": 2_000_000,
            "owlt": 2,
        },
    ]
    assert all(type(v) is int for c in data["contacts"] for v in c.values())
    block = data["orbitcloud"]
    assert block["epoch"] == "2025-01-01T00:00:00+00:00"
    assert block["nodes"] == {"1": "sat-a", "2": "sat-b", "3": "sat-c", "4": "gs-x", "5": "gs-y"}


def test_write_hdtn(tmp_path: Path) -> None:
    """write_hdtn writes JSON that read_hdtn reads back, given nodes/epoch or not."""
    plan = make_plan([(0, 3, "downlink", 0.0, 60.0, 8e6, 0.01)])
    path = tmp_path / "contactPlan.json"
    write_hdtn(plan, path)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == to_hdtn(plan)
    back = read_hdtn(text, NODES, EPOCH, 100.0)
    assert back.duration_s == 100.0
    np.testing.assert_array_equal(back.end_s, [60.0])


def test_plain_hdtn_plan_needs_nodes_and_epoch() -> None:
    """Without the orbitcloud block, pass nodes and epoch; duration defaults to the last end."""
    data: dict[str, Any] = {
        "contacts": [
            {
                "contact": 1,
                "source": 4,
                "dest": 2,
                "startTime": 0,
                "endTime": 120,
                "rateBitsPerSec": 1000,
                "owlt": 1,
            }
        ]
    }
    with pytest.raises(ValueError, match=r"pass nodes="):
        read_hdtn(data)
    with pytest.raises(ValueError, match=r"pass epoch="):
        read_hdtn(data, NODES)
    plan = read_hdtn(data, NODES, EPOCH)
    assert plan.duration_s == 120.0
    assert [KINDS[k] for k in plan.kind] == ["uplink"]
    np.testing.assert_array_equal(plan.src, [3])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"source": 9}, "source=9 is not in the node table"),
        ({"startTime": 1.5}, "startTime=1.5; expected an integer"),
        ({"endTime": 0}, "expected startTime < endTime"),
        ({"owlt": -1}, "owlt=-1"),
        ({"rateBitsPerSec": "fast"}, "rateBitsPerSec='fast'"),
    ],
)
def test_bad_entry_names_its_index(change: dict[str, Any], expected: str) -> None:
    """A bad contact raises ValueError naming contacts[i] and what was expected."""
    data = to_hdtn(make_plan([(0, 3, "downlink", 0.0, 60.0, 8e6, 0.01)] * 1))
    data["contacts"].append({**data["contacts"][0], "contact": 2, **change})
    with pytest.raises(ValueError, match=r"contacts\[1\]") as info:
        read_hdtn(data)
    assert expected in str(info.value)


def test_missing_key_and_bad_json() -> None:
    """Missing keys and non-JSON text are reported with what was expected."""
    with pytest.raises(ValueError, match=r"contacts\[0\]: missing key\(s\) \['owlt'\]"):
        read_hdtn(
            {
                "contacts": [
                    {"source": 1, "dest": 4, "startTime": 0, "endTime": 5, "rateBitsPerSec": 1}
                ]
            },
            NODES,
            EPOCH,
        )
    with pytest.raises(ValueError, match="not valid JSON"):
        read_hdtn("{contacts: []}")
    with pytest.raises(ValueError, match=r'\{"contacts": \[\.\.\.\]\}'):
        read_hdtn({"contact": []}, NODES, EPOCH)
