"""A node of the fluid queueing network, and an edge between two nodes.

Each tick a node receives an arrival rate λ (requests/s). With c servers of rate μ it can serve
cμ per second; what it cannot serve waits in its backlog, bounded by `bound` (the requests that
would wait longer than `facts.REQUEST_TIMEOUT_S`); beyond the bound requests are dropped:

    work = backlog + λΔt;  served = min(work, cμΔt);  backlog' = min(work − served, bound)
    dropped = work − served − backlog'          (so arrived = served + dropped + Δbacklog)

A failed node serves nothing: every arrival, and the backlog it held when it died, is dropped.

Latency is computed only when asked (frames, metrics), from the smoothed arrival rate λ̄ with the
M/M/c formulas (`queueing.py`) and the time f = backlog/(cμ) to work off the fluid backlog. A
request waits for whichever is longer, the backlog or the M/M/c queueing wait:

    T = max(f, Wq) + S,   S ~ Exp(μ),   P(Wq > t) = C·e^{−(cμ−λ̄)t}

which is again an M/M/c response time, shifted by f, with waiting probability C' = C·e^{−(cμ−λ̄)f}
(so mean = f + C'/(cμ−λ̄) + 1/μ, and with no backlog exactly the M/M/c one). Above saturation
λ̄ is capped at 99 % of cμ in the formulas; the backlog term then dominates.
"""

from __future__ import annotations

import math

from sandbox.engine import facts
from sandbox.engine.queueing import erlang_c
from sandbox.engine.queueing import mmc_response_tail as response_tail

DT = facts.TICK_S
RATE_PER_TICK = facts.TICKS_PER_SECOND  # multiply a per-tick amount by this to get a rate
SMOOTHING = 1.0 - math.exp(-DT / facts.SMOOTHING_TAU_S)
RHO_CAP = 0.99

# Node statuses (also the strings frames carry)
UP = "up"
DOWN = "down"  # failed, and known to be failed
DETECTING = "detecting"  # failed, not yet noticed by the health check / failure detector
STARTING = "starting"  # booting after being added or recovered
RESIZING = "resizing"  # restarting on a machine of another size
DRAINING = "draining"  # being removed: takes no new sessions
PROMOTING = "promoting"  # a replica on its way to become the master
STATUSES = (UP, DOWN, DETECTING, STARTING, RESIZING, DRAINING, PROMOTING)
SERVING = frozenset((UP, DRAINING, PROMOTING))

_ERLANG_C_CACHE: dict[tuple[int, float], float] = {}


def erlang_c_cached(servers: int, offered_load: float) -> float:
    """`queueing.erlang_c` with the load rounded to 7 significant digits, memoised (a pure function)."""
    if offered_load <= 0.0:
        return 0.0
    key_load = float(f"{offered_load:.7g}")
    key = (servers, key_load)
    value = _ERLANG_C_CACHE.get(key)
    if value is None:
        if len(_ERLANG_C_CACHE) > 4096:  # small: with traffic's wobble loads rarely repeat for long
            _ERLANG_C_CACHE.clear()
        value = erlang_c(servers, key_load)
        _ERLANG_C_CACHE[key] = value
    return value


class Node:
    """One box on the diagram: a fluid queue with c servers of rate μ and a bounded backlog."""

    __slots__ = (
        "id",
        "tier",
        "role",
        "dc",
        "region",
        "service",
        "size",
        "servers",
        "rate",
        "cap",
        "cap_dt",
        "bound",
        "cost_per_hour",
        "status",
        "up",
        "routable",
        "backlog",
        "prev_backlog",
        "lam",
        "served",
        "dropped",
        "lam_s",
        "util",
        "overloaded",
        "failed_tick",
        "sessions",
        "read_rps",
        "write_rps",
        "apply_backlog",
        "lag_s",
        "size_keys",
        "filled",
        "hit",
        "messages",
        "age_s",
        "weight",
        "epoch",
        "memo_in",
        "memo_in2",
        "memo_out",
        "memo2_in",
        "memo2_out",
        "_lat_key",
        "_lat",
    )

    def __init__(self, node_id: str, tier: str, *, dc: str | None = None, region: str | None = None) -> None:
        self.id = node_id
        self.tier = tier
        self.role: str | None = None
        self.dc = dc
        self.region = region
        self.service: str | None = None
        self.size: str | None = None
        self.servers = 1
        self.rate = 1.0
        self.cap = 1.0
        self.cap_dt = DT
        self.bound = 0.0
        self.cost_per_hour = 0.0
        self.status = UP
        self.up = True
        self.routable = True
        self.backlog = 0.0
        self.prev_backlog = 0.0
        self.lam = 0.0
        self.served = 0.0
        self.dropped = 0.0
        self.lam_s = 0.0
        self.util = 0.0
        self.overloaded = False
        self.failed_tick = -1
        self.sessions = 0.0
        self.read_rps = 0.0
        self.write_rps = 0.0
        self.apply_backlog = 0.0
        self.lag_s = 0.0
        self.size_keys = 0
        self.filled = 0.0
        self.hit = 0.0
        self.messages = 0.0
        self.age_s = 0.0
        self.weight = 0.0
        self.epoch = 0  # bumped by every change of status a command makes; stale timers are ignored
        # Memos of slow formulas (cache hit ratio and capacity, stale-read share): recomputed only
        # when their inputs move by more than 1 %. Part of the state, so snapshots stay exact.
        self.memo_in = -1.0
        self.memo_in2 = -1.0
        self.memo_out = 0.0
        self.memo2_in = -1.0
        self.memo2_out = 0.0
        self._lat_key: tuple[float, float, int, float, bool] | None = None
        self._lat: tuple[float, float, float, float, float, float] = (0.0, 0.0, 1.0, 1.0, 0.0, 0.0)

    # --- capacity

    def set_capacity(self, servers: int, capacity_rps: float, cost_per_hour: float) -> None:
        self.servers = servers
        self.cap = capacity_rps
        self.rate = capacity_rps / servers
        self.cap_dt = capacity_rps * DT
        self.bound = capacity_rps * facts.REQUEST_TIMEOUT_S
        self.cost_per_hour = cost_per_hour
        if self.backlog > self.bound:
            self.backlog = self.bound

    def set_status(self, status: str) -> None:
        self.status = status
        self.up = status in SERVING

    # --- one tick

    def flow(self, lam: float) -> float:
        """Take λ requests/s for one tick; return the rate served (what flows downstream)."""
        self.lam = lam
        prev = self.backlog
        self.prev_backlog = prev
        self.lam_s += SMOOTHING * (lam - self.lam_s)
        if not self.up:
            self.backlog = 0.0
            self.served = 0.0
            self.dropped = lam + prev * RATE_PER_TICK
            self.util -= SMOOTHING * self.util
            return 0.0
        work = prev + lam * DT
        cap = self.cap_dt
        if work <= cap:
            self.backlog = 0.0
            served = work * RATE_PER_TICK
            self.dropped = 0.0
        else:
            rest = work - cap
            served = self.cap
            if rest > self.bound:
                self.dropped = (rest - self.bound) * RATE_PER_TICK
                rest = self.bound
            else:
                self.dropped = 0.0
            self.backlog = rest
        self.served = served
        self.util += SMOOTHING * (served / self.cap - self.util)
        return served

    def idle(self) -> None:
        """A tick with no arrivals for a node that is not on any path this tick."""
        if self.lam != 0.0 or self.backlog != 0.0 or self.lam_s != 0.0 or self.util != 0.0:
            self.flow(0.0)
        else:
            self.prev_backlog = 0.0
            self.served = 0.0
            self.dropped = 0.0

    # --- latency (lazy)

    def latency(self) -> tuple[float, float, float, float, float, float]:
        """(backlog wait f s, waiting probability C', μ, cμ − λ̄, mean response s, variance s²)."""
        key = self._lat_key
        if (
            key is not None
            and key[0] == self.lam_s
            and key[1] == self.backlog
            and key[2] == self.servers
            and key[3] == self.rate
            and key[4] == self.up
        ):
            return self._lat  # asked again for the same state (a frame asks several times)
        key = (self.lam_s, self.backlog, self.servers, self.rate, self.up)
        mu = self.rate
        cap = self.cap
        lam = min(self.lam_s, RHO_CAP * cap)
        spare = cap - lam
        fixed = self.backlog / cap
        wait_probability = erlang_c_cached(self.servers, lam / mu) if lam > 0.0 else 0.0
        if fixed > 0.0:
            wait_probability *= math.exp(-spare * fixed)
        mean = fixed + wait_probability / spare + 1.0 / mu
        variance = 1.0 / (mu * mu) + (2.0 * wait_probability - wait_probability * wait_probability) / (
            spare * spare
        )
        self._lat = (fixed, wait_probability, mu, spare, mean, variance)
        self._lat_key = key
        return self._lat

    def mean_latency_s(self) -> float:
        return self.latency()[4]

    def tail(self, t: float) -> float:
        """P(response time > t) for this node (M/M/c tail shifted by the backlog wait)."""
        fixed, wait_probability, mu, spare, _mean, _var = self.latency()
        return response_tail(t - fixed, wait_probability, mu, spare)

    def quantile_s(self, p: float) -> float:
        """The p-quantile of this node's response time, by bisection on `tail`."""
        fixed, wait_probability, mu, spare, mean, _var = self.latency()
        return fixed + solve_quantile(lambda t: response_tail(t, wait_probability, mu, spare), 1.0 - p, mean)

    def invalidate_latency(self) -> None:
        self._lat_key = None


def solve_quantile(tail: object, target: float, scale: float, rel_tol: float = 1e-7) -> float:
    """Smallest t with tail(t) ≤ target for a decreasing tail function.

    Brackets by doubling from `scale`, then runs the Illinois variant of regula falsi on
    log tail(t) − log target, which is nearly linear in t for the exponential-like tails here:
    a handful of evaluations instead of bisection's dozens."""
    assert callable(tail)
    log_target = math.log(target)
    low, high = 0.0, max(scale, 1e-9)
    tail_high = tail(high)
    while tail_high > target:
        low = high
        high *= 2.0
        tail_high = tail(high)
    g_low = math.log(max(tail(low), 1e-300)) - log_target
    g_high = math.log(max(tail_high, 1e-300)) - log_target
    if g_high == 0.0:
        return high
    side = 0
    for _ in range(200):
        if high - low <= rel_tol * high:
            break
        t = (low * g_high - high * g_low) / (g_high - g_low)
        if not low < t < high:
            t = 0.5 * (low + high)
        g = math.log(max(tail(t), 1e-300)) - log_target
        if abs(g) < rel_tol * 0.1:
            return t
        if g > 0.0:
            low, g_low = t, g
            if side == -1:
                g_high *= 0.5
            side = -1
        else:
            high, g_high = t, g
            if side == 1:
                g_low *= 0.5
            side = 1
    return 0.5 * (low + high)


EDGE_KINDS = ("read", "write", "static", "queued")


class Edge:
    """A connection the diagram draws; carries request rates by kind and the failed rate."""

    __slots__ = ("src", "dst", "kinds", "read", "write", "static", "queued", "failed")

    def __init__(self, src: str, dst: str, kinds: tuple[str, ...]) -> None:
        self.src = src
        self.dst = dst
        self.kinds = kinds
        self.read = 0.0
        self.write = 0.0
        self.static = 0.0
        self.queued = 0.0
        self.failed = 0.0

    def clear(self) -> None:
        self.read = self.write = self.static = self.queued = self.failed = 0.0
