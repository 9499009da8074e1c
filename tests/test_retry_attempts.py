"""A question held back is still answered as well as one that went through at once.

Only real errors count towards giving up on a message (MAX_ATTEMPTS, then an apology): a
database that restarts a few times is nobody's failure. And a question that had to wait, for
Rasa or for the database, still gets the German second look on the turn Rasa answers it, so
a young person whose English the model is unsure about gets the same answer as without the
outage. Real Rasa, the bot with its database (SQLite and PostgreSQL), a fake Telegram.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import Assistant
from bot.db.models import ConversationMessage, InboxUpdate, OutboxMessage
from bot.inbox.worker_pool import MAX_ATTEMPTS
from tests.conftest import RasaServer, UserChat, bot_settings
from tests.fake_telegram import FakeTelegram
from tests.servers import RasaProxy
from tests.test_db_faults import FlakyDatabase

pytestmark = pytest.mark.e2e

UNSURE = "my thing with the house paper is not ok what now"  # the model is unsure of it
UNSURE_IN_GERMAN = "Wie finde ich eine Wohnung?"


class GermanFor:
    """A translator that knows one sentence's German and counts what it was asked."""

    def __init__(self, text: str, german: str) -> None:
        self.known = {text: german}
        self.asked: list[str] = []

    async def translate(self, text: str, source: str | None, target: str) -> str | None:
        self.asked.append(text)
        return self.known.get(text) if target == "de" else None


@pytest.fixture
async def bot_with_flaky_turns(
    database_url: str, rasa_server: RasaServer, rasa_proxy: RasaProxy, telegram: FakeTelegram
) -> AsyncIterator[tuple[Assistant, FlakyDatabase]]:
    """The bot whose turns use a database that fails on demand, with a translator."""
    bot = Assistant(bot_settings(database_url, telegram, rasa_proxy.url, rasa_server))
    flaky = FlakyDatabase(bot.sessions)
    bot.service.sessions = flaky  # type: ignore[assignment]
    bot.service.translator = GermanFor(UNSURE, UNSURE_IN_GERMAN)
    await bot.start()
    yield bot, flaky
    await bot.stop()


def asked_rasa(proxy: RasaProxy) -> int:
    return len([path for path in proxy.forwarded if path.startswith("/webhooks")])


async def test_database_faults_do_not_use_up_the_tries_of_a_question(
    bot_with_flaky_turns: tuple[Assistant, FlakyDatabase], user: UserChat, rasa_proxy: RasaProxy
) -> None:
    bot, flaky = bot_with_flaky_turns
    await user.says("/start")
    before = asked_rasa(rasa_proxy)
    # Rasa answers, then the turn is not written: as many times as a question may fail in
    # all, and after that one real error.
    flaky.lose_commits = MAX_ATTEMPTS - 1
    commit = bot.service._commit
    crashed = False

    async def commit_or_fail_once(*args: Any) -> None:
        nonlocal crashed
        if flaky.lose_commits == 0 and not crashed:
            crashed = True
            raise RuntimeError("a bug that shows once")
        await commit(*args)

    bot.service._commit = commit_or_fail_once  # type: ignore[method-assign]
    question = await user.telegram.user_says(user.chat_id, "Was ist das Jobcenter?")
    [answer] = await user._replies(1)
    assert "Quellen" in answer.text  # the answer, not "something went wrong"
    await user.hears_nothing_more(1.5)
    assert flaky.faults == MAX_ATTEMPTS - 1 and crashed
    async with bot.sessions() as session:
        row = await session.get(InboxUpdate, question)
        sent = await session.scalar(
            select(func.count()).where(OutboxMessage.source_update_id == question)
        )
    assert row is not None and row.status == "done"
    assert row.attempts == 2  # the real error and the try that worked
    assert sent == 1
    assert asked_rasa(rasa_proxy) == before + 1  # the retries took Rasa's earlier answer


@pytest.mark.parametrize("held_by", ["rasa", "database"])
async def test_a_question_that_waited_still_gets_the_german_second_look(
    bot_with_flaky_turns: tuple[Assistant, FlakyDatabase],
    user: UserChat,
    rasa_proxy: RasaProxy,
    held_by: str,
) -> None:
    bot, flaky = bot_with_flaky_turns
    translator = bot.service.translator
    assert isinstance(translator, GermanFor)
    if held_by == "rasa":
        await rasa_proxy.down()
        question = await user.telegram.user_says(user.chat_id, UNSURE)
        [apology] = await user._replies(1)
        assert "technical problem" in apology.text
        assert translator.asked == []  # Rasa could not even read it yet
        await rasa_proxy.up()
    else:
        flaky.refuse = 1  # the turn cannot read the chat: tried again before Rasa saw it
        question = await user.telegram.user_says(user.chat_id, UNSURE)
    [answer] = await user._replies(1)
    await user.hears_nothing_more()
    assert translator.asked == [UNSURE]
    async with bot.sessions() as session:
        row = await session.get(InboxUpdate, question)
        logged = (
            await session.scalars(
                select(ConversationMessage).where(ConversationMessage.update_id == question)
            )
        ).all()
    assert row is not None and row.status == "done"
    assert [m.content_key for m in logged if m.direction == "out"] == ["housing.find_flat"]
    assert "Sources:" in answer.text  # the flat-hunting answer, in English
