"""Commands: every change to a lab is a command, validated here and nowhere else.

A raw command is a JSON-like mapping, `{"cmd": "fail_node", "node": "web-2"}`. `parse_command`
checks it against `COMMAND_SPECS` (the machine-readable description the UI and the docs use) and
returns a `Command` with typed, defaulted arguments, or raises `CommandError` naming the field
and the allowed values. Checks that need the running lab (does node `web-9` exist? is the tier
full?) happen in `Simulation.apply` and raise the same `CommandError`.

Commands have a scope: `"engine"` commands change the simulation; `"lab"` commands (pause,
resume, step, set_speed, reset, set_seed) are about pacing and are carried out by the live-lab
runner. They are validated here too; `Simulation.apply` accepts them and changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sandbox.engine import facts

FieldType = Literal["int", "float", "bool", "choice", "name", "shares"]
Scope = Literal["engine", "lab"]

COMMAND_KEY = "cmd"
SESSION_MODES = ("stateful", "stateless")
LB_ALGORITHMS = ("round_robin", "least_connections", "ip_hash")
REPLICATION_MODES = ("async", "sync")
TRAFFIC_PATTERNS = ("constant", "ramp", "spike", "diurnal")
HASHING_SCHEMES = ("mod_n", "consistent")
SHARD_KEYS = ("user_id", "region")
SERVER_TIERS = ("web", "db", "cache", "worker")
AUTOSCALING_TIERS = ("web", "worker")
SERVICE_NAMES = ("orders", "search", "accounts", "media", "payments")
RELATIVE_SIZES = ("up", "down")
MAX_SEED = 2**31 - 1
# The control groups a lab can show (a command's `group`; a preset's `controls`), in panel order.
CONTROL_GROUPS = (
    "traffic",
    "topology",
    "faults",
    "sessions",
    "load_balancer",
    "resize",
    "replication",
    "automation",
    "cache",
    "cdn",
    "data_centers",
    "queue",
    "sharding",
    "services",
    "lab",
)


@dataclass(frozen=True)
class FieldSpec:
    """One argument of a command: its type, whether it is required, and what values are allowed."""

    name: str
    type: FieldType
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""

    def allowed(self) -> object:
        """The allowed values, as shown in error messages and the docs."""
        if self.type == "bool":
            return [True, False]
        if self.choices:
            return list(self.choices)
        if self.minimum is not None or self.maximum is not None:
            return [self.minimum, self.maximum]
        if self.type == "shares":
            return dict.fromkeys(facts.REGIONS, "≥ 0")
        return None

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "type": self.type, "required": self.required}
        if self.minimum is not None:
            out["min"] = self.minimum
        if self.maximum is not None:
            out["max"] = self.maximum
        if self.choices:
            out["choices"] = list(self.choices)
        if self.type == "shares":
            out["keys"] = list(facts.REGIONS)
        if self.help:
            out["help"] = self.help
        return out


@dataclass(frozen=True)
class CommandSpec:
    name: str
    scope: Scope
    group: str  # the control group the lab UI shows it in (see presets' `controls`)
    fields: tuple[FieldSpec, ...] = ()
    help: str = ""

    def field(self, name: str) -> FieldSpec | None:
        for spec in self.fields:
            if spec.name == name:
                return spec
        return None

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "scope": self.scope,
            "group": self.group,
            "help": self.help,
            "fields": [spec.describe() for spec in self.fields],
        }


def _node(help_text: str = "a node id, e.g. web-2") -> FieldSpec:
    return FieldSpec("node", "name", required=True, help=help_text)


def _enabled(required: bool = True) -> FieldSpec:
    return FieldSpec("enabled", "bool", required=required)


_SPECS = (
    CommandSpec(
        "set_users",
        "engine",
        "traffic",
        (FieldSpec("users", "int", True, facts.MIN_USERS, facts.MAX_USERS, help="active users"),),
        "How many users use the service (log scale, 1 to 10 million).",
    ),
    CommandSpec(
        "set_traffic",
        "engine",
        "traffic",
        (
            FieldSpec("pattern", "choice", choices=TRAFFIC_PATTERNS),
            FieldSpec(
                "read_share", "float", minimum=0.0, maximum=1.0, help="share of requests that read data"
            ),
            FieldSpec(
                "write_share", "float", minimum=0.0, maximum=1.0, help="share of requests that write data"
            ),
            FieldSpec(
                "static_share", "float", minimum=0.0, maximum=1.0, help="share of requests for static files"
            ),
            FieldSpec("requests_per_user_s", "float", minimum=0.0001, maximum=10.0),
            FieldSpec("region_shares", "shares", help="share of users in each region"),
            FieldSpec("noise", "float", minimum=0.0, maximum=0.2, help="random wobble of the request rate"),
            FieldSpec("spike_factor", "float", minimum=1.0, maximum=20.0, help="spike: traffic × this"),
            FieldSpec("spike_s", "float", minimum=1.0, maximum=3600.0, help="spike: how long it lasts"),
            FieldSpec(
                "ramp_s", "float", minimum=1.0, maximum=3600.0, help="ramp: time to reach full traffic"
            ),
            FieldSpec("period_s", "float", minimum=10.0, maximum=86400.0, help="diurnal: length of a day"),
        ),
        "Traffic shape and mix. Shares are normalised to sum to 1; a pattern restarts when set.",
    ),
    CommandSpec(
        "add_server",
        "engine",
        "topology",
        (
            FieldSpec("tier", "choice", True, choices=SERVER_TIERS, help="db adds a replica"),
            FieldSpec("dc", "name", help="data center id (default: the first)"),
            FieldSpec("service", "name", help="web tier: which service pool (default: web)"),
            FieldSpec("size", "name", help="machine size (default: like its neighbours)"),
        ),
        "Add a web server, a database replica, a cache node or a consumer.",
    ),
    CommandSpec(
        "remove_node",
        "engine",
        "topology",
        (_node(), FieldSpec("drain", "bool", help="let sessions finish first (default true)")),
        "Remove a web server, replica, cache node or consumer.",
    ),
    CommandSpec(
        "resize_node",
        "engine",
        "resize",
        (_node(), FieldSpec("size", "name", True, help="a size name, or up / down one rung")),
        "Give a web server or database a bigger or smaller machine (it restarts).",
    ),
    CommandSpec("fail_node", "engine", "faults", (_node(),), "Make a node fail."),
    CommandSpec("recover_node", "engine", "faults", (_node(),), "Bring a failed node back."),
    CommandSpec(
        "set_session_mode",
        "engine",
        "sessions",
        (FieldSpec("mode", "choice", True, choices=SESSION_MODES),),
        "Stateful: sessions live on web servers. Stateless: in a shared session store.",
    ),
    CommandSpec(
        "set_sticky_sessions", "engine", "sessions", (_enabled(),), "Send a user to the same server."
    ),
    CommandSpec(
        "set_lb_algorithm",
        "engine",
        "load_balancer",
        (FieldSpec("algorithm", "choice", True, choices=LB_ALGORITHMS),),
        "How the load balancer picks a server.",
    ),
    CommandSpec(
        "promote_replica",
        "engine",
        "replication",
        (_node("a replica id, e.g. db-2"),),
        "Make a replica the new master (when the master has failed).",
    ),
    CommandSpec(
        "set_auto_failover", "engine", "automation", (_enabled(),), "Promote a replica automatically."
    ),
    CommandSpec(
        "set_replication",
        "engine",
        "replication",
        (FieldSpec("mode", "choice", True, choices=REPLICATION_MODES),),
        "Async: fast writes, a lag, writes lost on failover. Sync: no loss, slower writes.",
    ),
    CommandSpec(
        "set_cache",
        "engine",
        "cache",
        (
            _enabled(required=False),
            FieldSpec("size_keys", "int", minimum=100, maximum=10_000_000, help="keys each cache node holds"),
            FieldSpec("ttl_s", "float", minimum=1.0, maximum=86400.0, help="time to live of a cached key"),
        ),
        "A cache in front of the database.",
    ),
    CommandSpec("set_cdn", "engine", "cdn", (_enabled(),), "Serve static files from CDN edges."),
    CommandSpec(
        "add_data_center",
        "engine",
        "data_centers",
        (FieldSpec("region", "choice", True, choices=facts.REGIONS),),
        "Open a data center in another region.",
    ),
    CommandSpec(
        "fail_data_center",
        "engine",
        "data_centers",
        (FieldSpec("dc", "name", True, help="a data center id, e.g. dc-2"),),
        "Take a whole data center down.",
    ),
    CommandSpec(
        "recover_data_center",
        "engine",
        "data_centers",
        (FieldSpec("dc", "name", True, help="a data center id, e.g. dc-2"),),
        "Bring a data center back.",
    ),
    CommandSpec(
        "set_consumers",
        "engine",
        "queue",
        (FieldSpec("count", "int", True, 0, facts.MAX_NODES_PER_TIER),),
        "How many consumers read the message queue (adds the queue if missing).",
    ),
    CommandSpec(
        "set_shards",
        "engine",
        "sharding",
        (FieldSpec("count", "int", True, 1, facts.MAX_NODES_PER_TIER, help="1 = not sharded"),),
        "Split the database into shards (resharding moves keys).",
    ),
    CommandSpec(
        "set_hashing",
        "engine",
        "sharding",
        (
            FieldSpec("scheme", "choice", True, choices=HASHING_SCHEMES),
            FieldSpec("vnodes", "int", minimum=1, maximum=1000, help="virtual nodes per shard"),
        ),
        "How keys map to shards: hash mod N, or a consistent-hashing ring.",
    ),
    CommandSpec(
        "set_shard_key",
        "engine",
        "sharding",
        (FieldSpec("key", "choice", True, choices=SHARD_KEYS),),
        "What decides a row's shard.",
    ),
    CommandSpec(
        "set_hot_key",
        "engine",
        "sharding",
        (_enabled(), FieldSpec("share", "float", minimum=0.001, maximum=0.9, help="share of all requests")),
        "A celebrity key that a large share of requests touch.",
    ),
    CommandSpec(
        "set_autoscaling",
        "engine",
        "automation",
        (
            FieldSpec("tier", "choice", True, choices=AUTOSCALING_TIERS),
            _enabled(required=False),
            FieldSpec("min", "int", minimum=1, maximum=facts.MAX_NODES_PER_TIER),
            FieldSpec("max", "int", minimum=1, maximum=facts.MAX_NODES_PER_TIER),
            FieldSpec("target_utilization", "float", minimum=0.1, maximum=0.95),
            FieldSpec("cooldown_s", "float", minimum=0.0, maximum=600.0),
        ),
        "A rule that adds servers above the target utilisation and removes them well below it.",
    ),
    CommandSpec(
        "split_service",
        "engine",
        "services",
        (
            FieldSpec("service", "choice", True, choices=SERVICE_NAMES),
            FieldSpec("share", "float", True, 0.05, 0.9, help="share of dynamic requests it handles"),
        ),
        "Split part of the web tier into its own service with its own servers.",
    ),
    CommandSpec(
        "merge_service",
        "engine",
        "services",
        (FieldSpec("service", "choice", True, choices=SERVICE_NAMES),),
        "Fold a service back into the web tier.",
    ),
    CommandSpec("pause", "lab", "lab", (), "Stop the clock."),
    CommandSpec("resume", "lab", "lab", (), "Start the clock again."),
    CommandSpec(
        "step", "lab", "lab", (FieldSpec("ticks", "int", minimum=1, maximum=600),), "Advance by ticks."
    ),
    CommandSpec(
        "set_speed", "lab", "lab", (FieldSpec("speed", "float", True, 0.5, 10.0),), "Simulated s per real s."
    ),
    CommandSpec("reset", "lab", "lab", (), "Start the preset again."),
    CommandSpec(
        "set_seed", "lab", "lab", (FieldSpec("seed", "int", True, 0, MAX_SEED),), "Restart with a seed."
    ),
)

COMMAND_SPECS: Mapping[str, CommandSpec] = {spec.name: spec for spec in _SPECS}
ENGINE_COMMANDS = tuple(name for name, spec in COMMAND_SPECS.items() if spec.scope == "engine")
LAB_COMMANDS = tuple(name for name, spec in COMMAND_SPECS.items() if spec.scope == "lab")


class CommandError(ValueError):
    """A refused command. `key` + `params` translate it (see messages.py); `field` and `allowed`
    tell the UI which control was wrong and what it accepts. `str()` is the English message."""

    def __init__(
        self, key: str, *, field: str | None = None, allowed: object = None, **params: object
    ) -> None:
        self.key = key
        self.field = field
        self.allowed = allowed
        self.params: dict[str, object] = {"field": field, "allowed": allowed, **params}
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        from sandbox.engine.messages import render

        return render(self.key, self.params, lang)

    def to_dict(self, lang: str | None = None) -> dict[str, object]:
        out: dict[str, object] = {
            "key": self.key,
            "field": self.field,
            "allowed": self.allowed,
            "params": _jsonable(self.params),
        }
        if lang is not None:
            out["message"] = self.message(lang)
        return out


def _jsonable(value: object) -> object:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class Command:
    """A validated command: its name and its typed arguments (only those given, defaults are
    applied by the simulation, which knows the current state)."""

    name: str
    args: Mapping[str, object] = field(default_factory=dict)

    @property
    def scope(self) -> Scope:
        return COMMAND_SPECS[self.name].scope

    def to_raw(self) -> dict[str, object]:
        """The JSON form, which `parse_command` turns back into an equal Command."""
        return {COMMAND_KEY: self.name, **{k: _jsonable(v) for k, v in self.args.items()}}

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.args.get(name, default)
        return value if isinstance(value, str) else default

    def get_bool(self, name: str, default: bool | None = None) -> bool | None:
        value = self.args.get(name, default)
        return value if isinstance(value, bool) else default

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.args.get(name, default)
        return value if isinstance(value, int) and not isinstance(value, bool) else default

    def get_float(self, name: str, default: float | None = None) -> float | None:
        value = self.args.get(name, default)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return default

    def get_shares(self, name: str) -> dict[str, float] | None:
        value = self.args.get(name)
        if isinstance(value, Mapping):
            return {str(k): float(v) for k, v in value.items()}
        return None


def parse_command(raw: Mapping[str, object] | Command) -> Command:
    """Validate a raw command (a JSON-like mapping) and return it typed. THE one validator."""
    if isinstance(raw, Command):
        return parse_command(raw.to_raw())
    if not isinstance(raw, Mapping):
        raise CommandError("command_not_object", field=COMMAND_KEY, allowed=sorted(COMMAND_SPECS))
    name = raw.get(COMMAND_KEY)
    if name is None:
        raise CommandError("command_missing", field=COMMAND_KEY, allowed=sorted(COMMAND_SPECS))
    if not isinstance(name, str) or name not in COMMAND_SPECS:
        raise CommandError("command_unknown", field=COMMAND_KEY, allowed=sorted(COMMAND_SPECS), cmd=str(name))
    spec = COMMAND_SPECS[name]
    args: dict[str, object] = {}
    for key, value in raw.items():
        if key == COMMAND_KEY:
            continue
        field_spec = spec.field(str(key))
        if field_spec is None:
            raise CommandError(
                "field_unknown", field=str(key), allowed=[f.name for f in spec.fields], cmd=name
            )
        args[field_spec.name] = _check_value(name, field_spec, value)
    for field_spec in spec.fields:
        if field_spec.required and field_spec.name not in args:
            raise CommandError(
                "field_required", field=field_spec.name, allowed=field_spec.allowed(), cmd=name
            )
    low, high = args.get("min"), args.get("max")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        raise CommandError("field_min_above_max", field="min", allowed=[1, high], cmd=name, min=low, max=high)
    return Command(name, args)


def _check_value(cmd: str, spec: FieldSpec, value: object) -> object:
    def fail(key: str, **params: object) -> CommandError:
        return CommandError(
            key, field=spec.name, allowed=spec.allowed(), cmd=cmd, value=_short(value), **params
        )

    if spec.type == "bool":
        if not isinstance(value, bool):
            raise fail("field_not_bool")
        return value
    if spec.type in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail("field_not_number" if spec.type == "float" else "field_not_integer")
        number = float(value)
        if not math.isfinite(number):
            raise fail("field_not_number")
        if spec.type == "int" and number != int(number):
            raise fail("field_not_integer")
        if (spec.minimum is not None and number < spec.minimum) or (
            spec.maximum is not None and number > spec.maximum
        ):
            raise fail("field_out_of_range", min=spec.minimum, max=spec.maximum)
        return int(number) if spec.type == "int" else number
    if spec.type == "choice":
        if not isinstance(value, str) or value not in spec.choices:
            raise fail("field_not_allowed")
        return value
    if spec.type == "name":
        if not isinstance(value, str) or not value or len(value) > 40:
            raise fail("field_not_name")
        return value
    # shares: a mapping region -> non-negative number, not all zero
    if not isinstance(value, Mapping) or not value:
        raise fail("field_not_shares")
    shares: dict[str, float] = {}
    for region, share in value.items():
        if region not in facts.REGIONS:
            raise fail("field_not_shares")
        if (
            isinstance(share, bool)
            or not isinstance(share, int | float)
            or not math.isfinite(share)
            or share < 0
        ):
            raise fail("field_not_shares")
        shares[str(region)] = float(share)
    if sum(shares.values()) <= 0:
        raise fail("field_not_shares")
    return shares


def _short(value: object) -> object:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe_commands() -> list[dict[str, object]]:
    """COMMAND_SPECS as JSON (what the UI and docs/protocol.md use)."""
    return [spec.describe() for spec in _SPECS]
