"""Error responses that Django sends without a page get one, in the visitor's language.

Django renders 404 and 500 through `handler404`/`handler500` (lessons.views); a view decorated
with `require_GET`/`require_POST` answers a wrong method with an empty 405. This middleware gives
that answer the site's error page, keeping its status and `Allow` header.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            response.content = render_to_string("405.html", request=request).encode()
            response["Content-Type"] = "text/html; charset=utf-8"
        return response
