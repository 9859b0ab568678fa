"""Ground-station antennas: at most ``antennas`` passes of a station at once (the rule of
:func:`orbitcloud.links.windows.limit_concurrent`), in the plan and in its users."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.links.windows import _limit_heap, _limit_one, limit_concurrent

#: A pass set: (group, start, end) per window, up to 3 groups, times on a 0.5 s lattice so
#: that ties in start and touching ends happen often.
passes = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.integers(0, 60).map(lambda k: k / 2.0),
        st.integers(0, 30).map(lambda k: k / 2.0),
    ),
    max_size=40,
)


def _arrays(rows: list[tuple[int, float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g = np.array([r[0] for r in rows], dtype=np.intp)
    s = np.array([r[1] for r in rows], dtype=float)
    e = s + np.array([r[2] for r in rows], dtype=float)
    return g, s, e


def _open_count(g: np.ndarray, s: np.ndarray, e: np.ndarray, group: int, t: np.ndarray):
    """Windows of ``group`` open at each of the times ``t`` (half-open ``[s, e)``)."""
    m = g == group
    return ((s[m][None, :] <= t[:, None]) & (t[:, None] < e[m][None, :])).sum(axis=1)


def _probe_times(s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Every edge and every midpoint between consecutive edges: the open count is constant
    between edges, so these see every value it takes."""
    edges = np.unique(np.concatenate([s, e, [0.0]]))
    return np.unique(np.concatenate([edges, (edges[:-1] + edges[1:]) / 2.0]))


@settings(max_examples=300, deadline=None)
@given(rows=passes, caps=st.lists(st.integers(1, 3), min_size=3, max_size=3))
def test_kept_count_is_min_of_antennas_and_open_passes(rows, caps):
    """At every instant a station has min(antennas, passes open then) kept passes: never more
    than its antennas, and nothing lost without need. Kept intervals lie within their pass."""
    g, s, e = _arrays(rows)
    cap = np.array(caps)
    kept, k0 = limit_concurrent(g, s, e, cap)
    assert np.all(np.diff(kept) > 0)
    assert np.all(k0 >= s[kept]) and np.all(k0 <= e[kept])
    t = _probe_times(s, e)
    for grp in range(3):
        orig = _open_count(g, s, e, grp, t)
        now = _open_count(g[kept], k0, e[kept], grp, t)
        assert np.array_equal(now, np.minimum(orig, cap[grp]))


@settings(max_examples=300, deadline=None)
@given(rows=passes)
def test_one_antenna_keeps_disjoint_intervals_with_the_union_of_the_passes(rows):
    """With one antenna the kept intervals of a station are pairwise disjoint and cover the
    union of its passes; with antennas >= the largest overlap every pass is kept whole."""
    g, s, e = _arrays(rows)
    kept, k0 = limit_concurrent(g, s, e, np.ones(3, dtype=np.intp))
    for grp in range(3):
        m = g[kept] == grp
        a, b = k0[m], e[kept][m]
        o = np.argsort(a, kind="stable")
        assert np.all(a[o][1:] >= b[o][:-1])  # disjoint (touching allowed)
        t = _probe_times(s, e)
        union_orig = _open_count(g, s, e, grp, t) > 0
        union_kept = _open_count(g[kept], k0, e[kept], grp, t) > 0
        assert np.array_equal(union_orig, union_kept)
    big = np.full(3, 64)
    kept, k0 = limit_concurrent(g, s, e, big)
    assert np.array_equal(kept, np.arange(len(rows)))
    assert np.array_equal(k0, s)


def _reference(g, s, e, cap):
    """The rule written directly: per station, passes by start, antennas as a list of free
    times; the earliest-free antenna serves the pass from max(start, free)."""
    out = np.full(len(g), np.nan)
    for grp in np.unique(g):
        free = [-np.inf] * int(cap[grp])
        for i in sorted(np.flatnonzero(g == grp), key=lambda i: (s[i], i)):
            f = min(free)
            k = max(s[i], f)
            if f <= s[i] or e[i] > k:
                out[i] = k
                free[free.index(f)] = max(f, e[i])
    return out


@settings(max_examples=200, deadline=None)
@given(rows=passes, caps=st.lists(st.integers(1, 3), min_size=3, max_size=3))
def test_vectorised_rule_equals_the_rule_written_directly(rows, caps):
    """limit_concurrent (vectorised for one antenna, heap for more) gives the starts of a
    plain loop over each station's passes; the one-antenna kernel equals the heap kernel."""
    g, s, e = _arrays(rows)
    cap = np.array(caps)
    kept, k0 = limit_concurrent(g, s, e, cap)
    ref = _reference(g, s, e, cap)
    assert np.array_equal(kept, np.flatnonzero(~np.isnan(ref)))
    assert np.array_equal(k0, ref[kept])
    o = np.lexsort((s, g))
    ones = np.ones(len(g), dtype=np.intp)
    np.testing.assert_array_equal(_limit_one(g[o], s[o], e[o]), _limit_heap(g[o], s[o], e[o], ones))


def test_three_passes_by_hand():
    """One antenna, passes A [0, 10), B [4, 12), C [6, 9) of one station: A keeps [0, 10);
    B starts while A holds the antenna and takes it over when A ends, [10, 12); C ends
    before the antenna frees again (at 12) and is dropped. With two antennas: A [0, 10),
    B [4, 12), and C waits for the first to free (A at 10) but ends at 9: dropped. With
    three, all are whole."""
    g = np.zeros(3, dtype=np.intp)
    s = np.array([0.0, 4.0, 6.0])
    e = np.array([10.0, 12.0, 9.0])
    kept, k0 = limit_concurrent(g, s, e, np.array([1]))
    assert kept.tolist() == [0, 1] and k0.tolist() == [0.0, 10.0]
    kept, k0 = limit_concurrent(g, s, e, np.array([2]))
    assert kept.tolist() == [0, 1] and k0.tolist() == [0.0, 4.0]
    kept, k0 = limit_concurrent(g, s, e, np.array([3]))
    assert kept.tolist() == [0, 1, 2] and k0.tolist() == [0.0, 4.0, 6.0]


@pytest.mark.parametrize("n", [0, 1])
def test_empty_and_single(n):
    """No passes: nothing kept; one pass: kept whole."""
    g, s, e = np.zeros(n, np.intp), np.zeros(n), np.ones(n)
    kept, k0 = limit_concurrent(g, s, e, np.array([1]))
    assert kept.tolist() == list(range(n)) and k0.tolist() == [0.0] * n
