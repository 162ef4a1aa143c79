"""Accounts: sign up (always a student), log in and out, and the two roles."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from lessons.roles import INSTRUCTORS_GROUP, STUDENTS_GROUP, demo_accounts_ensure, is_instructor
from tests.lessons.conftest import page_text

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase-1"


def test_sign_up_makes_a_logged_in_student(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD, "next": "/glossary/"},
    )
    assert response.status_code == 302 and response["Location"] == "/glossary/"
    user = User.objects.get(username="newbie")
    assert user.groups.filter(name=STUDENTS_GROUP).exists()
    assert not is_instructor(user) and not user.is_staff
    assert "newbie" in page_text(client.get("/").content)


def test_sign_up_errors_are_in_the_users_language(client):
    response = client.post("/accounts/signup/", {"username": "x", "password1": "a", "password2": "b"})
    assert response.status_code == 200
    assert "비밀번호가 일치하지 않습니다" in page_text(response.content)
    response = client.post("/accounts/signup/?lang=en", {"username": "x", "password1": "a", "password2": "b"})
    assert "password fields didn’t match" in page_text(response.content)


def test_unsafe_next_is_ignored(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "safe", "password1": PASSWORD, "password2": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_log_in_and_out(client):
    User.objects.create_user("learner", password=PASSWORD)
    response = client.post("/accounts/login/?next=/glossary/", {"username": "learner", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/glossary/"
    assert "learner" in page_text(client.get("/").content)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "learner" not in page_text(client.get("/").content)


def test_bad_credentials_message_in_the_users_language(client):
    User.objects.create_user("learner", password=PASSWORD)
    response = client.post("/accounts/login/", {"username": "learner", "password": "wrong"})
    assert "올바른 사용자 이름" in page_text(response.content)
    response = client.post("/accounts/login/?lang=en", {"username": "learner", "password": "wrong"})
    assert "Please enter a correct username and password" in page_text(response.content)


def test_login_page_ignores_an_offsite_next(client):
    User.objects.create_user("learner", password=PASSWORD)
    response = client.post(
        "/accounts/login/", {"username": "learner", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_instructors_group_has_its_permissions():
    from django.contrib.auth.models import Group

    instructors = Group.objects.get(name=INSTRUCTORS_GROUP)
    codenames = set(instructors.permissions.values_list("codename", flat=True))
    assert {"view_user", "change_user", "view_lessonprogress", "change_lessonprogress"} <= codenames


def test_staff_instructor_can_use_the_admin_students_cannot(client):
    demo_accounts_ensure()
    client.login(username="instructor", password="scalelab-teach")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get("/admin/lessons/lessonprogress/").status_code == 200
    assert client.get("/admin/auth/group/add/").status_code == 403
    client.logout()
    client.login(username="student", password="scalelab-learn")
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_instructor_can_move_a_student_between_groups_but_not_grant_superuser(client):
    from django.contrib.auth.models import Group

    demo_accounts_ensure()
    student = User.objects.get(username="student")
    boss = User.objects.create_superuser("boss", password=PASSWORD)
    client.login(username="instructor", password="scalelab-teach")
    page = client.get(f"/admin/auth/user/{student.pk}/change/").content.decode()
    assert 'name="groups"' in page and 'name="is_superuser"' not in page and 'name="is_staff"' not in page
    instructors = Group.objects.get(name=INSTRUCTORS_GROUP)
    response = client.post(
        f"/admin/auth/user/{student.pk}/change/",
        {"username": "student", "is_active": "on", "groups": [instructors.pk], "is_superuser": "on"},
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.groups.filter(name=INSTRUCTORS_GROUP).exists() and not student.is_superuser
    superuser_page = client.get(f"/admin/auth/user/{boss.pk}/change/").content.decode()
    assert 'name="username"' not in superuser_page  # read-only for instructors
