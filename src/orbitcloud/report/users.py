"""The report's user-terminal section: one row per user of ``users.parquet`` (written by
``orbitcloud run`` for a scenario with a ``users:`` section, :mod:`orbitcloud.network.users`).

Shows each user's kind and policy, availability (fraction of the run with a link carrying
data), handovers, links, the demand offered and delivered, and the mean and 95th-percentile
latency of the delivered demand (send to arrival at its station, store and forward), and the
share of the run each of its terminal's constellations served it."""

from __future__ import annotations

import html
import math

import pyarrow.parquet as pq

from orbitcloud.report.folder import RunFolder
from orbitcloud.report.labels import format_number

__all__ = ["USERS_FILE", "users_section"]

USERS_FILE = "users.parquet"

_COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "user"),
    ("kind", "kind"),
    ("policy", "policy"),
    ("availability", "availability [%]"),
    ("handovers", "handovers"),
    ("links", "links"),
    ("offered_bytes", "offered [bytes]"),
    ("delivered_bytes", "delivered [bytes]"),
    ("latency_mean_s", "mean latency [s]"),
    ("latency_p95_s", "p95 latency [s]"),
    ("constellation_share", "served by [% of the run]"),
)


def _cell(v: object) -> str:
    text = html.escape(format_number(v))
    if isinstance(v, float) and math.isfinite(v):
        return f'<td class=n title="{v!r}">{text}</td>'
    if isinstance(v, int | float) and not isinstance(v, bool):
        return f"<td class=n>{text}</td>"
    return f"<td>{text}</td>"


def users_section(run: RunFolder) -> str:
    """The section's HTML; empty when the run folder has no ``users.parquet``."""
    if not run.has(USERS_FILE):
        return ""
    t = pq.read_table(run.path / USERS_FILE)
    cols = {k: t.column(k).to_pylist() for k, _ in _COLUMNS if k in t.column_names}
    cols["constellation_share"] = [
        ", ".join(f"{c} {100.0 * f:.1f}" for c, f in (row or [])) or None
        for row in cols.get("constellation_share", [None] * t.num_rows)
    ]
    if "availability" in cols:
        cols["availability"] = [None if a is None else 100.0 * a for a in cols["availability"]]
    head = "".join(f'<th title="{html.escape(k)}">{html.escape(h)}</th>' for k, h in _COLUMNS)
    body = "".join(
        "<tr>" + "".join(_cell(cols[k][i]) for k, _ in _COLUMNS) + "</tr>"
        for i in range(t.num_rows)
    )
    note = (
        "<p>Availability: fraction of the run with a link to a satellite carrying data "
        "(step resolution, after each handover's dead time). Latency: send to arrival at the "
        "user's station over the run's network (store and forward), of the delivered demand; "
        "– where nothing was delivered.</p>"
    )
    return f"{note}<table><tr>{head}</tr>{body}</table>"
