"""Trajectory files: OEM/CSV round trips against an analytic Kepler orbit, interpolation
convergence, frame bias vs skyfield, time systems vs hand-computed offsets, bad input."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import numpy as np
import pytest

from orbitcloud.constants import MARS_MU_KM3_S2
from orbitcloud.scenario.space import TrajectoryFile
from orbitcloud.scenario.trajectory import (
    EME2000_TO_ICRF,
    Trajectory,
    TrajectoryError,
    read_trajectory,
    write_oem,
)

EPOCH = dt.datetime(2027, 12, 1, tzinfo=dt.UTC)


def kepler_mars(t_s: np.ndarray, a_km: float = 4000.0, e: float = 0.1) -> tuple:
    """Analytic two-body orbit about Mars (Kepler's equation by Newton iteration), inclined
    30° about x: positions [n, 3] km and velocities [n, 3] km/s."""
    n = np.sqrt(MARS_MU_KM3_S2 / a_km**3)
    M = n * t_s
    E = M.copy()
    for _ in range(30):
        E = E - (E - e * np.sin(E) - M) / (1 - e * np.cos(E))
    b = a_km * np.sqrt(1 - e * e)
    x, y = a_km * (np.cos(E) - e), b * np.sin(E)
    Ed = n / (1 - e * np.cos(E))
    vx, vy = -a_km * np.sin(E) * Ed, b * np.cos(E) * Ed
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    r = np.stack([x, y * c, y * s], -1)
    v = np.stack([vx, vy * c, vy * s], -1)
    return r, v


T_S = np.arange(0.0, 6 * 3600.0 + 1, 60.0)
R_KM, V_KM_S = kepler_mars(T_S)
T_MID = T_S[:-1] + 30.0
R_MID, _ = kepler_mars(T_MID)


def oem_spec(text: str) -> TrajectoryFile:
    return TrajectoryFile(name="mro", file="mro.oem", text=text)


def csv_spec(text: str, degree: int = 7) -> TrajectoryFile:
    return TrajectoryFile(
        name="mro", file="mro.csv", center="mars", interpolation_degree=degree, text=text
    )


def roundtrip(traj: Trajectory) -> Trajectory:
    buf = io.StringIO()
    write_oem(traj, EPOCH, buf)
    return read_trajectory(oem_spec(buf.getvalue()), EPOCH)


@pytest.mark.parametrize(("method", "degree"), [("lagrange", 7), ("hermite", 7)])
def test_oem_roundtrip_vs_kepler(method: str, degree: int) -> None:
    v = V_KM_S if method == "hermite" else None
    back = roundtrip(Trajectory("mro", "mars", T_S, R_KM, v, method, degree))
    assert (back.center, back.method, back.degree) == ("mars", method, degree)
    # samples as written: epochs to the microsecond, states to 15 significant digits
    assert np.abs(back.t_s - T_S).max() < 1e-6
    assert np.abs(back.r_km - R_KM).max() < 1e-9
    err_m = np.linalg.norm(back.position_km(T_MID) - R_MID, axis=1).max() * 1000
    assert err_m < 1e-3  # measured 1.4e-4 m (Lagrange 7), 2.4e-7 m (Hermite 7)
    # at the samples themselves the interpolant reproduces them
    assert np.abs(back.position_km(T_S) - R_KM).max() < 1e-9


def test_lagrange_without_velocities_writes_interpolant_derivative() -> None:
    back = roundtrip(Trajectory("mro", "mars", T_S, R_KM, None, "lagrange", 11))
    assert back.v_km_s is not None
    assert np.abs(back.v_km_s - V_KM_S).max() < 1e-9  # km/s; measured 2.7e-11


def test_csv_roundtrip_vs_kepler() -> None:
    rows = ["t_s,x_km,y_km,z_km,vx_km_s,vy_km_s,vz_km_s"]
    rows += [
        ",".join(f"{x:.15g}" for x in (t, *r, *v))
        for t, r, v in zip(T_S, R_KM, V_KM_S, strict=True)
    ]
    traj = read_trajectory(csv_spec("\n".join(rows)), EPOCH)
    assert traj.method == "hermite" and traj.center == "mars"
    assert np.abs(traj.r_km - R_KM).max() < 1e-9
    err_m = np.linalg.norm(traj.position_km(T_MID) - R_MID, axis=1).max() * 1000
    assert err_m < 1e-3
    # the epoch column gives the same times
    rows = ["epoch,x_km,y_km,z_km"]
    rows += [
        f"{(EPOCH + dt.timedelta(seconds=float(t))).isoformat()},"
        + ",".join(repr(float(x)) for x in r)
        for t, r in zip(T_S, R_KM, strict=True)
    ]
    traj = read_trajectory(csv_spec("\n".join(rows)), EPOCH)
    assert traj.method == "lagrange"
    np.testing.assert_array_equal(traj.t_s, T_S)
    err_m = np.linalg.norm(traj.position_km(T_MID) - R_MID, axis=1).max() * 1000
    assert err_m < 1e-3


def test_both_methods_converge() -> None:
    errs = {}
    for method in ("lagrange", "hermite"):
        for degree in (3, 5, 7, 9):
            v = V_KM_S if method == "hermite" else None
            traj = Trajectory("mro", "mars", T_S, R_KM, v, method, degree)
            errs[method, degree] = np.linalg.norm(traj.position_km(T_MID) - R_MID, axis=1).max()
    for method in ("lagrange", "hermite"):
        e = [errs[method, d] for d in (3, 5, 7, 9)]
        assert all(b < a / 10 for a, b in itertools.pairwise(e)), (method, e)
    assert errs["lagrange", 9] * 1000 < 1e-4  # m
    assert errs["hermite", 9] * 1000 < 1e-4


def test_outside_span_is_nan_and_queries_vectorised() -> None:
    traj = Trajectory("mro", "mars", T_S, R_KM, None, "lagrange", 7)
    out = traj.position_km(np.array([-1.0, 0.0, T_S[-1], T_S[-1] + 1.0, np.nan]))
    assert out.shape == (5, 3)
    assert np.isnan(out[[0, 3, 4]]).all() and np.isfinite(out[[1, 2]]).all()


def test_eme2000_rotated_by_frame_bias_as_skyfield() -> None:
    from skyfield.framelib import ICRS_to_J2000

    # skyfield's matrix is IERS 2003 ch. 5, the same bias: J2000 = B · ICRS
    np.testing.assert_allclose(EME2000_TO_ICRF, ICRS_to_J2000.T, rtol=0, atol=1e-15)
    text = oem_text(frame="EME2000")
    traj = read_trajectory(oem_spec(text), EPOCH)
    r_icrf_expected = R_KM[:20] @ ICRS_to_J2000  # ICRS = B^T · J2000, row vectors
    assert np.abs(traj.r_km - r_icrf_expected).max() * 1000 < 1e-6
    # the bias is ~23 mas = 1.1e-7 rad: up to 0.44 m at 4000 km
    assert 0.1e-3 < np.abs(traj.r_km - R_KM[:20]).max() < 0.5e-3


def oem_text(
    frame: str = "ICRF",
    center: str = "MARS",
    time_system: str = "UTC",
    n: int = 20,
    lines: list[str] | None = None,
    degree: int = 7,
) -> str:
    head = [
        "CCSDS_OEM_VERS = 2.0",
        "CREATION_DATE = 2026-12-01T00:00:00",
        "ORIGINATOR = test",
        "",
        "META_START",
        "OBJECT_NAME = MRO",
        "OBJECT_ID = 2005-029A",
        f"CENTER_NAME = {center}",
        f"REF_FRAME = {frame}",
        f"TIME_SYSTEM = {time_system}",
        "START_TIME = 2027-12-01T00:00:00.000",
        f"STOP_TIME = 2027-12-01T{(n - 1) // 60:02d}:{(n - 1) % 60:02d}:00.000",
        "INTERPOLATION = LAGRANGE",
        f"INTERPOLATION_DEGREE = {degree}",
        "META_STOP",
        "",
    ]
    if lines is None:
        lines = [
            f"2027-12-01T{i // 60:02d}:{i % 60:02d}:00.000 "
            + " ".join(f"{x:.14e}" for x in (*R_KM[i], *V_KM_S[i]))
            for i in range(n)
        ]
    return "\n".join(head + lines) + "\n"


def test_time_systems_converted_to_utc() -> None:
    # 2027: TAI − UTC = 37 s (IERS Bulletin C; no leap second since 2017), TT = TAI + 32.184 s
    for system, offset_s in (("UTC", 0.0), ("TAI", -37.0), ("TT", -69.184)):
        traj = read_trajectory(oem_spec(oem_text(time_system=system)), EPOCH)
        assert abs(traj.t_s[0] - offset_s) < 1e-6, system
    # TDB − TT is periodic with amplitude 1.66 ms (Fairhead & Bretagnon 1990)
    traj = read_trajectory(oem_spec(oem_text(time_system="TDB")), EPOCH)
    assert abs(traj.t_s[0] + 69.184) < 2e-3


def data_line(i: int, t: str | None = None, x: str | None = None) -> str:
    t = t or f"2027-12-01T00:{i:02d}:00.000"
    vals = [f"{v:.14e}" for v in (*R_KM[i], *V_KM_S[i])]
    if x is not None:
        vals[0] = x
    return f"{t} " + " ".join(vals)


GOOD = [data_line(i) for i in range(20)]
# data lines start after the 16 header lines: GOOD[k] is on line 17 + k
BAD_OEM = {
    "garbage": ("hello world\n", "mro.oem:2): OEM file must start with"),
    "unsorted": (oem_text(lines=[*GOOD[:5], GOOD[6], GOOD[5], *GOOD[7:]]), "mro.oem:23"),
    "repeated": (oem_text(lines=[*GOOD[:5], GOOD[4], *GOOD[5:]]), "mro.oem:22): epoch"),
    "not a number": (oem_text(lines=[*GOOD[:3], data_line(3, x="abc"), *GOOD[4:]]), "mro.oem:20"),
    "nan": (oem_text(lines=[*GOOD[:3], data_line(3, x="nan"), *GOOD[4:]]), "mro.oem:20"),
    "center": (oem_text(center="JUPITER"), "mro.oem:8): CENTER_NAME = JUPITER"),
    "frame": (oem_text(frame="ITRF"), "mro.oem:9): REF_FRAME = ITRF"),
    "time system": (oem_text(time_system="GPS"), "TIME_SYSTEM = GPS"),
    "too few": (oem_text(lines=GOOD[:5], degree=7), "5 samples, interpolation needs at least 8"),
    "no object id": (oem_text().replace("OBJECT_ID = 2005-029A\n", ""), "OBJECT_ID"),
    "short line": (oem_text(lines=[*GOOD[:3], GOOD[3].rsplit(" ", 2)[0], *GOOD[4:]]), "mro.oem:20"),
}


@pytest.mark.parametrize("case", sorted(BAD_OEM))
def test_bad_oem_gives_one_line_trajectory_error(case: str) -> None:
    text, expected = BAD_OEM[case]
    with pytest.raises(TrajectoryError) as info:
        read_trajectory(oem_spec(text), EPOCH)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("trajectory 'mro' (mro.oem"), msg
    assert expected in msg, msg


HEADER = "t_s,x_km,y_km,z_km"
CSV_ROWS = [f"{60.0 * i},{R_KM[i, 0]},{R_KM[i, 1]},{R_KM[i, 2]}" for i in range(20)]
BAD_CSV = {
    "empty": ("", "empty CSV"),
    "no time": ("x_km,y_km,z_km\n1,2,3", "mro.csv:1): missing column(s) t_s or epoch"),
    "no z": ("t_s,x_km,y_km\n0,1,2", "mro.csv:1): missing column(s) z_km"),
    "partial v": ("t_s,x_km,y_km,z_km,vx_km_s\n0,1,2,3,4", "mro.csv:1): give all of"),
    "unsorted": ("\n".join([HEADER, *CSV_ROWS[:3], CSV_ROWS[4], CSV_ROWS[3]]), "mro.csv:6"),
    "repeated": ("\n".join([HEADER, *CSV_ROWS[:3], CSV_ROWS[2], *CSV_ROWS[3:]]), "mro.csv:5"),
    "inf": ("\n".join([HEADER, *CSV_ROWS[:2], "120,inf,0,0", *CSV_ROWS[3:]]), "mro.csv:4"),
    "text": ("\n".join([HEADER, *CSV_ROWS[:2], "120,abc,0,0", *CSV_ROWS[3:]]), "mro.csv:4"),
    "fields": ("\n".join([HEADER, *CSV_ROWS[:2], "120,0,0", *CSV_ROWS[3:]]), "mro.csv:4"),
    "too few": ("\n".join([HEADER, *CSV_ROWS[:4]]), "4 samples, interpolation needs at least 8"),
    "bad epoch": ("epoch,x_km,y_km,z_km\nyesterday,1,2,3", "mro.csv:2"),
    "no rows": (HEADER, "no data rows"),
}


@pytest.mark.parametrize("case", sorted(BAD_CSV))
def test_bad_csv_gives_one_line_trajectory_error(case: str) -> None:
    text, expected = BAD_CSV[case]
    with pytest.raises(TrajectoryError) as info:
        read_trajectory(csv_spec(text), EPOCH)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("trajectory 'mro' (mro.csv"), msg
    assert expected in msg, msg


BASE = {"t_s": T_S, "r_km": R_KM, "v_km_s": None, "method": "lagrange", "degree": 7}
BAD_ARRAYS = {
    "shape": {"r_km": R_KM[:-1]},
    "method": {"method": "spline"},
    "hermite": {"method": "hermite", "v_km_s": None},
    "center": {"center": "jupiter"},
    "degree": {"degree": 400},
    "order": {"t_s": T_S[::-1].copy()},
}


@pytest.mark.parametrize("case", sorted(BAD_ARRAYS))
def test_trajectory_checks_its_own_arrays(case: str) -> None:
    fields = {"name": "mro", "center": "mars", **BASE, **BAD_ARRAYS[case]}
    with pytest.raises(TrajectoryError, match=r"^trajectory 'mro': "):
        Trajectory(**fields)  # type: ignore[arg-type]


def test_many_queries_in_blocks_equal_one_by_one() -> None:
    traj = Trajectory("mro", "mars", T_S, R_KM, V_KM_S, "hermite", 7)
    q = np.random.default_rng(1).uniform(-100, T_S[-1] + 100, 200_000)  # > one block
    all_at_once = traj.position_km(q)
    some = np.arange(0, q.size, 9973)
    singles = np.vstack([traj.position_km(q[i : i + 1]) for i in some])
    np.testing.assert_array_equal(all_at_once[some], singles)


@pytest.mark.parametrize(("method", "degree"), [("lagrange", 7), ("hermite", 7), ("lagrange", 5)])
def test_interpolation_matches_the_oem_librarys_own(method: str, degree: int, tmp_path) -> None:
    """The `oem` library interpolates with its own Vandermonde solve on its own windows: an
    independent implementation of the same CCSDS rule."""
    from astropy.time import Time, TimeDelta
    from oem import OrbitEphemerisMessage

    v = V_KM_S if method == "hermite" else None
    traj = Trajectory("mro", "mars", T_S, R_KM, v, method, degree)
    path = tmp_path / "mro.oem"
    write_oem(traj, EPOCH, path)  # to a file path this time
    message = OrbitEphemerisMessage.open(path)
    q = np.array([30.0, 95.0, 1000.5, 7777.7, 21500.0])
    e0 = Time("2027-12-01T00:00:00", scale="utc")
    lib = np.array([message(e0 + TimeDelta(x, format="sec")).position for x in q])
    err_m = np.abs(lib - traj.position_km(q)).max() * 1000
    assert err_m < 1e-6  # measured 1.3e-8 m
    back = read_trajectory(oem_spec(path.read_text()), EPOCH)
    np.testing.assert_array_equal(back.position_km(q), roundtrip(traj).position_km(q))
