"""User links under jamming, and moving jammers (issue 17): independent oracles.

The J/S oracle writes the textbook one-way equation (Adamy, *EW 101*, ch. 9; Poisel §2.6) in
dB from positions computed here (the WGS84 closed form; satellites from the run's ephemeris
at each sample time; a moving jammer placed by the spherical destination-point formula with
the haversine distance ``v t``, not the code's slerp), the receiver's ITU-R S.465-6 sidelobe
envelope, the Es/N0 budget with the free-space loss written out and the MODCOD picked by a
plain loop over EN 302 307-2 Table 20a.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from orbitcloud.api import load_scenario, run
from orbitcloud.links.acm import DVBS2X_MODCODS, acm_rates
from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.links.contacts import jammers_of
from orbitcloud.links.users import _UserBudgets
from orbitcloud.run.pipeline import RunResult
from orbitcloud.run.security import security_summary
from orbitcloud.scenario.errors import ScenarioError
from test_jamming import _ecef, _rows, _table  # the hand geometry shared with the station tests

C_M_S = 299_792_458.0
K_DB = 10 * math.log10(1.380649e-23)
R_MEAN_KM = 6371.0088
F_HZ = 18.95e9  # Ka downlink centre
USER = (41.90, 12.50, 0.0)
#: the terminal's RF budget: satellite EIRP, the terminal's G/T and 1.2 m dish
LINK = {"kind": "acm", "band": "Ka", "eirp_dbw": 38, "g_t_db_per_k": 14,
        "symbol_rate_baud": 1e8, "availability_pct": 99.5, "antenna_diameter_m": 1.2}  # fmt: skip
JAM_T_S, JAM_D_S = 600.0, 1800.0
JAMMER = {"kind": "jamming", "name": "J1", "lat_deg": 41.91, "lon_deg": 12.51, "height_m": 30,
          "t_s": JAM_T_S, "duration_s": JAM_D_S, "eirp_dbw": 20, "band": "Ka",
          "beamwidth_deg": 10, "target": "downlink", "pointing": "fob"}  # fmt: skip


def _term(link: bool) -> dict[str, Any]:
    t: dict[str, Any] = {"constellations": ["shell"], "min_elevation_deg": 10, "rate_bps": 5e7}
    return {**t, "link": dict(LINK)} if link else t


def _scenario(threats: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": "ujam", "epoch": "2026-03-20T00:00:00Z", "duration_s": 3600, "step_s": 30,
        "constellations": [{"kind": "walker", "name": "shell", "pattern": "delta", "planes": 3,
                            "sats_per_plane": 12, "phasing": 1, "altitude_km": 550,
                            "inclination_deg": 53}],
        "ground_stations": [{"name": "Fixed", "lat_deg": 40.0, "lon_deg": -4.0, "alt_m": 600,
                             "min_elevation_deg": 10, "rate_bps": 1e9, "jurisdiction": "ES"}],
        "users": [
            {"name": "fob", "position": {"lat_deg": USER[0], "lon_deg": USER[1]},
             "terminal": _term(True)},
            # next to the jammer, but a fixed rate: no budget to jam
            {"name": "plain", "position": {"lat_deg": 41.905, "lon_deg": 12.505},
             "terminal": _term(False)},
            # the same budget ~1,400 km away: beyond the jammer's radio horizon
            {"name": "far", "position": {"lat_deg": 40.4, "lon_deg": -3.7},
             "terminal": _term(True)},
        ],
        "threats": threats,
    }  # fmt: skip
    d.update(kw)
    return d


def _run(threats: list[dict[str, Any]], **kw: Any) -> tuple[RunResult, ContactPlan]:
    res = run(load_scenario(_scenario(threats, **kw)), stages=("contacts",))
    return res, res.contacts


@pytest.fixture(scope="module")
def clear() -> tuple[RunResult, ContactPlan]:
    return _run([])


@pytest.fixture(scope="module")
def jammed() -> tuple[RunResult, ContactPlan]:
    return _run([JAMMER])


def _s465_gain_dbi(theta_deg: float, d_m: float) -> float:
    """ITU-R S.465-6 sidelobe envelope (D/λ >= 50, θ >= φ_min)."""
    lam = C_M_S / F_HZ
    assert d_m / lam >= 50 and theta_deg > max(1.0, 100 * lam / d_m)
    return 32 - 25 * math.log10(theta_deg) if theta_deg < 48 else -10.0


def _best_rate(esn0_db: float, rs: float, margin: float = 1.0) -> float:
    return rs * max((e for _, e, thr in DVBS2X_MODCODS if thr + margin <= esn0_db), default=0.0)


def _hand_rate(
    r_s: np.ndarray,
    r_rx: np.ndarray,
    up: np.ndarray,
    r_j: np.ndarray,
    eirp_j: float,
    att_of: Any,
    tx_gain_db: float = 0.0,
) -> tuple[float, float]:
    """(Es/(N0+J0), rate) by hand for a satellite at r_s, the receiver at r_rx (up: its
    zenith), a jammer at r_j radiating eirp_j + tx_gain_db towards it."""
    d_s = float(np.linalg.norm(r_s - r_rx))
    d_j = float(np.linalg.norm(r_j - r_rx))
    theta = math.degrees(math.acos(np.dot(r_s - r_rx, r_j - r_rx) / (d_s * d_j)))
    lam = C_M_S / F_HZ
    g0 = 10 * math.log10(0.6 * (math.pi * LINK["antenna_diameter_m"] / lam) ** 2)
    el = math.degrees(math.asin(np.dot(r_s - r_rx, up) / d_s))
    a_db = att_of(el)
    fspl = 20 * math.log10(4 * math.pi * d_s * 1e3 * F_HZ / C_M_S)
    esn0 = LINK["eirp_dbw"] + LINK["g_t_db_per_k"] - fspl - a_db - K_DB - 10 * math.log10(1e8)
    js = (eirp_j + tx_gain_db - LINK["eirp_dbw"] - 20 * math.log10(d_j) + 20 * math.log10(d_s)
          + _s465_gain_dbi(theta, LINK["antenna_diameter_m"]) - g0 + a_db)  # fmt: skip
    esj = -10 * math.log10(10 ** (-esn0 / 10) + 10 ** (js / 10))
    return esj, _best_rate(esj, 1e8)


def _up(lat: float, lon: float) -> np.ndarray:
    la, lo = math.radians(lat), math.radians(lon)
    return np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])


# --- user links ------------------------------------------------------------------------------


def test_the_jammed_user_piece_has_the_hand_computed_es_n0_j0_and_modcod(
    clear: tuple[RunResult, ContactPlan], jammed: tuple[RunResult, ContactPlan]
) -> None:
    res, plan = jammed
    rows = _rows(plan, "fob", "downlink")
    inside = rows[(plan.start_s[rows] >= JAM_T_S) & (plan.end_s[rows] <= JAM_T_S + JAM_D_S)]
    assert inside.size, "a fob downlink piece within the jammer's window"
    assert not _table(plan, inside) <= _table(clear[1], _rows(clear[1], "fob", "downlink"))
    bud = _UserBudgets.of(res.scenario.users)
    row = int(bud.down_row[0])
    r_u, up = _ecef(*USER), _up(USER[0], USER[1])
    r_j = _ecef(JAMMER["lat_deg"], JAMMER["lon_deg"], JAMMER["height_m"])

    def att(el: float) -> float:
        return float(bud.table.at(np.array([row]), np.array([el]))[0])

    lowered = 0
    for i in inside.tolist():
        t = np.linspace(plan.start_s[i], plan.end_s[i], 3)
        r_sat = res.ephemeris.propagator.ecef_at(np.full(3, plan.src[i], dtype=np.intp), t)
        # the jammer points at the user: the user is on its axis (its own gain 0 dB)
        hand = min(_hand_rate(r_s, r_u, up, r_j, JAMMER["eirp_dbw"], att)[1] for r_s in r_sat)
        assert plan.rate_bps[i] == pytest.approx(hand, rel=1e-9)
        clear_hand = min(_hand_rate(r_s, r_u, up, r_j, -300.0, att)[1] for r_s in r_sat)
        lowered += hand < clear_hand
    assert lowered > 0  # the jammer lowered the MODCOD of some pieces


def test_users_outside_the_footprint_or_without_a_budget_are_bit_identical(
    clear: tuple[RunResult, ContactPlan], jammed: tuple[RunResult, ContactPlan]
) -> None:
    for user in ("far", "plain"):
        for k in ("downlink", "uplink"):
            a = _table(clear[1], _rows(clear[1], user, k))
            assert a and a == _table(jammed[1], _rows(jammed[1], user, k)), (user, k)
    # the fob's uplink has no ACM budget (the terminal's fixed rate): untouched too
    a = _table(clear[1], _rows(clear[1], "fob", "uplink"))
    assert a == _table(jammed[1], _rows(jammed[1], "fob", "uplink"))


def test_the_rate_loss_is_limited_to_the_jammers_window(
    clear: tuple[RunResult, ContactPlan], jammed: tuple[RunResult, ContactPlan]
) -> None:
    def outside(plan: ContactPlan) -> set[tuple[Any, ...]]:
        r = _rows(plan, "fob", "downlink")
        r = r[(plan.end_s[r] <= JAM_T_S) | (plan.start_s[r] >= JAM_T_S + JAM_D_S)]
        return _table(plan, r)

    a, b = outside(clear[1]), outside(jammed[1])
    assert a and a <= b  # pieces wholly outside the window are unchanged
    r = _rows(jammed[1], "fob", "downlink")
    p = jammed[1]
    for edge in (JAM_T_S, JAM_T_S + JAM_D_S):  # cut at the window's edges
        assert not ((p.start_s[r] < edge) & (p.end_s[r] > edge)).any()


def test_a_strong_barrage_closes_the_user_link_in_its_window(
    clear: tuple[RunResult, ContactPlan],
) -> None:
    res, plan = _run([{**JAMMER, "eirp_dbw": 70}])
    r = _rows(plan, "fob", "downlink")
    inside = (plan.end_s[r] > JAM_T_S) & (plan.start_s[r] < JAM_T_S + JAM_D_S)
    assert not inside.any()  # no downlink row to the fob within the window
    c = _rows(clear[1], "fob", "downlink")
    assert ((clear[1].end_s[c] > JAM_T_S) & (clear[1].start_s[c] < JAM_T_S + JAM_D_S)).any()
    (entry,) = security_summary(res)["threats"]
    assert entry["users_affected"] == ["fob"]
    assert entry["user_links_affected"] == entry["user_links_closed"] > 0
    assert entry["contacts_affected"] == 0  # no ACM station anywhere near
    # the capacity lost: the clear fob downlink capacity within the window, exactly
    cut = clear[1]
    ov = np.clip(np.minimum(cut.end_s[c], JAM_T_S + JAM_D_S) - np.maximum(cut.start_s[c], JAM_T_S),
                 0, None)  # fmt: skip
    assert entry["user_capacity_lost_bytes"] == pytest.approx(
        float((cut.rate_bps[c] * ov).sum()) / 8, rel=1e-9
    )


def test_a_jammer_pointed_at_a_fixed_rate_user_is_refused() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(_scenario([{**JAMMER, "pointing": "plain"}]))
    assert "threats[0].pointing" in str(err.value) and "fixed rate" in str(err.value)


# --- moving jammers -------------------------------------------------------------------------

FUCINO = (41.978, 13.604, 680.0)
GS_LINK = {"kind": "acm", "band": "Ka", "eirp_dbw": 36, "g_t_db_per_k": 15,
           "symbol_rate_baud": 2.4e8, "antenna_diameter_m": 1.2}  # fmt: skip
TRACK = {"kind": "great_circle", "from_lat_deg": 41.99, "from_lon_deg": 13.62,
         "to_lat_deg": 43.0, "to_lon_deg": 15.5, "speed_m_s": 250.0,
         "start_s": JAM_T_S}  # fmt: skip
MOVER = {"kind": "jamming", "name": "J-air", "track": TRACK, "height_m": 30, "t_s": JAM_T_S,
         "duration_s": JAM_D_S, "eirp_dbw": 30, "band": "Ka", "beamwidth_deg": 10,
         "target": "downlink", "pointing": "Fucino"}  # fmt: skip


def _station_scenario(threats: list[dict[str, Any]]) -> dict[str, Any]:
    d = _scenario(threats, users=[])
    d["ground_stations"] = [{"name": "Fucino", "lat_deg": FUCINO[0], "lon_deg": FUCINO[1],
                             "alt_m": FUCINO[2], "min_elevation_deg": 10, "jurisdiction": "IT",
                             "link": dict(GS_LINK), "uplink_rate_bps": 1e7}]  # fmt: skip
    return d


def _destination(
    lat: float, lon: float, lat2: float, lon2: float, d_km: float
) -> tuple[float, float]:
    """The point ``d_km`` from (lat, lon) towards (lat2, lon2) on the sphere (initial bearing
    and the destination-point formula; Sinnott 1984 / Williams' aviation formulary)."""
    p1, l1, p2, l2 = map(math.radians, (lat, lon, lat2, lon2))
    brg = math.atan2(
        math.sin(l2 - l1) * math.cos(p2),
        math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(l2 - l1),
    )
    dl = d_km / R_MEAN_KM
    p = math.asin(math.sin(p1) * math.cos(dl) + math.cos(p1) * math.sin(dl) * math.cos(brg))
    lo = l1 + math.atan2(math.sin(brg) * math.sin(dl) * math.cos(p1),
                         math.cos(dl) - math.sin(p1) * math.sin(p))  # fmt: skip
    return math.degrees(p), math.degrees(lo)


def test_a_moving_jammer_js_follows_its_track_and_the_rate_recovers_as_it_leaves() -> None:
    sc = load_scenario(_station_scenario([MOVER]))
    res = run(sc, stages=("contacts",))
    plan = res.contacts
    rates = acm_rates(tuple(sc.ground_stations), jammers_of(sc))
    assert rates is not None and rates.jammers is not None
    r_gs, up = _ecef(*FUCINO), _up(FUCINO[0], FUCINO[1])
    rows = _rows(plan, "Fucino", "downlink")
    inside = rows[(plan.start_s[rows] >= JAM_T_S) & (plan.end_s[rows] <= JAM_T_S + JAM_D_S)]
    assert inside.size
    lam = C_M_S / F_HZ
    g0 = 10 * math.log10(0.6 * (math.pi * 1.2 / lam) ** 2)
    row = int(rates.down_row[0])
    checked = 0
    for n, i in enumerate(inside.tolist()):
        t = np.linspace(plan.start_s[i], plan.end_s[i], 3)
        r_sat = res.ephemeris.propagator.ecef_at(np.full(3, plan.src[i], dtype=np.intp), t)
        d_s = np.linalg.norm(r_sat - r_gs, axis=1)
        el = np.degrees(np.arcsin((r_sat - r_gs) @ up / d_s))
        js, _ = rates.js_db(0, np.full(3, row), el, d_s, r_sat, t_s=t)
        if not np.isfinite(js).any():
            continue  # beyond the jammer's radio horizon by now: the piece stays whole
        # the cut rule: the jammer moves <= 1 km per piece it reaches (1000 m / 250 m/s = 4 s)
        assert plan.end_s[i] - plan.start_s[i] <= 4.0 + 1e-6
        if n % 10:
            continue
        checked += 1
        for k in np.flatnonzero(np.isfinite(js)).tolist():
            la, lo = _destination(TRACK["from_lat_deg"], TRACK["from_lon_deg"],
                                  TRACK["to_lat_deg"], TRACK["to_lon_deg"],
                                  250.0 * (t[k] - JAM_T_S) / 1000.0)  # fmt: skip
            r_j = _ecef(la, lo, 30.0)
            d_j = float(np.linalg.norm(r_j - r_gs))
            th = math.degrees(math.acos(np.dot(r_sat[k] - r_gs, r_j - r_gs) / (d_s[k] * d_j)))
            a_db = float(rates.table.at(np.array([row]), np.array([el[k]]))[0])
            # the jammer points at Fucino wherever it is: Fucino is on its axis
            hand = (30 - 36 - 20 * math.log10(d_j) + 20 * math.log10(d_s[k])
                    + _s465_gain_dbi(th, 1.2) - g0 + a_db)  # fmt: skip
            assert js[k] == pytest.approx(hand, abs=0.02)  # sphere vs the code's slerp: ~m
    assert checked >= 3
    # the same satellite geometry, the jammer further away each minute: the rate rises
    t = np.arange(JAM_T_S, JAM_T_S + JAM_D_S, 60.0)
    i0 = inside[0]
    r_s1 = res.ephemeris.propagator.ecef_at(np.array([plan.src[i0]]), np.array([plan.start_s[i0]]))
    r_sat = np.repeat(r_s1, t.size, axis=0)
    d_s = np.linalg.norm(r_sat - r_gs, axis=1)
    el = np.degrees(np.arcsin((r_sat - r_gs) @ up / d_s))
    act = np.ones((t.size, 1), dtype=bool)
    bps = rates.rate_bps(np.full(t.size, row), el, d_s, r_sat, act, t_s=t)
    clear_bps = rates.rate_bps(np.full(t.size, row), el, d_s)
    assert (np.diff(bps) >= 0).all() and bps[-1] > bps[0]
    assert bps[0] < clear_bps[0]


def test_the_scene_draws_a_moving_jammer_along_its_track(tmp_path) -> None:
    """scene.czml (parsed with json): the moving jammer's entity is shown over its window and
    its sampled Earth-fixed position is, at every sample, the destination-point position on its
    great circle (hand formula above, WGS84 via skyfield) within 50 m (sphere vs ellipsoid)."""
    import json

    from orbitcloud.report.czml import build_scene
    from orbitcloud.report.folder import open_run_folder
    from orbitcloud.run.folder import write_run_folder

    res = run(load_scenario(_station_scenario([MOVER])), stages=("contacts",))
    text, _ = build_scene(open_run_folder(write_run_folder(res, {}, root=tmp_path)))
    jp = {p["id"]: p for p in json.loads(text)}["jammer/J-air"]
    samples = np.asarray(jp["position"]["cartesian"], dtype=np.float64).reshape(-1, 4)
    assert samples[0, 0] == JAM_T_S and samples[-1, 0] == JAM_T_S + JAM_D_S
    assert len(samples) >= JAM_D_S / 60.0
    p1, l1, p2, l2 = map(math.radians, (TRACK["from_lat_deg"], TRACK["from_lon_deg"],
                                        TRACK["to_lat_deg"], TRACK["to_lon_deg"]))  # fmt: skip
    hav = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    length_km = 2 * R_MEAN_KM * math.asin(math.sqrt(hav))  # haversine: it stops at the end
    for t, *xyz in samples.tolist():
        d_km = min(250.0 * (t - JAM_T_S) / 1000.0, length_km)
        la, lo = _destination(TRACK["from_lat_deg"], TRACK["from_lon_deg"], TRACK["to_lat_deg"],
                              TRACK["to_lon_deg"], d_km)  # fmt: skip
        err_m = float(np.linalg.norm(np.asarray(xyz) - 1000.0 * _ecef(la, lo, 30.0)))
        assert err_m < 50.0, (t, err_m)


def test_a_jammer_needs_a_position_or_a_track() -> None:
    for bad in ({**MOVER, "lat_deg": 41.0, "lon_deg": 13.0}, {**MOVER, "track": None}):
        with pytest.raises(ScenarioError) as err:
            load_scenario(_station_scenario([{k: v for k, v in bad.items() if v is not None}]))
        assert "lat_deg and lon_deg" in str(err.value)


def test_a_csv_track_jammer_runs_and_an_uplink_jammer_hits_only_the_users_acm_uplink(
    clear: tuple[RunResult, ContactPlan],
) -> None:
    """A sky jammer (inline csv track, held at its one row: right by the fob) against the
    satellites' receive beams: the fob's ACM uplink (with the satellite's beamwidth) loses
    rate in the window; its downlink (the other direction) and the far user keep their rows."""
    up_budget = {"kind": "acm", "band": "Ka", "eirp_dbw": 45, "g_t_db_per_k": 5,
                 "symbol_rate_baud": 2e7, "satellite_beamwidth_deg": 3.0}  # fmt: skip
    sky = {**JAMMER, "target": "uplink", "pointing": "sky", "eirp_dbw": 50, "beamwidth_deg": 60}
    sky.pop("lat_deg")
    sky.pop("lon_deg")
    sky["track"] = {"kind": "csv", "points": [[0.0, 41.905, 12.505, 0.0]]}
    d0, d1 = _scenario([]), _scenario([sky])
    for d in (d0, d1):
        d["users"][0]["terminal"]["link"] = {**LINK, "uplink": up_budget}
    p0 = run(load_scenario(d0), stages=("contacts",)).contacts
    p1 = run(load_scenario(d1), stages=("contacts",)).contacts
    for user, k in (("fob", "downlink"), ("far", "downlink"), ("far", "uplink")):
        assert _table(p0, _rows(p0, user, k)) == _table(p1, _rows(p1, user, k)), (user, k)

    def cap(p: ContactPlan) -> float:
        r = _rows(p, "fob", "uplink")
        ov = np.clip(np.minimum(p.end_s[r], JAM_T_S + JAM_D_S) - np.maximum(p.start_s[r], JAM_T_S),
                     0, None)  # fmt: skip
        return float((p.rate_bps[r] * ov).sum())

    assert cap(p0) > 0 and cap(p1) < cap(p0)
    with pytest.raises(ScenarioError) as err:
        load_scenario(_scenario([{**sky, "track": {"kind": "csv", "file": "x.csv"}}]))
    assert "points" in str(err.value)


def test_a_budget_without_an_acm_uplink_keeps_its_fixed_uplink_rate(
    clear: tuple[RunResult, ContactPlan],
) -> None:
    d = _scenario([])
    d["users"][0]["terminal"]["link"] = {**LINK, "uplink": {"kind": "fixed", "rate_bps": 3e6}}
    p = run(load_scenario(d), stages=("contacts",)).contacts
    r = _rows(p, "fob", "uplink")
    assert r.size and (p.rate_bps[r] == 3e6).all()
    # the terminal's rate_bps (5e7) without one (the clear fixture)
    c = _rows(clear[1], "fob", "uplink")
    assert c.size and (clear[1].rate_bps[c] == 5e7).all()
    # the downlink pieces are the same either way (the uplink does not change them)
    dn = _rows(p, "fob", "downlink")
    assert _table(p, dn) == _table(clear[1], _rows(clear[1], "fob", "downlink"))
