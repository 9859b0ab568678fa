"""Site diversity: how often at least one station of a ``diversity_group`` is usable, from
the seeded weather processes of :mod:`orbitcloud.links.weather_process`.

A station is *usable* at a time of the weather grid (:data:`WEATHER_STEP_S`) when:

* ACM link with ``weather: time_series``: its rain is within the design margin, i.e. the
  rain state ``X <= Q^-1(p/100)`` with ``p = 100 − availability_pct``. The rain map is
  P.618's distribution at every elevation, so this is ``A_rain(t) <= A_618(p)`` at any
  elevation, and in the long run the station is usable ``availability_pct`` % of the time.
* optical link with ``clouds: time_series``: no cloud over the site (usable ``1 − P_clw``).
* any other station: always (its plan does not depend on the weather).

A group's joint figure is the fraction of grid samples at which at least one member is
usable. Different stations' processes are independent (see
:mod:`orbitcloud.links.weather_process`), so it tends to ``1 − Π(1 − u_i)``
(``independent_joint_usable_pct``, from the sampled single-site figures). For a group of
two rain stations the ITU-R P.618-13 §2.2.4.1 prediction (itur's
``site_diversity_rain_outage_probability``, with the margins ``A_618(p)`` at
:data:`REFERENCE_ELEVATION_DEG`; P.618 states it below 20 GHz) is given as
``p618_joint_usable_pct``: it correlates the sites' rain (``ρ_r = 0.7 e^{−d/60} + 0.3
e^{−(d/700)²}``), so it is the figure to compare with for sites closer than a few hundred km,
where independent processes overstate the diversity gain.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.special import ndtri

from orbitcloud.links.acm import frequency_hz
from orbitcloud.links.weather_process import (
    WEATHER_STEP_S,
    cloud_probability_pct,
    cloud_series,
    rain_series,
)
from orbitcloud.scenario.models import GroundStation
from orbitcloud.scenario.rates import AcmLink, OpticalLink

__all__ = ["REFERENCE_ELEVATION_DEG", "usable_mask", "weather_summary"]

#: Elevation [deg] of the P.618 site-diversity comparison (both sites).
REFERENCE_ELEVATION_DEG = 30.0


def _process(st: GroundStation) -> str | None:
    if isinstance(st.link, AcmLink) and st.link.weather == "time_series":
        return "rain"
    if isinstance(st.link, OpticalLink) and st.link.clouds == "time_series":
        return "cloud"
    return None


def usable_mask(
    stations: list[GroundStation], seed: int, duration_s: float
) -> tuple[np.ndarray, list[str | None], np.ndarray]:
    """``(usable bool[n_gs, n_time], process per station, expected usable % [n_gs])`` on the
    weather grid over ``[0, duration_s]`` (module docstring; stations without a process:
    all True, expected 100)."""
    kinds = [_process(st) for st in stations]
    rain_i = [g for g, k in enumerate(kinds) if k == "rain"]
    cloud_i = [g for g, k in enumerate(kinds) if k == "cloud"]
    n_t = max(2, int(np.ceil(duration_s / WEATHER_STEP_S - 1e-9)) + 1)
    usable = np.ones((len(stations), n_t), dtype=bool)
    expected = np.full(len(stations), 100.0)
    if rain_i:
        x = rain_series(seed, [stations[g].name for g in rain_i], duration_s).x
        avail = np.array([stations[g].link.availability_pct for g in rain_i])  # type: ignore[union-attr]
        usable[rain_i] = x <= -ndtri((100.0 - avail) / 100.0)[:, None]
        expected[rain_i] = avail
    if cloud_i:
        gc = cloud_series(seed, [stations[g].name for g in cloud_i], duration_s).x
        p = cloud_probability_pct(np.array([stations[g].lat_deg for g in cloud_i]),
                                  np.array([stations[g].lon_deg for g in cloud_i]))  # fmt: skip
        usable[cloud_i] = gc <= -ndtri(np.clip(p, 1e-9, 100 - 1e-9) / 100.0)[:, None]
        expected[cloud_i] = 100.0 - p
    return usable, kinds, expected


def _p618_pair(a: GroundStation, b: GroundStation) -> float | None:
    """P.618 §2.2.4.1 joint usable % of two rain stations (module docstring)."""
    from itur.models.itu618 import rain_attenuation, site_diversity_rain_outage_probability

    la, lb = a.link, b.link
    assert isinstance(la, AcmLink) and isinstance(lb, AcmLink)
    f_ghz = frequency_hz(la, False) / 1e9
    if abs(frequency_hz(lb, False) / 1e9 - f_ghz) > 1e-9:
        return None  # P.618's method is for one frequency
    el = REFERENCE_ELEVATION_DEG
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ha, hb = max(a.alt_m, 0.0) / 1000.0, max(b.alt_m, 0.0) / 1000.0
        ma = float(np.asarray(rain_attenuation(a.lat_deg, a.lon_deg, f_ghz, el, ha,
                                               100.0 - la.availability_pct).value))  # fmt: skip
        mb = float(np.asarray(rain_attenuation(b.lat_deg, b.lon_deg, f_ghz, el, hb,
                                               100.0 - lb.availability_pct).value))  # fmt: skip
        pr = site_diversity_rain_outage_probability(
            a.lat_deg, a.lon_deg, ma, el, b.lat_deg, b.lon_deg, mb, el, f_ghz, hs1=ha, hs2=hb
        )
    v = float(np.asarray(getattr(pr, "value", pr)))
    return None if not np.isfinite(v) else 100.0 - v


def weather_summary(
    stations: list[GroundStation], seed: int, duration_s: float
) -> dict[str, Any] | None:
    """The ``weather`` block of metrics.json: per station with a weather process its usable
    % (sampled) and the long-run figure it should tend to, and per ``diversity_group`` the
    single-site and joint usable % (module docstring); None without processes or groups."""
    kinds = [_process(st) for st in stations]
    groups: dict[str, list[int]] = {}
    for g, st in enumerate(stations):
        if st.diversity_group:
            groups.setdefault(st.diversity_group, []).append(g)
    if not any(kinds) and not groups:
        return None
    usable, kinds, expected = usable_mask(stations, seed, duration_s)
    rows = [
        {"station": stations[g].name, "process": k,
         "usable_pct": 100.0 * float(usable[g].mean()), "long_run_pct": float(expected[g])}
        for g, k in enumerate(kinds) if k is not None
    ]  # fmt: skip
    out_groups = []
    for name, members in groups.items():
        single = {stations[g].name: 100.0 * float(usable[g].mean()) for g in members}
        joint = 100.0 * float(usable[members].any(axis=0).mean())
        indep = 100.0 * (1.0 - float(np.prod([1.0 - v / 100.0 for v in single.values()])))
        entry: dict[str, Any] = {
            "group": name, "stations": [stations[g].name for g in members],
            "single_site_usable_pct": single, "joint_usable_pct": joint,
            "independent_joint_usable_pct": indep,
        }  # fmt: skip
        if len(members) == 2 and all(kinds[g] == "rain" for g in members):
            entry["p618_joint_usable_pct"] = _p618_pair(stations[members[0]],
                                                        stations[members[1]])  # fmt: skip
        out_groups.append(entry)
    return {"step_s": WEATHER_STEP_S, "duration_s": duration_s, "stations": rows,
            "diversity_groups": out_groups}  # fmt: skip
