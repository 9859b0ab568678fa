"""Deep-space link budget: free-space loss against a hand computation, the inverse-square law
of the rate, caps and cut-offs, dispatch, and MRO's X-band downlink against NASA's figures."""

from __future__ import annotations

import numpy as np
import pytest

from orbitcloud.constants import AU_KM
from orbitcloud.links.budget import (
    BAND_FREQUENCY_HZ,
    BOLTZMANN_DBW_PER_HZ_K,
    deep_space_rate_bps,
    free_space_loss_db,
    space_link_rate_bps,
)
from orbitcloud.links.isl import link_rate_bps
from orbitcloud.scenario.rates import DeepSpaceRate, FixedRate, LinkBudgetRate

MILE_KM = 1.609344  # international mile (exact)
C_M_S = 299792458.0


def test_free_space_loss_one_au_x_band_by_hand() -> None:
    # by hand: log10(4π) = 1.0992099, log10(1.495978707e11 m) = 11.1749286,
    # log10(8.42e9 Hz) = 9.9253093, log10(299792458 m/s) = 8.4768207
    # 20 × (1.0992099 + 11.1749286 + 9.9253093 − 8.4768207) = 274.4525 dB
    loss = float(free_space_loss_db(np.array(AU_KM), 8.42e9))
    assert abs(loss - 274.4525) < 0.01
    # other bands scale by 20 log10(f2 / f1): S at 1 AU = 274.4525 − 11.2946 = 263.158 dB
    s_band = float(free_space_loss_db(np.array(AU_KM), BAND_FREQUENCY_HZ["S"]))
    assert abs(s_band - 263.158) < 0.01
    # shape is kept, 20 dB per decade of range
    d = np.array([[1e5, 1e6], [1e7, 1e8]])
    loss = free_space_loss_db(d, 8.42e9)
    assert loss.shape == (2, 2)
    np.testing.assert_allclose(np.diff(loss.ravel()), 20.0, atol=1e-12)


def test_boltzmann_and_bands() -> None:
    assert abs(BOLTZMANN_DBW_PER_HZ_K + 228.599) < 1e-3  # DSN 810-005 rounds to −228.6
    assert BAND_FREQUENCY_HZ == {"S": 2.295e9, "X": 8.42e9, "Ka": 32.0e9}
    for band, (lo, hi) in {
        "S": (2.29e9, 2.30e9),
        "X": (8.40e9, 8.45e9),
        "Ka": (31.8e9, 32.3e9),
    }.items():
        assert lo <= BAND_FREQUENCY_HZ[band] <= hi


def mro_x_band(max_rate_bps: float = 1e12, min_rate_bps: float = 0.0) -> DeepSpaceRate:
    """MRO X-band downlink to a DSN 34 m beam-waveguide antenna, from first principles:

    * MRO: 100 W TWTA (20 dBW) into a 3 m HGA (NASA MRO "X-band Communications" page; Taylor,
      Lee & Shambayati 2006, *MRO Telecommunications*, DESCANSO DPSS article 12); gain
      η (π D / λ)² with η = 0.55 gives 45.9 dBi; 0.5 dB circuit loss: EIRP 65.4 dBW.
    * 34 m BWG: η = 0.70 gives 68.0 dBi at 8.42 GHz, system noise 30 K at mid elevation
      (DSN 810-005 module 104 quotes ~68 dBi and 20–40 K): G/T 53.2 dB/K.
    * turbo rate 1/2 threshold Eb/N0 1 dB, 3 dB margin, 1 dB atmosphere and pointing.
    """
    lam_m = C_M_S / BAND_FREQUENCY_HZ["X"]
    hga_dbi = 10 * np.log10(0.55 * (np.pi * 3.0 / lam_m) ** 2)
    bwg_dbi = 10 * np.log10(0.70 * (np.pi * 34.0 / lam_m) ** 2)
    return DeepSpaceRate(
        kind="deep_space",
        band="X",
        eirp_dbw=float(20.0 + hga_dbi - 0.5),
        g_t_db_per_k=float(bwg_dbi - 10 * np.log10(30.0)),
        required_ebn0_db=1.0,
        margin_db=3.0,
        losses_db=1.0,
        max_rate_bps=max_rate_bps,
        min_rate_bps=min_rate_bps,
    )


def test_mro_downlink_order_of_magnitude_vs_nasa() -> None:
    rate = mro_x_band()
    # NASA (mars.nasa.gov/mro/mission/communications/commxband): "at its closest range of about
    # 60 million miles ... 3 to 4 megabits per second"; "at its maximum distance of about
    # 250 million miles ... at least 500 kilobits per second"; designed for up to 6 Mbit/s from
    # 100 million km (NASA MRO launch press kit, 2005).
    near, far, design = deep_space_rate_bps(
        rate, np.array([60e6 * MILE_KM, 250e6 * MILE_KM, 100e6])
    )
    # measured: 14.2, 0.82 and 13.3 Mbit/s. The near figures exceed NASA's by 3.4–5.5 dB: the
    # operational budget also carries carrier suppression by the ranging and telemetry
    # modulation indices, low-elevation noise and a concatenated (7,1/2)+RS code (Eb/N0 ~2.5 dB)
    # that this three-number budget leaves to `losses_db`.
    assert 3e6 < near < 4e6 * 4
    assert 0.5e6 < far < 0.5e6 * 4
    assert 6e6 / 3 < design < 6e6 * 3
    # the brief's 0.7 AU / 2.6 AU points: 4–6 Mbit/s and 0.5–1 Mbit/s within a factor 3
    at_07, at_26 = deep_space_rate_bps(rate, np.array([0.7, 2.6]) * AU_KM)
    assert 4e6 / 3 < at_07 < 6e6 * 3
    assert 0.5e6 / 3 < at_26 < 1e6 * 3
    # with MRO's 6 Mbit/s radio cap the near rate is the cap
    capped = deep_space_rate_bps(mro_x_band(max_rate_bps=6e6), np.array([60e6 * MILE_KM]))
    assert capped[0] == 6e6


def test_inverse_square_law_exact_where_uncapped() -> None:
    rate = mro_x_band()
    d_km = np.array([0.5, 1.0, 1.7, 2.6]) * AU_KM
    r = deep_space_rate_bps(rate, d_km)
    np.testing.assert_allclose(r[0] / r[1:], (d_km[1:] / d_km[0]) ** 2, rtol=1e-12)


def test_budget_bookkeeping_inverse() -> None:
    """Pr/N0 − 10 log10 R = Eb/N0 + margin, Pr/N0 rebuilt from its terms independently."""
    rate = mro_x_band()
    d_km = np.geomspace(1e6, 5 * AU_KM, 7)
    r = deep_space_rate_bps(rate, d_km)
    fspl = 20 * np.log10(4 * np.pi * d_km * 1000.0 * 8.42e9 / C_M_S)
    pr_n0 = rate.eirp_dbw + rate.g_t_db_per_k - fspl - rate.losses_db + 228.5991672
    np.testing.assert_allclose(pr_n0 - 10 * np.log10(r), 1.0 + 3.0, atol=1e-6)


def test_cap_cutoff_frequency_override_and_shape() -> None:
    rate = mro_x_band(max_rate_bps=6e6, min_rate_bps=1e6)
    d_km = np.array([[1e6, 1.0 * AU_KM], [2.0 * AU_KM, np.nan]])
    r = deep_space_rate_bps(rate, d_km)
    assert r.shape == (2, 2)
    assert r[0, 0] == 6e6  # capped
    uncapped = deep_space_rate_bps(mro_x_band(), np.array([2.0 * AU_KM, 3.0 * AU_KM]))
    below = deep_space_rate_bps(rate, np.array([2.0 * AU_KM, 3.0 * AU_KM]))
    np.testing.assert_array_equal(below, np.where(uncapped >= 1e6, uncapped, 0.0))
    assert r[1, 1] == 0.0  # no range, no contact
    # an explicit frequency wins over the band: Ka at X's budget loses 20 log10(32/8.42) dB
    ka = rate.model_copy(update={"frequency_hz": 32.0e9, "max_rate_bps": 1e12, "min_rate_bps": 0})
    x = rate.model_copy(update={"max_rate_bps": 1e12, "min_rate_bps": 0})
    ratio = deep_space_rate_bps(x, np.array([AU_KM])) / deep_space_rate_bps(ka, np.array([AU_KM]))
    assert abs(10 * np.log10(ratio[0]) - 20 * np.log10(32.0 / 8.42)) < 1e-9


@pytest.mark.parametrize(
    "rate",
    [
        FixedRate(kind="fixed", rate_bps=1e9),
        LinkBudgetRate(
            kind="link_budget",
            tx_power_w=5.0,
            tx_gain_dbi=110.0,
            rx_gain_dbi=110.0,
            wavelength_m=1.55e-6,
            bandwidth_hz=1e10,
            system_noise_temp_k=500.0,
            max_rate_bps=1e11,
        ),
    ],
)
def test_dispatch_reuses_isl_rates(rate: FixedRate | LinkBudgetRate) -> None:
    d_km = np.array([[1e3, 1e4], [1e5, 4e5]])
    np.testing.assert_array_equal(space_link_rate_bps(rate, d_km), link_rate_bps(rate, d_km))


def test_dispatch_deep_space() -> None:
    rate = mro_x_band()
    d_km = np.array([1.0, 2.0]) * AU_KM
    np.testing.assert_array_equal(space_link_rate_bps(rate, d_km), deep_space_rate_bps(rate, d_km))
