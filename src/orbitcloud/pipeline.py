"""The stages of a run, in order: scenario → satellites → ephemeris → contact plan."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.links.contacts import build_contact_plan
from orbitcloud.orbits.propagate import Ephemeris, propagate
from orbitcloud.orbits.satellites import build_satellites
from orbitcloud.progress import Progress
from orbitcloud.scenario.models import Scenario
from orbitcloud.timegrid import TimeGrid

__all__ = ["RunResult", "run_pipeline"]


@dataclass
class RunResult:
    """What a run computed, with wall-clock seconds per stage in ``timings_s``."""

    scenario: Scenario
    ephemeris: Ephemeris
    contacts: ContactPlan
    timings_s: dict[str, float] = field(default_factory=dict)


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    timings[stage] = round(time.perf_counter() - t0, 4)


def run_pipeline(
    scenario: Scenario, progress: Progress | None = None, tol_s: float = 1e-3
) -> RunResult:
    """Run every stage implemented so far on ``scenario``."""
    timings: dict[str, float] = {}
    with _timed(timings, "satellites"):
        sats = build_satellites(scenario)
        grid = TimeGrid.regular(scenario.epoch, scenario.duration_s, scenario.step_s)
    with _timed(timings, "orbits"):
        eph = propagate(sats, grid, progress)
    with _timed(timings, "contacts"):
        plan = build_contact_plan(scenario, eph, tol_s, progress)
    return RunResult(scenario, eph, plan, timings)
