"""Placeholder views; the foundation issue replaces them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "lessons/index.html", {"nav": "lessons"})


def glossary(request: HttpRequest) -> HttpResponse:
    return render(request, "lessons/index.html", {"nav": "glossary"})


def signup(request: HttpRequest) -> HttpResponse:
    return render(request, "lessons/index.html")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
