"""Build the scenario's satellites: SGP4 records for Earth orbit, then the nodes beyond it.

Earth-orbit constellations (``walker``, ``tle``, ``elements``) are nodes ``0 .. n_earth-1``
and fly on SGP4; the nodes beyond Earth orbit (``surface``, ``orbiter``, ``ephemeris``, see
:mod:`orbitcloud.orbits.space`) follow them, ``n_earth .. n_sat-1``.

Walker and explicit-element constellations are built with ``Satrec.sgp4init``: their numbers
are SGP4 *mean* elements (Kozai mean motion from Kepler's third law with WGS72 constants), not
osculating Keplerian elements. SGP4 adds J2-J4 secular and periodic terms, so the geocentric
radius of a "550 km" satellite oscillates by several km around 6928 km, and planes precess.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from sgp4.api import WGS72, Satrec, SatrecArray

from orbitcloud.constants import SGP4_EPOCH_ZERO_JD, WGS72_MU_KM3_S2, WGS72_RADIUS_KM
from orbitcloud.scenario.base import check_name
from orbitcloud.scenario.models import (
    ElementsConstellation,
    OrbitElements,
    Scenario,
    SpaceConstellation,
    TleConstellation,
    WalkerConstellation,
)
from orbitcloud.scenario.tle import parse_tle_text, tle_node_names
from orbitcloud.timegrid import epoch_to_jd

if TYPE_CHECKING:
    from orbitcloud.orbits.space import SpaceNodes

__all__ = ["SatelliteSet", "build_satellites", "mean_motion_rad_per_min", "satellites_of"]


@dataclass(frozen=True)
class SatelliteSet:
    """All satellites of a scenario, in node order (satellites are nodes ``0 .. n_sat-1``).

    Attributes:
        names: node names, list[n_sat].
        constellation: index into ``constellation_names`` per satellite, int32[n_sat].
        plane, slot: Walker plane and slot, int32[n_sat] (-1 outside Walker constellations).
        satrecs: one ``sgp4.api.Satrec`` per Earth-orbit satellite, list[n_earth].
        space: the nodes beyond Earth orbit (``n_earth .. n_sat-1``), None when there are none.
    """

    names: list[str]
    constellation_names: list[str]
    constellation: NDArray[np.int32]
    plane: NDArray[np.int32]
    slot: NDArray[np.int32]
    satrecs: list[Satrec] = field(repr=False)
    space: SpaceNodes | None = field(default=None, repr=False)

    @property
    def n_sat(self) -> int:
        return len(self.names)

    @property
    def n_earth(self) -> int:
        """Earth-orbit (SGP4) satellites: nodes ``0 .. n_earth-1``."""
        return len(self.satrecs)

    @property
    def n_space(self) -> int:
        """Nodes beyond Earth orbit: ``n_earth .. n_sat-1``."""
        return self.n_sat - self.n_earth

    def array(self) -> SatrecArray:
        return SatrecArray(self.satrecs)

    def subset(self, start: int, stop: int) -> SatelliteSet:
        """Earth-orbit satellites ``start .. stop-1`` (node ``i`` of the subset is node
        ``start + i``); ``stop <= n_earth``."""
        if stop > self.n_earth:
            raise ValueError(
                f"subset({start}, {stop}): only Earth-orbit satellites (0 .. {self.n_earth - 1}) "
                "run on SGP4"
            )
        return SatelliteSet(
            self.names[start:stop],
            self.constellation_names,
            self.constellation[start:stop],
            self.plane[start:stop],
            self.slot[start:stop],
            self.satrecs[start:stop],
        )

    def indices_of(self, constellation_names: list[str] | None) -> NDArray[np.int64]:
        """Satellite indices belonging to the named constellations (None: all Earth-orbit
        satellites)."""
        if constellation_names is None:
            return np.arange(self.n_earth)
        wanted = [self.constellation_names.index(n) for n in constellation_names]
        return np.flatnonzero(np.isin(self.constellation, wanted))


def mean_motion_rad_per_min(semi_major_axis_km: float) -> float:
    """Kepler mean motion sqrt(mu / a^3) with WGS72 mu, in rad/min as ``sgp4init`` takes it."""
    return float(np.sqrt(WGS72_MU_KM3_S2 / semi_major_axis_km**3) * 60.0)


def _init(satnum: int, epoch: dt.datetime, el: OrbitElements | None = None, **kw: float) -> Satrec:
    if el is not None:
        a_km = el.semi_major_axis_km or WGS72_RADIUS_KM + float(el.altitude_km or 0.0)
        kw = {
            "ecco": el.eccentricity,
            "inclo": np.radians(el.inclination_deg),
            "nodeo": np.radians(el.raan_deg % 360.0),
            "argpo": np.radians(el.arg_perigee_deg % 360.0),
            "mo": np.radians(el.mean_anomaly_deg % 360.0),
            "no_kozai": mean_motion_rad_per_min(a_km),
            "bstar": el.bstar_per_earth_radii,
        }
    jd, fr = epoch_to_jd(epoch)
    sat = Satrec()
    sat.sgp4init(
        WGS72, "i", satnum, jd + fr - SGP4_EPOCH_ZERO_JD,
        kw["bstar"], 0.0, 0.0, kw["ecco"], kw["argpo"], kw["inclo"], kw["mo"],
        kw["no_kozai"], kw["nodeo"],
    )  # fmt: skip
    return sat


def _walker(
    c: WalkerConstellation, epoch: dt.datetime, first_satnum: int
) -> tuple[list[Satrec], list[str], list[int], list[int]]:
    n_total = c.n_sat
    a_km = WGS72_RADIUS_KM + c.altitude_km
    sats: list[Satrec] = []
    names: list[str] = []
    planes: list[int] = []
    slots: list[int] = []
    for p in range(c.planes):
        raan_deg = c.raan0_deg + p * c.effective_raan_spread_deg / c.planes
        for s in range(c.sats_per_plane):
            ma_deg = (
                c.mean_anomaly0_deg + s * 360.0 / c.sats_per_plane + p * c.phasing * 360.0 / n_total
            )
            sats.append(
                _init(
                    first_satnum + len(sats),
                    epoch,
                    ecco=0.0,
                    argpo=0.0,
                    bstar=c.bstar_per_earth_radii,
                    inclo=np.radians(c.inclination_deg),
                    nodeo=np.radians(raan_deg % 360.0),
                    mo=np.radians(ma_deg % 360.0),
                    no_kozai=mean_motion_rad_per_min(a_km),
                )
            )
            names.append(c.satellite_name(p, s))
            planes.append(p)
            slots.append(s)
    return sats, names, planes, slots


def build_satellites(scenario: Scenario) -> SatelliteSet:
    """One ``Satrec`` per satellite of every Earth-orbit constellation, in scenario order,
    then the nodes beyond Earth orbit (:class:`orbitcloud.orbits.space.SpaceNodes`)."""
    satrecs: list[Satrec] = []
    space: list[SpaceConstellation] = []
    names: list[str] = []
    cidx: list[int] = []
    planes: list[int] = []
    slots: list[int] = []
    for k, c in enumerate(scenario.constellations):
        if isinstance(c, WalkerConstellation):
            s, n, p, sl = _walker(c, scenario.epoch, len(satrecs) + 1)
        elif isinstance(c, ElementsConstellation):
            s = [
                _init(len(satrecs) + i + 1, scenario.epoch, el) for i, el in enumerate(c.satellites)
            ]
            n = [el.name for el in c.satellites]
            p, sl = [-1] * len(s), [-1] * len(s)
        elif isinstance(c, TleConstellation):
            entries = parse_tle_text(c.lines or "", c.first_line_number)[: c.limit]
            s = [e.satrec() for e in entries]
            n = [check_name(x, "TLE satellite name") for x in tle_node_names(entries)]
            p, sl = [-1] * len(s), [-1] * len(s)
        else:  # beyond Earth orbit: after every Earth-orbit constellation (scenario check)
            space.append(c)
            n = scenario.satellite_names()[k]
            names += n
            cidx += [k] * len(n)
            planes += [-1] * len(n)
            slots += [-1] * len(n)
            continue
        satrecs += s
        names += n
        cidx += [k] * len(s)
        planes += p
        slots += sl
    taken = {g.name for g in scenario.ground_stations}
    counts = Counter(names)
    dupes = sorted({x for x, k in counts.items() if k > 1} | (set(counts) & taken))
    if dupes:
        raise ValueError(
            f"satellite names must be unique across the scenario; repeated: {dupes[:5]}"
        )
    return SatelliteSet(
        names=names,
        constellation_names=[c.name for c in scenario.constellations],
        constellation=np.asarray(cidx, dtype=np.int32),
        plane=np.asarray(planes, dtype=np.int32),
        slot=np.asarray(slots, dtype=np.int32),
        satrecs=satrecs,
        space=_space_nodes(space, scenario.epoch) if space else None,
    )


def _space_nodes(constellations: list[SpaceConstellation], epoch: dt.datetime) -> SpaceNodes:
    from orbitcloud.orbits.space import SpaceNodes
    from orbitcloud.scenario.trajectory import read_trajectory

    return SpaceNodes.from_constellations(constellations, epoch, read_trajectory)


_BUILT: dict[str, SatelliteSet] = {}


def satellites_of(scenario: Scenario) -> SatelliteSet:
    """``build_satellites(scenario)``, built once per process and scenario (worker processes
    of an executor call this for every task; ``Satrec`` objects do not pickle)."""
    key = scenario.model_dump_json()
    if key not in _BUILT:
        _BUILT.clear()
        _BUILT[key] = build_satellites(scenario)
    return _BUILT[key]
