"""Redundancy codecs: replication and Reed-Solomon erasure coding behind one interface.

A codec turns one blob into ``n`` fragments (shards) such that any ``k`` of them give the blob
back. Replication is the ``k = 1`` case (``n`` identical copies); erasure coding ``k + m``
splits the blob into ``k`` data fragments and adds ``m`` parity fragments with a systematic
Reed-Solomon code over GF(2^8) (Reed & Solomon 1960; Plank 1997 "A tutorial on Reed-Solomon
coding for fault-tolerance in RAID-like systems", Softw. Pract. Exp. 27(9)) through pyeclib.

Backend: new fragments use Intel ISA-L's Cauchy generator (``isa_l_rs_cauchy``, which the
pyeclib wheel ships; MDS for every k + m, unlike ISA-L's Vandermonde matrix, which fails some
erasure patterns of m >= 5), 3.5x faster to encode and 6x faster to decode with parity than
liberasurecode's own ``liberasurecode_rs_vand`` (64 MiB, 4+2, benchmarks/README.md). Where
ISA-L does not load, ``liberasurecode_rs_vand`` is used. The two give different parity, so
each fragment's header names its backend and decoding and repair use the backend the
fragments were made with: shards written before the change still read back.

Fragments carry no integrity check of their own that we rely on: a corrupted fragment fed to
the decoder silently gives wrong bytes, so callers verify each fragment's SHA-256 first
(:mod:`orbitcloud.storage.shardstore`) and the decrypted object's (AES-GCM tag and
SHA-256) after.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["Codec", "ErasureCodec", "ReplicationCodec", "codec_for"]

#: pyeclib backends for new k + m fragments, in order of preference (module docstring).
EC_TYPES = ("isa_l_rs_cauchy", "liberasurecode_rs_vand")


@lru_cache(maxsize=32)
def _driver(k: int, m: int, ec_type: str) -> Any:
    import warnings

    from pyeclib.ec_iface import ECDriver  # imported late: loads the C library

    with warnings.catch_warnings():  # pyeclib warns of backends it deprecates when loading
        warnings.simplefilter("ignore")
        return ECDriver(k=k, m=m, ec_type=ec_type)


@lru_cache(maxsize=32)
def _encoder(k: int, m: int) -> Any:
    """The first backend of :data:`EC_TYPES` that loads."""
    for ec_type in EC_TYPES[:-1]:
        try:
            return _driver(k, m, ec_type)
        except Exception:  # pyeclib raises its own types for a missing library
            continue
    return _driver(k, m, EC_TYPES[-1])


def _decoder(k: int, m: int, fragments: list[bytes]) -> Any:
    """The driver of the backend that made ``fragments`` (named in each one's header)."""
    enc = _encoder(k, m)
    backends = {enc.get_metadata(f, formatted=True)["backend_id"] for f in fragments}
    if len(backends) != 1:
        raise ValueError(f"fragments of different erasure-code backends: {sorted(backends)}")
    return _driver(k, m, backends.pop())


@dataclass(frozen=True)
class Codec:
    """Base: ``n`` fragments, any ``k`` of which rebuild the blob."""

    k: int
    n: int

    def __post_init__(self) -> None:
        if not (1 <= self.k <= self.n):
            raise ValueError(f"a codec needs 1 <= k <= n, got k={self.k}, n={self.n}")

    @property
    def name(self) -> str:
        raise NotImplementedError

    def encode(self, blob: bytes) -> list[bytes]:
        """The ``n`` fragments of ``blob``, fragment ``i`` at list position ``i``."""
        raise NotImplementedError

    def decode(self, fragments: Mapping[int, bytes]) -> bytes:
        """The blob from at least ``k`` *verified* fragments keyed by their index."""
        raise NotImplementedError

    def reconstruct(self, fragments: Mapping[int, bytes], missing: list[int]) -> dict[int, bytes]:
        """Re-create fragments ``missing`` from at least ``k`` verified ones (repair)."""
        raise NotImplementedError

    def _need(self, fragments: Mapping[int, bytes]) -> None:
        if len(fragments) < self.k:
            raise ValueError(
                f"{self.name} needs {self.k} fragments to decode, got {len(fragments)}"
            )


@dataclass(frozen=True)
class ReplicationCodec(Codec):
    """``n`` identical copies (``k = 1``)."""

    @classmethod
    def copies(cls, n: int) -> ReplicationCodec:
        return cls(k=1, n=n)

    @property
    def name(self) -> str:
        return f"replication-{self.n}"

    def encode(self, blob: bytes) -> list[bytes]:
        return [blob] * self.n

    def decode(self, fragments: Mapping[int, bytes]) -> bytes:
        self._need(fragments)
        return next(iter(fragments.values()))

    def reconstruct(self, fragments: Mapping[int, bytes], missing: list[int]) -> dict[int, bytes]:
        blob = self.decode(fragments)
        return dict.fromkeys(missing, blob)


@dataclass(frozen=True)
class ErasureCodec(Codec):
    """Reed-Solomon ``k + m`` (``n = k + m``) through pyeclib; fragments are ``ceil(len/k)``
    bytes rounded up to whole 16-bit words, plus pyeclib's 80-byte fragment header (which
    records the fragment's index)."""

    @classmethod
    def rs(cls, k: int, m: int) -> ErasureCodec:
        if m < 1:
            raise ValueError(f"erasure coding needs m >= 1 parity fragments, got m={m}")
        return cls(k=k, n=k + m)

    @property
    def m(self) -> int:
        return self.n - self.k

    @property
    def name(self) -> str:
        return f"erasure-{self.k}+{self.m}"

    def encode(self, blob: bytes) -> list[bytes]:
        return list(_encoder(self.k, self.m).encode(blob))

    def decode(self, fragments: Mapping[int, bytes]) -> bytes:
        self._need(fragments)
        # any k fragments suffice; prefer data fragments (no arithmetic when all k present)
        chosen = [fragments[i] for i in sorted(fragments)[: self.k]]
        return bytes(_decoder(self.k, self.m, chosen).decode(chosen))

    def reconstruct(self, fragments: Mapping[int, bytes], missing: list[int]) -> dict[int, bytes]:
        self._need(fragments)
        if not missing:
            return {}
        chosen = [fragments[i] for i in sorted(fragments)[: self.k]]
        out = _decoder(self.k, self.m, chosen).reconstruct(chosen, list(missing))
        return {i: bytes(f) for i, f in zip(missing, out, strict=True)}


def codec_for(k: int, n: int) -> Codec:
    """Replication when ``k == 1``, else Reed-Solomon ``k + (n - k)``."""
    return ReplicationCodec.copies(n) if k == 1 else ErasureCodec.rs(k, n - k)
