"""orbitcloud: a digital twin and control plane for data centres in orbit.

Import the public API from :mod:`orbitcloud.api` (or from here: the same names).
"""

from orbitcloud.api import (
    ContactPlan,
    Ephemeris,
    NodeTable,
    RunResult,
    Scenario,
    ScenarioError,
    TimeGrid,
    build_contact_plan,
    build_satellites,
    list_examples,
    load_scenario,
    propagate,
    run_pipeline,
)

__version__ = "0.1.0"

__all__ = [
    "ContactPlan",
    "Ephemeris",
    "NodeTable",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "TimeGrid",
    "__version__",
    "build_contact_plan",
    "build_satellites",
    "list_examples",
    "load_scenario",
    "propagate",
    "run_pipeline",
]
