"""Deleting what we no longer need, as promised in /privacy.

Conversation data goes after `retention_days`; raw updates and delivered messages after a
week (they only exist to survive crashes); chats silent for longer than the retention period
are erased with everything they hold, unless a case of theirs is still open. Cached machine
translations go after `retention_days` too.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Case,
    Chat,
    ConversationMessage,
    InboxUpdate,
    OutboxMessage,
    Translation,
    utcnow,
)
from bot.storage.cases import OPEN_STATUSES

log = logging.getLogger(__name__)
DELIVERY_RECORDS_KEPT = dt.timedelta(days=7)


async def purge(session: AsyncSession, retention_days: int) -> dict[str, int]:
    now = utcnow()
    horizon = now - dt.timedelta(days=retention_days)
    delivery_horizon = now - DELIVERY_RECORDS_KEPT
    open_case = exists(
        select(Case.id).where(Case.chat_id == Chat.id, Case.status.in_(OPEN_STATUSES))
    )
    statements = {
        "chats": delete(Chat).where(Chat.last_seen_at < horizon, ~open_case),
        "resolved cases": delete(Case).where(Case.status == "resolved", Case.closed_at < horizon),
        "messages": delete(ConversationMessage).where(ConversationMessage.created_at < horizon),
        "inbox": delete(InboxUpdate).where(
            InboxUpdate.status != "pending", InboxUpdate.received_at < delivery_horizon
        ),
        "outbox": delete(OutboxMessage).where(
            OutboxMessage.status != "pending", OutboxMessage.created_at < delivery_horizon
        ),
        "translations": delete(Translation).where(Translation.created_at < horizon),
    }
    counts: dict[str, int] = {}
    for name, statement in statements.items():
        result = await session.execute(statement)
        counts[name] = result.rowcount or 0  # type: ignore[attr-defined]
    log.info("retention: deleted %s", ", ".join(f"{v} {k}" for k, v in counts.items()))
    return counts
