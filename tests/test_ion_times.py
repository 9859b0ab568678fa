"""ION export: absolute times (yyyy/mm/dd-hh:mm:ss UTC) and the ionconfig sizing header."""

from __future__ import annotations

import calendar
import ctypes
import datetime as dt
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings

from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.links.ion import (
    IonTimeError,
    ion_clamped_rows,
    ion_dropped_rows,
    ion_plan_sizing,
    ion_sizing,
    read_ion,
    to_ion,
)
from strategies import EPOCH, NODES, check_round_trip, make_plan, plans

BEFORE = EPOCH - dt.timedelta(days=1)  # a clock before the plan: nothing is past
# ION's absolute timestamp as ionadmin reads it: sscanf "%4d/%2d/%2d-%2d:%2d:%2d" (ion.c
# timestampInFormat); ION writes it zero-padded ("%.4d/%.2d/%.2d-%.2d:%.2d:%.2d").
ION_ABS = re.compile(r"(\d{4})/(\d{2})/(\d{2})-(\d{2}):(\d{2}):(\d{2})")


def ion_read_timestamp_utc(token: str) -> int:
    """Unix seconds of an absolute ION time, as readTimestampUTC computes them (UTC fields)."""
    m = ION_ABS.fullmatch(token)
    assert m, token
    return calendar.timegm((*(int(g) for g in m.groups()), 0, 0, 0))


def commands(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.startswith("a ")]


def test_absolute_text_is_ions_utc_form_of_epoch_plus_seconds() -> None:
    """Absolute start/stop are the epoch plus the conservatively rounded seconds, in ION's
    zero-padded UTC form; the header says which mode and what it means."""
    plan = make_plan(
        [
            (0, 3, "downlink", 9.2, 70.9, 1e7, 0.004),
            (3, 0, "uplink", 86_399.5, 86_461.0, 2e6, 1.2),  # crosses midnight
        ]
    )
    text = to_ion(plan, times="absolute", now=BEFORE)
    epoch_unix = calendar.timegm(EPOCH.utctimetuple())
    got = [(c[0] + " " + c[1], ion_read_timestamp_utc(c[2]) - epoch_unix,
            ion_read_timestamp_utc(c[3]) - epoch_unix) for c in commands(text)]  # fmt: skip
    assert got == [
        ("a contact", 10, 70),
        ("a range", 10, 70),
        ("a contact", 86_400, 86_461),
        ("a range", 86_400, 86_461),
    ]
    assert commands(text)[2][2:4] == ["2025/01/02-00:00:00", "2025/01/02-00:01:01"]
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("times: absolute, yyyy/mm/dd-hh:mm:ss UTC" in line for line in header)
    assert not any("count from the moment ionadmin loads" in line for line in header)
    relative = to_ion(plan)
    assert any("times: relative" in line for line in relative.splitlines())


def test_fractional_epoch_rounds_on_the_absolute_clock() -> None:
    """With an epoch at .5 s, start/stop are rounded on UTC whole seconds (inward)."""
    epoch = EPOCH + dt.timedelta(milliseconds=500)
    base = make_plan([(0, 3, "downlink", 9.2, 70.9, 1e7, 0.004)])
    plan = ContactPlan(**{**base.__dict__, "epoch": epoch})
    (contact, _) = commands(to_ion(plan, times="absolute", now=BEFORE))
    t0 = epoch + dt.timedelta(seconds=9.2)
    t1 = epoch + dt.timedelta(seconds=70.9)
    want0 = t0.replace(microsecond=0) + dt.timedelta(seconds=1 if t0.microsecond else 0)
    want1 = t1.replace(microsecond=0)
    assert contact[2:4] == [f"{want0:%Y/%m/%d-%H:%M:%S}", f"{want1:%Y/%m/%d-%H:%M:%S}"]
    back = read_ion(to_ion(plan, times="absolute", now=BEFORE), NODES, epoch, plan.duration_s)
    assert back.start_s[0] == pytest.approx((want0 - epoch).total_seconds())
    assert back.start_s[0] >= 9.2 and back.end_s[0] <= 70.9


@settings(max_examples=40, deadline=None)
@given(plans())
def test_absolute_round_trip_is_exact(plan: ContactPlan) -> None:
    """to_ion(absolute) -> read_ion is the conservative rounding, and exporting what was read
    gives the same text again."""
    text = to_ion(plan, times="absolute", now=BEFORE)
    back = read_ion(text, NODES, EPOCH, plan.duration_s)
    check_round_trip(plan, back, rate_quantum_bps=8.0)
    assert to_ion(back, times="absolute", now=BEFORE) == text
    rel = to_ion(plan)
    assert to_ion(read_ion(rel, NODES, EPOCH, plan.duration_s)) == rel


def test_plan_over_before_now_is_refused() -> None:
    """A plan whose last contact stops at or before now raises IonTimeError (one line)."""
    plan = make_plan([(0, 3, "downlink", 0.0, 60.0, 8e6, 0.01), (1, 3, "downlink", 100.0, 200.0,
                                                                  8e6, 0.01)])  # fmt: skip
    with pytest.raises(IonTimeError, match=r"last contact ends at 2025/01/01-00:03:20") as info:
        to_ion(plan, times="absolute", now=EPOCH + dt.timedelta(seconds=200))
    assert "\n" not in str(info.value)
    assert to_ion(plan).startswith("#")  # relative mode has no clock to check


def test_contacts_already_over_are_counted() -> None:
    """Contacts stopping at or before now are counted in the header and by ion_dropped_rows;
    the one still running is kept."""
    rows = [(0, 3, "downlink", 0.0, 60.0, 8e6, 0.01), (3, 0, "uplink", 10.0, 90.0, 8e6, 0.01),
            (1, 3, "downlink", 100.0, 200.0, 8e6, 0.01)]  # fmt: skip
    plan = make_plan(rows)
    now = EPOCH + dt.timedelta(seconds=90)
    expected = sum(1 for r in rows if math.floor(r[4]) <= 90)  # stops 60 and 90: over
    assert expected == 2
    assert ion_dropped_rows(plan, now) == expected
    text = to_ion(plan, times="absolute", now=now)
    assert f"# {expected} contact(s) ended before this file was written" in text
    assert len(commands(text)) == 6  # nothing is removed from the file


def test_after_2038_is_refused() -> None:
    """ION's MAX_POSIX_TIME is 2^31 - 1 (2038-01-19T03:14:07Z): a plan ending later is refused."""
    epoch = dt.datetime(2038, 1, 19, 3, 0, 0, tzinfo=dt.UTC)
    base = make_plan([(0, 3, "downlink", 0.0, 854.0, 8e6, 0.01)])
    limit = (dt.datetime(2038, 1, 19, 3, 14, 7, tzinfo=dt.UTC) - epoch).total_seconds()
    assert limit == 847.0
    plan = ContactPlan(**{**base.__dict__, "epoch": epoch})
    with pytest.raises(IonTimeError, match="2038"):
        to_ion(plan, times="absolute", now=epoch)
    ok = ContactPlan(**{**plan.__dict__, "end_s": np.array([847.0])})
    assert "2038/01/19-03:14:07" in to_ion(ok, times="absolute", now=epoch)


def test_naive_now_and_bad_mode_are_rejected() -> None:
    plan = make_plan([(0, 3, "downlink", 0.0, 60.0, 8e6, 0.01)])
    with pytest.raises(ValueError, match="aware UTC"):
        to_ion(plan, times="absolute", now=dt.datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="'relative' or 'absolute'"):
        to_ion(plan, times="unix")  # type: ignore[arg-type]


# -- ionconfig sizing: the C structures of ION's ici/include/ion.h, sdrlist.c, smrbt.c, laid out
# by ctypes with the fixed-width types of a 64-bit (LP64) ION build, which the sizing assumes,
# and the small-pool rule of sdrmgt.c / psm.c (size rounded up to whole words plus one word of
# overhead).
time_t = ctypes.c_int64
uvast = ctypes.c_uint64
addr = ctypes.c_uint64
enum = ctypes.c_int32


def fields(*pairs: tuple[str, type]) -> type[ctypes.Structure]:
    return type("S", (ctypes.Structure,), {"_fields_": list(pairs)})


IonContact = fields(("fromTime", time_t), ("toTime", time_t), ("fromNode", uvast),
                    ("toNode", uvast), ("xmitRate", ctypes.c_uint64),
                    ("confidence", ctypes.c_float), ("type", enum),
                    ("mtv", ctypes.c_double * 3))  # fmt: skip
IonRange = fields(("fromTime", time_t), ("toTime", time_t), ("fromNode", uvast),
                  ("toNode", uvast), ("owlt", ctypes.c_uint))  # fmt: skip
SdrListElt = fields(("list", addr), ("prev", addr), ("next", addr), ("data", addr))
IonCXref = fields(("regionNbr", ctypes.c_uint32), ("fromNode", uvast), ("toNode", uvast),
                  ("fromTime", time_t), ("toTime", time_t), ("xmitRate", ctypes.c_uint64),
                  ("confidence", ctypes.c_float), ("type", enum),
                  *[(n, time_t) for n in ("startXmit", "stopXmit", "startFire", "stopFire",
                                          "startRecv", "stopRecv", "purgeTime")],
                  ("contactElt", addr), ("routingObject", addr),
                  ("citations", addr))  # fmt: skip
IonRXref = fields(("fromNode", uvast), ("toNode", uvast), ("fromTime", time_t),
                  ("toTime", time_t), ("owlt", ctypes.c_uint), ("rangeElt", addr))  # fmt: skip
IonEvent = fields(("time", time_t), ("type", enum), ("ref", addr))
SmRbtNode = fields(("rbt", addr), ("parent", addr), ("child", addr * 2), ("data", addr),
                   ("isRed", ctypes.c_int))  # fmt: skip


def block(struct: type[ctypes.Structure]) -> int:
    return (-(-ctypes.sizeof(struct) // 8) + 1) * 8


def test_sizing_matches_ions_structures() -> None:
    """Per contact: IonContact + list element in the SDR heap; IonCXref, its index node and 3
    timeline events in working memory. Per range: IonRange + list element; 2 IonRXrefs with
    index nodes and 2 events each. Recommended: 5x the plan's heap (20 %), 2x its memory."""
    contact_words = (block(IonContact) + block(SdrListElt)) // 8
    range_words = (block(IonRange) + block(SdrListElt)) // 8
    event = block(IonEvent) + block(SmRbtNode)
    contact_wm = block(IonCXref) + block(SmRbtNode) + 3 * event
    range_wm = 2 * (block(IonRXref) + block(SmRbtNode) + 2 * event)
    assert (contact_words, range_words, contact_wm, range_wm) == (15, 11, 464, 576)
    s = ion_sizing(10_000, 10_000)
    assert s.heap_words == 10_000 * (contact_words + range_words) == 260_000
    assert s.wm_bytes == 10_000 * (contact_wm + range_wm) == 10_400_000
    assert (s.heap_words_recommended, s.wm_size_recommended) == (1_300_000, 20_800_000)
    assert s.exceeds_defaults
    small = ion_sizing(100, 100)
    assert (small.heap_words_recommended, small.wm_size_recommended) == (250_000, 5_000_000)
    assert not small.exceeds_defaults


def test_header_gives_counts_and_recommendation() -> None:
    """The header counts the exported contacts and ranges and recommends heapWords/wmSize."""
    plan = make_plan([(0, 3, "downlink", 0.0, 60.0, 8e6, 0.01), (3, 0, "uplink", 0.0, 60.0, 8e6,
                                                                  0.01),
                      (1, 2, "isl", 5.2, 5.9, 1e9, 0.01)])  # fmt: skip
    text = to_ion(plan)
    assert "# ionconfig sizing (64-bit ION): 2 contacts and 2 ranges take 52 SDR heap words" in (
        text
    )
    assert f"up to {2 * 464 + 2 * 576} bytes of working memory" in text
    assert "recommended: heapWords 250000, wmSize 5000000" in text


def test_counts_follow_the_time_mode() -> None:
    """With an epoch at .5 s, the window [0.2, 1.6] s is [0.7, 2.1] s on the UTC clock: empty in
    whole relative seconds ([1, 1]) but one second long absolutely ([1, 2]); the clamp count and
    the sizing count the rows each mode writes."""
    base = make_plan([(1, 2, "isl", 0.2, 1.6, 100e9, 0.01)])
    plan = ContactPlan(**{**base.__dict__, "epoch": EPOCH + dt.timedelta(milliseconds=500)})
    assert (ion_clamped_rows(plan), ion_clamped_rows(plan, "absolute")) == (0, 1)
    assert (ion_plan_sizing(plan).n_contacts, ion_plan_sizing(plan, "absolute").n_contacts) == (
        0,
        1,
    )
    text = to_ion(plan, times="absolute", now=BEFORE)
    assert "# 1 contact rate(s) clamped" in text
    assert commands(text)[0][2:4] == ["2025/01/01-00:00:01", "2025/01/01-00:00:02"]
    assert not commands(to_ion(plan))
