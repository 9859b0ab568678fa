"""The fleet-hardware table: each satellite's hardware, from its constellation's profile.

:class:`FleetHardware` is the typed input that node physics, compute and the assessment take
instead of the whole scenario: one :class:`~orbitcloud.scenario.models.HardwareProfile` per
constellation and the constellation index of every satellite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orbitcloud.orbits.satellites import SatelliteSet
from orbitcloud.scenario.models import HardwareProfile, Scenario

__all__ = ["FleetHardware", "per_satellite"]


@dataclass(frozen=True)
class FleetHardware:
    """Hardware of every satellite.

    Attributes:
        profiles: one hardware profile per constellation, tuple[n_constellation].
        constellation: int[n_sat], each satellite's constellation (index into ``profiles``).
        names: the constellations' names, tuple[n_constellation], for messages (empty: none
            known; messages then give the index).
    """

    profiles: tuple[HardwareProfile, ...]
    constellation: NDArray[np.intp]
    names: tuple[str, ...] = ()

    @classmethod
    def of(cls, scenario: Scenario, satellites: SatelliteSet) -> FleetHardware:
        return cls(
            tuple(c.hardware for c in scenario.constellations),
            np.asarray(satellites.constellation, dtype=np.intp),
            tuple(c.name for c in scenario.constellations),
        )

    def name(self, i: int) -> str:
        """Name of constellation ``i`` (``#i`` when the table has no names)."""
        return self.names[i] if i < len(self.names) else f"#{i}"

    @property
    def n_sat(self) -> int:
        return int(self.constellation.shape[0])

    def per_satellite(self, field: str, scale: float = 1.0) -> NDArray[np.float64]:
        """``hardware.<field> * scale`` of every satellite, float64[n_sat] (``field`` may be a
        property, e.g. ``effective_heat_capacity_j_per_k``)."""
        values = [float(getattr(h, field)) * scale for h in self.profiles]
        return np.asarray(values, dtype=np.float64)[self.constellation]


def per_satellite(
    scenario: Scenario, satellites: SatelliteSet, field: str, scale: float = 1.0
) -> NDArray[np.float64]:
    """``hardware.<field> * scale`` of every satellite's constellation, float64[n_sat]
    (:meth:`FleetHardware.per_satellite` of the scenario's fleet)."""
    return FleetHardware.of(scenario, satellites).per_satellite(field, scale)
