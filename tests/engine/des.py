"""A discrete-event reference (Ciw) for the engine: the same small network, request by request.

Network: clients → load balancer (M/M/16) → n web servers (M/M/c each, chosen at random with
equal probability, as round robin gives each the same Poisson share) → with probability
`db_share` (dynamic requests) the shared session store, then the database (M/M/c), then out.
Used by the oracle test and by the benchmark.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import ciw

from sandbox.engine import Simulation, facts
from sandbox.engine.node import Node


@dataclass(frozen=True)
class SmallNetwork:
    rps: float
    lb: Node
    web: tuple[Node, ...]
    session: Node
    db: Node
    db_share: float  # share of requests that also query the database
    fixed_s: float  # network delay the engine adds (user ↔ data center round trip)


def engine_network(*, rps: float, web_servers: int, web_size: str, db_size: str, seed: int = 1) -> Simulation:
    """The scale-out lab set up as the small network: no noise, one region, given sizes."""
    sim = Simulation.from_preset("scale-out", seed=seed)
    sim.apply(
        {"cmd": "set_traffic", "noise": 0.0, "static_share": 0.4, "read_share": 0.5, "write_share": 0.1}
    )
    users = round(rps / sim.traffic.requests_per_user_s)
    sim.apply({"cmd": "set_users", "users": users})
    for node in list(sim.web_nodes()):
        if node.size != web_size:
            sim.apply({"cmd": "resize_node", "node": node.id, "size": web_size})
    for _ in range(web_servers - 2):
        sim.apply({"cmd": "add_server", "tier": "web", "size": web_size})
    sim.apply({"cmd": "resize_node", "node": "db-1", "size": db_size})
    sim.step(round(10 * facts.TICKS_PER_SECOND))  # boots, resizes and health checks are over
    return sim


def small_network(sim: Simulation) -> SmallNetwork:
    dc = sim.dcs[0]
    assert dc.lb is not None and sim.master is not None and dc.session_store is not None
    traffic = sim.traffic
    return SmallNetwork(
        rps=sim.offered_rps,
        lb=dc.lb,
        web=tuple(dc.main_pool.servers),
        session=dc.session_store,
        db=sim.master,
        db_share=traffic.read_share + traffic.write_share,
        fixed_s=facts.region_rtt_ms(next(iter(traffic.region_shares)), dc.region) / 1000,
    )


def ciw_mean_latency_s(
    net: SmallNetwork, *, seconds: float, warmup_s: float, seed: int = 1
) -> tuple[float, int, float]:
    """Mean end-to-end response time of completed requests (after warm-up), the number of requests,
    and the wall-clock time Ciw took."""
    n = len(net.web)
    nodes = [net.lb, *net.web, net.session, net.db]
    size = len(nodes)
    routing = [[0.0] * size for _ in range(size)]
    for k in range(n):
        routing[0][1 + k] = 1.0 / n
        routing[1 + k][size - 2] = net.db_share
    routing[size - 2][size - 1] = 1.0
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(net.rps)] + [None] * (size - 1),
        service_distributions=[ciw.dists.Exponential(node.rate) for node in nodes],
        number_of_servers=[node.servers for node in nodes],
        routing=routing,
    )
    ciw.seed(seed)
    started = time.perf_counter()
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(seconds)
    elapsed = time.perf_counter() - started
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    for record in simulation.get_all_records():
        first[record.id_number] = min(first.get(record.id_number, record.arrival_date), record.arrival_date)
        last[record.id_number] = max(last.get(record.id_number, record.exit_date), record.exit_date)
    done = [last[i] - first[i] for i in first if first[i] >= warmup_s and last[i] <= seconds]
    return sum(done) / len(done), len(done), elapsed


def engine_mean_latency_s(sim: Simulation) -> float:
    """The engine's mean end-to-end latency without the fixed network round trip."""
    net = small_network(sim)
    return sim.metrics()["mean_ms"] / 1000.0 - net.fixed_s
