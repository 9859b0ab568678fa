"""A real `orbitcloud serve` subprocess on a free loopback port, for the gateway tests: its
scenario (a 3 x 9 Walker constellation, Fucino (IT) and Malindi (KE), tenants ``alpha`` (IT
only) and ``beta``, erasure 4+2), its data dir and boto3 clients of each tenant's profile."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from conftest import walker_3x9_world

#: The ``src`` folder of the checkout this file is in (the server runs that source).
SRC = Path(__file__).resolve().parents[1] / "src"


#: boto3 sessions by (credentials file, profile, the file's mtime and size).
_SESSIONS: dict[tuple[str, str, int, int], boto3.Session] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scenario() -> dict[str, Any]:
    return walker_3x9_world(
        86400,
        5,
        hardware={"storage_tb": 1},
        storage={
            "tenants": [{"name": "alpha", "allowed_jurisdictions": ["IT"]}, {"name": "beta"}],
            "placement": {"kind": "erasure", "k": 4, "m": 2},
        },
    )


class Server:
    """``orbitcloud serve`` on ``tmp`` (``scenario``: overrides of the test scenario's dict;
    ``args``: extra command-line options; ``data``: the data dir, default ``tmp/data``; ``env``:
    extra environment variables of the server process; ``cwd``: its working directory)."""

    def __init__(
        self,
        tmp: Path,
        scenario: dict[str, Any] | None = None,
        args: tuple[str, ...] = (),
        data: Path | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.port = _free_port()
        self.data = data or tmp / "data"
        self.url = f"http://127.0.0.1:{self.port}"
        scen = tmp / "gw.yaml"
        scen.write_text(json.dumps({**_scenario(), **(scenario or {})}))
        self.log = tmp / "server.log"
        # This checkout's source, not whatever an installed console script points at.
        child_env = {**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join(
            p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p
        )}  # fmt: skip
        t0 = time.monotonic()
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from orbitcloud.cli import main; main()", "serve",
                 str(scen), "--port", str(self.port), "--data-dir", str(self.data),
                 "--speed", "60", "--start-s", "3600", *args],
                stdout=out, stderr=subprocess.STDOUT, env=child_env, cwd=cwd,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            self.proc.kill()
            raise RuntimeError("server did not start within 120 s")
        #: Wall-clock seconds from spawning the process to its port accepting connections.
        self.startup_s = time.monotonic() - t0
        self.credentials = self.data / "credentials"

    def client(self, profile: str, **kw: Any) -> Any:
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(self.credentials)
        st = self.credentials.stat()
        key = (str(self.credentials), profile, st.st_mtime_ns, st.st_size)
        s = _SESSIONS.get(key)
        if s is None:  # a new Session costs ~0.1 s (it loads botocore's data); its clients ~3 ms
            s = _SESSIONS[key] = boto3.Session(profile_name=profile)
        cfg = Config(
            s3={"addressing_style": "path"}, retries={"max_attempts": 1},
            signature_version="s3v4", **kw,
        )  # fmt: skip
        return s.client("s3", endpoint_url=self.url, region_name="us-east-1", config=cfg)

    def kill(self) -> None:
        """SIGKILL the server (no shutdown code runs) and reap it."""
        self.proc.kill()
        self.proc.wait(20)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
