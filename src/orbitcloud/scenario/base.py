"""Shared pieces of the scenario schema: the frozen, ``extra="forbid"`` base model and names.

Names (of satellites, stations, constellations, tenants, buckets, ...) become node ids, table
values and path components, so they share one rule, :data:`NAME_PATTERN`: an ASCII letter or
digit, then letters, digits, ``_``, ``-`` or ``.``; at most :data:`NAME_MAX_CHARS` characters.
That rules out ``.``/``..``, separators, NUL, spaces and control characters. Code that takes a
name from outside a scenario file (a TLE name line, an API call) checks it with
:func:`check_name`.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["NAME_MAX_CHARS", "NAME_PATTERN", "Name", "_Model", "check_name"]

#: The one name rule (see the module docstring).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
NAME_MAX_CHARS = 64
_NAME_RE = re.compile(NAME_PATTERN)

Name = Annotated[
    str,
    Field(
        pattern=NAME_PATTERN,
        max_length=NAME_MAX_CHARS,
        description="letters, digits, '_', '-', '.'; no spaces (names become node ids)",
    ),
]


def check_name(value: object, what: str = "name") -> str:
    """``value`` if it is a valid name, else ValueError saying what is allowed (the value is
    shown shortened, so a hostile name cannot flood a message)."""
    if isinstance(value, str) and len(value) <= NAME_MAX_CHARS and _NAME_RE.fullmatch(value):
        return value
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    raise ValueError(
        f"{what} {shown} is not a valid name: 1-{NAME_MAX_CHARS} characters, an ASCII letter or "
        "digit first, then letters, digits, '_', '-' or '.'"
    )


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
