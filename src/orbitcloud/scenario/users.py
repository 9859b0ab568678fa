"""User terminals of the top-level ``users:`` section (issue 17, "MILSCA multi-domain").

A *user* is a fixed or mobile terminal on or near the Earth (a ship, an aircraft, a land
unit, a fixed site) that links to the satellites of the constellations its terminal can use,
picks one satellite at a time by a ``policy`` and hands over between them
(:mod:`orbitcloud.links.users`). Where it is:

=================  =====================================================================
``position``       fixed: ``lat_deg``, ``lon_deg``, ``alt_m`` (WGS84 geodetic)
``track``          ``kind: great_circle``: from ``from_lat_deg``/``from_lon_deg`` to
                   ``to_lat_deg``/``to_lon_deg`` at ``speed_m_s`` from ``start_s`` on,
                   at ``altitude_m``; at the end it stops (``at_end: stop``) or turns back
                   and sails the route again (``at_end: loop``, there and back)
                   ``kind: csv``: ``file:`` (relative to the scenario file) with the
                   header ``t_s,lat_deg,lon_deg,alt_m`` and times strictly increasing; the
                   loader reads it into ``points`` (errors name file:line); or give
                   the rows inline as ``points: [[t_s, lat_deg, lon_deg, alt_m], ...]``
=================  =====================================================================

``terminal:``: ``constellations`` it can use; ``policy`` ``lowest_latency`` (shortest slant
range), ``highest_rate`` (the constellation's rate, ties by elevation) or
``sovereign_only`` (only the ``sovereign`` constellations, then shortest range);
``min_elevation_deg``; ``rate_bps`` (or ``rates_bps`` per constellation); ``handover_s``
(no data at the start of each new link) and ``hysteresis`` (keep the serving satellite
unless the best one is better by this fraction). ``link:`` (optional): an ACM RF budget
(``kind: acm``, the ground stations' :class:`~orbitcloud.scenario.rates.AcmLink`): the
link's rate then comes from Es/N0 and the DVB-S2X MODCOD per piece, and ``jamming`` threats
lower it by their J/S (:mod:`orbitcloud.links.users`); without it the fixed ``rate_bps``
holds and no jammer touches it (a fixed rate has no budget to jam).

``demand:``: traffic to the ground station ``to`` (the user's home gateway): a continuous
``rate_bps`` or ``files: {size_bytes, every_s}``; it is routed and booked on the run's one
network (:mod:`orbitcloud.network.users`).

:func:`check_users` does the cross-checks against the rest of the scenario.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Annotated, Literal

from pydantic import Field, model_validator

from orbitcloud.scenario.base import Name, _Model
from orbitcloud.scenario.errors import shorten
from orbitcloud.scenario.rates import AcmLink

__all__ = [
    "USER_KINDS",
    "USER_POLICIES",
    "CsvTrack",
    "FileDemand",
    "GreatCircleTrack",
    "Track",
    "User",
    "UserDemand",
    "UserPosition",
    "UserTerminal",
    "check_users",
]

UserKind = Literal["fixed", "ship", "aircraft", "land"]
USER_KINDS: tuple[str, ...] = ("fixed", "ship", "aircraft", "land")
Policy = Literal["lowest_latency", "highest_rate", "sovereign_only"]
USER_POLICIES: tuple[str, ...] = ("lowest_latency", "highest_rate", "sovereign_only")

Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
#: from the Dead Sea shore to above airliner cruise, with margin [m]
Alt = Annotated[float, Field(ge=-500, le=30_000)]


class UserPosition(_Model):
    """A fixed position (WGS84 geodetic)."""

    lat_deg: Lat
    lon_deg: Lon
    alt_m: Alt = 0.0


class GreatCircleTrack(_Model):
    """Along the great circle from one point to another at constant speed (on the sphere of
    the mean Earth radius, see :mod:`orbitcloud.orbits.tracks`)."""

    kind: Literal["great_circle"]
    from_lat_deg: Lat
    from_lon_deg: Lon
    to_lat_deg: Lat
    to_lon_deg: Lon
    altitude_m: Alt = 0.0
    speed_m_s: float = Field(gt=0, le=1000, description="ground speed (ship ~10, airliner ~250)")
    start_s: float = Field(0.0, ge=0, description="when it leaves (before: at the start point)")
    at_end: Literal["stop", "loop"] = Field(
        "stop", description="stop at the end point, or turn back and repeat (there and back)"
    )

    @model_validator(mode="after")
    def _distinct(self) -> GreatCircleTrack:
        if (self.from_lat_deg, self.from_lon_deg) == (self.to_lat_deg, self.to_lon_deg):
            raise ValueError(
                "track: the start and end points are the same; use `position:` for a user that "
                "does not move"
            )
        la1, lo1 = math.radians(self.from_lat_deg), math.radians(self.from_lon_deg)
        la2, lo2 = math.radians(self.to_lat_deg), math.radians(self.to_lon_deg)
        cos_d = math.sin(la1) * math.sin(la2) + math.cos(la1) * math.cos(la2) * math.cos(lo2 - lo1)
        if cos_d < math.cos(math.radians(179.0)):
            raise ValueError(
                "track: the start and end points are (nearly) antipodal, so no single great "
                "circle joins them; add a waypoint (a csv track) or move one point"
            )
        return self


class CsvTrack(_Model):
    """Positions over time from a CSV ``t_s,lat_deg,lon_deg,alt_m`` (linear in time between
    rows, across the antimeridian the short way; held before the first and after the last)."""

    kind: Literal["csv"]
    file: str | None = Field(None, description="CSV path, relative to the scenario file")
    points: list[tuple[float, float, float, float]] | None = Field(
        None, description="rows (t_s, lat_deg, lon_deg, alt_m); filled from `file` on load"
    )

    @model_validator(mode="after")
    def _points(self) -> CsvTrack:
        if self.points is None:
            raise ValueError(
                "track: a csv track needs `file:` (read on load with orbitcloud.load_scenario())"
                " or `points:`"
            )
        if len(self.points) < 1:
            raise ValueError("track.points: needs at least one row t_s,lat_deg,lon_deg,alt_m")
        for k, (t, lat, lon, alt) in enumerate(self.points):
            _check_point(k, t, lat, lon, alt, self.points[k - 1][0] if k else None)
        return self


def _check_point(
    k: int, t: float, lat: float, lon: float, alt: float, t_prev: float | None
) -> None:
    """ValueError naming row ``k`` if a track row is out of range or not after the one before."""
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"track.points[{k}]: lat_deg={lat!r} is outside [-90, 90]")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"track.points[{k}]: lon_deg={lon!r} is outside [-180, 180]")
    if not -500.0 <= alt <= 30_000.0:
        raise ValueError(f"track.points[{k}]: alt_m={alt!r} is outside [-500, 30000]")
    if t < 0:
        raise ValueError(f"track.points[{k}]: t_s={t!r} is negative")
    if t_prev is not None and not t > t_prev:
        raise ValueError(
            f"track.points[{k}]: t_s={t!r} is not after the row before ({t_prev!r}); times must "
            "increase strictly"
        )


Track = Annotated[GreatCircleTrack | CsvTrack, Field(discriminator="kind")]


class UserTerminal(_Model):
    """The user's multi-constellation terminal and its satellite-selection policy."""

    constellations: list[Name] = Field(min_length=1, description="constellations it can use")
    policy: Policy = "lowest_latency"
    sovereign: list[Name] = Field(
        default_factory=list, description="the constellations `sovereign_only` may use"
    )
    min_elevation_deg: float = Field(25.0, ge=0, lt=90)
    rate_bps: float = Field(50e6, gt=0, le=1e12, description="rate on every constellation")
    rates_bps: dict[Name, float] = Field(
        default_factory=dict, description="per-constellation rates (override rate_bps)"
    )
    handover_s: float = Field(0.0, ge=0, le=3600, description="no data at each link start")
    hysteresis: float = Field(
        0.1, ge=0, le=10, description="switch only if the best is better by this fraction"
    )
    link: AcmLink | None = Field(
        None, description="an ACM RF budget (kind: acm, the stations' schema; eirp_dbw the "
        "satellite's, g_t_db_per_k the terminal's): rates by Es/N0 and MODCOD per piece, "
        "jammable; none: the fixed rate_bps, which no jammer touches",
    )  # fmt: skip

    @model_validator(mode="after")
    def _sovereign(self) -> UserTerminal:
        if self.link is not None and self.link.weather != "statistical":
            raise ValueError(
                "terminal.link.weather: a user terminal's budget takes the statistical P.618 "
                "attenuation only (a moving terminal has no one site for a rain process)"
            )
        if self.policy == "sovereign_only" and not self.sovereign:
            raise ValueError(
                "terminal.sovereign: policy sovereign_only needs the list of sovereign "
                "constellations (e.g. sovereign: [milsca])"
            )
        for name in (*self.sovereign, *self.rates_bps):
            if name not in self.constellations:
                raise ValueError(
                    f"terminal: {shorten(name)} is not one of the terminal's constellations "
                    f"({', '.join(self.constellations)})"
                )
        for name, r in self.rates_bps.items():
            if not 0 < r <= 1e12:
                raise ValueError(f"terminal.rates_bps.{name}: {r!r} is outside (0, 1e12] bit/s")
        return self

    def rate_of(self, constellation: str) -> float:
        """Rate on ``constellation`` [bit/s]."""
        return float(self.rates_bps.get(constellation, self.rate_bps))

    def usable(self) -> list[str]:
        """The constellations the policy lets it use."""
        if self.policy == "sovereign_only":
            return [c for c in self.constellations if c in self.sovereign]
        return list(self.constellations)


class FileDemand(_Model):
    """A file of ``size_bytes`` every ``every_s`` from ``start_s`` on."""

    size_bytes: float = Field(gt=0, le=1e13)
    every_s: float = Field(gt=0, le=10 * 365.25 * 86400)
    start_s: float = Field(0.0, ge=0)


class UserDemand(_Model):
    """Traffic from the user to ground station ``to``: ``rate_bps`` (sent in one bundle per
    ``chunk_s``) or ``files``."""

    to: Name = Field(description="ground station: the user's home data centre or gateway")
    rate_bps: float | None = Field(None, gt=0, le=1e12)
    chunk_s: float = Field(60.0, gt=0, le=86400, description="a rate demand's bundle interval")
    files: FileDemand | None = None

    @model_validator(mode="after")
    def _one(self) -> UserDemand:
        if (self.rate_bps is None) == (self.files is None):
            raise ValueError("demand: give exactly one of rate_bps or files: {size_bytes, every_s}")
        return self


class User(_Model):
    """A user terminal: where it is (``position``, or a ``track`` for a moving user), its
    multi-constellation ``terminal`` and the traffic ``demand`` it sends to a station."""

    name: Name
    kind: UserKind = "fixed"
    position: UserPosition | None = None
    track: Track | None = None
    terminal: UserTerminal
    demand: UserDemand | None = None

    @model_validator(mode="after")
    def _where(self) -> User:
        if (self.position is None) == (self.track is None):
            raise ValueError(
                f"users: {self.name!r} needs exactly one of position: {{lat_deg, lon_deg, alt_m}} "
                "or track: {kind: great_circle | csv, ...}"
            )
        if self.kind == "fixed" and self.track is not None:
            raise ValueError(
                f"users: {self.name!r} is kind fixed but has a track; use position:, or kind "
                "ship, aircraft or land"
            )
        return self


def check_users(
    users: list[User],
    constellations: Mapping[str, str],
    stations: Collection[str],
    node_names: Collection[str],
) -> None:
    """Cross-checks of ``users`` against the scenario: ``constellations`` maps each name to
    its kind (users link to Earth-orbit constellations only: ``walker``, ``tle``,
    ``elements``), ``stations`` the ground-station names, ``node_names`` every other node
    name (constellations, stations, threats). ValueError naming the field."""
    earth = {"walker", "tle", "elements"}
    seen: set[str] = set()
    for i, u in enumerate(users):
        where = f"users[{i}]"
        if u.name in seen or u.name in node_names:
            raise ValueError(
                f"{where}.name: {u.name!r} is used twice (or by a constellation, a station or a "
                "threat); node names must be unique"
            )
        seen.add(u.name)
        for j, c in enumerate(u.terminal.constellations):
            if c not in constellations:
                raise ValueError(
                    f"{where}.terminal.constellations[{j}]: {shorten(c)} is not a constellation "
                    f"of this scenario; defined: {', '.join(constellations)}"
                )
            if constellations[c] not in earth:
                raise ValueError(
                    f"{where}.terminal.constellations[{j}]: {c!r} is beyond Earth orbit; user "
                    "terminals link to Earth-orbit constellations (walker, tle, elements)"
                )
        if u.demand is not None and u.demand.to not in stations:
            raise ValueError(
                f"{where}.demand.to: {shorten(u.demand.to)} is not a ground station; "
                f"stations: {', '.join(list(stations)[:8]) or 'none'}"
            )
