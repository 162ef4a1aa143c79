"""The lab runner: one per lab per server process, the only thing that ticks a lab.

A `LabRunner` owns the lab's `Simulation` and an asyncio tick task with absolute deadlines
(next += period; sleep until then; when far behind, skip ahead rather than burst). Sockets of
the lab in this process are its subscribers; frames go straight to each socket, never through
the channel layer. Commands are carried out between ticks (the event loop is single-threaded
and a tick never yields half-way), and a frame follows at once when a command changed something.

Exactly one process ticks a lab: the runner holds a lease in Redis (`sandbox.store`). The
process's keeper renews each of its leases every second (a tenth of the labs every 100 ms, each
batch one pipelined round trip), recording each
lab's current tick. A runner that cannot get the lease is a *follower*: its sockets' commands go
to the lease holder over the channel layer (group `lab.<id>`, low rate; answers come back to the
process's one inbox channel), and their frames come from the lab's Redis stream, which the
holder writes only while followers are registered. When the holder goes away its lease lapses
and a follower takes over, rebuilding the lab from the store: snapshot + logged commands +
stepping on to the last recorded tick — exact, because the engine is deterministic.

Frames are encoded once per tick per language: subscribers reading the same language share one
`FrameEncoder`, so every subscriber's delta applies to the frame it got before. A subscriber
that needs a keyframe (it just attached, came back from a hidden tab, or asked) makes its
language group's next frame a keyframe, and that frame is sent at once.

`LabHost` is a server process's set of runners, its lease keeper and its channel-layer inbox
(one per event loop: tests run a second one to play "another process"). Consumers call
`lab_host().attach(...)` / `.detach(...)`; sockets themselves use no channel layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import secrets
import socket
import time
import weakref
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

import orjson
from channels.layers import get_channel_layer
from django.conf import settings
from redis.exceptions import RedisError

from sandbox.engine import CommandError, FrameEncoder, Simulation
from sandbox.labs import LabHandle
from sandbox.socket_messages import LIMITS, socket_error
from sandbox.store import AsyncLabStore, SavedRun

log = logging.getLogger(__name__)

Role = Literal["runner", "follower"]
T = TypeVar("T")

HOUSEKEEPING_S = 1.0  # each lease is renewed (with the lab's tick) and its followers read this often
KEEPER_SLICES = 10  # ... by a keeper that wakes 10 times as often and renews the labs then due
SNAPSHOT_EVERY_TICKS = 300  # a snapshot every 30 simulated seconds ...
SNAPSHOT_EVERY_COMMANDS = 50  # ... or every 50 commands; and whenever the last socket leaves
TOUCH_EVERY_S = 3600.0  # push the lab's expiry away while it runs
REPLAY_CHUNK_TICKS = 500  # restoring steps in chunks, letting other labs run in between
FORWARD_TIMEOUT_S = 2.0  # a follower's command gets `lab_unavailable` if not answered by then
KEYFRAME_REQUEST_EVERY_S = 1.0  # a follower asks again if no keyframe came
MAX_CATCH_UP_PERIODS = 10  # an overloaded loop steps at most 1 s of missed ticks before one frame


def _grace_s() -> float:
    """How long a runner outlives its last socket (a reload within it keeps the same runner)."""
    return float(getattr(settings, "LAB_GRACE_SECONDS", 2.0))


def _period_s() -> float:
    return float(settings.LAB_TICK_SECONDS)


class SocketSender(Protocol):
    async def send_text(self, text: str) -> None: ...


@dataclass(eq=False)
class Subscriber:
    """One socket attached to a lab in this process."""

    socket: SocketSender
    lang: str
    id: str = field(default_factory=lambda: secrets.token_hex(6))  # names it in answers from afar
    hidden: bool = False
    needs_keyframe: bool = True
    pending: dict[int, asyncio.TimerHandle] = field(default_factory=dict)  # forwarded commands

    async def send(self, text: str) -> None:
        await self.socket.send_text(text)

    def answered(self, seq: int | None) -> None:
        handle = self.pending.pop(seq, None) if seq is not None else None
        if handle is not None:
            handle.cancel()


def _dumps(message: dict[str, object]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def frame_message(frame: dict[str, object]) -> str:
    """A frame in its socket envelope, as JSON text. orjson writes the same compact JSON as the
    engine's `FrameEncoder.encode` (a float may be spelt differently, `0.00001` for `1e-05`, and
    reads back the same) in a tenth of the time (2 µs instead of 15–30 for a delta)."""
    return orjson.dumps({"type": "frame", "frame": frame}, option=orjson.OPT_NON_STR_KEYS).decode()


async def _redis(awaitable: Awaitable[T]) -> T:
    """Await a Redis call from a runner's task, then honour a cancellation that arrived during it:
    redis-py's asyncio client (8.1) can swallow a CancelledError that hits a command in flight
    (it retries the command), which would leave a stopped loop running."""
    result = await awaitable
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
    return result


class LabGone(Exception):
    """The lab is not in the store (expired or never existed)."""


class LabRunner:
    def __init__(self, host: LabHost, lab_id: str) -> None:
        self.host = host
        self.lab_id = lab_id
        self.store = host.store
        self.role: Role | None = None
        self.subscribers: list[Subscriber] = []
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # the lab (owner only)
        self.sim: Simulation | None = None
        self.preset = ""
        self.seed = 1
        self.share_token = ""
        self.paused = False
        self.speed = 1.0
        self.period_s = _period_s()
        self._encoders: dict[str, FrameEncoder] = {}
        self._keyframe_langs: set[str] = set()
        self._stream_langs: set[str] = set()
        self._log_len = 0
        self._ticks_since_snapshot = 0
        self._commands_since_snapshot = 0
        self._resumed = asyncio.Event()
        self._writes: list[tuple[str, Any]] = []
        self._writer: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._linger: asyncio.Task[None] | None = None
        self._last_keyframe_request = 0.0
        self._reading = False  # (follower) reading the frames stream
        self._last_touch = time.monotonic()
        self.renewed_at = time.monotonic()  # (owner) the keeper's last renewal
        self.closed = False

    @property
    def ticking(self) -> bool:
        """Whether this runner's loop is on (not lingering after its last socket left)."""
        return bool(self._tasks) and self._linger is None

    @property
    def group(self) -> str:
        return f"lab.{self.lab_id}"

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        """Become the lab's runner (lease acquired, lab rebuilt) or a follower of another process."""
        try:
            if await self.store.lease_acquire(self.lab_id, self.host.token):
                run = await self.store.load(self.lab_id)
                if run is None:
                    await self.store.lease_release(self.lab_id, self.host.token)
                    raise LabGone(self.lab_id)
                await self._become_owner(run)
            else:
                meta = await self.store.meta(self.lab_id)
                if meta is None:
                    raise LabGone(self.lab_id)
                self._take_meta(meta.preset, meta.seed, meta.paused, meta.speed, meta.share_token)
                self._become_follower()
        except BaseException as error:
            if not self.ready.done():
                self.ready.set_exception(error)
                self.ready.exception()  # retrieved: attach() re-raises it for every waiter
            raise
        self.ready.set_result(None)

    def _take_meta(self, preset: str, seed: int, paused: bool, speed: float, share_token: str) -> None:
        self.preset, self.seed, self.paused, self.speed = preset, seed, paused, speed
        self.share_token = share_token

    async def _become_owner(self, run: SavedRun) -> None:
        meta = run.meta
        self._take_meta(meta.preset, meta.seed, meta.paused, meta.speed, meta.share_token)
        self.sim = await self._restore(run)
        self._encoders.clear()
        self._stream_langs = set()
        self.role = "runner"
        await self.store.touch(meta)
        await self._start_owner_tasks()

    async def _start_owner_tasks(self) -> None:
        self.host.keep(self)
        await self.host.join(self.lab_id)  # commands from followers on other processes reach us
        if self.paused:
            self._resumed.clear()
        else:
            self._resumed.set()
        self._tasks = [
            asyncio.create_task(self._tick_loop(), name=f"lab-tick-{self.lab_id}"),
        ]

    def _become_follower(self) -> None:
        self.role = "follower"
        self.sim = None
        self._encoders.clear()
        self._tasks = [asyncio.create_task(self._follow(), name=f"lab-follow-{self.lab_id}")]

    async def _restore(self, run: SavedRun) -> Simulation:
        """The lab as it was: snapshot (or preset + seed), the logged commands at their ticks,
        then on to the last recorded tick."""
        meta, snap = run.meta, run.snapshot
        if (
            snap is not None
            and snap.get("seed") == meta.seed
            and 0 <= snap.get("log_len", -1) <= len(run.log)
        ):
            sim = Simulation.from_snapshot(snap["state"])
            start = int(snap["log_len"])
        else:
            sim = Simulation.from_preset(meta.preset, seed=meta.seed)
            start = 0
        for tick, command in run.log[start:]:
            await self._step_to(sim, tick)
            try:
                sim.apply(command)
            except CommandError:  # it was valid when logged; an engine change may refuse it now
                log.warning("lab %s: logged command %r refused on replay", self.lab_id, command)
        await self._step_to(sim, meta.tick)
        self._log_len = len(run.log)
        self._ticks_since_snapshot = sim.tick - (int(snap["tick"]) if snap and start else 0)
        self._commands_since_snapshot = len(run.log) - start
        return sim

    @staticmethod
    async def _step_to(sim: Simulation, tick: int) -> None:
        while sim.tick < tick:
            sim.step(min(REPLAY_CHUNK_TICKS, tick - sim.tick))
            if sim.tick < tick:
                await asyncio.sleep(0)

    async def _cancel_tasks(self) -> None:
        tasks, self._tasks = self._tasks, []
        current = asyncio.current_task()
        for task in tasks:
            if task is not current:
                task.cancel()
        for task in tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    # ------------------------------------------------------------------ subscribers

    async def add(self, subscriber: Subscriber) -> bool:
        """A socket joins: welcome, then a keyframe at once. False if the runner has closed."""
        if self.closed:
            return False
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
            await self._resume_after_linger()
        self.subscribers.append(subscriber)
        subscriber.needs_keyframe = True
        await self._send(subscriber, _dumps(self._welcome(subscriber)))
        await self._serve_keyframes(subscriber.lang)
        return True

    async def remove(self, subscriber: Subscriber) -> None:
        for handle in subscriber.pending.values():
            handle.cancel()
        subscriber.pending.clear()
        if subscriber in self.subscribers:
            self.subscribers.remove(subscriber)
        if self.subscribers or self.closed:
            return
        if self.role == "runner":
            await self._cancel_tasks()  # the loop stops with its last socket
            self._linger = asyncio.create_task(self._linger_then_close(), name=f"lab-linger-{self.lab_id}")
        else:
            await self.close()

    async def set_hidden(self, subscriber: Subscriber, hidden: bool) -> None:
        was_hidden, subscriber.hidden = subscriber.hidden, hidden
        if was_hidden and not hidden:
            subscriber.needs_keyframe = True
            await self._serve_keyframes(subscriber.lang)

    async def request_keyframe(self, subscriber: Subscriber) -> None:
        subscriber.needs_keyframe = True
        await self._serve_keyframes(subscriber.lang)

    async def _serve_keyframes(self, lang: str) -> None:
        if self.role == "runner":
            self._keyframe_langs.add(lang)
            await self._broadcast(langs={lang})
        elif self._reading:  # else the follow loop asks as soon as it reads the stream
            await self._ask_keyframe(lang)

    def _lab_state(self) -> dict[str, object]:
        return {
            "paused": self.paused,
            "speed": self.speed,
            "seed": self.seed,
            "tick": self.sim.tick if self.sim is not None else None,
            "role": self.role,
        }

    def _welcome(self, subscriber: Subscriber) -> dict[str, object]:
        return {
            "type": "welcome",
            "lab": self.lab_id,
            "preset": self.preset,
            **self._lab_state(),
            "share_path": LabHandle(self.lab_id, self.preset, self.seed, self.share_token).share_path,
            "lang": subscriber.lang,
            "limits": dict(LIMITS),
        }

    def _state(self) -> dict[str, object]:
        return {"type": "state", **self._lab_state()}

    async def _send(self, subscriber: Subscriber, text: str) -> None:
        try:
            await subscriber.send(text)
        except Exception:  # a socket that went away: its disconnect detaches it
            log.debug("lab %s: send failed", self.lab_id, exc_info=True)

    async def _send_all(self, text: str) -> None:
        for subscriber in list(self.subscribers):
            await self._send(subscriber, text)

    # ------------------------------------------------------------------ the tick (owner)

    async def _tick_loop(self) -> None:
        """Absolute deadlines: next += period. When the process falls behind (overloaded), the
        ticks that were due are stepped at once and ONE frame shows them: simulated time keeps
        pace with the clock, only frames are skipped (a tick costs ~1/20 of a frame). Never more
        than MAX_CATCH_UP_PERIODS at once; beyond that, the missed time is dropped."""
        loop = asyncio.get_running_loop()
        period = self.period_s
        carry = 0.0
        next_at = loop.time() + period
        while True:
            if self.paused:
                await self._resumed.wait()
                next_at = loop.time() + period
                continue
            delay = next_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            periods = 1
            late = loop.time() - next_at
            if late >= period:
                missed = int(late / period)
                periods += min(missed, MAX_CATCH_UP_PERIODS - 1)
                if missed >= MAX_CATCH_UP_PERIODS:
                    next_at = loop.time() - period * (periods - 1)
            next_at += period * periods
            if self.paused or self.sim is None:
                continue
            carry += self.speed * periods
            ticks = int(carry)
            if ticks == 0:
                continue
            carry -= ticks
            self.sim.step(ticks)
            self._ticks_since_snapshot += ticks
            await self._broadcast()
            if self._ticks_since_snapshot >= SNAPSHOT_EVERY_TICKS:
                self._snapshot()  # here, not in the keeper: labs' phases spread the snapshots out

    def _frames(self, langs: set[str] | None) -> dict[str, tuple[str, bool]]:
        """Encoded frame messages for each language that has a reader (or only `langs`)."""
        assert self.sim is not None
        wanted = {s.lang for s in self.subscribers if not s.hidden} | self._stream_langs
        if langs is not None:
            wanted &= langs
        out: dict[str, tuple[str, bool]] = {}
        for lang in wanted:
            encoder = self._encoders.get(lang)
            if encoder is None:
                encoder = self._encoders[lang] = FrameEncoder(self.sim, lang=lang)
            keyframe = lang in self._keyframe_langs
            frame = encoder.frame(keyframe=keyframe)
            out[lang] = (frame_message(frame), frame["type"] == "key")
        self._keyframe_langs -= wanted
        return out

    async def _broadcast(self, langs: set[str] | None = None) -> None:
        """Send the current frame to every visible subscriber (and to followers' stream)."""
        if self.sim is None or self.role != "runner":
            return
        frames = self._frames(langs)
        for subscriber in list(self.subscribers):
            if subscriber.hidden:
                continue
            entry = frames.get(subscriber.lang)
            if entry is None:
                continue
            text, keyframe = entry
            if keyframe:
                subscriber.needs_keyframe = False
            try:
                await subscriber.socket.send_text(text)
            except Exception:  # a socket that went away: its disconnect detaches it
                log.debug("lab %s: send failed", self.lab_id, exc_info=True)
        if self._stream_langs and frames:
            published = {lang: text for lang, (text, _k) in frames.items() if lang in self._stream_langs}
            if published:
                keys = ",".join(lang for lang, (_t, k) in frames.items() if k and lang in published)
                await self._publish({**published, "k": keys})

    async def _publish(self, fields: dict[str, str]) -> None:
        try:
            await _redis(self.store.publish(self.lab_id, fields))
        except RedisError:
            log.warning("lab %s: could not publish to followers", self.lab_id, exc_info=True)

    # ------------------------------------------------------------------ commands

    async def submit(self, subscriber: Subscriber, seq: int, command: object) -> None:
        """A command from a local socket: run it here, or forward it to the lab's runner."""
        if self.role == "runner":
            replies, changed, state = self._apply(seq, command, subscriber.lang)
            for text in replies:
                await self._send(subscriber, text)
            await self._after_command(changed, state)
        else:
            await self._forward(subscriber, seq, command)

    async def _after_command(self, changed: bool, state: bool) -> None:
        if state:
            text = _dumps(self._state())
            await self._send_all(text)
            if self._stream_langs:
                await self._publish({"all": text})
        if changed:
            await self._broadcast()

    def _apply(self, seq: int, raw: object, lang: str) -> tuple[list[str], bool, bool]:
        """Carry out one command (owner). Returns (replies to the sender, frame needed, state changed)."""
        sim = self.sim
        assert sim is not None
        try:
            command = sim.apply(raw)  # type: ignore[arg-type]  # parse_command refuses non-mappings
        except CommandError as error:
            return [_dumps({"type": "error", "seq": seq, **error.to_dict(lang)})], False, False
        except Exception:
            log.exception("lab %s: command %r failed", self.lab_id, raw)
            return [_dumps(socket_error("command_failed", lang, seq=seq))], True, False
        ack = _dumps({"type": "ack", "seq": seq, "cmd": command.name})
        name = command.name
        if command.scope == "engine":
            self._log(sim.tick, command.to_raw())
            return [ack], True, False
        changed, state = False, True
        if name == "pause":
            self.paused = True
            self._resumed.clear()
            self._write("state", {"paused": 1, "tick": sim.tick})
        elif name == "resume":
            self.paused = False
            self._resumed.set()
            self._write("state", {"paused": 0, "tick": sim.tick})
        elif name == "set_speed":
            self.speed = float(command.get_float("speed", 1.0) or 1.0)
            self._write("state", {"speed": self.speed})
        elif name == "step":
            sim.step(command.get_int("ticks", 1) or 1)
            changed = True
        elif name in ("reset", "set_seed"):
            seed = command.get_int("seed", self.seed) if name == "set_seed" else self.seed
            self._restart(self.seed if seed is None else seed)
            changed = True
        return [ack], changed, state

    def _log(self, tick: int, command: dict[str, object]) -> None:
        self._log_len += 1
        self._commands_since_snapshot += 1
        self._write("log", [json.dumps([tick, command], separators=(",", ":"))])
        if self._commands_since_snapshot >= SNAPSHOT_EVERY_COMMANDS:
            self._snapshot()

    def _restart(self, seed: int) -> None:
        """reset / set_seed: the preset again with `seed`; the log starts empty."""
        self.seed = seed
        self.sim = Simulation.from_preset(self.preset, seed=seed)
        self._encoders.clear()  # new run: every language gets a keyframe
        self._log_len = 0
        self._ticks_since_snapshot = 0
        self._commands_since_snapshot = 0
        self._write("restart", seed)

    def _snapshot(self) -> None:
        sim = self.sim
        assert sim is not None
        self._write(
            "snapshot",
            {"tick": sim.tick, "log_len": self._log_len, "seed": self.seed, "state": sim.snapshot()},
        )
        self._write("state", {"tick": sim.tick})
        self._ticks_since_snapshot = 0
        self._commands_since_snapshot = 0

    # ------------------------------------------------------------------ store writes, in order

    def _write(self, op: str, value: Any) -> None:
        if self.role != "runner":
            return
        if op == "log" and self._writes and self._writes[-1][0] == "log":
            self._writes[-1][1].extend(value)
        else:
            self._writes.append((op, value))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._flush_writes(), name=f"lab-write-{self.lab_id}")

    async def _flush_writes(self) -> None:
        while self._writes:
            ops, self._writes = self._writes, []
            try:
                await self.store.write(self.lab_id, ops)
            except RedisError:
                log.warning("lab %s: store write failed; %d ops lost", self.lab_id, len(ops), exc_info=True)

    async def flush(self) -> None:
        """Wait until every queued write is in the store."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    # ------------------------------------------------------------------ owner housekeeping

    def housekeep(self, langs: set[str] | None, now: float) -> None:
        """The host's keeper renewed this runner's lease (or found it lost: None), once a second."""
        if self.role != "runner" or self.sim is None or not self._tasks:
            return
        if langs is None:
            log.warning("lab %s: lease lost; following the new runner", self.lab_id)
            self._tasks.append(asyncio.create_task(self._demote(), name=f"lab-demote-{self.lab_id}"))
            return
        self._stream_langs = langs
        if now - self._last_touch >= TOUCH_EVERY_S:
            self._last_touch = now
            self._write("touch", None)

    async def _demote(self) -> None:
        """The lease went to another process: stop ticking, follow it."""
        self._writes.clear()
        await self._leave_group()
        await self._cancel_tasks()
        for subscriber in self.subscribers:
            subscriber.needs_keyframe = True
        self._become_follower()
        await self._send_all(_dumps(self._state()))

    async def _leave_group(self) -> None:
        await self.host.leave(self.lab_id)

    async def on_message(self, layer: Any, message: dict[str, Any]) -> None:
        """A channel-layer message for this lab (through the host's inbox): a follower's command
        or keyframe request (we run the lab), or the answer to a command we forwarded."""
        kind = message.get("type")
        if kind == "lab.reply":
            subscriber = next((s for s in self.subscribers if s.id == message.get("sub")), None)
            if subscriber is not None:
                subscriber.answered(message.get("seq"))
                await self._send(subscriber, str(message.get("text")))
            return
        if self.role != "runner":
            return
        lang = str(message.get("lang") or "ko")
        if kind == "lab.keyframe":
            self._stream_langs.add(lang)
            self._keyframe_langs.add(lang)
            await self._broadcast(langs={lang})
        elif kind == "lab.command" and self.sim is not None:
            seq = int(message.get("seq") or 0)
            replies, changed, state = self._apply(seq, message.get("command"), lang)
            reply_to, sub = message.get("reply"), message.get("sub")
            if reply_to:
                for text in replies:
                    answer = {"type": "lab.reply", "lab": self.lab_id, "sub": sub, "seq": seq, "text": text}
                    with contextlib.suppress(Exception):
                        await layer.send(reply_to, answer)
            self._stream_langs.add(lang)
            await self._after_command(changed, state)

    # ------------------------------------------------------------------ follower

    async def _forward(self, subscriber: Subscriber, seq: int, command: object) -> None:
        layer = get_channel_layer()
        lang = subscriber.lang
        if layer is None:
            await self._send(subscriber, _dumps(socket_error("lab_unavailable", lang, seq=seq)))
            return
        message = {"type": "lab.command", "lab": self.lab_id, "seq": seq, "command": command, "lang": lang}
        try:
            reply = await self.host.inbox()
            await layer.group_send(self.group, {**message, "reply": reply, "sub": subscriber.id})
        except Exception:  # the channel layer is unreachable or full: say so, keep the socket
            log.warning("lab %s: could not forward a command", self.lab_id, exc_info=True)
            await self._send(subscriber, _dumps(socket_error("lab_unavailable", lang, seq=seq)))
            return
        loop = asyncio.get_running_loop()

        def unanswered() -> None:
            subscriber.pending.pop(seq, None)
            asyncio.ensure_future(
                self._send(subscriber, _dumps(socket_error("lab_unavailable", lang, seq=seq)))
            )

        old = subscriber.pending.pop(seq, None)
        if old is not None:
            old.cancel()
        subscriber.pending[seq] = loop.call_later(FORWARD_TIMEOUT_S, unanswered)

    async def _ask_keyframe(self, lang: str) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        self._last_keyframe_request = time.monotonic()
        with contextlib.suppress(Exception):
            await layer.group_send(self.group, {"type": "lab.keyframe", "lab": self.lab_id, "lang": lang})

    def _langs(self) -> list[str]:
        return sorted({s.lang for s in self.subscribers}) or ["ko"]

    async def _follow(self) -> None:
        """Read the runner's frames from the lab's stream; take over when its lease lapses."""
        store, token = self.store, self.host.token
        with contextlib.suppress(Exception):
            await self.host.inbox()  # answers to our forwarded commands come here
        await _redis(store.follower_register(self.lab_id, token, self._langs()))
        last_id = await _redis(store.last_frame_id(self.lab_id))
        self._reading = True
        for lang in {s.lang for s in self.subscribers if s.needs_keyframe}:
            await self._ask_keyframe(lang)
        next_check = time.monotonic() + HOUSEKEEPING_S
        try:
            while True:
                block_ms = int(HOUSEKEEPING_S * 1000)
                entries = await _redis(store.read_frames(self.lab_id, last_id, block_ms=block_ms))
                for entry_id, fields in entries:
                    last_id = entry_id
                    await self._dispatch(fields)
                now = time.monotonic()
                if now < next_check:
                    continue
                next_check = now + HOUSEKEEPING_S
                if await _redis(store.lease_acquire(self.lab_id, token)):
                    await self._promote()
                    return
                await _redis(store.follower_register(self.lab_id, token, self._langs()))
                if (
                    any(s.needs_keyframe and not s.hidden for s in self.subscribers)
                    and now - self._last_keyframe_request >= KEYFRAME_REQUEST_EVERY_S
                ):
                    for lang in {s.lang for s in self.subscribers if s.needs_keyframe}:
                        await self._ask_keyframe(lang)
        finally:
            self._reading = False
            if self.role == "follower":
                with contextlib.suppress(Exception):
                    await store.follower_remove(self.lab_id, token)

    async def _dispatch(self, fields: dict[str, str]) -> None:
        state = fields.get("all")
        if state is not None:
            message = json.loads(state)
            if message.get("type") == "state":
                message["role"] = "follower"
                self.paused = bool(message.get("paused"))
                self.speed = float(message.get("speed") or 1.0)
                self.seed = int(message.get("seed") or self.seed)
            await self._send_all(_dumps(message))
            return
        keyframes = set(fields.get("k", "").split(","))
        for subscriber in list(self.subscribers):
            text = fields.get(subscriber.lang)
            if text is None or subscriber.hidden:
                continue
            if subscriber.lang in keyframes:
                subscriber.needs_keyframe = False
            elif subscriber.needs_keyframe:
                continue
            await self._send(subscriber, text)

    async def _promote(self) -> None:
        """The runner's lease lapsed and we hold it now: rebuild the lab and run it here."""
        await self.store.follower_remove(self.lab_id, self.host.token)
        run = await self.store.load(self.lab_id)
        if run is None:
            await self.store.lease_release(self.lab_id, self.host.token)
            for subscriber in list(self.subscribers):
                await self._send(subscriber, _dumps(socket_error("lab_gone", subscriber.lang)))
            return
        self._tasks = []  # we are the follow task, finishing
        meta = run.meta
        self._take_meta(meta.preset, meta.seed, meta.paused, meta.speed, meta.share_token)
        self.sim = await self._restore(run)
        self._encoders.clear()
        self.role = "runner"
        await self.store.touch(meta)
        await self._start_owner_tasks()
        await self._send_all(_dumps(self._state()))
        for lang in {s.lang for s in self.subscribers}:
            self._keyframe_langs.add(lang)
        await self._broadcast()

    # ------------------------------------------------------------------ the end

    async def _linger_then_close(self) -> None:
        """The last socket left: save the lab now; keep the runner (and its lease) for a short
        grace, so a reload resumes here; then let go. A follower elsewhere ends the grace early."""
        try:
            if self.sim is not None:
                self._snapshot()
                await self.flush()
                with contextlib.suppress(RedisError):
                    await self.store.lease_renew(self.lab_id, self.host.token, tick=self.sim.tick)
            deadline = time.monotonic() + _grace_s()
            while time.monotonic() < deadline:
                await asyncio.sleep(min(0.25, max(0.0, deadline - time.monotonic())))
                with contextlib.suppress(RedisError):
                    if await _redis(self.store.follower_langs(self.lab_id)):
                        break
        except asyncio.CancelledError:
            return  # a socket came back within the grace
        self._linger = None
        await self.close()

    async def _resume_after_linger(self) -> None:
        if await self.store.lease_acquire(self.lab_id, self.host.token):
            await self._start_owner_tasks()
            return
        self._become_follower()  # someone else runs it now

    async def close(self) -> None:
        """Stop everything and let go of the lab (called when no socket is left)."""
        if self.closed:
            return
        self.closed = True
        self.host.forget(self)
        if self._linger is not None and self._linger is not asyncio.current_task():
            self._linger.cancel()
        was_runner = self.role == "runner"
        await self._leave_group()
        await self._cancel_tasks()
        if was_runner and self.sim is not None:
            await self.flush()
            with contextlib.suppress(RedisError):
                await self.store.lease_release(self.lab_id, self.host.token)

    def tasks(self) -> list[asyncio.Task[Any]]:
        """Tasks this runner has running (tests check that none are left)."""
        out = [task for task in self._tasks if not task.done()]
        for task in (self._writer, self._linger):
            if task is not None and not task.done():
                out.append(task)
        return out


class LabHost:
    """A server process's runners (per event loop). `token` names the process in leases."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.store = AsyncLabStore()
        self.runners: dict[str, LabRunner] = {}
        self._keeper: asyncio.Task[None] | None = None
        self._channel: str | None = None  # this process's channel-layer inbox (all its labs)
        self._inbox: asyncio.Task[None] | None = None

    async def attach(self, lab_id: str, subscriber: Subscriber) -> LabRunner:
        """Attach a socket to the lab's runner in this process (created on first use).
        Raises LabGone when the lab does not exist."""
        for _attempt in range(3):
            runner = self.runners.get(lab_id)
            if runner is None or runner.closed:
                runner = self.runners[lab_id] = LabRunner(self, lab_id)
                starting: Awaitable[None] = runner.start()
                try:
                    await starting
                except BaseException:
                    self.forget(runner)
                    raise
            else:
                await asyncio.shield(runner.ready)
            if await runner.add(subscriber):
                return runner
            # it closed while we waited: start again
        raise LabGone(lab_id)

    async def detach(self, runner: LabRunner, subscriber: Subscriber) -> None:
        await runner.remove(subscriber)

    def keep(self, runner: LabRunner) -> None:
        """Make sure the keeper runs: it renews the leases of every lab this process runs."""
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._keep(), name="lab-keeper")

    async def _keep(self) -> None:
        """Every lab this process runs gets its lease renewed (recording its tick) and its
        followers read once per HOUSEKEEPING_S. The keeper wakes KEEPER_SLICES times as often and
        renews the labs then due, oldest first and at most a slice's share each time, in one
        pipelined round trip: with hundreds of labs, one batch a second would stall every lab's
        tick for ~15 ms. Ends when no lab runs here (restarted by the next one)."""
        pause = HOUSEKEEPING_S / KEEPER_SLICES
        while True:
            await asyncio.sleep(pause)
            owners = [
                (r, r.sim.tick)
                for r in self.runners.values()
                if r.role == "runner" and r.ticking and r.sim is not None
            ]
            if not owners:
                return
            now = time.monotonic()
            due = sorted(
                (owner for owner in owners if now - owner[0].renewed_at >= HOUSEKEEPING_S - pause / 2),
                key=lambda owner: owner[0].renewed_at,
            )
            due = due[: math.ceil(len(owners) / (KEEPER_SLICES - 2))]  # a burst of new labs spreads out
            if not due:
                continue
            ticks = [(runner.lab_id, tick) for runner, tick in due]
            try:
                results = await _redis(self.store.renew_many(self.token, ticks))
            except RedisError:
                log.warning("lab leases: renewal failed", exc_info=True)
                continue
            now = time.monotonic()
            for (runner, _tick), langs in zip(due, results, strict=True):
                runner.renewed_at = now
                runner.housekeep(langs, now)

    def forget(self, runner: LabRunner) -> None:
        if self.runners.get(runner.lab_id) is runner:
            del self.runners[runner.lab_id]
        if not self.runners and self._inbox is not None:
            self._inbox.cancel()  # nothing left to receive for; the next lab starts it again
            self._inbox = None

    async def inbox(self) -> str | None:
        """This process's channel (one for all its labs), its reader started if needed."""
        layer = get_channel_layer()
        if layer is None:
            return None
        if self._channel is None:
            self._channel = await layer.new_channel(prefix="labhost")
        if self._inbox is None or self._inbox.done():
            self._inbox = asyncio.create_task(self._read_inbox(layer, self._channel), name="lab-inbox")
        return self._channel

    async def join(self, lab_id: str) -> None:
        """Followers' messages for `lab_id` (group `lab.<id>`) come to this process from now on."""
        layer = get_channel_layer()
        channel = await self.inbox()
        if layer is not None and channel is not None:
            try:
                await layer.group_add(f"lab.{lab_id}", channel)
            except Exception:  # followers elsewhere cannot reach us; our own sockets still can
                log.warning("lab %s: could not join its channel group", lab_id, exc_info=True)

    async def leave(self, lab_id: str) -> None:
        layer = get_channel_layer()
        if layer is not None and self._channel is not None:
            with contextlib.suppress(Exception):
                await layer.group_discard(f"lab.{lab_id}", self._channel)

    async def _read_inbox(self, layer: Any, channel: str) -> None:
        while True:
            try:
                message = await _redis(layer.receive(channel))
            except asyncio.CancelledError:
                raise
            except Exception:  # e.g. a read timeout while the process was overloaded: go on
                log.warning("lab inbox: receive failed", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            runner = self.runners.get(str(message.get("lab")))
            if runner is None:
                continue
            try:
                await runner.on_message(layer, message)
            except Exception:
                log.exception("lab %s: channel message failed", runner.lab_id)

    async def shutdown(self) -> None:
        """Close every runner (tests; a process shutting down)."""
        for runner in list(self.runners.values()):
            runner.subscribers.clear()
            await runner.close()
        for task in (self._keeper, self._inbox):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def tasks(self) -> list[asyncio.Task[Any]]:
        return [task for runner in self.runners.values() for task in runner.tasks()]


_hosts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LabHost] = weakref.WeakKeyDictionary()


def lab_host() -> LabHost:
    """This process's runners (one host per event loop)."""
    loop = asyncio.get_running_loop()
    host = _hosts.get(loop)
    if host is None:
        host = _hosts[loop] = LabHost()
    return host


def set_lab_host(host: LabHost) -> None:
    """Use `host` for the running loop (tests)."""
    _hosts[asyncio.get_running_loop()] = host
