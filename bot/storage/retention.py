"""Deleting what we no longer need, as promised in /privacy.

Conversation data goes after `retention_days`; raw updates and delivered messages after a
week (they only exist to survive crashes); chats silent for longer than the retention period
are erased with everything they hold, unless a case of theirs is still open. Cached machine
translations go after `retention_days` too.

Nothing may stay pending for ever either. Before the week's rule runs, rows that can never be
handled get an honest final status (the inbox workers and the outbox sender only take
`pending` rows, so they ignore them from then on):
- inbox `skipped`: an update without a chat (nothing can answer it); inbox `expired`: an
  update still unprocessed after `INBOX_MAX_AGE` — except a confirmed /delete: erasing is the
  user's right, so it stays pending (waiting for Rasa's tracker store) and each run logs a
  WARNING with how many wait that long, for the operator;
- outbox `expired`: a bot reply to a user's message older than `BOT_REPLY_MAX_AGE` (a
  day-old "technical problem" apology is worse than nothing), any other message (a
  caseworker's reply, a note to the staff group) older than `STAFF_MESSAGE_MAX_AGE`.
Open cases quiet for too long are escalated to the administrators (`bot.cases.escalation`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.escalation import escalate_overdue
from bot.config import Settings
from bot.db.models import (
    Case,
    Chat,
    ConversationMessage,
    InboxUpdate,
    OutboxMessage,
    Translation,
    utcnow,
)
from bot.replies import callbacks
from bot.storage.cases import OPEN_STATUSES

log = logging.getLogger(__name__)
DELIVERY_RECORDS_KEPT = dt.timedelta(days=7)
INBOX_MAX_AGE = dt.timedelta(days=7)
BOT_REPLY_MAX_AGE = dt.timedelta(days=1)
STAFF_MESSAGE_MAX_AGE = dt.timedelta(days=7)


async def run(session: AsyncSession, settings: Settings) -> dict[str, int]:
    """The daily run: escalate forgotten cases, give up on the undeliverable, then delete."""
    escalated = await escalate_overdue(
        session,
        settings.open_case_max_days,
        settings.staff_chat_id,
        settings.default_language,
    )
    counts = await purge(session, settings.retention_days)
    return {"escalated cases": len(escalated), **counts}


async def expire_undeliverable(
    session: AsyncSession, now: dt.datetime | None = None
) -> dict[str, int]:
    """Final statuses for pending rows that can never be handled (see the module docstring)."""
    now = now or utcnow()
    pending_inbox = update(InboxUpdate).where(InboxUpdate.status == "pending")
    pending_outbox = update(OutboxMessage).where(OutboxMessage.status == "pending")
    statements = {
        "inbox skipped (no chat)": pending_inbox.where(InboxUpdate.chat_id.is_(None)).values(
            status="skipped", processed_at=now
        ),
        "outbox expired": pending_outbox.where(
            or_(
                OutboxMessage.created_at < now - STAFF_MESSAGE_MAX_AGE,
                OutboxMessage.source_update_id.is_not(None)
                & (OutboxMessage.created_at < now - BOT_REPLY_MAX_AGE),
            )
        ).values(status="expired"),
    }
    counts: dict[str, int] = {}
    for name, statement in statements.items():
        result = await session.execute(statement.execution_options(synchronize_session=False))
        counts[name] = result.rowcount or 0  # type: ignore[attr-defined]
    counts["inbox expired"] = await _expire_old_updates(session, now)
    if any(counts.values()):
        log.info("retention: final status for %s", ", ".join(f"{v} {k}" for k, v in counts.items()))
    return counts


def _is_erasure(payload: dict[str, Any]) -> bool:
    """The user's confirmed /delete (the button that erases everything)."""
    query = payload.get("callback_query")
    return isinstance(query, dict) and query.get("data") == callbacks.delete(True)


async def _expire_old_updates(session: AsyncSession, now: dt.datetime) -> int:
    """Give up on updates unprocessed for `INBOX_MAX_AGE`, but never on an erasure."""
    old = (
        await session.execute(
            select(InboxUpdate.update_id, InboxUpdate.payload).where(
                InboxUpdate.status == "pending",
                InboxUpdate.chat_id.is_not(None),
                InboxUpdate.received_at < now - INBOX_MAX_AGE,
            )
        )
    ).all()
    expired = [update_id for update_id, payload in old if not _is_erasure(payload)]
    if len(expired) < len(old):
        log.warning(
            "retention: %d /delete request(s) still wait after %d days (is Rasa's tracker "
            "store reachable?); they stay pending until they are done",
            len(old) - len(expired),
            INBOX_MAX_AGE.days,
        )
    if expired:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id.in_(expired))
            .values(status="expired", processed_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(expired)


async def purge(session: AsyncSession, retention_days: int) -> dict[str, int]:
    now = utcnow()
    expired = await expire_undeliverable(session, now)
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
    return {**expired, **counts}
