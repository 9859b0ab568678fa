"""Multipart uploads in progress, on disk under ``<data-dir>/multipart/``.

Each upload is a directory named by its random 128-bit id, holding ``meta.json`` (tenant,
bucket, key, attributes, initiation time) and one file per part, ``part-<n>.<md5 hex>``:
the part's MD5 (its ETag) is in the name, so data and ETag appear together in one rename.
Every file is written write-then-rename (temp file, fsync, rename, directory fsync), so a part
is durable when its response is sent (S3's promise). Uploading a part number again replaces
it. Completing an upload concatenates the listed parts into one object put (durable on the
store), then removes the directory; aborting removes it. :meth:`Uploads.sweep` deletes temp
files and uploads older than ``max_age_s`` (the gateway runs it at start): an aborted or
never-completed upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from orbitcloud.storage.shardstore import fsync_dir

__all__ = ["MIN_PART_BYTES", "MultipartError", "PartInfo", "Upload", "Uploads"]

#: S3's smallest part except the last [bytes] (5 MiB).
MIN_PART_BYTES = 5 * 1024 * 1024
#: Largest part number (S3: 1 to 10,000).
MAX_PART_NUMBER = 10_000
_PART = re.compile(r"^part-(\d{5})\.([0-9a-f]{32})$")
_ID = re.compile(r"^[0-9a-f]{32}$")


class MultipartError(ValueError):
    """An S3 multipart error: ``code`` is the S3 error code (NoSuchUpload, InvalidPart,
    InvalidPartOrder, EntityTooSmall, InvalidArgument)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Upload:
    upload_id: str
    tenant: str
    bucket: str
    key: str
    attrs: dict[str, str]
    initiated_s: float  # wall clock, s since the Unix epoch


@dataclass(frozen=True)
class PartInfo:
    number: int
    etag: str  # MD5 hex, unquoted
    size_bytes: int
    modified_s: float


class Uploads:
    """The uploads in progress under ``root`` (module docstring)."""

    def __init__(self, root: Path, fsync: bool = True) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync

    def _write(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        if self.fsync:
            fsync_dir(path.parent)

    def _dir(self, upload_id: str) -> Path:
        if not _ID.fullmatch(upload_id):
            raise MultipartError("NoSuchUpload", "the upload id is not one this gateway made", 404)
        return self.root / upload_id

    def create(self, tenant: str, bucket: str, key: str, attrs: dict[str, str]) -> Upload:
        upload_id = secrets.token_hex(16)
        d = self.root / upload_id
        d.mkdir()
        up = Upload(upload_id, tenant, bucket, key, dict(attrs), time.time())
        meta = {"tenant": tenant, "bucket": bucket, "key": key, "attrs": up.attrs,
                "initiated_s": up.initiated_s}  # fmt: skip
        self._write(d / "meta.json", json.dumps(meta).encode())
        if self.fsync:
            fsync_dir(self.root)
        return up

    def get(self, upload_id: str, tenant: str, bucket: str, key: str) -> Upload:
        """The upload, if it exists and is the tenant's for this bucket and key (another
        tenant's upload is indistinguishable from none: NoSuchUpload)."""
        d = self._dir(upload_id)
        try:
            meta = json.loads((d / "meta.json").read_bytes())
        except (OSError, ValueError):
            raise MultipartError(
                "NoSuchUpload", "the specified upload does not exist", 404
            ) from None
        if (meta["tenant"], meta["bucket"], meta["key"]) != (tenant, bucket, key):
            raise MultipartError("NoSuchUpload", "the specified upload does not exist", 404)
        return Upload(upload_id, tenant, bucket, key, dict(meta["attrs"]), meta["initiated_s"])

    def in_bucket(self, tenant: str, bucket: str) -> list[Upload]:
        out = []
        for d in sorted(self.root.iterdir()):
            if not _ID.fullmatch(d.name):
                continue
            try:
                meta = json.loads((d / "meta.json").read_bytes())
            except (OSError, ValueError):
                continue
            if meta["tenant"] == tenant and meta["bucket"] == bucket:
                out.append(Upload(d.name, tenant, bucket, meta["key"], meta["attrs"],
                                  meta["initiated_s"]))  # fmt: skip
        return out

    def put_part(self, up: Upload, number: int, data: bytes) -> str:
        """Store part ``number`` durably; returns its ETag (MD5 hex)."""
        if not 1 <= number <= MAX_PART_NUMBER:
            raise MultipartError(
                "InvalidArgument", f"part number must be 1 to {MAX_PART_NUMBER}, got {number}"
            )
        d = self._dir(up.upload_id)
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        self._write(d / f"part-{number:05d}.{md5}", data)
        for old in self._part_files(d).get(number, []):
            if not old.name.endswith(md5):
                old.unlink(missing_ok=True)
        return md5

    def _part_files(self, d: Path) -> dict[int, list[Path]]:
        out: dict[int, list[Path]] = {}
        for p in d.iterdir():
            m = _PART.fullmatch(p.name)
            if m:
                out.setdefault(int(m.group(1)), []).append(p)
        return out

    def parts(self, up: Upload) -> list[PartInfo]:
        """The upload's parts by number (the latest upload of each number)."""
        out = []
        for n, files in sorted(self._part_files(self._dir(up.upload_id)).items()):
            p = max(files, key=lambda f: f.stat().st_mtime_ns)
            st = p.stat()
            out.append(PartInfo(n, p.name.rsplit(".", 1)[1], st.st_size, st.st_mtime))
        return out

    def assemble(self, up: Upload, wanted: list[tuple[int, str]]) -> tuple[bytes, str]:
        """The bytes of the listed parts in order and the multipart ETag
        (``md5(md5(part 1) ‖ ... ‖ md5(part N))-N``, as S3 computes it)."""
        numbers = [n for n, _ in wanted]
        if numbers != sorted(set(numbers)):
            raise MultipartError("InvalidPartOrder", "parts must be listed in ascending order")
        have = {p.number: p for p in self.parts(up)}
        d = self._dir(up.upload_id)
        chunks, digests = [], []
        for i, (n, etag) in enumerate(wanted):
            p = have.get(n)
            if p is None or p.etag != etag.strip('"').lower():
                raise MultipartError("InvalidPart", f"part {n} was not uploaded with ETag {etag}")
            if i < len(wanted) - 1 and p.size_bytes < MIN_PART_BYTES:
                raise MultipartError(
                    "EntityTooSmall",
                    f"part {n} is {p.size_bytes} bytes; every part but the last must be at "
                    f"least {MIN_PART_BYTES} bytes",
                )
            chunks.append((d / f"part-{n:05d}.{p.etag}").read_bytes())
            digests.append(bytes.fromhex(p.etag))
        etag = hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest()
        return b"".join(chunks), f"{etag}-{len(wanted)}"

    def remove(self, up: Upload) -> None:
        shutil.rmtree(self._dir(up.upload_id), ignore_errors=True)
        if self.fsync:
            fsync_dir(self.root)

    def sweep(self, max_age_s: float) -> int:
        """Remove temp files and uploads initiated more than ``max_age_s`` ago; returns how
        many uploads went."""
        gone = 0
        now = time.time()
        for d in self.root.iterdir():
            if not (d.is_dir() and _ID.fullmatch(d.name)):
                continue
            for tmp in d.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
            try:
                started = json.loads((d / "meta.json").read_bytes())["initiated_s"]
            except (OSError, ValueError, KeyError):
                started = d.stat().st_mtime  # meta never written: a create that crashed
            if now - float(started) > max_age_s:
                shutil.rmtree(d, ignore_errors=True)
                gone += 1
        return gone
