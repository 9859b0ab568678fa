"""Scenario "backup of a ground data centre": a ground site is lost; how long does restoring
``X`` bytes from orbit take through the remaining ground stations?

Model (stated):

- Each ground station has ``antennas`` antennas (``NodeTable.station_antennas``; the
  scenario's ``GroundStation.antennas``, default 1): at most that many of its downlink
  windows are served at once, each at its own rate (``ContactPlan`` rates are the worst case
  over each window), chosen by the contact plan's rule
  (:func:`orbitcloud.links.windows.limit_concurrent`: first come first served, hand-over to
  a waiting pass when an antenna frees). A plan built by :func:`build_contact_plan` already
  obeys it, so this keeps its windows as they are and sums them; with one antenna that is
  the union of the station's windows. Satellites feed every station in view at once, and the
  data to restore are reachable from any satellite (spread over the constellation and moved
  over ISLs), so orbit-side capacity never limits.
- The restore starts at ``start_s`` and is done when the cumulative volume downlinked by all
  allowed stations, ``V(t) = Σ_station ∫ rate_station(u) du``, reaches ``X``, plus the
  longest one-way light time of their windows (the last byte still has to arrive: ~1.3 s
  from the Moon, minutes from Mars; milliseconds from low orbit).
- If the plan ends first, the plan's average capacity ``V(span) / span`` is assumed to repeat
  (the geometry of a constellation repeats with its ground-track period; a plan of a day or
  more gives a representative average). ``extrapolated`` says when this happened.

Vectorised with numpy: the antenna rule per station, then one sort of all window edges for
the cumulative volume.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orbitcloud.links.contactplan import KINDS, ContactPlan
from orbitcloud.links.windows import limit_concurrent

__all__ = ["RestoreEstimate", "downlink_segments", "restore_time"]

F64 = NDArray[np.float64]
DAY_S = 86_400.0


@dataclass(frozen=True)
class RestoreEstimate:
    """How long restoring ``size_bytes`` from orbit takes.

    Attributes:
        size_bytes: volume to restore [bytes].
        restore_s: time from ``start_s`` until it is all on the ground [s] (``inf``: the
            allowed stations never see a satellite).
        bytes_per_day: average downlink capacity of the allowed stations over the plan.
        plan_span_s: span of the plan used (from ``start_s`` to its end) [s].
        extrapolated: the plan was too short; its average capacity was assumed to repeat.
        stations: the allowed stations, [n_station].
        station_bytes_per_day: each station's average capacity, float64[n_station].
        station_in_view_fraction: fraction of the span each has a satellite in view (in
            contact through at least one antenna).
        excluded: stations left out (the lost site, stations the tenant may not use).
    """

    size_bytes: float
    restore_s: float
    bytes_per_day: float
    plan_span_s: float
    extrapolated: bool
    stations: tuple[str, ...]
    station_bytes_per_day: F64 = field(repr=False)
    station_in_view_fraction: F64 = field(repr=False)
    excluded: tuple[str, ...] = ()

    @property
    def restore_days(self) -> float:
        return self.restore_s / DAY_S

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (per-station rows included)."""
        return {
            "size_bytes": self.size_bytes,
            "restore_s": self.restore_s,
            "restore_days": self.restore_days,
            "bytes_per_day": self.bytes_per_day,
            "plan_span_s": self.plan_span_s,
            "extrapolated": self.extrapolated,
            "excluded": list(self.excluded),
            "stations": [
                {"station": s, "bytes_per_day": float(b), "in_view_fraction": float(f)}
                for s, b, f in zip(
                    self.stations,
                    self.station_bytes_per_day,
                    self.station_in_view_fraction,
                    strict=True,
                )
            ],
        }


def downlink_segments(
    plan: ContactPlan, station_ids: NDArray[np.intp], start_s: float = 0.0
) -> tuple[NDArray[np.intp], F64, F64, F64]:
    """Per-station downlink capacity as segments: (station position in ``station_ids``,
    t0_s, t1_s, rate_bytes_per_s), each ``[n_segment]``: the downlink windows each station's
    antennas serve (at most ``antennas`` at once, see the module docstring), cut to start no
    earlier than ``start_s``. With one antenna a station's segments are disjoint."""
    n_node = plan.nodes.n_node
    pos = np.full(n_node, -1, dtype=np.intp)
    pos[station_ids] = np.arange(station_ids.size)
    st = pos[plan.dst]
    keep = (plan.kind == KINDS.index("downlink")) & (st >= 0) & (plan.rate_bps > 0)
    rows = np.flatnonzero(keep)
    # the antenna rule on whole windows (ties in start: lower satellite first), then the cut
    rows = rows[np.argsort(plan.src[rows], kind="stable")]
    antennas = plan.nodes.station_antennas()[station_ids - plan.nodes.n_sat]
    kept, k0 = limit_concurrent(st[rows], plan.start_s[rows], plan.end_s[rows], antennas)
    rows = rows[kept]
    t0 = np.maximum(k0, start_s)
    t1 = plan.end_s[rows]
    later = t1 > t0
    return st[rows][later], t0[later], t1[later], plan.rate_bps[rows][later] / 8.0


def restore_time(
    plan: ContactPlan,
    size_bytes: float,
    stations: Collection[str] | None = None,
    exclude: Collection[str] = (),
    *,
    jurisdictions: Collection[str] | None = None,
    start_s: float = 0.0,
) -> RestoreEstimate:
    """Time to bring ``size_bytes`` down from orbit through the plan's ground stations.

    Args:
        plan: the contact plan (``run_pipeline(scenario).contacts``).
        size_bytes: volume to restore [bytes] (``restore_tb · 1e12``).
        stations: stations allowed (default: all of the plan's).
        exclude: stations left out, e.g. the lost ground site.
        jurisdictions: if given, only stations whose ISO country code is in it (a tenant's
            sovereignty policy).
        start_s: when the restore starts [s since the plan's epoch].
    """
    if not (np.isfinite(size_bytes) and size_bytes >= 0):
        raise ValueError(f"size_bytes must be a finite number >= 0, got {size_bytes!r}")
    nodes = plan.nodes
    names = nodes.names[nodes.n_sat :]
    # user terminals (orbitcloud.links.users) are nodes after the stations, not stations
    names = [n for n, g in zip(names, nodes.group[nodes.n_sat :], strict=True) if g != "user"]
    if not (0.0 <= start_s < plan.duration_s):
        raise ValueError(
            f"start_s must be inside the plan [0, {plan.duration_s:g}) s, got {start_s!r}"
        )
    for label, given in (("stations", stations or ()), ("exclude", exclude)):
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ValueError(f"{label}: unknown ground station(s) {unknown}; the plan has {names}")
    allowed = [
        i
        for i, n in enumerate(names)
        if (stations is None or n in stations)
        and n not in exclude
        and (jurisdictions is None or nodes.jurisdiction[nodes.n_sat + i] in jurisdictions)
    ]
    chosen = tuple(names[i] for i in allowed)
    left_out = tuple(n for n in names if n not in chosen)
    ids = np.asarray(allowed, dtype=np.intp) + nodes.n_sat
    seg_st, t0, t1, rate = downlink_segments(plan, ids, start_s)
    span_s = plan.duration_s - start_s
    volume = np.bincount(seg_st, rate * (t1 - t0), minlength=ids.size)
    # time with a satellite in view: the union of the segments (one "antenna" keeps it)
    one, u0 = limit_concurrent(seg_st, t0, t1, np.ones(ids.size, dtype=np.intp))
    in_view = np.bincount(seg_st[one], t1[one] - u0, minlength=ids.size)
    total = float(volume.sum())

    # cumulative volume V(t) at every capacity change, all stations together
    times = np.concatenate([t0, t1])
    order = np.argsort(times, kind="stable")
    times = times[order]
    cap = np.cumsum(np.concatenate([rate, -rate])[order])  # after each change [bytes/s]
    vol = np.concatenate([[0.0], np.cumsum(cap[:-1] * np.diff(times))])
    extrapolated = False
    if size_bytes == 0.0:
        restore_s = 0.0
    elif vol[-1] >= size_bytes:
        i = int(np.searchsorted(vol, size_bytes, side="left"))
        restore_s = float(times[i - 1] + (size_bytes - vol[i - 1]) / cap[i - 1]) - start_s
    elif total > 0.0:
        extrapolated = True
        restore_s = span_s + (size_bytes - total) / (total / span_s)
    else:
        restore_s = math.inf
    down = (plan.kind == KINDS.index("downlink")) & np.isin(plan.dst, ids)
    if down.any() and np.isfinite(restore_s) and size_bytes > 0:
        restore_s += float(plan.owlt_s[down].max())
    return RestoreEstimate(
        size_bytes=float(size_bytes),
        restore_s=restore_s,
        bytes_per_day=total / span_s * DAY_S,
        plan_span_s=span_s,
        extrapolated=extrapolated,
        stations=chosen,
        station_bytes_per_day=volume / span_s * DAY_S,
        station_in_view_fraction=in_view / span_s,
        excluded=left_out,
    )
