"""The questions the bot could not answer, read from the conversation log and the cases.

Four kinds, each a user's own wording:
- `fallback`: the bot replied with a fallback (`fallback.*`: "say it in other words", "I can
  help with …") or the question was near out of scope (`handoff.offer_gap`, intent
  `near_out_of_scope`: about refugees' lives, but no answer exists — a local gap);
- `not_helped`: the user pressed "didn't help" under an answer; the wording is the question
  that answer was given to;
- `escalation`: a case opened because of a gap, an unclear question or "didn't help"
  (reason gap / unclear / feedback); a case about a question already listed marks that
  question as escalated instead of counting it twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import Case, ConversationMessage

FALLBACK_KEY_PREFIX = "fallback."
GAP_KEYS = ("handoff.offer_gap",)
FALLBACK_INTENTS = ("nlu_fallback", "near_out_of_scope")
ESCALATION_REASONS = ("gap", "unclear", "feedback")
# Rows logged for buttons, commands and other non-questions.
NOT_TYPED_PREFIXES = ("button.", "command.", "feedback.", "non_text.")
RASA_BUTTON_PREFIX = "r:/"  # callback data of a button forwarded to Rasa
MAX_QUESTIONS = 2000  # newest first; older ones in a very busy range are left out
FEEDBACK_LOOKBACK = dt.timedelta(days=1)  # the question an answer was given to


@dataclass
class Question:
    ref: str  # "m<message id>" or "c<case id>": what the editor's forms send back
    message_id: int | None
    chat_id: int  # only to tie cases to questions; never shown or exported
    text: str
    language: str
    created_at: dt.datetime
    kind: str  # fallback | not_helped | escalation
    topic: str | None = None
    content_key: str | None = None  # not_helped: the answer that did not help
    escalated: bool = False


def _typed(m: type[ConversationMessage]) -> list[ColumnElement[bool]]:
    """Rows the user typed (not buttons, commands or stickers)."""
    conditions = [m.direction == "in", ~m.text.startswith(RASA_BUTTON_PREFIX)]
    conditions += [
        or_(m.intent.is_(None), ~m.intent.startswith(prefix)) for prefix in NOT_TYPED_PREFIXES
    ]
    return conditions


async def _fallbacks(session: AsyncSession, *where: ColumnElement[bool]) -> list[Question]:
    """Typed questions the bot fell back on, among the messages `where` selects."""
    m = ConversationMessage
    reply = aliased(ConversationMessage)
    fell_back = exists().where(
        reply.chat_id == m.chat_id,
        reply.update_id == m.update_id,
        reply.direction == "out",
        or_(reply.content_key.startswith(FALLBACK_KEY_PREFIX), reply.content_key.in_(GAP_KEYS)),
    )
    query = (
        select(m)
        .where(*where, *_typed(m))
        .where(or_(m.intent.in_(FALLBACK_INTENTS), and_(m.update_id.is_not(None), fell_back)))
        .order_by(m.created_at.desc())
        .limit(MAX_QUESTIONS)
    )
    rows = (await session.scalars(query)).all()
    return [
        Question(f"m{r.id}", r.id, r.chat_id, r.text, r.language or "", r.created_at, "fallback")
        for r in rows
    ]


def _short(key: str) -> str:
    return key.split(".", 1)[-1]


async def _not_helped(session: AsyncSession, *where: ColumnElement[bool]) -> list[Question]:
    """The questions answered by an answer that "didn't help", for the presses `where` selects.

    Two queries, not one per click: the clicks, then every candidate question of those
    chats (the shared event loop and pool must not wait for thousands of look-ups).
    """
    m = ConversationMessage
    clicks = (
        await session.scalars(
            select(m)
            .where(*where, m.intent == "feedback.not_helped")
            .order_by(m.created_at.desc())
            .limit(MAX_QUESTIONS)
        )
    ).all()
    if not clicks:
        return []
    intents = {f"ask_{_short(click.content_key or '')}" for click in clicks}
    candidates = (
        await session.scalars(
            select(m)
            .where(
                m.chat_id.in_({click.chat_id for click in clicks}),
                m.intent.in_(intents),
                m.created_at > min(click.created_at for click in clicks) - FEEDBACK_LOOKBACK,
                m.created_at <= max(click.created_at for click in clicks),
                *_typed(m),
            )
            .order_by(m.id.desc())
        )
    ).all()
    asked_in: dict[tuple[int, str | None], list[ConversationMessage]] = {}
    for candidate in candidates:  # newest first
        asked_in.setdefault((candidate.chat_id, candidate.intent), []).append(candidate)
    found: list[Question] = []
    for click in clicks:
        key = click.content_key or ""
        asked = next(
            (
                q
                for q in asked_in.get((click.chat_id, f"ask_{_short(key)}"), [])
                if q.id < click.id
                and click.created_at - FEEDBACK_LOOKBACK < q.created_at <= click.created_at
            ),
            None,
        )
        if asked is None:
            continue
        found.append(
            Question(
                f"m{asked.id}",
                asked.id,
                asked.chat_id,
                asked.text,
                click.language or asked.language or "",
                click.created_at,
                "not_helped",
                topic=key.split(".", 1)[0] if "." in key else None,
                content_key=key,
            )
        )
    return found


async def _escalations(session: AsyncSession, start: dt.datetime, end: dt.datetime) -> list[Case]:
    query = (
        select(Case)
        .where(
            Case.created_at >= start,
            Case.created_at < end,
            Case.reason.in_(ESCALATION_REASONS),
        )
        .order_by(Case.created_at.desc())
        .limit(MAX_QUESTIONS)
    )
    return list((await session.scalars(query)).all())


async def unanswered(session: AsyncSession, start: dt.datetime, end: dt.datetime) -> list[Question]:
    """Every unanswered question in [start, end), newest first, each listed once."""
    m = ConversationMessage
    questions = await _fallbacks(session, m.created_at >= start, m.created_at < end)
    seen = {q.ref for q in questions}
    presses = await _not_helped(session, m.created_at >= start, m.created_at < end)
    questions += [q for q in presses if q.ref not in seen]
    by_wording = {(q.chat_id, " ".join(q.text.split())): q for q in questions}
    for case in await _escalations(session, start, end):
        topic = None if case.topic == "other" else case.topic
        same = by_wording.get((case.chat_id, " ".join(case.description.split())))
        if same is not None:
            same.escalated = True
            same.topic = same.topic or topic
            continue
        questions.append(
            Question(
                f"c{case.id}",
                None,
                case.chat_id,
                case.description,
                case.language,
                case.created_at,
                "escalation",
                topic=topic,
                escalated=True,
            )
        )
    questions.sort(key=lambda q: q.created_at, reverse=True)
    return questions[:MAX_QUESTIONS]


async def among(session: AsyncSession, message_ids: Iterable[int]) -> list[Question]:
    """The unanswered questions among `message_ids`, at any date: the only messages an
    editor's form may name (to teach them or to tell their askers). Everything else a
    crafted form names — another user's message, a case — is not among them."""
    ids = set(sorted({int(i) for i in message_ids})[:MAX_QUESTIONS])
    if not ids:
        return []
    m = ConversationMessage
    questions = await _fallbacks(session, m.id.in_(ids))
    found = {q.message_id for q in questions}
    asked = (await session.execute(select(m.chat_id, m.created_at).where(m.id.in_(ids)))).all()
    if asked:
        presses = await _not_helped(
            session,
            m.chat_id.in_({chat_id for chat_id, _ in asked}),
            m.created_at >= min(at for _, at in asked),
            m.created_at < max(at for _, at in asked) + FEEDBACK_LOOKBACK,
        )
        for question in presses:
            if question.message_id in ids and question.message_id not in found:
                questions.append(question)
                found.add(question.message_id)
    return questions
