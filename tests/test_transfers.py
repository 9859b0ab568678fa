"""Flow-level transfers: progressive filling against a linear-programming oracle of the
lexicographic max-min allocation, and the fluid simulation against finish times worked out by
hand on a three-satellite line."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from orbitcloud.constants import SPEED_OF_LIGHT_KM_S, WGS84_A_KM
from orbitcloud.links.visibility import GroundSites
from orbitcloud.network.snapshots import SnapshotBuilder
from orbitcloud.network.transfers import (
    Transfer,
    TransferTable,
    max_min_fair_rates,
    simulate_transfers,
)
from orbitcloud.scenario.models import FixedRate, GroundStation

# ---------------------------------------------------------------------------------------------
# max-min fair rates vs a sequence of linear programs


def _lp_max_min(inc: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Lexicographic max-min rates by linear programming (independent of progressive filling).

    Round: maximise the common level ``t`` of the unfixed flows (each ``x_f >= t``) under the
    link capacities left by the fixed flows; then a flow is fixed at ``t`` if the LP
    "maximise x_f subject to every unfixed flow >= t" cannot raise it above ``t``.
    """
    n_flow, _ = inc.shape
    scale = max(float(cap.max()), 1.0)
    c = cap / scale
    fixed = np.full(n_flow, np.nan)
    while np.isnan(fixed).any():
        u = np.flatnonzero(np.isnan(fixed))
        f = np.flatnonzero(~np.isnan(fixed))
        left = c - inc[f].T.astype(float) @ fixed[f]
        a_links = inc[u].T.astype(float)  # [n_link, n_u]
        n_u = u.size
        # variables (x_u..., t): maximise t; links; t - x_f <= 0
        a_ub = np.vstack(
            [
                np.hstack([a_links, np.zeros((a_links.shape[0], 1))]),
                np.hstack([-np.eye(n_u), np.ones((n_u, 1))]),
            ]
        )
        b_ub = np.concatenate([left, np.zeros(n_u)])
        res = linprog(
            np.r_[np.zeros(n_u), -1.0], A_ub=a_ub, b_ub=b_ub, bounds=[(0, None)] * (n_u + 1)
        )
        assert res.status == 0
        level = float(res.x[-1])
        froze = False
        for j, flow in enumerate(u):
            obj = np.zeros(n_u)
            obj[j] = -1.0
            lo = max(level * (1 - 1e-9) - 1e-12, 0.0)
            r = linprog(obj, A_ub=a_links, b_ub=left, bounds=[(lo, None)] * n_u)
            assert r.status == 0
            if -r.fun <= level * (1 + 1e-7) + 1e-9:
                fixed[flow] = level
                froze = True
        assert froze
    return fixed * scale


@st.composite
def _instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n_flow = draw(st.integers(1, 8))
    n_link = draw(st.integers(1, 6))
    uses = draw(st.lists(st.booleans(), min_size=n_flow * n_link, max_size=n_flow * n_link))
    inc = np.array(uses, dtype=bool).reshape(n_flow, n_link)
    for i in range(n_flow):  # every flow is routed over at least one link
        if not inc[i].any():
            inc[i, draw(st.integers(0, n_link - 1))] = True
    # small integers make equal bottleneck levels (ties) common; floats cover the rest
    cap = draw(
        st.lists(
            st.one_of(st.integers(0, 4).map(float), st.floats(0.05, 10.0)),
            min_size=n_link,
            max_size=n_link,
        )
    )
    return inc, np.array(cap) * 1e9


@settings(max_examples=80, deadline=None)
@given(_instances())
def test_max_min_fair_rates_equal_lp_oracle_and_have_bottlenecks(
    inst: tuple[np.ndarray, np.ndarray],
) -> None:
    inc, cap = inst
    rates = max_min_fair_rates(csr_matrix(inc), cap)
    expected = _lp_max_min(inc, cap)
    tol_bps = 1e-6 * max(float(cap.max()), 1.0)
    np.testing.assert_allclose(rates, expected, rtol=1e-6, atol=tol_bps)
    # feasible
    load = inc.T.astype(float) @ rates
    assert np.all(load <= cap * (1 + 1e-9) + 1e-6)
    # every flow has a bottleneck: a full link where no flow has a higher rate
    for f in range(inc.shape[0]):
        links = np.flatnonzero(inc[f])
        full = load[links] >= cap[links] * (1 - 1e-9) - 1e-6
        top = np.array([rates[f] >= rates[inc[:, link]].max() * (1 - 1e-9) for link in links])
        assert np.any(full & top), f"flow {f} has no bottleneck"


def test_max_min_fair_rates_textbook_example() -> None:
    """Bertsekas & Gallager's pattern by hand: links of capacity 1 and 2; flows 0, 1, 2 on
    link 0, flow 3 on link 1 with flow 2. Level 1/3 fills link 0; flow 3 gets 2 - 1/3."""
    inc = csr_matrix(np.array([[1, 0], [1, 0], [1, 1], [0, 1]]))
    rates = max_min_fair_rates(inc, np.array([1.0, 2.0]))
    np.testing.assert_allclose(rates, [1 / 3, 1 / 3, 1 / 3, 5 / 3], rtol=1e-12)


def test_max_min_fair_rates_empty_rows_zeros_and_duplicates() -> None:
    """A flow on no link is unconstrained (inf); explicit zeros are not uses; a duplicated
    entry counts once."""
    # raw CSR arrays keep what a COO conversion would fold: flow 1 has an explicit zero on
    # link 1, flow 2 lists link 0 twice, flow 3 has no entries
    inc = csr_matrix(
        (np.array([1.0, 1.0, 0.0, 1.0, 1.0]), np.array([0, 0, 1, 0, 0]), np.array([0, 1, 3, 5, 5])),
        shape=(4, 2),
    )
    assert inc.nnz == 5 and not inc.has_canonical_format
    rates = max_min_fair_rates(inc, np.array([3.0, 0.5]))
    np.testing.assert_allclose(rates[:3], [1.0, 1.0, 1.0], rtol=1e-12)
    assert rates[3] == np.inf


@pytest.mark.parametrize("cap", [[1.0], [1.0, -1.0], [1.0, np.nan], [1.0, np.inf]])
def test_max_min_fair_rates_rejects_bad_capacity(cap: list[float]) -> None:
    with pytest.raises(ValueError, match="capacity_bps"):
        max_min_fair_rates(csr_matrix(np.ones((1, 2))), np.array(cap))


# ---------------------------------------------------------------------------------------------
# a hand-made network: satellites s0, s1, s2 over the equator at 0°, 5°, 10° E, 550 km up;
# stations A (0° E) and B (10° E) with a 60° elevation mask see only the satellite overhead.
# Neighbouring satellites are 604 km apart, s0-s2 1,208 km: beyond the 1,000 km ISL range.
# Route A→B: A↑ s0 → s1 → s2 B↓.

R_SAT_KM = WGS84_A_KM + 550.0
NAMES = ["s0", "s1", "s2", "A", "B"]
T_S = np.arange(0.0, 101.0, 10.0)  # 11 grid times


def _equator(lon_deg: float, radius_km: float) -> np.ndarray:
    lon = math.radians(lon_deg)
    return np.array([radius_km * math.cos(lon), radius_km * math.sin(lon), 0.0])


def _builder(up_a_bps: float, isl_bps: float, down_b_bps: float) -> SnapshotBuilder:
    stations = [
        GroundStation(name=n, lat_deg=0.0, lon_deg=lon, min_elevation_deg=60.0,
                      jurisdiction="XX", rate_bps=1e9)
        for n, lon in (("A", 0.0), ("B", 10.0))
    ]  # fmt: skip
    a = np.array([0, 1, 0], dtype=np.intp)
    b = np.array([1, 2, 2], dtype=np.intp)
    return SnapshotBuilder(
        n_sat=3,
        n_gs=2,
        isl_a=a,
        isl_b=b,
        isl_max_range_km=np.full(3, 1000.0),
        isl_min_radius_km=np.full(3, WGS84_A_KM + 80.0),
        sites=GroundSites.from_stations(stations),
        isl_rates=(FixedRate(kind="fixed", rate_bps=isl_bps),),
        isl_set=np.zeros(3, dtype=np.intp),
        gs_uplink_bps=np.array([up_a_bps, 1e12]),
        gs_downlink_bps=np.array([1e12, down_b_bps]),
    )


def _positions(s1_away: np.ndarray | None = None) -> np.ndarray:
    """float64[3, n_time, 3]; where ``s1_away[k]``, s1 is on the far side of the Earth."""
    here = np.stack([_equator(lon, R_SAT_KM) for lon in (0.0, 5.0, 10.0)])
    r = np.repeat(here[:, None, :], T_S.size, axis=1)
    if s1_away is not None:
        r[1, s1_away] = -here[1]
    return r


def _delay_s(*points: np.ndarray) -> float:
    """Propagation delay along a polyline of positions [km]."""
    return sum(float(np.linalg.norm(q - p)) for p, q in itertools.pairwise(points)) / (
        SPEED_OF_LIGHT_KM_S
    )


GS_A, GS_B = _equator(0.0, WGS84_A_KM), _equator(10.0, WGS84_A_KM)
SATS = [_equator(lon, R_SAT_KM) for lon in (0.0, 5.0, 10.0)]
A_TO_B_DELAY_S = _delay_s(GS_A, *SATS, GS_B)


def _simulate(transfers: list[Transfer]) -> TransferTable:
    """The standard line network (A up 1e9, ISLs 2e9, B down 5e8), static positions."""
    return simulate_transfers(_builder(1e9, 2e9, 5e8), T_S, _positions(), NAMES, transfers)


def test_hand_network_has_the_intended_links() -> None:
    """Precondition of the cases below: the line A↑ s0 ⇄ s1 ⇄ s2 B↓ and nothing else."""
    lk = _builder(1e9, 1e9, 1e9).links(_positions()[:, 0])
    got = set(zip(lk.src.tolist(), lk.dst.tolist(), strict=True))
    # nodes: sats 0-2, uplinks A=3 B=4, downlinks A=5 B=6
    assert got == {(0, 1), (1, 0), (1, 2), (2, 1), (3, 0), (4, 2), (0, 5), (2, 6)}
    away = _builder(1e9, 1e9, 1e9).links(_positions(np.ones(T_S.size, bool))[:, 0])
    assert set(zip(away.src.tolist(), away.dst.tolist(), strict=True)) == {
        (3, 0), (4, 2), (0, 5), (2, 6)
    }  # fmt: skip


def test_one_transfer_runs_at_the_bottleneck_capacity() -> None:
    """Alone on the path, the rate is min(uplink, ISL, downlink) = 5e8 bit/s (the downlink):
    1e9 bytes take 8e9 / 5e8 = 16 s, across grid steps; arrival adds the path delay."""
    table = simulate_transfers(
        _builder(1e9, 2e9, 5e8), T_S, _positions(), NAMES, [Transfer("A", "B", 1e9, 3.0)]
    )
    assert table.completed[0]
    assert table.finish_s[0] == pytest.approx(19.0, abs=1e-9)
    assert table.arrival_s[0] == pytest.approx(19.0 + A_TO_B_DELAY_S, abs=1e-9)
    # sanity of the geometry: 550 km up, two 604.3 km chords, 550 km down
    expected_delay_s = (550 + 2 * 604.3 + 550) / SPEED_OF_LIGHT_KM_S
    assert expected_delay_s == pytest.approx(A_TO_B_DELAY_S, rel=1e-3)
    assert table.bytes_sent[0] == 1e9
    assert table.throughput_bps[0] == pytest.approx(5e8, rel=1e-12)


def test_two_equal_transfers_share_the_bottleneck_and_finish_together() -> None:
    """Each gets 5e8 / 2: 8e9 bits take 32 s."""
    table = _simulate(
        [Transfer("A", "B", 1e9, 3.0), Transfer("A", "B", 1e9, 3.0)],
    )
    assert table.completed.all()
    np.testing.assert_allclose(table.finish_s, [35.0, 35.0], atol=1e-9)
    np.testing.assert_allclose(table.throughput_bps, [2.5e8, 2.5e8], rtol=1e-12)


def test_large_transfer_speeds_up_when_the_small_one_finishes() -> None:
    """C = 5e8 bit/s. Large (16e9 bits) alone from 0 to 10 s sends 5e9 bits; then both run at
    2.5e8: small (4e9 bits) finishes at 10 + 16 = 26 s, large has sent 9e9 bits; the other
    7e9 bits at full C take 14 s: large finishes at 40 s (not 10 + 2 * 11e9 / 5e8 = 54 s)."""
    table = _simulate(
        [Transfer("A", "B", 2e9, 0.0, "large"), Transfer("A", "B", 5e8, 10.0, "small")],
    )
    assert table.completed.all()
    np.testing.assert_allclose(table.finish_s, [40.0, 26.0], atol=1e-9)
    np.testing.assert_allclose(table.arrival_s, np.array([40.0, 26.0]) + A_TO_B_DELAY_S)


def test_flows_with_different_bottlenecks() -> None:
    """X: A→B, held to 3e8 by A's uplink; Y: s1→s2 on the 1e9 ISL gets the rest, 7e8. X
    (2.4e9 bits) ends at 8 s; Y (11.2e9 bits) sent 5.6e9 by then, the rest at 1e9 takes
    5.6 s: 13.6 s. Y arrives one ISL hop later."""
    table = simulate_transfers(
        _builder(3e8, 1e9, 1e9),
        T_S,
        _positions(),
        NAMES,
        [Transfer("A", "B", 3e8, 0.0), Transfer("s1", "s2", 1.4e9, 0.0)],
    )
    np.testing.assert_allclose(table.finish_s, [8.0, 13.6], atol=1e-9)
    assert table.arrival_s[1] == pytest.approx(13.6 + _delay_s(SATS[1], SATS[2]), abs=1e-12)


def test_transfer_waits_for_a_route() -> None:
    """s1 is away at t = 0, 10, 20 s (no route A→B), back from 30 s: a transfer requested at
    5 s waits, then takes 16 s at 5e8: finish at 46 s."""
    away = T_S < 25
    table = simulate_transfers(
        _builder(1e9, 2e9, 5e8), T_S, _positions(away), NAMES, [Transfer("A", "B", 1e9, 5.0)]
    )
    assert table.completed[0]
    assert table.finish_s[0] == pytest.approx(46.0, abs=1e-9)
    assert table.throughput_bps[0] == pytest.approx(8e9 / 41.0, rel=1e-12)


def test_transfers_not_finished_by_the_end_are_reported_incomplete() -> None:
    """Route only for t < 30 s: 16e9 bits started at 5 s get 25 s x 5e8 = 12.5e9 bits out,
    then stall; s0→s2 requested at 50 s never has a route (s0-s2 is beyond ISL range and s1
    is away) and sends nothing; one started at the last grid time has no time at all."""
    away = T_S >= 25
    table = simulate_transfers(
        _builder(1e9, 2e9, 5e8),
        T_S,
        _positions(away),
        NAMES,
        [
            Transfer("A", "B", 2e9, 5.0),
            Transfer("s0", "s2", 1.0, 50.0),
            Transfer("A", "B", 1.0, 100.0),
        ],
    )
    assert not table.completed.any()
    assert np.isnan(table.finish_s).all() and np.isnan(table.arrival_s).all()
    np.testing.assert_allclose(table.bytes_sent, [12.5e9 / 8, 0.0, 0.0], atol=1e-3)
    assert table.throughput_bps[0] == pytest.approx(12.5e9 / 95.0, rel=1e-9)
    assert table.throughput_bps[1] == 0.0
    assert np.isnan(table.throughput_bps[2])


def test_to_arrow_columns() -> None:
    table = _simulate(
        [Transfer("A", "B", 1e9, 3.0, "backup"), Transfer("s0", "B", 1e6, 100.0)],
    )
    arrow = table.to_arrow()
    assert arrow.column_names == [
        "name", "src", "dst", "size_bytes", "start_s", "finish_s", "arrival_s", "bytes_sent",
        "throughput_bps", "completed",
    ]  # fmt: skip
    assert arrow.num_rows == 2
    assert arrow.schema.field("completed").type == pa.bool_()
    assert arrow.schema.field("finish_s").type == pa.float64()
    rows = arrow.to_pylist()
    assert rows[0]["name"] == "backup" and rows[1]["name"] == "s0->B#1"
    assert (rows[0]["src"], rows[0]["dst"], rows[1]["src"]) == ("A", "B", "s0")
    assert rows[0]["finish_s"] == pytest.approx(19.0, abs=1e-9)  # as worked out above
    assert rows[0]["completed"] and not rows[1]["completed"]
    assert math.isnan(rows[1]["finish_s"])


@pytest.mark.parametrize(
    ("transfer", "match"),
    [
        (Transfer("A", "B", 0.0, 0.0), "size_bytes"),
        (Transfer("A", "B", -5.0, 0.0), "size_bytes"),
        (Transfer("A", "B", float("nan"), 0.0), "size_bytes"),
        (Transfer("A", "B", 1.0, -1.0), "outside the time grid"),
        (Transfer("A", "B", 1.0, 100.5), "outside the time grid"),
        (Transfer("A", "A", 1.0, 0.0), "must differ"),
        (Transfer("A", "Mars", 1.0, 0.0), "unknown route endpoint"),
    ],
)
def test_bad_transfers_get_a_clear_error(transfer: Transfer, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        simulate_transfers(_builder(1e9, 1e9, 1e9), T_S, _positions(), NAMES, [transfer])


def test_bad_grid_or_positions_get_a_clear_error() -> None:
    b, ok = _builder(1e9, 1e9, 1e9), [Transfer("A", "B", 1.0, 0.0)]
    with pytest.raises(ValueError, match="r_sat_km has shape"):
        simulate_transfers(b, T_S, _positions()[:, :5], NAMES, ok)
    with pytest.raises(ValueError, match="strictly increasing"):
        simulate_transfers(b, T_S[::-1], _positions(), NAMES, ok)
    with pytest.raises(ValueError, match="node_names"):
        simulate_transfers(b, T_S, _positions(), NAMES[:4], ok)
