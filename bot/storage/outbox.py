"""The outbox: every message to Telegram, sent with retries in per-chat order.

A chat's next message is only sent when the one before it is sent (or has failed for good),
so a 429 or an outage delays a chat but never reorders it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OutboxMessage, utcnow


def enqueue(
    session: AsyncSession,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    source_update_id: int | None = None,
) -> OutboxMessage:
    row = OutboxMessage(
        chat_id=chat_id, method=method, payload=payload, source_update_id=source_update_id
    )
    session.add(row)
    return row


async def due_heads(session: AsyncSession, limit: int = 50) -> list[OutboxMessage]:
    """The oldest pending message of each chat, if it is due now."""
    heads = (
        select(func.min(OutboxMessage.id).label("id"))
        .where(OutboxMessage.status == "pending")
        .group_by(OutboxMessage.chat_id)
        .subquery()
    )
    rows = await session.scalars(
        select(OutboxMessage)
        .join(heads, OutboxMessage.id == heads.c.id)
        .where(OutboxMessage.next_attempt_at <= utcnow())
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(rows)


async def next_due_at(session: AsyncSession) -> dt.datetime | None:
    value = await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == "pending")
    )
    if value is not None and value.tzinfo is None:  # SQLite returns naive datetimes
        value = value.replace(tzinfo=dt.UTC)
    return value


async def mark_sent(session: AsyncSession, row_id: int, telegram_message_id: int | None) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            status="sent",
            sent_at=utcnow(),
            telegram_message_id=telegram_message_id,
            last_error=None,
        )
    )


async def schedule_retry(
    session: AsyncSession, row_id: int, delay: dt.timedelta, error: str
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=utcnow() + delay,
            last_error=error[:200],
        )
    )


async def mark_failed(session: AsyncSession, row_id: int, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status="failed", attempts=OutboxMessage.attempts + 1, last_error=error[:200])
    )


async def replace_payload(
    session: AsyncSession, row_id: int, method: str, payload: dict[str, Any]
) -> None:
    """Change how a message is sent (e.g. plain text after a formatting error)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(method=method, payload=payload)
    )
