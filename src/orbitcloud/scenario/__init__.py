"""Scenario files: schema (pydantic models), loading and readable errors."""

from orbitcloud.scenario.errors import Problem, ScenarioError
from orbitcloud.scenario.loader import load_scenario, resolve_source
from orbitcloud.scenario.models import Scenario

__all__ = ["Problem", "Scenario", "ScenarioError", "load_scenario", "resolve_source"]
