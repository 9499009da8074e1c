"""The outbox delivers every message once, in order per chat, through 429s and 5xx."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, update
from telegram import Bot

from bot.db.models import OutboxMessage
from bot.storage import inbox, outbox
from bot.telegram.sender import OutboxSender
from tests.fake_telegram import FakeTelegram


@pytest.fixture(autouse=True)
async def _only_this_tests_messages(sessions: Any) -> None:
    """The database is shared by the session: messages other tests left pending (the case
    desk, the dashboard) would be sent here too and eat the failures a test queues up."""
    async with sessions.begin() as session:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.status == "pending").values(status="sent")
        )


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(telegram.token, base_url=f"{telegram.url}/bot") as bot:
        yield bot


async def enqueue(sessions: Any, chat_id: int, *texts: str) -> None:
    async with sessions.begin() as session:
        for text in texts:
            outbox.enqueue(
                session,
                chat_id,
                "sendMessage",
                {"chat_id": chat_id, "text": text, "parse_mode": "HTML"},
            )


async def deliver(
    sender: OutboxSender, telegram: FakeTelegram, chat_id: int, count: int
) -> list[str]:
    task = asyncio.create_task(sender.run())
    try:
        sent = await telegram.wait_for(chat_id, count, within=20)
    finally:
        sender.stop()
        await task
    return [s.text for s in sent]


async def test_a_flood_limit_delays_the_chat_by_retry_after_and_keeps_the_order(
    sessions: Any, telegram: FakeTelegram, bot: Bot, chat_id: int
) -> None:
    await enqueue(sessions, chat_id, "eins", "zwei", "drei")
    telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    sender = OutboxSender(bot, sessions)
    assert await deliver(sender, telegram, chat_id, 3) == ["eins", "zwei", "drei"]
    send_calls = [at for at, method in telegram.calls if method == "sendMessage"]
    assert send_calls[1] - send_calls[0] >= 1.0  # waited as Telegram asked


async def test_server_errors_are_retried_with_backoff_until_delivered_once(
    sessions: Any, telegram: FakeTelegram, bot: Bot, chat_id: int
) -> None:
    await enqueue(sessions, chat_id, "hallo", "welt")
    telegram.fail_next("sendMessage", 502, "Bad Gateway", times=2)
    sender = OutboxSender(bot, sessions)
    assert await deliver(sender, telegram, chat_id, 2) == ["hallo", "welt"]
    await asyncio.sleep(0.5)
    assert [s.text for s in telegram.messages_to(chat_id)] == ["hallo", "welt"]
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == chat_id)
                .order_by(OutboxMessage.id)
            )
        ).all()
    assert {row.status for row in rows} == {"sent"} and rows[0].attempts == 2


async def test_one_chat_waiting_for_telegram_does_not_hold_up_another(
    sessions: Any, telegram: FakeTelegram, bot: Bot, chat_id: int
) -> None:
    other = chat_id + 500_000_000  # never handed out by the chat_id fixture
    await enqueue(sessions, chat_id, "first chat")
    telegram.fail_next("sendMessage", 429, "Too Many Requests", retry_after=3)
    sender = OutboxSender(bot, sessions)
    task = asyncio.create_task(sender.run())
    try:
        await asyncio.sleep(0.5)  # the first chat is now waiting out its retry_after
        await enqueue(sessions, other, "second chat")
        sender.wake()
        await telegram.wait_for(other, 1, within=5)
        await telegram.wait_for(chat_id, 1, within=10)
    finally:
        sender.stop()
        await task
    delivered = [s.text for s in telegram.sent if s.chat_id in {chat_id, other}]
    assert delivered == ["second chat", "first chat"]  # the other chat did not wait


async def test_a_blocked_bot_gives_up_on_that_message_only(
    sessions: Any, telegram: FakeTelegram, bot: Bot, chat_id: int
) -> None:
    await enqueue(sessions, chat_id, "lost", "next")
    telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    sender = OutboxSender(bot, sessions)
    assert await deliver(sender, telegram, chat_id, 1) == ["next"]
    async with sessions() as session:
        statuses = (
            await session.scalars(
                select(OutboxMessage.status)
                .where(OutboxMessage.chat_id == chat_id)
                .order_by(OutboxMessage.id)
            )
        ).all()
    assert statuses == ["failed", "sent"]


async def test_an_update_is_stored_once_however_often_it_is_fetched(
    sessions: Any, chat_id: int
) -> None:
    payload = {"update_id": chat_id, "message": {"text": "hi"}}
    async with sessions.begin() as session:
        assert await inbox.store(session, chat_id, chat_id, payload)
    async with sessions.begin() as session:
        assert not await inbox.store(session, chat_id, chat_id, payload)
    async with sessions() as session:
        row = await inbox.oldest_pending(session, chat_id)
        assert row is not None and row.update_id == chat_id
