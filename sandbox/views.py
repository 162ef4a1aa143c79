"""Placeholder view; the live-lab issue replaces it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lab(request: HttpRequest) -> HttpResponse:
    return render(request, "lessons/index.html", {"nav": "lab"})
