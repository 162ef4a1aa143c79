"""Every event and error the engine can emit has its text in Korean and English."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from sandbox.engine import Simulation, render
from sandbox.engine.messages import MESSAGES, language_from_env

ENGINE = Path(__file__).resolve().parents[2] / "sandbox" / "engine"
EMITTERS = re.compile(r'(?:\.log|CommandError|_fail|render)\(\s*"([a-z_]+)"')
CHOSEN = re.compile(r'(?<![\w.])key = "([a-z_]+)"(?: if .*? else "([a-z_]+)")?')


def emitted_keys() -> set[str]:
    keys: set[str] = set()
    for path in [*ENGINE.glob("*.py"), ENGINE.parent / "management" / "commands" / "simulate.py"]:
        text = path.read_text()
        keys.update(EMITTERS.findall(text))
        for first, second in CHOSEN.findall(text):
            keys.update(k for k in (first, second) if k)
    return keys


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_scan_finds_the_keys() -> None:
    keys = emitted_keys()
    assert {"node_failed", "replica_promoted", "tier_full", "command_unknown", "cli_bad_at"} <= keys
    assert len(keys) > 60


def test_every_key_the_engine_can_emit_has_both_languages() -> None:
    missing = sorted(emitted_keys() - set(MESSAGES))
    assert not missing, f"no text for {missing}"


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_languages_say_the_same_thing(key: str) -> None:
    english, korean = MESSAGES[key]
    assert english and korean
    assert re.search("[가-힣]", korean), "the Korean text is Korean"
    assert placeholders(english) == placeholders(korean)


def test_render_fills_params_and_formats_numbers() -> None:
    params = {"node": "db-2", "after_s": 5.0, "lost": 37}
    assert render("replica_promoted", params, "en") == "db-2 promoted after 5 s, 37 writes lost"
    assert render("replica_promoted", params, "ko") == "db-2 승격 완료(5초 후), 잃은 쓰기 37건"
    assert render("master_failed", {"node": "db-1"}, "en").startswith("master db-1 failed")
    assert "마스터" in render("master_failed", {"node": "db-1"}, "ko")
    assert "1,234" in render("sessions_lost", {"node": "web-2", "count": 1234}, "en")
    assert render("node_failed", {}, "en") == "? failed"  # a missing param never crashes


def test_events_of_a_real_run_render_in_both_languages() -> None:
    sim = Simulation.from_preset("full")
    for raw in (
        {"cmd": "fail_node", "node": "db-1"},
        {"cmd": "fail_node", "node": "web-1"},
        {"cmd": "set_users", "users": 5_000_000},
        {"cmd": "fail_data_center", "dc": "dc-2"},
    ):
        sim.apply(raw)
        sim.step(60)
    assert len(sim.events) > 5
    for event in sim.events:
        assert event.key in MESSAGES
        for lang in ("ko", "en"):
            text = event.to_dict(lang)["text"]
            assert isinstance(text, str) and "?" not in text and "{" not in text


def test_language_from_the_environment() -> None:
    assert language_from_env({"LANG": "ko_KR.UTF-8"}) == "ko"
    assert language_from_env({"LANGUAGE": "ko", "LANG": "en_US.UTF-8"}) == "ko"
    assert language_from_env({"LANG": "en_GB.UTF-8"}) == "en"
    assert language_from_env({}) == "en"
