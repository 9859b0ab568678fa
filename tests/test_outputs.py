"""Outputs are checked before work starts, written whole or not at all, and a run folder
under its final name is always complete.

Oracles: the file system itself (what exists afterwards, what a probe may create), Parquet
metadata read independently of the writer, and the exit status and stderr lines."""

from __future__ import annotations

import errno
import json
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from orbitcloud.cli import app
from orbitcloud.report import RunFolderError, open_run_folder
from orbitcloud.run import folder as runfolder

runner = CliRunner()

TINY = """\
name: tiny
epoch: 2026-03-20T00:00:00Z
duration_s: 1800
step_s: 60
constellations:
  - {kind: walker, name: w, planes: 2, sats_per_plane: 5, phasing: 1, altitude_km: 550,
     inclination_deg: 53}
ground_stations:
  - {name: Fucino, lat_deg: 41.98, lon_deg: 13.6, jurisdiction: IT, rate_bps: 1.0e9}
  - {name: Rome, lat_deg: 41.9, lon_deg: 12.5, jurisdiction: IT, rate_bps: 1.0e9}
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(TINY)
    (tmp_path / "req.csv").write_text("src,dst,size_bytes,start_s\nFucino,Rome,1e6,0\n")
    return p


def _commands(tiny: Path, out: str) -> dict[str, list[str]]:
    req = str(tiny.parent / "req.csv")
    return {
        "run": ["run", str(tiny), "--workers", "1", "-o", out],
        "contacts": ["contacts", str(tiny), "--workers", "1", "-o", out],
        "routes": ["routes", str(tiny), "--workers", "1", "-o", out],
        "transfers": ["transfers", str(tiny), req, "-o", out],
        "assess": ["assess", str(tiny), "-o", out],
        "sweep": ["sweep", "durability", "--workers", "1", "-o", out],
    }


BAD_OUTPUTS = {
    "under a regular file": "{tiny}/x",
    "/proc": "/proc/orbitcloud-test/out",
    "/dev/full": "/dev/full",
}


@pytest.mark.parametrize("case", list(BAD_OUTPUTS))
@pytest.mark.parametrize("command", ["run", "contacts", "routes", "transfers", "assess", "sweep"])
def test_unwritable_outputs_are_refused_before_work(command: str, case: str, tiny: Path) -> None:
    """-o under a regular file, in /proc or on /dev/full: exit 2 at once with one line naming
    the path, no traceback, nothing written."""
    out = BAD_OUTPUTS[case].format(tiny=tiny)
    if command == "run" and case == "/dev/full":
        out = "/dev/full/runs"  # run -o is a folder: under a device
    before = sorted(p.name for p in tiny.parent.iterdir())
    t0 = time.perf_counter()
    res = runner.invoke(app, _commands(tiny, out)[command])
    assert time.perf_counter() - t0 < 2.0
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and out in lines[0] and lines[0].startswith("error: ")
    assert "Traceback" not in res.output
    assert sorted(p.name for p in tiny.parent.iterdir()) == before


def test_a_folder_given_as_an_output_file_is_refused(tiny: Path) -> None:
    res = runner.invoke(app, _commands(tiny, str(tiny.parent))["contacts"])
    assert res.exit_code == 2
    assert "is a folder" in res.stderr


def test_a_full_disk_mid_write_leaves_no_partial_file(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails half-way (ENOSPC) exits 1 with one line; neither the final file nor
    a temporary one is left."""
    import pyarrow.parquet as pq

    def half_then_full(table: object, path: Path, **kw: object) -> None:
        Path(path).write_bytes(b"PAR1 half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", half_then_full)
    out = tiny.parent / "plans" / "c.parquet"
    res = runner.invoke(app, _commands(tiny, str(out))["contacts"])
    assert res.exit_code == 1
    assert res.stderr.strip().splitlines() == [
        f"error: cannot write {out}: No space left on device"
    ]
    assert list(out.parent.iterdir()) == []


def test_the_manifest_lists_every_file_with_rows(tiny: Path, tmp_path: Path) -> None:
    """A completed run: status complete, schema version, and one entry per file the folder
    holds, row counts equal to the Parquet metadata; storage roots are relative."""
    res = runner.invoke(app, _commands(tiny, str(tmp_path / "runs"))["run"])
    assert res.exit_code == 0, res.output
    (folder,) = (tmp_path / "runs").iterdir()
    m = json.loads((folder / "manifest.json").read_text())
    assert m["status"] == "complete" and m["schema_version"] == runfolder.SCHEMA_VERSION
    entries = {e["name"]: e for e in m["files"]}
    assert set(entries) == {p.name for p in folder.iterdir()}
    for name, e in entries.items():
        assert e["kind"] == runfolder.run_file(name).kind
        if name.endswith(".parquet"):
            assert e["rows"] == pq.read_metadata(folder / name).num_rows
    assert {"report.html", "figures", "scene.czml"} <= set(entries)


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), OSError(errno.ENOSPC, "disk full")])
def test_an_interrupted_run_leaves_no_complete_looking_folder(
    exc: BaseException, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception or Ctrl-C while the folder is written leaves no final-named folder, only
    .NAME-STAMP.partial whose manifest says interrupted; the report refuses it."""
    from orbitcloud.run.pipeline import run_pipeline
    from orbitcloud.scenario import load_scenario
    from orbitcloud.summary import summarise

    sc = load_scenario("iss-node").model_copy(update={"duration_s": 1800.0})
    result = run_pipeline(sc)

    def boom(*args: object) -> None:
        raise exc

    monkeypatch.setattr(runfolder, "_positions_table", boom)
    with pytest.raises(type(exc)):
        runfolder.write_run_folder(result, summarise(result), tmp_path)
    (partial,) = tmp_path.iterdir()
    assert partial.name.startswith(".iss-node-") and partial.name.endswith(".partial")
    m = json.loads((partial / "manifest.json").read_text())
    assert m["status"] == "interrupted"
    assert m["interrupted_by"].startswith(type(exc).__name__)
    assert "contacts.parquet" in {e["name"] for e in m["files"]}
    with pytest.raises(RunFolderError, match="did not complete"):
        open_run_folder(partial)
    bad = runner.invoke(app, ["report", str(partial)])
    assert bad.exit_code == 1 and "did not complete" in bad.stderr
