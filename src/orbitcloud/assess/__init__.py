"""Assessment: lifecycle carbon, water and cost of the orbital data centre against a ground one.

``assess_scenario(scenario, run_metrics)`` returns an :class:`Assessment` whose ``to_dict()``
is ``assessment.json``. The numbers come from the sourced parameter file
``orbitcloud/scenario/data/assessment_parameters.yaml`` (value, unit, low, high, source; read by
:mod:`orbitcloud.scenario.parameters`, since the scenario validates its overrides against it),
every one of which a scenario can override under ``assessment: {overrides: {...}}``.
"""

from orbitcloud.assess.carbon import LAUNCH_BOUNDARIES, LAUNCHERS
from orbitcloud.assess.fleet import Fleet, fleet_of
from orbitcloud.assess.model import Options, evaluate
from orbitcloud.assess.report import Assessment, assess_scenario
from orbitcloud.assess.sensitivity import TornadoBar, tornado, uncertainty_band
from orbitcloud.scenario.parameters import Parameter, ParameterSet, load_parameters, parse_grid

__all__ = [
    "LAUNCHERS",
    "LAUNCH_BOUNDARIES",
    "Assessment",
    "Fleet",
    "Options",
    "Parameter",
    "ParameterSet",
    "TornadoBar",
    "assess_scenario",
    "evaluate",
    "fleet_of",
    "load_parameters",
    "parse_grid",
    "tornado",
    "uncertainty_band",
]
