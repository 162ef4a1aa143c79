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
    """What a lab page hands to its ES modules: the preset's JSON block, plus this visitor's lab
    (id, socket, seed, share link) from the host element around it."""
    match = re.search(r'<script id="lab-[^"]+-config" type="application/json">(.*?)</script>', body, re.S)
    assert match, "no lab config on the page"
    host = re.search(
        r'data-lab-host data-lab-id="([^"]+)" data-ws-path="([^"]+)" '
        r'data-seed="(\d+)" data-share-path="([^"]+)"',
        body,
    )
    assert host, "no lab host on the page"
    lab, ws_path, seed, share_path = host.groups()
    return {
        **json.loads(match.group(1)),
        "lab": lab,
        "ws_path": ws_path,
        "seed": int(seed),
        "share_path": share_path,
    }


def shown_groups(body: str) -> list[str]:
    """The control groups the panel shows, in order (the run group excluded)."""
    groups = re.findall(r'class="lab-group[^"]*" data-group="([a-z_]+)"', body)
    return [group for group in groups if group != "lab"]
