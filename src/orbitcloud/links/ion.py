"""ION-DTN contact plans: ``a contact`` / ``a range`` commands for ``ionadmin``.

Syntax per ION's ``ionrc(5)`` man page (nasa-jpl/ION-DTN, ``ici/doc/pod5/ionrc.pod``):

* ``a contact <start> <stop> <source_node> <dest_node> <xmit_data_rate> [<confidence>]``,
  the rate in **bytes per second**;
* ``a range <start> <stop> <one_node> <other_node> <distance>``, the distance being the one-way
  light time in **whole light-seconds** (ION reads an unsigned integer);
* a time is absolute, ``yyyy/mm/dd-hh:mm:ss`` (UTC), or relative, ``+<seconds>`` after the
  reference time (set by ``@``; by default the moment ``ionadmin`` starts). Both forms go
  through ``readTimestampUTC`` (``ici/library/ion.c``: ``sscanf`` with ``"%4d/%2d/%2d-%2d:%2d:%2d"``
  for the absolute form, ``strtol`` after the ``+``), and a result past ``MAX_POSIX_TIME``
  (``2^31 - 1``, 2038-01-19T03:14:07Z, ``ici/include/platform.h``) is refused;
* the transmission rate is an unsigned 32-bit integer in ``ionadmin`` (``ici/utils/ionadmin.c``
  ``executeAdd``: ``unsigned int xmitRate = strtol(...)``): larger rates are clamped to
  ``2^32 - 1`` bytes/s on export, and the header says how many.

ION works in whole seconds, so the export rounds *conservatively*: a window shrinks to
``[ceil(start_s), floor(end_s)]`` (negative starts are clipped to 0) and is dropped if that
leaves nothing; rates are floored to whole bytes/s (dropped at 0, as ION needs a positive rate);
light times are rounded *up* to whole seconds, minimum 1. The exported plan thus never promises
more than the original. ION node number = orbitcloud node index + 1 (CBHE node numbers start
at 1) unless a node-number map gives a deployment's own numbers
(:mod:`orbitcloud.links.nodenumbers`).

Times are written ``relative`` (``+<s>``, seconds after the plan epoch, which ION counts from
the moment ``ionadmin`` loads the file) or ``absolute`` (UTC ``yyyy/mm/dd-hh:mm:ss`` of the
epoch plus those seconds, rounded conservatively on the epoch's sub-second part). ION drops a
contact once its stop time has passed (``rfx.c`` ``insertCXref`` posts an ``IonPurgeContact``
event at ``toTime``; ``ici/daemon/rfxclock.c`` runs every event whose time is not after now), so
an absolute plan that has already ended is refused and one that has partly ended is exported
with a warning.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from orbitcloud.links.contactplan import ContactPlan, NodeTable
from orbitcloud.links.nodenumbers import index_of_numbers, node_number_array

__all__ = ["ION_DEFAULT_HEAP_WORDS", "ION_DEFAULT_WM_SIZE", "ION_MAX_POSIX_TIME",
           "ION_MAX_RATE_BYTES_PER_S", "IonSizing", "IonTimeError", "IonTimes", "ion_clamped_rows",
           "ion_dropped_rows", "ion_plan_sizing", "ion_sizing", "read_ion", "to_ion",
           "whole_second_rows", "write_ion"]  # fmt: skip

IonTimes = Literal["relative", "absolute"]

#: Largest ``a contact`` rate ION holds [bytes/s]: ``ionadmin`` reads the transmission rate into
#: an ``unsigned int`` (``ici/utils/ionadmin.c`` ``executeAdd``), so 12.5e9 bytes/s (a
#: 100 Gbit/s laser ISL) would wrap to 3.9e9. Larger rates are clamped to this (the export never
#: promises more than the plan).
ION_MAX_RATE_BYTES_PER_S = 2**32 - 1

#: Latest time ION accepts [s since 1970-01-01 UTC]: ``MAX_POSIX_TIME`` in
#: ``ici/include/platform.h``; ``readTimestamp`` (``ici/library/ion.c``) refuses later times.
ION_MAX_POSIX_TIME = 2**31 - 1

#: ``ionadmin``'s defaults when the ionconfig file does not set them (``ici/library/ion.c``
#: ``readIonParms``: ``parms->heapWords = 250000``, ``parms->wmSize = 5000000``; also
#: ``ici/doc/pod5/ionconfig.pod``). heapWords counts words of 8 bytes on a 64-bit build.
ION_DEFAULT_HEAP_WORDS = 250_000
ION_DEFAULT_WM_SIZE = 5_000_000

# -- memory per contact and per range, 64-bit ION (SPACE_ORDER 3, WORD_SIZE 8: platform.h) --
# Both allocators (ici/sdr/sdrmgt.c for the SDR heap, ici/library/psm.c Psm_zalloc for working
# memory) serve blocks up to SMALL_SIZES (64) words from a small pool: the size is rounded up to
# whole words and one word of overhead is added (SMALL_BLOCK_OHD = WORD_SIZE).
_WORD_B = 8
# SDR heap (non-volatile), per rfx.c: insertContact does sdr_malloc(sizeof(IonContact)) and
# sdr_list_insert_last (one SdrListElt, ici/sdr/sdrlist.c: 4 Objects = 32 B); rfx_insert_range
# does sdr_malloc(sizeof(IonRange)) and one list element. ici/include/ion.h: IonContact = 2
# time_t + 2 uvast + size_t + float + enum + double[3] = 72 B; IonRange = 2 time_t + 2 uvast +
# unsigned int = 36 -> 40 B.
_SIZEOF_ION_CONTACT_B = 72
_SIZEOF_ION_RANGE_B = 40
_SIZEOF_SDR_LIST_ELT_B = 32
# Working memory (volatile, wmSize), per rfx.c: insertCXref does psm_zalloc(sizeof(IonCXref)),
# one contactIndex red-black tree node (ici/library/smrbt.c SmRbtNode: 5 addresses + int = 44
# -> 48 B) and up to 3 timeline IonEvents (startXmit/stopXmit when the local node sends, plus
# purgeTime when it does not receive; startFire/stopFire when it receives), each with a timeline
# tree node; insertRXref does one IonRXref + tree node + 2 events (start/stop asserted range)
# and, for a canonical range (from < to) whose reverse is not asserted, the same again for the
# imputed reverse range. ion.h: IonCXref = 136 B, IonRXref = 48 B, IonEvent = 24 B.
_SIZEOF_ION_CXREF_B = 136
_SIZEOF_ION_RXREF_B = 48
_SIZEOF_ION_EVENT_B = 24
_SIZEOF_SM_RBT_NODE_B = 48
_EVENTS_PER_CONTACT = 3  # the worst case (the local node sends)
#: The plan may take this share of the heap: half of ION_OPS_ALLOC (40 %, ici/include/ion.h), the
#: part of the SDR heap that ION sets aside for its own operational state (ZCO bundle payload
#: space gets 100 - ION_SEQUESTERED = 40 %, ION_SDR_MARGIN another 20 %), leaving the other half
#: of it for bundles' and the engines' state.
_PLAN_SHARE_OF_HEAP = 0.20
#: ... and this share of working memory (CGR's route lists, kept there too, are not counted).
_PLAN_SHARE_OF_WM = 0.50

I64 = NDArray[np.int64]

_UINT = re.compile(r"[0-9]+")
_REL_TIME = re.compile(r"\+([0-9]+)")
_ABS_TIME = re.compile(r"[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}-[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}")
_ABS_FORMAT = "%Y/%m/%d-%H:%M:%S"
_TIME_EXPECTED = "expected '+<whole seconds>' or 'yyyy/mm/dd-hh:mm:ss' (UTC)"


class IonTimeError(ValueError):
    """An absolute-time export ION would not take (all contacts past, or after 2038-01-19)."""


def _blocks_b(nbytes: int) -> int:
    """Bytes a small-pool block of ``nbytes`` takes (whole words + one word of overhead)."""
    return (math.ceil(nbytes / _WORD_B) + 1) * _WORD_B


@dataclass(frozen=True)
class IonSizing:
    """What a contact plan needs of an ION node's memory (64-bit build) and what to configure.

    Attributes:
        n_contacts, n_ranges: ``a contact`` / ``a range`` commands in the plan.
        heap_words: SDR heap the plan's records take [8-byte words].
        wm_bytes: working memory its indexes and timeline events take, worst case [bytes].
        heap_words_recommended: ionconfig ``heapWords`` (the plan at most 20 % of the heap, and
            at least ION's default).
        wm_size_recommended: ionconfig ``wmSize`` [bytes] (the plan at most half, at least
            ION's default).
    """

    n_contacts: int
    n_ranges: int
    heap_words: int
    wm_bytes: int
    heap_words_recommended: int
    wm_size_recommended: int

    @property
    def exceeds_defaults(self) -> bool:
        """Whether a stock ionconfig (250000 heap words, 5000000 B wmSize) is too small."""
        return (
            self.heap_words_recommended > ION_DEFAULT_HEAP_WORDS
            or self.wm_size_recommended > ION_DEFAULT_WM_SIZE
        )


def ion_sizing(n_contacts: int, n_ranges: int) -> IonSizing:
    """ION memory for ``n_contacts`` contacts and ``n_ranges`` ranges (see the module constants).

    Per contact: SDR ``IonContact`` + list element = 10 + 5 = 15 words; working memory
    ``IonCXref`` + tree node + 3 events with tree nodes = 144 + 56 + 3 * (32 + 56) = 464 B.
    Per range: ``IonRange`` + list element = 6 + 5 = 11 words; two ``IonRXref`` (asserted and
    imputed) with tree nodes and 2 events each = 2 * (56 + 56 + 2 * 88) = 576 B. Source: ION
    ``ici/library/rfx.c`` (insertContact, insertCXref, rfx_insert_range, insertRXref),
    ``ici/include/ion.h``, ``ici/sdr/sdrmgt.c``, ``ici/library/psm.c``.
    """
    elt = _blocks_b(_SIZEOF_SDR_LIST_ELT_B)
    contact_heap_b = _blocks_b(_SIZEOF_ION_CONTACT_B) + elt
    range_heap_b = _blocks_b(_SIZEOF_ION_RANGE_B) + elt
    event_b = _blocks_b(_SIZEOF_ION_EVENT_B) + _blocks_b(_SIZEOF_SM_RBT_NODE_B)
    contact_wm_b = (
        _blocks_b(_SIZEOF_ION_CXREF_B)
        + _blocks_b(_SIZEOF_SM_RBT_NODE_B)
        + _EVENTS_PER_CONTACT * event_b
    )
    rxref_b = _blocks_b(_SIZEOF_ION_RXREF_B) + _blocks_b(_SIZEOF_SM_RBT_NODE_B)
    range_wm_b = 2 * (rxref_b + 2 * event_b)
    heap_words = (n_contacts * contact_heap_b + n_ranges * range_heap_b) // _WORD_B
    wm_bytes = n_contacts * contact_wm_b + n_ranges * range_wm_b
    return IonSizing(
        n_contacts=n_contacts,
        n_ranges=n_ranges,
        heap_words=heap_words,
        wm_bytes=wm_bytes,
        heap_words_recommended=max(
            ION_DEFAULT_HEAP_WORDS, math.ceil(heap_words / _PLAN_SHARE_OF_HEAP)
        ),
        wm_size_recommended=max(ION_DEFAULT_WM_SIZE, math.ceil(wm_bytes / _PLAN_SHARE_OF_WM)),
    )


@dataclass(frozen=True)
class WholeSecondRows:
    """The rows of a plan that survive conservative whole-second rounding.

    Attributes:
        row: intp[n], indices of the kept rows in the plan.
        start_s: int64[n], ``ceil(max(start_s, 0) + offset_s)`` [s since epoch - offset_s].
        stop_s: int64[n], ``floor(end_s + offset_s)``; always ``> start_s``.
        owlt_s: int64[n], ``ceil(owlt_s)``, minimum 1 [s].
        rate_bps: int64[n], the rate floored to a multiple of ``rate_quantum_bps`` [bit/s], > 0.
    """

    row: NDArray[np.intp]
    start_s: I64
    stop_s: I64
    owlt_s: I64
    rate_bps: I64


def whole_second_rows(
    plan: ContactPlan, rate_quantum_bps: int = 1, offset_s: float = 0.0
) -> WholeSecondRows:
    """Round a plan to whole seconds and whole rate quanta (8 bit/s = 1 byte/s for ION).

    Windows shrink (start ceil, stop floor), light times grow (ceil, min 1 s), rates are
    floored; rows left empty (stop <= start) or at rate 0 are dropped. Times are rounded after
    adding ``offset_s`` (the epoch's sub-second part, for absolute clocks whose whole seconds
    fall off the epoch's), so the result counts from ``epoch - offset_s``.
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
    start = np.ceil(np.maximum(plan.start_s, 0.0) + offset_s).astype(np.int64)
    stop = np.floor(plan.end_s + offset_s).astype(np.int64)
    quanta = np.floor(plan.rate_bps / rate_quantum_bps).astype(np.int64)
    keep = np.flatnonzero((stop > start) & (quanta > 0))
    owlt = np.maximum(np.ceil(plan.owlt_s[keep]), 1.0).astype(np.int64)
    return WholeSecondRows(keep, start[keep], stop[keep], owlt, quanta[keep] * rate_quantum_bps)


def _whole_epoch(epoch: dt.datetime) -> tuple[dt.datetime, float]:
    """The epoch's UTC whole second (naive) and its sub-second part [s]."""
    utc = epoch.astimezone(dt.UTC).replace(tzinfo=None)
    return utc.replace(microsecond=0), utc.microsecond / 1e6


def _absolute(base: dt.datetime, seconds: I64) -> list[str]:
    """``yyyy/mm/dd-hh:mm:ss`` of ``base + seconds`` (vectorised with datetime64)."""
    stamps = np.datetime64(base, "s") + seconds.astype("timedelta64[s]")
    table = str.maketrans("-T", "/-")
    return [s.translate(table) for s in np.datetime_as_string(stamps, unit="s").tolist()]


def _header(plan: ContactPlan, numbers: I64, mapped: set[str]) -> list[str]:
    """Provenance lines (without comment markers): epoch, units and rounding, node map."""
    lines = [
        "orbitcloud contact plan for ION (ionadmin, ionrc(5) syntax)",
        f"epoch: {plan.epoch.isoformat()}",
        f"duration_s: {plan.duration_s!r}",
        "a contact rate: bytes/s (floored); a range distance: one-way light time in whole",
        "light-seconds (rounded up, minimum 1)",
    ]
    if mapped:
        lines.append(
            f"node numbers: {len(mapped)} from a node-number map (marked *: "
            f"{', '.join(f'{n}={int(numbers[plan.nodes.names.index(n)])}' for n in sorted(mapped))}"
            "), the others orbitcloud node index + 1:"
        )
    else:
        lines.append("node number = orbitcloud node index + 1:")
    nodes = plan.nodes
    for i, name in enumerate(nodes.names):
        role = (
            f"satellite, {nodes.group[i]}"
            if i < nodes.n_sat
            else f"ground station, {nodes.jurisdiction[i] or 'no jurisdiction'}"
        )
        mark = "*" if name in mapped else " "
        lines.append(f"  {int(numbers[i]):>4d}{mark}{name}  ({role})")
    return lines


def _export_rows(plan: ContactPlan, times: IonTimes) -> WholeSecondRows:
    """The rows :func:`to_ion` writes in this time mode (absolute: rounded on UTC seconds)."""
    if times not in ("relative", "absolute"):
        raise ValueError(f"times={times!r}; expected 'relative' or 'absolute'")
    _, frac = _whole_epoch(plan.epoch)
    return whole_second_rows(plan, rate_quantum_bps=8, offset_s=frac if times == "absolute" else 0)


def ion_clamped_rows(plan: ContactPlan, times: IonTimes = "relative") -> int:
    """How many of the plan's exported contacts exceed :data:`ION_MAX_RATE_BYTES_PER_S`."""
    rows = _export_rows(plan, times)
    return int(np.count_nonzero(rows.rate_bps // 8 > ION_MAX_RATE_BYTES_PER_S))


def _now_s(plan: ContactPlan, now: dt.datetime | None) -> float:
    """``now`` [s after the epoch's whole second]; the UTC clock when None."""
    if now is None:
        now = dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError(f"now={now.isoformat()} is naive; expected an aware UTC datetime")
    base, _ = _whole_epoch(plan.epoch)
    return (now - base.replace(tzinfo=dt.UTC)).total_seconds()


def ion_dropped_rows(plan: ContactPlan, now: dt.datetime | None = None) -> int:
    """How many exported contacts stop at or before ``now`` (ION drops them on loading an
    absolute-time plan); ``now`` defaults to the UTC clock."""
    rows = _export_rows(plan, "absolute")
    return int(np.count_nonzero(rows.stop_s <= _now_s(plan, now)))


def ion_plan_sizing(plan: ContactPlan, times: IonTimes = "relative") -> IonSizing:
    """:func:`ion_sizing` of the plan's export: one ``a contact`` and one ``a range`` per row."""
    n = len(_export_rows(plan, times).row)
    return ion_sizing(n, n)


def to_ion(
    plan: ContactPlan,
    times: IonTimes = "relative",
    now: dt.datetime | None = None,
    node_numbers: Mapping[str, int] | None = None,
) -> str:
    """The plan as ``ionadmin`` commands: a ``#`` header, then ``a contact`` + ``a range`` per row.

    Rates in bytes/s (floored), light times in whole light-seconds (ceil, min 1), windows
    shrunk to whole seconds. ``times="relative"``: ``+<s>`` after the plan epoch, counted by
    ION from when ``ionadmin`` loads the file; ``"absolute"``: UTC ``yyyy/mm/dd-hh:mm:ss``.
    With absolute times, raises :class:`IonTimeError` when the last contact stops at or before
    ``now`` (default: the UTC clock) or a time is after ION's 2038-01-19T03:14:07Z; contacts
    already over are counted in the header (:func:`ion_dropped_rows`). ``node_numbers`` maps
    node names to a deployment's node numbers (others: index + 1; see
    :func:`orbitcloud.links.nodenumbers.node_number_array`). The header also gives the
    ionconfig sizing (:func:`ion_sizing`). Source: ION ``ionrc(5)``, ``ici/library/ion.c``.
    """
    rows = _export_rows(plan, times)
    numbers = node_number_array(plan.nodes, node_numbers)
    mapped = set(node_numbers or ())
    base, _ = _whole_epoch(plan.epoch)
    header = [f"# {line}" for line in _header(plan, numbers, mapped)]
    if times == "relative":
        header.append(
            "# times: relative, +<s> = whole seconds after the epoch (start rounded up, stop "
            "down); +<s> times count from the moment ionadmin loads this file (its reference "
            "time), so load it at the epoch; an '@ <time>' line would move that reference, and "
            "contacts that end before now are dropped"
        )
        start_tok = [f"+{t}" for t in rows.start_s.tolist()]
        stop_tok = [f"+{t}" for t in rows.stop_s.tolist()]
    else:
        base_unix = int((base.replace(tzinfo=dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
                        .total_seconds())  # fmt: skip
        if len(rows.row):
            last = int(rows.stop_s.max())
            if base_unix + last > ION_MAX_POSIX_TIME:
                raise IonTimeError(
                    f"absolute ION times: the plan runs to {_absolute(base, np.array([last]))[0]}"
                    " UTC, after 2038/01/19-03:14:07, the latest time ION accepts "
                    "(MAX_POSIX_TIME); use --ion-times relative"
                )
            now_s = _now_s(plan, now)
            if last <= now_s:
                stamp = (base + dt.timedelta(seconds=now_s)).strftime(_ABS_FORMAT)
                raise IonTimeError(
                    f"absolute ION times: the plan's last contact ends at "
                    f"{_absolute(base, np.array([last]))[0]} UTC, not after now ({stamp} UTC); "
                    "ION drops contacts that have ended, so nothing would load (use --ion-times "
                    "relative, or a scenario epoch in the future)"
                )
            dropped = int(np.count_nonzero(rows.stop_s <= now_s))
        else:
            dropped = 0
        header.append(
            "# times: absolute, yyyy/mm/dd-hh:mm:ss UTC = the epoch plus whole seconds (start "
            "rounded up, stop down), independent of when ionadmin loads this file"
        )
        if dropped:
            header.append(
                f"# {dropped} contact(s) ended before this file was written; ION drops "
                "contacts whose stop time has passed"
            )
        start_tok = _absolute(base, rows.start_s)
        stop_tok = _absolute(base, rows.stop_s)
    src = numbers[plan.src[rows.row]]
    dst = numbers[plan.dst[rows.row]]
    rate_Bps = np.minimum(rows.rate_bps // 8, ION_MAX_RATE_BYTES_PER_S)
    clamped = int(np.count_nonzero(rows.rate_bps // 8 > ION_MAX_RATE_BYTES_PER_S))
    if clamped:
        header.append(
            f"# {clamped} contact rate(s) clamped to {ION_MAX_RATE_BYTES_PER_S} bytes/s "
            "(ION reads rates as unsigned 32-bit integers)"
        )
    size = ion_sizing(len(rows.row), len(rows.row))
    header += [
        f"# ionconfig sizing (64-bit ION): {size.n_contacts} contacts and {size.n_ranges} ranges "
        f"take {size.heap_words} SDR heap words and up to {size.wm_bytes} bytes of working "
        "memory;",
        f"#   recommended: heapWords {size.heap_words_recommended}, wmSize "
        f"{size.wm_size_recommended} (ION's defaults: heapWords {ION_DEFAULT_HEAP_WORDS}, "
        f"wmSize {ION_DEFAULT_WM_SIZE}; the plan at most 20 % of the heap and half the working "
        "memory)",
    ]
    body = [
        f"a contact {t0} {t1} {a} {b} {r}\na range {t0} {t1} {a} {b} {d}"
        for t0, t1, a, b, r, d in zip(
            start_tok,
            stop_tok,
            src.tolist(),
            dst.tolist(),
            rate_Bps.tolist(),
            rows.owlt_s.tolist(),
            strict=True,
        )
    ]
    return "\n".join([*header, *body]) + "\n"


def write_ion(
    plan: ContactPlan,
    path: str | Path,
    times: IonTimes = "relative",
    now: dt.datetime | None = None,
    node_numbers: Mapping[str, int] | None = None,
) -> None:
    """Write :func:`to_ion` to ``path`` (UTF-8), e.g. ``contacts.ionrc``."""
    text = to_ion(plan, times=times, now=now, node_numbers=node_numbers)
    Path(path).write_text(text, encoding="utf-8")


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


def _parse_node(tok: str, index: Mapping[int, int], where: str) -> int:
    """Node index (0-based) of an ION node number (``index``: number -> node index)."""
    if not _UINT.fullmatch(tok):
        raise ValueError(f"{where}: got {tok!r}; expected an ION node number (integer >= 1)")
    number = int(tok)
    if number not in index:
        n_node = len(index)
        known = (
            f"expected 1..{n_node} (node number = node index + 1)"
            if all(index.get(i + 1) == i for i in range(n_node))
            else "expected a number of the node-number map or a default index + 1"
        )
        raise ValueError(f"{where}: node number {number} is not in the node table; {known}")
    return index[number]


def _parse_uint(tok: str, where: str, what: str) -> int:
    if not _UINT.fullmatch(tok):
        raise ValueError(f"{where}: got {tok!r}; expected {what} as an unsigned integer")
    return int(tok)


def read_ion(
    text: str,
    nodes: NodeTable,
    epoch: dt.datetime,
    duration_s: float,
    node_numbers: Mapping[str, int] | None = None,
) -> ContactPlan:
    """Parse ``a contact`` / ``a range`` commands (ION ``ionrc(5)``) into a :class:`ContactPlan`.

    Relative times ``+<s>`` are seconds after ``epoch`` (aware UTC), or after the reference time
    an ``@`` line sets (``@ <absolute>``, ``@ +<s>``; ``@ 0`` means the epoch); absolute times
    ``yyyy/mm/dd-hh:mm:ss`` are UTC. Node number n is node index n - 1, or as ``node_numbers``
    maps it (the map given to :func:`to_ion`). Rates are bytes/s
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
    numbers = node_number_array(nodes, node_numbers)
    index = index_of_numbers(numbers)
    number = numbers.tolist()  # ION orders range pairs by node number, not by node index
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
            a = _parse_node(tokens[4], index, f"{where}, source_node")
            b = _parse_node(tokens[5], index, f"{where}, dest_node")
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
            a = _parse_node(tokens[4], index, f"{where}, one_node")
            b = _parse_node(tokens[5], index, f"{where}, other_node")
            owlt = float(_parse_uint(tokens[6], f"{where}, distance", "light-seconds"))
            if not t0 < t1:
                raise ValueError(
                    f"{where}: range starts at {t0:g} s and stops at {t1:g} s after the "
                    "epoch; expected start < stop"
                )
            exact[(t0, t1, a, b)] = owlt
            ranges.setdefault((a, b), []).append(_Range(t0, t1, owlt))
            if number[a] < number[b]:
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
            if not cover and number[b] < number[a]:
                cover = [
                    r.owlt_s for r in ranges.get((b, a), []) if r.start_s <= t0 and t1 <= r.stop_s
                ]
            if not cover:
                raise ValueError(
                    f"line {line_no}: contact {number[a]} -> {number[b]} from {t0:g} s to {t1:g} s "
                    f"has no range; expected an 'a range' line for nodes {number[a]} "
                    f"{number[b]} (or {min(number[a], number[b])} {max(number[a], number[b])})"
                    " with the same start/stop or covering it"
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
