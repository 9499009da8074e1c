"""Cases for caseworkers: opened from the chat, worked in the dashboard (status, assignee)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, ConversationMessage

STATUSES = (
    "open",
    "in_progress",
    "waiting_for_user",
    "closed",
)  # the dashboard moves cases along these
OPEN_STATUSES = ("open", "in_progress", "waiting_for_user")
TRANSCRIPT_MESSAGES = 30


def case_number(case_id: int) -> str:
    """What users and caseworkers say on the phone: short and unambiguous."""
    return f"GK-{case_id:05d}"


async def open_case(
    session: AsyncSession,
    chat_id: int,
    *,
    topic: str,
    language: str,
    description: str,
    contact: str,
    source_update_id: int | None,
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
                "time": m.created_at.isoformat(),
                "direction": m.direction,
                "text": m.text,
                "content_key": m.content_key,
            }
            for m in reversed(recent)
        ]
    }
    case = Case(
        chat_id=chat_id,
        topic=topic,
        language=language,
        description=description,
        contact=contact,
        transcript=transcript,
        source_update_id=source_update_id,
    )
    session.add(case)
    await session.flush()
    return case


async def cases_of_chat(session: AsyncSession, chat_id: int, only_open: bool = True) -> list[Case]:
    query = select(Case).where(Case.chat_id == chat_id).order_by(Case.id)
    if only_open:
        query = query.where(Case.status.in_(OPEN_STATUSES))
    return list(await session.scalars(query))
