"""``scene.czml``: the run as a CZML document for CesiumJS (written with czml3).

Entities:

- one per satellite, ``sat/<name>``: sampled Earth-fixed positions [m] (``referenceFrame``
  FIXED, Lagrange degree-5 interpolation), a point coloured by eclipse state (gold in sunlight,
  steel blue in eclipse) and, for small constellations, a label, an orbit trail and sampled
  custom properties (``sunlit``, ``battery_soc``, ``temperature_k``) the viewer shows on click;
- one per ground station, ``gs/<name>``: a fixed point (cartographic degrees) and, up to
  :data:`LABEL_MAX_STATIONS`, a label; labels are white with a black outline on a dark box
  (:data:`LABEL_FILL_RGBA`), legible over light land;
- threats (the ``security`` block of metrics.json, :mod:`orbitcloud.report.security`): a
  compromised satellite's point colour is a CZML time-interval colour: its eclipse colours
  before the compromise ``t_s``, amber (:data:`COMPROMISED_RGBA`) from ``t_s``, red
  (:data:`DETECTED_RGBA`) from detection, with a description and a ``threat_state`` property
  saying so; a rogue ground station is an entity ``rogue/<name>`` of its own (a magenta
  diamond-outlined point, :data:`ROGUE_RGBA`, and a label) whose description gives its
  attempt window and rejected uplinks; a jammer is an entity ``jammer/<name>``: a point at
  its site and a translucent orange ground ellipse (:data:`JAMMER_RGBA`) of the radius of its
  footprint (:func:`orbitcloud.links.jamming.footprint_radius_km`: an uplink jammer's −3 dB
  beam edge on the satellites' shell, a downlink jammer's radio horizon), shown over its
  window (a pulsed jammer: over each pulse); a link flooding is one entity per target,
  ``flood/<target>``, shown over the attack window: a red ring on a flooded station, a thick
  red line between the two satellites of a flooded ISL (:data:`FLOOD_RGBA`);
- one per user terminal of the scenario's ``users:``, ``user/<name>``: a point (violet,
  :data:`USER_RGBA`) with a label, its track sampled at the satellites' sample times
  (Earth-fixed metres, :func:`orbitcloud.orbits.tracks.user_positions`, linear
  interpolation between samples);
- one per linked pair, ``link/<a>/<b>``: a line between the two entities' positions, shown
  only while the pair has a contact window (``availability`` = the union of the windows in
  both directions). ISLs are cyan, ground links green, user links (a user and the satellite
  serving it, over the user's link windows in contacts.parquet) violet.

Keeping it small (large constellations stay smooth):

- **Samples.** At most :data:`MAX_POSITION_SAMPLES` position samples in all. The stride ``k``
  (every k-th sample of ``positions.parquet``) is the smallest that fits the budget, as long as
  an orbit keeps at least :data:`MIN_SAMPLES_PER_ORBIT` samples; Lagrange degree-5
  interpolation of a circular 550 km orbit sampled 12 times per orbit errs by < 0.7 km (2.5 km
  at 9.6 per orbit; measured against the exact circle), below a pixel at globe scale. If
  the budget needs more, the scene covers only the start of the run (``t_end_s``) instead.
- **Links.** At most :data:`MAX_LINKS_PER_KIND` ISL pairs and as many ground pairs, the ones
  with the longest total contact time (ties, e.g. permanent +Grid ISLs, are spread across the
  constellation by a golden-ratio sequence over the pair index, not taken from one plane).
  Every user link is kept (users are few; each links to one satellite at a time).
- Positions are rounded to the metre.

Nodes beyond Earth orbit (the Moon, Mars, deep space): a node whose Earth-fixed position is
ever farther than :data:`MAX_SCENE_RADIUS_KM` from the Earth's centre (about the Earth's Hill
sphere, 1.5 million km) is left out of the scene, with its link lines; the summary names it
(``left_out``) and the report says so. Lunar nodes (about 400 000 km, 60 Earth radii) stay: the
globe view can be zoomed out to them and Cesium draws the Moon there. Mars nodes (0.4-2.7 AU
away, 10⁴-10⁵ Earth radii) would sit far outside any useful camera distance and their Earth-fixed
tracks (a circle of 10⁸ km a day) would only stretch the scene; the report's "Distance and
light time" section shows them instead.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from czml3 import CZML_VERSION, Document, Packet
from czml3.enums import ArcTypes, ClockRanges, ClockSteps, InterpolationAlgorithms, LabelStyles
from czml3.properties import (
    Clock,
    Color,
    Ellipse,
    Label,
    Material,
    Point,
    Polyline,
    PolylineMaterial,
    Position,
    PositionList,
    SolidColorMaterial,
)
from czml3.properties import (
    Path as CzmlPath,
)
from czml3.types import Cartesian2Value, IntervalValue, TimeInterval, TimeIntervalCollection
from numpy.typing import NDArray

from orbitcloud.constants import EARTH_MU_KM3_S2
from orbitcloud.links.jamming import EARTH_RADIUS_KM, footprint_radius_km
from orbitcloud.links.windows import merge_overlaps
from orbitcloud.report.folder import RunFolder, Samples, codes, column_f64, open_run_folder
from orbitcloud.report.security import (
    COMPROMISED_RGB,
    DETECTED_RGB,
    ROGUE_RGB,
    Threat,
    rejected_attempts_s,
    run_threats,
)
from orbitcloud.scenario.threats import split_isl

__all__ = [
    "COMPROMISED_RGBA",
    "DETECTED_RGBA",
    "FLOOD_RGBA",
    "JAMMER_RGBA",
    "MAX_LINKS_PER_KIND",
    "MAX_POSITION_SAMPLES",
    "MAX_SCENE_RADIUS_KM",
    "MIN_SAMPLES_PER_ORBIT",
    "ROGUE_RGBA",
    "SceneSummary",
    "build_scene",
    "sample_stride",
    "write_czml",
]

#: Position samples kept in all satellites together (4 numbers each in the file).
MAX_POSITION_SAMPLES = 250_000
#: Fewest samples per orbit before the scene is shortened instead of thinned (see module doc).
MIN_SAMPLES_PER_ORBIT = 12
#: Link entities kept per kind (ISL, ground).
MAX_LINKS_PER_KIND = 1500
#: Labels, orbit trails and sampled state properties only up to this many satellites.
DETAIL_MAX_SATS = 60
#: Nodes ever farther than this from the Earth's centre [km] are left out (see module doc).
MAX_SCENE_RADIUS_KM = 2.0e6
#: Station labels only up to this many stations.
LABEL_MAX_STATIONS = 40

SUNLIT_RGBA = (255, 215, 0, 255)
ECLIPSE_RGBA = (70, 130, 180, 255)
STATION_RGBA = (230, 60, 60, 255)
#: Labels (stations and satellites): white text, a black outline and a dark translucent box,
#: legible on light land, dark sea and space alike (white on the box's dark blue: contrast
#: ratio above 14:1).
LABEL_FILL_RGBA = (255, 255, 255, 255)
LABEL_OUTLINE_RGBA = (0, 0, 0, 255)
LABEL_OUTLINE_WIDTH = 3
LABEL_BACKGROUND_RGBA = (17, 26, 46, 190)
ISL_RGBA = (0, 220, 255, 150)
#: A compromised satellite: amber from the compromise, red from its detection.
COMPROMISED_RGBA = (*COMPROMISED_RGB, 255)
DETECTED_RGBA = (*DETECTED_RGB, 255)
#: A rogue ground station (magenta, white outline, larger than a station).
ROGUE_RGBA = (*ROGUE_RGB, 255)
#: A jammer's footprint (translucent orange) and a flooded link or station (red).
JAMMER_RGBA = (255, 120, 0, 90)
FLOOD_RGBA = (255, 30, 30, 230)
#: Most pulses of a pulsed jammer drawn one by one (beyond: its whole window).
MAX_DRAWN_PULSES = 2000
GROUND_LINK_RGBA = (60, 220, 90, 170)
#: User terminals and their links.
USER_RGBA = (190, 120, 255, 255)
USER_LINK_RGBA = (190, 120, 255, 200)

F64 = NDArray[np.float64]
# a JSON number with a zero fraction, between list/object delimiters
_WHOLE_FLOAT = re.compile(r"(?<=[\[,: ])(-?\d+)\.0(?=[,\]}])")


@dataclass(frozen=True)
class SceneSummary:
    """What the scene holds and how it was thinned (for the report and the tests)."""

    satellites: int
    stations: int
    links: int
    links_isl_total: int
    links_ground_total: int
    sample_stride: int
    samples_per_satellite: int
    t_end_s: float
    entities: int
    left_out: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _station_rate(st: dict[str, Any]) -> str:
    """A station's downlink rate for its description: fixed Mbit/s, or its ACM link."""
    if st.get("rate_bps") is None:
        link = st.get("link") or {}
        return f"ACM {link.get('band', '')}-band (rate by elevation and weather)"
    return f"{float(st['rate_bps']) / 1e6:g} Mbit/s"


def orbital_period_s(radius_km: F64) -> F64:
    """Two-body period ``T = 2π sqrt(r³/μ)`` [s] of circular orbits of radius ``r`` [km]
    (Kepler's third law; μ = EGM2008 value in :mod:`orbitcloud.constants`)."""
    return 2.0 * np.pi * np.sqrt(radius_km**3 / EARTH_MU_KM3_S2)


def sample_stride(n_sat: int, n_time: int, step_s: float, period_s: float) -> tuple[int, int]:
    """The decimation rule of the module docstring.

    Args:
        n_sat, n_time: satellites and samples per satellite in positions.parquet.
        step_s: spacing of those samples [s]; period_s: shortest orbital period [s].

    Returns:
        ``(stride, n_keep)``: keep samples ``0, stride, 2 stride, ...``, at most ``n_keep`` of
        them per satellite, so that ``n_sat * n_keep <= MAX_POSITION_SAMPLES`` (unless one
        sample per satellite is already over) and ``stride * step_s <= period_s /
        MIN_SAMPLES_PER_ORBIT`` whenever the stride is above 1.
    """
    if n_time <= 1 or n_sat == 0:
        return 1, n_time
    budget = max(2, MAX_POSITION_SAMPLES // n_sat)
    needed = math.ceil(n_time / budget)
    finest = max(1, int(period_s / MIN_SAMPLES_PER_ORBIT // step_s)) if step_s > 0 else 1
    if needed <= finest:
        stride = needed
        return stride, len(range(0, n_time, stride))
    return finest, min(budget, len(range(0, n_time, finest)))


def _rgba_samples(t_s: F64, sunlit: NDArray[np.bool_]) -> list[float]:
    """Sampled colour ``[t, r, g, b, a, ...]`` that switches within 1 s of each sample where
    the eclipse state changes (Cesium interpolates colours linearly between samples)."""
    change = np.flatnonzero(sunlit[1:] != sunlit[:-1]) + 1
    before = t_s[change] - np.minimum(1.0, (t_s[change] - t_s[change - 1]) / 2)
    times = np.concatenate([[t_s[0]], np.column_stack([before, t_s[change]]).ravel()])
    states = np.concatenate(
        [[sunlit[0]], np.column_stack([sunlit[change - 1], sunlit[change]]).ravel()]
    )
    rgba = np.where(states[:, None], SUNLIT_RGBA, ECLIPSE_RGBA)
    return np.column_stack([times, rgba]).ravel().tolist()


def _sampled(t_s: F64, v: F64, digits: int) -> list[float]:
    ok = np.isfinite(v)
    return np.column_stack([t_s[ok], np.round(v[ok], digits)]).ravel().tolist()


def _iso(epoch: dt.datetime, t_s: float) -> dt.datetime:
    return epoch + dt.timedelta(seconds=float(t_s))


def _compromise(
    epoch: dt.datetime, t_end_s: float, th: Threat, eclipse: Color
) -> tuple[TimeIntervalCollection, str, dict[str, Any]] | None:
    """A compromised satellite's point colour over time (eclipse colours, then amber from
    ``t_s``, red from detection), the sentence for its description and its ``threat_state``
    property; ``None`` if the compromise falls after the scene's end."""
    t_s = float(th.metrics["t_s"])
    det = th.metrics.get("detected_s")
    if t_s >= t_end_s:
        return None
    end = _iso(epoch, t_end_s)
    cuts = [(t_s, COMPROMISED_RGBA, "compromised, not yet detected")]
    if isinstance(det, int | float) and float(det) < t_end_s:
        cuts.append((float(det), DETECTED_RGBA, "compromise detected: cut off, keys rotated"))
    colours: list[IntervalValue] = []
    states: list[dict[str, Any]] = []
    if t_s > 0:
        colours.append(IntervalValue(start=epoch, end=_iso(epoch, t_s), value=eclipse))
        states.append({"interval": f"{_iso_text(epoch, 0.0)}/{_iso_text(epoch, t_s)}",
                       "string": ""})  # fmt: skip
    for j, (t0, rgba, state) in enumerate(cuts):
        t1 = cuts[j + 1][0] if j + 1 < len(cuts) else t_end_s
        colours.append(
            IntervalValue(
                start=_iso(epoch, t0),
                end=_iso(epoch, t1) if j + 1 < len(cuts) else end,
                value=Color(rgba=list(rgba)),
            )
        )
        states.append({"interval": f"{_iso_text(epoch, t0)}/{_iso_text(epoch, t1)}",
                       "string": state})  # fmt: skip
    when = f"compromised at t = {t_s:,.0f} s (amber from then)"
    if isinstance(det, int | float):
        when += f", detected at t = {float(det):,.0f} s (red from then: routes, placement and "
        when += "jobs avoid it, its tenants' keys are rotated, its shards rebuilt elsewhere)"
    else:
        when += ", not detected within the run"
    return TimeIntervalCollection(values=colours), when, {"threat_state": states}


def _iso_text(epoch: dt.datetime, t_s: float) -> str:
    return _iso(epoch, t_s).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _satellite_packets(
    run: RunFolder, s: Samples, keep: NDArray[np.intp], t_end_s: float
) -> list[Packet]:
    epoch = run.epoch
    compromised = {th.name: th for th in run_threats(run) if th.kind == "compromised_satellite"}
    t = s.t_s[keep]
    xyz_m = np.round(np.stack([s.values[c][:, keep] for c in ("x_km", "y_km", "z_km")], -1) * 1e3)
    sunlit = s.values["sunlit"][:, keep] > 0.5
    detail = s.n_sat <= DETAIL_MAX_SATS
    r_km = np.nanmean(np.linalg.norm(xyz_m, axis=-1), axis=1) / 1e3
    period_s = orbital_period_s(r_km)
    avail = TimeInterval(start=epoch, end=_iso(epoch, t_end_s))
    packets = []
    for i, name in enumerate(s.names):
        ok = np.all(np.isfinite(xyz_m[i]), axis=1)
        if not ok.any():
            continue
        samples = np.column_stack([t[ok], xyz_m[i, ok]]).ravel().tolist()
        props: dict[str, Any] = {}
        if detail:
            for col, digits in (("battery_soc", 4), ("temperature_k", 1)):
                if s.has(col):
                    props[col] = {
                        "epoch": epoch,
                        "number": _sampled(t, s.values[col][i, keep], digits),
                    }
        eclipse = Color.model_validate(
            {"epoch": epoch, "rgba": _rgba_samples(t[ok], sunlit[i, ok])}
        )
        colour: Color | TimeIntervalCollection = eclipse
        description = f"satellite {name}; mean orbital radius {r_km[i]:.0f} km"
        threat = compromised.get(name)
        drawn = None if threat is None else _compromise(epoch, t_end_s, threat, eclipse)
        if drawn is not None:
            colour, when, state = drawn
            description += f"; {when}"
            props.update(state)
        packets.append(
            Packet(
                id=f"sat/{name}",
                name=name,
                availability=avail,
                description=description,
                position=Position.model_validate(
                    {
                        "epoch": epoch,
                        "cartesian": samples,
                        "referenceFrame": "FIXED",
                        "interpolationAlgorithm": InterpolationAlgorithms.LAGRANGE,
                        "interpolationDegree": 5,
                    }
                ),
                point=Point(
                    pixelSize=(7 if detail else 4) + (3 if drawn is not None else 0),
                    color=colour,
                    outlineColor=Color(rgba=[0, 0, 0, 255]),
                    outlineWidth=1,
                ),
                label=(_label(name, (8, -8)) if detail else None),
                path=(
                    CzmlPath(
                        leadTime=0,
                        trailTime=float(period_s[i]) / 2,
                        width=1,
                        resolution=120,
                        material=PolylineMaterial(
                            solidColor=SolidColorMaterial(color=Color(rgba=[255, 255, 255, 90]))
                        ),
                    )
                    if detail
                    else None
                ),
                properties=props or None,
            )
        )
    return packets


def _label(text: str, offset_px: tuple[int, int]) -> Label:
    """A label in the scene's one legible style (see :data:`LABEL_FILL_RGBA`)."""
    return Label(
        text=text,
        font="bold 12px sans-serif",
        style=LabelStyles.FILL_AND_OUTLINE,
        fillColor=Color(rgba=list(LABEL_FILL_RGBA)),
        outlineColor=Color(rgba=list(LABEL_OUTLINE_RGBA)),
        outlineWidth=LABEL_OUTLINE_WIDTH,
        showBackground=True,
        backgroundColor=Color(rgba=list(LABEL_BACKGROUND_RGBA)),
        pixelOffset=Cartesian2Value(values=list(offset_px)),
    )


def _station_packets(run: RunFolder) -> list[Packet]:
    labels = len(run.stations) <= LABEL_MAX_STATIONS
    return [
        Packet(
            id=f"gs/{st['name']}",
            name=str(st["name"]),
            description=(
                f"ground station {st['name']} ({st.get('jurisdiction', '')}); "
                f"{st.get('link_type', '')} {_station_rate(st)}, "
                f"minimum elevation {st.get('min_elevation_deg', '')} deg"
            ),
            position=Position(
                cartographicDegrees=[
                    float(st["lon_deg"]),
                    float(st["lat_deg"]),
                    float(st.get("alt_m", 0.0)),
                ]
            ),
            point=Point(
                pixelSize=8,
                color=Color(rgba=list(STATION_RGBA)),
                outlineColor=Color(rgba=[255, 255, 255, 255]),
                outlineWidth=1,
            ),
            label=(_label(str(st["name"]), (8, 8)) if labels else None),
        )
        for st in run.stations
    ]


def _windows(
    epoch: dt.datetime, spans: list[tuple[float, float]], t_end_s: float
) -> TimeIntervalCollection | None:
    """``spans`` [s] clipped to ``[0, t_end_s]`` as an availability (None: none left)."""
    vals = [
        TimeInterval(start=_iso(epoch, a), end=_iso(epoch, min(b, t_end_s)))
        for a, b in spans
        if a < t_end_s and b > a
    ]
    return TimeIntervalCollection(values=vals) if vals else None


def _jammer_spans(spec: dict[str, Any]) -> list[tuple[float, float]]:
    """When a jammer transmits [s]: its window, or each pulse of a pulsed one."""
    t0, t1 = (
        float(spec.get("t_s") or 0.0),
        float(spec.get("t_s") or 0.0) + float(spec.get("duration_s") or 0.0),
    )
    on, period = spec.get("on_s"), spec.get("period_s")
    if spec.get("mode") == "pulsed" and on and period and (t1 - t0) / period <= MAX_DRAWN_PULSES:
        starts = np.arange(t0, t1, float(period)).tolist()
        return [(a, min(a + float(on), t1)) for a in starts]
    return [(t0, t1)]


def _jammer_packet(
    run: RunFolder, th: Threat, t_end_s: float, shell_altitude_km: float
) -> Packet | None:
    sp = dict(th.spec)
    lat, lon = sp.get("lat_deg"), sp.get("lon_deg")
    avail = _windows(run.epoch, _jammer_spans(sp), t_end_s)
    if avail is None:
        return None
    position: Position | None
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        position = Position(cartographicDegrees=[float(lon), float(lat), 0.0])
        where = f"at {float(lat):.2f}°, {float(lon):.2f}°"
    else:  # a jammer on a track: its position sampled over its window
        position = _moving_jammer_position(run, sp, t_end_s)
        if position is None:
            return None
        where = "on its track"
    uplink = sp.get("target") == "uplink"
    radius_km = footprint_radius_km(uplink, float(sp.get("height_m") or 0.0),
                                    float(sp.get("beamwidth_deg") or 0.0),
                                    shell_altitude_km)  # fmt: skip
    what = (f"−3 dB beam edge on the {shell_altitude_km:,.0f} km shell" if uplink
            else "radio horizon")  # fmt: skip
    m = th.metrics
    effect = (
        f"; {m.get('contacts_affected', 0)} contact pieces slowed, "
        f"{m.get('contacts_closed', 0)} closed"
        if m
        else ""
    )
    return Packet(
        id=f"jammer/{th.name}",
        name=f"{th.name} (jammer)",
        description=(
            f"jammer {th.name} ({sp.get('mode', 'barrage')}, {sp.get('target')} at "
            f"{sp.get('pointing')}) {where}, "
            f"EIRP {sp.get('eirp_dbw')} dBW; footprint radius {radius_km:,.1f} km ({what})"
            f"{effect}"
        ),
        availability=avail,
        position=position,
        point=Point(
            pixelSize=10,
            color=Color(rgba=[*JAMMER_RGBA[:3], 255]),
            outlineColor=Color(rgba=[255, 255, 255, 255]),
            outlineWidth=2,
        ),
        ellipse=Ellipse(
            semiMajorAxis=radius_km * 1000.0,
            semiMinorAxis=radius_km * 1000.0,
            material=Material(solidColor=SolidColorMaterial(color=Color(rgba=list(JAMMER_RGBA)))),
        ),
        label=_label(f"{th.name} (jammer)", (10, 10)),
    )


#: Spacing [s] of a moving jammer's sampled position in the scene (linear between samples).
JAMMER_TRACK_STEP_S = 60.0


def _moving_jammer_position(run: RunFolder, sp: dict[str, Any], t_end_s: float) -> Position | None:
    """A jammer's ``track:`` position [m, Earth-fixed] every :data:`JAMMER_TRACK_STEP_S` over
    its window (:func:`orbitcloud.links.jamming.jammer_position_ecef_km`, the position its
    J/S uses); None when the spec cannot be read back from the manifest."""
    from orbitcloud.links.jamming import jammer_position_ecef_km
    from orbitcloud.scenario.threats import Jamming

    try:
        jammer = Jamming.model_validate(sp)
    except (ValueError, TypeError):
        return None
    t0 = max(float(jammer.t_s), 0.0)
    t1 = min(t0 + float(jammer.duration_s), t_end_s)
    if not t1 > t0:
        return None
    t = np.unique(np.r_[np.arange(t0, t1, JAMMER_TRACK_STEP_S), t1])
    xyz_m = np.round(jammer_position_ecef_km([jammer], t)[0][0] * 1e3)
    return Position.model_validate(
        {
            "epoch": run.epoch,
            "cartesian": np.column_stack([t, xyz_m]).ravel().tolist(),
            "referenceFrame": "FIXED",
            "interpolationAlgorithm": InterpolationAlgorithms.LINEAR,
            "interpolationDegree": 1,
        }
    )


def _flood_packets(run: RunFolder, th: Threat, t_end_s: float, sats: set[str]) -> list[Packet]:
    t0 = float(th.spec.get("t_s") or 0.0)
    avail = _windows(run.epoch, [(t0, t0 + float(th.spec.get("duration_s") or 0.0))], t_end_s)
    if avail is None:
        return []
    stations = {str(st["name"]): st for st in run.stations}
    bps = th.spec.get("attack_bps")
    out = []
    for target in [str(x) for x in th.spec.get("targets") or []]:
        rate = f"{float(bps):,.0f}" if isinstance(bps, int | float) else "?"
        desc = f"link flooding of {target}: {rate} bit/s of attack traffic"
        if target in stations:
            st = stations[target]
            out.append(Packet(
                id=f"flood/{target}", name=f"{target} (flooded)", description=desc,
                availability=avail,
                position=Position(cartographicDegrees=[float(st["lon_deg"]),
                                                       float(st["lat_deg"]),
                                                       float(st.get("alt_m", 0.0))]),
                point=Point(pixelSize=18, color=Color(rgba=[0, 0, 0, 0]),
                            outlineColor=Color(rgba=list(FLOOD_RGBA)), outlineWidth=3),
            ))  # fmt: skip
            continue
        pair = split_isl(target, sats)
        if pair is None:
            continue  # an end left out of the scene
        out.append(Packet(
            id=f"flood/{target}", name=f"ISL {target} (flooded)", description=desc,
            availability=avail,
            polyline=Polyline(
                positions=PositionList(references=[f"sat/{pair[0]}#position",
                                                   f"sat/{pair[1]}#position"]),
                width=4, arcType=ArcTypes.NONE,
                material=PolylineMaterial(solidColor=SolidColorMaterial(
                    color=Color(rgba=list(FLOOD_RGBA)))),
            ),
        ))  # fmt: skip
    return out


def _threat_packets(
    run: RunFolder, t_end_s: float, sats: set[str] | None = None, shell_altitude_km: float = 550.0
) -> list[Packet]:
    """Entities of their own for the run's threats: a rogue ground station, a jammer and its
    footprint, flooded stations and ISLs (module docstring). A compromised satellite is drawn
    on its satellite entity (:func:`_compromise`). ``sats``: the satellites in the scene;
    ``shell_altitude_km``: where an uplink jammer's footprint is taken."""
    packets = []
    threats = run_threats(run)
    if not threats:  # no services ran (no security block): jammers and floods from the spec
        threats = [
            Threat(str(t.get("kind")), str(t.get("name") or ""), t, {})
            for t in run.scenario.get("threats") or []
            if isinstance(t, dict) and t.get("kind") in ("jamming", "link_flooding")
        ]
    for th in threats:
        if th.kind == "jamming":
            jp = _jammer_packet(run, th, t_end_s, shell_altitude_km)
            packets += [jp] if jp is not None else []
            continue
        if th.kind == "link_flooding":
            packets += _flood_packets(run, th, t_end_s, sats or set())
            continue
        if th.kind != "rogue_ground_station":
            continue
        lat, lon = th.spec.get("lat_deg"), th.spec.get("lon_deg")
        if not isinstance(lat, int | float) or not isinstance(lon, int | float):
            continue
        m = th.metrics
        t_s, dur = float(m.get("t_s") or 0.0), float(m.get("duration_s") or 0.0)
        rej = rejected_attempts_s(run, th.name)
        times = ", ".join(f"{t:,.0f}" for t in rej[:20].tolist()) + (", …" if rej.size > 20 else "")
        packets.append(
            Packet(
                id=f"rogue/{th.name}",
                name=f"{th.name} (rogue ground station)",
                description=(
                    f"rogue ground station {th.name} (no credentials of the store) at "
                    f"{float(lat):.2f}°, {float(lon):.2f}°; attempt window t = {t_s:,.0f} s to "
                    f"{t_s + dur:,.0f} s; {m.get('uplink_attempts', 0)} uplink attempts, "
                    f"{m.get('uplinks_rejected', 0)} rejected"
                    + (f" (at t = {times} s)" if rej.size else "")
                ),
                position=Position(cartographicDegrees=[float(lon), float(lat), 0.0]),
                point=Point(
                    pixelSize=12,
                    color=Color(rgba=list(ROGUE_RGBA)),
                    outlineColor=Color(rgba=[255, 255, 255, 255]),
                    outlineWidth=2,
                ),
                label=_label(f"{th.name} (rogue)", (10, 10)),
            )
        )
    return packets


@dataclass(frozen=True)
class LinkWindows:
    """Undirected linked pairs and the union of their windows (both directions).

    Attributes:
        a, b: list[n_pair] node names (a < b in node order; b is the station for ground links).
        isl: bool[n_pair]; total_s: float64[n_pair] total time linked [s].
        pair, start_s, end_s: merged windows ``[n_window]``, ``pair`` indexes the pairs.
        user: bool[n_pair], a user link (``b`` the user); empty: none.
    """

    a: list[str]
    b: list[str]
    isl: NDArray[np.bool_]
    total_s: F64
    pair: NDArray[np.intp]
    start_s: F64
    end_s: F64
    user: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))


def _user_names(run: RunFolder) -> list[str]:
    return [str(u["name"]) for u in run.scenario.get("users") or [] if "name" in u]


def link_windows(run: RunFolder, t_end_s: float) -> LinkWindows | None:
    """Merge ``contacts.parquet`` into undirected pairs over ``[0, t_end_s]`` (vectorised)."""
    c = run.contacts
    if c is None or c.num_rows == 0:
        return None
    src_col, dst_col = ("from", "to") if "from" in c.column_names else ("src", "dst")
    src, src_names = codes(c.column(src_col))
    dst, dst_names = codes(c.column(dst_col))
    names = sorted(set(src_names) | set(dst_names))
    index = {n: i for i, n in enumerate(names)}
    src = np.asarray([index[n] for n in src_names], dtype=np.intp)[src]
    dst = np.asarray([index[n] for n in dst_names], dtype=np.intp)[dst]
    kind, kind_names = codes(c.column("kind"))
    isl = np.asarray([k == "isl" for k in kind_names], dtype=bool)[kind]
    start, end = column_f64(c, "start_s"), np.minimum(column_f64(c, "end_s"), t_end_s)
    station = {st["name"] for st in run.stations} | set(_user_names(run))  # leaves
    is_station = np.asarray([n in station for n in names], dtype=bool)
    is_user = np.asarray([n in set(_user_names(run)) for n in names], dtype=bool)
    # ground links: (satellite, station); ISLs: (lower, higher) index
    lo = np.where(isl, np.minimum(src, dst), np.where(is_station[src], dst, src))
    hi = np.where(isl, np.maximum(src, dst), np.where(is_station[src], src, dst))
    ok = end > start
    key = lo[ok] * len(names) + hi[ok]
    uniq, pair = np.unique(key, return_inverse=True)
    order = np.lexsort((start[ok], pair))
    merged = merge_overlaps(pair[order].astype(np.intp), start[ok][order], end[ok][order])
    total = np.asarray(
        np.bincount(merged.elem, weights=merged.end_s - merged.start_s, minlength=uniq.size),
        dtype=np.float64,
    )
    pair_isl = np.zeros(uniq.size, dtype=bool)
    pair_isl[pair] = isl[ok]
    pair_user = is_user[uniq % len(names)] & ~pair_isl
    return LinkWindows(
        [names[k // len(names)] for k in uniq],
        [names[k % len(names)] for k in uniq],
        pair_isl,
        total,
        merged.elem,
        merged.start_s,
        merged.end_s,
        pair_user,
    )


def select_links(links: LinkWindows, per_kind: int = MAX_LINKS_PER_KIND) -> NDArray[np.intp]:
    """Indices of the pairs kept: per kind, the ``per_kind`` longest linked; ties spread by
    the golden-ratio sequence ``frac(i φ)`` over the pair index ``i``."""
    n = links.total_s.size
    spread = np.mod(np.arange(n) * 0.6180339887498949, 1.0)
    user = links.user if links.user.size == n else np.zeros(n, dtype=bool)
    keep = [np.flatnonzero(user)]  # every user link
    for kind in (True, False):
        idx = np.flatnonzero((links.isl == kind) & ~user)
        order = np.lexsort((spread[idx], -np.round(links.total_s[idx], 3)))
        keep.append(idx[order[:per_kind]])
    return np.sort(np.concatenate(keep))


def _link_packets(
    run: RunFolder, links: LinkWindows, keep: NDArray[np.intp], sats: set[str]
) -> list[Packet]:
    epoch = run.epoch
    stations = {str(st["name"]) for st in run.stations}
    users = set(_user_names(run))
    first = np.searchsorted(links.pair, keep, side="left")
    last = np.searchsorted(links.pair, keep, side="right")
    packets = []
    for p, i0, i1 in zip(keep.tolist(), first.tolist(), last.tolist(), strict=True):
        a, b = links.a[p], links.b[p]
        is_user = b in users and not links.isl[p]
        ref_b = f"sat/{b}" if b in sats else (f"user/{b}" if is_user else f"gs/{b}")
        if a not in sats or (b not in sats and b not in stations and not is_user):
            continue  # an end left out of the scene (beyond MAX_SCENE_RADIUS_KM)
        rgba = ISL_RGBA if links.isl[p] else (USER_LINK_RGBA if is_user else GROUND_LINK_RGBA)
        what = "ISL" if links.isl[p] else ("user link" if is_user else "ground link")
        packets.append(
            Packet(
                id=f"link/{a}/{b}",
                name=f"{what} {a} - {b}",
                availability=TimeIntervalCollection(
                    values=[
                        TimeInterval(start=_iso(epoch, s0), end=_iso(epoch, s1))
                        for s0, s1 in zip(
                            links.start_s[i0:i1].tolist(), links.end_s[i0:i1].tolist(), strict=True
                        )
                    ]
                ),
                polyline=Polyline(
                    positions=PositionList(references=[f"sat/{a}#position", f"{ref_b}#position"]),
                    width=1,
                    arcType=ArcTypes.NONE,
                    material=PolylineMaterial(
                        solidColor=SolidColorMaterial(color=Color(rgba=list(rgba)))
                    ),
                ),
            )
        )
    return packets


def _user_packets(run: RunFolder, t_s: F64, t_end_s: float) -> list[Packet]:
    """One point entity per user of the scenario (module docstring), its track sampled at
    ``t_s`` [s since the epoch]; a user whose track cannot be evaluated from the manifest
    (e.g. a ``file:`` track whose CSV is not beside the run) is left out."""
    from orbitcloud.orbits.tracks import user_positions
    from orbitcloud.scenario.users import User

    epoch = run.epoch
    t = np.asarray(t_s, dtype=np.float64)
    if t.size == 0:
        t = np.array([0.0, t_end_s]) if t_end_s > 0 else np.array([0.0])
    packets = []
    for d in run.scenario.get("users") or []:
        try:
            user = User.model_validate(d)
            xyz_m = np.round(user_positions([user], t)[0] * 1e3)
        except (ValueError, TypeError, OSError, KeyError):
            continue
        packets.append(
            Packet(
                id=f"user/{user.name}",
                name=user.name,
                availability=TimeInterval(start=epoch, end=_iso(epoch, t_end_s)),
                description=(
                    f"user {user.name} ({user.kind}); terminal {user.terminal.policy} over "
                    f"{', '.join(user.terminal.constellations)}"
                ),
                position=Position.model_validate(
                    {
                        "epoch": epoch,
                        "cartesian": np.column_stack([t, xyz_m]).ravel().tolist(),
                        "referenceFrame": "FIXED",
                        "interpolationAlgorithm": InterpolationAlgorithms.LINEAR,
                        "interpolationDegree": 1,
                    }
                ),
                point=Point(
                    pixelSize=7,
                    color=Color(rgba=list(USER_RGBA)),
                    outlineColor=Color(rgba=[255, 255, 255, 255]),
                    outlineWidth=1,
                ),
                label=_label(user.name, (8, 8)),
            )
        )
    return packets


def _within_scene(s: Samples) -> tuple[Samples | None, tuple[str, ...]]:
    """``s`` without the nodes ever beyond :data:`MAX_SCENE_RADIUS_KM` (``None`` if no node
    is left), and the names of those left out."""
    r_km = np.sqrt(sum(s.values[c] ** 2 for c in ("x_km", "y_km", "z_km")))
    with np.errstate(invalid="ignore"):
        far = np.any(r_km > MAX_SCENE_RADIUS_KM, axis=1)
    if not far.any():
        return s, ()
    out = tuple(n for n, f in zip(s.names, far.tolist(), strict=True) if f)
    if far.all():
        return None, out
    keep = ~far
    return (
        Samples(
            s.t_s,
            [n for n, k in zip(s.names, keep.tolist(), strict=True) if k],
            {k: v[keep] for k, v in s.values.items()},
        ),
        out,
    )


def build_scene(run: RunFolder) -> tuple[str, SceneSummary]:
    """The CZML document (JSON text) of a run and a summary of what it holds."""
    s = run.samples
    left_out: tuple[str, ...] = ()
    if s is not None:
        s, left_out = _within_scene(s)
    epoch = run.epoch
    n_sat = 0 if s is None else s.n_sat
    t_end_s = run.duration_s
    stride = 1
    sat_packets: list[Packet] = []
    n_keep = 0
    if s is not None and s.t_s.size:
        step_s = float(np.median(np.diff(s.t_s))) if s.t_s.size > 1 else 0.0
        r_now = np.sqrt(sum(s.values[c][:, 0] ** 2 for c in ("x_km", "y_km", "z_km")))
        period = float(np.nanmin(orbital_period_s(r_now))) if np.isfinite(r_now).any() else 1e9
        stride, n_keep = sample_stride(n_sat, s.t_s.size, step_s, period)
        keep = np.arange(0, s.t_s.size, stride)[:n_keep]
        if n_keep < len(range(0, s.t_s.size, stride)):
            t_end_s = float(s.t_s[keep[-1]])
        sat_packets = _satellite_packets(run, s, keep, t_end_s)
    station_packets = _station_packets(run)
    t_user = np.empty(0)
    if s is not None and s.t_s.size:
        t_user = s.t_s[np.arange(0, s.t_s.size, stride)[:n_keep]]
    user_packets = _user_packets(run, t_user, t_end_s) if run.scenario.get("users") else []
    shell_km = 550.0
    if s is not None and s.t_s.size:
        r0 = np.sqrt(sum(s.values[c][:, 0] ** 2 for c in ("x_km", "y_km", "z_km")))
        if np.isfinite(r0).any():
            shell_km = float(np.nanmedian(r0)) - EARTH_RADIUS_KM
    threat_packets = _threat_packets(
        run, t_end_s, set(s.names) if s is not None else set(), shell_km
    )
    links = link_windows(run, t_end_s)
    link_packets: list[Packet] = []
    n_isl = n_ground = 0
    if links is not None and s is not None:
        keep_links = select_links(links)
        link_packets = _link_packets(run, links, keep_links, set(s.names))
        n_isl, n_ground = int(links.isl.sum()), int((~links.isl).sum())
    end = _iso(epoch, t_end_s)
    document = Packet(
        id="document",
        name=f"orbitcloud: {run.name}",
        version=CZML_VERSION,
        clock=Clock(
            interval=TimeInterval(start=epoch, end=end),
            currentTime=epoch,
            multiplier=60,
            range=ClockRanges.LOOP_STOP,
            step=ClockSteps.SYSTEM_CLOCK_MULTIPLIER,
        ),
    )
    packets = [document, *sat_packets, *station_packets, *user_packets, *threat_packets]
    text = Document(packets=[*packets, *link_packets]).dumps()
    text = _WHOLE_FLOAT.sub(r"\1", text)  # 6871234.0 -> 6871234: a sixth less to load
    summary = SceneSummary(
        satellites=len(sat_packets),
        stations=len(station_packets),
        links=len(link_packets),
        links_isl_total=n_isl,
        links_ground_total=n_ground,
        sample_stride=stride,
        samples_per_satellite=n_keep,
        t_end_s=t_end_s,
        entities=len(sat_packets)
        + len(station_packets)
        + len(user_packets)
        + len(threat_packets)
        + len(link_packets),
        left_out=left_out,
    )
    return text, summary


def write_czml(run_dir: Path) -> Path:
    """Write ``RUN_DIR/scene.czml`` and return its path."""
    run = open_run_folder(run_dir)
    text, _ = build_scene(run)
    path = run.path / "scene.czml"
    path.write_text(text)
    return path
