"""One round trip with s3cmd (a third S3 client, from PyPI): make a bucket, put a file, list,
get it back, delete it, with SigV4 and path-style addressing against `orbitcloud serve`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gateway_server import Server


def test_s3cmd_round_trip(tmp_path: Path) -> None:
    srv = Server(tmp_path)
    try:
        text = srv.credentials.read_text().split("[alpha]")[1]
        ak = text.split("aws_access_key_id")[1].split("=")[1].split()[0]
        sk = text.split("aws_secret_access_key")[1].split("=")[1].split()[0]
        cfg = tmp_path / "s3cfg"
        cfg.write_text(
            "[default]\n"
            f"access_key = {ak}\nsecret_key = {sk}\n"
            f"host_base = 127.0.0.1:{srv.port}\nhost_bucket = 127.0.0.1:{srv.port}\n"
            "use_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n"
        )
        exe = Path(sys.executable).parent / "s3cmd"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}

        def run(*args: str) -> str:
            r = subprocess.run([str(exe), "-c", str(cfg), *args], capture_output=True,
                               text=True, timeout=60, env=env)  # fmt: skip
            assert r.returncode == 0, r.stdout + r.stderr
            return r.stdout

        src = tmp_path / "up.bin"
        src.write_bytes(os.urandom(123_456))
        run("mb", "s3://s3cmd-bkt")
        run("put", str(src), "s3://s3cmd-bkt/dir/up.bin")
        assert "s3://s3cmd-bkt/dir/up.bin" in run("ls", "-r", "s3://s3cmd-bkt")
        back = tmp_path / "down.bin"
        run("get", "s3://s3cmd-bkt/dir/up.bin", str(back))
        assert back.read_bytes() == src.read_bytes()
        run("del", "s3://s3cmd-bkt/dir/up.bin")
        assert "up.bin" not in run("ls", "-r", "s3://s3cmd-bkt")
    finally:
        srv.stop()
