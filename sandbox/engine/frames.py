"""Frames: what the browser gets, ten times a second — a keyframe on request, compact deltas otherwise.

A keyframe carries the topology (nodes, groups, edges, data centers, settings) and every dynamic
value; a delta carries only the values that changed since the previous frame of this encoder,
rounded (3 significant digits, 2 decimals for shares), as flat arrays of (index, field, value)
instead of objects. A change of topology (`topology_version`) makes the next frame a keyframe.
The format is documented in docs/protocol.md.

A delta is built ten times a second for every open lab, so it is built lean: which nodes each
field applies to is worked out once per topology (`_Layout`); for every value it sends, the
encoder keeps the value last sent and the span of raw values that round to it (`_Sent`), so a
raw value still inside its span is known unchanged from two comparisons, and only values that
left their span are rounded. The one costly part, end-to-end latency, is refreshed at 2 Hz.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sandbox.engine.node import DOWN
from sandbox.engine.simulation import seconds_to_ms

if TYPE_CHECKING:
    from sandbox.engine.node import Edge, Node
    from sandbox.engine.simulation import Simulation
    from sandbox.engine.topology import DataCenter, Pool

NODE_FIELDS = ("status", "util", "rps", "err", "lat_ms", "backlog", "sessions", "lag_ms", "hit")
EDGE_FIELDS = ("read", "write", "static", "queued", "failed")
METRIC_FIELDS = (
    "users",
    "rps",
    "throughput_rps",
    "error_rate",
    "availability",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "sessions",
    "sessions_lost",
    "writes_lost",
    "writes_failed",
    "stale_reads",
    "replication_lag_ms",
    "hit_ratio",
    "queue_depth",
    "queue_age_s",
    "messages_lost",
    "orders_per_s",
    "orders_total",
    "cost_per_hour",
    "availability_total",
)
SHARE_METRICS = frozenset({"error_rate", "availability", "availability_total", "hit_ratio"})  # 4 decimals
DC_FIELDS = ("status",)
KEYFRAME_EVENTS = 20
SESSIONS_FIELD, LAG_FIELD, HIT_FIELD = (NODE_FIELDS.index(name) for name in ("sessions", "lag_ms", "hit"))
SERVED_SLOTS = 7  # status, util, rps, err, lat_ms, backlog, and sessions, lag_ms or hit


def sig(value: float, digits: int = 3) -> float | int:
    """Round to `digits` significant digits; whole numbers become ints (shorter JSON)."""
    if value == 0.0 or not -1e15 < value < 1e15:
        return 0
    places = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, places)
    return int(rounded) if places <= 0 or rounded.is_integer() else rounded


Span = tuple[Any, float, float]  # (rounded value, low, high): raw values in [low, high] round to it


def _sig_span(value: float) -> Span:
    """`sig(value)`, and the span of raw values that certainly round to the same: the exact span,
    within the same power of ten, narrowed by a hair so float error at its ends cannot matter.

    Rounds by scaling (`round(value × 100) / 100` for a value from 1 to 10): the same as
    `round(value, places)` but for a value a hair from half-way, where either is right to 3
    digits. Values outside 10⁻⁶–10¹⁵ take the long way."""
    k = bisect_right(_DECADE_FLOORS, value) - 1
    if not 0 <= k < len(_DECADES_3):  # zero, negative, tiny, huge or nan
        return _exact_sig_span(value)
    decade, top, scale, unit = _DECADES_3[k]
    if unit:  # 100 and up: a whole multiple of the unit (1, 10, 100, …)
        rounded: float | int = round(value / unit) * unit
        half = 0.5 * unit
    else:
        rounded = round(value * scale) / scale
        if rounded.is_integer():
            rounded = int(rounded)
        half = 0.5 / scale
    margin = 1e-9 * value
    low = rounded - half
    if low < decade:
        low = decade
    high = rounded + half
    if high > top:
        high = top
    return rounded, low + margin, high - margin


def _exact_sig_span(value: float) -> Span:
    if not 0.0 < value < 1e15:  # zero, negative, huge or nan: only this very value
        return sig(value), value, value
    exponent = math.floor(math.log10(value))
    rounded = sig(value)
    decade = 10.0**exponent
    half = 0.005 * decade
    margin = 1e-9 * value
    return rounded, max(rounded - half, decade) + margin, min(rounded + half, 10.0 * decade) - margin


def _sig4(value: float) -> float | int:
    """`sig(value, 4)`, by scaling as `_sig_span` rounds."""
    k = bisect_right(_DECADE_FLOORS, value) - 1
    if not 0 <= k < len(_DECADES_4):
        return sig(value, 4)
    _decade, _top, scale, unit = _DECADES_4[k]
    if unit:
        return round(value / unit) * unit
    rounded = round(value * scale) / scale
    return int(rounded) if rounded.is_integer() else rounded


def _decades(digits: int) -> list[tuple[float, float, float, int]]:
    """For each power of ten 10^e from 10⁻⁶ to 10¹⁴: (10^e, 10^(e+1), 10^(digits−1−e) to scale by
    while the last digit kept is a fraction, else 0; the last digit's unit from there on, else 0)."""
    out = []
    for e in range(-6, 15):
        places = digits - 1 - e
        out.append(
            (10.0**e, 10.0 ** (e + 1), 10.0**places if places > 0 else 0.0, 10**-places if places <= 0 else 0)
        )
    return out


_DECADES_3 = _decades(3)
_DECADES_4 = _decades(4)
_DECADE_FLOORS = [decade for decade, _top, _scale, _unit in _DECADES_3] + [_DECADES_3[-1][1]]


def _hundredths_span(value: float) -> Span:
    """`round(value, 2)` (a hit ratio), and the span of raw values that round to the same."""
    rounded = round(value, 2)
    return rounded, rounded - 0.005 + 1e-9, rounded + 0.005 - 1e-9


def _util_span(value: float) -> Span:
    """A utilisation: clamped to 0–1, to 2 decimals. Raw values beyond 0 or 1 are inside the span
    of 0.0 or 1.0 only, which they also round to."""
    rounded = round(min(1.0, max(0.0, value)), 2)
    return rounded, rounded - 0.005 + 1e-9, rounded + 0.005 - 1e-9


class _Sent:
    """The values last sent for a run of slots, each with the span of raw values that round to it."""

    __slots__ = ("values", "low", "high")

    def __init__(self, size: int) -> None:
        self.values: list[Any] = [None] * size
        self.low = [math.nan] * size  # nan: no span yet (every comparison with nan is false)
        self.high = [math.nan] * size

    def update(self, raws: Iterable[float], span: Callable[[float], Span]) -> list[int]:
        """Take this frame's raw values; return the slots whose rounded value changed."""
        values, low, high = self.values, self.low, self.high
        changed = []
        for k, raw in enumerate(raws):
            if low[k] <= raw <= high[k]:
                continue
            value, low[k], high[k] = span(raw)
            if value != values[k]:
                values[k] = value
                changed.append(k)
        return changed

    def update_exact(self, raws: Iterable[object]) -> list[int]:
        """The same for values sent as they are (statuses)."""
        values = self.values
        changed = []
        for k, raw in enumerate(raws):
            if raw != values[k]:
                values[k] = raw
                changed.append(k)
        return changed

    def clear(self, k: int, value: object = None) -> None:
        self.values[k] = value
        self.low[k] = self.high[k] = math.nan


class _Layout:
    """Which nodes each dynamic field applies to, for one topology of one simulation. A field that
    does not apply to a node is null in the keyframe and never changes.

    Slots (what `_Sent` keeps per value): one per clients node (its request rate), then seven per
    served node (every node but the clients and DNS): status, util, rps, err, lat_ms, backlog, and
    the one of sessions, lag_ms or hit that applies to it, if any."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.version = sim.topology_version
        self.session_mode = sim.session_mode
        nodes = sim.nodes
        stateful = sim.session_mode == "stateful"
        self.clients = [(i, node.region or "") for i, node in enumerate(nodes) if node.tier == "clients"]
        self.dns = [i for i, node in enumerate(nodes) if node.tier == "dns"]
        # (node, its index, its pool when its errors include its share of the pool's requests that
        # found no session (stateful web tier), the extra field that applies to it or 0)
        self.served: list[tuple[Node, int, Pool | None, int]] = []
        for i, node in enumerate(nodes):
            tier = node.tier
            if tier in ("clients", "dns"):
                continue
            pool = sim.pool_of(node) if stateful and tier == "web" else None
            extra = 0
            if tier == "web" and stateful and node.service == "web" or tier == "session":
                extra = SESSIONS_FIELD
            elif tier == "db" and node.role == "replica":
                extra = LAG_FIELD
            elif tier == "cache":
                extra = HIT_FIELD
            self.served.append((node, i, pool, extra))
        self.slots = len(self.clients) + SERVED_SLOTS * len(self.served)
        self.edge_slots = edge_slots(sim)
        self.edge_count = len(sim.edges)
        # the values an edge can carry: the request kinds it is drawn for, and failed requests
        # (`edge_rates` adds nothing else to it, so the other fields stay 0)
        self.edge_live = [
            5 * i + field
            for i, edge in enumerate(sim.edges)
            for field, name in enumerate(EDGE_FIELDS)
            if name in edge.kinds or name == "failed"
        ]

    def current(self, sim: Simulation) -> bool:
        """Whether this layout is `sim`'s now."""
        return (
            sim is self.sim and sim.topology_version == self.version and sim.session_mode == self.session_mode
        )

    def same_shape(self, other: _Layout) -> bool:
        """Whether `other` has the same slots (a simulation restored from a snapshot of this one)."""
        return (
            self.version == other.version
            and self.clients == other.clients
            and [(i, extra) for _n, i, _p, extra in self.served]
            == [(i, extra) for _n, i, _p, extra in other.served]
            and self.edge_slots == other.edge_slots
        )


def _rejected(sim: Simulation, node: Node) -> float:
    if node.tier != "web" or sim.session_mode != "stateful" or node.served <= 0.0:
        return 0.0
    pool = sim.pool_of(node)
    if pool is None or pool.rejected <= 0.0:
        return 0.0
    total = sum(s.served for s in pool.servers) or 1.0
    return pool.rejected * node.served / total


def _drop_share(node: Node | None) -> float:
    if node is None or node.lam <= 0.0:
        return 0.0
    return min(1.0, node.dropped / node.lam)


def edge_slots(sim: Simulation) -> dict[tuple[str, str], int]:
    """(from, to) → where the values of the first edge between them start in `edge_rates`."""
    slots: dict[tuple[str, str], int] = {}
    for i, edge in enumerate(sim.edges):
        slots.setdefault((edge.src, edge.dst), 5 * i)
    return slots


def edge_rates(sim: Simulation, slots: dict[tuple[str, str], int] | None = None) -> list[float]:
    """Request rates by kind (read, write, static, queued) and failed rate of each of `sim.edges`,
    flat: five values per edge. `slots`: `edge_slots(sim)`, when the caller keeps it."""
    if slots is None:
        slots = edge_slots(sim)
    rates = [0.0] * (5 * len(sim.edges))
    edge = slots.get

    def add(at: int | None, read: float, write: float, static: float, queued: float, failed: float) -> None:
        """Add a flow's rates to the edge whose values start at `at` (None: an edge not drawn)."""
        if at is not None:
            rates[at] += read
            rates[at + 1] += write
            rates[at + 2] += static
            rates[at + 3] += queued
            rates[at + 4] += failed

    traffic = sim.traffic
    routes = sim._routes
    cdn = sim.cdn
    for client in sim.clients:
        region = client.region or ""
        rps = sim.region_rps.get(region, 0.0)
        static = rps * traffic.static_share
        if cdn is not None:
            add(edge((client.id, cdn.id)), 0.0, 0.0, static, 0.0, static * _drop_share(cdn))
            static = 0.0
        dc = routes.get(region)
        if dc is not None:
            entry = sim._entry(dc)
            read, write = rps * traffic.read_share, rps * traffic.write_share
            failed = (read + write + static) * _drop_share(entry)
            add(edge((client.id, entry.id)), read, write, static, 0.0, failed)
    stateful = sim.session_mode == "stateful"
    queue = sim.queue
    for dc in sim.dcs:
        entry = sim._entry(dc)
        if cdn is not None:
            origin = dc.in_rps[0]
            add(edge((cdn.id, entry.id)), 0.0, 0.0, origin, 0.0, origin * _drop_share(entry))
        reads_out = sum(pool.out_rps[1] for pool in dc.pools) or 1.0
        writes_out = sum(pool.out_rps[2] for pool in dc.pools) or 1.0
        read_flow, write_flow, db_reads = dc.flows_out
        routable = [c for c in dc.caches if c.routable]
        for pool in dc.pools:
            mix = pool.mix
            if dc.lb is not None:
                lb = dc.lb.id
                served_total = 0.0
                if stateful and pool.rejected > 0.0:
                    served_total = sum(s.served for s in pool.servers) or 1.0
                for server in pool.servers:
                    lam = server.lam
                    rejected = 0.0
                    if served_total and server.served > 0.0 and server.tier == "web":
                        rejected = pool.rejected * server.served / served_total
                    failed = server.dropped + rejected
                    add(edge((lb, server.id)), lam * mix[1], lam * mix[2], lam * mix[0], 0.0, failed)
            group = pool.group_id
            pool_reads, pool_writes = pool.out_rps[1], pool.out_rps[2]
            store = dc.session_store
            if store is not None:
                failed = (pool_reads + pool_writes) * _drop_share(store)
                add(edge((group, store.id)), pool_reads, pool_writes, 0.0, 0.0, failed)
            read_part = pool_reads / reads_out
            write_part = pool_writes / writes_out
            for cache in routable:
                add(edge((group, cache.id)), read_flow * read_part / len(routable), 0.0, 0.0, 0.0, 0.0)
            for node, share, _extra in dc.read_plan:
                reads = db_reads * read_part * share
                add(edge((group, node.id)), reads, 0.0, 0.0, 0.0, reads * _drop_share(node))
            write_total = write_flow * write_part
            if sim.shards:
                for shard, share in zip(sim.shards, sim.shard_shares, strict=False):
                    writes = write_total * share
                    add(edge((group, shard.id)), 0.0, writes, 0.0, 0.0, writes * _drop_share(shard))
            elif sim.master is not None:
                master = sim.master
                add(edge((group, master.id)), 0.0, write_total, 0.0, 0.0, write_total * _drop_share(master))
            if queue is not None:
                committed = sim.write_rps * write_total / max(write_flow, 1e-12) if write_flow > 0 else 0.0
                add(edge((group, queue.id)), 0.0, 0.0, 0.0, committed, committed * _drop_share(queue))
    if sim.master is not None:
        for replica in sim.replicas:
            if replica.up:
                add(edge((sim.master.id, replica.id)), 0.0, sim.write_rps, 0.0, 0.0, 0.0)
    if queue is not None:
        for worker in sim.workers:
            add(edge((queue.id, worker.id)), 0.0, 0.0, 0.0, worker.served, 0.0)
    if len(slots) < len(sim.edges):  # two edges between the same nodes carry the same flows
        for i, edge_ in enumerate(sim.edges):
            first = slots[(edge_.src, edge_.dst)]
            if first != 5 * i:
                rates[5 * i : 5 * i + 5] = rates[first : first + 5]
    return rates


def dc_status(sim: Simulation, index: int) -> str:
    return _dc_status(sim.dcs[index])


def _dc_status(dc: DataCenter) -> str:
    if not dc.failed:
        return "up" if dc.routed else "starting"
    return DOWN if dc.routed else "rerouted"


def settings(sim: Simulation) -> dict[str, object]:
    traffic = sim.traffic
    return {
        "users": traffic.users,
        "pattern": traffic.pattern,
        "read_share": round(traffic.read_share, 4),
        "write_share": round(traffic.write_share, 4),
        "static_share": round(traffic.static_share, 4),
        "requests_per_user_s": traffic.requests_per_user_s,
        "region_shares": {r: round(s, 4) for r, s in traffic.region_shares.items()},
        "session_mode": sim.session_mode,
        "sticky_sessions": sim.sticky_sessions,
        "lb_algorithm": sim.lb_algorithm,
        "replication": sim.replication_mode,
        "auto_failover": sim.auto_failover,
        "cache": {"enabled": sim.cache_enabled, "size_keys": sim.cache_size_keys, "ttl_s": sim.cache_ttl_s},
        "cdn": sim.cdn_enabled,
        "shards": sim.shard_count,
        "hashing": sim.hashing,
        "vnodes": sim.vnodes,
        "shard_key": sim.shard_key,
        "hot_key": {"enabled": sim.hot_key_enabled, "share": sim.hot_key_share},
        "consumers": len(sim.workers),
        "autoscaling": {
            tier: {
                "enabled": rule.enabled,
                "min": rule.min,
                "max": rule.max,
                "target_utilization": rule.target,
                "cooldown_s": rule.cooldown_s,
            }
            for tier, rule in sim.autoscaling.items()
        },
    }


def _node_info(node: Node) -> dict[str, object]:
    return {
        "id": node.id,
        "tier": node.tier,
        "label": node.id if node.tier != "clients" else node.region,
        "role": node.role,
        "size": node.size,
        "dc": node.dc,
        "region": node.region,
        "service": node.service,
        "capacity_rps": sig(node.cap) if node.tier not in ("clients", "dns") else None,
        "cost_per_hour": node.cost_per_hour,
    }


def _edge_info(edge: Edge) -> dict[str, object]:
    return {"from": edge.src, "to": edge.dst, "kinds": list(edge.kinds)}


def _metric_inputs(sim: Simulation, latency: dict[str, Any]) -> list[float]:
    """The unrounded figures behind each of METRIC_FIELDS (see `Simulation.metrics`)."""
    offered = sim.offered_rps
    error_rate = sim.error_rate()
    queue = sim.queue
    return [
        sim.users_now,
        offered,
        offered - sim.error_rps,
        error_rate,
        error_rate,
        latency["p50_ms"],
        latency["p95_ms"],
        latency["p99_ms"],
        sim.sessions_now(),
        sim.sessions_lost,
        sim.writes_lost,
        sim.writes_failed,
        sim.stale_reads,
        sim.replication_lag_s(),
        sim.cache_hit_ratio(),
        queue.messages if queue is not None else 0.0,
        queue.age_s if queue is not None else 0.0,
        sim.messages_lost,
        sim.orders_rps,
        sim.orders_total,
        sim.cost_per_hour(),
        sim.availability_total(),
    ]


def _exact_sig4(value: float) -> float | int:
    return sig(value, 4)


# How each figure of METRIC_FIELDS is rounded: as `Simulation.metrics` rounds it, then counts as
# they are, shares to 4 decimals and every other number to 4 significant digits (by scaling for
# raw rates; exactly for figures already rounded to a few decimals, where a value half-way
# between two is common and scaling may round it the other way).
_METRIC_ROUNDING: tuple[Callable[[Any], object], ...] = (
    round,  # users
    _sig4,  # rps: round_rate's 4 significant digits, then 4 again, are sig(·, 4)
    lambda rps: _sig4(max(0.0, rps)),  # throughput
    lambda rate: round(round(min(1.0, rate), 6), 4),  # error rate
    lambda rate: round(round(1.0 - min(1.0, rate), 6), 4),  # availability (from the error rate)
    _exact_sig4,  # p50_ms (from `latency_summary`, in ms to 3 decimals: half-way cases are common)
    _exact_sig4,
    _exact_sig4,
    round,  # sessions
    round,
    lambda count: count,  # writes_lost: an int already
    round,
    round,
    lambda lag_s: _exact_sig4(seconds_to_ms(lag_s)),
    lambda ratio: round(round(ratio, 4), 4),
    round,  # queue depth
    lambda age_s: _exact_sig4(round(age_s, 2)),
    round,
    _sig4,  # orders per second
    round,
    lambda cost: _exact_sig4(round(cost, 2)),
    lambda share: round(round(share, 6), 4),  # availability since the start (the headline's)
)


def metric_values(metrics: dict[str, Any]) -> list[object]:
    """A `metrics()` dict as a frame's metric row (METRIC_FIELDS order, rounded)."""
    out: list[object] = []
    for name in METRIC_FIELDS:
        value = metrics[name]
        if isinstance(value, float) and name not in SHARE_METRICS:
            out.append(sig(value, 4))
        elif isinstance(value, float):
            out.append(round(value, 4))
        else:
            out.append(value)
    return out


LATENCY_EVERY_TICKS = 5  # end-to-end percentiles are refreshed at 2 Hz (charts draw at 1–2 Hz)


class FrameEncoder:
    """Turns a simulation's state into frames for one viewer (it remembers what it sent).

    Everything in a frame is of the current tick except the latency figures (each node's mean
    latency, and end to end: mean, p50/p95/p99, per-region means), which the encoder refreshes
    every `latency_every_ticks` ticks and on every keyframe: they are the costly part of a frame
    (an Erlang C per node, a root search per percentile)."""

    def __init__(
        self, sim: Simulation, *, lang: str | None = None, latency_every_ticks: int = LATENCY_EVERY_TICKS
    ) -> None:
        self.sim = sim
        self.lang = lang
        self.latency_every_ticks = latency_every_ticks
        self._latency: dict[str, Any] | None = None
        self._latency_tick = -1
        self.seq = 0
        self._layout: _Layout | None = None
        self._reset(None)
        self._event_seq = 0
        self._spans: dict[float, Span] = {}  # this frame's roundings, by raw value

    def _reset(self, layout: _Layout | None) -> None:
        """Forget what was sent (a keyframe follows)."""
        self._nodes = _Sent(layout.slots if layout is not None else 0)
        self._edges = _Sent(5 * layout.edge_count if layout is not None else 0)
        self._metrics: list[object] = [None] * len(METRIC_FIELDS)
        self._metric_inputs: list[float] = [math.nan] * len(METRIC_FIELDS)
        self._dcs: list[str] = []
        self._settings: dict[str, object] = {}
        self._settings_epoch: tuple[object, ...] | None = None

    def frame(self, *, keyframe: bool = False) -> dict[str, object]:
        """The next frame: a keyframe when asked or when the topology changed, else a delta."""
        if keyframe or not self._follow_sim():
            return self.keyframe()
        return self.delta()

    def _follow_sim(self) -> bool:
        """Make the layout `self.sim`'s; False when a delta cannot follow (its topology changed).
        The simulation may be another object with the same topology (restored from a snapshot)."""
        layout = self._layout
        if layout is None:
            return False
        if layout.current(self.sim):
            return True
        if self.sim.topology_version != layout.version:
            return False
        fresh = _Layout(self.sim)
        if not layout.same_shape(fresh):
            return False
        self._layout = fresh
        return True

    def _refresh_latency(self, force: bool) -> bool:
        """Recompute the latency figures if they are due (or forced); say whether they were."""
        sim = self.sim
        if force or self._latency is None or sim.tick - self._latency_tick >= self.latency_every_ticks:
            self._latency = sim.latency_summary(regions=False)  # frames show no per-region means
            self._latency_tick = sim.tick
            return True
        return False

    # --- the dynamic values, as changes since the last frame

    def _node_changes(self, fresh: bool) -> list[list[object]]:
        """[node index, field, value, …] for each node with values that changed, in node order.

        Each value is checked against the span of raw values that round to what was sent (inline:
        most are unchanged); only one that left its span is rounded again (`changed`). A node's
        mean latency is recomputed only with the other latency figures (`fresh`), or at once when
        it starts serving; it is null while the node does not serve."""
        layout = self._layout
        assert layout is not None
        sent = self._nodes
        values, low, high = sent.values, sent.low, sent.high
        rows: list[list[object]] = []
        row: list[object] = []

        spans = self._spans

        def changed(slot: int, raw: float, span: Callable[[float], Span], field: int) -> None:
            if span is _sig_span:  # servers of a pool often have the same rates: round each once
                found = spans.get(raw)
                if found is None:
                    found = spans[raw] = _sig_span(raw)
                value, low[slot], high[slot] = found
            else:
                value, low[slot], high[slot] = span(raw)
            if value != values[slot]:
                values[slot] = value
                row.append(field)
                row.append(value)

        region_rps = self.sim.region_rps
        for slot, (i, region) in enumerate(layout.clients):
            raw = region_rps.get(region, 0.0)
            if not low[slot] <= raw <= high[slot]:
                changed(slot, raw, _sig_span, 2)
                if row:
                    rows.append([i, *row])
                    row.clear()
        slot = len(layout.clients)
        pools_served: dict[int, float] = {}
        for node, i, pool, extra in layout.served:
            status = node.status
            if status != values[slot]:
                values[slot] = status
                row += (0, status)
            raw = node.util
            if not low[slot + 1] <= raw <= high[slot + 1]:
                changed(slot + 1, raw, _util_span, 1)
            raw = node.lam
            if not low[slot + 2] <= raw <= high[slot + 2]:
                changed(slot + 2, raw, _sig_span, 2)
            raw = node.dropped
            if pool is not None and node.served > 0.0 and pool.rejected > 0.0:
                total = pools_served.get(id(pool))
                if total is None:
                    total = pools_served[id(pool)] = sum(s.served for s in pool.servers) or 1.0
                raw += pool.rejected * node.served / total
            if not low[slot + 3] <= raw <= high[slot + 3]:
                changed(slot + 3, raw, _sig_span, 3)
            if node.up:
                if fresh or values[slot + 4] is None:
                    raw = node.mean_latency_s() * 1000.0
                    if not low[slot + 4] <= raw <= high[slot + 4]:
                        changed(slot + 4, raw, _sig_span, 4)
            elif values[slot + 4] is not None:
                sent.clear(slot + 4)
                row += (4, None)
            raw = node.messages if node.tier == "queue" else node.backlog
            if not low[slot + 5] <= raw <= high[slot + 5]:
                changed(slot + 5, raw, _sig_span, 5)
            if extra:
                if extra == SESSIONS_FIELD:
                    raw = node.sessions
                elif extra == LAG_FIELD:
                    raw = node.lag_s * 1000.0
                else:
                    raw = node.hit
                if not low[slot + 6] <= raw <= high[slot + 6]:
                    changed(slot + 6, raw, _hundredths_span if extra == HIT_FIELD else _sig_span, extra)
            if row:
                rows.append([i, *row])
                row.clear()
            slot += SERVED_SLOTS
        return rows

    def _node_rows(self) -> list[list[object]]:
        """Every node's row of values as last sent (for a keyframe)."""
        layout = self._layout
        assert layout is not None
        values = self._nodes.values
        rows: list[list[object]] = [
            ["up", None, None, None, None, None, None, None, None] for _ in range(len(self.sim.nodes))
        ]
        for i in layout.dns:
            rows[i][2] = sig(0.0)
        for slot, (i, _region) in enumerate(layout.clients):
            rows[i][2] = values[slot]
        slot = len(layout.clients)
        for _node, i, _pool, extra in layout.served:
            row = rows[i]
            row[:6] = values[slot : slot + 6]
            if extra:
                row[extra] = values[slot + 6]
            slot += SERVED_SLOTS
        return rows

    def _edge_changes(self, every_slot: bool = False) -> list[list[object]]:
        """[edge index, field, value, …] for each edge with values that changed. Only the fields
        an edge can carry (its kinds, and failed) are looked at, unless `every_slot`."""
        layout = self._layout
        assert layout is not None
        sent = self._edges
        values, low, high = sent.values, sent.low, sent.high
        rates = edge_rates(self.sim, layout.edge_slots)
        spans = self._spans
        rows: list[list[object]] = []
        row: list[object] = []
        row_edge = -1
        for slot in range(len(rates)) if every_slot else layout.edge_live:
            raw = rates[slot]
            if low[slot] <= raw <= high[slot]:
                continue
            found = spans.get(raw)
            if found is None:
                found = spans[raw] = _sig_span(raw)
            value, low[slot], high[slot] = found
            if value != values[slot]:
                values[slot] = value
                edge = slot // 5
                if edge != row_edge:
                    row_edge = edge
                    row = [edge]
                    rows.append(row)
                row.append(slot - 5 * edge)
                row.append(value)
        return rows

    def _metric_changes(self) -> list[object]:
        assert self._latency is not None
        inputs = _metric_inputs(self.sim, self._latency)
        last = self._metric_inputs
        values = self._metrics
        changes: list[object] = []
        for k, raw in enumerate(inputs):
            if raw == last[k]:
                continue
            last[k] = raw
            value = _METRIC_ROUNDING[k](raw)
            if value != values[k]:
                values[k] = value
                changes.append(k)
                changes.append(value)
        return changes

    def _settings_changed(self) -> bool:
        """Whether the settings changed since the last frame. They change only through a command
        or with the topology (`Simulation.commands_applied`, `topology_version`), so most frames
        do not look at them."""
        sim = self.sim
        epoch = (sim, sim.topology_version, sim.commands_applied)
        if epoch == self._settings_epoch:
            return False
        self._settings_epoch = epoch
        current = settings(sim)
        if current == self._settings:
            return False
        self._settings = current
        return True

    def _dc_changes(self) -> list[list[object]]:
        sent = self._dcs
        changed: list[list[object]] = []
        for i, dc in enumerate(self.sim.dcs):
            status = _dc_status(dc)
            if status != sent[i]:
                sent[i] = status
                changed.append([i, 0, status])
        return changed

    def _events(self) -> list[dict[str, object]]:
        sim = self.sim
        if sim.event_seq <= self._event_seq:
            return []
        events = sim.events_since(self._event_seq)
        if events:
            self._event_seq = events[-1].seq
        return [event.to_dict(self.lang) for event in events]

    # --- frames

    def keyframe(self) -> dict[str, object]:
        sim = self.sim
        self.seq += 1
        layout = self._layout = _Layout(sim)
        self._reset(layout)
        self._spans.clear()
        self._refresh_latency(force=True)
        assert self._latency is not None
        self._node_changes(fresh=True)
        self._edge_changes(every_slot=True)
        self._metric_changes()
        self._dcs = [dc_status(sim, i) for i in range(len(sim.dcs))]
        self._settings_changed()
        nodes = self._node_rows()
        edge_values = self._edges.values
        edges = [edge_values[5 * e : 5 * e + 5] for e in range(layout.edge_count)]
        recent = sim.events[-KEYFRAME_EVENTS:]
        self._event_seq = sim.event_seq
        return {
            "type": "key",
            "seq": self.seq,
            "tick": sim.tick,
            "t": sim.time_s,
            "v": sim.topology_version,
            "preset": sim.preset,
            "controls": list(sim.controls),
            "fields": {
                "node": list(NODE_FIELDS),
                "edge": list(EDGE_FIELDS),
                "metrics": list(METRIC_FIELDS),
                "dc": list(DC_FIELDS),
            },
            "regions": list(sim.traffic.region_shares),
            "dcs": [{"id": dc.id, "region": dc.region} for dc in sim.dcs],
            "nodes": [_node_info(node) for node in sim.nodes],
            "groups": [
                {
                    "id": pool.group_id,
                    "tier": "web",
                    "dc": pool.dc,
                    "service": pool.service,
                    "members": [s.id for s in pool.servers],
                }
                for pool in sim.groups
            ],
            "edges": [_edge_info(edge) for edge in sim.edges],
            "settings": self._settings,
            "state": {"nodes": nodes, "edges": edges, "dcs": [[s] for s in self._dcs]},
            "metrics": list(self._metrics),
            "ev": [event.to_dict(self.lang) for event in recent],
        }

    def delta(self) -> dict[str, object]:
        sim = self.sim
        if not self._follow_sim():
            raise ValueError("a delta needs a keyframe of the current topology first")
        self.seq += 1
        self._spans.clear()
        out: dict[str, object] = {"type": "delta", "seq": self.seq, "tick": sim.tick, "t": sim.time_s}
        fresh = self._refresh_latency(force=False)
        rows = self._node_changes(fresh)
        if rows:
            out["n"] = rows
        edges = self._edge_changes()
        if edges:
            out["e"] = edges
        metrics = self._metric_changes()
        if metrics:
            out["m"] = metrics
        dcs = self._dc_changes()
        if dcs:
            out["d"] = dcs
        if self._settings_changed():
            out["s"] = self._settings
        events = self._events()
        if events:
            out["ev"] = events
        return out

    @staticmethod
    def encode(frame: dict[str, object]) -> str:
        """Compact JSON text of a frame."""
        return _JSON.encode(frame)


_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
