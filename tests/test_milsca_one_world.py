"""Issue 13's check on the built-in example: milsca loses milsca-2-4 at t = 7,200 s (its
top-level ``faults:``), and every stage of one run feels it."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from orbitcloud.api import load_scenario, run_pipeline
from orbitcloud.links.contactplan import KINDS

LOST, T_LOSS_S = "milsca-2-4", 7200.0


@pytest.fixture(scope="module")
def run():
    sc = load_scenario("milsca").model_copy(update={"duration_s": 4 * 3600.0})
    return run_pipeline(sc)


def test_no_job_starts_on_the_lost_satellite_after_its_loss(run):
    """Every job row placed on milsca-2-4 started before 7,200 s (before the fault timeline
    was shared, 50 in-orbit jobs ran there afterwards), and other satellites took work after."""
    t = run.workload.jobs_table(run.contacts.nodes.names)
    on = t.filter(pc.equal(t["node"], LOST)).to_pydict()
    assert all(s < T_LOSS_S for s in on["started_s"] if s is not None and np.isfinite(s))
    later = t.filter(pc.greater(t["started_s"], T_LOSS_S))
    assert later.num_rows > 0


def test_its_contacts_end_at_the_loss_and_its_power_is_zero(run):
    """The plan every service books on has none of its contacts open after 7,200 s, and its
    power budget generates and computes nothing from the loss step on."""
    i = run.contacts.nodes.names.index(LOST)
    p = run.contacts
    mine = (p.src == i) | (p.dst == i)
    assert mine.any()
    assert (p.end_s[mine] <= T_LOSS_S + 1e-9).all()
    isl = mine & (p.kind == KINDS.index("isl"))
    assert isl.any()
    k = int(np.searchsorted(run.ephemeris.grid.t_s, T_LOSS_S, side="right")) - 1
    assert run.power.generated_w[i, k + 1 :].max() == 0.0
    assert run.power.compute_w[i, k + 1 :].max() == 0.0
    assert run.power.generated_w[i, :k].max() > 0.0
    assert run.faults.loss_s[i] == T_LOSS_S
