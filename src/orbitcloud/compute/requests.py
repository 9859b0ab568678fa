"""Jobs whose input is already in the cloud: at a ground station or in orbital storage.

A workload ``request`` (:class:`~orbitcloud.scenario.workload.JobRequest`) submits ``count``
jobs, one every ``interval_s`` from ``submit_s``, each on ``input_bytes`` of input:

- ``input: station``: the input sits at that ground station; in orbit it is uplinked to the
  satellite that runs the job, on the ground it is processed where it is.
- ``input: storage``: the input is an object in orbital storage, its shards on several
  satellites; any ``k`` of them rebuild it (``k`` of ``k + m`` for Reed-Solomon, 1 of ``n``
  for replication). The shards are placed by the storage service's own placement
  (:func:`orbitcloud.storage.placement.place`: distinct nodes, planes or constellations
  as the policy asks, capacity respected) with the request's ``placement``, else the storage
  section's policy for the tenant, else Reed-Solomon 4+2 (the storage section's
  default). Stated
  simplifications: shards are placed when the job is submitted, as if the object had been put
  just before; the storage service's own objects (``storage:``, run on real bytes) are a
  separate demo and are not job inputs.
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.compute.inputs import DEFAULT_PLACEMENT, WorkloadInputs, request_placement
from orbitcloud.compute.workload import INPUT_KINDS, Jobs
from orbitcloud.links.contactplan import NodeTable
from orbitcloud.storage.placement import NodeDomains, PlacementError, place

__all__ = ["DEFAULT_PLACEMENT", "request_jobs", "request_placement"]


def request_jobs(inputs: WorkloadInputs, nodes: NodeTable, rng: np.random.Generator) -> Jobs:
    """The jobs of every request of the workload (``inputs.spec``), sorted by ``ready_s``;
    stored inputs' shards go on ``inputs.storage`` by ``inputs.placements``.

    Raises:
        ValueError: a storage request's shards cannot be placed (the reason names the
            constraint and the request).
    """
    spec = inputs.spec
    tenants = [t.name for t in spec.tenants]
    storage = inputs.storage
    free_bytes = np.array([n.capacity_bytes for n in storage], dtype=np.float64)
    domains = NodeDomains.of(storage)
    rows: list[tuple[int, list[int], int, float]] = []  # request, holders, needed, ready
    for j, r in enumerate(spec.requests):
        ready = r.submit_s + r.interval_s * np.arange(r.count)
        if r.station is not None:
            station = nodes.names.index(r.station)
            rows += [(j, [station], 1, float(t)) for t in ready]
            continue
        policy = inputs.placements[j]
        assert policy is not None  # a storage input (WorkloadInputs.of)
        shard_bytes = r.input_bytes / policy.k
        for t in ready.tolist():
            try:
                held = place(policy, domains, free_bytes, math.ceil(shard_bytes), rng)
            except PlacementError as err:
                raise ValueError(
                    f"workload.requests[{j}] ({r.name}): the input's shards cannot be placed: "
                    f"{err.reason}; change `placement:` (fewer shards, no distinct_planes)"
                ) from None
            free_bytes[held] -= shard_bytes
            rows.append((j, held, policy.k, t))
    n = len(rows)
    width = max((len(h) for _, h, _, _ in rows), default=1)
    holders = np.full((n, width), -1, np.int32)
    for i, (_, h, _, _) in enumerate(rows):
        holders[i, : len(h)] = h
    req = np.array([r[0] for r in rows], np.int32)
    reqs = spec.requests
    tenant = np.array([tenants.index(spec.tenant_of(reqs[j]).name) for j in req], np.int32)
    prio = np.array([t.priority for t in spec.tenants], np.int32)
    size = np.array([reqs[j].input_bytes for j in req], np.float64)
    flops_per_byte = np.array([reqs[j].flops_per_byte or spec.flops_per_byte for j in req])
    ratio = np.array([reqs[j].product_ratio or spec.product_ratio for j in req])
    due_after = np.array([reqs[j].deadline_s or spec.deadline_s for j in req])
    ready_s = np.array([r[3] for r in rows], np.float64)
    kind = np.array(
        [INPUT_KINDS.index("station" if reqs[j].input == "station" else "storage") for j in req],
        np.int32,
    )
    order = np.argsort(ready_s, kind="stable")
    minus = np.full(n, -1, np.int32)
    return Jobs(
        tenant_names=tenants,
        tenant=tenant[order],
        priority=prio[tenant][order],
        source=holders[order, 0],
        capture=minus,
        area=minus.copy(),
        ready_s=ready_s[order],
        deadline_s=(ready_s + due_after)[order],
        input_bytes=size[order],
        flops=(size * flops_per_byte)[order],
        output_bytes=(size * ratio)[order],
        input_kind=kind[order],
        request=req[order],
        holders=holders[order],
        needed=np.array([r[2] for r in rows], np.int32)[order],
    )
