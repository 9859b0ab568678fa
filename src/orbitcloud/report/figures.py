"""Static figures of a run (matplotlib, Agg, no pyplot state): PNG and SVG for papers.

Each builder takes a :class:`RunFolder` and returns a ``Figure``, or ``None`` when the run lacks
what the figure needs; :func:`write_figures` saves every figure the run supports to
``RUN_DIR/figures/<key>.png`` and ``.svg``. Large runs are thinned for drawing only (at most
:data:`MAX_TRACKS` ground tracks, :data:`MAX_GANTT_ROWS` stations in the contact timeline,
:data:`MAX_BOX_PAIRS` route pairs); the tables stay whole.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display, whatever MPLBACKEND says

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.figure import Figure
from numpy.typing import NDArray

from orbitcloud.links.windows import merge_overlaps
from orbitcloud.report.folder import RunFolder, codes, column_f64
from orbitcloud.report.labels import label as key_label
from orbitcloud.report.roadmap import (
    fig_roadmap_buildout,
    fig_roadmap_cash,
    fig_roadmap_co2e,
    fig_roadmap_tornado,
)
from orbitcloud.report.security import fig_threat_timeline
from orbitcloud.report.space import fig_bundle_latency, fig_light_time, fig_space_timeline
from orbitcloud.report.viewer import cesium_dir

__all__ = ["FIGURES", "FigureSpec", "write_figures"]

MAX_TRACKS = 12
MAX_GANTT_ROWS = 40
MAX_BOX_PAIRS = 15
#: Tornado parameter labels are wrapped at this many characters.
TORNADO_LABEL_CHARS = 48
F64 = NDArray[np.float64]

SUNLIT = "#e0a800"
ECLIPSE = "#4682b4"
MODE_COLOURS = {"orbit": "#7b3fbf", "ground": "#3a9a4a"}


def _fleet_mean(x: F64) -> F64:
    """Mean over satellites (axis 0) ignoring NaN; NaN where no satellite has a value."""
    n = np.isfinite(x).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.nansum(x, axis=0) / np.maximum(n, 1), np.nan)


def _hours(t_s: F64) -> F64:
    return t_s / 3600.0


def _world_background(ax: matplotlib.axes.Axes) -> None:
    """Natural Earth II tiles (level 0: two 256 px tiles of 180° x 180°) from Cesium's npm
    package as a plate carrée background, if installed; otherwise a plain grid."""
    root = cesium_dir()
    tiles = None if root is None else root / "Assets" / "Textures" / "NaturalEarthII" / "0"
    if tiles is not None and (tiles / "1" / "0.jpg").is_file():
        import matplotlib.image as mpimg

        img = np.concatenate([mpimg.imread(tiles / str(x) / "0.jpg") for x in (0, 1)], axis=1)
        ax.imshow(img, extent=(-180, 180, -90, 90), zorder=0, alpha=0.85)
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xticks(range(-180, 181, 60))
    ax.set_yticks(range(-90, 91, 30))
    ax.grid(True, lw=0.3, alpha=0.5)
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")


def _break_antimeridian(lon: F64, lat: F64) -> tuple[F64, F64]:
    """NaN inserted where a track jumps by more than 180° in longitude, so lines don't wrap."""
    jump = np.flatnonzero(np.abs(np.diff(lon)) > 180) + 1
    return np.insert(lon, jump, np.nan), np.insert(lat, jump, np.nan)


def fig_ground_tracks(run: RunFolder) -> Figure | None:
    """Ground tracks of the Earth-orbit satellites (nodes beyond Earth orbit have none: their
    sub-points sweep the whole globe as the Earth turns under the Moon or Mars)."""
    s = run.samples
    if s is None or not s.has("lat_deg"):
        return None
    s = s.without(run.space_nodes)
    if s.n_sat == 0:
        return None
    fig = Figure(figsize=(10, 5.2), layout="constrained")
    ax = fig.add_subplot()
    _world_background(ax)
    pick = np.unique(np.linspace(0, s.n_sat - 1, min(s.n_sat, MAX_TRACKS)).round().astype(int))
    for i in pick:
        lon, lat = _break_antimeridian(s.values["lon_deg"][i], s.values["lat_deg"][i])
        ax.plot(lon, lat, lw=0.8, alpha=0.9, zorder=2)
    if s.n_sat > pick.size:
        ax.scatter(s.values["lon_deg"][:, 0], s.values["lat_deg"][:, 0], s=2, c="w", zorder=3)
    st = run.stations
    if st:
        ax.scatter(
            [g["lon_deg"] for g in st],
            [g["lat_deg"] for g in st],
            marker="^",
            s=36,
            c="#e03c3c",
            edgecolors="w",
            linewidths=0.5,
            zorder=4,
        )
        if len(st) <= 20:
            for g in st:
                ax.annotate(
                    g["name"],
                    (g["lon_deg"], g["lat_deg"]),
                    xytext=(4, 3),
                    textcoords="offset points",
                    fontsize=7,
                    color="w",
                    zorder=5,
                )
    shown = (
        f"{pick.size} of {s.n_sat} tracks; dots: all satellites at t = 0"
        if (s.n_sat > pick.size)
        else f"{s.n_sat} satellite track(s)"
    )
    ax.set_title(f"Ground tracks ({shown}); ▲ ground stations")
    return fig


def fig_coverage(run: RunFolder) -> Figure | None:
    rows = (run.metrics or {}).get("stations") or []
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r["gap_fraction"])[:MAX_GANTT_ROWS]
    fig = Figure(figsize=(8, 0.25 * len(rows) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    names = [r["station"] for r in rows]
    cov = [100 * (1 - r["gap_fraction"]) for r in rows]
    ax.barh(names, cov, color="#3a7dc9")
    ax.invert_yaxis()
    ax.set_xlabel("time with at least one satellite in view (%)")
    ax.set_title("Coverage per ground station")
    ax.tick_params(axis="y", labelsize=7)
    return fig


@dataclass(frozen=True)
class StationWindows:
    """Union of downlink windows per station. ``names``: list[n_station];
    ``station``, ``start_s``, ``end_s``: ``[n_window]`` sorted by (station, start)."""

    names: list[str]
    station: NDArray[np.intp]
    start_s: F64
    end_s: F64


def station_windows(run: RunFolder) -> StationWindows | None:
    """Merge each ground station's downlink windows (any node) into their union.

    Only ground stations of the scenario that are the destination of at least one downlink
    get a row: the names come from the rows kept, not from the column's dictionary (which
    holds every node of the table, satellites included). Without stations in the scenario,
    every downlink destination counts as a station."""
    c = run.contacts
    if c is None or c.num_rows == 0:
        return None
    down = c.filter(pc.equal(pc.cast(c.column("kind"), "string"), "downlink"))
    if down.num_rows == 0:
        return None
    dst, names = codes(down.column("to" if "to" in down.column_names else "dst"))
    stations = {str(g["name"]) for g in run.stations}
    is_station = np.asarray([not stations or n in stations for n in names], dtype=bool)
    keep = is_station[dst]
    if not keep.any():
        return None
    used, dst = np.unique(dst[keep], return_inverse=True)
    start, end = column_f64(down, "start_s")[keep], column_f64(down, "end_s")[keep]
    order = np.lexsort((start, dst))
    w = merge_overlaps(dst[order].astype(np.intp), start[order], end[order])
    return StationWindows([names[i] for i in used], w.elem, w.start_s, w.end_s)


def fig_contact_timeline(run: RunFolder) -> Figure | None:
    w = station_windows(run)
    if w is None:
        return None
    total = np.bincount(w.station, weights=w.end_s - w.start_s, minlength=len(w.names))
    rows = np.argsort(-total, kind="stable")[:MAX_GANTT_ROWS]
    fig = Figure(figsize=(10, 0.28 * rows.size + 1.4), layout="constrained")
    ax = fig.add_subplot()
    for y, g in enumerate(rows):
        sel = w.station == g
        bars = np.column_stack([_hours(w.start_s[sel]), _hours(w.end_s[sel] - w.start_s[sel])])
        ax.broken_barh(bars.tolist(), (y - 0.4, 0.8), color="#3a9a4a")
    ax.set_yticks(range(rows.size), [w.names[g] for g in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, float(run.duration_s or w.end_s.max()) / 3600.0)
    ax.set_xlabel("time since epoch (h)")
    more = (
        f" ({rows.size} of {len(w.names)} with contacts, most contact first)"
        if (rows.size < len(w.names))
        else ""
    )
    ax.set_title(f"Contact timeline: downlink windows per ground station{more}")
    return fig


def active_count(start_s: F64, end_s: F64, t_s: F64) -> NDArray[np.int64]:
    """Number of windows ``[start, end)`` open at each time ``t_s`` (two sorted searches)."""
    return np.searchsorted(np.sort(start_s), t_s, side="right") - np.searchsorted(
        np.sort(end_s), t_s, side="right"
    )


def fig_links_over_time(run: RunFolder) -> Figure | None:
    c = run.contacts
    if c is None or c.num_rows == 0:
        return None
    kind, kinds = codes(c.column("kind"))
    start, end = column_f64(c, "start_s"), column_f64(c, "end_s")
    t = np.linspace(0.0, run.duration_s or float(end.max()), 1000)
    fig = Figure(figsize=(10, 3.2), layout="constrained")
    ax = fig.add_subplot()
    for k, name in enumerate(kinds):
        if name == "uplink":
            continue  # mirrors the downlinks
        sel = kind == k
        n = active_count(start[sel], end[sel], t)
        ax.plot(_hours(t), n / (2 if name == "isl" else 1), label=name.replace("isl", "ISL"))
    ax.set_xlabel("time since epoch (h)")
    ax.set_ylabel("links up")
    ax.set_title("Links up over time (ISLs counted once per pair)")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def _shade_eclipses(ax: matplotlib.axes.Axes, t_s: F64, sunlit: F64) -> None:
    dark = np.concatenate([[False], sunlit < 0.5, [False]])
    edges = np.flatnonzero(np.diff(dark.astype(np.int8)))
    tt = np.concatenate([t_s, [t_s[-1]]])
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        ax.axvspan(float(tt[a]) / 3600.0, float(tt[b]) / 3600.0, color=ECLIPSE, alpha=0.15, lw=0)


def fig_eclipses(run: RunFolder) -> Figure | None:
    s = run.samples
    if s is None or not s.has("sunlit") or s.t_s.size < 2:
        return None
    fig = Figure(figsize=(10, 3), layout="constrained")
    ax = fig.add_subplot()
    frac = _fleet_mean(s.values["sunlit"])
    ax.plot(_hours(s.t_s), 100 * frac, color=SUNLIT, label="fleet in sunlight")
    _shade_eclipses(ax, s.t_s, s.values["sunlit"][0])
    ax.set_ylim(-5, 105)
    ax.set_xlabel("time since epoch (h)")
    ax.set_ylabel("satellites in sunlight (%)")
    ax.set_title(f"Sunlight and eclipses (shaded: eclipses of {s.names[0]})")
    return fig


def fig_power(run: RunFolder) -> Figure | None:
    s = run.samples
    if s is None or not s.has("battery_soc") or s.t_s.size < 2:
        return None
    h = _hours(s.t_s)
    fig = Figure(figsize=(10, 6), layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    soc = 100 * s.values["battery_soc"]
    with warnings.catch_warnings():  # all-NaN columns (no battery) stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, med, hi = np.nanpercentile(soc, [0, 50, 100], axis=0)
    ax1.fill_between(h, lo, hi, color="#3a7dc9", alpha=0.25, lw=0, label="min-max over fleet")
    ax1.plot(h, med, color="#3a7dc9", label="median")
    ax1.set_ylabel("battery state of charge (%)")
    ax1.legend(loc="lower right", fontsize=8)
    for col, label, colour in (
        ("generated_w", "solar generation", SUNLIT),
        ("compute_w", "compute power", "#7b3fbf"),
    ):
        if s.has(col):
            ax2.plot(h, _fleet_mean(s.values[col]) / 1e3, label=label, color=colour)
    ax2.set_ylabel("mean per satellite (kW)")
    ax2.set_xlabel("time since epoch (h)")
    ax2.legend(loc="upper right", fontsize=8)
    if s.has("sunlit"):
        for ax in (ax1, ax2):
            _shade_eclipses(ax, s.t_s, s.values["sunlit"][0])
    ax1.set_title(f"Power and battery (shaded: eclipses of {s.names[0]})")
    return fig


def fig_route_latency(run: RunFolder) -> Figure | None:
    r = run.routes
    if r is None or r.num_rows == 0:
        return None
    src, sn = codes(r.column("src"))
    dst, dn = codes(r.column("dst"))
    rtt = column_f64(r, "rtt_ms")
    pair = src * len(dn) + dst
    ok = np.isfinite(rtt)
    uniq, inv = np.unique(pair, return_inverse=True)
    fig = Figure(figsize=(10, 4.5), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, width_ratios=(1, 2))
    x = np.sort(rtt[ok])
    ax1.plot(x, np.arange(1, x.size + 1) / max(x.size, 1), color="#3a7dc9")
    ax1.set_xlabel("round-trip time (ms)")
    ax1.set_ylabel("fraction of (time, pair) samples ≤ x")
    ax1.set_title(f"RTT, all {uniq.size} pairs")
    med = np.array([np.nan] * uniq.size)
    order = np.argsort(inv[ok], kind="stable")
    groups = np.split(rtt[ok][order], np.flatnonzero(np.diff(inv[ok][order])) + 1)
    gid = np.unique(inv[ok])
    for g, vals in zip(gid, groups, strict=True):
        med[g] = np.median(vals)
    show = np.argsort(-np.nan_to_num(med, nan=-1))[: min(MAX_BOX_PAIRS, uniq.size)]
    data = [rtt[ok & (inv == g)] for g in show]
    labels = [f"{sn[uniq[g] // len(dn)]}→{dn[uniq[g] % len(dn)]}" for g in show]
    ax2.boxplot(data, orientation="horizontal", showfliers=False)
    ax2.set_yticks(range(1, len(labels) + 1), labels, fontsize=7)
    ax2.set_xlabel("round-trip time (ms)")
    ax2.set_title(f"RTT per pair ({len(show)} highest medians)")
    unreachable = 1 - ok.mean()
    if unreachable > 0:
        fig.suptitle(f"{100 * unreachable:.1f} % of samples had no route", fontsize=9)
    return fig


def path_changes(run: RunFolder) -> tuple[F64, NDArray[np.bool_]] | None:
    """Times and a flag per routes.parquet row: True where the pair's hop list differs from
    its previous sample (rows sorted by pair, then time). ``None`` without a path column."""
    r = run.routes
    if r is None or "path" not in r.column_names or r.num_rows == 0:
        return None
    src, _ = codes(r.column("src"))
    dst, dn = codes(r.column("dst"))
    t = column_f64(r, "t_s")
    flat = pc.cast(r.column("path"), pa.list_(pa.string()))
    joined = pc.binary_join(flat, "|")
    key, _ = codes(pc.fill_null(joined, ""))
    pair = src * len(dn) + dst
    order = np.lexsort((t, pair))
    same_pair = pair[order][1:] == pair[order][:-1]
    changed = same_pair & (key[order][1:] != key[order][:-1])
    return t[order][1:], changed


def fig_path_changes(run: RunFolder) -> Figure | None:
    pc_ = path_changes(run)
    if pc_ is None:
        return None
    t, changed = pc_
    fig = Figure(figsize=(10, 3), layout="constrained")
    ax = fig.add_subplot()
    bins = np.linspace(0, max(float(t.max(initial=0)), 1.0), 60)
    ax.hist(t[changed], bins=bins.tolist(), color="#c9653a")
    ax.set_xlabel("time since epoch (s)")
    ax.set_ylabel("path changes")
    ax.set_title(f"Route path changes over time ({int(changed.sum())} in all pairs)")
    return fig


def _legend(ax: matplotlib.axes.Axes, **kw: object) -> None:
    """A legend when the axes has labelled artists; otherwise a note that it has none."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kw)
    else:
        ax.text(0.5, 0.5, "none yet", transform=ax.transAxes, ha="center", color="0.4")


def _ecdf(ax: matplotlib.axes.Axes, values: F64, label: str, colour: str | None) -> None:
    x = np.sort(values[np.isfinite(values)])
    if x.size:
        ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", label=label, color=colour)


def fig_compute(run: RunFolder) -> Figure | None:
    j = run.jobs
    if j is None or j.num_rows == 0:
        return None
    mode, modes = codes(j.column("mode"))
    status, statuses = codes(j.column("status"))
    delay = column_f64(j, "delivered_s") - column_f64(j, "submitted_s")
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    for k, m in enumerate(modes):
        _ecdf(ax1, delay[mode == k] / 60.0, m, MODE_COLOURS.get(m))
    ax1.set_xlabel("time to product: submitted → delivered (min)")
    ax1.set_ylabel("fraction of jobs ≤ x")
    _legend(ax1, fontsize=8)
    ax1.set_title("Time to product")
    counts = np.zeros((len(modes), len(statuses)))
    np.add.at(counts, (mode, status), 1)
    left = np.zeros(len(modes))
    for k, st in enumerate(statuses):
        ax2.barh(modes, counts[:, k], left=left, label=st)
        left += counts[:, k]
    ax2.set_xlabel("jobs")
    ax2.legend(fontsize=8)
    ax2.set_title("Job outcomes, in orbit vs on the ground")
    return fig


def fig_storage(run: RunFolder) -> Figure | None:
    s = run.storage
    if s is None or s.num_rows == 0:
        return None
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    if "policy" in s.column_names:
        policy, policies = codes(s.column("policy"))
    else:
        policy, policies = np.zeros(s.num_rows, dtype=np.int64), ["all"]
    if "durable_s" in s.column_names and "put_s" in s.column_names:
        lat = column_f64(s, "durable_s") - column_f64(s, "put_s")
        for k, p in enumerate(policies):
            _ecdf(ax1, lat[policy == k], p, None)
        ax1.set_xlabel("put → durable (s)")
        ax1.set_ylabel("fraction of objects ≤ x")
        _legend(ax1, fontsize=8)
    ax1.set_title("Time to durability")
    outcome = np.full(s.num_rows, "stored", dtype=object)
    if "readable" in s.column_names:
        outcome[column_f64(s, "readable") > 0.5] = "readable"
    if "lost" in s.column_names:
        outcome[column_f64(s, "lost") > 0.5] = "lost"
    kinds = ["readable", "stored", "lost"]
    left = np.zeros(len(policies))
    for outcome_kind in kinds:
        n = np.bincount(policy[outcome == outcome_kind], minlength=len(policies))
        if n.any():
            ax2.barh(policies, n, left=left, label=outcome_kind)
            left += n
    ax2.set_xlabel("objects at the end of the run")
    ax2.legend(fontsize=8)
    ax2.set_title("Objects per placement policy")
    return fig


def fig_events(run: RunFolder) -> Figure | None:
    e = run.events
    if e is None or e.num_rows == 0:
        return None
    service, _ = codes(e.column("service"))
    kind, kinds = codes(e.column("kind"))
    t = column_f64(e, "t_s")
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax = fig.add_subplot()
    top = np.argsort(-np.bincount(kind, minlength=len(kinds)), kind="stable")[:10]
    for k in top:
        tk = np.sort(t[kind == k])
        ax.step(_hours(tk), np.arange(1, tk.size + 1), where="post", label=kinds[k])
    del service
    ax.set_xlabel("time since epoch (h)")
    ax.set_ylabel("events so far")
    ax.set_yscale("log")
    ax.legend(fontsize=7, ncols=2)
    ax.set_title("Service events (cumulative, 10 most frequent kinds)")
    return fig


def _number(x: object) -> float | None:
    """``x`` as a finite float, or ``None`` (missing, ``null`` in JSON, NaN, not a number)."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return float(x) if np.isfinite(x) else None


def fig_assessment(run: RunFolder) -> Figure | None:
    """Orbital vs ground bars per kWh; a side without a value (``null``: e.g. an orbital fleet
    that delivers no IT energy) is marked "n/a" instead of drawn."""
    a = run.assessment
    if not a or not isinstance(a.get("orbital"), dict) or not isinstance(a.get("ground"), dict):
        return None
    currency = str(a.get("currency") or "").split(" ")[0] or "cost"
    metrics = [
        ("co2e_kg_per_kwh", "carbon", "kg CO2e / kWh"),
        ("water_l_per_kwh", "water", "L water / kWh"),
        ("cost_per_kwh", "cost", f"{currency} / kWh"),
    ]
    values = {
        key: (_number(a["orbital"].get(key)), _number(a["ground"].get(key)))
        for key, _, _ in metrics
    }
    metrics = [m for m in metrics if any(v is not None for v in values[m[0]])]
    if not metrics:
        return None
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, (key, title, unit) in zip(axes, metrics, strict=True):
        vals = values[key]
        heights = [0.0 if v is None else v for v in vals]
        ax.bar(["orbital", "ground"], heights, color=["#7b3fbf", "#3a9a4a"])
        for x, v in enumerate(vals):
            if v is None:
                ax.text(x, 0.0, "n/a", ha="center", va="bottom", fontsize=9)
        ax.set_ylabel(unit)
        ax.set_title(title)
    fig.suptitle("Orbital vs ground data centre, per kWh of IT energy")
    return fig


def fig_tornado(run: RunFolder) -> Figure | None:
    a = run.assessment or {}
    sens = [x for x in (a.get("sensitivity") or []) if isinstance(x, dict)]
    if not sens:
        return None
    sens = [
        x
        for x in sens
        if _number(x.get("metric_at_low")) is not None
        and _number(x.get("metric_at_high")) is not None
    ][:15]
    if not sens:
        return None
    low = np.array([float(x["metric_at_low"]) for x in sens])
    high = np.array([float(x["metric_at_high"]) for x in sens])
    metric = str(sens[0].get("metric", "metric"))
    group, _, key = metric.partition("_")
    base = (a.get(group) or {}).get(key) if isinstance(a.get(group), dict) else None
    b = _number(base)
    centre = b if b is not None else float(np.median((low + high) / 2))
    lines = sum(1 + len(str(x["parameter"])) // TORNADO_LABEL_CHARS for x in sens)
    fig = Figure(figsize=(9, 0.2 * lines + 0.25 * len(sens) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(sens))
    ax.barh(y, low - centre, left=centre, color="#3a7dc9", label="parameter at low")
    ax.barh(y, high - centre, left=centre, color="#c9653a", label="parameter at high")
    ax.axvline(centre, color="k", lw=0.8)
    labels = [
        textwrap.fill(
            f"{x['parameter']} ({x.get('low', '')}–{x.get('high', '')} {x.get('unit', '')})",
            TORNADO_LABEL_CHARS,
            subsequent_indent="  ",
        )
        for x in sens
    ]
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(key_label(metric))
    ax.legend(fontsize=8, loc="best")
    # a figure title (centred on the figure, kept inside it by the layout), not an axes title:
    # long parameter labels push the axes to the right and an axes title off the edge
    fig.suptitle("Sensitivity (one parameter at a time; line: baseline)")
    return fig


@dataclass(frozen=True)
class FigureSpec:
    """One figure: file stem, report section, caption and builder."""

    key: str
    section: str
    caption: str
    build: Callable[[RunFolder], Figure | None]


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("ground_tracks", "coverage", "Ground tracks and stations.", fig_ground_tracks),
    FigureSpec(
        "coverage",
        "coverage",
        "Fraction of the run with a satellite in view of each station.",
        fig_coverage,
    ),
    FigureSpec(
        "contact_timeline",
        "contacts",
        "Union of the downlink windows per station.",
        fig_contact_timeline,
    ),
    FigureSpec(
        "links_over_time", "contacts", "Ground links and ISLs up over time.", fig_links_over_time
    ),
    FigureSpec(
        "space_light_time",
        "space_distance",
        "Range, one-way light time and downlink rate of the contacts between nodes beyond "
        "Earth orbit and Earth stations (one point per contact window, at its start).",
        fig_light_time,
    ),
    FigureSpec(
        "space_timeline",
        "space_contacts",
        "Contact windows per node pair (both directions merged); shaded: gaps in all Earth "
        "contacts longer than 2 days.",
        fig_space_timeline,
    ),
    FigureSpec(
        "bundle_latency",
        "space_latency",
        "Bundle delivery latency over send time and its distribution.",
        fig_bundle_latency,
    ),
    FigureSpec(
        "route_latency", "routes", "Round-trip times of the routed pairs.", fig_route_latency
    ),
    FigureSpec("path_changes", "routes", "When routes change their hop list.", fig_path_changes),
    FigureSpec("eclipses", "power", "Satellites in sunlight; eclipses shaded.", fig_eclipses),
    FigureSpec(
        "power", "power", "Battery state of charge, generation and compute power.", fig_power
    ),
    FigureSpec(
        "storage", "storage", "Stored objects: time to durability and outcomes.", fig_storage
    ),
    FigureSpec("events", "storage", "Service events over time (repairs, faults).", fig_events),
    FigureSpec("compute", "compute", "Compute jobs in orbit vs on the ground.", fig_compute),
    FigureSpec(
        "threat_timeline",
        "security",
        "Threats and their phases (compromise, detection, recovery; the rogue station's "
        "attempt window and each rejected uplink as a tick) over the run's events per service.",
        fig_threat_timeline,
    ),
    FigureSpec("assessment", "assessment", "Carbon, water and cost per kWh.", fig_assessment),
    FigureSpec(
        "tornado", "assessment", "One-at-a-time sensitivity of the orbital footprint.", fig_tornado
    ),
    FigureSpec("roadmap_buildout", "roadmap", "Build-out: IT power in orbit against the target; "
               "modules and launches per year.", fig_roadmap_buildout),
    FigureSpec("roadmap_co2e", "roadmap", "Cumulative CO2e of the roadmap, orbit vs ground.",
               fig_roadmap_co2e),
    FigureSpec("roadmap_cash", "roadmap", "Net cash flow and cumulative discounted cash flow "
               "(the NPV to date).", fig_roadmap_cash),
    FigureSpec("roadmap_tornado", "roadmap", "One-at-a-time sensitivity of the launcher "
               "condition.", fig_roadmap_tornado),
)  # fmt: skip


def write_figures(run: RunFolder, skipped: dict[str, str] | None = None) -> dict[str, Path]:
    """Save every figure the run supports as ``figures/<key>.png`` (150 dpi) and ``.svg``;
    return ``{key: png path}``.

    A figure whose builder fails on the folder's data (a missing column, an unexpected
    ``null``) is left out rather than failing the report; ``skipped`` (if given) receives
    ``{key: reason}`` for each, so the report can say what is missing. Files are written
    under a temporary name and renamed, so a figure on disk is always whole.
    """
    out = run.path / "figures"
    out.mkdir(exist_ok=True)
    written: dict[str, Path] = {}
    for spec in FIGURES:
        try:
            fig = spec.build(run)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            if skipped is not None:
                skipped[spec.key] = f"{type(exc).__name__}: {exc}"
            continue
        if fig is None:
            continue
        png = out / f"{spec.key}.png"
        svg = out / f"{spec.key}.svg"
        tmp_png, tmp_svg = out / f".{spec.key}.png.tmp", out / f".{spec.key}.svg.tmp"
        fig.savefig(tmp_png, dpi=150, format="png")
        fig.savefig(tmp_svg, format="svg", metadata={"Date": None})
        tmp_png.replace(png)
        tmp_svg.replace(svg)
        written[spec.key] = png
    return written
