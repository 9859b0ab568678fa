"""User links: which satellite each user terminal uses at each step, its handovers and links.

Model (stated, and the one the tests check against brute force):

- **Visibility.** A satellite of one of the terminal's usable constellations (the
  ``sovereign`` ones for ``sovereign_only``, else all its ``constellations``) is visible at a
  grid sample when its elevation above the user's geodetic horizon (WGS84 ellipsoid normal,
  as skyfield's ``altaz``; :func:`orbitcloud.links.visibility.elevation_margin`) is at least
  ``min_elevation_deg``, and it is still usable (the run passes the fault timeline's loss and
  compromise-detection times: a terminal hands over away from such a satellite). Vectorised
  over satellites × time, one user at a time.
- **Best satellite** per sample, by policy: ``lowest_latency`` and ``sovereign_only``: the
  shortest slant range (the user-satellite leg's light time; the rest of the path, ISLs and
  the downlink, is left to routing); ``highest_rate``: the highest constellation rate
  (``rates_bps``, else ``rate_bps``), ties by the highest elevation. Remaining ties: the lowest
  satellite index.
- **Hysteresis.** The serving satellite is kept while it stays visible unless the best one is
  better by more than ``hysteresis`` (a fraction): range ``> (1 + h) ×`` the best range, or
  best rate ``> (1 + h) ×`` the serving rate. When it is dropped the best one is taken (or
  nothing, if none is visible).
- **Step resolution.** The serving satellite chosen at sample ``t_k`` serves
  ``[t_k, t_{k+1})``; link edges are grid samples (not refined between them).
- **Handovers.** A *handover* is a direct change of serving satellite between two consecutive
  samples. Every link that starts after ``t = 0`` (a handover, or a reacquisition after a
  gap) carries no data for its first ``handover_s`` (slew, acquisition, re-registration).
- **Availability** is the fraction of the run a user has a link carrying data (after the
  handover dead time).

The time scan is run-length, not per step: from a sample where the serving satellite is
chosen, the next change is the first later sample where it is not visible or is beaten by
more than the hysteresis, found by one vectorised search over that satellite's row. So the
loop runs once per link (handovers and gaps), each iteration ``O(n_time)``; the visibility
and the per-sample best are ``O(n_sat × n_time)`` array operations per user, evaluated in
chunks of time over the usable satellites only (memory: ~17 bytes per usable
satellite-sample for one user at a time, plus a bounded temporary, :data:`CHUNK_ELEMENTS`).

:func:`with_user_links` adds the users to a contact plan as nodes (after the ground stations,
group ``"user"``) and their links as contacts both ways (user → satellite ``uplink``,
satellite → user ``downlink``; rate the terminal's, light time at the longest sampled range
of the link); a plan is unchanged when there are no users.

**Rates.** A terminal without a ``link:`` budget has its fixed ``rate_bps`` (or
``rates_bps``) on every link, both ways; no jammer touches it (a fixed rate has no budget to
jam, as for stations). A terminal with an ACM ``link:`` (the stations' schema) has its links
cut into contact pieces (:func:`user_link_pieces`, :class:`UserPieces`): each direction with
an ACM budget takes the DVB-S2X MODCOD of its Es/N0 (user on its track and satellite at each
sample), lowered by the J/S of every ``jamming`` threat that reaches it
(:mod:`orbitcloud.links.jamming`); the P.618 attenuation is the statistical one of the user's
starting site (a moving terminal has no single site; its climate changes slowly along a
track). The contact rows of such a user are its pieces (a piece that closes no MODCOD has no
row in that direction); ``UserLinks.rate_bps`` stays the terminal's nominal rate (the
``highest_rate`` policy's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orbitcloud.constants import SPEED_OF_LIGHT_KM_S
from orbitcloud.links.acm import ACM_BAND_HZ, esn0_db, modcod_rate_bps
from orbitcloud.links.acm import frequency_hz as acm_frequency_hz
from orbitcloud.links.contactplan import KINDS, ContactPlan, NodeTable
from orbitcloud.links.contacts import (
    MAX_PIECE_S,
    PIECE_SAMPLES,
    PairWindows,
    _cut,
    _split_at,
    jammers_of,
)
from orbitcloud.links.jamming import JN_FLOOR_DB, JammerSet, combine_esn0_db, tally_rate_loss
from orbitcloud.links.weather import AttenuationTable, attenuation_table
from orbitcloud.orbits.frames import geodetic_to_ecef, up_unit_vector
from orbitcloud.orbits.propagate import Ephemeris, Propagator
from orbitcloud.orbits.tracks import user_geodetic
from orbitcloud.scenario.models import Scenario
from orbitcloud.scenario.rates import AcmBudget, AcmUplink, FixedRate
from orbitcloud.scenario.threats import Jamming
from orbitcloud.scenario.users import User

__all__ = [
    "USER_GROUP", "UserJamEffect", "UserLinks", "UserPieces", "add_users",
    "scenario_user_links", "serving_satellites", "user_link_pieces", "user_links",
    "with_user_links",
]  # fmt: skip

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]
BOOL = NDArray[np.bool_]

#: ``NodeTable.group`` of a user node.
USER_GROUP = "user"


@dataclass(frozen=True)
class UserLinks:
    """Links of every user (module docstring). Link arrays are ``[n_link]``; per-user arrays
    ``[n_user]``.

    Attributes:
        names: list[n_user], the users' names.
        user: int index into ``names``; ``sat``: satellite index (of the positions given).
        start_s, end_s: float64 ``[start_s, end_s)`` of the link *carrying data* (the
            handover dead time already taken off the start), s since the epoch.
        rate_bps: float64 the terminal's rate on that satellite's constellation.
        range_max_km: float64 longest sampled range of the link; ``owlt_s`` its light time.
        handover: bool, the link starts with a direct handover from another satellite.
        handovers: int[n_user], direct handovers per user.
        availability: float64[n_user], fraction of the run with a link carrying data.
        serving: int[n_user, n_time], the serving satellite at each sample (-1: none).
    """

    names: list[str]
    user: IDX = field(repr=False)
    sat: IDX = field(repr=False)
    start_s: F64 = field(repr=False)
    end_s: F64 = field(repr=False)
    rate_bps: F64 = field(repr=False)
    range_max_km: F64 = field(repr=False)
    handover: NDArray[np.bool_] = field(repr=False)
    handovers: NDArray[np.int64] = field(repr=False)
    availability: F64 = field(repr=False)
    serving: NDArray[np.intp] = field(repr=False)
    #: the links as contact pieces with their rates per direction (:func:`user_link_pieces`):
    #: set when a terminal has an RF ``link:`` budget; None: every link at its fixed rate
    pieces: UserPieces | None = field(default=None, repr=False)
    #: per ``jamming`` threat (scenario order), what it did to the user links
    jam_effects: tuple[UserJamEffect, ...] = ()

    @property
    def owlt_s(self) -> F64:
        return self.range_max_km / SPEED_OF_LIGHT_KM_S

    def __len__(self) -> int:
        return int(self.user.shape[0])


#: Satellite-samples per chunk of the visibility evaluation (bounds the [sat, time, 3]
#: temporary to ~100 MB).
CHUNK_ELEMENTS = 4_000_000


def _scores(
    r_sat_km: F64, idx: IDX, r_user_km: F64, up: F64, sin_mask: float
) -> tuple[NDArray[np.bool_], F64, F64]:
    """``(visible, range_km, sin_elevation)``, each [n_idx, n_time], of one user at
    ``r_user_km``/``up`` [n_time, 3] seeing the satellites ``idx`` of ``r_sat_km``
    [n_sat, n_time, 3], evaluated in chunks of time (memory: 17 bytes per satellite-sample
    for the results, plus a bounded temporary)."""
    n, n_time = idx.shape[0], r_sat_km.shape[1]
    rng = np.empty((n, n_time))
    sin_el = np.empty((n, n_time))
    step = max(1, CHUNK_ELEMENTS // max(1, n))
    for a in range(0, n_time, step):
        b = min(n_time, a + step)
        d = r_sat_km[idx, a:b] - r_user_km[None, a:b]
        rng[:, a:b] = np.sqrt(np.einsum("stk,stk->st", d, d))
        sin_el[:, a:b] = np.einsum("stk,tk->st", d, up[a:b]) / rng[:, a:b]
    return sin_el >= sin_mask, rng, sin_el


def _run_max(values: F64, row: IDX, k0: IDX, k_end: IDX) -> F64:
    """Max of ``values[row[j], k0[j] .. k_end[j]]`` (inclusive) for each run ``j``."""
    if row.size == 0:
        return np.empty(0)
    n = k_end - k0 + 1
    rep = np.repeat(np.arange(row.size), n)
    off = np.cumsum(n) - n
    cols = k0[rep] + np.arange(rep.size) - off[rep]
    return np.asarray(np.maximum.reduceat(values[row[rep], cols], off), dtype=np.float64)


def serving_satellites(
    vis: NDArray[np.bool_],
    rng_km: F64,
    sin_el: F64,
    rate_bps: F64,
    policy: str,
    hysteresis: float,
) -> NDArray[np.intp]:
    """int[n_time]: the serving satellite of one user at each sample (-1: none), from its
    visibility, ranges and sin(elevation) (each [n_sat, n_time]) and the rate per satellite
    (float64[n_sat]) by ``policy`` with ``hysteresis`` (module docstring)."""
    n_sat, n_time = vis.shape
    serving = np.full(n_time, -1, dtype=np.intp)
    if n_sat == 0 or n_time == 0:
        return serving
    has = vis.any(axis=0)
    if policy == "highest_rate":
        # lexicographic (rate, elevation): the highest rate, ties by the highest elevation
        top = np.where(vis, rate_bps[:, None], -np.inf).max(axis=0)
        tie = vis & (rate_bps[:, None] >= top[None])
        best = np.argmax(np.where(tie, sin_el, -np.inf), axis=0)
        best_rate = rate_bps[best]
    else:
        best = np.argmin(np.where(vis, rng_km, np.inf), axis=0)
        best_rng = rng_km[best, np.arange(n_time)]
    # next sample (>= k) with any satellite visible, n_time if none
    idx = np.where(has, np.arange(n_time), n_time)
    next_has = np.minimum.accumulate(idx[::-1])[::-1]
    k = int(next_has[0])
    while k < n_time:
        s = int(best[k])
        rest = slice(k + 1, n_time)
        if policy == "highest_rate":
            beaten = best_rate[rest] > (1.0 + hysteresis) * rate_bps[s]
        else:
            beaten = rng_km[s, rest] > (1.0 + hysteresis) * best_rng[rest]
        stop = ~vis[s, rest] | beaten
        k1 = k + 1 + int(np.argmax(stop)) if stop.any() else n_time
        serving[k:k1] = s
        k = int(next_has[k1]) if k1 < n_time else n_time
    return serving


def user_links(
    users: Sequence[User],
    r_sat_km: F64,
    sat_constellation: Sequence[str],
    t_s: F64,
    duration_s: float | None = None,
    unusable_from_s: F64 | None = None,
) -> UserLinks:
    """Serving satellites, links, handovers and availability of ``users`` (module
    docstring) over the satellites at ``r_sat_km`` float64[n_sat, n_time, 3] (Earth-fixed,
    on the grid ``t_s`` float64[n_time]), ``sat_constellation`` the constellation name of
    each satellite. ``duration_s``: the span availability is over (default ``t_s[-1]``).
    ``unusable_from_s``: float64[n_sat], from when each satellite may not be used (lost, or
    known to be compromised; inf: always usable): from the first sample at or after it the
    satellite is not visible to any user, so terminals hand over away from it."""
    t = np.asarray(t_s, dtype=np.float64)
    n_time = t.shape[0]
    span = float(duration_s if duration_s is not None else t[-1] - t[0])
    lat, lon, alt_m = user_geodetic(users, t)
    r_user = geodetic_to_ecef(lat, lon, alt_m / 1000.0)
    ups = up_unit_vector(lat, lon)
    cons = np.asarray(list(sat_constellation), dtype=object)
    parts: dict[str, list[NDArray[np.generic]]] = {k: [] for k in
                                                   ("u", "s", "a", "b", "r", "m", "h")}  # fmt: skip
    n_u = len(users)
    handovers = np.zeros(n_u, dtype=np.int64)
    avail = np.zeros(n_u)
    serving_all = np.full((n_u, n_time), -1, dtype=np.intp)
    # end of the interval each sample serves: the next sample (the last one serves nothing)
    t_next = np.append(t[1:], t[-1])
    for i, u in enumerate(users):
        term = u.terminal
        usable = set(term.usable())
        idx = np.flatnonzero([c in usable for c in cons.tolist()])  # the usable satellites
        rate_all = np.array([term.rate_of(c) if c in usable else 0.0 for c in cons.tolist()])
        sin_mask = float(np.sin(np.radians(term.min_elevation_deg)))
        vis, rng, sin_el = _scores(r_sat_km, idx, r_user[i], ups[i], sin_mask)
        if unusable_from_s is not None:
            off_s = np.asarray(unusable_from_s, dtype=np.float64)[idx]
            vis &= t[None, :] < off_s[:, None]
        local = serving_satellites(vis, rng, sin_el, rate_all[idx], term.policy, term.hysteresis)
        serv = np.where(local >= 0, idx[np.maximum(local, 0)] if idx.size else -1, -1)
        serving_all[i] = serv
        if idx.size == 0:
            continue
        # runs of the same serving satellite: [k0, k1)
        change = np.flatnonzero(np.diff(serv) != 0) + 1
        k0 = np.concatenate([[0], change])
        k1 = np.concatenate([change, [n_time]])
        s = serv[k0]
        keep = (s >= 0) & (k0 < n_time - 1)
        k0, k1, s = k0[keep], k1[keep], s[keep]
        start = t[k0]
        end = t_next[k1 - 1]
        prev = np.where(k0 > 0, serv[np.maximum(k0 - 1, 0)], -1)
        ho = (prev >= 0) & (prev != s)
        dead = np.where(start > t[0], term.handover_s, 0.0)
        start_data = np.minimum(start + dead, end)
        # longest range over the samples of each run (k0 .. k1, its end sample included)
        rmax = _run_max(rng, local[k0], k0, np.minimum(k1, n_time - 1))
        rate = rate_all
        handovers[i] = int(ho.sum())
        avail[i] = float((end - start_data).sum()) / span if span > 0 else 0.0
        carry = end > start_data
        parts["u"].append(np.full(int(carry.sum()), i, dtype=np.intp))
        parts["s"].append(s[carry])
        parts["a"].append(start_data[carry])
        parts["b"].append(end[carry])
        parts["r"].append(rate[s][carry])
        parts["m"].append(rmax[carry])
        parts["h"].append(ho[carry])

    def cat(key: str, dtype: type) -> Any:
        return np.concatenate(parts[key]).astype(dtype) if parts[key] else np.empty(0, dtype)

    return UserLinks(
        [u.name for u in users], cat("u", np.intp), cat("s", np.intp), cat("a", np.float64),
        cat("b", np.float64), cat("r", np.float64), cat("m", np.float64), cat("h", np.bool_),
        handovers, avail, serving_all,
    )  # fmt: skip


def with_user_links(plan: ContactPlan, links: UserLinks) -> ContactPlan:
    """``plan`` with the users as nodes (after every node of the plan, group
    :data:`USER_GROUP`, no jurisdiction, one terminal each) and their links as contacts both
    ways (module docstring), rows sorted as :func:`~orbitcloud.links.contacts.build_contact_plan`
    sorts them. ``links.sat`` are satellite node indices of the plan. No users: ``plan``."""
    if not links.names:
        return plan
    n = plan.nodes
    nodes = NodeTable(
        names=n.names + links.names,
        n_sat=n.n_sat,
        group=n.group + [USER_GROUP] * len(links.names),
        jurisdiction=n.jurisdiction + [""] * len(links.names),
        antennas=(n.antennas or ([0] * n.n_sat + [1] * n.n_ground)) + [1] * len(links.names),
    )
    if links.pieces is None:  # fixed rates: one row per link and direction
        li = np.arange(len(links))
        lo_s, hi_s, li_up, li_dn = links.start_s, links.end_s, li, li
        up_bps = dn_bps = links.rate_bps
        up_at = dn_at = slice(None)
    else:  # RF budgets: a row per piece and direction that closes a MODCOD
        pc = links.pieces
        up_ok, dn_ok = np.flatnonzero(pc.up_bps > 0), np.flatnonzero(pc.down_bps > 0)
        li_up, li_dn = pc.link[up_ok], pc.link[dn_ok]
        up_bps, dn_bps = pc.up_bps[up_ok], pc.down_bps[dn_ok]
        lo_s, hi_s = pc.start_s, pc.end_s
        up_at, dn_at = up_ok, dn_ok  # type: ignore[assignment]
    user_up = (links.user[li_up] + n.n_node).astype(np.int32)
    user_dn = (links.user[li_dn] + n.n_node).astype(np.int32)
    sat_up, sat_dn = links.sat[li_up].astype(np.int32), links.sat[li_dn].astype(np.int32)
    src = np.concatenate([plan.src, user_up, sat_dn])
    dst = np.concatenate([plan.dst, sat_up, user_dn])
    start = np.concatenate([plan.start_s, lo_s[up_at], lo_s[dn_at]])
    end = np.concatenate([plan.end_s, hi_s[up_at], hi_s[dn_at]])
    rate = np.concatenate([plan.rate_bps, up_bps, dn_bps])
    owlt = np.concatenate([plan.owlt_s, links.owlt_s[li_up], links.owlt_s[li_dn]])
    rng = np.concatenate([plan.range_km, links.range_max_km[li_up], links.range_max_km[li_dn]])
    kind = np.concatenate([
        plan.kind, np.full(li_up.shape[0], KINDS.index("uplink"), np.uint8),
        np.full(li_dn.shape[0], KINDS.index("downlink"), np.uint8),
    ])  # fmt: skip
    order = np.lexsort((dst, src, start))
    return ContactPlan(
        plan.epoch, plan.duration_s, nodes, src[order].astype(np.int32),
        dst[order].astype(np.int32), start[order], end[order], rate[order], owlt[order],
        rng[order], kind[order],
    )  # fmt: skip


# ---------------------------------------------------------------------------------------
# Rates of the user links (an RF budget per terminal, jamming)


@dataclass(frozen=True)
class UserPieces:
    """The user links as contact pieces (:func:`user_link_pieces`), arrays ``[n_piece]``:
    ``link`` the row of :class:`UserLinks` a piece belongs to, ``[start_s, end_s)`` [s],
    ``down_bps`` (satellite to user) and ``up_bps`` (user to satellite) [bit/s]; 0: no
    MODCOD closes (no row in that direction)."""

    link: IDX
    start_s: F64
    end_s: F64
    down_bps: F64
    up_bps: F64

    def __len__(self) -> int:
        return int(self.link.shape[0])


@dataclass(frozen=True)
class UserJamEffect:
    """What one ``jamming`` threat did to the user links: ``pieces_affected`` user link
    pieces whose rate it lowered (of them ``pieces_closed`` closed no MODCOD), the
    ``capacity_lost_bytes`` (clear minus jammed rate times duration), their duration
    ``affected_link_s`` and the ``users`` hit (names, sorted)."""

    pieces_affected: int
    pieces_closed: int
    capacity_lost_bytes: float
    affected_link_s: float
    users: tuple[str, ...]


@dataclass(frozen=True)
class _UserBudgets:
    """The terminals' ACM budgets as arrays over budgets [n_b] (a user's downlink and, if
    ACM, its uplink); ``down_row``/``up_row`` int[n_user] (-1: a fixed rate)."""

    down_row: IDX
    up_row: IDX
    eirp_dbw: F64
    g_t_db_per_k: F64
    frequency_hz: F64
    losses_db: F64
    margin_db: F64
    symbol_rate_baud: F64
    rx_diameter_m: F64
    rx_beamwidth_deg: F64
    table: AttenuationTable

    @classmethod
    def of(cls, users: Sequence[User]) -> _UserBudgets:
        budgets: list[tuple[int, AcmBudget, bool]] = []
        down = np.full(len(users), -1, dtype=np.intp)
        up = np.full(len(users), -1, dtype=np.intp)
        for i, u in enumerate(users):
            lk = u.terminal.link
            if lk is None:
                continue
            down[i] = len(budgets)
            budgets.append((i, lk, False))
            if isinstance(lk.uplink, AcmUplink):
                up[i] = len(budgets)
                budgets.append((i, lk.uplink, True))
        t0 = np.zeros(1)
        lat0, lon0, alt0 = user_geodetic(users, t0)  # the attenuation's site: where it starts

        def col(fn: Any) -> F64:
            return np.array([fn(b) for b in budgets], dtype=np.float64)

        freq = col(lambda b: acm_frequency_hz(b[1], b[2]))
        table = attenuation_table(
            col(lambda b: lat0[b[0], 0]), col(lambda b: lon0[b[0], 0]),
            col(lambda b: alt0[b[0], 0]), freq, col(lambda b: 100.0 - b[1].availability_pct),
            col(lambda b: b[1].antenna_diameter_m),
        )  # fmt: skip
        is_up = np.array([b[2] for b in budgets], dtype=bool)
        beam = col(lambda b: getattr(b[1], "satellite_beamwidth_deg", None) or np.nan)
        return cls(
            down, up, col(lambda b: b[1].eirp_dbw), col(lambda b: b[1].g_t_db_per_k), freq,
            col(lambda b: b[1].losses_db), col(lambda b: b[1].margin_db),
            col(lambda b: b[1].symbol_rate_baud),
            np.where(is_up, np.nan, col(lambda b: b[1].antenna_diameter_m)),
            np.where(is_up, beam, np.nan), table,
        )  # fmt: skip


def user_link_pieces(
    users: Sequence[User],
    links: UserLinks,
    propagator: Propagator,
    jammers: Sequence[Jamming],
    station_names: Sequence[str],
    station_ecef_km: F64,
    step_s: float,
) -> tuple[UserPieces, list[UserJamEffect]]:
    """The user links as contact pieces with their rates (module docstring, rates), and one
    :class:`UserJamEffect` per jammer of ``jammers``.

    A link of a terminal without a ``link:`` budget is one piece at its fixed rate both ways
    (no jammer touches it: a fixed rate has no budget to jam). A link of a terminal with an
    ACM budget is cut into pieces of at most ``link.max_piece_s`` (default min(``step_s``,
    60 s)); each direction takes the lowest rate of
    :data:`~orbitcloud.links.contacts.PIECE_SAMPLES` exact samples over the piece (both ends
    and the middle; satellite from ``propagator``, user on its track at each sample time) of
    the ACM budget ``Es/N0`` (:func:`orbitcloud.links.acm.esn0_db`; P.618 attenuation at the
    user's starting site, statistical) → DVB-S2X MODCOD; an ACM uplink if the budget has
    one, else its fixed ``uplink`` rate, else the terminal's rate. Jamming as for the ground pieces
    (:func:`orbitcloud.links.contacts.ground_pieces`): a piece a jammer reaches (J/N0 >=
    :data:`~orbitcloud.links.jamming.JN_FLOOR_DB` at a sample of the overlap; the user's
    dish is the receiver of the downlink, S.465 pattern of its ``antenna_diameter_m``; the
    satellite's beam of ``satellite_beamwidth_deg`` that of the uplink) is cut at the
    jammers' edges (:meth:`JammerSet.edges_s`: windows, pulses, every ``cut_s`` of a moving
    jammer) and takes ``Es/(N0 + J0)`` there (share-weighted for partial-band and hopping
    jammers; a direction no jammer reaches keeps its piece's clear rate on the cut parts);
    pieces no jammer reaches are kept bit for bit. ``station_ecef_km``
    float64[n_gs, 3] in ``station_names``' order (where downlink jammers point)."""
    n_link = len(links)
    bud = _UserBudgets.of(users)
    acm = bud.down_row[links.user] >= 0 if n_link else np.zeros(0, dtype=bool)
    fixed_l = np.flatnonzero(~acm)
    acm_l = np.flatnonzero(acm)
    piece_u = np.array([
        (u.terminal.link.max_piece_s or min(step_s, MAX_PIECE_S))
        if u.terminal.link is not None else np.inf for u in users
    ], dtype=np.float64)  # fmt: skip
    w = PairWindows(links.sat[acm_l], acm_l, links.start_s[acm_l], links.end_s[acm_l],
                    links.range_max_km[acm_l])  # fmt: skip
    p, _ = _cut(w, piece_u[links.user[acm_l]]) if acm_l.size else (w, acm_l)
    js_set = (JammerSet.of(jammers, station_names, station_ecef_km, ACM_BAND_HZ, users)
              if jammers else None)  # fmt: skip
    # an uplink without an ACM budget: the budget's fixed `uplink` rate, else the terminal's
    up_fixed_u = np.array([
        u.terminal.link.uplink.rate_bps
        if u.terminal.link is not None and isinstance(u.terminal.link.uplink, FixedRate)
        else np.nan for u in users
    ], dtype=np.float64)  # fmt: skip
    fixed_up = (np.where(np.isnan(up_fixed_u[links.user]), links.rate_bps, up_fixed_u[links.user])
                if n_link else links.rate_bps)  # fmt: skip

    def sample(q: PairWindows) -> tuple[F64, IDX, IDX, F64, F64, F64, F64]:
        """Per sample (piece-major): t, link, user, user ECEF, user height [km], sat ECEF,
        elevation [deg]."""
        frac = np.linspace(0.0, 1.0, PIECE_SAMPLES)
        t = (q.start_s[:, None] + (q.end_s - q.start_s)[:, None] * frac[None]).ravel()
        li = np.repeat(q.b, PIECE_SAMPLES)
        ui = links.user[li]
        r_u = np.empty((t.shape[0], 3))
        h_km = np.empty(t.shape[0])
        up_v = np.empty((t.shape[0], 3))
        for i in np.unique(ui).tolist():  # users are few: vectorised over their samples
            sel = np.flatnonzero(ui == i)
            lat, lon, alt_m = user_geodetic([users[i]], t[sel])
            r_u[sel] = geodetic_to_ecef(lat[0], lon[0], alt_m[0] / 1000.0)
            up_v[sel] = up_unit_vector(lat[0], lon[0])
            h_km[sel] = alt_m[0] / 1000.0
        r_s = propagator.ecef_at(np.repeat(q.a, PIECE_SAMPLES), t)
        d = r_s - r_u
        rng = np.sqrt(np.einsum("ij,ij->i", d, d))
        el = np.degrees(np.arcsin(np.clip(np.einsum("ij,ij->i", d, up_v) / rng, -1.0, 1.0)))
        return t, li, ui, r_u, h_km, r_s, el

    def js_of(k: int, up: bool, row: IDX, smp: tuple[Any, ...], m: IDX) -> tuple[F64, F64]:
        """(J/S, Es/N0) [dB] of jammer ``k`` at the samples ``m`` of budget rows ``row``."""
        assert js_set is not None
        t, _, _, r_u, h_km, r_s, el = smp
        d = r_s[m] - r_u[m]
        rng = np.sqrt(np.einsum("ij,ij->i", d, d))
        att = bud.table.at(row, el[m])
        es = esn0_db(bud.eirp_dbw[row], bud.g_t_db_per_k[row], rng, bud.frequency_hz[row], att,
                     bud.losses_db[row], bud.symbol_rate_baud[row])  # fmt: skip
        js = js_set.js_db(
            k, up, r_u[m], h_km[m], r_s[m], bud.frequency_hz[row], bud.symbol_rate_baud[row],
            bud.eirp_dbw[row], att, bud.losses_db[row], bud.rx_diameter_m[row],
            bud.rx_beamwidth_deg[row], t[m],
        )  # fmt: skip
        js[js + es < JN_FLOOR_DB] = -np.inf
        return js, es

    def worst(q: PairWindows, up: bool, smp: tuple[Any, ...], active: BOOL | None) -> F64:
        """Lowest rate over each piece's samples, direction ``up``, with the ``active``
        jammers (bool[n_piece, n_j]) on."""
        _, li, ui, r_u, _, r_s, el = smp
        row = (bud.up_row if up else bud.down_row)[ui]
        r = fixed_up[li].copy() if up else np.zeros(li.shape[0])
        m = np.flatnonzero(row >= 0)
        if m.size:
            rr = row[m]
            d = r_s[m] - r_u[m]
            rng = np.sqrt(np.einsum("ij,ij->i", d, d))
            es = esn0_db(bud.eirp_dbw[rr], bud.g_t_db_per_k[rr], rng, bud.frequency_hz[rr],
                         bud.table.at(rr, el[m]), bud.losses_db[rr],
                         bud.symbol_rate_baud[rr])  # fmt: skip
            if active is not None and js_set is not None:
                act = np.repeat(active, PIECE_SAMPLES, axis=0)[m]
                j_lin = np.zeros(m.size)
                for k in np.flatnonzero(act.any(axis=0)).tolist():
                    on = np.flatnonzero(act[:, k])
                    js, _ = js_of(k, up, rr[on], smp, m[on])
                    j_lin[on] += 10.0 ** (js / 10.0)
                hit = j_lin > 0
                es = np.where(hit, combine_esn0_db(es, 10.0 * np.log10(np.where(hit, j_lin, 1.0))),
                              es)  # fmt: skip
            r[m] = modcod_rate_bps(es, bud.symbol_rate_baud[rr], bud.margin_db[rr])
        return np.asarray(r.reshape(-1, PIECE_SAMPLES).min(axis=1), dtype=np.float64)

    smp = sample(p)
    down, up = worst(p, False, smp, None), worst(p, True, smp, None)
    n_j = len(jammers)
    acc: list[list[Any]] = [[0, 0, 0.0, 0.0, set()] for _ in range(n_j)]
    link_out, lo_out, hi_out = [p.b], [p.start_s], [p.end_s]
    dn_out, up_out = [down], [up]
    if js_set is not None and len(p.a):
        reach = np.zeros((len(p.a), n_j, 2), dtype=bool)
        for k in range(n_j):
            a, b = js_set.start_s[k], js_set.end_s[k]
            ov = np.flatnonzero((p.end_s > a) & (p.start_s < b))
            if ov.size == 0:
                continue
            q = PairWindows(p.a[ov], p.b[ov], np.maximum(p.start_s[ov], a),
                            np.minimum(p.end_s[ov], b), p.range_max_km[ov])  # fmt: skip
            sq = sample(q)
            for d in (0, 1):
                row = (bud.up_row if d else bud.down_row)[sq[2]]
                m = np.flatnonzero(row >= 0)
                hit = np.zeros(row.shape[0], dtype=bool)
                if m.size:
                    js, _ = js_of(k, bool(d), row[m], sq, m)
                    hit[m] = np.isfinite(js)
                reach[ov, k, d] = hit.reshape(-1, PIECE_SAMPLES).any(axis=1)
        touched = np.flatnonzero(reach.any(axis=(1, 2)))
        if touched.size:
            keep = np.setdiff1d(np.arange(len(p.a)), touched)
            link_out, lo_out, hi_out = [p.b[keep]], [p.start_s[keep]], [p.end_s[keep]]
            dn_out, up_out = [down[keep]], [up[keep]]
            q, src = _split_at(p, js_set.edges_s(), touched)
            sq = sample(q)
            mid = js_set.active_at(0.5 * (q.start_s + q.end_s))
            clear = (down, up)
            new = []
            for d in (0, 1):
                act = mid & reach[src, :, d]
                jam = js_set.share_weighted_bps(partial(worst, q, bool(d), sq), act)
                new_d = np.where(act.any(axis=1), jam, clear[d][src])
                new.append(new_d)
                for k in range(n_j):
                    if (1 if bool(js_set.uplink[k]) else 0) != d:
                        continue
                    sel = act[:, k]
                    dur = (q.end_s - q.start_s)[sel]
                    hit = tally_rate_loss(acc[k], clear[d][src[sel]], new_d[sel], dur)
                    acc[k][4] |= {users[i].name for i in links.user[q.b[sel][hit]].tolist()}
            link_out.append(q.b)
            lo_out.append(q.start_s)
            hi_out.append(q.end_s)
            dn_out.append(new[0])
            up_out.append(new[1])
    # fixed-rate links: one piece each, both ways
    link_out.append(fixed_l)
    lo_out.append(links.start_s[fixed_l])
    hi_out.append(links.end_s[fixed_l])
    dn_out.append(links.rate_bps[fixed_l])
    up_out.append(links.rate_bps[fixed_l])
    li_all = np.concatenate(link_out).astype(np.intp)
    lo_all = np.concatenate(lo_out)
    order = np.lexsort((lo_all, li_all))
    pieces = UserPieces(li_all[order], lo_all[order], np.concatenate(hi_out)[order],
                        np.concatenate(dn_out)[order], np.concatenate(up_out)[order])  # fmt: skip
    effects = [UserJamEffect(int(e[0]), int(e[1]), float(e[2]), float(e[3]),
                             tuple(sorted(e[4]))) for e in acc]  # fmt: skip
    return pieces, effects


def add_users(
    scenario: Scenario, eph: Ephemeris, plan: ContactPlan, unusable_from_s: F64 | None = None
) -> tuple[ContactPlan, UserLinks]:
    """``plan`` with the scenario's ``users`` and their links (:func:`user_links` over the
    Earth-orbit satellites of ``eph``, :func:`with_user_links`), and the links. A scenario
    without users gets ``plan`` itself back (bit-identical). ``unusable_from_s``:
    float64[n_sat] of the plan's satellites (see :func:`user_links`)."""
    links = scenario_user_links(scenario, eph, unusable_from_s)
    return with_user_links(plan, links), links


def scenario_user_links(
    scenario: Scenario, eph: Ephemeris, unusable_from_s: F64 | None = None
) -> UserLinks:
    """:func:`user_links` of the scenario's ``users`` over the Earth-orbit satellites of
    ``eph`` (what :func:`add_users` adds to the plan; the snapshot network's users use the
    same links). ``unusable_from_s``: float64[n_sat] (see :func:`user_links`)."""
    sats = eph.satellites
    n_earth = sats.n_earth
    cons = [sats.constellation_names[c] for c in sats.constellation[:n_earth].tolist()]
    off = None if unusable_from_s is None else np.asarray(unusable_from_s)[:n_earth]
    links = user_links(
        scenario.users, eph.r_ecef_km[:n_earth], cons, eph.grid.t_s, eph.grid.duration_s, off
    )
    if any(u.terminal.link is not None for u in scenario.users):
        st = list(scenario.ground_stations)
        site = geodetic_to_ecef(
            np.array([g.lat_deg for g in st], dtype=np.float64),
            np.array([g.lon_deg for g in st], dtype=np.float64),
            np.array([g.alt_m for g in st], dtype=np.float64) / 1000.0,
        ).reshape(-1, 3)
        pieces, effects = user_link_pieces(
            scenario.users, links, eph.propagator, jammers_of(scenario), [g.name for g in st],
            site, scenario.step_s,
        )  # fmt: skip
        links = replace(links, pieces=pieces, jam_effects=tuple(effects))
    return links
