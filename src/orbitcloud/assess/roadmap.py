"""The roadmap: a yearly build-out of the orbital data centre to a capacity target, against a
ground data centre delivering the same IT energy each year; carbon, water, cost, revenue and
cash flow by year; the launcher condition.

Every quantity is float64[n_years, n] (one row per calendar year, one column per parameter
draw), so the point estimate, the tornado and the Monte Carlo band are one call each. One
module is the scenario's mean module (fleet totals over modules: IT power, mass, platform mass,
storage, power availability; :func:`~orbitcloud.assess.sizing.module_masses`).

Deployment (year index ``i``, calendar year ``y_i``)::

    N_i      = ceil(target_MW(y_i) / P_module)          target: milestones, linear between
    wanted_i = max(N_i - (in_service_{i-1} - retiring_i), 0)
    launched_i = min(wanted_i, cadence_i)               cadence_i = max launches/yr x modules
                                                        per launch (launches_for's rule)
    in_service_i = in_service_{i-1} - retiring_i + launched_i

A cohort launched in year ``j`` operates in years ``j .. j + ceil(L) - 1`` (launched at the
start of year ``j``) and retires after that; deployment tops the fleet up to the target, so
retiring cohorts are replaced and a cadence shortfall is made up later. Modules fail
(``ops.annual_failure_probability``) and IT hardware fails (``it.annual_failure_rate``) with
exponential lifetimes and are not repaired in orbit; the expected IT energy of a cohort of
``x`` modules at age ``a``::

    E = x P_IT,eff 8766 h u int_a^min(a+1, L) exp(-λ t) dt,  λ = -ln(1-p_mod) - ln(1-p_IT)

(summed over ``a = 0 .. ceil(L) - 1`` this is the static model's ``P 8766 L u s``, with
``s = (1 - e^{-λL}) / (λL)``: :func:`~orbitcloud.assess.model.survival_fraction`).

Carbon by year [kgCO2e], each term as in :mod:`~orbitcloud.assess.carbon`::

    orbit  = launched (m_platform EF_mfg + m_module EF_launch(y)) + servicing mass (EF_mfg +
             EF_launch(y)) + m_module EF_eol x modules ending their life this year
             + f_gs E CI(y) + E I_IT,emb
    ground = E (PUE(y) CI(y) + I_IT,emb (1 + AFR_IT L))

with ``EF_launch(y) = EF(launcher(y), boundary) (1 - d_EF)^(y - 2025)``, ``CI(y)`` the grid
trajectory of the country (linear between the parameter file's ``grid.<C>.<YEAR>`` points,
constant beyond), ``PUE(y)`` linear from ``ground.pue`` (2023) to ``ground.pue_2050``; the
ground replaces failed IT hardware (``AFR_IT L`` more hardware per kWh than it would use
without failures). Emissions are counted when they happen (``cumulative`` accounting: a module
launched in the last year carries its whole launch and manufacturing footprint), or each
cohort's one-off emissions (manufacturing, launch, end of life) are spread over its expected
lifetime IT energy and charged as it is delivered (``attributed``: a lifecycle allocation, the
static model's per-kWh view; the part of a late cohort's life beyond the horizon is not charged
within it). Water: orbit
``f_gs E W_gen``, ground ``E (WUE + PUE(y) W_gen)`` (:mod:`~orbitcloud.assess.ground`).

Money by year [USD]: capex ``launch mass x price(y) + platform mass x USD/kg + IT kW x USD/kW``
(``price(y) = price (1 - d_price)^(y - 2025)``), opex ``in-service platform capex x f_ops +
ground-segment energy x electricity price``, revenue ``E x revenue.compute_usd_per_kwh +
TB-months stored x revenue.storage_usd_per_tb_month``; net cash flow = revenue - capex - opex,
discounted with :mod:`~orbitcloud.assess.finance` at ``finance.discount_rate``.

The static model (:func:`~orbitcloud.assess.model.evaluate`) is the special case of one build
year, a constant grid and PUE, no IT failures and no servicing, with either a horizon of one
design life (cumulative) or any horizon (attributed): then the launcher condition equals the
static break-even launcher factor exactly (tested).

The launcher condition: orbital CO2e by the final year is linear in the launch factor,
``C_orbit(k) = A + S / k`` with ``S`` the launch carbon with launcher X's factor, so the factor
``k`` by which X must be less emissive for the orbit to emit no more than the ground ``G`` by the
final year is exact: ``k = S / (G - A)`` (infinite when ``G <= A``: no launcher suffices).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from orbitcloud.assess.carbon import launch_ef_kgco2e_per_kg
from orbitcloud.assess.cost import launch_price_usd_per_kg
from orbitcloud.assess.finance import discount_factors
from orbitcloud.assess.fleet import Fleet
from orbitcloud.assess.ground import (
    HOURS_PER_YEAR,
    ground_co2e_kg_per_kwh,
    ground_cost_usd_per_kwh,
    ground_water_l_per_kwh,
)
from orbitcloud.assess.sizing import launches_for, module_masses

__all__ = [
    "BASE_YEAR",
    "PUE_BASE_YEAR",
    "PUE_TARGET_YEAR",
    "Plan",
    "grid_trajectory",
    "launcher_condition",
    "roadmap",
]

F64 = NDArray[np.float64]
P = Mapping[str, F64]

#: Year of the parameter file's launch prices and emission factors (2024-25 figures).
BASE_YEAR = 2025
#: ``ground.pue`` is the Uptime Institute's 2023 survey; ``ground.pue_2050`` its 2050 value.
PUE_BASE_YEAR, PUE_TARGET_YEAR = 2023, 2050
_TAG = "_roadmap.grid_kg"  # internal key: the year's grid intensity handed to ground.*


@dataclass(frozen=True)
class Plan:
    """The discrete choices of a roadmap (the parameters carry the numbers).

    Attributes:
        start_year, end_year: first and last calendar year (inclusive).
        capacity_mw: milestones year -> MW of IT in orbit (nameplate); linear between them,
            0 before the first, constant after the last.
        launchers: year -> launcher from that year on (the first entry also covers earlier
            years).
        boundary: launch accounting boundary.
        grid_country: country of the ground data centre and of the ground segment (its
            trajectory), or ``COUNTRY:YEAR`` to hold one year's intensity constant.
        max_launches_per_year: cadence limit (None: unlimited).
        accounting: ``cumulative`` (one-off emissions counted in the year they happen) or
            ``attributed`` (each cohort's manufacturing, launch and end-of-life emissions
            spread over its expected lifetime IT energy, charged as that energy is delivered).
    """

    start_year: int
    end_year: int
    capacity_mw: Mapping[int, float]
    launchers: Mapping[int, str] = field(default_factory=lambda: {0: "falcon9"})
    boundary: str = "lifecycle"
    grid_country: str = "EU"
    max_launches_per_year: float | None = None
    use_scenario_mass: bool = True
    accounting: str = "cumulative"

    @property
    def years(self) -> NDArray[np.int64]:
        return np.arange(self.start_year, self.end_year + 1, dtype=np.int64)

    def target_mw(self) -> F64:
        """Target nameplate IT capacity by year [MW], float64[n_years]."""
        ys = sorted(self.capacity_mw)
        xs = np.array(ys, dtype=np.float64)
        vs = np.array([self.capacity_mw[y] for y in ys], dtype=np.float64)
        t = self.years.astype(np.float64)
        out = np.interp(t, xs, vs)
        return np.where(t < xs[0], 0.0, out)

    def launcher_by_year(self) -> list[str]:
        """The launcher flying in each year."""
        keys = sorted(self.launchers)
        out = []
        for y in self.years:
            past = [k for k in keys if k <= y]
            out.append(self.launchers[past[-1] if past else keys[0]])
        return out


def grid_trajectory(p: P, country: str, years: NDArray[np.int64]) -> F64:
    """Grid intensity of ``country`` by year [kgCO2e/kWh], float64[n_years, n]: linear between
    the years the parameter set has (``grid.<C>.<YEAR>.gco2e_per_kwh``), constant beyond;
    ``COUNTRY:YEAR`` holds that year's intensity constant.

    Raises:
        ValueError: when the parameter set has no year for ``country``.
    """
    c, _, held = country.partition(":")
    pts = sorted(
        (int(k.split(".")[2]), k)
        for k in p
        if k.startswith(f"grid.{c}.")
        and len(k.split(".")) == 4
        and (not held or k.split(".")[2] == held)
    )
    if not pts:
        raise ValueError(f"roadmap.grid_country {country!r}: no grid.{country}.<YEAR> parameter")
    xs = np.array([y for y, _ in pts], dtype=np.float64)
    vals = np.stack([np.broadcast_to(np.asarray(p[k], dtype=np.float64), _n(p)) for _, k in pts])
    t = np.clip(years.astype(np.float64), xs[0], xs[-1])
    hi = np.clip(np.searchsorted(xs, t, side="right"), 1, len(xs) - 1) if len(xs) > 1 else None
    if hi is None:
        return np.broadcast_to(vals[0] / 1000.0, (len(years), vals.shape[1])).copy()
    lo = hi - 1
    w = ((t - xs[lo]) / (xs[hi] - xs[lo]))[:, None]
    return np.asarray((vals[lo] * (1.0 - w) + vals[hi] * w) / 1000.0, dtype=np.float64)


def _n(p: P) -> tuple[int]:
    return (max((np.asarray(v).size for v in p.values()), default=1),)


def _op_integral(age: F64, life: F64, lam: F64) -> F64:
    """``int_a^min(a+1, L) exp(-λ t) dt`` (0 where ``a >= L``), broadcast."""
    upper = np.minimum(age + 1.0, life)
    live = age < life
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        val = np.where(
            lam > 0,
            (np.exp(-lam * age) - np.exp(-lam * upper)) / np.where(lam > 0, lam, 1.0),
            upper - age,
        )
    return np.where(live, val, 0.0)


def roadmap(
    fleet: Fleet, p: P, plan: Plan, *, launcher: str | None = None, boundary: str | None = None
) -> dict[str, F64]:
    """The yearly roadmap (module docstring), every value float64[n_years, n].

    ``launcher`` (all years) and ``boundary`` replace the plan's, for the launcher condition.
    """
    n = _n(p)[0]
    years = plan.years
    n_y = len(years)
    yf = years.astype(np.float64)[:, None]
    bnd = boundary or plan.boundary
    launchers = [launcher] * n_y if launcher else plan.launcher_by_year()

    life = np.broadcast_to(np.asarray(p["ops.design_life_yr"], dtype=np.float64), (n,))
    util = p["ops.utilisation"]
    m = module_masses(fleet, p, life, plan.use_scenario_mass)
    w = fleet.n_sat[:, None]
    n_mod = float(fleet.n_sat.sum())
    m_mod = np.broadcast_to((w * m.module).sum(axis=0) / n_mod, (n,))
    m_plat = np.broadcast_to((w * m.platform).sum(axis=0) / n_mod, (n,))
    it_kw = float((fleet.n_sat * fleet.it_w).sum()) / n_mod / 1000.0
    it_kw_eff = float((fleet.n_sat * fleet.it_w * fleet.power_availability).sum()) / n_mod / 1000.0
    tb = float((fleet.n_sat * fleet.storage_tb).sum()) / n_mod

    lam_mod = -np.log1p(-np.asarray(p["ops.annual_failure_probability"], dtype=np.float64))
    lam_it = -np.log1p(-np.asarray(p["it.annual_failure_rate"], dtype=np.float64))
    lam = np.broadcast_to(lam_mod + lam_it, (n,))
    lam_m = np.broadcast_to(lam_mod, (n,))
    n_life = np.ceil(life - 1e-9)

    target = plan.target_mw()
    n_target = np.ceil(target * 1000.0 / it_kw - 1e-9)[:, None] * np.ones((1, n))

    ef = np.stack([launch_ef_kgco2e_per_kg(p, x, bnd) * np.ones(n) for x in launchers])
    ef = ef * (1.0 - p["roadmap.launch_ef_decline_per_yr"]) ** (yf - BASE_YEAR)
    price = np.stack([launch_price_usd_per_kg(p, x) * np.ones(n) for x in launchers])
    price = price * (1.0 - p["roadmap.launch_price_decline_per_yr"]) ** (yf - BASE_YEAR)
    payload = np.stack([np.asarray(p[f"launch.{x}.payload_kg"]) * np.ones(n) for x in launchers])
    if plan.max_launches_per_year is None:
        cadence = np.full((n_y, n), np.inf)
    else:
        k = float(plan.max_launches_per_year)
        per_launch = np.floor(payload / m_mod)
        cadence = np.where(per_launch >= 1, k * per_launch, np.floor(k / np.ceil(m_mod / payload)))

    launched = np.zeros((n_y, n))
    retiring = np.zeros((n_y, n))
    in_service = np.zeros((n_y, n))
    prev = np.zeros(n)
    idx = np.arange(n_y)[:, None]
    for i in range(n_y):  # years are sequential (the fleet carries over); draws are vectorised
        ret = (launched * ((idx + n_life[None, :]) == i)).sum(axis=0)
        wanted = np.maximum(n_target[i] - (prev - ret), 0.0)
        launched[i] = np.minimum(wanted, cadence[i])
        retiring[i] = ret
        prev = prev - ret + launched[i]
        in_service[i] = prev

    age = idx[:, :, None] - idx[None, :, :]  # [i, j, 1]: age in year i of cohort j
    age = age.astype(np.float64)
    op = np.where(age >= 0, _op_integral(np.maximum(age, 0.0), life, lam), 0.0)  # [i, j, n]
    op_m = np.where(age >= 0, _op_integral(np.maximum(age, 0.0), life, lam_m), 0.0)
    energy = HOURS_PER_YEAR * util * it_kw_eff * np.einsum("ijn,jn->in", op, launched)
    tb_months = 12.0 * tb * np.einsum("ijn,jn->in", op_m, launched)
    # modules ending their life at the end of year i: cohort j with j + ceil(L) - 1 == i
    end_idx = idx + n_life[None, :] - 1.0  # [j, n]
    ending = (launched[None, :, :] * (end_idx[None, :, :] == idx[:, :, None])).sum(axis=1)

    ci = grid_trajectory(p, plan.grid_country, years)
    frac = np.clip((yf - PUE_BASE_YEAR) / (PUE_TARGET_YEAR - PUE_BASE_YEAR), 0.0, 1.0)
    pue = p["ground.pue"] + (p["ground.pue_2050"] - p["ground.pue"]) * frac
    p_year = {**p, "ground.pue": pue, _TAG: ci * 1000.0}

    servicing = p["roadmap.servicing_mass_fraction_per_yr"] * in_service * m_mod
    launch_mass = launched * m_mod + servicing
    gs_kwh = p["ops.ground_segment_energy_fraction"] * energy
    ef_mfg = p["spacecraft.manufacturing_kgco2e_per_kg"]
    ef_eol = p["spacecraft.end_of_life_kgco2e_per_kg"]
    if plan.accounting == "attributed":
        # share of cohort j's lifetime energy delivered in year i: op[i, j] / sum_a op(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            lifetime = np.where(lam > 0, -np.expm1(-lam * life) / np.where(lam > 0, lam, 1), life)
        weights = op / lifetime[None, None, :]  # [i, j, n]

        def spread(per_module_by_cohort: F64) -> F64:
            return np.einsum("ijn,jn->in", weights, launched * per_module_by_cohort)

        c_mfg = spread(m_plat * ef_mfg * np.ones((n_y, 1))) + servicing * ef_mfg
        c_launch = spread(m_mod * ef) + servicing * ef
        c_eol = spread(m_mod * ef_eol * np.ones((n_y, 1)))
    else:
        c_mfg = (launched * m_plat + servicing) * ef_mfg
        c_launch = launch_mass * ef
        c_eol = ending * m_mod * ef_eol
    c_gs = gs_kwh * ci
    c_it = energy * p["it.embodied_kgco2e_per_kwh"]
    orbit = c_mfg + c_launch + c_eol + c_gs + c_it
    afr_it = p["it.annual_failure_rate"]
    g_it = energy * p["it.embodied_kgco2e_per_kwh"] * afr_it * life
    ground = energy * ground_co2e_kg_per_kwh(p_year, _TAG) + g_it

    w_gen = p["ground.generation_water_l_per_kwh"]
    orbit_water = p["ops.ground_segment_energy_fraction"] * w_gen * energy
    ground_water = energy * ground_water_l_per_kwh(p_year)

    elec = p["ground.electricity_eur_per_kwh"] * p["cost.usd_per_eur"]
    sc_cost = p["spacecraft.cost_usd_per_kg"]
    capex = (
        launch_mass * price
        + (launched * m_plat + servicing) * sc_cost
        + launched * it_kw * p["it.cost_usd_per_kw"]
    )
    opex = in_service * m_plat * sc_cost * p["ops.orbit_opex_fraction_per_yr"] + gs_kwh * elec
    revenue = (
        energy * p["revenue.compute_usd_per_kwh"]
        + tb_months * p["revenue.storage_usd_per_tb_month"]
    )
    net = revenue - capex - opex
    dcf = net * discount_factors(p["finance.discount_rate"] * np.ones(n), n_y)
    ground_cost = energy * ground_cost_usd_per_kwh(p_year, life, util) + (
        afr_it * p["it.cost_usd_per_kw"] * energy / (HOURS_PER_YEAR * util)
    )
    launches = launches_for(launched, m_mod, payload) + np.ceil(servicing / payload - 1e-9)

    out = {
        "year": np.broadcast_to(yf, (n_y, n)),
        "target_mw": np.broadcast_to(target[:, None], (n_y, n)),
        "modules_launched": launched,
        "modules_retired": retiring,
        "modules_in_service": in_service,
        "launches": launches,
        "launch_mass_kg": launch_mass,
        "it_mw_nameplate": in_service * it_kw / 1000.0,
        "it_mw_delivered": energy / (HOURS_PER_YEAR * util) / 1000.0,
        "energy_kwh": energy,
        "storage_tb_months": tb_months,
        "launch_ef_kgco2e_per_kg": ef,
        "launch_price_usd_per_kg": price,
        "grid_kgco2e_per_kwh": ci,
        "ground_pue": pue * np.ones((1, n)),
        "orbit_launch_co2e_kg": c_launch,
        "orbit_co2e_kg": orbit,
        "ground_co2e_kg": ground,
        "cumulative_orbit_co2e_kg": np.cumsum(orbit, axis=0),
        "cumulative_ground_co2e_kg": np.cumsum(ground, axis=0),
        "orbit_water_l": orbit_water,
        "ground_water_l": ground_water,
        "cumulative_orbit_water_l": np.cumsum(orbit_water, axis=0),
        "cumulative_ground_water_l": np.cumsum(ground_water, axis=0),
        "capex_usd": capex,
        "opex_usd": opex,
        "revenue_usd": revenue,
        "net_cash_flow_usd": net,
        "discounted_cash_flow_usd": dcf,
        "cumulative_discounted_cash_flow_usd": np.cumsum(dcf, axis=0),
        "ground_cost_usd": ground_cost,
    }
    return {k: np.asarray(np.broadcast_to(v, (n_y, n)), dtype=np.float64) for k, v in out.items()}


def launcher_condition(
    fleet: Fleet, p: P, plan: Plan, launcher: str, boundary: str
) -> dict[str, F64]:
    """How many times less emissive than ``launcher`` (at ``boundary``) the launcher must be,
    in every year, for the roadmap's cumulative orbital CO2e by the final year to equal the
    ground's (module docstring): ``k = S / (G - A)``; ``inf`` where ``G <= A``. Also the
    required factor ``EF_X / k`` [kgCO2e/kg, base-year terms before any learning decline]
    (``required_ef``),
    float64[n] each."""
    r = roadmap(fleet, p, plan, launcher=launcher, boundary=boundary)
    s = r["orbit_launch_co2e_kg"].sum(axis=0)
    a = r["cumulative_orbit_co2e_kg"][-1] - s
    g = r["cumulative_ground_co2e_kg"][-1]
    margin = g - a
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(margin > 0, s / np.where(margin > 0, margin, 1.0), np.inf)
        ef_x = launch_ef_kgco2e_per_kg(p, launcher, boundary) * np.ones_like(s)
        required = np.where(np.isfinite(k), ef_x / k, 0.0)
    return {"factor": k, "required_ef": required, "launcher_ef": ef_x}
