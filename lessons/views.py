"""Lesson pages: thin views that read the catalogue and progress, call one action, and render."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from lessons.catalogue import Catalogue, Choice, Lesson, catalogue
from lessons.charts import chart_for
from lessons.diagrams import diagram_svg
from lessons.forms import SelfCheckForm, SignupForm
from lessons.glossary import glossary_groups
from lessons.numbers import number_compact
from lessons.progress import ProgressState, progress_mark_completed, progress_mark_visited, progress_states
from lessons.roles import student_enrol


def _lang(request: HttpRequest) -> str:
    return str(getattr(request, "LANGUAGE_CODE", "ko"))


@dataclass(frozen=True)
class LessonCard:
    lesson: Lesson
    state: ProgressState


# The hero's ladder: users served, and what the architecture adds to get there.
LADDER = (
    (1, _("one server")),
    (1_000, _("load balancer")),
    (100_000, _("replicas and a cache")),
    (1_000_000, _("CDN and queues")),
    (10_000_000, _("shards and data centers")),
)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    states = progress_states(user=request.user, session=request.session)
    cards = [
        LessonCard(lesson=lesson, state=states.get(lesson.slug, ProgressState.NOT_STARTED))
        for lesson in catalogue().lessons_in(_lang(request))
    ]
    completed = sum(card.state is ProgressState.COMPLETED for card in cards)
    resume = next((card.lesson for card in cards if card.state is not ProgressState.COMPLETED), None)
    started = any(card.state is not ProgressState.NOT_STARTED for card in cards)
    context = {
        "nav": "lessons",
        "cards": cards,
        "completed_count": completed,
        "visited_count": sum(card.state is not ProgressState.NOT_STARTED for card in cards),
        "resume": resume,
        "started": started,
        "ladder": [
            {"count": count, "users": number_compact(count, lang=_lang(request)), "label": label}
            for count, label in LADDER
        ],
    }
    return TemplateResponse(request, "lessons/index.html", context)


def _lesson_or_404(request: HttpRequest, slug: str) -> Lesson:
    lesson = catalogue().lesson(_lang(request), slug)
    if lesson is None:
        raise Http404(slug)
    return lesson


LESSON_FRAGMENTS = ("toc", "key-points", "reading", "pager", "term-definitions")


def lesson_fragments(lesson: Lesson) -> dict[str, SafeString]:
    """The parts of a lesson page that depend only on the lesson: rendered once, then reused.

    The lab slot and the self-check depend on the visitor, so they are rendered per request.
    Keyed by the catalogue too, so a reload (DEBUG) renders them afresh.
    """
    return _lesson_fragments(catalogue(), lesson)


@functools.lru_cache(maxsize=64)
def _lesson_fragments(cat: Catalogue, lesson: Lesson) -> dict[str, SafeString]:
    previous, following = cat.neighbours(lesson)
    glossary = cat.glossary[lesson.lang]
    context = {
        "lesson": lesson,
        "previous": previous,
        "next": following,
        "chart": chart_for(lesson.chart, lang=lesson.lang) if lesson.chart else None,
        "terms": [glossary[slug] for slug in sorted(lesson.terms)],
    }
    with translation.override(lesson.lang):
        return {
            name.replace("-", "_"): mark_safe(render_to_string(f"lessons/lesson.html#lesson-{name}", context))  # noqa: S308
            for name in LESSON_FRAGMENTS
        }


def _lesson_context(
    request: HttpRequest, lesson: Lesson, form: SelfCheckForm, answer: Choice | None
) -> dict[str, Any]:
    cat = catalogue()
    previous, following = cat.neighbours(lesson)
    states = progress_states(user=request.user, session=request.session)
    return {
        "nav": "lesson",
        "lesson": lesson,
        "lesson_count": len(cat.lessons_in(lesson.lang)),
        "previous": previous,
        "next": following,
        "state": states.get(lesson.slug, ProgressState.NOT_STARTED),
        "form": form,
        "answer": answer,
        "chart": lesson.chart is not None,
        "diagram": diagram_svg(lesson),
        "fragments": lesson_fragments(lesson),
    }


@require_GET
@vary_on_headers("HX-Request")
def lesson_detail(request: HttpRequest, slug: str) -> HttpResponse:
    lesson = _lesson_or_404(request, slug)
    progress_mark_visited(user=request.user, session=request.session, lesson_slug=lesson.slug)
    answer = None
    if request.GET.get("answer", "").isdigit():  # after a no-JS answer (post/redirect/get)
        answer = lesson.self_check.choice(int(request.GET["answer"]))
    form = SelfCheckForm(self_check=lesson.self_check, initial={"choice": answer.index if answer else None})
    return TemplateResponse(request, "lessons/lesson.html", _lesson_context(request, lesson, form, answer))


@require_POST
@vary_on_headers("HX-Request")
def lesson_check(request: HttpRequest, slug: str) -> HttpResponse:
    """Answer the self-check: feedback for the chosen answer; a right answer completes the lesson."""
    lesson = _lesson_or_404(request, slug)
    form = SelfCheckForm(request.POST, self_check=lesson.self_check)
    answer = lesson.self_check.choice(form.cleaned_data["choice"]) if form.is_valid() else None
    if answer is not None and answer.correct:
        progress_mark_completed(user=request.user, session=request.session, lesson_slug=lesson.slug)
    if request.htmx:  # type: ignore[attr-defined]
        context = _lesson_context(request, lesson, form, answer)
        return TemplateResponse(request, "lessons/lesson.html#self-check-feedback", {**context, "oob": True})
    if answer is not None:
        return HttpResponseRedirect(f"{lesson.url}?answer={answer.index}#self-check")
    progress_mark_visited(user=request.user, session=request.session, lesson_slug=lesson.slug)
    return TemplateResponse(request, "lessons/lesson.html", _lesson_context(request, lesson, form, None))


@require_GET
def glossary(request: HttpRequest) -> HttpResponse:
    lang = _lang(request)
    cat = catalogue()
    lessons = {lesson.slug: lesson for lesson in cat.lessons_in(lang)}
    groups = [
        {
            "heading": group.heading,
            "entries": [
                (term, [lessons[slug] for slug in term.lessons if slug in lessons]) for term in group.terms
            ],
        }
        for group in glossary_groups(cat.terms_in(lang))
    ]
    context = {"nav": "glossary", "groups": groups}
    return TemplateResponse(request, "lessons/glossary.html", context)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("lessons:index")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        student_enrol(user=user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return HttpResponseRedirect(_safe_next(request))
    return TemplateResponse(request, "registration/signup.html", {"form": form, "next": _safe_next(request)})


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without context processors: whatever broke the page must not break this one."""
    language = translation.get_language() or "ko"
    html = loader.get_template("500.html").render({"LANGUAGE_CODE": language})
    return HttpResponseServerError(html)
