"""The assessment of a scenario as one frozen record: JSON form (``assessment.json``) and
table rows for the CLI."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orbitcloud.assess.carbon import LAUNCH_BOUNDARIES, LAUNCHERS, launch_ef_parameter
from orbitcloud.assess.cost import CURRENCY, launch_price_parameter
from orbitcloud.assess.fleet import Fleet, fleet_of
from orbitcloud.assess.model import Options, evaluate
from orbitcloud.assess.roadmap import Plan
from orbitcloud.assess.roadmap_report import assess_roadmap
from orbitcloud.assess.sensitivity import TornadoBar, tornado, uncertainty_band
from orbitcloud.assess.sizing import module_masses, sized_hardware
from orbitcloud.scenario.models import Scenario
from orbitcloud.scenario.parameters import ParameterSet, load_parameters, parse_grid
from orbitcloud.tables import html_table, summary_html

__all__ = ["Assessment", "assess_scenario"]

F64 = NDArray[np.float64]

_OPTION_METRICS = (
    ("co2e_kg_per_kwh", "co2e_kg_per_kwh"),
    ("water_l_per_kwh", "water_l_per_kwh"),
    ("cost_per_kwh", "cost_usd_per_kwh"),
    ("co2e_kg_per_tb_year", "co2e_kg_per_tb_year"),
    ("water_l_per_tb_year", "water_l_per_tb_year"),
    ("cost_per_tb_year", "cost_usd_per_tb_year"),
)


def _json(x: Any) -> Any:
    """Plain JSON values: numpy scalars to float, non-finite floats to None."""
    if isinstance(x, Mapping):
        return {str(k): _json(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


@dataclass(frozen=True)
class Assessment:
    """Orbital against ground: lifecycle CO2e, water and cost per kWh of IT energy and per
    TB-year; break-even points; sizing; tornado; uncertainty band; assumptions."""

    scenario: str
    options: dict[str, Any]
    currency: str
    orbital: dict[str, float]
    ground: dict[str, float]
    break_even: dict[str, Any]
    sizing: dict[str, Any]
    sensitivity: tuple[TornadoBar, ...]
    uncertainty: dict[str, Any]
    assumptions: tuple[str, ...]
    parameters: tuple[dict[str, Any], ...] = field(repr=False, default=())
    roadmap: dict[str, Any] | None = field(repr=False, default=None)

    def __repr__(self) -> str:
        o, g = self.orbital, self.ground
        return (
            f"Assessment({self.scenario!r}: {o['co2e_kg_per_kwh']:.3f} kgCO2e/kWh in orbit vs "
            f"{g['co2e_kg_per_kwh']:.3f} on the ground)"
        )

    def _repr_html_(self) -> str:
        """Notebook view: the options, the break-even points, the uncertainty band and the
        orbital-against-ground comparison table (:meth:`rows`)."""
        be, u = self.break_even, self.uncertainty
        items: list[tuple[str, object]] = [
            ("scenario", self.scenario),
            ("launcher", f"{self.options.get('launcher')} ({self.options.get('launch_boundary')})"),
            ("grid", self.options.get("grid")),
            ("break-even launcher", f"{be['launcher_kgco2e_per_kg']:.4g} kgCO2e/kg"),
            ("orbit can win on CO2e", be["orbit_can_win_co2e"]),
            ("carbon payback", f"{be['carbon_payback_years']:.3g} years"),
            (
                f"orbital {u['metric']}",
                f"p05 {u['p05']:.3f}, p50 {u['p50']:.3f}, p95 {u['p95']:.3f} "
                f"({u['trials']} trials)",
            ),
        ]
        table = html_table(["quantity", "unit", "orbital", "ground"], self.rows())
        return summary_html("Assessment", items, table)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content of ``assessment.json`` (non-finite numbers become null)."""
        return _json(
            {
                "scenario": self.scenario,
                "options": self.options,
                "currency": self.currency,
                "orbital": self.orbital,
                "ground": self.ground,
                "break_even": self.break_even,
                "sizing": self.sizing,
                "sensitivity": [
                    {
                        "parameter": b.parameter,
                        "unit": b.unit,
                        "low": b.low,
                        "high": b.high,
                        "metric": b.metric,
                        "metric_at_low": b.metric_at_low,
                        "metric_at_high": b.metric_at_high,
                    }
                    for b in self.sensitivity
                ],
                "uncertainty": self.uncertainty,
                "assumptions": list(self.assumptions),
                "parameters": list(self.parameters),
            }
            | ({"roadmap": self.roadmap} if self.roadmap is not None else {})
        )

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(quantity, unit, orbital, ground) rows of the comparison table, formatted."""
        o, g = self.orbital, self.ground
        return [
            ("CO2e per kWh of IT energy", "kgCO2e/kWh", f"{o['co2e_kg_per_kwh']:.3f}",
             f"{g['co2e_kg_per_kwh']:.3f}"),
            ("water per kWh", "L/kWh", f"{o['water_l_per_kwh']:.2f}",
             f"{g['water_l_per_kwh']:.2f}"),
            ("cost per kWh", "USD/kWh", f"{o['cost_per_kwh']:.3f}", f"{g['cost_per_kwh']:.3f}"),
            ("CO2e per TB-year stored", "kgCO2e/TB-yr", f"{o['co2e_kg_per_tb_year']:.1f}",
             f"{g['co2e_kg_per_tb_year']:.1f}"),
            ("water per TB-year", "L/TB-yr", f"{o['water_l_per_tb_year']:.1f}",
             f"{g['water_l_per_tb_year']:.1f}"),
            ("cost per TB-year", "USD/TB-yr", f"{o['cost_per_tb_year']:.2f}",
             f"{g['cost_per_tb_year']:.2f}"),
        ]  # fmt: skip


def _central(params: ParameterSet) -> dict[str, F64]:
    return {k: np.asarray(p.value, dtype=np.float64) for k, p in params.items()}


def _first(x: F64) -> float:
    return float(np.asarray(x).ravel()[0])


def _sizing(
    fleet: Fleet, params: ParameterSet, options: Options, out: dict[str, F64]
) -> dict[str, Any]:
    p = _central(params)
    life = p["ops.design_life_yr"]
    m = module_masses(fleet, p, life, options.use_scenario_mass)
    array_w, battery_wh, radiator_m2 = sized_hardware(fleet, p, life)
    rows = []
    for c, name in enumerate(fleet.names):
        given = float(fleet.mass_kg[c])
        bottom_up = float(m.bottom_up[c, 0])
        rows.append(
            {
                "constellation": name,
                "modules": int(fleet.n_sat[c]),
                "it_kw_per_module": float(fleet.it_w[c]) / 1000.0,
                "module_mass_kg": float(m.module[c, 0]),
                "bottom_up_mass_kg": bottom_up,
                "scenario_mass_kg": given if given > 0 else None,
                "scenario_over_bottom_up": given / bottom_up if given > 0 else None,
                "mass_breakdown_kg": {
                    "solar_array": float(m.array[c, 0]),
                    "battery": float(m.battery[c, 0]),
                    "radiator": float(m.radiator[c, 0]),
                    "it": float(m.it[c, 0]),
                    "shielding": float(m.shielding[c, 0]),
                    "storage": float(m.storage[c, 0]),
                    "structure_and_platform": float(m.structure[c, 0]),
                },
                "hardware": {
                    "solar_array_w": float(array_w[c, 0]),
                    "solar_array_sized": bool(fleet.array_w[c] == 0),
                    "battery_wh": float(battery_wh[c, 0]),
                    "battery_sized": bool(fleet.battery_wh[c] == 0),
                    "radiator_panel_m2": float(radiator_m2[c, 0]),
                    "radiator_sized": bool(fleet.radiator_m2[c] == 0),
                },
                "sunlit_fraction": float(fleet.sunlit_fraction[c]),
                "longest_eclipse_s": float(fleet.eclipse_s[c]),
                "power_availability": float(fleet.power_availability[c]),
            }
        )
    life_f = _first(out["design_life_yr"])
    sizing: dict[str, Any] = {
        "module_mass_kg": _first(out["fleet_mass_kg"]) / float(fleet.n_sat.sum()),
        "modules": int(fleet.n_sat.sum()),
        "it_mw": fleet.it_w_total / 1e6,
        "fleet_mass_kg": _first(out["fleet_mass_kg"]),
        "fleet_bottom_up_mass_kg": _first(out["fleet_bottom_up_mass_kg"]),
        "launcher": options.launcher,
        "launcher_payload_kg": float(params[f"launch.{options.launcher}.payload_kg"].value),
        "launches": _first(out["fleet_launches"]),
        "launches_per_year_replacement": _first(out["fleet_launches"]) / life_f,
        "energy_kwh_per_design_life": _first(out["energy_kwh"]),
        "design_life_yr": life_f,
        "survival_fraction": _first(out["survival_fraction"]),
        "constellations": rows,
    }
    if options.target_mw is not None:
        sizing["target"] = {
            "target_mw": options.target_mw,
            "modules": _first(out["target_modules"]),
            "launches": _first(out["target_launches"]),
            "build_years": options.build_years,
            "launches_per_year_build": _first(out["target_launches_per_year_build"]),
            "launches_per_year_replacement": _first(out["target_launches_per_year_replacement"]),
        }
    return sizing


def _assumptions(fleet: Fleet, options: Options, params: ParameterSet) -> list[str]:
    ef = launch_ef_parameter(options.launcher, options.boundary)
    mass_rule = (
        "module mass: the scenario's hardware.mass_kg where given, else the bottom-up sizing"
        if options.use_scenario_mass
        else "module mass: bottom-up sizing from specific masses (scenario mass_kg ignored)"
    )
    out = [
        f"launcher {options.launcher}, boundary {options.boundary}: {ef}"
        + (" x launch.high_altitude_factor" if options.boundary.endswith("altitude") else ""),
        f"ground data centre on grid {options.grid_name}; the ground segment uses the same grid",
        mass_rule,
        f"sunlit fraction: {fleet.sources['sunlit_fraction']}",
        f"power availability: {fleet.sources['power_availability']}",
        f"utilisation: {fleet.sources['utilisation']}",
        "IT energy per kWh: rated IT power x hours x design life x utilisation x availability "
        "x survival (exponential failures, failed modules not replaced before end of life)",
        "launch emission factors are per kg of payload of a full launcher; a partly filled "
        "launcher is charged per kg all the same",
        "IT hardware embodied carbon and cost are the same per kWh (or per kW) on both sides; "
        "IT hardware lasts the module's design life",
        "no cooling water in orbit (ascend.water_for_cooling); orbital water is the ground "
        "segment's power generation only; water of propellant production and manufacturing "
        "is not counted",
        "ground facility construction carbon is not counted (no sourced figure): favours the "
        "ground option",
        "excluded: station-keeping and deorbit propellant, in-orbit assembly, rebound effects, "
        "mineral raw materials, upper-atmosphere effects beyond the chosen launch boundary",
        "per TB-year: the IT energy of keeping one TB online for a year (storage.power_w_per_tb) "
        "at each option's per-kWh intensity, plus SSD manufacturing over the design life",
        "costs undiscounted, no financing, no revenue; modules replaced at end of design life",
        "negative break-even values mean no launcher factor (or price) >= 0 makes the orbital "
        "option equal to the ground one",
        "sensitivity: one parameter at a time between its low and high; uncertainty: all "
        "uncertain parameters drawn independently from triangular(low, value, high)",
    ]
    overridden = [k for k, p in params.items() if p.overridden]
    if overridden:
        out.append(f"overridden parameters: {', '.join(overridden)}")
    return out


def assess_scenario(
    scenario: Scenario,
    run_metrics: Mapping[str, Any] | None = None,
    *,
    target_mw: float | None = None,
    launch_boundary: str | None = None,
    grid: str | None = None,
) -> Assessment:
    """Compare the scenario's orbital data centre with a ground one.

    Args:
        scenario: the scenario; its ``assessment:`` section gives the options and overrides.
        run_metrics: the run's ``metrics.json`` dict, when a run exists (sunlit fraction,
            sustained compute fraction, utilisation); else analytic values are used.
        target_mw, launch_boundary, grid: replace the scenario's options (CLI flags).

    Raises:
        ValueError: one line naming a bad option (boundary, grid) or a scenario without IT power.
    """
    spec = scenario.assessment
    boundary = launch_boundary or spec.launch_boundary
    if boundary not in LAUNCH_BOUNDARIES:
        raise ValueError(
            f"launch boundary {boundary!r} is not known; choose one of "
            f"{', '.join(LAUNCH_BOUNDARIES)}"
        )
    if spec.launcher not in LAUNCHERS:  # pragma: no cover - the schema's Literal forbids it
        raise ValueError(f"launcher {spec.launcher!r} is not known")
    base = load_parameters()
    grid_name = parse_grid(grid or spec.grid, base)
    target = target_mw if target_mw is not None else spec.target_mw
    if target is not None and not (math.isfinite(target) and target > 0):
        raise ValueError(f"target_mw must be a positive number of MW (got {target})")
    fleet = fleet_of(scenario, run_metrics)
    overrides = dict(spec.overrides)
    if spec.design_life_years is not None:
        overrides["ops.design_life_yr"] = spec.design_life_years
    if fleet.utilisation is not None:
        overrides["ops.utilisation"] = fleet.utilisation
    params = base.with_overrides(overrides)
    options = Options(
        launcher=spec.launcher,
        boundary=boundary,
        grid_name=grid_name,
        target_mw=target,
        build_years=spec.build_years,
        use_scenario_mass=spec.mass_source == "scenario",
    )
    out = evaluate(fleet, _central(params), options)

    def side(prefix: str) -> dict[str, float]:
        return {key: _first(out[f"{prefix}_{src}"]) for key, src in _OPTION_METRICS}

    orbital = side("orbital")
    orbital.update(
        {
            "manufacturing_co2e_kg_per_kwh": _first(out["orbital_manufacturing_kg_per_kwh"]),
            "launch_co2e_kg_per_kwh": _first(out["orbital_launch_kg_per_kwh"]),
            "end_of_life_co2e_kg_per_kwh": _first(out["orbital_end_of_life_kg_per_kwh"]),
            "ground_segment_co2e_kg_per_kwh": _first(out["orbital_ground_segment_kg_per_kwh"]),
            "it_embodied_co2e_kg_per_kwh": _first(out["orbital_it_embodied_kg_per_kwh"]),
            "launch_share_of_co2e": _first(out["launch_share"]),
            "launch_ef_kgco2e_per_kg": _first(out["launch_ef_kgco2e_per_kg"]),
            "launch_price_per_kg": _first(out["launch_price_usd_per_kg"]),
        }
    )
    ground = side("ground")
    ground["grid_kgco2e_per_kwh"] = params[grid_name].value / 1000.0
    ground["pue"] = params["ground.pue"].value
    ef_star = _first(out["break_even_launch_ef"])
    price_star = _first(out["break_even_launch_price"])
    payback = _first(out["carbon_payback_yr"])
    break_even = {
        "launcher_kgco2e_per_kg": ef_star,
        "launcher_kgco2e_per_kg_boundary": boundary,
        "launcher_reduction_factor_needed": orbital["launch_ef_kgco2e_per_kg"] / ef_star
        if ef_star > 0
        else None,
        "orbit_can_win_co2e": ef_star > 0,
        "carbon_payback_years": payback,
        "carbon_payback_within_design_life": payback <= _first(out["design_life_yr"]),
        "launch_price_per_kg": price_star,
        "orbit_can_win_cost": price_star > 0,
    }
    bars = tornado(fleet, params, options)
    samples = uncertainty_band(
        fleet, params, options, spec.uncertainty_trials, scenario.seed, ("orbital_co2e_kg_per_kwh",)
    )
    q = np.percentile(samples["orbital_co2e_kg_per_kwh"], [5, 50, 95])
    uncertainty = {
        "metric": "orbital_co2e_kg_per_kwh",
        "p05": float(q[0]),
        "p50": float(q[1]),
        "p95": float(q[2]),
        "trials": spec.uncertainty_trials,
        "seed": scenario.seed,
        "probability_orbit_lower_co2e": float(samples["_orbit_wins"].mean()),
    }
    road = None
    if spec.roadmap is not None:
        rs = spec.roadmap
        plan = Plan(
            start_year=rs.start_year,
            end_year=rs.end_year,
            capacity_mw=dict(rs.capacity_mw),
            launchers=dict(rs.launchers) or {rs.start_year: options.launcher},
            boundary=boundary,
            grid_country=rs.grid,
            max_launches_per_year=rs.max_launches_per_year,
            use_scenario_mass=options.use_scenario_mass,
            accounting=rs.accounting,
        )
        held = grid_name.split(".")[1] + ":" + grid_name.split(".")[2]
        road = assess_roadmap(
            fleet,
            params,
            plan,
            held_grid=held,
            trials=spec.uncertainty_trials,
            seed=scenario.seed,
            fleet_sources=fleet.sources,
        )
    return Assessment(
        scenario=scenario.name,
        options={
            "launcher": options.launcher,
            "launch_boundary": boundary,
            "grid": grid_name.split(".")[1] + ":" + grid_name.split(".")[2],
            "target_mw": target,
            "mass_source": spec.mass_source,
            "launch_price_parameter": launch_price_parameter(params, options.launcher),
        },
        currency=CURRENCY,
        orbital=orbital,
        ground=ground,
        break_even=break_even,
        sizing=_sizing(fleet, params, options, out),
        sensitivity=tuple(bars),
        uncertainty=uncertainty,
        assumptions=tuple(_assumptions(fleet, options, params)),
        parameters=tuple(
            {
                "name": k,
                "value": p.value,
                "unit": p.unit,
                "low": p.low,
                "high": p.high,
                "source": p.source,
                "overridden": p.overridden,
            }
            for k, p in params.items()
        ),
        roadmap=road,
    )
