"""Every behaviour a lesson claims, as a scenario in the lab (ids from lessons/content/claims.md).

Each test starts the lesson's own preset, does what the lesson tells the learner to do, and
checks what the lesson says they will see.
"""

from __future__ import annotations

import pytest

from sandbox.engine import CommandError, Simulation, facts

TPS = facts.TICKS_PER_SECOND


def lab(preset: str, *, users: int | None = None, noise: float | None = 0.0) -> Simulation:
    sim = Simulation.from_preset(preset, users=users)
    if noise is not None:
        sim.apply({"cmd": "set_traffic", "noise": noise})
    return sim


def run(sim: Simulation, seconds: float) -> None:
    sim.step(round(seconds * TPS))


def node(sim: Simulation, node_id: str) -> dict[str, object]:
    return sim.node_metrics(node_id)


def num(value: object) -> float:
    assert isinstance(value, int | float)
    return float(value)


def errors_over(sim: Simulation, seconds: float) -> float:
    """Share of requests that failed over the next `seconds`."""
    requests, errors = sim.requests_total, sim.errors_total
    run(sim, seconds)
    return (sim.errors_total - errors) / (sim.requests_total - requests)


# --- 1 Scalability


def test_single_server_saturates_as_users_grow() -> None:
    sim = lab("scalability")
    seen = []
    for users in (2_000, 10_000, 16_000, 19_000, 30_000):
        sim.apply({"cmd": "set_users", "users": users})
        run(sim, 20)
        metrics = sim.metrics()
        seen.append((users, metrics["p95_ms"], errors_over(sim, 5)))
    p95s = [p95 for _users, p95, _e in seen]
    assert p95s == sorted(p95s), "latency climbs as users grow"
    assert all(err == 0 for users, _p, err in seen if users <= 19_000), "no errors below capacity"
    assert seen[-1][2] > 0.2, "errors appear past capacity"


def test_split_services_scale_independently() -> None:
    sim = lab("scalability")
    sim.apply({"cmd": "split_service", "service": "orders", "share": 0.3})
    run(sim, 10)
    before = sim.metrics()["services"]
    sim.apply({"cmd": "add_server", "tier": "web", "service": "orders"})
    sim.apply({"cmd": "add_server", "tier": "web", "service": "orders"})
    run(sim, 10)
    after = sim.metrics()["services"]
    assert after["web"]["capacity_rps"] == before["web"]["capacity_rps"]
    assert after["web"]["servers"] == before["web"]["servers"] == 1
    assert after["orders"]["servers"] == 3
    assert after["orders"]["capacity_rps"] == 3 * before["orders"]["capacity_rps"]


# --- 2 Scale up


def test_bigger_server_serves_more_traffic() -> None:
    sim = lab("scale-up", users=30_000)  # 300 requests/s on an xs server that serves 200
    run(sim, 10)
    assert errors_over(sim, 5) > 0.2
    sim.apply({"cmd": "resize_node", "node": "web-1", "size": "up"})
    run(sim, facts.RESIZE_DOWNTIME_S + 5)
    assert errors_over(sim, 10) == 0
    assert node(sim, "web-1")["size"] == "s"
    assert num(node(sim, "web-1")["served_rps"]) == pytest.approx(sim.offered_rps, rel=1e-6)


def test_scale_up_cost_grows_faster_than_capacity() -> None:
    sim = lab("scale-up")
    per_request = []
    for _ in facts.WEB_SIZES[1:]:
        web = node(sim, "web-1")
        per_request.append(num(web["cost_per_hour"]) / num(web["capacity_rps"]))
        sim.apply({"cmd": "resize_node", "node": "web-1", "size": "up"})
        run(sim, facts.RESIZE_DOWNTIME_S + 0.5)
    web = node(sim, "web-1")
    per_request.append(num(web["cost_per_hour"]) / num(web["capacity_rps"]))
    assert len(per_request) == len(facts.WEB_SIZES)
    assert all(a < b for a, b in zip(per_request, per_request[1:], strict=False))


def test_scale_up_stops_at_largest_size() -> None:
    sim = lab("scale-up")
    for _ in facts.WEB_SIZES[1:]:
        sim.apply({"cmd": "resize_node", "node": "web-1", "size": "up"})
        run(sim, facts.RESIZE_DOWNTIME_S + 0.5)
    assert node(sim, "web-1")["size"] == facts.LARGEST_WEB_SIZE.name
    with pytest.raises(CommandError) as refused:
        sim.apply({"cmd": "resize_node", "node": "web-1", "size": "up"})
    assert refused.value.key == "size_largest"
    assert refused.value.field == "size"
    assert "largest" in str(refused.value)


def test_single_server_failure_stops_the_service() -> None:
    sim = lab("scale-up")
    run(sim, 5)
    sim.apply({"cmd": "fail_node", "node": "web-1"})
    run(sim, 1)
    assert errors_over(sim, 10) == pytest.approx(1.0)
    assert sim.metrics()["availability"] == 0


# --- 3 Scale out


def test_more_servers_serve_more_traffic() -> None:
    sim = lab("scale-out", users=60_000)  # 600 requests/s on two servers of 200
    run(sim, 10)
    assert errors_over(sim, 5) > 0.2
    sim.apply({"cmd": "add_server", "tier": "web"})
    sim.apply({"cmd": "add_server", "tier": "web"})
    run(sim, facts.SERVER_START_S + facts.HEALTH_CHECK_INTERVAL_S + 5)
    assert errors_over(sim, 10) == 0
    assert sim.metrics()["throughput_rps"] == pytest.approx(600, rel=1e-3)


def test_one_server_failure_keeps_service_up() -> None:
    sim = lab("scale-out", users=48_000)  # four servers at 60 %
    sim.apply({"cmd": "add_server", "tier": "web"})
    sim.apply({"cmd": "add_server", "tier": "web"})
    run(sim, 15)
    sim.apply({"cmd": "fail_node", "node": "web-1"})
    run(sim, facts.HEALTH_CHECK_INTERVAL_S + 0.5)
    assert errors_over(sim, 20) == 0
    assert sim.metrics()["availability"] == 1


def test_scale_out_cost_grows_linearly() -> None:
    sim = lab("scale-out")
    one = facts.WEB_SIZES[0].cost_per_hour
    for count in range(2, 6):
        assert sim.metrics()["cost_by_tier"]["web"] == pytest.approx(count * one)
        sim.apply({"cmd": "add_server", "tier": "web"})


# --- 4 Web tier


def test_load_balancer_spreads_traffic_evenly() -> None:
    for mode in ("stateful", "stateless"):
        sim = lab("web-tier")
        sim.apply({"cmd": "set_session_mode", "mode": mode})
        run(sim, 10)
        rates = [num(node(sim, f"web-{i}")["rps"]) for i in (1, 2, 3)]
        assert max(rates) == pytest.approx(min(rates), rel=1e-9), mode


def test_dead_server_gets_traffic_until_health_check() -> None:
    sim = lab("web-tier")
    run(sim, 10.1)
    sim.apply({"cmd": "fail_node", "node": "web-2"})
    run(sim, 0.5)
    dead = node(sim, "web-2")
    assert dead["status"] == "detecting"
    assert num(dead["rps"]) > 0 and num(dead["error_rps"]) == num(dead["rps"])
    assert sim.metrics()["error_rate"] > 0.2
    run(sim, facts.HEALTH_CHECK_INTERVAL_S)
    dead = node(sim, "web-2")
    assert dead["status"] == "down"
    assert num(dead["rps"]) == 0
    assert errors_over(sim, 5) == 0


def test_added_server_takes_load_during_spike() -> None:
    sim = lab("web-tier")
    sim.apply({"cmd": "set_session_mode", "mode": "stateless"})
    sim.apply({"cmd": "set_traffic", "pattern": "spike", "spike_factor": 2.0, "spike_s": 120})
    run(sim, 10)
    during = errors_over(sim, 5)
    assert during > 0.05
    sim.apply({"cmd": "add_server", "tier": "web"})
    run(sim, facts.SERVER_START_S + facts.HEALTH_CHECK_INTERVAL_S + 5)
    assert num(node(sim, "web-4")["rps"]) == pytest.approx(num(node(sim, "web-1")["rps"]))
    assert errors_over(sim, 10) < during / 10


def test_stateful_server_failure_logs_users_out() -> None:
    sim = lab("web-tier")
    run(sim, 10)
    on_web2 = num(node(sim, "web-2")["sessions"])
    assert sim.metrics()["sessions_lost"] == 0
    sim.apply({"cmd": "fail_node", "node": "web-2"})
    run(sim, 1)
    assert sim.metrics()["sessions_lost"] == round(on_web2) > 0
    assert on_web2 == pytest.approx(sim.metrics()["users"] / 3, rel=0.05)


def test_stateless_tier_loses_no_sessions() -> None:
    sim = lab("web-tier")
    sim.apply({"cmd": "set_session_mode", "mode": "stateless"})
    run(sim, 10)
    sim.apply({"cmd": "fail_node", "node": "web-2"})
    run(sim, 10)
    metrics = sim.metrics()
    assert metrics["sessions_lost"] == 0
    assert metrics["sessions"] == metrics["users"]


def test_new_server_gets_only_new_sticky_sessions() -> None:
    sim = lab("web-tier")
    run(sim, 10)
    sim.apply({"cmd": "add_server", "tier": "web"})
    run(sim, 30)
    old = [num(node(sim, f"web-{i}")["sessions"]) for i in (1, 2, 3)]
    new = num(node(sim, "web-4")["sessions"])
    assert 0 < new < 0.2 * min(old)
    assert num(node(sim, "web-4")["rps"]) < 0.2 * num(node(sim, "web-1")["rps"])


# --- 5 Database replication


def test_writes_go_only_to_master() -> None:
    sim = lab("db-replication")
    run(sim, 10)
    assert num(node(sim, "db-1")["write_rps"]) == pytest.approx(sim.metrics()["db_write_rps"], rel=1e-3)
    assert num(node(sim, "db-1")["write_rps"]) > 0
    assert node(sim, "db-2")["write_rps"] == node(sim, "db-3")["write_rps"] == 0


def test_reads_spread_over_replicas() -> None:
    sim = lab("db-replication")
    run(sim, 10)
    assert num(node(sim, "db-1")["read_rps"]) == 0
    assert num(node(sim, "db-2")["read_rps"]) == pytest.approx(num(node(sim, "db-3")["read_rps"]))
    assert num(node(sim, "db-2")["read_rps"]) > 0


def test_replica_failure_moves_reads_to_others() -> None:
    sim = lab("db-replication")
    run(sim, 10)
    reads = sim.metrics()["db_read_rps"]
    sim.apply({"cmd": "fail_node", "node": "db-3"})
    run(sim, facts.HEALTH_CHECK_INTERVAL_S + 1)
    assert node(sim, "db-3")["status"] == "down"
    assert num(node(sim, "db-3")["read_rps"]) == 0
    assert num(node(sim, "db-2")["read_rps"]) == pytest.approx(reads, rel=0.02)
    assert errors_over(sim, 5) == 0


def test_last_replica_failure_sends_reads_to_master() -> None:
    sim = lab("db-replication", users=100_000)
    run(sim, 10)
    reads = sim.metrics()["db_read_rps"]
    sim.apply({"cmd": "fail_node", "node": "db-2"})
    sim.apply({"cmd": "fail_node", "node": "db-3"})
    run(sim, facts.HEALTH_CHECK_INTERVAL_S + 1)
    assert num(node(sim, "db-1")["read_rps"]) == pytest.approx(reads, rel=0.02)
    assert errors_over(sim, 5) == 0


def test_master_failure_promotes_a_replica() -> None:
    sim = lab("db-replication")
    run(sim, 10)
    sim.apply({"cmd": "fail_node", "node": "db-1"})
    run(sim, 1)
    assert sim.metrics()["orders_per_s"] == 0, "writes fail while the master is down"
    failed = sim.metrics()["writes_failed"]
    assert failed > 0
    run(sim, facts.MASTER_FAILURE_DETECTION_S + facts.REPLICA_PROMOTION_S + 1)
    masters = [n.id for n in sim.nodes if n.role == "master"]
    assert masters in (["db-2"], ["db-3"])
    assert sim.metrics()["orders_per_s"] > 0, "writes resume on the new master"
    keys = [e.key for e in sim.events]
    assert (
        keys.index("master_failed") < keys.index("master_failure_detected") < keys.index("replica_promoted")
    )
    promoted = next(e for e in sim.events if e.key == "replica_promoted")
    assert promoted.params["after_s"] == facts.MASTER_FAILURE_DETECTION_S + facts.REPLICA_PROMOTION_S


def test_async_replication_loses_unreplicated_writes() -> None:
    lost = {}
    for mode in ("async", "sync"):
        sim = lab("db-replication")
        sim.apply({"cmd": "set_replication", "mode": mode})
        run(sim, 10)
        sim.apply({"cmd": "fail_node", "node": "db-1"})
        run(sim, 10)
        lost[mode] = sim.metrics()["writes_lost"]
    assert lost["async"] > 0
    assert lost["sync"] == 0


def test_replication_lag_grows_with_write_load() -> None:
    lag, stale = [], []
    for write_share in (0.1, 0.2, 0.3):
        sim = lab("db-replication")
        sim.apply({"cmd": "set_traffic", "write_share": write_share, "read_share": 0.8 - write_share})
        run(sim, 20)
        lag.append(sim.metrics()["replication_lag_ms"])
        before = sim.stale_reads
        run(sim, 10)
        stale.append(sim.stale_reads - before)
    assert lag == sorted(lag) and lag[0] < lag[-1]
    assert stale == sorted(stale) and stale[0] < stale[-1]


def test_after_failover_the_lag_is_the_serving_replicas_and_stays_small() -> None:
    """The failed old master is not a replica anyone reads from: its backlog is no lag a
    student should see climb while the new master and the other replica run normally."""
    sim = lab("db-replication")
    run(sim, 10)
    normal = sim.metrics()["replication_lag_ms"]
    sim.apply({"cmd": "fail_node", "node": "db-1"})
    run(sim, 40)  # promotion after a few seconds, then half a minute of normal running
    assert node(sim, "db-1")["status"] == "down"
    assert sim.metrics()["replication_lag_ms"] < 3 * normal


def test_availability_since_the_start_remembers_an_outage() -> None:
    sim = lab("db-replication")
    run(sim, 5)
    sim.apply({"cmd": "fail_node", "node": "db-1"})
    run(sim, 20)
    metrics = sim.metrics()
    assert metrics["availability"] == 1.0  # now: writes flow again to the new master
    assert 0.8 < metrics["availability_total"] < 0.99  # since the start: the outage counts


# --- 6 Message queue


def test_consumer_down_backlog_grows_nothing_lost() -> None:
    sim = lab("message-queue")
    run(sim, 10)
    assert sim.metrics()["queue_depth"] == 0
    sim.apply({"cmd": "set_consumers", "count": 0})
    depth = []
    for _ in range(3):
        run(sim, 5)
        depth.append(sim.metrics()["queue_depth"])
    assert 0 < depth[0] < depth[1] < depth[2]
    assert sim.metrics()["messages_lost"] == 0
    assert sim.metrics()["queue_age_s"] > 10


def test_producers_unaffected_by_consumer_failure() -> None:
    sim = lab("message-queue")
    run(sim, 10)
    orders = sim.metrics()["orders_per_s"]
    for worker in ("worker-1", "worker-2", "worker-3"):
        sim.apply({"cmd": "fail_node", "node": worker})
    assert errors_over(sim, 10) == 0
    assert sim.metrics()["orders_per_s"] == pytest.approx(orders, rel=1e-6)
    assert sim.metrics()["consumed_per_s"] == 0


def test_more_consumers_drain_backlog() -> None:
    sim = lab("message-queue")
    sim.apply({"cmd": "set_consumers", "count": 0})
    run(sim, 20)
    backlog = sim.metrics()["queue_depth"]
    assert backlog > 0
    sim.apply({"cmd": "set_consumers", "count": 6})
    run(sim, 5)
    assert sim.metrics()["queue_depth"] < backlog
    run(sim, 30)
    assert sim.metrics()["queue_depth"] == 0
    assert sim.metrics()["messages_lost"] == 0


# --- 7 Logs, metrics, automation


def test_failures_are_logged_as_events() -> None:
    sim = lab("logs-metrics-automation")
    run(sim, 10)
    sim.apply({"cmd": "fail_node", "node": "web-1"})
    run(sim, 5)
    failure = next(e for e in sim.events if e.key == "node_failed")
    assert failure.t == 10.0 and failure.node == "web-1" and failure.severity == "error"
    detected = next(e for e in sim.events if e.key == "failure_detected")
    assert detected.node == "web-1" and detected.severity == "warning" and detected.t > failure.t
    assert failure.to_dict("en")["text"] == "web-1 failed"
    assert "web-1" in str(failure.to_dict("ko")["text"])


def test_metrics_show_percentile_latency() -> None:
    sim = lab("scale-out")
    rows = []
    for users in (10_000, 25_000, 36_000):
        sim.apply({"cmd": "set_users", "users": users})
        run(sim, 20)
        m = sim.metrics()
        rows.append((m["p50_ms"], m["p95_ms"], m["p99_ms"]))
    for p50, p95, p99 in rows:
        assert 0 < p50 <= p95 <= p99
    (p50_low, _p95_low, p99_low), (p50_high, _p95_high, p99_high) = rows[0], rows[-1]
    assert p99_high - p99_low > 2 * (p50_high - p50_low), "the tail grows first"


def test_autoscaling_adds_servers_under_load() -> None:
    sim = lab("logs-metrics-automation")
    run(sim, 10)
    assert sim.metrics()["services"]["web"]["servers"] == 2
    sim.apply({"cmd": "set_users", "users": 200_000})
    run(sim, 60)
    servers = sim.metrics()["services"]["web"]["servers"]
    rule = sim.autoscaling["web"]
    assert 2 < servers <= rule.max
    assert any(e.key == "autoscaled_out" for e in sim.events)
    sim.apply({"cmd": "set_users", "users": 1_000})
    run(sim, 120)
    assert sim.metrics()["services"]["web"]["servers"] == rule.min


def test_auto_failover_promotes_without_operator() -> None:
    sim = lab("logs-metrics-automation")
    run(sim, 5)
    sim.apply({"cmd": "fail_node", "node": "db-1"})
    run(sim, facts.MASTER_FAILURE_DETECTION_S + facts.REPLICA_PROMOTION_S + 1)
    assert sim.master is not None and sim.master.id == "db-2"

    sim = lab("logs-metrics-automation")
    sim.apply({"cmd": "set_auto_failover", "enabled": False})
    run(sim, 5)
    sim.apply({"cmd": "fail_node", "node": "db-1"})
    run(sim, 30)
    assert sim.master is not None and sim.master.id == "db-1"
    assert sim.metrics()["orders_per_s"] == 0
    assert any(e.key == "awaiting_manual_promotion" for e in sim.events)
    sim.apply({"cmd": "promote_replica", "node": "db-2"})
    run(sim, facts.REPLICA_PROMOTION_S + 1)
    assert sim.master.id == "db-2"
    assert sim.metrics()["orders_per_s"] > 0


# --- 8 Database scaling


def test_database_scale_up_reaches_largest_machine() -> None:
    sim = lab("db-scaling")
    for _ in facts.DB_SIZES[1:]:
        sim.apply({"cmd": "resize_node", "node": "db-1", "size": "up"})
        run(sim, facts.RESIZE_DOWNTIME_S + 0.5)
    assert node(sim, "db-1")["size"] == facts.LARGEST_DB_SIZE.name
    assert facts.LARGEST_DB_SIZE.ram_gb == facts.LARGEST_DB_RAM_TB * 1024
    with pytest.raises(CommandError) as refused:
        sim.apply({"cmd": "resize_node", "node": "db-1", "size": "up"})
    assert refused.value.key == "size_largest"


def test_largest_master_handles_ten_million_users() -> None:
    sim = lab("db-scaling", users=facts.SINGLE_MASTER_USERS)
    sim.apply({"cmd": "resize_node", "node": "db-1", "size": facts.LARGEST_DB_SIZE.name})
    for web in ("web-1", "web-2", "web-3", "web-4"):
        sim.apply({"cmd": "resize_node", "node": web, "size": facts.LARGEST_WEB_SIZE.name})
    for _ in range(20):  # 24 of the largest web servers carry the 100,000 requests/s
        sim.apply({"cmd": "add_server", "tier": "web", "size": facts.LARGEST_WEB_SIZE.name})
    run(sim, 20)
    master = node(sim, "db-1")
    assert sim.metrics()["users"] == facts.SINGLE_MASTER_USERS
    assert num(master["write_rps"]) == pytest.approx(
        facts.SINGLE_MASTER_USERS * sim.traffic.requests_per_user_s * sim.traffic.write_share, rel=1e-6
    )
    assert num(master["utilization"]) < 0.9
    assert num(master["error_rps"]) == 0
    assert errors_over(sim, 5) == 0


def test_sharding_spreads_load_across_shards() -> None:
    sim = lab("db-scaling")
    sim.apply({"cmd": "set_shards", "count": 4})
    run(sim, 10)
    loads = [num(node(sim, f"shard-{i}")["rps"]) for i in range(1, 5)]
    total = sum(loads)
    for load in loads:
        assert load == pytest.approx(total / 4, rel=0.2)


def test_consistent_hashing_moves_few_keys_when_adding_shard() -> None:
    sim = lab("db-scaling")
    sim.apply({"cmd": "set_hashing", "scheme": "consistent"})
    sim.apply({"cmd": "set_shards", "count": 4})
    sim.apply({"cmd": "set_shards", "count": 5})
    assert sim.metrics()["keys_moved_share"] == pytest.approx(1 / 5, abs=0.05)
    assert any(e.key == "shards_changed" and e.params["count"] == 5 for e in sim.events)


def test_mod_n_hashing_moves_most_keys() -> None:
    sim = lab("db-scaling")
    sim.apply({"cmd": "set_hashing", "scheme": "mod_n"})
    sim.apply({"cmd": "set_shards", "count": 4})
    sim.apply({"cmd": "set_shards", "count": 5})
    assert sim.metrics()["keys_moved_share"] == pytest.approx(4 / 5, abs=0.05)


def test_hot_key_overloads_one_shard() -> None:
    sim = lab("db-scaling", users=250_000)
    sim.apply({"cmd": "set_shards", "count": 4})
    sim.apply({"cmd": "set_hot_key", "enabled": True, "share": 0.6})
    for vnodes in (10, 1000):
        sim.apply({"cmd": "set_hashing", "scheme": "consistent", "vnodes": vnodes})
        run(sim, 10)
        shards = [node(sim, f"shard-{i}") for i in range(1, 5)]
        hot = max(shards, key=lambda s: num(s["rps"]))
        others = [s for s in shards if s is not hot]
        assert num(hot["utilization"]) > 0.99 and num(hot["error_rps"]) > 0
        assert all(num(s["utilization"]) < 0.6 and num(s["error_rps"]) == 0 for s in others)


# --- 9 Cache


def test_bigger_cache_raises_hit_ratio_and_lowers_db_load() -> None:
    results = []
    for size in (1_000, 10_000, 100_000):
        sim = lab("cache")
        sim.apply({"cmd": "set_cache", "size_keys": size})
        run(sim, 120)
        m = sim.metrics()
        results.append((m["hit_ratio"], m["db_read_rps"]))
    hits = [h for h, _ in results]
    db = [d for _, d in results]
    assert hits == sorted(hits) and hits[0] < hits[-1]
    assert db == sorted(db, reverse=True) and db[0] > db[-1]


def test_cold_cache_warms_up() -> None:
    sim = lab("cache")
    run(sim, 0.2)
    hit = [sim.metrics()["hit_ratio"]]
    for _ in range(6):
        run(sim, 5)
        hit.append(sim.metrics()["hit_ratio"])
    assert hit[0] < 0.05, "an empty cache misses"
    assert hit == sorted(hit), "it warms up"
    assert hit[-1] > 0.3


def test_cache_loss_spikes_database_load() -> None:
    sim = lab("cache")
    run(sim, 60)
    before = sim.metrics()["db_read_rps"]
    sim.apply({"cmd": "fail_node", "node": "cache-1"})
    run(sim, 1)
    after = sim.metrics()["db_read_rps"]
    assert after > 1.5 * before
    assert after == pytest.approx(sim.offered_rps * sim.traffic.read_share, rel=0.02)


# --- 10 CDN


def test_cdn_serves_static_share_at_edge() -> None:
    sim = lab("cdn")
    run(sim, 10)
    static_at_web = sum(p.in_rps[0] for p in sim.groups)
    assert static_at_web == pytest.approx(sim.offered_rps * sim.traffic.static_share, rel=1e-6)
    sim.apply({"cmd": "set_cdn", "enabled": True})
    run(sim, 10)
    static_at_web = sum(p.in_rps[0] for p in sim.groups)
    static = sim.offered_rps * sim.traffic.static_share
    assert static_at_web == pytest.approx(static * (1 - facts.CDN_HIT_RATIO), rel=1e-6)
    assert num(node(sim, "cdn")["rps"]) == pytest.approx(static, rel=1e-6)


def test_cdn_lowers_latency_for_far_users() -> None:
    sim = lab("cdn")
    run(sim, 10)
    before = sim.metrics()["regions"]
    sim.apply({"cmd": "set_cdn", "enabled": True})
    run(sim, 10)
    after = sim.metrics()["regions"]
    for region in ("us-east", "eu-west"):
        assert after[region]["static_ms"] < 0.5 * before[region]["static_ms"]
    assert before["eu-west"]["static_ms"] > before["ap-northeast"]["static_ms"]


# --- 11 Data centers


def test_geo_routing_sends_users_to_nearest_dc() -> None:
    sim = lab("data-centers")  # data center A (dc-1) in Seoul, B (dc-2) in Frankfurt
    run(sim, 5)
    regions = sim.metrics()["regions"]
    assert regions["ap-northeast"]["dc"] == "dc-1"  # Seoul's users stay in Seoul
    assert regions["eu-west"]["dc"] == "dc-2"  # Europe's users go to Frankfurt
    assert regions["us-east"]["dc"] == "dc-2"  # Virginia is nearer to Frankfurt than to Seoul


def test_dc_outage_reroutes_with_higher_latency() -> None:
    sim = lab("data-centers")
    run(sim, 5)
    before = sim.metrics()["regions"]
    sim.apply({"cmd": "fail_data_center", "dc": "dc-1"})  # A, Seoul, as in the lesson
    run(sim, 1)
    assert sim.metrics()["error_rate"] > 0, "until GeoDNS notices, A's users get errors"
    run(sim, facts.DC_FAILOVER_S + 5)
    after = sim.metrics()["regions"]
    assert after["ap-northeast"]["dc"] == "dc-2"
    assert after["ap-northeast"]["mean_ms"] > before["ap-northeast"]["mean_ms"] + 100
    assert after["eu-west"]["mean_ms"] == pytest.approx(before["eu-west"]["mean_ms"], abs=50), (
        "Frankfurt's own users keep their short trip (B only carries more traffic)"
    )
    assert errors_over(sim, 5) == 0
