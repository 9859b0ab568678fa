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
