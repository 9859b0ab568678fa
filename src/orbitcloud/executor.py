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
import socket
import struct
import time
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
    "capped_workers",
    "make_executor",
    "probe_dask",
]

#: A Dask handshake is a few hundred bytes; a length field above this is not Dask talking.
MAX_HANDSHAKE_BYTES = 1 << 20

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


def capped_workers(workers: int | None) -> tuple[int, str | None]:
    """The local worker count to use for ``workers`` (``None``: every available core) and,
    when ``workers`` asks for more processes than there are cores, a one-line note saying it
    was capped (more processes than cores only add memory and start-up time)."""
    cores = available_cores()
    if workers is None:
        return cores, None
    if workers < 1:
        raise ValueError(f"workers must be >= 1 (or omitted for all cores), got {workers}")
    if workers > cores:
        return cores, (
            f"--workers {workers}: this process may use {cores} core(s); using {cores} workers"
        )
    return workers, None


def _split_tcp(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of ``tcp://host:port`` or ``host:port``; ``None`` for other schemes."""
    rest = address
    if "://" in address:
        scheme, rest = address.split("://", 1)
        if scheme != "tcp":
            return None
    host, sep, port = rest.rstrip("/").rpartition(":")
    if not sep or not port.isdigit():
        raise RuntimeError(
            f"Dask scheduler address {address!r}: expected tcp://HOST:PORT, e.g. "
            "tcp://127.0.0.1:8786"
        )
    return host.strip("[]") or "127.0.0.1", int(port)


def probe_dask(address: str, timeout_s: float) -> None:
    """Check that ``address`` answers like a Dask scheduler before ``distributed`` connects:
    a scheduler sends its handshake as soon as a connection is accepted, framed by an 8-byte
    little-endian length. Raises ``RuntimeError`` (one line) if nothing listens, nothing
    arrives within ``timeout_s``, or the first bytes are not such a frame (an HTTP server, a
    service sending junk), instead of hanging or allocating what junk asks for."""
    target = _split_tcp(address)
    if target is None:  # tls://, ws://, inproc://: leave it to distributed
        return
    deadline = time.monotonic() + timeout_s
    hint = "start one with `dask scheduler`, or leave --scheduler out to use local processes"
    try:
        with socket.create_connection(target, timeout=timeout_s) as sock:
            head = b""
            while len(head) < 8:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                sock.settimeout(left)
                chunk = sock.recv(8 - len(head))
                if not chunk:
                    break
                head += chunk
    except TimeoutError:
        raise RuntimeError(
            f"the server at {address!r} sent no Dask handshake within {timeout_s:g} s: it is "
            f"not a Dask scheduler; {hint}"
        ) from None
    except OSError as e:
        raise RuntimeError(f"cannot reach the Dask scheduler at {address!r} ({e}); {hint}") from e
    if len(head) < 8:
        raise RuntimeError(
            f"the server at {address!r} closed the connection without a Dask handshake; {hint}"
        )
    (n_bytes,) = struct.unpack("<Q", head)
    if n_bytes > MAX_HANDSHAKE_BYTES:
        raise RuntimeError(
            f"the server at {address!r} is not a Dask scheduler: it answered with {head!r}; {hint}"
        )


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
        probe_dask(address, timeout_s)
        try:
            self._client = Client(address, timeout=f"{timeout_s}s")
            info = self._client.scheduler_info()
        except Exception as e:  # any failure to connect is one line, whatever raised it
            msg = str(e).strip().splitlines()
            raise RuntimeError(
                f"cannot reach the Dask scheduler at {address!r} "
                f"({type(e).__name__}: {msg[0] if msg else ''}); start one with "
                "`dask scheduler` (and `dask worker ADDRESS`), or leave the address out to use "
                "the local process pool"
            ) from e
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


def make_executor(
    workers: int | None = None, scheduler: str | None = None, timeout_s: float = 10.0
) -> Executor:
    """The executor for a run.

    Args:
        workers: local processes; ``None`` = every available core, 1 = in this process;
            capped at the available cores (:func:`capped_workers`).
        scheduler: a Dask scheduler address; when given, ``workers`` is ignored.
        timeout_s: how long to wait for the Dask scheduler (connection and handshake).
    """
    if scheduler:
        return DaskExecutor(scheduler, timeout_s)
    n, _ = capped_workers(workers)
    return SerialExecutor() if n == 1 else LocalExecutor(n)
