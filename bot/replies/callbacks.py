"""Callback data of inline buttons: building and strict parsing.

Callback data comes back from the user's client and can be forged, so it is parsed against
known shapes only; payloads forwarded to Rasa must be on an allow-list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64

HANDOFF_TOPICS = ("courses", "training", "housing", "bureaucracy", "everyday", "other")
RASA_PLAIN_PAYLOADS = frozenset(
    {"/request_human", "/handoff_accept", "/handoff_decline", "/clarify_none", "/cancel"}
)
_ENTITY_PAYLOAD = re.compile(r"^/(inform|handoff_accept)(\{.*\})$")
_ASK_PAYLOAD = re.compile(r"^/ask_([a-z_]+)$")


@dataclass(frozen=True)
class Callback:
    kind: str  # answer | topic | menu | language | feedback | delete | rasa | case_feedback | back
    value: str = ""
    extra: str = ""


def answer(full_key: str) -> str:
    return f"a:{full_key}"


def topic(name: str) -> str:
    return f"t:{name}"


def menu() -> str:
    return "m"


def language(code: str) -> str:
    return f"l:{code}"


def feedback(helped: bool, full_key: str) -> str:
    return f"f:{int(helped)}:{full_key}"


def delete(confirm: bool) -> str:
    return "d:y" if confirm else "d:n"


def case_feedback(case_id: int, helped: bool) -> str:
    """The user's answer to "did the help work?" after a case was resolved."""
    return f"cf:{case_id}:{int(helped)}"


def back_to_bot() -> str:
    """Leave the case thread: what the user writes next goes to the bot again."""
    return "b"


def rasa(payload: str) -> str:
    data = f"r:{payload}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def handoff_accept(topic_name: str | None = None) -> str:
    if topic_name is None:
        return rasa("/handoff_accept")
    return rasa(
        "/handoff_accept" + json.dumps({"handoff_topic": topic_name}, separators=(",", ":"))
    )


def is_allowed_rasa_payload(payload: str, short_keys: set[str]) -> bool:
    """Only our own button payloads may be forwarded to Rasa as intents."""
    if payload in RASA_PLAIN_PAYLOADS:
        return True
    ask = _ASK_PAYLOAD.match(payload)
    if ask:
        return ask.group(1) in short_keys
    entity = _ENTITY_PAYLOAD.match(payload)
    if not entity:
        return False
    try:
        values = json.loads(entity.group(2))
    except json.JSONDecodeError:
        return False
    if not isinstance(values, dict) or len(values) != 1:
        return False
    ((name, value),) = values.items()
    if name == "handoff_topic":
        return value in HANDOFF_TOPICS
    return entity.group(1) == "inform" and name == "handoff_contact" and value == "telegram"


def parse(data: str) -> Callback | None:
    """The callback for `data`, or None when it is not one of ours."""
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    if data == "m":
        return Callback("menu")
    if data == "b":
        return Callback("back")
    kind, _, rest = data.partition(":")
    if not rest:
        return None
    if kind == "a":
        return Callback("answer", rest)
    if kind == "t":
        return Callback("topic", rest)
    if kind == "l":
        return Callback("language", rest)
    if kind == "d" and rest in {"y", "n"}:
        return Callback("delete", rest)
    if kind == "r":
        return Callback("rasa", rest)
    if kind == "cf":
        case_id, _, helped = rest.partition(":")
        if case_id.isdigit() and helped in {"0", "1"}:
            return Callback("case_feedback", case_id, helped)
        return None
    if kind == "f":
        helped, _, key = rest.partition(":")
        if helped in {"0", "1"} and key:
            return Callback("feedback", key, helped)
    return None
