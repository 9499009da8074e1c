"""Adding a gap group's wordings as training examples of an existing answer.

Rows go into `training_examples` (source `gap`, intent `ask_<short key>`); the next retrain
learns them. The wordings are read again from the database by their references — the form
only names them — and masked, so no phone number or e-mail address is ever learnt.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, ConversationMessage, TrainingExample
from bot.redact import mask_contacts

SOURCE = "gap"
MAX_WORDINGS = 50
MAX_CHARS = 500  # a training example is a question, not a letter
_REF = re.compile(r"([mc])(\d{1,18})")


def intent_of(full_key: str) -> str:
    return f"ask_{full_key.split('.', 1)[-1]}"


def parse_refs(refs: list[str]) -> tuple[list[int], list[int]]:
    """Message ids and case ids from 'm12' / 'c3' references; anything else is ignored."""
    messages: list[int] = []
    cases: list[int] = []
    for ref in refs[:MAX_WORDINGS]:
        match = _REF.fullmatch(ref.strip())
        if match:
            (messages if match[1] == "m" else cases).append(int(match[2]))
    return messages, cases


async def wordings(session: AsyncSession, refs: list[str]) -> list[tuple[str, str]]:
    """(language, masked text) of the referenced questions, duplicates removed."""
    message_ids, case_ids = parse_refs(refs)
    found: list[tuple[str, str]] = []
    if message_ids:
        m = ConversationMessage
        rows = await session.execute(
            select(m.language, m.text).where(m.id.in_(message_ids), m.direction == "in")
        )
        found += [(language or "", text) for language, text in rows]
    if case_ids:
        rows = await session.execute(
            select(Case.language, Case.description).where(Case.id.in_(case_ids))
        )
        found += [(language or "", text) for language, text in rows]
    unique: dict[str, tuple[str, str]] = {}
    for language, text in found:
        clean = mask_contacts(" ".join(text.split()))[:MAX_CHARS]
        if clean:
            unique.setdefault(clean.casefold(), (language, clean))
    return list(unique.values())


async def add_examples(
    session: AsyncSession, full_key: str, refs: list[str], author_id: int | None
) -> int:
    """Training examples for `full_key` from the referenced wordings; returns how many were
    new (a wording already taught for that intent is not added twice)."""
    intent = intent_of(full_key)
    existing = {
        text.casefold()
        for text in await session.scalars(
            select(TrainingExample.text).where(TrainingExample.intent == intent)
        )
    }
    added = 0
    for language, text in await wordings(session, refs):
        if text.casefold() in existing:
            continue
        session.add(
            TrainingExample(
                intent=intent, language=language, text=text, source=SOURCE, author_id=author_id
            )
        )
        existing.add(text.casefold())
        added += 1
    return added
