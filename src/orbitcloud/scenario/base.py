"""Shared pieces of the scenario schema: the frozen, ``extra="forbid"`` base model and names."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Name", "_Model"]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Name = Annotated[
    str,
    Field(
        pattern=_NAME,
        max_length=64,
        description="letters, digits, '_', '-', '.'; no spaces (names become node ids)",
    ),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
