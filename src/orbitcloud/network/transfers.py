"""Flow-level bulk transfers over the snapshot network, with max-min fair sharing.

Fluid model (stated, and the one the tests check by hand):

- **Network.** On each grid interval ``[t_k, t_{k+1})`` the network is the snapshot at ``t_k``
  (:meth:`SnapshotBuilder.links`): its directed links, their propagation delays and their
  ``capacity_bps``. Parallel links between the same two nodes are merged into the one of
  least delay (highest capacity on ties).
- **Routing.** Each transfer that may be active in the interval follows the shortest-delay
  path of that snapshot (Dijkstra 1959 via :func:`orbitcloud.network.routes.routes_at`; one
  ``scipy.sparse.csgraph.dijkstra`` call per step, from the distinct sources). Routes are
  recomputed only when the step changes, never at a completion or a start.
- **Sharing.** Active transfers are fluid flows; their rates are the max-min fair allocation
  over the capacities of the links they use, by progressive filling (Bertsekas & Gallager,
  *Data Networks*, 2nd ed., Prentice Hall 1992, §6.5.2). Between events (a transfer starts,
  a transfer finishes, the step changes) the rates are constant, so each finish time is the
  exact solution of ``remaining_bits = rate * (t - t_event)`` for this model.
- **No route, no progress.** A transfer whose endpoints are not connected in the snapshot
  waits at rate 0 until a step where they are; there is no store-and-forward here (that is
  :mod:`orbitcloud.network.cgr`). A transfer not finished by the last grid time is reported
  as not completed (NaN finish and arrival times).
- **Timing.** ``finish_s`` is when the last byte leaves the source; ``arrival_s`` adds the
  one-way propagation delay of the path in use at that moment (no queueing delay: a fluid
  network at or below capacity has no queues).

Cost: per step one snapshot, one Dijkstra and one sparse incidence matrix; per event one
progressive filling (sparse mat-vecs over the links in use, one round per bottleneck level).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

from orbitcloud.network.routes import endpoints, routes_at
from orbitcloud.network.snapshots import SnapshotBuilder, SnapshotLinks
from orbitcloud.progress import NullProgress, Progress
from orbitcloud.tables import ArrowTable

__all__ = ["Transfer", "TransferTable", "max_min_fair_rates", "simulate_transfers"]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]

#: Links whose fair share is within this relative distance of the bottleneck level saturate
#: in the same round (absorbs floating-point ties; it can only lower a rate, never overfill).
_TIE_REL = 1e-12
#: A transfer whose remaining volume falls below this fraction of its size is finished.
_DONE_REL = 1e-12


def max_min_fair_rates(incidence: csr_matrix, capacity_bps: F64) -> F64:
    """Max-min fair rates of flows over shared links, by progressive filling.

    Progressive filling (water-filling; Bertsekas & Gallager, *Data Networks*, 2nd ed. 1992,
    §6.5.2): raise the rates of all unfrozen flows together until some link is full, freeze
    every flow crossing a full link, repeat with the capacity left. The result is the unique
    max-min fair allocation: it is feasible and every flow has a *bottleneck*, a full link on
    which no other flow has a higher rate.

    Each round is two sparse mat-vecs and a few vector operations over links; the loop runs
    once per distinct bottleneck level (at most ``n_link`` times), never per flow.

    Args:
        incidence: sparse matrix ``[n_flow, n_link]``, non-zero where a flow uses a link
            (any dtype; values other than zero all mean "uses"; duplicates count once).
        capacity_bps: float64[n_link], finite and >= 0.

    Returns:
        float64[n_flow] rates in bit/s. A flow with no links (an empty row) is constrained by
        nothing and gets ``inf``; callers that route flows never pass one.

    Raises:
        ValueError: if the capacity shape does not match or a capacity is negative or not
            finite.
    """
    a = csr_matrix(incidence, dtype=np.float64, copy=True)
    n_flow, n_link = a.shape
    cap = np.asarray(capacity_bps, dtype=np.float64)
    if cap.shape != (n_link,):
        raise ValueError(
            f"capacity_bps has shape {cap.shape}; the incidence matrix has {n_link} links "
            f"(columns), so it must be ({n_link},)"
        )
    bad = ~(np.isfinite(cap) & (cap >= 0.0))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"capacity_bps[{k}] = {cap[k]!r}; link capacities must be finite and >= 0 bit/s"
        )
    a.sum_duplicates()
    a.data = (a.data != 0.0).astype(np.float64)
    a.eliminate_zeros()
    at = a.T.tocsr()  # [n_link, n_flow]

    rates = np.zeros(n_flow)
    free = np.diff(a.indptr) > 0  # unfrozen flows; flows without links are never constrained
    rates[~free] = np.inf
    slack = cap.copy()
    while free.any():
        n_free = at @ free.astype(np.float64)  # [n_link] unfrozen flows on each link
        used = n_free > 0.0
        share = np.full(n_link, np.inf)
        share[used] = slack[used] / n_free[used]
        delta = float(share.min())  # finite: some unfrozen flow uses some link
        rates[free] += delta
        slack -= delta * n_free
        full = used & (share <= delta * (1.0 + _TIE_REL))
        slack[full] = 0.0
        np.maximum(slack, 0.0, out=slack)
        free &= (a @ full.astype(np.float64)) == 0.0
    return rates


@dataclass(frozen=True)
class Transfer:
    """A bulk transfer of ``size_bytes`` from endpoint ``src`` to ``dst`` (satellite or
    ground-station names), requested at ``start_s`` (seconds since the scenario epoch)."""

    src: str
    dst: str
    size_bytes: float
    start_s: float
    name: str = ""


@dataclass
class TransferTable(ArrowTable):
    """Outcome of ``n_transfer`` transfers; every array is ``[n_transfer]``.

    Attributes:
        name, src, dst: list[str], as given (``name`` defaults to ``"<src>-><dst>#<i>"``).
        size_bytes, start_s: float64, as given.
        finish_s: float64, when the last byte leaves the source (NaN if not completed).
        arrival_s: float64, ``finish_s`` + the one-way propagation delay of the path in use at
            that moment (NaN if not completed).
        bytes_sent: float64, bytes that left the source by ``finish_s`` or by the end of the
            grid (``size_bytes`` when completed).
        throughput_bps: float64, the achieved mean sending rate
            ``8 * bytes_sent / (end - start_s)`` with ``end = finish_s`` if completed, else the
            last grid time; waiting without a route counts. NaN when ``end == start_s``. (Not
            the end-to-end goodput: the propagation delay is not included.)
        completed: bool.
    """

    name: list[str]
    src: list[str]
    dst: list[str]
    size_bytes: F64
    start_s: F64
    finish_s: F64
    arrival_s: F64
    bytes_sent: F64
    throughput_bps: F64
    completed: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.name)

    def to_arrow(self) -> pa.Table:
        """One row per transfer: ``name, src, dst, size_bytes, start_s, finish_s, arrival_s,
        bytes_sent, throughput_bps, completed`` (NaN times stay NaN)."""
        return pa.table(
            {
                "name": pa.array(self.name, pa.string()),
                "src": pa.array(self.src, pa.string()).dictionary_encode(),
                "dst": pa.array(self.dst, pa.string()).dictionary_encode(),
                "size_bytes": self.size_bytes,
                "start_s": self.start_s,
                "finish_s": self.finish_s,
                "arrival_s": self.arrival_s,
                "bytes_sent": self.bytes_sent,
                "throughput_bps": self.throughput_bps,
                "completed": self.completed,
            }
        )


@dataclass(frozen=True)
class _StepNet:
    """One snapshot with parallel links merged: ``graph`` csr [n_node, n_node] of delays,
    ``key`` int64[n_link] sorted ``src * n_node + dst``, ``capacity_bps`` float64[n_link]."""

    graph: csr_matrix
    key: NDArray[np.int64]
    capacity_bps: F64


def _step_net(links: SnapshotLinks, n_node: int) -> _StepNet:
    key = links.src.astype(np.int64) * n_node + links.dst.astype(np.int64)
    order = np.lexsort((-links.capacity_bps, links.delay_s, key))
    ks = key[order]
    first = np.ones(ks.size, dtype=bool)
    first[1:] = ks[1:] != ks[:-1]
    keep = order[first]
    graph = csr_matrix(
        (links.delay_s[keep], (links.src[keep], links.dst[keep])), shape=(n_node, n_node)
    )
    return _StepNet(graph, ks[first], links.capacity_bps[keep])


def _incidence(net: _StepNet, path: NDArray[np.int32], n_node: int) -> tuple[csr_matrix, F64]:
    """Flow x link incidence of routed paths (int32[n_flow, L], -1 padded), restricted to the
    links in use: csr [n_flow, n_used] and their capacities float64[n_used]."""
    u, v = path[:, :-1].astype(np.int64), path[:, 1:].astype(np.int64)
    hop = v >= 0
    row = np.nonzero(hop)[0]
    link = np.searchsorted(net.key, u[hop] * n_node + v[hop])
    used, col = np.unique(link, return_inverse=True)
    inc = csr_matrix((np.ones(row.size), (row, col.ravel())), shape=(path.shape[0], used.size))
    return inc, net.capacity_bps[used]


def _validate(
    builder: SnapshotBuilder,
    t: F64,
    r_sat_km: F64,
    node_names: list[str],
    transfers: Sequence[Transfer],
) -> None:
    if t.ndim != 1 or t.size < 2:
        raise ValueError(
            f"t_s has shape {t.shape}; it must be a 1-D time grid with at least two times"
        )
    if not (np.all(np.isfinite(t)) and np.all(np.diff(t) > 0)):
        raise ValueError("t_s must be finite and strictly increasing (seconds since the epoch)")
    want = (builder.n_sat, t.size, 3)
    if r_sat_km.shape != want:
        raise ValueError(
            f"r_sat_km has shape {r_sat_km.shape}; expected [n_sat, n_time, 3] = {want}"
        )
    if len(node_names) != builder.n_sat + builder.n_gs + builder.n_user:
        users = f" + {builder.n_user}" if builder.n_user else ""
        raise ValueError(
            f"node_names has {len(node_names)} names; expected n_sat + n_gs"
            f"{' + n_user' if users else ''} = {builder.n_sat} + {builder.n_gs}{users} "
            "(satellites, then ground stations" + (", then users)" if users else ")")
        )
    for i, x in enumerate(transfers):
        label = f"transfers[{i}]" + (f" ({x.name!r})" if x.name else "")
        if not (math.isfinite(x.size_bytes) and x.size_bytes > 0):
            raise ValueError(f"{label}.size_bytes = {x.size_bytes!r}; it must be finite and > 0")
        if not (t[0] <= x.start_s <= t[-1]):
            raise ValueError(
                f"{label}.start_s = {x.start_s!r} s is outside the time grid "
                f"[{t[0]!r}, {t[-1]!r}] s"
            )
        if x.src == x.dst:
            raise ValueError(f"{label} goes from {x.src!r} to itself; src and dst must differ")


def simulate_transfers(
    builder: SnapshotBuilder,
    t_s: F64,
    r_sat_km: F64,
    node_names: list[str],
    transfers: Sequence[Transfer],
    progress: Progress | None = None,
) -> TransferTable:
    """Run bulk transfers over the snapshot network with max-min fair sharing.

    See the module docstring for the fluid model. Work per grid interval: one snapshot, one
    Dijkstra from the distinct sources of the transfers that may be active in it, then an
    event loop (starts and finishes inside the interval) whose every event is one vectorised
    progressive filling over all active transfers.

    Args:
        builder: the snapshot builder of the scenario.
        t_s: float64[n_time], strictly increasing grid times [s since the epoch], n_time >= 2.
        r_sat_km: float64[n_sat, n_time, 3] satellite positions (ECEF km) at the grid times.
        node_names: satellite names then ground-station names (``NodeTable.names``), then
            the builder's users (:meth:`SnapshotBuilder.with_users`).
        transfers: the transfers; ``start_s`` within ``[t_s[0], t_s[-1]]``.
        progress: optional progress reporter (one tick per grid interval).

    Returns:
        A :class:`TransferTable` in the order of ``transfers``.

    Raises:
        ValueError: bad grid or positions shape, unknown endpoint names, ``size_bytes <= 0``,
            a start outside the grid, or a transfer from an endpoint to itself.
    """
    t = np.asarray(t_s, dtype=np.float64)
    r = np.asarray(r_sat_km, dtype=np.float64)
    _validate(builder, t, r, node_names, transfers)
    src = [x.src for x in transfers]
    dst = [x.dst for x in transfers]
    s_nodes, _ = endpoints(builder, src, node_names)
    _, d_nodes = endpoints(builder, dst, node_names)

    n = len(transfers)
    size_bytes = np.array([x.size_bytes for x in transfers], dtype=np.float64)
    start = np.array([x.start_s for x in transfers], dtype=np.float64)
    size_bits = 8.0 * size_bytes
    rem_bits = size_bits.copy()
    done = np.zeros(n, dtype=bool)
    finish = np.full(n, np.nan)
    arrival = np.full(n, np.nan)
    n_node = builder.n_node

    with (progress or NullProgress()).task("transfers", t.size - 1) as task:
        for k in range(t.size - 1):
            task.advance()
            t1 = float(t[k + 1])
            pend = np.flatnonzero(~done & (start < t1))
            if pend.size == 0:
                if done.all():
                    break
                continue
            net = _step_net(builder.links(r[:, k], float(t[k])), n_node)
            step = routes_at(net.graph, s_nodes[pend], d_nodes[pend])
            ok = np.isfinite(step.delay_s)
            if not ok.any():
                continue  # nobody can move in this interval
            pend, delay_s = pend[ok], step.delay_s[ok]
            inc, cap = _incidence(net, step.path[ok], n_node)
            tau = float(t[k])
            while tau < t1:
                live = ~done[pend] & (start[pend] <= tau)
                rate = np.zeros(pend.size)
                if live.any():
                    rate[live] = max_min_fair_rates(inc[np.flatnonzero(live)], cap)
                moving = live & (rate > 0.0)
                eta = np.full(pend.size, np.inf)
                eta[moving] = tau + rem_bits[pend[moving]] / rate[moving]
                later = start[pend][start[pend] > tau]
                t_next = min(float(eta.min()), float(later.min()) if later.size else np.inf, t1)
                rem_bits[pend] -= rate * (t_next - tau)
                fin = moving & ((eta <= t_next) | (rem_bits[pend] <= _DONE_REL * size_bits[pend]))
                idx = pend[fin]
                done[idx] = True
                rem_bits[idx] = 0.0
                finish[idx] = t_next
                arrival[idx] = t_next + delay_s[fin]
                tau = t_next

    bytes_sent = np.clip(size_bits - rem_bits, 0.0, None) / 8.0
    bytes_sent[done] = size_bytes[done]
    end = np.where(done, finish, t[-1])
    span = end - start
    with np.errstate(divide="ignore", invalid="ignore"):
        throughput = np.where(span > 0, 8.0 * bytes_sent / span, np.nan)
    names = [x.name or f"{x.src}->{x.dst}#{i}" for i, x in enumerate(transfers)]
    return TransferTable(
        names, src, dst, size_bytes, start, finish, arrival, bytes_sent, throughput, done.copy()
    )
