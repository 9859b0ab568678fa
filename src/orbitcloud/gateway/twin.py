"""The twin behind the gateway: the scenario's contact plan, its one network, its fault
timeline and the durable object store, on one virtual clock.

Clock: ``t_s = start_s + (wall − wall_at_start) × speed`` seconds since the scenario's epoch,
or pinned per request by the ``x-orbitcloud-time-s`` header (so a client can replay a moment).
A request past the scenario's ``duration_s`` has no contact plan to use: it is answered
503 ``ServiceUnavailable``. Every fault of the scenario's timeline whose time the clock has
reached is applied to the store before the request (a lost satellite's shards are gone), in
time order, once.

Station: where a request is up- or downlinked: the ``x-orbitcloud-station`` header, else the
tenant's default (the ``put_station`` of its first storage workload, else the first ground
station whose jurisdiction the tenant may use). Sovereignty is the store's: a station or
placement the tenant may not use is refused.

Layout of ``--data-dir``: ``credentials`` (per-tenant keys, :mod:`.auth`), ``master.key`` (the
store's master key, 0600, unless ``ORBITCLOUD_MASTER_KEY`` is set), ``store/`` (the object
store), ``multipart/`` (uploads in progress, :mod:`.multipart`).
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import numpy as np

from orbitcloud.faults.events import FaultEvent
from orbitcloud.nodes.hardware import FleetHardware
from orbitcloud.run.pipeline import run_pipeline
from orbitcloud.scenario.models import Scenario
from orbitcloud.sim.events import EventLog
from orbitcloud.storage import NetworkTimer, ObjectStore, apply_fault, policy_of, storage_nodes

__all__ = ["STATION_HEADER", "TIME_HEADER", "ClockError", "Twin"]

TIME_HEADER = "x-orbitcloud-time-s"
STATION_HEADER = "x-orbitcloud-station"


class ClockError(ValueError):
    """The twin's clock is outside the scenario (503), or a pinned time is malformed (400)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Twin:
    """The scenario's world for the gateway (module docstring)."""

    def __init__(
        self,
        scenario: Scenario,
        data_dir: Path,
        speed: float = 1.0,
        start_s: float = 0.0,
        fsync: bool = True,
    ) -> None:
        if scenario.storage is None:
            raise ValueError(
                f"scenario {scenario.name!r} has no `storage:` section: the gateway serves its "
                "tenants; add one (tenants, placement)"
            )
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"--speed must be a positive number, got {speed!r}")
        if not 0.0 <= start_s < scenario.duration_s:
            raise ValueError(f"--start-s must be within [0, {scenario.duration_s:g}) s")
        self.scenario = scenario
        self.speed = float(speed)
        self.start_s = float(start_s)
        self.wall0 = time.monotonic()
        result = run_pipeline(scenario, stages=("contacts",))
        self.plan = result.contacts
        self.network = result.network
        spec = scenario.storage
        sats = result.ephemeris.satellites
        nodes = storage_nodes(
            FleetHardware.of(scenario, sats), sats, self.plan.nodes, spec.ground_storage_tb
        )
        self.log = EventLog()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.store = ObjectStore(
            data_dir / "store",
            nodes,
            NetworkTimer(self.network if self.network is not None else self.plan),
            self.log,
            scenario.seed,
            fsync,
            policy_of(spec.placement),
            key_file=data_dir / "master.key",
        )
        for t in spec.tenants:
            if t.name not in self.store.tenant_names():
                self.store.add_tenant(
                    t.name,
                    t.allowed_jurisdictions,
                    policy_of(t.placement) if t.placement is not None else None,
                )
        self._faults: list[FaultEvent] = sorted(result.faults.events, key=lambda e: e.t_s)
        self._applied = 0
        self._fault_rng = np.random.default_rng([scenario.seed, 0x5E])
        self._lock = threading.Lock()
        self._default_station = {t.name: self._pick_station(t.name) for t in spec.tenants}

    @property
    def tenants(self) -> list[str]:
        return self.store.tenant_names()

    def close(self) -> None:
        self.store.close()

    def _pick_station(self, tenant: str) -> str:
        spec = self.scenario.storage
        assert spec is not None
        for w in spec.workloads:
            if w.tenant == tenant:
                return w.put_station
        allowed = next(t.allowed_jurisdictions for t in spec.tenants if t.name == tenant)
        for g in self.scenario.ground_stations:
            if allowed is None or g.jurisdiction in allowed:
                return g.name
        raise ValueError(f"tenant {tenant!r} may use no ground station of this scenario")

    def now_s(self, pinned: str | None = None) -> float:
        """The request's virtual time [s since the epoch] (module docstring)."""
        if pinned is not None:
            try:
                t_s = float(pinned)
            except ValueError:
                raise ClockError(f"{TIME_HEADER}: {pinned[:40]!r} is not a number", 400) from None
            if not math.isfinite(t_s):
                raise ClockError(f"{TIME_HEADER} must be finite", 400)
        else:
            t_s = self.start_s + (time.monotonic() - self.wall0) * self.speed
        if not 0.0 <= t_s <= self.scenario.duration_s:
            raise ClockError(
                f"the twin's clock is at t = {t_s:.6g} s, outside the scenario's "
                f"[0, {self.scenario.duration_s:g}] s: no contact plan there",
                503 if t_s > 0 else 400,
            )
        self._apply_faults(t_s)
        return t_s

    def _apply_faults(self, t_s: float) -> None:
        with self._lock:
            while self._applied < len(self._faults) and self._faults[self._applied].t_s <= t_s:
                apply_fault(self.store, self._faults[self._applied], self._fault_rng)
                self._applied += 1

    def station(self, tenant: str, requested: str | None) -> str:
        return requested if requested else self._default_station[tenant]
