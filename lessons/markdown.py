"""Lesson Markdown → safe HTML.

markdown-it-py with raw HTML disabled (a `<script>` in a lesson file is shown as text, never run),
GitHub-style tables, `{#anchor}` at the end of a heading for a stable id, and ScaleLab's inline
tokens: `[[term:slug]]`, `[[term:slug|other words]]`, `[[fact:NAME]]` and `[[lesson:slug]]`.
What a token means comes from a `References` object, so this module knows nothing about files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

TOKEN_RE = re.compile(r"\[\[(term|fact|lesson):([A-Za-z0-9_.\-]+)(?:\|([^\]\n]+))?\]\]")
ANCHOR_RE = re.compile(r"\s*\{#([^}\s]*)\}\s*$")
VALID_ANCHOR_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class TermRef:
    name: str
    definition: str  # plain text, for the tooltip and the accessible description
    url: str


@dataclass(frozen=True)
class LessonRef:
    title: str
    url: str


class References(Protocol):
    def term(self, slug: str) -> TermRef | None: ...
    def fact(self, name: str) -> str | None: ...
    def lesson(self, slug: str) -> LessonRef | None: ...


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str  # "" when the heading has no {#anchor}
    title: str


@dataclass
class Rendered:
    html: str
    headings: list[Heading] = field(default_factory=list)
    terms: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


def term_description_id(slug: str) -> str:
    """Id of the element that holds a term's definition on a lesson page (aria-describedby)."""
    return f"term-def-{slug}"


def _token_rule(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("[[", state.pos):
        return False
    match = TOKEN_RE.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        token = state.push("scalelab_ref", "", 0)
        token.meta = {"kind": match.group(1), "key": match.group(2), "words": match.group(3)}
        token.content = match.group(0)
    state.pos = match.end()
    return True


def _resolve(meta: dict[str, Any], env: dict[str, Any]) -> tuple[str, str]:
    """(html, plain text) of one inline token; unknown targets are recorded as errors."""
    refs: References = env["refs"]
    kind, key, words = meta["kind"], meta["key"], meta["words"]
    raw = f"[[{kind}:{key}{'|' + words if words else ''}]]"
    if kind == "term":
        term = refs.term(key)
        if term is None:
            env["errors"].append(f"unknown glossary term {raw} (no slug '{key}' in the glossary)")
            return escapeHtml(words or key), words or key
        env["terms"].add(key)
        label = words or term.name
        html = (
            f'<a class="term" href="{escapeHtml(term.url)}" data-tip="{escapeHtml(term.definition)}" '
            f'aria-describedby="{term_description_id(key)}">{escapeHtml(label)}</a>'
        )
        return html, label
    if kind == "fact":
        value = refs.fact(key)
        if value is None:
            env["errors"].append(f"unknown fact {raw} (no constant '{key}' in sandbox/engine/facts.py)")
            return escapeHtml(key), key
        return f'<span class="fact">{escapeHtml(value)}</span>', value
    lesson = refs.lesson(key)
    if lesson is None:
        env["errors"].append(f"unknown lesson {raw} (no lesson with slug '{key}')")
        return escapeHtml(words or key), words or key
    label = words or lesson.title
    if not lesson.url:
        return escapeHtml(label), label
    return f'<a class="lesson-link" href="{escapeHtml(lesson.url)}">{escapeHtml(label)}</a>', label


def _render_ref(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    return _resolve(tokens[idx].meta, env)[0]


def _plain_text(children: Sequence[Token] | None, env: dict[str, Any]) -> str:
    parts = []
    for child in children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "scalelab_ref":
            parts.append(_resolve(child.meta, {**env, "errors": [], "terms": set()})[1])
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


def _heading_anchor_rule(state: StateCore) -> None:
    """`## Title {#anchor}` → `<h2 id="anchor">Title</h2>`, and collect the headings."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[index + 1]
        anchor = ""
        children = inline.children or []
        if children and children[-1].type == "text":
            match = ANCHOR_RE.search(children[-1].content)
            if match:
                anchor = match.group(1)
                children[-1].content = children[-1].content[: match.start()]
                if not VALID_ANCHOR_RE.match(anchor):
                    state.env["errors"].append(
                        f"heading anchor '{{#{anchor}}}' must be lowercase letters, digits and hyphens"
                    )
                else:
                    token.attrSet("id", anchor)
        level = int(token.tag[1])
        title = _plain_text(children, state.env)
        state.env["headings"].append(Heading(level=level, anchor=anchor, title=title))


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.inline.ruler.before("link", "scalelab_ref", _token_rule)
    md.core.ruler.push("scalelab_heading_anchor", _heading_anchor_rule)
    md.add_render_rule("scalelab_ref", _render_ref)
    # Headings below h2 in the body: the page title is the only h1.
    return md


_MD = _build()


def _env(refs: References) -> dict[str, Any]:
    return {"refs": refs, "errors": [], "terms": set(), "headings": []}


def render_markdown(source: str, refs: References) -> Rendered:
    """Render a block of lesson Markdown (the body, a feedback paragraph)."""
    env = _env(refs)
    html = _MD.render(source, env)
    return Rendered(html=html, headings=env["headings"], terms=env["terms"], errors=env["errors"])


def render_inline(source: str, refs: References) -> Rendered:
    """Render one line (a key point, a claim, a choice) without a wrapping paragraph."""
    env = _env(refs)
    html = _MD.renderInline(source, env)
    return Rendered(html=html, terms=env["terms"], errors=env["errors"])


def plain_text(source: str, refs: References) -> str:
    """The words a reader sees, without markup — for titles, tooltips and descriptions."""
    env = _env(refs)
    tokens = _MD.parseInline(source, env)
    return _plain_text(tokens[0].children if tokens else None, env) if tokens else ""
