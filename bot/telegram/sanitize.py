"""Reducing a raw update to what we need before it is stored.

Names, usernames, phone numbers of shared contacts and coordinates of shared locations are
never needed to answer, so they never reach the database (see /privacy); neither does who a
forwarded message came from. What a file for a case needs stays: `file_id`, `file_size`,
`mime_type`, `file_name` and the caption (the user's own words about the letter).
"""

from __future__ import annotations

import copy
from typing import Any

_PERSON_FIELDS_KEPT = {"id", "is_bot", "language_code", "type"}


def _scrub_person(person: dict[str, Any]) -> None:
    for field in list(person):
        if field not in _PERSON_FIELDS_KEPT:
            del person[field]
    if person.get("type") in (None, "private"):
        person["first_name"] = "-"  # required by the Bot API schema, never shown


def _scrub_message(message: dict[str, Any]) -> None:
    for field in ("from", "chat", "sender_chat"):
        if isinstance(message.get(field), dict):
            _scrub_person(message[field])
    if "location" in message:
        message["location"] = {"latitude": 0.0, "longitude": 0.0}
    if "venue" in message:
        message.pop("venue")
        message["location"] = {"latitude": 0.0, "longitude": 0.0}
    if "contact" in message:
        message["contact"] = {"phone_number": "-", "first_name": "-"}
    for field in (
        "reply_to_message",
        "pinned_message",
        "external_reply",
        "forward_origin",
        "forward_from",
        "forward_from_chat",
        "forward_sender_name",
        "forward_signature",
        "via_bot",
        "author_signature",
    ):
        message.pop(field, None)
    for field in ("entities", "caption_entities"):
        for entity in message.get(field) or []:
            if isinstance(entity, dict) and isinstance(entity.get("user"), dict):
                _scrub_person(entity["user"])  # a "text mention" carries the person
    if isinstance(message.get("message"), dict):
        _scrub_message(message["message"])


def sanitize_update(raw: dict[str, Any]) -> dict[str, Any]:
    update = copy.deepcopy(raw)
    for field in ("message", "edited_message"):
        if isinstance(update.get(field), dict):
            _scrub_message(update[field])
    query = update.get("callback_query")
    if isinstance(query, dict):
        if isinstance(query.get("from"), dict):
            _scrub_person(query["from"])
        if isinstance(query.get("message"), dict):
            _scrub_message(query["message"])
            query["message"].pop("text", None)  # our own text; the id is enough
            query["message"].pop("reply_markup", None)
    return update


def chat_id_of(update: dict[str, Any]) -> int | None:
    """The private chat an update belongs to (None for updates we do not handle)."""
    message = update.get("message") or update.get("edited_message")
    if isinstance(message, dict):
        return int(message["chat"]["id"])
    query = update.get("callback_query")
    if isinstance(query, dict):
        if isinstance(query.get("message"), dict):
            return int(query["message"]["chat"]["id"])
        return int(query["from"]["id"])
    return None
