"""The shared fault model against its analytic distributions (geometric attempts,
exponential lifetimes) and the reference SEU rates."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from orbitcloud.cloud.faults import FaultModel


def test_seu_rate_and_failure_probability_follow_poisson():
    m = FaultModel(seu_per_bit_day=4.04e-7, sensitive_bits=1e8)  # Alsat-1 COTS rate, 12.5 MB
    assert m.seu_rate_per_s == pytest.approx(4.04e-7 * 1e8 / 86400)
    d = np.array([0.0, 60.0, 600.0, 3600.0])
    np.testing.assert_allclose(m.job_failure_probability(d), 1 - np.exp(-m.seu_rate_per_s * d))
    # a 10-minute job: 40.4 upsets/day x 600 s / 86,400 s = 0.28 expected upsets
    assert m.job_failure_probability(600.0) == pytest.approx(1 - np.exp(-0.2806), abs=1e-3)


def test_attempts_are_geometric_with_the_survival_probability():
    m = FaultModel(seu_per_bit_day=4.04e-7, sensitive_bits=1e8)
    rng = np.random.default_rng(7)
    n = m.draw_attempts(rng, np.full(200_000, 1800.0), max_attempts=50)
    p_ok = np.exp(-m.seu_rate_per_s * 1800.0)
    # mean 1/p and P(n = 1) = p, within 5 standard errors
    assert abs(n.mean() - 1 / p_ok) < 5 * np.sqrt((1 - p_ok) / p_ok**2 / n.size)
    assert abs((n == 1).mean() - p_ok) < 5 * np.sqrt(p_ok * (1 - p_ok) / n.size)


def test_attempts_are_capped_and_seeded():
    m = FaultModel(seu_per_bit_day=1.0, sensitive_bits=1e6)  # hopeless: fails every time
    n = m.draw_attempts(np.random.default_rng(1), np.full(10, 3600.0), max_attempts=3)
    assert (n == 4).all()  # gave up after 3
    quiet = FaultModel()
    assert (quiet.draw_attempts(np.random.default_rng(1), np.full(5, 1e6)) == 1).all()
    a = FaultModel(1e-7, 1e8).draw_attempts(np.random.default_rng(42), np.full(100, 900.0))
    b = FaultModel(1e-7, 1e8).draw_attempts(np.random.default_rng(42), np.full(100, 900.0))
    np.testing.assert_array_equal(a, b)


def test_device_lifetimes_are_exponential():
    """HPE Spaceborne Computer-1: 9 of 20 SSDs failed in 615 days (~0.35/yr as a hazard)."""
    rate = -np.log(1 - 9 / 20) / (615 / 365.25)
    m = FaultModel(failure_per_year=rate)
    t = m.draw_failure_times_s(np.random.default_rng(3), 20_000, horizon_s=np.inf)
    scale_s = 365.25 * 86400 / rate
    assert stats.kstest(t, "expon", args=(0, scale_s)).pvalue > 1e-3
    within = m.draw_failure_times_s(np.random.default_rng(4), 100_000, 615 * 86400.0)
    assert np.isfinite(within).mean() == pytest.approx(9 / 20, abs=0.01)


def test_bad_rates_get_clear_errors():
    with pytest.raises(ValueError, match="seu_per_bit_day must be a finite number >= 0"):
        FaultModel(seu_per_bit_day=-1.0)
    with pytest.raises(ValueError, match="max_attempts must be >= 1"):
        FaultModel().draw_attempts(np.random.default_rng(0), 1.0, max_attempts=0)
