"""The time grid every stage shares: one aware UTC epoch plus float64 seconds since it.

Conversion to SGP4's split Julian date ``(jd, fr)`` happens only here, at the SGP4 boundary.
Leap seconds inside a run are ignored: ``t_s`` counts UTC seconds on the epoch's day grid, as
SGP4 and TLE epochs do (a run that spans a leap second is off by that second after it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sgp4.api import jday

from orbitcloud.constants import DAY_S

__all__ = ["TimeGrid", "epoch_to_jd", "split_jd"]


def epoch_to_jd(epoch: dt.datetime) -> tuple[float, float]:
    """Split Julian date ``(jd, fr)`` of an aware UTC datetime, as `sgp4` wants it.

    ``jd`` is the half-integer Julian date of the preceding midnight and ``fr`` the day
    fraction, which keeps ~1 µs resolution where a single float64 JD keeps only ~20 µs.
    """
    if epoch.tzinfo is None or epoch.utcoffset() is None:
        raise ValueError(
            f"epoch {epoch!r} has no time zone; give it in UTC, e.g. 2026-01-01T00:00Z"
        )
    e = epoch.astimezone(dt.UTC)
    seconds = e.second + e.microsecond * 1e-6
    jd, fr = jday(e.year, e.month, e.day, e.hour, e.minute, seconds)
    return float(jd), float(fr)


def split_jd(
    epoch: dt.datetime, t_s: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Split Julian dates ``(jd, fr)`` of ``epoch + t_s``, each float64[n], ``0 <= fr < 1``."""
    jd0, fr0 = epoch_to_jd(epoch)
    fr = fr0 + np.asarray(t_s, dtype=np.float64) / DAY_S
    whole = np.floor(fr)
    return jd0 + whole, fr - whole


@dataclass(frozen=True)
class TimeGrid:
    """Sample times of a run.

    Attributes:
        epoch: aware UTC datetime of ``t_s == 0``.
        t_s: float64[n_time], seconds since ``epoch``, strictly increasing.
    """

    epoch: dt.datetime
    t_s: NDArray[np.float64] = field(repr=False)

    @classmethod
    def regular(cls, epoch: dt.datetime, duration_s: float, step_s: float) -> TimeGrid:
        """Times 0, step, 2 step, ... to ``duration_s`` inclusive (the last step may be short)."""
        if step_s <= 0 or duration_s <= 0:
            raise ValueError(f"need duration_s > 0 and step_s > 0, got {duration_s}, {step_s}")
        n = int(np.floor(duration_s / step_s + 1e-9))
        t_s = np.arange(n + 1, dtype=np.float64) * step_s
        if duration_s - t_s[-1] > 1e-9:
            t_s = np.append(t_s, float(duration_s))
        epoch_to_jd(epoch)  # validates the time zone
        return cls(epoch=epoch.astimezone(dt.UTC), t_s=t_s)

    @property
    def n_time(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def duration_s(self) -> float:
        return float(self.t_s[-1] - self.t_s[0])

    def jd_fr(self, t_s: NDArray[np.float64] | None = None) -> tuple[NDArray[np.float64], ...]:
        """Split Julian dates ``(jd, fr)`` of ``t_s`` (default: the grid), each float64[n]."""
        return split_jd(self.epoch, self.t_s if t_s is None else t_s)

    def datetimes(self, t_s: NDArray[np.float64] | None = None) -> list[dt.datetime]:
        """Aware UTC datetimes of ``t_s`` (default: the grid); for output, not for hot paths."""
        t = self.t_s if t_s is None else np.asarray(t_s, dtype=np.float64)
        return [self.epoch + dt.timedelta(seconds=float(s)) for s in t]
