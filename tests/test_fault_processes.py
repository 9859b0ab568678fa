"""Drawn faults (``fault_processes:``): seeded and repeatable, counts against their analytic
laws (Weibull losses: binomial at ``F(T)``, storms: Poisson, station outages: the down-time
fraction of an alternating renewal process, upsets: Poisson), all within 5 σ; drawn events
flow into a run (a lost satellite's contacts end at its loss); validation names the field and
the line."""

from __future__ import annotations

import math
import re
import textwrap
from typing import Any

import numpy as np
import pytest

from conftest import walker_3x9_world
from orbitcloud.faults import EventTimeline
from orbitcloud.faults.processes import draw_schedules, drawn_events
from orbitcloud.faults.schedule import YEAR_S, FaultRates, FaultSchedule
from orbitcloud.links.contactplan import NodeTable
from orbitcloud.run.pipeline import run_pipeline
from orbitcloud.scenario import ScenarioError, load_scenario
from orbitcloud.scenario.models import Scenario


def _big(duration_s: float, seed: int, procs: list[dict[str, Any]], **extra: Any) -> Scenario:
    """A 40 x 50 Walker fleet (2000 satellites), no stations unless given."""
    return load_scenario({
        "name": "big", "epoch": "2026-03-20T00:00:00Z", "duration_s": duration_s,
        "step_s": 60, "seed": seed,
        "constellations": [{"kind": "walker", "name": "w", "planes": 40, "sats_per_plane": 50,
                            "phasing": 1, "altitude_km": 550, "inclination_deg": 55}],
        "fault_processes": procs, **extra,
    })  # fmt: skip


def _nodes(sc: Scenario) -> NodeTable:
    sats = [n for names in sc.satellite_names() for n in names]
    st = [g.name for g in sc.ground_stations]
    return NodeTable(sats + st, len(sats), ["c"] * len(sats) + ["ground"] * len(st),
                     [""] * len(sats) + ["IT"] * len(st))  # fmt: skip


ALL = [
    {"kind": "satellite_lifetimes", "weibull_shape": 0.7, "annual_failure_probability": 0.5},
    {"kind": "solar_storms", "per_year": 20, "scope": "plane"},
    {"kind": "isl_terminal_failures", "per_satellite_per_year": 12, "repair_s": 3600},
    {"kind": "station_outages", "per_year": 50, "mean_duration_s": 7200},
    {"kind": "upsets", "bit_flips_per_day": 3},
]


def test_same_seed_same_timeline_other_seed_other():
    def timeline(seed: int) -> EventTimeline:
        sc = load_scenario(walker_3x9_world(30 * 86400, seed, fault_processes=ALL))
        return EventTimeline.from_scenario(sc, _nodes(sc))

    a, b, c = timeline(1), timeline(1), timeline(2)
    assert len(a) > 50 and a.events == b.events
    assert np.array_equal(a.loss_s, b.loss_s)
    assert a.events != c.events
    assert {e.kind for e in a.events} == {
        "satellite_loss", "isl_failure", "station_outage", "bit_flip"
    }  # fmt: skip
    assert [e.t_s for e in a.events] == sorted(e.t_s for e in a.events)


def test_drawn_events_merge_with_explicit_ones_in_time_order():
    explicit = [{"t_s": 1000.0, "kind": "satellite_loss", "target": "w-0-0"}]
    sc = load_scenario(walker_3x9_world(30 * 86400, 3, faults=explicit, fault_processes=ALL))
    tl = EventTimeline.from_scenario(sc, _nodes(sc))
    assert len(tl) == 1 + len(drawn_events(sc))
    assert tl.loss_s[0] == 1000.0 or tl.loss_s[0] < 1000.0
    assert [e.t_s for e in tl.events] == sorted(e.t_s for e in tl.events)


def test_adding_a_process_does_not_shift_the_others():
    one = load_scenario(walker_3x9_world(30 * 86400, 5, fault_processes=ALL[:1]))
    two = load_scenario(walker_3x9_world(30 * 86400, 5, fault_processes=ALL[:1] + ALL[4:]))
    assert draw_schedules(one)[0].events() == draw_schedules(two)[0].events()


@pytest.mark.parametrize(
    "proc",
    [
        {"weibull_shape": 0.7, "mean_life_years": 10.0},
        {"weibull_shape": 1.0, "annual_failure_probability": 0.1},
        {"weibull_shape": 2.5, "mean_life_years": 6.0},
    ],
)
def test_losses_match_the_weibull_cdf_within_5_sigma(proc):
    """2000 satellites over 5 years, 4 seeds: losses ~ Binomial(8000, F(5 yr))."""
    T = 5 * YEAR_S
    lost = sum(
        len(drawn_events(_big(T, seed, [{"kind": "satellite_lifetimes", **proc}])))
        for seed in range(4)
    )
    beta = proc["weibull_shape"]
    if "mean_life_years" in proc:
        eta = proc["mean_life_years"] * YEAR_S / math.gamma(1 + 1 / beta)
    else:
        eta = YEAR_S / (-math.log1p(-proc["annual_failure_probability"])) ** (1 / beta)
    p = -math.expm1(-((T / eta) ** beta))
    n = 4 * 2000
    assert abs(lost - n * p) < 5 * math.sqrt(n * p * (1 - p)), (lost, n * p)


def test_storms_per_year_match_the_poisson_mean_within_5_sigma():
    """3 storms a year over 10 years, 40 seeds: 1200 expected, σ = √1200."""
    sc = [_big(10 * YEAR_S, s, [{"kind": "solar_storms", "per_year": 3.0}]) for s in range(40)]
    storms = sum(draw_schedules(s)[0].count("storm") for s in sc)
    assert abs(storms - 1200) < 5 * math.sqrt(1200), storms


def test_a_plane_storm_removes_one_plane_and_a_shell_storm_a_whole_constellation():
    for scope, size in (("plane", 50), ("shell", 2000)):
        sc = _big(YEAR_S, 1, [{"kind": "solar_storms", "per_year": 50.0, "scope": scope}])
        first = drawn_events(sc)
        t0 = first[0].t_s
        hit = {e.target for e in first if e.t_s == t0}
        assert len(hit) == size
        if scope == "plane":
            assert len({n.rsplit("-", 1)[0] for n in hit}) == 1  # w-<plane>-<slot>


def test_station_outage_time_fraction_matches_per_year_times_duration():
    """20 stations, 200 outages a year of mean 3 h, over a year: down fraction
    f = 200 × 10800 s / 1 yr = 0.0684. Alternating renewal (exponential up U, down D): the
    down time over T has variance ≈ 2 T U² D² / (U + D)³ a station; bound: 5 σ of the mean
    over the stations (the stationary start makes E[fraction] = f exactly)."""
    stations = [{"name": f"G{k}", "lat_deg": 0.0, "lon_deg": 9.0 * k, "jurisdiction": "IT",
                 "rate_bps": 1e9} for k in range(20)]  # fmt: skip
    per_year, d = 200.0, 10_800.0
    sc = _big(YEAR_S, 7, [{"kind": "station_outages", "per_year": per_year,
                           "mean_duration_s": d}], ground_stations=stations)  # fmt: skip
    evs = drawn_events(sc)
    assert {e.kind for e in evs} == {"station_outage"}
    assert all(e.t_s + (e.duration_s or 0) <= YEAR_S * (1 + 1e-12) for e in evs)
    frac = sum(e.duration_s or 0.0 for e in evs) / (20 * YEAR_S)
    f = per_year * d / YEAR_S
    u = YEAR_S / per_year - d
    sigma = math.sqrt(2 * u**2 * d**2 / (YEAR_S * (u + d) ** 3) / 20)
    assert abs(frac - f) < 5 * sigma, (frac, f, sigma)


def test_isl_terminal_failures_are_per_satellite_with_their_repair():
    """2000 satellites, 4 a year, 1 day repairs, over a year: failures ~ n T / (U + R)
    (renewal count, σ ≈ √ of it at R ≪ U); each an isl_failure on a satellite for 1 day."""
    sc = _big(YEAR_S, 2, [{"kind": "isl_terminal_failures", "per_satellite_per_year": 4.0,
                           "repair_s": 86_400.0}])  # fmt: skip
    evs = drawn_events(sc)
    assert {(e.kind, e.duration_s) for e in evs} == {("isl_failure", 86_400.0)}
    assert all("|" not in e.target for e in evs)
    mean = 2000 * YEAR_S / (YEAR_S / 4 + 86_400.0)
    assert abs(len(evs) - mean) < 5 * math.sqrt(mean), (len(evs), mean)
    by_sat: dict[str, list[float]] = {}
    for e in evs:
        by_sat.setdefault(e.target, []).append(e.t_s)
    assert all(np.diff(t).min(initial=math.inf) >= 86_400.0 for t in by_sat.values())
    tl = EventTimeline.from_scenario(sc, _nodes(sc))
    assert tl.n_lost == 0 and len(tl.outages) == len(evs)


def test_permanent_terminal_failures_come_once():
    sc = _big(YEAR_S, 2, [{"kind": "isl_terminal_failures", "per_satellite_per_year": 1.0}])
    evs = drawn_events(sc)
    assert len({e.target for e in evs}) == len(evs) and all(e.duration_s is None for e in evs)
    p = -math.expm1(-1.0)
    assert abs(len(evs) - 2000 * p) < 5 * math.sqrt(2000 * p * (1 - p))


def test_upsets_per_day_match_the_poisson_mean():
    sc = _big(100 * 86_400.0, 4, [{"kind": "upsets", "bit_flips_per_day": 20.0,
                                   "constellations": ["w"]}])  # fmt: skip
    evs = drawn_events(sc)
    assert {(e.kind, e.bits) for e in evs} == {("bit_flip", 1)}
    assert abs(len(evs) - 2000) < 5 * math.sqrt(2000)


def test_pair_isl_failures_are_still_refused_by_to_events():
    sched = FaultSchedule.draw(
        FaultRates(isl_failure_per_year=1e3), np.random.default_rng(0), YEAR_S, ["a", "b"],
        isls=[("a", "b")],
    )  # fmt: skip
    with pytest.raises(ValueError, match="isl_terminals"):
        sched.to_events()


def test_drawn_losses_flow_into_a_run():
    """Mean life 6 h over a 6 h run: most satellites are lost; each lost satellite's contacts
    end by its loss, and loss_s is the drawn one."""
    sc = load_scenario(walker_3x9_world(6 * 3600.0, 11, fault_processes=[
        {"kind": "satellite_lifetimes", "mean_life_years": 6 * 3600.0 / YEAR_S}]))  # fmt: skip
    res = run_pipeline(sc, stages=("contacts",))
    loss = res.faults.loss_s
    lost = np.flatnonzero(np.isfinite(loss))
    assert 5 <= lost.size < 27
    drawn = {e.target: e.t_s for e in drawn_events(sc)}
    names = res.contacts.nodes.names
    assert {names[i]: loss[i] for i in lost} == drawn
    plan = res.contacts
    for i in lost:
        mine = (plan.src == i) | (plan.dst == i)
        assert mine.any() or loss[i] < 600
        assert (plan.end_s[mine] <= loss[i] + 1e-6).all()


def _yaml_error(tmp_path, body: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent("""\
        name: s
        epoch: 2026-03-20T00:00:00Z
        duration_s: 86400
        step_s: 60
        constellations:
          - {kind: walker, name: w, planes: 2, sats_per_plane: 3, phasing: 1,
             altitude_km: 550, inclination_deg: 55}
        ground_stations:
          - {name: Fucino, lat_deg: 41.98, lon_deg: 13.6, jurisdiction: IT, rate_bps: 2.0e+9}
        fault_processes:
          - {kind: upsets, bit_flips_per_day: 1}
        """) + body)  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    return str(err.value)


@pytest.mark.parametrize(
    ("body", "want"),
    [
        ("  - {kind: station_outages, per_year: 1, mean_duration_s: 60,\n"
         "     stations: [Fucino, Atlantis]}\n",
         r"s.yaml:13: fault_processes\[1\]\.stations\[1\]: 'Atlantis' is not a ground station"),
        ("  - {kind: solar_storms, per_year: 1, constellations: [nope]}\n",
         r"s.yaml:12: fault_processes\[1\]\.constellations\[0\]: 'nope' is not a constellation"),
        ("  - {kind: satellite_lifetimes, annual_failure_probability: 0.1,\n"
         "     satellites: [w-0-0, w-9-9]}\n",
         r"s.yaml:13: fault_processes\[1\]\.satellites\[1\]: 'w-9-9' is not a satellite"),
        ("  - {kind: solar_storms, per_year: -1}\n",
         r"s.yaml:12: fault_processes\[1\]\.per_year: .*greater than or equal to 0"),
        ("  - {kind: isl_terminal_failures, per_satellite_per_year: .inf}\n",
         r"s.yaml:12: fault_processes\[1\]\.per_satellite_per_year: .*finite"),
        ("  - {kind: satellite_lifetimes, mean_life_years: 3, annual_failure_probability: 0.1}\n",
         r"s.yaml:12: fault_processes\[1\]: .*exactly one of mean_life_years"),
        ("  - {kind: station_outages, per_year: 400, mean_duration_s: 86400}\n",
         r"s.yaml:12: fault_processes\[1\]: .*always be down"),
        ("  - {kind: meteors, per_year: 1}\n", r"s.yaml:12: fault_processes\[1\]"),
    ],
)  # fmt: skip
def test_validation_errors_name_the_field_and_line(tmp_path, body, want):
    """Each error at the line of the value (a name on a continuation line: that line)."""
    msg = _yaml_error(tmp_path, body)
    assert re.search(want, msg), msg
