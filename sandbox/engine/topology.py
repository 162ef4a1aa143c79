"""The parts of a lab: data centers, their pools of web servers, and how each kind of node is built.

A data center (one per region at most) holds a load balancer (once there is more than one web
server), pools of web servers (the `web` service, plus services split out of it), a shared
session store (stateless tier), cache nodes and database replicas. The master (or the shards),
the message queue and its consumers, the CDN and the clients are global.
"""

from __future__ import annotations

from sandbox.engine import facts
from sandbox.engine.node import Node

WEB_SERVICE = "web"
SIZE_LADDERS = {"web": facts.WEB_SIZES, "db": facts.DB_SIZES}


class Pool:
    """The servers of one service in one data center, behind that data center's load balancer."""

    __slots__ = (
        "service",
        "dc",
        "servers",
        "share",
        "cooldown_until_s",
        "in_rps",
        "out_rps",
        "mix",
        "rejected",
        "hash_members",
        "routed",
        "weights_epoch",
    )

    def __init__(self, service: str, dc: str, share: float) -> None:
        self.service = service
        self.dc = dc
        self.servers: list[Node] = []
        self.share = share  # share of the data center's dynamic requests (web: the rest + static)
        self.cooldown_until_s = 0.0
        self.in_rps = [0.0, 0.0, 0.0]  # static, read, write arriving this tick
        self.out_rps = [0.0, 0.0, 0.0]  # static, read, write leaving (served and valid)
        self.mix = [1.0, 0.0, 0.0]  # composition of what arrives, for splitting what is served
        self.rejected = 0.0  # dynamic requests that found no session (stateful, not sticky)
        self.hash_members = 0  # servers the ip hash spread users over (stateful tier)
        self.routed = 0.0  # 1 when the load balancer has a server to send to (derived)
        self.weights_epoch = -1  # the route epoch the servers' weights were computed for (derived)

    @property
    def group_id(self) -> str:
        return f"{self.dc}/{self.service}"


class DataCenter:
    __slots__ = (
        "id",
        "region",
        "lb",
        "pools",
        "session_store",
        "caches",
        "failed",
        "routed",
        "in_rps",
        "users",
        "entry_lost",
        "flows_out",
        "read_plan",
    )

    def __init__(self, dc_id: str, region: str) -> None:
        self.id = dc_id
        self.region = region
        self.lb: Node | None = None
        self.pools: list[Pool] = [Pool(WEB_SERVICE, dc_id, 1.0)]
        self.session_store: Node | None = None
        self.caches: list[Node] = []
        self.failed = False
        self.routed = True  # GeoDNS sends users here
        self.in_rps = [0.0, 0.0, 0.0]  # static (origin), read, write arriving from users this tick
        self.users = 0.0
        self.entry_lost = 0.0
        self.flows_out = [0.0, 0.0, 0.0]  # reads and writes leaving the web tier, reads reaching the database
        self.read_plan: list[tuple[Node, float, float]] = []  # (db node, share of reads, extra RTT s)

    def pool(self, service: str) -> Pool | None:
        for pool in self.pools:
            if pool.service == service:
                return pool
        return None

    @property
    def main_pool(self) -> Pool:
        return self.pools[0]

    def nodes(self) -> list[Node]:
        out: list[Node] = []
        if self.lb is not None:
            out.append(self.lb)
        for pool in self.pools:
            out.extend(pool.servers)
        if self.session_store is not None:
            out.append(self.session_store)
        out.extend(self.caches)
        return out


def _place(node: Node, dc: DataCenter | None) -> Node:
    if dc is not None:
        node.dc = dc.id
        node.region = dc.region
    return node


def make_web(node_id: str, dc: DataCenter, service: str, size_index: int) -> Node:
    node = _place(Node(node_id, "web"), dc)
    node.service = service
    resize(node, size_index)
    return node


def make_db(node_id: str, dc: DataCenter | None, role: str, size_index: int) -> Node:
    node = _place(Node(node_id, "db"), dc)
    node.role = role
    resize(node, size_index)
    return node


def resize(node: Node, size_index: int) -> None:
    size = SIZE_LADDERS[node.tier][size_index]
    node.size = size.name
    node.set_capacity(size.servers, size.capacity_rps, size.cost_per_hour)


def size_index(node: Node) -> int:
    names = [size.name for size in SIZE_LADDERS[node.tier]]
    return names.index(node.size) if node.size in names else 0


def lb_capacity(sticky: bool) -> float:
    return facts.LB_CAPACITY_RPS * (facts.LB_STICKY_CAPACITY_FACTOR if sticky else 1.0)


def make_lb(node_id: str, dc: DataCenter, sticky: bool) -> Node:
    node = _place(Node(node_id, "lb"), dc)
    node.set_capacity(16, lb_capacity(sticky), facts.LB_COST_PER_HOUR)
    return node


def make_session_store(node_id: str, dc: DataCenter) -> Node:
    node = _place(Node(node_id, "session"), dc)
    servers = round(facts.SESSION_STORE_CAPACITY_RPS * facts.SESSION_STORE_LOOKUP_MS / 1000.0)
    node.set_capacity(servers, facts.SESSION_STORE_CAPACITY_RPS, facts.SESSION_STORE_COST_PER_HOUR)
    return node


def cache_cost(size_keys: int) -> float:
    return facts.CACHE_COST_PER_HOUR + size_keys / 1e6 * facts.CACHE_COST_PER_MILLION_KEYS_HOUR


def make_cache(node_id: str, dc: DataCenter, size_keys: int) -> Node:
    node = _place(Node(node_id, "cache"), dc)
    servers = round(facts.CACHE_NODE_CAPACITY_RPS * facts.CACHE_LOOKUP_MS / 1000.0)
    node.set_capacity(servers, facts.CACHE_NODE_CAPACITY_RPS, cache_cost(size_keys))
    node.size_keys = size_keys
    return node


def make_queue(node_id: str, dc: DataCenter | None) -> Node:
    node = _place(Node(node_id, "queue"), dc)
    node.set_capacity(8, facts.QUEUE_CAPACITY_RPS, facts.QUEUE_COST_PER_HOUR)
    return node


def make_worker(node_id: str, dc: DataCenter | None) -> Node:
    node = _place(Node(node_id, "worker"), dc)
    node.set_capacity(1, facts.CONSUMER_RATE, facts.CONSUMER_COST_PER_HOUR)
    return node


def make_cdn(node_id: str) -> Node:
    node = Node(node_id, "cdn")
    node.set_capacity(64, facts.CDN_CAPACITY_RPS, 0.0)
    return node


def make_clients(region: str) -> Node:
    node = Node(f"users-{region}", "clients", region=region)
    node.set_capacity(1, 1.0, 0.0)
    return node


def make_dns() -> Node:
    node = Node("dns", "dns")
    node.set_capacity(1, 1.0, 0.0)
    return node
