"""Link-rate models of the scenario schema: fixed, a free-space/Shannon budget, the
deep-space Eb/N0 budget (:class:`DeepSpaceRate`), evaluated by :mod:`orbitcloud.links.budget`;
the adaptive-coding ground link of a station (:class:`AcmLink`), evaluated by
:mod:`orbitcloud.links.acm` with the ITU-R attenuation of :mod:`orbitcloud.links.weather`, and
its optical ground link (:class:`OpticalLink`, :mod:`orbitcloud.links.optical`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from orbitcloud.scenario.base import _Model

__all__ = [
    "AcmBudget",
    "AcmLink",
    "AcmUplink",
    "DeepSpaceRate",
    "FixedRate",
    "LinkBudgetRate",
    "OpticalLink",
    "Rate",
    "SpaceRate",
    "StationLink",
]


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


#: The roll-off factors of DVB-S2 (EN 302 307-1 §5.6) and DVB-S2X (EN 302 307-2 §5.6).
ROLLOFFS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.35)


class AcmBudget(_Model):
    """One direction of an adaptive coding and modulation (ACM) RF link between a ground
    station and a satellite: each instant uses the most efficient DVB-S2X MODCOD whose
    required Es/N0 (+ ``margin_db``) the budget ``Es/N0 = EIRP + G/T − FSPL(range, f) −
    A(elevation) − losses − 10 log10 k − 10 log10 Rs`` meets, with ``A`` the ITU-R P.618
    attenuation (rain, gas, clouds, scintillation) exceeded ``100 − availability_pct`` % of
    the time; rate ``Rs × efficiency``. ``frequency_hz`` stays in 1–55 GHz and
    ``availability_pct`` in 95–99.999 % (0.001–5 % exceedance), the range of the P.618 rain
    model."""

    band: Literal["Ku", "Ka", "X"] = Field("Ka", description="sets the frequency unless given")
    frequency_hz: float | None = Field(
        None, ge=1e9, le=55e9, description="carrier [Hz]; ITU-R P.618 covers 1-55 GHz"
    )
    eirp_dbw: float = Field(ge=-30, le=100, description="transmitter EIRP [dBW]")
    g_t_db_per_k: float = Field(ge=-50, le=60, description="receiver G/T [dB/K]")
    symbol_rate_baud: float = Field(ge=1e3, le=1e10, description="symbol rate Rs [baud]")
    availability_pct: float = Field(
        99.5, ge=95, le=99.999, description="rain margin for this % of the time (P.618)"
    )
    losses_db: float = Field(0.0, ge=0, le=50, description="pointing, polarisation, implementation")
    margin_db: float = Field(1.0, ge=0, le=20, description="above the MODCOD's Es/N0 threshold")
    rolloff: float = Field(
        0.05,
        description="DVB-S2X roll-off (0.05, 0.1, 0.15, 0.2, 0.25 or 0.35); occupied "
        "bandwidth Rs (1 + rolloff), not the rate",
    )
    antenna_diameter_m: float = Field(
        1.2, gt=0.1, le=100, description="ground antenna diameter (P.618 scintillation)"
    )
    modcod: Literal["dvbs2x"] = Field("dvbs2x", description="MODCOD table (EN 302 307-2)")

    @field_validator("rolloff")
    @classmethod
    def _rolloff(cls, v: float) -> float:
        if not any(abs(v - r) < 1e-12 for r in ROLLOFFS):
            raise ValueError(f"rolloff {v:g} is not a DVB-S2X roll-off; allowed: {ROLLOFFS}")
        return v

    @property
    def occupied_bandwidth_hz(self) -> float:
        return self.symbol_rate_baud * (1.0 + self.rolloff)


class AcmUplink(AcmBudget):
    """The station-to-satellite direction of an :class:`AcmLink`: ``eirp_dbw`` is the
    station's, ``g_t_db_per_k`` the satellite receiver's; the band's uplink frequency.
    ``satellite_beamwidth_deg``: the 3 dB beamwidth of the satellite's receive beam (pointed
    at the station), which an uplink ``jamming`` threat needs to know how much of a jammer
    the beam picks up off its axis; none: no uplink jammer can be modelled against it."""

    kind: Literal["acm"]
    satellite_beamwidth_deg: float | None = Field(
        None, gt=0, le=180, description="satellite receive beam, 3 dB full width [deg] (jamming)"
    )


class AcmLink(AcmBudget):
    """An ACM ground link (:class:`AcmBudget`, satellite-to-station direction: ``eirp_dbw``
    is the satellite's, ``g_t_db_per_k`` the station's; the band's downlink frequency).

    A pass is cut into pieces of at most ``max_piece_s`` (default: the scenario step, at
    most 60 s), each with the lowest rate over it (never more than the link gives); pieces
    that close no MODCOD are dropped. ``uplink``: an ACM budget of its own, or a fixed rate;
    none: the station's ``uplink_rate_bps``. ``weather``: ``statistical`` (default) or
    ``time_series`` (:mod:`orbitcloud.links.weather_process`: the rain attenuation follows
    a seeded P.1853 process over the run, both directions)."""

    kind: Literal["acm"]
    max_piece_s: float | None = Field(
        None, ge=1, le=3600, description="longest contact piece [s]; default min(step, 60 s)"
    )
    uplink: Annotated[AcmUplink | FixedRate, Field(discriminator="kind")] | None = None
    weather: Literal["statistical", "time_series"] = Field(
        "statistical",
        description="statistical: the P.618 attenuation at `availability_pct`, the same at "
        "every pass; time_series: a seeded ITU-R P.1853 rain process at the site (rate "
        "varies with the weather over time)",
    )


class OpticalLink(_Model):
    """An optical (laser) ground link: fixed rates while the sky over the station is clear,
    no link while a cloud is over it. ``clouds: time_series`` (default): cloud presence from
    a seeded ITU-R P.1853 cloud process whose long-run cloud fraction is the site's
    probability of cloud liquid water from ITU-R P.840 (:mod:`orbitcloud.links.optical`);
    ``clear``: never blocked (a clear-sky plan)."""

    kind: Literal["optical"]
    rate_bps: float = Field(gt=0, description="downlink (satellite to ground) rate [bit/s]")
    uplink_rate_bps: float | None = Field(None, gt=0, description="default: rate_bps")
    clouds: Literal["time_series", "clear"] = Field(
        "time_series", description="time_series: blocked while the seeded cloud process "
        "(P.1853, P.840 climatology) has a cloud over the site; clear: never blocked",
    )  # fmt: skip


#: A ground station's ``link:``: an ACM RF link or an optical one.
StationLink = Annotated[AcmLink | OpticalLink, Field(discriminator="kind")]

#: Rates of inter-satellite links.
Rate = Annotated[FixedRate | LinkBudgetRate, Field(discriminator="kind")]
#: Rates of space links (:class:`~orbitcloud.scenario.space.SpaceLinkSpec`).
SpaceRate = Annotated[FixedRate | LinkBudgetRate | DeepSpaceRate, Field(discriminator="kind")]
