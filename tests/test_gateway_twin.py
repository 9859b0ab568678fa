"""The twin behind the gateway, bad input, virtual hosts and a clean stop.

Requests here are signed with botocore's own SigV4 signer (the client-side oracle) and sent
raw with http.client, so the tests can send what boto3 never would (malformed XML, a NUL or a
2 KB key, a wrong Content-MD5, a truncated body, huge headers)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import signal
import socket
import time
import urllib.parse
import zlib
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError

from gateway_server import Server


def _keys(server: Server, profile: str) -> tuple[str, str]:
    text = server.credentials.read_text().split(f"[{profile}]")[1]
    ak = text.split("aws_access_key_id")[1].split("=")[1].split()[0]
    sk = text.split("aws_secret_access_key")[1].split("=")[1].split()[0]
    return ak, sk


def send(
    server: Server,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    host: str | None = None,
    profile: str = "alpha",
    signed_body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """A request signed by botocore (SigV4, the payload's SHA-256: of ``signed_body`` if
    given, so the body sent does not match it), sent over http.client."""
    ak, sk = _keys(server, profile)
    hostport = host or f"127.0.0.1:{server.port}"
    signed = body if signed_body is None else signed_body
    req = AWSRequest(method, f"http://{hostport}{path}", data=signed, headers=dict(headers or {}))
    req.headers["x-amz-content-sha256"] = hashlib.sha256(signed).hexdigest()
    S3SigV4Auth(BotoCredentials(ak, sk), "s3", "us-east-1").add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if "host" not in {k.lower() for k in req.headers}:
            conn.putheader("Host", hostport)  # what the signature covers (botocore: the URL's)
        for k, v in req.headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def _code(body: bytes) -> str:
    return body.split(b"<Code>")[1].split(b"</Code>")[0].decode() if b"<Code>" in body else ""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = Server(tmp_path_factory.mktemp("twin"), args=("--domain", "s3.test"))
    srv.client("alpha").create_bucket(Bucket="bkt")
    srv.client("beta").create_bucket(Bucket="bkt")
    yield srv
    srv.stop()


def test_sovereignty_refusal_is_access_denied_with_the_reason(server: Server) -> None:
    """alpha may use Italian stations only: a PUT through Malindi (KE) is refused; beta, with
    no restriction, goes through Malindi."""
    st, _, body = send(server, "PUT", "/bkt/k", b"x", {"x-orbitcloud-station": "Malindi"})
    assert st == 403 and _code(body) == "AccessDenied"
    assert b"KE" in body or b"Malindi" in body
    st, h, _ = send(server, "PUT", "/bkt/k", b"x", {"x-orbitcloud-station": "Malindi"},
                    profile="beta")  # fmt: skip
    assert st == 200 and h["x-orbitcloud-station"] == "Malindi"


def test_pinned_time_and_out_of_plan_times(server: Server) -> None:
    st, h, _ = send(server, "PUT", "/bkt/pinned", b"y", {"x-orbitcloud-time-s": "5000"})
    assert st == 200 and float(h["x-orbitcloud-time-s"]) == 5000.0
    assert float(h["x-orbitcloud-durable-s"]) >= 5000.0
    st, _, body = send(server, "GET", "/bkt/pinned", headers={"x-orbitcloud-time-s": "1e9"})
    assert st == 503 and _code(body) == "ServiceUnavailable"
    st, _, body = send(server, "GET", "/bkt/pinned", headers={"x-orbitcloud-time-s": "soon"})
    assert st == 400


def test_get_latency_is_the_time_until_k_shards_reach_the_station(server: Server) -> None:
    """A GET's ready time is at or after its request time, and its latency header is the
    difference."""
    send(server, "PUT", "/bkt/lat", os.urandom(50_000), {"x-orbitcloud-time-s": "4000"})
    st, h, _ = send(server, "GET", "/bkt/lat", headers={"x-orbitcloud-time-s": "4100"})
    assert st == 200
    ready = float(h["x-orbitcloud-ready-s"])
    assert ready >= 4100.0 and float(h["x-orbitcloud-latency-s"]) == pytest.approx(ready - 4100)
    later = repr(ready + 600.0)
    st, h2, _ = send(server, "GET", "/bkt/lat", headers={"x-orbitcloud-time-s": later})
    assert st == 200 and float(h2["x-orbitcloud-ready-s"]) >= ready + 600.0


def test_a_body_failing_its_hashes_is_refused_and_the_old_version_stays(server: Server) -> None:
    """The hashes of a PutObject body are checked while the store writes its shards; a
    mismatch (signed SHA-256, x-amz-checksum-crc32, Content-MD5) is its S3 error, the previous
    version reads back with its ETag and no shard file is left; the hash error wins over
    NoSuchBucket, as S3 checks the request before the bucket."""
    old = os.urandom(300_000)
    st, h, _ = send(server, "PUT", "/bkt/keep", old)
    assert st == 200 and h["etag"] == f'"{hashlib.md5(old).hexdigest()}"'
    store = server.data / "store"
    files = sorted(p.name for p in store.rglob("*") if p.is_file())
    new = os.urandom(300_000)
    crc = base64.b64encode(zlib.crc32(b"other").to_bytes(4, "big")).decode()
    md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    for headers, signed, code in [
        ({}, b"other", "XAmzContentSHA256Mismatch"),
        ({"x-amz-checksum-crc32": crc}, None, "BadDigest"),
        ({"Content-MD5": md5}, None, "BadDigest"),
    ]:
        st, _, body = send(server, "PUT", "/bkt/keep", new, headers, signed_body=signed)
        assert (st, _code(body)) == (400, code)
        st, h, got = send(server, "GET", "/bkt/keep")
        assert st == 200 and got == old and h["etag"] == f'"{hashlib.md5(old).hexdigest()}"'
        assert sorted(p.name for p in store.rglob("*") if p.is_file()) == files
    st, _, body = send(server, "PUT", "/nobucket/k", new, signed_body=b"other")
    assert (st, _code(body)) == (400, "XAmzContentSHA256Mismatch")
    st, _, body = send(server, "PUT", "/nobucket/k", new)
    assert (st, _code(body)) == (404, "NoSuchBucket")


def test_bad_input_gets_s3_errors_and_the_server_survives(server: Server, tmp_path: Path) -> None:
    st, _, body = send(server, "POST", "/bkt?delete", b"<Delete><Object><Key>a")
    assert st == 400 and _code(body) == "MalformedXML"
    st, _, body = send(server, "POST", "/bkt?delete", b'<!DOCTYPE x [<!ENTITY e "x">]><Delete/>')
    assert st == 400 and _code(body) == "MalformedXML"
    st, _, body = send(server, "PUT", "/Bad_Bucket")
    assert st == 400 and _code(body) == "InvalidBucketName"
    st, _, body = send(server, "PUT", "/bkt/" + "k" * 2048, b"z")
    assert st == 400 and _code(body) == "KeyTooLongError"
    st, _, body = send(server, "PUT", "/bkt/a%00b", b"z")
    assert st == 400
    md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    st, _, body = send(server, "PUT", "/bkt/md5", b"data", {"Content-MD5": md5})
    assert st == 400 and _code(body) == "BadDigest"
    st, _, body = send(server, "PUT", "/bkt/md5", b"data", {"Content-MD5": "@@@"})
    assert st == 400 and _code(body) == "InvalidDigest"
    # a key that looks like a path is only a name: nothing appears outside the data dir
    before = sorted(p.name for p in server.data.parent.iterdir())
    st, _, _ = send(server, "PUT", "/bkt/" + urllib.parse.quote("../../escape", safe=""), b"e")
    assert st == 200
    st, _, got = send(server, "GET", "/bkt/" + urllib.parse.quote("../../escape", safe=""))
    assert st == 200 and got == b"e"
    assert sorted(p.name for p in server.data.parent.iterdir()) == before
    # huge headers, then a body cut short: refused or dropped, and the server still answers
    huge = {"x-amz-meta-big": "v" * 20_000}
    try:
        st, _, body = send(server, "PUT", "/bkt/huge", b"h", huge)
        assert st in (400, 431) and (st == 431 or _code(body) == "MetadataTooLarge")
    except (ConnectionError, http.client.HTTPException):
        pass  # the server may also drop a request whose headers exceed its limit
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(b"PUT /b/cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"a" * 10)
    s.close()
    assert server.client("alpha").list_buckets()["Buckets"]


def test_virtual_host_addressing(server: Server) -> None:
    st, _, _ = send(server, "PUT", "/vkey", b"virtual", host=f"bkt.s3.test:{server.port}")
    assert st == 200
    st, _, got = send(server, "GET", "/vkey", host=f"bkt.s3.test:{server.port}")
    assert st == 200 and got == b"virtual"
    st, _, got = send(server, "GET", "/bkt/vkey")  # the same object, path style
    assert st == 200 and got == b"virtual"


def test_lost_shards_answer_503(tmp_path: Path) -> None:
    """Every satellite is lost at t = 60,000 s: a GET after that finds fewer than k shards;
    a PUT that cannot reach enough satellites before then is 503 too, with the reason."""
    sats = [f"w-{p}-{s}" for p in range(3) for s in range(9)]
    faults = [{"t_s": 60_000, "kind": "satellite_loss", "target": n} for n in sats]
    srv = Server(tmp_path, scenario={"faults": faults})
    try:
        s3 = srv.client("alpha")
        s3.create_bucket(Bucket="bkt")
        assert send(srv, "PUT", "/bkt/x", b"data", {"x-orbitcloud-time-s": "4000"})[0] == 200
        st, _, body = send(srv, "GET", "/bkt/x", headers={"x-orbitcloud-time-s": "70000"})
        assert st == 503 and _code(body) == "ServiceUnavailable"
        st, _, body = send(srv, "PUT", "/bkt/y", b"late", {"x-orbitcloud-time-s": "80000"})
        assert st == 503 and b"alive" in body
    finally:
        srv.stop()


def test_latency_real_waits_for_the_simulated_latency(tmp_path: Path) -> None:
    srv = Server(tmp_path, args=("--latency", "real", "--speed", "100000"))
    try:
        srv.client("alpha").create_bucket(Bucket="bkt")
        send(srv, "PUT", "/bkt/x", b"data", {"x-orbitcloud-time-s": "4000"})
        t0 = time.monotonic()
        st, h, _ = send(srv, "GET", "/bkt/x", headers={"x-orbitcloud-time-s": "4001"})
        waited = time.monotonic() - t0
        latency = float(h["x-orbitcloud-latency-s"])
        assert st == 200 and latency > 1.0 and waited >= min(latency / 1e5, 30.0) - 0.01
    finally:
        srv.stop()


def test_ctrl_c_stops_cleanly_and_objects_survive_a_restart(tmp_path: Path) -> None:
    srv = Server(tmp_path)
    s3 = srv.client("alpha")
    s3.create_bucket(Bucket="keep")
    blob = os.urandom(200_000)
    s3.put_object(Bucket="keep", Key="k", Body=blob)
    srv.proc.send_signal(signal.SIGINT)
    assert srv.proc.wait(20) == 0
    again = Server(tmp_path, data=srv.data)  # the lock was released: it opens
    try:
        got = again.client("alpha").get_object(Bucket="keep", Key="k")["Body"].read()
        assert got == blob
        assert "orbitcloud S3 gateway: http://127.0.0.1:" in srv.log.read_text()
    finally:
        again.stop()


def test_a_second_server_on_the_same_data_dir_is_refused(server: Server, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="in use by process"):
        Server(tmp_path, data=server.data)
    with pytest.raises(ClientError):  # and the first still refuses nonsense
        server.client("alpha").get_object(Bucket="bkt", Key="never")


def test_a_taken_port_is_one_line_and_nothing_is_announced(tmp_path: Path) -> None:
    import subprocess
    import sys

    from gateway_server import _scenario

    scen = tmp_path / "s.yaml"
    scen.write_text(__import__("json").dumps(_scenario()))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-c", "from orbitcloud.cli import main; main()", "serve", str(scen),
             "--port", str(port), "--data-dir", str(tmp_path / "d")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use; try --port 0"
    ]
    assert "S3 gateway" not in r.stdout
