"""Nothing lost, nothing twice: Rasa outages, Telegram errors, and a bot killed mid-turn."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sqlite3
import time

import pytest
from sqlalchemy import func, select

from bot.app import Assistant
from bot.db.engine import make_async_engine, make_sessionmaker
from bot.db.models import Case, Chat, ConversationMessage, InboxUpdate, utcnow
from tests.conftest import DATA_KEY, RasaServer, UserChat, bot_settings, out_keys
from tests.fake_telegram import FakeTelegram, Sent
from tests.servers import Process, RasaProxy, python_module

pytestmark = pytest.mark.e2e


async def test_rasa_down_gives_one_apology_keeps_messages_and_answers_them_in_order_later(
    assistant: Assistant, user: UserChat, rasa_proxy: RasaProxy
) -> None:
    await rasa_proxy.down()
    [apology] = await user.says("Wie finde ich eine Wohnung?")
    assert "technischen Problems" in apology.text and "gespeichert" in apology.text
    await user.telegram.user_says(user.chat_id, "Und wie bekomme ich einen Integrationskurs?")
    await user.hears_nothing_more(1.5)  # one apology per outage, not one per message
    await rasa_proxy.up()
    messages = await user.telegram.wait_for(user.chat_id, 3, within=40)
    first, second = messages[1:3]  # the paper question may follow the course answer
    assert "Wohnung" in first.text or "Quellen" in first.text
    keys = await out_keys(assistant, user.chat_id)
    assert keys[0] == "housing.find_flat"
    assert keys[1] is not None and keys[1].startswith("courses.")
    assert "Quellen" in second.text


async def test_an_empty_turn_while_the_action_server_restarted_gets_the_real_answer(
    assistant: Assistant, user: UserChat, rasa_proxy: RasaProxy
) -> None:
    # Rasa answered nothing (its action server was gone), and by the time the bot looks the
    # restarted action server is up: the user gets the answer, not "please rephrase".
    rasa_proxy.empty_turns = 1
    [answer] = await user.says("Wie finde ich eine Wohnung?")
    assert "Quellen" in answer.text and "anderen Worten" not in answer.text
    assert rasa_proxy.empty_turns == 0
    await user.hears_nothing_more()
    assert await out_keys(assistant, user.chat_id) == ["housing.find_flat"]


async def test_telegram_unreachable_at_first_send_delivers_later(
    assistant: Assistant, user: UserChat
) -> None:
    user.telegram.fail_next("sendMessage", 502, "Bad Gateway", times=3)
    [answer] = await user.says("Was ist das Jobcenter?")
    assert "Quellen" in answer.text
    await user.hears_nothing_more()


async def test_menu_and_commands_work_while_rasa_is_down(
    assistant: Assistant, user: UserChat, rasa_proxy: RasaProxy
) -> None:
    await rasa_proxy.down()
    [greeting] = await user.says("/start")
    [topics] = await user.presses(greeting.button("Deutschkurse"), on=greeting)
    [answer, paper] = await user.presses("a:courses.integration_course", on=topics, replies=2)
    assert "Quellen" in answer.text
    assert "Aufenthaltspapier" in paper.text  # asked once after an answer with variants
    [privacy] = await user.says("/privacy")
    assert "180 Tagen" in privacy.text


async def test_a_bot_killed_mid_turn_answers_after_restart_once_and_opens_no_second_case(
    database_url: str,
    rasa_server: RasaServer,
    rasa_proxy: RasaProxy,
    telegram: FakeTelegram,
    user: UserChat,
    tmp_path: object,
) -> None:
    settings = bot_settings(database_url, telegram, rasa_proxy.url, rasa_server)
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
        "RASA_URL": rasa_proxy.url,
        "DATA_DIR": str(rasa_server.data_dir),
        "TRACKER_STORE_URL": settings.tracker_store_url,
        "DATA_KEY": DATA_KEY,
        "TELEGRAM_POLL_TIMEOUT": "1",
    }
    log = rasa_server.data_dir / f"bot-{user.chat_id}.log"

    def start_bot() -> Process:
        return Process(python_module(["bot", "serve"]), log, env)

    bot = start_bot()
    try:
        await user.says("Wie finde ich eine Wohnung?")
        # The request for a person: Rasa answers slowly, and the bot dies while it waits.
        rasa_proxy.delay = 3.0
        rasa_proxy.request_seen.clear()
        update_id = await telegram.user_says(user.chat_id, "Ich möchte mit einem Menschen sprechen")
        await asyncio.wait_for(rasa_proxy.request_seen.wait(), timeout=30)
        bot.kill()
        rasa_proxy.delay = 0.0
        await asyncio.sleep(3.5)  # Rasa has finished the turn (and opened nothing itself)
        assert len(telegram.messages_to(user.chat_id)) == user.seen

        bot = start_bot()
        [opened] = await user._replies(1)
        assert "GK-" in opened.text
        await user.hears_nothing_more(2.0)
    finally:
        bot.stop()

    engine = make_async_engine(database_url)
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        cases = (await session.scalars(select(Case).where(Case.chat_id == user.chat_id))).all()
        row = await session.get(InboxUpdate, update_id)
        answered = await session.scalar(
            select(func.count()).where(
                ConversationMessage.update_id == update_id, ConversationMessage.direction == "out"
            )
        )
        pseudonym = await session.scalar(select(Chat.pseudonym).where(Chat.id == user.chat_id))
    await engine.dispose()
    assert len(cases) == 1 and cases[0].topic == "housing"  # from the answer before
    assert row is not None and row.status == "done" and row.attempts == 2
    assert answered == 1
    with sqlite3.connect(rasa_server.data_dir / "rasa_tracker.db") as db:
        (seen_by_rasa,) = db.execute(
            "SELECT count(*) FROM events"
            " WHERE sender_id = ? AND type_name = 'user' AND data LIKE ?",
            (pseudonym, f'%"update_id": {update_id}%'),
        ).fetchone()
    assert seen_by_rasa == 1  # replayed from Rasa's tracker, not sent to Rasa a second time


async def promptly(user: UserChat, count: int = 1) -> list[Sent]:
    """The next replies while Rasa is still down: not held back until Rasa is back.

    (The question that waits is retried every few seconds, but fails again while Rasa is
    down, so the time allowed only needs to suit a loaded machine.)
    """
    messages = await user.telegram.wait_for(user.chat_id, user.seen + count, within=30)
    new = messages[user.seen :]
    user.seen = len(messages)
    return new


async def test_while_a_question_waits_for_rasa_buttons_privacy_and_delete_still_answer_at_once(
    assistant: Assistant, user: UserChat, rasa_proxy: RasaProxy
) -> None:
    [greeting] = await user.says("/start")
    await rasa_proxy.down()
    [apology] = await user.says("Wie finde ich eine Wohnung?")
    assert "technischen Problems" in apology.text
    await user.telegram.user_presses(
        user.chat_id, greeting.button("Deutschkurse"), greeting.message_id
    )
    [topics] = await promptly(user)
    assert topics.method == "editMessageText" and topics.buttons
    await user.telegram.user_says(user.chat_id, "/privacy")
    [privacy] = await promptly(user)
    assert "180 Tagen" in privacy.text
    await user.telegram.user_says(user.chat_id, "/delete")
    [confirm] = await promptly(user)
    await user.telegram.user_presses(user.chat_id, confirm.button("behalten"), confirm.message_id)
    [kept] = await promptly(user)
    assert "nichts gelöscht" in kept.text
    await rasa_proxy.up()
    [answer] = await user._replies(1)  # the question is still answered, after all the rest
    assert "Quellen" in answer.text
    await user.hears_nothing_more()


async def test_asking_for_a_person_while_a_question_waits_for_rasa_puts_the_question_in_the_case(
    assistant: Assistant, user: UserChat, rasa_proxy: RasaProxy
) -> None:
    await rasa_proxy.down()
    question = await user.telegram.user_says(user.chat_id, "Wie finde ich eine Wohnung?")
    await user._replies(1)  # the apology
    await user.telegram.user_says(user.chat_id, "/human")
    [opened] = await promptly(user)
    assert "GK-" in opened.text
    [added] = await user._replies(1)  # its turn comes: the person sees it, Rasa is not needed
    assert added.text != opened.text
    await rasa_proxy.up()
    await user.hears_nothing_more(1.5)
    async with assistant.sessions() as session:
        [case] = (await session.scalars(select(Case).where(Case.chat_id == user.chat_id))).all()
        in_thread = await session.scalar(  # the user's message (the bot's "added" shares it)
            select(ConversationMessage).where(
                ConversationMessage.update_id == question, ConversationMessage.direction == "in"
            )
        )
    assert in_thread is not None and in_thread.case_id == case.id
    assert in_thread.content_key == "case.user_message"


async def test_a_question_waiting_for_rasa_is_erased_by_delete_and_never_answered(
    assistant: Assistant, user: UserChat, rasa_proxy: RasaProxy
) -> None:
    await rasa_proxy.down()
    question = await user.telegram.user_says(user.chat_id, "Wie finde ich eine Wohnung?")
    await user._replies(1)  # the apology
    await user.telegram.user_says(user.chat_id, "/delete")
    [confirm] = await promptly(user)
    await user.telegram.user_presses(
        user.chat_id, confirm.button("alles löschen"), confirm.message_id
    )
    [deleted] = await promptly(user)
    assert deleted.text != confirm.text
    await rasa_proxy.up()
    await user.hears_nothing_more(7.0)  # past the question's next try
    async with assistant.sessions() as session:
        assert await session.get(InboxUpdate, question) is None


async def test_a_question_that_waited_is_answered_as_soon_as_rasa_is_back_not_at_its_next_step(
    assistant: Assistant,
    user: UserChat,
    rasa_proxy: RasaProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.rasa.health")
    await rasa_proxy.down()
    question = await user.telegram.user_says(user.chat_id, "Wie finde ich eine Wohnung?")
    [apology] = await user._replies(1)
    assert "technischen Problems" in apology.text
    # Tried again after 5 and 10 s while Rasa is still away: the next try is 30 s off.
    deadline = time.monotonic() + 60
    while True:
        async with assistant.sessions() as session:
            row = await session.get(InboxUpdate, question)
        assert row is not None and row.status == "pending"
        next_step = row.next_attempt_at.replace(tzinfo=dt.UTC)
        if row.attempts >= 3 and next_step - utcnow() > dt.timedelta(seconds=20):
            break  # (not while its third try is under way)
        assert time.monotonic() < deadline, f"still at attempt {row.attempts}"
        await asyncio.sleep(0.5)

    await rasa_proxy.up()
    [answer] = await user._replies(1)
    assert utcnow() < next_step  # answered when Rasa came back, before the retry step
    assert "Quellen" in answer.text
    assert "Rasa answers again (its readiness probe answered" in caplog.text
    await user.hears_nothing_more(1.0)
