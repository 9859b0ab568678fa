"""The run folder: ``runs/<scenario>-<utc-stamp>/`` with manifest, tables and summary."""

from __future__ import annotations

import datetime as dt
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from orbitcloud.cloud.hardware import per_satellite
from orbitcloud.cloud.power import state_of_charge
from orbitcloud.orbits.frames import ecef_to_geodetic
from orbitcloud.pipeline import RunResult

__all__ = ["MAX_POSITION_ROWS", "write_run_folder"]

#: positions.parquet keeps at most this many rows; larger runs keep every k-th time step.
MAX_POSITION_ROWS = 2_000_000

_PACKAGES = (
    "orbitcloud",
    "numpy",
    "scipy",
    "sgp4",
    "skyfield",
    "skyfield-data",
    "pydantic",
    "pyarrow",
)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in _PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:  # pragma: no cover
            out[p] = "not installed"
    return out


def _positions_table(result: RunResult) -> tuple[pa.Table, int]:
    eph = result.ephemeris
    n_sat, n_time = eph.n_sat, eph.grid.n_time
    every = max(1, int(np.ceil(n_sat * n_time / MAX_POSITION_ROWS)))
    k = np.arange(0, n_time, every)
    r = eph.r_ecef_km[:, k]
    lat, lon, alt = ecef_to_geodetic(r)
    names = pa.array(np.repeat(np.asarray(eph.satellites.names, dtype=object), k.size), pa.string())
    table = pa.table(
        {
            "t_s": np.tile(eph.grid.t_s[k], n_sat),
            "sat": names.dictionary_encode(),
            "x_km": r[..., 0].ravel(),
            "y_km": r[..., 1].ravel(),
            "z_km": r[..., 2].ravel(),
            "lat_deg": lat.ravel(),
            "lon_deg": lon.ravel(),
            "alt_km": alt.ravel(),
            "sunlit": eph.sunlit[:, k].ravel(),
        }
    )
    pw = result.power
    if pw is not None:
        # per-step flows hold for [t_k, t_k+1); the last grid time starts no step
        def at_samples(flow_w: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.concatenate([flow_w, np.full((n_sat, 1), np.nan)], axis=1)[:, k].ravel()

        soc = state_of_charge(
            pw, per_satellite(result.scenario, eph.satellites, "battery_wh", 3600.0)
        )
        table = table.append_column("generated_w", pa.array(at_samples(pw.generated_w)))
        table = table.append_column("compute_w", pa.array(at_samples(pw.compute_w)))
        table = table.append_column("battery_soc", pa.array(soc[:, k].ravel()))
        table = table.append_column("temperature_k", pa.array(pw.temperature_k[:, k].ravel()))
    return table, every


def _storage(result: RunResult, folder: Path) -> dict[str, Any]:
    """Run the storage service on real bytes under ``folder/storage`` (events go to the run's
    log), write ``storage.parquet``, and estimate the ground-restore time when asked."""
    from orbitcloud.cloud.restore import restore_time
    from orbitcloud.cloud.storage import run_storage

    spec = result.scenario.storage
    assert spec is not None
    report = run_storage(result.scenario, result, folder / "storage", result.events)
    pq.write_table(report.objects_table(), folder / "storage.parquet", compression="zstd")
    out: dict[str, Any] = {"storage": report.to_dict()}
    if spec.restore_tb:
        lost = (spec.lost_site,) if spec.lost_site else ()
        est = restore_time(result.contacts, spec.restore_tb * 1e12, exclude=lost)
        out["restore"] = est.to_dict()
    return out


def write_run_folder(
    result: RunResult,
    summary: dict[str, Any],
    root: Path = Path("runs"),
    scenario_file: str | None = None,
) -> Path:
    """Write the run folder and return its path."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = root / f"{result.scenario.name}-{stamp}"
    n = 1
    while folder.exists():
        n += 1
        folder = root / f"{result.scenario.name}-{stamp}-{n}"
    folder.mkdir(parents=True)
    result.contacts.write_parquet(folder / "contacts.parquet")
    positions, every = _positions_table(result)
    pq.write_table(positions, folder / "positions.parquet", compression="zstd")
    files = ["manifest.json", "metrics.json", "contacts.parquet", "positions.parquet"]
    manifest = {
        "scenario": result.scenario.model_dump(mode="json"),
        "scenario_file": scenario_file,
        "seed": result.scenario.seed,
        "created_utc": stamp,
        "versions": _versions(),
        "timings_s": result.timings_s,
        "positions_every_nth_step": every,
        "files": files,
    }
    if result.workload is not None:
        jobs = result.workload.jobs_table(result.contacts.nodes.names)
        pq.write_table(jobs, folder / "jobs.parquet", compression="zstd")
        files.append("jobs.parquet")
    if result.scenario.storage is not None:
        summary.update(_storage(result, folder))
        files.append("storage.parquet")
    if len(result.events):
        pq.write_table(result.events.to_arrow(), folder / "events.parquet", compression="zstd")
        files.append("events.parquet")
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (folder / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
    return folder
