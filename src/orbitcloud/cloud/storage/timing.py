"""Network timing of storage traffic: shards as bundles over the contact plan.

Each shard is a bundle routed by contact graph routing
(:class:`orbitcloud.network.cgr.ContactGraphRouter`: earliest arrival, store-and-forward,
volume booked on every contact it uses). One :class:`NetworkTimer` holds the volume booked on
the whole plan, so every tenant's traffic competes for the same links, and offers each
request only the contacts it may use:

- contacts of a node that is down (satellite lost, ISL terminal failed, station outage) over
  an interval are removed when they *overlap* that interval: a pass interrupted by bad weather
  counts as lost (conservative: the part of the window outside the outage is not used either);
- a tenant with a sovereignty policy may only transit satellites and allowed stations (the
  router's ``transit`` node mask, from
  :meth:`orbitcloud.cloud.storage.sovereignty.SovereigntyPolicy.allowed_nodes`).

The router runs on the rows still up; when a fault removes contacts it is rebuilt on the
remaining rows and the volume booked so far is booked on it again, so the result equals routing
on the full plan with the removed contacts gone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orbitcloud.links.contactplan import KINDS, ContactPlan
from orbitcloud.network.cgr import ContactGraphRouter, Delivery

__all__ = ["NetworkTimer", "Transfer"]


@dataclass(frozen=True)
class Transfer:
    """One delivered bundle: ``contacts`` index the full plan."""

    src: int
    dst: int
    size_bytes: float
    ready_s: float
    arrival_s: float
    contacts: tuple[int, ...]

    @property
    def hops(self) -> int:
        return len(self.contacts)

    @property
    def link_bytes(self) -> float:
        """Bytes carried summed over hops (each hop sends the whole bundle)."""
        return self.size_bytes * self.hops


class NetworkTimer:
    """Books storage traffic on ``plan`` (see the module docstring).

    Attributes:
        booked_bytes: float64[n_contact], volume committed on each contact of the full plan.
        up: bool[n_contact], contacts not removed by a fault.
    """

    def __init__(self, plan: ContactPlan) -> None:
        self.plan = plan
        self.booked_bytes = np.zeros(len(plan))
        self.up = np.ones(len(plan), dtype=bool)
        self._rows = np.arange(len(plan))
        self._local = np.arange(len(plan))  # full-plan row -> router row (-1: removed)
        self._router = ContactGraphRouter(plan)

    def take_down(
        self, node: int, start_s: float, end_s: float = np.inf, isl_only: bool = False
    ) -> int:
        """Remove the contacts of ``node`` overlapping ``[start_s, end_s]`` (only its ISLs
        when ``isl_only``); returns how many were removed."""
        p = self.plan
        hit = ((p.src == node) | (p.dst == node)) & (p.end_s > start_s) & (p.start_s < end_s)
        if isl_only:
            hit &= p.kind == KINDS.index("isl")
        hit &= self.up
        if hit.any():
            self.up &= ~hit
            self._rebuild()
        return int(hit.sum())

    def _rebuild(self) -> None:
        self._rows = np.flatnonzero(self.up)
        self._local = np.full(len(self.plan), -1)
        self._local[self._rows] = np.arange(self._rows.size)
        self._router = ContactGraphRouter(self.plan.select(self._rows))
        for local, row in enumerate(self._rows.tolist()):
            if self.booked_bytes[row] != 0.0:
                self._router.book(Delivery(0.0, (local,), (0.0,)), self.booked_bytes[row])

    def route(
        self,
        src: int,
        dst: int,
        ready_s: float,
        size_bytes: float,
        transit: NDArray[np.bool_] | None = None,
    ) -> Transfer | None:
        """Earliest delivery of ``size_bytes`` from ``src`` (ready at ``ready_s``) to ``dst``
        over the contacts that are up, forwarding only through nodes where ``transit``
        (bool[n_node]) is true; nothing booked."""
        d: Delivery | None = self._router.route(src, dst, ready_s, max(size_bytes, 1.0), transit)
        if d is None:
            return None
        rows = self._rows[list(d.contacts)] if d.contacts else np.empty(0, dtype=np.intp)
        return Transfer(src, dst, size_bytes, ready_s, d.arrival_s, tuple(rows.tolist()))

    def arrivals(
        self,
        src: int,
        ready_s: float,
        size_bytes: float,
        transit: NDArray[np.bool_] | None = None,
    ) -> NDArray[np.float64]:
        """Earliest arrival [s] of ``size_bytes`` from ``src`` at every node, float64[n_node]
        (``inf`` where unreachable within the plan); nothing booked."""
        return self._router.arrivals(src, ready_s, max(size_bytes, 1.0), transit)

    def _book(self, transfer: Transfer, sign: float) -> None:
        local = tuple(int(self._local[c]) for c in transfer.contacts)
        if any(c < 0 for c in local):
            raise ValueError("transfer uses a contact removed since it was routed")
        self._router.book(Delivery(transfer.arrival_s, local, ()), sign * transfer.size_bytes)
        for c in transfer.contacts:
            self.booked_bytes[c] += sign * transfer.size_bytes

    def book(self, transfer: Transfer) -> None:
        """Commit a transfer's volume on each contact it uses."""
        self._book(transfer, 1.0)

    def unbook(self, transfer: Transfer) -> None:
        """Give back the volume of a booked transfer."""
        self._book(transfer, -1.0)

    def deliver(
        self,
        src: int,
        dst: int,
        ready_s: float,
        size_bytes: float,
        transit: NDArray[np.bool_] | None = None,
    ) -> Transfer | None:
        """Route and book; None (nothing booked) if it cannot be delivered within the plan."""
        t = self.route(src, dst, ready_s, size_bytes, transit)
        if t is not None:
            self.book(t)
        return t
