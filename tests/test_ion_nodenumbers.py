"""Node-number maps (orbitcloud.links.nodenumbers) for the ION and HDTN exports and readers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.links.hdtn import read_hdtn, to_hdtn
from orbitcloud.links.ion import read_ion, to_ion
from orbitcloud.links.nodenumbers import NodeNumberError, node_number_array, read_node_numbers
from strategies import EPOCH, NODES, check_round_trip, make_plan, plans

# NODES: sat-a sat-b sat-c gs-x gs-y (default numbers 1..5)
MAP = {"sat-a": 268_484_800, "gs-y": 7, "gs-x": 2_000_000_000_000}  # sat-b/sat-c keep 2, 3


def test_csv_with_and_without_header(tmp_path: Path) -> None:
    """An optional name,node_number header and blank lines; spaces around cells are trimmed."""
    with_header = tmp_path / "a.csv"
    with_header.write_text("name,node_number\nsat-a, 268484800\n\ngs-y,7\n")
    without = tmp_path / "b.csv"
    without.write_text("sat-a,268484800\r\ngs-y,7\r\n")
    expected = {"sat-a": 268_484_800, "gs-y": 7}
    assert read_node_numbers(with_header) == expected
    assert read_node_numbers(without, NODES) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name,node_number\nsat-a,12\nsat-q,13\n", r"b\.csv:3: 'sat-q' is not a node"),
        (
            "sat-a,12\nsat-b,13\nsat-a,14\n",
            r"b\.csv:3: node 'sat-a' is mapped twice \(first on "
            r"line 1\)",
        ),
        (
            "sat-a,12\ngs-x,12\n",
            r"b\.csv:2: node_number 12 for 'gs-x' is already given to "
            r"'sat-a' \(line 1\)",
        ),
        (
            "name,node_number\nsat-a,twelve\n",
            r"b\.csv:2: node_number 'twelve' for 'sat-a' is not "
            r"an integer",
        ),
        ("sat-a,1.5\n", r"b\.csv:1: node_number '1.5'"),
        ("sat-a,0\n", r"b\.csv:1: node_number 0 for 'sat-a'; expected a positive integer"),
        ("sat-a,-3\n", r"b\.csv:1: node_number -3"),
        ("sat-a,3,x\n", r"b\.csv:1: got 3 field\(s\)"),
        # gs-x (index 3) keeps number 4 (index + 1), which the map gives to sat-a
        ("\nsat-a,4\n", r"b\.csv:2: node_number 4 for 'sat-a' collides with unmapped node 'gs-x'"),
    ],
)
def test_bad_map_is_one_line_with_file_and_line(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "b.csv"
    path.write_text(content)
    with pytest.raises(NodeNumberError, match=expected) as info:
        read_node_numbers(path, NODES)
    assert "\n" not in str(info.value)


def test_number_array_and_library_errors() -> None:
    """Mapped nodes take the map's numbers, the others index + 1; the same checks apply."""
    np.testing.assert_array_equal(
        node_number_array(NODES, MAP), [268_484_800, 2, 3, 2_000_000_000_000, 7]
    )
    with pytest.raises(NodeNumberError, match="collides with unmapped node 'sat-c'"):
        node_number_array(NODES, {"gs-x": 3})
    with pytest.raises(NodeNumberError, match="'nope' is not a node"):
        node_number_array(NODES, {"nope": 9})
    with pytest.raises(NodeNumberError, match="positive integer"):
        node_number_array(NODES, {"sat-a": 0})
    with pytest.raises(NodeNumberError, match="more than one node"):
        node_number_array(NODES, {"sat-a": 9, "sat-b": 9})


def test_ion_export_uses_the_map_and_says_so() -> None:
    plan = make_plan([(0, 3, "downlink", 10.0, 70.0, 8e6, 0.01), (4, 1, "uplink", 10.0, 70.0,
                                                                   8e6, 2.0)])  # fmt: skip
    text = to_ion(plan, node_numbers=MAP)
    cmds = [line for line in text.splitlines() if line.startswith("a ")]
    assert cmds == [
        "a contact +10 +70 268484800 2000000000000 1000000",
        "a range +10 +70 268484800 2000000000000 1",
        "a contact +10 +70 7 2 1000000",
        "a range +10 +70 7 2 2",
    ]
    assert "sat-a=268484800" in text and "gs-y=7" in text
    assert "#   268484800*sat-a  (satellite, walker)" in text
    assert "#      2 sat-b  (satellite, walker)" in text
    line = text.splitlines().index(cmds[0]) + 1
    with pytest.raises(ValueError, match=rf"line {line}, source_node: node number 268484800 is n"):
        read_ion(text, NODES, EPOCH, 6000.0)  # read without the map: an unknown number


def test_ion_reverse_range_follows_node_numbers() -> None:
    """ION applies a range A->B to B->A when A < B *as node numbers*: with gs-y = 7 and sat-b
    = 2, a range 2 7 serves the contact 7 -> 2, and a range 7 2 does not serve 2 -> 7."""
    text = "a range +0 +100 2 7 3\na contact +0 +100 7 2 8\n"
    plan = read_ion(text, NODES, EPOCH, 100.0, node_numbers=MAP)
    assert (plan.src.tolist(), plan.dst.tolist(), plan.owlt_s.tolist()) == ([4], [1], [3.0])
    with pytest.raises(ValueError, match="line 2: contact 2 -> 7"):
        read_ion("a range +0 +100 7 2 3\na contact +0 +100 2 7 8\n", NODES, EPOCH, 100.0, MAP)


@settings(max_examples=40, deadline=None)
@given(plans())
def test_round_trips_with_a_map_are_exact(plan: ContactPlan) -> None:
    """ION (both time modes) and HDTN (both modes, with and without passing nodes) read back
    what they wrote under a map, and re-export the same text."""
    for times in ("relative", "absolute"):
        text = to_ion(plan, times=times, now=EPOCH, node_numbers=MAP)  # type: ignore[arg-type]
        back = read_ion(text, NODES, EPOCH, plan.duration_s, node_numbers=MAP)
        check_round_trip(plan, back, rate_quantum_bps=8.0)
        assert to_ion(back, times=times, now=EPOCH, node_numbers=MAP) == text  # type: ignore[arg-type]
    for mode in ("relative", "unix"):
        data = to_hdtn(plan, times=mode, node_numbers=MAP)  # type: ignore[arg-type]
        text = json.dumps(data)
        back = read_hdtn(text)
        check_round_trip(plan, back, rate_quantum_bps=1.0)
        assert to_hdtn(back, times=mode, node_numbers=MAP) == data  # type: ignore[arg-type]
        plain = {"contacts": data["contacts"]}
        again = read_hdtn(plain, NODES, EPOCH, plan.duration_s, node_numbers=MAP, times=mode)  # type: ignore[arg-type]
        check_round_trip(plan, again, rate_quantum_bps=1.0)


def test_hdtn_records_the_map() -> None:
    plan = make_plan([(0, 3, "downlink", 10.0, 70.0, 8e6, 0.01)])
    data = to_hdtn(plan, node_numbers=MAP)
    assert [(c["source"], c["dest"]) for c in data["contacts"]] == [(268_484_800, 2 * 10**12)]
    block = data["orbitcloud"]
    assert block["node_numbers"] == MAP
    assert block["node_order"] == [268_484_800, 2, 3, 2 * 10**12, 7]
    assert block["nodes"]["7"] == "gs-y" and block["nodes"]["2"] == "sat-b"
    assert to_hdtn(plan)["orbitcloud"]["node_numbers"] == {}
