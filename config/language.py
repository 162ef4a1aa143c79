"""Which language a request is served in — decided here and nowhere else.

Korean is the default whatever the browser asks for. A visitor switches with a `?lang=xx` link
(kept in a cookie, so the choice persists); an unknown code falls back to the default instead
of failing. Django's own `set_language` view writes the same cookie, so both ways agree.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
QUERY_PARAM = "lang"


def language_for(request: HttpRequest) -> tuple[str, bool]:
    """Return (language code, whether the request asked to switch to it)."""
    asked = request.GET.get(QUERY_PARAM)
    if asked is not None:
        code = asked if asked in LANGUAGE_CODES else settings.LANGUAGE_CODE
        return code, True
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in LANGUAGE_CODES:
        return cookie, False
    return settings.LANGUAGE_CODE, False


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        code, switched = language_for(request)
        translation.activate(code)
        request.LANGUAGE_CODE = code  # type: ignore[attr-defined]
        response = self.get_response(request)
        if switched:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                code,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
            )
        response.headers.setdefault("Content-Language", code)
        translation.deactivate()
        return response


def switch_url(request: HttpRequest, code: str) -> str:
    """The current page's address with `?lang=code`, other query parameters kept."""
    params = request.GET.copy()
    params[QUERY_PARAM] = code
    return f"{request.path}?{urlencode(params, doseq=True)}"


def language_context(request: HttpRequest) -> dict[str, object]:
    current = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    return {
        "language_choices": [
            {"code": code, "name": name, "url": switch_url(request, code), "current": code == current}
            for code, name in settings.LANGUAGES
        ]
    }
