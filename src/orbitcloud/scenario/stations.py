"""Built-in deep-space ground-station sets (``ground_station_sets: [dsn, estrack]``).

Each complex is one station whose ``antennas`` is its number of deep-space dishes, so a
complex tracks at most that many spacecraft at once. Positions are those of the complex's
reference antenna, geodetic (WGS84), from the sources below; the elevation mask is the 10°
the DSN plans with (DSN 810-005, module 301, §2.3: antennas point down to 6°, link
performance below 10° is degraded). Stations of these sets serve only ``space_links``
(``earth_orbit_passes: false``); their ``rate_bps`` is unused there (space links carry their
own rates).

Sources:
  DSN: JPL, *DSN Telecommunications Link Design Handbook* 810-005, module 301 rev. P
  ("Coverage and Geometry", Table 3: DSS-14, DSS-63, DSS-43 geodetic coordinates), and the
  *Deep Space Network Services Catalog* 820-100 rev. H (antennas per complex: Goldstone 70 m +
  three 34 m BWG; Madrid 70 m + five 34 m; Canberra 70 m + three 34 m).
  ESTRACK: ESA, "ESTRACK ground stations" (esa.int, Operations): the 35 m deep-space antennas
  DSA 1 New Norcia, DSA 2 Cebreros and DSA 3 Malargüe.
"""

from __future__ import annotations

from typing import Any

__all__ = ["STATION_SET_ROWS", "station_set"]

_COMMON = {"min_elevation_deg": 10.0, "rate_bps": 1.0e6, "earth_orbit_passes": False}

#: name, lat_deg, lon_deg, alt_m, jurisdiction, antennas per set.
STATION_SET_ROWS: dict[str, list[tuple[str, float, float, float, str, int]]] = {
    "dsn": [
        ("dsn-goldstone", 35.4259, -116.8896, 1002.0, "US", 4),
        ("dsn-madrid", 40.4313, -4.2480, 865.0, "ES", 6),
        ("dsn-canberra", -35.4024, 148.9813, 689.0, "AU", 4),
    ],
    "estrack": [
        ("estrack-new-norcia", -31.0482, 116.1914, 252.0, "AU", 1),
        ("estrack-cebreros", 40.4527, -4.3675, 794.0, "ES", 1),
        ("estrack-malargue", -35.7760, -69.3982, 1550.0, "AR", 1),
    ],
}


def station_set(name: str) -> list[dict[str, Any]]:
    """The ground-station dicts of built-in set ``name`` (``network`` is the set's name)."""
    return [
        {"name": n, "lat_deg": lat, "lon_deg": lon, "alt_m": alt, "jurisdiction": j,
         "antennas": k, "network": name, **_COMMON}
        for n, lat, lon, alt, j, k in STATION_SET_ROWS[name]
    ]  # fmt: skip
