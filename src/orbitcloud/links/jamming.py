"""Jamming of ACM ground links (the ``jamming`` threat of :mod:`orbitcloud.scenario.threats`).

Jamming-to-signal ratio at the victim receiver, all dB (the one-way J/S equation, e.g.
D. Adamy, *EW 101: A First Course in Electronic Warfare*, Artech House 2001, ch. 9
"Communications jamming", eq. for J/S; R. Poisel, *Modern Communications Jamming Principles
and Techniques*, 2nd ed., Artech House 2011, §2.6):

    J/S = ERP_j − ERP_s − 20 log10 d_j + 20 log10 d_s + G_r(θ_j) − G_r(0)
          − 20 log10(f_j / f_s) + A_s + L_s

``ERP_j`` is the jammer's EIRP towards the receiver (its axis value plus its own pattern at
the off-axis angle of the receiver), ``ERP_s`` the signal's EIRP (the budget's ``eirp_dbw``),
``d_j``/``d_s`` the jammer–receiver and transmitter–receiver ranges, ``G_r(θ)`` the receiving
antenna's gain ``θ`` off its axis (which points at the wanted transmitter). The last terms
are what the textbook equation (free space on both paths, one frequency) leaves out here:
the frequency term of the two free-space losses (0 for a co-channel jammer) and the wanted
signal's own P.618 attenuation ``A_s`` and ``losses_db`` ``L_s`` from its ACM budget; the
jammer's path is taken as free space (no atmosphere: conservative for the victim).

The jammer's power is taken to fall within the victim's noise bandwidth (``Rs``: barrage
jamming matched to the channel; a jammer counts only if its carrier is within ``Rs / 2`` of
the victim's), so ``J0 / Es = J / S`` and the ACM budget uses

    Es / (N0 + J0) = −10 log10(10^(−Es/N0 / 10) + 10^(J/S / 10))   [dB]

in place of Es/N0 (:mod:`orbitcloud.links.acm`): the MODCOD and rate drop, or the link closes.
A jammer whose J/N0 (``J/S + Es/N0``) is below :data:`JN_FLOOR_DB` (−30 dB: it raises the
noise by less than 0.005 dB) is ignored, so links outside its beam or footprint are untouched
exactly.

Antenna patterns (gain vs off-axis angle θ):

- a ground station's receiver (downlink victim): the main lobe ``G0 − 12 (θ/θ3)²`` (the
  parabolic/Gaussian approximation, e.g. Maral & Bousquet, *Satellite Communications
  Systems*, 5th ed., §5.2.1, eq. 5.14) with ``G0 = 10 log10(η (π D / λ)²)``, η
  :data:`STATION_EFFICIENCY`, ``θ3 = 70 λ / D`` [deg] (ibid. eq. 5.13), down to the sidelobe
  envelope of ITU-R S.465-6 (2010): ``32 − 25 log10 θ`` dBi for ``φ_min <= θ < 48°``, −10 dBi
  beyond, ``φ_min = max(1°, 100 λ/D)`` (``D/λ >= 50``) or ``max(2°, 114 (D/λ)^−1.09)``;
  ``D`` is the budget's ``antenna_diameter_m``;
- the satellite's receive beam (uplink victim) and the jammer's own beam, known only by their
  3 dB beamwidth: the relative single-feed pattern of ITU-R S.672-4 Annex 1 with
  ``L_s = −20 dB``: ``−12 (θ/θ3)²`` to ``1.29 θ3``, −20 dB to ``3.16 θ3``, then
  ``−25 log10(2 θ / θ3)`` (no 0 dBi floor: it needs the peak gain, which is not given).

Modes (``mode:`` of the threat). A jammer hits a share ``w`` of the victim's channel with a
J/S raised by ``b`` dB there; the rate of a piece is the share-weighted sum
``w R(Es/(N0 + J0)) + (1 − w) R(Es/N0)`` (several jammers: their shares are nested from the
band's edge, :func:`band_segments`):

- ``barrage``: ``w = 1``, ``b = 0`` (the equation above);
- ``partial_band`` with band fraction ρ: the jammer's power ``J`` is concentrated in ρ of
  the victim's band, so there its density is ``J0 / ρ`` (the partial-band noise jammer:
  M. K. Simon, J. K. Omura, R. A. Scholtz, B. K. Levitt, *Spread Spectrum Communications
  Handbook*, McGraw-Hill 1994, Part 2 ch. 2; Poisel 2011, ch. 10): ``w = ρ``,
  ``b = −10 log10 ρ``; the victim is taken to adapt per sub-band (its ACM runs on the
  jammed and the clear part separately: an idealised multi-carrier victim; a single carrier
  whose codewords span the whole band would do worse). With a J/S strong enough to close the
  jammed part, ρ = 0.5 halves the rate;
- ``hopping`` over ``n`` channels of the victim's width: the jammer's whole power sits on one
  channel at a time and the victim's is hit ``1 / n`` of the time (uniform hops); over a piece
  much longer than a dwell the rate is the expectation: ``w = 1 / n``, ``b = 0`` (no draw);
- ``pulsed``: on ``on_s`` every ``period_s`` from ``t_s`` (:meth:`JammerSet.active_at`); the
  contact pieces are cut exactly at each on and off edge (:meth:`JammerSet.edges_s`), the on
  parts jammed as a barrage, the off parts clear.

Geometry: a downlink jammer on the ground points at the receiver of its ``pointing`` station
and reaches a station only within the radio horizon of the two antennas,
``sqrt(2 k R h_j) + sqrt(2 k R h_r)`` with the standard effective Earth radius factor
``k = 4/3`` (ITU-R P.834-9 §1; ``R`` = 6371 km, heights above the ellipsoid); an uplink
jammer points at the zenith and reaches a satellite above its horizon (elevation > 0).

Victims: the ACM budgets of ground stations (:func:`orbitcloud.links.contacts.ground_pieces`)
and of user terminals with an RF ``link:`` (:func:`orbitcloud.links.users.user_link_pieces`),
by the same equation: a user terminal's dish is the downlink receiver (its
``antenna_diameter_m``, the S.465 pattern above), the satellite's beam the uplink one. A
downlink jammer ``pointing`` at a user aims its beam at the user wherever the user is.

Moving jammers (``track:``, the users' great-circle or csv track model,
:func:`orbitcloud.orbits.tracks.track_geodetic`): :func:`jammer_position_ecef_km` gives the
position at any time and every J/S sample uses the jammer's position at the sample's time
(its axis re-aimed at its station or user from there). The contact pieces a moving jammer
reaches are cut every ``clip(MOVING_PIECE_KM / v_max, 1 s, 60 s)`` of its window
(:func:`moving_cut_s`: it moves at most 1 km along a piece; an aircraft at 250 m/s: 4 s),
on top of the usual ``max_piece_s``; the pieces take the lowest rate of their samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orbitcloud.constants import SPEED_OF_LIGHT_KM_S
from orbitcloud.orbits.frames import geodetic_to_ecef, up_unit_vector
from orbitcloud.orbits.tracks import track_geodetic, track_speed_m_s, user_positions
from orbitcloud.scenario.threats import Jamming
from orbitcloud.scenario.users import User

__all__ = [
    "JN_FLOOR_DB",
    "MOVING_PIECE_KM",
    "MOVING_PIECE_MAX_S",
    "MOVING_PIECE_MIN_S",
    "STATION_EFFICIENCY",
    "JammerSet",
    "band_segments",
    "combine_esn0_db",
    "footprint_radius_km",
    "jammer_position_ecef_km",
    "relative_gain_db",
    "station_gain_db",
    "tally_rate_loss",
]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]
BOOL = NDArray[np.bool_]

#: Below this J/N0 [dB] a jammer is ignored (noise rise < 0.005 dB).
JN_FLOOR_DB = -30.0
#: Aperture efficiency of a station's dish for its peak gain (Maral & Bousquet §5.2.1: 0.55-0.75).
STATION_EFFICIENCY = 0.6
#: Effective Earth radius factor of the standard atmosphere (ITU-R P.834-9 §1).
EFFECTIVE_EARTH_K = 4.0 / 3.0
#: Mean Earth radius for the radio horizon [km].
EARTH_RADIUS_KM = 6371.0
#: A moving jammer moves at most this far [km] along one jammed contact piece (module
#: docstring, moving jammers): the pieces it reaches are cut every
#: ``clip(MOVING_PIECE_KM / v_max, MOVING_PIECE_MIN_S, MOVING_PIECE_MAX_S)`` s of its window.
MOVING_PIECE_KM = 1.0
#: Shortest cut interval of a moving jammer [s] (a 1000 m/s track: 1 s).
MOVING_PIECE_MIN_S = 1.0
#: Longest cut interval of a moving jammer [s] (slow tracks: no coarser than the default piece).
MOVING_PIECE_MAX_S = 60.0


def relative_gain_db(theta_deg: F64, theta3_deg: F64 | float) -> F64:
    """ITU-R S.672-4 Annex 1 relative pattern with ``L_s = −20 dB`` [dB <= 0] (module
    docstring), broadcast over its arguments."""
    x = np.asarray(theta_deg, dtype=np.float64) / np.asarray(theta3_deg, dtype=np.float64)
    main = -12.0 * x**2
    far = -25.0 * np.log10(np.maximum(2.0 * x, 1e-12))
    return np.asarray(np.where(x <= 1.29, main, np.where(x <= 3.16, -20.0, far)), np.float64)


def station_gain_db(theta_deg: F64, diameter_m: F64 | float, frequency_hz: F64 | float) -> F64:
    """Gain [dBi] of a station dish ``theta_deg`` off its axis: the main lobe down to the
    ITU-R S.465-6 envelope (module docstring), broadcast over its arguments."""
    th = np.asarray(theta_deg, dtype=np.float64)
    d_lam = (
        np.asarray(diameter_m, dtype=np.float64)
        * np.asarray(frequency_hz)
        / (SPEED_OF_LIGHT_KM_S * 1e3)
    )
    g0 = 10.0 * np.log10(STATION_EFFICIENCY * (np.pi * d_lam) ** 2)
    th3 = 70.0 / d_lam
    main = g0 - 12.0 * (th / th3) ** 2
    phi_min = np.where(d_lam >= 50, np.maximum(1.0, 100.0 / d_lam),
                       np.maximum(2.0, 114.0 * d_lam**-1.09))  # fmt: skip
    env = np.where(th < 48.0, 32.0 - 25.0 * np.log10(np.maximum(th, 1e-12)), -10.0)
    side = np.where(th >= phi_min, env, -np.inf)
    return np.asarray(np.minimum(g0, np.maximum(main, side)), dtype=np.float64)


def combine_esn0_db(esn0_db: F64, js_db: F64) -> F64:
    """``Es/(N0 + J0)`` [dB] from ``Es/N0`` and ``J/S`` [dB] (module docstring)."""
    es = np.asarray(esn0_db, dtype=np.float64)
    return np.asarray(-10.0 * np.log10(10.0 ** (-es / 10.0) + 10.0 ** (js_db / 10.0)), np.float64)


def jammer_geodetic(jammers: Sequence[Jamming], t_s: F64 | None = None) -> tuple[F64, F64, F64]:
    """``(lat_deg, lon_deg, height_km)`` of each jammer: float64[n_j] at each one's switch-on
    time ``t_s`` (``t_s`` None), else float64[n_j, m] at the times ``t_s`` [m] [s]. A fixed
    jammer is where ``lat_deg``/``lon_deg`` say; a moving one on its ``track``
    (:func:`orbitcloud.orbits.tracks.track_geodetic`, the users' track model), its height the
    track's altitude plus ``height_m``."""
    n = len(jammers)
    m = None if t_s is None else np.asarray(t_s, dtype=np.float64).reshape(-1)
    shape = (n,) if m is None else (n, m.shape[0])
    lat, lon, h_km = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for k, j in enumerate(jammers):
        if j.track is None:
            lat[k], lon[k], h_km[k] = j.lat_deg, j.lon_deg, j.height_m / 1000.0
            continue
        t = np.array([j.t_s]) if m is None else m
        la, lo, alt_m = track_geodetic(j.track, t)
        lat[k], lon[k] = (la[0], lo[0]) if m is None else (la, lo)
        h_km[k] = ((alt_m[0] if m is None else alt_m) + j.height_m) / 1000.0
    return lat, lon, h_km


def jammer_position_ecef_km(jammers: Sequence[Jamming], t_s: F64 | None = None) -> tuple[F64, F64]:
    """Where each jammer is: ``(r_ecef_km, up)`` (position and local vertical unit vector),
    float64[n_j, 3] each at each jammer's switch-on time (``t_s`` None), else
    float64[n_j, m, 3] at the times ``t_s`` [m] [s] (:func:`jammer_geodetic`). The one place
    a jammer's position is read."""
    lat, lon, h_km = jammer_geodetic(jammers, t_s)
    r = np.asarray(geodetic_to_ecef(lat, lon, h_km), dtype=np.float64)
    return r, np.asarray(up_unit_vector(lat, lon), dtype=np.float64)


def moving_cut_s(jammers: Sequence[Jamming]) -> F64:
    """float64[n_j]: every how many seconds the pieces a moving jammer reaches are cut
    (:data:`MOVING_PIECE_KM` over its track's top speed, clipped to
    [:data:`MOVING_PIECE_MIN_S`, :data:`MOVING_PIECE_MAX_S`]); ``inf`` for a fixed jammer."""
    out = np.full(len(jammers), np.inf)
    for k, j in enumerate(jammers):
        if j.track is not None:
            v = track_speed_m_s(j.track)
            dt = MOVING_PIECE_KM * 1000.0 / v if v > 0 else MOVING_PIECE_MAX_S
            out[k] = float(np.clip(dt, MOVING_PIECE_MIN_S, MOVING_PIECE_MAX_S))
    return out


def footprint_radius_km(
    uplink: bool, height_m: float, beamwidth_deg: float, shell_altitude_km: float
) -> float:
    """Radius [km, along the ground] of a jammer's footprint, for the 3D scene:

    - ``uplink`` (beam at the zenith): the −3 dB edge of its beam on the satellites' shell of
      ``shell_altitude_km``, brought down to the ground. On the ray at ``α = θ3 / 2`` from the
      zenith, the slant range to the shell ``r_s = R + h_shell`` from ``r_j = R + h_j`` is
      ``ρ = −r_j cos α + sqrt(r_j² cos² α + r_s² − r_j²)`` (law of cosines) and the Earth
      central angle ``γ = asin(ρ sin α / r_s)`` (law of sines): radius ``R γ``;
    - downlink (a ground jammer at a station's receiver): the radio horizon of its antenna
      towards a receiver at ground level, ``sqrt(2 k R h_j)`` (``k = 4/3``, ITU-R P.834-9
      §1): beyond it the jammer reaches nothing (:meth:`JammerSet.js_db`).

    ``R`` = :data:`EARTH_RADIUS_KM`."""
    r = EARTH_RADIUS_KM
    h_km = height_m / 1000.0
    if not uplink:
        return float(np.sqrt(2.0 * EFFECTIVE_EARTH_K * r * h_km))
    a = np.radians(beamwidth_deg / 2.0)
    rj, rs = r + h_km, r + shell_altitude_km
    rho = -rj * np.cos(a) + np.sqrt((rj * np.cos(a)) ** 2 + rs**2 - rj**2)
    return float(r * np.arcsin(np.clip(rho * np.sin(a) / rs, -1.0, 1.0)))


def band_segments(share: F64) -> tuple[F64, BOOL]:
    """The victim's channel cut by nested jammer shares (jammer ``k`` covers ``[0, w_k)`` of
    it): ``(width, covers)``, float64[n_seg] summing to 1 and bool[n_seg, n_j] (which jammers
    hit each segment). All shares 1: one segment of width 1 covered by all."""
    w = np.asarray(share, dtype=np.float64)
    bounds = np.unique(np.concatenate([[0.0, 1.0], w]))
    lo, hi = bounds[:-1], bounds[1:]
    return hi - lo, np.asarray(w[None, :] >= hi[:, None], dtype=bool)


def _angle_deg(u: F64, v: F64) -> F64:
    """Angle between rows of ``u`` and ``v`` [deg], float64[m]."""
    c = np.einsum("ij,ij->i", u, v) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return np.asarray(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))), dtype=np.float64)


@dataclass(frozen=True)
class JammerSet:
    """The scenario's jammers as arrays ``[n_j]``: ``r_ecef_km``/``axis`` float64[n_j, 3]
    (position, unit beam axis), ``height_km``, ``eirp_dbw``, ``frequency_hz``,
    ``beamwidth_deg``, ``start_s``/``end_s`` (window ``[start, end)``), ``uplink`` (target);
    the mode (module docstring): ``share`` (``w``), ``boost_db`` (``b``), ``on_s`` and
    ``period_s`` [s] (``inf``: not pulsed)."""

    r_ecef_km: F64
    axis: F64
    height_km: F64
    eirp_dbw: F64
    frequency_hz: F64
    beamwidth_deg: F64
    start_s: F64
    end_s: F64
    uplink: BOOL
    share: F64 | None = None
    boost_db: F64 | None = None
    on_s: F64 | None = None
    period_s: F64 | None = None
    #: the threats themselves (moving jammers: their tracks), and per jammer the user it
    #: points at (a downlink jammer aimed at a user terminal: its axis follows the user)
    specs: tuple[Jamming, ...] = ()
    aim_user: tuple[User | None, ...] = ()
    #: float64[n_j]: cut interval of a moving jammer [s] (:func:`moving_cut_s`), inf if fixed
    cut_s: F64 | None = None
    #: float64[n_j, 3]: the station a downlink jammer points at (NaN: none)
    aim_ecef_km: F64 | None = None

    @classmethod
    def of(
        cls,
        jammers: Sequence[Jamming],
        station_names: Sequence[str],
        station_ecef_km: F64,
        band_hz: dict[str, tuple[float, float]],
        users: Sequence[User] = (),
    ) -> JammerSet:
        """From the threats; ``station_ecef_km`` float64[n_gs, 3] in ``station_names``' order
        (a downlink jammer's axis points at its ``pointing`` station, or user of ``users``);
        ``band_hz``: the (down, up) centre of each band
        (:data:`orbitcloud.links.acm.ACM_BAND_HZ`). The stored position and axis are those
        at switch-on; :meth:`geometry_at` gives them at any time. A ``pointing`` that is
        neither (a user, when ``users`` are not given) leaves the axis at the zenith."""
        _, _, h_km = jammer_geodetic(jammers)
        r, up = jammer_position_ecef_km(jammers)
        axis = up.copy()
        index = {s: i for i, s in enumerate(station_names)}
        by_user = {u.name: u for u in users}
        aim: list[User | None] = [None] * len(jammers)
        aim_pt = np.full((len(jammers), 3), np.nan)
        for k, j in enumerate(jammers):
            if j.target != "downlink":
                continue
            if j.pointing in index:
                aim_pt[k] = station_ecef_km[index[j.pointing]]
                v = aim_pt[k] - r[k]
            elif j.pointing in by_user:
                aim[k] = by_user[j.pointing]
                v = user_positions([by_user[j.pointing]], np.array([j.t_s]))[0, 0] - r[k]
            else:
                continue
            axis[k] = v / max(float(np.linalg.norm(v)), 1e-9)
        freq = [
            j.frequency_hz if j.frequency_hz is not None
            else band_hz[j.band or "Ka"][1 if j.target == "uplink" else 0]
            for j in jammers
        ]  # fmt: skip
        share = np.array([j.share for j in jammers], dtype=np.float64)
        part = np.array([j.mode == "partial_band" for j in jammers], dtype=bool)
        return cls(
            r, axis, h_km, np.array([j.eirp_dbw for j in jammers], dtype=np.float64),
            np.array(freq, dtype=np.float64),
            np.array([j.beamwidth_deg for j in jammers], dtype=np.float64),
            np.array([j.t_s for j in jammers], dtype=np.float64),
            np.array([j.end_s for j in jammers], dtype=np.float64),
            np.array([j.target == "uplink" for j in jammers], dtype=bool),
            share, np.where(part, -10.0 * np.log10(share), 0.0),
            np.array([j.on_s if j.mode == "pulsed" else np.inf for j in jammers], np.float64),
            np.array([j.period_s if j.mode == "pulsed" else np.inf for j in jammers],
                     np.float64),
            tuple(jammers), tuple(aim), moving_cut_s(jammers), aim_pt,
        )  # fmt: skip

    def moves(self, k: int) -> bool:
        """Jammer ``k`` moves, or aims at a user (its position or axis change over time)."""
        return bool(
            (self.specs and self.specs[k].track is not None)
            or (self.aim_user and self.aim_user[k] is not None)
        )

    def geometry_at(self, k: int, t_s: F64 | None, m: int) -> tuple[F64, F64, F64]:
        """``(r_ecef_km [m, 3], axis [m, 3], height_km [m])`` of jammer ``k`` at the times
        ``t_s`` [m] [s] (its position on its track; a downlink jammer's axis towards its
        station, or its user at that time; an uplink jammer's, the local zenith); the stored
        switch-on geometry if it does not move or ``t_s`` is None."""
        if t_s is None or not self.moves(k):
            r0 = np.broadcast_to(self.r_ecef_km[k], (m, 3))
            return r0, np.broadcast_to(self.axis[k], (m, 3)), np.full(m, self.height_km[k])
        t = np.asarray(t_s, dtype=np.float64).reshape(-1)
        j = self.specs[k]
        r_all, up_all = jammer_position_ecef_km([j], t)
        _, _, h_all = jammer_geodetic([j], t)
        r, up, h = r_all[0], up_all[0], h_all[0]
        aim = self.aim_user[k] if self.aim_user else None
        if j.target == "uplink":
            return r, up, h
        if aim is not None:
            v = user_positions([aim], t)[0] - r
        elif self.aim_ecef_km is not None and np.isfinite(self.aim_ecef_km[k]).all():
            v = self.aim_ecef_km[k][None] - r  # its station, from where the jammer is now
        else:
            return r, up, h
        return r, v / np.maximum(np.linalg.norm(v, axis=1), 1e-9)[:, None], h

    def __len__(self) -> int:
        return int(self.eirp_dbw.shape[0])

    def active_at(self, t_s: F64) -> BOOL:
        """bool[m, n_j]: jammer ``k`` transmits at ``t_s[i]`` (``start <= t < end``)."""
        t = np.asarray(t_s, dtype=np.float64)[:, None]
        on = (self.start_s[None] <= t) & (t < self.end_s[None])
        if self.period_s is not None and self.on_s is not None:
            pulsed = np.isfinite(self.period_s)[None]
            phase = np.mod(t - self.start_s[None], np.where(pulsed, self.period_s[None], 1.0))
            on &= ~pulsed | (phase < self.on_s[None])
        return np.asarray(on, dtype=bool)

    def share_weighted_bps(self, rate_of: Callable[[BOOL], F64], active: BOOL) -> F64:
        """The share-weighted rate of the module docstring (modes): ``rate_of(active)``
        (bool[m, n_j] → float64[m], the rate with those jammers on) summed over the channel's
        segments (:func:`band_segments`), each with the jammers that cover it. Every share 1
        (barrage, pulsed): ``rate_of(active)`` itself."""
        share = self.share if self.share is not None else np.ones(len(self))
        width, covers = band_segments(share)
        if width.size == 1:
            return rate_of(active)
        out = np.zeros(np.asarray(active).shape[0])
        for wd, cov in zip(width.tolist(), covers, strict=True):
            out += wd * rate_of(active & cov[None, :])
        return out

    def edges_s(self) -> F64:
        """Every time a jammer switches on or off [s], sorted, float64[m]: the windows' ends
        and, for a pulsed jammer, each pulse's start and end within its window; for a moving
        jammer also every ``cut_s`` of its window (:func:`moving_cut_s`)."""
        out = [self.start_s, self.end_s]
        if self.period_s is not None and self.on_s is not None:
            for k in np.flatnonzero(np.isfinite(self.period_s)).tolist():
                starts = np.arange(self.start_s[k], self.end_s[k], self.period_s[k])
                out += [starts, np.minimum(starts + self.on_s[k], self.end_s[k])]
        if self.cut_s is not None:  # a moving jammer: every cut_s of its window
            for k in np.flatnonzero(np.isfinite(self.cut_s)).tolist():
                out.append(np.arange(self.start_s[k], self.end_s[k], self.cut_s[k]))
        return np.unique(np.concatenate(out))

    def js_db(
        self,
        k: int,
        uplink: bool,
        r_station_km: F64,
        station_height_km: F64,
        r_sat_km: F64,
        frequency_hz: F64,
        symbol_rate_baud: F64,
        eirp_dbw: F64,
        attenuation_db: F64,
        losses_db: F64,
        rx_diameter_m: F64,
        rx_beamwidth_deg: F64,
        t_s: F64 | None = None,
    ) -> F64:
        """J/S [dB] of jammer ``k`` at ``m`` victim samples (module docstring): the link of a
        station at ``r_station_km`` [m, 3] and a satellite at ``r_sat_km`` [m, 3], in the
        direction ``uplink`` (the satellite receives) or not (the station receives), with the
        victim budget's carrier, symbol rate, EIRP, attenuation and losses [m] and its
        receiver (station dish diameter, or satellite 3 dB beamwidth; NaN: unknown, no
        jamming). ``-inf`` where the jammer cannot reach the receiver (off channel, beyond
        the horizon, another direction). ``t_s`` [m]: the sample times, where a moving
        jammer is (:meth:`geometry_at`); None: its switch-on geometry."""
        m = r_sat_km.shape[0]
        out = np.full(m, -np.inf)
        if bool(self.uplink[k]) != uplink:
            return out
        co = np.abs(self.frequency_hz[k] - frequency_hz) <= symbol_rate_baud / 2.0
        rj, axis, h_j = self.geometry_at(k, t_s, m)
        if uplink:  # receiver: the satellite, axis towards the station
            to_j = rj - r_sat_km
            d_j = np.linalg.norm(to_j, axis=1)
            d_s = np.linalg.norm(r_station_km - r_sat_km, axis=1)
            g_rel = relative_gain_db(_angle_deg(r_station_km - r_sat_km, to_j), rx_beamwidth_deg)
            seen = np.einsum("ij,ij->i", r_sat_km - rj, axis) > 0  # above its horizon
            ok = co & seen & np.isfinite(rx_beamwidth_deg)
        else:  # receiver: the station, axis towards the satellite
            to_j = rj - r_station_km
            d_j = np.linalg.norm(to_j, axis=1)
            d_s = np.linalg.norm(r_sat_km - r_station_km, axis=1)
            th = _angle_deg(r_sat_km - r_station_km, to_j)
            g_rel = station_gain_db(th, rx_diameter_m, frequency_hz) - station_gain_db(
                np.zeros(m), rx_diameter_m, frequency_hz
            )
            two_k_r = 2.0 * EFFECTIVE_EARTH_K * EARTH_RADIUS_KM
            horizon = np.sqrt(two_k_r * h_j) + np.sqrt(two_k_r * np.maximum(station_height_km, 0.0))
            ok = co & np.isfinite(rx_diameter_m) & (d_j <= horizon)
        tx = relative_gain_db(_angle_deg(np.ascontiguousarray(axis), -to_j),
                              self.beamwidth_deg[k])  # fmt: skip
        js = (
            self.eirp_dbw[k] + tx - eirp_dbw
            - 20.0 * np.log10(np.maximum(d_j, 1e-6)) + 20.0 * np.log10(d_s)
            + g_rel - 20.0 * np.log10(self.frequency_hz[k] / frequency_hz)
            + attenuation_db + losses_db
            + (self.boost_db[k] if self.boost_db is not None else 0.0)
        )  # fmt: skip
        out[ok] = js[ok]
        return out


def tally_rate_loss(
    tally: list[Any], old_bps: F64, new_bps: F64, duration_s: F64
) -> NDArray[np.bool_]:
    """Add to one jammer's ``tally`` (``[pieces slowed, pieces closed, bytes lost, seconds
    slowed, ...]``, updated in place) the pieces whose rate fell from ``old_bps`` to
    ``new_bps`` over ``duration_s`` (float64[m] each); returns bool[m], the pieces slowed
    (a piece that had no rate is not counted)."""
    lost = old_bps - new_bps
    hit = (lost > 0) & (old_bps > 0)
    tally[0] += int(hit.sum())
    tally[1] += int((hit & (new_bps <= 0)).sum())
    tally[2] += float((lost * duration_s)[hit].sum()) / 8.0
    tally[3] += float(duration_s[hit].sum())
    return np.asarray(hit, dtype=np.bool_)
