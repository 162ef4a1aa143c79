"""A wrong request method gets a page in the visitor's language, not an empty answer."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("lang", "words"), [("ko", "이 페이지는 그 요청을 받을 수 없어요"), ("en", "That page cannot do this")]
)
def test_a_self_check_opened_as_a_page_explains_itself(client, lang, words):
    client.get(f"/?lang={lang}")
    response = client.get("/lessons/web-tier/check/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert words in response.content.decode()


def test_posting_to_the_lab_page_explains_itself_and_changes_nothing(client):
    response = client.post("/lab/")
    assert response.status_code == 405
    assert "이 페이지는 그 요청을 받을 수 없어요" in response.content.decode()
