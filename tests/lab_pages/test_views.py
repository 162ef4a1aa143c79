"""Lab pages: the full lab, one preset's lab, share links, and a lesson page's embedded lab."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.html import escape

from lessons.catalogue import catalogue
from sandbox import labs
from sandbox.engine import PRESETS
from sandbox.presentation import GROUP_ORDER, visible_groups
from tests.lab_pages.conftest import lab_config, shown_groups

pytestmark = pytest.mark.django_db

TITLES = {"ko": "전체 실험실", "en": "Full lab"}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_full_lab_shows_every_control_group_in_the_visitors_language(client, lang):
    response = client.get(f"/lab/?lang={lang}")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<html lang="{lang}"' in body
    assert f"<h1>{TITLES[lang]}</h1>" in body
    assert shown_groups(body) == list(GROUP_ORDER)
    config = lab_config(body)
    assert config["preset"] == "full" and config["lang"] == lang
    assert config["ws_path"] == f"/ws/lab/{config['lab']}/"
    assert config["standalone"] is True
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("preset", [name for name in PRESETS if name != "full"])
def test_preset_lab_shows_only_its_lessons_controls(client, preset, lang):
    response = client.get(f"/lab/{preset}/?lang={lang}")
    assert response.status_code == 200
    body = response.content.decode()
    lesson = next(lesson for lesson in catalogue().lessons_in(lang) if lesson.preset == preset)
    assert f"<h1>{escape(lesson.title)}</h1>" in body
    assert f'href="{lesson.url}"' in body  # back to the lesson
    assert shown_groups(body) == visible_groups(PRESETS[preset].controls, show_all=False)
    assert f'href="/lab/{preset}/?controls=all"' in body


def test_all_controls_link_shows_every_group_on_the_same_lab(client):
    first = lab_config(client.get("/lab/web-tier/").content.decode())
    body = client.get("/lab/web-tier/?controls=all").content.decode()
    assert shown_groups(body) == list(GROUP_ORDER)
    assert lab_config(body)["lab"] == first["lab"]  # the same running lab, more controls


def test_reload_resumes_the_same_lab(client):
    first = lab_config(client.get("/lab/db-replication/").content.decode())
    again = lab_config(client.get("/lab/db-replication/").content.decode())
    assert first["lab"] == again["lab"] and first["share_path"] == again["share_path"]
    other = lab_config(Client().get("/lab/db-replication/").content.decode())
    assert other["lab"] != first["lab"]  # another visitor gets a lab of their own


def test_lesson_link_to_the_full_lab_keeps_the_lessons_preset(client):
    response = client.get("/lab/?preset=web-tier")
    assert response.status_code == 302
    assert response["Location"] == "/lab/web-tier/?controls=all"
    assert client.get("/lab/?preset=nonsense").status_code == 200  # the full lab


@pytest.mark.parametrize(
    ("lang", "text"),
    [("ko", "그런 이름의 실험실은 없습니다"), ("en", "There is no lab with that name")],
)
def test_unknown_preset_is_a_404_in_the_visitors_language(client, lang, text):
    response = client.get(f"/lab/no-such-preset/?lang={lang}")
    assert response.status_code == 404
    body = response.content.decode()
    assert text in body and "no-such-preset" in body
    assert 'href="/lab/web-tier/"' in body  # somewhere to go instead


def test_share_link_opens_a_copy_owned_by_the_new_visitor(client):
    original = lab_config(client.get("/lab/web-tier/").content.decode())
    friend = Client()
    response = friend.get(original["share_path"] + "?lang=en")
    assert response.status_code == 200
    body = response.content.decode()
    copy = lab_config(body)
    assert copy["preset"] == "web-tier" and copy["lab"] != original["lab"]
    assert "A copy of a shared lab" in body
    assert labs.lab_owned(session=friend.session, lab_id=copy["lab"])
    assert not labs.lab_owned(session=friend.session, lab_id=original["lab"])
    assert shown_groups(body) == list(GROUP_ORDER)


@pytest.mark.parametrize(
    ("lang", "text"),
    [("ko", "이 공유 링크로는 실험실을 열 수 없습니다"), ("en", "This share link does not open a lab")],
)
def test_unknown_share_token_is_a_friendly_404(client, lang, text):
    response = client.get(f"/lab/s/not-a-real-token/?lang={lang}")
    assert response.status_code == 404
    assert text in response.content.decode()


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("lesson", catalogue().lessons_in("ko"), ids=lambda lesson: lesson.slug)
def test_lesson_page_embeds_its_presets_lab_with_its_controls(client, lesson, lang):
    body = client.get(f"/lessons/{lesson.slug}/?lang={lang}").content.decode()
    assert f'data-lab data-preset="{lesson.preset}"' in body
    config = lab_config(body)
    assert config["preset"] == lesson.preset and config["standalone"] is False
    assert shown_groups(body) == visible_groups(PRESETS[lesson.preset].controls, show_all=False)
    assert f'href="/lab/{lesson.preset}/"' in body  # full screen
    assert 'class="lab-slot__static"' in body  # the still diagram stays, folded away
    assert body.count('<script type="module"') == 1


def test_lesson_page_still_renders_when_the_lab_cannot_open(client, monkeypatch):
    def broken(**kwargs):
        raise ConnectionError("store down")

    monkeypatch.setattr(labs, "lab_open", broken)
    response = client.get("/lessons/web-tier/?lang=en")
    assert response.status_code == 200
    body = response.content.decode()
    assert "The live lab cannot start right now" in body
    assert "data-lab " not in body
    assert 'class="lab-slot__static"' in body
