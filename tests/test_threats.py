"""Threats (issue 17, first slice): a compromised satellite and a rogue ground station.

Oracles of their own, not the code's summary: the routes table and CGR deliveries scanned for
the node after detection; the events and the catalog scanned for shards placed on it; the
shard files left on the node (the adversary's copy) summed on disk and, in a store of its own,
the catalog's rows summed with SQL; the retired key refused by the store's ``unseal`` on the
sealed blobs rebuilt from a pre-rotation copy of the store; the node's files scanned for key
bytes; the rogue count by hand (rate × window)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orbitcloud.api import load_scenario, run
from orbitcloud.faults import EventTimeline, FaultEvent
from orbitcloud.links.contactplan import KINDS, NodeTable
from orbitcloud.run.pipeline import RunResult, all_ground_pairs, run_routes
from orbitcloud.run.security import security_summary
from orbitcloud.scenario.errors import ScenarioError
from orbitcloud.scenario.threats import CompromisedSatellite
from orbitcloud.sim.events import EVENT_UNITS
from orbitcloud.storage import Erasure, ObjectStore, RetiredKeyError, codec_for
from orbitcloud.storage.keys import ENV_KEY
from orbitcloud.storage.run import CompromiseRecord, StorageReport, _compromise, _detect
from orbitcloud.storage.shardstore import HEADER_BYTES
from test_storage_service import _nodes

TARGET, T_S, DELAY_S = "milsca-1-2", 900.0, 240.0
DETECT_S = T_S + DELAY_S
ROGUE, ROGUE_T_S, ROGUE_D_S, ROGUE_PER_H = "Rogue-Tunis", 600.0, 600.0, 30.0
MASTER_HEX = "7f" * 32


@pytest.fixture(scope="module")
def milsca_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    """milsca (whose threats: are the constants above) for 30 min, the store kept under a
    known master key so the test can reopen it. Without its faults (they all fall after
    30 min, so they do not happen in the run anyway)."""
    root = tmp_path_factory.mktemp("threat-store")
    mp = pytest.MonkeyPatch()
    mp.setenv(ENV_KEY, MASTER_HEX)
    try:
        sc = load_scenario("milsca").model_copy(update={"duration_s": 1800.0, "faults": []})
        th = {t.kind: t for t in sc.threats}
        assert th["compromised_satellite"].model_dump() == {
            "kind": "compromised_satellite", "target": TARGET, "t_s": T_S,
            "detection_delay_s": DELAY_S,
        }  # fmt: skip
        r = th["rogue_ground_station"]
        assert (r.name, r.t_s, r.duration_s, r.uplinks_per_hour) == (
            ROGUE, ROGUE_T_S, ROGUE_D_S, ROGUE_PER_H,
        )  # fmt: skip
        res = run(sc, store_root=root)
    finally:
        mp.undo()
    return res, root


def _events(res: RunResult) -> Any:
    return res.events.to_arrow().to_pandas()


def _security(res: RunResult) -> dict[str, Any]:
    by_kind = {b["kind"]: b for b in security_summary(res)["threats"]}
    json.dumps(by_kind)  # JSON-ready
    return by_kind


# --- validation ---------------------------------------------------------------------------


def _milsca_with(threats: list[dict[str, Any]]) -> dict[str, Any]:
    d = load_scenario("milsca").model_dump(mode="json")
    d["threats"] = threats
    return d


@pytest.mark.parametrize(
    ("threat", "field"),
    [
        ({"kind": "compromised_satellite", "target": "milsca-9-9", "t_s": 10,
          "detection_delay_s": 5}, "threats[0].target"),
        ({"kind": "compromised_satellite", "target": TARGET, "t_s": 10,
          "detection_delay_s": -5}, "detection_delay_s"),
        ({"kind": "rogue_ground_station", "name": "Fucino", "lat_deg": 0, "lon_deg": 0,
          "t_s": 0, "duration_s": 60, "uplinks_per_hour": 1}, "threats[0].name"),
        ({"kind": "rogue_ground_station", "name": "R", "lat_deg": 95, "lon_deg": 0,
          "t_s": 0, "duration_s": 60, "uplinks_per_hour": 1}, "lat_deg"),
        ({"kind": "jamming", "target": TARGET}, "threats[0]"),
    ],
)  # fmt: skip
def test_a_bad_threat_is_one_line_naming_the_field(threat: dict[str, Any], field: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(_milsca_with([threat]))
    msg = str(err.value)
    assert field in msg, msg
    assert "Traceback" not in msg


@pytest.mark.parametrize("duration_s", [600.0, 1000.0])
def test_a_run_that_ends_before_the_detection_sees_only_what_happened_in_it(
    duration_s: float, tmp_path: Path
) -> None:
    """milsca shortened to end before the compromise (600 s) or between it and its detection
    (1,000 s) runs: nothing is detected (detected_s NULL), no key is rotated, no object
    re-encrypted; the rogue station's attempts are those at or before the end (one every
    120 s from 600 s: hand-counted 1 and 4); a satellite loss after the end loses nothing."""
    sc = load_scenario("milsca").model_copy(update={"duration_s": duration_s})
    assert any(f.t_s > duration_s and f.kind == "satellite_loss" for f in sc.faults)
    res = run(sc, store_root=tmp_path / "store")
    sec = _security(res)
    comp, rogue = sec["compromised_satellite"], sec["rogue_ground_station"]
    assert comp["detected_s"] is None and comp["recovered_s"] is None
    assert comp["tenants_rotated"] == [] and comp["objects_reencrypted"] == 0
    assert (comp["exposed_ciphertext_bytes"] > 0) == (duration_s >= T_S)
    want = {600.0: 1, 1000.0: 4}[duration_s]
    assert rogue["uplink_attempts"] == rogue["uplinks_rejected"] == want
    assert res.events.count("node_lost") == 0
    assert res.storage is not None and res.storage.nodes_lost == 0


def test_the_timeline_keeps_a_compromised_node_distinct_from_a_lost_one() -> None:
    """Compromised: not lost (``loss_s`` inf), untrusted from t_s, down for routing from
    detection on; a lost satellite next to it keeps its loss."""
    nodes = NodeTable(["s0", "s1", "G"], 2, ["c", "c", "ground"], ["", "", "IT"])
    c = CompromisedSatellite(kind="compromised_satellite", target="s1", t_s=100,
                             detection_delay_s=50)  # fmt: skip
    tl = EventTimeline.build([FaultEvent(500.0, "satellite_loss", "s0")], nodes, threats=[c])
    assert tl.loss_s.tolist() == [500.0, np.inf]
    assert tl.untrusted_from_s.tolist() == [np.inf, 100.0, np.inf]
    assert tl.detected_s.tolist() == [np.inf, 150.0, np.inf]
    assert tl.no_start_s().tolist() == [500.0, 150.0]
    for t, down in [(120.0, False), (149.0, False), (150.0, True), (1e6, True)]:
        all_down, _ = tl.down_at(t)
        assert bool(all_down[1]) is down, t


# --- the compromised satellite in the milsca run -------------------------------------------


def test_no_route_after_detection_goes_through_the_node(milsca_run: tuple[RunResult, Path]):
    """The routes table (snapshot routing between every pair of stations, hop lists kept):
    no path from the detection on contains the node; before it, some do (the node relays)."""
    res, _ = milsca_run
    src, dst = all_ground_pairs(res.scenario)
    table, _ = run_routes(res.scenario, src, dst, keep_paths=True)
    names = np.asarray(table.node_names, dtype=object)
    through = []
    for t, paths in zip(table.t_s, table.paths, strict=True):
        on = paths[paths >= 0]
        through.append((float(t), bool((names[on] == TARGET).any())))
    after = [x for t, x in through if t >= DETECT_S]
    assert after and not any(after)
    assert any(x for t, x in through if t < T_S)


def test_no_cgr_delivery_after_detection_touches_the_node(milsca_run: tuple[RunResult, Path]):
    """CGR on the run's network: deliveries from every satellite to every station, sent at
    and after detection, use no contact of the node; the node itself reaches nobody; nothing
    was booked on its contacts after detection; no compute hop or job used it after."""
    res, _ = milsca_run
    net = res.network
    assert net is not None
    plan = net.plan
    i = plan.nodes.index()[TARGET]
    stations = list(range(plan.nodes.n_sat, plan.nodes.n_node))
    n_routes = 0
    for t0 in (DETECT_S, DETECT_S + 30.0):
        for s in range(plan.nodes.n_sat):
            if s == i:
                assert net.route(s, stations, t0, 1e6) is None
                continue
            d = net.route(s, stations, t0, 1e6)
            if d is None:
                continue
            n_routes += 1
            for row in d.contacts:
                assert i not in (int(plan.src[row]), int(plan.dst[row]))
    assert n_routes > 20
    mine = (plan.src == i) | (plan.dst == i)
    assert not (mine & (plan.end_s > DETECT_S)).any()  # the plan is cut at detection
    assert float(net.booked_bytes[mine & (plan.end_s > DETECT_S)].sum()) == 0.0
    ev = _events(res)
    late = ev[(ev.t_s >= DETECT_S) & (ev.node == TARGET)]
    assert not late.kind.isin(["hop_start", "job_started", "job_placed", "shard_landed",
                               "shard_rebuilt", "delivered"]).any(), late  # fmt: skip
    assert _security(res)["compromised_satellite"]["traffic_after_detection_bytes"] == 0.0


def test_no_shard_is_placed_on_the_node_after_detection(milsca_run: tuple[RunResult, Path]):
    """Events: shards land on the node before detection and never after; the catalog at the
    end holds no healthy shard on it."""
    res, root = milsca_run
    ev = _events(res)
    landed = ev[ev.kind.isin(["shard_landed", "shard_rebuilt"]) & (ev.node == TARGET)]
    assert len(landed) and (landed.t_s < DETECT_S).all()
    assert (ev[ev.kind == "object_put"].t_s >= DETECT_S).sum() > 5  # puts did happen after
    db = sqlite3.connect(root / "catalog.sqlite")
    (idx,) = db.execute("SELECT idx FROM nodes WHERE name=?", (TARGET,)).fetchone()
    assert db.execute("SELECT COUNT(*) FROM shards WHERE node=? AND ok=1", (idx,)).fetchone() == (
        0,
    )
    db.close()


def test_exposed_bytes_are_the_shard_files_the_node_holds(milsca_run: tuple[RunResult, Path]):
    """The store never deletes on a compromised node: what is left in its shard directory is
    what the adversary holds; its size is the exposed ciphertext; plaintext exposed is 0."""
    res, root = milsca_run
    files = sorted((root / "shards" / TARGET).glob("*.v*.s*"))
    on_disk = sum(f.stat().st_size for f in files)
    b = _security(res)["compromised_satellite"]
    assert on_disk > 0 and b["exposed_ciphertext_bytes"] == on_disk
    assert b["shards_exposed"] == len(files)
    assert b["exposed_plaintext_bytes"] == 0


def test_affected_objects_are_reencrypted_readable_and_fully_redundant(
    milsca_run: tuple[RunResult, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reopened (same master key): every object of a rotated tenant is under its tenant's one
    live key, has n healthy shards on trusted nodes, reads back; the old key is retired in the
    catalog (wrapped bytes gone); the metrics say when it all was done."""
    res, root = milsca_run
    b = _security(res)["compromised_satellite"]
    assert b["tenants_rotated"] == ["difesa"] and b["objects_affected"] >= 1
    assert b["shards_rebuilt"] == b["objects_affected"]
    assert b["recovered_s"] is not None and b["recovered_s"] >= DETECT_S
    assert b["time_to_recover_s"] == pytest.approx(b["recovered_s"] - DETECT_S)
    db = sqlite3.connect(root / "catalog.sqlite")
    keys = db.execute("SELECT key_id, wrapped, retired FROM tenant_keys WHERE tenant='difesa'")
    live = [k for k, w, r in keys if not r]
    retired = db.execute(
        "SELECT wrapped FROM tenant_keys WHERE tenant='difesa' AND retired=1"
    ).fetchall()
    db.close()
    assert len(live) == 1 and retired and all(w is None for (w,) in retired)
    monkeypatch.setenv(ENV_KEY, MASTER_HEX)
    spec = res.scenario.storage
    assert spec is not None
    with ObjectStore(root, _run_nodes(res), seed=res.scenario.seed, fsync=False) as store:
        infos = [o for o in store.objects() if o.tenant == "difesa"]
        assert len(infos) >= b["objects_reencrypted"] > 0
        for o in infos:
            assert o.key_id == live[0] and o.healthy_shards == o.n
            assert store.get(o.tenant, o.bucket, o.key).data  # decrypts, HMAC checked
    rows = {(r.tenant, r.key): r for r in res.storage.rows if not r.refusal}  # type: ignore[union-attr]
    assert all(r.readable and not r.lost for r in rows.values())


def test_reencryption_traffic_is_booked_over_isls_from_detection(
    milsca_run: tuple[RunResult, Path],
) -> None:
    """The re-encryption of every rotated object moves over the run's one ledger: the shard
    bytes booked equal, counted independently from the catalog, ``k - 1`` old shard files
    gathered plus ``h - 1`` new ones scattered per object (``h``: its shards before the
    rebuild, i.e. its catalog shards minus those the events say were rebuilt); the ledger's
    ``reencryption`` bytes are those over every hop; none is on a contact of the compromised
    satellite or ends before the detection, all are ISLs; no contact carries more than its
    volume (rate x duration); recovery is not before the last new shard landed."""
    res, root = milsca_run
    b = _security(res)["compromised_satellite"]
    assert b["reencryption_booked_on_network"] and b["reencryption_unrouted"] == 0
    assert b["old_key_refused"] is True
    ev = _events(res)
    rebuilt = ev[ev.kind == "shard_rebuilt"].subject.str.split(".").str[0].value_counts()
    db = sqlite3.connect(root / "catalog.sqlite")
    rows = db.execute(
        "SELECT o.object_id, o.policy, COUNT(*), MAX(s.file_bytes), MIN(s.file_bytes) "
        "FROM shards s JOIN objects o USING (object_id) WHERE o.tenant='difesa' "
        "AND o.version > 1 GROUP BY o.object_id"  # re-encrypted: a new version
    ).fetchall()
    db.close()
    want = 0
    for oid, policy, n_shards, fmax, fmin in rows:
        assert fmax == fmin  # erasure fragments of one object: one size
        k = json.loads(policy)["k"]
        h = n_shards - int(rebuilt.get(oid, 0))
        want += (k - 1 + h - 1) * fmax
    assert len(rows) == b["objects_reencrypted"] and sum(rebuilt) == b["shards_rebuilt"]
    assert b["reencryption_bytes"] == want > 0
    net = res.network
    assert net is not None
    mine = net.booked_by("reencryption")
    assert mine.sum() == pytest.approx(b["reencryption_link_bytes"], abs=1.0)
    assert mine.sum() >= b["reencryption_bytes"]
    plan = net.plan
    used = mine > 0
    i = plan.nodes.index()[TARGET]
    assert not ((plan.src[used] == i) | (plan.dst[used] == i)).any()
    assert (plan.end_s[used] > DETECT_S).all()
    assert (plan.kind[used] == KINDS.index("isl")).all()
    assert (net.booked_bytes <= net.volume_bytes * (1 + 1e-9) + 1.0).all()
    assert DETECT_S <= b["reencryption_done_s"] <= b["recovered_s"]


def _run_nodes(res: RunResult) -> list[Any]:
    from orbitcloud.nodes.hardware import FleetHardware
    from orbitcloud.storage.run import storage_nodes

    sc, sats = res.scenario, res.ephemeris.satellites
    spec = sc.storage
    assert spec is not None
    return storage_nodes(
        FleetHardware.of(sc, sats), sats, res.contacts.nodes, spec.ground_storage_tb
    )


def test_compute_starts_no_job_on_the_node_after_detection(milsca_run: tuple[RunResult, Path]):
    res, _ = milsca_run
    ev = _events(res)
    started = ev[(ev.kind == "job_started") & (ev.node == TARGET)]
    assert (started.t_s < DETECT_S).all()


# --- the store on its own: catalog oracle, old key refused, no key on the node -------------


def test_store_compromise_exposure_old_key_and_key_material(tmp_path: Path) -> None:
    root = tmp_path / "store"
    master = bytes.fromhex(MASTER_HEX)
    with ObjectStore(root, _nodes(), seed=3, fsync=False, master_key=master) as store:
        store.add_tenant("difesa", policy=Erasure(4, 2))
        store.add_tenant("civile", policy=Erasure(4, 2))
        for t in ("difesa", "civile"):
            store.create_bucket(t, "b")
            for i in range(12):
                store.put(t, "b", f"o{i}", f"{t} secret {i} ".encode() * 300, t_s=float(i))
        count: dict[str, int] = {}
        for o in store.objects():
            for s in store._objects[(o.tenant, o.bucket, o.key)].shards.values():
                count[store.nodes[s.node].name] = count.get(store.nodes[s.node].name, 0) + 1
        target = max(sorted(count), key=lambda n: count[n])
        # the oracle: the catalog's rows, summed with SQL
        db = sqlite3.connect(root / "catalog.sqlite")
        (idx,) = db.execute("SELECT idx FROM nodes WHERE name=?", (target,)).fetchone()
        (want,) = db.execute(
            "SELECT SUM(file_bytes) FROM shards WHERE node=? AND ok=1", (idx,)
        ).fetchone()
        hit = db.execute(
            "SELECT DISTINCT o.tenant FROM shards s JOIN objects o USING (object_id) "
            "WHERE s.node=?", (idx,)
        ).fetchall()  # fmt: skip
        db.close()
        raw_keys = [k.key for t in store._tenants.values() for k in t.keys.values() if k]
        backup = tmp_path / "before"
        shutil.copytree(root, backup, ignore=shutil.ignore_patterns("LOCK"))
        old = {(o.tenant, o.key): o for o in store.objects()}
        rec = CompromiseRecord(target, 100.0, 150.0)
        report = StorageReport(compromises=[rec])
        _compromise(store, rec)
        _detect(store, report, rec)
        assert rec.exposed_ciphertext_bytes == want > 0
        assert rec.tenants_rotated == sorted(t for (t,) in hit)
        assert not store.trusted[idx] and store.alive[idx]
        assert np.isfinite(rec.recovered_s)
        # no network in this store: the traffic is counted, not booked (no time)
        assert not rec.reencryption_booked and rec.reencryption_bytes > 0
        assert rec.old_keys_destroyed and rec.reencryption_done_s == 150.0
        # readable afterwards, under new keys, n shards each, none on the node
        for o in store.objects():
            assert store.get(o.tenant, o.bucket, o.key).data == (
                f"{o.tenant} secret {o.key[1:]} ".encode() * 300
            )
            assert o.healthy_shards == o.n
            shards = store._objects[(o.tenant, o.bucket, o.key)].shards.values()
            assert all(s.node != idx for s in shards)
            if o.tenant in rec.tenants_rotated:
                assert o.key_id != old[(o.tenant, o.key)].key_id
        # the old key is refused: blobs rebuilt from the pre-rotation copy of the shard files
        refused = 0
        for (tenant, _), o in old.items():
            if tenant not in rec.tenants_rotated:
                continue
            frags = {}
            for i in range(o.n):
                hits = list((backup / "shards").glob(f"*/{o.object_id}.v{o.version}.s{i}"))
                raw = hits[0].read_bytes()
                id_len = int.from_bytes(raw[HEADER_BYTES - 2 : HEADER_BYTES])
                frags[i] = raw[HEADER_BYTES + id_len :]
            blob = codec_for(o.k, o.n).decode(frags)
            with pytest.raises(RetiredKeyError):
                store.unseal(tenant, blob, o.object_id, o.version)
            refused += 1
        assert refused == rec.objects_reencrypted
        wrapped = [w for (w,) in sqlite3.connect(backup / "catalog.sqlite").execute(
            "SELECT wrapped FROM tenant_keys") if w]  # fmt: skip
    # no key material on the node: its files hold no data key, wrapped key or master key
    held = b"".join(f.read_bytes() for f in (root / "shards" / target).iterdir())
    assert len(held) == want
    for secret in [*raw_keys, *wrapped, master]:
        assert secret not in held


# --- the rogue ground station --------------------------------------------------------------


def test_every_rogue_uplink_is_rejected_and_counted(milsca_run: tuple[RunResult, Path]):
    res, _ = milsca_run
    by_hand = int(ROGUE_PER_H * ROGUE_D_S / 3600.0)  # 30 an hour for 10 min: 5
    ev = _events(res)
    rej = ev[ev.kind == "uplink_rejected"]
    assert len(rej) == by_hand == 5
    assert (rej.node == ROGUE).all() and (rej.unit == "count").all()
    assert rej.t_s.between(ROGUE_T_S, ROGUE_T_S + ROGUE_D_S).all()
    assert rej.detail.str.contains("not a ground station").all()
    b = _security(res)["rogue_ground_station"]
    assert b["uplink_attempts"] == b["uplinks_rejected"] == by_hand
    assert not ev[(ev.kind == "object_put") & (ev.node == ROGUE)].shape[0]
    for kind in ("uplink_rejected", "satellite_compromised", "compromise_detected",
                 "node_distrusted"):  # fmt: skip
        assert kind in EVENT_UNITS


def test_metrics_json_has_the_security_block(
    milsca_run: tuple[RunResult, Path], tmp_path: Path
) -> None:
    from orbitcloud.run.folder import write_run_folder

    res, _ = milsca_run
    folder = write_run_folder(res, {}, root=tmp_path)
    m = json.loads((folder / "metrics.json").read_text())
    kinds = [t["kind"] for t in m["security"]["threats"]]
    assert kinds == ["compromised_satellite", "rogue_ground_station", "jamming"]
    c, r, j = m["security"]["threats"]
    # the preset's jammer by the Sahel base: its RF-budget user links lose rate, no station's
    assert j["users_affected"] == ["fob-Sahel"] and j["user_links_affected"] > 0
    assert j["user_capacity_lost_bytes"] > 0 and j["contacts_affected"] == 0
    assert (c["target"], c["detected_s"], c["exposed_plaintext_bytes"]) == (TARGET, DETECT_S, 0)
    assert c["traffic_after_detection_bytes"] == 0 and c["reencryption_bytes"] > 0
    assert (r["name"], r["uplinks_rejected"]) == (ROGUE, 5)


# --- milsca with every threat kind, through `orbitcloud run` -------------------------------

FUCINO_ACM = {
    "kind": "acm", "band": "Ka", "eirp_dbw": 36, "g_t_db_per_k": 15, "symbol_rate_baud": 2.4e8,
    "availability_pct": 99.5, "antenna_diameter_m": 1.2,
    "uplink": {"kind": "acm", "band": "Ka", "eirp_dbw": 50, "g_t_db_per_k": 5,
               "symbol_rate_baud": 1e8, "satellite_beamwidth_deg": 3.0},
}  # fmt: skip


def test_milsca_with_every_threat_runs_end_to_end_in_orbitcloud_run(tmp_path: Path) -> None:
    """milsca, Fucino given an ACM link, with its compromise and rogue station plus a
    partial-band downlink jammer, a pulsed uplink jammer and a flooding of a station and an
    ISL, for 30 min through the CLI: exit 0; metrics.json's security block has one entry per
    threat in order, the re-encryption booked on the network; the report has its security
    section; the scene has the jammers' footprints, the flooded links and the compromised
    satellite's colours."""
    from typer.testing import CliRunner

    from orbitcloud.cli import app

    d = load_scenario("milsca").model_dump(mode="json", exclude_none=True)
    d |= {"duration_s": 1800.0, "faults": []}
    fu = next(g for g in d["ground_stations"] if g["name"] == "Fucino")
    fu.pop("rate_bps", None)
    fu.pop("uplink_rate_bps", None)
    fu["link"] = FUCINO_ACM
    jam = {"kind": "jamming", "lat_deg": 41.99, "lon_deg": 13.62, "height_m": 30, "t_s": 300,
           "duration_s": 1200, "eirp_dbw": 40, "band": "Ka", "beamwidth_deg": 10}  # fmt: skip
    d["threats"] += [
        {**jam, "name": "J-band", "target": "downlink", "pointing": "Fucino",
         "mode": "partial_band", "band_fraction": 0.5},
        {**jam, "name": "J-pulse", "target": "uplink", "pointing": "sky", "eirp_dbw": 60,
         "mode": "pulsed", "on_s": 60, "period_s": 240},
        {"kind": "link_flooding", "targets": ["Matera", "milsca-1-3-milsca-1-4"], "t_s": 600,
         "duration_s": 600, "attack_bps": 1e8},
    ]  # fmt: skip
    f = tmp_path / "milsca-threats.yaml"
    f.write_text(json.dumps(d))
    out = tmp_path / "runs"
    mp = pytest.MonkeyPatch()
    mp.setenv(ENV_KEY, MASTER_HEX)
    try:
        res = CliRunner().invoke(app, ["run", str(f), "--workers", "1", "-o", str(out)])
    finally:
        mp.undo()
    assert res.exit_code == 0, res.output
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    m = json.loads((folder / "metrics.json").read_text())
    kinds = [t["kind"] for t in m["security"]["threats"]]
    assert kinds == ["compromised_satellite", "rogue_ground_station", "jamming", "jamming",
                     "jamming", "link_flooding"]  # fmt: skip
    comp, _, sahel, band, pulse, flood = m["security"]["threats"]
    assert sahel["user_links_affected"] > 0  # the preset's own jammer, on the base's link
    assert comp["reencryption_booked_on_network"] and comp["reencryption_bytes"] > 0
    assert comp["old_key_refused"] and comp["exposed_plaintext_bytes"] == 0
    assert band["contacts_affected"] > 0 and flood["capacity_taken_bytes"] > 0
    assert pulse["kind"] == "jamming"
    html = (folder / "report.html").read_text()
    assert "Re-encryption:" in html and "over ISLs" in html
    assert "jamming window" in html and "flood window" in html  # their phases
    assert "Jammer J-band (downlink" in html and "Matera, milsca-1-3-milsca-1-4" in html
    ids = {p["id"] for p in json.loads((folder / "scene.czml").read_text())}
    assert {"jammer/J-band", "jammer/J-pulse", "flood/Matera",
            "flood/milsca-1-3-milsca-1-4", "sat/milsca-1-2"} <= ids  # fmt: skip
