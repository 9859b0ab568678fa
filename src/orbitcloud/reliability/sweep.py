"""Durability sweeps: many seeded Monte Carlo trials over a parameter grid, on a local process
pool or a Dask cluster, results to Parquet (``orbitcloud sweep SWEEP.yaml``).

A sweep file names a base design (:class:`DesignSpec`), a grid (field name → list of values,
crossed as a cartesian product), the trials per grid point and a seed::

    name: durability
    seed: 20260320
    trials: 10000
    design:
      satellites: 100
      planes: 10
      annual_failure_probability: 0.02
      policies:
        - {kind: replication, copies: 3}
        - {kind: erasure, k: 4, m: 2}
    grid:
      annual_failure_probability: [0.01, 0.02, 0.05]

Work is cut into tasks of whole blocks of trials
(:data:`~orbitcloud.reliability.durability.BLOCK_TRIALS`); block ``b`` draws from
``SeedSequence(seed, spawn_key=(b,))`` at *every* grid point (common random numbers across the
grid, so differences between points are not sampling noise). Results therefore depend on the
seed only, not on how blocks are grouped into tasks nor where the tasks run.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, ValidationError, model_validator

from orbitcloud.executor import Executor, SerialExecutor
from orbitcloud.faults.schedule import YEAR_S, Lifetimes
from orbitcloud.progress import NullProgress, Progress
from orbitcloud.reliability.durability import (
    BlockTask,
    DurabilityDesign,
    Policy,
    blocks_of,
    run_block_task,
    summarise_stats,
)
from orbitcloud.scenario.base import _Model
from orbitcloud.scenario.errors import Problem, ScenarioError

# the scenario loader's YAML position helpers (one implementation for every file we read)
from orbitcloud.scenario.loader import _format_path, _plain, _yaml_line, read_yaml_file

__all__ = [
    "DesignSpec",
    "SweepError",
    "SweepSpec",
    "list_sweeps",
    "load_sweep",
    "run_sweep",
    "sweep_path",
]

_SWEEPS = Path(__file__).parents[1] / "examples" / "sweeps"
Spread = Literal["satellite", "plane"]


class ReplicationSpec(_Model):
    """``copies`` full copies; any one reads the object."""

    kind: Literal["replication"]
    copies: int = Field(ge=1, le=64)
    spread: Spread = "plane"
    name: str = ""

    def policy(self) -> Policy:
        return Policy.replication(self.copies, self.spread, self.name)


class ErasureSpec(_Model):
    """Erasure coding ``k + m``: any ``k`` of the ``k + m`` shards rebuild the object."""

    kind: Literal["erasure"]
    k: int = Field(ge=1, le=64)
    m: int = Field(ge=0, le=64)
    spread: Spread = "plane"
    name: str = ""

    def policy(self) -> Policy:
        return Policy.erasure(self.k, self.m, self.spread, self.name)


PolicySpec = Annotated[ReplicationSpec | ErasureSpec, Field(discriminator="kind")]


class DesignSpec(_Model):
    """A durability design (see :mod:`orbitcloud.reliability.durability` for the model)."""

    satellites: int = Field(100, ge=1, le=100_000)
    planes: int = Field(10, ge=1)
    annual_failure_probability: float = Field(
        0.02, ge=0.0, lt=1.0, description="per satellite-year, e.g. 0.02 (0.005-0.03)"
    )
    weibull_shape: float = Field(1.0, gt=0.0, description="1 = exponential, < 1 infant mortality")
    weibull_scale_years: float | None = Field(
        None, gt=0.0, description="explicit Weibull scale; overrides annual_failure_probability"
    )
    storms_per_year: float = Field(0.0, ge=0.0)
    storm_scope: Literal["plane", "fraction"] = "plane"
    storm_fraction: float = Field(0.1, ge=0.0, le=1.0)
    mission_years: float = Field(5.0, gt=0.0, le=100.0)
    shard_bytes: float = Field(1e9, gt=0.0)
    repair_bandwidth_bps: float = Field(1e9, gt=0.0)
    scrub_interval_s: float = Field(86_400.0, ge=0.0)
    repair: bool = True
    repair_time: Literal["deterministic", "exponential"] = "deterministic"
    station_availability: tuple[Annotated[float, Field(ge=0.0, le=1.0)], ...] = ()
    policies: list[PolicySpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _planes_fit(self) -> DesignSpec:
        if self.planes > self.satellites:
            raise ValueError(f"planes ({self.planes}) cannot exceed satellites ({self.satellites})")
        return self

    def design(self) -> DurabilityDesign:
        if self.weibull_scale_years is not None:
            lifetimes = Lifetimes(self.weibull_shape, self.weibull_scale_years * YEAR_S)
        else:
            lifetimes = Lifetimes.from_annual_failure_probability(
                self.annual_failure_probability, self.weibull_shape
            )
        return DurabilityDesign(
            n_satellites=self.satellites,
            n_planes=self.planes,
            lifetimes=lifetimes,
            storms_per_year=self.storms_per_year,
            storm_scope=self.storm_scope,
            storm_fraction=self.storm_fraction,
            mission_s=self.mission_years * YEAR_S,
            shard_bytes=self.shard_bytes,
            repair_bandwidth_bps=self.repair_bandwidth_bps,
            scrub_interval_s=self.scrub_interval_s,
            repair=self.repair,
            repair_time=self.repair_time,
            station_availability=tuple(self.station_availability),
        )

    def policy_list(self) -> list[Policy]:
        return [p.policy() for p in self.policies]


GridValue = bool | int | float | str
_GRIDDABLE = tuple(k for k in DesignSpec.model_fields if k not in ("policies",))


class SweepSpec(_Model):
    """A sweep file: base design, grid, trials per point, seed."""

    name: str = "sweep"
    description: str = ""
    seed: int = Field(0, ge=0)
    trials: int = Field(10_000, ge=1, le=100_000_000)
    blocks_per_task: int = Field(4, ge=1, description="blocks of trials per task (any value)")
    design: DesignSpec
    grid: dict[str, list[GridValue]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _grid_fields(self) -> SweepSpec:
        for key, values in self.grid.items():
            if key not in _GRIDDABLE:
                raise ValueError(
                    f"grid: unknown design field {key!r}; allowed: {', '.join(_GRIDDABLE)}"
                )
            if not values:
                raise ValueError(f"grid.{key}: give at least one value")
        return self

    def points(self) -> list[dict[str, GridValue]]:
        """Every grid point (cartesian product, first key varying slowest)."""
        keys = list(self.grid)
        return [
            dict(zip(keys, combo, strict=True)) for combo in itertools.product(*self.grid.values())
        ]

    def point_designs(self) -> list[tuple[DesignSpec, DurabilityDesign]]:
        """The design at every grid point, validated (errors name the point)."""
        out = []
        base = self.design.model_dump()
        for i, point in enumerate(self.points()):
            label = ", ".join(f"{k}={v!r}" for k, v in point.items())
            try:
                spec = DesignSpec.model_validate({**base, **point})
                design = spec.design()
                for p in spec.policy_list():
                    design.check(p)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = _format_path(tuple(first["loc"]))
                raise ValueError(
                    f"grid point {i} ({label}): {where}: {first['msg']} "
                    f"(got {first.get('input')!r})"
                ) from None
            except ValueError as exc:
                raise ValueError(f"grid point {i} ({label}): {exc}") from None
            out.append((spec, design))
        return out


class SweepError(ScenarioError):
    """A sweep file could not be loaded; ``problems`` lists every reason (file:line)."""


def list_sweeps() -> list[str]:
    """Names of the built-in sweep files, sorted."""
    return sorted(p.stem for p in _SWEEPS.glob("*.yaml"))


def sweep_path(source: str | Path) -> Path:
    """The sweep file for ``source``: an existing path, or a built-in sweep's name."""
    path = Path(source)
    if path.exists():
        return path
    if str(source) in list_sweeps():
        return _SWEEPS / f"{source}.yaml"
    raise SweepError(
        [
            Problem(
                str(source),
                None,
                "",
                "no such file and no built-in sweep of that name; built-in: "
                + ", ".join(list_sweeps()),
            )
        ]
    )


def load_sweep(source: str | Path | Mapping[str, Any]) -> SweepSpec:
    """Read and validate a sweep file (or dict, or built-in name).

    Raises:
        SweepError: every problem, as ``file:line: field: message (got value)``.
    """
    if isinstance(source, Mapping):
        doc: Any = dict(source)
        label = "<dict>"
    else:
        path = sweep_path(source)
        label = str(path)
        try:
            doc = read_yaml_file(path, "sweep file")
        except ScenarioError as exc:
            raise SweepError(exc.problems) from None
        if not isinstance(doc, Mapping):
            raise SweepError(
                [Problem(label, 1, "", "a sweep file is a mapping (design:, grid:, ...)")]
            )
    try:
        return SweepSpec.model_validate(_plain(doc))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(x for x in err["loc"] if x not in ("replication", "erasure"))
            file, line = _yaml_line(doc, loc, label)
            msg = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = f"unknown field {loc[-1]!r}; allowed: {', '.join(_allowed(loc[:-1]))}"
            elif err["type"] == "missing":
                msg = "required field is missing"
            elif not isinstance(err.get("input"), dict | list):
                msg += f" (got {err.get('input')!r})"
            problems.append(Problem(file, line, _format_path(loc), msg))
        raise SweepError(problems) from None


def _allowed(loc: tuple[Any, ...]) -> list[str]:
    """Field names allowed at ``loc`` of a sweep file (for 'unknown field' messages)."""
    if not loc:
        return list(SweepSpec.model_fields)
    if loc == ("design",):
        return list(DesignSpec.model_fields)
    if loc[:2] == ("design", "policies"):
        return sorted(set(ReplicationSpec.model_fields) | set(ErasureSpec.model_fields))
    return []


def run_sweep(
    spec: SweepSpec, executor: Executor | None = None, progress: Progress | None = None
) -> pa.Table:
    """Run every grid point: one row per (point, policy), grid values as leading columns,
    then the durability columns of :func:`orbitcloud.reliability.durability.summarise_stats`."""
    designs = spec.point_designs()
    blocks = blocks_of(spec.trials)
    tasks = [
        BlockTask(design, tuple(ds.policy_list()), spec.seed, tuple(blocks[b : b + step]))
        for ds, design in designs
        for step in (spec.blocks_per_task,)
        for b in range(0, len(blocks), step)
    ]
    ex = executor or SerialExecutor()
    with (progress or NullProgress()).task(f"sweep {spec.name}", len(tasks)) as bar:
        results = ex.map(run_block_task, tasks, lambda _i: bar.advance())
    n_task = len(tasks) // len(designs)
    cols: dict[str, list[Any]] = {"point": []}
    cols.update({k: [] for k in spec.grid})
    for i, ((ds, design), point) in enumerate(zip(designs, spec.points(), strict=True)):
        per_block = np.concatenate(results[i * n_task : (i + 1) * n_task])
        policies = ds.policy_list()
        summary = summarise_stats(design, policies, per_block.sum(axis=0))
        for key in ("point", *spec.grid):
            cols[key] += [i if key == "point" else point[key]] * len(policies)
        for key, values in summary.items():
            cols.setdefault(key, []).extend(values)
    table = pa.table(cols)
    meta = {
        b"orbitcloud.reliability.sweep": spec.model_dump_json().encode(),
        b"orbitcloud.created": dt.datetime.now(dt.UTC).isoformat().encode(),
        b"orbitcloud.note": json.dumps(
            {"p_loss interval": "95 % Wilson", "availability": "time with >= k live shards"}
        ).encode(),
    }
    return table.replace_schema_metadata(meta)
