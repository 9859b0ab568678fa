"""Where a job runs: candidate estimates and placement policies (built-in or your own).

When a job's input is ready the compute service asks the policy to choose among
:class:`Candidates`, one row per satellite that can take the job, with estimates made from
the network and node state at that moment:

- ``arrival_s``: when the input can be there (earliest delivery over the contact plan from the
  node holding it; a stored object: when the ``k``-th of its shards' parts arrives; satellites
  relay over ISLs, stations do not relay; volume already booked respected);
- ``start_s = max(arrival_s, queue_free_s)``, the node's queue as reserved by earlier choices;
- ``finish_s``: exact for the node's power/thermal compute envelope
  (:class:`~orbitcloud.nodes.capacity.ComputeCapacity`), without upsets;
- ``deliver_s``: finish plus the wait for the node's next direct downlink contact to a station
  the tenant may use (a pessimistic estimate: relays over ISLs can only be faster);
- ``energy_j``: compute energy (J/FLOP × FLOP) × ``1/η²`` when the node starts in eclipse
  (drawn through the battery: charge and discharge losses), plus ISL transfer energy of one
  hop per input part held on another satellite;
- ``sunlit``: the node is in sunlight at ``start_s``.

A satellite already lost (the run's ``loss_s``) is never a row: no policy can pick it.

A policy is any callable ``policy(job: JobView, cand: Candidates) -> int`` returning a row of
``cand``. Built-ins:

- ``earliest_finish``: the smallest ``deliver_s`` (ties: smallest ``finish_s``, then the source
  node, then the lowest index) — greedy earliest-finish-time list scheduling
  (Topcuoglu et al. 2002, HEFT's EFT rule, applied online);
- ``energy_aware``: among rows meeting the deadline, the least ``energy_j`` (ties: earliest
  delivery); when none meets it, earliest finish.

Your own: ``policy: "mypackage.mymodule:my_policy"`` in the scenario's workload.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "POLICIES",
    "Candidates",
    "JobView",
    "Policy",
    "earliest_finish",
    "energy_aware",
    "load_policy",
]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]


@dataclass(frozen=True)
class JobView:
    """What a policy may know of the job being placed (units in names).

    ``input_kind`` is ``capture``, ``station`` or ``storage``; ``holders`` are the nodes
    holding parts of the input, ``needed`` how many parts rebuild it (a stored object's
    ``k``); ``source`` is the first holder.
    """

    job_id: int
    tenant: str
    priority: int
    source: int
    ready_s: float
    deadline_s: float
    input_bytes: float
    flops: float
    output_bytes: float
    input_kind: str = "capture"
    holders: tuple[int, ...] = ()
    needed: int = 1


@dataclass(frozen=True)
class Candidates:
    """One row per candidate satellite (node index ``node``); arrays [n_candidate]. See the
    module docstring for the meaning of each estimate."""

    node: IDX
    arrival_s: F64
    start_s: F64
    finish_s: F64
    deliver_s: F64
    energy_j: F64
    sunlit: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.node.shape[0])


Policy = Callable[[JobView, Candidates], int]


def earliest_finish(job: JobView, cand: Candidates) -> int:
    """The candidate whose product reaches the ground first."""
    local = (~np.isin(cand.node, job.holders or (job.source,))).astype(np.int8)
    order = np.lexsort((np.arange(len(cand)), local, cand.finish_s, cand.deliver_s))
    return int(order[0])


def energy_aware(job: JobView, cand: Candidates) -> int:
    """The least energy among candidates that meet the deadline, else earliest finish."""
    ok = cand.deliver_s <= job.deadline_s
    if not ok.any():
        return earliest_finish(job, cand)
    energy = np.where(ok, cand.energy_j, np.inf)
    order = np.lexsort((np.arange(len(cand)), cand.deliver_s, energy))
    return int(order[0])


POLICIES: dict[str, Policy] = {"earliest_finish": earliest_finish, "energy_aware": energy_aware}


def load_policy(name: str) -> Policy:
    """A built-in policy by name, or ``"package.module:function"`` imported from your code."""
    if name in POLICIES:
        return POLICIES[name]
    if ":" not in name:
        raise ValueError(
            f"unknown scheduling policy {name!r}: use one of {', '.join(POLICIES)} or "
            "'package.module:function' for your own"
        )
    module, _, attr = name.partition(":")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"scheduling policy {name!r} cannot be loaded: {exc}") from None
    if not callable(fn):
        raise ValueError(f"scheduling policy {name!r} is not callable")
    policy: Policy = fn
    return policy
