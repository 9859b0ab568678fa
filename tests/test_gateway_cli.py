"""The AWS CLI (awscli v1, from PyPI) against `orbitcloud serve`: ``s3 mb``, ``s3 cp`` up (small,
and > 8 MB so the CLI uploads in parts) and down, ``s3 ls``, ``s3 sync``, ``s3 rm --recursive``,
``s3api head-object``, ``s3api put-object --metadata`` and ``s3 presign`` fetched with urllib.
Every command must exit 0, and what it did is checked independently, with boto3 or by
comparing bytes."""

from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway_server import Server

MiB = 1024 * 1024
SRC = Path(__file__).resolve().parents[1] / "src"
AWS = Path(sys.executable).parent / "aws"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Gateway:
    url: str
    env: dict[str, str]
    s3: Any  # a boto3 client of tenant alpha

    def aws(self, *args: str, cwd: Path | None = None) -> str:
        """``aws --profile alpha --endpoint-url URL ARGS``: its stdout; fails unless it exits 0."""
        r = subprocess.run(
            [str(AWS), "--profile", "alpha", "--endpoint-url", self.url, *args],
            env=self.env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, f"aws {' '.join(args)}: exit {r.returncode}\n{r.stderr[-3000:]}"
        return r.stdout


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gateway-cli")
    srv = Server(tmp)  # the shared test scenario (tests/gateway_server.py)
    try:
        config = tmp / "aws-config"
        config.write_text(
            "[profile alpha]\ns3 =\n  signature_version = s3v4\n  addressing_style = path\n"
        )
        cli_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        cli_env.update(
            AWS_SHARED_CREDENTIALS_FILE=str(srv.credentials),
            AWS_CONFIG_FILE=str(config),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_DEFAULT_REGION="us-east-1",
        )
        g = Gateway(srv.url, cli_env, srv.client("alpha"))
        g.aws("s3", "mb", "s3://cli")
        yield g
    finally:
        srv.stop()


def _keys(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    r = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for o in r.get("Contents", [])]


def test_mb_creates_the_bucket(gw: Gateway) -> None:
    assert "cli" in [b["Name"] for b in gw.s3.list_buckets()["Buckets"]]
    gw.s3.head_bucket(Bucket="cli")


def test_cp_up_and_down_small_and_multipart(gw: Gateway, tmp_path: Path) -> None:
    rnd = random.Random(7)
    small, big = rnd.randbytes(10_000), rnd.randbytes(9 * MiB + 123)
    (tmp_path / "small.bin").write_bytes(small)
    (tmp_path / "big.bin").write_bytes(big)
    gw.aws("s3", "cp", str(tmp_path / "small.bin"), "s3://cli/up/small.bin")
    gw.aws("s3", "cp", str(tmp_path / "big.bin"), "s3://cli/up/big.bin")
    assert gw.s3.get_object(Bucket="cli", Key="up/small.bin")["Body"].read() == small
    head = gw.s3.head_object(Bucket="cli", Key="up/small.bin")
    assert head["ETag"] == f'"{hashlib.md5(small).hexdigest()}"'
    # the CLI's multipart threshold and chunk size are 8 MiB: two parts, ETag md5-of-md5s-2
    head = gw.s3.head_object(Bucket="cli", Key="up/big.bin")
    md5s = hashlib.md5(big[: 8 * MiB]).digest() + hashlib.md5(big[8 * MiB :]).digest()
    assert head["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-2"'
    assert head["ContentLength"] == len(big)
    assert gw.s3.get_object(Bucket="cli", Key="up/big.bin")["Body"].read() == big

    gw.aws("s3", "cp", "s3://cli/up/small.bin", str(tmp_path / "small.down"))
    gw.aws("s3", "cp", "s3://cli/up/big.bin", str(tmp_path / "big.down"))
    assert (tmp_path / "small.down").read_bytes() == small
    assert (tmp_path / "big.down").read_bytes() == big

    listing = gw.aws("s3", "ls", "s3://cli/up/")
    rows = {line.split()[-1]: int(line.split()[-2]) for line in listing.splitlines()}
    assert rows == {"small.bin": len(small), "big.bin": len(big)}
    assert "PRE up/" in gw.aws("s3", "ls", "s3://cli/")
    assert "cli" in gw.aws("s3", "ls").split()


def test_sync_then_rm_recursive(gw: Gateway, tmp_path: Path) -> None:
    src = tmp_path / "tree"
    files = {"a.txt": b"alpha\n", "sub/b.txt": b"beta\n" * 100, "sub/deep/c.bin": os.urandom(4096)}
    for rel, body in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(body)
    gw.aws("s3", "sync", str(src), "s3://cli/tree")
    assert sorted(_keys(gw.s3, "cli", "tree/")) == sorted(f"tree/{k}" for k in files)
    for rel, body in files.items():
        assert gw.s3.get_object(Bucket="cli", Key=f"tree/{rel}")["Body"].read() == body
    # a second sync has nothing to do
    assert gw.aws("s3", "sync", str(src), "s3://cli/tree").strip() == ""
    # and down again, into an empty directory
    down = tmp_path / "down"
    gw.aws("s3", "sync", "s3://cli/tree", str(down))
    assert {
        str(p.relative_to(down)): p.read_bytes() for p in down.rglob("*") if p.is_file()
    } == files

    out = gw.aws("s3", "rm", "--recursive", "s3://cli/tree")
    assert out.count("delete:") == len(files)
    assert _keys(gw.s3, "cli", "tree/") == []


def test_s3api_put_object_metadata_and_head_object(gw: Gateway, tmp_path: Path) -> None:
    body = b"metadata round trip\n"
    (tmp_path / "m.txt").write_bytes(body)
    out = json.loads(
        gw.aws(
            "s3api",
            "put-object",
            "--bucket",
            "cli",
            "--key",
            "meta/m.txt",
            "--body",
            str(tmp_path / "m.txt"),
            "--content-type",
            "text/plain",
            "--metadata",
            "mission=milsca,pass=7",
        )
    )
    etag = f'"{hashlib.md5(body).hexdigest()}"'
    assert out["ETag"] == etag
    h = gw.s3.head_object(Bucket="cli", Key="meta/m.txt")
    assert h["Metadata"] == {"mission": "milsca", "pass": "7"}
    assert h["ContentType"] == "text/plain"
    cli = json.loads(gw.aws("s3api", "head-object", "--bucket", "cli", "--key", "meta/m.txt"))
    assert cli["ETag"] == etag
    assert cli["ContentLength"] == len(body)
    assert cli["Metadata"] == {"mission": "milsca", "pass": "7"}
    assert cli["ContentType"] == "text/plain"


def test_presign_then_urllib_get(gw: Gateway) -> None:
    body = os.urandom(2048)
    gw.s3.put_object(Bucket="cli", Key="share/p.bin", Body=body)
    url = gw.aws("s3", "presign", "s3://cli/share/p.bin", "--expires-in", "300").strip()
    assert url.startswith(gw.url + "/cli/share/p.bin?") and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.status == 200
        assert r.read() == body
