"""Link terminals that a satellite carries (optical or RF heads for inter-layer links).

A constellation lists its terminals; an ISL set with ``between:`` links two constellations
through the terminals of one ``kind`` on each side (:mod:`orbitcloud.links.terminals` assigns
them). Every satellite of a constellation carries the same terminals.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orbitcloud.scenario.base import Name, _Model

__all__ = ["TERMINAL_KINDS", "Terminal", "TerminalKind"]

TerminalKind = Literal["optical", "rf"]
TERMINAL_KINDS: tuple[str, ...] = ("optical", "rf")


class Terminal(_Model):
    """``count`` identical terminals of one ``kind`` on every satellite of a constellation.

    A terminal links to one partner at a time, up to ``max_range_km``. Before a new link
    carries data the terminal slews from where it last pointed to the new partner, at
    ``slew_rate_deg_s``, then spends ``acquisition_s`` on acquisition and tracking (beacon
    search, fine pointing lock)."""

    name: Name
    kind: TerminalKind
    count: int = Field(ge=1, le=64, description="terminals of this kind on each satellite")
    max_range_km: float = Field(gt=0, le=200_000)
    slew_rate_deg_s: float = Field(gt=0, le=360)
    acquisition_s: float = Field(ge=0, le=86400)
