"""Open cases nobody has touched for too long go to the administrators, once.

A case stays open until a person resolves it, and an open case keeps its chat (and the
conversation it holds) from being erased by retention. So a forgotten case would keep a young
person's data for ever and leave them without an answer. After `OPEN_CASE_MAX_DAYS` without
any activity (no message, reply, claim, note or status change) the daily retention run marks
it `escalated_at`, writes a case event and an audit line, and tells the staff group (case
number and topic only, never what the user wrote).

What happens next is a person's decision, never the machine's: the case stays open and is
listed as overdue on the admin page until somebody resolves it; then the normal retention
period starts from `closed_at`. A case is escalated once, even if it is reopened later.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.db.models import Case, CaseEvent, utcnow
from bot.i18n import t
from bot.replies import Reply
from bot.storage import audit, cases, outbox
from bot.storage.cases import OPEN_STATUSES
from bot.telegram.payloads import reply_to_bot_api

logger = logging.getLogger(__name__)

ACTOR = "system"  # the audit log's name for what retention does on its own


def _quiet_since(
    column: InstrumentedAttribute[dt.datetime | None], horizon: dt.datetime
) -> ColumnElement[bool]:
    return or_(column.is_(None), column < horizon)


async def escalate_overdue(
    session: AsyncSession,
    max_days: int,
    staff_chat_id: int | None = None,
    staff_language: str = "de",
    now: dt.datetime | None = None,
) -> list[int]:
    """Escalate every open case quiet for `max_days`; the ids of the cases escalated now."""
    horizon = (now or utcnow()) - dt.timedelta(days=max_days)
    recent_event = exists(
        select(CaseEvent.id).where(CaseEvent.case_id == Case.id, CaseEvent.at >= horizon)
    )
    overdue = list(
        await session.scalars(
            select(Case)
            .where(
                Case.status.in_(OPEN_STATUSES),
                Case.escalated_at.is_(None),
                Case.created_at < horizon,
                _quiet_since(Case.last_user_message_at, horizon),
                _quiet_since(Case.claimed_at, horizon),
                _quiet_since(Case.first_response_at, horizon),
                ~recent_event,
            )
            .order_by(Case.id)
            .with_for_update(skip_locked=True)
        )
    )
    for found in overdue:
        found.escalated_at = now or utcnow()
        cases.add_event(session, found.id, "escalated")
        audit.record(session, ACTOR, "escalate", found.id, f"OPEN_CASE_MAX_DAYS={max_days}")
        if staff_chat_id is not None:
            _notify_staff(session, found, max_days, staff_chat_id, staff_language)
    if overdue:
        logger.info(
            "retention: escalated %d open cases quiet for %d days: %s",
            len(overdue),
            max_days,
            ", ".join(cases.case_number(found.id) for found in overdue),
        )
    return [found.id for found in overdue]


def _notify_staff(
    session: AsyncSession, found: Case, max_days: int, staff_chat_id: int, language: str
) -> None:
    """'Case GK-00012 open for 60 days without activity · topic' — never user text."""
    number = cases.case_number(found.id)
    parts = [
        t("staff.case_overdue", language, case_number=number, days=max_days),
        t(f"topic.{found.topic}", language),
    ]
    notice = Reply("staff.case_overdue", " · ".join(parts), language)
    for method, payload in reply_to_bot_api(notice, staff_chat_id):
        outbox.enqueue(session, staff_chat_id, method, payload)


async def overdue_cases(session: AsyncSession) -> list[Case]:
    """What the admin page lists: escalated cases nobody has resolved yet, oldest first."""
    return list(
        await session.scalars(
            select(Case)
            .where(Case.status.in_(OPEN_STATUSES), Case.escalated_at.is_not(None))
            .order_by(Case.escalated_at, Case.id)
        )
    )
