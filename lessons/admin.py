from __future__ import annotations

from django.contrib import admin

from lessons.models import LessonProgress


@admin.register(LessonProgress)
class LessonProgressAdmin(admin.ModelAdmin):
    list_display = ("user", "lesson_slug", "visited_at", "completed_at")
    list_filter = ("lesson_slug", "completed_at")
    search_fields = ("user__username", "lesson_slug")
    date_hierarchy = "visited_at"
    list_select_related = ("user",)
