"""Probe bundles over the run's network: each bundle is routed by contact graph routing and
booked on the one ledger (:class:`orbitcloud.network.ledger.Network`) as service
``"bundles"``, so it shares contact volume with compute and storage and waits, store and
forward, through gaps such as a solar conjunction.

Delivery latency is ``arrival_s − send_s``: queueing at each node until a contact opens, the
transmission time at each contact's rate, and each contact's one-way light time
(:mod:`orbitcloud.network.cgr`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from orbitcloud.network.ledger import Network

__all__ = ["BundleTable", "send_bundles"]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class BundleTable:
    """One row per bundle; arrays ``[n_bundle]``. ``arrival_s`` is NaN (and ``delivered``
    False, ``hops`` 0, ``to`` "") for a bundle the plan cannot deliver within the run."""

    send_s: F64
    arrival_s: F64
    hops: NDArray[np.int32]
    to: list[str]
    owlt_s: F64  # light time summed over the route's contacts
    size_bytes: float

    @property
    def latency_s(self) -> F64:
        return self.arrival_s - self.send_s

    @property
    def delivered(self) -> NDArray[np.bool_]:
        return np.isfinite(self.arrival_s)

    def __len__(self) -> int:
        return int(self.send_s.shape[0])

    def to_arrow(self) -> pa.Table:
        return pa.table(
            {
                "send_s": self.send_s,
                "arrival_s": self.arrival_s,
                "latency_s": self.latency_s,
                "delivered": self.delivered,
                "hops": self.hops,
                "to": self.to,
                "owlt_s": self.owlt_s,
                "size_bytes": np.full(len(self), self.size_bytes),
            }
        )


def send_bundles(
    network: Network, src: int, dst: list[int], send_s: F64, size_bytes: float
) -> BundleTable:
    """Route and book one bundle of ``size_bytes`` from node ``src`` at each ``send_s`` (in
    order) to the first of the nodes ``dst`` it reaches."""
    send_s = np.sort(np.asarray(send_s, dtype=np.float64))
    n = send_s.shape[0]
    arrival = np.full(n, np.nan)
    hops = np.zeros(n, dtype=np.int32)
    owlt = np.zeros(n)
    to = [""] * n
    names = network.plan.nodes.names
    for k, t0 in enumerate(send_s.tolist()):  # bundles are booked in order: each sees the last
        d = network.deliver(src, dst, t0, size_bytes, service="bundles")
        if d is None or not d.contacts:
            continue
        arrival[k] = d.arrival_s
        hops[k] = d.hops
        rows = list(d.contacts)
        owlt[k] = float(network.plan.owlt_s[rows].sum())
        to[k] = names[int(network.plan.dst[rows[-1]])]
    return BundleTable(send_s, arrival, hops, to, owlt, float(size_bytes))
