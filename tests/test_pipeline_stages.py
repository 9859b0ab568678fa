"""A run computes the stages asked for and those they need, and nothing later."""

from __future__ import annotations

import numpy as np
import pytest

from orbitcloud.pipeline import STAGES, run_pipeline
from orbitcloud.scenario import load_scenario


@pytest.fixture(scope="module")
def milsca_1h():
    return load_scenario("milsca").model_copy(update={"duration_s": 3600.0})


def test_contacts_stage_stops_before_power_and_workload(milsca_1h):
    """``stages=("contacts",)`` gives the same contact plan as a full run (every column), with
    no power budget, no workload and no timing for the later stages."""
    full = run_pipeline(milsca_1h)
    only = run_pipeline(milsca_1h, stages=("contacts",))
    assert full.power is not None and full.workload is not None
    assert only.power is None and only.workload is None
    assert set(only.timings_s) == {"satellites", "orbits", "contacts"}
    assert full.contacts.to_arrow().equals(only.contacts.to_arrow())
    assert np.array_equal(full.ephemeris.r_ecef_km, only.ephemeris.r_ecef_km, equal_nan=True)


def test_power_stage_runs_contacts_but_no_workload(milsca_1h):
    r = run_pipeline(milsca_1h, stages=("power",))
    assert r.power is not None and r.workload is None
    assert "compute" not in r.timings_s


def test_unknown_stage_is_refused_with_the_list(milsca_1h):
    with pytest.raises(ValueError, match="unknown stage.*'route'.*" + ", ".join(STAGES)):
        run_pipeline(milsca_1h, stages=("route",))
