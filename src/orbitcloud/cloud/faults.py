"""Faults shared by the compute and storage services, in one place.

- **Single-event upsets** (radiation): each device suffers upsets as a Poisson process of
  rate ``λ = seu_per_bit_day × sensitive_bits / 86,400`` [1/s] (bits whose upset corrupts the
  work in progress: unprotected SRAM, registers; ECC-corrected memory does not count). A job
  running ``d`` seconds survives with probability ``exp(-λ d)`` (Poisson, no upset) and is
  otherwise retried from the start, so the number of attempts is geometric.
- **Device failures** (whole SSDs, boards): exponential lifetimes of rate
  ``failure_per_year``, i.e. a constant hazard (the flat part of the bathtub curve).

Every draw takes a ``numpy.random.Generator`` the caller seeds from the scenario, so runs
repeat exactly. Rates: ``compute.seu_rate.*`` and ``compute.cots_ssd_failure_iss`` in
shared/reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["FaultModel"]

F64 = NDArray[np.float64]
DAY_S = 86_400.0
YEAR_S = 365.25 * DAY_S


@dataclass(frozen=True)
class FaultModel:
    """Fault rates of one kind of device.

    Attributes:
        seu_per_bit_day: upsets per bit per day in this orbit (e.g. 4.04e-7 for COTS memory
            in a 686 km SSO, Alsat-1, compute.seu_rate.cots_memory_leo_alsat1).
        sensitive_bits: bits whose upset makes the work in progress fail.
        failure_per_year: whole-device failure rate [1/yr].
    """

    seu_per_bit_day: float = 0.0
    sensitive_bits: float = 0.0
    failure_per_year: float = 0.0

    def __post_init__(self) -> None:
        for name in ("seu_per_bit_day", "sensitive_bits", "failure_per_year"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"FaultModel.{name} must be a finite number >= 0, got {v!r}")

    @property
    def seu_rate_per_s(self) -> float:
        """Upsets per second that hit the sensitive bits of one device."""
        return self.seu_per_bit_day * self.sensitive_bits / DAY_S

    def job_failure_probability(self, duration_s: F64 | float) -> F64:
        """Probability that a run of ``duration_s`` sees at least one upset: ``1 - e^{-λd}``."""
        return -np.expm1(-self.seu_rate_per_s * np.asarray(duration_s, dtype=np.float64))

    def draw_attempts(
        self, rng: np.random.Generator, duration_s: F64 | float, max_attempts: int = 10
    ) -> NDArray[np.int64]:
        """Attempts each job needs until one runs without an upset (geometric with success
        probability ``e^{-λd}``), capped at ``max_attempts``; a value above ``max_attempts``
        (``max_attempts + 1``) means the job gave up. Shape of ``duration_s``."""
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
        p_ok = np.exp(-self.seu_rate_per_s * np.asarray(duration_s, dtype=np.float64))
        n = rng.geometric(np.clip(p_ok, 1e-300, 1.0))
        return np.minimum(n, max_attempts + 1).astype(np.int64)

    def draw_failure_times_s(
        self, rng: np.random.Generator, n_devices: int, horizon_s: float
    ) -> F64:
        """Failure time of each of ``n_devices`` devices [s from now], float64[n_devices];
        ``inf`` for devices that survive the horizon (exponential lifetimes)."""
        if self.failure_per_year == 0.0:
            return np.full(n_devices, np.inf)
        t = rng.exponential(YEAR_S / self.failure_per_year, size=n_devices)
        return np.where(t <= horizon_s, t, np.inf)
