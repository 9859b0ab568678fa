"""Scenario section ``assessment:``: lifecycle carbon, water and cost options and overrides.

Every field is optional; an absent section assesses the scenario with the shipped parameters
(:mod:`orbitcloud.assess`), Falcon 9 at the full-lifecycle boundary and the 2023 EU grid.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from orbitcloud.scenario.base import _Model
from orbitcloud.scenario.parameters import (
    close_matches_message,
    grid_keys,
    load_parameters,
    parse_grid,
)

__all__ = ["AssessmentSpec", "LaunchBoundary", "Launcher", "RoadmapSpec"]

Launcher = Literal["falcon9", "starship", "ariane6"]
LaunchBoundary = Literal["combustion-production", "lifecycle", "lifecycle-high-altitude"]


#: Longest roadmap [years] (the cohort arrays grow with its square).
MAX_ROADMAP_YEARS = 100


class RoadmapSpec(_Model):
    """A yearly build-out to a capacity target, against the ground (orbitcloud.assess.roadmap)."""

    start_year: int = Field(2026, ge=2000, le=2200, description="first year of the roadmap")
    end_year: int = Field(2050, ge=2000, le=2200, description="last year (inclusive)")
    capacity_mw: dict[int, float] = Field(
        ...,
        description="milestones year -> MW of IT in orbit (nameplate), linear between them, "
        "0 before the first, e.g. {2036: 10, 2040: 200, 2050: 1000}",
    )
    launchers: dict[int, Launcher] = Field(
        default_factory=dict,
        description="year -> launcher flying from that year on (e.g. {2026: falcon9, 2035: "
        "starship}); default: assessment.launcher every year",
    )
    max_launches_per_year: float | None = Field(
        None, gt=0, le=10_000, description="launch cadence limit; shortfalls carry over"
    )
    grid: str = Field(
        "EU",
        description="ground grid: a COUNTRY (its trajectory to 2050 from the parameter file) "
        "or COUNTRY:YEAR (that year's intensity held constant)",
    )
    accounting: Literal["cumulative", "attributed"] = Field(
        "cumulative",
        description="cumulative: emissions counted when they happen; attributed: each "
        "cohort's manufacturing, launch and end-of-life emissions spread over its lifetime energy",
    )

    @field_validator("capacity_mw")
    @classmethod
    def _milestones(cls, v: dict[int, float]) -> dict[int, float]:
        if not v:
            raise ValueError("capacity_mw needs at least one milestone, e.g. {2050: 1000}")
        bad = {y: mw for y, mw in v.items() if not (0 <= mw <= 1e7) or not 2000 <= y <= 2200}
        if bad:
            raise ValueError(f"capacity_mw {bad}: years 2000-2200 and MW between 0 and 1e7 allowed")
        return v

    @field_validator("grid")
    @classmethod
    def _known_grid(cls, v: str) -> str:
        country, sep, year = v.strip().upper().partition(":")
        params = load_parameters()
        if sep:
            parse_grid(v)
        elif not any(k.startswith(f"grid.{country}.") for k in params):
            countries = sorted({k.split(":")[0] for k in grid_keys(params)})
            raise ValueError(
                f"roadmap grid {v!r}: no carbon intensity for that country; available: "
                f"{', '.join(countries)} (or COUNTRY:YEAR)"
            )
        return f"{country}{sep}{year}"

    @model_validator(mode="after")
    def _years(self) -> RoadmapSpec:
        if self.end_year < self.start_year:
            raise ValueError(
                f"end_year {self.end_year} is before start_year {self.start_year}; the "
                "roadmap runs from start_year to end_year inclusive"
            )
        if self.end_year - self.start_year >= MAX_ROADMAP_YEARS:
            raise ValueError(
                f"start_year {self.start_year} to end_year {self.end_year} is "
                f"{self.end_year - self.start_year + 1} years; at most {MAX_ROADMAP_YEARS} allowed"
            )
        return self


class AssessmentSpec(_Model):
    """How to compare the scenario's orbital data centre with a ground one."""

    launcher: Launcher = Field(
        "falcon9", description="launcher whose emission factor, payload and price apply"
    )
    launch_boundary: LaunchBoundary = Field(
        "lifecycle",
        description="launch accounting boundary: combustion-production (combustion + vehicle "
        "production), lifecycle (full ESA-LCA style), lifecycle-high-altitude (with "
        "high-altitude forcing)",
    )
    grid: str = Field(
        "EU:2023", description="ground data centre's grid, COUNTRY:YEAR, e.g. EU:2023, FR:2023"
    )
    target_mw: float | None = Field(
        None, gt=0, le=1e6, description="capacity target [MW of IT] to size modules and launches"
    )
    build_years: float = Field(
        10.0, gt=0, le=100, description="years over which the target capacity is deployed"
    )
    design_life_years: float | None = Field(
        None, gt=0, le=50, description="module design life [yr]; default: ops.design_life_yr"
    )
    mass_source: Literal["scenario", "bottom-up"] = Field(
        "scenario",
        description="module mass: the hardware's mass_kg when given (scenario), or always the "
        "bottom-up sizing from specific masses",
    )
    uncertainty_trials: int = Field(
        2000, ge=100, le=200_000, description="Monte Carlo trials for the uncertainty band"
    )
    overrides: dict[str, float] = Field(
        default_factory=dict,
        description="parameter name -> value, replacing the shipped parameter file's value",
    )
    roadmap: RoadmapSpec | None = Field(
        None, description="yearly build-out to a target, business case and launcher condition"
    )

    @field_validator("overrides")
    @classmethod
    def _known_parameters(cls, v: dict[str, float]) -> dict[str, float]:
        too_long = [k for k in v if len(k) > 200]  # no fuzzy matching of a 10 MB name
        if too_long:
            raise ValueError(
                f"parameter name {too_long[0][:60]!r}... ({len(too_long[0])} characters) is "
                "not a parameter of the shipped parameter file"
            )
        params = load_parameters()
        unknown = [k for k in v if k not in params]
        if unknown:
            raise ValueError(close_matches_message(unknown, list(params)))
        return v

    @field_validator("grid")
    @classmethod
    def _known_grid(cls, v: str) -> str:
        parse_grid(v)
        country, _, year = v.strip().partition(":")
        return f"{country.upper()}:{year}"
