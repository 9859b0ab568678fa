"""Faults shared by the compute and storage services, in one place.

- **Single-event upsets** (radiation): each device suffers upsets as a Poisson process of
  rate ``λ = seu_per_bit_day × sensitive_bits / 86,400`` [1/s] (bits whose upset corrupts the
  work in progress: unprotected SRAM, registers; ECC-corrected memory does not count). The
  time to the next upset is exponential (:meth:`FaultModel.time_to_upset_s`), so a job
  running ``d`` seconds survives with probability ``exp(-λ d)`` and, retried from the start
  after each upset, needs a geometric number of attempts.
- **Satellite and device lifetimes**: Weibull of shape ``β`` and scale ``η``,
  ``F(t) = 1 - exp(-(t/η)^β)`` (Castet & Saleh 2009 fit spacecraft reliability with
  ``β < 1``, infant mortality); ``β = 1`` is the exponential. From an annual failure
  probability ``p``: ``η = 1 yr / (-ln(1-p))^(1/β)``, so ``F(1 yr) = p`` whatever the shape
  (``reliability.leo_annual_failure_probability``: 0.02 per satellite-year, 0.005-0.03).
- **ISL terminal failures**: exponential, permanent (the link served by the terminal is down
  for the rest of the run); or per satellite (``isl_terminals``: all of a satellite's lasers),
  an alternating renewal process of exponential up periods and a fixed repair time.
- **Ground-station outages**: an alternating renewal process per station, exponential up and
  down periods; the long-run fraction up equals the station's availability. Optical stations:
  weather, availability ``links.ogl.single_site_availability`` (0.69, 0.30-0.80), outages of
  hours; RF stations: rare outages (maintenance, rain fade at Ka), availability ~0.999.
- **Bit flips in stored data**: a Poisson process per satellite of rate
  ``seu_per_bit_day × stored_bits / 86,400`` (:func:`upset_rate_per_s`, as for the SEUs).
- **Storms** (correlated loss, e.g. a solar storm): a Poisson process of ``storms_per_year``;
  each removes one whole orbital plane (uniformly chosen) or, with ``storm_scope="fraction"``,
  each satellite independently with probability ``storm_fraction``.

:class:`FaultSchedule` draws all of these at once (vectorised, seeded) into one time-sorted
table of :class:`Draw` rows; :meth:`FaultSchedule.to_events` gives
its rows as the project's one fault-event type (:class:`orbitcloud.faults.FaultEvent`; one CSV
format too: :meth:`FaultSchedule.to_csv` writes it), so a
drawn schedule feeds the run's :class:`~orbitcloud.faults.EventTimeline`.

Every draw takes a ``numpy.random.Generator`` the caller seeds from the scenario, so runs
repeat exactly. Rates: ``compute.seu_rate.*`` and ``compute.cots_ssd_failure_iss`` in
shared/reference.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Self

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from orbitcloud.faults import events as timeline_events
from orbitcloud.tables import ArrowTable

__all__ = [
    "DRAW_KINDS",
    "Draw",
    "FaultModel",
    "FaultRates",
    "FaultSchedule",
    "Lifetimes",
    "StationOutages",
    "storm_kill_times_s",
    "upset_rate_per_s",
]

F64 = NDArray[np.float64]
DAY_S = 86_400.0
YEAR_S = 365.25 * DAY_S


def upset_rate_per_s(seu_per_bit_day: float, bits: F64 | float) -> F64:
    """Upsets per second among ``bits`` bits: ``seu_per_bit_day × bits / 86,400``."""
    return np.asarray(seu_per_bit_day * np.asarray(bits, dtype=np.float64) / DAY_S)


@dataclass(frozen=True)
class FaultModel:
    """Single-event upsets of one computing device.

    Attributes:
        seu_per_bit_day: upsets per bit per day in this orbit (e.g. 4.04e-7 for COTS memory
            in a 686 km SSO, Alsat-1, compute.seu_rate.cots_memory_leo_alsat1).
        sensitive_bits: bits whose upset makes the work in progress fail.
    """

    seu_per_bit_day: float = 0.0
    sensitive_bits: float = 0.0

    def __post_init__(self) -> None:
        for name in ("seu_per_bit_day", "sensitive_bits"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"FaultModel.{name} must be a finite number >= 0, got {v!r}")

    @property
    def seu_rate_per_s(self) -> float:
        """Upsets per second that hit the sensitive bits of one device."""
        return float(upset_rate_per_s(self.seu_per_bit_day, self.sensitive_bits))

    def time_to_upset_s(self, rng: np.random.Generator) -> float:
        """Seconds until the next upset of the device (exponential; ``inf`` at rate 0)."""
        rate = self.seu_rate_per_s
        return float(rng.exponential(1.0 / rate)) if rate > 0 else math.inf


# --- satellite lifetimes ----------------------------------------------------------------------


@dataclass(frozen=True)
class Lifetimes:
    """Weibull lifetimes of shape ``shape`` (β) and scale ``scale_s`` (η), in s from launch.

    ``F(t) = 1 - exp(-(t/η)^β)``; ``β = 1`` is the exponential of rate ``1/η``, ``β < 1``
    infant mortality (Castet & Saleh 2009, "Satellite and satellite subsystems reliability:
    statistical data analysis and modeling", Reliab. Eng. Syst. Saf. 94). ``scale_s = inf``:
    nothing fails.
    """

    shape: float = 1.0
    scale_s: float = math.inf

    def __post_init__(self) -> None:
        if not (np.isfinite(self.shape) and self.shape > 0):
            raise ValueError(f"Lifetimes.shape must be a finite number > 0, got {self.shape!r}")
        if not (self.scale_s > 0):
            raise ValueError(f"Lifetimes.scale_s must be > 0 (inf: never), got {self.scale_s!r}")

    @classmethod
    def from_annual_failure_probability(cls, p: float, shape: float = 1.0) -> Lifetimes:
        """Lifetimes with ``F(1 yr) = p``: ``η = 1 yr / (-ln(1-p))^(1/β)``."""
        if not (0.0 <= p < 1.0):
            raise ValueError(
                f"annual failure probability must be in [0, 1), got {p!r} "
                "(e.g. 0.02 per satellite-year, reliability.leo_annual_failure_probability)"
            )
        if p == 0.0:
            return cls(shape, math.inf)
        return cls(shape, YEAR_S / (-math.log1p(-p)) ** (1.0 / shape))

    @property
    def annual_failure_probability(self) -> float:
        """``F(1 yr)``."""
        return float(-np.expm1(-((YEAR_S / self.scale_s) ** self.shape)))

    def cdf(self, t_s: F64 | float) -> F64:
        """``F(t)``: probability of having failed by ``t_s`` (any shape)."""
        t = np.maximum(np.asarray(t_s, dtype=np.float64), 0.0)
        return -np.expm1(-((t / self.scale_s) ** self.shape))

    def draw_s(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> F64:
        """Lifetimes [s], float64 of ``size``; ``inf`` when nothing fails."""
        if math.isinf(self.scale_s):
            return np.full(size, np.inf)
        if self.shape == 1.0:
            return rng.exponential(self.scale_s, size)
        return self.scale_s * rng.weibull(self.shape, size)


# --- ground-station outages -------------------------------------------------------------------


@dataclass(frozen=True)
class StationOutages:
    """Outages of one ground station: alternating exponential up and down periods.

    The mean up period is ``mean_outage_s · A / (1 - A)``, so the long-run fraction of time
    up is the availability ``A`` (renewal-reward theorem). Optical stations: ``A`` is the
    cloud-free fraction (``links.ogl.single_site_availability`` 0.69, 0.30-0.80) and outages
    last hours (weather systems); RF stations: ``A ≈ 0.999`` (maintenance, heavy rain).
    """

    availability: float = 1.0
    mean_outage_s: float = 6 * 3600.0

    def __post_init__(self) -> None:
        if not (0.0 < self.availability <= 1.0):
            raise ValueError(
                f"StationOutages.availability must be in (0, 1], got {self.availability!r}"
            )
        if not (np.isfinite(self.mean_outage_s) and self.mean_outage_s > 0):
            raise ValueError(
                f"StationOutages.mean_outage_s must be a finite number > 0, "
                f"got {self.mean_outage_s!r}"
            )

    @classmethod
    def optical(cls, availability: float = 0.69, mean_outage_s: float = 6 * 3600.0) -> Self:
        """An optical ground station: weather-limited (cloud-free fraction ``availability``)."""
        return cls(availability, mean_outage_s)

    @classmethod
    def rf(cls, availability: float = 0.999, mean_outage_s: float = 4 * 3600.0) -> Self:
        """An RF ground station: rare outages."""
        return cls(availability, mean_outage_s)

    @property
    def mean_up_s(self) -> float:
        a = self.availability
        return math.inf if a == 1.0 else self.mean_outage_s * a / (1.0 - a)


def _outage_intervals(
    rng: np.random.Generator, outages: Sequence[StationOutages], horizon_s: float
) -> tuple[NDArray[np.intp], F64, F64]:
    """Outage intervals of every station over ``[0, horizon_s]``: (station index, start_s,
    duration_s), each ``[n_outage]``. Stations start in their stationary state (down with
    probability ``1 - A``, with an exponential, i.e. memoryless, remaining outage).

    Vectorised over stations and cycles: ``[n_station, n_cycle]`` up and down periods are
    drawn at once, enough cycles for the horizon with a margin, and drawn again if short."""
    n = len(outages)
    up = np.array([o.mean_up_s for o in outages])
    down = np.array([o.mean_outage_s for o in outages])
    if n == 0 or np.isinf(up).all():
        return np.zeros(0, np.intp), np.zeros(0), np.zeros(0)
    cycle = np.where(np.isinf(up), np.inf, up + down)
    n_cycle = int(np.ceil(horizon_s / cycle[np.isfinite(cycle)].min() * 1.5)) + 8
    start_down = rng.random(n) < down / np.where(np.isinf(up), np.inf, up + down)
    while True:
        u = rng.exponential(1.0, (n, n_cycle)) * up[:, None]
        d = rng.exponential(1.0, (n, n_cycle)) * down[:, None]
        u[start_down, 0] = 0.0  # first outage begins at t = 0
        u[np.isinf(up)] = np.inf
        ends = np.cumsum(u + d, axis=1)  # end of each cycle's outage
        if (ends[:, -1] > horizon_s).all():
            break
        n_cycle *= 2
    starts = ends - d
    keep = starts < horizon_s
    station = np.broadcast_to(np.arange(n)[:, None], keep.shape)[keep]
    s = starts[keep]
    return station, s, np.minimum(ends[keep], horizon_s) - s


# --- fault rates and the schedule --------------------------------------------------------------

#: Kinds of the sampler's rows, in the order of their integer codes: the timeline's kinds it
#: draws, plus ``storm`` markers (the satellites a storm removes follow as ``satellite_loss``
#: rows). Rows become the one fault-event type through :meth:`FaultSchedule.to_events`.
DRAW_KINDS: tuple[str, ...] = (
    "satellite_loss",
    "isl_failure",
    "station_outage",
    "bit_flip",
    "storm",
)
DrawKind = Literal["satellite_loss", "isl_failure", "station_outage", "bit_flip", "storm"]


@dataclass(frozen=True)
class FaultRates:
    """Rates of the faults a :class:`FaultSchedule` draws.

    Attributes:
        lifetimes: satellite lifetimes (Weibull; default: none fail).
        isl_failure_per_year: failure rate of one ISL terminal pair (the link) [1/yr].
        seu_per_bit_day: upsets per stored bit per day that reach the stored data (after any
            ECC; 4.04e-7 for unprotected COTS memory in LEO, Alsat-1).
        storms_per_year: rate of correlated-loss events [1/yr].
        storm_scope: ``"plane"`` (a storm removes one uniformly chosen orbital plane) or
            ``"fraction"`` (each satellite independently with ``storm_fraction``).
        storm_fraction: probability that a ``"fraction"`` storm removes a given satellite.
        isl_terminal_failure_per_year: failure rate of one satellite's laser terminals (all
            its ISLs) [1/yr], for the ``isl_terminals`` of :meth:`FaultSchedule.draw`.
        isl_terminal_repair_s: how long the terminals stay down after a failure [s]; ``inf``:
            for good.
    """

    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    isl_failure_per_year: float = 0.0
    seu_per_bit_day: float = 0.0
    storms_per_year: float = 0.0
    storm_scope: Literal["plane", "fraction"] = "plane"
    storm_fraction: float = 0.1
    isl_terminal_failure_per_year: float = 0.0
    isl_terminal_repair_s: float = math.inf

    def __post_init__(self) -> None:
        if not (self.isl_terminal_repair_s > 0):
            raise ValueError(
                "FaultRates.isl_terminal_repair_s must be > 0 (inf: permanent), got "
                f"{self.isl_terminal_repair_s!r}"
            )
        for name in (
            "isl_failure_per_year",
            "seu_per_bit_day",
            "storms_per_year",
            "isl_terminal_failure_per_year",
        ):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"FaultRates.{name} must be a finite number >= 0, got {v!r}")
        if self.storm_scope not in ("plane", "fraction"):
            raise ValueError(
                f"FaultRates.storm_scope must be 'plane' or 'fraction', got {self.storm_scope!r}"
            )
        if not (0.0 <= self.storm_fraction <= 1.0):
            raise ValueError(
                f"FaultRates.storm_fraction must be in [0, 1], got {self.storm_fraction!r}"
            )


def storm_kill_times_s(
    rates: FaultRates,
    rng: np.random.Generator,
    plane_of: NDArray[np.intp],
    n_planes: int,
    horizon_s: float,
    n_trials: int,
) -> tuple[F64, F64, NDArray[np.intp]]:
    """Storms over ``[0, horizon_s]`` for ``n_trials`` independent fleets.

    Returns ``(kill_s, storm_t_s, storm_plane)``: the first storm that removes each satellite
    float64[n_trials, n_sat] (``inf``: none), and the storms themselves float64[n_trials,
    n_storm_max] (``inf`` padding) with the plane each hits int[n_trials, n_storm_max] (-1
    for ``"fraction"`` storms). Storm counts are Poisson(rate · horizon)."""
    n_sat = plane_of.size
    lam = rates.storms_per_year * horizon_s / YEAR_S
    if lam == 0.0 or n_sat == 0:
        empty = np.zeros((n_trials, 0))
        return np.full((n_trials, n_sat), np.inf), empty, empty.astype(np.intp)
    count = rng.poisson(lam, n_trials)
    n_max = int(count.max())
    t = np.sort(rng.uniform(0.0, horizon_s, (n_trials, n_max)), axis=1)
    t[np.arange(n_max)[None, :] >= count[:, None]] = np.inf
    if rates.storm_scope == "plane":
        plane = rng.integers(0, n_planes, (n_trials, n_max))
        hit = plane[:, :, None] == plane_of[None, None, :]  # [trial, storm, sat]
    else:
        plane = np.full((n_trials, n_max), -1, dtype=np.intp)
        hit = rng.random((n_trials, n_max, n_sat)) < rates.storm_fraction
    kill = np.where(hit, t[:, :, None], np.inf).min(axis=1, initial=np.inf)
    return kill, t, plane


@dataclass(frozen=True)
class Draw:
    """One row of a drawn schedule (the sampler's view, not a timeline event: see
    :meth:`FaultSchedule.to_events`): at ``t_s`` (s since the run's epoch), ``kind`` (one of
    :data:`DRAW_KINDS`) hits ``target`` for ``duration_s`` (``inf``: permanent).

    Targets: a satellite name (``satellite_loss``, ``bit_flip``: one flipped bit in the data
    stored on it, ``isl_failure``: all its laser terminals), ``"a|b"`` for the ISL between
    satellites ``a`` and ``b``, a ground-station
    name (``station_outage``), ``"plane:<p>"`` or ``"fraction:<f>"`` for a ``storm`` (a
    marker: the satellites it removes follow as ``satellite_loss`` rows at the same time)."""

    t_s: float
    kind: DrawKind
    target: str
    duration_s: float = 0.0


@dataclass(frozen=True)
class FaultSchedule(ArrowTable):
    """Fault events sorted by time, array-backed. All arrays are ``[n_event]``.

    Attributes:
        t_s: float64 seconds since the run's epoch.
        kind: uint8 codes into :data:`DRAW_KINDS`.
        target: int32 codes into ``names``.
        duration_s: float64 [s]; ``inf`` for permanent losses.
        names: the distinct targets.
    """

    t_s: F64 = field(repr=False)
    kind: NDArray[np.uint8] = field(repr=False)
    target: NDArray[np.int32] = field(repr=False)
    duration_s: F64 = field(repr=False)
    names: tuple[str, ...] = field(repr=False)

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def __iter__(self) -> Iterator[Draw]:
        kinds, names = DRAW_KINDS, self.names
        for t, k, g, d in zip(
            self.t_s.tolist(),
            self.kind.tolist(),
            self.target.tolist(),
            self.duration_s.tolist(),
            strict=True,
        ):
            yield Draw(t, kinds[k], names[g], d)

    def events(self) -> list[Draw]:
        """Every event as a :class:`Draw`, in time order."""
        return list(self)

    def count(self, kind: str) -> int:
        """Number of events of ``kind``."""
        return int((self.kind == DRAW_KINDS.index(kind)).sum())

    def to_events(self) -> list[timeline_events.FaultEvent]:
        """The schedule as the one fault-event type (:class:`orbitcloud.faults.FaultEvent`),
        in time order, for :meth:`orbitcloud.faults.EventTimeline.build`: satellite losses,
        station outages and a satellite's terminal failures (``isl_failure`` on a satellite,
        for its duration, ``inf``: to the end) as they are, each bit flip one upset
        (``bits=1``) on its satellite;
        ``storm`` markers are left out (the satellites a storm removes follow as
        ``satellite_loss`` rows at its time); zero-length outages are left out.

        Raises:
            ValueError: for ``isl_failure`` rows of one ISL pair ``a|b``; the timeline cuts a
                satellite's terminals, not one link (draw per-satellite ``isl_terminals`` with
                ``isl_failure_per_year=0`` to feed it).
        """
        out: list[timeline_events.FaultEvent] = []
        for e in self:
            if e.kind == "isl_failure" and "|" in e.target:
                raise ValueError(
                    f"fault schedule: isl_failure of the pair {e.target!r} at t={e.t_s} s has no "
                    "form in the fault timeline (it cuts all of a satellite's ISLs, not one "
                    "link); draw per-satellite isl_terminals with isl_failure_per_year=0 to feed "
                    "a timeline"
                )
            if e.kind == "storm" or (e.kind == "station_outage" and not e.duration_s > 0):
                continue
            duration = (
                e.duration_s
                if e.kind == "station_outage"
                or (e.kind == "isl_failure" and math.isfinite(e.duration_s))
                else None
            )
            out.append(timeline_events.FaultEvent(e.t_s, e.kind, e.target, duration))
        return out

    @classmethod
    def from_arrays(
        cls, t_s: F64, kind: NDArray[np.uint8], targets: Sequence[str], duration_s: F64
    ) -> FaultSchedule:
        """A schedule from parallel arrays (``targets`` as strings); rows are sorted by time,
        keeping the given order among equal times."""
        names, code = np.unique(np.asarray(targets, dtype=object).astype(str), return_inverse=True)
        order = np.argsort(np.asarray(t_s, dtype=np.float64), kind="stable")
        return cls(
            np.asarray(t_s, dtype=np.float64)[order],
            np.asarray(kind, dtype=np.uint8)[order],
            code.astype(np.int32).reshape(-1)[order],
            np.asarray(duration_s, dtype=np.float64)[order],
            tuple(str(n) for n in names),
        )

    @classmethod
    def from_events(cls, events: Sequence[Draw]) -> FaultSchedule:
        return cls.from_arrays(
            np.array([e.t_s for e in events], dtype=np.float64),
            np.array([DRAW_KINDS.index(e.kind) for e in events], dtype=np.uint8),
            [e.target for e in events],
            np.array([e.duration_s for e in events], dtype=np.float64),
        )

    def to_arrow(self) -> pa.Table:
        """Columns ``t_s``, ``kind`` and ``target`` (dictionary-encoded strings),
        ``duration_s``."""
        return pa.table(
            {
                "t_s": self.t_s,
                "kind": pa.DictionaryArray.from_arrays(
                    pa.array(self.kind.astype(np.int32)), pa.array(DRAW_KINDS, pa.string())
                ),
                "target": pa.DictionaryArray.from_arrays(
                    pa.array(self.target), pa.array(self.names, pa.string())
                ),
                "duration_s": self.duration_s,
            }
        )

    def to_csv(self, path: str | Path) -> None:
        """Write the schedule in the one fault CSV format (:func:`orbitcloud.faults.
        write_fault_csv` of :meth:`to_events`), which ``faults_file:`` and
        :func:`orbitcloud.faults.read_fault_csv` read."""
        timeline_events.write_fault_csv(path, self.to_events())

    @classmethod
    def draw(
        cls,
        rates: FaultRates,
        rng: np.random.Generator,
        horizon_s: float,
        satellites: Sequence[str],
        planes: Sequence[int] | NDArray[np.intp] | None = None,
        isls: Sequence[tuple[str, str]] = (),
        stations: Sequence[str] = (),
        isl_terminals: Sequence[str] = (),
        outages: StationOutages | Sequence[StationOutages] = StationOutages(),
        stored_bytes: float | F64 = 0.0,
        max_events: int = 10_000_000,
    ) -> FaultSchedule:
        """Draw every fault over ``[0, horizon_s]``, vectorised and seeded by ``rng``.

        Args:
            rates: the fault rates.
            rng: the generator (seed it from the scenario).
            horizon_s: length of the run [s].
            satellites: satellite names [n_sat].
            planes: orbital plane of each satellite [n_sat] (default: one plane each).
            isls: satellite-name pairs whose links can fail.
            isl_terminals: satellites whose laser terminals (all their ISLs at once) fail at
                ``rates.isl_terminal_failure_per_year``, each failure lasting
                ``rates.isl_terminal_repair_s``.
            stations: ground-station names [n_station].
            outages: one outage model for every station, or one per station.
            stored_bytes: bytes stored on each satellite (scalar or [n_sat]), for bit flips.
            max_events: refuse to draw more bit flips than this on average (memory guard).

        A satellite is lost at the first of its own failure and the first storm that hits it;
        bit flips and ISL failures after a satellite's loss are dropped.
        """
        if not (np.isfinite(horizon_s) and horizon_s >= 0):
            raise ValueError(f"horizon_s must be a finite number >= 0, got {horizon_s!r}")
        sats = list(satellites)
        n_sat = len(sats)
        plane_of = (
            np.arange(n_sat, dtype=np.intp) if planes is None else np.asarray(planes, dtype=np.intp)
        )
        if plane_of.shape != (n_sat,):
            raise ValueError(f"planes must give one plane per satellite ({n_sat}), got {planes!r}")
        n_planes = int(plane_of.max()) + 1 if n_sat else 0
        t_parts: list[F64] = []
        k_parts: list[NDArray[np.uint8]] = []
        g_parts: list[NDArray[np.object_]] = []
        d_parts: list[F64] = []

        def add(kind: str, t: F64, targets: NDArray[np.object_], dur: F64 | float) -> None:
            t_parts.append(t)
            k_parts.append(np.full(t.size, DRAW_KINDS.index(kind), dtype=np.uint8))
            g_parts.append(targets)
            d_parts.append(np.broadcast_to(np.asarray(dur, dtype=np.float64), t.shape))

        names = np.asarray(sats, dtype=object)
        kill, storm_t, storm_plane = storm_kill_times_s(
            rates, rng, plane_of, max(n_planes, 1), horizon_s, 1
        )
        s_ok = np.isfinite(storm_t[0])
        if rates.storm_scope == "plane":
            s_names = np.array([f"plane:{p}" for p in storm_plane[0][s_ok]], dtype=object)
        else:
            s_names = np.full(int(s_ok.sum()), f"fraction:{rates.storm_fraction:g}", dtype=object)
        add("storm", storm_t[0][s_ok], s_names, 0.0)

        death = np.minimum(rates.lifetimes.draw_s(rng, n_sat), kill[0])
        lost = death <= horizon_s
        add("satellite_loss", death[lost], names[lost], np.inf)

        if isls and rates.isl_failure_per_year > 0:
            index = {s: i for i, s in enumerate(sats)}
            try:
                a = np.array([index[x] for x, _ in isls], dtype=np.intp)
                b = np.array([index[y] for _, y in isls], dtype=np.intp)
            except KeyError as exc:
                raise ValueError(f"ISL endpoint {exc.args[0]!r} is not a satellite") from None
            t_isl = rng.exponential(YEAR_S / rates.isl_failure_per_year, a.size)
            ok = (t_isl <= horizon_s) & (t_isl < death[a]) & (t_isl < death[b])
            pair = np.array([f"{x}|{y}" for x, y in isls], dtype=object)
            add("isl_failure", t_isl[ok], pair[ok], np.inf)

        if isl_terminals and rates.isl_terminal_failure_per_year > 0:
            index = {s: i for i, s in enumerate(sats)}
            try:
                who = np.array([index[x] for x in isl_terminals], dtype=np.intp)
            except KeyError as exc:
                raise ValueError(f"ISL terminal {exc.args[0]!r} is not a satellite") from None
            sat, t_fail = _terminal_failures(
                rng,
                YEAR_S / rates.isl_terminal_failure_per_year,
                rates.isl_terminal_repair_s,
                np.minimum(death[who], horizon_s),
                max_events,
            )
            add("isl_failure", t_fail, names[who][sat], rates.isl_terminal_repair_s)

        if stations:
            models = [outages] * len(stations) if isinstance(outages, StationOutages) else outages
            if len(models) != len(stations):
                raise ValueError(
                    f"outages: give one StationOutages or one per station ({len(stations)}), "
                    f"got {len(models)}"
                )
            st, start, dur = _outage_intervals(rng, list(models), horizon_s)
            add("station_outage", start, np.asarray(stations, dtype=object)[st], dur)

        bits = np.broadcast_to(np.asarray(stored_bytes, dtype=np.float64) * 8.0, (n_sat,))
        rate_per_s = upset_rate_per_s(rates.seu_per_bit_day, bits)
        if rate_per_s.any():
            expected = float((rate_per_s * np.minimum(death, horizon_s)).sum())
            if expected > max_events:
                raise ValueError(
                    f"about {expected:.3g} bit flips expected (seu_per_bit_day "
                    f"{rates.seu_per_bit_day:g} over {bits.sum() / 8:.3g} stored bytes), more "
                    f"than max_events={max_events}; use the post-ECC upset rate of the storage "
                    "medium, or fewer stored bytes"
                )
            live_s = np.minimum(death, horizon_s)
            count = rng.poisson(rate_per_s * live_s)
            sat = np.repeat(np.arange(n_sat), count)
            add("bit_flip", rng.random(sat.size) * live_s[sat], names[sat], 0.0)

        if not t_parts or sum(t.size for t in t_parts) == 0:
            return cls(np.zeros(0), np.zeros(0, np.uint8), np.zeros(0, np.int32), np.zeros(0), ())
        return cls.from_arrays(
            np.concatenate(t_parts),
            np.concatenate(k_parts),
            np.concatenate(g_parts),  # type: ignore[arg-type]
            np.concatenate(d_parts),
        )


def _terminal_failures(
    rng: np.random.Generator, mean_up_s: float, repair_s: float, until_s: F64, max_events: int
) -> tuple[NDArray[np.intp], F64]:
    """Failure times of terminals that start working at 0: exponential up periods of mean
    ``mean_up_s``, then ``repair_s`` down (``inf``: only the first failure); the failures
    before each terminal's ``until_s`` [n]. Returns (terminal index, t_s), ``[n_failure]``.

    Vectorised like :func:`_outage_intervals`: ``[n, n_cycle]`` periods at once, enough for
    the horizon with a margin, drawn again with twice the cycles when short."""
    n = until_s.size
    if n == 0:
        return np.zeros(0, np.intp), np.zeros(0)
    horizon = float(until_s.max())
    cycle = mean_up_s + repair_s
    n_cycle = 1 if math.isinf(repair_s) else int(np.ceil(horizon / cycle * 1.5)) + 8
    if n * n_cycle > 4 * max_events:
        raise ValueError(
            f"about {n * horizon / cycle:.3g} ISL terminal failures expected, more than "
            f"max_events={max_events}"
        )
    while True:
        up = rng.exponential(mean_up_s, (n, n_cycle))
        down = 0.0 if math.isinf(repair_s) else repair_s  # inf: one cycle, no repair
        fail = np.cumsum(up, axis=1) + down * np.arange(n_cycle)[None, :]
        if math.isinf(repair_s) or (fail[:, -1] > until_s).all():
            break
        n_cycle *= 2
    keep = fail < until_s[:, None]
    return np.broadcast_to(np.arange(n)[:, None], keep.shape)[keep], fail[keep]
