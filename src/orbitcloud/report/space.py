"""Report sections of runs with nodes beyond Earth orbit (constellations of kind ``surface``,
``orbiter`` or ``ephemeris`` in the manifest's scenario): distance and light time, a contact
timeline per node pair, and bundle delivery latency.

Everything here is read from the run folder only: ``contacts.parquet`` (one row per window,
with the window's ``range_km`` and ``owlt_s`` at its start) and ``bundles.parquet``. The
figure builders return ``None`` and :func:`absent_reason` says why when the inputs are missing.

=================  ==============================================  ===========================
section id         shows                                           needs
=================  ==============================================  ===========================
space_distance     range and one-way light time per pair, rate of  space nodes + contacts
                   the Earth contacts (follows 1/d²)
space_contacts     Gantt chart of windows per node pair, gaps in   space nodes + contacts
                   the Earth contacts longer than GAP_MIN_S
space_latency      bundle latency over send time, delivered        bundles.parquet
                   fraction, percentiles
=================  ==============================================  ===========================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from orbitcloud.links.windows import merge_overlaps
from orbitcloud.report.folder import SPACE_KINDS, RunFolder, codes, column_f64

__all__ = [
    "GAP_MIN_S",
    "SPACE_KINDS",
    "BundleStats",
    "SpaceContacts",
    "absent_reason",
    "bundle_stats",
    "earth_gaps",
    "fig_bundle_latency",
    "fig_light_time",
    "fig_space_timeline",
    "space_contacts",
]

F64 = NDArray[np.float64]
#: Gaps in the Earth contacts longer than this are marked (solar conjunction, lunar night).
GAP_MIN_S = 2 * 86400.0
#: Above this many windows the Gantt bars are rasterised (the SVG stays small).
RASTER_WINDOWS = 2000
AU_KM = 149_597_870.7  # IAU 2012 Resolution B2
DAY_S = 86400.0


def _days(t_s: F64) -> F64:
    return t_s / DAY_S


def range_unit(max_km: float) -> tuple[str, float]:
    """``(unit, km per unit)``: AU beyond 0.01 AU (1.5 million km), else km."""
    return ("AU", AU_KM) if max_km > 0.01 * AU_KM else ("km", 1.0)


def time_unit(max_s: float) -> tuple[str, float]:
    """``(unit, s per unit)`` for light times and latencies: s, min, h or d."""
    for unit, s in (("d", DAY_S), ("h", 3600.0), ("min", 60.0)):
        if max_s >= 2 * s:
            return unit, s
    return "s", 1.0


@dataclass(frozen=True)
class SpaceContacts:
    """The rows of ``contacts.parquet`` with a node beyond Earth orbit at one end.

    Attributes:
        names: list[n_pair] pair labels ``"a – b"``: ``a`` the space node, ``b`` the Earth
            station (Earth pairs) or the other space node (``a < b``).
        space: list[n_pair] the space node ``a`` of each pair.
        earth: bool[n_pair], True where ``b`` is an Earth station.
        pair: intp[n_row] index into ``names`` of each row (both directions share a pair).
        downlink: bool[n_row], True where the row goes from the space node to the station.
        start_s, end_s, rate_bps, owlt_s, range_km: float64[n_row] the rows' columns.
    """

    names: list[str]
    space: list[str]
    earth: NDArray[np.bool_]
    pair: NDArray[np.intp]
    downlink: NDArray[np.bool_]
    start_s: F64
    end_s: F64
    rate_bps: F64
    owlt_s: F64
    range_km: F64

    @property
    def earth_rows(self) -> NDArray[np.bool_]:
        """bool[n_row]: rows between a space node and an Earth station (either direction)."""
        return np.asarray(self.earth[self.pair], dtype=bool)


def space_contacts(run: RunFolder) -> SpaceContacts | None:
    """:class:`SpaceContacts` of the run, or ``None`` without space nodes or such rows."""
    c = run.contacts
    space = set(run.space_nodes)
    if c is None or c.num_rows == 0 or not space:
        return None
    src_col, dst_col = ("from", "to") if "from" in c.column_names else ("src", "dst")
    src, src_names = codes(c.column(src_col))
    dst, dst_names = codes(c.column(dst_col))
    stations = {str(s["name"]) for s in run.stations}
    s_sp = np.asarray([n in space for n in src_names], dtype=bool)[src]
    d_sp = np.asarray([n in space for n in dst_names], dtype=bool)[dst]
    d_st = np.asarray([n in stations for n in dst_names], dtype=bool)[dst]
    s_st = np.asarray([n in stations for n in src_names], dtype=bool)[src]
    keep = (s_sp & (d_sp | d_st)) | (d_sp & s_st)
    if not keep.any():
        return None
    a_name = np.asarray(src_names, dtype=object)[src[keep]]
    b_name = np.asarray(dst_names, dtype=object)[dst[keep]]
    down = s_sp[keep] & d_st[keep]
    up = s_st[keep]
    both = ~(down | up)  # space-space: sort the names
    first = np.where(up, b_name, np.where(both, np.minimum(a_name, b_name), a_name))
    second = np.where(up, a_name, np.where(both, np.maximum(a_name, b_name), b_name))
    labels = np.asarray([f"{x} – {y}" for x, y in zip(first, second, strict=True)], dtype=object)
    uniq, inv = np.unique(labels, return_inverse=True)
    earth = np.zeros(uniq.size, dtype=bool)
    earth[inv] = ~both
    space_of = np.empty(uniq.size, dtype=object)
    space_of[inv] = first
    return SpaceContacts(
        names=[str(x) for x in uniq],
        space=[str(x) for x in space_of],
        earth=earth,
        pair=inv.astype(np.intp),
        downlink=down,
        start_s=column_f64(c, "start_s")[keep],
        end_s=column_f64(c, "end_s")[keep],
        rate_bps=column_f64(c, "rate_bps")[keep],
        owlt_s=column_f64(c, "owlt_s")[keep],
        range_km=column_f64(c, "range_km")[keep],
    )


def merged_windows(sc: SpaceContacts) -> tuple[NDArray[np.intp], F64, F64]:
    """Union of each pair's windows (both directions): ``(pair, start_s, end_s)`` sorted by
    pair then start."""
    order = np.lexsort((sc.start_s, sc.pair))
    w = merge_overlaps(sc.pair[order], sc.start_s[order], sc.end_s[order])
    return w.elem, w.start_s, w.end_s


def earth_gaps(sc: SpaceContacts, duration_s: float, min_gap_s: float = GAP_MIN_S) -> F64:
    """Gaps longer than ``min_gap_s`` in the union of all Earth contacts (no space node in
    contact with any Earth station), as float64[n_gap, 2] ``(start_s, end_s)``, including the
    start and the end of the run."""
    e = sc.earth_rows
    if not e.any():
        return np.zeros((0, 2))
    order = np.argsort(sc.start_s[e], kind="stable")
    w = merge_overlaps(
        np.zeros(order.size, dtype=np.intp), sc.start_s[e][order], sc.end_s[e][order]
    )
    lo = np.concatenate([[0.0], w.end_s])
    hi = np.concatenate([w.start_s, [max(duration_s, float(w.end_s.max()))]])
    gap = hi - lo > min_gap_s
    return np.column_stack([lo[gap], hi[gap]])


def _plain_log_ticks(axis: matplotlib.axis.Axis) -> None:
    """Plain numbers (0.2, 1, 30) instead of powers of ten on a log axis of latencies."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def _colours(names: list[str]) -> dict[str, tuple[float, float, float, float]]:
    cmap = matplotlib.colormaps["tab10"]
    return {n: cmap(i % 10) for i, n in enumerate(dict.fromkeys(names))}


def fig_light_time(run: RunFolder) -> Figure | None:
    """Range, one-way light time and rate of the Earth contacts over the run, one point per
    contact window (its start), coloured by space node."""
    sc = space_contacts(run)
    if sc is None:
        return None
    e = sc.earth_rows
    if not e.any():
        return None
    space_row = np.asarray(sc.space, dtype=object)[sc.pair]
    colours = _colours([sc.space[p] for p in range(len(sc.names)) if sc.earth[p]])
    r_unit, r_div = range_unit(float(np.nanmax(sc.range_km[e])))
    t_unit, t_div = time_unit(float(np.nanmax(sc.owlt_s[e])))
    fig = Figure(figsize=(10, 7.5), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True)
    raster = int(e.sum()) > RASTER_WINDOWS
    for node, colour in colours.items():
        sel = e & (space_row == node)
        t = _days(sc.start_s[sel])
        ax1.plot(
            t, sc.range_km[sel] / r_div, ".", ms=2, color=colour, label=node, rasterized=raster
        )
        ax2.plot(t, sc.owlt_s[sel] / t_div, ".", ms=2, color=colour, rasterized=raster)
        down = sel & sc.downlink
        ax3.plot(
            _days(sc.start_s[down]), sc.rate_bps[down], ".", ms=2, color=colour, rasterized=raster
        )
    ax1.set_ylabel(f"range ({r_unit})")
    ax1.legend(fontsize=7, loc="best", markerscale=4)
    ax2.set_ylabel(f"one-way light time ({t_unit})")
    ax3.set_ylabel("downlink rate (bit/s)")
    ax3.set_yscale("log")
    ax3.set_xlabel("time since epoch (days)")
    lo, hi = float(np.nanmin(sc.owlt_s[e])), float(np.nanmax(sc.owlt_s[e]))
    ax1.set_title(
        "Distance and light time of the Earth contacts (one point per window, at its start); "
        f"light time {lo / t_div:.3g}–{hi / t_div:.3g} {t_unit}",
        fontsize=9,
    )
    ax3.set_title("Rate of the downlinks to Earth (a budget-limited link follows 1/d²)", fontsize=9)
    return fig


def fig_space_timeline(run: RunFolder) -> Figure | None:
    """Gantt chart: one row per node pair, one bar per merged window, time in days; gaps in the
    Earth contacts longer than :data:`GAP_MIN_S` shaded and dated."""
    sc = space_contacts(run)
    if sc is None:
        return None
    pair, start, end = merged_windows(sc)
    n = len(sc.names)
    order = sorted(range(n), key=lambda p: (sc.earth[p], sc.names[p]))
    row = np.empty(n, dtype=np.intp)
    row[order] = np.arange(n)
    fig = Figure(figsize=(10, 0.3 * n + 1.8), layout="constrained")
    ax = fig.add_subplot()
    raster = start.size > RASTER_WINDOWS
    colours = _colours(sc.space)
    for p in range(n):
        sel = pair == p
        bars = np.column_stack([_days(start[sel]), _days(end[sel] - start[sel])])
        colour = colours[sc.space[p]]
        # an edge line keeps windows far shorter than a pixel visible on long runs
        ax.broken_barh(
            bars.tolist(),
            (row[p] - 0.35, 0.7),
            facecolors=colour,
            edgecolors=colour,
            linewidth=0.4,
            rasterized=raster,
        )
    duration = float(run.duration_s or end.max())
    for g0, g1 in earth_gaps(sc, duration).tolist():
        ax.axvspan(g0 / DAY_S, g1 / DAY_S, color="#e03c3c", alpha=0.15, lw=0)
        ax.text(
            (g0 + g1) / 2 / DAY_S,
            -1.25,
            f"{(g1 - g0) / DAY_S:.1f} d gap from {_date(run, g0)}",
            ha="center",
            va="top",
            fontsize=7,
            color="#a02020",
        )
    ax.set_yticks(range(n), [sc.names[p] for p in order], fontsize=7)
    ax.set_ylim(n - 0.5, -1.3)
    ax.set_xlim(0, duration / DAY_S)
    ax.set_xlabel("time since epoch (days)")
    ax.set_title(
        f"Contact windows per node pair ({start.size} merged windows; shaded: no Earth contact "
        f"for more than {GAP_MIN_S / DAY_S:g} days)",
        fontsize=9,
    )
    return fig


def _date(run: RunFolder, t_s: float) -> str:
    return (run.epoch + dt.timedelta(seconds=float(t_s))).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class BundleStats:
    """Bundles of the run: ``sent``, ``delivered`` counts and the latency percentiles [s] of
    the delivered ones (NaN when none was delivered)."""

    sent: int
    delivered: int
    latency_min_s: float
    latency_p50_s: float
    latency_p90_s: float
    latency_p99_s: float
    latency_max_s: float

    @property
    def delivered_fraction(self) -> float:
        return self.delivered / self.sent if self.sent else float("nan")


def _delivered(run: RunFolder) -> tuple[F64, F64, NDArray[np.bool_]] | None:
    b = run.bundles
    if b is None or b.num_rows == 0:
        return None
    ok = column_f64(b, "delivered") > 0.5
    return column_f64(b, "send_s"), column_f64(b, "latency_s"), ok


def bundle_stats(run: RunFolder) -> BundleStats | None:
    d = _delivered(run)
    if d is None:
        return None
    _, lat, ok = d
    v = lat[ok & np.isfinite(lat)]
    q = np.percentile(v, [0, 50, 90, 99, 100]) if v.size else np.full(5, np.nan)
    return BundleStats(int(ok.size), int(ok.sum()), *(float(x) for x in q))


def fig_bundle_latency(run: RunFolder) -> Figure | None:
    """Latency over send time (log scale), undelivered bundles marked; latency ECDF."""
    d = _delivered(run)
    if d is None:
        return None
    send, lat, ok = d
    good = ok & np.isfinite(lat) & (lat > 0)
    unit, div = time_unit(float(lat[good].max()) if good.any() else 3600.0)
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, width_ratios=(2, 1))
    raster = send.size > RASTER_WINDOWS
    ax1.plot(
        _days(send[good]),
        lat[good] / div,
        ".",
        ms=3,
        color="#3a7dc9",
        rasterized=raster,
        label="delivered",
    )
    if (~ok).any():
        top = float(lat[good].max() / div) * 1.5 if good.any() else 1.0
        ax1.plot(
            _days(send[~ok]),
            np.full(int((~ok).sum()), top),
            "x",
            ms=4,
            color="#e03c3c",
            label="not delivered",
            rasterized=raster,
        )
    ax1.set_yscale("log")
    _plain_log_ticks(ax1.yaxis)
    ax1.set_xlabel("send time since epoch (days)")
    ax1.set_ylabel(f"latency ({unit})")
    ax1.legend(fontsize=8)
    ax1.set_title(f"Delivery latency ({int(ok.sum())} of {ok.size} delivered)", fontsize=9)
    x = np.sort(lat[good]) / div
    if x.size:
        ax2.step(x, np.arange(1, x.size + 1) / ok.size, where="post", color="#3a7dc9")
        ax2.set_xscale("log")
        _plain_log_ticks(ax2.xaxis)
    ax2.set_ylim(0, 1.02)
    ax2.set_xlabel(f"latency ({unit})")
    ax2.set_ylabel("fraction of bundles sent delivered ≤ x")
    ax2.set_title("Latency distribution", fontsize=9)
    return fig


def absent_reason(run: RunFolder, section: str) -> str | None:
    """Why a beyond-Earth section has nothing to show, or ``None`` when it has.

    ``section``: ``"space_distance"``, ``"space_contacts"`` or ``"space_latency"``.
    """
    if section == "space_latency":
        if not run.has("bundles.parquet"):
            return "no bundles.parquet in the run folder: the scenario has no bundles: section"
        if run.bundles is None or run.bundles.num_rows == 0:
            return "bundles.parquet holds no bundle"
        return None
    if not run.space_nodes:
        return (
            "the scenario has no nodes beyond Earth orbit (no constellation of kind "
            + ", ".join(SPACE_KINDS)
            + ")"
        )
    if run.contacts is None:
        return "no contacts.parquet in the run folder (the links stage did not run)"
    sc = space_contacts(run)
    if sc is None:
        return "contacts.parquet has no contact window of a node beyond Earth orbit"
    if section == "space_distance" and not sc.earth_rows.any():
        return "no node beyond Earth orbit has a contact with an Earth station"
    return None
