"""WebSocket routes of the lab: one socket per open lab view (docs/lab-socket.md)."""

from __future__ import annotations

from django.urls import URLPattern, re_path

from sandbox.consumers import LabConsumer

websocket_urlpatterns: list[URLPattern] = [
    re_path(r"^ws/lab/(?P<lab_id>[A-Za-z0-9_-]{8,64})/$", LabConsumer.as_asgi()),
]
