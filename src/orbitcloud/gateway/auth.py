"""Authentication of S3 requests (AWS Signature Version 4) for the S3-compatible gateway.

Three pieces:

* :class:`Credentials` -- one access key per tenant, kept in ``<data_dir>/credentials`` in the AWS
  shared-credentials INI format (one ``[tenant]`` profile each), so that boto3, the AWS CLI and
  rclone read the file as it is (``AWS_SHARED_CREDENTIALS_FILE=... AWS_PROFILE=tenant``).
* :func:`authenticate` -- checks the ``Authorization: AWS4-HMAC-SHA256 ...`` header or a presigned
  URL. The signature is recomputed with botocore's own SigV4 signer
  (``botocore.auth.S3SigV4Auth`` / ``S3SigV4QueryAuth``: ``canonical_request``,
  ``string_to_sign``, ``signature``), fed with exactly the headers the client says it signed;
  only the header selection, the canonical path and the payload line are supplied from the
  received request instead of being derived from a request botocore built itself.
* :func:`decode_aws_chunked` and :func:`check_payload` -- the body: ``Content-Encoding:
  aws-chunked`` framing (unsigned with a checksum trailer, or chunk-signed), the decoded length,
  the trailer checksum, and a hex ``x-amz-content-sha256`` against a plain body.

Sources: AWS S3 API reference, "Authenticating Requests (AWS Signature Version 4)":
sig-v4-header-based-auth, sigv4-query-string-auth, sigv4-streaming ("Transferring Payload in
Multiple Chunks"), sigv4-streaming-trailers, and "Checking object integrity" for the
``x-amz-checksum-*`` encodings (big-endian CRC, base64).
"""

from __future__ import annotations

import base64
import configparser
import datetime
import email.utils
import fcntl
import hashlib
import hmac
import os
import re
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

import botocore.auth
import botocore.awsrequest
import botocore.compat
import botocore.credentials
import botocore.httpchecksum

from orbitcloud.storage.shardstore import fsync_dir

__all__ = [
    "AuthError",
    "Authenticated",
    "Credential",
    "Credentials",
    "CredentialsFileError",
    "authenticate",
    "check_checksum_headers",
    "check_payload",
    "decode_aws_chunked",
]

ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_CHUNK_SIGNED = frozenset({STREAMING_SIGNED, STREAMING_SIGNED_TRAILER})
STREAMING_PAYLOADS = frozenset({STREAMING_UNSIGNED_TRAILER}) | STREAMING_CHUNK_SIGNED
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_PRESIGN_EXPIRES_S = 604800  # 7 days, S3's limit for X-Amz-Expires
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_BASE32 = string.ascii_uppercase + "234567"
_AUTH_QUERY_KEYS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)


class AuthError(Exception):
    """An S3 authentication failure, carrying the S3 error code and HTTP status to answer with."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.status = status
        self.message = message


def _malformed(message: str) -> AuthError:
    return AuthError("AuthorizationHeaderMalformed", message, 400)


def _query_malformed(message: str) -> AuthError:
    return AuthError("AuthorizationQueryParametersError", message, 400)


def _bad_body(message: str, code: str = "InvalidRequest") -> AuthError:
    return AuthError(code, message, 400)


# --------------------------------------------------------------------------- credentials


class CredentialsFileError(Exception):
    """The credentials file is unsafe (group/other-readable) or not in the expected format."""


@dataclass(frozen=True)
class Credential:
    tenant: str
    access_key_id: str
    secret_access_key: str = field(repr=False)


def _new_credential(tenant: str) -> Credential:
    # 'OC' + 18 base32 characters: 20 characters like an AWS access key id (90 random bits);
    # 30 random bytes in base64url: a 40-character secret like AWS's (240 random bits).
    access_key = "OC" + "".join(secrets.choice(_BASE32) for _ in range(18))
    return Credential(tenant, access_key, secrets.token_urlsafe(30))


def _profile_text(cred: Credential) -> str:
    return (
        f"[{cred.tenant}]\n"
        f"aws_access_key_id = {cred.access_key_id}\n"
        f"aws_secret_access_key = {cred.secret_access_key}\n"
    )


def _write_new_0600(path: Path, text: str) -> None:
    """Create ``path`` (must not exist) with mode 0600, write ``text`` and fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask can only remove bits; make the mode exact
        data = text.encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


class Credentials:
    """The tenants' S3 access keys, persisted in ``data_dir/credentials`` (AWS INI format)."""

    FILENAME = "credentials"

    def __init__(self, path: Path, creds: list[Credential]) -> None:
        self.path = path
        self._by_tenant = {c.tenant: c for c in creds}
        self._by_key = {c.access_key_id: c for c in creds}

    @classmethod
    def load_or_create(cls, data_dir: Path, tenants: list[str]) -> Credentials:
        """Load the keys, creating the file or appending profiles for tenants not yet in it.

        Existing keys are never regenerated. The file is created with mode 0600 and fsynced;
        appending rewrites it to a temporary 0600 file that is renamed over it. A file that is
        readable or writable by group or others is refused, as ssh refuses a private key.
        """
        for tenant in tenants:
            if not isinstance(tenant, str) or not _TENANT.fullmatch(tenant):
                raise CredentialsFileError(
                    f"tenant name {tenant!r} cannot be a credentials profile: allowed are 1-63 "
                    "characters of letters, digits, '.', '_', '-', starting with a letter or digit"
                )
        path = Path(data_dir) / cls.FILENAME
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        # one writer at a time (two gateway processes starting together must not each append a
        # profile and rename over the other's): an exclusive flock on a sibling lock file
        lock_fd = os.open(path.with_name(f".{cls.FILENAME}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            return cls._load_or_create_locked(path, tenants)
        finally:
            os.close(lock_fd)

    @classmethod
    def _load_or_create_locked(cls, path: Path, tenants: list[str]) -> Credentials:
        existing: list[Credential] = []
        text = ""
        present = path.exists() or path.is_symlink()
        if present:
            existing, text = cls._read(path)
        known = {c.tenant for c in existing}
        new = [_new_credential(t) for t in dict.fromkeys(tenants) if t not in known]
        if new:
            added = "".join(_profile_text(c) for c in new)
            if not present:
                _write_new_0600(path, added)
            else:
                sep = "" if not text or text.endswith("\n") else "\n"
                tmp = path.with_name(f".{cls.FILENAME}.{secrets.token_hex(8)}.tmp")
                try:
                    _write_new_0600(tmp, text + sep + added)
                    os.replace(tmp, path)
                finally:
                    tmp.unlink(missing_ok=True)
            fsync_dir(path.parent)
        return cls(path, existing + new)

    @staticmethod
    def _read(path: Path) -> tuple[list[Credential], str]:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            raise CredentialsFileError(f"{path}: cannot open: {exc.strerror}") from exc
        try:
            st = os.fstat(fd)
            if st.st_mode & 0o077:
                raise CredentialsFileError(
                    f"{path}: permissions {st.st_mode & 0o777:04o} are too open; the S3 secret "
                    f"keys in it must be readable by the owner only (chmod 600 {path})"
                )
            with os.fdopen(fd, "r", encoding="utf-8", closefd=False) as fh:
                text = fh.read()
        finally:
            os.close(fd)
        parser = configparser.RawConfigParser(default_section="\x00none")
        try:
            parser.read_string(text, source=str(path))
        except configparser.Error as exc:
            raise CredentialsFileError(f"{path}: not an AWS credentials file: {exc}") from exc
        creds: list[Credential] = []
        for section in parser.sections():
            try:
                ak = parser.get(section, "aws_access_key_id")
                sk = parser.get(section, "aws_secret_access_key")
            except configparser.NoOptionError as exc:
                raise CredentialsFileError(f"{path}: profile [{section}]: {exc.message}") from exc
            creds.append(Credential(section, ak, sk))
        keys = [c.access_key_id for c in creds]
        if len(set(keys)) != len(keys):
            raise CredentialsFileError(f"{path}: the same access key id appears in two profiles")
        return creds, text

    def by_access_key(self, access_key_id: str) -> Credential | None:
        return self._by_key.get(access_key_id)

    def for_tenant(self, tenant: str) -> Credential:
        try:
            return self._by_tenant[tenant]
        except KeyError:
            raise KeyError(f"no credentials for tenant {tenant!r} in {self.path}") from None

    def __repr__(self) -> str:
        return f"Credentials({str(self.path)!r}, tenants={sorted(self._by_tenant)})"


# --------------------------------------------------------------------------- signatures


@dataclass(frozen=True)
class Authenticated:
    """An authenticated request.

    ``payload`` is the ``x-amz-content-sha256`` value the signature covers (a hex SHA-256,
    ``UNSIGNED-PAYLOAD``, or a ``STREAMING-*`` mode). For chunk-signed uploads
    (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``) ``seed_signature``, ``timestamp``, ``scope`` and
    ``signing_key`` are what :func:`decode_aws_chunked` needs to check each chunk's signature.
    """

    credential: Credential
    region: str
    payload: str
    presigned: bool = False
    timestamp: str = ""  # X-Amz-Date, yyyymmddThhmmssZ
    scope: str = ""  # yyyymmdd/region/s3/aws4_request
    seed_signature: str = ""
    signing_key: bytes = field(default=b"", repr=False)


class _Verify:
    """Mixin over a botocore S3 signer: the signed headers, canonical path and payload line
    come from the received request; canonicalisation, string to sign and signature are
    botocore's."""

    def __init__(self, canonical_path: str, signed: Any, payload: str, *args: Any) -> None:
        super().__init__(*args)
        self._oc_path = canonical_path
        self._oc_signed = signed
        self._oc_payload = payload

    def headers_to_sign(self, request: Any) -> Any:
        return self._oc_signed

    def _normalize_url_path(self, path: str) -> str:
        return self._oc_path

    def payload(self, request: Any) -> str:
        return self._oc_payload


class _HeaderVerifier(_Verify, botocore.auth.S3SigV4Auth):  # type: ignore[misc]
    pass


class _QueryVerifier(_Verify, botocore.auth.S3SigV4QueryAuth):  # type: ignore[misc]
    pass


def _signing_key(secret: str, date: str, region: str) -> bytes:
    """The SigV4 signing key (kDate -> kRegion -> kService -> kSigning), as botocore derives it
    inside ``SigV4Auth.signature``; needed separately for chunk signatures."""
    key = f"AWS4{secret}".encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case names; a repeated header's values joined with ',' as SigV4 canonicalises them
    (so a header added next to a signed one breaks the signature instead of slipping past it)."""
    h: dict[str, str] = {}
    items = headers.multi_items() if hasattr(headers, "multi_items") else headers.items()
    for k, v in items:
        key = str(k).lower()
        h[key] = f"{h[key]},{v}" if key in h else str(v)
    return h


def _parse_query(query: str) -> list[tuple[str, str]]:
    """Decode the raw query into (name, value) pairs as form decoding does ('+' is a space), the
    same reading ``urllib.parse.parse_qsl`` and starlette give the application; SigV4 then
    re-encodes each pair canonically (a literal '+' is sent as %2B by SigV4 clients)."""
    pairs = []
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def _parse_timestamp(value: str) -> datetime.datetime | None:
    if not re.fullmatch(r"\d{8}T\d{6}Z", value):
        return None
    try:
        return datetime.datetime.strptime(value, SIGV4_TIMESTAMP).replace(tzinfo=datetime.UTC)
    except ValueError:
        return None


def _parse_scope(credential: str, bad: Callable[[str], AuthError]) -> tuple[str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise bad(
            f"the Credential {credential!r} is not of the form "
            "<access-key-id>/<yyyymmdd>/<region>/s3/aws4_request"
        )
    akid, date, region, service, terminator = parts
    if service != "s3":
        raise bad(f"the Credential names service {service!r}; this endpoint is 's3'")
    if terminator != "aws4_request":
        raise bad(f"the Credential ends in {terminator!r}; expected 'aws4_request'")
    return akid, date, region


def _canonical_paths(raw_path: str) -> list[str]:
    """The path as sent (S3 signs the encoded path once, not double-encoded) and, if the client
    encoded it differently, the RFC 3986 form SigV4 prescribes (unreserved characters bare)."""
    if not raw_path.startswith("/"):
        raise AuthError("InvalidRequest", f"the request path {raw_path!r} must start with '/'", 400)
    paths = [raw_path]
    normalised = quote(unquote(raw_path), safe="/~")
    if normalised != raw_path:
        paths.append(normalised)
    return paths


def authenticate(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    creds: Credentials,
    now: datetime.datetime,
    max_skew_s: float = 900.0,
) -> Authenticated:
    """Verify a SigV4-signed S3 request (Authorization header or presigned URL).

    ``path`` and ``query`` are the raw (percent-encoded) URL path and query string as received;
    header lookups are case-insensitive. ``now`` must be timezone-aware. Raises
    :class:`AuthError` with S3's error code; returns the tenant's credential and region.
    """
    if now.tzinfo is None:
        raise ValueError("authenticate: now must be a timezone-aware datetime")
    h = _lower_headers(headers)
    pairs = _parse_query(query)
    qkeys = {k for k, _ in pairs}
    authz = h.get("authorization")
    if authz is not None and "X-Amz-Algorithm" in qkeys:
        raise AuthError(
            "InvalidRequest", "only one auth mechanism allowed: header or query, not both", 400
        )
    if authz is not None:
        return _authenticate_header(method, path, pairs, h, authz, creds, now, max_skew_s)
    if qkeys & set(_AUTH_QUERY_KEYS):
        return _authenticate_query(method, path, pairs, h, creds, now, max_skew_s)
    if {"AWSAccessKeyId", "Signature"} <= qkeys:
        raise AuthError(
            "InvalidRequest",
            "Signature Version 2 presigned URLs are not supported; presign with "
            "AWS4-HMAC-SHA256 (boto3: Config(signature_version='s3v4'))",
            400,
        )
    raise AuthError("AccessDenied", "Access Denied: the request is not signed (anonymous access)")


def _signed_header_map(names: str, h: dict[str, str], bad: Callable[[str], AuthError]) -> Any:
    signed = names.split(";")
    if not names or any(not n or n != n.strip().lower() for n in signed):
        raise bad(f"SignedHeaders {names!r} must be lower-case header names separated by ';'")
    if "host" not in signed:
        raise bad("the Host header must be signed")
    missing = [n for n in signed if n not in h]
    if missing:
        raise AuthError(
            "SignatureDoesNotMatch", f"signed header(s) {', '.join(missing)} are not in the request"
        )
    unsigned = sorted(n for n in h if n.startswith("x-amz-") and n not in signed)
    if unsigned:
        raise AuthError(
            "AccessDenied",
            f"there were headers present in the request which were not signed: {unsigned}",
        )
    hmap = botocore.awsrequest.HTTPHeaders()
    for n in signed:
        hmap[n] = h[n]
    return hmap


def _verify(
    verifier_cls: type[_Verify],
    method: str,
    raw_path: str,
    params: list[tuple[str, str]],
    signed: Any,
    payload: str,
    cred: Credential,
    region: str,
    timestamp: str,
    signature: str,
    extra_args: tuple[Any, ...] = (),
) -> None:
    boto_creds = botocore.credentials.Credentials(cred.access_key_id, cred.secret_access_key)
    for canonical_path in _canonical_paths(raw_path):
        signer: Any = verifier_cls(
            canonical_path, signed, payload, boto_creds, "s3", region, *extra_args
        )
        request = botocore.awsrequest.AWSRequest(
            method=method.upper(),
            url="http://gateway.invalid/",
            headers=dict(signed),
            params=params,
        )
        request.context["timestamp"] = timestamp
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if hmac.compare_digest(expected.encode(), signature.encode()):
            return
    raise AuthError(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
    )


def _authenticate_header(
    method: str,
    path: str,
    pairs: list[tuple[str, str]],
    h: dict[str, str],
    authz: str,
    creds: Credentials,
    now: datetime.datetime,
    max_skew_s: float,
) -> Authenticated:
    scheme, _, rest = authz.strip().partition(" ")
    if scheme != ALGORITHM:
        if scheme in {"AWS", "AWS4-ECDSA-P256-SHA256"}:
            raise AuthError(
                "InvalidRequest",
                "The authorization mechanism you have provided is not supported. "
                f"Please use {ALGORITHM}.",
                400,
            )
        raise _malformed(f"the Authorization header must start with {ALGORITHM!r}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, eq, value = part.strip().partition("=")
        if not eq or key in fields:
            raise _malformed(f"the Authorization header component {part.strip()!r} is malformed")
        fields[key] = value
    for key in ("Credential", "SignedHeaders", "Signature"):
        if key not in fields:
            raise _malformed(f"the Authorization header lacks {key}=")
    if set(fields) - {"Credential", "SignedHeaders", "Signature"}:
        raise _malformed(f"unknown Authorization header components: {sorted(fields)}")
    akid, scope_date, region = _parse_scope(fields["Credential"], _malformed)
    signature = fields["Signature"]
    if not _HEX64.fullmatch(signature):
        raise _malformed("the Signature must be 64 lower-case hex digits")
    cred = creds.by_access_key(akid)
    if cred is None:
        raise AuthError(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    if "x-amz-date" in h:
        timestamp = h["x-amz-date"].strip()
        when = _parse_timestamp(timestamp)
    elif "date" in h:
        try:
            parsed = email.utils.parsedate_to_datetime(h["date"])
            # "-0000" (botocore's formatdate) parses as naive: it is UTC all the same
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=datetime.UTC)
            when = parsed.astimezone(datetime.UTC)
        except (TypeError, ValueError):
            when = None
        timestamp = when.strftime(SIGV4_TIMESTAMP) if when else ""
    else:
        when, timestamp = None, ""
    if when is None:
        raise AuthError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date")
    if scope_date != timestamp[:8]:
        raise _malformed(
            f"Invalid credential date {scope_date!r}: it is not the date of X-Amz-Date {timestamp}"
        )
    skew_s = (now - when).total_seconds()
    if abs(skew_s) > max_skew_s:
        raise AuthError(
            "RequestTimeTooSkewed",
            f"The difference between the request time {timestamp} and the server's time "
            f"{now.astimezone(datetime.UTC).strftime(SIGV4_TIMESTAMP)} is {skew_s:+.0f} s; "
            f"at most {max_skew_s:.0f} s is allowed.",
        )
    payload = h.get("x-amz-content-sha256")
    if payload is None:
        raise AuthError(
            "MissingSecurityHeader",
            "Missing required header for this request: x-amz-content-sha256",
            400,
        )
    payload = payload.strip()
    if payload not in STREAMING_PAYLOADS | {UNSIGNED_PAYLOAD} and not _HEX64.fullmatch(payload):
        if payload.startswith("STREAMING-"):
            raise AuthError("InvalidRequest", f"x-amz-content-sha256 {payload!r} unsupported", 400)
        raise AuthError(
            "InvalidRequest",
            f"x-amz-content-sha256 {payload!r} must be a lower-case hex SHA-256, "
            f"{UNSIGNED_PAYLOAD} or one of {sorted(STREAMING_PAYLOADS)}",
            400,
        )
    signed = _signed_header_map(fields["SignedHeaders"], h, _malformed)
    _verify(
        _HeaderVerifier, method, path, pairs, signed, payload, cred, region, timestamp, signature
    )
    chunked = payload in STREAMING_CHUNK_SIGNED
    return Authenticated(
        credential=cred,
        region=region,
        payload=payload,
        presigned=False,
        timestamp=timestamp,
        scope=f"{scope_date}/{region}/s3/aws4_request",
        seed_signature=signature if chunked else "",
        signing_key=_signing_key(cred.secret_access_key, scope_date, region) if chunked else b"",
    )


def _authenticate_query(
    method: str,
    path: str,
    pairs: list[tuple[str, str]],
    h: dict[str, str],
    creds: Credentials,
    now: datetime.datetime,
    max_skew_s: float,
) -> Authenticated:
    q: dict[str, str] = {}
    for key, value in pairs:
        if key in _AUTH_QUERY_KEYS:
            if key in q:
                raise _query_malformed(f"the query parameter {key} is given twice")
            q[key] = value
    missing = [k for k in _AUTH_QUERY_KEYS if k not in q]
    if missing:
        raise _query_malformed(
            f"a presigned URL needs {', '.join(_AUTH_QUERY_KEYS)}; missing: {', '.join(missing)}"
        )
    if q["X-Amz-Algorithm"] != ALGORITHM:
        raise _query_malformed(f"X-Amz-Algorithm must be {ALGORITHM}")
    akid, scope_date, region = _parse_scope(q["X-Amz-Credential"], _query_malformed)
    signature = q["X-Amz-Signature"]
    if not _HEX64.fullmatch(signature):
        raise _query_malformed("X-Amz-Signature must be 64 lower-case hex digits")
    expires = q["X-Amz-Expires"]
    if not expires.isdigit() or not 0 < int(expires) <= MAX_PRESIGN_EXPIRES_S:
        raise _query_malformed(
            f"X-Amz-Expires {expires!r} must be an integer from 1 to {MAX_PRESIGN_EXPIRES_S}"
        )
    timestamp = q["X-Amz-Date"]
    when = _parse_timestamp(timestamp)
    if when is None:
        raise _query_malformed(f"X-Amz-Date {timestamp!r} is not of the form yyyymmddThhmmssZ")
    if scope_date != timestamp[:8]:
        raise _query_malformed(
            f"Invalid credential date {scope_date!r}: it is not the date of X-Amz-Date {timestamp}"
        )
    cred = creds.by_access_key(akid)
    if cred is None:
        raise AuthError(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    if now > when + datetime.timedelta(seconds=int(expires)):
        raise AuthError("AccessDenied", "Request has expired")
    if (when - now).total_seconds() > max_skew_s:
        raise AuthError("AccessDenied", "Request is not valid yet (X-Amz-Date is in the future)")
    signed = _signed_header_map(q["X-Amz-SignedHeaders"], h, _query_malformed)
    payload = h["x-amz-content-sha256"].strip() if "x-amz-content-sha256" in signed else ""
    payload = payload or UNSIGNED_PAYLOAD
    params = [(k, v) for k, v in pairs if k != "X-Amz-Signature"]
    _verify(
        _QueryVerifier,
        method,
        path,
        params,
        signed,
        payload,
        cred,
        region,
        timestamp,
        signature,
        (int(expires),),
    )
    if payload in STREAMING_PAYLOADS:
        raise AuthError("InvalidRequest", "presigned URLs cannot carry streaming uploads", 400)
    return Authenticated(
        credential=cred,
        region=region,
        payload=payload,
        presigned=True,
        timestamp=timestamp,
        scope=f"{scope_date}/{region}/s3/aws4_request",
    )


# --------------------------------------------------------------------------- bodies


def check_payload(body: bytes, auth: Authenticated) -> None:
    """Check a plain (not aws-chunked) body against a hex ``x-amz-content-sha256``."""
    if auth.payload == UNSIGNED_PAYLOAD:
        return
    if auth.payload in STREAMING_PAYLOADS:
        raise _bad_body(f"a {auth.payload} body must be decoded with decode_aws_chunked")
    if not hmac.compare_digest(hashlib.sha256(body).hexdigest(), auth.payload):
        raise _bad_body(
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            "XAmzContentSHA256Mismatch",
        )


def _checksum_factory(algorithm: str) -> Callable[[], Any]:
    """botocore's checksum classes (big-endian digest, base64 as S3 defines it)."""
    table: dict[str, Callable[[], Any]] = {
        "crc32": botocore.httpchecksum.Crc32Checksum,
        "sha1": botocore.httpchecksum.Sha1Checksum,
        "sha256": botocore.httpchecksum.Sha256Checksum,
    }
    if botocore.compat.HAS_CRT:  # awscrt offers crc32c
        table["crc32c"] = botocore.httpchecksum.CrtCrc32cChecksum
    if algorithm not in table:
        if algorithm == "crc32c":
            raise _bad_body(
                "x-amz-checksum-crc32c cannot be verified here (no CRC32C implementation "
                "installed: awscrt); send crc32, sha1 or sha256"
            )
        raise _bad_body(f"unsupported checksum algorithm {algorithm!r}; use crc32, sha1 or sha256")
    return table[algorithm]


def check_checksum_headers(body: bytes, headers: Mapping[str, str]) -> None:
    """Verify every ``x-amz-checksum-<algorithm>`` header of a plain (not aws-chunked) body:
    boto3 sends ``x-amz-checksum-crc32`` over http. A mismatch is ``BadDigest`` (400)."""
    for key, val in headers.items():
        k = key.lower()
        if not k.startswith("x-amz-checksum-") or k in (
            "x-amz-checksum-type",
            "x-amz-checksum-algorithm",
            "x-amz-checksum-mode",
        ):
            continue  # not a checksum value
        checksum = _checksum_factory(k.removeprefix("x-amz-checksum-"))()
        checksum.update(body)
        got = checksum.b64digest()
        try:
            sent = base64.b64encode(base64.b64decode(val, validate=True)).decode()
        except ValueError:
            raise _bad_body(f"{k} is not base64", "InvalidRequest") from None
        if not hmac.compare_digest(got.encode(), sent.encode()):
            raise _bad_body(f"Value for {k} header is invalid: sent {val}, computed {got}",
                            "BadDigest")  # fmt: skip


def decode_aws_chunked(
    body: bytes, auth: Authenticated, headers: Mapping[str, str]
) -> tuple[bytes, dict[str, str]]:
    """Decode a ``Content-Encoding: aws-chunked`` body; return (payload, trailers).

    Framing (sigv4-streaming): ``hex-size[;chunk-signature=sig]\\r\\n data \\r\\n`` ..., a final
    zero-size chunk, then (STREAMING-UNSIGNED-PAYLOAD-TRAILER) ``name:value\\r\\n`` trailers and an
    empty line. Chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) chain from the seed
    signature: ``HMAC(kSigning, "AWS4-HMAC-SHA256-PAYLOAD\\n" + X-Amz-Date + "\\n" + scope + "\\n"
    + previous signature + "\\n" + sha256("") + "\\n" + sha256(chunk data))``. Checks
    ``x-amz-decoded-content-length`` and any ``x-amz-checksum-*`` trailer.
    """
    h = _lower_headers(headers)
    if auth.payload not in STREAMING_PAYLOADS:
        raise _bad_body(f"x-amz-content-sha256 {auth.payload!r} is not an aws-chunked payload")
    encodings = [e.strip().lower() for e in h.get("content-encoding", "").split(",")]
    if "aws-chunked" not in encodings:
        raise _bad_body("an aws-chunked payload needs Content-Encoding: aws-chunked")
    declared = h.get("x-amz-decoded-content-length", "").strip()
    if not declared.isdigit():
        raise AuthError(
            "MissingContentLength",
            "x-amz-decoded-content-length (a non-negative integer) is required",
            411,
        )
    signed = auth.payload in STREAMING_CHUNK_SIGNED
    signed_trailer = auth.payload == STREAMING_SIGNED_TRAILER
    has_trailer = auth.payload in {STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER}
    if signed and not (auth.seed_signature and auth.signing_key):
        raise _bad_body("the chunk-signed upload lacks its seed signature")
    out = bytearray()
    pos = 0
    previous = auth.seed_signature
    while True:
        eol = body.find(b"\r\n", pos, pos + 4096)
        if eol < 0:
            raise _bad_body("the aws-chunked body ends inside a chunk header", "IncompleteBody")
        line = body[pos:eol]
        pos = eol + 2
        size_text, _, ext = line.partition(b";")
        if not re.fullmatch(rb"[0-9a-fA-F]{1,16}", size_text):
            raise _bad_body(f"malformed aws-chunked chunk header {line[:80]!r}")
        size = int(size_text, 16)
        if size > len(body) - pos:
            raise _bad_body("the aws-chunked body ends inside a chunk", "IncompleteBody")
        data = body[pos : pos + size]
        pos += size
        if size and body[pos : pos + 2] != b"\r\n":
            raise _bad_body("an aws-chunked chunk is not followed by CRLF")
        if size:
            pos += 2
        if signed:
            m = re.fullmatch(rb"chunk-signature=([0-9a-f]{64})", ext)
            if m is None:
                raise _bad_body(f"chunk header {line[:100]!r} lacks chunk-signature=<64 hex>")
            sts = "\n".join(
                (
                    "AWS4-HMAC-SHA256-PAYLOAD",
                    auth.timestamp,
                    auth.scope,
                    previous,
                    EMPTY_SHA256,
                    hashlib.sha256(data).hexdigest(),
                )
            )
            expected = hmac.new(auth.signing_key, sts.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected.encode(), m.group(1)):
                raise AuthError(
                    "SignatureDoesNotMatch",
                    f"chunk signature mismatch at decoded offset {len(out)}",
                )
            previous = expected
        out += data
        if len(out) > int(declared):
            raise _bad_body(
                f"the body holds more than x-amz-decoded-content-length {declared} bytes",
                "IncompleteBody",
            )
        if size == 0:
            break
    trailers: dict[str, str] = {}
    canonical_trailers = b""
    trailer_signature = b""
    while True:
        eol = body.find(b"\r\n", pos, pos + 8192)
        if eol < 0:
            raise _bad_body("the aws-chunked body ends inside its trailer", "IncompleteBody")
        line = body[pos:eol]
        pos = eol + 2
        if not line:
            if has_trailer and not trailers and pos < len(body):
                continue  # some clients put CRLF between the final chunk and the trailers
            break
        if trailer_signature:
            raise _bad_body("x-amz-trailer-signature must be the last trailer line")
        if signed_trailer and line.startswith(b"x-amz-trailer-signature:"):
            trailer_signature = line.partition(b":")[2].strip()
            continue
        canonical_trailers += line + b"\n"
        name, colon, value = line.partition(b":")
        try:
            key = name.decode("ascii").strip().lower()
            val = value.decode("ascii").strip()
        except UnicodeDecodeError:
            raise _bad_body(f"aws-chunked trailer {line[:80]!r} is not ASCII") from None
        if not colon or not key or key in trailers:
            raise _bad_body(f"malformed aws-chunked trailer line {line[:80]!r}")
        trailers[key] = val
    if pos != len(body):
        raise _bad_body(f"{len(body) - pos} bytes follow the end of the aws-chunked body")
    if len(out) != int(declared):
        raise _bad_body(
            f"the decoded body has {len(out)} bytes; x-amz-decoded-content-length says {declared}",
            "IncompleteBody",
        )
    announced = {t.strip().lower() for t in h.get("x-amz-trailer", "").split(",") if t.strip()}
    if not has_trailer and trailers:
        raise _bad_body(f"trailers are not allowed with {auth.payload}")
    if signed_trailer:
        # sigv4-streaming-trailers: HMAC(kSigning, "AWS4-HMAC-SHA256-TRAILER\n" + X-Amz-Date +
        # "\n" + scope + "\n" + final chunk signature + "\n" + sha256("name:value\n" ...))
        sts = "\n".join(
            (
                "AWS4-HMAC-SHA256-TRAILER",
                auth.timestamp,
                auth.scope,
                previous,
                hashlib.sha256(canonical_trailers).hexdigest(),
            )
        )
        expected = hmac.new(auth.signing_key, sts.encode(), hashlib.sha256).hexdigest()
        if not re.fullmatch(rb"[0-9a-f]{64}", trailer_signature):
            raise _bad_body("the trailer lacks x-amz-trailer-signature:<64 hex>")
        if not hmac.compare_digest(expected.encode(), trailer_signature):
            raise AuthError("SignatureDoesNotMatch", "the trailer signature does not match")
    if set(trailers) != announced:
        raise _bad_body(
            f"trailers {sorted(trailers)} differ from x-amz-trailer {sorted(announced)}"
        )
    for key, val in trailers.items():
        if key.startswith("x-amz-checksum-"):
            checksum = _checksum_factory(key.removeprefix("x-amz-checksum-"))()
            checksum.update(bytes(out))
            got = checksum.b64digest()
            try:
                sent = base64.b64encode(base64.b64decode(val, validate=True)).decode()
            except ValueError:
                sent = val
            if not hmac.compare_digest(got.encode(), sent.encode()):
                raise _bad_body(
                    f"Value for {key} trailing header is invalid: sent {val}, computed {got}",
                    "BadDigest",
                )
    return bytes(out), trailers
