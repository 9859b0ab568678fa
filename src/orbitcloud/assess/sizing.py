"""Module mass from the hardware and specific-mass parameters; launches per launcher; modules
and launches for a capacity target.

Bottom-up mass of one module (all terms in kg)::

    m_array    = P_array / (W/kg)                      sizing.solar_array_w_per_kg
    m_battery  = E_battery / (Wh/kg)                   sizing.battery_wh_per_kg
    m_radiator = A_panel x kg/m2 x system factor       sizing.radiator_kg_per_m2, _system_factor
    m_it       = P_IT x (kg/kW + shielding kg/kW)      sizing.it_kg_per_kw, .shielding_kg_per_kw
    m_storage  = TB x kg/TB                            sizing.storage_kg_per_tb
    m_module   = sum / (1 - f_structure)               sizing.structure_fraction

Hardware the scenario leaves at 0 is sized first: the array with SMAD's direct-energy-transfer
rule ``P_EOL = P_load (T_e / X_e + T_d / X_d) / T_d``, ``X_e = 0.65``, ``X_d = 0.85`` (Wertz &
Larson, SMAD 3rd ed., eq. 11-5), over the sunlit fraction and degraded to beginning of life
``P_BOL = P_EOL / (1 - d)^L``; the battery to carry the load through the longest eclipse at its
depth of discharge and efficiency; the radiator to reject the whole load at the net panel flux.

Radiator areas: a scenario's ``hardware.radiator_area_m2`` is the *radiating* area, all faces
(what the thermal model's ``ε σ A T⁴`` takes); the specific mass and the net flux are per m² of
two-sided *panel*, so ``A_panel = A_radiating / RADIATING_FACES_PER_PANEL``.

Every function broadcasts: fleet arrays are float64[n_c, 1] (one row per constellation),
parameters are float64[n] or 0-d (one column per parameter draw), results float64[n_c, n].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orbitcloud.assess.fleet import Fleet

__all__ = [
    "DET_ECLIPSE_EFFICIENCY",
    "DET_SUNLIGHT_EFFICIENCY",
    "RADIATING_FACES_PER_PANEL",
    "Masses",
    "launches_for",
    "module_masses",
    "sized_hardware",
]

F64 = NDArray[np.float64]
P = Mapping[str, F64]

#: Direct-energy-transfer path efficiencies, eclipse (via battery) and daylight; SMAD 3rd ed.
#: §11.4, eq. 11-5.
DET_ECLIPSE_EFFICIENCY = 0.65
DET_SUNLIGHT_EFFICIENCY = 0.85
#: A deployable radiator panel radiates from both faces (the reference fluxes and areal
#: densities are per m² of two-sided panel: shared/reference thermal.radiator_flux).
RADIATING_FACES_PER_PANEL = 2.0


def _col(x: F64) -> F64:
    return np.asarray(x, dtype=np.float64)[:, None]


def sized_hardware(fleet: Fleet, p: P, life_yr: F64) -> tuple[F64, F64, F64]:
    """(array W at beginning of life, battery Wh, radiator panel m²) per module,
    float64[n_c, n]: the scenario's values, or sized as the module docstring says where they
    are 0."""
    load_w = _col(fleet.it_w + fleet.bus_w)
    s = np.clip(_col(fleet.sunlit_fraction), 1e-3, 1.0)
    eol_w = load_w * ((1.0 - s) / DET_ECLIPSE_EFFICIENCY + s / DET_SUNLIGHT_EFFICIENCY) / s
    bol_w = eol_w / (1.0 - _col(fleet.degradation_per_year)) ** life_yr
    array_w = np.where(_col(fleet.array_w) > 0, _col(fleet.array_w), bol_w)
    need_wh = (
        load_w
        * _col(fleet.eclipse_s)
        / 3600.0
        / (_col(fleet.battery_dod) * _col(fleet.battery_efficiency))
    )
    battery_wh = np.where(_col(fleet.battery_wh) > 0, _col(fleet.battery_wh), need_wh)
    need_m2 = load_w / p["sizing.radiator_net_flux_w_per_m2"]
    given_m2 = _col(fleet.radiator_m2) / RADIATING_FACES_PER_PANEL
    radiator_m2 = np.where(given_m2 > 0, given_m2, need_m2)
    shape = np.broadcast_shapes(array_w.shape, battery_wh.shape, radiator_m2.shape)
    return (
        np.broadcast_to(array_w, shape),
        np.broadcast_to(battery_wh, shape),
        np.broadcast_to(radiator_m2, shape),
    )


@dataclass(frozen=True)
class Masses:
    """Mass of one module by subsystem [kg], float64[n_c, n]; ``module`` is what flies (the
    scenario's ``mass_kg`` when given and chosen, else ``bottom_up``)."""

    array: F64
    battery: F64
    radiator: F64
    it: F64
    shielding: F64
    storage: F64
    structure: F64
    bottom_up: F64
    module: F64

    @property
    def it_hardware(self) -> F64:
        """IT and storage hardware [kg]: counted by the IT footprint, not the spacecraft's."""
        return self.it + self.storage

    @property
    def platform(self) -> F64:
        """Everything but the IT hardware [kg], >= 0."""
        return np.maximum(self.module - self.it_hardware, 0.0)


def module_masses(fleet: Fleet, p: P, life_yr: F64, use_scenario_mass: bool = True) -> Masses:
    """Bottom-up mass of one module of each constellation (see the module docstring)."""
    array_w, battery_wh, radiator_m2 = sized_hardware(fleet, p, life_yr)
    it_kw = _col(fleet.it_w) / 1000.0
    m_array = array_w / p["sizing.solar_array_w_per_kg"]
    m_battery = battery_wh / p["sizing.battery_wh_per_kg"]
    m_radiator = radiator_m2 * p["sizing.radiator_kg_per_m2"] * p["sizing.radiator_system_factor"]
    m_it = it_kw * p["sizing.it_kg_per_kw"]
    m_shield = it_kw * p["sizing.shielding_kg_per_kw"]
    m_storage = _col(fleet.storage_tb) * p["sizing.storage_kg_per_tb"]
    parts = m_array + m_battery + m_radiator + m_it + m_shield + m_storage
    f = p["sizing.structure_fraction"]
    bottom_up = parts / (1.0 - f)
    given = _col(fleet.mass_kg)
    module = np.where((given > 0) & use_scenario_mass, given, bottom_up)
    shape = module.shape
    return Masses(
        *(
            np.broadcast_to(x, shape)
            for x in (
                m_array,
                m_battery,
                m_radiator,
                m_it,
                m_shield,
                m_storage,
                bottom_up * f,
                bottom_up,
                module,
            )
        )
    )


def launches_for(n_modules: F64, module_kg: F64, payload_kg: F64) -> F64:
    """Launches to deliver ``n_modules`` modules of ``module_kg`` each, float64 (broadcast).

    Modules lighter than the payload share launches (``floor(payload / m)`` per launch); a
    heavier module is split over ``ceil(m / payload)`` launches (assembled in orbit).
    """
    n_modules = np.asarray(n_modules, dtype=np.float64)
    module_kg = np.asarray(module_kg, dtype=np.float64)
    payload_kg = np.asarray(payload_kg, dtype=np.float64)
    per_launch = np.floor(payload_kg / module_kg)
    shared = np.ceil(n_modules / np.maximum(per_launch, 1.0))
    split = n_modules * np.ceil(module_kg / payload_kg)
    return np.where(per_launch >= 1.0, shared, split)
