"""Scenario section ``assessment:``: lifecycle carbon, water and cost options and overrides.

Every field is optional; an absent section assesses the scenario with the shipped parameters
(:mod:`orbitcloud.assess`), Falcon 9 at the full-lifecycle boundary and the 2023 EU grid.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from orbitcloud.scenario.base import _Model
from orbitcloud.scenario.parameters import close_matches_message, load_parameters, parse_grid

__all__ = ["AssessmentSpec", "LaunchBoundary", "Launcher"]

Launcher = Literal["falcon9", "starship", "ariane6"]
LaunchBoundary = Literal["combustion-production", "lifecycle", "lifecycle-high-altitude"]


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
