"""The work behind `manage.py simulate`: parse `--at` commands and run a preset, one record per second.

COMMAND syntax (the same command names and fields as the WebSocket protocol):

    name                      e.g.  pause
    name:field=value,...      e.g.  fail_node:node=web-2   set_cache:enabled=true,size_keys=50000
    {JSON object}             e.g.  '{"cmd": "set_traffic", "region_shares": {"us-east": 1}}'

Values: true/false, numbers, otherwise text. Fields whose value is an object (region_shares)
need the JSON form.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sandbox.engine.commands import COMMAND_KEY, Command, CommandError, parse_command
from sandbox.engine.presets import PRESETS
from sandbox.engine.scenario import Scenario
from sandbox.engine.simulation import Simulation

CLI_FIELDS = (
    "t",
    "users",
    "rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "error_rate",
    "sessions_lost",
    "writes_lost",
    "stale_reads",
    "queue_depth",
    "messages_lost",
    "cost_per_hour",
    "throughput_rps",
    "availability",
    "sessions",
    "orders_total",
    "hit_ratio",
    "replication_lag_ms",
)


def _value(text: str) -> object:
    lowered = text.lower()
    if lowered in ("true", "on", "yes"):
        return True
    if lowered in ("false", "off", "no"):
        return False
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_command_text(text: str) -> Command:
    """`fail_node:node=web-2` or a JSON object → a validated Command (raises CommandError)."""
    text = text.strip()
    if text.startswith("{"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(
                "cli_bad_at", field="command", allowed=[], value=text, reason=str(error)
            ) from None
        return parse_command(raw)
    name, _, rest = text.partition(":")
    raw_command: dict[str, object] = {COMMAND_KEY: name.strip()}
    if rest.strip():
        for part in rest.split(","):
            field, equals, value = part.partition("=")
            if not equals or not field.strip():
                raise CommandError(
                    "cli_bad_at",
                    field="command",
                    allowed=[],
                    value=text,
                    reason=f"expected field=value, got {part!r}",
                )
            raw_command[field.strip()] = _value(value.strip())
    return parse_command(raw_command)


def parse_at(seconds_text: str, command_text: str) -> tuple[float, Command]:
    try:
        seconds = float(seconds_text)
    except ValueError:
        raise CommandError(
            "cli_bad_at", field="--at", allowed=[], value=seconds_text, reason="SECONDS must be a number"
        ) from None
    if not seconds >= 0 or seconds == float("inf"):
        raise CommandError(
            "cli_bad_at", field="--at", allowed=[], value=seconds_text, reason="SECONDS must be ≥ 0"
        )
    return seconds, parse_command_text(command_text)


def simulate(
    preset: str,
    *,
    seconds: float = 60.0,
    seed: int = 1,
    users: int | None = None,
    at: Sequence[tuple[float, Command]] = (),
    play: bool = False,
    lang: str = "en",
) -> Iterator[dict[str, Any]]:
    """Run `preset` for `seconds` with the timed commands (and, with `play`, the preset's own
    default scenario); one record per simulated second."""
    sim = Simulation.from_preset(preset, seed=seed, users=users)
    steps: list[tuple[float, Command | Mapping[str, object]]] = list(at)
    if play:
        steps.extend(PRESETS[preset].scenario)
    scenario = Scenario.from_list(steps)
    for record in scenario.run(sim, seconds, lang=lang):
        out: dict[str, Any] = {name: record[name] for name in CLI_FIELDS}
        out["events"] = [
            {"t": e["t"], "severity": e["severity"], "node": e["node"], "key": e["key"], "text": e["text"]}
            for e in record["events"]
        ]
        if "errors" in record:
            out["errors"] = [
                {"t": e["t"], "key": e["key"], "message": e["message"]} for e in record["errors"]
            ]
        yield out


def preset_lines() -> list[str]:
    lines = []
    for name, spec in PRESETS.items():
        lines.append(f"{name:<24} {spec.summary}")
        for at, raw in spec.scenario:
            fields = ",".join(f"{k}={v}" for k, v in raw.items() if k != "cmd")
            lines.append(f"{'':<24}   --play: at {at:g} s {raw['cmd']}{':' + fields if fields else ''}")
    return lines


def text_line(record: dict[str, Any]) -> str:
    return (
        f"t={record['t']:>6.1f}s users={record['users']:>9,} rps={record['rps']:>9,.1f} "
        f"p50={record['p50_ms']:>7.1f}ms p95={record['p95_ms']:>7.1f}ms p99={record['p99_ms']:>7.1f}ms "
        f"errors={record['error_rate'] * 100:>5.1f}% sessions_lost={record['sessions_lost']:,} "
        f"writes_lost={record['writes_lost']:,} queue={record['queue_depth']:,} "
        f"${record['cost_per_hour']:,.2f}/h"
    )
