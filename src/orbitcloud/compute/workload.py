"""Earth-observation workload: captures over areas of interest, cut into tiles, one job each.

**Captures.** A satellite images an area while the area's centre lies within ``radius_km +
swath_km / 2`` of its ground track, i.e. while the central angle between the satellite's nadir
and the centre is at most ``θ = (radius + swath/2) / R⊕``. On a spherical Earth, a satellite at
orbital radius ``r`` seen from the centre at central angle ``θ`` has elevation ``ε`` with
``tan ε = (cos θ − R⊕/r) / sin θ`` (Vallado, *Fundamentals of Astrodynamics and Applications*,
4th ed., §5.3 / the standard ground-range relation), so "within ground range" is "above
elevation ``ε``". Each area therefore becomes a pseudo ground station whose elevation mask is
``ε`` at the constellation's mean orbital radius, and the captures are its passes, found and
refined (to ``tol_s``) by the contact search :func:`orbitcloud.links.contacts.ground_windows`,
windows shorter than a grid step included. Stated approximations: spherical Earth for the
range-to-elevation step (the areas' positions use WGS-84), circular orbits (one radius per
constellation).

**Jobs.** A capture of duration ``d`` yields ``sensor_rate_bps × d / 8`` raw bytes, cut into
tiles of ``tile_bytes`` (the last one partial); tile ``i`` is ready when its last byte has been
recorded. Each tile is a job: ``flops = flops_per_byte × bytes``, product
``product_ratio × bytes``, due ``deadline_s`` after the capture ends, owned by a tenant drawn
per capture in proportion to the tenants' shares (seeded).

**Satellite losses** (:func:`before_loss`): a satellite lost at ``loss_s`` captures nothing
from then on. Its passes that start at or after the loss are not in the capture table, a pass
under way at the loss ends there (``end_s`` clipped), and only the tiles recorded completely
before the loss (``ready_s < loss_s``) become jobs, with the deadlines of the planned pass. The
tenants are drawn on the passes as planned, so the other satellites' jobs are those of a run
without losses.

Jobs whose input is at a ground station or in orbital storage come from the workload's
``requests`` (:mod:`orbitcloud.compute.requests`); :meth:`Jobs.merge` puts all in one table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from orbitcloud.constants import EARTH_MEAN_RADIUS_KM
from orbitcloud.links.contacts import ground_windows
from orbitcloud.links.visibility import GroundSites
from orbitcloud.orbits.frames import geodetic_to_ecef, up_unit_vector
from orbitcloud.orbits.propagate import Ephemeris, Propagator
from orbitcloud.scenario.workload import WorkloadSpec
from orbitcloud.tables import ArrowTable

__all__ = [
    "INPUT_KINDS",
    "Captures",
    "Jobs",
    "area_sites",
    "before_loss",
    "eo_captures",
    "eo_jobs",
    "mask_elevation_rad",
]

F64 = NDArray[np.float64]
I32 = NDArray[np.int32]

#: Where a job's input is: on the capturing satellite, at a ground station, or in orbital
#: storage (shards on several satellites). ``Jobs.input_kind`` indexes this tuple.
INPUT_KINDS = ("capture", "station", "storage")


def mask_elevation_rad(ground_range_km: F64 | float, orbit_radius_km: F64 | float) -> F64:
    """Elevation [rad] of a satellite at orbital radius ``r`` seen at central angle
    ``θ = ground_range / R⊕``: ``tan ε = (cos θ − R⊕/r) / sin θ`` (spherical Earth)."""
    theta = np.asarray(ground_range_km, dtype=np.float64) / EARTH_MEAN_RADIUS_KM
    ratio = EARTH_MEAN_RADIUS_KM / np.asarray(orbit_radius_km, dtype=np.float64)
    return np.arctan2(np.cos(theta) - ratio, np.sin(theta))


def area_sites(spec: WorkloadSpec, orbit_radius_km: float) -> GroundSites:
    """The areas of interest as pseudo ground stations whose elevation mask is the swath edge
    for satellites at ``orbit_radius_km``."""
    lat = np.array([a.lat_deg for a in spec.areas])
    lon = np.array([a.lon_deg for a in spec.areas])
    reach_km = np.array([a.radius_km for a in spec.areas]) + spec.swath_km / 2.0
    eps = mask_elevation_rad(reach_km, orbit_radius_km)
    return GroundSites(
        geodetic_to_ecef(lat, lon, np.zeros_like(lat)).reshape(-1, 3),
        up_unit_vector(lat, lon).reshape(-1, 3),
        np.sin(eps),
    )


@dataclass(frozen=True)
class Captures:
    """Imaging passes, arrays [n_capture] sorted by start: satellite node index, area index,
    start and end [s since epoch]."""

    sat: I32
    area: I32
    start_s: F64
    end_s: F64

    def __len__(self) -> int:
        return int(self.sat.shape[0])


def eo_captures(spec: WorkloadSpec, eph: Ephemeris, tol_s: float = 1e-3) -> Captures:
    """Every pass of every satellite over every area (see the module docstring), one ground
    search per constellation (its own mean orbital radius)."""
    radius = np.linalg.norm(eph.r_ecef_km, axis=2)
    parts = []
    constellations = range(len(eph.satellites.constellation_names))
    for ci in constellations if spec.areas else ():  # no areas: no captures
        idx = np.flatnonzero(eph.satellites.constellation == ci)
        if idx.size == 0 or idx[0] >= eph.satellites.n_earth:  # no EO beyond Earth orbit
            continue
        s0, s1 = int(idx[0]), int(idx[-1]) + 1  # constellations are contiguous node ranges
        sites = area_sites(spec, float(np.nanmean(radius[s0:s1])))
        prop = Propagator.for_satellites(eph.satellites.subset(s0, s1), eph.grid.epoch)
        w = ground_windows(eph.r_ecef_km[s0:s1], eph.grid.t_s, prop, sites, tol_s)
        parts.append((s0 + w.a, w.b, w.start_s, w.end_s))
    if not parts:
        e = np.zeros(0)
        return Captures(e.astype(np.int32), e.astype(np.int32), e, e)
    sat, area, start, end = (np.concatenate(c) for c in zip(*parts, strict=True))
    order = np.lexsort((area, sat, start))
    return Captures(
        sat[order].astype(np.int32),
        area[order].astype(np.int32),
        start[order].astype(np.float64),
        end[order].astype(np.float64),
    )


@dataclass(frozen=True)
class Jobs(ArrowTable):
    """Compute jobs, arrays [n_job] sorted by ``ready_s`` (see the module docstring).

    ``tenant`` indexes ``tenant_names``; ``capture`` and ``area`` are the capture and area
    indices (-1 for requests), ``request`` the index of the workload request (-1 for
    captures); ``input_kind`` indexes :data:`INPUT_KINDS`.

    Where the input is: ``holders`` int32[n_job, n_holder_max] are the nodes holding parts of
    it (padded with -1), ``needed`` how many of them must send their part (of
    ``input_bytes / needed`` bytes) to rebuild it: a capture is on one satellite (needed 1), an
    input at a station on that station (needed 1), a storage object's ``k + m`` shards on
    ``k + m`` satellites (needed ``k``). ``source`` is the first holder.
    """

    tenant_names: list[str]
    tenant: I32
    priority: I32
    source: I32
    capture: I32
    area: I32
    ready_s: F64
    deadline_s: F64
    input_bytes: F64
    flops: F64
    output_bytes: F64
    input_kind: I32
    request: I32
    holders: I32
    needed: I32

    def __len__(self) -> int:
        return int(self.ready_s.shape[0])

    @classmethod
    def on_satellites(
        cls,
        tenant_names: list[str],
        tenant: I32,
        priority: I32,
        source: I32,
        capture: I32,
        area: I32,
        ready_s: F64,
        deadline_s: F64,
        input_bytes: F64,
        flops: F64,
        output_bytes: F64,
    ) -> Jobs:
        """Capture jobs: each input whole on its ``source`` satellite."""
        n = ready_s.shape[0]
        return cls(
            tenant_names, tenant, priority, source, capture, area, ready_s, deadline_s,
            input_bytes, flops, output_bytes, np.zeros(n, np.int32), np.full(n, -1, np.int32),
            np.asarray(source, np.int32).reshape(n, 1), np.ones(n, np.int32),
        )  # fmt: skip

    def take(self, rows: NDArray[np.intp]) -> Jobs:
        """The jobs of ``rows`` (indices in increasing order keep the ``ready_s`` sort)."""
        cols = {
            f: getattr(self, f)[rows]
            for f in (
                "tenant", "priority", "source", "capture", "area", "ready_s", "deadline_s",
                "input_bytes", "flops", "output_bytes", "input_kind", "request", "holders",
                "needed",
            )
        }  # fmt: skip
        return Jobs(self.tenant_names, **cols)

    def holders_of(self, i: int) -> tuple[int, ...]:
        """The nodes holding parts of job ``i``'s input."""
        h = self.holders[i]
        return tuple(int(x) for x in h[h >= 0])

    @staticmethod
    def merge(parts: list[Jobs]) -> Jobs:
        """One table of the jobs of ``parts`` (same tenants), sorted by ``ready_s`` (stable:
        captures before requests at equal times)."""
        if any(p.tenant_names != parts[0].tenant_names for p in parts):
            raise ValueError("jobs of different tenant lists cannot be merged")
        if len(parts) == 1:
            return parts[0]
        width = max(p.holders.shape[1] for p in parts)
        holders = np.concatenate(
            [np.pad(p.holders, ((0, 0), (0, width - p.holders.shape[1])), constant_values=-1)
             for p in parts]
        )  # fmt: skip
        cols = {
            f: np.concatenate([getattr(p, f) for p in parts])
            for f in (
                "tenant", "priority", "source", "capture", "area", "ready_s", "deadline_s",
                "input_bytes", "flops", "output_bytes", "input_kind", "request", "needed",
            )
        }  # fmt: skip
        order = np.argsort(cols["ready_s"], kind="stable")
        sorted_cols = {f: v[order] for f, v in cols.items()}
        return Jobs(parts[0].tenant_names, holders=holders[order], **sorted_cols)

    def to_arrow(
        self,
        node_names: list[str] | None = None,
        area_names: list[str] | None = None,
        request_names: list[str] | None = None,
    ) -> pa.Table:
        """The job table's input columns. ``source`` and ``holders`` as node names when
        ``node_names`` is given, ``area`` and ``request`` as names when their lists are, else
        as indices; ``capture``, ``area`` and ``request`` are NULL where a job has none."""
        held = [list(self.holders_of(i)) for i in range(len(self))]
        holders = pa.array(held, pa.list_(pa.int32()))
        source: pa.Array | NDArray[np.int32] = self.source
        if node_names is not None:
            names = np.asarray(node_names, dtype=object)
            holders = pa.array([names[h].tolist() for h in held], pa.list_(pa.string()))
            source = pa.array(names[self.source].tolist(), pa.string())

        def named(index: NDArray[np.int32], labels: list[str] | None) -> pa.Array:
            none = index < 0
            if labels is None:
                return pa.array(index, pa.int32(), mask=none)
            text = np.asarray([*labels, ""], dtype=object)[np.where(none, len(labels), index)]
            return pa.array(text.tolist(), pa.string(), mask=none)

        return pa.table(
            {
                "job_id": np.arange(len(self), dtype=np.int64),
                "tenant": pa.array(self.tenant_names, pa.string()).take(self.tenant),
                "priority": self.priority,
                "input": pa.array(INPUT_KINDS, pa.string()).take(self.input_kind),
                "source": source,
                "holders": holders,
                "needed": self.needed,
                "capture": pa.array(self.capture.astype(np.int64), mask=self.capture < 0),
                "area": named(self.area, area_names),
                "request": named(self.request, request_names),
                "ready_s": self.ready_s,
                "deadline_s": self.deadline_s,
                "input_bytes": self.input_bytes,
                "flops": self.flops,
                "output_bytes": self.output_bytes,
            }
        )


def eo_jobs(spec: WorkloadSpec, captures: Captures, rng: np.random.Generator) -> Jobs:
    """Cut captures into tiles, one job per tile (vectorised over captures and tiles)."""
    rate_bytes_s = spec.sensor_rate_bps / 8.0
    total = (captures.end_s - captures.start_s) * rate_bytes_s
    n_tile = np.ceil(total / spec.tile_bytes).astype(np.int64)
    n_tile[total <= 0] = 0
    cap = np.repeat(np.arange(len(captures)), n_tile)
    first = np.cumsum(n_tile) - n_tile
    i = np.arange(cap.size) - np.repeat(first, n_tile)  # tile index within its capture
    done_bytes = np.minimum((i + 1) * spec.tile_bytes, total[cap])
    size = done_bytes - i * spec.tile_bytes
    ready = captures.start_s[cap] + done_bytes / rate_bytes_s
    share = np.array([t.share for t in spec.tenants])
    tenant_of_capture = rng.choice(len(share), size=len(captures), p=share / share.sum())
    tenant = tenant_of_capture[cap].astype(np.int32)
    prio = np.array([t.priority for t in spec.tenants], dtype=np.int32)
    order = np.argsort(ready, kind="stable")
    return Jobs.on_satellites(
        tenant_names=[t.name for t in spec.tenants],
        tenant=tenant[order],
        priority=prio[tenant][order],
        source=captures.sat[cap][order],
        capture=cap[order].astype(np.int32),
        area=captures.area[cap][order],
        ready_s=ready[order],
        deadline_s=(captures.end_s[cap] + spec.deadline_s)[order],
        input_bytes=size[order],
        flops=(size * spec.flops_per_byte)[order],
        output_bytes=(size * spec.product_ratio)[order],
    )


def before_loss(captures: Captures, jobs: Jobs, loss_s: F64) -> tuple[Captures, Jobs]:
    """The captures and capture jobs that exist when satellite ``i`` is lost at ``loss_s[i]``
    (float64[n_sat], inf: never; module docstring): passes started before the loss (clipped to
    it), tiles completed before it (their ``capture`` indices renumbered)."""
    loss = np.asarray(loss_s, dtype=np.float64)
    keep = captures.start_s < loss[captures.sat]
    kept = Captures(
        captures.sat[keep],
        captures.area[keep],
        captures.start_s[keep],
        np.minimum(captures.end_s[keep], loss[captures.sat[keep]]),
    )
    renumber = (np.cumsum(keep) - 1).astype(np.int32)
    on_sat = jobs.input_kind == INPUT_KINDS.index("capture")
    alive = ~on_sat | (jobs.ready_s < loss[np.where(on_sat, jobs.source, 0)])
    out = jobs.take(np.flatnonzero(alive))
    capture = np.where(out.capture >= 0, renumber[np.maximum(out.capture, 0)], out.capture)
    return kept, Jobs(
        out.tenant_names, out.tenant, out.priority, out.source, capture.astype(np.int32),
        out.area, out.ready_s, out.deadline_s, out.input_bytes, out.flops, out.output_bytes,
        out.input_kind, out.request, out.holders, out.needed,
    )  # fmt: skip
