"""Cloud services and node physics: power, heat, faults (and, to come, compute and storage)."""

from orbitcloud.cloud.faults import FaultModel
from orbitcloud.cloud.power import PowerBudget, PowerSpec, integrate_power, solar_generation_w
from orbitcloud.cloud.thermal import (
    ThermalSpec,
    heat_limit_w,
    radiator_capacity_w,
    steady_state_temperature_k,
)

__all__ = [
    "FaultModel",
    "PowerBudget",
    "PowerSpec",
    "ThermalSpec",
    "heat_limit_w",
    "integrate_power",
    "radiator_capacity_w",
    "solar_generation_w",
    "steady_state_temperature_k",
]
