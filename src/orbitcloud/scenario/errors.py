"""Scenario errors: one readable line per problem, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "ScenarioError"]


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
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(ValueError):
    """A scenario could not be loaded; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
