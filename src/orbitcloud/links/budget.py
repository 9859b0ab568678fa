"""Deep-space link budgets: free-space loss, the Eb/N0 rate of a :class:`DeepSpaceRate`, and
one rate function for every kind of space link.

Sources:

* Free-space loss ``L_fs = 20 log10(4π d f / c)``: Friis (1946), "A note on a simple
  transmission formula", Proc. IRE 34, 254.
* Received ``Pr/N0 = EIRP + G/T − L_fs − L − 10 log10 k`` [dB-Hz] and the data rate
  ``R = Pr/N0 − Eb/N0_required − margin`` [dB-bit/s]: DSN Telecommunications Link Design
  Handbook 810-005, module 201 (*Frequency and Channel Assignments*) and the telemetry
  link-budget form of Yuen (ed.), *Deep Space Telecommunications Systems Engineering*
  (JPL, 1982), ch. 1. ``−10 log10 k = 228.599`` dBW/Hz/K from the exact SI Boltzmann constant
  (the handbooks round it to 228.6).
* Band centres: the deep-space (category B) space-to-Earth allocations of the ITU Radio
  Regulations Article 5, as ITU-R SA.1157 protects them and 810-005 module 201 tabulates them:
  S 2290–2300 MHz, X 8400–8450 MHz, Ka 31.8–32.3 GHz.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from orbitcloud.constants import SPEED_OF_LIGHT_KM_S
from orbitcloud.links.isl import BOLTZMANN_J_PER_K, link_rate_bps
from orbitcloud.scenario.rates import DeepSpaceRate, FixedRate, LinkBudgetRate

__all__ = [
    "BAND_FREQUENCY_HZ",
    "BOLTZMANN_DBW_PER_HZ_K",
    "deep_space_rate_bps",
    "free_space_loss_db",
    "space_link_rate_bps",
]

F64 = NDArray[np.float64]

#: Downlink (space-to-Earth) centre frequencies of the deep-space bands [Hz]: S 2290–2300 MHz,
#: X 8400–8450 MHz, Ka 31.8–32.3 GHz (ITU RR Art. 5 / ITU-R SA.1157; DSN 810-005 module 201).
BAND_FREQUENCY_HZ: dict[str, float] = {"S": 2.295e9, "X": 8.42e9, "Ka": 32.0e9}

#: 10 log10(k) with k = 1.380649e-23 J/K (SI 2019, exact): −228.599 dBW/Hz/K.
BOLTZMANN_DBW_PER_HZ_K: float = float(10.0 * np.log10(BOLTZMANN_J_PER_K))


def free_space_loss_db(range_km: F64, frequency_hz: float) -> F64:
    """Free-space path loss [dB] ``20 log10(4π d f / c)`` (Friis 1946), any shape of
    ``range_km``; ranges below 1 m are taken as 1 m (the loss formula is far-field only)."""
    d_km = np.maximum(np.asarray(range_km, dtype=np.float64), 1e-3)
    return 20.0 * np.log10(4.0 * np.pi * d_km * frequency_hz / SPEED_OF_LIGHT_KM_S)


def deep_space_rate_bps(rate: DeepSpaceRate, range_km: F64) -> F64:
    """Data rate [bit/s] of a deep-space link at ``range_km`` (any shape, same shape out).

    ``Pr/N0 = EIRP + G/T − L_fs − losses − 10 log10 k`` [dB-Hz] (DSN 810-005 module 201),
    ``R = 10^((Pr/N0 − Eb/N0_required − margin) / 10)``, capped at ``max_rate_bps``; 0 where the
    uncapped ``R`` is below ``min_rate_bps`` (no contact) or the range is not finite.
    """
    f_hz = rate.frequency_hz if rate.frequency_hz is not None else BAND_FREQUENCY_HZ[rate.band]
    d_km = np.asarray(range_km, dtype=np.float64)
    pr_n0_dbhz = (
        rate.eirp_dbw
        + rate.g_t_db_per_k
        - free_space_loss_db(d_km, f_hz)
        - rate.losses_db
        - BOLTZMANN_DBW_PER_HZ_K
    )
    r_bps = 10.0 ** ((pr_n0_dbhz - rate.required_ebn0_db - rate.margin_db) / 10.0)
    ok = np.isfinite(r_bps) & (r_bps >= rate.min_rate_bps)
    return np.where(ok, np.minimum(r_bps, rate.max_rate_bps), 0.0)


def space_link_rate_bps(rate: FixedRate | LinkBudgetRate | DeepSpaceRate, range_km: F64) -> F64:
    """Data rate [bit/s] of any space-link rate model at ``range_km`` (any shape): the
    deep-space Eb/N0 budget here, fixed and Shannon budgets by
    :func:`orbitcloud.links.isl.link_rate_bps`."""
    if isinstance(rate, DeepSpaceRate):
        return deep_space_rate_bps(rate, range_km)
    return link_rate_bps(rate, range_km)
