"""The lab socket: one `LabConsumer` per open lab view (envelope: docs/lab-socket.md).

The consumer checks that the visitor's session owns the lab, attaches the socket to the lab's
runner in this process (`sandbox.runner`) and turns the browser's messages into calls on it.
Bad input never crashes anything: every refusal is an `error` in the visitor's language, and
only sustained abuse closes the socket (1009 for oversized messages, 1008 for flooding).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.sessions import InstanceSessionWrapper
from redis.exceptions import RedisError

from sandbox.labs import lab_owned
from sandbox.runner import LabGone, LabRunner, Subscriber, lab_host
from sandbox.socket_messages import (
    FLOOD_CLOSE_AFTER,
    FLOOD_WINDOW_S,
    MESSAGE_MAX_BYTES,
    MESSAGE_TYPES,
    MESSAGES_PER_S,
    OVERSIZE_CLOSE_AFTER,
    OVERSIZE_WINDOW_S,
    socket_error,
    socket_language,
)
from sandbox.store import AsyncLabStore

log = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN_LATER = 1013


class MessageLimiter:
    """At most `per_second` messages in any second; remembers refusals to spot sustained abuse."""

    def __init__(self, per_second: int = MESSAGES_PER_S) -> None:
        self.accepted: deque[float] = deque(maxlen=per_second)
        self.refused: deque[float] = deque(maxlen=FLOOD_CLOSE_AFTER)
        self.oversized: deque[float] = deque(maxlen=OVERSIZE_CLOSE_AFTER)

    def allow(self, now: float) -> bool:
        accepted = self.accepted
        if len(accepted) == accepted.maxlen and now - accepted[0] < 1.0:
            self.refused.append(now)
            return False
        accepted.append(now)
        return True

    def flooding(self, now: float) -> bool:
        refused = self.refused
        return len(refused) == refused.maxlen and now - refused[0] < FLOOD_WINDOW_S

    def too_big(self, now: float) -> bool:
        """Record an oversized message; True when they come too often (close the socket)."""
        oversized = self.oversized
        oversized.append(now)
        return len(oversized) == oversized.maxlen and now - oversized[0] < OVERSIZE_WINDOW_S


def _too_big(text: str | None, data: bytes | None, limit: int = MESSAGE_MAX_BYTES) -> bool:
    """Over `limit` bytes (text counted as UTF-8, without encoding it when it cannot be)."""
    if text is None:
        return len(data or b"") > limit
    if len(text) * 4 <= limit:  # at most 4 bytes a character: certainly small enough
        return False
    return len(text) > limit or len(text.encode("utf-8")) > limit


class LabConsumer(AsyncWebsocketConsumer):
    # No channel layer per socket: frames come from the runner in this process, and what crosses
    # processes goes through the process's one inbox (sandbox.runner.LabHost). An alias that is
    # not configured makes Channels skip the layer (get_channel_layer returns None).
    channel_layer_alias = "lab-sockets-use-no-channel-layer"
    runner: LabRunner | None = None
    subscriber: Subscriber | None = None
    _send_frame: Callable[[dict[str, Any]], Awaitable[None]] | None = None

    async def connect(self) -> None:
        self.lab_id: str = self.scope["url_route"]["kwargs"]["lab_id"]
        self.lang = socket_language(self.scope.get("cookies"))
        self.limiter = MessageLimiter()
        await self.accept()  # accepted first, so the browser sees the close codes below
        try:
            await self._attach()
        except RedisError:  # the store is unreachable or overloaded: the browser retries later
            log.warning("lab %s: store unavailable at connect", self.lab_id, exc_info=True)
            await self._refuse("lab_unavailable", CLOSE_TRY_AGAIN_LATER)

    async def _attach(self) -> None:
        if await AsyncLabStore().meta(self.lab_id) is None:
            await self._refuse("lab_gone", CLOSE_NOT_FOUND)
            return
        if not await self._session_owns_lab():
            await self._refuse("lab_forbidden", CLOSE_FORBIDDEN)
            return
        subscriber = Subscriber(socket=self, lang=self.lang)
        try:
            self.runner = await lab_host().attach(self.lab_id, subscriber)
        except LabGone:
            await self._refuse("lab_gone", CLOSE_NOT_FOUND)
            return
        self.subscriber = subscriber

    async def _session_owns_lab(self) -> bool:
        session = self.scope.get("session")
        if session is None:
            return False
        return bool(await database_sync_to_async(lab_owned)(session=session, lab_id=self.lab_id))

    async def _refuse(self, key: str, code: int) -> None:
        await self._error(key)
        await self.close(code=code)

    async def send_text(self, text: str) -> None:
        """Send a text message (the runner's frames): `send(text_data=…)` without the layers in
        between, ten times a second per socket. Channels' session middleware wraps `send` only
        to save a modified session on "http.response.start" (and set its cookie); a WebSocket
        message never needs it, but would pay its two session lookups per frame, so frames go to
        the send it wraps."""
        send = self._send_frame
        if send is None:
            wrapper = getattr(self.base_send, "__self__", None)
            send = wrapper.real_send if isinstance(wrapper, InstanceSessionWrapper) else self.base_send
            self._send_frame = send
        await send({"type": "websocket.send", "text": text})

    async def disconnect(self, code: int) -> None:
        runner, subscriber = self.runner, self.subscriber
        self.runner = self.subscriber = None
        if runner is not None and subscriber is not None:
            await lab_host().detach(runner, subscriber)

    async def _error(self, key: str, **params: Any) -> None:
        await self.send(text_data=json.dumps(socket_error(key, self.lang, **params), ensure_ascii=False))

    # ------------------------------------------------------------------ browser → server

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        runner, subscriber = self.runner, self.subscriber
        if runner is None or subscriber is None:
            return  # refused or closing
        now = asyncio.get_running_loop().time()
        limiter = self.limiter
        if not limiter.allow(now):
            if limiter.flooding(now):
                await self.close(code=CLOSE_POLICY)
            else:
                await self._error("too_many_commands", limit=MESSAGES_PER_S)
            return
        if _too_big(text_data, bytes_data):
            if limiter.too_big(now):
                await self.close(code=CLOSE_TOO_BIG)
            else:
                await self._error("message_too_big", limit_kb=MESSAGE_MAX_BYTES // 1024)
            return
        if text_data is None:
            await self._error("message_not_text")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._error("json_malformed")
            return
        if not isinstance(message, dict):
            await self._error("message_not_object")
            return
        kind = message.get("type")
        if kind == "command":
            await self._command(runner, subscriber, message)
        elif kind == "visibility":
            hidden = message.get("hidden")
            if hidden is None:
                await self._error("field_missing", field="hidden")
            elif not isinstance(hidden, bool):
                await self._error("field_invalid", field="hidden", expected="boolean")
            else:
                await runner.set_hidden(subscriber, hidden)
        elif kind == "keyframe":
            await runner.request_keyframe(subscriber)
        else:
            await self._error("type_unknown", type=str(kind), allowed=list(MESSAGE_TYPES))

    async def _command(self, runner: LabRunner, subscriber: Subscriber, message: dict[str, Any]) -> None:
        seq = message.get("seq")
        if seq is None:
            await self._error("field_missing", field="seq")
            return
        if not isinstance(seq, int) or isinstance(seq, bool):
            await self._error("field_invalid", field="seq", expected="integer")
            return
        if "command" not in message:
            await self._error("field_missing", seq=seq, field="command")
            return
        await runner.submit(subscriber, seq, message["command"])
