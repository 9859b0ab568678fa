"""`orbitcloud contacts -f ion|hdtn`: --ion-times, --hdtn-times, --node-numbers, the sizing hint."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orbitcloud.cli import app
from orbitcloud.links import ContactPlan
from orbitcloud.links.ion import read_ion

runner = CliRunner()
FUTURE = "2035-06-01T00:00:00Z"


def scenario(tmp_path: Path, epoch: str = FUTURE, stations: int = 1, planes: int = 2,
             duration_s: int = 7200, step_s: int = 60) -> Path:  # fmt: skip
    sites = [(41.98, 13.6), (-30, 150), (35, -100), (0, 30), (50, 80), (-20, -60), (10, 100),
             (45, -75)]  # fmt: skip
    lines = "\n".join(
        f"  - {{name: S{i}, lat_deg: {lat}, lon_deg: {lon}, jurisdiction: IT, rate_bps: 1.0e9}}"
        for i, (lat, lon) in enumerate(sites[:stations])
    )
    p = tmp_path / "scen.yaml"
    p.write_text(
        f"name: tiny\ndescription: contacts CLI tests\nepoch: {epoch}\n"
        f"duration_s: {duration_s}\nstep_s: {step_s}\n"
        "constellations:\n  - kind: walker\n    name: w\n"
        f"    planes: {planes}\n    sats_per_plane: 10\n    phasing: 1\n"
        "    altitude_km: 550\n    inclination_deg: 53\n"
        f"ground_stations:\n{lines}\n"
        "isls:\n  - topology: {kind: grid}\n    rate: {kind: fixed, rate_bps: 1.0e10}\n"
    )
    return p


def contacts_cli(*args: str) -> object:
    return runner.invoke(app, ["contacts", *args, "--workers", "1"])


def ion_unix(token: str) -> int:
    """Unix seconds of an ION absolute time (readTimestampUTC's "%4d/%2d/%2d-%2d:%2d:%2d")."""
    m = re.fullmatch(r"(\d{4})/(\d{2})/(\d{2})-(\d{2}):(\d{2}):(\d{2})", token)
    assert m, token
    return calendar.timegm((*(int(g) for g in m.groups()), 0, 0, 0))


def contact_lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines() if line.startswith("a contact")]


def test_ion_absolute_times_are_the_relative_ones_plus_the_epoch(tmp_path: Path) -> None:
    """Absolute and relative exports of one scenario agree, start/stop = epoch + the +<s>."""
    scen = scenario(tmp_path)
    rel, ab = tmp_path / "rel.ionrc", tmp_path / "abs.ionrc"
    assert contacts_cli(str(scen), "-f", "ion", "-o", str(rel)).exit_code == 0  # type: ignore[attr-defined]
    res = contacts_cli(str(scen), "-f", "ion", "--ion-times", "absolute", "-o", str(ab))
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    epoch_unix = calendar.timegm(dt.datetime(2035, 6, 1).timetuple())
    r, a = contact_lines(rel), contact_lines(ab)
    assert len(r) == len(a) > 0
    for x, y in zip(r, a, strict=True):
        assert ion_unix(y[2]) == epoch_unix + int(x[2].lstrip("+"))
        assert ion_unix(y[3]) == epoch_unix + int(x[3].lstrip("+"))
        assert x[4:] == y[4:]
    assert "# times: absolute" in ab.read_text() and "# times: relative" in rel.read_text()


def test_ion_absolute_refuses_a_plan_that_has_ended(tmp_path: Path) -> None:
    out = tmp_path / "old.ionrc"
    res = contacts_cli(str(scenario(tmp_path, "2020-01-01T00:00:00Z")), "-f", "ion",
                       "--ion-times", "absolute", "-o", str(out))  # fmt: skip
    assert res.exit_code == 2  # type: ignore[attr-defined]
    lines = res.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1
    assert lines[0].startswith(
        "error: absolute ION times: the plan's last contact ends at 2020/01/01-02:00:00 UTC"
    )
    assert not out.exists()


def test_ion_absolute_warns_about_contacts_already_over(tmp_path: Path) -> None:
    """Epoch one hour ago, two hours long: the contacts of the first hour are counted. Eight
    stations round the globe, so that whatever the hour (the geometry moves with the wall
    clock) passes end within the first hour."""
    epoch = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    out = tmp_path / "now.ionrc"
    before = calendar.timegm(dt.datetime.now(dt.UTC).utctimetuple())
    res = contacts_cli(str(scenario(tmp_path, f"{epoch:%Y-%m-%dT%H:%M:%SZ}", stations=8)),
                       "-f", "ion",
                       "--ion-times", "absolute", "-o", str(out))  # fmt: skip
    after = calendar.timegm(dt.datetime.now(dt.UTC).utctimetuple()) + 1
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    stops = [ion_unix(c[3]) for c in contact_lines(out)]
    m = re.search(r"# (\d+) contact\(s\) ended before this file was written", out.read_text())
    assert m
    n = int(m.group(1))
    assert sum(s <= before for s in stops) <= n <= sum(s <= after for s in stops) < len(stops)
    assert n > 0
    assert f"warning: {n} exported contact(s) ended before now" in res.stderr  # type: ignore[attr-defined]


def test_sizing_hint_when_ion_defaults_are_too_small(tmp_path: Path) -> None:
    """A plan of more than ~1900 contacts outgrows heapWords 250000: one hint line on stderr
    with 5 x 26 words and 2 x 1040 bytes per contact+range (ION's rfx.c/ion.h sizes)."""
    out = tmp_path / "big.ionrc"
    scen = scenario(tmp_path, stations=8, planes=4, duration_s=86_400, step_s=120)
    res = contacts_cli(str(scen), "-f", "ion", "-o", str(out))
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    n = len(contact_lines(out))
    assert n > 1923
    hints = [line for line in res.stderr.splitlines() if line.startswith("hint:")]  # type: ignore[attr-defined]
    assert hints == [
        f"hint: this plan needs ionconfig heapWords {n * 26 * 5} and wmSize {n * 1040 * 2} "
        "(ION's defaults 250000 and 5000000 are too small); see the file's header"
    ]
    small = contacts_cli(str(scenario(tmp_path)), "-f", "ion", "-o", str(tmp_path / "s.ionrc"))
    assert "hint:" not in small.stderr  # type: ignore[attr-defined]


def test_node_numbers_for_ion_and_hdtn(tmp_path: Path) -> None:
    """Mapped nodes carry the map's numbers in both formats; reading with the map gives the
    same plan as the unmapped export; the HDTN block records the map."""
    scen = scenario(tmp_path)
    numbers = tmp_path / "map.csv"
    numbers.write_text("name,node_number\nS0,268484800\nw-0-0,100\n")
    paths = {k: tmp_path / f"{k}.{ext}" for k, ext in
             (("plain", "ionrc"), ("mapped", "ionrc"), ("parquet", "parquet"),
              ("hdtn", "json"))}  # fmt: skip
    assert contacts_cli(str(scen), "-o", str(paths["parquet"])).exit_code == 0  # type: ignore[attr-defined]
    assert contacts_cli(str(scen), "-f", "ion", "-o", str(paths["plain"])).exit_code == 0  # type: ignore[attr-defined]
    res = contacts_cli(str(scen), "-f", "ion", "--node-numbers", str(numbers), "-o",
                       str(paths["mapped"]))  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    plan = ContactPlan.read_parquet(paths["parquet"])
    station = plan.nodes.names.index("S0")  # 20 satellites first: index 20, default number 21
    assert station == 20
    nums = {int(c[i]) for c in contact_lines(paths["mapped"]) for i in (4, 5)}
    assert {268_484_800, 100} <= nums and not {21, 1} & nums
    the_map = {"S0": 268_484_800, "w-0-0": 100}
    a = read_ion(paths["plain"].read_text(), plan.nodes, plan.epoch, plan.duration_s)
    b = read_ion(paths["mapped"].read_text(), plan.nodes, plan.epoch, plan.duration_s, the_map)
    for col in ("src", "dst", "start_s", "end_s", "rate_bps", "owlt_s"):
        assert getattr(a, col).tolist() == getattr(b, col).tolist()
    res = contacts_cli(str(scen), "-f", "hdtn", "--hdtn-times", "unix", "--node-numbers",
                       str(numbers), "-o", str(paths["hdtn"]))  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    data = json.loads(paths["hdtn"].read_text())
    assert data["orbitcloud"]["node_numbers"] == the_map
    assert data["orbitcloud"]["times"] == "unix"
    epoch_unix = calendar.timegm(dt.datetime(2035, 6, 1).timetuple())
    rel = [(c[4], c[5], int(c[2][1:]), int(c[3][1:])) for c in contact_lines(paths["mapped"])]
    got = [(str(c["source"]), str(c["dest"]), c["startTime"] - epoch_unix,
            c["endTime"] - epoch_unix) for c in data["contacts"]]  # fmt: skip
    assert got == rel


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,node_number\nS0,12x\n", "map.csv:2: node_number '12x' for 'S0' is not an integer"),
        ("S0,5\nw-0-1,5\n", "map.csv:2: node_number 5 for 'w-0-1' is already given to 'S0'"),
        ("S0,0\n", "map.csv:1: node_number 0 for 'S0'; expected a positive integer"),
        ("name,node_number\nS0,7\nNowhere,8\n", "map.csv:3: 'Nowhere' is not a node of this plan"),
        ("S0,21\nw-0-0,21\n", "map.csv:2: node_number 21 for 'w-0-0' is already given to 'S0'"),
        ("w-0-0,21\n", "map.csv:1: node_number 21 for 'w-0-0' collides with unmapped node 'S0'"),
    ],
)
def test_bad_node_numbers_are_one_line_and_write_nothing(
    tmp_path: Path, content: str, message: str
) -> None:
    numbers = tmp_path / "map.csv"
    numbers.write_text(content)
    out = tmp_path / "x.json"
    res = contacts_cli(str(scenario(tmp_path)), "-f", "hdtn", "--node-numbers", str(numbers),
                       "-o", str(out))  # fmt: skip
    assert res.exit_code == 2  # type: ignore[attr-defined]
    lines = res.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith(f"error: {numbers.parent}/{message}")
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "hdtn", "--ion-times", "absolute"], "--ion-times applies to --format ion"),
        (["-f", "ion", "--hdtn-times", "unix"], "--hdtn-times applies to --format hdtn"),
        (["-f", "ion", "--ion-times", "unix"], "--ion-times 'unix': expected relative or absolute"),
        (["--node-numbers", "m.csv"], "--node-numbers applies to --format ion or hdtn"),
    ],
)
def test_options_for_another_format_are_refused(
    tmp_path: Path, args: list[str], message: str
) -> None:
    res = contacts_cli(str(scenario(tmp_path)), *args, "-o", str(tmp_path / "o.x"))
    assert res.exit_code == 2  # type: ignore[attr-defined]
    assert res.stderr.strip() == f"error: {message}" or message in res.stderr  # type: ignore[attr-defined]
    assert not (tmp_path / "o.x").exists()
