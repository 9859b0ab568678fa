"""Data sovereignty: which ground-station jurisdictions may up- or downlink a tenant's data.

A tenant policy lists ISO 3166-1 alpha-2 codes (``None``: any). A put from, a get to, or a
ground copy at a station outside the list is refused with a :class:`SovereigntyError` that
names the tenant, the station, its jurisdiction and the allowed list. Routes are kept sovereign
by construction: a restricted tenant's bundles may only be forwarded by satellites and allowed
stations (:meth:`SovereigntyPolicy.allowed_nodes`, the router's transit mask), so
store-and-forward never passes through a foreign station.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["SovereigntyError", "SovereigntyPolicy"]


class SovereigntyError(ValueError):
    """A placement or transfer would touch a jurisdiction the tenant does not allow."""

    def __init__(
        self, tenant: str, station: str, jurisdiction: str, allowed: Sequence[str], action: str
    ) -> None:
        self.tenant = tenant
        self.station = station
        self.jurisdiction = jurisdiction
        self.allowed = tuple(allowed)
        self.action = action
        super().__init__(
            f"tenant {tenant!r} may not {action} at station {station!r}: its jurisdiction "
            f"{jurisdiction} is not among the allowed {', '.join(self.allowed)}"
        )


@dataclass(frozen=True)
class SovereigntyPolicy:
    """Allowed ground-station jurisdictions of one tenant (``None``: unrestricted)."""

    tenant: str
    allowed: frozenset[str] | None = None

    @classmethod
    def of(cls, tenant: str, allowed: Sequence[str] | None) -> SovereigntyPolicy:
        if allowed is None:
            return cls(tenant, None)
        bad = [a for a in allowed if not (len(a) == 2 and a.isalpha())]
        if bad:
            raise ValueError(
                f"tenant {tenant!r}: allowed_jurisdictions must be ISO 3166-1 alpha-2 codes "
                f"such as IT or FR, got {bad}"
            )
        return cls(tenant, frozenset(a.upper() for a in allowed))

    def allows(self, jurisdiction: str) -> bool:
        return self.allowed is None or jurisdiction in self.allowed

    def check_station(self, station: str, jurisdiction: str, action: str) -> None:
        """Raise :class:`SovereigntyError` unless ``station`` may ``action`` this tenant's data."""
        if not self.allows(jurisdiction):
            raise SovereigntyError(
                self.tenant, station, jurisdiction, sorted(self.allowed or ()), action
            )

    def allowed_nodes(self, jurisdiction: Sequence[str], n_sat: int) -> NDArray[np.bool_]:
        """bool[n_node]: satellites, and stations in allowed jurisdictions."""
        ok = np.asarray([self.allows(j) for j in jurisdiction], dtype=bool)
        ok[:n_sat] = True
        return ok
