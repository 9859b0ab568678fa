"""Per-tenant keys, authenticated encryption and checksums for stored objects.

- **Keys**: each tenant has a 256-bit key, given, or derived from a master key with HKDF-SHA256
  (RFC 5869) using ``info = b"orbitcloud/storage/tenant/" + name``, so tenants never share a
  key. :func:`master_key_from_seed` makes a master key from an integer seed for *simulation*
  runs (a seed is not a secret: do not protect real data with it).
- **Encryption**: AES-256-GCM (NIST SP 800-38D) with a fresh random 96-bit nonce per object
  version; the object id and version are bound as associated data, so a shard set moved to
  another object or replayed as another version fails authentication. Sealed blob layout:
  ``nonce (12 bytes) || ciphertext || tag (16 bytes)``, 28 bytes more than the plaintext.
- **Checksums**: SHA-256 (FIPS 180-4) of every shard and of every object's plaintext.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "KEY_BYTES",
    "NONCE_BYTES",
    "SEAL_OVERHEAD_BYTES",
    "IntegrityError",
    "associated_data",
    "derive_tenant_key",
    "master_key_from_seed",
    "open_sealed",
    "seal",
    "sha256_hex",
]

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit GCM nonce (SP 800-38D §8.2 recommends 96 bits)
TAG_BYTES = 16
SEAL_OVERHEAD_BYTES = NONCE_BYTES + TAG_BYTES


class IntegrityError(ValueError):
    """Stored bytes failed authentication or a checksum; they are never returned."""

    def __init__(self, message: str, subject: str = "") -> None:
        super().__init__(message)
        self.subject = subject


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` as 64 hex characters."""
    return hashlib.sha256(data).hexdigest()


def master_key_from_seed(seed: int) -> bytes:
    """A 32-byte master key from an integer seed (simulation only: seeds are not secret)."""
    return hashlib.sha256(f"orbitcloud/storage/master-key-seed/{int(seed)}".encode()).digest()


def derive_tenant_key(master_key: bytes, tenant: str) -> bytes:
    """The tenant's 32-byte key: HKDF-SHA256(master_key, info="orbitcloud/storage/tenant/" +
    tenant) (RFC 5869)."""
    if len(master_key) < 16:
        raise ValueError(f"master key must be >= 16 bytes, got {len(master_key)}")
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=b"orbitcloud/storage/tenant/" + tenant.encode(),
    )
    return hkdf.derive(master_key)


def associated_data(object_id: str, version: int) -> bytes:
    """The AES-GCM associated data binding a ciphertext to one object version."""
    return f"orbitcloud-object/{object_id}/v{int(version)}".encode()


def seal(key: bytes, plaintext: bytes, object_id: str, version: int) -> bytes:
    """``nonce || AES-256-GCM(key, nonce, plaintext, aad=object id + version)``."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated_data(object_id, version))


def open_sealed(key: bytes, blob: bytes, object_id: str, version: int) -> bytes:
    """The plaintext of a sealed blob; :class:`IntegrityError` if the key, the object id, the
    version or any byte of the blob differs from what was sealed."""
    if len(blob) < SEAL_OVERHEAD_BYTES:
        raise IntegrityError(
            f"sealed blob of {object_id} v{version} is {len(blob)} bytes, shorter than the "
            f"{SEAL_OVERHEAD_BYTES}-byte nonce and tag",
            object_id,
        )
    try:
        return AESGCM(key).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated_data(object_id, version)
        )
    except InvalidTag:
        raise IntegrityError(
            f"object {object_id} v{version} failed AES-GCM authentication (wrong key, or the "
            "ciphertext was altered): not returned",
            object_id,
        ) from None
