"""The conversation log: one row per message in and out, what the export is made of."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ConversationMessage


def log_message(
    session: AsyncSession,
    chat_id: int,
    direction: str,
    text: str,
    *,
    language: str | None,
    intent: str | None = None,
    confidence: float | None = None,
    content_key: str | None = None,
    case_id: int | None = None,
    update_id: int | None = None,
) -> ConversationMessage:
    row = ConversationMessage(
        chat_id=chat_id,
        direction=direction,
        text=text,
        language=language,
        intent=intent,
        confidence=confidence,
        content_key=content_key,
        case_id=case_id,
        update_id=update_id,
    )
    session.add(row)
    return row
