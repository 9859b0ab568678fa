"""Node physics against analytic cases and independent tools.

Oracles: the beta-angle eclipse formula for circular orbits (skyfield gives β), published
radiator fluxes (Stefan–Boltzmann; shared/reference), scipy's ODE solver for the thermal
transient, closed-form battery drain, and the energy balance itself.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from skyfield.api import EarthSatellite, load

from conftest import circular_orbit_scenario
from orbitcloud.constants import WGS84_A_KM
from orbitcloud.nodes.power import PowerSpec, integrate_power, solar_generation_w
from orbitcloud.nodes.thermal import (
    ThermalSpec,
    radiator_capacity_w,
    steady_state_temperature_k,
)
from orbitcloud.orbits import build_satellites, propagate
from orbitcloud.scenario.models import Scenario
from orbitcloud.timegrid import TimeGrid

EPOCH = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)


def _spec(n: int, **kw: float) -> PowerSpec:
    base = {
        "array_bol_w": 5000.0,
        "degradation_per_year": 0.0,
        "years_in_orbit": 0.0,
        "battery_capacity_j": 2000.0 * 3600,
        "battery_max_dod": 0.3,
        "battery_efficiency": 0.95,
        "bus_w": 800.0,
        "comms_w": 200.0,
        "compute_max_w": 3000.0,
    }
    base.update(kw)
    return PowerSpec(**{k: np.full(n, float(v)) for k, v in base.items()})


def _thermal(n: int, **kw: float) -> ThermalSpec:
    base = {
        "area_m2": 10.0,
        "emissivity": 0.85,
        "sink_k": 250.0,
        "max_temp_k": 333.15,
        "heat_capacity_j_per_k": 5e5,
    }
    base.update(kw)
    return ThermalSpec(**{k: np.full(n, float(v)) for k, v in base.items()})


# --- eclipses: the beta-angle formula ---------------------------------------------------------


def _beta_formula_fraction(beta_rad: float, radius_km: float) -> float:
    """Eclipse fraction of a circular orbit with a cylindrical shadow (e.g. Wertz & Larson,
    SMAD 3rd ed. §5; NASA TM-2005-213907): ``acos(sqrt(h^2 + 2Rh) / (r cos β)) / π`` when
    ``|β| < asin(R / r)``, else 0, with ``r = R + h``."""
    r_e = WGS84_A_KM
    h = radius_km - r_e
    if abs(np.sin(beta_rad)) >= r_e / radius_km:
        return 0.0
    return float(np.arccos(np.sqrt(h * h + 2 * r_e * h) / (radius_km * np.cos(beta_rad))) / np.pi)


@pytest.mark.parametrize(
    ("inclination_deg", "raan_deg"),
    [(53, 0), (53, 60), (53, 150), (97.6, 90), (97.6, 10), (30, 200)],
)
def test_eclipse_fraction_matches_the_beta_angle_formula(inclination_deg, raan_deg):
    sc = Scenario.model_validate(
        circular_orbit_scenario("beta", EPOCH, 3 * 5800.0, 5.0, inclination_deg, raan_deg)
    )
    sats = build_satellites(sc)
    period_s = 2 * np.pi / sats.satrecs[0].no_kozai * 60.0
    grid = TimeGrid.regular(sc.epoch, 3 * period_s, 5.0)
    eph = propagate(sats, grid)
    # independent β: orbit normal from skyfield's GCRS state, Sun from DE421
    ts = load.timescale(builtin=True)
    from skyfield_data import get_skyfield_data_path

    planets = load.__class__(get_skyfield_data_path())("de421.bsp")
    sat = EarthSatellite.from_satrec(sats.satrecs[0], ts)
    t = ts.from_datetimes([EPOCH + dt.timedelta(seconds=float(x)) for x in grid.t_s[::60]])
    g = sat.at(t)
    r, v = g.position.km, g.velocity.km_per_s
    n = np.cross(r.T, v.T)
    n /= np.linalg.norm(n, axis=1)[:, None]
    s = (planets["sun"] - planets["earth"]).at(t).position.km.T
    s /= np.linalg.norm(s, axis=1)[:, None]
    beta = float(np.arcsin((n * s).sum(axis=1)).mean())
    planets.close()
    radius_km = float(np.linalg.norm(eph.r_ecef_km[0], axis=1).mean())
    expected = _beta_formula_fraction(beta, radius_km)
    got = 1.0 - eph.sunlit[0, :-1].mean()  # whole orbits: drop the closing sample
    # observed within 5e-4 (5 s sampling over ~1,300 samples per orbit)
    assert abs(got - expected) < 0.002, (np.degrees(beta), got, expected)


# --- generation and battery -------------------------------------------------------------------


def test_generation_degrades_geometrically_and_stops_in_eclipse():
    spec = _spec(2, degradation_per_year=0.02, years_in_orbit=5.0)
    sunlit = np.array([[True, True, False], [False, True, True]])
    year_s = 365.25 * 86400
    p = solar_generation_w(spec, sunlit, np.array([0.0, year_s, 2 * year_s]))
    assert p[0, 0] == pytest.approx(5000 * 0.98**5)
    assert p[0, 1] == pytest.approx(5000 * 0.98**6)
    assert p[0, 2] == 0.0 and p[1, 0] == 0.0


def test_battery_drains_linearly_to_its_depth_of_discharge_limit():
    """No Sun, constant bus load: E(t) = E0 - L t / η until (1 - DoD) E0, then only the
    floor remains and the load is unmet (closed form)."""
    spec = _spec(1, bus_w=1000.0, comms_w=0.0, compute_max_w=0.0, battery_capacity_j=3.6e6)
    t = np.arange(0, 3600.0 + 1, 60.0)
    b = integrate_power(spec, np.zeros((1, t.size), bool), t)
    eta, floor = 0.95, 0.7 * 3.6e6
    e_exact = np.maximum(3.6e6 - 1000.0 * t / eta, floor)
    # the step that reaches the floor delivers only part of the load
    np.testing.assert_allclose(b.battery_j[0], e_exact, rtol=0, atol=1e-6)
    t_empty = 0.3 * 3.6e6 * eta / 1000.0
    unmet_j = float((b.unmet_w[0] * b.dt_s).sum())
    assert unmet_j == pytest.approx(1000.0 * (3600.0 - t_empty), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    array_w=st.floats(0, 2e4),
    battery_wh=st.floats(0, 5e3),
    dod=st.floats(0.05, 1.0),
    eta=st.floats(0.7, 1.0),
    bus_w=st.floats(0, 3e3),
    request_w=st.floats(0, 5e3),
    soc=st.floats(0, 1),
    with_thermal=st.booleans(),
)
def test_energy_balance_closes(
    seed, array_w, battery_wh, dod, eta, bus_w, request_w, soc, with_thermal
):
    """generated = consumed + stored + curtailed + battery losses, to 1e-6 relative."""
    rng = np.random.default_rng(seed)
    n_sat, n_time = 3, 200
    sunlit = rng.random((n_sat, n_time)) < 0.6
    t = np.cumsum(np.r_[0.0, rng.uniform(10, 120, n_time - 1)])
    spec = _spec(
        n_sat, array_bol_w=array_w, battery_capacity_j=battery_wh * 3600, battery_max_dod=dod,
        battery_efficiency=eta, bus_w=bus_w, compute_max_w=4e3,
    )  # fmt: skip
    comms = rng.random((n_sat, n_time - 1)) < 0.3
    b = integrate_power(
        spec,
        sunlit,
        t,
        compute_request_w=request_w,
        comms_active=comms,
        initial_soc=soc,
        thermal=_thermal(n_sat) if with_thermal else None,
    )
    scale = max(float(b.energy_j(b.generated_w).max()), float(b.energy_j(b.consumed_w).max()), 1.0)
    assert np.abs(b.balance_residual_j()).max() <= 1e-6 * scale
    cap = spec.battery_capacity_j[:, None]
    assert (b.battery_j <= cap * (1 + 1e-12)).all()
    start_floor = np.minimum((1 - dod) * cap[:, 0], soc * cap[:, 0])
    assert (b.battery_j >= start_floor[:, None] - 1e-6).all()
    assert (b.compute_w <= min(request_w, 4e3) + 1e-9).all()
    assert (b.curtailed_w >= -1e-9).all() and (b.battery_loss_w >= -1e-9).all()


# --- thermal ----------------------------------------------------------------------------------


def test_radiator_fluxes_match_the_reference_figures():
    """shared/reference: eps 0.9, one face at 60 °C to a 0 K sink: 629 W/m2; a blackbody
    panel at 20 °C, both faces: 838 W/m2 (= 2 σ T^4)."""
    assert radiator_capacity_w(1.0, 0.9, 333.15, 0.0) == pytest.approx(629, abs=1)
    assert radiator_capacity_w(2.0, 1.0, 293.15, 0.0) == pytest.approx(838, abs=1)
    t_ss = steady_state_temperature_k(629.0, 1.0, 0.9, 0.0)
    assert t_ss == pytest.approx(333.15, abs=0.2)


def test_transient_temperature_matches_an_ode_solver():
    """Constant heat into one node: our Euler steps vs scipy's RK45 on C dT/dt = P - Q(T)."""
    th = _thermal(1)
    p_w = 4000.0
    t = np.arange(0, 6 * 3600.0 + 1, 30.0)
    temp = np.empty(t.size)
    temp[0] = 260.0
    for k in range(t.size - 1):
        temp[k + 1] = th.step(temp[k : k + 1], np.array([p_w]), 30.0)[0]
    sol = solve_ivp(
        lambda _, y: (p_w - radiator_capacity_w(10.0, 0.85, y, 250.0)) / 5e5,
        (0, t[-1]), [260.0], t_eval=t, rtol=1e-9, atol=1e-9,
    )  # fmt: skip
    assert np.abs(temp - sol.y[0]).max() < 0.5
    # and it heads for the analytic steady state
    t_ss = float(steady_state_temperature_k(p_w, 10.0, 0.85, 250.0))
    assert abs(sol.y[0, -1] - t_ss) < abs(260.0 - t_ss)


def test_compute_is_throttled_to_the_radiator_and_never_overheats():
    """Plenty of power, a small radiator: temperature stays <= T_max, and once there, compute
    settles at the radiator's sustained capacity minus the bus (analytic)."""
    n = 1
    spec = _spec(n, array_bol_w=1e5, bus_w=500.0, comms_w=0.0, compute_max_w=1e4)
    th = _thermal(n, area_m2=5.0, heat_capacity_j_per_k=2e5)
    t = np.arange(0, 12 * 3600.0 + 1, 60.0)
    b = integrate_power(spec, np.ones((n, t.size), bool), t, thermal=th)
    assert np.nanmax(b.temperature_k) <= 333.15 + 1e-9
    sustained = float(radiator_capacity_w(5.0, 0.85, 333.15, 250.0))
    assert b.compute_w[0, -1] == pytest.approx(sustained - 500.0, rel=1e-6)
    assert b.compute_w[0, 0] > b.compute_w[0, -1]  # the thermal mass buys a burst first


def test_thermal_model_rejects_steps_longer_than_its_time_constant():
    th = _thermal(1, heat_capacity_j_per_k=1e3)
    with pytest.raises(ValueError, match="thermal time constant"):
        th.check_step(60.0)


def test_longest_eclipse_is_the_longest_dark_run():
    from orbitcloud.nodes.power import longest_eclipse_s

    sunlit = np.array(
        [[1, 0, 0, 1, 0, 0, 0, 1], [1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 1, 0, 1, 1, 0, 0]]
    )
    t = np.array([0, 10, 20, 30, 40, 50, 60, 70], dtype=float)
    np.testing.assert_array_equal(longest_eclipse_s(sunlit.astype(bool), t), [30.0, 0.0, 20.0])


def test_compute_never_starves_the_bus_when_the_battery_can_carry_the_eclipse():
    """Compute asked at full load all the time: with a battery whose usable energy covers the
    bus through the longest eclipse, the bus is never short (a greedy compute would drain
    the battery in one eclipse and brown the bus out in the next)."""
    rng = np.random.default_rng(3)
    t = np.arange(0, 24 * 3600.0 + 1, 60.0)
    phase = rng.uniform(0, 5700, 4)
    sunlit = ((t[None, :] + phase[:, None]) % 5700.0) < 3700.0  # 2,000 s eclipses
    spec = _spec(4, array_bol_w=6000.0, bus_w=800.0, comms_w=200.0, compute_max_w=3000.0,
                 battery_capacity_j=2.5 * 3600e3)  # fmt: skip
    assert 0.3 * 2.5 * 3600e3 > 1000.0 * 2000.0 / 0.95  # usable energy covers the eclipse
    b = integrate_power(spec, sunlit, t, comms_active=np.ones((4, t.size - 1), bool))
    assert b.unmet_w.max() == 0.0
    assert b.compute_w.sum() > 0


def test_power_spec_from_fleet_is_the_milsca_hardware_per_satellite() -> None:
    """``PowerSpec.from_fleet`` / ``ThermalSpec.from_fleet`` on milsca's fleet-hardware table
    give each satellite its own constellation's hardware, read here straight from the
    scenario's profiles one satellite at a time."""
    from orbitcloud.nodes.hardware import FleetHardware
    from orbitcloud.orbits.satellites import satellites_of
    from orbitcloud.scenario.loader import load_scenario

    sc = load_scenario("milsca")
    sats = satellites_of(sc)
    hw = [sc.constellations[int(c)].hardware for c in sats.constellation]
    fleet = FleetHardware.of(sc, sats)
    spec = PowerSpec.from_fleet(fleet)
    expect = {
        "array_bol_w": [h.solar_array_w for h in hw],
        "degradation_per_year": [h.solar_degradation_per_year for h in hw],
        "years_in_orbit": [h.years_in_orbit for h in hw],
        "battery_capacity_j": [h.battery_wh * 3600.0 for h in hw],
        "battery_max_dod": [h.battery_max_depth_of_discharge for h in hw],
        "battery_efficiency": [h.battery_efficiency for h in hw],
        "bus_w": [h.bus_power_w for h in hw],
        "comms_w": [h.comms_power_w for h in hw],
        "compute_max_w": [h.compute_power_w for h in hw],
    }
    assert len(hw) == fleet.n_sat > 0
    for name, values in expect.items():
        np.testing.assert_array_equal(getattr(spec, name), values, err_msg=name)
    thermal = ThermalSpec.from_fleet(fleet)
    np.testing.assert_array_equal(thermal.area_m2, [h.radiator_area_m2 for h in hw])
    np.testing.assert_array_equal(
        thermal.heat_capacity_j_per_k, [h.effective_heat_capacity_j_per_k for h in hw]
    )
    legacy = PowerSpec.from_scenario(sc, sats)
    assert all(np.array_equal(getattr(legacy, k), getattr(spec, k)) for k in expect)
