"""Data keys, authenticated encryption and keyed checksums for stored objects.

Key hierarchy (the master key and how it is kept: :mod:`.keys`)::

    master key (256 bits; environment, key file, or ephemeral; never in the store)
      └─ wraps (AES key wrap, RFC 3394) ─► tenant data key (256 bits, os.urandom), key id
           ├─ HKDF-SHA256(info="orbitcloud/storage/aes-gcm") ─► encryption key (AES-256-GCM)
           └─ HKDF-SHA256(info="orbitcloud/storage/hmac")    ─► MAC key (HMAC-SHA256 checksums)

- **Data keys** are random (:func:`new_data_key`), one current per tenant, each with a random
  128-bit key id. Only their wrapped form (:func:`wrap_key`, 40 bytes) is stored, in the
  catalog; nothing about them follows from the scenario or its seed. The two working keys are
  derived with HKDF (RFC 5869) so the AES key and the MAC key are separate.
- **Encryption**: AES-256-GCM (NIST SP 800-38D) with a fresh random 96-bit nonce per sealing
  (§8.2.2, random IV construction; far below the 2^32 invocation limit per key). Sealed blob::

      format  1 byte    0x02
      key id  16 bytes  the data key that sealed it
      nonce   12 bytes
      ct      len(plaintext) bytes
      tag     16 bytes

  (:data:`SEAL_OVERHEAD_BYTES` = 45). The associated data binds the format, the key id, the
  object id and the version (:func:`associated_data`), so a blob moved to another object,
  replayed as another version or relabelled with another key id fails authentication.
- **Checksums** shown to users are HMAC-SHA256 (RFC 2104, FIPS 198-1) of the plaintext under
  the tenant's MAC key (:func:`checksum`): they prove integrity to the key holder and reveal
  nothing to anyone else (an unkeyed hash of the plaintext would confirm guesses of it).
  SHA-256 (FIPS 180-4) still checks every shard file, over ciphertext fragments.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

__all__ = [
    "FORMAT",
    "KEY_BYTES",
    "KEY_ID_BYTES",
    "NONCE_BYTES",
    "SEAL_OVERHEAD_BYTES",
    "DataKey",
    "IntegrityError",
    "UnwrapError",
    "associated_data",
    "checksum",
    "hkdf_sha256",
    "key_id_of",
    "new_data_key",
    "open_sealed",
    "seal",
    "sha256_hex",
    "unwrap_key",
    "wrap_key",
]

KEY_BYTES = 32  # AES-256
KEY_ID_BYTES = 16  # random 128-bit key id
NONCE_BYTES = 12  # 96-bit GCM nonce (SP 800-38D §8.2 recommends 96 bits)
TAG_BYTES = 16
FORMAT = 0x02  # 0x01 was the seed-keyed layout without a key id (no longer readable)
_HEAD_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES
SEAL_OVERHEAD_BYTES = _HEAD_BYTES + TAG_BYTES


class IntegrityError(ValueError):
    """Stored bytes failed authentication or a checksum; they are never returned."""

    def __init__(self, message: str, subject: str = "") -> None:
        super().__init__(message)
        self.subject = subject


class UnwrapError(ValueError):
    """A wrapped key did not unwrap under the master key given (RFC 3394 integrity check)."""


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` as 64 hex characters."""
    return hashlib.sha256(data).hexdigest()


def hkdf_sha256(ikm: bytes, info: bytes, length: int = KEY_BYTES) -> bytes:
    """HKDF-SHA256 (RFC 5869) without salt."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(ikm)


@dataclass(frozen=True)
class DataKey:
    """One tenant data key and its id; ``enc_key`` and ``mac_key`` are derived from it."""

    key_id: bytes
    key: bytes = field(repr=False)
    aead: AESGCM = field(init=False, repr=False, compare=False)
    mac_key: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES or len(self.key_id) != KEY_ID_BYTES:
            raise ValueError(
                f"a data key is {KEY_BYTES} bytes with a {KEY_ID_BYTES}-byte id, got "
                f"{len(self.key)} and {len(self.key_id)}"
            )
        enc = hkdf_sha256(self.key, b"orbitcloud/storage/aes-gcm")
        object.__setattr__(self, "aead", AESGCM(enc))
        object.__setattr__(self, "mac_key", hkdf_sha256(self.key, b"orbitcloud/storage/hmac"))

    @property
    def hex_id(self) -> str:
        return self.key_id.hex()


def new_data_key() -> DataKey:
    """A fresh random data key with a fresh random key id."""
    return DataKey(os.urandom(KEY_ID_BYTES), os.urandom(KEY_BYTES))


def wrap_key(master_key: bytes, key: bytes) -> bytes:
    """``key`` wrapped under ``master_key`` (AES key wrap, RFC 3394; 8 bytes longer)."""
    return aes_key_wrap(master_key, key)


def unwrap_key(master_key: bytes, wrapped: bytes) -> bytes:
    """The key inside ``wrapped``; :class:`UnwrapError` if ``master_key`` is not the one that
    wrapped it (or the bytes were altered)."""
    try:
        return aes_key_unwrap(master_key, wrapped)
    except (InvalidUnwrap, ValueError):
        raise UnwrapError("the wrapped key does not unwrap under this master key") from None


def checksum(key: DataKey, data: bytes) -> str:
    """HMAC-SHA256 of ``data`` under the data key's MAC key, 64 hex characters."""
    return hmac.new(key.mac_key, data, hashlib.sha256).hexdigest()


def associated_data(key_id: bytes, object_id: str, version: int) -> bytes:
    """The AES-GCM associated data binding a ciphertext to one key and one object version."""
    return b"orbitcloud-object\x02" + key_id + f"/{object_id}/v{int(version)}".encode()


def seal(key: DataKey, plaintext: bytes, object_id: str, version: int) -> bytes:
    """``0x02 || key id || nonce || AES-256-GCM(plaintext, aad)`` (see the module docstring)."""
    nonce = os.urandom(NONCE_BYTES)
    aad = associated_data(key.key_id, object_id, version)
    return bytes([FORMAT]) + key.key_id + nonce + key.aead.encrypt(nonce, plaintext, aad)


def key_id_of(blob: bytes) -> bytes:
    """The key id a sealed blob names; :class:`IntegrityError` if it is not a sealed blob."""
    if len(blob) < SEAL_OVERHEAD_BYTES or blob[0] != FORMAT:
        raise IntegrityError(
            f"not a sealed blob of format {FORMAT:#04x} ({len(blob)} bytes, first byte "
            f"{blob[:1].hex() or 'none'}): not returned"
        )
    return blob[1 : 1 + KEY_ID_BYTES]


def open_sealed(key: DataKey, blob: bytes, object_id: str, version: int) -> bytes:
    """The plaintext of a sealed blob; :class:`IntegrityError` if the key, the key id, the
    object id, the version or any byte of the blob differs from what was sealed."""
    named = key_id_of(blob)
    if named != key.key_id:
        raise IntegrityError(
            f"object {object_id} v{version} was sealed under key id {named.hex()}, not "
            f"{key.hex_id}: not returned",
            object_id,
        )
    nonce = blob[1 + KEY_ID_BYTES : _HEAD_BYTES]
    try:
        return key.aead.decrypt(
            nonce, blob[_HEAD_BYTES:], associated_data(key.key_id, object_id, version)
        )
    except InvalidTag:
        raise IntegrityError(
            f"object {object_id} v{version} failed AES-GCM authentication (wrong key, or the "
            "ciphertext was altered): not returned",
            object_id,
        ) from None
