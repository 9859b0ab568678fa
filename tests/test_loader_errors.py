"""The loader's hardening: each class of bad input gets one ScenarioError line naming the
file:line (or field), the value and what is allowed; never another exception, never a hang."""

from __future__ import annotations

import re
import textwrap
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from conftest import ISS_LINE1, ISS_LINE2
from orbitcloud.orbits.satellites import build_satellites
from orbitcloud.scenario import Scenario, ScenarioError, load_scenario
from orbitcloud.scenario.loader import MAX_DEPTH

BASE = """\
name: demo
epoch: 2026-03-20T00:00:00Z
duration_s: 3600
step_s: 60
constellations:
  - kind: walker
    name: shell
    planes: 3
    sats_per_plane: 4
    altitude_km: 550
    inclination_deg: 53
ground_stations:
  - {name: Fucino, lat_deg: 41.98, lon_deg: 13.6, jurisdiction: IT, rate_bps: 1.0e9}
  - {name: Kiruna, lat_deg: 67.86, lon_deg: 20.96, jurisdiction: SE, rate_bps: 1.0e9}
"""

STORAGE = """\
storage:
  tenants:
    - name: acme
  workloads:
    - {tenant: acme, objects: 2, object_bytes: 1000, put_station: Fucino}
"""

FAULTS = """\
faults:
  - {t_s: 100, kind: satellite_loss, target: shell-1-2}
"""

TLE = f"ISS (ZARYA)\n{ISS_LINE1}\n{ISS_LINE2}\n"


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    p = folder / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def _lines(source: Any) -> list[str]:
    """The problem lines of loading ``source`` (which must fail with ScenarioError)."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(source)
    return [str(p) for p in info.value.problems]


def _one(source: Any) -> str:
    (line,) = _lines(source)
    return line


def _line_of(text: str, needle: str) -> int:
    return next(n for n, ln in enumerate(text.splitlines(), start=1) if needle in ln)


def _with_tle_file(tmp_path: Path, tle: str | bytes) -> Path:
    _write(tmp_path, "sats.tle", tle)
    text = BASE.replace(
        "ground_stations:", "  - {kind: tle, name: iss, file: sats.tle}\nground_stations:"
    )
    return _write(tmp_path, "s.yaml", text.replace("2026-03-20", "2014-01-21"))


# --- YAML reader, scanner and composer errors ------------------------------------------------


def test_control_character_names_its_line_and_code(tmp_path):
    """A raw control character in YAML is refused at its line, naming its code point and
    how to write it instead."""
    path = _write(tmp_path, "c.yaml", BASE.replace("name: shell", "name: sh\x01ell"))
    line = _one(path)
    assert line.startswith(f"{path}:7: character U+0001 is not allowed in YAML")
    assert "escapes" in line


def test_deep_flow_nesting_is_refused_quickly(tmp_path):
    """`[` nested 990 deep is refused at its line, before Python recurses and in well under a
    second, saying the limit."""
    path = _write(tmp_path, "d.yaml", BASE + "extra: " + "[" * 990 + "]" * 990 + "\n")
    t0 = time.perf_counter()
    line = _one(path)
    assert time.perf_counter() - t0 < 1.0
    assert line.startswith(f"{path}:15: nested deeper than {MAX_DEPTH} levels")


def test_deep_block_nesting_is_refused(tmp_path):
    """Block mappings nested deeper than the limit are refused with a line."""
    deep = "".join("  " * k + f"k{k}:\n" for k in range(60)) + "  " * 60 + "v: 1\n"
    line = _one(_write(tmp_path, "b.yaml", BASE + deep))
    assert re.match(rf".*b\.yaml:\d+: nested deeper than {MAX_DEPTH} levels", line)


def test_alias_bomb_fails_fast_with_bounded_memory(tmp_path):
    """A billion-laughs alias bomb is refused in well under a second, using little memory,
    with a message that says what aliases may do."""
    bomb = "\n".join(
        ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        + [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, 10)]
    )
    path = _write(tmp_path, "bomb.yaml", BASE + bomb + "\n")
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        line = _one(path)
    finally:
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert elapsed < 0.5 and peak < 50e6
    assert re.match(r".*bomb\.yaml:\d+: aliases expand this document by more than 10000", line)


def test_a_few_aliases_are_fine(tmp_path):
    """Aliases within the expansion budget load as their values."""
    text = BASE.replace("altitude_km: 550", "altitude_km: &alt 550").replace(
        "inclination_deg: 53", "inclination_deg: 53\n    hardware: {mass_kg: *alt}"
    )
    sc = load_scenario(_write(tmp_path, "a.yaml", text))
    assert sc.constellations[0].hardware.mass_kg == 550


def test_duplicate_key_names_the_key_not_its_value(tmp_path):
    """A key given twice is refused at its line, naming the key only."""
    text = BASE.replace("altitude_km: 550", "altitude_km: 550\n    altitude_km: 560")
    path = _write(tmp_path, "k.yaml", text)
    line = _one(path)
    assert line == f"{path}:11: key 'altitude_km' appears twice in one mapping"


def test_unsupported_yaml_tag_is_refused_at_its_field(tmp_path):
    """A YAML tag (`!foo`, `!!python/object`) is refused at its field and line."""
    path = _write(tmp_path, "t.yaml", BASE.replace("step_s: 60", "step_s: !!python/object:x 60"))
    assert _one(path) == f"{path}:4: step_s: YAML tag 'tag:yaml.org,2002:python/object:x' is " \
        "not supported; drop the tag"  # fmt: skip


# --- bad values ------------------------------------------------------------------------------


def test_invalid_timestamps_name_the_field(tmp_path):
    """An impossible date, with or without `!!timestamp`, is refused at `epoch:` with the
    value, not a datetime traceback."""
    for bad in ("!!timestamp 2026-13-45", "2026-02-30T00:00:00Z"):
        path = _write(tmp_path, "e.yaml", BASE.replace("2026-03-20T00:00:00Z", bad))
        line = _one(path)
        assert line.startswith(f"{path}:2: epoch: Input should be a valid datetime"), line
        assert "(got '2026-" in line


def test_number_where_a_list_belongs(tmp_path):
    """A number where a list belongs is refused at its line, saying what was expected."""
    text = BASE.replace("ground_stations:\n", "ground_stations: 5\nxground_stations:\n")
    path = _write(tmp_path, "n.yaml", text)
    lines = _lines(path)
    assert f"{path}:12: ground_stations: Input should be a valid list (got 5)" in lines


def test_wrong_containers_around_file_references(tmp_path):
    """Wrong types where the loader follows file references (a number for the file list, a
    list for the defaults, a number for a topology) are validation errors, not crashes."""
    for extra, want in [
        ("ground_station_files: [5]\n", "ground_station_files[0]: needs `path: stations.csv`"),
        ("ground_station_files:\n  - {path: gs.csv, defaults: [1]}\n",
         "ground_station_files[0].defaults: must be a mapping"),
        ("isls:\n  - {topology: 5, rate: {kind: fixed, rate_bps: 1.0e9}}\n", "isls[0].topology"),
        ("constellations: {a: 1}\n",
         "constellations: Input should be a valid list (got a mapping)"),
    ]:  # fmt: skip
        text = BASE + extra if not extra.startswith("constellations") else "name: x\n" + extra
        lines = _lines(_write(tmp_path, "w.yaml", text))
        assert any(want in ln for ln in lines), (want, lines)


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", '"inf"', "1e400"])
def test_non_finite_numbers_are_refused(tmp_path, value):
    """`.inf`, `.nan` (also as text, or overflowing) are refused at their field and line, even
    where the field has no upper bound."""
    text = BASE.replace("rate_bps: 1.0e9}\n  - {name: Kir", f"rate_bps: {value}}}\n  - {{name: Kir")
    path = _write(tmp_path, "i.yaml", text)
    line = _one(path)
    assert line.startswith(f"{path}:13: ground_stations[0].rate_bps: ")
    assert "numbers must be finite" in line


def test_non_finite_numbers_are_refused_in_api_dicts():
    """A Scenario built from a dict refuses inf too (the check is in the model)."""
    d: dict[str, Any] = load_scenario("milsca").model_dump()
    d["constellations"][0]["hardware"]["storage_tb"] = float("inf")
    with pytest.raises(ValueError, match=r"constellations\[0\].hardware.storage_tb: inf is not"):
        Scenario.model_validate(d)


def test_huge_values_make_short_messages(tmp_path):
    """A 1 MB value is shown shortened: the problem line stays short."""
    path = _write(tmp_path, "h.yaml", BASE.replace("name: shell", "name: " + "x" * 1_000_000))
    line = _one(path)
    assert line.startswith(f"{path}:7: constellations[0].name: String should have at most 64")
    assert len(line) < 400 and "(1000002 characters)" in line


def test_integer_of_5000_digits_is_a_field_error(tmp_path):
    """An integer too long to convert is refused at its field, not by Python's int limit."""
    path = _write(tmp_path, "g.yaml", BASE.replace("planes: 3", "planes: " + "9" * 5000))
    line = _one(path)
    assert line.startswith(f"{path}:8: constellations[0].planes: ")


def test_scenario_larger_than_the_limit_is_refused(tmp_path):
    """A scenario file over the size limit is refused before parsing, saying the limit."""
    path = _write(tmp_path, "big.yaml", BASE + "# " + "x" * (5 * 2**20) + "\n")
    assert _one(path).endswith("cannot read scenario file: larger than 4194304 bytes (the limit)")


def test_cyclic_dict_source_is_refused():
    """A dict that contains itself is refused as too deep (no RecursionError)."""
    d: dict[str, Any] = {"name": "x"}
    d["loop"] = d
    assert f"nested deeper than {MAX_DEPTH} levels" in _one(d)


def test_deep_toml_is_refused(tmp_path):
    """TOML nested 990 deep is refused without a RecursionError."""
    path = _write(tmp_path, "d.toml", "a = " + "[" * 990 + "]" * 990 + "\n")
    assert _one(path) == f"{path}: TOML nested deeper than {MAX_DEPTH} levels"


# --- referenced files ------------------------------------------------------------------------


def test_non_utf8_tle_file_names_file_byte_and_offset(tmp_path):
    """A TLE file that is not UTF-8 is refused naming the file, its line, the byte and its
    offset."""
    raw = TLE.encode().replace(b"ISS (ZARYA)", b"ISS \xff")
    _with_tle_file(tmp_path, raw)
    line = _one(tmp_path / "s.yaml")
    assert line == f"{tmp_path / 'sats.tle'}:1: constellations[1].file: TLE file is not UTF-8 " \
        "text (byte 0xff at offset 4); save it as UTF-8"  # fmt: skip


def test_non_utf8_csv_file(tmp_path):
    """A ground-station CSV in Latin-1 is refused naming file:line and the byte."""
    _write(tmp_path, "gs.csv", "name,lat_deg,lon_deg,jurisdiction\nS\xe3o-Paulo,-23.5,-46.6,BR\n"
           .encode("latin-1"))  # fmt: skip
    text = BASE + "ground_station_files:\n  - {path: gs.csv, defaults: {rate_bps: 1.0e9}}\n"
    line = _one(_write(tmp_path, "s.yaml", text))
    assert line.startswith(f"{tmp_path / 'gs.csv'}:2: ground_station_files[0].path: ")
    assert "not UTF-8 text (byte 0xe3 at offset 35)" in line


def test_over_long_csv_field_is_a_csv_error(tmp_path):
    """A CSV field over the csv module's limit is refused at its file:line."""
    _write(
        tmp_path, "gs.csv", 'name,lat_deg,lon_deg,jurisdiction\n"' + "a" * 200_000 + '",1,2,IT\n'
    )
    text = BASE + "ground_station_files:\n  - {path: gs.csv, defaults: {rate_bps: 1.0e9}}\n"
    line = _one(_write(tmp_path, "s.yaml", text))
    assert line.startswith(f"{tmp_path / 'gs.csv'}:2: ground_station_files[0].path: CSV error:")
    assert "field larger than field limit" in line


def test_missing_referenced_file_is_placed_at_the_scenario_line(tmp_path):
    """A referenced file that does not exist (or is a folder) is reported at the scenario line
    that names it."""
    path = _with_tle_file(tmp_path, TLE)
    (tmp_path / "sats.tle").unlink()
    line = _one(path)
    assert line == f"{path}:12: constellations[1].file: cannot read TLE file: no such file " \
        f"({tmp_path / 'sats.tle'})"  # fmt: skip
    (tmp_path / "sats.tle").mkdir()
    assert "cannot read TLE file: not a file" in _one(path)


# --- names -----------------------------------------------------------------------------------


def test_tle_name_line_with_spaces_becomes_a_safe_node_name(tmp_path):
    """`ISS (ZARYA)` is mapped to the node name ISS-ZARYA (the documented safe form), as the
    iss-node example relies on."""
    sc = load_scenario(_with_tle_file(tmp_path, TLE))
    assert build_satellites(sc).names[-1] == "ISS-ZARYA"
    assert build_satellites(load_scenario("iss-node")).names == ["ISS-ZARYA"]


@pytest.mark.parametrize("name", ["..", ".hidden", "x" * 65, "-._"])
def test_tle_name_that_is_not_a_name_is_refused_at_its_line(tmp_path, name):
    """A TLE name line whose safe form is not a valid name (`..`, a dot first, too long) is
    refused at its TLE file line, saying the rule; it never becomes a node (or a path)."""
    _with_tle_file(tmp_path, TLE.replace("ISS (ZARYA)", name))
    line = _one(tmp_path / "s.yaml")
    assert line.startswith(f"{tmp_path / 'sats.tle'}:1: constellations[1].lines: TLE name ")
    assert "is not a valid name: 1-64 characters, an ASCII letter or digit first" in line


def test_tle_without_name_line_uses_the_catalogue_number(tmp_path):
    """A 2-line TLE's node is named by its catalogue number."""
    sc = load_scenario(_with_tle_file(tmp_path, f"{ISS_LINE1}\n{ISS_LINE2}\n"))
    assert build_satellites(sc).names[-1] == "25544"


def test_inline_tle_name_is_checked_at_its_scenario_line(tmp_path):
    """An inline `lines: |` TLE name is checked too, at its line in the scenario file."""
    tle = textwrap.indent(TLE.replace("ISS (ZARYA)", "../etc"), "      ")
    text = BASE.replace("ground_stations:", f"  - kind: tle\n    name: iss\n    lines: |\n{tle}"
                        "ground_stations:").replace("2026-03-20", "2014-01-21")  # fmt: skip
    path = _write(tmp_path, "s.yaml", text)
    line = _one(path)
    assert line.startswith(f"{path}:15: constellations[1].lines: TLE name '../etc'")


def test_csv_station_name_that_is_not_a_name_is_refused(tmp_path):
    """A CSV station named `..` is refused at its CSV line."""
    _write(tmp_path, "gs.csv", "name,lat_deg,lon_deg,jurisdiction\n..,1,2,IT\n")
    text = BASE + "ground_station_files:\n  - {path: gs.csv, defaults: {rate_bps: 1.0e9}}\n"
    line = _one(_write(tmp_path, "s.yaml", text))
    assert line.startswith(f"{tmp_path / 'gs.csv'}:2: ground_stations[2].name: must be letters")


def test_walker_names_longer_than_the_limit_are_refused(tmp_path):
    """A constellation name that makes satellite names over 64 characters is refused."""
    path = _write(tmp_path, "l.yaml", BASE.replace("name: shell", "name: " + "s" * 62))
    line = _one(path)
    assert line.startswith(f"{path}:6: constellations[0]: satellite names such as 'sss")
    assert "shorten the constellation name" in line


def test_satellite_and_station_names_are_unique(tmp_path):
    """A satellite named like a station, or like a satellite of another constellation, is a
    validation error naming both."""
    text = BASE.replace("name: Fucino", "name: shell-1-2")
    assert "satellite name 'shell-1-2' of 'shell' is also a ground station" in _one(
        _write(tmp_path, "a.yaml", text)
    )
    elements = (
        "  - kind: elements\n    name: extra\n    satellites:\n"
        "      - {name: shell-0-0, altitude_km: 600, inclination_deg: 10}\n"
    )
    text = BASE.replace("ground_stations:", elements + "ground_stations:")
    line = _one(_write(tmp_path, "b.yaml", text))
    assert "satellite name 'shell-0-0' of 'extra' is also a satellite of 'shell'" in line


# --- validate means runnable: cross-checks ---------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("put_station: Fucino", "put_station: Fucinoo", "storage.workloads[0].put_station"),
        ("objects: 2,", "get_station: Atlantis, get_t_s: 10, objects: 2,",
         "storage.workloads[0].get_station"),
        ("  tenants:", "  lost_site: Atlantis\n  tenants:", "storage.lost_site"),
        ("  tenants:", "  placement: {kind: replication, ground_site: Atlantis}\n  tenants:",
         "storage.placement.ground_site"),
    ],
)  # fmt: skip
def test_storage_stations_must_be_ground_stations(tmp_path, old, new, field):
    """Storage station and site names are checked at validation, at their line."""
    text = BASE + STORAGE.replace(old, new)
    path = _write(tmp_path, "s.yaml", text)
    line = _one(path)
    assert re.match(rf".*s\.yaml:\d+: {re.escape(field)}: '\w+' is not a ground station", line)
    assert "stations: Fucino, Kiruna" in line


@pytest.mark.parametrize(
    ("fault", "want"),
    [
        ("{t_s: 100, kind: satellite_loss, target: Fucino}", "is not a satellite"),
        ("{t_s: 100, kind: satellite_loss, target: '..'}", "is not a satellite"),
        ("{t_s: 100, kind: satellite_loss}", "is not a satellite"),
        ("{t_s: 100, kind: station_outage, target: shell-0-0}", "is not a ground station"),
        ("{t_s: 100, kind: bit_flip, target: nowhere}", "is not a node"),
        ("{t_s: 100, kind: cluster_loss, target: 'plane:shell:3'}", "names no plane"),
        ("{t_s: 100, kind: cluster_loss, target: 'shell-0-0,Kiruna'}", "is not a satellite"),
    ],
)
def test_fault_targets_must_be_nodes_of_their_kind(tmp_path, fault, want):
    """Fault targets are checked at validation as the timeline and `targets_of` will resolve
    them, at their line."""
    text = (
        BASE
        + STORAGE
        + FAULTS.replace("{t_s: 100, kind: satellite_loss, target: shell-1-2}", fault)
    )
    path = _write(tmp_path, "s.yaml", text)
    line = _one(path)
    assert line.startswith(f"{path}:{_line_of(text, fault)}: faults[0].target: ")
    assert want in line


def test_good_fault_targets_validate(tmp_path):
    """Satellites, planes, clusters, stations and any-node bit flips are accepted."""
    faults = (
        "  - {t_s: 100, kind: cluster_loss, target: 'plane:shell:2'}\n"
        "  - {t_s: 100, kind: cluster_loss, target: 'shell-0-0, shell-0-1'}\n"
        "  - {t_s: 100, kind: station_outage, target: Kiruna, duration_s: 60}\n"
        "  - {t_s: 100, kind: bit_flip}\n  - {t_s: 100, kind: bit_flip, target: Fucino}\n"
    )
    sc = load_scenario(_write(tmp_path, "s.yaml", BASE + STORAGE + FAULTS + faults))
    assert len(sc.faults) == 6


@pytest.mark.parametrize("key", ["faults", "faults_file"])
def test_storage_faults_are_an_error_that_says_they_moved(tmp_path, key):
    """`storage.faults` / `storage.faults_file` (before the one fault timeline) are a
    validation error at their line saying where they went."""
    entry = {"faults": "  faults:\n    - {t_s: 1, kind: bit_flip}\n",
             "faults_file": "  faults_file: f.csv\n"}[key]  # fmt: skip
    text = BASE + STORAGE + entry
    path = _write(tmp_path, "s.yaml", text)
    line = _one(path)
    assert line.startswith(f"{path}:{_line_of(text, '  ' + key + ':')}: storage.{key}: ")
    assert f"moved to the top-level {key}: section" in line


def test_faults_file_is_read_relative_to_the_scenario_and_checked(tmp_path):
    """`faults_file` is read when the scenario loads (relative to its folder): its rows join
    `faults`, and a bad row is reported at its CSV line."""
    (tmp_path / "sub").mkdir()
    csv = _write(
        tmp_path / "sub", "f.csv", "t_s,kind,target\n50,bit_flip,\n60,satellite_loss,shell-0-1\n"
    )
    text = BASE + STORAGE + FAULTS + "faults_file: sub/f.csv\n"
    sc = load_scenario(_write(tmp_path, "s.yaml", text))
    assert sc.faults_file is None
    assert [f.kind for f in sc.faults] == ["satellite_loss", "bit_flip", "satellite_loss"]
    csv.write_text("t_s,kind,target\n50,meteor,\n60,satellite_loss,Fucino\n")
    lines = _lines(tmp_path / "s.yaml")
    assert lines[0].startswith(f"{csv}:2: faults[1].kind: Input should be ")
    csv.write_text("t_s,kind,target\n60,satellite_loss,Fucino\n")
    assert _one(tmp_path / "s.yaml").startswith(f"{csv}:2: faults[1].target: ")
    csv.unlink()
    assert "faults_file: cannot read fault CSV: no such file" in _one(tmp_path / "s.yaml")


def test_isl_pair_file_names_must_be_satellites(tmp_path):
    """ISL pairs from a file must name satellites; a wrong one is reported at its CSV line."""
    pairs = _write(tmp_path, "pairs.csv", "# a,b\nshell-0-0,shell-0-1\nshell-0-1,Fucino\n")
    text = BASE + "isls:\n  - topology: {kind: list, file: pairs.csv}\n" \
        "    rate: {kind: fixed, rate_bps: 1.0e9}\n"  # fmt: skip
    line = _one(_write(tmp_path, "s.yaml", text))
    assert line.startswith(f"{pairs}:3: isls[0].topology.pairs[1]: 'Fucino' is not a satellite")


def test_thermal_step_too_long_for_the_heat_capacity(tmp_path):
    """With the thermal model on, a step longer than 0.2 thermal time constants is refused at
    validation (the run would refuse it)."""
    text = BASE.replace(
        "inclination_deg: 53",
        "inclination_deg: 53\n"
        "    hardware: {solar_array_w: 1000, radiator_area_m2: 970, mass_kg: 1}",
    )
    line = _one(_write(tmp_path, "t.yaml", text))
    assert "constellations[0].hardware: thermal time constant" in line
    assert "too short for step_s=60" in line
