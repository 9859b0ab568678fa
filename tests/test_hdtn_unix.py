"""HDTN export in Unix-timestamp mode (router --use-unix-timestamp)."""

from __future__ import annotations

import calendar
import datetime as dt
import json

import pytest
from hypothesis import given, settings

from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.links.hdtn import HdtnTimeError, read_hdtn, to_hdtn
from strategies import EPOCH, NODES, check_round_trip, make_plan, plans

EPOCH_UNIX = calendar.timegm(EPOCH.utctimetuple())  # 1735689600: 2025-01-01T00:00:00Z
# The entry shape of nasa/HDTN module/router/contact_plans/contactPlan.json (the keys the
# router's ProcessContacts and libcgr's cp_load read), all integers.
HDTN_KEYS = {"contact", "source", "dest", "startTime", "endTime", "rateBitsPerSec", "owlt"}


def test_unix_times_are_epoch_plus_seconds() -> None:
    """startTime/endTime become Unix seconds; every other field is what relative mode gives."""
    assert EPOCH_UNIX == 1_735_689_600
    plan = make_plan([(0, 3, "downlink", 9.2, 70.9, 1e7, 0.004), (3, 0, "uplink", 9.5, 70.0,
                                                                   2e6, 1.2)])  # fmt: skip
    rel = to_hdtn(plan)
    unix = to_hdtn(plan, times="unix")
    assert [(c["startTime"], c["endTime"]) for c in unix["contacts"]] == [
        (EPOCH_UNIX + 10, EPOCH_UNIX + 70),
        (EPOCH_UNIX + 10, EPOCH_UNIX + 70),
    ]
    for r, u in zip(rel["contacts"], unix["contacts"], strict=True):
        assert set(u) == HDTN_KEYS and all(type(v) is int for v in u.values())
        assert {k: v for k, v in r.items() if "Time" not in k} == {
            k: v for k, v in u.items() if "Time" not in k
        }
        assert u["endTime"] <= 2**31 - 1  # the router reads get<int>
    assert unix["orbitcloud"]["times"] == "unix"
    assert "--use-unix-timestamp" in unix["orbitcloud"]["note"]
    assert rel["orbitcloud"]["times"] == "relative"


def test_fractional_epoch_rounds_on_unix_seconds() -> None:
    """An epoch at .25 s: the window shrinks to whole Unix seconds inside it."""
    epoch = EPOCH + dt.timedelta(milliseconds=250)
    base = make_plan([(0, 3, "downlink", 9.2, 70.9, 1e7, 0.004)])
    plan = ContactPlan(**{**base.__dict__, "epoch": epoch})
    (c,) = to_hdtn(plan, times="unix")["contacts"]
    unix0 = epoch + dt.timedelta(seconds=9.2) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    unix1 = epoch + dt.timedelta(seconds=70.9) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert (c["startTime"], c["endTime"]) == (EPOCH_UNIX + 10, EPOCH_UNIX + 71)
    assert c["startTime"] >= unix0.total_seconds() and c["endTime"] <= unix1.total_seconds()
    back = read_hdtn(to_hdtn(plan, times="unix"))
    assert back.start_s[0] == pytest.approx(9.75) and back.end_s[0] == pytest.approx(70.75)


@settings(max_examples=40, deadline=None)
@given(plans())
def test_unix_round_trip_is_exact(plan: ContactPlan) -> None:
    """JSON in unix mode reads back (mode from the block, or given for a plain HDTN file) to the
    conservative rounding, and exports to the same JSON again."""
    data = to_hdtn(plan, times="unix")
    back = read_hdtn(json.dumps(data))
    check_round_trip(plan, back, rate_quantum_bps=1.0)
    assert to_hdtn(back, times="unix") == data
    plain = read_hdtn({"contacts": data["contacts"]}, NODES, EPOCH, plan.duration_s, times="unix")
    check_round_trip(plan, plain, rate_quantum_bps=1.0)


def test_after_2038_is_refused_and_bad_mode() -> None:
    """Unix times past 2^31 - 1 do not fit the router's int; an unknown mode is an error."""
    epoch = dt.datetime(2038, 1, 19, 3, 0, 0, tzinfo=dt.UTC)
    base = make_plan([(0, 3, "downlink", 0.0, 848.0, 8e6, 0.01)])  # ends 03:14:08
    plan = ContactPlan(**{**base.__dict__, "epoch": epoch})
    with pytest.raises(HdtnTimeError, match="2147483648 s, after 2147483647"):
        to_hdtn(plan, times="unix")
    assert to_hdtn(plan)["contacts"][0]["endTime"] == 848
    with pytest.raises(ValueError, match="'relative' or 'unix'"):
        to_hdtn(plan, times="absolute")  # type: ignore[arg-type]
