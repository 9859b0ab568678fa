"""Shared fixtures: the ISS TLE used across tests and skyfield (the independent oracle)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orbitcloud.compute.workload import INPUT_KINDS, Jobs
from orbitcloud.executor import DaskExecutor, make_executor
from orbitcloud.links.contactplan import ContactPlan, NodeTable

# ISS (ZARYA) TLE quoted in skyfield's and python-sgp4's documentation (epoch 2014-01-20).
ISS_LINE1 = "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082"
ISS_LINE2 = "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473"
ISS_EPOCH = "2014-01-21T00:00:00Z"


@pytest.fixture(scope="session")
def skyfield_ts_eph() -> tuple[Any, Any]:
    """skyfield's builtin timescale and DE421 (offline, from skyfield-data)."""
    from orbitcloud.orbits.sun import _skyfield

    return _skyfield()


@pytest.fixture(scope="session")
def moon_me() -> Iterator[Any]:
    """DE421's lunar mean-Earth frame (MOON_ME_DE421) from the kernels lunarsky ships (a test
    dependency), through skyfield's PlanetaryConstants: the independent lunar-frame oracle."""
    import lunarsky
    from skyfield.planetarylib import PlanetaryConstants

    data = Path(lunarsky.__file__).parent / "data"
    pc = PlanetaryConstants()
    with open(data / "fk" / "satellites" / "moon_080317.tf", "rb") as f:
        pc.read_text(f)
    with open(data / "pck" / "moon_pa_de421_1900-2050.bpc", "rb") as f:
        pc.read_binary(f)
        yield pc.build_frame_named("MOON_ME_DE421")


def iss_scenario(**overrides: Any) -> dict[str, Any]:
    """A one-satellite ISS scenario dict; keyword arguments replace top-level keys."""
    sc: dict[str, Any] = {
        "name": "iss-test",
        "epoch": ISS_EPOCH,
        "duration_s": 86400,
        "step_s": 60,
        "constellations": [
            {"kind": "tle", "name": "iss", "lines": f"ISS (ZARYA)\n{ISS_LINE1}\n{ISS_LINE2}\n"}
        ],
    }
    sc.update(overrides)
    return sc


def circular_orbit_scenario(
    name: str, epoch: str, duration_s: float, step_s: float, inclination_deg: float, raan_deg: float
) -> dict[str, Any]:
    """One satellite on a 700 km circular orbit of the given inclination and RAAN."""
    sat = {
        "name": "s",
        "altitude_km": 700,
        "inclination_deg": inclination_deg,
        "raan_deg": raan_deg,
    }
    return {
        "name": name,
        "epoch": epoch,
        "duration_s": duration_s,
        "step_s": step_s,
        "constellations": [{"kind": "elements", "name": "c", "satellites": [sat]}],
    }


def walker_3x9(**hardware: Any) -> dict[str, Any]:
    """A small MILSCA-like Walker constellation: 3 planes x 9 at 550 km, 55 deg, F = 1."""
    return {
        "kind": "walker",
        "name": "w",
        "planes": 3,
        "sats_per_plane": 9,
        "phasing": 1,
        "altitude_km": 550,
        "inclination_deg": 55,
        "hardware": hardware,
    }


def italy_kenya_stations() -> list[dict[str, Any]]:
    """Fucino (IT, 2 Gbit/s) and Malindi (KE, 500 Mbit/s): an allied and a foreign station."""
    return [
        {"name": "Fucino", "lat_deg": 41.98, "lon_deg": 13.6, "jurisdiction": "IT",
         "rate_bps": 2e9},
        {"name": "Malindi", "lat_deg": -3.0, "lon_deg": 40.19, "jurisdiction": "KE",
         "rate_bps": 5e8},
    ]  # fmt: skip


def walker_3x9_world(duration_s: float, seed: int, **fields: Any) -> dict[str, Any]:
    """A scenario: :func:`walker_3x9` (``hardware``), the two stations above, +Grid lasers at
    10 Gbit/s, 60 s steps; other top-level ``fields`` (workload, storage, ...) as given."""
    return {
        "name": "walker-3x9",
        "epoch": "2026-03-20T00:00:00Z",
        "duration_s": duration_s,
        "step_s": 60,
        "seed": seed,
        "constellations": [walker_3x9(**fields.pop("hardware", {}))],
        "ground_stations": italy_kenya_stations(),
        "isls": [{"topology": {"kind": "grid"}, "rate": {"kind": "fixed", "rate_bps": 1e10}}],
        **fields,
    }


@contextmanager
def dask_executor(n_workers: int = 2) -> Iterator[DaskExecutor]:
    """A real Dask ``LocalCluster`` (worker processes, one thread each) and our executor on it."""
    import distributed  # a runtime dependency (pyproject.toml): imported, never skipped

    with (
        distributed.LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        make_executor(scheduler=cluster.scheduler_address) as ex,
    ):
        assert isinstance(ex, DaskExecutor)
        yield ex


def hand_plan(
    names: list[str], n_sat: int, rows: list[tuple[float, ...]], loss: Any = None
) -> ContactPlan:
    """A hand-built contact plan on ``names`` (the last ``len(names) - n_sat`` are stations, in
    IT) from (src, dst, start_s, end_s, rate_bps, owlt_s) rows; with ``loss`` [n_sat], every
    contact of a lost satellite ends at its loss (dropped if it would start there or later),
    as the fault timeline cuts it."""
    a = np.array(rows, dtype=float)
    src, dst = a[:, 0].astype(np.int32), a[:, 1].astype(np.int32)
    start, end = a[:, 2], a[:, 3].copy()
    if loss is not None:
        node_loss = np.concatenate([np.asarray(loss, float), np.full(len(names) - n_sat, np.inf)])
        end = np.minimum(end, np.minimum(node_loss[src], node_loss[dst]))
    keep = end > start
    nodes = NodeTable(
        names, n_sat, ["c"] * n_sat + ["ground"] * (len(names) - n_sat),
        [""] * n_sat + ["IT"] * (len(names) - n_sat),
    )  # fmt: skip
    return ContactPlan.from_light_times(
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 1000.0, nodes, src[keep], dst[keep],
        start[keep], end[keep], a[keep, 4], a[keep, 5],
    )  # fmt: skip


def request_job(
    kind: str, holders: list[int], needed: int, size: float, ready: float = 10.0,
    flops: float = 5e12,
) -> Jobs:  # fmt: skip
    """One request job (tenant 0) whose input of ``size`` bytes is held by ``holders``
    (``needed`` of them rebuild it), ready at ``ready`` s, due 1000 s later."""
    one = np.zeros(1, np.int32)
    return Jobs(
        ["eo"], one, one, np.array([holders[0]], np.int32), one - 1, one - 1,
        np.array([ready]), np.array([1000.0]), np.array([size]), np.array([flops]),
        np.array([size * 0.01]), np.array([INPUT_KINDS.index(kind)], np.int32), one,
        np.array([holders], np.int32), np.array([needed], np.int32),
    )  # fmt: skip
