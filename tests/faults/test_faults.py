"""Faults that heal: the whole product under load while one part after another breaks.

Young people write to the bot from dozens of chats at once — questions from the NLU dev sets
in twelve languages, and some `/human` — while Telegram refuses messages, and the action
server, PostgreSQL, the translation service, Rasa and finally the bot itself die. After each
fault every message is answered, none twice (except the documented window when the bot itself
is killed), and no case is opened twice.

The product runs as real processes (`python -m bot run` with its own Rasa and action server)
against a private PostgreSQL that the tests restart. One stack serves the scenarios in turn
(see conftest.py); the bot is SIGKILLed last, since that scenario restarts it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fake_google_translate import FakeGoogleTranslate
from tests.fake_telegram import FakeTelegram
from tests.faults.load import (
    Conversation,
    first_questions,
    new_chat_id,
    plan,
    send,
)
from tests.faults.postgres import PrivatePostgres
from tests.faults.scenarios import (
    RATE,
    bot_sigkilled_under_load,
    comes_back,
    one_question_each,
    under_load,
)
from tests.faults.stack import BotStack, healthy, kill_all
from tests.faults.verdict import (
    assert_all_answered_once,
    assert_no_case_twice,
    await_answers,
    content_keys,
)

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

CLARIFY = ("fallback.clarify", "fallback.clarify_no_candidates")  # "please say it otherwise"


@pytest.fixture(scope="module")
async def stack(
    rasa_model: Path,  # trained (or taken from the cache) before the bot is started
    private_postgres: PrivatePostgres,
    fault_telegram: FakeTelegram,
    fault_google: FakeGoogleTranslate,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[BotStack]:
    database_url = private_postgres.create_database("faults")
    translation = {
        "TRANSLATOR": "googletrans",
        "TRANSLATOR_URL": fault_google.url,
        "TRANSLATOR_TIMEOUT": "2",
    }
    running = BotStack(tmp_path_factory.mktemp("stack"), database_url, fault_telegram, translation)
    yield running
    await running.stop()


@pytest.fixture
async def product(stack: BotStack, private_postgres: PrivatePostgres) -> BotStack:
    await asyncio.to_thread(private_postgres.ensure_running)
    return await healthy(stack)


# --- 1. Telegram: flood limit and bad gateway ----------------------------------------------


async def test_telegram_flood_limit_and_bad_gateway_delay_messages_but_lose_and_double_none(
    product: BotStack, fault_telegram: FakeTelegram
) -> None:
    telegram = fault_telegram
    start = len(telegram.exchanges)

    async def flood_then_bad_gateway() -> None:
        telegram.refuse_for(5.0, 429, "Too Many Requests: retry after 2", retry_after=2)
        await asyncio.sleep(7.0)
        telegram.refuse_for(4.0, 502, "Bad Gateway")

    asked = await under_load(telegram, plan(chats=30, seed=5), flood_then_bad_gateway, 2.0)
    verdict = await await_answers(product, asked, telegram, within=180)

    assert_all_answered_once(verdict, product)
    assert_no_case_twice(verdict, telegram)
    exchanges = telegram.exchanges[start:]
    refused = [e for e in exchanges if e.status == 429]
    assert refused, "no message met the flood limit: the load came too late"
    assert any(e.status == 502 for e in exchanges), "no message met the bad gateway"
    for refusal in refused:
        assert refusal.retry_after is not None
        later = [e.at for e in exchanges if e.chat_id == refusal.chat_id and e.at > refusal.at]
        assert later, f"after a 429 nothing was sent to chat {refusal.chat_id} again"
        waited = min(later) - refusal.at
        assert waited >= refusal.retry_after - 0.05, (
            f"retry_after {refusal.retry_after} s not honoured: tried again after {waited:.2f} s"
        )


# --- 2. the action server killed -------------------------------------------------------------


async def test_action_server_killed_and_back_every_question_gets_its_real_answer(
    product: BotStack, fault_telegram: FakeTelegram
) -> None:
    telegram = fault_telegram
    texts = first_questions()[::13][:12]  # twelve questions in several languages
    # What each question is answered with while everything is up (each opening its chat).
    controls = [Conversation(new_chat_id(), [text]) for text in texts]
    control_asked = await send(telegram, controls, RATE)
    control = await await_answers(product, control_asked, telegram, within=60)
    assert_all_answered_once(control, product, note="(before any fault)")
    expected = {a.text: content_keys(control, a) for a in control_asked}

    old = product.children("actions")
    assert old, "no action server process found:\n" + product.tail()
    outage: list[float] = []

    async def kill_action_server() -> None:
        outage.append(time.monotonic())
        kill_all(old)  # kill -9: a crash, no clean-up
        back = await comes_back(product, "actions", old, within=90)
        assert back, "the action server did not come back within 90 s:\n" + product.tail()
        outage.append(time.monotonic())

    asked = await under_load(telegram, one_question_each(texts, 3), kill_action_server, 1.0)
    verdict = await await_answers(product, asked, telegram, within=180)

    assert_all_answered_once(verdict, product)
    assert_no_case_twice(verdict, telegram)
    killed_at, back_at = outage
    # A question still waiting when its chat asked for a person went into the new case's
    # thread (bot/inbox/ordering.py): the caseworker answers it, not Rasa.
    questions = [
        a for a in asked if not a.wants_a_person and a.update_id not in verdict.snapshot.to_case
    ]
    during = [a for a in questions if killed_at <= a.at <= back_at]
    assert during, (
        "no question was answered by the bot that was asked while the action server was down"
    )
    wrong = []
    for item in questions:
        keys = content_keys(verdict, item)
        if keys != expected[item.text]:
            when = "asked while it was down" if item in during else "asked around the outage"
            rephrase = " (please rephrase!)" if any(k in CLARIFY for k in keys) else ""
            wrong.append(
                f"update {item.update_id}, {when}: {keys}{rephrase}, "
                f"with everything up: {expected[item.text]}"
            )
    assert not wrong, "answers differ from those with the action server up:\n" + "\n".join(wrong)
    # Still the restarted one, not a restart loop behind a port someone else holds.
    restarted = [pid for pid in product.children("actions") if pid not in old]
    assert restarted, "no restarted action server is running any more:\n" + product.tail()


# --- 3. PostgreSQL restarted -----------------------------------------------------------------


async def test_postgres_restarted_under_load_the_bot_stays_up_and_answers_everything(
    product: BotStack, fault_telegram: FakeTelegram, private_postgres: PrivatePostgres
) -> None:
    telegram = fault_telegram

    async def restart_postgres() -> None:
        await asyncio.to_thread(private_postgres.restart)  # pg_ctl restart -m fast
        await asyncio.sleep(4.0)
        await asyncio.to_thread(private_postgres.stop)  # and once down for a few seconds
        await asyncio.sleep(3.0)
        await asyncio.to_thread(private_postgres.start)

    asked = await under_load(telegram, plan(chats=30, seed=4), restart_postgres, 3.0)
    verdict = await await_answers(product, asked, telegram, within=180)

    assert product.alive(), "the bot exited when PostgreSQL restarted:\n" + product.tail()
    # Not killed, so no window: a message Telegram took while the database was away is
    # marked sent when it is back, never sent again.
    assert_all_answered_once(verdict, product)
    assert_no_case_twice(verdict, telegram)


# --- 4. the translation service down -----------------------------------------------------

# Messages the model is unsure about in their own language (so the bot takes a second look
# at their German translation), and what the fake Google Translate makes of them.
UNSURE = [
    ("en", "my thing with the house paper is not ok what now"),
    ("fr", "le truc avec le papier pour la maison ça marche pas"),
    ("tr", "ev kağıdı olayı olmadı şimdi ne yapayım"),
    ("en", "the thing for living, the paper, someone said no"),
    ("fr", "pour habiter il faut quel papier je comprends rien"),
    ("tr", "oturmak için hangi kağıt lazım hiç anlamadım"),
]
UNSURE_IN_GERMAN = "Wie finde ich eine Wohnung?"


async def test_translation_service_down_answers_still_arrive_without_waiting_for_it(
    product: BotStack, fault_telegram: FakeTelegram, fault_google: FakeGoogleTranslate
) -> None:
    telegram = fault_telegram
    for _, text in UNSURE:
        fault_google.learn("auto", "de", text, UNSURE_IN_GERMAN)
    half = len(UNSURE) // 2
    first = [Conversation(new_chat_id(), [text]) for _, text in UNSURE[:half]]
    asked_up = await send(telegram, first, RATE)
    verdict_up = await await_answers(product, asked_up, telegram, within=60)
    assert_all_answered_once(verdict_up, product, note="(translation service up)")
    looked_up = {r.text for r in fault_google.requests}
    assert looked_up & {text for _, text in UNSURE[:half]}, (
        "the bot never asked the translation service: this scenario would test nothing"
    )

    async def translation_down() -> None:
        await fault_google.down()

    second = [Conversation(new_chat_id(), [text]) for _, text in UNSURE[half:]]
    try:
        asked = await under_load(
            telegram, [*second, *plan(chats=20, seed=6)], translation_down, after=0.0
        )
        verdict = await await_answers(product, asked, telegram, within=90)
    finally:
        await fault_google.up()

    assert product.alive()
    assert_all_answered_once(verdict, product)
    assert_no_case_twice(verdict, telegram)


# --- 5. Rasa killed --------------------------------------------------------------------------


async def test_rasa_killed_under_load_comes_back_and_every_waiting_message_is_answered(
    product: BotStack, fault_telegram: FakeTelegram
) -> None:
    telegram = fault_telegram
    old = product.children("rasa")
    assert old, "no Rasa process found:\n" + product.tail()

    async def kill_rasa() -> None:
        kill_all(old)  # kill -9: a crash, no clean-up

    asked = await under_load(telegram, plan(chats=36, seed=2), kill_rasa, after=4.0)
    back = await comes_back(product, "rasa", old, within=180)
    assert back, "Rasa did not come back within 180 s:\n" + product.tail()
    verdict = await await_answers(product, asked, telegram, within=180)

    assert product.alive()
    assert_all_answered_once(verdict, product)
    assert_no_case_twice(verdict, telegram)


# --- 6. the bot SIGKILLed ----------------------------------------------------------------


async def test_bot_sigkilled_under_load_answers_everything_after_restart_and_leaves_no_orphans(
    product: BotStack, fault_telegram: FakeTelegram
) -> None:
    await bot_sigkilled_under_load(product, fault_telegram, seed=1)
