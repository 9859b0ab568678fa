"""The schema beyond Earth orbit refuses what cannot run, in one line naming the field (and the
file:line of a trajectory), and what it accepts runs (validate => run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from orbitcloud.api import run
from orbitcloud.cli import app
from orbitcloud.scenario import ScenarioError, load_scenario
from orbitcloud.scenario.trajectory import Trajectory, write_oem


def _base(**over: Any) -> dict[str, Any]:
    sc: dict[str, Any] = {
        "name": "t",
        "epoch": "2027-06-01T00:00:00Z",
        "duration_s": 86400,
        "step_s": 300,
        "constellations": [
            {
                "kind": "orbiter",
                "name": "relays",
                "body": "moon",
                "satellites": [
                    {"name": "lro", "semi_major_axis_km": 1787.4, "inclination_deg": 90}
                ],
            },
        ],
        "ground_station_sets": ["dsn"],
        "space_links": [
            {
                "name": "s",
                "from_nodes": ["relays"],
                "to_nodes": ["dsn"],
                "rate": {"kind": "fixed", "rate_bps": 1e6},
            },
        ],
    }
    sc.update(over)
    return sc


def _validate(tmp_path: Path, sc: dict[str, Any]) -> tuple[int, str]:
    f = tmp_path / "s.yaml"
    f.write_text(json.dumps(sc))
    res = CliRunner().invoke(app, ["validate", str(f)])
    return res.exit_code, res.output


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"space_links": [{"name": "s", "from_nodes": ["nowhere"], "to_nodes": ["dsn"],
                           "rate": {"kind": "fixed", "rate_bps": 1}}]},
         "space_links[0].from_nodes[0]: 'nowhere' names no node"),
        ({"space_links": [{"name": "s", "from_nodes": ["dsn"], "to_nodes": ["dsn"],
                           "rate": {"kind": "fixed", "rate_bps": 1}}]},
         "neither end is beyond Earth orbit"),
        ({"constellations": [{"kind": "orbiter", "name": "relays", "body": "mars", "satellites":
                              [{"name": "x", "semi_major_axis_km": 3000, "inclination_deg": 0}]}]},
         "periapsis radius 3000 km is inside mars"),
        ({"constellations": [
            {"kind": "orbiter", "name": "relays", "body": "moon",
             "satellites": [{"name": "lro", "semi_major_axis_km": 1787.4, "inclination_deg": 90}]},
            {"kind": "walker", "name": "leo", "planes": 1, "sats_per_plane": 2,
             "altitude_km": 550, "inclination_deg": 53}]},
         "Earth-orbit constellations (walker, tle, elements) come before"),
        ({"bundles": {"from_node": "lro", "to_nodes": ["dsn"], "every_s": 1}},
         "bundles: every_s=1"),
        ({"ground_station_sets": ["nasa"]},
         "ground_station_sets[0]: Input should be 'dsn' or 'estrack'"),
        ({"space_links": [{"name": "s", "from_nodes": ["relays"], "to_nodes": ["dsn"],
                           "rate": {"kind": "deep_space", "eirp_dbw": 60, "g_t_db_per_k": 50}}]},
         "max_rate_bps"),
    ],
)  # fmt: skip
def test_bad_space_scenarios_are_refused_in_one_line(tmp_path, change, expected):
    code, out = _validate(tmp_path, _base(**change))
    assert code == 2
    assert expected in " ".join(out.split()), out
    assert "Traceback" not in out


def test_an_isl_cannot_name_a_constellation_beyond_earth_orbit(tmp_path):
    sc = _base(
        isls=[{"name": "i", "constellations": ["relays"], "topology": {"kind": "range"},
               "rate": {"kind": "fixed", "rate_bps": 1}}]
    )  # fmt: skip
    code, out = _validate(tmp_path, sc)
    assert code == 2 and "list its links in `space_links:` instead" in " ".join(out.split())


def test_a_bad_oem_file_is_reported_at_its_line(tmp_path):
    (tmp_path / "p.oem").write_text("CCSDS_OEM_VERS = 2.0\nthis is not an OEM file\n")
    sc = _base(
        constellations=[{"kind": "ephemeris", "name": "p",
                         "satellites": [{"name": "probe", "file": "p.oem"}]}],
        space_links=[{"name": "s", "from_nodes": ["p"], "to_nodes": ["dsn"],
                      "rate": {"kind": "fixed", "rate_bps": 1}}],
    )  # fmt: skip
    code, out = _validate(tmp_path, sc)
    assert code == 2 and "p.oem" in out and "Traceback" not in out
    with pytest.raises(ScenarioError):
        load_scenario(tmp_path / "s.yaml")


def test_an_oem_node_follows_the_orbit_it_was_written_from(tmp_path):
    """A lunar orbiter and the same orbit as an OEM file (sampled every 60 s from the orbiter's
    positions, Lagrange degree 7): the file node stays within 1 m of the orbiter, and both
    reach the DSN in the same windows to 0.1 s."""
    sc = load_scenario(_base())
    first = run(sc, stages=("contacts",))
    eph = first.ephemeris
    t = np.arange(-600.0, 86400.0 + 1200.0, 60.0)
    moon = eph.propagator.bodies.position_km("moon", t)
    rel = eph.propagator.space_icrf_at(np.zeros(t.size, dtype=np.intp), t) - moon
    traj = Trajectory("lro-file", "moon", t, rel, None, "lagrange", 7)
    write_oem(traj, sc.epoch, tmp_path / "lro.oem")
    both = _base(
        constellations=[
            *_base()["constellations"],
            {"kind": "ephemeris", "name": "files",
             "satellites": [{"name": "lro-file", "file": "lro.oem"}]},
        ],
        space_links=[{"name": "s", "from_nodes": ["relays", "files"], "to_nodes": ["dsn"],
                      "rate": {"kind": "fixed", "rate_bps": 1e6}}],
    )  # fmt: skip
    (tmp_path / "both.yaml").write_text(json.dumps(both))
    res = run(load_scenario(tmp_path / "both.yaml"), stages=("contacts",))
    r = res.ephemeris.space_icrf_km
    assert np.linalg.norm(r[1] - r[0], axis=1).max() < 1e-3  # km
    p = res.contacts
    a = p.select(p.src == 0)
    b = p.select(p.src == 1)
    assert len(a) == len(b) > 0
    assert np.abs(a.start_s - b.start_s).max() < 0.1
    assert np.abs(a.end_s - b.end_s).max() < 0.1
