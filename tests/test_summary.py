"""Run summary numbers against brute-force counting."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.summary import coverage_gaps


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 990), st.integers(1, 60)), max_size=15),
)
def test_coverage_gaps_match_a_one_second_scan(intervals):
    """Gap count, longest gap and no-contact share equal those of a 1-s occupancy scan
    (integer interval ends, so the scan is exact)."""
    span = 1000
    starts = np.array([a for a, _ in intervals], dtype=float)
    ends = np.array([min(a + d, span) for a, d in intervals], dtype=float)
    covered = np.zeros(span, dtype=bool)  # second k covers [k, k+1)
    for a, b in zip(starts.astype(int), ends.astype(int), strict=True):
        covered[a:b] = True
    runs = np.diff(np.r_[0, (~covered).astype(int), 0])
    gap_starts, gap_ends = np.flatnonzero(runs == 1), np.flatnonzero(runs == -1)
    got = coverage_gaps(starts, ends, float(span))
    assert got["gaps"] == gap_starts.size
    assert got["max_gap_s"] == (gap_ends - gap_starts).max(initial=0)
    assert abs(got["gap_fraction"] - (~covered).mean()) < 1e-12
