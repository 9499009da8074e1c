"""Which updates may overtake a question that waits for Rasa.

A chat's updates are handled strictly in order, so answers never overtake each other. A
question that waits because Rasa is down would then hold back everything after it, even
what never needs Rasa. Commands and buttons that Rasa has no part in overtake such a waiting
question; the question itself is answered later, once Rasa is back (or never, if /delete
erased it meanwhile). After /human the waiting question goes into the new case's thread
when its turn comes: the user now talks to a person, who sees it. Everything else keeps its
place.
"""

from __future__ import annotations

from typing import Any

from bot.replies import callbacks

# Answered by the bot itself (bot.conversation.router, bot.conversation.case_router).
RASA_FREE_COMMANDS = frozenset(
    {"start", "help", "language", "status", "privacy", "delete", "human", "back"}
)
# Buttons that need Rasa, or that change how the next typed text is read (a contact detail).
_HELD_BUTTONS = frozenset({"rasa", "contact"})


def _command(message: dict[str, Any]) -> str | None:
    """The command of a message, as PTB's COMMAND filter sees it (an entity at offset 0)."""
    text = message.get("text")
    entities = message.get("entities") or []
    if not isinstance(text, str) or not text.startswith("/"):
        return None
    if not any(
        isinstance(e, dict) and e.get("type") == "bot_command" and e.get("offset") == 0
        for e in entities
    ):
        return None
    return text.split()[0][1:].split("@")[0].lower()


def waits_for_rasa(payload: dict[str, Any]) -> bool:
    """A typed question or a button that goes to Rasa: what a Rasa outage holds back."""
    message = payload.get("message")
    if isinstance(message, dict):
        return isinstance(message.get("text"), str) and _command(message) is None
    query = payload.get("callback_query")
    if isinstance(query, dict):
        parsed = callbacks.parse(str(query.get("data") or ""))
        return parsed is not None and parsed.kind == "rasa"
    return False


def may_overtake(payload: dict[str, Any]) -> bool:
    """A command or button that never needs Rasa (a contact button does not either, but it
    would make the waiting question be read as a phone number)."""
    message = payload.get("message")
    if isinstance(message, dict):
        return _command(message) in RASA_FREE_COMMANDS
    query = payload.get("callback_query")
    if isinstance(query, dict):
        parsed = callbacks.parse(str(query.get("data") or ""))
        return parsed is None or parsed.kind not in _HELD_BUTTONS  # None: "button expired"
    return False
