"""Lab pages: thin views that open (or fork) a lab, then draw it with `sandbox.presentation`.

`/lab/` is the full lab (preset `full`, every control); `/lab/<preset>/` one lesson's lab on a
page of its own (for a projector); `/lab/s/<token>/` a copy of a shared lab. The lab itself —
its state, its tick loop, its socket — belongs to `sandbox.labs` and the consumer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from lessons.catalogue import Lesson, catalogue
from sandbox import labs
from sandbox.engine import PRESETS
from sandbox.presentation import lab_page_context

FULL_PRESET = "full"


def _lang(request: HttpRequest) -> str:
    return str(getattr(request, "LANGUAGE_CODE", "ko"))


def _lesson_for(request: HttpRequest, preset: str) -> Lesson | None:
    return next(
        (lesson for lesson in catalogue().lessons_in(_lang(request)) if lesson.preset == preset), None
    )


def _lab_response(request: HttpRequest, handle: Any, *, show_all: bool, shared: bool = False) -> HttpResponse:
    lesson = _lesson_for(request, handle.preset)
    context = lab_page_context(
        handle=handle,
        lang=_lang(request),
        standalone=True,
        show_all=show_all,
        lesson_url=lesson.url if lesson else None,
    )
    context.update(
        {"nav": "lab" if handle.preset == FULL_PRESET else "lesson", "lesson": lesson, "shared": shared}
    )
    response = TemplateResponse(request, "sandbox/lab.html", context)
    response.headers["Cache-Control"] = "private, no-store"  # the page names this visitor's lab
    return response


def _not_found(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    lessons = [lesson for lesson in catalogue().lessons_in(_lang(request)) if lesson.preset in PRESETS]
    return TemplateResponse(request, template, {"nav": "lab", "lessons": lessons, **context}, status=404)


@require_GET
def lab(request: HttpRequest) -> HttpResponse:
    """The full lab; `?preset=web-tier` (a lesson's "Open the full lab" link) goes to that
    lesson's lab with every control."""
    asked = request.GET.get("preset", "")
    if asked in PRESETS and asked != FULL_PRESET:
        return HttpResponseRedirect(reverse("sandbox:preset", args=[asked]) + "?controls=all")
    handle = labs.lab_open(session=request.session, preset=FULL_PRESET)
    return _lab_response(request, handle, show_all=True)


@require_GET
def lab_preset(request: HttpRequest, preset: str) -> HttpResponse:
    """One preset's lab, full screen; `?controls=all` shows every control group."""
    if preset not in PRESETS:
        return _not_found(request, "sandbox/preset_not_found.html", preset=preset)
    try:
        handle = labs.lab_open(session=request.session, preset=preset)
    except labs.LabPresetUnknown:
        return _not_found(request, "sandbox/preset_not_found.html", preset=preset)
    show_all = preset == FULL_PRESET or request.GET.get("controls") == "all"
    return _lab_response(request, handle, show_all=show_all)


@require_GET
def lab_shared(request: HttpRequest, token: str) -> HttpResponse:
    """A shared lab: opening the link forks a copy for this visitor, then shows it."""
    try:
        handle = labs.lab_fork(session=request.session, share_token=token)
    except labs.LabNotFound:
        return _not_found(request, "sandbox/share_not_found.html")
    return _lab_response(request, handle, show_all=True, shared=True)
