"""The database goes away for a while (PostgreSQL restarting, SQLite busy): the bot waits,
keeps running, loses nothing and answers every message once. An update python-telegram-bot
cannot read is stored and skipped, and the next message is answered."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.app import Assistant
from bot.db.models import ConversationMessage, InboxUpdate, OutboxMessage
from tests.conftest import RasaServer, UserChat, bot_settings
from tests.fake_telegram import FakeTelegram
from tests.servers import RasaProxy

pytestmark = pytest.mark.e2e


class FlakyDatabase:
    """Sessions of a database that fails on demand, as one does while it restarts.

    `refuse` sessions fail when opened (connection refused); `lose_commits` transactions run
    their statements and then fail at commit, rolled back: nothing of them is written.
    """

    def __init__(self, sessions: Any) -> None:
        self.sessions = sessions
        self.refuse = 0
        self.lose_commits = 0
        self.faults = 0

    def fault(self) -> OperationalError:
        self.faults += 1
        return OperationalError("COMMIT", None, ConnectionError("server closed the connection"))

    def __call__(self) -> _Flaky:
        return _Flaky(self, self.sessions(), commits=False)

    def begin(self) -> _Flaky:
        return _Flaky(self, self.sessions.begin(), commits=True)


class _Flaky:
    def __init__(self, database: FlakyDatabase, inner: Any, commits: bool) -> None:
        self.database = database
        self.inner = inner
        self.commits = commits

    async def __aenter__(self) -> Any:
        if self.database.refuse > 0:
            self.database.refuse -= 1
            raise self.database.fault()
        return await self.inner.__aenter__()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Any:
        if exc is None and self.commits and self.database.lose_commits > 0:
            self.database.lose_commits -= 1
            fault = self.database.fault()
            await self.inner.__aexit__(type(fault), fault, None)  # rolls back
            raise fault
        return await self.inner.__aexit__(kind, exc, tb)


@pytest.fixture
async def flaky_assistant(
    database_url: str, rasa_server: RasaServer, rasa_proxy: RasaProxy, telegram: FakeTelegram
) -> AsyncIterator[tuple[Assistant, dict[str, FlakyDatabase]]]:
    """The bot with a flaky database under each part: poller, workers, the turns they run,
    sender."""
    bot = Assistant(bot_settings(database_url, telegram, rasa_proxy.url, rasa_server))
    parts = {
        "poller": FlakyDatabase(bot.sessions),
        "worker": FlakyDatabase(bot.sessions),
        "turn": FlakyDatabase(bot.sessions),
        "sender": FlakyDatabase(bot.sessions),
    }
    bot.poller.sessions = parts["poller"]  # type: ignore[assignment]
    bot.workers.sessions = parts["worker"]  # type: ignore[assignment]
    bot.service.sessions = parts["turn"]  # type: ignore[assignment]
    bot.sender.sessions = parts["sender"]  # type: ignore[assignment]
    await bot.start()
    yield bot, parts
    await bot.stop()


def still_running(bot: Assistant) -> bool:
    return not any(task.done() for task in bot._tasks)


async def answers_of(bot: Assistant, update_id: int) -> int:
    async with bot.sessions() as session:
        return int(
            await session.scalar(
                select(func.count()).where(
                    OutboxMessage.source_update_id == update_id,
                )
            )
            or 0
        )


async def test_updates_arriving_while_the_database_restarts_are_stored_later_and_answered_once(
    flaky_assistant: tuple[Assistant, dict[str, FlakyDatabase]],
    user: UserChat,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot, parts = flaky_assistant
    parts["poller"].lose_commits = 3
    with caplog.at_level(logging.INFO, logger="bot.inbox.database_faults"):
        [privacy] = await user.says("/privacy")
    assert "180 Tagen" in privacy.text
    await user.hears_nothing_more(1.5)
    assert parts["poller"].faults == 3 and still_running(bot)
    async with bot.sessions() as session:
        row = await session.scalar(select(InboxUpdate).where(InboxUpdate.chat_id == user.chat_id))
    assert row is not None and row.status == "done"
    assert await answers_of(bot, row.update_id) == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.inbox.database_faults"]
    assert [r.levelname for r in caplog.records if r.name == "bot.inbox.database_faults"] == [
        "WARNING",
        "INFO",
    ]
    assert "OperationalError" in lines[0] and "COMMIT" not in " ".join(lines)


async def test_a_turn_whose_commit_fails_is_retried_and_answered_once(
    flaky_assistant: tuple[Assistant, dict[str, FlakyDatabase]],
    user: UserChat,
    rasa_proxy: RasaProxy,
) -> None:
    bot, parts = flaky_assistant
    await user.says("/start")
    asked_rasa = len([p for p in rasa_proxy.forwarded if p.startswith("/webhooks")])
    parts["turn"].lose_commits = 2  # Rasa answered, but the turn is not written: twice
    question = await user.telegram.user_says(user.chat_id, "Was ist das Jobcenter?")
    [answer] = await user._replies(1)
    assert "Quellen" in answer.text
    await user.hears_nothing_more(2.0)
    assert parts["turn"].faults == 2 and still_running(bot)
    # The retries took Rasa's earlier answer from its tracker instead of asking again.
    assert len([p for p in rasa_proxy.forwarded if p.startswith("/webhooks")]) == asked_rasa + 1
    async with bot.sessions() as session:
        row = await session.get(InboxUpdate, question)
        logged = await session.scalar(
            select(func.count()).where(
                ConversationMessage.update_id == question,
                ConversationMessage.direction == "out",
            )
        )
    assert row is not None and row.status == "done"
    assert row.attempts == 1  # database faults are no failed tries of the question
    assert await answers_of(bot, question) == 1 and logged == 1


async def test_a_worker_that_cannot_reach_the_database_waits_and_answers_once(
    flaky_assistant: tuple[Assistant, dict[str, FlakyDatabase]], user: UserChat
) -> None:
    bot, parts = flaky_assistant
    parts["worker"].refuse = 3
    [greeting] = await user.says("/start")
    assert greeting.buttons
    await user.hears_nothing_more(1.5)
    assert parts["worker"].faults == 3 and still_running(bot)


async def test_the_sender_survives_the_database_and_never_sends_a_message_twice(
    flaky_assistant: tuple[Assistant, dict[str, FlakyDatabase]], user: UserChat
) -> None:
    bot, parts = flaky_assistant
    parts["sender"].refuse = 3  # its queries for due messages fail
    parts["sender"].lose_commits = 2  # "sent" is not written at first, after Telegram took it
    [privacy] = await user.says("/privacy")
    assert "180 Tagen" in privacy.text
    await user.hears_nothing_more(3.0)  # not sent a second time
    assert parts["sender"].faults == 5 and still_running(bot)
    async with bot.sessions() as session:
        statuses = (
            await session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.chat_id == user.chat_id)
            )
        ).all()
    assert statuses == ["sent"]


async def test_an_update_the_library_cannot_read_is_stored_skipped_and_the_next_is_answered(
    assistant: Assistant, user: UserChat, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):  # python-telegram-bot's loggers run at INFO
        unreadable = await user.telegram.user_sends_unreadable(user.chat_id, "Geheimnis 4711")
        [privacy] = await user.says("/privacy")
    assert "180 Tagen" in privacy.text
    await user.hears_nothing_more(1.0)
    async with assistant.sessions() as session:
        row = await session.get(InboxUpdate, unreadable)
    assert row is not None and row.status == "unparsable"
    assert row.payload["message"]["text"] == "Geheimnis 4711"  # kept, sanitised
    assert row.payload["message"]["chat"].get("username") is None
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]
    [skipped] = [r for r in caplog.records if str(unreadable) in r.getMessage()]
    assert skipped.levelname == "WARNING" and "stored and skipped" in skipped.getMessage()
    assert not [r for r in caplog.records if "Geheimnis" in r.getMessage()]
