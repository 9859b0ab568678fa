"""Window finding and edge refinement against analytic margins with known roots."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.links.windows import find_windows, refine_roots, step_windows

TEN_MS = 0.010


def _parabolas(height, centre_s, width_s):
    """m_e(t) = height_e - ((t - centre_e) / width_e)^2: roots at centre ± width sqrt(height)."""

    def exact(elem, t):
        return height[elem] - ((t - centre_s[elem]) / width_s[elem]) ** 2

    return exact


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 12),
    step_s=st.sampled_from([10.0, 60.0, 300.0]),
    seed=st.integers(0, 2**31 - 1),
)
def test_windows_of_parabolas_match_their_analytic_roots(n, step_s, seed):
    """Every window (including ones shorter than a step, and ones cut by the grid ends) is
    found, with both edges within 10 ms of the analytic roots."""
    rng = np.random.default_rng(seed)
    t_s = np.arange(0.0, 3600.0 + step_s / 2, step_s)
    height = rng.uniform(0.05, 2.0, n)
    centre = rng.uniform(-200.0, 3800.0, n)
    width = rng.uniform(5.0, 900.0, n)
    exact = _parabolas(height, centre, width)
    elem = np.repeat(np.arange(n), t_s.size)
    margin = exact(elem, np.tile(t_s, n)).reshape(n, t_s.size)
    w = find_windows(margin, t_s, exact, tol_s=1e-3)
    half = width * np.sqrt(height)
    lo = np.maximum(centre - half, t_s[0])
    hi = np.minimum(centre + half, t_s[-1])
    # which windows exist on the grid span at all
    expect = np.flatnonzero(hi > lo)
    assert list(w.elem) == list(expect)
    assert np.all(np.abs(w.start_s - lo[expect]) < TEN_MS)
    assert np.all(np.abs(w.end_s - hi[expect]) < TEN_MS)


def test_short_window_between_samples_is_found():
    """A 4-second window centred between two 60-s samples is found and refined."""
    t_s = np.arange(0.0, 601.0, 60.0)
    height, centre, width = np.array([4.0]), np.array([330.0]), np.array([1.0])
    exact = _parabolas(height, centre, width)
    margin = exact(np.zeros(t_s.size, dtype=np.intp), t_s)[None, :]
    assert (margin < 0).all()
    w = find_windows(margin, t_s, exact)
    assert len(w) == 1
    assert abs(w.start_s[0] - 328.0) < TEN_MS and abs(w.end_s[0] - 332.0) < TEN_MS
    assert len(find_windows(margin, t_s, exact, find_short=False)) == 0


def test_refine_roots_meets_tolerance_on_steep_and_flat_crossings():
    """Illinois refinement brackets roots of very asymmetric functions to within tol."""
    # f(t) = t^5 - c has a flat side; root at c^(1/5)
    c = np.array([1.0, 10.0, 3000.0, 0.5])
    root = c ** (1 / 5)

    def f(elem, t):
        return t**5 - c[elem]

    elem = np.arange(4)
    a, b = np.zeros(4), np.full(4, 6.0)
    got = refine_roots(elem, a, b, f(elem, a), f(elem, b), f, tol_s=1e-6)
    assert np.all(np.abs(got - root) < 1e-6)


def test_nan_margins_count_as_blocked():
    """Samples with NaN (propagation failure) never count as in contact."""
    t_s = np.arange(0.0, 11.0)
    margin = np.array([[1, 1, np.nan, 1, 1, 1, -1, -1, -1, -1, -1]], dtype=float)

    def exact(elem, t):
        return np.interp(t, t_s, np.nan_to_num(margin[0], nan=-1.0))

    w = find_windows(margin, t_s, exact)
    assert len(w) == 2
    assert w.start_s[0] == 0.0 and 1.0 < w.end_s[0] < 2.0


def test_step_windows_run_from_first_to_last_active_sample():
    """Step-resolution windows begin and end on active samples."""
    t_s = np.arange(6.0) * 10
    active = np.array(
        [[True, True, False, False, True, True], [False, True, True, True, False, False]]
    )
    w = step_windows(active, t_s)
    assert list(w.elem) == [0, 0, 1]
    assert list(w.start_s) == [0.0, 40.0, 10.0]
    assert list(w.end_s) == [10.0, 50.0, 30.0]
