"""The inbox: every Telegram update is stored here before it is processed.

Unique by update_id, so an update fetched twice (crash before the offset advanced) is
stored once. A row stays `pending` until its replies are in the outbox — in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import InboxUpdate, utcnow


async def store(
    session: AsyncSession,
    update_id: int,
    chat_id: int | None,
    payload: dict[str, Any],
    status: str = "pending",
) -> bool:
    """Insert the update unless it is already there; True if it is new.

    `status` is `pending` for work, or `unparsable` for an update PTB cannot read: kept
    (sanitised) so nothing is lost silently, never processed.
    """
    if await session.get(InboxUpdate, update_id) is not None:
        return False
    processed_at = None if status == "pending" else utcnow()
    session.add(
        InboxUpdate(
            update_id=update_id,
            chat_id=chat_id,
            payload=payload,
            status=status,
            processed_at=processed_at,
        )
    )
    return True


async def chats_with_pending(session: AsyncSession) -> list[int]:
    rows = await session.scalars(
        select(InboxUpdate.chat_id)
        .where(InboxUpdate.status == "pending", InboxUpdate.chat_id.is_not(None))
        .group_by(InboxUpdate.chat_id)
        .order_by(func.min(InboxUpdate.update_id))
    )
    return [int(chat_id) for chat_id in rows if chat_id is not None]


async def oldest_pending(session: AsyncSession, chat_id: int) -> InboxUpdate | None:
    return await session.scalar(
        select(InboxUpdate)
        .where(InboxUpdate.status == "pending", InboxUpdate.chat_id == chat_id)
        .order_by(InboxUpdate.update_id)
        .limit(1)
    )


async def due_pending_after(
    session: AsyncSession, chat_id: int, update_id: int, limit: int = 20
) -> list[InboxUpdate]:
    """The chat's pending updates after `update_id` that are due now, oldest first."""
    rows = await session.scalars(
        select(InboxUpdate)
        .where(
            InboxUpdate.status == "pending",
            InboxUpdate.chat_id == chat_id,
            InboxUpdate.update_id > update_id,
            InboxUpdate.next_attempt_at <= utcnow(),
        )
        .order_by(InboxUpdate.update_id)
        .limit(limit)
    )
    return list(rows)


async def mark_started(session: AsyncSession, update_id: int) -> int:
    """Count an attempt before processing, so a crash mid-way is visible on replay."""
    row = await session.get(InboxUpdate, update_id)
    assert row is not None
    row.attempts += 1
    return row.attempts


async def mark_done(session: AsyncSession, update_id: int, status: str = "done") -> None:
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id)
        .values(status=status, processed_at=utcnow(), last_error=None)
    )


async def schedule_retry(
    session: AsyncSession, update_id: int, delay: dt.timedelta, error: str
) -> None:
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id)
        .values(next_attempt_at=utcnow() + delay, last_error=error[:200])
    )


async def outage_apology_due(session: AsyncSession, chat_id: int) -> bool:
    """True if no pending update of this chat has had its 'please wait' apology yet."""
    already = await session.scalar(
        select(func.count())
        .select_from(InboxUpdate)
        .where(
            and_(
                InboxUpdate.chat_id == chat_id,
                InboxUpdate.status == "pending",
                InboxUpdate.apology_sent.is_(True),
            )
        )
    )
    return not already


async def mark_apology_sent(session: AsyncSession, update_id: int) -> None:
    await session.execute(
        update(InboxUpdate).where(InboxUpdate.update_id == update_id).values(apology_sent=True)
    )
