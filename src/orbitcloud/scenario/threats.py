"""Adversaries of the top-level ``threats:`` section (first slice of issue 17).

=========================  ====================================================================
kind                       what happens
=========================  ====================================================================
``compromised_satellite``  ``target`` is in an adversary's hands from ``t_s``; it is detected at
                           ``t_s + detection_delay_s``. From detection on, routes, contact graph
                           routing and storage placement avoid it (it is "down" for them, but
                           not lost: it keeps flying, powered, holding the shards it had), no
                           job starts on it, every tenant with shards on it has its data key
                           rotated (every object re-encrypted) and its shards are rebuilt on
                           trusted nodes by the store's repair
``rogue_ground_station``   a station ``name`` at ``lat_deg``/``lon_deg`` without credentials of
                           the store: from ``t_s`` for ``duration_s`` it attempts
                           ``uplinks_per_hour`` uplinks, evenly spaced (attempt ``j`` at
                           ``t_s + j × 3600 / uplinks_per_hour``); each is rejected
=========================  ====================================================================

The cross-checks against the rest of the scenario (:func:`check_threats`) name the field:
an unknown satellite, a target compromised twice, a rogue name that is already a node. Like
faults, a threat (or its detection) after the end of the run is allowed and does not happen
in it: a run shortened with ``--duration-s`` ends before it."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Annotated, Literal

from pydantic import Field

from orbitcloud.scenario.base import Name, _Model
from orbitcloud.scenario.errors import shorten

__all__ = [
    "THREAT_KINDS",
    "CompromisedSatellite",
    "RogueGroundStation",
    "Threat",
    "check_threats",
    "rogue_attempt_times_s",
]


class CompromisedSatellite(_Model):
    """A satellite an adversary controls from ``t_s`` [s since the epoch] (a supply-chain
    implant, a hijacked bus), detected ``detection_delay_s`` later."""

    kind: Literal["compromised_satellite"]
    target: Name = Field(description="the satellite taken over")
    t_s: float = Field(ge=0, description="compromise time [s since the epoch]")
    detection_delay_s: float = Field(ge=0, description="from compromise to detection [s]")

    @property
    def detected_s(self) -> float:
        """When the compromise is detected [s since the epoch]."""
        return self.t_s + self.detection_delay_s


class RogueGroundStation(_Model):
    """A ground station without valid credentials attempting uplinks over
    ``[t_s, t_s + duration_s)``, ``uplinks_per_hour`` of them, evenly spaced."""

    kind: Literal["rogue_ground_station"]
    name: Name
    lat_deg: float = Field(ge=-90, le=90, description="where it transmits from (geodetic)")
    lon_deg: float = Field(ge=-180, le=180, description="where it transmits from (east +)")
    t_s: float = Field(ge=0, description="first attempt [s since the epoch]")
    duration_s: float = Field(gt=0, description="length of the attempt window [s]")
    uplinks_per_hour: float = Field(gt=0, le=3.6e6, description="attempts per hour (<= 1000/s)")


Threat = Annotated[CompromisedSatellite | RogueGroundStation, Field(discriminator="kind")]
THREAT_KINDS: tuple[str, ...] = ("compromised_satellite", "rogue_ground_station")


def rogue_attempt_times_s(r: RogueGroundStation, until_s: float = math.inf) -> list[float]:
    """Times of the rogue station's uplink attempts [s]: ``t_s + j × 3600 / uplinks_per_hour``
    for ``j = 0 .. floor(uplinks_per_hour × duration_s / 3600) - 1`` (not random: the count is
    the rate times the window), those at or before ``until_s`` (the end of the run: a run
    shortened with ``--duration-s`` sees only the attempts within it)."""
    n = math.floor(r.uplinks_per_hour * r.duration_s / 3600.0 + 1e-9)
    every_s = 3600.0 / r.uplinks_per_hour
    return [t for j in range(n) if (t := r.t_s + j * every_s) <= until_s]


def check_threats(
    threats: Sequence[CompromisedSatellite | RogueGroundStation],
    satellites: Collection[str],
    nodes: Collection[str],
    duration_s: float,
) -> None:
    """The cross-checks of ``threats:`` (module docstring); ValueError naming the field."""
    seen: set[str] = set()
    for j, th in enumerate(threats):
        where = f"threats[{j}]"
        if isinstance(th, CompromisedSatellite):
            if th.target not in satellites:
                some = ", ".join(sorted(satellites)[:4])
                raise ValueError(
                    f"{where}.target: {shorten(th.target)} is not a satellite of this scenario; "
                    f"satellites look like {some}"
                )
            if th.target in seen:
                raise ValueError(f"{where}.target: {th.target!r} is compromised twice")
            seen.add(th.target)
        else:
            if th.name in nodes:
                raise ValueError(
                    f"{where}.name: {th.name!r} is already a node of this scenario; a rogue "
                    "station needs a name of its own"
                )
