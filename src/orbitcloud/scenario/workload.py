"""Scenario section ``workload:``: compute jobs for the cloud.

Jobs come from two places:

- Earth-observation captures (``areas``): satellites image areas of interest as they fly over
  them; each pass yields ``sensor_rate_bps × time over the area`` of raw data, cut into tiles,
  one job per tile; the input is on the capturing satellite.
- ``requests``: jobs submitted with their input already elsewhere in the cloud: at a ground
  station (``input: station``, uplinked to where it runs) or as an object in orbital storage
  (``input: storage``, erasure-coded shards on several satellites, any ``k`` of which rebuild
  it).

The run processes every job twice, once per *mode*:

- ``orbit``: process in orbit (on the capturing satellite or another one chosen by the
  scheduling policy), then downlink the product;
- ``ground``: downlink the raw input, then process it in a ground data centre (an input held
  at a ground station is processed there).

Defaults are sourced in the field descriptions (keys of shared/reference/reference-params.yaml).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from orbitcloud.scenario.base import Name, _Model
from orbitcloud.scenario.storage import Placement

__all__ = [
    "MODES",
    "AreaOfInterest",
    "EoTenant",
    "GroundProcessing",
    "JobRequest",
    "Mode",
    "WorkloadSpec",
]

Mode = Literal["orbit", "ground"]
MODES: tuple[Mode, ...] = ("orbit", "ground")


class AreaOfInterest(_Model):
    """A circular area to image: centre and radius on the ground."""

    name: Name
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    radius_km: float = Field(50.0, gt=0, le=2000)


class EoTenant(_Model):
    """A customer of the workload: its share of the captures and its scheduling priority."""

    name: Name
    share: float = Field(1.0, gt=0, description="relative share of the tiles (normalised)")
    priority: int = Field(0, ge=0, le=9, description="0 is the most urgent")
    allowed_jurisdictions: list[str] | None = Field(
        None,
        description="ISO 3166-1 alpha-2 codes of the stations that may downlink its data; "
        "none: any station",
    )


class GroundProcessing(_Model):
    """The terrestrial data centre of the ``ground`` mode (the baseline)."""

    tflops_per_job: float = Field(
        250.0, gt=0, description="peak compute given to one job [TFLOPS]; default: one satellite"
    )
    tflops_per_w: float = Field(
        0.096, gt=0, description="compute.h100_sxm.efficiency_fp32: 66.9 TFLOPS / 700 W"
    )
    pue: float = Field(1.58, ge=1, description="dc.pue.global_average (Uptime 2023)")


class JobRequest(_Model):
    """``count`` jobs submitted one every ``interval_s`` from ``submit_s``, each on
    ``input_bytes`` held at ground station ``station`` (``input: station``) or stored in orbit
    (``input: storage``: shards placed by ``placement`` when the job is submitted, as if the
    object had been put earlier). Unset work, product and deadline settings take the
    workload's."""

    name: Name
    input: Literal["station", "storage"]
    station: Name | None = Field(None, description="ground station holding the input (station)")
    tenant: Name | None = Field(None, description="one of the workload's tenants; default: first")
    count: int = Field(1, ge=1, le=100_000)
    submit_s: float = Field(0.0, ge=0, description="first submission [s after the epoch]")
    interval_s: float = Field(0.0, ge=0, description="between submissions [s]")
    input_bytes: float = Field(1.0e9, gt=0, description="input per job [bytes]")
    flops_per_byte: float | None = Field(None, gt=0, description="default: the workload's")
    product_ratio: float | None = Field(None, gt=0, le=1, description="default: the workload's")
    deadline_s: float | None = Field(
        None, gt=0, description="product due this long after submission; default: the workload's"
    )
    placement: Placement | None = Field(
        None,
        description="shards of a storage input; default: the storage section's placement for "
        "this tenant, else erasure 4+2",
    )

    @model_validator(mode="after")
    def _station_iff_station_input(self) -> JobRequest:
        if self.input == "station" and self.station is None:
            raise ValueError(
                f"request {self.name!r}: input: station needs `station:` (where the input is)"
            )
        if self.input == "storage" and self.station is not None:
            raise ValueError(
                f"request {self.name!r}: input: storage keeps its input in orbit; drop "
                "`station:` or use input: station"
            )
        if self.input == "station" and self.placement is not None:
            raise ValueError(f"request {self.name!r}: `placement:` is for input: storage only")
        return self


class WorkloadSpec(_Model):
    """Compute jobs processed in orbit and, as the baseline, on the ground."""

    kind: Literal["earth_observation"] = "earth_observation"
    areas: list[AreaOfInterest] = Field(
        default_factory=list, description="areas imaged by every satellite (capture jobs)"
    )
    requests: list[JobRequest] = Field(
        default_factory=list, description="jobs whose input is at a station or in storage"
    )
    swath_km: float = Field(
        100.0, gt=0, le=3000, description="imaged strip width centred on the ground track [km]"
    )
    sensor_rate_bps: float = Field(
        1.5e9, gt=0, description="raw data rate while over an area [bit/s]"
    )
    tile_bytes: float = Field(1.0e9, gt=0, description="raw bytes per job (one tile)")
    flops_per_byte: float = Field(
        3.0e4,
        gt=0,
        description="work per raw byte [FLOP/B]; CNN inference: ResNet-50 is 4.1 GFLOP per "
        "224x224x3 image (He et al. 2016), 27 kFLOP/B",
    )
    compute_efficiency: float = Field(
        0.4, gt=0, le=1, description="achieved fraction of peak FLOPS (in orbit and on ground)"
    )
    product_ratio: float = Field(
        0.02, gt=0, le=1, description="product bytes / raw bytes (detections, chips, indices)"
    )
    deadline_s: float = Field(
        3600.0, gt=0, description="product due this long after the capture ends [s]"
    )
    tenants: list[EoTenant] = Field(default_factory=lambda: [EoTenant(name="eo")], min_length=1)
    policy: str = Field(
        "earliest_finish",
        description="earliest_finish, energy_aware, or 'package.module:function' for your own",
    )
    modes: list[Mode] = Field(default_factory=lambda: list(MODES), min_length=1)
    seu_per_bit_day: float = Field(
        4.04e-7, ge=0, description="compute.seu_rate.cots_memory_leo_alsat1 [upsets/bit/day]"
    )
    sensitive_bits: float = Field(
        1.0e8, ge=0, description="unprotected bits whose upset kills a running job (12.5 MB)"
    )
    max_attempts: int = Field(10, ge=1, le=1000, description="a job fails after this many")
    downlink_j_per_bit: float = Field(
        5.0e-8, ge=0, description="satellite energy per bit sent to ground (~100 W at 2 Gbit/s)"
    )
    isl_j_per_bit: float = Field(
        1.0e-8, ge=0, description="energy per bit over a laser ISL (~100 W terminal at 10 Gbit/s)"
    )
    ground: GroundProcessing = GroundProcessing()

    @model_validator(mode="after")
    def _checks(self) -> WorkloadSpec:
        if not self.areas and not self.requests:
            raise ValueError("a workload needs `areas:` to image or `requests:` (or both)")
        names = [a.name for a in self.areas]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"area names must be unique; repeated: {', '.join(sorted(dup))}")
        tnames = [t.name for t in self.tenants]
        if len(set(tnames)) != len(tnames):
            raise ValueError("tenant names must be unique")
        for t in self.tenants:
            for code in t.allowed_jurisdictions or []:
                if len(code) != 2 or not code.isupper():
                    raise ValueError(
                        f"tenant {t.name!r}: jurisdiction {code!r} is not an ISO 3166-1 "
                        "alpha-2 code such as IT"
                    )
        if len(set(self.modes)) != len(self.modes):
            raise ValueError(f"modes repeat: {self.modes}")
        rnames = [r.name for r in self.requests]
        if len(set(rnames)) != len(rnames):
            raise ValueError("request names must be unique")
        for r in self.requests:
            if r.tenant is not None and r.tenant not in tnames:
                raise ValueError(
                    f"request {r.name!r}: tenant {r.tenant!r} is not a workload tenant; "
                    f"tenants: {', '.join(tnames)}"
                )
        return self

    def tenant_of(self, request: JobRequest) -> EoTenant:
        """The tenant a request's jobs belong to (the first tenant when it names none)."""
        return next((t for t in self.tenants if t.name == request.tenant), self.tenants[0])
