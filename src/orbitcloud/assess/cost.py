"""Cost of the orbital option (US dollars, 2024-25 prices, undiscounted).

Over one design life ``L`` of the fleet::

    K_launch = m_module x price_per_kg                 launch.<launcher>.price_*_per_kg
    K_sc     = m_platform x USD/kg                     spacecraft.cost_usd_per_kg
    K_IT     = P_IT x USD/kW                           it.cost_usd_per_kw (as on the ground)
    K_ops    = K_sc x f_ops x L                        ops.orbit_opex_fraction_per_yr
    K_gs     = f_gs x E x electricity price            ground segment energy

    cost per kWh = (K_launch + K_sc + K_IT + K_ops + K_gs) / E

Modules are replaced at the end of their design life, so one life's cost over one life's
energy is the steady-state cost per kWh. Linear in the launch price, so the break-even price
is exact: ``price* = (cost_ground x E - K_sc - K_IT - K_ops - K_gs) / m_module``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = ["CURRENCY", "launch_price_parameter", "launch_price_usd_per_kg"]

F64 = NDArray[np.float64]
P = Mapping[str, F64]

CURRENCY = "USD (2024-25 prices, undiscounted; EUR converted at cost.usd_per_eur)"


def launch_price_parameter(p: Mapping[str, object], launcher: str) -> str:
    """The price parameter of ``launcher`` (USD/kg, or EUR/kg for Ariane 6)."""
    usd = f"launch.{launcher}.price_usd_per_kg"
    return usd if usd in p else f"launch.{launcher}.price_eur_per_kg"


def launch_price_usd_per_kg(p: P, launcher: str) -> F64:
    """Launch price [USD per kg of payload]."""
    name = launch_price_parameter(p, launcher)
    price = p[name] * (p["cost.usd_per_eur"] if name.endswith("eur_per_kg") else 1.0)
    return np.asarray(price, dtype=np.float64)
