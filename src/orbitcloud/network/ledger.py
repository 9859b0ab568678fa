"""The run's one store-and-forward network: a booking ledger of bytes per contact, shared by
every service.

A :class:`Network` holds the run's contact plan (already cut by the fault timeline) and the
bytes booked on each of its contacts. Every service that moves data (the compute engine's
bundles, the storage service's shards and repairs) routes and books through the same object,
so the volume a contact carries, ``rate_bytes_per_s * (end_s - start_s)``, is shared: what one
service books, the next cannot use (contact graph routing with residual volume, see
:mod:`orbitcloud.network.cgr` for the timing model). The ledger also keeps each service's own
bookings (``booked_by(service)``), which sum to ``booked_bytes``.

Order within a run: the pipeline creates the network once, after the contact plan; the
compute workload books on it first, then the storage run books on the same object, so storage
sees the volume compute left (the services do not yet interleave in one simulation clock).

Contacts taken down later (:meth:`Network.take_down`, faults applied inside the storage run
that do not cut the plan) leave the router; the bytes booked on them before stay in the
ledger (they were sent), and nothing new can be booked there. Routes and deliveries always
name contacts by their row in the full plan.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from numpy.typing import NDArray

from orbitcloud.links.contactplan import KINDS, ContactPlan
from orbitcloud.network.cgr import ContactGraphRouter, Delivery

__all__ = ["Network"]


class Network:
    """One booking ledger over ``plan``, shared by every service (module docstring).

    Attributes:
        plan: the run's contact plan (contacts are its rows).
        booked_bytes: float64[n_contact], bytes booked on each contact by all services.
        up: bool[n_contact], contacts not taken down since the network was made.
    """

    def __init__(self, plan: ContactPlan) -> None:
        self.plan = plan
        self.booked_bytes = np.zeros(len(plan))
        self.up = np.ones(len(plan), dtype=bool)
        self._by_service: dict[str, NDArray[np.float64]] = {}
        self._rows: NDArray[np.intp] | None = None  # router row -> plan row (None: identity)
        self._local: NDArray[np.intp] | None = None  # plan row -> router row (-1: down)
        self._router = ContactGraphRouter(plan)
        # user terminals (group "user", orbitcloud.links.users) never relay others' traffic
        users = np.asarray(plan.nodes.group, dtype=object) == "user"
        self._relay: NDArray[np.bool_] | None = ~users if users.any() else None

    def _transit(self, transit: NDArray[np.bool_] | None) -> NDArray[np.bool_] | None:
        """``transit`` without the user nodes (they only send and receive their own)."""
        if self._relay is None:
            return transit
        return self._relay if transit is None else transit & self._relay

    # --- the ledger ----------------------------------------------------------------------

    @property
    def volume_bytes(self) -> NDArray[np.float64]:
        """float64[n_contact], what each contact can carry: ``rate_bps / 8 * duration``."""
        p = self.plan
        return p.rate_bps / 8.0 * (p.end_s - p.start_s)

    @property
    def services(self) -> list[str]:
        """The services that have booked on this network, in first-booking order."""
        return list(self._by_service)

    def booked_by(self, service: str) -> NDArray[np.float64]:
        """float64[n_contact], bytes ``service`` has booked on each contact (a copy)."""
        own = self._by_service.get(service)
        return own.copy() if own is not None else np.zeros(len(self.plan))

    def fork(self) -> Network:
        """An independent copy with the same bookings and contacts up (for a what-if run
        whose traffic must not reach the run's world, e.g. a counterfactual compute mode)."""
        other = Network(self.plan)
        other.booked_bytes = self.booked_bytes.copy()
        other.up = self.up.copy()
        other._by_service = {k: v.copy() for k, v in self._by_service.items()}
        other._rebuild()
        return other

    def take_down(
        self, node: int, start_s: float, end_s: float = np.inf, isl_only: bool = False
    ) -> int:
        """Remove the contacts of ``node`` overlapping ``[start_s, end_s]`` (only its ISLs when
        ``isl_only``) for every later booking; returns how many were removed."""
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
        """The router on the contacts still up, with every booking so far booked on it."""
        if self.up.all():
            self._rows = self._local = None
            self._router = ContactGraphRouter(self.plan)
        else:
            self._rows = np.flatnonzero(self.up)
            self._local = np.full(len(self.plan), -1, dtype=np.intp)
            self._local[self._rows] = np.arange(self._rows.size)
            self._router = ContactGraphRouter(self.plan.select(self._rows))
        rows = self._rows if self._rows is not None else np.arange(len(self.plan))
        for local, row in enumerate(rows.tolist()):
            if self.booked_bytes[row] != 0.0:
                self._router.book(Delivery(0.0, (local,), (0.0,)), self.booked_bytes[row])

    # --- routing and booking -------------------------------------------------------------

    def route(
        self,
        src: int,
        dst: int | Collection[int],
        t0_s: float,
        size_bytes: float,
        transit: NDArray[np.bool_] | None = None,
    ) -> Delivery | None:
        """Earliest delivery of ``size_bytes`` from ``src`` (ready at ``t0_s``) to ``dst`` (a
        node, or several: the first reached) over the contacts up, in the volume left; see
        :meth:`ContactGraphRouter.route`. Contacts are plan rows. Nothing is booked. User
        terminals never forward (a user is a source or a destination only)."""
        d = self._router.route(src, dst, t0_s, size_bytes, self._transit(transit))
        if d is None or self._rows is None or not d.contacts:
            return d
        rows = self._rows[list(d.contacts)].tolist()
        return Delivery(d.arrival_s, tuple(rows), d.tx_start_s)

    def arrivals(
        self,
        src: int,
        t0_s: float,
        size_bytes: float,
        transit: NDArray[np.bool_] | None = None,
        horizon_s: float = np.inf,
    ) -> NDArray[np.float64]:
        """Earliest arrival [s] at every node, float64[n_node] (see
        :meth:`ContactGraphRouter.arrivals`); nothing is booked."""
        return self._router.arrivals(src, t0_s, size_bytes, self._transit(transit), horizon_s)

    def _book(self, contacts: tuple[int, ...], size_bytes: float, service: str) -> None:
        local = contacts
        if self._local is not None:
            local = tuple(int(self._local[c]) for c in contacts)
            if any(c < 0 for c in local):
                raise ValueError("delivery uses a contact taken down since it was routed")
        self._router.book(Delivery(0.0, local, ()), size_bytes)
        own = self._by_service.get(service)
        if own is None:
            own = self._by_service[service] = np.zeros(len(self.plan))
        for c in contacts:
            self.booked_bytes[c] += size_bytes
            own[c] += size_bytes

    def book(self, delivery: Delivery, size_bytes: float, service: str = "") -> None:
        """Commit ``size_bytes`` on each contact of ``delivery`` (plan rows) for ``service``."""
        self._book(delivery.contacts, size_bytes, service)

    def unbook(self, delivery: Delivery, size_bytes: float, service: str = "") -> None:
        """Give back a booking made with :meth:`book`."""
        self._book(delivery.contacts, -size_bytes, service)

    def deliver(
        self,
        src: int,
        dst: int | Collection[int],
        t0_s: float,
        size_bytes: float,
        transit: NDArray[np.bool_] | None = None,
        service: str = "",
    ) -> Delivery | None:
        """Route and book for ``service``; None (nothing booked) if it cannot be delivered."""
        d = self.route(src, dst, t0_s, size_bytes, transit)
        if d is not None and d.contacts:
            self._book(d.contacts, size_bytes, service)
        return d
