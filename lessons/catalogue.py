"""The lesson catalogue: lesson files and the glossary, loaded once, checked, rendered.

Lesson texts live in `lessons/content/<lang>/<NN>-<slug>.md` (format: lessons/content/README.md).
`catalogue()` loads every file once per process and keeps the rendered HTML, so a page view
never parses Markdown; with DEBUG on it reloads when a file changes. A content mistake raises
`ContentError` listing every problem with its file and field, so an author can fix them all at
once.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.urls import reverse

from lessons.markdown import LessonRef, Rendered, TermRef, plain_text, render_inline, render_markdown
from lessons.numbers import number_format
from sandbox.engine import facts

LANGUAGES = ("ko", "en")
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent / "content"
FILENAME_RE = re.compile(r"^(\d{2})-([a-z0-9-]+)\.md$")
CLAIM_ROW_RE = re.compile(r"^\|\s*([a-z0-9-]+)\s*\|\s*`([a-z0-9_]+)`\s*\|")
# The eleven lessons, in order: one per section of the notes, then three extensions.
LESSON_SLUGS = (
    "scalability",
    "scale-up",
    "scale-out",
    "web-tier",
    "db-replication",
    "message-queue",
    "logs-metrics-automation",
    "db-scaling",
    "cache",
    "cdn",
    "data-centers",
)


class ContentError(Exception):
    """One or more problems in the lesson files; the message lists each with file and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Lesson content has problems:\n  - " + "\n  - ".join(problems))


# --- What a page needs, rendered once


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str


@dataclass(frozen=True)
class Choice:
    index: int
    html: str
    correct: bool
    feedback_html: str


@dataclass(frozen=True)
class SelfCheck:
    question_html: str
    choices: tuple[Choice, ...]

    def choice(self, index: int) -> Choice | None:
        return self.choices[index] if 0 <= index < len(self.choices) else None


@dataclass(frozen=True)
class Claim:
    id: str
    html: str


@dataclass(frozen=True)
class Diagram:
    title: str
    description: str


@dataclass(frozen=True)
class Lesson:
    lang: str
    order: int
    slug: str
    title: str
    summary: str
    extension: bool
    preset: str
    chart: str | None
    reading_minutes: int
    key_points: tuple[str, ...]  # HTML
    diagram: Diagram
    self_check: SelfCheck
    claims: tuple[Claim, ...]
    glossary: tuple[str, ...]
    body_html: str
    toc: tuple[Section, ...]
    terms: frozenset[str]  # glossary slugs the page links to
    path: Path

    @functools.cached_property
    def url(self) -> str:
        return reverse("lessons:detail", args=[self.slug])


@dataclass(frozen=True)
class Term:
    slug: str
    term: str
    also: tuple[str, ...]
    definition_html: str
    definition_text: str
    lessons: tuple[str, ...]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per load
class Catalogue:
    lessons: dict[str, tuple[Lesson, ...]]  # per language, in order
    glossary: dict[str, dict[str, Term]]  # per language, by slug

    def lessons_in(self, lang: str) -> tuple[Lesson, ...]:
        return self.lessons[lang]

    def lesson(self, lang: str, slug: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons[lang] if lesson.slug == slug), None)

    def neighbours(self, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
        ordered = self.lessons[lesson.lang]
        position = ordered.index(lesson)
        previous = ordered[position - 1] if position > 0 else None
        following = ordered[position + 1] if position + 1 < len(ordered) else None
        return previous, following

    def terms_in(self, lang: str) -> tuple[Term, ...]:
        return tuple(self.glossary[lang].values())


# --- Loading


_lock = threading.Lock()
_cache: dict[Path, tuple[tuple[tuple[str, float], ...], Catalogue]] = {}


def content_dir() -> Path:
    return Path(getattr(settings, "LESSONS_CONTENT_DIR", DEFAULT_CONTENT_DIR))


def catalogue() -> Catalogue:
    """The loaded catalogue (cached per process; reloaded on file changes when DEBUG)."""
    directory = content_dir()
    with _lock:
        cached = _cache.get(directory)
        if cached is not None and not settings.DEBUG:
            return cached[1]
        signature = _signature(directory)
        if cached is None or cached[0] != signature:
            _cache[directory] = (signature, catalogue_load(directory))
        return _cache[directory][1]


def catalogue_clear() -> None:
    with _lock:
        _cache.clear()


def _signature(directory: Path) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((str(path), path.stat().st_mtime) for path in directory.rglob("*") if path.is_file()))


def catalogue_load(directory: Path) -> Catalogue:
    problems: list[str] = []
    raw_glossary = {lang: _read_glossary(directory, lang, problems) for lang in LANGUAGES}
    raw_lessons = {lang: _read_lessons(directory, lang, problems) for lang in LANGUAGES}
    if problems:
        raise ContentError(problems)

    lessons: dict[str, tuple[Lesson, ...]] = {}
    glossary: dict[str, dict[str, Term]] = {}
    for lang in LANGUAGES:
        refs = _References(lang, raw_glossary[lang], raw_lessons[lang])
        glossary[lang] = _build_glossary(lang, raw_glossary[lang], refs, directory, problems)
        built = [_build_lesson(raw, refs, problems) for raw in raw_lessons[lang]]
        lessons[lang] = tuple(sorted((lesson for lesson in built if lesson), key=lambda lesson: lesson.order))
    if problems:
        raise ContentError(problems)

    _check_languages_agree(lessons, glossary, problems)
    _check_claims_register(directory, lessons, problems)
    _check_cross_references(lessons, glossary, problems)
    if problems:
        raise ContentError(problems)
    return Catalogue(lessons=lessons, glossary=glossary)


@dataclass
class _RawLesson:
    path: Path
    lang: str
    meta: dict[str, Any]
    body: str


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)


def _read_lessons(directory: Path, lang: str, problems: list[str]) -> list[_RawLesson]:
    folder = directory / lang
    found = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        where = _relative(path)
        text = path.read_text(encoding="utf-8")
        if not text.startswith("---\n"):
            problems.append(f"{where}: the file must start with a '---' line (YAML front matter)")
            continue
        end = text.find("\n---\n", 4)
        if end == -1:
            problems.append(f"{where}: the front matter has no closing '---' line")
            continue
        try:
            meta = yaml.safe_load(text[4:end])
        except yaml.YAMLError as error:
            problems.append(f"{where}: front matter is not valid YAML: {error}")
            continue
        if not isinstance(meta, dict):
            problems.append(f"{where}: front matter must be a mapping of fields")
            continue
        raw = _RawLesson(path=path, lang=lang, meta=meta, body=text[end + 5 :])
        if _check_front_matter(raw, problems):
            found.append(raw)
    return found


def _check_front_matter(raw: _RawLesson, problems: list[str]) -> bool:
    where = _relative(raw.path)
    before = len(problems)
    meta = raw.meta

    def need(name: str, kind: type | tuple[type, ...], value: Any = None, label: str | None = None) -> Any:
        value = meta.get(name) if value is None and label is None else value
        field_name = label or name
        if value is None:
            problems.append(f"{where}: front matter field '{field_name}' is missing")
        elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            problems.append(
                f"{where}: front matter field '{field_name}' must be {expected}, not {type(value).__name__}"
            )
        elif isinstance(value, str) and not value.strip():
            problems.append(f"{where}: front matter field '{field_name}' is empty")
        return value

    order, slug = need("order", int), need("slug", str)
    need("title", str), need("summary", str), need("preset", str), need("reading_minutes", int)
    if "extension" in meta and not isinstance(meta["extension"], bool):
        problems.append(f"{where}: front matter field 'extension' must be true or false")
    if meta.get("chart") is not None and not isinstance(meta["chart"], str):
        problems.append(f"{where}: front matter field 'chart' must be a chart id (text)")
    points = need("key_points", list)
    if isinstance(points, list):
        if not 1 <= len(points) <= 6:
            problems.append(
                f"{where}: front matter field 'key_points' should have 1–6 items, has {len(points)}"
            )
        for index, point in enumerate(points):
            need("", str, point, f"key_points[{index}]")
    diagram = need("diagram", dict)
    if isinstance(diagram, dict):
        need("", str, diagram.get("title"), "diagram.title")
        need("", str, diagram.get("description"), "diagram.description")
    check = need("self_check", dict)
    if isinstance(check, dict):
        need("", str, check.get("question"), "self_check.question")
        choices = need("", list, check.get("choices"), "self_check.choices")
        if isinstance(choices, list):
            if len(choices) < 2:
                problems.append(f"{where}: front matter field 'self_check.choices' needs at least 2 choices")
            for index, choice in enumerate(choices):
                label = f"self_check.choices[{index}]"
                if need("", dict, choice, label) is not None and isinstance(choice, dict):
                    need("", str, choice.get("text"), f"{label}.text")
                    need("", str, choice.get("feedback"), f"{label}.feedback")
                    if "correct" in choice and not isinstance(choice["correct"], bool):
                        problems.append(
                            f"{where}: front matter field '{label}.correct' must be true or false"
                        )
            if (
                all(isinstance(c, dict) for c in choices)
                and sum(bool(c.get("correct")) for c in choices) != 1
            ):
                problems.append(
                    f"{where}: front matter field 'self_check.choices' must mark exactly one 'correct: true'"
                )
    claims = need("claims", list)
    if isinstance(claims, list):
        for index, claim in enumerate(claims):
            if need("", dict, claim, f"claims[{index}]") is not None and isinstance(claim, dict):
                need("", str, claim.get("id"), f"claims[{index}].id")
                need("", str, claim.get("text"), f"claims[{index}].text")
    glossary = meta.get("glossary", [])
    if not isinstance(glossary, list) or not all(isinstance(slug_, str) for slug_ in glossary):
        problems.append(f"{where}: front matter field 'glossary' must be a list of term slugs")
    if isinstance(slug, str) and slug not in LESSON_SLUGS:
        problems.append(
            f"{where}: front matter field 'slug' is '{slug}', not one of {', '.join(LESSON_SLUGS)}"
        )
    match = FILENAME_RE.match(raw.path.name)
    if match is None:
        problems.append(f"{where}: the file name must look like 'NN-slug.md' (e.g. '04-web-tier.md')")
    elif (
        isinstance(order, int)
        and isinstance(slug, str)
        and (int(match.group(1)), match.group(2)) != (order, slug)
    ):
        problems.append(
            f"{where}: the file name says order {int(match.group(1))} and slug '{match.group(2)}', "
            f"but the front matter says order {order} and slug '{slug}'"
        )
    return len(problems) == before


def _read_glossary(directory: Path, lang: str, problems: list[str]) -> list[dict[str, Any]]:
    path = directory / "glossary" / f"{lang}.yaml"
    where = _relative(path)
    if not path.is_file():
        return []
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as error:
        problems.append(f"{where}: not valid YAML: {error}")
        return []
    if not isinstance(entries, list):
        problems.append(f"{where}: must be a list of terms")
        return []
    good = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        label = f"{where}: entry {index + 1}"
        if not isinstance(entry, dict):
            problems.append(f"{label} must be a mapping with slug, term, definition")
            continue
        label = f"{where}: term '{entry.get('slug', index + 1)}'"
        missing = [name for name in ("slug", "term", "definition") if not isinstance(entry.get(name), str)]
        if missing:
            problems.append(f"{label}: field(s) {', '.join(missing)} missing or not text")
            continue
        if entry["slug"] in seen:
            problems.append(f"{label}: the slug appears twice")
            continue
        for name in ("also", "lessons"):
            value = entry.get(name, [])
            if isinstance(value, str):
                entry[name] = [value]
            elif not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                problems.append(f"{label}: field '{name}' must be a list of text")
                entry[name] = []
        seen.add(entry["slug"])
        good.append(entry)
    return good


class _References:
    """What the inline tokens point at, in one language."""

    def __init__(self, lang: str, glossary: list[dict[str, Any]], lessons: list[_RawLesson]) -> None:
        self.lang = lang
        self._terms = {entry["slug"]: entry for entry in glossary}
        self._lessons = {raw.meta["slug"]: raw.meta["title"] for raw in lessons}
        self._definitions: dict[str, str] = {}
        self._glossary_url = reverse("lessons:glossary")

    def term(self, slug: str) -> TermRef | None:
        entry = self._terms.get(slug)
        if entry is None:
            return None
        if slug not in self._definitions:
            self._definitions[slug] = ""  # guards against a definition that links to itself
            self._definitions[slug] = plain_text(entry["definition"], self)
        return TermRef(
            name=entry["term"], definition=self._definitions[slug], url=f"{self._glossary_url}#{slug}"
        )

    def fact(self, name: str) -> str | None:
        head, _, attribute = name.partition(".")
        if not head.isupper() or not hasattr(facts, head):
            return None
        value = getattr(facts, head)
        if attribute:
            value = getattr(value, attribute, None)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        return value if isinstance(value, str) else number_format(value, lang=self.lang)

    def lesson(self, slug: str) -> LessonRef | None:
        title = self._lessons.get(slug)
        if title is None:
            # A lesson of the eleven that is not written yet: plain words until it lands.
            return LessonRef(title=slug, url="") if slug in LESSON_SLUGS else None
        return LessonRef(title=title, url=reverse("lessons:detail", args=[slug]))


def _collect(rendered: Rendered, where: str, field_name: str, problems: list[str]) -> Rendered:
    problems.extend(f"{where}: {field_name}: {error}" for error in rendered.errors)
    return rendered


def _build_lesson(raw: _RawLesson, refs: _References, problems: list[str]) -> Lesson | None:
    where, meta = _relative(raw.path), raw.meta
    terms: set[str] = set()

    def inline(source: str, field_name: str) -> str:
        rendered = _collect(render_inline(source, refs), where, field_name, problems)
        terms.update(rendered.terms)
        return rendered.html

    def block(source: str, field_name: str) -> Rendered:
        rendered = _collect(render_markdown(source, refs), where, field_name, problems)
        terms.update(rendered.terms)
        return rendered

    body = block(raw.body, "body")
    toc = []
    for heading in body.headings:
        if heading.level == 1:
            problems.append(f"{where}: body: use '##' for sections; the page title is the only '#' heading")
        elif heading.level == 2:
            if not heading.anchor:
                problems.append(
                    f"{where}: body: the section '## {heading.title}' needs an anchor, e.g. '{{#name}}'"
                )
            toc.append(Section(anchor=heading.anchor, title=heading.title))
    anchors = [section.anchor for section in toc]
    for anchor in {a for a in anchors if anchors.count(a) > 1}:
        problems.append(f"{where}: body: the anchor '{{#{anchor}}}' is used more than once")

    check = meta["self_check"]
    self_check = SelfCheck(
        question_html=inline(check["question"], "self_check.question"),
        choices=tuple(
            Choice(
                index=index,
                html=inline(choice["text"], f"self_check.choices[{index}].text"),
                correct=bool(choice.get("correct")),
                feedback_html=block(choice["feedback"], f"self_check.choices[{index}].feedback").html,
            )
            for index, choice in enumerate(check["choices"])
        ),
    )
    return Lesson(
        lang=raw.lang,
        order=meta["order"],
        slug=meta["slug"],
        title=plain_text(meta["title"], refs),
        summary=inline(meta["summary"], "summary"),
        extension=bool(meta.get("extension", False)),
        preset=meta["preset"],
        chart=meta.get("chart"),
        reading_minutes=meta["reading_minutes"],
        key_points=tuple(inline(point, f"key_points[{i}]") for i, point in enumerate(meta["key_points"])),
        diagram=Diagram(
            title=plain_text(meta["diagram"]["title"], refs),
            description=plain_text(meta["diagram"]["description"], refs),
        ),
        self_check=self_check,
        claims=tuple(
            Claim(id=claim["id"], html=inline(claim["text"], f"claims[{i}].text"))
            for i, claim in enumerate(meta["claims"])
        ),
        glossary=tuple(meta.get("glossary", [])),
        body_html=body.html,
        toc=tuple(toc),
        terms=frozenset(terms),
        path=raw.path,
    )


def _build_glossary(
    lang: str, entries: list[dict[str, Any]], refs: _References, directory: Path, problems: list[str]
) -> dict[str, Term]:
    where = _relative(directory / "glossary" / f"{lang}.yaml")
    terms = []
    for entry in entries:
        rendered = _collect(
            render_inline(entry["definition"], refs), where, f"term '{entry['slug']}'", problems
        )
        terms.append(
            Term(
                slug=entry["slug"],
                term=entry["term"],
                also=tuple(entry.get("also", [])),
                definition_html=rendered.html,
                definition_text=plain_text(entry["definition"], refs),
                lessons=tuple(entry.get("lessons", [])),
            )
        )
    terms.sort(key=lambda term: sort_key(term.term))
    return {term.slug: term for term in terms}


def sort_key(text: str) -> tuple[int, str]:
    """Dictionary order for a glossary: Hangul (가나다) first, then Latin (A–Z), then the rest."""
    first = text.strip()[:1]
    if "가" <= first <= "힣":
        group = 0
    elif first.isascii() and first.isalpha():
        group = 1
    else:
        group = 2
    return group, text.casefold()


def _check_languages_agree(
    lessons: dict[str, tuple[Lesson, ...]], glossary: dict[str, dict[str, Term]], problems: list[str]
) -> None:
    base, *others = LANGUAGES
    base_lessons = {lesson.slug: lesson for lesson in lessons[base]}
    for lang in others:
        other_lessons = {lesson.slug: lesson for lesson in lessons[lang]}
        for slug in sorted(base_lessons.keys() - other_lessons.keys()):
            problems.append(
                f"{_relative(base_lessons[slug].path)}: no {lang} translation (lessons/content/{lang}/)"
            )
        for slug in sorted(other_lessons.keys() - base_lessons.keys()):
            problems.append(
                f"{_relative(other_lessons[slug].path)}: no {base} original (lessons/content/{base}/)"
            )
        for slug in sorted(base_lessons.keys() & other_lessons.keys()):
            one, two = base_lessons[slug], other_lessons[slug]
            where = f"{_relative(two.path)} (vs {_relative(one.path)})"
            for name in ("order", "preset", "chart", "extension", "glossary"):
                if getattr(one, name) != getattr(two, name):
                    problems.append(
                        f"{where}: field '{name}' differs: {getattr(two, name)!r} vs {getattr(one, name)!r}"
                    )
            if [s.anchor for s in one.toc] != [s.anchor for s in two.toc]:
                problems.append(
                    f"{where}: section anchors differ: {[s.anchor for s in two.toc]} "
                    f"vs {[s.anchor for s in one.toc]}"
                )
            if [c.id for c in one.claims] != [c.id for c in two.claims]:
                problems.append(
                    f"{where}: claim ids differ: {[c.id for c in two.claims]} vs {[c.id for c in one.claims]}"
                )
            if [c.correct for c in one.self_check.choices] != [c.correct for c in two.self_check.choices]:
                problems.append(f"{where}: self_check choices differ in number or in which one is correct")
        missing = glossary[base].keys() ^ glossary[lang].keys()
        if missing:
            problems.append(f"lessons/content/glossary: terms only in one language: {sorted(missing)}")
    orders = [lesson.order for lesson in lessons[base]]
    for order in {o for o in orders if orders.count(o) > 1}:
        problems.append(f"lessons/content/{base}: two lessons share order {order}")


def claims_register(directory: Path) -> dict[str, list[str]]:
    """Claim ids per lesson slug, from the table in claims.md (the canonical list)."""
    register: dict[str, list[str]] = {}
    path = directory / "claims.md"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = CLAIM_ROW_RE.match(line)
            if match:
                register.setdefault(match.group(1), []).append(match.group(2))
    return register


def _check_claims_register(
    directory: Path, lessons: dict[str, tuple[Lesson, ...]], problems: list[str]
) -> None:
    register = claims_register(directory)
    for lesson in lessons[LANGUAGES[0]]:
        listed = register.get(lesson.slug, [])
        ids = [claim.id for claim in lesson.claims]
        if sorted(ids) != sorted(listed):
            problems.append(
                f"{_relative(lesson.path)}: claims {sorted(ids)} do not match claims.md for "
                f"'{lesson.slug}': {sorted(listed)}"
            )


def _check_cross_references(
    lessons: dict[str, tuple[Lesson, ...]], glossary: dict[str, dict[str, Term]], problems: list[str]
) -> None:
    from lessons.charts import CHART_IDS

    for lang in LANGUAGES:
        slugs = set(LESSON_SLUGS)
        for lesson in lessons[lang]:
            where = _relative(lesson.path)
            for slug in lesson.glossary:
                if slug not in glossary[lang]:
                    problems.append(
                        f"{where}: front matter field 'glossary' names '{slug}', not in the glossary"
                    )
            if lesson.chart is not None and lesson.chart not in CHART_IDS:
                problems.append(
                    f"{where}: front matter field 'chart' is '{lesson.chart}'; "
                    f"known charts: {', '.join(CHART_IDS)}"
                )
        for term in glossary[lang].values():
            for slug in _unknown(term.lessons, slugs):
                problems.append(
                    f"lessons/content/glossary/{lang}.yaml: term '{term.slug}' lists unknown lesson '{slug}'"
                )


def _unknown(names: Iterable[str], known: set[str]) -> list[str]:
    return [name for name in names if name not in known]
