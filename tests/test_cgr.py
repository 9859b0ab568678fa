"""Contact graph routing against a brute-force time-expanded graph (networkx)."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.links.contactplan import KINDS, ContactPlan, NodeTable
from orbitcloud.network.cgr import ContactGraphRouter

N_NODE = 5
NODES = NodeTable([f"n{i}" for i in range(N_NODE)], N_NODE, ["c"] * N_NODE, [""] * N_NODE)
HORIZON_S = 60


def _plan(rows):
    """Contacts from (src, dst, start_s, end_s, rate_bytes_per_s, owlt_s) rows."""
    a = np.array(rows, dtype=float).reshape(-1, 6)
    return ContactPlan(
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC), float(HORIZON_S), NODES,
        a[:, 0].astype(np.int32), a[:, 1].astype(np.int32), a[:, 2], a[:, 3],
        a[:, 4] * 8.0, a[:, 5], a[:, 5] * 299792.458,
        np.full(len(a), KINDS.index("isl"), dtype=np.uint8),
    )  # fmt: skip


def _teg_oracle(plan, booked, src, dst, t0, size):
    """Earliest arrival and its fewest hops by brute force on a time-expanded graph: nodes
    (node, t) for integer t; waiting edges; one edge per contact and integer start time.
    Exact because sizes are multiples of the rates, so every duration is whole seconds."""
    g = nx.DiGraph()
    horizon = HORIZON_S * 3
    for v in range(N_NODE):
        for t in range(horizon):
            g.add_edge((v, t), (v, t + 1), hops=0)
    rate = plan.rate_bps / 8.0
    for c in range(len(plan)):
        dur = size / rate[c]
        assert dur == int(dur)
        first = plan.start_s[c] + booked[c] / rate[c]
        for tx in range(int(np.ceil(first)), int(plan.end_s[c] - dur) + 1):
            arrive = tx + dur + plan.owlt_s[c]
            g.add_edge((int(plan.src[c]), tx), (int(plan.dst[c]), int(arrive)), hops=1)
    reach = nx.descendants(g, (src, t0))
    times = [t for (v, t) in reach if v == dst]
    if not times:
        return None
    t_best = min(times)
    return t_best, nx.shortest_path_length(g, (src, t0), (dst, t_best), weight="hops")


contacts = st.tuples(
    st.integers(0, N_NODE - 1),
    st.integers(0, N_NODE - 1),
    st.integers(0, 40),
    st.integers(1, 20),
    st.sampled_from([1, 2, 5]),
    st.integers(0, 3),
).filter(lambda c: c[0] != c[1])


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(contacts, min_size=1, max_size=14),
    bundles=st.lists(
        st.tuples(
            st.integers(0, N_NODE - 1),
            st.integers(0, N_NODE - 1),
            st.integers(0, 20),
            st.sampled_from([10, 20, 30]),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_cgr_equals_time_expanded_brute_force(rows, bundles):
    """For a sequence of bundles (each booked before the next), CGR's earliest arrival and
    hop count equal the time-expanded graph's, including after volume is used up."""
    plan = _plan([(a, b, s, s + d, r, o) for a, b, s, d, r, o in rows])
    router = ContactGraphRouter(plan)
    for src, dst, t0, size in bundles:
        if src == dst:
            continue
        expected = _teg_oracle(plan, router.booked_bytes.copy(), src, dst, t0, size)
        got = router.deliver(src, dst, float(t0), float(size))
        if expected is None:
            assert got is None
            continue
        assert got is not None
        assert (got.arrival_s, got.hops) == pytest.approx(expected)
        # the route is a chain of contacts from src to dst, each used inside its window
        assert plan.src[got.contacts[0]] == src and plan.dst[got.contacts[-1]] == dst
        for c, nxt in zip(got.contacts, got.contacts[1:], strict=False):
            assert plan.dst[c] == plan.src[nxt]


def test_volume_exhaustion_pushes_the_second_bundle_to_the_next_contact():
    """A 100-byte contact carries one 100-byte bundle; the next waits for the second contact."""
    plan = _plan([(0, 1, 0, 10, 10, 1), (0, 1, 30, 40, 10, 1)])
    router = ContactGraphRouter(plan)
    first = router.deliver(0, 1, 0.0, 100.0)
    second = router.deliver(0, 1, 0.0, 100.0)
    assert first is not None and first.arrival_s == 11.0 and first.contacts == (0,)
    assert second is not None and second.arrival_s == 41.0 and second.contacts == (1,)
    assert router.deliver(0, 1, 0.0, 100.0) is None


def test_ties_in_arrival_prefer_fewer_hops():
    """Direct and relayed routes arriving together: the direct one wins."""
    plan = _plan([(0, 2, 10, 20, 10, 0), (0, 1, 0, 5, 10, 0), (1, 2, 10, 20, 10, 0)])
    got = ContactGraphRouter(plan).route(0, 2, 0.0, 10.0)
    assert got is not None and got.arrival_s == 11.0 and got.contacts == (0,)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(contacts, min_size=1, max_size=14),
    src=st.integers(0, N_NODE - 1),
    t0=st.integers(0, 20),
    size=st.sampled_from([10, 20, 30]),
    targets=st.sets(st.integers(0, N_NODE - 1), min_size=1, max_size=3),
)
def test_arrivals_and_multi_target_routes_equal_brute_force(rows, src, t0, size, targets):
    """One search gives every node's earliest arrival; a route to several targets reaches the
    one the time-expanded graph reaches first, and only at that time."""
    plan = _plan([(a, b, s, s + d, r, o) for a, b, s, d, r, o in rows])
    router = ContactGraphRouter(plan)
    arrival = router.arrivals(src, float(t0), float(size))
    booked = router.booked_bytes.copy()
    for dst in range(N_NODE):
        if dst == src:
            assert arrival[dst] == t0
            continue
        expected = _teg_oracle(plan, booked, src, dst, t0, size)
        assert arrival[dst] == (np.inf if expected is None else expected[0])
    # a horizon cuts the search there and changes nothing before it
    cut = router.arrivals(src, float(t0), float(size), horizon_s=t0 + 10.0)
    assert np.array_equal(cut, np.where(arrival <= t0 + 10.0, arrival, np.inf))
    targets.discard(src)
    if not targets:
        return
    got = router.route(src, targets, float(t0), float(size))
    first = min(arrival[list(targets)])
    if not np.isfinite(first):
        assert got is None
    else:
        assert got is not None and got.arrival_s == first
        assert int(plan.dst[got.contacts[-1]]) in targets
