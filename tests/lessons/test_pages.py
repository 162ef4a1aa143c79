"""Every lesson page renders in both languages with everything a lesson page promises."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from lessons.catalogue import catalogue
from tests.lessons.conftest import lesson_slugs, page_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("slug", lesson_slugs())
def test_lesson_page_renders_with_all_its_parts(client, slug, lang):
    lesson = catalogue().lesson(lang, slug)
    response = client.get(f"/lessons/{slug}/?lang={lang}")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<html lang="{lang}"' in body
    assert f"<h1>{escape(lesson.title)}</h1>" in body
    assert 'class="toc"' in body
    for section in lesson.toc:
        assert f'href="#{section.anchor}"' in body and f'id="{section.anchor}"' in body
    assert 'id="key-points"' in body
    assert '<section id="lab" class="lab-slot" aria-labelledby="lab-heading"' in body
    assert (
        'role="img" aria-labelledby="diagram-' in body and f'<title id="diagram-{slug}-wide-title">' in body
    )
    for claim in lesson.claims:
        assert f'data-claim="{claim.id}"' in body
    if lesson.chart:
        assert 'data-chart="chart-data"' in body and 'id="chart-data"' in body
        assert "plotly-basic-4.1.1.min.js" in body
    assert 'id="self-check"' in body and 'name="choice"' in body
    previous, following = catalogue().neighbours(lesson)
    for neighbour in (previous, following):
        if neighbour:
            assert f'href="{neighbour.url}"' in body and neighbour.title in page_text(response.content)
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_lesson_without_chart_does_not_load_plotly(client, sample_content):
    body = client.get("/lessons/web-tier/").content.decode()
    assert "data-plotly-src" not in body and "lesson-chart" not in body
    with_chart = client.get("/lessons/scalability/").content.decode()
    assert "data-plotly-src" in with_chart and "lesson-chart" in with_chart


def test_index_lists_every_lesson_in_order_with_progress(client):
    response = client.get("/")
    assert response.status_code == 200
    text = page_text(response.content)
    titles = [lesson.title for lesson in catalogue().lessons_in("ko")]
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions)
    assert text.count("시작 전") >= len(titles)
    assert 'href="/lab/"' in response.content.decode()
    assert 'href="/glossary/"' in response.content.decode()


def test_index_marks_extension_lessons(client, en_client):
    text = page_text(en_client.get("/").content)
    extensions = [lesson for lesson in catalogue().lessons_in("en") if lesson.extension]
    assert text.count("Beyond the notes") == len(extensions)


def test_glossary_lists_terms_with_anchors_and_lesson_links(client):
    cat = catalogue()
    response = client.get("/glossary/")
    assert response.status_code == 200
    body = response.content.decode()
    for term in cat.terms_in("ko"):
        assert f'id="{term.slug}"' in body
        assert term.term in body


def test_glossary_terms_are_in_dictionary_order(sample_content, client):
    text = page_text(client.get("/glossary/").content)
    assert text.index("로드밸런서") < text.index("SPOF")  # 가나다 before A-Z
    english = page_text(client.get("/glossary/?lang=en").content)
    assert english.index("load balancer") < english.index("SPOF")


def test_term_links_on_a_lesson_page_have_their_definition(sample_content, client):
    body = client.get("/lessons/web-tier/").content.decode()
    assert 'aria-describedby="term-def-load-balancer"' in body
    assert '<span id="term-def-load-balancer">요청을 여러 서버에 고르게 나누는 장치.</span>' in body
