"""Roles: instructors are a group with permissions; everyone else who signs up is a student."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction

INSTRUCTORS_GROUP = "instructors"
STUDENTS_GROUP = "students"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    password: str


DEMO_ACCOUNTS = (
    DemoAccount(role="instructor", username="instructor", password="scalelab-teach"),
    DemoAccount(role="student", username="student", password="scalelab-learn"),
)


def roles_ensure() -> tuple[Group, Group]:
    instructors, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    students, _ = Group.objects.get_or_create(name=STUDENTS_GROUP)
    return instructors, students


def is_instructor(user: User) -> bool:
    return user.is_authenticated and user.groups.filter(name=INSTRUCTORS_GROUP).exists()


@transaction.atomic
def demo_accounts_ensure() -> tuple[DemoAccount, ...]:
    instructors, students = roles_ensure()
    for account in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(username=account.username)
        if created:
            user.set_password(account.password)
        if account.role == "instructor":
            user.is_staff = True
            user.groups.add(instructors)
        else:
            user.groups.add(students)
        user.save()
    return DEMO_ACCOUNTS
