"""Contacts beyond Earth orbit: the windows of the scenario's ``space_links`` (Moon, Mars,
trajectories, deep-space stations), computed in the barycentric ICRF.

A pair ``(a, b)`` of a :class:`~orbitcloud.scenario.space.SpaceLinkSpec` can link while its
*margin* is >= 0; the margin is the smallest of these dimensionless terms:

* each surface end (an Earth station, a lunar or Martian site): ``sin(elevation) − sin(mask)``
  of the other end, with the local up of the station (WGS84 normal, rotated to ICRF) or site
  (planetocentric radial, rotating with its body);
* each of the Earth, Moon and Mars (the surface end's own body excepted, which the elevation
  covers): the closest approach of the segment a→b to the body's centre minus its radius, over
  the radius (so the Moon hides its far side, Mars its orbiters half of each orbit);
* a pair with one end at the Earth (a station or an Earth-orbit satellite) and the other
  farther than ``conjunction_beyond_km``: the Sun–Earth–probe angle minus
  ``conjunction_min_sep_deg`` [rad] (solar conjunction);
* ``max_range_km`` and, for a deep-space rate with ``min_rate_bps``, the range where the budget
  falls to that rate: ``(d_max − d) / d_max``.

Directions are geometric (no aberration, no light-time retardation of the pointing): the
elevation error this leaves is below 0.01° for Mars (the probe moves < 30 km/s × 1,300 s
across 4e8 km) and far below it for the Moon.

Windows are sampled on the scenario grid and refined on the exact margin to ``tol_s``
(:func:`orbitcloud.links.windows.find_windows`, windows shorter than a step included). A window
longer than ``max_contact_s`` is cut into pieces so each contact's rate and light time follow
the range over the months. Each piece's rate is the rate at its longest range (sampled at
:data:`RANGE_SAMPLES` points including both ends), and its one-way light time is computed
properly at that time: receive time = send time + distance / c at the receive time, iterated
(:func:`orbitcloud.orbits.bodies.light_time_s`), per direction. A station in several windows
at once serves at most ``antennas`` of them (:func:`orbitcloud.links.contacts.limit_antennas`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orbitcloud.constants import (
    MARS_EQUATORIAL_RADIUS_KM,
    MOON_RADIUS_KM,
    WGS84_A_KM,
)
from orbitcloud.links.budget import space_link_rate_bps
from orbitcloud.links.visibility import elevation_sin, sphere_clearance_km, sun_probe_angle_rad
from orbitcloud.links.windows import find_windows, limit_concurrent
from orbitcloud.orbits.bodies import light_time_s
from orbitcloud.orbits.frames import geodetic_to_ecef, up_unit_vector
from orbitcloud.orbits.propagate import Ephemeris
from orbitcloud.progress import NullProgress, Progress
from orbitcloud.scenario.models import GroundStation, Scenario
from orbitcloud.scenario.rates import DeepSpaceRate
from orbitcloud.scenario.space import SpaceLinkSpec

__all__ = ["RANGE_SAMPLES", "SpaceRows", "space_link_rows"]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]

#: Bodies that block lines of sight, with the radii used [km] (Earth: WGS84 equatorial).
OCCULTERS: tuple[tuple[str, float], ...] = (
    ("earth", WGS84_A_KM),
    ("moon", MOON_RADIUS_KM),
    ("mars", MARS_EQUATORIAL_RADIUS_KM),
)
_BODY_CODE = {name: k for k, (name, _) in enumerate(OCCULTERS)}
#: Points per contact piece (both ends included) at which the range is evaluated exactly.
RANGE_SAMPLES = 9
#: Elements (pairs x samples) per chunk of grid margins.
CHUNK_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class SpaceRows:
    """Directed contact rows of the space links; arrays ``[n_row]``."""

    src: IDX
    dst: IDX
    start_s: F64
    end_s: F64
    rate_bps: F64
    owlt_s: F64
    range_km: F64

    @classmethod
    def empty(cls) -> SpaceRows:
        e = np.empty(0)
        i = np.empty(0, dtype=np.intp)
        return cls(i, i.copy(), e, e.copy(), e.copy(), e.copy(), e.copy())

    @classmethod
    def concat(cls, parts: list[SpaceRows]) -> SpaceRows:
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__annotations__))


@dataclass(frozen=True)
class _Ends:
    """What the margin needs to know of every node index (satellites, then stations):
    ``surface`` bool[n_node] (has an elevation mask), ``sin_mask`` float64[n_node], ``body``
    int[n_node] (code into :data:`OCCULTERS` of a surface end's own body, -1 otherwise),
    ``at_earth`` bool[n_node] (a station or an Earth-orbit satellite)."""

    surface: NDArray[np.bool_]
    sin_mask: F64
    body: IDX
    at_earth: NDArray[np.bool_]


class _Geometry:
    """Exact positions and local 'up' of any node at any time, barycentric ICRF [km]."""

    def __init__(self, scenario: Scenario, eph: Ephemeris) -> None:
        self.eph = eph
        self.prop = eph.propagator
        self.bodies = self.prop.bodies
        sats = eph.satellites
        self.n_sat, self.n_earth = sats.n_sat, sats.n_earth
        stations: list[GroundStation] = list(scenario.ground_stations)
        lat = np.array([g.lat_deg for g in stations], dtype=np.float64)
        lon = np.array([g.lon_deg for g in stations], dtype=np.float64)
        alt = np.array([g.alt_m for g in stations], dtype=np.float64) / 1000.0
        self.gs_ecef = geodetic_to_ecef(lat, lon, alt).reshape(-1, 3)
        self.gs_up = up_unit_vector(lat, lon).reshape(-1, 3)
        n_node = self.n_sat + len(stations)
        surface = np.zeros(n_node, dtype=bool)
        sin_mask = np.full(n_node, -2.0)
        body = np.full(n_node, -1, dtype=np.intp)
        at_earth = np.zeros(n_node, dtype=bool)
        at_earth[: self.n_earth] = True
        at_earth[self.n_sat :] = True
        surface[self.n_sat :] = True
        body[self.n_sat :] = _BODY_CODE["earth"]
        sin_mask[self.n_sat :] = np.sin(np.radians([g.min_elevation_deg for g in stations]))
        space = sats.space
        if space is not None:
            for j in range(len(space.names)):
                if space.kind[j] == "surface":
                    i = self.n_earth + j
                    surface[i] = True
                    body[i] = _BODY_CODE[space.body[j]]
                    sin_mask[i] = np.sin(np.radians(space.min_elevation_deg[j]))
        self.ends = _Ends(surface, sin_mask, body, at_earth)

    def at(self, node: IDX, t_s: F64) -> tuple[F64, F64]:
        """``(position, up)`` of node ``node[i]`` at ``t_s[i]``, float64[m, 3] each (up is
        NaN for nodes without a surface)."""
        node = np.asarray(node, dtype=np.intp)
        t_s = np.asarray(t_s, dtype=np.float64)
        pos = np.full((node.shape[0], 3), np.nan)
        up = np.full((node.shape[0], 3), np.nan)
        sat = node < self.n_sat
        if sat.any():
            pos[sat] = self.prop.space_icrf_at(node[sat], t_s[sat])
            space = self.eph.satellites.space
            deep = np.flatnonzero(sat & (node >= self.n_earth))
            if space is not None and deep.size:
                j = node[deep] - self.n_earth
                surf = np.asarray([space.kind[k] == "surface" for k in j.tolist()])
                if surf.any():
                    up[deep[surf]] = space.up_icrf(self.bodies, j[surf], t_s[deep[surf]])
        gs = np.flatnonzero(~sat)
        if gs.size:
            g = node[gs] - self.n_sat
            tg = t_s[gs]
            m = self.bodies.to_fixed("earth", tg)  # r_fixed = M r_icrf: r_icrf = M^T r_fixed
            pos[gs] = np.einsum("nji,nj->ni", m, self.gs_ecef[g]) + self.bodies.position_km(
                "earth", tg
            )
            up[gs] = np.einsum("nji,nj->ni", m, self.gs_up[g])
        return pos, up

    def on_grid(self, nodes: list[int]) -> dict[int, tuple[F64, F64]]:
        """``(position, up)`` float64[n_time, 3] each of every node in ``nodes`` on the grid,
        from the ephemeris' samples (the Earth's orientation computed once for all)."""
        t = self.eph.grid.t_s
        out: dict[int, tuple[F64, F64]] = {}
        need_earth = any(n < self.n_earth or n >= self.n_sat for n in nodes)
        if need_earth:
            m = self.bodies.to_fixed("earth", t)
            r_earth = self.bodies.position_km("earth", t)
        nan = np.full((t.shape[0], 3), np.nan)
        for n in nodes:
            if n >= self.n_sat:  # a station
                g = n - self.n_sat
                pos = np.einsum("nji,j->ni", m, self.gs_ecef[g]) + r_earth
                out[n] = (pos, np.einsum("nji,j->ni", m, self.gs_up[g]))
            elif n < self.n_earth:  # an Earth-orbit satellite: its SGP4 samples
                pos = np.einsum("nji,nj->ni", m, self.eph.r_ecef_km[n]) + r_earth
                out[n] = (pos, nan)
            else:
                pos = self.eph.space_icrf_km[n - self.n_earth]
                up = nan
                if self.ends.surface[n]:  # the site's up only: its positions are the grid's
                    space = self.eph.satellites.space
                    assert space is not None
                    j = np.full(t.shape[0], n - self.n_earth, dtype=np.intp)
                    up = space.up_icrf(self.bodies, j, t)
                out[n] = (pos, up)
        return out

    def centers(self, t_s: F64) -> tuple[F64, F64]:
        """``(occulter centres [n_body, m, 3], Sun [m, 3])`` at ``t_s[m]``."""
        c = np.stack([self.bodies.position_km(name, t_s) for name, _ in OCCULTERS])
        return c, self.bodies.position_km("sun", t_s)


def _d_max_km(rate: object) -> float:
    """Range [km] beyond which a deep-space budget gives less than its ``min_rate_bps``: the
    uncapped rate falls as 1/d², so ``d_max = d0 sqrt(R_uncapped(d0) / R_min)``; inf for other
    rates or without a minimum."""
    if not isinstance(rate, DeepSpaceRate) or rate.min_rate_bps <= 0:
        return float(np.inf)
    d0_km = 1e6
    uncapped = rate.model_copy(update={"min_rate_bps": 0.0, "max_rate_bps": 1e300})
    r0 = float(space_link_rate_bps(uncapped, np.array([d0_km]))[0])
    return d0_km * float(np.sqrt(r0 / rate.min_rate_bps))


def pair_margin(
    spec: SpaceLinkSpec,
    ends: _Ends,
    a: IDX,
    b: IDX,
    ra: F64,
    rb: F64,
    up_a: F64,
    up_b: F64,
    centers: F64,
    sun: F64,
) -> F64:
    """The margin (module docstring) of pairs ``a[...]``, ``b[...]`` with positions and ups
    ``[..., 3]``, occulter centres ``[n_body, ..., 3]`` and Sun ``[..., 3]``; float64[...]."""
    inf = np.inf
    terms = []
    with np.errstate(invalid="ignore"):
        for node, ro, up, rt in ((a, ra, up_a, rb), (b, rb, up_b, ra)):
            el = elevation_sin(ro, up, rt) - ends.sin_mask[node]
            terms.append(np.where(ends.surface[node], el, inf))
        for k, (_, radius) in enumerate(OCCULTERS):
            clear = sphere_clearance_km(ra, rb, centers[k], radius) / radius
            own = (ends.surface[a] & (ends.body[a] == k)) | (ends.surface[b] & (ends.body[b] == k))
            terms.append(np.where(own, inf, clear))
        earth = centers[_BODY_CODE["earth"]]
        ea, eb = ends.at_earth[a], ends.at_earth[b]
        one = ea != eb
        if np.any(one):
            probe = np.where(ea[..., None], rb, ra)
            far = np.linalg.norm(probe - earth, axis=-1) > spec.conjunction_beyond_km
            sep = sun_probe_angle_rad(earth, sun, probe) - np.radians(spec.conjunction_min_sep_deg)
            terms.append(np.where(one & far, sep, inf))
        d = np.linalg.norm(rb - ra, axis=-1)
        d_max = min(spec.max_range_km or inf, _d_max_km(spec.rate))
        if np.isfinite(d_max):
            terms.append((d_max - d) / d_max)
    m = np.minimum.reduce([np.broadcast_to(t, d.shape) for t in terms])
    return np.where(np.isfinite(ra).all(axis=-1) & np.isfinite(rb).all(axis=-1), m, np.nan)


def _pairs(scenario: Scenario, spec: SpaceLinkSpec, index: dict[str, int]) -> IDX:
    """int[n_pair, 2] of ``spec``: every (from, to) node pair, without self pairs, pairs of
    two stations, or repeats (a pair listed both ways is one pair)."""
    a = [index[n] for n in scenario.select_nodes(spec.from_nodes)]
    b = [index[n] for n in scenario.select_nodes(spec.to_nodes)]
    n_sat = sum(len(x) for x in scenario.satellite_names())
    pairs = np.array([(i, j) for i in a for j in b if i != j and (i < n_sat or j < n_sat)],
                     dtype=np.intp).reshape(-1, 2)  # fmt: skip
    if pairs.size == 0:
        return pairs
    _, keep = np.unique(np.sort(pairs, axis=1), axis=0, return_index=True)
    return pairs[np.sort(keep)]


def _split(a: IDX, b: IDX, s: F64, e: F64, max_s: float) -> tuple[IDX, IDX, F64, F64]:
    """Windows cut into pieces of at most ``max_s``."""
    n = np.maximum(1, np.ceil((e - s) / max_s - 1e-9)).astype(np.intp)
    rep = np.repeat(np.arange(a.shape[0]), n)
    k = np.arange(rep.shape[0]) - np.repeat(np.cumsum(n) - n, n)
    start = s[rep] + k * max_s
    end = np.minimum(start + max_s, e[rep])
    return a[rep], b[rep], start, end


def space_link_rows(
    scenario: Scenario,
    eph: Ephemeris,
    tol_s: float = 1e-3,
    progress: Progress | None = None,
) -> SpaceRows:
    """The directed contact rows of every ``space_links`` entry of ``scenario`` (module
    docstring), node indices of the contact plan's node table (satellites, then stations)."""
    if not scenario.space_links:
        return SpaceRows.empty()
    geo = _Geometry(scenario, eph)
    names = eph.satellites.names + [g.name for g in scenario.ground_stations]
    index = {n: i for i, n in enumerate(names)}
    t_grid = eph.grid.t_s
    n_time = t_grid.shape[0]
    centers_grid, sun_grid = geo.centers(t_grid)
    parts: list[SpaceRows] = []
    windows = []  # (spec, a, b, start, end) per spec
    all_pairs = [_pairs(scenario, spec, index) for spec in scenario.space_links]
    # every linked node's grid positions once, for all specs (the Earth's orientation on the
    # grid is computed once inside)
    used = np.unique(np.concatenate([p.ravel() for p in all_pairs])).tolist()
    pos_grid = geo.on_grid(used)
    with (progress or NullProgress()).task("space links", len(scenario.space_links)) as task:
        for spec, pairs in zip(scenario.space_links, all_pairs, strict=True):
            if pairs.shape[0] == 0:
                task.advance(1)
                continue
            chunk = max(1, CHUNK_ELEMENTS // n_time)
            for p0 in range(0, pairs.shape[0], chunk):
                p = pairs[p0 : p0 + chunk]
                a, b = p[:, 0], p[:, 1]
                ra = np.stack([pos_grid[i][0] for i in a.tolist()])
                rb = np.stack([pos_grid[i][0] for i in b.tolist()])
                ua = np.stack([pos_grid[i][1] for i in a.tolist()])
                ub = np.stack([pos_grid[i][1] for i in b.tolist()])
                m = pair_margin(
                    spec, geo.ends, a[:, None], b[:, None], ra, rb, ua, ub,
                    centers_grid[:, None], sun_grid[None],
                )  # fmt: skip

                def exact(elem: IDX, t: F64, p: IDX = p, spec: SpaceLinkSpec = spec) -> F64:
                    pa, ua_ = geo.at(p[elem, 0], t)
                    pb, ub_ = geo.at(p[elem, 1], t)
                    c, s = geo.centers(t)
                    return pair_margin(spec, geo.ends, p[elem, 0], p[elem, 1], pa, pb, ua_, ub_,
                                       c, s)  # fmt: skip

                w = find_windows(m, t_grid, exact, tol_s)
                windows.append((spec, p[w.elem, 0], p[w.elem, 1], w.start_s, w.end_s))
            task.advance(1)
    if not windows:
        return SpaceRows.empty()
    windows = _limit_station_antennas(windows, scenario, geo.n_sat)
    for spec, a, b, s, e in windows:
        if a.size == 0:
            continue
        a, b, s, e = _split(a, b, s, e, spec.max_contact_s)
        d, t_far = _longest_range(geo, a, b, s, e)

        def at_fn(nodes: IDX) -> Callable[[F64], F64]:
            return lambda t: geo.at(nodes, t)[0]

        fwd = light_time_s(at_fn(a), at_fn(b), t_far)
        parts.append(SpaceRows(a, b, s, e, space_link_rate_bps(spec.rate, d), fwd, d))
        if not spec.one_way:
            back = light_time_s(at_fn(b), at_fn(a), t_far)
            rate = spec.return_rate or spec.rate
            parts.append(SpaceRows(b, a, s, e, space_link_rate_bps(rate, d), back, d))
    return SpaceRows.concat(parts)


def _longest_range(geo: _Geometry, a: IDX, b: IDX, s: F64, e: F64) -> tuple[F64, F64]:
    """``(range [km], time [s])`` of the longest range of each piece, sampled exactly at
    :data:`RANGE_SAMPLES` points including both ends."""
    f = np.linspace(0.0, 1.0, RANGE_SAMPLES)
    t = (s[:, None] + (e - s)[:, None] * f[None]).ravel()
    aa, bb = np.repeat(a, RANGE_SAMPLES), np.repeat(b, RANGE_SAMPLES)
    d = np.linalg.norm(geo.at(bb, t)[0] - geo.at(aa, t)[0], axis=1).reshape(-1, RANGE_SAMPLES)
    k = np.nanargmax(np.where(np.isfinite(d), d, -np.inf), axis=1)
    rows = np.arange(d.shape[0])
    return d[rows, k], t.reshape(-1, RANGE_SAMPLES)[rows, k]


def _limit_station_antennas(
    windows: list[tuple[SpaceLinkSpec, IDX, IDX, F64, F64]], scenario: Scenario, n_sat: int
) -> list[tuple[SpaceLinkSpec, IDX, IDX, F64, F64]]:
    """Each station serves at most ``antennas`` space-link windows at once, over all specs
    (in order of start; ties to the lower spec, then the other end's index)."""
    antennas = np.array([g.antennas for g in scenario.ground_stations], dtype=np.intp)
    if antennas.size == 0:
        return windows
    spec_i = np.concatenate([np.full(w[1].shape, k) for k, w in enumerate(windows)])
    a = np.concatenate([w[1] for w in windows])
    b = np.concatenate([w[2] for w in windows])
    s = np.concatenate([w[3] for w in windows])
    e = np.concatenate([w[4] for w in windows])
    gs = np.where(a >= n_sat, a, b) - n_sat
    other = np.where(a >= n_sat, b, a)
    has_gs = (a >= n_sat) | (b >= n_sat)
    idx = np.flatnonzero(has_gs)
    order = idx[np.lexsort((other[idx], spec_i[idx]))]
    kept, start = limit_concurrent(gs[order], s[order], e[order], antennas)
    keep = np.flatnonzero(~has_gs)
    new_s = s.copy()
    new_s[order[kept]] = start
    keep = np.sort(np.concatenate([keep, order[kept]]))
    out = []
    for k, w in enumerate(windows):
        sel = keep[spec_i[keep] == k]
        out.append((w[0], a[sel], b[sel], new_s[sel], e[sel]))
    return out
