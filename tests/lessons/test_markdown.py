from __future__ import annotations

from lessons.markdown import LessonRef, TermRef, plain_text, render_inline, render_markdown
from lessons.numbers import number_compact, number_format


class Refs:
    def term(self, slug):
        if slug == "shard":
            return TermRef(name="shard", definition='A part of a "database".', url="/glossary/#shard")
        return None

    def fact(self, name):
        return "24" if name == "LARGEST_DB_RAM_TB" else None

    def lesson(self, slug):
        return LessonRef(title="Cache <fast>", url="/lessons/cache/") if slug == "cache" else None


def test_raw_html_in_lesson_markdown_is_escaped_not_run():
    rendered = render_markdown("Hello <script>alert('x')</script> <b onclick=x>bold</b>", Refs())
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert "<b " not in rendered.html


def test_javascript_links_are_not_rendered_as_links():
    rendered = render_markdown("[click](javascript:alert(1))", Refs())
    assert "href" not in rendered.html


def test_heading_anchor_becomes_the_id_and_a_toc_entry():
    rendered = render_markdown("## Sharding basics {#sharding}\n\ntext\n\n### Detail\n", Refs())
    assert '<h2 id="sharding">Sharding basics</h2>' in rendered.html
    assert [(h.level, h.anchor, h.title) for h in rendered.headings] == [
        (2, "sharding", "Sharding basics"),
        (3, "", "Detail"),
    ]


def test_tables_render():
    rendered = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n", Refs())
    assert "<table>" in rendered.html and "<td>2</td>" in rendered.html


def test_term_token_links_the_glossary_with_an_accessible_description():
    rendered = render_inline("Add a [[term:shard]] or [[term:shard|two shards]].", Refs())
    assert 'href="/glossary/#shard"' in rendered.html
    assert 'aria-describedby="term-def-shard"' in rendered.html
    assert 'data-tip="A part of a &quot;database&quot;."' in rendered.html
    assert ">shard</a>" in rendered.html and ">two shards</a>" in rendered.html
    assert rendered.terms == {"shard"}


def test_fact_and_lesson_tokens_resolve_and_escape():
    rendered = render_inline("[[fact:LARGEST_DB_RAM_TB]] TB, see [[lesson:cache]]", Refs())
    assert '<span class="fact">24</span> TB' in rendered.html
    assert '<a class="lesson-link" href="/lessons/cache/">Cache &lt;fast&gt;</a>' in rendered.html


def test_unknown_tokens_are_reported_with_what_is_missing():
    rendered = render_inline("[[term:nope]] [[fact:NOPE]] [[lesson:nowhere]]", Refs())
    assert len(rendered.errors) == 3
    assert "no slug 'nope' in the glossary" in rendered.errors[0]
    assert "facts.py" in rendered.errors[1]
    assert "no lesson with slug 'nowhere'" in rendered.errors[2]


def test_plain_text_drops_markup_and_keeps_token_words():
    assert plain_text("A **big** [[term:shard|split]]", Refs()) == "A big split"


def test_numbers_are_written_the_way_each_language_reads_them():
    assert number_format(10_000_000, lang="en") == "10,000,000"
    assert number_format(10_000_000, lang="ko") == "1,000만"
    assert number_format(120_000, lang="ko") == "12만"
    assert number_format(123_456_789, lang="ko") == "1억 2,345만 6,789"
    assert number_format(9_999, lang="ko") == "9,999"
    assert number_format(2.0, lang="en") == "2"
    assert number_format(0.1, lang="ko") == "0.1"


def test_compact_numbers_for_tight_spaces():
    assert number_compact(10_000_000, lang="en") == "10M"
    assert number_compact(1_000, lang="en") == "1K"
    assert number_compact(1, lang="en") == "1"
    assert number_compact(10_000_000, lang="ko") == "1,000만"
