"""Faults: one event type, one kind list, one CSV format, one timeline every stage feels."""

from orbitcloud.faults.events import (
    FAULT_COLUMNS,
    FAULT_KINDS,
    FaultEvent,
    FaultKind,
    read_fault_csv,
    write_fault_csv,
)
from orbitcloud.faults.timeline import EventTimeline, events_of, plane_groups

__all__ = [
    "FAULT_COLUMNS",
    "FAULT_KINDS",
    "EventTimeline",
    "FaultEvent",
    "FaultKind",
    "events_of",
    "plane_groups",
    "read_fault_csv",
    "write_fault_csv",
]
