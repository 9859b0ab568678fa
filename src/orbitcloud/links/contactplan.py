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

__all__ = ["KINDS", "ContactPlan", "NodeTable", "kind_codes"]

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
    """

    names: list[str]
    n_sat: int
    group: list[str]
    jurisdiction: list[str]

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
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> NodeTable:
        d = json.loads(text)
        return cls(d["names"], int(d["n_sat"]), d["group"], d["jurisdiction"])


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
class ContactPlan:
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
                "from": pa.array(names[self.src], pa.string()).dictionary_encode(),
                "to": pa.array(names[self.dst], pa.string()).dictionary_encode(),
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
        return cls(
            epoch=dt.datetime.fromisoformat(meta[b"orbitcloud.epoch"].decode()),
            duration_s=float(meta[b"orbitcloud.duration_s"]),
            nodes=nodes,
            src=idx("from"),
            dst=idx("to"),
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
