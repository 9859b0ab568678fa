"""Network: routing on time-varying snapshots, and store-and-forward delivery (CGR)."""

from orbitcloud.network.cgr import ContactGraphRouter, Delivery
from orbitcloud.network.routes import RouteTable, route_pairs
from orbitcloud.network.snapshots import SnapshotBuilder, SnapshotLinks

__all__ = [
    "ContactGraphRouter",
    "Delivery",
    "RouteTable",
    "SnapshotBuilder",
    "SnapshotLinks",
    "route_pairs",
]
