"""Nodes: power, heat and the compute each satellite can sustain (per node and step)."""

from orbitcloud.nodes.power import PowerBudget, PowerSpec, integrate_power, solar_generation_w
from orbitcloud.nodes.thermal import (
    ThermalSpec,
    heat_limit_w,
    radiator_capacity_w,
    steady_state_temperature_k,
)

__all__ = [
    "PowerBudget",
    "PowerSpec",
    "ThermalSpec",
    "heat_limit_w",
    "integrate_power",
    "radiator_capacity_w",
    "solar_generation_w",
    "steady_state_temperature_k",
]
