"""The run folder: ``runs/<scenario>-<utc-stamp>/`` with manifest, tables and summary.

One list, :data:`RUN_FILES`, names every file a run folder may hold; the writer here, the
manifest's ``files`` entries and the report's reader (:mod:`orbitcloud.report.folder`) all use
it. The manifest (schema :data:`SCHEMA_VERSION`) records ``status`` and one entry per file the
folder holds: ``{"name", "kind", "bytes", "rows"}`` (``rows`` for Parquet tables, ``files``
for folders).

A folder is written under a hidden temporary name, ``<root>/.<name>-<stamp>.partial/``,
and renamed to ``<root>/<name>-<stamp>/`` only once every file is written and the manifest
says ``"status": "complete"``. An exception or Ctrl-C while writing leaves only the
``.partial`` folder, its manifest saying ``"status": "interrupted"`` with the reason; a killed
process leaves it saying ``"status": "writing"``. So a folder under its final name is always
complete, and the report refuses any folder whose status is not ``complete``.

The writer only writes: it takes a finished :class:`~orbitcloud.run.pipeline.RunResult` (the
storage stage already run, ``result.storage``) and runs no simulation. A caller whose run
must put files into the folder (the CLI's object store, ``<partial>/storage``) opens the
partial folder first with :meth:`PartialRunFolder.begin`, runs with ``store_root`` inside it, and
hands the :class:`PartialRunFolder` to :func:`write_run_folder`, which fills and finishes it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from orbitcloud.assess.roadmap_report import roadmap_arrow
from orbitcloud.nodes.hardware import per_satellite
from orbitcloud.nodes.power import state_of_charge
from orbitcloud.orbits.frames import ecef_to_geodetic
from orbitcloud.run.pipeline import RunResult
from orbitcloud.run.security import security_summary
from orbitcloud.run.tables import conform

__all__ = [
    "MAX_POSITION_ROWS",
    "RUN_FILES",
    "SCHEMA_VERSION",
    "STATUS_COMPLETE",
    "OutputError",
    "PartialRunFolder",
    "RunFile",
    "atomic_output",
    "check_output_dir",
    "check_output_file",
    "file_entries",
    "record_files",
    "run_file",
    "utc_stamp",
    "write_json_atomic",
    "write_run_folder",
    "write_text_atomic",
]

#: positions.parquet keeps at most this many rows; larger runs keep every k-th time step.
MAX_POSITION_ROWS = 2_000_000

#: Version of the run-folder layout written into manifest.json (1: before status and file
#: entries; 2: ``status``, ``files`` as entries with bytes and rows).
SCHEMA_VERSION = 2
STATUS_COMPLETE = "complete"
STATUS_INTERRUPTED = "interrupted"
STATUS_WRITING = "writing"

Kind = Literal["json", "parquet", "folder", "html", "czml"]


@dataclass(frozen=True)
class RunFile:
    """One file (or sub-folder) a run folder may hold.

    Attributes:
        name: file name inside the run folder.
        kind: how it is stored.
        writer: ``"run"`` (``orbitcloud run``) or ``"report"`` (``orbitcloud report``).
        present: when the file exists.
        holds: what it holds.
    """

    name: str
    kind: Kind
    writer: Literal["run", "report"]
    present: str
    holds: str


RUN_FILES: tuple[RunFile, ...] = (
    RunFile("manifest.json", "json", "run", "always",
            "status, scenario as resolved, seed, versions, timings, this file list"),
    RunFile("metrics.json", "json", "run", "always",
            "the run summary: coverage per station, power, compute, storage blocks"),
    RunFile("contacts.parquet", "parquet", "run", "always",
            "the contact plan: one row per window (from, to, start_s, end_s, rate_bps, ...)"),
    RunFile("positions.parquet", "parquet", "run", "always",
            "positions, sunlight, power and battery per satellite and sampled step"),
    RunFile("jobs.parquet", "parquet", "run", "a workload: section",
            "compute jobs, in orbit vs on the ground"),
    RunFile("storage.parquet", "parquet", "run", "a storage: section",
            "stored objects: durability, losses"),
    RunFile("storage", "folder", "run",
            "a storage: section without storage.path, run by `orbitcloud run`",
            "the object store's shards and catalog (real bytes)"),
    RunFile("bundles.parquet", "parquet", "run", "a bundles: section",
            "probe bundles: send and arrival times, latency, hops, light time"),
    RunFile("users.parquet", "parquet", "run", "a users: section",
            "user terminals: availability, handovers, demand offered and delivered, latency"),
    RunFile("events.parquet", "parquet", "run", "services logged events",
            "service events (storage repairs, faults, compute)"),
    RunFile("routes.parquet", "parquet", "run", "routes were computed into the folder",
            "round-trip times and paths per pair and step"),
    RunFile("assessment.json", "json", "run", "the scenario could be assessed",
            "carbon, water and cost comparison; sensitivity"),
    RunFile("roadmap.parquet", "parquet", "run", "an assessment.roadmap: section",
            "the roadmap by year: build-out, CO2e and water orbit vs ground, cash flow"),
    RunFile("report.html", "html", "report", "after the report", "the offline report"),
    RunFile("figures", "folder", "report", "after the report", "figures as PNG and SVG"),
    RunFile("scene.czml", "czml", "report", "after the report", "the 3D scene for CesiumJS"),
)  # fmt: skip
_BY_NAME = {f.name: f for f in RUN_FILES}


def run_file(name: str) -> RunFile:
    """The :class:`RunFile` called ``name``; ``KeyError`` for a name not in :data:`RUN_FILES`."""
    return _BY_NAME[name]


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename: the
    file is either absent/old or whole, never partly written (e.g. when the disk fills).
    Raises ``OSError`` (the temporary file removed)."""
    tmp = _tmp_name(path)
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """:func:`write_text_atomic` of ``data`` as indented JSON (NaN refused: use null)."""
    write_text_atomic(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """``table`` to ``path`` (zstd) via a temporary file and a rename."""
    tmp = _tmp_name(path)
    try:
        pq.write_table(table, tmp, compression="zstd")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class OutputError(ValueError):
    """An output path that cannot be written (names the path and why)."""


def _nearest_existing(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _probe_dir(folder: Path, what: str, path: Path) -> None:
    """Create and remove a temporary file in ``folder`` (must exist): the only reliable test
    that writing there works (permissions, read-only mounts, /proc, /sys)."""
    if not folder.is_dir():
        raise OutputError(f"{what} {path}: {folder} is a file, not a folder")
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".orbitcloud-probe-")
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise OutputError(
            f"{what} {path}: cannot write in {folder} ({exc.strerror or exc})"
        ) from None


def check_output_dir(path: Path, what: str = "output folder", need_bytes: float = 0) -> None:
    """Refuse, before any work, a folder that cannot be created or written, or whose disk
    has less than ``need_bytes`` free: :class:`OutputError` with one line."""
    base = _nearest_existing(path)
    _probe_dir(base, what, path)
    if need_bytes:
        free = shutil.disk_usage(base).free
        if free < need_bytes:
            raise OutputError(
                f"{what} {path}: the run writes ~{need_bytes / 1e9:.3g} GB but only "
                f"{free / 1e9:.3g} GB are free there"
            )


def check_output_file(path: Path, what: str = "output file") -> None:
    """Refuse, before any work, a file path that cannot be written as a regular file: an
    existing folder or device (``/dev/full``), a path under a regular file, a folder where
    files cannot be created: :class:`OutputError` with one line."""
    if path.exists():
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise OutputError(f"{what} {path}: is a folder; give a file name")
        if not stat.S_ISREG(mode):
            raise OutputError(f"{what} {path}: is not a regular file (a device or pipe)")
    _probe_dir(_nearest_existing(path.parent), what, path)


def atomic_output(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary name next to ``path`` and rename it to ``path``:
    ``path`` is never left half-written (a full disk mid-write leaves the old file, or none).
    Missing parent folders are created. Raises the ``OSError`` of a failed write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path)
    try:
        write(tmp)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def file_entries(folder: Path) -> list[dict[str, Any]]:
    """One manifest entry per file or sub-folder in ``folder`` (sorted by name), with its
    kind, size in bytes (not for manifest.json itself), and row count (Parquet) or file count
    (folders). Names that are not
    in :data:`RUN_FILES` are listed with kind ``"other"``; temporary files are skipped."""
    out: list[dict[str, Any]] = []
    for p in sorted(folder.iterdir(), key=lambda q: q.name):
        if p.name.endswith(".tmp"):
            continue
        spec = _BY_NAME.get(p.name)
        entry: dict[str, Any] = {"name": p.name, "kind": spec.kind if spec else "other"}
        if p.is_dir():
            files = [q for q in p.rglob("*") if q.is_file()]
            entry["files"] = len(files)
            entry["bytes"] = sum(q.stat().st_size for q in files)
        elif p.name != "manifest.json":  # its own size changes as it is written
            entry["bytes"] = p.stat().st_size
            if p.suffix == ".parquet":
                entry["rows"] = pq.read_metadata(p).num_rows
        out.append(entry)
    return out


def record_files(folder: Path) -> None:
    """Rewrite the manifest's ``files`` to what ``folder`` holds now (after the report adds
    its files), atomically; the status is left as it is."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["files"] = file_entries(folder)
    write_json_atomic(path, manifest)


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
    power = ("generated_w", "compute_w", "battery_soc", "temperature_k")
    if pw is None:  # the same columns in every run (tables of several runs union), NULL here
        for name in power:
            table = table.append_column(name, pa.nulls(table.num_rows, pa.float64()))
        return table, every

    # per-step flows hold for [t_k, t_k+1); the last grid time starts no step
    def at_samples(flow_w: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.concatenate([flow_w, np.full((n_sat, 1), np.nan)], axis=1)[:, k].ravel()

    soc = state_of_charge(pw, per_satellite(result.scenario, eph.satellites, "battery_wh", 3600.0))
    values = (at_samples(pw.generated_w), at_samples(pw.compute_w), soc[:, k].ravel(),
              pw.temperature_k[:, k].ravel())  # fmt: skip
    for name, v in zip(power, values, strict=True):
        table = table.append_column(name, pa.array(v))
    return table, every


def _storage(result: RunResult, folder: Path) -> dict[str, Any]:
    """The metrics' ``storage`` (and ``restore``) blocks of the storage stage's report;
    nothing is simulated here."""
    report = result.storage
    assert report is not None
    block = report.to_dict()
    root = Path(report.root)
    if root.is_absolute() and root.resolve().is_relative_to(folder.resolve()):
        # the store inside the folder: relative, so it survives the final rename
        block["root"] = root.resolve().relative_to(folder.resolve()).as_posix()
    out: dict[str, Any] = {"storage": block}
    if result.restore is not None:
        out["restore"] = result.restore.to_dict()
    return out


def utc_stamp() -> str:
    """Now in UTC as ``YYYYMMDDTHHMMSSZ``: the stamp of run folder names and run ids."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _folder_names(root: Path, name: str, stamp: str) -> tuple[Path, Path]:
    """(final, partial) paths, unique among both final and partial folders under ``root``."""
    base, n = f"{name}-{stamp}", 1
    while True:
        final = root / base
        partial = root / f".{base}.partial"
        if not final.exists() and not partial.exists():
            return final, partial
        n += 1
        base = f"{name}-{stamp}-{n}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


@dataclass
class PartialRunFolder:
    """A run folder being written: ``partial`` (``root/.<name>-<stamp>.partial/``), renamed to
    ``final`` by :meth:`finish` (the protocol of the module docstring)."""

    final: Path
    partial: Path
    stamp: str

    @classmethod
    def begin(cls, root: Path, name: str) -> PartialRunFolder:
        """Create the partial folder of a run of scenario ``name`` under ``root``, its
        manifest saying ``"status": "writing"``; returns it (write into ``.partial``)."""
        stamp = utc_stamp()
        final, partial = _folder_names(root, name, stamp)
        partial.mkdir(parents=True)
        manifest = {"schema_version": SCHEMA_VERSION, "status": STATUS_WRITING,
                    "created_utc": stamp, "files": []}  # fmt: skip
        write_json_atomic(partial / "manifest.json", manifest)
        return cls(final, partial, stamp)

    def interrupt(self, exc: BaseException) -> None:
        """Mark the partial folder ``"interrupted"`` by ``exc`` (it keeps its hidden name).
        A failing disk leaves the status ``"writing"``."""
        path = self.partial / "manifest.json"
        try:
            manifest = json.loads(path.read_text())
            manifest["status"] = STATUS_INTERRUPTED
            manifest["interrupted_by"] = _one_line(exc)
            manifest["files"] = file_entries(self.partial)
            write_json_atomic(path, manifest)
        except (OSError, ValueError):  # the disk may be what failed
            pass

    def finish(self) -> Path:
        """Rename the partial folder to its final name (call once its manifest says
        ``complete``); returns the final path."""
        self.partial.rename(self.final)
        return self.final


def _bundles_summary(result: RunResult) -> dict[str, Any]:
    """The metrics block of the probe bundles: how many arrived, latency percentiles [s]."""
    b = result.bundles
    assert b is not None
    lat = b.latency_s[b.delivered]
    pct = (
        {f"latency_p{q}_s": float(np.percentile(lat, q)) for q in (50, 90, 99)} if lat.size else {}
    )
    return {
        "sent": len(b),
        "delivered": int(b.delivered.sum()),
        "size_bytes": float(b.size_bytes.max()) if len(b) else 0.0,
        "latency_min_s": float(lat.min()) if lat.size else None,
        "latency_max_s": float(lat.max()) if lat.size else None,
        **pct,
    }


def write_run_folder(
    result: RunResult,
    summary: dict[str, Any],
    root: Path = Path("runs"),
    scenario_file: str | None = None,
    assessment: dict[str, Any] | None = None,
    folder: PartialRunFolder | None = None,
) -> Path:
    """Write the run folder of the finished ``result`` and return its (final) path.

    Everything goes into ``root/.<name>-<stamp>.partial/`` first (``folder``: one opened with
    :meth:`PartialRunFolder.begin`, e.g. holding the run's object store; default: a new one); the
    folder is renamed to ``root/<name>-<stamp>/`` once complete (see the module docstring).
    On any exception, including ``KeyboardInterrupt``, the partial folder's manifest says
    ``"interrupted"`` and the exception propagates. ``summary`` gains the ``storage`` (and
    ``restore``) blocks of ``result.storage``.
    """
    rf = folder if folder is not None else PartialRunFolder.begin(root, result.scenario.name)
    folder_path = rf.partial
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "status": STATUS_WRITING,
        "scenario": result.scenario.model_dump(mode="json"),
        "scenario_file": scenario_file,
        "seed": result.scenario.seed,
        "created_utc": rf.stamp,
        "versions": _versions(),
        "timings_s": result.timings_s,
        "positions_every_nth_step": None,
        "files": [],
    }
    run_id, epoch = rf.final.name, result.contacts.epoch

    def table(name: str, t: pa.Table) -> None:  # query-ready (orbitcloud.run.tables)
        write_parquet_atomic(conform(name, t, run_id, epoch), folder_path / name)

    try:
        write_json_atomic(folder_path / "manifest.json", manifest)
        table("contacts.parquet", result.contacts.to_arrow())
        positions, every = _positions_table(result)
        manifest["positions_every_nth_step"] = every
        table("positions.parquet", positions)
        if result.workload is not None:
            wl = result.scenario.workload
            table("jobs.parquet", result.workload.jobs_table(
                result.contacts.nodes.names,
                [a.name for a in wl.areas] if wl is not None else None,
                [r.name for r in wl.requests] if wl is not None else None,
            ))  # fmt: skip
        if result.storage is not None:
            table("storage.parquet", result.storage.objects_table())
            summary.update(_storage(result, folder_path))
        if result.bundles is not None:
            table("bundles.parquet", result.bundles.to_arrow())
            summary["bundles"] = _bundles_summary(result)
        if result.users is not None:
            table("users.parquet", result.users.to_arrow())
        if result.scenario.threats and (result.workload or result.storage) is not None:
            summary["security"] = security_summary(result)  # the services acted on them
        if len(result.events):
            table("events.parquet", result.events.to_arrow())
        if assessment is not None:
            write_json_atomic(folder_path / "assessment.json", assessment)
            if assessment.get("roadmap"):
                table("roadmap.parquet", roadmap_arrow(assessment["roadmap"]["table"]))
        write_text_atomic(folder_path / "metrics.json", json.dumps(summary, indent=2) + "\n")
    except BaseException as exc:
        manifest["status"] = STATUS_INTERRUPTED
        manifest["interrupted_by"] = _one_line(exc)
        try:
            manifest["files"] = file_entries(folder_path)
            write_json_atomic(folder_path / "manifest.json", manifest)
        except OSError:  # the disk may be what failed; the status stays "writing"
            pass
        raise
    manifest["status"] = STATUS_COMPLETE
    manifest["files"] = file_entries(folder_path)
    write_json_atomic(folder_path / "manifest.json", manifest)
    return rf.finish()
