"""The library owns the run: ``orbitcloud.api.run`` runs the storage stage and returns its
report; the run-folder writer only writes that result (it opens no object store)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orbitcloud import api
from orbitcloud.report import open_run_folder
from orbitcloud.run import folder as runfolder
from orbitcloud.run.pipeline import RunResult
from orbitcloud.storage import service
from orbitcloud.summary import summarise


@pytest.fixture(scope="module")
def storage_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """milsca shortened to 2 h, only the storage stage asked for (and what it needs)."""
    sc = api.load_scenario("milsca").model_copy(update={"duration_s": 7200.0})
    root = tmp_path_factory.mktemp("store")
    return api.run(sc, stages=("storage",), store_root=root)


def test_run_returns_a_storage_report_whose_objects_are_readable(storage_run: RunResult):
    """The storage stage ran on the caller's root: objects put, all readable at the end, and
    the store's files are there; the network and the workload are in the same result."""
    rep = storage_run.storage
    assert rep is not None and storage_run.store_root is not None
    d = rep.to_dict()
    assert d["objects_put"] > 0
    assert d["objects_readable_at_end"] == d["objects_put"] - d["objects_lost"] > 0
    assert rep.root == str(storage_run.store_root)
    assert any(p.is_file() for p in storage_run.store_root.rglob("*"))
    assert storage_run.network is not None and storage_run.workload is not None
    assert "storage" in storage_run.timings_s


def test_the_writer_writes_the_result_without_opening_a_store(
    storage_run: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """With the store root gone and ObjectStore made to raise, the writer still writes
    storage.parquet with the report's rows (count and keys), the metrics' storage block and
    a complete manifest the report reader opens."""
    assert storage_run.store_root is not None and storage_run.storage is not None
    shutil.rmtree(storage_run.store_root)

    def no_store(*args: object, **kw: object) -> None:
        raise AssertionError("the run-folder writer opened an object store")

    monkeypatch.setattr(service.ObjectStore, "__init__", no_store)
    folder = runfolder.write_run_folder(storage_run, summarise(storage_run), tmp_path)
    table = pq.read_table(folder / "storage.parquet")
    expected = storage_run.storage.objects_table()
    assert table.num_rows == expected.num_rows == len(storage_run.storage.rows)
    keys = ("tenant", "bucket", "key")
    assert table.select(keys).to_pylist() == expected.select(keys).to_pylist()
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["storage"]["objects_put"] == storage_run.storage.to_dict()["objects_put"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert "storage.parquet" in {f["name"] for f in manifest["files"]}
    assert not (folder / "storage").exists()  # the store lived elsewhere
    rf = open_run_folder(folder)
    reread = rf.storage
    assert reread is not None and reread.num_rows == expected.num_rows


def test_run_folder_begin_then_write_keeps_the_store_inside(storage_run: RunResult, tmp_path: Path):
    """PartialRunFolder.begin makes the hidden partial folder (status "writing"); a store under it
    travels with the final rename, and the metrics name it relative to the folder."""
    rf = runfolder.PartialRunFolder.begin(tmp_path, "milsca")
    assert rf.partial.name.startswith(".milsca-") and rf.partial.name.endswith(".partial")
    assert json.loads((rf.partial / "manifest.json").read_text())["status"] == "writing"
    rep = storage_run.storage
    assert rep is not None
    inside = rf.partial / "storage"
    inside.mkdir()
    (inside / "catalog.sqlite").write_bytes(b"")
    moved = dataclasses.replace(storage_run, storage=dataclasses.replace(rep, root=str(inside)))
    folder = runfolder.write_run_folder(moved, summarise(moved), tmp_path, folder=rf)
    assert folder == rf.final and not rf.partial.exists()
    assert (folder / "storage" / "catalog.sqlite").exists()
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["storage"]["root"] == "storage"
    entries = {f["name"]: f for f in json.loads((folder / "manifest.json").read_text())["files"]}
    assert entries["storage"]["kind"] == "folder"
