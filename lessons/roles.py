"""Roles: instructors are a group with permissions; everyone else who signs up is a student.

Sign-up always makes a student. Staff grant the instructor role in the Django admin (Users →
a user → Groups: instructors, plus "Staff status" so they can open the admin). The instructors
group may view accounts, change which group an account is in, and view and change lesson
progress; `roles_ensure` sets those permissions after every migrate.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission, User
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


# (app label, codename) pairs the instructors group holds.
INSTRUCTOR_PERMISSIONS = (
    ("auth", "view_user"),
    ("auth", "change_user"),
    ("auth", "view_group"),
    ("lessons", "view_lessonprogress"),
    ("lessons", "change_lessonprogress"),
)


def roles_ensure() -> tuple[Group, Group]:
    instructors, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    students, _ = Group.objects.get_or_create(name=STUDENTS_GROUP)
    wanted = Permission.objects.none()
    for app_label, codename in INSTRUCTOR_PERMISSIONS:
        wanted |= Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    instructors.permissions.add(*wanted)
    return instructors, students


def student_enrol(*, user: User) -> None:
    """Make a new account a student (what sign-up does)."""
    _instructors, students = roles_ensure()
    user.groups.add(students)


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
