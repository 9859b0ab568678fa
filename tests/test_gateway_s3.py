"""The S3 gateway as real clients see it: `orbitcloud serve` runs as a subprocess on a free
loopback port, and boto3 (the AWS SDK, from PyPI) performs every operation, including
multipart uploads and presigned URLs, against it. ETags are checked against hashlib's MD5
(S3's definition), bytes against what was sent."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from gateway_server import Server

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("gateway"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def s3(server: Server) -> Any:
    return server.client("alpha")


def _code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])


def test_credentials_file_is_private_and_read_by_boto3(server: Server) -> None:
    mode = server.credentials.stat().st_mode & 0o777
    assert mode == 0o600
    text = server.credentials.read_text()
    assert "[alpha]" in text and "[beta]" in text
    assert server.client("alpha").list_buckets()["Buckets"] == []


def test_bucket_lifecycle(s3: Any) -> None:
    s3.create_bucket(Bucket="photos")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["photos"]
    s3.head_bucket(Bucket="photos")
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="photos")
    assert _code(e.value) == "BucketAlreadyOwnedByYou"
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="nothere")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="Bad_Name")
    assert _code(e.value) == "InvalidBucketName"
    s3.create_bucket(Bucket="empty")
    s3.delete_bucket(Bucket="empty")
    assert "empty" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_put_get_head_with_metadata_range_and_twin_headers(s3: Any) -> None:
    s3.create_bucket(Bucket="data")
    body = os.urandom(300_000)
    r = s3.put_object(Bucket="data", Key="dir/a.bin", Body=body, ContentType="application/x-test",
                      Metadata={"mission": "milsca", "pass": "7"})  # fmt: skip
    md5 = hashlib.md5(body).hexdigest()
    assert r["ETag"] == f'"{md5}"'
    h = r["ResponseMetadata"]["HTTPHeaders"]
    assert float(h["x-orbitcloud-durable-s"]) >= float(h["x-orbitcloud-time-s"])
    assert h["x-orbitcloud-station"] == "Fucino"  # alpha may only use Italian stations
    assert len(h["x-orbitcloud-shard-nodes"].split(",")) == 6  # 4 + 2 shards
    g = s3.get_object(Bucket="data", Key="dir/a.bin")
    assert g["Body"].read() == body
    assert g["ETag"] == f'"{md5}"' and g["ContentType"] == "application/x-test"
    assert g["Metadata"] == {"mission": "milsca", "pass": "7"}
    gh = g["ResponseMetadata"]["HTTPHeaders"]
    assert float(gh["x-orbitcloud-latency-s"]) >= 0
    part = s3.get_object(Bucket="data", Key="dir/a.bin", Range="bytes=1000-1999")
    assert part["Body"].read() == body[1000:2000]
    assert part["ContentRange"] == f"bytes 1000-1999/{len(body)}"
    tail = s3.get_object(Bucket="data", Key="dir/a.bin", Range="bytes=-10")["Body"].read()
    assert tail == body[-10:]
    head = s3.head_object(Bucket="data", Key="dir/a.bin")
    assert head["ContentLength"] == len(body) and head["ETag"] == f'"{md5}"'
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="data", Key="dir/a.bin", Range=f"bytes={len(body)}-")
    assert _code(e.value) == "InvalidRange"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="data", Key="missing")
    assert _code(e.value) == "NoSuchKey"


def test_list_objects_v2_prefix_delimiter_and_pages(s3: Any) -> None:
    s3.create_bucket(Bucket="listing")
    keys = ["a/1", "a/2", "a/b/3", "b", "c/x", "c/y", "d", "é/1", "Z"]
    for k in keys:
        s3.put_object(Bucket="listing", Key=k, Body=k.encode())
    everything = s3.list_objects_v2(Bucket="listing")
    assert [o["Key"] for o in everything["Contents"]] == sorted(keys, key=str.encode)
    top = s3.list_objects_v2(Bucket="listing", Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["Z", "b", "d"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "c/", "é/"]
    sub = s3.list_objects_v2(Bucket="listing", Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in sub["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in sub["CommonPrefixes"]] == ["a/b/"]
    seen: list[str] = []
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket="listing", Delimiter="/", PaginationConfig={"PageSize": 2}
    )
    for page in pages:
        seen += [o["Key"] for o in page.get("Contents", [])]
        seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        assert page["KeyCount"] <= 2
    assert sorted(seen, key=str.encode) == ["Z", "a/", "b", "c/", "d", "é/"]


def test_copy_and_delete_objects(s3: Any) -> None:
    s3.create_bucket(Bucket="copies")
    s3.put_object(Bucket="copies", Key="src", Body=b"hello", Metadata={"k": "v"})
    r = s3.copy_object(Bucket="copies", Key="dst", CopySource={"Bucket": "copies", "Key": "src"})
    assert r["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"hello").hexdigest()}"'
    got = s3.get_object(Bucket="copies", Key="dst")
    assert got["Body"].read() == b"hello" and got["Metadata"] == {"k": "v"}
    out = s3.delete_objects(
        Bucket="copies", Delete={"Objects": [{"Key": "src"}, {"Key": "dst"}, {"Key": "none"}]}
    )
    assert sorted(d["Key"] for d in out["Deleted"]) == ["dst", "none", "src"]
    assert s3.list_objects_v2(Bucket="copies")["KeyCount"] == 0
    s3.delete_object(Bucket="copies", Key="never-there")  # S3: 204 all the same
    s3.put_object(Bucket="copies", Key="keep", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket="copies")
    assert _code(e.value) == "BucketNotEmpty"


def test_multipart_upload_etag_list_parts_and_abort(s3: Any) -> None:
    s3.create_bucket(Bucket="big")
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1234)]
    up = s3.create_multipart_upload(Bucket="big", Key="blob", Metadata={"kind": "mp"})
    uid = up["UploadId"]
    etags = []
    for i, p in enumerate(parts, start=1):
        etags.append(s3.upload_part(Bucket="big", Key="blob", UploadId=uid, PartNumber=i,
                                    Body=p)["ETag"])  # fmt: skip
    listed = s3.list_parts(Bucket="big", Key="blob", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in listed] == [(1, 5 * MiB), (2, 5 * MiB), (3, 1234)]
    done = s3.complete_multipart_upload(
        Bucket="big", Key="blob", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": i, "ETag": e}
                                   for i, e in enumerate(etags, start=1)]},
    )  # fmt: skip
    want = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-3"
    assert done["ETag"] == f'"{want}"'
    got = s3.get_object(Bucket="big", Key="blob")
    assert got["Body"].read() == b"".join(parts) and got["Metadata"] == {"kind": "mp"}
    # an aborted upload is gone
    up2 = s3.create_multipart_upload(Bucket="big", Key="other")["UploadId"]
    s3.upload_part(Bucket="big", Key="other", UploadId=up2, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket="big", Key="other", UploadId=up2)
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket="big", Key="other", UploadId=up2)
    assert _code(e.value) == "NoSuchUpload"
    # boto3's managed transfer (multipart above its threshold) round-trips too
    from boto3.s3.transfer import TransferConfig

    blob = os.urandom(12 * MiB)
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    import io

    s3.upload_fileobj(io.BytesIO(blob), "big", "managed", Config=cfg)
    buf = io.BytesIO()
    s3.download_fileobj("big", "managed", buf, Config=cfg)
    assert buf.getvalue() == blob


def test_presigned_urls(s3: Any) -> None:
    s3.create_bucket(Bucket="shared")
    s3.put_object(Bucket="shared", Key="note.txt", Body=b"orbit")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "note.txt"},
                                    ExpiresIn=300)  # fmt: skip
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.read() == b"orbit"
    put = s3.generate_presigned_url("put_object", Params={"Bucket": "shared", "Key": "up.txt"},
                                    ExpiresIn=300)  # fmt: skip
    req = urllib.request.Request(put, data=b"uploaded", method="PUT")
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200
    assert s3.get_object(Bucket="shared", Key="up.txt")["Body"].read() == b"uploaded"
    sig = url.split("X-Amz-Signature=")[1][:64]
    bad = url.replace(sig, sig[:-1] + ("0" if sig[-1] != "0" else "1"))  # one hex digit off
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(bad, timeout=30)
    assert e.value.code == 403 and b"SignatureDoesNotMatch" in e.value.read()


def test_auth_failures(server: Server) -> None:
    wrong = boto3.client("s3", endpoint_url=server.url, region_name="us-east-1",
                         aws_access_key_id="OCNOSUCHKEY000000000",
                         aws_secret_access_key="x" * 40)  # fmt: skip
    with pytest.raises(ClientError) as e:
        wrong.list_buckets()
    assert _code(e.value) == "InvalidAccessKeyId"
    text = server.credentials.read_text()
    ak = text.split("[alpha]")[1].split("aws_access_key_id")[1].split("=")[1].split()[0]
    badsig = boto3.client("s3", endpoint_url=server.url, region_name="us-east-1",
                          aws_access_key_id=ak, aws_secret_access_key="y" * 40)  # fmt: skip
    with pytest.raises(ClientError) as e:
        badsig.list_buckets()
    assert _code(e.value) == "SignatureDoesNotMatch"
    with pytest.raises(urllib.error.HTTPError) as h:
        urllib.request.urlopen(server.url + "/", timeout=30)
    assert h.value.code == 403 and b"<Code>AccessDenied</Code>" in h.value.read()


def test_tenants_are_isolated(server: Server, s3: Any) -> None:
    """beta cannot list, read, overwrite or delete alpha's objects, nor learn their names."""
    s3.create_bucket(Bucket="secret")
    s3.put_object(Bucket="secret", Key="plans", Body=b"alpha only")
    beta = server.client("beta")
    assert "secret" not in [b["Name"] for b in beta.list_buckets()["Buckets"]]
    for call in (
        lambda: beta.list_objects_v2(Bucket="secret"),
        lambda: beta.get_object(Bucket="secret", Key="plans"),
        lambda: beta.head_object(Bucket="secret", Key="plans"),
        lambda: beta.delete_object(Bucket="secret", Key="plans"),
        lambda: beta.put_object(Bucket="secret", Key="plans", Body=b"overwritten"),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    beta.create_bucket(Bucket="secret")  # its own namespace: no conflict, nothing learnt
    assert beta.list_objects_v2(Bucket="secret")["KeyCount"] == 0
    assert s3.get_object(Bucket="secret", Key="plans")["Body"].read() == b"alpha only"
