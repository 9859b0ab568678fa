"""One-at-a-time sensitivity (tornado) and a Monte Carlo uncertainty band.

Tornado: every uncertain parameter (``low < high``) is set to its low and then its high value
with all others at their central values; the swing ``|metric(high) - metric(low)|`` orders the
bars (e.g. Saltelli et al., *Global Sensitivity Analysis: The Primer*, 2008, §1.2.3 on
one-at-a-time designs). Parameters that do not move the metric (another launcher's factors,
other grids, a sizing parameter when the scenario gives the module mass) are left out.

Uncertainty band: all uncertain parameters drawn together and independently from triangular
distributions ``(low, value, high)`` (a common choice for expert ranges with a mode; Vose,
*Risk Analysis*, 3rd ed., §10.2), with a numpy Generator seeded from the scenario; the band is
the 5th, 50th and 95th percentiles of the metric. Independence is an assumption: correlated
inputs (e.g. launcher payload and emission factor) would widen or narrow the band.

Both are one vectorised :func:`~orbitcloud.assess.model.evaluate` call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orbitcloud.assess.fleet import Fleet
from orbitcloud.assess.model import Options, evaluate
from orbitcloud.scenario.parameters import ParameterSet

__all__ = ["TornadoBar", "tornado", "uncertainty_band"]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class TornadoBar:
    """One bar: the metric with ``parameter`` at its ``low`` and at its ``high`` value."""

    parameter: str
    unit: str
    low: float
    high: float
    metric: str
    metric_at_low: float
    metric_at_high: float

    @property
    def swing(self) -> float:
        return abs(self.metric_at_high - self.metric_at_low)


def _central(params: ParameterSet, n: int) -> dict[str, F64]:
    return {k: np.full(n, p.value) for k, p in params.items()}


def tornado(
    fleet: Fleet,
    params: ParameterSet,
    options: Options,
    metric: str = "orbital_co2e_kg_per_kwh",
    rel_tol: float = 1e-12,
) -> list[TornadoBar]:
    """Tornado bars for ``metric``, largest swing first (see the module docstring)."""
    names = [k for k, p in params.items() if p.uncertain]
    n = 2 * len(names)
    if n == 0:
        return []
    values = _central(params, n)
    for i, name in enumerate(names):
        values[name][2 * i] = params[name].low
        values[name][2 * i + 1] = params[name].high
    y = evaluate(fleet, values, options)[metric]
    centre = float(evaluate(fleet, _central(params, 1), options)[metric][0])
    bars = []
    for i, name in enumerate(names):
        lo, hi = float(y[2 * i]), float(y[2 * i + 1])
        if abs(hi - centre) <= rel_tol * abs(centre) and abs(lo - centre) <= rel_tol * abs(centre):
            continue
        p = params[name]
        bars.append(TornadoBar(name, p.unit, p.low, p.high, metric, lo, hi))
    return sorted(bars, key=lambda b: -b.swing)


def uncertainty_band(
    fleet: Fleet,
    params: ParameterSet,
    options: Options,
    trials: int,
    seed: int,
    metrics: tuple[str, ...] = ("orbital_co2e_kg_per_kwh",),
) -> dict[str, F64]:
    """Monte Carlo samples of ``metrics`` (float64[trials] each), plus ``"_orbit_wins"``
    (1.0 where the orbital CO2e per kWh is below the ground's)."""
    rng = np.random.default_rng(seed)
    values = _central(params, trials)
    for name, p in params.items():
        if p.uncertain:
            values[name] = rng.triangular(p.low, p.value, p.high, size=trials)
    out = evaluate(fleet, values, options)
    samples = {m: out[m] for m in metrics}
    samples["_orbit_wins"] = (
        out["orbital_co2e_kg_per_kwh"] < out["ground_co2e_kg_per_kwh"]
    ).astype(np.float64)
    return samples
