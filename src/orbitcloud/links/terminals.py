"""Inter-layer links through terminals: which pairs link at each step, and when data flows.

An ISL set with ``between: [A, B]`` and ``terminal: kind`` links satellites of constellation A
to satellites of constellation B (GEO data relays to a LEO node, a LEO relay layer to MEO ...)
through the terminals of that kind each side carries (:class:`orbitcloud.scenario.terminals.
Terminal`: ``count``, ``max_range_km``, ``slew_rate_deg_s``, ``acquisition_s``).

Rule, at every grid step ``t_k`` (:func:`assign_terminals`):

1. *geometry*: a pair can link while its range is at most the set's range (the smallest of the
   set's ``max_range_km`` and both terminals' ``max_range_km``) and the line of sight clears
   the Earth plus ``grazing_altitude_km`` (:func:`orbitcloud.links.visibility.isl_margin`, the
   same test as every ISL);
2. *hysteresis*: a link assigned at ``t_{k-1}`` that is still geometrically possible stays
   (it is never dropped for a shorter one), so links do not flap;
3. *greedy*: the terminals left free take new partners shortest range first (ties: lower
   candidate index), a pair only when both ends still have a free terminal
   (:func:`greedy_links`), so no satellite ever has more links than its ``count``;
4. *acquisition*: a new link holds its two terminals from ``t_k`` on but carries data only
   from ``t_k + max(slew_a + acq_a, slew_b + acq_b)``: each end slews from where the terminal
   it takes last pointed (its previous partner's direction in the Earth-fixed frame at the
   last step it was linked; a terminal never used yet is taken as already pointed) to the new
   partner, at its ``slew_rate_deg_s``, then acquires for its ``acquisition_s``. Of the free
   terminals of a satellite the new link takes the one needing the smallest slew.

A link lasts until the last step it is assigned (windows at grid resolution, as for
``max_terminals``); a link that ends before its acquisition does has no window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from orbitcloud.links.visibility import isl_margin
from orbitcloud.orbits.satellites import SatelliteSet
from orbitcloud.scenario.models import IslSpec, Scenario

__all__ = [
    "TerminalSet",
    "TerminalWindows",
    "assign_terminals",
    "between_pairs",
    "greedy_links",
    "terminal_set",
]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]


@dataclass(frozen=True)
class TerminalSet:
    """One inter-layer ISL set resolved to nodes. Per node, arrays ``[n_node]`` (0 for nodes
    of neither side): ``count`` terminals of the set's kind, ``slew_rate_rad_s``,
    ``acquisition_s``. ``side_a``, ``side_b``: node indices of the two constellations."""

    name: str
    side_a: IDX
    side_b: IDX
    count: IDX
    slew_rate_rad_s: F64
    acquisition_s: F64
    max_range_km: float
    grazing_altitude_km: float


def terminal_set(spec: IslSpec, scenario: Scenario, sats: SatelliteSet) -> TerminalSet:
    """The terminals of ``spec`` (a validated ``between:`` set) on the nodes of ``sats``."""
    assert spec.between is not None
    by_name = {c.name: c for c in scenario.constellations}
    n = sats.n_sat
    count = np.zeros(n, dtype=np.intp)
    slew = np.zeros(n)
    acq = np.zeros(n)
    sides: list[IDX] = []
    rng = spec.max_range_km
    for cname in spec.between:
        c = by_name[cname]
        term = spec.terminal_of(c)  # type: ignore[arg-type]  # Earth orbit: validated
        assert term is not None
        idx = sats.indices_of([cname]).astype(np.intp)
        count[idx] = term.count
        slew[idx] = np.radians(term.slew_rate_deg_s)
        acq[idx] = term.acquisition_s
        rng = min(rng, term.max_range_km)
        sides.append(idx)
    return TerminalSet(spec.name, sides[0], sides[1], count, slew, acq, rng,
                       spec.grazing_altitude_km)  # fmt: skip


def between_pairs(ts: TerminalSet, r_ecef_km: F64) -> IDX:
    """Pairs ``(a, b)``, ``a`` of side A and ``b`` of side B, within the set's range at some
    grid step, int[n_pair, 2] sorted (k-d trees per step); positions float64[n_sat, n_time, 3].
    Line of sight is checked per step by :func:`assign_terminals`."""
    found: list[IDX] = []
    for k in range(r_ecef_km.shape[1]):
        pa, pb = r_ecef_km[ts.side_a, k], r_ecef_km[ts.side_b, k]
        oka, okb = np.isfinite(pa).all(axis=1), np.isfinite(pb).all(axis=1)
        ia, ib = np.flatnonzero(oka), np.flatnonzero(okb)
        if ia.size == 0 or ib.size == 0:
            continue
        m = cKDTree(pa[oka]).sparse_distance_matrix(
            cKDTree(pb[okb]), ts.max_range_km, output_type="ndarray"
        )
        found.append(np.stack([ts.side_a[ia[m["i"]]], ts.side_b[ib[m["j"]]]], axis=1))
        if k % 64 == 63:  # bounded memory
            found = [np.unique(np.concatenate(found), axis=0)]
    if not found:
        return np.empty((0, 2), dtype=np.intp)
    return np.unique(np.concatenate(found), axis=0).astype(np.intp)


def greedy_links(
    a: IDX, b: IDX, range_km: F64, candidate: NDArray[np.bool_], spare: IDX
) -> NDArray[np.bool_]:
    """bool[n_pair]: the pairs a greedy shortest-first assignment links at one instant.

    Sequential rule: take the candidate pairs by increasing ``(range_km, index)`` and link a
    pair when both ends still have a spare terminal (``spare``: int[n_node]). Computed in
    rounds, vectorised over pairs: each round links every pair that is among the ``spare``
    nearest remaining candidates of both its ends (such a pair is linked by the sequential
    rule too: fewer than ``spare`` shorter pairs compete for either end), then drops the
    candidates of saturated nodes. The shortest remaining pair is linked in every round, so
    the rounds end, with the sequential rule's result.
    """
    n_node = spare.shape[0]
    spare = spare.astype(np.intp).copy()
    chosen = np.zeros(a.shape[0], dtype=bool)
    live = candidate & (spare[a] > 0) & (spare[b] > 0)
    while live.any():
        ok = np.flatnonzero(live)
        ends = np.concatenate([a[ok], b[ok]])
        which = np.concatenate([ok, ok])
        order = np.lexsort((which, np.concatenate([range_km[ok], range_km[ok]]), ends))
        es = ends[order]
        first = np.searchsorted(es, np.arange(n_node))
        rank = np.arange(order.size) - first[es]
        votes = np.zeros(a.shape[0], dtype=np.int8)
        np.add.at(votes, which[order][rank < spare[es]], 1)
        new = votes == 2
        chosen |= new
        spare -= np.bincount(a[new], minlength=n_node) + np.bincount(b[new], minlength=n_node)
        live &= ~new & (spare[a] > 0) & (spare[b] > 0)
    return chosen


@dataclass(frozen=True)
class TerminalWindows:
    """Data-carrying windows of a terminal set, arrays ``[n_window]``: ``elem`` index into
    the candidate pairs, ``start_s`` (when data flows: ``linked_s`` + ``delay_s``), ``end_s``
    (last step linked), ``linked_s`` (the step the terminals were assigned), ``delay_s`` (slew
    plus acquisition). ``active``: bool[n_pair, n_time], terminals assigned at each step."""

    elem: IDX
    start_s: F64
    end_s: F64
    linked_s: F64
    delay_s: F64
    active: NDArray[np.bool_]


def _unit(v: F64) -> F64:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def assign_terminals(ts: TerminalSet, pairs: IDX, r_ecef_km: F64, t_s: F64) -> TerminalWindows:
    """Assign the terminals of ``ts`` to ``pairs`` (int[n_pair, 2], ``a`` of side A) at every
    grid step by the rule of this module's docstring; positions float64[n_sat, n_time, 3],
    ``t_s`` float64[n_time].

    Vectorised over pairs within a step; the steps run in order (each depends on the links of
    the one before), and the terminal choice loops over the links that start at a step only.
    """
    n_pair, n_time = pairs.shape[0], t_s.shape[0]
    active = np.zeros((n_pair, n_time), dtype=bool)
    empty = np.empty(0)
    if n_pair == 0:
        return TerminalWindows(np.empty(0, np.intp), empty, empty, empty, empty, active)
    a, b = pairs[:, 0], pairs[:, 1]
    n_node = ts.count.shape[0]
    n_slot = int(ts.count.max())
    pointing = np.full((n_node, n_slot, 3), np.nan)  # last direction each terminal pointed
    busy = np.zeros((n_node, n_slot), dtype=bool)
    busy[ts.count[:, None] <= np.arange(n_slot)[None, :]] = True  # slots a node lacks
    slot = np.full((n_pair, 2), -1, dtype=np.intp)
    linked = np.zeros(n_pair, dtype=bool)
    run_k = np.zeros(n_pair, dtype=np.intp)
    delay = np.zeros(n_pair)
    out_e: list[IDX] = []
    out_k0: list[IDX] = []
    out_k1: list[IDX] = []
    out_d: list[F64] = []

    def close(ended: IDX, k_last: int) -> None:
        out_e.append(ended)
        out_k0.append(run_k[ended].copy())
        out_k1.append(np.full(ended.shape, k_last, dtype=np.intp))
        out_d.append(delay[ended].copy())

    for k in range(n_time):
        ra, rb = r_ecef_km[a, k], r_ecef_km[b, k]
        d = np.linalg.norm(rb - ra, axis=1)
        with np.errstate(invalid="ignore"):
            usable = isl_margin(ra, rb, ts.max_range_km, ts.grazing_altitude_km) >= 0
        keep = linked & usable
        dropped = np.flatnonzero(linked & ~usable)
        if dropped.size:
            busy[a[dropped], slot[dropped, 0]] = False
            busy[b[dropped], slot[dropped, 1]] = False
            close(dropped, k - 1)
        held = np.bincount(a[keep], minlength=n_node) + np.bincount(b[keep], minlength=n_node)
        new = np.flatnonzero(greedy_links(a, b, d, usable & ~keep, ts.count - held))
        u = _unit(rb - ra)  # pointing direction a -> b, [n_pair, 3]
        for p in new.tolist():  # links that start now (events, not pairs x steps)
            need_s = np.zeros(2)
            for side, node, direction in ((0, a[p], u[p]), (1, b[p], -u[p])):
                free = np.flatnonzero(~busy[node])
                cos = pointing[node, free] @ direction
                angle = np.where(np.isnan(cos), 0.0, np.arccos(np.clip(cos, -1.0, 1.0)))
                j = int(np.argmin(angle))
                slot[p, side] = free[j]
                busy[node, free[j]] = True
                need_s[side] = angle[j] / ts.slew_rate_rad_s[node] + ts.acquisition_s[node]
            delay[p] = need_s.max()
            run_k[p] = k
        linked = keep
        linked[new] = True
        on = np.flatnonzero(linked)
        pointing[a[on], slot[on, 0]] = u[on]
        pointing[b[on], slot[on, 1]] = -u[on]
        active[:, k] = linked
    close(np.flatnonzero(linked), n_time - 1)
    e = np.concatenate(out_e)
    k0, k1, dl = np.concatenate(out_k0), np.concatenate(out_k1), np.concatenate(out_d)
    start = t_s[k0] + dl
    end = t_s[k1]
    ok = start < end
    o = np.lexsort((start[ok], e[ok]))
    return TerminalWindows(e[ok][o], start[ok][o], end[ok][o], t_s[k0][ok][o], dl[ok][o], active)
