"""Commands are validated in one place; a refused command names the field and what it allows."""

from __future__ import annotations

import json

import pytest

from sandbox.engine import COMMAND_SPECS, Command, CommandError, Simulation, facts, parse_command
from sandbox.engine.commands import LAB_COMMANDS, describe_commands


def refused(raw: object, sim: Simulation | None = None) -> CommandError:
    with pytest.raises(CommandError) as caught:
        if sim is None:
            parse_command(raw)  # type: ignore[arg-type]
        else:
            sim.apply(raw)  # type: ignore[arg-type]
    return caught.value


def test_a_valid_command_comes_back_typed_and_round_trips() -> None:
    command = parse_command({"cmd": "set_users", "users": 5000.0})
    assert command == Command("set_users", {"users": 5000})
    assert isinstance(command.args["users"], int)
    assert parse_command(command.to_raw()) == command
    assert parse_command(command) == command


def test_unknown_command_lists_the_known_ones() -> None:
    error = refused({"cmd": "explode"})
    assert error.key == "command_unknown" and error.field == "cmd"
    assert error.allowed == sorted(COMMAND_SPECS)
    assert "explode" in str(error) and "fail_node" in str(error)


@pytest.mark.parametrize(
    ("raw", "key", "field", "allowed"),
    [
        ({}, "command_missing", "cmd", None),
        ({"cmd": "set_users"}, "field_required", "users", [1, 10_000_000]),
        ({"cmd": "set_users", "users": 0}, "field_out_of_range", "users", [1, 10_000_000]),
        ({"cmd": "set_users", "users": 10_000_001}, "field_out_of_range", "users", [1, 10_000_000]),
        ({"cmd": "set_users", "users": 2.5}, "field_not_integer", "users", [1, 10_000_000]),
        ({"cmd": "set_users", "users": True}, "field_not_integer", "users", [1, 10_000_000]),
        ({"cmd": "set_users", "users": "many"}, "field_not_integer", "users", [1, 10_000_000]),
        ({"cmd": "set_users", "users": 5, "colour": "red"}, "field_unknown", "colour", ["users"]),
        (
            {"cmd": "set_lb_algorithm", "algorithm": "random"},
            "field_not_allowed",
            "algorithm",
            ["round_robin", "least_connections", "ip_hash"],
        ),
        ({"cmd": "set_cdn", "enabled": "yes"}, "field_not_bool", "enabled", [True, False]),
        ({"cmd": "set_speed", "speed": 11}, "field_out_of_range", "speed", [0.5, 10.0]),
        ({"cmd": "set_traffic", "read_share": float("nan")}, "field_not_number", "read_share", [0.0, 1.0]),
        ({"cmd": "set_traffic", "region_shares": {"mars": 1}}, "field_not_shares", "region_shares", None),
        ({"cmd": "set_traffic", "region_shares": {"us-east": 0}}, "field_not_shares", "region_shares", None),
        ({"cmd": "set_autoscaling", "tier": "web", "min": 5, "max": 2}, "field_min_above_max", "min", [1, 2]),
        ({"cmd": "fail_node", "node": ""}, "field_not_name", "node", None),
    ],
)
def test_each_field_error_names_the_field_and_the_allowed_values(
    raw: dict[str, object], key: str, field: str, allowed: object
) -> None:
    error = refused(raw)
    assert (error.key, error.field) == (key, field)
    if allowed is not None:
        assert error.allowed == allowed
    message = str(error)
    assert field in message
    if isinstance(allowed, list) and len(allowed) > 2:
        assert all(str(value) in message for value in allowed)
    assert error.message("ko") != message  # translated
    json.dumps(error.to_dict("ko"))


def test_not_an_object_is_refused() -> None:
    assert refused(["fail_node"]).key == "command_not_object"


def test_unknown_node_lists_the_nodes() -> None:
    sim = Simulation.from_preset("web-tier")
    error = refused({"cmd": "fail_node", "node": "web-9"}, sim)
    assert error.key == "node_unknown" and error.field == "node"
    assert error.allowed == ["lb-1", "web-1", "web-2", "web-3", "db-1"]
    assert "web-9" in str(error) and "web-2" in str(error)


def test_wrong_tier_names_the_nodes_that_fit() -> None:
    sim = Simulation.from_preset("web-tier")
    error = refused({"cmd": "resize_node", "node": "lb-1", "size": "up"}, sim)
    assert error.key == "node_wrong_tier"
    assert error.allowed == ["web-1", "web-2", "web-3", "db-1"]


def test_topology_caps_are_refused_with_a_clear_message() -> None:
    sim = Simulation.from_preset("scale-out")
    for _ in range(facts.MAX_NODES_PER_TIER - 2):
        sim.apply({"cmd": "add_server", "tier": "web"})
    error = refused({"cmd": "add_server", "tier": "web"}, sim)
    assert error.key == "tier_full" and error.field == "tier"
    assert f"maximum of {facts.MAX_NODES_PER_TIER}" in str(error)
    assert "최대" in error.message("ko")
    sim.apply({"cmd": "set_consumers", "count": facts.MAX_NODES_PER_TIER})
    assert refused({"cmd": "add_server", "tier": "worker"}, sim).key == "tier_full"
    assert refused({"cmd": "set_consumers", "count": 33}, sim).key == "field_out_of_range"


def test_data_centers_are_capped_one_per_region() -> None:
    sim = Simulation.from_preset("data-centers")  # Seoul and Frankfurt
    error = refused({"cmd": "add_data_center", "region": "eu-west"}, sim)
    assert error.key == "region_taken" and error.allowed == ["us-east"]
    sim.apply({"cmd": "add_data_center", "region": "us-east"})
    assert refused({"cmd": "add_data_center", "region": "us-east"}, sim).key == "region_taken"


@pytest.mark.parametrize(
    ("preset", "raw", "key"),
    [
        ("scale-up", {"cmd": "resize_node", "node": "web-1", "size": "down"}, "size_smallest"),
        ("scale-up", {"cmd": "resize_node", "node": "web-1", "size": "db-s"}, "size_unknown"),
        ("scale-up", {"cmd": "remove_node", "node": "web-1"}, "last_server"),
        ("scale-up", {"cmd": "recover_node", "node": "web-1"}, "node_not_down"),
        ("db-replication", {"cmd": "promote_replica", "node": "db-2"}, "master_alive"),
        ("db-replication", {"cmd": "promote_replica", "node": "web-1"}, "node_wrong_tier"),
        ("db-replication", {"cmd": "remove_node", "node": "db-1"}, "master_not_removable"),
        ("data-centers", {"cmd": "fail_data_center", "dc": "dc-9"}, "dc_unknown"),
        ("data-centers", {"cmd": "recover_data_center", "dc": "dc-1"}, "dc_not_down"),
        ("scalability", {"cmd": "merge_service", "service": "orders"}, "service_unknown"),
        ("scalability", {"cmd": "add_server", "tier": "web", "service": "orders"}, "service_unknown"),
        (
            "scalability",
            {"cmd": "set_traffic", "read_share": 0, "write_share": 0, "static_share": 0},
            "traffic_shares_zero",
        ),
    ],
)
def test_state_checks_refuse_with_a_key(preset: str, raw: dict[str, object], key: str) -> None:
    sim = Simulation.from_preset(preset)
    assert refused(raw, sim).key == key


def test_failing_twice_and_promoting_a_dead_replica_are_refused() -> None:
    sim = Simulation.from_preset("db-replication")
    sim.apply({"cmd": "fail_node", "node": "db-3"})
    assert refused({"cmd": "fail_node", "node": "db-3"}, sim).key == "node_already_down"
    sim.apply({"cmd": "fail_node", "node": "db-1"})
    assert refused({"cmd": "promote_replica", "node": "db-3"}, sim).key == "replica_down"
    assert refused({"cmd": "promote_replica", "node": "db-1"}, sim).key == "not_a_replica"
    sim.apply({"cmd": "promote_replica", "node": "db-2"})
    assert refused({"cmd": "promote_replica", "node": "db-2"}, sim).key == "promotion_in_progress"


def test_services_cannot_take_everything() -> None:
    sim = Simulation.from_preset("scalability")
    sim.apply({"cmd": "split_service", "service": "orders", "share": 0.6})
    error = refused({"cmd": "split_service", "service": "search", "share": 0.4}, sim)
    assert error.key == "services_share_too_high" and error.field == "share"


def test_a_refused_command_changes_nothing() -> None:
    sim = Simulation.from_preset("web-tier")
    sim.step(20)
    before = sim.snapshot()
    refused({"cmd": "add_server", "tier": "web", "size": "huge"}, sim)
    refused({"cmd": "set_autoscaling", "tier": "web", "min": 9}, sim)
    assert sim.snapshot() == before


def test_lab_commands_are_validated_but_left_to_the_runner() -> None:
    sim = Simulation.from_preset("web-tier")
    before = sim.snapshot()
    for name in LAB_COMMANDS:
        spec = COMMAND_SPECS[name]
        raw: dict[str, object] = {"cmd": name}
        for field in spec.fields:
            if field.required:
                raw[field.name] = field.minimum
        command = sim.apply(raw)
        assert command.scope == "lab"
    assert sim.snapshot() == before
    assert refused({"cmd": "set_seed", "seed": -1}, sim).field == "seed"


def test_specs_describe_every_command_as_json() -> None:
    described = describe_commands()
    assert [c["name"] for c in described] == list(COMMAND_SPECS)
    json.dumps(described)
    scopes = {c["name"]: c["scope"] for c in described}
    assert {n for n, s in scopes.items() if s == "lab"} == {
        "pause",
        "resume",
        "step",
        "set_speed",
        "reset",
        "set_seed",
    }
    for name in (
        "set_users",
        "set_traffic",
        "add_server",
        "remove_node",
        "resize_node",
        "fail_node",
        "recover_node",
        "set_session_mode",
        "set_sticky_sessions",
        "set_lb_algorithm",
        "promote_replica",
        "set_auto_failover",
        "set_replication",
        "set_cache",
        "set_cdn",
        "add_data_center",
        "fail_data_center",
        "recover_data_center",
        "set_consumers",
        "set_shards",
        "set_hashing",
        "set_hot_key",
        "set_autoscaling",
        "split_service",
    ):
        assert scopes[name] == "engine", name


def test_every_engine_command_is_documented() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    for name in COMMAND_SPECS:
        assert f"`{name}`" in text, name


def test_control_groups_cover_every_command_and_preset() -> None:
    from sandbox.engine import CONTROL_GROUPS, PRESETS

    assert {spec.group for spec in COMMAND_SPECS.values()} == set(CONTROL_GROUPS)
    for preset in PRESETS.values():
        assert set(preset.controls) <= set(CONTROL_GROUPS), preset.name
        assert "traffic" in preset.controls and "lab" in preset.controls
