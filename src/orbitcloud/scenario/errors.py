"""Scenario errors: one readable line per problem, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_MESSAGE_CHARS", "Problem", "ScenarioError", "clip", "shorten"]

#: Longest problem line (file, line, path and message together); longer ones are cut in the
#: middle, so a 10 MB value cannot make a 10 MB message.
MAX_MESSAGE_CHARS = 2000


def shorten(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to about ``limit`` characters (``'aaaa...'`` plus its length)."""
    shown = repr(value)
    if len(shown) <= limit:
        return shown
    return f"{shown[: limit - 20]}... ({len(shown)} characters)"


def clip(text: str, limit: int = 300) -> str:
    """``text`` cut in the middle to about ``limit`` characters."""
    if len(text) <= limit:
        return text
    half = (limit - 30) // 2
    return f"{text[:half]} [... {len(text) - 2 * half} characters cut ...] {text[-half:]}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario.

    Attributes:
        file: the file the problem is in (scenario, CSV, TLE), or ``"<dict>"``.
        line: 1-based line number, or None where the format keeps no positions (TOML, dicts).
        path: field path such as ``constellations[0].altitude_km`` (empty for file-level problems).
        message: what is wrong and what is allowed.
    """

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        file = clip(self.file, 300)
        where = f"{file}:{self.line}" if self.line is not None else file
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return clip(text, MAX_MESSAGE_CHARS)


class ScenarioError(ValueError):
    """A scenario could not be loaded; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
