"""NASA HDTN contact plans: the JSON its router reads (``module/router/contact_plans/*.json``).

Format (nasa/HDTN)::

    {"contacts": [{"contact": 1, "source": 1, "dest": 2, "startTime": 0, "endTime": 120,
                   "rateBitsPerSec": 1000000000, "owlt": 1}, ...]}

All integers: contact numbers from 1, node numbers = orbitcloud node index + 1 (or a
deployment's own, from a node-number map: :mod:`orbitcloud.links.nodenumbers`),
``rateBitsPerSec`` in bit/s, ``owlt`` in whole seconds. Rounding is conservative, as for ION
(see :func:`orbitcloud.links.ion.whole_second_rows`): windows shrink to
``[ceil(start_s), floor(end_s)]`` and are dropped if empty, rates are floored to whole bit/s
(dropped at 0), light times are rounded up (minimum 1 s).

``startTime`` / ``endTime`` are written in one of HDTN's two time modes (nasa/HDTN
``module/router/src/router.cpp``, ``Router::Impl::ProcessContacts``): ``relative`` (the
default), seconds after the plan epoch, which the router counts from when it loads the plan
(``m_epoch = microsec_clock::universal_time()``); or ``unix``, seconds since 1970-01-01 UTC,
for a router started with ``--use-unix-timestamp`` (``RouterRunner.cpp``; then
``m_epoch = TimestampUtil::GetUnixEpoch()``). Nothing else in the JSON changes. The router reads
both with ``get<int>("startTime")``, a signed 32-bit integer, so unix times after
2038-01-19T03:14:07Z are refused on export.

Provenance goes in a top-level ``"orbitcloud"`` object: ``epoch`` (ISO 8601), ``duration_s``,
``times`` (the mode), ``n_sat``, ``nodes`` / ``groups`` / ``jurisdictions`` keyed by node
number, ``node_order`` (the node numbers in node-index order) and ``node_numbers`` (the map
used, ``{}`` for none). Assumption: HDTN reads only the ``"contacts"`` key and ignores unknown
top-level keys (its router parses the file with Boost property trees and looks ``contacts`` up
by name).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np

from orbitcloud.links.contactplan import ContactPlan, NodeTable
from orbitcloud.links.ion import whole_second_rows
from orbitcloud.links.nodenumbers import index_of_numbers, node_number_array

__all__ = ["HDTN_MAX_TIME", "HdtnTimeError", "read_hdtn", "to_hdtn", "write_hdtn"]

HdtnTimes = Literal["relative", "unix"]

_KEYS = ("contact", "source", "dest", "startTime", "endTime", "rateBitsPerSec", "owlt")
_UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: Largest ``startTime`` / ``endTime`` HDTN's router reads [s]: ``get<int>`` (router.cpp).
HDTN_MAX_TIME = 2**31 - 1


class HdtnTimeError(ValueError):
    """A plan whose times do not fit HDTN's 32-bit ``startTime`` / ``endTime``."""


def _split_epoch(epoch: dt.datetime) -> tuple[int, float]:
    """The epoch's Unix time as whole seconds and the sub-second part [s]."""
    whole = epoch.astimezone(dt.UTC).replace(microsecond=0)
    return int((whole - _UNIX_EPOCH).total_seconds()), epoch.microsecond / 1e6


def _check_times(times: str) -> None:
    if times not in ("relative", "unix"):
        raise ValueError(f"times={times!r}; expected 'relative' or 'unix'")


def to_hdtn(
    plan: ContactPlan,
    times: HdtnTimes = "relative",
    node_numbers: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The plan as an HDTN contact-plan dict (``contacts`` + ``orbitcloud`` provenance).

    Times whole seconds (start ceil, stop floor) after the epoch (``times="relative"``) or since
    1970-01-01 UTC (``"unix"``, for ``--use-unix-timestamp``; :class:`HdtnTimeError` past
    2038-01-19T03:14:07Z), rates whole bit/s (floor), ``owlt`` whole seconds (ceil, min 1).
    ``node_numbers`` maps node names to a deployment's node numbers (others: index + 1).
    Source: nasa/HDTN ``module/router/contact_plans``, ``module/router/src/router.cpp``.
    """
    _check_times(times)
    numbers = node_number_array(plan.nodes, node_numbers)
    epoch_unix, frac = _split_epoch(plan.epoch)
    shift = epoch_unix if times == "unix" else 0
    rows = whole_second_rows(plan, rate_quantum_bps=1, offset_s=frac if times == "unix" else 0.0)
    if len(rows.row) and int(rows.stop_s.max()) + shift > HDTN_MAX_TIME:
        raise HdtnTimeError(
            f"HDTN {times} times: the plan's last contact ends at {int(rows.stop_s.max()) + shift}"
            f" s, after {HDTN_MAX_TIME} s, the largest endTime HDTN's router reads (a 32-bit int)"
        )
    columns = zip(
        numbers[plan.src[rows.row]].tolist(),
        numbers[plan.dst[rows.row]].tolist(),
        (rows.start_s + shift).tolist(),
        (rows.stop_s + shift).tolist(),
        rows.rate_bps.tolist(),
        rows.owlt_s.tolist(),
        strict=True,
    )
    contacts = [
        dict(zip(_KEYS, (k, a, b, t0, t1, r, d), strict=True))
        for k, (a, b, t0, t1, r, d) in enumerate(columns, start=1)
    ]
    nodes = plan.nodes
    keys = [str(n) for n in numbers.tolist()]
    note = (
        "times in s after the epoch (HDTN's default: counted from when the router loads the plan)"
        if times == "relative"
        else "times in s since 1970-01-01 UTC (run HDTN's router with --use-unix-timestamp)"
    )
    provenance = {
        "epoch": plan.epoch.isoformat(),
        "duration_s": plan.duration_s,
        "times": times,
        "n_sat": nodes.n_sat,
        "nodes": dict(zip(keys, nodes.names, strict=True)),
        "groups": dict(zip(keys, nodes.group, strict=True)),
        "jurisdictions": dict(zip(keys, nodes.jurisdiction, strict=True)),
        "node_order": numbers.tolist(),
        "node_numbers": {k: int(v) for k, v in (node_numbers or {}).items()},
        "note": (
            "node number = orbitcloud node index + 1"
            + (" except as node_numbers maps it" if node_numbers else "")
            + "; "
            + note
        ),
    }
    return {"contacts": contacts, "orbitcloud": provenance}


def write_hdtn(
    plan: ContactPlan,
    path: str | Path,
    times: HdtnTimes = "relative",
    node_numbers: Mapping[str, int] | None = None,
) -> None:
    """Write :func:`to_hdtn` to ``path`` as indented JSON (UTF-8)."""
    data = to_hdtn(plan, times=times, node_numbers=node_numbers)
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _nodes_from_block(block: dict[str, Any]) -> NodeTable:
    """The node table stored by :func:`to_hdtn` in the ``orbitcloud`` block."""
    names_by_number = block.get("nodes")
    if not isinstance(names_by_number, dict) or "n_sat" not in block:
        raise ValueError(
            "the 'orbitcloud' block has no 'nodes' map and 'n_sat'; pass nodes=NodeTable(...)"
        )
    n_node = len(names_by_number)
    order = block.get("node_order")
    if order is None:
        expected = [str(i + 1) for i in range(n_node)]
    elif isinstance(order, list) and all(type(n) is int for n in order):
        expected = [str(n) for n in order]
    else:
        raise ValueError(f"orbitcloud.node_order={order!r}; expected a list of node numbers")
    if sorted(names_by_number, key=lambda s: (len(s), s)) != sorted(
        expected, key=lambda s: (len(s), s)
    ):
        raise ValueError(
            f"orbitcloud.nodes keys are {sorted(names_by_number)!r}; expected node numbers "
            f"{'1..' + str(n_node) + ' with no gaps' if order is None else 'as node_order'}; "
            "pass nodes=NodeTable(...) instead"
        )
    groups = block.get("groups", {})
    jurisdictions = block.get("jurisdictions", {})
    n_sat = int(block["n_sat"])
    return NodeTable(
        names=[str(names_by_number[k]) for k in expected],
        n_sat=n_sat,
        group=[str(groups.get(k, "ground" if i >= n_sat else "")) for i, k in enumerate(expected)],
        jurisdiction=[str(jurisdictions.get(k, "")) for k in expected],
    )


def _whole(value: Any, where: str, key: str, minimum: int) -> int:
    """An integer field of a contact (JSON numbers with an integral value are accepted)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: {key}={value!r}; expected an integer >= {minimum}")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise ValueError(f"{where}: {key}={value!r}; expected an integer >= {minimum}")
    if value < minimum:
        raise ValueError(f"{where}: {key}={value!r}; expected an integer >= {minimum}")
    return int(value)


def read_hdtn(
    data: dict[str, Any] | str,
    nodes: NodeTable | None = None,
    epoch: dt.datetime | None = None,
    duration_s: float | None = None,
    node_numbers: Mapping[str, int] | None = None,
    times: HdtnTimes | None = None,
) -> ContactPlan:
    """Parse an HDTN contact plan (dict or JSON text) into a :class:`ContactPlan`.

    ``startTime`` / ``endTime`` are seconds after ``epoch`` (``times="relative"``) or since
    1970-01-01 UTC (``"unix"``); ``rateBitsPerSec`` [bit/s]; ``owlt`` [s],
    ``range_km = owlt * c``. ``nodes`` / ``epoch`` / ``duration_s`` / ``node_numbers`` /
    ``times`` default to the ``orbitcloud`` block written by :func:`to_hdtn` (``duration_s``
    then to the last ``endTime`` after the epoch, ``times`` to ``"relative"``). Node number n
    is node index n - 1 unless ``node_numbers`` maps a name to it; kinds come from the node
    table (see :func:`orbitcloud.links.contactplan.kind_codes`). Bad entries raise
    ``ValueError`` naming ``contacts[i]``.
    """
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ValueError(f"HDTN contact plan is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("contacts"), list):
        raise ValueError(
            'expected an HDTN contact plan: a JSON object {"contacts": [...]}, got '
            f"{type(data).__name__} with keys {sorted(data) if isinstance(data, dict) else []}"
        )
    block = data.get("orbitcloud")
    if block is not None and not isinstance(block, dict):
        raise ValueError(f"'orbitcloud' is a {type(block).__name__}; expected an object")
    if nodes is None:
        if block is None:
            raise ValueError(
                "this HDTN plan has no 'orbitcloud' block; pass nodes=NodeTable(...) "
                "(node number n = node index n - 1)"
            )
        nodes = _nodes_from_block(block)
    if epoch is None:
        if block is None or "epoch" not in block:
            raise ValueError(
                "this HDTN plan has no 'orbitcloud.epoch'; pass epoch=datetime(..., tzinfo=UTC) "
                "(the UTC time of startTime 0)"
            )
        epoch = dt.datetime.fromisoformat(str(block["epoch"]))
    if epoch.tzinfo is None:
        raise ValueError(f"epoch {epoch.isoformat()} is naive; expected an aware UTC datetime")
    if times is None:
        times = block.get("times", "relative") if block is not None else "relative"
    _check_times(str(times))
    if node_numbers is None and block is not None and block.get("node_numbers"):
        node_numbers = block["node_numbers"]
        if not isinstance(node_numbers, dict):
            raise ValueError(f"orbitcloud.node_numbers={node_numbers!r}; expected an object")
    index = index_of_numbers(node_number_array(nodes, node_numbers))
    epoch_unix, frac = _split_epoch(epoch)

    rows: list[tuple[int, int, int, int, int, int]] = []
    for i, entry in enumerate(data["contacts"]):
        where = f"contacts[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: got {entry!r}; expected an object with keys {_KEYS}")
        missing = [k for k in _KEYS[1:] if k not in entry]
        if missing:
            raise ValueError(f"{where}: missing key(s) {missing}; expected keys {_KEYS}")
        a, b = (_whole(entry[k], where, k, 1) for k in ("source", "dest"))
        for k, n in (("source", a), ("dest", b)):
            if n not in index:
                expected = (
                    f"expected 1..{nodes.n_node} (node number = node index + 1)"
                    if not node_numbers
                    else "expected a number of the node-number map or a default index + 1"
                )
                raise ValueError(f"{where}: {k}={n} is not in the node table; {expected}")
        t0 = _whole(entry["startTime"], where, "startTime", 0)
        t1 = _whole(entry["endTime"], where, "endTime", 0)
        if not t0 < t1:
            raise ValueError(f"{where}: startTime={t0}, endTime={t1}; expected startTime < endTime")
        rate = _whole(entry["rateBitsPerSec"], where, "rateBitsPerSec", 0)
        owlt = _whole(entry["owlt"], where, "owlt", 0)
        rows.append((index[a], index[b], t0, t1, rate, owlt))

    table = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
    if times == "unix":
        table[:, 2:4] = (table[:, 2:4] - float(epoch_unix)) - frac
    if duration_s is None:
        duration_s = float(block["duration_s"]) if block and "duration_s" in block else None
    if duration_s is None:
        duration_s = float(table[:, 3].max()) if len(rows) else 0.0
    return ContactPlan.from_light_times(
        epoch, duration_s, nodes, table[:, 0].astype(np.int32), table[:, 1].astype(np.int32),
        table[:, 2], table[:, 3], table[:, 4], table[:, 5],
    )  # fmt: skip
