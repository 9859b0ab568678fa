"""Contacts beyond Earth orbit against skyfield (DE421 positions, its ITRS frame and WGS84
stations) as the independent oracle.

The probe is a trajectory node fixed 50,000 km above Mars' centre along ICRF +z (a CSV with
constant samples: the interpolation is exact), linked to DSN Goldstone in X band, across the
March 2028 solar conjunction. Every window edge must lie where the oracle puts a threshold
crossing (the station's 10° mask or the 3° Sun-Earth-probe angle); inside windows both hold;
in gaps one fails. Each contact's light time is recomputed from skyfield positions by the
same definition (receive time = send time + distance / c at the receive time, iterated), and
its rate from the Eb/N0 budget written out here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from orbitcloud.api import run
from orbitcloud.scenario import load_scenario

C_KM_S = 299792.458
OFFSET_KM = np.array([0.0, 0.0, 50_000.0])
EPOCH = "2028-03-01T00:00:00Z"
DURATION_S = 40 * 86400.0
MASK_DEG, SEP_DEG = 10.0, 3.0
RATE = {"kind": "deep_space", "band": "X", "eirp_dbw": 60.0, "g_t_db_per_k": 53.5,
        "required_ebn0_db": 1.0, "margin_db": 3.0, "max_rate_bps": 1e7}  # fmt: skip


def _scenario(**over: Any) -> dict[str, Any]:
    t = np.arange(-3600.0, DURATION_S + 7200.0, 3600.0)
    csv = "t_s,x_km,y_km,z_km\n" + "".join(f"{x:.1f},0,0,50000\n" for x in t)
    sc: dict[str, Any] = {
        "name": "probe-conjunction",
        "epoch": EPOCH,
        "duration_s": DURATION_S,
        "step_s": 600,
        "constellations": [
            {
                "kind": "ephemeris",
                "name": "probes",
                "satellites": [{"name": "probe", "format": "csv", "center": "mars", "text": csv}],
            }
        ],
        "ground_stations": [
            {
                "name": "goldstone",
                "lat_deg": 35.4259,
                "lon_deg": -116.8896,
                "alt_m": 1002,
                "min_elevation_deg": MASK_DEG,
                "jurisdiction": "US",
                "rate_bps": 1e6,
                "earth_orbit_passes": False,
            }
        ],
        "space_links": [
            {
                "name": "x",
                "from_nodes": ["probe"],
                "to_nodes": ["goldstone"],
                "rate": RATE,
                "return_rate": {"kind": "fixed", "rate_bps": 2000},
                "conjunction_min_sep_deg": SEP_DEG,
                "max_contact_s": 4 * 3600,
            }
        ],
    }
    sc.update(over)
    return sc


@pytest.fixture(scope="module")
def result():
    return run(load_scenario(_scenario()), stages=("contacts",))


class _Oracle:
    """skyfield geometry: station and probe positions (ICRF, km), elevation, SEP."""

    def __init__(self, ts_eph: tuple[Any, Any]) -> None:
        from skyfield.api import wgs84
        from skyfield.framelib import itrs

        self.ts, self.eph = ts_eph
        self.itrs = itrs
        self.site = wgs84.latlon(35.4259, -116.8896, elevation_m=1002.0)
        lat, lon = np.radians(35.4259), np.radians(-116.8896)
        self.up_itrs = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])

    def t(self, t_s):
        return self.ts.utc(2028, 3, 1, 0, 0, np.asarray(t_s, dtype=float))

    def probe(self, t_s):
        return self.eph["mars"].at(self.t(t_s)).position.km.T + OFFSET_KM

    def station(self, t_s):
        return (self.eph["earth"] + self.site).at(self.t(t_s)).position.km.T

    def elevation_deg(self, t_s):
        tt = self.t(t_s)
        d = self.probe(t_s) - self.station(t_s)
        rot = self.itrs.rotation_at(tt)  # [3, 3, n]: r_itrs = R r_icrf
        up = np.einsum("jin,j->ni", rot, self.up_itrs)
        return np.degrees(np.arcsin((d * up).sum(1) / np.linalg.norm(d, axis=1)))

    def sep_deg(self, t_s):
        tt = self.t(t_s)
        e = self.eph["earth"].at(tt).position.km.T
        p = self.probe(t_s) - e
        s = self.eph["sun"].at(tt).position.km.T - e
        cos = (p * s).sum(1) / np.linalg.norm(p, axis=1) / np.linalg.norm(s, axis=1)
        return np.degrees(np.arccos(np.clip(cos, -1, 1)))

    def light_time_s(self, src, dst, t_send):
        """Forward light time, iterated on skyfield positions."""
        r_src = src(t_send)
        tau = np.linalg.norm(dst(t_send) - r_src, axis=1) / C_KM_S
        for _ in range(10):
            tau = np.linalg.norm(dst(t_send + tau) - r_src, axis=1) / C_KM_S
        return tau


@pytest.fixture(scope="module")
def oracle(skyfield_ts_eph):
    return _Oracle(skyfield_ts_eph)


def test_window_edges_are_where_the_mask_or_the_conjunction_threshold_is_crossed(result, oracle):
    """Every edge (not at the run's ends, not a cut of a long window) lies where the station's
    elevation crosses 10° (within 0.002°, ~0.5 s of motion) or the Sun-Earth-probe angle
    crosses 3° (within 0.0005°); both hold inside windows; outside, one fails."""
    p = result.contacts
    down = p.select((p.src == 0) & (p.dst == 1))
    assert len(down) > 20
    merged_s, merged_e = [down.start_s[0]], [down.end_s[0]]  # undo the max_contact_s cuts
    for s, e in zip(down.start_s[1:], down.end_s[1:], strict=True):
        if s <= merged_e[-1] + 1e-6:
            merged_e[-1] = max(merged_e[-1], e)
        else:
            merged_s.append(s)
            merged_e.append(e)
    edges = np.array([t for t in merged_s + merged_e if 1.0 < t < DURATION_S - 1.0])
    el = oracle.elevation_deg(edges)
    sep = oracle.sep_deg(edges)
    at_mask = np.abs(el - MASK_DEG) < 0.002
    at_sep = np.abs(sep - SEP_DEG) < 0.0005
    assert (at_mask | at_sep).all(), (edges[~(at_mask | at_sep)], el, sep)
    assert at_sep.sum() >= 1  # the conjunction cuts at least one window
    inside = np.concatenate(
        [np.arange(s + 60, e - 60, 1800.0) for s, e in zip(merged_s, merged_e, strict=True)]
    )
    assert (oracle.elevation_deg(inside) > MASK_DEG - 1e-3).all()
    assert (oracle.sep_deg(inside) > SEP_DEG - 1e-4).all()
    grid = np.arange(0.0, DURATION_S, 1800.0)
    in_window = np.zeros(grid.shape, dtype=bool)
    for s, e in zip(merged_s, merged_e, strict=True):
        in_window |= (grid > s - 60) & (grid < e + 60)
    gap = grid[~in_window]
    blocked = (oracle.elevation_deg(gap) < MASK_DEG) | (oracle.sep_deg(gap) < SEP_DEG)
    assert blocked.all()


def test_solar_conjunction_blacks_out_the_days_below_the_threshold(result, oracle):
    """No contact during the days skyfield puts the Sun-Earth-probe angle below 3° (about
    2028-03-08 to 04-03), contacts every day on either side."""
    p = result.contacts
    t = np.arange(0.0, DURATION_S, 60.0)
    below = oracle.sep_deg(t) < SEP_DEG
    t_in, t_out = t[below].min(), t[below].max()
    assert 20 * 86400 < t_out - t_in < 30 * 86400
    overlap = (p.start_s < t_out - 60) & (p.end_s > t_in + 60)
    assert not overlap.any()
    for day in (t_in / 86400 - 2, t_out / 86400 + 1):
        assert ((p.start_s < (day + 1) * 86400) & (p.end_s > day * 86400)).any()


def test_light_time_and_rate_of_each_contact(result, oracle):
    """Each contact's light time (at the longest range of its piece, 9 exact samples) equals
    skyfield's within 10 µs (minutes of light time: 17-21 min here), per direction; the
    downlink rate equals the Eb/N0 budget at that range, the uplink the fixed 2 kbit/s."""
    p = result.contacts
    f = np.linspace(0.0, 1.0, 9)
    for src, dst, a, b in ((0, 1, oracle.probe, oracle.station),
                           (1, 0, oracle.station, oracle.probe)):  # fmt: skip
        c = p.select((p.src == src) & (p.dst == dst))
        t = c.start_s[:, None] + (c.end_s - c.start_s)[:, None] * f
        d = np.linalg.norm(oracle.probe(t.ravel()) - oracle.station(t.ravel()), axis=1)
        k = d.reshape(t.shape).argmax(axis=1)
        t_far = t[np.arange(len(c)), k]
        expected = oracle.light_time_s(a, b, t_far)
        assert expected.min() > 17 * 60 and expected.max() < 22 * 60
        assert np.abs(c.owlt_s - expected).max() < 1e-5
        d_far = d.reshape(t.shape)[np.arange(len(c)), k]
        assert np.abs(c.range_km - d_far).max() < 0.01  # km
        if src == 0:
            lfs = 20 * np.log10(4 * np.pi * d_far * 1e3 * 8.42e9 / 299792458.0)
            k_dbw = 10 * np.log10(1.380649e-23)
            rate = 10 ** ((60.0 + 53.5 - lfs - k_dbw - 1.0 - 3.0) / 10)
            np.testing.assert_allclose(c.rate_bps, np.minimum(rate, 1e7), rtol=1e-9)
        else:
            assert (c.rate_bps == 2000).all()


def test_a_far_side_lunar_site_never_sees_earth_and_a_near_side_one_always_does():
    """The Moon blocks the far side (libration < 8°: the Earth stays below a far-side site's
    horizon); a near-side site at the sub-Earth point sees it all the time (Earth above 80°
    there), so its only gaps are those of the stations' horizons."""
    sc = _scenario(
        epoch="2027-03-01T00:00:00Z",
        duration_s=3 * 86400,
        constellations=[
            {
                "kind": "surface",
                "name": "moon-sites",
                "body": "moon",
                "sites": [
                    {"name": "far", "lat_deg": 0, "lon_deg": 180, "min_elevation_deg": 0},
                    {"name": "near", "lat_deg": 0, "lon_deg": 0, "min_elevation_deg": 5},
                ],
            }
        ],
        space_links=[
            {
                "name": "ka",
                "from_nodes": ["moon-sites"],
                "to_nodes": ["goldstone"],
                "rate": {"kind": "fixed", "rate_bps": 1e8},
            }
        ],
    )
    p = run(load_scenario(sc), stages=("contacts",)).contacts
    names = p.nodes.names
    far, near = names.index("far"), names.index("near")
    assert not ((p.src == far) | (p.dst == far)).any()
    rows = p.select((p.src == near) & (p.dst == names.index("goldstone")))
    assert len(rows) >= 3  # one pass a day as the Earth turns
    assert ((rows.owlt_s > 1.19) & (rows.owlt_s < 1.37)).all()  # 356,000-406,000 km


def test_routes_refuse_scenarios_beyond_earth_orbit():
    from orbitcloud.run.pipeline import run_routes

    with pytest.raises(ValueError, match="snapshot routing covers Earth orbit only"):
        run_routes(load_scenario(_scenario()), ["goldstone"], ["probe"])
