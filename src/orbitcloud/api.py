"""The public API: re-exports only. Everything else is implementation."""

from orbitcloud.assess.report import Assessment, assess_scenario
from orbitcloud.budget import check_budget, estimate
from orbitcloud.examples import list_examples
from orbitcloud.executor import make_executor
from orbitcloud.faults import EventTimeline, FaultEvent
from orbitcloud.links.contactplan import ContactPlan, NodeTable
from orbitcloud.links.contacts import build_contact_plan
from orbitcloud.network.cgr import ContactGraphRouter, Delivery
from orbitcloud.network.ledger import Network
from orbitcloud.network.routes import RouteTable
from orbitcloud.network.transfers import Transfer, TransferTable
from orbitcloud.orbits.propagate import Ephemeris, propagate
from orbitcloud.orbits.satellites import build_satellites
from orbitcloud.run.pipeline import (
    STAGES,
    RunResult,
    all_ground_pairs,
    run,
    run_pipeline,
    run_routes,
    run_transfers,
)
from orbitcloud.scenario import Scenario, ScenarioError, load_scenario
from orbitcloud.storage.keys import MasterKey
from orbitcloud.storage.placement import Erasure, Replication, StorageNode
from orbitcloud.storage.service import ObjectStore, StoreLockedError
from orbitcloud.timegrid import TimeGrid

__all__ = [
    "STAGES",
    "Assessment",
    "ContactGraphRouter",
    "ContactPlan",
    "Delivery",
    "Ephemeris",
    "Erasure",
    "EventTimeline",
    "FaultEvent",
    "MasterKey",
    "Network",
    "NodeTable",
    "ObjectStore",
    "Replication",
    "RouteTable",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "StorageNode",
    "StoreLockedError",
    "TimeGrid",
    "Transfer",
    "TransferTable",
    "all_ground_pairs",
    "assess_scenario",
    "build_contact_plan",
    "build_satellites",
    "check_budget",
    "estimate",
    "list_examples",
    "load_scenario",
    "make_executor",
    "propagate",
    "run",
    "run_pipeline",
    "run_routes",
    "run_transfers",
]
