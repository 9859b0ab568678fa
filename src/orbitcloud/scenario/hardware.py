"""The hardware profile of a node: what it carries and what its power and thermal models need."""

from __future__ import annotations

from pydantic import Field

from orbitcloud.scenario.base import _Model

__all__ = ["HardwareProfile"]


class HardwareProfile(_Model):
    """What one satellite of a constellation carries, and the numbers its power and thermal
    models need (:mod:`orbitcloud.nodes.power`, :mod:`orbitcloud.nodes.thermal`).

    Defaults are typical values with a source; state your own in the scenario when you know
    them.
    """

    storage_tb: float = Field(0.0, ge=0, description="usable storage capacity [TB, 1e12 bytes]")
    compute_tflops: float = Field(0.0, ge=0, description="peak compute [TFLOPS]")
    compute_power_w: float = Field(
        0.0, ge=0, description="IT (compute + storage) power at full load [W]"
    )
    bus_power_w: float = Field(0.0, ge=0, description="platform (bus) power, always drawn [W]")
    comms_power_w: float = Field(
        0.0, ge=0, description="extra power while any link of the satellite is active [W]"
    )
    solar_array_w: float = Field(
        0.0, ge=0, description="solar array output at beginning of life, Sun-pointing [W]"
    )
    solar_degradation_per_year: float = Field(
        0.012,
        ge=0,
        lt=1,
        description="fractional loss of array output per year since launch; default: "
        "triple-junction cells 30 % BOL → 25 % EOL over 15 years (ESA, power.cell_efficiency.*)",
    )
    years_in_orbit: float = Field(0.0, ge=0, description="array age at the scenario epoch [yr]")
    battery_wh: float = Field(0.0, ge=0, description="battery capacity [Wh]")
    battery_max_depth_of_discharge: float = Field(
        0.3,
        gt=0,
        le=1,
        description="deepest allowed discharge (fraction of capacity); default: Saft VES180 "
        "LEO rating, 5 years at 30 % DoD (power.battery.cell_specific_energy note)",
    )
    battery_efficiency: float = Field(
        0.95, gt=0, le=1, description="one-way charge and discharge efficiency (Li-ion)"
    )
    radiator_area_m2: float = Field(0.0, ge=0, description="radiating area (all faces) [m^2]")
    radiator_emissivity: float = Field(0.85, gt=0, le=1, description="infrared emissivity")
    radiator_sink_k: float = Field(
        250.0,
        ge=0,
        lt=400,
        description="effective sink temperature [K]: deep space is 3 K; LEO radiators also see "
        "Earth infrared and albedo, folded into an effective sink of ~200-260 K",
    )
    max_temperature_k: float = Field(
        333.15, gt=0, description="highest allowed node (radiator) temperature [K], 60 °C"
    )
    heat_capacity_j_per_k: float = Field(
        0.0, ge=0, description="thermal mass of the node [J/K]; 0 = 900 J/(kg K) x mass_kg"
    )
    mass_kg: float = Field(0.0, ge=0, description="wet mass of one satellite [kg]")

    @property
    def effective_heat_capacity_j_per_k(self) -> float:
        """``heat_capacity_j_per_k``, or aluminium's 900 J/(kg K) times the mass."""
        return self.heat_capacity_j_per_k or 900.0 * self.mass_kg
