"""ION-DTN contact-plan export/import (orbitcloud.links.ion)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from orbitcloud.links.contactplan import KINDS, ContactPlan
from orbitcloud.links.ion import read_ion, to_ion, write_ion
from strategies import EPOCH, NODES, check_round_trip, make_plan, plans


@settings(max_examples=60, deadline=None)
@given(plans())
def test_round_trip_is_conservative(plan: ContactPlan) -> None:
    """to_ion → read_ion shrinks windows < 1 s, floors rates to bytes, ceils light times."""
    back = read_ion(to_ion(plan), NODES, EPOCH, plan.duration_s)
    check_round_trip(plan, back, rate_quantum_bps=8.0)
    assert back.duration_s == plan.duration_s


def test_exact_text_of_two_contacts() -> None:
    """A downlink/uplink pair gives the expected commands; an emptied contact is dropped."""
    plan = make_plan(
        [
            (0, 3, "downlink", 9.2, 70.9, 1e7, 0.004),
            (3, 0, "uplink", 9.5, 70.0, 2_000_007.0, 1.2),
            (1, 2, "isl", 5.2, 5.9, 1e9, 0.01),  # empty after rounding: [6, 5]
        ]
    )
    text = to_ion(plan)
    commands = [line for line in text.splitlines() if not line.startswith("#")]
    assert commands == [
        "a contact +10 +70 1 4 1250000",
        "a range +10 +70 1 4 1",
        "a contact +10 +70 4 1 250000",
        "a range +10 +70 4 1 2",
    ]
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("2025-01-01T00:00:00+00:00" in line for line in header)
    assert any("1 sat-a" in line for line in header)
    assert any("4 gs-x" in line for line in header)
    assert any("count from the moment ionadmin loads this file" in line for line in header)
    assert not any(line.startswith("# @") or ": @ " in line for line in header)


def test_rates_above_ions_32_bit_limit_are_clamped_and_said() -> None:
    """A 100 Gbit/s ISL (12.5e9 bytes/s) would wrap in ION's unsigned 32-bit rate: it is
    exported as 2^32 - 1 bytes/s (never more than the plan), and the header counts it."""
    plan = make_plan([(1, 2, "isl", 0.0, 100.0, 100e9, 0.01), (2, 1, "isl", 0.0, 100.0, 1e9, 0.01)])
    text = to_ion(plan)
    rates = [int(line.split()[6]) for line in text.splitlines() if line.startswith("a contact")]
    assert rates == [2**32 - 1, 125_000_000]
    assert "# 1 contact rate(s) clamped to 4294967295 bytes/s" in text
    back = read_ion(text, NODES, EPOCH, plan.duration_s)
    assert (back.rate_bps <= plan.rate_bps).all()


def test_write_ion(tmp_path: Path) -> None:
    """write_ion writes the same text as to_ion."""
    plan = make_plan([(0, 3, "downlink", 0.0, 60.0, 8e6, 0.01)])
    path = tmp_path / "contacts.ionrc"
    write_ion(plan, path)
    assert path.read_text(encoding="utf-8") == to_ion(plan)


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ("a contact +10 +x 1 4 100", "stop_time"),
        ("a contact +10 +70 1 4", "got 4 field"),
        ("a contact +10 +70 1 9 100", "expected 1..5"),
        ("a contact +70 +10 1 4 100", "start < stop"),
        ("a contact +10 +70 1 4 1.5", "unsigned integer"),
        ("a contact +10 +70 1 4 100 2.0", "confidence"),
        ("a range +10 +70 1 4 -1", "distance"),
        ("a contact 2025/13/01-00:00:00 +70 1 4 100", "not a valid date"),
        ("a rnage +10 +70 1 4 1", "'a contact' or 'a range'"),
    ],
)
def test_malformed_line_names_its_number(bad_line: str, expected: str) -> None:
    """A malformed command raises ValueError naming its line number and what was expected."""
    text = f"# header\n\n{bad_line}\na range +10 +70 1 4 1\n"
    with pytest.raises(ValueError, match="line 3") as info:
        read_ion(text, NODES, EPOCH, 100.0)
    assert expected in str(info.value)


def test_contact_without_range_is_an_error() -> None:
    """A contact with no matching or covering range names its line."""
    text = "a range +0 +50 1 4 1\na contact +10 +70 1 4 100\n"
    with pytest.raises(ValueError, match=r"line 2: contact 1 -> 4 .* no range"):
        read_ion(text, NODES, EPOCH, 100.0)


def test_absolute_times_and_other_commands() -> None:
    """Absolute yyyy/mm/dd-hh:mm:ss times are read against the epoch; other commands skipped."""
    text = "\n".join(
        [
            "# a hand-written ionrc",
            "1 1 ''",
            "s",
            "m production 1000",
            "m horizon +0",
            "a contact 2025/01/01-00:01:00 2025/01/01-00:02:00 1 4 1000",
            "a contact +60 2025/01/01-00:02:00 4 1 500 0.9",
            "a range 2025/01/01-00:01:00 +120 1 4 2",
            "a contact -1 +0 2 2 0",
            "a contact +0 0 1 2 0",
        ]
    )
    plan = read_ion(text, NODES, EPOCH, 200.0)
    assert len(plan) == 2
    np.testing.assert_array_equal(plan.start_s, [60.0, 60.0])
    np.testing.assert_array_equal(plan.end_s, [120.0, 120.0])
    np.testing.assert_array_equal(plan.rate_bps, [8000.0, 4000.0])
    np.testing.assert_array_equal(plan.owlt_s, [2.0, 2.0])  # 1 < 4: the range applies to 4 -> 1
    assert [KINDS[k] for k in plan.kind] == ["downlink", "uplink"]
    assert plan.duration_s == 200.0


def test_range_rules() -> None:
    """An explicit reverse range overrides the implied one; a range from the higher node does not
    imply the reverse; a range covering a contact's window is used when none matches exactly."""
    text = "\n".join(
        [
            "a range +0 +100 1 2 3",
            "a range +0 +100 2 1 4",
            "a range +0 +100 5 1 6",
            "a range +0 +1000 2 3 7",
            "a contact +0 +100 1 2 8",
            "a contact +0 +100 2 1 8",
            "a contact +20 +30 3 2 8",
            "a contact +0 +100 5 1 8",
        ]
    )
    plan = read_ion(text, NODES, EPOCH, 1000.0)
    pairs = zip(plan.src.tolist(), plan.dst.tolist(), plan.owlt_s.tolist(), strict=True)
    got = {(a + 1, b + 1): d for a, b, d in pairs}
    assert got == {(1, 2): 3.0, (2, 1): 4.0, (3, 2): 7.0, (5, 1): 6.0}
    with pytest.raises(ValueError, match="line 2"):
        read_ion("a range +0 +100 5 1 6\na contact +0 +100 1 5 8\n", NODES, EPOCH, 100.0)


def test_reference_time_command() -> None:
    """'@ <time>' moves the reference of later relative times; '@ 0' resets it to the epoch."""
    text = "\n".join(
        [
            "@ 2025/01/01-00:10:00",
            "a contact +0 +60 1 4 1",
            "a range +0 +60 1 4 1",
            "@ +60",
            "a contact +0 +60 2 4 1",
            "a range +0 +60 2 4 1",
            "@ 0",
            "a contact +5 +60 3 4 1",
            "a range +5 +60 3 4 1",
        ]
    )
    plan = read_ion(text, NODES, EPOCH, 1000.0)
    np.testing.assert_array_equal(plan.start_s, [5.0, 600.0, 660.0])
    np.testing.assert_array_equal(plan.src, [2, 0, 1])


def test_naive_epoch_is_rejected() -> None:
    """A naive epoch is an error that asks for an aware UTC datetime."""
    with pytest.raises(ValueError, match="aware UTC"):
        read_ion("", NODES, dt.datetime(2025, 1, 1), 10.0)


def test_empty_plan() -> None:
    """An empty plan exports to a header only and reads back empty."""
    plan = make_plan([])
    back = read_ion(to_ion(plan), NODES, EPOCH, plan.duration_s)
    assert len(back) == 0
    assert back.src.dtype == np.int32
