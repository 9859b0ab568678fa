"""The ``security`` block of ``metrics.json``: what each of the scenario's ``threats:`` did.

Per ``compromised_satellite``: when it was compromised and detected; the ciphertext it held
(``exposed_ciphertext_bytes``: the shard files on it between compromise and detection, see
:class:`~orbitcloud.storage.run.CompromiseRecord`) and the plaintext (0 bytes: every shard is
an AES-256-GCM fragment under a tenant data key that is kept, wrapped by the master key, in
the catalog on the ground and never sent to a node); the tenants whose key was rotated, the
objects re-encrypted and the bytes that re-encryption would move (``rotate_key`` re-seals in
place: ``reencryption_booked_on_network`` is false); the shards rebuilt elsewhere; the bytes
the run's network carried on the node's contacts after detection (0: the fault timeline cuts
them); and the time to recover (detection to every affected object re-encrypted and back at
full redundancy on trusted nodes; null if not by the end of the run).

Per ``rogue_ground_station``: attempts and rejections (every one is rejected).

Per ``jamming``: the contact pieces whose rate it lowered (``contacts_affected``; of them
``contacts_closed`` closed no MODCOD and were dropped), ``capacity_lost_bytes`` (clear rate
minus jammed rate, times duration, summed over them), ``affected_link_s`` and
``affected_link_share``: their link-time over the ACM link-time of the jammed direction within
the jammer's window (null if there was none), from :class:`~orbitcloud.links.contacts.JamEffect`.
A piece two jammers reach at once counts for each. The same for the user links of terminals
with an RF ``link:`` budget (:class:`~orbitcloud.links.users.UserJamEffect`):
``user_links_affected`` (user link pieces whose rate it lowered), ``user_links_closed``,
``user_capacity_lost_bytes``, ``user_affected_link_s`` and ``users_affected`` (names).

Per ``link_flooding``: ``capacity_taken_bytes``, what it took from the contact plan
(``min(rate, attack_bps)`` times the overlap, summed over its targets' contacts).

Nothing is simulated here: it reads the run's timeline, network, storage report and events.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from orbitcloud.run.pipeline import RunResult
from orbitcloud.scenario.threats import rogue_attempt_times_s

__all__ = ["security_summary", "traffic_after_s"]


def traffic_after_s(result: RunResult, node: str, t_s: float) -> float:
    """Bytes booked on the run's network on contacts of ``node`` after ``t_s`` (a booking is
    spread evenly over its contact, the part after ``t_s`` counts)."""
    net = result.network
    if net is None or len(net.plan) == 0:
        return 0.0
    plan = net.plan
    i = plan.nodes.index()[node]
    mine = (plan.src == i) | (plan.dst == i)
    dur = np.maximum(plan.end_s - plan.start_s, 1e-12)
    after = np.clip(plan.end_s - np.maximum(plan.start_s, t_s), 0.0, None) / dur
    return float((net.booked_bytes * after)[mine].sum())


def _num(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 6)


def security_summary(result: RunResult) -> dict[str, Any]:
    """The ``security`` block (module docstring): ``{"threats": [...]}``, one entry per
    threat in the scenario's order."""
    report = result.storage
    comp = {r.target: r for r in (report.compromises if report is not None else [])}
    rogue = {r.name: r for r in (report.rogues if report is not None else [])}
    out: list[dict[str, Any]] = []
    jam_k = flood_k = 0
    for th in result.scenario.threats:
        if th.kind == "compromised_satellite":
            rec = comp.get(th.target)
            recovered = rec.recovered_s if rec is not None else math.nan
            out.append({
                "kind": th.kind,
                "target": th.target,
                "t_s": th.t_s,
                # NULL: not detected within the run
                "detected_s": _num(th.detected_s)
                if th.detected_s <= result.scenario.duration_s
                else None,
                "exposed_ciphertext_bytes": rec.exposed_ciphertext_bytes if rec else 0,
                "exposed_plaintext_bytes": 0,
                "shards_exposed": len(rec.held) if rec else 0,
                "objects_affected": len(rec.objects_affected) if rec else 0,
                "tenants_rotated": rec.tenants_rotated if rec else [],
                "objects_reencrypted": rec.objects_reencrypted if rec else 0,
                "reencryption_bytes": rec.reencryption_bytes if rec else 0,
                "reencryption_link_bytes": rec.reencryption_link_bytes if rec else 0.0,
                "reencryption_done_s": _num(rec.reencryption_done_s) if rec else None,
                "reencryption_unrouted": rec.reencryption_unrouted if rec else 0,
                "reencryption_booked_on_network": rec.reencryption_booked if rec else False,
                "old_key_refused": bool(rec.tenants_rotated) and rec.old_keys_destroyed
                if rec
                else False,
                "shards_rebuilt": rec.shards_rebuilt if rec else 0,
                "repair_traffic_bytes": rec.repair_traffic_bytes if rec else 0.0,
                "traffic_after_detection_bytes": traffic_after_s(
                    result, th.target, th.detected_s
                ),
                "recovered_s": _num(recovered),
                "time_to_recover_s": _num(recovered - th.detected_s),
            })  # fmt: skip
        elif th.kind == "jamming":
            eff = result.jamming[jam_k] if jam_k < len(result.jamming) else None
            ul = result.user_links
            u_eff = (
                ul.jam_effects[jam_k] if ul is not None and jam_k < len(ul.jam_effects) else None
            )
            jam_k += 1
            share = (eff.affected_link_s / eff.window_link_s) if eff and eff.window_link_s else None
            out.append({
                "kind": th.kind,
                "name": th.name,
                "target": th.target,
                "pointing": th.pointing,
                "t_s": th.t_s,
                "duration_s": th.duration_s,
                "contacts_affected": eff.contacts_affected if eff else 0,
                "contacts_closed": eff.contacts_closed if eff else 0,
                "capacity_lost_bytes": eff.capacity_lost_bytes if eff else 0.0,
                "affected_link_s": eff.affected_link_s if eff else 0.0,
                "affected_link_share": None if share is None else round(share, 6),
                "user_links_affected": u_eff.pieces_affected if u_eff else 0,
                "user_links_closed": u_eff.pieces_closed if u_eff else 0,
                "user_capacity_lost_bytes": u_eff.capacity_lost_bytes if u_eff else 0.0,
                "user_affected_link_s": u_eff.affected_link_s if u_eff else 0.0,
                "users_affected": list(u_eff.users) if u_eff else [],
            })  # fmt: skip
        elif th.kind == "link_flooding":
            taken = result.flooding_taken_bytes
            out.append({
                "kind": th.kind,
                "targets": list(th.targets),
                "t_s": th.t_s,
                "duration_s": th.duration_s,
                "attack_bps": th.attack_bps,
                "capacity_taken_bytes": taken[flood_k] if flood_k < len(taken) else 0.0,
            })  # fmt: skip
            flood_k += 1
        else:
            r = rogue.get(th.name)
            n = len(rogue_attempt_times_s(th, result.scenario.duration_s))
            logged = result.events.count("uplink_rejected", th.name)
            out.append({
                "kind": th.kind,
                "name": th.name,
                "t_s": th.t_s,
                "duration_s": th.duration_s,
                "uplink_attempts": r.attempts if r is not None else n,
                "uplinks_rejected": r.rejected if r is not None else logged,
            })  # fmt: skip
    return {"threats": out}
