"""Cases in the database: opening, the queue, atomic claiming, the thread and the history.

The bot and the dashboard use exactly these functions. Everything a caseworker or the user
does to a case is also written as a `CaseEvent`, which the dashboard shows as the history and
which the response-time figures are computed from.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass

from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, CaseAttachment, CaseEvent, Chat, ConversationMessage, utcnow

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


# --- the queue -------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    statuses: tuple[str, ...] = OPEN_STATUSES
    topic: str | None = None
    language: str | None = None
    assignee: str | None = None  # "mine": the signed-in caseworker's name
    limit: int = 200
    offset: int = 0  # paging through a long queue


def _queue_order(query: Select[Case]) -> Select[Case]:
    """Most urgent first; among equals the nearest deadline, then the longest waiting."""
    no_deadline = case((Case.deadline.is_(None), 1), else_=0)
    return query.order_by(Case.urgency.desc(), no_deadline, Case.deadline, Case.created_at, Case.id)


async def queue(session: AsyncSession, where: QueueFilter) -> list[Case]:
    query = select(Case).where(Case.status.in_(where.statuses))
    if where.topic:
        query = query.where(Case.topic == where.topic)
    if where.language:
        query = query.where(Case.language == where.language)
    if where.assignee:
        query = query.where(Case.assignee == where.assignee)
    return list(await session.scalars(_queue_order(query).limit(where.limit).offset(where.offset)))


async def counts_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Case.status, func.count()).group_by(Case.status))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: count for status, count in rows})
    return counts


async def place_in_queue(session: AsyncSession, target: Case) -> int | None:
    """1 for the next case a caseworker takes; None once somebody has it."""
    if target.status != "open" or target.assignee is not None:
        return None
    no_deadline = 1 if target.deadline is None else 0
    target_deadline = target.deadline or dt.date.max
    ahead = await session.scalar(
        select(func.count())
        .select_from(Case)
        .where(
            Case.status == "open",
            Case.assignee.is_(None),
            Case.id != target.id,
            or_(
                Case.urgency > target.urgency,
                and_(
                    Case.urgency == target.urgency,
                    or_(
                        case((Case.deadline.is_(None), 1), else_=0) < no_deadline,
                        and_(
                            case((Case.deadline.is_(None), 1), else_=0) == no_deadline,
                            or_(
                                func.coalesce(Case.deadline, dt.date.max) < target_deadline,
                                and_(
                                    func.coalesce(Case.deadline, dt.date.max) == target_deadline,
                                    Case.created_at < target.created_at,
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        )
    )
    return int(ahead or 0) + 1


async def median_first_response(
    session: AsyncSession, days: int = 30, now: dt.datetime | None = None
) -> dt.timedelta | None:
    """Typical time from opening to the first caseworker reply, over recent cases."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    rows = await session.execute(
        select(Case.created_at, Case.first_response_at).where(
            Case.first_response_at.is_not(None), Case.created_at >= since
        )
    )
    waits = [
        (aware(answered) - aware(opened)).total_seconds()
        for opened, answered in rows
        if answered is not None
    ]
    if not waits:
        return None
    return dt.timedelta(seconds=statistics.median(waits))


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


def record_reply(session: AsyncSession, target: Case, staff: str, text: str) -> None:
    """A caseworker answered: the first answer is what 'time to first answer' measures."""
    now = utcnow()
    if target.first_response_at is None:
        target.first_response_at = now
    if target.status in {"open", "in_progress"}:
        target.status = "waiting_for_user"
    target.updated_at = now
    session.add(
        ConversationMessage(
            chat_id=target.chat_id,
            direction="out",
            text=text,
            language=target.language,
            content_key="case.reply",
            case_id=target.id,
        )
    )
    add_event(session, target.id, "replied", staff, text)


def add_user_message(
    session: AsyncSession, target: Case, text: str, update_id: int | None
) -> ConversationMessage:
    """What the user wrote while the case is open goes into its thread."""
    now = utcnow()
    target.last_user_message_at = now
    target.updated_at = now
    if target.status == "waiting_for_user":
        target.status = "in_progress" if target.assignee else "open"
    row = ConversationMessage(
        chat_id=target.chat_id,
        direction="in",
        text=text,
        language=target.language,
        content_key="case.user_message",
        case_id=target.id,
        update_id=update_id,
    )
    session.add(row)
    return row


@dataclass
class ThreadEntry:
    """One line on the case page: a message of the conversation or the case thread."""

    at: dt.datetime
    direction: str  # in | out
    text: str
    content_key: str | None
    in_thread: bool  # written after the case was opened
    attachment_id: int | None = None


async def thread(session: AsyncSession, target: Case) -> list[ThreadEntry]:
    """The conversation before the case (snapshot) and everything since, in order."""
    entries = [
        ThreadEntry(
            dt.datetime.fromisoformat(m["time"]),
            m["direction"],
            m["text"],
            m.get("content_key"),
            in_thread=False,
        )
        for m in (target.transcript or {}).get("messages", [])
    ]
    messages = await session.scalars(
        select(ConversationMessage)
        .where(ConversationMessage.case_id == target.id)
        .order_by(ConversationMessage.id)
    )
    for m in messages:
        entries.append(
            ThreadEntry(aware(m.created_at), m.direction, m.text, m.content_key, in_thread=True)
        )
    attachments = await session.execute(
        select(CaseAttachment.id, CaseAttachment.created_at, CaseAttachment.file_name).where(
            CaseAttachment.case_id == target.id
        )
    )
    for attachment_id, created_at, file_name in attachments:
        entries.append(
            ThreadEntry(
                aware(created_at),
                "in",
                file_name,
                "case.attachment",
                in_thread=True,
                attachment_id=attachment_id,
            )
        )
    entries.sort(key=lambda e: e.at)
    return entries


async def events(session: AsyncSession, case_id: int) -> list[CaseEvent]:
    return list(
        await session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
    )


async def add_attachment(
    session: AsyncSession,
    target: Case,
    *,
    file_name: str,
    media_type: str,
    data: bytes,
    update_id: int | None,
) -> CaseAttachment:
    """A photo or document for the case; one per update, however often it is replayed."""
    if update_id is not None:
        existing = await session.scalar(
            select(CaseAttachment).where(CaseAttachment.update_id == update_id)
        )
        if existing is not None:
            return existing
    row = CaseAttachment(
        case_id=target.id,
        file_name=file_name[:200],
        media_type=media_type,
        size=len(data),
        data=data,
        update_id=update_id,
    )
    session.add(row)
    now = utcnow()
    target.last_user_message_at = now
    target.updated_at = now
    if target.status == "waiting_for_user":
        target.status = "in_progress" if target.assignee else "open"
    await session.flush()
    add_event(session, target.id, "attachment", None, file_name[:200])
    return row


async def chat_of(session: AsyncSession, target: Case) -> Chat | None:
    return await session.get(Chat, target.chat_id)
