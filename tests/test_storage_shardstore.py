"""On-disk shards: write-then-rename atomicity (a crash before the rename leaves no shard), and
every truncation, torn write or bit flip reads as corrupt, never as valid bytes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.storage import ShardState, ShardStore
from orbitcloud.storage.shardstore import HEADER_BYTES, shard_file_bytes


def test_round_trip_and_size_on_disk(tmp_path: Path):
    """A shard reads back as written; its file is header + owner id + payload bytes."""
    s = ShardStore(tmp_path)
    size = s.write("sat-1", "obj.v1.s0", "obj/v1", 0, b"hello")
    assert size == HEADER_BYTES + len("obj/v1") + 5 == shard_file_bytes(5, "obj/v1")
    assert (tmp_path / "sat-1" / "obj.v1.s0").stat().st_size == size
    r = s.read("sat-1", "obj.v1.s0", "obj/v1", 0)
    assert r.state is ShardState.OK and r.payload == b"hello"
    assert s.read("sat-1", "nope", "obj/v1", 0).state is ShardState.MISSING


def test_crash_between_write_and_rename_leaves_no_valid_shard(tmp_path, monkeypatch):
    """If the process dies after writing the temporary file but before the rename, the shard
    reads as missing (the old version, if any, stays intact), and recover() cleans up."""
    s = ShardStore(tmp_path)
    s.write("n", "a", "own", 0, b"old version")

    def crash(src: object, dst: object) -> None:
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        s.write("n", "a", "own", 0, b"new version")
    with pytest.raises(KeyboardInterrupt):
        s.write("n", "b", "own", 1, b"never landed")
    monkeypatch.undo()
    assert s.read("n", "a", "own", 0).payload == b"old version"
    assert s.read("n", "b", "own", 1).state is ShardState.MISSING
    assert s.names("n") == ["a"]
    assert s.recover() == 2
    assert sorted(os.listdir(tmp_path / "n")) == ["a"]


@settings(max_examples=60, deadline=None)
@given(payload=st.binary(min_size=1, max_size=300), cut=st.integers(0, 10_000))
def test_any_truncation_reads_as_corrupt(payload: bytes, cut: int):
    """A file cut short at any byte (torn write without the rename protocol) is corrupt."""
    with tempfile.TemporaryDirectory() as d:
        s = ShardStore(Path(d), fsync=False)
        size = s.write("n", "x", "own", 3, payload)
        p = s.path("n", "x")
        p.write_bytes(p.read_bytes()[: cut % size])
        assert s.read("n", "x", "own", 3).state is ShardState.CORRUPT


@settings(max_examples=60, deadline=None)
@given(payload=st.binary(min_size=1, max_size=300), bit=st.integers(0, 100_000))
def test_any_single_bit_flip_reads_as_corrupt(payload: bytes, bit: int):
    """A flipped bit anywhere in the file (header, owner id or payload) is detected."""
    with tempfile.TemporaryDirectory() as d:
        s = ShardStore(Path(d), fsync=False)
        size = s.write("n", "x", "own", 3, payload)
        s.flip_bit("n", "x", bit % (8 * size))
        r = s.read("n", "x", "own", 3)
        assert r.state is ShardState.CORRUPT and r.payload is None


def test_misplaced_or_rewritten_shards_are_rejected(tmp_path: Path):
    """A valid file under another index or owner is refused; a payload rewritten with a fresh
    header checksum is caught by the catalog's checksum."""
    s = ShardStore(tmp_path)
    s.write("n", "x", "own", 3, b"abc")
    assert s.read("n", "x", "own", 4).state is ShardState.CORRUPT
    assert s.read("n", "x", "other", 3).state is ShardState.CORRUPT
    import hashlib

    catalog = hashlib.sha256(b"abc").hexdigest()
    s.write("n", "x", "own", 3, b"abd")  # attacker rewrites a self-consistent file
    assert s.read("n", "x", "own", 3).state is ShardState.OK
    assert s.read("n", "x", "own", 3, catalog).state is ShardState.CORRUPT
