"""Build the contact plan: ground passes and inter-satellite windows with refined edges.

A ground station with ``antennas: N`` is in contact with at most ``N`` satellites at once:
its passes go through :func:`orbitcloud.links.windows.limit_concurrent` (in order of start,
ties by satellite; a pass that starts while every antenna is busy takes the one that frees
first from the moment it frees, and is dropped if nothing of it is left). The downlink and
uplink of a pass use the same antenna, so both rows keep the same start and end.

A station with an ACM ``link:`` (:mod:`orbitcloud.links.acm`) has its passes cut into pieces
of at most ``link.max_piece_s`` (:func:`ground_pieces`); each piece carries, per direction,
the lowest rate of :data:`PIECE_SAMPLES` exact samples over it (both ends and the middle),
and a direction whose piece closes no MODCOD has no row for it. Along a pass the elevation
rises to culmination and falls, and the rate grows with elevation (shorter range, less
atmosphere), so a piece's lowest rate is at one of its ends: the samples there give the
exact minimum, the middle one guards the rule. The pieces of a pass tile it exactly.

With ``link.weather: time_series`` (:mod:`orbitcloud.links.weather_process`) the rain
changes over time, so the lowest rate need not be at an end any more: each sample then takes
the largest rain state of the process over the whole piece (exact for the piecewise-linear
process: its grid samples inside the piece and both ends, one vectorised ``reduceat``), and
the piece's rate is the lowest of those samples. Attenuation rises with the rain state at
every elevation, so this is never above the rate at any instant of the piece (a bound, not
the exact minimum: the worst rain and the worst geometry need not coincide).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
from numpy.typing import NDArray

from orbitcloud.executor import Executor, SerialExecutor
from orbitcloud.links.acm import AcmRates, acm_rates
from orbitcloud.links.contactplan import KINDS, ContactPlan, NodeTable, kind_codes
from orbitcloud.links.isl import candidate_pairs, link_rate_bps, mutual_nearest_active, owlt_s
from orbitcloud.links.jamming import band_segments, tally_rate_loss
from orbitcloud.links.terminals import assign_terminals, between_pairs, terminal_set
from orbitcloud.links.visibility import GroundSites, elevation_margin, isl_margin
from orbitcloud.links.windows import Windows, find_windows, limit_concurrent, step_windows
from orbitcloud.orbits.propagate import Ephemeris, Propagator
from orbitcloud.orbits.satellites import SatelliteSet, satellites_of
from orbitcloud.progress import NullProgress, Progress
from orbitcloud.scenario.models import IslSpec, RangeTopology, Scenario
from orbitcloud.scenario.rates import AcmLink
from orbitcloud.scenario.threats import Jamming
from orbitcloud.timegrid import TimeGrid

__all__ = [
    "PIECE_SAMPLES",
    "GroundChunk",
    "JamEffect",
    "PairWindows",
    "build_contact_plan",
    "cloud_blocked",
    "ground_chunk",
    "ground_pieces",
    "ground_windows",
    "isl_windows",
    "jammers_of",
    "limit_antennas",
    "node_table",
    "station_passes",
]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]

#: Elements (pairs x samples) per chunk of margin evaluation; bounds peak memory (~40 MB/array).
CHUNK_ELEMENTS = 4_000_000
#: Elements (station-satellite pairs x samples) per ground-pass task of an executor.
TASK_ELEMENTS = 4 * CHUNK_ELEMENTS
#: Exact samples per ACM contact piece (both ends and the middle).
PIECE_SAMPLES = 3
#: Longest ACM contact piece without ``link.max_piece_s`` [s] (or the step, if shorter).
MAX_PIECE_S = 60.0


@dataclass(frozen=True)
class PairWindows:
    """Windows of node pairs ``(a, b)``; arrays ``[n_window]``. ``range_max_km`` is the
    longest range within the window (grid samples inside it and both refined edges)."""

    a: IDX
    b: IDX
    start_s: F64
    end_s: F64
    range_max_km: F64

    @classmethod
    def empty(cls) -> PairWindows:
        e = np.empty(0)
        return cls(np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), e, e.copy(), e.copy())

    @classmethod
    def concat(cls, parts: list[PairWindows]) -> PairWindows:
        if not parts:
            return cls.empty()
        return cls(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("a", "b", "start_s", "end_s", "range_max_km")
            )
        )


def node_table(scenario: Scenario, sats: SatelliteSet) -> NodeTable:
    """Satellites (node order of ``sats``) then ground stations."""
    return NodeTable(
        names=sats.names + [g.name for g in scenario.ground_stations],
        n_sat=sats.n_sat,
        group=[sats.constellation_names[c] for c in sats.constellation.tolist()]
        + ["ground"] * len(scenario.ground_stations),
        jurisdiction=[""] * sats.n_sat + [g.jurisdiction for g in scenario.ground_stations],
        antennas=[0] * sats.n_sat + [g.antennas for g in scenario.ground_stations],
    )


def _window_max(values: F64, w: Windows, t_s: F64) -> F64:
    """Max of ``values[elem, k]`` over grid samples inside each window (-inf if none)."""
    n_time = t_s.shape[0]
    k0 = np.searchsorted(t_s, w.start_s, side="left")
    k1 = np.searchsorted(t_s, w.end_s, side="right")  # exclusive
    flat = np.append(values.ravel(), -np.inf)
    base = w.elem * n_time
    idx = np.empty(2 * len(w), dtype=np.intp)
    idx[0::2] = base + k0
    idx[1::2] = base + np.maximum(k1, k0)
    out = np.maximum.reduceat(flat, idx)[0::2] if len(w) else np.empty(0)
    return np.where(k1 > k0, out, -np.inf)


def ground_windows(
    r_ecef_km: F64,
    t_s: F64,
    propagator: Propagator,
    sites: GroundSites,
    tol_s: float = 1e-3,
    progress: Progress | None = None,
) -> PairWindows:
    """Passes of every satellite over every ground station (``a`` = satellite index into
    ``r_ecef_km`` float64[n_sat, n_time, 3], ``b`` = station index counted from 0). Margin:
    elevation above each station's mask; ``propagator`` evaluates the same satellites
    exactly between samples."""
    n_sat, n_time, n_gs = r_ecef_km.shape[0], t_s.shape[0], sites.n_gs
    if n_gs == 0 or n_sat == 0:
        return PairWindows.empty()
    gu = np.einsum("gi,gi->g", sites.r_ecef_km, sites.up)
    gg = np.einsum("gi,gi->g", sites.r_ecef_km, sites.r_ecef_km)
    chunk = max(1, CHUNK_ELEMENTS // (n_gs * n_time))
    parts = []
    with (progress or NullProgress()).task("ground passes", n_sat) as task:
        for s0 in range(0, n_sat, chunk):
            s1 = min(s0 + chunk, n_sat)
            # [sat, 3, time] view; (n_gs, 3) @ it gives [sat, gs, time] rows directly, so
            # element = (sat - s0) * n_gs + gs, with no transposed copies
            rt = r_ecef_km[s0:s1].transpose(0, 2, 1)
            dist = sites.r_ecef_km @ rt
            dist *= -2.0
            dist += np.einsum("cit,cit->ct", rt, rt)[:, None, :]
            dist += gg[:, None]
            np.sqrt(np.maximum(dist, 0.0, out=dist), out=dist)
            margin = sites.up @ rt
            margin -= gu[:, None]
            margin /= dist
            margin -= sites.sin_mask[:, None]
            margin = margin.reshape(-1, n_time)
            dist = dist.reshape(-1, n_time)

            def exact(elem: IDX, t: F64, s0: int = s0) -> F64:
                sat, g = s0 + elem // n_gs, elem % n_gs
                r_sat = propagator.ecef_at(sat, t)
                return elevation_margin(r_sat, sites.r_ecef_km[g], sites.up[g], sites.sin_mask[g])

            w = find_windows(margin, t_s, exact, tol_s)
            sat, g = s0 + w.elem // n_gs, w.elem % n_gs
            edge_r = propagator.ecef_at(
                np.concatenate([sat, sat]), np.concatenate([w.start_s, w.end_s])
            )
            edge_d = np.linalg.norm(
                edge_r - np.concatenate([sites.r_ecef_km[g], sites.r_ecef_km[g]]), axis=1
            )
            rmax = np.fmax(_window_max(dist, w, t_s), np.fmax(edge_d[: len(w)], edge_d[len(w) :]))
            parts.append(PairWindows(sat, g, w.start_s, w.end_s, rmax))
            task.advance(s1 - s0)
    return PairWindows.concat(parts)


@dataclass(frozen=True)
class GroundChunk:
    """One task of the ground-pass search: satellites ``s0 .. s1-1`` of ``scenario``, with
    their sampled positions ``r_ecef_km`` float64[s1 - s0, n_time, 3] on ``grid``."""

    scenario: Scenario
    grid: TimeGrid
    s0: int
    r_ecef_km: F64
    tol_s: float

    @property
    def s1(self) -> int:
        return self.s0 + int(self.r_ecef_km.shape[0])


def ground_chunk(job: GroundChunk) -> PairWindows:
    """Run one :class:`GroundChunk` (module-level so process pools and Dask can import it)."""
    sats = satellites_of(job.scenario).subset(job.s0, job.s1)
    prop = Propagator.for_satellites(sats, job.grid.epoch)
    sites = GroundSites.from_stations(list(job.scenario.ground_stations))
    w = ground_windows(job.r_ecef_km, job.grid.t_s, prop, sites, job.tol_s)
    return PairWindows(w.a + job.s0, w.b, w.start_s, w.end_s, w.range_max_km)


def _all_ground_windows(
    scenario: Scenario,
    grid: TimeGrid,
    r_ecef_km: F64,
    tol_s: float,
    progress: Progress | None,
    executor: Executor | None,
) -> PairWindows:
    """Ground passes of all satellites as tasks of ``TASK_ELEMENTS / (n_gs n_time)``
    satellites each: the cut does not depend on the executor, so neither do the results."""
    n_gs, n_time, n_sat = len(scenario.ground_stations), grid.n_time, r_ecef_km.shape[0]
    per_task = max(1, TASK_ELEMENTS // max(1, n_gs * n_time))
    jobs = [
        GroundChunk(scenario, grid, s0, r_ecef_km[s0 : s0 + per_task], tol_s)
        for s0 in range(0, n_sat, per_task)
    ]
    ex = executor or SerialExecutor()
    with (progress or NullProgress()).task("ground passes", n_sat) as task:
        parts = ex.map(ground_chunk, jobs, lambda i: task.advance(jobs[i].s1 - jobs[i].s0))
    return PairWindows.concat(parts)


def limit_antennas(w: PairWindows, antennas: NDArray[np.integer]) -> PairWindows:
    """The passes ``w`` (``a`` satellite, ``b`` station index) that the stations' antennas
    (int[n_gs]) can serve, by :func:`orbitcloud.links.windows.limit_concurrent`; ties in
    start go to the lower satellite index. A pass taken over from a busy antenna starts when
    that antenna frees; its ``range_max_km`` stays that of the whole pass (still a bound).
    Returned in the order of ``w``, without the dropped passes."""
    if len(w.a) == 0:
        return w
    by_sat = np.argsort(w.a, kind="stable")  # input order = tie-break order
    kept, start = limit_concurrent(w.b[by_sat], w.start_s[by_sat], w.end_s[by_sat], antennas)
    idx = by_sat[kept]
    back = np.argsort(idx, kind="stable")
    idx, start = idx[back], start[back]
    return PairWindows(w.a[idx], w.b[idx], start, w.end_s[idx], w.range_max_km[idx])


def station_passes(
    scenario: Scenario,
    grid: TimeGrid,
    r_ecef_km: F64,
    tol_s: float = 1e-3,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> PairWindows:
    """The ground passes of the contact plan (``a`` satellite, ``b`` station index): every
    pass over every station, limited to each station's ``antennas``; positions
    float64[n_sat, n_time, 3] on ``grid`` (``Ephemeris.r_ecef_km``), without the cloudy
    intervals of optical stations (:func:`cloud_blocked`). The snapshot graphs of
    :mod:`orbitcloud.network.snapshots` link stations through these, so they agree with the
    plan."""
    if not scenario.ground_stations:
        return PairWindows.empty()
    gw = _all_ground_windows(scenario, grid, r_ecef_km, tol_s, progress, executor)
    antennas = np.array([g.antennas for g in scenario.ground_stations])
    if antennas.min() < r_ecef_km.shape[0]:  # else no station can ever be limited
        gw = limit_antennas(gw, antennas)
    return cloud_blocked(gw, scenario)


def cloud_blocked(w: PairWindows, scenario: Scenario) -> PairWindows:
    """The passes ``w`` (``b`` station index) without the cloudy intervals of optical
    stations with ``clouds: time_series`` (:mod:`orbitcloud.links.optical`); passes of other
    stations, and passes no cloud overlaps, unchanged. Order: the order of ``w``."""
    from orbitcloud.links.optical import cloud_cover, free_parts

    cc = cloud_cover(list(scenario.ground_stations), scenario.seed, scenario.duration_s)
    if cc is None or len(w.a) == 0:
        return w
    fields = ("a", "b", "start_s", "end_s", "range_max_km")
    parts, order = [], []
    clouded = np.isin(w.b, cc.station)
    rest = np.flatnonzero(~clouded)
    parts.append(PairWindows(*(getattr(w, f)[rest] for f in fields)))
    order.append(rest.astype(np.float64))
    for i, g in enumerate(cc.station.tolist()):
        sel = np.flatnonzero(w.b == g)
        s, e, which = free_parts(w.start_s[sel], w.end_s[sel], cc.start_s[i], cc.end_s[i])
        src = sel[which]
        parts.append(PairWindows(w.a[src], w.b[src], s, e, w.range_max_km[src]))
        order.append(src + (s - w.start_s[src]) / max(w.end_s.max() + 1.0, 1.0) * 0.5)
    out = PairWindows.concat(parts)
    k = np.argsort(np.concatenate(order), kind="stable")
    return PairWindows(*(getattr(out, f)[k] for f in fields))


def _cut(w: PairWindows, max_s: F64) -> tuple[PairWindows, IDX]:
    """Windows cut into pieces of at most ``max_s[i]`` (float64[n_window]), the last piece
    of each ending at its window's end; also, per piece, the index of its window."""
    n = np.maximum(1, np.ceil((w.end_s - w.start_s) / max_s - 1e-9)).astype(np.intp)
    rep = np.repeat(np.arange(w.a.shape[0]), n)
    k = np.arange(rep.shape[0]) - np.repeat(np.cumsum(n) - n, n)
    start = w.start_s[rep] + k * max_s[rep]
    end = np.where(k == n[rep] - 1, w.end_s[rep], w.start_s[rep] + (k + 1) * max_s[rep])
    return PairWindows(w.a[rep], w.b[rep], start, end, w.range_max_km[rep]), rep


@dataclass(frozen=True)
class JamEffect:
    """What one ``jamming`` threat did to the contact pieces (:func:`ground_pieces`):
    ``contacts_affected`` pieces whose rate it lowered (of them ``contacts_closed`` closed no
    MODCOD any more and were dropped), ``capacity_lost_bytes`` (clear minus jammed rate times
    duration, summed), ``affected_link_s`` (their duration) and ``window_link_s`` (the ACM
    link-time of its direction within its window, clear)."""

    contacts_affected: int
    contacts_closed: int
    capacity_lost_bytes: float
    affected_link_s: float
    window_link_s: float


def jammers_of(scenario: Scenario) -> tuple[Jamming, ...]:
    """The scenario's ``jamming`` threats, in its order."""
    return tuple(t for t in scenario.threats if isinstance(t, Jamming))


def _split_at(p: PairWindows, edges: F64, which: IDX) -> tuple[PairWindows, IDX]:
    """Pieces ``which`` of ``p`` cut at every time of ``edges`` strictly inside them; also,
    per resulting piece, the index of the piece of ``p`` it came from."""
    st, en = p.start_s[which], p.end_s[which]
    cuts = [np.concatenate([[a], edges[(edges > a) & (edges < b)], [b]])
            for a, b in zip(st.tolist(), en.tolist(), strict=True)]  # fmt: skip
    n = np.array([c.size - 1 for c in cuts], dtype=np.intp)
    rep = np.repeat(which, n)
    s0 = np.concatenate([c[:-1] for c in cuts]) if cuts else np.empty(0)
    s1 = np.concatenate([c[1:] for c in cuts]) if cuts else np.empty(0)
    return PairWindows(p.a[rep], p.b[rep], s0, s1, p.range_max_km[rep]), rep


def ground_pieces(
    w: PairWindows,
    scenario: Scenario,
    propagator: Propagator,
    rates: AcmRates | None = None,
    jam_effects: list[JamEffect] | None = None,
) -> tuple[PairWindows, F64, F64]:
    """Ground passes ``w`` (``a`` satellite, ``b`` station index) as contact pieces with
    their ``(pieces, downlink_bps, uplink_bps)``, arrays ``[n_piece]``: a pass of a station
    with a fixed rate is one piece at that rate; a pass of a station with an ACM ``link:`` is
    cut into pieces of at most ``link.max_piece_s`` (default min(step, :data:`MAX_PIECE_S`)),
    each with the lowest rate over its :data:`PIECE_SAMPLES` exact samples per direction
    (0: no MODCOD closes) and ``range_max_km`` the longest sampled range; with
    ``weather: time_series`` every sample takes the largest rain state over its piece (module
    docstring). ``propagator``
    evaluates the satellites of ``w.a`` exactly; ``rates``: default :func:`acm_rates`.

    The scenario's ``jamming`` threats (:mod:`orbitcloud.links.jamming`): a piece that
    overlaps a jammer's window and that the jammer reaches (J/N0 at or above
    :data:`~orbitcloud.links.jamming.JN_FLOOR_DB` at one of its samples within the window) is
    cut at the window's edges; the parts inside it take the lowest rate of
    ``Es/(N0 + J0)`` over their samples, with every jammer whose window holds them. Pieces no
    jammer reaches are left as they are, bit for bit. Along a jammed piece the rate need not
    be lowest at an end (the jammer's off-axis angle changes too): there the samples are an
    estimate, not the exact minimum. ``jam_effects``: if given, one :class:`JamEffect` per
    jammer is appended."""
    stations = list(scenario.ground_stations)
    down_fixed = np.array([g.downlink_rate_bps for g in stations], dtype=np.float64)
    up_fixed = np.array([g.effective_uplink_rate_bps for g in stations], dtype=np.float64)
    jammers = jammers_of(scenario)
    if rates is None:
        rates = acm_rates(tuple(stations), jammers, scenario.seed, scenario.duration_s,
                          tuple(scenario.users))  # fmt: skip
    if rates is None or len(w.a) == 0:
        if jam_effects is not None:
            jam_effects.extend(JamEffect(0, 0, 0.0, 0.0, 0.0) for _ in jammers)
        return w, down_fixed[w.b], up_fixed[w.b]
    default_s = min(scenario.step_s, MAX_PIECE_S)
    piece_s = np.array(
        [default_s if not isinstance(g.link, AcmLink) or g.link.max_piece_s is None
         else g.link.max_piece_s
         for g in stations], dtype=np.float64,
    )  # fmt: skip
    is_acm = rates.down_row[w.b] >= 0
    keep = PairWindows(*(getattr(w, f)[~is_acm] for f in ("a", "b", "start_s", "end_s",
                                                          "range_max_km")))  # fmt: skip
    acm = PairWindows(*(getattr(w, f)[is_acm] for f in ("a", "b", "start_s", "end_s",
                                                        "range_max_km")))  # fmt: skip
    p, _ = _cut(acm, piece_s[acm.b])
    sites = GroundSites.from_stations(stations)
    fixed = {False: down_fixed, True: up_fixed}
    rows = {False: rates.down_row, True: rates.up_row}

    def sample(q: PairWindows) -> tuple[F64, IDX, F64, F64, F64, IDX]:
        frac = np.linspace(0.0, 1.0, PIECE_SAMPLES)
        t = (q.start_s[:, None] + (q.end_s - q.start_s)[:, None] * frac[None]).ravel()
        sat = np.repeat(q.a, PIECE_SAMPLES)
        g = np.repeat(q.b, PIECE_SAMPLES)
        r_sat = propagator.ecef_at(sat, t)
        d = r_sat - sites.r_ecef_km[g]
        rng = np.sqrt(np.einsum("ij,ij->i", d, d))
        el = np.degrees(np.arcsin(np.clip(np.einsum("ij,ij->i", d, sites.up[g]) / rng, -1, 1)))
        return t, g, rng, el, r_sat, sat

    def worst(
        q: PairWindows,
        up: bool,
        active: NDArray[np.bool_] | None = None,
        smp: tuple[F64, IDX, F64, F64, F64, IDX] | None = None,
    ) -> F64:
        t, g, rng, el, r_sat, _ = smp if smp is not None else sample(q)
        row = rows[up][g]
        r = fixed[up][g].copy()
        m = np.flatnonzero(row >= 0)
        if m.size:
            act = None if active is None else np.repeat(active, PIECE_SAMPLES, axis=0)[m]
            x = None
            if rates.rain is not None:  # time-series weather: the piece's worst rain state
                x = rates.rain_x_max(row[m], np.repeat(q.start_s, PIECE_SAMPLES)[m],
                                     np.repeat(q.end_s, PIECE_SAMPLES)[m])  # fmt: skip
            r[m] = rates.rate_bps(row[m], el[m], rng[m], r_sat[m], act, t_s=t[m], rain_x=x)
        return np.asarray(r.reshape(-1, PIECE_SAMPLES).min(axis=1), dtype=np.float64)

    smp = sample(p)
    down = worst(p, False, None, smp)
    up = worst(p, True, None, smp)
    rmax = smp[2].reshape(-1, PIECE_SAMPLES).max(axis=1)
    pieces = PairWindows(p.a, p.b, p.start_s, p.end_s, rmax)
    if jammers and rates.jammers is not None and len(p.a):
        pieces, down, up = _jam(pieces, down, up, rates, worst, sample, jam_effects)
    elif jam_effects is not None:
        jam_effects.extend(JamEffect(0, 0, 0.0, 0.0, 0.0) for _ in jammers)
    return (
        PairWindows.concat([keep, pieces]),
        np.concatenate([down_fixed[keep.b], down]),
        np.concatenate([up_fixed[keep.b], up]),
    )


def _jam(
    p: PairWindows,
    down: F64,
    up: F64,
    rates: AcmRates,
    worst: Callable[..., F64],
    sample: Callable[[PairWindows], tuple[F64, IDX, F64, F64, F64, IDX]],
    jam_effects: list[JamEffect] | None,
) -> tuple[PairWindows, F64, F64]:
    """The jamming step of :func:`ground_pieces` (its docstring); pulsed jammers cut the
    pieces at every pulse edge, partial-band and hopping jammers weight the rate by their
    share of the channel (:mod:`orbitcloud.links.jamming`, modes)."""
    js_set = rates.jammers
    assert js_set is not None
    n_j = len(js_set)
    # which pieces each jammer reaches: J/N0 >= floor at a sample of the overlap, per direction
    reach = np.zeros((len(p.a), n_j, 2), dtype=bool)
    for k in range(n_j):
        a, b = js_set.start_s[k], js_set.end_s[k]
        ov = np.flatnonzero((p.end_s > a) & (p.start_s < b))
        if ov.size == 0:
            continue
        q = PairWindows(p.a[ov], p.b[ov], np.maximum(p.start_s[ov], a),
                        np.minimum(p.end_s[ov], b), p.range_max_km[ov])  # fmt: skip
        t, g, rng, el, r_sat, _ = sample(q)
        for d, row_of in enumerate((rates.down_row, rates.up_row)):
            row = row_of[g]
            m = np.flatnonzero(row >= 0)
            hit = np.zeros(row.shape[0], dtype=bool)
            if m.size:
                js, _ = rates.js_db(k, row[m], el[m], rng[m], r_sat[m], t_s=t[m])
                hit[m] = np.isfinite(js)
            reach[ov, k, d] = hit.reshape(-1, PIECE_SAMPLES).any(axis=1)
    touched = np.flatnonzero(reach.any(axis=(1, 2)))
    clear = (down, up)
    effects = [[0, 0, 0.0, 0.0, 0.0] for _ in range(n_j)]
    for k in range(n_j):  # clear ACM link-time of the jammer's direction within its window
        d = 1 if bool(js_set.uplink[k]) else 0
        lo_s, hi_s = js_set.start_s[k], js_set.end_s[k]
        ov = np.clip(np.minimum(p.end_s, hi_s) - np.maximum(p.start_s, lo_s), 0.0, None)
        has = (clear[d] > 0) & ((rates.up_row if d else rates.down_row)[p.b] >= 0)
        effects[k][4] = float(ov[has].sum())
    if touched.size == 0:
        if jam_effects is not None:
            jam_effects.extend(JamEffect(0, 0, 0.0, 0.0, e[4]) for e in effects)
        return p, down, up
    edges = js_set.edges_s()  # windows, and each pulse of a pulsed jammer
    share = js_set.share if js_set.share is not None else np.ones(n_j)
    width, _ = band_segments(share)  # partial-band / hopping shares (nested)
    fields = ("a", "b", "start_s", "end_s", "range_max_km")
    rest = np.setdiff1d(np.arange(len(p.a)), touched)
    parts = [PairWindows(*(getattr(p, f)[rest] for f in fields))]
    out_bps: list[list[F64]] = [[down[rest]], [up[rest]]]
    for d in (0, 1):  # a direction no jammer reaches keeps its piece whole, bit for bit
        hit_d = reach[:, :, d].any(axis=1)
        whole = np.setdiff1d(touched, np.flatnonzero(hit_d))
        parts.append(PairWindows(*(getattr(p, f)[whole] for f in fields)))
        out_bps[d].append(clear[d][whole])
        out_bps[1 - d].append(np.zeros(whole.size))
        cut = np.flatnonzero(hit_d)
        if cut.size == 0:
            continue
        q, src = _split_at(p, edges, cut)
        active = js_set.active_at(0.5 * (q.start_s + q.end_s)) & reach[src, :, d]
        # share-weighted over the channel's segments (links/jamming.py, modes)
        smp_q = sample(q) if width.size > 1 else None
        new = js_set.share_weighted_bps(partial(worst, q, bool(d), smp=smp_q), active)
        parts.append(q)
        out_bps[d].append(new)
        out_bps[1 - d].append(np.zeros(q.a.shape[0]))
        for k in range(n_j):
            if (1 if bool(js_set.uplink[k]) else 0) != d:
                continue
            sel = active[:, k]
            tally_rate_loss(effects[k], clear[d][src[sel]], new[sel], (q.end_s - q.start_s)[sel])
    if jam_effects is not None:
        jam_effects.extend(JamEffect(int(e[0]), int(e[1]), e[2], e[3], e[4]) for e in effects)
    return (
        PairWindows.concat(parts),
        np.concatenate(out_bps[0]),
        np.concatenate(out_bps[1]),
    )


def isl_windows(
    spec: IslSpec,
    scenario: Scenario,
    eph: Ephemeris,
    tol_s: float = 1e-3,
    progress: Progress | None = None,
) -> PairWindows:
    """Windows of the pairs allowed by ``spec`` (satellite node indices; ``a < b``, or for
    an inter-layer set (``between:``) ``a`` of its first constellation, windows starting when
    data flows, see :mod:`orbitcloud.links.terminals`)."""
    t_s = eph.grid.t_s
    r = eph.r_ecef_km
    tw = None
    if spec.between is not None:
        ts = terminal_set(spec, scenario, eph.satellites)
        pairs = between_pairs(ts, r)
        tw = assign_terminals(ts, pairs, r, t_s)
    else:
        pairs = candidate_pairs(spec, scenario, eph.satellites, eph.r_ecef_km)
    n_pair, n_time = pairs.shape[0], eph.grid.n_time
    if n_pair == 0:
        return PairWindows.empty()
    limit = spec.topology.max_terminals if isinstance(spec.topology, RangeTopology) else None
    chunk = max(1, CHUNK_ELEMENTS // n_time)
    parts = []
    with (progress or NullProgress()).task(f"ISL windows ({spec.name})", n_pair) as task:
        active_all = mutual_nearest_active(pairs, r, spec, limit) if limit else None
        for p0 in range(0, n_pair, chunk):
            p = pairs[p0 : p0 + chunk]
            r1, r2 = r[p[:, 0]], r[p[:, 1]]
            dist = np.linalg.norm(r2 - r1, axis=-1)
            if tw is not None:
                sel = (tw.elem >= p0) & (tw.elem < p0 + chunk)
                w = Windows(tw.elem[sel] - p0, tw.start_s[sel], tw.end_s[sel])
            elif active_all is not None:
                # Terminal assignment changes only at grid steps: windows at step resolution.
                w = step_windows(active_all[p0 : p0 + chunk], t_s)
            else:
                margin = isl_margin(r1, r2, spec.max_range_km, spec.grazing_altitude_km)

                def exact(elem: IDX, t: F64, p: IDX = p) -> F64:
                    both = eph.propagator.ecef_at(
                        np.concatenate([p[elem, 0], p[elem, 1]]), np.concatenate([t, t])
                    )
                    m = elem.shape[0]
                    return isl_margin(
                        both[:m], both[m:], spec.max_range_km, spec.grazing_altitude_km
                    )

                w = find_windows(margin, t_s, exact, tol_s)
            a, b = p[w.elem, 0], p[w.elem, 1]
            m = len(w)
            edge = eph.propagator.ecef_at(
                np.concatenate([a, b, a, b]),
                np.concatenate([w.start_s, w.start_s, w.end_s, w.end_s]),
            )
            d0 = np.linalg.norm(edge[:m] - edge[m : 2 * m], axis=1)
            d1 = np.linalg.norm(edge[2 * m : 3 * m] - edge[3 * m :], axis=1)
            rmax = np.fmax(_window_max(dist, w, t_s), np.fmax(d0, d1))
            parts.append(PairWindows(a, b, w.start_s, w.end_s, rmax))
            task.advance(p.shape[0])
    return PairWindows.concat(parts)


def build_contact_plan(
    scenario: Scenario,
    eph: Ephemeris,
    tol_s: float = 1e-3,
    progress: Progress | None = None,
    executor: Executor | None = None,
    jam_effects: list[JamEffect] | None = None,
) -> ContactPlan:
    """All contacts of a scenario: ground passes (both directions, limited to each station's
    antennas, see :func:`station_passes`; ACM rates with the scenario's jammers, see
    :func:`ground_pieces`, whose :class:`JamEffect` per jammer go to ``jam_effects`` if given)
    and ISL windows.

    Ground passes run as tasks on ``executor`` (default: in this process); the plan is
    identical whatever runs them. ISL windows run in this process."""
    nodes = node_table(scenario, eph.satellites)
    src, dst, start, end, rate, rng, kind, owlt = [], [], [], [], [], [], [], []

    def add(s: IDX, d: IDX, w: PairWindows, r_bps: F64, k: str, lt_s: F64 | None = None) -> None:
        src.append(s)
        dst.append(d)
        start.append(w.start_s)
        end.append(w.end_s)
        rate.append(r_bps)
        rng.append(w.range_max_km)
        owlt.append(owlt_s(w.range_max_km) if lt_s is None else lt_s)
        kind.append(np.full(s.shape, KINDS.index(k), dtype=np.uint8))

    n_earth = eph.satellites.n_earth
    if scenario.ground_stations and n_earth:
        r_earth = eph.r_ecef_km[:n_earth]  # SGP4 satellites; the rest link by space_links
        gw = station_passes(scenario, eph.grid, r_earth, tol_s, progress, executor)
        pieces, down, up = ground_pieces(gw, scenario, eph.propagator, None, jam_effects)
        for bps, k in ((down, "downlink"), (up, "uplink")):
            sel = np.flatnonzero(bps > 0)  # an ACM piece that closes no MODCOD: no row
            w = PairWindows(*(getattr(pieces, f)[sel] for f in ("a", "b", "start_s", "end_s",
                                                                 "range_max_km")))  # fmt: skip
            gs_node = w.b + nodes.n_sat
            if k == "downlink":
                add(w.a, gs_node, w, bps[sel], k)
            else:
                add(gs_node, w.a, w, bps[sel], k)
    for spec in scenario.isls:
        iw = isl_windows(spec, scenario, eph, tol_s, progress)
        r_bps = link_rate_bps(spec.rate, iw.range_max_km)
        add(iw.a, iw.b, iw, r_bps, "isl")
        add(iw.b, iw.a, iw, r_bps, "isl")
    if scenario.space_links:
        from orbitcloud.links.spacelinks import space_link_rows

        sr = space_link_rows(scenario, eph, tol_s, progress)
        codes = kind_codes(nodes, sr.src.astype(np.int32), sr.dst.astype(np.int32))
        for code in np.unique(codes).tolist():
            sel = codes == code
            ws = PairWindows(sr.src[sel], sr.dst[sel], sr.start_s[sel], sr.end_s[sel],
                             sr.range_km[sel])  # fmt: skip
            add(ws.a, ws.b, ws, sr.rate_bps[sel], KINDS[code], sr.owlt_s[sel])
    if not src:
        add(np.empty(0, np.intp), np.empty(0, np.intp), PairWindows.empty(), np.empty(0), "isl")
    s_, d_, st_ = np.concatenate(src), np.concatenate(dst), np.concatenate(start)
    order = np.lexsort((d_, s_, st_))
    rg = np.concatenate(rng)[order]
    return ContactPlan(
        scenario.epoch,
        eph.grid.duration_s,
        nodes,
        s_[order].astype(np.int32),
        d_[order].astype(np.int32),
        st_[order],
        np.concatenate(end)[order],
        np.concatenate(rate)[order],
        np.concatenate(owlt)[order],
        rg,
        np.concatenate(kind)[order],
    )
