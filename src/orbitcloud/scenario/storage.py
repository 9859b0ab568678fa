"""Scenario section ``storage:``: the object storage service (tenants, placement, faults)."""

from __future__ import annotations

from orbitcloud.scenario.base import _Model

__all__ = ["StorageSpec"]


class StorageSpec(_Model):
    """Object storage service settings (placeholder: fleshed out by the storage issue)."""
