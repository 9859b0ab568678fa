"""Shortest-delay routes on every snapshot, with hop lists, RTT and path changes.

Each step runs one ``scipy.sparse.csgraph.dijkstra`` from the distinct sources of the asked
pairs (Dijkstra 1959; scipy's Fibonacci-heap implementation); hop lists are rebuilt from the
predecessor matrix for all pairs at once (one vectorised step per hop).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from orbitcloud.network.snapshots import SnapshotBuilder
from orbitcloud.progress import NullProgress, Progress
from orbitcloud.tables import HEAD_ROWS, ArrowTable, arrow_html, summary_html

__all__ = ["RouteTable", "StepRoutes", "endpoints", "route_pairs", "routes_at", "snapshot_names"]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]

_NO_PRED = -9999  # scipy's predecessor value for "none"


@dataclass(frozen=True)
class StepRoutes:
    """Routes of all pairs at one step. ``delay_s`` float64[n_pair] (NaN: unreachable),
    ``hops`` int[n_pair] (-1: unreachable), ``path`` int32[n_pair, max_hops + 1] of snapshot
    node ids from source to destination, padded with -1."""

    delay_s: F64
    hops: NDArray[np.int32]
    path: NDArray[np.int32]


def routes_at(graph: csr_matrix, src_nodes: IDX, dst_nodes: IDX) -> StepRoutes:
    """Shortest-delay routes from ``src_nodes[i]`` to ``dst_nodes[i]`` on one snapshot."""
    sources, row = np.unique(src_nodes, return_inverse=True)
    dist, pred = dijkstra(graph, directed=True, indices=sources, return_predecessors=True)
    delay = dist[row, dst_nodes]
    reach = np.isfinite(delay)
    # walk predecessors back from every destination at once
    steps = [np.where(reach, dst_nodes, -1)]
    cur = steps[0].copy()
    active = reach & (cur != src_nodes)
    while active.any():
        nxt = np.where(active, pred[row, np.maximum(cur, 0)], -1)
        steps.append(nxt)
        cur = np.where(active, nxt, cur)
        active &= cur != src_nodes
    back = np.stack(steps, axis=1)  # [n_pair, L], destination first
    hops = (back >= 0).sum(axis=1).astype(np.int32) - 1
    # reverse each row's valid prefix so paths read source → destination
    length = hops + 1
    col = np.arange(back.shape[1])[None, :]
    take = np.where(col < length[:, None], length[:, None] - 1 - col, col)
    path = np.take_along_axis(back, take, axis=1).astype(np.int32)
    path[col >= length[:, None]] = -1
    return StepRoutes(
        np.where(reach, delay, np.nan), np.where(reach, hops, -1).astype(np.int32), path
    )


def endpoints(builder: SnapshotBuilder, names: list[str], node_names: list[str]) -> tuple[IDX, IDX]:
    """Snapshot nodes where routes from / to each named endpoint start and end.

    A satellite is its own node; a ground station (and a user, :meth:`SnapshotBuilder.with_users`)
    starts routes at its uplink node and ends them at its downlink node (see
    :mod:`orbitcloud.network.snapshots`). ``node_names``: the plan's node names (satellites,
    stations, then the builder's users).
    """
    index = {n: i for i, n in enumerate(node_names)}
    unknown = [n for n in names if n not in index]
    if unknown:
        what = (
            "satellite, ground-station or user" if builder.n_user else "satellite or ground-station"
        )
        raise ValueError(f"unknown route endpoint(s) {unknown[:5]}; use {what} names")
    i = np.array([index[n] for n in names], dtype=np.intp)
    n_s, n_g = builder.n_sat, builder.n_gs
    g = i - n_s
    as_src = np.where(i < n_s, i, n_s + g)
    as_dst = np.where(i < n_s, i, n_s + n_g + g)
    if builder.n_user:
        u = i - n_s - n_g
        user = u >= 0
        as_src = np.where(user, n_s + 2 * n_g + u, as_src)
        as_dst = np.where(user, n_s + 2 * n_g + builder.n_user + u, as_dst)
    return as_src, as_dst


def snapshot_names(builder: SnapshotBuilder, node_names: list[str]) -> list[str]:
    """Names of the snapshot nodes from the plan's ``node_names``: satellites, the stations
    twice (up, down), then the users twice (up, down)."""
    n_s, n_g = builder.n_sat, builder.n_gs
    gs, us = node_names[n_s : n_s + n_g], node_names[n_s + n_g :]
    return node_names[:n_s] + gs * 2 + us * 2


@dataclass
class RouteTable(ArrowTable):
    """Routes of ``n_pair`` endpoint pairs over ``n_step`` steps.

    Attributes:
        t_s: float64[n_step]; ``src``, ``dst``: endpoint names, list[n_pair].
        rtt_ms: float64[n_step, n_pair] round-trip propagation time (2 x one-way; NaN if none).
        hops: int32[n_step, n_pair] (-1 if unreachable).
        path_hash: uint64[n_step, n_pair], a hash of each hop list (equal lists, equal hashes;
            a collision between two different lists has probability ~2^-64).
        node_names: names of the snapshot nodes (stations and users appear twice: up, down).
        paths: per step, int32[n_pair, L] snapshot node ids (kept only if asked).
    """

    t_s: F64
    src: list[str]
    dst: list[str]
    rtt_ms: F64
    hops: NDArray[np.int32]
    path_hash: NDArray[np.uint64]
    node_names: list[str]
    paths: list[NDArray[np.int32]] = field(default_factory=list, repr=False)

    def __repr__(self) -> str:
        n_step, n_pair = self.rtt_ms.shape
        span = f", t {self.t_s[0]:g}–{self.t_s[-1]:g} s" if n_step else ""
        return f"RouteTable({n_pair:,} pairs × {n_step:,} steps{span})"

    def _repr_html_(self) -> str:
        """Notebook view: pairs, steps and their span, how often a pair had a route, the
        median round trip and the first rows of :meth:`to_arrow` (long form)."""
        n_step, n_pair = self.rtt_ms.shape
        ok = self.hops >= 0
        items: list[tuple[str, object]] = [
            ("pairs", f"{n_pair:,}"),
            ("steps", f"{n_step:,}"),
            ("t_s", f"{self.t_s[0]:g} to {self.t_s[-1]:g} s" if n_step else "-"),
            ("reachable", f"{ok.mean():.1%} of pair-steps" if ok.size else "-"),
            (
                "median rtt_ms",
                f"{float(np.median(self.rtt_ms[ok])):.3f} ms" if ok.any() else "no route",
            ),
            ("path changes", f"{int(self.path_changes.sum()):,}" if n_step else "0"),
        ]
        k = min(n_step, -(-HEAD_ROWS // max(n_pair, 1)))  # steps that fill the first rows
        head = RouteTable(
            self.t_s[:k], self.src, self.dst, self.rtt_ms[:k], self.hops[:k],
            self.path_hash[:k], self.node_names, self.paths[:k],
        ).to_arrow()  # fmt: skip
        return summary_html("RouteTable", items, arrow_html(head.slice(0, HEAD_ROWS), ok.size))

    @property
    def path_changes(self) -> NDArray[np.int64]:
        """int[n_pair]: steps at which a pair's hop list differs from the step before."""
        return (self.path_hash[1:] != self.path_hash[:-1]).sum(axis=0).astype(np.int64)

    @classmethod
    def concat(cls, parts: list[RouteTable]) -> RouteTable:
        """Join tables of consecutive time chunks (same pairs and nodes) into one."""
        first = parts[0]
        return cls(
            np.concatenate([p.t_s for p in parts]),
            first.src,
            first.dst,
            np.concatenate([p.rtt_ms for p in parts]),
            np.concatenate([p.hops for p in parts]),
            np.concatenate([p.path_hash for p in parts]),
            first.node_names,
            [x for p in parts for x in p.paths],
        )

    def to_arrow(self) -> pa.Table:
        """Long table: one row per (step, pair) with ``t_s, src, dst, rtt_ms, hops, path``."""
        n_step, n_pair = self.rtt_ms.shape
        names = pa.array(self.node_names, pa.string())
        cols: dict[str, pa.Array | NDArray[np.generic]] = {
            "t_s": np.repeat(self.t_s, n_pair),
            "src": pa.array(
                np.tile(np.asarray(self.src, dtype=object), n_step), pa.string()
            ).dictionary_encode(),
            "dst": pa.array(
                np.tile(np.asarray(self.dst, dtype=object), n_step), pa.string()
            ).dictionary_encode(),
            "rtt_ms": self.rtt_ms.ravel(),
            "hops": self.hops.ravel(),
        }
        if self.paths:
            flat, lengths = [], []
            for p in self.paths:
                ok = p >= 0
                flat.append(p[ok])
                lengths.append(ok.sum(axis=1))
            offsets = np.concatenate([[0], np.cumsum(np.concatenate(lengths))]).astype(np.int32)
            values = pa.DictionaryArray.from_arrays(
                pa.array(np.concatenate(flat), pa.int32()), names
            )
            cols["path"] = pa.ListArray.from_arrays(pa.array(offsets), values)
        return pa.table(cols)


def _path_hash(path: NDArray[np.int32], weights: NDArray[np.uint64]) -> NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        return ((path.astype(np.int64) + 2).astype(np.uint64) * weights[: path.shape[1]]).sum(
            axis=1
        )


def route_pairs(
    builder: SnapshotBuilder,
    positions: Iterable[tuple[float, F64]],
    src: list[str],
    dst: list[str],
    node_names: list[str],
    keep_paths: bool = True,
    progress: Progress | None = None,
    n_step: int | None = None,
) -> RouteTable:
    """Routes between ``src[i]`` and ``dst[i]`` at every ``(t_s, r_sat_km[n_sat, 3])`` given."""
    s_nodes, _ = endpoints(builder, src, node_names)
    _, d_nodes = endpoints(builder, dst, node_names)
    snap_names = snapshot_names(builder, node_names)
    weights = np.random.default_rng(0).integers(1, 2**63, size=4096, dtype=np.uint64)
    t_out, rtt, hops, paths, hashes = [], [], [], [], []
    with (progress or NullProgress()).task("routing", n_step or 0) as task:
        for t, r in positions:
            step = routes_at(builder.graph(r, t), s_nodes, d_nodes)
            hashes.append(_path_hash(step.path, weights))
            t_out.append(t)
            rtt.append(2000.0 * step.delay_s)
            hops.append(step.hops)
            if keep_paths:
                paths.append(step.path)
            task.advance()
    n_pair = len(src)
    return RouteTable(
        np.asarray(t_out, dtype=np.float64),
        list(src),
        list(dst),
        np.array(rtt).reshape(-1, n_pair),
        np.array(hops, dtype=np.int32).reshape(-1, n_pair),
        np.array(hashes, dtype=np.uint64).reshape(-1, n_pair),
        snap_names,
        paths,
    )
