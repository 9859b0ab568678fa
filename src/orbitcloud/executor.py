"""Where independent pieces of work run: in this process, a local process pool, or Dask.

Stages that parallelise (routes over time chunks, ground passes over satellite chunks, the
storage sweep) cut their work into *tasks* that do not depend on the executor: the same
tasks, in the same order, whatever runs them. Results are therefore identical on one core,
on a process pool and on a Dask cluster; only the wall-clock time differs.

Tasks are ``(function, argument)`` pairs where the function is importable at module level
and the argument pickles (a ``Scenario``, numpy arrays, small dataclasses), so a Dask worker
on another machine can run them if orbitcloud is installed there.

    >>> with make_executor(workers=1) as ex:
    ...     ex.map(abs, [-1, 2, -3])
    [1, 2, 3]
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from types import TracebackType
from typing import Any, Protocol, TypeVar

__all__ = [
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "SerialExecutor",
    "available_cores",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")
#: Called with an item's index as soon as that item's task has finished (progress bars).
OnDone = Callable[[int], None] | None


def available_cores() -> int:
    """CPU cores this process may run on (respects ``taskset`` and container limits)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


class Executor(Protocol):
    """Runs ``fn`` on every item and returns the results in item order."""

    workers: int

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_done: OnDone = None) -> list[R]:
        """``[fn(x) for x in items]``; ``on_done(i)`` is called as item ``i`` finishes."""
        ...

    def __enter__(self) -> Executor: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class _Base:
    workers = 1

    def __enter__(self) -> Executor:
        return self  # type: ignore[return-value]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        return None


class SerialExecutor(_Base):
    """Runs every task in this process, one after the other."""

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_done: OnDone = None) -> list[R]:
        out = []
        for i, x in enumerate(items):
            out.append(fn(x))
            if on_done:
                on_done(i)
        return out


def _collect(futures: list[Future[Any]], on_done: OnDone) -> list[Any]:
    index = {id(f): i for i, f in enumerate(futures)}
    for f in as_completed(futures):
        f.result()  # raise the first failure at once
        if on_done:
            on_done(index[id(f)])
    return [f.result() for f in futures]


class LocalExecutor(_Base):
    """A pool of ``workers`` processes on this machine (``concurrent.futures``).

    Processes start with ``forkserver`` (safe with threads in the parent, and Python's
    default from 3.14 on); each worker imports orbitcloud once and keeps module-level caches
    (e.g. built satellites) between tasks.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx)
        return self._pool

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_done: OnDone = None) -> list[R]:
        pool = self._get_pool()
        return _collect([pool.submit(fn, x) for x in items], on_done)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(_Base):
    """Tasks on a Dask cluster (``dask.distributed``), e.g. ``tcp://scheduler:8786``.

    The workers need orbitcloud installed at the same version; results come back in order.
    """

    def __init__(self, address: str, timeout_s: float = 10.0) -> None:
        try:
            from distributed import Client
        except ImportError as e:  # pragma: no cover - distributed is a dependency
            raise RuntimeError(
                "a Dask scheduler address was given but dask.distributed is not installed; "
                "install it with `pip install distributed`"
            ) from e
        try:
            self._client = Client(address, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError) as e:
            raise RuntimeError(
                f"cannot reach the Dask scheduler at {address!r} ({e}); start one with "
                "`dask scheduler` (and `dask worker ADDRESS`), or leave the address out to use "
                "the local process pool"
            ) from e
        info = self._client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_done: OnDone = None) -> list[R]:
        from distributed import as_completed as dask_completed

        futures = self._client.map(fn, list(items), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for f in dask_completed(futures):
            if f.status == "error":
                f.result()  # raises the task's exception here
            if on_done:
                on_done(index[f.key])
        return list(self._client.gather(futures))

    def close(self) -> None:
        self._client.close()


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor for a run.

    Args:
        workers: local processes; ``None`` = every available core, 1 = in this process.
        scheduler: a Dask scheduler address; when given, ``workers`` is ignored.
    """
    if scheduler:
        return DaskExecutor(scheduler)
    n = available_cores() if workers is None else workers
    if n < 1:
        raise ValueError(f"workers must be >= 1 (or omitted for all cores), got {workers}")
    return SerialExecutor() if n == 1 else LocalExecutor(n)
