"""Heat rejection of a satellite: radiator capacity by Stefan–Boltzmann and a one-node
transient temperature model.

- Radiated power ``Q = ε σ A (T^4 - T_sink^4)`` (Stefan–Boltzmann law; σ from CODATA 2018):
  a radiator of area ``A`` and emissivity ``ε`` at temperature ``T`` facing an environment of
  effective temperature ``T_sink`` (deep space 3 K; in LEO, Earth infrared and albedo raise
  the effective sink, e.g. Gilmore, *Spacecraft Thermal Control Handbook*, 2002, ch. 2).
- One node of heat capacity ``C``: ``C dT/dt = P_heat - Q(T)``, where ``P_heat`` is the
  electrical power consumed on board (it all ends up as heat). Integrated by explicit Euler
  on the run's steps, which is stable and accurate when the step is far below the node's
  time constant ``C / (4 ε σ A T^3)`` (checked; hours for real satellites).
- Throttling: at a step starting at ``T``, the heat that keeps ``T`` at or below ``T_max`` at
  the step's end is ``Q(T) + C (T_max - T) / dt``; compute is cut to fit (in
  :func:`orbitcloud.nodes.power.integrate_power`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orbitcloud.constants import STEFAN_BOLTZMANN_W_M2_K4
from orbitcloud.nodes.hardware import FleetHardware
from orbitcloud.orbits.satellites import SatelliteSet
from orbitcloud.scenario.models import Scenario

__all__ = [
    "STEFAN_BOLTZMANN_W_M2_K4",
    "ThermalSpec",
    "heat_limit_w",
    "radiator_capacity_w",
    "steady_state_temperature_k",
]

F64 = NDArray[np.float64]


def radiator_capacity_w(
    area_m2: F64 | float, emissivity: F64 | float, temp_k: F64 | float, sink_k: F64 | float
) -> F64:
    """Net radiated power ``ε σ A (T^4 - T_sink^4)`` [W] (any broadcastable shapes)."""
    t, s = np.asarray(temp_k, dtype=np.float64), np.asarray(sink_k, dtype=np.float64)
    return np.asarray(emissivity) * STEFAN_BOLTZMANN_W_M2_K4 * np.asarray(area_m2) * (t**4 - s**4)


def steady_state_temperature_k(
    heat_w: F64 | float, area_m2: F64 | float, emissivity: F64 | float, sink_k: F64 | float
) -> F64:
    """Temperature at which the radiator rejects ``heat_w``: ``(P / (ε σ A) + T_sink^4)^¼``."""
    q = np.asarray(heat_w, dtype=np.float64)
    return (
        q / (np.asarray(emissivity) * STEFAN_BOLTZMANN_W_M2_K4 * np.asarray(area_m2))
        + np.asarray(sink_k, dtype=np.float64) ** 4
    ) ** 0.25


@dataclass(frozen=True)
class ThermalSpec:
    """Per-satellite thermal parameters, arrays [n_sat]."""

    area_m2: F64
    emissivity: F64
    sink_k: F64
    max_temp_k: F64
    heat_capacity_j_per_k: F64

    @classmethod
    def from_fleet(cls, fleet: FleetHardware) -> ThermalSpec:
        """The thermal parameters of every satellite of the fleet-hardware table; raises when
        a constellation has no radiator or no heat capacity."""
        col = fleet.per_satellite
        spec = cls(
            area_m2=col("radiator_area_m2"),
            emissivity=col("radiator_emissivity"),
            sink_k=col("radiator_sink_k"),
            max_temp_k=col("max_temperature_k"),
            heat_capacity_j_per_k=col("effective_heat_capacity_j_per_k"),
        )
        bad = [
            fleet.name(i)
            for i, h in enumerate(fleet.profiles)
            if h.radiator_area_m2 <= 0 or h.effective_heat_capacity_j_per_k <= 0
        ]
        if bad:
            raise ValueError(
                f"constellation(s) {', '.join(bad)}: the thermal model needs hardware."
                "radiator_area_m2 > 0 and a heat capacity (heat_capacity_j_per_k, or mass_kg)"
            )
        return spec

    @classmethod
    def from_scenario(cls, scenario: Scenario, satellites: SatelliteSet) -> ThermalSpec:
        """:meth:`from_fleet` of the scenario's fleet (a convenience)."""
        return cls.from_fleet(FleetHardware.of(scenario, satellites))

    @property
    def max_sustained_w(self) -> F64:
        """Largest heat load the radiator rejects indefinitely at ``max_temp_k`` [W], [n_sat]."""
        return radiator_capacity_w(self.area_m2, self.emissivity, self.max_temp_k, self.sink_k)

    def time_constant_s(self, temp_k: F64 | float) -> F64:
        """Linearised time constant ``C / (4 ε σ A T^3)`` [s] at ``temp_k``, [n_sat]."""
        g = (
            4.0
            * self.emissivity
            * STEFAN_BOLTZMANN_W_M2_K4
            * self.area_m2
            * np.asarray(temp_k) ** 3
        )
        return self.heat_capacity_j_per_k / g

    def check_step(self, dt_s: float) -> None:
        """Raise if explicit Euler on steps of ``dt_s`` would be inaccurate (> 0.2 τ)."""
        tau = float(np.min(self.time_constant_s(self.max_temp_k)))
        if dt_s > 0.2 * tau:
            raise ValueError(
                f"thermal time constant {tau:.0f} s is too short for {dt_s:g} s steps: use "
                f"step_s <= {0.2 * tau:.0f} or a larger heat capacity (hardware."
                "heat_capacity_j_per_k / mass_kg)"
            )

    def step(self, temp_k: F64, heat_w: F64, dt_s: float) -> F64:
        """Temperature after ``dt_s`` of ``heat_w`` (explicit Euler), [n_sat]."""
        q = radiator_capacity_w(self.area_m2, self.emissivity, temp_k, self.sink_k)
        return temp_k + dt_s * (heat_w - q) / self.heat_capacity_j_per_k


def heat_limit_w(spec: ThermalSpec, temp_k: F64, dt_s: float) -> F64:
    """Most heat [W] a step of ``dt_s`` from ``temp_k`` may take and end at or below
    ``max_temp_k``: ``Q(T) + C (T_max - T) / dt``, [n_sat]."""
    q = radiator_capacity_w(spec.area_m2, spec.emissivity, temp_k, spec.sink_k)
    return np.maximum(q + spec.heat_capacity_j_per_k * (spec.max_temp_k - temp_k) / dt_s, 0.0)
