"""Faults: one event type, one kind list, one CSV format, one timeline every stage feels.

Drawn faults (the scenario's ``fault_processes:``) are in :mod:`orbitcloud.faults.processes`
(imported on use: it draws with :mod:`orbitcloud.faults.schedule`, which imports this package)."""

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
