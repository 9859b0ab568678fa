"""Progress reporting for long stages: rich bars on a terminal, silent otherwise.

Core functions take an optional ``progress: Progress`` and call ``progress.task(...)``; the
default does nothing, so library users and tests pay nothing. The CLI passes a rich one, which
is quiet when stderr is not a terminal or ``CI`` is set, keeping CI logs short.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

__all__ = ["NullProgress", "Progress", "RichProgress", "Task"]


class Task(Protocol):
    def advance(self, amount: float = 1.0) -> None: ...


class Progress(Protocol):
    def task(self, description: str, total: float) -> contextmanager[Task]: ...  # type: ignore[valid-type]


class _NullTask:
    def advance(self, amount: float = 1.0) -> None:
        return None


class NullProgress:
    """Reports nothing."""

    @contextmanager
    def task(self, description: str, total: float) -> Iterator[Task]:
        yield _NullTask()


class _RichTask:
    def __init__(self, bar: object, task_id: object) -> None:
        self._bar = bar
        self._id = task_id

    def advance(self, amount: float = 1.0) -> None:
        self._bar.advance(self._id, amount)  # type: ignore[attr-defined]


class RichProgress:
    """rich progress bars on stderr, disabled when not interactive or under CI."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty() and not os.environ.get("CI")

    @contextmanager
    def task(self, description: str, total: float) -> Iterator[Task]:
        if not self.enabled:
            yield _NullTask()
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichBar

        with RichBar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            yield _RichTask(bar, bar.add_task(description, total=total))
