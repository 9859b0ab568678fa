"""ION-DTN contact plans: ``a contact`` / ``a range`` commands for ``ionadmin``.

Syntax per ION's ``ionrc(5)`` man page (nasa-jpl/ION-DTN, ``ici/doc/pod5/ionrc.pod``):

* ``a contact <start> <stop> <source_node> <dest_node> <xmit_data_rate> [<confidence>]``,
  the rate in **bytes per second**;
* ``a range <start> <stop> <one_node> <other_node> <distance>``, the distance being the one-way
  light time in **whole light-seconds** (ION reads an unsigned integer);
* a time is absolute, ``yyyy/mm/dd-hh:mm:ss`` (UTC), or relative, ``+<seconds>`` after the
  reference time (set by ``@``; by default the moment ``ionadmin`` starts);
* the transmission rate is an unsigned 32-bit integer in ION (``rfx.h``): larger rates are
  clamped to ``2^32 - 1`` bytes/s on export, and the header says how many.

ION works in whole seconds, so the export rounds *conservatively*: a window shrinks to
``[ceil(start_s), floor(end_s)]`` (negative starts are clipped to 0) and is dropped if that
leaves nothing; rates are floored to whole bytes/s (dropped at 0, as ION needs a positive rate);
light times are rounded *up* to whole seconds, minimum 1. The exported plan thus never promises
more than the original. ION node number = orbitcloud node index + 1 (CBHE node numbers start
at 1). Relative times are seconds after the plan's epoch, which the header names.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from orbitcloud.links.contactplan import ContactPlan, NodeTable

__all__ = ["ION_MAX_RATE_BYTES_PER_S", "ion_clamped_rows", "read_ion", "to_ion",
           "whole_second_rows", "write_ion"]  # fmt: skip

#: Largest ``a contact`` rate ION holds [bytes/s]: it reads the transmission rate as an
#: unsigned 32-bit integer (``ici/include/rfx.h``: ``unsigned int xmitRate``), so 12.5e9
#: bytes/s (a 100 Gbit/s laser ISL) would wrap to 3.9e9. Larger rates are clamped to this (the
#: export never promises more than the plan).
ION_MAX_RATE_BYTES_PER_S = 2**32 - 1

I64 = NDArray[np.int64]

_UINT = re.compile(r"[0-9]+")
_REL_TIME = re.compile(r"\+([0-9]+)")
_ABS_TIME = re.compile(r"[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}-[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}")
_ABS_FORMAT = "%Y/%m/%d-%H:%M:%S"
_TIME_EXPECTED = "expected '+<whole seconds>' or 'yyyy/mm/dd-hh:mm:ss' (UTC)"


@dataclass(frozen=True)
class WholeSecondRows:
    """The rows of a plan that survive conservative whole-second rounding.

    Attributes:
        row: intp[n], indices of the kept rows in the plan.
        start_s: int64[n], ``ceil(start_s)`` clipped at 0 [s since epoch].
        stop_s: int64[n], ``floor(end_s)`` [s since epoch]; always ``> start_s``.
        owlt_s: int64[n], ``ceil(owlt_s)``, minimum 1 [s].
        rate_bps: int64[n], the rate floored to a multiple of ``rate_quantum_bps`` [bit/s], > 0.
    """

    row: NDArray[np.intp]
    start_s: I64
    stop_s: I64
    owlt_s: I64
    rate_bps: I64


def whole_second_rows(plan: ContactPlan, rate_quantum_bps: int = 1) -> WholeSecondRows:
    """Round a plan to whole seconds and whole rate quanta (8 bit/s = 1 byte/s for ION).

    Windows shrink (start ceil, stop floor), light times grow (ceil, min 1 s), rates are
    floored; rows left empty (stop <= start) or at rate 0 are dropped.
    """
    for name in ("start_s", "end_s", "rate_bps", "owlt_s"):
        values = getattr(plan, name)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"contact plan row {i}: {name}={values[i]!r}; expected a finite number "
                f"({bad.size} row(s) affected)"
            )
    start = np.maximum(np.ceil(plan.start_s), 0.0).astype(np.int64)
    stop = np.floor(plan.end_s).astype(np.int64)
    quanta = np.floor(plan.rate_bps / rate_quantum_bps).astype(np.int64)
    keep = np.flatnonzero((stop > start) & (quanta > 0))
    owlt = np.maximum(np.ceil(plan.owlt_s[keep]), 1.0).astype(np.int64)
    return WholeSecondRows(keep, start[keep], stop[keep], owlt, quanta[keep] * rate_quantum_bps)


def _header(plan: ContactPlan) -> list[str]:
    """Provenance lines (without comment markers): epoch, units and rounding, node map."""
    lines = [
        "orbitcloud contact plan for ION (ionadmin, ionrc(5) syntax)",
        f"epoch: {plan.epoch.isoformat()}",
        f"duration_s: {plan.duration_s!r}",
        "times: +<s> = whole seconds after the epoch (start rounded up, stop down)",
        "a contact rate: bytes/s (floored); a range distance: one-way light time in whole",
        "light-seconds (rounded up, minimum 1)",
        "node number = orbitcloud node index + 1:",
    ]
    nodes = plan.nodes
    for i, name in enumerate(nodes.names):
        role = (
            f"satellite, {nodes.group[i]}"
            if i < nodes.n_sat
            else f"ground station, {nodes.jurisdiction[i] or 'no jurisdiction'}"
        )
        lines.append(f"  {i + 1:>4d} {name}  ({role})")
    return lines


def ion_clamped_rows(plan: ContactPlan) -> int:
    """How many of the plan's exported contacts exceed :data:`ION_MAX_RATE_BYTES_PER_S`."""
    rows = whole_second_rows(plan, rate_quantum_bps=8)
    return int(np.count_nonzero(rows.rate_bps // 8 > ION_MAX_RATE_BYTES_PER_S))


def to_ion(plan: ContactPlan) -> str:
    """The plan as ``ionadmin`` commands: a ``#`` header, then ``a contact`` + ``a range`` per row.

    Rates in bytes/s (floored), light times in whole light-seconds (ceil, min 1), windows
    shrunk to whole seconds; relative times ``+<s>`` count from the plan epoch (see the module
    docstring). Source: ION ``ionrc(5)``.
    """
    rows = whole_second_rows(plan, rate_quantum_bps=8)
    header = [f"# {line}" for line in _header(plan)]
    header.append(
        "# +<s> times count from the moment ionadmin loads this file (its reference time); an "
        "'@ <time>' line would move that reference, and contacts that end before now are dropped"
    )
    src = plan.src[rows.row] + 1
    dst = plan.dst[rows.row] + 1
    rate_Bps = np.minimum(rows.rate_bps // 8, ION_MAX_RATE_BYTES_PER_S)
    clamped = ion_clamped_rows(plan)
    if clamped:
        header.append(
            f"# {clamped} contact rate(s) clamped to {ION_MAX_RATE_BYTES_PER_S} bytes/s "
            "(ION reads rates as unsigned 32-bit integers)"
        )
    body = [
        f"a contact +{t0} +{t1} {a} {b} {r}\na range +{t0} +{t1} {a} {b} {d}"
        for t0, t1, a, b, r, d in zip(
            rows.start_s.tolist(),
            rows.stop_s.tolist(),
            src.tolist(),
            dst.tolist(),
            rate_Bps.tolist(),
            rows.owlt_s.tolist(),
            strict=True,
        )
    ]
    return "\n".join([*header, *body]) + "\n"


def write_ion(plan: ContactPlan, path: str | Path) -> None:
    """Write :func:`to_ion` to ``path`` (UTF-8), e.g. ``contacts.ionrc``."""
    Path(path).write_text(to_ion(plan), encoding="utf-8")


@dataclass(frozen=True)
class _Range:
    start_s: float
    stop_s: float
    owlt_s: float


def _parse_time(tok: str, ref_s: float, epoch: dt.datetime, where: str) -> float:
    """Seconds since ``epoch`` of an ION time token (``+<s>`` relative to ``ref_s``)."""
    if m := _REL_TIME.fullmatch(tok):
        return ref_s + int(m.group(1))
    if _ABS_TIME.fullmatch(tok):
        try:
            t = dt.datetime.strptime(tok, _ABS_FORMAT).replace(tzinfo=dt.UTC)
        except ValueError as exc:
            raise ValueError(f"{where}: {tok!r} is not a valid date/time ({exc})") from None
        return (t - epoch).total_seconds()
    raise ValueError(f"{where}: got {tok!r}; {_TIME_EXPECTED}")


def _parse_node(tok: str, n_node: int, where: str) -> int:
    """Node index (0-based) of an ION node number (1-based)."""
    if not _UINT.fullmatch(tok):
        raise ValueError(f"{where}: got {tok!r}; expected an ION node number (integer >= 1)")
    number = int(tok)
    if not 1 <= number <= n_node:
        raise ValueError(
            f"{where}: node number {number} is not in the node table; expected 1..{n_node} "
            "(node number = node index + 1)"
        )
    return number - 1


def _parse_uint(tok: str, where: str, what: str) -> int:
    if not _UINT.fullmatch(tok):
        raise ValueError(f"{where}: got {tok!r}; expected {what} as an unsigned integer")
    return int(tok)


def read_ion(text: str, nodes: NodeTable, epoch: dt.datetime, duration_s: float) -> ContactPlan:
    """Parse ``a contact`` / ``a range`` commands (ION ``ionrc(5)``) into a :class:`ContactPlan`.

    Relative times ``+<s>`` are seconds after ``epoch`` (aware UTC), or after the reference time
    an ``@`` line sets (``@ <absolute>``, ``@ +<s>``; ``@ 0`` means the epoch); absolute times
    ``yyyy/mm/dd-hh:mm:ss`` are UTC. Node number n is node index n - 1. Rates are bytes/s
    (returned as bit/s), ranges whole light-seconds (``range_km = owlt_s * c``).

    A contact takes the range with its own (start, stop, from, to); failing that, as in ION, a
    range given for (to, from) with to < from, unless one is given explicitly; failing both, the
    largest light time among ranges whose period covers the contact's window. Registration
    (start ``-1``) and hypothetical (stop ``0``) contacts, comments, blank lines and all other
    commands (``1``, ``s``, ``m ...``, ``c``/``d`` edits, ...) are ignored. The kind comes from
    the node table (:func:`orbitcloud.links.contactplan.kind_codes`). Malformed lines raise
    ``ValueError("line N: ...")``.
    """
    if epoch.tzinfo is None:
        raise ValueError(f"epoch {epoch.isoformat()} is naive; expected an aware UTC datetime")
    n_node = nodes.n_node
    ref_s = 0.0
    contacts: list[tuple[int, float, float, int, int, int]] = []
    ranges: dict[tuple[int, int], list[_Range]] = {}
    exact: dict[tuple[float, float, int, int], float] = {}
    implied: dict[tuple[float, float, int, int], float] = {}

    for line_no, raw in enumerate(text.splitlines(), start=1):
        tokens = raw.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        where = f"line {line_no}"
        if tokens[0] == "@":
            if len(tokens) != 2:
                raise ValueError(f"{where}: expected '@ <time>', got {raw.strip()!r}")
            ref_s = 0.0 if tokens[1] == "0" else _parse_time(tokens[1], ref_s, epoch, where)
            continue
        if tokens[0] != "a":
            continue
        obj = tokens[1] if len(tokens) > 1 else ""
        if obj == "contact":
            if len(tokens) not in (7, 8):
                raise ValueError(
                    f"{where}: expected 'a contact <start> <stop> <source_node> <dest_node> "
                    f"<xmit_data_rate> [<confidence>]', got {len(tokens) - 2} field(s): "
                    f"{raw.strip()!r}"
                )
            if tokens[2] == "-1" or tokens[3] == "0":
                continue  # registration / hypothetical contact: no scheduled window
            t0 = _parse_time(tokens[2], ref_s, epoch, f"{where}, start_time")
            t1 = _parse_time(tokens[3], ref_s, epoch, f"{where}, stop_time")
            a = _parse_node(tokens[4], n_node, f"{where}, source_node")
            b = _parse_node(tokens[5], n_node, f"{where}, dest_node")
            rate_Bps = _parse_uint(tokens[6], f"{where}, xmit_data_rate", "bytes/s")
            if len(tokens) == 8:
                try:
                    confidence = float(tokens[7])
                except ValueError:
                    confidence = float("nan")
                if not 0.0 < confidence <= 1.0:
                    raise ValueError(
                        f"{where}, confidence: got {tokens[7]!r}; expected a number in (0, 1]"
                    )
            if not t0 < t1:
                raise ValueError(
                    f"{where}: contact starts at {t0:g} s and stops at {t1:g} s after the "
                    "epoch; expected start < stop"
                )
            if rate_Bps == 0:
                raise ValueError(
                    f"{where}, xmit_data_rate: got 0; expected > 0 bytes/s for a scheduled contact"
                )
            contacts.append((line_no, t0, t1, a, b, rate_Bps))
        elif obj == "range":
            if len(tokens) != 7:
                raise ValueError(
                    f"{where}: expected 'a range <start> <stop> <one_node> <other_node> "
                    f"<distance>', got {len(tokens) - 2} field(s): {raw.strip()!r}"
                )
            t0 = _parse_time(tokens[2], ref_s, epoch, f"{where}, start_time")
            t1 = _parse_time(tokens[3], ref_s, epoch, f"{where}, stop_time")
            a = _parse_node(tokens[4], n_node, f"{where}, one_node")
            b = _parse_node(tokens[5], n_node, f"{where}, other_node")
            owlt = float(_parse_uint(tokens[6], f"{where}, distance", "light-seconds"))
            if not t0 < t1:
                raise ValueError(
                    f"{where}: range starts at {t0:g} s and stops at {t1:g} s after the "
                    "epoch; expected start < stop"
                )
            exact[(t0, t1, a, b)] = owlt
            ranges.setdefault((a, b), []).append(_Range(t0, t1, owlt))
            if a < b:
                implied[(t0, t1, b, a)] = owlt
        else:
            raise ValueError(
                f"{where}: unknown object {obj!r} after 'a'; expected 'a contact' or 'a range'"
            )

    owlt_s = np.empty(len(contacts), dtype=np.float64)
    for k, (line_no, t0, t1, a, b, _) in enumerate(contacts):
        key = (t0, t1, a, b)
        if key in exact:
            owlt_s[k] = exact[key]
        elif key in implied:
            owlt_s[k] = implied[key]
        else:
            cover = [r.owlt_s for r in ranges.get((a, b), []) if r.start_s <= t0 and t1 <= r.stop_s]
            if not cover and b < a:
                cover = [
                    r.owlt_s for r in ranges.get((b, a), []) if r.start_s <= t0 and t1 <= r.stop_s
                ]
            if not cover:
                raise ValueError(
                    f"line {line_no}: contact {a + 1} -> {b + 1} from {t0:g} s to {t1:g} s has "
                    f"no range; expected an 'a range' line for nodes {a + 1} {b + 1} (or "
                    f"{min(a, b) + 1} {max(a, b) + 1}) with the same start/stop or covering it"
                )
            owlt_s[k] = max(cover)

    return ContactPlan.from_light_times(
        epoch,
        duration_s,
        nodes,
        np.asarray([c[3] for c in contacts], dtype=np.int32),
        np.asarray([c[4] for c in contacts], dtype=np.int32),
        np.asarray([c[1] for c in contacts], dtype=np.float64),
        np.asarray([c[2] for c in contacts], dtype=np.float64),
        8.0 * np.asarray([c[5] for c in contacts], dtype=np.float64),
        owlt_s,
    )
