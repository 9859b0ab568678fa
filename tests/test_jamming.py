"""Jamming and link flooding (issue 17, adversaries): independent oracles.

The J/S oracle writes out the textbook equation (Adamy, EW 101, ch. 9; Poisel §2.6) in dB from
positions computed here with plain numpy (the WGS84 closed form for the ground points; the
satellite from the run's ephemeris at the sample time), the station pattern of ITU-R S.465-6
at a sidelobe angle (−10 dBi beyond 48°), the Es/N0 budget with the free-space loss written
out, and the MODCOD picked by a plain loop over EN 302 307-2 Table 20a.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orbitcloud.api import load_scenario, run
from orbitcloud.faults import EventTimeline
from orbitcloud.links.acm import DVBS2X_MODCODS, acm_rates
from orbitcloud.links.contactplan import KINDS, ContactPlan
from orbitcloud.links.contacts import jammers_of
from orbitcloud.links.jamming import footprint_radius_km
from orbitcloud.network.snapshots import SnapshotBuilder
from orbitcloud.network.transfers import Transfer
from orbitcloud.orbits.satellites import satellites_of
from orbitcloud.run.pipeline import RunResult, run_transfers
from orbitcloud.run.security import security_summary
from orbitcloud.scenario.errors import ScenarioError
from orbitcloud.sim.events import EVENT_UNITS

C_M_S = 299_792_458.0
K_DB = 10 * math.log10(1.380649e-23)
A_KM, F = 6378.137, 1 / 298.257223563
E2 = F * (2 - F)
FUCINO = (41.978, 13.604, 680.0)
DOWN = {"kind": "acm", "band": "Ka", "eirp_dbw": 36, "g_t_db_per_k": 15,
        "symbol_rate_baud": 2.4e8, "availability_pct": 99.5, "antenna_diameter_m": 1.2}  # fmt: skip
JAM_T_S, JAM_D_S = 600.0, 1800.0
JAMMER = {"kind": "jamming", "name": "J1", "lat_deg": 41.99, "lon_deg": 13.62, "height_m": 30,
          "t_s": JAM_T_S, "duration_s": JAM_D_S, "eirp_dbw": 20, "band": "Ka",
          "beamwidth_deg": 10, "target": "downlink", "pointing": "Fucino"}  # fmt: skip


def _scenario(threats: list[dict[str, Any]], more_stations: bool = True) -> dict[str, Any]:
    st = [{"name": "Fucino", "lat_deg": FUCINO[0], "lon_deg": FUCINO[1], "alt_m": FUCINO[2],
           "min_elevation_deg": 10, "jurisdiction": "IT",
           "link": {**DOWN, "uplink": {"kind": "acm", "band": "Ka", "eirp_dbw": 50,
                                       "g_t_db_per_k": 5, "symbol_rate_baud": 1e8}}}]  # fmt: skip
    if more_stations:
        st.append({"name": "Svalbard", "lat_deg": 78.23, "lon_deg": 15.39, "alt_m": 450,
                   "min_elevation_deg": 10, "jurisdiction": "NO", "link": dict(DOWN),
                   "uplink_rate_bps": 1e7})  # fmt: skip
        st.append({"name": "Fixed", "lat_deg": 40.0, "lon_deg": -4.0, "alt_m": 600,
                   "min_elevation_deg": 10, "jurisdiction": "ES", "rate_bps": 1e9})  # fmt: skip
    return {
        "name": "jam", "epoch": "2026-03-20T00:00:00Z", "duration_s": 3600, "step_s": 30,
        "constellations": [{"kind": "walker", "name": "shell", "pattern": "delta", "planes": 3,
                            "sats_per_plane": 12, "phasing": 1, "altitude_km": 550,
                            "inclination_deg": 53}],
        "isls": [{"name": "grid", "topology": {"kind": "grid"}, "max_range_km": 6000,
                  "rate": {"kind": "fixed", "rate_bps": 1e10}}],
        "ground_stations": st,
        "threats": threats,
    }  # fmt: skip


def _plan(threats: list[dict[str, Any]]) -> tuple[RunResult, ContactPlan]:
    res = run(load_scenario(_scenario(threats)), stages=("contacts",))
    return res, res.contacts


@pytest.fixture(scope="module")
def clear() -> tuple[RunResult, ContactPlan]:
    return _plan([])


@pytest.fixture(scope="module")
def jammed() -> tuple[RunResult, ContactPlan]:
    return _plan([JAMMER])


def _ecef(lat: float, lon: float, h_m: float) -> np.ndarray:
    la, lo = math.radians(lat), math.radians(lon)
    n = A_KM / math.sqrt(1 - E2 * math.sin(la) ** 2)
    rho = (n + h_m / 1000) * math.cos(la)
    return np.array([rho * math.cos(lo), rho * math.sin(lo),
                     (n * (1 - E2) + h_m / 1000) * math.sin(la)])  # fmt: skip


def _rows(plan: ContactPlan, station: str, kind: str) -> np.ndarray:
    g = plan.nodes.index()[station]
    sel = plan.kind == KINDS.index(kind)
    sel &= (plan.dst == g) if kind == "downlink" else (plan.src == g)
    return np.flatnonzero(sel)


def _table(plan: ContactPlan, rows: np.ndarray) -> set[tuple[Any, ...]]:
    return {
        (int(plan.src[i]), int(plan.dst[i]), float(plan.start_s[i]), float(plan.end_s[i]),
         float(plan.rate_bps[i]), float(plan.range_km[i]))
        for i in rows.tolist()
    }  # fmt: skip


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threat", "field"),
    [
        ({**JAMMER, "pointing": "Fixed"}, "threats[0].pointing"),
        ({**JAMMER, "pointing": "Nowhere"}, "threats[0].pointing"),
        ({**JAMMER, "target": "uplink", "pointing": "sky"}, "threats[0].target"),
        ({**JAMMER, "target": "uplink"}, "threats[0].pointing"),
        ({**JAMMER, "frequency_hz": 19e9}, "threats[0].frequency_hz"),
        ({**JAMMER, "name": "Fucino"}, "threats[0].name"),
        ({**JAMMER, "beamwidth_deg": 0}, "beamwidth_deg"),
        ({**JAMMER, "mode": "pulsed", "on_s": 10}, "threats[0].period_s"),
        ({**JAMMER, "band_fraction": 0.5}, "threats[0].band_fraction"),
        ({**JAMMER, "mode": "pulsed", "on_s": 10, "period_s": 10}, "threats[0].on_s"),
        ({**JAMMER, "mode": "pulsed", "on_s": 0.01, "period_s": 0.02}, "threats[0].period_s"),
        ({**JAMMER, "mode": "hopping"}, "threats[0].n_channels"),
        ({**JAMMER, "mode": "partial_band", "band_fraction": 1.5}, "band_fraction"),
        ({"kind": "link_flooding", "targets": ["shell-0-0-shell-9-9"], "t_s": 0,
          "duration_s": 10, "attack_bps": 1e6}, "threats[0].targets[0]"),
        ({"kind": "link_flooding", "targets": ["Fucino"], "t_s": 0, "duration_s": 10,
          "attack_bps": -1}, "attack_bps"),
    ],
)  # fmt: skip
def test_a_bad_threat_is_one_line_naming_the_field(threat: dict[str, Any], field: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(_scenario([threat]))
    msg = str(err.value)
    assert field in msg, msg
    assert "Traceback" not in msg


# --- jamming --------------------------------------------------------------------------------


def test_the_jammed_piece_has_the_hand_computed_es_n0_j0_and_modcod(
    clear: tuple[RunResult, ContactPlan], jammed: tuple[RunResult, ContactPlan]
) -> None:
    res, plan = jammed
    rows = _rows(plan, "Fucino", "downlink")
    inside = rows[(plan.start_s[rows] >= JAM_T_S) & (plan.end_s[rows] <= JAM_T_S + JAM_D_S)]
    assert inside.size, "a Fucino downlink piece within the jammer's window"
    before = _table(clear[1], _rows(clear[1], "Fucino", "downlink"))
    assert not _table(plan, inside) <= before  # the jammer changed them
    sc = res.scenario
    rates = acm_rates(tuple(sc.ground_stations), jammers_of(sc))
    assert rates is not None
    r_gs = _ecef(*FUCINO)
    r_j = _ecef(JAMMER["lat_deg"], JAMMER["lon_deg"], JAMMER["height_m"])
    f_hz = 18.95e9
    checked = 0
    for i in inside[:6].tolist():
        t = np.linspace(plan.start_s[i], plan.end_s[i], 3)
        r_sat = res.ephemeris.propagator.ecef_at(np.full(3, plan.src[i], dtype=np.intp), t)
        best = math.inf
        for r_s in r_sat:
            d_s = float(np.linalg.norm(r_s - r_gs))
            d_j = float(np.linalg.norm(r_j - r_gs))
            cos_th = np.dot(r_s - r_gs, r_j - r_gs) / (d_s * d_j)
            theta = math.degrees(math.acos(cos_th))
            lam = C_M_S / f_hz
            # the jammer stands on the ground next to the station: far in the sidelobes,
            # beyond φ_min = max(1°, 100 λ/D) of ITU-R S.465-6 (D/λ >= 50 here)
            assert 1.2 / lam >= 50 and theta > max(1.0, 100 * lam / 1.2) + 5, theta
            g_r_theta = 32 - 25 * math.log10(theta) if theta < 48 else -10.0
            g0 = 10 * math.log10(0.6 * (math.pi * 1.2 / lam) ** 2)
            # elevation (geodetic up) for the budget's attenuation
            lat, lon = map(math.radians, FUCINO[:2])
            n_up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon),
                             math.sin(lat)])  # fmt: skip
            el = math.degrees(math.asin(np.dot(r_s - r_gs, n_up) / d_s))
            a_db = float(rates.table.at(np.array([rates.down_row[0]]), np.array([el]))[0])
            fspl = 20 * math.log10(4 * math.pi * d_s * 1e3 * f_hz / C_M_S)
            esn0 = 36 + 15 - fspl - a_db - 0 - K_DB - 10 * math.log10(2.4e8)
            # J/S = ERP_j - ERP_s - 20 log d_j + 20 log d_s + G_r(θ) - G_r(0) (+ A_s + L_s)
            js = 20 - 36 - 20 * math.log10(d_j) + 20 * math.log10(d_s) + g_r_theta - g0 + a_db
            esj = -10 * math.log10(10 ** (-esn0 / 10) + 10 ** (js / 10))
            eff = max((e for _, e, thr in DVBS2X_MODCODS if thr + 1.0 <= esj), default=0.0)
            best = min(best, 2.4e8 * eff)
        assert plan.rate_bps[i] == pytest.approx(best, rel=1e-9)
        checked += 1
    assert checked


def test_a_link_out_of_the_jammers_reach_is_bit_identical(
    clear: tuple[RunResult, ContactPlan], jammed: tuple[RunResult, ContactPlan]
) -> None:
    for st, kinds in (("Svalbard", ("downlink",)), ("Fixed", ("downlink", "uplink")),
                      ("Fucino", ("uplink",))):  # fmt: skip
        for k in kinds:
            a = _table(clear[1], _rows(clear[1], st, k))
            b = _table(jammed[1], _rows(jammed[1], st, k))
            assert a == b, (st, k)
    isl = KINDS.index("isl")
    assert _table(clear[1], np.flatnonzero(clear[1].kind == isl)) == _table(
        jammed[1], np.flatnonzero(jammed[1].kind == isl)
    )


def test_a_jammer_beyond_the_horizon_changes_nothing(clear: tuple[RunResult, ContactPlan]):
    _, plan = _plan([{**JAMMER, "lat_deg": 45.0, "lon_deg": 20.0}])  # ~600 km away
    assert _table(plan, np.arange(len(plan))) == _table(clear[1], np.arange(len(clear[1])))


def test_outside_the_window_nothing_changes(
    clear: tuple[RunResult, ContactPlan], jammed: tuple[RunResult, ContactPlan]
) -> None:
    def outside(plan: ContactPlan) -> set[tuple[Any, ...]]:
        r = _rows(plan, "Fucino", "downlink")
        r = r[(plan.end_s[r] <= JAM_T_S) | (plan.start_s[r] >= JAM_T_S + JAM_D_S)]
        return _table(plan, r)

    a, b = outside(clear[1]), outside(jammed[1])
    # pieces the window edge cuts have new outer parts; every untouched piece is identical
    assert a <= b | a and len(a) > 0
    assert {x for x in a if x[3] <= JAM_T_S or x[2] >= JAM_T_S + JAM_D_S} <= b
    r = _rows(jammed[1], "Fucino", "downlink")
    p = jammed[1]
    # the window's edges cut the pieces: none straddles them
    for edge in (JAM_T_S, JAM_T_S + JAM_D_S):
        assert not ((p.start_s[r] < edge) & (p.end_s[r] > edge)).any()


def test_the_security_block_reports_the_jamming(jammed: tuple[RunResult, ContactPlan]) -> None:
    res, _ = jammed
    (entry,) = security_summary(res)["threats"]
    assert entry["kind"] == "jamming" and entry["contacts_affected"] > 0
    assert entry["capacity_lost_bytes"] > 0
    assert 0 < entry["affected_link_share"] <= 1
    assert EVENT_UNITS["link_jammed"] == "bytes"
    assert res.events.count("link_jammed", "J1") == 1


def test_the_snapshot_network_sees_the_jammer() -> None:
    sc_clear = load_scenario(_scenario([]))
    sc_jam = load_scenario(_scenario([JAMMER]))
    sats = satellites_of(sc_clear)
    res = run(sc_clear, stages=("contacts",))
    plan = res.contacts
    i = _rows(plan, "Fucino", "downlink")
    i = i[(plan.start_s[i] >= JAM_T_S) & (plan.end_s[i] <= JAM_T_S + JAM_D_S)][0]
    t = 0.5 * (plan.start_s[i] + plan.end_s[i])
    r = res.ephemeris.propagator.ecef_at(np.arange(sats.n_sat), np.full(sats.n_sat, t))
    b0 = SnapshotBuilder.from_scenario(sc_clear, sats).links(r, t)
    b1 = SnapshotBuilder.from_scenario(sc_jam, sats).links(r, t)
    down_node = sats.n_sat + len(sc_clear.ground_stations) + 0  # Fucino's downlink node
    c0 = b0.capacity_bps[(b0.src == plan.src[i]) & (b0.dst == down_node)]
    c1 = b1.capacity_bps[(b1.src == plan.src[i]) & (b1.dst == down_node)]
    assert c0.size == 1 and (c1.size == 0 or c1[0] < c0[0])


# --- link flooding ------------------------------------------------------------------------

FLOOD_T_S, FLOOD_D_S, ATTACK = 300.0, 1200.0, 3.0e8


def test_flooding_takes_exactly_attack_bps_from_the_targets_in_the_window(
    clear: tuple[RunResult, ContactPlan],
) -> None:
    flood = {"kind": "link_flooding", "targets": ["Fucino", "shell-0-00-shell-0-01"],
             "t_s": FLOOD_T_S, "duration_s": FLOOD_D_S, "attack_bps": ATTACK}  # fmt: skip
    res, plan = _plan([flood])
    base = clear[1]
    idx = base.nodes.index()
    fu, a, b = idx["Fucino"], idx["shell-0-00"], idx["shell-0-01"]
    t0, t1 = FLOOD_T_S, FLOOD_T_S + FLOOD_D_S

    def targeted(p: ContactPlan) -> np.ndarray:
        return (
            (p.src == fu)
            | (p.dst == fu)
            | ((p.src == a) & (p.dst == b))
            | ((p.src == b) & (p.dst == a))
        )

    # the oracle: cut the clear plan's targeted rows at t0, t1 by hand, subtract inside
    want = set()
    taken = 0.0
    for i in np.flatnonzero(targeted(base)).tolist():
        s, e, r = float(base.start_s[i]), float(base.end_s[i]), float(base.rate_bps[i])
        key = (int(base.src[i]), int(base.dst[i]))
        for lo, hi in ((s, min(e, t0)), (max(s, t0), min(e, t1)), (max(s, t1), e)):
            if hi <= lo:
                continue
            inside = lo >= t0 and hi <= t1
            rate = r - ATTACK if inside else r
            taken += min(r, ATTACK) * (hi - lo) / 8 if inside else 0.0
            if rate > 0:
                want.add((*key, lo, hi, rate))
    got = {
        (int(plan.src[i]), int(plan.dst[i]), float(plan.start_s[i]), float(plan.end_s[i]),
         float(plan.rate_bps[i]))
        for i in np.flatnonzero(targeted(plan)).tolist()
    }  # fmt: skip
    assert got == want
    assert any(x[4] == 1e10 - ATTACK for x in got)  # the ISL inside the window
    others = ~targeted(plan)
    assert _table(plan, np.flatnonzero(others)) == _table(base, np.flatnonzero(~targeted(base)))
    (entry,) = security_summary(res)["threats"]
    assert entry["capacity_taken_bytes"] == pytest.approx(taken, rel=1e-12)
    assert res.events.count("link_flooded") == 1


def test_flooding_lowers_the_snapshot_capacity_and_a_transfer_takes_longer() -> None:
    flood = {"kind": "link_flooding", "targets": ["shell-0-00-shell-0-01"], "t_s": 0,
             "duration_s": 3600, "attack_bps": ATTACK}  # fmt: skip
    sc0, sc1 = load_scenario(_scenario([])), load_scenario(_scenario([flood]))
    sats = satellites_of(sc0)
    res0 = run(sc0, stages=("contacts",))
    res1 = run(sc1, stages=("contacts",))
    r = res0.ephemeris.propagator.ecef_at(np.arange(sats.n_sat), np.full(sats.n_sat, 100.0))
    tl = EventTimeline.from_scenario(sc1, res1.contacts.nodes)
    lk0 = SnapshotBuilder.from_scenario(sc0, sats).links(r, 100.0)
    lk1 = SnapshotBuilder.from_scenario(sc1, sats).with_floods(tl.floods).links(r, 100.0)
    a, b = 0, 1  # shell-0-00, shell-0-01
    for s, d in ((a, b), (b, a)):
        c0 = lk0.capacity_bps[(lk0.src == s) & (lk0.dst == d)]
        c1 = lk1.capacity_bps[(lk1.src == s) & (lk1.dst == d)]
        assert c1[0] == c0[0] - ATTACK
    others0 = ~(((lk0.src == a) & (lk0.dst == b)) | ((lk0.src == b) & (lk0.dst == a)))
    others1 = ~(((lk1.src == a) & (lk1.dst == b)) | ((lk1.src == b) & (lk1.dst == a)))
    assert np.array_equal(lk0.capacity_bps[others0], lk1.capacity_bps[others1])
    # a bulk transfer over the one flooded ISL (the snapshot network, max-min fair sharing)
    size = 1e10  # bytes: 8 s at 10 Gbit/s
    t = [run_transfers(sc, [Transfer("shell-0-00", "shell-0-01", size, 0.0)]) for sc in (sc0, sc1)]
    assert t[0].completed[0] and t[1].completed[0]
    assert t[0].finish_s[0] == pytest.approx(size * 8 / 1e10, rel=1e-9)
    assert t[1].finish_s[0] == pytest.approx(size * 8 / (1e10 - ATTACK), rel=1e-9)


def test_an_uplink_jammer_hits_the_satellites_receive_beam_only(
    clear: tuple[RunResult, ContactPlan],
) -> None:
    d = _scenario([{**JAMMER, "target": "uplink", "pointing": "sky", "eirp_dbw": 60,
                    "beamwidth_deg": 120}])  # fmt: skip
    d["ground_stations"][0]["link"]["uplink"]["satellite_beamwidth_deg"] = 3.0
    res = run(load_scenario(d), stages=("contacts",))
    plan, base = res.contacts, clear[1]
    for st, k in (("Fucino", "downlink"), ("Svalbard", "downlink"), ("Fixed", "uplink")):
        assert _table(plan, _rows(plan, st, k)) == _table(base, _rows(base, st, k)), (st, k)
    up = _rows(plan, "Fucino", "uplink")
    up_base = _rows(base, "Fucino", "uplink")
    t0, t1 = JAM_T_S, JAM_T_S + JAM_D_S

    def volume(p: ContactPlan, r: np.ndarray) -> float:
        lo, hi = np.maximum(p.start_s[r], t0), np.minimum(p.end_s[r], t1)
        return float((p.rate_bps[r] * np.clip(hi - lo, 0, None)).sum())

    assert volume(plan, up) < volume(base, up_base)
    (entry,) = security_summary(res)["threats"]
    assert entry["target"] == "uplink" and entry["capacity_lost_bytes"] > 0


# --- jammer modes: partial band, hopping, pulsed ---------------------------------------------

STRONG = {**JAMMER, "eirp_dbw": 80}  # J/S far above any MODCOD threshold: closes the link


def _inside(plan: ContactPlan) -> np.ndarray:
    r = _rows(plan, "Fucino", "downlink")
    return r[(plan.start_s[r] >= JAM_T_S) & (plan.end_s[r] <= JAM_T_S + JAM_D_S)]


def _by_window(plan: ContactPlan, rows: np.ndarray) -> dict[tuple[int, int, float, float], float]:
    return {(int(plan.src[i]), int(plan.dst[i]), float(plan.start_s[i]), float(plan.end_s[i])):
            float(plan.rate_bps[i]) for i in rows.tolist()}  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "kept"),
    [({"mode": "partial_band", "band_fraction": 0.5}, 0.5), ({"mode": "hopping",
      "n_channels": 4}, 0.75)],
)  # fmt: skip
def test_a_partial_band_or_hopping_jammer_keeps_the_clear_share_of_the_rate(
    clear: tuple[RunResult, ContactPlan], mode: dict[str, Any], kept: float
) -> None:
    """A jammer strong enough to close the link as a barrage (no Fucino downlink piece left
    within its window) covering half the band (partial band, ρ = 0.5: the jammed half closes,
    the other half keeps its clear rate) leaves 0.5 of each piece's clear rate; hopping over
    4 channels (hit a quarter of the time) leaves 0.75. Pieces matched to the clear plan's by
    their (satellite, station, start, end); links out of its reach bit-identical."""
    _, barrage = _plan([STRONG])
    assert _inside(barrage).size == 0  # the barrage closes every piece: J/S is strong
    _, plan = _plan([{**STRONG, **mode}])
    got = _by_window(plan, _inside(plan))
    ref = _by_window(clear[1], _inside(clear[1]))
    same = sorted(set(got) & set(ref))
    assert len(same) >= 5
    for key in same:
        assert got[key] == pytest.approx(kept * ref[key], rel=1e-12), key
    for st, kinds in (("Svalbard", ("downlink",)), ("Fixed", ("downlink", "uplink")),
                      ("Fucino", ("uplink",))):  # fmt: skip
        for k in kinds:
            assert _table(clear[1], _rows(clear[1], st, k)) == _table(plan, _rows(plan, st, k))


def _cover_s(plan: ContactPlan, rows: np.ndarray, lo: float, hi: float) -> float:
    """Seconds of [lo, hi) within the union of ``rows``' windows (per satellite: the rows
    of one satellite and station do not overlap)."""
    return float(np.clip(np.minimum(plan.end_s[rows], hi) - np.maximum(plan.start_s[rows], lo),
                         0.0, None).sum())  # fmt: skip


def test_a_pulsed_jammer_cuts_the_pieces_at_its_on_and_off_edges(
    clear: tuple[RunResult, ContactPlan],
) -> None:
    """On 100 s every 300 s from t = 600 s, strong: no Fucino downlink piece straddles an on
    or off edge; none remains within an on interval (closed), and the link-time left in the
    window is exactly the clear plan's minus its link-time within the on intervals."""
    on_s, period_s = 100.0, 300.0
    _, plan = _plan([{**STRONG, "mode": "pulsed", "on_s": on_s, "period_s": period_s}])
    starts = np.arange(JAM_T_S, JAM_T_S + JAM_D_S, period_s)
    edges = np.concatenate([starts, starts + on_s, [JAM_T_S + JAM_D_S]])
    r = _rows(plan, "Fucino", "downlink")
    for e in edges.tolist():
        assert not ((plan.start_s[r] < e - 1e-9) & (plan.end_s[r] > e + 1e-9)).any(), e
    on_cover = sum(_cover_s(plan, r, a, a + on_s) for a in starts.tolist())
    assert on_cover == 0.0
    rc = _rows(clear[1], "Fucino", "downlink")
    clear_on = sum(_cover_s(clear[1], rc, a, a + on_s) for a in starts.tolist())
    assert clear_on > 0  # the jammer had something to cut
    want = _cover_s(clear[1], rc, JAM_T_S, JAM_T_S + JAM_D_S) - clear_on
    got = _cover_s(plan, r, JAM_T_S, JAM_T_S + JAM_D_S)
    assert got == pytest.approx(want, abs=1e-6) and got > 0


# --- the 3D scene: jammer footprints, flooded links ----------------------------------------


def test_the_footprint_radius_matches_a_hand_geometry() -> None:
    """Uplink: the −3 dB ray from a jammer at the north pole, intersected with the shell by
    solving |p| = r_s for the slant range (numpy.roots), its central angle by atan2, times R;
    downlink: the 4/3-Earth radio horizon of a 30 m mast, sqrt(2 k R h) = 22.59 km."""
    r = 6371.0
    for h_shell, bw in ((550.0, 10.0), (1200.0, 60.0), (550.0, 179.0)):
        a = math.radians(bw / 2)
        u = np.array([math.sin(a), 0.0, math.cos(a)])
        p0 = np.array([0.0, 0.0, r])
        rho = max(np.roots([1.0, 2 * p0 @ u, p0 @ p0 - (r + h_shell) ** 2]).real)
        q = p0 + rho * u
        want = r * math.atan2(q[0], q[2])
        assert footprint_radius_km(True, 0.0, bw, h_shell) == pytest.approx(want, abs=1e-6)
    assert footprint_radius_km(False, 30.0, 10.0, 550.0) == pytest.approx(
        math.sqrt(2 * 4 / 3 * 6371 * 0.030), abs=1e-9
    )
    assert 22.5 < footprint_radius_km(False, 30.0, 10.0, 550.0) < 22.7


def test_the_scene_draws_the_jammers_and_the_flooded_links(tmp_path: Path) -> None:
    """scene.czml parsed with json: a pulsed downlink jammer shown over each pulse, an uplink
    jammer over its window with its −3 dB footprint on the shell (hand radius within 1 km),
    a flooded station and ISL over the attack window, drawn between the two satellites."""
    from orbitcloud.report.czml import build_scene
    from orbitcloud.report.folder import open_run_folder
    from orbitcloud.run.folder import write_run_folder

    flood = {"kind": "link_flooding", "targets": ["Svalbard", "shell-0-00-shell-0-01"],
             "t_s": FLOOD_T_S, "duration_s": FLOOD_D_S, "attack_bps": ATTACK}  # fmt: skip
    d = _scenario([
        {**JAMMER, "mode": "pulsed", "on_s": 100, "period_s": 300},
        {**JAMMER, "name": "JU", "target": "uplink", "pointing": "sky", "eirp_dbw": 60},
        flood,
    ])  # fmt: skip
    d["ground_stations"][0]["link"]["uplink"]["satellite_beamwidth_deg"] = 3.0
    res = run(load_scenario(d), stages=("contacts",))
    text, _ = build_scene(open_run_folder(write_run_folder(res, {}, root=tmp_path)))
    packets = {p["id"]: p for p in json.loads(text)}
    epoch = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)

    def span(iv: str) -> tuple[float, float]:
        a, b = (dt.datetime.fromisoformat(x.replace("Z", "+00:00")) for x in iv.split("/"))
        return (a - epoch).total_seconds(), (b - epoch).total_seconds()

    j1 = packets["jammer/J1"]
    pulses = [(JAM_T_S + 300 * j, JAM_T_S + 300 * j + 100) for j in range(6)]
    assert [span(x) for x in j1["availability"]] == pulses
    assert j1["ellipse"]["semiMajorAxis"] == pytest.approx(
        1000 * math.sqrt(2 * 4 / 3 * 6371 * 0.030), abs=1000
    )
    ju = packets["jammer/JU"]
    assert [span(x) for x in ju["availability"]] == [(JAM_T_S, JAM_T_S + JAM_D_S)]
    # the shell: 550 km above the equatorial radius, i.e. 557 km above the 6371 km sphere
    r, rs, a = 6371.0, 6378.137 + 550.0, math.radians(JAMMER["beamwidth_deg"] / 2)
    rho = -r * math.cos(a) + math.sqrt((r * math.cos(a)) ** 2 + rs**2 - r**2)
    want_m = 1000 * r * math.asin(rho * math.sin(a) / rs)
    assert ju["ellipse"]["semiMajorAxis"] == pytest.approx(want_m, abs=1000)
    assert ju["ellipse"]["semiMinorAxis"] == ju["ellipse"]["semiMajorAxis"]
    window = [(FLOOD_T_S, FLOOD_T_S + FLOOD_D_S)]
    st, isl = packets["flood/Svalbard"], packets["flood/shell-0-00-shell-0-01"]
    assert [span(x) for x in st["availability"]] == window
    assert st["position"]["cartographicDegrees"][:2] == [15.39, 78.23]
    assert [span(x) for x in isl["availability"]] == window
    assert isl["polyline"]["positions"]["references"] == [
        "sat/shell-0-00#position", "sat/shell-0-01#position",
    ]  # fmt: skip


def test_the_snapshot_network_sees_half_the_rate_under_a_half_band_jammer() -> None:
    """At an instant within the window, a strong barrage jammer closes Fucino's downlink in
    the snapshot network; the same jammer on half the band leaves exactly half of the clear
    capacity (the contact plan's model, links/jamming.py modes)."""
    sc_clear = load_scenario(_scenario([]))
    sats = satellites_of(sc_clear)
    res = run(sc_clear, stages=("contacts",))
    plan = res.contacts
    i = _inside(plan)[0]
    t = 0.5 * (plan.start_s[i] + plan.end_s[i])
    r = res.ephemeris.propagator.ecef_at(np.arange(sats.n_sat), np.full(sats.n_sat, t))
    down_node = sats.n_sat + len(sc_clear.ground_stations) + 0  # Fucino's downlink node

    def cap(threats: list[dict[str, Any]]) -> np.ndarray:
        b = SnapshotBuilder.from_scenario(load_scenario(_scenario(threats)), sats).links(r, t)
        return b.capacity_bps[(b.src == plan.src[i]) & (b.dst == down_node)]

    c0 = cap([])
    assert c0.size == 1 and c0[0] > 0
    assert cap([STRONG]).size == 0  # closed: removed from the snapshot
    half = cap([{**STRONG, "mode": "partial_band", "band_fraction": 0.5}])
    assert half.size == 1 and half[0] == pytest.approx(0.5 * c0[0], rel=1e-12)
