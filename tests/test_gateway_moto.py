"""Compatibility oracle: one boto3 workload against moto's S3 server and `orbitcloud serve`.

moto 5 (``python -m moto.server``) and the gateway each run on a free loopback port; the same
:func:`workload` (boto3, path-style, us-east-1, SigV4) runs on both and records per step the
HTTP status, the S3 error code, the headers S3 defines (ETag, Content-Length, Content-Range,
Content-Type, Accept-Ranges, x-amz-meta-*, whether Last-Modified is present) of GetObject and
HeadObject, the ETag of PutObject and UploadPart, listings (KeyCount, IsTruncated, whether a
NextContinuationToken came, CommonPrefixes, each page's keys with ETag and size) and the bodies'
bytes. The records must be equal except for the differences below, each asserted in
:data:`DIFFERENCES`; a new difference, or a listed one that disappears, fails the test.

Remaining differences (moto / gateway; which one AWS does):

1. CreateBucket on a bucket the caller already owns: moto 200, gateway 409
   ``BucketAlreadyOwnedByYou``. AWS answers 409 in every region but us-east-1, where it answers
   200 for legacy compatibility; the gateway answers 409 everywhere (deliberate).
2. CreateBucket ``Bad_Name``: moto creates it (200, and lists it); gateway 400
   ``InvalidBucketName``, as AWS.
3. PutObject with a wrong Content-MD5: moto stores the object (200); gateway 400 ``BadDigest``
   and stores nothing, as AWS.
4. DeleteObjects with ``Quiet``: moto still lists every ``<Deleted>`` key; the gateway lists only
   errors, as AWS.
5. CompleteMultipartUpload with parts out of order: moto completes; gateway 400
   ``InvalidPartOrder``, as AWS.
6. UploadPart / CompleteMultipartUpload after AbortMultipartUpload: moto 500; gateway 404
   ``NoSuchUpload``, as AWS.

Deliberate differences from AWS that this single-tenant workload does not reach (see
:mod:`orbitcloud.gateway.app`): bucket names are per tenant (no global namespace, so never
``BucketAlreadyExists``); no versioning, ACLs, policies, tagging, lifecycle or SSE headers; the
``x-orbitcloud-*`` twin headers, and 403/503 answers from sovereignty and lost shards. Not
compared: the XML bodies' byte lengths, continuation-token values, and response headers S3 does
not define for an operation (moto, for one, sends ETag and Last-Modified on CopyObject and
UploadPart responses; AWS puts CopyObject's in the XML body).
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from gateway_server import Server

MiB = 1024 * 1024
SRC = Path(__file__).resolve().parents[1] / "src"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start within 120 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def _client(url: str, key_id: str, secret: str) -> Any:
    cfg = Config(
        s3={"addressing_style": "path"}, retries={"max_attempts": 1}, signature_version="s3v4"
    )
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        config=cfg,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


def _gateway_client(tmp: Path) -> tuple[Any, Server]:
    """The gateway on the shared test scenario (tests/gateway_server.py) and a client of its
    tenant ``alpha`` (same client settings as moto's)."""
    srv = Server(tmp)
    creds = configparser.ConfigParser()
    creds.read(srv.credentials)
    sec = creds["alpha"]
    return _client(srv.url, sec["aws_access_key_id"], sec["aws_secret_access_key"]), srv


def _moto_client(tmp: Path) -> tuple[Any, subprocess.Popen[bytes]]:
    port = _free_port()
    log = tmp / "moto.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    _wait_port(proc, port, log)
    return _client(f"http://127.0.0.1:{port}", "testing", "testing"), proc


# --- the workload ------------------------------------------------------------------------

_HEADERS = ("etag", "content-length", "content-range", "content-type", "accept-ranges")
Record = dict[str, Any]


#: Operations whose response headers describe an object (GetObject, HeadObject) and those that
#: define only an ETag header (PutObject, UploadPart); other responses' headers are not compared
#: (their Content-Length is that of an XML body S3 does not fix byte for byte).
_OBJECT_OPS = ("get_object", "head_object")
_ETAG_OPS = ("put_object", "upload_part")


def _headers(op: str, h: dict[str, str]) -> dict[str, Any]:
    if op in _ETAG_OPS:
        return {"etag": h.get("etag")}
    if op not in _OBJECT_OPS:
        return {}
    out: dict[str, Any] = {k: h[k] for k in _HEADERS if k in h}
    out.update({k: v for k, v in h.items() if k.startswith("x-amz-meta-")})
    out["last-modified?"] = "last-modified" in h
    return out


def _listing(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "KeyCount": r.get("KeyCount"),
        "IsTruncated": r.get("IsTruncated"),
        "NextContinuationToken?": "NextContinuationToken" in r,
        "CommonPrefixes": [p["Prefix"] for p in r.get("CommonPrefixes", [])],
        "Keys": [(o["Key"], o["ETag"], o["Size"]) for o in r.get("Contents", [])],
        "Prefix": r.get("Prefix"),
        "StartAfter": r.get("StartAfter"),
        "Delimiter": r.get("Delimiter"),
        "EncodingType": r.get("EncodingType"),
    }


class Recorder:
    """Runs steps and keeps, per step name, what S3 defines of the outcome."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3
        self.steps: dict[str, Record] = {}

    def __call__(
        self, name: str, op: str, extract: Callable[[Any], dict[str, Any]] | None = None, **kw: Any
    ) -> Any:
        assert name not in self.steps, name
        try:
            r = getattr(self.s3, op)(**kw)
        except ClientError as e:
            self.steps[name] = {
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                "code": e.response["Error"]["Code"],
            }
            return None
        rec: Record = {
            "status": r["ResponseMetadata"]["HTTPStatusCode"],
            "code": None,
            "headers": _headers(op, r["ResponseMetadata"]["HTTPHeaders"]),
        }
        if "Body" in r:
            r["_bytes"] = r["Body"].read()
            rec["body"] = r["_bytes"]
        if extract is not None:
            rec.update(extract(r))
        self.steps[name] = rec
        return r


def workload(s3: Any) -> dict[str, Record]:
    """Every operation of the brief, in one fixed order, on a fresh server."""
    rnd = random.Random(20261201)
    small = rnd.randbytes(1000)
    step = Recorder(s3)

    step(
        "list-buckets-empty",
        "list_buckets",
        lambda r: {"Buckets": [b["Name"] for b in r["Buckets"]]},
    )
    step("create-bucket", "create_bucket", Bucket="oracle")
    step("create-bucket-again", "create_bucket", Bucket="oracle")
    step("create-bucket-invalid", "create_bucket", Bucket="Bad_Name")
    step("create-bucket-2", "create_bucket", Bucket="scratch")
    step("list-buckets", "list_buckets", lambda r: {"Buckets": [b["Name"] for b in r["Buckets"]]})
    step("head-bucket", "head_bucket", Bucket="oracle")
    step("head-bucket-missing", "head_bucket", Bucket="nothere")

    # objects
    step(
        "put-meta",
        "put_object",
        Bucket="oracle",
        Key="a/meta.bin",
        Body=small,
        ContentType="application/x-oracle",
        Metadata={"mission": "milsca", "pass": "7"},
    )
    step("put-default-type", "put_object", Bucket="oracle", Key="a/plain", Body=b"plain")
    md5 = base64.b64encode(hashlib.md5(small).digest()).decode()
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    step("put-md5-right", "put_object", Bucket="oracle", Key="a/md5", Body=small, ContentMD5=md5)
    step("put-md5-wrong", "put_object", Bucket="oracle", Key="a/md5bad", Body=small, ContentMD5=bad)
    step("put-missing-bucket", "put_object", Bucket="nothere", Key="x", Body=b"x")
    step("get", "get_object", Bucket="oracle", Key="a/meta.bin")
    step("get-default-type", "get_object", Bucket="oracle", Key="a/plain")
    step("get-md5bad-absent", "get_object", Bucket="oracle", Key="a/md5bad")
    step("get-missing-key", "get_object", Bucket="oracle", Key="nope")
    step("get-missing-bucket", "get_object", Bucket="nothere", Key="nope")
    step(
        "get-range-first-last", "get_object", Bucket="oracle", Key="a/meta.bin", Range="bytes=10-19"
    )
    step("get-range-suffix", "get_object", Bucket="oracle", Key="a/meta.bin", Range="bytes=-100")
    step("get-range-open", "get_object", Bucket="oracle", Key="a/meta.bin", Range="bytes=990-")
    step(
        "get-range-past-end",
        "get_object",
        Bucket="oracle",
        Key="a/meta.bin",
        Range="bytes=995-2000",
    )
    step(
        "get-range-unsatisfiable",
        "get_object",
        Bucket="oracle",
        Key="a/meta.bin",
        Range="bytes=5000-6000",
    )
    step("head", "head_object", Bucket="oracle", Key="a/meta.bin")
    step("head-missing", "head_object", Bucket="oracle", Key="nope")
    step("head-missing-bucket", "head_object", Bucket="nothere", Key="nope")
    step("delete-missing", "delete_object", Bucket="oracle", Key="never-was")
    step("delete", "delete_object", Bucket="oracle", Key="a/plain")
    step("get-deleted", "get_object", Bucket="oracle", Key="a/plain")

    # copy
    step(
        "copy-copy",
        "copy_object",
        lambda r: {"CopyETag": r["CopyObjectResult"]["ETag"]},
        Bucket="oracle",
        Key="b/copy",
        CopySource={"Bucket": "oracle", "Key": "a/meta.bin"},
    )
    step("get-copy", "get_object", Bucket="oracle", Key="b/copy")
    step(
        "copy-replace",
        "copy_object",
        lambda r: {"CopyETag": r["CopyObjectResult"]["ETag"]},
        Bucket="scratch",
        Key="b/replaced",
        CopySource={"Bucket": "oracle", "Key": "a/meta.bin"},
        MetadataDirective="REPLACE",
        ContentType="text/x-new",
        Metadata={"fresh": "yes"},
    )
    step("get-replace", "get_object", Bucket="scratch", Key="b/replaced")
    step(
        "copy-onto-self",
        "copy_object",
        Bucket="oracle",
        Key="a/meta.bin",
        CopySource={"Bucket": "oracle", "Key": "a/meta.bin"},
    )
    step(
        "copy-onto-self-replace",
        "copy_object",
        Bucket="oracle",
        Key="a/md5",
        CopySource={"Bucket": "oracle", "Key": "a/md5"},
        MetadataDirective="REPLACE",
        Metadata={"round": "2"},
    )
    step("head-self-replaced", "head_object", Bucket="oracle", Key="a/md5")
    step(
        "copy-missing-source",
        "copy_object",
        Bucket="oracle",
        Key="c",
        CopySource={"Bucket": "oracle", "Key": "nope"},
    )

    # listing
    for k in ["l/a", "l/b/1", "l/b/2", "l/c", "l/d/1", "l/e", "l/f"]:
        s3.put_object(Bucket="scratch", Key=k, Body=k.encode())
    step("list-prefix", "list_objects_v2", _listing, Bucket="scratch", Prefix="l/")
    step(
        "list-delimiter", "list_objects_v2", _listing, Bucket="scratch", Prefix="l/", Delimiter="/"
    )
    step("list-root-delimiter", "list_objects_v2", _listing, Bucket="scratch", Delimiter="/")
    for mode, extra in (("flat", {}), ("delim", {"Delimiter": "/"})):
        token = None
        for page in range(10):
            kw: dict[str, Any] = {"Bucket": "scratch", "Prefix": "l/", "MaxKeys": 2, **extra}
            if token:
                kw["ContinuationToken"] = token
            r = step(f"list-page-{mode}-{page}", "list_objects_v2", _listing, **kw)
            token = r.get("NextContinuationToken") if r else None
            if not token:
                break
    step("list-start-after", "list_objects_v2", _listing, Bucket="scratch", StartAfter="l/b/1")
    step(
        "list-start-after-delim",
        "list_objects_v2",
        _listing,
        Bucket="scratch",
        Prefix="l/",
        Delimiter="/",
        StartAfter="l/b/",
    )
    step("list-max-keys-0", "list_objects_v2", _listing, Bucket="scratch", MaxKeys=0)
    step("list-missing-bucket", "list_objects_v2", _listing, Bucket="nothere")
    odd = ["odd/a b", "odd/plus+sign", "odd/percent%41", "odd/é-ü", "odd/amp&lt", "odd/q?x=1"]
    for k in odd:
        s3.put_object(Bucket="scratch", Key=k, Body=b"odd")
    step("list-odd-auto-url", "list_objects_v2", _listing, Bucket="scratch", Prefix="odd/")
    step(
        "list-odd-explicit-url",
        "list_objects_v2",
        _listing,
        Bucket="scratch",
        Prefix="odd/",
        EncodingType="url",
    )
    for i, k in enumerate(odd):
        step(f"get-odd-{i}", "get_object", Bucket="scratch", Key=k)

    # delete objects
    step(
        "delete-objects",
        "delete_objects",
        lambda r: {
            "Deleted": sorted(d["Key"] for d in r.get("Deleted", [])),
            "Errors": r.get("Errors", []),
        },
        Bucket="scratch",
        Delete={"Objects": [{"Key": "l/a"}, {"Key": "l/b/1"}, {"Key": "ghost"}]},
    )
    step(
        "delete-objects-quiet",
        "delete_objects",
        lambda r: {"Deleted": r.get("Deleted", []), "Errors": r.get("Errors", [])},
        Bucket="scratch",
        Delete={"Objects": [{"Key": "l/c"}, {"Key": "ghost"}], "Quiet": True},
    )
    step("list-after-delete-objects", "list_objects_v2", _listing, Bucket="scratch", Prefix="l/")

    # multipart
    p1, p2, p3 = rnd.randbytes(5 * MiB), rnd.randbytes(5 * MiB), rnd.randbytes(1234)
    up = step(
        "mpu-create",
        "create_multipart_upload",
        lambda r: {"Key": r["Key"]},
        Bucket="oracle",
        Key="mp/big",
        ContentType="application/x-mp",
        Metadata={"kind": "multi"},
    )
    uid = up["UploadId"]
    e = []
    for n, body in ((1, p1), (2, p2), (3, p3)):
        r = step(
            f"mpu-part-{n}",
            "upload_part",
            Bucket="oracle",
            Key="mp/big",
            UploadId=uid,
            PartNumber=n,
            Body=body,
        )
        e.append(r["ETag"])
    step(
        "mpu-list-parts",
        "list_parts",
        lambda r: {
            "Parts": [(p["PartNumber"], p["ETag"], p["Size"]) for p in r["Parts"]],
            "IsTruncated": r["IsTruncated"],
        },
        Bucket="oracle",
        Key="mp/big",
        UploadId=uid,
    )
    parts = [{"PartNumber": n + 1, "ETag": t} for n, t in enumerate(e)]
    step(
        "mpu-complete-wrong-etag",
        "complete_multipart_upload",
        Bucket="oracle",
        Key="mp/big",
        UploadId=uid,
        MultipartUpload={"Parts": [parts[0], {"PartNumber": 2, "ETag": '"' + "0" * 32 + '"'}]},
    )
    step(
        "mpu-complete-missing-part",
        "complete_multipart_upload",
        Bucket="oracle",
        Key="mp/big",
        UploadId=uid,
        MultipartUpload={"Parts": [parts[0], {"PartNumber": 7, "ETag": e[0]}]},
    )
    # the failure cases that moto completes on go to uploads of their own
    for case, key, order in (
        ("out-of-order", "mp/order", [1, 0]),
        ("small-nonlast", "mp/small", [0, 1, 2]),
    ):
        u = s3.create_multipart_upload(Bucket="oracle", Key=key)["UploadId"]
        bodies = (p1, p2) if case == "out-of-order" else (p1, p3, p3)
        ts = [
            s3.upload_part(Bucket="oracle", Key=key, UploadId=u, PartNumber=n + 1, Body=b)["ETag"]
            for n, b in enumerate(bodies)
        ]
        step(
            f"mpu-complete-{case}",
            "complete_multipart_upload",
            Bucket="oracle",
            Key=key,
            UploadId=u,
            MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": ts[i]} for i in order]},
        )
    step(
        "mpu-complete",
        "complete_multipart_upload",
        lambda r: {"ETag": r["ETag"], "Key": r["Key"]},
        Bucket="oracle",
        Key="mp/big",
        UploadId=uid,
        MultipartUpload={"Parts": parts},
    )
    step("mpu-head", "head_object", Bucket="oracle", Key="mp/big")
    r = s3.get_object(Bucket="oracle", Key="mp/big")
    step.steps["mpu-get-bytes-equal"] = {"equal": r["Body"].read() == p1 + p2 + p3}
    step(
        "mpu-get-range-across-parts",
        "get_object",
        Bucket="oracle",
        Key="mp/big",
        Range=f"bytes={5 * MiB - 5}-{5 * MiB + 4}",
    )
    step("mpu-list-parts-after-complete", "list_parts", Bucket="oracle", Key="mp/big", UploadId=uid)
    up2 = s3.create_multipart_upload(Bucket="oracle", Key="mp/aborted")
    step(
        "mpu-part-aborted",
        "upload_part",
        Bucket="oracle",
        Key="mp/aborted",
        UploadId=up2["UploadId"],
        PartNumber=1,
        Body=b"x",
    )
    step(
        "mpu-abort",
        "abort_multipart_upload",
        Bucket="oracle",
        Key="mp/aborted",
        UploadId=up2["UploadId"],
    )
    step(
        "mpu-list-parts-aborted",
        "list_parts",
        Bucket="oracle",
        Key="mp/aborted",
        UploadId=up2["UploadId"],
    )
    step(
        "mpu-part-after-abort",
        "upload_part",
        Bucket="oracle",
        Key="mp/aborted",
        UploadId=up2["UploadId"],
        PartNumber=2,
        Body=b"x",
    )
    step(
        "mpu-complete-after-abort",
        "complete_multipart_upload",
        Bucket="oracle",
        Key="mp/aborted",
        UploadId=up2["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e[0]}]},
    )
    step("head-aborted", "head_object", Bucket="oracle", Key="mp/aborted")

    # bucket deletion
    step("delete-bucket-nonempty", "delete_bucket", Bucket="oracle")
    step("delete-bucket-missing", "delete_bucket", Bucket="nothere")
    s3.create_bucket(Bucket="empty")
    step("delete-bucket-empty", "delete_bucket", Bucket="empty")
    step("head-bucket-deleted", "head_bucket", Bucket="empty")
    step(
        "list-buckets-end", "list_buckets", lambda r: {"Buckets": [b["Name"] for b in r["Buckets"]]}
    )
    return step.steps


#: Every place the two records differ, ``step: {field: (moto, gateway)}``, and which of them
#: does what AWS documents. Where the status differs only ``status`` and ``code`` are compared
#: (the rest of the record follows from them). The test fails on any difference not listed here,
#: and on a listed one that disappears.
DIFFERENCES: dict[str, dict[str, tuple[Any, Any]]] = {
    # AWS: 409 BucketAlreadyOwnedByYou in every region except us-east-1, which answers 200 for
    # legacy compatibility (S3 API Reference, "Error responses"). moto copies us-east-1; the
    # gateway answers 409 everywhere, so a client learns that nothing was created.
    "create-bucket-again": {"status": (200, 409), "code": (None, "BucketAlreadyOwnedByYou")},
    # moto's server does not validate bucket names; AWS and the gateway: 400 InvalidBucketName
    # (and the bucket "Bad_Name" then shows up in moto's ListBuckets).
    "create-bucket-invalid": {"status": (200, 400), "code": (None, "InvalidBucketName")},
    "list-buckets": {"Buckets": (["oracle", "Bad_Name", "scratch"], ["oracle", "scratch"])},
    "list-buckets-end": {"Buckets": (["oracle", "Bad_Name", "scratch"], ["oracle", "scratch"])},
    # moto does not check Content-MD5; AWS and the gateway refuse with 400 BadDigest and store
    # nothing (so the later GET is 404 NoSuchKey on the gateway, as on AWS).
    "put-md5-wrong": {"status": (200, 400), "code": (None, "BadDigest")},
    "get-md5bad-absent": {"status": (200, 404), "code": (None, "NoSuchKey")},
    # Quiet mode: AWS returns only the errors; moto still lists every <Deleted> key.
    "delete-objects-quiet": {"Deleted": ([{"Key": "l/c"}, {"Key": "ghost"}], [])},
    # AWS: 400 InvalidPartOrder for parts listed out of ascending order; moto completes the upload.
    "mpu-complete-out-of-order": {"status": (200, 400), "code": (None, "InvalidPartOrder")},
    # After an abort AWS answers 404 NoSuchUpload; moto's server fails with a 500.
    "mpu-part-after-abort": {"status": (500, 404), "code": ("500", "NoSuchUpload")},
    "mpu-complete-after-abort": {"status": (500, 404), "code": ("500", "NoSuchUpload")},
}


@pytest.fixture(scope="module")
def records(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, Record], dict[str, Record]]]:
    tmp = tmp_path_factory.mktemp("moto-oracle")
    moto, mproc = _moto_client(tmp)
    gw, gproc = _gateway_client(tmp)
    try:
        yield workload(moto), workload(gw)
    finally:
        _stop(mproc)
        gproc.stop()


def _flatten(rec: Record) -> dict[str, Any]:
    out = {}
    for k, v in rec.items():
        if k == "headers":
            for hk, hv in v.items():
                out[f"headers.{hk}"] = hv
        else:
            out[k] = v
    return out


def _diff(moto: dict[str, Record], gw: dict[str, Record]) -> dict[str, dict[str, tuple[Any, Any]]]:
    assert list(moto) == list(gw)
    out: dict[str, dict[str, tuple[Any, Any]]] = {}
    for name in moto:
        m, g = _flatten(moto[name]), _flatten(gw[name])
        fields = (
            ["status", "code"] if m.get("status") != g.get("status") else sorted(set(m) | set(g))
        )
        d = {f: (m.get(f, "<absent>"), g.get(f, "<absent>")) for f in fields}
        d = {f: v for f, v in d.items() if v[0] != v[1]}
        if d:
            out[name] = d
    return out


def test_gateway_matches_moto_except_documented(records: Any) -> None:
    moto, gw = records
    diff = _diff(moto, gw)
    new = {k: v for k, v in diff.items() if DIFFERENCES.get(k) != v}
    gone = sorted(set(DIFFERENCES) - set(diff))
    assert not new and not gone, f"new or changed differences: {new!r:.3000}; gone: {gone}"


def test_gateway_records_follow_s3_definitions(records: Any) -> None:
    """The gateway's record against S3's definitions directly, not only against moto."""
    _, gw = records
    assert gw["get-range-first-last"]["status"] == 206
    assert gw["get-range-first-last"]["headers"]["content-range"] == "bytes 10-19/1000"
    assert gw["get-range-suffix"]["headers"]["content-range"] == "bytes 900-999/1000"
    assert gw["get-range-open"]["headers"]["content-range"] == "bytes 990-999/1000"
    assert gw["get-range-past-end"]["headers"]["content-range"] == "bytes 995-999/1000"
    assert gw["get-range-unsatisfiable"] == {"status": 416, "code": "InvalidRange"}
    assert gw["head-missing"] == {"status": 404, "code": "404"}
    assert gw["delete-missing"]["status"] == 204
    assert gw["delete-bucket-nonempty"] == {"status": 409, "code": "BucketNotEmpty"}
    assert gw["delete-bucket-missing"] == {"status": 404, "code": "NoSuchBucket"}
    assert gw["copy-onto-self"] == {"status": 400, "code": "InvalidRequest"}
    assert gw["mpu-complete-wrong-etag"] == {"status": 400, "code": "InvalidPart"}
    assert gw["mpu-complete-small-nonlast"] == {"status": 400, "code": "EntityTooSmall"}
    assert gw["mpu-list-parts-aborted"] == {"status": 404, "code": "NoSuchUpload"}
    assert gw["mpu-get-bytes-equal"] == {"equal": True}
    rnd = random.Random(20261201)
    rnd.randbytes(1000)
    parts = [rnd.randbytes(5 * MiB), rnd.randbytes(5 * MiB), rnd.randbytes(1234)]
    md5s = b"".join(hashlib.md5(p).digest() for p in parts)
    assert gw["mpu-complete"]["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-3"'
    assert gw["get"]["headers"]["x-amz-meta-mission"] == "milsca"
    assert gw["get-replace"]["headers"]["content-type"] == "text/x-new"
    assert gw["get-replace"]["headers"]["x-amz-meta-fresh"] == "yes"
    assert "x-amz-meta-mission" not in gw["get-replace"]["headers"]
    pages = [gw[f"list-page-flat-{i}"]["Keys"] for i in range(4)]
    assert [k for p in pages for k, _, _ in p] == sorted(k for p in pages for k, _, _ in p)
    assert gw["list-odd-explicit-url"]["Keys"][0][0] == "odd/a%20b"
