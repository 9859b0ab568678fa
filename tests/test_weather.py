"""ACM ground links: ITU-R attenuation (itur as the oracle), DVB-S2X MODCOD selection (the
EN 302 307-2 table), the Friis budget, and the contact pieces of a pass."""

from __future__ import annotations

import math
import warnings

import itur
import numpy as np
import pytest

from conftest import iss_scenario
from orbitcloud.links import build_contact_plan
from orbitcloud.links.acm import DVBS2X_MODCODS, AcmRates, esn0_db, modcod_index, modcod_rate_bps
from orbitcloud.links.visibility import GroundSites
from orbitcloud.links.weather import ELEVATION_STEP_DEG, attenuation_db, attenuation_table
from orbitcloud.network.snapshots import SnapshotBuilder
from orbitcloud.orbits import build_satellites, propagate
from orbitcloud.scenario import ScenarioError, load_scenario
from orbitcloud.timegrid import TimeGrid

FUCINO = {"name": "Fucino", "lat_deg": 41.978, "lon_deg": 13.604, "alt_m": 680,
          "min_elevation_deg": 10, "jurisdiction": "IT"}  # fmt: skip
LINK = {"kind": "acm", "band": "Ka", "eirp_dbw": 30, "g_t_db_per_k": 15, "symbol_rate_baud": 5e8,
        "availability_pct": 99.0, "uplink": {"kind": "fixed", "rate_bps": 1e7}}  # fmt: skip


def _itur_db(lat: float, lon: float, alt_m: float, f_hz: float, p: float, d_m: float, el):
    """itur's own total attenuation, called directly with the same inputs [dB]."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a = itur.atmospheric_attenuation_slant_path(lat, lon, f_hz / 1e9, el, p, d_m,
                                                    hs=alt_m / 1000.0)  # fmt: skip
    return np.asarray(a.value, dtype=np.float64)


@pytest.mark.parametrize(("f_hz", "p"), [(19e9, 0.5), (12e9, 0.1), (29e9, 1.0), (8.2e9, 0.01)])
def test_attenuation_equals_itur_called_directly(f_hz, p):
    el = np.array([5.0, 7.3, 12.25, 23.6, 45.1, 71.9, 89.0, 90.0])
    want = _itur_db(41.978, 13.604, 680.0, f_hz, p, 1.2, el)
    n = el.shape[0]
    got = attenuation_db(np.full(n, 41.978), np.full(n, 13.604), np.full(n, 680.0), f_hz, p,
                         1.2, el)  # fmt: skip
    assert np.max(np.abs(got - want)) < 1e-9  # same model: gas zenith / sin(el) is P.676's own
    # the table: exact on its grid points, linear between them
    tab = attenuation_table(np.array([41.978]), np.array([13.604]), np.array([680.0]),
                            np.array([f_hz]), np.array([p]), np.array([1.2]))  # fmt: skip
    on_grid = np.isclose(el / ELEVATION_STEP_DEG, np.round(el / ELEVATION_STEP_DEG))
    err = np.abs(tab.at(np.zeros(n, dtype=np.intp), el) - want)
    assert err[on_grid].max() < 1e-9
    assert err.max() < 0.05  # measured <= 0.03 dB below 89.75 deg (P.618 rain kinks at zenith)


def test_attenuation_table_interpolation_error_over_elevations():
    el = np.linspace(5.0, 89.75, 679)
    want = _itur_db(-33.87, 151.21, 40.0, 19e9, 0.5, 1.2, el)
    tab = attenuation_table(np.array([-33.87]), np.array([151.21]), np.array([40.0]),
                            np.array([19e9]), np.array([0.5]), np.array([1.2]))  # fmt: skip
    err = np.abs(tab.at(np.zeros(el.shape[0], dtype=np.intp), el) - want)
    assert err.max() < 0.05


def _best_by_hand(es: float, margin: float) -> int:
    best, eff = -1, -1.0
    for k, (_, e, thr) in enumerate(DVBS2X_MODCODS):
        if thr + margin <= es and e > eff:
            best, eff = k, e
    return best


def test_modcod_selection_equals_the_table():
    names = [m[0] for m in DVBS2X_MODCODS]
    picks = {  # Es/N0 [dB] -> MODCOD, by reading EN 302 307-2 Table 20a
        -2.04: None, -2.03: "QPSK 13/45", 1.0: "QPSK 9/20", 7.45: "16APSK 3/5-L",
        17.0: "256APSK 29/45-L", 18.0: "256APSK 2/3-L", 18.6: "256APSK 32/45",
        19.57: "256APSK 3/4", 30.0: "256APSK 3/4",
    }  # fmt: skip
    es = np.array(list(picks))
    k = modcod_index(es, 0.0)
    for e, want, got in zip(es.tolist(), picks.values(), k.tolist(), strict=True):
        assert (None if got < 0 else names[got]) == want, e
    assert modcod_index(np.array([7.45]), 1.0)[0] == names.index("16APSK 1/2-L")  # 6.45 dB
    rate = modcod_rate_bps(np.array([19.57]), 1e8, 0.0)
    assert rate[0] == pytest.approx(5.900855e8, rel=1e-12)


def test_modcod_selection_is_monotone_and_matches_a_brute_force_scan():
    es = np.linspace(-6.0, 25.0, 3101) + 0.0037  # off the 0.01 dB thresholds (no fp ties)
    for margin in (0.0, 1.0, 2.5):
        eff = modcod_rate_bps(es, 1.0, margin)
        assert np.all(np.diff(eff) >= 0)
        k = modcod_index(es, margin)
        want = np.array([_best_by_hand(e, margin) for e in es.tolist()])
        eff_want = np.array([0.0 if j < 0 else DVBS2X_MODCODS[j][1] for j in want.tolist()])
        assert np.array_equal(eff, eff_want)
        assert np.array_equal(k >= 0, want >= 0)


def test_budget_is_friis_in_linear_units():
    c = 299_792.458  # km/s
    k_b = 1.380649e-23
    d_km, f_hz, eirp, gt, a_db, loss, rs = 1234.5, 19e9, 33.0, 17.0, 2.7, 1.1, 2.5e8
    lin = (10 ** (eirp / 10) * 10 ** (gt / 10) * (c / (4 * math.pi * d_km * f_hz)) ** 2
           / 10 ** ((a_db + loss) / 10) / k_b / rs)  # fmt: skip
    got = esn0_db(eirp, gt, np.array([d_km]), f_hz, a_db, loss, rs)[0]
    assert abs(got - 10 * math.log10(lin)) < 1e-9


def _plan(link, step_s=30.0, **station):
    st = {**FUCINO, **station}
    if link is None:
        st["rate_bps"] = 1e9
    else:
        st["link"] = link
    sc = load_scenario(iss_scenario(duration_s=6 * 3600, step_s=step_s, ground_stations=[st]))
    eph = propagate(build_satellites(sc), TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s))
    return sc, eph, build_contact_plan(sc, eph)


def _down(plan):
    sel = plan.kind == 0
    return plan.start_s[sel], plan.end_s[sel], plan.rate_bps[sel]


def test_pieces_tile_each_pass_exactly_and_rates_peak_at_culmination():
    _, eph, fixed = _plan(None)
    sc, _, acm = _plan(LINK)
    s0, e0, _ = _down(fixed)
    s, e, r = _down(acm)
    assert s0.size == 4
    assert np.all(e - s <= sc.step_s + 1e-9)  # default piece: min(step, 60 s)
    acm_rates = AcmRates.from_stations(list(sc.ground_stations))
    site = GroundSites.from_stations(list(sc.ground_stations))
    for a, b in zip(s0.tolist(), e0.tolist(), strict=True):
        sel = (s >= a) & (e <= b)
        ps, pe, pr = s[sel], e[sel], r[sel]
        assert ps[0] == a and pe[-1] == b  # the refined edges, exactly
        assert np.array_equal(pe[:-1], ps[1:])  # no gap, no overlap
        # rates rise to the piece holding the highest elevation, then fall
        t = np.linspace(a, b, 2001)
        r_sat = eph.propagator.ecef_at(np.zeros(t.size, dtype=np.intp), t)
        d = r_sat - site.r_ecef_km[0]
        el = np.degrees(np.arcsin(d @ site.up[0] / np.linalg.norm(d, axis=1)))
        t_top = t[np.argmax(el)]
        top = int(np.searchsorted(ps, t_top, side="right") - 1)
        assert np.all(np.diff(pr[: top + 1]) >= 0) and np.all(np.diff(pr[top:]) <= 0)
        assert pr[top] > pr[0] and pr[top] > pr[-1]
        # never more than the link gives anywhere in the piece
        inst = acm_rates.rate_bps(np.zeros(t.size, dtype=np.intp), el, np.linalg.norm(d, axis=1))
        k = np.clip(np.searchsorted(ps, t, side="right") - 1, 0, ps.size - 1)
        assert np.all(pr[k] <= inst + 1e-6)


def test_less_rain_margin_never_gives_a_lower_rate():
    _, _, hi = _plan({**LINK, "availability_pct": 99.9})
    _, _, lo = _plan({**LINK, "availability_pct": 99.0})
    sh, _, rh = _down(hi)
    sl, _, rl = _down(lo)
    common, ih, il = np.intersect1d(sh, sl, return_indices=True)
    assert common.size == sh.size  # a piece that closes at 99.9 % also closes at 99 %
    assert np.all(rl[il] >= rh[ih])
    assert np.any(rl[il] > rh[ih])


def test_snapshot_capacity_is_at_least_the_plan_piece_rate():
    sc, eph, plan = _plan(LINK)
    s, e, r = _down(plan)
    builder = SnapshotBuilder.from_scenario(sc, eph.satellites)
    t = 0.5 * (s + e)
    r_sat = eph.propagator.ecef_at(np.zeros(t.size, dtype=np.intp), t)
    gs_down = builder.downlink_node(0)
    for k in range(t.size):
        lk = builder.links(r_sat[k][None], float(t[k]))
        cap = lk.capacity_bps[(lk.src == 0) & (lk.dst == gs_down)]
        assert cap.size == 1 and cap[0] >= r[k]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"link": {**LINK, "frequency_hz": 60e9}}, "link.frequency_hz"),
        ({"link": {**LINK, "availability_pct": 90}}, "link.availability_pct"),
        ({"link": {**LINK, "rolloff": 0.3}}, "link.rolloff"),
        ({"link": LINK, "min_elevation_deg": 2}, "min_elevation_deg"),
        ({"link": LINK, "rate_bps": 1e9}, "rate_bps"),
        ({"link": {k: v for k, v in LINK.items() if k != "uplink"}}, "uplink"),
        (
            {"link": {**LINK, "uplink": {"kind": "acm", "eirp_dbw": 50, "g_t_db_per_k": 5}}},
            "link.uplink.symbol_rate_baud",
        ),
    ],
)
def test_bad_acm_links_get_one_line_naming_the_field(change, where):
    st = {**FUCINO, **change}
    with pytest.raises(ScenarioError) as info:
        load_scenario(iss_scenario(ground_stations=[st]))
    msg = str(info.value)
    assert "\n" not in msg.strip() and "Traceback" not in msg
    assert "ground_stations[0]" in msg and where in msg


def test_the_summary_counts_a_cut_pass_once():
    from orbitcloud.summary import pass_spans

    _, _, fixed = _plan(None)
    _, _, acm = _plan(LINK)
    g0, d0 = pass_spans(fixed)
    g1, d1 = pass_spans(acm)
    assert np.array_equal(g0, g1)
    assert np.max(np.abs(d0 - d1)) < 1e-9
