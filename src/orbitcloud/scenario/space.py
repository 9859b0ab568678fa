"""Scenario schema beyond Earth orbit: nodes on and around the Moon and Mars, trajectories from
ephemeris files, built-in deep-space station sets and the links that reach them.

Three constellation kinds join ``walker``/``tle``/``elements`` (which stay on SGP4):

* ``surface``: sites on the Moon or Mars by planetocentric latitude, east longitude and height
  above the body's reference radius, rotating with the body (IAU/WGCCRE rotation model).
* ``orbiter``: Keplerian orbits around the Moon or Mars, elements referred to the body's IAU
  mean equator of the epoch and its ascending node on the ICRF equator; the central body's J2
  makes the node, periapsis and mean anomaly drift secularly.
* ``ephemeris``: any trajectory given as a CCSDS OEM or CSV file (read into ``text`` by
  ``load_scenario``), interpolated as OEM specifies (Lagrange or Hermite).

Links touching such nodes are listed in ``space_links:`` (:class:`SpaceLinkSpec`): which node
sets talk to which, at what rate (fixed, Shannon budget, or the deep-space Eb/N0 budget of
:class:`DeepSpaceRate`), with line of sight blocked by the Earth, Moon and Mars and Earth links
dropped during solar conjunction.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from orbitcloud.scenario.base import Name, _Model
from orbitcloud.scenario.hardware import HardwareProfile
from orbitcloud.scenario.rates import SpaceRate

__all__ = [
    "SPACE_BODIES",
    "STATION_SETS",
    "BodyOrbitElements",
    "EphemerisConstellation",
    "OrbiterConstellation",
    "SpaceBody",
    "SpaceLinkSpec",
    "SurfaceConstellation",
    "SurfaceSite",
    "TrajectoryFile",
]

#: Bodies that can carry surface sites and orbiters.
SpaceBody = Literal["moon", "mars"]
SPACE_BODIES: tuple[str, ...] = ("moon", "mars")
#: Built-in ground-station sets (``ground_station_sets:``), see ``scenario/data/stations.yaml``.
STATION_SETS: tuple[str, ...] = ("dsn", "estrack")


class SurfaceSite(_Model):
    """A site on a body's surface. Latitude is planetocentric, longitude east-positive in the
    body's IAU frame (the Moon's mean-Earth/polar-axis frame, Mars' IAU 2015 frame)."""

    name: Name
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=360)
    height_km: float = Field(0.0, ge=-20, le=50, description="above the reference radius [km]")
    min_elevation_deg: float = Field(
        5.0, ge=0, lt=90, description="terrain/antenna mask for every link of the site"
    )


class SurfaceConstellation(_Model):
    """Sites on the Moon or Mars (a lunar data centre, a rover) with one hardware profile."""

    kind: Literal["surface"]
    name: Name
    body: SpaceBody
    sites: list[SurfaceSite] = Field(min_length=1, max_length=1000)
    hardware: HardwareProfile = HardwareProfile()


class BodyOrbitElements(_Model):
    """Osculating Keplerian elements of an orbiter at the scenario epoch (angles in degrees),
    in the central body's IAU mean equator of the epoch (``raan_deg`` from the node of that
    equator on the ICRF equator)."""

    name: Name
    semi_major_axis_km: float = Field(gt=0, lt=1e6)
    eccentricity: float = Field(0.0, ge=0, lt=1)
    inclination_deg: float = Field(ge=0, le=180)
    raan_deg: float = Field(0.0, ge=-360, le=360)
    arg_periapsis_deg: float = Field(0.0, ge=-360, le=360)
    mean_anomaly_deg: float = Field(0.0, ge=-360, le=360)


class OrbiterConstellation(_Model):
    """Orbiters around the Moon or Mars (relay satellites such as MRO, MAVEN, TGO)."""

    kind: Literal["orbiter"]
    name: Name
    body: SpaceBody
    satellites: list[BodyOrbitElements] = Field(min_length=1, max_length=1000)
    j2: bool = Field(True, description="secular drift of node, periapsis and mean anomaly by J2")
    hardware: HardwareProfile = HardwareProfile()


class TrajectoryFile(_Model):
    """One trajectory from a file: CCSDS OEM (KVN, CCSDS 502.0-B-3) or CSV.

    CSV columns: ``t_s`` (seconds since the scenario epoch) or ``epoch`` (ISO UTC), then
    ``x_km, y_km, z_km`` and optionally ``vx_km_s, vy_km_s, vz_km_s``, in ICRF axes centred on
    ``center``. OEM files say their centre and frame themselves (ICRF or EME2000).
    """

    name: Name
    file: str | None = None
    format: Literal["oem", "csv"] | None = Field(None, description="default: from the suffix")
    center: Literal["earth", "moon", "mars", "sun"] = Field(
        "earth", description="CSV only: the body the positions are relative to (OEM files say)"
    )
    interpolation_degree: int = Field(7, ge=1, le=15, description="CSV only; OEM files say")
    text: str | None = Field(None, description="the file's text (load_scenario reads `file`)")

    @model_validator(mode="after")
    def _has_text(self) -> TrajectoryFile:
        if self.text is None:
            raise ValueError(
                "give the trajectory as a `file:` that load_scenario() reads, or inline `text`"
            )
        return self

    @property
    def effective_format(self) -> str:
        if self.format is not None:
            return self.format
        return "csv" if (self.file or "").lower().endswith(".csv") else "oem"


class EphemerisConstellation(_Model):
    """Nodes moving along given trajectories (a transfer vehicle, a probe, a halo orbiter)."""

    kind: Literal["ephemeris"]
    name: Name
    satellites: list[TrajectoryFile] = Field(min_length=1, max_length=100)
    hardware: HardwareProfile = HardwareProfile()


class SpaceLinkSpec(_Model):
    """Links between two sets of nodes, at least one end beyond Earth orbit or a station.

    ``from_nodes`` and ``to_nodes`` name nodes, constellations, ground stations or station
    networks (``dsn``, ``estrack``). A pair links while both ends see each other: above each
    surface end's elevation mask (Earth stations: their ``min_elevation_deg``), with the line
    of sight clear of the Earth, Moon and Mars, within ``max_range_km``, and, for a pair with
    one end at the Earth and the other farther than ``conjunction_beyond_km``, with the
    Sun–Earth–probe angle at least ``conjunction_min_sep_deg``.
    """

    name: Name
    from_nodes: list[str] = Field(min_length=1)
    to_nodes: list[str] = Field(min_length=1)
    rate: SpaceRate
    return_rate: SpaceRate | None = Field(None, description="to → from; default: the same as rate")
    one_way: bool = Field(False, description="only from → to")
    max_range_km: float | None = Field(None, gt=0)
    conjunction_min_sep_deg: float = Field(
        3.0,
        ge=0,
        lt=90,
        description="Sun-Earth-probe angle below which Earth links are dropped; ~2-3 deg is "
        "where X-band links fail (DSN 810-005 module 106; Mars missions stop commanding at "
        "about 2 deg)",
    )
    conjunction_beyond_km: float = Field(2e6, gt=0)
    max_contact_s: float = Field(
        86400.0, gt=0, description="longer windows are cut so rate and light time follow range"
    )
