"""Cases in the database: numbers, opening, atomic claiming, status and the history events.

The queue is in `case_queue`, the thread (messages, replies, files) in `case_thread`. The bot
and the dashboard use exactly these functions. Everything a caseworker or the user
does to a case is also written as a `CaseEvent`, which the dashboard shows as the history and
which the response-time figures are computed from.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, CaseEvent, Chat, ConversationMessage, utcnow

STATUSES = ("open", "in_progress", "waiting_for_user", "resolved")
OPEN_STATUSES = ("open", "in_progress", "waiting_for_user")
TRANSCRIPT_MESSAGES = 30
_CASE_NUMBER = re.compile(r"^\s*(?:GK-?)?0*(\d{1,9})\s*$", re.IGNORECASE)


def case_number(case_id: int) -> str:
    """What users and caseworkers say on the phone: short and unambiguous."""
    return f"GK-{case_id:05d}"


def parse_case_number(text: str) -> int | None:
    match = _CASE_NUMBER.match(text)
    return int(match[1]) if match else None


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def add_event(
    session: AsyncSession,
    case_id: int,
    kind: str,
    actor: str | None = None,
    text: str | None = None,
) -> CaseEvent:
    event = CaseEvent(case_id=case_id, kind=kind, actor=actor, text=text)
    session.add(event)
    return event


# --- opening ---------------------------------------------------------------------------


async def open_case(
    session: AsyncSession,
    chat_id: int,
    *,
    topic: str,
    language: str,
    description: str,
    contact: str = "telegram",
    source_update_id: int | None,
    reason: str = "request",
    urgency: int = 0,
    deadline: dt.date | None = None,
) -> Case:
    """Open a case with the conversation so far; one per update, however often it is replayed."""
    if source_update_id is not None:
        existing = await session.scalar(
            select(Case).where(Case.source_update_id == source_update_id)
        )
        if existing is not None:
            return existing
    recent = list(
        await session.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.chat_id == chat_id)
            .order_by(ConversationMessage.id.desc())
            .limit(TRANSCRIPT_MESSAGES)
        )
    )
    transcript = {
        "messages": [
            {
                "time": aware(m.created_at).isoformat(),
                "direction": m.direction,
                "text": m.text,
                "content_key": m.content_key,
            }
            for m in reversed(recent)
        ]
    }
    new = Case(
        chat_id=chat_id,
        topic=topic,
        language=language,
        description=description,
        contact=contact,
        transcript=transcript,
        source_update_id=source_update_id,
        reason=reason,
        urgency=urgency,
        deadline=deadline,
    )
    session.add(new)
    await session.flush()
    add_event(session, new.id, "opened", text=reason)
    return new


async def cases_of_chat(session: AsyncSession, chat_id: int, only_open: bool = True) -> list[Case]:
    query = select(Case).where(Case.chat_id == chat_id).order_by(Case.id)
    if only_open:
        query = query.where(Case.status.in_(OPEN_STATUSES))
    return list(await session.scalars(query))


async def newest_open_case(session: AsyncSession, chat_id: int) -> Case | None:
    return await session.scalar(
        select(Case)
        .where(Case.chat_id == chat_id, Case.status.in_(OPEN_STATUSES))
        .order_by(Case.id.desc())
        .limit(1)
    )


# --- claiming --------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    holder: str | None  # who has the case now (the winner, or whoever was faster)


async def claim(session: AsyncSession, case_id: int, staff: str) -> ClaimResult:
    """Atomic: a conditional UPDATE, so of two simultaneous claims exactly one matches."""
    now = utcnow()
    result = await session.execute(
        update(Case)
        .where(
            Case.id == case_id,
            Case.assignee.is_(None),
            Case.status.in_(OPEN_STATUSES),
        )
        .values(
            assignee=staff,
            status=case((Case.status == "open", "in_progress"), else_=Case.status),
            claimed_at=func.coalesce(Case.claimed_at, now),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        add_event(session, case_id, "claimed", staff)
        return ClaimResult(True, staff)
    holder = await session.scalar(select(Case.assignee).where(Case.id == case_id))
    return ClaimResult(False, holder)


async def release(session: AsyncSession, case_id: int, staff: str) -> bool:
    """Give a case back to the queue (only its holder, or an admin via `reassign`)."""
    result = await session.execute(
        update(Case)
        .where(Case.id == case_id, Case.assignee == staff, Case.status.in_(OPEN_STATUSES))
        .values(
            assignee=None,
            status=case((Case.status == "in_progress", "open"), else_=Case.status),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        add_event(session, case_id, "released", staff)
        return True
    return False


async def reassign(session: AsyncSession, case_id: int, staff: str, to: str) -> bool:
    result = await session.execute(
        update(Case)
        .where(Case.id == case_id, Case.status.in_(OPEN_STATUSES))
        .values(
            assignee=to,
            status=case((Case.status == "open", "in_progress"), else_=Case.status),
            claimed_at=func.coalesce(Case.claimed_at, utcnow()),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        add_event(session, case_id, "reassigned", staff, to)
        return True
    return False


# --- status, replies, the thread -------------------------------------------------------


async def set_status(session: AsyncSession, target: Case, status: str, staff: str | None) -> bool:
    """Move a case along its states; False if it already is there."""
    if status not in STATUSES:
        raise ValueError(f"unknown case status {status!r}")
    if target.status == status:
        return False
    now = utcnow()
    target.status = status
    target.updated_at = now
    target.closed_at = now if status == "resolved" else None
    add_event(session, target.id, "status", staff, status)
    return True


async def chat_of(session: AsyncSession, target: Case) -> Chat | None:
    return await session.get(Chat, target.chat_id)
