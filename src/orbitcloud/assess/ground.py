"""The ground option: a terrestrial data centre delivering the same IT energy.

Per kWh of IT energy (formulas as in shared/reference/reference-params.md, worked check (a)):

- carbon ``I = PUE x CI_grid + I_IT,emb`` [kgCO2e/kWh]; the facility's own embodied carbon is
  left out (no sourced figure; this favours the ground option slightly);
- water ``W = WUE_onsite + PUE x W_generation`` [L/kWh] (on-site cooling plus the water
  consumed by power generation, Shehabi et al. 2016);
- cost ``(capex x L / L_facility + capex x f_opex x L + IT capex) / E + PUE x price`` [USD/kWh]
  with ``E = 8766 h x L x utilisation`` per kW of IT, undiscounted.

Parameters are float64[n] or 0-d arrays; results broadcast the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "HOURS_PER_YEAR",
    "grid_kg_per_kwh",
    "ground_co2e_kg_per_kwh",
    "ground_cost_usd_per_kwh",
    "ground_water_l_per_kwh",
]

F64 = NDArray[np.float64]
P = Mapping[str, F64]

#: Hours in a Julian year (365.25 d) [h].
HOURS_PER_YEAR = 8766.0


def grid_kg_per_kwh(p: P, grid_name: str) -> F64:
    """Grid carbon intensity [kgCO2e/kWh] from the ``grid.<C>.<YEAR>.gco2e_per_kwh`` parameter."""
    return np.asarray(p[grid_name] / 1000.0, dtype=np.float64)


def ground_co2e_kg_per_kwh(p: P, grid_name: str) -> F64:
    """``PUE x CI_grid + I_IT,emb`` [kgCO2e per kWh of IT energy]."""
    return np.asarray(
        p["ground.pue"] * grid_kg_per_kwh(p, grid_name) + p["it.embodied_kgco2e_per_kwh"],
        dtype=np.float64,
    )


def ground_water_l_per_kwh(p: P) -> F64:
    """``WUE_onsite + PUE x W_generation`` [L per kWh of IT energy]."""
    return np.asarray(
        p["ground.wue_onsite_l_per_kwh"] + p["ground.pue"] * p["ground.generation_water_l_per_kwh"],
        dtype=np.float64,
    )


def ground_cost_usd_per_kwh(p: P, life_yr: F64, utilisation: F64) -> F64:
    """Facility share, facility opex and IT hardware over the energy of ``life_yr`` at
    ``utilisation``, plus energy at PUE [USD per kWh of IT energy]."""
    kwh_per_kw = HOURS_PER_YEAR * life_yr * utilisation
    capex = p["ground.facility_capex_usd_per_kw"]
    fixed = (
        capex * life_yr / p["ground.facility_life_yr"]
        + capex * p["ground.opex_fraction_per_yr"] * life_yr
        + p["it.cost_usd_per_kw"]
    )
    price = p["ground.electricity_eur_per_kwh"] * p["cost.usd_per_eur"]
    return np.asarray(fixed / kwh_per_kw + p["ground.pue"] * price, dtype=np.float64)
