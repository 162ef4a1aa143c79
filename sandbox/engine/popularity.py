"""Key popularity (Zipf) and what follows from it: cache hit ratio and stale reads.

The i-th most popular of N keys (`facts.CACHE_KEYSPACE`) is requested with probability
p_i ∝ 1/i^α (`facts.ZIPF_ALPHA`). Two curves of x (a number of requests) carry everything:

    G(x) = Σ_i (1 − e^{−p_i x})      expected distinct keys among x requests
    F(x) = Σ_i p_i (1 − e^{−p_i x})  probability that a request's key was among them

*LRU cache of C keys* — Che's approximation (Fricker, Robert & Roberts 2012): a key stays cached
for a characteristic time of x_C requests where G(x_C) = C, and the hit ratio is F(x_C).
*TTL*: a key is dropped at most TTL seconds after it was fetched, i.e. after λ·TTL requests, so
the hit ratio is F(min(x_C, λ·TTL)). Both are monotone: a bigger cache or a longer TTL never
lowers the hit ratio.

*Stale reads*: a read of key i is stale when the key was written within the replication lag;
with W writes/s spread like the reads, that probability is F(W·lag).

The sums run over 10^6 keys, so they are tabulated once (ranks grouped in bins whose popularity
varies by under 0.5 %) on a log grid of x, then interpolated: O(log grid) per call.
"""

from __future__ import annotations

import bisect
import math
from functools import lru_cache

from sandbox.engine import facts

_GRID_MIN = 1e-3
_GRID_MAX = 1e13
_GRID_POINTS = 400


@lru_cache(maxsize=4)
def _tables(keys: int, alpha: float) -> tuple[list[float], list[float], list[float]]:
    # Bins of ranks: (probability of one key in the bin, number of keys in it)
    bins: list[tuple[float, int]] = []
    rank = 1
    while rank <= keys:
        width = max(1, int(rank * 0.005 / max(alpha, 1e-9)))
        width = min(width, keys - rank + 1)
        middle = rank + (width - 1) / 2.0
        bins.append((middle ** (-alpha), width))
        rank += width
    norm = math.fsum(weight * count for weight, count in bins)
    probabilities = [(weight / norm, count) for weight, count in bins]
    log_min, log_max = math.log(_GRID_MIN), math.log(_GRID_MAX)
    log_x = [log_min + (log_max - log_min) * k / (_GRID_POINTS - 1) for k in range(_GRID_POINTS)]
    g_values: list[float] = []
    f_values: list[float] = []
    for lx in log_x:
        x = math.exp(lx)
        g = 0.0
        f = 0.0
        for p, count in probabilities:
            miss = -math.expm1(-p * x)
            g += count * miss
            f += count * p * miss
        g_values.append(g)
        f_values.append(min(1.0, f))
    return log_x, g_values, f_values


def _interpolate(xs: list[float], ys: list[float], x: float) -> float:
    index = bisect.bisect_left(xs, x)
    if index <= 0:
        return ys[0] * (x / xs[0]) if xs[0] > 0 and x > 0 else ys[0]
    if index >= len(xs):
        return ys[-1]
    x0, x1 = xs[index - 1], xs[index]
    y0, y1 = ys[index - 1], ys[index]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def hit_curve(x_requests: float, keys: int = facts.CACHE_KEYSPACE, alpha: float = facts.ZIPF_ALPHA) -> float:
    """F(x): probability that a request's key was among the last x requests' keys."""
    if x_requests <= 0.0:
        return 0.0
    log_x, _g, f_values = _tables(keys, alpha)
    lx = math.log(x_requests)
    if lx <= log_x[0]:
        return f_values[0] * x_requests / _GRID_MIN
    return _interpolate(log_x, f_values, lx)


def characteristic_requests(
    cache_keys: float, keys: int = facts.CACHE_KEYSPACE, alpha: float = facts.ZIPF_ALPHA
) -> float:
    """x_C with G(x_C) = C: how many requests a key survives in an LRU cache of C keys."""
    if cache_keys <= 0.0:
        return 0.0
    if cache_keys >= keys:
        return math.inf
    log_x, g_values, _f = _tables(keys, alpha)
    if cache_keys <= g_values[0]:
        return _GRID_MIN * cache_keys / g_values[0]
    return math.exp(_interpolate(g_values, log_x, cache_keys))


def hit_ratio(
    cache_keys: float,
    request_rate: float = math.inf,
    ttl_s: float = math.inf,
    keys: int = facts.CACHE_KEYSPACE,
    alpha: float = facts.ZIPF_ALPHA,
) -> float:
    """Hit ratio of an LRU cache of `cache_keys` keys whose entries live at most `ttl_s`."""
    if cache_keys <= 0.0:
        return 0.0
    x = characteristic_requests(cache_keys, keys, alpha)
    if request_rate < math.inf and ttl_s < math.inf:
        x = min(x, request_rate * ttl_s)
    if x == math.inf:
        return 1.0
    return hit_curve(x, keys, alpha)


def stale_share(write_rate: float, lag_s: float) -> float:
    """Share of reads that see a value older than the master's (written within the lag)."""
    if write_rate <= 0.0 or lag_s <= 0.0:
        return 0.0
    return hit_curve(write_rate * lag_s)


def cached_keys(
    x_requests: float, keys: int = facts.CACHE_KEYSPACE, alpha: float = facts.ZIPF_ALPHA
) -> float:
    """G(x): expected number of distinct keys among the last x requests (what a TTL cache holds)."""
    if x_requests <= 0.0:
        return 0.0
    if x_requests == math.inf:
        return float(keys)
    log_x, g_values, _f = _tables(keys, alpha)
    lx = math.log(x_requests)
    if lx <= log_x[0]:
        return g_values[0] * x_requests / _GRID_MIN
    return _interpolate(log_x, g_values, lx)
