"""The contact plan: one row per directed contact window, plus the node table.

A *contact* is a window during which ``src`` can send to ``dst`` at ``rate_bps`` with one-way
light time ``owlt_s``. Ground passes give two rows (``downlink`` sat→ground and ``uplink``
ground→sat); inter-satellite windows give one row per direction (``isl``). Rates and light
times are the *worst case over the window* (the rate at, and the light time of, the longest
range reached), so a plan never promises more than the geometry gives.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from orbitcloud.constants import SPEED_OF_LIGHT_KM_S
from orbitcloud.tables import (
    HEAD_ROWS,
    ArrowTable,
    arrow_html,
    fmt_bytes,
    fmt_utc,
    summary_html,
)

__all__ = [
    "KINDS", "OUTAGE_SCOPES", "ContactPlan", "NodeOutages", "NodeTable", "RateCuts", "kind_codes",
]  # fmt: skip

#: Contact kinds, in the order of their integer codes.
KINDS: tuple[str, ...] = ("downlink", "uplink", "isl")

F64 = NDArray[np.float64]
I32 = NDArray[np.int32]


@dataclass(frozen=True)
class NodeTable:
    """Every node of the network: satellites first (``0 .. n_sat-1``), then ground stations.

    Attributes:
        names: list[n_node], unique.
        n_sat: number of satellites.
        group: list[n_node], the constellation of a satellite, ``"ground"`` for a station.
        jurisdiction: list[n_node], ISO country code of a ground station, ``""`` for satellites.
        antennas: list[n_node], how many satellites a ground station can be in contact with
            at once (0 for satellites); empty: one per station.
    """

    names: list[str]
    n_sat: int
    group: list[str]
    jurisdiction: list[str]
    antennas: list[int] = field(default_factory=list)

    def station_antennas(self) -> NDArray[np.intp]:
        """int[n_ground]: each station's antennas (1 where the table does not say)."""
        if not self.antennas:
            return np.ones(self.n_ground, dtype=np.intp)
        return np.asarray(self.antennas[self.n_sat :], dtype=np.intp)

    @property
    def n_node(self) -> int:
        return len(self.names)

    @property
    def n_ground(self) -> int:
        return self.n_node - self.n_sat

    def index(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.names)}

    def to_json(self) -> str:
        return json.dumps(
            {
                "names": self.names,
                "n_sat": self.n_sat,
                "group": self.group,
                "jurisdiction": self.jurisdiction,
                "antennas": self.antennas,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> NodeTable:
        d = json.loads(text)
        antennas = [int(a) for a in d.get("antennas", [])]
        return cls(d["names"], int(d["n_sat"]), d["group"], d["jurisdiction"], antennas)


#: What a node outage takes down, in the order of its integer codes: every link of the node,
#: only its inter-satellite links, or only its satellite-ground links.
OUTAGE_SCOPES: tuple[str, ...] = ("all", "isl", "ground")


@dataclass(frozen=True)
class NodeOutages:
    """Intervals during which a node, or some of its links, is down. Arrays ``[n_outage]``.

    Attributes:
        node: int32 node indices (of the plan's :class:`NodeTable`).
        start_s, end_s: float64 ``[start_s, end_s)`` in s since the epoch (``end_s = inf``:
            for good).
        scope: uint8 code into :data:`OUTAGE_SCOPES`.
    """

    node: I32 = field(repr=False)
    start_s: F64 = field(repr=False)
    end_s: F64 = field(repr=False)
    scope: NDArray[np.uint8] = field(repr=False)

    def __len__(self) -> int:
        return int(self.node.shape[0])

    @classmethod
    def empty(cls) -> NodeOutages:
        return cls(np.zeros(0, np.int32), np.zeros(0), np.zeros(0), np.zeros(0, np.uint8))

    def down_at(self, t_s: float, n_node: int) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """``(all_down, isl_down)``, bool[n_node] each, at ``t_s``: the node has no link at
        all / no inter-satellite link. A ``ground`` outage counts in ``all_down`` (it is only
        given for stations, whose every link is a ground link)."""
        on = (self.start_s <= t_s) & (t_s < self.end_s)
        all_down = np.zeros(n_node, dtype=bool)
        isl_down = np.zeros(n_node, dtype=bool)
        isl = on & (self.scope == OUTAGE_SCOPES.index("isl"))
        all_down[self.node[on & ~isl]] = True
        isl_down[self.node[isl]] = True
        return all_down, isl_down


@dataclass(frozen=True)
class RateCuts:
    """Capacity taken from links over intervals (the ``link_flooding`` threat). Arrays
    ``[n_cut]``: the link between nodes ``a`` and ``b`` (plan node indices; both directions;
    ``b = -1``: every link of ``a``), ``[start_s, end_s)`` and ``minus_bps`` taken."""

    a: I32 = field(repr=False)
    b: I32 = field(repr=False)
    start_s: F64 = field(repr=False)
    end_s: F64 = field(repr=False)
    minus_bps: F64 = field(repr=False)

    def __len__(self) -> int:
        return int(self.a.shape[0])

    @classmethod
    def empty(cls) -> RateCuts:
        z = np.zeros(0)
        return cls(np.zeros(0, np.int32), np.zeros(0, np.int32), z, z.copy(), z.copy())

    def hits(self, j: int, src: NDArray[np.integer], dst: NDArray[np.integer]) -> NDArray[np.bool_]:
        """bool[m]: the directed links ``src -> dst`` that cut ``j`` targets."""
        a, b = int(self.a[j]), int(self.b[j])
        if b < 0:
            return np.asarray((src == a) | (dst == a), dtype=bool)
        return np.asarray(((src == a) & (dst == b)) | ((src == b) & (dst == a)), dtype=bool)


def kind_codes(nodes: NodeTable, src: I32, dst: I32) -> NDArray[np.uint8]:
    """uint8 codes into :data:`KINDS` from the node table: satellite → ground is a downlink,
    ground → anything an uplink, satellite → satellite an ISL."""
    sat_src = src < nodes.n_sat
    sat_dst = dst < nodes.n_sat
    kind = np.full(src.shape, KINDS.index("uplink"), dtype=np.uint8)
    kind[sat_src & ~sat_dst] = KINDS.index("downlink")
    kind[sat_src & sat_dst] = KINDS.index("isl")
    return kind


@dataclass(frozen=True)
class ContactPlan(ArrowTable):
    """Directed contact windows, sorted by ``start_s``. All arrays are ``[n_contact]``.

    Attributes:
        epoch: aware UTC datetime of ``t_s == 0``.
        duration_s: span of the plan; windows still open at the end are cut there.
        nodes: the node table (indices used by ``src`` and ``dst``).
        src, dst: int32 node indices.
        start_s, end_s: float64 seconds since ``epoch`` (refined between samples).
        rate_bps: float64 data rate [bit/s] (worst case over the window).
        owlt_s: float64 one-way light time [s] at the longest range of the window.
        range_km: float64 longest range of the window [km].
        kind: uint8 code into :data:`KINDS`.
    """

    epoch: dt.datetime
    duration_s: float
    nodes: NodeTable
    src: I32 = field(repr=False)
    dst: I32 = field(repr=False)
    start_s: F64 = field(repr=False)
    end_s: F64 = field(repr=False)
    rate_bps: F64 = field(repr=False)
    owlt_s: F64 = field(repr=False)
    range_km: F64 = field(repr=False)
    kind: NDArray[np.uint8] = field(repr=False)

    def __len__(self) -> int:
        return int(self.src.shape[0])

    def __repr__(self) -> str:
        return (
            f"ContactPlan({len(self):,} contacts, {self.nodes.n_sat} satellites, "
            f"{self.nodes.n_ground} ground nodes, {fmt_utc(self.epoch)} + {self.duration_s:g} s)"
        )

    def _repr_html_(self) -> str:
        """Notebook view: nodes, contacts by kind, the span in UTC, the total capacity
        (sum over contacts of ``rate_bps × duration``) and the first rows of :meth:`to_arrow`."""
        per_kind = np.bincount(self.kind, minlength=len(KINDS))
        kinds = ", ".join(f"{int(n):,} {k}" for k, n in zip(KINDS, per_kind, strict=True))
        volume_bytes = float((self.rate_bps * self.duration_each_s).sum()) / 8.0
        end = self.epoch + dt.timedelta(seconds=self.duration_s)
        n = self.nodes
        items = [
            ("nodes", f"{n.n_node:,} ({n.n_sat:,} satellites, {n.n_ground:,} ground)"),
            ("contacts", f"{len(self):,} ({kinds})"),
            ("span", f"{fmt_utc(self.epoch)} to {fmt_utc(end)} ({self.duration_s:g} s)"),
            ("total capacity", f"{fmt_bytes(volume_bytes)} (rate × duration, all contacts)"),
        ]
        head = self.select(np.arange(min(len(self), HEAD_ROWS))).to_arrow()
        return summary_html("ContactPlan", items, arrow_html(head, len(self)))

    @property
    def duration_each_s(self) -> F64:
        return self.end_s - self.start_s

    def select(self, mask: NDArray[np.bool_] | NDArray[np.intp]) -> ContactPlan:
        """A plan with only the rows picked by a boolean mask or index array."""
        return ContactPlan(
            self.epoch, self.duration_s, self.nodes,
            self.src[mask], self.dst[mask], self.start_s[mask], self.end_s[mask],
            self.rate_bps[mask], self.owlt_s[mask], self.range_km[mask], self.kind[mask],
        )  # fmt: skip

    def cut(self, outages: NodeOutages) -> ContactPlan:
        """The plan without the time its nodes are down: each contact of an outage's node
        (of the outage's scope: every contact, its ISLs, or its ground contacts) that overlaps
        ``[start_s, end_s)`` keeps only its parts before ``start_s`` and after ``end_s``
        (split in two if the outage falls inside it; gone if it falls within the outage).
        Pieces keep the window's worst-case rate, light time and range. Rows stay sorted by
        start; a contact no outage touches is returned unchanged.

        One vectorised pass over the contacts per outage (outages are few: scenario faults).
        """
        src, dst = self.src, self.dst
        start, end = self.start_s.copy(), self.end_s.copy()
        row = np.arange(len(self), dtype=np.intp)  # which original row each piece is
        isl_kind, ground = KINDS.index("isl"), OUTAGE_SCOPES.index("ground")
        for n, a, b, sc in zip(
            outages.node.tolist(), outages.start_s.tolist(), outages.end_s.tolist(),
            outages.scope.tolist(), strict=True,
        ):  # fmt: skip
            kind = self.kind[row]
            hit = ((src[row] == n) | (dst[row] == n)) & (end > a) & (start < b)
            if sc == OUTAGE_SCOPES.index("isl"):
                hit &= kind == isl_kind
            elif sc == ground:
                hit &= kind != isl_kind
            if not hit.any():
                continue
            before = hit & (start < a)  # keeps [start, a]
            after = hit & (end > b)  # keeps [b, end]
            keep = ~hit | before
            new_end = np.where(before, np.minimum(end, a), end)
            tail = np.flatnonzero(after)
            row = np.concatenate([row[keep], row[tail]])
            start = np.concatenate([start[keep], np.full(tail.size, b)])
            end = np.concatenate([new_end[keep], end[tail]])
        order = np.lexsort((row, start))
        row, start, end = row[order], start[order], end[order]
        return ContactPlan(
            self.epoch, self.duration_s, self.nodes, src[row], dst[row], start, end,
            self.rate_bps[row], self.owlt_s[row], self.range_km[row], self.kind[row],
        )  # fmt: skip

    def reduce(self, cuts: RateCuts) -> tuple[ContactPlan, F64]:
        """The plan with the capacity ``cuts`` take: each contact of a cut's link that overlaps
        ``[start_s, end_s)`` is split at those edges and its part inside loses ``minus_bps``
        (floored at 0: a part left with no rate is removed); also, per cut, the bytes it took
        (``min(rate, minus_bps) × overlap / 8``, summed). Cuts apply in order; rows stay
        sorted by start; a contact no cut touches is returned unchanged."""
        src, dst = self.src, self.dst
        start, end = self.start_s.copy(), self.end_s.copy()
        rate = self.rate_bps.copy()
        row = np.arange(len(self), dtype=np.intp)
        taken = np.zeros(len(cuts))
        for j in range(len(cuts)):
            a, b, minus = float(cuts.start_s[j]), float(cuts.end_s[j]), float(cuts.minus_bps[j])
            hit = cuts.hits(j, src[row], dst[row]) & (end > a) & (start < b)
            if not hit.any():
                continue
            h = np.flatnonzero(hit)
            lo, hi = np.maximum(start[h], a), np.minimum(end[h], b)
            taken[j] = float((np.minimum(rate[h], minus) * (hi - lo)).sum()) / 8.0
            before = h[start[h] < a]
            after = h[end[h] > b]
            inside_rate = np.maximum(rate[h] - minus, 0.0)
            keep_in = inside_rate > 0
            miss = np.flatnonzero(~hit)
            row = np.concatenate([row[miss], row[before], row[h[keep_in]], row[after]])
            start = np.concatenate(
                [start[miss], start[before], lo[keep_in], np.full(after.size, b)]
            )
            end = np.concatenate([end[miss], np.full(before.size, a), hi[keep_in], end[after]])
            rate = np.concatenate([rate[miss], rate[before], inside_rate[keep_in], rate[after]])
        order = np.lexsort((row, start))
        row, start, end, rate = row[order], start[order], end[order], rate[order]
        return ContactPlan(
            self.epoch, self.duration_s, self.nodes, src[row], dst[row], start, end,
            rate, self.owlt_s[row], self.range_km[row], self.kind[row],
        ), taken  # fmt: skip

    def of_kind(self, kind: str) -> ContactPlan:
        return self.select(self.kind == KINDS.index(kind))

    def active_at(self, t_s: float) -> NDArray[np.bool_]:
        """bool[n_contact]: contacts open at ``t_s``."""
        return (self.start_s <= t_s) & (t_s <= self.end_s)

    # --- Arrow / Parquet -------------------------------------------------------------------

    def to_arrow(self) -> pa.Table:
        names = np.asarray(self.nodes.names, dtype=object)
        table = pa.table(
            {
                "src": pa.array(names[self.src], pa.string()).dictionary_encode(),
                "dst": pa.array(names[self.dst], pa.string()).dictionary_encode(),
                "start_s": self.start_s,
                "end_s": self.end_s,
                "rate_bps": self.rate_bps,
                "owlt_s": self.owlt_s,
                "range_km": self.range_km,
                "kind": pa.array(
                    np.asarray(KINDS, dtype=object)[self.kind], pa.string()
                ).dictionary_encode(),
            }
        )
        meta = {
            b"orbitcloud.epoch": self.epoch.isoformat().encode(),
            b"orbitcloud.duration_s": repr(self.duration_s).encode(),
            b"orbitcloud.nodes": self.nodes.to_json().encode(),
        }
        return table.replace_schema_metadata(meta)

    @classmethod
    def from_light_times(
        cls,
        epoch: dt.datetime,
        duration_s: float,
        nodes: NodeTable,
        src: I32,
        dst: I32,
        start_s: F64,
        end_s: F64,
        rate_bps: F64,
        owlt_s: F64,
    ) -> ContactPlan:
        """A plan from contact rows as exchange formats give them (ION, HDTN): kinds come
        from the node table, ``range_km = owlt_s * c``, rows are sorted by start."""
        order = np.argsort(start_s, kind="stable")
        src, dst = src[order].astype(np.int32), dst[order].astype(np.int32)

        def f64(x: F64) -> F64:
            return np.asarray(x, dtype=np.float64)[order]

        owlt = f64(owlt_s)
        return cls(
            epoch, float(duration_s), nodes, src, dst, f64(start_s), f64(end_s), f64(rate_bps),
            owlt, owlt * SPEED_OF_LIGHT_KM_S, kind_codes(nodes, src, dst),
        )  # fmt: skip

    @classmethod
    def from_arrow(cls, table: pa.Table) -> ContactPlan:
        meta = table.schema.metadata or {}
        if b"orbitcloud.nodes" not in meta:
            raise ValueError("this table has no orbitcloud contact-plan metadata (epoch, nodes)")
        nodes = NodeTable.from_json(meta[b"orbitcloud.nodes"])
        index = nodes.index()

        def idx(col: str) -> I32:
            return np.asarray([index[n] for n in table.column(col).to_pylist()], dtype=np.int32)

        def f64(col: str) -> F64:
            return table.column(col).to_numpy().astype(np.float64)

        kinds = {k: i for i, k in enumerate(KINDS)}
        src, dst = ("src", "dst") if "src" in table.column_names else ("from", "to")  # older files
        return cls(
            epoch=dt.datetime.fromisoformat(meta[b"orbitcloud.epoch"].decode()),
            duration_s=float(meta[b"orbitcloud.duration_s"]),
            nodes=nodes,
            src=idx(src),
            dst=idx(dst),
            start_s=f64("start_s"),
            end_s=f64("end_s"),
            rate_bps=f64("rate_bps"),
            owlt_s=f64("owlt_s"),
            range_km=f64("range_km"),
            kind=np.asarray([kinds[k] for k in table.column("kind").to_pylist()], dtype=np.uint8),
        )

    def write_parquet(self, path: str | Path) -> None:
        pq.write_table(self.to_arrow(), path, compression="zstd")

    @classmethod
    def read_parquet(cls, path: str | Path) -> ContactPlan:
        return cls.from_arrow(pq.read_table(path))
