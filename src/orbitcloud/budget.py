"""Resource budget of a scenario, estimated from its sizes before any work starts.

A scenario that validates may still be impossible on this machine (a year at 1 ms steps, one
job per byte). :func:`estimate` sizes the run from the scenario alone, in well under a second,
and :func:`check_budget` refuses it with one line that gives the numbers and what to change
when the estimate exceeds the memory this process may use (``MemAvailable`` from
``/proc/meminfo``, or ``--max-memory``).

The terms (bytes of peak memory; ``n_sat`` satellites, ``n_time`` grid samples, ``n_gs``
stations, ``n_area`` EO areas):

==================  ==========================================================================
term                size
==================  ==========================================================================
base                interpreter, numpy/scipy/pyarrow/sgp4/skyfield loaded: :data:`BASE_BYTES`
time grid           ``n_time`` × :data:`GRID_BYTES_PER_STEP` (times, Julian dates, Sun vector)
orbits and power    ``n_sat × n_time`` × :data:`SAMPLE_BYTES` (positions float64[n_sat,
                    n_time, 3], SGP4 temporaries, eclipse masks, the power/thermal arrays,
                    positions.parquet's columns up to its row cap)
contact search      ``min(n_sat (n_gs + n_area) n_time, CHUNK_ELEMENTS)`` ×
                    :data:`SEARCH_BYTES_PER_ELEMENT` per process (the search is chunked)
ISL search          ``min(pairs × n_time, CHUNK_ELEMENTS)`` × the same, plus ``pairs × n_time``
                    bytes of activity masks for range topologies with ``max_terminals``
space links         ``min(pairs × n_time, SPACE_CHUNK_ELEMENTS)`` × :data:`SPACE_BYTES_PER_ELEMENT`
                    (the margins of the space-link pairs, chunked) plus ``n_time`` ×
                    :data:`SPACE_BYTES_PER_STEP` (body positions, orientations, each linked
                    node's position and local up on the grid)
EO jobs             tiles × :data:`JOB_BYTES` (job table and discrete-event state per tile)
storage             objects × :data:`OBJECT_BYTES` + 8 × the largest object (in-flight shards)
ITU-R maps          :data:`ITUR_BYTES` when a station or user terminal has an ACM budget
ground contacts     estimated ground contact rows × :data:`CONTACT_ROW_BYTES` (the plan's
                    columns, the pieces' exact samples, the network ledger and router);
                    user terminals count as one-antenna sites where they start
==================  ==========================================================================

Ground contact rows (:func:`ground_contact_rows`): satellite ``s`` sees station ``g`` within
the Earth central angle ``λ = acos(R cos ε / (R + h)) − ε`` (``ε`` its minimum elevation,
``h`` the satellite's altitude), about ``(1 − cos λ) / 2`` of the time times the latitude
density ratio above (the station's latitude for the area's); a pass lasts on average the
mean chord of that cap over the ground-track rate, ``(π / 2) λ / n`` (``n`` the mean motion;
the Earth's rotation neglected). A station's contact time is capped at ``antennas`` ×
``duration_s``. A fixed-rate station gives one row per pass and direction; an ACM station cuts
each pass into pieces of at most ``link.max_piece_s`` (default ``min(step_s, 60 s)``,
:func:`orbitcloud.links.contacts.ground_pieces`), ``visible / max_piece_s + passes / 2``
pieces per direction. Jammer windows and pulses cut further and are not counted.

The tile count is estimated from the workload section: a satellite images area ``a`` while its
nadir is within ``θ = (radius_km + swath_km / 2) / R⊕`` of the area's centre. For a circular
orbit of inclination ``i`` the nadir's latitude density relative to a uniform sphere is
``2 / (π √(sin² i − sin² φ))`` (capped at 3), so the fraction of time spent imaging ``a`` is
about ``(1 − cos θ) / 2`` times that ratio; capture seconds × ``sensor_rate_bps / 8`` /
``tile_bytes`` tiles, plus one partial tile per capture, plus the requests' ``count``.

**Calibration** (``benchmarks/bench_budget.py``: peak RSS, ``VmHWM``, of a fresh process
running the pipeline and writing the run folder on one core; the project's 2-core machine,
2026-12): :data:`SAMPLE_BYTES` and :data:`BASE_BYTES` from iss-node (1 h), milsca at 60 s and
1 s steps (54 × 61 / 3,601 samples), starlink-550 over 3 h and 12 h (1,584 × 181 / 721
samples), starlink-gen1 (6 h) and synthetic-20k (2 h); :data:`JOB_BYTES` from milsca with
``tile_bytes`` 1e7 (~10⁵ jobs). With the fitted constants the estimate is 0.84-1.29× the
measured peak on every case (see benchmarks/README.md); it is meant to refuse runs that are
hopeless by orders of magnitude, not to predict the last megabyte. The time estimate is
rougher (0.4-1.0× of the measured wall time), shown for information only.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from orbitcloud.constants import EARTH_MU_KM3_S2
from orbitcloud.scenario.models import EARTH_ORBIT_KINDS, GridTopology, RangeTopology, Scenario
from orbitcloud.scenario.rates import AcmLink
from orbitcloud.scenario.users import GreatCircleTrack, User

__all__ = [
    "BudgetError",
    "Estimate",
    "available_memory_bytes",
    "check_budget",
    "estimate",
    "format_bytes",
    "ground_contact_rows",
    "parse_bytes",
]

#: Interpreter and libraries, before any scenario data (measured: 128 MB after imports, 153 MB
#: peak for a one-satellite hour).
BASE_BYTES = 150 * 2**20
#: The ITU-R maps itur loads for the P.618 attenuation of ACM link budgets (stations' or user
#: terminals'): measured 362 MB peak above a bare interpreter for one attenuation table
#: (itur 0.4, Python 3.11, 2026-12).
ITUR_BYTES = 360 * 2**20
#: Per grid sample: t_s, Julian date pair, Sun vector, sidereal angle, ... [bytes].
GRID_BYTES_PER_STEP = 96
#: Per satellite-sample, orbits + eclipse + power + positions table [bytes]; measured slopes
#: 308 B (starlink-550, 3 h → 12 h) and 255 B (starlink-gen1 6 h → synthetic-20k 2 h).
SAMPLE_BYTES = 320
#: Elements per chunk of the contact search (``links.contacts.CHUNK_ELEMENTS``).
CHUNK_ELEMENTS = 4_000_000
#: Per element of a search chunk: margins, elevations, masks, edges [bytes] (fitted: the
#: intercepts of the sample fits above less BASE_BYTES, ~90 MB for a full 4e6-element chunk).
SEARCH_BYTES_PER_ELEMENT = 24
#: Elements (pairs × samples) per chunk of the space-link margins
#: (``links.spacelinks.CHUNK_ELEMENTS``).
SPACE_CHUNK_ELEMENTS = 2_000_000
#: Per element of a space-link chunk: both ends' positions and ups, the occulter centres and
#: the margin terms [bytes]; per grid step: bodies, orientations, linked nodes [bytes]
#: (fitted to mars-relay and lonestar, see benchmarks/README.md).
SPACE_BYTES_PER_ELEMENT = 40
SPACE_BYTES_PER_STEP = 150
#: Per EO tile / job: job table plus the engine's per-job state [bytes]; measured 5.3 kB
#: (milsca 6 h: 1,141 jobs 225 MB, 101,954 jobs with tile_bytes 1e7 762 MB).
JOB_BYTES = 5_500
#: Per (route pair, step) of a routes table: rtt, hops, hash and the hop list [bytes].
ROUTE_BYTES = 160
#: Per stored object: catalog rows, report rows, keys [bytes].
OBJECT_BYTES = 4_096
#: Per ground contact row [bytes]: the plan's columns (~60 B), the 3 exact samples per piece
#: and direction of the ACM budget (positions, ranges, elevations, ~150 B), the ledger's and
#: the router's per-contact arrays (~100 B); sized from those arrays, not fitted.
CONTACT_ROW_BYTES = 400
#: The default longest ACM piece [s] (``links.contacts.MAX_PIECE_S``).
MAX_PIECE_S = 60.0
#: Rough throughput for the time estimate [per second, one core].
SAMPLES_PER_S = 2.0e6
SEARCH_ELEMENTS_PER_S = 2.5e7
JOBS_PER_S = 700.0  # milsca, 101,954 jobs in 144 s
STORED_BYTES_PER_S = 2.0e8
#: Fixed cost of a command [s]: imports, the ephemeris file, figures and report (ascend, one
#: day: 3.9 s wall for 1.5 s of stages).
STARTUP_S = 2.5

R_EARTH_KM = 6378.137  # WGS-84 equatorial radius [km]
_LATITUDE_RATIO_CAP = 3.0


class BudgetError(ValueError):
    """A scenario whose estimated needs exceed the machine (one line, with the numbers)."""

    def __init__(self, message: str, estimate: Estimate) -> None:
        self.estimate = estimate
        super().__init__(message)


@dataclass(frozen=True)
class Estimate:
    """Estimated needs of a run.

    Attributes:
        n_sat, n_time, n_station, n_area: sizes of the run.
        samples: ``n_sat × n_time``.
        tiles: estimated EO jobs (tiles plus requests).
        objects: stored objects.
        terms: peak-memory term name → bytes (see the module docstring).
        memory_bytes: the sum of ``terms`` (peak resident memory of the run).
        disk_bytes: bytes the run writes (stored shards with their redundancy, tables).
        seconds: a rough wall time on one core.
        ground_rows: estimated ground contact rows (both directions, ACM pieces counted).
    """

    n_sat: int
    n_time: int
    n_station: int
    n_area: int
    samples: float
    tiles: float
    objects: int
    terms: dict[str, float] = field(default_factory=dict)
    disk_bytes: float = 0.0
    seconds: float = 0.0
    ground_rows: float = 0.0

    @property
    def memory_bytes(self) -> float:
        return float(sum(self.terms.values()))

    def dominant(self) -> str:
        """The name of the largest memory term."""
        return max(self.terms, key=lambda k: self.terms[k])


def format_bytes(n: float) -> str:
    """``n`` bytes as ``"235 GiB"`` (binary units, 3 significant digits)."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
    k = 0
    while n >= 1024 and k < len(units) - 1:
        n /= 1024.0
        k += 1
    return f"{n:.3g} {units[k]}" if n < 1000 else f"{n:,.0f} {units[k]}"


_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 2**10, "m": 10**6, "mb": 10**6,
          "mib": 2**20, "g": 10**9, "gb": 10**9, "gib": 2**30, "t": 10**12, "tb": 10**12,
          "tib": 2**40}  # fmt: skip


def parse_bytes(text: str) -> int:
    """``"8GiB"``, ``"500 MB"``, ``"2g"``, ``"1e9"`` → bytes; ``ValueError`` with the allowed
    forms otherwise."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    unit = m.group(2).lower() if m else ""
    if m is None or unit not in _UNITS or float(m.group(1)) <= 0:
        raise ValueError(
            f"{text!r} is not a memory size; use a positive number with an optional unit "
            "B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB, e.g. 8GiB"
        )
    return int(float(m.group(1)) * _UNITS[unit])


def available_memory_bytes() -> int:
    """Memory this process may use: ``MemAvailable`` from /proc/meminfo (Linux), else the
    physical memory from ``os.sysconf``; the cgroup limit when one is set and lower."""
    avail = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    if not avail:
        try:
            avail = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            avail = 2**40  # unknown: do not refuse on memory
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            avail = min(avail, int(limit))
    except OSError:
        pass
    return avail


def _orbits(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """(inclination [rad], mean motion [rad/min]) of the Earth-orbit satellites."""
    from orbitcloud.orbits.satellites import build_satellites

    sats = build_satellites(scenario)
    return (
        np.array([s.inclo for s in sats.satrecs], dtype=np.float64),
        np.array([s.no_kozai for s in sats.satrecs], dtype=np.float64),
    )


def _latitude_ratio(incl_rad: np.ndarray, lat_rad: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """[n_sat, n_site] latitude density ratio (module docstring), 0 where out of reach."""
    si = np.sin(incl_rad)[:, None] ** 2
    sp = np.sin(np.abs(lat_rad))[None, :] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(si > sp, 2.0 / (math.pi * np.sqrt(si - sp)), 0.0)
    reach = np.abs(lat_rad)[None, :] <= np.minimum(incl_rad, math.pi - incl_rad)[:, None] + theta
    return np.where(reach, np.clip(np.nan_to_num(ratio, nan=0.0), 0.5, _LATITUDE_RATIO_CAP), 0.0)


def ground_contact_rows(
    scenario: Scenario, orbits: tuple[np.ndarray, np.ndarray] | None = None
) -> float:
    """Estimated ground contact rows of the plan (module docstring), both directions;
    ``orbits``: :func:`_orbits` of the scenario if already at hand."""
    stations = [g for g in scenario.ground_stations if g.earth_orbit_passes]
    default = min(scenario.step_s, MAX_PIECE_S)
    # (lat_deg, min_elevation_deg, antennas, longest piece [s]; inf: one row per pass)
    sites = [
        (
            g.lat_deg,
            g.min_elevation_deg,
            g.antennas,
            (g.link.max_piece_s or default) if isinstance(g.link, AcmLink) else np.inf,
        )
        for g in stations
    ]  # fmt: skip  (optical links are cut only by clouds, which the estimate leaves out)
    for u in scenario.users:  # a user terminal: one satellite at a time, from where it starts
        lk = u.terminal.link
        sites.append((_user_lat_deg(u), u.terminal.min_elevation_deg, 1,
                      (lk.max_piece_s or default) if lk is not None else np.inf))  # fmt: skip
    if not sites:
        return 0.0
    incl, n_rad_min = orbits if orbits is not None else _orbits(scenario)
    if incl.size == 0:
        return 0.0
    n_rad_s = n_rad_min / 60.0
    a_km = (EARTH_MU_KM3_S2 / n_rad_s**2) ** (1.0 / 3.0)
    eps = np.radians([x[1] for x in sites])[None, :]
    lam = np.arccos(np.clip(R_EARTH_KM * np.cos(eps) / a_km[:, None], -1.0, 1.0)) - eps
    lam = np.maximum(lam, 0.0)  # [n_sat, n_gs]
    lat = np.radians([x[0] for x in sites])
    frac = (1.0 - np.cos(lam)) / 2.0 * _latitude_ratio(incl, lat, lam)
    visible_s = scenario.duration_s * frac
    pass_s = np.maximum((math.pi / 2.0) * lam / n_rad_s[:, None], 1.0)
    cap = np.array([x[2] for x in sites], dtype=np.float64) * scenario.duration_s
    total = visible_s.sum(axis=0)
    scale = np.where(total > cap, cap / np.maximum(total, 1e-9), 1.0)[None, :]
    visible_s = visible_s * scale
    passes = visible_s / pass_s
    piece = np.array([x[3] for x in sites], dtype=np.float64)
    rows = np.where(np.isfinite(piece)[None, :], visible_s / piece[None, :] + 0.5 * passes,
                    passes)  # fmt: skip
    return float(2.0 * rows.sum())


def _user_lat_deg(u: User) -> float:
    """Where a user terminal starts: its position's, or its track's first, latitude [deg]."""
    if u.position is not None:
        return float(u.position.lat_deg)
    tr = u.track
    if isinstance(tr, GreatCircleTrack):
        return float(tr.from_lat_deg)
    return float(tr.points[0][1]) if tr is not None and tr.points else 0.0


def _capture_fraction(incl_rad: np.ndarray, lat_rad: np.ndarray, theta: np.ndarray) -> float:
    """Σ over satellites and areas of the fraction of time imaging the area (see module)."""
    si = np.sin(incl_rad)[:, None] ** 2
    sp = np.sin(np.abs(lat_rad))[None, :] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(si > sp, 2.0 / (math.pi * np.sqrt(si - sp)), 0.0)
    reach = np.abs(lat_rad)[None, :] <= np.minimum(incl_rad, math.pi - incl_rad)[:, None] + theta
    ratio = np.where(reach, np.clip(np.nan_to_num(ratio, nan=0.0), 0.5, _LATITUDE_RATIO_CAP), 0.0)
    return float(((1.0 - np.cos(theta))[None, :] / 2.0 * ratio).sum())


def _tiles(scenario: Scenario, incl_rad: np.ndarray) -> tuple[float, int]:
    """(estimated jobs, areas) of the workload section."""
    w = scenario.workload
    if w is None:
        return 0.0, 0
    requests = float(sum(r.count for r in w.requests))
    if not w.areas:
        return requests, 0
    lat = np.radians([a.lat_deg for a in w.areas])
    reach_km = np.array([a.radius_km for a in w.areas]) + w.swath_km / 2.0
    theta = reach_km / R_EARTH_KM
    capture_s = scenario.duration_s * _capture_fraction(incl_rad, lat, theta)
    capture_bytes = capture_s * w.sensor_rate_bps / 8.0
    # one partial tile per capture: a pass over the area lasts ~ chord / 7 km/s
    pass_s = max(float(np.mean(2.0 * reach_km * (math.pi / 4.0) / 7.0)), 1.0)
    return capture_bytes / w.tile_bytes + capture_s / pass_s + requests, len(w.areas)


def _isl_pairs(scenario: Scenario, n_sat: int) -> tuple[float, float]:
    """(pairs searched, pairs × steps held as masks) of the ISL specs (upper estimates)."""
    pairs, masked = 0.0, 0.0
    for spec in scenario.isls:
        if isinstance(spec.topology, GridTopology):
            pairs += 2.0 * n_sat
        elif isinstance(spec.topology, RangeTopology):
            p = n_sat * min(n_sat - 1, 64) / 2.0
            pairs += p
            if spec.topology.max_terminals:
                masked += p
        else:
            listed = spec.topology.pairs
            pairs += float(len(listed)) if listed else 2.0 * n_sat
    return pairs, masked


#: What each command runs: the time-grid stages, the services (EO jobs, storage), routes.
STAGES = {
    "run": (True, True),
    "validate": (True, True),
    "contacts": (True, False),
    "routes": (True, False),
    "transfers": (True, False),
    "assess": (False, False),
}


def estimate(
    scenario: Scenario, workers: int = 1, command: str = "run", route_pairs: int = 0
) -> Estimate:
    """The estimated peak memory, disk and time of ``command`` (``run``, ``contacts``,
    ``routes``, ``transfers``, ``assess``; see :data:`STAGES`) on ``scenario`` with
    ``workers`` local processes (each holds its own search chunk and libraries);
    ``route_pairs``: endpoint pairs of a routes table."""
    grid_stages, services = STAGES[command]
    orbits = _orbits(scenario)
    incl = orbits[0]
    n_space = sum(
        len(names)
        for c, names in zip(scenario.constellations, scenario.satellite_names(), strict=True)
        if c.kind not in EARTH_ORBIT_KINDS
    )
    n_sat = int(incl.size) + n_space
    n_time = math.floor(scenario.duration_s / scenario.step_s + 1e-9) + 1
    n_gs = len(scenario.ground_stations)
    tiles, n_area = _tiles(scenario, incl) if services else (0.0, 0)
    samples = float(n_sat) * float(n_time)
    ground_el = samples * (n_gs + n_area)
    pairs, masked = _isl_pairs(scenario, n_sat)
    isl_el = pairs * n_time
    chunk = min(max(ground_el, isl_el), CHUNK_ELEMENTS)
    extra = max(workers - 1, 0)
    terms = {"base": float(BASE_BYTES) * (1 + extra), "satellites": n_sat * 10_000.0}
    if grid_stages:
        terms |= {
            "time grid": float(n_time) * GRID_BYTES_PER_STEP,
            "orbits and power": samples * SAMPLE_BYTES,
            "contact search": chunk * SEARCH_BYTES_PER_ELEMENT * (1 + extra),
            "ISL masks": masked * n_time,
            "routes table": float(route_pairs) * n_time * ROUTE_BYTES,
        }
        if scenario.space_links:
            space_pairs = sum(
                len(scenario.select_nodes(k.from_nodes)) * len(scenario.select_nodes(k.to_nodes))
                for k in scenario.space_links
            )
            per_chunk = max(1, SPACE_CHUNK_ELEMENTS // n_time) * n_time
            terms["space links"] = (
                min(space_pairs * n_time, per_chunk) * SPACE_BYTES_PER_ELEMENT
                + float(n_time) * SPACE_BYTES_PER_STEP
            )
    if services:
        terms["EO jobs"] = tiles * JOB_BYTES
    if grid_stages and _any_acm(scenario):
        terms["ITU-R maps"] = float(ITUR_BYTES)
    if not grid_stages:
        return Estimate(n_sat, n_time, n_gs, 0, 0.0, 0.0, 0, terms, 0.0, n_sat / 1e4)
    objects, stored, largest = 0, 0.0, 0
    st = scenario.storage if services else None
    if st is not None:
        from orbitcloud.scenario.storage import ErasurePlacement

        p = st.placement
        overhead = (p.k + p.m) / p.k if isinstance(p, ErasurePlacement) else float(p.copies)
        for wl in st.workloads:
            objects += wl.objects
            stored += float(wl.objects) * wl.object_bytes * overhead
            largest = max(largest, wl.object_bytes)
        terms["storage"] = objects * OBJECT_BYTES + 8.0 * largest
    seconds = (
        STARTUP_S
        + samples / SAMPLES_PER_S
        + (ground_el + isl_el) / SEARCH_ELEMENTS_PER_S / max(workers, 1)
        + tiles / JOBS_PER_S
        + stored / STORED_BYTES_PER_S
    )
    rows = ground_contact_rows(scenario, orbits)
    terms["ground contacts"] = rows * CONTACT_ROW_BYTES
    disk = stored + min(samples, 2e6) * 80.0 + rows * 60.0
    return Estimate(n_sat, n_time, n_gs, n_area, samples, tiles, objects, terms, disk, seconds,
                    rows)  # fmt: skip


_PER_STEP = ("orbits and power", "time grid", "contact search", "ISL masks", "routes table",
             "ground contacts")  # fmt: skip


def _advice(e: Estimate, scenario: Scenario, limit: float) -> str:
    """What to change so that the dominant term (with the terms that scale like it) fits in
    ``limit`` bytes."""
    term = e.dominant()
    group = _PER_STEP if term in _PER_STEP else (term,)
    grows = sum(e.terms.get(k, 0.0) for k in group)
    room = limit - (e.memory_bytes - grows)
    scale = grows / room if room > 0 else math.inf
    if term in _PER_STEP and math.isfinite(scale):
        return (
            f"raise step_s to >= {scenario.step_s * scale:.3g} s or shorten duration_s to "
            f"<= {scenario.duration_s / scale:.3g} s (or use fewer satellites)"
        )
    if term == "EO jobs" and scenario.workload is not None and math.isfinite(scale):
        return (
            f"raise workload.tile_bytes to >= {scenario.workload.tile_bytes * scale:.3g} "
            "(fewer, larger tiles), or use fewer areas or a shorter duration_s"
        )
    if term == "storage":
        return "store fewer or smaller objects (storage.workloads)"
    if term == "ground contacts":
        return (
            "raise the ACM stations' link.max_piece_s (fewer, longer pieces), or use fewer "
            "stations or a shorter duration_s"
        )
    if term == "base":
        return "raise --max-memory, or use fewer --workers"
    if term == "ITU-R maps":
        return "raise --max-memory, or give the ACM links fixed rates (no P.618 maps)"
    return "use fewer satellites, a shorter duration_s or a larger step_s"


def _why(e: Estimate) -> str:
    """The dominant term as a product of its sizes."""
    term = e.dominant()
    if term == "orbits and power":
        return f"{e.n_sat:,} satellites x {e.n_time:,} steps x ~{SAMPLE_BYTES} B"
    if term == "time grid":
        return f"{e.n_time:,} steps x {GRID_BYTES_PER_STEP} B"
    if term == "EO jobs":
        return f"~{e.tiles:.3g} EO tiles x ~{JOB_BYTES:,} B"
    if term == "storage":
        return f"{e.objects:,} stored objects"
    if term == "ground contacts":
        return f"~{e.ground_rows:.3g} ground contact rows x ~{CONTACT_ROW_BYTES} B"
    if term == "routes table":
        return f"route pairs x {e.n_time:,} steps x ~{ROUTE_BYTES} B"
    if term == "base":
        return f"~{format_bytes(BASE_BYTES)} of libraries per process"
    if term == "ITU-R maps":
        return f"~{format_bytes(ITUR_BYTES)} of ITU-R P.618 maps for the ACM link budgets"
    return term


def _any_acm(scenario: Scenario) -> bool:
    """Some station or user terminal has an ACM link budget (itur's maps get loaded)."""
    return any(isinstance(g.link, AcmLink) for g in scenario.ground_stations) or any(
        u.terminal.link is not None for u in scenario.users
    )


def check_budget(
    scenario: Scenario,
    max_memory_bytes: float | None = None,
    workers: int = 1,
    command: str = "run",
    route_pairs: int = 0,
) -> Estimate:
    """:func:`estimate` the scenario and raise :class:`BudgetError` (one line: the need, the
    dominant term's sizes, the limit and what to change) when it needs more memory than
    ``max_memory_bytes`` (default: :func:`available_memory_bytes`)."""
    e = estimate(scenario, workers, command, route_pairs)
    what = "a run" if command in ("run", "validate") else f"`{command}`"
    limit = float(max_memory_bytes) if max_memory_bytes else float(available_memory_bytes())
    source = "--max-memory allows" if max_memory_bytes else "this machine has"
    if e.memory_bytes > limit:
        raise BudgetError(
            f"{scenario.name}: {what} needs ~{format_bytes(e.memory_bytes)} of memory "
            f"({_why(e)}); {source} {format_bytes(limit)} available; "
            f"{_advice(e, scenario, limit)}",
            e,
        )
    return e
