"""Caseworkers working a case through the desk: claiming (atomically), answering, resolving.

Runs on SQLite and on PostgreSQL. The claim race is repeated many times with two real
concurrent transactions, because a race that is right once proves little.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import select

from bot.cases.desk import CaseDesk, NotAllowed, Staff
from bot.db.models import AuditEvent, Case, CaseEvent, Chat, OutboxMessage, utcnow
from bot.storage import case_queue, cases

ANNA = Staff("anna", "Anna")
BEN = Staff("ben", "Ben")


async def _open(sessions: Any, chat_id: int, **extra: Any) -> int:
    async with sessions.begin() as session:
        if await session.get(Chat, chat_id) is None:
            session.add(Chat(id=chat_id, pseudonym=f"p{chat_id}", language="en"))
            await session.flush()
        opened = await cases.open_case(
            session,
            chat_id,
            topic="bureaucracy",
            language="en",
            description="letter from the BAMF",
            source_update_id=None,
            **extra,
        )
        return opened.id


async def _outbox_texts(sessions: Any, chat_id: int) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return [row.payload["text"] for row in rows]


async def test_two_caseworkers_claiming_at_once_always_leaves_exactly_one_winner(
    sessions: Any, chat_id: int
) -> None:
    desk = CaseDesk(sessions)
    for _ in range(25):
        case_id = await _open(sessions, chat_id)
        first, second = await asyncio.gather(desk.claim(case_id, ANNA), desk.claim(case_id, BEN))
        assert sorted([first.won, second.won]) == [False, True]
        winner = "anna" if first.won else "ben"
        assert first.holder == second.holder == winner
        async with sessions() as session:
            stored = await session.get(Case, case_id)
            assert stored is not None and stored.assignee == winner
            assert stored.status == "in_progress"
            claimed = await session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "claimed")
            )
            assert len(list(claimed)) == 1
    # Exactly one "a person is looking at it" message per case reached the user.
    texts = await _outbox_texts(sessions, chat_id)
    assert sum("is now looking at your case" in text for text in texts) == 25


async def test_a_reply_reaches_the_user_and_resolving_asks_whether_it_helped(
    sessions: Any, chat_id: int
) -> None:
    desk = CaseDesk(sessions)
    case_id = await _open(sessions, chat_id)
    await desk.claim(case_id, ANNA)
    await desk.reply(case_id, ANNA, "Please send me a photo of the letter <b>now</b>.")
    async with sessions() as session:
        stored = await session.get(Case, case_id)
        chat = await session.get(Chat, chat_id)
        assert stored is not None and chat is not None
        assert stored.status == "waiting_for_user"
        assert stored.first_response_at is not None
        assert chat.case_mode_case_id == case_id  # the user's answer goes to the case
    texts = await _outbox_texts(sessions, chat_id)
    assert "<b>Anna</b> (caseworker)" in texts[-1]
    assert "&lt;b&gt;now&lt;/b&gt;" in texts[-1]  # the caseworker's text is text, not markup

    assert await desk.set_status(case_id, ANNA, "resolved")
    texts = await _outbox_texts(sessions, chat_id)
    assert "marked as resolved" in texts[-1]
    async with sessions() as session:
        row = await session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id)
            .order_by(OutboxMessage.id.desc())
        )
        assert row is not None
        buttons = [b["callback_data"] for b in row.payload["reply_markup"]["inline_keyboard"][0]]
        assert buttons == [f"cf:{case_id}:1", f"cf:{case_id}:0"]
        stored = await session.get(Case, case_id)
        assert stored is not None and stored.closed_at is not None
        actions = [
            a.action
            for a in await session.scalars(
                select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
            )
        ]
        assert actions == ["claim", "reply", "status"]

    try:
        await desk.reply(case_id, ANNA, "one more thing")
    except NotAllowed:
        pass
    else:
        raise AssertionError("replying to a resolved case must be refused")
    assert await desk.set_status(case_id, BEN, "open")
    assert "open again" in (await _outbox_texts(sessions, chat_id))[-1]


async def test_the_queue_puts_urgent_and_near_deadlines_first_and_tells_the_place(
    sessions: Any, chat_id: int
) -> None:
    today = utcnow().date()
    old = await _open(sessions, chat_id)
    soon = await _open(sessions, chat_id + 1, urgency=2, deadline=today + dt.timedelta(days=3))
    later = await _open(sessions, chat_id + 2, urgency=2, deadline=today + dt.timedelta(days=9))
    urgent = await _open(sessions, chat_id + 3, urgency=2)
    async with sessions() as session:
        ids = [c.id for c in await case_queue.queue(session, case_queue.QueueFilter(limit=10_000))]
        mine = [i for i in ids if i in {old, soon, later, urgent}]
        assert mine == [soon, later, urgent, old]
        places = {}
        for case_id in (old, soon, later, urgent):
            stored = await session.get(Case, case_id)
            assert stored is not None
            places[case_id] = await case_queue.place_in_queue(session, stored)
        assert places[soon] < places[later] < places[urgent] < places[old]
