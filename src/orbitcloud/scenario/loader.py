"""Load scenarios from YAML, TOML, a built-in example name, or a dict.

Problems are reported as ``file:line: field.path: message (got value)``, one per line: the
YAML positions come from ruamel's round-trip loader, CSV and TLE positions from the files
themselves. TOML keeps no positions, so TOML problems name the file and the field path only.

Whatever the input, :func:`load_scenario` either returns a valid :class:`Scenario` or raises
:class:`ScenarioError`; it never raises anything else and never hangs. Limits that keep it so:

- files are regular files in UTF-8, a scenario file of at most :data:`MAX_SCENARIO_BYTES`,
  a referenced TLE or CSV file of at most :data:`MAX_FILE_BYTES`;
- YAML and TOML nest at most :data:`MAX_DEPTH` levels (mappings and lists);
- a scenario holds at most :data:`MAX_VALUES` values, and YAML aliases (``*name``) may add at
  most :data:`MAX_ALIAS_VALUES` values to it when expanded (an "alias bomb" is refused at once);
- numbers are finite: ``.inf`` and ``.nan`` are refused wherever they appear;
- messages show at most a few dozen characters of a value.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import tomllib
import typing
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError, YAMLFutureWarning, YAMLWarning
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scanner import RoundTripScanner, ScannerError

from orbitcloud.scenario.base import check_name
from orbitcloud.scenario.errors import Problem, ScenarioError, clip, shorten
from orbitcloud.scenario.models import FAULT_CSV_COLUMNS, TLE_NAME_HINT, GroundStation, Scenario
from orbitcloud.scenario.tle import TleFormatError, parse_tle_text, tle_node_names

__all__ = ["MAX_ALIAS_VALUES", "MAX_DEPTH", "MAX_FILE_BYTES", "MAX_SCENARIO_BYTES", "MAX_VALUES",
           "load_scenario", "read_yaml_file", "resolve_source"]  # fmt: skip

Loc = tuple[str | int, ...]

#: Largest scenario file (YAML or TOML) [bytes]; long lists belong in referenced files.
MAX_SCENARIO_BYTES = 4 * 2**20
#: Largest referenced file (TLE, CSV) [bytes]: 64 MiB, ~10x CelesTrak's full catalogue.
MAX_FILE_BYTES = 64 * 2**20
#: Deepest nesting of mappings and lists (a scenario needs about 6).
MAX_DEPTH = 32
#: Most values (mappings, lists and scalars, after expanding aliases) in one scenario; YAML
#: parsing costs ~30 µs per value, so this bounds it to a few seconds.
MAX_VALUES = 200_000
#: Most values that YAML aliases may add to a document when expanded.
MAX_ALIAS_VALUES = 10_000


def resolve_source(source: str | Path) -> Path:
    """The scenario file for ``source``: an existing path, or a built-in example's name."""
    from orbitcloud.examples import example_path, list_examples

    path = Path(source)
    try:
        exists = path.exists()
    except (OSError, ValueError):  # NUL bytes, names too long
        exists = False
    if exists:
        return path
    if str(source) in list_examples():
        return example_path(str(source))
    raise ScenarioError(
        [
            Problem(
                shorten(str(source), 200),
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
        ScenarioError: listing every problem found, each with file:line and field path. No
            other exception escapes (see the module docstring for the limits).
    """
    if isinstance(source, Mapping):
        doc: Any = source
        label = "<dict>"
        base = base_dir or Path.cwd()
    else:
        path = resolve_source(source)
        label = str(path)
        base = path.parent
        doc = _read_file(path)
    data = _Plain(doc, label).convert()
    origins: dict[Loc, tuple[str, int]] = {}
    problems = _resolve_files(data, base, origins, label, doc)
    if problems:
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            [_problem_from_pydantic(err, doc, data, label, origins) for err in exc.errors()]
        ) from None
    except RecursionError:  # pragma: no cover - nesting is bounded above; a last guard
        raise ScenarioError([Problem(label, None, "", "nested too deeply")]) from None
    return scenario


# --- reading --------------------------------------------------------------------------------


def _read_text(path: Path, what: str, limit: int = MAX_FILE_BYTES) -> str:
    """The text of ``path``; ScenarioError naming the file if it is missing, not a regular
    file, larger than MAX_FILE_BYTES, or not UTF-8 (a UTF-8 byte-order mark is dropped)."""
    name = clip(str(path), 300)
    raw = b""
    try:
        why = "" if path.is_file() else "no such file" if not path.exists() else "not a file"
        if not why:
            with path.open("rb") as f:
                raw = f.read(limit + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else clip(str(exc), 200)
    if why:
        raise ScenarioError([Problem(name, None, "", f"cannot read {what}: {why}")])
    if len(raw) > limit:
        raise ScenarioError(
            [Problem(name, None, "", f"cannot read {what}: larger than {limit} bytes (the limit)")]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(
            [
                Problem(
                    name,
                    line,
                    "",
                    f"{what} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                    f"{exc.start}); save it as UTF-8",
                )
            ]
        ) from None


def _read_file(path: Path) -> Any:
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".toml"):
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    None,
                    "",
                    f"unknown scenario format {shorten(suffix)}; use .yaml, .yml or .toml",
                )
            ]
        )
    text = _read_text(path, "scenario file", MAX_SCENARIO_BYTES)
    if suffix == ".toml":
        return _read_toml(path, text)
    doc = _read_yaml(path, text)
    if not isinstance(doc, Mapping):
        raise ScenarioError(
            [Problem(str(path), 1, "", "a scenario is a mapping (name:, epoch:, ...) at top level")]
        )
    return doc


def read_yaml_file(path: Path, what: str) -> Any:
    """A YAML file read under the same limits as a scenario (size, UTF-8, depth, values, alias
    expansion, control characters), with positions kept for ``file:line`` messages; every
    problem is a ScenarioError. Used for other YAML inputs too (sweep files)."""
    return _read_yaml(path, _read_text(path, what, MAX_SCENARIO_BYTES))


def _read_toml(path: Path, text: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(
            [Problem(str(path), None, "", f"TOML syntax error: {clip(str(exc), 300)}")]
        ) from None
    except RecursionError:
        raise ScenarioError(
            [Problem(str(path), None, "", f"TOML nested deeper than {MAX_DEPTH} levels")]
        ) from None


class _BoundedScanner(RoundTripScanner):
    """ruamel's scanner, refusing ``[``/``{`` nested deeper than MAX_DEPTH as it meets them
    (the scanner's cost grows with the square of the flow depth)."""

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
        if len(self.flow_context) >= MAX_DEPTH:
            raise ScannerError(None, None, _TOO_DEEP, self.reader.get_mark())
        super().fetch_flow_collection_start(TokenClass, to_push)


_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels (mappings and lists); flatten it"
_OURS = (_TOO_DEEP, "aliases expand", "more than")


class _BoundedComposer(Composer):
    """ruamel's composer, counting values as it goes and as aliases would expand them
    (nothing is copied: an alias adds the size of the node it names), so a huge document or
    an alias bomb is refused before anything grows."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self._sizes: dict[int, int] = {}
        self._values = 0
        self._alias_values = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if not isinstance(event, AliasEvent):
            self._count(1, event)
            node = super().compose_node(parent, index)
            size = 1
            if isinstance(node, MappingNode):
                size += sum(self._size(k) + self._size(v) for k, v in node.value)
            elif isinstance(node, SequenceNode):
                size += sum(self._size(v) for v in node.value)
            self._sizes[id(node)] = size
            return node
        node = super().compose_node(parent, index)
        self._alias_values += self._size(node)
        if self._alias_values > MAX_ALIAS_VALUES:
            raise ComposerError(
                None,
                None,
                f"aliases expand this document by more than {MAX_ALIAS_VALUES} values (an "
                "alias bomb?); write the values out, or use fewer aliases",
                event.start_mark,
            )
        self._count(self._size(node), event)
        return node

    def _size(self, node: Any) -> int:
        return self._sizes.get(id(node), 1)

    def _count(self, n: int, event: Any) -> None:
        self._values += n
        if self._values > MAX_VALUES:
            raise ComposerError(
                None,
                None,
                f"more than {MAX_VALUES} values in this document (the limit); put long lists "
                "in referenced files (TLE, CSV)",
                event.start_mark,
            )


def _lenient(
    construct: Callable[[Any, Node], Any],
) -> Callable[[Any, Node], Any]:
    """A scalar constructor that gives back the text when it cannot convert it (a bad date,
    an integer of 5000 digits), so validation reports it with its field and line."""

    def wrapped(self: Any, node: Node) -> Any:
        try:
            return construct(self, node)
        except (ValueError, OverflowError, TypeError):
            return str(node.value)

    return wrapped


class _Constructor(RoundTripConstructor):
    pass


for _tag in ("int", "float", "timestamp"):
    _Constructor.add_constructor(
        f"tag:yaml.org,2002:{_tag}",
        _lenient(getattr(RoundTripConstructor, f"construct_yaml_{_tag}")),
    )


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Scanner = _BoundedScanner
    yaml.Composer = _BoundedComposer
    yaml.Constructor = _Constructor
    yaml.max_depth = MAX_DEPTH
    return yaml


def _read_yaml(path: Path, text: str) -> Any:
    def fail(line: int | None, message: str) -> ScenarioError:
        return ScenarioError([Problem(str(path), line, "", message)])

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", YAMLWarning)
            warnings.simplefilter("ignore", YAMLFutureWarning)
            return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = str(exc.problem or exc.context or "syntax error")
        if "maximum depth" in what:
            what = _TOO_DEEP
        dup = re.match(r'found duplicate key "(.{0,60})', what, re.DOTALL)
        if dup:
            what = f"key {dup.group(1).partition(chr(34))[0]!r} appears twice in one mapping"
        elif not what.startswith(_OURS):
            what = f"YAML syntax error: {clip(what, 300)}"
        raise fail(line, what) from None
    except ReaderError as exc:
        pos = int(getattr(exc, "position", 0) or 0)
        line = text.count("\n", 0, pos) + 1
        char = getattr(exc, "character", "")
        if isinstance(char, str) and len(char) == 1:
            char = ord(char)
        code = f"U+{char:04X}" if isinstance(char, int) else shorten(char)
        raise fail(
            line,
            f"character {code} is not allowed in YAML (control characters, except tab and "
            "newline, must be written as escapes such as \\x01 inside double quotes)",
        ) from None
    except YAMLError as exc:
        raise fail(None, f"YAML error: {clip(str(exc), 300)}") from None
    except RecursionError:
        raise fail(None, f"nested deeper than {MAX_DEPTH} levels") from None


def _plain(node: Any, label: str = "<dict>") -> Any:
    """Plain data of a ruamel document or dict (see :class:`_Plain`; used by the sweep loader)."""
    return _Plain(node, label).plain(node, ())


class _Plain:
    """ruamel containers and scalars (or a dict's) to plain dict/list/str/int/float/datetime,
    refusing non-finite numbers, YAML tags, too deep nesting and too many values."""

    def __init__(self, doc: Any, label: str) -> None:
        self.doc, self.label, self.count = doc, label, 0

    def fail(self, loc: Loc, message: str) -> ScenarioError:
        file, line = _yaml_line(self.doc, loc, self.label)
        return ScenarioError([Problem(file, line, _format_path(loc), message)])

    def convert(self) -> dict[str, Any]:
        data = self.plain(self.doc, ())
        if not isinstance(data, dict):
            raise self.fail((), "a scenario is a mapping (name:, epoch:, ...) at top level")
        return data

    def plain(self, node: Any, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise self.fail(loc, f"more than {MAX_VALUES} values in the scenario (the limit)")
        if len(loc) > MAX_DEPTH:
            raise self.fail(loc[:MAX_DEPTH], f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, Mapping):
            return {str(k): self.plain(v, (*loc, str(k))) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return [self.plain(v, (*loc, j)) for j, v in enumerate(node)]
        if isinstance(node, bool | ScalarBoolean):
            return bool(node)
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            if not math.isfinite(node):
                raise self.fail(
                    loc, f"{float(node)!r} is not allowed: numbers must be finite (no .inf or .nan)"
                )
            return float(node)
        if isinstance(node, str):
            return str(node)
        if isinstance(node, dt.datetime):
            try:
                return dt.datetime.fromisoformat(node.isoformat())
            except ValueError:
                return str(node)
        if isinstance(node, TaggedScalar):
            raise self.fail(
                loc, f"YAML tag {shorten(str(node.tag), 60)} is not supported; drop the tag"
            )
        if isinstance(node, set | frozenset):
            return [self.plain(v, (*loc, j)) for j, v in enumerate(node)]
        return node


# --- file references ------------------------------------------------------------------------


def _read_trajectories(
    c: dict[str, Any],
    i: int,
    base: Path,
    origins: dict[Loc, tuple[str, int]],
    label: str,
    doc: Any,
) -> list[Problem]:
    """Read each ``ephemeris`` trajectory's ``file`` (OEM or CSV) into its ``text``."""
    problems: list[Problem] = []
    sats = c.get("satellites")
    for j, t in enumerate(sats if isinstance(sats, list) else []):
        if isinstance(t, dict) and isinstance(t.get("file"), str) and t.get("text") is None:
            p = base / t["file"]
            try:
                t["text"] = _read_text(p, "trajectory file")
            except ScenarioError as exc:
                problems += _at(exc, ("constellations", i, "satellites", j, "file"), label, doc)
                continue
            origins[("constellations", i, "satellites", j, "text")] = (str(p), 1)
    return problems


def _resolve_files(
    data: dict[str, Any],
    base: Path,
    origins: dict[Loc, tuple[str, int]],
    label: str,
    doc: Any,
) -> list[Problem]:
    """Read the files a scenario names (TLEs, ISL pairs, station CSVs, a fault CSV) into
    ``data`` and check the TLE texts; ``origins`` maps data paths to their file:line. Parts of
    the wrong type are left for validation to report."""
    problems: list[Problem] = []
    constellations = data.get("constellations")
    for i, c in enumerate(constellations if isinstance(constellations, list) else []):
        if isinstance(c, dict) and c.get("kind") == "ephemeris":
            problems += _read_trajectories(c, i, base, origins, label, doc)
            continue
        if not (isinstance(c, dict) and c.get("kind") == "tle"):
            continue
        if isinstance(c.get("file"), str) and c.get("lines") is None:
            p = base / c["file"]
            try:
                c["lines"] = _read_text(p, "TLE file")
            except ScenarioError as exc:
                problems += _at(exc, ("constellations", i, "file"), label, doc)
                continue
            origins[("constellations", i, "lines")] = (str(p), 1)
        problems += _check_tle(c, i, origins, label, doc)
    isls = data.get("isls")
    for i, isl in enumerate(isls if isinstance(isls, list) else []):
        topo = isl.get("topology") if isinstance(isl, dict) else None
        if (
            isinstance(topo, dict)
            and topo.get("kind") == "list"
            and isinstance(topo.get("file"), str)
            and topo.get("pairs") is None
        ):
            p = base / topo["file"]
            try:
                topo["pairs"] = _read_pairs(p, i, origins)
            except ScenarioError as exc:
                problems += _at(exc, ("isls", i, "topology", "file"), label, doc)
    files = data.get("ground_station_files")
    if isinstance(files, list) and files:
        if data.get("ground_stations") is None:
            data["ground_stations"] = []
        stations = data["ground_stations"]
        if not isinstance(stations, list):
            return problems  # validation says what ground_stations must be
        for j, f in enumerate(files):
            where = f"ground_station_files[{j}]"
            if not isinstance(f, dict) or not isinstance(f.get("path"), str):
                file, line = _yaml_line(doc, ("ground_station_files", j), label)
                problems.append(Problem(file, line, where, "needs `path: stations.csv`"))
                continue
            defaults = f.get("defaults") or {}
            if not isinstance(defaults, dict):
                file, line = _yaml_line(doc, ("ground_station_files", j, "defaults"), label)
                problems.append(
                    Problem(file, line, f"{where}.defaults", "must be a mapping of field: value")
                )
                continue
            try:
                _read_station_csv(base / f["path"], dict(defaults), stations, origins)
            except ScenarioError as exc:
                problems += _at(exc, ("ground_station_files", j, "path"), label, doc)
        data["ground_station_files"] = []
    if isinstance(data.get("faults_file"), str):
        faults = data.get("faults")
        if faults is None:
            faults = data["faults"] = []
        if isinstance(faults, list):
            try:
                _read_fault_csv(base / data["faults_file"], faults, origins)
            except ScenarioError as exc:
                problems += _at(exc, ("faults_file",), label, doc)
            data["faults_file"] = None  # its faults are in `faults` now
    users = data.get("users")
    for i, u in enumerate(users if isinstance(users, list) else []):
        track = u.get("track") if isinstance(u, dict) else None
        if (
            isinstance(track, dict)
            and track.get("kind") == "csv"
            and isinstance(track.get("file"), str)
            and track.get("points") is None
        ):
            try:
                track["points"] = _read_track_csv(base / track["file"], i, origins)
            except ScenarioError as exc:
                problems += _at(exc, ("users", i, "track", "file"), label, doc)
    return problems


def _at(exc: ScenarioError, loc: Loc, label: str, doc: Any) -> list[Problem]:
    """The problems of a referenced file, each naming the scenario field that references it;
    problems of the whole file (it cannot be read, it is empty) are placed at that field's line."""
    out = []
    for p in exc.problems:
        if p.line is None and not p.path:
            file, line = _yaml_line(doc, loc, label)
            out.append(Problem(file, line, _format_path(loc), f"{p.message} ({p.file})"))
        else:
            out.append(Problem(p.file, p.line, p.path or _format_path(loc), p.message))
    return out


def _csv_rows(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """(line, row) of every CSV row that is neither empty nor a ``#`` comment."""
    out = []
    reader = csv.reader(text.splitlines())
    try:
        for row in reader:
            if row and not row[0].strip().startswith("#"):
                out.append((reader.line_num, row))
    except csv.Error as exc:
        raise ScenarioError(
            [Problem(str(path), reader.line_num, "", f"CSV error: {clip(str(exc), 200)}")]
        ) from None
    return out


def _read_pairs(path: Path, i: int, origins: dict[Loc, tuple[str, int]]) -> list[list[str]]:
    rows = _csv_rows(path, _read_text(path, "ISL pair CSV"))
    pairs: list[list[str]] = []
    problems = []
    for n, r in rows:
        if len(r) != 2:
            problems.append(
                Problem(str(path), n, "", f"expected two satellite names `a,b`, got {shorten(r)}")
            )
            continue
        origins[("isls", i, "topology", "pairs", len(pairs))] = (str(path), n)
        pairs.append([r[0].strip(), r[1].strip()])
    if problems:
        raise ScenarioError(problems)
    return pairs


def _read_station_csv(
    path: Path, defaults: dict[str, Any], stations: list[Any], origins: dict[Loc, tuple[str, int]]
) -> None:
    rows = _csv_rows(path, _read_text(path, "ground-station CSV"))
    if not rows:
        raise ScenarioError(
            [
                Problem(
                    str(path), None, "", "empty CSV: expected a header such as name,lat_deg,lon_deg"
                )
            ]
        )
    (n0, header_row), body = rows[0], rows[1:]
    header = [h.strip() for h in header_row]
    allowed = set(GroundStation.model_fields)
    unknown = [h for h in header if h not in allowed]
    if unknown:
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    n0,
                    "",
                    f"unknown column(s) {shorten(unknown, 200)}; allowed: {', '.join(allowed)}",
                )
            ]
        )
    if len(set(header)) != len(header):
        raise ScenarioError([Problem(str(path), n0, "", f"a column repeats: {shorten(header)}")])
    problems = []
    for n, row in body:
        if len(row) != len(header):
            problems.append(
                Problem(str(path), n, "", f"{len(row)} values for {len(header)} columns {header}")
            )
            continue
        entry: dict[str, Any] = dict(defaults)
        entry.update({h: v.strip() for h, v in zip(header, row, strict=True) if v.strip() != ""})
        origins[("ground_stations", len(stations))] = (str(path), n)
        stations.append(entry)
    if problems:
        raise ScenarioError(problems)


def _read_track_csv(path: Path, i: int, origins: dict[Loc, tuple[str, int]]) -> list[list[float]]:
    """Rows of a user track CSV (header ``t_s,lat_deg,lon_deg,alt_m``), checked here so
    each problem names its file:line: numbers, ranges, strictly increasing times."""
    from orbitcloud.scenario.users import _check_point

    rows = _csv_rows(path, _read_text(path, "user track CSV"))
    need = ["t_s", "lat_deg", "lon_deg", "alt_m"]
    if not rows:
        raise ScenarioError(
            [Problem(str(path), None, "", f"empty track CSV: expected the header {','.join(need)}")]
        )
    (n0, header_row), body = rows[0], rows[1:]
    header = [h.strip() for h in header_row]
    if header != need:
        raise ScenarioError(
            [Problem(str(path), n0, "", f"expected the header {','.join(need)}, got "
                     f"{shorten(header, 200)}")]
        )  # fmt: skip
    if not body:
        raise ScenarioError([Problem(str(path), n0, "", "no rows after the header")])
    points: list[list[float]] = []
    problems = []
    for n, row in body:
        try:
            if len(row) != 4:
                raise ValueError(f"{len(row)} values for the 4 columns {','.join(need)}")
            vals = [float(v) for v in row]
            if not all(math.isfinite(v) for v in vals):
                raise ValueError(f"values must be finite numbers, got {shorten(row)}")
            t, lat, lon, alt = vals
            _check_point(len(points), t, lat, lon, alt, points[-1][0] if points else None)
        except ValueError as exc:
            msg = str(exc).split(": ", 1)[-1] if str(exc).startswith("track.") else str(exc)
            problems.append(Problem(str(path), n, "", clip(msg, 200)))
            continue
        origins[("users", i, "track", "points", len(points))] = (str(path), n)
        points.append(vals)
    if problems:
        raise ScenarioError(problems)
    return points


def _read_fault_csv(path: Path, faults: list[Any], origins: dict[Loc, tuple[str, int]]) -> None:
    """Rows of a fault CSV (header ``t_s,kind,target[,duration_s][,bits]``) appended to
    ``faults`` as mappings; empty cells take the field defaults."""
    rows = _csv_rows(path, _read_text(path, "fault CSV"))
    need = "header t_s,kind[,target][,duration_s][,bits]"
    if not rows:
        raise ScenarioError([Problem(str(path), None, "", f"empty fault CSV: expected a {need}")])
    (n0, header_row), body = rows[0], rows[1:]
    header = [h.strip() for h in header_row]
    bad = [h for h in header if h not in FAULT_CSV_COLUMNS]
    if bad or not {"t_s", "kind"} <= set(header) or len(set(header)) != len(header):
        raise ScenarioError(
            [Problem(str(path), n0, "", f"expected a {need}, got {shorten(header, 200)}")]
        )
    problems = []
    for n, row in body:
        if len(row) > len(header):
            problems.append(
                Problem(str(path), n, "", f"{len(row)} values for {len(header)} columns {header}")
            )
            continue
        origins[("faults", len(faults))] = (str(path), n)
        faults.append({h: v.strip() for h, v in zip(header, row, strict=False) if v.strip()})
    if problems:
        raise ScenarioError(problems)


def _check_tle(
    c: dict[str, Any], i: int, origins: dict[Loc, tuple[str, int]], label: str, doc: Any
) -> list[Problem]:
    """Parse a TLE constellation's text now, so `validate` reports TLE problems, and node
    names that are not valid names, at their file:line."""
    text = c.get("lines")
    if not isinstance(text, str):
        return []
    loc: Loc = ("constellations", i, "lines")
    if loc in origins:
        file, first = origins[loc]
        line_known = True
    else:
        file, key_line = _yaml_line(doc, loc, label)
        # a `lines: |` block scalar starts on the line after its key
        first = key_line + 1 if key_line is not None else 1
        line_known = key_line is not None
    where = f"constellations[{i}].lines"
    try:
        entries = parse_tle_text(text, first_line_number=first)
    except TleFormatError as exc:
        return [Problem(file, exc.line if line_known else None, where, exc.message)]
    limit = c.get("limit")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 1:
        entries = entries[:limit]
    problems = []
    seen: set[str] = set()
    for e, name in zip(entries, tle_node_names(entries), strict=True):
        line = (e.name_line_number or e.line_number) if line_known else None
        try:
            check_name(name, f"TLE name {shorten(e.name)} gives node name")
        except ValueError as exc:
            problems.append(Problem(file, line, where, f"{exc}; {TLE_NAME_HINT}"))
            continue
        if name in seen:
            problems.append(
                Problem(
                    file,
                    line,
                    where,
                    f"satellite name {name!r} repeats (same name line and catalogue number); "
                    "node names must be unique",
                )
            )
        seen.add(name)
        if len(problems) >= 20:
            break
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
        msg = f"unknown field {shorten(data_loc[-1], 60)}" + (
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
        shown = value.isoformat() if isinstance(value, dt.datetime | dt.date) else shorten(value)
        msg += f" (got {shown})"
    elif isinstance(value, dict | list) and etype.endswith("_type"):
        msg += f" (got a {'mapping' if isinstance(value, dict) else 'list'})"
    return Problem(file, line, path, clip(msg, 1000))


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
        if isinstance(key, str) and not _KEY.fullmatch(key):
            key = shorten(key, 40)
        s += f"[{key}]" if isinstance(key, int) else (f".{key}" if s else str(key))
    return s


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


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
