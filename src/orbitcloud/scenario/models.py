"""Scenario file schema: pydantic v2 models, frozen, ``extra="forbid"``, ``kind:`` unions.

Every raw number carries its unit in its name. A scenario is pure data: references to other
files (TLE files, ground-station CSVs, ISL pair lists) are read by
:func:`orbitcloud.scenario.load_scenario`, which turns them into inline data before validation,
so a ``Scenario`` object is complete and self-contained (the run manifest stores it whole).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    field_validator,
    model_validator,
)

from orbitcloud.constants import STEFAN_BOLTZMANN_W_M2_K4
from orbitcloud.scenario.assessment import AssessmentSpec
from orbitcloud.scenario.base import NAME_MAX_CHARS, Name, _Model, check_name
from orbitcloud.scenario.bundles import BundleSpec
from orbitcloud.scenario.errors import shorten
from orbitcloud.scenario.hardware import HardwareProfile
from orbitcloud.scenario.rates import (
    AcmLink,
    DeepSpaceRate,
    FixedRate,
    LinkBudgetRate,
    OpticalLink,
    Rate,
    StationLink,
)
from orbitcloud.scenario.space import (
    STATION_SETS,
    EphemerisConstellation,
    OrbiterConstellation,
    SpaceLinkSpec,
    SurfaceConstellation,
)
from orbitcloud.scenario.storage import (
    ErasurePlacement,
    ReplicationPlacement,
    StorageSpec,
)
from orbitcloud.scenario.terminals import TERMINAL_KINDS, Terminal, TerminalKind
from orbitcloud.scenario.threats import Threat, check_threats
from orbitcloud.scenario.tle import TleFormatError, parse_tle_text, tle_node_names
from orbitcloud.scenario.users import User, check_users
from orbitcloud.scenario.workload import JobRequest, WorkloadSpec

__all__ = [
    "EARTH_ORBIT_KINDS",
    "FAULT_CSV_COLUMNS",
    "FAULT_KINDS",
    "DeepSpaceRate",
    "ElementsConstellation",
    "EphemerisConstellation",
    "FaultEventSpec",
    "FaultKind",
    "FaultProcess",
    "FixedRate",
    "GridTopology",
    "GroundStation",
    "GroundStationFile",
    "HardwareProfile",
    "IslSpec",
    "IslTerminalFailures",
    "LinkBudgetRate",
    "ListTopology",
    "OrbitElements",
    "OrbiterConstellation",
    "RangeTopology",
    "SatelliteLifetimes",
    "Scenario",
    "SolarStorms",
    "SpaceLinkSpec",
    "StationOutageProcess",
    "SurfaceConstellation",
    "Terminal",
    "TleConstellation",
    "Upsets",
    "WalkerConstellation",
]

# --- constellations ------------------------------------------------------------------------


class WalkerConstellation(_Model):
    """A Walker constellation i:T/P/F, built with ``sgp4init`` as SGP4 *mean* elements.

    Plane ``p`` (0..P-1) has RAAN ``raan0 + p * raan_spread / P``; slot ``s`` of plane ``p`` has
    mean anomaly ``ma0 + s * 360/S + p * F * 360/T`` (Walker 1984, "Satellite constellations",
    JBIS 37, 559). Delta patterns spread planes over 360°, star patterns over 180°.
    """

    kind: Literal["walker"]
    name: Name
    pattern: Literal["delta", "star"] = "delta"
    planes: int = Field(ge=1, le=10_000)
    sats_per_plane: int = Field(ge=1, le=10_000)
    phasing: int = Field(0, ge=0, description="Walker phasing factor F, 0 <= F < planes")
    altitude_km: float = Field(
        gt=80, lt=100_000, description="circular altitude above the WGS72 equator"
    )
    inclination_deg: float = Field(ge=0, le=180)
    raan_spread_deg: float | None = Field(
        None, gt=0, le=360, description="default 360 for delta, 180 for star"
    )
    raan0_deg: float = Field(0.0, ge=-360, le=360, description="RAAN of plane 0")
    mean_anomaly0_deg: float = Field(0.0, ge=-360, le=360, description="mean anomaly of slot 0")
    bstar_per_earth_radii: float = Field(
        0.0, ge=0, lt=1, description="SGP4 drag term B*; 0 = no drag"
    )
    hardware: HardwareProfile = HardwareProfile()
    terminals: list[Terminal] = Field(
        default_factory=list,
        description="link terminals on every satellite (for `isls:` sets with `between:`)",
    )

    @model_validator(mode="after")
    def _phasing_below_planes(self) -> WalkerConstellation:
        if self.planes > 1 and self.phasing >= self.planes:
            raise ValueError(f"phasing F={self.phasing} must be < planes={self.planes}")
        longest = self.satellite_name(self.planes - 1, self.sats_per_plane - 1)
        if len(longest) > NAME_MAX_CHARS:
            raise ValueError(
                f"satellite names such as {longest!r} ({len(longest)} characters) would be longer "
                f"than {NAME_MAX_CHARS} characters; shorten the constellation name"
            )
        return self

    def satellite_name(self, plane: int, slot: int) -> str:
        """Node name of slot ``slot`` of plane ``plane``: ``{name}-{plane}-{slot}``, both
        zero-padded to the width of the largest index (``milsca-2-4``, ``starlink-07-21``)."""
        width_p, width_s = len(str(self.planes - 1)), len(str(self.sats_per_plane - 1))
        return f"{self.name}-{plane:0{width_p}d}-{slot:0{width_s}d}"

    def satellite_names(self) -> list[str]:
        """Node names of all satellites, plane by plane (the order of ``build_satellites``)."""
        return [
            self.satellite_name(p, s)
            for p in range(self.planes)
            for s in range(self.sats_per_plane)
        ]

    @property
    def n_sat(self) -> int:
        return self.planes * self.sats_per_plane

    @property
    def effective_raan_spread_deg(self) -> float:
        if self.raan_spread_deg is not None:
            return self.raan_spread_deg
        return 360.0 if self.pattern == "delta" else 180.0


_TLE_LINE1 = re.compile(r"^1 [ 0-9A-Z]{5}")
_TLE_LINE2 = re.compile(r"^2 [ 0-9A-Z]{5}")


class TleConstellation(_Model):
    """Satellites from two-line element sets (e.g. a CelesTrak Starlink file).

    Give ``file`` (a path relative to the scenario file, read by ``load_scenario``) or ``lines``
    (the TLE text inline: 2-line or 3-line format, a name line before each pair optional).
    """

    kind: Literal["tle"]
    name: Name
    file: str | None = None
    lines: str | None = None
    first_line_number: int = Field(
        1, ge=1, description="line number of `lines` in its file (for error messages)"
    )
    limit: int | None = Field(None, ge=1, description="use only the first N satellites")
    hardware: HardwareProfile = HardwareProfile()
    terminals: list[Terminal] = Field(
        default_factory=list,
        description="link terminals on every satellite (for `isls:` sets with `between:`)",
    )

    @model_validator(mode="after")
    def _has_lines(self) -> TleConstellation:
        if self.lines is None:
            if self.file is None:
                raise ValueError("give the TLEs as `file: path.tle` or inline `lines: |`")
            raise ValueError(
                f"file {self.file!r} has not been read: build scenarios that reference files with "
                "orbitcloud.load_scenario(), or pass the TLE text as `lines`"
            )
        return self


class OrbitElements(_Model):
    """One satellite's SGP4 mean elements (angles in degrees).

    Give either ``altitude_km`` (circular-orbit convenience: semi-major axis = WGS72 radius +
    altitude) or ``semi_major_axis_km``.
    """

    name: Name
    altitude_km: float | None = Field(None, gt=80, lt=1_000_000)
    semi_major_axis_km: float | None = Field(None, gt=6458.0, lt=2_000_000)
    eccentricity: float = Field(0.0, ge=0, lt=1)
    inclination_deg: float = Field(ge=0, le=180)
    raan_deg: float = Field(0.0, ge=-360, le=360)
    arg_perigee_deg: float = Field(0.0, ge=-360, le=360)
    mean_anomaly_deg: float = Field(0.0, ge=-360, le=360)
    bstar_per_earth_radii: float = Field(0.0, ge=0, lt=1)

    @model_validator(mode="after")
    def _one_size(self) -> OrbitElements:
        if (self.altitude_km is None) == (self.semi_major_axis_km is None):
            raise ValueError("give exactly one of altitude_km or semi_major_axis_km")
        return self


class ElementsConstellation(_Model):
    """Explicitly listed satellites (custom designs, e.g. a few large data-centre modules)."""

    kind: Literal["elements"]
    name: Name
    satellites: list[OrbitElements] = Field(min_length=1)
    hardware: HardwareProfile = HardwareProfile()
    terminals: list[Terminal] = Field(
        default_factory=list,
        description="link terminals on every satellite (for `isls:` sets with `between:`)",
    )


#: Constellations that fly in Earth orbit, on SGP4.
EarthOrbitConstellation = WalkerConstellation | TleConstellation | ElementsConstellation
#: Constellations beyond Earth orbit (:mod:`orbitcloud.scenario.space`).
SpaceConstellation = SurfaceConstellation | OrbiterConstellation | EphemerisConstellation
EARTH_ORBIT_KINDS: tuple[str, ...] = ("walker", "tle", "elements")

Constellation = Annotated[
    WalkerConstellation
    | TleConstellation
    | ElementsConstellation
    | SurfaceConstellation
    | OrbiterConstellation
    | EphemerisConstellation,
    Field(discriminator="kind"),
]


# --- ground stations -----------------------------------------------------------------------


#: Lowest elevation mask of a station with an ACM link [deg]: the P.676 Annex 2 slant path
#: and the P.618 scintillation model hold from 5° up.
ACM_MIN_ELEVATION_DEG = 5.0


class GroundStation(_Model):
    """A ground station. ``jurisdiction`` is the ISO 3166-1 alpha-2 code of the country whose
    law applies to data up- or downlinked there (used by data-sovereignty policies)."""

    name: Name
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    alt_m: float = Field(0.0, ge=-500, le=9000)
    min_elevation_deg: float = Field(10.0, ge=0, lt=90)
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. IT")
    link_type: Literal["rf", "optical"] = "rf"
    rate_bps: float | None = Field(
        None, gt=0, description="fixed downlink rate (satellite to ground) [bit/s]; or `link`"
    )
    uplink_rate_bps: float | None = Field(None, gt=0, description="default: rate_bps")
    link: StationLink | None = Field(
        None,
        description="RF link whose rate follows elevation, range and weather (kind: acm), "
        "or an optical link blocked by clouds (kind: optical)",
    )
    antennas: int = Field(
        1,
        ge=1,
        le=100_000,
        description="antennas (dishes or optical terminals): at most this many satellites "
        "in contact at once; default 1 (at least the satellite count: no limit)",
    )
    network: str = Field(
        "", max_length=64, description="station network (e.g. dsn), selectable in space_links"
    )
    earth_orbit_passes: bool = Field(
        True, description="also serve Earth-orbit satellites (false for deep-space antennas)"
    )
    diversity_group: str = Field(
        "", max_length=64, description="site-diversity group: metrics report how often at "
        "least one of its stations is usable (orbitcloud.links.diversity)",
    )  # fmt: skip

    @field_validator("jurisdiction", mode="before")
    @classmethod
    def _upper(cls, v: object) -> object:
        return v.upper() if isinstance(v, str) and len(v) == 2 else v

    @model_validator(mode="after")
    def _rates(self) -> GroundStation:
        if self.link is None:
            if self.rate_bps is None:
                raise ValueError("give a fixed `rate_bps` [bit/s] or an ACM `link:`")
            return self
        if isinstance(self.link, OpticalLink):
            if self.rate_bps is not None or self.uplink_rate_bps is not None:
                raise ValueError(
                    "an optical `link:` carries its rates (`link.rate_bps`, "
                    "`link.uplink_rate_bps`): drop `rate_bps`/`uplink_rate_bps`"
                )
            if self.link_type != "optical":
                raise ValueError("link_type: an optical `link:` needs `link_type: optical`")
            return self
        if self.rate_bps is not None:
            raise ValueError("give either `rate_bps` or `link:` (the ACM downlink), not both")
        if self.link.uplink is not None and self.uplink_rate_bps is not None:
            raise ValueError("give either `uplink_rate_bps` or `link.uplink`, not both")
        if self.link.uplink is None and self.uplink_rate_bps is None:
            raise ValueError(
                "an ACM `link:` needs an uplink: `link.uplink` (kind acm or fixed) or "
                "`uplink_rate_bps`"
            )
        if self.min_elevation_deg < ACM_MIN_ELEVATION_DEG:
            raise ValueError(
                f"min_elevation_deg: an ACM `link:` needs at least {ACM_MIN_ELEVATION_DEG:g} "
                f"deg (the range of the ITU-R P.676/P.618 slant-path models), got "
                f"{self.min_elevation_deg:g}"
            )
        return self

    @property
    def downlink_rate_bps(self) -> float:
        """The fixed downlink rate; NaN for an ACM ``link`` (its rate varies by contact)."""
        if isinstance(self.link, OpticalLink):
            return self.link.rate_bps
        return math.nan if self.rate_bps is None else self.rate_bps

    @property
    def effective_uplink_rate_bps(self) -> float:
        """The fixed uplink rate (``uplink_rate_bps``, ``link.uplink`` fixed, else
        ``rate_bps``); NaN for an ACM uplink."""
        if self.uplink_rate_bps is not None:
            return self.uplink_rate_bps
        if isinstance(self.link, OpticalLink):
            return self.link.uplink_rate_bps or self.link.rate_bps
        up = None if self.link is None else self.link.uplink
        if isinstance(up, FixedRate):
            return up.rate_bps
        return self.downlink_rate_bps if up is None else math.nan


class GroundStationFile(_Model):
    """A CSV file of ground stations, read by ``load_scenario``.

    The header names columns among the ``GroundStation`` fields (``name``, ``lat_deg`` and
    ``lon_deg`` at least); ``defaults`` fills fields a row leaves empty or has no column for.
    """

    path: str
    defaults: dict[str, str | float | int] = Field(default_factory=dict)


# --- inter-satellite links -----------------------------------------------------------------


class GridTopology(_Model):
    """+Grid: each satellite links to its two in-plane neighbours and to the same slot in the
    two adjacent planes (Walker constellations only). The seam between the last and first
    plane is linked for delta patterns and left open for star patterns unless ``seam`` says."""

    kind: Literal["grid"]
    seam: bool | None = Field(
        None, description="link last plane to first; default: delta yes, star no"
    )


class RangeTopology(_Model):
    """Every pair in line of sight within ``max_range_km``; optionally at most
    ``max_terminals`` links per satellite, chosen greedily shortest-first at each time step."""

    kind: Literal["range"]
    max_terminals: int | None = Field(None, ge=1, le=64)


class ListTopology(_Model):
    """Explicit satellite pairs: ``pairs`` inline, or ``file`` (CSV ``a,b`` per line, read by
    ``load_scenario``)."""

    kind: Literal["list"]
    file: str | None = None
    pairs: list[tuple[str, str]] | None = None

    @model_validator(mode="after")
    def _has_pairs(self) -> ListTopology:
        if self.pairs is None:
            raise ValueError(
                "give the pairs inline (`pairs: [[a, b], ...]`) or as a `file:` that "
                "load_scenario() reads"
            )
        return self


Topology = Annotated[GridTopology | RangeTopology | ListTopology, Field(discriminator="kind")]


class IslSpec(_Model):
    """One set of inter-satellite links.

    The line-of-sight test requires the segment between the satellites to stay above a sphere
    of radius WGS84 equatorial radius + ``grazing_altitude_km`` (the atmosphere a laser must
    not cross)."""

    name: Name = "isl"
    constellations: list[str] | None = Field(
        None, description="default: all constellations (grid: all Walker constellations)"
    )
    between: tuple[str, str] | None = Field(
        None,
        description="inter-layer set: link satellites of these two constellations (one of "
        "each) through their `terminal` terminals; topology `range`",
    )
    terminal: TerminalKind | None = Field(
        None, description="with `between`: the terminal kind both sides use (optical or rf)"
    )
    topology: Topology
    max_range_km: float = Field(5000.0, gt=0)
    grazing_altitude_km: float = Field(80.0, ge=0)
    rate: Rate

    def terminal_of(self, c: EarthOrbitConstellation) -> Terminal | None:
        """The terminal of this set's kind on constellation ``c`` (None: it has none)."""
        return next((t for t in c.terminals if t.kind == self.terminal), None)


# --- faults --------------------------------------------------------------------------------

#: The fault kinds, once for the whole project (:mod:`orbitcloud.faults` re-exports them; the
#: scenario, the lowest stage, defines them because its schema needs them).
FaultKind = Literal["satellite_loss", "cluster_loss", "isl_failure", "station_outage", "bit_flip"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
#: The columns of the one fault CSV format (``faults_file:``, :mod:`orbitcloud.faults`), in
#: the order they are written; ``t_s`` and ``kind`` are required.
FAULT_CSV_COLUMNS: tuple[str, ...] = ("t_s", "kind", "target", "duration_s", "bits")


class FaultEventSpec(_Model):
    """One fault of the top-level ``faults:`` section (see :mod:`orbitcloud.faults`).

    ``target`` by kind: ``satellite_loss`` a satellite; ``cluster_loss`` comma-separated
    satellites or ``plane:<constellation>:<plane index>`` (a solar storm taking a cluster);
    ``isl_failure`` a satellite (all its laser terminals); ``station_outage`` a ground station
    (for ``duration_s``; optical stations: weather); ``bit_flip`` a node, or empty for any
    stored shard (``bits`` upsets in shard payloads, seeded)."""

    t_s: float = Field(ge=0)
    kind: FaultKind
    target: str = ""
    duration_s: float | None = Field(
        None, gt=0, description="none: until the end of the run; losses are permanent"
    )
    bits: int = Field(1, ge=1, le=1_000_000)


#: Seconds in a (Julian) year, the unit of the ``per_year`` rates below.
_YEAR_S = 365.25 * 86400.0


class _SatelliteSet(_Model):
    """Which satellites a drawn process acts on: those of ``constellations`` plus the named
    ``satellites``; neither given: every satellite of the scenario."""

    constellations: list[str] | None = Field(None, description="default: all")
    satellites: list[str] | None = Field(None, description="default: all (or constellations)")


class SatelliteLifetimes(_SatelliteSet):
    """Satellite losses with Weibull lifetimes from the epoch, ``F(t) = 1 - exp(-(t/η)^β)``
    (:class:`orbitcloud.faults.schedule.Lifetimes`; ``β < 1``: infant mortality, Castet & Saleh
    2009). Give the scale as ``mean_life_years`` (``η = mean / Γ(1 + 1/β)``) or as
    ``annual_failure_probability`` (``F(1 yr) = p``; 0.02 per satellite-year typical in LEO)."""

    kind: Literal["satellite_lifetimes"]
    weibull_shape: float = Field(1.0, gt=0, le=100, description="β; 1: exponential")
    mean_life_years: float | None = Field(None, gt=0)
    annual_failure_probability: float | None = Field(None, ge=0, lt=1)

    @model_validator(mode="after")
    def _one_scale(self) -> SatelliteLifetimes:
        if (self.mean_life_years is None) == (self.annual_failure_probability is None):
            raise ValueError("give exactly one of mean_life_years and annual_failure_probability")
        return self


class SolarStorms(_Model):
    """Correlated losses: storms arrive as a Poisson process of ``per_year``; each removes one
    uniformly chosen orbital ``plane`` (a satellite outside a Walker constellation is its own
    plane) or one whole ``shell`` (constellation) of ``constellations`` (default: all)."""

    kind: Literal["solar_storms"]
    per_year: float = Field(ge=0)
    scope: Literal["plane", "shell"] = "plane"
    constellations: list[str] | None = Field(None, description="default: all")


class IslTerminalFailures(_SatelliteSet):
    """Laser-terminal failures: each satellite's terminals fail as a Poisson process of
    ``per_satellite_per_year`` and are down (all its ISLs) for ``repair_s`` (none: for the rest
    of the run); the next failure can only come after a repair."""

    kind: Literal["isl_terminal_failures"]
    per_satellite_per_year: float = Field(ge=0)
    repair_s: float | None = Field(None, gt=0, description="none: permanent")


class StationOutageProcess(_Model):
    """Ground-station outages (weather, maintenance): ``per_year`` outages a station on
    average, exponential durations of mean ``mean_duration_s`` (an alternating renewal
    process, :class:`orbitcloud.faults.schedule.StationOutages`: a station is down a fraction
    ``per_year × mean_duration_s / 1 yr`` of the time), on ``stations`` (default: all)."""

    kind: Literal["station_outages"]
    per_year: float = Field(ge=0)
    mean_duration_s: float = Field(gt=0)
    stations: list[str] | None = Field(None, description="default: all")

    @model_validator(mode="after")
    def _below_always_down(self) -> StationOutageProcess:
        if self.per_year * self.mean_duration_s >= _YEAR_S:
            raise ValueError(
                f"per_year × mean_duration_s = {self.per_year * self.mean_duration_s:.6g} s is "
                f"at least a year ({_YEAR_S:.0f} s): the station would always be down"
            )
        return self


class Upsets(_SatelliteSet):
    """Single-event upsets in stored shard payloads: ``bit_flips_per_day`` over the chosen
    satellites together (a Poisson process, each flip on a uniformly chosen one still alive)
    — one-bit ``bit_flip`` events the storage service applies."""

    kind: Literal["upsets"]
    bit_flips_per_day: float = Field(ge=0, le=1e6)


#: One drawn fault process of the top-level ``fault_processes:`` section.
FaultProcess = Annotated[
    SatelliteLifetimes | SolarStorms | IslTerminalFailures | StationOutageProcess | Upsets,
    Field(discriminator="kind"),
]


# --- scenario ------------------------------------------------------------------------------


class Scenario(_Model):
    """One orbitcloud scenario: when, what flies, who is on the ground, how they link."""

    name: Name
    description: str = ""
    epoch: AwareDatetime = Field(description="UTC start of the run, e.g. 2026-03-20T00:00:00Z")
    duration_s: float = Field(gt=0, le=10 * 365.25 * 86400)
    step_s: float = Field(gt=0, le=86400, description="sampling step of the time grid")
    seed: int = Field(0, ge=0, le=2**63 - 1)
    constellations: list[Constellation] = Field(min_length=1)
    ground_stations: list[GroundStation] = Field(default_factory=list)
    ground_station_files: list[GroundStationFile] = Field(
        default_factory=list, description="CSV imports; merged into ground_stations on load"
    )
    ground_station_sets: list[Literal["dsn", "estrack"]] = Field(
        default_factory=list,
        description="built-in deep-space station sets, merged into ground_stations",
    )
    isls: list[IslSpec] = Field(default_factory=list)
    space_links: list[SpaceLinkSpec] = Field(
        default_factory=list,
        description="links of nodes beyond Earth orbit (Moon, Mars, trajectories) and stations",
    )
    bundles: BundleSpec | None = Field(
        None, description="probe bundles routed over the run's network (delivery latency)"
    )
    workload: WorkloadSpec | None = Field(
        None, description="compute jobs to run (Earth-observation captures); none: no jobs"
    )
    storage: StorageSpec | None = Field(
        None, description="object storage service: tenants, placement, scrubbing; none: off"
    )
    faults: list[FaultEventSpec] = Field(
        default_factory=list,
        description="fault timeline felt by every stage (contacts, routes, power, services)",
    )
    faults_file: str | None = Field(
        None,
        description="CSV with columns t_s,kind,target[,duration_s][,bits]; merged into faults "
        "on load",
    )
    fault_processes: list[FaultProcess] = Field(
        default_factory=list,
        description="drawn faults (Weibull lifetimes, storms, ISL terminals, station outages, "
        "upsets), seeded from `seed` over duration_s and merged with `faults` by time",
    )
    threats: list[Threat] = Field(
        default_factory=list,
        description="adversaries: compromised satellites, rogue ground stations, jammers, "
        "link flooding (see orbitcloud.scenario.threats)",
    )
    users: list[User] = Field(
        default_factory=list,
        description="user terminals (ships, aircraft, land units, fixed sites) that link to "
        "satellites by a policy, hand over, and send their demand over the run's network",
    )
    assessment: AssessmentSpec = Field(
        default_factory=lambda: AssessmentSpec(),
        description="lifecycle carbon, water and cost: parameter overrides and options",
    )

    @model_validator(mode="before")
    @classmethod
    def _faults_moved(cls, v: object) -> object:
        storage = v.get("storage") if isinstance(v, dict) else None
        if isinstance(storage, dict):
            for key in ("faults", "faults_file"):
                if key in storage:
                    raise ValueError(
                        f"storage.{key}: moved to the top-level {key}: section (every stage "
                        f"feels the faults, not only storage); move it out of storage:"
                    )
        return v

    @model_validator(mode="before")
    @classmethod
    def _station_sets(cls, v: object) -> object:
        """Built-in station sets become ground stations (so a dumped scenario round-trips)."""
        if not isinstance(v, dict) or not v.get("ground_station_sets"):
            return v
        sets = v["ground_station_sets"]
        if not isinstance(sets, list) or not all(x in STATION_SETS for x in sets):
            return v  # validation reports it
        from orbitcloud.scenario.stations import station_set

        have = v.get("ground_stations") or []
        if not isinstance(have, list):
            return v
        names = {g.get("name") for g in have if isinstance(g, dict)}
        added = [g for s in dict.fromkeys(sets) for g in station_set(s) if g["name"] not in names]
        return {**v, "ground_station_sets": [], "ground_stations": [*have, *added]}

    @field_validator("epoch")
    @classmethod
    def _utc(cls, v: dt.datetime) -> dt.datetime:
        return v.astimezone(dt.UTC)

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        bad = _first_non_finite(self, "")
        if bad is not None:
            path, value = bad
            raise ValueError(
                f"{path}: {value!r} is not allowed: numbers must be finite (no .inf or .nan)"
            )
        if self.step_s > self.duration_s:
            raise ValueError(f"step_s={self.step_s} is longer than duration_s={self.duration_s}")
        if self.ground_station_files:
            raise ValueError(
                "ground_station_files have not been read: load scenarios that reference files "
                "with orbitcloud.load_scenario()"
            )
        if self.faults_file is not None:
            raise ValueError(
                "faults_file has not been read: load scenarios that reference files with "
                "orbitcloud.load_scenario()"
            )
        names: dict[str, str] = {}
        for i, c in enumerate(self.constellations):
            if c.name in names:
                raise ValueError(
                    f"constellations[{i}].name: two constellations are named {c.name!r}; "
                    "names must be unique"
                )
            names[c.name] = "constellation"
        for j, g in enumerate(self.ground_stations):
            if g.name in names:
                raise ValueError(
                    f"ground_stations[{j}].name: ground station name {g.name!r} is used twice "
                    "(or by a constellation); node names must be unique"
                )
            names[g.name] = "ground station"
        self._check_thermal_step()
        self._check_space_order()
        sats = self._check_satellite_names()
        self._check_space_links(sats)
        if self.bundles is not None:
            self._check_bundles(self.bundles, sats)
        by_name = {c.name: c for c in self.constellations}
        for k, isl in enumerate(self.isls):
            for cname in isl.constellations or []:
                if cname not in by_name:
                    raise ValueError(
                        f"isl {isl.name!r} names constellation {shorten(cname)}, which is not "
                        f"defined; defined: {', '.join(by_name)}"
                    )
                if by_name[cname].kind not in EARTH_ORBIT_KINDS:
                    raise ValueError(
                        f"isls[{k}] ({isl.name!r}) names {cname!r}, which is beyond Earth "
                        "orbit; list its links in `space_links:` instead"
                    )
            if isinstance(isl.topology, GridTopology):
                # without a list, a grid links the Walker constellations (others have no planes)
                named = isl.constellations or []
                bad_c = [n for n in named if not isinstance(by_name[n], WalkerConstellation)]
                if not named and not any(
                    isinstance(c, WalkerConstellation) for c in self.constellations
                ):
                    bad_c = list(by_name)
                if bad_c:
                    raise ValueError(
                        f"isl {isl.name!r}: grid topology needs Walker constellations (planes and "
                        f"slots); {', '.join(bad_c)} is not one. Use topology kind `range` or "
                        "`list`."
                    )
            if isinstance(isl.topology, ListTopology):
                for j, pair in enumerate(isl.topology.pairs or []):
                    for n in pair:
                        if n not in sats:
                            raise ValueError(
                                f"isls[{k}].topology.pairs[{j}]: {shorten(n)} is not a satellite "
                                f"of this scenario; satellite names look like "
                                f"{_examples(list(sats))}"
                            )
        self._check_terminals(by_name)
        if self.workload is not None:
            self._check_requests(self.workload)
            self._check_stored_inputs(self.workload, sats)
        if self.storage is not None:
            self._check_storage(self.storage, sats)
        stations = [g.name for g in self.ground_stations]
        for j, f in enumerate(self.faults):
            _check_fault_target(f, f"faults[{j}].target", sats, stations, self)
        for j, proc in enumerate(self.fault_processes):
            _check_fault_process(proc, f"fault_processes[{j}]", sats, stations, list(by_name))
        check_threats(
            self.threats, sats, {*sats, *stations}, self.duration_s,
            {g.name: g.link if isinstance(g.link, AcmLink) else None
             for g in self.ground_stations},
            {u.name: u.terminal.link for u in self.users},
        )  # fmt: skip
        if self.users:
            taken = {*names, *sats, *(getattr(t, "name", "") for t in self.threats)}
            check_users(self.users, {c.name: c.kind for c in self.constellations}, stations, taken)
        return self

    def _check_terminals(self, by_name: dict[str, Constellation]) -> None:
        """Terminals (one per kind per constellation) and the inter-layer ISL sets that use
        them (``between:`` two Earth-orbit constellations, ``terminal:`` a kind both carry)."""
        for i, c in enumerate(self.constellations):
            seen: dict[str, str] = {}
            for j, t in enumerate(getattr(c, "terminals", [])):
                where = f"constellations[{i}].terminals[{j}]"
                if t.name in seen.values():
                    raise ValueError(f"{where}.name: terminal name {t.name!r} is used twice")
                if t.kind in seen:
                    raise ValueError(
                        f"{where}.kind: {c.name!r} already has a {t.kind} terminal "
                        f"({seen[t.kind]!r}); give one terminal per kind and its `count`"
                    )
                seen[t.kind] = t.name
        used: dict[tuple[str, str], str] = {}
        for k, isl in enumerate(self.isls):
            where = f"isls[{k}] ({isl.name!r})"
            if isl.between is None:
                if isl.terminal is not None:
                    raise ValueError(
                        f"{where}.terminal: terminals are used by inter-layer sets only; add "
                        "`between: [constellation, constellation]` (or, within one set of "
                        "constellations, use topology.max_terminals)"
                    )
                continue
            if isl.constellations is not None:
                raise ValueError(
                    f"{where}.between: give either `between` (two constellations linked to each "
                    "other) or `constellations`, not both"
                )
            for cname in isl.between:
                if cname not in by_name:
                    raise ValueError(
                        f"{where}.between: constellation {shorten(cname)} is not defined; "
                        f"defined: {', '.join(by_name)}"
                    )
                if by_name[cname].kind not in EARTH_ORBIT_KINDS:
                    raise ValueError(
                        f"{where}.between: {cname!r} is beyond Earth orbit; list its links in "
                        "`space_links:` instead"
                    )
            if isl.between[0] == isl.between[1]:
                raise ValueError(
                    f"{where}.between: names {isl.between[0]!r} twice; an inter-layer set links "
                    "two different constellations"
                )
            if not isinstance(isl.topology, RangeTopology) or isl.topology.max_terminals:
                raise ValueError(
                    f"{where}.topology: an inter-layer set (`between`) takes `{{kind: range}}` "
                    "without max_terminals (the terminals' counts limit its links)"
                )
            if isl.terminal is None:
                raise ValueError(
                    f"{where}.terminal: missing; give the terminal kind both sides use "
                    f"({' or '.join(TERMINAL_KINDS)})"
                )
            for cname in isl.between:
                c = by_name[cname]
                assert not isinstance(c, SpaceConstellation)  # checked above
                if isl.terminal_of(c) is None:
                    have = ", ".join(f"{t.name} ({t.kind})" for t in c.terminals) or "none"
                    raise ValueError(
                        f"{where}.terminal: {isl.terminal}: constellation {cname!r} declares "
                        f"no {isl.terminal} terminal (its terminals: {have})"
                    )
                key = (cname, isl.terminal)
                if key in used:
                    raise ValueError(
                        f"{where}.between: {cname!r}'s {isl.terminal} terminals are already "
                        f"used by isl {used[key]!r}; one inter-layer set per constellation and "
                        "terminal kind (they are assigned per set)"
                    )
                used[key] = isl.name

    def _check_thermal_step(self) -> None:
        """With the thermal model on (every constellation has a radiator and a heat capacity,
        some a solar array), ``step_s`` is at most 0.2 of the shortest thermal time constant
        ``C / (4 ε σ A T_max^3)``, as :meth:`orbitcloud.nodes.thermal.ThermalSpec.check_step`
        requires of its explicit Euler steps."""
        hw = [c.hardware for c in self.constellations]
        if not any(h.solar_array_w > 0 for h in hw) or not all(
            h.radiator_area_m2 > 0 and h.effective_heat_capacity_j_per_k > 0 for h in hw
        ):
            return
        for i, h in enumerate(hw):
            g = (
                4.0
                * h.radiator_emissivity
                * STEFAN_BOLTZMANN_W_M2_K4
                * h.radiator_area_m2
                * h.max_temperature_k**3
            )
            tau_s = h.effective_heat_capacity_j_per_k / g
            if self.step_s > 0.2 * tau_s:
                raise ValueError(
                    f"constellations[{i}].hardware: thermal time constant {tau_s:.3g} s (heat "
                    f"capacity {h.effective_heat_capacity_j_per_k:.3g} J/K, radiator "
                    f"{h.radiator_area_m2:g} m^2) is too short for step_s={self.step_s:g}: use "
                    f"step_s <= {0.2 * tau_s:.3g} or a larger heat_capacity_j_per_k or mass_kg"
                )

    def _check_space_order(self) -> None:
        """Earth-orbit constellations come first, so they are nodes ``0 .. n_earth-1``."""
        seen_space = None
        for i, c in enumerate(self.constellations):
            if c.kind in EARTH_ORBIT_KINDS and seen_space is not None:
                raise ValueError(
                    f"constellations[{i}] ({c.name!r}, kind {c.kind}): Earth-orbit "
                    f"constellations (walker, tle, elements) come before those beyond Earth "
                    f"orbit (surface, orbiter, ephemeris); move it above {seen_space!r}"
                )
            if c.kind not in EARTH_ORBIT_KINDS and seen_space is None:
                seen_space = c.name
        for i, c in enumerate(self.constellations):
            if isinstance(c, EphemerisConstellation):
                from orbitcloud.scenario.trajectory import read_trajectory

                for j, traj in enumerate(c.satellites):
                    try:
                        t = read_trajectory(traj, self.epoch)
                    except ValueError as exc:
                        raise ValueError(f"constellations[{i}].satellites[{j}]: {exc}") from None
                    if t.t_s[0] > 0.0 or t.t_s[-1] < self.duration_s:
                        raise ValueError(
                            f"constellations[{i}].satellites[{j}] ({traj.name!r}): the "
                            f"trajectory covers t_s {t.t_s[0]:.6g}..{t.t_s[-1]:.6g} s, the run "
                            f"0..{self.duration_s:.6g} s; give samples over the whole run"
                        )
            if isinstance(c, OrbiterConstellation):
                from orbitcloud.constants import MARS_EQUATORIAL_RADIUS_KM, MOON_RADIUS_KM

                radius = MOON_RADIUS_KM if c.body == "moon" else MARS_EQUATORIAL_RADIUS_KM
                for j, el in enumerate(c.satellites):
                    peri = el.semi_major_axis_km * (1.0 - el.eccentricity)
                    if peri <= radius:
                        raise ValueError(
                            f"constellations[{i}].satellites[{j}]: periapsis radius {peri:.6g} "
                            f"km is inside {c.body} (radius {radius} km); raise "
                            f"semi_major_axis_km or lower eccentricity"
                        )

    def _check_space_links(self, sats: dict[str, tuple[int, int]]) -> None:
        """Every space-link end names a node, constellation, station or station network, and
        every pair it makes has at least one end beyond Earth orbit."""
        space = {n for c, names in zip(self.constellations, self.satellite_names(), strict=True)
                 if c.kind not in EARTH_ORBIT_KINDS for n in names}  # fmt: skip
        stations = [g.name for g in self.ground_stations]
        for k, link in enumerate(self.space_links):
            for side in ("from_nodes", "to_nodes"):
                for j, sel in enumerate(getattr(link, side)):
                    if not self.select_nodes([sel]):
                        raise ValueError(
                            f"space_links[{k}].{side}[{j}]: {shorten(sel)} names no node, "
                            f"constellation, ground station or station network of this "
                            f"scenario; nodes look like {_examples(list(sats) + stations)}"
                        )
            a, b = self.select_nodes(link.from_nodes), self.select_nodes(link.to_nodes)
            if not (set(a) & space or set(b) & space):
                raise ValueError(
                    f"space_links[{k}] ({link.name!r}): neither end is beyond Earth orbit "
                    "(surface, orbiter or ephemeris nodes); Earth-orbit links are `isls:` and "
                    "ground stations"
                )

    def _check_bundles(self, b: BundleSpec, sats: dict[str, tuple[int, int]]) -> None:
        stations = [g.name for g in self.ground_stations]
        if b.from_node not in sats and b.from_node not in stations:
            raise ValueError(
                f"bundles.from_node: {shorten(b.from_node)} is not a node of this scenario; "
                f"nodes look like {_examples(list(sats) + stations)}"
            )
        for j, sel in enumerate(b.to_nodes):
            if not self.select_nodes([sel]):
                raise ValueError(
                    f"bundles.to_nodes[{j}]: {shorten(sel)} names no node, constellation, "
                    "ground station or station network of this scenario"
                )
        n = int((self.duration_s - b.start_s) // b.every_s) + 1
        if b.start_s >= self.duration_s or n > b.max_bundles:
            raise ValueError(
                f"bundles: every_s={b.every_s:g} from start_s={b.start_s:g} gives {max(n, 0)} "
                f"bundles over duration_s={self.duration_s:g}; allowed 1 to max_bundles="
                f"{b.max_bundles}: raise every_s"
            )

    def select_nodes(self, selectors: list[str]) -> list[str]:
        """Node names picked by ``selectors`` (node, constellation, ground-station or station
        network names), in node order (satellites, then stations), without repeats."""
        want = set(selectors)
        out: list[str] = []
        for c, names in zip(self.constellations, self.satellite_names(), strict=True):
            out += [n for n in names if c.name in want or n in want]
        out += [
            g.name
            for g in self.ground_stations
            if g.name in want or (g.network and g.network in want)
        ]
        return list(dict.fromkeys(out))

    def satellite_names(self) -> list[list[str]]:
        """Node names of every constellation's satellites, in scenario and node order (as
        :func:`orbitcloud.orbits.satellites.build_satellites` names them)."""
        return [_satellite_names(c) for c in self.constellations]

    def _check_satellite_names(self) -> dict[str, tuple[int, int]]:
        """Satellite names are valid names and unique among all nodes; returns name →
        (constellation index, plane or -1)."""
        stations = {g.name for g in self.ground_stations}
        out: dict[str, tuple[int, int]] = {}
        for i, c in enumerate(self.constellations):
            names = _satellite_names(c, f"constellations[{i}].lines")
            per_plane = c.sats_per_plane if isinstance(c, WalkerConstellation) else 0
            for j, n in enumerate(names):
                if n in out or n in stations:
                    other = (
                        "a ground station"
                        if n in stations
                        else f"a satellite of {self.constellations[out[n][0]].name!r}"
                    )
                    raise ValueError(
                        f"constellations[{i}]: satellite name {n!r} of {c.name!r} is also "
                        f"{other}; node names must be unique"
                    )
                out[n] = (i, j // per_plane if per_plane else -1)
        return out

    def _check_stored_inputs(
        self, workload: WorkloadSpec, sats: dict[str, tuple[int, int]]
    ) -> None:
        """Requests with ``input: storage`` can be placed as the run will place them: enough
        satellites with room for a shard (distinct planes or constellations when asked), and
        room for every request's shards in all (the run places them one by one)."""
        cap = [c.hardware.storage_tb * 1e12 for c in self.constellations]  # TB_BYTES
        total_free = sum(cap[ci] for ci, _ in sats.values())
        needed = 0.0
        for j, r in enumerate(workload.requests):
            if r.input != "storage":
                continue
            spec = self._stored_placement(workload, r)
            if isinstance(spec, ErasurePlacement):
                k, n, what = spec.k, spec.k + spec.m, f"erasure {spec.k}+{spec.m}"
            else:
                k, n, what = 1, spec.copies, f"replication x{spec.copies}"
            shard = r.input_bytes / k
            room = [(ci, p, nm) for nm, (ci, p) in sats.items() if cap[ci] >= shard]
            domains = len(room)
            if spec.distinct_planes:
                domains = len({(ci, p if p >= 0 else nm) for ci, p, nm in room})
            if spec.distinct_constellations:
                domains = min(domains, len({ci for ci, _, _ in room}))
            if domains < n:
                raise ValueError(
                    f"workload.requests[{j}] ({r.name}): its stored input ({what}) needs {n} "
                    f"satellites{' on distinct planes' if spec.distinct_planes else ''} with "
                    f"room for a {shard:.3g}-byte shard; this scenario has {domains}. Give the "
                    "request (or the storage tenant) a `placement:` with fewer shards, or more "
                    "satellites / hardware.storage_tb"
                )
            needed += r.count * n * shard
        if needed > total_free:
            raise ValueError(
                f"workload.requests: the stored inputs need {needed:.3g} bytes of satellite "
                f"storage in all; the satellites hold {total_free:.3g} (hardware.storage_tb)"
            )

    def _stored_placement(
        self, workload: WorkloadSpec, r: JobRequest
    ) -> ErasurePlacement | ReplicationPlacement:
        """The placement of a stored request input, as the run resolves it: the request's,
        else its storage tenant's, else the storage section's, else erasure 4+2."""
        if r.placement is not None:
            return r.placement
        if self.storage is None:
            return ErasurePlacement(kind="erasure", k=4, m=2)
        tenant = workload.tenant_of(r).name
        for t in self.storage.tenants:
            if t.name == tenant and t.placement is not None:
                return t.placement
        return self.storage.placement

    def _check_requests(self, workload: WorkloadSpec) -> None:
        """Request stations exist and the tenant may use them."""
        stations = {g.name: g for g in self.ground_stations}
        for j, r in enumerate(workload.requests):
            if isinstance(r.placement, ReplicationPlacement):
                self._station(
                    r.placement.ground_site, f"workload.requests[{j}].placement.ground_site"
                )
            if r.station is None:
                continue
            where = f"workload.requests[{j}].station"
            self._station(r.station, where)
            tenant = workload.tenant_of(r)
            juris = stations[r.station].jurisdiction
            if (
                tenant.allowed_jurisdictions is not None
                and juris not in tenant.allowed_jurisdictions
            ):
                raise ValueError(
                    f"{where}: tenant {tenant.name!r} may not use {r.station} ({juris}); "
                    f"allowed: {', '.join(tenant.allowed_jurisdictions)}"
                )

    def _station(self, name: str | None, where: str) -> None:
        """``name`` (if given) is a ground station; else a ValueError naming ``where``."""
        if name is None or any(g.name == name for g in self.ground_stations):
            return
        raise ValueError(
            f"{where}: {shorten(name)} is not a ground station of this scenario; "
            f"stations: {_examples([g.name for g in self.ground_stations]) or '(none)'}"
        )

    def _check_storage(self, spec: StorageSpec, sats: dict[str, tuple[int, int]]) -> None:
        """Storage stations and sites name ground stations."""
        for j, w in enumerate(spec.workloads):
            self._station(w.put_station, f"storage.workloads[{j}].put_station")
            self._station(w.get_station, f"storage.workloads[{j}].get_station")
        placements: list[tuple[str, ReplicationPlacement | ErasurePlacement | None]] = [
            ("storage.placement", spec.placement)
        ] + [(f"storage.tenants[{j}].placement", t.placement) for j, t in enumerate(spec.tenants)]
        for where, pl in placements:
            if isinstance(pl, ReplicationPlacement):
                self._station(pl.ground_site, f"{where}.ground_site")
        self._station(spec.lost_site, "storage.lost_site")


def _satellite_names(
    c: EarthOrbitConstellation | SpaceConstellation, where: str = "lines"
) -> list[str]:
    if isinstance(c, WalkerConstellation):
        return c.satellite_names()
    if isinstance(c, ElementsConstellation | OrbiterConstellation | EphemerisConstellation):
        return [el.name for el in c.satellites]
    if isinstance(c, SurfaceConstellation):
        return [site.name for site in c.sites]
    try:
        entries = parse_tle_text(c.lines or "", c.first_line_number)[: c.limit]
    except TleFormatError as exc:
        raise ValueError(f"{where}: {exc}") from None
    names = tle_node_names(entries)
    for e, n in zip(entries, names, strict=True):
        try:
            check_name(n, f"TLE name {shorten(e.name)} gives node name")
        except ValueError as exc:
            raise ValueError(
                f"{where}: line {e.name_line_number or e.line_number}: {exc}; {TLE_NAME_HINT}"
            ) from None
    return names


#: What to do about a TLE name that does not make a valid node name.
TLE_NAME_HINT = (
    "edit the name line (runs of characters other than letters, digits, '_', '.', '-' become "
    "'-'; see orbitcloud.scenario.tle)"
)


def _check_fault_target(
    f: FaultEventSpec,
    where: str,
    sats: dict[str, tuple[int, int]],
    stations: list[str],
    scenario: Scenario,
) -> None:
    target = f.target
    if f.kind == "cluster_loss":
        if target.startswith("plane:"):
            _, const, p = [*target.split(":"), "", ""][:3]
            planes = {
                f"{scenario.constellations[ci].name}:{plane}"
                for ci, plane in sats.values()
                if plane >= 0
            } | {
                f"{scenario.constellations[ci].name}:{n}"
                for n, (ci, plane) in sats.items()
                if plane < 0
            }
            if f"{const}:{p}" not in planes:
                raise ValueError(
                    f"{where}: cluster_loss target {shorten(target)} names no plane; planes "
                    f"look like {_examples(['plane:' + x for x in sorted(planes)])}"
                )
            return
        names = [n.strip() for n in target.split(",") if n.strip()]
        if not names:
            raise ValueError(
                f"{where}: cluster_loss needs satellites `a,b,c` or `plane:<constellation>:<p>`"
            )
    elif f.kind == "bit_flip" and not target:
        return
    else:
        names = [target]
    want = {"station_outage": "ground station", "bit_flip": "node"}.get(f.kind, "satellite")
    for n in names:
        ok = (want != "ground station" and n in sats) or (want != "satellite" and n in stations)
        if not ok:
            pool = {
                "satellite": list(sats),
                "ground station": stations,
                "node": [*sats, *stations],
            }[want]
            raise ValueError(
                f"{where}: {f.kind} target {shorten(n)} is not a {want} of this scenario; "
                f"{want}s: {_examples(pool) or '(none)'}"
            )


def _check_fault_process(
    proc: SatelliteLifetimes | SolarStorms | IslTerminalFailures | StationOutageProcess | Upsets,
    where: str,
    sats: dict[str, tuple[int, int]],
    stations: list[str],
    constellations: list[str],
) -> None:
    """The constellations, satellites and stations a drawn process names exist."""
    checks: list[tuple[str, list[str] | None, list[str], str]] = []
    if not isinstance(proc, StationOutageProcess):
        checks.append(("constellations", proc.constellations, constellations, "constellation"))
    if isinstance(proc, _SatelliteSet):
        checks.append(("satellites", proc.satellites, list(sats), "satellite"))
    if isinstance(proc, StationOutageProcess):
        checks.append(("stations", proc.stations, stations, "ground station"))
    for key, given, pool, what in checks:
        known = set(pool)
        for k, n in enumerate(given or []):
            if n not in known:
                raise ValueError(
                    f"{where}.{key}[{k}]: {shorten(n)} is not a {what} of this scenario; "
                    f"{what}s: {_examples(pool) or '(none)'}"
                )


def _examples(names: list[str], k: int = 8) -> str:
    """Up to ``k`` names, comma-separated, with how many there are in all."""
    shown = ", ".join(names[:k])
    return shown + (f", ... ({len(names)} in all)" if len(names) > k else "")


def _first_non_finite(value: Any, path: str) -> tuple[str, float] | None:
    """The first float inf/nan in a validated model tree: (field path, value), or None."""
    for p, v in _floats(value, path):
        if not math.isfinite(v):
            return p, v
    return None


def _floats(value: Any, path: str) -> Iterator[tuple[str, float]]:
    if isinstance(value, float):
        yield path, value
    elif isinstance(value, BaseModel):
        for key in type(value).model_fields:
            yield from _floats(getattr(value, key), f"{path}.{key}" if path else key)
    elif isinstance(value, list | tuple):
        for j, v in enumerate(value):
            yield from _floats(v, f"{path}[{j}]")
    elif isinstance(value, dict):  # keys are free text: report the mapping's own field
        for v in value.values():
            yield from _floats(v, path)
