"""A /delete that has to wait loses nothing the user writes meanwhile.

While Rasa's tracker store is out of reach, /delete waits (it never claims a deletion it did
not do). A young person who writes again in that time is told to wait; what they wrote is
answered after the erasure, as the first message of a new chat, and is not erased with the
old one. Real Rasa, the bot with its database (SQLite and PostgreSQL), a fake Telegram.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.app import Assistant
from bot.db.models import Chat, ConversationMessage, InboxUpdate
from bot.i18n import t
from tests.conftest import RasaServer, UserChat, make_settings
from tests.fake_telegram import FakeTelegram
from tests.servers import RasaProxy
from tests.test_tracker_store import _bring_back, _drop_database, _unused_tracker_url

pytestmark = pytest.mark.e2e


@pytest.fixture
async def bot_waiting_to_forget(
    database_url: str,
    rasa_server: RasaServer,
    rasa_proxy: RasaProxy,
    telegram: FakeTelegram,
    tmp_path: Path,
) -> AsyncIterator[tuple[Assistant, str]]:
    """The bot with a working Rasa, pointed at a tracker store that is not there yet."""
    url = _unused_tracker_url(database_url, tmp_path)
    settings = make_settings(
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.url,
        RASA_URL=rasa_proxy.url,
        DATA_DIR=str(rasa_server.data_dir),
        TRACKER_STORE_URL=url,
        TELEGRAM_POLL_TIMEOUT="1",
    )
    bot = Assistant(settings)
    await bot.start()
    yield bot, url
    await bot.stop()
    if url.startswith("postgresql"):
        _drop_database(make_url(url).database or "")


async def test_a_question_asked_while_delete_waits_is_answered_after_the_erasure(
    bot_waiting_to_forget: tuple[Assistant, str], user: UserChat
) -> None:
    bot, tracker = bot_waiting_to_forget
    [first] = await user.says("Wie finde ich eine Wohnung?")
    assert "Quellen" in first.text
    async with bot.sessions() as session:
        old_pseudonym = await session.scalar(select(Chat.pseudonym).where(Chat.id == user.chat_id))
    [confirm] = await user.says("/delete")
    [sorry] = await user.presses(confirm.button("alles löschen"), on=confirm)
    assert sorry.text == t("meta.unavailable", "de")  # the erasure waits for Rasa's store

    question = await user.telegram.user_says(user.chat_id, "Was ist das Jobcenter?")
    await user.hears_nothing_more(1.0)  # behind the waiting /delete: answers keep their order
    _bring_back(tracker, {})

    [deleted, answer] = await user._replies(2)
    assert deleted.text == t("meta.deleted", "de")
    assert "Quellen" in answer.text and "Jobcenter" in answer.text
    await user.hears_nothing_more()
    async with bot.sessions() as session:
        chat = await session.get(Chat, user.chat_id)
        row = await session.get(InboxUpdate, question)
        logged = (
            await session.scalars(
                select(ConversationMessage)
                .where(ConversationMessage.chat_id == user.chat_id)
                .order_by(ConversationMessage.id)
            )
        ).all()
    assert chat is not None and chat.pseudonym != old_pseudonym  # a new chat, unlinked
    assert row is not None and row.status == "done"
    assert row.payload["message"]["text"] == "Was ist das Jobcenter?"
    # Only the question asked after /delete: the conversation before it is gone.
    assert [(m.direction, m.update_id) for m in logged] == [("in", question), ("out", question)]
