"""Contact graph routing (CGR): earliest delivery of a bundle over a contact plan.

Store-and-forward: a bundle waits at a node until a contact to the next node opens. The search
is Dijkstra's algorithm over *contacts* rather than nodes (the contact-graph formulation of
CCSDS 734.3-B-1 / Fraire et al. 2021, "Routing in the Space Internet", Comput. Netw. 190),
with label = (arrival time, hops), so equal arrival times prefer fewer hops.

Timing and volume model (stated, and shared with the brute-force oracle in the tests):

- a contact ``c`` sends at ``rate_bytes_per_s = rate_bps / 8`` from ``start_s`` to ``end_s``,
  so its volume is ``rate * (end_s - start_s)``; bundles booked on it consume volume, and a new
  bundle can begin no earlier than ``start_s + booked_bytes / rate``, the time it takes to send
  what is already booked (ION's residual-volume rule, expressed as a time);
- a bundle of ``size_bytes`` at the sending node at time ``a`` starts at
  ``tx = max(a, start_s + booked / rate)``, needs ``tx + size / rate <= end_s`` (no
  fragmentation), and arrives at ``tx + size / rate + owlt_s`` (one-way light time included);
- several contacts per node pair are simply several contacts.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from orbitcloud.links.contactplan import ContactPlan

__all__ = ["ContactGraphRouter", "Delivery"]


@dataclass(frozen=True)
class Delivery:
    """An earliest-delivery route: ``contacts`` are row indices into the plan, in order."""

    arrival_s: float
    contacts: tuple[int, ...]
    tx_start_s: tuple[float, ...]

    @property
    def hops(self) -> int:
        return len(self.contacts)


@dataclass
class ContactGraphRouter:
    """Routes bundles over ``plan`` and books the volume they use.

    Attributes:
        plan: the contact plan.
        booked_bytes: float64[n_contact], volume already committed on each contact.
    """

    plan: ContactPlan
    booked_bytes: NDArray[np.float64] = field(init=False)

    def __post_init__(self) -> None:
        p = self.plan
        self.booked_bytes = np.zeros(len(p))
        # outgoing contacts of each node, sorted by end time (so "still open" is a suffix);
        # the per-contact columns are stored in that order so a node's contacts are a slice
        order = np.lexsort((p.end_s, p.src))
        self._by_src = order
        self._pos = np.empty(len(p), dtype=np.intp)
        self._pos[order] = np.arange(len(p))
        self._first = np.searchsorted(p.src[order], np.arange(p.nodes.n_node + 1)).tolist()
        self._end_list = p.end_s[order].tolist()
        self._s_rate = p.rate_bps[order] / 8.0
        self._s_start = p.start_s[order]
        self._s_end = p.end_s[order] + 1e-9
        self._s_dst = p.dst[order].astype(np.intp)
        self._s_owlt = p.owlt_s[order]
        self._s_booked = np.zeros(len(p))

    def route(
        self,
        src: int,
        dst: int | Collection[int],
        t0_s: float,
        size_bytes: float,
        transit: NDArray[np.bool_] | None = None,
    ) -> Delivery | None:
        """Earliest delivery of ``size_bytes`` from node ``src`` (ready at ``t0_s``) to ``dst``
        (a node, or several: the first one reached); None if no sequence of contacts delivers
        it. ``transit``: bool[n_node], nodes allowed to forward (default all; the source always
        may send). Nothing is booked."""
        targets = {dst} if isinstance(dst, int | np.integer) else {int(d) for d in dst}
        if src in targets:
            return Delivery(t0_s, (), ())
        found = self._search(src, t0_s, size_bytes, targets, transit)
        if found is None:
            return None
        c, a, parent = found
        chain, starts = [], []
        while c != -1:
            chain.append(c)
            via, t = parent[c]
            starts.append(t)
            c = via
        return Delivery(a, tuple(chain[::-1]), tuple(starts[::-1]))

    def arrivals(
        self,
        src: int,
        t0_s: float,
        size_bytes: float,
        transit: NDArray[np.bool_] | None = None,
        horizon_s: float = np.inf,
    ) -> NDArray[np.float64]:
        """Earliest arrival time [s] of the bundle at every node: float64[n_node], ``t0_s`` at
        the source, inf where unreachable or later than ``horizon_s`` (the search stops
        there). Nothing is booked."""
        arrival = np.full(self.plan.nodes.n_node, np.inf)
        arrival[src] = t0_s
        self._search(src, t0_s, size_bytes, set(), transit, arrival, horizon_s)
        return arrival

    def _search(
        self,
        src: int,
        t0_s: float,
        size_bytes: float,
        targets: set[int],
        transit: NDArray[np.bool_] | None,
        arrival: NDArray[np.float64] | None = None,
        horizon_s: float = np.inf,
    ) -> tuple[int, float, dict[int, tuple[int, float]]] | None:
        """Dijkstra over contacts with label (arrival, hops). Two prunings keep it exact: from
        one node, of the contacts to the same neighbour only the earliest arrival can lead
        anywhere better (waiting is free and arrival grows with readiness); and a node reached
        again with no fewer hops than an earlier (hence not later) label is dominated.
        Returns (last contact, arrival, parents) for the first target reached, or None;
        fills ``arrival`` (first arrival per node) when given."""
        if size_bytes <= 0:
            raise ValueError(f"bundle size must be > 0 bytes, got {size_bytes}")
        p = self.plan
        best: dict[int, tuple[float, int]] = {}
        parent: dict[int, tuple[int, float]] = {}
        heap: list[tuple[float, int, int]] = []
        min_hops = np.full(p.nodes.n_node, np.iinfo(np.int64).max, dtype=np.int64)
        min_hops[src] = 0

        by_src, first_of, end_list = self._by_src, self._first, self._end_list

        def relax(node: int, ready_s: float, hops: int, via: int) -> None:
            hi = first_of[node + 1]
            lo = bisect.bisect_right(end_list, ready_s, first_of[node], hi)  # still open
            if lo >= hi:
                return
            rate = self._s_rate[lo:hi]
            tx = np.maximum(ready_s, self._s_start[lo:hi] + self._s_booked[lo:hi] / rate)
            dur = size_bytes / rate
            nb = self._s_dst[lo:hi]
            ok = (tx + dur <= self._s_end[lo:hi]) & (min_hops[nb] > hops + 1)
            idx = np.flatnonzero(ok)
            if idx.size == 0:
                return
            arrive = tx[idx] + dur[idx] + self._s_owlt[lo:hi][idx]
            cand = by_src[lo + idx]
            if idx.size > 1:  # earliest contact per neighbour (ties: lowest contact index)
                order = np.lexsort((cand, arrive, nb[idx]))
                nbo = nb[idx[order]]
                keep = np.ones(order.size, dtype=bool)
                keep[1:] = nbo[1:] != nbo[:-1]
                sel = order[keep]
                idx, arrive, cand = idx[sel], arrive[sel], cand[sel]
            c_, a_, t_ = cand.tolist(), arrive.tolist(), tx[idx].tolist()
            for c, a, t in zip(c_, a_, t_, strict=True):
                key = (a, hops + 1)
                if c not in best or key < best[c]:
                    best[c] = key
                    parent[c] = (via, t)
                    heapq.heappush(heap, (a, hops + 1, c))

        relax(src, t0_s, 0, -1)
        while heap:
            a, hops, c = heapq.heappop(heap)
            if a > horizon_s:
                break
            node = int(p.dst[c])
            if best[c] != (a, hops) or min_hops[node] <= hops:
                continue
            if arrival is not None and not np.isfinite(arrival[node]):
                arrival[node] = a
            min_hops[node] = hops
            if node in targets:
                return c, a, parent
            if transit is None or transit[node]:
                relax(node, a, hops, c)
        return None

    def book(self, delivery: Delivery, size_bytes: float) -> None:
        """Commit the volume a delivery uses on each of its contacts."""
        for c in delivery.contacts:
            self.booked_bytes[c] += size_bytes
            self._s_booked[self._pos[c]] += size_bytes

    def deliver(
        self,
        src: int,
        dst: int | Collection[int],
        t0_s: float,
        size_bytes: float,
        transit: NDArray[np.bool_] | None = None,
    ) -> Delivery | None:
        """Route and book; None (nothing booked) if the bundle cannot be delivered."""
        d = self.route(src, dst, t0_s, size_bytes, transit)
        if d is not None:
            self.book(d, size_bytes)
        return d
