"""``report.html``: one self-contained page per run (figures as base64 PNG, CSS inline, no
scripts, no external URLs), with a section for each part of the run that exists.

Tables show human labels, not raw keys (one mapping: :mod:`orbitcloud.report.labels`), with the
raw key in the header cell's ``title``; numbers have one format per kind (counts with thousands
separators, measurements with 4 significant digits; a float's full value in its cell's title).

========== ======================================================== ==========================
section id shows                                                    appears when
========== ======================================================== ==========================
summary    scenario, headline numbers, stage timings, versions      always
coverage   ground tracks, coverage per station                      positions or stations
contacts   contact timeline (Gantt) per station, links over time    contacts.parquet
space_*    beyond Earth orbit: distance and light time, contact     nodes beyond Earth orbit;
           timeline per pair, bundle delivery latency               bundles.parquet
           (:mod:`orbitcloud.report.space`)
(summary   also says why the beyond-Earth sections are absent       no node beyond Earth orbit)
routes     RTT distributions, path changes                          routes.parquet
power      eclipses, battery and power timelines                    positions.parquet
storage    durability, outcomes, repairs/fault events               storage/events.parquet
compute    jobs in orbit vs on the ground                           jobs.parquet or "compute"
users      per user: availability, handovers, demand, latency       users.parquet
           (:mod:`orbitcloud.report.users`)
security   per threat: service availability per phase, bytes        metrics.json "security"
           delayed or lost, late jobs, exposure, recovery, timeline block with threats
           (:mod:`orbitcloud.report.security`)
assessment carbon/water/cost comparison, sensitivity tornado        assessment.json
scene      what scene.czml holds and how to view it                 scene summary given
files      the run folder's files                                   always
========== ======================================================== ==========================
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from orbitcloud.report.czml import MAX_SCENE_RADIUS_KM, SceneSummary
from orbitcloud.report.figures import FIGURES
from orbitcloud.report.folder import RunFolder, codes, column_f64
from orbitcloud.report.labels import format_number, label
from orbitcloud.report.roadmap import roadmap_html
from orbitcloud.report.security import (
    Threat,
    jamming_line,
    phases,
    rejected_attempts_s,
    run_threats,
    threat_jobs,
    threat_storage,
)
from orbitcloud.report.space import (
    DAY_S,
    GAP_MIN_S,
    absent_reason,
    bundle_stats,
    earth_gaps,
    merged_windows,
    range_unit,
    space_contacts,
    time_unit,
)
from orbitcloud.report.users import users_section

__all__ = ["SECTIONS", "render_report"]

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Scenario summary"),
    ("coverage", "Ground tracks and coverage"),
    ("contacts", "Contacts"),
    ("space_distance", "Distance and light time"),
    ("space_contacts", "Contact timeline beyond Earth orbit"),
    ("space_latency", "Delivery latency"),
    ("routes", "Routes: latency and path changes"),
    ("power", "Power, battery and eclipses"),
    ("storage", "Storage: durability and repair"),
    ("compute", "Compute jobs: in orbit vs ground"),
    ("users", "User terminals"),
    ("security", "Security and resilience"),
    ("assessment", "Carbon, water and cost"),
    ("roadmap", "Roadmap and business case"),
    ("scene", "3D scene"),
    ("files", "Files"),
)

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;
background:#f5f6f8}
header{background:#111a2e;color:#fff;padding:1.2em 2em}header h1{margin:0 0 .2em;font-size:1.5em}
header p{margin:0;color:#c5cbe0}nav{padding:.4em 2em;background:#1d2742}
nav a{color:#9fc3ff;margin-right:1.2em;text-decoration:none;font-size:.9em}
main{max-width:1100px;margin:0 auto;padding:1em 2em}
section{background:#fff;border-radius:6px;padding:1em 1.5em;margin:1em 0;
box-shadow:0 1px 3px rgba(0,0,0,.08)}h2{margin-top:0;font-size:1.2em}
figure{margin:1em 0}figure img{max-width:100%;height:auto}
figcaption{color:#555;font-size:.85em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border-bottom:1px solid #e3e5ea;padding:.25em .8em;text-align:left}
th{background:#f0f2f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{background:#eef0f4;padding:0 .3em;border-radius:3px}
"""


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def _cell(v: object) -> str:
    """One value cell: numbers right-aligned in the one format of
    :func:`orbitcloud.report.labels.format_number`, a float's full value in its ``title``."""
    if isinstance(v, float) and math.isfinite(v):
        return f'<td class=n title="{v!r}">{_esc(format_number(v))}</td>'
    if isinstance(v, int | float) and not isinstance(v, bool):
        return f"<td class=n>{_esc(format_number(v))}</td>"
    return f"<td>{_esc(format_number(v))}</td>"


def _key_cell(key: str, text: str | None = None) -> str:
    """A header cell: the human label of a raw key (or ``text``), the key in ``title``."""
    return f'<th title="{_esc(key)}">{_esc(label(key) if text is None else text)}</th>'


def _kv_table(
    items: Iterable[tuple[str, object]], raw_keys: bool = True, currency: str | None = None
) -> str:
    """Two columns: label, value. With ``raw_keys`` the first item of each pair is a raw key
    (shown as :func:`~orbitcloud.report.labels.label`, kept in ``title``); otherwise it is
    shown as given (names such as package names, or labels already human)."""
    rows = "".join(
        f"<tr>{_key_cell(k, label(k, currency)) if raw_keys else f'<th>{_esc(k)}</th>'}"
        f"{_cell(v)}</tr>"
        for k, v in items
    )
    return f"<table>{rows}</table>" if rows else ""


def _flat(block: Mapping[str, Any], prefix: str = "") -> list[tuple[str, object]]:
    """Scalars of a JSON block, one nesting level flattened as ``outer.inner``."""
    out: list[tuple[str, object]] = []
    for k, v in block.items():
        if isinstance(v, Mapping) and not prefix:
            out.extend(_flat(v, f"{k}."))
        elif isinstance(v, str | int | float | bool) or v is None:
            out.append((f"{prefix}{k}", v))
    return out


Header = str | tuple[str, str]


def _table(header: list[Header], rows: list[list[object]]) -> str:
    """A table with a header row; a header given as ``(label, source)`` keeps the raw key or
    formula it comes from in the cell's ``title``. Numbers get :func:`_cell`'s one format."""
    head = "".join(
        _key_cell(h[1], h[0]) if isinstance(h, tuple) else f"<th>{_esc(h)}</th>" for h in header
    )
    body = "".join("<tr>" + "".join(_cell(c) for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _weather_table(w: object) -> str:
    """Site diversity (metrics.json ``weather``, :mod:`orbitcloud.links.diversity`): per
    group the best single site and the joint usable %."""
    if not isinstance(w, Mapping) or not w.get("diversity_groups"):
        return ""
    rows = [
        [g["group"], ", ".join(g["stations"]), max(g["single_site_usable_pct"].values()),
         g["joint_usable_pct"], g.get("p618_joint_usable_pct")]
        for g in w["diversity_groups"]
    ]  # fmt: skip
    return "<h3>Site diversity (metrics.json <code>weather</code>)</h3>" + _table(
        ["group", "stations", "best single site usable (%)", "joint usable (%)",
         "ITU-R P.618 joint (%)"], rows,
    )  # fmt: skip


def _figure(png: Path, caption: str) -> str:
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{_esc(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{_esc(caption)} <code>figures/{_esc(png.stem)}.png/.svg</code>"
        "</figcaption></figure>"
    )


def _summary(run: RunFolder) -> str:
    sc, m = run.scenario, run.metrics or {}
    head = [
        ("scenario", run.name),
        ("epoch (UTC)", sc.get("epoch", "")),
        ("duration (h)", run.duration_s / 3600.0),
        ("time step (s)", sc.get("step_s", "")),
        ("seed", run.manifest.get("seed", "")),
    ]
    keys = [
        "satellites",
        "ground_stations",
        "contacts_directed",
        "ground_passes",
        "mean_pass_s",
        "isl_pairs",
        "isl_windows",
        "sunlit_fraction",
        "propagation_failures",
    ]
    metrics = "".join(f"<tr>{_key_cell(k)}{_cell(m[k])}</tr>" for k in keys if k in m)
    timings = run.manifest.get("timings_s") or {}
    versions = run.manifest.get("versions") or {}
    desc = f"<p>{_esc(sc.get('description', ''))}</p>" if sc.get("description") else ""
    rows = "".join(f"<tr><th>{_esc(k)}</th>{_cell(v)}</tr>" for k, v in head)
    table = f"<table>{rows}{metrics}</table>"
    return (
        desc
        + table
        + (
            "<h3>Stage timings (s)</h3>" + _kv_table(timings.items())
            if isinstance(timings, dict) and timings
            else ""
        )
        + (
            "<h3>Versions</h3>" + _kv_table(versions.items(), raw_keys=False)
            if isinstance(versions, dict) and versions
            else ""
        )
    )


def _coverage_table(run: RunFolder) -> str:
    rows = sorted((run.metrics or {}).get("stations") or [], key=lambda r: -r["gap_fraction"])
    if not rows:
        return ""
    body = [
        [
            r["station"],
            r["passes"],
            r["mean_pass_s"],
            r["gaps"],
            r["max_gap_s"] / 60.0,
            100 * (1 - r["gap_fraction"]),
        ]
        for r in rows[:40]
    ]
    more = f"<p>{len(rows) - 40} more stations in metrics.json.</p>" if len(rows) > 40 else ""
    return (
        _table(
            [
                ("station", "station"),
                ("passes", "passes"),
                ("mean pass (s)", "mean_pass_s"),
                ("gaps", "gaps"),
                ("longest gap (min)", "max_gap_s / 60"),
                ("coverage (%)", "100 (1 - gap_fraction)"),
            ],
            body,
        )
        + more
    )


def _contacts_table(run: RunFolder) -> str:
    c = run.contacts
    if c is None or c.num_rows == 0:
        return ""
    kind, kinds = codes(c.column("kind"))
    dur = column_f64(c, "end_s") - column_f64(c, "start_s")
    rate = column_f64(c, "rate_bps")
    rows: list[list[object]] = []
    for k, name in enumerate(kinds):
        d = dur[kind == k]
        if d.size:
            vol = float(np.sum(d * rate[kind == k]) / 8e12)
            rows.append([name, int(d.size), float(np.median(d)), float(d.sum() / 3600), vol])
    return _table(["kind", "windows", "median window (s)", "total (h)", "capacity (TB)"], rows)


def _routes_table(run: RunFolder) -> str:
    r = run.routes
    if r is None or r.num_rows == 0:
        return ""
    src, sn = codes(r.column("src"))
    dst, dn = codes(r.column("dst"))
    rtt = column_f64(r, "rtt_ms")
    pair = src * len(dn) + dst
    uniq, inv = np.unique(pair, return_inverse=True)
    rows = []
    for g in range(min(uniq.size, 20)):
        v = rtt[inv == g]
        ok = v[np.isfinite(v)]
        rows.append(
            [
                f"{sn[uniq[g] // len(dn)]} → {dn[uniq[g] % len(dn)]}",
                float(np.median(ok)) if ok.size else math.nan,
                float(np.percentile(ok, 95)) if ok.size else math.nan,
                100.0 * ok.size / max(v.size, 1),
            ]
        )
    more = f"<p>First 20 of {uniq.size} pairs.</p>" if uniq.size > 20 else ""
    return _table(["pair", "median RTT (ms)", "p95 RTT (ms)", "reachable (%)"], rows) + more


def _space_distance(run: RunFolder) -> str:
    sc = space_contacts(run)
    if sc is None:
        return ""
    e = sc.earth_rows
    parts = []
    if e.any():
        lo, hi = float(np.nanmin(sc.owlt_s[e])), float(np.nanmax(sc.owlt_s[e]))
        unit, div = time_unit(hi)
        r_lo, r_hi = float(np.nanmin(sc.range_km[e])), float(np.nanmax(sc.range_km[e]))
        r_unit, r_div = range_unit(r_hi)
        parts.append(
            "<p class=owlt>One-way light time between nodes beyond Earth orbit and Earth "
            f"stations over the run: min <b>{lo:.3f} s</b> ({lo / div:.4g} {unit}), "
            f"max <b>{hi:.3f} s</b> ({hi / div:.4g} {unit}); range {r_lo / r_div:.4g} to "
            f"{r_hi / r_div:.4g} {r_unit} ({int(e.sum())} contact windows, each at its "
            "start).</p>"
        )
    rows: list[list[object]] = []
    for p, name in enumerate(sc.names):
        sel = sc.pair == p
        r = sc.range_km[sel]
        o = sc.owlt_s[sel]
        rows.append(
            [
                name,
                "Earth" if sc.earth[p] else "space",
                int(sel.sum()),
                float(np.nanmin(r)),
                float(np.nanmax(r)),
                float(np.nanmin(o)),
                float(np.nanmax(o)),
            ]
        )
    parts.append(
        _table(
            [
                "pair",
                "to",
                "windows (both directions)",
                "min range (km)",
                "max range (km)",
                "min light time (s)",
                "max light time (s)",
            ],
            rows,
        )
    )
    links = [x for x in run.scenario.get("space_links") or [] if isinstance(x, dict)]
    if links:
        parts.append(
            "<p>Space link sets: "
            + "; ".join(
                f"<code>{_esc(x.get('name', ''))}</code> "
                f"{_esc(', '.join(map(str, x.get('from_nodes') or [])))} → "
                f"{_esc(', '.join(map(str, x.get('to_nodes') or [])))}"
                for x in links
            )
            + ".</p>"
        )
    return "".join(parts)


def _space_contacts(run: RunFolder) -> str:
    sc = space_contacts(run)
    if sc is None:
        return ""
    pair, start, end = merged_windows(sc)
    rows: list[list[object]] = []
    for p, name in enumerate(sc.names):
        sel = pair == p
        s0, s1 = start[sel], end[sel]
        gaps = np.diff(
            np.concatenate([[0.0], np.ravel(np.column_stack([s0, s1])), [run.duration_s]])
        )
        longest = float(np.max(gaps[::2])) if gaps.size else math.nan
        rows.append([name, int(sel.sum()), float((s1 - s0).sum() / 3600.0), longest / DAY_S])
    gaps = earth_gaps(sc, run.duration_s)
    if gaps.shape[0]:
        epoch = run.epoch
        items = "".join(
            f"<li>{_esc((epoch + dt.timedelta(seconds=float(a))).strftime('%Y-%m-%d %H:%M'))} → "
            f"{_esc((epoch + dt.timedelta(seconds=float(b))).strftime('%Y-%m-%d %H:%M'))} UTC "
            f"({(b - a) / DAY_S:.1f} days)</li>"
            for a, b in gaps.tolist()
        )
        note = (
            f"<p>Gaps longer than {GAP_MIN_S / DAY_S:g} days with no contact between any node "
            "beyond Earth orbit and any Earth station (e.g. solar conjunction):</p>"
            f"<ul>{items}</ul>"
        )
    else:
        note = (
            f"<p>No gap longer than {GAP_MIN_S / DAY_S:g} days in the contacts between nodes "
            "beyond Earth orbit and Earth stations.</p>"
        )
    return note + _table(
        ["pair", "merged windows", "total contact (h)", "longest gap (days)"], rows
    )


def _space_latency(run: RunFolder) -> str:
    b = bundle_stats(run)
    if b is None:
        return ""
    unit, div = time_unit(b.latency_max_s if math.isfinite(b.latency_max_s) else 0.0)
    m_unit, m_div = time_unit(b.latency_p50_s if math.isfinite(b.latency_p50_s) else 0.0)
    med = (
        f"median latency <b>{b.latency_p50_s:.1f} s</b> ({b.latency_p50_s / m_div:.4g} {m_unit})"
        if math.isfinite(b.latency_p50_s)
        else "no bundle delivered, so no latency"
    )
    head = (
        f"<p class=bundles>{b.delivered} of {b.sent} bundles delivered: delivered fraction "
        f"<b>{b.delivered_fraction:.4f}</b>; {med}.</p>"
    )
    rows = [
        [label, v, v / div]
        for label, v in (
            ("min", b.latency_min_s),
            ("p50", b.latency_p50_s),
            ("p90", b.latency_p90_s),
            ("p99", b.latency_p99_s),
            ("max", b.latency_max_s),
        )
    ]
    return head + _table(["latency (delivered bundles)", "s", unit], rows)


def _absent(run: RunFolder, blocks: dict[str, list[str]]) -> None:
    """Say why each beyond-Earth section is absent: in the section itself when the run has
    nodes beyond Earth orbit, else once in the summary (``<div id=beyond>``)."""
    titles = dict(SECTIONS)
    if run.space_nodes:
        for key in ("space_distance", "space_contacts", "space_latency"):
            why = absent_reason(run, key)
            if why is not None:
                blocks[key] = [f"<p class=absent>{_esc(titles[key])} absent: {_esc(why)}.</p>"]
        return
    why = absent_reason(run, "space_distance")
    items = [
        f"<li>{_esc(titles[key])}: absent, {_esc(why)}</li>"
        for key in ("space_distance", "space_contacts")
    ]
    lat = absent_reason(run, "space_latency")
    if lat is not None:
        items.append(f"<li>{_esc(titles['space_latency'])}: absent, {_esc(lat)}</li>")
    blocks["summary"].append(
        "<div id=beyond><h3>Beyond Earth orbit</h3><p class=absent>The sections on nodes "
        "beyond Earth orbit are absent: all of this run's nodes are in Earth orbit.</p>"
        f"<ul>{''.join(items)}</ul></div>"
    )


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _no_energy_note(a: Mapping[str, Any]) -> str:
    """Why the orbital per-kWh values are missing, when they are."""
    o = a.get("orbital")
    if not isinstance(o, dict) or _is_number(o.get("co2e_kg_per_kwh")):
        return ""
    sizing = a.get("sizing")
    per_c = sizing.get("constellations") if isinstance(sizing, dict) else None
    why = "the orbital fleet delivers no IT energy over its design life"
    avail = [
        float(c["power_availability"])
        for c in (per_c if isinstance(per_c, list) else [])
        if isinstance(c, dict) and _is_number(c.get("power_availability"))
    ]
    if avail and max(avail) == 0:
        why += (
            " (power availability 0: the run sustained no compute; see the power section: "
            "the power or thermal limits leave nothing for compute)"
        )
    return f"<p>no per-kWh orbital values: {_esc(why)}; they show as n/a.</p>"


def _assessment(run: RunFolder) -> str:
    a = run.assessment
    if a is None:
        reason = (run.metrics or {}).get("assessment_skipped")
        return f"<p>no assessment: {_esc(reason)}</p>" if isinstance(reason, str) else ""
    parts = [_no_energy_note(a)]
    o, g = a.get("orbital"), a.get("ground")
    currency_note = str(a.get("currency") or "")
    currency = currency_note.split(" ")[0] or None
    if currency_note:
        parts.append(f"<p class=currency>Costs in {_esc(currency_note)}.</p>")
    if isinstance(o, dict) and isinstance(g, dict):
        keys = [k for k in o if k in g and (_is_number(o[k]) or _is_number(g[k]))]
        rows = "".join(
            f"<tr>{_key_cell(k, label(k, currency))}"
            + "".join(_cell(float(x[k]) if _is_number(x[k]) else "n/a") for x in (o, g))
            + "</tr>"
            for k in keys
        )
        parts.append(
            f"<table><tr><th>quantity</th><th>orbital</th><th>ground</th></tr>{rows}</table>"
        )
    if isinstance(a.get("break_even"), dict):
        parts.append("<h3>Break-even</h3>" + _kv_table(_flat(a["break_even"]), currency=currency))
    if isinstance(a.get("uncertainty"), dict):
        parts.append("<h3>Uncertainty</h3>" + _kv_table(_flat(a["uncertainty"])))
    if isinstance(a.get("sizing"), dict):
        parts.append("<h3>Sizing</h3>" + _kv_table(_flat(a["sizing"]), currency=currency))
    if isinstance(a.get("assumptions"), list) and a["assumptions"]:
        items = "".join(f"<li>{_esc(x)}</li>" for x in a["assumptions"])
        parts.append(f"<h3>Assumptions</h3><ul>{items}</ul>")
    return "".join(parts)


def _utc(run: RunFolder, t_s: float) -> str:
    return (run.epoch + dt.timedelta(seconds=float(t_s))).strftime("%H:%M:%S UTC")


def _pct(share: float) -> float:
    return 100.0 * share if math.isfinite(share) else math.nan


def _reencryption_line(m: Mapping[str, Any]) -> str:
    """The re-encryption sentence of a compromise: bytes over ISLs, when done, old key."""
    if not m.get("objects_reencrypted"):
        return ""
    done, det = m.get("reencryption_done_s"), m.get("detected_s")
    when = (
        f"the last new shard landed {float(done) - float(det):,.3f} s after detection"
        if isinstance(done, int | float) and isinstance(det, int | float)
        else "not all of it could be routed within the run"
    )
    booked = "booked on the run's network" if m.get("reencryption_booked_on_network") else (
        "counted (no network)")  # fmt: skip
    refused = "refused" if m.get("old_key_refused") else "NOT refused"
    return (
        f"<p class=reencryption>Re-encryption: {format_number(m.get('objects_reencrypted'))} "
        f"objects, <b>{format_number(m.get('reencryption_bytes'))} bytes</b> of shards over "
        f"ISLs ({format_number(m.get('reencryption_link_bytes'))} over every hop), {booked}; "
        f"{when}; the old key is {refused} (destroyed in the catalog).</p>"
    )


def _threat_head(run: RunFolder, th: Threat) -> str:
    """One paragraph per threat: what happened, exposure and recovery in words."""
    m = th.metrics

    def num(k: str) -> float | None:
        v = m.get(k)
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    t_s = num("t_s") or 0.0
    if th.kind == "compromised_satellite":
        det, ttr = num("detected_s"), num("time_to_recover_s")
        when = (
            f"detected at t = {det:,.0f} s ({_esc(_utc(run, det))}), {det - t_s:,.0f} s later"
            if det is not None
            else "not detected within the run"
        )
        rec = (
            f"recovered {ttr:,.3f} s after detection (every affected object under a new key "
            "and back at full redundancy on trusted nodes)"
            if ttr is not None
            else "not recovered by the end of the run"
            if det is not None
            else "no recovery: nothing was rotated"
        )
        tenants = ", ".join(map(str, m.get("tenants_rotated") or [])) or "none"
        return (
            f"<p class=threat>Satellite <b>{_esc(th.name)}</b> compromised at t = {t_s:,.0f} s "
            f"({_esc(_utc(run, t_s))}), {when}; {rec}.</p>"
            f"<p class=exposure>Exposure: <b>{format_number(m.get('exposed_ciphertext_bytes'))}"
            f" bytes of ciphertext</b> ({format_number(m.get('shards_exposed'))} shards of "
            f"{format_number(m.get('objects_affected'))} objects) and "
            f"<b>{format_number(m.get('exposed_plaintext_bytes', 0))} bytes of plaintext</b>: "
            "every shard is an AES-256-GCM fragment and the tenant keys stay on the ground. "
            f"Keys rotated for: {_esc(tenants)}.</p>" + _reencryption_line(m)
        )
    if th.kind == "rogue_ground_station":
        dur = num("duration_s") or 0.0
        rej = rejected_attempts_s(run, th.name)
        first = (
            f"; first at {_esc(_utc(run, float(rej[0])))}, "
            f"last at {_esc(_utc(run, float(rej[-1])))}"
            if rej.size
            else ""
        )
        return (
            f"<p class=threat>Rogue ground station <b>{_esc(th.name)}</b> attempted uplinks "
            f"from t = {t_s:,.0f} s for {dur:,.0f} s: "
            f"{format_number(m.get('uplink_attempts'))} attempts, "
            f"{format_number(m.get('uplinks_rejected'))} rejected "
            f"({rej.size} <code>uplink_rejected</code> events{first})."
            + (
                " Every attempt was refused: a station without the store's credentials "
                "uplinks nothing.</p>"
                if m.get("uplinks_rejected") == m.get("uplink_attempts")
                else "</p>"
            )
        )
    if th.kind == "jamming":  # ground and user link pieces slowed (report/security.py)
        return f"<p class=threat>{_esc(jamming_line(th))}</p>"
    # a future kind (link flooding): its metrics.json entry only
    return f"<p class=threat>{_esc(th.kind)}: {_esc(th.name)}.</p>"


def _threat_phases(run: RunFolder, th: Threat) -> str:
    """Jobs and storage per phase of the threat (see :mod:`orbitcloud.report.security`)."""
    ph = phases(th, run.duration_s)
    if not ph:
        return ""
    spans = [[p.name, p.start_s / 60.0, p.end_s / 60.0] for p in ph]
    parts = []
    jobs = threat_jobs(run, ph)
    if jobs is not None:
        parts.append(
            "<h4>Jobs by phase (by submission time; ready time if not submitted)</h4>"
            + _table(
                [
                    "phase",
                    "from (min)",
                    "to (min)",
                    ("jobs", "submitted (or ready, if not submitted) in the phase"),
                    ("on time (%)", "on time / (on time + late or missed)"),
                    ("late or missed", "delivered after the deadline, or not by one in the run"),
                    ("bytes delayed", "output bytes of the late or missed jobs"),
                ],
                [
                    [*sp, r.submitted, _pct(r.on_time_share), r.late_or_missed,
                     r.late_output_bytes]
                    for sp, r in zip(spans, jobs, strict=True)
                ],
            )
        )  # fmt: skip
    store = threat_storage(run, ph)
    if store is not None:
        parts.append(
            "<h4>Storage by phase (puts by put time, gets by request time)</h4>"
            + _table(
                [
                    "phase",
                    "from (min)",
                    "to (min)",
                    "puts",
                    "refused",
                    ("durable (%)", "durable by the end / puts not refused"),
                    ("bytes not durable", "bytes put, not refused, not durable by the end"),
                    ("bytes lost", "bytes of objects put in the phase and lost by the end"),
                    ("gets in the run", "get_s within the run"),
                    ("gets served (%)", "get_ok / gets in the run"),
                ],
                [
                    [*sp, r.puts, r.refused, _pct(r.durable_share), r.not_durable_bytes,
                     r.lost_bytes, r.gets, _pct(r.served_share)]
                    for sp, r in zip(spans, store, strict=True)
                ],
            )
        )  # fmt: skip
    return "".join(parts)


def _security(run: RunFolder) -> str:
    """The security and resilience section: nothing when the run has no threats."""
    threats = run_threats(run)
    if not threats:
        return ""
    parts = []
    for th in threats:
        parts.append(f"<h3>{_esc(label(th.kind))}: {_esc(th.name)}</h3>")
        parts.append(_threat_head(run, th))
        parts.append(_threat_phases(run, th))
        parts.append(
            "<h4>metrics.json <code>security</code> entry</h4>"
            + _kv_table(
                (k, ", ".join(map(str, v)) if isinstance(v, list) else v)
                for k, v in th.metrics.items()
                if k != "kind"
            )
        )
    return "".join(parts)


def _scene(scene: SceneSummary | None) -> str:
    if scene is None:
        return ""
    thinned = (
        f"every {scene.sample_stride}th position sample"
        if scene.sample_stride > 1
        else "every position sample"
    )
    return (
        "<p><code>scene.czml</code> holds the run for CesiumJS: "
        f"{scene.satellites} satellites ({thinned}, {scene.samples_per_satellite} per "
        f"satellite, up to t = {scene.t_end_s / 3600:.2f} h), {scene.stations} ground stations "
        f"and {scene.links} link lines (of {scene.links_isl_total} ISL and "
        f"{scene.links_ground_total} ground pairs). Open it offline with "
        "<code>orbitcloud view RUN_DIR</code>.</p>"
        + (
            f"<p class=left-out>Left out of the scene: {len(scene.left_out)} node(s) beyond "
            f"{MAX_SCENE_RADIUS_KM:,.0f} km from the Earth's centre "
            f"({_esc(', '.join(scene.left_out[:20]))}{', …' if len(scene.left_out) > 20 else ''}"
            "), and their link lines: at 10⁴ Earth radii and more they are far outside a "
            "useful globe view; see the distance and light-time section instead.</p>"
            if scene.left_out
            else ""
        )
    )


def render_report(
    run: RunFolder,
    figures: Mapping[str, Path],
    scene: SceneSummary | None = None,
    skipped: Mapping[str, str] | None = None,
) -> str:
    """The report page as HTML text; ``figures`` maps figure keys to their PNG files and
    ``skipped`` figure keys to why they could not be drawn (shown in their section)."""
    m = run.metrics or {}
    blocks: dict[str, list[str]] = {key: [] for key, _ in SECTIONS}
    blocks["summary"].append(_summary(run))
    for spec in FIGURES:
        if spec.key in figures:
            blocks[spec.section].append(_figure(figures[spec.key], spec.caption))
        elif skipped and spec.key in skipped:
            blocks[spec.section].append(
                f"<p>figure {_esc(spec.key)} not drawn: {_esc(skipped[spec.key])}</p>"
            )
    blocks["coverage"].append(_coverage_table(run))
    blocks["coverage"].append(_weather_table(m.get("weather")))
    blocks["contacts"].append(_contacts_table(run))
    blocks["routes"].append(_routes_table(run))
    blocks["space_distance"].append(_space_distance(run))
    blocks["space_contacts"].append(_space_contacts(run))
    blocks["space_latency"].append(_space_latency(run))
    _absent(run, blocks)
    for key in ("power", "compute", "storage", "restore"):
        if isinstance(m.get(key), dict):
            section = "storage" if key == "restore" else key
            blocks[section].append(
                f"<h3>{_esc(key.capitalize())} (metrics.json <code>{_esc(key)}</code>)</h3>"
                + _kv_table(_flat(m[key]))
            )
    blocks["users"].append(users_section(run))
    blocks["security"].append(_security(run))
    blocks["assessment"].append(_assessment(run))
    blocks["roadmap"].append(roadmap_html(run))
    blocks["scene"].append(_scene(scene))
    files = sorted(p.name for p in run.path.iterdir() if p.is_file() or p.is_dir())
    blocks["files"].append(
        "<ul>" + "".join(f"<li><code>{_esc(f)}</code></li>" for f in files) + "</ul>"
    )
    shown = [(k, t) for k, t in SECTIONS if any(b.strip() for b in blocks[k])]
    nav = "".join(f'<a href="#{k}">{_esc(t)}</a>' for k, t in shown)
    body = "".join(
        f'<section id="{k}"><h2>{_esc(t)}</h2>{"".join(blocks[k])}</section>' for k, t in shown
    )
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>orbitcloud report: {_esc(run.name)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>orbitcloud report: {_esc(run.name)}</h1>"
        f"<p>run folder <code>{_esc(run.path.name)}</code>, created "
        f"{_esc(run.manifest.get('created_utc', ''))}</p></header>"
        f"<nav>{nav}</nav><main>{body}</main></body></html>\n"
    )
