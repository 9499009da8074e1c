"""Asking for the user's residence paper when an answer has variants for it — once, optionally.

The question comes as its own short message right after the first answer that has a
variant for the paper; the user picks one (stored in `chats.residence_status` until
/delete or /paper) or skips (nothing stored). Skipped or ignored, it is not asked again
in this chat for `ASK_AGAIN_AFTER`: the log of the question itself (`paper.ask`) is the
memory, so nothing else about the user is kept. /paper asks at any time.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.store import ContentStore
from bot.content.variants import STATUSES
from bot.db.models import Chat, ConversationMessage, utcnow
from bot.replies import Reply, compose

ASK_AGAIN_AFTER = dt.timedelta(days=30)
QUESTION_KEY = "paper.ask"


async def question_after(
    session: AsyncSession, store: ContentStore, chat: Chat, replies: list[Reply]
) -> Reply | None:
    """The paper question to send after `replies`, or None (known, asked lately, no variant)."""
    if chat.residence_status in STATUSES:
        return None
    answer = next((r for r in replies if compose.variant_statuses(store, r.key, r.language)), None)
    if answer is None:
        return None
    m = ConversationMessage
    asked = await session.scalar(
        select(m.id)
        .where(
            m.chat_id == chat.id,
            m.direction == "out",
            m.content_key == QUESTION_KEY,
            m.created_at >= utcnow() - ASK_AGAIN_AFTER,
        )
        .limit(1)
    )
    if asked is not None:
        return None
    return compose.paper_question(answer.language, answer.key)


def stored_choice(choice: str) -> str | None:
    """What `chats.residence_status` holds after the user's choice: skip keeps nothing."""
    return choice if choice in STATUSES else None
