"""`python -m bot export conversations`: the conversation log as JSONL, one message per line.

A contract other tools rely on: fields `time, chat, direction, text, language, intent,
confidence, content_key, case_id`, in time order; `chat` is the stable pseudonym, never the
Telegram id.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, TextIO

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.db.models import Chat, ConversationMessage

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
                "text": message.text,
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
