"""The lab socket's own words: errors about the envelope (not about a command — those are the
engine's, `CommandError.to_dict(lang)`), as a key -> (English, Korean) table like the engine's
`messages.py`. A test checks that every key has both languages and renders with its params.
"""

from __future__ import annotations

from collections.abc import Mapping

from config.language import LANGUAGE_CODES

MESSAGE_TYPES = ("command", "visibility", "keyframe")

# Abuse limits of one socket (docs/lab-socket.md).
MESSAGE_MAX_BYTES = 16 * 1024  # a bigger message is refused (`message_too_big`) ...
OVERSIZE_CLOSE_AFTER = 3  # ... and the third within OVERSIZE_WINDOW_S closes the socket with 1009
OVERSIZE_WINDOW_S = 10.0
MESSAGES_PER_S = 20  # more in one second: `too_many_commands`, the message is dropped ...
FLOOD_CLOSE_AFTER = 40  # ... and this many dropped within FLOOD_WINDOW_S closes with 1008
FLOOD_WINDOW_S = 10.0
LIMITS = {"message_bytes": MESSAGE_MAX_BYTES, "messages_per_s": MESSAGES_PER_S}

# key -> (English, Korean). Placeholders are the error's params.
SOCKET_MESSAGES: Mapping[str, tuple[str, str]] = {
    "json_malformed": (
        "The message is not valid JSON, so it was ignored.",
        "메시지가 올바른 JSON이 아니어서 무시했습니다.",
    ),
    "message_not_text": (
        "Send text messages (JSON), not binary ones.",
        "바이너리가 아닌 텍스트(JSON) 메시지를 보내 주세요.",
    ),
    "message_not_object": (
        "A message must be a JSON object with a type.",
        "메시지는 type이 있는 JSON 객체여야 합니다.",
    ),
    "type_unknown": (
        "Unknown message type {type}; the allowed types are {allowed}.",
        "알 수 없는 메시지 종류 {type}입니다. 가능한 종류: {allowed}.",
    ),
    "field_missing": (
        "The message lacks the field {field}.",
        "메시지에 {field} 항목이 없습니다.",
    ),
    "field_invalid": (
        "The field {field} must be {expected}.",
        "{field} 항목의 값이 잘못되었습니다. 필요한 값: {expected}.",
    ),
    "message_too_big": (
        "The message is larger than {limit_kb} KB, so it was ignored.",
        "메시지가 {limit_kb}KB보다 커서 무시했습니다.",
    ),
    "too_many_commands": (
        "More than {limit} messages a second: this one was dropped. Please slow down a little.",
        "초당 {limit}개가 넘는 메시지를 보내서 이 메시지는 버렸습니다. 조금 천천히 보내 주세요.",
    ),
    "lab_gone": (
        "This lab no longer exists (it expired, or the address is wrong). Reload the page to open a new one.",
        "이 실험실은 더 이상 없습니다(만료되었거나 주소가 잘못되었습니다). "
        "페이지를 새로 고치면 새 실험실이 열립니다.",
    ),
    "lab_forbidden": (
        "This lab belongs to someone else. Open its share link to get your own copy.",
        "다른 사람의 실험실입니다. 공유 링크를 열면 내 사본이 생깁니다.",
    ),
    "command_failed": (
        "The lab could not carry out this command (a fault on our side); it keeps running.",
        "실험실이 이 명령을 처리하지 못했습니다(서버 쪽 문제). 실험실은 계속 돌아갑니다.",
    ),
    "lab_unavailable": (
        "The lab cannot be reached right now; please try again in a moment.",
        "지금은 실험실에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
    ),
}

# How the expected kinds of `field_invalid` read in each language.
EXPECTED: Mapping[str, tuple[str, str]] = {
    "integer": ("an integer", "정수"),
    "boolean": ("true or false", "true 또는 false"),
    "object": ("a JSON object", "JSON 객체"),
}


def socket_language(cookies: Mapping[str, str] | None) -> str:
    """The visitor's language on the socket: the same cookie and default as pages (config.language)."""
    from django.conf import settings

    cookie = (cookies or {}).get(settings.LANGUAGE_COOKIE_NAME)
    return cookie if cookie in LANGUAGE_CODES else settings.LANGUAGE_CODE


def render_socket_message(key: str, params: Mapping[str, object], lang: str) -> str:
    english, korean = SOCKET_MESSAGES[key]
    template = korean if lang == "ko" else english
    values = dict(params)
    expected = values.get("expected")
    if isinstance(expected, str) and expected in EXPECTED:
        values["expected"] = EXPECTED[expected][1 if lang == "ko" else 0]
    allowed = values.get("allowed")
    if isinstance(allowed, list | tuple):
        values["allowed"] = ", ".join(str(item) for item in allowed)
    return template.format(**values)


def socket_error(
    key: str,
    lang: str,
    *,
    seq: int | None = None,
    field: str | None = None,
    allowed: object = None,
    **params: object,
) -> dict[str, object]:
    """An `error` message of the socket envelope (same shape as an engine error)."""
    all_params: dict[str, object] = {"field": field, "allowed": allowed, **params}
    out: dict[str, object] = {"type": "error"}
    if seq is not None:
        out["seq"] = seq
    out.update(
        {
            "key": key,
            "field": field,
            "allowed": allowed,
            "params": all_params,
            "message": render_socket_message(key, all_params, lang),
        }
    )
    return out
