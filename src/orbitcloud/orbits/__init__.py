"""Orbits: satellites from the scenario, SGP4 propagation, frames, Sun and eclipses."""

from orbitcloud.orbits.propagate import Ephemeris, Propagator, propagate
from orbitcloud.orbits.satellites import SatelliteSet, build_satellites

__all__ = ["Ephemeris", "Propagator", "SatelliteSet", "build_satellites", "propagate"]
