"""Scenario section ``assessment:``: lifecycle carbon, water and cost options and overrides."""

from __future__ import annotations

from orbitcloud.scenario.base import _Model

__all__ = ["AssessmentSpec"]


class AssessmentSpec(_Model):
    """Assessment settings (placeholder: fleshed out by the assessment issue)."""
