"""The one seeding helper: named random streams of a run (every stage draws through it)."""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["seeded_rng"]


def seeded_rng(seed: int, stream: str) -> np.random.Generator:
    """The random stream ``stream`` of a run seeded ``seed``: same seed and name, same
    numbers; a new stream never shifts another (``SeedSequence`` spawn key from the name)."""
    key = int.from_bytes(hashlib.sha256(stream.encode()).digest()[:8], "little")
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))
