"""The run's event log: one row per thing that happened in a cloud service, for ``events.parquet``.

Every service (compute, storage, faults) appends to one :class:`EventLog`; the run folder writes
it as ``events.parquet`` with columns

=========  =======  ==========================================================================
column     type     meaning
=========  =======  ==========================================================================
t_s        float64  simulation time, seconds since the scenario epoch
service    string   ``compute``, ``storage``, ``faults``, ``network``, ...
kind       string   what happened, e.g. ``job_submitted``, ``job_finished``, ``shard_lost``
node       string   the node it happened on (satellite or ground-station name; "" if none)
subject    string   what it happened to (job id, object key, ...; "" if none)
value      float64  one number that goes with it, in ``unit`` (NULL if none)
unit       string   the unit of ``value`` by ``kind`` (:data:`EVENT_UNITS`; NULL if none)
detail     string   free text (reason of a failure, policy name, ...)
=========  =======  ==========================================================================

Appending is a list append of a tuple (cheap inside simpy processes); the columns are built
once by :meth:`EventLog.to_arrow`. Rows are sorted by time on export (stable, so events at the
same instant keep the order in which they were logged).
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from orbitcloud.tables import ArrowTable

__all__ = ["EVENT_SCHEMA", "EVENT_UNITS", "EventLog"]

#: The unit of ``value`` for each event kind; None: the kind carries no number (its value is
#: NULL, whatever was logged). A kind missing here has a NULL unit.
EVENT_UNITS: dict[str, str | None] = {
    # compute (orbit and ground modes)
    "job_submitted": "bytes", "job_dropped": "bytes", "job_started": "FLOP",
    "job_upset": "FLOP", "job_computed": "FLOP", "job_done": "J", "job_failed": None,
    "job_replaced": None, "job_placed": None,
    "node_lost": "count",  # compute: jobs interrupted; storage: shards the node held
    # data moved over the network (compute inputs and products, bundles)
    "bundle_lost": "bytes", "no_route": "bytes", "hop_start": "bytes", "delivered": "bytes",
    # storage
    "store_recovered": "count", "refused": None, "shard_undeliverable": None,
    "shard_landed": "bytes", "object_put": "bytes", "object_durable": "s",
    "shard_lost": None, "shard_corrupted_detected": None, "object_lost": "count",
    "get_served": "s", "object_deleted": None, "key_rotated": "count",
    "bit_flip": "bit offset", "isl_failure": "count", "station_outage": "count",
    "scrub_done": "count", "repair_failed": "count", "repair_done": "count",
    "shard_rebuilt": "bytes", "node_distrusted": "count",
    # security (threats:): shards held at compromise, ciphertext bytes exposed, one attempt,
    # contact capacity a jammer cost, contact capacity a flood took
    "satellite_compromised": "count", "compromise_detected": "bytes", "uplink_rejected": "count",
    "link_jammed": "bytes", "link_flooded": "bytes", "reencryption_done": "bytes",
}  # fmt: skip

EVENT_SCHEMA = pa.schema(
    [
        ("t_s", pa.float64()),
        ("service", pa.string()),
        ("kind", pa.string()),
        ("node", pa.string()),
        ("subject", pa.string()),
        ("value", pa.float64()),
        ("unit", pa.string()),
        ("detail", pa.string()),
    ]
)


class EventLog(ArrowTable):
    """Append-only log of service events (see the module docstring for the columns)."""

    def __init__(self) -> None:
        self._rows: list[tuple[float, str, str, str, str, float, str]] = []

    def __len__(self) -> int:
        return len(self._rows)

    def add(
        self,
        t_s: float,
        service: str,
        kind: str,
        node: str = "",
        subject: str = "",
        value: float = math.nan,
        detail: str = "",
    ) -> None:
        """Record one event at time ``t_s`` [s since epoch]."""
        self._rows.append((float(t_s), service, kind, node, subject, float(value), detail))

    def extend(self, other: EventLog) -> None:
        """Append every event of ``other`` (e.g. a service run in its own log)."""
        self._rows.extend(other._rows)

    def count(self, kind: str, node: str | None = None) -> int:
        """Number of events of one kind (on ``node`` only, when given)."""
        return sum(1 for r in self._rows if r[2] == kind and (node is None or r[3] == node))

    def to_arrow(self) -> pa.Table:
        """The log as an Arrow table with :data:`EVENT_SCHEMA`, sorted by time (stable)."""
        if not self._rows:
            return EVENT_SCHEMA.empty_table()
        rows = []
        for t, service, kind, node, subject, value, detail in self._rows:
            unit = EVENT_UNITS.get(kind, "")
            number = None if unit is None or math.isnan(value) else value  # NULL, not NaN
            rows.append((t, service, kind, node, subject, number, unit or None, detail))
        cols = list(zip(*rows, strict=True))
        order = np.argsort(np.asarray(cols[0], dtype=np.float64), kind="stable")
        arrays = [
            pa.array(np.asarray(col, dtype=object)[order].tolist(), type=field.type)
            for col, field in zip(cols, EVENT_SCHEMA, strict=True)
        ]
        return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)
