"""NASA HDTN contact plans: the JSON its router reads (``module/router/contact_plans/*.json``).

Format (nasa/HDTN)::

    {"contacts": [{"contact": 1, "source": 1, "dest": 2, "startTime": 0, "endTime": 120,
                   "rateBitsPerSec": 1000000000, "owlt": 1}, ...]}

All integers: contact numbers from 1, node numbers = orbitcloud node index + 1, ``startTime`` /
``endTime`` in seconds after the plan epoch (HDTN's default relative mode, not
``--use-unix-timestamp``), ``rateBitsPerSec`` in bit/s, ``owlt`` in whole seconds. Rounding is
conservative, as for ION (see :func:`orbitcloud.links.ion.whole_second_rows`): windows shrink to
``[ceil(start_s), floor(end_s)]`` and are dropped if empty, rates are floored to whole bit/s
(dropped at 0), light times are rounded up (minimum 1 s).

Provenance goes in a top-level ``"orbitcloud"`` object: ``epoch`` (ISO 8601), ``duration_s``,
``n_sat`` and ``nodes`` / ``groups`` / ``jurisdictions`` keyed by node number. Assumption: HDTN
reads only the ``"contacts"`` key and ignores unknown top-level keys (its router parses the
file with Boost property trees and looks ``contacts`` up by name).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from orbitcloud.links.contactplan import ContactPlan, NodeTable
from orbitcloud.links.ion import whole_second_rows

__all__ = ["read_hdtn", "to_hdtn", "write_hdtn"]

_KEYS = ("contact", "source", "dest", "startTime", "endTime", "rateBitsPerSec", "owlt")


def to_hdtn(plan: ContactPlan) -> dict[str, Any]:
    """The plan as an HDTN contact-plan dict (``contacts`` + ``orbitcloud`` provenance).

    Times whole seconds after the epoch (start ceil, stop floor), rates whole bit/s (floor),
    ``owlt`` whole seconds (ceil, min 1). Source: nasa/HDTN ``module/router/contact_plans``.
    """
    rows = whole_second_rows(plan, rate_quantum_bps=1)
    columns = zip(
        (plan.src[rows.row] + 1).tolist(),
        (plan.dst[rows.row] + 1).tolist(),
        rows.start_s.tolist(),
        rows.stop_s.tolist(),
        rows.rate_bps.tolist(),
        rows.owlt_s.tolist(),
        strict=True,
    )
    contacts = [
        dict(zip(_KEYS, (k, a, b, t0, t1, r, d), strict=True))
        for k, (a, b, t0, t1, r, d) in enumerate(columns, start=1)
    ]
    nodes = plan.nodes
    numbers = [str(i + 1) for i in range(nodes.n_node)]
    provenance = {
        "epoch": plan.epoch.isoformat(),
        "duration_s": plan.duration_s,
        "n_sat": nodes.n_sat,
        "nodes": dict(zip(numbers, nodes.names, strict=True)),
        "groups": dict(zip(numbers, nodes.group, strict=True)),
        "jurisdictions": dict(zip(numbers, nodes.jurisdiction, strict=True)),
        "note": "node number = orbitcloud node index + 1; times in s after epoch",
    }
    return {"contacts": contacts, "orbitcloud": provenance}


def write_hdtn(plan: ContactPlan, path: str | Path) -> None:
    """Write :func:`to_hdtn` to ``path`` as indented JSON (UTF-8)."""
    Path(path).write_text(json.dumps(to_hdtn(plan), indent=2) + "\n", encoding="utf-8")


def _nodes_from_block(block: dict[str, Any]) -> NodeTable:
    """The node table stored by :func:`to_hdtn` in the ``orbitcloud`` block."""
    names_by_number = block.get("nodes")
    if not isinstance(names_by_number, dict) or "n_sat" not in block:
        raise ValueError(
            "the 'orbitcloud' block has no 'nodes' map and 'n_sat'; pass nodes=NodeTable(...)"
        )
    n_node = len(names_by_number)
    expected = [str(i + 1) for i in range(n_node)]
    if sorted(names_by_number, key=lambda s: (len(s), s)) != expected:
        raise ValueError(
            f"orbitcloud.nodes keys are {sorted(names_by_number)!r}; expected node numbers "
            f"'1'..'{n_node}' with no gaps; pass nodes=NodeTable(...) instead"
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
) -> ContactPlan:
    """Parse an HDTN contact plan (dict or JSON text) into a :class:`ContactPlan`.

    ``startTime`` / ``endTime`` are seconds after ``epoch``; ``rateBitsPerSec`` [bit/s];
    ``owlt`` [s], ``range_km = owlt * c``. ``nodes`` / ``epoch`` / ``duration_s`` default to the
    ``orbitcloud`` block written by :func:`to_hdtn` (``duration_s`` then to the last
    ``endTime``). Node number n is node index n - 1; kinds come from the node table (see
    :func:`orbitcloud.links.contactplan.kind_codes`). Bad entries raise ``ValueError`` naming
    ``contacts[i]``.
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
            if n > nodes.n_node:
                raise ValueError(
                    f"{where}: {k}={n} is not in the node table; expected 1..{nodes.n_node} "
                    "(node number = node index + 1)"
                )
        t0 = _whole(entry["startTime"], where, "startTime", 0)
        t1 = _whole(entry["endTime"], where, "endTime", 0)
        if not t0 < t1:
            raise ValueError(f"{where}: startTime={t0}, endTime={t1}; expected startTime < endTime")
        rate = _whole(entry["rateBitsPerSec"], where, "rateBitsPerSec", 0)
        owlt = _whole(entry["owlt"], where, "owlt", 0)
        rows.append((a - 1, b - 1, t0, t1, rate, owlt))

    table = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
    if duration_s is None:
        duration_s = float(block["duration_s"]) if block and "duration_s" in block else None
    if duration_s is None:
        duration_s = float(table[:, 3].max()) if len(rows) else 0.0
    return ContactPlan.from_light_times(
        epoch, duration_s, nodes, table[:, 0].astype(np.int32), table[:, 1].astype(np.int32),
        table[:, 2], table[:, 3], table[:, 4], table[:, 5],
    )  # fmt: skip
