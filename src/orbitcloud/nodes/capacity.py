"""Compute capacity of each satellite over time, from its power and thermal envelope.

The node physics (:func:`orbitcloud.nodes.power.node_power`, compute asked at full load) gives
``compute_w[sat, k]``, the compute power satellite ``sat`` can draw on step ``[t_k, t_k+1)``
without breaking its battery reserve or its temperature limit. Accelerators are modelled as
throughput proportional to power (clock/power throttling, the linear DVFS regime), so the
achievable rate is::

    rate_flops[sat, k] = peak_flops × efficiency × compute_w[sat, k] / compute_power_w

and the energy per FLOP is constant, ``compute_power_w / (peak_flops × efficiency)`` [J/FLOP].
The cumulative capacity ``C(t) = ∫ rate dt`` is piecewise linear, so the time to finish
``f`` FLOPs started at ``t0`` is exactly ``C⁻¹(C(t0) + f)`` (one ``searchsorted`` per query,
vectorised over queries). Work that does not fit before the last grid time finishes at +inf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["ComputeCapacity"]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]


@dataclass(frozen=True)
class ComputeCapacity:
    """Achievable compute of each satellite, piecewise constant per grid step.

    Attributes:
        t_s: float64[n_time], grid times [s].
        rate_flops: float64[n_sat, n_time - 1], achievable FLOP/s on each step.
        j_per_flop: float64[n_sat], energy per FLOP [J] (inf where a satellite has no compute).
        cum_flops: float64[n_sat, n_time], ``C(t_k)`` from ``t_0``.
    """

    t_s: F64
    rate_flops: F64
    j_per_flop: F64
    cum_flops: F64

    @classmethod
    def from_power(
        cls,
        t_s: F64,
        compute_w: F64,
        compute_power_w: F64,
        peak_tflops: F64,
        efficiency: float,
    ) -> ComputeCapacity:
        """Args: grid ``t_s`` [n_time]; ``compute_w`` [n_sat, n_time-1] sustainable compute
        power; per satellite ``compute_power_w`` (rated) and ``peak_tflops`` [n_sat];
        ``efficiency``: achieved fraction of peak."""
        peak = np.asarray(peak_tflops, dtype=np.float64) * 1e12 * efficiency
        rated = np.asarray(compute_power_w, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_w = np.where(rated > 0, peak / rated, 0.0)
            j_per_flop = np.where(peak > 0, rated / peak, np.inf)
        rate = np.nan_to_num(compute_w) * per_w[:, None]
        dt = np.diff(t_s)
        cum = np.concatenate([np.zeros((rate.shape[0], 1)), np.cumsum(rate * dt, axis=1)], axis=1)
        return cls(np.asarray(t_s, dtype=np.float64), rate, j_per_flop, cum)

    @property
    def n_sat(self) -> int:
        return int(self.rate_flops.shape[0])

    def step_of(self, t_s: F64) -> IDX:
        """Index ``k`` of the grid step ``[t_k, t_k+1)`` holding each time (clamped to the
        steps), intp[...] like ``t_s``."""
        k = np.searchsorted(self.t_s, np.asarray(t_s, dtype=np.float64), side="right") - 1
        return np.clip(k, 0, self.t_s.size - 2)

    def done_by(self, sat: IDX, t_s: F64) -> F64:
        """``C(t)`` of satellite ``sat[i]`` at ``t_s[i]`` [FLOP] (clamped to the grid)."""
        t = np.clip(np.asarray(t_s, dtype=np.float64), self.t_s[0], self.t_s[-1])
        k = self.step_of(t)
        return self.cum_flops[sat, k] + self.rate_flops[sat, k] * (t - self.t_s[k])

    def finish_s(self, sat: IDX, start_s: F64, flops: F64) -> F64:
        """When ``flops[i]`` started at ``start_s[i]`` on satellite ``sat[i]`` are done [s];
        +inf if not before the last grid time. Vectorised over queries."""
        sat = np.asarray(sat, dtype=np.intp)
        target = self.done_by(sat, start_s) + np.asarray(flops, dtype=np.float64)
        out = np.full(target.shape, np.inf)
        cum = self.cum_flops[sat]  # [q, n_time]
        # first grid index whose cumulative capacity reaches the target
        k = (cum < target[:, None] - 1e-9 * np.maximum(target[:, None], 1.0)).sum(axis=1)
        ok = k < self.t_s.size
        k0 = np.clip(k - 1, 0, self.t_s.size - 2)
        rate = self.rate_flops[sat, k0]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = self.t_s[k0] + (target - cum[np.arange(sat.size), k0]) / rate
        t = np.where(rate > 0, t, self.t_s[np.minimum(k, self.t_s.size - 1)])
        out[ok] = np.maximum(t[ok], np.asarray(start_s, dtype=np.float64)[ok])
        return out
