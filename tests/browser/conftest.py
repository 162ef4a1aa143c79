"""Browser tests: headless Debian Chromium (through pytest-playwright) against a real ASGI server.

pytest-django's live_server speaks WSGI only, so we start daphne in a subprocess with its own
file database — the same server `make run` uses, with WebSockets (and uvicorn, the server
docs/deploy.md recommends for many labs, for the tests that name `uvicorn_url`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Page

from tests.redis_server import ensure_redis

ROOT = Path(__file__).resolve().parents[2]
LIVE_REDIS_URL = os.environ.get("LIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server_env() -> Iterator[dict[str, str]]:
    ensure_redis(LIVE_REDIS_URL)
    import redis

    redis.Redis.from_url(LIVE_REDIS_URL).flushdb()
    workdir = tempfile.mkdtemp(prefix="scalelab-live-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{workdir}/db.sqlite3",
        "REDIS_URL": LIVE_REDIS_URL,
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "WHITENOISE_USE_FINDERS": "true",
        "DEBUG": "false",
        "LAB_TICK_SECONDS": os.environ.get("LAB_TICK_SECONDS", "0.1"),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo", "--quiet"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
    yield env
    shutil.rmtree(workdir, ignore_errors=True)


def _serve(name: str, command: list[str], env: dict[str, str], *, bind: str) -> Iterator[str]:
    """Run an ASGI server (`python -m` `command`, its `bind` option for the host, and `--port`,
    which both servers take) until the session ends."""
    port = _free_port()
    log_path = Path(env["DATABASE_URL"].removeprefix("sqlite:///")).parent / f"{name}.log"
    log = log_path.open("wb")  # noqa: SIM115 — stays open for the server's lifetime
    process = subprocess.Popen(
        [sys.executable, "-m", *command, bind, "127.0.0.1", "--port", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/", timeout=1)  # noqa: S310
            break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited; see {log_path}") from None
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def live_url(live_server_env: dict[str, str]) -> Iterator[str]:
    """Base URL of a daphne server running the whole app (HTTP and WebSockets), as `make run`."""
    yield from _serve("daphne", ["config.serve"], live_server_env, bind="-b")  # on uvloop, as make run


@pytest.fixture(scope="session")
def uvicorn_url(live_server_env: dict[str, str]) -> Iterator[str]:
    """The same app on uvicorn, the server docs/deploy.md recommends for many live labs."""
    command = ["uvicorn", "--no-access-log", "--lifespan", "off"]
    yield from _serve("uvicorn", command, live_server_env, bind="--host")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Errors the page logs to its console (a finished page logs none)."""
    errors: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", record)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


SERIOUS = {"serious", "critical"}


def serious_axe_violations(page: Page) -> list[str]:
    """axe-core scan: the serious and critical violations, one readable line each."""
    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation.get("impact") in SERIOUS:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return lines
