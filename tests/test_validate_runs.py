"""Validate ⇒ run: a scenario that loads runs every stage without a traceback.

Scenarios are built from scratch (not mutated from files) by one builder driven either by
hypothesis or by a seeded :class:`random.Random`: a small Walker or elements constellation,
1-4 ground stations, optional ISLs (grid, or range with ``max_terminals``), optional faults
(every kind, targets drawn from the scenario's names and sometimes from junk), optional
object storage (tenants, erasure or replication, a few small objects put and read through
drawn or junk stations), an optional workload (areas and station/storage requests) and a short
run (600-3600 s in 30-120 s steps). The property: :func:`load_scenario` either raises
:class:`ScenarioError` or returns a scenario that :func:`run_pipeline` runs to the end.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orbitcloud.api import Scenario, ScenarioError, load_scenario
from orbitcloud.run.pipeline import RunResult, run_pipeline

T = TypeVar("T")
JUNK = ["nowhere", "ghost-9-9", "Atlantis", "plane:nope:0", ""]
COUNTRIES = ["IT", "FR", "DE", "KE", "NO", "US"]


class Source:
    """The random choices a builder makes; hypothesis or :class:`random.Random` behind it."""

    def __init__(
        self,
        integer: Callable[[int, int], int],
        real: Callable[[float, float], float],
    ) -> None:
        self.integer = integer
        self.real = real

    def chance(self, p: float) -> bool:
        # integers, not floats: hypothesis favours the bounds, and these are symmetric
        return self.integer(1, 1000) <= round(p * 1000)

    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.integer(0, len(seq) - 1)]

    def name(self, names: Sequence[str], junk: float = 0.07) -> str:
        """One of ``names``, or with probability ``junk`` a name that is not there."""
        return self.pick(JUNK) if not names or self.chance(junk) else self.pick(names)


def hypothesis_source(draw: st.DrawFn) -> Source:
    return Source(
        lambda a, b: draw(st.integers(a, b)),
        lambda a, b: draw(st.floats(a, b, allow_nan=False, allow_infinity=False)),
    )


def random_source(rng: random.Random) -> Source:
    return Source(rng.randint, rng.uniform)


def _hardware(s: Source) -> dict[str, Any]:
    return {
        "storage_tb": s.pick([0.0, 0.01, 1.0, 100.0]),
        "compute_tflops": s.pick([0.0, 10.0, 250.0]),
        "compute_power_w": s.real(50.0, 3000.0),
        "bus_power_w": s.real(0.0, 800.0),
        "solar_array_w": s.real(0.0, 10000.0),
        "battery_wh": s.real(0.0, 8000.0),
        "radiator_area_m2": s.real(0.0, 12.0),
    }


def _constellation(s: Source) -> tuple[dict[str, Any], list[str]]:
    hardware = _hardware(s) if s.chance(0.8) else {}
    if s.chance(0.6):
        planes, per_plane = s.integer(1, 5), s.integer(1, 6)
        c: dict[str, Any] = {
            "kind": "walker",
            "name": "w",
            "pattern": s.pick(["delta", "star"]),
            "planes": planes,
            "sats_per_plane": per_plane,
            "phasing": s.integer(0, planes - 1 + s.chance(0.1)),  # F = planes: refused
            "altitude_km": s.real(400.0, 1500.0),
            "inclination_deg": s.real(0.0, 100.0),
        }
        names = [f"w-{p}-{k}" for p in range(planes) for k in range(per_plane)]
    else:
        n = s.integer(1, 8)
        names = [f"e{i}" for i in range(n)]
        c = {
            "kind": "elements",
            "name": "e",
            "satellites": [
                {
                    "name": nm,
                    "altitude_km": s.real(400.0, 1500.0),
                    "inclination_deg": s.real(0.0, 100.0),
                    "raan_deg": s.real(0.0, 360.0),
                    "mean_anomaly_deg": s.real(0.0, 360.0),
                }
                for nm in names
            ],
        }
    if hardware:
        c["hardware"] = hardware
    return c, names


def _stations(s: Source) -> list[dict[str, Any]]:
    out = []
    for i in range(s.integer(1, 4)):
        g: dict[str, Any] = {
            "name": f"gs{i}",
            "lat_deg": s.real(-70.0, 70.0),
            "lon_deg": s.real(-180.0, 180.0),
            "jurisdiction": s.pick(COUNTRIES),
            "link_type": s.pick(["rf", "optical"]),
            "min_elevation_deg": s.real(0.0, 30.0),
            "rate_bps": s.pick([2e6, 1e9, 1e10]),
        }
        if s.chance(0.3):
            g["uplink_rate_bps"] = 2e6
        if s.chance(0.3):
            g["antennas"] = s.integer(1, 3)
        out.append(g)
    return out


def _isls(s: Source, walker: bool) -> list[dict[str, Any]]:
    if s.chance(0.6 if walker else 0.05):  # grid needs Walker: else refused
        topology: dict[str, Any] = {"kind": "grid"}
    else:
        topology = {"kind": "range", "max_terminals": s.integer(1, 4)}
    return [
        {
            "name": "laser",
            "topology": topology,
            "max_range_km": s.real(1000.0, 6000.0),
            "rate": {"kind": "fixed", "rate_bps": 1e10},
        }
    ]


def _faults(s: Source, sats: list[str], stations: list[str], horizon: float) -> list[Any]:
    out: list[dict[str, Any]] = []
    for _ in range(s.integer(1, 4)):
        kind = s.pick(
            ["satellite_loss", "cluster_loss", "isl_failure", "station_outage", "bit_flip"]
        )
        f: dict[str, Any] = {"t_s": s.real(0.0, horizon * 1.2), "kind": kind}
        if kind in ("satellite_loss", "isl_failure"):
            f["target"] = s.name(sats)
        elif kind == "cluster_loss":
            if s.chance(0.5):
                f["target"] = ",".join({s.name(sats) for _ in range(s.integer(1, 3))})
            else:
                f["target"] = f"plane:{s.pick(['w', 'e', 'x'])}:{s.integer(0, 5)}"
        elif kind == "station_outage":
            f["target"] = s.name(stations)
            if s.chance(0.7):
                f["duration_s"] = s.real(60.0, 3600.0)
        else:
            if s.chance(0.5):
                f["target"] = s.name(sats)
            f["bits"] = s.integer(1, 10)
        out.append(f)
    return out


def _placement(s: Source) -> dict[str, Any]:
    if s.chance(0.5):
        return {
            "kind": "erasure",
            "k": s.integer(1, 4),
            "m": s.integer(1, 2),
            "distinct_planes": s.chance(0.3),
        }
    return {"kind": "replication", "copies": s.integer(1, 3), "distinct_planes": s.chance(0.3)}


def _storage(s: Source, stations: list[str], horizon: float) -> dict[str, Any]:
    tenants = [f"t{i}" for i in range(s.integer(1, 2))]
    workloads = []
    for _ in range(s.integer(0, 2)):
        w: dict[str, Any] = {
            "tenant": s.name(tenants, 0.1),
            "bucket": "b",
            "objects": s.integer(0, 4),
            "object_bytes": s.pick([0, 1, 1000, 100_000]),
            "put_station": s.name(stations),
            "put_t_s": s.real(0.0, horizon),
            "interval_s": s.real(0.0, 120.0),
        }
        if s.chance(0.6):
            w["get_station"] = s.name(stations)
            w["get_t_s"] = s.real(0.0, horizon * 1.2)
        workloads.append(w)
    spec: dict[str, Any] = {
        "tenants": [
            {"name": t, "allowed_jurisdictions": [s.pick(COUNTRIES)]}
            if s.chance(0.4)
            else {"name": t}
            for t in tenants
        ],
        "placement": _placement(s),
        "workloads": workloads,
        "scrub_interval_s": s.pick([None, 600.0, 3600.0]),
    }
    if s.chance(0.2):
        spec["restore_tb"] = 0.001
        spec["lost_site"] = s.name(stations)
    return spec


def _workload(s: Source, stations: list[str], horizon: float) -> dict[str, Any]:
    tenants = [f"eo{i}" for i in range(s.integer(1, 2))]
    areas = [
        {
            "name": f"a{i}",
            "lat_deg": s.real(-60.0, 60.0),
            "lon_deg": s.real(-180.0, 180.0),
            "radius_km": s.real(10.0, 500.0),
        }
        for i in range(s.integer(0, 3))
    ]
    requests = []
    for i in range(s.integer(0 if areas else 1, 2)):
        r: dict[str, Any] = {
            "name": f"r{i}",
            "tenant": s.name(tenants, 0.1),
            "input": s.pick(["station", "storage"]),
            "count": s.integer(1, 3),
            "submit_s": s.real(0.0, horizon),
            "interval_s": s.real(0.0, 600.0),
            "input_bytes": s.pick([1e3, 1e6, 1e8]),
        }
        if r["input"] == "station" or s.chance(0.1):
            r["station"] = s.name(stations)
        if r["input"] == "storage" and s.chance(0.5):
            r["placement"] = _placement(s)
        requests.append(r)
    return {
        "tenants": [
            {"name": t, "priority": s.integer(0, 3), "share": s.real(0.1, 1.0)}
            if s.chance(0.7)
            else {"name": t, "allowed_jurisdictions": [s.pick(COUNTRIES)]}
            for t in tenants
        ],
        "areas": areas,
        "requests": requests,
        "tile_bytes": s.pick([1e7, 1e8]),
        "policy": s.pick(["earliest_finish", "energy_aware"]),
    }


def build_scenario(s: Source) -> dict[str, Any]:
    """One scenario dict; every choice is made through ``s``."""
    duration = float(s.integer(600, 3600))
    constellation, sats = _constellation(s)
    stations = _stations(s)
    gs_names = [g["name"] for g in stations]
    d: dict[str, Any] = {
        "name": "gen",
        "epoch": "2026-03-20T00:00:00Z",
        "duration_s": duration,
        "step_s": float(s.integer(30, 120)),
        "seed": s.integer(0, 1000),
        "constellations": [constellation],
        "ground_stations": stations,
    }
    if s.chance(0.5):
        d["isls"] = _isls(s, constellation["kind"] == "walker")
    if s.chance(0.5):
        d["faults"] = _faults(s, sats, gs_names, duration)
    if s.chance(0.5):
        d["storage"] = _storage(s, gs_names, duration)
    if s.chance(0.4):
        d["workload"] = _workload(s, gs_names, duration)
    return d


@st.composite
def scenario_dicts(draw: st.DrawFn) -> dict[str, Any]:
    return build_scenario(hypothesis_source(draw))


def _load(d: dict[str, Any]) -> Scenario | None:
    try:
        return load_scenario(d)
    except ScenarioError:
        return None


def _run(sc: Scenario, d: dict[str, Any]) -> RunResult:
    """Every stage of ``sc``; a crash fails with the scenario dict that validated."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            return run_pipeline(sc, store_root=Path(tmp))
        except Exception as exc:
            raise AssertionError(
                f"validated, then crashed ({type(exc).__name__}: {exc}); scenario: {json.dumps(d)}"
            ) from exc


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario_dicts())
def test_validated_scenarios_run_every_stage(d: dict[str, Any]) -> None:
    sc = _load(d)
    if sc is None:
        return
    result = _run(sc, d)
    assert result.contacts is not None
    if sc.storage is not None:
        assert result.storage is not None


def test_the_builder_makes_mostly_valid_scenarios() -> None:
    """Not vacuous: of 10 scenarios from fixed seeds, at least 5 load (and each one that does
    runs every stage)."""
    accepted = 0
    for k in range(10):
        sc = _load(build_scenario(random_source(random.Random(k))))
        if sc is None:
            continue
        accepted += 1
        _run(sc, build_scenario(random_source(random.Random(k))))
    assert accepted >= 5, accepted
