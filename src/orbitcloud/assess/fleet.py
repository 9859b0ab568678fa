"""What the assessment needs from a scenario: each constellation's hardware, its sunlight and
the fraction of rated compute power it can sustain, from a run when one exists, else analytic.

Analytic sunlight (no run): the eclipse fraction of a circular orbit under a cylindrical
Earth shadow, ``acos(sqrt(h^2 + 2 R h) / (r cos β)) / π`` when ``|sin β| < R / r``, else 0
(Wertz & Larson, SMAD 3rd ed. §5.1; NASA TM-2005-213907), with the Sun angle β between each
satellite's orbit plane and the Sun at the scenario's epoch. β drifts over the year, so this
is the epoch's value, not a yearly mean (a dawn-dusk orbit keeps β high all year).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orbitcloud.orbits.frames import teme_to_ecef
from orbitcloud.orbits.propagate import Propagator
from orbitcloud.orbits.satellites import SatelliteSet, satellites_of
from orbitcloud.orbits.sun import EARTH_SHADOW_RADIUS_KM, sun_ecef_km
from orbitcloud.scenario.models import Scenario

__all__ = ["Fleet", "RunInput", "analytic_sunlight", "eclipse_fraction", "fleet_of", "run_inputs"]

F64 = NDArray[np.float64]


def eclipse_fraction(beta_rad: F64, radius_km: F64) -> F64:
    """Fraction of a circular orbit spent in a cylindrical shadow, float64[...] (broadcast):
    ``acos(sqrt(r^2 - R^2) / (r cos β)) / π`` if ``|sin β| < R / r`` else 0 (SMAD §5.1;
    ``sqrt(h^2 + 2Rh) = sqrt(r^2 - R^2)``)."""
    r_e = EARTH_SHADOW_RADIUS_KM
    beta_rad = np.asarray(beta_rad, dtype=np.float64)
    radius_km = np.asarray(radius_km, dtype=np.float64)
    shadowed = np.abs(np.sin(beta_rad)) < r_e / radius_km
    with np.errstate(invalid="ignore"):
        arg = np.sqrt(np.maximum(radius_km**2 - r_e**2, 0.0)) / (radius_km * np.cos(beta_rad))
        frac = np.arccos(np.clip(arg, -1.0, 1.0)) / np.pi
    return np.where(shadowed, frac, 0.0)


def analytic_sunlight(scenario: Scenario, satellites: SatelliteSet) -> tuple[F64, F64]:
    """Per satellite at the epoch: (sunlit fraction, eclipse duration [s]), float64[n_sat] each.

    β is the angle between the Sun and the mean orbit plane, whose normal in TEME is
    ``(sin i sin Ω, -sin i cos Ω, cos i)`` from the SGP4 mean inclination and node (no
    short-period terms); the Sun vector (skyfield) is rotated from Earth-fixed to TEME by GMST.
    Radius and period are the mean ones.
    """
    prop = Propagator.for_satellites(satellites, scenario.epoch)
    t0 = np.zeros(1)
    recs = satellites.satrecs
    inc = np.array([s.inclo for s in recs])
    node = np.array([s.nodeo for s in recs])
    normal = np.stack(
        [np.sin(inc) * np.sin(node), -np.sin(inc) * np.cos(node), np.cos(inc)], axis=-1
    )
    sun_teme = teme_to_ecef(sun_ecef_km(scenario.epoch, t0), -prop.gmst_rad(t0))[0]
    sun_hat = sun_teme / np.linalg.norm(sun_teme)
    beta = np.arcsin(np.clip(normal @ sun_hat, -1.0, 1.0))
    radius = np.array([s.a * s.radiusearthkm for s in recs])
    period_s = np.array([2.0 * np.pi / s.no_kozai * 60.0 for s in recs])
    frac = eclipse_fraction(beta, radius)
    lit, dark_s = 1.0 - frac, frac * period_s
    if satellites.space is not None:
        s_lit, s_dark = sampled_sunlight(satellites, scenario.epoch)
        lit, dark_s = np.concatenate([lit, s_lit]), np.concatenate([dark_s, s_dark])
    return lit, dark_s


#: Span and step [s] over which the sunlight of nodes beyond Earth orbit is sampled: two
#: synodic months (lunar nights of ~14.8 days), at 10 min.
SAMPLED_SPAN_S, SAMPLED_STEP_S = 2 * 29.530589 * 86400.0, 600.0


def sampled_sunlight(satellites: SatelliteSet, epoch: dt.datetime) -> tuple[F64, F64]:
    """Sunlit fraction and longest eclipse [s] of every node beyond Earth orbit, sampled
    from the epoch over :data:`SAMPLED_SPAN_S` (no closed form covers lunar nights or Mars
    orbits); float64[n_space] each."""
    space = satellites.space
    assert space is not None
    prop = Propagator.for_satellites(satellites, epoch)
    t = np.arange(0.0, SAMPLED_SPAN_S, SAMPLED_STEP_S)
    lit = space.sunlit(prop.bodies, space.icrf_grid_km(prop.bodies, t), t)
    longest = np.zeros(lit.shape[0])
    for k in range(lit.shape[0]):  # one vectorised run-length pass per node
        dark = np.r_[False, ~lit[k], False].view(np.int8)
        edges = np.flatnonzero(np.diff(dark))
        if edges.size:
            longest[k] = float((edges[1::2] - edges[0::2]).max()) * SAMPLED_STEP_S
    return lit.mean(axis=1), longest


@dataclass(frozen=True)
class Fleet:
    """The scenario's modules, one entry per constellation, float64[n_c] (W, Wh, m², kg, TB).

    ``bus_w`` includes communications; ``sunlit_fraction`` and ``power_availability`` (the
    fraction of rated IT power that can actually run) are constellation means, from the run
    when one exists; ``eclipse_s`` is the longest eclipse (analytic, at the epoch).
    """

    names: list[str]
    n_sat: F64
    it_w: F64
    bus_w: F64
    storage_tb: F64
    array_w: F64
    battery_wh: F64
    radiator_m2: F64
    mass_kg: F64
    battery_dod: F64
    battery_efficiency: F64
    degradation_per_year: F64
    sunlit_fraction: F64
    eclipse_s: F64
    power_availability: F64
    utilisation: float | None
    sources: dict[str, str]

    @property
    def it_w_total(self) -> float:
        return float((self.n_sat * self.it_w).sum())


def _hw(scenario: Scenario, field: str) -> F64:
    return np.array([float(getattr(c.hardware, field)) for c in scenario.constellations])


def fleet_of(scenario: Scenario, run_metrics: Mapping[str, Any] | None = None) -> Fleet:
    """Gather the fleet; a run's metrics (``sunlit_fraction``,
    ``power.compute_sustained_fraction``, ``compute.utilisation``) replace the analytic values.

    Raises:
        ValueError: when no constellation has IT power (``hardware.compute_power_w``).
    """
    sats = satellites_of(scenario)
    n_c = len(scenario.constellations)
    n_sat = np.bincount(sats.constellation, minlength=n_c).astype(np.float64)
    it_w = _hw(scenario, "compute_power_w")
    if not (n_sat * it_w).sum() > 0:
        raise ValueError(
            "assessment: no IT power to assess; set constellations[*].hardware.compute_power_w "
            "(W of compute + storage at full load) for at least one constellation"
        )
    sunlit_sat, eclipse_sat = analytic_sunlight(scenario, sats)
    idx = sats.constellation
    sunlit = np.bincount(idx, weights=sunlit_sat, minlength=n_c) / np.maximum(n_sat, 1)
    eclipse_s = np.zeros(n_c)
    np.maximum.at(eclipse_s, idx, eclipse_sat)
    bus_w = _hw(scenario, "bus_power_w") + _hw(scenario, "comms_power_w")
    battery_wh = _hw(scenario, "battery_wh")
    dod, eff = _hw(scenario, "battery_max_depth_of_discharge"), _hw(scenario, "battery_efficiency")
    # analytic: compute runs through eclipses when the battery's usable energy covers the whole
    # load for the longest eclipse; otherwise only in sunlight
    rides = battery_wh * dod * eff * 3600.0 >= (it_w + bus_w) * eclipse_s
    availability = np.where(rides, 1.0, sunlit)
    sources = {
        "sunlit_fraction": "analytic, cylindrical shadow at the epoch",
        "power_availability": "analytic: 1 if the battery carries the full load through the "
        "longest eclipse, else the sunlit fraction",
        "utilisation": "parameter ops.utilisation",
    }
    utilisation = None
    if run_metrics:
        if run_metrics.get("sunlit_fraction") is not None:
            sunlit = np.full(n_c, float(run_metrics["sunlit_fraction"]))
            sources["sunlit_fraction"] = "run (metrics.sunlit_fraction, fleet mean)"
        power = run_metrics.get("power") or {}
        if power.get("compute_sustained_fraction") is not None:
            availability = np.full(n_c, float(power["compute_sustained_fraction"]))
            sources["power_availability"] = "run (metrics.power.compute_sustained_fraction)"
        compute = run_metrics.get("compute") or {}
        if compute.get("utilisation") is not None:
            utilisation = float(compute["utilisation"])
            sources["utilisation"] = "run (metrics.compute.utilisation)"
    return Fleet(
        names=[c.name for c in scenario.constellations],
        n_sat=n_sat,
        it_w=it_w,
        bus_w=bus_w,
        storage_tb=_hw(scenario, "storage_tb"),
        array_w=_hw(scenario, "solar_array_w"),
        battery_wh=battery_wh,
        radiator_m2=_hw(scenario, "radiator_area_m2"),
        mass_kg=_hw(scenario, "mass_kg"),
        battery_dod=dod,
        battery_efficiency=eff,
        degradation_per_year=_hw(scenario, "solar_degradation_per_year"),
        sunlit_fraction=sunlit,
        eclipse_s=eclipse_s,
        power_availability=availability,
        utilisation=utilisation,
        sources=sources,
    )


@dataclass(frozen=True)
class RunInput:
    """One assessment input that a run can replace: its analytic value and the run's (None
    without a run, or when the run did not measure it), fleet means weighted by satellites."""

    name: str
    analytic: float | None
    run: float | None


def run_inputs(scenario: Scenario, run_metrics: Mapping[str, Any] | None) -> list[RunInput]:
    """Sunlit fraction, power availability and utilisation, analytic and from the run
    (``metrics.json``), so a reader sees why ``orbitcloud run`` and ``orbitcloud assess``
    differ (``assess`` alone has no run and uses the analytic values)."""
    a = fleet_of(scenario)
    r = fleet_of(scenario, run_metrics) if run_metrics else None

    def mean(f: Fleet, x: F64) -> float:
        return float((f.n_sat * x).sum() / f.n_sat.sum())

    def pick(name: str, attr: str) -> RunInput:
        ran = r is not None and r.sources[name].startswith("run")
        return RunInput(
            name, mean(a, getattr(a, attr)), mean(r, getattr(r, attr)) if ran and r else None
        )

    util = r.utilisation if r is not None else None
    return [
        pick("sunlit_fraction", "sunlit_fraction"),
        pick("power_availability", "power_availability"),
        RunInput("utilisation", None, util),
    ]
