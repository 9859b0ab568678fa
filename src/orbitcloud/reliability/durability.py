"""Durability and availability of stored objects over a mission: vectorised Monte Carlo.

No bytes move here: each trial follows *one object* whose ``n`` shards sit on ``n`` distinct
satellites of a fleet, through a mission of ``mission_s``, and records when (if ever) fewer
than ``k`` shards remain. Trials are rows of numpy arrays ``[n_trials, n_sat]``; the only
Python loop runs over *events* (a shard lost, a repair done), each step vectorised over every
trial still running, so its length is the largest number of events in one trial (a handful).

Model (stated):

- **Fleet**: ``n_satellites`` in ``n_planes`` planes (satellite ``i`` in plane
  ``i · n_planes // n_satellites``), all launched at ``t = 0``. Each satellite dies at the
  first of its own Weibull lifetime (:class:`~orbitcloud.faults.schedule.Lifetimes`, exponential
  for shape 1) and the first storm that removes it (Poisson storms removing one plane, or
  each satellite with a probability; :func:`~orbitcloud.faults.schedule.storm_kill_times_s`).
- **Placement** (:class:`Policy`): ``n`` shards, any ``k`` of which rebuild the object
  (replication: ``k = 1``; erasure coding ``k + m``: ``n = k + m``), on distinct satellites
  chosen uniformly, or with ``spread="plane"`` on distinct planes (one satellite per plane).
- **Repair** (when on): a lost shard is noticed at the next scrub (scrubs at multiples of
  ``scrub_interval_s`` from ``t = 0``) and re-created after ``k · shard_bytes · 8 /
  repair_bandwidth_bps`` (the new holder receives ``k`` shards over its ISL; a replica copy
  is ``k = 1``). It lands on a uniformly chosen live satellite that holds no other shard of the
  object (and, under ``spread="plane"``, in a plane holding none), provided the object was
  not lost in between. ``repair_time="exponential"`` draws the repair delay from an
  exponential of the same mean (``scrub_interval_s / 2 +`` transfer), the Markov-chain case.
- **Spare capacity**: any live satellite has room for one more shard of the object (capacity
  is not tracked per byte); when no eligible satellite is left the shard stays missing and a
  *spare shortfall* is counted.
- **Loss**: the first time fewer than ``k`` shards are live; it is permanent.

Outputs per policy (:func:`monte_carlo`, a ``pyarrow.Table``): the probability of loss over
the mission with a 95 % Wilson interval (Wilson 1927, JASA 22:209), the mean time to loss
among trials that lost the object, and availability:

- ``availability``: mean fraction of the mission during which the object has ≥ ``k`` live
  shards (readable somewhere in orbit);
- ``full_redundancy_fraction``: mean fraction of the mission with all ``n`` shards live;
- ``availability_ground``: ``availability × (1 - Π_i (1 - a_i))`` for ground-station
  availabilities ``a_i`` (independent weather; assumes the ISL mesh reaches every shard from
  any satellite in view, and some satellite is in view of each station): NaN without stations.

Results do not depend on how trials are cut into tasks: trials come in fixed blocks of
``BLOCK_TRIALS``, each with its own stream ``SeedSequence(seed, spawn_key=(block,))``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Literal

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from orbitcloud.executor import Executor, SerialExecutor
from orbitcloud.faults.schedule import YEAR_S, FaultRates, Lifetimes, storm_kill_times_s

__all__ = [
    "BLOCK_TRIALS",
    "STATS",
    "BlockTask",
    "DurabilityDesign",
    "Policy",
    "TrialOutcome",
    "block_stats",
    "blocks_of",
    "draw_fleet_deaths_s",
    "monte_carlo",
    "run_block_task",
    "simulate",
    "summarise_stats",
    "wilson_interval",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
#: Trials per random stream; part of the seeding, so changing it changes the draws.
BLOCK_TRIALS = 500
#: Columns of the per-block sufficient statistics (``block_stats``), in order.
STATS = (
    "trials",
    "lost",
    "loss_s_sum",
    "up_s_sum",
    "full_s_sum",
    "repairs",
    "spare_shortfalls",
)


@dataclass(frozen=True)
class Policy:
    """A placement: ``n`` shards on distinct failure domains, any ``k`` rebuild the object.

    Attributes:
        name: label in the results.
        k: shards needed to read (1 for replication).
        n: shards stored (copies, or ``k + m``).
        spread: ``"satellite"`` (distinct satellites) or ``"plane"`` (distinct planes).
    """

    name: str
    k: int
    n: int
    spread: Literal["satellite", "plane"] = "plane"

    def __post_init__(self) -> None:
        if not (1 <= self.k <= self.n):
            raise ValueError(
                f"policy {self.name!r}: need 1 <= k <= n shards, got k={self.k}, n={self.n}"
            )
        if self.spread not in ("satellite", "plane"):
            raise ValueError(
                f"policy {self.name!r}: spread must be 'satellite' or 'plane', got {self.spread!r}"
            )

    @classmethod
    def replication(
        cls, copies: int, spread: Literal["satellite", "plane"] = "plane", name: str = ""
    ) -> Policy:
        return cls(name or f"rep{copies}", 1, copies, spread)

    @classmethod
    def erasure(
        cls, k: int, m: int, spread: Literal["satellite", "plane"] = "plane", name: str = ""
    ) -> Policy:
        return cls(name or f"ec{k}+{m}", k, k + m, spread)


@dataclass(frozen=True)
class DurabilityDesign:
    """The fleet, its faults and the repair process (see the module docstring).

    Attributes:
        n_satellites, n_planes: fleet size and planes (satellites spread evenly).
        lifetimes: satellite lifetimes (default: 2 % per year, exponential).
        storms_per_year, storm_scope, storm_fraction: correlated loss (see ``FaultRates``).
        mission_s: mission length [s].
        shard_bytes: size of one shard [bytes].
        repair_bandwidth_bps: rate at which a new shard holder receives data [bit/s].
        scrub_interval_s: time between scrubs [s] (0: losses noticed at once).
        repair: re-create lost shards.
        repair_time: ``"deterministic"`` (next scrub + transfer) or ``"exponential"``.
        station_availability: availability of each ground station, for
            ``availability_ground`` (empty: not computed).
    """

    n_satellites: int = 100
    n_planes: int = 10
    lifetimes: Lifetimes = field(
        default_factory=lambda: Lifetimes.from_annual_failure_probability(0.02)
    )
    storms_per_year: float = 0.0
    storm_scope: Literal["plane", "fraction"] = "plane"
    storm_fraction: float = 0.1
    mission_s: float = 5 * YEAR_S
    shard_bytes: float = 1e9
    repair_bandwidth_bps: float = 1e9
    scrub_interval_s: float = 86_400.0
    repair: bool = True
    repair_time: Literal["deterministic", "exponential"] = "deterministic"
    station_availability: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.n_satellites < 1 or not (1 <= self.n_planes <= self.n_satellites):
            raise ValueError(
                f"need n_satellites >= 1 and 1 <= n_planes <= n_satellites, got "
                f"{self.n_satellites} satellites in {self.n_planes} planes"
            )
        for name in ("mission_s", "shard_bytes", "repair_bandwidth_bps"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"DurabilityDesign.{name} must be a finite number > 0, got {v!r}")
        if not (np.isfinite(self.scrub_interval_s) and self.scrub_interval_s >= 0):
            raise ValueError(
                f"DurabilityDesign.scrub_interval_s must be a finite number >= 0, "
                f"got {self.scrub_interval_s!r}"
            )
        if self.repair_time not in ("deterministic", "exponential"):
            raise ValueError(
                f"DurabilityDesign.repair_time must be 'deterministic' or 'exponential', "
                f"got {self.repair_time!r}"
            )
        if any(not (0.0 <= a <= 1.0) for a in self.station_availability):
            raise ValueError(
                f"station_availability values must be in [0, 1], got {self.station_availability}"
            )
        self.fault_rates()  # validates the storm settings

    def fault_rates(self) -> FaultRates:
        return FaultRates(
            lifetimes=self.lifetimes,
            storms_per_year=self.storms_per_year,
            storm_scope=self.storm_scope,
            storm_fraction=self.storm_fraction,
        )

    @property
    def plane_of(self) -> NDArray[np.intp]:
        """Plane of each satellite, int[n_satellites]."""
        return np.arange(self.n_satellites, dtype=np.intp) * self.n_planes // self.n_satellites

    def transfer_s(self, k: int) -> float:
        """Time to send ``k`` shards to a new holder [s]."""
        return k * self.shard_bytes * 8.0 / self.repair_bandwidth_bps

    def mean_repair_s(self, k: int) -> float:
        """Mean delay from a loss to its repair: half a scrub interval plus the transfer."""
        return self.scrub_interval_s / 2.0 + self.transfer_s(k)

    def check(self, policy: Policy) -> None:
        """Raise a clear error if ``policy`` cannot be placed on this fleet."""
        domains = self.n_planes if policy.spread == "plane" else self.n_satellites
        if policy.n > domains:
            raise ValueError(
                f"policy {policy.name!r} needs {policy.n} distinct {policy.spread}s but the "
                f"design has {domains}"
            )


@dataclass(frozen=True)
class TrialOutcome:
    """One policy's trials, arrays [n_trials].

    Attributes:
        loss_s: time of loss [s] (``inf``: survived the mission).
        full_s: time with all ``n`` shards live before any loss [s].
        repairs: shards re-created.
        spare_shortfalls: repairs that found no eligible satellite.
    """

    loss_s: F64
    full_s: F64
    repairs: I64
    spare_shortfalls: I64


def wilson_interval(
    successes: int | float, n: int | float, confidence: float = 0.95
) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927, JASA 22:209-212)."""
    if n <= 0:
        return (math.nan, math.nan)
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    p = successes / n
    den = 1.0 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, mid - half), min(1.0, mid + half))


def draw_fleet_deaths_s(design: DurabilityDesign, rng: np.random.Generator, n_trials: int) -> F64:
    """When each satellite dies in each trial, float64[n_trials, n_satellites] (may exceed
    the mission): the first of its own lifetime and the first storm that removes it."""
    kill, _, _ = storm_kill_times_s(
        design.fault_rates(), rng, design.plane_of, design.n_planes, design.mission_s, n_trials
    )
    return np.minimum(design.lifetimes.draw_s(rng, (n_trials, design.n_satellites)), kill)


def _place(
    design: DurabilityDesign, policy: Policy, rng: np.random.Generator, n_trials: int
) -> NDArray[np.intp]:
    """Initial shard holders, int[n_trials, n] (distinct satellites or planes)."""
    if policy.spread == "satellite":
        return np.argsort(rng.random((n_trials, design.n_satellites)), axis=1)[:, : policy.n]
    plane_of = design.plane_of
    first = np.searchsorted(plane_of, np.arange(design.n_planes))
    size = np.bincount(plane_of, minlength=design.n_planes)
    planes = np.argsort(rng.random((n_trials, design.n_planes)), axis=1)[:, : policy.n]
    offset = (rng.random((n_trials, policy.n)) * size[planes]).astype(np.intp)
    return first[planes] + offset


def _simulate_policy(
    design: DurabilityDesign, policy: Policy, death_s: F64, rng: np.random.Generator
) -> TrialOutcome:
    """Follow one object per trial through the mission (event steps vectorised over trials)."""
    design.check(policy)
    n_trials, n_sat = death_s.shape
    n, k, T = policy.n, policy.k, design.mission_s
    plane_of = design.plane_of
    host = _place(design, policy, rng, n_trials)
    slot_t = np.take_along_axis(death_s, host, axis=1)  # next event of each shard slot
    alive = np.ones((n_trials, n), dtype=bool)
    live = np.full(n_trials, n, dtype=np.int64)
    loss = np.full(n_trials, np.inf)
    degraded = np.zeros(n_trials)
    t_prev = np.zeros(n_trials)
    repairs = np.zeros(n_trials, dtype=np.int64)
    short = np.zeros(n_trials, dtype=np.int64)
    transfer_s = design.transfer_s(k)
    scrub = design.scrub_interval_s
    act = np.arange(n_trials)
    while act.size:
        st = slot_t[act]
        j = np.argmin(st, axis=1)
        t = st[np.arange(act.size), j]
        over = t > T
        if over.any():
            e = act[over]
            degraded[e] += (T - t_prev[e]) * (live[e] < n)
            act, j, t = act[~over], j[~over], t[~over]
            if not act.size:
                break
        degraded[act] += (t - t_prev[act]) * (live[act] < n)
        t_prev[act] = t
        dying = alive[act, j]

        # a shard's holder dies
        d, jd, td = act[dying], j[dying], t[dying]
        alive[d, jd] = False
        live[d] -= 1
        gone = live[d] < k
        loss[d[gone]] = td[gone]
        d, jd, td = d[~gone], jd[~gone], td[~gone]
        if not design.repair:
            slot_t[d, jd] = np.inf
        elif design.repair_time == "exponential":
            slot_t[d, jd] = td + rng.exponential(design.mean_repair_s(k), td.size)
        else:
            noticed = np.ceil(td / scrub) * scrub if scrub > 0 else td
            slot_t[d, jd] = noticed + transfer_s

        # a repair completes: a new holder among live satellites outside the object's domains
        r, jr, tr = act[~dying], j[~dying], t[~dying]
        if r.size:
            m = r.size
            eligible = death_s[r] > tr[:, None]  # [m, n_sat]
            rows, cols = np.nonzero(alive[r])
            holders = host[r][rows, cols]
            eligible[rows, holders] = False
            if policy.spread == "plane":
                used = np.zeros((m, design.n_planes), dtype=bool)
                used[rows, plane_of[holders]] = True
                eligible &= ~used[:, plane_of]
            score = np.where(eligible, rng.random((m, n_sat)), -1.0)
            c = np.argmax(score, axis=1)
            ok = score[np.arange(m), c] >= 0.0
            ro, jo, co = r[ok], jr[ok], c[ok]
            host[ro, jo] = co
            alive[ro, jo] = True
            live[ro] += 1
            slot_t[ro, jo] = death_s[ro, co]
            repairs[ro] += 1
            slot_t[r[~ok], jr[~ok]] = np.inf
            short[r[~ok]] += 1
        act = act[np.isinf(loss[act])]
    full = np.minimum(loss, T) - degraded
    return TrialOutcome(loss, full, repairs, short)


def simulate(
    design: DurabilityDesign,
    policies: Sequence[Policy],
    rng: np.random.Generator,
    n_trials: int,
) -> list[TrialOutcome]:
    """Trials of every policy on the same fleet draws (common random numbers), one
    :class:`TrialOutcome` per policy."""
    for p in policies:
        design.check(p)
    death_s = draw_fleet_deaths_s(design, rng, n_trials)
    children = rng.spawn(len(policies))
    return [
        _simulate_policy(design, p, death_s, g) for p, g in zip(policies, children, strict=True)
    ]


def block_stats(
    design: DurabilityDesign,
    policies: Sequence[Policy],
    seed: int,
    block: int,
    n_trials: int,
) -> F64:
    """Sufficient statistics of one block of trials, float64[n_policy, len(STATS)], from
    its own stream ``SeedSequence(seed, spawn_key=(block,))``."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    out = np.zeros((len(policies), len(STATS)))
    for i, o in enumerate(simulate(design, policies, rng, n_trials)):
        lost = np.isfinite(o.loss_s)
        out[i] = (
            n_trials,
            lost.sum(),
            o.loss_s[lost].sum(),
            np.minimum(o.loss_s, design.mission_s).sum(),
            o.full_s.sum(),
            o.repairs.sum(),
            o.spare_shortfalls.sum(),
        )
    return out


def summarise_stats(
    design: DurabilityDesign, policies: Sequence[Policy], stats: F64
) -> dict[str, list[object]]:
    """Columns of the results table from summed statistics float64[n_policy, len(STATS)]."""
    T = design.mission_s
    access = 1.0 - float(np.prod([1.0 - a for a in design.station_availability]))
    cols: dict[str, list[object]] = {
        k: []
        for k in (
            "policy", "k", "n", "spread", "trials", "lost", "p_loss", "p_loss_low",
            "p_loss_high", "mean_time_to_loss_years", "availability", "availability_ground",
            "full_redundancy_fraction", "repairs_per_object", "repair_bytes_per_object",
            "spare_shortfalls",
        )
    }  # fmt: skip
    for p, s in zip(policies, stats, strict=True):
        trials, lost, loss_sum, up_sum, full_sum, rep, short = (float(x) for x in s)
        lo, hi = wilson_interval(lost, trials)
        avail = up_sum / (trials * T)
        row: dict[str, object] = {
            "policy": p.name,
            "k": p.k,
            "n": p.n,
            "spread": p.spread,
            "trials": int(trials),
            "lost": int(lost),
            "p_loss": lost / trials,
            "p_loss_low": lo,
            "p_loss_high": hi,
            "mean_time_to_loss_years": loss_sum / lost / YEAR_S if lost else math.nan,
            "availability": avail,
            "availability_ground": avail * access if design.station_availability else math.nan,
            "full_redundancy_fraction": full_sum / (trials * T),
            "repairs_per_object": rep / trials,
            "repair_bytes_per_object": rep / trials * p.k * design.shard_bytes,
            "spare_shortfalls": int(short),
        }
        for key, v in row.items():
            cols[key].append(v)
    return cols


def blocks_of(n_trials: int, block_trials: int = BLOCK_TRIALS) -> list[tuple[int, int]]:
    """``(block index, trials in it)`` covering ``n_trials`` (the last block may be short)."""
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    return [
        (b, min(block_trials, n_trials - b * block_trials))
        for b in range(-(-n_trials // block_trials))
    ]


@dataclass(frozen=True)
class BlockTask:
    """Blocks ``(index, trials)`` of one design, run in one task (picklable for process
    pools and Dask)."""

    design: DurabilityDesign
    policies: tuple[Policy, ...]
    seed: int
    blocks: tuple[tuple[int, int], ...]


def run_block_task(task: BlockTask) -> F64:
    """Statistics of each block of the task, float64[n_block, n_policy, len(STATS)]."""
    return np.stack(
        [block_stats(task.design, task.policies, task.seed, b, n) for b, n in task.blocks]
    )


def monte_carlo(
    design: DurabilityDesign,
    policies: Sequence[Policy],
    n_trials: int,
    seed: int,
    executor: Executor | None = None,
    blocks_per_task: int = 2,
) -> pa.Table:
    """Durability of each policy over ``n_trials`` missions: one row per policy (columns in
    :func:`summarise_stats`). The same ``seed`` gives the same table on any executor and
    with any ``blocks_per_task``."""
    if not policies:
        raise ValueError("give at least one placement policy")
    for p in policies:
        design.check(p)
    blocks = blocks_of(n_trials)
    tasks = [
        BlockTask(design, tuple(policies), seed, tuple(blocks[i : i + blocks_per_task]))
        for i in range(0, len(blocks), blocks_per_task)
    ]
    ex = executor or SerialExecutor()
    per_block = np.concatenate(ex.map(run_block_task, tasks))
    return pa.table(summarise_stats(design, policies, per_block.sum(axis=0)))
