"""Architecture diagrams: one small picture per lesson, drawn as inline SVG in one visual language.

Each lesson names its tiers (columns of nodes) and the connections between them; `diagram_svg`
lays them out left→right for wide screens and top→bottom for phones (CSS shows one), with
icons per kind of node, labels in the page language, and colours taken from CSS variables so
dark mode and the projector theme apply. The SVG is an image with an accessible name and
description from the lesson's front matter (`diagram.title`, `diagram.description`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from lessons.catalogue import Lesson

# --- Vocabulary: what a diagram can contain


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # a key of ICONS: users, lb, web, db, replica, store, cache, queue, worker, cdn, dns, dc, ...
    label: _StrPromise | str
    note: _StrPromise | str = ""  # a second, smaller line (e.g. "writes only")
    emphasis: bool = False  # the part the lesson is about


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str = "plain"  # plain, read, write, static, queued, sync (replication, dashed)
    label: _StrPromise | str = ""


@dataclass(frozen=True)
class Spec:
    tiers: tuple[tuple[Node, ...], ...]
    edges: tuple[Edge, ...]


USERS = Node("users", "users", _("Users"))
LB = Node("lb", "lb", _("Load balancer"))


def _web(index: int, **kwargs: object) -> Node:
    return Node(f"web{index}", "web", format_lazy(_("Web server {number}"), number=index), **kwargs)  # type: ignore[arg-type]


SPECS: dict[str, Spec] = {
    "scalability": Spec(
        tiers=(
            (USERS,),
            (Node("cdn", "cdn", _("CDN")), LB),
            (_web(1), _web(2)),
            (
                Node("cache", "cache", _("Cache")),
                Node("master", "db", _("Master DB")),
                Node("queue", "queue", _("Queue")),
            ),
            (Node("replica", "replica", _("Replica DB")), Node("workers", "worker", _("Workers"))),
        ),
        edges=(
            Edge("users", "cdn", "static"),
            Edge("users", "lb"),
            Edge("lb", "web1"),
            Edge("lb", "web2"),
            Edge("web1", "cache", "read"),
            Edge("web1", "master", "write"),
            Edge("web2", "master", "write"),
            Edge("web2", "queue", "queued"),
            Edge("master", "replica", "sync"),
            Edge("queue", "workers", "queued"),
        ),
    ),
    "scale-up": Spec(
        tiers=(
            (USERS,),
            (Node("server", "web", _("One server"), _("more CPU and RAM"), emphasis=True),),
            (Node("db", "db", _("Database")),),
        ),
        edges=(Edge("users", "server"), Edge("server", "db")),
    ),
    "scale-out": Spec(
        tiers=(
            (USERS,),
            (LB,),
            (_web(1, emphasis=True), _web(2, emphasis=True), _web(3, emphasis=True)),
            (Node("db", "db", _("Database")),),
        ),
        edges=(
            Edge("users", "lb"),
            Edge("lb", "web1"),
            Edge("lb", "web2"),
            Edge("lb", "web3"),
            Edge("web1", "db"),
            Edge("web2", "db"),
            Edge("web3", "db"),
        ),
    ),
    "web-tier": Spec(
        tiers=(
            (USERS,),
            (Node("lb", "lb", _("Load balancer"), _("health checks"), emphasis=True),),
            (_web(1, note=_("stateless")), _web(2, note=_("stateless"))),
            (Node("sessions", "store", _("Session store"), _("shared")), Node("db", "db", _("Database"))),
        ),
        edges=(
            Edge("users", "lb"),
            Edge("lb", "web1"),
            Edge("lb", "web2"),
            Edge("web1", "sessions", "read"),
            Edge("web2", "sessions", "read"),
            Edge("web1", "db"),
            Edge("web2", "db"),
        ),
    ),
    "db-replication": Spec(
        tiers=(
            (_web(1), _web(2)),
            (Node("master", "db", _("Master"), _("writes"), emphasis=True),),
            (
                Node("replica1", "replica", _("Replica 1"), _("reads")),
                Node("replica2", "replica", _("Replica 2"), _("reads")),
            ),
        ),
        edges=(
            Edge("web1", "master", "write"),
            Edge("web2", "master", "write"),
            Edge("web1", "replica1", "read"),
            Edge("web2", "replica2", "read"),
            Edge("master", "replica1", "sync"),
            Edge("master", "replica2", "sync"),
        ),
    ),
    "message-queue": Spec(
        tiers=(
            (Node("producer1", "web", _("Producer 1")), Node("producer2", "web", _("Producer 2"))),
            (Node("queue", "queue", _("Message queue"), _("durable buffer"), emphasis=True),),
            (Node("consumer1", "worker", _("Consumer 1")), Node("consumer2", "worker", _("Consumer 2"))),
        ),
        edges=(
            Edge("producer1", "queue", "queued", _("publish")),
            Edge("producer2", "queue", "queued"),
            Edge("queue", "consumer1", "queued", _("consume")),
            Edge("queue", "consumer2", "queued"),
        ),
    ),
    "logs-metrics-automation": Spec(
        tiers=(
            (_web(1), _web(2), Node("db", "db", _("Database"))),
            (Node("logs", "logs", _("Log collector")), Node("metrics", "metrics", _("Metrics"))),
            (Node("alerts", "metrics", _("Dashboard & alerts"), emphasis=True),),
            (Node("auto", "auto", _("Automation"), _("scaling, failover, CI")),),
        ),
        edges=(
            Edge("web1", "logs"),
            Edge("web2", "logs"),
            Edge("db", "logs"),
            Edge("web1", "metrics"),
            Edge("web2", "metrics"),
            Edge("db", "metrics"),
            Edge("logs", "alerts"),
            Edge("metrics", "alerts"),
            Edge("alerts", "auto"),
        ),
    ),
    "db-scaling": Spec(
        tiers=(
            (Node("web", "web", _("Web servers")),),
            (Node("router", "router", _("Shard key"), "hash(user_id) % 4"),),
            tuple(
                Node(
                    f"shard{n}",
                    "db",
                    format_lazy(pgettext_lazy("database shard", "Shard {number}"), number=n),
                )
                for n in range(4)
            ),
        ),
        edges=(Edge("web", "router"), *(Edge("router", f"shard{n}") for n in range(4))),
    ),
    "cache": Spec(
        tiers=(
            (USERS,),
            (Node("web", "web", _("Web servers")),),
            (
                Node("cache", "cache", _("Cache"), _("hot data in memory"), emphasis=True),
                Node("db", "db", _("Database")),
            ),
        ),
        edges=(
            Edge("users", "web"),
            Edge("web", "cache", "read", _("1. look up")),
            Edge("web", "db", "read", _("2. on a miss")),
        ),
    ),
    "cdn": Spec(
        tiers=(
            (USERS,),
            (Node("cdn", "cdn", _("CDN edge"), _("images, CSS, JS"), emphasis=True), LB),
            (Node("web", "web", _("Web servers")),),
        ),
        edges=(
            Edge("users", "cdn", "static", _("static")),
            Edge("users", "lb", "read", _("dynamic")),
            Edge("lb", "web"),
            Edge("cdn", "web", "static", _("on a miss")),
        ),
    ),
    "data-centers": Spec(
        tiers=(
            (USERS,),
            (Node("dns", "dns", _("GeoDNS"), _("nearest healthy")),),
            (
                Node("dc1", "dc", _("Data center A"), _("LB, web, DB"), emphasis=True),
                Node("dc2", "dc", _("Data center B"), _("LB, web, DB"), emphasis=True),
            ),
        ),
        edges=(
            Edge("users", "dns"),
            Edge("dns", "dc1"),
            Edge("dns", "dc2"),
            Edge("dc1", "dc2", "sync", _("data sync")),
        ),
    ),
}

# --- Icons: 40×40, stroked in the node's colour

ICONS = {
    "users": '<circle cx="14" cy="13" r="5"/><path d="M4 32c0-7 4-11 10-11s10 4 10 11"/>'
    '<circle cx="28" cy="15" r="4"/><path d="M24 22c6-1 12 2 12 10"/>',
    "lb": '<rect x="4" y="14" width="32" height="12" rx="3"/><path d="M20 14V6M20 26v8M12 20h-8M36 20h-4"/>'
    '<path d="M16 9l4-4 4 4M16 31l4 4 4-4"/>',
    "web": '<rect x="7" y="5" width="26" height="30" rx="3"/><path d="M12 13h16M12 20h16M12 27h9"/>'
    '<circle cx="27" cy="27" r="1.5"/>',
    "db": '<ellipse cx="20" cy="9" rx="12" ry="4.5"/><path d="M8 9v22c0 2.5 5.4 4.5 12 4.5s12-2 12-4.5V9"/>'
    '<path d="M8 20c0 2.5 5.4 4.5 12 4.5s12-2 12-4.5"/>',
    "replica": '<ellipse cx="20" cy="9" rx="12" ry="4.5"/><path d="M8 9v22c0 2.5 5.4 4.5 12 4.5s12-2 12-4.5V9"/>'  # noqa: E501
    '<path d="M15 22l4 4 7-8"/>',
    "store": '<ellipse cx="20" cy="11" rx="11" ry="4"/><path d="M9 11v18c0 2.2 4.9 4 11 4s11-1.8 11-4V11"/>'
    '<circle cx="20" cy="23" r="3"/><path d="M20 26v3"/>',
    "cache": '<rect x="5" y="8" width="30" height="24" rx="3"/><path d="M22 11l-7 10h6l-3 8 8-11h-6z"/>',
    "queue": '<rect x="3" y="12" width="34" height="16" rx="3"/><path d="M11 12v16M18 12v16M25 12v16"/>'
    '<path d="M30 17l3 3-3 3"/>',
    "worker": '<circle cx="20" cy="20" r="6"/><path d="M20 5v5M20 30v5M5 20h5M30 20h5M9.4 9.4l3.5 3.5'
    'M27.1 27.1l3.5 3.5M9.4 30.6l3.5-3.5M27.1 12.9l3.5-3.5"/>',
    "cdn": '<path d="M11 30h19a7 7 0 0 0 0-14 10 10 0 0 0-19-2 8 8 0 0 0 0 16z"/><path d="M15 24h11M20 19v10"/>',  # noqa: E501
    "dns": '<circle cx="20" cy="20" r="14"/><path d="M6 20h28M20 6c-5 4-6 10-6 14s1 10 6 14c5-4 6-10 6-14s-1-10-6-14z"/>',  # noqa: E501
    "dc": '<path d="M6 34V12l14-6 14 6v22z"/><path d="M12 16h16M12 22h16M12 28h16"/>',
    "logs": '<path d="M9 4h16l7 7v25H9z"/><path d="M25 4v7h7M14 17h13M14 23h13M14 29h9"/>',
    "metrics": '<path d="M5 35h30"/><rect x="8" y="22" width="6" height="13"/><rect x="17" y="14" width="6" height="21"/>'  # noqa: E501
    '<rect x="26" y="7" width="6" height="28"/>',
    "auto": '<path d="M32 14a13 13 0 1 0 2 10"/><path d="M34 6v9h-9"/><path d="M16 15l10 5-10 5z"/>',
    "router": '<path d="M20 4l16 16-16 16L4 20z"/><path d="M13 20h14M21 15l5 5-5 5"/>',
}

# --- Layout

PAD = 12


@dataclass(frozen=True)
class Geometry:
    node_w: int
    node_h: int
    gap_main: int  # between tiers
    gap_cross: int  # between the nodes of one tier
    label_chars: dict[str, int]  # a label line breaks after about this many characters

    max_cross: int = 3  # in the tall layout, a tier of more nodes narrows them to keep the width

    def width_in(self, tier_size: int, vertical: bool) -> float:
        if not vertical or tier_size <= self.max_cross:
            return self.node_w
        room = self.max_cross * self.node_w + (self.max_cross - 1) * self.gap_cross
        return (room - (tier_size - 1) * self.gap_cross) / tier_size


WIDE = Geometry(node_w=128, node_h=92, gap_main=64, gap_cross=20, label_chars={"ko": 9, "en": 14})
TALL = Geometry(node_w=108, node_h=92, gap_main=44, gap_cross=12, label_chars={"ko": 7, "en": 12})


@dataclass(frozen=True)
class _Placed:
    node: Node
    x: float  # top-left
    y: float
    w: float  # box width


def _wrap(text: str, width: int) -> list[str]:
    """Break a label into at most two lines at a space."""
    if len(text) <= width or " " not in text:
        return [text]
    words, first = text.split(" "), ""
    for position in range(len(words), 0, -1):
        candidate = " ".join(words[:position])
        if len(candidate) <= width or position == 1:
            first = candidate
            rest = " ".join(words[position:])
            return [first, rest] if rest else [first]
    return [text]


def _layout(spec: Spec, vertical: bool, g: Geometry) -> tuple[dict[str, _Placed], float, float]:
    def extent(tier: tuple[Node, ...]) -> float:
        size = g.width_in(len(tier), vertical) if vertical else g.node_h
        return len(tier) * size + (len(tier) - 1) * g.gap_cross

    cross_extent = max(extent(tier) for tier in spec.tiers)
    placed: dict[str, _Placed] = {}
    for depth, tier in enumerate(spec.tiers):
        width = g.width_in(len(tier), vertical)
        size = width if vertical else g.node_h
        start = (cross_extent - extent(tier)) / 2
        main = depth * ((g.node_h if vertical else g.node_w) + g.gap_main)
        for position, node in enumerate(tier):
            cross = start + position * (size + g.gap_cross)
            x, y = (cross, main) if vertical else (main, cross)
            placed[node.id] = _Placed(node, x + PAD, y + PAD, width)
    tiers = len(spec.tiers)
    main_extent = tiers * (g.node_h if vertical else g.node_w) + (tiers - 1) * g.gap_main
    width, height = (cross_extent, main_extent) if vertical else (main_extent, cross_extent)
    return placed, width + 2 * PAD, height + 2 * PAD


def _anchor(place: _Placed, other: _Placed, vertical: bool, g: Geometry) -> tuple[float, float]:
    """Where an edge leaves `place` towards `other`: the facing side's middle."""
    cx, cy = place.x + place.w / 2, place.y + g.node_h / 2
    ox, oy = other.x + other.w / 2, other.y + g.node_h / 2
    if vertical and abs(oy - cy) > 1:
        return cx, place.y + (g.node_h if oy > cy else 0)
    if not vertical and abs(ox - cx) > 1:
        return place.x + (place.w if ox > cx else 0), cy
    # same tier: connect the facing sides across the tier
    if vertical:
        return place.x + (place.w if ox > cx else 0), cy
    return cx, place.y + (g.node_h if oy > cy else 0)


def _node_svg(place: _Placed, lang: str, g: Geometry) -> str:
    node = place.node
    classes = f"dg-node dg-node--{node.kind}" + (" dg-node--emphasis" if node.emphasis else "")
    lines = _wrap(str(node.label), g.label_chars.get(lang, 12))
    icon_y = 8 if len(lines) == 1 and not node.note else 4
    parts = [
        f'<g class="{classes}" transform="translate({place.x:g} {place.y:g})">',
        f'<rect class="dg-box" width="{place.w:g}" height="{g.node_h}" rx="10"/>',
        f'<g class="dg-icon" transform="translate({(place.w - 40) / 2:g} {icon_y})">{ICONS[node.kind]}</g>',
    ]
    text_y = icon_y + 40 + 15
    for line in lines:
        parts.append(f'<text class="dg-label" x="{place.w / 2:g}" y="{text_y}">{escape(line)}</text>')
        text_y += 15
    if node.note:
        parts.append(
            f'<text class="dg-note" x="{place.w / 2:g}" y="{text_y}">{escape(str(node.note))}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _edge_svg(edge: Edge, placed: dict[str, _Placed], vertical: bool, marker: str, g: Geometry) -> str:
    source, target = placed[edge.source], placed[edge.target]
    x1, y1 = _anchor(source, target, vertical, g)
    x2, y2 = _anchor(target, source, vertical, g)
    line = (
        f'<line class="dg-edge dg-edge--{edge.kind}" x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" '
        f'marker-end="url(#{marker}-{edge.kind})"/>'
    )
    if not edge.label:
        return line
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    label = escape(str(edge.label))
    return f'{line}<text class="dg-edge-label" x="{mx:g}" y="{my - 6:g}">{label}</text>'


def _svg(spec: Spec, lesson_slug: str, title: str, description: str, lang: str, vertical: bool) -> str:
    g = TALL if vertical else WIDE
    placed, width, height = _layout(spec, vertical, g)
    suffix = "tall" if vertical else "wide"
    base = f"diagram-{lesson_slug}-{suffix}"
    kinds = sorted({edge.kind for edge in spec.edges})
    markers = "".join(
        f'<marker id="{base}-arrow-{kind}" class="dg-arrow dg-arrow--{kind}" viewBox="0 0 10 10" '
        f'refX="9" refY="5" '
        f'markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z"/></marker>'
        for kind in kinds
    )
    edges = "".join(_edge_svg(edge, placed, vertical, f"{base}-arrow", g) for edge in spec.edges)
    nodes = "".join(_node_svg(place, lang, g) for place in placed.values())
    return (
        f'<svg class="diagram diagram--{suffix}" viewBox="0 0 {width:g} {height:g}" width="{width:g}" '
        f'height="{height:g}" style="--natural-width: {width:g}px" role="img" '
        f'aria-labelledby="{base}-title" aria-describedby="{base}-desc" '
        f'focusable="false"><title id="{base}-title">{escape(title)}</title>'
        f'<desc id="{base}-desc">{escape(description)}</desc><defs>{markers}</defs>'
        f'<g class="dg-edges">{edges}</g><g class="dg-nodes">{nodes}</g></svg>'
    )


@functools.lru_cache(maxsize=64)
def _diagram(lesson_slug: str, lang: str, title: str, description: str) -> SafeString:
    spec = SPECS[lesson_slug]
    with translation.override(lang):
        wide = _svg(spec, lesson_slug, title, description, lang, vertical=False)
        tall = _svg(spec, lesson_slug, title, description, lang, vertical=True)
    return mark_safe(wide + tall)  # noqa: S308 — built from escaped text only


def diagram_svg(lesson: Lesson) -> SafeString:
    """Both layouts of the lesson's diagram (CSS shows the one that fits the screen)."""
    return _diagram(lesson.slug, lesson.lang, lesson.diagram.title, lesson.diagram.description)
