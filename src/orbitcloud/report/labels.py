"""Human labels for the raw keys of the run folder (``median_durability_latency_s`` →
"median durability latency (s)") and the one number format of the report's tables.

One mapping for every table and figure of the report: :data:`LABELS` names the keys whose words
alone would read badly; every other key is spelled out by :func:`label` from its words, with the
unit suffix of the house rule "units in names" (``_s``, ``_kg_per_kwh``, ``_bytes``) turned into
a unit in parentheses (:data:`UNITS`) and the project's acronyms in capitals (:data:`WORDS`).
A nested key ``outer.inner`` (metrics.json blocks flattened one level) reads
"outer label: inner label". The raw key stays on the page as the cell's ``title`` attribute.

Numbers (:func:`format_number`): whole numbers (counts) with thousands separators (``1,234``);
other measurements with :data:`SIG_DIGITS` significant digits in positional notation, never an
exponent, with thousands separators and without dropping integer digits (``0.1058``,
``7.274``, ``73,899``), at most :data:`MAX_DECIMALS` decimals (a magnitude below that reads
0); ``None``/NaN as an en dash; booleans yes/no. The report puts each float's full value in
its cell's ``title``.
"""

from __future__ import annotations

import math
import re

__all__ = ["LABELS", "MAX_DECIMALS", "SIG_DIGITS", "UNITS", "WORDS", "format_number", "label"]

#: Significant digits of a non-integer measurement in a table.
SIG_DIGITS = 4

#: At most this many decimals: smaller magnitudes read as 0 (the cell's title holds the value).
MAX_DECIMALS = 12

#: Keys whose label is not their words (units included).
LABELS: dict[str, str] = {
    "co2e_kg_per_kwh": "carbon (kg CO2e/kWh)",
    "water_l_per_kwh": "water (L/kWh)",
    "co2e_kg_per_tb_year": "carbon (kg CO2e/TB-year)",
    "water_l_per_tb_year": "water (L/TB-year)",
    "cost_per_tb_year": "cost (per TB-year)",
    "wall_s": "wall time (s)",
    "engine_events_per_s": "engine events per second of wall time",
    "compute_sustained_fraction": "compute sustained (fraction of rated)",
    "curtailed_fraction": "solar energy curtailed (fraction)",
    "energy_balance_residual_j": "energy balance residual (J)",
    "launch_share_of_co2e": "launch share of carbon (fraction)",
    "launch_ef_kgco2e_per_kg": "launch emission factor (kg CO2e/kg)",
    "launcher_kgco2e_per_kg": "break-even launcher emissions (kg CO2e/kg)",
    "launcher_kgco2e_per_kg_boundary": "launcher emissions boundary",
    "launcher_reduction_factor_needed": "launcher emission reduction needed (factor)",
    "energy_kwh_per_design_life": "IT energy per design life (kWh)",
    "launches_per_year_replacement": "replacement launches per year",
    "scenario_over_bottom_up": "scenario mass over bottom-up mass (ratio)",
    "pue": "PUE",
    "p05": "5th percentile",
    "p50": "median",
    "p95": "95th percentile",
    "master_key": "master key",
    "root": "store folder",
    "extrapolated": "extrapolated beyond the run",
    "orbital_co2e_kg_per_kwh": "orbital carbon (kg CO2e/kWh)",
    "orbital_water_l_per_kwh": "orbital water (L/kWh)",
    "orbital_cost_per_kwh": "orbital cost (per kWh)",
    "restore_s": "restore time (s)",
    "restore_days": "restore time (days)",
    "ground_stations": "ground stations",
    "contacts_directed": "contacts (directed)",
    "isl_pairs": "ISL pairs",
    "isl_windows": "ISL windows",
    "propagation_failures": "SGP4 failures (samples)",
    "max_element_age_days": "oldest element set (days)",
}

#: Unit tokens at the end of a key (the last tokens, joined by ``per``) and how they read.
UNITS: dict[str, str] = {
    "s": "s",
    "ms": "ms",
    "h": "h",
    "min": "min",
    "days": "days",
    "day": "day",
    "yr": "yr",
    "years": "years",
    "year": "year",
    "kwh": "kWh",
    "wh": "Wh",
    "kw": "kW",
    "mw": "MW",
    "w": "W",
    "j": "J",
    "kg": "kg",
    "kgco2e": "kg CO2e",
    "gco2e": "g CO2e",
    "l": "L",
    "km": "km",
    "m": "m",
    "m2": "m²",
    "deg": "°",
    "c": "°C",
    "k": "K",
    "bytes": "bytes",
    "bps": "bit/s",
    "tb": "TB",
    "pct": "%",
}

#: Words spelled differently from their key token (acronyms, symbols).
WORDS: dict[str, str] = {
    "co2e": "CO2e",
    "it": "IT",
    "isl": "ISL",
    "isls": "ISLs",
    "soc": "SoC",
    "rtt": "RTT",
    "owlt": "one-way light time",
    "sgp4": "SGP4",
    "npv": "NPV",
    "gs": "ground station",
    "eu": "EU",
}


def _unit_suffix(tokens: list[str]) -> tuple[list[str], str]:
    """Split ``tokens`` into (name tokens, unit text): the longest tail ``u (per u)*`` or
    ``per u (per u)*`` of unit tokens; ``("", ...)`` when there is none."""
    i = len(tokens)
    parts: list[str] = []
    while i > 0 and tokens[i - 1] in UNITS:
        parts.insert(0, UNITS[tokens[i - 1]])
        i -= 1
        if i > 0 and tokens[i - 1] == "per":
            parts.insert(0, "/")
            i -= 1
            continue
        break
    if not parts:
        return tokens, ""
    text = "".join(parts)
    if text.startswith("/"):
        text = "per " + text[1:]
    return tokens[:i], text


def _words(tokens: list[str]) -> str:
    return " ".join(WORDS.get(t, t) for t in tokens)


def label(key: str, currency: str | None = None) -> str:
    """The human label of a raw key (see the module docstring); with ``currency`` (e.g.
    ``"USD"``), a cost or price "per X" reads "(USD/X)"."""
    if "." in key and key not in LABELS:
        outer, _, inner = key.partition(".")
        return f"{label(outer, currency)}: {label(inner, currency)}"
    tokens = [t for t in re.split(r"_+", key) if t]
    money = currency is not None and bool({"cost", "price"} & set(tokens))
    if key in LABELS:
        text = LABELS[key]
        return text.replace("(per ", f"({currency}/") if money else text
    name, unit = _unit_suffix(tokens)
    if money and unit.startswith("per "):
        unit = f"{currency}/{unit[4:]}"
    if not name:
        return unit or key
    text = _words(name)
    return f"{text} ({unit})" if unit else text


def format_number(v: object) -> str:
    """One table cell's text: see the module docstring; strings are returned unchanged,
    booleans as ``yes``/``no``."""
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "–" if math.isnan(v) else ("∞" if v > 0 else "−∞")
        if v == 0:
            return "0"
        if v == int(v) and abs(v) >= 10 ** (SIG_DIGITS - 1):
            return f"{v:,.0f}"
        decimals = min(MAX_DECIMALS, max(0, SIG_DIGITS - 1 - math.floor(math.log10(abs(v)))))
        text = f"{v:,.{decimals}f}"
        # rounding can carry into a new digit (9.9996 -> 10.000): one decimal fewer then
        if decimals and len(text.replace("-", "").replace(",", "").replace(".", "").lstrip("0")) > (
            SIG_DIGITS
        ):
            text = f"{v:,.{decimals - 1}f}"
        return "0" if not text.strip("-0.,") else text
    return str(v)
