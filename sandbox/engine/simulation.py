"""The simulation: a lab's whole state and its one verb, `step`.

Read it top to bottom: state (`__init__`), building a preset (`_build`), the tick (`_tick` and
the flows it calls, upstream to downstream), timers and health checks, automation, metrics,
snapshots. Commands live in `control.py` (`Simulation.apply` hands them over).

Everything is rate-based: a tick (0.1 s) moves requests/s through the nodes in topological
order — clients → CDN → load balancer → web pools → session store → cache → database → queue →
consumers — so its cost depends on the number of nodes, never on the number of users.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.engine import facts, popularity, sharding
from sandbox.engine.commands import Command, parse_command
from sandbox.engine.latency import Path, Stage, StageFit, summarize
from sandbox.engine.node import (
    DETECTING,
    DOWN,
    DRAINING,
    DT,
    RATE_PER_TICK,
    SMOOTHING,
    STARTING,
    UP,
    Edge,
    Node,
)
from sandbox.engine.presets import PRESETS, PresetSpec
from sandbox.engine.topology import (
    WEB_SERVICE,
    DataCenter,
    Pool,
    make_cache,
    make_cdn,
    make_clients,
    make_db,
    make_dns,
    make_lb,
    make_queue,
    make_session_store,
    make_web,
    make_worker,
    size_index,
)
from sandbox.engine.traffic import Traffic

SNAPSHOT_VERSION = 1
EVENT_LOG_LIMIT = 500
TPS = facts.TICKS_PER_SECOND
HEALTH_CHECK_TICKS = round(facts.HEALTH_CHECK_INTERVAL_S * TPS)
AUTOSCALE_TICKS = round(facts.AUTOSCALE_CHECK_S * TPS)
SESSION_DECAY = math.exp(-DT / facts.SESSION_LENGTH_S)
MAX_SERVICE_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the event log: translate it with `messages.render(key, params, lang)`."""

    seq: int
    t: float
    severity: str
    node: str | None
    key: str
    params: Mapping[str, object]

    def to_dict(self, lang: str | None = None) -> dict[str, object]:
        out: dict[str, object] = {
            "seq": self.seq,
            "t": self.t,
            "severity": self.severity,
            "node": self.node,
            "key": self.key,
            "params": dict(self.params),
        }
        if lang is not None:
            from sandbox.engine.messages import render

            out["text"] = render(self.key, {"node": self.node, **self.params}, lang)
        return out


class AutoscalingRule:
    __slots__ = ("tier", "enabled", "min", "max", "target", "cooldown_s", "cooldown_until_s")

    def __init__(self, tier: str) -> None:
        self.tier = tier
        self.enabled = False
        self.min = 1
        self.max = 8
        self.target = 0.7
        self.cooldown_s = 30.0
        self.cooldown_until_s = 0.0


def _staying_share(old: int, new: int) -> float:
    """Share of users whose `hash mod n` server index is the same for n = old and n = new."""
    if old <= 0 or new <= 0:
        return 0.0
    lcm = old * new // math.gcd(old, new)
    return sum(1 for h in range(lcm) if h % old == h % new) / lcm


class Simulation:
    """A running lab. Create it with `Simulation.from_preset(name, seed=…, users=…)`."""

    def __init__(self, *, seed: int = 1, preset: str = "") -> None:
        self.seed = seed
        self.preset = preset
        self.controls: tuple[str, ...] = ()
        self.rng = random.Random(seed)
        self.tick = 0
        self.topology_version = 0
        self.traffic = Traffic()
        # topology
        self.dcs: list[DataCenter] = []
        self.clients: list[Node] = []
        self.dns = make_dns()
        self.cdn: Node | None = None
        self.master: Node | None = None
        self.replicas: list[Node] = []
        self.shards: list[Node] = []
        self.queue: Node | None = None
        self.workers: list[Node] = []
        self.nodes: list[Node] = []
        self.by_id: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.groups: list[Pool] = []
        self._next_id: dict[str, int] = {}
        # settings
        self.session_mode = "stateless"
        self.sticky_sessions = False
        self.lb_algorithm = "round_robin"
        self.replication_mode = "async"
        self.auto_failover = True
        self.cache_enabled = False
        self.cache_size_keys = facts.CACHE_DEFAULT_SIZE_KEYS
        self.cache_ttl_s = facts.CACHE_DEFAULT_TTL_S
        self.cdn_enabled = False
        self.shard_count = 1
        self.hashing = "consistent"
        self.vnodes = facts.SHARD_VNODES
        self.shard_key = "user_id"
        self.hot_key_enabled = False
        self.hot_key_share = 0.1
        self.shard_shares: list[float] = [1.0]
        self.hot_shard = 0
        self.autoscaling: dict[str, AutoscalingRule] = {
            "web": AutoscalingRule("web"),
            "worker": AutoscalingRule("worker"),
        }
        # failover
        self.master_failed_tick = -1
        self.master_detected = False
        self.promoting: str | None = None
        self.pending_loss: dict[str, int] = {}
        self.former_masters: list[str] = []
        # timers: [tick, seq, kind, target]
        self._timers: list[tuple[int, int, str, str]] = []
        self._timer_seq = 0
        # events
        self.events: list[Event] = []
        self.event_seq = 0
        # per-tick flows
        self.users_now = 0.0
        self.offered_rps = 0.0
        self.error_rps = 0.0
        self.orders_rps = 0.0
        self.write_rps = 0.0  # writes the master (or the shards) committed this tick
        self.write_rate_s = 0.0  # smoothed
        self.unreachable_rps = 0.0
        self.region_rps: dict[str, float] = {}
        self.cdn_origin_share = 0.0
        self.queue_published = 0.0
        self.consumed_rps = 0.0
        # counters (cumulative)
        self.requests_total = 0.0
        self.errors_total = 0.0
        self.orders_total = 0.0
        self.sessions_lost = 0.0
        self.writes_lost = 0
        self.writes_failed = 0.0
        self.stale_reads = 0.0
        self.messages_lost = 0.0
        self.session_misses = 0.0
        self.keys_moved_share = 0.0
        # derived (rebuilt from the above; never in snapshots)
        self._routes: dict[str, DataCenter | None] = {}
        self._route_epoch = 0
        self._replica_network: dict[str, float] = {}  # master → replica network delay (s)
        self._db_nodes: list[Node] = []
        self._dirty = True
        self._metrics_cache: tuple[int, dict[str, Any]] | None = None
        self._cost_memo: tuple[int, dict[str, float], float] | None = None  # machines' cost by tier, sum
        # engine commands carried out so far (settings change only through them, or with the
        # topology): viewers need not look at the settings while this and topology_version stay
        self.commands_applied = 0

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_preset(cls, name: str, *, seed: int = 1, users: int | None = None) -> Simulation:
        from sandbox.engine.commands import CommandError

        spec = PRESETS.get(name)
        if spec is None:
            raise CommandError("cli_unknown_preset", field="preset", allowed=sorted(PRESETS), value=name)
        sim = cls(seed=seed, preset=name)
        sim._build(spec)
        if users is not None:
            sim.apply({"cmd": "set_users", "users": users})
            sim.events.clear()
            sim.event_seq = 0
        return sim

    def _build(self, spec: PresetSpec) -> None:
        self.controls = spec.controls
        traffic = self.traffic
        traffic.users = spec.users
        traffic.requests_per_user_s = spec.requests_per_user_s
        traffic.set_mix(spec.read_share, spec.write_share, spec.static_share)
        traffic.set_regions(dict(spec.region_shares))
        traffic.noise = spec.noise
        self.session_mode = spec.session_mode
        self.sticky_sessions = spec.sticky_sessions
        self.lb_algorithm = spec.lb_algorithm
        self.replication_mode = spec.replication
        self.auto_failover = spec.auto_failover
        self.cache_enabled = spec.cache
        self.cache_size_keys = spec.cache_size_keys
        self.cache_ttl_s = spec.cache_ttl_s
        self.hashing = spec.hashing
        web_size = [s.name for s in facts.WEB_SIZES].index(spec.web_size)
        db_size = [s.name for s in facts.DB_SIZES].index(spec.db_size)
        for region in spec.data_centers:
            dc = self.add_data_center(region, web_servers=spec.web_servers, web_size=web_size)
            if spec.load_balancer and dc.lb is None:
                self.ensure_lb(dc)
        home = self.dcs[0]
        self.master = make_db(self.new_id("db"), home, "master", db_size)
        remote = self.dcs[1:]
        for k in range(spec.replicas):
            dc = remote[k] if k < len(remote) else home
            self.replicas.append(make_db(self.new_id("db"), dc, "replica", db_size))
        if spec.cdn:
            self.cdn_enabled = True
            self.cdn = make_cdn("cdn")
        if spec.consumers is not None:
            self.ensure_queue()
            for _ in range(spec.consumers):
                self.workers.append(make_worker(self.new_id("worker"), home))
        for service, share in spec.services:
            self.split_service(service, share)
        if spec.shards > 1:
            self.set_shard_count(spec.shards)
        for rule in spec.autoscaling:
            from sandbox.engine.control import apply_command

            apply_command(self, parse_command({"cmd": "set_autoscaling", **rule}), quiet=True)
        self.sync_clients()
        self.relayout()

    # ------------------------------------------------------------------ topology helpers

    def new_id(self, prefix: str) -> str:
        number = self._next_id.get(prefix, 0) + 1
        self._next_id[prefix] = number
        return f"{prefix}-{number}"

    def add_data_center(self, region: str, *, web_servers: int, web_size: int) -> DataCenter:
        dc = DataCenter(self.new_id("dc"), region)
        self.dcs.append(dc)
        for _ in range(max(1, web_servers)):
            dc.main_pool.servers.append(make_web(self.new_id("web"), dc, WEB_SERVICE, web_size))
        if web_servers > 1:
            self.ensure_lb(dc)
        if self.session_mode == "stateless":
            dc.session_store = make_session_store(self.new_id("sessions"), dc)
        if self.cache_enabled:
            dc.caches.append(make_cache(self.new_id("cache"), dc, self.cache_size_keys))
        return dc

    def ensure_lb(self, dc: DataCenter) -> Node | None:
        if dc.lb is None:
            dc.lb = make_lb(self.new_id("lb"), dc, self.sticky_sessions)
            if dc.failed:
                dc.lb.set_status(DOWN)
            return dc.lb
        return None

    def ensure_queue(self) -> Node | None:
        if self.queue is None:
            self.queue = make_queue("mq-1", self.dcs[0] if self.dcs else None)
            return self.queue
        return None

    def split_service(self, service: str, share: float) -> None:
        for dc in self.dcs:
            pool = dc.pool(service)
            if pool is None:
                pool = Pool(service, dc.id, share)
                size = dc.main_pool.servers[0] if dc.main_pool.servers else None
                index = size_index(size) if size is not None else 0
                pool.servers.append(make_web(self.new_id(service), dc, service, index))
                dc.pools.append(pool)
                self.ensure_lb(dc)
            pool.share = share
        self._update_main_shares()

    def _update_main_shares(self) -> None:
        for dc in self.dcs:
            dc.main_pool.share = 1.0 - sum(pool.share for pool in dc.pools[1:])

    def set_shard_count(self, count: int) -> None:
        """Re-architect the database: 1 = a master (+ replicas); N ≥ 2 = N shards."""
        home = self.dcs[0]
        if count <= 1:
            if self.shards:
                self.master = make_db(self.new_id("db"), home, "master", size_index(self.shards[0]))
                self.shards = []
        else:
            template = self.master or (self.shards[0] if self.shards else None)
            index = size_index(template) if template is not None else 0
            if self.master is not None:
                self.master = None
                self.replicas = []
                self.promoting = None
                self.pending_loss = {}
                self.master_failed_tick = -1
            while len(self.shards) < count:
                self.shards.append(make_db(f"shard-{len(self.shards) + 1}", home, "shard", index))
            del self.shards[count:]
        self.shard_count = max(1, count)
        self.update_shard_shares()

    def update_shard_shares(self) -> None:
        count = self.shard_count
        if self.shard_key == "region":
            regions = list(self.traffic.region_shares)
            shares = sharding.region_shares(
                count, self.hashing, self.vnodes, regions, [self.traffic.region_shares[r] for r in regions]
            )
        else:
            shares = sharding.key_shares(count, self.hashing, self.vnodes)
        self.hot_shard = sharding.shard_of(sharding.stable_hash("hot-key"), count, self.hashing, self.vnodes)
        if self.hot_key_enabled:
            h = self.hot_key_share
            shares = [(1.0 - h) * s + (h if i == self.hot_shard else 0.0) for i, s in enumerate(shares)]
        self.shard_shares = shares

    def relayout(self) -> None:
        """Rebuild the node list, groups and edges after any change of topology."""
        self.relink()
        self.topology_version += 1

    def relink(self) -> None:
        """Derive the node list, the index by id, the groups and the edges from the topology."""
        nodes: list[Node] = [*self.clients, self.dns]
        if self.cdn is not None:
            nodes.append(self.cdn)
        groups: list[Pool] = []
        for dc in self.dcs:
            nodes.extend(dc.nodes())
            groups.extend(dc.pools)
        if self.master is not None:
            nodes.append(self.master)
        nodes.extend(self.replicas)
        nodes.extend(self.shards)
        if self.queue is not None:
            nodes.append(self.queue)
        nodes.extend(self.workers)
        self.nodes = nodes
        self.by_id = {node.id: node for node in nodes}
        self._db_nodes = self._list_db_nodes()
        self.groups = groups
        self.edges = self._build_edges()
        self._dirty = True

    def sync_clients(self) -> None:
        """One clients node per region that has users."""
        existing = {client.region: client for client in self.clients}
        self.clients = [existing.get(region) or make_clients(region) for region in self.traffic.region_shares]

    def _build_edges(self) -> list[Edge]:
        edges: list[Edge] = []
        for client in self.clients:
            if self.cdn is not None:
                edges.append(Edge(client.id, self.cdn.id, ("static",)))
            for dc in self.dcs:
                edges.append(Edge(client.id, self._entry(dc).id, ("read", "write", "static")))
        for dc in self.dcs:
            if self.cdn is not None:
                edges.append(Edge(self.cdn.id, self._entry(dc).id, ("static",)))
            if dc.lb is not None:
                for pool in dc.pools:
                    for server in pool.servers:
                        edges.append(Edge(dc.lb.id, server.id, ("read", "write", "static")))
            for pool in dc.pools:
                group = pool.group_id
                if dc.session_store is not None:
                    edges.append(Edge(group, dc.session_store.id, ("read", "write")))
                for cache in dc.caches:
                    edges.append(Edge(group, cache.id, ("read",)))
                for db in self.db_nodes():
                    kinds = ("write",) if db.role == "master" else ("read", "write")
                    edges.append(Edge(group, db.id, ("read", *kinds) if db.role == "master" else kinds))
                if self.queue is not None:
                    edges.append(Edge(group, self.queue.id, ("queued",)))
        if self.master is not None:
            for replica in self.replicas:
                edges.append(Edge(self.master.id, replica.id, ("write",)))
        if self.queue is not None:
            for worker in self.workers:
                edges.append(Edge(self.queue.id, worker.id, ("queued",)))
        return edges

    def _entry(self, dc: DataCenter) -> Node:
        return dc.lb if dc.lb is not None else dc.main_pool.servers[0]

    def db_nodes(self) -> list[Node]:
        """The database nodes: the shards, or the master and its replicas (as of the last relink)."""
        return self._db_nodes

    def _list_db_nodes(self) -> list[Node]:
        if self.shards:
            return list(self.shards)
        return ([self.master] if self.master is not None else []) + list(self.replicas)

    def web_nodes(self) -> Iterator[Node]:
        for dc in self.dcs:
            for pool in dc.pools:
                yield from pool.servers

    def tier_count(self, tier: str) -> int:
        if tier == "db":
            return len(self.db_nodes())
        return sum(1 for node in self.nodes if node.tier == tier)

    def dc(self, dc_id: str | None) -> DataCenter | None:
        for dc in self.dcs:
            if dc.id == dc_id:
                return dc
        return None

    def dc_of(self, node: Node) -> DataCenter:
        found = self.dc(node.dc)
        return found if found is not None else self.dcs[0]

    def pool_of(self, node: Node) -> Pool | None:
        dc = self.dc(node.dc)
        if dc is None:
            return None
        for pool in dc.pools:
            if node in pool.servers:
                return pool
        return None

    def has_detector(self, node: Node) -> bool:
        """Whether something notices this node's failure and routes around it."""
        if node.tier == "web":
            return self.dc_of(node).lb is not None
        return node.tier in ("cache",) or (node.tier == "db" and node.role == "replica")

    # ------------------------------------------------------------------ events and timers

    def log(
        self, message_key: str, /, *, severity: str = "info", node: str | None = None, **params: object
    ) -> None:
        """Append to the event log (`message_key` is a key of messages.MESSAGES)."""
        self.event_seq += 1
        self.events.append(Event(self.event_seq, self.time_s, severity, node, message_key, params))
        if len(self.events) > EVENT_LOG_LIMIT:
            del self.events[: len(self.events) - EVENT_LOG_LIMIT]

    def events_since(self, seq: int) -> list[Event]:
        return [event for event in self.events if event.seq > seq]

    def schedule(self, delay_s: float, kind: str, target: str) -> None:
        self._timer_seq += 1
        heapq.heappush(
            self._timers, (self.tick + max(1, round(delay_s * TPS)), self._timer_seq, kind, target)
        )

    @property
    def time_s(self) -> float:
        return self.tick / TPS

    # ------------------------------------------------------------------ public verbs

    def apply(self, command: Mapping[str, object] | Command) -> Command:
        """Validate and carry out one command between ticks. Lab-scope commands (pause, resume,
        step, set_speed, reset, set_seed) are validated and returned untouched: the live-lab
        runner carries them out. Raises CommandError."""
        from sandbox.engine.control import apply_command

        parsed = parse_command(command)
        if parsed.scope == "engine":
            apply_command(self, parsed)
            self._metrics_cache = None
        return parsed

    def step(self, ticks: int = 1) -> None:
        for _ in range(ticks):
            self._tick()
        self._metrics_cache = None

    # ------------------------------------------------------------------ the tick

    def _tick(self) -> None:
        self.tick += 1
        tick = self.tick
        timers = self._timers
        while timers and timers[0][0] <= tick:
            _when, _seq, kind, target = heapq.heappop(timers)
            self._on_timer(kind, target)
        if tick % HEALTH_CHECK_TICKS == 0:
            self._health_check()
        if tick % AUTOSCALE_TICKS == 0 and (
            self.autoscaling["web"].enabled or self.autoscaling["worker"].enabled
        ):
            from sandbox.engine.control import autoscale

            autoscale(self)
        if self._dirty:
            self._rebuild_routes()

        traffic = self.traffic
        traffic.advance_noise(self.rng)
        users = traffic.effective_users(tick / TPS)
        self.users_now = users
        total = traffic.request_rate(users)
        static_share = traffic.static_share
        read_share = traffic.read_share
        write_share = traffic.write_share
        errors = 0.0
        for dc in self.dcs:
            dc.in_rps[0] = dc.in_rps[1] = dc.in_rps[2] = 0.0
            dc.users = 0.0
        cdn = self.cdn
        origin = 1.0
        if cdn is not None:
            static_total = total * static_share
            cdn_served = cdn.flow(static_total)
            errors += cdn.dropped
            origin = cdn_served * (1.0 - facts.CDN_HIT_RATIO) / static_total if static_total > 0.0 else 0.0
            self.cdn_origin_share = origin
        unreachable = 0.0
        routes = self._routes
        region_rps = self.region_rps
        for region, share in traffic.region_shares.items():
            rps = total * share
            region_rps[region] = rps
            route = routes.get(region)
            if route is None:
                lost = rps * (read_share + write_share) + rps * static_share * (
                    origin if cdn is not None else 1.0
                )
                unreachable += lost
                continue
            route.in_rps[0] += rps * static_share * origin
            route.in_rps[1] += rps * read_share
            route.in_rps[2] += rps * write_share
            route.users += users * share
        self.unreachable_rps = unreachable
        errors += unreachable

        for dc in self.dcs:
            errors += self._dc_flow(dc)
        errors += self._database_flow()
        errors += self._queue_flow()

        self.offered_rps = total
        self.error_rps = errors
        self.requests_total += total * DT
        self.errors_total += errors * DT
        self.orders_total += self.orders_rps * DT

    def _rebuild_routes(self) -> None:
        """GeoDNS (region → nearest routed data center) and each data center's read targets."""
        self._routes = {}
        for region in self.traffic.region_shares:
            best: DataCenter | None = None
            best_rtt = math.inf
            for dc in self.dcs:
                if dc.routed:
                    rtt = facts.region_rtt_ms(region, dc.region)
                    if rtt < best_rtt:
                        best, best_rtt = dc, rtt
            self._routes[region] = best
        for dc in self.dcs:
            dc.read_plan = self._read_plan(dc)
        self._replica_network = {}
        if self.master is not None:
            master_dc = self.dc_of(self.master)
            for replica in self.replicas:
                hop = (
                    facts.REPLICATION_NETWORK_MS / 1000.0 + _inter_dc_s(master_dc, self.dc_of(replica)) / 2.0
                )
                self._replica_network[replica.id] = hop
        self._route_epoch += 1
        self._dirty = False

    def _read_plan(self, dc: DataCenter) -> list[tuple[Node, float, float]]:
        if self.shards:
            home = self.dc_of(self.shards[0])
            extra = _inter_dc_s(dc, home)
            return [
                (shard, share, extra) for shard, share in zip(self.shards, self.shard_shares, strict=False)
            ]
        replicas = [r for r in self.replicas if r.routable and r.role == "replica"]
        local = [r for r in replicas if r.dc == dc.id]
        if local:
            return [(r, 1.0 / len(local), 0.0) for r in local]
        master = self.master
        if master is not None and master.routable and master.dc == dc.id:
            return [(master, 1.0, 0.0)]  # no replica here: the master next door, not another continent
        if replicas:
            nearest = min(replicas, key=lambda r: (_inter_dc_s(dc, self.dc_of(r)), r.id))
            place = self.dc_of(nearest)
            same = [r for r in replicas if r.dc == place.id]
            return [(r, 1.0 / len(same), _inter_dc_s(dc, place)) for r in same]
        if self.master is not None:
            return [(self.master, 1.0, _inter_dc_s(dc, self.dc_of(self.master)))]
        return []

    # --- web tier

    def _dc_flow(self, dc: DataCenter) -> float:
        """Load balancer, pools, session store and cache of one data center; returns errors/s."""
        static, reads, writes = dc.in_rps
        lam = static + reads + writes
        errors = 0.0
        lb = dc.lb
        if lb is not None:
            served = lb.flow(lam)
            errors += lb.dropped
            passed = served / lam if lam > 0.0 else 1.0
            static *= passed
            reads *= passed
            writes *= passed
        read_out = 0.0
        write_out = 0.0
        stateful = self.session_mode == "stateful"
        for index, pool in enumerate(dc.pools):
            share = pool.share
            if index == 0:
                errors += self._pool_flow(pool, dc, static, reads * share, writes * share, stateful)
            else:
                errors += self._pool_flow(pool, dc, 0.0, reads * share, writes * share, False)
            read_out += pool.out_rps[1]
            write_out += pool.out_rps[2]
        store = dc.session_store
        if store is not None:
            store.sessions = dc.users
            lookups = read_out + write_out
            served = store.flow(lookups)
            errors += store.dropped
            if lookups > 0.0:
                passed = served / lookups
                read_out *= passed
                write_out *= passed
        dc.entry_lost = errors
        caches = dc.caches
        db_reads = self._cache_flow(dc, read_out) if caches else read_out
        dc.flows_out[0] = read_out
        dc.flows_out[1] = write_out
        dc.flows_out[2] = db_reads
        return errors

    def _pool_flow(
        self, pool: Pool, dc: DataCenter, static: float, reads: float, writes: float, stateful: bool
    ) -> float:
        servers = pool.servers
        lam = static + reads + writes
        pool.in_rps[0] = static
        pool.in_rps[1] = reads
        pool.in_rps[2] = writes
        if lam > 0.0:
            pool.mix[0] = static / lam
            pool.mix[1] = reads / lam
            pool.mix[2] = writes / lam
        sticky = stateful and (self.sticky_sessions or self.lb_algorithm == "ip_hash")
        total_sessions = 0.0
        if stateful:
            total_sessions = self._update_sessions(pool, dc)
        if sticky and total_sessions > 0.0:
            for server in servers:
                server.weight = server.sessions / total_sessions
            pool.weights_epoch = -1
            routed = 1.0
        elif pool.weights_epoch != self._route_epoch or self.lb_algorithm == "least_connections":
            routed = pool.routed = self._algorithm_weights(servers)
            pool.weights_epoch = self._route_epoch
        else:
            routed = pool.routed
        rejected = 0.0
        served_total = 0.0
        errors = 0.0
        check_sessions = stateful and not sticky and total_sessions > 0.0
        dynamic = pool.mix[1] + pool.mix[2]
        for server in servers:
            weight = server.weight
            if weight > 0.0:
                served = server.flow(lam * weight)
            else:
                server.idle()
                served = server.served
            if check_sessions and served > 0.0:
                rejected += served * dynamic * (1.0 - server.sessions / total_sessions)
            served_total += served
            errors += server.dropped
        if routed <= 0.0:
            errors += lam  # no server to send it to
        if rejected > 0.0:
            self.session_misses += rejected * DT
        pool.rejected = rejected
        out_static = served_total * pool.mix[0]
        out_dynamic = served_total * dynamic - rejected
        pool.out_rps[0] = out_static
        if dynamic > 0.0:
            pool.out_rps[1] = out_dynamic * pool.mix[1] / dynamic
            pool.out_rps[2] = out_dynamic * pool.mix[2] / dynamic
        else:
            pool.out_rps[1] = pool.out_rps[2] = 0.0
        return errors + rejected

    def _algorithm_weights(self, servers: list[Node]) -> float:
        """Set `weight` on each server from the load-balancing algorithm; return their sum."""
        routable = [s for s in servers if s.routable and s.status != DRAINING]
        for server in servers:
            server.weight = 0.0
        if not routable:
            return 0.0
        if self.lb_algorithm == "least_connections" and len(routable) > 1:
            # Fewest connections in flight: a server's share follows its spare capacity; a dead
            # server answers errors instantly, looks idle, and attracts more (the sinkhole effect).
            scores = []
            for server in routable:
                if server.up:
                    busy = server.backlog / server.cap_dt
                    scores.append(server.cap / (1.0 + busy + server.util))
                else:
                    scores.append(-1.0)
            live = [score for score in scores if score > 0.0]
            best = max(live) if live else 1.0
            scores = [2.0 * best if score < 0.0 else score for score in scores]
            total = sum(scores)
            for server, score in zip(routable, scores, strict=True):
                server.weight = score / total
        else:
            share = 1.0 / len(routable)
            for server in routable:
                server.weight = share
        return 1.0

    def _update_sessions(self, pool: Pool, dc: DataCenter) -> float:
        """Stateful tier: sessions end, new users log in (placed by the LB algorithm); returns the total."""
        servers = pool.servers
        if pool.service != WEB_SERVICE:
            return 0.0
        accepting = [s for s in servers if s.routable and s.up and s.status != DRAINING]
        if self.lb_algorithm == "ip_hash":
            self._ip_hash_remap(pool, accepting)
        live = 0.0
        frozen = 0.0
        for server in servers:
            if server.up:
                server.sessions *= SESSION_DECAY
                live += server.sessions
            else:
                frozen += server.sessions
        target = dc.users
        new = target - live - frozen
        if new < 0.0:
            factor = max(0.0, target - frozen) / live if live > 0.0 else 0.0
            for server in servers:
                if server.up:
                    server.sessions *= factor
        elif accepting and new > 0.0:
            if self.lb_algorithm == "least_connections":
                _water_fill(accepting, new)
            else:
                share = new / len(accepting)
                for server in accepting:
                    server.sessions += share
        return sum(server.sessions for server in servers)

    def _ip_hash_remap(self, pool: Pool, accepting: list[Node]) -> None:
        count = len(accepting)
        previous = pool.hash_members
        pool.hash_members = count
        if previous == count or count == 0 or previous == 0:
            return
        live = [s for s in pool.servers if s.up]
        total = sum(s.sessions for s in live)
        moved = total * (1.0 - _staying_share(previous, count))
        if moved > 0.5:
            self.sessions_lost += moved
            self.log("sessions_remapped", severity="warning", count=round(moved))
        kept = total - moved
        for server in live:
            server.sessions = kept / count if server in accepting else 0.0

    # --- cache

    def _cache_flow(self, dc: DataCenter, reads: float) -> float:
        """Reads through the cache nodes; returns the reads that reach the database (misses)."""
        caches = dc.caches
        n = 0
        for cache in caches:
            if cache.routable:
                n += 1
        to_db = 0.0
        if n == 0:
            for cache in caches:
                cache.idle()
            return reads
        each = reads / n
        ttl = self.cache_ttl_s
        for cache in caches:
            if not cache.routable:
                cache.idle()
                continue
            served = cache.flow(each)
            to_db += cache.dropped  # a dead or overloaded cache: the application falls back to the database
            if not cache.up:
                continue
            cluster_rate = cache.lam_s * n
            if not 0.99 * cluster_rate <= cache.memo2_in <= 1.01 * cluster_rate:  # moved by over 1 %
                cache.memo2_in = cluster_rate
                cache.memo2_out = min(float(cache.size_keys), popularity.cached_keys(cluster_rate * ttl) / n)
            capacity = cache.memo2_out
            filled = cache.filled * n
            if not (0.99 * filled <= cache.memo_in <= 1.01 * filled) or not (
                0.99 * cluster_rate <= cache.memo_in2 <= 1.01 * cluster_rate
            ):
                cache.memo_in = filled
                cache.memo_in2 = cluster_rate
                cache.memo_out = popularity.hit_ratio(filled, cluster_rate, ttl) if filled > 0.0 else 0.0
            hit = cache.memo_out
            cache.hit = hit
            misses = served * (1.0 - hit)
            to_db += misses
            if capacity > 0.0:
                cache.filled = min(
                    capacity, cache.filled + misses * DT * max(0.0, 1.0 - cache.filled / capacity)
                )
            else:
                cache.filled = 0.0
        return to_db

    # --- database

    def _database_flow(self) -> float:
        errors = 0.0
        db_nodes = self.db_nodes()
        for node in db_nodes:
            node.read_rps = 0.0
            node.write_rps = 0.0
        writes = 0.0
        for dc in self.dcs:
            _read_out, write_out, db_reads = dc.flows_out
            writes += write_out
            plan = dc.read_plan
            if not plan:
                errors += db_reads
                continue
            for node, share, _extra in plan:
                node.read_rps += db_reads * share
        if self.shards:
            for shard, share in zip(self.shards, self.shard_shares, strict=False):
                shard.write_rps = writes * share
        elif self.master is not None:
            self.master.write_rps = writes
        else:
            errors += writes
        committed = 0.0
        for node in db_nodes:
            lam = node.read_rps + node.write_rps
            if lam <= 0.0:
                node.idle()
                continue
            served = node.flow(lam)
            errors += node.dropped
            if node.write_rps > 0.0:
                committed += served * node.write_rps / lam
        self.writes_failed += max(0.0, writes - committed) * DT if writes > committed else 0.0
        self.write_rps = committed
        self.write_rate_s += SMOOTHING * (committed - self.write_rate_s)
        if self.master is not None:
            self._replication_flow(self.master)
        return errors

    def _replication_flow(self, master: Node) -> None:
        written = self.write_rps
        smoothed = self.write_rate_s
        network = self._replica_network
        for replica in self.replicas:
            if replica.role != "replica":
                continue
            rate = replica.cap
            if replica.up:
                backlog = replica.apply_backlog + (written - rate) * DT
                replica.apply_backlog = backlog if backlog > 0.0 else 0.0
            else:
                replica.apply_backlog += written * DT
            queueing = 1.0 / (rate - smoothed) if smoothed < 0.99 * rate else 100.0 / rate
            lag = network.get(replica.id, 0.0) + replica.apply_backlog / rate + queueing
            replica.lag_s = lag
            if replica.served > 0.0 and replica.up:
                if not (0.99 * smoothed <= replica.memo_in <= 1.01 * smoothed) or not (
                    0.99 * lag <= replica.memo_in2 <= 1.01 * lag
                ):
                    replica.memo_in = smoothed
                    replica.memo_in2 = lag
                    replica.memo_out = popularity.stale_share(smoothed, lag)
                self.stale_reads += replica.served * replica.memo_out * DT

    # --- message queue

    def _queue_flow(self) -> float:
        queue = self.queue
        committed = self.write_rps
        if queue is None:
            self.orders_rps = committed
            return 0.0
        accepted = queue.flow(committed)
        errors = queue.dropped
        self.orders_rps = accepted if queue.up else 0.0
        queue.messages += accepted * DT
        capacity = 0.0
        for worker in self.workers:
            if worker.up:
                capacity += worker.cap
        consumed = min(queue.messages, capacity * DT)
        queue.messages -= consumed
        rate = consumed * RATE_PER_TICK
        self.consumed_rps = rate
        for worker in self.workers:
            if worker.up and capacity > 0.0:
                worker.flow(rate * worker.cap / capacity)
            else:
                worker.idle()
        if queue.messages > facts.QUEUE_MAX_MESSAGES:
            lost = queue.messages - facts.QUEUE_MAX_MESSAGES
            if self.messages_lost == 0.0:
                self.log("messages_dropped", severity="error", node=queue.id)
            self.messages_lost += lost
            queue.messages = float(facts.QUEUE_MAX_MESSAGES)
        if queue.messages > 1e-9:
            queue.age_s = queue.messages / queue.lam_s if queue.lam_s > 1e-9 else queue.age_s + DT
        else:
            queue.messages = 0.0
            queue.age_s = 0.0
        self.queue_published = accepted
        return errors

    # ------------------------------------------------------------------ timers and health checks

    def _on_timer(self, kind: str, target: str) -> None:
        from sandbox.engine import control

        control.on_timer(self, kind, target)

    def _health_check(self) -> None:
        """The load balancer (and the app's connection pools) probe every node that has a detector."""
        changed = False
        now = self.time_s
        for node in self.nodes:
            if node.tier not in ("web", "cache", "db") or not self.has_detector(node):
                continue
            if not node.up and node.routable and node.status != STARTING:
                node.routable = False
                changed = True
                if node.status == DETECTING:
                    node.set_status(DOWN)
                    after = round(now - node.failed_tick / TPS, 1)
                    self._on_detected(node, after)
            elif node.up and not node.routable and node.status == UP:
                node.routable = True
                changed = True
                self.log("back_in_rotation", node=node.id)
        if changed:
            self._dirty = True
        from sandbox.engine import control

        control.after_health_check(self)

    def _on_detected(self, node: Node, after_s: float) -> None:
        if node.tier == "web":
            pool = self.pool_of(node)
            others = [s for s in pool.servers if s.routable] if pool is not None else []
            key = "failure_detected" if others else "failure_detected_no_spare"
            self.log(key, severity="warning", node=node.id, after_s=after_s)
            node.sessions = 0.0  # its users log in again elsewhere (already counted as lost)
        else:
            self.log("failure_detected", severity="warning", node=node.id, after_s=after_s)

    # ------------------------------------------------------------------ metrics

    def _paths(self) -> tuple[list[Path], dict[str, list[Path]], dict[str, list[Path]]]:
        """The request classes, as paths through the nodes (see latency.py)."""
        traffic = self.traffic
        paths: list[Path] = []
        by_region: dict[str, list[Path]] = {}
        static_by_region: dict[str, list[Path]] = {}
        total = self.offered_rps
        fits: dict[int, StageFit] = {}  # each stage's fit, shared by the paths through it
        routes: dict[str, _DcRoutes] = {}  # each data center's stages, shared by its regions
        cdn_stage: Stage = [(self.cdn, 1.0, 0.0)] if self.cdn is not None else []
        for region, share in traffic.region_shares.items():
            rps = total * share
            region_paths: list[Path] = []
            static_paths: list[Path] = []
            dc = self._routes.get(region)
            plan = None
            if dc is not None:
                plan = routes.get(dc.id)
                if plan is None:
                    plan = routes[dc.id] = self._dc_routes(dc)
            static = rps * traffic.static_share
            if self.cdn is not None:
                hit = Path(static * facts.CDN_HIT_RATIO, facts.CDN_EDGE_RTT_MS / 1000.0, [cdn_stage], fits)
                static_paths.append(hit)
                if dc is not None and plan is not None:
                    fixed = (facts.CDN_EDGE_RTT_MS + facts.region_rtt_ms(region, dc.region)) / 1000.0
                    stages = [cdn_stage, *plan.static]
                    static_paths.append(Path(static * (1.0 - facts.CDN_HIT_RATIO), fixed, stages, fits))
            elif dc is not None and plan is not None:
                fixed = facts.region_rtt_ms(region, dc.region) / 1000.0
                static_paths.append(Path(static, fixed, plan.static, fits))
            region_paths.extend(static_paths)
            if dc is not None and plan is not None:
                rtt = facts.region_rtt_ms(region, dc.region) / 1000.0
                for pool_share, reads_by, write_stages, write_delay in plan.pools:
                    reads = rps * traffic.read_share * pool_share
                    writes = rps * traffic.write_share * pool_share
                    for part, stages in reads_by:
                        region_paths.append(Path(reads if part is None else reads * part, rtt, stages, fits))
                    region_paths.append(Path(writes, rtt + write_delay, write_stages, fits))
            paths.extend(region_paths)
            by_region[region] = region_paths
            static_by_region[region] = static_paths
        return paths, by_region, static_by_region

    def _dc_routes(self, dc: DataCenter) -> _DcRoutes:
        """The stages requests go through in one data center: static files from the main pool;
        per pool, reads (through the cache, hit and miss, or straight to the database) and writes."""
        pools = []
        for pool in dc.pools:
            front = self._web_stages(dc, pool, True)
            db_read: Stage = dc.read_plan
            reads_by: list[tuple[float | None, list[Stage]]]
            if dc.caches:
                cache_stage: Stage = [(c, 1.0, 0.0) for c in dc.caches if c.routable]
                ratio = sum(c.hit for c in dc.caches if c.routable) / max(1, len(cache_stage))
                reads_by = [(ratio, [*front, cache_stage]), (1.0 - ratio, [*front, cache_stage, db_read])]
            else:
                reads_by = [(None, [*front, db_read])]
            write_stages = [*front, self._write_stage(dc)]
            if self.queue is not None:
                write_stages.append([(self.queue, 1.0, 0.0)])
            pools.append((pool.share, reads_by, write_stages, self._write_delay_s(dc)))
        return _DcRoutes(self._web_stages(dc, dc.main_pool, False), pools)

    def _web_stages(self, dc: DataCenter, pool: Pool, dynamic: bool) -> list[Stage]:
        stages: list[Stage] = []
        if dc.lb is not None:
            stages.append([(dc.lb, 1.0, 0.0)])
        stages.append([(s, s.weight, 0.0) for s in pool.servers if s.weight > 0.0])
        if dynamic and dc.session_store is not None:
            stages.append([(dc.session_store, 1.0, 0.0)])
        return stages

    def _write_stage(self, dc: DataCenter) -> Stage:
        if self.shards:
            home = self.dc_of(self.shards[0])
            return [
                (s, share, _inter_dc_s(dc, home))
                for s, share in zip(self.shards, self.shard_shares, strict=False)
            ]
        if self.master is None:
            return []
        return [(self.master, 1.0, _inter_dc_s(dc, self.dc_of(self.master)))]

    def _write_delay_s(self, dc: DataCenter) -> float:
        """Synchronous replication: a write also waits for the nearest replica to acknowledge it."""
        if self.replication_mode != "sync" or self.master is None:
            return 0.0
        master_dc = self.dc_of(self.master)
        best = math.inf
        for replica in self.replicas:
            if replica.up and replica.role == "replica":
                delay = 2.0 * facts.REPLICATION_NETWORK_MS / 1000.0 + _inter_dc_s(
                    master_dc, self.dc_of(replica)
                )
                best = min(best, delay + 1.0 / replica.cap)
        return 0.0 if best == math.inf else best

    def latency_summary(self, *, regions: bool = True) -> dict[str, Any]:
        """End-to-end latency of the last tick: mean and p50/p95/p99 (ms), and per region the mean
        and the static files' mean (left empty with `regions=False`). The costly part of
        `metrics()` (a root search per percentile)."""
        paths, by_region, static_by_region = self._paths()
        overall = summarize(paths)
        means: dict[str, dict[str, float]] = {}
        for region, region_paths in by_region.items() if regions else ():
            weight = sum(p.weight for p in region_paths)
            static_weight = sum(p.weight for p in static_by_region[region])
            means[region] = {
                "mean_ms": seconds_to_ms(
                    sum(p.weight * p.mean_s for p in region_paths) / weight if weight else 0.0
                ),
                "static_ms": seconds_to_ms(
                    sum(p.weight * p.mean_s for p in static_by_region[region]) / static_weight
                    if static_weight
                    else 0.0
                ),
            }
        return {
            "mean_ms": seconds_to_ms(overall["mean"]),
            "p50_ms": seconds_to_ms(overall["p50"]),
            "p95_ms": seconds_to_ms(overall["p95"]),
            "p99_ms": seconds_to_ms(overall["p99"]),
            "regions": means,
        }

    def metrics(self, latency: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Aggregate metrics of the last tick (latency in ms, rates per second, counters so far).

        `latency`: a `latency_summary()` computed earlier, to reuse instead of a fresh one (the
        frame encoder refreshes percentiles at 2 Hz; everything else is always of this tick)."""
        if latency is None and self._metrics_cache is not None and self._metrics_cache[0] == self.tick:
            return self._metrics_cache[1]
        summary = latency if latency is not None else self.latency_summary()
        offered = self.offered_rps
        regions: dict[str, dict[str, Any]] = {}
        for region in self.traffic.region_shares:
            route = self._routes.get(region)
            region_latency = summary["regions"].get(region, {"mean_ms": 0.0, "static_ms": 0.0})
            regions[region] = {
                "users": round(self.users_now * self.traffic.region_shares[region]),
                "rps": round_rate(self.region_rps.get(region, 0.0)),
                "dc": route.id if route is not None else None,
                "mean_ms": region_latency["mean_ms"],
                "static_ms": region_latency["static_ms"],
            }
        cost_by_tier = self.cost_by_tier()
        error_rate = self.error_rate()
        out: dict[str, Any] = {
            "t": self.time_s,
            "tick": self.tick,
            "users": round(self.users_now),
            "rps": round_rate(offered),
            "throughput_rps": round_rate(max(0.0, offered - self.error_rps)),
            "error_rps": round_rate(self.error_rps),
            "error_rate": round(min(1.0, error_rate), 6),
            "availability": round(1.0 - min(1.0, error_rate), 6),
            "availability_total": round(self.availability_total(), 6),
            "mean_ms": summary["mean_ms"],
            "p50_ms": summary["p50_ms"],
            "p95_ms": summary["p95_ms"],
            "p99_ms": summary["p99_ms"],
            "sessions": round(self.sessions_now()),
            "sessions_lost": round(self.sessions_lost),
            "session_misses": round(self.session_misses),
            "writes_lost": self.writes_lost,
            "writes_failed": round(self.writes_failed),
            "stale_reads": round(self.stale_reads),
            "replication_lag_ms": seconds_to_ms(self.replication_lag_s()),
            "orders_per_s": round_rate(self.orders_rps),
            "orders_total": round(self.orders_total),
            "queue_depth": round(self.queue.messages) if self.queue is not None else 0,
            "queue_age_s": round(self.queue.age_s, 2) if self.queue is not None else 0.0,
            "messages_lost": round(self.messages_lost),
            "consumed_per_s": round_rate(self.consumed_rps),
            "hit_ratio": round(self.cache_hit_ratio(), 4),
            "db_read_rps": round_rate(sum(n.read_rps for n in self.db_nodes())),
            "db_write_rps": round_rate(sum(n.write_rps for n in self.db_nodes())),
            "keys_moved_share": round(self.keys_moved_share, 4),
            "cost_per_hour": round(self.cost_per_hour(), 2),
            "cost_by_tier": {tier: round(cost, 4) for tier, cost in cost_by_tier.items()},
            "requests_total": round(self.requests_total),
            "errors_total": round(self.errors_total),
            "regions": regions,
            "services": self._service_metrics(),
        }
        if latency is None:
            self._metrics_cache = (self.tick, out)
        return out

    # The figures that `metrics()` and the frame encoder both report, one method each.

    def error_rate(self) -> float:
        """Share of this tick's offered requests that failed."""
        offered = self.offered_rps
        return self.error_rps / offered if offered > 0.0 else 0.0

    def availability_total(self) -> float:
        """Share of every request since the start that succeeded (1 before any)."""
        return 1.0 - self.errors_total / self.requests_total if self.requests_total > 0.0 else 1.0

    def sessions_now(self) -> float:
        """Logged-in sessions: on the web servers (stateful tier) or in the session stores."""
        total: float = 0
        if self.session_mode == "stateful":
            for dc in self.dcs:
                for pool in dc.pools:
                    for server in pool.servers:
                        total += server.sessions
        else:
            for dc in self.dcs:
                total += dc.users
        return total

    def cache_hit_ratio(self) -> float:
        """Hit ratio of the reads the live cache nodes served this tick (0 without any)."""
        reads = hits = 0.0
        for dc in self.dcs:
            for cache in dc.caches:
                if cache.up:
                    reads += cache.served
                    hits += cache.served * cache.hit
        return hits / reads if reads > 0 else 0.0

    def replication_lag_s(self) -> float:
        """The largest replication lag among the replicas that serve reads (0 without any). A
        replica that is down serves nobody stale data: its backlog (the writes it must catch up
        on) shows as lag once it is back."""
        lags = [r.lag_s for r in self.replicas if r.role == "replica" and r.up]
        return max(lags) if lags else 0.0

    def _machine_costs(self) -> tuple[dict[str, float], float]:
        """Cost per hour of each tier's machines, and their sum (memoised per topology version:
        sizes and cache sizes, and so costs, change only with it)."""
        memo = self._cost_memo
        if memo is None or memo[0] != self.topology_version:
            machines: dict[str, float] = {}
            for node in self.nodes:
                if node.cost_per_hour:
                    machines[node.tier] = machines.get(node.tier, 0.0) + node.cost_per_hour
            memo = self._cost_memo = (self.topology_version, machines, sum(machines.values()))
        return memo[1], memo[2]

    def _cdn_cost_per_hour(self) -> float:
        static = self.offered_rps * self.traffic.static_share
        return static * 3600.0 / 1e6 * facts.CDN_COST_PER_MILLION_REQUESTS

    def cost_by_tier(self) -> dict[str, float]:
        """Cost per hour of each tier: its machines, and the CDN's requests at this tick's rate."""
        out = dict(self._machine_costs()[0])
        if self.cdn is not None:
            out["cdn"] = self._cdn_cost_per_hour()
        return out

    def cost_per_hour(self) -> float:
        """The sum of `cost_by_tier()` (added up in the same order, so to the same float)."""
        machines, machines_total = self._machine_costs()
        if self.cdn is None:
            return machines_total
        cdn = self._cdn_cost_per_hour()
        total = 0.0
        for tier, cost in machines.items():
            total += cdn if tier == "cdn" else cost
        return total if "cdn" in machines else total + cdn

    def _service_metrics(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for dc in self.dcs:
            for pool in dc.pools:
                entry = out.setdefault(pool.service, {"servers": 0, "capacity_rps": 0.0, "rps": 0.0})
                entry["servers"] += len(pool.servers)
                entry["capacity_rps"] += sum(s.cap for s in pool.servers if s.up)
                entry["rps"] = round_rate(entry["rps"] + sum(s.lam for s in pool.servers))
        return out

    def node_metrics(self, node_id: str) -> dict[str, Any]:
        """One node's state: status, utilisation, rates, latency (mean, wait, p95), queue, …"""
        node = self.by_id[node_id]
        out: dict[str, Any] = {
            "id": node.id,
            "tier": node.tier,
            "role": node.role,
            "status": node.status,
            "size": node.size,
            "utilization": round(min(1.0, max(0.0, node.util)), 4),
            "rps": node.lam,
            "served_rps": node.served,
            "error_rps": node.dropped,
            "backlog": node.backlog,
            "sessions": node.sessions,
            "read_rps": node.read_rps,
            "write_rps": node.write_rps,
            "lag_ms": node.lag_s * 1000.0,
            "hit_ratio": node.hit,
            "messages": node.messages,
            "capacity_rps": node.cap,
            "cost_per_hour": node.cost_per_hour,
        }
        if node.up and node.tier not in ("clients", "dns"):
            fixed, wait_probability, _mu, spare, mean, _var = node.latency()
            out["latency_ms"] = mean * 1000.0
            out["wait_ms"] = (fixed + wait_probability / spare) * 1000.0
            out["p95_ms"] = node.quantile_s(0.95) * 1000.0
            out["wait_p95_ms"] = (fixed + _wait_quantile(wait_probability, spare, 0.95)) * 1000.0
        return out

    # ------------------------------------------------------------------ snapshots

    def snapshot(self) -> dict[str, Any]:
        from sandbox.engine.snapshot import dump

        self._rebuild_routes()
        return dump(self)

    @classmethod
    def from_snapshot(cls, snap: Mapping[str, Any]) -> Simulation:
        from sandbox.engine.snapshot import load

        return load(cls, snap)


@dataclass(slots=True)
class _DcRoutes:
    """See `Simulation._dc_routes`. pools: (share, [(share of reads or None for all, stages)],
    write stages, extra write delay s)."""

    static: list[Stage]
    pools: list[tuple[float, list[tuple[float | None, list[Stage]]], list[Stage], float]]


def _wait_quantile(wait_probability: float, spare: float, p: float) -> float:
    if wait_probability <= 1.0 - p:
        return 0.0
    return math.log(wait_probability / (1.0 - p)) / spare


def _inter_dc_s(a: DataCenter, b: DataCenter) -> float:
    """Round trip between two data centers (0 inside one)."""
    if a is b or a.id == b.id:
        return 0.0
    return facts.region_rtt_ms(a.region, b.region) / 1000.0


def _water_fill(servers: list[Node], amount: float) -> None:
    """Give `amount` new sessions to the servers with the fewest, levelling them up (least connections)."""
    ordered = sorted(servers, key=lambda s: (s.sessions, s.id))
    prefix = 0.0
    count = len(ordered)
    level = 0.0
    for k in range(1, count + 1):
        prefix += ordered[k - 1].sessions
        level = (prefix + amount) / k
        if k == count or level <= ordered[k].sessions:
            count = k
            break
    for server in ordered[:count]:
        server.sessions = level


def round_rate(value: float) -> float:
    """Round a rate for output: 4 significant digits."""
    if value == 0.0 or not math.isfinite(value):
        return 0.0
    return float(f"{value:.4g}")


def seconds_to_ms(seconds: float) -> float:
    """Seconds as milliseconds for output, to the microsecond."""
    return round(seconds * 1000.0, 3)
