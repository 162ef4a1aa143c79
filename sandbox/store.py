"""The lab store: a lab's truth, kept in Redis so that any server process can resume it.

Per lab (all keys of one lab share the hash tag `{<id>}`, so a Redis Cluster keeps them in one
slot and the Lua scripts below may touch several of them):

    lab:{id}:meta       hash    preset, seed, paused (0/1), speed, tick (last known), created, share
    lab:{id}:log        list    the commands of the current run, in order: JSON [tick, command]
    lab:{id}:snap       string  JSON {tick, log_len, seed, state}: the engine's snapshot() taken at
                                `tick`, after the first `log_len` entries of the log
    lab:{id}:lease      string  the token of the process that ticks the lab (SET NX PX, renewed)
    lab:{id}:followers  hash    process token -> languages, of processes that follow the lab
    lab:{id}:frames     stream  frames for followers on other processes (only while there are any)
    labshare:{token}    string  share token -> lab id

Restoring is exact because the engine is deterministic: `from_snapshot(snap)` (or the preset
with the seed when there is no snapshot), then each logged command after `log_len` applied at
its tick, then stepped on to `tick`. `reset` and `set_seed` start a new run: they clear the log
and the snapshot and set the seed, so the log always describes the current run and nothing else.

Every key expires after `LAB_TTL_S` without use; opening, attaching and snapshotting refresh it.
The sync functions serve the views (`sandbox.labs`); `AsyncLabStore` serves the live runner.
Writes are small and never per frame, except the lease renewal with the current tick (1 Hz).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
import weakref
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import NoScriptError

LAB_TTL_S = 7 * 24 * 3600  # a lab nobody opens for a week is forgotten
LEASE_MS = 3000  # the lease lapses 3 s after its holder stops renewing it (renewed every 1 s)
FOLLOWER_TTL_MS = 5000  # a follower registration lapses 5 s after its last refresh
FRAMES_MAXLEN = 200  # frames kept in a lab's stream for followers (~20 s at 10 Hz)
FRAMES_TTL_MS = 60_000
ID_BYTES = 16  # secrets.token_urlsafe(16): 22 characters, 128 bits
ASYNC_MAX_CONNECTIONS = 64  # per server process (followers' blocking stream reads hold one each)
ASYNC_POOL_TIMEOUT_S = 20.0


def lab_key(lab_id: str, part: str) -> str:
    """A key of one lab: `part` is meta, log, snap, lease, followers or frames."""
    return f"lab:{{{lab_id}}}:{part}"


def share_key(token: str) -> str:
    return f"labshare:{token}"


def new_token() -> str:
    """An unguessable id (lab ids, share tokens)."""
    return secrets.token_urlsafe(ID_BYTES)


@dataclass(frozen=True)
class LabMeta:
    id: str
    preset: str
    seed: int
    share_token: str
    paused: bool = False
    speed: float = 1.0
    tick: int = 0

    @classmethod
    def from_hash(cls, lab_id: str, values: dict[str, str]) -> LabMeta | None:
        if not values or "preset" not in values:
            return None
        return cls(
            id=lab_id,
            preset=values["preset"],
            seed=int(values.get("seed", 1)),
            share_token=values.get("share", ""),
            paused=values.get("paused") == "1",
            speed=float(values.get("speed", 1.0)),
            tick=int(values.get("tick", 0)),
        )


@dataclass(frozen=True)
class SavedRun:
    """What a runner needs to rebuild a lab: its meta, the last snapshot (or None), the log."""

    meta: LabMeta
    snapshot: dict[str, Any] | None
    log: list[tuple[int, dict[str, Any]]]


def encode_entry(tick: int, command: dict[str, Any]) -> str:
    return json.dumps([tick, command], separators=(",", ":"))


def decode_entry(text: str) -> tuple[int, dict[str, Any]]:
    tick, command = json.loads(text)
    return int(tick), command


def _lab_keys(lab_id: str) -> tuple[str, str, str]:
    return lab_key(lab_id, "meta"), lab_key(lab_id, "log"), lab_key(lab_id, "snap")


# ---------------------------------------------------------------- sync (views, sandbox.labs)

_sync_clients: dict[str, redis.Redis] = {}


def sync_redis() -> redis.Redis:
    url = settings.REDIS_URL
    client = _sync_clients.get(url)
    if client is None:
        client = _sync_clients[url] = redis.Redis.from_url(url, decode_responses=True)
    return client


def lab_meta(lab_id: str) -> LabMeta | None:
    return LabMeta.from_hash(lab_id, sync_redis().hgetall(lab_key(lab_id, "meta")))  # type: ignore[arg-type]


def lab_create(*, preset: str, seed: int, tick: int = 0) -> LabMeta:
    lab_id, token = new_token(), new_token()
    meta = {
        "preset": preset,
        "seed": str(seed),
        "paused": "0",
        "speed": "1",
        "tick": str(tick),
        "created": str(int(time.time())),
        "share": token,
    }
    pipe = sync_redis().pipeline(transaction=False)
    pipe.hset(lab_key(lab_id, "meta"), mapping=meta)
    pipe.expire(lab_key(lab_id, "meta"), LAB_TTL_S)
    pipe.set(share_key(token), lab_id, ex=LAB_TTL_S)
    pipe.execute()
    return LabMeta(id=lab_id, preset=preset, seed=seed, share_token=token, tick=tick)


def lab_touch(meta: LabMeta) -> None:
    """Push the expiry of a lab (and its share token) a full LAB_TTL_S away."""
    pipe = sync_redis().pipeline(transaction=False)
    for key in _lab_keys(meta.id):
        pipe.expire(key, LAB_TTL_S)
    pipe.expire(share_key(meta.share_token), LAB_TTL_S)
    pipe.execute()


def lab_id_for_share(token: str) -> str | None:
    value = sync_redis().get(share_key(token))
    return value if isinstance(value, str) else None


def lab_copy(source: LabMeta) -> LabMeta:
    """A new lab with the source's preset, seed, log, snapshot and tick (a fork)."""
    client = sync_redis()
    pipe = client.pipeline(transaction=False)
    pipe.get(lab_key(source.id, "snap"))
    pipe.lrange(lab_key(source.id, "log"), 0, -1)
    pipe.hget(lab_key(source.id, "meta"), "tick")
    snap, log, tick = pipe.execute()
    copy = lab_create(preset=source.preset, seed=source.seed, tick=int(tick or source.tick))
    pipe = client.pipeline(transaction=False)
    if snap:
        pipe.set(lab_key(copy.id, "snap"), snap, ex=LAB_TTL_S)
    if log:
        pipe.rpush(lab_key(copy.id, "log"), *log)
        pipe.expire(lab_key(copy.id, "log"), LAB_TTL_S)
    pipe.execute()
    return copy


# ---------------------------------------------------------------- async (the live runner)

# Compare-and-set scripts: only the holder renews or releases a lease.
_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], 'tick', ARGV[3]) end
return 1
"""
_RENEW_FOLLOWERS = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return false end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[2], 'tick', ARGV[3])
return redis.call('HVALS', KEYS[3])
"""
_RENEW_MANY_SHA = hashlib.sha1(_RENEW_FOLLOWERS.encode()).hexdigest()  # noqa: S324 — Redis's script id
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, aioredis.Redis]] = (
    weakref.WeakKeyDictionary()
)


def async_redis() -> aioredis.Redis:
    """The asyncio client of the running event loop (a client cannot move between loops)."""
    loop = asyncio.get_running_loop()
    url = settings.REDIS_URL
    clients = _async_clients.setdefault(loop, {})
    client = clients.get(url)
    if client is None:
        # A blocking pool: under a burst (hundreds of sockets connecting at once) calls wait for a
        # free connection instead of failing with "Too many connections".
        pool = aioredis.BlockingConnectionPool.from_url(
            url, decode_responses=True, max_connections=ASYNC_MAX_CONNECTIONS, timeout=ASYNC_POOL_TIMEOUT_S
        )
        client = clients[url] = aioredis.Redis(connection_pool=pool)
    return client


class AsyncLabStore:
    """The runner's view of the store. Stateless: every call picks the running loop's client."""

    @property
    def redis(self) -> aioredis.Redis:
        return async_redis()

    async def meta(self, lab_id: str) -> LabMeta | None:
        return LabMeta.from_hash(lab_id, await self.redis.hgetall(lab_key(lab_id, "meta")))

    async def load(self, lab_id: str) -> SavedRun | None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hgetall(lab_key(lab_id, "meta"))
        pipe.get(lab_key(lab_id, "snap"))
        pipe.lrange(lab_key(lab_id, "log"), 0, -1)
        values, snap, log = await pipe.execute()
        meta = LabMeta.from_hash(lab_id, values)
        if meta is None:
            return None
        return SavedRun(
            meta=meta,
            snapshot=json.loads(snap) if snap else None,
            log=[decode_entry(entry) for entry in log],
        )

    # --- the lease: exactly one process ticks a lab

    async def lease_acquire(self, lab_id: str, token: str, ttl_ms: int | None = None) -> bool:
        """Take the lease if nobody holds it (or extend it if `token` already does)."""
        return bool(await self.redis.eval(_ACQUIRE, 1, lab_key(lab_id, "lease"), token, ttl_ms or LEASE_MS))

    async def lease_renew(
        self, lab_id: str, token: str, *, tick: int | None, ttl_ms: int | None = None
    ) -> bool:
        """Renew the lease if `token` holds it, recording the lab's current tick in the same step."""
        ttl = ttl_ms or LEASE_MS
        tick_arg = "" if tick is None else tick
        return bool(
            await self.redis.eval(
                _RENEW, 2, lab_key(lab_id, "lease"), lab_key(lab_id, "meta"), token, ttl, tick_arg
            )
        )

    async def lease_release(self, lab_id: str, token: str) -> None:
        await self.redis.eval(_RELEASE, 1, lab_key(lab_id, "lease"), token)

    async def lease_holder(self, lab_id: str) -> str | None:
        value = await self.redis.get(lab_key(lab_id, "lease"))
        return value if isinstance(value, str) else None

    # --- writes of the lab's owner (run in order by the runner's writer)

    async def write(self, lab_id: str, ops: list[tuple[str, Any]]) -> None:
        """Carry out the owner's queued writes, in order, in one round trip."""
        meta, log, snap = _lab_keys(lab_id)
        pipe = self.redis.pipeline(transaction=True)
        touched_log = False
        for op, value in ops:
            if op == "log":
                pipe.rpush(log, *value)
                touched_log = True
            elif op == "state":
                pipe.hset(meta, mapping={k: str(v) for k, v in value.items()})
            elif op == "snapshot":
                pipe.set(snap, json.dumps(value, separators=(",", ":")), ex=LAB_TTL_S)
            elif op == "restart":
                pipe.delete(log, snap)
                pipe.hset(meta, mapping={"seed": str(value), "tick": "0"})
                touched_log = False
            elif op == "touch":
                for key in (meta, log, snap):
                    pipe.expire(key, LAB_TTL_S)
        if touched_log:
            pipe.expire(log, LAB_TTL_S)
        await pipe.execute()

    async def touch(self, meta: LabMeta) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for key in _lab_keys(meta.id):
            pipe.expire(key, LAB_TTL_S)
        pipe.expire(share_key(meta.share_token), LAB_TTL_S)
        await pipe.execute()

    # --- followers on other processes, and the frames they read

    async def follower_register(self, lab_id: str, token: str, langs: list[str]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(lab_key(lab_id, "followers"), token, ",".join(sorted(langs)))
        pipe.pexpire(lab_key(lab_id, "followers"), FOLLOWER_TTL_MS)
        await pipe.execute()

    async def follower_remove(self, lab_id: str, token: str) -> None:
        await self.redis.hdel(lab_key(lab_id, "followers"), token)

    async def follower_langs(self, lab_id: str) -> set[str]:
        """The languages remote followers of the lab read (empty: publish nothing)."""
        values = await self.redis.hgetall(lab_key(lab_id, "followers"))
        return {lang for langs in values.values() for lang in langs.split(",") if lang}

    async def renew_many(self, token: str, ticks: list[tuple[str, int]]) -> list[set[str] | None]:
        """One round trip of the process's keeper for a batch of the labs it runs (each lab once a
        second): renew each lease (recording the
        lab's tick) and read its followers' languages. None for a lease another process holds now.
        A lease that lapsed while nobody took it (this process stalled for seconds) is taken back:
        no other process ran the lab meanwhile, so this one still has its true state."""
        if not ticks:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for lab_id, tick in ticks:
            keys = (lab_key(lab_id, "lease"), lab_key(lab_id, "meta"), lab_key(lab_id, "followers"))
            pipe.evalsha(_RENEW_MANY_SHA, 3, *keys, token, LEASE_MS, tick)
        try:
            replies = await pipe.execute(raise_on_error=True)
        except NoScriptError:
            await self.redis.script_load(_RENEW_FOLLOWERS)
            return await self.renew_many(token, ticks)
        out: list[set[str] | None] = []
        for reply in replies:
            if reply is None:
                out.append(None)
            else:
                out.append({lang for value in reply for lang in value.split(",") if lang})
        return out

    async def publish(self, lab_id: str, fields: dict[str, str]) -> None:
        """One frame (or state message) for the lab's followers; the stream is dropped a minute
        after the last one."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.xadd(lab_key(lab_id, "frames"), fields, maxlen=FRAMES_MAXLEN, approximate=True)  # type: ignore[arg-type]
        pipe.pexpire(lab_key(lab_id, "frames"), FRAMES_TTL_MS)
        await pipe.execute()

    async def read_frames(
        self, lab_id: str, last_id: str, *, block_ms: int
    ) -> list[tuple[str, dict[str, str]]]:
        reply = await self.redis.xread({lab_key(lab_id, "frames"): last_id}, block=block_ms, count=100)
        if not reply:
            return []
        _key, entries = reply[0]
        return [(entry_id, fields) for entry_id, fields in entries]

    async def last_frame_id(self, lab_id: str) -> str:
        entries = await self.redis.xrevrange(lab_key(lab_id, "frames"), count=1)
        return entries[0][0] if entries else "0-0"
