"""Lifecycle CO2e of the orbital option, the break-even launcher factor and the payback time.

Over one design life ``L`` of the fleet (kgCO2e)::

    C_mfg    = m_platform x EF_mfg               spacecraft.manufacturing_kgco2e_per_kg
    C_launch = m_module x EF_launch(boundary)    launch.<launcher>.ef_*_kgco2e_per_kg
    C_eol    = m_module x EF_eol                 spacecraft.end_of_life_kgco2e_per_kg
    C_gs     = f_gs x E x CI_grid                ops.ground_segment_energy_fraction
    C_IT     = E x I_IT,emb                      it.embodied_kgco2e_per_kwh (as on the ground)

    I_orbit  = (C_mfg + C_launch + C_eol + C_gs + C_IT) / E        [kgCO2e per kWh of IT]

(shared/reference/reference-params.md, worked check (b): ``I_b = m (EF_launch + EF_mfg) / E +
I_IT,emb``, here with end of life and the ground segment added). ``I_orbit`` is linear in
``EF_launch``, so the launcher factor that makes it equal to the ground's ``I_ground`` is
exact: ``EF* = (I_ground E - C_mfg - C_eol - C_gs - C_IT) / m_module`` (the reference's
``EF* = (I_a - I_IT,emb - m EF_mfg / E) E / m``).

Launch boundaries: ``combustion-production`` (ORACLE), ``lifecycle`` (ESA-LCA style, saleos),
``lifecycle-high-altitude`` (lifecycle x ``launch.high_altitude_factor``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "LAUNCHERS",
    "LAUNCH_BOUNDARIES",
    "carbon_payback_yr",
    "launch_ef_kgco2e_per_kg",
    "launch_ef_parameter",
]

F64 = NDArray[np.float64]
P = Mapping[str, F64]

LAUNCHERS = ("falcon9", "starship", "ariane6")
LAUNCH_BOUNDARIES = ("combustion-production", "lifecycle", "lifecycle-high-altitude")


def launch_ef_parameter(launcher: str, boundary: str) -> str:
    """Name of the emission-factor parameter behind ``launcher`` at ``boundary``."""
    if launcher not in LAUNCHERS:
        raise ValueError(
            f"launcher {launcher!r} is not known; choose one of {', '.join(LAUNCHERS)}"
        )
    if boundary not in LAUNCH_BOUNDARIES:
        raise ValueError(
            f"launch boundary {boundary!r} is not known; choose one of "
            f"{', '.join(LAUNCH_BOUNDARIES)}"
        )
    kind = "combustion_production" if boundary == "combustion-production" else "lifecycle"
    return f"launch.{launcher}.ef_{kind}_kgco2e_per_kg"


def launch_ef_kgco2e_per_kg(p: P, launcher: str, boundary: str) -> F64:
    """Launch emission factor at the boundary [kgCO2e per kg of payload]."""
    ef = p[launch_ef_parameter(launcher, boundary)]
    if boundary == "lifecycle-high-altitude":
        ef = ef * p["launch.high_altitude_factor"]
    return np.asarray(ef, dtype=np.float64)


def carbon_payback_yr(upfront_kg: F64, annual_saving_kg: F64) -> F64:
    """Years for the yearly saving against the ground option to repay the upfront emissions
    (manufacturing, launch, end of life); ``inf`` where the orbital option saves nothing."""
    upfront_kg = np.asarray(upfront_kg, dtype=np.float64)
    annual_saving_kg = np.asarray(annual_saving_kg, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(annual_saving_kg > 0, upfront_kg / annual_saving_kg, np.inf)
