"""What /privacy promises: old conversations go, open cases and recent chats stay."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from bot.db.models import Case, Chat, ConversationMessage, InboxUpdate, OutboxMessage, utcnow
from bot.storage import retention

LONG_AGO = utcnow() - dt.timedelta(days=400)


def _case(chat_id: int, status: str, closed_at: dt.datetime | None = None) -> Case:
    return Case(
        chat_id=chat_id,
        status=status,
        topic="housing",
        language="de",
        description="…",
        contact="telegram",
        transcript={"messages": []},
        closed_at=closed_at,
    )


async def test_purge_deletes_old_data_but_keeps_recent_chats_and_open_cases(
    sessions: Any, chat_id: int
) -> None:
    silent, waiting, active = chat_id, chat_id + 1_000_000_000, chat_id + 2_000_000_000
    async with sessions.begin() as session:
        session.add_all(
            [
                Chat(id=silent, pseudonym=f"s{silent}", last_seen_at=LONG_AGO),
                Chat(id=waiting, pseudonym=f"w{waiting}", last_seen_at=LONG_AGO),
                Chat(id=active, pseudonym=f"a{active}"),
            ]
        )
        await session.flush()
        session.add_all(
            [
                ConversationMessage(
                    chat_id=silent, direction="in", text="alt", created_at=LONG_AGO
                ),
                ConversationMessage(
                    chat_id=active, direction="in", text="alt", created_at=LONG_AGO
                ),
                ConversationMessage(chat_id=active, direction="in", text="neu"),
                _case(waiting, "open"),
                _case(active, "resolved", closed_at=LONG_AGO),
                InboxUpdate(
                    update_id=silent,
                    chat_id=active,
                    payload={},
                    status="done",
                    received_at=LONG_AGO,
                ),
                InboxUpdate(update_id=active, chat_id=active, payload={}, status="pending"),
                OutboxMessage(
                    chat_id=active,
                    method="sendMessage",
                    payload={},
                    status="sent",
                    created_at=LONG_AGO,
                ),
            ]
        )
    async with sessions.begin() as session:
        await retention.purge(session, retention_days=180)
    async with sessions() as session:
        chats = set(
            (
                await session.scalars(select(Chat.id).where(Chat.id.in_([silent, waiting, active])))
            ).all()
        )
        texts = (
            await session.scalars(
                select(ConversationMessage.text).where(ConversationMessage.chat_id == active)
            )
        ).all()
        case_statuses = (
            await session.scalars(select(Case.status).where(Case.chat_id.in_([waiting, active])))
        ).all()
        inbox_left = (
            await session.scalars(
                select(InboxUpdate.update_id).where(InboxUpdate.chat_id == active)
            )
        ).all()
        outbox_left = (
            await session.scalars(select(OutboxMessage.id).where(OutboxMessage.chat_id == active))
        ).all()
    assert chats == {waiting, active}  # silent and without an open case: erased
    assert texts == ["neu"]
    assert case_statuses == ["open"]
    assert inbox_left == [active]  # pending and recent: it waits (see test_retention_limits)
    assert outbox_left == []
