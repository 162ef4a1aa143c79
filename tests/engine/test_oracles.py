"""Oracles: the engine against closed forms (M/M/c, Erlang C) and against a discrete-event simulator.

A single web server is an M/M/c queue (c = its vCPUs, μ = capacity / c). Once the smoothed
arrival rate has settled, the engine's mean wait and 95th percentiles must match the closed forms
within 5 % (they use the same formulas, so they match far closer); the end-to-end percentiles of
a one-node path must match too (the path approximation is exact for one node). A small network
(load balancer → two web servers → session store → database) is cross-checked against Ciw.
"""

from __future__ import annotations

import pytest

from sandbox.engine import Simulation, facts, queueing
from tests.engine.des import ciw_mean_latency_s, engine_mean_latency_s, engine_network, small_network

RHOS = (0.5, 0.8, 0.95)


def single_server(size: str, rho: float) -> tuple[Simulation, float, float, int]:
    """The scalability lab (one server, no load balancer) with static requests only."""
    sim = Simulation.from_preset("scalability")
    sim.apply(
        {"cmd": "set_traffic", "noise": 0.0, "static_share": 1.0, "read_share": 0.0, "write_share": 0.0}
    )
    if size != "xs":
        sim.apply({"cmd": "resize_node", "node": "web-1", "size": size})
    machine = next(m for m in facts.WEB_SIZES if m.name == size)
    arrival = rho * machine.capacity_rps
    sim.apply({"cmd": "set_users", "users": round(arrival / sim.traffic.requests_per_user_s)})
    sim.step(40 * facts.TICKS_PER_SECOND)  # the smoothed rate settles (τ = 1 s)
    return sim, arrival, machine.capacity_rps / machine.vcpus, machine.vcpus


@pytest.mark.parametrize("size", ["xs", "l"])
@pytest.mark.parametrize("rho", RHOS)
def test_single_node_matches_mmc_closed_forms(size: str, rho: float) -> None:
    sim, arrival, mu, servers = single_server(size, rho)
    web = sim.node_metrics("web-1")
    assert web["utilization"] == pytest.approx(rho, rel=0.01)
    expected_wait = queueing.mean_wait_s(arrival, mu, servers) * 1000
    expected_p95 = queueing.response_quantile_s(arrival, mu, servers, 0.95) * 1000
    expected_wait_p95 = queueing.wait_quantile_s(arrival, mu, servers, 0.95) * 1000
    assert web["wait_ms"] == pytest.approx(expected_wait, rel=0.05)
    assert web["p95_ms"] == pytest.approx(expected_p95, rel=0.05)
    assert web["wait_p95_ms"] == pytest.approx(expected_wait_p95, rel=0.05, abs=1e-6)
    assert web["latency_ms"] == pytest.approx(queueing.mean_response_s(arrival, mu, servers) * 1000, rel=0.05)


@pytest.mark.parametrize("rho", RHOS)
def test_end_to_end_percentiles_of_a_one_node_path_are_exact(rho: float) -> None:
    sim, arrival, mu, servers = single_server("xs", rho)
    rtt_ms = facts.region_rtt_ms("ap-northeast", "ap-northeast")
    metrics = sim.metrics()
    for p in (0.5, 0.95, 0.99):
        expected = queueing.response_quantile_s(arrival, mu, servers, p) * 1000 + rtt_ms
        assert metrics[f"p{round(p * 100)}_ms"] == pytest.approx(expected, rel=0.01)


def test_overload_builds_a_backlog_up_to_the_bound_then_drops() -> None:
    sim, _arrival, _mu, _servers = single_server("xs", 0.5)
    sim.apply({"cmd": "set_users", "users": 30_000})  # 300/s on 200/s
    depths = []
    for _ in range(6):
        sim.step(5)
        depths.append(sim.node_metrics("web-1")["backlog"])
    assert depths == sorted(depths) and depths[0] > 0
    assert sim.node_metrics("web-1")["error_rps"] == 0, "no drops while the queue has room"
    sim.step(30)
    web = sim.node_metrics("web-1")
    bound = facts.WEB_SIZES[0].capacity_rps * facts.REQUEST_TIMEOUT_S
    assert web["backlog"] == pytest.approx(bound)
    assert web["error_rps"] == pytest.approx(100, rel=1e-6)
    assert web["latency_ms"] == pytest.approx((bound / 200 + 1 / 100) * 1000, rel=0.1)


@pytest.mark.slow
def test_small_network_mean_latency_matches_ciw() -> None:
    sim = engine_network(rps=200, web_servers=2, web_size="xs", db_size="db-s")
    sim.step(300)
    engine = engine_mean_latency_s(sim)
    net = small_network(sim)
    runs = [ciw_mean_latency_s(net, seconds=80, warmup_s=10, seed=seed)[0] for seed in (1, 2)]
    reference = sum(runs) / len(runs)
    assert engine == pytest.approx(reference, rel=0.05)
