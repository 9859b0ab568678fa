"""Monte Carlo durability against independent oracles: the k-of-n binomial tail without
repair, a continuous-time Markov chain (scipy.linalg.expm) with exponential repair, Poisson
storm thinning, and closed-form expected times."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg, stats

from orbitcloud.faults.schedule import YEAR_S, Lifetimes
from orbitcloud.reliability.durability import (
    DurabilityDesign,
    Policy,
    monte_carlo,
    simulate,
    wilson_interval,
)

Z99 = 0.99


def _contains(lost: int, trials: int, p: float, confidence: float = Z99) -> bool:
    lo, hi = wilson_interval(lost, trials, confidence)
    return lo <= p <= hi


def test_wilson_interval_matches_the_textbook_formula():
    """Wilson (1927) for 10 of 100 at 95 %: (0.0552, 0.1744) (e.g. Newcombe 1998, Table I)."""
    lo, hi = wilson_interval(10, 100)
    assert lo == pytest.approx(0.0552, abs=1e-4)
    assert hi == pytest.approx(0.1744, abs=1e-4)
    assert wilson_interval(0, 50)[0] == 0.0


def test_no_repair_loss_is_the_binomial_tail():
    """Independent exponential lifetimes, no repair: P(loss) = P(Binomial(n, p) > n - k),
    p = 1 - exp(-λT), inside the 99 % interval; a 15 % wrong p is rejected."""
    lifetimes = Lifetimes.from_annual_failure_probability(0.08)
    design = DurabilityDesign(n_satellites=60, n_planes=6, lifetimes=lifetimes, repair=False)
    policies = [Policy.erasure(3, 2, spread="satellite"), Policy.replication(3, spread="plane")]
    table = monte_carlo(design, policies, 20_000, seed=11).to_pylist()
    lam = 1.0 / lifetimes.scale_s
    p = 1.0 - math.exp(-lam * design.mission_s)
    for row, pol in zip(table, policies, strict=True):
        analytic = stats.binom.sf(pol.n - pol.k, pol.n, p)
        assert _contains(row["lost"], row["trials"], analytic), (row, analytic)
        wrong = stats.binom.sf(pol.n - pol.k, pol.n, 1.15 * p)
        assert not _contains(row["lost"], row["trials"], wrong), (row, wrong)
        assert row["repairs_per_object"] == 0.0


def _ctmc_loss_probability(n: int, k: int, lam: float, mu: float, t: float) -> float:
    """States = live shards n..k plus one absorbing 'lost' state; failures i·λ, each missing
    shard repaired at rate μ (independent repairs: (n - i)·μ)."""
    states = list(range(n, k - 1, -1))  # n, n-1, ..., k
    m = len(states) + 1  # last = lost
    q = np.zeros((m, m))
    for a, i in enumerate(states):
        down = a + 1  # i - 1 live (the lost state when i == k)
        q[a, down] += i * lam
        if i < n:
            q[a, a - 1] += (n - i) * mu
        q[a, a] = -q[a].sum()
    return float(linalg.expm(q * t)[0, -1])


def test_exponential_repair_matches_the_markov_chain():
    """Exponential lifetimes and exponential repair delays (mean 1/μ): P(loss by T) equals the
    CTMC absorption probability within the 99 % interval (and a chain with half the repair
    rate does not)."""
    lifetimes = Lifetimes.from_annual_failure_probability(0.25)
    mean_repair_s = 0.25 * YEAR_S
    design = DurabilityDesign(
        n_satellites=300,
        n_planes=30,
        lifetimes=lifetimes,
        scrub_interval_s=0.0,
        shard_bytes=mean_repair_s / 8.0,  # transfer = k · bytes · 8 / 1 bit/s
        repair_bandwidth_bps=2.0,  # k = 2: mean repair = 2 · bytes · 8 / 2 = mean_repair_s
        repair_time="exponential",
    )
    pol = Policy.erasure(2, 1, spread="satellite")
    assert design.mean_repair_s(pol.k) == pytest.approx(mean_repair_s)
    row = monte_carlo(design, [pol], 20_000, seed=5).to_pylist()[0]
    lam, mu = 1.0 / lifetimes.scale_s, 1.0 / mean_repair_s
    analytic = _ctmc_loss_probability(3, 2, lam, mu, design.mission_s)
    assert 0.2 < analytic < 0.8  # a regime where repair matters
    assert _contains(row["lost"], row["trials"], analytic), (row, analytic)
    slow = _ctmc_loss_probability(3, 2, lam, mu / 2, design.mission_s)
    assert not _contains(row["lost"], row["trials"], slow)
    assert row["spare_shortfalls"] == 0


def test_plane_storms_follow_poisson_thinning():
    """Storms only (rate r, each removes one of P planes): a plane is hit by T with
    q = 1 - exp(-rT/P), independently across planes; two copies on distinct planes are lost
    with q²; on two random satellites, with s(q) + (1 - s) q², s = P(same plane)."""
    design = DurabilityDesign(
        n_satellites=40,
        n_planes=4,
        lifetimes=Lifetimes(),
        storms_per_year=0.3,
        repair=False,
    )
    pols = [Policy.replication(2, spread="plane"), Policy.replication(2, spread="satellite")]
    rows = monte_carlo(design, pols, 20_000, seed=3).to_pylist()
    q = 1.0 - math.exp(-0.3 * 5.0 / 4)
    same = 9 / 39
    assert _contains(rows[0]["lost"], rows[0]["trials"], q * q)
    assert _contains(rows[1]["lost"], rows[1]["trials"], same * q + (1 - same) * q * q)
    assert not _contains(rows[1]["lost"], rows[1]["trials"], q * q)  # correlation shows


def test_fraction_storms_are_a_poisson_mixture_of_binomials():
    """A storm removing each satellite with probability f: given N ~ Poisson(rT) storms, a
    satellite survives with (1 - f)^N, independently of the others, so P(loss) is the
    binomial tail averaged over N. Treating satellites as independent (thinning each one
    alone, p = 1 - e^{-rfT}) misses the common storm count and is rejected."""
    r, f = 0.4, 0.25
    design = DurabilityDesign(
        n_satellites=50,
        n_planes=5,
        lifetimes=Lifetimes(),
        storms_per_year=r,
        storm_scope="fraction",
        storm_fraction=f,
        repair=False,
    )
    pol = Policy.erasure(2, 2, spread="satellite")
    row = monte_carlo(design, [pol], 20_000, seed=8).to_pylist()[0]
    counts = np.arange(60)
    p_n = 1.0 - (1.0 - f) ** counts
    mixture = float((stats.poisson.pmf(counts, r * 5.0) * stats.binom.sf(2, 4, p_n)).sum())
    assert _contains(row["lost"], row["trials"], mixture)
    naive = stats.binom.sf(2, 4, 1.0 - math.exp(-r * f * 5.0))
    assert not _contains(row["lost"], row["trials"], naive)


def test_availability_and_full_redundancy_match_expected_times():
    """No repair, exponential λ: one copy is readable E[min(L, T)]/T = (1 - e^{-λT})/(λT) of
    the mission; n shards are all live (1 - e^{-nλT})/(nλT) of it."""
    lifetimes = Lifetimes.from_annual_failure_probability(0.1)
    design = DurabilityDesign(n_satellites=20, n_planes=4, lifetimes=lifetimes, repair=False)
    rows = monte_carlo(design, [Policy.replication(1), Policy.erasure(2, 1)], 20_000, seed=2)
    one, ec = rows.to_pylist()
    lt = design.mission_s / lifetimes.scale_s
    assert one["availability"] == pytest.approx((1 - math.exp(-lt)) / lt, abs=0.005)
    assert ec["full_redundancy_fraction"] == pytest.approx(
        (1 - math.exp(-3 * lt)) / (3 * lt), abs=0.005
    )


def test_repair_lowers_loss_and_counts_traffic():
    """The same fleet with and without repair: repair lowers the loss probability by far,
    and every repair of a k = 4 shard moves 4 shards."""
    base = DurabilityDesign(lifetimes=Lifetimes.from_annual_failure_probability(0.1))
    pol = Policy.erasure(4, 2)
    fixed = monte_carlo(base, [pol], 4_000, seed=1).to_pylist()[0]
    bare = monte_carlo(
        DurabilityDesign(lifetimes=base.lifetimes, repair=False), [pol], 4_000, seed=1
    ).to_pylist()[0]
    assert fixed["p_loss_high"] < bare["p_loss_low"]
    assert fixed["repairs_per_object"] > 0.5
    assert fixed["repair_bytes_per_object"] == pytest.approx(
        fixed["repairs_per_object"] * 4 * base.shard_bytes
    )


def test_results_do_not_depend_on_the_task_cut():
    """Blocks of trials carry their own seeds, so grouping them into tasks changes nothing."""
    design = DurabilityDesign(storms_per_year=0.5, station_availability=(0.69, 0.8))
    pols = [Policy.replication(2, spread="satellite"), Policy.erasure(4, 2)]
    a = monte_carlo(design, pols, 1_700, seed=9, blocks_per_task=1)
    b = monte_carlo(design, pols, 1_700, seed=9, blocks_per_task=3)
    c = monte_carlo(design, pols, 1_700, seed=10, blocks_per_task=3)
    assert a.equals(b)
    assert not a.equals(c)
    row = a.to_pylist()[0]
    assert row["availability_ground"] == pytest.approx(row["availability"] * (1 - 0.31 * 0.2))


def test_bad_designs_get_clear_errors():
    with pytest.raises(ValueError, match=r"needs 6 distinct planes but the design has 4"):
        monte_carlo(DurabilityDesign(n_planes=4), [Policy.erasure(4, 2)], 10, seed=0)
    with pytest.raises(ValueError, match="need 1 <= k <= n"):
        Policy("x", 3, 2)
    with pytest.raises(ValueError, match="scrub_interval_s must be a finite number >= 0"):
        DurabilityDesign(scrub_interval_s=-1.0)


@settings(max_examples=25, deadline=None)
@given(
    k=st.integers(1, 4),
    m=st.integers(0, 3),
    p_year=st.floats(0.0, 0.5),
    storms=st.floats(0.0, 2.0),
    repair=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_trial_invariants(k, m, p_year, storms, repair, seed):
    """Loss happens inside the mission or never; time at full redundancy never exceeds the
    readable time; without repair nothing is repaired, and with no faults nothing is lost."""
    design = DurabilityDesign(
        n_satellites=24,
        n_planes=8,
        lifetimes=Lifetimes.from_annual_failure_probability(p_year),
        storms_per_year=storms,
        repair=repair,
    )
    pol = Policy.erasure(k, m)
    (o,) = simulate(design, [pol], np.random.default_rng(seed), 50)
    T = design.mission_s
    finite = np.isfinite(o.loss_s)
    assert (o.loss_s[finite] <= T).all()
    assert (o.full_s >= -1e-6).all()
    assert (o.full_s <= np.minimum(o.loss_s, T) + 1e-6).all()
    if not repair:
        assert (o.repairs == 0).all()
    if p_year == 0.0 and storms == 0.0:
        assert not finite.any()
        assert (o.full_s == T).all()
