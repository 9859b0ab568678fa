"""Scenario loading: valid files in YAML and TOML, and one readable line per problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import ISS_LINE1, ISS_LINE2
from orbitcloud.scenario import ScenarioError, load_scenario
from orbitcloud.scenario.models import WalkerConstellation

GOOD_YAML = """\
name: demo
epoch: 2026-03-20T00:00:00Z
duration_s: 3600
step_s: 60
seed: 7
constellations:
  - kind: walker
    name: shell
    planes: 3
    sats_per_plane: 4
    phasing: 1
    altitude_km: 550
    inclination_deg: 53
    hardware: {storage_tb: 100, compute_tflops: 250}
ground_stations:
  - {name: Fucino, lat_deg: 41.98, lon_deg: 13.6, jurisdiction: it, rate_bps: 1.0e9}
isls:
  - topology: {kind: grid}
    rate: {kind: fixed, rate_bps: 1.0e10}
"""

GOOD_TOML = """\
name = "demo"
epoch = 2026-03-20T00:00:00Z
duration_s = 3600
step_s = 60
seed = 7

[[constellations]]
kind = "walker"
name = "shell"
planes = 3
sats_per_plane = 4
phasing = 1
altitude_km = 550
inclination_deg = 53
hardware = { storage_tb = 100, compute_tflops = 250 }

[[ground_stations]]
name = "Fucino"
lat_deg = 41.98
lon_deg = 13.6
jurisdiction = "it"
rate_bps = 1.0e9

[[isls]]
topology = { kind = "grid" }
rate = { kind = "fixed", rate_bps = 1.0e10 }
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def _problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


def test_yaml_and_toml_give_the_same_scenario(tmp_path):
    """The same scenario in YAML and TOML validates to equal models."""
    a = load_scenario(_write(tmp_path, "a.yaml", GOOD_YAML))
    b = load_scenario(_write(tmp_path, "b.toml", GOOD_TOML))
    assert a == b
    c = a.constellations[0]
    assert isinstance(c, WalkerConstellation) and c.hardware.storage_tb == 100
    assert a.ground_stations[0].jurisdiction == "IT"
    assert a.epoch.utcoffset().total_seconds() == 0


def test_each_problem_is_one_line_with_file_line_field_and_value(tmp_path):
    """Bad values are reported with file:line, the field path, the value and what is allowed."""
    bad = (
        GOOD_YAML.replace("altitude_km: 550", "altitude_km: -550")
        .replace("name: shell", "name: shell\n    colour: red")
        .replace("jurisdiction: it", "jurisdiction: Italy")
    )
    path = _write(tmp_path, "bad.yaml", bad)
    lines = _problems(path)
    assert (
        f"{path}:13: constellations[0].altitude_km: Input should be greater than 80 (got -550)"
        in lines
    )
    assert any(
        ln.startswith(
            f"{path}:9: constellations[0].colour: unknown field 'colour'; allowed: kind, name"
        )
        for ln in lines
    )
    assert any(
        ln.startswith(f"{path}:17: ground_stations[0].jurisdiction: must be ISO 3166-1 alpha-2")
        and "(got 'Italy')" in ln
        for ln in lines
    )
    assert len(lines) == 3


def test_unknown_kind_names_the_allowed_kinds(tmp_path):
    """A wrong `kind:` lists the kinds that exist."""
    path = _write(tmp_path, "k.yaml", GOOD_YAML.replace("kind: walker", "kind: wlaker"))
    (line,) = _problems(path)
    assert line.startswith(f"{path}:7: constellations[0]:")
    assert "'walker', 'tle', 'elements'" in line


def test_missing_field_and_naive_epoch(tmp_path):
    """Missing required fields and epochs without a time zone are explained."""
    text = GOOD_YAML.replace("epoch: 2026-03-20T00:00:00Z", "epoch: 2026-03-20T00:00:00").replace(
        "    inclination_deg: 53\n", ""
    )
    lines = _problems(_write(tmp_path, "m.yaml", text))
    assert any("epoch: needs a time zone" in ln for ln in lines)
    assert any("constellations[0].inclination_deg: required field is missing" in ln for ln in lines)


def test_yaml_syntax_error_has_a_line(tmp_path):
    """Broken YAML gives file:line, not a parser traceback."""
    path = _write(tmp_path, "s.yaml", GOOD_YAML.replace("planes: 3", "planes: [3"))
    (line,) = _problems(path)
    assert line.startswith(f"{path}:") and "YAML syntax error" in line


def test_toml_problems_name_file_and_field(tmp_path):
    """TOML keeps no positions: problems name the file and the field path."""
    path = _write(tmp_path, "b.toml", GOOD_TOML.replace("altitude_km = 550", "altitude_km = 5"))
    (line,) = _problems(path)
    assert line == f"{path}: constellations[0].altitude_km: Input should be greater than 80 (got 5)"


def test_cross_checks(tmp_path):
    """Grid ISLs need Walker constellations; node names are unique; F < P."""
    tle = f"""\
  - kind: tle
    name: iss
    lines: |
      ISS (ZARYA)
      {ISS_LINE1}
      {ISS_LINE2}
"""
    text = GOOD_YAML.replace("ground_stations:", tle + "ground_stations:").replace(
        "  - topology: {kind: grid}", "  - topology: {kind: grid}\n    constellations: [iss]"
    )
    (line,) = _problems(_write(tmp_path, "x.yaml", text))
    assert "grid topology needs Walker constellations" in line and "iss" in line
    dup = GOOD_YAML.replace("name: Fucino", "name: shell")
    assert "node names must be unique" in _problems(_write(tmp_path, "d.yaml", dup))[0]
    ph = GOOD_YAML.replace("phasing: 1", "phasing: 3")
    assert "phasing F=3 must be < planes=3" in _problems(_write(tmp_path, "p.yaml", ph))[0]


def test_ground_station_csv_import_and_its_errors(tmp_path):
    """CSV rows become stations (defaults fill gaps); a bad row is named by CSV file:line."""
    csv = tmp_path / "gs.csv"
    csv.write_text(
        "# sites\nname,lat_deg,lon_deg,jurisdiction\n"
        "Tokyo,35.6895,139.69171,JP\nDelhi,28.66667,77.21667,IN\n"
    )
    text = (
        GOOD_YAML
        + "ground_station_files:\n  - path: gs.csv\n"
        + "    defaults: {min_elevation_deg: 25, rate_bps: 2.0e9}\n"
    )
    sc = load_scenario(_write(tmp_path, "c.yaml", text))
    assert [g.name for g in sc.ground_stations] == ["Fucino", "Tokyo", "Delhi"]
    assert sc.ground_stations[2].min_elevation_deg == 25 and sc.ground_stations[2].rate_bps == 2e9
    assert sc.ground_station_files == []
    csv.write_text(
        "name,lat_deg,lon_deg,jurisdiction\nTokyo,35.6895,139.69171,JP\nDelhi,128.7,77.2,IN\n"
    )
    (line,) = _problems(tmp_path / "c.yaml")
    assert line.startswith(
        f"{csv}:3: ground_stations[2].lat_deg: Input should be less than or equal to 90"
    )


def test_tle_errors_point_at_the_tle_line(tmp_path):
    """A corrupted TLE line is reported at its line in the TLE file, with the checksum."""
    tle = tmp_path / "sats.tle"
    bad2 = ISS_LINE2[:20] + "9" + ISS_LINE2[21:]
    tle.write_text(f"ISS (ZARYA)\n{ISS_LINE1}\n{bad2}\n")
    text = GOOD_YAML.replace(
        "ground_stations:", "  - kind: tle\n    name: iss\n    file: sats.tle\nground_stations:"
    )
    (line,) = _problems(_write(tmp_path, "t.yaml", text))
    assert line.startswith(f"{tle}:3: constellations[1].lines: checksum digit")


def test_example_names_resolve_and_unknown_sources_are_explained():
    """Unknown sources list the built-in examples."""
    with pytest.raises(ScenarioError) as info:
        load_scenario("no-such-scenario")
    assert "no such file and no built-in example" in str(info.value)


def test_a_cross_check_naming_its_field_points_at_that_line(tmp_path):
    """The request's station is checked against the whole scenario; the problem still names
    the file line of the field (the ``station:`` key)."""
    text = GOOD_YAML + textwrap.dedent(
        """\
        workload:
          requests:
            - name: tasking
              input: station
              station: Fucinoo
        """
    )
    (line,) = _problems(_write(tmp_path, "w.yaml", text))
    want = text.splitlines().index("      station: Fucinoo") + 1
    assert line.startswith(f"{tmp_path / 'w.yaml'}:{want}: workload.requests[0].station: 'Fuci")
    assert "stations: Fucino" in line
