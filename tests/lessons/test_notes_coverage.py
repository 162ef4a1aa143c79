"""Every point of the notes is covered: the lesson page says it, in Korean and in English.

`lessons/content/notes_coverage.yaml` maps each point of the notes to the lesson that covers it
and to a phrase the page must contain in each language (text content, tags stripped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lessons.catalogue import DEFAULT_CONTENT_DIR, LESSON_SLUGS
from tests.lessons.conftest import page_text

COVERAGE = DEFAULT_CONTENT_DIR / "notes_coverage.yaml"


def _rows(path: Path = COVERAGE) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(data, dict):  # {points: [...]} or {rows: [...]}
        data = next((value for value in data.values() if isinstance(value, list)), [])
    return [row for row in data if isinstance(row, dict)]


def _row_id(row: dict[str, Any]) -> str:
    return str(row.get("id") or row.get("section") or row.get("point") or row.get("lesson"))[:40]


def test_the_coverage_table_exists_and_names_real_lessons():
    rows = _rows()
    assert rows, f"{COVERAGE} is missing or empty"
    for row in rows:
        assert row.get("lesson") in LESSON_SLUGS, row
        assert isinstance(row.get("ko"), str) and isinstance(row.get("en"), str), row


@pytest.mark.django_db
@pytest.mark.parametrize("row", _rows(), ids=_row_id)
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_lesson_page_says_each_point_of_the_notes(client, row, lang):
    response = client.get(f"/lessons/{row['lesson']}/?lang={lang}")
    assert response.status_code == 200, f"lesson '{row['lesson']}' ({lang}) does not render"
    text = page_text(response.content)
    phrase = " ".join(str(row[lang]).split())
    assert phrase in text, f"{row['lesson']} ({lang}) should say: {phrase!r}"
