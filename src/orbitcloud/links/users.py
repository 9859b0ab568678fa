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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orbitcloud.constants import SPEED_OF_LIGHT_KM_S
from orbitcloud.links.contactplan import KINDS, ContactPlan, NodeTable
from orbitcloud.orbits.frames import geodetic_to_ecef, up_unit_vector
from orbitcloud.orbits.propagate import Ephemeris
from orbitcloud.orbits.tracks import user_geodetic
from orbitcloud.scenario.models import Scenario
from orbitcloud.scenario.users import User

__all__ = [
    "USER_GROUP", "UserLinks", "add_users", "scenario_user_links", "serving_satellites",
    "user_links", "with_user_links",
]  # fmt: skip

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]

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
    user_node = (links.user + n.n_node).astype(np.int32)
    sat = links.sat.astype(np.int32)
    m = len(links)
    src = np.concatenate([plan.src, user_node, sat])
    dst = np.concatenate([plan.dst, sat, user_node])
    start = np.concatenate([plan.start_s, links.start_s, links.start_s])
    end = np.concatenate([plan.end_s, links.end_s, links.end_s])
    rate = np.concatenate([plan.rate_bps, links.rate_bps, links.rate_bps])
    owlt = np.concatenate([plan.owlt_s, links.owlt_s, links.owlt_s])
    rng = np.concatenate([plan.range_km, links.range_max_km, links.range_max_km])
    kind = np.concatenate([
        plan.kind, np.full(m, KINDS.index("uplink"), np.uint8),
        np.full(m, KINDS.index("downlink"), np.uint8),
    ])  # fmt: skip
    order = np.lexsort((dst, src, start))
    return ContactPlan(
        plan.epoch, plan.duration_s, nodes, src[order].astype(np.int32),
        dst[order].astype(np.int32), start[order], end[order], rate[order], owlt[order],
        rng[order], kind[order],
    )  # fmt: skip


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
    return user_links(
        scenario.users, eph.r_ecef_km[:n_earth], cons, eph.grid.t_s, eph.grid.duration_s, off
    )
