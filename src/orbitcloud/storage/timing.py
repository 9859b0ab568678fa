"""Network timing of storage traffic: shards as bundles over the contact plan.

Each shard is a bundle routed by contact graph routing
(:class:`orbitcloud.network.cgr.ContactGraphRouter`: earliest arrival, store-and-forward,
volume booked on every contact it uses). A :class:`NetworkTimer` is storage's view on the run's
one :class:`~orbitcloud.network.ledger.Network`: the booking ledger shared by every service, so
storage shards, repairs and the compute engine's bundles compete for the same contact volume
(in a pipeline run storage books after compute, on the volume compute left). It offers each
request only the contacts it may use:

- contacts of a node that is down (satellite lost, ISL terminal failed, station outage) over
  an interval are removed from the shared network when they *overlap* that interval: a pass
  interrupted by bad weather counts as lost (conservative: the part of the window outside the
  outage is not used either);
- a tenant with a sovereignty policy may only transit satellites and allowed stations (the
  router's ``transit`` node mask, from
  :meth:`orbitcloud.storage.sovereignty.SovereigntyPolicy.allowed_nodes`).

When a fault removes contacts the network's router is rebuilt on the remaining rows with the
volume booked so far booked on it again, so the result equals routing on the full plan with
the removed contacts gone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.network.cgr import Delivery
from orbitcloud.network.ledger import Network

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
    """Storage's view on the run's one :class:`~orbitcloud.network.ledger.Network` (see the
    module docstring): routes and books shards as ``service`` on the shared ledger, so they
    compete with every other service's bytes for contact volume.

    ``network``: the run's network, or a contact plan (a network of its own is made on it).

    Attributes:
        network: the shared network.
        service: the name storage books under (``booked_bytes`` is this service's share).
    """

    def __init__(self, network: Network | ContactPlan, service: str = "storage") -> None:
        self.network = network if isinstance(network, Network) else Network(network)
        self.plan = self.network.plan
        self.service = service

    @property
    def booked_bytes(self) -> NDArray[np.float64]:
        """float64[n_contact], volume this service committed on each contact of the plan."""
        return self.network.booked_by(self.service)

    @property
    def up(self) -> NDArray[np.bool_]:
        """bool[n_contact], contacts of the shared network not removed by a fault."""
        return self.network.up

    def take_down(
        self, node: int, start_s: float, end_s: float = np.inf, isl_only: bool = False
    ) -> int:
        """Remove the contacts of ``node`` overlapping ``[start_s, end_s]`` (only its ISLs
        when ``isl_only``) from the shared network; returns how many were removed."""
        return self.network.take_down(node, start_s, end_s, isl_only)

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
        d = self.network.route(src, dst, ready_s, max(size_bytes, 1.0), transit)
        if d is None:
            return None
        return Transfer(src, dst, size_bytes, ready_s, d.arrival_s, d.contacts)

    def arrivals(
        self,
        src: int,
        ready_s: float,
        size_bytes: float,
        transit: NDArray[np.bool_] | None = None,
    ) -> NDArray[np.float64]:
        """Earliest arrival [s] of ``size_bytes`` from ``src`` at every node, float64[n_node]
        (``inf`` where unreachable within the plan); nothing booked."""
        return self.network.arrivals(src, ready_s, max(size_bytes, 1.0), transit)

    def book(self, transfer: Transfer) -> None:
        """Commit a transfer's volume on each contact it uses."""
        d = Delivery(transfer.arrival_s, transfer.contacts, ())
        self.network.book(d, transfer.size_bytes, self.service)

    def unbook(self, transfer: Transfer) -> None:
        """Give back the volume of a booked transfer."""
        d = Delivery(transfer.arrival_s, transfer.contacts, ())
        self.network.unbook(d, transfer.size_bytes, self.service)

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
