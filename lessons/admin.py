"""Admin for instructors (staff in the `instructors` group) and for superusers.

Instructors may see accounts, move them between the student and instructor groups, and see and
correct lesson progress. They cannot grant staff or superuser status or single permissions, and
cannot edit superusers: those stay with superusers.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.http import HttpRequest

from lessons.models import LessonProgress
from lessons.roles import INSTRUCTORS_GROUP, STUDENTS_GROUP


@admin.register(LessonProgress)
class LessonProgressAdmin(admin.ModelAdmin):
    list_display = ("user", "lesson_slug", "visited_at", "completed_at")
    list_filter = ("lesson_slug", "completed_at")
    search_fields = ("user__username", "lesson_slug")
    date_hierarchy = "visited_at"
    list_select_related = ("user",)


class ScaleLabUserAdmin(UserAdmin):
    instructor_fieldsets = (
        (None, {"fields": ("username",)}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Role", {"fields": ("is_active", "groups")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and not request.user.is_superuser:
            return self.instructor_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if not request.user.is_superuser:
            return ("last_login", "date_joined")
        return super().get_readonly_fields(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=(INSTRUCTORS_GROUP, STUDENTS_GROUP))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


admin.site.unregister(User)
admin.site.register(User, ScaleLabUserAdmin)
