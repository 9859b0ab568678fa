"""What the compute stage takes from the scenario: :class:`WorkloadInputs`.

The compute stage never sees the whole :class:`~orbitcloud.scenario.models.Scenario`:
:meth:`WorkloadInputs.of` is the one place that reads it, and hands on the workload section,
the fleet-hardware table, the resolved placement of every stored request input, the storage
nodes those inputs can be placed on, the ground stations' jurisdictions and the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

from orbitcloud.links.contactplan import NodeTable
from orbitcloud.nodes.hardware import FleetHardware
from orbitcloud.orbits.satellites import SatelliteSet
from orbitcloud.scenario.models import Scenario
from orbitcloud.scenario.storage import StorageSpec
from orbitcloud.scenario.workload import JobRequest, WorkloadSpec
from orbitcloud.storage.placement import Erasure, PlacementPolicy, StorageNode
from orbitcloud.storage.run import policy_of, storage_nodes

__all__ = ["DEFAULT_PLACEMENT", "WorkloadInputs", "request_placement"]

#: Placement of a storage input when neither the request nor the storage section gives one.
DEFAULT_PLACEMENT = Erasure(k=4, m=2)


def request_placement(
    spec: WorkloadSpec, storage: StorageSpec | None, request: JobRequest
) -> PlacementPolicy:
    """The placement of a storage request's input: the request's ``placement``, else the
    storage section's policy for the request's tenant, else the storage section's default,
    else :data:`DEFAULT_PLACEMENT` (no storage section)."""
    if request.placement is not None:
        return policy_of(request.placement)
    if storage is None:
        return DEFAULT_PLACEMENT
    tenant = spec.tenant_of(request).name
    for t in storage.tenants:
        if t.name == tenant and t.placement is not None:
            return policy_of(t.placement)
    return policy_of(storage.placement)


@dataclass(frozen=True)
class WorkloadInputs:
    """Everything the compute stage needs of the scenario.

    Attributes:
        spec: the scenario's ``workload`` section.
        fleet: the fleet-hardware table (compute power and TFLOPS, storage, battery).
        placements: tuple[n_request], the placement of each request's stored input
            (:func:`request_placement`), None for a request whose input is at a station.
        storage: tuple[n_node], one storage node per contact-plan node (satellites with
            their ``hardware.storage_tb``, ground stations with none): where stored inputs'
            shards can go.
        jurisdictions: tuple[n_ground], the ISO code of each ground station, in node order.
        seed: the scenario's seed (every random stream of the stage derives from it).
    """

    spec: WorkloadSpec
    fleet: FleetHardware
    placements: tuple[PlacementPolicy | None, ...]
    storage: tuple[StorageNode, ...]
    jurisdictions: tuple[str, ...]
    seed: int

    def __post_init__(self) -> None:
        if len(self.placements) != len(self.spec.requests):
            raise ValueError(
                f"placements: one per workload request ({len(self.spec.requests)}), "
                f"got {len(self.placements)}"
            )

    @classmethod
    def of(
        cls, scenario: Scenario, satellites: SatelliteSet, nodes: NodeTable
    ) -> WorkloadInputs | None:
        """The compute stage's inputs for ``scenario`` flown by ``satellites`` on the contact
        plan's node table ``nodes``; None when the scenario has no workload."""
        spec = scenario.workload
        if spec is None:
            return None
        placements = tuple(
            None if r.station is not None else request_placement(spec, scenario.storage, r)
            for r in spec.requests
        )
        fleet = FleetHardware.of(scenario, satellites)
        return cls(
            spec=spec,
            fleet=fleet,
            placements=placements,
            storage=tuple(storage_nodes(fleet, satellites, nodes, 0.0)),
            jurisdictions=tuple(g.jurisdiction for g in scenario.ground_stations),
            seed=scenario.seed,
        )
