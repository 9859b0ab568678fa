"""Fault schedules: Weibull lifetimes against scipy, event counts against their Poisson and
binomial expectations (within 5 σ), outage time against the station availability, storms
against the planes they name, and the one CSV format they are written in."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from orbitcloud.faults.schedule import (
    YEAR_S,
    Draw,
    FaultRates,
    FaultSchedule,
    Lifetimes,
    StationOutages,
)

SATS = [f"sat-{i:03d}" for i in range(400)]
PLANES = np.arange(400) // 20  # 20 planes of 20


def _within_5_sigma(count: int, mean: float, var: float) -> bool:
    return abs(count - mean) < 5 * math.sqrt(var) + 1e-9


def test_weibull_draws_follow_scipy_weibull_min():
    life = Lifetimes.from_annual_failure_probability(0.05, shape=0.7)
    t = life.draw_s(np.random.default_rng(1), 20_000)
    assert stats.kstest(t, stats.weibull_min(0.7, scale=life.scale_s).cdf).pvalue > 1e-3
    # and a different shape is rejected
    assert stats.kstest(t, stats.weibull_min(1.0, scale=life.scale_s).cdf).pvalue < 1e-6


@pytest.mark.parametrize("shape", [0.5, 1.0, 2.5])
def test_annual_failure_probability_fixes_the_one_year_quantile(shape):
    life = Lifetimes.from_annual_failure_probability(0.02, shape)
    assert life.annual_failure_probability == pytest.approx(0.02)
    assert stats.weibull_min(shape, scale=life.scale_s).cdf(YEAR_S) == pytest.approx(0.02)
    assert (
        Lifetimes.from_annual_failure_probability(0.0).draw_s(np.random.default_rng(0), 3).tolist()
        == [math.inf] * 3
    )


def test_satellite_losses_and_isl_failures_are_binomial():
    life = Lifetimes.from_annual_failure_probability(0.1, shape=0.8)
    rates = FaultRates(lifetimes=life, isl_failure_per_year=0.2)
    isls = [(SATS[i], SATS[i + 1]) for i in range(0, 400, 2)]
    horizon = 3 * YEAR_S
    s = FaultSchedule.draw(rates, np.random.default_rng(7), horizon, SATS, isls=isls)
    p = float(life.cdf(horizon))
    assert _within_5_sigma(s.count("satellite_loss"), 400 * p, 400 * p * (1 - p))
    # an ISL failure counts only while both ends live: P = ∫ λ e^{-λt} S(t)² dt
    t = np.linspace(0, horizon, 20_001)
    lam = 0.2 / YEAR_S
    q = float(np.trapezoid(lam * np.exp(-lam * t) * (1 - life.cdf(t)) ** 2, t))
    assert _within_5_sigma(s.count("isl_failure"), 200 * q, 200 * q * (1 - q))
    losses = [e for e in s if e.kind == "satellite_loss"]
    assert all(e.duration_s == math.inf and 0 <= e.t_s <= horizon for e in losses)
    assert len({e.target for e in losses}) == len(losses)  # a satellite is lost once


def test_bit_flips_are_poisson_in_stored_bits():
    rates = FaultRates(seu_per_bit_day=1e-12)
    horizon = 30 * 86_400.0
    stored = np.full(400, 5e9)  # 5 GB on each satellite
    s = FaultSchedule.draw(rates, np.random.default_rng(3), horizon, SATS, stored_bytes=stored)
    mean = 1e-12 * 5e9 * 8 * 400 * 30
    assert _within_5_sigma(s.count("bit_flip"), mean, mean)
    with pytest.raises(ValueError, match=r"bit flips expected .* more than max_events=100;"):
        FaultSchedule.draw(rates, np.random.default_rng(3), horizon, SATS, stored_bytes=stored,
                           max_events=100)  # fmt: skip


def test_plane_storms_are_poisson_and_remove_the_plane_they_name():
    rates = FaultRates(storms_per_year=2.0)
    horizon = 100 * YEAR_S
    s = FaultSchedule.draw(rates, np.random.default_rng(5), horizon, SATS, planes=PLANES)
    storms = [e for e in s if e.kind == "storm"]
    losses = {e.target: e.t_s for e in s if e.kind == "satellite_loss"}
    # every plane is hit within 100 years at 0.1 storms per plane-year, almost surely
    assert len(losses) == 400
    first_hit: dict[int, float] = {}
    for e in storms:
        first_hit.setdefault(int(e.target.removeprefix("plane:")), e.t_s)
    for i, name in enumerate(SATS):
        assert losses[name] == first_hit[int(PLANES[i])]
    # the count of storms with satellites left to remove is not Poisson any more, so check
    # the rate on a long horizon without satellites: Poisson(2 x 100)
    bare = FaultSchedule.draw(rates, np.random.default_rng(6), horizon, ["x"], planes=[0])
    assert _within_5_sigma(bare.count("storm"), 200.0, 200.0)


def test_optical_outages_take_the_unavailable_fraction_of_time():
    opt = StationOutages.optical(availability=0.69, mean_outage_s=6 * 3600.0)
    horizon = 200 * YEAR_S  # ~450 RF outages, ~90,000 optical ones
    s = FaultSchedule.draw(
        FaultRates(), np.random.default_rng(9), horizon, [], stations=["opt", "rf"],
        outages=[opt, StationOutages.rf()],
    )  # fmt: skip
    ev = [e for e in s if e.kind == "station_outage"]
    down = {g: sum(e.duration_s for e in ev if e.target == g) / horizon for g in ("opt", "rf")}
    # 5 σ of the time-down fraction (σ measured over 300 seeds: 0.001 and 7e-5)
    assert down["opt"] == pytest.approx(0.31, abs=0.005)
    assert down["rf"] == pytest.approx(0.001, abs=0.00035)
    # outage count ≈ horizon / mean cycle (renewal theorem), within 5 σ of a Poisson count
    n_opt = sum(e.target == "opt" for e in ev)
    cycle = opt.mean_outage_s + opt.mean_up_s
    assert _within_5_sigma(n_opt, horizon / cycle, horizon / cycle)
    assert all(0 <= e.t_s < horizon and e.t_s + e.duration_s <= horizon + 1e-6 for e in ev)


def test_draws_are_seeded():
    rates = FaultRates(Lifetimes.from_annual_failure_probability(0.3), storms_per_year=1.0)
    a = FaultSchedule.draw(rates, np.random.default_rng(1), 5 * YEAR_S, SATS, planes=PLANES)
    b = FaultSchedule.draw(rates, np.random.default_rng(1), 5 * YEAR_S, SATS, planes=PLANES)
    c = FaultSchedule.draw(rates, np.random.default_rng(2), 5 * YEAR_S, SATS, planes=PLANES)
    assert a.events() == b.events()
    assert a.events() != c.events()
    assert np.all(np.diff(a.t_s) >= 0)
    table = a.to_arrow()
    assert table.column_names == ["t_s", "kind", "target", "duration_s"]
    assert table.column("kind").to_pylist() == [e.kind for e in a]


def test_a_drawn_schedule_is_written_in_the_one_fault_csv_format(tmp_path: Path):
    """``to_csv`` writes the one format: :func:`orbitcloud.faults.read_fault_csv` (what
    ``faults_file:`` uses) reads back exactly :meth:`FaultSchedule.to_events` (storm markers
    are not events: their satellite losses are)."""
    from orbitcloud.faults import read_fault_csv

    rates = FaultRates(
        lifetimes=Lifetimes.from_annual_failure_probability(0.3, 1.3), storms_per_year=4.0
    )
    s = FaultSchedule.draw(
        rates, np.random.default_rng(11), 2 * YEAR_S, SATS[:60], planes=PLANES[:60],
        stations=["opt"], outages=StationOutages.optical(), stored_bytes=1e12,
    )  # fmt: skip
    assert s.count("storm") > 0 and s.count("satellite_loss") > 0
    path = tmp_path / "drawn.csv"
    s.to_csv(path)
    assert read_fault_csv(path) == s.to_events()
    assert path.read_text().splitlines()[0].startswith("t_s,kind,target")


def test_a_drawn_schedule_feeds_the_fault_timeline():
    """``to_events`` gives the one fault-event type: the timeline's ``loss_s`` is each lost
    satellite's ``satellite_loss`` time (storms included), its outages are the drawn station
    outages, bit flips keep their satellite; pair ISL failures are refused by name."""
    from orbitcloud.faults import EventTimeline
    from orbitcloud.faults import FaultEvent as OneFaultEvent
    from orbitcloud.links.contactplan import OUTAGE_SCOPES, NodeTable

    sats, stations = SATS[:60], ["opt", "rf"]
    rates = FaultRates(Lifetimes.from_annual_failure_probability(0.2), seu_per_bit_day=1e-12,
                       storms_per_year=1.0)  # fmt: skip
    horizon = 5 * YEAR_S
    s = FaultSchedule.draw(
        rates, np.random.default_rng(4), horizon, sats, PLANES[:60] // 10, stations=stations,
        outages=StationOutages.optical(), stored_bytes=1e9,
    )  # fmt: skip
    assert s.count("satellite_loss") > 0 and s.count("storm") > 0 and s.count("bit_flip") > 0
    events = s.to_events()
    assert all(isinstance(e, OneFaultEvent) for e in events)
    assert len(events) == len(s) - s.count("storm")
    nodes = NodeTable(sats + stations, 60, ["c"] * 60 + ["ground"] * 2, [""] * 60 + ["IT"] * 2)
    tl = EventTimeline.build(events, nodes)
    want = np.full(60, np.inf)
    for e in s:
        if e.kind == "satellite_loss":
            want[sats.index(e.target)] = e.t_s
    assert np.array_equal(tl.loss_s, want)
    out = tl.outages.scope == OUTAGE_SCOPES.index("ground")
    drawn = sorted((60 + stations.index(e.target), e.t_s, e.t_s + e.duration_s)
                   for e in s if e.kind == "station_outage")  # fmt: skip
    got = sorted(zip(tl.outages.node[out].tolist(), tl.outages.start_s[out].tolist(),
                     tl.outages.end_s[out].tolist(), strict=True))  # fmt: skip
    assert got == drawn
    flips = [(e.t_s, e.target) for e in events if e.kind == "bit_flip"]
    assert flips == [(e.t_s, e.target) for e in s if e.kind == "bit_flip"]
    with_isl = FaultSchedule.from_events([Draw(5.0, "isl_failure", "a|b", math.inf)])
    with pytest.raises(ValueError, match=r"isl_failure of the pair 'a\|b'"):
        with_isl.to_events()
