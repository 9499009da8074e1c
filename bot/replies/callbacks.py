"""Callback data of inline buttons: building and strict parsing.

Callback data comes back from the user's client and can be forged, so it is parsed against
known shapes only; payloads forwarded to Rasa must be on an allow-list. Everything about a
caseworker (asking for one, the case, a contact detail) is handled by the bot itself, so
those buttons work while Rasa is down.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64

HANDOFF_TOPICS = ("courses", "training", "housing", "bureaucracy", "everyday", "other")
# Why a case is opened (see Case.reason); "attachment" has its own button (`photo_case`).
HANDOFF_REASONS = ("request", "urgent", "unclear", "feedback", "gap")
RASA_PLAIN_PAYLOADS = frozenset({"/clarify_none"})
_ASK_PAYLOAD = re.compile(r"^/ask_([a-z_]+)$")
# Buttons of the old handoff form may still sit in users' chats: they now open a case directly.
_LEGACY_ACCEPT = re.compile(r"^/handoff_accept(\{.*\})?$")
_MAX_ID_DIGITS = 18
# The residence papers an answer can have a variant for (bot.content.variants.STATUSES).
PAPER_CHOICES = ("gestattung", "duldung", "aufenthaltserlaubnis", "skip")
_FULL_KEY = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")


@dataclass(frozen=True)
class Callback:
    # answer | topic | menu | language | feedback | delete | rasa | case_feedback | back |
    # handoff | decline | cancel_case | contact | contact_cancel | photo_case |
    # paper (value: status or skip, extra: answer key) | notify_gap (ref: update id)
    kind: str
    value: str = ""
    extra: str = ""
    ref: int | None = None  # handoff: the update of the message the offer was about


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


def original(full_key: str) -> str:
    """Show the German source of a machine-translated answer."""
    return f"o:{full_key}"


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


def handoff(
    reason: str = "request", topic_name: str = "other", update_id: int | None = None
) -> str:
    """Open a case now; `update_id` names the user's message the offer was about."""
    data = f"h:{reason}:{topic_name}" + (f":{update_id}" if update_id is not None else "")
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def decline() -> str:
    """'No, thanks' to an offer of a caseworker."""
    return "n"


def cancel_case(case_id: int) -> str:
    """Close a case the user opened by mistake."""
    return f"x:{case_id}"


def contact(case_id: int) -> str:
    """'Reach me another way': ask for a phone number or e-mail for this case."""
    return f"c:{case_id}"


def contact_cancel() -> str:
    """Stop asking for a contact detail: the answer comes in Telegram."""
    return "cn"


def photo_case(update_id: int) -> str:
    """Open a case with the photo or document the user sent in update `update_id`."""
    return f"p:{update_id}"


def paper(status: str, full_key: str = "") -> str:
    """The user's residence paper (or `skip`); `full_key` is the answer to show again."""
    data = f"s:{status}" + (f":{full_key}" if full_key else "")
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def notify_gap(update_id: int) -> str:
    """'Tell me when there is an answer' to the question of update `update_id`."""
    return f"g:{update_id}"


def is_allowed_rasa_payload(payload: str, short_keys: set[str]) -> bool:
    """Only our own button payloads may be forwarded to Rasa as intents."""
    if payload in RASA_PLAIN_PAYLOADS:
        return True
    ask = _ASK_PAYLOAD.match(payload)
    return ask is not None and ask.group(1) in short_keys


def _number(text: str) -> bool:
    return text.isdigit() and len(text) <= _MAX_ID_DIGITS


def _handoff(rest: str) -> Callback | None:
    parts = rest.split(":")
    if len(parts) not in {2, 3}:
        return None
    reason, topic_name = parts[0], parts[1]
    if reason not in HANDOFF_REASONS or topic_name not in HANDOFF_TOPICS:
        return None
    if len(parts) == 3 and not _number(parts[2]):
        return None
    ref = int(parts[2]) if len(parts) == 3 else None
    return Callback("handoff", topic_name, reason, ref)


def _legacy_rasa(payload: str) -> Callback | None:
    """Buttons of the old form flow that are still in users' chats."""
    if payload == "/request_human":
        return Callback("handoff", "other", "request")
    if payload == "/handoff_decline":
        return Callback("decline")
    accept = _LEGACY_ACCEPT.match(payload)
    if accept is None:
        return None
    if accept.group(1) is None:
        return Callback("handoff", "other", "request")
    try:
        values = json.loads(accept.group(1))
    except json.JSONDecodeError:
        return None
    topic_name = values.get("handoff_topic") if isinstance(values, dict) else None
    if len(values) != 1 or topic_name not in HANDOFF_TOPICS:
        return None
    return Callback("handoff", str(topic_name), "request")


def parse(data: str) -> Callback | None:
    """The callback for `data`, or None when it is not one of ours."""
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    plain = {"m": "menu", "b": "back", "n": "decline", "cn": "contact_cancel"}
    if data in plain:
        return Callback(plain[data])
    kind, _, rest = data.partition(":")
    if not rest:
        return None
    if kind == "a":
        return Callback("answer", rest)
    if kind == "o":
        return Callback("original", rest)
    if kind == "t":
        return Callback("topic", rest)
    if kind == "l":
        return Callback("language", rest)
    if kind == "d" and rest in {"y", "n"}:
        return Callback("delete", rest)
    if kind == "r":
        return _legacy_rasa(rest) or Callback("rasa", rest)
    if kind == "h":
        return _handoff(rest)
    if kind in {"x", "c", "p"}:
        names = {"x": "cancel_case", "c": "contact", "p": "photo_case"}
        return Callback(names[kind], rest) if _number(rest) else None
    if kind == "s":
        status, _, key = rest.partition(":")
        if status in PAPER_CHOICES and (not key or _FULL_KEY.fullmatch(key)):
            return Callback("paper", status, key)
        return None
    if kind == "g":
        return Callback("notify_gap", rest, ref=int(rest)) if _number(rest) else None
    if kind == "cf":
        case_id, _, helped = rest.partition(":")
        if _number(case_id) and helped in {"0", "1"}:
            return Callback("case_feedback", case_id, helped)
        return None
    if kind == "f":
        helped, _, key = rest.partition(":")
        if helped in {"0", "1"} and key:
            return Callback("feedback", key, helped)
    return None
