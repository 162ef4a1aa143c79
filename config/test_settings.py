"""Settings for the test suite: fast and hermetic, but with the real Redis (see tests/conftest.py)."""

from __future__ import annotations

import os

from config.settings import *  # noqa: F403
from config.settings import RQ_QUEUES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The test Redis: a separate logical database so tests never touch a developer's data.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RQ_QUEUES = {name: {**queue, "URL": REDIS_URL, "ASYNC": False} for name, queue in RQ_QUEUES.items()}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
