"""Network: routing on time-varying snapshots, store-and-forward delivery (CGR) with one
booking ledger shared by every service (:class:`Network`), and flow-level transfers with
max-min fair sharing."""

from orbitcloud.network.cgr import ContactGraphRouter, Delivery
from orbitcloud.network.ledger import Network
from orbitcloud.network.routes import RouteTable, route_pairs
from orbitcloud.network.snapshots import SnapshotBuilder, SnapshotLinks
from orbitcloud.network.transfers import (
    Transfer,
    TransferTable,
    max_min_fair_rates,
    simulate_transfers,
)

__all__ = [
    "ContactGraphRouter",
    "Delivery",
    "Network",
    "RouteTable",
    "SnapshotBuilder",
    "SnapshotLinks",
    "Transfer",
    "TransferTable",
    "max_min_fair_rates",
    "route_pairs",
    "simulate_transfers",
]
