"""What every action needs: the content store, the user's language, and sending a Reply."""

from __future__ import annotations

from functools import cache
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Tracker

from bot.config import load_settings
from bot.content.live import LiveContent, live_content
from bot.replies import Reply

# Actions that are bookkeeping, not something the bot said.
_SILENT_ACTIONS = frozenset(
    {"action_listen", "action_extract_slots", "action_session_start", "action_unlikely_intent"}
)


@cache
def content_store() -> LiveContent:
    """The published content, made once per action-server process on first use.

    It looks for new publications at most every CONTENT_REFRESH_SECONDS, when an action
    reads it: the action server answers typed questions with what the bot's menus show.
    """
    return live_content(load_settings())


def language_of(tracker: Tracker) -> str:
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    return str(metadata.get("language") or "de")


def residence_status_of(tracker: Tracker) -> str | None:
    """The user's residence paper as the bot sent it (None: not chosen or skipped)."""
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    value = metadata.get("residence_status")
    return str(value) if value else None


def latest_intent(tracker: Tracker) -> tuple[str | None, float | None]:
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    confidence = intent.get("confidence")
    return (str(name) if name else None, float(confidence) if confidence is not None else None)


def send(dispatcher: CollectingDispatcher, tracker: Tracker, reply: Reply) -> None:
    """One custom payload per reply, carrying the intent the user's message was read as."""
    intent, confidence = latest_intent(tracker)
    dispatcher.utter_message(json_message=reply.to_payload(intent, confidence))


def previous_bot_action(tracker: Tracker) -> str | None:
    """The last action the bot ran before the user's latest message."""
    seen_latest_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_latest_user:
                return None
            seen_latest_user = True
            continue
        if seen_latest_user and event.get("event") == "action":
            name = event.get("name")
            if name and name not in _SILENT_ACTIONS:
                return str(name)
    return None
