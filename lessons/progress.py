"""Lesson progress: visited (the page was opened) and completed (the self-check was answered right).

Anonymous visitors keep it in their session; accounts in `LessonProgress` rows. Logging in or
signing up carries the session's progress over into the account (`progress_merge_session`).
Writes are the `progress_*` actions; reads are `progress_states`.
"""

from __future__ import annotations

import enum
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lessons.models import LessonProgress

SESSION_KEY = "lesson_progress"


class ProgressState(enum.Enum):
    NOT_STARTED = "not-started"
    VISITED = "visited"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return str(
            {"not-started": _("Not started"), "visited": _("Visited"), "completed": _("Completed")}[
                self.value
            ]
        )


def _session_entries(session: SessionBase) -> dict[str, dict[str, str | None]]:
    return dict(session.get(SESSION_KEY, {}))


def _now_iso() -> str:
    return timezone.now().isoformat()


def progress_mark_visited(
    *, user: AbstractBaseUser | AnonymousUser, session: SessionBase, lesson_slug: str
) -> None:
    """Record that the lesson page was opened (once; later visits change nothing)."""
    if user.is_authenticated:
        LessonProgress.objects.get_or_create(
            user=user, lesson_slug=lesson_slug, defaults={"visited_at": timezone.now()}
        )
        return
    entries = _session_entries(session)
    if lesson_slug not in entries:
        entries[lesson_slug] = {"visited": _now_iso(), "completed": None}
        session[SESSION_KEY] = entries


@transaction.atomic
def progress_mark_completed(
    *, user: AbstractBaseUser | AnonymousUser, session: SessionBase, lesson_slug: str
) -> None:
    """Record that the self-check was answered correctly (which implies a visit)."""
    now = timezone.now()
    if user.is_authenticated:
        row, _created = LessonProgress.objects.select_for_update().get_or_create(
            user=user, lesson_slug=lesson_slug, defaults={"visited_at": now, "completed_at": now}
        )
        if row.completed_at is None:
            row.completed_at = now
            row.save(update_fields=["completed_at"])
        return
    entries = _session_entries(session)
    entry = dict(entries.get(lesson_slug) or {"visited": now.isoformat(), "completed": None})
    if not entry.get("completed"):
        entry["completed"] = now.isoformat()
        entries[lesson_slug] = entry
        session[SESSION_KEY] = entries


@transaction.atomic
def progress_merge_session(*, user: AbstractBaseUser, session: SessionBase) -> int:
    """Move the session's progress into the account (keeping the earliest times); returns rows touched."""
    entries = _session_entries(session)
    if not entries:
        return 0
    existing = {row.lesson_slug: row for row in LessonProgress.objects.select_for_update().filter(user=user)}
    touched = 0
    for slug, entry in entries.items():
        visited = _parse(entry.get("visited")) or timezone.now()
        completed = _parse(entry.get("completed"))
        row = existing.get(slug)
        if row is None:
            LessonProgress.objects.create(
                user=user, lesson_slug=slug, visited_at=visited, completed_at=completed
            )
            touched += 1
            continue
        changed = False
        if visited < row.visited_at:
            row.visited_at, changed = visited, True
        if completed and (row.completed_at is None or completed < row.completed_at):
            row.completed_at, changed = completed, True
        if changed:
            row.save(update_fields=["visited_at", "completed_at"])
            touched += 1
    del session[SESSION_KEY]
    return touched


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def progress_states(
    *, user: AbstractBaseUser | AnonymousUser, session: SessionBase
) -> dict[str, ProgressState]:
    """Each lesson slug the visitor has touched → its state (absent means not started)."""
    if user.is_authenticated:
        rows = LessonProgress.objects.filter(user=user).values_list("lesson_slug", "completed_at")
        return {slug: ProgressState.COMPLETED if done else ProgressState.VISITED for slug, done in rows}
    return {
        slug: ProgressState.COMPLETED if entry.get("completed") else ProgressState.VISITED
        for slug, entry in _session_entries(session).items()
    }
