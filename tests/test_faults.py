"""The shared fault model against its analytic distributions (exponential upset waits and
lifetimes, scipy's KS test) and the reference SEU and SSD figures."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from orbitcloud.faults.schedule import FaultModel, Lifetimes


def test_seu_rate_is_the_reference_rate_times_the_sensitive_bits():
    m = FaultModel(seu_per_bit_day=4.04e-7, sensitive_bits=1e8)  # Alsat-1 COTS rate, 12.5 MB
    # by hand: 4.04e-7 x 1e8 = 40.4 upsets/day; a 10-minute job expects 40.4 x 600 / 86,400
    assert m.seu_rate_per_s * 86_400 == pytest.approx(40.4)
    assert m.seu_rate_per_s * 600.0 == pytest.approx(0.2806, abs=1e-4)


def test_time_to_upset_is_exponential_and_seeded():
    """KS test against scipy's exponential of mean 1/λ; a job of d seconds survives with
    probability e^-λd (the fraction of waits longer than d, within 5 sigma)."""
    m = FaultModel(seu_per_bit_day=4.04e-7, sensitive_bits=1e8)
    rng = np.random.default_rng(7)
    t = np.array([m.time_to_upset_s(rng) for _ in range(20_000)])
    mean_s = 86_400 / 40.4
    assert stats.kstest(t, "expon", args=(0, mean_s)).pvalue > 1e-3
    p_ok = np.exp(-1800.0 / mean_s)
    assert abs((t > 1800.0).mean() - p_ok) < 5 * np.sqrt(p_ok * (1 - p_ok) / t.size)
    assert FaultModel().time_to_upset_s(rng) == np.inf
    a = [m.time_to_upset_s(np.random.default_rng(42)) for _ in range(3)]
    assert a[0] == a[1] == a[2]


def test_exponential_device_lifetimes_match_the_iss_ssd_figure():
    """HPE Spaceborne Computer-1: 9 of 20 SSDs failed in 615 days; as a constant hazard
    (Weibull shape 1) that is -ln(11/20) per 615 days, and draws reproduce the 45 %."""
    rate_per_year = -np.log(1 - 9 / 20) / (615 / 365.25)
    life = Lifetimes(shape=1.0, scale_s=365.25 * 86400 / rate_per_year)
    t = life.draw_s(np.random.default_rng(3), 100_000)
    assert stats.kstest(t, "expon", args=(0, life.scale_s)).pvalue > 1e-3
    assert (t <= 615 * 86400.0).mean() == pytest.approx(9 / 20, abs=0.01)


def test_bad_rates_get_clear_errors():
    with pytest.raises(ValueError, match="seu_per_bit_day must be a finite number >= 0"):
        FaultModel(seu_per_bit_day=-1.0)
