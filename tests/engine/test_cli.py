"""`manage.py simulate`: JSON lines per simulated second, deterministic, clear errors with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import execute_from_command_line

from sandbox.engine import PRESETS, CommandError
from sandbox.engine.cli import CLI_FIELDS, parse_at, parse_command_text, simulate

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = (
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
)


def manage(*args: str, lang: str = "en_US.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANG": lang, "LANGUAGE": ""}
    return subprocess.run(
        [sys.executable, "manage.py", "simulate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, lang: str = "en_US.UTF-8"
) -> tuple[int, str, str]:
    """The same command line, run in this process (no interpreter start-up): (exit code, out, err)."""
    monkeypatch.setenv("LANG", lang)
    monkeypatch.setenv("LANGUAGE", "")
    code = 0
    try:
        execute_from_command_line(["manage.py", "simulate", *args])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_lines_have_the_fields_and_the_events() -> None:
    result = manage("web-tier", "--seconds", "15", "--at", "10", "fail_node:node=web-2", "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["t"] for line in lines] == [float(t) for t in range(1, 16)]
    for line in lines:
        assert set(REQUIRED) <= set(line)
    assert lines[9]["sessions_lost"] == 0 < lines[10]["sessions_lost"]
    events = [e for line in lines for e in line["events"]]
    assert any(e["key"] == "node_failed" and e["text"] == "web-2 failed" for e in events)


def test_output_is_deterministic_and_the_seed_matters(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = cli(monkeypatch, capsys, "full", "--seconds", "5", "--json", "--seed", "3")[1]
    again = cli(monkeypatch, capsys, "full", "--seconds", "5", "--json", "--seed", "3")[1]
    other = cli(monkeypatch, capsys, "full", "--seconds", "5", "--json", "--seed", "4")[1]
    assert first == again
    assert first != other
    assert len(first.splitlines()) == 5


def test_list_presets_and_help_say_what_exists(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, listed, _ = cli(monkeypatch, capsys, "--list-presets")
    assert code == 0
    for name in PRESETS:
        assert name in listed
    code, helped, _ = cli(monkeypatch, capsys, "--help")
    assert code == 0
    for text in ("--at SECONDS COMMAND", "fail_node:node=web-2", "--list-presets", "--json", "web-tier"):
        assert text in helped


def test_text_output_in_korean(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        monkeypatch,
        capsys,
        "db-replication",
        "--seconds",
        "12",
        "--at",
        "5",
        "fail_node:node=db-1",
        lang="ko_KR.UTF-8",
    )
    assert code == 0, err
    assert "마스터 db-1 장애" in out
    assert "승격 완료" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("nope",), "unknown preset nope"),
        ((), "unknown preset"),
        (("web-tier", "--users", "0"), "--users"),
        (("web-tier", "--seconds", "-1"), "--seconds"),
        (("web-tier", "--seconds", "abc"), "invalid float value"),
        (("web-tier", "--at", "ten", "pause"), "SECONDS must be a number"),
        (("web-tier", "--at", "1", "explode"), "unknown command explode"),
        (("web-tier", "--at", "1", "fail_node"), "fail_node needs node"),
        (("web-tier", "--at", "1", "set_users:users=lots"), "users must be a whole number"),
        (("web-tier", "--at", "1", "fail_node:web-2"), "expected field=value"),
        (("web-tier", "--at", "1", "{bad json"), "expected SECONDS COMMAND"),
        (("web-tier", "--seconds", "2", "--at", "1", "fail_node:node=web-9"), "there is no node web-9"),
        (("web-tier", "--bogus"), "unrecognized arguments"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    code, out, err = cli(monkeypatch, capsys, *args)
    assert code == 2, (out, err)
    assert expected in err


def test_a_bad_argument_exits_2_from_a_real_process_in_korean() -> None:
    result = manage("web-tier", "--at", "1", "fail_node:node=web-9", "--seconds", "2", lang="ko_KR.UTF-8")
    assert result.returncode == 2
    assert "web-9 노드가 없습니다" in result.stderr


def test_command_text_forms() -> None:
    assert parse_command_text("pause").name == "pause"
    command = parse_command_text("set_cache:enabled=true,size_keys=50000,ttl_s=30.5")
    assert command.args == {"enabled": True, "size_keys": 50_000, "ttl_s": 30.5}
    shares = parse_command_text('{"cmd": "set_traffic", "region_shares": {"us-east": 1}}')
    assert shares.args == {"region_shares": {"us-east": 1.0}}
    assert parse_at("2.5", "resume")[0] == 2.5
    with pytest.raises(CommandError):
        parse_at("-1", "pause")


def test_the_engine_function_behind_the_command() -> None:
    records = list(simulate("message-queue", seconds=12, at=[parse_at("2", "set_consumers:count=0")]))
    assert len(records) == 12
    assert set(CLI_FIELDS) <= set(records[0])
    assert records[-1]["queue_depth"] > 0 and records[-1]["messages_lost"] == 0
