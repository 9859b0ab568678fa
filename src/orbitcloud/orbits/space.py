"""Motion of nodes beyond Earth orbit: surface sites, Keplerian + J2 orbiters, trajectory files.

* Surface sites rotate with their body (``BodyEphemeris.to_fixed``, IAU models); the position
  is planetocentric latitude/east longitude on the body's reference ellipsoid (the Moon: its
  1737.4 km sphere) plus height.
* Orbiters: osculating elements at the epoch in the body's IAU mean equator of the epoch
  (x toward the node of that equator on the ICRF equator, i.e. at right ascension
  alpha0 + 90 deg; Archinal et al. 2018, Fig. 1), with the secular J2 rates of Vallado,
  *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013), eqs. 9-41 (node),
  9-42 (periapsis) and 9-43 (mean anomaly)::

      dΩ/dt = −(3/2) n J2 (R/p)² cos i
      dω/dt =  (3/4) n J2 (R/p)² (5 cos² i − 1)
      dM/dt =  n [1 + (3/4) J2 (R/p)² √(1−e²) (3 cos² i − 1)]

  and Kepler's equation solved by Newton's method (Vallado, algorithm 2), a fixed
  :data:`KEPLER_ITERATIONS` from E0 = M + e sin M (converged to < 1e-12 rad for e < 0.95).
* Ephemeris nodes: an object with ``position_km(t_s) -> [n, 3]`` relative to its centre
  (ICRF axes), from the trajectory reader.

Sunlight (:meth:`SpaceNodes.sunlit`): a point Sun and spherical Earth, Moon and Mars of their
equatorial radii, as ``orbits/sun.py`` does for the Earth (the segment node → Sun centre
misses every sphere); a surface node's own body is the local horizon instead (Sun elevation
above its planetocentric 'up' > 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orbitcloud.orbits.bodies import BODIES, BodyEphemeris

__all__ = [
    "KEPLER_ITERATIONS",
    "KeplerJ2Orbit",
    "SpaceNodes",
    "mean_equator_to_icrf",
    "surface_fixed_km",
    "surface_up",
]

F64 = NDArray[np.float64]
IDX = NDArray[np.intp]

#: Newton iterations for Kepler's equation (quadratic convergence: 8 reach 1e-12 rad for
#: e < 0.95 from E0 = M + e sin M).
KEPLER_ITERATIONS = 8
#: Bodies that shadow (sunlit tests).
_SHADOWING = ("earth", "moon", "mars")
#: node x time elements per chunk of sunlit.
_SUNLIT_CHUNK = 1 << 18


def surface_fixed_km(body: str, lat_deg: F64, lon_deg: F64, height_km: F64) -> F64:
    """Body-fixed position [km], float64[..., 3], of planetocentric latitude ``lat_deg``, east
    longitude ``lon_deg`` and ``height_km`` above the body's ellipsoid, whose radius at
    planetocentric latitude φ is ``a b / sqrt((b cos φ)² + (a sin φ)²)`` (Moon: a = b)."""
    b = BODIES[body]
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    a_, b_ = b.radius_km, b.polar_radius_km
    r = a_ * b_ / np.hypot(b_ * np.cos(lat), a_ * np.sin(lat)) + np.asarray(height_km)
    return r[..., None] * surface_up(lat_deg, lon_deg)


def surface_up(lat_deg: F64, lon_deg: F64) -> F64:
    """Unit radial (planetocentric) 'up' [..., 3] in the body-fixed frame."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def mean_equator_to_icrf(bodies: BodyEphemeris, body: str) -> F64:
    """Rotation [3, 3] from the body's IAU mean equator at the epoch (x at the node on the
    ICRF equator, z the pole) to ICRF: columns x = (−sin α0, cos α0, 0), y = z × x,
    z = (cos δ0 cos α0, cos δ0 sin α0, sin δ0) (Archinal et al. 2018, Fig. 1)."""
    ra, dec = bodies.pole_radec_rad(body, np.zeros(1))
    a, d = float(ra[0]), float(dec[0])
    z = np.array([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)])
    x = np.array([-np.sin(a), np.cos(a), 0.0])
    return np.stack([x, np.cross(z, x), z], axis=1)


@dataclass(frozen=True)
class KeplerJ2Orbit:
    """Orbiters around one body; arrays float64[n_orbiter]: semi-major axis [km],
    eccentricity, inclination, RAAN, argument of periapsis and mean anomaly at the epoch
    [rad], in the body's IAU mean equator of the epoch. ``j2``: apply secular J2 rates."""

    body: str
    a_km: F64
    e: F64
    i_rad: F64
    raan_rad: F64
    argp_rad: F64
    m0_rad: F64
    j2: bool = True

    @property
    def n_rad_s(self) -> F64:
        """Keplerian mean motion sqrt(mu / a³) [rad/s], [n_orbiter]."""
        return np.sqrt(BODIES[self.body].mu_km3_s2 / self.a_km**3)

    @property
    def period_s(self) -> F64:
        """Keplerian period 2π sqrt(a³ / mu) [s], [n_orbiter] (Kepler's third law)."""
        return 2 * np.pi / self.n_rad_s

    @property
    def rates_rad_s(self) -> tuple[F64, F64, F64]:
        """Secular dΩ/dt, dω/dt, dM/dt [rad/s], [n_orbiter] (Vallado 2013, eqs. 9-41..9-43)."""
        n = self.n_rad_s
        if not self.j2:
            zero = np.zeros_like(n)
            return zero, zero, n
        b = BODIES[self.body]
        p = self.a_km * (1 - self.e**2)
        k = b.j2 * (b.j2_radius_km / p) ** 2
        c = np.cos(self.i_rad)
        raan_dot = -1.5 * n * k * c
        argp_dot = 0.75 * n * k * (5 * c * c - 1)
        m_dot = n * (1 + 0.75 * k * np.sqrt(1 - self.e**2) * (3 * c * c - 1))
        return raan_dot, argp_dot, m_dot

    def position_km(self, idx: IDX, t_s: F64, eq_to_icrf: F64) -> F64:
        """Positions [km], float64[m, 3], of orbiter ``idx[i]`` at ``t_s[i]`` [m], relative to
        the body's centre in ICRF axes; ``eq_to_icrf`` [3, 3] from :func:`mean_equator_to_icrf`.
        """
        idx = np.asarray(idx, dtype=np.intp)
        t = np.asarray(t_s, dtype=np.float64)
        raan_dot, argp_dot, m_dot = self.rates_rad_s
        e = self.e[idx]
        a = self.a_km[idx]
        raan = self.raan_rad[idx] + raan_dot[idx] * t
        argp = self.argp_rad[idx] + argp_dot[idx] * t
        m = np.mod(self.m0_rad[idx] + m_dot[idx] * t, 2 * np.pi)
        ecc = m + e * np.sin(m)
        for _ in range(KEPLER_ITERATIONS):
            ecc = ecc - (ecc - e * np.sin(ecc) - m) / (1 - e * np.cos(ecc))
        xp = a * (np.cos(ecc) - e)
        yp = a * np.sqrt(1 - e * e) * np.sin(ecc)
        # Perifocal → equatorial: R3(−Ω) R1(−i) R3(−ω) (Vallado 2013, eq. 3-31 / algorithm 10).
        co, so = np.cos(raan), np.sin(raan)
        cw, sw = np.cos(argp), np.sin(argp)
        ci, si = np.cos(self.i_rad[idx]), np.sin(self.i_rad[idx])
        x = (co * cw - so * sw * ci) * xp + (-co * sw - so * cw * ci) * yp
        y = (so * cw + co * sw * ci) * xp + (-so * sw + co * cw * ci) * yp
        z = (sw * si) * xp + (cw * si) * yp
        return np.stack([x, y, z], -1) @ np.asarray(eq_to_icrf).T


@dataclass(frozen=True)
class SpaceNodes:
    """Nodes beyond Earth orbit, in node order: ``names`` list[n], ``kind`` list
    ('surface'|'orbiter'|'ephemeris'), ``body`` list (the central body; ephemeris: its
    centre), ``constellation`` list (its constellation's name), and the models:
    ``surface_fixed_km`` [n, 3] and ``surface_up_fixed`` [n, 3] (NaN off the surface),
    ``min_elevation_deg`` [n] (NaN off the surface), the orbiter groups and trajectories."""

    names: list[str]
    kind: list[str]
    body: list[str]
    constellation: list[str]
    surface_fixed_km: F64
    surface_up_fixed: F64
    min_elevation_deg: F64
    #: per orbiter constellation: (node indices [k], KeplerJ2Orbit with k orbiters)
    orbiters: list[tuple[IDX, KeplerJ2Orbit]] = field(default_factory=list)
    #: per ephemeris node: node index -> trajectory object
    trajectories: dict[int, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.names)

    @classmethod
    def from_constellations(
        cls,
        constellations: list[Any],
        epoch: dt.datetime,
        trajectories: Callable[[Any, dt.datetime], Any] | None = None,
    ) -> SpaceNodes:
        """Nodes from the scenario's surface/orbiter/ephemeris constellations, in order; other
        kinds are skipped. ``trajectories(entry, epoch)`` reads each ephemeris entry."""
        names: list[str] = []
        kind: list[str] = []
        body: list[str] = []
        cons: list[str] = []
        fixed: list[F64] = []
        up: list[F64] = []
        min_el: list[float] = []
        orbiters: list[tuple[IDX, KeplerJ2Orbit]] = []
        trajs: dict[int, Any] = {}
        nan3 = np.full(3, np.nan)

        def add(name: str, k: str, b: str, c: str) -> None:
            names.append(name)
            kind.append(k)
            body.append(b)
            cons.append(c)

        for c in constellations:
            k = getattr(c, "kind", None)
            if k == "surface":
                for s in c.sites:
                    add(s.name, "surface", c.body, c.name)
                    fixed.append(surface_fixed_km(c.body, s.lat_deg, s.lon_deg, s.height_km))
                    up.append(surface_up(s.lat_deg, s.lon_deg))
                    min_el.append(s.min_elevation_deg)
            elif k == "orbiter":
                first = len(names)
                for el in c.satellites:
                    add(el.name, "orbiter", c.body, c.name)
                    fixed.append(nan3)
                    up.append(nan3)
                    min_el.append(np.nan)
                sats = c.satellites

                def arr(attr: str, deg: bool, sats: Any = sats) -> F64:
                    v = np.array([getattr(s, attr) for s in sats], dtype=np.float64)
                    return np.radians(v) if deg else v

                orbit = KeplerJ2Orbit(
                    body=c.body,
                    a_km=arr("semi_major_axis_km", False),
                    e=arr("eccentricity", False),
                    i_rad=arr("inclination_deg", True),
                    raan_rad=arr("raan_deg", True),
                    argp_rad=arr("arg_periapsis_deg", True),
                    m0_rad=arr("mean_anomaly_deg", True),
                    j2=bool(c.j2),
                )
                orbiters.append((np.arange(first, len(names), dtype=np.intp), orbit))
            elif k == "ephemeris":
                if trajectories is None:
                    raise ValueError(
                        f"constellation {c.name!r} (kind: ephemeris) needs a trajectory reader: "
                        "pass trajectories= to SpaceNodes.from_constellations"
                    )
                for tf in c.satellites:
                    traj = trajs[len(names)] = trajectories(tf, epoch)
                    # an OEM file names its centre (CENTER_NAME); a CSV takes the entry's
                    add(tf.name, "ephemeris", getattr(traj, "center", tf.center), c.name)
                    fixed.append(nan3)
                    up.append(nan3)
                    min_el.append(np.nan)
        return cls(
            names=names,
            kind=kind,
            body=body,
            constellation=cons,
            surface_fixed_km=np.array(fixed, dtype=np.float64).reshape(-1, 3),
            surface_up_fixed=np.array(up, dtype=np.float64).reshape(-1, 3),
            min_elevation_deg=np.array(min_el, dtype=np.float64),
            orbiters=orbiters,
            trajectories=trajs,
        )

    # --- positions --------------------------------------------------------------------------

    def _relative_km(self, bodies: BodyEphemeris, idx: IDX, t_s: F64) -> F64:
        """Positions relative to each node's central body, ICRF axes, [m, 3] for pairs."""
        out = np.full((idx.shape[0], 3), np.nan)
        kinds = np.array(self.kind, dtype=object)[idx]
        node_body = np.array(self.body, dtype=object)[idx]
        for b in set(node_body[kinds == "surface"].tolist()):
            sel = np.flatnonzero((kinds == "surface") & (node_body == b))
            m = bodies.to_fixed(b, t_s[sel])
            out[sel] = np.einsum("nji,nj->ni", m, self.surface_fixed_km[idx[sel]])
        for nodes, orbit in self.orbiters:
            pos_in = np.searchsorted(nodes, idx)
            pos_in = np.minimum(pos_in, len(nodes) - 1)
            sel = np.flatnonzero(nodes[pos_in] == idx)
            if sel.size:
                q = mean_equator_to_icrf(bodies, orbit.body)
                out[sel] = orbit.position_km(pos_in[sel], t_s[sel], q)
        for node, traj in self.trajectories.items():
            sel = np.flatnonzero(idx == node)
            if sel.size:
                out[sel] = np.asarray(traj.position_km(t_s[sel]), dtype=np.float64)
        return out

    def icrf_km(self, bodies: BodyEphemeris, idx: IDX, t_s: F64) -> F64:
        """Barycentric ICRF positions [km], float64[m, 3], of node ``idx[i]`` at ``t_s[i]``."""
        idx = np.atleast_1d(np.asarray(idx, dtype=np.intp))
        t_s = np.broadcast_to(np.asarray(t_s, dtype=np.float64), idx.shape)
        out = self._relative_km(bodies, idx, t_s)
        node_body = np.array(self.body)[idx]
        for b in set(node_body.tolist()):
            sel = np.flatnonzero(node_body == b)
            out[sel] += bodies.position_km(b, t_s[sel])
        return out

    def icrf_grid_km(self, bodies: BodyEphemeris, t_s: F64) -> F64:
        """Barycentric ICRF positions [km], float64[n_node, n_time, 3]. Each body's centre and
        orientation are evaluated once for all times."""
        t_s = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        n, nt = len(self), t_s.shape[0]
        out = np.empty((n, nt, 3))
        kinds = np.array(self.kind)
        node_body = np.array(self.body)
        for b in set(self.body):
            centre = bodies.position_km(b, t_s)
            surf = np.flatnonzero((kinds == "surface") & (node_body == b))
            if surf.size:
                m = bodies.to_fixed(b, t_s)
                out[surf] = np.einsum("tji,nj->nti", m, self.surface_fixed_km[surf])
                out[surf] += centre[None]
            for nodes, orbit in self.orbiters:
                if orbit.body != b:
                    continue
                q = mean_equator_to_icrf(bodies, b)
                k = np.repeat(np.arange(len(nodes)), nt)
                r = orbit.position_km(k, np.tile(t_s, len(nodes)), q).reshape(len(nodes), nt, 3)
                out[nodes] = r + centre[None]
            for node, traj in self.trajectories.items():
                if self.body[node] == b:
                    out[node] = np.asarray(traj.position_km(t_s), dtype=np.float64) + centre
        return out

    def up_icrf(self, bodies: BodyEphemeris, idx: IDX, t_s: F64) -> F64:
        """Local 'up' [m, 3] in ICRF of surface node ``idx[i]`` at ``t_s[i]``."""
        idx = np.atleast_1d(np.asarray(idx, dtype=np.intp))
        t_s = np.broadcast_to(np.asarray(t_s, dtype=np.float64), idx.shape)
        bad = [self.names[i] for i in set(idx.tolist()) if self.kind[i] != "surface"]
        if bad:
            raise ValueError(f"up_icrf needs surface nodes; not on a surface: {bad[:5]}")
        out = np.empty((idx.shape[0], 3))
        node_body = np.array(self.body)[idx]
        for b in set(node_body.tolist()):
            sel = np.flatnonzero(node_body == b)
            m = bodies.to_fixed(b, t_s[sel])
            out[sel] = np.einsum("nji,nj->ni", m, self.surface_up_fixed[idx[sel]])
        return out

    # --- sunlight ---------------------------------------------------------------------------

    def sunlit(self, bodies: BodyEphemeris, r_icrf_km: F64, t_s: F64) -> NDArray[np.bool_]:
        """Sunlit (True), bool[n_node, n_time], for positions ``r_icrf_km`` [n_node, n_time, 3]
        (barycentric ICRF) at ``t_s`` [n_time]: the segment node → Sun centre misses the
        Earth, Moon and Mars spheres (closest approach ``u* = clip(-(r-c)·d / d·d, 0, 1)``,
        ``d = S - r``, as ``sun.sunlit_mask``); a surface node's own body is tested as Sun
        elevation > 0 above its local 'up'."""
        t_s = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        n, nt = r_icrf_km.shape[:2]
        sun = bodies.position_km("sun", t_s)
        centres = {b: bodies.position_km(b, t_s) for b in _SHADOWING}
        out = np.ones((n, nt), dtype=bool)
        node_body = np.array(self.body)
        surface = np.array(self.kind) == "surface"
        step = max(1, _SUNLIT_CHUNK // max(n, 1))
        for a in range(0, nt, step):
            sl = slice(a, a + step)
            r = r_icrf_km[:, sl]
            d = sun[None, sl] - r
            dd = np.einsum("...i,...i->...", d, d)
            for b in _SHADOWING:
                rc = r - centres[b][None, sl]
                rd = np.einsum("...i,...i->...", rc, d)
                u = np.clip(-rd / dd, 0.0, 1.0)
                closest2 = np.einsum("...i,...i->...", rc, rc) + 2 * u * rd + u * u * dd
                hit = closest2 < BODIES[b].radius_km ** 2
                own = surface & (node_body == b)
                hit[own] = False
                out[:, sl] &= ~hit
        for b in set(node_body[surface].tolist()):
            nodes = np.flatnonzero(surface & (node_body == b))
            m = bodies.to_fixed(b, t_s)
            up = np.einsum("tji,nj->nti", m, self.surface_up_fixed[nodes])
            to_sun = sun[None] - r_icrf_km[nodes]
            out[nodes] &= np.einsum("nti,nti->nt", up, to_sun) > 0
        return out
