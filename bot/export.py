"""`python -m bot export conversations`: the conversation log as JSONL, one message per line.

A contract other tools rely on: fields `time, chat, direction, text, language, intent,
confidence, content_key, case_id`, in time order; `chat` is the stable pseudonym, never the
Telegram id.

What editors may see: the conversation with the bot, not what a user tells a caseworker. Rows of
a case thread (what the user wrote into an open case, caseworker replies, contact details, file
names) keep their place, time, language, key and `case_id` but their text is replaced by
`[case thread]`, so an editor still sees that a conversation went to a person and when; the
content itself belongs in the case. Phone numbers and e-mail addresses are masked in every
other text (`bot.redact`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, TextIO

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.db.models import Chat, ConversationMessage
from bot.redact import mask_contacts

EXPORT_FIELDS = (
    "time",
    "chat",
    "direction",
    "text",
    "language",
    "intent",
    "confidence",
    "content_key",
    "case_id",
)


CASE_THREAD_MARK = "[case thread]"
# Rows whose text is what a user told a caseworker (or a caseworker answered), or echoes it.
CASE_THREAD_KEYS = frozenset(
    {"case.user_message", "case.reply", "case.attachment_added", "handoff.contact_saved"}
)
CASE_THREAD_INTENTS = frozenset({"case.contact"})


def is_case_thread(message: ConversationMessage) -> bool:
    return message.content_key in CASE_THREAD_KEYS or message.intent in CASE_THREAD_INTENTS


def exported_text(message: ConversationMessage) -> str:
    """The text an editor may see: a marker for case-thread rows, masked contacts otherwise."""
    if is_case_thread(message):
        return CASE_THREAD_MARK
    return mask_contacts(message.text)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def conversation_records(
    engine: Engine, since: dt.datetime | None = None
) -> Iterator[dict[str, Any]]:
    query = (
        select(ConversationMessage, Chat.pseudonym)
        .join(Chat, Chat.id == ConversationMessage.chat_id)
        .order_by(ConversationMessage.created_at, ConversationMessage.id)
    )
    if since is not None:
        query = query.where(ConversationMessage.created_at >= since)
    with Session(engine) as session:
        for message, pseudonym in session.execute(query).yield_per(500):
            yield {
                "time": _aware(message.created_at).isoformat(),
                "chat": pseudonym,
                "direction": message.direction,
                "text": exported_text(message),
                "language": message.language,
                "intent": message.intent,
                "confidence": message.confidence,
                "content_key": message.content_key,
                "case_id": message.case_id,
            }


def write_jsonl(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
