"""The one fault timeline on a hand-built contact plan: loss times, down intervals and the cut
plan against hand-computed windows (satellite loss, ISL failure, station outage cut exactly
``[t, t + d]``), the cut against a plain-Python interval subtraction on random plans, the down
mask, power of a lost satellite, and the one CSV format round trip (through the reader and the
scenario loader)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from conftest import walker_3x9_world
from orbitcloud.faults import (
    FAULT_KINDS,
    EventTimeline,
    FaultEvent,
    plane_groups,
    read_fault_csv,
    write_fault_csv,
)
from orbitcloud.links.contactplan import KINDS, OUTAGE_SCOPES, ContactPlan, NodeOutages, NodeTable
from orbitcloud.nodes.power import PowerSpec, integrate_power
from orbitcloud.scenario import load_scenario

EPOCH = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)
NODES = NodeTable(["s0", "s1", "s2", "G"], 3, ["c", "c", "c", "ground"], ["", "", "", "IT"])
#: (src, dst, start_s, end_s): ISLs s0-s1 and s2-s1, s1-s2 later, passes over G
ROWS = [
    (0, 1, 0.0, 1000.0),  # 0 isl
    (1, 0, 0.0, 1000.0),  # 1 isl
    (0, 3, 100.0, 400.0),  # 2 downlink
    (3, 0, 100.0, 400.0),  # 3 uplink
    (1, 3, 200.0, 900.0),  # 4 downlink
    (2, 1, 300.0, 700.0),  # 5 isl
    (1, 2, 1200.0, 1500.0),  # 6 isl
    (3, 1, 950.0, 1100.0),  # 7 uplink
]


def _plan(rows: list[tuple[int, int, float, float]], nodes: NodeTable = NODES) -> ContactPlan:
    src, dst, start, end = (np.array(x) for x in zip(*rows, strict=True))
    rate = 1e6 * (1 + np.arange(len(rows)))  # distinct per row, to follow rows through a cut
    return ContactPlan.from_light_times(
        EPOCH, 2000.0, nodes, src.astype(np.int32), dst.astype(np.int32), start, end, rate,
        0.001 * (1 + np.arange(len(rows))),
    )  # fmt: skip


def _rows(plan: ContactPlan) -> list[tuple[int, int, float, float, float]]:
    return sorted(
        zip(plan.src.tolist(), plan.dst.tolist(), plan.start_s.tolist(), plan.end_s.tolist(),
            plan.rate_bps.tolist(), strict=True)
    )  # fmt: skip


def _r(i: int, start: float, end: float) -> tuple[int, int, float, float, float]:
    """Row ``i`` of ROWS with a new window (its rate stays: worst case over the window)."""
    s, d, _, _ = ROWS[i]
    return (s, d, start, end, 1e6 * (1 + i))


def test_satellite_loss_ends_its_contacts_at_t_and_leaves_the_rest():
    """s1 lost at 500 s: its contacts open at 500 end there, later ones are gone; s0-G rows
    are unchanged; loss_s is 500 for s1 only."""
    tl = EventTimeline.build([FaultEvent(500.0, "satellite_loss", "s1")], NODES)
    assert tl.loss_s.tolist() == [math.inf, 500.0, math.inf] and tl.n_lost == 1
    want = [_r(0, 0, 500), _r(1, 0, 500), _r(2, 100, 400), _r(3, 100, 400), _r(4, 200, 500),
            _r(5, 300, 500)]  # fmt: skip
    assert _rows(tl.cut(_plan(ROWS))) == sorted(want)


def test_isl_failure_cuts_exactly_its_isls_over_t_to_t_plus_d():
    """s1's lasers down over [250, 450]: its ISLs lose exactly that span (split in two when
    they straddle it); its ground contacts and other satellites' ISLs stay."""
    tl = EventTimeline.build([FaultEvent(250.0, "isl_failure", "s1", 200.0)], NODES)
    assert np.isinf(tl.loss_s).all()
    want = [_r(0, 0, 250), _r(0, 450, 1000), _r(1, 0, 250), _r(1, 450, 1000), _r(2, 100, 400),
            _r(3, 100, 400), _r(4, 200, 900), _r(5, 450, 700), _r(6, 1200, 1500),
            _r(7, 950, 1100)]  # fmt: skip
    assert _rows(tl.cut(_plan(ROWS))) == sorted(want)


def test_isl_failure_without_duration_lasts_to_the_end():
    tl = EventTimeline.build([FaultEvent(250.0, "isl_failure", "s1")], NODES)
    cut = tl.cut(_plan(ROWS))
    isl = cut.kind == KINDS.index("isl")
    touches = (cut.src == 1) | (cut.dst == 1)
    assert cut.end_s[isl & touches].max() == 250.0
    assert _r(4, 200, 900) in _rows(cut) and _r(7, 950, 1100) in _rows(cut)


def test_station_outage_cuts_exactly_its_contacts_over_t_to_t_plus_d():
    """G under cloud over [150, 250]: its passes lose exactly that span; ISLs untouched."""
    tl = EventTimeline.build([FaultEvent(150.0, "station_outage", "G", 100.0)], NODES)
    want = [_r(0, 0, 1000), _r(1, 0, 1000), _r(2, 100, 150), _r(2, 250, 400), _r(3, 100, 150),
            _r(3, 250, 400), _r(4, 250, 900), _r(5, 300, 700), _r(6, 1200, 1500),
            _r(7, 950, 1100)]  # fmt: skip
    cut = tl.cut(_plan(ROWS))
    assert _rows(cut) == sorted(want)
    assert np.all(np.diff(cut.start_s) >= 0)  # still sorted by start


def test_no_faults_leave_the_plan_as_it_is():
    plan = _plan(ROWS)
    tl = EventTimeline.build([], NODES)
    assert tl.cut(plan) is plan and len(tl.outages) == 0 and np.isinf(tl.loss_s).all()


def _reference_cut(rows, outages):
    """Plain-Python interval subtraction, one contact at a time (the oracle)."""
    out = []
    for i, (s, d, a, b) in enumerate(rows):
        pieces = [(a, b)]
        is_isl = s < 3 and d < 3
        for n, o0, o1, scope in outages:
            if n not in (s, d) or (scope == "isl" and not is_isl) or (scope == "ground" and is_isl):
                continue
            nxt = []
            for p0, p1 in pieces:
                if p1 <= o0 or p0 >= o1:
                    nxt.append((p0, p1))
                    continue
                if p0 < o0:
                    nxt.append((p0, o0))
                if p1 > o1:
                    nxt.append((o1, p1))
            pieces = nxt
        out += [(s, d, p0, p1, 1e6 * (1 + i)) for p0, p1 in pieces]
    return sorted(out)


@pytest.mark.parametrize("seed", range(20))
def test_cut_matches_a_plain_interval_subtraction_on_random_plans(seed):
    rng = np.random.default_rng(seed)
    n = 40
    src = rng.integers(0, 4, n)
    dst = (src + rng.integers(1, 4, n)) % 4
    start = np.round(rng.uniform(0, 1500, n))
    width = np.round(rng.uniform(1, 400, n))
    rows = [(int(a), int(b), float(s), float(s + w))
            for a, b, s, w in zip(src, dst, start, width, strict=True)]  # fmt: skip
    k = 5
    outs = [(int(rng.integers(0, 4)), float(t), float(t + d),
             OUTAGE_SCOPES[int(rng.integers(0, 3))])
            for t, d in zip(np.round(rng.uniform(0, 1500, k)), np.round(rng.uniform(1, 500, k)),
                            strict=True)]  # fmt: skip
    no = NodeOutages(
        np.array([o[0] for o in outs], np.int32), np.array([o[1] for o in outs]),
        np.array([o[2] for o in outs]),
        np.array([OUTAGE_SCOPES.index(o[3]) for o in outs], np.uint8),
    )  # fmt: skip
    cut = _plan(rows).cut(no)
    assert _rows(cut) == _reference_cut(rows, outs)
    assert np.all(cut.end_s > cut.start_s)


def test_cluster_loss_expands_to_its_satellites_and_the_first_loss_counts():
    evs = [FaultEvent(50.0, "cluster_loss", "s0, s2"), FaultEvent(10.0, "satellite_loss", "s0"),
           FaultEvent(70.0, "cluster_loss", "plane:c:1")]  # fmt: skip
    tl = EventTimeline.build(evs, NODES, {"c:0": ["s0"], "c:1": ["s1", "s2"]})
    assert tl.loss_s.tolist() == [10.0, 70.0, 50.0]
    assert [e.t_s for e in tl.events] == [10.0, 50.0, 70.0]


def test_down_mask_at_a_time():
    """A loss is down from t on; an ISL failure and an outage over [t, t + d)."""
    evs = [FaultEvent(500.0, "satellite_loss", "s1"), FaultEvent(100.0, "isl_failure", "s2", 50.0),
           FaultEvent(200.0, "station_outage", "G", 10.0), FaultEvent(0.0, "bit_flip")]  # fmt: skip
    tl = EventTimeline.build(evs, NODES)
    for t, all_down, isl_down in [
        (0.0, [0, 0, 0, 0], [0, 0, 0, 0]),
        (100.0, [0, 0, 0, 0], [0, 0, 1, 0]),
        (150.0, [0, 0, 0, 0], [0, 0, 0, 0]),
        (205.0, [0, 0, 0, 1], [0, 0, 0, 0]),
        (499.9, [0, 0, 0, 0], [0, 0, 0, 0]),
        (500.0, [0, 1, 0, 0], [0, 0, 0, 0]),
        (1e9, [0, 1, 0, 0], [0, 0, 0, 0]),
    ]:
        a, i = tl.down_at(t)
        assert a.tolist() == [bool(x) for x in all_down], t
        assert i.tolist() == [bool(x) for x in isl_down], t


@pytest.mark.parametrize(
    "ev",
    [FaultEvent(1.0, "satellite_loss", "G"), FaultEvent(1.0, "station_outage", "s0", 5.0),
     FaultEvent(1.0, "isl_failure", "nowhere"), FaultEvent(1.0, "cluster_loss", "plane:c:9")],
)  # fmt: skip
def test_a_target_of_the_wrong_kind_is_refused(ev):
    with pytest.raises(ValueError, match="fault"):
        EventTimeline.build([ev], NODES, {"c:0": ["s0"]})


def test_power_of_a_lost_satellite_is_zero_from_its_loss_step_and_unchanged_before():
    """Satellite 1 lost at 250 s on a 100 s grid: its steps before [200, 300) are exactly as
    without the loss, from that step on every flow is 0 and the battery holds its charge;
    satellite 0 is untouched; the energy balance holds for both."""
    n = 2
    spec = PowerSpec(*(np.full(n, v) for v in (2000.0, 0.0, 0.0, 3.6e6, 0.8, 0.95, 200.0, 100.0,
                                                1000.0)))  # fmt: skip
    t = np.arange(0.0, 1001.0, 100.0)
    sunlit = np.ones((n, t.size), bool)
    sunlit[:, 4:7] = False
    comms = np.ones((n, t.size - 1), bool)
    free = integrate_power(spec, sunlit, t, comms_active=comms)
    lost = integrate_power(spec, sunlit, t, comms_active=comms, loss_s=np.array([np.inf, 250.0]))
    k = 2  # the step [200, 300) holds the loss
    for flow in ("generated_w", "consumed_w", "compute_w", "compute_available_w", "curtailed_w"):
        a, b = getattr(free, flow), getattr(lost, flow)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1, :k], b[1, :k]), flow
        assert np.all(b[1, k:] == 0.0), flow
    assert np.all(lost.unmet_w[1, k:] == 0.0) and np.all(lost.battery_loss_w[1, k:] == 0.0)
    assert np.all(lost.battery_j[1, k:] == free.battery_j[1, k])
    assert np.abs(lost.balance_residual_j()).max() < 1e-6 * 2000.0 * 1000.0


def test_csv_round_trip_of_the_one_format(tmp_path):
    """Every kind and optional field written by write_fault_csv reads back equal, through
    read_fault_csv and through the scenario loader's faults_file."""
    evs = [FaultEvent(7200.0, "satellite_loss", "w-0-1"),
           FaultEvent(0.1 + 0.2, "cluster_loss", "plane:w:2"),
           FaultEvent(100.0, "isl_failure", "w-1-1", 1e-3 + 600.0),
           FaultEvent(20000.0, "station_outage", "Fucino", 21600.0),
           FaultEvent(9000.0, "bit_flip", "", None, 5),
           FaultEvent(1.0, "bit_flip", "Malindi")]  # fmt: skip
    assert sorted({e.kind for e in evs}) == sorted(FAULT_KINDS)
    path = tmp_path / "faults.csv"
    write_fault_csv(path, evs)
    assert path.read_text().splitlines()[0] == "t_s,kind,target,duration_s,bits"
    assert read_fault_csv(path) == evs
    sc = load_scenario({**walker_3x9_world(3600 * 6, 1), "faults_file": str(path)})
    from_loader = [FaultEvent(f.t_s, f.kind, f.target, f.duration_s, f.bits) for f in sc.faults]
    assert from_loader == evs
    assert plane_groups(sc)["w:2"] == [f"w-2-{j}" for j in range(9)]


def test_a_bad_csv_row_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("t_s,kind,target\n10,satellite_loss,a\n10,meteor,a\n")
    with pytest.raises(ValueError, match=r"bad.csv:3: fault kind 'meteor'"):
        read_fault_csv(bad)
    bad.write_text("t_s,kind,target,colour\n")
    with pytest.raises(ValueError, match=r"bad.csv:1: .*unknown \['colour'\]"):
        read_fault_csv(bad)
