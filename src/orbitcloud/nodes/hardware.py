"""Per-satellite hardware numbers, gathered from each satellite's constellation."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from orbitcloud.orbits.satellites import SatelliteSet
from orbitcloud.scenario.models import Scenario

__all__ = ["per_satellite"]


def per_satellite(
    scenario: Scenario, satellites: SatelliteSet, field: str, scale: float = 1.0
) -> NDArray[np.float64]:
    """``hardware.<field> * scale`` of every satellite's constellation, float64[n_sat]
    (``field`` may be a property, e.g. ``effective_heat_capacity_j_per_k``)."""
    values = [float(getattr(c.hardware, field)) * scale for c in scenario.constellations]
    return np.asarray(values, dtype=np.float64)[satellites.constellation]
