"""Adding a gap group's wordings as training examples of an existing answer.

Rows go into `training_examples` (source `gap`, intent `ask_<short key>`); the next retrain
learns them. The wordings are read again from the database by their references — the form
only names them, and only unanswered questions count — and masked, so no phone number or
e-mail address is ever learnt.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import TrainingExample
from bot.gaps.questions import among
from bot.redact import mask_contacts

SOURCE = "gap"
MAX_WORDINGS = 50
MAX_CHARS = 500  # a training example is a question, not a letter
_REF = re.compile(r"m(\d{1,18})")


def intent_of(full_key: str) -> str:
    return f"ask_{full_key.split('.', 1)[-1]}"


def parse_refs(refs: list[str]) -> list[int] | None:
    """Message ids from 'm12' references; None when any reference is something else (a case
    'c3' included: case texts stay with the caseworkers and are never taught)."""
    messages: list[int] = []
    for ref in refs[:MAX_WORDINGS]:
        match = _REF.fullmatch(ref.strip())
        if match is None:
            return None
        messages.append(int(match[1]))
    return messages


async def wordings(session: AsyncSession, refs: list[str]) -> list[tuple[str, str]]:
    """(language, masked text) of the referenced questions, duplicates removed.

    Only unanswered questions (`questions.among`): a reference to any other message or to a
    case yields nothing, however the form was made.
    """
    message_ids = [
        int(match[1]) for ref in refs[:MAX_WORDINGS] if (match := _REF.fullmatch(ref.strip()))
    ]
    found = [(q.language, q.text) for q in await among(session, message_ids)]
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
