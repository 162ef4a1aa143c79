"""Presets: one starting lab per lesson (named by the lesson's slug), plus `full`.

A preset is data: the starting topology and traffic, the control groups the lesson's lab shows
(`controls`, matching `CommandSpec.group`), and a short default scenario the lesson can play.
Each is sized so that its lesson's claims show within about 30 simulated seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sandbox.engine import facts
from sandbox.engine.commands import CONTROL_GROUPS

ALWAYS = ("traffic", "lab")


@dataclass(frozen=True)
class PresetSpec:
    name: str
    summary: str
    controls: tuple[str, ...]
    users: int = 1_000
    requests_per_user_s: float = facts.DEFAULT_REQUESTS_PER_USER_S
    static_share: float = 0.3
    read_share: float = 0.6
    write_share: float = 0.1
    region_shares: Mapping[str, float] = field(default_factory=lambda: {"ap-northeast": 1.0})
    noise: float = 0.02
    data_centers: tuple[str, ...] = ("ap-northeast",)
    web_servers: int = 1
    web_size: str = "xs"
    load_balancer: bool = True
    db_size: str = "db-s"
    replicas: int = 0
    session_mode: str = "stateless"
    sticky_sessions: bool = False
    lb_algorithm: str = "round_robin"
    replication: str = "async"
    auto_failover: bool = True
    cache: bool = False
    cache_size_keys: int = facts.CACHE_DEFAULT_SIZE_KEYS
    cache_ttl_s: float = facts.CACHE_DEFAULT_TTL_S
    cdn: bool = False
    consumers: int | None = None
    shards: int = 1
    hashing: str = "consistent"
    autoscaling: tuple[Mapping[str, object], ...] = ()
    services: tuple[tuple[str, float], ...] = ()
    scenario: tuple[tuple[float, Mapping[str, object]], ...] = ()

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "summary": self.summary,
            "controls": list(self.controls),
            "users": self.users,
            "scenario": [{"t": t, "command": dict(c)} for t, c in self.scenario],
        }


_PRESETS = (
    PresetSpec(
        "scalability",
        "One server and its database: grow the users from 1 toward 10 million and watch it saturate.",
        (*ALWAYS, "topology", "resize", "faults", "services"),
        users=10_000,
        load_balancer=False,
        scenario=(
            (5.0, {"cmd": "set_users", "users": 18_000}),
            (15.0, {"cmd": "set_users", "users": 30_000}),
        ),
    ),
    PresetSpec(
        "scale-up",
        "A single web server whose machine you make bigger, one rung at a time.",
        (*ALWAYS, "resize", "faults"),
        users=15_000,
        load_balancer=False,
        scenario=(
            (5.0, {"cmd": "set_users", "users": 30_000}),
            (12.0, {"cmd": "resize_node", "node": "web-1", "size": "up"}),
            (25.0, {"cmd": "fail_node", "node": "web-1"}),
        ),
    ),
    PresetSpec(
        "scale-out",
        "Identical web servers behind a load balancer: add, remove and fail them.",
        (*ALWAYS, "topology", "faults"),
        users=30_000,
        web_servers=2,
        scenario=(
            (5.0, {"cmd": "set_users", "users": 60_000}),
            (10.0, {"cmd": "add_server", "tier": "web"}),
            (20.0, {"cmd": "fail_node", "node": "web-1"}),
        ),
    ),
    PresetSpec(
        "web-tier",
        "A load balancer with health checks over a stateful tier with sticky sessions.",
        (*ALWAYS, "topology", "faults", "load_balancer", "sessions"),
        users=35_000,
        web_servers=3,
        session_mode="stateful",
        sticky_sessions=True,
        scenario=((10.0, {"cmd": "fail_node", "node": "web-2"}),),
    ),
    PresetSpec(
        "db-replication",
        "A master and two replicas: reads spread, writes go to the master, failover loses writes.",
        (*ALWAYS, "topology", "faults", "replication", "automation"),
        users=150_000,
        static_share=0.2,
        read_share=0.5,
        write_share=0.3,
        web_servers=3,
        web_size="m",
        replicas=2,
        scenario=((10.0, {"cmd": "fail_node", "node": "db-1"}),),
    ),
    PresetSpec(
        "message-queue",
        "Web servers publish orders to a durable queue; consumers process them.",
        (*ALWAYS, "queue", "faults", "topology"),
        users=50_000,
        web_servers=2,
        web_size="s",
        consumers=3,
        scenario=(
            (5.0, {"cmd": "set_consumers", "count": 0}),
            (20.0, {"cmd": "set_consumers", "count": 6}),
        ),
    ),
    PresetSpec(
        "logs-metrics-automation",
        "Metrics and an event log, an autoscaling rule for the web tier, automatic failover.",
        (*ALWAYS, "automation", "faults", "topology", "replication"),
        users=20_000,
        web_servers=2,
        replicas=1,
        autoscaling=(
            {
                "tier": "web",
                "enabled": True,
                "min": 2,
                "max": 8,
                "target_utilization": 0.6,
                "cooldown_s": 5.0,
            },
        ),
        scenario=(
            (5.0, {"cmd": "set_traffic", "pattern": "spike", "spike_factor": 3.0, "spike_s": 30.0}),
            (20.0, {"cmd": "fail_node", "node": "db-1"}),
        ),
    ),
    PresetSpec(
        "db-scaling",
        "One master under growing load: scale it up to the largest machine, or shard it.",
        (*ALWAYS, "resize", "sharding", "faults"),
        users=120_000,
        web_servers=4,
        web_size="m",
        db_size="db-s",
        scenario=(
            (5.0, {"cmd": "set_shards", "count": 4}),
            (15.0, {"cmd": "set_hot_key", "enabled": True, "share": 0.3}),
        ),
    ),
    PresetSpec(
        "cache",
        "A cache in front of the database: size, TTL, cold start and cache loss.",
        (*ALWAYS, "cache", "faults"),
        users=50_000,
        web_servers=2,
        web_size="s",
        cache=True,
        scenario=(
            (20.0, {"cmd": "set_cache", "size_keys": 100_000}),
            (40.0, {"cmd": "fail_node", "node": "cache-1"}),
        ),
    ),
    PresetSpec(
        "cdn",
        "Users in three regions and one data center in Seoul: move static files to a CDN.",
        (*ALWAYS, "cdn"),
        users=50_000,
        static_share=0.5,
        read_share=0.45,
        write_share=0.05,
        region_shares={"ap-northeast": 0.5, "us-east": 0.3, "eu-west": 0.2},
        web_servers=2,
        web_size="s",
        scenario=((10.0, {"cmd": "set_cdn", "enabled": True}),),
    ),
    PresetSpec(
        "data-centers",
        "Data center A in Seoul and B in Frankfurt with GeoDNS: users go to the nearest; A's outage "
        "reroutes its users to B (the story lesson 11 tells).",
        (*ALWAYS, "data_centers", "faults"),
        users=60_000,
        region_shares={"ap-northeast": 0.5, "us-east": 0.3, "eu-west": 0.2},
        data_centers=("ap-northeast", "eu-west"),
        web_servers=2,
        web_size="s",
        replicas=1,
        scenario=((10.0, {"cmd": "fail_data_center", "dc": "dc-1"}),),
    ),
    PresetSpec(
        "full",
        "Everything together: CDN, two data centers, stateless tier, cache, replicas, queue, autoscaling.",
        CONTROL_GROUPS,
        users=300_000,
        region_shares={"ap-northeast": 0.5, "us-east": 0.3, "eu-west": 0.2},
        data_centers=("ap-northeast", "us-east"),
        web_servers=2,
        web_size="m",
        db_size="db-l",
        replicas=3,
        cache=True,
        cache_size_keys=100_000,
        cdn=True,
        consumers=8,
        autoscaling=(
            {
                "tier": "web",
                "enabled": True,
                "min": 2,
                "max": 8,
                "target_utilization": 0.8,
                "cooldown_s": 10.0,
            },
            {
                "tier": "worker",
                "enabled": True,
                "min": 2,
                "max": 16,
                "target_utilization": 0.8,
                "cooldown_s": 10.0,
            },
        ),
        scenario=(
            (10.0, {"cmd": "set_traffic", "pattern": "spike", "spike_factor": 2.0, "spike_s": 30.0}),
            (20.0, {"cmd": "fail_node", "node": "db-1"}),
            (40.0, {"cmd": "fail_data_center", "dc": "dc-2"}),
        ),
    ),
)

PRESETS: Mapping[str, PresetSpec] = {preset.name: preset for preset in _PRESETS}
LESSON_PRESETS = tuple(name for name in PRESETS if name != "full")
