"""The whole comparison as one vectorised function of the parameters.

:func:`evaluate` takes every parameter as a float64[n] (or 0-d) array, so the point estimate
(n = 1), the tornado (n = 2 x parameters) and the Monte Carlo band (n = trials) are one call
each. Formulas: :mod:`~orbitcloud.assess.sizing`, :mod:`~orbitcloud.assess.carbon`,
:mod:`~orbitcloud.assess.ground`, :mod:`~orbitcloud.assess.cost`.

IT energy delivered by one module over its design life ``L`` [kWh]::

    E = P_IT x 8766 h x L x utilisation x availability x survival
    survival = (1 - exp(-λ L)) / (λ L),  λ = -ln(1 - p_fail)

``availability`` is the fraction of rated IT power the power system sustains (the run's
``compute_sustained_fraction``, else analytic); ``survival`` is the mean fraction of the design
life a module with exponentially distributed lifetime operates (failed modules are not
replaced before the end of life).

Per TB-year stored, each option is charged the IT energy of keeping a TB online for a year
(``storage.power_w_per_tb`` x 8766 h) at its per-kWh intensity, plus the SSD's manufacturing
footprint over the design life (an energy allocation; the same rule on both sides).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orbitcloud.assess.carbon import carbon_payback_yr, launch_ef_kgco2e_per_kg
from orbitcloud.assess.cost import launch_price_usd_per_kg
from orbitcloud.assess.fleet import Fleet
from orbitcloud.assess.ground import (
    HOURS_PER_YEAR,
    grid_kg_per_kwh,
    ground_co2e_kg_per_kwh,
    ground_cost_usd_per_kwh,
    ground_water_l_per_kwh,
)
from orbitcloud.assess.sizing import launches_for, module_masses

__all__ = ["Options", "evaluate", "survival_fraction"]

F64 = NDArray[np.float64]
P = Mapping[str, F64]


@dataclass(frozen=True)
class Options:
    """The discrete choices of an assessment (the parameters carry the numbers)."""

    launcher: str = "falcon9"
    boundary: str = "lifecycle"
    grid_name: str = "grid.EU.2023.gco2e_per_kwh"
    target_mw: float | None = None
    build_years: float = 10.0
    use_scenario_mass: bool = True


def survival_fraction(p_fail_per_yr: F64, life_yr: F64) -> F64:
    """Mean operating fraction of ``life_yr`` for an exponential lifetime with yearly failure
    probability ``p_fail_per_yr``: ``(1 - exp(-λL)) / (λL)``, ``λ = -ln(1 - p)`` (1 at p = 0)."""
    lam_l = -np.log1p(-np.asarray(p_fail_per_yr, dtype=np.float64)) * life_yr
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(lam_l > 0, -np.expm1(-lam_l) / lam_l, 1.0)


def _fleet_sum(n_sat: F64, per_module: F64) -> F64:
    """Sum over constellations of ``n_sat x per-module value``: [n_c, n] → [n]."""
    return np.asarray((n_sat[:, None] * per_module).sum(axis=0), dtype=np.float64)


def evaluate(fleet: Fleet, p: P, options: Options) -> dict[str, F64]:
    """Every metric of the comparison, each float64[n] (``n`` = the parameters' length).

    Keys: ``orbital_/ground_`` + ``co2e_kg_per_kwh``, ``water_l_per_kwh``,
    ``cost_usd_per_kwh`` and their ``_per_tb_year`` forms; ``break_even_launch_ef``,
    ``break_even_launch_price``, ``carbon_payback_yr``, ``launch_share``, the orbital
    components per kWh (``orbital_<part>_kg_per_kwh``), and sizing totals.
    """
    life = p["ops.design_life_yr"]
    util = p["ops.utilisation"]
    m = module_masses(fleet, p, life, options.use_scenario_mass)
    survival = survival_fraction(p["ops.annual_failure_probability"], life)
    it_kw = fleet.it_w[:, None] / 1000.0
    e_module = it_kw * HOURS_PER_YEAR * life * util * fleet.power_availability[:, None] * survival
    n = fleet.n_sat
    energy = _fleet_sum(n, e_module)
    mass = _fleet_sum(n, m.module)
    platform = _fleet_sum(n, m.platform)
    it_kw_total = float((n * fleet.it_w).sum()) / 1000.0
    ci = grid_kg_per_kwh(p, options.grid_name)
    gs_kwh = p["ops.ground_segment_energy_fraction"] * energy

    # carbon [kgCO2e over one design life of the fleet]
    ef_launch = launch_ef_kgco2e_per_kg(p, options.launcher, options.boundary)
    c_mfg = platform * p["spacecraft.manufacturing_kgco2e_per_kg"]
    c_launch = mass * ef_launch
    c_eol = mass * p["spacecraft.end_of_life_kgco2e_per_kg"]
    c_gs = gs_kwh * ci
    c_it = energy * p["it.embodied_kgco2e_per_kwh"]
    c_total = c_mfg + c_launch + c_eol + c_gs + c_it
    i_orbit = c_total / energy
    i_ground = ground_co2e_kg_per_kwh(p, options.grid_name)
    saving_per_yr = energy / life * (p["ground.pue"] * ci) - c_gs / life

    # water [L]
    w_gen = p["ground.generation_water_l_per_kwh"]
    w_orbit = p["ops.ground_segment_energy_fraction"] * w_gen  # no cooling water in orbit
    w_ground = ground_water_l_per_kwh(p)

    # cost [USD over one design life]
    price = launch_price_usd_per_kg(p, options.launcher)
    elec = p["ground.electricity_eur_per_kwh"] * p["cost.usd_per_eur"]
    k_launch = mass * price
    k_sc = platform * p["spacecraft.cost_usd_per_kg"]
    k_it = it_kw_total * p["it.cost_usd_per_kw"]
    k_ops = k_sc * p["ops.orbit_opex_fraction_per_yr"] * life
    k_gs = gs_kwh * elec
    k_total = k_launch + k_sc + k_it + k_ops + k_gs
    cost_orbit = k_total / energy
    cost_ground = ground_cost_usd_per_kwh(p, life, util)

    # per TB-year: energy allocation + SSD manufacturing over the design life
    kwh_per_tb_yr = p["storage.power_w_per_tb"] * HOURS_PER_YEAR / 1000.0
    ssd_per_tb_yr = p["storage.embodied_kgco2e_per_tb"] / life

    # launches
    payload = p[f"launch.{options.launcher}.payload_kg"]
    launches = _fleet_sum(np.ones_like(n), launches_for(n[:, None], m.module, payload))
    out = {
        "orbital_co2e_kg_per_kwh": i_orbit,
        "ground_co2e_kg_per_kwh": i_ground,
        "orbital_water_l_per_kwh": w_orbit,
        "ground_water_l_per_kwh": w_ground,
        "orbital_cost_usd_per_kwh": cost_orbit,
        "ground_cost_usd_per_kwh": cost_ground,
        "orbital_co2e_kg_per_tb_year": kwh_per_tb_yr * i_orbit + ssd_per_tb_yr,
        "ground_co2e_kg_per_tb_year": kwh_per_tb_yr * i_ground + ssd_per_tb_yr,
        "orbital_water_l_per_tb_year": kwh_per_tb_yr * w_orbit,
        "ground_water_l_per_tb_year": kwh_per_tb_yr * w_ground,
        "orbital_cost_usd_per_tb_year": kwh_per_tb_yr * cost_orbit,
        "ground_cost_usd_per_tb_year": kwh_per_tb_yr * cost_ground,
        "orbital_manufacturing_kg_per_kwh": c_mfg / energy,
        "orbital_launch_kg_per_kwh": c_launch / energy,
        "orbital_end_of_life_kg_per_kwh": c_eol / energy,
        "orbital_ground_segment_kg_per_kwh": c_gs / energy,
        "orbital_it_embodied_kg_per_kwh": c_it / energy,
        "launch_share": c_launch / c_total,
        "launch_ef_kgco2e_per_kg": ef_launch,
        "launch_price_usd_per_kg": price,
        "break_even_launch_ef": (i_ground * energy - (c_total - c_launch)) / mass,
        "break_even_launch_price": (cost_ground * energy - (k_total - k_launch)) / mass,
        "carbon_payback_yr": carbon_payback_yr(c_mfg + c_launch + c_eol, saving_per_yr),
        "energy_kwh": energy,
        "fleet_mass_kg": mass,
        "fleet_bottom_up_mass_kg": _fleet_sum(n, m.bottom_up),
        "fleet_launches": launches,
        "survival_fraction": survival,
        "design_life_yr": life,
    }
    if options.target_mw is not None:
        mean_it_w = float((n * fleet.it_w).sum() / n.sum())
        n_mod = np.ceil(options.target_mw * 1e6 / mean_it_w)
        mean_mass = mass / n.sum()
        target_launches = launches_for(n_mod, mean_mass, payload)
        out["target_modules"] = np.broadcast_to(n_mod, mass.shape).astype(np.float64)
        out["target_launches"] = target_launches
        out["target_launches_per_year_build"] = target_launches / options.build_years
        out["target_launches_per_year_replacement"] = target_launches / life
    return {k: np.atleast_1d(np.asarray(v, dtype=np.float64)) for k, v in out.items()}
