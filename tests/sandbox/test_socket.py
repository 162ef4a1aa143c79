"""The lab socket as the browser uses it: frames, commands, errors, limits, reconnects."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from sandbox import labs, store
from sandbox.runner import lab_host
from sandbox.socket_messages import MESSAGE_MAX_BYTES, MESSAGES_PER_S
from tests.sandbox.conftest import TICK_S

# Consumers close stale database connections around every message (channels.db), in the thread
# they share with the ownership check: with a database test in the same run, that thread holds a
# connection, so these tests need database access too (transactional: the consumer's thread
# cannot see a test transaction).
pytestmark = pytest.mark.django_db(transaction=True)


async def _welcome_and_keyframe(socket: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    welcome = await socket.receive()
    assert welcome["type"] == "welcome"
    keyframe = await socket.next("frame")
    assert keyframe["frame"]["type"] == "key"
    return welcome, keyframe["frame"]


def _node_ids(frame: dict[str, Any]) -> list[str]:
    return [node["id"] for node in frame["nodes"]]


async def _no_lab_tasks(timeout: float = 2.0) -> list[str]:
    """Names of the lab's tasks still running after `timeout` (none when it shut down cleanly)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        names = [
            t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("lab-") and not t.done()
        ]
        if not names or loop.time() > deadline:
            return names
        await asyncio.sleep(0.02)


async def test_welcome_then_keyframe_then_deltas_at_the_tick_rate(open_socket, lab, session):
    connected, socket = await open_socket(lab.id, session=session)
    assert connected
    welcome, keyframe = await _welcome_and_keyframe(socket)
    assert welcome["lab"] == lab.id and welcome["preset"] == "web-tier" and welcome["role"] == "runner"
    assert welcome["share_path"] == lab.share_path and welcome["seed"] == 1 and welcome["paused"] is False
    assert welcome["limits"] == {"message_bytes": MESSAGE_MAX_BYTES, "messages_per_s": MESSAGES_PER_S}
    assert keyframe["preset"] == "web-tier"

    loop = asyncio.get_running_loop()
    started = loop.time()
    ticks = []
    while loop.time() - started < 0.5:
        message = await socket.next("frame")
        assert message["frame"]["type"] == "delta"
        ticks.append(message["frame"]["tick"])
    elapsed = loop.time() - started
    expected = elapsed / TICK_S
    assert 0.6 * expected <= len(ticks) <= 1.2 * expected + 1
    steps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert min(steps) == 1 and sorted(steps)[len(steps) // 2] == 1  # a tick per frame at 1x ...
    assert abs((ticks[-1] - ticks[0]) - expected) <= 0.2 * expected + 2  # ... and it keeps time


async def test_add_server_shows_in_the_next_frame_a_keyframe(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    _, keyframe = await _welcome_and_keyframe(socket)
    before = _node_ids(keyframe)
    seq = await socket.command({"cmd": "add_server", "tier": "web"})
    assert (await socket.reply(seq)) == {"type": "ack", "seq": seq, "cmd": "add_server"}
    frame = (await socket.next("frame"))["frame"]
    assert frame["type"] == "key"
    added = set(_node_ids(frame)) - set(before)
    assert len(added) == 1 and next(iter(added)).startswith("web-")


async def test_bad_commands_get_errors_and_the_loop_keeps_running(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session, lang="en")
    await _welcome_and_keyframe(socket)
    cases = [
        ({"cmd": "launch_rocket"}, "command_unknown", "cmd"),
        ({"cmd": "set_users", "users": 0}, "field_out_of_range", "users"),
        ({"cmd": "set_users", "users": True}, "field_not_integer", "users"),
        ({"cmd": "fail_node", "node": "web-99"}, "node_unknown", "node"),
        ({"cmd": "add_server"}, "field_required", "tier"),
        ("add_server", "command_not_object", "cmd"),
    ]
    for command, key, field in cases:
        seq = await socket.command(command)  # type: ignore[arg-type]
        reply = await socket.reply(seq)
        assert reply["type"] == "error", command
        assert (reply["key"], reply["field"]) == (key, field), reply
        assert reply["message"]
    ticks = [(await socket.next("frame"))["frame"]["tick"] for _ in range(3)]
    assert ticks[0] < ticks[1] < ticks[2]


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("{not json", "json_malformed"),
        ("[1, 2]", "message_not_object"),
        ('{"type": "launch"}', "type_unknown"),
        ('{"hello": 1}', "type_unknown"),
        ('{"type": "command", "command": {"cmd": "pause"}}', "field_missing"),
        ('{"type": "command", "seq": "one", "command": {"cmd": "pause"}}', "field_invalid"),
        ('{"type": "command", "seq": 1}', "field_missing"),
        ('{"type": "visibility"}', "field_missing"),
        ('{"type": "visibility", "hidden": "yes"}', "field_invalid"),
    ],
)
async def test_malformed_messages_get_errors(open_socket, lab, session, raw, key):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    await socket.comm.send_to(text_data=raw)
    error = await socket.next("error")
    assert error["key"] == key and error["message"]
    assert (await socket.next("frame"))["frame"]["type"] == "delta"  # still running


async def test_binary_messages_are_refused(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    await socket.comm.send_to(bytes_data=b"\x00\x01")
    assert (await socket.next("error"))["key"] == "message_not_text"


async def test_errors_speak_the_visitors_language(open_socket, session):
    korean_lab = labs.lab_open(session=session, preset="web-tier")
    english_session: dict[str, Any] = {}
    english_lab = labs.lab_open(session=english_session, preset="web-tier")
    _, ko = await open_socket(korean_lab.id, session=session)  # no cookie: Korean
    _, en = await open_socket(english_lab.id, session=english_session, lang="en")
    for socket in (ko, en):
        await _welcome_and_keyframe(socket)
        await socket.command({"cmd": "fail_node", "node": "web-99"})
        await socket.comm.send_to(text_data="{oops")
    ko_engine, en_engine = await ko.next("error"), await en.next("error")
    ko_socket, en_socket = await ko.next("error"), await en.next("error")
    assert ko_engine["key"] == en_engine["key"] == "node_unknown"
    assert ko_engine["message"] != en_engine["message"]
    assert "web-99" in en_engine["message"] and "web-99" in ko_engine["message"]
    assert any("\uac00" <= ch <= "\ud7a3" for ch in ko_engine["message"])  # Hangul
    assert ko_socket["message"] == "메시지가 올바른 JSON이 아니어서 무시했습니다."
    assert en_socket["message"] == "The message is not valid JSON, so it was ignored."


async def test_event_texts_in_frames_follow_the_language(open_socket, session):
    english_lab = labs.lab_open(session=session, preset="web-tier")
    _, socket = await open_socket(english_lab.id, session=session, lang="en")
    await _welcome_and_keyframe(socket)
    seq = await socket.command({"cmd": "fail_node", "node": "web-1"})
    await socket.reply(seq)
    frame = (await socket.next("frame"))["frame"]
    texts = [event["text"] for event in frame.get("ev", [])]
    assert "web-1 failed" in texts


async def test_oversized_messages_get_an_error_then_close_1009(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    big = json.dumps({"type": "keyframe", "pad": "x" * MESSAGE_MAX_BYTES})
    await socket.comm.send_to(text_data=big)
    error = await socket.next("error")
    assert error["key"] == "message_too_big" and error["params"]["limit_kb"] == 16
    assert (await socket.next("frame"))["frame"]["type"] == "delta"
    await socket.comm.send_to(text_data=big)
    await socket.next("error")
    await socket.comm.send_to(text_data=big)
    assert await _close_code(socket) == 1009


async def test_a_message_just_under_16_kb_of_utf8_is_accepted(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    prefix = '{"type":"keyframe","pad":"'
    text = prefix + "가" * ((MESSAGE_MAX_BYTES - len(prefix) - 2) // 3) + '"}'
    assert len(text.encode()) <= MESSAGE_MAX_BYTES
    await socket.comm.send_to(text_data=text)
    assert (await socket.next("frame", frame="key"))["frame"]["type"] == "key"


async def _close_code(socket: Any, timeout: float = 2.0) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        output = await socket.comm.receive_output(timeout=max(0.01, deadline - loop.time()))
        if output["type"] == "websocket.close":
            return int(output.get("code", 1000))


async def test_more_than_20_messages_a_second_are_dropped(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    await socket.command({"cmd": "pause"})
    for users in range(1000, 1000 + MESSAGES_PER_S + 4):
        await socket.command({"cmd": "set_users", "users": users})
    replies = []
    while len(replies) < MESSAGES_PER_S + 5:
        message = await socket.receive()
        if message["type"] in ("ack", "error"):
            replies.append(message)
    acked = [r for r in replies if r["type"] == "ack"]
    throttled = [r for r in replies if r["type"] == "error"]
    assert len(acked) == MESSAGES_PER_S
    assert len(throttled) == 5 and {r["key"] for r in throttled} == {"too_many_commands"}
    assert throttled[0]["params"]["limit"] == MESSAGES_PER_S


async def test_sustained_flooding_closes_1008(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    for _ in range(MESSAGES_PER_S + 45):
        await socket.send({"type": "keyframe"})
    assert await _close_code(socket, timeout=3.0) == 1008


async def test_pause_step_resume_and_speed(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    seq = await socket.command({"cmd": "pause"})
    assert (await socket.reply(seq))["type"] == "ack"
    state = await socket.next("state")
    assert state["paused"] is True
    paused_tick = state["tick"]
    assert await socket.comm.receive_nothing(timeout=5 * TICK_S)
    seq = await socket.command({"cmd": "step", "ticks": 5})
    await socket.reply(seq)
    assert (await socket.next("frame"))["frame"]["tick"] == paused_tick + 5
    assert await socket.comm.receive_nothing(timeout=5 * TICK_S)

    seq = await socket.command({"cmd": "set_speed", "speed": 3})
    await socket.reply(seq)
    assert (await socket.next("state"))["speed"] == 3.0
    seq = await socket.command({"cmd": "resume"})
    await socket.reply(seq)
    assert (await socket.next("state"))["paused"] is False
    ticks = [(await socket.next("frame"))["frame"]["tick"] for _ in range(4)]
    steps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert min(steps) == 3 and all(step % 3 == 0 for step in steps)  # 3 ticks a period

    seq = await socket.command({"cmd": "set_speed", "speed": 0.5})
    await socket.reply(seq)
    await socket.next("state")
    ticks = [(await socket.next("frame"))["frame"]["tick"] for _ in range(3)]
    assert [b - a for a, b in zip(ticks, ticks[1:], strict=False)][0] == 1
    meta = store.lab_meta(lab.id)
    assert meta is not None and meta.speed == 0.5 and meta.paused is False


async def test_slow_speed_sends_a_frame_every_other_period(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    seq = await socket.command({"cmd": "set_speed", "speed": 0.5})
    await socket.reply(seq)
    await socket.next("state")
    loop = asyncio.get_running_loop()
    await socket.next("frame")
    started, count = loop.time(), 0
    while loop.time() - started < 0.4:
        await socket.next("frame")
        count += 1
    assert count <= 0.4 / TICK_S * 0.5 * 1.3 + 1


async def test_hidden_tab_gets_nothing_and_a_keyframe_when_visible_again(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    await socket.send({"type": "visibility", "hidden": True})
    await asyncio.sleep(2 * TICK_S)
    while not await socket.comm.receive_nothing(timeout=0.01):
        await socket.receive()  # frames sent before the message arrived
    assert await socket.comm.receive_nothing(timeout=6 * TICK_S)
    await socket.send({"type": "visibility", "hidden": False})
    assert (await socket.next("frame"))["frame"]["type"] == "key"
    assert (await socket.next("frame"))["frame"]["type"] == "delta"


async def test_keyframe_on_request(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    await socket.next("frame")
    await socket.send({"type": "keyframe"})
    assert (await socket.next("frame", frame="key"))["frame"]["type"] == "key"


async def test_disconnect_stops_the_loop_and_leaks_no_task(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    runner = lab_host().runners[lab.id]
    assert any(t.get_name().startswith("lab-tick-") for t in runner.tasks())
    await socket.close()
    assert not any(t.get_name().startswith("lab-tick-") for t in runner.tasks())  # at once
    assert await _no_lab_tasks() == []  # and after the grace, nothing at all
    assert lab.id not in lab_host().runners
    assert await store.AsyncLabStore().lease_holder(lab.id) is None


async def test_reconnect_resumes_the_same_lab(open_socket, lab, session):
    _, first = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(first)
    seq = await first.command({"cmd": "add_server", "tier": "web"})
    await first.reply(seq)
    added = _node_ids((await first.next("frame"))["frame"])
    for _ in range(10):
        last_tick = (await first.next("frame"))["frame"]["tick"]
    await first.close()
    assert await _no_lab_tasks() == []  # the runner is gone: the next socket rebuilds the lab

    _, second = await open_socket(lab.id, session=session)
    welcome, keyframe = await _welcome_and_keyframe(second)
    assert welcome["tick"] >= last_tick and keyframe["tick"] >= last_tick
    assert _node_ids(keyframe) == added
    assert len(store.sync_redis().lrange(store.lab_key(lab.id, "log"), 0, -1)) == 1


async def test_reload_within_the_grace_keeps_the_runner(open_socket, lab, session, settings):
    settings.LAB_GRACE_SECONDS = 1.0
    _, first = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(first)
    runner = lab_host().runners[lab.id]
    await first.close()
    _, second = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(second)
    assert lab_host().runners[lab.id] is runner
    assert (await second.next("frame"))["frame"]["type"] == "delta"


async def test_two_sockets_one_loop_both_see_every_command(open_socket, lab, session):
    _, first = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(first)
    _, second = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(second)
    assert len(lab_host().runners) == 1
    runner = lab_host().runners[lab.id]
    assert len(runner.subscribers) == 2
    assert [t.get_name() for t in runner.tasks()].count(f"lab-tick-{lab.id}") == 1

    seq = await second.command({"cmd": "add_server", "tier": "web"})
    await second.reply(seq)
    seen_second = (await second.next("frame", frame="key"))["frame"]
    seen_first = (await first.next("frame", frame="key"))["frame"]
    if seen_first["v"] < seen_second["v"]:  # the keyframe sent when `second` joined
        seen_first = (await first.next("frame", frame="key"))["frame"]
    assert _node_ids(seen_first) == _node_ids(seen_second)
    assert len(seen_first["nodes"]) == len(set(_node_ids(seen_first)))
    ticks_first = [(await first.next("frame"))["frame"]["tick"] for _ in range(3)]
    ticks_second = [(await second.next("frame"))["frame"]["tick"] for _ in range(3)]
    assert ticks_first == ticks_second  # the same loop feeds both

    seq = await first.command({"cmd": "pause"})
    await first.reply(seq)
    assert (await second.next("state"))["paused"] is True


async def test_reset_returns_to_the_preset(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    _, original = await _welcome_and_keyframe(socket)
    await socket.reply(await socket.command({"cmd": "add_server", "tier": "web"}))
    await socket.reply(await socket.command({"cmd": "fail_node", "node": "web-1"}))
    for _ in range(5):
        await socket.next("frame")
    seq = await socket.command({"cmd": "reset"})
    await socket.reply(seq)
    state = await socket.next("state")
    assert state["tick"] == 0 and state["seed"] == 1
    frame = (await socket.next("frame"))["frame"]
    assert frame["type"] == "key" and frame["tick"] == 0
    assert _node_ids(frame) == _node_ids(original)
    assert frame["state"]["nodes"] == original["state"]["nodes"]
    await lab_host().runners[lab.id].flush()
    assert store.sync_redis().llen(store.lab_key(lab.id, "log")) == 0


async def test_set_seed_restarts_with_the_seed(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    seq = await socket.command({"cmd": "set_seed", "seed": 7})
    await socket.reply(seq)
    state = await socket.next("state")
    assert (state["seed"], state["tick"]) == (7, 0)
    assert (await socket.next("frame"))["frame"]["tick"] == 0
    await lab_host().runners[lab.id].flush()
    meta = store.lab_meta(lab.id)
    assert meta is not None and meta.seed == 7
    seq = await socket.command({"cmd": "set_seed", "seed": -1})
    assert (await socket.reply(seq))["key"] == "field_out_of_range"


async def test_fork_copies_the_lab_and_then_diverges(open_socket, lab, session):
    _, original = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(original)
    await original.reply(await original.command({"cmd": "add_server", "tier": "web"}))
    added = _node_ids((await original.next("frame"))["frame"])
    for _ in range(3):
        await original.next("frame")
    await lab_host().runners[lab.id].flush()

    visitor: dict[str, Any] = {}
    fork = labs.lab_fork(session=visitor, share_token=lab.share_token)
    assert fork.id != lab.id and fork.share_token != lab.share_token
    assert (fork.preset, fork.seed) == (lab.preset, lab.seed)
    assert visitor["labs"] == {"web-tier": fork.id}
    _, copy = await open_socket(fork.id, session=visitor)
    _, keyframe = await _welcome_and_keyframe(copy)
    assert _node_ids(keyframe) == added

    await copy.reply(await copy.command({"cmd": "add_server", "tier": "web"}))
    copy_nodes = _node_ids((await copy.next("frame", frame="key"))["frame"])
    assert len(copy_nodes) == len(added) + 1
    await original.send({"type": "keyframe"})
    assert _node_ids((await original.next("frame", frame="key"))["frame"]) == added


async def test_socket_refuses_a_lab_the_session_does_not_own(open_socket, lab):
    stranger: dict[str, Any] = {}
    connected, socket = await open_socket(lab.id, session=stranger, lang="en")
    assert connected  # accepted, so that the browser sees the code
    error = await socket.next("error")
    assert error["key"] == "lab_forbidden" and "share link" in error["message"]
    assert await _close_code(socket) == 4403
    assert lab.id not in lab_host().runners


async def test_socket_refuses_an_unknown_lab(open_socket, session):
    connected, socket = await open_socket("NoSuchLab_0123456789ab", session=session)
    assert connected
    error = await socket.next("error")
    assert error["key"] == "lab_gone" and "실험실" in error["message"]
    assert await _close_code(socket) == 4404


async def test_a_lab_expired_from_the_store_is_gone(open_socket, lab, session):
    store.sync_redis().delete(store.lab_key(lab.id, "meta"))
    _, socket = await open_socket(lab.id, session=session)
    assert (await socket.next("error"))["key"] == "lab_gone"
    assert await _close_code(socket) == 4404


async def test_an_unreachable_store_closes_1013_and_the_browser_retries(
    open_socket, lab, session, monkeypatch
):
    from redis.exceptions import ConnectionError as RedisConnectionError

    async def down(self: Any, lab_id: str) -> None:
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(store.AsyncLabStore, "meta", down)
    _, socket = await open_socket(lab.id, session=session, lang="en")
    error = await socket.next("error")
    assert error["key"] == "lab_unavailable" and "try again" in error["message"]
    assert await _close_code(socket) == 1013


async def test_a_stalled_process_catches_up_ticks_without_a_burst_of_frames(open_socket, lab, session):
    _, socket = await open_socket(lab.id, session=session)
    await _welcome_and_keyframe(socket)
    before = (await socket.next("frame"))["frame"]["tick"]
    time.sleep(8 * TICK_S)  # the whole event loop stalls (an overloaded process)
    frames = [(await socket.next("frame"))["frame"]["tick"] for _ in range(3)]
    while not await socket.comm.receive_nothing(timeout=0.001):
        frames.append((await socket.next("frame"))["frame"]["tick"])
    assert frames[0] - before >= 7  # the missed ticks are stepped at once, in one frame
    assert all(b - a == 1 for a, b in zip(frames[1:], frames[2:], strict=False))
