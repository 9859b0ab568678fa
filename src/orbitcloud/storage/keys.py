"""The master key: where it comes from, and where it may never be.

The master key (256 bits) wraps every tenant data key (RFC 3394, :mod:`.crypto`). It is never
written next to the data and never derived from a scenario (a scenario and its seed are
published in every run folder's ``manifest.json``). :func:`master_key` takes it, in order, from

1. ``ORBITCLOUD_MASTER_KEY``: 64 hex characters;
2. a key file: the ``key_file`` argument, else ``ORBITCLOUD_MASTER_KEY_FILE``. The file holds
   the key as 64 hex characters; when it does not exist it is created with a fresh random key
   and mode 0600 (``O_CREAT | O_EXCL``, so two openers cannot both create it). A file readable
   by group or others is refused, and so is any key file inside the store's root (a key next
   to the data protects nothing);
3. otherwise an **ephemeral** key: random, in memory only, never written. Right for simulation
   runs (``orbitcloud run``'s demo store); such a store cannot be reopened by another process,
   which says so when it tries.

:class:`MasterKey` records the source, so reports can say which one was used.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from orbitcloud.storage.crypto import KEY_BYTES

__all__ = ["ENV_KEY", "ENV_KEY_FILE", "MasterKey", "MasterKeyError", "master_key"]

ENV_KEY = "ORBITCLOUD_MASTER_KEY"
ENV_KEY_FILE = "ORBITCLOUD_MASTER_KEY_FILE"


class MasterKeyError(ValueError):
    """The master key is malformed, misplaced, unreadable, or not the store's."""


@dataclass(frozen=True)
class MasterKey:
    """A 32-byte master key and where it came from (``path``: the key file, if any)."""

    key: bytes = field(repr=False)
    source: Literal["env", "file", "ephemeral", "given"]
    path: str | None = None

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise MasterKeyError(
                f"a master key is {KEY_BYTES} bytes (64 hex characters), got {len(self.key)}"
            )

    @classmethod
    def ephemeral(cls) -> MasterKey:
        """A random key that lives in memory only."""
        return cls(os.urandom(KEY_BYTES), "ephemeral")

    @classmethod
    def given(cls, key: bytes) -> MasterKey:
        return cls(bytes(key), "given")


def _parse_hex(text: str, where: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise MasterKeyError(
            f"{where}: a master key is 64 hex characters (32 bytes), got {len(text)} characters "
            "that are not; make one with: python -c 'import os; print(os.urandom(32).hex())'"
        )
    return key


def _inside(path: Path, root: Path) -> bool:
    p, r = path.resolve(), root.resolve()
    return p == r or p.is_relative_to(r)


def _key_file(path: Path, root: Path | None) -> MasterKey:
    if root is not None and _inside(path, root):
        raise MasterKeyError(
            f"master key file {str(path)!r} is inside the store root {str(root)!r}: anyone who "
            "copies the store would copy its key; keep the key file elsewhere"
        )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise MasterKeyError(
                f"master key file {str(path)!r} has mode {stat.S_IMODE(mode):o}: it must not be "
                f"accessible by group or others (chmod 600 {path})"
            ) from None
        return MasterKey(_parse_hex(path.read_text(), str(path)), "file", str(path))
    key = os.urandom(KEY_BYTES)
    try:
        os.write(fd, key.hex().encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    return MasterKey(key, "file", str(path))


def master_key(key_file: Path | str | None = None, root: Path | None = None) -> MasterKey:
    """The master key from the environment, a key file, or ephemeral (see the module
    docstring). ``root``: the store's root, inside which no key file may be."""
    env = os.environ.get(ENV_KEY)
    if env:
        return MasterKey(_parse_hex(env, ENV_KEY), "env")
    path = key_file if key_file is not None else os.environ.get(ENV_KEY_FILE) or None
    if path is not None:
        return _key_file(Path(path), root)
    return MasterKey.ephemeral()
