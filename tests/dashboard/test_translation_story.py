"""Hodan writes Somali in Telegram; the caseworker answers in German on the dashboard.

End to end with the real bot (fake Telegram Bot API, real Rasa), the dashboard in a real
browser, and the fake Google Translate: Hodan's Somali message appears on the case page with
its German translation; the caseworker's German reply reaches Hodan's Telegram in Somali,
marked as machine-translated, with the German original as a quote one tap away.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from bot.app import Assistant
from bot.dashboard.server import dashboard_running
from bot.db.models import Case, Chat
from bot.i18n import t
from bot.storage.cases import case_number
from tests.conftest import RasaServer, bot_settings, make_settings
from tests.dashboard.conftest import Account, Dashboard, sign_in
from tests.fake_google_translate import FakeGoogleTranslate
from tests.fake_telegram import FakeTelegram, Sent
from tests.servers import RasaProxy, free_port

# The first words of the Somali "machine-translated" note (the note itself has markup).
MACHINE_NOTE = t("case.reply_machine", "so").removeprefix("<i>")[:25]

pytestmark = pytest.mark.e2e

STAMP = time.time_ns()  # the translation cache is shared: texts of this run only
SOMALI = f"Waxaan helay warqad ka timid Jobcenter-ka. Ma fahmin. ({STAMP})"
GERMAN = f"Ich habe einen Brief vom Jobcenter bekommen. Ich verstehe ihn nicht. ({STAMP})"
REPLY_DE = f"Bitte schick mir ein Foto vom Brief. ({STAMP})"
REPLY_SO = f"Fadlan ii soo dir sawirka warqadda. ({STAMP})"


@pytest.fixture
async def google() -> AsyncIterator[FakeGoogleTranslate]:
    fake = FakeGoogleTranslate()
    fake.learn("so", "de", SOMALI, GERMAN)
    fake.learn("de", "so", REPLY_DE, REPLY_SO)
    await fake.up()
    yield fake
    await fake.down()


async def _case_of(dashboard: Dashboard, chat_id: int) -> Case:
    for _ in range(150):
        async with dashboard.sessions() as session:
            found = await session.scalar(select(Case).where(Case.chat_id == chat_id))
        if found is not None:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError("no case was opened for the chat")


async def _heard(telegram: FakeTelegram, chat_id: int, part: str) -> Sent:
    for _ in range(150):
        for message in telegram.messages_to(chat_id):
            if part in message.text:
                return message
        await asyncio.sleep(0.2)
    raise AssertionError(f"nothing with {part!r} reached the chat")


async def test_a_somali_message_read_in_german_and_a_german_answer_received_in_somali(
    page: Page,
    dashboard: Dashboard,
    caseworker: Account,
    database_url: str,
    rasa_server: RasaServer,
    rasa_proxy: RasaProxy,
    telegram: FakeTelegram,
    google: FakeGoogleTranslate,
    chat_id: int,
) -> None:
    # Hodan chose Somali earlier (/language).
    async with dashboard.sessions.begin() as session:
        session.add(Chat(id=chat_id, pseudonym=f"h{chat_id}", language="so", language_chosen=True))
    desk_settings = make_settings(
        DATABASE_URL=database_url,
        DATA_DIR=str(dashboard.settings.data_dir),
        DASHBOARD_PORT=str(free_port()),
        TRANSLATOR="googletrans",
        TRANSLATOR_URL=google.url,
    )
    bot = Assistant(bot_settings(database_url, telegram, rasa_proxy.url, rasa_server))
    await bot.start()
    try:
        async with dashboard_running(desk_settings) as url:
            board = Dashboard(url, desk_settings, dashboard.sessions)
            await telegram.user_says(chat_id, "/human")
            opened = await _case_of(board, chat_id)
            assert opened.language == "so"
            await _heard(telegram, chat_id, case_number(opened.id))
            await telegram.user_says(chat_id, SOMALI)

            await sign_in(page, board, caseworker)
            await page.goto(f"{url}/cases/{opened.id}")
            hodan = page.locator(".from-user").last
            await expect(hodan.locator(".text")).to_have_text(SOMALI, timeout=15_000)
            await expect(hodan.locator(".translation")).to_contain_text(GERMAN)

            await page.get_by_label("Antwort an die Person").fill(REPLY_DE)
            await page.get_by_role("button", name="In die Sprache der Person übersetzen").click()
            await expect(page.get_by_label("Das bekommt die Person")).to_have_value(REPLY_SO)
            await page.get_by_role("button", name="Antwort senden").click()

            received = await _heard(telegram, chat_id, REPLY_SO)
            assert MACHINE_NOTE in received.text
            assert f"<blockquote expandable>{REPLY_DE}</blockquote>" in received.text
            assert received.params["parse_mode"] == "HTML"
    finally:
        await bot.stop()
