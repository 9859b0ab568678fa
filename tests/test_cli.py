"""The command line: validate, run (run folder), contacts exports, examples."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from orbitcloud.cli import app
from orbitcloud.links import ContactPlan
from orbitcloud.links.ion import read_ion
from orbitcloud.run.tables import table_schema
from orbitcloud.scenario import load_scenario

TINY = """\
name: tiny
description: two planes and one station, for CLI tests
epoch: 2026-03-20T00:00:00Z
duration_s: 7200
step_s: 60
constellations:
  - kind: walker
    name: w
    planes: 2
    sats_per_plane: 10
    phasing: 1
    altitude_km: 550
    inclination_deg: 53
ground_stations:
  - {name: Fucino, lat_deg: 41.98, lon_deg: 13.6, jurisdiction: IT, rate_bps: 1.0e9}
isls:
  - topology: {kind: grid}
    rate: {kind: fixed, rate_bps: 1.0e10}
"""

runner = CliRunner()


def sc_epoch(path: Path) -> dt.datetime:
    """The scenario file's epoch (aware UTC)."""
    return load_scenario(path).epoch


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(TINY)
    return p


def test_validate_ok_and_invalid_exit_codes(tiny: Path):
    """Valid scenarios exit 0; invalid ones exit 2 with one file:line problem per line."""
    ok = runner.invoke(app, ["validate", str(tiny)])
    assert ok.exit_code == 0
    assert "ok: tiny: 20 satellites" in ok.stdout
    tiny.write_text(
        TINY.replace("altitude_km: 550", "altitude_km: -1").replace("step_s: 60", "step_s: 0")
    )
    bad = runner.invoke(app, ["validate", str(tiny)])
    assert bad.exit_code == 2
    lines = bad.stderr.strip().splitlines()
    assert lines == [
        f"{tiny}:5: step_s: Input should be greater than 0 (got 0)",
        f"{tiny}:12: constellations[0].altitude_km: Input should be greater than 80 (got -1)",
    ]
    assert "Traceback" not in bad.output


def test_run_writes_a_run_folder_and_prints_a_summary(tiny: Path, tmp_path: Path):
    """`run` writes manifest, metrics, contacts and positions that agree with each other."""
    res = runner.invoke(app, ["run", str(tiny), "--out", str(tmp_path / "runs")])
    assert res.exit_code == 0, res.output
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("tiny-")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["scenario"]["name"] == "tiny"
    assert set(manifest["timings_s"]) == {"satellites", "orbits", "contacts", "power"}
    assert manifest["versions"]["sgp4"]
    plan = ContactPlan.read_parquet(folder / "contacts.parquet")
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["contacts_directed"] == len(plan)
    assert metrics["ground_passes"] == len(plan.of_kind("downlink")) > 0
    pos = pq.read_table(folder / "positions.parquet")
    assert pos.num_rows == 20 * 121
    assert {"t_s", "sat", "x_km", "lat_deg", "sunlit"} <= set(pos.column_names)
    assert "ground passes" in res.stdout and "Fucino" in res.stdout


def test_contacts_exports_ion_and_hdtn(tiny: Path, tmp_path: Path):
    """`contacts --format ion|hdtn|parquet` writes plans with the same contacts."""
    outs = {}
    for fmt, name in (("parquet", "c.parquet"), ("ion", "c.ionrc"), ("hdtn", "c.json")):
        res = runner.invoke(
            app, ["contacts", str(tiny), "--format", fmt, "-o", str(tmp_path / name)]
        )
        assert res.exit_code == 0, res.output
        outs[fmt] = tmp_path / name
    plan = ContactPlan.read_parquet(outs["parquet"])
    ion = read_ion(outs["ion"].read_text(), plan.nodes, plan.epoch, plan.duration_s)
    assert 0 < len(ion) <= len(plan)
    hdtn = json.loads(outs["hdtn"].read_text())
    assert len(hdtn["contacts"]) == len(ion)


def test_unknown_scenario_is_one_line():
    """An unknown scenario name exits 2 and lists the examples."""
    res = runner.invoke(app, ["run", "nope-not-here"])
    assert res.exit_code == 2
    assert "no built-in example" in res.stderr


def test_examples_lists_every_built_in_scenario():
    """`examples` lists the four built-in scenarios with their satellite counts."""
    res = runner.invoke(app, ["examples"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    for name, n_sat in (
        ("milsca", "54"),
        ("starlink-550", "1584"),
        ("ascend", "6"),
        ("iss-node", "1"),
    ):
        line = next(ln for ln in res.stdout.splitlines() if f" {name} " in ln)
        assert f" {n_sat} " in line


def test_routes_writes_one_row_per_step_and_pair(tiny: Path, tmp_path: Path):
    """`routes` writes t_s, src, dst, rtt_ms, hops, path; hop lists run src → dst and have
    hops + 1 entries; a pairs file selects the pairs."""
    tiny.write_text(
        TINY.replace(
            "ground_stations:\n",
            "ground_stations:\n"
            "  - {name: Rome, lat_deg: 41.9, lon_deg: 12.5, jurisdiction: IT, rate_bps: 1.0e9}\n",
        )
    )
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("Fucino,Rome\nRome,w-1-3\n")
    out_file = tmp_path / "r.parquet"
    args = ["routes", str(tiny), "--pairs", str(pairs), "-o", str(out_file), "--duration-s", "600"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    table = pq.read_table(out_file)
    assert table.schema.remove_metadata().equals(table_schema("routes.parquet").arrow_schema())
    rows = table.to_pylist()
    assert len(rows) == 2 * 11
    assert {r["src"] for r in rows} == {"Fucino", "Rome"}
    assert len({r["run_id"] for r in rows}) == 1 and rows[0]["run_id"].startswith("tiny-")
    for r in rows:
        assert r["t_utc"] == sc_epoch(tiny) + dt.timedelta(seconds=r["t_s"])
        if r["hops"] is not None:
            assert r["path"][0] == r["src"] and r["path"][-1] == r["dst"]
            assert len(r["path"]) == r["hops"] + 1
            assert r["rtt_ms"] > 0
        else:  # unreachable: NULL, not -1 or NaN
            assert r["path"] == [] and r["rtt_ms"] is None
    res = runner.invoke(app, [*args, "--no-paths"])
    assert res.exit_code == 0, res.output
    assert pq.read_schema(out_file).names == [
        n for n in table_schema("routes.parquet").arrow_schema().names if n != "path"
    ]
    bad = runner.invoke(
        app, ["routes", str(tiny), "--pairs", str(pairs), "-o", str(out_file), "--step-s", "-1"]
    )
    assert bad.exit_code == 1
    assert "step_s" in bad.stderr


def test_transfers_report_completion_and_throughput(tiny: Path, tmp_path: Path):
    """`transfers` reads a CSV of requests and writes one row per transfer; no transfer is
    faster than the slowest station link it must cross (an upper bound from the link model)."""
    tiny.write_text(
        TINY.replace(
            "ground_stations:\n",
            "ground_stations:\n"
            "  - {name: Rome, lat_deg: 41.9, lon_deg: 12.5, jurisdiction: IT, rate_bps: 1.0e9}\n",
        )
    )
    sc = load_scenario(tiny)
    rates = {g.name: (g.effective_uplink_rate_bps, g.rate_bps) for g in sc.ground_stations}
    reqs = tmp_path / "t.csv"
    reqs.write_text(
        "src,dst,size_bytes,start_s,name\nFucino,Rome,1e8,0,first\nRome,Fucino,5e8,30,second\n"
    )
    out_file = tmp_path / "t.parquet"
    res = runner.invoke(app, ["transfers", str(tiny), str(reqs), "-o", str(out_file)])
    assert res.exit_code == 0, res.output
    table = pq.read_table(out_file)
    assert table.schema.remove_metadata().equals(table_schema("transfers.parquet").arrow_schema())
    rows = table.to_pylist()
    assert [r["name"] for r in rows] == ["first", "second"]
    assert any(r["completed"] for r in rows)
    for r in rows:
        bound = min(rates[r["src"]][0], rates[r["dst"]][1])
        if r["completed"]:
            assert r["finish_s"] > r["start_s"]
            assert r["arrival_s"] > r["finish_s"]
            assert r["throughput_bps"] <= bound * (1 + 1e-9)
    reqs.write_text("src,dst,size_bytes\nFucino,Rome,1e8\n")
    res = runner.invoke(app, ["transfers", str(tiny), str(reqs)])
    assert res.exit_code == 1
    assert "t.csv:2: missing start_s" in res.output


def test_run_and_assess_agree_and_assess_says_which_inputs_it_used(tmp_path: Path):
    """`assess` simulates the scenario (through compute) by default, so its assessment is the
    run's, number for number; `--from-run` reads a run folder's metrics and gives the same;
    `--inputs analytic` gives what the run keeps as `without_run_inputs`."""
    grid = ["--duration-s", "43200"]
    res = runner.invoke(app, ["run", "ascend", *grid, "--workers", "1", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "from the run: " in res.output and "power_availability 1.000 -> " in res.output
    (folder,) = tmp_path.glob("ascend-*")
    metrics = json.loads((folder / "metrics.json").read_text())
    run_json = json.loads((folder / "assessment.json").read_text())
    assert (
        run_json["orbital"]["co2e_kg_per_kwh"] == metrics["assessment"]["orbital_co2e_kg_per_kwh"]
    )
    # the run's sustained compute is below rated (power/thermal limited): the input matters
    assert metrics["power"]["compute_sustained_fraction"] < 0.999
    res = runner.invoke(app, ["assess", "ascend", *grid, "-o", str(tmp_path / "a.json")])
    assert res.exit_code == 0, res.output
    assert "from the run: " in res.output
    assert json.loads((tmp_path / "a.json").read_text()) == run_json
    res = runner.invoke(
        app, ["assess", "ascend", "--from-run", str(folder), "-o", str(tmp_path / "b.json")]
    )
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "b.json").read_text()) == run_json
    res = runner.invoke(
        app, ["assess", "ascend", "--inputs", "analytic", "-o", str(tmp_path / "c.json")]
    )
    assert res.exit_code == 0, res.output
    assert "inputs without a run (analytic)" in res.output
    alone = json.loads((tmp_path / "c.json").read_text())
    without = metrics["assessment"]["without_run_inputs"]
    assert alone["orbital"]["co2e_kg_per_kwh"] == without["orbital_co2e_kg_per_kwh"]
    assert alone["break_even"]["launcher_kgco2e_per_kg"] == pytest.approx(
        without["break_even_launcher_kgco2e_per_kg"], rel=1e-12
    )
    assert alone["orbital"]["co2e_kg_per_kwh"] != run_json["orbital"]["co2e_kg_per_kwh"]
    res = runner.invoke(app, ["assess", "milsca", "--from-run", str(folder)])
    assert res.exit_code == 1 and "is a run of scenario 'ascend', not 'milsca'" in res.output


def test_version_flag() -> None:
    from typer.testing import CliRunner

    from orbitcloud import __version__
    from orbitcloud.cli import app

    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"orbitcloud {__version__}"


def test_contacts_output_follows_the_format_and_a_mismatch_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without -o the file is named for its format; an -o whose suffix names another format is
    refused in one line (it used to write ION text into contacts.parquet)."""
    from typer.testing import CliRunner

    from orbitcloud.cli import app

    monkeypatch.chdir(tmp_path)
    r = CliRunner()
    res = r.invoke(app, ["contacts", "iss-node", "-f", "ion", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "contacts.ionrc").read_text().startswith("# orbitcloud contact plan for ION")
    assert not (tmp_path / "contacts.parquet").exists()
    res = r.invoke(app, ["contacts", "iss-node", "-f", "hdtn", "-o", "plan.parquet"])
    assert res.exit_code == 2 and "name it *.json" in res.output
    assert not (tmp_path / "plan.parquet").exists()


def test_routes_pairs_file_may_have_a_src_dst_header(tiny: Path, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("src,dst\nFucino,w-0-1\n")
    out_file = tmp_path / "r.parquet"
    res = runner.invoke(app, ["routes", str(tiny), "--pairs", str(pairs), "-o", str(out_file),
                              "--duration-s", "300"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert {r["src"] for r in pq.read_table(out_file).to_pylist()} == {"Fucino"}


def test_deliver_routes_bundles_store_and_forward(tiny: Path, tmp_path: Path) -> None:
    """`deliver`: a bundle sent from a satellite during its pass over Fucino arrives after its
    transmission time and the pass's light time (8 · size / rate + owlt, from the contact
    plan written by `contacts`); one too large for any contact is not delivered (NULL)."""
    plan_file = tmp_path / "plan.parquet"
    assert runner.invoke(app, ["contacts", str(tiny), "-o", str(plan_file)]).exit_code == 0
    plan = [r for r in pq.read_table(plan_file).to_pylist() if r["dst"] == "Fucino"]
    c = max(plan, key=lambda r: r["end_s"] - r["start_s"])
    t0 = c["start_s"] + 10.0
    csv_file = tmp_path / "b.csv"
    csv_file.write_text(
        "src,dst,t0_s,size_bytes,name\n"
        f"{c['src']},Fucino,{t0},1e6,ok\n"
        f"{c['src']},Fucino,0,1e15,too-big\n"
    )
    out_file = tmp_path / "d.parquet"
    res = runner.invoke(app, ["deliver", str(tiny), str(csv_file), "-o", str(out_file),
                              "--workers", "1"])  # fmt: skip
    assert res.exit_code == 0, res.output
    table = pq.read_table(out_file)
    assert table.schema.remove_metadata().equals(table_schema("bundles.parquet").arrow_schema())
    rows = {r["name"]: r for r in table.to_pylist()}
    ok = rows["ok"]
    assert ok["delivered"] and ok["path"] == [c["src"], "Fucino"]
    assert ok["arrival_s"] == pytest.approx(t0 + 8e6 / c["rate_bps"] + c["owlt_s"], abs=1e-9)
    big = rows["too-big"]
    assert not big["delivered"] and big["arrival_s"] is None and big["path"] == []
    bad = tmp_path / "bad.csv"
    bad.write_text("src,dst,t0_s,size_bytes\nnobody,Fucino,0,1\n")
    res = runner.invoke(app, ["deliver", str(tiny), str(bad)])
    assert res.exit_code == 2 and "bad.csv:2: src 'nobody'" in res.output


def test_help_lists_each_command_on_one_line_and_names_the_scenario_argument() -> None:
    """At a wide terminal every command's summary (its docstring's first paragraph) is one line
    of `orbitcloud --help` (it was broken where the docstring's source lines break), and the
    scenario argument is shown as SCENARIO (it was the raw parameter name)."""
    import inspect

    import orbitcloud.cli as cli

    res = runner.invoke(app, ["--help"], env={"COLUMNS": "300"})
    assert res.exit_code == 0
    lines = res.output.splitlines()
    for command in cli.app.registered_commands:
        assert command.callback is not None and command.callback.__doc__
        summary = " ".join(inspect.cleandoc(command.callback.__doc__).split("\n\n")[0].split())
        name = command.name or command.callback.__name__
        assert any(f" {name} " in ln and summary in ln for ln in lines), (name, summary)
    res = runner.invoke(app, ["routes", "--help"], env={"COLUMNS": "120"})
    assert "SCENARIO" in res.output and "source" not in res.output.split("Options")[0].lower()
