"""Scenario section ``storage:``: the object storage service (tenants, placement, scrubbing).

Faults are not here: they are the scenario's top-level ``faults:`` section, which every stage
feels (:mod:`orbitcloud.faults`).

Cross-checks that need the whole scenario (station and satellite names, jurisdictions) are made
when the service starts (:func:`orbitcloud.storage.run_storage`), with one clear error.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from orbitcloud.scenario.base import Name, _Model

__all__ = [
    "ErasurePlacement",
    "ReplicationPlacement",
    "StorageSpec",
    "StorageTenant",
    "StorageWorkload",
]


class ReplicationPlacement(_Model):
    """``copies`` full copies on distinct satellites (optionally distinct planes or
    constellations); with ``ground_copy`` one of them stays on a ground site."""

    kind: Literal["replication"]
    copies: int = Field(3, ge=1, le=16)
    distinct_planes: bool = False
    distinct_constellations: bool = False
    ground_copy: bool = False
    ground_site: Name | None = Field(
        None, description="station keeping the ground copy; default: the uploading station"
    )


class ErasurePlacement(_Model):
    """Reed-Solomon ``k + m`` (pyeclib): any ``k`` of the ``k + m`` shards rebuild the object."""

    kind: Literal["erasure"]
    k: int = Field(ge=1, le=32)
    m: int = Field(ge=1, le=32)
    distinct_planes: bool = False
    distinct_constellations: bool = False


Placement = Annotated[ReplicationPlacement | ErasurePlacement, Field(discriminator="kind")]


class StorageTenant(_Model):
    """A tenant: its own random data key (made by the store, never by the scenario) and,
    optionally, the jurisdictions its data may be up- or downlinked in (ISO 3166-1 alpha-2;
    ``None``: any)."""

    name: Name
    allowed_jurisdictions: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] | None = Field(
        None, description="e.g. [IT, FR, DE]; none: no restriction"
    )
    placement: Placement | None = Field(None, description="default: the section's placement")

    @model_validator(mode="before")
    @classmethod
    def _no_key_seed(cls, v: object) -> object:
        if isinstance(v, dict) and "key_seed" in v:
            raise ValueError(
                "key_seed is no longer accepted: tenant keys are random and wrapped by the "
                "store's master key (ORBITCLOUD_MASTER_KEY or ORBITCLOUD_MASTER_KEY_FILE; "
                "ephemeral when neither is set), because a key derived from a seed in the "
                "scenario is readable by anyone with the run folder; remove key_seed"
            )
        return v

    @field_validator("allowed_jurisdictions", mode="before")
    @classmethod
    def _upper(cls, v: object) -> object:
        if isinstance(v, list):
            return [x.upper() if isinstance(x, str) else x for x in v]
        return v


class StorageWorkload(_Model):
    """Demo traffic for ``orbitcloud run``: ``objects`` objects of ``object_bytes`` random bytes
    put by ``tenant`` from ``put_station`` starting at ``put_t_s`` (one every
    ``interval_s``), then read back from ``get_station`` starting at ``get_t_s``."""

    tenant: Name
    bucket: Name = "demo"
    objects: int = Field(ge=0, le=100_000)
    object_bytes: int = Field(ge=0, le=1_000_000_000)
    put_station: Name
    put_t_s: float = Field(0.0, ge=0)
    interval_s: float = Field(0.0, ge=0)
    get_station: Name | None = None
    get_t_s: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _get_pair(self) -> StorageWorkload:
        if (self.get_station is None) != (self.get_t_s is None):
            raise ValueError("give both get_station and get_t_s, or neither")
        return self


class StorageSpec(_Model):
    """Object storage service settings."""

    tenants: list[StorageTenant] = Field(min_length=1)
    placement: Placement = Field(
        default_factory=lambda: ErasurePlacement(kind="erasure", k=4, m=2),
        description="default placement of every tenant",
    )
    workloads: list[StorageWorkload] = Field(default_factory=list)
    scrub_interval_s: float | None = Field(
        3600.0, gt=0, description="scrub and repair every this many seconds; none: never"
    )
    ground_storage_tb: float = Field(
        1000.0, ge=0, description="capacity of each ground site for ground copies [TB]"
    )
    path: str | None = Field(
        None, description="where shard files go; default: <run folder>/storage"
    )
    fsync: bool = Field(True, description="fsync every shard write (atomic either way)")
    restore_tb: float | None = Field(
        None, ge=0, description="size of the ground data-centre backup to restore [TB]"
    )
    lost_site: Name | None = Field(None, description="the ground site lost (restore scenario)")

    @model_validator(mode="after")
    def _tenants_known(self) -> StorageSpec:
        names = [t.name for t in self.tenants]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"tenant names must be unique; repeated: {dupes}")
        unknown = sorted({w.tenant for w in self.workloads} - set(names))
        if unknown:
            raise ValueError(f"workloads name unknown tenants {unknown}; tenants: {names}")
        return self
