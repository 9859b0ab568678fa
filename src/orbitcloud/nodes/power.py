"""Electrical power of every satellite over the run: solar generation, battery, loads, and
the power left for compute; vectorised over satellites.

Model (stated; each step ``k`` covers ``[t_k, t_{k+1})`` with the state at ``t_k``):

- **Generation** ``P_gen = P_array * (1 - d)^years * sunlit``: rated array output at
  beginning of life times a yearly degradation ``d``; arrays track the Sun (cosine factor 1)
  and the eclipse state is the ephemeris's ``sunlit`` flag (no penumbra).
- **Loads** in priority order: the bus (always), communications while any link of the
  satellite is open, then compute up to what is requested and what the power and thermal
  limits allow (thermal: :mod:`orbitcloud.nodes.thermal`; all consumed power becomes heat).
- **Battery** (capacity ``E_max``, depth-of-discharge limit ``DoD``, one-way efficiency
  ``η``): surplus charges it (``η`` of the surplus is stored) until full, the rest is
  *curtailed*; a deficit discharges it (``1/η`` of the deficit is drawn) down to
  ``(1 - DoD) E_max``. Load that neither source can cover is *unmet* (the bus browns out).
- **Reserve**: compute may discharge the battery only down to the floor plus a reserve that
  carries the bus and communications through the satellite's longest eclipse of the run,
  ``(P_bus + P_comms) t_eclipse / η``, so compute never starves the platform.

Energy balance, per satellite, exactly (tests check it to 1e-6 relative)::

    generated = consumed + (E_end - E_start) + curtailed + battery losses

- **Loss**: a satellite lost at ``loss_s`` (the fault timeline) is dead from its loss step on
  (the first step ``k`` with ``t_{k+1} > loss_s``, so also the step the loss falls in): it
  generates nothing, draws nothing (no bus, comms or compute; nothing unmet), its compute
  availability and thermal allowance are 0, its battery keeps its last charge and its
  temperature follows the radiator with no load. Its flows are therefore 0, not NaN, and the
  energy balance still holds.

The state of charge is integrated step by step (it depends on the past and on the clipping
at full and empty); each step is one vectorised update over all satellites.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.nodes.hardware import FleetHardware
from orbitcloud.nodes.thermal import ThermalSpec, heat_limit_w, steady_state_temperature_k
from orbitcloud.orbits.propagate import Ephemeris
from orbitcloud.orbits.satellites import SatelliteSet
from orbitcloud.scenario.models import Scenario

__all__ = [
    "PowerBudget",
    "PowerSpec",
    "integrate_power",
    "link_activity",
    "longest_eclipse_s",
    "node_power",
    "solar_generation_w",
    "state_of_charge",
]

F64 = NDArray[np.float64]
WH_TO_J = 3600.0


@dataclass(frozen=True)
class PowerSpec:
    """Per-satellite power parameters, arrays [n_sat], from each constellation's hardware."""

    array_bol_w: F64
    degradation_per_year: F64
    years_in_orbit: F64
    battery_capacity_j: F64
    battery_max_dod: F64
    battery_efficiency: F64
    bus_w: F64
    comms_w: F64
    compute_max_w: F64

    @classmethod
    def from_fleet(cls, fleet: FleetHardware) -> PowerSpec:
        """The power parameters of every satellite of the fleet-hardware table."""
        col = fleet.per_satellite
        return cls(
            array_bol_w=col("solar_array_w"),
            degradation_per_year=col("solar_degradation_per_year"),
            years_in_orbit=col("years_in_orbit"),
            battery_capacity_j=col("battery_wh", WH_TO_J),
            battery_max_dod=col("battery_max_depth_of_discharge"),
            battery_efficiency=col("battery_efficiency"),
            bus_w=col("bus_power_w"),
            comms_w=col("comms_power_w"),
            compute_max_w=col("compute_power_w"),
        )

    @classmethod
    def from_scenario(cls, scenario: Scenario, satellites: SatelliteSet) -> PowerSpec:
        """:meth:`from_fleet` of the scenario's fleet (a convenience)."""
        return cls.from_fleet(FleetHardware.of(scenario, satellites))


def solar_generation_w(spec: PowerSpec, sunlit: NDArray[np.bool_], t_s: F64) -> F64:
    """Array output [W], float64[n_sat, n_time]: ``P_bol (1 - d)^(years + t / 1 yr)`` while
    sunlit, 0 in eclipse (Sun-tracking arrays)."""
    years = spec.years_in_orbit[:, None] + np.asarray(t_s)[None, :] / (365.25 * 86400.0)
    aged = (1.0 - spec.degradation_per_year[:, None]) ** years
    return spec.array_bol_w[:, None] * aged * sunlit


@dataclass(frozen=True)
class PowerBudget:
    """Power flows per satellite and step, float64[n_sat, n_step] in W (``n_step`` =
    ``n_time - 1`` intervals), and the battery energy at every grid time, float64[n_sat,
    n_time] in J.

    ``consumed_w`` = bus + comms + compute actually supplied; ``compute_w`` is the compute
    power delivered, ``compute_available_w`` what power alone would have allowed and
    ``compute_thermal_w`` what heat rejection alone would have allowed (inf without a
    thermal model). ``temperature_k`` float64[n_sat, n_time] (NaN without one).
    """

    dt_s: F64
    generated_w: F64
    consumed_w: F64
    compute_w: F64
    compute_available_w: F64
    curtailed_w: F64
    battery_loss_w: F64
    unmet_w: F64
    battery_j: F64
    compute_thermal_w: F64
    temperature_k: F64

    def energy_j(self, flow_w: F64) -> F64:
        """Energy of a flow over the run, per satellite [J], float64[n_sat]."""
        return (flow_w * self.dt_s[None, :]).sum(axis=1)

    def balance_residual_j(self) -> F64:
        """``generated - consumed - ΔE - curtailed - losses`` per satellite [J] (≈ 0)."""
        d_stored = self.battery_j[:, -1] - self.battery_j[:, 0]
        return (
            self.energy_j(self.generated_w)
            - self.energy_j(self.consumed_w)
            - d_stored
            - self.energy_j(self.curtailed_w)
            - self.energy_j(self.battery_loss_w)
        )


def integrate_power(
    spec: PowerSpec,
    sunlit: NDArray[np.bool_],
    t_s: F64,
    compute_request_w: F64 | float = np.inf,
    comms_active: NDArray[np.bool_] | None = None,
    compute_limit_w: F64 | None = None,
    initial_soc: float = 1.0,
    thermal: ThermalSpec | None = None,
    initial_temperature_k: F64 | float | None = None,
    loss_s: F64 | None = None,
) -> PowerBudget:
    """Integrate generation, loads and battery over the grid (see the module docstring).

    Args:
        spec: per-satellite parameters.
        sunlit: bool[n_sat, n_time] eclipse state at the grid times.
        t_s: float64[n_time] grid times [s].
        compute_request_w: compute power wanted, float or float64[n_sat, n_time - 1];
            default: as much as the hardware takes (``compute_max_w``).
        comms_active: bool[n_sat, n_time - 1], a link of the satellite is open; default none.
        compute_limit_w: float64[n_sat, n_time - 1] another cap on compute (e.g. thermal).
        initial_soc: battery state of charge at ``t_s[0]`` (fraction of capacity).
        thermal: couple the one-node thermal model and throttle compute to it.
        initial_temperature_k: node temperature at ``t_s[0]``; default: the steady state of
            the bus load (the radiator's equilibrium before compute starts).
        loss_s: float64[n_sat], when each satellite is lost (``inf``: never; default: none
            is); dead from its loss step on (see the module docstring).
    """
    t = np.asarray(t_s, dtype=np.float64)
    n_sat, n_time = sunlit.shape
    if t.shape != (n_time,):
        raise ValueError(f"t_s has shape {t.shape}, sunlit has {n_time} times")
    if not 0.0 <= initial_soc <= 1.0:
        raise ValueError(f"initial_soc must be within [0, 1], got {initial_soc}")
    dt = np.diff(t)
    n_step = dt.size
    gen = solar_generation_w(spec, sunlit, t)[:, :n_step]
    want = np.broadcast_to(
        np.minimum(np.asarray(compute_request_w, dtype=np.float64), spec.compute_max_w[:, None]),
        (n_sat, n_step),
    )
    if compute_limit_w is not None:
        want = np.minimum(want, compute_limit_w)
    comms = (
        np.zeros((n_sat, n_step)) if comms_active is None else comms_active * spec.comms_w[:, None]
    )
    fixed = spec.bus_w[:, None] + comms
    alive = np.ones((n_sat, n_step), dtype=bool)
    if loss_s is not None:
        alive = t[None, 1:] <= np.asarray(loss_s, dtype=np.float64)[:, None]
        gen = gen * alive
        want = want * alive
        fixed = fixed * alive
    cap, eta = spec.battery_capacity_j, spec.battery_efficiency
    floor = (1.0 - spec.battery_max_dod) * cap
    reserve = (spec.bus_w + spec.comms_w) * longest_eclipse_s(sunlit, t) / eta
    compute_floor = np.minimum(floor + reserve, cap)
    e = np.empty((n_sat, n_time))
    e[:, 0] = np.maximum(initial_soc * cap, 0.0)
    keys = ("cons", "comp", "avail", "curt", "loss", "unmet", "therm")
    out = {k: np.zeros((n_sat, n_step)) for k in keys}
    temp = np.full((n_sat, n_time), np.nan)
    if thermal is None:
        out["therm"][:] = np.inf
    else:
        if n_step:
            thermal.check_step(float(dt.max()))
        if initial_temperature_k is None:
            initial_temperature_k = steady_state_temperature_k(
                spec.bus_w, thermal.area_m2, thermal.emissivity, thermal.sink_k
            )
        temp[:, 0] = initial_temperature_k
    for k in range(n_step):
        h = dt[k]
        # most the battery can deliver over the step, as load power: to the platform down to
        # the DoD floor, to compute only down to the floor plus the eclipse reserve
        supply_w = gen[:, k] + np.maximum(e[:, k] - floor, 0.0) * eta / h
        fixed_met = np.minimum(fixed[:, k], supply_w)
        compute_supply_w = gen[:, k] + np.maximum(e[:, k] - compute_floor, 0.0) * eta / h
        avail = np.maximum(np.minimum(compute_supply_w, supply_w) - fixed_met, 0.0)
        avail *= alive[:, k]
        comp = np.minimum(want[:, k], avail)
        if thermal is not None:
            therm = np.maximum(heat_limit_w(thermal, temp[:, k], h) - fixed_met, 0.0)
            therm *= alive[:, k]
            comp = np.minimum(comp, therm)
            out["therm"][:, k] = therm
        load = fixed_met + comp
        if thermal is not None:
            temp[:, k + 1] = thermal.step(temp[:, k], load, h)
        net = gen[:, k] - load
        surplus, deficit = np.maximum(net, 0.0), np.maximum(-net, 0.0)
        room_j = cap - e[:, k]
        charge_in_w = np.minimum(surplus, room_j / (eta * h))  # input power accepted
        drawn_j = deficit * h / eta
        e[:, k + 1] = np.clip(e[:, k] + charge_in_w * eta * h - drawn_j, 0.0, cap)
        out["cons"][:, k] = load
        out["comp"][:, k] = comp
        out["avail"][:, k] = avail
        out["curt"][:, k] = surplus - charge_in_w
        out["loss"][:, k] = charge_in_w * (1.0 - eta) + deficit * (1.0 / eta - 1.0)
        out["unmet"][:, k] = fixed[:, k] - fixed_met
    return PowerBudget(
        dt,
        gen,
        out["cons"],
        out["comp"],
        out["avail"],
        out["curt"],
        out["loss"],
        out["unmet"],
        e,
        out["therm"],
        temp,
    )


def longest_eclipse_s(sunlit: NDArray[np.bool_], t_s: F64) -> F64:
    """Longest run of eclipsed steps per satellite [s], float64[n_sat] (step resolution)."""
    dark = ~sunlit[:, :-1]
    dt = np.diff(t_s)
    # running sum of dark-step durations, restarted at every sunlit step
    cum = np.cumsum(np.where(dark, dt[None, :], 0.0), axis=1)
    restart = np.maximum.accumulate(np.where(dark, 0.0, cum), axis=1)
    return (cum - restart).max(axis=1, initial=0.0)


def link_activity(plan: ContactPlan, n_sat: int, t_s: F64) -> NDArray[np.bool_]:
    """bool[n_sat, n_time - 1]: some contact from or to the satellite is open during step
    ``[t_k, t_{k+1})`` (any overlap counts). Built with a difference array, no loop."""
    n_step = t_s.size - 1
    diff = np.zeros((n_sat, n_step + 1), dtype=np.int32)
    for node in (plan.src, plan.dst):
        sat = node < n_sat
        k0 = np.searchsorted(t_s, plan.start_s[sat], side="right") - 1
        k1 = np.searchsorted(t_s, plan.end_s[sat], side="left")
        k0, k1 = np.clip(k0, 0, n_step), np.clip(k1, 0, n_step)
        ok = k1 > k0
        np.add.at(diff, (node[sat][ok], k0[ok]), 1)
        np.add.at(diff, (node[sat][ok], k1[ok]), -1)
    return np.cumsum(diff, axis=1)[:, :n_step] > 0


def state_of_charge(budget: PowerBudget, capacity_j: F64) -> F64:
    """Battery state of charge, float64[n_sat, n_time] (NaN for satellites without a
    battery), from ``budget.battery_j`` and the capacities ``capacity_j`` float64[n_sat]."""
    cap = np.asarray(capacity_j, dtype=np.float64)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cap > 0, budget.battery_j / cap, np.nan)


def node_power(
    fleet: FleetHardware,
    eph: Ephemeris,
    plan: ContactPlan,
    compute_request_w: F64 | float = np.inf,
    loss_s: F64 | None = None,
) -> PowerBudget | None:
    """The power budget of every satellite with compute asked at ``compute_request_w``
    (float or float64[n_sat, n_time - 1]; default full load, so ``compute_w`` is the compute
    power each satellite can sustain at each step). ``loss_s``: float64[n_sat] loss times
    from the fault timeline (``EventTimeline.loss_s``); a lost satellite is dead from its
    loss step on (all its flows 0). ``fleet``: the hardware of ``eph``'s satellites. Thermal
    coupling when every constellation has a radiator and a heat capacity. ``None`` when no
    constellation has a solar array (nothing to model)."""
    if fleet.n_sat != eph.n_sat:
        raise ValueError(f"fleet hardware has {fleet.n_sat} satellites, ephemeris {eph.n_sat}")
    hw = fleet.profiles
    if not any(h.solar_array_w > 0 for h in hw):
        return None
    spec = PowerSpec.from_fleet(fleet)
    thermal = None
    if all(h.radiator_area_m2 > 0 and h.effective_heat_capacity_j_per_k > 0 for h in hw):
        thermal = ThermalSpec.from_fleet(fleet)
    active = link_activity(plan, eph.n_sat, eph.grid.t_s)
    return integrate_power(
        spec, eph.sunlit, eph.grid.t_s, compute_request_w, comms_active=active, thermal=thermal,
        loss_s=loss_s,
    )  # fmt: skip
