"""Probe bundles: a stream of bundles from one node to a set of nodes, routed and booked on the
run's one network (contact graph routing), so a run shows how long delivery takes over time
(a rover's data reaching Earth through relays, waiting out solar conjunction)."""

from __future__ import annotations

from pydantic import Field

from orbitcloud.scenario.base import Name, _Model

__all__ = ["BundleSpec"]


class BundleSpec(_Model):
    """Every ``every_s`` from ``start_s`` on, one bundle of ``size_bytes`` leaves ``from_node``
    for whichever of ``to_nodes`` (node, constellation, station or station-network names) it
    reaches first."""

    from_node: Name
    to_nodes: list[str] = Field(min_length=1)
    every_s: float = Field(gt=0)
    start_s: float = Field(0.0, ge=0)
    size_bytes: float = Field(1e6, gt=0, le=1e15)
    max_bundles: int = Field(5000, ge=1, le=100_000, description="refuse more than this many")
