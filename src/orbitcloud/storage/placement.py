"""Where an object's shards go: storage nodes, placement policies and failure domains.

Every shard of an object lands on a distinct node. A policy may further ask for distinct
orbital planes or distinct constellations (a plane shares launch, orbit and, in a solar
storm, often fate), and replication may keep one copy on a ground site. Satellites outside
Walker constellations have no plane number: each counts as its own plane. A ground site is its
own failure domain. Nodes with less free capacity than a shard needs are never chosen.

Choice: among eligible nodes, a seeded random permutation (``numpy.random.Generator`` from the
store's seed and the object id) is scanned greedily, taking the first node whose failure
domains are still unused. Deterministic for a given seed and history, and uniform in
expectation, so load spreads evenly (a simple stand-in for CRUSH, Weil et al. 2006, SC'06).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Erasure",
    "PlacementError",
    "PlacementPolicy",
    "Replication",
    "StorageNode",
    "place",
]

TB_BYTES = 1e12


@dataclass(frozen=True)
class StorageNode:
    """One node that can hold shards.

    Attributes:
        name: node name (as in the contact plan's node table).
        kind: ``"satellite"`` or ``"ground"``.
        constellation: constellation name (``"ground"`` for a ground site).
        plane: failure-domain key of the orbital plane (e.g. ``"milsca/3"``); ground: its name.
        jurisdiction: ISO 3166-1 alpha-2 code of a ground site, ``""`` for satellites.
        capacity_bytes: usable storage [bytes].
    """

    name: str
    kind: Literal["satellite", "ground"]
    constellation: str
    plane: str
    jurisdiction: str = ""
    capacity_bytes: float = 0.0


@dataclass(frozen=True)
class Replication:
    """``copies`` full copies on distinct nodes; with ``ground_copy`` copy 0 is kept on a
    ground site (``ground_site``, default the uploading station)."""

    copies: int = 3
    distinct_planes: bool = False
    distinct_constellations: bool = False
    ground_copy: bool = False
    ground_site: str | None = None

    def __post_init__(self) -> None:
        if self.copies < 1:
            raise ValueError(f"replication needs copies >= 1, got {self.copies}")

    @property
    def k(self) -> int:
        return 1

    @property
    def n(self) -> int:
        return self.copies

    @property
    def name(self) -> str:
        return f"replication-{self.copies}" + ("+ground" if self.ground_copy else "")


@dataclass(frozen=True)
class Erasure:
    """Reed-Solomon ``k + m``: ``k`` data and ``m`` parity shards on ``k + m`` distinct nodes."""

    k: int = 4
    m: int = 2
    distinct_planes: bool = False
    distinct_constellations: bool = False

    def __post_init__(self) -> None:
        if self.k < 1 or self.m < 1 or self.k + self.m > 64:
            raise ValueError(
                f"erasure coding needs k >= 1, m >= 1 and k + m <= 64, got k={self.k}, m={self.m}"
            )

    @property
    def n(self) -> int:
        return self.k + self.m

    @property
    def ground_copy(self) -> bool:
        return False

    @property
    def name(self) -> str:
        return f"erasure-{self.k}+{self.m}"


PlacementPolicy = Replication | Erasure


class PlacementError(RuntimeError):
    """No set of nodes satisfies the policy; ``reason`` says which constraint ran out."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _codes(values: Sequence[str]) -> NDArray[np.intp]:
    _, inv = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return inv.astype(np.intp)


@dataclass(frozen=True)
class NodeDomains:
    """Integer failure-domain codes of each node, int[n_node]."""

    plane: NDArray[np.intp]
    constellation: NDArray[np.intp]
    satellite: NDArray[np.bool_]

    @classmethod
    def of(cls, nodes: Sequence[StorageNode]) -> NodeDomains:
        return cls(
            _codes([n.plane for n in nodes]),
            _codes([n.constellation for n in nodes]),
            np.asarray([n.kind == "satellite" for n in nodes], dtype=bool),
        )


def place(
    policy: PlacementPolicy,
    domains: NodeDomains,
    free_bytes: NDArray[np.float64],
    shard_bytes: int,
    rng: np.random.Generator,
    count: int | None = None,
    taken: Sequence[int] = (),
    usable: NDArray[np.bool_] | None = None,
    score: NDArray[np.float64] | None = None,
) -> list[int]:
    """Choose ``count`` satellite nodes (default ``policy.n``) for shards of ``shard_bytes``.

    Args:
        domains: failure domains of every node.
        free_bytes: float64[n_node], free capacity of each node.
        taken: nodes already holding shards of this object (repair, ground copy): excluded,
            and their planes/constellations count as used.
        usable: bool[n_node], nodes that may receive shards (alive, allowed); default all.
        score: float64[n_node], optional preference (lower first, e.g. when a repair could be
            finished there); nodes scoring ``inf`` are not eligible; ties in random order.

    Raises:
        PlacementError: naming the constraint that left too few nodes.
    """
    n_node = free_bytes.shape[0]
    want = policy.n if count is None else count
    if want <= 0:  # e.g. replication-1+ground: the one copy is the ground copy
        return []
    ok = domains.satellite & (free_bytes >= shard_bytes)
    if usable is not None:
        ok &= usable
    if score is not None:
        ok &= np.isfinite(score)
    taken_idx = np.asarray(list(taken), dtype=np.intp)
    ok[taken_idx] = False
    n_sat_ok = int(ok.sum())
    if n_sat_ok < want:
        raise PlacementError(
            f"{policy.name} needs {want} satellites with {shard_bytes} bytes free, "
            f"only {n_sat_ok} of {int(domains.satellite.sum())} are alive with room"
            + (" and reachable" if score is not None else "")
        )
    used_plane = np.zeros(int(domains.plane.max(initial=0)) + 1, dtype=bool)
    used_const = np.zeros(int(domains.constellation.max(initial=0)) + 1, dtype=bool)
    used_plane[domains.plane[taken_idx]] = True
    used_const[domains.constellation[taken_idx]] = True
    chosen: list[int] = []
    order = rng.permutation(n_node)
    if score is not None:
        order = order[np.argsort(score[order], kind="stable")]
    for i in order[ok[order]].tolist():
        if policy.distinct_planes and used_plane[domains.plane[i]]:
            continue
        if policy.distinct_constellations and used_const[domains.constellation[i]]:
            continue
        chosen.append(i)
        used_plane[domains.plane[i]] = True
        used_const[domains.constellation[i]] = True
        if len(chosen) == want:
            return chosen
    what = "planes" if policy.distinct_planes else "constellations"
    raise PlacementError(
        f"{policy.name} needs {want} satellites in distinct {what} with {shard_bytes} bytes "
        f"free (besides {len(taken_idx)} already holding shards); only {len(chosen)} such "
        f"{what} have an alive satellite with room"
    )
