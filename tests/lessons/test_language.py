"""Which language a page is in: Korean by default, ?lang=xx switches and persists."""

from __future__ import annotations

import pytest

from tests.lessons.conftest import page_text

pytestmark = pytest.mark.django_db


def test_unknown_lesson_is_a_404_page_in_korean_by_default(client):
    response = client.get("/lessons/no-such-lesson/")
    assert response.status_code == 404
    assert "페이지를 찾을 수 없습니다" in page_text(response.content)
    assert '<html lang="ko"' in response.content.decode()


def test_unknown_lesson_is_a_404_page_in_english_after_switching(en_client):
    response = en_client.get("/lessons/no-such-lesson/")
    assert response.status_code == 404
    assert "We could not find that page" in page_text(response.content)


def test_unknown_language_code_falls_back_to_korean(client):
    response = client.get("/?lang=xx")
    assert response.status_code == 200
    assert response["Content-Language"] == "ko"
    assert '<html lang="ko"' in response.content.decode()


def test_language_choice_persists_across_pages(client):
    client.get("/?lang=en")
    for url in ("/", "/glossary/", "/accounts/login/"):
        response = client.get(url)
        assert response["Content-Language"] == "en", url
        assert '<html lang="en"' in response.content.decode()
    client.get("/glossary/?lang=ko")
    assert client.get("/")["Content-Language"] == "ko"


def test_pages_link_their_other_language_versions(client):
    body = client.get("/glossary/").content.decode()
    assert 'rel="alternate" hreflang="en" href="http://testserver/glossary/?lang=en"' in body
    assert 'rel="alternate" hreflang="ko"' in body


def test_ui_strings_are_translated(client):
    assert "용어집" in page_text(client.get("/").content)
    assert "Glossary" in page_text(client.get("/?lang=en").content)


def test_server_error_page_is_plain_and_in_the_language(rf):
    from django.utils import translation

    from lessons.views import server_error

    with translation.override("en"):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    with translation.override("ko"):
        assert "저희 쪽에 문제가 생겼습니다" in server_error(rf.get("/")).content.decode()
