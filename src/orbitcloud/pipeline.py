"""The stages of a run, in order: scenario → satellites → ephemeris → contact plan."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.links.contacts import build_contact_plan, node_table
from orbitcloud.network.routes import RouteTable, route_pairs
from orbitcloud.network.snapshots import SnapshotBuilder
from orbitcloud.orbits.propagate import Ephemeris, propagate
from orbitcloud.orbits.satellites import build_satellites
from orbitcloud.progress import Progress
from orbitcloud.scenario.models import Scenario
from orbitcloud.timegrid import TimeGrid

__all__ = ["RunResult", "all_ground_pairs", "run_pipeline", "run_routes"]


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


def all_ground_pairs(scenario: Scenario) -> tuple[list[str], list[str]]:
    """Every unordered pair of ground stations, as (src names, dst names)."""
    names = [g.name for g in scenario.ground_stations]
    i, j = np.triu_indices(len(names), 1)
    return [names[k] for k in i], [names[k] for k in j]


def run_routes(
    scenario: Scenario,
    src: list[str],
    dst: list[str],
    keep_paths: bool = True,
    progress: Progress | None = None,
) -> tuple[RouteTable, dict[str, float]]:
    """Shortest-delay routes for the given endpoint pairs at every step of the scenario's
    grid; returns the table and stage timings [s]."""
    timings: dict[str, float] = {}
    with _timed(timings, "orbits"):
        sats = build_satellites(scenario)
        grid = TimeGrid.regular(scenario.epoch, scenario.duration_s, scenario.step_s)
        eph = propagate(sats, grid, progress)
    with _timed(timings, "routing"):
        builder = SnapshotBuilder.from_scenario(scenario, eph)
        names = node_table(scenario, eph).names
        positions = ((float(t), eph.r_ecef_km[:, k]) for k, t in enumerate(grid.t_s))
        table = route_pairs(builder, positions, src, dst, names, keep_paths, progress, grid.n_time)
    return table, timings
