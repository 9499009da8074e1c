"""What comes in (one update, reduced to what we need) and what goes out of one turn."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.replies import Reply


@dataclass(frozen=True)
class Incoming:
    update_id: int
    chat_id: int
    kind: str  # text | command | callback | non_text
    text: str = ""  # message text, command name (without '/'), or callback data
    non_text_kind: str = ""  # voice | photo | sticker | location | other
    client_language: str | None = None  # Telegram's language_code of the user's app
    callback_message_id: int | None = None  # the bot message whose button was pressed


@dataclass
class Outcome:
    """Replies of one turn plus how the incoming message is logged."""

    replies: list[Reply] = field(default_factory=list)
    logged_text: str = ""
    intent: str | None = None
    confidence: float | None = None
    content_key: str | None = None  # for feedback: the answer that was rated
    chosen_language: str | None = None  # the user picked a language with /language
    erase_chat: bool = False
