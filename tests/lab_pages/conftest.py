"""Fixtures for the lab pages: a clean lab store (the real Redis) for every test."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def clean_store(redis_client: Any) -> Iterator[None]:
    yield


def lab_config(body: str) -> dict[str, Any]:
    """The JSON block a lab page hands to its ES modules."""
    match = re.search(r'<script id="lab-[^"]+-config" type="application/json">(.*?)</script>', body, re.S)
    assert match, "no lab config on the page"
    return json.loads(match.group(1))


def shown_groups(body: str) -> list[str]:
    """The control groups the panel shows, in order (the run group excluded)."""
    groups = re.findall(r'class="lab-group[^"]*" data-group="([a-z_]+)"', body)
    return [group for group in groups if group != "lab"]
