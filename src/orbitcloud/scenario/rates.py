"""Link-rate models of the scenario schema: fixed, a free-space/Shannon budget, and the
deep-space Eb/N0 budget (:class:`DeepSpaceRate`); :mod:`orbitcloud.links.budget` evaluates them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from orbitcloud.scenario.base import _Model

__all__ = ["DeepSpaceRate", "FixedRate", "LinkBudgetRate", "Rate", "SpaceRate"]


class FixedRate(_Model):
    """The same rate on every link of this set."""

    kind: Literal["fixed"]
    rate_bps: float = Field(gt=0)


class LinkBudgetRate(_Model):
    """Rate from a free-space link budget and the Shannon limit, capped at ``max_rate_bps``.

    Received power ``P_r = P_t G_t G_r (λ / 4π d)^2 / L`` (Friis 1946), noise ``N = k T B``,
    rate ``min(max_rate, η B log2(1 + P_r / N))`` (Shannon 1948) with implementation efficiency η.
    Works for RF and, with telescope gains ``G = (π D / λ)^2``, for optical terminals.
    """

    kind: Literal["link_budget"]
    tx_power_w: float = Field(gt=0)
    tx_gain_dbi: float
    rx_gain_dbi: float
    wavelength_m: float = Field(gt=0, description="carrier wavelength (c / frequency)")
    bandwidth_hz: float = Field(gt=0)
    system_noise_temp_k: float = Field(gt=0)
    losses_db: float = Field(0.0, ge=0, description="pointing, implementation and other losses")
    efficiency: float = Field(
        0.75, gt=0, le=1, description="fraction of the Shannon limit achieved"
    )
    max_rate_bps: float = Field(gt=0)


class DeepSpaceRate(_Model):
    """Data rate from a deep-space link budget (JPL DESCANSO; DSN Telecommunications Link
    Design Handbook 810-005, module 201): the received ``Pr/N0 = EIRP + G/T − L_fs − L + 228.6``
    dB-Hz with free-space loss ``L_fs = 20 log10(4π d f / c)`` (Friis 1946), and the rate is the
    largest ``R`` with ``Pr/N0 − 10 log10 R >= Eb/N0_required + margin``, capped at
    ``max_rate_bps``; below ``min_rate_bps`` there is no contact."""

    kind: Literal["deep_space"]
    band: Literal["S", "X", "Ka"] = Field("X", description="sets the frequency unless given")
    frequency_hz: float | None = Field(None, gt=1e8, lt=1e12)
    eirp_dbw: float = Field(ge=-50, le=150, description="transmitter EIRP [dBW]")
    g_t_db_per_k: float = Field(ge=-60, le=100, description="receiver G/T [dB/K]")
    required_ebn0_db: float = Field(
        1.0, ge=-5, le=30, description="code threshold, e.g. ~1 dB for CCSDS turbo r=1/2"
    )
    margin_db: float = Field(3.0, ge=0, le=30)
    losses_db: float = Field(0.0, ge=0, le=100, description="atmosphere, pointing, polarisation")
    max_rate_bps: float = Field(gt=0)
    min_rate_bps: float = Field(0.0, ge=0)


#: Rates of inter-satellite links.
Rate = Annotated[FixedRate | LinkBudgetRate, Field(discriminator="kind")]
#: Rates of space links (:class:`~orbitcloud.scenario.space.SpaceLinkSpec`).
SpaceRate = Annotated[FixedRate | LinkBudgetRate | DeepSpaceRate, Field(discriminator="kind")]
