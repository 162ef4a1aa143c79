"""One tick loop per lab across processes: the lease, followers, and an exact takeover.

A second `LabHost` with its own token plays "another server process" in the same event loop;
both share the in-memory channel layer and the real Redis, as two processes share Redis.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from sandbox import runner as runner_module
from sandbox import store
from sandbox.engine import Simulation
from sandbox.runner import LabHost, lab_host, set_lab_host

# Consumers close stale database connections around every message (channels.db), in the thread
# they share with the ownership check: with a database test in the same run, that thread holds a
# connection, so these tests need database access too (transactional: the consumer's thread
# cannot see a test transaction).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "LEASE_MS", 300)
    monkeypatch.setattr(runner_module, "HOUSEKEEPING_S", 0.1)


@pytest.fixture
async def hosts() -> Any:
    """Two 'processes': A and B. Sockets attach to whichever `set_lab_host` chose last."""
    made: list[LabHost] = []

    def make(token: str) -> LabHost:
        host = LabHost(token=token)
        made.append(host)
        set_lab_host(host)
        return host

    yield make
    for host in made:
        await host.shutdown()


def _reference(preset: str, seed: int, log: list[tuple[int, dict[str, Any]]], tick: int) -> Simulation:
    """The uninterrupted run: the same commands at the same ticks, in one simulation."""
    sim = Simulation.from_preset(preset, seed=seed)
    for at, command in log:
        sim.step(at - sim.tick)
        sim.apply(command)
    sim.step(tick - sim.tick)
    return sim


def _same_state(a: Simulation, b: Simulation) -> bool:
    return json.dumps(a.snapshot(), sort_keys=True) == json.dumps(b.snapshot(), sort_keys=True)


async def _logged(lab_id: str) -> list[tuple[int, dict[str, Any]]]:
    return [store.decode_entry(e) for e in store.sync_redis().lrange(store.lab_key(lab_id, "log"), 0, -1)]


async def test_follower_cannot_tick_gets_frames_and_takes_over_exactly(
    open_socket, lab, session, hosts, fast_lease, monkeypatch
):
    monkeypatch.setattr(runner_module, "SNAPSHOT_EVERY_TICKS", 15)  # snapshot + later commands
    host_a = hosts("process-A")
    _, socket_a = await open_socket(lab.id, session=session)
    assert (await socket_a.receive())["role"] == "runner"
    for command in (
        {"cmd": "add_server", "tier": "web"},
        {"cmd": "set_users", "users": 60_000},
        {"cmd": "set_session_mode", "mode": "stateful"},
    ):
        await socket_a.reply(await socket_a.command(command))
        for _ in range(12):
            await socket_a.next("frame")
    runner_a = host_a.runners[lab.id]

    host_b = hosts("process-B")
    _, socket_b = await open_socket(lab.id, session=session)
    welcome = await socket_b.receive()
    assert welcome["role"] == "follower"
    runner_b = host_b.runners[lab.id]
    assert runner_b.role == "follower" and runner_b.sim is None  # no simulation, no tick loop here
    assert not any(t.get_name().startswith("lab-tick-") for t in runner_b.tasks())
    assert not await store.AsyncLabStore().lease_acquire(lab.id, host_b.token)

    # the follower's frames come from the runner (a keyframe first, then deltas)
    first = (await socket_b.next("frame"))["frame"]
    assert first["type"] == "key"
    ticks = [(await socket_b.next("frame"))["frame"]["tick"] for _ in range(3)]
    assert ticks == sorted(set(ticks))  # in order (a busy machine may skip frames, never ticks)

    # a command from the follower is carried out by the runner; both sockets see it
    seq = await socket_b.command({"cmd": "fail_node", "node": "web-1"})
    event_b, reply = await _event_and_reply(socket_b, "web-1", seq)  # two paths: either may come first
    assert reply["type"] == "ack"
    event_a, _ = await _event_and_reply(socket_a, "web-1", None)
    assert event_a["seq"] == event_b["seq"]
    seq = await socket_b.command({"cmd": "fail_node", "node": "web-99"})
    assert (await socket_b.reply(seq))["key"] == "node_unknown"
    for _ in range(20):
        await socket_a.next("frame")
    assert store.sync_redis().exists(store.lab_key(lab.id, "snap"))
    monkeypatch.setattr(runner_module, "SNAPSHOT_EVERY_TICKS", 10**9)  # no snapshot from here on
    await socket_a.reply(await socket_a.command({"cmd": "set_users", "users": 70_000}))
    await socket_a.next("frame")
    await runner_a.flush()

    # process A dies: its loop stops, its lease is not released (it lapses)
    await runner_a._cancel_tasks()
    runner_a.role = None
    crash_tick = runner_a.sim.tick
    state = await socket_b.next("state", timeout=3.0)
    assert state["role"] == "runner"
    assert runner_b.role == "runner"
    assert await store.AsyncLabStore().lease_holder(lab.id) == host_b.token

    # restored from snapshot + log + recorded tick, and identical to a run never interrupted
    sim_b = runner_b.sim
    assert sim_b is not None and crash_tick - 10 <= sim_b.tick
    snap = json.loads(store.sync_redis().get(store.lab_key(lab.id, "snap")) or "null")
    logged = await _logged(lab.id)
    assert len(logged) == 5
    assert snap is not None and 0 < snap["log_len"] < len(logged)  # commands before and after it
    reference = _reference("web-tier", 1, logged, sim_b.tick)
    assert _same_state(sim_b, reference)
    assert (await socket_b.next("frame"))["frame"]["type"] == "key"
    assert (await socket_b.next("frame"))["frame"]["type"] == "delta"


async def _event_and_reply(socket: Any, node: str, seq: int | None) -> tuple[dict[str, Any], Any]:
    """The node_failed event of `node` from the frames, and the reply to `seq` (if given)."""
    event, reply = None, None
    for _ in range(100):
        message = await socket.receive()
        if message["type"] in ("ack", "error") and message.get("seq") == seq:
            reply = message
        elif message["type"] == "frame":
            for entry in message["frame"].get("ev", []):
                if entry["node"] == node and entry["key"] == "node_failed":
                    event = entry
        if event is not None and (seq is None or reply is not None):
            return event, reply
    raise AssertionError(f"no node_failed event for {node} (reply: {reply})")


async def test_last_socket_leaving_hands_the_lab_to_a_follower(open_socket, lab, session, hosts, fast_lease):
    hosts("process-A")
    _, socket_a = await open_socket(lab.id, session=session)
    await socket_a.next("frame")
    await socket_a.reply(await socket_a.command({"cmd": "add_server", "tier": "web"}))
    host_b = hosts("process-B")
    _, socket_b = await open_socket(lab.id, session=session)
    assert (await socket_b.receive())["role"] == "follower"
    await socket_b.next("frame")
    await socket_a.close()
    state = await socket_b.next("state", timeout=3.0)
    assert state["role"] == "runner"
    keyframe = (await socket_b.next("frame", frame="key"))["frame"]
    assert "web-4" in [node["id"] for node in keyframe["nodes"]]
    assert host_b.runners[lab.id].role == "runner"


async def test_only_the_holder_renews_or_releases_a_lease(lab, fast_lease):
    lab_store = store.AsyncLabStore()
    assert await lab_store.lease_acquire(lab.id, "A")
    assert await lab_store.lease_acquire(lab.id, "A")  # the holder may take it again
    assert not await lab_store.lease_acquire(lab.id, "B")
    assert not await lab_store.lease_renew(lab.id, "B", tick=5)
    assert await lab_store.lease_renew(lab.id, "A", tick=42)
    assert (await lab_store.meta(lab.id)).tick == 42  # the renewal records the tick
    await lab_store.lease_release(lab.id, "B")
    assert await lab_store.lease_holder(lab.id) == "A"
    await asyncio.sleep(0.4)  # A stopped renewing: the lease lapses
    assert await lab_store.lease_acquire(lab.id, "B")
    await lab_store.lease_release(lab.id, "B")
    assert await lab_store.lease_holder(lab.id) is None


async def test_restore_is_exact_after_a_normal_stop(open_socket, lab, session, settings):
    _, socket = await open_socket(lab.id, session=session)
    await socket.next("frame")
    for command in ({"cmd": "set_users", "users": 90_000}, {"cmd": "add_server", "tier": "web"}):
        await socket.reply(await socket.command(command))
        for _ in range(7):
            await socket.next("frame")
    await socket.close()
    await asyncio.sleep(settings.LAB_GRACE_SECONDS + 0.2)
    assert lab.id not in lab_host().runners
    meta = store.lab_meta(lab.id)
    assert meta is not None
    snap = json.loads(store.sync_redis().get(store.lab_key(lab.id, "snap")))
    assert snap["tick"] == meta.tick and snap["log_len"] == 2  # saved when the last socket left

    _, again = await open_socket(lab.id, session=session)
    await again.receive()
    runner = lab_host().runners[lab.id]
    await runner.request_keyframe(runner.subscribers[0])  # no await point: state at this tick
    reference = _reference("web-tier", 1, await _logged(lab.id), runner.sim.tick)
    assert _same_state(runner.sim, reference)


async def test_a_runner_that_lost_its_lease_stops_ticking_and_follows(open_socket, lab, session, fast_lease):
    _, socket = await open_socket(lab.id, session=session)
    await socket.next("frame")
    runner = lab_host().runners[lab.id]
    store.sync_redis().set(
        store.lab_key(lab.id, "lease"), "another-process", px=5000
    )  # e.g. after a long stall
    state = await socket.next("state", timeout=2.0)
    assert state["role"] == "follower"
    assert runner.role == "follower" and runner.sim is None
    assert not any(t.get_name().startswith("lab-tick-") for t in runner.tasks())


async def test_a_lease_that_lapsed_while_nobody_took_it_is_taken_back(open_socket, lab, session, fast_lease):
    _, socket = await open_socket(lab.id, session=session)
    await socket.next("frame")
    runner = lab_host().runners[lab.id]
    store.sync_redis().delete(store.lab_key(lab.id, "lease"))  # as after a stall longer than the lease
    await asyncio.sleep(0.3)
    assert runner.role == "runner"
    assert await store.AsyncLabStore().lease_holder(lab.id) == lab_host().token
    assert (await socket.next("frame"))["frame"]["type"] == "delta"
