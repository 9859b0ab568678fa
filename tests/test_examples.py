"""Built-in example scenarios: they load, they run end to end through the CLI, and they match
their published specifications.

Oracles are independent of the example files: Hypatia's generator and city list
(github.com/snkas/hypatia), Leonardo's MILSCA figures, the J2 Sun-synchronous condition,
skyfield's Sun ephemeris and the TLE format definition; for the end-to-end runs, the stdlib
HTML parser, PNG signatures, the run folder's own listing and (when installed) chromium.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
import math
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from orbitcloud.cli import app
from orbitcloud.examples import example_path, list_examples
from orbitcloud.orbits import build_satellites
from orbitcloud.scenario import load_scenario
from orbitcloud.scenario.models import (
    ElementsConstellation,
    GridTopology,
    Scenario,
    WalkerConstellation,
)

EXAMPLES = [
    "milsca",
    "starlink-550",
    "ascend",
    "iss-node",
    "starlink-gen1",
    "synthetic-20k",
    "lonestar",
    "mars-relay",
    "axiom",
]
DATA = Path(example_path("milsca")).parent / "data"

# SGP4's WGS72 constants (Vallado et al. 2006, AIAA 2006-6753, Table 1) and the Sun's mean motion.
R_WGS72_KM = 6378.135
MU_WGS72_KM3_S2 = 398600.8
J2_WGS72 = 0.001082616
SUN_RATE_DEG_PER_DAY = 360.0 / 365.2422


@pytest.fixture(scope="module")
def scenarios() -> dict[str, Scenario]:
    return {n: load_scenario(n) for n in EXAMPLES}


# --- every example ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_validates_and_builds(name: str, scenarios: dict[str, Scenario]) -> None:
    assert name in list_examples()
    sc = scenarios[name]
    assert sc.name == name
    sats = build_satellites(sc)  # raises on duplicate node names
    assert sats.n_sat >= 1
    assert len(set(sats.names) | {g.name for g in sc.ground_stations}) == sats.n_sat + len(
        sc.ground_stations
    )


def test_every_example_is_listed_here() -> None:
    """EXAMPLES (the spec checks below) names every built-in example."""
    assert sorted(EXAMPLES) == list_examples()


# --- every example runs end to end ------------------------------------------------------------

#: A short run keeps satellites x time steps under this (and at least MIN_STEPS steps).
RUN_SAMPLES = 50_000
MIN_STEPS = 5
MAX_RUN_S = 3600.0
#: Per-example durations [s] where an hour shows too little (nodes beyond Earth orbit: a few
#: contact windows and bundles need days).
RUN_DURATION_S = {"lonestar": 2 * 86400.0, "mars-relay": 5 * 86400.0}


def short_duration_s(sc: Scenario) -> float:
    """A duration for a quick end-to-end run of ``sc``: RUN_DURATION_S if listed there, else
    at most MAX_RUN_S and RUN_SAMPLES satellite-steps, at least MIN_STEPS steps (and never
    longer than the scenario)."""
    if sc.name in RUN_DURATION_S:
        return min(sc.duration_s, RUN_DURATION_S[sc.name])
    n_sat = build_satellites(sc).n_sat
    steps = max(MIN_STEPS, RUN_SAMPLES // n_sat)
    return min(sc.duration_s, MAX_RUN_S, steps * sc.step_s)


class _Page(HTMLParser):
    """Section ids, image sources and paragraph texts of a report page."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id") or "")
        if tag == "img":
            self.images.append(a.get("src") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Path, float]]:
    """Every built-in example run as `orbitcloud run NAME --duration-s D --workers 1 -o DIR`:
    name -> (CLI result, run folder, wall seconds)."""
    runs: dict[str, tuple[Any, Path, float]] = {}
    for name in list_examples():
        out = tmp_path_factory.mktemp(f"run-{name}")
        d = short_duration_s(load_scenario(name))
        t0 = time.perf_counter()
        res = CliRunner().invoke(
            app, ["run", name, "--duration-s", str(d), "--workers", "1", "-o", str(out)]
        )
        folders = [p for p in out.iterdir() if p.is_dir()]
        runs[name] = (res, folders[0] if len(folders) == 1 else out, time.perf_counter() - t0)
    return runs


@pytest.mark.parametrize("name", list_examples())
def test_example_runs_end_to_end(name: str, example_runs: dict[str, Any]) -> None:
    """`orbitcloud run NAME` (shortened) exits 0 and leaves one complete run folder with a
    report.html; the manifest lists exactly the files the folder holds."""
    res, folder, _ = example_runs[name]
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert folder.name.startswith(f"{name}-") and not folder.name.startswith(".")
    assert (folder / "report.html").is_file()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert {e["name"] for e in manifest["files"]} == {p.name for p in folder.iterdir()}


@pytest.mark.parametrize("name", list_examples())
def test_example_tables_match_their_schemas(name: str, example_runs: dict[str, Any]) -> None:
    """Every Parquet table the run wrote has exactly the schema orbitcloud.run.tables (and
    docs/tables.md) gives it, starts with the folder's name as run_id on every row, and has
    no NaN where its schema says NULL."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from orbitcloud.run.tables import table_schema

    _, folder, _ = example_runs[name]
    tables = sorted(folder.glob("*.parquet"))
    assert {"contacts.parquet", "positions.parquet"} <= {t.name for t in tables}
    for path in tables:
        schema = table_schema(path.name)
        t = pq.read_table(path)
        assert t.schema.remove_metadata().equals(schema.arrow_schema()), path.name
        assert pc.unique(t.column("run_id")).to_pylist() == [folder.name]
        for c in schema.columns:
            col = t.column(c.name)
            if c.nullable and pa.types.is_floating(col.type):
                assert not pc.any(pc.is_nan(col)).as_py(), (path.name, c.name)


@pytest.mark.parametrize("name", list_examples())
def test_example_report_opens(name: str, example_runs: dict[str, Any]) -> None:
    """The report parses, has its always-present sections, embeds every figure the run wrote
    as a decodable PNG, and no figure was left out for lack of data it should have had."""
    _, folder, _ = example_runs[name]
    page = _Page()
    page.feed((folder / "report.html").read_text())
    assert {"summary", "coverage", "contacts", "power", "files"} <= set(page.sections)
    assert len(page.sections) == len(set(page.sections))
    pngs = sorted((folder / "figures").glob("*.png"))
    assert len(page.images) == len(pngs) >= 4
    for src in page.images:
        head, _, data = src.partition(",")
        assert head == "data:image/png;base64"
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(page.text)
    assert "not drawn" not in text
    assessed = (folder / "assessment.json").is_file()
    assert ("assessment" in page.sections) == (assessed or "no assessment:" in text)


def test_example_reports_open_in_chromium(example_runs: dict[str, Any]) -> None:
    """Every example's report.html loads in headless chromium (one browser for all) with no
    console or page errors and every image decoded (scripts/setup-browser.sh installs the
    browser; a missing one fails the test)."""
    from playwright.sync_api import sync_playwright

    chromium = Path("/usr/bin/chromium")
    assert chromium.is_file(), "run scripts/setup-browser.sh (installs Debian's chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            for name, (_, folder, _) in example_runs.items():
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.on(
                    "console",
                    lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None,
                )
                page.goto((folder / "report.html").as_uri())
                page.wait_for_load_state("load")
                widths = page.evaluate("[...document.images].map(i => i.naturalWidth)")
                page.close()
                assert errors == [], name
                assert widths and min(widths) > 100, name
        finally:
            browser.close()


# Rough bounding boxes [lat_min, lat_max, lon_min, lon_max] (metropolitan territory, plus the
# Canary Islands for ES and Svalbard for NO): catch swapped coordinates or a wrong country code.
COUNTRY_BOX = {
    "IT": (35.4, 47.1, 6.6, 18.6),
    "FR": (41.3, 51.1, -5.2, 9.6),
    "DE": (47.2, 55.1, 5.8, 15.1),
    "ES": (27.6, 43.8, -18.2, 4.4),
    "BE": (49.5, 51.5, 2.5, 6.4),
    "SE": (55.3, 69.1, 11.0, 24.2),
    "NO": (57.9, 80.9, 4.5, 33.7),
    "KE": (-4.7, 5.0, 33.9, 41.9),
    "AT": (46.4, 49.0, 9.5, 17.2),
    "GR": (34.8, 41.8, 19.3, 29.7),
    "CZ": (48.5, 51.1, 12.1, 18.9),
    "US": (24.5, 49.4, -125.0, -66.9),
    "JP": (24.0, 45.6, 122.9, 146.0),
}


@pytest.mark.parametrize("name", ["milsca", "ascend", "iss-node"])
def test_station_coordinates_lie_in_their_jurisdiction(
    name: str, scenarios: dict[str, Scenario]
) -> None:
    for g in scenarios[name].ground_stations:
        lat0, lat1, lon0, lon1 = COUNTRY_BOX[g.jurisdiction]
        assert lat0 <= g.lat_deg <= lat1 and lon0 <= g.lon_deg <= lon1, g.name


@pytest.mark.parametrize("name", EXAMPLES)
def test_masks_follow_link_type(name: str, scenarios: dict[str, Scenario]) -> None:
    """RF masks 10 deg (starlink: 25 deg, FCC filing); optical 20 deg (air mass, turbulence)."""
    for g in scenarios[name].ground_stations:
        starlink_like = name in ("starlink-550", "starlink-gen1", "synthetic-20k")
        expected = 20.0 if g.link_type == "optical" else (25.0 if starlink_like else 10.0)
        assert g.min_elevation_deg == expected, g.name


# --- mega-constellations --------------------------------------------------------------------

# FCC 21-48 (April 2021), SpaceX Gen1 modification: (planes, sats/plane, altitude km, incl. deg)
FCC_21_48_SHELLS = [
    (72, 22, 550.0, 53.0),
    (72, 22, 540.0, 53.2),
    (36, 20, 570.0, 70.0),
    (6, 58, 560.0, 97.6),
    (4, 43, 560.0, 97.6),
]


def test_starlink_gen1_is_the_fcc_21_48_constellation(scenarios: dict[str, Scenario]) -> None:
    sc = scenarios["starlink-gen1"]
    got = sorted(
        (c.planes, c.sats_per_plane, c.altitude_km, c.inclination_deg)
        for c in sc.constellations
        if isinstance(c, WalkerConstellation)
    )
    assert got == sorted(FCC_21_48_SHELLS)
    assert build_satellites(sc).n_sat == 4408 == sum(p * s for p, s, _, _ in FCC_21_48_SHELLS)
    assert len(sc.ground_stations) == 100


def test_polar_shells_of_gen1_do_not_share_planes(scenarios: dict[str, Scenario]) -> None:
    """Shells 4 and 5 fly at the same altitude and inclination: their RAANs must differ."""
    sats = build_satellites(scenarios["starlink-gen1"])
    names = sats.constellation_names
    raan = np.degrees([s.nodeo for s in sats.satrecs])
    r4 = np.unique(raan[sats.constellation == names.index("shell4")].round(6))
    r5 = np.unique(raan[sats.constellation == names.index("shell5")].round(6))
    assert len(r4) == 6 and len(r5) == 4
    assert np.abs(r4[:, None] - r5[None, :]).min() >= 10.0


def test_synthetic_20k_has_20000_satellites_in_distinct_shells(
    scenarios: dict[str, Scenario],
) -> None:
    sc = scenarios["synthetic-20k"]
    assert build_satellites(sc).n_sat >= 20_000
    shells = {(c.altitude_km, c.inclination_deg) for c in sc.constellations}  # type: ignore[union-attr]
    assert len(shells) == len(sc.constellations)


# --- starlink-550: Hypatia (Kassing et al. 2020) ------------------------------------------------

HYPATIA_ORBS, HYPATIA_SATS_PER_ORB, HYPATIA_INCL_DEG, HYPATIA_ALT_KM = 72, 22, 53.0, 550.0


def test_starlink_550_is_hypatias_shell(scenarios: dict[str, Scenario]) -> None:
    sc = scenarios["starlink-550"]
    (c,) = sc.constellations
    assert isinstance(c, WalkerConstellation)
    assert (c.planes, c.sats_per_plane) == (HYPATIA_ORBS, HYPATIA_SATS_PER_ORB)
    assert c.inclination_deg == HYPATIA_INCL_DEG
    assert c.altitude_km == HYPATIA_ALT_KM
    assert build_satellites(sc).n_sat == 1584
    (isl,) = sc.isls
    assert isinstance(isl.topology, GridTopology)
    assert isl.grazing_altitude_km == 80.0


def test_starlink_550_positions_match_hypatia_generator(scenarios: dict[str, Scenario]) -> None:
    """Hypatia (generate_tles_from_scratch.py): RAAN = p 360/72; mean anomaly = n 360/22, plus
    360/44 on odd planes (PHASE_DIFF). Same set of positions per plane, whatever the labels."""
    sats = build_satellites(scenarios["starlink-550"])
    raan = np.degrees([s.nodeo for s in sats.satrecs])
    ma = np.degrees([s.mo for s in sats.satrecs])
    for p in range(HYPATIA_ORBS):
        on_p = sats.plane == p
        assert np.allclose(raan[on_p], p * 360.0 / HYPATIA_ORBS, atol=1e-9)
        shift = 360.0 / (HYPATIA_SATS_PER_ORB * 2) if p % 2 == 1 else 0.0
        hyp = (shift + np.arange(HYPATIA_SATS_PER_ORB) * 360.0 / HYPATIA_SATS_PER_ORB) % 360.0
        ours = np.sort(ma[on_p] % 360.0)
        diff = (ours - np.sort(hyp) + 180.0) % 360.0 - 180.0
        assert np.abs(diff).max() < 1e-9, p


def test_starlink_550_ground_stations_are_the_100_cities(scenarios: dict[str, Scenario]) -> None:
    gs = scenarios["starlink-550"].ground_stations
    assert len(gs) == 100
    assert len({g.name for g in gs}) == 100
    assert all(g.min_elevation_deg == 25.0 for g in gs)  # Hypatia / SpaceX FCC filing
    assert (gs[0].name, gs[-1].name) == ("Tokyo", "Kunming")  # Hypatia's population order


# Spot checks from Hypatia's ground_stations_cities_sorted_by_estimated_2025_pop_top_100.basic.txt
# (our name: Hypatia index, lat, lon), and the sums of all 100 latitudes and longitudes there.
HYPATIA_SPOT = {
    "Tokyo": (0, 35.6895, 139.69171),
    "Delhi": (1, 28.66667, 77.21667),
    "Sao-Paulo": (3, -23.5475, -46.63611),
    "Mexico-City": (5, 19.427318, -99.141869),
    "Osaka": (7, 34.675834, 135.553823),
    "Cairo": (8, 30.039173, 31.239411),
    "New-York-Newark": (9, 40.717042, -74.003663),
    "Moscow": (21, 55.754996, 37.621849),
    "London": (27, 51.50853, -0.12574),
    "Hong-Kong": (45, 22.279588, 114.188697),
    "Xian": (55, 34.289413, 108.940242),
    "Sydney": (84, -33.86785, 151.20732),
    "Nairobi": (96, -1.28333, 36.81667),
    "Kunming": (99, 25.03889, 102.71833),
}
HYPATIA_SUM_LAT, HYPATIA_SUM_LON = 2150.6643059, 4099.9469895


def _city_rows() -> tuple[list[str], list[list[str]]]:
    text = (DATA / "cities-top100.csv").read_text(encoding="utf-8")
    rows = [r for r in csv.reader(text.splitlines()) if r and not r[0].startswith("#")]
    return rows[0], rows[1:]


def test_cities_csv_matches_hypatia_list() -> None:
    header, rows = _city_rows()
    assert header == ["name", "lat_deg", "lon_deg", "jurisdiction"]
    assert len(rows) == 100
    names = [r[0] for r in rows]
    assert len(set(names)) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", n) for n in names)
    assert all(re.fullmatch(r"[A-Z]{2}", r[3]) for r in rows)
    lat = np.array([float(r[1]) for r in rows])
    lon = np.array([float(r[2]) for r in rows])
    for name, (k, la, lo) in HYPATIA_SPOT.items():
        assert names[k] == name
        assert abs(lat[k] - la) <= 0.01 and abs(lon[k] - lo) <= 0.01, name
    assert lat.sum() == pytest.approx(HYPATIA_SUM_LAT, abs=0.01)
    assert lon.sum() == pytest.approx(HYPATIA_SUM_LON, abs=0.01)
    codes = {r[0]: r[3] for r in rows}
    assert (codes["Tokyo"], codes["Hong-Kong"], codes["Nairobi"], codes["London"]) == (
        "JP",
        "HK",
        "KE",
        "GB",
    )


# --- milsca: Leonardo's MILSCA (Feb 2024): >100 TB and >250 TFLOPS per satellite ---------------


def test_milsca_satellites_meet_the_published_spec(scenarios: dict[str, Scenario]) -> None:
    sc = scenarios["milsca"]
    assert build_satellites(sc).n_sat >= 24  # "a few dozen"
    for c in sc.constellations:
        assert c.hardware.storage_tb >= 100
        assert c.hardware.compute_tflops >= 250
        # no better than an H100 at chip TDP (66.9 TFLOPS FP32 / 700 W): IT power includes more
        assert c.hardware.compute_tflops / c.hardware.compute_power_w <= 66.9 / 700


def test_milsca_in_plane_laser_links_are_geometrically_possible(
    scenarios: dict[str, Scenario],
) -> None:
    """Neighbours 360/S apart on a circle of radius r: chord 2 r sin(180/S) within range, and
    the chord's midpoint r cos(180/S) above the grazing sphere (WGS84 a + grazing altitude)."""
    sc = scenarios["milsca"]
    (c,) = sc.constellations
    (isl,) = sc.isls
    assert isinstance(c, WalkerConstellation)
    r = R_WGS72_KM + c.altitude_km
    half = math.pi / c.sats_per_plane
    assert 2 * r * math.sin(half) <= isl.max_range_km
    assert r * math.cos(half) > 6378.137 + isl.grazing_altitude_km


def test_milsca_malindi_is_kenyan_jurisdiction(scenarios: dict[str, Scenario]) -> None:
    by_name = {g.name: g for g in scenarios["milsca"].ground_stations}
    assert by_name["Malindi"].jurisdiction == "KE"  # Italian-operated, on Kenyan soil
    assert {"IT", "KE"} <= {g.jurisdiction for g in by_name.values()}


# --- ascend: dawn-dusk Sun-synchronous orbit --------------------------------------------------


def _sso_inclination_deg(altitude_km: float) -> float:
    """cos i = -(dOmega/dt)_sun / (1.5 n J2 (R/a)^2), circular orbit, WGS72 constants."""
    a = R_WGS72_KM + altitude_km
    n = math.sqrt(MU_WGS72_KM3_S2 / a**3)
    rate = math.radians(SUN_RATE_DEG_PER_DAY) / 86400.0
    return math.degrees(math.acos(-rate / (1.5 * n * J2_WGS72 * (R_WGS72_KM / a) ** 2)))


def _ascend_modules(sc: Scenario) -> list[Any]:
    (c,) = sc.constellations
    assert isinstance(c, ElementsConstellation)
    return list(c.satellites)


def test_ascend_inclination_is_sun_synchronous(scenarios: dict[str, Scenario]) -> None:
    modules = _ascend_modules(scenarios["ascend"])
    assert len(modules) >= 2
    for m in modules:
        assert m.altitude_km is not None
        assert m.inclination_deg == pytest.approx(_sso_inclination_deg(m.altitude_km), abs=0.05)


def test_ascend_sgp4_node_rate_follows_the_sun(scenarios: dict[str, Scenario]) -> None:
    for sat in build_satellites(scenarios["ascend"]).satrecs:
        nodedot_deg_per_day = math.degrees(sat.nodedot) * 1440.0  # nodedot is rad/min
        assert nodedot_deg_per_day == pytest.approx(SUN_RATE_DEG_PER_DAY, rel=0.02)


def test_ascend_ltan_is_18h_at_epoch(
    scenarios: dict[str, Scenario], skyfield_ts_eph: tuple[Any, Any]
) -> None:
    """RAAN - RA(Sun) = +90 deg: the ascending node sits at 18:00 local solar time."""
    ts, eph = skyfield_ts_eph
    sc = scenarios["ascend"]
    e = sc.epoch
    t = ts.utc(e.year, e.month, e.day, e.hour, e.minute, e.second)
    ra, _, _ = eph["earth"].at(t).observe(eph["sun"]).apparent().radec(epoch="date")
    for m in _ascend_modules(sc):
        delta = (m.raan_deg - ra._degrees + 180.0) % 360.0 - 180.0
        assert delta == pytest.approx(90.0, abs=0.1)


def test_ascend_orbit_never_enters_the_umbra(scenarios: dict[str, Scenario]) -> None:
    """Dawn-dusk SSO: the smallest Sun angle beta over the year, 90 - (i - 90) - obliquity,
    must exceed the Earth's shadow half-angle asin(R / (R + h))."""
    for m in _ascend_modules(scenarios["ascend"]):
        assert m.altitude_km is not None
        beta_min = 90.0 - (m.inclination_deg - 90.0) - 23.4393
        shadow = math.degrees(math.asin(6378.137 / (6378.137 + m.altitude_km)))
        assert beta_min > shadow


# --- iss-node: a real ISS TLE -----------------------------------------------------------------


def _tle_checksum(line: str) -> int:
    return sum(int(ch) if ch.isdigit() else int(ch == "-") for ch in line[:68]) % 10


def test_iss_tle_is_valid_and_near_the_scenario_epoch(scenarios: dict[str, Scenario]) -> None:
    lines = (DATA / "iss.tle").read_text(encoding="ascii").splitlines()
    assert lines[0].strip() == "ISS (ZARYA)"
    l1, l2 = lines[1], lines[2]
    assert l1.startswith("1 25544") and l2.startswith("2 25544")
    assert int(l1[68]) == _tle_checksum(l1) and int(l2[68]) == _tle_checksum(l2)
    yy, doy = int(l1[18:20]), float(l1[20:32])  # epoch field, columns 19-32
    year = 2000 + yy if yy < 57 else 1900 + yy
    tle_epoch = dt.datetime(year, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=doy - 1.0)
    sc = scenarios["iss-node"]
    assert abs((sc.epoch - tle_epoch).total_seconds()) <= 86400.0
    assert build_satellites(sc).names == ["ISS-ZARYA"]


def test_mars_relay_orbiters_have_their_published_periods(scenarios: dict[str, Scenario]) -> None:
    """Kepler's third law with Mars' GM (MRO110C) on the example's elements gives the published
    periods: MRO ~112 min (Zurek & Smrekar 2007), MAVEN 4.5 h (Jakosky et al. 2015), TGO ~2 h
    (ESA); the rover sits at Perseverance's landing site, 18.4447 N 77.4508 E."""
    from orbitcloud.constants import MARS_MU_KM3_S2

    orbiters = next(c for c in scenarios["mars-relay"].constellations if c.kind == "orbiter")
    period_min = {
        el.name: 2 * math.pi * math.sqrt(el.semi_major_axis_km**3 / MARS_MU_KM3_S2) / 60
        for el in orbiters.satellites  # type: ignore[union-attr]
    }
    assert period_min["mro"] == pytest.approx(112, rel=0.02)
    assert period_min["maven"] == pytest.approx(270, rel=0.02)
    assert period_min["tgo"] == pytest.approx(118, rel=0.03)
    rover = next(c for c in scenarios["mars-relay"].constellations if c.kind == "surface")
    site = rover.sites[0]  # type: ignore[union-attr]
    assert (site.lat_deg, site.lon_deg) == (18.4447, 77.4508)


# --- axiom: the ISS-orbit node through GEO relays (EDRS-A 9 deg E, EDRS-C 31 deg E) -----------
# (and a Kepler-like LEO and an O3b-like MEO relay layer: tests/test_axiom_layers.py)


def test_axiom_relays_sit_at_the_edrs_slots(scenarios: dict[str, Scenario]) -> None:
    """Sub-satellite longitudes over the day 9 and 31 deg E (ESA EDRS) to 0.05 deg, on the
    equator at the geostationary radius (mu/n^2 with the sidereal day, WGS72); the node flies
    the ISS's 51.6 deg orbit from the TLE."""
    from orbitcloud.orbits import propagate
    from orbitcloud.timegrid import TimeGrid

    sc = scenarios["axiom"]
    sats = build_satellites(sc)
    eph = propagate(sats, TimeGrid.regular(sc.epoch, sc.duration_s, 600.0))
    a_geo_km = (MU_WGS72_KM3_S2 * (86164.0905 / (2 * math.pi)) ** 2) ** (1 / 3)
    for name, lon in (("EDRS-A", 9.0), ("EDRS-C", 31.0)):
        r = eph.r_ecef_km[sats.names.index(name)]
        lon_deg = np.degrees(np.arctan2(r[:, 1], r[:, 0]))
        lat_deg = np.degrees(np.arcsin(r[:, 2] / np.linalg.norm(r, axis=1)))
        assert np.abs(lon_deg - lon).max() < 0.05
        assert np.abs(lat_deg).max() < 0.05
        assert abs(np.linalg.norm(r, axis=1).mean() - a_geo_km) < 5.0
    node = sats.satrecs[sats.names.index("ISS-ZARYA")]
    assert math.degrees(node.inclo) == pytest.approx(51.6, abs=0.05)


def _contact_fraction(sc: Scenario, node: str) -> float:
    """Share of the run during which ``node`` has any contact (union of its rows' windows)."""
    from orbitcloud.links import build_contact_plan
    from orbitcloud.orbits import propagate
    from orbitcloud.timegrid import TimeGrid

    eph = propagate(build_satellites(sc), TimeGrid.regular(sc.epoch, sc.duration_s, sc.step_s))
    plan = build_contact_plan(sc, eph)
    i = plan.nodes.names.index(node)
    sel = plan.src == i
    spans = sorted(zip(plan.start_s[sel].tolist(), plan.end_s[sel].tolist(), strict=True))
    total, reach = 0.0, -math.inf
    for s, e in spans:
        if e > reach:
            total += e - max(s, reach)
            reach = e
    return total / sc.duration_s


def test_axiom_relay_raises_the_node_contact_time(scenarios: dict[str, Scenario]) -> None:
    """Direct to ground (the node alone, no relay layers and no ISL sets): passes over the
    European stations give the node a few per cent of the day; the GEO relays (its `relay`
    set only) most of it; the LEO relay layer (`leo-relay`) adds more on top."""
    sc = scenarios["axiom"]
    node_only = [c for c in sc.constellations if c.name == "axiom-node"]
    direct = _contact_fraction(
        sc.model_copy(update={"constellations": node_only, "isls": []}), "ISS-ZARYA"
    )
    geo = _contact_fraction(
        sc.model_copy(update={"isls": [i for i in sc.isls if i.name == "relay"]}), "ISS-ZARYA"
    )
    relayed = _contact_fraction(sc, "ISS-ZARYA")
    assert 0.0 < direct < 0.1
    assert geo > 0.5
    assert relayed > geo + 0.05
