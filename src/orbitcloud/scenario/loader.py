"""Load scenarios from YAML, TOML, a built-in example name, or a dict.

Problems are reported as ``file:line: field.path: message (got value)``, one per line: the
YAML positions come from ruamel's round-trip loader, CSV and TLE positions from the files
themselves. TOML keeps no positions, so TOML problems name the file and the field path only.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from orbitcloud.orbits.tle import TleFormatError, parse_tle_text
from orbitcloud.scenario.errors import Problem, ScenarioError
from orbitcloud.scenario.models import GroundStation, Scenario

__all__ = ["load_scenario", "resolve_source"]

Loc = tuple[str | int, ...]


def resolve_source(source: str | Path) -> Path:
    """The scenario file for ``source``: an existing path, or a built-in example's name."""
    from orbitcloud.examples import example_path, list_examples

    path = Path(source)
    if path.exists():
        return path
    if str(source) in list_examples():
        return example_path(str(source))
    raise ScenarioError(
        [
            Problem(
                str(source),
                None,
                "",
                "no such file and no built-in example of that name; examples: "
                + ", ".join(list_examples()),
            )
        ]
    )


def load_scenario(source: str | Path | Mapping[str, Any], base_dir: Path | None = None) -> Scenario:
    """Read, resolve and validate a scenario.

    Args:
        source: a ``.yaml``/``.yml``/``.toml`` path, a built-in example name (``milsca``), or a
            dict with the same structure.
        base_dir: where relative file references in a dict source are resolved (default: cwd);
            for files, the file's own folder.

    Raises:
        ScenarioError: listing every problem found, each with file:line and field path.
    """
    if isinstance(source, Mapping):
        doc: Any = dict(source)
        label = "<dict>"
        base = base_dir or Path.cwd()
    else:
        path = resolve_source(source)
        label = str(path)
        base = path.parent
        doc = _read_file(path)
    data = _plain(doc)
    origins: dict[Loc, tuple[str, int]] = {}
    problems = _resolve_files(data, base, origins)
    if problems:
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            [_problem_from_pydantic(err, doc, data, label, origins) for err in exc.errors()]
        ) from None
    problems = _check_tles(scenario, label, origins, doc)
    if problems:
        raise ScenarioError(problems)
    return scenario


# --- reading --------------------------------------------------------------------------------


def _read_file(path: Path) -> Any:
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), None, "", f"cannot read: {exc}")]) from None
    if suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(
                [Problem(str(path), None, "", f"TOML syntax error: {exc}")]
            ) from None
    if suffix not in (".yaml", ".yml"):
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    None,
                    "",
                    f"unknown scenario format {suffix!r}; use .yaml, .yml or .toml",
                )
            ]
        )
    try:
        doc = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "syntax error"
        raise ScenarioError([Problem(str(path), line, "", f"YAML syntax error: {what}")]) from None
    if not isinstance(doc, Mapping):
        raise ScenarioError(
            [Problem(str(path), 1, "", "a scenario is a mapping (name:, epoch:, ...) at top level")]
        )
    return doc


def _plain(node: Any) -> Any:
    """ruamel containers and scalars to plain dict/list/str/float/datetime."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(v) for v in node]
    if isinstance(node, dt.datetime):
        return dt.datetime.fromisoformat(node.isoformat())
    if isinstance(node, bool | int | float | str) or node is None:
        return type(node)(node) if node is not None and not isinstance(node, bool) else node
    return node


# --- file references ------------------------------------------------------------------------


def _resolve_files(
    data: dict[str, Any], base: Path, origins: dict[Loc, tuple[str, int]]
) -> list[Problem]:
    problems: list[Problem] = []
    for i, c in enumerate(data.get("constellations") or []):
        if (
            isinstance(c, dict)
            and c.get("kind") == "tle"
            and c.get("file")
            and c.get("lines") is None
        ):
            p = base / str(c["file"])
            try:
                c["lines"] = p.read_text(encoding="utf-8")
            except OSError as exc:
                problems.append(
                    Problem(str(p), None, f"constellations[{i}].file", f"cannot read: {exc}")
                )
                continue
            origins[("constellations", i, "lines")] = (str(p), 1)
    for i, isl in enumerate(data.get("isls") or []):
        topo = isl.get("topology") if isinstance(isl, dict) else None
        if (
            isinstance(topo, dict)
            and topo.get("kind") == "list"
            and topo.get("file")
            and topo.get("pairs") is None
        ):
            p = base / str(topo["file"])
            try:
                rows = [r for r in csv.reader(p.read_text(encoding="utf-8").splitlines()) if r]
            except OSError as exc:
                problems.append(
                    Problem(str(p), None, f"isls[{i}].topology.file", f"cannot read: {exc}")
                )
                continue
            pairs = []
            for n, r in enumerate(rows, start=1):
                if r[0].strip().startswith("#"):
                    continue
                if len(r) != 2:
                    problems.append(
                        Problem(str(p), n, "", f"expected two satellite names `a,b`, got {r!r}")
                    )
                    continue
                pairs.append([r[0].strip(), r[1].strip()])
            topo["pairs"] = pairs
    files = data.get("ground_station_files") or []
    if isinstance(files, list) and files:
        stations = data.setdefault("ground_stations", [])
        if not isinstance(stations, list):
            return problems
        for j, f in enumerate(files):
            if not isinstance(f, dict) or "path" not in f:
                problems.append(
                    Problem(
                        "scenario", None, f"ground_station_files[{j}]", "needs `path: stations.csv`"
                    )
                )
                continue
            problems += _read_station_csv(
                base / str(f["path"]), dict(f.get("defaults") or {}), stations, origins
            )
        data["ground_station_files"] = []
    return problems


def _read_station_csv(
    path: Path, defaults: dict[str, Any], stations: list[Any], origins: dict[Loc, tuple[str, int]]
) -> list[Problem]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [Problem(str(path), None, "", f"cannot read ground-station CSV: {exc}")]
    lines = text.splitlines()
    rows = csv.reader(lines)
    header: list[str] | None = None
    problems: list[Problem] = []
    allowed = set(GroundStation.model_fields)
    for n, row in enumerate(rows, start=1):
        if not row or row[0].strip().startswith("#"):
            continue
        if header is None:
            header = [h.strip() for h in row]
            unknown = [h for h in header if h not in allowed]
            if unknown:
                problems.append(
                    Problem(
                        str(path), n, "", f"unknown column(s) {unknown}; allowed: {sorted(allowed)}"
                    )
                )
                return problems
            continue
        if len(row) != len(header):
            problems.append(
                Problem(str(path), n, "", f"{len(row)} values for {len(header)} columns {header}")
            )
            continue
        entry: dict[str, Any] = dict(defaults)
        entry.update({h: v.strip() for h, v in zip(header, row, strict=True) if v.strip() != ""})
        origins[("ground_stations", len(stations))] = (str(path), n)
        stations.append(entry)
    if header is None:
        problems.append(
            Problem(
                str(path), None, "", "empty CSV: expected a header such as name,lat_deg,lon_deg"
            )
        )
    return problems


def _check_tles(
    scenario: Scenario, label: str, origins: dict[Loc, tuple[str, int]], doc: Any
) -> list[Problem]:
    """Parse every TLE text now, so `validate` reports TLE problems with file:line."""
    problems = []
    for i, c in enumerate(scenario.constellations):
        if c.kind != "tle" or c.lines is None:
            continue
        loc: Loc = ("constellations", i, "lines")
        if loc in origins:
            file, first = origins[loc]
        else:
            file, key_line = _yaml_line(doc, loc, label)
            # a `lines: |` block scalar starts on the line after its key
            first = key_line + 1 if key_line is not None else c.first_line_number
        try:
            parse_tle_text(c.lines, first_line_number=first)
        except TleFormatError as exc:
            line = exc.line if (loc in origins or file != "<dict>") else None
            problems.append(Problem(file, line, f"constellations[{i}].lines", exc.message))
    return problems


# --- pydantic errors to readable lines --------------------------------------------------------


def _problem_from_pydantic(
    err: Any, doc: Any, data: Any, label: str, origins: dict[Loc, tuple[str, int]]
) -> Problem:
    loc: Loc = tuple(err["loc"])
    if not loc and err["type"] == "value_error":  # a cross-check naming its field: "a.b[0].c: ..."
        m = _PATH_PREFIX.match(err["msg"].removeprefix("Value error, "))
        if m:
            loc = _parse_path(m.group(1))
            err = {**err, "msg": m.group(2)}
    data_loc = _data_loc(data, loc)
    path = _format_path(data_loc)
    file, line = label, None
    for k in range(len(data_loc), 0, -1):
        if data_loc[:k] in origins:
            file, line = origins[data_loc[:k]]
            break
    else:
        file, line = _yaml_line(doc, data_loc, label)
    etype = err["type"]
    msg = err["msg"]
    if etype == "extra_forbidden":
        allowed = _allowed_fields(data, data_loc[:-1])
        msg = f"unknown field {data_loc[-1]!r}" + (
            f"; allowed: {', '.join(allowed)}" if allowed else ""
        )
    elif etype == "missing":
        msg = "required field is missing"
    elif etype == "value_error":
        msg = msg.removeprefix("Value error, ")
    elif etype == "string_pattern_mismatch":
        desc = _field_description(data, data_loc)
        msg = f"must be {desc}" if desc else msg
    elif etype == "timezone_aware":
        msg = "needs a time zone: write UTC times with a Z, e.g. 2026-03-20T00:00:00Z"
    value = err.get("input")
    if etype not in ("missing", "extra_forbidden") and not isinstance(value, dict | list):
        shown = value.isoformat() if isinstance(value, dt.datetime | dt.date) else repr(value)
        msg += f" (got {shown})"
    return Problem(file, line, path, msg)


def _data_loc(data: Any, loc: Loc) -> Loc:
    """Drop the discriminator tags pydantic inserts into ``loc`` for tagged unions."""
    out: list[str | int] = []
    node = data
    for key in loc:
        if (
            isinstance(node, dict)
            and isinstance(key, str)
            and key not in node
            and node.get("kind") == key
        ):
            continue
        out.append(key)
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


_PATH_PREFIX = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*): (.*)$", re.DOTALL)


def _parse_path(path: str) -> Loc:
    """``"workload.requests[0].station"`` → ``("workload", "requests", 0, "station")``."""
    return tuple(
        int(part[1:-1]) if part.startswith("[") else part
        for part in re.findall(r"\[\d+\]|[A-Za-z_]\w*", path)
    )


def _format_path(loc: Loc) -> str:
    s = ""
    for key in loc:
        s += f"[{key}]" if isinstance(key, int) else (f".{key}" if s else str(key))
    return s


def _yaml_line(doc: Any, loc: Loc, label: str) -> tuple[str, int | None]:
    """1-based line of ``loc`` in a ruamel round-trip document (deepest node found)."""
    node, line = doc, None
    for key in loc:
        lc = getattr(node, "lc", None)
        if lc is None:
            break
        try:
            if isinstance(key, int) and isinstance(node, list):
                line = lc.item(key)[0] + 1
            elif isinstance(node, Mapping) and key in node:
                line = lc.key(key)[0] + 1
            else:
                line = line if line is not None else lc.line + 1
                break
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
    return label, line


def _field_description(data: Any, loc: Loc) -> str:
    """The ``description`` of the field at ``loc`` (what is allowed), or ''."""
    if not loc or not isinstance(loc[-1], str):
        return ""
    parent = _model_at(data, loc[:-1])
    if (
        isinstance(parent, type)
        and issubclass(parent, BaseModel)
        and loc[-1] in parent.model_fields
    ):
        field = parent.model_fields[loc[-1]]
        desc = field.description or ""
        if not desc:
            for m in field.metadata:
                desc = getattr(m, "description", None) or desc
        return desc
    return ""


def _allowed_fields(data: Any, loc: Loc) -> list[str]:
    """Field names of the model found at ``loc`` (data path), for 'unknown field' messages."""
    model = _model_at(data, loc)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_at(data: Any, loc: Loc) -> Any:
    """The pydantic model class describing the data at ``loc``."""
    model: Any = Scenario
    node = data
    for key in loc:
        if isinstance(model, list):  # a tagged union: the data's `kind` picks the member
            model = _pick_member(model, node.get("kind") if isinstance(node, dict) else None)
        if isinstance(key, str):
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                return None
            if key not in model.model_fields:
                return None
            model = _model_of(model.model_fields[key].annotation)
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
    if isinstance(model, list):
        model = _pick_member(model, node.get("kind") if isinstance(node, dict) else None)
    return model


def _pick_member(members: list[Any], kind: Any) -> Any:
    for m in members:
        field = m.model_fields.get("kind")
        if field is not None and kind in typing.get_args(field.annotation):
            return m
    return members


def _model_of(annotation: Any) -> Any:
    """The BaseModel (or list of union members) inside list[...], X | None, Annotated[...]."""
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    models = [a for a in (_model_of(a) for a in args) if a]
    flat: list[Any] = []
    for m in models:
        flat += m if isinstance(m, list) else [m]
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else flat
