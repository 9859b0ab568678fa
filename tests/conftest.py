"""Shared fixtures: the ISS TLE used across tests and skyfield (the independent oracle)."""

from __future__ import annotations

from typing import Any

import pytest

# ISS (ZARYA) TLE quoted in skyfield's and python-sgp4's documentation (epoch 2014-01-20).
ISS_LINE1 = "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082"
ISS_LINE2 = "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473"
ISS_EPOCH = "2014-01-21T00:00:00Z"


@pytest.fixture(scope="session")
def skyfield_ts_eph() -> tuple[Any, Any]:
    """skyfield's builtin timescale and DE421 (offline, from skyfield-data)."""
    from orbitcloud.orbits.sun import _skyfield

    return _skyfield()


def iss_scenario(**overrides: Any) -> dict[str, Any]:
    """A one-satellite ISS scenario dict; keyword arguments replace top-level keys."""
    sc: dict[str, Any] = {
        "name": "iss-test",
        "epoch": ISS_EPOCH,
        "duration_s": 86400,
        "step_s": 60,
        "constellations": [
            {"kind": "tle", "name": "iss", "lines": f"ISS (ZARYA)\n{ISS_LINE1}\n{ISS_LINE2}\n"}
        ],
    }
    sc.update(overrides)
    return sc


def circular_orbit_scenario(
    name: str, epoch: str, duration_s: float, step_s: float, inclination_deg: float, raan_deg: float
) -> dict[str, Any]:
    """One satellite on a 700 km circular orbit of the given inclination and RAAN."""
    sat = {
        "name": "s",
        "altitude_km": 700,
        "inclination_deg": inclination_deg,
        "raan_deg": raan_deg,
    }
    return {
        "name": name,
        "epoch": epoch,
        "duration_s": duration_s,
        "step_s": step_s,
        "constellations": [{"kind": "elements", "name": "c", "satellites": [sat]}],
    }


def walker_3x9(**hardware: Any) -> dict[str, Any]:
    """A small MILSCA-like Walker constellation: 3 planes x 9 at 550 km, 55 deg, F = 1."""
    return {
        "kind": "walker",
        "name": "w",
        "planes": 3,
        "sats_per_plane": 9,
        "phasing": 1,
        "altitude_km": 550,
        "inclination_deg": 55,
        "hardware": hardware,
    }
