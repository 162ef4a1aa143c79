"""Progress: visited when a lesson opens, completed when its self-check is answered right."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from lessons.catalogue import catalogue
from lessons.models import LessonProgress
from lessons.progress import SESSION_KEY, ProgressState, progress_states
from tests.lessons.conftest import page_text

pytestmark = pytest.mark.django_db


def _answers(slug: str, lang: str = "ko") -> tuple[int, int]:
    choices = catalogue().lesson(lang, slug).self_check.choices
    right = next(c.index for c in choices if c.correct)
    wrong = next(c.index for c in choices if not c.correct)
    return right, wrong


def test_anonymous_visit_is_kept_in_the_session(client, sample_content):
    client.get("/lessons/web-tier/")
    entry = client.session[SESSION_KEY]["web-tier"]
    assert entry["visited"] and entry["completed"] is None
    assert "열어 봄" in page_text(client.get("/").content)


def test_right_answer_completes_the_lesson_wrong_one_gives_feedback_only(client, sample_content):
    right, wrong = _answers("web-tier")
    response = client.post("/lessons/web-tier/check/", {"choice": wrong}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "아니에요." in page_text(response.content)
    assert "<html" not in response.content.decode()  # an htmx partial, not a page
    assert SESSION_KEY not in client.session  # no visit recorded by a wrong answer alone

    response = client.post("/lessons/web-tier/check/", {"choice": right}, HTTP_HX_REQUEST="true")
    assert "맞아요." in page_text(response.content)
    assert 'id="lesson-progress" hx-swap-oob="true"' in response.content.decode()
    assert "HX-Request" in response["Vary"]
    assert client.session[SESSION_KEY]["web-tier"]["completed"]


def test_self_check_works_without_javascript(client, sample_content):
    right, _wrong = _answers("web-tier")
    response = client.post("/lessons/web-tier/check/", {"choice": right})
    assert response.status_code == 302
    assert response["Location"] == f"/lessons/web-tier/?answer={right}#self-check"
    page = client.get(response["Location"])
    assert "<html" in page.content.decode()
    assert "맞아요." in page_text(page.content)
    assert "완료" in page_text(client.get("/").content)


def test_no_answer_chosen_gets_a_message_not_an_error(client, sample_content):
    response = client.post("/lessons/web-tier/check/", {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "먼저 답을 고르세요." in page_text(response.content)
    response = client.post("/lessons/web-tier/check/", {"choice": "99"})
    assert response.status_code == 200
    assert "<html" in response.content.decode()


def test_login_carries_session_progress_over(client, sample_content):
    right, _ = _answers("web-tier")
    client.get("/lessons/scalability/")
    client.post("/lessons/web-tier/check/", {"choice": right})
    user = User.objects.create_user("learner", password="a-long-passphrase-1")
    client.post("/accounts/login/", {"username": "learner", "password": "a-long-passphrase-1"})
    rows = {row.lesson_slug: row for row in LessonProgress.objects.filter(user=user)}
    assert set(rows) == {"scalability", "web-tier"}
    assert rows["web-tier"].completed_at is not None and rows["scalability"].completed_at is None
    assert SESSION_KEY not in client.session


def test_accounts_store_progress_per_user(client, sample_content):
    alice = User.objects.create_user("alice", password="a-long-passphrase-1")
    bob = User.objects.create_user("bob", password="a-long-passphrase-1")
    client.force_login(alice)
    client.get("/lessons/web-tier/")
    client.get("/lessons/web-tier/")
    right, _ = _answers("web-tier")
    client.post("/lessons/web-tier/check/", {"choice": right}, HTTP_HX_REQUEST="true")
    assert LessonProgress.objects.filter(user=alice).count() == 1
    assert progress_states(user=alice, session=client.session) == {"web-tier": ProgressState.COMPLETED}
    client.force_login(bob)
    assert progress_states(user=bob, session=client.session) == {}
    assert "완료" not in page_text(client.get("/").content).replace("0개 완료", "")


def test_merge_keeps_the_earliest_times(client, sample_content):
    user = User.objects.create_user("carol", password="a-long-passphrase-1")
    client.force_login(user)
    client.get("/lessons/web-tier/")
    first = LessonProgress.objects.get(user=user).visited_at
    client.logout()
    client.get("/lessons/web-tier/")
    client.post("/accounts/login/", {"username": "carol", "password": "a-long-passphrase-1"})
    row = LessonProgress.objects.get(user=user)
    assert row.visited_at == first


def test_signup_also_carries_progress_over(client, sample_content):
    client.get("/lessons/web-tier/")
    client.post(
        "/accounts/signup/",
        {"username": "newbie", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"},
    )
    assert LessonProgress.objects.filter(user__username="newbie", lesson_slug="web-tier").exists()
