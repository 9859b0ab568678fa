"""Storage codecs and crypto: Reed-Solomon against its systematic layout and every erasure
pattern, HKDF against an RFC 5869 implementation written here with hmac, AES key wrap against
RFC 3394's test vector, the sealed-blob layout, and AES-GCM authentication failures (tampering,
wrong key, wrong object id or version)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.storage import (
    DataKey,
    ErasureCodec,
    IntegrityError,
    ReplicationCodec,
    checksum,
    new_data_key,
    open_sealed,
    seal,
)
from orbitcloud.storage.crypto import (
    SEAL_OVERHEAD_BYTES,
    UnwrapError,
    key_id_of,
    unwrap_key,
    wrap_key,
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


def test_every_erasure_pattern_of_a_wide_code_decodes():
    """6 + 6: all 924 choices of 6 fragments give the data back (an MDS code; ISA-L's
    Vandermonde matrix, which the codec does not use, fails 48 of these patterns)."""
    codec = ErasureCodec.rs(6, 6)
    data = os.urandom(5000)
    frags = codec.encode(data)
    for subset in itertools.combinations(range(12), 6):
        assert codec.decode({i: frags[i] for i in subset}) == data


def test_fragments_of_the_older_backend_still_decode_and_repair():
    """Shards written with liberasurecode_rs_vand (before ISA-L was the encoder) decode with
    parity fragments among those chosen and are repaired with their own backend: the rebuilt
    fragments equal that backend's originals byte for byte (pyeclib's encoder as the oracle)."""
    from pyeclib.ec_iface import ECDriver

    old = ECDriver(k=4, m=2, ec_type="liberasurecode_rs_vand")
    data = os.urandom(100_003)
    frags = old.encode(data)
    codec = ErasureCodec.rs(4, 2)
    assert codec.encode(data)[4] != frags[4]  # the new parity differs: the backend matters
    meta = old.get_metadata(codec.encode(data)[0], formatted=True)
    assert meta["backend_id"] == "isa_l_rs_cauchy"
    have = {i: frags[i] for i in (1, 3, 4, 5)}
    assert codec.decode(have) == data
    rebuilt = codec.reconstruct(have, [0, 2])
    assert rebuilt == {0: frags[0], 2: frags[2]}
    mixed = {0: codec.encode(data)[0], 2: frags[2], 4: frags[4], 5: frags[5]}
    with pytest.raises(ValueError, match="different erasure-code backends"):
        codec.decode(mixed)


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


def test_working_keys_are_hkdf_of_the_data_key_and_separate():
    """The AES-GCM key and the MAC key are HKDF-SHA256 of the random data key with distinct
    infos (checked against the RFC 5869 implementation above), and differ from each other."""
    dk = new_data_key()
    enc = _hkdf_rfc5869(dk.key, b"orbitcloud/storage/aes-gcm", 32)
    mac = _hkdf_rfc5869(dk.key, b"orbitcloud/storage/hmac", 32)
    assert dk.mac_key == mac != enc
    nonce = os.urandom(12)
    ct = AESGCM(enc).encrypt(nonce, b"x", b"")
    assert dk.aead.decrypt(nonce, ct, b"") == b"x"
    assert checksum(dk, b"data") == hmac.new(mac, b"data", hashlib.sha256).hexdigest()
    assert checksum(dk, b"data") != hashlib.sha256(b"data").hexdigest()
    other = new_data_key()
    assert other.key != dk.key and other.key_id != dk.key_id and len(other.key) == 32


def test_aes_key_wrap_matches_rfc3394_test_vector_4_6():
    """RFC 3394 §4.6: 256 bits of key data wrapped with a 256-bit KEK; a wrong KEK is refused."""
    kek = bytes(range(32))
    key = bytes.fromhex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
    wrapped = bytes.fromhex(
        "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"
    )
    assert wrap_key(kek, key) == wrapped
    assert unwrap_key(kek, wrapped) == key
    with pytest.raises(UnwrapError):
        unwrap_key(bytes(32), wrapped)


def test_sealed_blob_layout_is_format_key_id_nonce_ciphertext_tag_with_bound_aad():
    """A blob made directly with AESGCM, the documented layout and associated data opens; so
    the layout and the binding are what the docstring says."""
    dk = new_data_key()
    enc = _hkdf_rfc5869(dk.key, b"orbitcloud/storage/aes-gcm", 32)
    nonce = os.urandom(12)
    aad = b"orbitcloud-object\x02" + dk.key_id + b"/abc/v3"
    blob = b"\x02" + dk.key_id + nonce + AESGCM(enc).encrypt(nonce, b"payload", aad)
    assert open_sealed(dk, blob, "abc", 3) == b"payload"
    sealed = seal(dk, b"payload", "abc", 3)
    assert len(sealed) == len(b"payload") + 45 == len(b"payload") + SEAL_OVERHEAD_BYTES
    assert sealed[0] == 2 and key_id_of(sealed) == dk.key_id


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=500), pos=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_any_tampered_byte_or_wrong_binding_is_detected(data: bytes, pos: int, bit: int):
    """Flipping any bit of a sealed blob (format, key id, nonce, ciphertext or tag), a wrong key
    (also under the right key id), another object id or another version all raise
    IntegrityError; nothing is returned."""
    key = new_data_key()
    blob = bytearray(seal(key, data, "obj", 1))
    assert open_sealed(key, bytes(blob), "obj", 1) == data
    other = new_data_key()
    relabelled = DataKey(key.key_id, other.key)
    for args in [(other, "obj", 1), (relabelled, "obj", 1), (key, "obj2", 1), (key, "obj", 2)]:
        with pytest.raises(IntegrityError):
            open_sealed(args[0], bytes(blob), args[1], args[2])
    blob[pos % len(blob)] ^= 1 << bit
    with pytest.raises(IntegrityError):
        open_sealed(key, bytes(blob), "obj", 1)
