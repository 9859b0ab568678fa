"""The one fault-event type, its kinds and its CSV format.

======================  =================================================================
kind                    target and effect
======================  =================================================================
``satellite_loss``      a satellite, lost for good at ``t_s``: its contacts end, its power
                        and compute stop, its shards are gone
``cluster_loss``        several satellites at once (``a,b,c`` or ``plane:<const>:<p>``, e.g.
                        a solar storm taking a plane): a ``satellite_loss`` of each
``isl_failure``         a satellite's laser terminals: its ISL contacts are cut over
                        ``[t_s, t_s + duration_s]`` (no duration: to the end of the run)
``station_outage``      a ground station (weather, maintenance): its contacts are cut over
                        ``[t_s, t_s + duration_s]``
``bit_flip``            ``bits`` single-event upsets in stored shard payloads, on ``target``
                        (a node) or anywhere (empty target); seeded from the scenario
======================  =================================================================

CSV: a header ``t_s,kind,target[,duration_s][,bits]`` (``t_s`` and ``kind`` required, any
column order), then one event a line; empty cells take the defaults (no target, no duration,
one bit). The scenario loader reads the same format for ``faults_file:`` (with file:line
errors through the scenario's validation); :func:`read_fault_csv` reads it directly.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orbitcloud.scenario.models import FAULT_CSV_COLUMNS, FAULT_KINDS, FaultKind

__all__ = ["FAULT_COLUMNS", "FAULT_KINDS", "FaultEvent", "FaultKind", "read_fault_csv",
           "write_fault_csv"]  # fmt: skip

#: The columns of a fault CSV, in the order :func:`write_fault_csv` writes them (defined with
#: the kinds in the scenario schema, whose loader reads the same format).
FAULT_COLUMNS = FAULT_CSV_COLUMNS


@dataclass(frozen=True)
class FaultEvent:
    """One fault at ``t_s`` [s since the run's epoch] of ``kind`` (one of
    :data:`FAULT_KINDS`) on ``target``; ``duration_s`` None = until the end of the run (losses
    are permanent whatever it says); ``bits`` upsets for a ``bit_flip``."""

    t_s: float
    kind: str
    target: str = ""
    duration_s: float | None = None
    bits: int = 1

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {self.kind!r} is not one of {', '.join(FAULT_KINDS)}")
        if not (np.isfinite(self.t_s) and self.t_s >= 0):
            raise ValueError(f"fault t_s must be a finite time >= 0, got {self.t_s!r}")
        if self.duration_s is not None and not (self.duration_s > 0):
            raise ValueError(f"fault duration_s must be > 0 (or none), got {self.duration_s!r}")
        if self.bits < 1:
            raise ValueError(f"fault bits must be >= 1, got {self.bits!r}")

    @property
    def end_s(self) -> float:
        """End of the fault's effect [s]: ``inf`` for losses and open-ended faults."""
        if self.kind in ("satellite_loss", "cluster_loss") or self.duration_s is None:
            return float("inf")
        return self.t_s + self.duration_s


def read_fault_csv(path: str | Path) -> list[FaultEvent]:
    """Faults from a CSV with header ``t_s,kind,target[,duration_s][,bits]``; errors name
    ``file:line``."""
    out: list[FaultEvent] = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        missing = {"t_s", "kind"} - set(header)
        unknown = sorted(set(header) - set(FAULT_COLUMNS))
        if missing or unknown:
            raise ValueError(
                f"{path}:1: fault CSV needs columns t_s,kind[,target,duration_s,bits]; "
                + (f"missing {sorted(missing)}" if missing else f"unknown {unknown}")
            )
        for row in reader:
            try:
                dur = (row.get("duration_s") or "").strip()
                out.append(
                    FaultEvent(
                        float(row["t_s"]),
                        (row["kind"] or "").strip(),
                        (row.get("target") or "").strip(),
                        float(dur) if dur else None,
                        int((row.get("bits") or "1").strip() or 1),
                    )
                )
            except (ValueError, TypeError) as err:
                raise ValueError(f"{path}:{reader.line_num}: {err}") from None
    return out


def write_fault_csv(path: str | Path, events: Iterable[FaultEvent]) -> None:
    """Write ``events`` in the one fault CSV format (``repr`` floats: an exact round trip
    through :func:`read_fault_csv` and the scenario loader)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(FAULT_COLUMNS)
        for e in events:
            dur = "" if e.duration_s is None else repr(float(e.duration_s))
            w.writerow((repr(float(e.t_s)), e.kind, e.target, dur, e.bits))
