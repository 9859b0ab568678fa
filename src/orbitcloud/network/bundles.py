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
from orbitcloud.tables import ArrowTable

__all__ = ["BundleTable", "deliver_bundles", "send_bundles"]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class BundleTable(ArrowTable):
    """One row per bundle; arrays ``[n_bundle]``. ``arrival_s`` is NaN (and ``delivered``
    False, ``hops`` 0, ``to`` "", ``path`` empty) for a bundle the plan cannot deliver within
    the run. ``path``: the nodes the bundle passes, from its source to where it arrives."""

    send_s: F64
    arrival_s: F64
    hops: NDArray[np.int32]
    to: list[str]
    owlt_s: F64  # light time summed over the route's contacts
    size_bytes: F64
    src: list[str]
    path: list[list[str]]
    name: list[str]

    @property
    def latency_s(self) -> F64:
        return self.arrival_s - self.send_s

    @property
    def delivered(self) -> NDArray[np.bool_]:
        return np.isfinite(self.arrival_s)

    def __len__(self) -> int:
        return int(self.send_s.shape[0])

    def to_arrow(self) -> pa.Table:
        """The table, with NULL (not NaN) where a bundle was not delivered."""
        ok = self.delivered
        return pa.table(
            {
                "name": self.name,
                "src": self.src,
                "send_s": self.send_s,
                "arrival_s": pa.array(self.arrival_s, mask=~ok),
                "latency_s": pa.array(self.latency_s, mask=~ok),
                "delivered": ok,
                "hops": self.hops,
                "dst": pa.array(self.to, mask=~ok),
                "path": pa.array(self.path, pa.list_(pa.string())),
                "owlt_s": pa.array(self.owlt_s, mask=~ok),
                "size_bytes": self.size_bytes,
            }
        )


def deliver_bundles(
    network: Network,
    src: list[int],
    dst: list[list[int]],
    send_s: F64,
    size_bytes: F64,
    names: list[str] | None = None,
    service: str = "bundles",
) -> BundleTable:
    """Route and book bundle ``i`` of ``size_bytes[i]`` from node ``src[i]`` at ``send_s[i]``
    to the first of the nodes ``dst[i]`` it reaches, in order of send time (ties: input
    order), each seeing what the ones before booked. Rows come back in input order."""
    send_s = np.asarray(send_s, dtype=np.float64)
    size = np.asarray(size_bytes, dtype=np.float64)
    n = send_s.shape[0]
    arrival = np.full(n, np.nan)
    hops = np.zeros(n, dtype=np.int32)
    owlt = np.full(n, np.nan)
    to = [""] * n
    path: list[list[str]] = [[] for _ in range(n)]
    node_names = network.plan.nodes.names
    for k in np.argsort(send_s, kind="stable").tolist():  # each bundle sees the ones before
        d = network.deliver(src[k], dst[k], float(send_s[k]), float(size[k]), service=service)
        if d is None or not d.contacts:
            continue
        rows = list(d.contacts)
        arrival[k] = d.arrival_s
        hops[k] = d.hops
        owlt[k] = float(network.plan.owlt_s[rows].sum())
        to[k] = node_names[int(network.plan.dst[rows[-1]])]
        path[k] = [node_names[src[k]]] + [node_names[int(network.plan.dst[r])] for r in rows]
    return BundleTable(
        send_s, arrival, hops, to, owlt, size, [node_names[i] for i in src], path,
        list(names) if names is not None else [""] * n,
    )  # fmt: skip


def send_bundles(
    network: Network, src: int, dst: list[int], send_s: F64, size_bytes: float
) -> BundleTable:
    """A stream of equal bundles from node ``src`` at each ``send_s`` to the first of the
    nodes ``dst`` it reaches (:func:`deliver_bundles`)."""
    send_s = np.sort(np.asarray(send_s, dtype=np.float64))
    n = send_s.shape[0]
    return deliver_bundles(network, [src] * n, [dst] * n, send_s, np.full(n, float(size_bytes)))
