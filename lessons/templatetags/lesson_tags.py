"""`{% icon "name" %}`: the small line icons of the lesson pages, inlined without a template include."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

PATHS = {
    "check": '<path d="M5 12.5l4.5 4.5L19 7.5"/>',
    "eye": '<path d="M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z"/><circle cx="12" cy="12" r="3"/>',
    "circle": '<circle cx="12" cy="12" r="8"/>',
    "clock": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
    "plus": '<path d="M12 5v14M5 12h14"/>',
    "x": '<path d="M6 6l12 12M18 6L6 18"/>',
    "flask": (
        '<path d="M9 3h6M10 3v6l-5.5 9.5A2 2 0 0 0 6.2 21h11.6a2 2 0 0 0 1.7-2.5L14 9V3"/>'
        '<path d="M7.5 15h9"/>'
    ),
    "arrow-left": '<path d="M19 12H5M11 6l-6 6 6 6"/>',
    "arrow-right": '<path d="M5 12h14M13 6l6 6-6 6"/>',
    "key": '<circle cx="8" cy="15" r="4"/><path d="M11 12l9-9M17 6l3 3"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7"/>',
}
ICONS = {
    name: mark_safe(  # noqa: S308 — constant markup
        f'<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">{path}</svg>'
    )
    for name, path in PATHS.items()
}


@register.simple_tag
def icon(name: str) -> SafeString:
    return ICONS[name]
