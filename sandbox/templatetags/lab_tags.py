"""`{% lab_embed lesson.preset %}`: a lesson page's live lab, opened for the visitor's session."""

from __future__ import annotations

import json
import logging
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from sandbox import labs
from sandbox.presentation import lab_page_context

register = template.Library()
logger = logging.getLogger(__name__)


@register.inclusion_tag("sandbox/_lab_embed.html", takes_context=True)
def lab_embed(context: template.Context, preset: str) -> dict[str, Any]:
    """Open (or resume) this visitor's lab for `preset` and draw it; if the lab cannot be opened
    the lesson still renders, with a short note instead of the lab."""
    request = context["request"]
    try:
        handle = labs.lab_open(session=request.session, preset=preset)
    except labs.LabPresetUnknown:
        logger.error("lesson asks for an unknown lab preset %r", preset)
        return {"unavailable": True}
    except Exception:  # the store is down: the lesson must still render
        logger.exception("could not open the lab for preset %r", preset)
        return {"unavailable": True}
    return lab_page_context(handle=handle, lang=getattr(request, "LANGUAGE_CODE", None))


# The lab's line icons (24×24, stroked with currentColor), inlined like the lessons' icons.
LAB_ICON_PATHS = {
    "play": '<path d="M7 5l12 7-12 7z"/>',
    "pause": '<path d="M8 5v14M16 5v14"/>',
    "step": '<path d="M6 5l9 7-9 7z"/><path d="M18 5v14"/>',
    "reset": '<path d="M4 12a8 8 0 1 0 2.3-5.7"/><path d="M4 4v4h4"/>',
    "share": '<circle cx="6" cy="12" r="2.5"/><circle cx="18" cy="6" r="2.5"/>'
    '<circle cx="18" cy="18" r="2.5"/><path d="M8.2 10.8l7.6-3.6M8.2 13.2l7.6 3.6"/>',
    "copy": '<rect x="9" y="9" width="11" height="11" rx="2"/><path d="M5 15V5a1 1 0 0 1 1-1h9"/>',
    "motion": '<path d="M3 12h4M3 7h7M3 17h7"/><circle cx="16" cy="12" r="4"/>',
    "keyboard": '<rect x="2" y="6" width="20" height="12" rx="2"/>'
    '<path d="M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10"/>',
    "expand": '<path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5"/>',
    "sliders": '<path d="M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0"/>'
    '<circle cx="16" cy="6" r="2"/><circle cx="10" cy="12" r="2"/><circle cx="18" cy="18" r="2"/>',
    "log": '<path d="M8 6h12M8 12h12M8 18h12M4 6h.01M4 12h.01M4 18h.01"/>',
    "table": '<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M3 10h18M9 10v10"/>',
    "chart": '<path d="M4 20V4M4 20h16"/><path d="M7 15l4-5 3 3 5-7"/>',
    "arrow-left": '<path d="M19 12H5M11 6l-6 6 6 6"/>',
    "close": '<path d="M6 6l12 12M18 6L6 18"/>',
    "warning": '<path d="M12 3l10 18H2z"/><path d="M12 10v5M12 18h.01"/>',
}


@register.simple_tag
def lab_icon(name: str) -> SafeString:
    path = LAB_ICON_PATHS[name]
    return mark_safe(  # noqa: S308 — constant markup
        f'<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">{path}</svg>'
    )


_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def import_map(value: dict[str, Any]) -> SafeString:
    """`<script type="importmap">` for the lab's ES modules (hashed static names after
    collectstatic), escaped like `json_script`."""
    text = json.dumps(value, separators=(",", ":")).translate(_JSON_ESCAPES)
    return format_html('<script type="importmap">{}</script>', mark_safe(text))  # noqa: S308


@register.filter
def percent(value: float) -> int:
    return round(float(value) * 100)
