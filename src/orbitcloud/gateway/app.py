"""The S3-compatible HTTP gateway: a Starlette application in front of the twin's object store.

Addressing: path style (``/bucket/key``) always; virtual-host style (``bucket.DOMAIN/key``)
when the server is started with ``domain`` and the request's Host ends in ``.DOMAIN``.

Operations (Amazon S3 API Reference, 2006-03-01): ListBuckets, CreateBucket, HeadBucket,
DeleteBucket, GetBucketLocation, ListObjectsV2 (and V1), PutObject, GetObject (Range),
HeadObject, DeleteObject, DeleteObjects, CopyObject, CreateMultipartUpload, UploadPart,
CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads. Every request
is authenticated (SigV4 header or presigned URL, :mod:`.auth`) and acts as its tenant.

Differences from AWS S3, by design:

* bucket names are per tenant (two tenants may each have ``photos``): a tenant can never
  learn another's bucket names, not even from a CreateBucket conflict;
* no versioning, ACLs, policies, tagging, lifecycle, SSE headers: the store always encrypts
  (AES-256-GCM under the tenant's key) and keeps one version per key;
* the twin: each request runs at the twin's virtual time (:mod:`.twin`), goes through a ground
  station the tenant may use and the contact plan; responses carry ``x-orbitcloud-*`` headers
  with what the twin computed (``time-s``, ``station``, ``durable-s`` and ``shard-nodes`` of a
  put, ``ready-s`` and ``latency-s`` of a get). A placement or station the tenant's
  sovereignty forbids is 403 ``AccessDenied`` with the reason; a placement the twin cannot
  make (too few nodes alive with room, or reachable from the station before the plan ends), and
  an object with fewer than ``k`` shards left or none reachable within the plan, are 503
  ``ServiceUnavailable`` with the reason.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import datetime as dt
import email.utils
import hashlib
import json
import logging
import math
import re
import secrets
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from orbitcloud.gateway.auth import (
    Authenticated,
    AuthError,
    Credentials,
    authenticate,
    check_checksum_headers,
    check_payload,
    decode_aws_chunked,
)
from orbitcloud.gateway.multipart import MultipartError, Uploads
from orbitcloud.gateway.s3xml import (
    MalformedXMLError,
    element,
    error_xml,
    iso8601,
    list_buckets_xml,
    parse_complete_multipart,
    parse_delete,
    xml_bytes,
)
from orbitcloud.gateway.twin import STATION_HEADER, TIME_HEADER, ClockError, Twin
from orbitcloud.storage import (
    IntegrityError,
    InvalidNameError,
    NoSuchBucketError,
    NoSuchKeyError,
    ObjectLostError,
    PlacementError,
    SovereigntyError,
    StorageError,
)
from orbitcloud.storage.service import BucketNotEmptyError

__all__ = ["GatewayConfig", "S3Error", "make_app"]

log = logging.getLogger("orbitcloud.gateway")

#: Largest single PUT / part body accepted [bytes] (S3 allows 5 GiB; the gateway holds a body
#: in memory while it is encoded, so it keeps a bound).
MAX_BODY_BYTES = 1024 * 1024 * 1024
#: Longest a response waits for the simulated latency with ``latency="real"`` [s].
MAX_WAIT_S = 30.0
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_META = "x-amz-meta-"
#: Object headers kept as attributes and returned on GET/HEAD.
_KEPT = ("content-type", "content-encoding", "content-disposition", "content-language",
         "cache-control", "expires")  # fmt: skip


class S3Error(Exception):
    """An S3 error response: ``code`` (S3's), HTTP ``status``, message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


@dataclass
class GatewayConfig:
    """What the application serves and how."""

    twin: Twin
    credentials: Credentials
    uploads: Uploads
    domain: str | None = None
    latency_real: bool = False
    region: str = "us-east-1"
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))


def _http_date(t: dt.datetime) -> str:
    return email.utils.format_datetime(t.astimezone(dt.UTC), usegmt=True)


def _check_bucket(name: str) -> None:
    if not _BUCKET.fullmatch(name) or ".." in name:
        raise S3Error(
            "InvalidBucketName",
            "bucket names are 3-63 characters of lower-case letters, digits, '.' and '-', "
            "starting and ending with a letter or digit",
        )


def _check_key(key: str) -> None:
    n = len(key.encode("utf-8", "surrogatepass"))
    if n > 1024:
        raise S3Error("KeyTooLongError", f"object keys are at most 1,024 bytes, got {n}")
    if n == 0 or "\0" in key:
        raise S3Error("InvalidArgument", "object keys are 1-1,024 bytes of UTF-8 without NUL")


def _etag_header(etag: str) -> str:
    return f'"{etag}"'


class _Context:
    """One request: who, which bucket and key, the twin's time and station."""

    def __init__(self, cfg: GatewayConfig, request: Request) -> None:
        self.cfg = cfg
        self.request = request
        self.request_id = secrets.token_hex(8).upper()
        self.headers: dict[str, str] = {}
        self.query = urllib.parse.parse_qs(request.url.query, keep_blank_values=True)
        self.bucket, self.key = self._address()
        self.auth: Authenticated | None = None
        self.body_read = False

    def _address(self) -> tuple[str | None, str | None]:
        raw = self.request.scope.get("raw_path") or self.request.url.path.encode()
        path = urllib.parse.unquote(raw.decode("latin-1").split("?", 1)[0], errors="strict")
        host = (self.request.headers.get("host") or "").split(":", 1)[0].lower()
        dom = self.cfg.domain
        if dom and host.endswith("." + dom) and host != dom:
            rest = path[1:] if path.startswith("/") else path
            return host[: -len(dom) - 1], rest or None
        parts = path.lstrip("/").split("/", 1)
        return parts[0] or None, (parts[1] or None) if len(parts) > 1 else None

    def q(self, name: str) -> str | None:
        v = self.query.get(name)
        return v[0] if v else None

    def has(self, name: str) -> bool:
        return name in self.query

    @property
    def tenant(self) -> str:
        assert self.auth is not None
        return self.auth.credential.tenant


async def _read_body(ctx: _Context) -> bytes:
    """The request's raw payload, read (bounded) and checked against its Content-Length."""
    req = ctx.request
    ctx.body_read = True
    length = req.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES + 65536):
        raise S3Error("EntityTooLarge", f"bodies are at most {MAX_BODY_BYTES} bytes", 400)
    chunks = []
    total = 0
    try:
        async for chunk in req.stream():
            total += len(chunk)
            if total > MAX_BODY_BYTES + 65536:
                raise S3Error("EntityTooLarge", f"bodies are at most {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise S3Error("IncompleteBody", "the body ended before its Content-Length") from None
    raw = b"".join(chunks)
    if length is not None and len(raw) != int(length):
        raise S3Error("IncompleteBody", "the body is not as long as its Content-Length")
    return raw


def _chunked(ctx: _Context) -> bool:
    assert ctx.auth is not None
    encoding = ctx.request.headers.get("content-encoding", "")
    return "aws-chunked" in encoding or ctx.auth.payload.startswith("STREAMING-")


def _verify(raw: bytes, ctx: _Context) -> tuple[bytes, str]:
    """(payload, its MD5 in hex) of a raw body: de-chunked and checked against its
    signature's payload hash, any ``x-amz-checksum-*`` and any Content-MD5. CPU only (the
    hashes release the GIL), so it runs off the event loop."""
    assert ctx.auth is not None
    headers = {k.lower(): v for k, v in ctx.request.headers.items()}
    if _chunked(ctx):
        data, _ = decode_aws_chunked(raw, ctx.auth, headers)
    else:
        check_payload(raw, ctx.auth)
        check_checksum_headers(raw, headers)
        data = raw
    digest = hashlib.md5(data, usedforsecurity=False).digest()
    md5 = headers.get("content-md5")
    if md5 is not None:
        try:
            want = base64.b64decode(md5, validate=True)
        except (binascii.Error, ValueError):
            raise S3Error("InvalidDigest", "Content-MD5 is not base64") from None
        if len(want) != 16:
            raise S3Error("InvalidDigest", "Content-MD5 is not an MD5 digest")
        if digest != want:
            raise S3Error("BadDigest", "the body's MD5 does not match Content-MD5")
    return data, digest.hex()


async def _body(ctx: _Context) -> bytes:
    """The request's payload, read and verified (:func:`_verify`)."""
    raw = await _read_body(ctx)
    data, _ = await run_in_threadpool(_verify, raw, ctx)
    return data


#: Threads that verify a PutObject body while the store encodes and writes it.
_VERIFIERS = concurrent.futures.ThreadPoolExecutor(4, "s3-verify")


def _object_attrs(headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers kept with an object: content-* and user metadata."""
    out = {}
    meta_bytes = 0
    for k, v in headers.items():
        kl = k.lower()
        if kl in _KEPT or kl.startswith(_META):
            out[kl] = v
            if kl.startswith(_META):
                meta_bytes += len(kl) - len(_META) + len(v.encode())
    if meta_bytes > 2048:
        raise S3Error("MetadataTooLarge", "user metadata is limited to 2 KB")
    return out


def _object_headers(attrs: Mapping[str, str], size: int) -> dict[str, str]:
    h = {k: v for k, v in attrs.items() if k in _KEPT or k.startswith(_META)}
    h.setdefault("content-type", "binary/octet-stream")
    h["etag"] = _etag_header(attrs.get("etag", ""))
    if "last-modified" in attrs:
        h["last-modified"] = attrs["last-modified"]
    h["content-length"] = str(size)
    h["accept-ranges"] = "bytes"
    return h


def _range(spec: str, size: int) -> tuple[int, int] | None:
    """``(first, last)`` byte of a ``Range: bytes=...`` header (one range), or None when the
    header is not a single byte range (S3 then sends the whole object)."""
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", spec.strip())
    if not m or (m.group(1) == "" and m.group(2) == ""):
        return None
    a, b = m.group(1), m.group(2)
    if a == "":
        n = int(b)
        if n == 0:
            raise S3Error("InvalidRange", "the requested range is not satisfiable", 416)
        return max(0, size - n), size - 1
    first = int(a)
    last = min(int(b), size - 1) if b else size - 1
    if first >= size or (b and int(b) < first):
        raise S3Error("InvalidRange", "the requested range is not satisfiable", 416)
    return first, last


class Gateway:
    """Dispatches S3 requests to the twin's store (module docstring)."""

    def __init__(self, cfg: GatewayConfig) -> None:
        self.cfg = cfg
        self.store = cfg.twin.store

    # --- plumbing ------------------------------------------------------------------------

    async def __call__(self, request: Request) -> Response:
        ctx = _Context(self.cfg, request)
        try:
            return await self._handle(ctx)
        except S3Error as e:
            return self._error(ctx, e.code, e.message, e.status)
        except AuthError as e:
            return self._error(ctx, e.code, e.message, e.status)
        except MultipartError as e:
            return self._error(ctx, e.code, str(e), e.status)
        except MalformedXMLError as e:
            return self._error(ctx, "MalformedXML", str(e), 400)
        except ClockError as e:
            code = "ServiceUnavailable" if e.status == 503 else "InvalidArgument"
            return self._error(ctx, code, str(e), e.status)
        except UnicodeDecodeError:
            return self._error(ctx, "InvalidURI", "the URI is not valid UTF-8", 400)
        except Exception:  # never a traceback to the client; logged here
            log.exception("request %s %s failed", request.method, request.url.path)
            return self._error(ctx, "InternalError", "internal error (logged by the gateway)", 500)

    def _error(self, ctx: _Context, code: str, message: str, status: int) -> Response:
        body = b"" if ctx.request.method == "HEAD" else error_xml(
            code, message, ctx.request.url.path, ctx.request_id
        )  # fmt: skip
        h = self._headers(ctx)
        req_h = ctx.request.headers
        if not ctx.body_read and (
            req_h.get("content-length", "0") != "0" or "transfer-encoding" in req_h
        ):
            # The body was never read (a client that sent ``Expect: 100-continue`` has not even
            # sent it): the connection cannot carry another request, so it ends here.
            h["connection"] = "close"
        return Response(body, status, h, media_type="application/xml")

    def _headers(self, ctx: _Context, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        h = {"x-amz-request-id": ctx.request_id, "server": "orbitcloud"}
        h.update(ctx.headers)
        if extra:
            h.update(extra)
        return h

    def _xml(self, ctx: _Context, body: bytes, status: int = 200) -> Response:
        return Response(body, status, self._headers(ctx), media_type="application/xml")

    async def _call(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        try:
            return await run_in_threadpool(fn, *args, **kw)
        except NoSuchBucketError:
            raise S3Error("NoSuchBucket", "the specified bucket does not exist", 404) from None
        except NoSuchKeyError:
            raise S3Error("NoSuchKey", "the specified key does not exist", 404) from None
        except BucketNotEmptyError:
            raise S3Error(
                "BucketNotEmpty", "the bucket you tried to delete is not empty", 409
            ) from None
        except ObjectLostError as e:
            raise S3Error("ServiceUnavailable", str(e), 503) from None
        except SovereigntyError as e:
            raise S3Error("AccessDenied", getattr(e, "reason", None) or str(e), 403) from None
        except PlacementError as e:  # no nodes with room, or none reachable in the plan
            raise S3Error("ServiceUnavailable", str(e), 503) from None
        except InvalidNameError as e:
            raise S3Error("InvalidArgument", str(e), 400) from None
        except IntegrityError as e:
            raise S3Error(
                "InternalError", f"stored data failed its integrity check: {e}", 500
            ) from None
        except StorageError as e:
            raise S3Error("InvalidRequest", str(e), 400) from None

    def _twin(self, ctx: _Context) -> tuple[float, str]:
        h = ctx.request.headers
        t_s = self.cfg.twin.now_s(h.get(TIME_HEADER))
        station = self.cfg.twin.station(ctx.tenant, h.get(STATION_HEADER))
        ctx.headers["x-orbitcloud-time-s"] = repr(round(t_s, 6))
        ctx.headers["x-orbitcloud-station"] = station
        return t_s, station

    async def _wait(self, latency_s: float) -> None:
        if self.cfg.latency_real and math.isfinite(latency_s) and latency_s > 0:
            await asyncio.sleep(min(latency_s / self.cfg.twin.speed, MAX_WAIT_S))

    async def _handle(self, ctx: _Context) -> Response:
        req = ctx.request
        headers = {k.lower(): v for k, v in req.headers.items()}
        raw_path = (req.scope.get("raw_path") or req.url.path.encode()).decode("latin-1")
        ctx.auth = authenticate(
            req.method, raw_path.split("?", 1)[0], req.url.query, headers,
            self.cfg.credentials, self.cfg.now(),
        )  # fmt: skip
        m, b, k = req.method, ctx.bucket, ctx.key
        if b is None:
            if m == "GET":
                return await self.list_buckets(ctx)
            raise S3Error("MethodNotAllowed", "the method is not allowed on the service", 405)
        _check_bucket(b)
        if k is None:
            return await self._bucket_op(ctx, m, b)
        _check_key(k)
        return await self._object_op(ctx, m, b, k)

    async def _bucket_op(self, ctx: _Context, m: str, b: str) -> Response:
        if m == "PUT":
            await _body(ctx)
            created = await self._call(self.store.create_bucket, ctx.tenant, b)
            if not created:
                raise S3Error("BucketAlreadyOwnedByYou", "you already own this bucket", 409)
            return Response(b"", 200, self._headers(ctx, {"location": f"/{b}"}))
        if m == "HEAD":
            await self._require_bucket(ctx, b)
            return Response(b"", 200, self._headers(ctx, {"x-amz-bucket-region": self.cfg.region}))
        if m == "DELETE":
            await self._call(self.store.delete_bucket, ctx.tenant, b)
            return Response(b"", 204, self._headers(ctx))
        if m == "POST" and ctx.has("delete"):
            return await self.delete_objects(ctx, b)
        if m == "GET":
            if ctx.has("location"):
                await self._require_bucket(ctx, b)
                root = element("LocationConstraint")
                return self._xml(ctx, xml_bytes(root))
            if ctx.has("uploads"):
                return await self.list_uploads(ctx, b)
            return await self.list_objects(ctx, b, v2=ctx.q("list-type") == "2")
        raise S3Error("MethodNotAllowed", f"{m} is not allowed on a bucket", 405)

    async def _require_bucket(self, ctx: _Context, b: str) -> None:
        names = [x.name for x in await self._call(self.store.buckets, ctx.tenant)]
        if b not in names:
            raise S3Error("NoSuchBucket", "the specified bucket does not exist", 404)

    async def _object_op(self, ctx: _Context, m: str, b: str, k: str) -> Response:
        upload_id = ctx.q("uploadId")
        if m == "PUT":
            if upload_id is not None:
                return await self.upload_part(ctx, b, k, upload_id)
            if "x-amz-copy-source" in ctx.request.headers:
                return await self.copy_object(ctx, b, k)
            return await self.put_object(ctx, b, k)
        if m in ("GET", "HEAD"):
            if upload_id is not None and m == "GET":
                return await self.list_parts(ctx, b, k, upload_id)
            return await self.get_object(ctx, b, k, head=m == "HEAD")
        if m == "DELETE":
            if upload_id is not None:
                up = self.cfg.uploads.get(upload_id, ctx.tenant, b, k)
                await run_in_threadpool(self.cfg.uploads.remove, up)
                return Response(b"", 204, self._headers(ctx))
            await self._require_bucket(ctx, b)
            t_s, _ = self._twin(ctx)
            try:
                await self._call(self.store.delete, ctx.tenant, b, k, t_s)
            except S3Error as e:
                if e.code != "NoSuchKey":
                    raise
            return Response(b"", 204, self._headers(ctx))
        if m == "POST":
            if ctx.has("uploads"):
                return await self.create_upload(ctx, b, k)
            if upload_id is not None:
                return await self.complete_upload(ctx, b, k, upload_id)
        raise S3Error("MethodNotAllowed", f"{m} is not allowed on an object", 405)

    # --- buckets -------------------------------------------------------------------------

    async def list_buckets(self, ctx: _Context) -> Response:
        buckets = await self._call(self.store.buckets, ctx.tenant)
        return self._xml(
            ctx, list_buckets_xml(ctx.tenant, [(x.name, x.created_utc) for x in buckets])
        )

    async def list_objects(self, ctx: _Context, b: str, v2: bool) -> Response:
        prefix = ctx.q("prefix") or ""
        delimiter = ctx.q("delimiter") or ""
        try:
            max_keys = int(ctx.q("max-keys") or 1000)
        except ValueError:
            raise S3Error("InvalidArgument", "max-keys must be an integer") from None
        max_keys = max(0, min(max_keys, 1000))
        url = (ctx.q("encoding-type") or "") == "url"
        token = ctx.q("continuation-token")
        after = ctx.q("start-after") if v2 else ctx.q("marker")
        skip_under: str | None = None  # the last page ended on this common prefix
        if token is not None:
            try:
                t = json.loads(base64.urlsafe_b64decode(token.encode()))
                after, skip_under = str(t["after"]), (str(t["after"]) if t["cp"] else None)
            except (ValueError, KeyError, TypeError, binascii.Error):
                raise S3Error("InvalidArgument", "the continuation token is not valid") from None
        elif after and delimiter and after.endswith(delimiter):
            skip_under = after
        # without a delimiter a page is the next max-keys + 1 keys (the catalog's index); with
        # one, keys under a common prefix collapse, so the page may need to look further
        limit = max_keys + 1 if not delimiter else None
        infos = await self._call(self.store.list, ctx.tenant, b, prefix, after or None, limit)
        contents: list[Any] = []
        prefixes: list[str] = []
        last, last_cp = None, False
        truncated = False
        for o in infos:
            key = o.key
            cp = None
            if delimiter:
                i = key.find(delimiter, len(prefix))
                if i >= 0:
                    cp = key[: i + len(delimiter)]
            if skip_under is not None and key.startswith(skip_under):
                continue  # listed as a common prefix on the page before
            if cp is not None and prefixes and prefixes[-1] == cp:
                continue
            if len(contents) + len(prefixes) >= max_keys:
                truncated = max_keys > 0  # AWS: max-keys=0 is an empty, complete page
                break
            if cp is not None:
                prefixes.append(cp)
                last, last_cp = cp, True
            else:
                contents.append(o)
                last, last_cp = key, False
        enc: Callable[[str], str] = (
            (lambda s: urllib.parse.quote(s, safe="/")) if url else (lambda s: s)
        )
        items: list[tuple[str, object]] = [("Name", b), ("Prefix", enc(prefix))]
        if v2:
            items += [("MaxKeys", max_keys), ("KeyCount", len(contents) + len(prefixes))]
            if token is not None:
                items.append(("ContinuationToken", token))
            if ctx.q("start-after") is not None:
                items.append(("StartAfter", enc(ctx.q("start-after") or "")))
        else:
            items += [("Marker", enc(ctx.q("marker") or "")), ("MaxKeys", max_keys)]
        if delimiter:
            items.append(("Delimiter", enc(delimiter)))
        if url:
            items.append(("EncodingType", "url"))
        items.append(("IsTruncated", truncated))
        if truncated and last is not None:
            if v2:
                state = {"after": last, "cp": last_cp}
                nxt = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
                items.append(("NextContinuationToken", nxt))
            elif delimiter:
                items.append(("NextMarker", enc(last)))
        for o in contents:
            items.append(("Contents", [
                ("Key", enc(o.key)),
                ("LastModified", o.attrs.get("last-modified-iso", "")),
                ("ETag", _etag_header(o.attrs.get("etag", ""))),
                ("Size", o.size_bytes),
                ("StorageClass", "STANDARD"),
            ]))  # fmt: skip
        for p in prefixes:
            items.append(("CommonPrefixes", [("Prefix", enc(p))]))
        return self._xml(ctx, xml_bytes(element("ListBucketResult", items)))

    async def delete_objects(self, ctx: _Context, b: str) -> Response:
        req = parse_delete(await _body(ctx))
        await self._require_bucket(ctx, b)
        t_s, _ = self._twin(ctx)
        items: list[tuple[str, object]] = []
        for key in req.keys:
            try:
                _check_key(key)
                await self._call(self.store.delete, ctx.tenant, b, key, t_s)
            except S3Error as e:
                if e.code != "NoSuchKey":
                    items.append(
                        ("Error", [("Key", key), ("Code", e.code), ("Message", e.message)])
                    )
                    continue
            if not req.quiet:
                items.append(("Deleted", [("Key", key)]))
        return self._xml(ctx, xml_bytes(element("DeleteResult", items)))

    # --- objects -------------------------------------------------------------------------

    async def _put(
        self,
        ctx: _Context,
        b: str,
        k: str,
        data: bytes,
        attrs: dict[str, str],
        before_commit: Callable[[], Mapping[str, str]] | None = None,
    ) -> Any:
        t_s, station = self._twin(ctx)
        now = self.cfg.now()
        attrs = {**attrs, "last-modified": _http_date(now), "last-modified-iso": iso8601(now)}
        res = await self._call(
            self.store.put, ctx.tenant, b, k, data, t_s, station, attrs, before_commit
        )
        ctx.headers["x-orbitcloud-durable-s"] = repr(round(float(res.durable_s), 6))
        ctx.headers["x-orbitcloud-shard-nodes"] = ",".join(res.nodes)
        await self._wait(float(res.durable_s) - t_s)
        return res

    async def put_object(self, ctx: _Context, b: str, k: str) -> Response:
        raw = await _read_body(ctx)
        attrs = _object_attrs(ctx.request.headers)
        if _chunked(ctx):  # the payload is known once decoded: verify first
            data, etag = await run_in_threadpool(_verify, raw, ctx)
            await self._require_bucket(ctx, b)
            await self._put(ctx, b, k, data, {**attrs, "etag": etag})
            return Response(b"", 200, self._headers(ctx, {"etag": _etag_header(etag)}))
        # A plain body is its own payload: its hashes (MD5 for the ETag, the signature's
        # SHA-256, any checksum; ~140 ms for 64 MiB) run beside the store's encode and
        # writes, and the store commits only once they match (before_commit).
        verified = _VERIFIERS.submit(_verify, raw, ctx)
        try:
            await self._require_bucket(ctx, b)
            await self._put(ctx, b, k, raw, attrs, lambda: {"etag": verified.result()[1]})
        except BaseException:
            # a body that fails its hashes is answered as such, whatever the store said
            try:
                await asyncio.wrap_future(verified)
            except (S3Error, AuthError) as bad:
                raise bad from None
            raise
        etag = verified.result()[1]
        return Response(b"", 200, self._headers(ctx, {"etag": _etag_header(etag)}))

    async def _read(self, ctx: _Context, b: str, k: str) -> tuple[Any, bytes]:
        t_s, station = self._twin(ctx)
        info = await self._call(self.store.head, ctx.tenant, b, k)
        res = await self._call(self.store.get, ctx.tenant, b, k, t_s, station)
        if not math.isfinite(res.ready_s):
            raise S3Error(
                "ServiceUnavailable",
                f"no {info.k} shards of the object reach {station} within the contact plan",
                503,
            )
        ctx.headers["x-orbitcloud-ready-s"] = repr(round(res.ready_s, 6))
        ctx.headers["x-orbitcloud-latency-s"] = repr(round(res.ready_s - t_s, 6))
        await self._wait(res.ready_s - t_s)
        return info, res.data

    async def get_object(self, ctx: _Context, b: str, k: str, head: bool) -> Response:
        await self._require_bucket(ctx, b)
        if head:
            self._twin(ctx)  # the clock first: faults up to now apply
            info = await self._call(self.store.head, ctx.tenant, b, k)
            if info.healthy_shards < info.k:
                raise S3Error(
                    "ServiceUnavailable", "fewer than k shards of the object are left", 503
                )
            return Response(
                b"", 200, self._headers(ctx, _object_headers(info.attrs, info.size_bytes))
            )
        info, data = await self._read(ctx, b, k)
        h = _object_headers(info.attrs, info.size_bytes)
        rng = ctx.request.headers.get("range")
        r = _range(rng, len(data)) if rng else None
        if r is None:
            return Response(data, 200, self._headers(ctx, h))
        first, last = r
        h["content-range"] = f"bytes {first}-{last}/{len(data)}"
        h["content-length"] = str(last - first + 1)
        return Response(data[first : last + 1], 206, self._headers(ctx, h))

    async def copy_object(self, ctx: _Context, b: str, k: str) -> Response:
        src = urllib.parse.unquote(ctx.request.headers["x-amz-copy-source"].split("?", 1)[0])
        sb, _, sk = src.lstrip("/").partition("/")
        if not sb or not sk:
            raise S3Error("InvalidArgument", "x-amz-copy-source must be bucket/key")
        _check_bucket(sb)
        _check_key(sk)
        await _body(ctx)
        await self._require_bucket(ctx, b)
        info, data = await self._read(ctx, sb, sk)
        directive = (ctx.request.headers.get("x-amz-metadata-directive") or "COPY").upper()
        if directive == "REPLACE":
            attrs = _object_attrs(ctx.request.headers)
        elif directive == "COPY":
            if (sb, sk) == (b, k):
                raise S3Error(
                    "InvalidRequest",
                    "this copy request is illegal because it is trying to copy an object to "
                    "itself without changing the object's metadata",
                )
            attrs = {a: v for a, v in info.attrs.items() if a in _KEPT or a.startswith(_META)}
        else:
            raise S3Error("InvalidArgument", "x-amz-metadata-directive must be COPY or REPLACE")
        attrs["etag"] = (
            info.attrs.get("etag") or hashlib.md5(data, usedforsecurity=False).hexdigest()
        )
        await self._put(ctx, b, k, data, attrs)
        body = xml_bytes(element("CopyObjectResult", [
            ("LastModified", iso8601(self.cfg.now())), ("ETag", _etag_header(attrs["etag"]))
        ]))  # fmt: skip
        return self._xml(ctx, body)

    # --- multipart -----------------------------------------------------------------------

    async def create_upload(self, ctx: _Context, b: str, k: str) -> Response:
        await _body(ctx)
        await self._require_bucket(ctx, b)
        up = await run_in_threadpool(
            self.cfg.uploads.create, ctx.tenant, b, k, _object_attrs(ctx.request.headers)
        )
        body = xml_bytes(element("InitiateMultipartUploadResult", [
            ("Bucket", b), ("Key", k), ("UploadId", up.upload_id)
        ]))  # fmt: skip
        return self._xml(ctx, body)

    async def upload_part(self, ctx: _Context, b: str, k: str, upload_id: str) -> Response:
        try:
            number = int(ctx.q("partNumber") or "")
        except ValueError:
            raise S3Error("InvalidArgument", "partNumber must be an integer 1 to 10,000") from None
        up = self.cfg.uploads.get(upload_id, ctx.tenant, b, k)
        data = await _body(ctx)
        etag = await run_in_threadpool(self.cfg.uploads.put_part, up, number, data)
        return Response(b"", 200, self._headers(ctx, {"etag": _etag_header(etag)}))

    async def complete_upload(self, ctx: _Context, b: str, k: str, upload_id: str) -> Response:
        up = self.cfg.uploads.get(upload_id, ctx.tenant, b, k)
        wanted = parse_complete_multipart(await _body(ctx))
        data, etag = await run_in_threadpool(self.cfg.uploads.assemble, up, wanted)
        attrs = {**up.attrs, "etag": etag}
        await self._put(ctx, b, k, data, attrs)
        await run_in_threadpool(self.cfg.uploads.remove, up)
        body = xml_bytes(element("CompleteMultipartUploadResult", [
            ("Location", f"/{b}/{urllib.parse.quote(k)}"), ("Bucket", b), ("Key", k),
            ("ETag", _etag_header(etag)),
        ]))  # fmt: skip
        return self._xml(ctx, body)

    async def list_parts(self, ctx: _Context, b: str, k: str, upload_id: str) -> Response:
        up = self.cfg.uploads.get(upload_id, ctx.tenant, b, k)
        parts = await run_in_threadpool(self.cfg.uploads.parts, up)
        items: list[tuple[str, object]] = [
            ("Bucket", b), ("Key", k), ("UploadId", upload_id), ("MaxParts", 1000),
            ("IsTruncated", False),
        ]  # fmt: skip
        for p in parts:
            items.append(("Part", [
                ("PartNumber", p.number),
                ("LastModified", iso8601(dt.datetime.fromtimestamp(p.modified_s, dt.UTC))),
                ("ETag", _etag_header(p.etag)),
                ("Size", p.size_bytes),
            ]))  # fmt: skip
        return self._xml(ctx, xml_bytes(element("ListPartsResult", items)))

    async def list_uploads(self, ctx: _Context, b: str) -> Response:
        await self._require_bucket(ctx, b)
        ups = await run_in_threadpool(self.cfg.uploads.in_bucket, ctx.tenant, b)
        items: list[tuple[str, object]] = [("Bucket", b), ("IsTruncated", False)]
        for u in ups:
            items.append(("Upload", [
                ("Key", u.key), ("UploadId", u.upload_id),
                ("Initiated", iso8601(dt.datetime.fromtimestamp(u.initiated_s, dt.UTC))),
            ]))  # fmt: skip
        return self._xml(ctx, xml_bytes(element("ListMultipartUploadsResult", items)))


def make_app(cfg: GatewayConfig) -> Starlette:
    """The ASGI application (serve it with uvicorn)."""
    gw = Gateway(cfg)
    methods = ["GET", "PUT", "POST", "DELETE", "HEAD"]
    return Starlette(routes=[Route("/{path:path}", gw.__call__, methods=methods)])
