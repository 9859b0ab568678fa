"""The roadmap (orbitcloud.assess.roadmap) and the business case (orbitcloud.assess.finance).

Oracles: a two-year roadmap computed by hand below (every formula written out, not taken from
the code); numpy_financial for NPV and IRR; the discounting identity NPV(IRR) = 0; the static
model's break-even launcher factor, which a one-build-year roadmap must reproduce exactly.
"""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest

from orbitcloud.assess.finance import discounted_payback_yr, irr, npv
from orbitcloud.assess.fleet import Fleet, fleet_of
from orbitcloud.assess.model import Options, evaluate
from orbitcloud.assess.roadmap import Plan, launcher_condition, roadmap
from orbitcloud.scenario.loader import load_scenario
from orbitcloud.scenario.parameters import load_parameters

H = 8766.0  # hours in a Julian year


# --- finance --------------------------------------------------------------------------------


def _flows(seed: int, n_years: int = 12, n: int = 6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cf = rng.uniform(5.0, 40.0, size=(n_years, n))
    cf[0] = -rng.uniform(50.0, 150.0, size=n)  # one investment, then income: one IRR
    return cf


@pytest.mark.parametrize("rate", [0.0, 0.03, 0.08, 0.25])
def test_npv_matches_numpy_financial(rate):
    cf = _flows(1)
    got = npv(rate, cf)
    want = np.array([npf.npv(rate, cf[:, k]) for k in range(cf.shape[1])])
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_irr_matches_numpy_financial_and_zeroes_the_npv():
    cf = _flows(2)
    r = irr(cf)
    want = np.array([npf.irr(cf[:, k]) for k in range(cf.shape[1])])
    np.testing.assert_allclose(r, want, rtol=1e-9)
    # the discounting identity: NPV at the IRR is 0 (relative to the investment)
    np.testing.assert_allclose(npv(r, cf) / np.abs(cf[0]), 0.0, atol=1e-10)


def test_irr_is_nan_without_a_sign_change_and_handles_a_negative_rate():
    assert np.isnan(irr(np.array([10.0, 5.0, 5.0]))[0])  # never negative
    assert np.isnan(irr(np.array([-10.0, -5.0, -5.0]))[0])  # never positive
    cf = np.array([-100.0, 30.0, 30.0, 30.0])  # repays only 90: IRR < 0
    r = irr(cf)[0]
    assert r == pytest.approx(npf.irr(cf), rel=1e-9) and r < 0


def test_discounted_payback_by_hand():
    # r = 0: cumulative -100, -40, +20: reached 40/60 of the way through the second year
    assert discounted_payback_yr(0.0, np.array([-100.0, 60.0, 60.0]))[0] == pytest.approx(
        1.0 + 40.0 / 60.0, rel=1e-12
    )
    # r = 10 %: -100, -100 + 66/1.1 = -40, -40 + 72.6/1.21 = +20 again
    assert discounted_payback_yr(0.1, np.array([-100.0, 66.0, 72.6]))[0] == pytest.approx(
        1.0 + 40.0 / 60.0, rel=1e-12
    )
    assert np.isnan(discounted_payback_yr(0.1, np.array([-100.0, 10.0, 10.0]))[0])


# --- a two-year roadmap by hand ----------------------------------------------------------------


def _hand_fleet() -> Fleet:
    """One 100 kW module of 2,000 kg (stated), 90 % of its compute sustained, 10 TB."""

    def one(x: float) -> np.ndarray:
        return np.array([x])

    return Fleet(
        names=["m"], n_sat=one(1), it_w=one(100_000.0), bus_w=one(5_000.0),
        storage_tb=one(10.0), array_w=one(200_000.0), battery_wh=one(10_000.0),
        radiator_m2=one(200.0), mass_kg=one(2000.0), battery_dod=one(0.8),
        battery_efficiency=one(0.95), degradation_per_year=one(0.0),
        sunlit_fraction=one(1.0), eclipse_s=one(0.0), power_availability=one(0.9),
        utilisation=None, sources={},
    )  # fmt: skip


HAND = {
    "ops.design_life_yr": 1.5,  # a cohort runs one full year and half the next
    "ops.utilisation": 0.8,
    "ops.annual_failure_probability": 0.1,
    "it.annual_failure_rate": 0.05,
    "sizing.it_kg_per_kw": 10.0,
    "sizing.storage_kg_per_tb": 1.0,  # platform = 2000 - 100 x 10 - 10 x 1 = 990 kg
    "launch.falcon9.ef_lifecycle_kgco2e_per_kg": 1000.0,
    "launch.falcon9.payload_kg": 3000.0,  # one module per launch
    "launch.falcon9.price_usd_per_kg": 2000.0,
    "roadmap.launch_ef_decline_per_yr": 0.1,
    "roadmap.launch_price_decline_per_yr": 0.2,
    "roadmap.servicing_mass_fraction_per_yr": 0.01,
    "spacecraft.manufacturing_kgco2e_per_kg": 100.0,
    "spacecraft.end_of_life_kgco2e_per_kg": 10.0,
    "spacecraft.cost_usd_per_kg": 1000.0,
    "ops.ground_segment_energy_fraction": 0.02,
    "ops.orbit_opex_fraction_per_yr": 0.05,
    "it.embodied_kgco2e_per_kwh": 0.03,
    "it.cost_usd_per_kw": 20_000.0,
    "ground.pue": 1.5,
    "ground.pue_2050": 1.23,  # -0.01 a year from 2023
    "ground.wue_onsite_l_per_kwh": 1.0,
    "ground.generation_water_l_per_kwh": 5.0,
    "ground.electricity_eur_per_kwh": 0.1,
    "cost.usd_per_eur": 1.1,
    "ground.facility_capex_usd_per_kw": 10_000.0,
    "ground.facility_life_yr": 20.0,
    "ground.opex_fraction_per_yr": 0.04,
    "revenue.compute_usd_per_kwh": 2.0,
    "revenue.storage_usd_per_tb_month": 5.0,
    "finance.discount_rate": 0.1,
    "grid.ZZ.2024.gco2e_per_kwh": 300.0,  # 250 in 2025, 200 in 2026
    "grid.ZZ.2028.gco2e_per_kwh": 100.0,
}


def _hand_params() -> dict[str, np.ndarray]:
    p = {k: np.array([v.value]) for k, v in load_parameters().items()}
    p.update({k: np.array([v]) for k, v in HAND.items()})
    return p


def _hand_expected() -> dict[str, list[float]]:
    """Every yearly row of the hand case, 2025 and 2026."""
    lam = -math.log(0.9) - math.log(0.95)  # module and IT failures
    lam_m = -math.log(0.9)
    full = (1 - math.exp(-lam)) / lam  # int_0^1 e^-lt dt
    half = (math.exp(-lam) - math.exp(-1.5 * lam)) / lam  # int_1^1.5
    full_m = (1 - math.exp(-lam_m)) / lam_m
    half_m = (math.exp(-lam_m) - math.exp(-1.5 * lam_m)) / lam_m
    # target 0.1 MW in 2025 (1 module), 0.3 MW in 2026 (3), cadence 1 launch (1 module) a year
    launched, in_service = [1.0, 1.0], [1.0, 2.0]
    e_kw = 100.0 * 0.9 * H * 0.8  # kWh per module-year at full survival
    energy = [e_kw * full, e_kw * (half + full)]
    tb_months = [12 * 10 * full_m, 12 * 10 * (half_m + full_m)]
    ci = [0.250, 0.200]  # kg/kWh
    pue = [1.48, 1.47]
    ef = [1000.0, 900.0]
    price = [2000.0, 1600.0]
    servicing = [0.01 * 1 * 2000.0, 0.01 * 2 * 2000.0]
    ending = [0.0, 1.0]  # the first cohort's life ends in 2026
    orbit, ground, ow, gw, capex, opex, revenue, gcost = [], [], [], [], [], [], [], []
    launch_co2e = []
    for i in range(2):
        e = energy[i]
        mfg = (launched[i] * 990.0 + servicing[i]) * 100.0
        launch = (launched[i] * 2000.0 + servicing[i]) * ef[i]
        eol = ending[i] * 2000.0 * 10.0
        gs = 0.02 * e * ci[i]
        orbit.append(mfg + launch + eol + gs + e * 0.03)
        launch_co2e.append(launch)
        ground.append(e * (pue[i] * ci[i] + 0.03) + e * 0.03 * 0.05 * 1.5)
        ow.append(0.02 * 5.0 * e)
        gw.append(e * (1.0 + pue[i] * 5.0))
        capex.append(
            (launched[i] * 2000.0 + servicing[i]) * price[i]
            + (launched[i] * 990.0 + servicing[i]) * 1000.0
            + launched[i] * 100.0 * 20_000.0
        )
        opex.append(in_service[i] * 990.0 * 1000.0 * 0.05 + 0.02 * e * 0.1 * 1.1)
        revenue.append(e * 2.0 + tb_months[i] * 5.0)
        fixed = 10_000.0 * 1.5 / 20.0 + 10_000.0 * 0.04 * 1.5 + 20_000.0
        per_kwh = fixed / (H * 1.5 * 0.8) + pue[i] * 0.1 * 1.1
        gcost.append(e * per_kwh + 0.05 * 20_000.0 * e / (H * 0.8))
    net = [revenue[i] - capex[i] - opex[i] for i in range(2)]
    dcf = [net[0], net[1] / 1.1]
    return {
        "year": [2025.0, 2026.0],
        "target_mw": [0.1, 0.3],
        "modules_launched": launched,
        "modules_retired": [0.0, 0.0],
        "modules_in_service": in_service,
        "launches": [2.0, 2.0],  # one module launch + one servicing launch each year
        "launch_mass_kg": [2000.0 + servicing[0], 2000.0 + servicing[1]],
        "it_mw_nameplate": [0.1, 0.2],
        "it_mw_delivered": [e / (H * 0.8) / 1000.0 for e in energy],
        "energy_kwh": energy,
        "storage_tb_months": tb_months,
        "launch_ef_kgco2e_per_kg": ef,
        "launch_price_usd_per_kg": price,
        "grid_kgco2e_per_kwh": ci,
        "ground_pue": pue,
        "orbit_launch_co2e_kg": launch_co2e,
        "orbit_co2e_kg": orbit,
        "ground_co2e_kg": ground,
        "cumulative_orbit_co2e_kg": [orbit[0], orbit[0] + orbit[1]],
        "cumulative_ground_co2e_kg": [ground[0], ground[0] + ground[1]],
        "orbit_water_l": ow,
        "ground_water_l": gw,
        "cumulative_orbit_water_l": [ow[0], ow[0] + ow[1]],
        "cumulative_ground_water_l": [gw[0], gw[0] + gw[1]],
        "capex_usd": capex,
        "opex_usd": opex,
        "revenue_usd": revenue,
        "net_cash_flow_usd": net,
        "discounted_cash_flow_usd": dcf,
        "cumulative_discounted_cash_flow_usd": [dcf[0], dcf[0] + dcf[1]],
        "ground_cost_usd": gcost,
    }


def test_two_year_roadmap_matches_the_hand_computation_row_by_row():
    plan = Plan(
        2025, 2026, {2025: 0.1, 2026: 0.3}, {2025: "falcon9"}, "lifecycle", "ZZ",
        max_launches_per_year=1,
    )  # fmt: skip
    got = roadmap(_hand_fleet(), _hand_params(), plan)
    expected = _hand_expected()
    assert set(expected) == set(got)  # every column of the table is checked
    for key, want in expected.items():
        np.testing.assert_allclose(got[key][:, 0], want, rtol=1e-9, err_msg=key)


def test_cadence_shortfall_carries_over_and_retiring_cohorts_are_replaced():
    """Target 0.3 MW from 2025, one module a year, life 1.5 yr (two operating years): 2025
    launches 1, 2026 launches 1 (backlog 1), 2027 retires the 2025 cohort and launches 1."""
    plan = Plan(2025, 2027, {2025: 0.3}, {2025: "falcon9"}, "lifecycle", "ZZ", 1)
    got = roadmap(_hand_fleet(), _hand_params(), plan)
    np.testing.assert_array_equal(got["modules_launched"][:, 0], [1, 1, 1])
    np.testing.assert_array_equal(got["modules_retired"][:, 0], [0, 0, 1])
    np.testing.assert_array_equal(got["modules_in_service"][:, 0], [1, 2, 2])


# --- the launcher condition against the static break-even -----------------------------------


@pytest.fixture(scope="module")
def ascend_fleet() -> Fleet:
    return fleet_of(load_scenario("ascend"))


STATIC = {
    "it.annual_failure_rate": 0.0,
    "roadmap.servicing_mass_fraction_per_yr": 0.0,
    "roadmap.launch_ef_decline_per_yr": 0.0,
    "roadmap.launch_price_decline_per_yr": 0.0,
    "ground.pue_2050": load_parameters()["ground.pue"].value,
}


@pytest.mark.parametrize("launcher", ["falcon9", "ariane6", "starship"])
@pytest.mark.parametrize(
    "boundary", ["combustion-production", "lifecycle", "lifecycle-high-altitude"]
)
@pytest.mark.parametrize("accounting", ["cumulative", "attributed"])
def test_one_build_year_reproduces_the_static_break_even(
    ascend_fleet, launcher, boundary, accounting
):
    """One build year, constant grid and PUE, no IT failures or servicing: cumulative over one
    design life (10 yr) or attributed over a single year gives the static model's factor."""
    params = load_parameters().with_overrides(STATIC)
    p = {k: np.array([v.value]) for k, v in params.items()}
    static = evaluate(
        ascend_fleet, p, Options(launcher=launcher, boundary=boundary,
                                 grid_name="grid.EU.2023.gco2e_per_kwh"),
    )  # fmt: skip
    want = static["launch_ef_kgco2e_per_kg"][0] / static["break_even_launch_ef"][0]
    mw = ascend_fleet.it_w_total / 1e6
    end = 2036 + (9 if accounting == "cumulative" else 0)
    plan = Plan(2036, end, {2036: mw}, {2036: launcher}, boundary, "EU:2023",
                accounting=accounting)  # fmt: skip
    got = launcher_condition(ascend_fleet, p, plan, launcher, boundary)
    assert got["factor"][0] == pytest.approx(want, rel=1e-9)
    assert got["required_ef"][0] == pytest.approx(static["break_even_launch_ef"][0], rel=1e-9)


def test_launcher_condition_makes_orbit_equal_ground(ascend_fleet):
    """Divide every launch factor by the condition's k: cumulative orbit = ground in 2050."""
    base = load_parameters()
    p = {k: np.array([v.value]) for k, v in base.items()}
    plan = Plan(2026, 2050, {2036: 10, 2040: 200, 2050: 1000}, {2026: "ariane6"}, "lifecycle",
                "EU:2023")  # fmt: skip
    k = launcher_condition(ascend_fleet, p, plan, "ariane6", "lifecycle")["factor"][0]
    assert np.isfinite(k) and k > 1
    name = "launch.ariane6.ef_lifecycle_kgco2e_per_kg"
    q = dict(p, **{name: p[name] / k})
    r = roadmap(ascend_fleet, q, plan)
    assert r["cumulative_orbit_co2e_kg"][-1, 0] == pytest.approx(
        r["cumulative_ground_co2e_kg"][-1, 0], rel=1e-9
    )


def test_payback_counts_from_the_first_row_and_needs_the_cumulative_to_stay_positive():
    # idle years first: cumulative 0, 0, -100, -40, +20: 3 + 40/60 years after the first row
    cf = np.array([0.0, 0.0, -100.0, 60.0, 60.0])
    assert discounted_payback_yr(0.0, cf)[0] == pytest.approx(3.0 + 40.0 / 60.0, rel=1e-12)
    # positive, then negative for good: no payback
    assert np.isnan(discounted_payback_yr(0.0, np.array([10.0, -100.0, 5.0]))[0])


# --- the command and the ascend example ----------------------------------------------------


def test_launcher_condition_command_on_the_ascend_example(tmp_path):
    """Every choice is tabulated; each finite row's k is the launcher's factor over the
    required one; the decarbonising EU grid leaves no launcher sufficing by 2050, the 2023
    grid held constant gives finite answers, and at least one choice is ASCEND's ~10x."""
    import json

    from typer.testing import CliRunner

    from orbitcloud.cli import app

    out = tmp_path / "lc.json"
    res = CliRunner().invoke(app, ["launcher-condition", "ascend", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "no launcher suffices" in res.output and "assumptions:" in res.output
    r = json.loads(out.read_text())
    rows = r["launcher_condition"]["rows"]
    assert len(rows) == 3 * 3 * 2 * 2  # launchers x boundaries x accountings x grids
    for row in rows:
        if row["factor"] is not None:
            assert row["factor"] * row["required_ef_kgco2e_per_kg"] == pytest.approx(
                row["launcher_ef_kgco2e_per_kg"], rel=1e-12
            )
    assert all(row["factor"] is None for row in rows if row["grid"] == "EU")
    assert all(row["factor"] is not None for row in rows if row["grid"] == "EU:2023")
    assert r["launcher_condition"]["about_ten_times"]
    # the run folder's table: one row per year, 2030-2050
    assert [t["year"] for t in r["table"]] == list(range(2030, 2051))
    assert r["table"][-1]["modules_in_service"] == 1299  # ceil(1 GW / 0.77 MW)
    fin = r["finance"]
    years = np.arange(len(r["table"]))
    cf = np.array([t["net_cash_flow_usd"] for t in r["table"]])
    assert fin["npv_usd"] == pytest.approx(npf.npv(fin["discount_rate"], cf), rel=1e-12)
    assert years.size == 21


def test_roadmap_schema_errors_name_the_field():
    from orbitcloud.scenario.assessment import RoadmapSpec

    with pytest.raises(ValueError, match="end_year 2030 is before start_year 2040"):
        RoadmapSpec.model_validate({"start_year": 2040, "end_year": 2030, "capacity_mw": {2040: 1}})
    with pytest.raises(ValueError, match=r"available: .*EU"):
        RoadmapSpec.model_validate({"capacity_mw": {2050: 1}, "grid": "XX"})
    with pytest.raises(ValueError, match="at most 100 allowed"):
        RoadmapSpec.model_validate({"start_year": 2000, "end_year": 2150, "capacity_mw": {2050: 1}})
    with pytest.raises(ValueError, match="capacity_mw"):
        RoadmapSpec.model_validate({"capacity_mw": {2050: -5}})


# --- the correlated Monte Carlo ---------------------------------------------------------------


def _tri_cdf(x: np.ndarray, a: float, c: float, b: float) -> np.ndarray:
    """Triangular CDF (low a, mode c, high b), written out."""
    left = (x - a) ** 2 / ((b - a) * (c - a)) if c > a else np.zeros_like(x)
    right = 1.0 - (b - x) ** 2 / ((b - a) * (b - c))
    return np.where(x <= c, left, right)


def test_correlated_draws_have_triangular_margins_and_the_documented_correlations():
    from scipy.stats import norm

    from orbitcloud.assess.sensitivity import correlated_draws

    params = load_parameters()
    n = 20_000
    d = correlated_draws(params, n, seed=7)
    for name in ("launch.falcon9.price_usd_per_kg", "ground.pue", "grid.EU.2040.gco2e_per_kwh"):
        p = params[name]
        mean = (p.low + p.value + p.high) / 3.0  # the triangular mean
        sd = math.sqrt(
            (p.low**2 + p.value**2 + p.high**2 - p.low * p.value - p.low * p.high
             - p.value * p.high) / 18.0
        )  # fmt: skip
        assert abs(d[name].mean() - mean) < 5 * sd / math.sqrt(n), name
        assert d[name].min() >= p.low and d[name].max() <= p.high

    def score(name: str) -> np.ndarray:
        p = params[name]
        u = _tri_cdf(d[name], p.low, p.value, p.high)
        return norm.ppf(np.clip(u, 1e-12, 1 - 1e-12))

    def rho(a: str, b: str) -> float:
        return float(np.corrcoef(score(a), score(b))[0, 1])

    # blocks: a launcher's price and factors (0.5), a country's years (0.8), revenue (0.5)
    assert rho(
        "launch.starship.price_usd_per_kg", "launch.starship.ef_lifecycle_kgco2e_per_kg"
    ) == (pytest.approx(0.5, abs=0.03))
    assert rho("grid.EU.2030.gco2e_per_kwh", "grid.EU.2040.gco2e_per_kwh") == pytest.approx(
        0.8, abs=0.02
    )
    assert rho("revenue.compute_usd_per_kwh", "revenue.storage_usd_per_tb_month") == (
        pytest.approx(0.5, abs=0.03)
    )
    # across blocks: independent
    assert rho("launch.starship.price_usd_per_kg", "ground.pue") == pytest.approx(0.0, abs=0.03)
    assert rho("grid.EU.2030.gco2e_per_kwh", "grid.DE.2030.gco2e_per_kwh") == pytest.approx(
        0.0, abs=0.03
    )
    # seeded
    again = correlated_draws(params, n, seed=7)
    np.testing.assert_array_equal(again["ground.pue"], d["ground.pue"])


def test_roadmap_monte_carlo_summary_is_the_fraction_of_draws(ascend_fleet):
    """P(orbit lower by the end) and the NPV percentiles of assess_roadmap are those of the
    roadmap evaluated on the same seeded draws (recomputed here with numpy_financial)."""
    from orbitcloud.assess.roadmap_report import assess_roadmap
    from orbitcloud.assess.sensitivity import correlated_draws

    params = load_parameters()
    plan = Plan(2030, 2040, {2032: 10, 2040: 100}, {2030: "starship"}, "lifecycle", "EU:2023")
    out = assess_roadmap(
        ascend_fleet, params, plan, held_grid="EU:2023", trials=300, seed=3, fleet_sources={}
    )
    d = correlated_draws(params, 300, 3)
    r = roadmap(ascend_fleet, d, plan)
    lower = r["cumulative_orbit_co2e_kg"][-1] < r["cumulative_ground_co2e_kg"][-1]
    u = out["uncertainty"]
    assert u["probability_orbit_lower_by_end"] == pytest.approx(lower.mean(), abs=1e-12)
    npvs = np.array(
        [npf.npv(d["finance.discount_rate"][k], r["net_cash_flow_usd"][:, k]) for k in range(300)]
    )
    assert u["npv_usd"]["p50"] == pytest.approx(float(np.percentile(npvs, 50)), rel=1e-9)
    assert 0.0 < u["probability_orbit_lower_by_end"] < 1.0  # starship: the draws disagree


def test_monte_carlo_in_chunks_gives_the_same_band(ascend_fleet, monkeypatch):
    """Chunking the draws (memory bound) changes nothing: 300 draws in chunks of 2."""
    import orbitcloud.assess.roadmap_report as rr

    params = load_parameters()
    plan = Plan(2030, 2040, {2032: 10, 2040: 100}, {2030: "starship"}, "lifecycle", "EU:2023")

    def run() -> dict:
        return rr.assess_roadmap(
            ascend_fleet, params, plan, held_grid="EU:2023", trials=300, seed=3,
            fleet_sources={},
        )["uncertainty"]  # fmt: skip

    whole = run()
    monkeypatch.setattr(rr, "MAX_CELLS", 2 * 11 * 11)
    assert run() == whole


def test_two_year_roadmap_attributed_accounting_by_hand():
    """Attributed: each cohort's manufacturing, launch and end of life spread over its
    lifetime energy, int_0^1.5 e^-lt dt, in proportion to each year's share of it."""
    plan = Plan(
        2025, 2026, {2025: 0.1, 2026: 0.3}, {2025: "falcon9"}, "lifecycle", "ZZ",
        max_launches_per_year=1, accounting="attributed",
    )  # fmt: skip
    got = roadmap(_hand_fleet(), _hand_params(), plan)
    lam = -math.log(0.9) - math.log(0.95)
    full = (1 - math.exp(-lam)) / lam
    half = (math.exp(-lam) - math.exp(-1.5 * lam)) / lam
    life = full + half  # = (1 - e^-1.5l) / l
    one_off = [990.0 * 100.0 + 2000.0 * ef + 2000.0 * 10.0 for ef in (1000.0, 900.0)]
    e_kw = 100.0 * 0.9 * H * 0.8
    energy = [e_kw * full, e_kw * (half + full)]
    ci, ef = [0.25, 0.2], [1000.0, 900.0]
    servicing = [20.0, 40.0]
    yearly = [servicing[i] * (100.0 + ef[i]) + energy[i] * (0.02 * ci[i] + 0.03) for i in (0, 1)]
    want = [
        one_off[0] * full / life + yearly[0],
        one_off[0] * half / life + one_off[1] * full / life + yearly[1],
    ]
    np.testing.assert_allclose(got["orbit_co2e_kg"][:, 0], want, rtol=1e-9)
    launch = [
        2000.0 * 1000.0 * full / life + 20.0 * 1000.0,
        2000.0 * 1000.0 * half / life + 2000.0 * 900.0 * full / life + 40.0 * 900.0,
    ]
    np.testing.assert_allclose(got["orbit_launch_co2e_kg"][:, 0], launch, rtol=1e-9)
