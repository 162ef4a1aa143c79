"""The engine's building blocks: popularity curves (cache, stale reads), sharding, traffic."""

from __future__ import annotations

import math
import random

import pytest

from sandbox.engine import popularity, sharding
from sandbox.engine.traffic import Traffic


def test_che_approximation_matches_the_notes_figure() -> None:
    # N = 10,000 keys, α = 0.9, an LRU cache of 500: Che's approximation gives 0.455.
    assert popularity.hit_ratio(500, keys=10_000, alpha=0.9) == pytest.approx(0.455, abs=0.005)


def test_che_approximation_against_a_simulated_lru_cache() -> None:
    keys, alpha, size = 2_000, 0.9, 200
    weights = [i**-alpha for i in range(1, keys + 1)]
    rng = random.Random(7)
    population = list(range(keys))
    cache: dict[int, None] = {}
    hits = total = 0
    for key in rng.choices(population, weights, k=200_000):
        if key in cache:
            cache.pop(key)
            hits += total > 20_000
        elif len(cache) >= size:
            cache.pop(next(iter(cache)))
        cache[key] = None
        total += 1
    simulated = hits / (total - 20_001)
    assert popularity.hit_ratio(size, keys=keys, alpha=alpha) == pytest.approx(simulated, abs=0.02)


def test_bigger_cache_and_longer_ttl_never_lower_the_hit_ratio() -> None:
    sizes = [10 ** (k / 4) for k in range(0, 25)]
    hits = [popularity.hit_ratio(c) for c in sizes]
    assert hits == sorted(hits)
    ttls = [popularity.hit_ratio(100_000, 500.0, ttl) for ttl in (1, 10, 100, 1000, 10_000)]
    assert ttls == sorted(ttls)
    assert popularity.hit_ratio(0) == 0 and popularity.hit_ratio(10**7) == 1


def test_stale_reads_grow_with_writes_and_lag() -> None:
    shares = [popularity.stale_share(w, 0.01) for w in (10, 100, 1000)]
    assert shares == sorted(shares) and shares[0] > 0
    assert popularity.stale_share(0, 1) == 0


def test_cached_keys_is_the_inverse_of_the_characteristic_time() -> None:
    for size in (100, 10_000, 500_000):
        x = popularity.characteristic_requests(size)
        assert popularity.cached_keys(x) == pytest.approx(size, rel=1e-3)


def test_hashes_are_stable_across_processes() -> None:
    import hashlib

    expected = int.from_bytes(hashlib.blake2b(b"user:1", digest_size=8).digest(), "big")
    assert sharding.stable_hash("user:1") == expected
    assert len(set(sharding.key_sample())) == len(sharding.key_sample())


@pytest.mark.parametrize("shards", [2, 4, 8, 16])
def test_adding_a_shard_moves_one_in_n_plus_one_keys_on_the_ring(shards: int) -> None:
    moved = sharding.moved_share((shards, "consistent", 100), (shards + 1, "consistent", 100))
    assert moved == pytest.approx(1 / (shards + 1), abs=0.05)
    mod_n = sharding.moved_share((shards, "mod_n", 100), (shards + 1, "mod_n", 100))
    assert mod_n == pytest.approx(shards / (shards + 1), abs=0.05)


def test_virtual_nodes_even_out_the_ring() -> None:
    spread = {}
    for vnodes in (1, 10, 100, 1000):
        shares = sharding.key_shares(8, "consistent", vnodes)
        mean = 1 / 8
        spread[vnodes] = math.sqrt(sum((s - mean) ** 2 for s in shares) / 8) / mean
    assert spread[1] > spread[10] > spread[100]
    assert spread[1000] < 0.1


def test_traffic_patterns() -> None:
    traffic = Traffic()
    traffic.pattern = "ramp"
    traffic.ramp_s = 10
    assert [traffic.multiplier(t) for t in (0, 5, 10, 20)] == [0, 0.5, 1, 1]
    traffic.pattern = "spike"
    traffic.spike_factor, traffic.spike_s = 4, 10
    assert [traffic.multiplier(t) for t in (0, 9.9, 10)] == [4, 4, 1]
    traffic.pattern = "diurnal"
    values = [traffic.multiplier(t) for t in range(0, 120)]
    assert min(values) == pytest.approx(0.2, abs=0.01) and max(values) == pytest.approx(1.0, abs=0.01)
    traffic.set_mix(3, 1, 0)
    assert (traffic.read_share, traffic.write_share, traffic.static_share) == (0.75, 0.25, 0)
