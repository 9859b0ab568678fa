"""The report's "Roadmap and business case" section: the ``roadmap`` block of
``assessment.json`` (orbitcloud.assess.roadmap_report) as tables and four figures (build-out,
cumulative CO2e orbit vs ground, discounted cash flow, tornado of the launcher condition)."""

from __future__ import annotations

import html
import textwrap
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from orbitcloud.report.folder import RunFolder

__all__ = [
    "fig_roadmap_buildout",
    "fig_roadmap_cash",
    "fig_roadmap_co2e",
    "fig_roadmap_tornado",
    "roadmap_html",
]

LABEL_CHARS = 48


def _roadmap(run: RunFolder) -> dict[str, Any] | None:
    a = run.assessment or {}
    r = a.get("roadmap")
    return r if isinstance(r, dict) and isinstance(r.get("table"), list) and r["table"] else None


def _col(r: dict[str, Any], key: str) -> np.ndarray:
    return np.array(
        [np.nan if row.get(key) is None else float(row[key]) for row in r["table"]], dtype=float
    )


def fig_roadmap_buildout(run: RunFolder) -> Figure | None:
    """IT capacity in orbit against the target, and modules and launches per year."""
    r = _roadmap(run)
    if r is None:
        return None
    years = _col(r, "year")
    fig = Figure(figsize=(9, 5.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(years, _col(r, "target_mw"), "k--", lw=1, label="target (nameplate)", zorder=3)
    top.plot(years, _col(r, "it_mw_nameplate"), color="#7b3fbf", label="nameplate in service")
    top.plot(years, _col(r, "it_mw_delivered"), color="#3a7dc9", label="delivered (busy, mean)")
    top.set_ylabel("IT power [MW]")
    top.legend(fontsize=8, loc="upper left")
    width = 0.4
    bottom.bar(years - width / 2, _col(r, "modules_launched"), width, color="#7b3fbf",
               label="modules launched")  # fmt: skip
    bottom.bar(years + width / 2, _col(r, "launches"), width, color="#c9653a", label="launches")
    bottom.set_ylabel("per year")
    bottom.set_xlabel("year")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole years
    bottom.legend(fontsize=8, loc="upper left")
    fig.suptitle("Build-out of the orbital data centre")
    return fig


def fig_roadmap_co2e(run: RunFolder) -> Figure | None:
    """Cumulative CO2e of the roadmap, orbit against the ground for the same IT energy."""
    r = _roadmap(run)
    if r is None:
        return None
    years = _col(r, "year")
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(years, _col(r, "cumulative_orbit_co2e_kg") / 1e9, color="#7b3fbf", label="orbit")
    ax.plot(years, _col(r, "cumulative_ground_co2e_kg") / 1e9, color="#3a9a4a", label="ground")
    ax.set_ylabel("cumulative CO2e [Mt]")
    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole years
    ax.legend(fontsize=8, loc="upper left")
    plan = r.get("plan") or {}
    fig.suptitle(
        f"Cumulative CO2e, orbit vs ground (grid {plan.get('grid')}, "
        f"{plan.get('accounting')} accounting)"
    )
    return fig


def fig_roadmap_cash(run: RunFolder) -> Figure | None:
    """Net cash flow by year and the cumulative discounted cash flow (the NPV to date)."""
    r = _roadmap(run)
    if r is None:
        return None
    years = _col(r, "year")
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(years, _col(r, "net_cash_flow_usd") / 1e9, color="#c9653a", alpha=0.6,
           label="net cash flow")  # fmt: skip
    ax.plot(years, _col(r, "cumulative_discounted_cash_flow_usd") / 1e9, color="k",
            label="cumulative discounted (NPV to date)")  # fmt: skip
    ax.axhline(0.0, color="grey", lw=0.6)
    ax.set_ylabel("billion USD")
    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole years
    ax.legend(fontsize=8, loc="lower left")
    fin = r.get("finance") or {}
    rate = fin.get("discount_rate")
    fig.suptitle(
        "Business case: cash flow"
        + (f" at a {100 * float(rate):.0f} % discount rate" if rate is not None else "")
    )
    return fig


def fig_roadmap_tornado(run: RunFolder) -> Figure | None:
    """One-at-a-time sensitivity of the launcher condition ``k`` (finite bars only)."""
    r = _roadmap(run)
    if r is None:
        return None
    bars = [
        b
        for b in (r.get("sensitivity") or [])
        if isinstance(b, dict)
        and b.get("metric_at_low") is not None
        and b.get("metric_at_high") is not None
    ][:12]
    if not bars:
        return None
    low = np.array([float(b["metric_at_low"]) for b in bars])
    high = np.array([float(b["metric_at_high"]) for b in bars])
    c = r.get("sensitivity_centre")
    centre = float(c) if isinstance(c, int | float) else float(np.median((low + high) / 2))
    labels = [
        textwrap.fill(
            f"{b['parameter']} ({b.get('low', '')}–{b.get('high', '')} {b.get('unit', '')})",
            LABEL_CHARS,
            subsequent_indent="  ",
        )
        for b in bars
    ]
    lines = sum(1 + lab.count("\n") for lab in labels)
    fig = Figure(figsize=(9, 0.2 * lines + 0.25 * len(bars) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(bars))
    ax.barh(y, low - centre, left=centre, color="#3a7dc9", label="parameter at low")
    ax.barh(y, high - centre, left=centre, color="#c9653a", label="parameter at high")
    ax.axvline(centre, color="k", lw=0.8)
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("launcher condition k (times less emissive)")
    ax.legend(fontsize=8, loc="best")
    fig.suptitle(f"Launcher condition: sensitivity (grid {r.get('sensitivity_grid')})")
    return fig


def _esc(x: object) -> str:
    return html.escape(str(x))


def _fmt(v: object, spec: str = ".3g") -> str:
    if v is None:
        return "none"
    if isinstance(v, bool) or not isinstance(v, int | float):
        return _esc(v)
    return format(v, spec)


def roadmap_html(run: RunFolder) -> str:
    """The section's text and tables ('' without a roadmap)."""
    r = _roadmap(run)
    if r is None:
        return ""
    plan, fin, c = r.get("plan") or {}, r.get("finance") or {}, r.get("carbon") or {}
    lc, u = r.get("launcher_condition") or {}, r.get("uncertainty") or {}
    last = r["table"][-1]
    parts = [
        f"<p>Build-out {plan.get('start_year')}–{plan.get('end_year')} to "
        f"{_esc(plan.get('capacity_mw'))} MW: {_fmt(last.get('modules_in_service'), '.0f')} "
        f"modules and {_fmt(last.get('it_mw_nameplate'), '.0f')} MW in service in "
        f"{plan.get('end_year')}. Cumulative CO2e by then: orbit "
        f"{_fmt((c.get('cumulative_orbit_co2e_kg') or 0) / 1e9)} Mt, ground "
        f"{_fmt((c.get('cumulative_ground_co2e_kg') or 0) / 1e9)} Mt (grid "
        f"{_esc(plan.get('grid'))}, {_esc(plan.get('accounting'))} accounting). NPV at "
        f"{_fmt(100 * (fin.get('discount_rate') or 0), '.0f')} %: "
        f"{_fmt((fin.get('npv_usd') or 0) / 1e9)} bn USD; IRR {_fmt(fin.get('irr'))}; "
        f"discounted payback {_fmt(fin.get('discounted_payback_years'))} years.</p>",
        f"<p><b>Launcher condition</b>: {_esc(lc.get('question'))}: "
        + (
            f"<b>{_fmt(lc.get('factor'))}x</b> (at most "
            f"{_fmt(lc.get('required_ef_kgco2e_per_kg'), '.0f')} kgCO2e/kg)"
            if lc.get("factor") is not None
            else "<b>no launcher suffices</b> (the orbit emits more than the ground even with "
            "launches at 0 kgCO2e/kg)"
        )
        + ".</p>",
    ]
    rows = "".join(
        f"<tr><td>{_esc(x['grid'])}</td><td>{_esc(x['accounting'])}</td>"
        f"<td>{_esc(x['boundary'])}</td><td>{_esc(x['launcher'])}</td>"
        f"<td class=n>{_fmt(x['launcher_ef_kgco2e_per_kg'], '.0f')}</td>"
        f"<td class=n>{_fmt(x['factor'], '.2f')}</td></tr>"
        for x in lc.get("rows") or []
    )
    parts.append(
        "<table><tr><th>grid</th><th>accounting</th><th>boundary</th><th>launcher</th>"
        f"<th>EF [kgCO2e/kg]</th><th>factor k</th></tr>{rows}</table>"
    )
    ten = lc.get("about_ten_times") or []
    if ten:
        items = "".join(
            f"<li>{_esc(x['launcher'])} at {_esc(x['boundary'])}, {_esc(x['accounting'])} "
            f"accounting, grid {_esc(x['grid'])}: {_fmt(x['factor'], '.1f')}x</li>"
            for x in ten
        )
        parts.append(f"<p>ASCEND's 'about 10x' (8–12.5x) holds for:</p><ul>{items}</ul>")
    npv_q = u.get("npv_usd") or {}
    parts.append(
        f"<p>Monte Carlo ({_fmt(u.get('trials'), 'd')} trials, seed {_esc(u.get('seed'))}, "
        f"correlated): P(orbit lower by {plan.get('end_year')}) = "
        f"{_fmt(u.get('probability_orbit_lower_by_end'), '.1%')}; P(no launcher suffices) = "
        f"{_fmt(u.get('probability_no_launcher_suffices'), '.1%')}; NPV P5/P50/P95 "
        + "/".join(_fmt((npv_q.get(k) or 0) / 1e9) for k in ("p05", "p50", "p95"))
        + " bn USD; P(NPV > 0) = "
        f"{_fmt(u.get('probability_npv_positive'), '.1%')}.</p>"
    )
    corr = "".join(
        f"<li><code>{_esc(x['parameters'])}</code> ρ = {_fmt(x['correlation'])}: "
        f"{_esc(x['why'])}</li>"
        for x in u.get("correlations") or []
    )
    if corr:
        parts.append(f"<h3>Correlations (assumed)</h3><ul>{corr}</ul>")
    items = "".join(f"<li>{_esc(x)}</li>" for x in r.get("assumptions") or [])
    items += "".join(f"<li>{_esc(k)}: {_esc(v)}</li>" for k, v in (r.get("inputs") or {}).items())
    parts.append(f"<h3>Assumptions</h3><ul>{items}</ul>")
    return "".join(parts)
