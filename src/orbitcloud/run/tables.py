"""The run folder's tables: one schema per Parquet file, the one definition of their columns.

Every table :func:`~orbitcloud.run.folder.write_run_folder` writes goes through
:func:`conform`, which checks it against its :class:`TableSchema` here and makes it
query-ready, so DuckDB, pandas or Spark read a folder (or a folder of run folders) without
the manifest:

- ``run_id`` first: the run folder's name (``<scenario>-<utc stamp>``), so tables of several
  runs can be unioned (``read_parquet('runs/*/jobs.parquet')``) and told apart;
- beside each time column ``<x>_s`` that counts seconds since the scenario's epoch, a UTC
  timestamp ``<x>_utc`` (``timestamp[us, tz=UTC]``); durations (``latency_s``, ``owlt_s``, ...)
  keep their seconds only;
- NULL, never a sentinel, for what is missing: in a column marked ``nullable`` a NaN or
  infinity, an empty string or a ``-1`` index becomes NULL, so ``avg(get_latency_s)`` is the
  mean of the gets that happened;
- units in the column names (``_s``, ``_bps``, ``_km``, ``_bytes``, ``_w``, ``_j``, ...); the
  one table whose numbers have several units, ``events``, says each row's in ``unit``.

:func:`tables_markdown` renders the reference (docs/tables.md is generated from it, and a test
checks the file is current), and the tests check that every table the built-in examples write
matches its schema here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orbitcloud.assess.roadmap_report import ROADMAP_COLUMNS

__all__ = [
    "OUTPUT_SCHEMA",
    "RUN_ID",
    "TABLES",
    "Column",
    "TableSchema",
    "conform",
    "table_schema",
    "tables_markdown",
    "utc_name",
]

#: Name of the run-identifier column every run-folder table starts with.
RUN_ID = "run_id"

_DICT = pa.dictionary(pa.int32(), pa.string())
_UTC = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Column:
    """One column: ``name`` (its unit as suffix), Arrow ``type``, ``doc``; ``nullable``: NULL
    where missing (NaN, infinities, ``""`` and ``-1`` become NULL); ``epoch_time``: seconds
    since the scenario's epoch, so the table gains :func:`utc_name` beside it."""

    name: str
    type: pa.DataType
    doc: str
    nullable: bool = False
    epoch_time: bool = False
    optional: bool = False  # may be left out (e.g. routes' path with --no-paths)


@dataclass(frozen=True)
class TableSchema:
    """A run-folder table: file ``name``, what one row is (``row``), its ``columns`` as the
    code builds them (before :func:`conform` adds ``run_id`` and the UTC columns)."""

    name: str
    row: str
    columns: tuple[Column, ...]

    def arrow_schema(self) -> pa.Schema:
        """The schema of the table as written: ``run_id``, then each column, each epoch time
        followed by its UTC timestamp."""
        fields = [pa.field(RUN_ID, _DICT, nullable=False)]
        for c in self.columns:
            fields.append(pa.field(c.name, c.type))
            if c.epoch_time:
                fields.append(pa.field(utc_name(c.name), _UTC))
        return pa.schema(fields)


def utc_name(name: str) -> str:
    """``start_s`` -> ``start_utc``: the UTC timestamp column beside an epoch time."""
    if not name.endswith("_s"):
        raise ValueError(f"an epoch-time column is named <x>_s, not {name!r}")
    return name[:-2] + "_utc"


def _c(
    name: str,
    type_: pa.DataType,
    doc: str,
    nullable: bool = False,
    epoch: bool = False,
    optional: bool = False,
) -> Column:
    return Column(name, type_, doc, nullable, epoch, optional)


_F, _I32, _I64, _S, _B = pa.float64(), pa.int32(), pa.int64(), pa.string(), pa.bool_()
_ROADMAP_COLUMNS = ROADMAP_COLUMNS  # orbitcloud.assess.roadmap_report: the one definition
_LS = pa.list_(pa.string())

TABLES: tuple[TableSchema, ...] = (
    TableSchema("contacts.parquet", "one contact window of the plan (a direction of a link)", (
        _c("src", _DICT, "sending node (satellite, station or node beyond Earth orbit)"),
        _c("dst", _DICT, "receiving node"),
        _c("start_s", _F, "window opens [s since the scenario epoch]", epoch=True),
        _c("end_s", _F, "window closes [s since the epoch]", epoch=True),
        _c("rate_bps", _F, "data rate over the window [bit/s]"),
        _c("owlt_s", _F, "one-way light time [s]"),
        _c("range_km", _F, "range the light time stands for [km]"),
        _c("kind", _DICT, "`downlink`, `uplink` or `isl`"),
    )),
    TableSchema("positions.parquet", "one satellite at one sampled time step", (
        _c("t_s", _F, "sample time [s since the epoch]", epoch=True),
        _c("sat", _DICT, "satellite (or node beyond Earth orbit) name"),
        _c("x_km", _F, "Earth-fixed (ITRS) x [km]"),
        _c("y_km", _F, "Earth-fixed y [km]"),
        _c("z_km", _F, "Earth-fixed z [km]"),
        _c("lat_deg", _F, "geodetic latitude, WGS-84 [deg]"),
        _c("lon_deg", _F, "longitude [deg]"),
        _c("alt_km", _F, "height above the WGS-84 ellipsoid [km]"),
        _c("sunlit", _B, "in sunlight"),
        _c("generated_w", _F, "solar power generated over the step [W] (power runs only; "
           "NULL at the last time, which starts no step)", nullable=True),
        _c("compute_w", _F, "power drawn by compute over the step [W] (power runs only)",
           nullable=True),
        _c("battery_soc", _F, "battery state of charge [0-1] (power runs only)",
           nullable=True),
        _c("temperature_k", _F, "radiator temperature [K] (power runs only)", nullable=True),
    )),
    TableSchema("jobs.parquet", "one compute job in one mode (`orbit` or `ground`)", (
        _c("job_id", _I64, "job number, the same in every mode"),
        _c("tenant", _S, "workload tenant"),
        _c("priority", _I32, "tenant priority (higher first)"),
        _c("input", _S, "where the input is: `capture`, `station` or `storage`"),
        _c("source", _S, "node where the input appears (satellite or station)"),
        _c("holders", _LS, "nodes holding the input's shards (input: storage)"),
        _c("needed", _I32, "shards needed to rebuild the input"),
        _c("capture", _I64, "capture number (input: capture), else NULL", nullable=True),
        _c("area", _S, "area of interest imaged (input: capture), else NULL", nullable=True),
        _c("request", _S, "job request of the workload, else NULL", nullable=True),
        _c("ready_s", _F, "input complete [s since the epoch]", epoch=True),
        _c("deadline_s", _F, "deadline [s since the epoch]", nullable=True, epoch=True),
        _c("input_bytes", _F, "input size [bytes]"),
        _c("flops", _F, "work [FLOP]"),
        _c("output_bytes", _F, "product size [bytes]"),
        _c("mode", _S, "`orbit` (processed in orbit) or `ground` (raw data downlinked)"),
        _c("node", _S, "node that computed it, NULL if none did", nullable=True),
        _c("submitted_s", _F, "submitted [s since the epoch]", nullable=True, epoch=True),
        _c("started_s", _F, "computation started", nullable=True, epoch=True),
        _c("finished_s", _F, "computation finished", nullable=True, epoch=True),
        _c("delivered_s", _F, "product on the ground", nullable=True, epoch=True),
        _c("energy_j", _F, "energy spent computing [J]"),
        _c("retries", _I64, "attempts after a radiation upset"),
        _c("downlink_bytes", _F, "bytes sent down to stations [bytes]"),
        _c("isl_bytes", _F, "bytes sent over inter-satellite links [bytes]"),
        _c("uplink_bytes", _F, "bytes sent up [bytes]"),
        _c("status", _S, "`done`, `late` (after its deadline), `failed`, `unfinished` or "
           "`dropped`"),
        _c("reason", _S, "why it failed or was dropped, else NULL", nullable=True),
        _c("replaced", _I64, "times placed again after its node was lost"),
    )),
    TableSchema("storage.parquet", "one object put (or refused) by the storage workload", (
        _c("tenant", _S, "storage tenant"),
        _c("bucket", _S, "bucket"),
        _c("key", _S, "object key"),
        _c("size_bytes", _I64, "object size [bytes]"),
        _c("policy", _S, "placement policy, e.g. `erasure-4+2`"),
        _c("put_station", _S, "station it was uplinked from"),
        _c("put_s", _F, "put requested [s since the epoch]", epoch=True),
        _c("k_durable_s", _F, "k shards landed (readable) [s since the epoch]", nullable=True,
           epoch=True),
        _c("durable_s", _F, "all shards landed", nullable=True, epoch=True),
        _c("durability_latency_s", _F, "durable_s - put_s [s]", nullable=True),
        _c("get_station", _S, "station it was read back at, NULL if not read", nullable=True),
        _c("get_s", _F, "get requested", nullable=True, epoch=True),
        _c("get_ready_s", _F, "k shards on the ground", nullable=True, epoch=True),
        _c("get_latency_s", _F, "get_ready_s - get_s [s]", nullable=True),
        _c("get_ok", _B, "the get returned the bytes put"),
        _c("readable", _B, "k shards left at the end of the run"),
        _c("lost", _B, "fewer than k shards left at some point"),
        _c("healthy_shards", _I32, "shards left at the end"),
        _c("n_shards", _I32, "shards written"),
        _c("k", _I32, "shards needed to read"),
        _c("checksum", _S, "keyed HMAC-SHA256 of the plaintext (hex), NULL if refused",
           nullable=True),
        _c("refusal", _S, "why the put was refused (sovereignty, capacity), else NULL",
           nullable=True),
    )),
    TableSchema("bundles.parquet", "one probe bundle of the `bundles:` section", (
        _c("name", _S, "bundle stream"),
        _c("src", _S, "node it was sent from"),
        _c("send_s", _F, "sent [s since the epoch]", epoch=True),
        _c("arrival_s", _F, "arrived, NULL if not delivered", nullable=True, epoch=True),
        _c("latency_s", _F, "arrival_s - send_s [s]", nullable=True),
        _c("delivered", _B, "reached a destination within the run"),
        _c("hops", _I32, "contacts it went through (0 if not delivered)"),
        _c("dst", _S, "destination it reached, NULL if none", nullable=True),
        _c("path", _LS, "nodes from src to dst (empty if not delivered)"),
        _c("owlt_s", _F, "light time summed over its hops [s]", nullable=True),
        _c("size_bytes", _F, "bundle size [bytes]"),
    )),
    TableSchema("users.parquet", "one user terminal of the `users:` section", (
        _c("name", _S, "user"),
        _c("kind", _S, "`fixed`, `ship`, `aircraft` or `land`"),
        _c("policy", _S, "satellite selection: `lowest_latency`, `highest_rate`, "
           "`sovereign_only`"),
        _c("availability", _F, "fraction of the run with a link carrying data [0-1]"),
        _c("handovers", _I64, "direct handovers from one satellite to another"),
        _c("links", _I64, "serving-satellite links carrying data"),
        _c("offered_bytes", _F, "demand sent within the run [bytes]"),
        _c("delivered_bytes", _F, "demand delivered to its station within the run [bytes]"),
        _c("latency_mean_s", _F, "mean send-to-arrival time of the delivered demand [s]",
           nullable=True),
        _c("latency_p95_s", _F, "95th percentile of that time [s]", nullable=True),
        _c("constellation_share", pa.map_(pa.string(), pa.float64()), "fraction of the run "
           "served by each of its terminal's constellations [0-1] (step resolution)"),
    )),
    TableSchema("events.parquet", "one event logged by a service", (
        _c("t_s", _F, "when [s since the epoch]", epoch=True),
        _c("service", _S, "`storage`, `compute-orbit`, `compute-ground`, `bundles`, ..."),
        _c("kind", _S, "what happened (`shard_landed`, `job_computed`, `repair_done`, ...)"),
        _c("node", _S, "node or station concerned, NULL if none", nullable=True),
        _c("subject", _S, "object, shard or job concerned, NULL if none", nullable=True),
        _c("value", _F, "the event's number, in `unit`; NULL if it has none", nullable=True),
        _c("unit", _S, "unit of `value` (`bytes`, `FLOP`, `J`, `s`, `count`, ...), NULL if "
           "none", nullable=True),
        _c("detail", _S, "free text, NULL if none", nullable=True),
    )),
    TableSchema("roadmap.parquet", "one calendar year of the assessment's roadmap (central "
                "values; `assessment.roadmap:`)", (
        _c("year", _I32, "calendar year"),
        *(_c(k, _F, doc) for k, doc in _ROADMAP_COLUMNS[1:]),
    )),
    # --- what the commands write (each output its own run_id: <scenario>-<utc stamp>) -----
    TableSchema("routes.parquet", "one endpoint pair at one time step (`orbitcloud routes`)", (
        _c("t_s", _F, "snapshot time [s since the epoch]", epoch=True),
        _c("src", _DICT, "source endpoint"),
        _c("dst", _DICT, "destination endpoint"),
        _c("rtt_ms", _F, "round-trip propagation time over the shortest path [ms], NULL if "
           "unreachable", nullable=True),
        _c("hops", _I32, "links on the path, NULL if unreachable", nullable=True),
        _c("path", pa.list_(_DICT), "snapshot nodes from src to dst (stations twice: up and "
           "down); left out with --no-paths", optional=True),
    )),
    TableSchema("transfers.parquet", "one bulk transfer (`orbitcloud transfers`)", (
        _c("name", _S, "transfer name"),
        _c("src", _DICT, "source endpoint"),
        _c("dst", _DICT, "destination endpoint"),
        _c("size_bytes", _F, "size [bytes]"),
        _c("start_s", _F, "requested start [s since the epoch]", epoch=True),
        _c("finish_s", _F, "last byte sent, NULL if not completed", nullable=True, epoch=True),
        _c("arrival_s", _F, "last byte arrived, NULL if not completed", nullable=True,
           epoch=True),
        _c("bytes_sent", _F, "bytes sent within the run [bytes]"),
        _c("throughput_bps", _F, "size / (arrival - start) [bit/s], NULL if not completed",
           nullable=True),
        _c("completed", _B, "every byte arrived within the run"),
    )),
)  # fmt: skip
_BY_NAME = {t.name: t for t in TABLES}

#: The commands' outputs that have the schema of a run-folder table.
OUTPUT_SCHEMA = {"deliver": "bundles.parquet", "contacts": "contacts.parquet",
                 "routes": "routes.parquet", "transfers": "transfers.parquet"}  # fmt: skip


def table_schema(name: str) -> TableSchema:
    """The schema of run-folder table ``name`` (e.g. ``"jobs.parquet"``)."""
    return _BY_NAME[name]


def _nulls(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """``col`` with its missing markers (NaN, ``""``, ``-1``) as NULL."""
    t = col.type
    if pa.types.is_floating(t):
        missing = pc.invert(pc.is_finite(col))  # NaN, and an infinite "never"
    elif pa.types.is_string(t):
        missing = pc.equal(col, "")
    elif pa.types.is_integer(t):
        missing = pc.equal(col, -1)
    else:
        return col
    return pc.if_else(missing, pa.scalar(None, t), col)


def _utc(col: pa.ChunkedArray, epoch: dt.datetime) -> pa.Array:
    """Seconds since ``epoch`` as UTC timestamps [us]; NULL where the seconds are NULL/NaN."""
    s = np.asarray(pc.fill_null(col, np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)
    ok = np.isfinite(s)
    base_us = round(epoch.astimezone(dt.UTC).timestamp() * 1e6)
    us = np.where(ok, np.round(np.where(ok, s, 0.0) * 1e6), 0).astype(np.int64) + base_us
    return pa.array(us, pa.int64(), mask=~ok).cast(_UTC)


def conform(name: str, table: pa.Table, run_id: str, epoch: dt.datetime) -> pa.Table:
    """``table`` as run-folder table ``name`` is written: checked against its schema (a
    column the code adds or renames without updating :data:`TABLES` is a ``ValueError``),
    missing values as NULL, ``run_id`` first and a UTC timestamp beside each epoch time
    (module docstring). Schema metadata is kept."""
    schema = table_schema(name)
    columns = [c for c in schema.columns if not (c.optional and c.name not in table.column_names)]
    want = [c.name for c in columns]
    if table.column_names != want:
        raise ValueError(
            f"{name}: the code writes columns {table.column_names}, its schema in "
            f"orbitcloud.run.tables says {want}"
        )
    arrays: list[pa.ChunkedArray | pa.Array] = [
        pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(table.num_rows, dtype=np.int32)), pa.array([run_id], pa.string())
        )
    ]
    fields = [pa.field(RUN_ID, _DICT, nullable=False)]
    for c in columns:
        col = table.column(c.name)
        if not col.type.equals(c.type):
            raise ValueError(f"{name}: column {c.name!r} is {col.type}, its schema says {c.type}")
        if c.nullable:
            col = _nulls(col)
        arrays.append(col)
        fields.append(pa.field(c.name, c.type))
        if c.epoch_time:
            arrays.append(_utc(col, epoch))
            fields.append(pa.field(utc_name(c.name), _UTC))
    out = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    return out.replace_schema_metadata(table.schema.metadata)


def tables_markdown() -> str:
    """The run-folder table reference (docs/tables.md), from :data:`TABLES`."""
    lines = [
        "# Run-folder tables",
        "",
        "Generated from `orbitcloud.run.tables` (`python -m orbitcloud.run.tables > "
        "docs/tables.md`); a test checks this file is current.",
        "",
        f"Every table starts with `{RUN_ID}` (the run folder's name), has a UTC timestamp "
        "`<x>_utc` beside each time `<x>_s` counted from the scenario's epoch, and holds "
        "NULL where a value is missing. Units are in the column names. The commands' Parquet "
        "outputs follow the same rules: `orbitcloud contacts` writes the schema of "
        "contacts.parquet, `deliver` that of bundles.parquet, `routes` and `transfers` their "
        "own (below); their `run_id` is `<scenario>-<utc stamp>` of the command's run.",
        "",
    ]
    for t in TABLES:
        lines += [f"## {t.name}", "", f"One row: {t.row}.", "", "| column | type | meaning |",
                  "|---|---|---|"]  # fmt: skip
        lines.append(f"| `{RUN_ID}` | string | the run folder's name |")
        for c in t.columns:
            null = " (NULL where missing)" if c.nullable and "NULL" not in c.doc else ""
            null += " (optional)" if c.optional and "left out" not in c.doc else ""
            lines.append(f"| `{c.name}` | {_type_name(c.type)} | {c.doc}{null} |")
            if c.epoch_time:
                lines.append(f"| `{utc_name(c.name)}` | timestamp (UTC) | `{c.name}` as UTC |")
        lines.append("")
    return "\n".join(lines)


def _type_name(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        return "string"
    if pa.types.is_list(t):
        return f"list of {_type_name(t.value_type)}"
    if pa.types.is_map(t):
        return f"map of {_type_name(t.key_type)} to {_type_name(t.item_type)}"
    return {"double": "float64", "bool": "boolean"}.get(str(t), str(t))


if __name__ == "__main__":
    print(tables_markdown(), end="")
