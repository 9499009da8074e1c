"""A case's thread: what the user writes into an open case, what caseworkers answer, the
files sent for it, and the history shown on the case page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, CaseAttachment, CaseEvent, ConversationMessage, utcnow
from bot.storage.cases import add_event, aware


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


def _user_wrote(target: Case) -> None:
    """The user answered: the case is no longer waiting for them."""
    now = utcnow()
    target.last_user_message_at = now
    target.updated_at = now
    if target.status == "waiting_for_user":
        target.status = "in_progress" if target.assignee else "open"


def add_user_message(
    session: AsyncSession, target: Case, text: str, update_id: int | None
) -> ConversationMessage:
    """What the user wrote while the case is open goes into its thread."""
    _user_wrote(target)
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
    _user_wrote(target)
    await session.flush()
    add_event(session, target.id, "attachment", None, file_name[:200])
    return row
