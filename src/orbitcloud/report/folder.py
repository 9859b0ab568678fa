"""Read a run folder for the report: which files exist, and each one loaded once, on demand.

A run folder (``runs/<scenario>-<stamp>/``, see :mod:`orbitcloud.run.folder`) always holds
``manifest.json``; the other files appear when their stage ran. The files and what each holds
are listed once, in :data:`orbitcloud.run.folder.RUN_FILES` (shared with the writer and the
manifest); :meth:`RunFolder.has` refuses a name that is not in that list. What the report
draws from each:

====================  =====================================================================
file                  what the report draws from it
====================  =====================================================================
metrics.json          summary; per-station coverage; "power"/"compute"/"security" blocks
contacts.parquet      contact timeline per station, links over time, CZML link lines
positions.parquet     ground tracks, eclipses, battery/power timelines, CZML satellites
routes.parquet        round-trip-time distributions and path changes
jobs.parquet          compute jobs, in orbit vs on the ground
events.parquet        service events (storage repairs, faults)
storage.parquet       stored objects: durability, losses
assessment.json       carbon/water/cost comparison and the sensitivity tornado
bundles.parquet       bundle delivery latency (runs with a ``bundles:`` section)
====================  =====================================================================

Tables are read with pyarrow the first time they are asked for; a missing file reads as
``None`` so each report section asks ``run.has("routes.parquet")`` or tests for ``None``.
:func:`open_run_folder` refuses a folder whose manifest ``status`` is not ``complete`` (an
interrupted or still-running ``orbitcloud run``); manifests from before the status field
(no ``schema_version``) are read as complete.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from orbitcloud.run.folder import STATUS_COMPLETE, run_file

#: Constellation kinds whose nodes are beyond Earth orbit.
SPACE_KINDS = ("surface", "orbiter", "ephemeris")

__all__ = [
    "SPACE_KINDS",
    "RunFolder",
    "RunFolderError",
    "Samples",
    "codes",
    "column_f64",
    "open_run_folder",
    "pivot_positions",
]


class RunFolderError(ValueError):
    """A path that is not a readable run folder (names the path and what is missing)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class RunFolder:
    """One run folder; every file is read lazily (at most once) and ``None`` when absent.

    Attributes:
        path: the folder.
    """

    path: Path

    def has(self, name: str) -> bool:
        """True if the folder holds the file ``name`` (e.g. ``"routes.parquet"``); ``name``
        must be one of :data:`orbitcloud.run.folder.RUN_FILES` (``KeyError`` otherwise)."""
        run_file(name)
        return (self.path / name).is_file()

    def _json(self, name: str) -> dict[str, Any] | None:
        if not self.has(name):
            return None
        try:
            data = json.loads((self.path / name).read_text())
        except json.JSONDecodeError as exc:
            raise RunFolderError(self.path / name, f"not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise RunFolderError(self.path / name, "expected a JSON object at the top level")
        return data

    def _table(self, name: str) -> pa.Table | None:
        if not self.has(name):
            return None
        try:
            return pq.read_table(self.path / name)
        except (pa.ArrowInvalid, OSError) as exc:
            raise RunFolderError(self.path / name, f"not a readable Parquet file ({exc})") from None

    @cached_property
    def manifest(self) -> dict[str, Any]:
        data = self._json("manifest.json")
        if data is None:  # pragma: no cover - open_run_folder checks this first
            raise RunFolderError(self.path, "no manifest.json")
        return data

    @cached_property
    def metrics(self) -> dict[str, Any] | None:
        return self._json("metrics.json")

    @cached_property
    def assessment(self) -> dict[str, Any] | None:
        return self._json("assessment.json")

    @cached_property
    def contacts(self) -> pa.Table | None:
        return self._table("contacts.parquet")

    @cached_property
    def positions(self) -> pa.Table | None:
        return self._table("positions.parquet")

    @cached_property
    def samples(self) -> Samples | None:
        """positions.parquet as ``[n_sat, n_time]`` grids (see :func:`pivot_positions`)."""
        return None if self.positions is None else pivot_positions(self.positions)

    @cached_property
    def routes(self) -> pa.Table | None:
        return self._table("routes.parquet")

    @cached_property
    def jobs(self) -> pa.Table | None:
        return self._table("jobs.parquet")

    @cached_property
    def events(self) -> pa.Table | None:
        return self._table("events.parquet")

    @cached_property
    def storage(self) -> pa.Table | None:
        return self._table("storage.parquet")

    @cached_property
    def bundles(self) -> pa.Table | None:
        return self._table("bundles.parquet")

    @cached_property
    def space_nodes(self) -> list[str]:
        """Names of the nodes beyond Earth orbit: the sites and satellites of the scenario's
        constellations of kind ``surface``, ``orbiter`` or ``ephemeris``."""
        out: list[str] = []
        for c in self.scenario.get("constellations") or []:
            if not isinstance(c, dict) or c.get("kind") not in SPACE_KINDS:
                continue
            items = c.get("sites") if c.get("kind") == "surface" else c.get("satellites")
            out += [str(x["name"]) for x in items or [] if isinstance(x, dict) and "name" in x]
        return out

    @property
    def scenario(self) -> dict[str, Any]:
        """The resolved scenario as written in the manifest (a plain dict)."""
        sc = self.manifest.get("scenario")
        return sc if isinstance(sc, dict) else {}

    @property
    def name(self) -> str:
        return str(self.scenario.get("name", self.path.name))

    @property
    def epoch(self) -> dt.datetime:
        """Aware UTC datetime of ``t_s == 0``."""
        text = str(self.scenario.get("epoch", "2000-01-01T00:00:00Z")).replace("Z", "+00:00")
        epoch = dt.datetime.fromisoformat(text)
        return epoch if epoch.tzinfo else epoch.replace(tzinfo=dt.UTC)

    @property
    def duration_s(self) -> float:
        return float(self.scenario.get("duration_s", 0.0))

    @property
    def stations(self) -> list[dict[str, Any]]:
        """Ground stations of the scenario (name, lat_deg, lon_deg, alt_m, ...)."""
        st = self.scenario.get("ground_stations") or []
        return [s for s in st if isinstance(s, dict)]


def open_run_folder(path: Path | str) -> RunFolder:
    """A :class:`RunFolder` for ``path``; raises :class:`RunFolderError` unless it is a
    folder with a ``manifest.json`` (what ``orbitcloud run`` writes)."""
    p = Path(path)
    if not p.is_dir():
        raise RunFolderError(p, "not a folder; pass a run folder written by `orbitcloud run`")
    if not (p / "manifest.json").is_file():
        raise RunFolderError(
            p, "no manifest.json here; pass a run folder written by `orbitcloud run`"
        )
    run = RunFolder(p)
    manifest = run.manifest
    status = manifest.get("status", STATUS_COMPLETE if "schema_version" not in manifest else None)
    if status != STATUS_COMPLETE:
        why = manifest.get("interrupted_by")
        raise RunFolderError(
            p,
            f"the run did not complete (manifest status {status!r}"
            + (f": {why}" if why else "")
            + "); run the scenario again",
        )
    return run


def codes(column: pa.ChunkedArray | pa.Array) -> tuple[NDArray[np.int64], list[str]]:
    """Integer codes and their names for a string (or dictionary) column.

    Returns:
        codes: int64[n_row] into ``names``; names: list[n_distinct], in order of first use
        for plain strings, the dictionary's order for dictionary columns.
    """
    if isinstance(column, pa.ChunkedArray):
        if pa.types.is_dictionary(column.type):
            # chunks may carry different dictionaries: unify them first
            column = column.unify_dictionaries()
        arr = column.combine_chunks()
    else:
        arr = column
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    return (
        np.asarray(arr.indices.to_numpy(zero_copy_only=False), dtype=np.int64),
        [str(x) for x in arr.dictionary.to_pylist()],
    )


def column_f64(table: pa.Table, name: str) -> NDArray[np.float64]:
    """A numeric column as float64 (nulls become NaN)."""
    col = table.column(name)
    return np.asarray(pc.fill_null(pc.cast(col, pa.float64()), np.nan).to_numpy(), dtype=np.float64)


@dataclass(frozen=True)
class Samples:
    """``positions.parquet`` pivoted to grids: one row per satellite, one column per time.

    Attributes:
        t_s: float64[n_time] sample times, seconds since the epoch, increasing.
        names: list[n_sat] satellite names (the file's order).
        values: column name → float64[n_sat, n_time] (NaN where the file has no row;
            ``sunlit`` as 1.0/0.0).
    """

    t_s: NDArray[np.float64]
    names: list[str]
    values: dict[str, NDArray[np.float64]]

    @property
    def n_sat(self) -> int:
        return len(self.names)

    def has(self, column: str) -> bool:
        return column in self.values

    def without(self, names: list[str]) -> Samples:
        """These samples without the rows of ``names`` (e.g. the nodes beyond Earth orbit)."""
        drop = set(names)
        keep = np.array([n not in drop for n in self.names], dtype=bool)
        rows = [n for n in self.names if n not in drop]
        return Samples(self.t_s, rows, {k: v[keep] for k, v in self.values.items()})


def pivot_positions(table: pa.Table) -> Samples:
    """Pivot the long ``positions.parquet`` table (one row per satellite and time) to
    ``[n_sat, n_time]`` grids, vectorised (no loop over satellites or times)."""
    sat, names = codes(table.column("sat"))
    used, sat = np.unique(sat, return_inverse=True)
    t_s, ti = np.unique(column_f64(table, "t_s"), return_inverse=True)
    values: dict[str, NDArray[np.float64]] = {}
    for name in table.column_names:
        col = table.column(name)
        numeric = pa.types.is_floating(col.type) or pa.types.is_boolean(col.type)
        if name in ("t_s", "sat") or not numeric or col.null_count == len(col):
            continue  # run_id, the UTC twins, and power columns of a run without power
        grid = np.full((used.size, t_s.size), np.nan)
        grid[sat, ti] = column_f64(table, name)
        values[name] = grid
    return Samples(t_s, [names[i] for i in used], values)
