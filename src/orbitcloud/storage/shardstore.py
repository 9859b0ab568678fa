"""Shards on disk: one directory per node, atomic writes, self-checking files.

Layout: ``<root>/<node>/<shard name>`` (the object store adds ``catalog.sqlite`` and ``LOCK``
beside the node directories, see :mod:`.service`). Node and shard names are single path
components; :meth:`ShardStore.node_dir` refuses any name that would resolve outside the root
(``..``, ``a/b``, ``/etc``, NUL), whoever calls it. A shard file is a header followed by the
payload::

    magic   4 bytes   b"OCS1"
    index   uint16    fragment index within its object
    length  uint64    payload bytes
    sha256  32 bytes  SHA-256 of the payload
    id_len  uint16    length of the owner id (utf-8)
    id      id_len    owner id (object id and version), so a misplaced file is not accepted
    payload length bytes

(big-endian). A write goes to a temporary file in the same directory, is flushed and
``fsync``-ed, renamed over the final name (``os.replace``, atomic on POSIX) and the directory
is ``fsync``-ed, so after a crash a shard is either absent or complete (the classic
write-then-rename protocol; see e.g. Pillai et al. 2014, "All File Systems Are Not Created
Equal", OSDI). Reads check every header field and the checksum: a truncated, torn, misplaced or
bit-flipped file reads as ``corrupt``, never as valid bytes. Temporary files are named
``.tmp-<name>.<pid>.<random>``, so concurrent writers never share one; leftovers from a crash
are ignored by reads and removed by :meth:`ShardStore.recover` (the object store calls it on
open, while it holds the store's lock, so no other writer can be in flight).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import struct
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

__all__ = [
    "HEADER_BYTES",
    "ShardRead",
    "ShardState",
    "ShardStore",
    "UnsafePathError",
    "fsync_dir",
    "shard_file_bytes",
]

MAGIC = b"OCS1"
_HEAD = struct.Struct(">4sHQ32sH")
#: Fixed part of a shard header; the owner id adds its utf-8 length.
HEADER_BYTES = _HEAD.size
_TMP = ".tmp-"


def shard_file_bytes(payload_bytes: int, owner: str) -> int:
    """Size on disk of a shard file with this payload and owner id."""
    return HEADER_BYTES + len(owner.encode()) + payload_bytes


class UnsafePathError(ValueError):
    """A node or shard name would make a path outside the store root."""


class ShardState(Enum):
    OK = "ok"
    MISSING = "missing"
    CORRUPT = "corrupt"


@dataclass(frozen=True)
class ShardRead:
    """Result of reading one shard: ``payload`` is set only when ``state`` is OK."""

    state: ShardState
    payload: bytes | None = None
    reason: str = ""


def fsync_dir(d: Path) -> None:
    """fsync a directory, so a rename or unlink in it is durable (Pillai et al. 2014)."""
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ShardStore:
    """The on-disk shard files of every node under ``root``.

    Args:
        root: directory holding one subdirectory per node (created on demand).
        fsync: flush files and directories to stable storage on every write (turn off only in
            tests that write many small shards; atomicity of the rename holds either way).
    """

    def __init__(self, root: Path, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        self.root.mkdir(parents=True, exist_ok=True)
        self._real_root = self.root.resolve()
        self._dirs: dict[str, Path] = {}

    @staticmethod
    def _component(name: str, what: str) -> None:
        if (
            not isinstance(name, str)
            or name in ("", ".", "..")
            or "/" in name
            or "\\" in name
            or "\0" in name
        ):
            raise UnsafePathError(
                f"{what} {name!r} is not a single path component: refused (names become "
                "directory and file names under the store root)"
            )

    def node_dir(self, node: str, recheck: bool = False) -> Path:
        """``<root>/<node>``, checked to resolve to a direct child of the root (once per node,
        or again with ``recheck``, which :meth:`drop_node` always asks for)."""
        d = self._dirs.get(node)
        if d is not None and not recheck:
            return d
        self._component(node, "node name")
        d = self.root / node
        if d.resolve().parent != self._real_root:
            raise UnsafePathError(
                f"node directory {str(d)!r} resolves to {str(d.resolve())!r}, outside the store "
                f"root {str(self._real_root)!r}: refused"
            )
        if d.is_dir():  # cache only what exists: a later symlink at this name is caught
            self._dirs[node] = d
        return d

    def path(self, node: str, name: str) -> Path:
        self._component(name, "shard name")
        return self.node_dir(node) / name

    def write(
        self,
        node: str,
        name: str,
        owner: str,
        index: int,
        payload: bytes,
        sha256: bytes | None = None,
    ) -> int:
        """Write one shard atomically; returns its size on disk [bytes]. ``sha256``: the
        payload's SHA-256 digest when the caller has it already (computed here otherwise)."""
        final = self.path(node, name)
        d = final.parent
        d.mkdir(parents=True, exist_ok=True)
        own = owner.encode()
        digest = hashlib.sha256(payload).digest() if sha256 is None else sha256
        head = _HEAD.pack(MAGIC, index, len(payload), digest, len(own))
        tmp = d / f"{_TMP}{name}.{os.getpid()}.{secrets.token_hex(4)}"
        with open(tmp, "wb") as f:
            f.write(head)
            f.write(own)
            f.write(payload)
            if self.fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, final)
        if self.fsync:
            self._fsync_dir(d)
        return len(head) + len(own) + len(payload)

    @staticmethod
    def _fsync_dir(d: Path) -> None:
        fsync_dir(d)

    def read(
        self, node: str, name: str, owner: str, index: int, sha256_hex: str | None = None
    ) -> ShardRead:
        """Read and verify one shard. ``sha256_hex``, when given (from the catalog), must also
        match: a file rewritten with a fresh header checksum is still caught."""
        try:
            raw = self.path(node, name).read_bytes()
        except FileNotFoundError:
            return ShardRead(ShardState.MISSING, reason="no such file")
        if len(raw) < HEADER_BYTES:
            return ShardRead(ShardState.CORRUPT, reason=f"truncated header ({len(raw)} bytes)")
        magic, idx, length, digest, id_len = _HEAD.unpack_from(raw)
        start = HEADER_BYTES + id_len
        problems = []
        if magic != MAGIC:
            problems.append("bad magic")
        if idx != index:
            problems.append(f"index {idx} != {index}")
        if raw[HEADER_BYTES:start] != owner.encode():
            problems.append("owner id differs")
        if len(raw) != start + length:
            problems.append(f"size {len(raw)} != header's {start + length}")
        if problems:
            return ShardRead(ShardState.CORRUPT, reason="; ".join(problems))
        payload = raw[start:]
        actual = hashlib.sha256(payload).digest()
        if actual != digest or (sha256_hex is not None and actual.hex() != sha256_hex):
            return ShardRead(ShardState.CORRUPT, reason="SHA-256 mismatch")
        return ShardRead(ShardState.OK, payload)

    def delete(self, node: str, name: str) -> None:
        self.path(node, name).unlink(missing_ok=True)

    def drop_node(self, node: str) -> None:
        """Remove a node's whole directory (the node is lost)."""
        d = self.node_dir(node, recheck=True)
        self._dirs.pop(node, None)
        if d.is_symlink():  # never follow a planted link out of the root
            d.unlink()
        shutil.rmtree(d, ignore_errors=True)

    def names(self, node: str) -> list[str]:
        """Shard files of a node, sorted (temporary files excluded)."""
        d = self.node_dir(node)
        if not d.is_dir():
            return []
        return sorted(p.name for p in d.iterdir() if not p.name.startswith(_TMP))

    def flip_bit(self, node: str, name: str, bit: int) -> None:
        """Flip bit ``bit`` (0 = most significant bit of the first byte) of a shard file in
        place, as a single-event upset would."""
        p = self.path(node, name)
        with open(p, "r+b") as f:
            f.seek(bit // 8)
            b = f.read(1)
            if not b:
                raise ValueError(f"bit {bit} is past the end of {p} ({p.stat().st_size} bytes)")
            f.seek(bit // 8)
            f.write(bytes([b[0] ^ (0x80 >> (bit % 8))]))

    def file_bytes(self, node: str, name: str) -> int:
        return self.path(node, name).stat().st_size

    def recover(self) -> int:
        """Delete temporary files left by interrupted writes; returns how many."""
        n = 0
        for p in self.root.glob(f"*/{_TMP}*"):
            p.unlink(missing_ok=True)
            n += 1
        return n
