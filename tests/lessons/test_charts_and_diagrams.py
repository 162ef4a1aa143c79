from __future__ import annotations

import json

import pytest

from lessons.catalogue import LESSON_SLUGS, Diagram, Lesson
from lessons.charts import CHART_IDS, chart_for
from lessons.diagrams import SPECS, diagram_svg
from sandbox.engine import facts

LESSON_CHARTS = {
    "latency-vs-utilisation",
    "scale-up-cost",
    "scale-out-vs-up-cost",
    "availability-vs-servers",
    "replication-lag",
    "queue-backlog",
    "percentiles-vs-load",
    "hashing-moved-keys",
    "cache-hit-ratio",
    "cdn-latency",
    "dc-failover-latency",
}


def test_every_chart_id_the_lessons_use_has_a_builder():
    assert set(CHART_IDS) == LESSON_CHARTS


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("chart_id", sorted(LESSON_CHARTS))
def test_chart_builds_with_text_alternative_in_the_page_language(chart_id, lang):
    chart = chart_for(chart_id, lang=lang)
    figure = json.loads(json.dumps(chart.figure))  # plain JSON
    assert figure["data"] and "template" not in figure["layout"]
    assert chart.title and chart.caption and chart.table_rows
    assert all(len(row) == len(chart.table_headers) for row in chart.table_rows)
    x_title = figure["layout"]["xaxis"]["title"]["text"]
    if lang == "ko":
        assert any("가" <= ch <= "힣" for ch in chart.caption + x_title), chart.caption
    colours = json.dumps(figure)
    assert "token:--" in colours and "#636efa" not in colours  # design tokens, not plotly's palette


def test_scale_up_chart_uses_the_engine_machine_sizes():
    chart = chart_for("scale-up-cost", lang="en")
    assert chart.figure["data"][0]["x"] == [size.capacity_rps for size in facts.WEB_SIZES]
    assert [row[0] for row in chart.table_rows] == [size.name for size in facts.WEB_SIZES]


def test_latency_chart_follows_queueing_theory():
    chart = chart_for("latency-vs-utilisation", lang="en")
    mean = chart.figure["data"][0]["y"]
    assert mean == sorted(mean)  # latency only grows with utilisation
    assert mean[-1] > 10 * mean[0]


def _lesson(slug: str) -> Lesson:
    diagram = Diagram(title="Diagram <title>", description="What it shows")
    return Lesson(
        lang="en", order=1, slug=slug, title="T", summary="", extension=False, preset=slug, chart=None,
        reading_minutes=1, key_points=(), diagram=diagram, self_check=None, claims=(), glossary=(),
        body_html="", toc=(), terms=frozenset(), path=None,
    )  # fmt: skip


@pytest.mark.parametrize("slug", LESSON_SLUGS)
def test_every_lesson_has_an_accessible_diagram_in_two_layouts(slug):
    svg = str(diagram_svg(_lesson(slug)))
    assert slug in SPECS
    assert svg.count('role="img"') == 2
    assert (
        f'aria-labelledby="diagram-{slug}-wide-title"' in svg
        and f'aria-labelledby="diagram-{slug}-tall-title"' in svg
    )
    assert "<title id=" in svg and "Diagram &lt;title&gt;" in svg and "<desc id=" in svg
    assert 'fill="#' not in svg and 'stroke="#' not in svg  # colours come from CSS variables
