"""Earth-observation workload: captures against a brute-force ground-range scan, tiles against
arithmetic, and an end-to-end run that repeats exactly."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import walker_3x9_world
from orbitcloud.cli import app
from orbitcloud.compute.workload import Captures, eo_jobs, mask_elevation_rad
from orbitcloud.constants import EARTH_MEAN_RADIUS_KM
from orbitcloud.orbits.frames import geodetic_to_ecef
from orbitcloud.run.pipeline import run_pipeline
from orbitcloud.scenario import Scenario
from orbitcloud.scenario.workload import WorkloadSpec

MILSCA_HARDWARE = {
    "compute_tflops": 250, "compute_power_w": 3000, "bus_power_w": 800, "solar_array_w": 9600,
    "battery_wh": 7500, "storage_tb": 100, "radiator_area_m2": 6.0, "mass_kg": 700,
}  # fmt: skip
AREAS = [
    {"name": "Rome", "lat_deg": 41.9, "lon_deg": 12.5, "radius_km": 60},
    {"name": "Sahel", "lat_deg": 13.5, "lon_deg": 2.1, "radius_km": 150},
    {"name": "Quito", "lat_deg": -0.2, "lon_deg": -78.5, "radius_km": 40},
]


def _scenario(**workload):
    world = walker_3x9_world(
        6 * 3600, 5, hardware=MILSCA_HARDWARE, workload={"areas": AREAS, **workload}
    )
    return Scenario.model_validate({**world, "name": "eo-test"})


def test_mask_elevation_equals_vector_geometry():
    """tan ε = (cos θ − R/r) / sin θ against the elevation computed from position vectors."""
    theta = np.linspace(0.001, 0.3, 50)
    r = EARTH_MEAN_RADIUS_KM + 550.0
    ground = np.stack([np.full_like(theta, EARTH_MEAN_RADIUS_KM), 0 * theta, 0 * theta], axis=1)
    sat = r * np.stack([np.cos(theta), np.sin(theta), 0 * theta], axis=1)
    los = sat - ground
    el = np.arcsin(los[:, 0] / np.linalg.norm(los, axis=1))  # up = +x at the ground point
    assert np.allclose(mask_elevation_rad(theta * EARTH_MEAN_RADIUS_KM, r), el, atol=1e-12)


@pytest.fixture(scope="module")
def run():
    return run_pipeline(_scenario())


def test_captures_match_a_brute_force_ground_range_scan(run):
    """Every capture's edges are where the nadir's great-circle distance to the area centre
    crosses radius + swath/2 (0.2 s scan of SGP4; spherical-Earth approximation ≤ 1 s)."""
    spec = run.scenario.workload
    caps = run.workload.captures
    assert len(caps) >= 4
    eph = run.ephemeris
    t = np.arange(0.0, eph.grid.t_s[-1], 0.2)
    for s in range(eph.n_sat):
        r = eph.propagator.ecef_at(np.full(t.size, s), t)
        for a_idx, area in enumerate(spec.areas):
            lat, lon = np.array([area.lat_deg]), np.array([area.lon_deg])
            centre = geodetic_to_ecef(lat, lon, np.zeros(1)).reshape(3)
            u = centre / np.linalg.norm(centre)
            reach = area.radius_km + spec.swath_km / 2
            ang = np.arccos(np.clip(r @ u / np.linalg.norm(r, axis=1), -1, 1))
            inside = ang * EARTH_MEAN_RADIUS_KM <= reach
            edges = np.flatnonzero(np.diff(inside.astype(np.int8)))
            mine = (caps.sat == s) & (caps.area == a_idx)
            want_start = t[edges[inside[edges + 1]] + 1] if edges.size else np.zeros(0)
            assert mine.sum() == want_start.size, (area.name, s)
            assert np.allclose(caps.start_s[mine], want_start, atol=1.0)


def test_tiles_add_up_to_the_captures():
    caps = Captures(
        np.array([0, 1], np.int32), np.array([0, 0], np.int32),
        np.array([100.0, 50.0]), np.array([112.0, 50.5]),
    )  # fmt: skip
    spec = WorkloadSpec(areas=AREAS, sensor_rate_bps=8e8, tile_bytes=3e8)  # 100 MB/s
    jobs = eo_jobs(spec, caps, np.random.default_rng(0))
    # capture 0: 1.2 GB -> tiles 0.3 x 4; capture 1: 50 MB -> one tile
    assert len(jobs) == 5
    assert jobs.input_bytes.sum() == pytest.approx(1.25e9)
    first = jobs.capture == 0
    assert jobs.ready_s[first].tolist() == pytest.approx([103.0, 106.0, 109.0, 112.0])
    assert jobs.ready_s[~first].tolist() == pytest.approx([50.5])
    assert jobs.flops == pytest.approx(jobs.input_bytes * spec.flops_per_byte)
    assert (np.diff(jobs.ready_s) >= 0).all()


def test_orbit_downlinks_only_products_and_runs_repeat(run):
    w = run.workload
    orbit, ground = w.records["orbit"], w.records["ground"]
    done = np.isfinite(orbit.delivered_s) & np.isfinite(ground.delivered_s)
    assert done.mean() > 0.95
    spec = run.scenario.workload
    assert orbit.downlink_bytes[done].sum() == pytest.approx(
        spec.product_ratio * ground.downlink_bytes[done].sum()
    )
    # the product is never on the ground before its tile was captured and computed
    assert (orbit.delivered_s[done] >= orbit.finished_s[done]).all()
    assert (orbit.started_s[done] >= w.jobs.ready_s[done]).all()
    # energy under the real load: battery never below the reserve floor, nothing unmet
    assert w.summary()["orbit"]["unmet_kwh_under_load"] == 0.0
    again = run_pipeline(run.scenario).workload
    assert np.array_equal(again.records["orbit"].delivered_s, orbit.delivered_s, equal_nan=True)
    assert np.array_equal(again.records["orbit"].retries, orbit.retries)


def test_run_writes_jobs_and_events(tmp_path):
    path = tmp_path / "eo.yaml"
    path.write_text(_scenario(modes=["orbit"]).model_dump_json())
    res = CliRunner().invoke(app, ["run", str(path), "-o", str(tmp_path / "runs")])
    assert res.exit_code == 0, res.output
    folder = next((tmp_path / "runs").iterdir())
    jobs = pq.read_table(folder / "jobs.parquet")
    events = pq.read_table(folder / "events.parquet")
    assert set(jobs.column("mode").to_pylist()) == {"orbit"}
    assert events.num_rows > jobs.num_rows
    t = events.column("t_s").to_numpy()
    assert (np.diff(t) >= 0).all()
    assert "tiles from" in res.output
