from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LessonsConfig(AppConfig):
    name = "lessons"
    verbose_name = _("Lessons")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        user_logged_in.connect(_carry_progress_over, dispatch_uid="lessons.progress_merge_session")
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="lessons.roles_ensure")


def _carry_progress_over(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from lessons.progress import progress_merge_session

    if request is not None and hasattr(request, "session"):
        progress_merge_session(user=user, session=request.session)


def _ensure_roles(sender: Any, **kwargs: Any) -> None:
    from lessons.roles import roles_ensure

    roles_ensure()
