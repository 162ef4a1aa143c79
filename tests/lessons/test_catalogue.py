"""The lesson files: complete, consistent between languages, and every reference resolves."""

from __future__ import annotations

from pathlib import Path

import pytest

from lessons.catalogue import (
    DEFAULT_CONTENT_DIR,
    LANGUAGES,
    LESSON_SLUGS,
    ContentError,
    catalogue,
    catalogue_load,
    claims_register,
)
from lessons.charts import CHART_IDS
from lessons.diagrams import SPECS
from tests.lessons.conftest import lesson_files


def test_all_eleven_lessons_exist_in_both_languages():
    for lang in LANGUAGES:
        found = sorted(path.stem.split("-", 1)[1] for path in lesson_files(lang))
        assert found == sorted(LESSON_SLUGS), (
            f"lessons/content/{lang}: missing {set(LESSON_SLUGS) - set(found)}"
        )


def test_the_real_lesson_files_load_without_problems():
    cat = catalogue()  # raises ContentError listing every problem with its file and field
    assert cat.lessons_in("ko")
    assert [lesson.slug for lesson in cat.lessons_in("ko")] == [
        lesson.slug for lesson in cat.lessons_in("en")
    ]


def test_lessons_follow_the_course_order():
    cat = catalogue()
    for lesson in cat.lessons_in("ko"):
        assert lesson.order == LESSON_SLUGS.index(lesson.slug) + 1, lesson.path
        assert lesson.extension == (lesson.order >= 9), (
            f"{lesson.path}: extension must be true for lessons 9-11"
        )


def test_both_languages_share_anchors_claims_and_settings():
    cat = catalogue()
    for ko in cat.lessons_in("ko"):
        en = cat.lesson("en", ko.slug)
        assert en is not None
        assert [s.anchor for s in ko.toc] == [s.anchor for s in en.toc]
        assert [c.id for c in ko.claims] == [c.id for c in en.claims]
        assert (ko.preset, ko.chart, ko.extension) == (en.preset, en.chart, en.extension)
        assert ko.toc, f"{ko.path}: a lesson needs '##' sections for its table of contents"


def test_claim_ids_equal_the_claims_register():
    register = claims_register(DEFAULT_CONTENT_DIR)
    cat = catalogue()
    for lesson in cat.lessons_in("ko"):
        assert sorted(c.id for c in lesson.claims) == sorted(register.get(lesson.slug, []))
    present = {lesson.slug for lesson in cat.lessons_in("ko")}
    for slug in register:
        assert slug in LESSON_SLUGS, f"claims.md names an unknown lesson '{slug}'"
    if present == set(LESSON_SLUGS):
        assert set(register) == present


def test_every_chart_and_diagram_a_lesson_needs_exists():
    for lesson in catalogue().lessons_in("ko"):
        assert lesson.chart in CHART_IDS, f"{lesson.path}: every lesson has a chart"
        assert lesson.slug in SPECS


def test_glossary_covers_the_terms_the_issue_names():
    wanted = {"load-balancer", "spof", "sticky-session", "failover", "replication-lag", "shard", "shard-key"}
    glossary = catalogue().glossary["ko"]
    if len(lesson_files()) < len(LESSON_SLUGS):
        pytest.skip("the glossary is finished with the lessons")
    assert wanted <= set(glossary), sorted(wanted - set(glossary))


# --- The loader's error messages name the file and the field


def _load_problems(directory: Path) -> str:
    with pytest.raises(ContentError) as raised:
        catalogue_load(directory)
    return str(raised.value)


def test_sample_content_loads(sample_content):
    cat = catalogue_load(sample_content)
    lesson = cat.lesson("en", "scalability")
    assert lesson.title == "What scaling means"
    assert "&lt;script&gt;" in lesson.body_html and "<script>" not in lesson.body_html
    assert [s.anchor for s in lesson.toc] == ["single-server", "techniques"]
    assert "10,000,000" in lesson.summary
    assert "1,000만" in cat.lesson("ko", "scalability").summary


def test_missing_front_matter_field_names_file_and_field(sample_content):
    path = sample_content / "en" / "04-web-tier.md"
    path.write_text(path.read_text().replace("reading_minutes: 7\n", ""))
    message = _load_problems(sample_content)
    assert "en/04-web-tier.md: front matter field 'reading_minutes' is missing" in message


def test_missing_translation_is_a_load_error(sample_content):
    (sample_content / "en" / "04-web-tier.md").unlink()
    assert "ko/04-web-tier.md: no en translation" in _load_problems(sample_content)


def test_unknown_term_is_reported_with_its_field(sample_content):
    path = sample_content / "ko" / "04-web-tier.md"
    path.write_text(path.read_text().replace("[[term:load-balancer]]는", "[[term:lb]]는"))
    assert "ko/04-web-tier.md: body: unknown glossary term [[term:lb]]" in _load_problems(sample_content)


def test_anchors_must_agree_between_languages(sample_content):
    path = sample_content / "en" / "04-web-tier.md"
    path.write_text(path.read_text().replace("{#load-balancer}", "{#lb}"))
    assert "section anchors differ" in _load_problems(sample_content)


def test_claims_must_match_the_register(sample_content):
    claims = sample_content / "claims.md"
    claims.write_text(claims.read_text().replace("stateless_tier_loses_no_sessions", "something_else"))
    assert "do not match claims.md for 'web-tier'" in _load_problems(sample_content)


def test_self_check_needs_exactly_one_correct_answer(sample_content):
    path = sample_content / "en" / "04-web-tier.md"
    path.write_text(path.read_text().replace("      correct: true\n", ""))
    assert "self_check.choices' must mark exactly one 'correct: true'" in _load_problems(sample_content)


def test_broken_yaml_is_reported(sample_content):
    path = sample_content / "ko" / "04-web-tier.md"
    path.write_text(path.read_text().replace("order: 4", "order: [4"))
    assert "ko/04-web-tier.md: front matter is not valid YAML" in _load_problems(sample_content)


def test_unknown_chart_id_is_reported(sample_content):
    for lang in ("ko", "en"):
        path = sample_content / lang / "01-scalability.md"
        path.write_text(path.read_text().replace("latency-vs-utilisation", "nope"))
    assert "front matter field 'chart' is 'nope'" in _load_problems(sample_content)
