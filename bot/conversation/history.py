"""Reading the conversation log for a new case: what the user wrote, what it was about.

An offer ("shall I pass this on?") is about a message the user typed before. When they tap
yes, that message becomes the case's description, so the caseworker sees the question itself
rather than "yes". Button presses, commands and non-text messages are logged with a dotted
intent (`button.handoff`, `command.human`, `non_text.photo`) and are never a description.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ConversationMessage
from bot.replies.callbacks import HANDOFF_TOPICS

LOOK_BACK = 20


def _typed_by_user() -> list[object]:
    return [
        ConversationMessage.direction == "in",
        ConversationMessage.case_id.is_(None),
        or_(ConversationMessage.intent.is_(None), ConversationMessage.intent.not_like("%.%")),
        ConversationMessage.text.not_like("r:%"),  # buttons answered through Rasa
    ]


async def text_of_update(session: AsyncSession, chat_id: int, update_id: int) -> str | None:
    """What the user typed in update `update_id` (None if it was no typed message)."""
    rows = await session.scalars(
        select(ConversationMessage.text).where(
            ConversationMessage.chat_id == chat_id,
            ConversationMessage.update_id == update_id,
            *_typed_by_user(),  # type: ignore[arg-type]
        )
    )
    found = next((text for text in rows if text.strip()), None)
    return found


async def last_typed_text(session: AsyncSession, chat_id: int) -> str | None:
    """The user's most recent typed message outside a case thread."""
    rows = await session.scalars(
        select(ConversationMessage.text)
        .where(ConversationMessage.chat_id == chat_id, *_typed_by_user())  # type: ignore[arg-type]
        .order_by(ConversationMessage.id.desc())
        .limit(LOOK_BACK)
    )
    return next((text for text in rows if text.strip()), None)


async def recent_topic(session: AsyncSession, chat_id: int) -> str | None:
    """The topic of the last answer the user got (`housing.find_flat` -> `housing`)."""
    keys = await session.scalars(
        select(ConversationMessage.content_key)
        .where(
            ConversationMessage.chat_id == chat_id,
            ConversationMessage.direction == "out",
            ConversationMessage.content_key.is_not(None),
        )
        .order_by(ConversationMessage.id.desc())
        .limit(LOOK_BACK)
    )
    for key in keys:
        topic = (key or "").split(".", 1)[0]
        if topic in HANDOFF_TOPICS and topic != "other":
            return topic
    return None
