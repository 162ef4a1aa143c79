"""What each command does to a running simulation, and the automation that acts like an operator
(timers for boots, resizes, failure detection and promotion; autoscaling rules).

Every check that needs the running lab — does the node exist, is the tier full, is the master
alive — is made here and raises the same `CommandError` as the validator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from sandbox.engine import facts, sharding
from sandbox.engine.commands import Command, CommandError
from sandbox.engine.node import DETECTING, DOWN, DRAINING, PROMOTING, RESIZING, STARTING, UP, Node
from sandbox.engine.topology import (
    SIZE_LADDERS,
    WEB_SERVICE,
    DataCenter,
    cache_cost,
    lb_capacity,
    make_cache,
    make_cdn,
    make_db,
    make_session_store,
    make_web,
    make_worker,
    resize,
    size_index,
)

if TYPE_CHECKING:
    from sandbox.engine.simulation import Simulation

TPS = facts.TICKS_PER_SECOND


def _pct(share: float) -> float:
    return round(share * 100.0, 1)


# ---------------------------------------------------------------------- lookups that raise


def _node(sim: Simulation, cmd: Command, *, tiers: tuple[str, ...] | None = None) -> Node:
    node_id = cmd.get_str("node") or ""
    node = sim.by_id.get(node_id)
    if node is None or node.tier in ("clients", "dns"):
        allowed = [
            n.id for n in sim.nodes if n.tier not in ("clients", "dns") and (not tiers or n.tier in tiers)
        ]
        raise CommandError("node_unknown", field="node", allowed=allowed, cmd=cmd.name, value=node_id)
    if tiers is not None and node.tier not in tiers:
        allowed = [n.id for n in sim.nodes if n.tier in tiers]
        raise CommandError("node_wrong_tier", field="node", allowed=allowed, cmd=cmd.name, value=node_id)
    return node


def _dc(sim: Simulation, cmd: Command, field: str = "dc", default_first: bool = False) -> DataCenter:
    dc_id = cmd.get_str(field)
    if dc_id is None and default_first:
        return sim.dcs[0]
    dc = sim.dc(dc_id)
    if dc is None:
        raise CommandError(
            "dc_unknown", field=field, allowed=[d.id for d in sim.dcs], cmd=cmd.name, value=dc_id
        )
    return dc


def _check_room(sim: Simulation, tier: str, adding: int = 1) -> None:
    if sim.tier_count(tier) + adding > facts.MAX_NODES_PER_TIER:
        raise CommandError(
            "tier_full",
            field="tier",
            allowed=[0, facts.MAX_NODES_PER_TIER],
            tier=tier,
            max=facts.MAX_NODES_PER_TIER,
        )


# ---------------------------------------------------------------------- failures and recovery


def fail_node(sim: Simulation, node: Node) -> None:
    node.epoch += 1
    node.failed_tick = sim.tick
    detector = sim.has_detector(node) or node is sim.master
    node.set_status(DETECTING if detector else DOWN)
    sim._dirty = True
    if node is sim.master:
        _master_failed(sim, node)
    else:
        sim.log("node_failed", severity="error", node=node.id)
    if node.tier == "web" and sim.session_mode == "stateful" and node.sessions >= 0.5:
        sim.sessions_lost += node.sessions
        sim.log("sessions_lost", severity="error", node=node.id, count=round(node.sessions))
    if node.tier == "cache":
        node.filled = 0.0
        node.hit = 0.0
    if sim.promoting == node.id:
        sim.promoting = None


def _master_failed(sim: Simulation, master: Node) -> None:
    sim.master_failed_tick = sim.tick
    sim.master_detected = False
    rate = sim.write_rate_s
    asynchronous = sim.replication_mode == "async"
    sim.pending_loss = {
        r.id: round(rate * r.lag_s) if asynchronous else 0
        for r in sim.replicas
        if r.role == "replica" and r.up
    }
    sim.log("master_failed", severity="error", node=master.id)
    sim.schedule(facts.MASTER_FAILURE_DETECTION_S, "master_detect", f"{master.id}|{master.epoch}")


def recover_node(sim: Simulation, node: Node) -> None:
    node.epoch += 1
    node.set_status(STARTING)
    if node.tier == "cache":
        node.filled = 0.0
    sim._dirty = True
    sim.schedule(facts.SERVER_START_S, "boot", f"{node.id}|{node.epoch}")
    sim.log("node_recovered", node=node.id)


def start_promotion(sim: Simulation, replica: Node) -> None:
    replica.set_status(PROMOTING)
    sim.promoting = replica.id
    sim.schedule(facts.REPLICA_PROMOTION_S, "promote", f"{replica.id}|{replica.epoch}")
    sim.log("promotion_started", severity="warning", node=replica.id)


def _best_replica(sim: Simulation) -> Node | None:
    alive = [r for r in sim.replicas if r.role == "replica" and r.status == UP]
    if not alive:
        return None
    return min(alive, key=lambda r: (sim.pending_loss.get(r.id, 0), r.lag_s, _number(r.id)))


def _number(node_id: str) -> int:
    tail = node_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _finish_promotion(sim: Simulation, replica: Node) -> None:
    old = sim.master
    lost = sim.pending_loss.get(replica.id, 0)
    after = round((sim.tick - sim.master_failed_tick) / TPS, 1)
    replica.role = "master"
    replica.set_status(UP)
    replica.apply_backlog = 0.0
    replica.lag_s = 0.0
    replica.routable = True
    sim.replicas.remove(replica)
    if old is not None:
        old.role = "replica"
        old.routable = False
        sim.former_masters.append(old.id)
        sim.replicas.append(old)
        sim.replicas.sort(key=lambda r: _number(r.id))
    sim.master = replica
    sim.writes_lost += lost
    sim.promoting = None
    sim.master_failed_tick = -1
    sim.master_detected = False
    sim.pending_loss = {}
    sim.log(
        "replica_promoted", severity="warning" if lost else "info", node=replica.id, after_s=after, lost=lost
    )
    sim.relayout()


def on_timer(sim: Simulation, kind: str, target: str) -> None:
    if kind in ("dc_failover", "dc_back"):
        _dc_timer(sim, kind, target)
        return
    parts = target.split("|")
    node = sim.by_id.get(parts[0])
    if node is None or len(parts) < 2 or str(node.epoch) != parts[1]:
        return  # the node was removed, or a later command superseded this timer
    if kind == "boot" and node.status == STARTING:
        node.set_status(UP)
        if not sim.has_detector(node):
            node.routable = True
        sim._dirty = True
        if node is sim.master and sim.master_failed_tick >= 0:
            sim.master_failed_tick = -1
            sim.master_detected = False
            sim.pending_loss = {}
            if sim.promoting is not None:
                promoting = sim.by_id.get(sim.promoting)
                if promoting is not None and promoting.status == PROMOTING:
                    promoting.set_status(UP)
                sim.promoting = None
            sim.log("master_back", node=node.id)
        elif (
            node.tier == "db" and node.role == "replica" and node.failed_tick >= 0 and sim.master is not None
        ):
            node.apply_backlog = 0.0
            key = "old_master_rejoined" if node.id in sim.former_masters else "server_ready"
            sim.log(key, node=node.id, master=sim.master.id)
        else:
            sim.log("server_ready", node=node.id)
    elif kind == "resize" and node.status == RESIZING and len(parts) == 3:
        resize_timer(sim, node, int(parts[2]))
    elif kind == "master_detect" and node is sim.master and not node.up:
        if node.status == DETECTING:
            node.set_status(DOWN)
        sim.master_detected = True
        after = round((sim.tick - sim.master_failed_tick) / TPS, 1)
        sim.log("master_failure_detected", severity="warning", node=node.id, after_s=after)
        if sim.auto_failover:
            replica = _best_replica(sim)
            if replica is None:
                sim.log("no_replica_to_promote", severity="error", node=node.id)
            else:
                start_promotion(sim, replica)
        else:
            sim.log("awaiting_manual_promotion", severity="error", node=node.id)
    elif kind == "promote" and sim.promoting == node.id and node.status == PROMOTING:
        if sim.master is not None and not sim.master.up:
            _finish_promotion(sim, node)
        else:
            node.set_status(UP)
            sim.promoting = None


def resize_timer(sim: Simulation, node: Node, index: int) -> None:
    resize(node, index)
    node.set_status(UP)
    sim.relayout()  # the node's size, capacity and cost changed: viewers need a keyframe
    sim.log("node_resized", node=node.id, size=node.size)


def _dc_timer(sim: Simulation, kind: str, dc_id: str) -> None:
    dc = sim.dc(dc_id)
    if dc is None:
        return
    before = dict(sim._routes)
    if kind == "dc_failover" and dc.failed:
        dc.routed = False
    elif kind == "dc_back" and not dc.failed:
        dc.routed = True
    else:
        return
    sim._rebuild_routes()
    for region, route in sim._routes.items():
        if before.get(region) is not route:
            if route is None:
                sim.log("dc_unreachable", severity="error", region=region)
            else:
                sim.log("dc_rerouted", severity="warning", dc=route.id, region=region)


def after_health_check(sim: Simulation) -> None:
    """Things an operator's automation does on each health-check round."""
    master = sim.master
    if (
        master is not None
        and not master.up
        and sim.master_detected
        and sim.auto_failover
        and sim.promoting is None
    ):
        replica = _best_replica(sim)
        if replica is not None:
            start_promotion(sim, replica)
    for dc in sim.dcs:
        for pool in dc.pools:
            for server in list(pool.servers):
                if server.status != DRAINING:
                    continue
                deadline = server.failed_tick + round(facts.DRAIN_TIMEOUT_S * TPS)
                if (server.sessions < 0.5 and server.backlog <= 0.0) or sim.tick >= deadline:
                    _remove_web(sim, server)


# ---------------------------------------------------------------------- topology changes


def _remove_web(sim: Simulation, node: Node) -> None:
    pool = sim.pool_of(node)
    if sim.session_mode == "stateful" and node.up and node.sessions >= 0.5:
        sim.sessions_lost += node.sessions
        sim.log("sessions_lost", severity="error", node=node.id, count=round(node.sessions))
    if pool is not None:
        pool.servers.remove(node)
    sim.log("server_removed", node=node.id)
    sim.relayout()


def add_web(sim: Simulation, dc: DataCenter, service: str, index: int | None = None) -> Node:
    pool = dc.pool(service)
    assert pool is not None
    if index is None:
        index = size_index(pool.servers[0]) if pool.servers else 0
    node = make_web(sim.new_id(service), dc, service, index)
    lb = sim.ensure_lb(dc)
    if lb is not None:
        sim.log("lb_added", node=lb.id)
    node.set_status(STARTING)
    node.routable = False
    pool.servers.append(node)
    sim.schedule(facts.SERVER_START_S, "boot", f"{node.id}|{node.epoch}")
    sim.relayout()
    return node


def _size_for(node: Node, cmd: Command) -> int:
    ladder = SIZE_LADDERS[node.tier]
    names = [size.name for size in ladder]
    wanted = cmd.get_str("size") or ""
    current = size_index(node)
    if wanted == "up":
        if current + 1 >= len(ladder):
            raise CommandError("size_largest", field="size", allowed=names, node=node.id, size=node.size)
        return current + 1
    if wanted == "down":
        if current == 0:
            raise CommandError("size_smallest", field="size", allowed=names, node=node.id, size=node.size)
        return current - 1
    if wanted not in names:
        raise CommandError(
            "size_unknown", field="size", allowed=[*names, "up", "down"], node=node.id, value=wanted
        )
    return names.index(wanted)


# ---------------------------------------------------------------------- the commands


def _set_users(sim: Simulation, cmd: Command) -> None:
    sim.traffic.users = cmd.get_int("users") or 1
    sim.log("users_changed", users=sim.traffic.users)


def _set_traffic(sim: Simulation, cmd: Command) -> None:
    traffic = sim.traffic
    read = cmd.get_float("read_share", traffic.read_share)
    write = cmd.get_float("write_share", traffic.write_share)
    static = cmd.get_float("static_share", traffic.static_share)
    assert read is not None and write is not None and static is not None
    if read + write + static <= 0.0:
        raise CommandError("traffic_shares_zero", field="read_share", allowed=[0.0, 1.0], cmd=cmd.name)
    traffic.set_mix(read, write, static)
    for name in ("requests_per_user_s", "noise", "spike_factor", "spike_s", "ramp_s", "period_s"):
        value = cmd.get_float(name)
        if value is not None:
            setattr(traffic, name, value)
    pattern = cmd.get_str("pattern")
    if pattern is not None:
        traffic.pattern = pattern
        traffic.pattern_start_s = sim.time_s
    shares = cmd.get_shares("region_shares")
    if shares is not None:
        traffic.set_regions(shares)
        sim.sync_clients()
        if sim.shard_key == "region":
            sim.update_shard_shares()
        sim.relayout()
    sim.log("traffic_changed", pattern=traffic.pattern)


def _add_server(sim: Simulation, cmd: Command) -> None:
    tier = cmd.get_str("tier") or "web"
    dc = _dc(sim, cmd, default_first=True)
    if dc.failed:
        raise CommandError(
            "dc_down", field="dc", allowed=[d.id for d in sim.dcs if not d.failed], value=dc.id
        )
    if tier == "web":
        service = cmd.get_str("service", WEB_SERVICE) or WEB_SERVICE
        pool = dc.pool(service)
        if pool is None:
            raise CommandError(
                "service_unknown", field="service", allowed=[p.service for p in dc.pools], value=service
            )
        _check_room(sim, "web")
        index = _size_name(cmd, "web")
        node = add_web(sim, dc, service, index)
        sim.log("server_added", node=node.id, size=node.size)
        return
    if tier == "db":
        if sim.shards:
            raise CommandError("db_sharded", field="tier", allowed=["web", "cache", "worker"])
        _check_room(sim, "db")
        master = sim.master
        index = _size_name(cmd, "db")
        if index is None:
            index = size_index(master) if master is not None else 0
        node = make_db(sim.new_id("db"), dc, "replica", index)
        node.set_status(STARTING)
        node.routable = False
        sim.replicas.append(node)
    elif tier == "cache":
        _check_room(sim, "cache")
        sim.cache_enabled = True
        node = make_cache(sim.new_id("cache"), dc, sim.cache_size_keys)
        node.set_status(STARTING)
        node.routable = False
        dc.caches.append(node)
    else:
        _check_room(sim, "worker")
        queue = sim.ensure_queue()
        if queue is not None:
            sim.log("queue_added", node=queue.id)
        node = make_worker(sim.new_id("worker"), sim.dcs[0])
        node.set_status(STARTING)
        sim.workers.append(node)
    sim.schedule(facts.SERVER_START_S, "boot", f"{node.id}|{node.epoch}")
    sim.relayout()
    sim.log("server_added", node=node.id, size=node.size or node.tier)


def _size_name(cmd: Command, tier: str) -> int | None:
    wanted = cmd.get_str("size")
    if wanted is None:
        return None
    names = [size.name for size in SIZE_LADDERS[tier]]
    if wanted not in names:
        raise CommandError("size_unknown", field="size", allowed=names, node=tier, value=wanted)
    return names.index(wanted)


def _remove_node(sim: Simulation, cmd: Command) -> None:
    node = _node(sim, cmd, tiers=("web", "db", "cache", "worker"))
    drain = cmd.get_bool("drain", True)
    if node.tier == "web":
        pool = sim.pool_of(node)
        if pool is not None and len([s for s in pool.servers if s.status != DRAINING]) <= 1:
            raise CommandError("last_server", field="node", allowed=[], value=node.id)
        if drain and node.up and node.status != DRAINING:
            node.set_status(DRAINING)
            node.failed_tick = sim.tick  # the drain deadline counts from here
            sim._dirty = True
            sim.log("server_draining", node=node.id, sessions=round(node.sessions))
            return
        _remove_web(sim, node)
        return
    if node.tier == "db":
        if node.role == "master":
            raise CommandError(
                "master_not_removable", field="node", allowed=[r.id for r in sim.replicas], value=node.id
            )
        if node.role == "shard":
            raise CommandError(
                "node_wrong_tier",
                field="node",
                allowed=[r.id for r in sim.replicas],
                cmd=cmd.name,
                value=node.id,
            )
        if sim.promoting == node.id:
            sim.promoting = None
        sim.replicas.remove(node)
    elif node.tier == "cache":
        sim.dc_of(node).caches.remove(node)
    else:
        sim.workers.remove(node)
    sim.log("server_removed", node=node.id)
    sim.relayout()


def _resize_node(sim: Simulation, cmd: Command) -> None:
    node = _node(sim, cmd, tiers=("web", "db"))
    index = _size_for(node, cmd)
    if node.status != UP:
        raise CommandError("node_busy", field="node", allowed=[], value=node.id, status=node.status)
    old = node.size
    node.epoch += 1
    node.set_status(RESIZING)
    if node.tier == "web" and sim.session_mode == "stateful" and node.sessions >= 0.5:
        sim.sessions_lost += node.sessions  # a restart empties the server's memory
        sim.log("sessions_lost", severity="error", node=node.id, count=round(node.sessions))
        node.sessions = 0.0
    sim._dirty = True
    sim.schedule(facts.RESIZE_DOWNTIME_S, "resize", f"{node.id}|{node.epoch}|{index}")
    sim.log(
        "node_resizing", severity="warning", node=node.id, old=old, size=SIZE_LADDERS[node.tier][index].name
    )


def _fail_node(sim: Simulation, cmd: Command) -> None:
    node = _node(sim, cmd)
    if not node.up and node.status not in (STARTING, RESIZING):
        raise CommandError(
            "node_already_down", field="node", allowed=[n.id for n in sim.nodes if n.up], value=node.id
        )
    fail_node(sim, node)


def _recover_node(sim: Simulation, cmd: Command) -> None:
    node = _node(sim, cmd)
    if node.status not in (DOWN, DETECTING):
        allowed = [n.id for n in sim.nodes if n.status in (DOWN, DETECTING)]
        raise CommandError("node_not_down", field="node", allowed=allowed, value=node.id)
    dc = sim.dc(node.dc)
    if dc is not None and dc.failed:
        raise CommandError("dc_down", field="node", allowed=[], value=dc.id)
    recover_node(sim, node)


def _set_session_mode(sim: Simulation, cmd: Command) -> None:
    mode = cmd.get_str("mode") or "stateless"
    if mode == sim.session_mode:
        return
    sim.session_mode = mode
    for dc in sim.dcs:
        if mode == "stateless":
            dc.session_store = make_session_store(sim.new_id("sessions"), dc)
            if dc.failed:
                dc.session_store.set_status(DOWN)
            for server in dc.main_pool.servers:
                server.sessions = 0.0
        else:
            dc.session_store = None
            accepting = [s for s in dc.main_pool.servers if s.up and s.routable]
            for server in dc.main_pool.servers:
                server.sessions = dc.users / len(accepting) if server in accepting else 0.0
            dc.main_pool.hash_members = len(accepting)
    sim.relayout()
    sim.log("session_mode_changed", mode=mode)


def _set_sticky(sim: Simulation, cmd: Command) -> None:
    sim.sticky_sessions = bool(cmd.get_bool("enabled"))
    for dc in sim.dcs:
        if dc.lb is not None:
            dc.lb.set_capacity(dc.lb.servers, lb_capacity(sim.sticky_sessions), dc.lb.cost_per_hour)
    sim.log("sticky_changed", state=sim.sticky_sessions)


def _set_lb_algorithm(sim: Simulation, cmd: Command) -> None:
    sim.lb_algorithm = cmd.get_str("algorithm") or "round_robin"
    for dc in sim.dcs:
        dc.main_pool.hash_members = len([s for s in dc.main_pool.servers if s.up and s.routable])
    sim.log("lb_algorithm_changed", algorithm=sim.lb_algorithm)


def _promote_replica(sim: Simulation, cmd: Command) -> None:
    if sim.shards:
        raise CommandError("db_sharded", field="node", allowed=[])
    replicas = [r.id for r in sim.replicas if r.role == "replica"]
    node = _node(sim, cmd, tiers=("db",))
    if node.role != "replica":
        raise CommandError("not_a_replica", field="node", allowed=replicas, value=node.id)
    master = sim.master
    if master is not None and master.up:
        raise CommandError("master_alive", field="node", allowed=[], master=master.id)
    if sim.promoting is not None:
        raise CommandError("promotion_in_progress", field="node", allowed=[])
    if node.status != UP:
        raise CommandError("replica_down", field="node", allowed=replicas, value=node.id)
    if sim.master_failed_tick < 0:
        sim.master_failed_tick = sim.tick
    start_promotion(sim, node)


def _set_auto_failover(sim: Simulation, cmd: Command) -> None:
    sim.auto_failover = bool(cmd.get_bool("enabled"))
    sim.log("auto_failover_changed", state=sim.auto_failover)


def _set_replication(sim: Simulation, cmd: Command) -> None:
    sim.replication_mode = cmd.get_str("mode") or "async"
    sim.log("replication_mode_changed", mode=sim.replication_mode)


def _set_cache(sim: Simulation, cmd: Command) -> None:
    enabled = cmd.get_bool("enabled", sim.cache_enabled)
    size = cmd.get_int("size_keys", sim.cache_size_keys)
    ttl = cmd.get_float("ttl_s", sim.cache_ttl_s)
    assert size is not None and ttl is not None
    sim.cache_size_keys = size
    sim.cache_ttl_s = ttl
    sim.cache_enabled = bool(enabled)
    for dc in sim.dcs:
        if not enabled:
            dc.caches = []
        elif not dc.caches:
            dc.caches.append(make_cache(sim.new_id("cache"), dc, size))
        for cache in dc.caches:
            cache.size_keys = size
            cache.cost_per_hour = cache_cost(size)
            cache.filled = min(cache.filled, float(size))
            cache.memo_in = cache.memo2_in = -1.0  # size or TTL changed: recompute the curves
    sim.relayout()  # nodes, or their size and cost, changed
    sim.log("cache_changed", state=sim.cache_enabled, size_keys=size, ttl_s=ttl)


def _set_cdn(sim: Simulation, cmd: Command) -> None:
    enabled = bool(cmd.get_bool("enabled"))
    if enabled != sim.cdn_enabled:
        sim.cdn_enabled = enabled
        sim.cdn = make_cdn("cdn") if enabled else None
        sim.relayout()
    sim.log("cdn_changed", state=enabled)


def _add_data_center(sim: Simulation, cmd: Command) -> None:
    region = cmd.get_str("region") or ""
    for dc in sim.dcs:
        if dc.region == region:
            raise CommandError(
                "region_taken",
                field="region",
                allowed=[r for r in facts.REGIONS if r not in _regions(sim)],
                region=region,
                dc=dc.id,
            )
    if len(sim.dcs) >= facts.MAX_DATA_CENTERS:
        raise CommandError("dc_full", field="region", allowed=[], max=facts.MAX_DATA_CENTERS)
    home = sim.dcs[0]
    servers = len(home.main_pool.servers)
    _check_room(sim, "web", servers + len(home.pools) - 1)
    index = size_index(home.main_pool.servers[0]) if home.main_pool.servers else 0
    dc = sim.add_data_center(region, web_servers=servers, web_size=index)
    sim.ensure_lb(dc)
    for pool in home.pools[1:]:
        sim.split_service(pool.service, pool.share)
    if not sim.shards and sim.master is not None and sim.tier_count("db") < facts.MAX_NODES_PER_TIER:
        sim.replicas.append(make_db(sim.new_id("db"), dc, "replica", size_index(sim.master)))
    sim.relayout()
    sim.log("dc_added", dc=dc.id, region=region)


def _regions(sim: Simulation) -> list[str]:
    return [dc.region for dc in sim.dcs]


def _dc_nodes(sim: Simulation, dc: DataCenter) -> list[Node]:
    return [node for node in sim.nodes if node.dc == dc.id]


def _fail_data_center(sim: Simulation, cmd: Command) -> None:
    dc = _dc(sim, cmd)
    if dc.failed:
        raise CommandError(
            "dc_already_down", field="dc", allowed=[d.id for d in sim.dcs if not d.failed], value=dc.id
        )
    dc.failed = True
    sim.log("dc_failed", severity="error", dc=dc.id)
    for node in _dc_nodes(sim, dc):
        if node.up or node.status in (STARTING, RESIZING):
            fail_node(sim, node)
    sim.schedule(facts.DC_FAILOVER_S, "dc_failover", dc.id)


def _recover_data_center(sim: Simulation, cmd: Command) -> None:
    dc = _dc(sim, cmd)
    if not dc.failed:
        raise CommandError(
            "dc_not_down", field="dc", allowed=[d.id for d in sim.dcs if d.failed], value=dc.id
        )
    dc.failed = False
    for node in _dc_nodes(sim, dc):
        if node.status in (DOWN, DETECTING):
            recover_node(sim, node)
    sim.schedule(facts.SERVER_START_S, "dc_back", dc.id)
    sim.log("dc_recovered", dc=dc.id)


def _set_consumers(sim: Simulation, cmd: Command) -> None:
    count = cmd.get_int("count") or 0
    queue = sim.ensure_queue()
    if queue is not None:
        sim.log("queue_added", node=queue.id)
    while len(sim.workers) < count:
        sim.workers.append(make_worker(sim.new_id("worker"), sim.dcs[0]))
    del sim.workers[count:]
    sim.relayout()
    sim.log("consumers_changed", count=count)


def _layout(sim: Simulation) -> tuple[int, str, int]:
    return (sim.shard_count, sim.hashing, sim.vnodes)


def _moved(sim: Simulation, old: tuple[int, str, int]) -> float:
    new = _layout(sim)
    if sim.shard_key == "region":
        regions = list(sim.traffic.region_shares)
        return sum(
            sim.traffic.region_shares[r]
            for r in regions
            if sharding.region_shard(r, *old) != sharding.region_shard(r, *new)
        )
    return sharding.moved_share(old, new)


def _set_shards(sim: Simulation, cmd: Command) -> None:
    count = cmd.get_int("count") or 1
    if count == sim.shard_count:
        return
    extra = count - max(1, len(sim.shards)) if count > 1 else 0
    if extra > 0 and len(sim.shards) + extra > facts.MAX_NODES_PER_TIER:
        _check_room(sim, "db", extra)
    old = _layout(sim)
    sim.set_shard_count(count)
    moved = _moved(sim, old)
    sim.keys_moved_share = moved
    sim.relayout()
    sim.log("shards_changed", count=count, moved_pct=_pct(moved))


def _set_hashing(sim: Simulation, cmd: Command) -> None:
    old = _layout(sim)
    sim.hashing = cmd.get_str("scheme") or sim.hashing
    sim.vnodes = cmd.get_int("vnodes", sim.vnodes) or sim.vnodes
    sim.update_shard_shares()
    moved = _moved(sim, old) if sim.shard_count > 1 else 0.0
    sim.keys_moved_share = moved
    sim._dirty = True
    sim.log("hashing_changed", scheme=sim.hashing, moved_pct=_pct(moved))


def _set_shard_key(sim: Simulation, cmd: Command) -> None:
    sim.shard_key = cmd.get_str("key") or "user_id"
    sim.update_shard_shares()
    sim._dirty = True
    sim.log("shard_key_changed", key=sim.shard_key)


def _set_hot_key(sim: Simulation, cmd: Command) -> None:
    sim.hot_key_enabled = bool(cmd.get_bool("enabled"))
    sim.hot_key_share = cmd.get_float("share", sim.hot_key_share) or sim.hot_key_share
    sim.update_shard_shares()
    sim._dirty = True
    holder = sim.shards[sim.hot_shard].id if sim.shards else (sim.master.id if sim.master else "-")
    sim.log("hot_key_changed", state=sim.hot_key_enabled, share_pct=_pct(sim.hot_key_share), node=holder)


def _set_autoscaling(sim: Simulation, cmd: Command) -> None:
    tier = cmd.get_str("tier") or "web"
    rule = sim.autoscaling[tier]
    low = cmd.get_int("min", rule.min)
    high = cmd.get_int("max", rule.max)
    assert low is not None and high is not None
    if low > high:
        raise CommandError("field_min_above_max", field="min", allowed=[1, high], min=low, max=high)
    rule.min, rule.max = low, high
    rule.enabled = bool(cmd.get_bool("enabled", rule.enabled))
    rule.target = cmd.get_float("target_utilization", rule.target) or rule.target
    cooldown = cmd.get_float("cooldown_s")
    if cooldown is not None:
        rule.cooldown_s = cooldown
    sim.log(
        "autoscaling_changed",
        tier=tier,
        state=rule.enabled,
        min=rule.min,
        max=rule.max,
        target_pct=_pct(rule.target),
        cooldown_s=rule.cooldown_s,
    )


def _split_service(sim: Simulation, cmd: Command) -> None:
    service = cmd.get_str("service") or ""
    share = cmd.get_float("share") or 0.0
    others = sum(p.share for p in sim.dcs[0].pools[1:] if p.service != service)
    if others + share > 0.9 + 1e-9:
        raise CommandError(
            "services_share_too_high",
            field="share",
            allowed=[0.05, round(0.9 - others, 3)],
            total_pct=_pct(others + share),
            max_pct=90.0,
        )
    if sim.dcs[0].pool(service) is None:
        _check_room(sim, "web", len(sim.dcs))
    sim.split_service(service, share)
    sim.relayout()
    sim.log("service_split", service=service, share_pct=_pct(share))


def _merge_service(sim: Simulation, cmd: Command) -> None:
    service = cmd.get_str("service") or ""
    if sim.dcs[0].pool(service) is None:
        raise CommandError(
            "service_unknown",
            field="service",
            allowed=[p.service for p in sim.dcs[0].pools[1:]],
            value=service,
        )
    for dc in sim.dcs:
        dc.pools = [p for p in dc.pools if p.service != service]
    sim._update_main_shares()
    sim.relayout()
    sim.log("service_merged", service=service)


HANDLERS: dict[str, Callable[[Simulation, Command], None]] = {
    "set_users": _set_users,
    "set_traffic": _set_traffic,
    "add_server": _add_server,
    "remove_node": _remove_node,
    "resize_node": _resize_node,
    "fail_node": _fail_node,
    "recover_node": _recover_node,
    "set_session_mode": _set_session_mode,
    "set_sticky_sessions": _set_sticky,
    "set_lb_algorithm": _set_lb_algorithm,
    "promote_replica": _promote_replica,
    "set_auto_failover": _set_auto_failover,
    "set_replication": _set_replication,
    "set_cache": _set_cache,
    "set_cdn": _set_cdn,
    "add_data_center": _add_data_center,
    "fail_data_center": _fail_data_center,
    "recover_data_center": _recover_data_center,
    "set_consumers": _set_consumers,
    "set_shards": _set_shards,
    "set_hashing": _set_hashing,
    "set_shard_key": _set_shard_key,
    "set_hot_key": _set_hot_key,
    "set_autoscaling": _set_autoscaling,
    "split_service": _split_service,
    "merge_service": _merge_service,
}


def apply_command(sim: Simulation, cmd: Command, *, quiet: bool = False) -> None:
    events = len(sim.events)
    seq = sim.event_seq
    sim.commands_applied += 1  # before: a command refused half-way may have changed a setting
    HANDLERS[cmd.name](sim, cmd)
    sim._dirty = True
    if quiet:
        del sim.events[events:]
        sim.event_seq = seq


# ---------------------------------------------------------------------- autoscaling


def autoscale(sim: Simulation) -> None:
    now = sim.time_s
    rule = sim.autoscaling["web"]
    if rule.enabled:
        for dc in sim.dcs:
            if dc.failed:
                continue
            for pool in dc.pools:
                servers = [s for s in pool.servers if s.status != DRAINING]
                count = len(servers)
                serving = [s for s in servers if s.up]
                util = sum(s.util for s in serving) / len(serving) if serving else 1.0
                if any(s.dropped > 0.0 for s in serving):
                    util = 1.0
                if count < rule.min:
                    _scale_out(sim, dc, pool.service, rule.min - count, util, rule.target)
                    pool.cooldown_until_s = now + rule.cooldown_s
                elif now < pool.cooldown_until_s:
                    continue
                elif util > rule.target and count < rule.max:
                    wanted = max(1, math.ceil(count * util / rule.target) - count)
                    _scale_out(sim, dc, pool.service, min(wanted, rule.max - count), util, rule.target)
                    pool.cooldown_until_s = now + rule.cooldown_s
                elif util < rule.target * facts.AUTOSCALE_SCALE_IN_FACTOR and count > rule.min:
                    victim = servers[-1]
                    sim.log("autoscaled_in", node=victim.id, tier="web", util_pct=_pct(util))
                    victim.set_status(DRAINING)
                    victim.failed_tick = sim.tick
                    sim._dirty = True
                    pool.cooldown_until_s = now + rule.cooldown_s
    workers = sim.autoscaling["worker"]
    if workers.enabled and sim.queue is not None and now >= workers.cooldown_until_s:
        count = len(sim.workers)
        capacity = sum(w.cap for w in sim.workers if w.up) or 1e-9
        demand = sim.queue.lam_s + sim.queue.messages / 30.0
        util = min(1.0, demand / capacity)
        target = count
        if count < workers.min:
            target = workers.min
        elif util > workers.target and count < workers.max:
            target = min(
                workers.max, max(count + 1, math.ceil(demand / (facts.CONSUMER_RATE * workers.target)))
            )
        elif util < workers.target * facts.AUTOSCALE_SCALE_IN_FACTOR and count > workers.min:
            target = count - 1
        target = min(target, facts.MAX_NODES_PER_TIER)
        if target != count:
            while len(sim.workers) < target:
                node = make_worker(sim.new_id("worker"), sim.dcs[0])
                node.set_status(STARTING)
                sim.workers.append(node)
                sim.schedule(facts.SERVER_START_S, "boot", f"{node.id}|{node.epoch}")
                sim.log(
                    "autoscaled_out",
                    node=node.id,
                    tier="worker",
                    util_pct=_pct(util),
                    target_pct=_pct(workers.target),
                )
            for node in sim.workers[target:]:
                sim.log("autoscaled_in", node=node.id, tier="worker", util_pct=_pct(util))
            del sim.workers[target:]
            workers.cooldown_until_s = now + workers.cooldown_s
            sim.relayout()


def _scale_out(sim: Simulation, dc: DataCenter, service: str, count: int, util: float, target: float) -> None:
    for _ in range(count):
        if sim.tier_count("web") >= facts.MAX_NODES_PER_TIER:
            return
        node = add_web(sim, dc, service)
        sim.log("autoscaled_out", node=node.id, tier="web", util_pct=_pct(util), target_pct=_pct(target))
