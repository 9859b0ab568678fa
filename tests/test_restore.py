"""Restore from orbit: window unions (not sums) per station, against a brute-force
time-sampled integration, hand-computed cases and the rate bound on a real scenario."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.cloud.restore import restore_time
from orbitcloud.links.contactplan import ContactPlan, NodeTable

EPOCH = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)
ONE_SECOND = 1.0


def _plan(rows, stations=("A", "B", "C"), n_sat=3, duration_s=1000.0, juris=None):
    """Downlink rows (sat, station, start_s, end_s, rate_bps) into a contact plan."""
    names = [f"s{i}" for i in range(n_sat)] + list(stations)
    nodes = NodeTable(
        names,
        n_sat,
        ["c"] * n_sat + ["ground"] * len(stations),
        [""] * n_sat + list(juris or ["IT"] * len(stations)),
    )
    src = np.array([r[0] for r in rows], dtype=np.int32)
    dst = np.array([n_sat + stations.index(r[1]) for r in rows], dtype=np.int32)
    col = [np.array([r[i] for r in rows], dtype=np.float64) for i in (2, 3, 4)]
    return ContactPlan.from_light_times(
        EPOCH, duration_s, nodes, src, dst, col[0], col[1], col[2], np.full(len(rows), 0.003)
    )


def _brute_force_restore_s(plan, size_bytes, station_ids, dt_s=0.05):
    """Sample every dt: per station the best rate among open downlinks, summed."""
    t = np.arange(0.0, plan.duration_s, dt_s) + dt_s / 2
    cap = np.zeros_like(t)
    for s in station_ids:
        rows = np.nonzero((plan.dst == s) & (plan.kind == 0))[0]
        best = np.zeros_like(t)
        for r in rows:
            open_ = (plan.start_s[r] <= t) & (t < plan.end_s[r])
            best = np.maximum(best, open_ * plan.rate_bps[r] / 8)
        cap += best
    vol = np.cumsum(cap) * dt_s
    i = np.searchsorted(vol, size_bytes)
    return (i + 1) * dt_s if i < t.size else np.inf


def test_overlapping_passes_count_once_at_the_best_rate():
    """Two satellites in view of A at once ([100, 300] at 8 Mbit/s and [200, 400] at
    16 Mbit/s): A downlinks 1 MB/s over [100, 200), 2 MB/s over [200, 400): 500 MB in all,
    not the 600 MB a sum of windows would give."""
    plan = _plan([(0, "A", 100.0, 300.0, 8e6), (1, "A", 200.0, 400.0, 16e6)])
    est = restore_time(plan, 500e6)
    assert est.restore_s == pytest.approx(400.0)
    assert est.bytes_per_day == pytest.approx(500e6 / 1000.0 * 86400.0)
    assert est.station_in_view_fraction[0] == pytest.approx(0.3)
    assert not est.extrapolated
    # 150 MB: 100 MB by t = 200, then 25 s at 2 MB/s
    assert restore_time(plan, 150e6).restore_s == pytest.approx(225.0)


def test_stations_add_up_and_excluded_sites_do_not_count():
    plan = _plan([(0, "A", 0.0, 100.0, 8e6), (1, "B", 50.0, 150.0, 8e6), (2, "C", 0, 500, 8e9)])
    both = restore_time(plan, 150e6, exclude=("C",))  # 1 MB/s, then 2, then 1
    assert both.restore_s == pytest.approx(100.0)
    assert both.excluded == ("C",)
    only_a = restore_time(plan, 150e6, stations=("A",))
    assert only_a.extrapolated  # A gives 100 MB per 1000 s plan
    assert only_a.restore_s == pytest.approx(1000.0 + 50e6 / (100e6 / 1000.0))
    # sovereignty: only stations in allowed jurisdictions
    rows_j = [(0, "A", 0.0, 100.0, 8e6), (1, "B", 0.0, 100.0, 8e6)]
    plan_j = _plan(rows_j, stations=("A", "B"), juris=["IT", "US"])
    it = restore_time(plan_j, 1e6, jurisdictions={"IT"})
    assert it.stations == ("A",)
    assert "B" in it.excluded


def test_no_contact_never_restores_and_errors_teach():
    plan = _plan([(0, "A", 0.0, 100.0, 8e6)])
    assert restore_time(plan, 1e9, exclude=("A",)).restore_s == np.inf
    assert restore_time(plan, 0.0).restore_s == 0.0
    with pytest.raises(ValueError, match=r"exclude: unknown ground station\(s\) \['Nowhere'\]"):
        restore_time(plan, 1.0, exclude=("Nowhere",))
    with pytest.raises(ValueError, match="size_bytes must be a finite number >= 0"):
        restore_time(plan, -1.0)


windows = st.lists(
    st.tuples(
        st.integers(0, 3),  # satellite
        st.sampled_from(["A", "B", "C"]),
        st.floats(0.0, 900.0),  # start
        st.floats(1.0, 300.0),  # length
        st.sampled_from([8e6, 16e6, 40e6]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=30, deadline=None)
@given(rows=windows, frac=st.floats(0.05, 0.95))
def test_matches_brute_force_integration(rows, frac):
    """Random overlapping windows on three stations: the restore time equals a 50 ms
    time-sampled integration of the per-station best rate, within a second."""
    plan = _plan(
        [(s, g, a, min(a + d, 1000.0), r) for s, g, a, d, r in rows], n_sat=4, duration_s=1000.0
    )
    full = restore_time(plan, 1.0).bytes_per_day * 1000.0 / 86400.0  # bytes over the plan
    size = frac * full
    est = restore_time(plan, size)
    brute = _brute_force_restore_s(plan, size, station_ids=[4, 5, 6])
    assert abs(est.restore_s - brute) < ONE_SECOND


def test_real_scenario_is_bounded_by_the_sum_of_station_rates():
    """milsca, 6 h: restoring 50 TB without Fucino takes at least 50 TB / (sum of the other
    stations' best rates), and more than the plan's span (extrapolated)."""
    from orbitcloud.executor import SerialExecutor
    from orbitcloud.pipeline import run_pipeline
    from orbitcloud.scenario import load_scenario

    sc = load_scenario("milsca").model_copy(update={"duration_s": 6 * 3600.0})
    plan = run_pipeline(sc, executor=SerialExecutor()).contacts
    size = 50e12
    est = restore_time(plan, size, exclude=("Fucino",))
    dl = plan.of_kind("downlink")
    best = [
        dl.rate_bps[dl.dst == plan.nodes.names.index(s)].max(initial=0.0) / 8 for s in est.stations
    ]
    assert "Fucino" not in est.stations
    assert est.restore_s >= size / sum(best)
    assert est.extrapolated and est.restore_s > plan.duration_s
    assert 0 < est.to_dict()["bytes_per_day"] <= sum(best) * 86400.0
    assert len(est.to_dict()["stations"]) == len(sc.ground_stations) - 1
