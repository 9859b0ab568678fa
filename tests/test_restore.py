"""Restore from orbit: at most ``antennas`` windows per station at once (one antenna: the
union of its windows, not their sum), against a brute-force time-sampled integration,
hand-computed cases and the rate bound on a real scenario."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.links.contactplan import ContactPlan, NodeTable
from orbitcloud.reliability.restore import restore_time

EPOCH = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)
ONE_SECOND = 1.0
#: every row's one-way light time [s]: the last byte arrives this long after it is sent
OWLT_S = 0.003


def _plan(rows, stations=("A", "B", "C"), n_sat=3, duration_s=1000.0, juris=None, antennas=None):
    """Downlink rows (sat, station, start_s, end_s, rate_bps) into a contact plan; stations
    have ``antennas`` (list per station; None: the node table says nothing, so one each)."""
    names = [f"s{i}" for i in range(n_sat)] + list(stations)
    nodes = NodeTable(
        names,
        n_sat,
        ["c"] * n_sat + ["ground"] * len(stations),
        [""] * n_sat + list(juris or ["IT"] * len(stations)),
        [] if antennas is None else [0] * n_sat + list(antennas),
    )
    src = np.array([r[0] for r in rows], dtype=np.int32)
    dst = np.array([n_sat + stations.index(r[1]) for r in rows], dtype=np.int32)
    col = [np.array([r[i] for r in rows], dtype=np.float64) for i in (2, 3, 4)]
    return ContactPlan.from_light_times(
        EPOCH, duration_s, nodes, src, dst, col[0], col[1], col[2], np.full(len(rows), OWLT_S)
    )


def _served(plan, rows, antennas):
    """The antenna rule written as a plain loop over one station's windows ``rows``: by
    (start, satellite), each takes the antenna that frees first, from when it frees."""
    free = [-np.inf] * antennas
    out = []
    for r in sorted(rows, key=lambda r: (plan.start_s[r], plan.src[r])):
        f = min(free)
        k = max(plan.start_s[r], f)
        if f <= plan.start_s[r] or plan.end_s[r] > k:
            out.append((k, plan.end_s[r], plan.rate_bps[r] / 8))
            free[free.index(f)] = max(f, plan.end_s[r])
    return out


def _brute_force_restore_s(plan, size_bytes, station_ids, dt_s=0.05):
    """Sample every dt: per station the rates of the windows its antennas serve then
    (:func:`_served`), summed."""
    t = np.arange(0.0, plan.duration_s, dt_s) + dt_s / 2
    cap = np.zeros_like(t)
    antennas = plan.nodes.station_antennas()
    for s in station_ids:
        rows = np.nonzero((plan.dst == s) & (plan.kind == 0))[0].tolist()
        for t0, t1, rate in _served(plan, rows, int(antennas[s - plan.nodes.n_sat])):
            cap += ((t0 <= t) & (t < t1)) * rate
    vol = np.cumsum(cap) * dt_s
    i = np.searchsorted(vol, size_bytes)
    return (i + 1) * dt_s if i < t.size else np.inf


def test_one_antenna_serves_the_first_pass_then_hands_over():
    """Two satellites in view of A at once ([100, 300] at 8 Mbit/s and [200, 400] at
    16 Mbit/s), one antenna: the first keeps it to 300 (1 MB/s over [100, 300), 200 MB),
    the second takes over at 300 (2 MB/s over [300, 400), 200 MB): 400 MB in all, not the
    600 MB both windows together would give."""
    plan = _plan([(0, "A", 100.0, 300.0, 8e6), (1, "A", 200.0, 400.0, 16e6)])
    est = restore_time(plan, 400e6)
    assert est.restore_s == pytest.approx(400.0 + OWLT_S)
    assert est.bytes_per_day == pytest.approx(400e6 / 1000.0 * 86400.0)
    assert est.station_in_view_fraction[0] == pytest.approx(0.3)
    assert not est.extrapolated
    # 250 MB: 200 MB by t = 300, then 25 s at 2 MB/s
    assert restore_time(plan, 250e6).restore_s == pytest.approx(325.0 + OWLT_S)


def test_two_antennas_serve_both_passes():
    """The same two passes, A with two antennas: 1 MB/s over [100, 200), 3 MB/s over
    [200, 300), 2 MB/s over [300, 400): 600 MB; 250 MB are down at 200 + 150/3 = 250 s.
    Add a third pass [150, 250] at 8 Mbit/s: it starts before the second and takes the free
    antenna, so the second waits for it and keeps [250, 400): 1 MB/s over [100, 150),
    2 over [150, 250), 3 over [250, 300), 2 over [300, 400), again 600 MB, and 200 MB are
    down at 150 + 150/2 = 225 s. With three antennas every pass is whole: 700 MB."""
    rows = [(0, "A", 100.0, 300.0, 8e6), (1, "A", 200.0, 400.0, 16e6)]
    plan = _plan(rows, antennas=[2, 1, 1])
    assert restore_time(plan, 600e6).restore_s == pytest.approx(400.0 + OWLT_S)
    assert restore_time(plan, 250e6).restore_s == pytest.approx(250.0 + OWLT_S)
    third = [*rows, (2, "A", 150.0, 250.0, 8e6)]
    two = restore_time(_plan(third, antennas=[2, 1, 1]), 1.0)
    assert restore_time(_plan(third, antennas=[2, 1, 1]), 200e6).restore_s == pytest.approx(
        225 + OWLT_S
    )
    three = restore_time(_plan(third, antennas=[3, 1, 1]), 1.0)
    assert two.bytes_per_day == pytest.approx(600e6 / 1000.0 * 86400.0)
    assert three.bytes_per_day == pytest.approx(700e6 / 1000.0 * 86400.0)
    assert three.station_in_view_fraction[0] == pytest.approx(0.3)


def test_stations_add_up_and_excluded_sites_do_not_count():
    plan = _plan([(0, "A", 0.0, 100.0, 8e6), (1, "B", 50.0, 150.0, 8e6), (2, "C", 0, 500, 8e9)])
    both = restore_time(plan, 150e6, exclude=("C",))  # 1 MB/s, then 2, then 1
    assert both.restore_s == pytest.approx(100.0 + OWLT_S)
    assert both.excluded == ("C",)
    only_a = restore_time(plan, 150e6, stations=("A",))
    assert only_a.extrapolated  # A gives 100 MB per 1000 s plan
    assert only_a.restore_s == pytest.approx(1000.0 + 50e6 / (100e6 / 1000.0) + OWLT_S)
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
@given(
    rows=windows,
    frac=st.floats(0.05, 0.95),
    antennas=st.lists(st.integers(1, 3), min_size=3, max_size=3) | st.none(),
)
def test_matches_brute_force_integration(rows, frac, antennas):
    """Random overlapping windows on three stations with 1 to 3 antennas: the restore time
    equals a 50 ms time-sampled integration of the rates of the windows each station's
    antennas serve, within a second."""
    plan = _plan(
        [(s, g, a, min(a + d, 1000.0), r) for s, g, a, d, r in rows],
        n_sat=4,
        duration_s=1000.0,
        antennas=antennas,
    )
    full = restore_time(plan, 1.0).bytes_per_day * 1000.0 / 86400.0  # bytes over the plan
    size = frac * full
    est = restore_time(plan, size)
    brute = _brute_force_restore_s(plan, size, station_ids=[4, 5, 6])
    assert abs(est.restore_s - brute) < ONE_SECOND


@settings(max_examples=30, deadline=None)
@given(rows=windows)
def test_enough_antennas_sum_every_window(rows):
    """With as many antennas as windows, every window counts whole: the capacity is the sum
    of rate x duration over all windows (no rule involved)."""
    cut = [(s, g, a, min(a + d, 1000.0), r) for s, g, a, d, r in rows]
    plan = _plan(cut, n_sat=4, duration_s=1000.0, antennas=[len(rows)] * 3)
    want = sum((b - a) * r / 8 for _, _, a, b, r in cut)
    got = restore_time(plan, 1.0).bytes_per_day * 1000.0 / 86400.0
    assert got == pytest.approx(want, rel=1e-12, abs=1e-6)


def test_real_scenario_is_bounded_by_the_sum_of_station_rates():
    """milsca, 6 h: restoring 50 TB without Fucino takes at least 50 TB / (sum of the other
    stations' best rates), and more than the plan's span (extrapolated)."""
    from orbitcloud.executor import SerialExecutor
    from orbitcloud.run.pipeline import run_pipeline
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
