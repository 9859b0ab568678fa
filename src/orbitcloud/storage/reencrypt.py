"""Re-encryption traffic of a key rotation, booked on the run's one network.

:meth:`~orbitcloud.storage.service.ObjectStore.rotate_key` re-seals every object of a tenant
on disk (new data key, new fragments, same nodes). In orbit that is data moving between the
satellites that hold the shards: an object is sealed *then* erasure-coded (AES-256-GCM over
the whole blob, :mod:`orbitcloud.storage.crypto`), so no shard can be re-encrypted on its own.
The model, per re-encrypted object (old version ``old``, new version ``new``):

1. **Re-encoder**: the first holder (in shard order) of a healthy shard that is a trusted
   satellite (else the first holder). The ground key holder sends it the old and the new data
   key wrapped for this one job (a few hundred bytes: not booked); the plaintext exists only
   there, in memory, for the time of the re-encoding. The compromised node is never a holder
   (its shards were marked missing by :meth:`~.service.ObjectStore.distrust_node`).
2. **Gather**: ``k - (shards the re-encoder holds)`` old shard files from the other holders,
   those that reach the re-encoder first, each routed from ``max(t_detect, landed_s)``.
3. **Scatter**: once the last of them has arrived, every new shard file not kept on the
   re-encoder goes to its holder (the node of the old shard of the same index).

Every transfer is routed and booked by contact graph routing on the shared ledger
(:class:`~orbitcloud.network.ledger.Network`, service ``"reencryption"``), so it takes contact
volume other services then lack, and a booking never exceeds a contact's volume (the router
books only the residual). Forwarding (the router's ``transit`` mask) is allowed only through
trusted, alive **satellites** (so relays are ISLs: ground stations do not forward) that the
tenant's sovereignty policy allows; a shard held on a ground station still reaches it over its
ground link. If an object's gather or scatter cannot be routed within the plan, what was booked
for it is given back and it is counted ``unrouted`` (the run has then not recovered).

``payload_bytes`` counts each shard file once per transfer (gather: ``k - 1`` old shard files,
scatter: ``h - 1`` new ones, for ``h`` healthy shards on distinct nodes);
``link_bytes`` counts it on every hop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from orbitcloud.storage.catalog import ObjectRecord
from orbitcloud.storage.service import ObjectStore
from orbitcloud.storage.timing import NetworkTimer, Transfer

__all__ = ["SERVICE", "ReencryptionTraffic", "book_reencryption"]

SERVICE = "reencryption"


@dataclass
class ReencryptionTraffic:
    """The network side of one rotation (module docstring).

    Attributes:
        booked: True if it was booked on a network (False: the store has no network timer,
            transfers are counted with zero duration).
        objects: objects whose gather and scatter were all delivered.
        unrouted: objects whose traffic could not be routed within the contact plan.
        gather_bytes, scatter_bytes: shard-file bytes moved in each phase (once per transfer).
        link_bytes: the same, summed over every hop.
        done_s: when the last new shard landed (``t_s`` if nothing moved).
        transfers: every transfer booked (contacts index the full plan).
    """

    booked: bool
    t_s: float
    objects: int = 0
    unrouted: int = 0
    gather_bytes: int = 0
    scatter_bytes: int = 0
    link_bytes: float = 0.0
    done_s: float = math.nan
    transfers: list[Transfer] = field(default_factory=list)

    @property
    def payload_bytes(self) -> int:
        """Shard-file bytes moved, gather plus scatter."""
        return self.gather_bytes + self.scatter_bytes


def _transit(store: ObjectStore, tenant: str) -> NDArray[np.bool_]:
    """bool[n_node]: nodes that may forward re-encryption traffic (trusted alive satellites
    the tenant's policy allows)."""
    sat = np.array([n.kind == "satellite" for n in store.nodes], dtype=bool)
    mask = store.usable & sat
    own = store._transit_mask(tenant)
    return mask & own if own is not None else mask


def book_reencryption(
    store: ObjectStore,
    pairs: Sequence[tuple[ObjectRecord, ObjectRecord]],
    t_s: float,
) -> ReencryptionTraffic:
    """Route and book the re-encryption traffic of ``pairs`` (old version, new version of each
    re-encrypted object) from ``t_s`` (the detection) on the store's network, as service
    :data:`SERVICE` (module docstring for the model)."""
    timer = NetworkTimer(store.timer.network, SERVICE) if store.timer is not None else None
    out = ReencryptionTraffic(timer is not None, t_s, done_s=t_s)
    for old, new in pairs:
        got = _one(store, timer, old, new, t_s)
        if got is None:
            out.unrouted += 1
            continue
        gather, scatter = got
        out.objects += 1
        out.gather_bytes += int(sum(tr.size_bytes for tr in gather))
        out.scatter_bytes += int(sum(tr.size_bytes for tr in scatter))
        out.link_bytes += sum(tr.link_bytes for tr in (*gather, *scatter))
        out.transfers += [*gather, *scatter]
        out.done_s = max([out.done_s, *(tr.arrival_s for tr in (*gather, *scatter))])
    return out


def _one(
    store: ObjectStore,
    timer: NetworkTimer | None,
    old: ObjectRecord,
    new: ObjectRecord,
    t_s: float,
) -> tuple[list[Transfer], list[Transfer]] | None:
    """Gather and scatter of one object; None (nothing left booked) if it cannot be routed."""
    idx = sorted(new.shards)
    if not idx:
        return [], []
    sats = [
        i for i in idx
        if store.nodes[new.shards[i].node].kind == "satellite" and store.usable[new.shards[i].node]
    ]  # fmt: skip
    enc = new.shards[(sats or idx)[0]].node
    local = [i for i in idx if new.shards[i].node == enc]
    need = max(0, new.policy.k - len(local))
    allowed = _transit(store, new.tenant)
    others = [i for i in idx if new.shards[i].node != enc and i in old.shards]
    if timer is None:  # no network: count the bytes, no time
        g = [_free(old, i, enc, t_s) for i in others[:need]]
        sc = [Transfer(enc, new.shards[i].node, new.shards[i].file_bytes, t_s, t_s, ())
              for i in idx if new.shards[i].node != enc]  # fmt: skip
        return (g, sc) if len(g) == need else None
    options = []
    for i in others:
        o = old.shards[i]
        tr = timer.route(o.node, enc, max(t_s, o.landed_s), o.file_bytes, allowed)
        if tr is not None:
            options.append((tr.arrival_s, i))
    if len(options) < need:
        return None
    booked: list[Transfer] = []

    def give_back() -> None:
        for b in booked:
            timer.unbook(b)

    for _, i in sorted(options)[:need]:
        o = old.shards[i]
        tr = timer.deliver(o.node, enc, max(t_s, o.landed_s), o.file_bytes, allowed)
        if tr is None:  # a shared contact filled up meanwhile
            give_back()
            return None
        booked.append(tr)
    gather = list(booked)
    ready = max([t_s, *(tr.arrival_s for tr in gather)])
    for i in idx:
        s = new.shards[i]
        if s.node == enc:
            continue
        tr = timer.deliver(enc, s.node, ready, s.file_bytes, allowed)
        if tr is None:
            give_back()
            return None
        booked.append(tr)
    return gather, booked[len(gather) :]


def _free(old: ObjectRecord, i: int, dst: int, t_s: float) -> Transfer:
    s = old.shards[i]
    return Transfer(s.node, dst, s.file_bytes, t_s, t_s, ())
