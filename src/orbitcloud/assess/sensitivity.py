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

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orbitcloud.assess.fleet import Fleet
from orbitcloud.assess.model import Options, evaluate
from orbitcloud.scenario.parameters import ParameterSet

__all__ = [
    "CORRELATIONS",
    "TornadoBar",
    "correlated_draws",
    "correlation_blocks",
    "tornado",
    "tornado_of",
    "uncertainty_band",
]

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


# --- correlated draws (the roadmap's Monte Carlo) ---------------------------------------------

#: Correlation structure of the roadmap's Monte Carlo: (regular expression, correlation, why).
#: Parameters whose names match one expression and share its first group (the launcher, the
#: country) form one block with that pairwise correlation of their normal scores (a Gaussian
#: copula with triangular margins; e.g. Vose, *Risk Analysis*, 3rd ed., §13.3); parameters in
#: no block are independent. The correlations are ASSUMPTIONS (no source estimates them); the
#: blocks are equicorrelated with rho >= 0, so the matrix is positive definite.
CORRELATIONS: tuple[tuple[str, float, str], ...] = (
    (r"^launch\.(\w+)\.(?:ef_|price_)", 0.5,
     "a launcher's emission factors and price per kg: both fall with fuller payloads and more "
     "reuse"),
    (r"^grid\.(\w+)\.\d{4}\.", 0.8,
     "a country's grid intensity in successive years: a slow (or fast) decarbonisation is "
     "slow (or fast) in every year"),
    (r"^roadmap\.launch_()(?:ef|price)_decline_per_yr$", 0.5,
     "the learning rates of launch emissions and launch price: cadence and reuse drive both"),
    (r"^revenue\.()", 0.5,
     "compute and storage prices: one cloud market"),
)  # fmt: skip


def correlation_blocks(names: list[str]) -> list[tuple[list[int], float]]:
    """(indices into ``names``, correlation) of each correlated block (:data:`CORRELATIONS`;
    the first matching expression with a positive correlation decides a name's block)."""
    blocks: dict[tuple[int, str], list[int]] = {}
    for i, name in enumerate(names):
        for k, (pattern, rho, _) in enumerate(CORRELATIONS):
            mt = re.match(pattern, name)
            if mt and rho > 0:
                blocks.setdefault((k, mt.group(1)), []).append(i)
                break
    return [(idx, CORRELATIONS[k][1]) for (k, _), idx in blocks.items() if len(idx) > 1]


def _triangular_ppf(u: F64, a: float, c: float, b: float) -> F64:
    """Inverse CDF of the triangular distribution (low ``a``, mode ``c``, high ``b``)."""
    fc = (c - a) / (b - a)
    left = a + np.sqrt(u * (b - a) * (c - a))
    right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
    return np.where(u < fc, left, right)


def correlated_draws(params: ParameterSet, trials: int, seed: int) -> dict[str, F64]:
    """Every parameter as float64[trials]: uncertain ones drawn from triangular(low, value,
    high) through a Gaussian copula with the :data:`CORRELATIONS` blocks, the others at their
    value; seeded."""
    from scipy.special import ndtr

    rng = np.random.default_rng(seed)
    values = _central(params, trials)
    names = [k for k, p in params.items() if p.uncertain]
    if not names:
        return values
    corr = np.eye(len(names))
    for idx, rho in correlation_blocks(names):
        for i in idx:
            for j in idx:
                if i != j:
                    corr[i, j] = rho
    z = rng.standard_normal((trials, len(names))) @ np.linalg.cholesky(corr).T
    u = ndtr(z)
    for k, name in enumerate(names):
        p = params[name]
        values[name] = _triangular_ppf(u[:, k], p.low, p.value, p.high)
    return values


def tornado_of(
    fn: Callable[[dict[str, F64]], F64],
    params: ParameterSet,
    metric: str,
    rel_tol: float = 1e-12,
) -> list[TornadoBar]:
    """Tornado bars of any vectorised ``fn(values) -> float64[n]`` (as :func:`tornado`; the
    last column is the all-central run), largest finite swing first; parameters that do not
    move it are left out."""
    names = [k for k, p in params.items() if p.uncertain]
    if not names:
        return []
    values = _central(params, 2 * len(names) + 1)
    for i, name in enumerate(names):
        values[name][2 * i] = params[name].low
        values[name][2 * i + 1] = params[name].high
    y = fn(values)
    centre = float(y[-1])
    bars = []
    for i, name in enumerate(names):
        lo, hi = float(y[2 * i]), float(y[2 * i + 1])
        if lo == centre and hi == centre:
            continue
        tol = rel_tol * abs(centre)
        if np.isfinite(centre) and abs(hi - centre) <= tol and abs(lo - centre) <= tol:
            continue
        p = params[name]
        bars.append(TornadoBar(name, p.unit, p.low, p.high, metric, lo, hi))
    # bars with an infinite end (no launcher suffices there) go last
    return sorted(bars, key=lambda b: (not np.isfinite(b.swing), -b.swing))
