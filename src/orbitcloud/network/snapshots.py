"""Per-time-step network graphs (snapshots), built vectorised from positions.

Nodes: satellites ``0 .. n_sat-1``, then each ground station twice: an *uplink* node
(``n_sat + g``, edges only towards satellites) and a *downlink* node (``n_sat + n_gs + g``,
edges only from satellites). Routes therefore start and end at stations but never transit
one (no ground relays), the usual assumption of LEO-network studies (e.g. Hypatia, Kassing
et al. 2020). Edge weight: propagation delay, distance / c [s].

Stations link through the contact plan's ground passes (:class:`StationPasses`, from
:func:`orbitcloud.links.contacts.station_passes`): at ``t_s`` a station links to a satellite
only while a kept pass of that pair is open, so a station with ``antennas: 1`` links to one
satellite at a time, as in the plan (Hypatia's ground stations, too, use one satellite at a
time). Open means ``start_s <= t_s < end_s`` (a pass cut by the plan's end is open at the
end); the passes open at ``t_s`` are found by two binary searches over their sorted starts.
Without passes (``t_s`` None, or a builder made by hand) stations link by geometry.

With ``down`` (the fault timeline's per-node outages, plan node indices), a snapshot at time
``t_s`` has no link of a node that is down then (no ISL of a node whose ISLs are down), so
routes and transfers go around a lost satellite or a station under cloud. The mask is one
vectorised comparison over the outages per snapshot.

A station with an ACM ``link:`` (:mod:`orbitcloud.links.acm`) links to a satellite at ``t_s``
only in the directions whose budget closes a MODCOD then, with that instant's rate as the
capacity (the contact plan's pieces carry the lowest rate over each piece, so a snapshot's
capacity is at least the plan's; a snapshot may keep a link in the part of a marginal piece
that closes while the plan drops the whole piece).

Users (:meth:`SnapshotBuilder.with_users`, the scenario's ``users:``) are leaves like the
stations: each has an *uplink* node (``n_sat + 2 n_gs + u``, edges only towards satellites)
and a *downlink* node (``n_sat + 2 n_gs + n_user + u``, edges only from satellites), so a
route never transits a user. At ``t_s`` a user links (both ways) only to its serving
satellite, the one :func:`orbitcloud.links.users.user_links` chose at the grid sample
``t_k <= t_s < t_{k+1}``, at the terminal's rate on that satellite's constellation, with the
light time of the user–satellite range at ``t_s`` (the user's position from its track,
:func:`orbitcloud.orbits.tracks.user_geodetic`). A user without a serving satellite then has
no link; a link is dropped while its satellite is down (``down``). Snapshots are at step
resolution: the handover dead time (``handover_s``, which the contact plan takes off each
new link) is not taken off here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

from orbitcloud.constants import SPEED_OF_LIGHT_KM_S, WGS84_A_KM
from orbitcloud.links.acm import AcmRates, acm_rates
from orbitcloud.links.contactplan import NodeOutages, RateCuts
from orbitcloud.links.contacts import PairWindows, jammers_of, station_passes
from orbitcloud.links.isl import candidate_pairs, link_rate_bps, mutual_nearest
from orbitcloud.links.terminals import assign_terminals, between_pairs, terminal_set
from orbitcloud.links.visibility import GroundSites, los_clearance_km
from orbitcloud.orbits.frames import geodetic_to_ecef
from orbitcloud.orbits.propagate import Propagator
from orbitcloud.orbits.satellites import SatelliteSet
from orbitcloud.orbits.tracks import user_geodetic
from orbitcloud.scenario.models import FixedRate, LinkBudgetRate, RangeTopology, Scenario
from orbitcloud.scenario.users import User
from orbitcloud.timegrid import TimeGrid

__all__ = ["SnapshotBuilder", "SnapshotLinks", "StationPasses", "UserServing"]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]


@dataclass(frozen=True)
class SnapshotLinks:
    """The directed links of one snapshot, arrays ``[n_link]``: ``src``, ``dst`` snapshot
    node ids, ``delay_s`` propagation delay, ``capacity_bps`` data rate of the link model."""

    src: IDX
    dst: IDX
    delay_s: F64
    capacity_bps: F64


@dataclass(frozen=True)
class StationPasses:
    """The contact plan's ground passes, sorted by start; arrays ``[n_pass]``: ``station``
    index (from 0), ``sat`` index, ``start_s``, ``end_s``. ``max_len_s``: the longest pass;
    ``plan_end_s``: the plan's end (a pass ending there is open at it)."""

    station: IDX
    sat: IDX
    start_s: F64
    end_s: F64
    max_len_s: float
    plan_end_s: float

    @classmethod
    def from_windows(cls, w: PairWindows, plan_end_s: float) -> StationPasses:
        """From :func:`orbitcloud.links.contacts.station_passes` (``a`` sat, ``b`` station)."""
        o = np.argsort(w.start_s, kind="stable")
        length = w.end_s - w.start_s
        return cls(
            w.b[o].astype(np.intp),
            w.a[o].astype(np.intp),
            w.start_s[o],
            w.end_s[o],
            float(length.max()) if length.size else 0.0,
            float(plan_end_s),
        )

    def open_at(self, t_s: float) -> tuple[IDX, IDX]:
        """``(station, sat)`` of the passes open at ``t_s``, [n_open] each."""
        i0 = int(np.searchsorted(self.start_s, t_s - self.max_len_s, side="left"))
        i1 = int(np.searchsorted(self.start_s, t_s, side="right"))
        end = self.end_s[i0:i1]
        on = np.flatnonzero((t_s < end) | (end >= self.plan_end_s)) + i0
        return self.station[on], self.sat[on]


@dataclass(frozen=True)
class UserServing:
    """The users' serving satellites on the run's grid (module docstring).

    Attributes:
        users: the users (their tracks give their positions).
        t_s: float64[n_time], the grid the serving satellites were chosen on [s].
        serving: int[n_user, n_time], the serving satellite index at each sample (-1: none),
            :attr:`orbitcloud.links.users.UserLinks.serving`; it serves ``[t_k, t_{k+1})``
            (the last sample serves itself).
        rate_bps: float64[n_user, n_time], the terminal's rate on that satellite.
    """

    users: tuple[User, ...]
    t_s: F64
    serving: IDX
    rate_bps: F64

    @property
    def n_user(self) -> int:
        return len(self.users)

    def at(self, t_s: float) -> tuple[IDX, IDX, F64]:
        """``(user, sat, rate_bps)`` [n_link] of the users served at ``t_s`` (none before
        the grid's start)."""
        k = int(np.searchsorted(self.t_s, t_s, side="right")) - 1
        if k < 0:
            return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0)
        k = min(k, self.t_s.size - 1)
        u = np.flatnonzero(self.serving[:, k] >= 0)
        return u, self.serving[u, k].astype(np.intp), self.rate_bps[u, k]

    def positions_km(self, t_s: float) -> F64:
        """Earth-fixed positions of every user at ``t_s``, float64[n_user, 3] km."""
        lat, lon, alt_m = user_geodetic(self.users, np.array([float(t_s)]))
        return np.asarray(geodetic_to_ecef(lat[:, 0], lon[:, 0], alt_m[:, 0] / 1000.0))


@dataclass(frozen=True)
class SnapshotBuilder:
    """What does not change between steps: which pairs may link, and the stations.

    Attributes:
        n_sat, n_gs: satellites and ground stations.
        isl_a, isl_b: int[n_isl] candidate ISL pairs; ``isl_max_range_km`` and
            ``isl_min_radius_km`` (Earth radius + grazing altitude) per pair, float64[n_isl].
        sites: ground-station positions, normals and masks.
        isl_rates: the rate model of each ISL set; ``isl_set``: int[n_isl], which one per pair.
        isl_max_terminals: per ISL set, its terminal limit (0: none); a limited set links
            by :func:`orbitcloud.links.isl.mutual_nearest` at each snapshot, as the contact
            plan does at each grid step.
        gs_uplink_bps, gs_downlink_bps: float64[n_gs] station rates (station → satellite and
            satellite → station).
        down: node outages (plan node indices: satellites, then stations) whose links a
            snapshot at ``t_s`` drops (:meth:`with_outages`); None: nothing is ever down.
        passes: the contact plan's ground passes (antenna limits applied); a snapshot at
            ``t_s`` links a station only to the satellites of its passes open then. None:
            stations link to every satellite above their mask.
        isl_terminal: per ISL set, whether it is an inter-layer (``between:``) set;
            ``terminal_windows``: their contact-plan windows (:mod:`orbitcloud.links.terminals`,
            the ``sat`` field holding the candidate ISL index), so a snapshot at ``t_s`` links
            such a pair only while its window is open (without ``t_s``: by geometry alone).
        acm: the stations' ACM budgets (None: every station has fixed rates); a station
            link of an ACM direction exists while its budget closes a MODCOD, at its rate
            (with the scenario's jammers that transmit at ``t_s``).
        floods: ``link_flooding`` capacity cuts (:meth:`with_floods`); None: none.
        users: the users' serving links (:meth:`with_users`); None: no users (the nodes and
            links are then exactly those without users).
    """

    n_sat: int
    n_gs: int
    isl_a: IDX
    isl_b: IDX
    isl_max_range_km: F64
    isl_min_radius_km: F64
    sites: GroundSites
    isl_rates: tuple[FixedRate | LinkBudgetRate, ...] = ()
    isl_set: IDX = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    isl_max_terminals: tuple[int, ...] = ()
    gs_uplink_bps: F64 = field(default_factory=lambda: np.empty(0))
    gs_downlink_bps: F64 = field(default_factory=lambda: np.empty(0))
    down: NodeOutages | None = None
    passes: StationPasses | None = None
    isl_terminal: tuple[bool, ...] = ()
    terminal_windows: StationPasses | None = None
    acm: AcmRates | None = None
    floods: RateCuts | None = None
    users: UserServing | None = None

    def with_users(self, users: UserServing | None) -> SnapshotBuilder:
        """This builder with the users' serving links (module docstring); None or no users:
        this builder unchanged."""
        return replace(self, users=users if users is not None and users.n_user else None)

    @property
    def n_user(self) -> int:
        return 0 if self.users is None else self.users.n_user

    def with_floods(self, floods: RateCuts | None) -> SnapshotBuilder:
        """This builder with the ``link_flooding`` capacity cuts ``floods`` (plan node
        indices, e.g. ``EventTimeline.floods``): a snapshot at ``t_s`` inside a cut's window
        has that link's capacity lowered by ``minus_bps``, and no link where nothing is
        left."""
        return replace(self, floods=floods if floods is not None and len(floods) else None)

    def with_outages(self, down: NodeOutages | None) -> SnapshotBuilder:
        """This builder with the node outages ``down`` (e.g. ``EventTimeline.outages``)."""
        return replace(self, down=down if down is not None and len(down) else None)

    @classmethod
    def from_scenario(
        cls,
        scenario: Scenario,
        satellites: SatelliteSet,
        r_ecef_km: F64 | None = None,
        passes: PairWindows | None = None,
    ) -> SnapshotBuilder:
        """Candidate ISL pairs from every ISL set of the scenario (terminal limits are applied
        per snapshot, see :meth:`links`). ``range`` topologies take all pairs within range at
        some sample of ``r_ecef_km`` (float64[n_sat, n_time, 3] on the scenario's grid),
        which they therefore need.

        Station links follow the contact plan's ground passes: ``passes`` if given (from
        :func:`orbitcloud.links.contacts.station_passes`), else computed here from
        ``r_ecef_km`` (propagated here if None), unless no station can ever be limited
        (antennas >= satellites; then geometry gives the same links)."""
        a: list[IDX] = []
        b: list[IDX] = []
        rmax: list[F64] = []
        rmin: list[F64] = []
        which: list[IDX] = []
        grid = TimeGrid.regular(scenario.epoch, scenario.duration_s, scenario.step_s)
        if r_ecef_km is None and any(s.between is not None for s in scenario.isls):
            r_ecef_km, _ = Propagator.for_satellites(satellites, scenario.epoch).ecef_grid(grid.t_s)
        n_isl = 0
        open_parts: list[PairWindows] = []
        for k, spec in enumerate(scenario.isls):
            if spec.between is not None:  # inter-layer: the contact plan's terminal windows
                assert r_ecef_km is not None
                ts = terminal_set(spec, scenario, satellites)
                p = between_pairs(ts, r_ecef_km)
                tw = assign_terminals(ts, p, r_ecef_km, grid.t_s)
                e = tw.elem + n_isl
                open_parts.append(PairWindows(e, np.zeros_like(e), tw.start_s, tw.end_s,
                                              np.zeros(e.shape)))  # fmt: skip
            else:
                p = candidate_pairs(spec, scenario, satellites, r_ecef_km)
            n_isl += p.shape[0]
            a.append(p[:, 0])
            b.append(p[:, 1])
            rmax.append(np.full(p.shape[0], spec.max_range_km))
            rmin.append(np.full(p.shape[0], WGS84_A_KM + spec.grazing_altitude_km))
            which.append(np.full(p.shape[0], k, dtype=np.intp))

        def ints(x: list[IDX]) -> IDX:
            return np.concatenate(x).astype(np.intp) if x else np.empty(0, dtype=np.intp)

        def floats(x: list[F64]) -> F64:
            return np.concatenate(x) if x else np.empty(0)

        limited = any(g.antennas < satellites.n_sat for g in scenario.ground_stations)
        if passes is None and limited:
            if r_ecef_km is None:
                prop = Propagator.for_satellites(satellites, scenario.epoch)
                r_ecef_km, _ = prop.ecef_grid(grid.t_s)
            passes = station_passes(scenario, grid, r_ecef_km[: satellites.n_earth])
        return cls(
            n_sat=satellites.n_sat,
            n_gs=len(scenario.ground_stations),
            isl_a=ints(a),
            isl_b=ints(b),
            isl_max_range_km=floats(rmax),
            isl_min_radius_km=floats(rmin),
            sites=GroundSites.from_stations(list(scenario.ground_stations)),
            isl_rates=tuple(spec.rate for spec in scenario.isls),
            isl_set=ints(which),
            isl_max_terminals=tuple(
                (s.topology.max_terminals or 0) if isinstance(s.topology, RangeTopology) else 0
                for s in scenario.isls
            ),
            gs_uplink_bps=np.array([g.effective_uplink_rate_bps for g in scenario.ground_stations]),
            gs_downlink_bps=np.array([g.downlink_rate_bps for g in scenario.ground_stations]),
            passes=None if passes is None else StationPasses.from_windows(passes, grid.t_s[-1]),
            isl_terminal=tuple(s.between is not None for s in scenario.isls),
            terminal_windows=StationPasses.from_windows(
                PairWindows.concat(open_parts), grid.t_s[-1]
            )
            if open_parts
            else None,
            acm=acm_rates(
                tuple(scenario.ground_stations),
                jammers_of(scenario),
                scenario.seed,
                scenario.duration_s,
                tuple(scenario.users),  # a jammer aimed at a user points where the plan's does
            ),
        )

    @property
    def n_node(self) -> int:
        return self.n_sat + 2 * self.n_gs + 2 * self.n_user

    def uplink_node(self, g: IDX | int) -> IDX | int:
        return self.n_sat + g

    def downlink_node(self, g: IDX | int) -> IDX | int:
        return self.n_sat + self.n_gs + g

    def edges(self, r_sat_km: F64, t_s: float | None = None) -> tuple[IDX, IDX, F64]:
        """Directed edges ``(from, to, delay_s)`` at one instant ``t_s`` (None: ignore the
        outages); positions float64[n_sat, 3]."""
        lk = self._links(r_sat_km, t_s, with_capacity=False)
        return lk.src, lk.dst, lk.delay_s

    def links(self, r_sat_km: F64, t_s: float | None = None) -> SnapshotLinks:
        """Directed links at one instant ``t_s`` (None: ignore the outages) with their
        capacities; positions float64[n_sat, 3].

        ISL capacity comes from each set's rate model at the current range (the same
        :func:`orbitcloud.links.isl.link_rate_bps` as the contact plan); station links carry
        the station's uplink or downlink rate.
        """
        return self._links(r_sat_km, t_s, with_capacity=True)

    def _links(self, r_sat_km: F64, t_s: float | None, with_capacity: bool) -> SnapshotLinks:
        flood = None
        if self.floods is not None and t_s is not None:
            on = np.flatnonzero((self.floods.start_s <= t_s) & (t_s < self.floods.end_s))
            flood = on if on.size else None
        if flood is not None and not with_capacity:  # a flooded link may vanish
            lk = self._links(r_sat_km, t_s, True)
            return SnapshotLinks(lk.src, lk.dst, lk.delay_s, np.empty(0))
        all_down = isl_down = None
        if self.down is not None and t_s is not None:
            all_down, isl_down = self.down.down_at(t_s, self.n_sat + self.n_gs)
            isl_down |= all_down
        # inter-satellite links: in range and clear of the atmosphere, both directions
        ra, rb = r_sat_km[self.isl_a], r_sat_km[self.isl_b]
        d_isl = np.linalg.norm(rb - ra, axis=1)
        clear = los_clearance_km(ra, rb) >= self.isl_min_radius_km
        usable = (d_isl <= self.isl_max_range_km) & clear
        if isl_down is not None:  # before terminal assignment: a dead node takes no terminal
            usable &= ~(isl_down[self.isl_a] | isl_down[self.isl_b])
        if self.terminal_windows is not None and t_s is not None:
            # inter-layer sets link only in the contact plan's terminal windows (``sat`` holds
            # the candidate index there), which already respect geometry and terminal counts
            _, open_isl = self.terminal_windows.open_at(t_s)
            terminal = np.isin(self.isl_set, np.flatnonzero(self.isl_terminal))
            usable &= ~terminal | np.isin(np.arange(usable.size), open_isl)
        for k, limit in enumerate(self.isl_max_terminals):
            if limit:
                sel = np.flatnonzero(self.isl_set == k)
                usable[sel] = mutual_nearest(
                    self.isl_a[sel], self.isl_b[sel], d_isl[sel], usable[sel], self.n_sat, limit
                )
        ok = np.flatnonzero(usable)
        ia, ib, di = self.isl_a[ok], self.isl_b[ok], d_isl[ok]
        # station ↔ satellite: elevation above each station's mask, as one (n_gs, 3) @ (3, n_sat)
        s = self.sites
        if self.n_gs and self.passes is not None and t_s is not None:
            g, sat = self.passes.open_at(t_s)
            if all_down is not None:
                ok_g = ~all_down[self.n_sat + g] & ~all_down[sat]
                g, sat = g[ok_g], sat[ok_g]
            dg = np.linalg.norm(r_sat_km[sat] - s.r_ecef_km[g], axis=1)
        elif self.n_gs:
            rt = r_sat_km.T
            d2 = (r_sat_km * r_sat_km).sum(axis=1)[None, :] - 2.0 * (s.r_ecef_km @ rt)
            d2 += (s.r_ecef_km * s.r_ecef_km).sum(axis=1)[:, None]
            dist = np.sqrt(np.maximum(d2, 0.0))
            up = s.up @ rt - (s.r_ecef_km * s.up).sum(axis=1)[:, None]
            seen = up >= s.sin_mask[:, None] * dist
            if all_down is not None:
                seen &= ~all_down[self.n_sat :, None] & ~all_down[None, : self.n_sat]
            g, sat = np.nonzero(seen)
            dg = dist[g, sat]
        else:
            g = sat = np.empty(0, dtype=np.intp)
            dg = np.empty(0)
        gu, su, du = gd, sd, dd = g, sat, dg
        up_bps = down_bps = np.empty(0)  # (hand-made builders may have no station rates)
        if with_capacity or self.acm is not None:
            up_bps, down_bps = self.gs_uplink_bps[g], self.gs_downlink_bps[g]
        if self.acm is not None and g.size:
            up_bps, down_bps = self._acm_bps(g, sat, r_sat_km, dg, up_bps, down_bps, t_s)
            u, d = np.flatnonzero(up_bps > 0), np.flatnonzero(down_bps > 0)
            gu, su, du, up_bps = g[u], sat[u], dg[u], up_bps[u]
            gd, sd, dd, down_bps = g[d], sat[d], dg[d], down_bps[d]
        src = np.concatenate([ia, ib, self.n_sat + gu, sd])
        dst = np.concatenate([ib, ia, su, self.n_sat + self.n_gs + gd])
        delay = np.concatenate([di, di, du, dd]) / SPEED_OF_LIGHT_KM_S
        user_bps = np.empty(0)
        if self.users is not None and t_s is not None:
            uw = self.users
            us, ss, u_bps = uw.at(t_s)
            if all_down is not None:
                ok_u = ~all_down[ss]
                us, ss, u_bps = us[ok_u], ss[ok_u], u_bps[ok_u]
            du_km = np.linalg.norm(r_sat_km[ss] - uw.positions_km(t_s)[us], axis=1)
            up0 = self.n_sat + 2 * self.n_gs
            src = np.concatenate([src, up0 + us, ss])
            dst = np.concatenate([dst, ss, up0 + uw.n_user + us])
            delay = np.concatenate([delay, np.tile(du_km / SPEED_OF_LIGHT_KM_S, 2)])
            user_bps = np.tile(u_bps, 2)
        cap = np.empty(0)
        if with_capacity:
            isl_bps = np.empty(ok.size)
            which = self.isl_set[ok]
            for k, rate in enumerate(self.isl_rates):
                sel = which == k
                isl_bps[sel] = link_rate_bps(rate, di[sel])
            cap = np.concatenate([isl_bps, isl_bps, up_bps, down_bps, user_bps])
        if flood is not None and self.floods is not None:
            # snapshot ids -> plan ids (a station's down node n_sat + n_gs + g is plan n_sat + g;
            # a user's up node n_sat + 2 n_gs + u and down node (+ n_user) are plan
            # n_sat + n_gs + u)
            n_s, n_u0 = self.n_sat + self.n_gs, self.n_sat + 2 * self.n_gs
            ps, pd = (
                np.where(src >= n_s, src - self.n_gs, src),
                np.where(dst >= n_s, dst - self.n_gs, dst),
            )
            if self.n_user:
                ps = np.where(src >= n_u0 + self.n_user, ps - self.n_user, ps)
                pd = np.where(dst >= n_u0 + self.n_user, pd - self.n_user, pd)
            for j in flood.tolist():
                cap = np.where(self.floods.hits(j, ps, pd), cap - self.floods.minus_bps[j], cap)
            left = cap > 0
            src, dst, delay, cap = src[left], dst[left], delay[left], cap[left]
        return SnapshotLinks(src.astype(np.intp), dst.astype(np.intp), delay, cap)

    def _acm_bps(
        self,
        g: IDX,
        sat: IDX,
        r_sat_km: F64,
        dist_km: F64,
        up_bps: F64,
        down_bps: F64,
        t_s: float | None = None,
    ) -> tuple[F64, F64]:
        """``(uplink, downlink)`` rates [bit/s] of the station links ``g[i]``–``sat[i]``
        (range ``dist_km[i]``): the ACM budget's rate at this instant ``t_s`` (with the
        jammers transmitting then) for ACM directions (0 where no MODCOD closes), the fixed
        rates ``up_bps``/``down_bps`` otherwise."""
        acm = self.acm
        assert acm is not None
        s = self.sites
        sin_el = np.einsum("ij,ij->i", r_sat_km[sat] - s.r_ecef_km[g], s.up[g]) / dist_km
        el = np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0)))
        out = []
        for row, fixed in ((acm.up_row[g], up_bps), (acm.down_row[g], down_bps)):
            m = np.flatnonzero(row >= 0)
            bps = np.array(fixed, dtype=np.float64)
            if m.size:
                rate = partial(acm.rate_bps, row[m], el[m], dist_km[m], r_sat_km[sat[m]], t_s=t_s)
                if acm.jammers is not None and t_s is not None:
                    act = np.repeat(acm.jammers.active_at(np.array([t_s])), m.size, axis=0)
                    # partial-band / hopping jammers: share-weighted (links/jamming.py, modes)
                    bps[m] = acm.jammers.share_weighted_bps(rate, act)
                else:
                    bps[m] = rate(None)
            out.append(bps)
        return out[0], out[1]

    def graph(self, r_sat_km: F64, t_s: float | None = None) -> csr_matrix:
        """The snapshot at ``t_s`` as a sparse delay matrix [n_node, n_node] (seconds)."""
        src, dst, delay = self.edges(r_sat_km, t_s)
        return csr_matrix((delay, (src, dst)), shape=(self.n_node, self.n_node))
