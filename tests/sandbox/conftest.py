"""Fixtures for the live lab: a fast clock, a clean Redis, sockets with a session in scope."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from sandbox import labs
from sandbox.routing import websocket_urlpatterns
from sandbox.runner import lab_host

TICK_S = 0.02  # 50 Hz in tests: frames come quickly, the loop logic is the same


@pytest.fixture(autouse=True)
def lab_settings(settings: Any, redis_client: Any) -> Iterator[None]:
    settings.LAB_TICK_SECONDS = TICK_S
    settings.LAB_GRACE_SECONDS = 0.1
    yield


class WithSession:
    """ASGI middleware putting a session (a plain dict) and cookies into the scope."""

    def __init__(self, app: Any, session: dict[str, Any], cookies: dict[str, str]) -> None:
        self.app, self.session, self.cookies = app, session, cookies

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        return await self.app({**scope, "session": self.session, "cookies": self.cookies}, receive, send)


class Socket:
    """A WebsocketCommunicator with helpers that read the lab envelope."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.comm = communicator
        self.seq = 0

    async def receive(self, timeout: float = 2.0) -> dict[str, Any]:
        return json.loads(await self.comm.receive_from(timeout=timeout))

    async def next(self, kind: str, *, frame: str | None = None, timeout: float = 2.0) -> dict[str, Any]:
        """The next message of `kind` (and frame type), skipping others."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.receive(timeout=max(0.01, deadline - loop.time()))
            if message["type"] == kind and (frame is None or message["frame"]["type"] == frame):
                return message

    async def send(self, message: dict[str, Any]) -> None:
        await self.comm.send_to(text_data=json.dumps(message))

    async def command(self, command: dict[str, Any]) -> int:
        self.seq += 1
        await self.send({"type": "command", "seq": self.seq, "command": command})
        return self.seq

    async def reply(self, seq: int, timeout: float = 2.0) -> dict[str, Any]:
        """The ack or error answering command `seq`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.receive(timeout=max(0.01, deadline - loop.time()))
            if message["type"] in ("ack", "error") and message.get("seq") == seq:
                return message

    async def close(self) -> None:
        await self.comm.disconnect()


OpenSocket = Callable[..., Any]


@pytest.fixture
async def open_socket() -> AsyncIterator[OpenSocket]:
    """open_socket(lab_id, session=..., lang="ko") -> (connected, Socket). Closed at the end."""
    sockets: list[Socket] = []
    router = URLRouter(websocket_urlpatterns)

    async def opener(lab_id: str, *, session: dict[str, Any], lang: str | None = None) -> tuple[bool, Socket]:
        cookies = {"scalelab_language": lang} if lang else {}
        communicator = WebsocketCommunicator(WithSession(router, session, cookies), f"/ws/lab/{lab_id}/")
        connected, _ = await communicator.connect()
        socket = Socket(communicator)
        sockets.append(socket)
        return connected, socket

    yield opener
    for socket in sockets:
        with contextlib.suppress(Exception):  # already closed by the server
            await socket.close()
    await lab_host().shutdown()


@pytest.fixture
def session() -> dict[str, Any]:
    return {}


@pytest.fixture
def lab(session: dict[str, Any]) -> labs.LabHandle:
    """A web-tier lab owned by `session`."""
    return labs.lab_open(session=session, preset="web-tier")
