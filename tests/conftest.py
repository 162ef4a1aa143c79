"""Fixtures shared by every test. Browser fixtures live in tests/browser/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from django.conf import settings

from tests.redis_server import ensure_redis


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
