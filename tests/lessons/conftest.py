"""Fixtures for lesson tests: the real lesson files, or a small sample set for loader tests."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.utils.html import strip_tags

from lessons.catalogue import DEFAULT_CONTENT_DIR, catalogue_clear

SAMPLE_CONTENT = Path(__file__).parent / "sample_content"


def lesson_files(lang: str = "ko") -> list[Path]:
    """The lesson files that exist right now (the author adds them one by one)."""
    return sorted((DEFAULT_CONTENT_DIR / lang).glob("*.md"))


def lesson_slugs() -> list[str]:
    return [path.stem.split("-", 1)[1] for path in lesson_files()]


def page_text(content: bytes) -> str:
    """What a reader sees: tags stripped, entities decoded, whitespace collapsed."""
    text = content.decode()
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<div hidden>.*?</div>", " ", text, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(strip_tags(text))).strip()


@pytest.fixture
def fresh_catalogue() -> Iterator[None]:
    """A catalogue loaded afresh for this test, and dropped after it.

    Tests of the real lesson files share one loaded catalogue (the files do not change during a
    run, and loading them with their charts costs about a second); tests that swap in other
    content ask for this fixture, directly or through `sample_content`.
    """
    catalogue_clear()
    yield
    catalogue_clear()


@pytest.fixture
def sample_content(settings, tmp_path: Path, fresh_catalogue: None) -> Path:
    """A writable copy of the sample lessons, served instead of the real ones."""
    directory = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, directory)
    settings.LESSONS_CONTENT_DIR = directory
    catalogue_clear()
    return directory


@pytest.fixture
def en_client(client: Client) -> Client:
    client.get("/?lang=en")
    return client
