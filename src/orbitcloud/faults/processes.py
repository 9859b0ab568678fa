"""Drawn faults: the scenario's ``fault_processes:`` as :class:`FaultEvent` rows.

Each process is drawn by the one fault sampler,
:meth:`orbitcloud.faults.schedule.FaultSchedule.draw` (no second sampler here), over
``[0, duration_s]`` of the run, from its own random stream
``seeded_rng(seed, "faults.processes[<j>]")`` (:func:`orbitcloud.seeding.seeded_rng`): the
same scenario and seed give the same events, and adding a process never shifts another's draws.
:meth:`FaultSchedule.to_events` turns the draws into the one event type, which
:meth:`orbitcloud.faults.EventTimeline.from_scenario` merges with the explicit ``faults:``.

=========================  ===================================================================
process                    sampler
=========================  ===================================================================
``satellite_lifetimes``    ``FaultRates.lifetimes``: Weibull, ``η`` from ``mean_life_years``
                           (``mean / Γ(1 + 1/β)``) or ``annual_failure_probability``
``solar_storms``           ``FaultRates.storms_per_year``, ``storm_scope="plane"`` over the
                           planes (``plane``) or the constellations (``shell``) of the scope
``isl_terminal_failures``  ``FaultRates.isl_terminal_failure_per_year`` and
                           ``isl_terminal_repair_s`` on ``isl_terminals`` (per satellite)
``station_outages``        :class:`StationOutages` of availability ``1 - per_year × D / yr``
                           and mean outage ``D = mean_duration_s``
``upsets``                 ``FaultRates.seu_per_bit_day`` on one "bit" a satellite, so the
                           chosen satellites together see ``bit_flips_per_day``
=========================  ===================================================================
"""

from __future__ import annotations

import math

from orbitcloud.faults.events import FaultEvent
from orbitcloud.faults.schedule import (
    YEAR_S,
    FaultRates,
    FaultSchedule,
    Lifetimes,
    StationOutages,
)
from orbitcloud.scenario.models import (
    FaultProcess,
    IslTerminalFailures,
    SatelliteLifetimes,
    Scenario,
    SolarStorms,
    StationOutageProcess,
    Upsets,
    WalkerConstellation,
)
from orbitcloud.seeding import seeded_rng

__all__ = ["draw_schedules", "drawn_events", "process_stream"]


def process_stream(j: int) -> str:
    """Name of the random stream of the scenario's ``fault_processes[j]``."""
    return f"faults.processes[{j}]"


def _chosen(
    scenario: Scenario, proc: SatelliteLifetimes | IslTerminalFailures | Upsets
) -> list[str]:
    """Satellites of the process, in node order: its constellations' and its named ones (all
    when it names neither)."""
    per_const = dict(zip((c.name for c in scenario.constellations), scenario.satellite_names(),
                         strict=True))  # fmt: skip
    if proc.constellations is None and proc.satellites is None:
        return [n for names in per_const.values() for n in names]
    want = set(proc.satellites or [])
    for c in proc.constellations or []:
        want.update(per_const[c])
    return [n for names in per_const.values() for n in names if n in want]


def _storm_planes(scenario: Scenario, proc: SolarStorms) -> tuple[list[str], list[int]]:
    """Satellites a storm can take and the "plane" of each: an orbital plane (a satellite
    outside a Walker constellation is its own) or, for ``shell``, its constellation."""
    sats: list[str] = []
    groups: list[str] = []
    for c, names in zip(scenario.constellations, scenario.satellite_names(), strict=True):
        if proc.constellations is not None and c.name not in proc.constellations:
            continue
        per_plane = c.sats_per_plane if isinstance(c, WalkerConstellation) else 0
        for j, n in enumerate(names):
            sats.append(n)
            if proc.scope == "shell":
                groups.append(c.name)
            else:
                groups.append(f"{c.name}:{j // per_plane if per_plane else n}")
    index: dict[str, int] = {}
    return sats, [index.setdefault(g, len(index)) for g in groups]


def _draw(scenario: Scenario, proc: FaultProcess, j: int) -> FaultSchedule:
    rng = seeded_rng(scenario.seed, process_stream(j))
    horizon = scenario.duration_s
    if isinstance(proc, SatelliteLifetimes):
        beta = proc.weibull_shape
        if proc.mean_life_years is not None:
            life = Lifetimes(beta, proc.mean_life_years * YEAR_S / math.gamma(1.0 + 1.0 / beta))
        else:
            life = Lifetimes.from_annual_failure_probability(
                proc.annual_failure_probability or 0.0, beta
            )
        return FaultSchedule.draw(FaultRates(lifetimes=life), rng, horizon, _chosen(scenario, proc))
    if isinstance(proc, SolarStorms):
        sats, planes = _storm_planes(scenario, proc)
        return FaultSchedule.draw(
            FaultRates(storms_per_year=proc.per_year, storm_scope="plane"),
            rng, horizon, sats, planes=planes,
        )  # fmt: skip
    if isinstance(proc, IslTerminalFailures):
        sats = _chosen(scenario, proc)
        rates = FaultRates(
            isl_terminal_failure_per_year=proc.per_satellite_per_year,
            isl_terminal_repair_s=math.inf if proc.repair_s is None else proc.repair_s,
        )
        return FaultSchedule.draw(rates, rng, horizon, sats, isl_terminals=sats)
    if isinstance(proc, StationOutageProcess):
        stations = (
            [g.name for g in scenario.ground_stations] if proc.stations is None else proc.stations
        )
        down = proc.per_year * proc.mean_duration_s / YEAR_S
        model = StationOutages(1.0 - down, proc.mean_duration_s)
        return FaultSchedule.draw(FaultRates(), rng, horizon, [], stations=stations, outages=model)
    assert isinstance(proc, Upsets)
    sats = _chosen(scenario, proc)
    per_sat_day = proc.bit_flips_per_day / len(sats) if sats else 0.0
    # one "bit" a satellite flipping at per_sat_day: the satellites together at the given rate
    return FaultSchedule.draw(
        FaultRates(seu_per_bit_day=per_sat_day), rng, horizon, sats, stored_bytes=1.0 / 8.0
    )


def draw_schedules(scenario: Scenario) -> list[FaultSchedule]:
    """One drawn :class:`FaultSchedule` per ``fault_processes:`` entry, in order (storm
    markers included)."""
    return [_draw(scenario, proc, j) for j, proc in enumerate(scenario.fault_processes)]


def drawn_events(scenario: Scenario) -> list[FaultEvent]:
    """The drawn faults of the scenario as :class:`FaultEvent` rows, in time order (stable:
    equal times keep the process order)."""
    out = [e for s in draw_schedules(scenario) for e in s.to_events()]
    return sorted(out, key=lambda e: e.t_s)
