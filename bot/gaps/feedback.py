"""'Helped / didn't help' per answer and language, counted by the database.

The bot logs each press as a message with intent `feedback.helped` or `feedback.not_helped`
and the answer's content key; "didn't help" also offers a person (see the router). E1's
content matrix may show these counts too: `feedback_counts` is the one place that reads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ConversationMessage

HELPED = "feedback.helped"
NOT_HELPED = "feedback.not_helped"


@dataclass
class Feedback:
    key: str
    language: str
    helped: int = 0
    not_helped: int = 0

    @property
    def total(self) -> int:
        return self.helped + self.not_helped

    @property
    def helped_share(self) -> float:
        return self.helped / self.total if self.total else 0.0


async def feedback_counts(
    session: AsyncSession,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[Feedback]:
    """Counts per (content key, language), most "didn't help" first."""
    m = ConversationMessage
    query = (
        select(m.content_key, m.language, m.intent, func.count())
        .where(m.direction == "in", m.intent.in_((HELPED, NOT_HELPED)))
        .where(m.content_key.is_not(None))
        .group_by(m.content_key, m.language, m.intent)
    )
    if start is not None:
        query = query.where(m.created_at >= start)
    if end is not None:
        query = query.where(m.created_at < end)
    found: dict[tuple[str, str], Feedback] = {}
    for key, language, intent, count in await session.execute(query):
        name, lang = str(key), language or ""
        row = found.setdefault((name, lang), Feedback(name, lang))
        if intent == HELPED:
            row.helped += count
        else:
            row.not_helped += count
    return sorted(found.values(), key=lambda f: (-f.not_helped, -f.total, f.key, f.language))
