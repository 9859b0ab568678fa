"""Links: visibility, inter-satellite topologies, link rates and the contact plan."""

from orbitcloud.links.contactplan import KINDS, ContactPlan, NodeTable
from orbitcloud.links.contacts import build_contact_plan

__all__ = ["KINDS", "ContactPlan", "NodeTable", "build_contact_plan"]
