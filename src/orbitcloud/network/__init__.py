"""Network: routing over time-varying snapshots of the constellation."""

from orbitcloud.network.routes import RouteTable, route_pairs
from orbitcloud.network.snapshots import SnapshotBuilder

__all__ = ["RouteTable", "SnapshotBuilder", "route_pairs"]
