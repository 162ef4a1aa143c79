"""Frames: what the browser gets, ten times a second — a keyframe on request, compact deltas otherwise.

A keyframe carries the topology (nodes, groups, edges, data centers, settings) and every dynamic
value; a delta carries only the values that changed since the previous frame of this encoder,
rounded (3 significant digits, 2 decimals for shares), as flat arrays of (index, field, value)
instead of objects. A change of topology (`topology_version`) makes the next frame a keyframe.
The format is documented in docs/protocol.md.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from sandbox.engine.node import DOWN

if TYPE_CHECKING:
    from sandbox.engine.node import Edge, Node
    from sandbox.engine.simulation import Simulation

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
)
DC_FIELDS = ("status",)
KEYFRAME_EVENTS = 20


def sig(value: float, digits: int = 3) -> float | int:
    """Round to `digits` significant digits; whole numbers become ints (shorter JSON)."""
    if value == 0.0 or not -1e15 < value < 1e15:
        return 0
    places = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, places)
    return int(rounded) if places <= 0 or rounded.is_integer() else rounded


def node_values(sim: Simulation, node: Node, latency: object = None) -> list[object]:
    """A node's row of dynamic values, in NODE_FIELDS order (`latency` in ms, already rounded)."""
    tier = node.tier
    if tier in ("clients", "dns"):
        rps = sim.region_rps.get(node.region or "", 0.0) if tier == "clients" else 0.0
        return ["up", None, sig(rps), None, None, None, None, None, None]
    sessions: object = None
    if tier == "web" and sim.session_mode == "stateful" and node.service == "web" or tier == "session":
        sessions = sig(node.sessions)
    backlog = node.messages if tier == "queue" else node.backlog
    lag: object = sig(node.lag_s * 1000.0) if tier == "db" and node.role == "replica" else None
    hit: object = round(node.hit, 2) if tier == "cache" else None
    return [
        node.status,
        round(min(1.0, max(0.0, node.util)), 2),
        sig(node.lam),
        sig(node.dropped + _rejected(sim, node)),
        latency if node.up else None,
        sig(backlog),
        sessions,
        lag,
        hit,
    ]


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


def edge_rates(sim: Simulation) -> list[list[float]]:
    """Request rates by kind (read, write, static, queued) and failed rate, for each of `sim.edges`."""
    traffic = sim.traffic
    rates: dict[tuple[str, str], list[float]] = {}

    def add(
        src: str,
        dst: str,
        read: float = 0.0,
        write: float = 0.0,
        static: float = 0.0,
        queued: float = 0.0,
        failed: float = 0.0,
    ) -> None:
        entry = rates.setdefault((src, dst), [0.0, 0.0, 0.0, 0.0, 0.0])
        entry[0] += read
        entry[1] += write
        entry[2] += static
        entry[3] += queued
        entry[4] += failed

    routes = sim._routes
    cdn = sim.cdn
    for client in sim.clients:
        region = client.region or ""
        rps = sim.region_rps.get(region, 0.0)
        static = rps * traffic.static_share
        if cdn is not None:
            add(client.id, cdn.id, static=static, failed=static * _drop_share(cdn))
            static = 0.0
        dc = routes.get(region)
        if dc is not None:
            entry = sim._entry(dc)
            read, write = rps * traffic.read_share, rps * traffic.write_share
            add(
                client.id,
                entry.id,
                read=read,
                write=write,
                static=static,
                failed=(read + write + static) * _drop_share(entry),
            )
    for dc in sim.dcs:
        entry = sim._entry(dc)
        if cdn is not None:
            add(cdn.id, entry.id, static=dc.in_rps[0], failed=dc.in_rps[0] * _drop_share(entry))
        reads_out = sum(pool.out_rps[1] for pool in dc.pools) or 1.0
        writes_out = sum(pool.out_rps[2] for pool in dc.pools) or 1.0
        _read_flow, write_flow, db_reads = dc.flows_out
        for pool in dc.pools:
            mix = pool.mix
            if dc.lb is not None:
                for server in pool.servers:
                    lam = server.lam
                    add(
                        dc.lb.id,
                        server.id,
                        read=lam * mix[1],
                        write=lam * mix[2],
                        static=lam * mix[0],
                        failed=server.dropped + _rejected(sim, server),
                    )
            group = pool.group_id
            pool_reads, pool_writes = pool.out_rps[1], pool.out_rps[2]
            store = dc.session_store
            if store is not None:
                add(
                    group,
                    store.id,
                    read=pool_reads,
                    write=pool_writes,
                    failed=(pool_reads + pool_writes) * _drop_share(store),
                )
            read_part = pool_reads / reads_out
            write_part = pool_writes / writes_out
            routable = [c for c in dc.caches if c.routable]
            for cache in routable:
                add(group, cache.id, read=dc.flows_out[0] * read_part / len(routable))
            for node, share, _extra in dc.read_plan:
                reads = db_reads * read_part * share
                add(group, node.id, read=reads, failed=reads * _drop_share(node))
            write_total = write_flow * write_part
            if sim.shards:
                for shard, share in zip(sim.shards, sim.shard_shares, strict=False):
                    add(
                        group,
                        shard.id,
                        write=write_total * share,
                        failed=write_total * share * _drop_share(shard),
                    )
            elif sim.master is not None:
                add(group, sim.master.id, write=write_total, failed=write_total * _drop_share(sim.master))
            if sim.queue is not None:
                committed = sim.write_rps * write_total / max(write_flow, 1e-12) if write_flow > 0 else 0.0
                add(group, sim.queue.id, queued=committed, failed=committed * _drop_share(sim.queue))
    if sim.master is not None:
        for replica in sim.replicas:
            if replica.up:
                add(sim.master.id, replica.id, write=sim.write_rps)
    if sim.queue is not None:
        for worker in sim.workers:
            add(sim.queue.id, worker.id, queued=worker.served)
    zero = [0.0, 0.0, 0.0, 0.0, 0.0]
    return [rates.get((edge.src, edge.dst), zero) for edge in sim.edges]


def _edge_values(values: list[float]) -> list[object]:
    return [sig(v) for v in values]


def dc_status(sim: Simulation, index: int) -> str:
    dc = sim.dcs[index]
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


def metric_values(metrics: dict[str, Any]) -> list[object]:
    out: list[object] = []
    for name in METRIC_FIELDS:
        value = metrics[name]
        if isinstance(value, float) and name not in ("error_rate", "availability", "hit_ratio"):
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
        self._version = -1
        self._nodes: list[list[object]] = []
        self._edges: list[list[object]] = []
        self._metrics: list[object] = []
        self._dcs: list[str] = []
        self._settings: dict[str, object] = {}
        self._event_seq = 0

    def frame(self, *, keyframe: bool = False) -> dict[str, object]:
        """The next frame: a keyframe when asked or when the topology changed, else a delta."""
        if keyframe or self._version != self.sim.topology_version:
            return self.keyframe()
        return self.delta()

    def _refresh_latency(self, force: bool) -> bool:
        """Recompute the latency figures if they are due (or forced); say whether they were."""
        sim = self.sim
        if force or self._latency is None or sim.tick - self._latency_tick >= self.latency_every_ticks:
            self._latency = sim.latency_summary()
            self._latency_tick = sim.tick
            return True
        return False

    def _node_rows(self, fresh: bool) -> list[list[object]]:
        """Node rows; a node's mean latency is recomputed only with the other latency figures."""
        rows = []
        previous = self._nodes if not fresh and len(self._nodes) == len(self.sim.nodes) else None
        for index, node in enumerate(self.sim.nodes):
            latency: object = None
            if node.up and node.tier not in ("clients", "dns"):
                latency = previous[index][4] if previous is not None else None
                if latency is None:
                    latency = sig(node.mean_latency_s() * 1000.0)
            rows.append(node_values(self.sim, node, latency))
        return rows

    def _events(self, since: int) -> list[dict[str, object]]:
        events = self.sim.events_since(since)
        if events:
            self._event_seq = events[-1].seq
        return [event.to_dict(self.lang) for event in events]

    def keyframe(self) -> dict[str, object]:
        sim = self.sim
        self.seq += 1
        self._version = sim.topology_version
        self._refresh_latency(force=True)
        assert self._latency is not None
        self._nodes = self._node_rows(fresh=True)
        self._edges = [_edge_values(v) for v in edge_rates(sim)]
        self._metrics = metric_values(sim.metrics(self._latency))
        self._dcs = [dc_status(sim, i) for i in range(len(sim.dcs))]
        self._settings = settings(sim)
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
            "state": {"nodes": self._nodes, "edges": self._edges, "dcs": [[s] for s in self._dcs]},
            "metrics": self._metrics,
            "ev": [event.to_dict(self.lang) for event in recent],
        }

    def delta(self) -> dict[str, object]:
        sim = self.sim
        self.seq += 1
        out: dict[str, object] = {"type": "delta", "seq": self.seq, "tick": sim.tick, "t": sim.time_s}
        fresh = self._refresh_latency(force=False)
        assert self._latency is not None
        changed_nodes = _diff_rows(self._nodes, self._node_rows(fresh))
        if changed_nodes:
            out["n"] = changed_nodes
        changed_edges = _diff_rows(self._edges, [_edge_values(v) for v in edge_rates(sim)])
        if changed_edges:
            out["e"] = changed_edges
        metrics = metric_values(sim.metrics(self._latency))
        changed_metrics: list[object] = []
        for index, (old, new) in enumerate(zip(self._metrics, metrics, strict=True)):
            if old != new:
                changed_metrics.extend((index, new))
        self._metrics = metrics
        if changed_metrics:
            out["m"] = changed_metrics
        dcs = [dc_status(sim, i) for i in range(len(sim.dcs))]
        changed_dcs = [[i, 0, s] for i, (old, s) in enumerate(zip(self._dcs, dcs, strict=True)) if old != s]
        self._dcs = dcs
        if changed_dcs:
            out["d"] = changed_dcs
        current = settings(sim)
        if current != self._settings:
            self._settings = current
            out["s"] = current
        events = self._events(self._event_seq)
        if events:
            out["ev"] = events
        return out

    @staticmethod
    def encode(frame: dict[str, object]) -> str:
        """Compact JSON text of a frame."""
        return json.dumps(frame, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _diff_rows(previous: list[list[object]], current: list[list[object]]) -> list[list[object]]:
    changes: list[list[object]] = []
    for index, (old, new) in enumerate(zip(previous, current, strict=True)):
        if old != new:
            row: list[object] = [index]
            for field, (a, b) in enumerate(zip(old, new, strict=True)):
                if a != b:
                    row.extend((field, b))
            changes.append(row)
        previous[index] = new
    return changes
