"""What the lab pages are built from: controls from COMMAND_SPECS, words in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from sandbox.engine import COMMAND_SPECS, PRESETS
from sandbox.engine.messages import MESSAGES
from sandbox.labs import LabHandle
from sandbox.presentation import (
    ACTION_GROUPS,
    GROUP_ORDER,
    GROUP_TITLES,
    NODE_ACTIONS,
    choices,
    engine_messages,
    lab_page_context,
    limits,
    node_actions,
    visible_groups,
)
from tests.lab_pages.conftest import lab_config, shown_groups

ROOT = Path(__file__).resolve().parents[2]
HANDLE = LabHandle(id="abcdefgh12345678", preset="web-tier", seed=1, share_token="tok")


def render_lab(preset: str, *, lang: str, show_all: bool = False) -> str:
    handle = LabHandle(id="abcdefgh12345678", preset=preset, seed=7, share_token="tok")
    with translation.override(lang):
        return str(lab_page_context(handle=handle, lang=lang, show_all=show_all)["lab_html"])


def test_every_group_a_preset_can_declare_has_a_title_and_a_place():
    declared = {group for preset in PRESETS.values() for group in preset.controls} - {"lab"}
    assert declared <= set(GROUP_ORDER) == set(GROUP_TITLES)
    command_groups = {spec.group for spec in COMMAND_SPECS.values()} - {"lab"}
    assert command_groups <= set(GROUP_ORDER)


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_control_group_a_preset_declares_renders(preset, lang):
    body = render_lab(preset, lang=lang)
    expected = visible_groups(PRESETS[preset].controls, show_all=preset == "full")
    assert shown_groups(body) == expected
    assert expected[0] == "traffic"
    for group in expected:
        start = body.index(f'data-group="{group}"')
        section = body[start : body.index("</details>", start)]
        assert "<form" in section or "data-dc-list" in section, group  # the group has controls


def test_each_group_sends_the_commands_of_that_group():
    body = render_lab("full", lang="en", show_all=True)
    for group in GROUP_ORDER:
        start = body.index(f'data-group="{group}"')
        section = body[start : body.index("</details>", start)]
        sent = set(re.findall(r'data-command="([a-z_]+)"', section))
        owned = {name for name, spec in COMMAND_SPECS.items() if spec.group == group}
        # a group may also offer a shortcut of another group (fail the master next to promote)
        assert sent & owned or group == "data_centers", group
        assert sent - owned <= {"fail_node"}, (group, sent - owned)


def test_limits_and_choices_come_from_the_command_specs():
    assert limits()["users"] == {"min": 1, "max": 10_000_000, "choices": []}
    assert limits()["consumers"]["max"] == COMMAND_SPECS["set_consumers"].field("count").maximum
    with translation.override("en"):
        assert [value for value, _label in choices("set_lb_algorithm", "algorithm")] == list(
            COMMAND_SPECS["set_lb_algorithm"].field("algorithm").choices
        )
    with translation.override("ko"):
        labels = dict(choices("set_session_mode", "mode"))
        assert labels == {"stateful": "상태 유지", "stateless": "무상태"}
        assert dict(choices("set_replication", "mode")) == {"async": "비동기", "sync": "동기"}


def test_node_actions_follow_the_groups_the_lab_shows():
    assert node_actions(["faults"])["web"] == ["fail", "recover"]
    assert node_actions(["traffic"])["db"] == []
    everything = node_actions(GROUP_ORDER)
    assert everything["db"] == list(NODE_ACTIONS["db"])
    assert set(ACTION_GROUPS.values()) <= set(GROUP_ORDER)


def test_engine_messages_are_handed_over_in_the_page_language():
    assert engine_messages("ko")["replica_promoted"] == MESSAGES["replica_promoted"][1]
    assert engine_messages("en")["replica_promoted"] == MESSAGES["replica_promoted"][0]
    config = lab_config(render_lab("db-replication", lang="ko"))
    assert config["messages"]["master_failed"].startswith("마스터")
    assert config["locale"] == "ko-KR"


def test_js_strings_are_translated_in_korean():
    english = lab_config(render_lab("web-tier", lang="en"))["strings"]
    korean = lab_config(render_lab("web-tier", lang="ko"))["strings"]
    assert english.keys() == korean.keys()
    same_in_both = {"tier_dns", "tier_cdn", "ms_unit", "dc_label", "node_dialog_title", "node_summary"}
    untranslated = [key for key in english if english[key] == korean[key] and key not in same_in_both]
    assert untranslated == []
    assert korean["status_down"] == "다운" and korean["role_master"] == "마스터"


def test_korean_lab_page_has_no_english_words_left():
    body = render_lab("full", lang="ko", show_all=True)
    visible = re.sub(r"<script\b.*?</script>", " ", body, flags=re.S)
    visible = re.sub(r"<[^>]+>", " ", visible)
    for english in ("Sessions lost", "Event log", "Traffic pattern", "Sticky sessions", "Promote", "Seed"):
        assert english not in visible


def test_import_map_points_at_every_lab_module():
    config_body = render_lab("web-tier", lang="en")
    modules = sorted(path.stem for path in (ROOT / "static/js/lab").glob("*.js"))
    for name in modules:
        assert f'"lab/{name}.js":"/static/js/lab/{name}.js"' in config_body
    assert '<script type="importmap">' in config_body
