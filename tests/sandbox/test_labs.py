"""Which lab a visitor gets: lab_open, lab_fork, ownership; and the socket through the whole
ASGI stack (origin check, cookie session from the database, language cookie)."""

from __future__ import annotations

import json
import re
import string
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore

from config.asgi import application
from sandbox import labs, store
from sandbox.engine import PRESETS
from sandbox.runner import lab_host
from sandbox.socket_messages import SOCKET_MESSAGES, render_socket_message, socket_error


def test_lab_open_creates_once_then_returns_the_same_lab():
    session: dict[str, Any] = {}
    first = labs.lab_open(session=session, preset="web-tier")
    assert first == labs.lab_open(session=session, preset="web-tier")
    assert (first.preset, first.seed) == ("web-tier", labs.DEFAULT_SEED)
    assert first.ws_path == f"/ws/lab/{first.id}/" and first.share_path == f"/lab/s/{first.share_token}/"
    other = labs.lab_open(session=session, preset="db-replication")
    assert other.id != first.id
    assert session["labs"] == {"web-tier": first.id, "db-replication": other.id}
    assert labs.lab_owned(session=session, lab_id=first.id)
    assert not labs.lab_owned(session={}, lab_id=first.id)


def test_ids_and_share_tokens_are_unguessable():
    handles = [labs.lab_open(session={}, preset="cache") for _ in range(20)]
    values = [h.id for h in handles] + [h.share_token for h in handles]
    assert len(set(values)) == len(values)
    allowed = set(string.ascii_letters + string.digits + "-_")
    assert all(len(v) >= 22 and set(v) <= allowed for v in values)


def test_every_preset_opens():
    session: dict[str, Any] = {}
    assert {labs.lab_open(session=session, preset=name).preset for name in PRESETS} == set(PRESETS)


def test_unknown_preset_and_unknown_share_token():
    with pytest.raises(labs.LabPresetUnknown):
        labs.lab_open(session={}, preset="web-tier-9")
    with pytest.raises(labs.LabNotFound):
        labs.lab_fork(session={}, share_token="no-such-token")
    with pytest.raises(labs.LabNotFound):
        labs.lab_fork(session={}, share_token="")


def test_an_expired_lab_is_replaced_by_a_new_one():
    session: dict[str, Any] = {}
    old = labs.lab_open(session=session, preset="web-tier")
    store.sync_redis().delete(store.lab_key(old.id, "meta"))
    new = labs.lab_open(session=session, preset="web-tier")
    assert new.id != old.id and session["labs"]["web-tier"] == new.id


def test_keys_expire_and_opening_refreshes_them():
    handle = labs.lab_open(session={}, preset="web-tier")
    client = store.sync_redis()
    client.expire(store.lab_key(handle.id, "meta"), 10)
    assert client.ttl(store.lab_key(handle.id, "meta")) <= 10
    labs.lab_open(session={"labs": {"web-tier": handle.id}}, preset="web-tier")
    assert client.ttl(store.lab_key(handle.id, "meta")) > store.LAB_TTL_S - 60
    assert client.ttl(store.share_key(handle.share_token)) > store.LAB_TTL_S - 60


def test_fork_copies_preset_seed_log_snapshot_and_tick():
    owner: dict[str, Any] = {}
    source = labs.lab_open(session=owner, preset="db-replication")
    client = store.sync_redis()
    client.hset(store.lab_key(source.id, "meta"), mapping={"seed": "9", "tick": "120"})
    entries = [store.encode_entry(30, {"cmd": "fail_node", "node": "db-1"})]
    client.rpush(store.lab_key(source.id, "log"), *entries)
    client.set(
        store.lab_key(source.id, "snap"), json.dumps({"tick": 100, "log_len": 1, "seed": 9, "state": {}})
    )

    visitor: dict[str, Any] = {
        "labs": {"db-replication": "an-older-lab-of-mine"},
        "lab_ids": ["an-older-lab-of-mine"],
    }
    fork = labs.lab_fork(session=visitor, share_token=source.share_token)
    meta = store.lab_meta(fork.id)
    assert meta is not None and (meta.preset, meta.seed, meta.tick) == ("db-replication", 9, 120)
    assert client.lrange(store.lab_key(fork.id, "log"), 0, -1) == entries
    assert json.loads(client.get(store.lab_key(fork.id, "snap")))["tick"] == 100
    assert visitor["labs"] == {"db-replication": fork.id}
    assert labs.lab_owned(session=visitor, lab_id=fork.id)
    assert labs.lab_owned(session=visitor, lab_id="an-older-lab-of-mine")  # its tab keeps working
    assert not labs.lab_owned(session=owner, lab_id=fork.id)


def test_the_session_remembers_a_bounded_number_of_labs():
    session: dict[str, Any] = {}
    source = labs.lab_open(session={}, preset="cache")
    for _ in range(labs.MAX_OWNED_LABS + 5):
        labs.lab_fork(session=session, share_token=source.share_token)
    assert len(session["lab_ids"]) == labs.MAX_OWNED_LABS


# ---------------------------------------------------------------- the socket's own words


def test_socket_messages_have_both_languages_and_render():
    params = {
        "type": "x",
        "allowed": ["command"],
        "field": "seq",
        "expected": "integer",
        "limit_kb": 16,
        "limit": 20,
    }
    for key, (english, korean) in SOCKET_MESSAGES.items():
        assert english and korean and english != korean, key
        assert set(re.findall(r"{(\w+)}", english)) == set(re.findall(r"{(\w+)}", korean)), key
        for lang in ("en", "ko"):
            text = render_socket_message(key, params, lang)
            assert "{" not in text, (key, lang)
    assert socket_error("field_invalid", "ko", field="seq", expected="integer")["message"].endswith("정수.")
    assert "an integer" in socket_error("field_invalid", "en", field="seq", expected="integer")["message"]


# ---------------------------------------------------------------- the whole ASGI stack


async def _connect(path: str, cookies: dict[str, str]) -> WebsocketCommunicator:
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie.encode())]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def _saved_session(**values: Any) -> str:
    session = SessionStore()
    for key, value in values.items():
        session[key] = value
    session.save()
    return str(session.session_key)


@pytest.mark.django_db(transaction=True)
async def test_full_stack_socket_with_a_cookie_session(settings):
    from asgiref.sync import sync_to_async

    session: dict[str, Any] = {}
    handle = labs.lab_open(session=session, preset="web-tier")
    key = await sync_to_async(_saved_session)(**session)
    stranger = await sync_to_async(_saved_session)(labs={})

    owner = await _connect(handle.ws_path, {settings.SESSION_COOKIE_NAME: key, "scalelab_language": "en"})
    welcome = json.loads(await owner.receive_from())
    assert (welcome["type"], welcome["lang"], welcome["lab"]) == ("welcome", "en", handle.id)
    assert json.loads(await owner.receive_from())["frame"]["type"] == "key"

    other = await _connect(handle.ws_path, {settings.SESSION_COOKIE_NAME: stranger})
    error = json.loads(await other.receive_from())
    assert error["key"] == "lab_forbidden" and "실험실" in error["message"]
    assert (await other.receive_output())["code"] == 4403

    nobody = await _connect(handle.ws_path, {})
    assert json.loads(await nobody.receive_from())["key"] == "lab_forbidden"
    assert (await nobody.receive_output())["code"] == 4403

    missing = await _connect("/ws/lab/NoSuchLab_0123456789ab/", {settings.SESSION_COOKIE_NAME: key})
    assert json.loads(await missing.receive_from())["key"] == "lab_gone"
    assert (await missing.receive_output())["code"] == 4404

    await owner.disconnect()
    await lab_host().shutdown()


async def test_full_stack_refuses_a_foreign_origin():
    communicator = WebsocketCommunicator(
        application, "/ws/lab/NoSuchLab_0123456789ab/", headers=[(b"origin", b"http://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected
