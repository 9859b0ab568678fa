"""The sourced parameter file of the assessment: load it, check it, apply scenario overrides.

Each parameter is a value with a unit, a low/high range (for the sensitivity analysis and the
uncertainty band) and a source (``data/assessment_parameters.yaml``, built from the shared
``reference-params.yaml``). This module imports nothing from the scenario package, so the
scenario schema can use it to validate ``assessment.overrides``.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

__all__ = [
    "Parameter",
    "ParameterSet",
    "close_matches_message",
    "grid_keys",
    "grid_parameter_name",
    "load_parameters",
    "parse_grid",
]


@dataclass(frozen=True)
class Parameter:
    """One sourced number: ``low <= value <= high`` (equal when treated as known)."""

    name: str
    value: float
    unit: str
    low: float
    high: float
    source: str
    note: str = ""
    overridden: bool = False

    @property
    def uncertain(self) -> bool:
        """True when the range is not a single point."""
        return self.high > self.low


class ParameterSet(Mapping[str, Parameter]):
    """An immutable name → :class:`Parameter` mapping (file order kept)."""

    def __init__(self, params: Iterable[Parameter]) -> None:
        self._by_name = {p.name: p for p in params}

    def __getitem__(self, name: str) -> Parameter:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def values_dict(self) -> dict[str, float]:
        """name → central value."""
        return {n: p.value for n, p in self._by_name.items()}

    def with_overrides(self, overrides: Mapping[str, float]) -> ParameterSet:
        """A copy with ``overrides`` as central values. The range widens to include an
        override outside it, so the tornado and the band stay centred on what was asked.

        Raises:
            ValueError: naming unknown parameters and their closest matches.
        """
        unknown = [k for k in overrides if k not in self._by_name]
        if unknown:
            raise ValueError(close_matches_message(unknown, list(self._by_name)))
        out = []
        for name, p in self._by_name.items():
            if name in overrides:
                v = float(overrides[name])
                p = replace(p, value=v, low=min(p.low, v), high=max(p.high, v), overridden=True)
            out.append(p)
        return ParameterSet(out)


def close_matches_message(unknown: list[str], known: list[str]) -> str:
    """One teaching line: the unknown names, each with its closest known names."""
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        parts.append(f"{name!r}{hint}")
    return (
        f"unknown assessment parameter(s) {'; '.join(parts)}; the names are those of the "
        "shipped parameter file (orbitcloud/scenario/data/assessment_parameters.yaml)"
    )


def _number(entry: Mapping[str, Any], key: str, name: str) -> float:
    v = entry.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ValueError(f"parameters.yaml: {name}.{key} must be a finite number (got {v!r})")
    return float(v)


def parse_parameters(doc: Mapping[str, Any]) -> ParameterSet:
    """Validate a parsed parameter document (``{parameters: {name: {value, unit, low, high,
    source, note}}}``): numbers finite, ``low <= value <= high``, unit and source non-empty."""
    table = doc.get("parameters")
    if not isinstance(table, Mapping) or not table:
        raise ValueError("parameters.yaml: expected a non-empty `parameters:` mapping")
    params = []
    for name, entry in table.items():
        if not isinstance(entry, Mapping):
            raise ValueError(f"parameters.yaml: {name} must be a mapping")
        value, low, high = (_number(entry, k, name) for k in ("value", "low", "high"))
        if not low <= value <= high:
            raise ValueError(
                f"parameters.yaml: {name}: need low <= value <= high (got {low}, {value}, {high})"
            )
        unit, source = str(entry.get("unit") or ""), str(entry.get("source") or "")
        if not unit.strip() or not source.strip():
            raise ValueError(f"parameters.yaml: {name} needs a non-empty unit and source")
        params.append(
            Parameter(str(name), value, unit, low, high, source, str(entry.get("note") or ""))
        )
    return ParameterSet(params)


@functools.cache
def load_parameters() -> ParameterSet:
    """The shipped, sourced parameter set (read once per process)."""
    shipped = resources.files("orbitcloud.scenario").joinpath("data/assessment_parameters.yaml")
    text = shipped.read_text("utf-8")
    return parse_parameters(YAML(typ="safe").load(text))


# --- grid carbon intensity: COUNTRY:YEAR ---------------------------------------------------


def grid_parameter_name(country: str, year: int) -> str:
    """The parameter holding the grid intensity of ``country`` in ``year``."""
    return f"grid.{country}.{year}.gco2e_per_kwh"


def grid_keys(params: Mapping[str, Parameter]) -> list[str]:
    """The ``COUNTRY:YEAR`` keys the parameter set has an intensity for."""
    keys = []
    for name in params:
        parts = name.split(".")
        if len(parts) == 4 and parts[0] == "grid":
            keys.append(f"{parts[1]}:{parts[2]}")
    return keys


def parse_grid(text: str, params: Mapping[str, Parameter] | None = None) -> str:
    """The parameter name for a ``COUNTRY:YEAR`` grid key (``EU:2023``, ``fr:2023``).

    Raises:
        ValueError: one line naming the value and the keys available.
    """
    params = load_parameters() if params is None else params
    available = grid_keys(params)
    country, sep, year = text.strip().partition(":")
    if sep and year.isdigit():
        name = grid_parameter_name(country.upper(), int(year))
        if name in params:
            return name
    raise ValueError(
        f"grid {text!r}: no carbon intensity for that COUNTRY:YEAR; available: "
        f"{', '.join(available)} (add one with assessment.overrides on an existing key, or "
        "extend orbitcloud/scenario/data/assessment_parameters.yaml)"
    )
