"""Snapshots: the whole state of a simulation as a JSON-serialisable dict, and back.

`Simulation.from_snapshot(sim.snapshot())` continues exactly like `sim` (same frames, same
metrics, tick for tick): every field that influences the future is here, floats survive JSON
exactly (Python writes the shortest repr that reads back to the same float), the random
generator's state is included, and what is derived (node list, edges, routes) is rebuilt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sandbox.engine.node import Node
from sandbox.engine.topology import DataCenter, Pool
from sandbox.engine.traffic import Traffic

if TYPE_CHECKING:
    from sandbox.engine.simulation import Simulation

VERSION = 1

SIM_FIELDS = (
    "seed",
    "preset",
    "tick",
    "topology_version",
    "session_mode",
    "sticky_sessions",
    "lb_algorithm",
    "replication_mode",
    "auto_failover",
    "cache_enabled",
    "cache_size_keys",
    "cache_ttl_s",
    "cdn_enabled",
    "shard_count",
    "hashing",
    "vnodes",
    "shard_key",
    "hot_key_enabled",
    "hot_key_share",
    "shard_shares",
    "hot_shard",
    "master_failed_tick",
    "master_detected",
    "promoting",
    "pending_loss",
    "former_masters",
    "_timer_seq",
    "_next_id",
    "event_seq",
    "users_now",
    "offered_rps",
    "error_rps",
    "orders_rps",
    "write_rps",
    "write_rate_s",
    "unreachable_rps",
    "region_rps",
    "cdn_origin_share",
    "queue_published",
    "consumed_rps",
    "requests_total",
    "errors_total",
    "orders_total",
    "sessions_lost",
    "writes_lost",
    "writes_failed",
    "stale_reads",
    "messages_lost",
    "session_misses",
    "keys_moved_share",
)
NODE_FIELDS = tuple(name for name in Node.__slots__ if not name.startswith("_"))
POOL_FIELDS = tuple(name for name in Pool.__slots__ if name not in ("servers", "routed", "weights_epoch"))
DC_SCALARS = ("id", "region", "failed", "routed", "in_rps", "users", "entry_lost", "flows_out")


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def _id(node: Node | None) -> str | None:
    return node.id if node is not None else None


def dump(sim: Simulation) -> dict[str, Any]:
    version, internal, gauss = sim.rng.getstate()
    all_nodes = [*sim.nodes]
    return {
        "version": VERSION,
        "fields": {name: _copy(getattr(sim, name)) for name in SIM_FIELDS},
        "controls": list(sim.controls),
        "rng": [version, list(internal), gauss],
        "traffic": {name: _copy(getattr(sim.traffic, name)) for name in Traffic.__slots__},
        "autoscaling": {
            tier: {name: getattr(rule, name) for name in rule.__slots__}
            for tier, rule in sim.autoscaling.items()
        },
        "timers": [list(timer) for timer in sim._timers],
        "events": [event.to_dict() for event in sim.events],
        "nodes": [{name: _copy(getattr(node, name)) for name in NODE_FIELDS} for node in all_nodes],
        "clients": [n.id for n in sim.clients],
        "cdn": _id(sim.cdn),
        "master": _id(sim.master),
        "replicas": [n.id for n in sim.replicas],
        "shards": [n.id for n in sim.shards],
        "queue": _id(sim.queue),
        "workers": [n.id for n in sim.workers],
        "dcs": [
            {
                **{name: _copy(getattr(dc, name)) for name in DC_SCALARS},
                "lb": _id(dc.lb),
                "session_store": _id(dc.session_store),
                "caches": [n.id for n in dc.caches],
                "pools": [
                    {
                        **{name: _copy(getattr(pool, name)) for name in POOL_FIELDS},
                        "servers": [n.id for n in pool.servers],
                    }
                    for pool in dc.pools
                ],
            }
            for dc in sim.dcs
        ],
    }


def load(cls: type[Simulation], snap: Mapping[str, Any]) -> Simulation:
    from sandbox.engine.simulation import AutoscalingRule, Event

    if snap.get("version") != VERSION:
        raise ValueError(f"unsupported snapshot version {snap.get('version')!r}")
    fields = snap["fields"]
    sim = cls(seed=fields["seed"], preset=fields["preset"])
    for name in SIM_FIELDS:
        setattr(sim, name, _copy(fields[name]))
    sim.controls = tuple(snap["controls"])
    version, internal, gauss = snap["rng"]
    sim.rng.setstate((version, tuple(internal), gauss))
    for name, value in snap["traffic"].items():
        setattr(sim.traffic, name, _copy(value))
    for tier, values in snap["autoscaling"].items():
        rule = AutoscalingRule(tier)
        for name, value in values.items():
            setattr(rule, name, value)
        sim.autoscaling[tier] = rule
    sim._timers = [(int(t[0]), int(t[1]), str(t[2]), str(t[3])) for t in snap["timers"]]
    sim.events = [
        Event(e["seq"], e["t"], e["severity"], e["node"], e["key"], dict(e["params"])) for e in snap["events"]
    ]
    nodes: dict[str, Node] = {}
    for values in snap["nodes"]:
        node = Node(values["id"], values["tier"])
        for name in NODE_FIELDS:
            setattr(node, name, _copy(values[name]))
        nodes[node.id] = node
    sim.dns = nodes["dns"]

    def pick(node_id: str | None) -> Node | None:
        return nodes[node_id] if node_id is not None else None

    sim.clients = [nodes[i] for i in snap["clients"]]
    sim.cdn = pick(snap["cdn"])
    sim.master = pick(snap["master"])
    sim.replicas = [nodes[i] for i in snap["replicas"]]
    sim.shards = [nodes[i] for i in snap["shards"]]
    sim.queue = pick(snap["queue"])
    sim.workers = [nodes[i] for i in snap["workers"]]
    sim.dcs = []
    for values in snap["dcs"]:
        dc = DataCenter(values["id"], values["region"])
        for name in DC_SCALARS:
            setattr(dc, name, _copy(values[name]))
        dc.lb = pick(values["lb"])
        dc.session_store = pick(values["session_store"])
        dc.caches = [nodes[i] for i in values["caches"]]
        dc.pools = []
        for pool_values in values["pools"]:
            pool = Pool(pool_values["service"], pool_values["dc"], pool_values["share"])
            for name in POOL_FIELDS:
                setattr(pool, name, _copy(pool_values[name]))
            pool.servers = [nodes[i] for i in pool_values["servers"]]
            dc.pools.append(pool)
        sim.dcs.append(dc)
    sim.relink()
    sim._rebuild_routes()
    return sim
