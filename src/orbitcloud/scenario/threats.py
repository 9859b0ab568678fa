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
``jamming``                a transmitter ``name`` at ``lat_deg``/``lon_deg``/``height_m`` (or
                           moving along a ``track``, the users' schema)
                           radiating ``eirp_dbw`` on ``frequency_hz`` (or ``band``'s centre of
                           the ``target`` direction) through a beam of ``beamwidth_deg`` over
                           ``[t_s, t_s + duration_s)``: ``target: downlink`` points it at the
                           receiver of station or user ``pointing``; ``target: uplink`` at
                           the sky (``pointing: sky``) and jams satellites whose receive beam
                           sees it. Its power adds to the noise of the ACM budgets it reaches
                           (:mod:`orbitcloud.links.jamming`), stations' and user terminals'
                           alike; fixed-rate links have no budget and are not affected.
                           ``mode``: ``barrage`` (default),
                           ``partial_band`` (``band_fraction`` ρ of the victim's band),
                           ``pulsed`` (on ``on_s`` every ``period_s`` from ``t_s``),
                           ``hopping`` (over ``n_channels``, the victim's hit 1/n of the time)
``link_flooding``          attack traffic of ``attack_bps`` on each of ``targets`` (a station:
                           its up- and downlink contacts; ``satA-satB``: that ISL, both ways)
                           over ``[t_s, t_s + duration_s)``: the contact plan's and the
                           snapshot network's capacity of those links drop by ``attack_bps``
                           (a contact left with 0 is removed)
=========================  ====================================================================

The cross-checks against the rest of the scenario (:func:`check_threats`) name the field:
an unknown satellite, a target compromised twice, a rogue or jammer name that is already a
node, a jammer pointed at a fixed-rate station (it has no link budget to degrade), an uplink
jammer that no station's ACM uplink can feel (none gives ``satellite_beamwidth_deg``), a
flooding target that is neither a station nor two satellites ``satA-satB``. Like
faults, a threat (or its detection) after the end of the run is allowed and does not happen
in it: a run shortened with ``--duration-s`` ends before it."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Literal

from pydantic import Field, model_validator

from orbitcloud.scenario.base import Name, _Model
from orbitcloud.scenario.errors import shorten
from orbitcloud.scenario.rates import AcmLink, AcmUplink
from orbitcloud.scenario.users import CsvTrack, Track

__all__ = [
    "MAX_PULSES",
    "THREAT_KINDS",
    "CompromisedSatellite",
    "Jamming",
    "LinkFlooding",
    "RogueGroundStation",
    "Threat",
    "check_threats",
    "rogue_attempt_times_s",
    "split_isl",
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


class Jamming(_Model):
    """A jammer (module docstring; the model: :mod:`orbitcloud.links.jamming`)."""

    kind: Literal["jamming"]
    name: Name
    lat_deg: float | None = Field(
        None, ge=-90, le=90, description="where it transmits from (geodetic); or a track"
    )
    lon_deg: float | None = Field(
        None, ge=-180, le=180, description="where it transmits from (east +); or a track"
    )
    track: Track | None = Field(
        None, description="a moving jammer (ship, aircraft): the users' great_circle or csv "
        "(inline points:) track; instead of lat_deg/lon_deg",
    )  # fmt: skip
    height_m: float = Field(
        0.0, ge=0, le=20_000,
        description="antenna height above the ellipsoid (with a track: above the track's "
        "altitude)",
    )  # fmt: skip
    t_s: float = Field(ge=0, description="switched on [s since the epoch]")
    duration_s: float = Field(gt=0, description="how long it transmits [s]")
    eirp_dbw: float = Field(ge=-30, le=120, description="EIRP on its beam axis [dBW]")
    frequency_hz: float | None = Field(
        None, ge=1e9, le=55e9, description="carrier [Hz]; else the band's centre"
    )
    band: Literal["Ku", "Ka", "X"] | None = Field(
        None, description="the band's down- or uplink centre (by target), unless frequency_hz"
    )
    beamwidth_deg: float = Field(gt=0, le=180, description="its beam, 3 dB full width [deg]")
    target: Literal["uplink", "downlink"] = Field(description="the direction it jams")
    pointing: str = Field(
        description="downlink: the station whose receiver it illuminates; uplink: sky"
    )
    mode: Literal["barrage", "partial_band", "pulsed", "hopping"] = Field(
        "barrage",
        description="barrage: all of the victim's band all the time; partial_band: "
        "band_fraction of it; pulsed: on for on_s every period_s; hopping: over n_channels",
    )
    band_fraction: float | None = Field(
        None, gt=0, le=1, description="partial_band: share of the victim's band it covers"
    )
    on_s: float | None = Field(None, gt=0, description="pulsed: on time of each period [s]")
    period_s: float | None = Field(None, gt=0, description="pulsed: pulse period [s]")
    n_channels: int | None = Field(
        None, ge=2, le=100_000, description="hopping: channels it hops over (one is the victim's)"
    )

    @model_validator(mode="after")
    def _where(self) -> Jamming:
        fixed = self.lat_deg is not None and self.lon_deg is not None
        if fixed == (self.track is not None) or (self.lat_deg is None) != (self.lon_deg is None):
            raise ValueError(
                f"threats: jammer {self.name!r} needs exactly one of lat_deg and lon_deg (fixed)"
                " or track: {kind: great_circle | csv, ...} (moving)"
            )
        if isinstance(self.track, CsvTrack) and self.track.file is not None:
            raise ValueError(
                f"threats: jammer {self.name!r}: a csv track of a jammer takes its rows inline "
                "(points: [[t_s, lat_deg, lon_deg, alt_m], ...]), not file:"
            )
        return self

    @property
    def end_s(self) -> float:
        return self.t_s + self.duration_s

    @property
    def share(self) -> float:
        """Share of the victim's band (partial_band) or of the time (hopping: ``1 / n``) the
        jammer hits; 1 for barrage and pulsed (within a pulse)."""
        if self.mode == "partial_band" and self.band_fraction is not None:
            return self.band_fraction
        if self.mode == "hopping" and self.n_channels is not None:
            return 1.0 / self.n_channels
        return 1.0


#: Most pulses a pulsed jammer may have within its window (each pulse cuts the contact
#: pieces it reaches: rows grow with the pulse count).
MAX_PULSES = 20_000

_MODE_FIELDS = {"partial_band": ("band_fraction",), "pulsed": ("on_s", "period_s"),
                "hopping": ("n_channels",), "barrage": ()}  # fmt: skip


class LinkFlooding(_Model):
    """Attack traffic of ``attack_bps`` on the links ``targets`` over
    ``[t_s, t_s + duration_s)`` (module docstring)."""

    kind: Literal["link_flooding"]
    targets: list[str] = Field(
        min_length=1, description="station names (their ground links) or ISLs satA-satB"
    )
    t_s: float = Field(ge=0, description="start of the attack [s since the epoch]")
    duration_s: float = Field(gt=0, description="length of the attack [s]")
    attack_bps: float = Field(gt=0, le=1e13, description="capacity the attack takes [bit/s]")

    @property
    def end_s(self) -> float:
        return self.t_s + self.duration_s


Threat = Annotated[
    CompromisedSatellite | RogueGroundStation | Jamming | LinkFlooding,
    Field(discriminator="kind"),
]
THREAT_KINDS: tuple[str, ...] = (
    "compromised_satellite", "rogue_ground_station", "jamming", "link_flooding",
)  # fmt: skip


def split_isl(target: str, satellites: Collection[str]) -> tuple[str, str] | None:
    """``satA-satB`` as ``(satA, satB)``, both satellites of ``satellites``, trying every
    ``-`` (satellite names hold hyphens: ``milsca-1-2-milsca-1-3``); None if no split fits."""
    for j, ch in enumerate(target):
        if ch == "-" and target[:j] in satellites and target[j + 1 :] in satellites:
            return target[:j], target[j + 1 :]
    return None


def rogue_attempt_times_s(r: RogueGroundStation, until_s: float = math.inf) -> list[float]:
    """Times of the rogue station's uplink attempts [s]: ``t_s + j × 3600 / uplinks_per_hour``
    for ``j = 0 .. floor(uplinks_per_hour × duration_s / 3600) - 1`` (not random: the count is
    the rate times the window), those at or before ``until_s`` (the end of the run: a run
    shortened with ``--duration-s`` sees only the attempts within it)."""
    n = math.floor(r.uplinks_per_hour * r.duration_s / 3600.0 + 1e-9)
    every_s = 3600.0 / r.uplinks_per_hour
    return [t for j in range(n) if (t := r.t_s + j * every_s) <= until_s]


def check_threats(
    threats: Sequence[CompromisedSatellite | RogueGroundStation | Jamming | LinkFlooding],
    satellites: Collection[str],
    nodes: Collection[str],
    duration_s: float,
    links: Mapping[str, AcmLink | None] | None = None,
    user_links: Mapping[str, AcmLink | None] | None = None,
) -> None:
    """The cross-checks of ``threats:`` (module docstring); ValueError naming the field.
    ``links``: each station's ``link:`` (None: a fixed rate); ``user_links``: each user
    terminal's ``link:`` (a downlink jammer may point at a user with a budget)."""
    seen: set[str] = set()
    links = links or {}
    users = user_links or {}
    for j, th in enumerate(threats):
        where = f"threats[{j}]"
        if isinstance(th, Jamming):
            _check_jamming(th, where, nodes, links, users)
        elif isinstance(th, LinkFlooding):
            for i, t in enumerate(th.targets):
                if t not in links and split_isl(t, satellites) is None:
                    raise ValueError(
                        f"{where}.targets[{i}]: {shorten(t)} is neither a ground station nor "
                        "an inter-satellite link satA-satB of two satellites of this scenario"
                    )
        elif isinstance(th, CompromisedSatellite):
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


def _check_jamming(
    th: Jamming,
    where: str,
    nodes: Collection[str],
    links: Mapping[str, AcmLink | None],
    users: Mapping[str, AcmLink | None],
) -> None:
    if th.name in nodes:
        raise ValueError(
            f"{where}.name: {th.name!r} is already a node of this scenario; a jammer needs a "
            "name of its own"
        )
    if (th.frequency_hz is None) == (th.band is None):
        raise ValueError(
            f"{where}.frequency_hz: give either frequency_hz or band, not both or none"
        )
    for mode, names in _MODE_FIELDS.items():
        for f in names:
            given = getattr(th, f) is not None
            if given != (th.mode == mode):
                why = f"mode {th.mode!r} does not use {f}" if given else f"mode {mode!r} needs {f}"
                raise ValueError(f"{where}.{f}: {why}")
    if th.mode == "pulsed":
        assert th.on_s is not None and th.period_s is not None
        if th.on_s >= th.period_s:
            raise ValueError(
                f"{where}.on_s: {th.on_s:g} s is not shorter than period_s {th.period_s:g} s "
                "(a jammer on all the time is mode: barrage)"
            )
        if th.duration_s / th.period_s > MAX_PULSES:
            raise ValueError(
                f"{where}.period_s: {th.duration_s / th.period_s:,.0f} pulses in duration_s "
                f"(at most {MAX_PULSES:,}); a longer period_s, or model a fast pulse train as "
                "partial time with mode: hopping"
            )
    if th.target == "downlink":
        if th.pointing not in links and th.pointing not in users:
            raise ValueError(
                f"{where}.pointing: {shorten(th.pointing)} is not a ground station or a user of "
                "this scenario (a downlink jammer illuminates a station's or a user's receiver)"
            )
        if th.pointing in users and users[th.pointing] is None:
            raise ValueError(
                f"{where}.pointing: user {th.pointing!r} has a fixed rate, no link budget to "
                "jam; give its terminal an ACM `link:` (kind: acm) or point the jammer elsewhere"
            )
        if th.pointing in links and links[th.pointing] is None:
            raise ValueError(
                f"{where}.pointing: station {th.pointing!r} has a fixed rate, no link budget to "
                "jam; give it an ACM `link:` (kind: acm) or point the jammer elsewhere"
            )
        return
    if th.pointing != "sky":
        raise ValueError(
            f"{where}.pointing: an uplink jammer points at the sky (pointing: sky), not "
            f"{shorten(th.pointing)}"
        )
    if not any(
        lk is not None and isinstance(lk.uplink, AcmUplink)
        and lk.uplink.satellite_beamwidth_deg is not None
        for lk in (*links.values(), *users.values())
    ):  # fmt: skip
        raise ValueError(
            f"{where}.target: uplink jamming needs a station (or a user terminal) whose ACM "
            "link.uplink gives satellite_beamwidth_deg (the satellite's receive beam); none does"
        )
