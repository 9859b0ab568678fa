"""The ``roadmap`` block of ``assessment.json``: the yearly table at the central values, the
business case (NPV, IRR, discounted payback), the launcher condition for every launcher,
boundary, accounting and grid choice, a tornado of the launcher condition and the correlated
Monte Carlo band (:func:`~orbitcloud.assess.sensitivity.correlated_draws`); and the Arrow form
of the table (``roadmap.parquet``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from orbitcloud.assess.carbon import LAUNCH_BOUNDARIES, LAUNCHERS, launch_ef_parameter
from orbitcloud.assess.finance import discounted_payback_yr, irr, npv
from orbitcloud.assess.fleet import Fleet
from orbitcloud.assess.model import Options, evaluate
from orbitcloud.assess.roadmap import Plan, launcher_condition, roadmap
from orbitcloud.assess.sensitivity import (
    CORRELATIONS,
    TornadoBar,
    correlated_draws,
    tornado_of,
)
from orbitcloud.scenario.parameters import ParameterSet

__all__ = ["ACCOUNTINGS", "ROADMAP_COLUMNS", "LauncherCondition", "assess_roadmap", "roadmap_arrow"]

F64 = NDArray[np.float64]

ACCOUNTINGS = ("cumulative", "attributed")
#: Largest cohort array (years x years x draws) one Monte Carlo chunk builds [cells].
MAX_CELLS = 2_000_000

#: The yearly table: (key in :func:`~orbitcloud.assess.roadmap.roadmap`, meaning). ``year`` is
#: an integer column, the others float64 (roadmap.parquet's schema in orbitcloud.run.tables).
ROADMAP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("year", "calendar year"),
    ("target_mw", "target nameplate IT capacity in orbit [MW]"),
    ("modules_launched", "modules launched (new and replacements)"),
    ("modules_retired", "modules retired at the end of their design life"),
    ("modules_in_service", "modules in service (nameplate, failed ones included)"),
    ("launches", "launches (modules and servicing)"),
    ("launch_mass_kg", "mass launched [kg]"),
    ("it_mw_nameplate", "nameplate IT power in service [MW]"),
    ("it_mw_delivered", "mean busy IT power delivered [MW]: energy / (8766 h x utilisation)"),
    ("energy_kwh", "IT energy served [kWh]"),
    ("storage_tb_months", "storage served [TB-months]"),
    ("launch_ef_kgco2e_per_kg", "launch emission factor that year [kgCO2e/kg]"),
    ("launch_price_usd_per_kg", "launch price that year [USD/kg]"),
    ("grid_kgco2e_per_kwh", "ground grid intensity that year [kgCO2e/kWh]"),
    ("ground_pue", "ground data-centre PUE that year"),
    ("orbit_launch_co2e_kg", "orbital CO2e of launches [kg]"),
    ("orbit_co2e_kg", "orbital CO2e [kg]"),
    ("ground_co2e_kg", "ground CO2e for the same IT energy [kg]"),
    ("cumulative_orbit_co2e_kg", "orbital CO2e since the first year [kg]"),
    ("cumulative_ground_co2e_kg", "ground CO2e since the first year [kg]"),
    ("orbit_water_l", "orbital water [L]"),
    ("ground_water_l", "ground water [L]"),
    ("cumulative_orbit_water_l", "orbital water since the first year [L]"),
    ("cumulative_ground_water_l", "ground water since the first year [L]"),
    ("capex_usd", "orbital capital spending [USD]"),
    ("opex_usd", "orbital operating spending [USD]"),
    ("revenue_usd", "revenue from compute and storage [USD]"),
    ("net_cash_flow_usd", "revenue - capex - opex [USD]"),
    ("discounted_cash_flow_usd", "net cash flow discounted to the first year [USD]"),
    ("cumulative_discounted_cash_flow_usd", "NPV to date [USD]"),
    ("ground_cost_usd", "cost of the ground option for the same IT energy [USD]"),
)


@dataclass(frozen=True)
class LauncherCondition:
    """One answer to "how much less emissive than ``launcher`` must a launcher be"."""

    launcher: str
    boundary: str
    accounting: str
    grid: str
    launcher_ef: float
    factor: float
    required_ef: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "launcher": self.launcher,
            "boundary": self.boundary,
            "accounting": self.accounting,
            "grid": self.grid,
            "launcher_ef_kgco2e_per_kg": self.launcher_ef,
            "factor": self.factor if np.isfinite(self.factor) else None,
            "required_ef_kgco2e_per_kg": self.required_ef if np.isfinite(self.factor) else None,
            "achievable": bool(np.isfinite(self.factor)),
        }


def _central(params: ParameterSet, n: int = 1) -> dict[str, F64]:
    return {k: np.full(n, p.value) for k, p in params.items()}


def _with(plan: Plan, **kw: Any) -> Plan:
    from dataclasses import replace

    return replace(plan, **kw)


def conditions(
    fleet: Fleet, params: ParameterSet, plan: Plan, grids: list[str]
) -> list[LauncherCondition]:
    """The launcher condition for every launcher x boundary x accounting x grid."""
    p = _central(params)
    rows = []
    for grid in grids:
        for accounting in ACCOUNTINGS:
            pl = _with(plan, grid_country=grid, accounting=accounting)
            for boundary in LAUNCH_BOUNDARIES:
                for launcher in LAUNCHERS:
                    c = launcher_condition(fleet, p, pl, launcher, boundary)
                    rows.append(
                        LauncherCondition(
                            launcher,
                            boundary,
                            accounting,
                            grid,
                            float(c["launcher_ef"][0]),
                            float(c["factor"][0]),
                            float(c["required_ef"][0]),
                        )
                    )
    return rows


def _percentiles(x: F64) -> dict[str, float | None]:
    """P5, P50, P95 of ``x``; a percentile that reaches an infinite value (no launcher
    suffices in that share of the draws) is None."""
    big = 1e300
    q = np.percentile(np.where(np.isfinite(x), x, big), [5, 50, 95])
    return {
        k: float(v) if v < 1e299 else None for k, v in zip(("p05", "p50", "p95"), q, strict=True)
    }


def _bar(b: TornadoBar) -> dict[str, Any]:
    def fin(v: float) -> float | None:
        return v if np.isfinite(v) else None

    return {
        "parameter": b.parameter,
        "unit": b.unit,
        "low": b.low,
        "high": b.high,
        "metric": b.metric,
        "metric_at_low": fin(b.metric_at_low),
        "metric_at_high": fin(b.metric_at_high),
    }


def assess_roadmap(
    fleet: Fleet,
    params: ParameterSet,
    plan: Plan,
    *,
    held_grid: str,
    trials: int,
    seed: int,
    fleet_sources: Mapping[str, str],
) -> dict[str, Any]:
    """The ``roadmap`` block of ``assessment.json`` (module docstring). ``held_grid`` is the
    ``COUNTRY:YEAR`` the launcher condition also reports with the grid held constant."""
    p = _central(params)
    r = roadmap(fleet, p, plan)
    table = []
    for i in range(len(plan.years)):
        row: dict[str, Any] = {k: float(r[k][i, 0]) for k, _ in ROADMAP_COLUMNS}
        row["year"] = int(plan.years[i])
        table.append(row)
    rate = p["finance.discount_rate"]
    cf = r["net_cash_flow_usd"]
    npv_c = float(npv(rate, cf)[0])
    irr_c = float(irr(cf)[0])
    payback = float(discounted_payback_yr(rate, cf)[0])
    orbit_end = float(r["cumulative_orbit_co2e_kg"][-1, 0])
    ground_end = float(r["cumulative_ground_co2e_kg"][-1, 0])
    lower = r["cumulative_orbit_co2e_kg"][:, 0] < r["cumulative_ground_co2e_kg"][:, 0]
    lower &= r["energy_kwh"][:, 0] > 0

    x = plan.launcher_by_year()[0]
    grids = [plan.grid_country] + ([held_grid] if held_grid != plan.grid_country else [])
    rows = conditions(fleet, params, plan, grids)
    main = next(
        c
        for c in rows
        if c.launcher == x
        and c.boundary == plan.boundary
        and c.accounting == plan.accounting
        and c.grid == plan.grid_country
    )
    near_ten = [c.as_dict() for c in rows if np.isfinite(c.factor) and 8.0 <= c.factor <= 12.5]
    static = []  # the static model's break-even on the held grid, for comparison
    grid_name = f"grid.{held_grid.replace(':', '.')}.gco2e_per_kwh"
    for boundary in LAUNCH_BOUNDARIES:
        for launcher in LAUNCHERS:
            opt = Options(launcher, boundary, grid_name, use_scenario_mass=plan.use_scenario_mass)
            ev = evaluate(fleet, p, opt)
            be = float(ev["break_even_launch_ef"][0])
            ef_x = float(ev["launch_ef_kgco2e_per_kg"][0])
            static.append(
                {
                    "launcher": launcher,
                    "boundary": boundary,
                    "grid": held_grid,
                    "launcher_ef_kgco2e_per_kg": ef_x,
                    "break_even_kgco2e_per_kg": be,
                    "factor": ef_x / be if be > 0 else None,
                }
            )

    # the tornado needs a finite centre: with no launcher sufficing on the plan's grid, it is
    # drawn with the grid held at ``held_grid`` (and says so)
    t_plan = plan if np.isfinite(main.factor) else _with(plan, grid_country=held_grid)

    def factor_of(values: dict[str, F64]) -> F64:
        return launcher_condition(fleet, values, t_plan, x, plan.boundary)["factor"]

    bars = tornado_of(factor_of, params, "launcher_condition_factor")
    draws = correlated_draws(params, trials, seed)
    # the cohort arrays are [n_years, n_years, n]: evaluate the draws in chunks of at most
    # MAX_CELLS cells so a long roadmap with many trials stays within memory
    chunk = max(1, MAX_CELLS // len(plan.years) ** 2)
    lc_parts, npv_parts, lower_parts = [], [], []
    for lo in range(0, trials, chunk):
        d = {k: v[lo : lo + chunk] for k, v in draws.items()}
        rd = roadmap(fleet, d, plan)
        lc_parts.append(launcher_condition(fleet, d, plan, x, plan.boundary)["factor"])
        npv_parts.append(npv(d["finance.discount_rate"], rd["net_cash_flow_usd"]))
        lower_parts.append(rd["cumulative_orbit_co2e_kg"][-1] < rd["cumulative_ground_co2e_kg"][-1])
    lc, npv_d = np.concatenate(lc_parts), np.concatenate(npv_parts)
    lower_d = np.concatenate(lower_parts)
    years = [int(y) for y in plan.years]
    return {
        "plan": {
            "start_year": plan.start_year,
            "end_year": plan.end_year,
            "capacity_mw": {str(k): v for k, v in sorted(plan.capacity_mw.items())},
            "launchers": {str(y): v for y, v in sorted(plan.launchers.items())},
            "launch_boundary": plan.boundary,
            "grid": plan.grid_country,
            "accounting": plan.accounting,
            "max_launches_per_year": plan.max_launches_per_year,
        },
        "table": table,
        "finance": {
            "discount_rate": float(rate[0]),
            "npv_usd": npv_c,
            "irr": irr_c if np.isfinite(irr_c) else None,
            "discounted_payback_years": payback if np.isfinite(payback) else None,
            "capex_total_usd": float(r["capex_usd"].sum()),
            "opex_total_usd": float(r["opex_usd"].sum()),
            "revenue_total_usd": float(r["revenue_usd"].sum()),
            "cash_flow_first_row_year": years[0],
        },
        "carbon": {
            "cumulative_orbit_co2e_kg": orbit_end,
            "cumulative_ground_co2e_kg": ground_end,
            "orbit_lower_by_end": orbit_end < ground_end,
            "first_year_orbit_lower": next(
                (y for y, b in zip(years, lower, strict=True) if b), None
            ),
            "cumulative_orbit_water_l": float(r["cumulative_orbit_water_l"][-1, 0]),
            "cumulative_ground_water_l": float(r["cumulative_ground_water_l"][-1, 0]),
        },
        "launcher_condition": {
            "question": f"how many times less emissive than {x} must the launcher be, in every "
            f"year, for the roadmap's cumulative CO2e by {plan.end_year} to be no more than the "
            "ground's",
            "launcher": x,
            "factor": main.as_dict()["factor"],
            "required_ef_kgco2e_per_kg": main.as_dict()["required_ef_kgco2e_per_kg"],
            "rows": [c.as_dict() for c in rows],
            "about_ten_times": near_ten,
            "static_model": static,
            "achievable_range": _range([c.factor for c in rows]),
        },
        "sensitivity": [_bar(b) for b in bars],
        "sensitivity_grid": t_plan.grid_country,
        "sensitivity_centre": float(factor_of(_central(params))[0]),
        "uncertainty": {
            "trials": trials,
            "seed": seed,
            "probability_orbit_lower_by_end": float(lower_d.mean()),
            "npv_usd": _percentiles(npv_d),
            "probability_npv_positive": float((npv_d > 0).mean()),
            "launcher_condition_factor": _percentiles(lc),
            "probability_no_launcher_suffices": float((~np.isfinite(lc)).mean()),
            "correlations": [
                {"parameters": pat, "correlation": rho, "why": why}
                for pat, rho, why in CORRELATIONS
            ],
        },
        "inputs": dict(fleet_sources),
        "assumptions": _assumptions(plan, x, held_grid),
    }


def _range(factors: list[float]) -> dict[str, float | None]:
    f = [v for v in factors if np.isfinite(v)]
    return {"min": min(f) if f else None, "max": max(f) if f else None}


def _assumptions(plan: Plan, launcher: str, held_grid: str) -> list[str]:
    ef = launch_ef_parameter(launcher, plan.boundary)
    return [
        f"build-out {plan.start_year}-{plan.end_year} to the capacity milestones "
        f"{dict(sorted(plan.capacity_mw.items()))} MW (linear between), one module = the "
        "scenario's mean module; retiring cohorts are replaced, a cadence shortfall carries over",
        f"launcher condition relative to {launcher} ({ef}), the same factor applied in every "
        "year; rows for every launcher, boundary, accounting and grid",
        f"ground grid {plan.grid_country}"
        + (" (trajectory to 2050, linear between the parameter file's years)"
           if ":" not in plan.grid_country else " (held constant)")
        + f"; the condition is also given with {held_grid} held constant",
        "ground PUE linear from ground.pue (2023) to ground.pue_2050",
        f"{plan.accounting} accounting (cumulative: one-off emissions when they happen; "
        "attributed: spread over each cohort's lifetime energy)",
        "IT hardware fails at it.annual_failure_rate and modules at "
        "ops.annual_failure_probability (exponential); in orbit nothing is repaired, on the "
        "ground failed IT is replaced (cost and embodied carbon)",
        "cash flows in real USD, the first year undiscounted; revenue = IT energy x "
        "revenue.compute_usd_per_kwh + TB-months x revenue.storage_usd_per_tb_month; no tax, "
        "financing or residual value",
        "Monte Carlo: triangular(low, value, high) margins through a Gaussian copula with the "
        "correlations listed (assumed)",
    ]  # fmt: skip


def roadmap_arrow(table: list[Mapping[str, Any]]) -> pa.Table:
    """The yearly table as Arrow (roadmap.parquet before :func:`~orbitcloud.run.tables.conform`)."""
    cols: dict[str, pa.Array] = {}
    for key, _ in ROADMAP_COLUMNS:
        vals = [row.get(key) for row in table]
        if key == "year":
            cols[key] = pa.array([int(v or 0) for v in vals], pa.int32())
        else:
            cols[key] = pa.array(
                [float("nan") if v is None else float(v) for v in vals], pa.float64()
            )
    return pa.table(cols)
