"""A real Redis for the tests: use the one at the URL, or start the system redis-server there."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from urllib.parse import urlparse

import redis


def ensure_redis(url: str) -> None:
    """Make sure a Redis answers at `url`; start one on that host and port if none does."""
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    try:
        client.ping()
        return
    except redis.ConnectionError:
        pass
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("The tests need Redis: install it with `apt-get install -y redis-server`.")
    parsed = urlparse(url)
    workdir = tempfile.mkdtemp(prefix="scalelab-redis-")
    subprocess.run(
        [
            binary,
            "--daemonize",
            "yes",
            "--bind",
            parsed.hostname or "127.0.0.1",
            "--port",
            str(parsed.port or 6379),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            client.ping()
            return
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"Started redis-server, but nothing answers at {url}.")
