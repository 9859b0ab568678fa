"""Optical ground links blocked by clouds: the cloudy intervals over each optical station
and the contact-plan passes with those intervals cut out.

A station with ``link: {kind: optical, clouds: time_series}`` has a link only while no cloud
is over the site. Cloud presence is the seeded P.1853 cloud process of
:mod:`orbitcloud.links.weather_process` (``G_c > Q^-1(P_clw/100)``, ``P_clw`` the
probability of cloud liquid water from ITU-R P.840-8 via itur's digital maps): in the long
run the sky is clear ``1 − P_clw`` of the time. Liquid-water cloud is taken as opaque to the
laser (a thick cloud attenuates an optical beam by tens of dB); thin ice cloud, aerosols and
turbulence are not modelled. A pass that overlaps a cloudy interval is cut at its edges and
loses the cloudy part (both directions: the same antenna, the same sky); passes that overlap
none are left bit for bit. The passes are cut after the antenna assignment
(:func:`orbitcloud.links.windows.limit_concurrent`): a clouded antenna is not given to
another satellite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from orbitcloud.links.weather_process import cloud_probability_pct, cloud_series
from orbitcloud.scenario.models import GroundStation
from orbitcloud.scenario.rates import OpticalLink

__all__ = ["CloudCover", "cloud_cover", "free_parts"]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]


@dataclass(frozen=True)
class CloudCover:
    """The cloudy intervals of the clouded optical stations: ``station`` int[n_cs] (their
    indices), ``p_cloud_pct`` float64[n_cs] (P.840 ``P_clw``), and per station the sorted,
    disjoint intervals ``start_s[i]``/``end_s[i]`` (float64 arrays) over the run."""

    station: IDX
    p_cloud_pct: F64
    start_s: list[F64]
    end_s: list[F64]

    def cloudy_fraction(self, i: int, duration_s: float) -> float:
        """Fraction of ``[0, duration_s]`` that station ``self.station[i]`` is clouded."""
        return float(np.sum(self.end_s[i] - self.start_s[i])) / duration_s


def cloud_cover(stations: list[GroundStation], seed: int, duration_s: float) -> CloudCover | None:
    """The :class:`CloudCover` of ``stations`` over ``[0, duration_s]`` (streams seeded from
    ``seed`` by station name), None if no station has an optical link with clouds."""
    idx = [g for g, st in enumerate(stations)
           if isinstance(st.link, OpticalLink) and st.link.clouds == "time_series"]  # fmt: skip
    if not idx:
        return None
    lat = np.array([stations[g].lat_deg for g in idx], dtype=np.float64)
    lon = np.array([stations[g].lon_deg for g in idx], dtype=np.float64)
    p = cloud_probability_pct(lat, lon)
    series = cloud_series(seed, [stations[g].name for g in idx], duration_s)
    thr = -ndtri(np.clip(p, 1e-9, 100.0 - 1e-9) / 100.0)
    parts = [series.above(i, float(thr[i])) for i in range(len(idx))]
    return CloudCover(np.array(idx, dtype=np.intp), p, [a for a, _ in parts],
                      [b for _, b in parts])  # fmt: skip


def free_parts(
    start_s: F64, end_s: F64, block_start_s: F64, block_end_s: F64
) -> tuple[F64, F64, IDX]:
    """The parts of intervals ``[start_s[i], end_s[i]]`` outside the sorted disjoint
    intervals ``block`` (vectorised: each interval meets the free gaps between blocks found
    by ``searchsorted``); returns ``(start, end, which)``, ``which[j]`` the interval part
    ``j`` came from, empty parts dropped, in the order of the intervals."""
    fs = np.concatenate([[-np.inf], block_end_s])  # free gaps: [fs[j], fe[j]]
    fe = np.concatenate([block_start_s, [np.inf]])
    j0 = np.searchsorted(fe, start_s, side="right")  # first gap ending after the start
    j1 = np.searchsorted(fs, end_s, side="left")  # gaps starting before the end
    n = np.maximum(j1 - j0, 0)
    which = np.repeat(np.arange(start_s.shape[0]), n)
    j = np.arange(which.shape[0]) - np.repeat(np.cumsum(n) - n, n) + np.repeat(j0, n)
    s = np.maximum(start_s[which], fs[j])
    e = np.minimum(end_s[which], fe[j])
    keep = e > s
    return s[keep], e[keep], which[keep]
