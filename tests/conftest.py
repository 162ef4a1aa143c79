"""Fixtures shared by every test. Browser fixtures live in tests/browser/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.redis_server import ensure_redis


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread for the rest of the session, which async tests (consumers) cannot share."""
    browser_dir = Path(__file__).parent / "browser"
    items.sort(
        key=lambda item: browser_dir in item.path.parents or item.get_closest_marker("browser") is not None
    )


@pytest.fixture(scope="session", autouse=True)
def real_redis() -> Iterator[redis.Redis]:
    """The test suite's own Redis database (real, never a fake), emptied before the run."""
    ensure_redis(settings.REDIS_URL)
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client


@pytest.fixture
def redis_client(real_redis: redis.Redis) -> Iterator[redis.Redis]:
    """A clean Redis database for one test."""
    real_redis.flushdb()
    yield real_redis
    real_redis.flushdb()
