from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LessonProgress(models.Model):
    """How far one account has come in one lesson: opened (visited) and self-check passed (completed)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="lesson_progress",
        verbose_name=_("user"),
    )
    lesson_slug = models.SlugField(_("lesson"), max_length=64)
    visited_at = models.DateTimeField(_("first visited"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        ordering = ["user", "lesson_slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lesson_slug"], name="lesson_progress_one_row_per_user_and_lesson"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson_slug}"
