"""Optical ground links blocked by clouds (orbitcloud.links.optical): the cloudy intervals
follow the P.840 cloud probability (itur), and the contact plan loses exactly the cloudy
parts of an optical station's passes, leaving every other row bit for bit."""

from __future__ import annotations

import itur
import numpy as np
import pytest

from conftest import iss_scenario
from orbitcloud.links import build_contact_plan
from orbitcloud.links.optical import cloud_cover, free_parts
from orbitcloud.orbits import build_satellites, propagate
from orbitcloud.scenario import ScenarioError, load_scenario
from orbitcloud.timegrid import TimeGrid

FUCINO = {"name": "Fucino", "lat_deg": 41.978, "lon_deg": 13.604, "alt_m": 680,
          "min_elevation_deg": 10, "jurisdiction": "IT"}  # fmt: skip
OPT_ST = {"link_type": "optical"}
MATERA = {"name": "Matera", "lat_deg": 40.65, "lon_deg": 16.7, "min_elevation_deg": 10,
          "jurisdiction": "IT", "rate_bps": 1e9}  # fmt: skip
OPTICAL = {"kind": "optical", "rate_bps": 1e10, "uplink_rate_bps": 1e9}


def _sc(seed: int, clouds: str):
    st = {**FUCINO, **OPT_ST, "link": {**OPTICAL, "clouds": clouds}}
    return load_scenario(iss_scenario(duration_s=86400, step_s=60, seed=seed,
                                      ground_stations=[st, MATERA]))  # fmt: skip


def _plan(seed: int, clouds: str):
    sc = _sc(seed, clouds)
    eph = propagate(build_satellites(sc), TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s))
    return sc, build_contact_plan(sc, eph)


def test_cloud_free_fraction_is_one_minus_p840():
    names = [f"Fucino-{i}" for i in range(6)]
    opt = [{**FUCINO, **OPT_ST, "name": n, "link": OPTICAL} for n in names]
    sts = list(load_scenario(iss_scenario(ground_stations=opt)).ground_stations)
    duration = 120 * 86400.0
    cc = cloud_cover(sts, 4, duration)
    assert cc is not None
    _, _, want = itur.models.itu840.lognormal_approximation_coefficient(41.978, 13.604)
    p = float(np.asarray(want.value))
    assert np.allclose(cc.p_cloud_pct, p)
    free = 1.0 - np.mean([cc.cloudy_fraction(i, duration) for i in range(len(names))])
    # 6 x 120 days ~ 1,200 decorrelation times of the slow filter (1/beta2 ~ 14 h): se ~ 0.02
    assert abs(free - (1.0 - p / 100.0)) < 0.05, (free, p)
    for i in range(len(names)):  # sorted, disjoint, inside the run
        s, e = cc.start_s[i], cc.end_s[i]
        assert np.all(e > s) and np.all(s[1:] > e[:-1]) and s[0] >= 0 and e[-1] <= duration


def test_free_parts_by_hand():
    blocks = np.array([2.0, 12.0, 20.0, 26.0]), np.array([3.0, 15.0, 22.0, 29.0])
    s, e, w = free_parts(np.array([0.0, 10.0, 30.0]), np.array([5.0, 25.0, 40.0]), *blocks)
    assert s.tolist() == [0.0, 3.0, 10.0, 15.0, 22.0, 30.0]
    assert e.tolist() == [2.0, 5.0, 12.0, 20.0, 25.0, 40.0]
    assert w.tolist() == [0, 0, 1, 1, 1, 2]


def test_clouds_cut_exactly_the_cloudy_parts_of_optical_passes():
    sc, clear = _plan(0, "clear")
    g = _sc(0, "time_series").ground_stations[0]
    fuc = clear.nodes.names.index("Fucino")
    seed = None
    for k in range(50):  # a seed where one Fucino pass lies inside a cloud and one is clear
        cc = cloud_cover([g], k, sc.duration_s)
        assert cc is not None
        cs, ce = cc.start_s[0], cc.end_s[0]
        sel = (clear.dst == fuc) & (clear.kind == 0)
        ps, pe = clear.start_s[sel], clear.end_s[sel]
        inside = ((ps[:, None] >= cs[None]) & (pe[:, None] <= ce[None])).any(axis=1)
        touch = ((ps[:, None] < ce[None]) & (pe[:, None] > cs[None])).any(axis=1)
        if inside.any() and (~touch).any():
            seed = k
            break
    assert seed is not None
    _, cloudy = _plan(seed, "time_series")
    for kind, end in ((0, "dst"), (1, "src")):  # downlink rows end at, uplink rows start at it
        sel = (getattr(clear, end) == fuc) & (clear.kind == kind)
        ps, pe = clear.start_s[sel], clear.end_s[sel]
        got = (getattr(cloudy, end) == fuc) & (cloudy.kind == kind)
        gs, ge = cloudy.start_s[got], cloudy.end_s[got]
        # a pass fully inside a cloud: no row in it
        for a, b in zip(ps[inside].tolist(), pe[inside].tolist(), strict=True):
            assert not np.any((gs < b) & (ge > a))
        # no row overlaps a cloudy interval; the clear passes come back bit for bit
        assert not np.any((gs[:, None] < ce[None]) & (ge[:, None] > cs[None]))
        for a, b in zip(ps[~touch].tolist(), pe[~touch].tolist(), strict=True):
            assert np.any((gs == a) & (ge == b))
        # the link-time lost is exactly the overlap of passes and clouds (by hand, per pair)
        lost = sum(max(0.0, min(b, y) - max(a, x)) for a, b in zip(ps.tolist(), pe.tolist(),
                   strict=True) for x, y in zip(cs.tolist(), ce.tolist(), strict=True))  # fmt: skip
        assert abs(((pe - ps).sum() - lost) - (ge - gs).sum()) < 1e-6
    # the fixed-rate station's rows: bit-identical
    mat = clear.nodes.names.index("Matera")
    for plan_a, plan_b in ((clear, cloudy),):
        a = (plan_a.src == mat) | (plan_a.dst == mat)
        b = (plan_b.src == mat) | (plan_b.dst == mat)
        for f in ("src", "dst", "start_s", "end_s", "rate_bps", "kind"):
            assert np.array_equal(getattr(plan_a, f)[a], getattr(plan_b, f)[b])


def test_optical_link_schema_errors_name_the_field():
    st = {**FUCINO, **OPT_ST, "link": OPTICAL, "rate_bps": 1e9}
    with pytest.raises(ScenarioError) as info:
        load_scenario(iss_scenario(ground_stations=[st]))
    assert "ground_stations[0]" in str(info.value) and "rate_bps" in str(info.value)
    st = {**FUCINO, **OPT_ST, "link": {**OPTICAL, "clouds": "sometimes"}}
    with pytest.raises(ScenarioError) as info:
        load_scenario(iss_scenario(ground_stations=[st]))
    assert "link" in str(info.value) and "clouds" in str(info.value)
    with pytest.raises(ScenarioError) as info:
        load_scenario(iss_scenario(ground_stations=[{**FUCINO, "link": OPTICAL}]))
    assert "ground_stations[0]" in str(info.value) and "link_type" in str(info.value)


def test_site_diversity_joint_usable_fraction():
    from orbitcloud.links.diversity import usable_mask, weather_summary

    rain = {"kind": "acm", "band": "Ku", "eirp_dbw": 40, "g_t_db_per_k": 15,
            "symbol_rate_baud": 1e8, "availability_pct": 99.0,
            "uplink": {"kind": "fixed", "rate_bps": 1e7}, "weather": "time_series"}  # fmt: skip
    stations = [
        {**FUCINO, "link": rain, "diversity_group": "it"},
        {**MATERA, "rate_bps": None, "link": rain, "diversity_group": "it"},
        {**FUCINO, **OPT_ST, "name": "Fucino-opt", "link": OPTICAL, "diversity_group": "opt"},
        {**OPT_ST, "name": "Delft-opt", "lat_deg": 52.0, "lon_deg": 4.36, "jurisdiction": "NL",
         "link": OPTICAL, "diversity_group": "opt"},
    ]  # fmt: skip
    sc = load_scenario(iss_scenario(duration_s=30 * 86400, step_s=60, seed=3,
                                    ground_stations=stations))  # fmt: skip
    w = weather_summary(list(sc.ground_stations), sc.seed, sc.duration_s)
    assert w is not None
    usable, _, expected = usable_mask(list(sc.ground_stations), sc.seed, sc.duration_s)
    assert expected.tolist()[:2] == [99.0, 99.0]  # the rain margin's availability
    for grp, members in (("it", [0, 1]), ("opt", [2, 3])):
        g = next(x for x in w["diversity_groups"] if x["group"] == grp)
        # joint by hand: a sample counts if any member is usable there
        by_hand = 100.0 * np.mean([usable[members[0], k] or usable[members[1], k]
                                   for k in range(0, usable.shape[1], 97)])  # fmt: skip
        assert abs(g["joint_usable_pct"] - by_hand) < 0.5  # every 97th sample of 259,201
        assert g["joint_usable_pct"] >= max(g["single_site_usable_pct"].values())
    it = next(x for x in w["diversity_groups"] if x["group"] == "it")
    # P.618 2.2.4.1 (itur) for Fucino-Matera (~280 km) at 1 % margins: more than either site
    assert 99.0 < it["p618_joint_usable_pct"] <= 100.0
