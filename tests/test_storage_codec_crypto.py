"""Storage codecs and crypto: Reed-Solomon against its systematic layout and every erasure
pattern, HKDF against an RFC 5869 implementation written here with hmac, and AES-GCM
authentication failures (tampering, wrong key, wrong object id or version)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.cloud.storage import (
    ErasureCodec,
    IntegrityError,
    ReplicationCodec,
    derive_tenant_key,
    master_key_from_seed,
    open_sealed,
    seal,
)

PYECLIB_HEADER_BYTES = 80  # liberasurecode fragment header (fragment_header_t, 80 bytes)


@settings(max_examples=40, deadline=None)
@given(data=st.binary(min_size=0, max_size=3000), k=st.integers(1, 6), m=st.integers(1, 3))
def test_erasure_code_is_systematic_and_survives_any_m_erasures(data: bytes, k: int, m: int):
    """The first k fragments carry the data itself (systematic RS); every k-subset of the
    k + m fragments decodes to the input, and reconstruct rebuilds the others byte for byte."""
    codec = ErasureCodec.rs(k, m)
    frags = codec.encode(data)
    assert len(frags) == k + m
    assert len({len(f) for f in frags}) == 1
    joined = b"".join(f[PYECLIB_HEADER_BYTES:] for f in frags[:k])
    assert joined[: len(data)] == data
    for subset in itertools.combinations(range(k + m), k):
        have = {i: frags[i] for i in subset}
        assert codec.decode(have) == data
        missing = [i for i in range(k + m) if i not in subset]
        rebuilt = codec.reconstruct(have, missing)
        assert all(rebuilt[i] == frags[i] for i in missing)


def test_decoding_needs_k_fragments():
    """k - 1 fragments are refused with a message naming the number needed."""
    codec = ErasureCodec.rs(4, 2)
    frags = codec.encode(b"x" * 100)
    with pytest.raises(ValueError, match="needs 4 fragments"):
        codec.decode({0: frags[0], 1: frags[1], 5: frags[5]})
    rep = ReplicationCodec.copies(3)
    assert rep.encode(b"abc") == [b"abc"] * 3
    with pytest.raises(ValueError, match="needs 1 fragments"):
        rep.decode({})


def _hkdf_rfc5869(ikm: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 §2.2-2.3 with SHA-256 and no salt (HashLen zeros), written out with hmac."""
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
    okm, t, i = b"", b"", 1
    while len(okm) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        okm += t
        i += 1
    return okm[:length]


def test_rfc5869_test_case_3_with_the_reference_implementation():
    """The hmac implementation above reproduces RFC 5869 Appendix A.3 (zero-length salt/info)."""
    ikm = bytes.fromhex("0b" * 22)
    expected = (
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    )
    assert _hkdf_rfc5869(ikm, b"", 42).hex() == expected


def test_tenant_keys_are_hkdf_of_the_master_key_and_differ_per_tenant():
    master = master_key_from_seed(42)
    a = derive_tenant_key(master, "difesa")
    b = derive_tenant_key(master, "civile")
    assert a == _hkdf_rfc5869(master, b"orbitcloud/storage/tenant/difesa", 32)
    assert a != b and len(a) == 32
    assert master_key_from_seed(42) == master != master_key_from_seed(43)


def test_sealed_blob_layout_is_nonce_ciphertext_tag_with_object_bound_aad():
    """A blob made directly with AESGCM and the documented associated data opens; so the
    layout and the binding are what the docstring says."""
    key = os.urandom(32)
    nonce = os.urandom(12)
    blob = nonce + AESGCM(key).encrypt(nonce, b"payload", b"orbitcloud-object/abc/v3")
    assert open_sealed(key, blob, "abc", 3) == b"payload"
    assert len(seal(key, b"payload", "abc", 3)) == len(b"payload") + 28


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=500), pos=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_any_tampered_byte_or_wrong_binding_is_detected(data: bytes, pos: int, bit: int):
    """Flipping any bit of a sealed blob, a wrong key, another object id or another version
    all raise IntegrityError; nothing is returned."""
    key = derive_tenant_key(master_key_from_seed(1), "t")
    blob = bytearray(seal(key, data, "obj", 1))
    assert open_sealed(key, bytes(blob), "obj", 1) == data
    other = derive_tenant_key(master_key_from_seed(1), "u")
    for args in [(other, "obj", 1), (key, "obj2", 1), (key, "obj", 2)]:
        with pytest.raises(IntegrityError):
            open_sealed(args[0], bytes(blob), args[1], args[2])
    blob[pos % len(blob)] ^= 1 << bit
    with pytest.raises(IntegrityError):
        open_sealed(key, bytes(blob), "obj", 1)
