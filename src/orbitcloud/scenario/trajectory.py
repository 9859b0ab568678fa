"""Trajectories from ephemeris files: CCSDS OEM (KVN) or CSV, interpolated as OEM specifies.

Sources:

* CCSDS 502.0-B-3, *Orbit Data Messages* (Blue Book, 2023), §5.2 (OEM metadata: CENTER_NAME,
  REF_FRAME, TIME_SYSTEM, INTERPOLATION = LAGRANGE | HERMITE | ..., INTERPOLATION_DEGREE).
  The standard names the method and degree; how many samples a degree takes is the usual
  reading, shared with the `oem` library (which parses and writes the files here, and whose
  own interpolator tests/test_trajectory.py checks against): Lagrange of degree ``d`` on the
  ``d + 1`` nearest samples; Hermite, which also matches velocities, on ``(d + 1) / 2``.
* Lagrange basis: Berrut & Trefethen (2004), "Barycentric Lagrange interpolation", SIAM Review
  46(3), 501, eq. 3.1 (product form; evaluated for all query times at once).
* Hermite basis: Burden & Faires, *Numerical Analysis* (9th ed.), Theorem 3.9:
  ``H(t) = Σ_j [1 − 2 l_j'(t_j)(t − t_j)] l_j(t)² y_j + (t − t_j) l_j(t)² y'_j``.
* EME2000 → ICRF: the frame bias of IERS Conventions 2010 (Petit & Luzum, TN 36), §5.5.4,
  eq. 5.21 with ξ0 = −16.6170 mas, η0 = −6.8192 mas, dα0 = −14.6 mas (a ~23 mas
  rotation, 1.1e-7 rad or 17 km at 1 AU; applied, not neglected).

Times are seconds since the scenario epoch on the UTC day grid (leap seconds inside the
trajectory ignored, as in :mod:`orbitcloud.timegrid`); OEM files in TT, TDB or TAI are
converted to UTC by astropy (bundled leap-second table, offline); other time systems (GPS,
UT1, MET...) are refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
from dataclasses import dataclass
from typing import IO

import numpy as np
from numpy.typing import NDArray

from orbitcloud.scenario.space import TrajectoryFile

__all__ = ["EME2000_TO_ICRF", "Trajectory", "TrajectoryError", "read_trajectory", "write_oem"]

F64 = NDArray[np.float64]

_MAS_TO_RAD = math.pi / (180.0 * 3600.0 * 1000.0)


def _frame_bias() -> F64:
    """ICRS → J2000 (EME2000) frame-bias matrix B (IERS Conventions 2010, eq. 5.21, to second
    order in the small angles, as IERS 2003 Chapter 5 and SOFA ``iauBi00`` give them)."""
    xi0 = -16.6170 * _MAS_TO_RAD
    eta0 = -6.8192 * _MAS_TO_RAD
    da0 = -14.6 * _MAS_TO_RAD
    return np.array(
        [
            [1.0 - 0.5 * (da0 * da0 + xi0 * xi0), da0, -xi0],
            [-da0, 1.0 - 0.5 * (da0 * da0 + eta0 * eta0), -eta0],
            [xi0, eta0, 1.0 - 0.5 * (eta0 * eta0 + xi0 * xi0)],
        ]
    )


#: Rotation taking EME2000 (J2000 mean equator and equinox) vectors to ICRF: ``B.T``.
EME2000_TO_ICRF: F64 = _frame_bias().T

#: OEM CENTER_NAME → centre. MARS BARYCENTER is taken as Mars: Phobos and Deimos move the
#: barycentre ~0.2 m from Mars' centre (DE421 mass ratios), far below link geometry needs.
_CENTERS = {
    "EARTH": "earth",
    "MOON": "moon",
    "MARS": "mars",
    "MARS BARYCENTER": "mars",
    "SUN": "sun",
}
_CENTER_NAMES_OUT = {"earth": "EARTH", "moon": "MOON", "mars": "MARS", "sun": "SUN"}
_FRAMES = ("ICRF", "EME2000")
_TIME_SYSTEMS = ("UTC", "TAI", "TT", "TDB")
_METHODS = {"LAGRANGE": "lagrange", "HERMITE": "hermite"}


#: Queries interpolated at once (bounds the [m, k, k] work arrays to ~130 MB at k = 16).
_BLOCK = 1 << 16


class TrajectoryError(ValueError):
    """Bad trajectory input; the message names the trajectory and, where known, the line."""


@dataclass(frozen=True)
class Trajectory:
    """Samples of one trajectory and how to interpolate them.

    ``t_s``: float64[n], seconds since the scenario epoch, strictly increasing.
    ``r_km``: float64[n, 3], position relative to ``center`` in ICRF axes.
    ``v_km_s``: float64[n, 3] or None, velocity (needed by ``method='hermite'``).
    ``degree``: interpolation degree (Lagrange: ``degree + 1`` samples per window; Hermite:
    ``(degree + 1) // 2``, at least 2).
    """

    name: str
    center: str
    t_s: F64
    r_km: F64
    v_km_s: F64 | None
    method: str
    degree: int

    @property
    def window(self) -> int:
        """Samples per interpolation window."""
        return _window(self.method, self.degree)

    def __post_init__(self) -> None:
        n = self.t_s.shape[0] if self.t_s.ndim == 1 else -1
        problem = None
        if n < 0 or self.r_km.shape != (n, 3):
            problem = f"t_s must be [n] and r_km [n, 3], got {self.t_s.shape}, {self.r_km.shape}"
        elif self.v_km_s is not None and self.v_km_s.shape != (n, 3):
            problem = f"v_km_s must be [n, 3] like r_km, got {self.v_km_s.shape}"
        elif self.method not in ("lagrange", "hermite"):
            problem = f"method {self.method!r}; allowed: 'lagrange', 'hermite'"
        elif self.method == "hermite" and self.v_km_s is None:
            problem = "Hermite interpolation needs velocities (v_km_s)"
        elif self.center not in _CENTER_NAMES_OUT:
            problem = f"center {self.center!r}; allowed: {tuple(_CENTER_NAMES_OUT)}"
        elif self.degree < 1 or n < self.window:
            problem = f"{n} samples, degree {self.degree} needs at least {self.window}"
        elif n > 1 and not (np.diff(self.t_s) > 0).all():
            problem = "t_s must strictly increase"
        if problem:
            raise TrajectoryError(f"trajectory {self.name!r}: {problem}")

    def position_km(self, t_s: F64) -> F64:
        """Interpolated position [km], float64[m, 3], at ``t_s`` float64[m] (any 1-d array of
        seconds since the epoch). NaN outside ``[t_s[0], t_s[-1]]``. No loop over query times:
        windows are picked with ``searchsorted`` and all basis weights computed at once (in
        blocks of ``_BLOCK`` queries, so memory stays ~k² · 8 B · _BLOCK)."""
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64)).ravel()
        out = np.empty((t.shape[0], 3))
        for i in range(0, t.shape[0], _BLOCK):
            out[i : i + _BLOCK] = self._interpolate(t[i : i + _BLOCK])
        return out

    def _interpolate(self, t: F64) -> F64:
        idx, tw = self._windows(t)  # [m, k], [m, k] (times relative to the query)
        r = self.r_km[idx]  # [m, k, 3]
        if self.method == "hermite":
            assert self.v_km_s is not None  # checked when built
            lb, dl_at_node = _lagrange_basis(tw)  # [m, k]
            h0 = (1.0 + 2.0 * dl_at_node * tw) * lb * lb  # (t − t_j) = −tw
            h1 = -tw * lb * lb
            out = np.einsum("mk,mkc->mc", h0, r) + np.einsum("mk,mkc->mc", h1, self.v_km_s[idx])
        else:
            lb, _ = _lagrange_basis(tw)
            out = np.einsum("mk,mkc->mc", lb, r)
        outside = (t < self.t_s[0]) | (t > self.t_s[-1]) | ~np.isfinite(t)
        out[outside] = np.nan
        return out

    def _windows(self, t: F64) -> tuple[NDArray[np.intp], F64]:
        """Indices [m, k] of the ``k`` samples nearest each query time and their times minus the
        query time [s], float64[m, k]."""
        n, k = self.t_s.shape[0], self.window
        tq = np.where(np.isfinite(t), t, self.t_s[0])
        i = np.clip(np.searchsorted(self.t_s, tq, side="right") - 1, 0, n - 2)  # interval
        if k % 2 == 0:
            start = i - (k // 2 - 1)
        else:  # odd window: centre on the nearer end of the interval
            nearer_right = (tq - self.t_s[i]) > (self.t_s[i + 1] - tq)
            start = i - (k - 1) // 2 + nearer_right.astype(np.intp)
        start = np.clip(start, 0, n - k)
        idx = start[:, None] + np.arange(k)[None, :]
        return idx, self.t_s[idx] - tq[:, None]


def _window(method: str, degree: int) -> int:
    """Samples per window: Lagrange ``degree + 1``; Hermite ``(degree + 1) // 2``, at least 2
    (the reading of CCSDS 502.0-B-3 §5.2 that the `oem` library shares)."""
    return max(2, (degree + 1) // 2) if method == "hermite" else degree + 1


def _lagrange_basis(tw: F64) -> tuple[F64, F64]:
    """Lagrange basis at the query, l_j(t), and l_j'(t_j), both float64[m, k], from node times
    relative to the query ``tw = t_j − t`` [m, k] (Berrut & Trefethen 2004, eq. 3.1)."""
    k = tw.shape[1]
    scale = np.maximum(np.ptp(tw, axis=1, keepdims=True), 1e-300)  # conditioning only
    x = tw / scale  # nodes relative to the query, in window units
    diff = x[:, :, None] - x[:, None, :]  # x_j − x_i  [m, j, i]
    eye = np.eye(k, dtype=bool)[None]
    den = np.where(eye, 1.0, diff)
    # l_j(t) = Π_{i≠j} (t − t_i) / (t_j − t_i) = Π_{i≠j} (−x_i) / (x_j − x_i)
    num = np.where(eye, 1.0, -x[:, None, :])
    lb = np.prod(num / den, axis=2)
    # l_j'(t_j) = Σ_{i≠j} 1 / (t_j − t_i)
    dl = np.sum(np.where(eye, 0.0, 1.0 / den), axis=2) / scale
    return lb, dl


# --- reading -------------------------------------------------------------------------------


def _fail(spec_name: str, where: str, message: str) -> TrajectoryError:
    return TrajectoryError(f"trajectory {spec_name!r} ({where}): {message}")


def read_trajectory(spec: TrajectoryFile, epoch: dt.datetime) -> Trajectory:
    """Read ``spec.text`` (OEM KVN or CSV) into a :class:`Trajectory` on the time grid of the
    aware UTC ``epoch``. Raises :class:`TrajectoryError` naming the trajectory and line."""
    if epoch.tzinfo is None:
        raise TrajectoryError(f"trajectory {spec.name!r}: epoch {epoch} must be timezone-aware")
    text = spec.text or ""
    fmt = spec.format
    if fmt is None:
        suffix = os.path.splitext(spec.file or "")[1].lower()
        fmt = "csv" if suffix == ".csv" else "oem" if suffix else None
        if fmt is None:
            fmt = "oem" if text.lstrip().startswith("CCSDS_OEM_VERS") else "csv"
    where = spec.file or "<text>"
    if fmt == "oem":
        return _read_oem(spec.name, where, text, epoch)
    return _read_csv(spec, where, text, epoch)


def _check_samples(
    name: str, where: str, lines: list[int], t: F64, r: F64, v: F64 | None, window: int
) -> None:
    """Strictly increasing finite times, finite states, enough samples for one window."""
    bad = ~np.isfinite(t) | ~np.isfinite(r).all(axis=1)
    if v is not None:
        bad |= ~np.isfinite(v).all(axis=1)
    if bad.any():
        j = int(np.argmax(bad))
        raise _fail(name, f"{where}:{lines[j]}", "non-finite number in the state")
    step = np.diff(t)
    if (step <= 0).any():
        j = int(np.argmax(step <= 0)) + 1
        what = "repeated" if step[j - 1] == 0 else "out of order"
        raise _fail(name, f"{where}:{lines[j]}", f"time {what} (times must strictly increase)")
    if t.shape[0] < window:
        raise _fail(name, where, f"{t.shape[0]} samples, interpolation needs at least {window}")


def _read_oem(name: str, where: str, text: str, epoch: dt.datetime) -> Trajectory:
    from astropy.time import Time  # type: ignore[import-untyped]  # the `oem` library's
    from oem import OrbitEphemerisMessage  # type: ignore[import-untyped]
    from oem.parsers import parse_kvn_oem  # type: ignore[import-untyped]

    data_lines = _oem_data_lines(text)
    try:
        raw = parse_kvn_oem(io.StringIO(text))
    except (ValueError, IndexError, KeyError) as exc:  # the parser says "Error on line N: ..."
        m = re.match(r"Error on line (\d+): (.*)", str(exc))
        if m:
            raise _fail(name, f"{where}:{m.group(1)}", m.group(2)) from None
        raise _fail(name, where, f"not a valid OEM: {exc}") from None
    # Check what the library would only call "Malformed data section", with line numbers.
    for seg_lines in data_lines:
        epochs = [e for _, e in seg_lines]
        for j in range(1, len(epochs)):
            if epochs[j] <= epochs[j - 1]:
                what = "repeated" if epochs[j] == epochs[j - 1] else "out of order"
                raise _fail(
                    name, f"{where}:{seg_lines[j][0]}", f"epoch {epochs[j]} {what} in its segment"
                )
    if not raw[1]:
        raise _fail(name, where, "no META_START segment")
    if len(raw[1]) > 1:
        raise _fail(name, where, f"{len(raw[1])} segments; one segment per trajectory supported")
    meta = raw[1][0]["header"]
    for key, allowed in (
        ("CENTER_NAME", tuple(_CENTERS)),
        ("REF_FRAME", _FRAMES),
        ("TIME_SYSTEM", _TIME_SYSTEMS),
    ):
        value = str(meta.get(key, "")).strip().upper()
        if value not in allowed:
            line = _oem_key_line(text, key)
            raise _fail(
                name, f"{where}:{line}", f"{key} = {value or '(missing)'}; allowed: {allowed}"
            )
    method_raw = str(meta.get("INTERPOLATION", "LAGRANGE")).strip().upper()
    if method_raw not in _METHODS:
        raise _fail(
            name,
            f"{where}:{_oem_key_line(text, 'INTERPOLATION')}",
            f"INTERPOLATION = {method_raw}; allowed: {tuple(_METHODS)}",
        )
    try:
        message = OrbitEphemerisMessage._from_raw_data(raw)
    except Exception as exc:  # the library raises ValueError, KeyError, astropy errors
        raise _fail(name, where, f"not a valid OEM: {exc}") from None
    segment = message.segments[0]
    md = segment.metadata
    columns = segment._state_data  # (epochs, x, y, z, vx, vy, vz[, ax, ay, az])
    lines = [ln for ln, _ in data_lines[0]]
    t_utc = Time(list(columns[0])).utc
    e0 = Time(epoch.astimezone(dt.UTC).replace(tzinfo=None), scale="utc")
    # seconds on the UTC day grid (quasi-JD of ERFA: every UTC day is one unit)
    t = ((t_utc.jd1 - e0.jd1) + (t_utc.jd2 - e0.jd2)) * 86400.0
    state = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns[1:7]])
    r, v = state[:, :3], state[:, 3:6]
    if str(md["REF_FRAME"]).strip().upper() == "EME2000":
        r, v = r @ EME2000_TO_ICRF.T, v @ EME2000_TO_ICRF.T
    method = _METHODS[method_raw]
    degree = int(md["INTERPOLATION_DEGREE"]) if "INTERPOLATION_DEGREE" in md else 5
    if degree < 1:
        raise _fail(name, where, f"INTERPOLATION_DEGREE = {degree}; must be >= 1")
    _check_samples(name, where, lines, t, r, v, _window(method, degree))
    center = _CENTERS[str(md["CENTER_NAME"]).strip().upper()]
    return Trajectory(name, center, t, r, v, method, degree)


def _oem_data_lines(text: str) -> list[list[tuple[int, str]]]:
    """(line number, epoch string) of every data line, per segment (1-based lines)."""
    segments: list[list[tuple[int, str]]] = []
    section = "header"
    for ln, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("COMMENT"):
            continue
        if line == "META_START":
            section = "meta"
            segments.append([])
        elif line == "META_STOP":
            section = "data"
        elif line == "COVARIANCE_START":
            section = "cov"
        elif line == "COVARIANCE_STOP":
            section = "data"
        elif section == "data":
            segments[-1].append((ln, line.split()[0]))
    return segments


def _oem_key_line(text: str, key: str) -> int | str:
    for ln, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*{key}\s*=", line):
            return ln
    return "?"


def _read_csv(spec: TrajectoryFile, where: str, text: str, epoch: dt.datetime) -> Trajectory:
    name = spec.name
    rows = [
        (ln, line)
        for ln, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows:
        raise _fail(name, where, "empty CSV")
    header_ln, header_line = rows[0]
    header = [h.strip() for h in next(csv.reader([header_line]))]
    time_col = "t_s" if "t_s" in header else "epoch" if "epoch" in header else None
    missing = [c for c in ("x_km", "y_km", "z_km") if c not in header]
    if time_col is None or missing:
        need = (["t_s or epoch"] if time_col is None else []) + missing
        raise _fail(name, f"{where}:{header_ln}", f"missing column(s) {', '.join(need)}")
    vel_cols = ("vx_km_s", "vy_km_s", "vz_km_s")
    has_v = all(c in header for c in vel_cols)
    if any(c in header for c in vel_cols) and not has_v:
        raise _fail(name, f"{where}:{header_ln}", f"give all of {', '.join(vel_cols)} or none")
    cols = [header.index(c) for c in ("x_km", "y_km", "z_km", *(vel_cols if has_v else ()))]
    ti = header.index(time_col)
    epoch_utc = epoch.astimezone(dt.UTC)
    lines: list[int] = []
    t_list: list[float] = []
    s_list: list[list[float]] = []
    for ln, line in rows[1:]:
        cells = [c.strip() for c in next(csv.reader([line]))]
        if len(cells) != len(header):
            raise _fail(name, f"{where}:{ln}", f"{len(cells)} fields, the header has {len(header)}")
        try:
            if time_col == "t_s":
                t_list.append(float(cells[ti]))
            else:
                e = dt.datetime.fromisoformat(cells[ti].replace("Z", "+00:00"))
                e = e.replace(tzinfo=dt.UTC) if e.tzinfo is None else e
                t_list.append((e - epoch_utc).total_seconds())
            s_list.append([float(cells[c]) for c in cols])
        except ValueError:
            raise _fail(
                name, f"{where}:{ln}", f"not a number or ISO UTC time: {line.strip()!r}"
            ) from None
        lines.append(ln)
    if not lines:
        raise _fail(name, where, "no data rows")
    t = np.array(t_list, dtype=np.float64)
    s = np.array(s_list, dtype=np.float64)
    v = s[:, 3:6] if has_v else None
    # with velocities the samples are Hermite-interpolated at the same degree
    method = "hermite" if has_v else "lagrange"
    _check_samples(name, where, lines, t, s[:, :3], v, _window(method, spec.interpolation_degree))
    return Trajectory(name, spec.center, t, s[:, :3], v, method, spec.interpolation_degree)


# --- writing -------------------------------------------------------------------------------


def write_oem(
    traj: Trajectory, epoch: dt.datetime, path_or_buffer: str | os.PathLike[str] | IO[str]
) -> None:
    """Write ``traj`` as an OEM v2.0 KVN file (REF_FRAME ICRF, TIME_SYSTEM UTC) through the
    `oem` library: 15 significant digits for states, microseconds for epochs. A trajectory
    without velocities gets the derivative of its Lagrange interpolant at the samples."""
    from astropy.time import Time
    from oem import OrbitEphemerisMessage
    from oem.components import (  # type: ignore[import-untyped]
        EphemerisSegment,
        HeaderSection,
        MetaDataSection,
    )
    from oem.tools import format_epoch, format_float_scientific  # type: ignore[import-untyped]

    e0 = Time(epoch.astimezone(dt.UTC).replace(tzinfo=None), scale="utc")
    times = Time(e0.jd1, e0.jd2 + traj.t_s / 86400.0, format="jd", scale="utc")
    times.format = "isot"
    times.precision = 6  # format_epoch writes %f: microseconds
    v = traj.v_km_s if traj.v_km_s is not None else _node_velocity_km_s(traj)
    header = HeaderSection(
        {
            "CCSDS_OEM_VERS": "2.0",
            "CREATION_DATE": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "ORIGINATOR": "orbitcloud",
        }
    )
    metadata = MetaDataSection(
        {
            "OBJECT_NAME": traj.name,
            "OBJECT_ID": traj.name,
            "CENTER_NAME": _CENTER_NAMES_OUT[traj.center],
            "REF_FRAME": "ICRF",
            "TIME_SYSTEM": "UTC",
            "START_TIME": format_epoch(times[0]),
            "STOP_TIME": format_epoch(times[-1]),
            "INTERPOLATION": traj.method.upper(),
            "INTERPOLATION_DEGREE": str(traj.degree),
        }
    )
    state_data = (
        tuple(times),
        *(tuple(float(x) for x in traj.r_km[:, i]) for i in range(3)),
        *(tuple(float(x) for x in v[:, i]) for i in range(3)),
    )
    message = OrbitEphemerisMessage(header, [EphemerisSegment(metadata, state_data)])
    kvn: str = message._to_kvn_oem(format_epoch, format_float_scientific)
    if isinstance(path_or_buffer, (str, os.PathLike)):
        with open(path_or_buffer, "w", encoding="utf-8") as f:
            f.write(kvn)
    else:
        path_or_buffer.write(kvn)


def _node_velocity_km_s(traj: Trajectory) -> F64:
    """Derivative of the Lagrange interpolant at each sample, float64[n, 3]:
    l_j'(t_i) = (w_j / w_i) / (t_i − t_j) for j ≠ i, l_i'(t_i) = Σ_{k≠i} 1 / (t_i − t_k)
    (Berrut & Trefethen 2004, eq. 9.4 with barycentric weights w_j = 1 / Π_{k≠j}(t_j − t_k))."""
    k = traj.degree + 1
    idx, tw = traj._windows(traj.t_s)  # [n, k]; tw = t_j − t_i
    d = tw[:, :, None] - tw[:, None, :]  # t_j − t_k
    eye = np.eye(k, dtype=bool)[None]
    w = 1.0 / np.prod(np.where(eye, 1.0, d), axis=2)  # [n, k]
    self_pos = np.argmin(np.abs(tw), axis=1)  # where the sample itself sits in its window
    rows = np.arange(tw.shape[0])
    wi = w[rows, self_pos][:, None]
    with np.errstate(divide="ignore"):
        dl = np.where(tw == 0.0, 0.0, (w / wi) / (-tw))
    dl[rows, self_pos] = -np.sum(np.where(tw == 0.0, 0.0, 1.0 / np.where(tw == 0, 1, tw)), axis=1)
    return np.einsum("nk,nkc->nc", dl, traj.r_km[idx])
