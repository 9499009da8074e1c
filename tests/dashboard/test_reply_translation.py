"""A caseworker and a Somali-speaking young person, through machine translation (browser).

Hodan writes in Somali. The caseworker reads the message with its German translation on the
case page, writes a German reply, has it translated, corrects a word, and sends it: Hodan
gets the Somali, marked as machine-translated, with the German original one tap away. The
translation service is a local fake of Google's; when it is down, the page still works and
the reply goes out in German.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from bot.dashboard.server import dashboard_running
from bot.db.models import OutboxMessage
from bot.i18n import t
from tests.conftest import make_settings
from tests.dashboard.conftest import Account, Dashboard, open_case, sign_in, user_writes
from tests.fake_google_translate import FakeGoogleTranslate
from tests.servers import free_port

# The first words of the Somali "machine-translated" note (the note itself has markup).
MACHINE_NOTE = t("case.reply_machine", "so").removeprefix("<i>")[:25]

_runs = itertools.count(1)
SOMALI = "Waxaan helay warqad ka timid Jobcenter-ka. Ma fahmin waxa ay ka dhigan tahay."
GERMAN = "Ich habe einen Brief vom Jobcenter bekommen. Ich verstehe nicht, was er bedeutet."
REPLY_DE = "Bitte schick mir ein Foto vom Brief. Dann schauen wir zusammen auf die Frist."
REPLY_SO = "Fadlan ii soo dir sawirka warqadda. Kadib waxaan wada eegi doonnaa waqtiga."


@pytest.fixture
async def google() -> AsyncIterator[FakeGoogleTranslate]:
    fake = FakeGoogleTranslate()
    await fake.up()
    yield fake
    await fake.down()


@pytest.fixture
async def translating(
    dashboard: Dashboard, google: FakeGoogleTranslate
) -> AsyncIterator[Dashboard]:
    """A second dashboard on the same database with TRANSLATOR=googletrans (the fake)."""
    settings = make_settings(
        DATABASE_URL=dashboard.settings.database_url,
        DATA_DIR=str(dashboard.settings.data_dir),
        DASHBOARD_PORT=str(free_port()),
        TRANSLATOR="googletrans",
        TRANSLATOR_URL=google.url,
        TRANSLATOR_TIMEOUT="2",
    )
    async with dashboard_running(settings) as url:
        yield Dashboard(url, settings, dashboard.sessions)


def _unique(text: str) -> str:
    """The cache is shared by the tests: a text of its own for each run."""
    return f"{text} ({next(_runs)}-{time.time_ns()})"


async def _outbox(board: Dashboard, chat_id: int) -> list[str]:
    async with board.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return [row.payload["text"] for row in rows]


async def test_a_caseworker_reads_somali_in_german_and_answers_in_somali(
    page: Page,
    translating: Dashboard,
    google: FakeGoogleTranslate,
    caseworker: Account,
    chat_id: int,
) -> None:
    somali, german = _unique(SOMALI), _unique(GERMAN)
    reply_de, reply_so = _unique(REPLY_DE), _unique(REPLY_SO)
    google.learn("so", "de", somali, german)
    google.learn("de", "so", reply_de, reply_so)
    opened = await open_case(translating, chat_id, language="so")
    await user_writes(translating, opened.id, somali)

    await sign_in(page, translating, caseworker)
    await page.goto(f"{translating.url}/cases/{opened.id}")
    hodan = page.locator(".from-user").last
    await expect(hodan.locator(".text")).to_have_text(somali)
    await expect(hodan.locator(".translation")).to_contain_text(german)

    await page.get_by_label("Antwort an die Person").fill(reply_de)
    await page.get_by_role("button", name="In die Sprache der Person übersetzen").click()
    received = page.get_by_label("Das bekommt die Person")
    await expect(received).to_have_value(reply_so)
    corrected = reply_so.replace("sawirka", "sawir")
    await received.fill(corrected)
    await page.get_by_role("button", name="Antwort senden").click()
    await expect(page.locator("#notice")).to_contain_text("unterwegs")

    sent = (await _outbox(translating, chat_id))[-1]
    assert corrected in sent
    assert MACHINE_NOTE in sent
    assert f"<blockquote expandable>{reply_de}</blockquote>" in sent
    # The case page keeps the caseworker's German.
    await expect(page.locator(".from-staff").last).to_contain_text(reply_de)
    assert {(r.source, r.target) for r in google.requests} == {("so", "de"), ("de", "so")}


async def test_a_german_text_changed_after_translating_is_not_sent_with_the_old_translation(
    page: Page,
    translating: Dashboard,
    google: FakeGoogleTranslate,
    caseworker: Account,
    chat_id: int,
) -> None:
    opened = await open_case(translating, chat_id, language="so")
    await sign_in(page, translating, caseworker)
    await page.goto(f"{translating.url}/cases/{opened.id}")
    reply = page.get_by_label("Antwort an die Person")
    await reply.fill(_unique(REPLY_DE))
    await page.get_by_role("button", name="In die Sprache der Person übersetzen").click()
    await expect(page.get_by_label("Das bekommt die Person")).to_have_value(re.compile(r"^so: "))
    await reply.fill(_unique("Komm am Montag um 10 Uhr vorbei."))
    await page.get_by_role("button", name="Antwort senden").click()

    await expect(page.locator("#notice")).to_contain_text("nach dem Übersetzen geändert")
    assert not any("(caseworker)" in text for text in await _outbox(translating, chat_id))


async def test_with_the_service_down_the_case_page_works_and_the_reply_goes_in_german(
    page: Page,
    translating: Dashboard,
    google: FakeGoogleTranslate,
    caseworker: Account,
    chat_id: int,
) -> None:
    await google.down()
    somali = _unique(SOMALI)
    opened = await open_case(translating, chat_id, language="so")
    await user_writes(translating, opened.id, somali)

    await sign_in(page, translating, caseworker)
    await page.goto(f"{translating.url}/cases/{opened.id}")
    hodan = page.locator(".from-user").last
    await expect(hodan.locator(".text")).to_have_text(somali)
    await expect(hodan.locator(".translation")).to_have_count(0)

    reply_de = _unique(REPLY_DE)
    await page.get_by_label("Antwort an die Person").fill(reply_de)
    await page.get_by_role("button", name="In die Sprache der Person übersetzen").click()
    await expect(page.locator("#reply-translation")).to_contain_text("keine Übersetzung verfügbar")
    await page.get_by_role("button", name="Antwort senden").click()
    await expect(page.locator("#notice")).to_contain_text("unterwegs")

    sent = (await _outbox(translating, chat_id))[-1]
    assert reply_de in sent
    assert MACHINE_NOTE not in sent and "blockquote" not in sent
