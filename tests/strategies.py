"""Hypothesis strategies and builders shared by the contact-plan format tests."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import strategies as st

from orbitcloud.constants import SPEED_OF_LIGHT_KM_S
from orbitcloud.links.contactplan import KINDS, ContactPlan, NodeTable

EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NODES = NodeTable(
    names=["sat-a", "sat-b", "sat-c", "gs-x", "gs-y"],
    n_sat=3,
    group=["walker", "walker", "walker", "ground", "ground"],
    jurisdiction=["", "", "", "US", "NO"],
)
#: Every allowed directed pair with its kind: sat→sat, sat→ground, ground→sat.
PAIRS = [(a, b, "isl" if b < 3 else "downlink") for a in range(3) for b in range(5) if a != b] + [
    (g, s, "uplink") for g in (3, 4) for s in range(3)
]


def make_plan(rows: list[tuple[int, int, str, float, float, float, float]]) -> ContactPlan:
    """A plan from (src, dst, kind, start_s, end_s, rate_bps, owlt_s) rows, sorted by start."""
    rows = sorted(rows, key=lambda r: r[3])
    col = list(zip(*rows, strict=True)) if rows else [()] * 7
    owlt_s = np.asarray(col[6], dtype=np.float64)
    return ContactPlan(
        epoch=EPOCH,
        duration_s=6000.0,
        nodes=NODES,
        src=np.asarray(col[0], dtype=np.int32),
        dst=np.asarray(col[1], dtype=np.int32),
        start_s=np.asarray(col[3], dtype=np.float64),
        end_s=np.asarray(col[4], dtype=np.float64),
        rate_bps=np.asarray(col[5], dtype=np.float64),
        owlt_s=owlt_s,
        range_km=owlt_s * SPEED_OF_LIGHT_KM_S,
        kind=np.asarray([KINDS.index(k) for k in col[2]], dtype=np.uint8),
    )


@st.composite
def plans(draw: st.DrawFn) -> ContactPlan:
    """Random small plans; windows of one directed pair never overlap (one per 1000 s slot)."""
    times = st.one_of(st.integers(0, 400).map(float), st.floats(0.0, 400.0))
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(PAIRS), st.integers(0, 4)),
            max_size=12,
            unique_by=lambda k: (k[0][0], k[0][1], k[1]),
        )
    )
    rows = []
    for (a, b, kind), slot in keys:
        start_s = 1000.0 * slot + draw(times)
        end_s = start_s + draw(st.one_of(st.floats(0.0, 3.0), st.floats(0.0, 590.0)))
        rate_bps = draw(st.one_of(st.floats(0.0, 20.0), st.floats(1.0, 1e10)))
        owlt_s = draw(st.one_of(st.floats(1e-4, 0.1), st.floats(0.0, 5.0), st.just(2.0)))
        rows.append((a, b, kind, start_s, end_s, rate_bps, owlt_s))
    return make_plan(rows)


def kept_rows(plan: ContactPlan, rate_quantum_bps: float) -> list[int]:
    """Rows that survive whole-second rounding (computed independently of the module)."""
    return [
        i
        for i in range(len(plan))
        if math.floor(plan.end_s[i]) > math.ceil(plan.start_s[i])
        and math.floor(plan.rate_bps[i] / rate_quantum_bps) > 0
    ]


def check_round_trip(plan: ContactPlan, back: ContactPlan, rate_quantum_bps: float) -> None:
    """Assert that ``back`` is ``plan`` rounded conservatively to whole seconds / rate quanta."""
    kept = kept_rows(plan, rate_quantum_bps)
    assert len(back) == len(kept)
    assert back.epoch == plan.epoch
    assert back.duration_s == plan.duration_s
    assert back.nodes == plan.nodes
    names = plan.nodes.names
    for j, i in enumerate(kept):
        assert names[back.src[j]] == names[plan.src[i]]
        assert names[back.dst[j]] == names[plan.dst[i]]
        assert KINDS[back.kind[j]] == KINDS[plan.kind[i]]
        assert 0.0 <= back.start_s[j] - plan.start_s[i] <= 1.0  # < 1 s up to float rounding
        assert 0.0 <= plan.end_s[i] - back.end_s[j] <= 1.0
        assert 0.0 <= plan.rate_bps[i] - back.rate_bps[j] < rate_quantum_bps
        assert back.owlt_s[j] == max(math.ceil(plan.owlt_s[i]), 1)
        assert back.range_km[j] == pytest.approx(back.owlt_s[j] * SPEED_OF_LIGHT_KM_S)
