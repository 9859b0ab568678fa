"""Scenario section ``workload:``: compute jobs (Earth-observation captures) for the cloud."""

from __future__ import annotations

from orbitcloud.scenario.base import _Model

__all__ = ["WorkloadSpec"]


class WorkloadSpec(_Model):
    """Compute workload settings (placeholder)."""
