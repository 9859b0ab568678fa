"""The scenario reference (docs/scenario.md), generated from the pydantic models.

:func:`scenario_markdown` walks :class:`~orbitcloud.scenario.models.Scenario` and every model
reachable from its fields (sections, ``kind:`` variants, nested specs), in order of first
appearance, and writes one table per model: each field's type, default, allowed values and
description, all read from the models themselves, so the reference cannot drift from the
schema (``tests/test_scenario_reference.py`` checks the committed file against it).

``python -m orbitcloud.scenario.reference > docs/scenario.md`` regenerates it.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from orbitcloud.scenario.base import NAME_PATTERN
from orbitcloud.scenario.models import Scenario

__all__ = ["reachable_models", "scenario_markdown"]


def _models_in(tp: Any) -> list[type[BaseModel]]:
    """The models named in a type annotation (through unions, lists, dicts, Annotated)."""
    if inspect.isclass(tp) and issubclass(tp, BaseModel):
        return [tp]
    out: list[type[BaseModel]] = []
    for arg in get_args(tp):
        if not isinstance(arg, FieldInfo):
            out += _models_in(arg)
    return out


def reachable_models(root: type[BaseModel] = Scenario) -> list[type[BaseModel]]:
    """``root`` and every model its fields reach, depth first, in order of first appearance."""
    seen: list[type[BaseModel]] = []

    def visit(m: type[BaseModel]) -> None:
        if m in seen:
            return
        seen.append(m)
        for f in m.model_fields.values():
            for sub in _models_in(f.annotation):
                visit(sub)

    visit(root)
    return seen


def _anchor(m: type[BaseModel]) -> str:
    return m.__name__.lower()


def _link(m: type[BaseModel]) -> str:
    return f"[{m.__name__}](#{_anchor(m)})"


def _value(v: Any) -> str:
    """A value as it would be written in a scenario file (YAML-ish), in backticks."""
    if v is None:
        return "`null`"
    if isinstance(v, bool):
        return f"`{str(v).lower()}`"
    if isinstance(v, enum.Enum):
        v = v.value
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e16:
            return f"`{int(v)}`"
        short = f"{v:g}"
        return f"`{short if float(short) == v else repr(v)}`"
    if isinstance(v, str):
        return f'`"{v}"`' if v == "" or v.strip() != v else f"`{v}`"
    if isinstance(v, BaseModel):
        if not v.model_fields_set:
            return f"{_link(type(v))} defaults"
        keep = v.model_fields_set | ({"kind"} & set(type(v).model_fields))
        dump = v.model_dump(mode="json", include=keep)
        return "`{" + ", ".join(f"{k}: {x}" for k, x in dump.items()) + "}`"
    if isinstance(v, (list, tuple, dict)) and not v:
        return "`[]`" if not isinstance(v, dict) else "`{}`"
    return f"`{v!r}`"


def _type(tp: Any) -> str:
    """A readable type: model links, ``a | b`` for literals and unions, ``list of X``."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _type(get_args(tp)[0])
    if tp is type(None):
        return "null"
    if origin is Literal:
        return " | ".join(_value(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return " | ".join(_type(a) for a in get_args(tp))
    if origin in (list, tuple, set, frozenset):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        if origin is tuple and len(args) > 1:
            return "(" + ", ".join(_type(a) for a in args) + ")"
        return f"list of {_type(args[0])}" if args else "list"
    if origin is dict:
        k, v = get_args(tp)
        return f"map of {_type(k)} to {_type(v)}"
    if inspect.isclass(tp) and issubclass(tp, BaseModel):
        return _link(tp)
    if tp is dt.datetime or getattr(tp, "__name__", "") == "AwareDatetime":
        return "datetime (ISO 8601 with a zone, e.g. `2026-03-20T00:00:00Z`)"
    return {str: "string", float: "number", int: "integer", bool: "boolean"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


_ROLE = re.compile(r":(?:mod|class|func|data|meth|attr):`~?([^`]+)`")
_BOUNDS = ((at.Gt, "gt", ">"), (at.Ge, "ge", "≥"), (at.Lt, "lt", "<"), (at.Le, "le", "≤"))


def _constraints(f: FieldInfo) -> list[str]:
    out: list[str] = []
    for meta in f.metadata:
        for cls, attr, sign in _BOUNDS:
            if isinstance(meta, cls):
                out.append(f"{sign} {_value(getattr(meta, attr)).strip('`')}")
        if isinstance(meta, at.MinLen):
            out.append(f"at least {meta.min_length} long")
        if isinstance(meta, at.MaxLen):
            out.append(f"at most {meta.max_length} long")
        pattern = getattr(meta, "pattern", None)
        if pattern == NAME_PATTERN:
            out.append("a [name](#names)")
        elif pattern:
            out.append(f"matches `{pattern}`")
    return out


def _default(f: FieldInfo) -> str:
    if f.is_required():
        return "**required**"
    if f.default_factory is not None:
        return _value(f.default_factory())  # type: ignore[call-arg]
    return "" if f.default is PydanticUndefined else _value(f.default)


def _cell(text: str) -> str:
    return text.replace("\n", " ").replace("|", "\\|").strip()


def _prose(text: str) -> str:
    """Brackets outside code spans escaped (``[,bits]`` is not a Markdown link)."""
    parts = text.split("`")
    parts[::2] = [p.replace("[", "\\[").replace("]", "\\]") for p in parts[::2]]
    return "`".join(parts)


def _doc(m: type[BaseModel]) -> str:
    doc = inspect.getdoc(m) or ""
    text = " ".join(doc.split("\n\n")[0].split()).replace("``", "`")
    return _prose(_ROLE.sub(r"`\1`", text))  # Sphinx roles (:mod:`x`) as plain code


def _model_section(m: type[BaseModel], used_in: list[str]) -> list[str]:
    lines = [f"## {m.__name__}", ""]
    doc = _doc(m)
    if doc:
        lines += [doc, ""]
    if used_in:
        lines += ["Used in: " + ", ".join(used_in) + ".", ""]
    lines += ["| field | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for name, f in m.model_fields.items():
        kind = get_origin(f.annotation) is Literal and name == "kind"
        desc = f.description or ("selects this variant" if kind else "")
        allowed = ", ".join(_constraints(f))
        row = [f"`{name}`", _type(f.annotation), _default(f), allowed, _prose(desc)]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return [*lines, ""]


def scenario_markdown() -> str:
    """The scenario reference (docs/scenario.md): one table per model reachable from
    :class:`~orbitcloud.scenario.models.Scenario`."""
    models = reachable_models()
    used: dict[type[BaseModel], list[str]] = {m: [] for m in models}
    for m in models:
        for name, f in m.model_fields.items():
            for sub in _models_in(f.annotation):
                ref = f"{_link(m)}.`{name}`"
                if ref not in used[sub]:
                    used[sub].append(ref)
    lines = [
        "# Scenario reference",
        "",
        "Generated from the pydantic models of `orbitcloud.scenario` "
        "(`python -m orbitcloud.scenario.reference > docs/scenario.md`); a test checks this "
        "file is current. `orbitcloud schema` prints the same schema as JSON Schema, for "
        "editors.",
        "",
        "A scenario is a YAML (or TOML) file whose top level is a [Scenario](#scenario). Every "
        'model refuses unknown fields (`extra="forbid"`); raw numbers carry their unit in '
        "their names (`_km`, `_s`, `_deg`, `_bps`, `_w`). A field whose type is a choice of "
        "models (`kind:` unions) takes the variant named by its `kind:` value. Files named in "
        "a scenario (`file:`, `path:`, `faults_file:`) are read relative to it.",
        "",
        "## Names",
        "",
        "Names of satellites, stations, constellations, tenants and buckets become node ids, "
        "table values and path components, so they share one rule: an ASCII letter or digit, "
        "then letters, digits, `_`, `-` or `.`, at most 64 characters "
        f"(`{NAME_PATTERN}`).",
        "",
    ]
    for m in models:
        lines += _model_section(m, used[m])
    return "\n".join(lines)


if __name__ == "__main__":
    print(scenario_markdown(), end="")
