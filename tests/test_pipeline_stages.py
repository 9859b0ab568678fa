"""A run computes the stages asked for and those they need, and nothing later."""

from __future__ import annotations

import numpy as np
import pytest

from orbitcloud.run.pipeline import STAGES, run_pipeline
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


def test_compute_stage_stops_before_storage(milsca_1h, tmp_path):
    """``stages=("compute",)`` runs the workload on the run's network but no storage: no store
    is opened under ``store_root`` and the result's ``storage`` is None."""
    r = run_pipeline(milsca_1h, stages=("compute",), store_root=tmp_path / "store")
    assert r.workload is not None and r.storage is None and r.restore is None
    assert "storage" not in r.timings_s
    assert not (tmp_path / "store").exists()
    assert r.network is not None and r.network.booked_bytes.sum() > 0  # compute booked on it


def test_storage_books_on_the_network_compute_used(milsca_1h, tmp_path):
    """A full run's storage stage books on the same network as the workload, after it: the
    ledger's total is compute's bookings plus storage's, and no contact carries more than its
    volume."""
    r = run_pipeline(milsca_1h, store_root=tmp_path / "store")
    assert r.storage is not None and r.network is not None
    net = r.network
    storage = net.booked_by("storage")
    assert storage.sum() > 0
    others = sum((net.booked_by(s) for s in net.services if s != "storage"), np.zeros(len(storage)))
    assert others.sum() > 0  # compute used it too
    assert np.allclose(net.booked_bytes, storage + others, rtol=0.0, atol=1e-3)
    assert np.all(net.booked_bytes <= net.volume_bytes * (1 + 1e-9) + 1e-3)
    assert r.storage.root == str(tmp_path / "store")
