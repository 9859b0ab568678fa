"""Contact windows from sampled margins, with edges refined between samples by root finding.

A *margin* ``m(e, t)`` is positive while element ``e`` (a station–satellite or satellite pair)
can link. Sampling it on the time grid finds every window longer than a step; each edge is
then refined with the Illinois variant of regula falsi (Dowell & Jarratt 1971, BIT 11, 168) on
the *exact* margin (SGP4 at the trial time, not an interpolant) until the bracket is shorter
than ``tol_s``. Windows that open and close between two samples are found too: at sampled
local maxima whose parabolic peak estimate comes near zero, a golden-section search (Kiefer
1953) on the exact margin looks for a point inside the window, and both edges are refined
around it.

All loops here run over *iterations*, each vectorised over every edge at once.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MarginFn",
    "Windows",
    "find_windows",
    "limit_concurrent",
    "merge_overlaps",
    "refine_roots",
    "step_windows",
]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]

#: ``margin_at(elem[m], t_s[m]) -> margin[m]``: the exact margin of element ``elem[i]`` at
#: ``t_s[i]`` (pairs, not a grid). NaN means "cannot link" (e.g. SGP4 failed).
MarginFn = Callable[[IDX, F64], F64]

_BLOCKED = -1e9  # stands in for NaN / -inf margins inside the root finder
_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class Windows:
    """Intervals where a margin is >= 0. Arrays are ``[n_window]``, sorted by (elem, start).

    ``start_s`` equals the first grid time for windows already open there, ``end_s`` the last
    grid time for windows still open there.
    """

    elem: IDX
    start_s: F64
    end_s: F64

    def __len__(self) -> int:
        return int(self.elem.shape[0])


def _clean(x: F64) -> F64:
    return np.where(np.isfinite(x), x, _BLOCKED)


def refine_roots(
    elem: IDX, a: F64, b: F64, fa: F64, fb: F64, margin_at: MarginFn, tol_s: float
) -> F64:
    """Times where each margin changes sign inside ``[a, b]``, float64[n], to within ``tol_s``.

    Requires ``(fa >= 0) != (fb >= 0)``. Vectorised over all brackets; only brackets still
    wider than ``tol_s`` are evaluated in each iteration. Each iteration evaluates the margin
    at two probes ``c ± 0.45 tol_s`` around an estimate ``c`` (one SGP4 call per satellite
    either way), so the bracket closes as soon as ``c`` is within ``0.45 tol_s`` of the root.
    The estimate is a Newton step from the probes' difference quotient when it falls inside
    the bracket (quadratic convergence), otherwise Illinois regula falsi (Dowell & Jarratt
    1971), and a bisection every 8th iteration, so the bracket always shrinks.
    """
    a, b = a.astype(np.float64, copy=True), b.astype(np.float64, copy=True)
    fa, fb = _clean(fa.astype(np.float64)), _clean(fb.astype(np.float64))
    last = np.zeros(a.shape, dtype=np.int8)  # +1: a moved last, -1: b moved last
    newton = np.full(a.shape, np.nan)
    half = 0.45 * tol_s
    active = np.flatnonzero(b - a > tol_s)
    for it in range(200):
        if active.size == 0:
            break
        ai, bi, fai, fbi = a[active], b[active], fa[active], fb[active]
        c = (ai * fbi - bi * fai) / (fbi - fai)
        nw = newton[active]
        use_newton = (nw > ai) & (nw < bi)
        c[use_newton] = nw[use_newton]
        bad = ~((c > ai) & (c < bi)) | (it % 8 == 7)
        c[bad] = 0.5 * (ai[bad] + bi[bad])
        lo, hi = np.maximum(c - half, ai), np.minimum(c + half, bi)
        n = active.size
        f = _clean(margin_at(np.concatenate([elem[active], elem[active]]), np.r_[lo, hi]))
        flo, fhi = f[:n], f[n:]
        with np.errstate(divide="ignore", invalid="ignore"):
            newton[active] = lo - flo * (hi - lo) / (fhi - flo)
        sign_a = fai >= 0
        in_left = (flo >= 0) != sign_a  # root in [a, lo]: b moves
        in_mid = ~in_left & ((fhi >= 0) != sign_a)  # root in [lo, hi]: done
        in_right = ~in_left & ~in_mid  # root in [hi, b]: a moves
        il, im, ir = active[in_left], active[in_mid], active[in_right]
        # Illinois: when the same end moves twice running, halve the other end's value.
        fa[il[last[il] == -1]] *= 0.5
        fb[ir[last[ir] == 1]] *= 0.5
        b[il], fb[il], last[il] = lo[in_left], flo[in_left], -1
        a[im], fa[im], b[im], fb[im] = lo[in_mid], flo[in_mid], hi[in_mid], fhi[in_mid]
        a[ir], fa[ir], last[ir] = hi[in_right], fhi[in_right], 1
        active = active[b[active] - a[active] > tol_s]
    return 0.5 * (a + b)


def _parabola_near_zero(left: F64, mid: F64, right: F64) -> tuple[NDArray[np.bool_], F64]:
    """For the parabola through three equally spaced samples: whether its peak may reach
    zero (with slack for higher-order terms), and the vertex position in steps from ``mid``
    (-1 = at ``left``, +1 = at ``right``)."""
    curv = left - 2.0 * mid + right  # < 0 for a maximum
    with np.errstate(divide="ignore", invalid="ignore"):
        x_vertex = (left - right) / (2.0 * curv)
        peak = mid - (right - left) ** 2 / (8.0 * curv)
    # generous slack: a cubic term can lift the true peak above the parabola's
    return (curv < 0) & (peak > 0.5 * curv), x_vertex


#: Safety factor on the curvature bound used to drop short-window candidates (see below).
CURVATURE_SAFETY = 4.0


def _short_window_peaks(
    m: F64, t_s: F64, margin_at: MarginFn, peak_tol_s: float
) -> tuple[IDX, F64, F64, F64, F64, F64]:
    """Windows hidden between samples: ``(elem, lo_s, hi_s, t_in, m_in, m_lo_hi)``, where
    samples ``lo_s < t_in < hi_s`` have margins ``m_lo_hi`` (float64[n, 2]) < 0 and the
    margin at ``t_in`` is ``m_in >= 0`` (a point inside the window).

    Each candidate (a sampled local maximum below zero whose parabola may reach zero) is
    searched by golden section (Kiefer 1953) on the exact margin, and leaves the search as
    soon as (a) a probe is >= 0 (window found), (b) its bracket is shorter than
    ``peak_tol_s`` (no window), or (c) the peak provably stays below zero under a curvature
    bound: with best probe ``f*`` in a bracket of length ``L`` around the peak,
    ``max m <= f* + M L^2 / 2`` (Taylor), where ``M`` is ``CURVATURE_SAFETY`` times the
    curvature seen in the samples. Each candidate's search depends on its own values only.
    """
    n_time = m.shape[1]
    empty = np.empty(0)
    if n_time < 3:
        return np.empty(0, dtype=np.intp), empty, empty, empty, empty, np.empty((0, 2))
    # Sampled local maxima below zero (their neighbours are lower, so also below zero),
    # found with cheap comparisons; the parabola test runs only on those few candidates.
    mid = m[:, 1:-1]
    e_i, k_i = np.nonzero((mid < 0) & (mid > m[:, :-2]) & (mid >= m[:, 2:]))
    k_i = k_i + 1
    near_i = _parabola_near_zero(m[e_i, k_i - 1], m[e_i, k_i], m[e_i, k_i + 1])[0]
    e_i, k_i = e_i[near_i], k_i[near_i] - 1
    # a peak between the first two (last two) samples shows as a parabola vertex there
    near_f, x_f = _parabola_near_zero(m[:, 0], m[:, 1], m[:, 2])
    near_l, x_l = _parabola_near_zero(m[:, -3], m[:, -2], m[:, -1])
    e_f = np.flatnonzero(near_f & (x_f < 0.0) & (m[:, 0] < 0) & (m[:, 0] > m[:, 1]))
    e_l = np.flatnonzero(near_l & (x_l > 0.0) & (m[:, -1] < 0) & (m[:, -1] > m[:, -2]))
    e = np.concatenate([e_i, e_f, e_l]).astype(np.intp)
    k_lo = np.concatenate([k_i, np.zeros(e_f.size, np.intp), np.full(e_l.size, n_time - 2)])
    k_hi = np.concatenate([k_i + 2, np.ones(e_f.size, np.intp), np.full(e_l.size, n_time - 1)])
    k_lo, k_hi = k_lo.astype(np.intp), k_hi.astype(np.intp)
    # curvature bound M [margin / s^2] from the three samples around each candidate
    k_c = np.concatenate([k_i + 1, np.ones(e_f.size, np.intp), np.full(e_l.size, n_time - 2)])
    h = 0.5 * (t_s[k_c + 1] - t_s[k_c - 1])
    curv = np.abs(m[e, k_c - 1] - 2.0 * m[e, k_c] + m[e, k_c + 1]) / h**2
    bound = CURVATURE_SAFETY * curv
    lo, hi = t_s[k_lo], t_s[k_hi]
    m_lohi = np.stack([m[e, k_lo], m[e, k_hi]], axis=1)
    a, b = lo.copy(), hi.copy()
    x1 = b - _GOLDEN * (b - a)
    x2 = a + _GOLDEN * (b - a)
    f1, f2 = _clean(margin_at(e, x1)), _clean(margin_at(e, x2))
    t_in, f_in = np.full(e.size, np.nan), np.full(e.size, -np.inf)
    live = np.arange(e.size)
    while live.size:
        best = np.maximum(f1[live], f2[live])
        found = best >= 0
        fl = live[found]
        t_in[fl] = np.where(f1[fl] >= f2[fl], x1[fl], x2[fl])
        f_in[fl] = best[found]
        width = b[live] - a[live]
        hopeless = best + 0.5 * bound[live] * width**2 < 0
        live = live[~found & ~hopeless & (width > peak_tol_s)]
        if not live.size:
            break
        left = f1[live] >= f2[live]
        la, lb = live[left], live[~left]
        # left better: the peak is in [a, x2]; right better: in [x1, b]
        b[la], x2[la], f2[la] = x2[la], x1[la], f1[la]
        x1[la] = b[la] - _GOLDEN * (b[la] - a[la])
        a[lb], x1[lb], f1[lb] = x1[lb], x2[lb], f2[lb]
        x2[lb] = a[lb] + _GOLDEN * (b[lb] - a[lb])
        x_new = np.where(left, x1[live], x2[live])
        f_new = _clean(margin_at(e[live], x_new))
        f1[la] = f_new[left]
        f2[lb] = f_new[~left]
    keep = np.isfinite(t_in)
    return e[keep], lo[keep], hi[keep], t_in[keep], f_in[keep], m_lohi[keep]


def find_windows(
    margin: F64,
    t_s: F64,
    margin_at: MarginFn,
    tol_s: float = 1e-3,
    find_short: bool = True,
) -> Windows:
    """Windows where ``margin >= 0``.

    Args:
        margin: float64[n_elem, n_time], the margin sampled on the grid (NaN = blocked).
        t_s: float64[n_time], the grid.
        margin_at: exact margin at arbitrary (element, time) pairs, see :data:`MarginFn`.
        tol_s: edge accuracy; each refined edge is within ``tol_s / 2`` of the exact root.
        find_short: also find windows that open and close between two samples.
    """
    m = np.asarray(margin, dtype=np.float64)
    if not np.isfinite(m).all():
        m = _clean(m)
    vis = m >= 0
    step = vis[:, 1:].view(np.int8) - vis[:, :-1].view(np.int8)
    e_edge, k_edge = np.nonzero(step)
    roots = refine_roots(
        e_edge, t_s[k_edge], t_s[k_edge + 1],
        m[e_edge, k_edge], m[e_edge, k_edge + 1], margin_at, tol_s,
    )  # fmt: skip
    rising = step[e_edge, k_edge] > 0
    open0 = np.flatnonzero(vis[:, 0])
    open1 = np.flatnonzero(vis[:, -1])
    start_e = [e_edge[rising], open0]
    start_t = [roots[rising], np.full(open0.shape, t_s[0])]
    end_e = [e_edge[~rising], open1]
    end_t = [roots[~rising], np.full(open1.shape, t_s[-1])]
    if find_short:
        pe, lo, hi, pt, fp, m_lohi = _short_window_peaks(
            m, t_s, margin_at, peak_tol_s=max(tol_s, 0.5)
        )
        rise = refine_roots(pe, lo, pt, m_lohi[:, 0], fp, margin_at, tol_s)
        fall = refine_roots(pe, pt, hi, fp, m_lohi[:, 1], margin_at, tol_s)
        start_e.append(pe)
        start_t.append(rise)
        end_e.append(pe)
        end_t.append(fall)
    se, st = np.concatenate(start_e), np.concatenate(start_t)
    ee, et = np.concatenate(end_e), np.concatenate(end_t)
    so = np.lexsort((st, se))
    eo = np.lexsort((et, ee))
    if not np.array_equal(se[so], ee[eo]):  # pragma: no cover - would be a logic error
        raise RuntimeError("window starts and ends do not pair up")
    return merge_overlaps(se[so].astype(np.intp), st[so], et[eo])


def merge_overlaps(elem: IDX, start_s: F64, end_s: F64) -> Windows:
    """Merge windows of one element that touch or overlap; input sorted by (elem, start)."""
    if elem.size < 2:
        return Windows(elem, start_s, end_s)
    # running max of earlier ends within each element: offset elements far apart in value
    span = float(np.max(np.abs(np.concatenate([start_s, end_s])))) * 4.0 + 1.0
    shifted = end_s + elem * span
    prev_end = np.r_[-np.inf, np.maximum.accumulate(shifted)[:-1]] - elem * span
    new_run = np.r_[True, elem[1:] != elem[:-1]] | (start_s > prev_end)
    starts = np.flatnonzero(new_run)
    return Windows(elem[starts], start_s[starts], np.maximum.reduceat(end_s, starts))


def step_windows(active: NDArray[np.bool_], t_s: F64) -> Windows:
    """Windows at grid resolution from bool[n_elem, n_time]: from the first to the last
    active sample of each run (for links switched by decisions taken at grid steps)."""
    pad = np.zeros((active.shape[0], 1), dtype=np.int8)
    a = active.view(np.int8)
    step = np.diff(np.concatenate([pad, a, pad], axis=1), axis=1)
    se, sk = np.nonzero(step > 0)
    _, ek = np.nonzero(step < 0)
    return Windows(se.astype(np.intp), t_s[sk], t_s[ek - 1])


def limit_concurrent(
    group: IDX, start_s: F64, end_s: F64, capacity: NDArray[np.integer]
) -> tuple[IDX, F64]:
    """At most ``capacity[g]`` windows of each group ``g`` open at once (a ground station with
    ``capacity`` antennas and its passes). Returns ``(kept, kept_start_s)``: indices into the
    inputs of the windows kept, ascending, and the start of each kept window (its end stays).

    The rule is this project's: a first-come first-served greedy that gives each window the
    antenna that frees first (without hand-over this is the classic greedy for interval
    scheduling on identical machines, see Kolen, Lenstra, Papadimitriou & Spieksma 2007,
    "Interval scheduling: a survey", Naval Research Logistics 54, 530), with hand-over:

    - windows of a group are taken in order of start (ties: input order);
    - a window that starts while an antenna is free takes it for the whole window;
    - one that starts while all are busy takes the antenna that frees first, from the
      moment it frees (the earlier window keeps its antenna to its end), and is dropped if
      nothing of it is left (it ends by then).

    Windows are half-open ``[start, end)``: an antenna freed at ``t`` can start a window at
    ``t``. Consequence (checked by the tests): at every instant a group has
    ``min(capacity, windows open there)`` kept windows open, so nothing is lost without need
    and the union of a group's kept time equals the union of its windows.

    Vectorised: a group that never has more windows open than its capacity keeps them all
    (one sort of all edges); among the others, those with capacity 1 in one pass (a kept
    window starts at the later of its start and the latest end among the group's earlier
    windows); groups with more antennas that they can overflow take a loop over their
    windows sorted by start, with a heap of antenna free times.
    Inputs ``[n_window]``; ``capacity`` int[n_group], >= 1.
    """
    n = int(group.shape[0])
    kept_start = np.full(n, np.nan)
    if n == 0:
        return np.empty(0, dtype=np.intp), kept_start
    cap_g = np.asarray(capacity)
    free = _max_open(group, start_s, end_s, cap_g.shape[0]) <= cap_g  # never more than cap
    whole = free[group]
    kept_start[whole] = start_s[whole]
    rest = np.flatnonzero(~whole)
    order = rest[np.lexsort((start_s[rest], group[rest]))]  # stable: ties keep input order
    g, s, e = group[order], start_s[order], end_s[order]
    cap = cap_g[g]
    one = cap == 1
    if one.any():
        kept_start[order[one]] = _limit_one(g[one], s[one], e[one])
    many = np.flatnonzero(~one)
    if many.size:
        kept_start[order[many]] = _limit_heap(g[many], s[many], e[many], cap[many])
    kept = np.flatnonzero(~np.isnan(kept_start))
    return kept, kept_start[kept]


def _max_open(group: IDX, start_s: F64, end_s: F64, n_group: int) -> IDX:
    """int[n_group]: the most windows of each group open at one instant, by one sort of all
    edges. A start at ``t`` counts before an end at ``t`` (an over-count at touching edges,
    so a group said to fit its capacity surely does, even with zero-length windows)."""
    n = group.shape[0]
    t = np.concatenate([start_s, end_s])
    step = np.concatenate([np.ones(n, np.intp), -np.ones(n, np.intp)])
    gg = np.concatenate([group, group])
    o = np.lexsort((-step, t, gg))  # per group by time, starts (+1) first at equal times
    level = np.cumsum(step[o])  # each group adds as many starts as ends: the count in it
    out = np.zeros(n_group, np.intp)
    np.maximum.at(out, gg[o], level)
    return out


def _limit_one(g: IDX, s: F64, e: F64) -> F64:
    """One antenna per group; inputs sorted by (group, start). Kept start, NaN if dropped.

    The antenna frees at the latest end among the group's earlier windows (a dropped window
    ends before it, so never moves it): a grouped running maximum, exact through integer
    ranks of the ends (key = group · n + rank; groups ascend, so one running max serves)."""
    n = g.shape[0]
    if n == 0:
        return np.empty(0)
    ends, rank = np.unique(e, return_inverse=True)
    key = g.astype(np.int64) * n + rank.reshape(-1)
    run = np.maximum.accumulate(key)
    prev = np.empty(n, dtype=np.int64)
    prev[0] = -1
    prev[1:] = run[:-1]
    base = g.astype(np.int64) * n
    has_prev = prev >= base  # an earlier window of the same group
    free = np.where(has_prev, ends[np.where(has_prev, prev - base, 0)], -np.inf)
    return _kept_from(s, e, free)


def _limit_heap(g: IDX, s: F64, e: F64, cap: IDX) -> F64:
    """Any number of antennas; inputs sorted by (group, start). A heap of the antenna free
    times per group; each window replaces the earliest free time ``f`` by ``max(f, end)``
    (a dropped window ends by ``f``, so this is no change)."""
    free = np.empty(g.shape[0])
    if g.shape[0] == 0:
        return free
    cuts = np.flatnonzero(np.diff(g)) + 1
    for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), g.shape[0]], strict=True):
        heap = [-np.inf] * int(cap[lo])
        for i, end in enumerate(e[lo:hi].tolist(), start=lo):
            f = heap[0]
            free[i] = f
            if end > f:
                heapq.heapreplace(heap, end)
    return _kept_from(s, e, free)


def _kept_from(s: F64, e: F64, free: F64) -> F64:
    """Kept start ``max(start, free)``; NaN where nothing is left (a window that starts on a
    free antenna is kept whole, even if it has zero length)."""
    k = np.maximum(s, free)
    return np.where((free <= s) | (e > k), k, np.nan)
