"""Sharding: which shard a key lives on, how even that is, and how many keys a reshard moves.

Measured, not assumed: a fixed sample of real keys (`user:0` … `user:4095`, `facts.SHARD_KEY_SAMPLE`)
is hashed with BLAKE2b (never Python's `hash()`, which changes between processes) and placed
either by `hash mod N` or on a consistent-hashing ring with V virtual nodes per shard. The share
of the sample on each shard is that shard's share of the keys; the share of sample keys whose
shard changes is what a reshard moves: about 1/(N+1) on the ring when a shard is added, about
N/(N+1) with mod N.

Sharding by region puts all users of a region on one shard: load follows the region split.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence
from functools import lru_cache

from sandbox.engine import facts


def stable_hash(text: str) -> int:
    """A 64-bit hash that is the same in every process and on every machine."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


@lru_cache(maxsize=1)
def key_sample() -> tuple[int, ...]:
    return tuple(stable_hash(f"user:{i}") for i in range(facts.SHARD_KEY_SAMPLE))


@lru_cache(maxsize=64)
def _ring(shards: int, vnodes: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    points = sorted((stable_hash(f"shard-{s}#{v}"), s) for s in range(shards) for v in range(vnodes))
    return tuple(p for p, _ in points), tuple(s for _, s in points)


def shard_of(key_hash: int, shards: int, scheme: str, vnodes: int) -> int:
    if shards <= 1:
        return 0
    if scheme == "mod_n":
        return key_hash % shards
    positions, owners = _ring(shards, vnodes)
    index = bisect.bisect_left(positions, key_hash)
    return owners[index % len(owners)]


@lru_cache(maxsize=64)
def assignment(shards: int, scheme: str, vnodes: int) -> tuple[int, ...]:
    """The shard of every sample key."""
    return tuple(shard_of(h, shards, scheme, vnodes) for h in key_sample())


def key_shares(shards: int, scheme: str, vnodes: int) -> list[float]:
    """Share of the keys on each shard (from the sample)."""
    counts = [0] * max(shards, 1)
    for shard in assignment(shards, scheme, vnodes):
        counts[shard] += 1
    total = len(key_sample())
    return [count / total for count in counts]


def moved_share(old: tuple[int, str, int], new: tuple[int, str, int]) -> float:
    """Share of sample keys whose shard differs between two (shards, scheme, vnodes) layouts."""
    before = assignment(*old)
    after = assignment(*new)
    moved = sum(1 for a, b in zip(before, after, strict=True) if a != b)
    return moved / len(before)


def region_shard(region: str, shards: int, scheme: str, vnodes: int) -> int:
    return shard_of(stable_hash(f"region:{region}"), shards, scheme, vnodes)


def region_shares(
    shards: int, scheme: str, vnodes: int, regions: Sequence[str], user_shares: Sequence[float]
) -> list[float]:
    """Load share per shard when the shard key is the user's region."""
    out = [0.0] * max(shards, 1)
    total = sum(user_shares) or 1.0
    for region, share in zip(regions, user_shares, strict=True):
        out[region_shard(region, shards, scheme, vnodes)] += share / total
    return out
