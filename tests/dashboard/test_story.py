"""The whole handoff, told from both sides: the real bot (fake Telegram Bot API, real Rasa)
and a caseworker in a real browser on the dashboard, sharing one database.

A young person asks for a person; the case appears in the queue; the caseworker claims it
(the person hears it), answers (the answer reaches Telegram), the person's reply appears on
the case page by itself, the case is resolved and the person is told.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from bot.app import Assistant
from bot.db.models import Case
from bot.storage.cases import case_number
from tests.conftest import RasaServer, bot_settings
from tests.dashboard.conftest import Account, Dashboard, sign_in
from tests.fake_telegram import FakeTelegram, Sent
from tests.servers import RasaProxy

pytestmark = pytest.mark.e2e


async def _case_of(dashboard: Dashboard, chat_id: int, within: float = 30.0) -> Case:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with dashboard.sessions() as session:
            found = await session.scalar(
                select(Case).where(Case.chat_id == chat_id).order_by(Case.id.desc()).limit(1)
            )
        if found is not None:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("no case was opened for the chat")
        await asyncio.sleep(0.2)


async def _heard(
    telegram: FakeTelegram, chat_id: int, what: Callable[[Sent], bool], within: float = 30.0
) -> Sent:
    """The first message to the chat, new or old, that `what` recognises (waits for it)."""
    count = 1
    deadline = asyncio.get_running_loop().time() + within
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        messages = await telegram.wait_for(chat_id, count, within=max(remaining, 0.1))
        for message in messages:
            if what(message):
                return message
        count = len(messages) + 1


async def test_a_young_person_and_a_caseworker_talk_through_the_dashboard(
    page: Page,
    dashboard: Dashboard,
    caseworker: Account,
    database_url: str,
    rasa_server: RasaServer,
    rasa_proxy: RasaProxy,
    telegram: FakeTelegram,
    chat_id: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = bot_settings(database_url, telegram, rasa_proxy.url, rasa_server)
    bot = Assistant(settings, dashboard_url=dashboard.url)
    with caplog.at_level(logging.INFO, logger="bot.app"):
        await bot.start()
    try:
        ready = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ready:")]
        assert ready and f"caseworker dashboard at {dashboard.url}" in ready[0]

        # the young person asks for a person: the case opens at once, with a number
        await telegram.user_says(chat_id, "/human")
        opened = await _case_of(dashboard, chat_id)
        number = case_number(opened.id)
        await _heard(telegram, chat_id, lambda m: number in m.text)

        # ... and describes the situation; it goes into the case, not to the bot
        await telegram.user_says(chat_id, "Ich habe einen Brief vom Jobcenter bekommen.")

        # the caseworker sees the case appear in the queue and opens it
        await sign_in(page, dashboard, caseworker)
        row = page.locator(f"#case-{opened.id}")
        await expect(row).to_be_visible(timeout=15_000)
        await row.get_by_role("link", name=number).click()
        await expect(page.locator(".from-user .text").last).to_have_text(
            "Ich habe einen Brief vom Jobcenter bekommen.", timeout=15_000
        )

        # claim: the person hears that someone is looking at it
        await page.get_by_role("button", name="Fall übernehmen").click()
        await expect(page.locator("#holder")).to_have_text(caseworker.display_name)
        await _heard(telegram, chat_id, lambda m: caseworker.display_name in m.text)

        # the answer reaches Telegram, under the caseworker's name
        answer = "Bitte schicken Sie mir ein Foto vom Brief."
        await page.get_by_label("Antwort an die Person").fill(answer)
        await page.get_by_role("button", name="Antwort senden").click()
        replied = await _heard(telegram, chat_id, lambda m: answer in m.text)
        assert caseworker.display_name in replied.text

        # the person's answer appears on the open case page by itself
        await telegram.user_says(chat_id, "Mache ich morgen, danke!")
        await expect(page.locator(".from-user .text").last).to_have_text(
            "Mache ich morgen, danke!", timeout=20_000
        )
        async with dashboard.sessions() as session:
            stored = await session.get(Case, opened.id)
            assert stored is not None and stored.status == "in_progress"  # their turn again

        # resolved: the person is told and asked whether it helped
        await page.get_by_label("Neuer Status").select_option("resolved")
        await page.get_by_role("button", name="Status ändern").click()
        await expect(page.locator("#case-status")).to_have_text("Erledigt")
        feedback = f"cf:{opened.id}:1"
        await _heard(telegram, chat_id, lambda m: feedback in [data for _, data in m.buttons])
        assert not [m for m in telegram.messages_to(chat_id) if "Jobcenter" in m.text]
    finally:
        await bot.stop()
