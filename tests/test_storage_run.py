"""``run_storage`` end to end on a small Walker scenario: sovereignty refusals in the report,
readable objects after one plane is lost (and repair refused for want of a free plane), all
lost after two planes are (2+1 over three planes: hand-counted), a CSV fault file, and the
demo store's master key (ephemeral or from the environment, never from the seed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import walker_3x9
from orbitcloud.network.ledger import Network
from orbitcloud.nodes.hardware import FleetHardware
from orbitcloud.orbits.satellites import satellites_of
from orbitcloud.run.pipeline import RunResult, run_pipeline
from orbitcloud.scenario import load_scenario
from orbitcloud.scenario.models import Scenario
from orbitcloud.sim.events import EventLog
from orbitcloud.storage import (
    MasterKeyError,
    ObjectStore,
    StorageReport,
    read_fault_csv,
    run_storage,
    storage_nodes,
)
from test_storage_keys import _attacker_blobs, _old_seed_key, _opens

N_OBJ = 6


def _storage(sc: Scenario, result: Any, root: Path, log: EventLog, **kw: Any) -> StorageReport:
    """``run_storage`` on the scenario's typed inputs (its ``storage:``, nodes, seed)."""
    sats = satellites_of(sc)
    ground_tb = sc.storage.ground_storage_tb if sc.storage is not None else 0.0
    nodes = storage_nodes(FleetHardware.of(sc, sats), sats, result.contacts.nodes, ground_tb)
    return run_storage(sc.storage, nodes, sc.seed, sc.duration_s, result, root, log, **kw)


def _scenario(faults: list[dict[str, Any]], **storage: Any) -> dict[str, Any]:
    return {
        "name": "storage-small",
        "epoch": "2026-03-20T00:00:00Z",
        "duration_s": 6 * 3600,
        "step_s": 60,
        "seed": 7,
        "constellations": [walker_3x9(storage_tb=1)],
        "ground_stations": [
            {
                "name": "Fucino",
                "lat_deg": 41.978,
                "lon_deg": 13.601,
                "jurisdiction": "IT",
                "rate_bps": 2e9,
            },
            {
                "name": "Kourou",
                "lat_deg": 5.2515,
                "lon_deg": -52.8047,
                "jurisdiction": "FR",
                "rate_bps": 1e9,
            },  # CNES, French Guiana: an allied relay on another longitude
            {
                "name": "Malindi",
                "lat_deg": -2.9956,
                "lon_deg": 40.1945,
                "jurisdiction": "KE",
                "rate_bps": 5e8,
            },
        ],
        "isls": [{"topology": {"kind": "grid"}, "rate": {"kind": "fixed", "rate_bps": 1e10}}],
        "storage": {
            "tenants": [{"name": "difesa", "allowed_jurisdictions": ["IT", "FR"]}],
            "placement": {"kind": "erasure", "k": 2, "m": 1, "distinct_planes": True},
            "workloads": [
                {
                    "tenant": "difesa",
                    "objects": N_OBJ,
                    "object_bytes": 10_000,
                    "put_station": "Fucino",
                    "put_t_s": 0,
                    "interval_s": 10,
                    "get_station": "Fucino",
                    "get_t_s": 20000,
                },
                {
                    "tenant": "difesa",
                    "objects": 1,
                    "object_bytes": 10,
                    "put_station": "Malindi",
                    "put_t_s": 0,
                },
            ],
            "scrub_interval_s": 1800,
            **storage,
        },
        "faults": faults,
    }


@pytest.fixture(scope="module")
def base() -> tuple[Scenario, RunResult]:
    sc = load_scenario(_scenario([]))
    return sc, run_pipeline(sc, stages=("compute",))  # storage is what the tests run


def _run(base: tuple[Scenario, RunResult], tmp: Path, faults: list[dict[str, Any]], **kw: Any):
    """Storage on the run of the scenario with ``faults`` (its own fault timeline and cut
    plan; the fault-free base run when there are none)."""
    sc = load_scenario(_scenario(faults, **kw))
    result = run_pipeline(sc, stages=("contacts",)) if faults else base[1]
    assert len(result.faults) == len(faults)
    log = EventLog()  # a network of its own: the module's base run is shared by the tests
    return _storage(sc, result, tmp, log, network=Network(result.contacts)), log


def test_no_faults_every_object_durable_readable_and_the_kenyan_put_refused(base, tmp_path):
    rep, log = _run(base, tmp_path, [])
    d = rep.to_dict()
    assert (d["objects_put"], d["objects_refused"], d["objects_readable_at_end"]) == (
        N_OBJ,
        1,
        N_OBJ,
    )
    assert d["objects_durable"] == N_OBJ and d["get_mismatches"] == 0 and d["gets_served"] == N_OBJ
    assert d["shards"] == 3 * N_OBJ and d["repair_shards_rebuilt"] == 0
    (refusal,) = d["refusals"]
    assert "Malindi" in refusal["reason"] and "KE" in refusal["reason"]
    # durability is bounded below by Fucino's first uplink contact (the plan is the oracle)
    plan = base[1].contacts
    fucino = plan.nodes.index()["Fucino"]
    first_up = plan.start_s[plan.src == fucino].min()
    t = rep.objects_table()
    assert t.num_rows == N_OBJ + 1
    durable = [x for x in t.column("durable_s").to_pylist() if x == x]
    assert len(durable) == N_OBJ and min(durable) >= first_up
    assert max(durable) < 15000  # the fault tests below strike after this
    assert all(
        k <= v for k, v in zip(t.column("k_durable_s").to_pylist()[:N_OBJ], durable, strict=True)
    )
    assert log.count("object_durable") == N_OBJ and log.count("get_served") == N_OBJ
    shard_files = [p for p in (tmp_path / "shards").rglob("*") if p.is_file()]
    assert len(shard_files) == 3 * N_OBJ  # real shard files, nothing else
    assert all(p.name.rsplit(".s", 1)[1].isdigit() for p in shard_files)


def test_one_plane_lost_objects_stay_readable_repair_has_no_free_plane(base, tmp_path):
    """2+1 over exactly three planes: losing plane 0 at t = 15000 s (all objects durable by
    then) costs every object one shard; repair needs a third distinct plane and finds none, at
    each of the 3 later scrubs (16200, 18000, 19800 s); every object still reads back intact."""
    rep, _ = _run(base, tmp_path, [{"t_s": 15000, "kind": "cluster_loss", "target": "plane:w:0"}])
    d = rep.to_dict()
    assert d["nodes_lost"] == 9 and d["shards_lost"] == N_OBJ
    assert d["objects_readable_at_end"] == N_OBJ and d["objects_lost"] == 0
    assert d["repair_shards_failed"] == 3 * N_OBJ and d["repair_shards_rebuilt"] == 0
    assert d["gets_served"] == N_OBJ and d["get_mismatches"] == 0


def test_two_planes_lost_every_object_is_lost_and_gets_fail(base, tmp_path):
    faults = [{"t_s": 15000, "kind": "cluster_loss", "target": "plane:w:0"},
              {"t_s": 15000, "kind": "cluster_loss", "target": "plane:w:1"}]  # fmt: skip
    rep, log = _run(base, tmp_path, faults)
    d = rep.to_dict()
    assert d["objects_lost"] == N_OBJ and d["objects_readable_at_end"] == 0
    assert d["gets_served"] == 0
    assert sum(r["action"] == "lost" for r in d["refusals"]) == N_OBJ
    assert log.count("object_lost") == N_OBJ


def test_fault_csv_and_timed_repair_within_one_plane(tmp_path):
    """One plane of nine satellites (permanent in-plane ISLs): a satellite lost (15000 s) and a
    bit flipped (17000 s, after the scrub at 16200 s has rebuilt the lost satellite's shards, so
    no object can lose two of its three shards whatever the seeded placement), from a CSV
    schedule, are rebuilt at the next scrub by moving k = 2 shard files per rebuilt shard; bad
    CSV rows name file:line."""
    sc = _scenario([])
    sc["constellations"][0] |= {"planes": 1, "raan0_deg": 120}  # the plane Fucino sees first
    sc["storage"]["placement"] = {"kind": "erasure", "k": 2, "m": 1}
    csv = tmp_path / "faults.csv"
    csv.write_text("t_s,kind,target,duration_s\n15000,satellite_loss,w-0-0,\n17000,bit_flip,,\n")
    assert [e.kind for e in read_fault_csv(csv)] == ["satellite_loss", "bit_flip"]
    sc["faults_file"] = str(csv)
    scenario = load_scenario(sc)
    run = run_pipeline(scenario, stages=("compute",))
    rep = _storage(scenario, run, tmp_path / "s", EventLog())
    d = rep.to_dict()
    lost = d["shards_lost"] + d["shards_corrupted_detected"]
    assert d["bit_flips"] == 1 and lost >= 1
    assert d["repair_shards_rebuilt"] == lost and d["repair_shards_failed"] == 0
    assert d["objects_readable_at_end"] == N_OBJ and d["get_mismatches"] == 0
    shard_file = rep.bytes_on_disk / d["shards"]  # all shards of equal objects are equal
    assert d["repair_traffic_bytes"] == pytest.approx(2 * lost * shard_file)
    assert 0 < d["repair_longest_s"] < 1800
    bad = tmp_path / "bad.csv"
    bad.write_text("t_s,kind,target\n10,meteor,w-0-0\n")
    with pytest.raises(ValueError, match=r"bad.csv:2: fault kind 'meteor'"):
        read_fault_csv(bad)


def test_unknown_station_in_a_workload_is_a_clear_error(base, tmp_path):
    sc = _scenario([])
    sc["storage"]["workloads"][0]["get_station"] = "Atlantis"
    with pytest.raises(ValueError, match=r"workloads\[0\].get_station: 'Atlantis'"):
        _storage(load_scenario(sc), base[1], tmp_path, EventLog())


def test_the_demo_store_key_is_ephemeral_or_from_the_environment_never_the_seed(
    base, tmp_path, monkeypatch
):
    """Without ORBITCLOUD_MASTER_KEY the run says its key was ephemeral and its store cannot be
    reopened (no key anywhere); the old seed-derived key opens none of its blobs; with the
    variable set, the run says "env" and the store reopens and reads under it. The published
    checksum column is keyed (not the SHA-256 of the bytes)."""
    monkeypatch.delenv("ORBITCLOUD_MASTER_KEY", raising=False)
    monkeypatch.delenv("ORBITCLOUD_MASTER_KEY_FILE", raising=False)
    rep, _ = _run(base, tmp_path / "eph", [])
    assert rep.to_dict()["master_key"] == "ephemeral"
    sats = satellites_of(base[0])
    nodes = storage_nodes(FleetHardware.of(base[0], sats), sats, base[1].contacts.nodes, 1000.0)
    with pytest.raises(MasterKeyError, match="ephemeral"):
        ObjectStore(tmp_path / "eph", nodes)
    seed_key = _old_seed_key(base[0].seed, "difesa")
    for _, oid, version, blob in _attacker_blobs(tmp_path / "eph"):
        assert not _opens(seed_key, oid, version, blob)
    checksums = rep.objects_table().column("checksum").to_pylist()
    assert "sha256" not in rep.objects_table().column_names
    assert len({c for c in checksums if c}) == N_OBJ
    monkeypatch.setenv("ORBITCLOUD_MASTER_KEY", "ab" * 32)
    rep, _ = _run(base, tmp_path / "env", [])
    assert rep.to_dict()["master_key"] == "env"
    with ObjectStore(tmp_path / "env", nodes) as store:
        assert len(store.objects()) == N_OBJ
        info = store.objects()[0]
        assert len(store.get(info.tenant, info.bucket, info.key).data) == 10_000


def test_key_seed_in_a_scenario_is_an_error_that_explains_keys_are_random():
    sc = _scenario([])
    sc["storage"]["tenants"][0]["key_seed"] = 42
    with pytest.raises(ValueError, match="key_seed is no longer accepted: tenant keys are random"):
        load_scenario(sc)
