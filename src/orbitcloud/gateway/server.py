"""``orbitcloud serve``: build the twin, the credentials and the application, and run uvicorn.

Binds 127.0.0.1 by default. Ctrl-C (SIGINT) or SIGTERM stops uvicorn gracefully; the store is
closed (its lock released) on the way out. Uploads older than ``upload_max_age_s`` and temp
files are swept at start (:meth:`orbitcloud.gateway.multipart.Uploads.sweep`).

Memory (glibc): the server keeps large buffers in one heap (:func:`keep_buffers_in_heap`), so
a request's tens of MiB of body, ciphertext and fragments reuse pages already mapped instead
of faulting fresh ones in on every request.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import platform
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from orbitcloud.gateway.app import GatewayConfig, make_app
from orbitcloud.gateway.auth import Credentials
from orbitcloud.gateway.multipart import Uploads
from orbitcloud.gateway.twin import Twin
from orbitcloud.scenario.models import Scenario

__all__ = ["ServeOptions", "build", "serve"]

#: Multipart uploads not completed within this long are removed at the next start [s].
UPLOAD_MAX_AGE_S = 7 * 86400.0


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 9000
    data_dir: Path = Path("orbitcloud-data")
    speed: float = 1.0
    start_s: float = 0.0
    latency_real: bool = False
    domain: str | None = None
    fsync: bool = True


#: glibc ``mallopt`` parameters (malloc.h) and the values the server sets.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
HEAP_KEEP_BYTES = 512 * 1024 * 1024


def keep_buffers_in_heap() -> bool:
    """Tell glibc's allocator to serve allocations up to :data:`HEAP_KEEP_BYTES` from one heap
    and keep up to that much freed memory mapped (``mallopt``: ``M_ARENA_MAX`` 1,
    ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD``). Otherwise every buffer over 32 MiB (and
    every one over 64 MiB in a worker thread's arena) is a fresh ``mmap`` whose pages fault in
    on first write: ~0.08 s of a 64 MiB copy's 0.09 s, and most of AES-GCM's and the erasure
    encoder's time per PUT (benchmarks/README.md). The price: the process's resident memory
    stays near its peak, at most this much above what is live. True if applied (Linux with
    glibc); elsewhere the allocator is left as it is."""
    if sys.platform != "linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    settings = (
        (_M_ARENA_MAX, 1),
        (_M_MMAP_THRESHOLD, HEAP_KEEP_BYTES),
        (_M_TRIM_THRESHOLD, HEAP_KEEP_BYTES),
    )
    return all(libc.mallopt(param, value) == 1 for param, value in settings)


def build(scenario: Scenario, opts: ServeOptions) -> tuple[GatewayConfig, Twin]:
    """The gateway's configuration (twin, credentials, uploads) under ``opts.data_dir``."""
    data_dir = opts.data_dir.resolve()
    twin = Twin(scenario, data_dir, opts.speed, opts.start_s, opts.fsync)
    try:
        creds = Credentials.load_or_create(data_dir, twin.tenants)
        uploads = Uploads(data_dir / "multipart", opts.fsync)
        uploads.sweep(UPLOAD_MAX_AGE_S)
    except BaseException:
        twin.close()
        raise
    cfg = GatewayConfig(twin, creds, uploads, opts.domain, opts.latency_real)
    return cfg, twin


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: any free port); OSError naming
    the address if it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; try --port 0"
        ) from None
    sock.listen(128)
    return sock


def serve(scenario: Scenario, opts: ServeOptions, announce: bool = True) -> None:
    """Run the gateway until interrupted (module docstring)."""
    import uvicorn

    keep_buffers_in_heap()
    cfg, twin = build(scenario, opts)
    try:
        sock = _bind(opts.host, opts.port)  # bind before announcing: a taken port is one line
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            make_app(cfg), host=opts.host, port=port, log_level="warning",
            access_log=False, lifespan="off", h11_max_incomplete_event_size=16 * 1024,
        )  # fmt: skip
        server = uvicorn.Server(config)
        if announce:
            url = f"http://{opts.host}:{port}"
            print(f"orbitcloud S3 gateway: {url}  (scenario {scenario.name}, Ctrl-C stops)")
            print(f"credentials: {cfg.credentials.path}  (profiles: {', '.join(twin.tenants)})")
            hint = (
                f"  e.g. AWS_SHARED_CREDENTIALS_FILE={cfg.credentials.path} "
                f"aws --profile {twin.tenants[0]} --endpoint-url {url} s3 ls"
            )
            print(hint, flush=True)
        logging.getLogger("orbitcloud.gateway").setLevel(logging.WARNING)
        # uvicorn re-raises the SIGINT it handled, after shutting down
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
        if announce:
            print("orbitcloud S3 gateway: stopped", flush=True)
    finally:
        twin.close()
